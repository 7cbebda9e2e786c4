//! `skillet install SOURCE`: copies skills from another registry (a local path, or a git URL
//! cloned into a temporary folder), validates them, and commits each with its origin recorded
//! in metadata.

use std::path::PathBuf;

use serde::Serialize;

use crate::error::Error;
use crate::registry::Registry;
use crate::registry::git::Repo;
use crate::registry::journal::{self, Staging, WriteLock};
use crate::skill::validate::{self, Severity};
use crate::skill::{META_ORIGIN, META_ORIGIN_COMMIT, SkillError};

#[derive(Debug, Clone, Serialize)]
pub struct InstallReport {
    pub source: String,
    pub source_commit: Option<String>,
    pub installed: Vec<String>,
    pub commits: Vec<String>,
}

/// What to install, from where.
#[derive(Debug, Clone)]
pub struct InstallOptions {
    /// Another registry: a folder, or a git URL.
    pub source: String,
    /// Only these skills; all of the source's when empty.
    pub skills: Vec<String>,
}

/// Installs `options.skills` (all when empty) from `options.source` into `registry`.
pub fn install(registry: &Registry, options: &InstallOptions) -> anyhow::Result<InstallReport> {
    let source = options.source.as_str();
    let skills = options.skills.as_slice();
    let (tmp, root) = fetch(source)?;
    let source_registry = Registry::discover_untouched(&root)
        .map_err(|e| anyhow::Error::new(e).context(format!("cannot install from {source}")))?;
    let source_commit = Repo::open(source_registry.root())
        .ok()
        .and_then(|r| r.head());
    let available: Vec<String> = crate::skill::list(&source_registry)
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    let wanted: Vec<String> = if skills.is_empty() {
        available.clone()
    } else {
        skills.to_vec()
    };
    for name in &wanted {
        if !available.contains(name) {
            return Err(Error::user(format!(
                "{source} has no skill `{name}` (it has: {})",
                if available.is_empty() {
                    "none".to_owned()
                } else {
                    available.join(", ")
                }
            ))
            .into());
        }
    }
    // Validate everything before touching the registry.
    let mut loaded = Vec::new();
    for name in &wanted {
        loaded.push(crate::skill::load_dir(
            &source_registry.skills_dir().join(name),
        )?);
    }
    let repo = Repo::open(registry.root())?;
    // Waits for other writers and finishes or undoes what a killed one left.
    let lock = WriteLock::acquire(registry)?;
    let mut report = InstallReport {
        source: source.to_owned(),
        source_commit: source_commit.clone(),
        installed: Vec::new(),
        commits: Vec::new(),
    };
    for skill in loaded {
        let rel = format!("skills/{}", skill.name);
        if repo.has_local_changes(&rel)? {
            return Err(Error::user(format!(
                "skill `{}` has uncommitted changes in {rel}/",
                skill.name
            ))
            .hint("commit or discard them first")
            .into());
        }
        let staging = Staging::new(registry, &lock, &skill.name)?;
        let staged = staging.new_dir();
        crate::fsutil::copy_dir(&skill.dir, &staged)?;
        let mut frontmatter = skill.frontmatter.clone();
        frontmatter
            .metadata
            .insert(META_ORIGIN.into(), source.to_owned());
        if let Some(commit) = &source_commit {
            frontmatter
                .metadata
                .insert(META_ORIGIN_COMMIT.into(), commit.clone());
        }
        fs_err::write(
            staged.join("SKILL.md"),
            validate::render_skill_md(&frontmatter, &skill.body),
        )?;
        let (_, findings) = validate::validate_dir(&staged);
        let errors: Vec<_> = findings
            .into_iter()
            .filter(|f| f.severity == Severity::Error)
            .collect();
        if !errors.is_empty() {
            return Err(SkillError::Invalid {
                name: skill.name.clone(),
                findings: errors,
            }
            .into());
        }
        let at = source_commit
            .as_deref()
            .map(|c| format!("@{}", &c[..c.len().min(12)]))
            .unwrap_or_default();
        report.commits.push(journal::swap_and_commit(
            registry,
            &repo,
            &lock,
            staging,
            "install",
            &skill.name,
            &format!("skill({}): install from {source}{at}", skill.name),
        )?);
        report.installed.push(skill.name.clone());
    }
    drop(tmp);
    Ok(report)
}

/// A local folder as is, or a git URL cloned into a temporary folder.
fn fetch(source: &str) -> anyhow::Result<(Option<tempfile::TempDir>, PathBuf)> {
    let is_url = source.contains("://") || source.starts_with("git@");
    if !is_url {
        let path = PathBuf::from(source);
        if !path.is_dir() {
            return Err(Error::user(format!("{source} is not a folder or a git URL")).into());
        }
        return Ok((None, path));
    }
    let tmp = tempfile::tempdir()?;
    git2::Repository::clone(source, tmp.path()).map_err(|e| {
        Error::user(format!("cannot clone {source}: {}", e.message())).hint(
            "skillet clones local paths and file:// URLs; clone others with git and install from the folder",
        )
    })?;
    let root = tmp.path().to_owned();
    Ok((Some(tmp), root))
}
