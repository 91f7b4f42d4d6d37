//! Normalization of identifiers and keyed BLAKE3 hashing under a steward-held key; key files.
