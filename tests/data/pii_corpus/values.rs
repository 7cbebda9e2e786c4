//! Personal data of each kind, in the shapes people write it.

use std::net::{Ipv4Addr, Ipv6Addr};

use super::{Generator, Rng, capitalize};
use crate::privacy::detect;

const FIRST_NAMES: &[&str] = &[
    "anna", "ben", "carla", "david", "elena", "farid", "grace", "hiro", "ines", "jonas", "kemal",
    "lena", "marco", "nadia", "oliver", "priya", "quentin", "rosa", "sven", "tariq", "ursula",
    "viktor", "wei", "xenia", "yusuf", "zoe", "jean-luc", "mary",
];

const LAST_NAMES: &[&str] = &[
    "smith",
    "mueller",
    "garcia",
    "nguyen",
    "kowalski",
    "rossi",
    "dubois",
    "tanaka",
    "johnson",
    "schmidt",
    "fernandez",
    "olsen",
    "brien",
    "van-dijk",
    "kim",
    "patel",
    "novak",
    "silva",
];

const DOMAINS: &[&str] = &[
    "example.com",
    "example.org",
    "mail.example.net",
    "acme-corp.io",
    "globex.co.uk",
    "uni-berlin.de",
    "initech.fr",
    "example.co.jp",
    "posteo.de",
    "proton.me",
    "company.travel",
    "startup.ai",
    "web.de",
    "outlook.com",
    "dept-7.example.edu",
];

impl Generator {
    pub fn email(&mut self) -> String {
        let r = &mut self.rng;
        let first = *r.pick(FIRST_NAMES);
        let last = *r.pick(LAST_NAMES);
        let domain = *r.pick(DOMAINS);
        let initial = &first[..1];
        match r.range(0, 10) {
            0 => format!("{first}.{last}@{domain}"),
            1 => format!("{first}{last}{}@{domain}", r.range(1, 99)),
            2 => {
                let tag = r.pick(&["news", "shop", "work", "github", "2024"]);
                format!("{initial}.{last}+{tag}@{domain}")
            }
            3 => format!("{first}_{last}@{domain}"),
            4 => format!(
                "{}.{}@{}",
                capitalize(first),
                capitalize(last),
                domain.to_uppercase()
            ),
            5 => format!("{last}-{first}@{domain}"),
            6 => {
                let sub = r.pick(&["mail", "eu", "corp", "dept-42", "students"]);
                format!("{first}@{sub}.{domain}")
            }
            7 => format!("{initial}{last}@{domain}"),
            8 => format!("{}@{domain}", r.digits(7)),
            9 => format!("o'{last}@{domain}"),
            _ => format!("{}@{}", first.to_uppercase(), domain),
        }
    }

    pub fn phone(&mut self) -> String {
        let r = &mut self.rng;
        let nxx = |r: &mut Rng| format!("{}{}", r.range(2, 9), r.digits(2));
        match r.range(0, 9) {
            // US / NANP
            0..=2 => {
                let (a, e, l) = (nxx(r), nxx(r), r.digits(4));
                match r.range(0, 10) {
                    0 => format!("({a}) {e}-{l}"),
                    1 => format!("{a}-{e}-{l}"),
                    2 => format!("{a}.{e}.{l}"),
                    3 => format!("{a} {e} {l}"),
                    4 => format!("+1 {a} {e} {l}"),
                    5 => format!("+1-{a}-{e}-{l}"),
                    6 => format!("+1 ({a}) {e}-{l}"),
                    7 => format!("1-{a}-{e}-{l}"),
                    8 => format!("+1{a}{e}{l}"),
                    9 => format!("{a} {e}-{l}"),
                    _ => format!("({a}){e}-{l}"),
                }
            }
            // UK
            3 | 4 => {
                let (a, b) = (format!("{}{}", r.range(7, 8), r.digits(3)), r.digits(4));
                match r.range(0, 7) {
                    7 => format!("0044 20 {a} {b}"),
                    0 => format!("020 {a} {b}"),
                    1 => format!("+44 20 {a} {b}"),
                    2 => format!("+44 (0)20 {a} {b}"),
                    3 => format!("07{} {}", r.digits(3), r.digits(6)),
                    4 => format!("+44 7{} {}", r.digits(3), r.digits(6)),
                    5 => format!("0161 {} {}", r.digits(3), r.digits(4)),
                    _ => format!("01632 {}", r.digits(6)),
                }
            }
            // DE
            5 | 6 => {
                let sub = |r: &mut Rng, n: usize| format!("{}{}", r.range(1, 9), r.digits(n - 1));
                match r.range(0, 8) {
                    7 => format!("0049 30 {}", sub(r, 6)),
                    8 => format!("+49 (0)30 {}", sub(r, 6)),
                    0 => format!("+49 30 {}", sub(r, 6)),
                    1 => format!("030 {}", sub(r, 6)),
                    2 => format!("030/{}", sub(r, 7)),
                    3 => format!("(030) {}", sub(r, 7)),
                    4 => format!("089 {}", sub(r, 7)),
                    5 => format!("0171 {}", sub(r, 7)),
                    _ => format!("+49 171 {}", sub(r, 7)),
                }
            }
            // FR
            7 => {
                let z = r.range(1, 9);
                let p: Vec<String> = (0..4).map(|_| r.digits(2)).collect();
                match r.range(0, 3) {
                    3 => format!("+33 (0){z} {}", p.join(" ")),
                    0 => format!("0{z} {}", p.join(" ")),
                    1 => format!("0{z}.{}", p.join(".")),
                    _ => format!("+33 {z} {}", p.join(" ")),
                }
            }
            // Elsewhere, E.164 with local grouping
            _ => match r.range(0, 5) {
                0 => format!("+81-3-{}-{}", r.digits(4), r.digits(4)),
                1 => format!("+61 2 {} {}", r.digits(4), r.digits(4)),
                2 => format!("+86 138 {} {}", r.digits(4), r.digits(4)),
                3 => format!("+7 495 {}-{}-{}", r.digits(3), r.digits(2), r.digits(2)),
                4 => format!("+55 11 9{}-{}", r.digits(4), r.digits(4)),
                _ => format!("+31 20 {} {}", r.digits(3), r.digits(4)),
            },
        }
    }

    pub fn card(&mut self) -> String {
        let r = &mut self.rng;
        let (prefix, len) = match r.range(0, 7) {
            0 | 1 => ("4".to_owned(), *r.pick(&[16, 16, 16, 19])),
            2 => (format!("5{}", r.range(1, 5)), 16),
            3 => (r.range(2221, 2720).to_string(), 16),
            4 => (format!("3{}", r.pick(&[4, 7])), 15),
            5 => (r.pick(&["6011", "65", "644"]).to_string(), 16),
            6 => (r.range(3528, 3589).to_string(), 16),
            _ => ("36".to_owned(), 14),
        };
        let mut digits: Vec<u8> = prefix.bytes().map(|b| b - b'0').collect();
        while digits.len() < len - 1 {
            digits.push(r.range(0, 9) as u8);
        }
        digits.push(luhn_check_digit(&digits));
        let number: String = digits.iter().map(|d| char::from(b'0' + d)).collect();
        let grouping: &[usize] = match len {
            15 => &[4, 6, 5],
            14 => &[4, 6, 4],
            _ => &[4, 4, 4, 4, 4],
        };
        match r.range(0, 4) {
            0 | 1 => number,
            2 | 3 => group(&number, grouping, " "),
            _ => group(&number, grouping, "-"),
        }
    }

    pub fn iban(&mut self) -> String {
        // (country, BBAN layout: counts of n = digit, a = uppercase letter, c = either)
        const LAYOUTS: &[(&str, &str)] = &[
            ("DE", "18n"),
            ("GB", "4a14n"),
            ("FR", "10n11c2n"),
            ("NL", "4a10n"),
            ("ES", "20n"),
            ("IT", "1a10n12c"),
            ("CH", "5n12c"),
            ("BE", "12n"),
            ("AT", "16n"),
            ("PL", "24n"),
            ("SE", "20n"),
            ("IE", "4a14n"),
            ("NO", "11n"),
        ];
        const LETTERS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ";
        const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
        let r = &mut self.rng;
        let &(cc, layout) = r.pick(LAYOUTS);
        let mut bban = String::new();
        let mut count = 0;
        for c in layout.bytes() {
            if c.is_ascii_digit() {
                count = count * 10 + usize::from(c - b'0');
                continue;
            }
            for _ in 0..count {
                bban.push(char::from(match c {
                    b'n' => b'0' + r.range(0, 9) as u8,
                    b'a' => *r.pick(LETTERS),
                    _ => *r.pick(ALNUM),
                }));
            }
            count = 0;
        }
        let rem = detect::iban_remainder(format!("{cc}00{bban}").as_bytes()).unwrap_or(0);
        let compact = format!("{cc}{:02}{bban}", 98 - rem);
        if r.chance(50) {
            compact
        } else {
            group(&compact, &[4; 9], " ")
        }
    }

    pub fn ssn(&mut self) -> String {
        let r = &mut self.rng;
        let mut area = r.range(1, 899);
        if area == 666 {
            area = 665;
        }
        let sep = if r.chance(85) { "-" } else { " " };
        format!(
            "{area:03}{sep}{:02}{sep}{:04}",
            r.range(1, 99),
            r.range(1, 9999)
        )
    }

    pub fn ip(&mut self) -> String {
        let r = &mut self.rng;
        let v4 = |r: &mut Rng| {
            Ipv4Addr::new(
                r.range(1, 223) as u8,
                r.range(0, 255) as u8,
                r.range(0, 255) as u8,
                r.range(0, 255) as u8,
            )
        };
        let group = |r: &mut Rng| r.range(0, 0xffff) as u16;
        match r.range(0, 9) {
            0..=4 => v4(r).to_string(),
            5 => {
                // Full form, sometimes zero-padded or uppercase.
                let groups: Vec<u16> = (0..8).map(|_| group(r)).collect();
                let padded = r.chance(50);
                let text = groups
                    .iter()
                    .map(|g| {
                        if padded {
                            format!("{g:04x}")
                        } else {
                            format!("{g:x}")
                        }
                    })
                    .collect::<Vec<_>>()
                    .join(":");
                if r.chance(20) {
                    text.to_uppercase()
                } else {
                    text
                }
            }
            6 => {
                // Compressed: a run of zero groups.
                let mut g: Vec<u16> = (0..8).map(|_| group(r)).collect();
                let from = r.range(1, 5) as usize;
                let to = (from + r.range(2, 4) as usize).min(8);
                g[from..to].fill(0);
                Ipv6Addr::new(g[0], g[1], g[2], g[3], g[4], g[5], g[6], g[7]).to_string()
            }
            7 => format!("2001:db8::{:x}:{:x}", group(r), group(r)),
            8 => format!(
                "fe80::{:x}:{:x}ff:fe{:x}:{:x}",
                group(r),
                r.range(0, 0xff),
                r.range(0, 0xff),
                group(r)
            ),
            _ => {
                if r.chance(30) {
                    "::1".to_owned()
                } else {
                    format!("::ffff:{}", v4(r))
                }
            }
        }
    }
}

/// `s` cut into groups of the given sizes (the rest in one last group) joined by `sep`.
fn group(s: &str, sizes: &[usize], sep: &str) -> String {
    let mut parts = Vec::new();
    let mut rest = s;
    for &n in sizes {
        if rest.is_empty() {
            break;
        }
        let (head, tail) = rest.split_at(n.min(rest.len()));
        parts.push(head);
        rest = tail;
    }
    if !rest.is_empty() {
        parts.push(rest);
    }
    parts.join(sep)
}

/// The digit that makes `payload` followed by it Luhn-valid, by the detector's own check.
fn luhn_check_digit(payload: &[u8]) -> u8 {
    (0..10)
        .find(|&d| detect::luhn_valid(&[payload, &[d]].concat()))
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_values_are_valid() {
        let mut g = Generator::new(42);
        for _ in 0..500 {
            let card: Vec<u8> = g
                .card()
                .bytes()
                .filter(u8::is_ascii_digit)
                .map(|b| b - b'0')
                .collect();
            assert!(detect::luhn_valid(&card), "{card:?}");
            let iban: Vec<u8> = g.iban().bytes().filter(|b| *b != b' ').collect();
            assert!(detect::iban_checksum_valid(&iban));
            let country = std::str::from_utf8(&iban[..2]).unwrap_or("");
            assert_eq!(detect::iban_length(country), Some(iban.len()));
            let ip = g.ip();
            assert!(
                ip.parse::<Ipv4Addr>().is_ok() || ip.parse::<Ipv6Addr>().is_ok(),
                "{ip}"
            );
        }
    }
}
