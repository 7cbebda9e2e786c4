//! Phone numbers: international (E.164, `00` prefix) and the national formats of the US, UK,
//! Germany and France.

use super::scan::{NUMBER_JOINERS, is_word, left_clear};

/// A run of digits in a phone candidate, with the separator before it.
#[derive(Debug, Clone, Copy)]
struct Group {
    /// Digits: `text[digits.0..digits.1]`.
    digits: (usize, usize),
    /// End of the group, after a closing parenthesis.
    end: usize,
    paren: bool,
    /// The separator between the previous group and this one (`None`: adjacent, as in
    /// `(415)555` or `+44(0)`).
    sep: Option<u8>,
}

impl Group {
    fn len(&self) -> usize {
        self.digits.1 - self.digits.0
    }
}

pub(super) fn phones(text: &str) -> Vec<(usize, usize)> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if (c == b'+' || c == b'(' || c.is_ascii_digit()) && left_clear(text, i, NUMBER_JOINERS) {
            // Every start is tried, also inside a match: see `scan_regex`.
            if let Some(end) = phone_at(text, i) {
                out.push((i, end));
            }
        }
        i += 1;
    }
    out
}

/// The end of the phone number that starts at `start`, if one does. The groups after `start`
/// are read greedily; the longest prefix of them that makes a valid number wins, so trailing
/// digits (`... 2671 2024`) do not spoil a match.
fn phone_at(text: &str, start: usize) -> Option<usize> {
    let b = text.as_bytes();
    let plus = b[start] == b'+';
    let mut p = start + usize::from(plus);
    // At most 8 groups, on the stack: this runs at every digit of the text.
    let mut buf = [Group {
        digits: (0, 0),
        end: 0,
        paren: false,
        sep: None,
    }; 8];
    let mut n = 0;
    let mut sep = None;
    while n < buf.len() {
        let paren = b.get(p) == Some(&b'(');
        let ds = p + usize::from(paren);
        let mut q = ds;
        while q < b.len() && b[q].is_ascii_digit() && q - ds <= 15 {
            q += 1;
        }
        let de = q;
        if de == ds || de - ds > 15 {
            break;
        }
        if paren {
            if b.get(q) != Some(&b')') {
                break;
            }
            q += 1;
        }
        buf[n] = Group {
            digits: (ds, de),
            end: q,
            paren,
            sep,
        };
        n += 1;
        p = q;
        match b.get(p) {
            Some(&s @ (b' ' | b'-' | b'.' | b'/'))
                if b.get(p + 1)
                    .is_some_and(|d| d.is_ascii_digit() || *d == b'(') =>
            {
                sep = Some(s);
                p += 1;
            }
            Some(b'(') if !paren => sep = None,
            Some(d) if paren && d.is_ascii_digit() => sep = None,
            _ => break,
        }
    }
    let groups = &buf[..n];
    (1..=n).rev().find_map(|k| {
        let end = groups[k - 1].end;
        (phone_right_clear(text, end) && valid_phone(b, plus, &groups[..k])).then_some(end)
    })
}

/// [`right_clear`](super::scan::right_clear) for phone numbers, which are also not followed by a joiner and a letter, nor
/// by a colon and anything but a space: `... 2001:db8::1` or `... 2456::1` is an IPv6 address
/// after the number, not its last group.
fn phone_right_clear(text: &str, at: usize) -> bool {
    let mut after = text.get(at..).unwrap_or("").chars();
    match (after.next(), after.next()) {
        (None, _) => true,
        // An extension: 415-555-2671x22.
        (Some('x'), Some(d)) if d.is_ascii_digit() => true,
        (Some(c), _) if is_word(c) => false,
        (Some(':'), next) => next.is_none_or(char::is_whitespace),
        (Some(c), next) if NUMBER_JOINERS.contains(&c) => !next.is_some_and(is_word),
        (Some(_), _) => true,
    }
}

fn valid_phone(b: &[u8], plus: bool, groups: &[Group]) -> bool {
    let total: usize = groups.iter().map(Group::len).sum();
    let digit = |g: &Group, i: usize| b[g.digits.0 + i];
    let Some(first) = groups.first() else {
        return false;
    };
    if plus {
        // E.164: country code (no leading 0) and up to 15 digits in all; dots separate all
        // groups or none (`+49 30 901820 1.2.3` is a number and a version).
        let shape_ok = (8..=15).contains(&total)
            && !first.paren
            && digit(first, 0) != b'0'
            && groups.iter().all(|g| g.sep != Some(b'/'))
            && (groups.iter().skip(1).all(|g| g.sep == Some(b'.'))
                || groups.iter().all(|g| g.sep != Some(b'.')));
        return shape_ok && national_length_ok(b, groups);
    }
    // National formats need their separators: a bare digit run is an id, not a phone number.
    if groups.len() < 2 {
        return false;
    }
    // `00` is the international call prefix in most of the world: 0049 30 901820.
    if first.len() >= 3 && digit(first, 0) == b'0' && digit(first, 1) == b'0' {
        let cc = Group {
            digits: (first.digits.0 + 2, first.digits.1),
            ..*first
        };
        let mut intl = groups.to_vec();
        intl[0] = cc;
        return (8..=15).contains(&(total - 2))
            && !first.paren
            && digit(first, 2) != b'0'
            && groups[1..]
                .iter()
                .all(|g| matches!(g.sep, Some(b' ' | b'-')))
            && national_length_ok(b, &intl);
    }
    if !(8..=12).contains(&total) {
        return false;
    }
    let mut lens_buf = [0; 8];
    for (l, g) in lens_buf.iter_mut().zip(groups) {
        *l = g.len();
    }
    let lens = &lens_buf[..groups.len().min(8)];
    // The separator after a parenthesized group may be absent or a space.
    let after_paren_ok = |g: &Group| matches!(g.sep, None | Some(b' '));

    // US / NANP: [1] (NXX) NXX-XXXX.
    let lead = lens.len() == 4 && lens[0] == 1 && digit(first, 0) == b'1' && !first.paren;
    let us = if lead { &groups[1..] } else { groups };
    if us.len() == 3
        && us[0].len() == 3
        && us[1].len() == 3
        && us[2].len() == 4
        && !us[1].paren
        && !us[2].paren
    {
        let nxx = |g: &Group| (b'2'..=b'9').contains(&digit(g, 0));
        let seps_ok = if us[0].paren {
            after_paren_ok(&us[1]) && matches!(us[2].sep, Some(b'-' | b' ' | b'.'))
        } else {
            // Dashes and spaces may mix (`415 555-2671`); dots go all the way.
            let (a, b) = (us[1].sep, us[2].sep);
            matches!(a, Some(b'-' | b' ' | b'.'))
                && matches!(b, Some(b'-' | b' ' | b'.'))
                && ((a == Some(b'.')) == (b == Some(b'.')))
        };
        let lead_ok = !lead || matches!(us[0].sep, Some(b'-' | b' ' | b'.'));
        if nxx(&us[0]) && nxx(&us[1]) && seps_ok && lead_ok {
            return true;
        }
    }

    // Trunk-prefix formats (UK, DE, FR): 0 then a non-zero digit.
    if digit(first, 0) != b'0' || first.len() < 2 || digit(first, 1) == b'0' {
        return false;
    }
    if groups[1..].iter().any(|g| g.paren) || (first.paren && !after_paren_ok(&groups[1])) {
        return false;
    }
    // All separators equal and allowed (not counting the one after a parenthesized group).
    let seps_equal = |allowed: &[u8]| {
        let mut seps = groups
            .iter()
            .skip(if first.paren { 2 } else { 1 })
            .map(|g| g.sep);
        match seps.next() {
            None => true,
            Some(s) => s.is_some_and(|s| allowed.contains(&s)) && seps.all(|x| x == s),
        }
    };
    // FR: 01 23 45 67 89.
    if lens == [2, 2, 2, 2, 2] && !first.paren && seps_equal(b" .-") {
        return true;
    }
    // UK: 020 7946 0958, 0161 496 0000, 07700 900123, 07700 900 123.
    let uk_shapes: &[&[usize]] = &[&[3, 4, 4], &[4, 3, 4], &[5, 6], &[5, 3, 3], &[4, 4, 3]];
    if total == 11 && uk_shapes.contains(&lens) && seps_equal(b" -") {
        return true;
    }
    // DE: 030 901820, 0171 1234567, 030/9018 2000: area code of 3 to 5 digits, subscriber
    // number of 5 to 8 digits in at most two groups.
    let subscriber: usize = lens[1..].iter().sum();
    // Numbers starting 01 are mobile (015x, 016x, 017x), not geographic: `012 345 678` is not one.
    let mobile_ok =
        digit(first, 1) != b'1' || (lens[0] == 4 && matches!(digit(first, 2), b'5'..=b'7'));
    if (3..=5).contains(&lens[0])
        && lens.len() <= 3
        && (5..=8).contains(&subscriber)
        && lens[1..].iter().all(|&l| l >= 2)
        && mobile_ok
    {
        let first_sep_ok = first.paren || matches!(groups[1].sep, Some(b' ' | b'-' | b'/'));
        let rest_ok = groups[2..]
            .iter()
            .all(|g| matches!(g.sep, Some(b' ' | b'-')));
        return first_sep_ok && rest_ok;
    }
    false
}

/// Whether the groups of an international number fit its country code: a one-digit code is 1
/// or 7, and where the code has a known length of national number, the rest has that length (a
/// trunk `(0)` not counted). This keeps `+1 415 555 2671 5092` from taking the `5092` that
/// follows.
fn national_length_ok(b: &[u8], groups: &[Group]) -> bool {
    let [first, rest @ ..] = groups else {
        return false;
    };
    if rest.is_empty() {
        return true;
    }
    // A compact number (`+14155552671`) takes no further groups.
    if first.len() > 4 {
        return false;
    }
    let cc = std::str::from_utf8(&b[first.digits.0..first.digits.1]).unwrap_or("");
    // The only one-digit country codes are 1 (NANP) and 7 (Russia, Kazakhstan).
    if cc.len() == 1 && cc != "1" && cc != "7" {
        return false;
    }
    if first.len() > 3 {
        return true;
    }
    let Some((_, min, max)) = NATIONAL_LENGTHS.iter().find(|(c, _, _)| *c == cc) else {
        return true;
    };
    let trunk = |g: &Group| g.paren && g.len() == 1 && b[g.digits.0] == b'0';
    let national: usize = rest.iter().filter(|g| !trunk(g)).map(Group::len).sum();
    (*min..=*max).contains(&national)
}

/// Lengths of national (significant) numbers by country calling code, for countries with a
/// closed numbering plan of few lengths.
const NATIONAL_LENGTHS: &[(&str, usize, usize)] = &[
    ("1", 10, 10),
    ("7", 10, 10),
    ("27", 9, 9),
    ("30", 10, 10),
    ("31", 9, 9),
    ("32", 8, 9),
    ("33", 9, 9),
    ("34", 9, 9),
    ("36", 8, 9),
    ("40", 9, 9),
    ("41", 9, 9),
    ("44", 9, 10),
    ("45", 8, 8),
    ("47", 8, 8),
    ("48", 9, 9),
    ("49", 6, 11),
    ("52", 10, 10),
    ("55", 10, 11),
    ("61", 9, 9),
    ("64", 8, 10),
    ("65", 8, 8),
    ("81", 9, 10),
    ("82", 8, 10),
    ("86", 10, 11),
    ("90", 10, 10),
    ("91", 10, 10),
    ("351", 9, 9),
];

#[cfg(test)]
mod tests {
    use super::super::test_support::{assert_found, found};

    #[test]
    fn phones_in_national_and_international_formats() {
        for phone in [
            "(415) 555-2671",
            "(415)555-2671",
            "415-555-2671",
            "415.555.2671",
            "415 555 2671",
            "+1 415 555 2671",
            "+1-415-555-2671",
            "+1 (415) 555-2671",
            "1-800-555-0199",
            "+14155552671",
            "020 7946 0958",
            "+44 20 7946 0958",
            "+44 (0)20 7946 0958",
            "07700 900123",
            "0161 496 0000",
            "+49 30 901820",
            "030 901820",
            "030/901820",
            "(030) 901820",
            "0171 1234567",
            "+49 171 1234567",
            "01 23 45 67 89",
            "06.12.34.56.78",
            "+33 1 23 45 67 89",
            "+81-3-1234-5678",
            "+61 2 9374 4000",
            "415 555-2671",
            "1 (415) 555-2671",
            "+1.415.555.2671",
            "+1 415-555-2671",
            "020-7946-0958",
            "07700-900123",
            "+44 7700 900 123",
            "0044 20 7946 0958",
            "0049 30 901820",
            "+49 (0)30 901820",
            "+49-30-901820",
            "030 9018 2000",
            "+33 (0)1 23 45 67 89",
        ] {
            assert_found("PHONE", phone);
        }
    }

    #[test]
    fn phone_negatives() {
        for text in [
            "2024-01-15",
            "15.01.2024",
            "01/15/2024",
            "12:30:45",
            "2024-01-15T10:30:00Z",
            "2024-01-15T10:30:00.123+01:00",
            "version 1.2.3",
            "1.2.3.4.5.6.7.8",
            "order 100234567",
            "at 1700000000",
            "ms 1700000000000",
            "total 1,234,567.89",
            "1 234 567,89 EUR",
            "550e8400-e29b-41d4-a716-446655440000",
            "sha 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
            "ISBN 978-3-16-148410-0",
            "123-456-7890",
            "4155552671",
            "10.20.30.40",
            "zip 94103-1234",
            "v2.10.0-rc.1",
            "+12",
            "12345-678-9012",
            "x415-555-2671",
            "415-555-2671x",
            "1415-555-2671",
            "415-555-2671-1",
            "415.555-2671",
            "0000 1234 5678",
            "00 12 34 56",
            "price 012 345 678",
            "SN 0123 456789",
        ] {
            let phones: Vec<_> = found(text)
                .into_iter()
                .filter(|(k, _)| k == "PHONE")
                .collect();
            assert_eq!(phones, vec![], "no phone in {text:?}");
        }
    }

    #[test]
    fn phone_with_trailing_and_leading_digits() {
        assert_eq!(
            found("call 415-555-2671 2024"),
            vec![("PHONE".into(), "415-555-2671")]
        );
        assert_eq!(
            found("+14155552671 5092 and 004-51-6808 9367"),
            vec![
                ("PHONE".into(), "+14155552671"),
                ("SSN".into(), "004-51-6808")
            ]
        );
        assert_eq!(
            found("call 415-555-2671x22"),
            vec![("PHONE".into(), "415-555-2671")]
        );
        assert_eq!(
            found("call 12 415-555-2671"),
            vec![("PHONE".into(), "415-555-2671")]
        );
        assert_eq!(
            found("+44 20 7946 0958 2024 is new"),
            vec![("PHONE".into(), "+44 20 7946 0958")]
        );
        // The national number's length for known country codes stops the greedy read.
        assert_eq!(
            found("+1 415 555 2671 5092,x"),
            vec![("PHONE".into(), "+1 415 555 2671")]
        );
        assert_eq!(
            found("+49 30 901820 3159 and 0049 30 901820 3159"),
            vec![
                ("PHONE".into(), "+49 30 901820"),
                ("PHONE".into(), "0049 30 901820")
            ]
        );
        assert_eq!(
            found("+1 (859) 793-9526 3553 9321 7440 1314"),
            vec![
                ("PHONE".into(), "+1 (859) 793-9526"),
                ("CARD".into(), "3553 9321 7440 1314")
            ]
        );
    }
}
