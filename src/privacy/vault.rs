//! The token vault: one per session, in memory only.
//!
//! [`Vault::tokenize_value`] replaces personal data in a tool result with tokens such as
//! `[EMAIL_1]`; [`Vault::restore_value`] puts the real values back into the arguments a script
//! passes to a tool, and tells which sources (`server.tool`) those values came from so that
//! data-flow rules can be checked.
//!
//! Identity: a value is keyed on its kind label and its exact text, so `Ann@Example.com` and
//! `ann@example.com` get different tokens. That keeps restoring lossless (the token stands for
//! exactly the text that was replaced) at the cost of an occasional second token for what a
//! person would call the same address.
//!
//! Tokens are `[LABEL_n]`. Text that already reads like a token this vault issued is never
//! tokenized again, and restoring acts on issued tokens only; the one ambiguity left is a tool
//! result that contains the literal text of an issued token, which restoring turns into that
//! token's value.

use std::collections::{BTreeSet, HashMap};
use std::sync::LazyLock;

use regex::Regex;
use serde_json::Value;

use super::detect::{Detector, Kind};

/// Anything shaped like a token; only tokens issued by the vault at hand are acted on.
static TOKEN: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\[[A-Z0-9_]+_[0-9]+\]").expect("token pattern compiles"));

/// Tokens issued in one session, with their values and sources.
#[derive(Debug, Default, Clone)]
pub struct Vault {
    entries: Vec<Entry>,
    /// (kind label, exact value) -> index into `entries`.
    by_value: HashMap<(String, String), usize>,
    /// Token text -> index into `entries`.
    by_token: HashMap<String, usize>,
    /// Tokens issued so far per kind label.
    counts: HashMap<String, usize>,
    /// Tokens of an earlier run's record (see [`Vault::adopt_record`]): values this vault never
    /// had, which it can neither restore nor let pass as text.
    foreign: std::collections::HashSet<String>,
    /// A matcher of every issued value (built on demand, for `entries.len()` entries), so a
    /// value seen once is tokenized wherever it shows up again, detected or not.
    known: Option<(usize, aho_corasick::AhoCorasick, Vec<usize>)>,
}

/// Issued values shorter than this are only replaced where a detector finds them.
const MIN_KNOWN_VALUE: usize = 3;

/// What replaces a span of text.
enum Replacement {
    /// Found by a detector: the token for that kind and value.
    Detected(Kind),
    /// An issued value, by entry index.
    Known(usize),
}

/// A pending step of [`Vault::tokenize_value`].
enum Work<'a> {
    Value(&'a mut Value),
    /// The string value of a name field.
    Name(&'a mut String),
    /// Any other string.
    Text(&'a mut String),
}

#[derive(Debug, Clone)]
struct Entry {
    token: String,
    value: String,
    /// Where the value was seen (e.g. `crm.get_contact`), first sighting and later ones.
    sources: BTreeSet<String>,
}

impl Vault {
    pub fn new() -> Self {
        Self::default()
    }

    /// How many distinct values have a token.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Replaces personal data in every string value of `value`, at any depth, as
    /// [`Vault::tokenize_text`] does; object keys are left alone. A string under an object key
    /// that is one of the detector's name fields (or an array of strings there) becomes a
    /// `[NAME_n]` token as a whole. Returns how many replacements were made.
    pub fn tokenize_value(
        &mut self,
        value: &mut Value,
        detector: &Detector,
        source: &str,
    ) -> usize {
        let mut count = 0;
        // An explicit stack (children pushed in reverse, so tokens are numbered in document
        // order): no recursion, however deep the value.
        let mut stack: Vec<Work<'_>> = vec![Work::Value(value)];
        while let Some(work) = stack.pop() {
            match work {
                Work::Name(s) => count += self.tokenize_name(s, source),
                Work::Value(Value::String(s)) | Work::Text(s) => {
                    if let Some((out, n)) = self.tokenize_str(s, detector, source, false) {
                        *s = out;
                        count += n;
                    }
                }
                Work::Value(Value::Array(items)) => {
                    stack.extend(items.iter_mut().rev().map(Work::Value));
                }
                Work::Value(Value::Object(map)) => {
                    for (key, child) in map.iter_mut().rev() {
                        if !detector.is_name_field(key) {
                            stack.push(Work::Value(child));
                            continue;
                        }
                        match child {
                            Value::String(s) => stack.push(Work::Name(s)),
                            Value::Array(items) => {
                                let names = items.iter().all(Value::is_string);
                                for item in items.iter_mut().rev() {
                                    match item {
                                        Value::String(s) => stack.push(if names {
                                            Work::Name(s)
                                        } else {
                                            Work::Text(s)
                                        }),
                                        other => stack.push(Work::Value(other)),
                                    }
                                }
                            }
                            other => stack.push(Work::Value(other)),
                        }
                    }
                }
                Work::Value(Value::Null | Value::Bool(_) | Value::Number(_)) => {}
            }
        }
        // Then values issued before or during this pass, wherever else they appear (one matcher
        // for the whole value, not one per string).
        if self.entries.is_empty() {
            return count;
        }
        let mut stack: Vec<&mut Value> = vec![value];
        while let Some(v) = stack.pop() {
            match v {
                Value::String(s) => {
                    if let Some((out, n)) = self.replace_known(s, source) {
                        *s = out;
                        count += n;
                    }
                }
                Value::Array(items) => stack.extend(items.iter_mut()),
                Value::Object(map) => stack.extend(map.values_mut()),
                _ => {}
            }
        }
        count
    }

    /// `text` with each piece of personal data the detector finds replaced by its token.
    /// Tokens this vault issued that are already in `text` are left as they are.
    pub fn tokenize_text(&mut self, text: &str, detector: &Detector, source: &str) -> String {
        let issued_before = self.entries.len();
        let Some((out, _)) = self.tokenize_str(text, detector, source, true) else {
            return text.to_owned();
        };
        // A value first issued in this text may stand in it again where no detector finds it
        // (an address after a lone `v` reads as a version): replaced too, as `tokenize_value`
        // does in its second pass, so that tokenizing the same text twice gives the same.
        if self.entries.len() > issued_before
            && let Some((again, _)) = self.replace_known(&out, source)
        {
            return again;
        }
        out
    }

    /// Restores the tokens issued by this vault in every string value of `value` (also inside
    /// longer strings); object keys and unknown tokens are left as they are. Returns the
    /// sources of the restored values.
    pub fn restore_value(&self, value: &mut Value) -> BTreeSet<String> {
        let mut sources = BTreeSet::new();
        let mut stack: Vec<&mut Value> = vec![value];
        while let Some(v) = stack.pop() {
            match v {
                Value::String(s) => {
                    if let Some(out) = self.restore_str(s, &mut sources) {
                        *s = out;
                    }
                }
                Value::Array(items) => stack.extend(items.iter_mut()),
                Value::Object(map) => stack.extend(map.values_mut()),
                Value::Null | Value::Bool(_) | Value::Number(_) => {}
            }
        }
        sources
    }

    /// `text` with the tokens issued by this vault restored, and the sources of their values.
    /// Text that only looks like a token (`[EMAIL_9]` never issued here) stays as it is.
    pub fn restore_text(&self, text: &str) -> (String, BTreeSet<String>) {
        let mut sources = BTreeSet::new();
        let out = self
            .restore_str(text, &mut sources)
            .unwrap_or_else(|| text.to_owned());
        (out, sources)
    }

    /// The sources of the values whose tokens appear in `text`, without restoring anything.
    pub fn sources_in(&self, text: &str) -> BTreeSet<String> {
        let mut sources = BTreeSet::new();
        for m in TOKEN.find_iter(text) {
            if let Some(&i) = self.by_token.get(m.as_str()) {
                sources.extend(self.entries[i].sources.iter().cloned());
            }
        }
        sources
    }

    /// Takes in an earlier run's record (`text`), whose tokens this vault cannot restore: new
    /// tokens are numbered after any `[KIND_n]` there, so a token from there never names a
    /// different value here, and those tokens are remembered ([`Vault::foreign_token_in`]).
    pub fn adopt_record(&mut self, text: &str) {
        for m in TOKEN.find_iter(text) {
            if !self.by_token.contains_key(m.as_str()) {
                self.foreign.insert(m.as_str().to_owned());
            }
            let inner = &m.as_str()[1..m.as_str().len() - 1];
            if let Some((kind, n)) = inner.rsplit_once('_')
                && let Ok(n) = n.parse::<usize>()
            {
                let count = self.counts.entry(kind.to_owned()).or_insert(0);
                *count = (*count).max(n);
            }
        }
    }

    /// The first token of an adopted record found in a string of `value`: personal data that
    /// was not kept, so a call carrying it cannot be made with the real value.
    pub fn foreign_token_in(&self, value: &Value) -> Option<String> {
        if self.foreign.is_empty() {
            return None;
        }
        let mut stack = vec![value];
        while let Some(v) = stack.pop() {
            match v {
                Value::String(s) => {
                    if let Some(m) = TOKEN
                        .find_iter(s)
                        .find(|m| self.foreign.contains(m.as_str()))
                    {
                        return Some(m.as_str().to_owned());
                    }
                }
                Value::Array(items) => stack.extend(items),
                Value::Object(map) => stack.extend(map.values()),
                Value::Null | Value::Bool(_) | Value::Number(_) => {}
            }
        }
        None
    }

    /// The value behind a token issued by this vault.
    pub fn value_of(&self, token: &str) -> Option<&str> {
        let &i = self.by_token.get(token)?;
        Some(&self.entries[i].value)
    }

    /// The sources a token's value was seen from.
    pub fn sources_of(&self, token: &str) -> Option<&BTreeSet<String>> {
        let &i = self.by_token.get(token)?;
        Some(&self.entries[i].sources)
    }

    /// The token for `value` of `kind`, issued on first sight; records `source` either way.
    fn token_for(&mut self, kind: &Kind, value: &str, source: &str) -> &str {
        let key = (kind.label().to_owned(), value.to_owned());
        let i = match self.by_value.get(&key) {
            Some(&i) => i,
            None => {
                let n = self.counts.entry(key.0.clone()).or_insert(0);
                *n += 1;
                let token = format!("[{}_{n}]", key.0);
                let i = self.entries.len();
                self.entries.push(Entry {
                    token: token.clone(),
                    value: key.1.clone(),
                    sources: BTreeSet::new(),
                });
                self.by_token.insert(token, i);
                self.by_value.insert(key, i);
                i
            }
        };
        let entry = &mut self.entries[i];
        if !entry.sources.contains(source) {
            entry.sources.insert(source.to_owned());
        }
        &entry.token
    }

    /// Replaces a name field's value as a whole. Empty values and tokens already issued here
    /// stay. Returns 1 if replaced.
    fn tokenize_name(&mut self, s: &mut String, source: &str) -> usize {
        if s.trim().is_empty() || self.by_token.contains_key(s.as_str()) {
            return 0;
        }
        *s = self.token_for(&Kind::Name, s, source).to_owned();
        1
    }

    /// The tokenized text and the number of replacements, or `None` when nothing was found.
    fn tokenize_str(
        &mut self,
        text: &str,
        detector: &Detector,
        source: &str,
        known: bool,
    ) -> Option<(String, usize)> {
        // Tokens issued here are not personal data: nothing may be found inside or across one.
        let issued = self.issued_in(text);
        let mut spans: Vec<(usize, usize, Replacement)> = detector
            .find(text)
            .into_iter()
            .filter(|s| !issued.iter().any(|&(a, b)| s.start < b && a < s.end))
            .map(|s| (s.start, s.end, Replacement::Detected(s.kind)))
            .collect();
        // Values issued before (a name from a name field, a value echoed back by a tool) are
        // replaced wherever they appear, even where no detector would find them.
        let known = if known {
            self.known_values(text)
        } else {
            Vec::new()
        };
        for (start, end, entry) in known {
            let free = !issued.iter().any(|&(a, b)| start < b && a < end)
                && !spans.iter().any(|&(a, b, _)| start < b && a < end);
            if free {
                spans.push((start, end, Replacement::Known(entry)));
            }
        }
        if spans.is_empty() {
            return None;
        }
        spans.sort_by_key(|s| s.0);
        let count = spans.len();
        let mut out = String::with_capacity(text.len());
        let mut last = 0;
        for (start, end, replacement) in spans {
            out.push_str(&text[last..start]);
            match replacement {
                Replacement::Detected(kind) => {
                    out.push_str(self.token_for(&kind, &text[start..end], source));
                }
                Replacement::Known(i) => {
                    let entry = &mut self.entries[i];
                    if !entry.sources.contains(source) {
                        entry.sources.insert(source.to_owned());
                    }
                    out.push_str(&entry.token);
                }
            }
            last = end;
        }
        out.push_str(&text[last..]);
        Some((out, count))
    }

    /// `text` with issued values (not inside issued tokens) replaced by their tokens, and the
    /// number of replacements; `None` when there were none.
    fn replace_known(&mut self, text: &str, source: &str) -> Option<(String, usize)> {
        if self.entries.is_empty() {
            return None;
        }
        let issued = self.issued_in(text);
        let found: Vec<_> = self
            .known_values(text)
            .into_iter()
            .filter(|&(start, end, _)| !issued.iter().any(|&(a, b)| start < b && a < end))
            .collect();
        if found.is_empty() {
            return None;
        }
        let mut out = String::with_capacity(text.len());
        let mut last = 0;
        for &(start, end, i) in &found {
            out.push_str(&text[last..start]);
            let entry = &mut self.entries[i];
            if !entry.sources.contains(source) {
                entry.sources.insert(source.to_owned());
            }
            out.push_str(&entry.token);
            last = end;
        }
        out.push_str(&text[last..]);
        Some((out, found.len()))
    }

    /// Where tokens this vault issued stand in `text`. Most strings hold none: no `[`, or
    /// nothing issued yet, costs no regex search.
    fn issued_in(&self, text: &str) -> Vec<(usize, usize)> {
        if self.by_token.is_empty() || !text.contains('[') {
            return Vec::new();
        }
        TOKEN
            .find_iter(text)
            .filter(|m| self.by_token.contains_key(m.as_str()))
            .map(|m| (m.start(), m.end()))
            .collect()
    }

    /// Where issued values occur in `text` (leftmost-longest, not inside a longer word), as
    /// (start, end, entry index).
    fn known_values(&mut self, text: &str) -> Vec<(usize, usize, usize)> {
        if self.entries.is_empty() {
            return Vec::new();
        }
        if self
            .known
            .as_ref()
            .is_none_or(|(n, _, _)| *n != self.entries.len())
        {
            let (patterns, ids): (Vec<&str>, Vec<usize>) = self
                .entries
                .iter()
                .enumerate()
                .filter(|(_, e)| e.value.chars().count() >= MIN_KNOWN_VALUE)
                .map(|(i, e)| (e.value.as_str(), i))
                .unzip();
            let Ok(matcher) = aho_corasick::AhoCorasick::builder()
                .match_kind(aho_corasick::MatchKind::LeftmostLongest)
                .build(&patterns)
            else {
                return Vec::new();
            };
            self.known = Some((self.entries.len(), matcher, ids));
        }
        let Some((_, matcher, ids)) = &self.known else {
            return Vec::new();
        };
        let word = |c: Option<char>| c.is_some_and(char::is_alphanumeric);
        matcher
            .find_iter(text)
            .filter(|m| {
                !word(text[..m.start()].chars().next_back())
                    && !word(text[m.end()..].chars().next())
            })
            .map(|m| (m.start(), m.end(), ids[m.pattern().as_usize()]))
            .collect()
    }

    /// `text` with issued tokens replaced by their values, or `None` when it has none.
    fn restore_str(&self, text: &str, sources: &mut BTreeSet<String>) -> Option<String> {
        let mut out = String::new();
        let mut last = 0;
        for m in TOKEN.find_iter(text) {
            if let Some(&i) = self.by_token.get(m.as_str()) {
                let entry = &self.entries[i];
                out.push_str(&text[last..m.start()]);
                out.push_str(&entry.value);
                last = m.end();
                sources.extend(entry.sources.iter().cloned());
            }
        }
        if last == 0 {
            return None;
        }
        out.push_str(&text[last..]);
        Some(out)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use serde_json::json;

    use super::super::pii_corpus::Generator;
    use super::*;

    fn set(items: &[&str]) -> BTreeSet<String> {
        items.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn issued_values_are_replaced_wherever_they_show_up_again() {
        let d = Detector::builtin();
        let mut v = Vault::new();
        let mut record = json!({"name": "Ann Lee", "email": "ann@example.com"});
        v.tokenize_value(&mut record, &d, "crm.get");
        assert_eq!(record, json!({"name": "[NAME_1]", "email": "[EMAIL_1]"}));
        // A tool echoing the restored name back in prose: no detector finds it, the vault does.
        assert_eq!(
            v.tokenize_text(
                "contact 'Ann Lee' not found; JoAnn Leeds is",
                &d,
                "crm.find"
            ),
            "contact '[NAME_1]' not found; JoAnn Leeds is"
        );
        assert!(v.sources_of("[NAME_1]").unwrap().contains("crm.find"));
    }

    #[test]
    fn numbering_continues_after_tokens_of_an_earlier_record() {
        let d = Detector::builtin();
        let mut v = Vault::new();
        v.adopt_record(r#"{"text": "mail [EMAIL_3] or [PHONE_1]"}"#);
        assert_eq!(v.tokenize_text("b@example.com", &d, "s.t"), "[EMAIL_4]");
        let (restored, _) = v.restore_text("[EMAIL_3] [EMAIL_4]");
        assert_eq!(restored, "[EMAIL_3] b@example.com");
        // The record's tokens are known as foreign; this vault's own and look-alikes are not.
        assert_eq!(
            v.foreign_token_in(&json!({"to": ["x", {"cc": "write to [EMAIL_3] now"}]})),
            Some("[EMAIL_3]".to_owned())
        );
        assert_eq!(
            v.foreign_token_in(&json!({"to": "[EMAIL_4] [EMAIL_9]"})),
            None
        );
    }

    #[test]
    fn same_value_same_token_alone_inside_and_nested() {
        let d = Detector::builtin();
        let mut v = Vault::new();
        assert_eq!(
            v.tokenize_text("ann@example.com", &d, "crm.get"),
            "[EMAIL_1]"
        );
        assert_eq!(
            v.tokenize_text("From ann@example.com to bob@example.com.", &d, "crm.get"),
            "From [EMAIL_1] to [EMAIL_2]."
        );
        let mut doc = json!({
            "contacts": [{"mail": "bob@example.com"}, {"mail": "cy@example.com", "ip": "10.0.0.1"}],
            "note": "ann@example.com called from +44 20 7946 0958",
        });
        let n = v.tokenize_value(&mut doc, &d, "crm.list");
        assert_eq!(n, 5);
        assert_eq!(
            doc,
            json!({
                "contacts": [{"mail": "[EMAIL_2]"}, {"mail": "[EMAIL_3]", "ip": "[IP_1]"}],
                "note": "[EMAIL_1] called from [PHONE_1]",
            })
        );
        assert_eq!(v.len(), 5);
        assert_eq!(v.value_of("[PHONE_1]"), Some("+44 20 7946 0958"));
    }

    #[test]
    fn exact_values_are_the_identity() {
        let d = Detector::builtin();
        let mut v = Vault::new();
        let out = v.tokenize_text("Ann@Example.com ann@example.com", &d, "s");
        assert_eq!(out, "[EMAIL_1] [EMAIL_2]");
        assert_eq!(v.restore_text(&out).0, "Ann@Example.com ann@example.com");
    }

    #[test]
    fn keys_are_left_alone() {
        let d = Detector::builtin();
        let mut v = Vault::new();
        let mut doc = json!({"ann@example.com": "ann@example.com"});
        v.tokenize_value(&mut doc, &d, "s");
        assert_eq!(doc, json!({"ann@example.com": "[EMAIL_1]"}));
        let mut back = json!({"[EMAIL_1]": "[EMAIL_1]"});
        v.restore_value(&mut back);
        assert_eq!(back, json!({"[EMAIL_1]": "ann@example.com"}));
    }

    #[test]
    fn a_value_found_once_in_a_text_is_replaced_everywhere_in_it() {
        // After a lone `v` an address reads as a version; the same address found elsewhere in
        // the text is personal data, and then no copy of it may stay.
        let detector = Detector::builtin();
        let mut vault = Vault::new();
        let text = "v 10.1.2.3 answered from 10.1.2.3";
        let once = vault.tokenize_text(text, &detector, "s");
        assert_eq!(once, "v [IP_1] answered from [IP_1]");
        assert_eq!(vault.tokenize_text(text, &detector, "s"), once);
        assert_eq!(vault.restore_text(&once).0, text);
    }

    #[test]
    fn unknown_tokens_are_left_alone() {
        let d = Detector::builtin();
        let mut v = Vault::new();
        v.tokenize_text("ann@example.com", &d, "s");
        let (out, sources) = v.restore_text("[EMAIL_1] [EMAIL_9] [PHONE_1] [email_1] [EMAIL_1");
        assert_eq!(
            out,
            "ann@example.com [EMAIL_9] [PHONE_1] [email_1] [EMAIL_1"
        );
        assert_eq!(sources, set(&["s"]));
        let (out, sources) = Vault::new().restore_text("[EMAIL_1]");
        assert_eq!(out, "[EMAIL_1]");
        assert!(sources.is_empty());
    }

    #[test]
    fn issued_tokens_are_not_tokenized_again() {
        let d = Detector::builtin()
            .with_pattern("TAG", r"[A-Z]+_[0-9]+")
            .expect("valid");
        let mut v = Vault::new();
        let first = v.tokenize_text("ann@example.com and REF_42", &d, "s");
        assert_eq!(first, "[EMAIL_1] and [TAG_1]");
        assert_eq!(v.tokenize_text(&first, &d, "s"), first);
        let mut doc = json!({"name": "[EMAIL_1]", "x": ["[EMAIL_1]"]});
        assert_eq!(v.tokenize_value(&mut doc, &d, "s"), 0);
        // Look-alikes that were not issued here are text like any other.
        assert_eq!(v.tokenize_text("[EMAIL_7]", &d, "s"), "[[TAG_2]]");
        assert_eq!(v.restore_text("[[TAG_2]]").0, "[EMAIL_7]");
    }

    #[test]
    fn sources_are_tracked_per_value() {
        let d = Detector::builtin();
        let mut v = Vault::new();
        v.tokenize_text("ann@example.com", &d, "crm.get");
        v.tokenize_text("bob@example.com", &d, "mail.read");
        v.tokenize_text("again ann@example.com", &d, "mail.read");
        assert_eq!(
            v.sources_of("[EMAIL_1]"),
            Some(&set(&["crm.get", "mail.read"]))
        );
        assert_eq!(v.sources_of("[EMAIL_2]"), Some(&set(&["mail.read"])));
        assert_eq!(
            v.sources_in("to [EMAIL_2] and [EMAIL_5]"),
            set(&["mail.read"])
        );
        assert_eq!(v.sources_in("[EMAIL_1]"), set(&["crm.get", "mail.read"]));

        let mut args = json!({"to": ["[EMAIL_2]"], "body": "hi", "n": 3});
        let sources = v.restore_value(&mut args);
        assert_eq!(
            args,
            json!({"to": ["bob@example.com"], "body": "hi", "n": 3})
        );
        assert_eq!(sources, set(&["mail.read"]));
        let mut plain = json!({"body": "nothing here"});
        assert!(v.restore_value(&mut plain).is_empty());
    }

    #[test]
    fn name_fields_are_tokenized_whole() {
        let d = Detector::builtin();
        let mut v = Vault::new();
        let mut doc = json!({
            "firstName": "Ann",
            "lastName": "Lee",
            "FirstName": "Case Sensitive",
            "name": ["Ann", "Bo Chen"],
            "displayName": {"mail": "ann@example.com", "name": "Ann"},
            "fullName": "",
            "first_name": 42,
            "note": "Ann Lee",
        });
        let n = v.tokenize_value(&mut doc, &d, "crm.get");
        assert_eq!(
            doc,
            json!({
                "firstName": "[NAME_1]",
                "lastName": "[NAME_2]",
                "FirstName": "Case Sensitive",
                "name": ["[NAME_1]", "[NAME_3]"],
                "displayName": {"mail": "[EMAIL_1]", "name": "[NAME_1]"},
                "fullName": "",
                "first_name": 42,
                // Values already tokenized as names are replaced in free text too.
                "note": "[NAME_1] [NAME_2]",
            })
        );
        assert_eq!(n, 8);
        let (text, _) = v.restore_text("[NAME_3] and [NAME_2]");
        assert_eq!(text, "Bo Chen and Lee");

        let custom = Detector::builtin().with_name_fields(["who"]);
        let mut doc = json!({"who": "Zed", "name": "Not a name field here"});
        v.tokenize_value(&mut doc, &custom, "s");
        assert_eq!(
            doc,
            json!({"who": "[NAME_4]", "name": "Not a name field here"})
        );
    }

    #[test]
    fn deep_values_do_not_recurse() {
        let d = Detector::builtin();
        let mut v = Vault::new();
        let mut doc = json!("ann@example.com");
        for _ in 0..2_000 {
            doc = json!([doc]);
        }
        assert_eq!(v.tokenize_value(&mut doc, &d, "s"), 1);
        assert_eq!(v.restore_value(&mut doc), set(&["s"]));
    }

    // --- properties ---------------------------------------------------------------------

    /// The shape of a JSON document whose strings mix random text and PII samples.
    #[derive(Debug, Clone)]
    enum Shape {
        Str(Vec<Piece>),
        Num(i64),
        Bool(bool),
        Null,
        Arr(Vec<Shape>),
        Obj(Vec<(String, Shape)>),
    }

    #[derive(Debug, Clone)]
    enum Piece {
        Text(String),
        Pii(prop::sample::Index),
    }

    /// Whether `text` ends with a word that makes a following address a version number
    /// (`v 1.2.3.4`, `build 10.0.0.1`): the detector leaves those alone on purpose, so the
    /// generated documents never put an address there.
    fn announces_version(text: &str) -> bool {
        let last = text
            .trim_end_matches([' ', ':'])
            .rsplit(|c: char| !c.is_alphabetic())
            .next()
            .unwrap_or("");
        ["version", "ver", "v", "build", "release", "firmware"]
            .iter()
            .any(|w| last.eq_ignore_ascii_case(w))
    }

    fn piece() -> impl Strategy<Value = Piece> {
        prop_oneof![
            "[a-zA-Z ,.!?éü日本🙂-]{0,16}"
                .prop_filter("announces a version number", |t| !announces_version(t))
                .prop_map(Piece::Text),
            any::<prop::sample::Index>().prop_map(Piece::Pii),
        ]
    }

    fn shape() -> impl Strategy<Value = Shape> {
        let leaf = prop_oneof![
            prop::collection::vec(piece(), 0..5).prop_map(Shape::Str),
            any::<i64>().prop_map(Shape::Num),
            any::<bool>().prop_map(Shape::Bool),
            Just(Shape::Null),
        ];
        leaf.prop_recursive(4, 48, 6, |inner| {
            let key = prop_oneof![
                "[a-z]{1,8}",
                Just("name".to_owned()),
                Just("fullName".to_owned()),
                Just("email".to_owned()),
            ];
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..5).prop_map(Shape::Arr),
                prop::collection::vec((key, inner), 0..5).prop_map(Shape::Obj),
            ]
        })
    }

    /// Builds the document; PII pieces are separated from their neighbours by spaces.
    fn build(shape: &Shape, samples: &[String]) -> Value {
        match shape {
            Shape::Str(pieces) => Value::String(
                pieces
                    .iter()
                    .map(|p| match p {
                        Piece::Text(t) => t.as_str(),
                        Piece::Pii(i) => samples[i.index(samples.len())].as_str(),
                    })
                    .collect::<Vec<_>>()
                    .join(" "),
            ),
            Shape::Num(n) => json!(n),
            Shape::Bool(b) => json!(b),
            Shape::Null => Value::Null,
            Shape::Arr(items) => Value::Array(items.iter().map(|s| build(s, samples)).collect()),
            Shape::Obj(entries) => Value::Object(
                entries
                    .iter()
                    .map(|(k, s)| (k.clone(), build(s, samples)))
                    .collect(),
            ),
        }
    }

    fn strings(value: &Value, out: &mut Vec<String>) {
        match value {
            Value::String(s) => out.push(s.clone()),
            Value::Array(items) => items.iter().for_each(|v| strings(v, out)),
            Value::Object(map) => map.values().for_each(|v| strings(v, out)),
            _ => {}
        }
    }

    proptest! {
        // 256 cases unless PROPTEST_CASES says otherwise; failures are reported, not saved.
        #![proptest_config(ProptestConfig {
            failure_persistence: None,
            ..ProptestConfig::default()
        })]

        #[test]
        fn tokenize_restore_round_trip(
            shape in shape(),
            seeds in prop::collection::vec(any::<u64>(), 1..6),
        ) {
            let samples: Vec<String> = seeds.iter().map(|&s| Generator::new(s).sample().1).collect();
            let original = build(&shape, &samples);
            let detector = Detector::builtin();
            let mut vault = Vault::new();

            let mut once = original.clone();
            vault.tokenize_value(&mut once, &detector, "a.tool");
            // No raw value survives tokenization.
            let mut out = Vec::new();
            strings(&once, &mut out);
            for sample in &samples {
                prop_assert!(
                    !out.iter().any(|s| s.contains(sample.as_str())),
                    "{sample:?} survived in {once}"
                );
            }
            // Tokenizing the same document again gives the same tokens, and tokenizing the
            // tokenized document changes nothing.
            let mut again = original.clone();
            vault.tokenize_value(&mut again, &detector, "b.tool");
            prop_assert_eq!(&again, &once);
            let mut twice = once.clone();
            prop_assert_eq!(vault.tokenize_value(&mut twice, &detector, "a.tool"), 0);
            prop_assert_eq!(&twice, &once);
            // Restoring gives the original back.
            let mut restored = once.clone();
            let sources = vault.restore_value(&mut restored);
            prop_assert_eq!(&restored, &original);
            if vault.is_empty() {
                prop_assert!(sources.is_empty());
            } else if restored != once {
                prop_assert_eq!(sources, set(&["a.tool", "b.tool"]));
            }
        }

        #[test]
        fn text_round_trip(
            pieces in prop::collection::vec(piece(), 0..8),
            seeds in prop::collection::vec(any::<u64>(), 1..6),
        ) {
            let samples: Vec<String> = seeds.iter().map(|&s| Generator::new(s).sample().1).collect();
            let Value::String(text) = build(&Shape::Str(pieces), &samples) else {
                unreachable!("a string shape builds a string");
            };
            let detector = Detector::builtin();
            let mut vault = Vault::new();
            let tokenized = vault.tokenize_text(&text, &detector, "s");
            prop_assert_eq!(vault.restore_text(&tokenized).0, text.clone());
            prop_assert_eq!(vault.tokenize_text(&text, &detector, "s"), tokenized.clone());
            prop_assert_eq!(vault.sources_in(&tokenized).is_empty(), vault.is_empty() || tokenized == text);
        }

        #[test]
        fn arbitrary_text_never_panics(text in any::<String>()) {
            let detector = Detector::builtin();
            let mut vault = Vault::new();
            let tokenized = vault.tokenize_text(&text, &detector, "s");
            prop_assert_eq!(vault.restore_text(&tokenized).0, text);
        }
    }
}
