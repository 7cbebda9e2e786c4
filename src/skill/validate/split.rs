//! Splitting SKILL.md into its YAML frontmatter and markdown body.
//!
//! Only the `---` fences are looked at (a leading BOM, CRLF line ends and the
//! one blank line `render_skill_md` puts after the closing fence are
//! accepted). This file never parses YAML and never reports findings itself:
//! the caller turns a [`SplitError`] into one.

pub(super) struct Split<'a> {
    pub(super) yaml: &'a str,
    pub(super) body: &'a str,
    pub(super) body_line: u32,
}

pub(super) enum SplitError {
    Missing,
    Unclosed,
}

fn is_fence(line: &str) -> bool {
    line.trim_end_matches(['\n', '\r', ' ', '\t']) == "---"
}

pub(super) fn split_frontmatter(text: &str) -> Result<Split<'_>, SplitError> {
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

#[cfg(test)]
mod tests {
    use super::super::test_support::{one, parse};

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
    fn crlf_and_bom_accepted() {
        let (p, f) = parse("\u{feff}---\r\nname: my-skill\r\ndescription: d\r\n---\r\n\r\nHi\r\n");
        assert!(f.is_empty(), "{f:#?}");
        let p = p.unwrap();
        assert_eq!(p.body, "Hi\r\n");
        assert_eq!(p.body_line, 6);
    }
}
