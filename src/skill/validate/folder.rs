//! Validating a whole skill folder: the folder itself, SKILL.md (read,
//! parsed, its name matched to the folder, its links checked) and a walk of
//! every other entry (symlinks, special files, sizes, UTF-8 of text files).
//!
//! The walk never follows a symlink, never reads a special file, never reads
//! more than [`MAX_FILE_BYTES`] of a file, stops after [`MAX_ENTRIES`]
//! entries, and never writes anything.

use std::path::{Path, PathBuf};

use super::links::check_links;
use super::locate::locate_key;
use super::parse::parse_into;
use super::sink::{Sink, show, to_u32};
use super::split::split_frontmatter;
use super::{Finding, MAX_ENTRIES, MAX_FILE_BYTES, ParsedSkill, YAML_FIRST_LINE};

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

#[cfg(test)]
mod tests {
    use super::super::MAX_FILE_BYTES;
    use super::super::test_support::good_dir;
    use super::validate_dir;

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
