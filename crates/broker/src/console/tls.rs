//! The console over TLS: the broker's certificate and key, and with a client CA, mutual TLS
//! as on the gRPC port (a browser without a certificate from that CA gets no page at all).

use crate::Tls;
use crate::error::BrokerError;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::rustls::server::WebPkiClientVerifier;
use tokio_rustls::rustls::{RootCertStore, ServerConfig, crypto};

/// A handshake that takes longer is dropped, so that a stalled client holds up no other.
const HANDSHAKE_LIMIT: Duration = Duration::from_secs(10);

/// A TCP listener whose connections are TLS sessions.
pub struct TlsListener {
    tcp: TcpListener,
    acceptor: TlsAcceptor,
}

fn unusable(what: &str) -> impl FnOnce(tokio_rustls::rustls::Error) -> BrokerError + '_ {
    move |e| BrokerError::Io(format!("the console's TLS {what} is not usable: {e}"))
}

impl TlsListener {
    pub fn new(tcp: TcpListener, tls: &Tls) -> Result<TlsListener, BrokerError> {
        let pem = |what: &str| BrokerError::Io(format!("the console's TLS {what} is not PEM"));
        let chain = CertificateDer::pem_slice_iter(&tls.cert_pem)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|_| pem("certificate"))?;
        let key = PrivateKeyDer::from_pem_slice(&tls.key_pem).map_err(|_| pem("key"))?;
        let provider = Arc::new(crypto::ring::default_provider());
        let builder = ServerConfig::builder_with_provider(Arc::clone(&provider))
            .with_safe_default_protocol_versions()
            .map_err(unusable("protocol set"))?;
        let builder = match &tls.client_ca_pem {
            Some(ca) => {
                let mut roots = RootCertStore::empty();
                for cert in CertificateDer::pem_slice_iter(ca) {
                    roots
                        .add(cert.map_err(|_| pem("client CA"))?)
                        .map_err(unusable("client CA"))?;
                }
                let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider)
                    .build()
                    .map_err(|e| BrokerError::Io(format!("the console's client CA is not usable: {e}")))?;
                builder.with_client_cert_verifier(verifier)
            }
            None => builder.with_no_client_auth(),
        };
        let mut config = builder
            .with_single_cert(chain, key)
            .map_err(unusable("certificate or key"))?;
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(TlsListener {
            tcp,
            acceptor: TlsAcceptor::from(Arc::new(config)),
        })
    }
}

impl axum::serve::Listener for TlsListener {
    type Io = tokio_rustls::server::TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            let Ok((stream, addr)) = self.tcp.accept().await else {
                // Out of file descriptors and the like: wait, as axum's own listener does.
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            };
            // A failed or slow handshake (wrong CA, no certificate, a port scan) is that
            // client's problem only.
            if let Ok(Ok(tls)) = tokio::time::timeout(HANDSHAKE_LIMIT, self.acceptor.accept(stream)).await {
                return (tls, addr);
            }
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        self.tcp.local_addr()
    }
}
