//! The state one run shares between its host functions: limits, counters, the output, the
//! record of tool calls, and the first fatal limit hit (which the interrupt handler turns into
//! an uncatchable stop).

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use serde_json::json;
use tokio::sync::Semaphore;

use super::governance::Governance;
use super::tools::{self, CallError, CallSource, HostError, ToolCallRecord};
use super::transpile::Transpiled;
use super::workspace::Workspace;
use super::{ErrorKind, Limits, RunError, SandboxEnv};
use crate::audit::Decision;
use crate::codegen::canonical_json;
use crate::policy::Decision as PolicyDecision;

/// A tool's compiled input schema.
type CompiledSchema = Arc<jsonschema::Validator>;

/// Each tool's checks, by (server, tool); `None` for a tool the server does not have.
type CheckedTools = HashMap<(String, String), Option<Arc<CheckedTool>>>;

/// A call's record and audit entry, kept while it is out.
type InFlight = (
    ToolCallRecord,
    Option<(Arc<crate::audit::AuditLog>, crate::audit::Entry)>,
);

/// A tool as argument checks and policy see it.
struct CheckedTool {
    validator: Option<CompiledSchema>,
    /// Read-only and idempotent: identical calls in a run may be answered from its cache.
    cacheable: bool,
    destructive: bool,
}

pub(crate) struct RunState {
    pub env: SandboxEnv,
    pub limits: Limits,
    pub started: Instant,
    pub deadline: Instant,
    calls_started: AtomicUsize,
    semaphore: Semaphore,
    pub output: Mutex<String>,
    pub calls: Mutex<Vec<ToolCallRecord>>,
    /// Set once; read by the interrupt handler on every check.
    stop: AtomicBool,
    fatal: Mutex<Option<RunError>>,
    /// Source maps of every module loaded, by module name.
    pub modules: Mutex<HashMap<String, Arc<Transpiled>>>,
    /// The first import that failed, with why.
    pub import_error: Mutex<Option<RunError>>,
    /// Answers of read-only, idempotent calls, by (server, tool, canonical arguments).
    cache: Mutex<HashMap<(String, String, String), crate::upstream::ToolResult>>,
    /// Compiled input schemas, by (server, tool).
    checked: Mutex<CheckedTools>,
    /// Calls sent and not yet answered: their record and audit entry, to write if the run ends
    /// first.
    in_flight: Mutex<HashMap<usize, InFlight>>,
    /// Opened on first use: most runs never touch files.
    workspace: std::sync::OnceLock<Option<Workspace>>,
}

impl RunState {
    pub fn new(env: SandboxEnv, limits: Limits) -> Self {
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
            fatal: Mutex::new(None),
            modules: Mutex::new(HashMap::new()),
            import_error: Mutex::new(None),
            cache: Mutex::new(HashMap::new()),
            workspace: std::sync::OnceLock::new(),
            checked: Mutex::new(HashMap::new()),
            in_flight: Mutex::new(HashMap::new()),
        }
    }

    /// Whether the interrupt handler should stop the script now.
    pub fn should_stop(&self) -> bool {
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
    pub fn fail(&self, error: RunError) {
        if let Ok(mut fatal) = self.fatal.lock()
            && fatal.is_none()
        {
            *fatal = Some(error);
        }
        self.stop.store(true, Ordering::Relaxed);
    }

    pub fn fatal(&self) -> Option<RunError> {
        self.fatal.lock().ok().and_then(|f| f.clone())
    }

    pub fn elapsed_ms(&self) -> f64 {
        self.started.elapsed().as_secs_f64() * 1e3
    }

    /// Appends to the output; past the record cap the run stops with `output_limit`.
    pub fn print(&self, level: &str, text: &str) {
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

    /// One `callMCPTool`, answered as the JSON envelope the prelude expects.
    pub async fn call_tool(
        self: Arc<Self>,
        server: String,
        tool: String,
        args_json: String,
    ) -> String {
        let index = self.calls_started.fetch_add(1, Ordering::Relaxed);
        let envelope_error = |kind: &str, message: String, violations: Option<Vec<String>>| {
            json!({ "ok": false, "error": { "kind": kind, "message": message, "violations": violations } }).to_string()
        };
        if index as u64 >= self.limits.max_tool_calls {
            let message = format!(
                "the run made more than {} tool calls (the limit); batch the work or raise --max-tool-calls",
                self.limits.max_tool_calls
            );
            self.fail(RunError::new(ErrorKind::CallLimit, message.clone()));
            return envelope_error("call_limit", message, None);
        }
        let arguments: serde_json::Value = match serde_json::from_str(&args_json) {
            Ok(v) => v,
            Err(e) => {
                return envelope_error(
                    "tool_argument",
                    format!("arguments are not JSON: {e}"),
                    None,
                );
            }
        };
        let Some(map) = arguments.as_object().cloned() else {
            return envelope_error(
                "tool_argument",
                format!("arguments of {server}.{tool} must be an object"),
                Some(vec!["arguments must be an object".into()]),
            );
        };
        // Tokens of personal data go back to their values on the way to the server; the record
        // keeps the script's view, with tokens.
        let governance = self.env.governance.clone();
        let (map, sources) = match &governance {
            Some(g) => g.restore(&map),
            None => (map, std::collections::BTreeSet::new()),
        };
        let sent = serde_json::Value::Object(map.clone());
        let started_ms = self.elapsed_ms();
        let audit_entry = |decision: Decision,
                           result: Option<&crate::upstream::ToolResult>,
                           outcome: &str,
                           source: Option<CallSource>| {
            governance
                .as_ref()
                .and_then(|g| g.audit.as_ref())
                .map(|(log, run)| {
                    let (args_bytes, args_sha256) = crate::audit::digest(&sent);
                    let digest = result.map(crate::audit::digest);
                    let entry = crate::audit::Entry {
                        time: chrono::Utc::now()
                            .to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
                        run: run.clone(),
                        server: server.clone(),
                        tool: tool.clone(),
                        decision,
                        args_bytes,
                        args_sha256,
                        result_bytes: digest.as_ref().map(|d| d.0),
                        result_sha256: digest.map(|d| d.1),
                        duration_ms: self.elapsed_ms() - started_ms,
                        outcome: outcome.to_owned(),
                        source: source.map(|s| {
                            serde_json::to_value(s)
                                .ok()
                                .and_then(|v| v.as_str().map(str::to_owned))
                                .unwrap_or_default()
                        }),
                    };
                    (Arc::clone(log), entry)
                })
        };
        let audit = |decision: Decision,
                     result: Option<&crate::upstream::ToolResult>,
                     outcome: &str,
                     source: Option<CallSource>| {
            if let Some((log, entry)) = audit_entry(decision, result, outcome, source) {
                log.append(&entry);
            }
        };
        let record = |result: Option<crate::upstream::ToolResult>,
                      error: Option<CallError>,
                      source: CallSource| ToolCallRecord {
            index,
            server: server.clone(),
            tool: tool.clone(),
            arguments: arguments.clone(),
            result,
            error,
            started_ms,
            duration_ms: self.elapsed_ms() - started_ms,
            source,
        };

        // Check the arguments, the flow of data and the tool policy before anything is sent.
        let mut cacheable = false;
        let mut decision = Decision::Allowed;
        if self.env.host.checks(index, &server, &tool, &map) {
            match self.checked_tool(&server, &tool).await {
                Ok(Some(checked)) => {
                    let valid = checked
                        .validator
                        .as_deref()
                        .map_or(Ok(()), |v| tools::check_with(v, &sent));
                    if let Err(violations) = valid {
                        // Violations quote argument values, restored ones included.
                        let violations: Vec<String> = match &governance {
                            Some(g) => violations
                                .iter()
                                .map(|v| g.tokenize_message(&server, &tool, v))
                                .collect(),
                            None => violations,
                        };
                        let message = format!(
                            "arguments of {server}.{tool} do not match its input schema:\n  - {}",
                            violations.join("\n  - ")
                        );
                        return envelope_error("tool_argument", message, Some(violations));
                    }
                    cacheable = checked.cacheable;
                    if let Some(g) = &governance {
                        match self
                            .govern(g, &server, &tool, &arguments, &sources, checked.destructive)
                            .await
                        {
                            Ok(d) => decision = d,
                            Err((d, kind, message)) => {
                                audit(d, None, "not_called", None);
                                let error = CallError {
                                    kind: kind.into(),
                                    message: message.clone(),
                                };
                                self.push(record(None, Some(error), CallSource::Live));
                                return envelope_error(kind, message, None);
                            }
                        }
                    }
                }
                Ok(None) => {
                    let message = format!(
                        "server `{server}` has no tool `{tool}`\nhint: the tools of a server are listed in servers/{server}/index.ts"
                    );
                    let error = CallError {
                        kind: "tool".into(),
                        message: message.clone(),
                    };
                    self.push(record(None, Some(error), CallSource::Live));
                    return envelope_error("tool", message, None);
                }
                Err(e) => {
                    let e = self.tokenized_failure(governance.as_deref(), &server, &tool, e);
                    return self.host_failure(e, record(None, None, CallSource::Live));
                }
            }
        }
        let key = cacheable.then(|| (server.clone(), tool.clone(), canonical_json(&arguments)));
        if let Some(key) = &key
            && let Some(cached) = self.cache.lock().ok().and_then(|c| c.get(key).cloned())
        {
            audit(decision, Some(&cached), "ok", Some(CallSource::Cache));
            let answer = self.answer(&server, &tool, &cached);
            self.push(record(Some(cached), None, CallSource::Cache));
            return answer;
        }

        // A call still in flight when the run ends is recorded (and audited) as abandoned.
        if let Ok(mut in_flight) = self.in_flight.lock() {
            in_flight.insert(
                index,
                (
                    record(None, None, CallSource::Live),
                    audit_entry(decision, None, "abandoned", Some(CallSource::Live)),
                ),
            );
        }
        let outcome = match self.semaphore.acquire().await {
            Ok(_permit) => {
                tokio::time::timeout_at(
                    self.deadline.into(),
                    self.env.host.call(index, &server, &tool, &map),
                )
                .await
            }
            Err(_) => Ok(Err(HostError::Message(
                "internal",
                "the call semaphore closed".into(),
            ))),
        };
        let still_open = self
            .in_flight
            .lock()
            .map(|mut f| f.remove(&index).is_some())
            .unwrap_or(false);
        if !still_open {
            // The run was finalized while this call was out: it is recorded already.
            return envelope_error("abandoned", "the run ended".into(), None);
        }
        match outcome {
            Err(_) => {
                audit(decision, None, "error", Some(CallSource::Live));
                let message = format!(
                    "the run's deadline of {} ms passed while waiting on {server}.{tool}",
                    self.limits.timeout_ms
                );
                self.fail(RunError::new(ErrorKind::Timeout, message.clone()));
                let error = CallError {
                    kind: "timeout".into(),
                    message: message.clone(),
                };
                self.push(record(None, Some(error), CallSource::Live));
                envelope_error("timeout", message, None)
            }
            Ok(Err(e)) => {
                audit(decision, None, "error", Some(CallSource::Live));
                let e = self.tokenized_failure(governance.as_deref(), &server, &tool, e);
                self.host_failure(e, record(None, None, CallSource::Live))
            }
            Ok(Ok((result, source))) => {
                audit(
                    decision,
                    Some(&result),
                    if result.is_error { "tool_error" } else { "ok" },
                    Some(source),
                );
                let result = match &governance {
                    Some(g) => g.tokenize(&server, &tool, result),
                    None => result,
                };
                if let Some(key) = key
                    && !result.is_error
                    && let Ok(mut cache) = self.cache.lock()
                {
                    cache.insert(key, result.clone());
                }
                let answer = self.answer(&server, &tool, &result);
                self.push(record(Some(result), None, source));
                answer
            }
        }
    }

    /// A host failure with its message tokenized: messages may quote data (a server's stderr,
    /// a replayed call's arguments).
    fn tokenized_failure(
        &self,
        governance: Option<&Governance>,
        server: &str,
        tool: &str,
        e: HostError,
    ) -> HostError {
        let Some(g) = governance else {
            return e;
        };
        let (kind, message) = match e {
            HostError::Upstream(u) => ("upstream", u.to_string()),
            HostError::Replay(message) => ("replay", message),
            HostError::Message(kind, message) => (kind, message),
        };
        HostError::Message(kind, g.tokenize_message(server, tool, &message))
    }

    fn host_failure(&self, e: HostError, mut record: ToolCallRecord) -> String {
        let (kind, message) = match e {
            HostError::Upstream(e) => ("upstream", e.to_string()),
            HostError::Replay(message) => ("replay", message),
            HostError::Message(kind, message) => (kind, message),
        };
        record.error = Some(CallError {
            kind: kind.into(),
            message: message.clone(),
        });
        self.push(record);
        json!({ "ok": false, "error": { "kind": kind, "message": message } }).to_string()
    }

    /// What argument checks and policy need to know of a tool, fetched and compiled once per
    /// tool per run (compiling the schema dominates a call's own cost). `None`: no such tool.
    async fn checked_tool(
        &self,
        server: &str,
        tool: &str,
    ) -> Result<Option<Arc<CheckedTool>>, HostError> {
        let key = (server.to_owned(), tool.to_owned());
        if let Some(found) = self.checked.lock().ok().and_then(|c| c.get(&key).cloned()) {
            return Ok(found);
        }
        let checked = self.env.host.tool(server, tool).await?.map(|spec| {
            let hint = |name: &str| {
                spec.annotations
                    .as_ref()
                    .and_then(|a| a.get(name))
                    .and_then(serde_json::Value::as_bool)
                    .unwrap_or(false)
            };
            Arc::new(CheckedTool {
                validator: tools::compile(&spec),
                cacheable: hint("readOnlyHint") && hint("idempotentHint"),
                // MCP's defaults: a tool is not read-only, and a tool that is not read-only may
                // be destructive, unless it says otherwise.
                destructive: !hint("readOnlyHint")
                    && spec
                        .annotations
                        .as_ref()
                        .and_then(|a| a.get("destructiveHint"))
                        .and_then(serde_json::Value::as_bool)
                        .unwrap_or(true),
            })
        });
        if let Ok(mut cache) = self.checked.lock() {
            cache.insert(key, checked.clone());
        }
        Ok(checked)
    }

    /// Data-flow rules and the tool policy for one call (asking a human when the policy says
    /// `approve`). `Err` carries the audit decision, the error kind and the message.
    async fn govern(
        &self,
        g: &Governance,
        server: &str,
        tool: &str,
        arguments: &serde_json::Value,
        sources: &std::collections::BTreeSet<String>,
        destructive: bool,
    ) -> Result<Decision, (Decision, &'static str, String)> {
        let destination = format!("{server}.{tool}");
        if let Some((source, rule)) = g.settings.denied_flow(sources, &destination) {
            return Err((
                Decision::FlowDenied,
                "flow_denied",
                format!(
                    "data from {source} may not flow to {destination} (the rule from = \"{}\", to = \"{}\" in [privacy] of skillet.toml); the call was not made",
                    rule.from, rule.to
                ),
            ));
        }
        match g.settings.decision(&destination, destructive) {
            PolicyDecision::Allow => Ok(Decision::Allowed),
            PolicyDecision::Deny => Err((
                Decision::Denied,
                "denied",
                format!(
                    "{destination} is denied by [privacy] tools in skillet.toml; the call was not made"
                ),
            )),
            PolicyDecision::Approve => {
                let Some(approver) = &g.approver else {
                    return Err((
                        Decision::Refused,
                        "denied",
                        format!(
                            "{destination} needs a human's approval, and there is nobody to ask (no terminal under `skillet run`, no elicitation support in the MCP client); the call was not made\nhint: run interactively, use a client that supports elicitation, or change [privacy] tools in skillet.toml"
                        ),
                    ));
                };
                let request = crate::policy::ApprovalRequest {
                    server: server.to_owned(),
                    tool: tool.to_owned(),
                    arguments: arguments.clone(),
                    destructive,
                };
                // Waiting for a person counts against the run's deadline like any wait.
                let asked =
                    tokio::time::timeout_at(self.deadline.into(), approver.approve(request)).await;
                match asked {
                    Ok(Ok(true)) => Ok(Decision::Approved),
                    Ok(Ok(false)) => Err((
                        Decision::Refused,
                        "denied",
                        format!("the call to {destination} was declined by the person asked"),
                    )),
                    Ok(Err(why)) => Err((
                        Decision::Refused,
                        "denied",
                        format!("approval of {destination} could not be asked: {why}"),
                    )),
                    Err(_) => Err((
                        Decision::Refused,
                        "denied",
                        format!("nobody approved {destination} before the run's deadline"),
                    )),
                }
            }
        }
    }

    /// The envelope for a result: its value, a `tool` error for `isError`, or `result_limit`.
    fn answer(&self, server: &str, tool: &str, result: &crate::upstream::ToolResult) -> String {
        if result.is_error {
            let text = result.text();
            let message = format!(
                "{server}.{tool} failed: {}",
                if text.is_empty() {
                    "the tool reported an error without a message"
                } else {
                    &text
                }
            );
            return json!({ "ok": false, "error": { "kind": "tool", "message": message } })
                .to_string();
        }
        let value = tools::result_value(result);
        let text = json!({ "ok": true, "value": value }).to_string();
        if text.len() as u64 > self.limits.max_result_bytes {
            let message = format!(
                "the result of {server}.{tool} is {} bytes, over the {}-byte limit for one result; ask the tool for less (a filter, a page)",
                text.len(),
                self.limits.max_result_bytes
            );
            self.fail(RunError::new(ErrorKind::ResultLimit, message.clone()));
            return json!({ "ok": false, "error": { "kind": "result_limit", "message": message } })
                .to_string();
        }
        text
    }

    fn push(&self, record: ToolCallRecord) {
        if let Ok(mut calls) = self.calls.lock() {
            calls.push(record);
        }
    }

    /// `fs.*` from the script, answered as a JSON envelope.
    pub fn fs(&self, op: &str, args_json: &str) -> String {
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

    /// Records (and audits) the calls still in flight as abandoned: the run ended first.
    pub fn finalize(&self) {
        let abandoned: Vec<_> = match self.in_flight.lock() {
            Ok(mut in_flight) => in_flight.drain().map(|(_, v)| v).collect(),
            Err(_) => return,
        };
        for (mut record, audit) in abandoned {
            record.duration_ms = self.elapsed_ms() - record.started_ms;
            record.error = Some(CallError {
                kind: "abandoned".into(),
                message: "the run ended before the answer came".into(),
            });
            if let Some((log, mut entry)) = audit {
                entry.duration_ms = record.duration_ms;
                log.append(&entry);
            }
            self.push(record);
        }
    }

    pub fn take_calls(&self) -> Vec<ToolCallRecord> {
        let mut calls = self
            .calls
            .lock()
            .map(|mut c| std::mem::take(&mut *c))
            .unwrap_or_default();
        calls.sort_by_key(|c| c.index);
        calls
    }
}
