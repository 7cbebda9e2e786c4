//! Frontmatter and body back to SKILL.md text, quoting YAML strings only
//! when needed so that [`parse_skill_md`](super::parse_skill_md) reads back
//! exactly what was rendered.
//!
//! Rendering never validates (callers validate the folder they write) and
//! never emits YAML anchors, aliases, tags or nesting beyond `metadata`.

use super::Frontmatter;

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

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::super::Frontmatter;
    use super::super::test_support::parse;
    use super::render_skill_md;

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
}
