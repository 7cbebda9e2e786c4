//! The skills keeper: a long-lived thread (`skillet watch`, or inside `skillet serve`) that
//! follows `skills/` through file-system notifications ([`super::watch`]) and tells
//! short-lived processes (`skillet search`) which skill folders changed, the way git's
//! fsmonitor daemon does. With one running, a hand edit made in place (no rename, no git)
//! shows in a search from any process at once, instead of at the next sweep of the skills
//! index ([`super::index::SWEEP_EVERY`]).
//!
//! Two files in the registry's cache folder:
//! - `skills.keeper`: held with `flock` by the keeper while it lives, and holding its pid:
//!   one keeper per registry;
//! - `skills.touched`: the keeper's *log*: a header line `{"generation":..,"pid":..}`, then
//!   one JSON string per line, the name of a skill folder that changed (appended, one write
//!   per batch of notifications). Each log is a *generation*: a fresh id, written to a new
//!   file swapped in by a rename. The keeper holds an open-file-description lock
//!   (`F_OFD_SETLK`) on the log it appends to, taken before the log is swapped in, so a
//!   reader that finds the log locked (`F_OFD_GETLK`: no lock is taken, a few microseconds)
//!   knows its keeper lives and was watching every folder before the log appeared. A stale
//!   log (its keeper died: the kernel drops the lock) is never trusted.
//!
//! The keeper starts a new generation when it starts, when it lost track (the kernel's queue
//! of notifications overflowed, `skills/` was replaced, the log could not be written: it
//! first unlocks the log, so readers stop trusting it at once, then watches anew) and when
//! the log grew past [`ROTATE_AT`]. A reader ([`super::index`]) records the generation and
//! the offset it read up to; it reads only what was appended since, up to the last complete
//! line (a line being appended is read at the next query), and a generation other than the
//! one it recorded means "check every folder once". When the keeper cannot watch (no watch
//! left under `fs.inotify.max_user_watches`) it ends, and readers keep to their sweeps.
//!
//! A change reaches the log within the keeper's wake-up (well under a millisecond when the
//! machine is not loaded): a search made in that instant does not see it yet; the next one
//! does.

use std::fs::File;
use std::io::Write as _;
use std::os::unix::fs::FileExt as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread::JoinHandle;

use nix::errno::Errno;
use nix::fcntl::{FcntlArg, fcntl};
use serde::{Deserialize, Serialize};
use tokio::io::Interest;
use tokio::io::unix::AsyncFd;
use tokio_util::sync::CancellationToken;

use super::watch::{Seen, Watcher};
use crate::error::Diagnose;
use crate::registry::Registry;

/// The keeper's log, in the registry's cache folder.
pub(crate) const LOG: &str = "skills.touched";
/// The keeper's lock and pid, in the registry's cache folder.
pub(crate) const LOCK: &str = "skills.keeper";
/// A log past this size is replaced by a new generation (readers then check every folder
/// once).
const ROTATE_AT: u64 = 1 << 20;
/// The most a reader reads of a log at once (a log is replaced past [`ROTATE_AT`]; more
/// means it is not one of ours).
const READ_AT_MOST: u64 = 16 << 20;

#[derive(Debug, thiserror::Error)]
pub enum KeeperError {
    #[error("a keeper already follows {skills}{}", pid.map(|p| format!(" (pid {p})")).unwrap_or_default())]
    Running { skills: PathBuf, pid: Option<u32> },
    #[error("cannot watch {skills}: {reason}")]
    Watch { skills: PathBuf, reason: Errno },
    #[error("cannot write {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

impl Diagnose for KeeperError {
    fn hints(&self) -> Vec<String> {
        match self {
            Self::Running { pid, .. } => vec![
                "one is enough: searches from every process already see hand edits while it runs"
                    .into(),
                format!(
                    "to start another, stop that one first (Ctrl-C where it runs, or kill {})",
                    pid.map_or("its process".to_owned(), |p| p.to_string())
                ),
            ],
            Self::Watch {
                reason: Errno::ENOSPC,
                ..
            } => vec![
                "raise the limit: sudo sysctl fs.inotify.max_user_watches=524288".into(),
                "without a keeper, searches see a hand edit made in place within 5 s".into(),
            ],
            Self::Watch { .. } => vec!["check that the registry's skills/ folder exists".into()],
            Self::Io { .. } => Vec::new(),
        }
    }
}

fn io_error(path: &Path) -> impl FnOnce(std::io::Error) -> KeeperError + '_ {
    move |source| KeeperError::Io {
        path: path.to_owned(),
        source,
    }
}

/// The first line of a log.
#[derive(Debug, Serialize, Deserialize)]
struct Header {
    generation: String,
    pid: u32,
}

/// How far a reader read a keeper's log: its generation and the offset just past the last
/// complete line read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Kept {
    pub(crate) generation: String,
    pub(crate) offset: u64,
}

/// `F_OFD_SETLK` of the whole file (`kind`: `F_RDLCK`, `F_WRLCK` or `F_UNLCK`).
fn ofd_lock(file: &File, kind: libc::c_int) -> Result<(), Errno> {
    let lock = libc::flock {
        l_type: kind as libc::c_short,
        l_whence: libc::SEEK_SET as libc::c_short,
        l_start: 0,
        l_len: 0,
        l_pid: 0,
    };
    fcntl(file, FcntlArg::F_OFD_SETLK(&lock)).map(drop)
}

/// Whether another open file description holds a write lock on `file` (asks; takes none).
fn is_locked(file: &File) -> bool {
    let mut lock = libc::flock {
        l_type: libc::F_RDLCK as libc::c_short,
        l_whence: libc::SEEK_SET as libc::c_short,
        l_start: 0,
        l_len: 0,
        l_pid: 0,
    };
    fcntl(file, FcntlArg::F_OFD_GETLK(&mut lock)).is_ok()
        && lock.l_type != libc::F_UNLCK as libc::c_short
}

/// The length of the complete lines at the start of `bytes`.
fn complete_len(bytes: &[u8]) -> usize {
    bytes.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1)
}

/// The log of a live keeper, open for reading.
#[derive(Debug)]
pub(crate) struct Log {
    file: File,
    generation: String,
    /// Where the names start (just past the header).
    body: u64,
    size: u64,
}

impl Log {
    /// The log of the registry's keeper, when one lives (`None` otherwise: no log, a log whose
    /// keeper is gone, or one that is not a log). Costs an open, a lock query and a read of
    /// the header.
    pub(crate) fn open(registry: &Registry) -> Option<Self> {
        Self::open_at(&registry.cache_dir().join(LOG))
    }

    fn open_at(path: &Path) -> Option<Self> {
        let file = File::open(path).ok()?;
        if !is_locked(&file) {
            return None;
        }
        let size = file.metadata().ok()?.len();
        let mut head = vec![0; usize::try_from(size.min(512)).ok()?];
        file.read_exact_at(&mut head, 0).ok()?;
        let end = head.iter().position(|b| *b == b'\n')?;
        let header: Header = serde_json::from_slice(&head[..end]).ok()?;
        Some(Self {
            file,
            generation: header.generation,
            body: end as u64 + 1,
            size,
        })
    }

    /// The bytes from `from` to the end as it was at open.
    fn tail(&self, from: u64) -> Option<Vec<u8>> {
        let len = self.size.checked_sub(from)?;
        if len > READ_AT_MOST {
            return None;
        }
        let mut bytes = vec![0; usize::try_from(len).ok()?];
        self.file.read_exact_at(&mut bytes, from).ok()?;
        Some(bytes)
    }

    /// Where a reader that is about to check every folder starts: past the last complete
    /// line (what was logged before the check, the check sees).
    pub(crate) fn start(&self) -> Option<Kept> {
        let tail = self.tail(self.body)?;
        Some(Kept {
            generation: self.generation.clone(),
            offset: self.body + complete_len(&tail) as u64,
        })
    }

    /// The skill folders logged since `kept` (each once), and how far that read; `None` when
    /// `kept` is of another generation or does not fit this log, or a line is garbled (the
    /// reader then checks every folder). A line still being appended is left for later.
    pub(crate) fn since(&self, kept: &Kept) -> Option<(Vec<String>, Kept)> {
        if kept.generation != self.generation || kept.offset < self.body {
            return None;
        }
        let bytes = self.tail(kept.offset)?;
        let complete = complete_len(&bytes);
        let mut names: Vec<String> = Vec::new();
        for line in bytes[..complete].split(|b| *b == b'\n') {
            if line.is_empty() {
                continue;
            }
            let name: String = serde_json::from_slice(line).ok()?;
            if !names.contains(&name) {
                names.push(name);
            }
        }
        Some((
            names,
            Kept {
                generation: self.generation.clone(),
                offset: kept.offset + complete as u64,
            },
        ))
    }
}

/// A fresh generation id: unique across processes and time.
fn new_generation() -> String {
    static COUNT: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!(
        "{:x}-{nanos:x}-{}",
        std::process::id(),
        COUNT.fetch_add(1, Ordering::Relaxed)
    )
}

/// The log the keeper appends to, locked while it is open.
#[derive(Debug)]
struct Writer {
    file: File,
    path: PathBuf,
    generation: String,
    size: u64,
}

impl Writer {
    /// Writes a new log (a new generation) and swaps it in, locked before anyone can see it.
    fn create(cache_dir: &Path) -> std::io::Result<Self> {
        let generation = new_generation();
        let path = cache_dir.join(LOG);
        let staged = cache_dir.join(format!("{LOG}.{generation}.tmp"));
        let made = (|| {
            let mut file = std::fs::OpenOptions::new()
                .create_new(true)
                .read(true)
                .append(true)
                .open(&staged)?;
            ofd_lock(&file, libc::F_WRLCK).map_err(std::io::Error::from)?;
            let mut header = serde_json::to_string(&Header {
                generation: generation.clone(),
                pid: std::process::id(),
            })
            .map_err(std::io::Error::other)?;
            header.push('\n');
            file.write_all(header.as_bytes())?;
            std::fs::rename(&staged, &path)?;
            Ok(Self {
                file,
                path: path.clone(),
                generation: generation.clone(),
                size: header.len() as u64,
            })
        })();
        if made.is_err() {
            let _ = std::fs::remove_file(&staged);
        }
        made
    }

    /// Appends `names`, one JSON string a line, in one write.
    fn append(&mut self, names: &[String]) -> std::io::Result<()> {
        let mut text = String::new();
        for name in names {
            text.push_str(&serde_json::to_string(name).map_err(std::io::Error::other)?);
            text.push('\n');
        }
        self.file.write_all(text.as_bytes())?;
        self.size += text.len() as u64;
        Ok(())
    }
}

/// Watches every folder, then publishes a new log: a reader that finds the log can trust
/// that every change since it appeared is in it.
fn start_session(skills_dir: &Path, cache_dir: &Path) -> Result<(Watcher, Writer), KeeperError> {
    let watcher = Watcher::try_start(skills_dir).map_err(|reason| KeeperError::Watch {
        skills: skills_dir.to_owned(),
        reason,
    })?;
    let log = Writer::create(cache_dir).map_err(io_error(&cache_dir.join(LOG)))?;
    Ok((watcher, log))
}

/// A running keeper (see the module docs). Dropping it stops it.
#[derive(Debug)]
pub struct Keeper {
    cancel: CancellationToken,
    ended: CancellationToken,
    thread: Option<JoinHandle<Result<(), KeeperError>>>,
    generation: String,
    watches: usize,
}

/// Takes the one-keeper lock of the registry (`skills.keeper`) and writes our pid in it.
fn take_lock(cache_dir: &Path) -> Result<File, KeeperError> {
    let path = cache_dir.join(LOCK);
    fs_err::create_dir_all(cache_dir).map_err(io_error(cache_dir))?;
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .read(true)
        .write(true)
        .open(&path)
        .map_err(io_error(&path))?;
    match file.try_lock() {
        Ok(()) => {}
        Err(std::fs::TryLockError::WouldBlock) => {
            let pid = std::fs::read_to_string(&path)
                .ok()
                .and_then(|text| text.trim().parse().ok());
            return Err(KeeperError::Running {
                skills: cache_dir.parent().unwrap_or(cache_dir).join("skills"),
                pid,
            });
        }
        Err(std::fs::TryLockError::Error(e)) => return Err(io_error(&path)(e)),
    }
    file.set_len(0)
        .and_then(|()| file.write_all_at(format!("{}\n", std::process::id()).as_bytes(), 0))
        .map_err(io_error(&path))?;
    Ok(file)
}

impl Keeper {
    /// Starts keeping the registry's `skills/`: returns once every folder is watched and the
    /// first log is published (from then on, every change shows in searches at once). Fails
    /// when another keeper holds the registry, or `skills/` cannot be watched.
    pub fn start(registry: &Registry) -> Result<Self, KeeperError> {
        let cache_dir = registry.cache_dir();
        let skills_dir = registry.skills_dir();
        let lock = take_lock(&cache_dir)?;
        // Logs a keeper staged and never swapped in (it died meanwhile): ours to clear now.
        if let Ok(entries) = std::fs::read_dir(&cache_dir) {
            for entry in entries.flatten() {
                let name = entry.file_name();
                let name = name.to_string_lossy();
                if name.starts_with(&format!("{LOG}.")) && name.ends_with(".tmp") {
                    let _ = std::fs::remove_file(entry.path());
                }
            }
        }
        let (watcher, log) = start_session(&skills_dir, &cache_dir)?;
        let generation = log.generation.clone();
        let watches = watcher.watches();
        let cancel = CancellationToken::new();
        let ended = CancellationToken::new();
        let thread = std::thread::Builder::new()
            .name("skillet-keeper".into())
            .spawn({
                let cancel = cancel.clone();
                let ended = ended.clone();
                move || {
                    let _ended = ended.drop_guard();
                    let kept = keep(watcher, log, &skills_dir, &cache_dir, &cancel);
                    drop(lock);
                    kept
                }
            })
            .map_err(io_error(&registry.cache_dir()))?;
        tracing::debug!(watches, %generation, "keeping skills/");
        Ok(Self {
            cancel,
            ended,
            thread: Some(thread),
            generation,
            watches,
        })
    }

    /// The generation of the log when the keeper started.
    pub fn generation(&self) -> &str {
        &self.generation
    }

    /// The watches it held when it started (`skills/` and every folder under it).
    pub fn watches(&self) -> usize {
        self.watches
    }

    /// Waits until the keeper ends on its own (it could not watch `skills/` again after it
    /// lost track); [`Keeper::stop`] then says why.
    pub async fn ended(&self) {
        self.ended.cancelled().await;
    }

    /// Stops the keeper (its log is removed, its lock released) and says how it ended.
    pub fn stop(mut self) -> Result<(), KeeperError> {
        self.cancel.cancel();
        match self.thread.take().map(JoinHandle::join) {
            Some(Ok(result)) => result,
            Some(Err(_)) => Err(KeeperError::Io {
                path: PathBuf::from(LOG),
                source: std::io::Error::other("the keeper thread panicked"),
            }),
            None => Ok(()),
        }
    }
}

impl Drop for Keeper {
    fn drop(&mut self) {
        self.cancel.cancel();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// The keeper's thread: waits for notifications (no polling loop), logs the folders they
/// name, starts over when it lost track; until `cancel`.
fn keep(
    watcher: Watcher,
    log: Writer,
    skills_dir: &Path,
    cache_dir: &Path,
    cancel: &CancellationToken,
) -> Result<(), KeeperError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()
        .map_err(io_error(cache_dir))?;
    let mut session = Some((watcher, log));
    let kept = runtime.block_on(async {
        loop {
            let Some((watcher, mut log)) = session.take() else {
                session = Some(start_session(skills_dir, cache_dir)?);
                continue;
            };
            // Sound: the `AsyncFd` owns the watcher, whose descriptor stays open and the same
            // for as long as it lives (the safe constructors are deprecated only because they
            // cannot check that in general; `register` needs `unsafe`, denied in this crate).
            #[allow(deprecated)]
            let mut fd = AsyncFd::with_interest(watcher, Interest::READABLE)
                .map_err(io_error(skills_dir))?;
            loop {
                let mut ready = tokio::select! {
                    () = cancel.cancelled() => return Ok(log),
                    ready = fd.readable_mut() => ready.map_err(io_error(skills_dir))?,
                };
                let names = match ready.get_inner_mut().changes(skills_dir) {
                    Seen::Names(names) => names,
                    Seen::Lost => break,
                };
                // Read up to "nothing more": wait for the next notification.
                ready.clear_ready();
                if names.is_empty() {
                    continue;
                }
                if let Err(e) = log.append(&names) {
                    tracing::warn!("cannot write {}: {e}", log.path.display());
                    break;
                }
                if log.size > ROTATE_AT {
                    log = Writer::create(cache_dir).map_err(io_error(cache_dir))?;
                    tracing::debug!(generation = %log.generation, "new skills keeper log");
                }
            }
            // Lost track: unlock the log first (readers stop trusting it), then watch anew.
            tracing::info!("the skills keeper lost track of skills/; watching it anew");
            drop(log);
            drop(fd);
        }
    });
    let log = kept?;
    // Stopped: the log goes while the keeper lock is held (no other keeper's log is there).
    let _ = std::fs::remove_file(&log.path);
    Ok(())
}

#[cfg(test)]
pub(crate) mod tests {
    use std::time::{Duration, Instant};

    use super::*;

    /// Polls `ready` until it holds, for at most 10 s (a condition, not a guess at a delay).
    #[track_caller]
    pub(crate) fn wait_until(what: &str, mut ready: impl FnMut() -> bool) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while !ready() {
            assert!(Instant::now() < deadline, "timed out waiting until {what}");
            std::thread::sleep(Duration::from_millis(2));
        }
    }

    fn registry(tmp: &Path) -> Registry {
        crate::registry::init(tmp, false).unwrap();
        fs_err::create_dir_all(tmp.join("skills/a/scripts")).unwrap();
        fs_err::create_dir_all(tmp.join("skills/b")).unwrap();
        Registry::open(tmp).unwrap()
    }

    #[test]
    fn a_reader_reads_what_was_appended_since_complete_lines_only() {
        let tmp = tempfile::tempdir().unwrap();
        let mut writer = Writer::create(tmp.path()).unwrap();
        let path = tmp.path().join(LOG);
        let log = Log::open_at(&path).expect("locked by its writer: kept");
        let start = log.start().unwrap();
        assert_eq!(start.generation, writer.generation);
        assert_eq!(log.since(&start).unwrap().0, Vec::<String>::new());

        writer.append(&["a".into(), "b".into()]).unwrap();
        writer.append(&["a".into(), "line\nbreak".into()]).unwrap();
        // A line being appended (not yet whole) waits for the next read.
        writer.file.write_all(b"\"par").unwrap();
        let log = Log::open_at(&path).unwrap();
        let (names, at) = log.since(&start).unwrap();
        assert_eq!(names, ["a", "b", "line\nbreak"]);
        assert_eq!(
            log.start().unwrap(),
            at,
            "a reader starting now starts there too"
        );
        writer.file.write_all(b"tial\"\n").unwrap();
        let log = Log::open_at(&path).unwrap();
        let (names, later) = log.since(&at).unwrap();
        assert_eq!(names, ["partial"]);
        assert_eq!(log.since(&later).unwrap().0, Vec::<String>::new());

        // Another generation, an offset that does not fit, a garbled line: not explained.
        let other = Kept {
            generation: "other".into(),
            offset: later.offset,
        };
        assert_eq!(log.since(&other), None);
        let beyond = Kept {
            offset: later.offset + 100,
            ..later.clone()
        };
        assert_eq!(log.since(&beyond), None);
        let inside_header = Kept {
            offset: 3,
            ..later.clone()
        };
        assert_eq!(log.since(&inside_header), None);
        writer.file.write_all(b"not json\n").unwrap();
        assert_eq!(Log::open_at(&path).unwrap().since(&later), None);

        // Replaced by a new generation (rotation): the old offset means nothing there.
        let rotated = Writer::create(tmp.path()).unwrap();
        drop(writer);
        let log = Log::open_at(&path).unwrap();
        assert_eq!(log.since(&later), None);
        assert_eq!(log.start().unwrap().generation, rotated.generation);

        // Its writer gone (a keeper that died): the log is not trusted, whatever it says.
        drop(rotated);
        assert!(path.is_file());
        assert!(Log::open_at(&path).is_none());
    }

    #[test]
    fn one_keeper_per_registry_and_its_log_lives_as_long_as_it() {
        let tmp = tempfile::tempdir().unwrap();
        let registry = registry(tmp.path());
        assert!(Log::open(&registry).is_none(), "no keeper yet");
        let keeper = Keeper::start(&registry).unwrap();
        assert_eq!(keeper.watches(), 4, "skills/, a, a/scripts, b");
        let log = Log::open(&registry).expect("kept");
        assert_eq!(log.generation, keeper.generation());

        let err = Keeper::start(&registry).unwrap_err();
        assert!(
            matches!(err, KeeperError::Running { pid: Some(pid), .. } if pid == std::process::id()),
            "{err}"
        );
        assert!(err.to_string().contains("already follows"), "{err}");

        // A change is logged; stopping removes the log and frees the registry.
        fs_err::write(registry.skills_dir().join("a/scripts/index.ts"), "x").unwrap();
        let start = log.start().unwrap();
        wait_until("the keeper logs the change", || {
            Log::open(&registry)
                .and_then(|log| log.since(&start))
                .is_some_and(|(names, _)| names == ["a"])
        });
        keeper.stop().unwrap();
        assert!(!registry.cache_dir().join(LOG).exists());
        assert!(Log::open(&registry).is_none());
        let again = Keeper::start(&registry).unwrap();
        assert_ne!(again.generation(), log.generation, "a new generation");
        drop(again);
        assert!(Log::open(&registry).is_none(), "dropping stops it too");
    }

    #[test]
    fn a_keeper_that_cannot_watch_does_not_start_and_one_that_overflows_starts_over() {
        use super::super::watch::test_limits::{self, Limits};
        let tmp = tempfile::tempdir().unwrap();
        let registry = registry(tmp.path());
        let skills = registry.skills_dir();

        // No watch left for every folder (fs.inotify.max_user_watches): no keeper.
        test_limits::set(
            &skills,
            Limits {
                watches: 2,
                events: usize::MAX,
            },
        );
        let err = Keeper::start(&registry).unwrap_err();
        assert!(
            matches!(
                err,
                KeeperError::Watch {
                    reason: Errno::ENOSPC,
                    ..
                }
            ),
            "{err}"
        );
        assert!(crate::error::Diagnose::hints(&err)[0].contains("max_user_watches"));
        assert!(
            Log::open(&registry).is_none(),
            "readers keep to their sweeps"
        );
        test_limits::clear(&skills);

        // The queue overflows (here: any event at all; a new folder is one event): the keeper
        // watches anew under a new generation, and goes on logging.
        let keeper = Keeper::start(&registry).unwrap();
        test_limits::set(
            &skills,
            Limits {
                watches: usize::MAX,
                events: 0,
            },
        );
        fs_err::create_dir(skills.join("c")).unwrap();
        wait_until("a new generation", || {
            Log::open(&registry).is_some_and(|log| log.generation != keeper.generation())
        });
        test_limits::clear(&skills);
        let log = Log::open(&registry).unwrap();
        let start = log.start().unwrap();
        fs_err::write(skills.join("a/SKILL.md"), "y").unwrap();
        wait_until("the new generation logs a change", || {
            Log::open(&registry)
                .and_then(|log| log.since(&start))
                .is_some_and(|(names, _)| names.contains(&"a".to_owned()))
        });
        keeper.stop().unwrap();

        // `skills/` gone for good: the keeper ends on its own, and says why.
        let keeper = Keeper::start(&registry).unwrap();
        fs_err::remove_dir_all(&skills).unwrap();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        runtime.block_on(keeper.ended());
        assert!(matches!(
            keeper.stop().unwrap_err(),
            KeeperError::Watch { .. }
        ));
        assert!(Log::open(&registry).is_none());
    }
}
