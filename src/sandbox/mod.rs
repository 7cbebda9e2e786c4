//! The sandbox: runs agent-written TypeScript in a fresh QuickJS runtime per run, bound to the
//! generated API, with hard limits. Scripts reach the outside only through the host functions
//! installed by `runtime.rs` (tool calls, console, timers, the workspace folder).

mod call;
mod contained;
mod convert;
pub mod governance;
mod loader;
mod runtime;
mod state;
pub mod tools;
pub mod transpile;
pub mod workspace;

use std::borrow::Cow;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};

pub use runtime::{execute, execute_on_worker};

/// Keeps a fresh QuickJS runtime ready for the next run, made off the path of the run that
/// takes it (for a process that runs many scripts: `serve`).
pub(crate) fn keep_runtimes_ready() {
    runtime::spare::keep_ready();
}
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
    /// The value the module's default export is called with (`None`: called with nothing).
    pub input: Option<serde_json::Value>,
}

impl Script {
    /// A script called with no input.
    pub fn new(name: impl Into<String>, source: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            source: source.into(),
            input: None,
        }
    }
}

/// The most of one text a run record keeps (an error's message or stack, the default export's
/// JSON): what a script makes is bounded by its memory limit already; this bounds the record.
pub const RECORD_TEXT_MAX: usize = 16 << 20;

/// The one rule for everything a run returns to the model (printed output, an error's message
/// and stack with their hints, the default export's JSON, notes): text longer than `max` bytes
/// is cut on a character boundary, and a marker on its own line says how much there was and
/// where the whole is (the run record). Returns the text and whether it was cut.
pub fn cap_for_model<'a>(text: &'a str, max: usize, run_id: &str) -> (Cow<'a, str>, bool) {
    if text.len() <= max {
        return (Cow::Borrowed(text), false);
    }
    let head = &text[..text.floor_char_boundary(max)];
    (
        Cow::Owned(format!(
            "{head}\n{}{}]",
            marker_start(text.len(), max),
            marker_end(run_id)
        )),
        true,
    )
}

fn marker_start(total: usize, max: usize) -> String {
    format!(
        "… [cut at {} of {} bytes; ",
        thousands(max as u64),
        thousands(total as u64)
    )
}

fn marker_end(run_id: &str) -> String {
    format!("the whole is in the run record .skillet/runs/{run_id}/: `skillet runs show {run_id}`")
}

/// Whether `text` is what [`cap_for_model`] returns for a text it cut, in run `run_id`.
pub fn was_cut_for_model(text: &str, run_id: &str) -> bool {
    text.ends_with(&format!("{}]", marker_end(run_id))) && text.contains("\n… [cut at ")
}

/// `1234567` as `1,234,567`.
fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Cuts `output` at `max` bytes by [`cap_for_model`]'s rule, ending with a newline when cut.
pub fn truncate_output(output: &str, max: usize, run_id: &str) -> (String, bool) {
    match cap_for_model(output, max, run_id) {
        (text, true) => (format!("{text}\n"), true),
        (text, false) => (text.into_owned(), false),
    }
}

impl RunError {
    /// Cuts the message and stack at [`RECORD_TEXT_MAX`] each, saying so: the most a record keeps.
    pub(crate) fn bound_for_record(&mut self) {
        let bound = |text: &mut String| {
            if text.len() > RECORD_TEXT_MAX {
                let total = text.len();
                text.truncate(text.floor_char_boundary(RECORD_TEXT_MAX));
                text.push_str(&format!(
                    "\n… [cut at {} of {} bytes: the most a run record keeps]",
                    thousands(RECORD_TEXT_MAX as u64),
                    thousands(total as u64)
                ));
            }
        };
        bound(&mut self.message);
        if let Some(stack) = &mut self.stack {
            bound(stack);
        }
    }

    /// This error as the model sees it: message and stack cut by [`cap_for_model`].
    /// Returns whether anything was cut.
    pub fn cap_for_model(&mut self, max: usize, run_id: &str) -> bool {
        let mut cut = false;
        if let (text, true) = cap_for_model(&self.message, max, run_id) {
            self.message = text.into_owned();
            cut = true;
        }
        if let Some(stack) = &self.stack
            && let (text, true) = cap_for_model(stack, max, run_id)
        {
            self.stack = Some(text.into_owned());
            cut = true;
        }
        cut
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_for_the_model_is_cut_on_a_character_boundary_with_a_marker() {
        let (text, cut) = cap_for_model("short", 10, "R1");
        assert_eq!((text.as_ref(), cut), ("short", false));
        // 'é' is two bytes: a cut at 3 falls inside the second one.
        let (text, cut) = cap_for_model("éééé", 3, "R1");
        assert!(cut);
        assert_eq!(
            text,
            "é\n… [cut at 3 of 8 bytes; the whole is in the run record .skillet/runs/R1/: `skillet runs show R1`]"
        );
        assert!(was_cut_for_model(&text, "R1"));
        assert!(!was_cut_for_model(&text, "R2"));
        assert!(!was_cut_for_model("éééé", "R1"));
        let big = "x".repeat(3 * 1024 * 1024);
        let (text, _) = cap_for_model(&big, 24 * 1024, "R1");
        assert!(
            text.contains("cut at 24,576 of 3,145,728 bytes"),
            "{}",
            &text[24 * 1024..]
        );
        assert!(text.len() < 24 * 1024 + 200);
        assert_eq!(
            truncate_output("abcdef", 3, "R1").0.lines().next(),
            Some("abc")
        );
        assert!(truncate_output("abcdef", 3, "R1").0.ends_with("`]\n"));
    }

    #[test]
    fn errors_are_bounded_in_the_record_and_cut_for_the_model() {
        let mut error = RunError::new(ErrorKind::Runtime, "e".repeat(RECORD_TEXT_MAX + 10));
        error.stack = Some("at main.ts:1:1\n".repeat(10));
        error.bound_for_record();
        assert!(error.message.len() < RECORD_TEXT_MAX + 200);
        assert!(error.message.ends_with("the most a run record keeps]"));
        let mut shown = error.clone();
        assert!(shown.cap_for_model(100, "R1"));
        assert!(shown.message.starts_with(&"e".repeat(100)));
        assert!(was_cut_for_model(&shown.message, "R1"));
        assert!(was_cut_for_model(shown.stack.as_deref().unwrap(), "R1"));
        let mut small = RunError::new(ErrorKind::Runtime, "fine");
        assert!(!small.cap_for_model(100, "R1"));
        assert_eq!(small.message, "fine");
    }
}
