//! Finding skills in a source, whatever its layout: SKILL.md at the root, `skills/<name>/`,
//! top-level `<name>/`, `.claude/skills/`, `.agents/skills/`, `plugins/*/skills/`, hidden
//! curated folders (`skills/.curated/<name>`), and Claude Code plugin marketplaces
//! (`.claude-plugin/marketplace.json`, whose plugins point at folders holding skills). One
//! bounded walk finds them all: a folder holding a SKILL.md is a skill (the walk does not go
//! into it); `.git`, `node_modules` and `.skillet` (a registry's cache) are skipped. A link to a
//! folder is followed only when its target stays inside the source (what `npx skills add` makes:
//! `.claude/skills/<name>` linked to `.agents/skills/<name>`); each folder is walked once, so a
//! skill reached by its link and by its folder is found once.
//!
//! Sources are untrusted: the walk stops at [`MAX_DEPTH`] and [`MAX_ENTRIES`], and copying a
//! skill ([`copy_skill`]) refuses links that leave it, special files and sizes beyond the limits.

use std::collections::{BTreeSet, HashSet};
use std::path::{Component, Path, PathBuf};

use crate::error::Error;

/// Deepest folder the walk enters, below where it starts.
pub(crate) const MAX_DEPTH: usize = 8;
/// Most files and folders the walk looks at.
pub(crate) const MAX_ENTRIES: usize = 100_000;
/// Largest file a skill may hold.
pub(crate) const MAX_FILE_BYTES: u64 = 16 * 1024 * 1024;
/// Largest skill (all its files).
pub(crate) const MAX_SKILL_BYTES: u64 = 64 * 1024 * 1024;
/// Most files and folders in one skill.
pub(crate) const MAX_SKILL_ENTRIES: usize = 10_000;
/// Largest SKILL.md or marketplace.json read while discovering.
const MAX_META_BYTES: u64 = 1024 * 1024;

/// A skill found in a source.
#[derive(Debug, Clone)]
pub(crate) struct Found {
    /// Its frontmatter's `name` (the folder's name when that cannot be read).
    pub(crate) name: String,
    pub(crate) description: String,
    /// Its folder inside the source, '/'-separated (empty: the source's root).
    pub(crate) path: String,
    pub(crate) dir: PathBuf,
}

/// The skills under `root` (from `subpath` when given), sorted by path.
pub(crate) fn discover(root: &Path, subpath: Option<&str>) -> anyhow::Result<Vec<Found>> {
    let start_rel = subpath.unwrap_or("").trim_matches('/');
    if Path::new(start_rel)
        .components()
        .any(|c| !matches!(c, Component::Normal(_)))
    {
        return Err(
            Error::usage(format!("`{start_rel}` is not a folder inside the source")).into(),
        );
    }
    let start = root.join(start_rel);
    let inside = fs_err::canonicalize(&start)
        .ok()
        .zip(fs_err::canonicalize(root).ok())
        .is_some_and(|(s, r)| s.starts_with(r));
    if !start.is_dir() || !inside {
        return Err(
            Error::user(format!("the source has no folder `{start_rel}`"))
                .hint("check the path after owner/repo, or list the source's skills with --list")
                .into(),
        );
    }
    let mut found = Vec::new();
    let mut seen = BTreeSet::new();
    let mut walk = Walk {
        root: fs_err::canonicalize(root)?,
        entries: 0,
        visited: HashSet::new(),
        found: &mut found,
    };
    walk.folder(&start, start_rel, 0)?;
    for f in &found {
        seen.insert(f.path.clone());
    }
    for path in marketplace_skills(&start) {
        let rel = join(start_rel, &path);
        let dir = root.join(&rel);
        if seen.contains(&rel) || !is_regular(&dir.join("SKILL.md")) || !stays_inside(root, &dir) {
            continue;
        }
        seen.insert(rel.clone());
        found.push(read_found(&dir, rel));
    }
    found.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(found)
}

fn join(base: &str, rel: &str) -> String {
    match (base.is_empty(), rel.is_empty()) {
        (true, _) => rel.to_owned(),
        (_, true) => base.to_owned(),
        _ => format!("{base}/{rel}"),
    }
}

fn is_regular(path: &Path) -> bool {
    fs_err::symlink_metadata(path).is_ok_and(|m| m.is_file())
}

fn stays_inside(root: &Path, dir: &Path) -> bool {
    fs_err::canonicalize(dir)
        .ok()
        .zip(fs_err::canonicalize(root).ok())
        .is_some_and(|(d, r)| d.starts_with(r))
}

/// One walk over a source: what it found, and what it has seen.
struct Walk<'a> {
    /// The source's root, canonical: a followed link must land inside it.
    root: PathBuf,
    /// Files and folders looked at so far.
    entries: usize,
    /// Canonical folders walked already (a link and its target are walked once).
    visited: HashSet<PathBuf>,
    found: &'a mut Vec<Found>,
}

impl Walk<'_> {
    fn folder(&mut self, dir: &Path, rel: &str, depth: usize) -> anyhow::Result<()> {
        let Ok(canonical) = fs_err::canonicalize(dir) else {
            return Ok(());
        };
        if !canonical.starts_with(&self.root) || !self.visited.insert(canonical) {
            return Ok(());
        }
        if is_regular(&dir.join("SKILL.md")) {
            self.found.push(read_found(dir, rel.to_owned()));
            return Ok(());
        }
        if depth >= MAX_DEPTH {
            return Ok(());
        }
        let Ok(read) = fs_err::read_dir(dir) else {
            return Ok(());
        };
        let mut children = Vec::new();
        for entry in read.flatten() {
            self.entries += 1;
            if self.entries > MAX_ENTRIES {
                return Err(Error::user(format!(
                    "the source has more than {MAX_ENTRIES} files and folders; skillet stops looking for skills there"
                ))
                .hint("name the folder that holds the skills: owner/repo/path/to/skills")
                .into());
            }
            let name = entry.file_name().to_string_lossy().into_owned();
            // git's data, installed packages, and a skillet registry's cache (runs, staging).
            if name == ".git" || name == "node_modules" || name == ".skillet" {
                continue;
            }
            let is_dir = match entry.file_type() {
                Ok(t) if t.is_dir() => true,
                // A link to a folder; where it leads is checked when it is walked.
                Ok(t) if t.is_symlink() => entry.path().is_dir(),
                _ => false,
            };
            if is_dir {
                children.push(name);
            }
        }
        children.sort();
        for name in children {
            self.folder(&dir.join(&name), &join(rel, &name), depth + 1)?;
        }
        Ok(())
    }
}

/// Name and description from SKILL.md's frontmatter, read leniently (validation comes later).
fn read_found(dir: &Path, path: String) -> Found {
    let folder = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let text = read_capped(&dir.join("SKILL.md")).unwrap_or_default();
    let parsed = crate::skill::validate::parse_skill_md(&text, "SKILL.md").0;
    let (name, description) = match parsed {
        Some(p) if !p.frontmatter.name.is_empty() => {
            (p.frontmatter.name, p.frontmatter.description)
        }
        Some(p) => (folder, p.frontmatter.description),
        None => (folder, String::new()),
    };
    Found {
        name,
        description,
        path,
        dir: dir.to_owned(),
    }
}

fn read_capped(path: &Path) -> Option<String> {
    use std::io::Read as _;
    let file = fs_err::File::open(path).ok()?;
    let mut bytes = Vec::new();
    file.take(MAX_META_BYTES).read_to_end(&mut bytes).ok()?;
    String::from_utf8(bytes).ok()
}

/// The skill folders a `.claude-plugin/marketplace.json` names, relative to `start`: each
/// plugin's `source` folder joined with each of its `skills`, or its `skills/` folder's
/// children. Plugins from elsewhere (a URL, another repository) are skipped.
fn marketplace_skills(start: &Path) -> Vec<String> {
    let Some(text) = read_capped(&start.join(".claude-plugin/marketplace.json")) else {
        return Vec::new();
    };
    let Ok(json) = serde_json::from_str::<serde_json::Value>(&text) else {
        tracing::warn!("marketplace.json is not JSON; its plugins are not looked at");
        return Vec::new();
    };
    let mut out = Vec::new();
    for plugin in json["plugins"].as_array().into_iter().flatten() {
        let Some(source) = plugin["source"].as_str() else {
            continue;
        };
        let Some(source) = clean_rel(source) else {
            continue;
        };
        match plugin["skills"].as_array() {
            Some(skills) => {
                for skill in skills
                    .iter()
                    .filter_map(|s| s.as_str())
                    .filter_map(clean_rel)
                {
                    out.push(join(&source, &skill));
                }
            }
            None => {
                let dir = start.join(&source).join("skills");
                if let Ok(read) = fs_err::read_dir(&dir) {
                    let mut names: Vec<String> = read
                        .flatten()
                        .map(|e| e.file_name().to_string_lossy().into_owned())
                        .collect();
                    names.sort();
                    for name in names {
                        out.push(join(&join(&source, "skills"), &name));
                    }
                }
            }
        }
    }
    out
}

/// `./a/b` as `a/b`; `None` for anything leaving the folder, absolute, or a URL.
fn clean_rel(path: &str) -> Option<String> {
    if path.contains("://") || path.starts_with('/') {
        return None;
    }
    let mut parts = Vec::new();
    for c in Path::new(path).components() {
        match c {
            Component::CurDir => {}
            Component::Normal(p) => parts.push(p.to_string_lossy().into_owned()),
            _ => return None,
        }
    }
    Some(parts.join("/"))
}

/// Copies the skill folder `from` to `to` (a new folder): regular files and folders; a
/// symbolic link whose target stays inside the skill is copied as what it points at; one that
/// leaves it, a special file, or sizes beyond the limits are refused with the reason. `.git`
/// is left out.
pub(crate) fn copy_skill(from: &Path, to: &Path) -> Result<(), String> {
    let root = fs_err::canonicalize(from).map_err(|e| e.to_string())?;
    let mut budget = (0usize, 0u64);
    copy_into(&root, &root, to, "", 0, &mut budget)
}

fn copy_into(
    root: &Path,
    from: &Path,
    to: &Path,
    rel: &str,
    depth: usize,
    budget: &mut (usize, u64),
) -> Result<(), String> {
    if depth > MAX_DEPTH * 2 {
        return Err(format!(
            "{rel}: folders nested deeper than {}",
            MAX_DEPTH * 2
        ));
    }
    fs_err::create_dir_all(to).map_err(|e| e.to_string())?;
    let mut entries: Vec<_> = fs_err::read_dir(from)
        .map_err(|e| e.to_string())?
        .flatten()
        .collect();
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        budget.0 += 1;
        if budget.0 > MAX_SKILL_ENTRIES {
            return Err(format!("more than {MAX_SKILL_ENTRIES} files and folders"));
        }
        let name = entry.file_name();
        if name == ".git" {
            // A repository's own data (a skill at its root), never part of the skill.
            continue;
        }
        let rel = join(rel, &name.to_string_lossy());
        let mut path = entry.path();
        let mut meta = fs_err::symlink_metadata(&path).map_err(|e| e.to_string())?;
        if meta.file_type().is_symlink() {
            let target = fs_err::canonicalize(&path)
                .map_err(|_| format!("{rel} is a symbolic link to nothing"))?;
            if !target.starts_with(root) {
                return Err(format!(
                    "{rel} is a symbolic link that leads outside the skill (to {})",
                    target.display()
                ));
            }
            meta = fs_err::metadata(&target).map_err(|e| e.to_string())?;
            path = target;
        }
        let dest = to.join(&name);
        if meta.is_dir() {
            copy_into(root, &path, &dest, &rel, depth + 1, budget)?;
        } else if meta.is_file() {
            if meta.len() > MAX_FILE_BYTES {
                return Err(format!(
                    "{rel} is {} MiB; a skill's files may be at most {} MiB",
                    meta.len() / (1024 * 1024),
                    MAX_FILE_BYTES / (1024 * 1024)
                ));
            }
            budget.1 += meta.len();
            if budget.1 > MAX_SKILL_BYTES {
                return Err(format!(
                    "the skill's files add up to more than {} MiB",
                    MAX_SKILL_BYTES / (1024 * 1024)
                ));
            }
            fs_err::copy(&path, &dest).map_err(|e| e.to_string())?;
        } else {
            return Err(format!("{rel} is not a regular file or folder"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn skill(root: &Path, rel: &str, name: &str) {
        let dir = root.join(rel);
        fs_err::create_dir_all(&dir).unwrap();
        fs_err::write(
            dir.join("SKILL.md"),
            format!("---\nname: {name}\ndescription: Does {name}\n---\nbody\n"),
        )
        .unwrap();
    }

    fn paths(root: &Path, sub: Option<&str>) -> Vec<String> {
        discover(root, sub)
            .unwrap()
            .into_iter()
            .map(|f| format!("{}={}", f.name, f.path))
            .collect()
    }

    #[test]
    fn every_common_layout() {
        let tmp = tempfile::tempdir().unwrap();
        let r = tmp.path();
        skill(r, "skills/a", "a");
        skill(r, "skills/.curated/b", "b");
        skill(r, "skills/.system/c", "c");
        skill(r, ".claude/skills/d", "d");
        skill(r, ".agents/skills/e", "e");
        skill(r, "plugins/p/skills/f", "f");
        skill(r, "g", "g");
        skill(r, "node_modules/x/skills/h", "h");
        skill(r, ".git/skills/i", "i");
        skill(r, ".skillet/staging/w-1/new/j", "j");
        // A skill's own subfolders are not looked into.
        skill(r, "skills/a/examples/inner", "inner");
        assert_eq!(
            paths(r, None),
            [
                "e=.agents/skills/e",
                "d=.claude/skills/d",
                "g=g",
                "f=plugins/p/skills/f",
                "b=skills/.curated/b",
                "c=skills/.system/c",
                "a=skills/a",
            ]
        );
        assert_eq!(paths(r, Some("skills/.curated")), ["b=skills/.curated/b"]);
        assert_eq!(paths(r, Some("skills/a")), ["a=skills/a"]);
    }

    #[test]
    fn root_skill_takes_its_name_from_the_frontmatter() {
        let tmp = tempfile::tempdir().unwrap();
        skill(tmp.path(), "", "solo");
        skill(tmp.path(), "skills/ignored", "ignored");
        assert_eq!(paths(tmp.path(), None), ["solo="]);
    }

    #[test]
    fn marketplace_points_past_the_depth_limit() {
        let tmp = tempfile::tempdir().unwrap();
        let r = tmp.path();
        let deep = "a/b/c/d/e/f/g/h/i/skills/deep";
        skill(r, deep, "deep");
        fs_err::create_dir_all(r.join(".claude-plugin")).unwrap();
        fs_err::write(
            r.join(".claude-plugin/marketplace.json"),
            r#"{"plugins": [
                {"name": "p", "source": "./a/b/c/d/e/f/g/h/i", "skills": ["./skills/deep", "../../../../../../../../../../etc"]},
                {"name": "remote", "source": {"source": "github", "repo": "o/r"}},
                {"name": "q", "source": "https://example.com/x"}
            ]}"#,
        )
        .unwrap();
        assert_eq!(paths(r, None), [format!("deep={deep}")]);
    }

    #[test]
    fn linked_skill_folders_are_followed_inside_the_source_only() {
        let tmp = tempfile::tempdir().unwrap();
        let r = tmp.path().join("repo");
        // What `npx skills add` makes: the skill under .agents/skills, a link for Claude Code.
        skill(&r, ".agents/skills/shared", "shared");
        fs_err::create_dir_all(r.join(".claude/skills")).unwrap();
        std::os::unix::fs::symlink(
            "../../.agents/skills/shared",
            r.join(".claude/skills/shared"),
        )
        .unwrap();
        // Only linked in: found through its link.
        skill(&r, "vault/linked-only", "linked-only");
        fs_err::create_dir_all(r.join("skills")).unwrap();
        std::os::unix::fs::symlink("../vault/linked-only", r.join("skills/linked-only")).unwrap();
        // A link out of the source leads nowhere.
        skill(tmp.path(), "outside/escapee", "escapee");
        std::os::unix::fs::symlink("../outside/escapee", r.join("skills/escapee")).unwrap();
        // A link cycle ends.
        std::os::unix::fs::symlink("..", r.join("skills/loop")).unwrap();
        assert_eq!(
            paths(&r, None),
            [
                "shared=.agents/skills/shared",
                "linked-only=skills/linked-only",
            ]
        );
    }

    #[test]
    fn subpaths_that_leave_or_do_not_exist_are_refused() {
        let tmp = tempfile::tempdir().unwrap();
        skill(tmp.path(), "skills/a", "a");
        assert!(discover(tmp.path(), Some("../x")).is_err());
        assert!(discover(tmp.path(), Some("nope")).is_err());
        assert!(discover(tmp.path(), Some("/etc")).is_err());
    }

    #[test]
    fn copies_refuse_links_out_and_big_files() {
        let tmp = tempfile::tempdir().unwrap();
        let r = tmp.path();
        skill(r, "s", "s");
        fs_err::write(r.join("s/notes.md"), "notes").unwrap();
        std::os::unix::fs::symlink("notes.md", r.join("s/alias.md")).unwrap();
        copy_skill(&r.join("s"), &r.join("out1")).unwrap();
        assert_eq!(
            fs_err::read_to_string(r.join("out1/alias.md")).unwrap(),
            "notes"
        );
        assert!(
            !fs_err::symlink_metadata(r.join("out1/alias.md"))
                .unwrap()
                .is_symlink()
        );

        fs_err::write(r.join("secret"), "x").unwrap();
        std::os::unix::fs::symlink("../secret", r.join("s/leak")).unwrap();
        let e = copy_skill(&r.join("s"), &r.join("out2")).unwrap_err();
        assert!(
            e.contains("leak is a symbolic link that leads outside the skill"),
            "{e}"
        );
        fs_err::remove_file(r.join("s/leak")).unwrap();

        let big = fs_err::File::create(r.join("s/big.bin")).unwrap();
        big.set_len(MAX_FILE_BYTES + 1).unwrap();
        let e = copy_skill(&r.join("s"), &r.join("out3")).unwrap_err();
        assert!(e.contains("big.bin is 16 MiB"), "{e}");
    }
}
