#!/usr/bin/env python3
"""Recomputes the published test vectors of docs/pseudonymization.md without Renkei's code.

An independent implementation of the digest definition with Python's `blake3` package
(pip install blake3): sub-key = derive_key(context, key [+ project id]), digest = keyed hash
of the fields, each field as its UTF-8 length (u64 little endian) then its bytes. The fields
are given here already normalized, so this checks key derivation and field encoding; the
normalization rules are checked by the Rust tests. Exits non-zero on any mismatch.
"""

import struct
import sys

from blake3 import blake3

KEY = bytes(range(32))
CONTEXTS = {
    "id1": "renkei 2026-11 pseudonymize id1 v1",
    "id2": "renkei 2026-11 pseudonymize id2 v1",
    "link-id": "renkei 2026-11 pseudonymize link-id v1",
    "ltc-id": "renkei 2026-11 pseudonymize ltc-id v1",
    "person": "renkei 2026-11 pseudonymize person v1",
}
PROJECT_CONTEXT = "renkei 2026-11 pseudonymize project v1"
MEMBER = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"

# (label, purpose or ("project", id), normalized fields, published digest)
VECTORS = [
    ("1 id1", "id1", ["06139999", "愛知12", "674", "1971-06-29", "1"],
     "bf25be2eba716504cfe85980771947460917006c2bd8a33e56e66bd7e77855d9"),
    ("2 id2", "id2", ["ヤマダタロ", "1971-06-29", "1"],
     "e5b686c515a147e1d11776a56bcc3e805da6f4b665eb329172f64c50ae571ecb"),
    ("3 id2", "id2", ["ワタナベキヨコ", "1948-03-15", "2"],
     "de3b0bd90812bea6b8d3b826f1b5ec4b3e558f2373795a3a1ac890dacf28f732"),
    ("4 link_id", "link-id", ["06139999", "愛知12", "674", "01"],
     "381a37f9f24befec223739768c9979e0381a9cfcda05173c6ba7783f3476ecdf"),
    ("5 ltc_id", "ltc-id", ["131016", "123456", "1940-02-11", "2"],
     "2d9bf88aaa78b8b182c03cc84613e0b0f89de7b9cf302af603a1d7597f941477"),
    ("6 person", "person", ["person", MEMBER],
     "92b0434e0079b75680bded0d34427a613e8809269f7a64578062f092518f5911"),
    ("7 project", ("project", "P2026-0001"), ["00112233445566778899aabbccddeeff"],
     "2c95ae40252ec4f10e55db4573a368eea500f701eabfae4e7a9d93490f58c891"),
    ("8 encoding", "id1", ["ab", "c"],
     "542fd0dd81975439854831a5c8197bbed44517d3de5fd1519ca99c4a4f1cd0f4"),
    ("9 encoding", "id1", ["a", "bc"],
     "a4c9cb94ec4fadf9e7cc1835ba4e275637d8044a2d8f5ab954a2a7548da3de3f"),
]


def subkey(purpose):
    if isinstance(purpose, tuple):
        _, project = purpose
        return blake3(KEY + project.encode("utf-8"), derive_key_context=PROJECT_CONTEXT).digest()
    return blake3(KEY, derive_key_context=CONTEXTS[purpose]).digest()


def encode(fields):
    out = b""
    for field in fields:
        data = field.encode("utf-8")
        out += struct.pack("<Q", len(data)) + data
    return out


def main():
    failures = 0
    for label, purpose, fields, published in VECTORS:
        computed = blake3(encode(fields), key=subkey(purpose)).hexdigest()
        status = "ok" if computed == published else "MISMATCH"
        failures += computed != published
        print(f"vector {label}: {computed} {status}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
