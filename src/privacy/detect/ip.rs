//! IP addresses: IPv4 (not a four-part version number) and IPv6.

use std::net::Ipv6Addr;
use std::sync::LazyLock;

use regex::Regex;

use super::scan::{left_clear, right_clear, scan_regex};

static IPV4: LazyLock<Regex> = LazyLock::new(|| {
    let octet = r"(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])";
    Regex::new(&format!(r"(?-u:\b){octet}(?:\.{octet}){{3}}(?-u:\b)"))
        .expect("IPv4 pattern compiles")
});

pub(super) fn ipv4s(text: &str) -> Vec<(usize, usize)> {
    // Only a dot joins: `10.0.0.1:8080`, `10.0.0.0/8` and `10.0.0.1-10.0.0.9` are addresses,
    // `1.2.3.4.5` is not.
    scan_regex(&IPV4, text, |start, end| {
        let ok = left_clear(text, start, &['.'])
            && right_clear(text, end, &['.'])
            && !after_version_word(text, start);
        ok.then_some((start, end))
    })
}

/// Whether the word before `at` announces a version number (`version 2.1.0.3`, `build
/// 10.0.0.1`), which a four-part version cannot be told from an IPv4 address by.
fn after_version_word(text: &str, at: usize) -> bool {
    const WORDS: &[&str] = &["version", "ver", "v", "build", "release", "firmware"];
    let before = text.get(..at).unwrap_or("").trim_end_matches([' ', ':']);
    let word_start = before
        .char_indices()
        .rev()
        .take_while(|(_, c)| c.is_alphabetic())
        .last()
        .map_or(before.len(), |(i, _)| i);
    let word = &before[word_start..];
    WORDS.iter().any(|w| word.eq_ignore_ascii_case(w))
}

pub(super) fn ipv6s(text: &str) -> Vec<(usize, usize)> {
    let b = text.as_bytes();
    let is_v6 = |c: u8| c.is_ascii_hexdigit() || c == b':' || c == b'.';
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if !is_v6(b[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < b.len() && is_v6(b[i]) {
            i += 1;
        }
        if let Some(span) = ipv6_in(text, start, i) {
            out.push(span);
        }
    }
    out
}

/// The IPv6 address in the maximal run `text[start..end]` of hex digits, colons and dots, if
/// the run is one (allowing a stray leading colon or trailing punctuation).
fn ipv6_in(text: &str, start: usize, end: usize) -> Option<(usize, usize)> {
    let run = &text.as_bytes()[start..end];
    if run.len() > 60 || run.iter().filter(|&&c| c == b':').count() < 2 {
        return None;
    }
    let mut starts = vec![start];
    if run.starts_with(b":") && !run.starts_with(b"::") {
        starts.push(start + 1);
    }
    // The run, then the run without one or two trailing dots or colons (`... ::1.`).
    let mut ends = vec![end];
    let mut e = end;
    while ends.len() < 3 && e > start + 1 && matches!(run[e - start - 1], b'.' | b':') {
        e -= 1;
        ends.push(e);
    }
    for &s in &starts {
        for &e in &ends {
            if e <= s {
                continue;
            }
            let candidate = &text[s..e];
            let ok = candidate.bytes().any(|c| c.is_ascii_hexdigit())
                && left_clear(text, s, &[])
                && right_clear(text, e, &[])
                && candidate.parse::<Ipv6Addr>().is_ok();
            if ok {
                return Some((s, e));
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{assert_found, found};

    #[test]
    fn ip_addresses() {
        for ip in [
            "192.168.1.100",
            "10.0.0.1",
            "255.255.255.255",
            "2001:db8::8a2e:370:7334",
            "2001:0db8:85a3:0000:0000:8a2e:0370:7334",
            "::1",
            "fe80::1",
            "::ffff:192.0.2.128",
            "2001:DB8::1",
        ] {
            assert_found("IP", ip);
        }
        assert_eq!(
            found("http://10.1.2.3:8080/x and [2001:db8::1]:443, net 10.0.0.0/8"),
            vec![
                ("IP".into(), "10.1.2.3"),
                ("IP".into(), "2001:db8::1"),
                ("IP".into(), "10.0.0.0")
            ]
        );
    }

    #[test]
    fn ip_negatives() {
        for text in [
            "1.2.3.4.5",
            "v1.2.3.4",
            "v 1.2.3.4",
            "V 10.0.0.1",
            "256.1.1.1",
            "01.02.03.04",
            "12:30:45",
            "10:30",
            "std::io::Error",
            "00:1a:2b:3c:4d:5e",
            "a::b::c",
            "::",
            "version 10.0.19045.3803",
            "version 2.1.0.3",
            "Build: 10.0.0.1",
            "2024-01-15T10:30:00Z",
        ] {
            let ips: Vec<_> = found(text).into_iter().filter(|(k, _)| k == "IP").collect();
            assert_eq!(ips, vec![], "no IP in {text:?}");
        }
    }
}
