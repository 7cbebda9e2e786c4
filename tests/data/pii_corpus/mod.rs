//! Detection quality: a deterministic corpus of documents with known personal data in varied
//! contexts, PII-free documents full of look-alikes (dates, versions, ids, amounts, hashes, ...),
//! and [`quality::evaluate`], which measures recall on the first and false positives on the
//! second.
//!
//! Everything is generated from a seed with a small built-in PRNG (SplitMix64), so a report is
//! reproducible and a failure can be replayed.
//!
//! The parts: `values.rs` the personal data of each kind, `lookalikes.rs` what only looks like
//! it, `documents.rs` documents of both with the truth of where the personal data is, and
//! `quality.rs` the measure.
//!
//! Test data, not part of the library: the privacy unit tests (`src/privacy/mod.rs`) and the
//! privacy benchmark include it with `#[path]`. It names the library as `crate::privacy`, which
//! is the library itself in its unit tests and a `use skillet::privacy;` at the benchmark's root.

pub mod documents;
mod lookalikes;
pub mod quality;
mod values;

use crate::privacy::detect::Kind;

/// SplitMix64: small, fast, and good enough for test data.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `lo..=hi` (`lo` when the range is empty).
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        if hi <= lo {
            return lo;
        }
        lo + self.next_u64() % (hi - lo + 1)
    }

    /// True with probability `percent`/100.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.range(0, 99) < percent
    }

    /// One of `items` (which must not be empty: only used with constant tables).
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        let i = self.range(0, items.len().saturating_sub(1) as u64) as usize;
        &items[i]
    }

    /// `n` random decimal digits.
    fn digits(&mut self, n: usize) -> String {
        (0..n)
            .map(|_| char::from(b'0' + self.range(0, 9) as u8))
            .collect()
    }

    /// `n` random lowercase hex digits.
    fn hex(&mut self, n: usize) -> String {
        const HEX: &[u8] = b"0123456789abcdef";
        (0..n).map(|_| char::from(*self.pick(HEX))).collect()
    }
}

/// The kinds [`Generator::sample`] produces.
pub const SAMPLE_KINDS: &[Kind] = &[
    Kind::Email,
    Kind::Phone,
    Kind::Card,
    Kind::Iban,
    Kind::Ssn,
    Kind::Ip,
];

/// Generates personal data, PII-free look-alikes, and documents of both.
#[derive(Debug, Clone)]
pub struct Generator {
    rng: Rng,
}

impl Generator {
    pub fn new(seed: u64) -> Self {
        Generator {
            rng: Rng::new(seed),
        }
    }

    // --- personal data -------------------------------------------------------------------

    /// A sample of a random kind from [`SAMPLE_KINDS`].
    pub fn sample(&mut self) -> (Kind, String) {
        let kind = self.rng.pick(SAMPLE_KINDS).clone();
        let value = self.sample_of(&kind);
        (kind, value)
    }

    /// A sample of `kind` (an empty string for kinds that are not generated).
    pub fn sample_of(&mut self, kind: &Kind) -> String {
        match kind {
            Kind::Email => self.email(),
            Kind::Phone => self.phone(),
            Kind::Card => self.card(),
            Kind::Iban => self.iban(),
            Kind::Ssn => self.ssn(),
            Kind::Ip => self.ip(),
            Kind::Name | Kind::Custom(_) => String::new(),
        }
    }
}

fn capitalize(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rng_ranges() {
        let mut r = Rng::new(0);
        for _ in 0..1000 {
            assert!((3..=5).contains(&r.range(3, 5)));
        }
        assert_eq!(r.range(5, 5), 5);
        assert_eq!(r.range(6, 5), 6);
    }
}
