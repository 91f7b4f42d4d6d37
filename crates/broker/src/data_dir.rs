//! The broker's data directory holds the state database (token hashes, every request's SQL
//! and checked output, the audit trail) and its secrets: it is for the broker's user alone.
//! It is made 0700 and its files 0600, and `renkei serve` refuses to start on one that group
//! or others could read, naming the path and its mode, as it would a key file left open.

use crate::error::BrokerError;
use std::path::{Path, PathBuf};

/// Permission bits that must be clear: any access by group or others.
#[cfg(unix)]
const NOT_OWNER: u32 = 0o077;

/// Creates `data` (and missing parents) owner-only; an existing directory is left as it is
/// (for [`check`] to judge).
pub fn create(data: &Path) -> Result<(), BrokerError> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder
        .create(data)
        .map_err(|e| BrokerError::Io(format!("creating {}: {e}", data.display())))
}

/// Creates `path` empty and owner-only if it does not exist. SQLite then keeps the mode for
/// the database and gives it to its `-wal` and `-shm` files; left to SQLite, all three would
/// take the umask's (0644 by default).
pub fn create_private_file(path: &Path) -> Result<(), BrokerError> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(BrokerError::Io(format!("creating {}: {e}", path.display()))),
    }
}

/// The files of the broker's state: under `data`, and the audit key wherever it is.
pub fn state_files(data: &Path, audit_key: &Path) -> Vec<PathBuf> {
    let database = crate::store::DATABASE_FILE;
    vec![
        data.join(database),
        data.join(format!("{database}-wal")),
        data.join(format!("{database}-shm")),
        data.join(crate::audit::HEADS_FILE),
        data.join(crate::pseudonyms::SECRET_FILE),
        audit_key.to_path_buf(),
    ]
}

/// Refuses a data directory, or a state file in it, that group or others can access (those
/// that do not exist yet are made right when created).
pub fn check(data: &Path, audit_key: &Path) -> Result<(), BrokerError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let paths = std::iter::once(data.to_path_buf()).chain(state_files(data, audit_key));
        for path in paths {
            let meta = match std::fs::metadata(&path) {
                Ok(meta) => meta,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => return Err(BrokerError::Io(format!("reading the mode of {}: {e}", path.display()))),
            };
            let mode = meta.permissions().mode() & 0o7777;
            if mode & NOT_OWNER != 0 {
                let (what, wanted) = if meta.is_dir() {
                    ("the broker's data directory", 0o700)
                } else {
                    ("a file of the broker's state", 0o600)
                };
                return Err(BrokerError::Io(format!(
                    "{} has mode {mode:04o}: {what} must be for its owner only (chmod {wanted:o} {})",
                    path.display(),
                    path.display()
                )));
            }
        }
    }
    #[cfg(not(unix))]
    let _ = (data, audit_key);
    Ok(())
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).expect("exists").permissions().mode() & 0o777
    }

    #[test]
    fn a_fresh_state_is_owner_only_and_an_open_one_is_refused() {
        let dir = tempfile::tempdir().expect("temp dir");
        let data = dir.path().join("a/data");
        let key = data.join(crate::audit::KEY_FILE);
        let store = crate::store::Store::open(&data, &key).expect("opens");
        let secret = crate::pseudonyms::load_or_create_secret(&data).expect("secret");
        assert_eq!(mode(&data), 0o700);
        // While the store is open, with SQLite's -wal and -shm beside the database.
        let files = state_files(&data, &key);
        let made: Vec<&PathBuf> = files.iter().filter(|f| f.exists()).collect();
        assert!(made.len() >= 5, "{made:?}");
        for file in made {
            assert_eq!(mode(file), 0o600, "{}", file.display());
        }
        drop((store, secret));
        check(&data, &key).expect("a fresh state passes");

        std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o750)).expect("chmod");
        let refused = check(&data, &key).expect_err("a directory the group can read");
        let text = refused.to_string();
        assert!(
            text.contains(&data.display().to_string()) && text.contains("0750"),
            "{text}"
        );
        std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o700)).expect("chmod");

        let database = data.join(crate::store::DATABASE_FILE);
        std::fs::set_permissions(&database, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        let refused = check(&data, &key).expect_err("a database others can read");
        let text = refused.to_string();
        assert!(text.contains("broker.sqlite") && text.contains("0644"), "{text}");
    }
}
