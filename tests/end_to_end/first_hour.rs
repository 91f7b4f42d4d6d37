//! What a new user meets first: certificates made by `renkei pki` serving mutual TLS, the
//! usual TLS mistakes told in words, `serve` checking its inputs before it listens, and exit
//! statuses that tell a refusal (3) from a denial (4) from wrong arguments (2).

use super::authority::Authority;
use super::broker::{Server, warehouse};
use super::renkei;
use std::path::Path;
use std::process::{Command, Output};

fn text(path: &Path) -> &str {
    path.to_str().expect("utf-8 path")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// `renkei pki …` with `args`, succeeding.
fn pki(args: &[&str]) {
    let mut all = vec!["pki"];
    all.extend_from_slice(args);
    let o = renkei(&all);
    assert!(o.status.success(), "{args:?}: {}", stderr(&o));
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).expect("exists").permissions().mode() & 0o777
}

#[test]
fn pki_makes_private_keys_owner_only_and_never_overwrites() {
    let dir = tempfile::tempdir().expect("temp dir");
    let pki_dir = dir.path().join("pki");
    let d = text(&pki_dir);
    let o = renkei(&["pki", "server", "--dir", d, "--name", "localhost"]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("make the CA first"), "{}", stderr(&o));
    pki(&["ca", "--dir", d]);
    pki(&["server", "--dir", d, "--name", "localhost", "--name", "127.0.0.1"]);
    pki(&["client", "--dir", d, "--user", "kato"]);
    #[cfg(unix)]
    for key in ["ca.key", "server.key", "kato.key"] {
        assert_eq!(mode(&pki_dir.join(key)), 0o600, "{key}");
    }
    let ca = std::fs::read(pki_dir.join("ca.pem")).expect("the CA");
    for again in [
        vec!["pki", "ca", "--dir", d],
        vec!["pki", "client", "--dir", d, "--user", "kato"],
    ] {
        let o = renkei(&again);
        assert!(!o.status.success(), "{again:?} overwrote");
        let message = stderr(&o);
        assert!(message.contains("already exists") && message.contains(d), "{message}");
    }
    assert_eq!(std::fs::read(pki_dir.join("ca.pem")).expect("the CA"), ca, "unchanged");
    let o = renkei(&["pki", "client", "--dir", d, "--user", "../escape"]);
    assert!(!o.status.success());
    assert!(!dir.path().join("escape.pem").exists());
    // No temporary file is left behind.
    let left: Vec<_> = std::fs::read_dir(&pki_dir)
        .expect("lists")
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().ends_with(".partial"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

#[test]
fn certificates_from_pki_serve_mutual_tls_and_the_usual_mistakes_are_told_in_words() {
    let dir = tempfile::tempdir().expect("temp dir");
    let pki_dir = dir.path().join("pki");
    let d = text(&pki_dir);
    pki(&["ca", "--dir", d]);
    // Named for localhost only: a client connecting to 127.0.0.1 meets the wrong name.
    pki(&["server", "--dir", d, "--name", "localhost"]);
    pki(&["client", "--dir", d, "--user", "admin"]);
    let file = |name: &str| pki_dir.join(name).to_str().expect("utf-8").to_string();
    let server = Server::start_with(
        "https",
        &[
            "--tls-cert",
            &file("server.pem"),
            "--tls-key",
            &file("server.key"),
            "--client-ca",
            &file("ca.pem"),
        ],
    );
    let by_name = server.addr.replacen("127.0.0.1", "localhost", 1);
    let token_issue = |addr: &str, certificate: Option<(&str, &str)>| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_renkei"));
        command
            .args(["admin", "token-issue", "--user", "admin", "--valid-seconds", "60"])
            .env("RENKEI_ADDR", addr)
            .env("RENKEI_TOKEN", &server.admin_token);
        if addr.starts_with("https://") {
            command.env("RENKEI_CA_CERT", file("ca.pem"));
        }
        if let Some((cert, key)) = certificate {
            command.env("RENKEI_CLIENT_CERT", cert).env("RENKEI_CLIENT_KEY", key);
        }
        command.output().expect("renkei runs")
    };
    let admin = (file("admin.pem"), file("admin.key"));
    let admin = Some((admin.0.as_str(), admin.1.as_str()));
    let o = token_issue(&by_name, admin);
    assert!(o.status.success(), "{}", stderr(&o));

    let o = token_issue(&by_name, None);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("requires a client certificate"), "{}", stderr(&o));

    let o = token_issue(&server.addr, admin);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("not made for the host"), "{}", stderr(&o));

    let plain = by_name.replacen("https://", "http://", 1);
    let o = token_issue(&plain, None);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("speaks TLS"), "{}", stderr(&o));

    let other = Authority::new("Someone else's CA");
    let (rogue_cert, rogue_key) = other.issue(dir.path(), "rogue", &["rogue.renkei.test"]);
    let o = token_issue(&by_name, Some((text(&rogue_cert), text(&rogue_key))));
    assert!(!o.status.success());
    assert!(stderr(&o).contains("refused this client certificate"), "{}", stderr(&o));
}

/// `renkei serve` with `args` beyond a fresh data directory; it must fail before listening.
fn serve_fails(args: &[&str]) -> String {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("data");
    let o = Command::new(env!("CARGO_BIN_EXE_renkei"))
        .args(["serve", "--listen", "127.0.0.1:0", "--data", text(&data)])
        .args(args)
        .output()
        .expect("renkei runs");
    assert!(!o.status.success(), "{args:?} served");
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(!stdout.contains("listening on"), "{args:?}: {stdout}");
    let message = stderr(&o);
    assert_eq!(
        message.lines().filter(|l| l.starts_with("error: ")).count(),
        1,
        "one error, once: {message}"
    );
    message
}

#[test]
fn serve_checks_every_input_before_it_listens() {
    let dir = tempfile::tempdir().expect("temp dir");
    let pki_dir = dir.path().join("pki");
    let d = text(&pki_dir);
    pki(&["ca", "--dir", d]);
    let file = |name: &str| pki_dir.join(name).to_str().expect("utf-8").to_string();
    let warehouse = text(warehouse());
    let queries = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../queries");
    let queries = text(&queries);

    let message = serve_fails(&["--warehouse", text(&dir.path().join("nowhere")), "--queries", queries]);
    assert!(message.contains("no warehouse here"), "{message}");
    let message = serve_fails(&["--warehouse", warehouse, "--queries", text(&dir.path().join("none"))]);
    assert!(message.contains("study queries folder"), "{message}");
    // With the warehouse and queries good, each TLS mistake alone.
    let with_tls = |cert: &str, key: &str| {
        serve_fails(&[
            "--warehouse",
            warehouse,
            "--queries",
            queries,
            "--tls-cert",
            cert,
            "--tls-key",
            key,
        ])
    };
    let message = with_tls(&file("ca.pem"), &file("ca.key"));
    assert!(message.contains("is a CA certificate"), "{message}");
    // A leaf without a subjectAltName, as openssl makes by default.
    let (nameless, nameless_key) = Authority::new("Some CA").issue(dir.path(), "nameless", &[]);
    let message = with_tls(text(&nameless), text(&nameless_key));
    assert!(message.contains("names no host"), "{message}");
    let message = with_tls(text(&dir.path().join("missing.pem")), &file("ca.key"));
    assert!(message.contains("missing.pem"), "{message}");
    let policy = dir.path().join("policy.toml");
    std::fs::write(&policy, "version = \n").expect("writes");
    let message = serve_fails(&[
        "--warehouse",
        warehouse,
        "--queries",
        queries,
        "--policy",
        text(&policy),
    ]);
    assert!(message.contains("policy.toml"), "{message}");
}

#[tokio::test]
async fn exit_statuses_tell_a_refusal_from_a_denial_from_wrong_arguments() {
    let server = Server::start();
    let admin = |args: &[&str]| {
        let o = server.cli(&server.admin_token, args);
        assert!(o.status.success(), "{args:?}: {}", stderr(&o));
        String::from_utf8_lossy(&o.stdout).trim().to_string()
    };
    admin(&[
        "admin",
        "project-create",
        "--id",
        "p1",
        "--title",
        "t",
        "--purpose",
        "p",
        "--datasets",
        "NDB,KAIGO,DPC",
        "--start",
        "2020-01-01",
        "--end",
        "2099-12-31",
    ]);
    admin(&[
        "admin",
        "user-create",
        "--id",
        "sato",
        "--role",
        "researcher",
        "--project",
        "p1",
    ]);
    let o = server.cli(&server.admin_token, &["admin", "token-issue", "--user", "sato"]);
    assert!(o.status.success(), "{}", stderr(&o));
    // The expiry as a date, not unix seconds.
    assert!(
        stderr(&o).contains(", expires 20") && stderr(&o).contains(" UTC;"),
        "{}",
        stderr(&o)
    );
    let sato = String::from_utf8_lossy(&o.stdout).trim().to_string();
    admin(&["admin", "user-create", "--id", "kato", "--role", "steward"]);
    admin(&["admin", "steward-assign", "--user", "kato", "--project", "p1"]);
    let kato = admin(&["admin", "token-issue", "--user", "kato"]);
    let o = server.cli(&kato, &["steward", "pending"]);
    assert!(o.status.success() && o.stdout.is_empty(), "{}", stderr(&o));
    assert_eq!(stderr(&o).trim(), "no pending requests");
    let o = server.cli(&sato, &["request", "list"]);
    assert_eq!(stderr(&o).trim(), "no requests");

    let submit = |sql: &str| {
        server.cli(
            &sato,
            &[
                "request",
                "submit",
                "--project",
                "p1",
                "--title",
                "t",
                "--purpose",
                "p",
                "--sql",
                sql,
            ],
        )
    };
    let o = submit("SELECT * FROM ndb_claims");
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    assert!(stderr(&o).starts_with("refused: "), "{}", stderr(&o));
    let o = server.cli(&sato, &["request", "list"]);
    assert!(
        stderr(&o).starts_with("id\tstate\tproject\trequester\ttitle"),
        "{}",
        stderr(&o)
    );
    assert_eq!(
        String::from_utf8_lossy(&o.stdout).lines().count(),
        1,
        "the header is not in the data"
    );
    let o = server.cli(&sato, &["admin", "token-issue", "--user", "sato"]);
    assert_eq!(o.status.code(), Some(4), "{}", stderr(&o));
    let o = server.cli(&"0".repeat(64), &["request", "list"]);
    assert_eq!(o.status.code(), Some(4), "{}", stderr(&o));
    let o = server.cli(&sato, &["request", "status", "999"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let o = server.cli(&sato, &["request", "submit", "--project"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));

    let o = renkei(&[
        "query",
        "--warehouse",
        text(warehouse()),
        "--sql",
        "SELECT * FROM ndb_claims",
    ]);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    assert!(stderr(&o).starts_with("refused: "), "{}", stderr(&o));
}

#[test]
fn query_errors_are_in_the_authors_terms() {
    let query = |warehouse: &str, sql: &str| {
        let o = renkei(&["query", "--warehouse", warehouse, "--sql", sql]);
        assert_eq!(o.status.code(), Some(1), "{sql}: {}", stderr(&o));
        let message = stderr(&o);
        assert_eq!(message.lines().count(), 1, "one line: {message}");
        message
    };
    let warehouse = text(warehouse());
    let message = query(warehouse, "SELEC sex FROM ndb_claims");
    assert!(message.contains("the SQL does not parse: "), "{message}");
    assert!(!message.contains("ParserError("), "{message}");
    let message = query(warehouse, "SELECT count(*) FROM patients");
    assert!(
        message.contains("there is no table patients; the tables you may use: "),
        "{message}"
    );
    assert!(
        message.contains("ndb_claims") && !message.contains("datafusion.public"),
        "{message}"
    );
    let nowhere = tempfile::tempdir().expect("temp dir");
    let message = query(text(&nowhere.path().join("warehouse")), "SELECT 1");
    assert!(message.contains("no warehouse here"), "{message}");
}

/// In CSV a hidden cell is `*`, as in the table, and an empty field is a NULL key: a ROLLUP's
/// totals. (Both were empty, so a spreadsheet could not tell a total from a hidden cell.)
#[test]
fn csv_tells_a_hidden_cell_from_a_totals_key() {
    let dir = tempfile::tempdir().expect("temp dir");
    let report = dir.path().join("report.json");
    let query = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../queries/dementia_by_care_level.sql");
    let o = renkei(&[
        "query",
        "--warehouse",
        text(warehouse()),
        "--file",
        text(&query),
        "--format",
        "csv",
        "--report",
        text(&report),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let csv = String::from_utf8_lossy(&o.stdout);
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&report).expect("the report")).expect("JSON");
    let hidden: Vec<(usize, &str)> = report["hidden"]
        .as_array()
        .expect("hidden cells")
        .iter()
        .map(|h| {
            (
                h["row"].as_u64().expect("a row") as usize,
                h["column"].as_str().expect("a column"),
            )
        })
        .collect();
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().expect("a header").split(',').collect();
    let keys = ["care_level_group", "age_band", "sex"];
    let (mut stars, mut totals) = (0, 0);
    for (row, line) in lines.enumerate() {
        let cells: Vec<&str> = line.split(',').collect();
        assert_eq!(cells.len(), header.len(), "{line}");
        for (cell, column) in cells.iter().zip(&header) {
            if keys.contains(column) {
                assert_ne!(*cell, "*", "a key is never hidden: {line}");
            } else if hidden.contains(&(row, *column)) {
                assert_eq!(*cell, "*", "row {row}, {column} is hidden: {line}");
                stars += 1;
            } else {
                assert!(cell.parse::<u64>().is_ok(), "row {row}, {column} is shown: {line}");
            }
        }
        if cells[..keys.len()].iter().all(|k| k.is_empty()) && cells[keys.len()] != "*" {
            totals += 1;
        }
    }
    // The committed sample's golden output has both: hidden cells and a shown grand total.
    assert!(stars > 0 && totals > 0, "{stars} hidden, {totals} totals shown:\n{csv}");
}
