//! Reading skills: `show` (a skill's files, now or at a revision), `log` (its versions),
//! `diff` (what changed between revisions) and `validate` (folders against the rules).

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::registry::Registry;
use crate::registry::git::{LogEntry, Repo};
use crate::skill::validate::{self, Finding, Severity};
use crate::skill::{self, SkillError};

/// A skill's files as `(path inside the folder, text)`, sorted by path: the working tree's
/// (`NAME`) or a revision's (`NAME@REV`, REV a `vN` or any git revision).
pub fn show(registry: &Registry, skill: &str) -> anyhow::Result<Vec<(String, String)>> {
    let (name, rev) = match skill.split_once('@') {
        Some((n, r)) => (n, Some(r)),
        None => (skill, None),
    };
    let files: Vec<(String, String)> = match rev {
        None => {
            let loaded = skill::load(registry, name)?;
            let mut files = Vec::new();
            for path in crate::fsutil::files(&loaded.dir)? {
                let contents = fs_err::read(&path)?;
                files.push((
                    crate::fsutil::relative(&loaded.dir, &path),
                    String::from_utf8_lossy(&contents).into_owned(),
                ));
            }
            files
        }
        Some(rev) => {
            skill::check_name(name)?;
            let repo = Repo::open(registry.root())?;
            let rel = format!("skills/{name}");
            let commit = repo.resolve(name, &rel, rev)?;
            repo.files_at(&commit, &rel)?
                .into_iter()
                .map(|f| (f.path, String::from_utf8_lossy(&f.contents).into_owned()))
                .collect()
        }
    };
    if files.is_empty() {
        anyhow::bail!("skill `{name}` has no files at {}", rev.unwrap_or_default());
    }
    Ok(files)
}

/// A skill's versions, newest first.
pub fn log(registry: &Registry, name: &str) -> anyhow::Result<Vec<LogEntry>> {
    skill::check_name(name)?;
    let repo = Repo::open(registry.root())?;
    let entries = repo.log(&format!("skills/{name}"))?;
    if entries.is_empty() {
        return Err(
            crate::error::Error::user(format!("skill `{name}` has no history"))
                .hint("`skillet save` commits skills")
                .into(),
        );
    }
    Ok(entries)
}

/// The unified diff of a skill's folder from `from` (default `HEAD`) to `to` (default: the
/// working tree).
pub fn diff(
    registry: &Registry,
    name: &str,
    from: Option<&str>,
    to: Option<&str>,
) -> Result<String, SkillError> {
    skill::check_name(name)?;
    let repo = Repo::open(registry.root())?;
    let rel = format!("skills/{name}");
    let from = repo.resolve(name, &rel, from.unwrap_or("HEAD"))?;
    let to = match to {
        Some(rev) => Some(repo.resolve(name, &rel, rev)?),
        None => None,
    };
    Ok(repo.diff(&rel, &from, to.as_ref())?)
}

/// How to validate.
#[derive(Debug, Clone, Copy, Default)]
pub struct ValidateOptions<'a> {
    /// Warnings count as errors (notes never do).
    pub strict: bool,
    /// The folder a symbolically linked skill folder must lead into to be read (the registry);
    /// `None` refuses every linked skill folder.
    pub root: Option<&'a Path>,
}

/// What validating skill folders found.
#[derive(Debug, Clone, Serialize)]
pub struct ValidateReport {
    /// Folders checked.
    pub skills: usize,
    pub errors: usize,
    pub warnings: usize,
    pub notes: usize,
    /// Whether warnings were turned into errors.
    pub strict: bool,
    /// Every finding, each with its rule set (`spec`, `agent`, `skillet`), severity, rule,
    /// file, line, column, message and fix.
    pub findings: Vec<Finding>,
}

/// Checks skill folders against the Agent Skills specification (errors), the known agents'
/// extensions (notes) and, for skillet code skills only, skillet's own rules (entry point,
/// recording, pinned tools). `--strict` turns warnings into errors.
pub fn validate(dirs: &[PathBuf], options: ValidateOptions<'_>) -> anyhow::Result<ValidateReport> {
    if let Some(dir) = dirs.iter().find(|dir| !dir.is_dir()) {
        anyhow::bail!("{} is not a folder", dir.display());
    }
    // On all cores; the findings stay in the order of `dirs`.
    let mut findings: Vec<Finding> =
        crate::par::map(dirs, |dir| validate::validate_skill(dir, options.root).1)
            .into_iter()
            .flatten()
            .collect();
    if options.strict {
        for f in &mut findings {
            if f.severity == Severity::Warning {
                f.severity = Severity::Error;
            }
        }
    }
    let count = |s: Severity| findings.iter().filter(|f| f.severity == s).count();
    Ok(ValidateReport {
        skills: dirs.len(),
        errors: count(Severity::Error),
        warnings: count(Severity::Warning),
        notes: count(Severity::Note),
        strict: options.strict,
        findings,
    })
}

/// Every skill folder of the registry.
pub fn skill_dirs(registry: &Registry) -> Vec<PathBuf> {
    skill::list(registry)
        .into_iter()
        .map(|(n, _)| registry.skills_dir().join(n))
        .collect()
}
