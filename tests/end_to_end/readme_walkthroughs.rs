//! The README's walkthroughs (analyst, steward / admin with mutual TLS, researcher), run as a
//! new user runs them: the indented shell blocks of its Walkthroughs section, taken from the
//! README itself so that it cannot drift from what works, pasted in order into one `bash -e`
//! in a temporary directory outside the repository, with the `renkei` under test first on
//! `PATH`. Two changes are made to the text, each asserted to find what it replaces:
//!
//! - The `cargo build --release … && export PATH=…` line is left out: the test puts its own
//!   `renkei` on `PATH` instead (a release build would cost a quarter of an hour on CI, and
//!   would test another binary than the one this run built).
//! - The broker's port: the README's 50051 could be taken (by another test's broker, or a
//!   broker left running on the machine), so the broker listens on port 0 and the clients'
//!   `localhost:50051` becomes the port it printed in `broker.log`.

use std::fs;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The README's Walkthroughs section: its indented code blocks, each as its lines.
fn walkthrough_blocks(readme: &str) -> Vec<Vec<String>> {
    let section = readme
        .split("\n## ")
        .find(|s| s.starts_with("Walkthroughs\n"))
        .expect("the README has a Walkthroughs section");
    let mut blocks: Vec<Vec<String>> = Vec::new();
    let mut in_block = false;
    for line in section.lines() {
        match line.strip_prefix("    ") {
            Some(code) => {
                if !in_block {
                    blocks.push(Vec::new());
                }
                blocks.last_mut().expect("a block").push(code.to_string());
                in_block = true;
            }
            None => in_block = false,
        }
    }
    blocks
}

/// The README's port, and the shell that gives the one the broker printed instead.
const README_PORT: &str = "50051";
const PRINTED_PORT: &str = "$(sed -n 's/^listening on .*:\\([0-9]*\\)$/\\1/p' broker.log)";

/// The blocks as one script, with the two changes of the module's comment.
fn script(blocks: &[Vec<String>]) -> String {
    let lines: Vec<&String> = blocks.iter().flatten().collect();
    let builds = lines.iter().filter(|l| l.starts_with("cargo build")).count();
    assert_eq!(builds, 1, "the README builds renkei once, first: {lines:#?}");
    let mut text = String::new();
    for line in lines.into_iter().filter(|l| !l.starts_with("cargo build")) {
        text.push_str(line);
        text.push('\n');
    }
    let listen = format!("--listen 127.0.0.1:{README_PORT}");
    assert_eq!(text.matches(&listen).count(), 1, "one broker, on {listen}:\n{text}");
    let text = text.replace(&listen, "--listen 127.0.0.1:0");
    let client = format!("localhost:{README_PORT}");
    assert!(text.contains(&client), "the clients connect to {client}:\n{text}");
    let text = text.replace(&client, &format!("localhost:{PRINTED_PORT}"));
    assert!(!text.contains(README_PORT), "the port in another form:\n{text}");
    text
}

/// The process group of the walkthrough's shell, ended when dropped: the broker it starts in
/// the background outlives the shell.
struct Group(u32);

impl Drop for Group {
    fn drop(&mut self) {
        let _ = Command::new("kill").arg("--").arg(format!("-{}", self.0)).status();
    }
}

#[test]
fn the_readme_walkthroughs_work_pasted_into_a_shell() {
    use std::os::unix::process::CommandExt;
    let repository = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let readme = fs::read_to_string(repository.join("README.md")).expect("reads the README");
    let script = script(&walkthrough_blocks(&readme));

    let dir = tempfile::tempdir().expect("temp dir");
    let here = dir.path();
    let repository = repository.canonicalize().expect("the repository");
    assert!(
        !here.canonicalize().expect("the temp dir").starts_with(&repository),
        "the walkthrough must run outside the repository"
    );
    fs::write(here.join("walkthrough.sh"), &script).expect("writes the script");
    let bin = Path::new(env!("CARGO_BIN_EXE_renkei"))
        .parent()
        .expect("the binary's folder");
    let path = std::env::join_paths(
        std::iter::once(bin.to_path_buf()).chain(std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())),
    )
    .expect("a PATH");
    let mut shell = Command::new("bash");
    shell
        .args(["-e", "-x", "walkthrough.sh"])
        .current_dir(here)
        .env("PATH", path)
        // Files, not pipes: the background broker holds its copy of the shell's stderr open.
        .stdout(Stdio::from(fs::File::create(here.join("stdout")).expect("a file")))
        .stderr(Stdio::from(fs::File::create(here.join("stderr")).expect("a file")))
        .process_group(0);
    // A user's shell has none of the test environment's RENKEI_ variables.
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("RENKEI_") {
            shell.env_remove(name);
        }
    }
    let mut child = shell.spawn().expect("bash runs");
    let _group = Group(child.id());
    let deadline = Instant::now() + Duration::from_secs(600);
    let status = loop {
        if let Some(status) = child.try_wait().expect("waits") {
            break status;
        }
        assert!(
            Instant::now() < deadline,
            "the walkthrough did not finish in 10 minutes"
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    let read = |name: &str| fs::read_to_string(here.join(name)).unwrap_or_default();
    let (stdout, stderr) = (read("stdout"), read("stderr"));
    assert!(status.success(), "{status}\n--- stdout\n{stdout}\n--- stderr\n{stderr}");

    // The analyst: the demo's warehouse, whose study queries show most of their cells (the
    // committed 2,000-person sample showed about a quarter), then a checked table of persons
    // by sex.
    let demo = read("demo.log");
    let shown = demo
        .lines()
        .find_map(|l| l.strip_prefix("study queries: "))
        .and_then(|l| l.split_once(" value cells shown"))
        .and_then(|(counts, _)| counts.split_once(" of "))
        .map(|(shown, all)| (shown.parse::<usize>(), all.parse::<usize>()));
    let Some((Ok(shown), Ok(all))) = shown else {
        panic!("the demo prints no count of cells shown:\n{demo}")
    };
    assert!(2 * shown > all, "the demo shows {shown} of {all} cells");
    let table: Vec<&str> = stdout.lines().skip_while(|l| !l.starts_with("sex | persons")).collect();
    assert!(table.len() >= 4, "the analyst's table:\n{stdout}");
    for row in &table[2..4] {
        let persons = row.split('|').nth(1).map(str::trim).unwrap_or_default();
        assert!(persons.parse::<u64>().is_ok_and(|n| n >= 10), "{row}");
    }
    assert!(read("report.json").contains("\"policy\""), "the analyst's report");

    // The steward's broker, under mutual TLS, and the request's way to release.
    assert!(
        read("broker.log").starts_with("listening on 127.0.0.1:"),
        "{}",
        read("broker.log")
    );
    for said in ["request 1 is checked", "request 1 is approved", "request 1 is released"] {
        assert!(stderr.contains(said), "no {said:?}:\n{stderr}");
    }
    assert!(
        stdout.contains("1\tchecked\tp2026-001\tsato\tDementia by care level"),
        "the researcher's list:\n{stdout}"
    );
    assert!(read("review.txt").contains("checked output (hidden cells *)"));
    assert!(stdout.contains("audit trail intact"), "{stdout}");

    // The researcher's file: the released rows, some of them with counts.
    let csv = read("result.csv");
    let mut lines = csv.lines();
    assert_eq!(
        lines.next(),
        Some("care_level_group,age_band,sex,persons_certified,persons_with_dementia"),
        "{csv}"
    );
    let rows: Vec<&str> = lines.collect();
    assert!(!rows.is_empty(), "{csv}");
    // As the README says: a hidden cell is `*` (at this size the output has some).
    assert!(rows.iter().any(|r| r.ends_with(",*")), "no hidden cell marked:\n{csv}");
    assert!(
        rows.iter()
            .any(|r| r.rsplit(',').nth(1).is_some_and(|n| n.parse::<u64>().is_ok())),
        "no released count:\n{csv}"
    );
    // The released report says what the check found, not "review" (read as the request's state).
    let report = read("result.report.json");
    assert!(report.contains("\"status\": \"cells_hidden\""), "{report}");
}
