//! The skills search index (`.skillet/index/skills`) kept in line with `skills/` without
//! walking the tree per query.
//!
//! Two files beside the index say what it holds:
//! - `skills.state`: the [`Outline`] of the registry when the index was last brought in line (a
//!   few `stat`s: `skills/` itself and git's index `.git/index`) and when every folder was
//!   last checked (a *sweep*);
//! - `skills.folders`: one [`Folder`] per skill folder: its stamp (the `stat` data of every
//!   entry in it) and the entries it found (see [`super::stamps`]).
//!
//! A query costs two `stat`s and reading `skills.state`. When the outline changed, and the
//! change log of skillet's own writes ([`crate::registry::changes`]: save, install, update)
//! accounts for the whole change, only the skills it names are read again. Otherwise it sweeps
//! (checks every skill folder: a `stat` of the folder and of each entry it had, a listing only
//! where the folder itself changed; reloads only those whose stamp changed, drops the gone
//! ones) when:
//! - the outline changed. A `git pull`, `checkout`, `reset` or `merge` that touches the work
//!   tree rewrites `.git/index`. A folder added, removed, renamed or swapped in by hand changes
//!   `skills/`: when that is all that changed, a `stat` of each folder alone (not of what is
//!   in it) finds which, and only those are read again (`check_top`);
//! - the last sweep is older than [`SWEEP_EVERY`]: this alone catches a hand edit inside an
//!   existing folder made in place (no rename, no git): such an edit shows in search at most
//!   [`SWEEP_EVERY`] after the previous sweep. So does a change hidden by a timestamp tick (a
//!   second write within the tick of a folder's or the outline's stamp, or a hand change made
//!   while a skillet write was under way): a folder changed within [`QUIET`] of its check has
//!   no stamp, and is read again at the next sweep;
//! - the outline itself changed within [`QUIET`] of the last sweep, or the index was rebuilt,
//!   or a file is missing or unreadable.
//!
//! While a keeper runs (`skillet watch`, or `skillet serve`: [`super::keeper`]), a query also
//! opens the keeper's log of the folders it saw change (an open, a lock query, a read of what
//! was appended: a few microseconds), and `skills.state` records the log's generation and
//! how far it was read. While the keeper that kept at the last sweep keeps, only the folders
//! its log named since are read again: a hand edit in place shows at the first query after
//! the keeper logged it (within its wake-up), no sweep is due every [`SWEEP_EVERY`], and the
//! quiet time does not matter (a change after a folder was read is logged after it). Changes
//! of the outline still go by the change log or a sweep (the keeper's log may lag a folder
//! added an instant ago). A keeper that started, died or started over (a new generation)
//! means one sweep, which records where the log then was.
//!
//! An index held open by a long-lived process (`skillet serve`) can also [`SkillIndex::watch`]
//! `skills/` ([`super::watch`], inotify): then every change shows at the next query, hand
//! edits in place included, and only the folders the notifications name are read again; the
//! outline, the change log and the quiet time are not needed, and the sweep every
//! [`SWEEP_EVERY`] stays only as a backstop. When the kernel's queue of notifications
//! overflows, the index watches anew and sweeps; where notifications cannot be had (no watch
//! left under `fs.inotify.max_user_watches`), the rules above apply.
//!
//! The index is written (committed) before the stamps, so the stamps never claim more than the
//! index holds; they are caches written without fsync, and anything missing or garbled means
//! "check everything".
//!
//! [`QUIET`]: super::stamps::QUIET

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::keeper::{Kept, Log};
use super::stamps::{Folder, is_recent, unix_now};
use super::watch::{Seen, Watcher};
use super::{SkillError, load_dir_within, search_doc};
use crate::registry::Registry;
use crate::registry::changes::{self, Outline};
use crate::search::{Hit, SearchDoc, SearchIndex};

/// The longest a hand edit made in place inside an existing skill folder (no rename, no git)
/// can go unseen by search when no keeper runs ([`super::keeper`]).
pub const SWEEP_EVERY: Duration = Duration::from_secs(5);
const STATE_VERSION: u32 = 3;

#[derive(Debug, Clone, Serialize, Deserialize)]
struct State {
    version: u32,
    outline: Outline,
    /// The outline was taken by a sweep within [`QUIET`] of a change to it.
    recent: bool,
    /// Unix seconds of the last sweep.
    swept_at: i64,
    /// The keeper's log ([`super::keeper`]) as far as it was read, when a keeper was keeping
    /// at the last sweep: while the same keeper keeps, the log names every change since.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    kept: Option<Kept>,
}

fn outline_is_recent(outline: &Outline, now: i64) -> bool {
    [outline.skills, outline.git_index]
        .iter()
        .flatten()
        .any(|k| is_recent(k, now))
}

/// The skills index, open, with what it knows of the folders it holds.
#[derive(Debug)]
pub struct SkillIndex {
    dir: PathBuf,
    index: SearchIndex,
    state: Option<State>,
    /// Folder stamps of what the index holds; `None` until read (at the first sweep).
    folders: Option<HashMap<String, Folder>>,
    watch: Watch,
}

/// Whether the index follows `skills/` through notifications ([`super::watch`]).
#[derive(Debug)]
enum Watch {
    /// No: the outline, the change log and the sweeps (a process that queries once).
    Off,
    /// Yes, from the next query on.
    Wanted,
    On(Watcher),
    /// Could not: the sweeps again.
    Failed,
}

impl SkillIndex {
    /// Opens the registry's skills index (cheaply: the stored documents are not read).
    pub fn open(registry: &Registry) -> Result<Self, SkillError> {
        let dir = registry.cache_dir().join("index").join("skills");
        let index = SearchIndex::open_lazy(&dir)?;
        Ok(Self::with_index(dir, index))
    }

    fn with_index(dir: PathBuf, index: SearchIndex) -> Self {
        let state = if index.was_rebuilt() {
            None
        } else {
            fs_err::read(dir.with_extension("state"))
                .ok()
                .and_then(|bytes| serde_json::from_slice::<State>(&bytes).ok())
                .filter(|s| s.version == STATE_VERSION)
        };
        Self {
            dir,
            index,
            state,
            folders: None,
            watch: Watch::Off,
        }
    }

    /// Follows `skills/` through file-system notifications from the next query on (for an
    /// index held open, as `skillet serve` holds it): a change made by hand, in place or not,
    /// shows at the next query, and only the folders it touched are read again. The sweep
    /// every [`SWEEP_EVERY`] stays as a backstop. Where notifications cannot be had, the index
    /// keeps to the outline, the change log and the sweeps.
    pub fn watch(&mut self) {
        if matches!(self.watch, Watch::Off) {
            self.watch = Watch::Wanted;
        }
    }

    /// True while notifications are followed.
    pub fn is_watching(&self) -> bool {
        matches!(self.watch, Watch::On(_))
    }

    /// Brings the index in line with `skills/` when something may have changed (see the module
    /// docs), then queries it. A broken index is rebuilt.
    pub fn search(
        &mut self,
        registry: &Registry,
        query: &str,
        limit: usize,
    ) -> Result<Vec<Hit>, SkillError> {
        self.search_at(registry, query, limit, unix_now())
    }

    /// [`SkillIndex::search`] at `now` (unix seconds).
    fn search_at(
        &mut self,
        registry: &Registry,
        query: &str,
        limit: usize,
        now: i64,
    ) -> Result<Vec<Hit>, SkillError> {
        let attempt = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let phase = crate::timing::Phase::start("search.refresh");
            self.refresh(registry, now)?;
            drop(phase);
            let _phase = crate::timing::Phase::start("search.query");
            self.index.search(query, limit).map_err(SkillError::from)
        }));
        match attempt {
            Ok(Ok(hits)) => return Ok(hits),
            // Another process is writing the index: answer from it as it is; the state was not
            // written, so the next query checks again.
            Ok(Err(SkillError::Search(crate::search::SearchError::Index(
                tantivy::TantivyError::LockFailure(..),
            )))) => {
                tracing::debug!("skills index busy; searching it as it is");
                return Ok(self.index.search(query, limit)?);
            }
            Ok(Err(e)) => tracing::warn!("skills index unusable ({e}); rebuilding"),
            Err(_) => tracing::warn!("skills index panicked; rebuilding"),
        }
        // The thorough open reads every stored document and rebuilds what it cannot read.
        self.index = SearchIndex::open(&self.dir)?;
        if !self.index.was_rebuilt() {
            self.index = SearchIndex::rebuild(&self.dir)?;
        }
        self.state = None;
        self.folders = None;
        self.refresh(registry, now)?;
        Ok(self.index.search(query, limit)?)
    }

    fn refresh(&mut self, registry: &Registry, now: i64) -> Result<(), SkillError> {
        let seen = Outline::of(registry);
        let sweep_due =
            |state: &State| now.saturating_sub(state.swept_at) >= SWEEP_EVERY.as_secs() as i64;
        match &mut self.watch {
            Watch::Off | Watch::Failed => {}
            Watch::On(watcher) => match watcher.changes(&registry.skills_dir()) {
                // Every change to `skills/` since the last query is in the events: the outline
                // and the quiet time say nothing more.
                Seen::Names(names) => match &self.state {
                    Some(state) if !sweep_due(state) => {
                        if names.is_empty() && state.outline == seen {
                            return Ok(());
                        }
                        let kept = state.kept.clone();
                        return self.reload(registry, &names, seen, now, kept, false);
                    }
                    _ => return self.sweep(registry, seen, now),
                },
                Seen::Lost => return self.start_watching(registry, seen, now),
            },
            Watch::Wanted => return self.start_watching(registry, seen, now),
        }
        let Some(state) = &self.state else {
            return self.sweep(registry, seen, now);
        };
        let log = Log::open(registry);
        if let Some(kept) = &state.kept {
            // Kept since the last sweep: the keeper's log names every change since, unless
            // that keeper is gone or started over (then once more every folder is checked).
            let Some((names, kept)) = log.as_ref().and_then(|log| log.since(kept)) else {
                return self.sweep(registry, seen, now);
            };
            return self.follow(registry, names, kept, seen, now);
        }
        if log.is_some() {
            // A keeper started since: check every folder once, then follow its log.
            return self.sweep(registry, seen, now);
        }
        if state.recent || sweep_due(state) {
            return self.sweep(registry, seen, now);
        }
        if state.outline == seen {
            return Ok(());
        }
        let (written, reached) = changes::explain_until(registry, &state.outline, &seen);
        if reached == seen {
            return self.reload(registry, &written, seen, now, None, false);
        }
        if reached.git_index == seen.git_index {
            // Past skillet's own writes, `skills/` alone changed, by hand: a folder added,
            // removed, renamed or swapped in.
            return self.check_top(registry, written, None, seen, now);
        }
        self.sweep(registry, seen, now)
    }

    /// After `skills/` itself changed by hand (and nothing else: git's index did not), a
    /// `stat` of each folder alone finds the folders added, removed, renamed or swapped in
    /// (the cost of a sweep is a `stat` of every file in every folder). An edit inside a
    /// folder is left to the next sweep, as any hand edit in place is.
    /// `touched` are read again too (what the keeper's log, now read up to `kept`, named).
    fn check_top(
        &mut self,
        registry: &Registry,
        mut touched: Vec<String>,
        kept: Option<Kept>,
        seen: Outline,
        now: i64,
    ) -> Result<(), SkillError> {
        let Some(known) = self.known_folders() else {
            return self.sweep(registry, seen, now);
        };
        let names = super::folder_names(registry);
        let skills_dir = registry.skills_dir();
        touched.extend(
            crate::par::map(&names, |name| {
                let same = known
                    .get(name)
                    .is_some_and(|held| held.same_folder(&skills_dir.join(name), now));
                (!same).then(|| name.clone())
            })
            .into_iter()
            .flatten(),
        );
        // `names` is sorted: the gone ones are found by search.
        touched.extend(
            known
                .keys()
                .filter(|name| names.binary_search(name).is_err())
                .cloned(),
        );
        touched.sort();
        touched.dedup();
        self.folders = Some(known);
        // Two changes of `skills/` within one timestamp tick look like one: when it changed
        // within the quiet time, the next query sweeps.
        let recent = outline_is_recent(&seen, now);
        self.reload(registry, &touched, seen, now, kept, recent)
    }

    /// Reads again the skills the keeper's log named since the last query, now read up to
    /// `kept` (no sweep is due while the keeper keeps, and the quiet time does not matter:
    /// a change after a folder was read is logged after it). Changes of the outline are
    /// still explained by the change log or swept (the log may lag a folder added an
    /// instant ago).
    fn follow(
        &mut self,
        registry: &Registry,
        mut names: Vec<String>,
        kept: Kept,
        seen: Outline,
        now: i64,
    ) -> Result<(), SkillError> {
        let Some(state) = &self.state else {
            return self.sweep(registry, seen, now);
        };
        if state.outline != seen {
            let (written, reached) = changes::explain_until(registry, &state.outline, &seen);
            names.extend(written);
            if reached != seen {
                if reached.git_index == seen.git_index {
                    return self.check_top(registry, names, Some(kept), seen, now);
                }
                return self.sweep(registry, seen, now);
            }
        }
        if names.is_empty() && state.outline == seen {
            return Ok(());
        }
        names.sort();
        names.dedup();
        self.reload(registry, &names, seen, now, Some(kept), false)
    }

    /// Watches `skills/` (again, after the watcher lost track), then checks every folder: a
    /// change made before the watch is found by the sweep, one made after it by the events.
    fn start_watching(
        &mut self,
        registry: &Registry,
        seen: Outline,
        now: i64,
    ) -> Result<(), SkillError> {
        self.watch = match Watcher::start(&registry.skills_dir()) {
            Some(watcher) => Watch::On(watcher),
            None => Watch::Failed,
        };
        self.sweep(registry, seen, now)
    }

    /// The stamps of what the index holds: in memory, or read from `skills.folders` (`None`
    /// when it is missing or garbled, or the state is unknown).
    fn known_folders(&mut self) -> Option<HashMap<String, Folder>> {
        match self.folders.take() {
            Some(known) => Some(known),
            None if self.state.is_some() => fs_err::read(self.dir.with_extension("folders"))
                .ok()
                .and_then(|bytes| serde_json::from_slice(&bytes).ok()),
            None => None,
        }
    }

    /// Reads the skills `names` again (skillet wrote them and nothing else changed the
    /// outline, now `seen`; or notifications or the keeper's log, now read up to `kept`,
    /// named them; or their folders changed as seen from `skills/`): the rest of the index
    /// stays as it is. `recent`: the outline changed within the quiet time (the next query
    /// sweeps).
    fn reload(
        &mut self,
        registry: &Registry,
        names: &[String],
        seen: Outline,
        now: i64,
        kept: Option<Kept>,
        recent: bool,
    ) -> Result<(), SkillError> {
        let Some(mut known) = self.known_folders() else {
            return self.sweep(registry, seen, now);
        };
        let skills_dir = registry.skills_dir();
        // A folder whose stamp is the one the index read it at is left as it is (a
        // notification of a change that changed nothing, or a name that is no skill).
        let names: Vec<&String> = names.iter().filter(|name| !name.starts_with('.')).collect();
        let (stamps, changed) = check_folders(&skills_dir, &names, Some(&known), now);
        let loaded = load_docs(registry, &changed);
        let mut upsert = Vec::new();
        let mut remove = Vec::new();
        for (name, doc) in changed.iter().zip(loaded) {
            match doc {
                Some(doc) => upsert.push(doc),
                // Only what the index may hold is removed from it.
                None if known.contains_key(name) => remove.push(name.clone()),
                None => {}
            }
        }
        for (name, stamp) in names.into_iter().zip(stamps) {
            if skills_dir.join(name).is_dir() {
                known.insert(name.clone(), stamp);
            } else {
                known.remove(name);
            }
        }
        if !upsert.is_empty() || !remove.is_empty() {
            self.index.apply(&upsert, &remove)?;
        }
        let swept_at = self.state.as_ref().map_or(0, |s| s.swept_at);
        // A watched index keeps this in memory: writing every folder's stamps per change would
        // cost more than the change (the sweeps still write them).
        let persist = !self.is_watching();
        self.save_state(
            known,
            State {
                version: STATE_VERSION,
                outline: seen,
                recent,
                swept_at,
                kept,
            },
            persist,
        );
        Ok(())
    }

    /// Keeps `folders` and `state` and, when `persist`, writes them beside the index (caches:
    /// written after the index, without waiting for the disk; whatever is in their way, even a
    /// folder, is replaced). Files left as they were only cost another process a check: they
    /// claim less than the index holds, never more.
    fn save_state(&mut self, folders: HashMap<String, Folder>, state: State, persist: bool) {
        if !persist {
            self.state = Some(state);
            self.folders = Some(folders);
            return;
        }
        let folders_file = self.dir.with_extension("folders");
        let state_file = self.dir.with_extension("state");
        for file in [&folders_file, &state_file] {
            if file.is_dir() {
                let _ = fs_err::remove_dir_all(file);
            }
        }
        let written = serde_json::to_vec(&folders)
            .map_err(std::io::Error::other)
            .and_then(|bytes| crate::fsutil::write_replacing(&folders_file, &bytes, false))
            .and_then(|()| serde_json::to_vec(&state).map_err(std::io::Error::other))
            .and_then(|bytes| crate::fsutil::write_replacing(&state_file, &bytes, false));
        if let Err(e) = written {
            tracing::debug!("the skills index state was not written: {e}");
        }
        self.state = Some(state);
        self.folders = Some(folders);
    }

    /// Stats every skill folder, reloads the changed ones and drops the gone ones.
    fn sweep(&mut self, registry: &Registry, outline: Outline, now: i64) -> Result<(), SkillError> {
        let swept_at = now;
        // Where the keeper's log is before any folder is checked: what it names after this
        // point is read at the next query; what it named before, the check sees.
        let kept = Log::open(registry).and_then(|log| log.start());
        let known = self.known_folders();
        let names = super::folder_names(registry);
        let skills_dir = registry.skills_dir();
        let (stamps, changed) = check_folders(&skills_dir, &names, known.as_ref(), now);
        let loaded = load_docs(registry, &changed);
        match &known {
            None => {
                let docs: Vec<SearchDoc> = loaded.into_iter().flatten().collect();
                self.index.sync(&docs)?;
            }
            Some(known) => {
                let current: std::collections::HashSet<&String> = names.iter().collect();
                // Invalid skills leave the index (and are read again when they change).
                let mut remove: Vec<String> = known
                    .keys()
                    .filter(|name| !current.contains(name))
                    .cloned()
                    .collect();
                let mut upsert = Vec::new();
                for (name, doc) in changed.iter().zip(loaded) {
                    match doc {
                        Some(doc) => upsert.push(doc),
                        None => remove.push(name.clone()),
                    }
                }
                if !upsert.is_empty() || !remove.is_empty() {
                    self.index.apply(&upsert, &remove)?;
                }
            }
        }
        // A folder without a stamp (changed within the quiet time) is read again at the next
        // sweep.
        let folders: HashMap<String, Folder> = names.into_iter().zip(stamps).collect();
        let recent = outline_is_recent(&outline, now);
        self.save_state(
            folders,
            State {
                version: STATE_VERSION,
                outline,
                recent,
                swept_at,
                kept,
            },
            true,
        );
        Ok(())
    }
}

/// The search documents of the skills `names` (`None` for one that is gone or invalid: it
/// is left out of search).
fn load_docs(registry: &Registry, names: &[String]) -> Vec<Option<SearchDoc>> {
    let skills_dir = registry.skills_dir();
    let root = registry.root();
    crate::par::map(names, |name| {
        let dir = skills_dir.join(name);
        if !dir.is_dir() {
            return None;
        }
        match load_dir_within(&dir, Some(root)) {
            Ok(skill) => Some(search_doc(&skill)),
            Err(e) => {
                tracing::warn!("skill `{name}` is left out of search: {e}");
                None
            }
        }
    })
}

/// Checks the skill folders `names` against the stamps `known` holds (a `stat` per entry they
/// cover; a folder not held is walked). Returns their stamps now, and the names to read again:
/// those whose stamp changed or cannot be taken, or all of them without `known` (the index is
/// then made to match them all).
fn check_folders<S: AsRef<str> + Sync>(
    skills_dir: &std::path::Path,
    names: &[S],
    known: Option<&HashMap<String, Folder>>,
    now: i64,
) -> (Vec<Folder>, Vec<String>) {
    let held = |name: &str| known.and_then(|known| known.get(name));
    let stamps: Vec<Folder> = crate::par::map(names, |name| {
        let dir = skills_dir.join(name.as_ref());
        match held(name.as_ref()) {
            Some(held) => held.check(&dir, now),
            None => Folder::walk(&dir, now),
        }
    });
    let changed = names
        .iter()
        .zip(&stamps)
        .filter(|(name, folder)| {
            known.is_none()
                || folder.stamp.is_none()
                || held(name.as_ref()).map(|held| held.stamp) != Some(folder.stamp)
        })
        .map(|(name, _)| name.as_ref().to_owned())
        .collect();
    (stamps, changed)
}

#[cfg(test)]
mod tests;
