//! The state one run shares between its host functions: limits, counters, the output, the
//! record of tool calls, and the first fatal limit hit (which the interrupt handler turns into
//! an uncatchable stop). A tool call's own steps are in `call.rs`.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use serde_json::json;
use tokio::sync::Semaphore;

use super::call::{CheckedTools, InFlight};
use super::tools::ToolCallRecord;
use super::transpile::Transpiled;
use super::workspace::Workspace;
use super::{ErrorKind, Limits, RunError, SandboxEnv};

pub(crate) struct RunState {
    pub env: SandboxEnv,
    pub limits: Limits,
    pub started: Instant,
    pub deadline: Instant,
    pub(super) calls_started: AtomicUsize,
    pub(super) semaphore: Semaphore,
    pub output: Mutex<String>,
    pub calls: Mutex<Vec<ToolCallRecord>>,
    /// Set once; read by the interrupt handler on every check.
    stop: AtomicBool,
    /// Cancelled with `stop`: ends a run that is waiting (not running JavaScript) at once.
    pub stopped: tokio_util::sync::CancellationToken,
    fatal: Mutex<Option<RunError>>,
    /// Source maps of every module loaded, by module name.
    pub modules: Mutex<HashMap<String, Arc<Transpiled>>>,
    /// The first import that failed, with why.
    pub import_error: Mutex<Option<RunError>>,
    /// Read-only, idempotent calls that were answered, by their key (`call::cache_key`): the
    /// place in `calls` of the record that holds the answer.
    pub(super) cache: Mutex<HashMap<String, usize>>,
    /// Compiled input schemas, by server and tool.
    pub(super) checked: Mutex<CheckedTools>,
    /// Calls sent and not yet answered: their record and audit entry, to write if the run ends
    /// first.
    pub(super) in_flight: Mutex<HashMap<usize, InFlight>>,
    /// Opened on first use: most runs never touch files.
    workspace: std::sync::OnceLock<Option<Workspace>>,
}

impl RunState {
    pub(super) fn new(env: SandboxEnv, limits: Limits) -> Self {
        let started = Instant::now();
        Self {
            deadline: started + limits.timeout(),
            semaphore: Semaphore::new(
                usize::try_from(limits.max_concurrent_calls)
                    .unwrap_or(16)
                    .max(1),
            ),
            env,
            limits,
            started,
            calls_started: AtomicUsize::new(0),
            output: Mutex::new(String::new()),
            calls: Mutex::new(Vec::new()),
            stop: AtomicBool::new(false),
            stopped: tokio_util::sync::CancellationToken::new(),
            fatal: Mutex::new(None),
            modules: Mutex::new(HashMap::new()),
            import_error: Mutex::new(None),
            cache: Mutex::new(HashMap::new()),
            workspace: std::sync::OnceLock::new(),
            checked: Mutex::new(Vec::new()),
            in_flight: Mutex::new(HashMap::new()),
        }
    }

    /// Whether the interrupt handler should stop the script now.
    pub(super) fn should_stop(&self) -> bool {
        if self.env.cancel.as_ref().is_some_and(|c| c.is_cancelled()) {
            self.fail(RunError::new(
                ErrorKind::Cancelled,
                "the run was cancelled (its client went away, or the server is shutting down)",
            ));
            return true;
        }
        self.stop.load(Ordering::Relaxed) || Instant::now() >= self.deadline
    }

    /// Records the first fatal error and makes the interrupt handler stop the script.
    pub(super) fn fail(&self, error: RunError) {
        if let Ok(mut fatal) = self.fatal.lock()
            && fatal.is_none()
        {
            *fatal = Some(error);
        }
        self.stop.store(true, Ordering::Relaxed);
        self.stopped.cancel();
    }

    pub(super) fn fatal(&self) -> Option<RunError> {
        self.fatal.lock().ok().and_then(|f| f.clone())
    }

    pub(super) fn elapsed_ms(&self) -> f64 {
        self.started.elapsed().as_secs_f64() * 1e3
    }

    /// Appends to the output; past the record cap the run stops with `output_limit`.
    pub(super) fn print(&self, level: &str, text: &str) {
        let Ok(mut out) = self.output.lock() else {
            return;
        };
        let cap = self.limits.record_output_cap();
        let line_len = text.len()
            + 1
            + if matches!(level, "warn" | "error") {
                level.len() + 2
            } else {
                0
            };
        if out.len() + line_len > cap {
            drop(out);
            self.fail(RunError::new(
                ErrorKind::OutputLimit,
                format!(
                    "the script printed more than {cap} bytes; print a summary instead of raw data"
                ),
            ));
            return;
        }
        if matches!(level, "warn" | "error") {
            out.push_str(level);
            out.push_str(": ");
        }
        out.push_str(text);
        out.push('\n');
    }

    /// Keeps a call's record; gives its place among the records.
    pub(super) fn push(&self, record: ToolCallRecord) -> Option<usize> {
        let mut calls = self.calls.lock().ok()?;
        calls.push(record);
        Some(calls.len() - 1)
    }

    /// `fs.*` from the script, answered as a JSON envelope.
    pub(super) fn fs(&self, op: &str, args_json: &str) -> String {
        // Nothing is read or written once the run is over (a script that caught its timeout).
        if self.should_stop() {
            return json!({ "ok": false, "error": "the run is over (its deadline passed or a limit was hit); the workspace is not touched" })
                .to_string();
        }
        let Some(ws) = self
            .workspace
            .get_or_init(|| Workspace::open(&self.env.workspace_dir).ok())
        else {
            return json!({ "ok": false, "error": "the workspace folder cannot be opened" })
                .to_string();
        };
        let args: Vec<serde_json::Value> = serde_json::from_str(args_json).unwrap_or_default();
        let s = |i: usize| {
            args.get(i)
                .and_then(|v| v.as_str())
                .unwrap_or_default()
                .to_owned()
        };
        let b = |i: usize| {
            args.get(i)
                .and_then(serde_json::Value::as_bool)
                .unwrap_or(false)
        };
        let path = s(0);
        let result: Result<serde_json::Value, _> = match op {
            "readFile" => ws.read_file(&path).map(Into::into),
            "writeFile" => ws
                .write_file(&path, &s(1))
                .map(|()| serde_json::Value::Null),
            "appendFile" => ws
                .append_file(&path, &s(1))
                .map(|()| serde_json::Value::Null),
            "readdir" => ws.read_dir(&path).map(Into::into),
            "exists" => ws.exists(&path).map(Into::into),
            "mkdir" => ws.mkdir(&path, b(1)).map(|()| serde_json::Value::Null),
            "rm" => ws.rm(&path, b(1)).map(|()| serde_json::Value::Null),
            other => {
                return json!({ "ok": false, "error": format!("unknown fs operation {other}") })
                    .to_string();
            }
        };
        match result {
            Ok(value) => json!({ "ok": true, "value": value }).to_string(),
            Err(e) => json!({ "ok": false, "error": e.to_string() }).to_string(),
        }
    }

    pub(super) fn take_calls(&self) -> Vec<ToolCallRecord> {
        let mut calls = self
            .calls
            .lock()
            .map(|mut c| std::mem::take(&mut *c))
            .unwrap_or_default();
        calls.sort_by_key(|c| c.index);
        calls
    }
}
