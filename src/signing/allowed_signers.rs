//! git/OpenSSH `allowed_signers` files (see `ssh-keygen(1)`, "ALLOWED
//! SIGNERS"): who may sign, for which namespaces, during which time window.
//!
//! ```text
//! # comment
//! alice@example.com ssh-ed25519 AAAAC3Nza... alice's laptop
//! "bob@example.com,robert@example.com" namespaces="skillet-skill-review@skillet,git" ssh-ed25519 AAAA...
//! *@ops.example.com valid-after="20240101",valid-before="20250101Z" ssh-ed25519 AAAA...
//! ```
//!
//! Each line is `principals [options] keytype base64-key [comment]`:
//! - principals: comma-separated patterns (`*` and `?` globs, `!` negates),
//!   optionally double-quoted;
//! - options (comma-separated, names case-insensitive):
//!   `namespaces="pattern,..."`, `valid-after=TIME`, `valid-before=TIME` with
//!   `TIME` = `YYYYMMDD[HHMM[SS]][Z]` (both bounds inclusive, as in OpenSSH).
//!   Times are read as UTC whether or not they end in `Z` (OpenSSH reads
//!   times without `Z` as local time; write the `Z` to be unambiguous).
//!   `cert-authority` is refused: list each reviewer's key instead.
//! - keys other than ed25519 are accepted in the file (it may be shared with
//!   git) but never match a skillet signature.

use std::path::{Path, PathBuf};

use ssh_key::PublicKey;

use super::SigningError;

/// One parsed line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllowedSigner {
    /// 1-based line number in the file.
    pub line: usize,
    /// Principal patterns as written.
    pub principals: Vec<String>,
    /// `namespaces=` patterns as written (`None`: any namespace).
    pub namespaces: Option<String>,
    /// Unix seconds, inclusive.
    pub valid_after: Option<u64>,
    /// Unix seconds, inclusive.
    pub valid_before: Option<u64>,
    /// The key type as written (`ssh-ed25519`, ...).
    pub key_type: String,
    /// The key, or `None` for key types this build cannot decode.
    pub key: Option<PublicKey>,
}

/// Why a key is not accepted for a namespace at a time.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Rejection {
    #[error("the key is not listed in allowed_signers")]
    UnknownKey,
    #[error("allowed_signers line {line} allows this key only for namespaces {allowed:?}")]
    NamespaceNotAllowed { allowed: String, line: usize },
    #[error(
        "allowed_signers line {line}: the key is not valid before {}",
        format_time(*after)
    )]
    NotYetValid { after: u64, line: usize },
    #[error(
        "allowed_signers line {line}: the key expired at {}",
        format_time(*before)
    )]
    Expired { before: u64, line: usize },
    #[error("the key is not listed for principal {principal:?} (it is listed for {listed:?})")]
    PrincipalMismatch {
        principal: String,
        listed: Vec<String>,
    },
}

impl Rejection {
    /// Higher is "closer to accepted"; used to pick the most useful reason.
    fn rank(&self) -> u8 {
        match self {
            Rejection::UnknownKey => 0,
            Rejection::PrincipalMismatch { .. } => 1,
            Rejection::NamespaceNotAllowed { .. } => 2,
            Rejection::NotYetValid { .. } | Rejection::Expired { .. } => 3,
        }
    }
}

impl AllowedSigner {
    fn key_matches(&self, key: &PublicKey) -> bool {
        self.key
            .as_ref()
            .is_some_and(|k| k.key_data() == key.key_data())
    }

    fn principal_matches(&self, principal: &str) -> bool {
        match_pattern_list(principal, self.principals.iter().map(String::as_str))
    }

    fn accepts(&self, namespace: &str, at: u64) -> Result<(), Rejection> {
        if let Some(allowed) = &self.namespaces
            && !match_pattern_list(namespace, allowed.split(','))
        {
            return Err(Rejection::NamespaceNotAllowed {
                allowed: allowed.clone(),
                line: self.line,
            });
        }
        if let Some(after) = self.valid_after
            && at < after
        {
            return Err(Rejection::NotYetValid {
                after,
                line: self.line,
            });
        }
        if let Some(before) = self.valid_before
            && at > before
        {
            return Err(Rejection::Expired {
                before,
                line: self.line,
            });
        }
        Ok(())
    }
}

/// A parsed `allowed_signers` file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AllowedSigners {
    pub path: PathBuf,
    pub entries: Vec<AllowedSigner>,
}

impl AllowedSigners {
    /// Read and parse `path`.
    pub fn load(path: &Path) -> Result<Self, SigningError> {
        let text = fs_err::read_to_string(path)?;
        Self::parse(&text, path)
    }

    /// Parse file content; `path` is only used in error messages.
    pub fn parse(text: &str, path: &Path) -> Result<Self, SigningError> {
        let mut entries = Vec::new();
        for (i, raw) in text.lines().enumerate() {
            let line = i + 1;
            let content = raw.trim();
            if content.is_empty() || content.starts_with('#') {
                continue;
            }
            let entry =
                parse_line(content, line).map_err(|message| SigningError::AllowedSigners {
                    path: path.to_path_buf(),
                    line,
                    message,
                })?;
            entries.push(entry);
        }
        Ok(Self {
            path: path.to_path_buf(),
            entries,
        })
    }

    /// Principals (patterns as written) whose entry lists `key`, allows
    /// `namespace`, and is valid at `at` (unix seconds).
    pub fn principals_for(&self, key: &PublicKey, namespace: &str, at: u64) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for e in &self.entries {
            if e.key_matches(key) && e.accepts(namespace, at).is_ok() {
                for p in &e.principals {
                    if !p.starts_with('!') && !out.contains(p) {
                        out.push(p.clone());
                    }
                }
            }
        }
        out
    }

    /// Is `key` allowed to sign in `namespace` at `at` (unix seconds), as
    /// `principal` if given? Returns the principal (the one given, else the
    /// first listed for the accepting entry) or the most specific reason for
    /// refusal.
    pub fn check(
        &self,
        key: &PublicKey,
        principal: Option<&str>,
        namespace: &str,
        at: u64,
    ) -> Result<String, Rejection> {
        let by_key: Vec<&AllowedSigner> =
            self.entries.iter().filter(|e| e.key_matches(key)).collect();
        if by_key.is_empty() {
            return Err(Rejection::UnknownKey);
        }
        let candidates: Vec<&AllowedSigner> = match principal {
            Some(p) => by_key
                .iter()
                .copied()
                .filter(|e| e.principal_matches(p))
                .collect(),
            None => by_key.clone(),
        };
        if candidates.is_empty() {
            let mut listed: Vec<String> = Vec::new();
            for e in &by_key {
                for p in &e.principals {
                    if !listed.contains(p) {
                        listed.push(p.clone());
                    }
                }
            }
            return Err(Rejection::PrincipalMismatch {
                principal: principal.unwrap_or_default().to_owned(),
                listed,
            });
        }
        let mut best: Option<Rejection> = None;
        for e in candidates {
            match e.accepts(namespace, at) {
                Ok(()) => {
                    let p = match principal {
                        Some(p) => p.to_owned(),
                        None => e
                            .principals
                            .iter()
                            .find(|p| !p.starts_with('!'))
                            .cloned()
                            .unwrap_or_default(),
                    };
                    return Ok(p);
                }
                Err(r) => {
                    if best.as_ref().is_none_or(|b| r.rank() > b.rank()) {
                        best = Some(r);
                    }
                }
            }
        }
        Err(best.unwrap_or(Rejection::UnknownKey))
    }
}

const USAGE: &str = "expected `principals [options] keytype base64-key [comment]`";

fn parse_line(line: &str, line_no: usize) -> Result<AllowedSigner, String> {
    let (principals_raw, rest) = take_field(line)?;
    let principals: Vec<String> = principals_raw
        .split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(str::to_owned)
        .collect();
    if principals.is_empty() {
        return Err(format!("empty principals; {USAGE}"));
    }
    let rest = rest.trim_start();
    if rest.is_empty() {
        return Err(format!("missing public key after the principals; {USAGE}"));
    }

    let mut entry = AllowedSigner {
        line: line_no,
        principals,
        namespaces: None,
        valid_after: None,
        valid_before: None,
        key_type: String::new(),
        key: None,
    };

    let first = rest.split_whitespace().next().unwrap_or_default();
    let rest = if looks_like_key_type(first) {
        rest
    } else {
        let (options, rest) = parse_options(rest)?;
        for (name, value) in options {
            apply_option(&mut entry, &name, value)?;
        }
        rest.trim_start()
    };

    let mut parts = rest.splitn(3, char::is_whitespace);
    let key_type = parts.next().unwrap_or_default();
    let Some(b64) = parts.next().map(str::trim).filter(|s| !s.is_empty()) else {
        return Err(if key_type.is_empty() {
            format!("missing public key; {USAGE}")
        } else {
            format!("missing base64 key data after {key_type:?}; {USAGE}")
        });
    };
    let comment = parts.next().unwrap_or_default().trim();
    if key_type.contains("-cert-v01@openssh.com") {
        return Err(format!(
            "certificate key type {key_type:?} is not supported by skillet; list each reviewer's plain key"
        ));
    }
    if !looks_like_key_type(key_type) {
        return Err(format!("unknown key type {key_type:?}; {USAGE}"));
    }
    entry.key_type = key_type.to_owned();
    match PublicKey::from_openssh(&format!("{key_type} {b64}")) {
        Ok(mut key) => {
            key.set_comment(comment);
            entry.key = Some(key);
        }
        // Decodable by OpenSSH but not by this build (e.g. ECDSA): keep the
        // line, it simply never matches a skillet signature.
        Err(_) if key_type.starts_with("ecdsa-sha2-") || key_type.starts_with("sk-ecdsa-") => {}
        Err(e) => return Err(format!("invalid {key_type} public key: {e}")),
    }
    Ok(entry)
}

fn looks_like_key_type(s: &str) -> bool {
    s.starts_with("ssh-")
        || s.starts_with("ecdsa-sha2-")
        || s.starts_with("sk-")
        || s.starts_with("rsa-sha2-")
}

/// First whitespace-delimited field, honoring one pair of double quotes.
fn take_field(s: &str) -> Result<(&str, &str), String> {
    if let Some(inner) = s.strip_prefix('"') {
        let Some(end) = inner.find('"') else {
            return Err("unterminated quote in principals".to_owned());
        };
        let rest = &inner[end + 1..];
        if !rest.is_empty() && !rest.starts_with(char::is_whitespace) {
            return Err("expected whitespace after the quoted principals".to_owned());
        }
        Ok((&inner[..end], rest))
    } else {
        let end = s.find(char::is_whitespace).unwrap_or(s.len());
        Ok((&s[..end], &s[end..]))
    }
}

/// `name[=value]{,name[=value]}` up to unquoted whitespace. Values may be
/// double-quoted (and then contain commas and spaces).
#[allow(clippy::type_complexity)]
fn parse_options(s: &str) -> Result<(Vec<(String, Option<String>)>, &str), String> {
    let mut out = Vec::new();
    let mut rest = s;
    loop {
        let name_end = rest
            .find(|c: char| c == '=' || c == ',' || c.is_whitespace())
            .unwrap_or(rest.len());
        let name = &rest[..name_end];
        if name.is_empty() {
            return Err(format!("empty option name; {USAGE}"));
        }
        rest = &rest[name_end..];
        let mut value = None;
        if let Some(after_eq) = rest.strip_prefix('=') {
            if let Some(inner) = after_eq.strip_prefix('"') {
                let Some(end) = inner.find('"') else {
                    return Err(format!("unterminated quote in option {name:?}"));
                };
                value = Some(inner[..end].to_owned());
                rest = &inner[end + 1..];
            } else {
                let end = after_eq
                    .find(|c: char| c == ',' || c.is_whitespace())
                    .unwrap_or(after_eq.len());
                value = Some(after_eq[..end].to_owned());
                rest = &after_eq[end..];
            }
        }
        out.push((name.to_owned(), value));
        if let Some(r) = rest.strip_prefix(',') {
            rest = r;
            continue;
        }
        if rest.is_empty() || rest.starts_with(char::is_whitespace) {
            return Ok((out, rest));
        }
        return Err(format!("unexpected text after option {name:?}; {USAGE}"));
    }
}

fn apply_option(
    entry: &mut AllowedSigner,
    name: &str,
    value: Option<String>,
) -> Result<(), String> {
    let lower = name.to_ascii_lowercase();
    let need_value = |v: Option<String>| {
        v.filter(|v| !v.is_empty())
            .ok_or_else(|| format!("option {name:?} needs a value: {name}=\"...\""))
    };
    match lower.as_str() {
        "cert-authority" => Err(
            "cert-authority lines are not supported by skillet; list each reviewer's key"
                .to_owned(),
        ),
        "namespaces" => {
            if entry.namespaces.is_some() {
                return Err("duplicate namespaces option".to_owned());
            }
            entry.namespaces = Some(need_value(value)?);
            Ok(())
        }
        "valid-after" | "valid-before" => {
            let v = need_value(value)?;
            let t = parse_time(&v).ok_or_else(|| {
                format!("invalid {lower} time {v:?}: expected YYYYMMDD[HHMM[SS]][Z]")
            })?;
            let slot = if lower == "valid-after" {
                &mut entry.valid_after
            } else {
                &mut entry.valid_before
            };
            if slot.replace(t).is_some() {
                return Err(format!("duplicate {lower} option"));
            }
            Ok(())
        }
        _ if looks_like_key_type(name) => Err(format!("unexpected text before the key; {USAGE}")),
        _ => Err(format!(
            "unsupported option {name:?} (supported: namespaces, valid-after, valid-before); {USAGE}"
        )),
    }
}

/// OpenSSH `match_pattern_list`: any positive pattern matches and no
/// negated (`!pattern`) one does.
fn match_pattern_list<'a>(s: &str, patterns: impl IntoIterator<Item = &'a str>) -> bool {
    let mut matched = false;
    for p in patterns {
        let p = p.trim();
        if let Some(neg) = p.strip_prefix('!') {
            if glob(neg, s) {
                return false;
            }
        } else if glob(p, s) {
            matched = true;
        }
    }
    matched
}

/// `*` (any sequence) and `?` (any one character) glob, iterative.
pub fn glob(pattern: &str, s: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = s.chars().collect();
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        match p.get(pi) {
            Some('*') => {
                star = Some((pi, ti));
                pi += 1;
            }
            Some(&c) if c == '?' || c == t[ti] => {
                pi += 1;
                ti += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    pi = sp + 1;
                    ti = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

/// `YYYYMMDD[HHMM[SS]][Z]` to unix seconds (always read as UTC).
fn parse_time(s: &str) -> Option<u64> {
    let digits = s.strip_suffix(['Z', 'z']).unwrap_or(s);
    if !digits.bytes().all(|b| b.is_ascii_digit()) || ![8, 12, 14].contains(&digits.len()) {
        return None;
    }
    let num = |r: std::ops::Range<usize>| digits.get(r).and_then(|x| x.parse::<u64>().ok());
    let (y, m, d) = (num(0..4)?, num(4..6)?, num(6..8)?);
    let (hh, mm, ss) = match digits.len() {
        8 => (0, 0, 0),
        12 => (num(8..10)?, num(10..12)?, 0),
        _ => (num(8..10)?, num(10..12)?, num(12..14)?),
    };
    if !(1970..=9999).contains(&y)
        || !(1..=12).contains(&m)
        || d < 1
        || d > days_in_month(y, m)
        || hh > 23
        || mm > 59
        || ss > 59
    {
        return None;
    }
    let days = days_from_civil(y, m, d);
    Some(days * 86_400 + hh * 3600 + mm * 60 + ss)
}

fn is_leap(y: u64) -> bool {
    (y.is_multiple_of(4) && !y.is_multiple_of(100)) || y.is_multiple_of(400)
}

fn days_in_month(y: u64, m: u64) -> u64 {
    match m {
        2 if is_leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 for a date in 1970..=9999.
fn days_from_civil(y: u64, m: u64, d: u64) -> u64 {
    let mut days = 0;
    for year in 1970..y {
        days += if is_leap(year) { 366 } else { 365 };
    }
    for month in 1..m {
        days += days_in_month(y, month);
    }
    days + d - 1
}

/// `YYYY-MM-DD HH:MM:SS UTC` for messages.
pub fn format_time(t: u64) -> String {
    let mut days = t / 86_400;
    let secs = t % 86_400;
    let mut y = 1970;
    loop {
        let len = if is_leap(y) { 366 } else { 365 };
        if days < len {
            break;
        }
        days -= len;
        y += 1;
    }
    let mut m = 1;
    while days >= days_in_month(y, m) {
        days -= days_in_month(y, m);
        m += 1;
    }
    format!(
        "{y:04}-{m:02}-{:02} {:02}:{:02}:{:02} UTC",
        days + 1,
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signing::{NAMESPACE, Signer, SshKeySigner};

    fn key(seed: u8) -> PublicKey {
        SshKeySigner::from_seed([seed; 32], "").public_key()
    }

    fn openssh(seed: u8) -> String {
        key(seed).to_openssh().unwrap()
    }

    fn parse(text: &str) -> Result<AllowedSigners, SigningError> {
        AllowedSigners::parse(text, Path::new("signing/allowed_signers"))
    }

    const T2024: u64 = 1_704_067_200; // 2024-01-01 00:00:00 UTC

    #[test]
    fn time_parsing() {
        assert_eq!(parse_time("20240101"), Some(T2024));
        assert_eq!(parse_time("20240101Z"), Some(T2024));
        assert_eq!(parse_time("202401010130"), Some(T2024 + 5400));
        assert_eq!(parse_time("20240101013005Z"), Some(T2024 + 5405));
        assert_eq!(parse_time("19700101"), Some(0));
        assert_eq!(parse_time("20240229"), Some(T2024 + 59 * 86_400));
        for bad in [
            "2024",
            "20230229",
            "20241301",
            "2024010125",
            "x0240101",
            "202401011",
            "",
        ] {
            assert_eq!(parse_time(bad), None, "{bad}");
        }
        assert_eq!(format_time(T2024 + 5405), "2024-01-01 01:30:05 UTC");
        assert_eq!(
            format_time(parse_time("20281231235959").unwrap()),
            "2028-12-31 23:59:59 UTC"
        );
    }

    #[test]
    fn globbing() {
        assert!(glob("*@example.com", "alice@example.com"));
        assert!(glob("a?ice@*", "alice@x"));
        assert!(!glob("a?ice@*", "aice@x"));
        assert!(glob("*", ""));
        assert!(glob("a*b*c", "aXbYbZc"));
        assert!(!glob("a*b*c", "aXbYbZ"));
        assert!(match_pattern_list("alice@x", ["*@x", "!bob@x"]));
        assert!(!match_pattern_list("bob@x", ["*@x", "!bob@x"]));
    }

    #[test]
    fn real_world_lines() {
        let text = format!(
            "# reviewers\n\
             \n\
             alice@example.com {a} alice laptop\n\
             \"bob@example.com,robert@example.com\" namespaces=\"{NAMESPACE},git\" {b}\n\
             *@ops.example.com VALID-AFTER=\"20240101\",valid-before=\"20250101Z\" {c}\n\
             \t  carol@example.com namespaces=\"git\" {c}\n\
             dave@example.com ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBEGTG0bD/bp7yKhFg3ToQW5JyHgEowEoKSJ9ynHhr1D/zc8+KWeFkqChOPSnoSCQjrs4Pp20zJ2yGbkVuqJKFaQ= dave\n",
            a = openssh(1),
            b = openssh(2),
            c = openssh(3),
        );
        let a = parse(&text).unwrap();
        assert_eq!(a.entries.len(), 5);
        assert_eq!(a.entries[0].line, 3);
        assert_eq!(a.entries[0].key.as_ref().unwrap().comment(), "alice laptop");
        assert_eq!(
            a.entries[1].principals,
            ["bob@example.com", "robert@example.com"]
        );
        assert_eq!(a.entries[2].valid_after, Some(T2024));
        assert_eq!(a.entries[4].key_type, "ecdsa-sha2-nistp256");

        let now = T2024 + 100;
        assert_eq!(
            a.principals_for(&key(1), NAMESPACE, now),
            ["alice@example.com"]
        );
        assert_eq!(
            a.principals_for(&key(2), NAMESPACE, now),
            ["bob@example.com", "robert@example.com"]
        );
        assert_eq!(
            a.principals_for(&key(3), NAMESPACE, now),
            ["*@ops.example.com"]
        );
        assert_eq!(
            a.principals_for(&key(3), "git", now),
            ["*@ops.example.com", "carol@example.com"]
        );
        assert!(a.principals_for(&key(9), NAMESPACE, now).is_empty());

        // check(): principal given, glob principal.
        assert_eq!(
            a.check(&key(3), Some("eve@ops.example.com"), NAMESPACE, now),
            Ok("eve@ops.example.com".to_owned())
        );
        assert_eq!(
            a.check(&key(1), None, NAMESPACE, now),
            Ok("alice@example.com".to_owned())
        );
        assert_eq!(
            a.check(&key(9), None, NAMESPACE, now),
            Err(Rejection::UnknownKey)
        );
        assert!(matches!(
            a.check(&key(1), Some("bob@example.com"), NAMESPACE, now),
            Err(Rejection::PrincipalMismatch { listed, .. }) if listed == ["alice@example.com"]
        ));
        // Validity windows (inclusive bounds).
        let before = parse_time("20250101Z").unwrap();
        assert_eq!(
            a.check(&key(3), Some("x@ops.example.com"), NAMESPACE, T2024 - 1),
            Err(Rejection::NotYetValid {
                after: T2024,
                line: 5
            })
        );
        assert!(
            a.check(&key(3), Some("x@ops.example.com"), NAMESPACE, T2024)
                .is_ok()
        );
        assert!(
            a.check(&key(3), Some("x@ops.example.com"), NAMESPACE, before)
                .is_ok()
        );
        let expired = a.check(&key(3), Some("x@ops.example.com"), NAMESPACE, before + 1);
        assert_eq!(expired, Err(Rejection::Expired { before, line: 5 }));
        assert!(
            expired
                .unwrap_err()
                .to_string()
                .contains("2025-01-01 00:00:00 UTC")
        );
        // Namespaces.
        let r = a.check(&key(3), Some("carol@example.com"), NAMESPACE, now);
        assert_eq!(
            r,
            Err(Rejection::NamespaceNotAllowed {
                allowed: "git".into(),
                line: 6
            })
        );
        assert!(a.check(&key(2), None, "file", now).is_err());
        assert!(a.check(&key(2), None, "git", now).is_ok());
    }

    #[test]
    fn glob_namespace_and_negated_principal() {
        let text = format!(
            "*@example.com,!mallory@example.com namespaces=\"skillet-*\" {}\n",
            openssh(4)
        );
        let a = parse(&text).unwrap();
        assert!(
            a.check(&key(4), Some("zed@example.com"), NAMESPACE, 0)
                .is_ok()
        );
        assert!(matches!(
            a.check(&key(4), Some("mallory@example.com"), NAMESPACE, 0),
            Err(Rejection::PrincipalMismatch { .. })
        ));
        assert!(matches!(
            a.check(&key(4), None, "git", 0),
            Err(Rejection::NamespaceNotAllowed { .. })
        ));
    }

    #[test]
    fn errors_name_the_file_and_line() {
        let good = format!("alice@example.com {}\n", openssh(1));
        let cases: Vec<(String, &str)> = vec![
            (
                format!("{good}ca@example.com cert-authority {}\n", openssh(2)),
                "signing/allowed_signers:2: cert-authority lines are not supported by skillet; list each reviewer's key",
            ),
            (
                format!("{good}\n\nhello world\n"),
                ":4: unsupported option \"world\"",
            ),
            (
                format!("{good}alice@example.com\n"),
                ":2: missing public key",
            ),
            (
                format!("{good}alice ssh-ed25519\n"),
                ":2: missing base64 key data",
            ),
            (
                format!("{good}alice ssh-ed25519 AAAA!!notbase64\n"),
                ":2: invalid ssh-ed25519 public key",
            ),
            (
                format!("\"alice {}\n", openssh(1)),
                ":1: unterminated quote",
            ),
            (
                format!("alice valid-after=\"2024\" {}\n", openssh(1)),
                ":1: invalid valid-after time \"2024\"",
            ),
            (
                format!("alice namespaces=\"git {}\n", openssh(1)),
                ":1: unterminated quote in option",
            ),
            (
                format!("alice namespaces {}\n", openssh(1)),
                ":1: option \"namespaces\" needs a value",
            ),
            (
                format!("alice frobnicate=\"1\" {}\n", openssh(1)),
                ":1: unsupported option \"frobnicate\"",
            ),
            (
                "alice ssh-ed25519-cert-v01@openssh.com AAAA\n".to_owned(),
                ":1: certificate key type",
            ),
        ];
        for (text, needle) in cases {
            let err = parse(&text).unwrap_err().to_string();
            assert!(err.contains(needle), "want {needle:?}, got {err:?}");
            assert!(err.starts_with("signing/allowed_signers:"), "{err}");
        }
    }

    #[test]
    fn garbage_never_panics() {
        let base = format!(
            "\"a,b\" namespaces=\"x,y\",valid-after=20240101 {} c\n",
            openssh(1)
        );
        for end in 0..=base.len() {
            if base.is_char_boundary(end) {
                let _ = parse(&base[..end]);
            }
        }
        for s in [
            "\"", "\"\"", "a \"", "a ,", "a =", "a ,,", "a x=\"", "\u{feff}",
        ] {
            let _ = parse(s);
        }
    }

    /// Our reading agrees with `ssh-keygen -Y find-principals`.
    #[test]
    fn interop_find_principals() {
        let tmp = tempfile::tempdir().unwrap();
        let s = SshKeySigner::from_seed([5; 32], "");
        let sig = s.sign(b"m").unwrap();
        std::fs::write(tmp.path().join("m.sig"), sig).unwrap();
        let text = format!(
            "# x\n\"alice@example.com,al@example.com\" namespaces=\"{NAMESPACE}\" {k}\nbob@example.com namespaces=\"git\" {k}\n",
            k = openssh(5)
        );
        std::fs::write(tmp.path().join("allowed"), &text).unwrap();
        let out = std::process::Command::new("ssh-keygen")
            .args([
                "-Y",
                "find-principals",
                "-f",
                "allowed",
                "-s",
                "m.sig",
                "-n",
                NAMESPACE,
            ])
            .current_dir(tmp.path())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let theirs: Vec<String> = String::from_utf8_lossy(&out.stdout)
            .lines()
            .flat_map(|l| l.split(',').map(str::to_owned).collect::<Vec<_>>())
            .collect();
        let ours = parse(&text)
            .unwrap()
            .principals_for(&key(5), NAMESPACE, T2024);
        assert_eq!(ours, theirs);
    }
}
