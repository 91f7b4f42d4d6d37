//! The steward console (`renkei serve --http`): a real server, driven by headless Chromium
//! through Playwright (`browser/console_review.mjs`) the way a steward uses it, and by plain
//! HTTP requests the way an attacker would.
//!
//! The browser test needs Debian's `chromium` and the npm package `playwright-core`: both are
//! installed on first use (apt-get as root, npm under Cargo's target tmpdir), so that
//! `cargo test --workspace` on a fresh machine runs it.

use super::broker::{Client, Server, World, named, sql, world_on};
use super::python_client::{repository, run};
use renkei_proto::v1 as pb;
use std::path::{Path, PathBuf};
use std::process::Command;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Pinned so that a new release cannot change what the test means.
const PLAYWRIGHT: &str = "playwright-core@1.64.1";
const CHROMIUM: &str = "/usr/bin/chromium";
const JAPANESE_FONT: &str = "/usr/share/fonts/opentype/ipafont-gothic";

async fn world_with_console() -> (World, String) {
    let server = Server::start_with("http", &["--http", "127.0.0.1:0"]);
    let console = server.console.clone().expect("the server printed the console's URL");
    assert!(console.starts_with("http://127.0.0.1:"), "{console}");
    (world_on(server).await, console)
}

/// Debian's Chromium, installed when missing, with a Japanese font (care levels and the
/// like are Japanese text).
fn chromium() -> &'static str {
    if !Path::new(CHROMIUM).exists() || !Path::new(JAPANESE_FONT).exists() {
        run("apt-get update", Command::new("apt-get").args(["update", "-q"]));
        run(
            "apt-get install chromium",
            Command::new("apt-get")
                .args([
                    "install",
                    "-y",
                    "-q",
                    "--no-install-recommends",
                    "chromium",
                    "fonts-ipafont-gothic",
                ])
                .env("DEBIAN_FRONTEND", "noninteractive"),
        );
    }
    CHROMIUM
}

/// A folder with playwright-core installed (once; its marker names the pin).
fn playwright() -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("console-browser");
    let marker = dir.join("renkei-pin.txt");
    if std::fs::read_to_string(&marker).is_ok_and(|m| m == PLAYWRIGHT) {
        return dir;
    }
    std::fs::create_dir_all(&dir).expect("creates the browser test folder");
    // `npm install` without a package.json of its own would climb to a parent's.
    std::fs::write(dir.join("package.json"), "{\"private\": true}\n").expect("writes package.json");
    run(
        "npm install playwright-core",
        Command::new("npm")
            .args(["install", "--no-audit", "--no-fund", "--save-exact", PLAYWRIGHT])
            .current_dir(&dir),
    );
    std::fs::write(&marker, PLAYWRIGHT).expect("writes the marker");
    dir
}

/// Where screenshots are kept after the test, for the record.
fn screenshots() -> PathBuf {
    let dir = repository().join("target").join("test-artifacts").join("console");
    std::fs::create_dir_all(&dir).expect("creates the screenshot folder");
    dir
}

#[tokio::test(flavor = "multi_thread")]
async fn a_steward_reviews_rejects_and_releases_in_the_browser() {
    let (w, console) = world_with_console().await;
    let chromium = chromium();
    let modules = playwright();
    // An earlier release of the project, to compare against.
    let earlier = w
        .sato
        .submit_titled(
            "p-all",
            "Dementia (first cut)",
            "care needs",
            named("dementia_by_care_level"),
        )
        .await
        .expect("submits");
    w.tanaka.approve(earlier.id).await.expect("approves");
    w.tanaka.release(earlier.id).await.expect("releases");
    let to_release = w
        .sato
        .submit_titled(
            "p-all",
            "<script>alert('title')</script> dementia by care level",
            "<img src=x onerror=alert('purpose')> care needs",
            named("dementia_by_care_level"),
        )
        .await
        .expect("submits");
    let to_reject = w
        .sato
        .submit_titled(
            "p-all",
            "Care levels by sex",
            "care needs",
            named("ltc_users_by_care_level_and_sex"),
        )
        .await
        .expect("submits");

    let script = repository().join("tests/end_to_end/browser/console_review.mjs");
    let o = run(
        "the browser test",
        Command::new("node")
            .arg(&script)
            .env("PLAYWRIGHT_MODULES", modules.join("node_modules"))
            .env("CONSOLE_URL", &console)
            .env("STEWARD_TOKEN", &w.tanaka.token)
            .env("RELEASE_ID", to_release.id.to_string())
            .env("REJECT_ID", to_reject.id.to_string())
            .env("SCREENSHOTS", screenshots())
            .env("CHROMIUM", chromium),
    );
    let seen: serde_json::Value = serde_json::from_slice(&o.stdout).expect("the script prints what it saw as JSON");
    assert!(
        seen["list_text"]
            .as_str()
            .is_some_and(|t| t.contains("<script>alert('title')</script>")),
        "the title is shown as text: {seen}"
    );
    assert!(
        seen["purpose"].as_str().is_some_and(|t| t.contains("<img src=x")),
        "{seen}"
    );
    let rules: Vec<&str> = seen["hidden"]
        .as_array()
        .expect("hidden cells")
        .iter()
        .filter_map(|c| c["rule"].as_str())
        .collect();
    assert!(
        rules.contains(&"min_persons") && rules.contains(&"secondary"),
        "{rules:?}"
    );
    for shot in ["pending-requests.png", "review-request.png"] {
        let len = std::fs::metadata(screenshots().join(shot))
            .map(|m| m.len())
            .unwrap_or(0);
        assert!(len > 10_000, "{shot} is a real screenshot ({len} bytes)");
    }

    // What the browser did holds over gRPC: the researcher fetches the released result and
    // reads the rejection's reason.
    let released = w.sato.get(to_release.id).await.expect("gets");
    assert_eq!(released.state(), pb::RequestState::Released);
    assert_eq!(released.releaser, "tanaka");
    let fetched = w
        .sato
        .fetch(to_release.id)
        .await
        .expect("the researcher fetches the released result");
    assert!(fetched.len() >= 2, "a header and the batches");
    let rejected = w.sato.get(to_reject.id).await.expect("gets");
    assert_eq!(rejected.state(), pb::RequestState::Rejected);
    assert_eq!(
        rejected.rejection_reason,
        "The purpose does not cover prefecture-level output."
    );
    let actions: Vec<&str> = seen["audit_actions"]
        .as_array()
        .expect("audit actions")
        .iter()
        .filter_map(|a| a.as_str())
        .collect();
    for action in ["submit", "check", "console_review", "approve", "release"] {
        assert!(actions.contains(&action), "{action} in {actions:?}");
    }
    let verified = w.server.audit_verify();
    assert!(
        verified.status.success(),
        "{}",
        String::from_utf8_lossy(&verified.stderr)
    );
}

/// One HTTP/1.1 exchange over a fresh connection: status, headers (lower-case names) and body.
#[derive(Debug)]
struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    /// `name=value` of the Set-Cookie header for `name`, with its attributes.
    fn set_cookie(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .filter(|(n, _)| n == "set-cookie")
            .map(|(_, v)| v.as_str())
            .find(|v| v.starts_with(&format!("{name}=")))
    }

    /// The cookie's value as a `Cookie:` header part.
    fn cookie(&self, name: &str) -> String {
        let set = self.set_cookie(name).unwrap_or_else(|| panic!("a {name} cookie"));
        set.split(';').next().expect("name=value").to_string()
    }

    /// The value of the first `name="csrf" value="…"` in the page.
    fn csrf(&self) -> String {
        let at = self
            .body
            .find("name=\"csrf\" value=\"")
            .expect("a form token in the page")
            + 19;
        self.body[at..].split('"').next().expect("a value").to_string()
    }
}

async fn http(base: &str, method: &str, path: &str, cookie: &str, form: &str) -> Answer {
    let host = base.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(host)
        .await
        .expect("connects to the console");
    let mut request = format!("{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n");
    if !cookie.is_empty() {
        request += &format!("Cookie: {cookie}\r\n");
    }
    if method == "POST" {
        request += &format!(
            "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n",
            form.len()
        );
    }
    request += "\r\n";
    request += form;
    stream.write_all(request.as_bytes()).await.expect("sends");
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await.expect("reads the answer");
    let text = String::from_utf8_lossy(&raw).to_string();
    let (head, body) = text.split_once("\r\n\r\n").expect("a head and a body");
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse().ok())
        .expect("a status line");
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    Answer {
        status,
        headers,
        body: body.to_string(),
    }
}

/// Signs `client` in through the form; the session cookie and the form token of its pages.
async fn sign_in(base: &str, client: &Client) -> Result<(String, String), Answer> {
    let form_page = http(base, "GET", "/signin", "", "").await;
    let pairing = form_page.cookie("renkei_sign_in");
    let form = format!("csrf={}&token={}", form_page.csrf(), client.token);
    let answer = http(base, "POST", "/signin", &pairing, &form).await;
    if answer.status != 303 {
        return Err(answer);
    }
    let session = answer.cookie("renkei_session");
    let page = http(base, "GET", "/requests", &session, "").await;
    assert_eq!(page.status, 200);
    Ok((session, page.csrf()))
}

#[tokio::test(flavor = "multi_thread")]
async fn the_console_refuses_what_a_signed_in_steward_did_not_ask_for() {
    let (w, base) = world_with_console().await;
    let request = w
        .sato
        .submit_titled(
            "p-all",
            "<script>alert(1)</script>",
            "</textarea><b>bold</b>",
            named("ltc_users_by_care_level_and_sex"),
        )
        .await
        .expect("submits");
    let id = request.id;

    // Anonymous: every page sends to the sign-in page, every action is refused.
    for path in [
        "/requests",
        &format!("/requests/{id}"),
        &format!("/requests/{id}/output.csv"),
        &format!("/requests/{id}/no-such-export"),
    ] {
        let a = http(&base, "GET", path, "", "").await;
        assert_eq!((a.status, a.header("location")), (303, Some("/signin")), "{path}");
    }
    assert_eq!(
        http(&base, "POST", &format!("/requests/{id}/approve"), "", "csrf=x")
            .await
            .status,
        401
    );

    // A researcher's or an analyst's token signs nobody in; a made-up cookie is no session.
    for client in [&w.sato, &w.ito] {
        let refused = sign_in(&base, client).await.expect_err("only stewards sign in");
        assert_eq!(refused.status, 403);
        assert!(
            refused.body.contains("the console is for data stewards"),
            "{}",
            refused.body
        );
    }
    let forged = format!("renkei_session={}", w.sato.token);
    assert_eq!(http(&base, "GET", "/requests", &forged, "").await.status, 303);

    // The sign-in form works only from the page this browser loaded.
    let a = http(
        &base,
        "POST",
        "/signin",
        "",
        &format!("csrf=abc&token={}", w.tanaka.token),
    )
    .await;
    assert_eq!(a.status, 403);

    let (session, csrf) = sign_in(&base, &w.tanaka).await.expect("the steward signs in");
    let set = http(&base, "GET", "/signin", "", "").await;
    let pairing = set.set_cookie("renkei_sign_in").expect("a pairing cookie").to_string();
    for attribute in ["HttpOnly", "SameSite=Strict"] {
        assert!(pairing.contains(attribute), "{pairing}");
    }

    // A filter no date can satisfy is a bad request, not a crash.
    let far = http(&base, "GET", "/requests?older_than_days=4000000000", &session, "").await;
    assert_eq!(far.status, 400, "{}", far.body);

    // Everything a researcher typed is text.
    let page = http(&base, "GET", &format!("/requests/{id}"), &session, "").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(!page.body.contains("<script"), "no script element on any page");
    assert!(page.body.contains("&lt;/textarea&gt;&lt;b&gt;bold&lt;/b&gt;"));
    let csp = page.header("content-security-policy").expect("a CSP");
    assert!(
        csp.starts_with("default-src 'none'") && !csp.contains("script-src"),
        "{csp}"
    );
    assert_eq!(page.header("cache-control"), Some("no-store"));

    // State changes need the session's form token.
    let approve = format!("/requests/{id}/approve");
    assert_eq!(http(&base, "POST", &approve, &session, "").await.status, 403);
    assert_eq!(http(&base, "POST", &approve, &session, "csrf=0000").await.status, 403);
    let (other_session, other_csrf) = sign_in(&base, &w.kato).await.expect("another steward signs in");
    assert_ne!(other_csrf, csrf);
    let crossed = http(&base, "POST", &approve, &session, &format!("csrf={other_csrf}")).await;
    assert_eq!(crossed.status, 403, "one session's token is no good for another");
    assert_eq!(w.sato.get(id).await.expect("gets").state(), pb::RequestState::Checked);

    // A rejection needs a reason.
    let reject = format!("/requests/{id}/reject");
    assert_eq!(
        http(&base, "POST", &reject, &session, &format!("csrf={csrf}&reason=+"))
            .await
            .status,
        400
    );

    // Two-person rule: a steward does not decide on their own request, even with a good token.
    let own = w
        .tanaka
        .submit_titled("p-all", "My own", "mine", named("ltc_users_by_care_level_and_sex"))
        .await
        .expect("a steward member submits");
    let own_page = http(&base, "GET", &format!("/requests/{}", own.id), &session, "").await;
    assert!(own_page.body.contains("two-person rule") && !own_page.body.contains("id=\"approve\""));
    let denied = http(
        &base,
        "POST",
        &format!("/requests/{}/approve", own.id),
        &session,
        &format!("csrf={csrf}"),
    )
    .await;
    assert_eq!(denied.status, 403, "{}", denied.body);
    assert_eq!(
        w.tanaka.get(own.id).await.expect("gets").state(),
        pb::RequestState::Checked
    );

    // An approval names the output the page showed: none, or another, is refused.
    for seen in ["", &"0".repeat(64)] {
        let body = format!("csrf={other_csrf}&output={seen}");
        let refused = http(&base, "POST", &approve, &other_session, &body).await;
        assert_ne!(refused.status, 303, "{}", refused.body);
        assert_eq!(w.sato.get(id).await.expect("gets").state(), pb::RequestState::Checked);
    }
    // With the token and the hash of the output the review page showed, the other steward
    // approves.
    let page = http(&base, "GET", &format!("/requests/{id}"), &other_session, "").await;
    let shown = page
        .body
        .split("name=\"output\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("the review page's approval names its output");
    assert_eq!(shown, w.kato.output_hash(id).await.expect("reviews"));
    let body = format!("csrf={other_csrf}&output={shown}");
    let approved = http(&base, "POST", &approve, &other_session, &body).await;
    assert_eq!(approved.status, 303, "{}", approved.body);
    assert_eq!(w.sato.get(id).await.expect("gets").state(), pb::RequestState::Approved);

    // Exports: hidden cells stay hidden; the ACRO view has a per-cell outcome and a time.
    let csv = http(&base, "GET", &format!("/requests/{id}/output.csv"), &session, "").await;
    assert_eq!(csv.status, 200);
    assert!(csv.body.starts_with("care_level,sex,persons"), "{}", csv.body);
    assert!(csv.body.lines().any(|l| l.ends_with(",*")), "a hidden cell is *");
    let acro = http(&base, "GET", &format!("/requests/{id}/acro.json"), &session, "").await;
    let acro: serde_json::Value = serde_json::from_str(&acro.body).expect("ACRO JSON");
    let output = &acro["results"]["output_0"];
    assert_eq!(output["status"], "review");
    assert!(output["outcome"]["persons"]["0"].as_str().is_some_and(|o| o != "ok"));
    assert!(output["timestamp"].as_str().is_some_and(|t| t.starts_with("20")));
    let parquet = http(&base, "GET", &format!("/requests/{id}/output.parquet"), &session, "").await;
    assert_eq!(parquet.status, 200);
    assert_eq!(
        http(
            &base,
            "GET",
            &format!("/requests/{id}/..%2Fbroker.sqlite"),
            &session,
            ""
        )
        .await
        .status,
        404
    );

    // Signing in again from the same browser ends its previous session.
    let form_page = http(&base, "GET", "/signin", "", "").await;
    let cookies = format!("{}; {}", form_page.cookie("renkei_sign_in"), other_session);
    let again = http(
        &base,
        "POST",
        "/signin",
        &cookies,
        &format!("csrf={}&token={}", form_page.csrf(), w.kato.token),
    )
    .await;
    assert_eq!(again.status, 303);
    assert_eq!(http(&base, "GET", "/requests", &other_session, "").await.status, 303);
    let kato_session = again.cookie("renkei_session");
    assert_eq!(http(&base, "GET", "/requests", &kato_session, "").await.status, 200);

    // Signing out ends the session, whatever the browser keeps.
    let out = http(&base, "POST", "/signout", &session, &format!("csrf={csrf}")).await;
    assert_eq!(out.status, 303);
    assert_eq!(http(&base, "GET", "/requests", &session, "").await.status, 303);

    // Revoking a token ends the sessions opened with it.
    let second = w.admin.issue_token("kato", 3600).await;
    let kato_again = w.server.connect(&second.token).await;
    let (revoked_session, _) = sign_in(&base, &kato_again).await.expect("signs in");
    assert_eq!(http(&base, "GET", "/requests", &revoked_session, "").await.status, 200);
    w.admin
        .revoke_token(second.token_id)
        .await
        .expect("the admin revokes the token");
    assert_eq!(http(&base, "GET", "/requests", &revoked_session, "").await.status, 303);

    // Every refusal above is in the audit trail, and the trail is intact.
    let verified = w.server.audit_verify();
    assert!(
        verified.status.success(),
        "{}",
        String::from_utf8_lossy(&verified.stderr)
    );
    let trail = http(&base, "GET", &format!("/requests/{}/audit", own.id), &kato_session, "").await;
    assert!(
        trail.body.contains("permission_denied"),
        "the two-person refusal is recorded"
    );
}

/// A request hidden by the release ledger: the steward's review (gRPC, console, CLI) names the
/// earlier request's cell it conflicts with; the researcher sees `*` and the rule alone.
#[tokio::test(flavor = "multi_thread")]
async fn a_history_cell_names_the_earlier_request_for_the_steward_only() {
    const ALL: &str = "SELECT count(DISTINCT person_id) AS persons FROM dpc_cases";
    const TRACKER: &str =
        "SELECT count(DISTINCT person_id) AS persons FROM dpc_cases WHERE NOT (sex = 2 AND age >= 98)";
    let (w, base) = world_with_console().await;
    let first = w.sato.submit("p-all", sql(ALL)).await.expect("submits");
    w.tanaka.approve(first.id).await.expect("approves");
    w.tanaka.release(first.id).await.expect("releases");
    let second = w.sato.submit("p-all", sql(TRACKER)).await.expect("submits");
    let earlier = format!("request {} row 0, column persons", first.id);

    // The steward's review over gRPC.
    let review = w
        .tanaka
        .steward()
        .get_review(w.tanaka.req(pb::GetReviewRequest { id: second.id }))
        .await
        .expect("reviews")
        .into_inner();
    let expected = pb::HistoryConflict {
        row: 0,
        column: "persons".into(),
        with: vec![pb::ConflictingCell {
            output: format!("request:{}", first.id),
            row: 0,
            column: "persons".into(),
        }],
        found: "pair".into(),
        text: format!("row 0, column persons conflicts with {earlier} (each differs from it by a few persons)"),
    };
    assert_eq!(review.history_conflicts, vec![expected]);
    assert!(!review.report_json.contains("request:"), "{}", review.report_json);

    // The console's review page, with a link to the earlier request.
    let (session, _) = sign_in(&base, &w.tanaka).await.expect("a steward signs in");
    let page = http(&base, "GET", &format!("/requests/{}", second.id), &session, "").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("id=\"history-conflicts\""), "{}", page.body);
    assert!(
        page.body.contains(&format!(
            "<a href=\"/requests/{}\">request {}</a> row 0, column persons",
            first.id, first.id
        )),
        "{}",
        page.body
    );

    // The steward CLI prints it.
    let cli = run(
        "renkei steward review",
        Command::new(env!("CARGO_BIN_EXE_renkei"))
            .args([
                "steward",
                "review",
                "--addr",
                &w.server.addr,
                "--token",
                &w.tanaka.token,
            ])
            .arg(second.id.to_string()),
    );
    let printed = String::from_utf8_lossy(&cli.stdout);
    assert!(
        printed.contains("hidden by the release ledger") && printed.contains(&earlier),
        "{printed}"
    );

    // The researcher: the rule, not the request behind it, in the status, the review they
    // may not ask for, and (once released) the fetched result and its report.
    let status = format!("{:?}", w.sato.get(second.id).await.expect("reads its request"));
    assert!(!status.contains("conflict") && !status.contains("request:"), "{status}");
    let refused = w
        .sato
        .steward()
        .get_review(w.sato.req(pb::GetReviewRequest { id: second.id }))
        .await
        .expect_err("a researcher does not review");
    assert_eq!(refused.code(), tonic::Code::PermissionDenied, "{refused:?}");
    w.tanaka.approve(second.id).await.expect("approves");
    w.tanaka
        .release(second.id)
        .await
        .expect("releases, the same cell hidden");
    let fetched = w.sato.fetch(second.id).await.expect("fetches");
    let header = fetched
        .iter()
        .find_map(|m| match &m.part {
            Some(pb::fetch_result_response::Part::Header(h)) => Some(h.report_json.clone()),
            _ => None,
        })
        .expect("a header with the report");
    assert!(header.contains("\"history\""), "{header}");
    assert!(!header.contains("request:") && !header.contains("conflict"), "{header}");
    // Released, the steward still reads it.
    let review = w
        .tanaka
        .steward()
        .get_review(w.tanaka.req(pb::GetReviewRequest { id: second.id }))
        .await
        .expect("reviews")
        .into_inner();
    assert_eq!(review.history_conflicts.len(), 1);
}
