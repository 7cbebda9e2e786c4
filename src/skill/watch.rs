//! File-system notifications of changes under `skills/` (inotify), for a skills index held
//! open by a long-lived process (`skillet serve`): with them, a hand edit shows at the next
//! query, with no sweep and no wait for [`super::index::SWEEP_EVERY`].
//!
//! One watch on `skills/` and one on every folder inside each skill folder (a registry of
//! 10,000 skills with a `scripts/` each takes 20,001). The watcher is read without blocking
//! at each query: the events since the last one name the skill folders that changed. When a
//! watch cannot be added (`fs.inotify.max_user_watches`, or a folder gone meanwhile) the
//! watcher is not used; when the kernel's queue overflowed the caller cannot know what changed
//! and starts over (a new watcher, then a full check).
//!
//! Two users: a skills index held open ([`super::index::SkillIndex::watch`]), and the keeper
//! ([`super::keeper`]), which tells short-lived processes what changed. Unit tests can limit
//! the watches and the events a watcher takes ([`test_limits`]) to reach those fallbacks
//! without changing the system's `fs.inotify` settings.

use std::collections::{HashMap, HashSet};
use std::ffi::OsStr;
use std::os::fd::{AsFd as _, RawFd};
use std::path::{Path, PathBuf};

use nix::errno::Errno;
use nix::sys::inotify::{AddWatchFlags, InitFlags, Inotify, WatchDescriptor};

/// What changed since the last look.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Seen {
    /// These skill folders (names under `skills/`, maybe gone or not skill folders at all).
    Names(Vec<String>),
    /// The watcher lost track (an overflow, a watch that could not be added): anything may
    /// have changed, and the watcher is no longer usable.
    Lost,
}

/// Watches `skills/` and every folder under it.
#[derive(Debug)]
pub(crate) struct Watcher {
    inotify: Inotify,
    skills: WatchDescriptor,
    /// Each watch on a skill's folder, or a folder inside one: the skill's name and the
    /// folder's path in it (as of when it was watched).
    folders: HashMap<WatchDescriptor, (String, PathBuf)>,
}

fn mask() -> AddWatchFlags {
    AddWatchFlags::IN_MODIFY
        | AddWatchFlags::IN_ATTRIB
        | AddWatchFlags::IN_CLOSE_WRITE
        | AddWatchFlags::IN_CREATE
        | AddWatchFlags::IN_DELETE
        | AddWatchFlags::IN_MOVED_FROM
        | AddWatchFlags::IN_MOVED_TO
        | AddWatchFlags::IN_DELETE_SELF
        | AddWatchFlags::IN_MOVE_SELF
        | AddWatchFlags::IN_ONLYDIR
}

impl Watcher {
    /// Watches `skills_dir` and every skill folder in it, or `None` (logged) when that cannot
    /// be done whole.
    pub(crate) fn start(skills_dir: &Path) -> Option<Self> {
        match Self::try_start(skills_dir) {
            Ok(watcher) => {
                tracing::debug!(watches = watcher.watches(), "watching skills/");
                Some(watcher)
            }
            Err(e) => {
                tracing::info!(
                    "not watching skills/ ({e}); hand edits show at the next sweep{}",
                    if e == Errno::ENOSPC {
                        " (raise fs.inotify.max_user_watches to watch them)"
                    } else {
                        ""
                    }
                );
                None
            }
        }
    }

    /// Watches `skills_dir` and every skill folder in it, or says why that cannot be done
    /// whole (`ENOSPC`: no watch left under `fs.inotify.max_user_watches`).
    pub(crate) fn try_start(skills_dir: &Path) -> Result<Self, Errno> {
        let inotify = Inotify::init(InitFlags::IN_NONBLOCK | InitFlags::IN_CLOEXEC)?;
        // `skills/` itself is watched first: a folder added while the others are being
        // watched shows as an event.
        let skills = inotify.add_watch(skills_dir, mask())?;
        let mut watcher = Self {
            inotify,
            skills,
            folders: HashMap::new(),
        };
        for entry in std::fs::read_dir(skills_dir).map_err(io_errno)?.flatten() {
            let name = entry.file_name();
            if let Some(name) = skill_name(&name)
                && entry.path().is_dir()
            {
                watcher.watch_tree(skills_dir, name, Path::new(""))?;
            }
        }
        Ok(watcher)
    }

    /// The watches held: `skills/` and every folder under it.
    pub(crate) fn watches(&self) -> usize {
        self.folders.len() + 1
    }

    /// Watches the folder `rel` of the skill `name` (its own folder when `rel` is empty) and
    /// every folder under it (not through links). A folder that is gone by now needs no
    /// watch: its parent's watch saw it go.
    fn watch_tree(&mut self, skills_dir: &Path, name: &str, rel: &Path) -> Result<(), Errno> {
        let dir = skills_dir.join(name).join(rel);
        #[cfg(test)]
        if self.watches() >= test_limits::get(skills_dir).watches {
            return Err(Errno::ENOSPC);
        }
        let wd = match self.inotify.add_watch(&dir, mask()) {
            Ok(wd) => wd,
            Err(Errno::ENOENT | Errno::ENOTDIR) => return Ok(()),
            Err(e) => return Err(e),
        };
        // The same folder watched again (moved, say) keeps its watch: it now belongs here.
        self.folders
            .insert(wd, (name.to_owned(), rel.to_path_buf()));
        let Ok(entries) = std::fs::read_dir(&dir) else {
            return Ok(());
        };
        for entry in entries.flatten() {
            if entry.file_type().is_ok_and(|t| t.is_dir()) {
                self.watch_tree(skills_dir, name, &rel.join(entry.file_name()))?;
            }
        }
        Ok(())
    }

    /// The skill folders changed since the last call (reads the queued events without
    /// waiting: an event is queued before the write that caused it returns).
    pub(crate) fn changes(&mut self, skills_dir: &Path) -> Seen {
        let mut names: HashSet<String> = HashSet::new();
        #[cfg(test)]
        let mut queued = 0;
        loop {
            let events = match self.inotify.read_events() {
                Ok(events) => events,
                Err(Errno::EAGAIN) => break,
                Err(Errno::EINTR) => continue,
                Err(e) => {
                    tracing::debug!("reading skills/ notifications failed: {e}");
                    return Seen::Lost;
                }
            };
            if events.is_empty() {
                break;
            }
            #[cfg(test)]
            {
                queued += events.len();
                if queued > test_limits::get(skills_dir).events {
                    tracing::debug!("skills/ notifications overflowed (test limit)");
                    return Seen::Lost;
                }
            }
            for event in events {
                if event.mask.contains(AddWatchFlags::IN_Q_OVERFLOW) {
                    tracing::debug!("skills/ notifications overflowed");
                    return Seen::Lost;
                }
                let made = event
                    .mask
                    .intersects(AddWatchFlags::IN_CREATE | AddWatchFlags::IN_MOVED_TO)
                    && event.mask.contains(AddWatchFlags::IN_ISDIR);
                if event.wd == self.skills {
                    if event
                        .mask
                        .intersects(AddWatchFlags::IN_DELETE_SELF | AddWatchFlags::IN_MOVE_SELF)
                    {
                        // `skills/` itself went away or was replaced.
                        return Seen::Lost;
                    }
                    let Some(name) = event.name.as_deref().and_then(skill_name) else {
                        continue;
                    };
                    if made && self.watch_tree(skills_dir, name, Path::new("")).is_err() {
                        return Seen::Lost;
                    }
                    names.insert(name.to_owned());
                    continue;
                }
                if event.mask.contains(AddWatchFlags::IN_IGNORED) {
                    // The folder is gone (its parent's watch said so) or no longer watched.
                    self.folders.remove(&event.wd);
                    continue;
                }
                let Some((name, rel)) = self.folders.get(&event.wd).cloned() else {
                    continue;
                };
                if made
                    && let Some(sub) = &event.name
                    && self.watch_tree(skills_dir, &name, &rel.join(sub)).is_err()
                {
                    return Seen::Lost;
                }
                names.insert(name);
            }
        }
        let mut names: Vec<String> = names.into_iter().collect();
        names.sort();
        Seen::Names(names)
    }
}

/// The notification queue's descriptor (non-blocking), to wait on until it is readable: the
/// same open descriptor for as long as the watcher lives.
impl std::os::fd::AsRawFd for Watcher {
    fn as_raw_fd(&self) -> RawFd {
        self.inotify.as_fd().as_raw_fd()
    }
}

/// The skill a `skills/` entry named `name` would be (hidden ones, a staging folder say, are
/// not skills).
fn skill_name(name: &OsStr) -> Option<&str> {
    name.to_str().filter(|n| !n.starts_with('.'))
}

fn io_errno(e: std::io::Error) -> Errno {
    e.raw_os_error().map_or(Errno::EIO, Errno::from_raw)
}

/// Test-only limits on what a watcher of one `skills/` takes, standing in for the system's
/// `fs.inotify.max_user_watches` (a watch past the limit fails with `ENOSPC`) and
/// `max_queued_events` (more events than the limit in one read count as an overflow). Per
/// `skills/` folder, so tests running at once do not meet each other's limits.
#[cfg(test)]
pub(crate) mod test_limits {
    use std::path::{Path, PathBuf};
    use std::sync::Mutex;

    #[derive(Debug, Clone, Copy)]
    pub(crate) struct Limits {
        pub(crate) watches: usize,
        pub(crate) events: usize,
    }

    const NONE: Limits = Limits {
        watches: usize::MAX,
        events: usize::MAX,
    };

    static LIMITS: Mutex<Vec<(PathBuf, Limits)>> = Mutex::new(Vec::new());

    /// Sets the limits for watchers of `skills_dir` (from their next watch or read on).
    pub(crate) fn set(skills_dir: &Path, limits: Limits) {
        let mut all = LIMITS
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        all.retain(|(dir, _)| dir != skills_dir);
        all.push((skills_dir.to_owned(), limits));
    }

    /// Lifts the limits for `skills_dir`.
    pub(crate) fn clear(skills_dir: &Path) {
        set(skills_dir, NONE);
    }

    pub(super) fn get(skills_dir: &Path) -> Limits {
        let all = LIMITS
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        all.iter()
            .find(|(dir, _)| dir == skills_dir)
            .map_or(NONE, |(_, limits)| *limits)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(list: &[&str]) -> Seen {
        Seen::Names(list.iter().map(|n| (*n).to_owned()).collect())
    }

    #[test]
    fn events_name_the_skill_folders_that_changed() {
        let tmp = tempfile::tempdir().unwrap();
        let skills = tmp.path().join("skills");
        fs_err::create_dir_all(skills.join("a/scripts")).unwrap();
        fs_err::create_dir_all(skills.join("b")).unwrap();
        let mut watcher = Watcher::start(&skills).unwrap();
        assert_eq!(watcher.changes(&skills), names(&[]));

        fs_err::write(skills.join("a/scripts/index.ts"), "x").unwrap();
        fs_err::write(skills.join("b/SKILL.md"), "y").unwrap();
        assert_eq!(watcher.changes(&skills), names(&["a", "b"]));
        assert_eq!(watcher.changes(&skills), names(&[]), "read once");

        // A new skill folder, and a folder made inside it afterwards, are watched.
        fs_err::create_dir_all(skills.join("c")).unwrap();
        assert_eq!(watcher.changes(&skills), names(&["c"]));
        fs_err::create_dir_all(skills.join("c/deep/deeper")).unwrap();
        assert_eq!(watcher.changes(&skills), names(&["c"]));
        fs_err::write(skills.join("c/deep/deeper/file"), "z").unwrap();
        assert_eq!(watcher.changes(&skills), names(&["c"]));

        // A rename names both; the moved folder's watch follows it to its new name.
        fs_err::rename(skills.join("c"), skills.join("d")).unwrap();
        assert_eq!(watcher.changes(&skills), names(&["c", "d"]));
        fs_err::write(skills.join("d/deep/deeper/file"), "w").unwrap();
        assert_eq!(watcher.changes(&skills), names(&["d"]));

        // Hidden entries (a staging folder) are not skills; a loose file still names itself.
        fs_err::create_dir_all(skills.join(".staging")).unwrap();
        fs_err::write(skills.join("notes.txt"), "").unwrap();
        assert_eq!(watcher.changes(&skills), names(&["notes.txt"]));

        // `skills/` itself replaced: the watcher lost track.
        fs_err::rename(&skills, tmp.path().join("old")).unwrap();
        fs_err::create_dir_all(&skills).unwrap();
        assert_eq!(watcher.changes(&skills), Seen::Lost);
    }
}
