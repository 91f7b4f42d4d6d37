//! `renkei ingest`: native NDB / 介護DB / DPC files → pseudonymized, linked Parquet
//! warehouse.
//!
//! Two streaming passes over the input, so memory holds hashes, not records (each reads and
//! parses files on all cores and hands their units over in file order):
//! 1. **link**: parse every record, hash its identifiers under the steward's key and join
//!    records that share a hash into persons (`link.rs`);
//! 2. **write**: parse again and write each record with its person's `person_id`; raw
//!    identifiers are dropped here and never reach a file.
//!
//! The warehouse is written beside its destination and renamed into place only when
//! complete, so a crash leaves the previous warehouse or none, never a partial one.

pub mod error;
pub mod link;
pub mod masters;
pub mod parse;
mod publish;
mod rows;
mod tables;

pub use error::{IngestError, Result};

use crate::link::{IdKind, Linker, UnitIds};
use crate::masters::Masters;
use crate::parse::{Context, Quarantined, Rejected, dpc, kaigo, uke};
use rayon::prelude::*;
use renkei_pseudonymize::{Key, Purpose, SubKey};
use serde::Serialize;
use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Sources in the order they are read.
pub const SOURCES: [&str; 3] = ["ndb", "kaigo", "dpc"];

/// One record unit of any source.
pub enum Unit {
    Claim(Box<uke::Claim>),
    LtcClaim(kaigo::LtcClaim),
    Certification(kaigo::Certification),
    Case(dpc::Case),
    EfItem(dpc::EfItem),
}

impl Unit {
    pub fn source(&self) -> &'static str {
        match self {
            Unit::Claim(_) => "ndb",
            Unit::LtcClaim(_) | Unit::Certification(_) => "kaigo",
            Unit::Case(_) | Unit::EfItem(_) => "dpc",
        }
    }
}

#[derive(Debug, Default, Clone, Serialize)]
pub struct SourceCounts {
    pub files: u64,
    pub rejected_files: u64,
    /// Record units read from accepted files.
    pub read: u64,
    pub written: u64,
    pub quarantined: u64,
    pub bytes: u64,
}

#[derive(Debug, Serialize)]
pub struct InputFile {
    pub file: String,
    pub bytes: u64,
    pub blake3: String,
}

#[derive(Debug, Serialize)]
pub struct Manifest {
    pub sources: BTreeMap<&'static str, SourceCounts>,
    pub rejected_files: Vec<Rejected>,
    pub tables: BTreeMap<&'static str, u64>,
    pub persons: u64,
    /// Merges refused because the persons differ in sex or birth date.
    pub refused_merges: u64,
    /// Name (ID2) merges refused on evidence of two persons (`link.rs`).
    pub refused_name_merges: u64,
    pub inputs: Vec<InputFile>,
}

pub struct Report {
    pub manifest: Manifest,
    pub elapsed: Duration,
}

/// Input files of one source, sorted: (path relative to the input, path).
fn input_files(input: &Path, source: &str) -> Result<Vec<(String, PathBuf)>> {
    renkei_formats::tree::files_under(input, source).map_err(|(path, source)| IngestError::Io { path, source })
}

/// What a pass does with what the readers find, in the same order in every pass. `T` is what
/// the pass makes of each unit on the reading threads (`read_all`'s `prepare`).
trait Visitor<T> {
    /// Whether `file` is called: reading each file's BLAKE3 is work only the write pass needs.
    const WANTS_FILES: bool = false;
    fn file(&mut self, _source: &'static str, _file: InputFile) {}
    fn unit(&mut self, unit: T);
    fn quarantined(&mut self, _source: &'static str, _entry: Quarantined) {}
    fn rejected(&mut self, _source: &'static str, _file: Rejected) {}
    /// Units read from a file that was not rejected.
    fn read(&mut self, _source: &'static str, _units: u64) {}
}

/// Files read, decoded and parsed at a time: enough to keep every core busy, few enough that
/// their units are a small part of memory.
const FILES_PER_BATCH: usize = 64;

/// One input file as the reading threads leave it.
struct ReadFile<T> {
    /// The file's size and BLAKE3, for a visitor that wants them.
    input: Option<InputFile>,
    /// The units (as `prepare` made them) and quarantine entries, with the count of units
    /// read; or why the whole file was rejected.
    outcome: std::result::Result<(u64, Vec<Quarantined>, Vec<T>), Rejected>,
}

/// Reads, decodes and parses one file, and prepares its units.
fn read_file<T>(
    cx: &Context,
    rel: &str,
    path: &Path,
    prepare: &(impl Fn(Unit) -> T + Sync),
    wants_file: bool,
) -> Result<ReadFile<T>> {
    let bytes = fs::read(path).map_err(error::io(path))?;
    let input = wants_file.then(|| InputFile {
        file: rel.to_string(),
        bytes: bytes.len() as u64,
        blake3: blake3::hash(&bytes).to_hex().to_string(),
    });
    let outcome = parse::decode(rel, &bytes).and_then(|text| {
        // The readers take two callbacks; both fill this file's lists.
        let mut units = Vec::new();
        let mut entries = Vec::new();
        let mut q = |x: Quarantined| entries.push(x);
        let read = if rel.starts_with("ndb/") {
            uke::read_file(
                cx,
                rel,
                &text,
                &mut |c| units.push(prepare(Unit::Claim(Box::new(c)))),
                &mut q,
            )
        } else if rel.starts_with("kaigo/claims/") {
            kaigo::read_claims_file(cx, rel, &text, &mut |c| units.push(prepare(Unit::LtcClaim(c))), &mut q)
        } else if rel.starts_with("kaigo/certifications/") {
            kaigo::read_certifications_file(rel, &text, &mut |c| units.push(prepare(Unit::Certification(c))), &mut q)
        } else if rel.rsplit('/').next().is_some_and(|f| f.starts_with("EF")) {
            dpc::read_ef_file(cx, rel, &text, &mut |c| units.push(prepare(Unit::EfItem(c))), &mut q)
        } else {
            dpc::read_form1_file(rel, &text, &mut |c| units.push(prepare(Unit::Case(c))), &mut q)
        };
        read.map(|n| (n, entries, units))
    });
    Ok(ReadFile { input, outcome })
}

/// Reads every file of every source and hands what it finds to `visitor`, in file order.
/// Batches of files are read and parsed on all cores (with `prepare` applied to each unit
/// there) while the visitor takes the previous batch on this thread: both passes see the
/// same units in the same order, which is how pass 2 finds each unit's person.
fn read_all<T: Send, V: Visitor<T>>(
    input: &Path,
    masters: &Masters,
    progress: Progress,
    prepare: &(impl Fn(Unit) -> T + Sync),
    visitor: &mut V,
) -> Result<()> {
    let cx = Context { masters };
    for source in SOURCES {
        let files = input_files(input, source)?;
        let bar = progress.bar(source, files.len());
        std::thread::scope(|scope| -> Result<()> {
            // One batch waits while the visitor takes another: memory stays at two batches.
            let (batches, receiver) = std::sync::mpsc::sync_channel(1);
            let cx = &cx;
            scope.spawn(move || {
                for chunk in files.chunks(FILES_PER_BATCH) {
                    let batch: Result<Vec<ReadFile<T>>> = chunk
                        .par_iter()
                        .map(|(rel, path)| read_file(cx, rel, path, prepare, V::WANTS_FILES))
                        .collect();
                    let failed = batch.is_err();
                    // A closed channel means the visitor stopped on an error of its own.
                    if batches.send(batch).is_err() || failed {
                        break;
                    }
                }
            });
            for batch in receiver {
                for file in batch? {
                    bar.inc(1);
                    if let Some(input) = file.input {
                        visitor.file(source, input);
                    }
                    match file.outcome {
                        Ok((read, entries, units)) => {
                            visitor.read(source, read);
                            entries.into_iter().for_each(|e| visitor.quarantined(source, e));
                            units.into_iter().for_each(|u| visitor.unit(u));
                        }
                        Err(r) => visitor.rejected(source, r),
                    }
                }
            }
            Ok(())
        })?;
        bar.finish_and_clear();
    }
    Ok(())
}

/// Pass 1: every unit's hashes into the linker; the unit's anchor node kept in order.
struct LinkPass {
    linker: Linker,
    anchors: Vec<u32>,
}

impl Visitor<(&'static str, UnitIds)> for LinkPass {
    fn unit(&mut self, (source, ids): (&'static str, UnitIds)) {
        self.anchors.push(self.linker.add(source, &ids));
    }
}

/// Pass 2: every unit written with its person's id; counts, quarantine and inputs kept.
struct WritePass<'a> {
    link: LinkPass,
    persons: std::collections::HashMap<u32, String>,
    writer: tables::Writer<'a>,
    next: usize,
    counts: BTreeMap<&'static str, SourceCounts>,
    quarantined: BTreeMap<&'static str, Vec<Quarantined>>,
    rejected: Vec<Rejected>,
    inputs: Vec<InputFile>,
    failure: Option<IngestError>,
}

impl WritePass<'_> {
    fn count(&mut self, source: &'static str) -> &mut SourceCounts {
        self.counts.entry(source).or_default()
    }
}

impl Visitor<(Unit, UnitIds)> for WritePass<'_> {
    const WANTS_FILES: bool = true;

    fn file(&mut self, source: &'static str, file: InputFile) {
        let c = self.count(source);
        c.files += 1;
        c.bytes += file.bytes;
        self.inputs.push(file);
    }

    fn unit(&mut self, (u, ids): (Unit, UnitIds)) {
        let root = self.link.linker.find(self.link.anchors[self.next]);
        self.next += 1;
        if self.failure.is_some() {
            return;
        }
        match self.writer.write(&u, &ids, &self.persons[&root]) {
            Ok(()) => self.count(u.source()).written += 1,
            Err(e) => self.failure = Some(e),
        }
    }

    fn quarantined(&mut self, source: &'static str, entry: Quarantined) {
        self.count(source).quarantined += 1;
        self.quarantined.entry(source).or_default().push(entry);
    }

    fn rejected(&mut self, source: &'static str, file: Rejected) {
        self.count(source).rejected_files += 1;
        self.rejected.push(file);
    }

    fn read(&mut self, source: &'static str, units: u64) {
        self.count(source).read += units;
    }
}

/// A progress bar per source and pass, drawn only on a terminal.
#[derive(Clone, Copy)]
struct Progress {
    show: bool,
    pass: &'static str,
}

impl Progress {
    fn bar(self, source: &str, files: usize) -> indicatif::ProgressBar {
        use std::io::IsTerminal;
        if !self.show || !std::io::stderr().is_terminal() {
            return indicatif::ProgressBar::hidden();
        }
        let bar = indicatif::ProgressBar::new(files as u64).with_prefix(format!("{} {source}", self.pass));
        if let Ok(style) =
            indicatif::ProgressStyle::with_template("{prefix:>10} [{bar:40}] {pos}/{len} files ({per_sec})")
        {
            bar.set_style(style.progress_chars("=> "));
        }
        bar
    }
}

/// The sub-keys of one run.
pub struct Keys {
    pub id1: SubKey,
    pub id2: SubKey,
    pub link: SubKey,
    pub ltc: SubKey,
    pub person: SubKey,
}

impl Keys {
    pub fn new(key: &Key) -> Keys {
        Keys {
            id1: key.subkey(Purpose::Id1),
            id2: key.subkey(Purpose::Id2),
            link: key.subkey(Purpose::LinkId),
            ltc: key.subkey(Purpose::LtcId),
            person: key.subkey(Purpose::Person),
        }
    }
}

/// The DPC 施設コード form (prefecture + 7-digit code) of any facility code.
fn facility9(code: &str) -> String {
    if code.len() == 10 {
        format!("{}{}", &code[..2], &code[3..])
    } else {
        code.to_string()
    }
}

/// Whether a patient, card or LTC number names no one: empty, blank (half- or full-width
/// spaces) or zeros only, as systems write a number they do not have. Hashed, every such
/// number of one facility (or insurer) would be one identifier shared by all its persons.
fn blank(number: &str) -> bool {
    number.chars().all(|c| c.is_whitespace() || c == '0' || c == '０')
}

/// What a unit tells the linker: its identifier hashes (anchor first) without those of
/// blank numbers, its own hash, the anchor's issuer, its person's (sex, birth date) and its
/// service month.
pub fn unit_ids(k: &Keys, u: &Unit) -> UnitIds {
    let local = |facility: &str, number: &str| {
        (!blank(number)).then(|| (IdKind::Local, k.link.hash(&["local", facility, number.trim()])))
    };
    let own = |file: &str, line: u64| k.link.hash(&["record", file, &line.to_string()]);
    // 介護 claims and certifications carry the same identifiers.
    let ltc = |insurer: &str, insured: &str, kana: &str, sex: u8, birth: chrono::NaiveDate, month, own| {
        let mut ids = Vec::with_capacity(2);
        if !blank(insured) {
            ids.push((
                IdKind::Ltc,
                renkei_pseudonymize::ltc_id(&k.ltc, insurer, insured, birth, sex),
            ));
        }
        if !kana.trim().is_empty() {
            ids.push((IdKind::Id2, renkei_pseudonymize::id2(&k.id2, kana, birth, sex)));
        }
        UnitIds {
            ids,
            own,
            issuer: insurer.to_string(),
            person: Some((sex, birth)),
            month,
        }
    };
    match u {
        Unit::Claim(c) => {
            let facility = facility9(&c.facility);
            let mut ids: Vec<_> = local(&facility, &c.karte).into_iter().collect();
            if let Some(card) = c.card.as_ref().filter(|card| !blank(&card.number)) {
                ids.push((
                    IdKind::Id1,
                    renkei_pseudonymize::id1(&k.id1, &card.insurer, &card.symbol, &card.number, c.birth, c.sex),
                ));
            }
            if let Some((insurer, symbol, number, branch)) = c.individual.as_ref().filter(|i| !blank(&i.2)) {
                ids.push((
                    IdKind::Link,
                    renkei_pseudonymize::link_id(&k.link, insurer, symbol, number, branch),
                ));
            }
            // A blank name would be one ID2 for everyone of a birth date and sex.
            if !c.kana.trim().is_empty() {
                ids.push((IdKind::Id2, renkei_pseudonymize::id2(&k.id2, &c.kana, c.birth, c.sex)));
            }
            UnitIds {
                ids,
                own: own(&c.file, c.line),
                issuer: facility,
                person: Some((c.sex, c.birth)),
                month: Some(c.month),
            }
        }
        Unit::LtcClaim(c) => ltc(
            &c.insurer,
            &c.insured,
            &c.kana,
            c.sex,
            c.birth,
            Some(c.month),
            own(&c.file, c.line),
        ),
        Unit::Certification(c) => ltc(
            &c.insurer,
            &c.insured,
            &c.kana,
            c.sex,
            c.birth,
            None,
            own(&c.file, c.line),
        ),
        Unit::Case(c) => {
            let facility = facility9(&c.facility);
            UnitIds {
                ids: local(&facility, &c.data_id).into_iter().collect(),
                own: own(&c.file, c.line),
                issuer: facility,
                person: Some((c.sex, c.birth)),
                month: None,
            }
        }
        Unit::EfItem(i) => {
            let facility = facility9(&i.facility);
            UnitIds {
                ids: local(&facility, &i.data_id).into_iter().collect(),
                own: own(&i.file, i.line),
                issuer: facility,
                person: None,
                month: None,
            }
        }
    }
}

pub struct Options {
    pub input: PathBuf,
    pub out: PathBuf,
    /// Draw a progress bar per source and pass (only on a terminal).
    pub progress: bool,
}

/// Runs both passes and publishes the warehouse at `opts.out`.
pub fn ingest(key: &Key, opts: &Options) -> Result<Report> {
    let started = Instant::now();
    let masters = Masters::read(&opts.input)?;
    let keys = Keys::new(key);

    // Pass 1: link.
    let mut link = LinkPass {
        linker: Linker::default(),
        anchors: Vec::new(),
    };
    // The identifiers are hashed on the reading threads; only the linking is sequential.
    read_all(
        &opts.input,
        &masters,
        Progress {
            show: opts.progress,
            pass: "link",
        },
        &|u: Unit| (u.source(), unit_ids(&keys, &u)),
        &mut link,
    )?;
    link.linker.link_by_name();
    let persons = tables::person_ids(&mut link.linker, &keys);

    // Pass 2: write, beside the destination.
    let staging = publish::staging_dir(&opts.out)?;
    let mut pass = WritePass {
        link,
        persons,
        writer: tables::Writer::create(&staging, &keys)?,
        next: 0,
        counts: SOURCES.iter().map(|s| (*s, SourceCounts::default())).collect(),
        quarantined: BTreeMap::new(),
        rejected: Vec::new(),
        inputs: Vec::new(),
        failure: None,
    };
    read_all(
        &opts.input,
        &masters,
        Progress {
            show: opts.progress,
            pass: "write",
        },
        // Hashed again (for the steward-only record origins), again on the reading threads.
        &|u: Unit| {
            let ids = unit_ids(&keys, &u);
            (u, ids)
        },
        &mut pass,
    )?;
    if let Some(e) = pass.failure {
        return Err(e);
    }
    let mut linker = pass.link.linker;
    let tables = pass.writer.finish(&mut linker, &pass.persons)?;
    let manifest = Manifest {
        sources: pass.counts,
        rejected_files: pass.rejected,
        tables,
        persons: pass.persons.len() as u64,
        refused_merges: linker.refused_merges,
        refused_name_merges: linker.refused_name_merges,
        inputs: pass.inputs,
    };
    publish::write_quarantine(&staging, &pass.quarantined)?;
    publish::write_json(&staging.join("_manifest.json"), &manifest)?;
    publish::publish(&staging, &opts.out)?;
    Ok(Report {
        manifest,
        elapsed: started.elapsed(),
    })
}
