//! Payment card numbers: Luhn-valid, with a known issuer prefix and length.

use super::scan::{NUMBER_JOINERS, left_clear, right_clear};

pub(super) fn cards(text: &str) -> Vec<(usize, usize)> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if !b[i].is_ascii_digit() {
            i += 1;
            continue;
        }
        // Every digit run is tried, also inside a match: see `scan_regex`.
        if left_clear(text, i, NUMBER_JOINERS)
            && let Some(end) = card_at(text, i)
        {
            out.push((i, end));
        }
        // A start inside this digit run would not be clear on the left.
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
    }
    out
}

/// The end of the card number that starts at `start`: digit groups joined by one kind of
/// separator (space or dash), the longest valid prefix of them.
fn card_at(text: &str, start: usize) -> Option<usize> {
    let b = text.as_bytes();
    // At most 6 groups, on the stack: this runs at every digit run of the text.
    let mut groups = [(0, 0); 6];
    let mut n = 0;
    let mut sep: Option<u8> = None;
    let mut p = start;
    while n < groups.len() {
        let s = p;
        while p < b.len() && b[p].is_ascii_digit() && p - s < 20 {
            p += 1;
        }
        groups[n] = (s, p);
        n += 1;
        match b.get(p) {
            Some(&c @ (b' ' | b'-'))
                if sep.is_none_or(|x| x == c) && b.get(p + 1).is_some_and(u8::is_ascii_digit) =>
            {
                sep = Some(c);
                p += 1;
            }
            _ => break,
        }
    }
    (1..=n).rev().find_map(|k| {
        let gs = &groups[..k];
        let end = gs[k - 1].1;
        let mut lens_buf = [0; 6];
        for (l, (s, e)) in lens_buf.iter_mut().zip(gs) {
            *l = e - s;
        }
        let lens = &lens_buf[..k];
        let total: usize = lens.iter().sum();
        let grouping_ok = k == 1
            || (lens[..k - 1].iter().all(|&l| l == 4) && (1..=4).contains(&lens[k - 1]))
            || lens == [4, 6, 5]
            || lens == [4, 6, 4];
        if !(13..=19).contains(&total) || !grouping_ok || !right_clear(text, end, NUMBER_JOINERS) {
            return None;
        }
        let mut digits = [0u8; 19];
        for (d, &c) in digits
            .iter_mut()
            .zip(gs.iter().flat_map(|&(s, e)| &b[s..e]))
        {
            *d = c - b'0';
        }
        let digits = &digits[..total];
        (luhn_valid(digits) && known_issuer(digits)).then_some(end)
    })
}

/// The Luhn checksum over digit values (0–9).
pub fn luhn_valid(digits: &[u8]) -> bool {
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| {
            let d = u32::from(d);
            if i % 2 == 1 {
                let x = d * 2;
                if x > 9 { x - 9 } else { x }
            } else {
                d
            }
        })
        .sum();
    !digits.is_empty() && sum.is_multiple_of(10)
}

/// Whether the number starts with an issuer prefix (IIN) of a major network and has a length
/// that network issues. Lengths are the ones in use (16 and 19 mostly, Amex 15, Diners 14), not
/// every length a network reserves: 17- and 18-digit ids are then never card numbers.
fn known_issuer(digits: &[u8]) -> bool {
    let len = digits.len();
    let prefix = |n: usize| -> u32 {
        digits
            .iter()
            .take(n)
            .fold(0, |acc, &d| acc * 10 + u32::from(d))
    };
    let (p1, p2, p3, p4, p6) = (prefix(1), prefix(2), prefix(3), prefix(4), prefix(6));
    let long = matches!(len, 16 | 19);
    // Visa's 13-digit numbers are long retired, and EAN-13 barcodes starting with 4 (Germany)
    // pass Luhn one time in ten.
    let visa = p1 == 4 && long;
    let mastercard = ((51..=55).contains(&p2) || (2221..=2720).contains(&p4)) && len == 16;
    let amex = matches!(p2, 34 | 37) && len == 15;
    let discover =
        (p4 == 6011 || (644..=649).contains(&p3) || p2 == 65 || (622_126..=622_925).contains(&p6))
            && long;
    let diners = (((300..=305).contains(&p3) || p2 == 36) && matches!(len, 14 | 16))
        || (matches!(p2, 38 | 39) && len == 16);
    let jcb = (3528..=3589).contains(&p4) && long;
    let unionpay = p2 == 62 && long;
    let maestro = (matches!(p4, 5018 | 5020 | 5038 | 5893 | 6304 | 6759)
        || (6761..=6763).contains(&p4))
        && long;
    let mir = (2200..=2204).contains(&p4) && len == 16;
    visa || mastercard || amex || discover || diners || jcb || unionpay || maestro || mir
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{assert_found, found};

    #[test]
    fn cards_with_luhn_and_issuer() {
        for card in [
            "4111111111111111",
            "4111 1111 1111 1111",
            "4111-1111-1111-1111",
            "5555 5555 5555 4444",
            "2223 0031 2200 3222",
            "3782 822463 10005",
            "378282246310005",
            "6011 1111 1111 1117",
            "3056 930902 5904",
            "3530111333300000",
            "6200000000000005",
        ] {
            assert_found("CARD", card);
        }
    }

    #[test]
    fn card_negatives() {
        for text in [
            "4111111111111112",    // Luhn fails
            "1111111111111117",    // no issuer
            "4111 1111-1111 1111", // mixed separators
            "41111 11111 11111 1", // odd grouping
            "41111111111111110",   // 17 digits for Visa
            "4222222222222",       // Luhn-valid, but 13-digit Visa is retired (EAN-13 look-alike)
            "x4111111111111111",
            "4111111111111111.5",
        ] {
            let cards: Vec<_> = found(text)
                .into_iter()
                .filter(|(k, _)| k == "CARD")
                .collect();
            assert_eq!(cards, vec![], "no card in {text:?}");
        }
        assert_eq!(
            found("card 4111 1111 1111 1111 2024"),
            vec![("CARD".into(), "4111 1111 1111 1111")]
        );
    }
}
