//! The release ledger: per project, the persons behind every count of persons that left
//! (a Flight SQL result, a released request) and the pieces of every total (each person's
//! contribution as one number, `renkei_engine`'s `contributions::piece`), so that each new output is checked against all
//! of them (`renkei_engine::Engine::query_with_history`) and no two or more outputs can be
//! combined into the count of a few persons.
//!
//! Kept in the broker's state database, steward-side: no call returns its persons; a
//! steward's review names the cells of it that a request's hidden cells conflict with. The persons are
//! the engine's numbers of their pseudonyms, stable across a warehouse refresh under the same
//! key; a warehouse built under a new key numbers everyone anew, and the ledger then checks
//! nothing against its older cells (see docs/disclosure.md).
//!
//! An output is checked and written under its project's lock, so two outputs of one project
//! run at once cannot each pass against a history that lacks the other.

use crate::error::BrokerError;
use renkei_engine::{PersonSet, ReleasedCell};
use rusqlite::{Connection, Transaction, params};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

pub const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS ledger_cells (
    id INTEGER PRIMARY KEY,          -- the order of release
    project_id TEXT NOT NULL REFERENCES projects(id),
    output TEXT NOT NULL,            -- flight:<result hash> or request:<id>
    row_number INTEGER NOT NULL,
    column_name TEXT NOT NULL,
    persons BLOB NOT NULL,           -- the persons' numbers, 8 bytes each, ascending
    persons_hash TEXT NOT NULL,      -- BLAKE3 of persons: a set the project released already
                                     -- adds nothing to what can be combined, and is kept once
    UNIQUE (project_id, persons_hash)
);
CREATE INDEX IF NOT EXISTS ledger_cells_of_project ON ledger_cells(project_id, id);
";

/// Which output released a cell of the ledger, and where it showed.
#[derive(Clone, Debug)]
pub struct LedgerCell {
    /// `flight:<result hash>` or `request:<id>`.
    pub output: String,
    pub row: u64,
    pub column: String,
}

/// A project's ledger: the persons of every cell it released, oldest first, and each cell's
/// identity (`cells[i]` released `sets[i]`), to name the cells a new one conflicts with.
#[derive(Default)]
pub struct History {
    pub sets: Vec<PersonSet>,
    pub cells: Vec<LedgerCell>,
}

/// The cells the project released, oldest first.
pub fn history(conn: &Connection, project: &str) -> Result<History, BrokerError> {
    let mut statement = conn.prepare(
        "SELECT persons, output, row_number, column_name FROM ledger_cells WHERE project_id = ?1 ORDER BY id",
    )?;
    let rows = statement.query_map(params![project], |row| {
        Ok((
            row.get::<_, Vec<u8>>(0)?,
            LedgerCell {
                output: row.get(1)?,
                row: u64::try_from(row.get::<_, i64>(2)?).unwrap_or_default(),
                column: row.get(3)?,
            },
        ))
    })?;
    let mut out = History::default();
    for row in rows {
        let (bytes, cell) = row?;
        out.sets.push(
            PersonSet::from_bytes(&bytes)
                .ok_or_else(|| BrokerError::Io("the ledger holds a cell that is not a set of persons".into()))?,
        );
        out.cells.push(cell);
    }
    Ok(out)
}

/// Writes the released cells of one output, in the caller's transaction.
pub fn append(tx: &Transaction<'_>, project: &str, output: &str, cells: &[ReleasedCell]) -> Result<(), BrokerError> {
    let mut statement = tx.prepare(
        "INSERT OR IGNORE INTO ledger_cells (project_id, output, row_number, column_name, persons, persons_hash)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?;
    for cell in cells {
        let persons = cell.persons.to_bytes();
        let hash = blake3::hash(&persons).to_hex().to_string();
        statement.execute(params![
            project,
            output,
            i64::try_from(cell.row).unwrap_or(i64::MAX),
            cell.column,
            persons,
            hash
        ])?;
    }
    Ok(())
}

/// One lock per project, held from reading its history to writing what its output released.
#[derive(Default)]
pub struct ProjectLocks(Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>);

impl ProjectLocks {
    pub async fn lock(&self, project: &str) -> tokio::sync::OwnedMutexGuard<()> {
        let lock = {
            let mut locks = self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            Arc::clone(locks.entry(project.to_string()).or_default())
        };
        lock.lock_owned().await
    }
}
