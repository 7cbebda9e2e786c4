//! Parsing and validation of an Agent Skills folder (`skills/<name>/`).
//!
//! A skill folder holds `SKILL.md` (YAML frontmatter between `---` lines, then
//! a markdown body) and optional `scripts/`, `tests/`, `references/` and
//! `assets/` subfolders. See <https://agentskills.io/specification>.
//!
//! Skill folders are untrusted input: nothing here follows symlinks, reads
//! special files, reads more than [`MAX_FILE_BYTES`] of a file, expands YAML
//! aliases, or panics.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use pulldown_cmark::{Event, LinkType, Options, Parser, Tag};
use yaml_serde::Value;

/// Largest file allowed anywhere in a skill folder.
pub const MAX_FILE_BYTES: u64 = 1024 * 1024;
/// A body longer than this draws a warning.
pub const MAX_BODY_LINES: usize = 500;
/// Largest frontmatter block (between the `---` lines) that is parsed.
pub const MAX_FRONTMATTER_BYTES: usize = 64 * 1024;
/// Most files and folders walked in one skill folder.
pub const MAX_ENTRIES: usize = 10_000;
/// Longest `name`, in characters.
pub const MAX_NAME_CHARS: usize = 64;
/// Longest `description`, in characters.
pub const MAX_DESCRIPTION_CHARS: usize = 1024;
/// Longest `compatibility`, in characters.
pub const MAX_COMPATIBILITY_CHARS: usize = 500;

/// The top-level frontmatter keys the specification allows, in render order.
pub const ALLOWED_KEYS: [&str; 6] = [
    "name",
    "description",
    "license",
    "compatibility",
    "allowed-tools",
    "metadata",
];

/// Line of SKILL.md on which the frontmatter YAML starts.
const YAML_FIRST_LINE: u32 = 2;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Finding {
    pub severity: Severity,
    /// path relative to the skills/ folder, e.g. "my-skill/SKILL.md"
    pub file: String,
    pub line: u32,
    pub column: u32,
    /// stable rule id, e.g. "name-format"
    pub rule: &'static str,
    pub message: String,
    /// how to fix it, one sentence
    pub fix: String,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}[{}]: {}\n  fix: {}",
            self.file, self.line, self.column, self.severity, self.rule, self.message, self.fix
        )
    }
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Frontmatter {
    pub name: String,
    pub description: String,
    pub license: Option<String>,
    pub compatibility: Option<String>,
    pub metadata: BTreeMap<String, String>,
    #[serde(rename = "allowed-tools")]
    pub allowed_tools: Option<String>,
}

#[derive(Debug, Clone)]
pub struct ParsedSkill {
    pub frontmatter: Frontmatter,
    pub body: String,
    /// 1-based line where the body starts in SKILL.md
    pub body_line: u32,
}

// ---------------------------------------------------------------------------
// Findings helpers

struct Sink {
    file: String,
    findings: Vec<Finding>,
}

impl Sink {
    fn new(file: &str) -> Self {
        Sink {
            file: file.to_owned(),
            findings: Vec::new(),
        }
    }

    fn push(
        &mut self,
        severity: Severity,
        (line, column): (u32, u32),
        rule: &'static str,
        message: String,
        fix: String,
    ) {
        self.findings.push(Finding {
            severity,
            file: self.file.clone(),
            line: line.max(1),
            column: column.max(1),
            rule,
            message,
            fix,
        });
    }

    fn error(
        &mut self,
        at: (u32, u32),
        rule: &'static str,
        message: String,
        fix: impl Into<String>,
    ) {
        self.push(Severity::Error, at, rule, message, fix.into());
    }

    fn warning(
        &mut self,
        at: (u32, u32),
        rule: &'static str,
        message: String,
        fix: impl Into<String>,
    ) {
        self.push(Severity::Warning, at, rule, message, fix.into());
    }
}

fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// Untrusted text made safe to print: control characters escaped, long text cut.
fn show(s: &str) -> String {
    const MAX: usize = 80;
    let mut out: String = s.chars().take(MAX).flat_map(char::escape_debug).collect();
    if s.chars().nth(MAX).is_some() {
        out.push('…');
    }
    out
}

/// Control characters escaped, everything else kept.
fn escape_controls(s: &str) -> String {
    s.chars()
        .flat_map(|c| {
            let escaped: Vec<char> = if c.is_control() {
                c.escape_default().collect()
            } else {
                vec![c]
            };
            escaped
        })
        .collect()
}

/// "a number", "a list", "null", ...
fn described(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Sequence(_) => "a list",
        Value::Mapping(_) => "a mapping",
        Value::Tagged(_) => "a tagged value",
    }
}

/// Short text of a scalar, for messages.
fn scalar_text(v: &Value) -> String {
    match v {
        Value::Null => "null".to_owned(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => s.clone(),
        other => described(other).to_owned(),
    }
}

// ---------------------------------------------------------------------------
// Splitting SKILL.md

struct Split<'a> {
    yaml: &'a str,
    body: &'a str,
    body_line: u32,
}

enum SplitError {
    Missing,
    Unclosed,
}

fn is_fence(line: &str) -> bool {
    line.trim_end_matches(['\n', '\r', ' ', '\t']) == "---"
}

fn split_frontmatter(text: &str) -> Result<Split<'_>, SplitError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut lines = text.split_inclusive('\n');
    let first = lines.next().ok_or(SplitError::Missing)?;
    if !is_fence(first) {
        return Err(SplitError::Missing);
    }
    if !first.ends_with('\n') {
        return Err(SplitError::Unclosed);
    }
    let yaml_start = first.len();
    let mut offset = yaml_start;
    let mut line_no: u32 = 1;
    for line in lines {
        line_no = line_no.saturating_add(1);
        if is_fence(line) {
            let yaml = &text[yaml_start..offset];
            let mut body = &text[offset + line.len()..];
            let mut body_line = line_no.saturating_add(1);
            // render_skill_md puts one blank line after the closing fence.
            if let Some(rest) = body
                .strip_prefix('\n')
                .or_else(|| body.strip_prefix("\r\n"))
            {
                body = rest;
                body_line = body_line.saturating_add(1);
            }
            return Ok(Split {
                yaml,
                body,
                body_line,
            });
        }
        offset += line.len();
    }
    Err(SplitError::Unclosed)
}

// ---------------------------------------------------------------------------
// Scanning the frontmatter text (without a YAML parser)

fn leading_spaces(line: &str) -> usize {
    line.len() - line.trim_start_matches(' ').len()
}

/// Most nesting levels allowed in frontmatter YAML (deep nesting makes the
/// YAML parser slow).
pub const MAX_YAML_DEPTH: usize = 32;

/// Something refused before the YAML parser sees the frontmatter; positions
/// are (0-based line, 0-based char column).
enum ScanIssue {
    /// An anchor (`&`) or alias (`*`).
    Alias(usize, usize, char),
    /// Nesting deeper than [`MAX_YAML_DEPTH`].
    TooDeep(usize, usize),
}

/// Finds the first YAML anchor (`&x`) or alias (`*x`) in `yaml`, or the first
/// place where nesting exceeds [`MAX_YAML_DEPTH`]. Errs on the side of
/// reporting: a `*` or `&` where a YAML node may start is reported.
fn find_anchor_or_alias(yaml: &str) -> Option<ScanIssue> {
    let mut indents: Vec<usize> = Vec::new();
    let mut in_double = false;
    let mut in_single = false;
    let mut flow_depth: usize = 0;
    let mut block_parent: Option<usize> = None;

    for (line_idx, raw) in yaml.lines().enumerate() {
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        let indent = leading_spaces(line);
        if let Some(parent) = block_parent {
            if line.trim().is_empty() || indent > parent {
                continue;
            }
            block_parent = None;
        }
        let chars: Vec<char> = line.chars().collect();
        let mut node_start = !in_double && !in_single;
        if node_start
            && flow_depth == 0
            && !line.trim().is_empty()
            && !line.trim_start().starts_with('#')
        {
            while indents.last().is_some_and(|top| *top >= indent) {
                indents.pop();
            }
            indents.push(indent);
        }
        let mut line_levels = 0usize;
        // Indentation of the innermost key on this line ("- a: |" → 2).
        let mut key_indent = indent;
        let mut seen_content = false;
        let mut prev_space = true;
        let mut i = 0;
        while i < chars.len() {
            let c = chars[i];
            let next_blank = chars.get(i + 1).is_none_or(|n| n.is_whitespace());
            if in_double {
                match c {
                    '\\' => i += 1,
                    '"' => {
                        in_double = false;
                        node_start = false;
                    }
                    _ => {}
                }
                i += 1;
                prev_space = false;
                continue;
            }
            if in_single {
                if c == '\'' {
                    if chars.get(i + 1) == Some(&'\'') {
                        i += 1;
                    } else {
                        in_single = false;
                        node_start = false;
                    }
                }
                i += 1;
                prev_space = false;
                continue;
            }
            if c == ' ' || c == '\t' {
                prev_space = true;
                i += 1;
                continue;
            }
            if c == '#' && prev_space {
                break;
            }
            prev_space = false;
            if node_start {
                match c {
                    '&' | '*' => return Some(ScanIssue::Alias(line_idx, i, c)),
                    '"' => {
                        in_double = true;
                        seen_content = true;
                    }
                    '\'' => {
                        in_single = true;
                        seen_content = true;
                    }
                    '!' => {
                        // A tag; the node itself follows.
                        while i + 1 < chars.len() && !chars[i + 1].is_whitespace() {
                            i += 1;
                        }
                    }
                    '-' | '?' | ':' if next_blank => {
                        if c == '-' && !seen_content {
                            key_indent = i + 2;
                        }
                        line_levels += 1;
                    }
                    '[' | '{' => {
                        flow_depth += 1;
                        seen_content = true;
                    }
                    ']' | '}' if flow_depth > 0 => {
                        flow_depth -= 1;
                        node_start = false;
                    }
                    '|' | '>' if flow_depth == 0 => {
                        block_parent = Some(if seen_content { key_indent } else { indent });
                        break;
                    }
                    _ => {
                        node_start = false;
                        seen_content = true;
                    }
                }
            } else {
                match c {
                    ':' if next_blank || flow_depth > 0 => node_start = true,
                    ',' if flow_depth > 0 => node_start = true,
                    '[' | '{' if flow_depth > 0 => {
                        flow_depth += 1;
                        node_start = true;
                    }
                    ':' if next_blank => line_levels += 1,
                    ']' | '}' if flow_depth > 0 => flow_depth -= 1,
                    _ => {}
                }
            }
            if indents.len() + line_levels + flow_depth > MAX_YAML_DEPTH {
                return Some(ScanIssue::TooDeep(line_idx, i));
            }
            i += 1;
        }
    }
    None
}

/// Reads a mapping key at the start of `s`: returns (key, chars consumed up
/// to and including the `:`), for `key:`, `"key":` and `'key':`.
fn read_key(s: &str) -> Option<(String, usize)> {
    let chars: Vec<char> = s.chars().collect();
    let (key, mut i) = match chars.first()? {
        q @ ('"' | '\'') => {
            let close = chars[1..].iter().position(|c| c == q)? + 1;
            (chars[1..close].iter().collect::<String>(), close + 1)
        }
        _ => {
            let mut j = 0;
            while j < chars.len() {
                if chars[j] == ':' && chars.get(j + 1).is_none_or(|c| c.is_whitespace()) {
                    break;
                }
                j += 1;
            }
            if j == chars.len() {
                return None;
            }
            (
                chars[..j].iter().collect::<String>().trim_end().to_owned(),
                j,
            )
        }
    };
    while chars.get(i).is_some_and(|c| *c == ' ') {
        i += 1;
    }
    (chars.get(i) == Some(&':')).then_some((key, i + 1))
}

/// (0-based line, 0-based key column, 0-based value column).
type KeyPos = (usize, usize, usize);

fn value_column(line: &str, after_colon: usize) -> usize {
    let rest = line.chars().skip(after_colon);
    after_colon + rest.take_while(|c| *c == ' ' || *c == '\t').count()
}

/// Position of the top-level key `key` in the frontmatter text.
fn locate_key(yaml: &str, key: &str) -> Option<KeyPos> {
    yaml.lines().enumerate().find_map(|(idx, raw)| {
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        if line.starts_with([' ', '\t', '#']) {
            return None;
        }
        let (k, end) = read_key(line)?;
        (k == key).then(|| (idx, 0, value_column(line, end)))
    })
}

/// Position of `key` nested under the top-level key `parent`.
fn locate_nested_key(yaml: &str, parent: &str, key: &str) -> Option<KeyPos> {
    let (parent_line, _, _) = locate_key(yaml, parent)?;
    for (idx, raw) in yaml.lines().enumerate().skip(parent_line) {
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        if idx > parent_line && !line.trim().is_empty() && !line.starts_with([' ', '\t', '#']) {
            break;
        }
        let start = if idx == parent_line {
            // Flow mapping on the key's own line: `metadata: {a: 1}`.
            let (_, end) = read_key(line)?;
            end
        } else {
            line.chars().take_while(|c| *c == ' ' || *c == '\t').count()
        };
        let tail: String = line.chars().skip(start).collect();
        for (byte, _) in tail.match_indices(key) {
            let col = start + tail[..byte].chars().count();
            let prev = col.checked_sub(1).and_then(|p| line.chars().nth(p));
            let matches = |from: usize| {
                let text: String = line.chars().skip(from).collect();
                read_key(&text)
                    .filter(|(k, _)| k == key)
                    .map(|(_, end)| (idx, from, value_column(line, from + end)))
            };
            let found = match prev {
                None | Some(' ' | '\t' | '{' | ',') => matches(col),
                Some('"' | '\'') => matches(col - 1),
                Some(_) => None,
            };
            if found.is_some() {
                return found;
            }
        }
    }
    None
}

/// Removes libyaml's " at line N column M" / " at position N" suffixes.
fn strip_location(msg: &str) -> String {
    let mut out = msg.to_owned();
    for marker in [" at line ", " at position "] {
        while let Some(start) = out.find(marker) {
            let rest = &out[start + marker.len()..];
            let mut end = start + marker.len();
            let digits = rest.chars().take_while(char::is_ascii_digit).count();
            if digits == 0 {
                break;
            }
            end += digits;
            if let Some(after) = out[end..].strip_prefix(" column ") {
                let d = after.chars().take_while(char::is_ascii_digit).count();
                end += " column ".len() + d;
            }
            out.replace_range(start..end, "");
        }
    }
    out
}

// ---------------------------------------------------------------------------
// Parsing SKILL.md

fn suggest_name(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_lowercase() || c.is_ascii_digit() {
            out.push(c);
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    while out.ends_with('-') {
        out.pop();
    }
    out.chars()
        .take(MAX_NAME_CHARS)
        .collect::<String>()
        .trim_end_matches('-')
        .to_owned()
}

fn check_name(name: &str, at: (u32, u32), sink: &mut Sink) {
    let len = name.chars().count();
    let suggestion = suggest_name(name);
    let rename_fix = if suggestion.is_empty() {
        "Use lowercase letters a-z, digits 0-9 and single hyphens, e.g. `pdf-tools`.".to_owned()
    } else {
        format!("Rename the skill to `{suggestion}` (and its folder to match).")
    };
    if len == 0 {
        sink.error(
            at,
            "name-length",
            "`name` is empty; it must be 1-64 characters".to_owned(),
            "Set `name` to the skill folder's name, e.g. `name: pdf-tools`.",
        );
        return;
    }
    if len > MAX_NAME_CHARS {
        sink.error(
            at,
            "name-length",
            format!("`name` is {len} characters; the limit is {MAX_NAME_CHARS}"),
            "Shorten the name (and rename the folder to match).",
        );
    }
    if let Some(bad) = name
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-'))
    {
        sink.error(
            at,
            "name-format",
            format!(
                "name `{}` may only contain lowercase letters a-z, digits 0-9 and hyphens (found {bad:?})",
                show(name)
            ),
            rename_fix.clone(),
        );
    }
    if name.starts_with('-') || name.ends_with('-') {
        sink.error(
            at,
            "name-format",
            format!("name `{}` must not start or end with a hyphen", show(name)),
            rename_fix.clone(),
        );
    }
    if name.contains("--") {
        sink.error(
            at,
            "name-format",
            format!(
                "name `{}` must not contain consecutive hyphens (`--`)",
                show(name)
            ),
            rename_fix,
        );
    }
}

/// Parse SKILL.md text (no file-system checks). Errors as findings.
///
/// `file` is used as the `file` of every finding. The result is `Some` when
/// the frontmatter is a mapping with string `name` and `description` (even if
/// other rules fail); check the findings for errors before trusting it.
pub fn parse_skill_md(text: &str, file: &str) -> (Option<ParsedSkill>, Vec<Finding>) {
    let mut sink = Sink::new(file);
    let parsed = parse_into(text, &mut sink);
    (parsed, sink.findings)
}

fn parse_into(text: &str, sink: &mut Sink) -> Option<ParsedSkill> {
    let split = match split_frontmatter(text) {
        Ok(split) => split,
        Err(SplitError::Missing) => {
            sink.error(
                (1, 1),
                "frontmatter-missing",
                "SKILL.md must start with a `---` line opening the YAML frontmatter".to_owned(),
                "Add `---`, `name: <folder-name>`, `description: <what it does and when to use it>` and a closing `---` at the top of SKILL.md.",
            );
            return None;
        }
        Err(SplitError::Unclosed) => {
            sink.error(
                (1, 1),
                "frontmatter-unclosed",
                "the frontmatter opened on line 1 is never closed by a `---` line".to_owned(),
                "Add a line containing only `---` after the last frontmatter key.",
            );
            return None;
        }
    };
    let yaml = split.yaml;
    if yaml.len() > MAX_FRONTMATTER_BYTES {
        sink.error(
            (YAML_FIRST_LINE, 1),
            "frontmatter-too-large",
            format!(
                "frontmatter is {} bytes; the limit is {MAX_FRONTMATTER_BYTES} bytes",
                yaml.len()
            ),
            "Move long material into the body or into references/.",
        );
        return None;
    }
    if let Some(ScanIssue::TooDeep(line, col)) = find_anchor_or_alias(yaml) {
        sink.error(
            (YAML_FIRST_LINE + to_u32(line), to_u32(col) + 1),
            "yaml-too-deep",
            format!("frontmatter nests more than {MAX_YAML_DEPTH} levels deep"),
            "Flatten the frontmatter; metadata values are plain strings.",
        );
        return None;
    }
    if let Some(ScanIssue::Alias(line, col, c)) = find_anchor_or_alias(yaml) {
        let what = if c == '&' { "anchor" } else { "alias" };
        sink.error(
            (YAML_FIRST_LINE + to_u32(line), to_u32(col) + 1),
            "yaml-alias",
            format!(
                "YAML {what} (`{c}`) found; anchors and aliases are not allowed in frontmatter"
            ),
            format!("Write the value out in full, or quote it if the `{c}` is meant literally."),
        );
        return None;
    }
    let value: Value = match yaml_serde::from_str(yaml) {
        Ok(v) => v,
        Err(e) => {
            let (line, col) = e.location().map_or((YAML_FIRST_LINE, 1), |l| {
                (
                    YAML_FIRST_LINE + to_u32(l.line().saturating_sub(1)),
                    to_u32(l.column()),
                )
            });
            sink.error(
                (line, col),
                "yaml-syntax",
                format!(
                    "frontmatter is not valid YAML: {}",
                    escape_controls(&strip_location(&e.to_string()))
                ),
                "Fix the YAML syntax; quote values that contain `: `, `#` or start with a special character.",
            );
            return None;
        }
    };
    let Value::Mapping(map) = value else {
        let found = if value.is_null() {
            "an empty document".to_owned()
        } else {
            described(&value).to_owned()
        };
        sink.error(
            (YAML_FIRST_LINE, 1),
            "frontmatter-not-mapping",
            format!("frontmatter must be a YAML mapping of keys to values, found {found}"),
            "Write the frontmatter as `key: value` lines, starting with `name:` and `description:`.",
        );
        return None;
    };

    let key_at = |key: &str| -> (u32, u32) {
        locate_key(yaml, key).map_or((1, 1), |(l, k, _)| {
            (YAML_FIRST_LINE + to_u32(l), to_u32(k) + 1)
        })
    };
    let value_at = |key: &str| -> (u32, u32) {
        locate_key(yaml, key).map_or((1, 1), |(l, _, v)| {
            (YAML_FIRST_LINE + to_u32(l), to_u32(v) + 1)
        })
    };

    let mut name: Option<String> = None;
    let mut description: Option<String> = None;
    let mut license = None;
    let mut compatibility = None;
    let mut allowed_tools = None;
    let mut metadata = BTreeMap::new();
    let mut seen = [false; ALLOWED_KEYS.len()];

    for (k, v) in &map {
        let Some(key) = k.as_str() else {
            let shown = show(&scalar_text(k));
            sink.error(
                (YAML_FIRST_LINE, 1),
                "unknown-key",
                format!(
                    "unknown frontmatter key `{shown}`; allowed keys are name, description, license, compatibility, metadata, allowed-tools"
                ),
                "Remove the key, or move it under `metadata:` with a string value.",
            );
            continue;
        };
        if let Some(i) = ALLOWED_KEYS.iter().position(|a| *a == key) {
            seen[i] = true;
        }
        let type_error = |sink: &mut Sink, rule: &'static str, fix: &str| {
            sink.error(
                value_at(key),
                rule,
                format!("`{key}` must be a string, found {}", described(v)),
                fix,
            );
        };
        match key {
            "name" => match v {
                Value::String(s) => name = Some(s.clone()),
                Value::Null => sink.error(
                    key_at(key),
                    "name-required",
                    "`name` has no value".to_owned(),
                    "Set `name` to the skill folder's name, e.g. `name: pdf-tools`.",
                ),
                _ => type_error(
                    sink,
                    "name-type",
                    "Write the name as plain text, e.g. `name: pdf-tools`.",
                ),
            },
            "description" => match v {
                Value::String(s) => description = Some(s.clone()),
                Value::Null => sink.error(
                    key_at(key),
                    "description-required",
                    "`description` has no value".to_owned(),
                    "Describe what the skill does and when to use it in one or two sentences.",
                ),
                _ => type_error(
                    sink,
                    "description-type",
                    "Write the description as text; quote it if it contains `: ` or starts with a special character.",
                ),
            },
            "license" => match v {
                Value::String(s) => license = Some(s.clone()),
                _ => type_error(
                    sink,
                    "license-type",
                    "Write the license as text, e.g. `license: Apache-2.0`, or remove the key.",
                ),
            },
            "compatibility" => match v {
                Value::String(s) => {
                    let len = s.chars().count();
                    if s.trim().is_empty() {
                        sink.error(
                            value_at(key),
                            "compatibility-length",
                            "`compatibility` is empty; it must be 1-500 characters".to_owned(),
                            "Describe the environment the skill needs, or remove the key.",
                        );
                    } else if len > MAX_COMPATIBILITY_CHARS {
                        sink.error(
                            value_at(key),
                            "compatibility-length",
                            format!(
                                "`compatibility` is {len} characters; the limit is {MAX_COMPATIBILITY_CHARS}"
                            ),
                            "Shorten `compatibility` to the essential requirements.",
                        );
                    }
                    compatibility = Some(s.clone());
                }
                _ => type_error(
                    sink,
                    "compatibility-type",
                    "Write compatibility as text, e.g. `compatibility: Requires network access`.",
                ),
            },
            "allowed-tools" => match v {
                Value::String(s) => allowed_tools = Some(s.clone()),
                _ => type_error(
                    sink,
                    "allowed-tools-type",
                    "Write allowed-tools as one space-separated string, e.g. `allowed-tools: Bash(git:*) Read`.",
                ),
            },
            "metadata" => match v {
                Value::Mapping(m) => {
                    for (mk, mv) in m {
                        let Some(mkey) = mk.as_str() else {
                            let shown = show(&scalar_text(mk));
                            sink.error(
                                value_at(key),
                                "metadata-type",
                                format!(
                                    "metadata key `{shown}` must be a string, found {}",
                                    described(mk)
                                ),
                                format!("Quote the key: `\"{shown}\": ...`."),
                            );
                            continue;
                        };
                        let at = locate_nested_key(yaml, key, mkey)
                            .map_or(value_at(key), |(l, _, vc)| {
                                (YAML_FIRST_LINE + to_u32(l), to_u32(vc) + 1)
                            });
                        match mv {
                            Value::String(s) => {
                                metadata.insert(mkey.to_owned(), s.clone());
                            }
                            Value::Null | Value::Bool(_) | Value::Number(_) => {
                                let shown = show(mkey);
                                sink.error(
                                    at,
                                    "metadata-value-type",
                                    format!(
                                        "metadata value for `{shown}` must be a string, found {}",
                                        described(mv)
                                    ),
                                    format!(
                                        "Quote the value: `{shown}: \"{}\"`.",
                                        show(&scalar_text(mv))
                                    ),
                                );
                            }
                            _ => {
                                let shown = show(mkey);
                                sink.error(
                                    at,
                                    "metadata-value-type",
                                    format!(
                                        "metadata value for `{shown}` must be a string, found {}",
                                        described(mv)
                                    ),
                                    format!("Write `{shown}` as a single string value."),
                                );
                            }
                        }
                    }
                }
                _ => sink.error(
                    value_at(key),
                    "metadata-type",
                    format!(
                        "`metadata` must be a mapping of strings to strings, found {}",
                        described(v)
                    ),
                    "Write metadata as indented `key: \"value\"` lines under `metadata:`.",
                ),
            },
            other => {
                let shown = show(other);
                sink.error(
                    key_at(other),
                    "unknown-key",
                    format!(
                        "unknown frontmatter key `{shown}`; allowed keys are name, description, license, compatibility, metadata, allowed-tools"
                    ),
                    format!("Remove `{shown}`, or move it under `metadata:` with a string value."),
                );
            }
        }
    }

    if !seen[0] {
        sink.error(
            (1, 1),
            "name-required",
            "required frontmatter key `name` is missing".to_owned(),
            "Add `name: <folder-name>` to the frontmatter.",
        );
    }
    if !seen[1] {
        sink.error(
            (1, 1),
            "description-required",
            "required frontmatter key `description` is missing".to_owned(),
            "Add `description:` saying what the skill does and when to use it.",
        );
    }
    if let Some(n) = &name {
        check_name(n, value_at("name"), sink);
    }
    if let Some(d) = &description {
        let len = d.chars().count();
        if d.trim().is_empty() {
            sink.error(
                value_at("description"),
                "description-length",
                "`description` is empty; it must be 1-1024 characters".to_owned(),
                "Describe what the skill does and when to use it in one or two sentences.",
            );
        } else if len > MAX_DESCRIPTION_CHARS {
            sink.error(
                value_at("description"),
                "description-length",
                format!("`description` is {len} characters; the limit is {MAX_DESCRIPTION_CHARS}"),
                "Shorten the description; move details into the body.",
            );
        }
    }

    let body_lines = split.body.lines().count();
    if body_lines > MAX_BODY_LINES {
        sink.warning(
            (split.body_line.saturating_add(to_u32(MAX_BODY_LINES)), 1),
            "body-too-long",
            format!("body is {body_lines} lines; keep SKILL.md under {MAX_BODY_LINES} lines"),
            "Move detailed material into references/ and link to it from the body.",
        );
    }

    Some(ParsedSkill {
        frontmatter: Frontmatter {
            name: name?,
            description: description?,
            license,
            compatibility,
            metadata,
            allowed_tools,
        },
        body: split.body.to_owned(),
        body_line: split.body_line,
    })
}

// ---------------------------------------------------------------------------
// Rendering SKILL.md

/// YAML 1.1/1.2 printable characters (what libyaml accepts unescaped).
fn yaml_printable(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | ' '..='~' | '\u{a0}'..='\u{d7ff}' | '\u{e000}'..='\u{fffd}' | '\u{10000}'..)
}

fn needs_quotes(s: &str) -> bool {
    let Some(first) = s.chars().next() else {
        return true;
    };
    if s.starts_with(char::is_whitespace) || s.ends_with(char::is_whitespace) {
        return true;
    }
    if s.chars().any(|c| {
        c.is_control()
            || !yaml_printable(c)
            || matches!(c, '\u{85}' | '\u{2028}' | '\u{2029}' | '\u{feff}')
    }) {
        return true;
    }
    if "-?:,[]{}#&*!|>'\"%@`".contains(first)
        || first.is_ascii_digit()
        || first == '.'
        || first == '+'
    {
        return true;
    }
    if s.contains(": ") || s.contains(" #") || s.ends_with(':') {
        return true;
    }
    matches!(
        s.to_ascii_lowercase().as_str(),
        "true" | "false" | "yes" | "no" | "on" | "off" | "y" | "n" | "null" | "~"
    )
}

fn yaml_string(s: &str) -> String {
    if !needs_quotes(s) {
        return s.to_owned();
    }
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control()
                || !yaml_printable(c)
                || matches!(c, '\u{85}' | '\u{2028}' | '\u{2029}' | '\u{feff}') =>
            {
                out.push_str(&format!("\\u{:04x}", u32::from(c)));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Render SKILL.md from frontmatter + body (YAML keys in the order name,
/// description, license, compatibility, allowed-tools, metadata; strings
/// quoted when needed). `parse_skill_md(render_skill_md(f, b))` round-trips.
pub fn render_skill_md(frontmatter: &Frontmatter, body: &str) -> String {
    let mut out = String::from("---\n");
    out.push_str(&format!("name: {}\n", yaml_string(&frontmatter.name)));
    out.push_str(&format!(
        "description: {}\n",
        yaml_string(&frontmatter.description)
    ));
    if let Some(license) = &frontmatter.license {
        out.push_str(&format!("license: {}\n", yaml_string(license)));
    }
    if let Some(compatibility) = &frontmatter.compatibility {
        out.push_str(&format!("compatibility: {}\n", yaml_string(compatibility)));
    }
    if let Some(tools) = &frontmatter.allowed_tools {
        out.push_str(&format!("allowed-tools: {}\n", yaml_string(tools)));
    }
    if !frontmatter.metadata.is_empty() {
        out.push_str("metadata:\n");
        for (k, v) in &frontmatter.metadata {
            out.push_str(&format!("  {}: {}\n", yaml_string(k), yaml_string(v)));
        }
    }
    out.push_str("---\n\n");
    out.push_str(body);
    out
}

// ---------------------------------------------------------------------------
// Validating a folder

/// Validate a whole folder: SKILL.md rules + folder rules (symlinks, special
/// files, sizes, UTF-8, body links). `Option<ParsedSkill>` is Some when
/// SKILL.md parsed well enough to use. Missing `scripts/index.ts` is not
/// reported here.
pub fn validate_dir(dir: &Path) -> (Option<ParsedSkill>, Vec<Finding>) {
    let folder = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let prefix = if folder.is_empty() {
        String::new()
    } else {
        format!("{folder}/")
    };
    let mut findings = Vec::new();

    let mut root = Sink::new(&folder);
    match fs_err::symlink_metadata(dir) {
        Err(e) => {
            root.error(
                (1, 1),
                "io-error",
                format!("cannot read the skill folder: {e}"),
                "Check that the folder exists and is readable.",
            );
            return (None, root.findings);
        }
        Ok(m) if m.file_type().is_symlink() => {
            root.error(
                (1, 1),
                "symlink",
                "the skill folder is a symbolic link".to_owned(),
                "Replace the link with the real folder.",
            );
            return (None, root.findings);
        }
        Ok(m) if !m.is_dir() => {
            root.error(
                (1, 1),
                "not-a-folder",
                "the skill path is not a folder".to_owned(),
                "Point at the skill's folder (the one holding SKILL.md).",
            );
            return (None, root.findings);
        }
        Ok(_) => {}
    }

    let mut sink = Sink::new(&format!("{prefix}SKILL.md"));
    let parsed = read_skill_md(dir, &folder, &mut sink);
    if let Some(p) = &parsed {
        check_links(dir, p, &mut sink);
    }
    findings.append(&mut sink.findings);
    walk(dir, &prefix, &mut findings);
    (parsed, findings)
}

fn read_skill_md(dir: &Path, folder: &str, sink: &mut Sink) -> Option<ParsedSkill> {
    let path = dir.join("SKILL.md");
    let meta = match fs_err::symlink_metadata(&path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            sink.error(
                (1, 1),
                "skill-md-missing",
                "the skill folder has no SKILL.md".to_owned(),
                "Create SKILL.md with `name` and `description` frontmatter.",
            );
            return None;
        }
        Err(e) => {
            sink.error(
                (1, 1),
                "io-error",
                format!("cannot read SKILL.md: {e}"),
                "Check the file's permissions.",
            );
            return None;
        }
    };
    let bytes = read_checked(&path, &meta, sink)?;
    let text = match String::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            report_not_utf8(e.as_bytes(), e.utf8_error().valid_up_to(), "SKILL.md", sink);
            return None;
        }
    };
    let parsed = parse_into(&text, sink)?;
    if !folder.is_empty() && parsed.frontmatter.name != folder {
        let name = show(&parsed.frontmatter.name);
        let folder = show(folder);
        let at = split_frontmatter(&text)
            .ok()
            .and_then(|s| locate_key(s.yaml, "name"))
            .map_or((1, 1), |(l, _, v)| {
                (YAML_FIRST_LINE + to_u32(l), to_u32(v) + 1)
            });
        sink.error(
            at,
            "name-mismatch",
            format!("name `{name}` does not match the folder name `{folder}`"),
            format!("Rename the folder to `{name}` or set `name: {folder}`."),
        );
    }
    Some(parsed)
}

/// Reads a regular file of at most [`MAX_FILE_BYTES`]; anything else is a finding.
fn read_checked(path: &Path, meta: &std::fs::Metadata, sink: &mut Sink) -> Option<Vec<u8>> {
    let ft = meta.file_type();
    if ft.is_symlink() {
        sink.error(
            (1, 1),
            "symlink",
            "is a symbolic link; skill folders must not contain symlinks".to_owned(),
            "Replace the link with a copy of the file it points to.",
        );
        return None;
    }
    if !ft.is_file() {
        sink.error(
            (1, 1),
            "special-file",
            "is not a regular file or folder".to_owned(),
            "Remove it from the skill folder.",
        );
        return None;
    }
    if meta.len() > MAX_FILE_BYTES {
        sink.error(
            (1, 1),
            "file-too-large",
            format!(
                "file is {} bytes; the limit is {MAX_FILE_BYTES} bytes (1 MiB)",
                meta.len()
            ),
            "Shrink the file or keep it outside the skill folder.",
        );
        return None;
    }
    match fs_err::read(path) {
        // The file may have grown since the metadata was read.
        Ok(bytes) if bytes.len() as u64 > MAX_FILE_BYTES => {
            sink.error(
                (1, 1),
                "file-too-large",
                format!(
                    "file is {} bytes; the limit is {MAX_FILE_BYTES} bytes (1 MiB)",
                    bytes.len()
                ),
                "Shrink the file or keep it outside the skill folder.",
            );
            None
        }
        Ok(bytes) => Some(bytes),
        Err(e) => {
            sink.error(
                (1, 1),
                "io-error",
                format!("cannot read file: {e}"),
                "Check the file's permissions.",
            );
            None
        }
    }
}

fn report_not_utf8(bytes: &[u8], offset: usize, rel: &str, sink: &mut Sink) {
    let before = &bytes[..offset.min(bytes.len())];
    let line = before.iter().filter(|b| **b == b'\n').count() + 1;
    let column = before.iter().rev().take_while(|b| **b != b'\n').count() + 1;
    let byte = bytes
        .get(offset)
        .map_or_else(String::new, |b| format!("0x{b:02x} "));
    sink.error(
        (to_u32(line), to_u32(column)),
        "not-utf8",
        format!(
            "`{}` is not valid UTF-8 (invalid byte {byte}at byte offset {offset})",
            show(rel)
        ),
        "Re-save the file as UTF-8.",
    );
}

fn is_text_file(rel: &str) -> bool {
    if rel.starts_with("scripts/") || rel.starts_with("references/") {
        return true;
    }
    let ext = rel.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase());
    matches!(
        ext.as_deref(),
        Some("md" | "json" | "ts" | "mts" | "js" | "mjs" | "txt" | "yaml" | "yml" | "toml")
    )
}

fn walk(dir: &Path, prefix: &str, findings: &mut Vec<Finding>) {
    let mut stack: Vec<(PathBuf, String)> = vec![(dir.to_path_buf(), String::new())];
    let mut count = 0usize;
    while let Some((abs, rel_dir)) = stack.pop() {
        let mut sink = Sink::new(&format!("{prefix}{rel_dir}"));
        let entries = match fs_err::read_dir(&abs) {
            Ok(rd) => rd,
            Err(e) => {
                sink.error(
                    (1, 1),
                    "io-error",
                    format!("cannot list folder: {e}"),
                    "Check the folder's permissions.",
                );
                findings.append(&mut sink.findings);
                continue;
            }
        };
        let mut entries: Vec<_> = entries.filter_map(Result::ok).collect();
        entries.sort_by_key(|e| e.file_name());
        let mut subdirs = Vec::new();
        for entry in entries {
            count += 1;
            if count > MAX_ENTRIES {
                let mut s = Sink::new(prefix.trim_end_matches('/'));
                s.error(
                    (1, 1),
                    "too-many-files",
                    format!("the skill folder has more than {MAX_ENTRIES} files and folders"),
                    "Keep only what the skill needs in its folder.",
                );
                findings.append(&mut s.findings);
                return;
            }
            let os_name = entry.file_name();
            let Some(name) = os_name.to_str() else {
                let mut s = Sink::new(&format!("{prefix}{rel_dir}{}", os_name.to_string_lossy()));
                s.error(
                    (1, 1),
                    "not-utf8",
                    "file name is not valid UTF-8".to_owned(),
                    "Rename the file using UTF-8 characters.",
                );
                findings.append(&mut s.findings);
                continue;
            };
            let rel = format!("{rel_dir}{name}");
            if rel == "SKILL.md" {
                continue; // checked by read_skill_md
            }
            let path = entry.path();
            let mut s = Sink::new(&format!("{prefix}{rel}"));
            match fs_err::symlink_metadata(&path) {
                Err(e) => s.error(
                    (1, 1),
                    "io-error",
                    format!("cannot read: {e}"),
                    "Check the file's permissions.",
                ),
                Ok(meta) if meta.is_dir() => subdirs.push((path, format!("{rel}/"))),
                Ok(meta) => {
                    if let Some(bytes) = read_checked(&path, &meta, &mut s)
                        && is_text_file(&rel)
                        && let Err(e) = std::str::from_utf8(&bytes)
                    {
                        report_not_utf8(&bytes, e.valid_up_to(), &rel, &mut s);
                    }
                }
            }
            findings.append(&mut s.findings);
        }
        // Pop in name order.
        stack.extend(subdirs.into_iter().rev());
    }
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(h) = bytes.get(i + 1..i + 3)
            && let Ok(hex) = std::str::from_utf8(h)
            && let Ok(b) = u8::from_str_radix(hex, 16)
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8(out).unwrap_or_else(|_| s.to_owned())
}

fn has_scheme(url: &str) -> bool {
    let Some((scheme, _)) = url.split_once(':') else {
        return false;
    };
    let mut chars = scheme.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
}

/// 1-based (line, column) of byte `offset` in `body`, which starts at `body_line`.
fn body_position(body: &str, offset: usize, body_line: u32) -> (u32, u32) {
    let offset = offset.min(body.len());
    let before = body.get(..offset).unwrap_or(body);
    let line = before.matches('\n').count();
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before[line_start..].chars().count() + 1;
    (body_line.saturating_add(to_u32(line)), to_u32(column))
}

fn check_links(dir: &Path, parsed: &ParsedSkill, sink: &mut Sink) {
    let body = parsed.body.as_str();
    let options = Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS;
    for (event, range) in Parser::new_ext(body, options).into_offset_iter() {
        let (kind, link_type, dest) = match event {
            Event::Start(Tag::Link {
                link_type,
                dest_url,
                ..
            }) => ("link", link_type, dest_url),
            Event::Start(Tag::Image {
                link_type,
                dest_url,
                ..
            }) => ("image", link_type, dest_url),
            _ => continue,
        };
        if matches!(link_type, LinkType::Email) {
            continue;
        }
        let dest = dest.trim();
        if dest.is_empty() || dest.starts_with('#') || dest.starts_with("//") || has_scheme(dest) {
            continue;
        }
        let at = {
            let src = body.get(range.clone()).unwrap_or("");
            let off = src.rfind(dest).map_or(range.start, |i| range.start + i);
            body_position(body, off, parsed.body_line)
        };
        let path_part = dest.split(['#', '?']).next().unwrap_or("");
        let decoded = percent_decode(path_part);
        let shown = show(dest);
        if decoded.starts_with('/') || decoded.starts_with('\\') {
            sink.error(
                at,
                "link-escape",
                format!(
                    "{kind} `{shown}` is an absolute path; links must stay inside the skill folder"
                ),
                "Use a path relative to the skill folder, e.g. `references/guide.md`.",
            );
            continue;
        }
        let mut parts: Vec<&str> = Vec::new();
        let mut escapes = false;
        for comp in decoded.split(['/', '\\']) {
            match comp {
                "" | "." => {}
                ".." => {
                    if parts.pop().is_none() {
                        escapes = true;
                        break;
                    }
                }
                c => parts.push(c),
            }
        }
        if escapes {
            sink.error(
                at,
                "link-escape",
                format!("{kind} `{shown}` points outside the skill folder"),
                "Copy the target into references/ or assets/ and link to it there.",
            );
            continue;
        }
        let target: PathBuf = parts.iter().fold(dir.to_path_buf(), |p, c| p.join(c));
        if parts.is_empty() || std::fs::symlink_metadata(&target).is_ok() {
            continue;
        }
        sink.error(
            at,
            "broken-link",
            format!("{kind} target `{shown}` does not exist in the skill folder"),
            "Add the file (e.g. under references/ or assets/) or fix the path.",
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    const FILE: &str = "my-skill/SKILL.md";

    fn parse(text: &str) -> (Option<ParsedSkill>, Vec<Finding>) {
        parse_skill_md(text, FILE)
    }

    /// The only finding's (rule, line, column, message).
    fn one(text: &str) -> (&'static str, u32, u32, String) {
        let (_, f) = parse(text);
        assert_eq!(f.len(), 1, "{f:#?}");
        (f[0].rule, f[0].line, f[0].column, f[0].message.clone())
    }

    fn fm(extra: &str) -> String {
        format!("---\nname: my-skill\ndescription: Does things.\n{extra}---\n\nBody\n")
    }

    #[test]
    fn good_skill_md_has_no_findings() {
        let (p, f) = parse(&fm(
            "license: MIT\ncompatibility: needs network\nallowed-tools: Bash Read\nmetadata:\n  version: \"1.0\"\n  author: me\n",
        ));
        assert!(f.is_empty(), "{f:#?}");
        let p = p.unwrap();
        assert_eq!(p.frontmatter.name, "my-skill");
        assert_eq!(p.frontmatter.metadata["version"], "1.0");
        assert_eq!(p.frontmatter.allowed_tools.as_deref(), Some("Bash Read"));
        assert_eq!(p.body, "Body\n");
        assert_eq!(p.body_line, 12);
    }

    #[test]
    fn display_format() {
        let (_, f) = parse("---\nname: My_Skill\ndescription: d\n---\n");
        assert_eq!(
            f[0].to_string(),
            "my-skill/SKILL.md:2:7: error[name-format]: name `My_Skill` may only contain lowercase letters a-z, digits 0-9 and hyphens (found 'M')\n  fix: Rename the skill to `my-skill` (and its folder to match)."
        );
    }

    #[test]
    fn frontmatter_missing() {
        assert_eq!(
            one("# Title\n"),
            (
                "frontmatter-missing",
                1,
                1,
                "SKILL.md must start with a `---` line opening the YAML frontmatter".into()
            )
        );
        assert_eq!(one("").0, "frontmatter-missing");
    }

    #[test]
    fn frontmatter_unclosed() {
        assert_eq!(
            one("---\nname: x\n"),
            (
                "frontmatter-unclosed",
                1,
                1,
                "the frontmatter opened on line 1 is never closed by a `---` line".into()
            )
        );
    }

    #[test]
    fn yaml_syntax_position() {
        let (rule, line, _, msg) = one("---\nname: my-skill\ndescription: [oops\n---\n");
        assert_eq!(rule, "yaml-syntax");
        assert!(line >= 3, "line {line}");
        assert!(msg.starts_with("frontmatter is not valid YAML: "), "{msg}");
        assert!(!msg.contains(" at line "), "{msg}");
        let (rule, line, col, _) = one("---\nname: my-skill\ndescription: a: b\n---\n");
        assert_eq!((rule, line, col), ("yaml-syntax", 3, 15));
    }

    #[test]
    fn duplicate_key_is_yaml_error() {
        assert_eq!(
            one("---\nname: a\nname: b\ndescription: d\n---\n").0,
            "yaml-syntax"
        );
    }

    #[test]
    fn frontmatter_not_mapping() {
        assert_eq!(
            one("---\n- a\n- b\n---\n"),
            (
                "frontmatter-not-mapping",
                2,
                1,
                "frontmatter must be a YAML mapping of keys to values, found a list".into()
            )
        );
        assert_eq!(
            one("---\n---\n").3,
            "frontmatter must be a YAML mapping of keys to values, found an empty document"
        );
    }

    #[test]
    fn name_required() {
        assert_eq!(
            one("---\ndescription: d\n---\n"),
            (
                "name-required",
                1,
                1,
                "required frontmatter key `name` is missing".into()
            )
        );
        assert_eq!(
            one("---\nname:\ndescription: d\n---\n"),
            ("name-required", 2, 1, "`name` has no value".into())
        );
    }

    #[test]
    fn name_type() {
        assert_eq!(
            one("---\nname: 12\ndescription: d\n---\n"),
            (
                "name-type",
                2,
                7,
                "`name` must be a string, found a number".into()
            )
        );
    }

    #[test]
    fn name_length() {
        let long = "a".repeat(65);
        assert_eq!(
            one(&format!("---\nname: {long}\ndescription: d\n---\n")),
            (
                "name-length",
                2,
                7,
                "`name` is 65 characters; the limit is 64".into()
            )
        );
        assert_eq!(
            one("---\nname: \"\"\ndescription: d\n---\n"),
            (
                "name-length",
                2,
                7,
                "`name` is empty; it must be 1-64 characters".into()
            )
        );
    }

    #[test]
    fn name_format() {
        assert_eq!(
            one("---\nname: -abc\ndescription: d\n---\n").3,
            "name `-abc` must not start or end with a hyphen"
        );
        assert_eq!(
            one("---\nname: abc-\ndescription: d\n---\n").3,
            "name `abc-` must not start or end with a hyphen"
        );
        assert_eq!(
            one("---\nname: a--b\ndescription: d\n---\n"),
            (
                "name-format",
                2,
                7,
                "name `a--b` must not contain consecutive hyphens (`--`)".into()
            )
        );
        assert_eq!(
            one("---\nname: \"a\\u001b[31m\"\ndescription: d\n---\n").3,
            "name `a\\u{1b}[31m` may only contain lowercase letters a-z, digits 0-9 and hyphens (found '\\u{1b}')"
        );
    }

    #[test]
    fn description_required_and_length() {
        assert_eq!(
            one("---\nname: my-skill\n---\n"),
            (
                "description-required",
                1,
                1,
                "required frontmatter key `description` is missing".into()
            )
        );
        assert_eq!(
            one("---\nname: my-skill\ndescription: \"  \"\n---\n"),
            (
                "description-length",
                3,
                14,
                "`description` is empty; it must be 1-1024 characters".into()
            )
        );
        let long = "é".repeat(1025);
        assert_eq!(
            one(&format!("---\nname: my-skill\ndescription: {long}\n---\n")).3,
            "`description` is 1025 characters; the limit is 1024"
        );
        assert_eq!(
            one("---\nname: my-skill\ndescription: [a]\n---\n"),
            (
                "description-type",
                3,
                14,
                "`description` must be a string, found a list".into()
            )
        );
    }

    #[test]
    fn compatibility_rules() {
        let long = "x".repeat(501);
        assert_eq!(
            one(&fm(&format!("compatibility: {long}\n"))),
            (
                "compatibility-length",
                4,
                16,
                "`compatibility` is 501 characters; the limit is 500".into()
            )
        );
        assert_eq!(
            one(&fm("compatibility: true\n")).3,
            "`compatibility` must be a string, found a boolean"
        );
    }

    #[test]
    fn license_and_allowed_tools_types() {
        assert_eq!(
            one(&fm("license: 2\n")),
            (
                "license-type",
                4,
                10,
                "`license` must be a string, found a number".into()
            )
        );
        assert_eq!(
            one(&fm("allowed-tools:\n  - Bash\n")),
            (
                "allowed-tools-type",
                4,
                15,
                "`allowed-tools` must be a string, found a list".into()
            )
        );
    }

    #[test]
    fn metadata_rules() {
        assert_eq!(
            one(&fm("metadata: nope\n")),
            (
                "metadata-type",
                4,
                11,
                "`metadata` must be a mapping of strings to strings, found a string".into()
            )
        );
        let (_, f) = parse(&fm(
            "metadata:\n  author: me\n  version: 1.0\n  beta: true\n",
        ));
        assert_eq!(f.len(), 2, "{f:#?}");
        assert_eq!(
            (f[0].rule, f[0].line, f[0].column, f[0].message.as_str()),
            (
                "metadata-value-type",
                6,
                12,
                "metadata value for `version` must be a string, found a number"
            )
        );
        assert_eq!(f[0].fix, "Quote the value: `version: \"1.0\"`.");
        assert_eq!(
            f[1].message,
            "metadata value for `beta` must be a string, found a boolean"
        );
        assert_eq!((f[1].line, f[1].column), (7, 9));
        let (_, f) = parse(&fm("metadata:\n  ba: x\n  \"a\": 1\n"));
        assert_eq!((f[0].line, f[0].column), (6, 8), "{f:#?}");
        let (_, f) = parse(&fm("metadata: {v: 2}\n"));
        assert_eq!(
            (f[0].rule, f[0].line, f[0].column),
            ("metadata-value-type", 4, 15)
        );
    }

    #[test]
    fn unknown_key() {
        assert_eq!(
            one(&fm("version: 1\n")),
            (
                "unknown-key",
                4,
                1,
                "unknown frontmatter key `version`; allowed keys are name, description, license, compatibility, metadata, allowed-tools".into()
            )
        );
    }

    #[test]
    fn alias_refused() {
        assert_eq!(
            one("---\nname: &n my-skill\ndescription: *n\n---\n"),
            (
                "yaml-alias",
                2,
                7,
                "YAML anchor (`&`) found; anchors and aliases are not allowed in frontmatter"
                    .into()
            )
        );
        // Literal `&` and `*` inside scalars are fine.
        let (_, f) =
            parse("---\nname: my-skill\ndescription: Tom & Jerry *love* \"&x\" 'it''s *'\n---\n");
        assert!(f.is_empty(), "{f:#?}");
        let (_, f) = parse(
            "---\nname: my-skill\ndescription: |\n  *star* &amp\n  more\nlicense: MIT\n---\n",
        );
        assert!(f.is_empty(), "{f:#?}");
        assert_eq!(one(&fm("metadata: {a: *x}\n")).0, "yaml-alias");
    }

    #[test]
    fn alias_bomb_refused_quickly() {
        let mut text = String::from(
            "---\nname: my-skill\ndescription: d\na: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n",
        );
        let mut prev = 'a';
        for c in 'b'..='i' {
            let refs = vec![format!("*{prev}"); 9].join(",");
            text.push_str(&format!("{c}: &{c} [{refs}]\n"));
            prev = c;
        }
        text.push_str("---\n");
        let start = Instant::now();
        let (p, f) = parse(&text);
        assert!(start.elapsed() < Duration::from_secs(1));
        assert!(p.is_none());
        assert_eq!(f.len(), 1);
        assert_eq!((f[0].rule, f[0].line, f[0].column), ("yaml-alias", 4, 4));
    }

    #[test]
    fn frontmatter_too_large() {
        let big = format!(
            "---\nname: my-skill\ndescription: {}\n---\n",
            "x".repeat(MAX_FRONTMATTER_BYTES)
        );
        assert_eq!(
            one(&big),
            (
                "frontmatter-too-large",
                2,
                1,
                format!(
                    "frontmatter is {} bytes; the limit is 65536 bytes",
                    MAX_FRONTMATTER_BYTES + 29
                )
            )
        );
    }

    #[test]
    fn body_too_long_is_warning() {
        let body = "line\n".repeat(MAX_BODY_LINES + 1);
        let (p, f) = parse(&format!(
            "---\nname: my-skill\ndescription: d\n---\n\n{body}"
        ));
        assert!(p.is_some());
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].severity, Severity::Warning);
        assert_eq!(f[0].rule, "body-too-long");
        assert_eq!(
            f[0].message,
            "body is 501 lines; keep SKILL.md under 500 lines"
        );
        assert_eq!(f[0].line, 506);
    }

    #[test]
    fn crlf_and_bom_accepted() {
        let (p, f) = parse("\u{feff}---\r\nname: my-skill\r\ndescription: d\r\n---\r\n\r\nHi\r\n");
        assert!(f.is_empty(), "{f:#?}");
        let p = p.unwrap();
        assert_eq!(p.body, "Hi\r\n");
        assert_eq!(p.body_line, 6);
    }

    #[test]
    fn render_round_trip() {
        let nasty = [
            "",
            " lead",
            "trail ",
            "yes",
            "No",
            "null",
            "~",
            "1.0",
            "0x10",
            "-x",
            "a: b",
            "a #b",
            "#x",
            "multi\nline",
            "tab\there",
            "quo\"te",
            "back\\slash",
            "'single'",
            "é ☃ 🦀",
            "ls\u{2028}ps\u{2029}nel\u{85}",
            "bom\u{feff}",
            "ctl\u{1}\u{7f}\u{9f}",
            "[a]",
            "{b}",
            "*star",
            "&amp",
            "!tag",
            "%pct",
            "@at",
            "`tick`",
            "key:",
            "plain text, fine",
        ];
        for s in nasty {
            let f = Frontmatter {
                name: "my-skill".into(),
                description: s.into(),
                license: Some(s.into()),
                compatibility: Some(s.into()),
                metadata: BTreeMap::from([(s.to_owned(), s.to_owned()), ("k".into(), s.into())]),
                allowed_tools: Some(s.into()),
            };
            for body in ["", "Body\n", "\nstarts blank\n", "no newline"] {
                let text = render_skill_md(&f, body);
                let (p, _) = parse(&text);
                let p = p.unwrap_or_else(|| panic!("{text}"));
                assert_eq!(p.frontmatter, f, "{text}");
                assert_eq!(p.body, body, "{text}");
            }
        }
        let f = Frontmatter {
            name: "my-skill".into(),
            description: "Does things.".into(),
            license: None,
            compatibility: None,
            metadata: BTreeMap::new(),
            allowed_tools: None,
        };
        assert_eq!(
            render_skill_md(&f, "Hi\n"),
            "---\nname: my-skill\ndescription: Does things.\n---\n\nHi\n"
        );
        let (_, findings) = parse(&render_skill_md(&f, "Hi\n"));
        assert!(findings.is_empty());
    }

    #[test]
    fn never_panics_on_odd_input() {
        let inputs = [
            "---",
            "---\n",
            "---\n---",
            "---\n\"\n---\n",
            "---\n'\n---\n",
            "---\n:\n---\n",
            "---\n? [a]\n: b\n---\n",
            "---\nname: !!binary aGk=\ndescription: d\n---\n",
            "---\n[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\n---\n",
            "---\n\"\u{0}\": 1\n---\n",
            "---\nmetadata:\n  \"k\": 1\n---\n",
            "---\n{a: 1}: 2\n---\n",
            "---\n- |\n  x\n---\n",
            "---\nname: x\ndescription: >-\n---\n",
        ];
        for i in inputs {
            let _ = parse(i);
        }
    }

    #[test]
    fn deep_nesting_refused_quickly() {
        let start = Instant::now();
        for deep in [
            format!("---\na: {}\n---\n", "[".repeat(60_000)),
            format!("---\na: {}\n---\n", "{a: ".repeat(10_000)),
            format!("---\n{}x\n---\n", "- ".repeat(30_000)),
            format!(
                "---\n{}\n---\n",
                (0..40)
                    .map(|i| format!("{}k{i}:", " ".repeat(i)))
                    .collect::<Vec<_>>()
                    .join("\n")
            ),
        ] {
            let (p, f) = parse(&deep);
            assert!(p.is_none());
            assert_eq!(f.len(), 1, "{f:#?}");
            assert_eq!(f[0].rule, "yaml-too-deep");
            assert_eq!(f[0].message, "frontmatter nests more than 32 levels deep");
        }
        assert!(start.elapsed() < Duration::from_secs(2));
        // Normal nesting is fine.
        let (p, f) = parse(&fm("metadata: {a: \"[[[x]]]\", b: '{{'}\n"));
        assert!(f.is_empty(), "{f:#?}");
        assert_eq!(p.unwrap().frontmatter.metadata["a"], "[[[x]]]");
    }

    // -- folder tests -------------------------------------------------------

    fn good_dir() -> (tempfile::TempDir, PathBuf) {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("my-skill");
        std::fs::create_dir_all(dir.join("scripts")).unwrap();
        std::fs::create_dir_all(dir.join("references")).unwrap();
        std::fs::create_dir_all(dir.join("assets")).unwrap();
        std::fs::create_dir_all(dir.join("tests")).unwrap();
        std::fs::write(
            dir.join("SKILL.md"),
            "---\nname: my-skill\ndescription: Does things.\n---\n\n# My skill\n\nSee [the guide](references/guide.md#setup), \
             ![logo](assets/a%20b.png), [top](#my-skill), [web](https://example.com), <mailto:x@y.z>, <x@y.z>, \
             [dir](./scripts/) and [self](SKILL.md).\n",
        )
        .unwrap();
        std::fs::write(dir.join("scripts/index.ts"), "export default 1;\n").unwrap();
        std::fs::write(dir.join("references/guide.md"), "# Guide\n").unwrap();
        std::fs::write(dir.join("assets/a b.png"), [0x89, b'P', b'N', b'G', 0xff]).unwrap();
        std::fs::write(dir.join("tests/recording.json"), "{\"version\":1}").unwrap();
        (tmp, dir)
    }

    #[test]
    fn good_folder_has_zero_findings() {
        let (_tmp, dir) = good_dir();
        let (p, f) = validate_dir(&dir);
        assert!(f.is_empty(), "{f:#?}");
        assert_eq!(p.unwrap().frontmatter.name, "my-skill");
    }

    #[test]
    fn name_mismatch() {
        let (_tmp, dir) = good_dir();
        let other = dir.with_file_name("other");
        std::fs::rename(&dir, &other).unwrap();
        let (p, f) = validate_dir(&other);
        assert!(p.is_some());
        assert_eq!(f.len(), 1, "{f:#?}");
        assert_eq!(
            (
                f[0].file.as_str(),
                f[0].rule,
                f[0].line,
                f[0].column,
                f[0].message.as_str()
            ),
            (
                "other/SKILL.md",
                "name-mismatch",
                2,
                7,
                "name `my-skill` does not match the folder name `other`"
            )
        );
    }

    #[test]
    fn skill_md_missing() {
        let (_tmp, dir) = good_dir();
        std::fs::remove_file(dir.join("SKILL.md")).unwrap();
        let (p, f) = validate_dir(&dir);
        assert!(p.is_none());
        assert_eq!(
            (f[0].rule, f[0].message.as_str()),
            ("skill-md-missing", "the skill folder has no SKILL.md")
        );
    }

    #[cfg(unix)]
    #[test]
    fn symlink_refused() {
        let (_tmp, dir) = good_dir();
        std::os::unix::fs::symlink("/etc/passwd", dir.join("references/passwd")).unwrap();
        let (_, f) = validate_dir(&dir);
        assert_eq!(f.len(), 1, "{f:#?}");
        assert_eq!(
            (f[0].file.as_str(), f[0].rule, f[0].message.as_str()),
            (
                "my-skill/references/passwd",
                "symlink",
                "is a symbolic link; skill folders must not contain symlinks"
            )
        );
        // A symlinked SKILL.md is not followed.
        std::fs::rename(dir.join("SKILL.md"), dir.join("REAL.md")).unwrap();
        std::os::unix::fs::symlink(dir.join("REAL.md"), dir.join("SKILL.md")).unwrap();
        let (p, f) = validate_dir(&dir);
        assert!(p.is_none());
        assert!(
            f.iter()
                .any(|f| f.file == "my-skill/SKILL.md" && f.rule == "symlink"),
            "{f:#?}"
        );
    }

    #[test]
    fn non_utf8_file() {
        let (_tmp, dir) = good_dir();
        std::fs::write(
            dir.join("scripts/index.ts"),
            b"let a = 1;\nlet b = \"\xff\";\n",
        )
        .unwrap();
        let (_, f) = validate_dir(&dir);
        assert_eq!(f.len(), 1, "{f:#?}");
        assert_eq!(
            (
                f[0].file.as_str(),
                f[0].rule,
                f[0].line,
                f[0].column,
                f[0].message.as_str()
            ),
            (
                "my-skill/scripts/index.ts",
                "not-utf8",
                2,
                10,
                "`scripts/index.ts` is not valid UTF-8 (invalid byte 0xff at byte offset 20)"
            )
        );
        std::fs::write(
            dir.join("SKILL.md"),
            b"---\nname: my-skill\ndescription: \xe9\n---\n",
        )
        .unwrap();
        let (p, f) = validate_dir(&dir);
        assert!(p.is_none());
        assert!(
            f.iter()
                .any(|f| f.file == "my-skill/SKILL.md" && f.rule == "not-utf8" && f.line == 3)
        );
    }

    #[test]
    fn oversized_file() {
        let (_tmp, dir) = good_dir();
        let size = usize::try_from(MAX_FILE_BYTES).unwrap() + 1;
        std::fs::write(dir.join("assets/big.bin"), vec![0u8; size]).unwrap();
        let (_, f) = validate_dir(&dir);
        assert_eq!(f.len(), 1, "{f:#?}");
        assert_eq!(
            (f[0].file.as_str(), f[0].rule, f[0].message.as_str()),
            (
                "my-skill/assets/big.bin",
                "file-too-large",
                "file is 1048577 bytes; the limit is 1048576 bytes (1 MiB)"
            )
        );
    }

    #[test]
    fn broken_and_escaping_links() {
        let (_tmp, dir) = good_dir();
        std::fs::write(
            dir.join("SKILL.md"),
            "---\nname: my-skill\ndescription: d\n---\n\nRead [it](references/missing.md).\n\n![pic](assets/none.png)\n[up](../other/SKILL.md) [ok](references/../references/guide.md) [abs](/etc/passwd)\n",
        )
        .unwrap();
        let (_, f) = validate_dir(&dir);
        let got: Vec<_> = f
            .iter()
            .map(|f| (f.rule, f.line, f.column, f.message.as_str()))
            .collect();
        assert_eq!(
            got,
            vec![
                (
                    "broken-link",
                    6,
                    11,
                    "link target `references/missing.md` does not exist in the skill folder"
                ),
                (
                    "broken-link",
                    8,
                    8,
                    "image target `assets/none.png` does not exist in the skill folder"
                ),
                (
                    "link-escape",
                    9,
                    6,
                    "link `../other/SKILL.md` points outside the skill folder"
                ),
                (
                    "link-escape",
                    9,
                    71,
                    "link `/etc/passwd` is an absolute path; links must stay inside the skill folder"
                ),
            ]
        );
    }

    #[cfg(unix)]
    #[test]
    fn special_file_not_read() {
        let (_tmp, dir) = good_dir();
        let fifo = dir.join("references/pipe");
        let ok = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            return;
        }
        let (_, f) = validate_dir(&dir);
        assert_eq!(f.len(), 1, "{f:#?}");
        assert_eq!(
            (f[0].rule, f[0].file.as_str()),
            ("special-file", "my-skill/references/pipe")
        );
    }
}
