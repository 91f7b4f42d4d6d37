//! TLS on the broker's ports: the broker's certificate and key, and with a client CA, mutual
//! TLS (a client without a certificate from that CA gets no call and no page at all). The
//! handshakes are run by the broker's own accept loop (`listener.rs`), on the gRPC port as on
//! the console's, so that one deadline covers a connection's handshake and its first request.
//!
//! The files are checked when the broker starts, before it listens ([`Tls::check`]): a CA
//! certificate given as the server's, an X.509 v1 certificate or one naming no host would
//! otherwise start a server no client can connect to, each client failing with a bare
//! "transport error".

use std::sync::Arc;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::rustls::server::WebPkiClientVerifier;
use tokio_rustls::rustls::{RootCertStore, ServerConfig, crypto};
use x509_parser::prelude::{FromDer, X509Certificate, X509Version};

/// The server's TLS identity (PEM) and, for mutual TLS, the CA whose certificates clients
/// must present: a client without one, or with one from another CA, fails the handshake
/// before any call is read. The bearer token is checked on top.
#[derive(Clone)]
pub struct Tls {
    pub cert_pem: Vec<u8>,
    pub key_pem: Vec<u8>,
    pub client_ca_pem: Option<Vec<u8>>,
}

/// Why the TLS files cannot serve. Each says what to give instead.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("the TLS {0} is not PEM")]
    NotPem(&'static str),
    #[error("the TLS {0} holds no certificate")]
    NoCertificate(&'static str),
    #[error("the TLS {0} is not an X.509 certificate")]
    NotX509(&'static str),
    #[error(
        "the server certificate is an X.509 v{0} certificate; TLS clients accept only v3 certificates naming the server \
         (make one with `renkei pki server --name HOST`)"
    )]
    NotV3(u32),
    #[error(
        "the server certificate is a CA certificate, not a server's: give the certificate `renkei pki server` made \
         (a CA's certificate goes to clients as --ca-cert and to --client-ca)"
    )]
    CaAsServer,
    #[error(
        "the server certificate names no host (it has no subjectAltName), so no client can accept it \
         (make one with `renkei pki server --name HOST`)"
    )]
    NoNames,
    #[error("the server certificate is not for TLS servers (its extended key usage lacks serverAuth)")]
    NotForServers,
    #[error("the server certificate is valid from {from} to {to}, not now")]
    NotValidNow { from: String, to: String },
    #[error(
        "the client CA certificate is not a CA certificate: give the certificate of the CA that signed the clients' \
         (ca.pem of `renkei pki ca`)"
    )]
    ClientCaNotCa,
    #[error("the TLS {what} is not usable: {source}")]
    Unusable {
        what: &'static str,
        #[source]
        source: tokio_rustls::rustls::Error,
    },
}

/// The application protocol a port speaks, offered by ALPN: gRPC clients require `h2`.
pub(crate) const ALPN_H2: &[u8] = b"h2";
pub(crate) const ALPN_HTTP1: &[u8] = b"http/1.1";

fn unusable(what: &'static str) -> impl FnOnce(tokio_rustls::rustls::Error) -> TlsError {
    move |source| TlsError::Unusable { what, source }
}

fn certificates(pem: &[u8], what: &'static str) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let chain = CertificateDer::pem_slice_iter(pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| TlsError::NotPem(what))?;
    if chain.is_empty() {
        return Err(TlsError::NoCertificate(what));
    }
    Ok(chain)
}

fn parse<'a>(der: &'a CertificateDer<'_>, what: &'static str) -> Result<X509Certificate<'a>, TlsError> {
    X509Certificate::from_der(der)
        .map(|(_, c)| c)
        .map_err(|_| TlsError::NotX509(what))
}

impl Tls {
    /// Checks what clients' TLS libraries would refuse in the server's certificate, and that
    /// the certificate, key and client CA make a server configuration.
    pub fn check(&self) -> Result<(), TlsError> {
        let chain = certificates(&self.cert_pem, "certificate")?;
        let leaf = parse(&chain[0], "certificate")?;
        if leaf.version() != X509Version::V3 {
            return Err(TlsError::NotV3(leaf.version().0 + 1));
        }
        if leaf.is_ca() {
            return Err(TlsError::CaAsServer);
        }
        let names = leaf
            .subject_alternative_name()
            .ok()
            .flatten()
            .is_some_and(|san| !san.value.general_names.is_empty());
        if !names {
            return Err(TlsError::NoNames);
        }
        if let Ok(Some(eku)) = leaf.extended_key_usage()
            && !(eku.value.server_auth || eku.value.any)
        {
            return Err(TlsError::NotForServers);
        }
        if !leaf.validity().is_valid() {
            let validity = leaf.validity();
            return Err(TlsError::NotValidNow {
                from: validity.not_before.to_string(),
                to: validity.not_after.to_string(),
            });
        }
        if let Some(ca) = &self.client_ca_pem {
            for der in certificates(ca, "client CA")? {
                if !parse(&der, "client CA")?.is_ca() {
                    return Err(TlsError::ClientCaNotCa);
                }
            }
        }
        self.acceptor(ALPN_H2).map(|_| ())
    }

    /// The acceptor of TLS sessions speaking `alpn`.
    pub(crate) fn acceptor(&self, alpn: &[u8]) -> Result<TlsAcceptor, TlsError> {
        let chain = certificates(&self.cert_pem, "certificate")?;
        let key = PrivateKeyDer::from_pem_slice(&self.key_pem).map_err(|_| TlsError::NotPem("key"))?;
        let provider = Arc::new(crypto::ring::default_provider());
        let builder = ServerConfig::builder_with_provider(Arc::clone(&provider))
            .with_safe_default_protocol_versions()
            .map_err(unusable("protocol set"))?;
        let builder = match &self.client_ca_pem {
            Some(ca) => {
                let mut roots = RootCertStore::empty();
                for cert in certificates(ca, "client CA")? {
                    roots.add(cert).map_err(unusable("client CA"))?;
                }
                let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider)
                    .build()
                    .map_err(|e| TlsError::Unusable {
                        what: "client CA",
                        source: tokio_rustls::rustls::Error::General(e.to_string()),
                    })?;
                builder.with_client_cert_verifier(verifier)
            }
            None => builder.with_no_client_auth(),
        };
        let mut config = builder
            .with_single_cert(chain, key)
            .map_err(unusable("certificate or key"))?;
        config.alpn_protocols = vec![alpn.to_vec()];
        Ok(TlsAcceptor::from(Arc::new(config)))
    }
}
