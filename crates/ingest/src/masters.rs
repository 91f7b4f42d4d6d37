//! The public code masters that come with the input (`masters/*.csv`, UTF-8 with a
//! header): codes are checked against them and diagnoses mapped to ICD-10.

use crate::error::{IngestError, Result};
use std::collections::{HashMap, HashSet};
use std::path::Path;

#[derive(Default)]
pub struct Masters {
    /// 傷病名コード → ICD-10.
    pub diseases: HashMap<String, String>,
    pub procedures: HashSet<String>,
    pub drugs: HashSet<String>,
    /// (サービス種類コード, サービス項目コード).
    pub ltc_services: HashSet<(String, String)>,
    /// 10-digit facility code → prefecture code.
    pub facility_prefecture: HashMap<String, String>,
}

fn rows(dir: &Path, name: &str) -> Result<Vec<Vec<String>>> {
    let path = dir.join("masters").join(name);
    let text = std::fs::read_to_string(&path).map_err(|source| IngestError::Io {
        path: path.clone(),
        source,
    })?;
    Ok(text
        .lines()
        .skip(1)
        .filter(|l| !l.is_empty())
        .map(|l| l.split(',').map(str::to_string).collect())
        .collect())
}

fn column(rows: &[Vec<String>], i: usize) -> impl Iterator<Item = String> + '_ {
    rows.iter().filter_map(move |r| r.get(i).cloned())
}

impl Masters {
    pub fn read(input: &Path) -> Result<Masters> {
        let diseases = rows(input, "diseases.csv")?;
        let ltc = rows(input, "ltc_services.csv")?;
        let facilities = rows(input, "facilities.csv")?;
        Ok(Masters {
            diseases: diseases
                .iter()
                .filter(|r| r.len() >= 3)
                .map(|r| (r[0].clone(), r[2].clone()))
                .collect(),
            procedures: column(&rows(input, "procedures.csv")?, 0).collect(),
            drugs: column(&rows(input, "drugs.csv")?, 0).collect(),
            ltc_services: ltc
                .iter()
                .filter(|r| r.len() >= 2)
                .map(|r| (r[0].clone(), r[1].clone()))
                .collect(),
            facility_prefecture: facilities
                .iter()
                .filter(|r| r.len() >= 4)
                .map(|r| (r[0].clone(), r[3].clone()))
                .collect(),
        })
    }

    pub fn is_receipt_code(&self, code: &str) -> bool {
        self.procedures.contains(code) || self.drugs.contains(code)
    }
}
