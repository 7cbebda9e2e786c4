//! US social security numbers, with the number ranges never issued left out.

use std::sync::LazyLock;

use regex::Regex;

use super::scan::{NUMBER_JOINERS, left_clear, right_clear, scan_regex};

static SSN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?-u:\b)[0-9]{3}(?:-[0-9]{2}-|\x20[0-9]{2}\x20)[0-9]{4}(?-u:\b)")
        .expect("SSN pattern compiles")
});

pub(super) fn ssns(text: &str) -> Vec<(usize, usize)> {
    scan_regex(&SSN, text, |start, end| {
        let s = &text.as_bytes()[start..end];
        let num = |r: std::ops::Range<usize>| {
            s[r].iter()
                .fold(0u32, |acc, d| acc * 10 + u32::from(d - b'0'))
        };
        let (area, group, serial) = (num(0..3), num(4..6), num(7..11));
        let ok = area != 0
            && area != 666
            && area < 900
            && group != 0
            && serial != 0
            && left_clear(text, start, NUMBER_JOINERS)
            && right_clear(text, end, NUMBER_JOINERS);
        ok.then_some((start, end))
    })
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{assert_found, found};

    #[test]
    fn ssns_with_valid_ranges() {
        for ssn in ["123-45-6789", "078 05 1120", "899-99-9999"] {
            assert_found("SSN", ssn);
        }
        for text in [
            "000-12-3456",
            "666-12-3456",
            "900-12-3456",
            "123-00-4567",
            "123-45-0000",
            "123-45 6789",
            "1123-45-6789",
            "123-45-67890",
            "123-45-6789-1",
        ] {
            let ssns: Vec<_> = found(text)
                .into_iter()
                .filter(|(k, _)| k == "SSN")
                .collect();
            assert_eq!(ssns, vec![], "no SSN in {text:?}");
        }
    }
}
