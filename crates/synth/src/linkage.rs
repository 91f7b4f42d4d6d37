//! How well a warehouse's linkage matches the ground truth: pairwise precision and
//! recall of Renkei's `person_id`, and of naive linkage on ID1 alone and on ID2 alone
//! (what NDB's own hashes would give), over every record the truth names.
//!
//! Reads the steward-only `_linkage/record_origins` table of a warehouse (source, file,
//! line, person_id, id1, id2) and `truth/records` of the synthetic input.

use crate::error::{Result, SynthError, io};
use arrow::array::{Array, AsArray};
use arrow::datatypes::{Int64Type, UInt64Type};
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

/// Every row of a Parquet directory as strings, for the named columns.
fn read_columns(dir: &Path, names: &[&str]) -> Result<Vec<Vec<Option<String>>>> {
    let mut rows = Vec::new();
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
            let cols: Vec<_> = names
                .iter()
                .map(|n| {
                    batch
                        .column_by_name(n)
                        .cloned()
                        .ok_or_else(|| SynthError::Config(format!("{} has no column {n}", path.display())))
                })
                .collect::<Result<_>>()?;
            for i in 0..batch.num_rows() {
                rows.push(
                    cols.iter()
                        .map(|c| {
                            if c.is_null(i) {
                                return None;
                            }
                            Some(match c.data_type() {
                                arrow::datatypes::DataType::UInt64 => {
                                    c.as_primitive::<UInt64Type>().value(i).to_string()
                                }
                                arrow::datatypes::DataType::Int64 => c.as_primitive::<Int64Type>().value(i).to_string(),
                                _ => c.as_string::<i32>().value(i).to_string(),
                            })
                        })
                        .collect(),
                );
            }
        }
    }
    Ok(rows)
}

fn choose2(n: u64) -> u128 {
    u128::from(n) * u128::from(n.saturating_sub(1)) / 2
}

/// Pairwise agreement of a predicted labelling with the true one (same records).
fn pairwise(labels: &[(u64, String)]) -> Pairwise {
    let mut cells: HashMap<(&str, u64), u64> = HashMap::new();
    let mut predicted: HashMap<&str, u64> = HashMap::new();
    let mut truth: HashMap<u64, u64> = HashMap::new();
    for (t, p) in labels {
        *cells.entry((p.as_str(), *t)).or_default() += 1;
        *predicted.entry(p.as_str()).or_default() += 1;
        *truth.entry(*t).or_default() += 1;
    }
    let tp: u128 = cells.values().map(|n| choose2(*n)).sum();
    let pp: u128 = predicted.values().map(|n| choose2(*n)).sum();
    let tpairs: u128 = truth.values().map(|n| choose2(*n)).sum();
    let ratio = |a: u128, b: u128| if b == 0 { 1.0 } else { a as f64 / b as f64 };
    Pairwise {
        precision: ratio(tp, pp),
        recall: ratio(tp, tpairs),
        predicted_pairs: pp,
        true_pairs: tpairs,
    }
}

pub fn measure(warehouse: &Path, input: &Path) -> Result<LinkageQuality> {
    let truth = read_columns(&input.join("truth/records"), &["source", "file", "line", "person"])?;
    let owner: HashMap<(String, String), u64> = truth
        .into_iter()
        .filter_map(|r| match r.as_slice() {
            [Some(_), Some(file), Some(line), Some(person)] => {
                Some(((file.clone(), line.clone()), person.parse().ok()?))
            }
            _ => None,
        })
        .collect();
    let origins = read_columns(
        &warehouse.join("_linkage/record_origins"),
        &["source", "file", "line", "person_id", "id1", "id2"],
    )?;
    let (mut renkei, mut id1, mut id2) = (Vec::new(), Vec::new(), Vec::new());
    for (k, r) in origins.iter().enumerate() {
        let (Some(file), Some(line), Some(person)) = (&r[1], &r[2], &r[3]) else {
            continue;
        };
        let Some(t) = owner.get(&(file.clone(), line.clone())) else {
            continue;
        };
        // A record without the hash is its own singleton under naive linkage.
        let alone = || format!("record-{k}");
        renkei.push((*t, person.clone()));
        id1.push((*t, r[4].clone().unwrap_or_else(alone)));
        id2.push((*t, r[5].clone().unwrap_or_else(alone)));
    }
    let distinct = |v: &[(u64, String)]| {
        v.iter()
            .map(|(_, p)| p.as_str())
            .collect::<std::collections::HashSet<_>>()
            .len() as u64
    };
    Ok(LinkageQuality {
        records: renkei.len() as u64,
        persons_true: renkei
            .iter()
            .map(|(t, _)| *t)
            .collect::<std::collections::HashSet<_>>()
            .len() as u64,
        persons_found: distinct(&renkei),
        renkei: pairwise(&renkei),
        id1_only: pairwise(&id1),
        id2_only: pairwise(&id2),
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
        let perfect = vec![(1, "a".to_string()), (1, "a".into()), (2, "b".into())];
        let p = pairwise(&perfect);
        assert_eq!((p.precision, p.recall), (1.0, 1.0));
        // Splitting person 1 loses its one pair; merging 1 and 2 adds two false pairs.
        let split = vec![(1, "a".to_string()), (1, "c".into()), (2, "b".into())];
        assert_eq!(pairwise(&split).recall, 0.0);
        let merged = vec![(1, "a".to_string()), (1, "a".into()), (2, "a".into())];
        let m = pairwise(&merged);
        assert!((m.precision - 1.0 / 3.0).abs() < 1e-12 && m.recall == 1.0);
    }
}
