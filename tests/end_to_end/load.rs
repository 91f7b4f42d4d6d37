//! The broker under load, over real gRPC against a `renkei serve` process:
//!
//! - 50 clients, each on its own channel (its own HTTP/2 connection) and with its own
//!   researcher identity in `p-all`, submit a cheap study query and poll for
//!   `RENKEI_LOAD_SECONDS` (default 60) seconds; every call must succeed;
//! - `FetchResult` throughput for a large released result, on a second server over a
//!   warehouse generated here.
//!
//! Both print a Markdown table on stdout (`cargo test -p renkei-cli --test end_to_end load
//! -- --nocapture`). The two tests take one lock so that neither measures the other.

use super::broker::{Client, Server, named, sql, world};
use super::renkei;
use renkei_proto::v1 as pb;
use std::path::Path;
use std::time::{Duration, Instant};

/// Held by each test for its whole run: the measurements are of one test at a time.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

const CLIENTS: usize = 50;
/// The cheap study query every client submits.
const STUDY_QUERY: &str = "ltc_users_by_care_level_and_sex";
/// `GetRequest` calls after each submission (then one `ListRequests`).
const GETS_PER_SUBMIT: usize = 3;
/// CPU seconds (user + system) a process has used so far, from `/proc` (Linux, 100 ticks
/// a second); `None` elsewhere.
fn cpu_seconds(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name (which is in parentheses): state is field 3, utime 14.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    Some(ticks as f64 / 100.0)
}

/// The peak resident memory of a process in MB, from `/proc` (Linux); `None` elsewhere.
fn peak_memory_mb(pid: u32) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024.0 / 1e6)
}

fn env_number(name: &str, default: u64) -> u64 {
    match std::env::var(name) {
        Ok(v) => v
            .parse()
            .unwrap_or_else(|_| panic!("{name} must be a whole number, got {v:?}")),
        Err(_) => default,
    }
}

/// Nearest-rank percentile of sorted durations, in milliseconds.
fn percentile_ms(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1].as_secs_f64() * 1000.0
}

/// What one simulated client did.
#[derive(Default)]
struct Tally {
    /// When each submission was answered.
    submitted_at: Vec<Instant>,
    submit: Vec<Duration>,
    get: Vec<Duration>,
    list: Vec<Duration>,
}

/// One client's loop until `until`: submit, then poll. The first failed call ends it with
/// a message naming the call and its status.
async fn run_client(n: usize, client: Client, until: Instant) -> Result<Tally, String> {
    let mut tally = Tally::default();
    let fail = |call: &str, status: tonic::Status| format!("client {n}: {call} failed: {status:?}");
    let mut research = client.research();
    while Instant::now() < until {
        let start = Instant::now();
        let submitted = client
            .submit("p-all", named(STUDY_QUERY))
            .await
            .map_err(|s| fail("SubmitRequest", s))?;
        tally.submit.push(start.elapsed());
        tally.submitted_at.push(Instant::now());
        if submitted.state() != pb::RequestState::Checked {
            return Err(format!(
                "client {n}: request {} is {:?}",
                submitted.id,
                submitted.state()
            ));
        }
        for _ in 0..GETS_PER_SUBMIT {
            let start = Instant::now();
            let got = client.get(submitted.id).await.map_err(|s| fail("GetRequest", s))?;
            tally.get.push(start.elapsed());
            if got.id != submitted.id || got.state() != pb::RequestState::Checked {
                return Err(format!("client {n}: GetRequest {} answered {got:?}", submitted.id));
            }
        }
        let start = Instant::now();
        let listed = research
            .list_requests(client.req(pb::ListRequestsRequest {
                project_id: "p-all".into(),
                // The page that starts at its own request.
                after_id: submitted.id - 1,
                page_size: 10,
            }))
            .await
            .map_err(|s| fail("ListRequests", s))?
            .into_inner();
        tally.list.push(start.elapsed());
        if !listed.requests.iter().any(|r| r.id == submitted.id) {
            return Err(format!("client {n}: its request {} is not listed", submitted.id));
        }
    }
    Ok(tally)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_clients_submit_and_poll_for_a_minute_without_error() {
    let _alone = ONE_AT_A_TIME.lock().await;
    let seconds = env_number("RENKEI_LOAD_SECONDS", 60);
    let w = world().await;

    // One researcher of p-all per client, each with a token and a channel of its own.
    let mut clients = Vec::with_capacity(CLIENTS);
    for n in 0..CLIENTS {
        let id = format!("load-{n:02}");
        let user = pb::User {
            id: id.clone(),
            role: pb::Role::Researcher.into(),
            project_ids: vec!["p-all".into()],
        };
        w.admin
            .admin()
            .create_user(w.admin.req(pb::CreateUserRequest { user: Some(user) }))
            .await
            .expect("admin creates a researcher");
        let token = w.admin.issue_token(&id, 3600).await.token;
        clients.push(w.server.connect(&token).await);
    }

    let server_pid = w.server.child.id();
    let cpu_before = (cpu_seconds(server_pid), cpu_seconds(std::process::id()));
    let start = Instant::now();
    let until = start + Duration::from_secs(seconds);
    let tasks: Vec<_> = clients
        .into_iter()
        .enumerate()
        .map(|(n, client)| tokio::spawn(run_client(n, client, until)))
        .collect();
    let mut all = Tally::default();
    let mut errors = Vec::new();
    for task in tasks {
        match task.await.expect("a client task does not panic") {
            Ok(t) => {
                all.submitted_at.extend(t.submitted_at);
                all.submit.extend(t.submit);
                all.get.extend(t.get);
                all.list.extend(t.list);
            }
            Err(e) => errors.push(e),
        }
    }
    let elapsed = start.elapsed().as_secs_f64();
    let cpu_after = (cpu_seconds(server_pid), cpu_seconds(std::process::id()));
    assert!(
        errors.is_empty(),
        "{} clients failed:\n{}",
        errors.len(),
        errors.join("\n")
    );

    let submits = all.submit.len();
    let polls = all.get.len() + all.list.len();
    let calls = submits + polls;
    let mut poll: Vec<Duration> = all.get.iter().chain(&all.list).copied().collect();
    for v in [&mut all.submit, &mut all.get, &mut all.list, &mut poll] {
        v.sort();
    }
    let row = |name: &str, v: &[Duration]| {
        format!(
            "| {name} | {} | {:.1} | {:.1} | {:.1} | {:.1} |",
            v.len(),
            v.len() as f64 / elapsed,
            percentile_ms(v, 50.0),
            percentile_ms(v, 99.0),
            v.last().map_or(0.0, |d| d.as_secs_f64() * 1000.0),
        )
    };
    println!();
    println!(
        "Load: {CLIENTS} clients (own channel, own researcher token), {seconds} s asked, {elapsed:.1} s run; \
         each loop: SubmitRequest({STUDY_QUERY}), {GETS_PER_SUBMIT} × GetRequest, 1 × ListRequests(p-all)"
    );
    println!();
    println!("| clients | seconds | submits | polls | calls | calls/s | submits/s | errors |");
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|");
    println!(
        "| {CLIENTS} | {elapsed:.1} | {submits} | {polls} | {calls} | {:.1} | {:.1} | 0 |",
        calls as f64 / elapsed,
        submits as f64 / elapsed
    );
    println!();
    println!("| call | count | per s | p50 ms | p99 ms | max ms |");
    println!("|---|---:|---:|---:|---:|---:|");
    println!("{}", row("SubmitRequest", &all.submit));
    println!("{}", row("poll (Get + List)", &poll));
    println!("{}", row("GetRequest", &all.get));
    println!("{}", row("ListRequests", &all.list));
    if let Some(peak) = peak_memory_mb(server_pid) {
        println!();
        println!("server's peak resident memory: {peak:.0} MB");
    }
    // Throughput over time: ListRequests answers grow with every submission.
    let windows: Vec<String> = (0..seconds.div_ceil(10))
        .map(|i| {
            let (from, to) = (Duration::from_secs(i * 10), Duration::from_secs((i + 1) * 10));
            let n = all
                .submitted_at
                .iter()
                .filter(|t| (from..to).contains(&t.duration_since(start)))
                .count();
            format!("{n}")
        })
        .collect();
    println!();
    println!("submissions per 10 s window: {}", windows.join(", "));
    if let ((Some(s0), Some(c0)), (Some(s1), Some(c1))) = (cpu_before, cpu_after) {
        println!(
            "CPU during the run: server {:.1} s ({:.2} cores), test process with the clients {:.1} s ({:.2} cores)",
            s1 - s0,
            (s1 - s0) / elapsed,
            c1 - c0,
            (c1 - c0) / elapsed
        );
    }

    // Every successful submission, and nothing else, is in p-all: sato, a member who
    // submitted nothing here, sees them all, checked.
    let listed = w.sato.list_all("p-all").await.expect("sato lists p-all");
    assert_eq!(listed.len(), submits, "requests listed = successful submissions");
    assert!(listed.iter().all(|r| r.state() == pb::RequestState::Checked));
    let o = w.server.audit_verify();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    println!();
    println!("audit verify: {}", String::from_utf8_lossy(&o.stdout).trim());
}

/// Payload bytes of one `FetchResult` stream (schema, report, batches) and the stream as
/// Arrow IPC.
fn payload(messages: &[pb::FetchResultResponse]) -> (usize, Vec<u8>) {
    let mut bytes = 0;
    let mut ipc = Vec::new();
    for m in messages {
        match m.part.as_ref().expect("a part") {
            pb::fetch_result_response::Part::Header(h) => {
                bytes += h.arrow_schema.len() + h.report_json.len();
                ipc.extend_from_slice(&h.arrow_schema);
            }
            pb::fetch_result_response::Part::ArrowBatch(b) => {
                bytes += b.len();
                ipc.extend_from_slice(b);
            }
        }
    }
    (bytes, ipc)
}

/// A fine-grained count over NDB claims: one row per (month, facility, sex, age, setting,
/// insurer kind), about 15 rows per synthetic person.
const LARGE_QUERY: &str = "SELECT claim_month, facility_id, sex, age, setting, insurer_kind, \
     count(*) AS claims FROM ndb_claims \
     GROUP BY claim_month, facility_id, sex, age, setting, insurer_kind";

/// Why not the committed sample and the default policy: under the NDB / 介護DB rules
/// (10 persons, 3 facilities per cell) the synthetic code lists are short, so even a
/// 20,000-person warehouse releases at most a few thousand rows (tens of kB) for any
/// grouping; the 2,000-person sample under a 1-person policy gives ~8,000 rows (~0.4 MB).
/// So this test generates a warehouse (`RENKEI_LOAD_PERSONS`, default 6,000: ~92,000
/// released rows, ~5 MB of Arrow IPC) and serves it under a policy of `min_persons = 1`,
/// `min_entities = 1`, under which every row of `LARGE_QUERY` is released. Measured on
/// 2 cores: synth + ingest 7–12 s; each check of the query (at submission and again at
/// release) 1–4 s, with the server peaking at ~2 GB resident (a distinct-person set per
/// cell); the whole test ~25 s.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fetch_result_streams_a_large_released_result() {
    let _alone = ONE_AT_A_TIME.lock().await;
    let persons = env_number("RENKEI_LOAD_PERSONS", 6000);
    let fetches = env_number("RENKEI_LOAD_FETCHES", 5).max(1) as usize;
    let dir = tempfile::tempdir().expect("temp dir");
    let path = |name: &str| dir.path().join(name).to_str().expect("utf-8").to_string();

    let start = Instant::now();
    let persons_arg = persons.to_string();
    let (input, key, warehouse) = (path("input"), path("steward.key"), path("warehouse"));
    for args in [
        &["synth", "--persons", &persons_arg, "--seed", "11", "--out", &input][..],
        &["keygen", "--out", &key],
        &["ingest", "--key", &key, "--input", &input, "--out", &warehouse],
    ] {
        let o = renkei(args);
        assert!(o.status.success(), "{args:?}: {}", String::from_utf8_lossy(&o.stderr));
    }
    let build = start.elapsed().as_secs_f64();
    let policy = dir.path().join("one-person.toml");
    std::fs::write(
        &policy,
        "version = \"load-test-one-person\"\nmin_persons = 1\nmin_entities = 1\n",
    )
    .expect("writes the policy");
    let server = Server::start_over(
        Path::new(&warehouse),
        "http",
        &["--policy", policy.to_str().expect("utf-8")],
    );

    let admin = server.connect(&server.admin_token).await;
    let project = pb::Project {
        id: "p-all".into(),
        title: "study p-all".into(),
        approved_purpose: "claims by facility and month".into(),
        datasets: [pb::Dataset::Ndb, pb::Dataset::Kaigo, pb::Dataset::Dpc]
            .into_iter()
            .map(i32::from)
            .collect(),
        approval_start: "2000-01-01".into(),
        approval_end: "2999-12-31".into(),
    };
    admin
        .admin()
        .create_project(admin.req(pb::CreateProjectRequest { project: Some(project) }))
        .await
        .expect("admin creates a project");
    let mut tokens = Vec::new();
    for (id, role, projects) in [
        ("sato", pb::Role::Researcher, vec!["p-all".to_string()]),
        ("kato", pb::Role::Steward, vec![]),
    ] {
        let user = pb::User {
            id: id.into(),
            role: role.into(),
            project_ids: projects,
        };
        admin
            .admin()
            .create_user(admin.req(pb::CreateUserRequest { user: Some(user) }))
            .await
            .expect("admin creates a user");
        tokens.push(admin.issue_token(id, 3600).await.token);
    }
    admin
        .admin()
        .assign_steward(admin.req(pb::AssignStewardRequest {
            user_id: "kato".into(),
            project_id: "p-all".into(),
        }))
        .await
        .expect("admin assigns the steward");
    let sato = server.connect(&tokens[0]).await;
    let kato = server.connect(&tokens[1]).await;

    let t = Instant::now();
    let submitted = sato.submit("p-all", sql(LARGE_QUERY)).await.expect("checked");
    let submit_s = t.elapsed().as_secs_f64();
    assert_eq!(submitted.state(), pb::RequestState::Checked, "{}", submitted.refusal);
    let id = submitted.id;
    kato.approve(id).await.expect("kato approves");
    let t = Instant::now();
    let released = kato.release(id).await.expect("kato releases");
    let release_s = t.elapsed().as_secs_f64();
    assert_eq!(released.state(), pb::RequestState::Released);

    // Sequential fetches, each stream received whole.
    let mut times = Vec::new();
    let mut first = None;
    for _ in 0..fetches {
        let t = Instant::now();
        let messages = sato.fetch(id).await.expect("a released result is fetched");
        times.push(t.elapsed());
        first.get_or_insert(messages);
    }
    let messages = first.expect("at least one fetch");
    let (bytes, ipc) = payload(&messages);
    let reader = datafusion::arrow::ipc::reader::StreamReader::try_new(ipc.as_slice(), None).expect("IPC schema");
    let rows: usize = reader.map(|b| b.expect("IPC batch").num_rows()).sum();
    let header = match messages[0].part.as_ref() {
        Some(pb::fetch_result_response::Part::Header(h)) => h,
        other => panic!("the first message must be the header, got {other:?}"),
    };
    let report: serde_json::Value = serde_json::from_str(&header.report_json).expect("report JSON");
    assert_eq!(
        report["summary"]["rows"].as_u64(),
        Some(rows as u64),
        "every released row arrives"
    );
    assert!(rows > 1000, "a large result: {rows} rows");

    // Concurrent fetches, one channel each.
    const PARALLEL: usize = 4;
    let mut parallel_clients = Vec::new();
    for _ in 0..PARALLEL {
        parallel_clients.push(server.connect(&tokens[0]).await);
    }
    let t = Instant::now();
    let streams: Vec<_> = parallel_clients
        .into_iter()
        .map(|c| tokio::spawn(async move { c.fetch(id).await.map(|m| payload(&m).0) }))
        .collect();
    let mut parallel_bytes = 0;
    for s in streams {
        parallel_bytes += s.await.expect("no panic").expect("a concurrent fetch");
    }
    let parallel_s = t.elapsed().as_secs_f64();

    times.sort();
    let median = times[(times.len() - 1) / 2].as_secs_f64();
    let best = times[0].as_secs_f64();
    let mb = bytes as f64 / 1e6;
    println!();
    println!(
        "FetchResult: {persons} synthetic persons, policy min_persons = 1, min_entities = 1; \
         query: one row per (month, facility, sex, age, setting, insurer kind)"
    );
    println!();
    println!("| measure | value |");
    println!("|---|---:|");
    println!("| warehouse build (synth + keygen + ingest) | {build:.1} s |");
    println!("| SubmitRequest (check run) | {submit_s:.1} s |");
    println!("| Release (re-run and re-check) | {release_s:.1} s |");
    println!("| released rows | {rows} |");
    println!("| bytes streamed per fetch (schema + report + batches) | {bytes} ({mb:.2} MB) |");
    println!("| messages per fetch | {} |", messages.len());
    println!("| sequential fetches | {fetches} |");
    println!(
        "| fetch time, median / best | {:.0} ms / {:.0} ms |",
        median * 1e3,
        best * 1e3
    );
    println!(
        "| throughput, median fetch | {:.1} MB/s, {:.0} rows/s |",
        mb / median,
        rows as f64 / median
    );
    println!(
        "| throughput, best fetch | {:.1} MB/s, {:.0} rows/s |",
        mb / best,
        rows as f64 / best
    );
    println!(
        "| {PARALLEL} concurrent fetches (own channels) | {:.0} ms, {:.1} MB/s, {:.0} rows/s in all |",
        parallel_s * 1e3,
        parallel_bytes as f64 / 1e6 / parallel_s,
        (PARALLEL * rows) as f64 / parallel_s
    );
    if let Some(peak) = peak_memory_mb(server.child.id()) {
        println!("| server's peak resident memory | {peak:.0} MB |");
    }
    println!("(MB = 10^6 bytes; client and server share the machine)");
}
