//! From parsed units to warehouse rows: here the raw identifiers are dropped and the
//! person's `person_id` put in their place.

use crate::error::{IngestError, Result};
use crate::link::{IdKind, Linker, UnitIds};
use crate::rows::{TableRows, Value as V};
use crate::{Keys, Unit};
use chrono::{Datelike, NaiveDate};
use renkei_warehouse::TableDef;
use std::collections::{BTreeMap, HashMap};
use std::path::Path;

fn table(name: &str) -> Result<&'static TableDef> {
    renkei_warehouse::table(name).ok_or_else(|| IngestError::Input(format!("the warehouse defines no table {name}")))
}

/// `person_id` of every component: the person sub-key's hash of the component's
/// smallest identifier hash, so it depends on the key and the records, not on order.
pub fn person_ids(linker: &mut Linker, keys: &Keys) -> HashMap<u32, String> {
    let mut smallest: HashMap<u32, renkei_pseudonymize::Digest> = HashMap::new();
    for n in 0..linker.len() as u32 {
        let root = linker.find(n);
        let d = linker.info[n as usize].0;
        smallest.entry(root).and_modify(|m| *m = (*m).min(d)).or_insert(d);
    }
    smallest
        .into_iter()
        .map(|(root, d)| (root, keys.person.hash(&["person", &d.to_hex()]).short_hex()))
        .collect()
}

fn age(birth: NaiveDate, on: NaiveDate) -> u16 {
    let mut a = on.year() - birth.year();
    if (on.month(), on.day()) < (birth.month(), birth.day()) {
        a -= 1;
    }
    a.clamp(0, i32::from(u16::MAX)) as u16
}

fn ym(d: NaiveDate) -> String {
    format!("{:04}-{:02}", d.year(), d.month())
}

pub struct Writer<'k> {
    keys: &'k Keys,
    ndb_claims: TableRows,
    ndb_diagnoses: TableRows,
    ndb_procedures: TableRows,
    ndb_drugs: TableRows,
    kaigo_certifications: TableRows,
    kaigo_claims: TableRows,
    dpc_cases: TableRows,
    dpc_items: TableRows,
    record_origins: TableRows,
    root: std::path::PathBuf,
}

impl<'k> Writer<'k> {
    pub fn create(root: &Path, keys: &'k Keys) -> Result<Writer<'k>> {
        let t = |name: &str| -> Result<TableRows> { TableRows::create(root, table(name)?) };
        Ok(Writer {
            keys,
            ndb_claims: t("ndb_claims")?,
            ndb_diagnoses: t("ndb_diagnoses")?,
            ndb_procedures: t("ndb_procedures")?,
            ndb_drugs: t("ndb_drugs")?,
            kaigo_certifications: t("kaigo_certifications")?,
            kaigo_claims: t("kaigo_claims")?,
            dpc_cases: t("dpc_cases")?,
            dpc_items: t("dpc_items")?,
            record_origins: t("record_origins")?,
            root: root.to_path_buf(),
        })
    }

    fn record_id(&self, kind: &str, file: &str, line: u64) -> String {
        self.keys.person.hash(&[kind, file, &line.to_string()]).short_hex()
    }

    fn case_id(&self, facility: &str, data_id: &str, admission: NaiveDate) -> String {
        self.keys
            .person
            .hash(&["case", facility, data_id, &admission.to_string()])
            .short_hex()
    }

    /// The steward-only trace of a unit back to its file and line, with its naive
    /// ID1-only and ID2-only keys, for measuring linkage against ground truth.
    fn origin(&mut self, u: &Unit, ids: &UnitIds, file: &str, line: u64, person: &str) -> Result<()> {
        let of = |kind: IdKind| ids.ids.iter().find(|(k, _)| *k == kind).map(|(_, d)| d.to_hex());
        let (id1, id2) = (of(IdKind::Id1), of(IdKind::Id2));
        self.record_origins.push(&[
            V::Str(u.source()),
            V::Str(file),
            V::I64(line as i64),
            V::Str(person),
            id1.as_deref().map_or(V::Null, V::Str),
            id2.as_deref().map_or(V::Null, V::Str),
        ])
    }

    pub fn write(&mut self, u: &Unit, ids: &UnitIds, person: &str) -> Result<()> {
        match u {
            Unit::Claim(c) => {
                let claim_id = self.record_id("claim", &c.file, c.line);
                let month = c.month.to_string();
                let on = c.month.first_day();
                let setting = if c.admission.is_some() {
                    "inpatient"
                } else {
                    "outpatient"
                };
                self.ndb_claims.push(&[
                    V::Str(&claim_id),
                    V::Str(person),
                    V::Str(&c.facility),
                    V::Str(&c.prefecture),
                    V::Str(&month),
                    V::Str(setting),
                    V::U8(c.sex),
                    V::Str(&ym(c.birth)),
                    V::U16(age(c.birth, on)),
                    V::I64(c.total_points),
                    V::Str(c.insurer_kind),
                    c.admission.map_or(V::Null, V::Date),
                ])?;
                for d in &c.diagnoses {
                    self.ndb_diagnoses.push(&[
                        V::Str(&claim_id),
                        V::Str(person),
                        V::Str(&month),
                        V::Str(&d.code),
                        d.icd10.as_deref().map_or(V::Null, V::Str),
                        V::Bool(d.main),
                        d.start.map_or(V::Null, V::Date),
                        V::Str(&d.outcome),
                    ])?;
                }
                for p in &c.procedures {
                    self.ndb_procedures.push(&[
                        V::Str(&claim_id),
                        V::Str(person),
                        V::Str(&month),
                        V::Str(&p.code),
                        V::I64(p.points),
                        V::I32(p.times),
                    ])?;
                }
                for p in &c.drugs {
                    self.ndb_drugs.push(&[
                        V::Str(&claim_id),
                        V::Str(person),
                        V::Str(&month),
                        V::Str(&p.code),
                        V::F64(p.quantity),
                        V::I64(p.points),
                        V::I32(p.times),
                    ])?;
                }
                self.origin(u, ids, &c.file, c.line, person)
            }
            Unit::LtcClaim(c) => {
                let claim_id = self.record_id("ltc_claim", &c.file, c.line);
                self.kaigo_claims.push(&[
                    V::Str(&claim_id),
                    V::Str(person),
                    V::Str(&c.insurer),
                    V::Str(&c.provider),
                    V::Str(&c.month.to_string()),
                    V::Str(&c.service_type),
                    V::I64(c.units),
                    V::U8(c.sex),
                    V::U16(age(c.birth, c.month.first_day())),
                    V::Str(&c.care_level),
                ])?;
                self.origin(u, ids, &c.file, c.line, person)
            }
            Unit::Certification(c) => {
                self.kaigo_certifications.push(&[
                    V::Str(person),
                    V::Str(&c.insurer),
                    V::Date(c.certified_on),
                    V::Str(&c.care_level),
                    c.valid_from.map_or(V::Null, V::Date),
                    c.valid_to.map_or(V::Null, V::Date),
                    V::Str(&c.dementia_grade),
                    V::U8(c.sex),
                    V::Str(&ym(c.birth)),
                    V::U16(age(c.birth, c.certified_on)),
                    V::Str(&c.application_kind),
                    V::Str(&c.first_judgement),
                ])?;
                self.origin(u, ids, &c.file, c.line, person)
            }
            Unit::Case(c) => {
                let case_id = self.case_id(&c.facility, &c.data_id, c.admission);
                self.dpc_cases.push(&[
                    V::Str(&case_id),
                    V::Str(person),
                    V::Str(&c.facility),
                    V::Date(c.admission),
                    V::Date(c.discharge),
                    V::Str(&c.main_icd10),
                    V::Str(&c.admission_icd10),
                    V::Str(&c.outcome),
                    V::U8(c.sex),
                    V::U16(age(c.birth, c.admission)),
                ])?;
                self.origin(u, ids, &c.file, c.line, person)
            }
            Unit::EfItem(i) => {
                let case_id = self.case_id(&i.facility, &i.data_id, i.admission);
                self.dpc_items.push(&[
                    V::Str(&case_id),
                    V::Str(person),
                    V::Date(i.service_date),
                    V::Str(&i.category),
                    V::Str(&i.code),
                    V::F64(i.quantity),
                    V::I64(i.points),
                ])
            }
        }
    }

    /// Closes every table and writes the steward-only table of identifier hashes.
    pub fn finish(self, linker: &mut Linker, persons: &HashMap<u32, String>) -> Result<BTreeMap<&'static str, u64>> {
        let mut links = TableRows::create(&self.root, table("person_links")?)?;
        for n in 0..linker.len() as u32 {
            let root = linker.find(n);
            let (digest, kind, source) = linker.info[n as usize];
            links.push(&[
                V::Str(&persons[&root]),
                V::Str(source),
                V::Str(kind.as_str()),
                V::Str(&digest.to_hex()),
            ])?;
        }
        let mut rows = BTreeMap::new();
        for (name, t) in [
            ("ndb_claims", self.ndb_claims),
            ("ndb_diagnoses", self.ndb_diagnoses),
            ("ndb_procedures", self.ndb_procedures),
            ("ndb_drugs", self.ndb_drugs),
            ("kaigo_certifications", self.kaigo_certifications),
            ("kaigo_claims", self.kaigo_claims),
            ("dpc_cases", self.dpc_cases),
            ("dpc_items", self.dpc_items),
            ("record_origins", self.record_origins),
            ("person_links", links),
        ] {
            rows.insert(name, t.finish()?);
        }
        Ok(rows)
    }
}
