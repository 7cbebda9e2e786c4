//! `skillet install SOURCE`: finds the skills of a source (a folder, GitHub shorthand, any git
//! URL, each with an optional `@REF`), validates them, and commits each valid one with its
//! provenance lock; invalid ones are listed with their findings and nothing of them is written.
//! `outdated`, `update` and `install --frozen` read that lock (`upstream.rs`).
//!
//! - `source`: parsing what the user wrote (pure);
//! - `fetch`: the user's `git`, shallow and sparse where it can;
//! - `discover`: the skills in any common layout, bounded, and the checked copy of one;
//! - `provenance`: the lock kept in each installed skill's SKILL.md;
//! - `upstream`: `outdated`, `update`, `install --frozen`.

mod discover;
mod fetch;
mod provenance;
mod source;
mod upstream;

use std::path::{Path, PathBuf};

use serde::Serialize;

use self::discover::Found;
use self::fetch::Fetched;
use self::source::{Location, Source};
use crate::error::Error;
use crate::registry::Registry;
use crate::registry::git::Repo;
use crate::registry::journal::{Staging, WriteLock};
use crate::skill::SkillError;
use crate::skill::validate::{self, Frontmatter, Severity};

pub use provenance::Provenance;
pub use upstream::{
    FrozenReport, Outdated, UpdateReport, Updated, UpstreamStatus, install_frozen, outdated, update,
};

#[derive(Debug, Clone, Serialize)]
pub struct InstallReport {
    pub source: String,
    pub source_commit: Option<String>,
    /// Skills committed by this install.
    pub installed: Vec<String>,
    /// Skills already installed exactly so (nothing written).
    pub unchanged: Vec<String>,
    pub commits: Vec<String>,
    /// Skills not installed, with why; nothing of them was written.
    pub refused: Vec<Refusal>,
}

/// A skill of the source that was not installed.
#[derive(Debug, Clone, Serialize)]
pub struct Refusal {
    pub name: String,
    /// Its folder in the source.
    pub path: String,
    pub reason: String,
    /// Validation errors, one per line, when that is the reason.
    pub findings: Vec<String>,
    /// What to do about it.
    pub hint: Option<String>,
}

/// What to install, from where.
#[derive(Debug, Clone, Default)]
pub struct InstallOptions {
    /// A folder, `owner/repo[/path]`, a GitHub tree URL or a git URL, with an optional `@REF`.
    pub source: String,
    /// Where a relative folder is resolved.
    pub base_dir: PathBuf,
    /// Only these skills (by name, or by their path in the source).
    pub skills: Vec<String>,
    /// Every skill of the source (one of `skills` and `all` is needed when it has several).
    pub all: bool,
    /// Install the (single) selected skill under this name.
    pub rename: Option<String>,
    /// Replace a skill of the same name that came from elsewhere.
    pub force: bool,
}

/// A skill of a source, as `install --list` shows it.
#[derive(Debug, Clone, Serialize)]
pub struct Candidate {
    pub name: String,
    pub description: String,
    pub path: String,
    /// Whether it would install.
    pub valid: bool,
    /// Why not, or its warnings.
    pub findings: Vec<String>,
}

/// The skills of a source, nothing installed.
#[derive(Debug, Clone, Serialize)]
pub struct ListReport {
    pub source: String,
    pub source_commit: Option<String>,
    pub skills: Vec<Candidate>,
}

/// A source fetched, its skills found.
struct Opened {
    source: Source,
    fetched: Fetched,
    found: Vec<Found>,
}

/// Parses, fetches and looks into `input`; a source without skills is an error.
fn open(input: &str, base_dir: &Path) -> anyhow::Result<Opened> {
    let mut source = source::parse(input, base_dir, &|p| p.is_dir())?;
    normalize(&mut source);
    let fetched = fetch::fetch(&source, None)?;
    let found = discover::discover(&fetched.root, source.subpath.as_deref())?;
    if found.is_empty() {
        return Err(Error::user(format!("no skills in {input}"))
            .hint("skillet looks for folders holding a SKILL.md (at the root, in skills/, .claude/skills/, .agents/skills/, plugins/*/skills/, and where .claude-plugin/marketplace.json points)")
            .into());
    }
    Ok(Opened {
        source,
        fetched,
        found,
    })
}

/// A local folder (or file:// URL) by its real path, so two spellings are one source.
fn normalize(source: &mut Source) {
    match &mut source.location {
        Location::Local(path) => {
            if let Ok(real) = fs_err::canonicalize(&*path) {
                *path = real;
            }
        }
        Location::Git(url) => {
            if let Some(path) = url.strip_prefix("file://")
                && let Ok(real) = fs_err::canonicalize(path)
            {
                *url = format!("file://{}", real.display());
            }
        }
    }
}

/// A skill of the source copied (checked) and validated, ready to stage.
struct Prepared {
    found: Found,
    /// The copy, in a folder named after the skill.
    dir: PathBuf,
    frontmatter: Frontmatter,
    body: String,
    /// [`crate::fsutil::content_digest`] of the copy: the lock's hash.
    hash: String,
    warnings: Vec<String>,
}

/// Copies `found` into `work/<index>/<name>` and validates the copy.
fn prepare(found: &Found, work: &Path, index: usize) -> Result<Prepared, Refusal> {
    let refuse = |reason: String, findings: Vec<String>| Refusal {
        name: found.name.clone(),
        path: found.path.clone(),
        reason,
        findings,
        hint: None,
    };
    if let Some(why) = crate::registry::skill_name_problem(&found.name) {
        return Err(refuse(
            format!(
                "`{}` is not a skill name: {why}",
                crate::ops::echo(&found.name)
            ),
            Vec::new(),
        ));
    }
    let dir = work.join(index.to_string()).join(&found.name);
    discover::copy_skill(&found.dir, &dir).map_err(|why| refuse(why, Vec::new()))?;
    let (parsed, findings) = validate::validate_dir(&dir);
    let (errors, warnings): (Vec<_>, Vec<_>) = findings
        .into_iter()
        .partition(|f| f.severity == Severity::Error);
    let parsed = match parsed {
        Some(parsed) if errors.is_empty() => parsed,
        _ => {
            return Err(refuse(
                "it does not validate".into(),
                errors.iter().map(ToString::to_string).collect(),
            ));
        }
    };
    let hash = crate::fsutil::content_digest(&dir)
        .map_err(|e| refuse(e.to_string(), Vec::new()))?
        .unwrap_or_default();
    Ok(Prepared {
        found: found.clone(),
        dir,
        frontmatter: parsed.frontmatter,
        body: parsed.body,
        hash,
        warnings: warnings.iter().map(ToString::to_string).collect(),
    })
}

/// The skills of `input` with their verdicts; installs nothing.
pub fn list_source(input: &str, base_dir: &Path) -> anyhow::Result<ListReport> {
    let opened = open(input, base_dir)?;
    let work = tempfile::tempdir()?;
    let skills = opened
        .found
        .iter()
        .enumerate()
        .map(|(i, found)| match prepare(found, work.path(), i) {
            Ok(p) => Candidate {
                name: found.name.clone(),
                description: found.description.clone(),
                path: found.path.clone(),
                valid: true,
                findings: p.warnings,
            },
            Err(r) => Candidate {
                name: found.name.clone(),
                description: found.description.clone(),
                path: found.path.clone(),
                valid: false,
                findings: std::iter::once(r.reason).chain(r.findings).collect(),
            },
        })
        .collect();
    Ok(ListReport {
        source: opened.source.recorded(),
        source_commit: opened.fetched.commit.clone(),
        skills,
    })
}

/// The skills `options` selects among `found`.
fn select<'a>(
    found: &'a [Found],
    options: &InstallOptions,
    input: &str,
) -> anyhow::Result<Vec<&'a Found>> {
    let names = || {
        found
            .iter()
            .map(|f| f.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let selected: Vec<&Found> =
        if options.all {
            if !options.skills.is_empty() {
                return Err(Error::usage("--all and --skill exclude each other").into());
            }
            found.iter().collect()
        } else if options.skills.is_empty() {
            if found.len() > 1 {
                return Err(Error::usage(format!(
                    "{input} has {} skills ({}); choose with --skill NAME or --all",
                    found.len(),
                    crate::ops::echo(&names())
                ))
                .hint(format!("`skillet install {input} --list` shows them"))
                .into());
            }
            found.iter().collect()
        } else {
            let mut out = Vec::new();
            for wanted in &options.skills {
                let matching: Vec<&Found> = found
                    .iter()
                    .filter(|f| &f.name == wanted || f.path == wanted.trim_matches('/'))
                    .collect();
                match matching.as_slice() {
                    [] => {
                        return Err(Error::user(format!(
                            "{input} has no skill `{}` (it has: {})",
                            crate::ops::echo(wanted),
                            crate::ops::echo(&names())
                        ))
                        .into());
                    }
                    [one] => out.push(*one),
                    several => {
                        return Err(Error::usage(format!(
                        "{input} has {} skills named `{wanted}` (at {}); choose one by its path",
                        several.len(),
                        several.iter().map(|f| f.path.as_str()).collect::<Vec<_>>().join(", ")
                    ))
                    .into());
                    }
                }
            }
            out.dedup_by(|a, b| a.path == b.path);
            out
        };
    if options.rename.is_some() && selected.len() != 1 {
        return Err(Error::usage("--as renames one skill; select exactly one with --skill").into());
    }
    Ok(selected)
}

/// Installs what `options` selects from `options.source` into `registry`. Valid skills are
/// committed one by one; refused ones are in the report (the caller exits non-zero).
pub fn install(registry: &Registry, options: &InstallOptions) -> anyhow::Result<InstallReport> {
    let input = options.source.as_str();
    if let Some(name) = &options.rename {
        crate::skill::check_name(name)?;
    }
    let opened = open(input, &options.base_dir)?;
    let selected = select(&opened.found, options, input)?;
    let key = opened.source.key();
    let work = tempfile::tempdir()?;
    let mut report = InstallReport {
        source: opened.source.recorded(),
        source_commit: opened.fetched.commit.clone(),
        installed: Vec::new(),
        unchanged: Vec::new(),
        commits: Vec::new(),
        refused: Vec::new(),
    };
    // Validate and check names before touching the registry.
    let mut ready = Vec::new();
    let mut names_taken = std::collections::BTreeMap::new();
    for (i, found) in selected.iter().enumerate() {
        let target = options.rename.clone().unwrap_or_else(|| found.name.clone());
        if let Some(other) = names_taken.insert(target.clone(), found.path.clone()) {
            report.refused.push(Refusal {
                name: target,
                path: found.path.clone(),
                reason: format!("another selected skill (at {other}) has this name"),
                findings: Vec::new(),
                hint: Some("install one of them with --as NEW-NAME".into()),
            });
            continue;
        }
        match prepare(found, work.path(), i) {
            Ok(p) => match conflict(registry, &target, &key, &found.path) {
                Some(reason) if !options.force => report.refused.push(Refusal {
                    name: target,
                    path: found.path.clone(),
                    reason,
                    findings: Vec::new(),
                    hint: Some(
                        "install it under another name with --as NEW-NAME, or replace it with --force"
                            .into(),
                    ),
                }),
                _ => ready.push((p, target)),
            },
            Err(r) => report.refused.push(r),
        }
    }
    if ready.is_empty() {
        return Ok(report);
    }
    let repo = Repo::open(registry.root())?;
    // Waits for other writers and finishes or undoes what a killed one left.
    let lock = WriteLock::acquire(registry)?;
    let at = opened
        .fetched
        .commit
        .as_deref()
        .map(|c| format!("@{}", &c[..c.len().min(12)]))
        .unwrap_or_default();
    for (prepared, target) in ready {
        let provenance = Provenance {
            source: opened.source.recorded(),
            reference: opened.source.reference.clone(),
            commit: opened.fetched.commit.clone(),
            path: prepared.found.path.clone(),
            hash: prepared.hash.clone(),
        };
        let message = format!("skill({target}): install from {}{at}", report.source);
        match write_one(
            registry,
            &repo,
            &lock,
            &prepared,
            &target,
            &provenance,
            "install",
            &message,
        ) {
            Ok(Some(commit)) => {
                report.commits.push(commit);
                report.installed.push(target);
            }
            Ok(None) => report.unchanged.push(target),
            Err(e) => match e.downcast::<SkillError>() {
                Ok(SkillError::Invalid { findings, .. }) => report.refused.push(Refusal {
                    name: target,
                    path: prepared.found.path.clone(),
                    reason: "it does not validate once installed".into(),
                    findings: findings.iter().map(ToString::to_string).collect(),
                    hint: None,
                }),
                Ok(other) => return Err(other.into()),
                Err(e) => return Err(e),
            },
        }
    }
    Ok(report)
}

/// Why `skills/<target>` may not be replaced by the skill at `path` of the source `key`:
/// `None` when it is free or came from there.
fn conflict(registry: &Registry, target: &str, key: &str, path: &str) -> Option<String> {
    let dir = registry.skills_dir().join(target);
    if fs_err::symlink_metadata(&dir).is_err() {
        return None;
    }
    match provenance::of_dir(&dir) {
        Some(Ok(p)) if p.same_origin(key, path) => None,
        Some(Ok(p)) => Some(format!(
            "`{target}` is already in the registry, installed from {}{}",
            p.source,
            if p.path.is_empty() {
                String::new()
            } else {
                format!(" ({})", p.path)
            }
        )),
        Some(Err(_)) => Some(format!(
            "`{target}` is already in the registry, and its provenance lock is unreadable"
        )),
        None => Some(format!(
            "`{target}` is already in the registry, made here (not installed from a source)"
        )),
    }
}

/// Stages `prepared` as `skills/<target>` with `provenance` and commits it through the
/// journal. `None` when the registry holds exactly that already (nothing written).
#[allow(clippy::too_many_arguments)]
fn write_one(
    registry: &Registry,
    repo: &Repo,
    lock: &WriteLock,
    prepared: &Prepared,
    target: &str,
    provenance: &Provenance,
    op: &str,
    message: &str,
) -> anyhow::Result<Option<String>> {
    let rel = format!("skills/{target}");
    if repo.has_local_changes(&rel)? {
        return Err(Error::user(format!(
            "skill `{target}` has uncommitted changes in {rel}/"
        ))
        .hint("commit or discard them first")
        .into());
    }
    let staging = Staging::new(registry, lock, target)?;
    let staged = staging.new_dir();
    crate::fsutil::copy_dir(&prepared.dir, &staged)?;
    let mut frontmatter = prepared.frontmatter.clone();
    frontmatter.name = target.to_owned();
    provenance.write(&mut frontmatter.metadata);
    fs_err::write(
        staged.join("SKILL.md"),
        validate::render_skill_md(&frontmatter, &prepared.body),
    )?;
    let (_, findings) = validate::validate_dir(&staged);
    let errors: Vec<_> = findings
        .into_iter()
        .filter(|f| f.severity == Severity::Error)
        .collect();
    if !errors.is_empty() {
        return Err(SkillError::Invalid {
            name: target.to_owned(),
            findings: errors,
        }
        .into());
    }
    let dest = registry.skills_dir().join(target);
    if crate::fsutil::content_digest(&staged)? == crate::fsutil::content_digest(&dest)? {
        return Ok(None);
    }
    Ok(Some(crate::ops::companions::swap_and_commit(
        registry, repo, lock, staging, op, target, message,
    )?))
}
