//! `renkei synth`: a synthetic population of Japan whose contacts with the health and
//! long-term-care systems are written in the native formats of NDB (UKE claim files),
//! 介護DB (claims and certifications) and DPC (様式1 and EF), with the ground truth kept
//! aside under `truth/` for tests and measurement.
//!
//! Persons are generated prefecture by prefecture (in parallel) and, within a
//! prefecture, in chunks whose lines are appended to the output files, so memory is
//! bounded whatever the number of persons. Every random draw comes from a stream keyed by
//! the seed and what it is for, so the same seed gives the same bytes on any machine and
//! with any number of threads.

pub mod billing;
pub mod catalog;
pub mod config;
pub mod error;
pub mod files;
pub mod geography;
pub mod linkage;
pub mod names;
pub mod person;
pub mod reference;
pub mod rng;
pub mod stats;
pub mod write;

pub use config::{ALL_PREFECTURES, Churn, Config};
pub use error::{Result, SynthError};

use crate::files::{FileDefect, FileSet};
use crate::geography::{PrefectureWorld, persons_per_prefecture};
use crate::names::{FAMILY_NAMES, given_names};
use crate::rng::{Purpose, Stream};
use crate::write::truth::{PersonRow, TruthRows, TruthWriter};
use crate::write::{Sink, dpc, kaigo, uke};
use error::io;
use indicatif::{ProgressBar, ProgressStyle};
use rayon::prelude::*;
use std::fs;
use std::io::IsTerminal;
use std::path::Path;
use std::time::{Duration, Instant};

/// Persons simulated and rendered before their lines are appended to disk.
const CHUNK: u64 = 4_000;

/// Marks a directory as `renkei synth` output, so that a re-run may replace it.
pub const MARKER: &str = "GENERATED_BY_RENKEI_SYNTH.txt";

/// Sub-directories a run writes (and a re-run replaces).
const OUTPUT_DIRS: [&str; 5] = ["ndb", "kaigo", "dpc", "masters", "truth"];

#[derive(Debug, Default, Clone)]
pub struct Summary {
    pub persons: u64,
    pub ndb_claims: u64,
    pub ltc_claims: u64,
    pub dpc_cases: u64,
    pub files: u64,
    pub bytes: u64,
    pub spoilt_files: u64,
    pub elapsed: Duration,
}

impl Summary {
    fn add(&mut self, o: &Summary) {
        self.persons += o.persons;
        self.ndb_claims += o.ndb_claims;
        self.ltc_claims += o.ltc_claims;
        self.dpc_cases += o.dpc_cases;
        self.files += o.files;
        self.bytes += o.bytes;
        self.spoilt_files += o.spoilt_files;
    }
}

fn validate(cfg: &Config) -> Result<()> {
    if cfg.persons == 0 {
        return Err(SynthError::Config("--persons must be at least 1".into()));
    }
    if cfg.to < cfg.from {
        return Err(SynthError::Config(format!(
            "--to {} is before --from {}",
            cfg.to, cfg.from
        )));
    }
    if cfg.from.year < 2019 || cfg.to.year > 2099 {
        return Err(SynthError::Config("the period must lie between 2019 and 2099".into()));
    }
    if !(0.0..=1.0).contains(&cfg.defect_rate) {
        return Err(SynthError::Config("--defects must be between 0 and 1".into()));
    }
    if cfg.threads == 0 {
        return Err(SynthError::Config("--threads must be at least 1".into()));
    }
    let (first, last) = (*cfg.prefectures.start(), *cfg.prefectures.end());
    if first > last || !ALL_PREFECTURES.contains(&first) || !ALL_PREFECTURES.contains(&last) {
        return Err(SynthError::Config(format!(
            "--prefectures {first}-{last} is not a range of prefecture codes within 1-47"
        )));
    }
    Ok(())
}

/// Empties `out` of a previous run's output, refusing to touch a directory that holds
/// anything else.
fn prepare_output(out: &Path) -> Result<()> {
    if out.exists() {
        let ours = out.join(MARKER).exists();
        let mut entries = fs::read_dir(out).map_err(io(out))?;
        if !ours && entries.next().is_some() {
            return Err(SynthError::Config(format!(
                "{} is not empty and was not written by renkei synth; choose an empty or new directory",
                out.display()
            )));
        }
        for dir in OUTPUT_DIRS {
            let d = out.join(dir);
            if d.exists() {
                fs::remove_dir_all(&d).map_err(io(&d))?;
            }
        }
    }
    fs::create_dir_all(out).map_err(io(out))
}

/// The marker's text: the parameters, so the output says how to make it again.
fn marker_text(cfg: &Config) -> String {
    // A whole-country run's command keeps its old text, which scripts match.
    let prefectures = if cfg.prefectures == ALL_PREFECTURES {
        String::new()
    } else {
        format!(" --prefectures {}-{}", cfg.prefectures.start(), cfg.prefectures.end())
    };
    format!(
        "renkei synth --persons {} --seed {} --from {} --to {} --defects {}{prefectures}\n\
         Synthetic data: no real person. truth/ is ground truth for tests only.\n",
        cfg.persons, cfg.seed, cfg.from, cfg.to, cfg.defect_rate
    )
}

pub fn generate(cfg: &Config) -> Result<Summary> {
    validate(cfg)?;
    let started = Instant::now();
    prepare_output(&cfg.out)?;
    let counts = persons_per_prefecture(cfg.persons);
    let mut first = 0;
    let mut worlds = Vec::new();
    for (i, n) in counts.iter().enumerate() {
        worlds.push(PrefectureWorld::build(cfg.seed, i, first, *n));
        first += n;
    }
    write::masters::write_masters(&cfg.out, &worlds)?;

    // Every world is built (and every master written) whatever the prefectures chosen, so a
    // person's index, draws and facilities are those of the whole-country run.
    let chosen: Vec<usize> = (0..worlds.len())
        .filter(|i| worlds[*i].persons > 0 && cfg.prefectures.contains(&worlds[*i].code))
        .collect();
    let bar = if cfg.progress && std::io::stderr().is_terminal() {
        let b = ProgressBar::new(chosen.iter().map(|i| worlds[*i].persons).sum());
        b.set_style(
            ProgressStyle::with_template("{elapsed_precise} [{bar:40}] {pos}/{len} persons ({per_sec}, eta {eta})")
                .expect("static template")
                .progress_chars("=> "),
        );
        b
    } else {
        ProgressBar::hidden()
    };
    // Largest prefectures first, so the two workers finish together.
    let mut order = chosen;
    order.sort_by_key(|i| std::cmp::Reverse(worlds[*i].persons));
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(cfg.threads)
        .build()
        .map_err(|e| SynthError::Config(format!("cannot start worker threads: {e}")))?;
    let parts: Vec<Result<Summary>> = pool.install(|| {
        order
            .par_iter()
            .map(|i| generate_prefecture(cfg, &worlds[*i], &bar))
            .collect()
    });
    bar.finish_and_clear();
    let mut total = Summary::default();
    for part in parts {
        total.add(&part?);
    }
    let marker = cfg.out.join(MARKER);
    fs::write(&marker, marker_text(cfg)).map_err(io(&marker))?;
    total.elapsed = started.elapsed();
    Ok(total)
}

fn generate_prefecture(cfg: &Config, world: &PrefectureWorld, bar: &ProgressBar) -> Result<Summary> {
    let mut files = FileSet::new(&cfg.out);
    let mut truth = TruthWriter::create(&cfg.out, &format!("{:02}", world.code))?;
    let mut summary = Summary::default();
    let start = cfg.from.first_day();
    let mut offset = 0;
    while offset < world.persons {
        let mut rows = TruthRows::default();
        for k in offset..(offset + CHUNK).min(world.persons) {
            let index = world.first_person + k;
            let person = person::simulate(cfg, world, index);
            let mut sink = Sink {
                cfg,
                world,
                files: &mut files,
                truth: &mut rows,
                defects: Stream::new(cfg.seed, Purpose::Defects, index, 0),
            };
            uke::write_person(&mut sink, &person);
            kaigo::write_person(&mut sink, &person);
            dpc::write_person(&mut sink, &person);
            summary.persons += 1;
            summary.ltc_claims += person.ltc.len() as u64;
            let first_name = &person.names[0];
            let family = &FAMILY_NAMES[first_name.family];
            let given = &given_names(person.sex)[person.given];
            rows.persons.push(PersonRow {
                person: index,
                sex: person.sex,
                birth_date: person.birth,
                death_date: person.death,
                prefecture: format!("{:02}", world.code),
                municipality: world.municipalities[person.residences[0].municipality].code.clone(),
                family_name: match first_name.registered_form {
                    0 => family.kanji.to_string(),
                    v => family.kanji_variants[v - 1].to_string(),
                },
                given_name: given.kanji.to_string(),
                kana_name: format!("{}{}", family.kana, given.kana),
                certified_at_start: person
                    .certifications
                    .iter()
                    .any(|c| c.second.is_some() && c.valid_from <= start && c.valid_to >= start),
            });
            bar.inc(1);
        }
        summary.ndb_claims += rows.records.iter().filter(|r| r.3 == "claim").count() as u64;
        summary.dpc_cases += rows.records.iter().filter(|r| r.3 == "case").count() as u64;
        files.flush()?;
        truth.write(&rows)?;
        offset += CHUNK;
    }
    let count = files.len() as u64;
    let (bytes, spoilt) = files.finish(cfg.seed, cfg.defect_rate, |rel, f, wrong| {
        if rel.ends_with(".UKE") {
            uke::trailer(f, wrong);
        }
    })?;
    let rows: Vec<(&'static str, String, u64, &'static str)> = spoilt
        .iter()
        .map(|(rel, d)| {
            let source = OUTPUT_DIRS.into_iter().find(|s| rel.starts_with(s)).unwrap_or("ndb");
            let kind = match d {
                FileDefect::TrailerMismatch => "trailer_mismatch",
                FileDefect::Truncated => "truncated_file",
            };
            (source, rel.clone(), 0, kind)
        })
        .collect();
    truth.write_defects(&rows)?;
    truth.close()?;
    summary.files = count;
    summary.bytes = bytes;
    summary.spoilt_files = spoilt.len() as u64;
    Ok(summary)
}

/// The parameters of the committed `sample-data/` (see its README): 2,000 persons over
/// the six months 2023-10 to 2024-03, with the default defect rate.
pub fn sample_config(out: std::path::PathBuf) -> Config {
    let mut config = Config::new(2_000, 20_260_401, out);
    config.from = renkei_formats::era::YearMonth { year: 2023, month: 10 };
    config.to = renkei_formats::era::YearMonth { year: 2024, month: 3 };
    config
}
