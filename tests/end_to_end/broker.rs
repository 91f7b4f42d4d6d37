//! The broker over real gRPC: a `renkei serve` process on a loopback port (port 0, the real
//! one read from its `listening on` line) over the sample warehouse, driven by tonic
//! clients generated from proto/ and by the `renkei` client commands.

use super::renkei;
use renkei_proto::v1 as pb;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use tonic::transport::Channel;
use tonic::{Code, Status};

fn repository() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The committed sample, ingested once for all broker tests.
pub(crate) fn warehouse() -> &'static Path {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    static WAREHOUSE: OnceLock<PathBuf> = OnceLock::new();
    WAREHOUSE.get_or_init(|| {
        let dir = DIR.get_or_init(|| tempfile::tempdir().expect("temp dir"));
        let key = renkei_pseudonymize::Key::from_bytes([7; 32]);
        let options = renkei_ingest::Options {
            input: repository().join("sample-data"),
            out: dir.path().join("warehouse"),
            progress: false,
        };
        renkei_ingest::ingest(&key, &options).expect("sample data ingests");
        dir.path().join("warehouse")
    })
}

/// Starts `renkei serve` on a free loopback port over `warehouse`; returns the child
/// process and the address it printed, and with `--http` among `serve_args`, also the
/// console's URL it printed.
pub(crate) fn spawn_server_over(warehouse: &Path, data: &Path, serve_args: &[&str]) -> (Child, String, Option<String>) {
    spawn_server_with(warehouse, data, serve_args, &Launch::default())
}

/// How a server process is started beyond its arguments.
#[derive(Default)]
pub(crate) struct Launch<'a> {
    /// More environment variables.
    pub(crate) env: &'a [(&'a str, &'a str)],
    /// Where its standard error goes (the test's own if absent).
    pub(crate) stderr: Option<&'a Path>,
}

/// As [`spawn_server_over`], started as `launch` says.
pub(crate) fn spawn_server_with(
    warehouse: &Path,
    data: &Path,
    serve_args: &[&str],
    launch: &Launch,
) -> (Child, String, Option<String>) {
    // A server writing to the tests' own stderr logs its warnings only: a line per call of
    // every test's servers would bury the tests' output (the level is the test's to choose
    // with `--log` where it reads the logs).
    let (stderr, level) = match launch.stderr {
        Some(path) => (
            Stdio::from(std::fs::File::create(path).expect("the server's stderr file")),
            "info",
        ),
        None => (Stdio::inherit(), "warn"),
    };
    let mut child = Command::new(env!("CARGO_BIN_EXE_renkei"))
        .args(["serve", "--listen", "127.0.0.1:0"])
        .env("RENKEI_LOG", level)
        .envs(launch.env.iter().copied())
        .stderr(stderr)
        .arg("--data")
        .arg(data)
        .arg("--warehouse")
        .arg(warehouse)
        .arg("--queries")
        .arg(repository().join("queries"))
        .args(serve_args)
        .stdout(Stdio::piped())
        .spawn()
        .expect("renkei serve starts");
    let mut stdout = BufReader::new(child.stdout.take().expect("piped stdout"));
    let mut printed = |prefix: &str| {
        let mut line = String::new();
        stdout.read_line(&mut line).expect("reads a line the server prints");
        line.trim()
            .strip_prefix(prefix)
            .unwrap_or_else(|| panic!("expected `{prefix}…`, got {line:?}"))
            .to_string()
    };
    let addr = printed("listening on ");
    let console = serve_args.contains(&"--http").then(|| printed("console on "));
    (child, addr, console)
}

/// A running `renkei serve`; killed when dropped.
pub(crate) struct Server {
    pub(crate) child: Child,
    pub(crate) addr: String,
    pub(crate) data: PathBuf,
    pub(crate) admin_token: String,
    /// The steward console's URL, when started with `--http`.
    pub(crate) console: Option<String>,
    _dir: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    /// Bootstraps an admin on a fresh data directory and starts the server.
    pub(crate) fn start() -> Server {
        Server::start_with("http", &[])
    }

    /// As [`Server::start`], with more `renkei serve` arguments; `scheme` is what clients
    /// put before the address the server prints.
    pub(crate) fn start_with(scheme: &str, serve_args: &[&str]) -> Server {
        Server::start_over(warehouse(), scheme, serve_args)
    }

    /// As [`Server::start_with`], over `warehouse`.
    pub(crate) fn start_over(warehouse: &Path, scheme: &str, serve_args: &[&str]) -> Server {
        Server::launch(warehouse, scheme, serve_args, &Launch::default())
    }

    /// As [`Server::start_with`] (plain HTTP/2), started as `launch` says.
    pub(crate) fn start_launched(serve_args: &[&str], launch: &Launch) -> Server {
        Server::launch(warehouse(), "http", serve_args, launch)
    }

    fn launch(warehouse: &Path, scheme: &str, serve_args: &[&str], launch: &Launch) -> Server {
        let dir = tempfile::tempdir().expect("temp dir");
        let data = dir.path().join("data");
        let data_arg = data.to_str().expect("utf-8 path");
        let o = renkei(&["admin", "bootstrap", "--data", data_arg]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let admin_token = String::from_utf8(o.stdout).expect("utf-8").trim().to_string();
        assert_eq!(admin_token.len(), 64, "a 256-bit token in hex");
        let again = renkei(&["admin", "bootstrap", "--data", data_arg]);
        assert!(
            !again.status.success(),
            "bootstrap works only on an empty data directory"
        );
        let (child, addr, console) = spawn_server_with(warehouse, &data, serve_args, launch);
        Server {
            child,
            addr: format!("{scheme}://{addr}"),
            data,
            admin_token,
            console,
            _dir: dir,
        }
    }

    /// `renkei audit verify` on this server's data directory.
    pub(crate) fn audit_verify(&self) -> std::process::Output {
        renkei(&["audit", "verify", "--data", self.data.to_str().expect("utf-8")])
    }

    /// The outcome the audit trail recorded for the newest release of request `id`.
    pub(crate) fn last_release_outcome(&self, id: u64) -> String {
        let db = rusqlite::Connection::open(self.data.join("broker.sqlite")).expect("opens");
        db.query_row(
            "SELECT outcome FROM audit WHERE action = 'release' AND request_id = ?1 ORDER BY seq DESC LIMIT 1",
            [id],
            |r| r.get(0),
        )
        .expect("the release is in the audit trail")
    }

    pub(crate) async fn connect(&self, token: &str) -> Client {
        let channel = Channel::from_shared(self.addr.clone())
            .expect("an address")
            .connect()
            .await
            .expect("connects");
        Client {
            channel,
            token: token.to_string(),
        }
    }

    /// Runs a `renkei` client command against this server with `token`.
    pub(crate) fn cli(&self, token: &str, args: &[&str]) -> std::process::Output {
        Command::new(env!("CARGO_BIN_EXE_renkei"))
            .args(args)
            .env("RENKEI_ADDR", &self.addr)
            .env("RENKEI_TOKEN", token)
            .output()
            .expect("renkei runs")
    }
}

/// One caller's gRPC clients.
pub(crate) struct Client {
    pub(crate) channel: Channel,
    pub(crate) token: String,
}

impl Client {
    pub(crate) fn req<T>(&self, message: T) -> tonic::Request<T> {
        let mut r = tonic::Request::new(message);
        let value = format!("Bearer {}", self.token).parse().expect("ascii token");
        r.metadata_mut().insert("authorization", value);
        r
    }

    pub(crate) fn research(&self) -> pb::research_service_client::ResearchServiceClient<Channel> {
        pb::research_service_client::ResearchServiceClient::new(self.channel.clone())
    }

    /// A review carries its whole checked output (see `MAX_REVIEW_BYTES`).
    pub(crate) fn steward(&self) -> pb::steward_service_client::StewardServiceClient<Channel> {
        pb::steward_service_client::StewardServiceClient::new(self.channel.clone())
            .max_decoding_message_size(renkei_proto::MAX_REVIEW_BYTES)
    }

    pub(crate) fn admin(&self) -> pb::admin_service_client::AdminServiceClient<Channel> {
        pb::admin_service_client::AdminServiceClient::new(self.channel.clone())
    }

    pub(crate) async fn submit(
        &self,
        project: &str,
        query: pb::submit_request_request::Query,
    ) -> Result<pb::Request, Status> {
        self.submit_titled(project, "care levels", "descriptive statistics", query)
            .await
    }

    pub(crate) async fn submit_titled(
        &self,
        project: &str,
        title: &str,
        purpose: &str,
        query: pb::submit_request_request::Query,
    ) -> Result<pb::Request, Status> {
        let message = pb::SubmitRequestRequest {
            project_id: project.into(),
            title: title.into(),
            purpose: purpose.into(),
            query: Some(query),
        };
        self.research()
            .submit_request(self.req(message))
            .await
            .map(|r| r.into_inner())
    }

    /// Reviews request `id` and approves the output the review showed.
    pub(crate) async fn approve(&self, id: u64) -> Result<pb::Request, Status> {
        let output_hash = self.output_hash(id).await?;
        self.approve_seen(id, &output_hash).await
    }

    /// The hash of the output a review of request `id` shows.
    pub(crate) async fn output_hash(&self, id: u64) -> Result<String, Status> {
        let review = self.steward().get_review(self.req(pb::GetReviewRequest { id })).await?;
        Ok(review.into_inner().output_hash)
    }

    /// Approves request `id` naming `output_hash` as the output seen.
    pub(crate) async fn approve_seen(&self, id: u64, output_hash: &str) -> Result<pb::Request, Status> {
        self.steward()
            .approve(self.req(pb::ApproveRequest {
                id,
                output_hash: output_hash.into(),
            }))
            .await
            .map(|r| r.into_inner())
    }

    pub(crate) async fn release(&self, id: u64) -> Result<pb::Request, Status> {
        self.steward()
            .release(self.req(pb::ReleaseRequest { id }))
            .await
            .map(|r| r.into_inner())
    }

    pub(crate) async fn reject(&self, id: u64, reason: &str) -> Result<pb::Request, Status> {
        let message = pb::RejectRequest {
            id,
            reason: reason.into(),
        };
        self.steward().reject(self.req(message)).await.map(|r| r.into_inner())
    }

    pub(crate) async fn get(&self, id: u64) -> Result<pb::Request, Status> {
        self.research()
            .get_request(self.req(pb::GetRequestRequest { id }))
            .await
            .map(|r| r.into_inner())
    }

    /// Every request of `project` the caller sees, page by page (default page size).
    pub(crate) async fn list_all(&self, project: &str) -> Result<Vec<pb::Request>, Status> {
        let mut all = Vec::new();
        let mut after_id = 0;
        loop {
            let page = self
                .research()
                .list_requests(self.req(pb::ListRequestsRequest {
                    project_id: project.into(),
                    after_id,
                    ..Default::default()
                }))
                .await?
                .into_inner();
            assert!(page.requests.len() <= 100, "a page holds at most the default size");
            all.extend(page.requests);
            if page.next_after_id == 0 {
                return Ok(all);
            }
            after_id = page.next_after_id;
        }
    }

    /// The whole FetchResult stream.
    pub(crate) async fn fetch(&self, id: u64) -> Result<Vec<pb::FetchResultResponse>, Status> {
        let mut stream = self
            .research()
            .fetch_result(self.req(pb::FetchResultRequest { id }))
            .await?
            .into_inner();
        let mut messages = Vec::new();
        while let Some(m) = stream.message().await? {
            messages.push(m);
        }
        Ok(messages)
    }

    pub(crate) async fn revoke_token(&self, token_id: u64) -> Result<pb::RevokeTokenResponse, Status> {
        self.admin()
            .revoke_token(self.req(pb::RevokeTokenRequest { token_id }))
            .await
            .map(|r| r.into_inner())
    }

    pub(crate) async fn issue_token(&self, user: &str, valid_seconds: u64) -> pb::IssueTokenResponse {
        self.admin()
            .issue_token(self.req(pb::IssueTokenRequest {
                user_id: user.into(),
                valid_seconds,
            }))
            .await
            .expect("admin issues a token")
            .into_inner()
    }
}

pub(crate) fn named(name: &str) -> pb::submit_request_request::Query {
    pb::submit_request_request::Query::NamedQuery(name.into())
}

pub(crate) fn sql(text: &str) -> pb::submit_request_request::Query {
    pb::submit_request_request::Query::Sql(text.into())
}

/// The status code of a call that must fail.
#[track_caller]
pub(crate) fn denied<T: std::fmt::Debug>(result: Result<T, Status>, code: Code) -> String {
    match result {
        Err(status) => {
            assert_eq!(status.code(), code, "{}", status.message());
            status.message().to_string()
        }
        Ok(v) => panic!("expected {code:?}, got {v:?}"),
    }
}

/// A server with projects and users, and a client per user:
/// - `p-all` (NDB, 介護DB, DPC): researcher `sato`, steward `tanaka` (who can submit too);
/// - `p-ndb` (NDB only): researcher `suzuki`;
/// - `p-over` (approval period over): researcher `sato`;
/// - steward `kato`, member of nothing, assigned to review all three; `tanaka` reviews `p-all`;
/// - analyst `ito` (Flight SQL), member of `p-all` and `p-ndb`.
pub(crate) struct World {
    pub(crate) server: Server,
    pub(crate) admin: Client,
    pub(crate) sato: Client,
    pub(crate) suzuki: Client,
    pub(crate) tanaka: Client,
    pub(crate) kato: Client,
    pub(crate) ito: Client,
}

pub(crate) async fn world() -> World {
    world_on(Server::start()).await
}

/// The same world on a server started as the caller wants.
pub(crate) async fn world_on(server: Server) -> World {
    let admin = server.connect(&server.admin_token).await;
    let projects = [
        (
            "p-all",
            vec![pb::Dataset::Ndb, pb::Dataset::Kaigo, pb::Dataset::Dpc],
            "2000-01-01",
            "2999-12-31",
        ),
        ("p-ndb", vec![pb::Dataset::Ndb], "2000-01-01", "2999-12-31"),
        ("p-over", vec![pb::Dataset::Kaigo], "2001-04-01", "2002-03-31"),
    ];
    for (id, datasets, start, end) in projects {
        let project = pb::Project {
            id: id.into(),
            title: format!("study {id}"),
            approved_purpose: "care needs of older people".into(),
            datasets: datasets.into_iter().map(i32::from).collect(),
            approval_start: start.into(),
            approval_end: end.into(),
        };
        admin
            .admin()
            .create_project(admin.req(pb::CreateProjectRequest { project: Some(project) }))
            .await
            .expect("admin creates a project");
    }
    let users = [
        ("sato", pb::Role::Researcher, vec!["p-all", "p-over"]),
        ("suzuki", pb::Role::Researcher, vec!["p-ndb"]),
        ("tanaka", pb::Role::Steward, vec!["p-all"]),
        ("kato", pb::Role::Steward, vec![]),
        ("ito", pb::Role::Analyst, vec!["p-all", "p-ndb"]),
    ];
    let mut clients = Vec::new();
    for (id, role, projects) in users {
        let user = pb::User {
            id: id.into(),
            role: role.into(),
            project_ids: projects.into_iter().map(String::from).collect(),
        };
        admin
            .admin()
            .create_user(admin.req(pb::CreateUserRequest { user: Some(user) }))
            .await
            .expect("admin creates a user");
        let token = admin.issue_token(id, 3600).await.token;
        clients.push(server.connect(&token).await);
    }
    for (steward, project) in [
        ("kato", "p-all"),
        ("kato", "p-ndb"),
        ("kato", "p-over"),
        ("tanaka", "p-all"),
    ] {
        admin
            .admin()
            .assign_steward(admin.req(pb::AssignStewardRequest {
                user_id: steward.into(),
                project_id: project.into(),
            }))
            .await
            .expect("admin assigns a steward");
    }
    let mut clients = clients.into_iter();
    let mut next = || clients.next().expect("one client per user");
    World {
        sato: next(),
        suzuki: next(),
        tanaka: next(),
        kato: next(),
        ito: next(),
        admin,
        server,
    }
}

#[tokio::test]
async fn a_request_goes_from_submission_through_review_and_release_to_fetch() {
    let w = world().await;
    let submitted = w
        .sato
        .submit("p-all", named("ltc_users_by_care_level_and_sex"))
        .await
        .expect("a checked query is accepted");
    assert_eq!(submitted.state(), pb::RequestState::Checked);
    assert_eq!(submitted.requester, "sato");
    assert!(
        submitted.sql.contains("kaigo_claims"),
        "the named query's text is stored"
    );
    let id = submitted.id;

    let pending = w
        .kato
        .steward()
        .list_pending(w.kato.req(pb::ListPendingRequest::default()))
        .await
        .expect("a steward lists pending requests")
        .into_inner();
    assert!(pending.requests.iter().any(|r| r.id == id));

    let review = w
        .kato
        .steward()
        .get_review(w.kato.req(pb::GetReviewRequest { id }))
        .await
        .expect("a steward reviews")
        .into_inner();
    assert_eq!(review.request.as_ref().map(|r| r.requester.as_str()), Some("sato"));
    assert!(review.checked_table.contains("care_level"), "{}", review.checked_table);
    assert!(review.report_json.contains("\"summary\""), "{}", review.report_json);
    assert!(!review.checked_arrow.is_empty());

    let approved = w.kato.approve(id).await.expect("another steward approves");
    assert_eq!(approved.state(), pb::RequestState::Approved);
    assert_eq!(approved.reviewer, "kato");
    let released = w.kato.release(id).await.expect("the steward releases");
    assert_eq!(released.state(), pb::RequestState::Released);
    assert_eq!(released.result_hash.len(), 64);
    assert_eq!(
        w.sato.get(id).await.expect("status").state(),
        pb::RequestState::Released
    );

    // The stream: a header with schema and report, then record batches that together with
    // the schema form an Arrow IPC stream.
    let messages = w.sato.fetch(id).await.expect("a released result is fetched");
    let mut ipc = Vec::new();
    let mut parts = messages.into_iter().map(|m| m.part.expect("a part"));
    match parts.next() {
        Some(pb::fetch_result_response::Part::Header(h)) => {
            assert!(h.report_json.contains("\"policy\""));
            ipc.extend_from_slice(&h.arrow_schema);
        }
        other => panic!("the first message must be the header, got {other:?}"),
    }
    for part in parts {
        match part {
            pb::fetch_result_response::Part::ArrowBatch(bytes) => ipc.extend_from_slice(&bytes),
            other => panic!("after the header only batches, got {other:?}"),
        }
    }
    let reader = datafusion::arrow::ipc::reader::StreamReader::try_new(ipc.as_slice(), None).expect("IPC schema");
    let names: Vec<String> = reader.schema().fields().iter().map(|f| f.name().clone()).collect();
    assert_eq!(names, ["care_level", "sex", "persons"]);
    let rows: usize = reader.map(|b| b.expect("IPC batch").num_rows()).sum();
    assert!(rows > 0);

    // The same through the `renkei` client commands.
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("result.csv");
    let o = w.server.cli(
        &w.sato.token,
        &[
            "request",
            "fetch",
            &id.to_string(),
            "--out",
            out.to_str().expect("utf-8"),
        ],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let csv = std::fs::read_to_string(&out).expect("the CSV is written");
    assert_eq!(csv.lines().next(), Some("care_level,sex,persons"));
    assert_eq!(csv.lines().count(), rows + 1);
    let o = w.server.cli(&w.sato.token, &["request", "list"]);
    assert!(String::from_utf8_lossy(&o.stdout).contains(&format!("{id}\treleased\tp-all\tsato")));

    let o = w.server.audit_verify();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stdout).contains("audit trail intact"));
}

#[tokio::test]
async fn the_server_enforces_every_rule() {
    let w = world().await;
    let checked = w
        .sato
        .submit("p-all", named("ltc_users_by_care_level_and_sex"))
        .await
        .expect("accepted");
    let id = checked.id;

    // Wrong role: a researcher cannot review or administer, a steward cannot administer,
    // an admin cannot submit.
    denied(w.sato.approve(id).await, Code::PermissionDenied);
    let project = pb::Project {
        id: "p-mine".into(),
        ..Default::default()
    };
    let attempt = w
        .kato
        .admin()
        .create_project(w.kato.req(pb::CreateProjectRequest { project: Some(project) }))
        .await;
    denied(attempt, Code::PermissionDenied);
    denied(
        w.admin.submit("p-all", named("ltc_users_by_care_level_and_sex")).await,
        Code::PermissionDenied,
    );

    // Another project's request does not exist for suzuki; nor can he submit under p-all.
    denied(w.suzuki.get(id).await, Code::NotFound);
    denied(w.suzuki.fetch(id).await, Code::NotFound);
    let theirs = w
        .suzuki
        .research()
        .list_requests(w.suzuki.req(pb::ListRequestsRequest::default()))
        .await
        .expect("lists")
        .into_inner();
    assert!(theirs.requests.is_empty());
    denied(
        w.suzuki.submit("p-all", named("ltc_users_by_care_level_and_sex")).await,
        Code::PermissionDenied,
    );

    // A dataset not granted: for an NDB-only project the 介護DB tables do not exist.
    let message = denied(
        w.suzuki.submit("p-ndb", named("ltc_users_by_care_level_and_sex")).await,
        Code::InvalidArgument,
    );
    assert!(message.contains("kaigo_claims"), "{message}");
    let listed = w
        .suzuki
        .research()
        .list_requests(w.suzuki.req(pb::ListRequestsRequest::default()))
        .await
        .expect("lists")
        .into_inner();
    assert_eq!(listed.requests.len(), 1);
    assert_eq!(listed.requests[0].state(), pb::RequestState::Refused);

    // Disclosure control's refusal; the approval period.
    let message = denied(
        w.sato.submit("p-all", sql("SELECT * FROM ndb_claims")).await,
        Code::FailedPrecondition,
    );
    assert!(message.starts_with("refused:"), "{message}");
    let message = denied(
        w.sato.submit("p-over", named("ltc_users_by_care_level_and_sex")).await,
        Code::FailedPrecondition,
    );
    assert!(message.contains("approved from 2001-04-01 to 2002-03-31"), "{message}");

    // Fetch before release, at every stage before it.
    denied(w.sato.fetch(id).await, Code::FailedPrecondition);
    w.kato.approve(id).await.expect("approved");
    denied(w.sato.fetch(id).await, Code::FailedPrecondition);

    // Self-approval and self-release: tanaka is a steward and a member of p-all.
    let own = w
        .tanaka
        .submit("p-all", named("ltc_users_by_care_level_and_sex"))
        .await
        .expect("a steward who is a member submits");
    denied(w.tanaka.approve(own.id).await, Code::PermissionDenied);
    w.kato.approve(own.id).await.expect("another steward approves");
    denied(w.tanaka.release(own.id).await, Code::PermissionDenied);

    // A rejection needs a reason; a rejected result is never fetched.
    denied(w.kato.reject(own.id, " ").await, Code::InvalidArgument);
    w.kato.reject(own.id, "cells too small").await.expect("rejected");
    denied(w.tanaka.fetch(own.id).await, Code::FailedPrecondition);
    denied(w.kato.release(own.id).await, Code::FailedPrecondition);

    // Tokens: none, expired, revoked.
    let anonymous = Client {
        channel: w.sato.channel.clone(),
        token: String::new(),
    };
    denied(anonymous.get(id).await, Code::Unauthenticated);
    let short = w.admin.issue_token("sato", 1).await;
    let short_lived = w.server.connect(&short.token).await;
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    let message = denied(short_lived.get(id).await, Code::Unauthenticated);
    assert!(message.contains("expired"), "{message}");
    let issued = w.admin.issue_token("sato", 3600).await;
    let revocable = w.server.connect(&issued.token).await;
    revocable.get(id).await.expect("a fresh token works");
    w.admin.revoke_token(issued.token_id).await.expect("revoked");
    let message = denied(revocable.get(id).await, Code::Unauthenticated);
    assert!(message.contains("revoked"), "{message}");

    // The denials are in the audit trail too, and it verifies.
    let conn = rusqlite::Connection::open(w.server.data.join("broker.sqlite")).expect("opens");
    let denials: i64 = conn
        .query_row(
            "SELECT count(*) FROM audit WHERE outcome IN ('permission_denied', 'unauthenticated', 'not_found')",
            [],
            |r| r.get(0),
        )
        .expect("counts");
    assert!(denials >= 10, "{denials} denials recorded");
    let o = w.server.audit_verify();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

#[tokio::test]
async fn audit_verify_names_an_edited_or_deleted_entry() {
    let w = world().await;
    w.sato
        .submit("p-all", named("ltc_users_by_care_level_and_sex"))
        .await
        .expect("accepted");
    let data = w.server.data.clone();
    let verify = || w.server.audit_verify();
    let o = verify();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));

    let conn = rusqlite::Connection::open(data.join("broker.sqlite")).expect("opens");
    let original: String = conn
        .query_row("SELECT user FROM audit WHERE seq = 3", [], |r| r.get(0))
        .expect("entry 3");
    conn.execute("UPDATE audit SET user = 'mallory' WHERE seq = 3", [])
        .expect("edits");
    let o = verify();
    assert!(!o.status.success());
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(stderr.contains("audit entry 3 is broken"), "{stderr}");

    conn.execute("UPDATE audit SET user = ?1 WHERE seq = 3", [&original])
        .expect("restores");
    assert!(verify().status.success(), "restored, the chain verifies again");
    conn.execute("DELETE FROM audit WHERE seq = 5", []).expect("deletes");
    let o = verify();
    assert!(!o.status.success());
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(stderr.contains("audit entry 5 is broken"), "{stderr}");
}

#[tokio::test]
async fn listings_come_in_pages() {
    let w = world().await;
    let mut ids = Vec::new();
    for _ in 0..3 {
        let r = w
            .sato
            .submit("p-all", named("ltc_users_by_care_level_and_sex"))
            .await
            .expect("accepted");
        ids.push(r.id);
    }
    let page = |after_id: u64| pb::ListRequestsRequest {
        project_id: "p-all".into(),
        page_size: 2,
        after_id,
    };
    let first = w
        .sato
        .research()
        .list_requests(w.sato.req(page(0)))
        .await
        .expect("first page")
        .into_inner();
    let first_ids: Vec<u64> = first.requests.iter().map(|r| r.id).collect();
    assert_eq!(first_ids, ids[..2]);
    assert_eq!(first.next_after_id, ids[1]);
    let second = w
        .sato
        .research()
        .list_requests(w.sato.req(page(first.next_after_id)))
        .await
        .expect("second page")
        .into_inner();
    let second_ids: Vec<u64> = second.requests.iter().map(|r| r.id).collect();
    assert_eq!(second_ids, ids[2..]);
    assert_eq!(second.next_after_id, 0, "the last page says so");
    let pending = w
        .kato
        .steward()
        .list_pending(w.kato.req(pb::ListPendingRequest {
            page_size: 1,
            after_id: 0,
        }))
        .await
        .expect("pending")
        .into_inner();
    assert_eq!(pending.requests.len(), 1);
    assert_eq!(pending.next_after_id, ids[0]);
    // The client command walks every page.
    let o = w.server.cli(&w.sato.token, &["request", "list", "--project", "p-all"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(String::from_utf8_lossy(&o.stdout).lines().count(), 3);
}
