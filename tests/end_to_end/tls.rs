//! The broker over TLS with client certificates (mTLS): certificates made at test time with
//! rcgen; a client certificate from the trusted CA gets in (bearer token still needed), no
//! certificate, one from another CA, or plain HTTP/2 does not.

use super::authority::Authority;
use super::broker::Server;
use renkei_proto::v1 as pb;
use std::path::Path;
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Identity};

fn text(path: &Path) -> &str {
    path.to_str().expect("utf-8 path")
}

/// Whether an admin call with `token` over a channel with `identity` succeeds; a refused
/// handshake shows at connect or at the first call, depending on TLS 1.3's timing.
async fn admin_call_succeeds(addr: &str, ca: &Path, identity: Option<(&Path, &Path)>, token: &str) -> bool {
    let mut tls = ClientTlsConfig::new().ca_certificate(Certificate::from_pem(std::fs::read(ca).expect("CA")));
    if let Some((cert, key)) = identity {
        let pem = |p: &Path| std::fs::read(p).expect("PEM");
        tls = tls.identity(Identity::from_pem(pem(cert), pem(key)));
    }
    let channel = match Channel::from_shared(addr.to_string())
        .expect("an address")
        .tls_config(tls)
        .expect("TLS settings")
        .connect()
        .await
    {
        Ok(c) => c,
        Err(_) => return false,
    };
    let mut request = tonic::Request::new(pb::IssueTokenRequest {
        user_id: "admin".into(),
        valid_seconds: 60,
    });
    let bearer = format!("Bearer {token}").parse().expect("ascii");
    request.metadata_mut().insert("authorization", bearer);
    pb::admin_service_client::AdminServiceClient::new(channel)
        .issue_token(request)
        .await
        .is_ok()
}

#[tokio::test]
async fn over_mutual_tls_only_clients_with_a_certificate_of_the_trusted_ca_get_in() {
    let dir = tempfile::tempdir().expect("temp dir");
    let d = dir.path();
    let trusted = Authority::new("Renkei test CA");
    let other = Authority::new("Someone else's CA");
    let ca = trusted.write(&d.join("ca.pem"));
    let (server_cert, server_key) = trusted.issue(d, "server", &["localhost", "127.0.0.1"]);
    let (client_cert, client_key) = trusted.issue(d, "client", &["analyst.renkei.test"]);
    let (rogue_cert, rogue_key) = other.issue(d, "rogue", &["analyst.renkei.test"]);

    let server = Server::start_with(
        "https",
        &[
            "--tls-cert",
            text(&server_cert),
            "--tls-key",
            text(&server_key),
            "--client-ca",
            text(&ca),
            "--http",
            "127.0.0.1:0",
        ],
    );
    let token = server.admin_token.clone();
    let addr = server.addr.clone();
    // A client that opens a connection to the gRPC port and never starts its handshake is
    // let go after the handshake limit (10 s): stalled connections cannot pile up. Watched
    // while the rest of the test runs.
    let grpc_host = addr.strip_prefix("https://").expect("an https:// address").to_string();
    let stalled = tokio::spawn(async move {
        use tokio::io::AsyncReadExt;
        let mut stream = tokio::net::TcpStream::connect(grpc_host).await.expect("connects");
        let mut byte = [0u8; 1];
        tokio::time::timeout(std::time::Duration::from_secs(30), stream.read(&mut byte)).await
    });

    assert!(
        admin_call_succeeds(&addr, &ca, Some((&client_cert, &client_key)), &token).await,
        "a certificate of the trusted CA and a valid token get in"
    );
    assert!(
        !admin_call_succeeds(&addr, &ca, Some((&client_cert, &client_key)), "0".repeat(64).as_str()).await,
        "the certificate does not replace the token"
    );
    assert!(
        !admin_call_succeeds(&addr, &ca, Some((&rogue_cert, &rogue_key)), &token).await,
        "a certificate of another CA is refused"
    );
    assert!(
        !admin_call_succeeds(&addr, &ca, None, &token).await,
        "no client certificate is refused"
    );
    let plain = server.addr.replacen("https://", "http://", 1);
    let plain_channel = Channel::from_shared(plain).expect("an address").connect().await;
    if let Ok(channel) = plain_channel {
        let status = pb::admin_service_client::AdminServiceClient::new(channel)
            .issue_token(pb::IssueTokenRequest::default())
            .await;
        assert!(status.is_err(), "plain HTTP/2 to a TLS server gets nothing");
    }

    // The `renkei` client commands: with the CA and a client certificate from the flags'
    // environment variables; without the certificate they fail.
    let cli = |with_certificate: bool| {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_renkei"));
        command
            .args(["admin", "token-issue", "--user", "admin", "--valid-seconds", "60"])
            .env("RENKEI_ADDR", &addr)
            .env("RENKEI_TOKEN", &token)
            .env("RENKEI_CA_CERT", &ca);
        if with_certificate {
            command
                .env("RENKEI_CLIENT_CERT", &client_cert)
                .env("RENKEI_CLIENT_KEY", &client_key);
        }
        command.output().expect("renkei runs")
    };
    let o = cli(true);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(String::from_utf8_lossy(&o.stdout).trim().len(), 64, "a new token");
    assert!(!cli(false).status.success());

    // The steward console speaks HTTPS with the same certificate and client CA, and its
    // cookies are `Secure`.
    let console = server.console.clone().expect("the console's URL");
    let host = console.strip_prefix("https://").expect("an https:// console");
    // A client that connects and never says anything holds up no one (the handshakes run
    // apart; the client below gives up after 5 s, the handshake limit is 10 s).
    let _stalled = std::net::TcpStream::connect(host).expect("connects");
    let with_certificate = console_sign_in_page(host, &ca, Some((&client_cert, &client_key)));
    assert!(
        with_certificate.starts_with("200 ")
            && with_certificate.contains("; Secure")
            && with_certificate.ends_with("max-age=31536000"),
        "{with_certificate}"
    );
    assert!(console_sign_in_page(host, &ca, None).starts_with("refused"));
    assert!(console_sign_in_page(host, &ca, Some((&rogue_cert, &rogue_key))).starts_with("refused"));

    let read = stalled.await.expect("the stalled client's task");
    assert!(
        matches!(read, Ok(Ok(0)) | Ok(Err(_))),
        "the server closes a connection whose handshake never starts: {read:?}"
    );
}

/// `GET /signin` over TLS by Python's ssl module (a client apart from our rustls): the
/// status and the Set-Cookie header, or `refused` when the handshake or the call fails.
fn console_sign_in_page(host: &str, ca: &Path, identity: Option<(&Path, &Path)>) -> String {
    const CLIENT: &str = "import http.client, ssl, sys
host, port = sys.argv[1].rsplit(':', 1)
ctx = ssl.create_default_context(cafile=sys.argv[2])
if len(sys.argv) > 3:
    ctx.load_cert_chain(sys.argv[3], sys.argv[4])
try:
    c = http.client.HTTPSConnection(host, int(port), context=ctx, timeout=5)
    c.request('GET', '/signin')
    r = c.getresponse()
    print(r.status, r.getheader('Set-Cookie'), r.getheader('Strict-Transport-Security'))
except (OSError, http.client.HTTPException) as e:
    print('refused', type(e).__name__)
";
    let mut command = std::process::Command::new("python3");
    command.args(["-c", CLIENT, host, text(ca)]);
    if let Some((cert, key)) = identity {
        command.args([text(cert), text(key)]);
    }
    let o = command.output().expect("python3 runs");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8_lossy(&o.stdout).trim().to_string()
}
