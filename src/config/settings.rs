//! `skillet.toml`: the registry's settings. Unknown keys and wrong types are errors with line
//! numbers; its JSON Schema (`schemas/skillet.toml.schema.json`) is generated from these types.

use std::path::{Path, PathBuf};
use std::time::Duration;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The whole of `skillet.toml`. Every table and key is optional.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
#[schemars(title = "skillet.toml", description = "Settings of a skillet registry")]
pub struct Settings {
    /// About this registry.
    pub registry: RegistrySettings,
    /// How skillet talks to the upstream MCP servers of `.mcp.json`.
    pub upstream: UpstreamSettings,
    /// Limits of a sandbox run (each can be overridden per run with a flag).
    pub run: RunSettings,
    /// Signed review of skills.
    pub review: ReviewSettings,
    /// Personal data in tool results, where data may flow, and which tools need approval.
    pub privacy: crate::policy::PrivacySettings,
    /// The Claude Code plugin marketplace (`.claude-plugin/marketplace.json`) skillet keeps
    /// of the reviewed skills, once `skillet export --marketplace` made it.
    pub marketplace: MarketplaceSettings,
}

/// What the generated `.claude-plugin/marketplace.json` says of itself. Unset keys keep what
/// the file says; a new file takes the registry's name and git's `user.name`/`user.email`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct MarketplaceSettings {
    /// The marketplace's name (kebab-case), which users type in `plugin@name`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Who maintains it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    /// The maintainer's email.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// A short description of the marketplace.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// Signed review: how many trusted reviewers must sign a skill's exact content.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct ReviewSettings {
    /// Distinct trusted principals (from `signing/allowed_signers`) whose valid signatures a
    /// skill needs.
    pub required_signatures: u32,
    /// Whether the author of a change may count as one of its reviewers.
    pub author_counts: bool,
}

impl Default for ReviewSettings {
    fn default() -> Self {
        Self {
            required_signatures: 1,
            author_counts: false,
        }
    }
}

/// Limits of a sandbox run. Hitting one ends the run with its own error kind.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct RunSettings {
    /// Wall-clock deadline of a run, including time spent waiting on tools.
    #[schemars(range(min = 1))]
    pub timeout_ms: u64,
    /// Memory the script's JavaScript heap may use.
    #[schemars(range(min = 1))]
    pub memory_mib: u64,
    /// Stack the script may use (deep recursion ends with a `stack` error).
    #[schemars(range(min = 1))]
    pub stack_kib: u64,
    /// Tool calls one run may make.
    #[schemars(range(min = 1))]
    pub max_tool_calls: u64,
    /// Tool calls in flight at once (further calls wait their turn).
    #[schemars(range(min = 1))]
    pub max_concurrent_calls: u64,
    /// Most bytes of each text returned to the caller (output, an error's message or stack, the
    /// default export); longer text is cut with a marker (the run record keeps all).
    #[schemars(range(min = 1))]
    pub max_output_bytes: u64,
    /// Size of one tool result admitted into the sandbox.
    #[schemars(range(min = 1))]
    pub max_result_bytes: u64,
    /// Refuse to import or run a skill that does not meet the review policy.
    pub require_signed: bool,
    /// Recorded runs kept under `.skillet/runs/`: older ones are removed as new ones are
    /// recorded (checked every few dozen runs, so a few more may be there). 0 keeps all.
    pub keep_runs: u64,
}

impl Default for RunSettings {
    fn default() -> Self {
        Self {
            timeout_ms: 30_000,
            memory_mib: 64,
            stack_kib: 1024,
            max_tool_calls: 1_000,
            max_concurrent_calls: 16,
            max_output_bytes: 24 * 1024,
            max_result_bytes: 8 * 1024 * 1024,
            require_signed: false,
            keep_runs: 1_000,
        }
    }
}

/// About this registry.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct RegistrySettings {
    /// A short name for the registry, shown in listings.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// Timeouts for upstream servers, in milliseconds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct UpstreamSettings {
    /// From spawning a server (or opening its URL) to its `initialize` reply.
    #[schemars(range(min = 1))]
    pub start_timeout_ms: u64,
    /// For the whole of `tools/list`, all pages together.
    #[schemars(range(min = 1))]
    pub list_timeout_ms: u64,
    /// For one `tools/call`.
    #[schemars(range(min = 1))]
    pub call_timeout_ms: u64,
    /// After SIGTERM, how long a server may take to exit before it gets SIGKILL.
    pub shutdown_grace_ms: u64,
    /// Retries of calls that failed for a transient reason (connection closed, HTTP 5xx or 429,
    /// a timeout), for tools marked `readOnlyHint` or `idempotentHint` only.
    pub retry: RetrySettings,
}

/// How calls that failed for a transient reason are retried: exponential back-off with jitter,
/// capped, within the run's deadline. Only calls of tools whose annotations say `readOnlyHint`
/// or `idempotentHint` are retried; any other failure says a retry is unsafe.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct RetrySettings {
    /// Attempts of one call, the first included (1: never retry).
    #[schemars(range(min = 1))]
    pub attempts: u32,
    /// The wait before the first retry; each further retry doubles it (with jitter).
    pub initial_backoff_ms: u64,
    /// The longest wait between attempts; a server's `Retry-After` beyond it is not waited for.
    pub max_backoff_ms: u64,
    /// Per server (by its name in `.mcp.json`), keys that differ from the defaults above.
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub servers: std::collections::BTreeMap<String, RetryOverride>,
}

impl Default for RetrySettings {
    fn default() -> Self {
        Self {
            attempts: 3,
            initial_backoff_ms: 200,
            max_backoff_ms: 5_000,
            servers: std::collections::BTreeMap::new(),
        }
    }
}

/// One server's retry settings; an unset key keeps `[upstream.retry]`'s.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct RetryOverride {
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1))]
    pub attempts: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub initial_backoff_ms: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_backoff_ms: Option<u64>,
}

impl RetrySettings {
    /// The settings that apply to `server`'s calls.
    pub fn for_server(&self, server: &str) -> RetrySettings {
        let o = self.servers.get(server).cloned().unwrap_or_default();
        RetrySettings {
            attempts: o.attempts.unwrap_or(self.attempts).max(1),
            initial_backoff_ms: o.initial_backoff_ms.unwrap_or(self.initial_backoff_ms),
            max_backoff_ms: o.max_backoff_ms.unwrap_or(self.max_backoff_ms),
            servers: std::collections::BTreeMap::new(),
        }
    }
}

impl Default for UpstreamSettings {
    fn default() -> Self {
        Self {
            start_timeout_ms: 30_000,
            list_timeout_ms: 30_000,
            call_timeout_ms: 60_000,
            shutdown_grace_ms: 2_000,
            retry: RetrySettings::default(),
        }
    }
}

impl UpstreamSettings {
    pub fn start_timeout(&self) -> Duration {
        Duration::from_millis(self.start_timeout_ms)
    }
    pub fn list_timeout(&self) -> Duration {
        Duration::from_millis(self.list_timeout_ms)
    }
    pub fn call_timeout(&self) -> Duration {
        Duration::from_millis(self.call_timeout_ms)
    }
    pub fn shutdown_grace(&self) -> Duration {
        Duration::from_millis(self.shutdown_grace_ms)
    }
}

/// An unreadable or invalid `skillet.toml`.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}:{line}:{column}: {message}")]
    Invalid {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
}

/// The commented file `skillet init` writes.
pub const DEFAULT_SETTINGS: &str = r#"# skillet registry settings. Every key is optional; the values below are the defaults.
# Schema: schemas/skillet.toml.schema.json in the skillet repository.

[registry]
# name = "my-team"

[upstream]
start_timeout_ms = 30000   # spawn (or connect) to the initialize reply
list_timeout_ms = 30000    # tools/list, all pages
call_timeout_ms = 60000    # one tools/call
shutdown_grace_ms = 2000   # SIGTERM to SIGKILL

# Calls that failed for a transient reason (connection closed, HTTP 5xx or 429, a timeout) are
# retried with exponential back-off and jitter, within the run's deadline, but only for tools
# marked readOnlyHint or idempotentHint; every attempt is audited.
[upstream.retry]
attempts = 3                # per call, the first included (1: never retry)
initial_backoff_ms = 200    # doubled on each retry
max_backoff_ms = 5000       # the cap (a longer Retry-After is not waited for)
# [upstream.retry.servers.github]                 # per server: any of the keys above
# attempts = 5

[run]
timeout_ms = 30000              # wall clock, including waiting on tools
memory_mib = 64                 # JavaScript heap
stack_kib = 1024                # deep recursion ends here
max_tool_calls = 1000           # per run
max_concurrent_calls = 16       # calls in flight at once
max_output_bytes = 24576        # returned to the caller (the run record keeps all)
max_result_bytes = 8388608      # one tool result admitted into the sandbox
require_signed = false          # refuse skills that do not meet the review policy
keep_runs = 1000                # recorded runs kept in .skillet/runs (0: all)

[review]
required_signatures = 1         # distinct trusted reviewers per skill version
author_counts = false           # may the author of a change sign it?

# The Claude Code plugin marketplace of the reviewed skills (.claude-plugin/marketplace.json):
# `skillet export --marketplace` makes it; save, install, update and sign keep it in sync.
[marketplace]
# name = "my-team-skills"                         # default: the registry's name
# owner = "Platform team"                         # default: git's user.name
# email = "platform@example.com"
# description = "The platform team's reviewed skills"

# Personal data in tool results is replaced by tokens ([EMAIL_1], [PHONE_1], [NAME_1], ...)
# before a script sees it, and restored in the arguments it sends to tools. On by default.
[privacy.pii]
# enabled = true
# name_fields = ["name", "fullName"]              # string values of these keys become [NAME_n]
# [[privacy.pii.patterns]]                        # detectors of your own
# kind = "EMPLOYEE_ID"
# regex = 'EMP-\d{6}'
# [privacy.pii.servers.crm]                       # per server, or "server.tool"
# enabled = false

# Where data may flow (first match wins; no match allows):
# [[privacy.flows]]
# from = "crm.*"
# to = "mail.*"
# action = "deny"

# What tools need (first match wins; no match allows): allow, deny, or approve by a person
# (MCP elicitation under `serve`, a terminal prompt under `run`).
# destructive = "approve"                         # tools marked destructiveHint
# [[privacy.tools]]
# tool = "github.delete_*"
# policy = "deny"
"#;

impl Settings {
    pub fn load(path: &Path) -> Result<Self, SettingsError> {
        let text = fs_err::read_to_string(path).map_err(|source| SettingsError::Read {
            path: path.to_owned(),
            source,
        })?;
        Self::parse(&text, path)
    }

    pub fn parse(text: &str, path: &Path) -> Result<Self, SettingsError> {
        let settings: Settings = toml::from_str(text).map_err(|e| {
            let (line, column) = e
                .span()
                .map_or((1, 1), |span| line_column(text, span.start));
            SettingsError::Invalid {
                path: path.to_owned(),
                line,
                column,
                message: e.message().trim_end().to_owned(),
            }
        })?;
        for (key, value) in [
            (
                "upstream.start_timeout_ms",
                settings.upstream.start_timeout_ms,
            ),
            (
                "upstream.list_timeout_ms",
                settings.upstream.list_timeout_ms,
            ),
            (
                "upstream.call_timeout_ms",
                settings.upstream.call_timeout_ms,
            ),
            ("run.timeout_ms", settings.run.timeout_ms),
            ("run.memory_mib", settings.run.memory_mib),
            ("run.stack_kib", settings.run.stack_kib),
            ("run.max_tool_calls", settings.run.max_tool_calls),
            (
                "run.max_concurrent_calls",
                settings.run.max_concurrent_calls,
            ),
            ("run.max_output_bytes", settings.run.max_output_bytes),
            ("run.max_result_bytes", settings.run.max_result_bytes),
        ] {
            if value == 0 {
                let (line, column) = line_column(text, key_offset(text, key));
                return Err(SettingsError::Invalid {
                    path: path.to_owned(),
                    line,
                    column,
                    message: format!("`{key}` must be at least 1"),
                });
            }
        }
        if let Err(message) = settings.privacy.validate() {
            let offset = text.find("[privacy").unwrap_or(0);
            let (line, column) = line_column(text, offset);
            return Err(SettingsError::Invalid {
                path: path.to_owned(),
                line,
                column,
                message,
            });
        }
        Ok(settings)
    }

    /// The JSON Schema of `skillet.toml`, as committed in `schemas/`.
    pub fn json_schema() -> String {
        let schema = schemars::schema_for!(Settings);
        let mut text = serde_json::to_string_pretty(&schema).unwrap_or_default();
        text.push('\n');
        text
    }
}

/// Where `key` (`table.leaf`) is set: the first line under `[table]` that starts with `leaf`
/// (`timeout_ms` must not match `start_timeout_ms`), else the table's header, else the start.
fn key_offset(text: &str, key: &str) -> usize {
    let (table, leaf) = key.split_once('.').unwrap_or(("", key));
    let mut offset = 0;
    let mut in_table = table.is_empty();
    let mut header = None;
    for line in text.split_inclusive('\n') {
        let trimmed = line.trim_start();
        if let Some(name) = trimmed.strip_prefix('[') {
            let name = name.split(']').next().unwrap_or_default().trim();
            in_table = name == table;
            if in_table {
                header.get_or_insert(offset);
            }
        } else if in_table
            && trimmed
                .strip_prefix(leaf)
                .is_some_and(|rest| rest.trim_start().starts_with('='))
        {
            return offset + (line.len() - trimmed.len());
        }
        offset += line.len();
    }
    header.unwrap_or(0)
}

/// 1-based line and column (in characters) of a byte offset.
pub fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

impl crate::error::Diagnose for SettingsError {
    fn hints(&self) -> Vec<String> {
        match self {
            Self::Invalid { .. } => vec![
                "the keys skillet.toml accepts are described in schemas/skillet.toml.schema.json"
                    .into(),
            ],
            Self::Read { .. } => Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Settings, SettingsError> {
        Settings::parse(text, Path::new("skillet.toml"))
    }

    #[test]
    fn default_file_parses_to_defaults() {
        assert_eq!(parse(DEFAULT_SETTINGS).unwrap(), Settings::default());
        assert_eq!(parse("").unwrap(), Settings::default());
    }

    #[test]
    fn unknown_key_has_line_number() {
        let err = parse("[registry]\nname = \"x\"\n\n[upstream]\nstart_timeout = 5\n").unwrap_err();
        let msg = err.to_string();
        assert!(msg.starts_with("skillet.toml:5:1:"), "{msg}");
        assert!(msg.contains("unknown field `start_timeout`"), "{msg}");
    }

    #[test]
    fn wrong_type_has_line_number() {
        let err = parse("[upstream]\ncall_timeout_ms = \"soon\"\n").unwrap_err();
        let msg = err.to_string();
        assert!(msg.starts_with("skillet.toml:2:"), "{msg}");
        assert!(msg.contains("invalid type"), "{msg}");
    }

    #[test]
    fn zero_timeout_is_refused() {
        let msg = parse("[upstream]\n\ncall_timeout_ms = 0\n")
            .unwrap_err()
            .to_string();
        assert!(msg.starts_with("skillet.toml:3:1:"), "{msg}");
        // `timeout_ms` under [run], not the `start_timeout_ms` of [upstream] above it.
        let msg =
            parse("[upstream]\nstart_timeout_ms = 5\n\n[run]\nmemory_mib = 8\n  timeout_ms = 0\n")
                .unwrap_err()
                .to_string();
        assert!(msg.starts_with("skillet.toml:6:3:"), "{msg}");
        assert!(msg.contains("`run.timeout_ms` must be at least 1"), "{msg}");
        for key in [
            "memory_mib",
            "stack_kib",
            "max_tool_calls",
            "max_concurrent_calls",
            "max_output_bytes",
            "max_result_bytes",
        ] {
            let msg = parse(&format!("[run]\n{key} = 0\n"))
                .unwrap_err()
                .to_string();
            assert!(
                msg.contains(&format!("`run.{key}` must be at least 1")),
                "{msg}"
            );
        }
    }

    #[test]
    fn committed_schema_is_current() {
        let committed = include_str!("../../schemas/skillet.toml.schema.json");
        assert_eq!(
            committed,
            Settings::json_schema(),
            "schemas/skillet.toml.schema.json is stale: run `skillet schema skillet-toml > schemas/skillet.toml.schema.json`"
        );
    }

    #[test]
    fn line_column_counts_characters() {
        assert_eq!(line_column("ab\ncé\nx", 6), (2, 3));
        assert_eq!(line_column("", 10), (1, 1));
    }
}
