//! Detection quality: a deterministic corpus of documents with known personal data in varied
//! contexts, PII-free documents full of look-alikes (dates, versions, ids, amounts, hashes, ...),
//! and [`evaluate`], which measures recall on the first and false positives on the second.
//!
//! Everything is generated from a seed with a small built-in PRNG (SplitMix64), so a report is
//! reproducible and a failure can be replayed.

use std::collections::BTreeMap;
use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};

use super::detect::{self, Detector, Kind, Span};

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

/// A generated document and the personal data in it.
#[derive(Debug, Clone)]
pub struct Document {
    pub text: String,
    /// Where each piece of personal data is, sorted by start.
    pub truth: Vec<Span>,
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

const PROSE: &[&str] = &[
    "the",
    "report",
    "was",
    "updated",
    "after",
    "review",
    "and",
    "shipped",
    "to",
    "customer",
    "please",
    "check",
    "status",
    "of",
    "order",
    "invoice",
    "payment",
    "received",
    "pending",
    "team",
    "meeting",
    "scheduled",
    "for",
    "build",
    "deployed",
    "on",
    "server",
    "cluster",
    "latency",
    "improved",
    "by",
    "release",
    "notes",
    "mention",
    "fix",
    "in",
    "module",
    "warehouse",
    "stock",
    "level",
    "dropped",
    "below",
    "threshold",
    "ticket",
    "closed",
    "migration",
    "completed",
    "without",
    "errors",
    "backup",
    "finished",
    "at",
    "total",
    "items",
    "processed",
    "average",
    "response",
    "time",
    "ms",
    "a",
    "new",
    "version",
    "is",
    "available",
    "schedule",
    "starts",
    "ends",
    "we",
    "expect",
    "delivery",
    "between",
    "weekly",
    "summary",
    "retry",
    "failed",
    "job",
    "queue",
    "length",
    "was",
    "measured",
    "commit",
    "tagged",
    "as",
    "Kunde",
    "Bestellung",
    "über",
    "naïve",
    "café",
    "état",
    "résumé",
    "日本",
    "データ",
];

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

    // --- look-alikes and prose -----------------------------------------------------------

    /// Something that is not personal data but looks a bit like it.
    pub fn distractor(&mut self) -> String {
        let r = &mut self.rng;
        let (y, mo, d) = (r.range(2015, 2026), r.range(1, 12), r.range(1, 28));
        let (h, mi, s) = (r.range(0, 23), r.range(0, 59), r.range(0, 59));
        match r.range(0, 74) {
            0 => format!("{y}-{mo:02}-{d:02}"),
            1 => format!("{d:02}.{mo:02}.{y}"),
            2 => format!("{mo:02}/{d:02}/{y}"),
            3 => format!("{y}/{mo:02}/{d:02}"),
            4 => format!("{h:02}:{mi:02}"),
            5 => format!("{h:02}:{mi:02}:{s:02}"),
            6 => format!("{y}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}Z"),
            7 => format!(
                "{y}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{:03}+01:00",
                r.range(0, 999)
            ),
            8 => format!("{y}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02}"),
            9 => format!("{}.{}.{}", r.range(0, 20), r.range(0, 30), r.range(0, 99)),
            10 => format!("v{}.{}.{}", r.range(0, 5), r.range(0, 40), r.range(0, 20)),
            11 => format!(
                "{}.{}.{}-rc.{}",
                r.range(0, 9),
                r.range(0, 9),
                r.range(0, 9),
                r.range(1, 5)
            ),
            12 => r.range(100_000_000, 999_999_999).to_string(),
            13 => format!("ORD-{y}-{}", r.digits(6)),
            14 => format!("#{}", r.range(1000, 99999)),
            15 => format!(
                "${},{},{}.{:02}",
                r.range(1, 999),
                r.digits(3),
                r.digits(3),
                r.range(0, 99)
            ),
            16 => format!(
                "{}.{},{:02} €",
                r.range(1, 999),
                r.digits(3),
                r.range(0, 99)
            ),
            17 => format!(
                "{} {},{:02} EUR",
                r.range(1, 999),
                r.digits(3),
                r.range(0, 99)
            ),
            18 => format!(
                "{}-{}-4{}-{}{}-{}",
                r.hex(8),
                r.hex(4),
                r.hex(3),
                r.pick(&["8", "9", "a", "b"]),
                r.hex(3),
                r.hex(12)
            ),
            19 => r.hex(40),
            20 => r.hex(64),
            21 => r.hex(7),
            22 => format!("sha256:{}", r.hex(64)),
            23 => r.range(1_500_000_000, 1_800_000_000).to_string(),
            24 => r.range(1_500_000_000_000, 1_800_000_000_000).to_string(),
            25 => format!("{}.{}%", r.range(0, 99), r.range(0, 99)),
            26 => format!("localhost:{}", r.range(1024, 65535)),
            27 => format!("port {}", r.range(1, 65535)),
            28 => format!("{}.{} GB", r.range(1, 999), r.range(0, 9)),
            29 => format!(
                "{}.{:04}, {}.{:04}",
                r.range(10, 60),
                r.range(0, 9999),
                r.range(1, 30),
                r.range(0, 9999)
            ),
            30 => format!("{},{},{} rows", r.range(1, 99), r.digits(3), r.digits(3)),
            31 => format!("00:{mi:02}:{s:02}.{:03}", r.range(0, 999)),
            32 => format!(
                "ISBN 978-{}-{}-{}-{}",
                r.range(0, 9),
                r.digits(2),
                r.digits(6),
                r.range(0, 9)
            ),
            33 => format!("{}-{}", r.range(10000, 99999), r.digits(4)),
            34 => format!("1Z{}{}", r.digits(3), r.digits(13)),
            35 => format!("0x{}", r.hex(12)),
            36 => format!("build {y}{mo:02}{d:02}.{}", r.range(1, 9)),
            37 => format!("CVE-{y}-{}", r.digits(5)),
            38 => format!("PID {}", r.range(100, 99999)),
            39 => format!("{h:02}:{mi:02}-{:02}:{:02}", r.range(0, 23), r.range(0, 59)),
            40 => format!(
                "{}.{}.{}.{}",
                r.range(0, 9),
                r.range(0, 9),
                r.range(0, 99),
                r.range(1000, 99999)
            ),
            41 => format!(
                "lodash@{}.{}.{}",
                r.range(1, 4),
                r.range(0, 20),
                r.range(0, 30)
            ),
            42 => format!("logo@{}x.png", r.range(2, 3)),
            43 => format!("HTTP/1.1 {}", r.pick(&["200 OK", "404 Not Found", "503"])),
            44 => {
                // EAN-13 barcode of a German product (prefix 400-440).
                let body = format!("{}{}", r.range(400, 440), r.digits(9));
                let sum: u32 = body
                    .bytes()
                    .enumerate()
                    .map(|(i, b)| u32::from(b - b'0') * if i % 2 == 0 { 1 } else { 3 })
                    .sum();
                format!("EAN {body}{}", (10 - sum % 10) % 10)
            }
            45 => format!("id {}{}", r.range(1, 9), r.digits(17)),
            46 => (0..6).map(|_| r.hex(2)).collect::<Vec<_>>().join(":"),
            47 => format!(
                "git@github.com:{}/{}.git",
                r.pick(&["acme", "rust-lang", "octo-org"]),
                r.pick(&["api", "web", "infra"])
            ),
            48 => format!("account {}", r.digits(12)),
            49 => format!(
                "version {}.{}.{}.{}",
                r.range(1, 12),
                r.range(0, 9),
                r.range(0, 9),
                r.range(0, 200)
            ),
            50 => format!(
                "sort code {}-{}-{}",
                r.range(10, 99),
                r.digits(2),
                r.digits(2)
            ),
            51 => format!("ISBN 0-{}-{}-{}", r.digits(3), r.digits(5), r.range(0, 9)),
            52 => format!(
                "{}.{},{}.{}",
                r.range(10, 60),
                r.digits(6),
                r.range(1, 30),
                r.digits(6)
            ),
            53 => format!(
                "{:02}{:02}-{:02}{:02}",
                r.range(6, 11),
                r.range(0, 59),
                r.range(12, 20),
                r.range(0, 59)
            ),
            54 => format!("ext. {}", r.range(100, 999)),
            55 => format!("commit {}", r.hex(40)),
            56 => format!("^{}.{}.{}", r.range(0, 9), r.range(0, 30), r.range(0, 30)),
            57 => format!("{}.{}e{}", r.range(1, 9), r.digits(2), r.range(1, 30)),
            58 => format!("{} {} {}", r.range(10, 99), r.digits(3), r.digits(3)),
            59 => format!("SKU {}-{}-{}", r.range(10, 99), r.digits(4), r.digits(2)),
            60 => format!(
                "{} {} {},{:02} €",
                r.range(1, 9),
                r.digits(3),
                r.digits(3),
                r.range(0, 99)
            ),
            61 => format!("RE-{y}-{}", r.digits(5)),
            62 => format!(
                "{d}. {} {y}",
                r.pick(&["Januar", "März", "Juli", "Dezember"])
            ),
            63 => format!("{}-{}", r.range(1, 499), r.range(500, 999)),
            64 => format!(
                "ISO 8601, RFC 5322 and UTF-8 at {} rpm",
                r.range(1000, 9000)
            ),
            65 => format!("{}:{}", r.range(1, 99), r.range(1, 99)),
            66 => format!("{} Berlin, SW1A 1AA London", r.range(10115, 14199)),
            67 => format!("BIC DEUTDEFF{}, VAT DE{}", r.digits(3), r.digits(9)),
            68 => format!("VIN 1HGCM{}A{}", r.digits(5), r.digits(6)),
            69 => format!(
                "{}.{}.{}+{y}{mo:02}{d:02}",
                r.range(0, 9),
                r.range(0, 9),
                r.range(0, 9)
            ),
            70 => format!("UTC+{:02}:{:02}", r.range(0, 12), r.pick(&[0, 30, 45])),
            71 => format!("John {}:{}, ratio 16:9", r.range(1, 21), r.range(1, 40)),
            72 => format!("0x0000{}", r.hex(12)),
            73 => format!("{}年{}月{}日", y, mo, d),
            _ => format!(
                "{} items, {} of {}",
                r.range(1, 999),
                r.range(1, 9),
                r.range(10, 99)
            ),
        }
    }

    fn words(&mut self, n: usize) -> String {
        (0..n)
            .map(|_| *self.rng.pick(PROSE))
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// A sentence of prose with a look-alike or two in it.
    fn clean_sentence(&mut self) -> String {
        match self.rng.range(0, 5) {
            0 => {
                let (id, ts, amount, v) = (
                    self.rng.range(100_000_000, 999_999_999),
                    self.distractor(),
                    self.distractor(),
                    self.distractor(),
                );
                format!(
                    r#"{{"id": {id}, "status": "shipped", "created_at": "{ts}", "total": "{amount}", "ref": "{v}"}}"#
                )
            }
            1 => {
                let (a, b) = (self.distractor(), self.distractor());
                format!("| {} | {a} | {b} |", self.words(2))
            }
            _ => {
                let lead = self.rng.range(2, 8) as usize;
                let tail = self.rng.range(1, 6) as usize;
                let (a, b) = (self.distractor(), self.distractor());
                let (w1, w2, w3) = (self.words(lead), self.words(tail), self.words(2));
                if self.rng.chance(50) {
                    format!("{} {w1} {a} {w2}.", capitalize(&w3))
                } else {
                    format!("{} {w1} {a}, {w2} {b}.", capitalize(&w3))
                }
            }
        }
    }

    /// A document without personal data: prose, tables and JSON full of look-alikes.
    pub fn clean_document(&mut self) -> String {
        let n = self.rng.range(2, 6);
        let sentences: Vec<String> = (0..n).map(|_| self.clean_sentence()).collect();
        let sep = if self.rng.chance(50) { " " } else { "\n" };
        sentences.join(sep)
    }

    /// A document with one to six pieces of personal data among clean sentences.
    pub fn pii_document(&mut self) -> Document {
        let mut doc = Builder::default();
        let n = self.rng.range(1, 3);
        for i in 0..n {
            if i > 0 {
                doc.text(if self.rng.chance(50) { " " } else { "\n" });
            }
            if self.rng.chance(40) {
                let s = self.clean_sentence();
                doc.text(&s);
                doc.text(" ");
            }
            self.pii_sentence(&mut doc);
        }
        doc.finish()
    }

    /// A sentence (or record) with personal data in a context typical for its kind.
    fn pii_sentence(&mut self, doc: &mut Builder) {
        let (kind, value) = self.sample();
        let r = &mut self.rng;
        let generic: &[(&str, &str)] = &[
            ("Please contact ", " for details."),
            ("", ""),
            ("Customer record: ", ", created yesterday."),
            ("- ", "\n"),
            ("| Jane Doe | ", " | active |"),
            ("<", ">"),
            ("'", "'"),
            ("(", ")"),
            ("[", "]"),
            ("\"", "\""),
            ("Kontakt: ", " — danke."),
            ("連絡先: ", " です"),
            ("Updated to ", "; previous value removed."),
            ("value=", "&next=1"),
            ("\t", "\t"),
        ];
        let specific: &[(&str, &str)] = match kind {
            Kind::Email => &[
                ("mailto:", "?subject=Hello"),
                ("From: Jane Doe <", ">"),
                ("Reply-To: ", "\n"),
                ("Sent from ", " at noon."),
            ],
            Kind::Phone => &[
                ("tel:", ""),
                ("Tel.: ", ""),
                ("Call me at ", " tomorrow."),
                ("Fax ", " (office)"),
                ("Mobil: ", ", Festnetz folgt."),
            ],
            Kind::Card => &[
                ("Charged to card ", " yesterday."),
                ("card_number: ", "\n"),
                ("PAN ", " exp 12/27"),
            ],
            Kind::Iban => &[
                ("IBAN: ", "\n"),
                ("Please transfer the amount to ", "."),
                ("Kontonummer ", ", BIC DEUTDEFF"),
            ],
            Kind::Ssn => &[("SSN: ", "\n"), ("SSN ", " on file"), ("ssn=", ";")],
            Kind::Ip => &[
                ("Login from ", " failed."),
                ("client_ip: ", "\n"),
                ("GET /index.html from ", " 200"),
            ],
            Kind::Name | Kind::Custom(_) => &[],
        };
        let is_v4 = kind == Kind::Ip && !value.contains(':');
        let is_v6 = kind == Kind::Ip && value.contains(':');
        match r.range(0, 9) {
            // A JSON record with a second piece of data and a look-alike.
            0 => {
                let (kind2, value2) = self.sample();
                let ts = self.distractor();
                doc.text(r#"{"contact": ""#);
                doc.pii(kind, &value);
                doc.text(r#"", "created_at": ""#);
                doc.text(&ts);
                doc.text(r#"", "backup": ""#);
                doc.pii(kind2, &value2);
                doc.text(r#"", "id": 100234567}"#);
            }
            // CSV
            1 => {
                let d = self.distractor().replace(',', ";");
                doc.text(&format!("{},", self.rng.range(1, 9999)));
                doc.pii(kind, &value);
                doc.text(&format!(",{d},ok"));
            }
            2 if is_v4 => {
                doc.text("http://");
                doc.pii(kind, &value);
                doc.text(&format!(":{}/health", r.range(1024, 65535)));
            }
            2 if is_v6 => {
                doc.text("https://[");
                doc.pii(kind, &value);
                doc.text("]:443/");
            }
            3 | 4 if !specific.is_empty() => {
                let &(before, after) = r.pick(specific);
                doc.text(before);
                doc.pii(kind, &value);
                doc.text(after);
            }
            // Two of a kind in one sentence.
            5 => {
                let other = self.sample_of(&kind);
                doc.text("Old: ");
                doc.pii(kind.clone(), &value);
                doc.text(", new: ");
                doc.pii(kind, &other);
                doc.text(".");
            }
            _ => {
                let &(before, after) = r.pick(generic);
                doc.text(before);
                doc.pii(kind, &value);
                doc.text(after);
            }
        }
    }
}

/// Builds a document's text and records where the personal data went.
#[derive(Default)]
struct Builder {
    text: String,
    truth: Vec<Span>,
}

impl Builder {
    fn text(&mut self, s: &str) {
        self.text.push_str(s);
    }

    fn pii(&mut self, kind: Kind, value: &str) {
        let start = self.text.len();
        self.text.push_str(value);
        self.truth.push(Span {
            start,
            end: self.text.len(),
            kind,
        });
    }

    fn finish(self) -> Document {
        Document {
            text: self.text,
            truth: self.truth,
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

/// The digit that makes `payload` followed by it Luhn-valid.
fn luhn_check_digit(payload: &[u8]) -> u8 {
    let sum: u32 = payload
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| {
            let d = u32::from(d);
            if i % 2 == 0 {
                let x = d * 2;
                if x > 9 { x - 9 } else { x }
            } else {
                d
            }
        })
        .sum();
    ((10 - sum % 10) % 10) as u8
}

// ---------------------------------------------------------------------------------------------
// Evaluation

/// Found / expected for one kind.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KindRecall {
    pub expected: usize,
    pub found: usize,
}

impl KindRecall {
    pub fn recall(&self) -> f64 {
        ratio(self.found, self.expected)
    }
}

/// What [`evaluate`] measured.
#[derive(Debug, Clone, PartialEq)]
pub struct QualityReport {
    pub seed: u64,
    /// Documents with personal data (there are as many PII-free ones).
    pub documents: usize,
    /// Ground-truth items, and how many a span of the same kind covered exactly.
    pub expected: usize,
    pub found: usize,
    pub recall: f64,
    /// By kind label.
    pub per_kind: BTreeMap<String, KindRecall>,
    /// Spans found in the PII-free documents.
    pub false_positives: usize,
    /// Words (whitespace-separated) in the PII-free documents.
    pub words_clean: usize,
    pub false_positives_per_10k_words: f64,
    /// Spans in the documents with personal data that match no ground-truth item exactly.
    pub spurious: usize,
    /// A few misses and false positives (kind, text), for the report.
    pub missed_samples: Vec<(String, String)>,
    pub false_positive_samples: Vec<(String, String)>,
}

const SAMPLES: usize = 10;

/// Generates `documents` documents with personal data and as many without from `seed`, runs
/// the built-in detectors over them, and reports recall and false positives.
pub fn evaluate(seed: u64, documents: usize) -> QualityReport {
    let detector = Detector::builtin();
    let mut generator = Generator::new(seed);
    let mut per_kind: BTreeMap<String, KindRecall> = SAMPLE_KINDS
        .iter()
        .map(|k| (k.label().to_owned(), KindRecall::default()))
        .collect();
    let (mut expected, mut found, mut spurious) = (0, 0, 0);
    let mut missed_samples = Vec::new();
    for _ in 0..documents {
        let doc = generator.pii_document();
        let spans = detector.find(&doc.text);
        for truth in &doc.truth {
            let entry = per_kind.entry(truth.kind.label().to_owned()).or_default();
            entry.expected += 1;
            expected += 1;
            if spans.contains(truth) {
                entry.found += 1;
                found += 1;
            } else if missed_samples.len() < SAMPLES {
                missed_samples.push((truth.kind.label().to_owned(), doc.text.clone()));
            }
        }
        spurious += spans.iter().filter(|s| !doc.truth.contains(s)).count();
    }

    let (mut false_positives, mut words_clean) = (0, 0);
    let mut false_positive_samples = Vec::new();
    for _ in 0..documents {
        let text = generator.clean_document();
        words_clean += text.split_whitespace().count();
        for span in detector.find(&text) {
            false_positives += 1;
            if false_positive_samples.len() < SAMPLES {
                let piece = text.get(span.start..span.end).unwrap_or("").to_owned();
                false_positive_samples.push((span.kind.label().to_owned(), piece));
            }
        }
    }

    QualityReport {
        seed,
        documents,
        expected,
        found,
        recall: ratio(found, expected),
        per_kind,
        false_positives,
        words_clean,
        false_positives_per_10k_words: if words_clean == 0 {
            0.0
        } else {
            false_positives as f64 * 10_000.0 / words_clean as f64
        },
        spurious,
        missed_samples,
        false_positive_samples,
    }
}

/// `found / expected`, 1 when nothing was expected.
fn ratio(found: usize, expected: usize) -> f64 {
    if expected == 0 {
        1.0
    } else {
        found as f64 / expected as f64
    }
}

impl fmt::Display for QualityReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "PII detection quality: seed {}, {} documents with PII + {} without",
            self.seed, self.documents, self.documents
        )?;
        writeln!(
            f,
            "{:<8} {:>9} {:>9} {:>9}",
            "kind", "expected", "found", "recall"
        )?;
        for (kind, r) in &self.per_kind {
            writeln!(
                f,
                "{kind:<8} {:>9} {:>9} {:>8.2}%",
                r.expected,
                r.found,
                r.recall() * 100.0
            )?;
        }
        writeln!(
            f,
            "{:<8} {:>9} {:>9} {:>8.2}%",
            "all",
            self.expected,
            self.found,
            self.recall * 100.0
        )?;
        writeln!(
            f,
            "false positives: {} in {} PII-free words ({:.2} per 10k words)",
            self.false_positives, self.words_clean, self.false_positives_per_10k_words
        )?;
        write!(f, "spurious spans in documents with PII: {}", self.spurious)?;
        for (kind, text) in &self.missed_samples {
            write!(f, "\nmissed {kind}: {text:?}")?;
        }
        for (kind, text) in &self.false_positive_samples {
            write!(f, "\nfalse positive {kind}: {text:?}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quality_meets_targets() {
        let report = evaluate(0x5EED, 2_000);
        println!("{report}");
        assert!(report.recall >= 0.99, "recall too low:\n{report}");
        assert!(
            report.false_positives_per_10k_words <= 5.0,
            "too many false positives:\n{report}"
        );
        for (kind, r) in &report.per_kind {
            assert!(r.expected > 100, "{kind} under-sampled:\n{report}");
        }
    }

    #[test]
    fn evaluation_is_deterministic() {
        assert_eq!(evaluate(7, 50), evaluate(7, 50));
        let a = Generator::new(1).pii_document().text;
        let b = Generator::new(2).pii_document().text;
        assert_ne!(a, b);
    }

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

    #[test]
    fn truth_spans_point_at_the_values() {
        let mut g = Generator::new(3);
        for _ in 0..200 {
            let doc = g.pii_document();
            for span in &doc.truth {
                assert!(
                    doc.text
                        .get(span.start..span.end)
                        .is_some_and(|s| !s.is_empty())
                );
            }
        }
    }

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
