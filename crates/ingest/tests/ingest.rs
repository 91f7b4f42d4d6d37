//! Ingest on real synthetic input: no raw identifier survives, linkage meets its bar,
//! counts reconcile, bad input is quarantined or rejected with its reason.

use arrow::array::{Array, AsArray};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use renkei_ingest::{Options, ingest};
use renkei_pseudonymize::Key;
use renkei_synth::{Config, generate};
use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::fs;
use std::path::{Path, PathBuf};

fn key(seed: u8) -> Key {
    Key::from_bytes([seed; 32])
}

fn synth(dir: &Path, persons: u64, seed: u64, defects: f64) -> PathBuf {
    let out = dir.join("input");
    let mut c = Config::new(persons, seed, out.clone());
    c.defect_rate = defects;
    generate(&c).unwrap();
    out
}

fn run(input: &Path, out: &Path, k: &Key) -> renkei_ingest::Report {
    ingest(
        k,
        &Options {
            input: input.to_path_buf(),
            out: out.to_path_buf(),
            progress: false,
        },
    )
    .unwrap()
}

fn files(root: &Path) -> Vec<PathBuf> {
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

/// Every cell of every Parquet file under `dir`, as text, with whether the column is a
/// string column.
fn typed_cells(dir: &Path) -> Vec<(String, bool, String)> {
    let mut out = Vec::new();
    for path in files(dir)
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "parquet"))
    {
        let reader = ParquetRecordBatchReaderBuilder::try_new(fs::File::open(&path).unwrap())
            .unwrap()
            .build()
            .unwrap();
        for batch in reader {
            let batch = batch.unwrap();
            for (f, col) in batch.schema().fields().iter().zip(batch.columns()) {
                // Event dates (admission, certification) are allowed day-level dates and
                // coincide with someone's birthday; every other column is compared.
                if col.data_type() == &arrow::datatypes::DataType::Date32 {
                    continue;
                }
                let is_string = col.data_type() == &arrow::datatypes::DataType::Utf8;
                let text = arrow::compute::cast(col, &arrow::datatypes::DataType::Utf8).unwrap();
                let text = text.as_string::<i32>();
                for i in 0..text.len() {
                    if !text.is_null(i) {
                        out.push((f.name().clone(), is_string, text.value(i).to_string()));
                    }
                }
            }
        }
    }
    out
}

fn cells(dir: &Path) -> Vec<(String, String)> {
    typed_cells(dir).into_iter().map(|(c, _, v)| (c, v)).collect()
}

fn truth_identifiers(input: &Path) -> Vec<(String, String)> {
    let mut ids = Vec::new();
    for path in files(&input.join("truth/identifiers")) {
        let reader = ParquetRecordBatchReaderBuilder::try_new(fs::File::open(path).unwrap())
            .unwrap()
            .build()
            .unwrap();
        for batch in reader {
            let batch = batch.unwrap();
            let field = batch.column_by_name("field").unwrap().as_string::<i32>().clone();
            let value = batch.column_by_name("value").unwrap().as_string::<i32>().clone();
            for i in 0..batch.num_rows() {
                ids.push((field.value(i).to_string(), value.value(i).to_string()));
            }
        }
    }
    ids
}

#[test]
fn no_raw_identifier_survives_ingest() {
    let dir = tempfile::tempdir().unwrap();
    let input = synth(dir.path(), 2_000, 61, 0.005);
    let wh = dir.path().join("warehouse");
    run(&input, &wh, &key(1));
    let mut raw: HashSet<String> = truth_identifiers(&input).into_iter().map(|(_, v)| v).collect();
    // Birth dates also in ISO and compact Gregorian form, as a careless writer would put them.
    for path in files(&input.join("truth/persons")) {
        let reader = ParquetRecordBatchReaderBuilder::try_new(fs::File::open(path).unwrap())
            .unwrap()
            .build()
            .unwrap();
        for batch in reader {
            let birth = arrow::compute::cast(
                batch.unwrap().column_by_name("birth_date").unwrap(),
                &arrow::datatypes::DataType::Utf8,
            )
            .unwrap();
            for i in 0..birth.len() {
                let iso = birth.as_string::<i32>().value(i).to_string();
                raw.insert(iso.replace('-', ""));
                raw.insert(iso);
            }
        }
    }
    // Card numbers of one to three digits ("21") equal every short code in the warehouse
    // (data categories, outcomes); nothing can be said by scanning for them, so they are
    // left out. Everything of four characters or more is scanned.
    raw.retain(|v| v.chars().count() >= 4);
    assert!(raw.len() > 5_000);
    // Cells of every table (steward-only ones included) are compared whole.
    let all = typed_cells(&wh);
    assert!(all.len() > 100_000);
    for (column, is_string, value) in &all {
        // Counts and points may equal a short card number by chance; text may not, ever.
        let suspicious = *is_string || value.len() >= 6;
        assert!(
            !(suspicious && raw.contains(value)),
            "raw identifier in column {column}"
        );
        // Names are kana or kanji: no warehouse cell holds anything but ASCII codes.
        assert!(value.is_ascii(), "non-ASCII text in column {column}");
    }
    // Text files (quarantine, manifest) and Parquet metadata, token by token; names anywhere.
    let names: Vec<&String> = raw.iter().filter(|v| !v.is_ascii() && v.chars().count() >= 2).collect();
    for path in files(&wh) {
        let bytes = fs::read(&path).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        for token in text.split(|c: char| !c.is_alphanumeric() && c != '-') {
            // As for numeric columns: a count may equal a short card number by chance.
            if token.bytes().all(|b| b.is_ascii_digit()) && token.len() < 6 {
                continue;
            }
            assert!(
                !raw.contains(token),
                "raw identifier token {token:?} in {}",
                path.display()
            );
        }
        if path.extension().is_some_and(|e| e != "parquet") {
            for name in &names {
                assert!(!text.contains(name.as_str()), "a name in {}", path.display());
            }
        }
    }
}

fn person_ids(wh: &Path) -> BTreeSet<String> {
    cells(&wh.join("ndb_claims"))
        .into_iter()
        .filter(|(c, _)| c == "person_id")
        .map(|(_, v)| v)
        .collect()
}

#[test]
fn person_ids_depend_on_the_key_and_the_data_only() {
    let dir = tempfile::tempdir().unwrap();
    let input = synth(dir.path(), 800, 62, 0.0);
    let (a, b, c) = (dir.path().join("a"), dir.path().join("b"), dir.path().join("c"));
    run(&input, &a, &key(1));
    run(&input, &b, &key(1));
    run(&input, &c, &key(2));
    let (pa, pb, pc) = (person_ids(&a), person_ids(&b), person_ids(&c));
    assert!(pa.len() > 500);
    assert_eq!(pa, pb);
    assert!(pa.is_disjoint(&pc), "another key must give no person_id in common");
}

#[test]
fn linkage_meets_its_bar_and_beats_naive_hashing() {
    let dir = tempfile::tempdir().unwrap();
    let input = synth(dir.path(), 4_000, 63, 0.0);
    let wh = dir.path().join("warehouse");
    run(&input, &wh, &key(3));
    let q = renkei_synth::linkage::measure(&wh, &input).unwrap();
    println!("{q}");
    assert!(q.renkei.precision >= 0.999, "{q}");
    assert!(q.renkei.recall >= 0.99, "{q}");
    assert!(
        q.id1_only.recall < q.renkei.recall && q.id2_only.recall < q.renkei.recall,
        "{q}"
    );
}

#[test]
fn linkage_meets_its_bar_on_defective_input() {
    // Synth's defects include claims without their カルテ番号 (`missing_patient_number`):
    // they must link through their other identifiers or stay alone, never join each other.
    let dir = tempfile::tempdir().unwrap();
    let input = synth(dir.path(), 3_000, 66, 0.01);
    let wh = dir.path().join("warehouse");
    run(&input, &wh, &key(8));
    let q = renkei_synth::linkage::measure(&wh, &input).unwrap();
    println!("{q}");
    assert!(q.renkei.precision >= 0.999, "{q}");
    assert!(q.renkei.recall >= 0.99, "{q}");
}

#[test]
fn counts_reconcile_and_rerunning_replaces() {
    let dir = tempfile::tempdir().unwrap();
    let input = synth(dir.path(), 1_500, 64, 0.01);
    let wh = dir.path().join("warehouse");
    let first = run(&input, &wh, &key(4)).manifest;
    let second = run(&input, &wh, &key(4)).manifest;
    assert_eq!(first.tables, second.tables, "a re-run must replace, not add");
    let manifest: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(wh.join("_manifest.json")).unwrap()).unwrap();
    let mut quarantined_total = 0;
    for (source, c) in &first.sources {
        assert_eq!(c.read, c.written + c.quarantined, "{source}");
        assert_eq!(manifest["sources"][source]["read"], c.read);
        let lines = fs::read_to_string(wh.join("_quarantine").join(format!("{source}.jsonl")))
            .unwrap()
            .lines()
            .count() as u64;
        assert_eq!(lines, c.quarantined, "{source}");
        quarantined_total += c.quarantined;
    }
    assert!(quarantined_total > 0 && !first.rejected_files.is_empty());
    assert!(
        manifest["inputs"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["blake3"].as_str().unwrap().len() == 64)
    );
}

/// A clean small input with its first file whose path contains `pattern` replaced by
/// `mutate(text)`, ingested.
fn ingest_with(pattern: &str, mutate: impl Fn(&str) -> Vec<u8>) -> (renkei_ingest::Manifest, BTreeMap<String, String>) {
    let dir = tempfile::tempdir().unwrap();
    let input = synth(dir.path(), 300, 65, 0.0);
    let target = files(&input)
        .into_iter()
        .find(|p| p.strip_prefix(&input).unwrap().to_string_lossy().contains(pattern))
        .unwrap();
    let text = renkei_formats::sjis::decode(&fs::read(&target).unwrap()).unwrap();
    fs::write(&target, mutate(&text)).unwrap();
    let wh = dir.path().join("warehouse");
    let manifest = run(&input, &wh, &key(5)).manifest;
    let quarantine = ["ndb", "kaigo", "dpc"]
        .iter()
        .map(|s| {
            (
                s.to_string(),
                fs::read_to_string(wh.join("_quarantine").join(format!("{s}.jsonl"))).unwrap(),
            )
        })
        .collect();
    (manifest, quarantine)
}

fn sjis(s: &str) -> Vec<u8> {
    renkei_formats::sjis::encode(s).unwrap()
}

/// Replaces field `index` of the first line starting with `tag` by `value`.
fn with_field(text: &str, tag: &str, sep: char, index: usize, value: &str) -> String {
    let mut done = false;
    text.split_inclusive("\r\n")
        .map(|line| {
            if !done && line.starts_with(tag) {
                done = true;
                let body = line.trim_end_matches("\r\n");
                let mut f: Vec<&str> = body.split(sep).collect();
                f[index] = value;
                format!("{}\r\n", f.join(&sep.to_string()))
            } else {
                line.to_string()
            }
        })
        .collect()
}

fn quarantined_once(q: &BTreeMap<String, String>, source: &str, field: &str, reason: &str) {
    let lines: Vec<serde_json::Value> = q[source].lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 1, "{:?}", q[source]);
    assert_eq!(lines[0]["field"], field);
    assert!(lines[0]["reason"].as_str().unwrap().contains(reason), "{}", lines[0]);
    assert!(lines[0]["line"].as_u64().unwrap() >= 1);
}

#[test]
fn quarantine_missing_birth_date() {
    let (_, q) = ingest_with("ndb/", |t| sjis(&with_field(t, "RE,", ',', 6, "")));
    quarantined_once(&q, "ndb", "生年月日", "empty");
}

#[test]
fn quarantine_impossible_date() {
    let (_, q) = ingest_with("ndb/", |t| sjis(&with_field(t, "RE,", ',', 6, "4310230")));
    quarantined_once(&q, "ndb", "生年月日", "not a valid era date");
    let (_, q) = ingest_with("kaigo/certifications/", |t| {
        sjis(&with_field(t, "", ',', 10, "20230230"))
    });
    quarantined_once(&q, "kaigo", "認定年月日", "not a valid date");
}

#[test]
fn quarantine_unknown_code() {
    let (_, q) = ingest_with("ndb/", |t| sjis(&with_field(t, "SY,", ',', 1, "8799999")));
    quarantined_once(&q, "ndb", "傷病名コード", "unknown disease code");
    let (_, q) = ingest_with("kaigo/claims/", |t| {
        let line = t
            .lines()
            .find(|l| l.split(',').nth(1) == Some("02"))
            .unwrap()
            .to_string();
        let mut f: Vec<&str> = line.split(',').collect();
        f[7] = "9999";
        sjis(&t.replacen(&line, &f.join(","), 1))
    });
    quarantined_once(&q, "kaigo", "サービス項目コード", "unknown service code");
}

#[test]
fn quarantine_wrong_field_count() {
    let (_, q) = ingest_with("ndb/", |t| sjis(&t.replacen("\r\nSY,", "\r\nSY,extra,", 1)));
    quarantined_once(&q, "ndb", "(record)", "expected 8 fields, found 9");
}

#[test]
fn reject_trailer_mismatch_truncation_and_bad_encoding() {
    for (name, mutate, reason) in [
        (
            "trailer",
            Box::new(|t: &str| sjis(&t.replace("\r\nGO,", "\r\nGO,9"))) as Box<dyn Fn(&str) -> Vec<u8>>,
            "GO trailer counts",
        ),
        (
            "truncated",
            Box::new(|t: &str| sjis(t)[..sjis(t).len() / 2].to_vec()),
            "truncated",
        ),
        (
            "encoding",
            Box::new(|t: &str| [&[0x82u8, 0xff][..], &sjis(t)].concat()),
            "not Shift_JIS",
        ),
    ] {
        let (m, _) = ingest_with("ndb/", mutate);
        assert_eq!(m.rejected_files.len(), 1, "{name}");
        assert!(
            m.rejected_files[0].reason.contains(reason),
            "{name}: {}",
            m.rejected_files[0].reason
        );
        assert_eq!(m.sources["ndb"].rejected_files, 1);
    }
}

#[test]
fn quarantine_bad_values_and_record_shapes() {
    // A sex code that is neither 1 nor 2.
    let (_, q) = ingest_with("ndb/", |t| sjis(&with_field(t, "RE,", ',', 5, "3")));
    quarantined_once(&q, "ndb", "男女区分", "sex code");
    // Points that are not a number.
    let (_, q) = ingest_with("ndb/", |t| sjis(&with_field(t, "SI,", ',', 5, "12x")));
    quarantined_once(&q, "ndb", "点数", "not an integer");
    // A record type no layout knows, inside a claim.
    let (_, q) = ingest_with("ndb/", |t| sjis(&t.replacen("\r\nSY,", "\r\nZZ,", 1)));
    quarantined_once(&q, "ndb", "(record)", "unknown record type");
    // A 介護 service month that is not YYYYMM.
    let (_, q) = ingest_with("kaigo/claims/", |t| sjis(&with_field(t, "", ',', 2, "2023-4")));
    quarantined_once(&q, "kaigo", "サービス提供年月", "not a month");
    // A DPC case without its birth date / sex item.
    let (_, q) = ingest_with("/FF1_", |t| {
        let first = t.split("\r\n").find(|l| l.contains("\tA000010\t")).unwrap().to_string();
        sjis(&t.replacen(&format!("{first}\r\n"), "", 1))
    });
    quarantined_once(&q, "dpc", "A000010", "no birth date");
    // An EF line with a field too many.
    let (_, q) = ingest_with("/EF_", |t| sjis(&t.replacen("\r\n", "\textra\r\n", 1)));
    quarantined_once(&q, "dpc", "(record)", "expected 32 fields, found 33");
}

#[test]
fn reject_files_without_a_header_or_with_records_before_the_first_claim() {
    let (m, _) = ingest_with("ndb/", |t| sjis(t.split_once("\r\n").unwrap().1));
    assert!(
        m.rejected_files[0].reason.contains("IR header"),
        "{}",
        m.rejected_files[0].reason
    );
    let (m, _) = ingest_with("ndb/", |t| {
        let (ir, rest) = t.split_once("\r\n").unwrap();
        let (re, rest) = rest.split_once("\r\n").unwrap();
        let (next, rest) = rest.split_once("\r\n").unwrap();
        sjis(&format!("{ir}\r\n{next}\r\n{re}\r\n{rest}"))
    });
    assert!(
        m.rejected_files[0].reason.contains("before the first RE"),
        "{}",
        m.rejected_files[0].reason
    );
    let (m, _) = ingest_with("kaigo/claims/", |t| sjis(t.split_once("\r\n").unwrap().1));
    assert!(
        m.rejected_files[0].reason.contains("basic (01)"),
        "{}",
        m.rejected_files[0].reason
    );
    let (m, _) = ingest_with("/EF_", |_| Vec::new());
    assert!(
        m.rejected_files[0].reason.contains("empty"),
        "{}",
        m.rejected_files[0].reason
    );
}

/// A clean small input with every RE line of its UKE file of most claims changed by
/// `mutate` (the claim's order in the file and its fields); returns the input and that
/// file's path relative to it.
fn input_with_claims(dir: &Path, mutate: impl Fn(usize, &mut Vec<String>)) -> (PathBuf, String) {
    let input = synth(dir, 300, 65, 0.0);
    let claims_in = |p: &Path| {
        let text = renkei_formats::sjis::decode(&fs::read(p).unwrap()).unwrap();
        text.split("\r\n").filter(|l| l.starts_with("RE,")).count()
    };
    let target = files(&input.join("ndb"))
        .into_iter()
        .max_by_key(|p| claims_in(p))
        .unwrap();
    let text = renkei_formats::sjis::decode(&fs::read(&target).unwrap()).unwrap();
    let mut claim = 0;
    let changed: Vec<String> = text
        .split("\r\n")
        .map(|line| {
            if !line.starts_with("RE,") {
                return line.to_string();
            }
            let mut f: Vec<String> = line.split(',').map(str::to_string).collect();
            mutate(claim, &mut f);
            claim += 1;
            f.join(",")
        })
        .collect();
    fs::write(&target, sjis(&changed.join("\r\n"))).unwrap();
    let rel = target.strip_prefix(&input).unwrap().to_string_lossy().into_owned();
    (input, rel)
}

/// The `person_id` of each claim (by line) of one file, from the steward-only origins.
fn persons_of_file(wh: &Path, file: &str) -> BTreeMap<u64, String> {
    let mut out = BTreeMap::new();
    let reader = |p: PathBuf| {
        ParquetRecordBatchReaderBuilder::try_new(fs::File::open(p).unwrap())
            .unwrap()
            .build()
            .unwrap()
    };
    for path in files(&wh.join("_linkage/record_origins")) {
        for batch in reader(path) {
            let batch = batch.unwrap();
            let col = |n: &str| {
                arrow::compute::cast(batch.column_by_name(n).unwrap(), &arrow::datatypes::DataType::Utf8).unwrap()
            };
            let (f, line, person) = (col("file"), col("line"), col("person_id"));
            let (f, line, person) = (f.as_string::<i32>(), line.as_string::<i32>(), person.as_string::<i32>());
            for i in 0..batch.num_rows() {
                if f.value(i) == file {
                    out.insert(line.value(i).parse().unwrap(), person.value(i).to_string());
                }
            }
        }
    }
    out
}

#[test]
fn claims_without_a_patient_number_do_not_join_each_other() {
    // A facility whose system leaves カルテ番号 empty, blank, or padded with zeros: every
    // claim of its file is another person (one claim per person, facility and month).
    let dir = tempfile::tempdir().unwrap();
    let blanks = ["", " ", "0000000000", "\u{3000}"];
    let (input, file) = input_with_claims(dir.path(), |i, f| {
        f[renkei_formats::uke::re::KARTE_NO] = blanks[i % blanks.len()].to_string();
    });
    let wh = dir.path().join("warehouse");
    run(&input, &wh, &key(6));
    let persons = persons_of_file(&wh, &file);
    let distinct: BTreeSet<&String> = persons.values().collect();
    assert!(persons.len() >= 8, "{} claims in {file}", persons.len());
    assert_eq!(distinct.len(), persons.len(), "claims of different persons joined");
    let q = renkei_synth::linkage::measure(&wh, &input).unwrap();
    assert!(q.renkei.precision >= 0.999 && q.renkei.recall >= 0.99, "{q}");
}

#[test]
fn a_patient_number_written_for_another_person_does_not_join_them() {
    // The second claim of the file carries the first claim's カルテ番号 but another
    // person's sex and birth date (a number reused, or typed into the wrong record).
    let dir = tempfile::tempdir().unwrap();
    let first = std::sync::Mutex::new(None);
    let (input, file) = input_with_claims(dir.path(), |i, f| {
        use renkei_formats::uke::re::{BIRTH_DATE, KARTE_NO, SEX};
        let mut first = first.lock().unwrap();
        match (i, first.as_ref()) {
            (0, _) => *first = Some((f[KARTE_NO].clone(), f[SEX].clone(), f[BIRTH_DATE].clone())),
            (1, Some((karte, sex, birth))) => {
                assert!((sex, birth) != (&f[SEX], &f[BIRTH_DATE]));
                f[KARTE_NO] = karte.clone();
            }
            _ => {}
        }
    });
    let wh = dir.path().join("warehouse");
    let manifest = run(&input, &wh, &key(7)).manifest;
    let persons: Vec<String> = persons_of_file(&wh, &file).into_values().collect();
    assert_ne!(persons[0], persons[1], "a shared patient number joined two persons");
    assert!(manifest.refused_merges >= 1);
    let q = renkei_synth::linkage::measure(&wh, &input).unwrap();
    assert!(q.renkei.precision >= 0.999, "{q}");
}
