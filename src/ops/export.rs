//! `skillet export`: writes the registry's skills into a folder agents read skills from
//! (`.claude/skills/`, `~/.claude/skills/`, `.agents/skills/`, any folder), as copies or links.
//!
//! What it wrote is recorded in a manifest inside the target ([`MANIFEST`]): the registry, and
//! each skill with its content digest (or the folder it links to). A later export updates and
//! removes only what that manifest lists and what is still as it was written; anything else in
//! the target (a folder of the same name it did not write, an exported copy edited since) is
//! left alone and reported.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::Error;
use crate::registry::Registry;
use crate::registry::git::Repo;

/// The file, inside the target folder, that records what skillet exported there.
pub const MANIFEST: &str = ".skillet-export.json";

/// Where skills go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExportTarget {
    /// `.claude/skills/` in the registry's git work tree root (Claude Code, per project).
    Claude,
    /// `~/.claude/skills/` (Claude Code, every project of the user).
    User,
    /// `.agents/skills/` in the registry's git work tree root (Codex and other agents).
    Agents,
    /// Any folder.
    Dir(PathBuf),
}

/// How to export.
#[derive(Debug, Clone)]
pub struct ExportOptions {
    pub target: ExportTarget,
    /// The user's home folder (for [`ExportTarget::User`]); the caller reads it.
    pub home: Option<PathBuf>,
    /// Link to the registry's skill folders instead of copying them.
    pub symlink: bool,
    /// Every valid skill, not only those that meet the review policy.
    pub all: bool,
    /// Only these skills (default: every eligible one).
    pub names: Vec<String>,
    /// Change nothing; report what is out of sync.
    pub check: bool,
    /// The time review signatures are judged at.
    pub now: std::time::SystemTime,
}

/// What an export did (or, with `check`, would do).
#[derive(Debug, Clone, Serialize)]
pub struct ExportReport {
    /// The target folder.
    pub target: PathBuf,
    /// `copy` or `symlink`.
    pub mode: &'static str,
    pub check: bool,
    /// Whether the target held exactly what it should before this export.
    pub in_sync: bool,
    /// Each skill exported, with what happened to it (`added`, `updated`, `unchanged`).
    pub exported: Vec<Exported>,
    /// Skills exported earlier that the registry no longer has or that no longer meet the
    /// policy: removed (with `check`: to remove).
    pub removed: Vec<String>,
    /// Folders skillet did not write, or changed since it wrote them: left alone.
    pub left_alone: Vec<Skipped>,
    /// Skills of the registry not exported, with why.
    pub skipped: Vec<Skipped>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Exported {
    pub name: String,
    /// `added`, `updated` or `unchanged`.
    pub action: &'static str,
}

#[derive(Debug, Clone, Serialize)]
pub struct Skipped {
    pub name: String,
    pub reason: String,
}

/// The manifest file's contents.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct Manifest {
    /// The registry the skills came from.
    registry: PathBuf,
    skills: BTreeMap<String, Written>,
}

/// One skill as skillet wrote it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Written {
    /// The content digest of the skill's files ([`crate::fsutil::content_digest`]).
    digest: String,
    /// The folder a link points to; `None` for a copy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    link: Option<PathBuf>,
}

/// What sits at a skill's place in the target now.
#[derive(Debug, PartialEq, Eq)]
enum Found {
    Missing,
    Link(PathBuf),
    Copy(String),
    Other,
}

fn found(path: &Path) -> std::io::Result<Found> {
    let meta = match std::fs::symlink_metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Found::Missing),
        Err(e) => return Err(e),
    };
    if meta.file_type().is_symlink() {
        return Ok(Found::Link(fs_err::read_link(path)?));
    }
    if meta.is_dir() {
        return Ok(match crate::fsutil::content_digest(path)? {
            Some(d) => Found::Copy(d),
            None => Found::Other,
        });
    }
    Ok(Found::Other)
}

impl Written {
    /// Whether `now` is what this record says skillet wrote.
    fn matches(&self, now: &Found) -> bool {
        match (now, &self.link) {
            (Found::Link(to), Some(link)) => to == link,
            (Found::Copy(d), None) => *d == self.digest,
            _ => false,
        }
    }
}

/// The folder a target names.
fn target_dir(registry: &Registry, options: &ExportOptions) -> anyhow::Result<PathBuf> {
    let project = || -> PathBuf {
        Repo::open(registry.root())
            .ok()
            .and_then(|r| r.workdir().map(Path::to_path_buf))
            .unwrap_or_else(|| registry.root().to_path_buf())
    };
    Ok(match &options.target {
        ExportTarget::Claude => project().join(".claude/skills"),
        ExportTarget::Agents => project().join(".agents/skills"),
        ExportTarget::User => match &options.home {
            Some(home) => home.join(".claude/skills"),
            None => {
                return Err(Error::user("no home folder to export to (HOME is not set)")
                    .hint("set HOME, or export with `--to DIR`")
                    .into());
            }
        },
        ExportTarget::Dir(dir) => dir.clone(),
    })
}

/// Exports the registry's skills into the target folder (see the module's documentation).
pub fn export(registry: &Registry, options: &ExportOptions) -> anyhow::Result<ExportReport> {
    let target = target_dir(registry, options)?;
    match std::fs::metadata(&target) {
        Ok(m) if !m.is_dir() => {
            return Err(Error::user(format!(
                "export target {} is not a folder",
                target.display()
            ))
            .hint("export into a folder: remove the file, or give another one with `--to DIR`")
            .into());
        }
        _ => {}
    }
    let manifest_path = target.join(MANIFEST);
    let mut manifest: Manifest = match fs_err::read_to_string(&manifest_path) {
        Ok(text) => serde_json::from_str(&text).map_err(|e| {
            Error::user(format!(
                "{} is not an export manifest: {e}",
                manifest_path.display()
            ))
            .hint("skillet writes it; remove it to start over (what it listed stays as it is)")
        })?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Manifest::default(),
        Err(e) => return Err(e.into()),
    };
    // Canonical, so `-C ../reg` and a run inside the registry name it alike.
    let root = fs_err::canonicalize(registry.root())?;
    if !manifest.skills.is_empty() && manifest.registry != root {
        return Err(Error::user(format!(
            "{} holds skills exported from another registry ({})",
            target.display(),
            manifest.registry.display()
        ))
        .hint("export each registry into its own folder")
        .into());
    }
    manifest.registry = root.clone();

    // Which skills should be there.
    let Selection {
        eligible,
        wanted,
        mut skipped,
    } = select(registry, options.all, &options.names, options.now)?;
    for s in &mut skipped {
        if s.reason.starts_with(NOT_REVIEWED) {
            s.reason.push_str("; `--all` exports it");
        }
    }

    // What to change.
    let mut exported = Vec::new();
    let mut left_alone = Vec::new();
    let mut writes: Vec<(String, Written)> = Vec::new();
    for name in &wanted {
        let source = root.join("skills").join(name);
        let digest = crate::fsutil::content_digest(&source)?.unwrap_or_default();
        let want = Written {
            digest,
            link: options.symlink.then(|| source.clone()),
        };
        let now = found(&target.join(name))?;
        let action = match manifest.skills.get(name) {
            None if now == Found::Missing => "added",
            None => {
                left_alone.push(Skipped {
                    name: name.clone(),
                    reason: "a folder of this name that skillet did not export".into(),
                });
                continue;
            }
            Some(_) if want.matches(&now) => "unchanged",
            Some(_) if now == Found::Missing => "added",
            Some(before) if before.matches(&now) => "updated",
            Some(_) => {
                left_alone.push(Skipped {
                    name: name.clone(),
                    reason: "changed since skillet exported it".into(),
                });
                continue;
            }
        };
        if action == "unchanged" {
            manifest.skills.insert(name.clone(), want);
        } else {
            writes.push((name.clone(), want));
        }
        exported.push(Exported {
            name: name.clone(),
            action,
        });
    }
    let mut removed = Vec::new();
    let mut forget = Vec::new();
    for (name, before) in &manifest.skills {
        if eligible.contains(name) {
            continue;
        }
        let now = found(&target.join(name))?;
        if now == Found::Missing {
            forget.push(name.clone());
        } else if before.matches(&now) {
            removed.push(name.clone());
        } else {
            left_alone.push(Skipped {
                name: name.clone(),
                reason: "changed since skillet exported it (no longer exported)".into(),
            });
            forget.push(name.clone());
        }
    }
    let in_sync =
        writes.is_empty() && removed.is_empty() && left_alone.is_empty() && forget.is_empty();
    let report = ExportReport {
        target: target.clone(),
        mode: if options.symlink { "symlink" } else { "copy" },
        check: options.check,
        in_sync,
        exported,
        removed,
        left_alone,
        skipped,
    };
    if options.check || (in_sync && manifest_path.is_file()) {
        return Ok(report);
    }

    // Write.
    fs_err::create_dir_all(&target)?;
    for (name, written) in writes {
        place(registry, &target, &name, &written)?;
        manifest.skills.insert(name, written);
    }
    for name in &report.removed {
        remove(&target.join(name))?;
        manifest.skills.remove(name);
    }
    for name in forget {
        manifest.skills.remove(&name);
    }
    let mut text = serde_json::to_string_pretty(&manifest)?;
    text.push('\n');
    crate::fsutil::write_atomic(&manifest_path, text.as_bytes())?;
    Ok(report)
}

/// Why [`select`] leaves out a valid skill.
const NOT_REVIEWED: &str = "does not meet the review policy";

/// Which of the registry's skills an export (or the marketplace) holds.
pub(crate) struct Selection {
    /// Every skill that may be there: valid, and meeting the review policy unless `all`.
    pub(crate) eligible: BTreeSet<String>,
    /// Those of `eligible` asked for (all of them when no names were given).
    pub(crate) wanted: Vec<String>,
    /// Skills left out, with why (only those asked for when names were given).
    pub(crate) skipped: Vec<Skipped>,
}

/// The skills of the registry to export: valid ones that meet the review policy at `now`
/// (every valid one with `all`), narrowed to `names` when given. A name the registry does not
/// have is an error.
pub(crate) fn select(
    registry: &Registry,
    all: bool,
    names: &[String],
    now: std::time::SystemTime,
) -> anyhow::Result<Selection> {
    let mut skipped = Vec::new();
    let mut valid = Vec::new();
    for (name, loaded) in crate::skill::list(registry) {
        match loaded {
            Ok(_) => valid.push(name),
            Err(e) => skipped.push(Skipped {
                name,
                reason: format!("not a valid skill: {e}"),
            }),
        }
    }
    for name in names {
        crate::skill::check_name(name)?;
        if !valid.contains(name) && !skipped.iter().any(|s| &s.name == name) {
            return Err(Error::user(format!("no skill `{name}` in the registry"))
                .hint("`skillet search` finds skills; `skillet validate` checks them")
                .into());
        }
    }
    let eligible: BTreeSet<String> = if all || valid.is_empty() {
        valid.iter().cloned().collect()
    } else {
        let reviews = crate::review::verify(registry, &valid, now)?;
        let mut eligible = BTreeSet::new();
        for review in reviews {
            if review.meets_policy {
                eligible.insert(review.skill);
            } else {
                skipped.push(Skipped {
                    reason: format!(
                        "{NOT_REVIEWED} ({}/{} signatures)",
                        review.valid_principals.len(),
                        review.required
                    ),
                    name: review.skill,
                });
            }
        }
        eligible
    };
    let wanted: Vec<String> = eligible
        .iter()
        .filter(|n| names.is_empty() || names.contains(n))
        .cloned()
        .collect();
    if !names.is_empty() {
        skipped.retain(|s| names.contains(&s.name));
    }
    Ok(Selection {
        eligible,
        wanted,
        skipped,
    })
}

/// Puts a skill in place whole: built beside its place, then renamed into it (what was there
/// before, written by skillet, is moved aside first and removed after).
fn place(registry: &Registry, target: &Path, name: &str, written: &Written) -> anyhow::Result<()> {
    let staging = tempfile::Builder::new()
        .prefix(".skillet-staging-")
        .tempdir_in(target)?;
    let built = staging.path().join(name);
    match &written.link {
        Some(link) => std::os::unix::fs::symlink(link, &built)?,
        None => {
            crate::fsutil::copy_dir(&registry.skills_dir().join(name), &built)?;
            crate::fsutil::sync_tree(&built)?;
        }
    }
    let dest = target.join(name);
    let old = staging.path().join(".old");
    let had_old = std::fs::symlink_metadata(&dest).is_ok();
    if had_old {
        fs_err::rename(&dest, &old)?;
    }
    crate::fsutil::rename_durable(&built, &dest)?;
    drop(staging);
    Ok(())
}

/// Removes a skill skillet exported: a link, or a copied folder.
fn remove(path: &Path) -> std::io::Result<()> {
    let meta = fs_err::symlink_metadata(path)?;
    if meta.file_type().is_symlink() || !meta.is_dir() {
        fs_err::remove_file(path)
    } else {
        fs_err::remove_dir_all(path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_matches_only_what_it_wrote() {
        let copy = Written {
            digest: "d1".into(),
            link: None,
        };
        assert!(copy.matches(&Found::Copy("d1".into())));
        assert!(!copy.matches(&Found::Copy("d2".into())));
        assert!(!copy.matches(&Found::Link("d1".into())));
        assert!(!copy.matches(&Found::Missing));
        let link = Written {
            digest: "d1".into(),
            link: Some("/r/skills/a".into()),
        };
        assert!(link.matches(&Found::Link("/r/skills/a".into())));
        assert!(!link.matches(&Found::Link("/elsewhere".into())));
        assert!(!link.matches(&Found::Copy("d1".into())));
        assert!(!link.matches(&Found::Other));
    }

    #[test]
    fn a_file_in_the_way_is_not_a_copy() {
        let tmp = tempfile::tempdir().unwrap();
        assert_eq!(found(&tmp.path().join("none")).unwrap(), Found::Missing);
        fs_err::write(tmp.path().join("file"), "x").unwrap();
        assert_eq!(found(&tmp.path().join("file")).unwrap(), Found::Other);
        fs_err::create_dir(tmp.path().join("dir")).unwrap();
        fs_err::write(tmp.path().join("dir/SKILL.md"), "x").unwrap();
        assert!(matches!(
            found(&tmp.path().join("dir")).unwrap(),
            Found::Copy(_)
        ));
    }
}
