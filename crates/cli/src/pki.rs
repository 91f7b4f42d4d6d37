//! `renkei pki`: the certificates TLS and mutual TLS need, made by the tool so that no one
//! has to get openssl's options right (a self-signed or v1 certificate, or one without a
//! subjectAltName, is refused by the clients' rustls). A private CA, server certificates for
//! the names clients connect to, and one client certificate per user, all X.509 v3 with the
//! key usages and extended key usages of their role. Private keys are written 0600; no file
//! is ever overwritten.

use clap::Subcommand;
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair, KeyUsagePurpose,
    SanType,
};
use std::io::Write;
use std::path::{Path, PathBuf};

#[derive(Subcommand)]
pub enum PkiCommand {
    /// Makes a private certificate authority: DIR/ca.pem (give it to every client as
    /// --ca-cert and to `serve --client-ca`) and DIR/ca.key (signs the others; keep it apart).
    Ca {
        /// Directory of the CA's files (created if needed).
        #[arg(long)]
        dir: PathBuf,
        /// The CA's name, shown in every certificate it signs.
        #[arg(long, default_value = "Renkei private CA")]
        name: String,
        /// Days the CA certificate is valid.
        #[arg(long, default_value_t = 3650, value_parser = clap::value_parser!(u32).range(1..=36500))]
        valid_days: u32,
    },
    /// Makes a server certificate signed by DIR's CA, for the host names and IP addresses
    /// clients connect to: DIR/server.pem and DIR/server.key (`serve --tls-cert --tls-key`).
    Server {
        /// Directory holding ca.pem and ca.key (from `renkei pki ca`); the new files go there.
        #[arg(long)]
        dir: PathBuf,
        /// A DNS name or IP address clients connect to (repeatable), e.g. localhost, 127.0.0.1.
        #[arg(long = "name", required = true)]
        names: Vec<String>,
        /// File name of the certificate and key, without .pem / .key.
        #[arg(long, default_value = "server")]
        file: String,
        /// Days the certificate is valid.
        #[arg(long, default_value_t = 365, value_parser = clap::value_parser!(u32).range(1..=3650))]
        valid_days: u32,
    },
    /// Makes a client certificate for one user, signed by DIR's CA, for a broker that
    /// requires mutual TLS: DIR/USER.pem and DIR/USER.key (--client-cert, --client-key).
    Client {
        /// Directory holding ca.pem and ca.key (from `renkei pki ca`); the new files go there.
        #[arg(long)]
        dir: PathBuf,
        /// The user the certificate is for (its common name and file name).
        #[arg(long)]
        user: String,
        /// Days the certificate is valid.
        #[arg(long, default_value_t = 365, value_parser = clap::value_parser!(u32).range(1..=3650))]
        valid_days: u32,
    },
}

#[derive(Debug, thiserror::Error)]
pub enum PkiError {
    #[error("{0} already exists; renkei pki never overwrites a file (remove it or choose another --dir)")]
    Exists(PathBuf),
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{0} is missing: make the CA first with `renkei pki ca --dir {1}`")]
    NoCa(PathBuf, String),
    #[error("{path} is not usable: {source}")]
    Unusable {
        path: PathBuf,
        #[source]
        source: rcgen::Error,
    },
    #[error("{0:?} is not a DNS name or an IP address")]
    BadName(String),
    #[error("{0:?} cannot name a file: use letters, digits, '.', '_' and '-', not starting with '.'")]
    BadFileName(String),
    #[error("making the certificate: {0}")]
    Generate(#[source] rcgen::Error),
}

/// Mode of private keys: the owner's only.
const KEY_MODE: u32 = 0o600;
/// Mode of certificates: public, readable by all.
const CERT_MODE: u32 = 0o644;

pub fn run(command: PkiCommand) -> Result<(), PkiError> {
    match command {
        PkiCommand::Ca { dir, name, valid_days } => {
            let (cert, key) = (dir.join("ca.pem"), dir.join("ca.key"));
            refuse_existing(&[&cert, &key])?;
            let mut params = CertificateParams::default();
            params.distinguished_name = rcgen::DistinguishedName::new();
            params.distinguished_name.push(DnType::CommonName, name);
            // Path length 0: it signs servers and clients, never another CA.
            params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
            params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
            validity(&mut params, valid_days);
            let key_pair = KeyPair::generate().map_err(PkiError::Generate)?;
            let certificate = params.self_signed(&key_pair).map_err(PkiError::Generate)?;
            std::fs::create_dir_all(&dir).map_err(|source| PkiError::Io {
                path: dir.clone(),
                source,
            })?;
            write_pair(&cert, &certificate.pem(), &key, &key_pair.serialize_pem())?;
            eprintln!(
                "wrote the CA certificate {} (give it to clients and to serve --client-ca) and its key {} (mode 0600; keep it apart)",
                cert.display(),
                key.display()
            );
        }
        PkiCommand::Server {
            dir,
            names,
            file,
            valid_days,
        } => {
            check_file_name(&file)?;
            let (cert, key) = (dir.join(format!("{file}.pem")), dir.join(format!("{file}.key")));
            refuse_existing(&[&cert, &key])?;
            let mut params = CertificateParams::default();
            params.subject_alt_names = names.iter().map(|n| san(n)).collect::<Result<_, _>>()?;
            params.distinguished_name = rcgen::DistinguishedName::new();
            params.distinguished_name.push(DnType::CommonName, names[0].as_str());
            leaf(&mut params, ExtendedKeyUsagePurpose::ServerAuth, valid_days);
            issue(&dir, &params, &cert, &key)?;
            eprintln!(
                "wrote the server certificate {} for {} and its key {} (mode 0600)",
                cert.display(),
                names.join(", "),
                key.display()
            );
        }
        PkiCommand::Client { dir, user, valid_days } => {
            check_file_name(&user)?;
            let (cert, key) = (dir.join(format!("{user}.pem")), dir.join(format!("{user}.key")));
            refuse_existing(&[&cert, &key])?;
            let mut params = CertificateParams::default();
            params.distinguished_name = rcgen::DistinguishedName::new();
            params.distinguished_name.push(DnType::CommonName, user.as_str());
            leaf(&mut params, ExtendedKeyUsagePurpose::ClientAuth, valid_days);
            issue(&dir, &params, &cert, &key)?;
            eprintln!(
                "wrote the client certificate {} for {user} and its key {} (mode 0600)",
                cert.display(),
                key.display()
            );
        }
    }
    Ok(())
}

/// A v3 end-entity certificate for one purpose: `CA:FALSE` stated, the signature key usage
/// (TLS 1.3 and ECDSA sign the handshake; no key is enciphered) and one extended key usage.
fn leaf(params: &mut CertificateParams, purpose: ExtendedKeyUsagePurpose, valid_days: u32) {
    params.is_ca = IsCa::ExplicitNoCa;
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.extended_key_usages = vec![purpose];
    // Lets a verifier find the issuing CA among several by its key.
    params.use_authority_key_identifier_extension = true;
    validity(params, valid_days);
}

/// Valid from the start of today (UTC; a little earlier than now, for clocks behind ours)
/// for `days` days.
fn validity(params: &mut CertificateParams, days: u32) {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let date = |secs: u64| {
        let day = chrono::DateTime::from_timestamp(i64::try_from(secs).unwrap_or(i64::MAX), 0)
            .unwrap_or_default()
            .date_naive();
        use chrono::Datelike;
        rcgen::date_time_ymd(day.year(), day.month() as u8, day.day() as u8)
    };
    params.not_before = date(now);
    params.not_after = date(now.saturating_add(u64::from(days) * 24 * 3600));
}

fn san(name: &str) -> Result<SanType, PkiError> {
    if let Ok(ip) = name.parse::<std::net::IpAddr>() {
        return Ok(SanType::IpAddress(ip));
    }
    let valid = !name.is_empty()
        && name.len() <= 253
        && name
            .split('.')
            .all(|l| !l.is_empty() && l.len() <= 63 && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'));
    if !valid {
        return Err(PkiError::BadName(name.to_string()));
    }
    Ok(SanType::DnsName(
        name.to_string()
            .try_into()
            .map_err(|_| PkiError::BadName(name.to_string()))?,
    ))
}

fn check_file_name(name: &str) -> Result<(), PkiError> {
    let ok = !name.is_empty()
        && !name.starts_with('.')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if ok {
        Ok(())
    } else {
        Err(PkiError::BadFileName(name.to_string()))
    }
}

/// Signs `params` with the CA of `dir` and writes the certificate and a new key.
fn issue(dir: &Path, params: &CertificateParams, cert: &Path, key: &Path) -> Result<(), PkiError> {
    let (ca_cert, ca_key) = (dir.join("ca.pem"), dir.join("ca.key"));
    let read = |path: &Path| match std::fs::read_to_string(path) {
        Ok(text) => Ok(text),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            Err(PkiError::NoCa(path.to_path_buf(), dir.display().to_string()))
        }
        Err(source) => Err(PkiError::Io {
            path: path.to_path_buf(),
            source,
        }),
    };
    let unusable = |path: &Path| {
        let path = path.to_path_buf();
        move |source| PkiError::Unusable { path, source }
    };
    let signing_key = KeyPair::from_pem(&read(&ca_key)?).map_err(unusable(&ca_key))?;
    let issuer = Issuer::from_ca_cert_pem(&read(&ca_cert)?, signing_key).map_err(unusable(&ca_cert))?;
    let key_pair = KeyPair::generate().map_err(PkiError::Generate)?;
    let certificate = params.signed_by(&key_pair, &issuer).map_err(PkiError::Generate)?;
    write_pair(cert, &certificate.pem(), key, &key_pair.serialize_pem())
}

fn refuse_existing(paths: &[&Path]) -> Result<(), PkiError> {
    match paths.iter().find(|p| p.symlink_metadata().is_ok()) {
        Some(p) => Err(PkiError::Exists(p.to_path_buf())),
        None => Ok(()),
    }
}

/// Writes a certificate and its key, the key first: a certificate is never left without
/// its key. If the certificate cannot be written, the new key is removed again (nothing
/// else could use it).
fn write_pair(cert: &Path, cert_pem: &str, key: &Path, key_pem: &str) -> Result<(), PkiError> {
    write_new(key, key_pem.as_bytes(), KEY_MODE)?;
    if let Err(e) = write_new(cert, cert_pem.as_bytes(), CERT_MODE) {
        let _ = std::fs::remove_file(key);
        return Err(e);
    }
    Ok(())
}

/// Writes `bytes` to a temporary file beside `path` with `mode` from its creation (a key is
/// never readable by others, not even for a moment), then links it to `path`, which fails
/// if `path` exists (a rename would replace it): whole or not at all, never overwriting.
fn write_new(path: &Path, bytes: &[u8], mode: u32) -> Result<(), PkiError> {
    let io = |source| PkiError::Io {
        path: path.to_path_buf(),
        source,
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    let temp = path.with_file_name(format!(".{name}.{}.partial", std::process::id()));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, mode);
    #[cfg(not(unix))]
    let _ = mode;
    let written = options
        .open(&temp)
        .and_then(|mut file| file.write_all(bytes).and_then(|()| file.sync_all()))
        .and_then(|()| std::fs::hard_link(&temp, path));
    let _ = std::fs::remove_file(&temp);
    match written {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Err(PkiError::Exists(path.to_path_buf())),
        Err(e) => Err(io(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_checked_before_anything_is_written() {
        assert!(matches!(san("localhost"), Ok(SanType::DnsName(_))));
        assert!(matches!(san("::1"), Ok(SanType::IpAddress(_))));
        assert!(matches!(san("broker.example.jp"), Ok(SanType::DnsName(_))));
        assert!(matches!(san("https://broker"), Err(PkiError::BadName(_))));
        assert!(matches!(san("a..b"), Err(PkiError::BadName(_))));
        assert!(check_file_name("kato").is_ok());
        assert!(matches!(check_file_name("../kato"), Err(PkiError::BadFileName(_))));
        assert!(matches!(check_file_name(".hidden"), Err(PkiError::BadFileName(_))));
    }
}
