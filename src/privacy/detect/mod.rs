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
use std::net::Ipv6Addr;
use std::sync::LazyLock;

use regex::Regex;

use super::PiiError;

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
        let mut spans = Vec::new();
        let has_digit = text.bytes().any(|b| b.is_ascii_digit());
        if text.contains('@') {
            push_all(&mut spans, Kind::Email, emails(text));
        }
        if has_digit {
            push_all(&mut spans, Kind::Phone, phones(text));
            push_all(&mut spans, Kind::Card, cards(text));
            push_all(&mut spans, Kind::Iban, ibans(text));
            push_all(&mut spans, Kind::Ssn, ssns(text));
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

// ---------------------------------------------------------------------------------------------
// Context around a candidate

/// Characters that join digit groups into one larger token (`2024-01-15`, `1.2.3`, `12:30`,
/// `01/15`): a candidate next to one of these followed by a digit is a piece of something else.
const NUMBER_JOINERS: &[char] = &['.', '-', '/', ':'];

fn is_word(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Whether what comes before `at` lets a candidate start there: no word character, and no
/// joiner preceded by a digit.
fn left_clear(text: &str, at: usize, joiners: &[char]) -> bool {
    let mut before = text.get(..at).unwrap_or("").chars().rev();
    match before.next() {
        None => true,
        Some(c) if is_word(c) => false,
        Some(c) if joiners.contains(&c) => !before.next().is_some_and(|d| d.is_ascii_digit()),
        Some(_) => true,
    }
}

/// Whether what comes after `at` lets a candidate end there: no word character, and no joiner
/// followed by a digit.
fn right_clear(text: &str, at: usize, joiners: &[char]) -> bool {
    let mut after = text.get(at..).unwrap_or("").chars();
    match after.next() {
        None => true,
        Some(c) if is_word(c) => false,
        Some(c) if joiners.contains(&c) => !after.next().is_some_and(|d| d.is_ascii_digit()),
        Some(_) => true,
    }
}

/// Runs `regex` over `text` and keeps the matches `accept` approves (possibly narrowed). After
/// any match the search goes on from its next character: a rejected candidate cannot hide a
/// valid one that starts inside it, and an accepted one that loses to another kind's span in
/// [`resolve_overlaps`] cannot hide one that does not overlap the winner.
fn scan_regex(
    regex: &Regex,
    text: &str,
    mut accept: impl FnMut(usize, usize) -> Option<(usize, usize)>,
) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut pos = 0;
    while pos <= text.len() {
        let Some(m) = regex.find_at(text, pos) else {
            break;
        };
        if let Some((start, end)) = accept(m.start(), m.end())
            && end > start
        {
            out.push((start, end));
        }
        pos = next_char(text, m.start());
    }
    out
}

/// The offset of the character after the one at `at`.
fn next_char(text: &str, at: usize) -> usize {
    at + text
        .get(at..)
        .and_then(|s| s.chars().next())
        .map_or(1, char::len_utf8)
}

// ---------------------------------------------------------------------------------------------
// Email

/// Characters of an address's local part and domain labels, besides `_%+-`: ASCII letters
/// and digits, and the letters (with combining marks) of Latin, Greek and Cyrillic scripts, so
/// that `josé@exämple.de` is found but a run of CJK text before an address is not taken in.
const EMAIL_LETTERS: &str = r"0-9A-Za-z\x{00C0}-\x{024F}\x{0300}-\x{036F}\x{0370}-\x{03FF}\x{0400}-\x{04FF}\x{1E00}-\x{1EFF}";

static EMAIL: LazyLock<Regex> = LazyLock::new(|| {
    let l = EMAIL_LETTERS;
    Regex::new(&format!(
        r"(?x)
        [{l}_%+-]{{1,64}} (?:[.'][{l}_%+-]{{1,64}}){{0,16}}
        @
        (?:[{l}](?:[{l}-]{{0,61}}[{l}])?\.){{1,8}}
        [A-Za-z]{{2,24}}"
    ))
    .expect("email pattern compiles")
});

/// Whether `c` could continue an address (see [`EMAIL_LETTERS`]).
fn is_email_char(c: char) -> bool {
    c.is_ascii_alphanumeric()
        || matches!(c, '_' | '-' | '%' | '+')
        || matches!(c, '\u{00C0}'..='\u{024F}'
            | '\u{0300}'..='\u{036F}'
            | '\u{0370}'..='\u{03FF}'
            | '\u{0400}'..='\u{04FF}'
            | '\u{1E00}'..='\u{1EFF}')
}

/// Endings that make `logo@2x.png` a file name, not an address.
const FILE_EXTENSIONS: &[&str] = &[
    "png", "jpg", "jpeg", "gif", "svg", "webp", "bmp", "ico", "tif", "tiff", "js", "mjs", "ts",
    "tsx", "jsx", "css", "json", "txt", "html", "htm", "md", "pdf", "yaml", "yml", "toml", "lock",
];

fn emails(text: &str) -> Vec<(usize, usize)> {
    scan_regex(&EMAIL, text, |start, end| {
        let s = &text[start..end];
        let local_len = s.find('@').unwrap_or(0);
        let tld = s.rsplit('.').next().unwrap_or("");
        let before = text[..start].chars().next_back();
        let mut after = text[end..].chars();
        let (next, next2) = (after.next(), after.next());
        let glued = before.is_some_and(|c| is_email_char(c) || c == '@')
            || next.is_some_and(|c| is_email_char(c) || c == '@');
        // `a@b.com.x` is cut short; `git@github.com:org/repo` is an scp-style remote.
        let cut_short = next == Some('.') && next2.is_some_and(is_word);
        let remote = next == Some(':') && next2.is_some_and(|c| !c.is_whitespace());
        let file_name = FILE_EXTENSIONS
            .iter()
            .any(|ext| tld.eq_ignore_ascii_case(ext));
        let ok = local_len <= 64 && !(glued || cut_short || remote || file_name);
        ok.then_some((start, end))
    })
}

// ---------------------------------------------------------------------------------------------
// Phone

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

fn phones(text: &str) -> Vec<(usize, usize)> {
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

/// [`right_clear`] for phone numbers, which are also not followed by a joiner and a letter, nor
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

// ---------------------------------------------------------------------------------------------
// Payment card

fn cards(text: &str) -> Vec<(usize, usize)> {
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

// ---------------------------------------------------------------------------------------------
// IBAN

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

fn ibans(text: &str) -> Vec<(usize, usize)> {
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

// ---------------------------------------------------------------------------------------------
// US social security number

static SSN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?-u:\b)[0-9]{3}(?:-[0-9]{2}-|\x20[0-9]{2}\x20)[0-9]{4}(?-u:\b)")
        .expect("SSN pattern compiles")
});

fn ssns(text: &str) -> Vec<(usize, usize)> {
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

// ---------------------------------------------------------------------------------------------
// IP addresses

static IPV4: LazyLock<Regex> = LazyLock::new(|| {
    let octet = r"(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])";
    Regex::new(&format!(r"(?-u:\b){octet}(?:\.{octet}){{3}}(?-u:\b)"))
        .expect("IPv4 pattern compiles")
});

fn ipv4s(text: &str) -> Vec<(usize, usize)> {
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

fn ipv6s(text: &str) -> Vec<(usize, usize)> {
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
    use super::*;

    fn found(text: &str) -> Vec<(String, &str)> {
        Detector::builtin()
            .find(text)
            .into_iter()
            .map(|s| (s.kind.label().to_owned(), &text[s.start..s.end]))
            .collect()
    }

    /// Asserts that `sample`, in a sentence, is found whole as `kind`.
    #[track_caller]
    fn assert_found(kind: &str, sample: &str) {
        for text in [
            sample.to_owned(),
            format!("Contact: {sample}."),
            format!("({sample})"),
            format!("\"{sample}\","),
            format!("x {sample}\ny"),
        ] {
            let spans = found(&text);
            assert_eq!(
                spans,
                vec![(kind.to_owned(), sample)],
                "in {text:?}: expected {kind} {sample:?}"
            );
        }
    }

    #[track_caller]
    fn assert_none(text: &str) {
        assert_eq!(found(text), vec![], "expected nothing in {text:?}");
    }

    #[test]
    fn emails_of_varied_shapes() {
        for email in [
            "jane.doe@example.com",
            "j.doe+newsletter@mail.example.co.uk",
            "JOHN_SMITH@EXAMPLE.ORG",
            "o'brien@example.ie",
            "user-42@sub-domain.example.io",
            "x@y.de",
            "first.middle.last@uni-berlin.de",
            "1234567@students.example.edu",
            "josé.garcía@example.es",
            "jane@exämple.de",
        ] {
            assert_found("EMAIL", email);
        }
        assert_eq!(
            found("メールはann@example.comです"),
            vec![("EMAIL".into(), "ann@example.com")]
        );
        assert_eq!(
            found("mailto:ana@example.com?subject=hi"),
            vec![("EMAIL".into(), "ana@example.com")]
        );
        assert_eq!(
            found("<ana@example.com>, bob@example.net"),
            vec![
                ("EMAIL".into(), "ana@example.com"),
                ("EMAIL".into(), "bob@example.net")
            ]
        );
    }

    #[test]
    fn email_negatives() {
        for text in [
            "logo@2x.png",
            "icon@3x.svg",
            "lodash@4.17.21",
            "@scope/package",
            "follow @jane on",
            "user@localhost",
            "a@b.c",
            "name@example.com1",
            "name@example.com-foo",
            "éclair@",
            "git@github.com:org/repo.git",
        ] {
            assert_none(text);
        }
    }

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
