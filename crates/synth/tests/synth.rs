//! Generates real output and reads it back through the record layouts: the same path
//! ingest will take. One test binary for the crate (each binary links parquet anew).

use arrow::array::{Array, AsArray};
use arrow::datatypes::UInt64Type;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use renkei_formats::era::YearMonth;
use renkei_formats::{sjis, uke};
use renkei_synth::stats::{self, Problem};
use renkei_synth::{Config, generate, sample_config};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fs;
use std::path::{Path, PathBuf};

fn config(dir: &Path, persons: u64, seed: u64, defects: f64) -> Config {
    let mut c = Config::new(persons, seed, dir.to_path_buf());
    c.defect_rate = defects;
    c
}

fn all_files(root: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() { stack.push(p) } else { out.push(p) }
        }
    }
    out.sort();
    out
}

fn hashes(root: &Path, skip: &[&str]) -> BTreeMap<String, String> {
    all_files(root)
        .into_iter()
        .map(|p| (p.strip_prefix(root).unwrap().to_string_lossy().into_owned(), p))
        .filter(|(rel, _)| !skip.contains(&rel.as_str()))
        .map(|(rel, p)| (rel, format!("{:x}", Sha256::digest(fs::read(p).unwrap()))))
        .collect()
}

/// Rows of a truth table, each column as text.
fn truth_table(root: &Path, table: &str) -> Vec<HashMap<String, String>> {
    let mut rows = Vec::new();
    for path in all_files(&root.join("truth").join(table)) {
        let reader = ParquetRecordBatchReaderBuilder::try_new(fs::File::open(path).unwrap())
            .unwrap()
            .build()
            .unwrap();
        for batch in reader {
            let batch = batch.unwrap();
            for i in 0..batch.num_rows() {
                let mut row = HashMap::new();
                for (f, col) in batch.schema().fields().iter().zip(batch.columns()) {
                    let v = match col.data_type() {
                        arrow::datatypes::DataType::Utf8 => col.as_string::<i32>().value(i).to_string(),
                        arrow::datatypes::DataType::UInt64 => col.as_primitive::<UInt64Type>().value(i).to_string(),
                        _ => format!("{:?}", col.slice(i, 1)),
                    };
                    row.insert(f.name().clone(), v);
                }
                rows.push(row);
            }
        }
    }
    rows
}

#[test]
fn clean_output_reads_back_with_every_record_type_and_no_problem() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config(dir.path(), 4_000, 11, 0.0);
    cfg.from = YearMonth::new(2023, 1).unwrap();
    cfg.to = YearMonth::new(2023, 12).unwrap();
    let summary = generate(&cfg).unwrap();
    assert_eq!(summary.spoilt_files, 0);
    let s = stats::read(dir.path()).unwrap();
    assert!(
        s.problems.is_empty(),
        "clean output has problems: {:?}",
        &s.problems[..s.problems.len().min(5)]
    );
    for kind in [
        "UKE IR",
        "UKE RE",
        "UKE HO",
        "UKE KO",
        "UKE SN",
        "UKE SY",
        "UKE SI",
        "UKE IY",
        "UKE CO",
        "UKE GO",
        "介護 01",
        "介護 02",
        "介護 10",
        "介護 認定",
        "DPC 様式1",
        "DPC EF",
    ] {
        assert!(
            s.records.get(kind).copied().unwrap_or(0) > 0,
            "no {kind} record written"
        );
    }
    // One GO trailer per file, totals checked by `stats::read` (it would report
    // `trailer_mismatch`), and claims counted back equal the claims written.
    assert_eq!(s.records["UKE GO"], s.files["ndb"]);
    assert_eq!(s.ndb_claims, summary.ndb_claims);
    assert_eq!(s.dpc_cases, summary.dpc_cases);
    assert_eq!(s.ltc_claims, summary.ltc_claims);
}

#[test]
fn every_native_file_is_shift_jis_with_crlf_lines() {
    let dir = tempfile::tempdir().unwrap();
    generate(&config(dir.path(), 1_500, 5, 0.0)).unwrap();
    let mut non_ascii = 0;
    for sub in ["ndb", "kaigo", "dpc"] {
        for path in all_files(&dir.path().join(sub)) {
            let bytes = fs::read(&path).unwrap();
            let text = sjis::decode(&bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            assert!(text.ends_with("\r\n"), "{}", path.display());
            assert!(
                !text.replace("\r\n", "").contains('\n'),
                "bare LF in {}",
                path.display()
            );
            non_ascii += usize::from(!bytes.is_ascii());
        }
    }
    assert!(
        non_ascii > 0,
        "names must be written in kana/kanji, i.e. as multi-byte Shift_JIS"
    );
}

#[test]
fn defects_found_on_reading_are_exactly_the_defects_made() {
    let dir = tempfile::tempdir().unwrap();
    generate(&config(dir.path(), 3_000, 21, 0.01)).unwrap();
    let found = stats::read(dir.path()).unwrap().problems;
    assert!(
        !found.iter().any(|p| p.kind == "format" || p.kind == "encoding"),
        "{:?}",
        found.iter().find(|p| p.kind == "format")
    );
    let made = truth_table(dir.path(), "defects");
    let spoilt_files: BTreeSet<String> = made
        .iter()
        .filter(|r| r["line"] == "0")
        .map(|r| r["file"].clone())
        .collect();
    let key = |file: &str, line: &str, kind: &str| (file.to_string(), line.to_string(), kind.to_string());
    // Record defects inside a spoilt file are hidden by the file's own defect.
    let made: BTreeSet<_> = made
        .iter()
        .filter(|r| r["line"] == "0" || !spoilt_files.contains(&r["file"]))
        .map(|r| key(&r["file"], &r["line"], &r["kind"]))
        .collect();
    let found: BTreeSet<_> = found
        .iter()
        .filter(|p: &&Problem| p.line == 0 || !spoilt_files.contains(&p.file))
        .map(|p| key(&p.file, &p.line.to_string(), &p.kind))
        .collect();
    let kinds: BTreeSet<&str> = made.iter().map(|k| k.2.as_str()).collect();
    for kind in [
        "missing_birth_date",
        "impossible_date",
        "unknown_code",
        "wrong_field_count",
        "truncated_file",
        "trailer_mismatch",
        "missing_patient_number",
    ] {
        assert!(kinds.contains(kind), "no {kind} defect was made at this rate");
    }
    let missed: Vec<_> = made.difference(&found).take(5).collect();
    let unexpected: Vec<_> = found.difference(&made).take(5).collect();
    assert!(
        missed.is_empty() && unexpected.is_empty(),
        "made but not found: {missed:?}; found but not made: {unexpected:?}"
    );
}

#[test]
fn the_same_seed_gives_the_same_bytes_whatever_the_thread_count() {
    let (a, b, c) = (
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
    );
    let mut one = config(a.path(), 1_500, 7, 0.001);
    one.threads = 1;
    generate(&one).unwrap();
    let mut two = config(b.path(), 1_500, 7, 0.001);
    two.threads = 2;
    generate(&two).unwrap();
    generate(&config(c.path(), 1_500, 8, 0.001)).unwrap();
    let (ha, hb, hc) = (hashes(a.path(), &[]), hashes(b.path(), &[]), hashes(c.path(), &[]));
    assert!(ha.len() > 100);
    assert_eq!(ha, hb);
    let same = ha
        .iter()
        .filter(|(k, v)| k.starts_with("ndb") && hc.get(*k) == Some(v))
        .count();
    assert_eq!(same, 0, "another seed must give other claims");
}

#[test]
fn prefecture_groups_together_write_exactly_the_whole_country_run() {
    let (whole, north, south) = (
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
    );
    generate(&config(whole.path(), 1_500, 7, 0.001)).unwrap();
    let mut first = config(north.path(), 1_500, 7, 0.001);
    first.prefectures = 1..=13;
    let written_north = generate(&first).unwrap();
    let mut rest = config(south.path(), 1_500, 7, 0.001);
    rest.prefectures = 14..=47;
    let written_south = generate(&rest).unwrap();
    assert_eq!(written_north.persons + written_south.persons, 1_500);
    assert!(written_north.persons > 0 && written_south.persons > 0);

    // Masters describe the whole country in every group; every other file is written by
    // exactly one group, byte for byte as the whole-country run writes it.
    let records = |root: &Path| -> BTreeMap<String, String> {
        hashes(root, &[renkei_synth::MARKER])
            .into_iter()
            .filter(|(rel, _)| !rel.starts_with("masters/"))
            .collect()
    };
    let (hw, hn, hs) = (records(whole.path()), records(north.path()), records(south.path()));
    assert!(hn.keys().all(|k| !hs.contains_key(k)), "a file written by both groups");
    let mut together = hn.clone();
    together.extend(hs);
    assert_eq!(together, hw);
    let masters = |root: &Path| hashes(&root.join("masters"), &[]);
    assert_eq!(masters(north.path()), masters(whole.path()));
    assert_eq!(masters(south.path()), masters(whole.path()));
    let marker = fs::read_to_string(north.path().join(renkei_synth::MARKER)).unwrap();
    assert!(marker.contains("--prefectures 1-13"), "{marker}");
}

#[test]
fn committed_sample_data_regenerates_byte_for_byte() {
    let committed = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../sample-data");
    let dir = tempfile::tempdir().unwrap();
    generate(&sample_config(dir.path().to_path_buf())).unwrap();
    let fresh = hashes(dir.path(), &[]);
    let stored = hashes(&committed, &["README.md"]);
    assert_eq!(fresh.len(), stored.len(), "file count differs from sample-data/");
    assert!(
        fresh == stored,
        "sample-data/ is stale: regenerate it with the command in sample-data/README.md"
    );
}

#[test]
fn realism_statistics_hold_their_documented_targets() {
    let dir = tempfile::tempdir().unwrap();
    generate(&config(dir.path(), 20_000, 2024, 0.0)).unwrap();
    let s = stats::read(dir.path()).unwrap();
    assert_eq!(s.checks.len(), 4);
    for c in &s.checks {
        assert!(
            c.holds(),
            "{}: {:.3} is not within ±{:.3} of {:.3}",
            c.name,
            c.value,
            c.tolerance,
            c.target
        );
    }
}

#[test]
fn ground_truth_names_every_record_and_every_identifier_written() {
    let dir = tempfile::tempdir().unwrap();
    generate(&config(dir.path(), 2_000, 31, 0.0)).unwrap();
    let mut text_of: HashMap<String, String> = HashMap::new();
    let mut read = |rel: &str| -> String {
        text_of
            .entry(rel.to_string())
            .or_insert_with(|| sjis::decode(&fs::read(dir.path().join(rel)).unwrap()).unwrap())
            .clone()
    };
    let records = truth_table(dir.path(), "records");
    assert!(records.len() > 1_000);
    for r in records.iter().step_by(37) {
        let text = read(&r["file"]);
        let line = text.split("\r\n").nth(r["line"].parse::<usize>().unwrap() - 1).unwrap();
        let expected_start = match r["kind"].as_str() {
            "claim" => line.starts_with("RE,"),
            "ltc_claim" => line.split(',').nth(1) == Some("01"),
            "certification" => line.split(',').count() == renkei_formats::kaigo::certification::LAYOUT.field_count(),
            "case" => line.split('\t').nth(5) == Some("A000010"),
            other => panic!("unknown record kind {other}"),
        };
        assert!(
            expected_start,
            "{} line {} is not a {}: {line}",
            r["file"], r["line"], r["kind"]
        );
    }
    // Every raw identifier the truth lists was written into some file of its source.
    let mut corpus: HashMap<&str, String> = HashMap::new();
    for source in ["ndb", "kaigo", "dpc"] {
        let mut all = String::new();
        for p in all_files(&dir.path().join(source)) {
            all.push_str(&sjis::decode(&fs::read(p).unwrap()).unwrap());
        }
        corpus.insert(source, all);
    }
    let ids = truth_table(dir.path(), "identifiers");
    for id in ids.iter().step_by(11) {
        assert!(
            corpus[id["source"].as_str()].contains(&id["value"]),
            "{} {} {:?} not found",
            id["source"],
            id["field"],
            id["value"]
        );
    }
}

#[test]
fn identifiers_churn_as_in_the_real_databases() {
    let dir = tempfile::tempdir().unwrap();
    generate(&config(dir.path(), 5_000, 41, 0.0)).unwrap();
    let ids = truth_table(dir.path(), "identifiers");
    let mut per_person: HashMap<(String, String), BTreeSet<String>> = HashMap::new();
    for id in ids.iter().filter(|r| r["source"] == "ndb") {
        per_person
            .entry((id["person"].clone(), id["field"].clone()))
            .or_default()
            .insert(id["value"].clone());
    }
    let persons = per_person.keys().map(|(p, _)| p.clone()).collect::<BTreeSet<_>>().len() as f64;
    let share = |field: &str| {
        per_person
            .iter()
            .filter(|((_, f), v)| f == field && v.len() > 1)
            .count() as f64
            / persons
    };
    // Insurer changes: job changes, turning 75, marriage, moves under 国保 (≈ 5–20 % in two years).
    let insurers = share("insurer_number");
    assert!(
        (0.03..0.3).contains(&insurers),
        "share with several insurers: {insurers}"
    );
    // Names written differently by different facilities (width, spacing, kanji forms).
    let names = share("kana_name");
    assert!(names > 0.2, "share with several kana spellings: {names}");
    let all_names: Vec<&String> = ids
        .iter()
        .filter(|r| r["field"] == "kana_name")
        .map(|r| &r["value"])
        .collect();
    assert!(
        all_names.iter().any(|n| n.chars().any(|c| ('ｦ'..='ﾟ').contains(&c))),
        "half-width kana"
    );
    assert!(all_names.iter().any(|n| n.contains('ー')), "long-vowel marks");
    let cards: Vec<&String> = ids
        .iter()
        .filter(|r| r["field"] == "card_number")
        .map(|r| &r["value"])
        .collect();
    assert!(cards.iter().any(|n| n.starts_with('0')), "zero-padded card numbers");
    assert!(
        cards.iter().any(|n| n.chars().any(|c| ('０'..='９').contains(&c))),
        "full-width card numbers"
    );
    let kanji: BTreeSet<&str> = ids
        .iter()
        .filter(|r| r["field"] == "name")
        .map(|r| r["value"].as_str())
        .collect();
    assert!(
        kanji
            .iter()
            .any(|n| n.starts_with("渡邊") || n.starts_with("渡邉") || n.starts_with("齋藤")),
        "kanji variants"
    );
    // Claims without the SN branch record: about 5 %.
    let (mut re, mut sn) = (0u64, 0u64);
    for p in all_files(&dir.path().join("ndb")) {
        for line in sjis::decode(&fs::read(p).unwrap()).unwrap().split("\r\n") {
            match uke::layout_of(line).map(|l| l.name) {
                Ok("UKE RE") => re += 1,
                Ok("UKE SN") => sn += 1,
                _ => {}
            }
        }
    }
    let missing = 1.0 - sn as f64 / re as f64;
    assert!(
        (0.03..0.12).contains(&missing),
        "claims without a branch number: {missing}"
    );
}

#[test]
fn heavy_users_and_costly_stays_exist() {
    let dir = tempfile::tempdir().unwrap();
    generate(&config(dir.path(), 10_000, 51, 0.0)).unwrap();
    let records = truth_table(dir.path(), "records");
    let mut claims_per_person: HashMap<&str, u64> = HashMap::new();
    for r in records.iter().filter(|r| r["kind"] == "claim") {
        *claims_per_person.entry(r["person"].as_str()).or_default() += 1;
    }
    let mut counts: Vec<u64> = claims_per_person.values().copied().collect();
    counts.sort_unstable();
    let median = counts[counts.len() / 2];
    let max = *counts.last().unwrap();
    assert!(
        max >= 4 * median.max(1),
        "heaviest user has {max} claims, median {median}"
    );
    // The most expensive claim dwarfs a typical one (dominance in sums matters), and
    // dialysis patients come 12–14 days a month.
    let (mut max_points, mut max_days) = (0u64, 0u64);
    for p in all_files(&dir.path().join("ndb")) {
        let text = sjis::decode(&fs::read(p).unwrap()).unwrap();
        for line in text.split("\r\n").filter(|l| l.starts_with("HO,")) {
            let fields: Vec<&str> = line.split(',').collect();
            max_days = max_days.max(fields[uke::ho::DAYS].parse().unwrap());
            max_points = max_points.max(fields[uke::ho::TOTAL_POINTS].parse().unwrap());
        }
    }
    assert!(max_points > 100_000, "largest claim only {max_points} points");
    assert!(max_days >= 12, "no patient comes more than {max_days} days a month");
}

#[test]
fn a_directory_not_written_by_synth_is_never_overwritten() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("precious.txt"), "keep").unwrap();
    let err = generate(&config(dir.path(), 10, 1, 0.0)).unwrap_err();
    assert!(err.to_string().contains("not empty"), "{err}");
    assert_eq!(fs::read_to_string(dir.path().join("precious.txt")).unwrap(), "keep");
    // An earlier synth output is replaced, not mixed with the new one.
    let out = dir.path().join("out");
    generate(&config(&out, 300, 1, 0.0)).unwrap();
    let before = hashes(&out, &[]);
    generate(&config(&out, 200, 2, 0.0)).unwrap();
    generate(&config(&out, 300, 1, 0.0)).unwrap();
    assert_eq!(hashes(&out, &[]), before);
}

#[test]
fn persons_are_spread_over_prefectures_by_population() {
    let counts = renkei_synth::geography::persons_per_prefecture(1_000_000);
    assert_eq!(counts.iter().sum::<u64>(), 1_000_000);
    let tokyo = counts[12] as f64 / 1e6;
    assert!((0.105..0.118).contains(&tokyo), "Tokyo share {tokyo}");
    assert!(counts.iter().all(|c| *c > 3_000));
}
