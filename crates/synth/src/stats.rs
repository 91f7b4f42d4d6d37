//! Reading a `renkei synth` output back: every file is decoded and every record split
//! against its layout, codes are checked against the masters, and the realism
//! statistics are computed next to their documented targets.
//!
//! This is also how the tests hold the generator to the formats: what is read here is
//! what ingest will read.

use crate::catalog::{DRUGS, LTC_SERVICES, PROCEDURES, diagnoses};
use crate::error::{Result, SynthError, io};
use crate::reference::reference;
use chrono::NaiveDate;
use renkei_formats::check_digit::{is_valid_modulus10_w21, is_valid_municipality_code};
use renkei_formats::era::{self, YearMonth};
use renkei_formats::layout::{Layout, ParseError, Record};
use renkei_formats::{dpc, kaigo, sjis, uke};
use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};

/// A problem found in one record (line ≥ 1) or one whole file (line 0). `kind` uses the
/// names of `truth/defects`; `format` marks a rule the generator itself broke.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Problem {
    pub file: String,
    pub line: u64,
    pub kind: String,
    pub detail: String,
}

/// A statistic, its target and how far it may stray.
#[derive(Debug, Clone)]
pub struct Check {
    pub name: &'static str,
    pub value: f64,
    pub target: f64,
    /// Allowed absolute difference.
    pub tolerance: f64,
    pub source: &'static str,
}

impl Check {
    pub fn holds(&self) -> bool {
        (self.value - self.target).abs() <= self.tolerance
    }
}

#[derive(Debug, Default)]
pub struct Stats {
    pub files: BTreeMap<&'static str, u64>,
    pub records: BTreeMap<&'static str, u64>,
    pub problems: Vec<Problem>,
    pub ndb_claims: u64,
    pub inpatient_claims: u64,
    pub total_points: u64,
    pub admissions: u64,
    pub ltc_claims: u64,
    pub certifications_by_level: BTreeMap<String, u64>,
    pub dpc_cases: u64,
    pub persons: u64,
    pub person_years: f64,
    pub checks: Vec<Check>,
}

struct Masters {
    diseases: HashSet<String>,
    receipt_codes: HashSet<&'static str>,
    ltc_items: HashSet<(&'static str, &'static str)>,
}

fn masters() -> Masters {
    Masters {
        diseases: diagnoses().iter().map(|d| d.code.clone()).collect(),
        receipt_codes: PROCEDURES
            .iter()
            .map(|p| p.code)
            .chain(DRUGS.iter().map(|d| d.code))
            .collect(),
        ltc_items: LTC_SERVICES.iter().map(|s| (s.kind, s.item)).collect(),
    }
}

/// Files under `dir/sub`, sorted, with paths relative to `dir`.
fn files_under(dir: &Path, sub: &str) -> Result<Vec<(String, PathBuf)>> {
    renkei_formats::tree::files_under(dir, sub).map_err(|(path, source)| SynthError::Io { path, source })
}

/// Decodes a file and splits it into lines, or reports why it is unreadable as a whole.
fn read_lines(rel: &str, path: &Path, problems: &mut Vec<Problem>) -> Result<Option<String>> {
    let bytes = fs::read(path).map_err(io(path))?;
    let file_problem = |kind: &str, detail: String| Problem {
        file: rel.to_string(),
        line: 0,
        kind: kind.into(),
        detail,
    };
    if !bytes.ends_with(b"\r\n") {
        problems.push(file_problem("truncated_file", "the last line has no CRLF".into()));
        return Ok(None);
    }
    match sjis::decode(&bytes) {
        Ok(text) => Ok(Some(text)),
        Err(e) => {
            problems.push(file_problem("encoding", e.to_string()));
            Ok(None)
        }
    }
}

fn lines(text: &str) -> impl Iterator<Item = (u64, &str)> {
    text.split_terminator("\r\n")
        .enumerate()
        .map(|(i, l)| (i as u64 + 1, l))
}

struct Reader<'a> {
    rel: &'a str,
    problems: &'a mut Vec<Problem>,
}

impl Reader<'_> {
    fn problem(&mut self, line: u64, kind: &str, detail: impl Into<String>) {
        self.problems.push(Problem {
            file: self.rel.to_string(),
            line,
            kind: kind.into(),
            detail: detail.into(),
        });
    }

    /// An era date that must parse and format back to the same text.
    fn era_date(&mut self, line: u64, value: &str) -> Option<NaiveDate> {
        if value.is_empty() {
            self.problem(line, "missing_birth_date", "empty date");
            return None;
        }
        match era::parse_date(value) {
            Ok(d) => {
                if era::format_date(d) != value {
                    self.problem(line, "format", format!("era date {value} does not round-trip"));
                }
                Some(d)
            }
            Err(e) => {
                self.problem(line, "impossible_date", e.to_string());
                None
            }
        }
    }
}

/// Counts the line under its layout and splits it; a line that fits no layout, or has
/// the wrong number of fields, is a `wrong_field_count` problem.
fn record<'l>(
    r: &mut Reader,
    counts: &mut BTreeMap<&'static str, u64>,
    layout: std::result::Result<&'static Layout, ParseError>,
    n: u64,
    line: &'l str,
) -> Option<Record<'l>> {
    let split = layout.and_then(|layout| {
        *counts.entry(layout.name).or_default() += 1;
        layout.split(line)
    });
    match split {
        Ok(rec) => Some(rec),
        Err(e) => {
            r.problem(n, "wrong_field_count", e.to_string());
            None
        }
    }
}

fn read_uke(
    stats: &mut Stats,
    m: &Masters,
    rel: &str,
    text: &str,
    stays: &mut BTreeSet<(String, String, NaiveDate)>,
    period: (YearMonth, YearMonth),
) {
    let facility = rel
        .rsplit('/')
        .next()
        .unwrap_or_default()
        .split('_')
        .next()
        .unwrap_or_default()
        .to_string();
    let mut r = Reader {
        rel,
        problems: &mut stats.problems,
    };
    let (mut claims, mut points, mut trailer) = (0u64, 0u64, None);
    // Points of 公費単独 claims (no HO record) count through their KO record.
    let mut claim_has_ho = false;
    for (n, line) in lines(text) {
        let Some(rec) = record(&mut r, &mut stats.records, uke::layout_of(line), n, line) else {
            continue;
        };
        match rec.layout.name {
            "UKE IR" => {
                if !is_valid_modulus10_w21(rec.get(uke::ir::FACILITY_CODE)) {
                    r.problem(n, "format", "facility code check digit");
                }
                if era::parse_month(rec.get(uke::ir::BILLING_MONTH)).is_err() {
                    r.problem(n, "format", "billing month");
                }
            }
            "UKE RE" => {
                claims += 1;
                claim_has_ho = false;
                r.era_date(n, rec.get(uke::re::BIRTH_DATE));
                let karte = rec.get(uke::re::KARTE_NO);
                if karte.trim().is_empty() {
                    r.problem(n, "missing_patient_number", "empty カルテ番号");
                }
                if era::parse_month(rec.get(uke::re::SERVICE_MONTH)).is_err() {
                    r.problem(n, "format", "service month");
                }
                let admission = rec.get(uke::re::ADMISSION_DATE);
                if !admission.is_empty() {
                    stats.inpatient_claims += 1;
                    // A stay is known by its patient number: a claim without one is left
                    // out (the stay's other months count it; a one-month stay is missed).
                    if let Some(d) = r.era_date(n, admission)
                        && YearMonth::of(d) >= period.0
                        && YearMonth::of(d) <= period.1
                        && !karte.trim().is_empty()
                    {
                        stays.insert((facility.clone(), karte.to_string(), d));
                    }
                }
            }
            "UKE HO" => {
                let insurer = rec.get(uke::ho::INSURER_NO);
                if !(matches!(insurer.len(), 6 | 8) && is_valid_modulus10_w21(insurer)) {
                    r.problem(n, "format", format!("insurer number {insurer}"));
                }
                points += rec.get(uke::ho::TOTAL_POINTS).parse::<u64>().unwrap_or(0);
                claim_has_ho = true;
            }
            "UKE KO" if !claim_has_ho => {
                points += rec.get(uke::ko::TOTAL_POINTS).parse::<u64>().unwrap_or(0);
            }
            "UKE SY" => {
                let code = rec.get(uke::sy::DISEASE_CODE);
                if !m.diseases.contains(code) {
                    r.problem(n, "unknown_code", format!("disease code {code}"));
                }
                r.era_date(n, rec.get(uke::sy::START_DATE));
            }
            "UKE SI" | "UKE IY" => {
                let code = rec.get(uke::si::PROCEDURE_CODE);
                if !m.receipt_codes.contains(code) {
                    r.problem(n, "unknown_code", format!("receipt code {code}"));
                }
                let times: u64 = rec.get(uke::si::TIMES).parse().unwrap_or(0);
                let by_day: u64 = (uke::si::DAY_1..=uke::si::DAY_31)
                    .map(|i| rec.get(i).parse::<u64>().unwrap_or(0))
                    .sum();
                if times != by_day {
                    r.problem(n, "format", format!("回数 {times} but days add up to {by_day}"));
                }
            }
            "UKE GO" => {
                trailer = Some((
                    n,
                    rec.get(uke::go::TOTAL_CLAIMS).parse::<u64>().unwrap_or(u64::MAX),
                    rec.get(uke::go::TOTAL_POINTS).parse::<u64>().unwrap_or(u64::MAX),
                ));
            }
            _ => {}
        }
    }
    stats.ndb_claims += claims;
    stats.total_points += points;
    match trailer {
        None => r.problem(0, "truncated_file", "no GO trailer"),
        Some((_, c, p)) if c != claims || p != points => r.problem(
            0,
            "trailer_mismatch",
            format!("GO says {c} claims / {p} points, file has {claims} / {points}"),
        ),
        _ => {}
    }
}

fn read_kaigo_claims(stats: &mut Stats, m: &Masters, rel: &str, text: &str) {
    let mut r = Reader {
        rel,
        problems: &mut stats.problems,
    };
    for (n, line) in lines(text) {
        let Some(rec) = record(&mut r, &mut stats.records, kaigo::claim_layout_of(line), n, line) else {
            continue;
        };
        match rec.layout.name {
            "介護 01" => {
                stats.ltc_claims += 1;
                r.era_date(n, rec.get(kaigo::basic::BIRTH_DATE));
                if !is_valid_municipality_code(rec.get(kaigo::basic::INSURER_NO)) {
                    r.problem(n, "format", "insurer (municipality) code");
                }
                if !is_valid_modulus10_w21(rec.get(kaigo::basic::PROVIDER_NO)) {
                    r.problem(n, "format", "provider number check digit");
                }
            }
            "介護 02" => {
                let key = (
                    rec.get(kaigo::detail::SERVICE_TYPE),
                    rec.get(kaigo::detail::SERVICE_ITEM),
                );
                if !m.ltc_items.iter().any(|(k, i)| *k == key.0 && *i == key.1) {
                    r.problem(n, "unknown_code", format!("service {}{}", key.0, key.1));
                }
            }
            _ => {}
        }
    }
}

fn read_certifications(stats: &mut Stats, rel: &str, text: &str) {
    let mut r = Reader {
        rel,
        problems: &mut stats.problems,
    };
    for (n, line) in lines(text) {
        let Some(rec) = record(&mut r, &mut stats.records, Ok(&kaigo::certification::LAYOUT), n, line) else {
            continue;
        };
        r.era_date(n, rec.get(kaigo::certification::BIRTH_DATE));
        *stats
            .certifications_by_level
            .entry(rec.get(kaigo::certification::SECOND_JUDGEMENT).to_string())
            .or_default() += 1;
    }
}

fn read_dpc(stats: &mut Stats, m: &Masters, rel: &str, text: &str) {
    let ef_file = rel.rsplit('/').next().is_some_and(|f| f.starts_with("EF_"));
    let mut r = Reader {
        rel,
        problems: &mut stats.problems,
    };
    for (n, line) in lines(text) {
        let layout = if ef_file { &dpc::ef::LAYOUT } else { &dpc::form1::LAYOUT };
        let Some(rec) = record(&mut r, &mut stats.records, Ok(layout), n, line) else {
            continue;
        };
        if ef_file {
            let code = rec.get(dpc::ef::RECEIPT_CODE);
            if !m.receipt_codes.contains(code) {
                r.problem(n, "unknown_code", format!("receipt code {code}"));
            }
        } else if rec.get(dpc::form1::ITEM_CODE) == "A000010" {
            stats.dpc_cases += 1;
            if let Err(e) = era::parse_ymd(rec.get(dpc::form1::PAYLOAD1)) {
                r.problem(n, "impossible_date", e.to_string());
            }
        }
    }
}

/// The period recorded in the output's marker file.
fn period(dir: &Path) -> Result<(YearMonth, YearMonth)> {
    let marker = dir.join(crate::MARKER);
    let text = fs::read_to_string(&marker).map_err(io(&marker))?;
    let arg = |flag: &str| {
        text.split_whitespace()
            .skip_while(|w| *w != flag)
            .nth(1)
            .and_then(YearMonth::parse_dashed)
    };
    match (arg("--from"), arg("--to")) {
        (Some(f), Some(t)) => Ok((f, t)),
        _ => Err(SynthError::Config(format!(
            "{} does not name the period",
            marker.display()
        ))),
    }
}

/// Reads the ground-truth persons: (birth date, death date, certified at start).
fn truth_persons(dir: &Path) -> Result<Vec<(NaiveDate, Option<NaiveDate>, bool)>> {
    let mut out = Vec::new();
    let mut bad = false;
    let date = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok();
    crate::linkage::for_each_row(
        &dir.join("truth/persons"),
        &["birth_date", "death_date", "certified_at_start"],
        |r| match (r[0].and_then(date), r[1], r[2]) {
            (Some(birth), death, Some(cert)) => out.push((birth, death.and_then(date), cert == "true")),
            _ => bad = true,
        },
    )?;
    if bad {
        return Err(SynthError::Config(format!(
            "{} has persons without birth date",
            dir.display()
        )));
    }
    Ok(out)
}

/// Reads every file under `dir` (a `renkei synth` output) and computes the statistics.
pub fn read(dir: &Path) -> Result<Stats> {
    let (from, to) = period(dir)?;
    let m = masters();
    let mut stats = Stats::default();
    let mut stays = BTreeSet::new();
    for (source, sub) in [
        ("ndb", "ndb"),
        ("kaigo", "kaigo/claims"),
        ("kaigo", "kaigo/certifications"),
        ("dpc", "dpc"),
    ] {
        for (rel, path) in files_under(dir, sub)? {
            *stats.files.entry(source).or_default() += 1;
            let Some(text) = read_lines(&rel, &path, &mut stats.problems)? else {
                continue;
            };
            match sub {
                "ndb" => read_uke(&mut stats, &m, &rel, &text, &mut stays, (from, to)),
                "kaigo/claims" => read_kaigo_claims(&mut stats, &m, &rel, &text),
                "kaigo/certifications" => read_certifications(&mut stats, &rel, &text),
                _ => read_dpc(&mut stats, &m, &rel, &text),
            }
        }
    }
    stats.admissions = stays.len() as u64;

    let persons = truth_persons(dir)?;
    let start = from.first_day();
    let end = to.last_day();
    stats.persons = persons.len() as u64;
    stats.person_years = persons
        .iter()
        .map(|(_, death, _)| {
            let last = death.map_or(end, |d| d.min(end));
            ((last - start).num_days() + 1).max(0) as f64 / 365.25
        })
        .sum();
    let old: Vec<_> = persons
        .iter()
        .filter(|(b, _, _)| crate::person::age_on(*b, start) >= 65)
        .collect();
    let r = reference();
    let n = persons.len().max(1) as f64;
    let share_old = old.len() as f64 / n;
    let certified = old.iter().filter(|p| p.2).count() as f64 / old.len().max(1) as f64;
    let py = stats.person_years.max(1e-9);
    // Sampling error shrinks with N; the tolerance is the documented modelling error
    // plus three standard errors.
    let se = |p: f64, k: f64| 3.0 * (p * (1.0 - p) / k.max(1.0)).sqrt();
    stats.checks = vec![
        Check {
            name: "share of persons aged 65+",
            value: share_old,
            target: r.share_65_plus(),
            tolerance: 0.005 + se(r.share_65_plus(), n),
            source: "age_sex_population.csv",
        },
        Check {
            name: "share of persons 65+ certified for long-term care",
            value: certified,
            target: r.certified_share_65_plus(),
            tolerance: 0.015 + se(r.certified_share_65_plus(), old.len() as f64),
            source: "care_certification.csv",
        },
        Check {
            name: "admissions per 1,000 persons per year",
            value: stats.admissions as f64 / py * 1000.0,
            target: ADMISSIONS_PER_1000_TARGET,
            tolerance: ADMISSIONS_PER_1000_TARGET * 0.1 + 3000.0 * (ADMISSIONS_PER_1000_TARGET / 1000.0 / py).sqrt(),
            source: "患者調査: about 14–16 million discharges a year",
        },
        Check {
            name: "medical claims per person per year",
            value: stats.ndb_claims as f64 / py,
            target: CLAIMS_PER_PERSON_YEAR_TARGET,
            tolerance: CLAIMS_PER_PERSON_YEAR_TARGET * 0.08 + 3.0 * (CLAIMS_PER_PERSON_YEAR_TARGET * 4.0 / py).sqrt(),
            source: "NDB: 1.11 billion 医科 claims a year / 124 million",
        },
    ];
    Ok(stats)
}

/// Hospital discharges per 1,000 persons per year (患者調査 2020: about 1.2 million a month).
pub const ADMISSIONS_PER_1000_TARGET: f64 = 115.0;
/// 医科 claims (outpatient 1.08 billion + inpatient 15 million + DPC 13 million a year) per
/// person per year.
pub const CLAIMS_PER_PERSON_YEAR_TARGET: f64 = 8.9;

impl fmt::Display for Stats {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "## Files")?;
        for (source, n) in &self.files {
            writeln!(f, "- {source}: {n}")?;
        }
        writeln!(f, "\n## Records")?;
        for (kind, n) in &self.records {
            writeln!(f, "- {kind}: {n}")?;
        }
        writeln!(f, "\n## Contents")?;
        writeln!(
            f,
            "- persons (ground truth): {}, person-years: {:.0}",
            self.persons, self.person_years
        )?;
        writeln!(
            f,
            "- NDB claims: {} ({} inpatient), total points: {}",
            self.ndb_claims, self.inpatient_claims, self.total_points
        )?;
        writeln!(f, "- admissions: {}", self.admissions)?;
        writeln!(f, "- DPC cases: {}", self.dpc_cases)?;
        writeln!(f, "- 介護 claims: {}", self.ltc_claims)?;
        let levels: Vec<String> = self
            .certifications_by_level
            .iter()
            .map(|(k, v)| format!("{k}: {v}"))
            .collect();
        writeln!(f, "- certifications by level code: {}", levels.join(", "))?;
        writeln!(f, "\n## Realism against targets")?;
        writeln!(
            f,
            "| statistic | value | target | tolerance | holds | source |\n|---|---|---|---|---|---|"
        )?;
        for c in &self.checks {
            writeln!(
                f,
                "| {} | {:.3} | {:.3} | ±{:.3} | {} | {} |",
                c.name,
                c.value,
                c.target,
                c.tolerance,
                if c.holds() { "yes" } else { "NO" },
                c.source
            )?;
        }
        let mut kinds: BTreeMap<&str, u64> = BTreeMap::new();
        for p in &self.problems {
            *kinds.entry(p.kind.as_str()).or_default() += 1;
        }
        writeln!(
            f,
            "\n## Problems found while reading (defects made on purpose, and anything else)"
        )?;
        if kinds.is_empty() {
            writeln!(f, "- none")?;
        }
        for (k, n) in kinds {
            writeln!(f, "- {k}: {n}")?;
        }
        Ok(())
    }
}

/// `renkei summarize`: the statistics as Markdown.
pub fn summarize(dir: &Path) -> Result<String> {
    Ok(read(dir)?.to_string())
}
