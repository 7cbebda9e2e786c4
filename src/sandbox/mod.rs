//! The sandbox: runs agent-written TypeScript in a fresh QuickJS runtime per run, bound to the
//! generated API, with hard limits. Scripts reach the outside only through the host functions
//! installed by `runtime.rs` (tool calls, console, timers, the workspace folder).

mod convert;
pub mod governance;
mod loader;
mod runtime;
mod state;
pub mod tools;
pub mod transpile;
pub mod workspace;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};

pub use runtime::{execute, execute_on_worker};
pub use tools::{CallSource, ToolCallRecord, ToolHost};

use crate::config::RunSettings;

/// The limits of one run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Limits {
    pub timeout_ms: u64,
    pub memory_bytes: u64,
    pub stack_bytes: u64,
    pub max_tool_calls: u64,
    pub max_concurrent_calls: u64,
    pub max_output_bytes: u64,
    pub max_result_bytes: u64,
}

impl From<&RunSettings> for Limits {
    fn from(s: &RunSettings) -> Self {
        Self {
            timeout_ms: s.timeout_ms,
            memory_bytes: s.memory_mib.saturating_mul(1024 * 1024),
            stack_bytes: s.stack_kib.saturating_mul(1024),
            max_tool_calls: s.max_tool_calls,
            max_concurrent_calls: s.max_concurrent_calls,
            max_output_bytes: s.max_output_bytes,
            max_result_bytes: s.max_result_bytes,
        }
    }
}

impl Limits {
    pub fn timeout(&self) -> Duration {
        Duration::from_millis(self.timeout_ms)
    }
    /// The most output kept at all (in the run record): beyond it the run stops.
    pub fn record_output_cap(&self) -> usize {
        usize::try_from(self.max_output_bytes.saturating_mul(64).max(1 << 20))
            .unwrap_or(usize::MAX)
            .min(16 << 20)
    }
}

/// Where a script's imports and files come from.
#[derive(Clone)]
pub struct SandboxEnv {
    /// The generated tree (`client.ts`, `servers/...`).
    pub api_dir: PathBuf,
    /// The registry's `skills/` folder.
    pub skills_dir: PathBuf,
    /// The folder scripts see as `./workspace/`.
    pub workspace_dir: PathBuf,
    /// Answers tool calls: live servers, or a recording.
    pub host: Arc<dyn ToolHost>,
    /// Says whether a skill may be imported (the review policy, when `run.require_signed`).
    pub skill_gate: Option<SkillGate>,
    /// Cancels the run (a client that went away, a server shutting down): it ends with
    /// `cancelled`, keeping the output and tool calls so far.
    pub cancel: Option<tokio_util::sync::CancellationToken>,
    /// Personal data tokenization, data-flow rules, the tool policy and the audit log.
    pub governance: Option<Arc<governance::Governance>>,
}

/// Decides whether the named skill may be imported; `Err` says why not.
pub type SkillGate = Arc<dyn Fn(&str) -> Result<(), String> + Send + Sync>;

/// The kinds of failure a run can end with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    Syntax,
    Import,
    Runtime,
    ToolArgument,
    Tool,
    Upstream,
    Timeout,
    Memory,
    Stack,
    CallLimit,
    OutputLimit,
    ResultLimit,
    Replay,
    FlowDenied,
    Denied,
    Cancelled,
    Internal,
}

impl ErrorKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Syntax => "syntax",
            Self::Import => "import",
            Self::Runtime => "runtime",
            Self::ToolArgument => "tool_argument",
            Self::Tool => "tool",
            Self::Upstream => "upstream",
            Self::Timeout => "timeout",
            Self::Memory => "memory",
            Self::Stack => "stack",
            Self::CallLimit => "call_limit",
            Self::OutputLimit => "output_limit",
            Self::ResultLimit => "result_limit",
            Self::Replay => "replay",
            Self::FlowDenied => "flow_denied",
            Self::Denied => "denied",
            Self::Cancelled => "cancelled",
            Self::Internal => "internal",
        }
    }
}

/// Why a run failed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunError {
    pub kind: ErrorKind,
    pub message: String,
    /// Position in the TypeScript source, where known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub column: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stack: Option<String>,
}

impl RunError {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
            file: None,
            line: None,
            column: None,
            stack: None,
        }
    }
}

impl std::fmt::Display for RunError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} error", self.kind.as_str())?;
        if let (Some(file), Some(line)) = (&self.file, self.line) {
            write!(f, " at {file}:{line}")?;
            if let Some(col) = self.column {
                write!(f, ":{col}")?;
            }
        }
        write!(f, ": {}", self.message)
    }
}

/// What a run produced.
#[derive(Debug, Clone)]
pub struct RunOutcome {
    /// Everything the script printed (up to [`Limits::record_output_cap`]).
    pub output: String,
    /// The JSON of the module's default export (called and awaited if a function).
    pub result: Option<serde_json::Value>,
    pub error: Option<RunError>,
    pub tool_calls: Vec<ToolCallRecord>,
    pub duration: Duration,
}

impl RunOutcome {
    pub fn ok(&self) -> bool {
        self.error.is_none()
    }
}

/// A script to run.
#[derive(Debug, Clone)]
pub struct Script {
    /// Shown in messages (e.g. `main.ts`).
    pub name: String,
    pub source: String,
}

/// Cuts `output` at `max` bytes (on a character boundary) with a marker saying what was left out.
pub fn truncate_output(output: &str, max: usize, run_id: &str) -> (String, bool) {
    if output.len() <= max {
        return (output.to_owned(), false);
    }
    let mut cut = max;
    while !output.is_char_boundary(cut) {
        cut -= 1;
    }
    let rest = output.len() - cut;
    (
        format!(
            "{}\n… [output cut at {max} bytes: {rest} more bytes; `skillet runs show {run_id}` has all of it]\n",
            &output[..cut]
        ),
        true,
    )
}
