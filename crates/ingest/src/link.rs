//! Record linkage: every record carries its per-purpose hashes; records sharing a hash
//! belong to one person (connected components, union–find), except that two components
//! whose persons differ in sex or birth date are never merged: a shared hash between
//! them is a collision or a data error, not the same person.

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
}

impl IdKind {
    pub fn as_str(self) -> &'static str {
        match self {
            IdKind::Id1 => "id1",
            IdKind::Id2 => "id2",
            IdKind::Link => "link",
            IdKind::Ltc => "ltc",
            IdKind::Local => "dpc_local",
        }
    }
}

#[derive(Default)]
pub struct Linker {
    nodes: HashMap<Digest, u32>,
    /// Per node: its digest, kind and the source that first wrote it.
    pub info: Vec<(Digest, IdKind, &'static str)>,
    parent: Vec<u32>,
    /// Per root: the (sex, birth date) of the component's person, when known.
    person: Vec<Option<(u8, chrono::NaiveDate)>>,
    pub refused_merges: u64,
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

    fn union(&mut self, a: u32, b: u32) {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra == rb {
            return;
        }
        let (pa, pb) = (self.person[ra as usize], self.person[rb as usize]);
        if let (Some(x), Some(y)) = (pa, pb)
            && x != y
        {
            self.refused_merges += 1;
            return;
        }
        // Attach the younger root under the older so roots stay stable.
        let (root, child) = if ra < rb { (ra, rb) } else { (rb, ra) };
        self.parent[child as usize] = root;
        self.person[root as usize] = pa.or(pb);
    }

    /// Adds one record's hashes (first is its anchor) and returns the anchor node.
    pub fn add(
        &mut self,
        source: &'static str,
        ids: &[(IdKind, Digest)],
        person: Option<(u8, chrono::NaiveDate)>,
    ) -> u32 {
        let nodes: Vec<u32> = ids.iter().map(|(k, d)| self.node(*d, *k, source)).collect();
        let anchor = nodes[0];
        let root = self.find(anchor);
        if self.person[root as usize].is_none() {
            self.person[root as usize] = person;
        }
        for n in &nodes[1..] {
            // A hash already tied to another person stays with it (refused above).
            self.union(anchor, *n);
        }
        anchor
    }

    pub fn len(&self) -> usize {
        self.parent.len()
    }

    pub fn is_empty(&self) -> bool {
        self.parent.is_empty()
    }
}
