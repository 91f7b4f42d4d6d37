//! The crate through its public API: identifiers written differently hash alike, keys never
//! show, key files are created and read safely, and the published test vectors hold.

use std::fs;
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::Path;

use chrono::NaiveDate;
use renkei_pseudonymize::normalize::{self, NormalizeError};
use renkei_pseudonymize::{Digest, Key, KeyError, Purpose, id1, id2, link_id, ltc_id};
use renkei_synth::names::{FAMILY_NAMES, FEMALE_GIVEN, KanaStyle, given_names, render_kana, render_kanji};

/// The test-vector key: bytes 0x00, 0x01, …, 0x1f.
fn vector_key() -> Key {
    Key::from_bytes(std::array::from_fn(|i| i as u8))
}

const VECTOR_KEY_HEX: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("valid test date")
}

fn birth(s: &str) -> NaiveDate {
    normalize::birth_date(s).expect("valid test birth date")
}

// ---------------------------------------------------------------- normalization, end to end

#[test]
fn kana_writings_of_one_name_give_one_id2() {
    let k = vector_key().subkey(Purpose::Id2);
    let reference = id2(&k, "ヤマダ　タロウ", date(1971, 6, 29), 1);
    for writing in ["ﾔﾏﾀﾞ ﾀﾛｳ", "やまだたろう", "ヤマダ・タロウ", "ヤマダ　タロー", "ﾔﾏﾀﾞﾀﾛｳ"]
    {
        assert_eq!(id2(&k, writing, date(1971, 6, 29), 1), reference, "{writing}");
    }
    assert_eq!(normalize::kana_name("キヨウコ"), normalize::kana_name("キョウコ"));
    assert_eq!(
        id2(&k, "ワタナベ　キヨウコ", date(1948, 3, 15), 2),
        id2(&k, "ﾜﾀﾅﾍﾞ ｷｮｳｺ", date(1948, 3, 15), 2)
    );
}

#[test]
fn kanji_variants_fold() {
    assert_eq!(normalize::kanji_name("渡邊 花子"), normalize::kanji_name("渡辺花子"));
}

#[test]
fn padded_and_full_width_numbers_give_one_id1() {
    let k = vector_key().subkey(Purpose::Id1);
    let reference = id1(&k, "06139999", "12", "674", date(1971, 6, 29), 1);
    for number in ["00000674", "６７４", "000-674"] {
        assert_eq!(
            id1(&k, "06139999", "12", number, date(1971, 6, 29), 1),
            reference,
            "{number}"
        );
    }
    assert_eq!(normalize::insured_number("00000674"), "674");
    // A symbol is a code: its leading zeros matter.
    assert_ne!(
        id1(&k, "06139999", "0012", "674", date(1971, 6, 29), 1),
        id1(&k, "06139999", "12", "674", date(1971, 6, 29), 1)
    );
}

#[test]
fn era_and_gregorian_birth_dates_give_one_digest() {
    assert_eq!(birth("3460629"), birth("19710629"));
    let k = vector_key().subkey(Purpose::LtcId);
    assert_eq!(
        ltc_id(&k, "131016", "0000123456", birth("3460629"), 2),
        ltc_id(&k, "131016", "123456", birth("19710629"), 2)
    );
    assert!(matches!(
        normalize::birth_date("3460631"),
        Err(NormalizeError::BirthDate { .. })
    ));
}

#[test]
fn normalized_inputs_hash_like_raw_ones() {
    // Callers may normalize first (to store or compare) and hash later: same digest.
    let k = vector_key().subkey(Purpose::LinkId);
    let (insurer, symbol, number, branch) = ("０６１３９９９９ ", "愛知 １２", "00000674", "1");
    assert_eq!(
        link_id(&k, insurer, symbol, number, branch),
        link_id(
            &k,
            &normalize::insurer_number(insurer),
            &normalize::insured_symbol(symbol),
            &normalize::insured_number(number),
            &normalize::branch_number(branch)
        )
    );
}

/// Every kana style the synthetic population writes, for every name in it, normalizes to the
/// same string as the reference style: the defects synth makes are the ones undone here.
#[test]
fn every_synthetic_kana_style_of_every_name_normalizes_alike() {
    let mut checked = 0;
    for family in FAMILY_NAMES {
        for given in given_names(1).iter().chain(given_names(2)) {
            let reference = normalize::kana_name(&render_kana(family.kana, given.kana, KanaStyle::FullWidthSpaced));
            for style in KanaStyle::ALL {
                let written = render_kana(family.kana, given.kana, style);
                assert_eq!(normalize::kana_name(&written), reference, "{written} ({style:?})");
                checked += 1;
            }
        }
    }
    assert!(checked > 1000, "only {checked} names checked");
}

#[test]
fn every_synthetic_kanji_variant_normalizes_to_the_common_form() {
    let given = FEMALE_GIVEN[0].kanji;
    for family in FAMILY_NAMES {
        let reference = normalize::kanji_name(&render_kanji(family.kanji, given, false));
        for variant in family.kanji_variants {
            for spaced in [false, true] {
                let written = render_kanji(variant, given, spaced);
                assert_eq!(normalize::kanji_name(&written), reference, "{written}");
            }
        }
    }
}

// ---------------------------------------------------------------- keys and digests

#[test]
fn purposes_give_distinct_subkeys() {
    let key = vector_key();
    let digests: Vec<Digest> = Purpose::ALL
        .iter()
        .map(|&p| key.subkey(p).hash(&["same input"]))
        .collect();
    let project = key.project_subkey("P2026-0001").hash(&["same input"]);
    for (i, a) in digests.iter().chain([&project]).enumerate() {
        for b in digests.iter().chain([&project]).skip(i + 1) {
            assert_ne!(a, b);
        }
    }
    assert_ne!(
        key.project_subkey("P2026-0001").hash(&["x"]),
        key.project_subkey("P2026-0002").hash(&["x"])
    );
}

#[test]
fn same_key_and_input_give_the_same_digest_and_other_keys_do_not() {
    let first = Key::generate().expect("OS randomness");
    let second = Key::generate().expect("OS randomness");
    let hash = |key: &Key| id2(&key.subkey(Purpose::Id2), "ヤマダタロウ", date(1971, 6, 29), 1);
    assert_eq!(hash(&first), hash(&first));
    assert_ne!(hash(&first), hash(&second));
}

#[test]
fn field_encoding_is_unambiguous() {
    let k = vector_key().subkey(Purpose::Id1);
    assert_ne!(k.hash(&["ab", "c"]), k.hash(&["a", "bc"]));
    assert_ne!(k.hash(&["a"]), k.hash(&["a", ""]));
    assert_ne!(k.hash(&[]), k.hash(&[""]));
}

#[test]
fn digest_forms() {
    let digest = vector_key().subkey(Purpose::Person).hash(&["x"]);
    let hex = digest.to_hex();
    assert_eq!(hex.len(), 64);
    assert!(hex.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)));
    assert_eq!(digest.short_hex(), hex[..32]);
    assert_eq!(digest.to_string(), hex);
    assert_eq!(format!("{digest:?}"), hex);
}

// ---------------------------------------------------------------- the key never shows

/// Fails if `text` contains any 8-character run of `secret_hex` (case-insensitively): a
/// message quoting part of a key file is as bad as one quoting all of it.
fn assert_reveals_nothing_of(text: &str, secret_hex: &str) {
    let text = text.to_lowercase();
    for window in secret_hex.as_bytes().windows(8) {
        let window = std::str::from_utf8(window).expect("hex is ASCII");
        assert!(!text.contains(window), "{text:?} contains {window:?}");
    }
}

#[test]
fn debug_output_never_shows_key_material() {
    let key = vector_key();
    assert_eq!(format!("{key:?}"), "Key(<redacted>)");
    assert_eq!(format!("{:?}", key.subkey(Purpose::Id1)), "SubKey(<redacted>)");
    assert_eq!(format!("{:#?}", key.project_subkey("P2026-0001")), "SubKey(<redacted>)");
    assert_reveals_nothing_of(&format!("{key:?} {:?}", key.subkey(Purpose::Id2)), VECTOR_KEY_HEX);
}

fn write_file(path: &Path, content: &[u8], mode: u32) {
    let mut file = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .open(path)
        .expect("create test file");
    file.write_all(content).expect("write test file");
    // The process umask may have cleared bits the test needs (0644 under umask 077).
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).expect("chmod test file");
}

#[test]
fn errors_for_bad_key_files_never_show_key_material() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut uppercase = VECTOR_KEY_HEX.to_string();
    uppercase.replace_range(20..21, "A");
    let cases: [(&str, String, u32); 6] = [
        ("short", format!("{}\n", &VECTOR_KEY_HEX[..63]), 0o600),
        ("long", format!("{VECTOR_KEY_HEX}0\n"), 0o600),
        ("no-newline", VECTOR_KEY_HEX.to_string(), 0o600),
        ("uppercase", format!("{uppercase}\n"), 0o600),
        ("not-hex", format!("{}g\n", &VECTOR_KEY_HEX[..63]), 0o600),
        ("readable", format!("{VECTOR_KEY_HEX}\n"), 0o644),
    ];
    for (name, content, mode) in cases {
        let path = dir.path().join(name);
        write_file(&path, content.as_bytes(), mode);
        let error = Key::read_file(&path).expect_err(name);
        assert_reveals_nothing_of(&format!("{error} {error:?}"), VECTOR_KEY_HEX);
    }
}

// ---------------------------------------------------------------- key files

#[test]
fn created_key_file_is_private_and_never_overwritten() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("steward.key");
    let created = Key::create_file(&path).expect("create key file");
    let mode = fs::metadata(&path).expect("stat").permissions().mode() & 0o7777;
    assert_eq!(mode, 0o600, "mode {mode:o}");

    let content = fs::read(&path).expect("read key file");
    assert_eq!(content.len(), 65);
    assert_eq!(content.last(), Some(&b'\n'));
    assert!(
        content[..64]
            .iter()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(b))
    );
    let key_hex = std::str::from_utf8(&content[..64]).expect("hex is ASCII").to_string();
    assert_reveals_nothing_of(&format!("{created:?}"), &key_hex);

    let error = Key::create_file(&path).expect_err("second create must fail");
    assert!(matches!(&error, KeyError::Exists(p) if p == &path), "{error:?}");
    assert_reveals_nothing_of(&format!("{error} {error:?}"), &key_hex);
    assert_eq!(fs::read(&path).expect("read key file"), content, "key file changed");

    let read = Key::read_file(&path).expect("read key file back");
    let digest = |key: &Key| key.subkey(Purpose::Id1).hash(&["round trip"]);
    assert_eq!(digest(&read), digest(&created));
}

#[test]
fn read_file_accepts_the_documented_format() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("vector.key");
    write_file(&path, format!("{VECTOR_KEY_HEX}\n").as_bytes(), 0o600);
    let read = Key::read_file(&path).expect("well-formed key file");
    assert_eq!(
        read.subkey(Purpose::Id2).hash(&["x"]),
        vector_key().subkey(Purpose::Id2).hash(&["x"])
    );
}

#[test]
fn read_file_rejects_malformed_and_readable_files() {
    let dir = tempfile::tempdir().expect("temp dir");
    let read = |name: &str, content: String, mode: u32| {
        let path = dir.path().join(name);
        write_file(&path, content.as_bytes(), mode);
        Key::read_file(&path).expect_err(name)
    };

    let short = read("short", format!("{}\n", &VECTOR_KEY_HEX[..63]), 0o600);
    assert!(
        matches!(&short, KeyError::Format { reason, .. } if reason.starts_with("63 bytes before the newline")),
        "{short}"
    );
    let not_hex = read("not-hex", format!("{}z\n", &VECTOR_KEY_HEX[..63]), 0o600);
    assert!(
        matches!(&not_hex, KeyError::Format { reason, .. } if reason.starts_with("byte 64 is not a lowercase hex digit")),
        "{not_hex}"
    );
    let readable = read("readable", format!("{VECTOR_KEY_HEX}\n"), 0o644);
    assert!(
        matches!(readable, KeyError::Permissions { mode: 0o644, .. }),
        "{readable}"
    );
    assert!(readable.to_string().contains("chmod 600"), "{readable}");
    let group = read("group", format!("{VECTOR_KEY_HEX}\n"), 0o640);
    assert!(matches!(group, KeyError::Permissions { mode: 0o640, .. }), "{group}");

    let missing = Key::read_file(&dir.path().join("missing")).expect_err("missing file");
    assert!(matches!(missing, KeyError::Io { .. }), "{missing}");
}

// ---------------------------------------------------------------- published test vectors

/// The vectors of docs/pseudonymization.md, under the key 00 01 … 1f. The same values are
/// recomputed independently by crates/pseudonymize/scripts/crosscheck_vectors.py with
/// Python's `blake3` package.
#[test]
fn published_test_vectors() {
    let key = vector_key();
    let vectors: [(&str, Digest, &str); 9] = [
        (
            "1 id1",
            id1(
                &key.subkey(Purpose::Id1),
                "06139999",
                "愛知 12",
                "00000674",
                date(1971, 6, 29),
                1,
            ),
            "bf25be2eba716504cfe85980771947460917006c2bd8a33e56e66bd7e77855d9",
        ),
        (
            "2 id2",
            id2(&key.subkey(Purpose::Id2), "ﾔﾏﾀﾞ ﾀﾛｳ", date(1971, 6, 29), 1),
            "e5b686c515a147e1d11776a56bcc3e805da6f4b665eb329172f64c50ae571ecb",
        ),
        (
            "3 id2",
            id2(&key.subkey(Purpose::Id2), "ワタナベ　キョウコ", birth("3230315"), 2),
            "de3b0bd90812bea6b8d3b826f1b5ec4b3e558f2373795a3a1ac890dacf28f732",
        ),
        (
            "4 link_id",
            link_id(&key.subkey(Purpose::LinkId), "06139999", "愛知 12", "674", "1"),
            "381a37f9f24befec223739768c9979e0381a9cfcda05173c6ba7783f3476ecdf",
        ),
        (
            "5 ltc_id",
            ltc_id(
                &key.subkey(Purpose::LtcId),
                "131016",
                "0000123456",
                date(1940, 2, 11),
                2,
            ),
            "2d9bf88aaa78b8b182c03cc84613e0b0f89de7b9cf302af603a1d7597f941477",
        ),
        (
            "6 person",
            key.subkey(Purpose::Person).hash(&[
                "person",
                "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff",
            ]),
            "92b0434e0079b75680bded0d34427a613e8809269f7a64578062f092518f5911",
        ),
        (
            "7 project",
            key.project_subkey("P2026-0001")
                .hash(&["00112233445566778899aabbccddeeff"]),
            "2c95ae40252ec4f10e55db4573a368eea500f701eabfae4e7a9d93490f58c891",
        ),
        (
            "8 encoding",
            key.subkey(Purpose::Id1).hash(&["ab", "c"]),
            "542fd0dd81975439854831a5c8197bbed44517d3de5fd1519ca99c4a4f1cd0f4",
        ),
        (
            "9 encoding",
            key.subkey(Purpose::Id1).hash(&["a", "bc"]),
            "a4c9cb94ec4fadf9e7cc1835ba4e275637d8044a2d8f5ab954a2a7548da3de3f",
        ),
    ];
    let mismatches: Vec<String> = vectors
        .iter()
        .filter(|(_, digest, expected)| digest.to_hex() != *expected)
        .map(|(label, digest, expected)| format!("vector {label}: got {digest}, published {expected}"))
        .collect();
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}
