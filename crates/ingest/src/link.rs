//! Record linkage in two phases.
//!
//! 1. **Strong identifiers** (facility patient number, ID1, 個人単位被保険者番号, LTC number):
//!    records sharing one of these hashes belong to one person (connected components,
//!    union–find).
//! 2. **Names** (ID2: kana name + birth date + sex) then bridge components that the strong
//!    identifiers could not — a new insurer after a job change, a first visit to another
//!    facility. A name is weak evidence (at national scale different persons share a folded
//!    kana name and a birthday), so an ID2 merge is refused when the two components hold
//!    evidence that they are different persons:
//!    - different patient numbers at one facility (a facility keeps one number per patient);
//!    - different LTC numbers from one municipality (the number is kept for life there);
//!    - different ID1 cards, or different LTC numbers, each in use during two or more of the
//!      same months (a person holds one insurance at a time; one shared month allows for a
//!      mid-month change).
//!
//! Any merge, in either phase, is refused between components whose persons differ in sex
//! or birth date: the shared hash is then a collision or a data error. A unit joining its
//! anchor is such a merge too: a patient number written on a claim of another sex or birth
//! date (reused, or typed into the wrong record) leaves the unit with its other identifiers
//! instead of joining two persons. Refusals are counted.
//!
//! An empty identifier is no identifier: `unit_ids` (lib.rs) leaves out a patient, card or
//! LTC number that is empty, blank or zeros only, so that it forms no edge and no anchor (one
//! hash of an empty カルテ番号 per facility made every blank-number claim there one person).
//! A unit without a patient or LTC number is anchored on a node of its own, made from its
//! origin and never shared, which its other identifiers then join as usual.

use renkei_formats::era::YearMonth;
use renkei_pseudonymize::Digest;
use std::collections::HashMap;

/// Which identifier a hash was made from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum IdKind {
    /// Insurer + card symbol + number + birth date + sex.
    Id1,
    /// Kana name + birth date + sex.
    Id2,
    /// 個人単位被保険者番号 (card + branch).
    Link,
    /// LTC insurer (municipality) + LTC insured number + birth date + sex.
    Ltc,
    /// A facility's own patient number (カルテ番号 = DPC データ識別番号) at that facility.
    Local,
    /// One record unit's origin (file and line): the anchor of a unit that has no patient
    /// or LTC number, or whose number belongs to another person. Never shared.
    Record,
}

impl IdKind {
    pub fn as_str(self) -> &'static str {
        match self {
            IdKind::Id1 => "id1",
            IdKind::Id2 => "id2",
            IdKind::Link => "link",
            IdKind::Ltc => "ltc",
            IdKind::Local => "dpc_local",
            IdKind::Record => "record",
        }
    }
}

/// What one record unit tells the linker.
pub struct UnitIds {
    /// Identifier hashes, none of them of an empty identifier; the first is the unit's
    /// anchor when it is a `Local` or `Ltc` hash.
    pub ids: Vec<(IdKind, Digest)>,
    /// The unit's own `Record` hash (of its origin): its anchor when it has no `Local` or
    /// `Ltc` hash, or when that one belongs to a person of another sex or birth date.
    pub own: Digest,
    /// Who issued the anchor: the facility (for `Local`) or the municipality (for `Ltc`).
    pub issuer: String,
    /// The person's (sex, birth date), when the unit carries them.
    pub person: Option<(u8, chrono::NaiveDate)>,
    /// The service month, when the unit has one: it dates the use of its ID1 or LTC number.
    pub month: Option<YearMonth>,
}

/// Months in use of one ID1 or LTC hash, as month numbers (year × 12 + month).
#[derive(Clone, Copy)]
struct Span {
    first: u32,
    last: u32,
}

impl Span {
    const NONE: Span = Span {
        first: u32::MAX,
        last: 0,
    };

    fn shared_months(self, other: Span) -> u32 {
        let (from, to) = (self.first.max(other.first), self.last.min(other.last));
        (to + 1).saturating_sub(from)
    }
}

/// A strong identifier of a component, as evidence against an ID2 merge.
#[derive(Clone, Copy)]
struct Evidence {
    node: u32,
    kind: IdKind,
    /// The issuing facility or municipality (interned), for `Local` and `Ltc`.
    issuer: u32,
    span: Span,
}

impl Evidence {
    /// Whether `self` and `other`, held by two components, show them to be two persons.
    fn contradicts(&self, other: &Evidence) -> bool {
        if self.node == other.node || self.kind != other.kind {
            return false;
        }
        let same_issuer = matches!(self.kind, IdKind::Local | IdKind::Ltc) && self.issuer == other.issuer;
        let concurrent = matches!(self.kind, IdKind::Id1 | IdKind::Ltc) && self.span.shared_months(other.span) >= 2;
        same_issuer || concurrent
    }
}

#[derive(Default)]
pub struct Linker {
    /// The digests are uniform already; foldhash spares SipHash's rounds on the hottest map
    /// of ingest (one lookup per identifier of every record).
    nodes: HashMap<Digest, u32, foldhash::fast::RandomState>,
    /// Per node: its digest, kind and the source that first wrote it.
    pub info: Vec<(Digest, IdKind, &'static str)>,
    parent: Vec<u32>,
    /// Per root: the (sex, birth date) of the component's person, when known.
    person: Vec<Option<(u8, chrono::NaiveDate)>>,
    /// Per node: the interned issuer of a `Local` or `Ltc` node (else unused).
    issuer: Vec<u32>,
    /// Per node: the months an `Id1` or `Ltc` node was seen in.
    span: Vec<Span>,
    issuers: HashMap<String, u32>,
    /// (anchor node, ID2 node) edges, applied by `link_by_name`.
    name_edges: Vec<(u32, u32)>,
    /// Merges refused because the persons differ in sex or birth date.
    pub refused_merges: u64,
    /// ID2 merges refused on evidence of two persons.
    pub refused_name_merges: u64,
}

impl Linker {
    fn node(&mut self, d: Digest, kind: IdKind, source: &'static str) -> u32 {
        if let Some(n) = self.nodes.get(&d) {
            return *n;
        }
        let n = self.parent.len() as u32;
        self.nodes.insert(d, n);
        self.info.push((d, kind, source));
        self.parent.push(n);
        self.person.push(None);
        self.issuer.push(u32::MAX);
        self.span.push(Span::NONE);
        n
    }

    pub fn find(&mut self, mut n: u32) -> u32 {
        while self.parent[n as usize] != n {
            let grand = self.parent[self.parent[n as usize] as usize];
            self.parent[n as usize] = grand;
            n = grand;
        }
        n
    }

    /// Joins the components of `a` and `b` unless their persons differ; returns the root.
    fn union(&mut self, a: u32, b: u32) -> Option<u32> {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra == rb {
            return Some(ra);
        }
        let (pa, pb) = (self.person[ra as usize], self.person[rb as usize]);
        if let (Some(x), Some(y)) = (pa, pb)
            && x != y
        {
            self.refused_merges += 1;
            return None;
        }
        // Attach the younger root under the older so roots stay stable.
        let (root, child) = if ra < rb { (ra, rb) } else { (rb, ra) };
        self.parent[child as usize] = root;
        self.person[root as usize] = pa.or(pb);
        Some(root)
    }

    /// Adds one record unit: its strong identifiers are joined now, its name edge kept
    /// for `link_by_name`. Returns the anchor node.
    pub fn add(&mut self, source: &'static str, unit: &UnitIds) -> u32 {
        let nodes: Vec<u32> = unit.ids.iter().map(|(k, d)| self.node(*d, *k, source)).collect();
        let numbered = unit
            .ids
            .first()
            .is_some_and(|(k, _)| matches!(k, IdKind::Local | IdKind::Ltc));
        let mut anchor = match nodes.first() {
            Some(n) if numbered => {
                let next_issuer = self.issuers.len() as u32;
                let issuer = *self.issuers.entry(unit.issuer.clone()).or_insert(next_issuer);
                self.issuer[*n as usize] = issuer;
                *n
            }
            _ => self.node(unit.own, IdKind::Record, source),
        };
        let root = self.find(anchor);
        // The patient or LTC number whose person is another: not joined, nor dated by the unit.
        let mut refused = None;
        match (self.person[root as usize], unit.person) {
            // Joining the anchor is an edge like any other.
            (Some(x), Some(y)) if x != y => {
                self.refused_merges += 1;
                refused = Some(anchor);
                anchor = self.node(unit.own, IdKind::Record, source);
                self.person[anchor as usize] = unit.person;
            }
            (None, person) => self.person[root as usize] = person,
            _ => {}
        }
        for (n, (kind, _)) in nodes.iter().zip(&unit.ids) {
            if refused == Some(*n) {
                continue;
            }
            if let (Some(month), IdKind::Id1 | IdKind::Ltc) = (unit.month, kind) {
                let m = (month.year * 12) as u32 + month.month;
                let span = &mut self.span[*n as usize];
                span.first = span.first.min(m);
                span.last = span.last.max(m);
            }
            match kind {
                _ if *n == anchor => {}
                IdKind::Id2 => self.name_edges.push((anchor, *n)),
                // A hash already tied to another person stays with it (refused in union).
                _ => {
                    self.union(anchor, *n);
                }
            }
        }
        anchor
    }

    /// Phase 2: applies the name (ID2) edges between the components the strong identifiers
    /// formed, refusing those with evidence of two persons. Call once, after every `add`.
    pub fn link_by_name(&mut self) {
        let mut edges = std::mem::take(&mut self.name_edges);
        // One edge per (anchor, name); sorted by anchor, i.e. by first appearance in the input.
        edges.sort_unstable();
        edges.dedup();
        let mut evidence: HashMap<u32, Vec<Evidence>> = HashMap::new();
        for n in 0..self.len() as u32 {
            let kind = self.info[n as usize].1;
            if matches!(kind, IdKind::Local | IdKind::Ltc | IdKind::Id1) {
                let root = self.find(n);
                evidence.entry(root).or_default().push(Evidence {
                    node: n,
                    kind,
                    issuer: self.issuer[n as usize],
                    span: self.span[n as usize],
                });
            }
        }
        for (anchor, name) in edges {
            let (ra, rb) = (self.find(anchor), self.find(name));
            if ra == rb {
                continue;
            }
            let (ea, eb) = (
                evidence.remove(&ra).unwrap_or_default(),
                evidence.remove(&rb).unwrap_or_default(),
            );
            let two_persons = ea.iter().any(|x| eb.iter().any(|y| x.contradicts(y)));
            if two_persons {
                self.refused_name_merges += 1;
                evidence.insert(ra, ea);
                evidence.insert(rb, eb);
                continue;
            }
            match self.union(ra, rb) {
                Some(root) => {
                    let (mut big, small) = if ea.len() >= eb.len() { (ea, eb) } else { (eb, ea) };
                    big.extend(small);
                    evidence.insert(root, big);
                }
                None => {
                    evidence.insert(ra, ea);
                    evidence.insert(rb, eb);
                }
            }
        }
    }

    pub fn len(&self) -> usize {
        self.parent.len()
    }

    pub fn is_empty(&self) -> bool {
        self.parent.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn digest(s: &str) -> Digest {
        Digest(*blake3::hash(s.as_bytes()).as_bytes())
    }

    fn unit(ids: &[(IdKind, &str)], issuer: &str, month: (i32, u32)) -> UnitIds {
        // Units are told apart by their origin, here a count.
        static ORIGIN: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let origin = ORIGIN.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        UnitIds {
            ids: ids.iter().map(|(k, s)| (*k, digest(s))).collect(),
            own: digest(&format!("record {origin}")),
            issuer: issuer.to_string(),
            person: NaiveDate::from_ymd_opt(1960, 5, 1).map(|d| (1, d)),
            month: Some(YearMonth {
                year: month.0,
                month: month.1,
            }),
        }
    }

    fn linked(units: &[UnitIds]) -> (Vec<u32>, Linker) {
        let mut l = Linker::default();
        let anchors: Vec<u32> = units.iter().map(|u| l.add("ndb", u)).collect();
        l.link_by_name();
        let roots = anchors.into_iter().map(|a| l.find(a)).collect();
        (roots, l)
    }

    use IdKind::{Id1, Id2, Local};

    #[test]
    fn a_name_bridges_an_insurer_change_across_facilities() {
        let (roots, l) = linked(&[
            unit(&[(Local, "A/1"), (Id1, "card-1"), (Id2, "name")], "A", (2023, 4)),
            unit(&[(Local, "A/1"), (Id1, "card-1"), (Id2, "name")], "A", (2023, 5)),
            unit(&[(Local, "B/9"), (Id1, "card-2"), (Id2, "name")], "B", (2023, 6)),
            unit(&[(Local, "B/9"), (Id1, "card-2"), (Id2, "name")], "B", (2023, 7)),
        ]);
        assert!(roots.iter().all(|r| *r == roots[0]), "{roots:?}");
        assert_eq!(l.refused_name_merges, 0);
    }

    #[test]
    fn a_name_does_not_join_two_cards_in_use_at_once() {
        let (roots, l) = linked(&[
            unit(&[(Local, "A/1"), (Id1, "card-1"), (Id2, "name")], "A", (2023, 4)),
            unit(&[(Local, "A/1"), (Id1, "card-1"), (Id2, "name")], "A", (2023, 6)),
            unit(&[(Local, "B/9"), (Id1, "card-2"), (Id2, "name")], "B", (2023, 5)),
            unit(&[(Local, "B/9"), (Id1, "card-2"), (Id2, "name")], "B", (2023, 7)),
        ]);
        assert_ne!(roots[0], roots[2]);
        assert_eq!(l.refused_name_merges, 1);
    }

    #[test]
    fn one_shared_month_is_a_mid_month_change_not_two_persons() {
        let (roots, _) = linked(&[
            unit(&[(Local, "A/1"), (Id1, "card-1"), (Id2, "name")], "A", (2023, 5)),
            unit(&[(Local, "B/9"), (Id1, "card-2"), (Id2, "name")], "B", (2023, 5)),
        ]);
        assert_eq!(roots[0], roots[1]);
    }

    #[test]
    fn a_name_does_not_join_two_patient_numbers_of_one_facility() {
        let (roots, l) = linked(&[
            unit(&[(Local, "A/1"), (Id1, "card-1"), (Id2, "name")], "A", (2023, 4)),
            unit(&[(Local, "A/2"), (Id1, "card-2"), (Id2, "name")], "A", (2023, 9)),
        ]);
        assert_ne!(roots[0], roots[1]);
        assert_eq!(l.refused_name_merges, 1);
    }

    #[test]
    fn a_unit_does_not_join_an_anchor_of_another_person() {
        // The same patient number at one facility on a claim of another sex and birth date.
        let other = |ids: &[(IdKind, &str)], issuer: &str, month: (i32, u32)| UnitIds {
            person: NaiveDate::from_ymd_opt(1971, 2, 3).map(|d| (2, d)),
            ..unit(ids, issuer, month)
        };
        let (roots, l) = linked(&[
            unit(&[(Local, "A/1"), (Id1, "card-1"), (Id2, "name")], "A", (2023, 4)),
            other(&[(Local, "A/1"), (Id1, "card-2"), (Id2, "other")], "A", (2023, 5)),
            other(&[(Local, "B/9"), (Id1, "card-2"), (Id2, "other")], "B", (2023, 6)),
        ]);
        assert_ne!(roots[0], roots[1]);
        assert_eq!(
            roots[1], roots[2],
            "the unit stays with the identifiers of its own person"
        );
        assert_eq!(l.refused_merges, 1);
    }

    #[test]
    fn strong_identifiers_join_whatever_the_name() {
        let (roots, l) = linked(&[
            unit(&[(Local, "A/1"), (Id1, "card-1"), (Id2, "maiden")], "A", (2023, 4)),
            unit(&[(Local, "B/9"), (Id1, "card-1"), (Id2, "married")], "B", (2023, 5)),
        ]);
        assert_eq!(roots[0], roots[1]);
        assert_eq!(l.refused_name_merges, 0);
    }
}
