//! The `name` rules (length, allowed characters, hyphens) and the name
//! suggested in the fix.
//!
//! Only the name's text is checked here; that the name matches the folder is
//! checked by the folder walk. This file never touches the file system.

use super::MAX_NAME_CHARS;
use super::sink::{Sink, show};

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

pub(super) fn check_name(name: &str, at: (u32, u32), sink: &mut Sink) {
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

#[cfg(test)]
mod tests {
    use super::super::test_support::one;

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
}
