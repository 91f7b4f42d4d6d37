//! The datasets a project can be granted and the warehouse tables each one holds.

/// One of the three national databases.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Dataset {
    Ndb,
    Kaigo,
    Dpc,
}

impl Dataset {
    pub const ALL: [Dataset; 3] = [Dataset::Ndb, Dataset::Kaigo, Dataset::Dpc];

    pub fn as_str(self) -> &'static str {
        match self {
            Dataset::Ndb => "NDB",
            Dataset::Kaigo => "KAIGO",
            Dataset::Dpc => "DPC",
        }
    }

    pub fn parse(s: &str) -> Option<Dataset> {
        Dataset::ALL.into_iter().find(|d| d.as_str().eq_ignore_ascii_case(s))
    }

    /// The warehouse tables of this dataset: a request sees these and no others.
    pub fn tables(self) -> &'static [&'static str] {
        match self {
            Dataset::Ndb => &["ndb_claims", "ndb_diagnoses", "ndb_procedures", "ndb_drugs"],
            Dataset::Kaigo => &["kaigo_certifications", "kaigo_claims"],
            Dataset::Dpc => &["dpc_cases", "dpc_items"],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_analysis_table_of_the_warehouse_belongs_to_exactly_one_dataset() {
        let analysis: Vec<&str> = renkei_warehouse::TABLES
            .iter()
            .filter(|t| !t.steward_only)
            .map(|t| t.name)
            .collect();
        for name in &analysis {
            let owners = Dataset::ALL.iter().filter(|d| d.tables().contains(name)).count();
            assert_eq!(owners, 1, "{name}");
        }
        for d in Dataset::ALL {
            for t in d.tables() {
                assert!(analysis.contains(t), "{t} of {} is not a warehouse table", d.as_str());
            }
        }
    }
}
