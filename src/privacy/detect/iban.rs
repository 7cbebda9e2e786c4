//! IBANs: the country's length and the ISO 13616 mod-97 checksum.

use std::sync::LazyLock;

use regex::Regex;

use super::scan::{left_clear, right_clear, scan_regex};

static IBAN: LazyLock<Regex> = LazyLock::new(|| {
    // ASCII word boundaries keep the regex on its fast engines; Unicode ones are checked after.
    Regex::new(r"(?-u:\b)[A-Za-z]{2}[0-9]{2}(?: ?[A-Za-z0-9]){11,32}")
        .expect("IBAN pattern compiles")
});

/// IBAN lengths by country (SWIFT IBAN registry).
const IBAN_LENGTHS: &[(&str, usize)] = &[
    ("AD", 24),
    ("AE", 23),
    ("AL", 28),
    ("AT", 20),
    ("AZ", 28),
    ("BA", 20),
    ("BE", 16),
    ("BG", 22),
    ("BH", 22),
    ("BR", 29),
    ("BY", 28),
    ("CH", 21),
    ("CR", 22),
    ("CY", 28),
    ("CZ", 24),
    ("DE", 22),
    ("DK", 18),
    ("DO", 28),
    ("EE", 20),
    ("EG", 29),
    ("ES", 24),
    ("FI", 18),
    ("FO", 18),
    ("FR", 27),
    ("GB", 22),
    ("GE", 22),
    ("GI", 23),
    ("GL", 18),
    ("GR", 27),
    ("GT", 28),
    ("HR", 21),
    ("HU", 28),
    ("IE", 22),
    ("IL", 23),
    ("IQ", 23),
    ("IS", 26),
    ("IT", 27),
    ("JO", 30),
    ("KW", 30),
    ("KZ", 20),
    ("LB", 28),
    ("LC", 32),
    ("LI", 21),
    ("LT", 20),
    ("LU", 20),
    ("LV", 21),
    ("MC", 27),
    ("MD", 24),
    ("ME", 22),
    ("MK", 19),
    ("MR", 27),
    ("MT", 31),
    ("MU", 30),
    ("NL", 18),
    ("NO", 15),
    ("PK", 24),
    ("PL", 28),
    ("PS", 29),
    ("PT", 25),
    ("QA", 29),
    ("RO", 24),
    ("RS", 22),
    ("SA", 24),
    ("SC", 31),
    ("SE", 24),
    ("SI", 19),
    ("SK", 24),
    ("SM", 27),
    ("TL", 23),
    ("TN", 24),
    ("TR", 26),
    ("UA", 29),
    ("VA", 22),
    ("VG", 24),
    ("XK", 20),
];

pub(super) fn ibans(text: &str) -> Vec<(usize, usize)> {
    scan_regex(&IBAN, text, |start, end| {
        if left_clear(text, start, &[]) {
            iban_in(text, start, end)
        } else {
            None
        }
    })
}

/// The IBAN at the start of candidate `text[start..end]`: the candidate may run on past the
/// IBAN (`... 0130 00 EUR`), so it is cut at the country's length (or, for a country not in
/// the table, at the longest length from 34 down to 15 that checks out).
fn iban_in(text: &str, start: usize, end: usize) -> Option<(usize, usize)> {
    let candidate = &text[start..end];
    // Offsets (in `candidate`) just after each non-space character.
    let ends: Vec<usize> = candidate
        .char_indices()
        .filter(|(_, c)| *c != ' ')
        .map(|(i, c)| i + c.len_utf8())
        .collect();
    let compact: Vec<u8> = candidate
        .bytes()
        .filter(|b| *b != b' ')
        .map(|b| b.to_ascii_uppercase())
        .collect();
    let lower = candidate.bytes().any(|b| b.is_ascii_lowercase());
    let lengths: Vec<usize> = match (iban_length(&candidate[..2].to_ascii_uppercase()), lower) {
        (Some(len), _) => vec![len],
        // Lowercase is accepted only for known countries: `ab12...` may well be a hash.
        (None, true) => return None,
        (None, false) => (15..=34).rev().collect(),
    };
    lengths.into_iter().find_map(|len| {
        let cut = *ends.get(len.checked_sub(1)?)?;
        let piece = &candidate[..cut];
        // Either no spaces, or one after every 4 characters.
        let groups: Vec<&str> = piece.split(' ').collect();
        let last = groups.len() - 1;
        let grouping_ok = groups.len() == 1
            || (groups.len() == len.div_ceil(4)
                && groups.iter().enumerate().all(|(i, g)| {
                    if i == last {
                        (1..=4).contains(&g.len())
                    } else {
                        g.len() == 4
                    }
                }));
        // One case throughout.
        let letters = piece.bytes().filter(u8::is_ascii_alphabetic);
        let one_case = letters.clone().all(|b| b.is_ascii_uppercase())
            || letters.clone().all(|b| b.is_ascii_lowercase());
        let ok = grouping_ok
            && one_case
            && right_clear(text, start + cut, &[])
            && iban_checksum_valid(&compact[..len]);
        ok.then_some((start, start + cut))
    })
}

/// The length of an IBAN from `country`, if the country is in the table.
pub fn iban_length(country: &str) -> Option<usize> {
    IBAN_LENGTHS
        .iter()
        .find(|(cc, _)| *cc == country)
        .map(|&(_, len)| len)
}

/// ISO 13616 mod-97 check over a compact, uppercase IBAN.
pub fn iban_checksum_valid(iban: &[u8]) -> bool {
    iban_remainder(iban) == Some(1)
}

/// The mod-97 remainder of the IBAN with its first four characters moved to the end.
pub fn iban_remainder(iban: &[u8]) -> Option<u32> {
    if iban.len() < 5 {
        return None;
    }
    let mut rem: u32 = 0;
    for &c in iban[4..].iter().chain(&iban[..4]) {
        rem = match c {
            b'0'..=b'9' => (rem * 10 + u32::from(c - b'0')) % 97,
            b'A'..=b'Z' => (rem * 100 + u32::from(c - b'A') + 10) % 97,
            _ => return None,
        };
    }
    Some(rem)
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{assert_found, found};

    #[test]
    fn ibans_with_checksum_and_length() {
        for iban in [
            "DE89370400440532013000",
            "DE89 3704 0044 0532 0130 00",
            "GB29 NWBK 6016 1331 9268 19",
            "GB29NWBK60161331926819",
            "FR14 2004 1010 0505 0001 3M02 606",
            "NL91ABNA0417164300",
            "CH93 0076 2011 6238 5295 7",
            "BE68 5390 0754 7034",
            "NO9386011117947",
            "IT60X0542811101000000123456",
            "de89 3704 0044 0532 0130 00",
            "gb29nwbk60161331926819",
        ] {
            assert_found("IBAN", iban);
        }
        assert_eq!(
            found("IBAN DE89 3704 0044 0532 0130 00 EUR 12"),
            vec![("IBAN".into(), "DE89 3704 0044 0532 0130 00")]
        );
    }

    #[test]
    fn iban_negatives() {
        for text in [
            "DE88370400440532013000",     // checksum
            "DE89 3704 0044 0532 0130 0", // too short for DE
            "DE8937040044053201300012",   // too long for DE
            "DE89 37040044 0532 0130 00", // grouping
            "XDE89370400440532013000",
            "De89370400440532013000", // mixed case
            "ab89370400440532013000", // lowercase needs a known country
        ] {
            let ibans: Vec<_> = found(text)
                .into_iter()
                .filter(|(k, _)| k == "IBAN")
                .collect();
            assert_eq!(ibans, vec![], "no IBAN in {text:?}");
        }
    }
}
