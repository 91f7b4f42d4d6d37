//! Mutual TLS inside a cluster: every node, and every Renkei process that sends it queries,
//! holds a certificate signed by the cluster's own CA, and every connection between them is
//! TLS in which both sides prove themselves with one. Whoever reaches a node's port without
//! such a certificate is refused at the handshake: the ports serve warehouse rows and
//! unchecked aggregates, so network placement alone is not enough protection.
//!
//! Ballista 55 gives clients a hook (the endpoint override, used for every connection it
//! makes) but builds its servers in plain text, so the two servers a TLS cluster needs — the
//! scheduler's gRPC service and each executor's Arrow Flight service — are built here from
//! Ballista's own services. Such a cluster schedules tasks by pull (executors ask the
//! scheduler for work): under push, the scheduler would call a gRPC service on each executor
//! that Ballista serves only in plain text, and would probe it in plain text at registration.

use crate::ClusterError;
use ballista_core::extension::SessionConfigExt;
use ballista_core::utils::{GrpcClientConfig, create_grpc_client_endpoint};
use datafusion::prelude::SessionConfig;
use std::error::Error;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tonic::transport::{Certificate, ClientTlsConfig, Endpoint, Identity, ServerTlsConfig};

/// How long a node waits for a connection's TLS handshake (a peer on the same network
/// completes it in milliseconds).
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// A node's (or a client's) credentials: the cluster's CA and its own certificate and key.
#[derive(Clone, Debug)]
pub struct ClusterTls {
    ca: Certificate,
    identity: Identity,
}

/// The function Ballista applies to every endpoint it connects to.
pub(crate) type EndpointOverride =
    Arc<dyn Fn(Endpoint) -> Result<Endpoint, Box<dyn Error + Send + Sync>> + Send + Sync>;

impl ClusterTls {
    /// Credentials from PEM text: the cluster CA's certificate, this party's certificate
    /// (chain) and its private key.
    pub fn from_pem(ca: &[u8], cert: &[u8], key: &[u8]) -> ClusterTls {
        ClusterTls {
            ca: Certificate::from_pem(ca),
            identity: Identity::from_pem(cert, key),
        }
    }

    /// The server side: present this node's certificate, and accept only clients that
    /// present one signed by the cluster's CA. A connection that has not finished its
    /// handshake within [`HANDSHAKE_TIMEOUT`] is dropped, so idle strangers hold nothing.
    pub(crate) fn server_config(&self) -> ServerTlsConfig {
        ServerTlsConfig::new()
            .identity(self.identity.clone())
            .client_ca_root(self.ca.clone())
            .timeout(HANDSHAKE_TIMEOUT)
    }

    /// The client side, for Ballista's endpoint override: trust only servers whose
    /// certificate the cluster's CA signed, and present this party's own.
    ///
    /// Ballista builds some addresses as `http://` whatever the settings (the executor's
    /// address of the scheduler), and tonic speaks TLS only to `https://` ones; such an
    /// endpoint is made again for `https://` with Ballista's default client settings, which
    /// are the ones it was made with.
    pub(crate) fn endpoint_override(&self) -> EndpointOverride {
        let tls = ClientTlsConfig::new()
            .ca_certificate(self.ca.clone())
            .identity(self.identity.clone());
        Arc::new(move |endpoint: Endpoint| {
            let endpoint = match endpoint.uri().scheme_str() {
                Some("https") => endpoint,
                _ => {
                    let authority = endpoint
                        .uri()
                        .authority()
                        .ok_or("a cluster address without host and port")?;
                    create_grpc_client_endpoint(format!("https://{authority}"), Some(&GrpcClientConfig::default()))?
                }
            };
            Ok(endpoint.tls_config(tls.clone())?)
        })
    }

    /// `config` with these credentials for every connection Ballista makes under it
    /// (to the scheduler, and to executors for shuffle and result partitions).
    pub(crate) fn client_session_config(&self, config: SessionConfig) -> SessionConfig {
        config
            .with_ballista_use_tls(true)
            .with_ballista_override_create_grpc_client_endpoint(self.endpoint_override())
    }
}

/// The files of a party's cluster credentials, as the command line gives them.
#[derive(Clone, Debug, Default, clap::Args)]
pub struct ClusterTlsFiles {
    /// The cluster's CA certificate (PEM). With --tls-cert and --tls-key every connection
    /// of this node is mutual TLS: peers and clients without a certificate this CA signed
    /// are refused. Every node of a cluster, and every process that sends it queries, must
    /// be given one, or none (then the ports speak plain text and must be unreachable by
    /// anyone else).
    #[arg(long, requires_all = ["tls_cert", "tls_key"])]
    pub tls_ca: Option<PathBuf>,
    /// This node's certificate (PEM), signed by --tls-ca, naming the address it is reached
    /// at (an IP address or DNS name in its subject alternative names).
    #[arg(long, requires = "tls_ca")]
    pub tls_cert: Option<PathBuf>,
    /// The private key (PEM) of --tls-cert.
    #[arg(long, requires = "tls_ca")]
    pub tls_key: Option<PathBuf>,
}

impl ClusterTlsFiles {
    /// The credentials the files hold, or None when no CA is given.
    pub fn load(&self) -> Result<Option<ClusterTls>, ClusterError> {
        let (Some(ca), Some(cert), Some(key)) = (&self.tls_ca, &self.tls_cert, &self.tls_key) else {
            return match (&self.tls_ca, &self.tls_cert, &self.tls_key) {
                (None, None, None) => Ok(None),
                _ => Err(ClusterError::Tls(
                    "the cluster's CA, a certificate and its key are given together or not at all".into(),
                )),
            };
        };
        Ok(Some(ClusterTls::from_pem(&read(ca)?, &read(cert)?, &read(key)?)))
    }

    /// These files as `renkei cluster` arguments (empty when none).
    pub fn to_args(&self) -> Vec<String> {
        [
            ("--tls-ca", &self.tls_ca),
            ("--tls-cert", &self.tls_cert),
            ("--tls-key", &self.tls_key),
        ]
        .into_iter()
        .filter_map(|(flag, path)| {
            path.as_ref()
                .map(|p| [flag.to_string(), p.to_string_lossy().into_owned()])
        })
        .flatten()
        .collect()
    }
}

fn read(path: &Path) -> Result<Vec<u8>, ClusterError> {
    std::fs::read(path).map_err(|e| ClusterError::Tls(format!("reading {}: {e}", path.display())))
}
