//! Links and images in the SKILL.md body: a relative target should stay inside
//! the skill folder (one that leaves it is a warning: agents may not reach it)
//! and must exist there. `{baseDir}/` (the skill folder, as agents expand it)
//! is understood. Web links, e-mail links, fragments and other schemes are left
//! alone.
//!
//! The check only asks whether a target exists (without following a
//! symlink); it never reads, opens or fetches a link's target.

use std::path::{Path, PathBuf};

use pulldown_cmark::{Event, LinkType, Options, Parser, Tag};

use super::ParsedSkill;
use super::sink::{Sink, show, to_u32};

/// What agents replace with the skill folder's path in links.
const BASE_DIR: &str = "{baseDir}";

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

pub(super) fn check_links(dir: &Path, parsed: &ParsedSkill, sink: &mut Sink) {
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
        // Agents expand `{baseDir}` to the skill folder.
        let path_part = path_part
            .strip_prefix(BASE_DIR)
            .map_or(path_part, |rest| rest.trim_start_matches(['/', '\\']));
        let decoded = percent_decode(path_part);
        let shown = show(dest);
        if decoded.starts_with('/') || decoded.starts_with('\\') {
            sink.warning(
                at,
                "link-escape",
                format!(
                    "{kind} `{shown}` is an absolute path; agents may not reach it from the skill folder"
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
            sink.warning(
                at,
                "link-escape",
                format!(
                    "{kind} `{shown}` points outside the skill folder; agents may not reach it"
                ),
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
    use super::super::test_support::good_dir;
    use super::super::{Severity, validate_dir};

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
        let severities: Vec<_> = f.iter().map(|f| f.severity).collect();
        assert_eq!(
            severities,
            [
                Severity::Error,
                Severity::Error,
                Severity::Warning,
                Severity::Warning
            ]
        );
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
                    "link `../other/SKILL.md` points outside the skill folder; agents may not reach it"
                ),
                (
                    "link-escape",
                    9,
                    71,
                    "link `/etc/passwd` is an absolute path; agents may not reach it from the skill folder"
                ),
            ]
        );
    }

    #[test]
    fn base_dir_links_resolve_in_the_skill_folder() {
        let (_tmp, dir) = good_dir();
        std::fs::write(
            dir.join("SKILL.md"),
            "---\nname: my-skill\ndescription: d\n---\n\nRead [it]({baseDir}/references/guide.md) and [gone]({baseDir}/references/gone.md).\n",
        )
        .unwrap();
        let (_, f) = validate_dir(&dir);
        let got: Vec<_> = f.iter().map(|f| (f.rule, f.message.as_str())).collect();
        assert_eq!(
            got,
            [(
                "broken-link",
                "link target `{baseDir}/references/gone.md` does not exist in the skill folder"
            )]
        );
    }
}
