//! Look-alikes: what is not personal data but has its shape (dates, times, versions, ids,
//! amounts, hashes, ...), for the PII-free documents.

use super::Generator;

impl Generator {
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
}
