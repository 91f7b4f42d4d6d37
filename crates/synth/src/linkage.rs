//! How well a warehouse's linkage matches the ground truth: pairwise precision and
//! recall of Renkei's `person_id`, and of naive linkage on ID1 alone and on ID2 alone
//! (what NDB's own hashes would give), over every record the truth names.
//!
//! Reads the steward-only `_linkage/record_origins` table of a warehouse (source, file,
//! line, person_id, id1, id2) and `truth/records` of the synthetic input.

use crate::error::{Result, SynthError, io};
use arrow::array::{Array, AsArray};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use std::collections::HashMap;
use std::fmt;
use std::fs;
use std::path::Path;

#[derive(Debug, Clone, Copy)]
pub struct Pairwise {
    pub precision: f64,
    pub recall: f64,
    pub predicted_pairs: u128,
    pub true_pairs: u128,
}

#[derive(Debug)]
pub struct LinkageQuality {
    pub records: u64,
    pub persons_true: u64,
    pub persons_found: u64,
    pub renkei: Pairwise,
    pub id1_only: Pairwise,
    pub id2_only: Pairwise,
}

fn parquet_files(dir: &Path) -> Result<Vec<std::path::PathBuf>> {
    let mut files: Vec<_> = fs::read_dir(dir)
        .map_err(io(dir))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "parquet"))
        .collect();
    files.sort();
    Ok(files)
}

/// Calls `row` with the named columns of every row of a Parquet directory (as text;
/// `None` for nulls), batch by batch, so memory holds one batch at a time.
pub(crate) fn for_each_row(dir: &Path, names: &[&str], mut row: impl FnMut(&[Option<&str>])) -> Result<()> {
    for path in parquet_files(dir)? {
        let file = fs::File::open(&path).map_err(io(&path))?;
        let parquet = |source| SynthError::Parquet {
            path: path.clone(),
            source,
        };
        let reader = ParquetRecordBatchReaderBuilder::try_new(file)
            .map_err(parquet)?
            .build()
            .map_err(parquet)?;
        for batch in reader {
            let batch = batch.map_err(|e| parquet(e.into()))?;
            let cols = names
                .iter()
                .map(|n| {
                    let c = batch
                        .column_by_name(n)
                        .ok_or_else(|| SynthError::Config(format!("{} has no column {n}", path.display())))?;
                    arrow::compute::cast(c, &arrow::datatypes::DataType::Utf8).map_err(|e| parquet(e.into()))
                })
                .collect::<Result<Vec<_>>>()?;
            let cols: Vec<_> = cols.iter().map(|c| c.as_string::<i32>()).collect();
            let mut values = vec![None; cols.len()];
            for i in 0..batch.num_rows() {
                for (v, c) in values.iter_mut().zip(&cols) {
                    *v = (!c.is_null(i)).then(|| c.value(i));
                }
                row(&values);
            }
        }
    }
    Ok(())
}

fn choose2(n: u64) -> u128 {
    u128::from(n) * u128::from(n.saturating_sub(1)) / 2
}

/// Sum of C(n, 2) over runs of equal values in a sorted slice.
fn pairs_in_runs<T: PartialEq>(sorted: &[T]) -> u128 {
    let mut total = 0;
    let mut start = 0;
    for i in 1..=sorted.len() {
        if i == sorted.len() || sorted[i] != sorted[start] {
            total += choose2((i - start) as u64);
            start = i;
        }
    }
    total
}

/// Pairwise agreement of a predicted labelling with the true one: (true, predicted)
/// label per record. Sorting instead of hashing keeps memory at 16 bytes a record.
fn pairwise(mut labels: Vec<(u64, u64)>) -> Pairwise {
    labels.sort_unstable();
    let tp = pairs_in_runs(&labels);
    let tpairs = pairs_in_runs(&labels.iter().map(|(t, _)| *t).collect::<Vec<_>>());
    let mut predicted: Vec<u64> = labels.into_iter().map(|(_, p)| p).collect();
    predicted.sort_unstable();
    let pp = pairs_in_runs(&predicted);
    let ratio = |a: u128, b: u128| if b == 0 { 1.0 } else { a as f64 / b as f64 };
    Pairwise {
        precision: ratio(tp, pp),
        recall: ratio(tp, tpairs),
        predicted_pairs: pp,
        true_pairs: tpairs,
    }
}

/// A record's origin as one number: FNV-1a of file and line.
fn origin_key(file: &str, line: &str) -> u64 {
    crate::rng::hash_str(&format!("{file}\n{line}"))
}

/// A hex label (person_id, id hash) as a number: its first 16 hex digits, which are
/// unique among millions of labels with overwhelming probability.
fn hex_label(hex: &str) -> u64 {
    u64::from_str_radix(hex.get(..16).unwrap_or(hex), 16).unwrap_or_else(|_| crate::rng::hash_str(hex))
}

pub fn measure(warehouse: &Path, input: &Path) -> Result<LinkageQuality> {
    let mut owner: HashMap<u64, u64> = HashMap::new();
    for_each_row(&input.join("truth/records"), &["file", "line", "person"], |r| {
        if let [Some(file), Some(line), Some(person)] = r
            && let Ok(p) = person.parse()
        {
            owner.insert(origin_key(file, line), p);
        }
    })?;
    let (mut renkei, mut id1, mut id2) = (Vec::new(), Vec::new(), Vec::new());
    let mut persons_true = Vec::new();
    let mut k = 0u64;
    for_each_row(
        &warehouse.join("_linkage/record_origins"),
        &["file", "line", "person_id", "id1", "id2"],
        |r| {
            let [Some(file), Some(line), Some(person), h1, h2] = r else {
                return;
            };
            let Some(t) = owner.get(&origin_key(file, line)) else {
                return;
            };
            // A record without the hash is its own singleton under naive linkage; singleton
            // labels live above 2^63, away from hex prefixes only by astronomically bad luck.
            k += 1;
            let alone = (1u64 << 63) | k;
            renkei.push((*t, hex_label(person)));
            id1.push((*t, h1.map_or(alone, hex_label)));
            id2.push((*t, h2.map_or(alone, hex_label)));
            persons_true.push(*t);
        },
    )?;
    let distinct = |mut v: Vec<u64>| {
        v.sort_unstable();
        v.dedup();
        v.len() as u64
    };
    let persons_found = distinct(renkei.iter().map(|(_, p)| *p).collect());
    Ok(LinkageQuality {
        records: renkei.len() as u64,
        persons_true: distinct(persons_true),
        persons_found,
        renkei: pairwise(renkei),
        id1_only: pairwise(id1),
        id2_only: pairwise(id2),
    })
}

impl fmt::Display for LinkageQuality {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "records compared: {}; persons: {} true, {} found",
            self.records, self.persons_true, self.persons_found
        )?;
        writeln!(f, "| linkage | pairwise precision | pairwise recall |\n|---|---|---|")?;
        for (name, p) in [
            ("Renkei person_id", self.renkei),
            ("ID1 only (insurer card)", self.id1_only),
            ("ID2 only (kana name)", self.id2_only),
        ] {
            writeln!(f, "| {name} | {:.4}% | {:.4}% |", p.precision * 100.0, p.recall * 100.0)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairwise_counts_pairs_not_records() {
        let perfect = vec![(1, 10), (1, 10), (2, 20)];
        let p = pairwise(perfect);
        assert_eq!((p.precision, p.recall), (1.0, 1.0));
        // Splitting person 1 loses its one pair; merging 1 and 2 adds two false pairs.
        assert_eq!(pairwise(vec![(1, 10), (1, 30), (2, 20)]).recall, 0.0);
        let m = pairwise(vec![(1, 10), (1, 10), (2, 10)]);
        assert!((m.precision - 1.0 / 3.0).abs() < 1e-12 && m.recall == 1.0);
    }
}
