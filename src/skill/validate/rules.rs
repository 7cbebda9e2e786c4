//! The frontmatter rules: allowed keys, required keys, value types, lengths
//! and metadata shape (the `name` format is in `name`), and the body-length
//! warning.
//!
//! The rules look only at the parsed YAML mapping and the frontmatter text
//! (for positions); they never touch the file system and never give up at the
//! first problem: every broken rule is its own finding.

use std::collections::BTreeMap;

use yaml_serde::{Mapping, Value};

use super::agents::agent_key;
use super::locate::{locate_key, locate_nested_key};
use super::name::check_name;
use super::sink::{Sink, described, scalar_text, show, to_u32};
use super::split::Split;
use super::{
    ALLOWED_KEYS, Frontmatter, MAX_BODY_LINES, MAX_COMPATIBILITY_CHARS, MAX_DESCRIPTION_CHARS,
    RuleSet, Severity, YAML_FIRST_LINE,
};

/// Checks every key of the frontmatter mapping. `Some` when `name` and
/// `description` are strings (even if other rules fail).
pub(super) fn check_frontmatter(map: &Mapping, yaml: &str, sink: &mut Sink) -> Option<Frontmatter> {
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

    for (k, v) in map {
        let Some(key) = k.as_str() else {
            let shown = show(&scalar_text(k));
            sink.warning(
                (YAML_FIRST_LINE, 1),
                "unknown-key",
                format!(
                    "frontmatter key `{shown}` is defined neither by the specification nor by a known agent; agents ignore it"
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
                Value::Sequence(items) if items.iter().all(Value::is_string) => {
                    sink.add(
                        RuleSet::Agent,
                        Severity::Note,
                        value_at(key),
                        "allowed-tools-list",
                        "`allowed-tools` is a YAML list: Claude Code reads it, the specification wants one space-separated string".to_owned(),
                        "Write allowed-tools as one space-separated string for other agents, e.g. `allowed-tools: Bash(git:*) Read`.".to_owned(),
                    );
                    let names: Vec<&str> = items.iter().filter_map(Value::as_str).collect();
                    allowed_tools = Some(names.join(" "));
                }
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
            other => match agent_key(other) {
                Some(known) => sink.add(
                    RuleSet::Agent,
                    Severity::Note,
                    key_at(other),
                    "agent-key",
                    format!(
                        "`{other}` is {}'s key ({}); other agents ignore it",
                        known.agent, known.meaning
                    ),
                    format!(
                        "Nothing to fix for {}; for every agent, say it in the body or under `metadata:`.",
                        known.agent
                    ),
                ),
                None => {
                    let shown = show(other);
                    sink.warning(
                        key_at(other),
                        "unknown-key",
                        format!(
                            "frontmatter key `{shown}` is defined neither by the specification nor by a known agent; agents ignore it"
                        ),
                        format!(
                            "Remove `{shown}`, or move it under `metadata:` with a string value."
                        ),
                    );
                }
            },
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

    Some(Frontmatter {
        name: name?,
        description: description?,
        license,
        compatibility,
        metadata,
        allowed_tools,
    })
}

/// A body longer than [`MAX_BODY_LINES`] draws a warning.
pub(super) fn check_body_length(split: &Split<'_>, sink: &mut Sink) {
    let body_lines = split.body.lines().count();
    if body_lines > MAX_BODY_LINES {
        sink.warning(
            (split.body_line.saturating_add(to_u32(MAX_BODY_LINES)), 1),
            "body-too-long",
            format!("body is {body_lines} lines; keep SKILL.md under {MAX_BODY_LINES} lines"),
            "Move detailed material into references/ and link to it from the body.",
        );
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{fm, one, parse};
    use super::super::{MAX_BODY_LINES, RuleSet, Severity};

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
            one(&fm("allowed-tools:\n  - 2\n")),
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
    fn unknown_key_is_a_warning() {
        let (p, f) = parse(&fm("requires: [composio]\n"));
        assert!(p.is_some());
        assert_eq!(f.len(), 1, "{f:#?}");
        assert_eq!(
            (f[0].set, f[0].severity, f[0].rule, f[0].line, f[0].column),
            (RuleSet::Spec, Severity::Warning, "unknown-key", 4, 1)
        );
        assert_eq!(
            f[0].message,
            "frontmatter key `requires` is defined neither by the specification nor by a known agent; agents ignore it"
        );
    }

    #[test]
    fn agent_keys_are_notes_naming_the_agent() {
        let (p, f) = parse(&fm(
            "argument-hint: \"[file]\"\ndisable-model-invocation: true\nallowed-tools:\n  - Read\n  - Bash(git:*)\nversion: 1.0.0\n",
        ));
        let p = p.unwrap();
        assert_eq!(
            p.frontmatter.allowed_tools.as_deref(),
            Some("Read Bash(git:*)")
        );
        let got: Vec<_> = f
            .iter()
            .map(|f| (f.set, f.severity, f.rule, f.line))
            .collect();
        assert_eq!(
            got,
            [
                (RuleSet::Agent, Severity::Note, "agent-key", 4),
                (RuleSet::Agent, Severity::Note, "agent-key", 5),
                (RuleSet::Agent, Severity::Note, "allowed-tools-list", 6),
                (RuleSet::Agent, Severity::Note, "agent-key", 9),
            ]
        );
        assert_eq!(
            f[0].message,
            "`argument-hint` is Claude Code's key (the hint shown for the skill's arguments in the `/` menu); other agents ignore it"
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
}
