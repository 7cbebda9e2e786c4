//! Validating a whole skill folder: the folder itself (a symbolic link to a
//! folder is read through only when its target stays inside a given root, the
//! registry), SKILL.md (read, UTF-8, parsed, its name matched to the folder,
//! its links checked) and a walk of every other entry (symlinks, special
//! files, sizes). Other files may hold anything: they are never read.
//!
//! The walk never follows a symlink inside the folder, never reads a special
//! file, reads only SKILL.md (at most [`MAX_FILE_BYTES`]), stops after
//! [`MAX_ENTRIES`] entries, and never writes anything.

use std::path::{Path, PathBuf};

use super::code::check_code_skill;
use super::links::check_links;
use super::locate::locate_key;
use super::parse::parse_into;
use super::sink::{Sink, show, to_u32};
use super::split::split_frontmatter;
use super::{Finding, MAX_ENTRIES, MAX_FILE_BYTES, ParsedSkill, YAML_FIRST_LINE};

/// Validate a whole folder: SKILL.md rules + folder rules (symlinks, special
/// files, sizes, body links). `Option<ParsedSkill>` is Some when SKILL.md
/// parsed well enough to use. skillet's rules for code skills are not checked
/// here (see `check_code_skill`). A folder that is a symbolic link is refused:
/// [`validate_dir_within`] reads through one whose target stays in a root.
pub fn validate_dir(dir: &Path) -> (Option<ParsedSkill>, Vec<Finding>) {
    validate_dir_within(dir, None)
}

/// [`validate_dir`], reading through a skill folder that is a symbolic link (as `npx skills
/// add` makes them) when its target lies inside `root` (the registry's folder). The folder's
/// name (what `name` must match) is the link's; its files are read from the resolved target.
pub fn validate_dir_within(dir: &Path, root: Option<&Path>) -> (Option<ParsedSkill>, Vec<Finding>) {
    let (_, parsed, findings) = validate_folder(dir, root);
    (parsed, findings)
}

/// [`validate_dir_within`] and, for a skillet code skill, skillet's own rules
/// ([`check_code_skill`]): what `skillet validate` reports.
pub fn validate_skill(dir: &Path, root: Option<&Path>) -> (Option<ParsedSkill>, Vec<Finding>) {
    let (real, parsed, mut findings) = validate_folder(dir, root);
    if let Some(real) = real {
        let folder = folder_name(dir);
        findings.extend(check_code_skill(&real, &folder, parsed.as_ref()));
    }
    (parsed, findings)
}

fn folder_name(dir: &Path) -> String {
    dir.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// The folder's checks, and the real folder that was read (none when it was refused).
fn validate_folder(
    dir: &Path,
    bound: Option<&Path>,
) -> (Option<PathBuf>, Option<ParsedSkill>, Vec<Finding>) {
    let folder = folder_name(dir);
    let prefix = if folder.is_empty() {
        String::new()
    } else {
        format!("{folder}/")
    };
    let mut root = Sink::new(&folder);
    let real = match fs_err::symlink_metadata(dir) {
        Err(e) => {
            root.error(
                (1, 1),
                "io-error",
                format!("cannot read the skill folder: {e}"),
                "Check that the folder exists and is readable.",
            );
            return (None, None, root.findings);
        }
        Ok(m) if m.file_type().is_symlink() => match resolve_linked_folder(dir, bound) {
            Ok(real) => real,
            Err((message, fix)) => {
                root.error((1, 1), "symlink-outside", message, fix);
                return (None, None, root.findings);
            }
        },
        Ok(m) if !m.is_dir() => {
            root.error(
                (1, 1),
                "not-a-folder",
                "the skill path is not a folder".to_owned(),
                "Point at the skill's folder (the one holding SKILL.md).",
            );
            return (None, None, root.findings);
        }
        Ok(_) => dir.to_owned(),
    };
    let (parsed, findings) = validate_resolved(&real, &folder, &prefix);
    (Some(real), parsed, findings)
}

/// SKILL.md and the walk, in the real folder `dir` named `folder`.
fn validate_resolved(
    dir: &Path,
    folder: &str,
    prefix: &str,
) -> (Option<ParsedSkill>, Vec<Finding>) {
    let mut findings = Vec::new();
    if !dir.is_dir() {
        let mut root = Sink::new(folder);
        root.error(
            (1, 1),
            "not-a-folder",
            "the skill path is not a folder".to_owned(),
            "Point at the skill's folder (the one holding SKILL.md).",
        );
        return (None, root.findings);
    }
    let mut sink = Sink::new(&format!("{prefix}SKILL.md"));
    let parsed = read_skill_md(dir, folder, &mut sink);
    if let Some(p) = &parsed {
        check_links(dir, p, &mut sink);
    }
    findings.append(&mut sink.findings);
    walk(dir, prefix, &mut findings);
    (parsed, findings)
}

/// Where the symbolic link `dir` leads, if that is a folder inside `bound`; else why not, and
/// the fix.
fn resolve_linked_folder(dir: &Path, bound: Option<&Path>) -> Result<PathBuf, (String, String)> {
    let target =
        fs_err::read_link(dir).map_or_else(|_| "?".to_owned(), |t| show(&t.display().to_string()));
    let fix = "Replace the link with the folder itself, or keep the folder it points to inside the registry.".to_owned();
    let Some(bound) = bound else {
        return Err((
            format!(
                "the skill folder is a symbolic link (to {target}) and no registry bounds where it may lead; skillet reads linked skill folders only inside a registry"
            ),
            "Validate the folder it points to, or validate from inside the registry.".to_owned(),
        ));
    };
    let real = fs_err::canonicalize(dir).map_err(|_| {
        (
            format!("the skill folder is a symbolic link to {target}, which leads nowhere"),
            fix.clone(),
        )
    })?;
    let bound = fs_err::canonicalize(bound).unwrap_or_else(|_| bound.to_owned());
    if !real.starts_with(&bound) {
        return Err((
            format!(
                "the skill folder is a symbolic link to {target} ({}), outside the registry ({}); skillet reads linked skill folders only inside it",
                show(&real.display().to_string()),
                show(&bound.display().to_string())
            ),
            fix,
        ));
    }
    Ok(real)
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

pub(super) fn report_not_utf8(bytes: &[u8], offset: usize, rel: &str, sink: &mut Sink) {
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

/// An entry other than SKILL.md and folders: never read. A link or a special
/// file is an error; a file over [`MAX_FILE_BYTES`] a warning (agents and
/// skillet read files whole).
fn check_entry(meta: &std::fs::Metadata, sink: &mut Sink) {
    let ft = meta.file_type();
    if ft.is_symlink() {
        sink.error(
            (1, 1),
            "symlink",
            "is a symbolic link; skill folders must not contain symlinks".to_owned(),
            "Replace the link with a copy of the file it points to.",
        );
    } else if !ft.is_file() {
        sink.error(
            (1, 1),
            "special-file",
            "is not a regular file or folder".to_owned(),
            "Remove it from the skill folder.",
        );
    } else if meta.len() > MAX_FILE_BYTES {
        sink.warning(
            (1, 1),
            "file-too-large",
            format!(
                "file is {} bytes; files over {MAX_FILE_BYTES} bytes (1 MiB) are heavy for agents to read",
                meta.len()
            ),
            "Shrink the file, split it, or keep it outside the skill folder.",
        );
    }
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
                Ok(meta) => check_entry(&meta, &mut s),
            }
            findings.append(&mut s.findings);
        }
        // Pop in name order.
        stack.extend(subdirs.into_iter().rev());
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::good_dir;
    use super::super::{MAX_FILE_BYTES, Severity};
    use super::{validate_dir, validate_dir_within};

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
    fn only_skill_md_must_be_utf8() {
        let (_tmp, dir) = good_dir();
        // Binaries anywhere are fine: an archive under scripts/, Latin-1 text under references/.
        std::fs::write(
            dir.join("scripts/bundle.tar.gz"),
            b"\x1f\x8b\x08\x00\xff\xfe",
        )
        .unwrap();
        std::fs::write(dir.join("references/latin1.md"), b"caf\xe9\n").unwrap();
        let (p, f) = validate_dir(&dir);
        assert!(p.is_some());
        assert!(f.is_empty(), "{f:#?}");
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
    fn oversized_file_is_a_warning() {
        let (_tmp, dir) = good_dir();
        let size = usize::try_from(MAX_FILE_BYTES).unwrap() + 1;
        std::fs::write(dir.join("assets/big.bin"), vec![0u8; size]).unwrap();
        let (p, f) = validate_dir(&dir);
        assert!(p.is_some());
        assert_eq!(f.len(), 1, "{f:#?}");
        assert_eq!(
            (
                f[0].severity,
                f[0].file.as_str(),
                f[0].rule,
                f[0].message.as_str()
            ),
            (
                Severity::Warning,
                "my-skill/assets/big.bin",
                "file-too-large",
                "file is 1048577 bytes; files over 1048576 bytes (1 MiB) are heavy for agents to read"
            )
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_linked_skill_folder_is_read_through_inside_the_root_only() {
        let tmp = tempfile::tempdir().unwrap();
        let registry = tmp.path().join("registry");
        let real = registry.join(".agents/skills/my-skill");
        std::fs::create_dir_all(&real).unwrap();
        std::fs::write(
            real.join("SKILL.md"),
            "---\nname: my-skill\ndescription: d\n---\n\nSee [it](ref.md).\n",
        )
        .unwrap();
        std::fs::write(real.join("ref.md"), "x").unwrap();
        std::fs::create_dir_all(registry.join("skills")).unwrap();
        let link = registry.join("skills/my-skill");
        std::os::unix::fs::symlink("../.agents/skills/my-skill", &link).unwrap();

        let (p, f) = validate_dir_within(&link, Some(&registry));
        assert!(f.is_empty(), "{f:#?}");
        assert_eq!(p.unwrap().frontmatter.name, "my-skill");

        // No root: refused.
        let (p, f) = validate_dir(&link);
        assert!(p.is_none());
        assert_eq!(
            (f[0].rule, f[0].severity),
            ("symlink-outside", Severity::Error)
        );

        // A target outside the root: refused, saying where it leads.
        let outside = tmp.path().join("elsewhere/my-skill");
        std::fs::create_dir_all(outside.parent().unwrap()).unwrap();
        std::fs::rename(&real, &outside).unwrap();
        std::fs::remove_file(&link).unwrap();
        std::os::unix::fs::symlink(&outside, &link).unwrap();
        let (p, f) = validate_dir_within(&link, Some(&registry));
        assert!(p.is_none());
        assert_eq!(f.len(), 1, "{f:#?}");
        assert_eq!(
            (f[0].file.as_str(), f[0].rule),
            ("my-skill", "symlink-outside")
        );
        assert!(
            f[0].message.starts_with(&format!(
                "the skill folder is a symbolic link to {}",
                outside.display()
            )) && f[0].message.contains(", outside the registry ("),
            "{}",
            f[0].message
        );
        // A dangling link.
        std::fs::remove_dir_all(&outside).unwrap();
        let (_, f) = validate_dir_within(&link, Some(&registry));
        assert!(f[0].message.ends_with("which leads nowhere"), "{f:#?}");
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
