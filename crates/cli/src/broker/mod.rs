//! The broker's commands: `renkei serve`, `renkei admin …`, `renkei request …`,
//! `renkei steward …` (gRPC clients of a running broker) and `renkei audit verify`, one
//! module per role; here what they share: where the state is, how a client connects and
//! how requests are printed.

mod admin;
mod demo;
mod diagnose;
mod research;
mod serve;
mod steward;

pub use admin::{AdminCommand, AuditCommand, admin, audit};
pub use demo::demo_request;
pub use research::{RequestCommand, request};
pub use serve::{ServeArgs, serve};
pub use steward::{StewardCommand, steward};

use crate::outcome::{Denied, Refused};
use anyhow::{Context, Result, bail};
use clap::Args;
use renkei_proto::v1 as pb;
use std::path::{Path, PathBuf};
use tonic::metadata::{Ascii, MetadataValue};
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Identity};

// Where the broker's state is: its directory and its audit trail's key. (A plain comment:
// a doc comment here would become the help text of every command that flattens it.)
#[derive(Args)]
pub struct StateArgs {
    /// Directory of the broker's state (broker.sqlite and the audit trail's heads file),
    /// created if needed.
    #[arg(long)]
    data: PathBuf,
    /// The audit trail's key (32 bytes; made on first use if absent) [default: <data>/audit.key].
    /// Kept outside --data, whoever can write the database cannot read it to rewrite the trail.
    #[arg(long, env = "RENKEI_AUDIT_KEY", hide_env_values = true)]
    audit_key: Option<PathBuf>,
}

impl StateArgs {
    fn audit_key(&self) -> PathBuf {
        self.audit_key
            .clone()
            .unwrap_or_else(|| self.data.join(renkei_broker::audit::KEY_FILE))
    }
}

// Where the broker is and who is calling (a plain comment, as above).
#[derive(Args)]
pub struct ClientArgs {
    /// The broker's address, e.g. http://127.0.0.1:50051.
    #[arg(
        long,
        env = "RENKEI_ADDR",
        hide_env_values = true,
        default_value = "http://127.0.0.1:50051"
    )]
    addr: String,
    /// A file holding the caller's bearer token (owner-only, e.g. made with `(umask 077;
    /// renkei admin token-issue … > FILE)`): better than --token, which every user of the
    /// machine can read in the process list.
    #[arg(long, env = "RENKEI_TOKEN_FILE", hide_env_values = true)]
    token_file: Option<PathBuf>,
    /// The caller's bearer token; prefer --token-file or the environment.
    #[arg(long, env = "RENKEI_TOKEN", hide_env_values = true)]
    token: Option<String>,
    /// For an https:// address: the CA certificate (PEM) that signed the server's.
    #[arg(long, env = "RENKEI_CA_CERT", hide_env_values = true)]
    ca_cert: Option<PathBuf>,
    /// For a server that requires mutual TLS: this client's certificate (PEM)…
    #[arg(long, env = "RENKEI_CLIENT_CERT", hide_env_values = true, requires = "client_key")]
    client_cert: Option<PathBuf>,
    /// …and its private key (PEM).
    #[arg(long, env = "RENKEI_CLIENT_KEY", hide_env_values = true, requires = "client_cert")]
    client_key: Option<PathBuf>,
}

fn read_pem(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("reading {}", path.display()))
}

/// A connected client that sends the caller's token with every call.
struct Client {
    channel: Channel,
    token: MetadataValue<Ascii>,
}

impl Client {
    async fn connect(args: &ClientArgs) -> Result<Client> {
        let mut endpoint =
            Channel::from_shared(args.addr.clone()).with_context(|| format!("{} is not an address", args.addr))?;
        if args.addr.starts_with("https://") {
            let mut tls = ClientTlsConfig::new();
            if let Some(ca) = &args.ca_cert {
                tls = tls.ca_certificate(Certificate::from_pem(read_pem(ca)?));
            }
            if let (Some(cert), Some(key)) = (&args.client_cert, &args.client_key) {
                tls = tls.identity(Identity::from_pem(read_pem(cert)?, read_pem(key)?));
            }
            endpoint = endpoint.tls_config(tls).context("the TLS settings are not usable")?;
        } else if args.ca_cert.is_some() || args.client_cert.is_some() {
            bail!(
                "--ca-cert and --client-cert are for an https:// address, not {}",
                args.addr
            );
        }
        diagnose::remember_address(&args.addr, args.client_cert.is_some());
        let channel = match endpoint.connect().await {
            Ok(channel) => channel,
            Err(e) => {
                let context = match diagnose::explain(&e) {
                    Some(words) => format!("connecting to {}: {words}", args.addr),
                    None => format!("connecting to {}", args.addr),
                };
                return Err(anyhow::Error::new(e).context(context));
            }
        };
        let token = match (&args.token_file, &args.token) {
            (Some(file), None) => crate::token_file::read(file)?,
            (None, Some(token)) => token.clone(),
            (Some(_), Some(_)) => bail!(
                "both a token file (--token-file, RENKEI_TOKEN_FILE) and a token (--token, RENKEI_TOKEN) are given; give one"
            ),
            (None, None) => bail!("no token: give --token-file FILE (or RENKEI_TOKEN_FILE), or set RENKEI_TOKEN"),
        };
        let token = format!("Bearer {token}")
            .parse()
            .context("the token is not printable ASCII")?;
        Ok(Client { channel, token })
    }

    fn request<T>(&self, message: T) -> tonic::Request<T> {
        let mut r = tonic::Request::new(message);
        r.metadata_mut().insert("authorization", self.token.clone());
        r
    }

    fn research(&self) -> pb::research_service_client::ResearchServiceClient<Channel> {
        pb::research_service_client::ResearchServiceClient::new(self.channel.clone())
    }

    /// A review carries its whole checked output (see `MAX_REVIEW_BYTES`).
    fn steward(&self) -> pb::steward_service_client::StewardServiceClient<Channel> {
        pb::steward_service_client::StewardServiceClient::new(self.channel.clone())
            .max_decoding_message_size(renkei_proto::MAX_REVIEW_BYTES)
    }

    fn admin(&self) -> pb::admin_service_client::AdminServiceClient<Channel> {
        pb::admin_service_client::AdminServiceClient::new(self.channel.clone())
    }
}

/// A failed call as the error of its kind, read from the outcome the broker sends as
/// metadata (never from the message's text): a refusal as [`Refused`] (exit status 3), a
/// denial as [`Denied`] (4). A call that failed before the broker answered (no outcome)
/// says why in words where the cause is a usual one.
fn status_error(status: tonic::Status) -> anyhow::Error {
    use renkei_broker::error::{ErrorKind, OUTCOME_METADATA};
    let kind = status
        .metadata()
        .get(OUTCOME_METADATA)
        .map(|v| v.to_str().ok().and_then(ErrorKind::from_outcome));
    let message = status.message().to_string();
    match kind {
        // The message already says "refused: "; Refused says it once.
        Some(Some(ErrorKind::Refused)) => {
            Refused(message.strip_prefix("refused: ").unwrap_or(&message).to_string()).into()
        }
        Some(Some(ErrorKind::Unauthenticated | ErrorKind::PermissionDenied)) => Denied(message).into(),
        Some(_) => anyhow::anyhow!(message),
        None => {
            let mut chain = message;
            let mut cause = std::error::Error::source(&status);
            while let Some(c) = cause {
                let text = c.to_string();
                if !chain.contains(&text) {
                    chain = format!("{chain}: {text}");
                }
                cause = c.source();
            }
            let text = match diagnose::explain(&status) {
                Some(words) => format!("{words} ({chain})"),
                None => chain,
            };
            anyhow::anyhow!(text)
        }
    }
}

fn state_name(r: &pb::Request) -> &'static str {
    match r.state() {
        pb::RequestState::Unspecified => "unspecified",
        pb::RequestState::Submitted => "submitted",
        pb::RequestState::Checked => "checked",
        pb::RequestState::Refused => "refused",
        pb::RequestState::Approved => "approved",
        pb::RequestState::Rejected => "rejected",
        pb::RequestState::Released => "released",
    }
}

/// Asks for page after page (`fetch_page(after_id)`) and prints each, until the last: one
/// line per request on standard output (for scripts), the column names above them on
/// standard error (for people), and `none` there when there are none.
async fn print_every_page<F, Fut>(none: &str, mut fetch_page: F) -> Result<()>
where
    F: FnMut(u64) -> Fut,
    Fut: Future<Output = Result<tonic::Response<pb::ListRequestsResponse>, tonic::Status>>,
{
    let mut after_id = 0;
    let mut printed = 0;
    loop {
        let page = fetch_page(after_id).await.map_err(status_error)?.into_inner();
        if printed == 0 && !page.requests.is_empty() {
            eprintln!("id\tstate\tproject\trequester\ttitle");
        }
        printed += page.requests.len();
        print_list(&page.requests);
        if page.next_after_id == 0 {
            if printed == 0 {
                eprintln!("{none}");
            }
            return Ok(());
        }
        after_id = page.next_after_id;
    }
}

/// One line per request: id, state, project, requester, title.
fn print_list(requests: &[pb::Request]) {
    for r in requests {
        println!(
            "{}\t{}\t{}\t{}\t{}",
            r.id,
            state_name(r),
            r.project_id,
            r.requester,
            printable(&r.title).replace(['\n', '\t'], " ")
        );
    }
}

/// `text` safe to print to a steward's terminal: control characters (escape sequences could
/// rewrite or hide what is shown), bidirectional marks and overrides (which reorder it),
/// zero-width characters and Unicode line separators appear as `\u{…}`; line breaks and
/// tabs stay.
fn printable(text: &str) -> std::borrow::Cow<'_, str> {
    let unsafe_char = |c: char| {
        (c.is_control() && c != '\n' && c != '\t')
            || matches!(c, '\u{200b}'..='\u{200f}' | '\u{061c}' | '\u{2028}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{feff}')
    };
    if !text.chars().any(unsafe_char) {
        return std::borrow::Cow::Borrowed(text);
    }
    std::borrow::Cow::Owned(
        text.chars()
            .map(|c| {
                if unsafe_char(c) {
                    c.escape_unicode().to_string()
                } else {
                    c.to_string()
                }
            })
            .collect(),
    )
}

fn print_request(r: &pb::Request) {
    println!("request {} ({})", r.id, state_name(r));
    let fields = [
        ("project", &r.project_id),
        ("requester", &r.requester),
        ("title", &r.title),
        ("purpose", &r.purpose),
        ("submitted", &r.submitted_at),
        ("refusal", &r.refusal),
        ("reviewer", &r.reviewer),
        ("rejection reason", &r.rejection_reason),
        ("released by", &r.releaser),
        ("result hash", &r.result_hash),
    ];
    for (name, value) in fields {
        // One line each: a line break in a title or purpose could forge a line of its own.
        if !value.is_empty() {
            println!("{name}: {}", printable(value).replace(['\n', '\t'], " "));
        }
    }
    println!("sql:\n{}", printable(&r.sql));
}

#[cfg(test)]
mod tests {
    use super::printable;

    #[test]
    fn what_a_requester_wrote_cannot_drive_the_stewards_terminal() {
        assert_eq!(printable("SELECT 1\n\tFROM t"), "SELECT 1\n\tFROM t");
        assert_eq!(printable("a\u{1b}[2Kb"), "a\\u{1b}[2Kb");
        assert_eq!(printable("x\u{202e}y\ry"), "x\\u{202e}y\\u{d}y");
        assert_eq!(printable("a\u{200f}b\u{2028}"), "a\\u{200f}b\\u{2028}");
    }
}
