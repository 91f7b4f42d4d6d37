//! How `renkei` ends: an exit status per kind of failure, so that scripts can tell a
//! refusal from a denial from a mistake without reading the message, and the one message it
//! prints.
//!
//! | status | meaning |
//! |---|---|
//! | 0 | done |
//! | 1 | any other error |
//! | 2 | wrong arguments (clap's usage errors) |
//! | 3 | refused by disclosure control |
//! | 4 | denied: no valid token, or the caller may not do this |

use std::process::ExitCode;

/// Exit status of a query disclosure control refused.
pub const REFUSED: u8 = 3;
/// Exit status of a call the broker denied: not authenticated or not permitted.
pub const DENIED: u8 = 4;

/// A query disclosure control refused; `renkei` exits with [`REFUSED`] on it.
#[derive(Debug, thiserror::Error)]
#[error("refused: {0}")]
pub struct Refused(pub String);

/// A call the broker denied; `renkei` exits with [`DENIED`] on it.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Denied(pub String);

/// Prints `error` once and gives the exit status of its kind.
pub fn report(error: &anyhow::Error) -> ExitCode {
    if error.downcast_ref::<Refused>().is_some() {
        // Alone on its line, as it always was: scripts look for `refused:`.
        eprintln!("{}", message(error));
        return ExitCode::from(REFUSED);
    }
    eprintln!("error: {}", message(error));
    if error.downcast_ref::<Denied>().is_some() {
        ExitCode::from(DENIED)
    } else {
        ExitCode::FAILURE
    }
}

/// `error` and its causes on one line, each told once: many errors repeat their source's
/// text in their own (a policy's TOML error, an I/O error under a path), which `{:#}` would
/// print twice.
pub fn message(error: &anyhow::Error) -> String {
    let mut text = String::new();
    for cause in error.chain() {
        let cause = cause.to_string();
        if cause.is_empty() || text.contains(&cause) {
            continue;
        }
        if !text.is_empty() {
            text.push_str(": ");
        }
        text.push_str(&cause);
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cause_already_told_is_not_told_again() {
        let io = std::io::Error::other("expected `=`, found newline");
        let e = anyhow::Error::new(io)
            .context("invalid TOML: expected `=`, found newline")
            .context("policy p.toml");
        assert_eq!(message(&e), "policy p.toml: invalid TOML: expected `=`, found newline");
        let e = anyhow::anyhow!("no such file").context("reading a.pem");
        assert_eq!(message(&e), "reading a.pem: no such file");
    }
}
