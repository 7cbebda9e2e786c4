//! A scan of the frontmatter text, without a YAML parser, for what must be
//! refused before one runs: anchors and aliases (an alias bomb expands
//! exponentially) and nesting deeper than [`MAX_YAML_DEPTH`] (deep nesting
//! makes the parser slow).
//!
//! The scan errs on the side of reporting and runs in time linear in the
//! text. It must never expand, resolve or parse anything itself.

fn leading_spaces(line: &str) -> usize {
    line.len() - line.trim_start_matches(' ').len()
}

/// Most nesting levels allowed in frontmatter YAML (deep nesting makes the
/// YAML parser slow).
pub const MAX_YAML_DEPTH: usize = 32;

/// Something refused before the YAML parser sees the frontmatter; positions
/// are (0-based line, 0-based char column).
pub(super) enum ScanIssue {
    /// An anchor (`&`) or alias (`*`).
    Alias(usize, usize, char),
    /// Nesting deeper than [`MAX_YAML_DEPTH`].
    TooDeep(usize, usize),
}

/// Finds the first YAML anchor (`&x`) or alias (`*x`) in `yaml`, or the first
/// place where nesting exceeds [`MAX_YAML_DEPTH`]. Errs on the side of
/// reporting: a `*` or `&` where a YAML node may start is reported.
pub(super) fn find_anchor_or_alias(yaml: &str) -> Option<ScanIssue> {
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

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use super::super::test_support::{fm, one, parse};

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
}
