//! State databases written by earlier versions, brought up to the current schema at open.

use crate::error::BrokerError;
use rusqlite::{Connection, OptionalExtension};

/// A state database made before the analyst role has a `users` table whose CHECK does not
/// allow it. SQLite cannot change a CHECK in place: the table is rebuilt in one transaction
/// (with foreign keys off, as SQLite documents, so the tables that refer to it keep their rows).
pub(super) fn allow_analysts(conn: &Connection) -> Result<(), BrokerError> {
    let users: Option<String> = conn
        .query_row(
            "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'users'",
            [],
            |r| r.get(0),
        )
        .optional()?;
    if users.is_none_or(|sql| sql.contains("'analyst'")) {
        return Ok(());
    }
    conn.pragma_update(None, "foreign_keys", "OFF")?;
    conn.execute_batch(
        "BEGIN IMMEDIATE;
         CREATE TABLE users_with_analysts (
             id TEXT PRIMARY KEY,
             role TEXT NOT NULL CHECK (role IN ('researcher', 'steward', 'admin', 'analyst'))
         );
         INSERT INTO users_with_analysts (id, role) SELECT id, role FROM users;
         DROP TABLE users;
         ALTER TABLE users_with_analysts RENAME TO users;
         COMMIT;",
    )?;
    Ok(())
}

/// Whether this is a state database from before stewards were assigned to projects (it has
/// users but no `assignments` table).
pub(super) fn before_assignments(conn: &Connection) -> Result<bool, BrokerError> {
    let tables: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name IN ('users', 'assignments')")?
        .query_map([], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    Ok(tables == ["users"])
}

/// Before assignments every steward reviewed every project; after the upgrade they still
/// do, until an admin narrows it (nobody loses the work they had, nobody gains any).
pub(super) fn assign_stewards_everywhere(conn: &Connection) -> Result<(), BrokerError> {
    conn.execute_batch(
        "INSERT OR IGNORE INTO assignments (user_id, project_id)
         SELECT u.id, p.id FROM users u CROSS JOIN projects p WHERE u.role = 'steward'",
    )?;
    Ok(())
}

/// An audit table from before targets were recorded takes the column; its entries keep
/// none, and encode as they did (see `audit::Entry::canonical`).
pub(super) fn add_audit_targets(conn: &Connection) -> Result<(), BrokerError> {
    let has_target: bool = conn.query_row(
        "SELECT count(*) > 0 FROM pragma_table_info('audit') WHERE name = 'target'",
        [],
        |r| r.get(0),
    )?;
    if !has_target {
        conn.execute_batch("ALTER TABLE audit ADD COLUMN target TEXT")?;
    }
    Ok(())
}

/// A requests table from before the conflicts of `history` cells were kept takes the column;
/// its requests name none (a steward sees the rule alone, as before).
pub(super) fn add_history_conflicts(conn: &Connection) -> Result<(), BrokerError> {
    let has_column: bool = conn.query_row(
        "SELECT count(*) > 0 FROM pragma_table_info('requests') WHERE name = 'history_conflicts'",
        [],
        |r| r.get(0),
    )?;
    if !has_column {
        conn.execute_batch("ALTER TABLE requests ADD COLUMN history_conflicts TEXT")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::{DATABASE_FILE, SCHEMA, Store};
    use crate::auth::{Caller, Role};
    use rusqlite::Connection;

    /// A data directory from before the analyst role opens, keeps its users, memberships and
    /// tokens, and takes analysts.
    #[test]
    fn a_database_from_before_analysts_takes_them() {
        let dir = tempfile::tempdir().expect("temp dir");
        {
            let old = Connection::open(dir.path().join(DATABASE_FILE)).expect("opens");
            old.execute_batch(&SCHEMA.replace(", 'analyst'", ""))
                .expect("the old schema");
            old.execute_batch(
                "INSERT INTO projects VALUES ('p', 't', 'p', 'NDB', '2000-01-01', '2999-12-31');
                 INSERT INTO users VALUES ('sato', 'researcher');
                 INSERT INTO memberships VALUES ('sato', 'p');
                 INSERT INTO tokens (user_id, hash, expires_at) VALUES ('sato', 'h', 1);",
            )
            .expect("old rows");
            assert!(old.execute("INSERT INTO users VALUES ('ito', 'analyst')", []).is_err());
        }
        let mut store = Store::open(dir.path(), &dir.path().join(crate::audit::KEY_FILE)).expect("opens");
        let admin = Caller {
            user: "root".into(),
            role: Role::Admin,
        };
        store
            .create_user(&admin, "ito", Role::Analyst, &["p".to_string()])
            .expect("an analyst");
        assert_eq!(store.caller("ito").expect("ito").role, Role::Analyst);
        assert!(store.is_member("sato", "p").expect("reads"));
        let tokens: i64 = store
            .connection()
            .query_row("SELECT count(*) FROM tokens WHERE user_id = 'sato'", [], |r| r.get(0))
            .expect("counts");
        assert_eq!(tokens, 1);
        let violations: i64 = store
            .connection()
            .query_row("SELECT count(*) FROM pragma_foreign_key_check", [], |r| r.get(0))
            .expect("checks");
        assert_eq!(violations, 0);
    }

    /// A data directory from before the conflicts of `history` cells were stored opens, and
    /// its checked outputs read with none.
    #[test]
    fn a_database_from_before_history_conflicts_takes_the_column() {
        let dir = tempfile::tempdir().expect("temp dir");
        {
            let old = Connection::open(dir.path().join(DATABASE_FILE)).expect("opens");
            old.execute_batch(SCHEMA).expect("the schema");
            old.execute_batch(
                "ALTER TABLE requests DROP COLUMN history_conflicts;
                 INSERT INTO projects VALUES ('p', 't', 'p', 'NDB', '2000-01-01', '2999-12-31');
                 INSERT INTO users VALUES ('sato', 'researcher');
                 INSERT INTO requests (project_id, requester, title, purpose, sql, state, submitted_at,
                                       output_arrow, output_table, report_json)
                 VALUES ('p', 'sato', 't', 'p', 'SELECT 1', 'checked', '2026-01-01T00:00:00Z', x'00', 't', '{}');",
            )
            .expect("old rows");
        }
        let store = Store::open(dir.path(), &dir.path().join(crate::audit::KEY_FILE)).expect("opens");
        let output = store.output(1).expect("reads");
        assert_eq!((output.table.as_str(), output.history_conflicts.len()), ("t", 0));
    }
}
