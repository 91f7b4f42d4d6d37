//! The chain against an attacker who can write the database (and the heads file, where the
//! operator did not make it append-only) but cannot read the key.

use super::*;
use rusqlite::Connection;
use std::path::{Path, PathBuf};

struct Fixture {
    dir: tempfile::TempDir,
    conn: Connection,
    trail: Trail,
}

impl Fixture {
    fn key_path(&self) -> PathBuf {
        self.dir.path().join(KEY_FILE)
    }
    fn heads(&self) -> PathBuf {
        self.dir.path().join(HEADS_FILE)
    }
    fn key(&self) -> [u8; 32] {
        crate::key_file::load(&self.key_path()).expect("reads").expect("a key")
    }
    fn verify(&self) -> Verification {
        verify(&self.conn, &self.key(), &self.heads()).expect("walks")
    }
    fn append(&mut self, n: i64) {
        for i in 0..n {
            let tx = self.conn.transaction().expect("transaction");
            let head = self
                .trail
                .append(&tx, "2026-01-01T00:00:00Z", &event(i))
                .expect("append");
            tx.commit().expect("commit");
            self.trail.anchor(&head).expect("anchored");
        }
    }
}

fn event(i: i64) -> Event {
    Event {
        user: "sato".into(),
        role: "researcher".into(),
        action: "submit".into(),
        request_id: Some(i),
        outcome: "ok".into(),
        ..Event::default()
    }
}

fn open(dir: &Path, mut conn: Connection) -> Result<(Connection, Trail), crate::error::BrokerError> {
    let trail = Trail::open(&mut conn, &dir.join(KEY_FILE), dir.join(HEADS_FILE))?;
    Ok((conn, trail))
}

fn chain(n: i64) -> Fixture {
    let dir = tempfile::tempdir().expect("temp dir");
    let conn = Connection::open(dir.path().join("state.sqlite")).expect("SQLite");
    conn.execute_batch(SCHEMA).expect("schema");
    let (conn, trail) = open(dir.path(), conn).expect("a new trail");
    let mut f = Fixture { dir, conn, trail };
    f.append(n);
    f
}

/// The attacker's rewrite: every entry from `from` on re-hashed over its predecessor, under
/// `key` (None: plain BLAKE3, as the chain was before it was keyed), and the head table set
/// to match.
fn rehash_from(conn: &Connection, from: i64, key: Option<&[u8; 32]>) {
    let mut statement = conn
        .prepare(&format!("SELECT {ENTRY_COLUMNS} FROM audit ORDER BY seq"))
        .expect("prepares");
    let entries: Vec<Entry> = statement
        .query_map([], entry_from_row)
        .expect("reads")
        .collect::<Result<_, _>>()
        .expect("entries");
    let mut previous = GENESIS;
    for entry in &entries {
        if entry.seq >= from {
            let hash = hex::encode(entry.chained_hash(&previous, key));
            conn.execute("UPDATE audit SET hash = ?2 WHERE seq = ?1", params![entry.seq, hash])
                .expect("rewrites");
        }
        let stored: String = conn
            .query_row("SELECT hash FROM audit WHERE seq = ?1", [entry.seq], |r| r.get(0))
            .expect("hash");
        previous = parse_hash(&stored).expect("hex");
    }
    conn.execute(
        "UPDATE audit_head SET seq = (SELECT max(seq) FROM audit), hash = (SELECT hash FROM audit ORDER BY seq DESC LIMIT 1)",
        [],
    )
    .expect("moves the head");
}

#[test]
fn an_untouched_chain_verifies() {
    assert!(matches!(chain(5).verify(), Verification::Intact { entries: 5, .. }));
}

#[test]
fn an_edited_entry_is_named() {
    let f = chain(5);
    f.conn
        .execute("UPDATE audit SET outcome = 'denied' WHERE seq = 3", [])
        .expect("edit");
    assert!(matches!(f.verify(), Verification::Broken { seq: 3, .. }));
}

#[test]
fn a_deleted_entry_is_named() {
    let f = chain(5);
    f.conn.execute("DELETE FROM audit WHERE seq = 2", []).expect("delete");
    assert!(matches!(f.verify(), Verification::Broken { seq: 2, .. }));
}

/// Before the key, an attacker who edited entry 2 and re-hashed everything after it with
/// plain BLAKE3 (and moved the head) left a chain that verified. Without the key, neither a
/// plain nor any other re-hash passes.
#[test]
fn an_edit_rehashed_without_the_key_is_named() {
    for key in [None, Some([1u8; 32])] {
        let f = chain(5);
        f.conn
            .execute("UPDATE audit SET user = 'someone' WHERE seq = 2", [])
            .expect("edit");
        rehash_from(&f.conn, 2, key.as_ref());
        assert!(
            matches!(f.verify(), Verification::Broken { seq: 2, .. }),
            "{:?}",
            f.verify()
        );
    }
}

/// Cutting off the newest entries (and moving the head table back) leaves a valid shorter
/// chain; the heads file still lists them.
#[test]
fn entries_cut_off_the_end_are_named_by_the_heads_file() {
    let f = chain(5);
    f.conn.execute("DELETE FROM audit WHERE seq >= 4", []).expect("delete");
    f.conn
        .execute(
            "UPDATE audit_head SET seq = 3, hash = (SELECT hash FROM audit WHERE seq = 3)",
            [],
        )
        .expect("moves the head");
    assert_eq!(
        f.verify(),
        Verification::Broken {
            seq: 4,
            reason: "missing (deleted): the heads file lists a newer entry"
        }
    );
    std::fs::remove_file(f.heads()).expect("the heads file goes too");
    assert!(matches!(f.verify(), Verification::Broken { seq: 3, .. }));
}

/// The whole chain rewritten under a key of the attacker's making (a new key file) is not
/// the chain the heads file anchored.
#[test]
fn a_chain_rewritten_under_another_key_is_named_by_the_heads_file() {
    let f = chain(5);
    let forged = [2u8; 32];
    rehash_from(&f.conn, 1, Some(&forged));
    let walked = verify(&f.conn, &forged, &f.heads()).expect("walks");
    assert!(matches!(walked, Verification::Broken { seq: 1, .. }), "{walked:?}");
}

/// A database from before keys: its plain chain is keyed at the first open, with an entry
/// naming the plain head it had; a broken plain chain is not keyed.
#[test]
fn a_plain_chain_is_keyed_once_if_it_verifies() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("state.sqlite");
    let plain_head = {
        let conn = Connection::open(&path).expect("SQLite");
        conn.execute_batch(SCHEMA).expect("schema");
        let mut previous = GENESIS;
        for seq in 1..=3 {
            let entry = Entry {
                seq,
                time: "2025-01-01T00:00:00Z".into(),
                event: event(seq),
            };
            previous = entry.chained_hash(&previous, None);
            conn.execute(
                "INSERT INTO audit (seq, time, user, role, action, request_id, outcome, hash)
                 VALUES (?1, ?2, 'sato', 'researcher', 'submit', ?1, 'ok', ?3)",
                params![seq, entry.time, hex::encode(previous)],
            )
            .expect("an old entry");
        }
        conn.execute(
            "INSERT INTO audit_head (only_row, seq, hash) VALUES (1, 3, ?1)",
            [hex::encode(previous)],
        )
        .expect("its head");
        hex::encode(previous)
    };
    let (conn, _trail) = open(dir.path(), Connection::open(&path).expect("SQLite")).expect("keyed");
    let key = crate::key_file::load(&dir.path().join(KEY_FILE))
        .expect("reads")
        .expect("made");
    assert!(matches!(
        verify(&conn, &key, &dir.path().join(HEADS_FILE)).expect("walks"),
        Verification::Intact { entries: 4, .. }
    ));
    let note: String = conn
        .query_row("SELECT target FROM audit WHERE seq = 4", [], |r| r.get(0))
        .expect("the keying entry");
    assert!(note.contains(&plain_head), "{note}");
    drop(conn);
    open(dir.path(), Connection::open(&path).expect("SQLite")).expect("opens again, keyed");

    // A plain chain edited before its first keyed open stays unkeyed and does not open.
    let other = tempfile::tempdir().expect("temp dir");
    let copy = other.path().join("state.sqlite");
    let conn = Connection::open(&copy).expect("SQLite");
    conn.execute_batch(SCHEMA).expect("schema");
    conn.execute(
        "INSERT INTO audit (seq, time, user, role, action, outcome, hash) VALUES (1, 't', 'u', 'r', 'a', 'ok', ?1)",
        [hex::encode([9u8; 32])],
    )
    .expect("a broken entry");
    let refused = open(other.path(), conn)
        .err()
        .expect("a broken plain chain is not keyed");
    assert!(refused.to_string().contains("audit entry 1 is broken"), "{refused}");
}

#[test]
fn a_keyed_trail_does_not_open_without_its_key_or_under_another() {
    let f = chain(2);
    let path = f.dir.path().join("state.sqlite");
    std::fs::remove_file(f.key_path()).expect("the key is lost");
    let missing = open(f.dir.path(), Connection::open(&path).expect("SQLite"))
        .err()
        .expect("refused");
    assert!(missing.to_string().contains("--audit-key"), "{missing}");
    std::fs::write(f.key_path(), [3u8; 32]).expect("another key");
    let other = open(f.dir.path(), Connection::open(&path).expect("SQLite"))
        .err()
        .expect("refused");
    assert!(other.to_string().contains("does not verify"), "{other}");
}

/// With its key there, a trail is never re-keyed: an edit re-chained plainly, with the heads
/// file deleted, does not open (a broker that re-keyed whenever the heads file was missing
/// blessed such a trail under the operator's own key).
#[test]
fn a_trail_rechained_plainly_without_its_heads_file_does_not_open_under_its_key() {
    let f = chain(3);
    let path = f.dir.path().join("state.sqlite");
    f.conn
        .execute("UPDATE audit SET user = 'mallory' WHERE seq = 2", [])
        .expect("edit");
    rehash_from(&f.conn, 1, None);
    std::fs::remove_file(f.heads()).expect("the heads file goes");
    let refused = open(f.dir.path(), Connection::open(&path).expect("SQLite"))
        .err()
        .expect("not re-keyed");
    assert!(refused.to_string().contains("does not verify"), "{refused}");
    assert!(!f.heads().exists(), "nothing was anchored");
}

/// A release's hash is read from an entry that verifies under the key: editing it (and the
/// output beside it) in the database does not make another output the released one.
#[test]
fn a_released_hash_is_read_only_from_an_entry_that_verifies() {
    let mut f = chain(2);
    let tx = f.conn.transaction().expect("transaction");
    let release = Event {
        action: "release".into(),
        request_id: Some(7),
        result_hash: Some("aa".repeat(32)),
        ..event(7)
    };
    let head = f.trail.append(&tx, "2026-01-01T00:00:00Z", &release).expect("append");
    tx.commit().expect("commit");
    f.trail.anchor(&head).expect("anchored");
    f.append(1);
    let release = f.trail.release_of(&f.conn, 7).expect("verifies");
    assert_eq!(release.result_hash, Some("aa".repeat(32)));
    f.conn
        .execute("UPDATE audit SET result_hash = ?1 WHERE seq = 3", ["bb".repeat(32)])
        .expect("edit");
    assert!(f.trail.release_of(&f.conn, 7).is_err());
    assert!(f.trail.release_of(&f.conn, 8).is_err(), "no release, no hash");
}
