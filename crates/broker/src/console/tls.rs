//! The console over TLS: the broker's certificate and key, and with a client CA, mutual TLS
//! as on the gRPC port (a browser without a certificate from that CA gets no page at all).

use crate::error::BrokerError;
use crate::{HANDSHAKE_LIMIT, Tls};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::rustls::server::WebPkiClientVerifier;
use tokio_rustls::rustls::{RootCertStore, ServerConfig, crypto};
use tokio_rustls::server::TlsStream;

/// A TCP listener whose connections are TLS sessions. Handshakes run in tasks of their own
/// (axum waits for each `accept` before the next), and finished sessions arrive on a channel.
pub struct TlsListener {
    local: SocketAddr,
    sessions: mpsc::Receiver<(TlsStream<TcpStream>, SocketAddr)>,
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
        let local = tcp
            .local_addr()
            .map_err(|e| BrokerError::Io(format!("the console's address: {e}")))?;
        let (sender, sessions) = mpsc::channel(64);
        tokio::spawn(handshake_each(tcp, TlsAcceptor::from(Arc::new(config)), sender));
        Ok(TlsListener { local, sessions })
    }
}

/// Accepts TCP connections and hands each to a task of its own for its handshake: a client
/// that stalls (or fails: wrong CA, no certificate, a port scan) holds up no one else.
async fn handshake_each(
    tcp: TcpListener,
    acceptor: TlsAcceptor,
    sessions: mpsc::Sender<(TlsStream<TcpStream>, SocketAddr)>,
) {
    while !sessions.is_closed() {
        let Ok((stream, addr)) = tcp.accept().await else {
            // Out of file descriptors and the like: wait, as axum's own listener does.
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        };
        let (acceptor, sessions) = (acceptor.clone(), sessions.clone());
        tokio::spawn(async move {
            if let Ok(Ok(tls)) = tokio::time::timeout(HANDSHAKE_LIMIT, acceptor.accept(stream)).await {
                let _ = sessions.send((tls, addr)).await;
            }
        });
    }
}

impl axum::serve::Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        match self.sessions.recv().await {
            Some(session) => session,
            // The accepting task ended (it does not while this listener lives): serve nothing.
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        Ok(self.local)
    }
}
