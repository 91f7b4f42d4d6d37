//! Deterministic random streams.
//!
//! Every stream is ChaCha8 keyed by (seed, purpose, index…), so a person's life does not
//! depend on how many persons came before or on thread scheduling, and the same seed
//! gives the same bytes on any machine. Sampling uses only integer and basic float
//! arithmetic (no `ln`/`exp`), whose results IEEE 754 fixes exactly on every platform.

use rand_chacha::ChaCha8Rng;
use rand_core::{RngCore, SeedableRng};

/// What a stream is for; part of its key so that streams never overlap.
#[derive(Clone, Copy, Debug)]
#[repr(u64)]
pub enum Purpose {
    Person = 1,
    Facilities = 2,
    Geography = 3,
    Defects = 4,
    Providers = 5,
    Insurers = 6,
}

pub struct Stream(ChaCha8Rng);

impl Stream {
    pub fn new(seed: u64, purpose: Purpose, a: u64, b: u64) -> Stream {
        let mut key = [0u8; 32];
        key[..8].copy_from_slice(&seed.to_le_bytes());
        key[8..16].copy_from_slice(&(purpose as u64).to_le_bytes());
        key[16..24].copy_from_slice(&a.to_le_bytes());
        key[24..].copy_from_slice(&b.to_le_bytes());
        Stream(ChaCha8Rng::from_seed(key))
    }

    /// Uniform in [0, 1) with 53 random bits.
    pub fn unit(&mut self) -> f64 {
        (self.0.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform integer in [0, n). `n` must be positive.
    pub fn below(&mut self, n: u64) -> u64 {
        debug_assert!(n > 0);
        ((u128::from(self.0.next_u64()) * u128::from(n)) >> 64) as u64
    }

    /// Uniform integer in [lo, hi].
    pub fn between(&mut self, lo: u32, hi: u32) -> u32 {
        lo + self.below(u64::from(hi - lo + 1)) as u32
    }

    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    /// Index drawn with probability proportional to `weights`.
    pub fn weighted(&mut self, weights: &[f64]) -> usize {
        let total: f64 = weights.iter().sum();
        let mut x = self.unit() * total;
        for (i, w) in weights.iter().enumerate() {
            if x < *w {
                return i;
            }
            x -= w;
        }
        weights.len() - 1
    }

    /// A right-skewed positive integer with the given median, spread by `spread` (≥ 1):
    /// the median multiplied or divided by up to `spread`, the upper tail twice as long.
    /// Used for lengths of stay and units, whose real distributions are log-normal-like.
    pub fn skewed(&mut self, median: f64, spread: f64) -> f64 {
        // Irwin–Hall(3) centred: roughly normal on [-1.5, 1.5].
        let z = self.unit() + self.unit() + self.unit() - 1.5;
        let factor = if z >= 0.0 {
            1.0 + z * 2.0 * (spread - 1.0) / 1.5
        } else {
            1.0 / (1.0 - z * (spread - 1.0) / 1.5)
        };
        median * factor
    }
}

/// SplitMix64 finaliser over three words: a stable, cheap hash for per-pair choices
/// (a facility's way of writing a person's name, a person's karte number) that must not
/// consume a stream's randomness.
pub fn mix(a: u64, b: u64, c: u64) -> u64 {
    let mut z = a
        .wrapping_mul(0x9E37_79B9_7F4A_7C15)
        .wrapping_add(b.rotate_left(21))
        .wrapping_add(c.rotate_left(42) ^ 0xD1B5_4A32_D192_ED03);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// FNV-1a over a string, to key streams by file path.
pub fn hash_str(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    })
}
