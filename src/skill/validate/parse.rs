//! SKILL.md text to a [`ParsedSkill`] and its findings, as named steps:
//! split the frontmatter, refuse what must not reach the YAML parser, parse
//! the YAML mapping, check the frontmatter rules, check the body length.
//!
//! Parsing never touches the file system (the folder checks are in
//! `folder`), never expands YAML aliases, and never panics on any input.

use yaml_serde::{Mapping, Value};

use super::rules;
use super::scan::{MAX_YAML_DEPTH, ScanIssue, find_anchor_or_alias};
use super::sink::{Sink, described, escape_controls, to_u32};
use super::split::{Split, SplitError, split_frontmatter};
use super::{Finding, MAX_FRONTMATTER_BYTES, ParsedSkill, YAML_FIRST_LINE};

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

/// The named steps: split, refuse before parsing, parse the YAML mapping,
/// check the frontmatter rules, check the body length.
pub(super) fn parse_into(text: &str, sink: &mut Sink) -> Option<ParsedSkill> {
    let split = split_or_report(text, sink)?;
    refuse_before_parsing(split.yaml, sink)?;
    let map = parse_mapping(split.yaml, sink)?;
    let frontmatter = rules::check_frontmatter(&map, split.yaml, sink);
    rules::check_body_length(&split, sink);
    Some(ParsedSkill {
        frontmatter: frontmatter?,
        body: split.body.to_owned(),
        body_line: split.body_line,
    })
}

/// Splits SKILL.md at its fences; a missing or unclosed frontmatter is a finding.
fn split_or_report<'a>(text: &'a str, sink: &mut Sink) -> Option<Split<'a>> {
    match split_frontmatter(text) {
        Ok(split) => Some(split),
        Err(SplitError::Missing) => {
            sink.error(
                (1, 1),
                "frontmatter-missing",
                "SKILL.md must start with a `---` line opening the YAML frontmatter".to_owned(),
                "Add `---`, `name: <folder-name>`, `description: <what it does and when to use it>` and a closing `---` at the top of SKILL.md.",
            );
            None
        }
        Err(SplitError::Unclosed) => {
            sink.error(
                (1, 1),
                "frontmatter-unclosed",
                "the frontmatter opened on line 1 is never closed by a `---` line".to_owned(),
                "Add a line containing only `---` after the last frontmatter key.",
            );
            None
        }
    }
}

/// Refuses, before any YAML parser sees it, frontmatter that is too large,
/// nests too deep or holds an anchor or alias.
fn refuse_before_parsing(yaml: &str, sink: &mut Sink) -> Option<()> {
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
    Some(())
}

/// Parses the frontmatter YAML; anything but a mapping is a finding.
fn parse_mapping(yaml: &str, sink: &mut Sink) -> Option<Mapping> {
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
    Some(map)
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

#[cfg(test)]
mod tests {
    use super::super::MAX_FRONTMATTER_BYTES;
    use super::super::test_support::{fm, one, parse};

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
}
