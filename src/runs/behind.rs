//! Run records written after the answer (`serve`). Creating a file or a folder costs well
//! over 0.5 ms on some disks, and a record is a folder and three files: a served run would
//! spend most of its round trip on them. So under `serve` a run's id is claimed in memory
//! ([`claim_id`]) and its record queued ([`queue`]) for one writer thread; until the writer is
//! done, this process's readers ([`super::RunStore::ids`], [`super::RunStore::load`]) see the
//! queued record as if it were written, so `save_skill` or a resume right after the answer
//! find it.
//!
//! What this gives up: another process may not see a run for the few milliseconds its record
//! is queued, and a process killed in that window loses the record (no half-written one is
//! left behind: the record's `run.json` is still written last, and atomically).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, LazyLock, Mutex, MutexGuard};

use super::{RunRecord, RunStore};

/// How many records, and how many bytes of scripts and outputs, may wait for the writer. A
/// burst of runs faster than the disk takes their records (a few hundred a second where a
/// new file costs 0.75 ms) queues up to this; past it a run writes its own record, so memory
/// stays bounded.
const MAX_QUEUED: usize = 4096;
const MAX_QUEUED_BYTES: usize = 64 << 20;

/// What the writer does to a record before it writes it (count its tokens, say): work the
/// run's answer need not wait for.
pub type Finish = Box<dyn FnOnce(&mut RunRecord, &str) + Send>;

/// A record waiting for the writer: what [`RunStore::save`] writes.
pub(super) struct Queued {
    pub(super) record: RunRecord,
    /// What the record's JSON takes, about.
    pub(super) json_bytes: usize,
    pub(super) script: String,
    pub(super) output: String,
    /// Applied by the writer (on its copy), then the record is written.
    pub(super) finish: Mutex<Option<Finish>>,
}

impl Queued {
    /// What it holds in memory, roughly: the record twice (parsed and as JSON), the script
    /// and the output.
    fn size(&self) -> usize {
        2 * self.json_bytes + self.script.len() + self.output.len()
    }
}

#[derive(Default)]
struct State {
    /// Queued records by their run folder.
    queued: HashMap<PathBuf, Arc<Queued>>,
    /// The bytes of their scripts and outputs.
    queued_bytes: usize,
    /// The writer's inbox (started at the first record queued).
    writer: Option<std::sync::mpsc::Sender<PathBuf>>,
    /// The newest id this process claimed: ids claimed later sort after it.
    last_claimed: String,
    /// The time in that id: in a burst of runs (more than one a millisecond) ids run ahead of
    /// the clock, and the next one is found from here in one step.
    last_claimed_at: Option<chrono::DateTime<chrono::Utc>>,
    /// When a run last started ([`claim_id`]): the writer waits for a quiet moment.
    last_start: Option<std::time::Instant>,
    /// Set by [`flush`]: the writer writes at once.
    draining: bool,
}

struct Behind {
    state: Mutex<State>,
    /// Signalled whenever the writer is done with a record.
    written: Condvar,
}

static BEHIND: LazyLock<Behind> = LazyLock::new(|| Behind {
    state: Mutex::new(State::default()),
    written: Condvar::new(),
});

fn state() -> MutexGuard<'static, State> {
    // A panic while the lock was held leaves a map that is still whole.
    BEHIND
        .state
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// This process's salt for the ids it claims (16 bits, as every run id has).
fn process_salt() -> u64 {
    static SALT: LazyLock<u64> = LazyLock::new(|| {
        use std::hash::{BuildHasher, RandomState};
        RandomState::new().hash_one((std::process::id(), chrono::Utc::now().timestamp_nanos_opt()))
            & 0xffff
    });
    *SALT
}

/// A new id for a run in `store`, without touching the disk (not even a `stat`: where a new
/// folder costs half a millisecond, the writer holds the runs folder's lock that long): it
/// sorts after every id this process claimed before, is not queued, and carries this
/// process's salt, so another process has it only if it drew the same salt and ran in the same
/// millisecond. The writer checks that ([`write`]).
pub(super) fn claim_id(store: &RunStore) -> String {
    let mut state = state();
    let now = chrono::Utc::now();
    let mut at = match state.last_claimed_at {
        // Ids have the millisecond: the next one is at least a millisecond past the last.
        Some(last) if last + chrono::TimeDelta::milliseconds(1) > now => {
            last + chrono::TimeDelta::milliseconds(1)
        }
        _ => now,
    };
    loop {
        let id = format!("{}-{:04x}", at.format("%Y%m%d-%H%M%S%3f"), process_salt());
        if id > state.last_claimed && !state.queued.contains_key(&store.dir.join(&id)) {
            state.last_claimed.clone_from(&id);
            state.last_claimed_at = Some(at);
            state.last_start = Some(std::time::Instant::now());
            return id;
        }
        at += chrono::TimeDelta::milliseconds(1);
    }
}

/// Queues `queued` to be written into `store`; writes it now, on this thread, when the queue
/// is full or no writer can start.
pub(super) fn queue(store: &RunStore, queued: Queued) -> std::io::Result<()> {
    let folder = store.dir.join(&queued.record.id);
    let bytes = queued.size();
    let mut state = state();
    if state.queued.len() < MAX_QUEUED && state.queued_bytes + bytes <= MAX_QUEUED_BYTES {
        if state.writer.is_none() {
            state.writer = start_writer();
        }
        if let Some(writer) = &state.writer
            && writer.send(folder.clone()).is_ok()
        {
            state.queued.insert(folder, Arc::new(queued));
            state.queued_bytes += bytes;
            return Ok(());
        }
        state.writer = None;
    }
    drop(state);
    write(store, &queued)
}

fn start_writer() -> Option<std::sync::mpsc::Sender<PathBuf>> {
    let (send, receive) = std::sync::mpsc::channel::<PathBuf>();
    let spawned = std::thread::Builder::new()
        .name("skillet-runs".into())
        .spawn(move || {
            lower_priority();
            for folder in receive {
                wait_for_quiet();
                #[cfg(test)]
                let _held = tests::HOLD_WRITER.lock();
                let queued = state().queued.get(&folder).cloned();
                if let (Some(queued), Some(dir)) = (queued, folder.parent()) {
                    let store = RunStore {
                        dir: dir.to_owned(),
                    };
                    if let Err(e) = write(&store, &queued) {
                        tracing::error!(
                            "the record of run {} was not written to {}: {e}",
                            queued.record.id,
                            folder.display()
                        );
                    }
                }
                let mut state = state();
                if let Some(done) = state.queued.remove(&folder) {
                    state.queued_bytes = state.queued_bytes.saturating_sub(done.size());
                }
                drop(state);
                BEHIND.written.notify_all();
            }
        });
    match spawned {
        Ok(_) => Some(send),
        Err(e) => {
            tracing::warn!("run records are written inline: no writer thread ({e})");
            None
        }
    }
}

/// How long no run must have started before the writer writes: a burst of runs is not slowed
/// by their records (on a small machine the writer would take a core from them); its records
/// are written once it ends.
const QUIET: std::time::Duration = std::time::Duration::from_millis(20);

/// Queued records past which the writer stops waiting for quiet.
const WRITE_ANYWAY: usize = MAX_QUEUED / 2;

/// Waits until no run has started for [`QUIET`], unless the queue is long or [`flush`] is
/// waiting.
fn wait_for_quiet() {
    loop {
        let wait = {
            let state = state();
            if state.draining || state.queued.len() >= WRITE_ANYWAY {
                return;
            }
            match state.last_start {
                Some(at) => QUIET.saturating_sub(at.elapsed()),
                None => return,
            }
        };
        if wait.is_zero() {
            return;
        }
        std::thread::sleep(wait);
    }
}

/// Lowers this thread's priority (nice 10): where a new file costs the kernel half a
/// millisecond of CPU, the writer would otherwise take a core from the runs whose answers
/// are waited for. It still gets a share of a busy machine, so the queue drains.
fn lower_priority() {
    #[cfg(target_os = "linux")]
    {
        #[allow(unsafe_code)]
        // SAFETY: a plain system call on integers; on Linux, `who` 0 with PRIO_PROCESS is the
        // calling thread only.
        let rc = unsafe { libc::setpriority(libc::PRIO_PROCESS, 0, 10) };
        if rc != 0 {
            tracing::debug!(
                "the run record writer keeps its priority: {}",
                std::io::Error::last_os_error()
            );
        }
    }
}

/// Writes a claimed run's record: its folder first, which must be new.
fn write(store: &RunStore, queued: &Queued) -> std::io::Result<()> {
    fs_err::create_dir_all(&store.dir)?;
    let folder = store.dir.join(&queued.record.id);
    let finish = queued
        .finish
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .take();
    let finished;
    let record = match finish {
        Some(finish) => {
            let mut record = queued.record.clone();
            finish(&mut record, &queued.output);
            finished = record;
            &finished
        }
        None => &queued.record,
    };
    let json = serde_json::to_string_pretty(record).map_err(std::io::Error::other)?;
    match std::fs::create_dir(&folder) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            return Err(std::io::Error::other(format!(
                "another process recorded a run with the same id in {} (its record is kept)",
                folder.display()
            )));
        }
        Err(e) => return Err(e),
    }
    store.write_record(&record.id, &json, &queued.script, &queued.output)?;
    Ok(())
}

/// The queued record of the run in `folder`, if it is queued.
pub(super) fn queued(folder: &Path) -> Option<Arc<Queued>> {
    state().queued.get(folder).cloned()
}

/// The ids of the runs queued for `dir`.
pub(super) fn queued_ids(dir: &Path) -> Vec<String> {
    state()
        .queued
        .iter()
        .filter(|(folder, _)| folder.parent() == Some(dir))
        .map(|(_, queued)| queued.record.id.clone())
        .collect()
}

/// Waits until every queued record is written (or its writing failed), for at most `limit`:
/// `serve` calls this as it shuts down. Returns whether the queue emptied.
pub fn flush(limit: std::time::Duration) -> bool {
    let deadline = std::time::Instant::now() + limit;
    let mut state = state();
    state.draining = true;
    while !state.queued.is_empty()
        && !deadline
            .saturating_duration_since(std::time::Instant::now())
            .is_zero()
    {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        state = BEHIND
            .written
            .wait_timeout(state, left)
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .0;
    }
    state.draining = false;
    state.queued.is_empty()
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    /// Held by a test to keep the writer from writing meanwhile.
    pub(in crate::runs) static HOLD_WRITER: Mutex<()> = Mutex::new(());

    fn record(id: &str) -> RunRecord {
        serde_json::from_value(serde_json::json!({
            "id": id, "created": "2026-12-07T00:00:00.000Z", "script": "a.ts", "mode": "live",
            "status": "ok", "duration_ms": 1.0, "output_bytes": 2, "tool_calls": [],
            "limits": crate::sandbox::Limits::from(&crate::config::RunSettings::default()),
        }))
        .unwrap()
    }

    #[test]
    fn claimed_ids_are_new_ordered_and_shaped_like_run_ids() {
        let tmp = tempfile::tempdir().unwrap();
        let store = RunStore {
            dir: tmp.path().join("runs"),
        };
        let ids: Vec<String> = (0..500).map(|_| claim_id(&store)).collect();
        assert!(ids.windows(2).all(|w| w[0] < w[1]), "{ids:?}");
        assert!(ids.iter().all(|id| super::super::looks_like_id(id)));
    }

    #[test]
    fn a_queued_record_is_read_before_and_after_it_is_written() {
        let tmp = tempfile::tempdir().unwrap();
        let store = RunStore {
            dir: tmp.path().join("runs"),
        };
        let id = claim_id(&store);
        let held = HOLD_WRITER.lock().unwrap();
        store
            .save_behind(record(&id), "export default 1;", "out", None)
            .unwrap();
        // Queued, not written: this process reads it all the same.
        assert!(!store.dir.join(&id).exists());
        assert_eq!(store.ids().unwrap(), std::slice::from_ref(&id));
        assert_eq!(store.resolve("last").unwrap(), id);
        assert_eq!(store.load(&id).unwrap().2, "out");
        drop(held);
        assert!(flush(std::time::Duration::from_secs(30)));
        assert!(store.dir.join(&id).join("run.json").is_file());
        assert!(queued_ids(&store.dir).is_empty());
        let (loaded, script, output) = store.load(&id).unwrap();
        assert_eq!(
            (loaded.id.as_str(), script.as_str(), output.as_str()),
            (id.as_str(), "export default 1;", "out")
        );
    }

    #[test]
    fn the_writer_finishes_a_record_before_writing_it() {
        let tmp = tempfile::tempdir().unwrap();
        let store = RunStore {
            dir: tmp.path().join("runs"),
        };
        let id = claim_id(&store);
        let finish: Finish = Box::new(|record, output| {
            record.notes.push(format!("finished with {output}"));
        });
        store
            .save_behind(record(&id), "", "out", Some(finish))
            .unwrap();
        assert!(flush(std::time::Duration::from_secs(30)));
        assert_eq!(store.load(&id).unwrap().0.notes, ["finished with out"]);
    }

    #[test]
    fn an_empty_output_has_no_file_and_loads_empty() {
        let tmp = tempfile::tempdir().unwrap();
        let store = RunStore {
            dir: tmp.path().join("runs"),
        };
        let mut quiet = record(&store.reserve_id().unwrap());
        quiet.output_bytes = 0;
        let folder = store.save(&quiet, "export default 1;", "").unwrap();
        assert!(!folder.join("output.txt").exists());
        assert_eq!(store.load(&quiet.id).unwrap().2, "");
        // A record that says it printed something still needs its output.
        let mut loud = record(&store.reserve_id().unwrap());
        loud.output_bytes = 3;
        store.save(&loud, "", "").unwrap();
        let error = store.load(&loud.id).unwrap_err().to_string();
        assert!(error.contains("output.txt"), "{error}");
    }

    #[test]
    fn an_id_taken_meanwhile_keeps_the_other_record() {
        let tmp = tempfile::tempdir().unwrap();
        let store = RunStore {
            dir: tmp.path().join("runs"),
        };
        let id = claim_id(&store);
        std::fs::create_dir_all(store.dir.join(&id)).unwrap();
        std::fs::write(store.dir.join(&id).join("keep"), "theirs").unwrap();
        let queued = Queued {
            record: record(&id),
            json_bytes: 0,
            script: String::new(),
            output: String::new(),
            finish: Mutex::new(None),
        };
        let error = write(&store, &queued).unwrap_err();
        assert!(error.to_string().contains("same id"), "{error}");
        assert!(!store.dir.join(&id).join("run.json").exists());
    }
}
