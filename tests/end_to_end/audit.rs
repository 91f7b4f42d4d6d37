//! The audit trail against whoever can write the state database but cannot read the audit
//! key: every edit, re-hash, deletion and truncation is named by `renkei audit verify`,
//! which itself writes nothing; a released output swapped in the database is not sent.

use super::broker::{denied, named, world};
use super::renkei;
use std::path::{Path, PathBuf};
use tonic::Code;

/// The entry encoding the broker hashes, as an attacker who read the source would rebuild
/// it (length-prefixed fields; the target only when there is one).
fn canonical(row: &rusqlite::Row) -> rusqlite::Result<Vec<u8>> {
    let mut out = Vec::new();
    let text = |out: &mut Vec<u8>, t: &str| {
        out.extend_from_slice(&(t.len() as u64).to_le_bytes());
        out.extend_from_slice(t.as_bytes());
    };
    out.extend_from_slice(&row.get::<_, i64>(0)?.to_le_bytes());
    for i in 1..=5 {
        text(&mut out, &row.get::<_, String>(i)?);
    }
    match row.get::<_, Option<i64>>(6)? {
        Some(id) => {
            out.push(1);
            out.extend_from_slice(&id.to_le_bytes());
        }
        None => out.push(0),
    }
    match row.get::<_, Option<String>>(7)? {
        Some(h) => {
            out.push(1);
            text(&mut out, &h);
        }
        None => out.push(0),
    }
    if let Some(target) = row.get::<_, Option<String>>(8)? {
        out.push(1);
        text(&mut out, &target);
    }
    Ok(out)
}

/// Re-hashes every entry with plain BLAKE3 over its predecessor, as the chain was hashed
/// before it was keyed, and moves the head table to match: what an attacker who edited an
/// entry would do to hide it.
fn rehash_plain(db: &Path) {
    let conn = rusqlite::Connection::open(db).expect("opens");
    let rows: Vec<(i64, Vec<u8>)> = conn
        .prepare(
            "SELECT seq, time, user, role, action, outcome, request_id, result_hash, target FROM audit ORDER BY seq",
        )
        .expect("prepares")
        .query_map([], |r| Ok((r.get(0)?, canonical(r)?)))
        .expect("reads")
        .collect::<Result<_, _>>()
        .expect("rows");
    let mut previous = [0u8; 32];
    for (seq, encoded) in rows {
        let mut h = blake3::Hasher::new();
        h.update(&previous);
        h.update(&encoded);
        previous = *h.finalize().as_bytes();
        conn.execute(
            "UPDATE audit SET hash = ?2 WHERE seq = ?1",
            rusqlite::params![seq, hex::encode(previous)],
        )
        .expect("rewrites");
    }
    conn.execute(
        "UPDATE audit_head SET seq = (SELECT max(seq) FROM audit), hash = (SELECT hash FROM audit ORDER BY seq DESC LIMIT 1)",
        [],
    )
    .expect("moves the head");
}

/// A copy of the (stopped) server's data directory, to tamper with.
fn copy_of(data: &Path) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    for entry in std::fs::read_dir(data).expect("lists") {
        let path = entry.expect("an entry").path();
        std::fs::copy(&path, dir.path().join(path.file_name().expect("a name"))).expect("copies");
    }
    let copy = dir.path().to_path_buf();
    (dir, copy)
}

fn verify(data: &Path) -> (bool, String) {
    let data = data.to_str().expect("utf-8");
    let o = renkei(&["audit", "verify", "--data", data]);
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    (o.status.success(), said)
}

#[tokio::test]
async fn edits_rewrites_and_cut_offs_are_named_and_verify_writes_nothing() {
    let mut w = world().await;
    let mut ids = Vec::new();
    for query in ["ltc_users_by_care_level_and_sex", "dementia_by_care_level"] {
        let id = w.sato.submit("p-all", named(query)).await.expect("accepted").id;
        w.kato.approve(id).await.expect("approved");
        w.kato.release(id).await.expect("released");
        w.sato.fetch(id).await.expect("fetched");
        ids.push(id as i64);
    }
    let db = w.server.data.join("broker.sqlite");

    // One released output swapped for the other in the database, with the hash beside it:
    // the audit trail's (keyed) release entry still names the first, so nothing is sent.
    {
        let conn = rusqlite::Connection::open(&db).expect("opens");
        conn.execute(
            "UPDATE requests SET (output_arrow, output_table, report_json, result_hash) =
               (SELECT output_arrow, output_table, report_json, result_hash FROM requests WHERE id = ?2)
             WHERE id = ?1",
            [ids[0], ids[1]],
        )
        .expect("swaps");
    }
    let refused = denied(w.sato.fetch(ids[0] as u64).await, Code::FailedPrecondition);
    assert!(refused.contains("not the one released"), "{refused}");
    w.sato.fetch(ids[1] as u64).await.expect("the other is as released");
    // The report released with an output is named too: a minimum edited in it is not sent.
    {
        let conn = rusqlite::Connection::open(&db).expect("opens");
        conn.execute(
            "UPDATE requests SET report_json = replace(report_json, '\"min_persons\": 10,', '\"min_persons\": 1000,')
             WHERE id = ?1",
            [ids[1]],
        )
        .expect("edits the report");
    }
    let refused = denied(w.sato.fetch(ids[1] as u64).await, Code::FailedPrecondition);
    assert!(refused.contains("not the one released"), "{refused}");

    let _ = w.server.child.kill();
    let _ = w.server.child.wait();
    let data = w.server.data.clone();
    let before = std::fs::read(&db).expect("reads");
    let (ok, said) = verify(&data);
    assert!(ok && said.contains("audit trail intact"), "{said}");
    assert_eq!(
        std::fs::read(&db).expect("reads"),
        before,
        "verify never writes the database"
    );

    // A copy kept as evidence, as a cleanly stopped broker leaves it (the log folded in and
    // removed, the file still in WAL mode), in a directory nobody may write. It verifies,
    // stays as it was, and nothing is made beside it (a read-only open of a WAL file makes a
    // `-shm`, which a read-only directory refuses).
    {
        let (_keep, copy) = copy_of(&data);
        let conn = rusqlite::Connection::open(copy.join("broker.sqlite")).expect("opens");
        let _: i64 = conn
            .query_row("SELECT count(*) FROM audit", [], |r| r.get(0))
            .expect("reads");
        drop(conn);
        for left in ["broker.sqlite-wal", "broker.sqlite-shm"] {
            assert!(!copy.join(left).exists(), "{left} was folded in and removed");
        }
        let evidence = std::fs::read(copy.join("broker.sqlite")).expect("reads");
        let mode = |m| {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&copy, std::fs::Permissions::from_mode(m)).expect("chmod");
        };
        mode(0o555);
        let (ok, said) = verify(&copy);
        mode(0o755);
        assert!(ok && said.contains("audit trail intact"), "{said}");
        assert_eq!(std::fs::read(copy.join("broker.sqlite")).expect("reads"), evidence);
        let names: Vec<_> = std::fs::read_dir(&copy)
            .expect("lists")
            .map(|e| e.expect("entry").file_name())
            .collect();
        assert!(
            !names.iter().any(|n| n.to_string_lossy().ends_with("-shm")),
            "{names:?}"
        );
    }

    // Each attack on its own copy of the data directory.
    type Attack = fn(&rusqlite::Connection);
    // (what, the edit, whether the chain is then re-hashed plainly, what verify says)
    let attacks: [(&str, Attack, bool, &str); 4] = [
        (
            "an approval's approver edited, the chain re-hashed plainly",
            |c| {
                c.execute("UPDATE audit SET user = 'mallory' WHERE action = 'approve'", [])
                    .expect("edits");
            },
            true,
            "audit entry 1 is broken: its hash does not match",
        ),
        (
            "a fetch deleted, the chain re-hashed plainly",
            |c| {
                c.execute(
                    "DELETE FROM audit WHERE seq = (SELECT min(seq) FROM audit WHERE action = 'fetch_result')",
                    [],
                )
                .expect("deletes");
            },
            true,
            // The plain re-hash is named first, at the first entry it rewrote.
            "audit entry 1 is broken",
        ),
        (
            "the newest entries cut off",
            |c| {
                c.execute("DELETE FROM audit WHERE seq > (SELECT max(seq) - 3 FROM audit)", [])
                    .expect("deletes");
                c.execute(
                    "UPDATE audit_head SET seq = (SELECT max(seq) FROM audit),
                       hash = (SELECT hash FROM audit ORDER BY seq DESC LIMIT 1)",
                    [],
                )
                .expect("moves the head");
            },
            false,
            "the heads file lists a newer entry",
        ),
        (
            "the whole trail truncated",
            |c| {
                c.execute_batch("DELETE FROM audit; DELETE FROM audit_head;")
                    .expect("truncates");
            },
            false,
            "the heads file lists a newer entry",
        ),
    ];
    for (what, attack, rehash, named_as) in attacks {
        let (_keep, copy) = copy_of(&data);
        let copied_db = copy.join("broker.sqlite");
        attack(&rusqlite::Connection::open(&copied_db).expect("opens"));
        if rehash {
            rehash_plain(&copied_db);
        }
        let (ok, said) = verify(&copy);
        assert!(!ok, "{what}: {said}");
        assert!(said.contains(named_as), "{what}: {said}");
    }
}
