//! Keeping installed skills current with their sources, from the provenance lock:
//! `outdated` (what changed upstream; changes nothing), `update` (commits the new version,
//! which old review signatures no longer cover) and `install --frozen` (exactly what the lock
//! says, failing on any difference). A source is fetched once for all its skills.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Serialize;

use super::discover::{self, Found};
use super::fetch::{self, Fetched};
use super::provenance::{self, Provenance};
use super::source::{self, Source};
use super::{Prepared, prepare, write_one};
use crate::error::Error;
use crate::registry::Registry;
use crate::registry::git::Repo;
use crate::registry::journal::WriteLock;

/// How an installed skill stands against its source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum UpstreamStatus {
    /// The source has the same files.
    Current,
    /// The source's files differ: `update` installs them.
    Changed,
    /// The source no longer has the skill at its path.
    Gone,
    /// The source could not be fetched or the skill not read (see `detail`).
    Error,
}

/// One installed skill against its source.
#[derive(Debug, Clone, Serialize)]
pub struct Outdated {
    pub name: String,
    pub source: String,
    pub reference: Option<String>,
    pub path: String,
    pub locked_commit: Option<String>,
    pub upstream_commit: Option<String>,
    pub status: UpstreamStatus,
    pub detail: Option<String>,
}

/// The installed skills (`names`, or all) with their lock entries; a corrupt entry is an error.
fn locked(registry: &Registry, names: &[String]) -> anyhow::Result<Vec<(String, Provenance)>> {
    let mut all = Vec::new();
    for dir in crate::ops::skill_dirs(registry) {
        let name = dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if !names.is_empty() && !names.contains(&name) {
            continue;
        }
        if let Some(entry) = provenance::of_dir(&dir) {
            all.push((name, entry?));
        }
    }
    for wanted in names {
        if !all.iter().any(|(n, _)| n == wanted) {
            crate::skill::check_name(wanted)?;
            return Err(Error::user(format!(
                "skill `{wanted}` was not installed from a source (it has no provenance lock)"
            ))
            .hint("`skillet outdated` lists the installed skills")
            .into());
        }
    }
    Ok(all)
}

/// The recorded source, ready to fetch (its ref as recorded).
fn source_of(entry: &Provenance) -> anyhow::Result<Source> {
    let mut source = source::parse(&entry.source, Path::new("/"), &|p| p.is_dir())?;
    source.reference = entry.reference.clone();
    source.subpath = None;
    Ok(source)
}

/// A source fetched once and its skills by path.
struct Fetch {
    fetched: Fetched,
    by_path: BTreeMap<String, Found>,
}

fn fetch_all(source: &Source, commit: Option<&str>) -> anyhow::Result<Fetch> {
    let fetched = fetch::fetch(source, commit)?;
    let by_path = discover::discover(&fetched.root, None)?
        .into_iter()
        .map(|f| (f.path.clone(), f))
        .collect();
    Ok(Fetch { fetched, by_path })
}

/// Each locked skill against its source at the recorded ref's tip, with the upstream copy of
/// those that changed.
fn check(
    registry: &Registry,
    names: &[String],
    work: &Path,
) -> anyhow::Result<Vec<(Outdated, Provenance, Option<Prepared>)>> {
    let entries = locked(registry, names)?;
    let mut fetches: BTreeMap<(String, Option<String>), Result<Fetch, String>> = BTreeMap::new();
    let mut out = Vec::new();
    for (i, (name, entry)) in entries.into_iter().enumerate() {
        let group = (entry.source.clone(), entry.reference.clone());
        if !fetches.contains_key(&group) {
            let fetched = source_of(&entry)
                .and_then(|s| fetch_all(&s, None))
                .map_err(|e| format!("{e:#}"));
            fetches.insert(group.clone(), fetched);
        }
        let mut row = Outdated {
            name: name.clone(),
            source: entry.source.clone(),
            reference: entry.reference.clone(),
            path: entry.path.clone(),
            locked_commit: entry.commit.clone(),
            upstream_commit: None,
            status: UpstreamStatus::Error,
            detail: None,
        };
        let mut prepared = None;
        match &fetches[&group] {
            Err(e) => row.detail = Some(e.clone()),
            Ok(fetch) => {
                row.upstream_commit = fetch.fetched.commit.clone();
                match fetch.by_path.get(&entry.path) {
                    None => {
                        row.status = UpstreamStatus::Gone;
                        row.detail = Some(format!(
                            "the source has no skill at `{}` any more",
                            entry.path
                        ));
                    }
                    Some(found) => match prepare(found, work, i) {
                        Err(r) => {
                            row.detail = Some(
                                std::iter::once(r.reason)
                                    .chain(r.findings)
                                    .collect::<Vec<_>>()
                                    .join("\n"),
                            );
                        }
                        Ok(p) if p.hash == entry.hash => row.status = UpstreamStatus::Current,
                        Ok(p) => {
                            row.status = UpstreamStatus::Changed;
                            prepared = Some(p);
                        }
                    },
                }
            }
        }
        out.push((row, entry, prepared));
    }
    Ok(out)
}

/// What changed upstream for the installed skills `names` (all when empty). Changes nothing.
pub fn outdated(registry: &Registry, names: &[String]) -> anyhow::Result<Vec<Outdated>> {
    let work = tempfile::tempdir()?;
    Ok(check(registry, names, work.path())?
        .into_iter()
        .map(|(row, _, _)| row)
        .collect())
}

/// One skill `update` committed.
#[derive(Debug, Clone, Serialize)]
pub struct Updated {
    pub name: String,
    pub from_commit: Option<String>,
    pub to_commit: Option<String>,
    /// The registry's commit.
    pub commit: String,
    /// What changed in the skill's folder (`skillet diff`).
    pub diff: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct UpdateReport {
    pub updated: Vec<Updated>,
    /// Already current.
    pub current: Vec<String>,
    /// Gone upstream, not fetched, or not valid upstream: left as they are.
    pub problems: Vec<Outdated>,
}

/// Installs what changed upstream for `names` (all when empty), one commit per skill, with the
/// diff of each. Skills whose source failed are left as they are and reported.
pub fn update(registry: &Registry, names: &[String]) -> anyhow::Result<UpdateReport> {
    let work = tempfile::tempdir()?;
    let rows = check(registry, names, work.path())?;
    let mut report = UpdateReport {
        updated: Vec::new(),
        current: Vec::new(),
        problems: Vec::new(),
    };
    if !rows.iter().any(|(_, _, p)| p.is_some()) {
        for (row, _, _) in rows {
            match row.status {
                UpstreamStatus::Current => report.current.push(row.name),
                _ => report.problems.push(row),
            }
        }
        return Ok(report);
    }
    let repo = Repo::open(registry.root())?;
    let lock = WriteLock::acquire(registry)?;
    for (row, entry, prepared) in rows {
        let Some(prepared) = prepared else {
            match row.status {
                UpstreamStatus::Current => report.current.push(row.name),
                _ => report.problems.push(row),
            }
            continue;
        };
        let new = Provenance {
            commit: row.upstream_commit.clone(),
            hash: prepared.hash.clone(),
            ..entry.clone()
        };
        let before = repo.head();
        let at = new
            .commit
            .as_deref()
            .map(|c| format!("@{}", &c[..c.len().min(12)]))
            .unwrap_or_default();
        let message = format!("skill({}): update from {}{at}", row.name, entry.source);
        let Some(commit) = write_one(
            registry, &repo, &lock, &prepared, &row.name, &new, "update", &message,
        )?
        else {
            report.current.push(row.name);
            continue;
        };
        let diff = match &before {
            Some(before) => crate::ops::diff(
                registry,
                &row.name,
                Some(before.as_str()),
                Some(commit.as_str()),
            )?,
            None => String::new(),
        };
        report.updated.push(Updated {
            name: row.name,
            from_commit: entry.commit,
            to_commit: new.commit,
            commit,
            diff,
        });
    }
    Ok(report)
}

#[derive(Debug, Clone, Serialize)]
pub struct FrozenReport {
    /// Skills whose files match the lock and their source at the locked commit.
    pub checked: Vec<String>,
    /// Skills whose folder differed and was put back as the lock says.
    pub restored: Vec<String>,
    pub commits: Vec<String>,
}

/// `install --frozen`: every installed skill fetched at its locked commit; its files must have
/// the locked hash, else nothing is written and the differences are the error. A folder that
/// differs from what the lock says is then installed again as the lock says.
pub fn install_frozen(registry: &Registry) -> anyhow::Result<FrozenReport> {
    let entries = locked(registry, &[])?;
    let work = tempfile::tempdir()?;
    let mut fetches: BTreeMap<(String, Option<String>), Result<Fetch, String>> = BTreeMap::new();
    let mut problems = Vec::new();
    let mut ready = Vec::new();
    for (i, (name, entry)) in entries.into_iter().enumerate() {
        if entry.hash.is_empty() {
            problems.push(format!(
                "{name}: installed by an older skillet, its lock has no content hash; install it again"
            ));
            continue;
        }
        let group = (entry.source.clone(), entry.commit.clone());
        if !fetches.contains_key(&group) {
            let fetched = source_of(&entry)
                .and_then(|s| fetch_all(&s, entry.commit.as_deref()))
                .map_err(|e| format!("{e:#}"));
            fetches.insert(group.clone(), fetched);
        }
        let at = entry.commit.as_deref().unwrap_or("its current files");
        match &fetches[&group] {
            Err(e) => problems.push(format!("{name}: {e}")),
            Ok(fetch) => match fetch.by_path.get(&entry.path) {
                None => problems.push(format!(
                    "{name}: {} at {at} has no skill at `{}`",
                    entry.source, entry.path
                )),
                Some(found) => match prepare(found, work.path(), i) {
                    Err(r) => problems.push(format!("{name}: {}", r.reason)),
                    Ok(p) if p.hash != entry.hash => problems.push(format!(
                        "{name}: {} at {at} has other files than the lock records (hash {} instead of {})",
                        entry.source,
                        &p.hash[..12],
                        &entry.hash[..12.min(entry.hash.len())]
                    )),
                    Ok(p) => ready.push((name, entry, p)),
                },
            },
        }
    }
    if !problems.is_empty() {
        return Err(Error::user(format!(
            "the installed skills differ from their lock:\n  {}",
            problems.join("\n  ")
        ))
        .hint("`skillet update` installs what the sources have now and records it in the lock")
        .into());
    }
    let mut report = FrozenReport {
        checked: Vec::new(),
        restored: Vec::new(),
        commits: Vec::new(),
    };
    if ready.is_empty() {
        return Ok(report);
    }
    let repo = Repo::open(registry.root())?;
    let lock = WriteLock::acquire(registry)?;
    for (name, entry, prepared) in ready {
        let message = format!("skill({name}): install from {} as locked", entry.source);
        match write_one(
            registry, &repo, &lock, &prepared, &name, &entry, "install", &message,
        )? {
            Some(commit) => {
                report.commits.push(commit);
                report.restored.push(name);
            }
            None => report.checked.push(name),
        }
    }
    Ok(report)
}
