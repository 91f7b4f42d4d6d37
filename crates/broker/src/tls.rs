//! TLS on the broker's ports: the broker's certificate and key, and with a client CA, mutual
//! TLS (a client without a certificate from that CA gets no call and no page at all). The
//! handshakes are run by the broker's own accept loop (`listener.rs`), on the gRPC port as on
//! the console's, so that one deadline covers a connection's handshake and its first request.

use crate::error::BrokerError;
use std::sync::Arc;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::rustls::server::WebPkiClientVerifier;
use tokio_rustls::rustls::{RootCertStore, ServerConfig, crypto};

/// The server's TLS identity (PEM) and, for mutual TLS, the CA whose certificates clients
/// must present: a client without one, or with one from another CA, fails the handshake
/// before any call is read. The bearer token is checked on top.
#[derive(Clone)]
pub struct Tls {
    pub cert_pem: Vec<u8>,
    pub key_pem: Vec<u8>,
    pub client_ca_pem: Option<Vec<u8>>,
}

/// The application protocol a port speaks, offered by ALPN: gRPC clients require `h2`.
pub(crate) const ALPN_H2: &[u8] = b"h2";
pub(crate) const ALPN_HTTP1: &[u8] = b"http/1.1";

fn unusable(what: &str) -> impl FnOnce(tokio_rustls::rustls::Error) -> BrokerError + '_ {
    move |e| BrokerError::Io(format!("the TLS {what} is not usable: {e}"))
}

impl Tls {
    /// The acceptor of TLS sessions speaking `alpn`.
    pub(crate) fn acceptor(&self, alpn: &[u8]) -> Result<TlsAcceptor, BrokerError> {
        let pem = |what: &str| BrokerError::Io(format!("the TLS {what} is not PEM"));
        let chain = CertificateDer::pem_slice_iter(&self.cert_pem)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|_| pem("certificate"))?;
        let key = PrivateKeyDer::from_pem_slice(&self.key_pem).map_err(|_| pem("key"))?;
        let provider = Arc::new(crypto::ring::default_provider());
        let builder = ServerConfig::builder_with_provider(Arc::clone(&provider))
            .with_safe_default_protocol_versions()
            .map_err(unusable("protocol set"))?;
        let builder = match &self.client_ca_pem {
            Some(ca) => {
                let mut roots = RootCertStore::empty();
                for cert in CertificateDer::pem_slice_iter(ca) {
                    roots
                        .add(cert.map_err(|_| pem("client CA"))?)
                        .map_err(unusable("client CA"))?;
                }
                let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider)
                    .build()
                    .map_err(|e| BrokerError::Io(format!("the client CA is not usable: {e}")))?;
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
