//! `renkei ingest`: native NDB / 介護DB / DPC files → pseudonymized, linked Parquet
//! warehouse.
//!
//! Two streaming passes over the input, so memory holds hashes, not records:
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

use crate::link::{IdKind, Linker};
use crate::masters::Masters;
use crate::parse::{Context, Quarantined, Rejected, dpc, kaigo, uke};
use renkei_pseudonymize::{Digest, Key, Purpose, SubKey};
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
    pub refused_merges: u64,
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

/// Reads every file of every source and hands each record unit, quarantine entry and
/// rejected file to the callbacks, always in the same order.
fn read_all(
    input: &Path,
    masters: &Masters,
    mut on_file: impl FnMut(&'static str, &str, &[u8]),
    mut emit: impl FnMut(Unit),
    mut quarantine: impl FnMut(&'static str, Quarantined),
    mut reject: impl FnMut(&'static str, Rejected),
    mut read: impl FnMut(&'static str, u64),
) -> Result<()> {
    let cx = Context { masters };
    for source in SOURCES {
        for (rel, path) in input_files(input, source)? {
            let bytes = fs::read(&path).map_err(error::io(&path))?;
            on_file(source, &rel, &bytes);
            let text = match parse::decode(&rel, &bytes) {
                Ok(t) => t,
                Err(r) => {
                    reject(source, r);
                    continue;
                }
            };
            let mut q = |x: Quarantined| quarantine(source, x);
            let outcome = if rel.starts_with("ndb/") {
                uke::read_file(&cx, &rel, &text, &mut |c| emit(Unit::Claim(Box::new(c))), &mut q)
            } else if rel.starts_with("kaigo/claims/") {
                kaigo::read_claims_file(&cx, &rel, &text, &mut |c| emit(Unit::LtcClaim(c)), &mut q)
            } else if rel.starts_with("kaigo/certifications/") {
                kaigo::read_certifications_file(&rel, &text, &mut |c| emit(Unit::Certification(c)), &mut q)
            } else if rel.rsplit('/').next().is_some_and(|f| f.starts_with("EF")) {
                dpc::read_ef_file(&cx, &rel, &text, &mut |c| emit(Unit::EfItem(c)), &mut q)
            } else {
                dpc::read_form1_file(&rel, &text, &mut |c| emit(Unit::Case(c)), &mut q)
            };
            match outcome {
                Ok(n) => read(source, n),
                Err(r) => reject(source, r),
            }
        }
    }
    Ok(())
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

/// A unit's identifier hashes, most specific first (the first is the unit's anchor),
/// and the (sex, birth date) of its person.
/// A unit's identifier hashes and its person's (sex, birth date).
pub type UnitIds = (Vec<(IdKind, Digest)>, Option<(u8, chrono::NaiveDate)>);

pub fn unit_ids(k: &Keys, u: &Unit) -> UnitIds {
    let local = |facility: &str, number: &str| k.link.hash(&["local", &facility9(facility), number.trim()]);
    // 介護 claims and certifications carry the same identifiers.
    let ltc = |insurer: &str, insured: &str, kana: &str, sex: u8, birth: chrono::NaiveDate| -> UnitIds {
        let mut ids = vec![(
            IdKind::Ltc,
            renkei_pseudonymize::ltc_id(&k.ltc, insurer, insured, birth, sex),
        )];
        if !kana.is_empty() {
            ids.push((IdKind::Id2, renkei_pseudonymize::id2(&k.id2, kana, birth, sex)));
        }
        (ids, Some((sex, birth)))
    };
    match u {
        Unit::Claim(c) => {
            let mut ids = vec![(IdKind::Local, local(&c.facility, &c.karte))];
            if let Some(card) = &c.card {
                ids.push((
                    IdKind::Id1,
                    renkei_pseudonymize::id1(&k.id1, &card.insurer, &card.symbol, &card.number, c.birth, c.sex),
                ));
            }
            if let Some((insurer, symbol, number, branch)) = &c.individual {
                ids.push((
                    IdKind::Link,
                    renkei_pseudonymize::link_id(&k.link, insurer, symbol, number, branch),
                ));
            }
            if !c.kana.is_empty() {
                ids.push((IdKind::Id2, renkei_pseudonymize::id2(&k.id2, &c.kana, c.birth, c.sex)));
            }
            (ids, Some((c.sex, c.birth)))
        }
        Unit::LtcClaim(c) => ltc(&c.insurer, &c.insured, &c.kana, c.sex, c.birth),
        Unit::Certification(c) => ltc(&c.insurer, &c.insured, &c.kana, c.sex, c.birth),
        Unit::Case(c) => (
            vec![(IdKind::Local, local(&c.facility, &c.data_id))],
            Some((c.sex, c.birth)),
        ),
        Unit::EfItem(i) => (vec![(IdKind::Local, local(&i.facility, &i.data_id))], None),
    }
}

pub struct Options {
    pub input: PathBuf,
    pub out: PathBuf,
}

/// Runs both passes and publishes the warehouse at `opts.out`.
pub fn ingest(key: &Key, opts: &Options) -> Result<Report> {
    let started = Instant::now();
    let masters = Masters::read(&opts.input)?;
    let keys = Keys::new(key);

    // Pass 1: link.
    let mut linker = Linker::default();
    let mut anchors: Vec<u32> = Vec::new();
    read_all(
        &opts.input,
        &masters,
        |_, _, _| {},
        |u| {
            let (ids, person) = unit_ids(&keys, &u);
            anchors.push(linker.add(u.source(), &ids, person));
        },
        |_, _| {},
        |_, _| {},
        |_, _| {},
    )?;
    let persons = tables::person_ids(&mut linker, &keys);

    // Pass 2: write, beside the destination.
    let staging = publish::staging_dir(&opts.out)?;
    let mut writer = tables::Writer::create(&staging, &keys)?;
    let counts: std::cell::RefCell<BTreeMap<&'static str, SourceCounts>> =
        std::cell::RefCell::new(SOURCES.iter().map(|s| (*s, SourceCounts::default())).collect());
    let mut quarantined: BTreeMap<&'static str, Vec<Quarantined>> = BTreeMap::new();
    let mut rejected = Vec::new();
    let mut inputs = Vec::new();
    let mut next = 0usize;
    let mut failure = None;
    read_all(
        &opts.input,
        &masters,
        |source, rel, bytes| {
            let mut all = counts.borrow_mut();
            let c = all.get_mut(source).expect("known source");
            c.files += 1;
            c.bytes += bytes.len() as u64;
            inputs.push(InputFile {
                file: rel.to_string(),
                bytes: bytes.len() as u64,
                blake3: blake3::hash(bytes).to_hex().to_string(),
            });
        },
        |u| {
            let root = linker.find(anchors[next]);
            next += 1;
            let source = u.source();
            if failure.is_none() {
                match writer.write(&u, &persons[&root]) {
                    Ok(()) => counts.borrow_mut().get_mut(source).expect("known source").written += 1,
                    Err(e) => failure = Some(e),
                }
            }
        },
        |source, q| {
            counts.borrow_mut().get_mut(source).expect("known source").quarantined += 1;
            quarantined.entry(source).or_default().push(q);
        },
        |source, r| {
            counts
                .borrow_mut()
                .get_mut(source)
                .expect("known source")
                .rejected_files += 1;
            rejected.push(r);
        },
        |source, n| counts.borrow_mut().get_mut(source).expect("known source").read += n,
    )?;
    if let Some(e) = failure {
        return Err(e);
    }
    let tables = writer.finish(&mut linker, &persons)?;
    let manifest = Manifest {
        sources: counts.into_inner(),
        rejected_files: rejected,
        tables,
        persons: persons.len() as u64,
        refused_merges: linker.refused_merges,
        inputs,
    };
    publish::write_quarantine(&staging, &quarantined)?;
    publish::write_json(&staging.join("_manifest.json"), &manifest)?;
    publish::publish(&staging, &opts.out)?;
    Ok(Report {
        manifest,
        elapsed: started.elapsed(),
    })
}
