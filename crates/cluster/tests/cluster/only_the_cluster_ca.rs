//! A cluster that speaks mutual TLS serves only parties holding a certificate of its CA. A
//! Renkei process with another CA's certificate, or none, gets an error and no rows; a
//! connection to an executor's Flight port (where shuffle and result partitions are
//! fetched) without such a certificate is refused before any call reaches Ballista.

use crate::authority::Authority;
use crate::{clusters, engine, on, repository};
use arrow_flight::Ticket;
use arrow_flight::flight_service_client::FlightServiceClient;
use renkei_disclosure::Policy;
use renkei_engine::EngineError;
use std::path::Path;
use std::time::Duration;
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Identity};

#[test]
fn a_tls_cluster_answers_only_clients_with_a_certificate_of_its_ca() {
    let clusters = clusters();
    let cluster = &clusters.processes;
    let sql =
        std::fs::read_to_string(repository().join("queries/ltc_users_by_care_level_and_sex.sql")).expect("query reads");
    let query = |planner| {
        clusters
            .runtime
            .block_on(engine(Policy::default(), Some(planner)).query(&sql))
    };

    assert!(
        query(cluster.planner()).is_ok(),
        "a certificate of the cluster's CA gets in"
    );
    let other = Authority::new("Someone else's CA");
    let address = &cluster.nodes.address;
    for (who, planner) in [
        (
            "another CA's certificate",
            on(address).with_tls(cluster.credentials(&other, "rogue")),
        ),
        ("no TLS", on(address)),
    ] {
        match query(planner.with_deadline(Duration::from_secs(60))) {
            Err(EngineError::Execution(_)) => {}
            Err(e) => panic!("{who}: an unexpected error: {e}"),
            Ok(_) => panic!("{who}: the cluster answered"),
        }
    }
}

/// What a Flight `do_get` with a ticket Ballista cannot read comes to on a connection that
/// presents `identity` (a certificate and key under `dir`): Ballista's own answer, or the
/// transport's failure.
async fn flight_call(
    executor: std::net::SocketAddr,
    dir: &Path,
    identity: Option<(&str, &str)>,
) -> Result<tonic::Status, String> {
    let pem = |name: &str| std::fs::read(dir.join(name)).expect("reads a PEM file");
    let mut tls = ClientTlsConfig::new().ca_certificate(Certificate::from_pem(pem("ca.pem")));
    if let Some((cert, key)) = identity {
        tls = tls.identity(Identity::from_pem(pem(cert), pem(key)));
    }
    let channel = Channel::from_shared(format!("https://{executor}"))
        .expect("an address")
        .tls_config(tls)
        .expect("TLS settings")
        .connect()
        .await
        .map_err(|e| format!("connect: {e}"))?;
    match FlightServiceClient::new(channel)
        .do_get(Ticket::new("not a ticket"))
        .await
    {
        Ok(_) => Err("a ticket that is no ticket was served".into()),
        // A refused client certificate shows at the first call under TLS 1.3, as a status
        // tonic makes from the closed connection (its source the transport's error).
        Err(status) if std::error::Error::source(&status).is_some_and(|e| e.is::<tonic::transport::Error>()) => {
            Err(format!("transport: {status}"))
        }
        Err(status) => Ok(status),
    }
}

#[test]
fn an_executors_flight_port_refuses_connections_without_a_certificate_of_the_cluster_ca() {
    let clusters = clusters();
    let cluster = &clusters.processes;
    let dir = cluster.dir.path();
    let other = Authority::new("Someone else's CA");
    other.issue(dir, "stranger", &["analyst.renkei.test"]);
    cluster.authority.issue(dir, "member", &["analyst.renkei.test"]);
    for executor in &cluster.nodes.executor_addresses {
        let answer = |identity| clusters.runtime.block_on(flight_call(*executor, dir, identity));
        let member = answer(Some(("member.pem", "member.key")));
        assert!(member.is_ok(), "a member's call reaches Ballista: {member:?}");
        for (who, identity) in [
            ("no certificate", None),
            ("another CA's", Some(("stranger.pem", "stranger.key"))),
        ] {
            let refused = answer(identity);
            assert!(refused.is_err(), "{who}: the call reached Ballista: {refused:?}");
        }
    }
}

#[test]
fn a_connection_that_never_starts_tls_is_dropped() {
    use std::io::Read;
    let cluster = &clusters().processes;
    let scheduler = cluster.nodes.address.trim_start_matches("df://");
    let mut silent = std::net::TcpStream::connect(scheduler).expect("connects");
    silent
        .set_read_timeout(Some(Duration::from_secs(60)))
        .expect("a read timeout");
    let began = std::time::Instant::now();
    // The scheduler closes the connection (end of stream) once its handshake timeout passes.
    let read = silent.read(&mut [0u8; 16]);
    assert!(matches!(read, Ok(0)), "{read:?} after {:?}", began.elapsed());
    assert!(began.elapsed() < Duration::from_secs(30), "{:?}", began.elapsed());
}
