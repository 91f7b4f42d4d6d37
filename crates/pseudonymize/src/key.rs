//! The data steward's master key, the sub-keys derived from it, and the keyed hash they make.
//!
//! Nothing is hashed under the master key itself. Each purpose (ID1-like, ID2-like, link ID,
//! 介護 ID, person ID) gets its own sub-key from BLAKE3's key derivation with a fixed context
//! string, so digests made for one purpose cannot be compared with digests made for another,
//! and an extract re-keyed for one project cannot be joined to another project's extract.
//!
//! Key material never leaves this module in readable form: `Key` and `SubKey` print as
//! `<redacted>`, are zeroized when dropped, and no error message carries a key byte.

use std::fmt;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use zeroize::{Zeroize, Zeroizing};

/// Bytes in the master key, in every sub-key and in a digest (BLAKE3's native width).
const KEY_LEN: usize = 32;
/// A key file: two lowercase hex digits per key byte and one newline.
const KEY_FILE_LEN: usize = 2 * KEY_LEN + 1;
/// Mode a key file is created with: read and write for the owner only.
const KEY_FILE_MODE: u32 = 0o600;
/// Permission bits that let anyone but the owner at a key file.
const GROUP_OR_OTHER_BITS: u32 = 0o077;
const LOWERCASE_HEX_DIGITS: &[u8; 16] = b"0123456789abcdef";

/// The 256-bit master key held by the data steward.
///
/// It is deliberately neither `Clone`, `Display` nor serializable: there is one copy in memory,
/// zeroized on drop, and the only way to persist it is [`Key::create_file`].
pub struct Key {
    bytes: [u8; KEY_LEN],
}

impl Key {
    /// Context string for per-project re-keying (see [`Key::project_subkey`]).
    pub const PROJECT_CONTEXT: &'static str = "renkei 2026-11 pseudonymize project v1";

    /// A fresh key from the operating system's random number generator.
    pub fn generate() -> Result<Key, KeyError> {
        let mut key = Key { bytes: [0; KEY_LEN] };
        getrandom::fill(&mut key.bytes).map_err(|error| KeyError::Random(error.to_string()))?;
        Ok(key)
    }

    /// A key with the given bytes; for test vectors and tests, never for production data.
    pub fn from_bytes(bytes: [u8; KEY_LEN]) -> Key {
        Key { bytes }
    }

    /// Generates a key and writes it to `path` as 64 lowercase hex digits and a newline.
    ///
    /// The file is created with mode 0600 in the same system call that creates it, so there is
    /// no moment at which another user could open it. An existing file is never overwritten
    /// ([`KeyError::Exists`]): replacing the master key would orphan every digest made under it.
    pub fn create_file(path: &Path) -> Result<Key, KeyError> {
        let key = Key::generate()?;
        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(KEY_FILE_MODE)
            .open(path)
            .map_err(|source| match source.kind() {
                io::ErrorKind::AlreadyExists => KeyError::Exists(path.to_path_buf()),
                _ => KeyError::Io {
                    path: path.to_path_buf(),
                    source,
                },
            })?;
        let text = key.file_text();
        if let Err(source) = file.write_all(&text[..]).and_then(|()| file.sync_all()) {
            drop(file);
            // The file is ours (create_new) and holds at most part of a key; leaving it would
            // make the next attempt fail with `Exists`. The write error is the one to report.
            let _ = fs::remove_file(path);
            return Err(KeyError::Io {
                path: path.to_path_buf(),
                source,
            });
        }
        Ok(key)
    }

    /// Reads a key file written by [`Key::create_file`].
    ///
    /// Refuses, like ssh does for private keys, a file that its group or other users may read
    /// ([`KeyError::Permissions`]): the key would already be exposed, and loading it silently
    /// would hide that. The fix is `chmod 600`, after which the steward decides whether to
    /// rotate the key.
    pub fn read_file(path: &Path) -> Result<Key, KeyError> {
        let io_error = |source| KeyError::Io {
            path: path.to_path_buf(),
            source,
        };
        // Permissions are checked on the opened file, not on the path, so that the file read
        // is the file checked.
        let mut file = File::open(path).map_err(io_error)?;
        let mode = file.metadata().map_err(io_error)?.permissions().mode() & 0o7777;
        if mode & GROUP_OR_OTHER_BITS != 0 {
            return Err(KeyError::Permissions {
                path: path.to_path_buf(),
                mode,
            });
        }
        // One byte more than a key file holds, to tell "too long" from "exactly right"; a fixed
        // buffer (not a growing Vec) so that no reallocation leaves a copy of the key behind.
        let mut text = Zeroizing::new([0u8; KEY_FILE_LEN + 1]);
        let length = read_up_to(&mut file, &mut text[..]).map_err(io_error)?;
        let bytes = parse_key_text(&text[..length]).map_err(|reason| KeyError::Format {
            path: path.to_path_buf(),
            reason,
        })?;
        Ok(Key::from_bytes(*bytes))
    }

    /// The sub-key for one purpose: BLAKE3 `derive_key(purpose.context(), key)`.
    pub fn subkey(&self, purpose: Purpose) -> SubKey {
        self.derive(purpose.context(), b"")
    }

    /// The sub-key for one project's extract: BLAKE3 `derive_key(PROJECT_CONTEXT, key ‖ project)`.
    ///
    /// Person IDs in an extract are re-hashed under this sub-key, so two projects' extracts
    /// share no identifier and cannot be joined, while the NDB and 介護DB extracts of one
    /// project (same project id) still can. The key has a fixed length, so `key ‖ project` is
    /// unambiguous without a separator.
    pub fn project_subkey(&self, project: &str) -> SubKey {
        self.derive(Self::PROJECT_CONTEXT, project.as_bytes())
    }

    /// `derive_key(context, key ‖ suffix)`, streamed so that no buffer holds a copy of the key,
    /// and with the hasher's state (which holds the key) zeroized afterwards.
    fn derive(&self, context: &str, suffix: &[u8]) -> SubKey {
        let mut hasher = blake3::Hasher::new_derive_key(context);
        hasher.update(&self.bytes);
        hasher.update(suffix);
        let subkey = SubKey {
            bytes: *hasher.finalize().as_bytes(),
        };
        hasher.zeroize();
        subkey
    }

    /// The key file's content, in a buffer that is zeroized when dropped.
    fn file_text(&self) -> Zeroizing<[u8; KEY_FILE_LEN]> {
        let mut text = Zeroizing::new([b'\n'; KEY_FILE_LEN]);
        for (pair, byte) in text.chunks_exact_mut(2).zip(self.bytes) {
            pair[0] = LOWERCASE_HEX_DIGITS[usize::from(byte >> 4)];
            pair[1] = LOWERCASE_HEX_DIGITS[usize::from(byte & 0x0f)];
        }
        text
    }
}

impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Key(<redacted>)")
    }
}

impl Drop for Key {
    fn drop(&mut self) {
        self.bytes.zeroize();
    }
}

/// Reads until `buffer` is full or the reader is exhausted; returns the number of bytes read.
fn read_up_to(reader: &mut impl Read, buffer: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buffer.len() {
        match reader.read(&mut buffer[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
            Err(error) => return Err(error),
        }
    }
    Ok(filled)
}

/// Checks and decodes a key file's content. The reasons name lengths and positions only,
/// never a character of the file, because every character of a key file is key material.
fn parse_key_text(text: &[u8]) -> Result<Zeroizing<[u8; KEY_LEN]>, String> {
    const EXPECTED: &str = "a key file holds exactly 64 lowercase hex digits and a newline";
    if text.len() > KEY_FILE_LEN {
        return Err(format!("longer than {KEY_FILE_LEN} bytes; {EXPECTED}"));
    }
    let Some(digits) = text.strip_suffix(b"\n") else {
        return Err(format!("does not end with a newline; {EXPECTED}"));
    };
    if digits.len() != 2 * KEY_LEN {
        return Err(format!("{} bytes before the newline; {EXPECTED}", digits.len()));
    }
    let mut bytes = Zeroizing::new([0u8; KEY_LEN]);
    for (index, (byte, pair)) in bytes.iter_mut().zip(digits.chunks_exact(2)).enumerate() {
        let nibble = |offset: usize| {
            lowercase_hex_value(pair[offset]).ok_or_else(|| {
                format!(
                    "byte {} is not a lowercase hex digit (0-9, a-f); {EXPECTED}",
                    2 * index + offset + 1
                )
            })
        };
        *byte = (nibble(0)? << 4) | nibble(1)?;
    }
    Ok(bytes)
}

fn lowercase_hex_value(digit: u8) -> Option<u8> {
    match digit {
        b'0'..=b'9' => Some(digit - b'0'),
        b'a'..=b'f' => Some(digit - b'a' + 10),
        _ => None,
    }
}

/// What a sub-key is for. Each purpose has its own context string, hence its own sub-key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Purpose {
    /// ID1-like: insurer number, card symbol and number, birth date, sex.
    Id1,
    /// ID2-like: kana name, birth date, sex.
    Id2,
    /// 個人単位被保険者番号: insurer number, card symbol and number, 2-digit branch number.
    LinkId,
    /// 介護 insured number, which is unique only within the insuring municipality.
    LtcId,
    /// Hashes a linked component (the records judged to be one person) into the `person_id`.
    Person,
}

impl Purpose {
    /// Every purpose, in declaration order.
    pub const ALL: [Purpose; 5] = [
        Purpose::Id1,
        Purpose::Id2,
        Purpose::LinkId,
        Purpose::LtcId,
        Purpose::Person,
    ];

    /// The BLAKE3 `derive_key` context string, in the form BLAKE3 recommends: application,
    /// the time the string was fixed, purpose. These strings are part of the digest
    /// definition: changing one (or any normalization rule) changes every digest of that
    /// purpose, so a change gets a new version suffix, never an edit in place.
    pub const fn context(self) -> &'static str {
        match self {
            Purpose::Id1 => "renkei 2026-11 pseudonymize id1 v1",
            Purpose::Id2 => "renkei 2026-11 pseudonymize id2 v1",
            Purpose::LinkId => "renkei 2026-11 pseudonymize link-id v1",
            Purpose::LtcId => "renkei 2026-11 pseudonymize ltc-id v1",
            Purpose::Person => "renkei 2026-11 pseudonymize person v1",
        }
    }
}

/// A 256-bit key for one purpose or project, derived from the master key.
///
/// Cloning is allowed so that parallel workers can each hold one; every clone is zeroized on
/// drop.
#[derive(Clone)]
pub struct SubKey {
    bytes: [u8; KEY_LEN],
}

impl SubKey {
    /// BLAKE3 `keyed_hash` of the fields, each encoded as its UTF-8 byte length (u64, little
    /// endian) followed by its bytes.
    ///
    /// The length prefix makes the encoding injective: without it ("ab", "c") and ("a", "bc")
    /// would hash alike, and a card symbol could be shifted into a card number.
    pub fn hash(&self, fields: &[&str]) -> Digest {
        let mut hasher = blake3::Hasher::new_keyed(&self.bytes);
        for field in fields {
            // usize is at most 64 bits on every platform Rust supports, so this never truncates.
            hasher.update(&(field.len() as u64).to_le_bytes());
            hasher.update(field.as_bytes());
        }
        let digest = Digest(*hasher.finalize().as_bytes());
        // The hasher holds the sub-key and the last block of identifiers.
        hasher.zeroize();
        digest
    }
}

impl fmt::Debug for SubKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SubKey(<redacted>)")
    }
}

impl Drop for SubKey {
    fn drop(&mut self) {
        self.bytes.zeroize();
    }
}

/// A keyed hash of one identifier tuple: a pseudonym.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Digest(pub [u8; KEY_LEN]);

impl Digest {
    /// All 32 bytes as 64 lowercase hex digits.
    pub fn to_hex(&self) -> String {
        lowercase_hex(&self.0)
    }

    /// The first 16 bytes as 32 lowercase hex digits: the form `person_id` takes. 128 bits
    /// keep the chance of any collision among 10⁸ persons below 10⁻²⁰.
    pub fn short_hex(&self) -> String {
        lowercase_hex(&self.0[..KEY_LEN / 2])
    }
}

fn lowercase_hex(bytes: &[u8]) -> String {
    let mut hex = String::with_capacity(2 * bytes.len());
    for &byte in bytes {
        hex.push(char::from(LOWERCASE_HEX_DIGITS[usize::from(byte >> 4)]));
        hex.push(char::from(LOWERCASE_HEX_DIGITS[usize::from(byte & 0x0f)]));
    }
    hex
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl fmt::Debug for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

/// Why a key could not be made, written or read. No variant carries key material.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("key file {} already exists; a key file is never overwritten", .0.display())]
    Exists(PathBuf),
    #[error("key file {}: {source}", path.display())]
    Io { path: PathBuf, source: io::Error },
    #[error("key file {} is malformed: {reason}", path.display())]
    Format { path: PathBuf, reason: String },
    /// `mode` holds the permission bits (`st_mode & 0o7777`).
    #[error(
        "WARNING: key file {} has mode {mode:04o}, so its group or other users can read it; \
         refusing to use it. Run `chmod 600` on it and consider generating a new key",
        path.display()
    )]
    Permissions { path: PathBuf, mode: u32 },
    #[error("cannot draw random bytes from the operating system: {0}")]
    Random(String),
}

#[cfg(test)]
mod tests {
    use super::*;

    fn test_key() -> Key {
        Key::from_bytes(std::array::from_fn(|i| i as u8))
    }

    #[test]
    fn subkey_is_blake3_derive_key_of_the_master_key() {
        let key = test_key();
        for purpose in Purpose::ALL {
            assert_eq!(
                key.subkey(purpose).bytes,
                blake3::derive_key(purpose.context(), &key.bytes)
            );
        }
    }

    #[test]
    fn project_subkey_is_derive_key_of_key_then_project() {
        let key = test_key();
        let mut material = key.bytes.to_vec();
        material.extend_from_slice("P2026-0001".as_bytes());
        assert_eq!(
            key.project_subkey("P2026-0001").bytes,
            blake3::derive_key(Key::PROJECT_CONTEXT, &material)
        );
    }

    #[test]
    fn hash_is_keyed_hash_of_length_prefixed_fields() {
        let subkey = test_key().subkey(Purpose::Id2);
        let mut encoded = Vec::new();
        for field in ["ヤマダタロ", "1971-06-29", "1"] {
            encoded.extend_from_slice(&(field.len() as u64).to_le_bytes());
            encoded.extend_from_slice(field.as_bytes());
        }
        assert_eq!(
            subkey.hash(&["ヤマダタロ", "1971-06-29", "1"]).0,
            *blake3::keyed_hash(&subkey.bytes, &encoded).as_bytes()
        );
    }

    #[test]
    fn file_text_round_trips_through_parse() {
        let key = test_key();
        let text = key.file_text();
        assert_eq!(
            &text[..],
            b"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n"
        );
        assert_eq!(*parse_key_text(&text[..]).expect("well-formed"), key.bytes);
    }

    #[test]
    fn parse_names_the_first_bad_position() {
        let mut text = test_key().file_text();
        text[10] = b'A';
        let reason = parse_key_text(&text[..]).expect_err("uppercase");
        assert!(reason.starts_with("byte 11 is not a lowercase hex digit"), "{reason}");
    }

    #[test]
    fn parse_rejects_missing_newline_and_extra_bytes() {
        let text = test_key().file_text();
        assert!(
            parse_key_text(&text[..KEY_FILE_LEN - 1])
                .expect_err("no newline")
                .contains("newline")
        );
        let mut longer = text.to_vec();
        longer.push(b'\n');
        assert!(
            parse_key_text(&longer)
                .expect_err("too long")
                .starts_with("longer than 65 bytes")
        );
        assert!(parse_key_text(b"").is_err());
    }

    #[test]
    fn digest_hex_forms() {
        let digest = Digest(std::array::from_fn(|i| (i as u8) * 8));
        assert_eq!(digest.to_hex().len(), 64);
        assert_eq!(digest.short_hex(), digest.to_hex()[..32]);
        assert!(digest.to_hex().starts_with("0008101820"));
        assert_eq!(format!("{digest}"), digest.to_hex());
        assert_eq!(format!("{digest:?}"), digest.to_hex());
    }
}
