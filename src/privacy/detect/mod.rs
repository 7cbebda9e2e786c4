//! Finding personal data in text.
//!
//! [`Detector::find`] runs the built-in detectors (email, phone, card, IBAN, US SSN, IPv4/IPv6)
//! and the configured custom regexes over a string and returns non-overlapping [`Span`]s.
//! Each built-in detector finds candidates by shape and then checks what a shape cannot:
//! checksums (Luhn, mod-97), number ranges, and the characters around the candidate, so that a
//! match is never a piece of a longer word or number (`v1.2.3.4`, `2024-01-15`, an order id).
//!
//! Offsets are byte offsets into the text, always on `char` boundaries.

use std::fmt;

use regex::Regex;

use super::PiiError;

mod card;
mod email;
mod iban;
mod ip;
mod phone;
mod scan;
mod ssn;
#[cfg(test)]
mod test_support;

pub use card::luhn_valid;
pub use iban::{iban_checksum_valid, iban_length, iban_remainder};

use card::cards;
use email::emails;
use iban::ibans;
use ip::{ipv4s, ipv6s};
use phone::phones;
use ssn::ssns;

/// Object keys whose string values are names, when the settings do not say otherwise.
pub const DEFAULT_NAME_FIELDS: &[&str] = &[
    "name",
    "fullName",
    "full_name",
    "firstName",
    "first_name",
    "lastName",
    "last_name",
    "displayName",
];

/// The fewest digits of a phone number any format accepts (see `phone::valid_phone`).
const MIN_DIGITS_PHONE: usize = 8;
/// The fewest digits of a card number (see `card::card_at`).
const MIN_DIGITS_CARD: usize = 13;
/// A US SSN's digits.
const MIN_DIGITS_SSN: usize = 9;
/// The shortest IBAN the pattern takes: country, check digits and 11 characters.
const MIN_IBAN_LEN: usize = 15;

/// What a span of personal data is.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    Email,
    Phone,
    /// A payment card number (Luhn-valid, known issuer prefix).
    Card,
    Iban,
    /// A US social security number.
    Ssn,
    /// An IPv4 or IPv6 address.
    Ip,
    /// The value of a name field (never found in free text).
    Name,
    /// A configured pattern; holds its label.
    Custom(String),
}

impl Kind {
    /// The label used in tokens: `EMAIL` in `[EMAIL_1]`.
    pub fn label(&self) -> &str {
        match self {
            Kind::Email => "EMAIL",
            Kind::Phone => "PHONE",
            Kind::Card => "CARD",
            Kind::Iban => "IBAN",
            Kind::Ssn => "SSN",
            Kind::Ip => "IP",
            Kind::Name => "NAME",
            Kind::Custom(label) => label,
        }
    }

    /// Tie-break between spans with the same bounds: the higher rank wins. Phone shapes are
    /// the loosest, custom patterns are the user's explicit word.
    fn rank(&self) -> u8 {
        match self {
            Kind::Phone => 0,
            Kind::Custom(_) => 2,
            _ => 1,
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// A piece of personal data: `text[start..end]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Span {
    pub start: usize,
    pub end: usize,
    pub kind: Kind,
}

/// Finds personal data in strings. Cheap to clone; built once per (server, tool) from the
/// settings, or with [`Detector::builtin`] and the `with_*` methods.
#[derive(Debug, Clone)]
pub struct Detector {
    name_fields: Vec<String>,
    patterns: Vec<(Kind, Regex)>,
}

impl Default for Detector {
    fn default() -> Self {
        Self::builtin()
    }
}

impl Detector {
    /// The built-in detectors and the default name fields.
    pub fn builtin() -> Self {
        Detector {
            name_fields: DEFAULT_NAME_FIELDS
                .iter()
                .map(|f| (*f).to_owned())
                .collect(),
            patterns: Vec::new(),
        }
    }

    /// Replaces the name fields (object keys matched exactly, case-sensitively).
    pub fn with_name_fields<I, S>(mut self, fields: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.name_fields = fields.into_iter().map(Into::into).collect();
        self
    }

    /// Adds a custom pattern; `kind` and `regex` are checked as in the settings.
    pub fn with_pattern(self, kind: &str, regex: &str) -> Result<Self, PiiError> {
        let compiled = compile_pattern("pattern", kind, regex)?;
        Ok(self.with_compiled_pattern(kind, compiled))
    }

    /// Adds an already checked pattern.
    pub(crate) fn with_compiled_pattern(mut self, kind: &str, regex: Regex) -> Self {
        self.patterns.push((Kind::Custom(kind.to_owned()), regex));
        self
    }

    /// The object keys whose string values are names.
    pub fn name_fields(&self) -> &[String] {
        &self.name_fields
    }

    /// Whether values under object key `key` are names.
    pub fn is_name_field(&self, key: &str) -> bool {
        self.name_fields.iter().any(|f| f == key)
    }

    /// The personal data in `text`: sorted, non-overlapping spans. Where candidates overlap,
    /// the earlier start wins, then the longer span, then the more specific kind (custom over
    /// built-in, any built-in over phone).
    pub fn find(&self, text: &str) -> Vec<Span> {
        self.find_counted(text, Counts::of(text))
    }

    /// [`Detector::find`], given what `text` holds.
    fn find_counted(&self, text: &str, Counts { digits, dots }: Counts) -> Vec<Span> {
        let mut spans = Vec::new();
        if text.contains('@') {
            push_all(&mut spans, Kind::Email, emails(text));
        }
        if digits >= MIN_DIGITS_PHONE {
            push_all(&mut spans, Kind::Phone, phones(text));
        }
        if digits >= MIN_DIGITS_CARD {
            push_all(&mut spans, Kind::Card, cards(text));
        }
        if digits >= 2 && text.len() >= MIN_IBAN_LEN {
            push_all(&mut spans, Kind::Iban, ibans(text));
        }
        if digits >= MIN_DIGITS_SSN {
            push_all(&mut spans, Kind::Ssn, ssns(text));
        }
        if digits >= 4 && dots >= 3 {
            push_all(&mut spans, Kind::Ip, ipv4s(text));
        }
        if text.contains(':') {
            push_all(&mut spans, Kind::Ip, ipv6s(text));
        }
        for (kind, regex) in &self.patterns {
            let found = regex
                .find_iter(text)
                .filter(|m| !m.is_empty())
                .map(|m| (m.start(), m.end()));
            push_all(&mut spans, kind.clone(), found);
        }
        resolve_overlaps(spans)
    }
}

/// What [`Detector::find`] counts first. Most strings of a tool result (ids, titles, dates)
/// hold too few digits for any number-shaped kind: each detector runs only where its fewest
/// digits are present.
#[derive(Debug, Clone, Copy)]
struct Counts {
    digits: usize,
    dots: usize,
}

impl Counts {
    fn of(text: &str) -> Self {
        let (mut digits, mut dots) = (0, 0);
        for b in text.bytes() {
            digits += usize::from(b.is_ascii_digit());
            dots += usize::from(b == b'.');
        }
        Self { digits, dots }
    }
}

/// Checks a custom pattern's kind and compiles its regex; `at` names the entry in errors.
pub(crate) fn compile_pattern(at: &str, kind: &str, regex: &str) -> Result<Regex, PiiError> {
    let kind_ok = (1..=40).contains(&kind.len())
        && kind
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_');
    if !kind_ok {
        return Err(PiiError::Kind {
            at: at.to_owned(),
            kind: kind.to_owned(),
        });
    }
    let compiled = Regex::new(regex).map_err(|e| PiiError::Regex {
        at: at.to_owned(),
        kind: kind.to_owned(),
        message: e.to_string(),
    })?;
    if compiled.is_match("") {
        return Err(PiiError::EmptyMatch {
            at: at.to_owned(),
            kind: kind.to_owned(),
        });
    }
    Ok(compiled)
}

fn push_all(spans: &mut Vec<Span>, kind: Kind, found: impl IntoIterator<Item = (usize, usize)>) {
    spans.extend(found.into_iter().map(|(start, end)| Span {
        start,
        end,
        kind: kind.clone(),
    }));
}

fn resolve_overlaps(mut spans: Vec<Span>) -> Vec<Span> {
    spans.sort_by(|a, b| {
        a.start
            .cmp(&b.start)
            .then((b.end - b.start).cmp(&(a.end - a.start)))
            .then(b.kind.rank().cmp(&a.kind.rank()))
    });
    let mut out: Vec<Span> = Vec::with_capacity(spans.len());
    let mut last_end = 0;
    for span in spans {
        if span.start >= last_end {
            last_end = span.end;
            out.push(span);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::test_support::found;
    use super::*;

    #[test]
    fn custom_patterns_and_priorities() {
        let d = Detector::builtin()
            .with_pattern("EMP_ID", r"EMP-\d{6}")
            .expect("valid")
            .with_pattern("ACCT", r"\d{3}-\d{3}-\d{4}")
            .expect("valid");
        let text = "EMP-123456 called 415-555-2671";
        let spans = d.find(text);
        assert_eq!(
            spans,
            vec![
                Span {
                    start: 0,
                    end: 10,
                    kind: Kind::Custom("EMP_ID".into())
                },
                // Identical span: the custom kind beats phone.
                Span {
                    start: 18,
                    end: 30,
                    kind: Kind::Custom("ACCT".into())
                },
            ]
        );
        assert!(matches!(
            Detector::builtin().with_pattern("bad", "x"),
            Err(PiiError::Kind { .. })
        ));
    }

    #[test]
    fn overlaps_earlier_then_longer() {
        let spans = resolve_overlaps(vec![
            Span {
                start: 5,
                end: 9,
                kind: Kind::Phone,
            },
            Span {
                start: 2,
                end: 6,
                kind: Kind::Phone,
            },
            Span {
                start: 2,
                end: 8,
                kind: Kind::Phone,
            },
            Span {
                start: 2,
                end: 8,
                kind: Kind::Card,
            },
            Span {
                start: 8,
                end: 10,
                kind: Kind::Ip,
            },
        ]);
        assert_eq!(
            spans,
            vec![
                Span {
                    start: 2,
                    end: 8,
                    kind: Kind::Card
                },
                Span {
                    start: 8,
                    end: 10,
                    kind: Kind::Ip
                },
            ]
        );
    }

    proptest::proptest! {
        /// The digit counts only skip detectors that could not find anything: every detector
        /// run on every string finds the same.
        #[test]
        fn counts_skip_only_what_cannot_match(text in "[0-9 .:+()/a-zA-Z@-]{0,40}") {
            let d = Detector::builtin();
            let all = Counts { digits: usize::MAX, dots: usize::MAX };
            proptest::prop_assert_eq!(d.find(&text), d.find_counted(&text, all));
        }
    }

    #[test]
    fn counts_skip_only_what_cannot_match_at_the_edges() {
        let d = Detector::builtin();
        let all = Counts {
            digits: usize::MAX,
            dots: usize::MAX,
        };
        // The shortest of each kind, and a digit short of them.
        for text in [
            "+49 30 9018",
            "030 901820",
            "(415) 555-2671",
            "4111 1111 1111 1111",
            "378282246310005",
            "DE89 3704 0044 0532 0130 00",
            "NO9386011117947",
            "078-05-1120",
            "1.2.3.4",
            "10.0.0.1",
            "+49 30 901",
            "078-05-112",
        ] {
            assert_eq!(d.find(text), d.find_counted(text, all), "{text}");
        }
        assert_eq!(found("call 030 901820 now").len(), 1);
        assert_eq!(found("NO9386011117947").len(), 1);
        assert_eq!(found("at 1.2.3.4").len(), 1);
    }

    #[test]
    fn no_panics_on_awkward_input() {
        let d = Detector::builtin();
        for text in [
            "",
            "+",
            "(",
            "((((",
            "+(",
            "@",
            "::",
            ":::::::",
            "é@é.é",
            "🙂415-555-2671🙂",
            "1".repeat(10_000).as_str(),
            "1 ".repeat(5_000).as_str(),
            ":1".repeat(5_000).as_str(),
            "a@".repeat(3_000).as_str(),
            "DE89".repeat(100).as_str(),
        ] {
            let _ = d.find(text);
        }
        assert_eq!(
            found("🙂415-555-2671🙂"),
            vec![("PHONE".into(), "415-555-2671")]
        );
    }
}
