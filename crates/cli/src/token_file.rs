//! The caller's bearer token from a file (`--token-file`, `RENKEI_TOKEN_FILE`): a token on
//! the command line shows in the process list (`ps`, /proc/PID/cmdline) to every user of the
//! machine and stays in the shell's history. A file readable by group or others is refused,
//! as ssh refuses a private key left open.

use anyhow::{Context, Result, bail};
use std::path::Path;

/// The token in `path`: its content without surrounding whitespace (the newline that
/// `renkei admin token-issue > FILE` leaves). Errors name the file, never what is in it.
pub fn read(path: &Path) -> Result<String> {
    let file = std::fs::File::open(path).with_context(|| format!("opening the token file {}", path.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = file
            .metadata()
            .with_context(|| format!("reading the mode of the token file {}", path.display()))?
            .permissions()
            .mode()
            & 0o777;
        if mode & 0o077 != 0 {
            bail!(
                "the token file {} has mode {mode:04o}: a token must be readable by its owner only (chmod 600 {})",
                path.display(),
                path.display()
            );
        }
    }
    let mut text = String::new();
    std::io::Read::read_to_string(&mut { file }, &mut text)
        .with_context(|| format!("reading the token file {} (is it text?)", path.display()))?;
    let token = text.trim();
    if token.is_empty() || token.lines().count() != 1 {
        bail!("the token file {} must hold one token on one line", path.display());
    }
    Ok(token.to_string())
}
