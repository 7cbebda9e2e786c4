//! Stdio upstreams: spawning the child, keeping its stdout clean for the MCP codec, sending its
//! stderr to a log file, and ending it (stdin closed, SIGTERM, then SIGKILL) without zombies.

use std::collections::VecDeque;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;
use tokio::io::AsyncRead;
use tokio::process::{Child, ChildStdin, ChildStdout};

use super::error::UpstreamError;

/// The longest line accepted from a server's stdout (a JSON-RPC message); longer lines are dropped.
const MAX_LINE: u64 = 64 * 1024 * 1024;
/// How long a server may take to exit after its stdin closes before it gets SIGTERM.
const STDIN_CLOSE_GRACE: Duration = Duration::from_millis(250);
/// How many stderr lines an error message quotes.
const STDERR_TAIL_LINES: usize = 12;

/// What to spawn.
pub(crate) struct StdioSpec<'a> {
    pub server: &'a str,
    pub command: &'a str,
    pub args: &'a [String],
    pub env: &'a std::collections::BTreeMap<String, String>,
    pub cwd: Option<&'a Path>,
    pub log_path: &'a Path,
}

/// A running child process. Dropping it kills the whole process group; prefer [`Self::terminate`].
pub(crate) struct ChildProcess {
    child: Child,
    pgid: Option<Pid>,
    log: Arc<LogFile>,
}

/// The log file of one server: its stderr, plus notes from skillet. Opened in append mode so
/// several runs and the child can share it.
pub(crate) struct LogFile {
    path: PathBuf,
    file: std::sync::Mutex<std::fs::File>,
    /// Where this run's part of the log starts.
    start: u64,
}

impl LogFile {
    pub(super) fn open(path: &Path) -> std::io::Result<Self> {
        if let Some(parent) = path.parent() {
            fs_err::create_dir_all(parent)?;
        }
        let file = fs_err::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)?
            .into_parts()
            .0;
        let start = file.metadata()?.len();
        Ok(Self {
            path: path.to_owned(),
            file: std::sync::Mutex::new(file),
            start,
        })
    }

    pub(crate) fn note(&self, text: &str) {
        if let Ok(mut file) = self.file.lock() {
            // A failed log write must never take the connection down.
            let _ = writeln!(file, "[skillet] {text}");
        }
    }

    fn stderr_handle(&self) -> std::io::Result<std::fs::File> {
        self.file
            .lock()
            .map_err(|_| std::io::Error::other("log file lock poisoned"))?
            .try_clone()
    }

    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// The last lines written during this run (stderr and notes), for error messages.
    pub(crate) fn tail(&self) -> Vec<String> {
        let Ok(bytes) = fs_err::read(&self.path) else {
            return Vec::new();
        };
        let start = usize::try_from(self.start).unwrap_or(0).min(bytes.len());
        let text = String::from_utf8_lossy(&bytes[start..]);
        let lines: Vec<String> = text
            .lines()
            .filter(|l| !l.trim().is_empty() && !l.starts_with("[skillet] starting"))
            .map(|l| truncate_chars(l, 300))
            .collect();
        lines[lines.len().saturating_sub(STDERR_TAIL_LINES)..].to_vec()
    }
}

fn truncate_chars(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_owned(),
    }
}

/// Spawns the server. Returns the child, a reader that yields only its JSON lines, and its stdin.
pub(crate) fn spawn(
    spec: &StdioSpec<'_>,
) -> Result<(ChildProcess, JsonLines<ChildStdout>, ChildStdin), UpstreamError> {
    let spawn_err = |message: String| UpstreamError::Spawn {
        server: spec.server.to_owned(),
        command: spec.command.to_owned(),
        message,
    };
    if let Some(cwd) = spec.cwd
        && !cwd.is_dir()
    {
        return Err(spawn_err(format!(
            "its working folder `cwd` {} does not exist",
            cwd.display()
        )));
    }
    let log = Arc::new(
        LogFile::open(spec.log_path)
            .map_err(|e| spawn_err(format!("cannot open log {}: {e}", spec.log_path.display())))?,
    );
    log.note(&format!(
        "starting {} {}",
        spec.command,
        spec.args.join(" ")
    ));
    let stderr = log
        .stderr_handle()
        .map_err(|e| spawn_err(format!("cannot open log {}: {e}", spec.log_path.display())))?;

    let mut command = tokio::process::Command::new(spec.command);
    command
        .args(spec.args)
        .envs(spec.env)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::from(stderr))
        // Its own process group, so that ending it also ends what it spawned (npx -> node).
        .process_group(0)
        .kill_on_drop(true);
    if let Some(cwd) = spec.cwd {
        command.current_dir(cwd);
    }
    let mut child = command.spawn().map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            UpstreamError::CommandNotFound {
                server: spec.server.to_owned(),
                command: spec.command.to_owned(),
            }
        } else {
            spawn_err(e.to_string())
        }
    })?;
    let pgid = child
        .id()
        .and_then(|id| i32::try_from(id).ok())
        .map(Pid::from_raw);
    let (Some(stdin), Some(stdout)) = (child.stdin.take(), child.stdout.take()) else {
        return Err(spawn_err("stdin/stdout pipes were not created".into()));
    };
    let reader = JsonLines::new(spec.server.to_owned(), stdout, Arc::clone(&log));
    Ok((ChildProcess { child, pgid, log }, reader, stdin))
}

/// Reads a child's stdout as MCP messages come: only its JSON lines (trimmed), every other
/// line logged (some servers print banners or debug text on stdout, before or between
/// messages), and a line longer than [`MAX_LINE`] dropped. [`JsonLines::next_line`] hands out
/// one line at a time, with no task, pipe or second framing in between: a server's answer
/// reaches the caller in one hop and one copy.
pub(crate) struct JsonLines<R> {
    inner: R,
    server: String,
    log: Arc<LogFile>,
    /// Bytes read and not yet judged: the start of a line.
    pending: Vec<u8>,
    /// How much of `pending` is known to hold no newline.
    scanned: usize,
    /// JSON lines ready for the reader.
    ready: VecDeque<Vec<u8>>,
    /// Inside a line too long to keep: its bytes are dropped up to its newline.
    skipping: bool,
    eof: bool,
}

impl<R> JsonLines<R> {
    pub(crate) fn new(server: String, inner: R, log: Arc<LogFile>) -> Self {
        Self {
            inner,
            server,
            log,
            pending: Vec::new(),
            scanned: 0,
            ready: VecDeque::new(),
            skipping: false,
            eof: false,
        }
    }

    /// One whole line (without its newline): kept when it is JSON, else logged.
    fn judge(&mut self, line: &[u8]) {
        let text = line.trim_ascii();
        if text.is_empty() {
            return;
        }
        if text.starts_with(b"{") || text.starts_with(b"[") {
            self.ready.push_back(text.to_vec());
        } else {
            let shown = truncate_chars(&String::from_utf8_lossy(text), 500);
            tracing::debug!(server = %self.server, line = %shown, "skipped a non-JSON line on stdout");
            self.log
                .note(&format!("skipped a non-JSON line on stdout: {shown}"));
        }
    }

    /// Judges every whole line in `pending` (and at the end of the stream, what is left).
    fn take_lines(&mut self) {
        let mut start = 0;
        let mut from = self.scanned;
        while let Some(at) = self.pending[from..].iter().position(|b| *b == b'\n') {
            let end = from + at;
            if self.skipping {
                self.skipping = false;
            } else {
                let line = std::mem::take(&mut self.pending);
                self.judge(&line[start..end]);
                self.pending = line;
            }
            start = end + 1;
            from = start;
        }
        self.pending.drain(..start);
        self.scanned = self.pending.len();
        if self.skipping {
            self.pending.clear();
            self.scanned = 0;
        } else if self.pending.len() as u64 >= MAX_LINE {
            self.log.note(&format!(
                "dropped a stdout line longer than {MAX_LINE} bytes"
            ));
            self.pending.clear();
            self.scanned = 0;
            self.skipping = true;
        }
        if self.eof && !self.pending.is_empty() {
            let last = std::mem::take(&mut self.pending);
            if !self.skipping {
                self.judge(&last);
            }
            self.scanned = 0;
        }
    }
}

impl<R: AsyncRead + Unpin> JsonLines<R> {
    /// The next JSON line, or `None` at the end of the output (a read error ends it too).
    /// Cancel-safe: what was read stays here for the next call.
    pub(crate) async fn next_line(&mut self) -> Option<Vec<u8>> {
        std::future::poll_fn(|cx| self.poll_line(cx)).await
    }

    fn poll_line(&mut self, cx: &mut std::task::Context<'_>) -> std::task::Poll<Option<Vec<u8>>> {
        use std::task::Poll;
        loop {
            if let Some(line) = self.ready.pop_front() {
                return Poll::Ready(Some(line));
            }
            if self.eof {
                return Poll::Ready(None);
            }
            let mut chunk = [0u8; 16 * 1024];
            let mut read = tokio::io::ReadBuf::new(&mut chunk);
            match std::pin::Pin::new(&mut self.inner).poll_read(cx, &mut read) {
                Poll::Pending => return Poll::Pending,
                // A read error ends the stream, as the end of the output does.
                Poll::Ready(Err(_)) => self.eof = true,
                Poll::Ready(Ok(())) if read.filled().is_empty() => self.eof = true,
                Poll::Ready(Ok(())) => self.pending.extend_from_slice(read.filled()),
            }
            self.take_lines();
        }
    }
}

impl ChildProcess {
    pub(crate) fn log(&self) -> &Arc<LogFile> {
        &self.log
    }

    /// Waits for the child to exit (cancel-safe).
    pub(crate) async fn wait(&mut self) -> std::io::Result<std::process::ExitStatus> {
        self.child.wait().await
    }

    /// The exit status if the child has exited, waiting at most `within` for it.
    pub(crate) async fn exit_status(
        &mut self,
        within: Duration,
    ) -> Option<std::process::ExitStatus> {
        tokio::time::timeout(within, self.child.wait())
            .await
            .ok()
            .and_then(Result::ok)
    }

    /// Ends the child: it should already have seen its stdin close; after a short grace it gets
    /// SIGTERM (to its whole process group), and SIGKILL when `grace` passes. Always reaps it.
    pub(crate) async fn terminate(mut self, grace: Duration) {
        if self.exit_status(STDIN_CLOSE_GRACE).await.is_some() {
            self.kill_group(Signal::SIGKILL);
            return;
        }
        self.kill_group(Signal::SIGTERM);
        if self.exit_status(grace).await.is_none() {
            self.log.note(&format!(
                "did not exit within {} of SIGTERM; sending SIGKILL",
                super::error::fmt_duration(grace)
            ));
            self.kill_group(Signal::SIGKILL);
            let _ = self.child.wait().await;
        }
        // Whatever it left behind in its group goes too.
        self.kill_group(Signal::SIGKILL);
    }

    fn kill_group(&self, signal: Signal) {
        if let Some(pgid) = self.pgid {
            // ESRCH (the group is already gone) is the expected, harmless case.
            let _ = killpg(pgid, signal);
        }
    }
}

impl Drop for ChildProcess {
    fn drop(&mut self) {
        // Not terminated properly (an error path): make sure nothing of it survives us.
        if matches!(self.child.try_wait(), Ok(None)) {
            self.kill_group(Signal::SIGKILL);
        }
    }
}
