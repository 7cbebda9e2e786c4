//! JSDoc comments: what goes into them and how they are printed safely.

use std::collections::HashSet;

use serde_json::{Map, Value};

use crate::tool::ToolSpec;

/// Schema keywords shown as `@keyword value` tags.
const CONSTRAINTS: &[&str] = &[
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "multipleOf",
    "minLength",
    "maxLength",
    "pattern",
    "minItems",
    "maxItems",
    "uniqueItems",
    "minProperties",
    "maxProperties",
];

/// MCP tool annotation hints and how each value reads.
const HINTS: &[(&str, &str, &str)] = &[
    ("readOnlyHint", "read-only", "not read-only"),
    ("destructiveHint", "destructive", "non-destructive"),
    ("idempotentHint", "idempotent", "not idempotent"),
    ("openWorldHint", "open-world", "closed-world"),
];

/// Longest summary line in listings, in characters.
const SUMMARY_LEN: usize = 160;

/// Prints `lines` as a JSDoc comment at `indent` spaces, or nothing when there is no text.
///
/// Each entry may hold several lines; every `*/` is escaped so text cannot end the comment,
/// trailing whitespace and surrounding blank lines are dropped, and runs of blank lines
/// collapse to one.
pub(super) fn render(lines: &[String], indent: usize) -> String {
    let mut physical: Vec<String> = Vec::new();
    for line in lines.iter().flat_map(|entry| split_lines(entry)) {
        let line = line.trim_end().replace("*/", "*\\/");
        let blank_run = line.is_empty() && physical.last().is_none_or(String::is_empty);
        if !blank_run {
            physical.push(line);
        }
    }
    while physical.last().is_some_and(String::is_empty) {
        physical.pop();
    }
    let pad = " ".repeat(indent);
    match physical.as_slice() {
        [] => String::new(),
        [only] => format!("{pad}/** {only} */\n"),
        all => {
            let mut out = format!("{pad}/**\n");
            for line in all {
                out.push_str(&pad);
                out.push_str(if line.is_empty() { " *" } else { " * " });
                out.push_str(line);
                out.push('\n');
            }
            out.push_str(&pad);
            out.push_str(" */\n");
            out
        }
    }
}

/// Splits on every line terminator JavaScript knows (`\r\n`, `\n`, `\r`, U+2028, U+2029).
fn split_lines(text: &str) -> Vec<String> {
    text.replace("\r\n", "\n")
        .split(['\n', '\r', '\u{2028}', '\u{2029}'])
        .map(str::to_owned)
        .collect()
}

/// Documentation of a schema: title (unless it merely restates `name`), description, format,
/// constraints, default, examples and deprecation.
///
/// Without a description of its own, descriptions of direct `anyOf`/`oneOf`/`allOf` members
/// are used, since those members have no place of their own to carry docs.
pub(super) fn schema_doc(schema: &Value, name: Option<&str>) -> Vec<String> {
    let Value::Object(map) = schema else {
        return Vec::new();
    };
    let mut lines = Vec::new();
    if let Some(title) = map.get("title").and_then(Value::as_str)
        && !name.is_some_and(|name| same_words(name, title))
    {
        lines.push(title.to_owned());
    }
    match map.get("description").and_then(Value::as_str) {
        Some(description) => lines.push(description.to_owned()),
        None => lines.extend(member_descriptions(map)),
    }
    if let Some(format) = map.get("format") {
        lines.push(format!("@format {}", plain(format)));
    }
    for key in CONSTRAINTS {
        if let Some(value) = map.get(*key) {
            lines.push(format!("@{key} {}", plain(value)));
        }
    }
    if let Some(default) = map.get("default") {
        lines.push(format!("@default {default}"));
    }
    match map.get("examples") {
        Some(Value::Array(examples)) => {
            lines.extend(examples.iter().map(|e| format!("@example {e}")));
        }
        Some(example) => lines.push(format!("@example {example}")),
        None => {}
    }
    if let Some(example) = map.get("example") {
        lines.push(format!("@example {example}"));
    }
    if map.get("deprecated") == Some(&Value::Bool(true)) {
        lines.push("@deprecated".to_owned());
    }
    lines
}

/// Distinct descriptions of a schema's direct combinator members.
fn member_descriptions(map: &Map<String, Value>) -> Vec<String> {
    let mut seen = HashSet::new();
    ["anyOf", "oneOf", "allOf"]
        .iter()
        .filter_map(|key| map.get(*key)?.as_array())
        .flatten()
        .filter_map(|member| member.get("description")?.as_str())
        .filter(|description| seen.insert(*description))
        .map(str::to_owned)
        .collect()
}

/// Whether a title only restates a name (`Repo Path` for `repo_path`).
fn same_words(name: &str, title: &str) -> bool {
    let letters = |s: &str| -> String {
        s.chars()
            .filter(|c| c.is_alphanumeric())
            .flat_map(char::to_lowercase)
            .collect()
    };
    letters(name) == letters(title)
}

/// Strings as they are, anything else as compact JSON.
fn plain(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The title a tool shows: its own, else the one in its annotations.
fn tool_title(tool: &ToolSpec) -> Option<&str> {
    tool.title
        .as_deref()
        .or_else(|| tool.annotations.as_ref()?.get("title")?.as_str())
}

/// Documentation of a tool's function: title, description and annotation hints.
pub(super) fn tool_doc(tool: &ToolSpec) -> Vec<String> {
    let mut lines = Vec::new();
    if let Some(title) = tool_title(tool) {
        lines.push(title.to_owned());
        lines.push(String::new());
    }
    if let Some(description) = &tool.description {
        lines.push(description.clone());
        lines.push(String::new());
    }
    if let Some(Value::Object(annotations)) = &tool.annotations {
        for (key, yes, no) in HINTS {
            if let Some(Value::Bool(value)) = annotations.get(*key) {
                lines.push(format!("@remarks {}", if *value { yes } else { no }));
            }
        }
    }
    lines
}

/// One line about a tool for listings: the first sentence of its description, else its title.
pub(super) fn tool_summary(tool: &ToolSpec) -> String {
    let text = tool
        .description
        .as_deref()
        .filter(|d| !d.trim().is_empty())
        .or_else(|| tool_title(tool))
        .unwrap_or_default();
    let line = text
        .lines()
        .map(str::trim)
        .find(|line| !line.is_empty())
        .unwrap_or_default();
    let sentence = line
        .split_inclusive(". ")
        .next()
        .unwrap_or_default()
        .trim_end();
    if sentence.chars().count() > SUMMARY_LEN {
        let mut cut: String = sentence.chars().take(SUMMARY_LEN - 1).collect();
        cut.push('…');
        cut
    } else {
        sentence.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn strings(lines: &[&str]) -> Vec<String> {
        lines.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn single_lines_stay_on_one_line() {
        assert_eq!(render(&strings(&["Hello"]), 2), "  /** Hello */\n");
        assert_eq!(render(&strings(&["", "  "]), 0), "");
        assert_eq!(render(&[], 0), "");
    }

    #[test]
    fn comment_terminators_are_escaped() {
        let out = render(&strings(&["a */ b **/ c", "/* d */"]), 0);
        assert_eq!(out, "/**\n * a *\\/ b **\\/ c\n * /* d *\\/\n */\n");
        assert_eq!(out.matches("*/").count(), 1);
    }

    #[test]
    fn every_line_terminator_starts_a_prefixed_line() {
        let out = render(
            &strings(&["one\r\ntwo\rthree\u{2028}four\n\n\n\nfive  \n"]),
            0,
        );
        assert_eq!(
            out,
            "/**\n * one\n * two\n * three\n * four\n *\n * five\n */\n"
        );
    }

    #[test]
    fn schema_docs_collect_annotations_and_constraints() {
        let schema = json!({
            "title": "Count", "description": "How many.", "format": "int32",
            "minimum": 1, "maximum": 10, "pattern": "^[0-9]+$", "default": 3,
            "examples": [1, "two"], "deprecated": true, "type": "integer"
        });
        assert_eq!(
            schema_doc(&schema, None),
            strings(&[
                "Count",
                "How many.",
                "@format int32",
                "@minimum 1",
                "@maximum 10",
                "@pattern ^[0-9]+$",
                "@default 3",
                "@example 1",
                "@example \"two\"",
                "@deprecated",
            ])
        );
    }

    #[test]
    fn titles_restating_the_name_are_dropped() {
        let schema = json!({"title": "Repo Path", "type": "string"});
        assert!(schema_doc(&schema, Some("repo_path")).is_empty());
        assert_eq!(schema_doc(&schema, Some("path")), strings(&["Repo Path"]));
    }

    #[test]
    fn member_descriptions_stand_in_for_a_missing_description() {
        let schema = json!({"anyOf": [
            {"type": "object", "description": "An object."},
            {"type": "string", "description": "An object."},
            {"type": "null", "description": "Nothing."}
        ]});
        assert_eq!(
            schema_doc(&schema, None),
            strings(&["An object.", "Nothing."])
        );
    }

    fn tool(description: Option<&str>, title: Option<&str>, annotations: Value) -> ToolSpec {
        ToolSpec {
            name: "t".into(),
            title: title.map(str::to_owned),
            description: description.map(str::to_owned),
            input_schema: json!({}),
            output_schema: None,
            annotations: Some(annotations),
        }
    }

    #[test]
    fn tool_docs_show_title_description_and_hints() {
        let t = tool(
            Some("Reads things."),
            None,
            json!({"title": "Reader", "readOnlyHint": true, "destructiveHint": false,
                   "idempotentHint": true, "openWorldHint": false, "other": 1}),
        );
        assert_eq!(
            render(&tool_doc(&t), 0),
            "/**\n * Reader\n *\n * Reads things.\n *\n * @remarks read-only\n * @remarks non-destructive\n * @remarks idempotent\n * @remarks closed-world\n */\n"
        );
    }

    #[test]
    fn summaries_take_the_first_sentence() {
        let summary = |d: Option<&str>, t: Option<&str>| tool_summary(&tool(d, t, json!({})));
        assert_eq!(summary(Some("First one. Second."), None), "First one.");
        assert_eq!(
            summary(Some("\n  Notion | Get\nMore"), None),
            "Notion | Get"
        );
        assert_eq!(summary(Some("e.g.x is fine"), None), "e.g.x is fine");
        assert_eq!(summary(None, Some("Title")), "Title");
        assert_eq!(summary(Some("  "), None), "");
        let long = summary(Some(&"x".repeat(500)), None);
        assert_eq!(long.chars().count(), SUMMARY_LEN);
        assert!(long.ends_with('…'));
    }
}
