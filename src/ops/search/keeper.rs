//! Skill searches answered by the process that keeps the registry (`skillet watch`, `skillet
//! serve`: the keeper, [`crate::skill::keeper`]), as git asks its fsmonitor daemon.
//!
//! A one-query process (`skillet search`) pays for opening the index and for what it reads
//! the first time (most of a query's time after process start). The keeper holds a searcher
//! open, brought in line by its own log of changed folders, and answers on a Unix socket,
//! `.skillet/skills.sock`: one JSON line asked, one answered. The searcher follows the log
//! exactly as a CLI process does (no watches of its own), so an answer is as fresh as a search
//! made here.
//!
//! Asking costs one failed `connect` when no keeper answers. Anything else that goes wrong (no
//! answer within [`ASK_TIMEOUT`], another skillet version, a garbled or oversized answer)
//! only means the query is made here, as without a keeper. The socket is made by the process
//! holding the keeper lock, readable and writable by its owner only; a path too long for a
//! socket address means no socket.

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::os::unix::fs::PermissionsExt as _;
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};

use super::{SearchOptions, SkillSearch};
use crate::registry::Registry;
use crate::search::Hit;

/// The socket, in the registry's `.skillet/`.
pub(crate) const SOCKET: &str = "skills.sock";
/// The longest a query waits for the keeper's answer before it is made here instead.
const ASK_TIMEOUT: Duration = Duration::from_secs(2);
/// The longest the keeper waits for a question or for its answer to be taken.
const ANSWER_TIMEOUT: Duration = Duration::from_secs(1);
/// The longest question read (a query is cut far below this, see [`crate::search`]).
const MAX_QUESTION: u64 = 64 * 1024;
/// The longest answer read.
const MAX_ANSWER: u64 = 16 * 1024 * 1024;
/// The most hits one question gets.
const MAX_LIMIT: usize = 1_000;

#[derive(Debug, Serialize, Deserialize)]
struct Question {
    /// The asker's version: a keeper of another version does not answer.
    version: String,
    query: String,
    limit: usize,
    /// Unix seconds the review statuses are judged at.
    now: u64,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Answer {
    Hits(Vec<Hit>),
    /// Not answered (another version, a bad question, a failed search): ask here.
    Declined(String),
}

fn socket_path(registry: &Registry) -> PathBuf {
    registry.cache_dir().join(SOCKET)
}

fn version() -> String {
    format!("skillet {}", env!("CARGO_PKG_VERSION"))
}

/// The keeper's answer to `options`, or `None`: no keeper answers, or it could not (then the
/// caller searches itself).
pub(crate) fn ask(registry: &Registry, options: &SearchOptions) -> Option<Vec<Hit>> {
    let stream = UnixStream::connect(socket_path(registry)).ok()?;
    let asked = (|| {
        stream.set_read_timeout(Some(ASK_TIMEOUT))?;
        stream.set_write_timeout(Some(ASK_TIMEOUT))?;
        let question = Question {
            version: version(),
            query: options.query.clone(),
            limit: options.limit,
            now: crate::review::unix_seconds(options.now),
        };
        let mut line = serde_json::to_vec(&question).map_err(std::io::Error::other)?;
        line.push(b'\n');
        (&stream).write_all(&line)?;
        let mut answer = Vec::new();
        BufReader::new(&stream)
            .take(MAX_ANSWER)
            .read_until(b'\n', &mut answer)?;
        serde_json::from_slice::<Answer>(&answer).map_err(std::io::Error::other)
    })();
    match asked {
        Ok(Answer::Hits(hits)) => {
            tracing::debug!("search answered by the skills keeper");
            Some(hits)
        }
        Ok(Answer::Declined(why)) => {
            tracing::debug!("the skills keeper did not answer ({why}); searching here");
            None
        }
        Err(e) => {
            tracing::debug!("no answer from the skills keeper ({e}); searching here");
            None
        }
    }
}

/// Answers searches on the registry's socket until dropped.
#[derive(Debug)]
pub struct Answering {
    path: PathBuf,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Answering {
    /// Opens a searcher of its own that follows the keeper's log (as a CLI process would),
    /// then [`Answering::start_with`] it.
    pub fn start(registry: &Registry) -> Option<Self> {
        Self::start_with(registry, Arc::new(Mutex::new(SkillSearch::following())))
    }

    /// Brings `searcher` in line (the first sweep: no question waits for it), makes the
    /// socket and answers with it on a thread of its own (`skillet serve` passes the searcher
    /// it serves with: one index in the process, one writer of it). `None` when the socket
    /// cannot be made (said at debug level: the queries are then made by each process). Only
    /// for the process that holds the registry's keeper lock, and keeps it until this is
    /// dropped: the socket is its to replace.
    pub fn start_with(registry: &Registry, searcher: Arc<Mutex<SkillSearch>>) -> Option<Self> {
        let _ = lock(&searcher).search(
            registry,
            &SearchOptions {
                query: "skill".into(),
                limit: 1,
                now: SystemTime::now(),
            },
        );
        let path = socket_path(registry);
        let not_answering = |e: std::io::Error| {
            tracing::debug!(
                "searches are not answered for other processes ({}: {e})",
                path.display()
            );
        };
        // A socket left by a keeper that died: this process holds the lock now.
        let _ = std::fs::remove_file(&path);
        fs_err::create_dir_all(registry.cache_dir())
            .map_err(not_answering)
            .ok()?;
        let listener = UnixListener::bind(&path).map_err(not_answering).ok()?;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))
            .map_err(not_answering)
            .ok()?;
        let stop = Arc::new(AtomicBool::new(false));
        let thread = std::thread::Builder::new()
            .name("skillet-search".into())
            .spawn({
                let (registry, stop) = (registry.clone(), Arc::clone(&stop));
                move || answer_all(&listener, &searcher, &registry, &stop)
            })
            .map_err(not_answering)
            .ok()?;
        tracing::debug!(socket = %path.display(), "answering searches for other processes");
        Some(Self {
            path,
            stop,
            thread: Some(thread),
        })
    }
}

/// A poisoned lock only means an earlier search panicked; the searcher recovers itself.
fn lock(searcher: &Mutex<SkillSearch>) -> std::sync::MutexGuard<'_, SkillSearch> {
    searcher
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Drop for Answering {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wakes the thread from `accept`.
        let _ = UnixStream::connect(&self.path);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
        let _ = std::fs::remove_file(&self.path);
    }
}

fn answer_all(
    listener: &UnixListener,
    searcher: &Mutex<SkillSearch>,
    registry: &Registry,
    stop: &AtomicBool,
) {
    for stream in listener.incoming() {
        if stop.load(Ordering::SeqCst) {
            break;
        }
        let Ok(stream) = stream else { continue };
        let answered = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            answer_one(&mut lock(searcher), registry, &stream)
        }));
        match answered {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::debug!("a search question went unanswered: {e}"),
            Err(_) => tracing::warn!("answering a search panicked"),
        }
    }
}

fn answer_one(
    search: &mut SkillSearch,
    registry: &Registry,
    stream: &UnixStream,
) -> std::io::Result<()> {
    stream.set_read_timeout(Some(ANSWER_TIMEOUT))?;
    stream.set_write_timeout(Some(ANSWER_TIMEOUT))?;
    let mut line = Vec::new();
    BufReader::new(stream)
        .take(MAX_QUESTION)
        .read_until(b'\n', &mut line)?;
    let answer = match serde_json::from_slice::<Question>(&line) {
        Ok(question) if question.version != version() => {
            Answer::Declined(format!("the keeper is {}", version()))
        }
        Ok(question) => {
            let options = SearchOptions {
                query: question.query,
                limit: question.limit.min(MAX_LIMIT),
                now: SystemTime::UNIX_EPOCH + Duration::from_secs(question.now),
            };
            match search.search(registry, &options) {
                Ok(hits) => Answer::Hits(hits),
                Err(e) => Answer::Declined(crate::error::describe(&e)),
            }
        }
        Err(e) => Answer::Declined(format!("not a question: {e}")),
    };
    let mut out = serde_json::to_vec(&answer).map_err(std::io::Error::other)?;
    out.push(b'\n');
    let mut stream = stream;
    stream.write_all(&out)
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    fn registry(tmp: &Path) -> Registry {
        crate::registry::init(tmp, false).unwrap();
        let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("skills");
        crate::fsutil::copy_dir(
            &examples.join("sum-and-echo"),
            &tmp.join("skills/sum-and-echo"),
        )
        .unwrap();
        Registry::open(tmp).unwrap()
    }

    fn options(query: &str) -> SearchOptions {
        SearchOptions {
            query: query.into(),
            limit: 5,
            now: SystemTime::now(),
        }
    }

    fn names(hits: &[Hit]) -> Vec<&str> {
        hits.iter().map(|h| h.name.as_str()).collect()
    }

    #[test]
    fn the_keeper_answers_while_it_runs_and_nobody_after() {
        let tmp = tempfile::tempdir().unwrap();
        let registry = registry(tmp.path());
        assert!(ask(&registry, &options("sum echo")).is_none());
        let answering = Answering::start(&registry).unwrap();
        let path = socket_path(&registry);
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        let hits = ask(&registry, &options("sum echo")).unwrap();
        assert_eq!(names(&hits), ["sum-and-echo"]);
        assert!(hits[0].status.is_some());
        drop(answering);
        assert!(!path.exists());
        assert!(ask(&registry, &options("sum echo")).is_none());
    }

    #[test]
    fn questions_it_cannot_answer_are_declined_and_the_keeper_goes_on() {
        let tmp = tempfile::tempdir().unwrap();
        let registry = registry(tmp.path());
        let _answering = Answering::start(&registry).unwrap();
        let path = socket_path(&registry);
        let exchange = |question: &[u8]| {
            let mut stream = UnixStream::connect(&path).unwrap();
            stream.write_all(question).unwrap();
            let mut answer = String::new();
            BufReader::new(&stream).read_line(&mut answer).unwrap();
            serde_json::from_str::<Answer>(&answer).unwrap()
        };
        let other = Question {
            version: "skillet 0.0.0-other".into(),
            query: "sum".into(),
            limit: 5,
            now: 0,
        };
        let mut line = serde_json::to_vec(&other).unwrap();
        line.push(b'\n');
        assert!(matches!(exchange(&line), Answer::Declined(why) if why.contains("keeper is")));
        assert!(
            matches!(exchange(b"{garbled\n"), Answer::Declined(why) if why.contains("not a question"))
        );
        // A question that never ends is cut at its limit, not read forever.
        let endless = vec![b'x'; MAX_QUESTION as usize + 10];
        assert!(matches!(exchange(&endless), Answer::Declined(_)));
        // The keeper still answers.
        assert_eq!(
            names(&ask(&registry, &options("sum echo")).unwrap()),
            ["sum-and-echo"]
        );
    }

    #[test]
    fn a_socket_nobody_answers_on_means_searching_here() {
        let tmp = tempfile::tempdir().unwrap();
        let registry = registry(tmp.path());
        // A socket file left by a keeper that died.
        fs_err::create_dir_all(registry.cache_dir()).unwrap();
        drop(UnixListener::bind(socket_path(&registry)).unwrap());
        assert!(socket_path(&registry).exists());
        assert!(ask(&registry, &options("sum echo")).is_none());
        // One that accepts and never answers: asking gives up after its timeout.
        std::fs::remove_file(socket_path(&registry)).unwrap();
        let _silent = UnixListener::bind(socket_path(&registry)).unwrap();
        assert!(ask(&registry, &options("sum echo")).is_none());
    }
}
