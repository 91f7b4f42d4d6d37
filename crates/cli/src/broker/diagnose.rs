//! What a failed connection to the broker means, in the words of its usual causes: tonic
//! reports every TLS failure as "transport error", and rustls's reason sits several sources
//! down in the chain, wrapped in an `io::Error` (whose `source()` skips it).

use std::error::Error as StdError;
use std::net::{TcpStream, ToSocketAddrs};
use std::sync::{Arc, OnceLock};
use std::time::Duration;
use tokio_rustls::rustls;
use tokio_rustls::rustls::pki_types::ServerName;
use tokio_rustls::rustls::{AlertDescription, CertificateError};

/// The broker address this process connects to (one per `renkei` command), kept for
/// [`explain`]: a failed call carries no address, and a probe needs it.
static ADDRESS: OnceLock<String> = OnceLock::new();

/// Whether this process presents a client certificate, for the same reason.
static WITH_CERTIFICATE: OnceLock<bool> = OnceLock::new();

pub(super) fn remember_address(addr: &str, with_certificate: bool) {
    let _ = ADDRESS.set(addr.to_string());
    let _ = WITH_CERTIFICATE.set(with_certificate);
}

/// The usual cause of `error`, a failure to connect or a call that failed before the broker
/// answered, in words; None if it is none of them.
pub(super) fn explain(error: &(dyn StdError + 'static)) -> Option<String> {
    let mut current = Some(error);
    while let Some(e) = current {
        if let Some(text) = rustls_error(e).and_then(words) {
            return Some(text);
        }
        // An alert received after the handshake (TLS 1.3 tells a client its certificate is
        // missing or refused only then) reaches us through h2, whose error hides the io::Error
        // holding rustls's: only rustls's wording of the alert is left to go by.
        let alert = |name: &str| e.to_string().contains(&format!("received fatal alert: {name}"));
        let received = if alert("CertificateRequired") {
            Some(rustls::Error::AlertReceived(AlertDescription::CertificateRequired))
        } else if alert("UnknownCA") || alert("BadCertificate") {
            Some(rustls::Error::AlertReceived(AlertDescription::UnknownCA))
        } else {
            None
        };
        if let Some(text) = received.as_ref().and_then(words) {
            return Some(text);
        }
        current = e.source();
    }
    let addr = ADDRESS.get()?;
    if addr.starts_with("https://") {
        return closed_by_a_mutual_tls_server(error);
    }
    let host = addr.strip_prefix("http://")?;
    speaks_tls(host.trim_end_matches('/')).then(|| {
        format!(
            "{host} speaks TLS: connect to https://{host} (with --ca-cert, and --client-cert/--client-key if it requires mutual TLS)"
        )
    })
}

/// A TLS 1.3 server that refuses a client's certificate (or its lack of one) alerts and
/// closes after the client thinks the handshake done; the alert often loses the race with
/// the close, leaving the client only "connection closed" or "broken pipe" on its first call.
fn closed_by_a_mutual_tls_server(error: &(dyn StdError + 'static)) -> Option<String> {
    let mut text = String::new();
    let mut current = Some(error);
    while let Some(e) = current {
        text.push_str(&e.to_string());
        current = e.source();
    }
    if !(text.contains("connection closed") || text.contains("broken pipe")) {
        return None;
    }
    Some(if WITH_CERTIFICATE.get().copied().unwrap_or(false) {
        "the server closed the connection: it likely refused this client certificate (it accepts only certificates \
         of the CA given to it as --client-ca)"
            .into()
    } else {
        "the server closed the connection: it likely requires a client certificate: give --client-cert FILE \
         --client-key FILE (RENKEI_CLIENT_CERT, RENKEI_CLIENT_KEY), made with `renkei pki client`"
            .into()
    })
}

/// The rustls error `e` is or wraps (tokio-rustls puts it inside an `io::Error`).
fn rustls_error<'a>(e: &'a (dyn StdError + 'static)) -> Option<&'a rustls::Error> {
    if let Some(r) = e.downcast_ref::<rustls::Error>() {
        return Some(r);
    }
    e.downcast_ref::<std::io::Error>()?
        .get_ref()?
        .downcast_ref::<rustls::Error>()
}

fn words(e: &rustls::Error) -> Option<String> {
    let certificate = "the server's certificate";
    Some(match e {
        rustls::Error::AlertReceived(AlertDescription::CertificateRequired) => {
            "the server requires a client certificate: give --client-cert FILE --client-key FILE \
             (RENKEI_CLIENT_CERT, RENKEI_CLIENT_KEY), made with `renkei pki client`"
                .into()
        }
        rustls::Error::AlertReceived(
            AlertDescription::UnknownCA | AlertDescription::BadCertificate | AlertDescription::AccessDenied,
        ) => "the server refused this client certificate: it accepts only certificates of the CA given to it as \
              --client-ca"
            .into(),
        rustls::Error::InvalidCertificate(c) => match c {
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => format!(
                "{certificate} is not made for the host in the address: connect by a name or IP address it names \
                 (`renkei pki server --name HOST`)"
            ),
            CertificateError::UnknownIssuer => format!(
                "{certificate} is not signed by a CA this client trusts: give the CA's certificate (ca.pem of \
                 `renkei pki ca`) as --ca-cert (RENKEI_CA_CERT)"
            ),
            CertificateError::Expired | CertificateError::ExpiredContext { .. } => {
                format!("{certificate} has expired")
            }
            CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => {
                format!("{certificate} is not valid yet (is a clock wrong?)")
            }
            CertificateError::InvalidPurpose | CertificateError::InvalidPurposeContext { .. } => {
                format!("{certificate} is not for TLS servers (its extended key usage lacks serverAuth)")
            }
            CertificateError::Other(other) => match other.0.downcast_ref::<webpki::Error>()? {
                webpki::Error::CaUsedAsEndEntity => format!(
                    "{certificate} is a CA certificate, not a server's: the server must be given the certificate \
                     `renkei pki server` made"
                ),
                webpki::Error::UnsupportedCertVersion => format!(
                    "{certificate} is not an X.509 v3 certificate: the server must be given one that names it \
                     (`renkei pki server`)"
                ),
                _ => return None,
            },
            _ => return None,
        },
        rustls::Error::InvalidMessage(_) => "this address does not speak TLS: use an http:// address".into(),
        _ => return None,
    })
}

/// Whether a TLS server answers at `host` (HOST:PORT): a handshake that gets as far as the
/// server's certificate (here refused, as this probe trusts no CA) proves it.
fn speaks_tls(host: &str) -> bool {
    let Some(socket) = host.to_socket_addrs().ok().and_then(|mut a| a.next()) else {
        return false;
    };
    let Ok(mut tcp) = TcpStream::connect_timeout(&socket, Duration::from_secs(2)) else {
        return false;
    };
    let _ = tcp.set_read_timeout(Some(Duration::from_secs(2)));
    let _ = tcp.set_write_timeout(Some(Duration::from_secs(2)));
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let Ok(config) = rustls::ClientConfig::builder_with_provider(provider).with_safe_default_protocol_versions() else {
        return false;
    };
    let config = config
        .with_root_certificates(rustls::RootCertStore::empty())
        .with_no_client_auth();
    let Ok(mut session) = rustls::ClientConnection::new(Arc::new(config), ServerName::from(socket.ip())) else {
        return false;
    };
    // Our hello out, the server's answer in, until rustls has the certificate (and refuses it).
    for _ in 0..8 {
        if session.wants_write() && session.write_tls(&mut tcp).is_err() {
            return false;
        }
        match session.read_tls(&mut tcp) {
            Ok(0) | Err(_) => return false,
            Ok(_) => {}
        }
        match session.process_new_packets() {
            Err(rustls::Error::InvalidCertificate(_)) => return true,
            Err(_) => return false,
            Ok(_) => {}
        }
    }
    false
}
