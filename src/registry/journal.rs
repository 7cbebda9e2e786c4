//! Crash safety for writes to `skills/` (`save`, `install`): one writer at a time (a lock file),
//! a journal of the write in progress, and the recovery that finishes or undoes what a killed
//! writer left, run by the next command that opens the registry.
//!
//! A write goes through these steps, each durable (fsynced) before the next:
//!
//! 1. the new folder is built in `.skillet/staging/<id>/new/<name>` (ignored by git, on the
//!    same file system as `skills/`);
//! 2. `journal`: `.skillet/journal/save.json` records the skill, the staging folder, the
//!    digest of the new folder's files and the commit message;
//! 3. `backup`: the current `skills/<name>` is moved to `.skillet/staging/<id>/old/<name>`;
//! 4. `swap`: the new folder is moved to `skills/<name>`;
//! 5. `derive` (only for a write with derived files, see [`Companions`]): the files derived
//!    from the registry (the plugin marketplace) are regenerated, then the journal is written
//!    again, saying so;
//! 6. `commit`: git objects, then HEAD's branch (libgit2 fsyncs both), for `skills/<name>`
//!    and the companion files (`skillet.lock`, the derived files);
//! 7. `index`: git's index is brought in step for those paths, and the write is added to the
//!    change log (`super::changes`, a cache that readers such as the skills search index trust
//!    only when it accounts for everything they see);
//! 8. `journal-removed`: the journal is deleted, then the staging folder.
//!
//! Recovery, with a journal: if HEAD already holds the new files, bring the index in step; if
//! the swap happened (the new folder is in place, its files match the digest) and the derived
//! files were regenerated, commit it all; if not, put the old folder back (and the derived
//! files as HEAD has them): a commit never holds a skill with derived files that describe
//! another version of it. Then the journal and every staging folder go. It also removes
//! the staging folders older versions of skillet left inside `skills/`. A git lock file
//! (`index.lock`, `HEAD.lock`, the branch's) made after the journal while no git process runs
//! in the work tree is the killed writer's (libgit2 was inside its own update): recovery removes
//! it. Any other git lock file is reported with the command that removes it, never removed.
//! Recovery runs only when the lock is free: a live writer is left alone.
//!
//! `SKILLET_FAILPOINT=<op>:after-<step>` (op `save` or `install`; step `staged` (the new folder
//! built and fsynced, no journal yet) or one of the steps above) kills the process with SIGKILL
//! right after that step: the tests use it to show that every step recovers. Killing its own
//! process is all it can do.

use std::io::ErrorKind;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::Registry;
use super::git::{GitError, Repo};
use crate::fsutil;

/// A write to `skills/` that failed, or an interrupted one that cannot be finished yet.
#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    #[error(transparent)]
    Git(#[from] GitError),
    #[error(transparent)]
    Io(#[from] std::io::Error),
    #[error(
        "{}: not a journal skillet wrote ({reason}); the interrupted write it describes cannot be finished",
        path.display()
    )]
    Unreadable {
        path: PathBuf,
        staging: PathBuf,
        reason: String,
    },
    #[error("the journal names `{name}`, which is not a skill name; it was not written by skillet")]
    BadName { name: String },
    #[error("{error}\nand putting the previous {rel}/ back failed too: {undo}")]
    RollBackFailed {
        error: Box<JournalError>,
        rel: String,
        undo: Box<JournalError>,
    },
    #[error(transparent)]
    IndexBehind(GitError),
    #[error("{reason}")]
    Derived { reason: String },
}

/// Kills the process (SIGKILL, as `kill -9` would) when `SKILLET_FAILPOINT`
/// (`config::env::FAILPOINT`) names this step.
pub(crate) fn failpoint(op: &str, step: &str) {
    static WANTED: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();
    let wanted = WANTED.get_or_init(crate::config::env::failpoint);
    if let Some(wanted) = wanted
        && wanted.split_once(':') == Some((op, step))
    {
        let _ = nix::sys::signal::raise(nix::sys::signal::Signal::SIGKILL);
        std::process::abort();
    }
}

impl crate::error::Diagnose for JournalError {
    fn hints(&self) -> Vec<String> {
        match self {
            Self::Git(e) => e.hints(),
            Self::Unreadable { path, staging, .. } => vec![format!(
                "check `git status skills/`, then remove {} and {}",
                path.display(),
                staging.display()
            )],
            Self::RollBackFailed { .. } => vec!["the next skillet command tries again".into()],
            Self::IndexBehind(e) => {
                let mut hints = e.hints();
                hints.push(
                    "the next skillet command brings the index in step once the cause is fixed"
                        .into(),
                );
                hints
            }
            Self::Io(_) | Self::BadName { .. } | Self::Derived { .. } => Vec::new(),
        }
    }
}

/// What the journal records of a write in progress.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    /// `save` or `install`.
    op: String,
    /// The skill's name; its folder is `skills/<name>`.
    name: String,
    /// The staging folder's name under `.skillet/staging/`.
    staging: String,
    /// [`fsutil::content_digest`] of the new folder.
    digest: String,
    /// The commit message.
    message: String,
    /// HEAD when the write began (for people reading the journal).
    head_before: Option<String>,
    /// Registry files committed along, as they are on disk ([`Companions::along`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    along: Vec<String>,
    /// Registry files regenerated after the swap ([`Companions::derived`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    derived: Vec<String>,
    /// Whether `derived` were regenerated for the new folder (the journal is written again).
    #[serde(default)]
    derived_done: bool,
}

impl Entry {
    /// Every path the write commits: the skill's folder, then its companions.
    fn paths(&self) -> Vec<String> {
        let mut paths = vec![format!("skills/{}", self.name)];
        paths.extend(self.along.iter().cloned());
        paths.extend(self.derived.iter().cloned());
        paths
    }
}

/// Registry files a write to `skills/<name>` commits with it, in the same commit.
#[derive(Default)]
pub(crate) struct Companions<'a> {
    /// Registry-relative files committed as they are on disk when they differ from HEAD
    /// (`skillet.lock`, which a saved skill's tool pins refer to).
    pub(crate) along: Vec<String>,
    /// Registry-relative files derived from the registry (the plugin marketplace): `regenerate`
    /// rewrites them once the new folder is in place, and they are committed with it.
    pub(crate) derived: Vec<String>,
    /// Rewrites `derived`; an error (its message) undoes the write.
    pub(crate) regenerate: Option<&'a dyn Fn() -> Result<(), String>>,
}

fn journal_path(registry: &Registry) -> PathBuf {
    registry.cache_dir().join("journal").join("save.json")
}

fn staging_root(registry: &Registry) -> PathBuf {
    registry.cache_dir().join("staging")
}

/// The lock file every writer of `skills/` holds: concurrent writers wait their turn, and a
/// writer that died (killed, crashed) releases it with its process.
pub(crate) struct WriteLock {
    file: std::fs::File,
}

impl WriteLock {
    /// Waits for other writers, then finishes or undoes what a killed one left.
    pub(crate) fn acquire(registry: &Registry) -> Result<Self, JournalError> {
        let file = open_lock(registry)?;
        file.lock()?;
        let lock = Self { file };
        recover_locked(registry)?;
        Ok(lock)
    }
}

impl Drop for WriteLock {
    fn drop(&mut self) {
        let _ = self.file.unlock();
    }
}

fn open_lock(registry: &Registry) -> std::io::Result<std::fs::File> {
    fs_err::create_dir_all(registry.cache_dir())?;
    let path = registry.cache_dir().join("save.lock");
    std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| std::io::Error::new(e.kind(), format!("{}: {e}", path.display())))
}

/// A fresh staging folder under `.skillet/staging/` for the skill `name`: the new folder is
/// built in `new/<name>`, the previous one is moved to `old/<name>`. Removed when dropped.
pub(crate) struct Staging {
    dir: tempfile::TempDir,
    name: String,
}

impl Staging {
    /// Needs the [`WriteLock`]: recovery removes staging folders it finds without one.
    pub(crate) fn new(registry: &Registry, _lock: &WriteLock, name: &str) -> std::io::Result<Self> {
        let root = staging_root(registry);
        fs_err::create_dir_all(&root)?;
        let dir = tempfile::Builder::new().prefix("w-").tempdir_in(&root)?;
        fs_err::create_dir(dir.path().join("new"))?;
        fs_err::create_dir(dir.path().join("old"))?;
        Ok(Self {
            dir,
            name: name.to_owned(),
        })
    }

    /// Where the new folder is built.
    pub(crate) fn new_dir(&self) -> PathBuf {
        self.dir.path().join("new").join(&self.name)
    }

    fn old_dir(&self) -> PathBuf {
        self.dir.path().join("old").join(&self.name)
    }

    fn id(&self) -> String {
        self.dir
            .path()
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    }
}

/// Swaps the folder built in `staging` in as `skills/<name>` and commits it with `message`,
/// journaled so that a kill at any point is finished or undone by the next command. Returns the
/// commit. On an error before the commit, the old folder is put back. When HEAD and the folder
/// already hold exactly the staged files (their modes included) and git sees no change there,
/// nothing is written and HEAD is returned: no empty commit. `companions` are committed in
/// the same commit (see [`Companions`]).
#[allow(clippy::too_many_arguments)]
pub(crate) fn swap_and_commit(
    registry: &Registry,
    repo: &Repo,
    _lock: &WriteLock,
    staging: Staging,
    op: &str,
    name: &str,
    message: &str,
    companions: &Companions<'_>,
) -> Result<String, JournalError> {
    let rel = format!("skills/{name}");
    let dest = registry.skills_dir().join(name);
    let new = staging.new_dir();
    // A lock file git would trip on is reported before anything moves.
    repo.check_locks()?;
    fsutil::sync_tree(&new)?;
    let digest = fsutil::content_digest(&new)?.unwrap_or_default();
    failpoint(op, "after-staged");
    // HEAD, the folder and git's index already hold exactly these files (modes included): a
    // re-install of the same commit. Nothing to write.
    if let Some(head) = repo.head()
        && dest.is_dir()
        && head_digest(repo, &rel)?.as_deref() == Some(digest.as_str())
        && fsutil::content_digest(&dest)?.as_deref() == Some(digest.as_str())
        && !repo.has_local_changes(&rel)?
    {
        drop(staging);
        return Ok(head);
    }

    let mut entry = Entry {
        op: op.to_owned(),
        name: name.to_owned(),
        staging: staging.id(),
        digest,
        message: message.to_owned(),
        head_before: repo.head(),
        along: companions.along.clone(),
        derived: companions.derived.clone(),
        derived_done: companions.derived.is_empty(),
    };
    let journal = journal_path(registry);
    write_journal(registry, &entry)?;
    failpoint(op, "after-journal");

    // Where the change log says this write starts (see `changes`).
    let before = super::changes::Outline::of(registry);
    let moved = (|| -> std::io::Result<()> {
        if dest.exists() {
            fsutil::rename_durable(&dest, &staging.old_dir())?;
        }
        failpoint(op, "after-backup");
        fsutil::rename_durable(&new, &dest)?;
        failpoint(op, "after-swap");
        Ok(())
    })();
    let paths = entry.paths();
    let committed = moved
        .map_err(JournalError::from)
        .and_then(|()| {
            if entry.derived_done {
                return Ok(());
            }
            if let Some(regenerate) = companions.regenerate {
                regenerate().map_err(|reason| JournalError::Derived { reason })?;
            }
            entry.derived_done = true;
            write_journal(registry, &entry)?;
            failpoint(op, "after-derive");
            Ok(())
        })
        .and_then(|()| {
            repo.commit_paths(&paths, message)
                .map_err(JournalError::from)
        });
    let commit = match committed {
        Ok(commit) => commit,
        Err(e) => {
            // Nothing was committed: put the old folder back.
            if let Err(undo) = roll_back(registry, &entry) {
                return Err(JournalError::RollBackFailed {
                    error: Box::new(e),
                    rel,
                    undo: Box::new(undo.into()),
                });
            }
            return Err(e);
        }
    };
    failpoint(op, "after-commit");
    // The commit is in: from here on, the journal stays until the index is in step.
    repo.sync_index_paths(&paths)
        .map_err(|source| GitError::IndexNotUpdated {
            commit: commit.clone(),
            message: message.to_owned(),
            rel: rel.clone(),
            source: Box::new(source),
        })
        .map_err(JournalError::IndexBehind)?;
    super::changes::record(registry, name, before);
    failpoint(op, "after-index");
    fsutil::remove_durable(&journal)?;
    failpoint(op, "after-journal-removed");
    drop(staging);
    Ok(commit)
}

fn write_journal(registry: &Registry, entry: &Entry) -> std::io::Result<()> {
    let text = serde_json::to_string_pretty(entry).map_err(std::io::Error::other)?;
    fsutil::write_durable(&journal_path(registry), text.as_bytes())
}

/// Puts the derived files back as HEAD has them (removed when HEAD has none).
fn restore_derived(registry: &Registry, entry: &Entry) -> std::io::Result<()> {
    if entry.derived.is_empty() {
        return Ok(());
    }
    let repo = Repo::open(registry.root()).map_err(std::io::Error::other)?;
    let head = repo.head_commit();
    for rel in &entry.derived {
        let path = registry.root().join(rel);
        let now = fs_err::read(&path).ok();
        match head.as_ref().and_then(|h| repo.file_at(h, rel)) {
            Some(bytes) if now.as_deref() != Some(bytes.as_slice()) => {
                fsutil::write_durable(&path, &bytes)?;
            }
            None if now.is_some() => fsutil::remove_durable(&path)?,
            _ => {}
        }
    }
    Ok(())
}

/// Puts the previous folder back after a write that did not commit (and the derived files as
/// HEAD has them). A folder in place that is not the one this write made (someone changed it
/// since) is left alone.
fn roll_back(registry: &Registry, entry: &Entry) -> std::io::Result<()> {
    let dest = registry.skills_dir().join(&entry.name);
    let dir = staging_root(registry).join(&entry.staging);
    let (new, old) = (
        dir.join("new").join(&entry.name),
        dir.join("old").join(&entry.name),
    );
    let ours =
        !new.exists() && fsutil::content_digest(&dest)?.as_deref() == Some(entry.digest.as_str());
    if ours {
        // The new folder made it into place: move it back out.
        fs_err::create_dir_all(dir.join("new"))?;
        fsutil::rename_durable(&dest, &new)?;
    }
    if old.exists() {
        if dest.exists() {
            tracing::warn!(
                "{} changed after an interrupted {}; it is kept as it is",
                dest.display(),
                entry.op
            );
        } else {
            fsutil::rename_durable(&old, &dest)?;
        }
    }
    restore_derived(registry, entry)?;
    fsutil::remove_durable(&journal_path(registry))?;
    remove_tree(&dir)
}

fn remove_tree(dir: &Path) -> std::io::Result<()> {
    match fs_err::remove_dir_all(dir) {
        Err(e) if e.kind() != ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

/// Whether a killed writer may have left something: a journal (or half of one), a staging
/// folder, or (from older versions of skillet) a staging folder inside `skills/`. A few
/// `readdir` calls.
fn needs_recovery(registry: &Registry) -> bool {
    let journal = journal_path(registry);
    let not_empty = |dir: &Path| fs_err::read_dir(dir).is_ok_and(|mut d| d.next().is_some());
    journal.parent().is_some_and(not_empty)
        || not_empty(&staging_root(registry))
        || has_legacy_leftovers(registry)
}

/// Where the stamp of `skills/` is kept when a listing of it found no [`legacy_leftovers`].
fn checked_path(registry: &Registry) -> PathBuf {
    registry.cache_dir().join("skills.checked")
}

/// Whether `skills/` holds [`legacy_leftovers`]. Listing a folder of thousands of skills costs
/// more than the rest of a command's start, so a listing that found none keeps the stamp of
/// `skills/` it was made at: while the stamp is the same (no entry was added, removed or
/// renamed there) and was not taken within a second of a change (a timestamp tick can hide a
/// second change), the listing is not made again.
fn has_legacy_leftovers(registry: &Registry) -> bool {
    let stamp = std::fs::metadata(registry.skills_dir())
        .ok()
        .map(|m| super::changes::stamp(&m));
    let key = stamp.map(|s| format!("{s:?}"));
    let checked = checked_path(registry);
    if key.is_some() && fs_err::read_to_string(&checked).ok() == key {
        return false;
    }
    let found = !legacy_leftovers(registry).is_empty();
    let settled = stamp.is_some_and(|s| {
        let changed = std::time::UNIX_EPOCH + std::time::Duration::from_secs(s[4].max(0) as u64);
        std::time::SystemTime::now()
            .duration_since(changed)
            .is_ok_and(|age| age >= std::time::Duration::from_secs(2))
    });
    if let Some(key) = key.filter(|_| !found && settled) {
        // A cache: without it, the next command lists `skills/` again.
        let _ = fsutil::write_replacing(&checked, key.as_bytes(), false);
    }
    found
}

/// Finishes or undoes what a killed writer left, unless a live writer holds the lock (it is
/// not done yet). What every command that opens the registry runs first.
pub fn recover(registry: &Registry) -> Result<(), JournalError> {
    if !needs_recovery(registry) {
        return Ok(());
    }
    let file = open_lock(registry)?;
    match file.try_lock() {
        Ok(()) => {}
        Err(std::fs::TryLockError::WouldBlock) => return Ok(()),
        Err(std::fs::TryLockError::Error(e)) => return Err(e.into()),
    }
    let lock = WriteLock { file };
    let result = recover_locked(registry);
    drop(lock);
    result
}

/// [`recover`], with the lock held.
fn recover_locked(registry: &Registry) -> Result<(), JournalError> {
    let journal = journal_path(registry);
    match fs_err::read_to_string(&journal) {
        Ok(text) => {
            let entry: Entry =
                serde_json::from_str(&text).map_err(|e| JournalError::Unreadable {
                    path: journal.clone(),
                    staging: staging_root(registry),
                    reason: e.to_string(),
                })?;
            recover_entry(registry, &entry)?;
        }
        Err(e) if e.kind() == ErrorKind::NotFound => {}
        Err(e) => return Err(e.into()),
    }
    // Staging folders without a journal: a writer killed before its journal or after removing
    // it. Nothing in them is needed.
    if let Ok(entries) = fs_err::read_dir(staging_root(registry)) {
        for entry in entries.flatten() {
            remove_tree(&entry.path())?;
        }
    }
    // The temporary file of a journal write that was cut short.
    if let Some(dir) = journal.parent()
        && let Ok(entries) = fs_err::read_dir(dir)
    {
        for entry in entries.flatten() {
            if entry.path() != journal {
                fsutil::remove_durable(&entry.path())?;
            }
        }
    }
    for path in legacy_leftovers(registry) {
        tracing::warn!("removing {}, left by an interrupted save", path.display());
        remove_tree(&path)?;
    }
    Ok(())
}

fn recover_entry(registry: &Registry, entry: &Entry) -> Result<(), JournalError> {
    if !super::is_skill_name(&entry.name) {
        return Err(JournalError::BadName {
            name: entry.name.clone(),
        });
    }
    let rel = format!("skills/{}", entry.name);
    let dest = registry.skills_dir().join(&entry.name);
    let dir = staging_root(registry).join(&entry.staging);
    if dir.join("new").join(&entry.name).exists() {
        // The swap did not happen: the previous folder goes back where it was.
        roll_back(registry, entry)?;
        tracing::warn!(
            "undid an interrupted {} of `{}`: {rel}/ is as it was",
            entry.op,
            entry.name
        );
        return Ok(());
    }
    let repo = Repo::open(registry.root())?;
    // A writer killed inside libgit2 leaves its lock file: made after the journal, with no git
    // process running here, it is that writer's.
    let journal_made = fs_err::metadata(journal_path(registry))?.modified()?;
    for path in repo.clear_locks_made_since(journal_made)? {
        tracing::warn!(
            "removed git's lock file {}, left by an interrupted {} (no git process is running here)",
            path.display(),
            entry.op
        );
    }
    let in_head = head_digest(&repo, &rel)?;
    let on_disk = fsutil::content_digest(&dest)?;
    let paths = entry.paths();
    if !entry.derived_done
        && on_disk.as_deref() == Some(entry.digest.as_str())
        && in_head.as_deref() != Some(entry.digest.as_str())
    {
        // Swapped in, but the derived files do not describe it yet: undone, so that no commit
        // holds the one without the other.
        roll_back(registry, entry)?;
        tracing::warn!(
            "undid an interrupted {} of `{}` (killed before {} was regenerated): {rel}/ is as it was",
            entry.op,
            entry.name,
            entry.derived.join(", ")
        );
        return Ok(());
    }
    if on_disk.as_deref() != Some(entry.digest.as_str()) {
        tracing::warn!(
            "{}/ changed after an interrupted {} of `{}`; it is left as it is (see `git status {rel}`)",
            dest.display(),
            entry.op,
            entry.name
        );
    } else if in_head.as_deref() == Some(entry.digest.as_str()) {
        // Committed; the index may lag behind.
        repo.sync_index_paths(&paths)?;
        tracing::warn!(
            "finished an interrupted {} of `{}`: it was committed ({})",
            entry.op,
            entry.name,
            entry.message
        );
    } else {
        let commit = repo.commit_paths(&paths, &entry.message)?;
        repo.sync_index_paths(&paths)
            .map_err(|source| GitError::IndexNotUpdated {
                commit: commit.clone(),
                message: entry.message.clone(),
                rel: rel.clone(),
                source: Box::new(source),
            })?;
        tracing::warn!(
            "finished an interrupted {} of `{}`: committed {commit} ({})",
            entry.op,
            entry.name,
            entry.message
        );
    }
    fsutil::remove_durable(&journal_path(registry))?;
    remove_tree(&dir)?;
    Ok(())
}

/// [`fsutil::content_digest`] of the files HEAD holds under `rel` (none without a HEAD; the
/// digest of no files when HEAD has no such folder).
fn head_digest(repo: &Repo, rel: &str) -> Result<Option<String>, GitError> {
    let Some(head) = repo.head_commit() else {
        return Ok(None);
    };
    let files = repo.files_at(&head, rel)?;
    Ok(Some(fsutil::digest_of(files.iter().map(|f| {
        (f.path.as_str(), f.executable, f.contents.as_slice())
    }))))
}

/// Staging folders that older versions of skillet made inside `skills/` (`.old-XXXXXX`,
/// `.install-XXXXXX`, `.<skill>-XXXXXX`): never a skill (names cannot start with a dot), and
/// a `git add -A` would sweep them in.
fn legacy_leftovers(registry: &Registry) -> Vec<PathBuf> {
    let Ok(entries) = fs_err::read_dir(registry.skills_dir()) else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .filter(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let Some((prefix, random)) = name.strip_prefix('.').and_then(|n| n.rsplit_once('-'))
            else {
                return false;
            };
            random.len() == 6
                && random.chars().all(|c| c.is_ascii_alphanumeric())
                && (matches!(prefix, "old" | "install") || super::is_skill_name(prefix))
        })
        .map(|e| e.path())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn legacy_leftovers_are_only_skillet_staging_folders() {
        let tmp = tempfile::tempdir().unwrap();
        crate::registry::init(tmp.path(), false).unwrap();
        let registry = Registry::open(tmp.path()).unwrap();
        let skills = registry.skills_dir();
        for dir in [
            ".old-a1B2c3",
            ".install-xYz789",
            ".attach-transcript-Q1w2E3",
            ".git-keep",
            ".old-toolong1",
            "real-skill",
            ".hidden",
        ] {
            fs_err::create_dir_all(skills.join(dir)).unwrap();
        }
        let mut found: Vec<String> = legacy_leftovers(&registry)
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        found.sort();
        assert_eq!(
            found,
            [
                ".attach-transcript-Q1w2E3",
                ".install-xYz789",
                ".old-a1B2c3"
            ]
        );
        recover(&registry).unwrap();
        assert!(legacy_leftovers(&registry).is_empty());
        assert!(skills.join(".git-keep").is_dir());
        assert!(skills.join("real-skill").is_dir());
    }

    /// Stages `skills/<name>` with an executable script and swaps it in.
    fn write_skill(registry: &Registry, repo: &Repo, name: &str, body: &str) -> String {
        let lock = WriteLock::acquire(registry).unwrap();
        let staging = Staging::new(registry, &lock, name).unwrap();
        let new = staging.new_dir();
        fs_err::create_dir_all(new.join("scripts")).unwrap();
        fs_err::write(new.join("SKILL.md"), body).unwrap();
        fs_err::write(new.join("scripts/run.sh"), "#!/bin/sh\n").unwrap();
        fsutil::set_executable(&new.join("scripts/run.sh"), true).unwrap();
        swap_and_commit(
            registry,
            repo,
            &lock,
            staging,
            "install",
            name,
            "msg",
            &Companions::default(),
        )
        .unwrap()
    }

    #[test]
    fn the_same_files_again_make_no_commit() {
        let tmp = tempfile::tempdir().unwrap();
        crate::registry::init(tmp.path(), false).unwrap();
        let registry = Registry::open(tmp.path()).unwrap();
        let repo = Repo::open(registry.root()).unwrap();
        let first = write_skill(&registry, &repo, "a", "one");
        assert_eq!(repo.head().as_deref(), Some(first.as_str()));
        assert!(!repo.has_local_changes("skills/a").unwrap());
        let script = registry.skills_dir().join("a/scripts/run.sh");
        assert!(fsutil::is_executable(&fs_err::metadata(&script).unwrap()));
        // The same files: HEAD is returned and nothing moves.
        assert_eq!(write_skill(&registry, &repo, "a", "one"), first);
        assert_eq!(repo.head().as_deref(), Some(first.as_str()));
        assert!(
            fs_err::read_dir(staging_root(&registry))
                .unwrap()
                .next()
                .is_none()
        );
        // Different files: a new commit.
        let second = write_skill(&registry, &repo, "a", "two");
        assert_ne!(second, first);
        // The folder on disk lost the bit: it differs from the staged one, so it is written.
        fsutil::set_executable(&script, false).unwrap();
        assert_ne!(write_skill(&registry, &repo, "a", "two"), second);
        assert!(!repo.has_local_changes("skills/a").unwrap());
    }

    #[test]
    fn a_journal_that_is_not_json_is_an_error_with_a_hint() {
        let tmp = tempfile::tempdir().unwrap();
        crate::registry::init(tmp.path(), false).unwrap();
        let registry = Registry::open(tmp.path()).unwrap();
        fsutil::write_durable(&journal_path(&registry), b"{").unwrap();
        let err = recover(&registry).unwrap_err();
        assert!(
            err.to_string().contains("not a journal skillet wrote"),
            "{err}"
        );
        let hints = crate::error::Diagnose::hints(&err);
        assert!(
            hints[0].starts_with("check `git status skills/`"),
            "{hints:?}"
        );
    }
}
