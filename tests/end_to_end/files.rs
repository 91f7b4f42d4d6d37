//! Files and secrets (issue 29, point 8): the broker refuses a data directory others can
//! read, the client commands take the token from an owner-only file instead of argv, and
//! `request fetch --out` never leaves a half-written result.

use super::broker::{Server, named, world};
use std::os::unix::fs::PermissionsExt;
use std::process::{Command, Stdio};

#[test]
fn the_broker_refuses_to_start_on_a_data_directory_others_can_read() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("data");
    let o = super::renkei(&["admin", "bootstrap", "--data", data.to_str().expect("utf-8")]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let mode = |p: &std::path::Path| std::fs::metadata(p).expect("exists").permissions().mode() & 0o777;
    assert_eq!(mode(&data), 0o700, "made owner-only");
    assert_eq!(mode(&data.join("broker.sqlite")), 0o600, "made owner-only");

    std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    // A server that started would never exit: it is given 30 s, then killed, and that fails.
    let mut serve = Command::new(env!("CARGO_BIN_EXE_renkei"))
        .args(["serve", "--listen", "127.0.0.1:0", "--data"])
        .arg(&data)
        .arg("--warehouse")
        .arg(super::broker::warehouse())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("renkei serve runs");
    let started = std::time::Instant::now();
    let status = loop {
        if let Some(status) = serve.try_wait().expect("waits") {
            break status;
        }
        if started.elapsed() > std::time::Duration::from_secs(30) {
            let _ = serve.kill();
            panic!("the server started on a world-readable data directory");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    assert!(
        !status.success(),
        "the server started on a world-readable data directory"
    );
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut serve.stderr.take().expect("piped"), &mut stderr).expect("reads");
    assert!(
        stderr.contains(&data.display().to_string()) && stderr.contains("0755"),
        "the error names the path and its mode: {stderr}"
    );
}

/// `renkei` with `args` against `server`, the token given only through `--token-file`.
fn with_token_file(server: &Server, token_file: &std::path::Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_renkei"))
        .args(args)
        .arg("--token-file")
        .arg(token_file)
        .env("RENKEI_ADDR", &server.addr)
        .env_remove("RENKEI_TOKEN")
        .output()
        .expect("renkei runs")
}

#[tokio::test]
async fn a_token_file_replaces_the_token_on_the_command_line_and_must_be_private() {
    let w = world().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("sato.token");
    std::fs::write(&file, format!("{}\n", w.sato.token)).expect("written");
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    let o = with_token_file(&w.server, &file, &["request", "list"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));

    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    let o = with_token_file(&w.server, &file, &["request", "list"]);
    assert!(!o.status.success(), "a token file others can read is refused");
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(stderr.contains("0644") && stderr.contains("sato.token"), "{stderr}");
    assert!(!stderr.contains(&w.sato.token), "the error shows the token");
}

/// A fetch that cannot write its result (here every write fails: a file size limit of 0,
/// with SIGXFSZ ignored so that the write returns an error) leaves the file that was at
/// `--out` as it was. Before, `--out` was truncated first and written in place.
#[tokio::test]
async fn a_fetch_that_fails_while_writing_leaves_the_previous_file_whole() {
    let w = world().await;
    let id = w
        .sato
        .submit("p-all", named("ltc_users_by_care_level_and_sex"))
        .await
        .expect("accepted")
        .id;
    w.kato.approve(id).await.expect("approved");
    w.kato.release(id).await.expect("released");
    let dir = tempfile::tempdir().expect("temp dir");
    for name in ["result.csv", "result.parquet"] {
        let out = dir.path().join(name);
        std::fs::write(&out, "an earlier result\n").expect("written");
        let o = Command::new("sh")
            .arg("-c")
            .arg("trap '' XFSZ; ulimit -f 0; exec \"$0\" \"$@\"")
            .arg(env!("CARGO_BIN_EXE_renkei"))
            .args(["request", "fetch", &id.to_string(), "--out"])
            .arg(&out)
            .env("RENKEI_ADDR", &w.server.addr)
            .env("RENKEI_TOKEN", &w.sato.token)
            .output()
            .expect("renkei runs");
        assert!(!o.status.success(), "{name}: the write could not succeed");
        assert_eq!(
            std::fs::read_to_string(&out).expect("still there"),
            "an earlier result\n",
            "{name}: half-written"
        );
        let left: Vec<_> = std::fs::read_dir(dir.path())
            .expect("lists")
            .map(|e| e.expect("an entry").file_name())
            .filter(|n| n.to_string_lossy().ends_with(".partial"))
            .collect();
        assert!(left.is_empty(), "{name}: temporary files left: {left:?}");
    }
    // Without the limit, the fetch replaces the file whole.
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
    assert!(
        std::fs::read_to_string(&out)
            .expect("written")
            .starts_with("care_level,sex,persons")
    );
}
