//! 256-bit secrets kept in files of their own, outside the state database: the pseudonym
//! secret and the audit key. Written owner-only to a temp file, synced and renamed, so that
//! a crash never leaves half a key.

use crate::error::BrokerError;
use std::path::Path;

/// The key in `path`, or None if there is no such file.
pub fn load(path: &Path) -> Result<Option<[u8; 32]>, BrokerError> {
    match std::fs::read(path) {
        Ok(bytes) => bytes
            .try_into()
            .map(Some)
            .map_err(|_| BrokerError::Io(format!("{} is not a 32-byte key", path.display()))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(BrokerError::Io(format!("reading {}: {e}", path.display()))),
    }
}

/// A new random key written to `path` (which must not exist yet).
pub fn create(path: &Path) -> Result<[u8; 32], BrokerError> {
    let io = |what: &str, e: std::io::Error| BrokerError::Io(format!("{what} {}: {e}", path.display()));
    let mut key = [0u8; 32];
    getrandom::fill(&mut key).map_err(|e| BrokerError::Io(format!("the system random source failed: {e}")))?;
    let mut temp = path.as_os_str().to_owned();
    temp.push(".tmp");
    let temp = std::path::PathBuf::from(temp);
    {
        use std::io::Write;
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(&temp).map_err(|e| io("creating", e))?;
        file.write_all(&key).map_err(|e| io("writing", e))?;
        file.sync_all().map_err(|e| io("syncing", e))?;
    }
    std::fs::rename(&temp, path).map_err(|e| io("renaming into", e))?;
    Ok(key)
}

/// The key in `path`, created if absent.
pub fn load_or_create(path: &Path) -> Result<[u8; 32], BrokerError> {
    match load(path)? {
        Some(key) => Ok(key),
        None => create(path),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_is_created_once_owner_only_and_then_reused() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("some.key");
        let first = load_or_create(&path).expect("created");
        assert_eq!(load_or_create(&path).expect("read"), first);
        assert!(!dir.path().join("some.key.tmp").exists());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).expect("exists").permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        std::fs::write(&path, b"short").expect("written");
        assert!(load(&path).is_err());
    }
}
