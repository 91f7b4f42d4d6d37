//! The pipeline commands: synth, summarize, demo, ingest, keygen, the doc commands.

use super::renkei;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::fs;
use std::path::Path;
use std::process::{Command, Output};

fn tree_hashes(root: &Path) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p.strip_prefix(root).unwrap().to_string_lossy().into_owned();
                out.insert(rel, format!("{:x}", Sha256::digest(fs::read(&p).unwrap())));
            }
        }
    }
    out
}

#[test]
fn synth_twice_with_one_seed_writes_identical_bytes_and_reports_throughput() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("A"), dir.path().join("B"));
    for out in [&a, &b] {
        let o = renkei(&[
            "synth",
            "--persons",
            "800",
            "--seed",
            "7",
            "--out",
            out.to_str().unwrap(),
        ]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert!(stderr.contains("persons/s") && stderr.contains("MB/s"), "{stderr}");
        assert!(o.stdout.is_empty(), "synth prints nothing on stdout");
    }
    let (ha, hb) = (tree_hashes(&a), tree_hashes(&b));
    assert!(ha.keys().any(|k| k.ends_with(".UKE")));
    assert_eq!(ha, hb);
}

#[test]
fn summarize_reads_the_committed_sample_data() {
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../sample-data");
    let o = renkei(&["summarize", sample.to_str().unwrap()]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let report = String::from_utf8(o.stdout).unwrap();
    for section in [
        "## Files",
        "## Records",
        "UKE RE",
        "介護 01",
        "DPC EF",
        "## Realism against targets",
    ] {
        assert!(report.contains(section), "no {section} in\n{report}");
    }
}

#[test]
fn demo_generates_and_summarizes_the_sample() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("demo");
    let queries = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../queries");
    // The committed sample's size (the default is larger, readme_walkthroughs runs it).
    let o = renkei(&[
        "demo",
        "--out",
        out.to_str().unwrap(),
        "--persons",
        "2000",
        "--queries",
        queries.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(stdout.contains("persons (ground truth): 2000"), "{stdout}");
    assert!(stdout.contains(" value cells shown ("), "{stdout}");
    // The study queries ran checked, each with its report.
    assert!(stdout.contains("### dementia_by_care_level"), "{stdout}");
    assert!(out.join("reports/dpc_points_by_diagnosis.json").is_file());
    assert!(stdout.contains("Renkei person_id"), "{stdout}");
    // One of them went through a local broker, from submission to the researcher's file.
    assert!(stdout.contains("steward approved and released it"), "{stdout}");
    assert!(stdout.contains("audit trail intact"), "{stdout}");
    let released = fs::read_to_string(out.join("released/dementia_by_care_level.csv")).unwrap();
    assert!(released.starts_with("care_level_group,"), "{released}");
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../sample-data");
    let mut committed = tree_hashes(&sample);
    committed.remove("README.md");
    assert_eq!(
        tree_hashes(&out.join("input")),
        committed,
        "demo must make exactly the committed sample"
    );
    assert!(out.join("warehouse/_manifest.json").is_file());
    assert!(out.join("warehouse/ndb_claims/part-00000.parquet").is_file());
    // Run again: the key is kept and the warehouse replaced.
    let key = fs::read(out.join("steward.key")).unwrap();
    assert!(
        renkei(&["demo", "--out", out.to_str().unwrap(), "--persons", "2000"])
            .status
            .success()
    );
    assert_eq!(fs::read(out.join("steward.key")).unwrap(), key);
}

#[test]
fn bad_arguments_fail_with_a_clear_message_and_write_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("never");
    let cases: [(&[&str], &str); 4] = [
        (&["--persons", "10", "--seed", "1", "--from", "2022-13"], "YYYY-MM"),
        (
            &["--persons", "10", "--seed", "1", "--from", "2024-01", "--to", "2023-01"],
            "before",
        ),
        (&["--persons", "10", "--seed", "1", "--defects", "2"], "between 0 and 1"),
        (&["--persons", "0", "--seed", "1"], "at least 1"),
    ];
    for (args, message) in cases {
        let mut all = vec!["synth", "--out", out.to_str().unwrap()];
        all.extend_from_slice(args);
        let o = renkei(&all);
        assert!(!o.status.success(), "{args:?} succeeded");
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert!(stderr.contains(message), "{args:?}: {stderr}");
        assert!(!out.exists(), "{args:?} wrote output");
    }
}

#[test]
fn doc_commands_print_the_committed_documents() {
    for (command, doc) in [("formats-doc", "formats.md"), ("warehouse-doc", "warehouse.md")] {
        let o = renkei(&[command]);
        assert!(o.status.success());
        let committed = fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs").join(doc)).unwrap();
        assert_eq!(String::from_utf8(o.stdout).unwrap(), committed, "{doc}");
    }
}

#[test]
fn killing_ingest_midway_leaves_the_previous_warehouse_or_none() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("input");
    let key = dir.path().join("steward.key");
    let wh = dir.path().join("warehouse");
    let ok = |o: Output| assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    ok(renkei(&[
        "synth",
        "--persons",
        "6000",
        "--seed",
        "3",
        "--out",
        input.to_str().unwrap(),
    ]));
    ok(renkei(&["keygen", "--out", key.to_str().unwrap()]));
    let args = [
        "ingest",
        "--key",
        key.to_str().unwrap(),
        "--input",
        input.to_str().unwrap(),
        "--out",
        wh.to_str().unwrap(),
    ];
    let started = std::time::Instant::now();
    ok(renkei(&args));
    let full = started.elapsed();
    let previous = tree_hashes(&wh);
    assert!(previous.contains_key("_manifest.json"));
    for fraction in [0.1, 0.3, 0.5, 0.7, 0.9] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_renkei")).args(args).spawn().unwrap();
        std::thread::sleep(full.mul_f64(fraction));
        child.kill().unwrap(); // SIGKILL: no destructor, no cleanup runs
        child.wait().unwrap();
        if wh.exists() {
            assert_eq!(
                tree_hashes(&wh),
                previous,
                "killed at {fraction}: the warehouse is not the previous one"
            );
        }
    }
    // The next run cleans up what the killed runs left beside it and publishes a whole warehouse.
    ok(renkei(&args));
    assert_eq!(tree_hashes(&wh), previous);
    // Beside it: the generation it links to and at most the one before (kept for readers).
    let leftovers: Vec<_> = fs::read_dir(dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".warehouse.") && !n.starts_with(".warehouse.gen-"))
        .collect();
    assert!(leftovers.is_empty(), "staging directories left behind: {leftovers:?}");
    let generations = fs::read_dir(dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with(".warehouse.gen-"))
        .count();
    assert!(generations <= 2, "{generations} generations kept");
}

#[test]
fn keygen_writes_a_private_key_and_never_overwrites() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("k");
    assert!(renkei(&["keygen", "--out", key.to_str().unwrap()]).status.success());
    let before = fs::read(&key).unwrap();
    assert_eq!(fs::metadata(&key).unwrap().permissions().mode() & 0o777, 0o600);
    let again = renkei(&["keygen", "--out", key.to_str().unwrap()]);
    assert!(!again.status.success());
    assert_eq!(fs::read(&key).unwrap(), before);
    let shown = String::from_utf8_lossy(&again.stderr).to_string() + &String::from_utf8_lossy(&again.stdout);
    assert!(
        !shown.contains(String::from_utf8_lossy(&before).trim()),
        "the key appeared in output"
    );
}
