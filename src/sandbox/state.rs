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
use crate::codegen::write_canonical_json;
use crate::policy::Decision as PolicyDecision;

/// A tool's compiled input schema.
type CompiledSchema = Arc<jsonschema::Validator>;

/// Each tool's checks, by server and tool; `None` for a tool the server does not have.
type CheckedTools = Vec<(String, String, Option<Arc<CheckedTool>>)>;

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

/// Why a call failed, as the script sees it: the kind (which picks the error class), the
/// message, and for `tool_argument` the schema violations.
#[derive(Debug)]
pub(crate) struct CallFailure {
    pub kind: &'static str,
    pub message: String,
    pub violations: Option<Vec<String>>,
}

impl CallFailure {
    fn new(kind: &'static str, message: String) -> Self {
        Self {
            kind,
            message,
            violations: None,
        }
    }
}

/// The key of a cacheable call: server, tool and the arguments' canonical JSON.
fn cache_key(server: &str, tool: &str, arguments: &serde_json::Value) -> String {
    let mut key = Vec::with_capacity(server.len() + tool.len() + 64);
    key.extend_from_slice(server.as_bytes());
    key.push(0);
    key.extend_from_slice(tool.as_bytes());
    key.push(0);
    write_canonical_json(arguments, &mut key);
    String::from_utf8_lossy(&key).into_owned()
}

/// A call's audit line as far as it is known before the answer: who, and what was sent.
struct AuditDraft {
    log: Arc<crate::audit::AuditLog>,
    run: String,
    server: String,
    tool: String,
    args_bytes: usize,
    args_sha256: String,
}

impl AuditDraft {
    fn new(
        log: &Arc<crate::audit::AuditLog>,
        run: &str,
        server: &str,
        tool: &str,
        sent: &serde_json::Value,
    ) -> Self {
        let (args_bytes, args_sha256) = crate::audit::digest(sent);
        Self {
            log: Arc::clone(log),
            run: run.to_owned(),
            server: server.to_owned(),
            tool: tool.to_owned(),
            args_bytes,
            args_sha256,
        }
    }

    fn entry(
        &self,
        decision: Decision,
        result: Option<&crate::upstream::ToolResult>,
        outcome: &str,
        source: Option<CallSource>,
        duration_ms: f64,
    ) -> crate::audit::Entry {
        let digest = result.map(crate::audit::digest);
        crate::audit::Entry {
            time: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            run: self.run.clone(),
            server: self.server.clone(),
            tool: self.tool.clone(),
            decision,
            args_bytes: self.args_bytes,
            args_sha256: self.args_sha256.clone(),
            result_bytes: digest.as_ref().map(|d| d.0),
            result_sha256: digest.map(|d| d.1),
            duration_ms,
            outcome: outcome.to_owned(),
            source: source.map(|s| s.as_str().to_owned()),
        }
    }

    /// Writes the line of a call that started at `started_ms` into the run.
    fn append(
        &self,
        decision: Decision,
        result: Option<&crate::upstream::ToolResult>,
        outcome: &str,
        source: Option<CallSource>,
        started_ms: f64,
        state: &RunState,
    ) {
        let entry = self.entry(
            decision,
            result,
            outcome,
            source,
            state.elapsed_ms() - started_ms,
        );
        self.log.append(&entry);
    }
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
    /// Cancelled with `stop`: ends a run that is waiting (not running JavaScript) at once.
    pub stopped: tokio_util::sync::CancellationToken,
    fatal: Mutex<Option<RunError>>,
    /// Source maps of every module loaded, by module name.
    pub modules: Mutex<HashMap<String, Arc<Transpiled>>>,
    /// The first import that failed, with why.
    pub import_error: Mutex<Option<RunError>>,
    /// Read-only, idempotent calls that were answered, by [`cache_key`]: the index of the
    /// call whose record holds the answer.
    cache: Mutex<HashMap<String, usize>>,
    /// Compiled input schemas, by server and tool.
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
        self.stopped.cancel();
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

    /// One `callMCPTool`: the JSON text of the value the script receives, or why it failed.
    ///
    /// This runs between one answer and the next request of a script that calls tools in a
    /// loop, so it stays lean: the arguments are cloned once (for the server; the record keeps
    /// the script's own), the record is built once, and the audit line only when auditing.
    pub async fn call_tool(
        self: Arc<Self>,
        server: String,
        tool: String,
        arguments: serde_json::Value,
    ) -> Result<String, CallFailure> {
        // Nothing leaves a run that is over (a script that caught its timeout, say).
        if self.should_stop() {
            return Err(CallFailure::new(
                self.fatal().map_or("timeout", |f| f.kind.as_str()),
                format!("the run is over; {server}.{tool} was not called"),
            ));
        }
        let index = self.calls_started.fetch_add(1, Ordering::Relaxed);
        if index as u64 >= self.limits.max_tool_calls {
            let message = format!(
                "the run made more than {} tool calls (the limit); batch the work or raise --max-tool-calls",
                self.limits.max_tool_calls
            );
            self.fail(RunError::new(ErrorKind::CallLimit, message.clone()));
            return Err(CallFailure::new("call_limit", message));
        }
        if !arguments.is_object() {
            return Err(CallFailure {
                kind: "tool_argument",
                message: format!("arguments of {server}.{tool} must be an object"),
                violations: Some(vec!["arguments must be an object".into()]),
            });
        }
        // Tokens of personal data go back to their values on the way to the server; the record
        // keeps the script's view, with tokens.
        let governance = self.env.governance.clone();
        let (restored, sources) = match (&governance, arguments.as_object()) {
            (Some(g), Some(map)) => {
                let (map, sources) = g.restore(map);
                (Some(serde_json::Value::Object(map)), sources)
            }
            _ => (None, std::collections::BTreeSet::new()),
        };
        let sent = restored.as_ref().unwrap_or(&arguments);
        let started_ms = self.elapsed_ms();
        let audit = governance
            .as_ref()
            .and_then(|g| g.audit.as_ref())
            .map(|(log, run)| AuditDraft::new(log, run, &server, &tool, sent));
        let new_record = |server: String,
                          tool: String,
                          arguments: serde_json::Value,
                          error: Option<CallError>,
                          source: CallSource| ToolCallRecord {
            index,
            server,
            tool,
            arguments,
            result: None,
            error,
            started_ms,
            duration_ms: self.elapsed_ms() - started_ms,
            source,
        };

        // A record (replay, resume) may answer the call: then nothing is sent or checked.
        let recorded = arguments
            .as_object()
            .and_then(|map| self.env.host.answer_from_record(index, &server, &tool, map));
        // Check the arguments, the flow of data and the tool policy before anything is sent.
        let mut cacheable = false;
        let mut decision = Decision::Allowed;
        let answered_by = if recorded.is_some() {
            CallSource::Record
        } else {
            CallSource::Live
        };
        // A call still waiting to be decided when the run ends (its server is starting, a
        // person is asked) is recorded and audited as abandoned, undecided. Only a call that
        // waits pays for this.
        let wait = || {
            let audit = audit.as_ref().map(|a| {
                let entry = a.entry(Decision::Undecided, None, "abandoned", None, 0.0);
                (Arc::clone(&a.log), entry)
            });
            let record = new_record(
                server.clone(),
                tool.clone(),
                arguments.clone(),
                None,
                CallSource::Live,
            );
            if let Ok(mut in_flight) = self.in_flight.lock() {
                in_flight.insert(index, (record, audit));
            }
        };
        // Whether the call was still waiting when its wait ended; not when the run has ended.
        let waited = || {
            self.in_flight
                .lock()
                .is_ok_and(|mut f| f.remove(&index).is_some())
        };
        let abandoned = || Err(CallFailure::new("abandoned", "the run ended".into()));
        // A resumed run's script may hold tokens from the record, whose values were not kept:
        // sent as they are, a tool would get `[EMAIL_1]` for an address.
        if recorded.is_none()
            && let Some(token) = governance
                .as_ref()
                .and_then(|g| g.foreign_token_in(&arguments))
        {
            let message = format!(
                "the arguments of {server}.{tool} carry {token}, a token from the record this run resumes: the personal data behind it was not kept, so the call cannot be made with it\nhint: run the script again without --resume"
            );
            let record = new_record(server, tool, arguments, None, CallSource::Live);
            return Err(self.refuse(
                audit.as_ref(),
                Decision::Denied,
                started_ms,
                record,
                "replay",
                message,
            ));
        }
        if recorded.is_none() {
            let checked = match self.known_checked(&server, &tool) {
                Some(known) => Ok(known),
                None => {
                    wait();
                    let checked = self.checked_tool(&server, &tool).await;
                    if !waited() {
                        return abandoned();
                    }
                    checked
                }
            };
            match checked {
                Ok(Some(checked)) => {
                    if let Some(validator) = checked.validator.as_deref()
                        && let Err(violations) = tools::check_with(validator, sent)
                    {
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
                        return Err(CallFailure {
                            kind: "tool_argument",
                            message,
                            violations: Some(violations),
                        });
                    }
                    cacheable = checked.cacheable;
                    if let Some(g) = &governance {
                        let asks = g.approver.is_some()
                            && g.settings
                                .decision(&format!("{server}.{tool}"), checked.destructive)
                                == PolicyDecision::Approve;
                        if asks {
                            wait();
                        }
                        let governed = self
                            .govern(g, &server, &tool, &arguments, &sources, checked.destructive)
                            .await;
                        if asks && !waited() {
                            return abandoned();
                        }
                        match governed {
                            Ok(d) => decision = d,
                            Err((d, kind, message)) => {
                                let record =
                                    new_record(server, tool, arguments, None, CallSource::Live);
                                return Err(self.refuse(
                                    audit.as_ref(),
                                    d,
                                    started_ms,
                                    record,
                                    kind,
                                    message,
                                ));
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
                    self.push(new_record(
                        server,
                        tool,
                        arguments,
                        Some(error),
                        CallSource::Live,
                    ));
                    return Err(CallFailure::new("tool", message));
                }
                Err(e) => {
                    let e = self.tokenized_failure(governance.as_deref(), &server, &tool, e);
                    let record = new_record(
                        server.clone(),
                        tool.clone(),
                        arguments,
                        None,
                        CallSource::Live,
                    );
                    return Err(self.host_failure(e, record));
                }
            }
        }
        let key = cacheable.then(|| cache_key(&server, &tool, &arguments));
        if let Some(key) = &key
            && let Some(cached) = self.cached(key)
        {
            if let Some(audit) = &audit {
                audit.append(
                    decision,
                    Some(&cached),
                    "ok",
                    Some(CallSource::Cache),
                    started_ms,
                    &self,
                );
            }
            let answer = self.answer(&server, &tool, &cached);
            let mut record = new_record(server, tool, arguments, None, CallSource::Cache);
            record.result = Some(cached);
            self.push(record);
            return answer;
        }

        // What goes to the server: the restored arguments, or a copy of the script's.
        let to_send = match restored {
            _ if recorded.is_some() => serde_json::Map::new(),
            Some(serde_json::Value::Object(map)) => map,
            _ => arguments.as_object().cloned().unwrap_or_default(),
        };
        // A call still in flight when the run ends is recorded (and audited) as abandoned.
        if let Ok(mut in_flight) = self.in_flight.lock() {
            let abandoned = audit.as_ref().map(|a| {
                let entry = a.entry(decision, None, "abandoned", Some(answered_by), 0.0);
                (Arc::clone(&a.log), entry)
            });
            let record = new_record(server.clone(), tool.clone(), arguments, None, answered_by);
            in_flight.insert(index, (record, abandoned));
        }
        let outcome = match recorded {
            Some(answer) => Ok(answer.map(|result| (result, CallSource::Record))),
            None => self.call_live(index, &server, &tool, to_send).await,
        };
        let taken = self
            .in_flight
            .lock()
            .ok()
            .and_then(|mut f| f.remove(&index));
        let Some((mut record, _)) = taken else {
            // The run was finalized while this call was out: it is recorded already.
            return Err(CallFailure::new("abandoned", "the run ended".into()));
        };
        record.duration_ms = self.elapsed_ms() - started_ms;
        // No answer (the deadline, or a host failure): one audit line says so.
        if !matches!(outcome, Ok(Ok(_)))
            && let Some(audit) = &audit
        {
            audit.append(
                decision,
                None,
                "error",
                Some(answered_by),
                started_ms,
                &self,
            );
        }
        match outcome {
            Err(_) => {
                let message = format!(
                    "the run's deadline of {} ms passed while waiting on {server}.{tool}",
                    self.limits.timeout_ms
                );
                self.fail(RunError::new(ErrorKind::Timeout, message.clone()));
                record.error = Some(CallError {
                    kind: "timeout".into(),
                    message: message.clone(),
                });
                self.push(record);
                Err(CallFailure::new("timeout", message))
            }
            Ok(Err(e)) => {
                let e = self.tokenized_failure(governance.as_deref(), &server, &tool, e);
                Err(self.host_failure(e, record))
            }
            Ok(Ok((result, source))) => {
                if let Some(audit) = &audit {
                    let outcome = if result.is_error { "tool_error" } else { "ok" };
                    audit.append(
                        decision,
                        Some(&result),
                        outcome,
                        Some(source),
                        started_ms,
                        &self,
                    );
                }
                let result = match &governance {
                    Some(g) => g.tokenize(&server, &tool, result),
                    None => result,
                };
                if let Some(key) = key
                    && !result.is_error
                    && let Ok(mut cache) = self.cache.lock()
                {
                    cache.insert(key, index);
                }
                let answer = self.answer(&server, &tool, &result);
                record.result = Some(result);
                record.source = source;
                self.push(record);
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

    /// A call refused before it was sent: audited as not called, recorded with its error.
    fn refuse(
        &self,
        audit: Option<&AuditDraft>,
        decision: Decision,
        started_ms: f64,
        mut record: ToolCallRecord,
        kind: &'static str,
        message: String,
    ) -> CallFailure {
        if let Some(audit) = audit {
            audit.append(decision, None, "not_called", None, started_ms, self);
        }
        record.error = Some(CallError {
            kind: kind.into(),
            message: message.clone(),
        });
        self.push(record);
        CallFailure::new(kind, message)
    }

    /// A call sent to the host, within the concurrency limit and the run's deadline.
    async fn call_live(
        &self,
        index: usize,
        server: &str,
        tool: &str,
        arguments: serde_json::Map<String, serde_json::Value>,
    ) -> Result<
        Result<(crate::upstream::ToolResult, CallSource), HostError>,
        tokio::time::error::Elapsed,
    > {
        let Ok(_permit) = self.semaphore.acquire().await else {
            return Ok(Err(HostError::Message(
                "internal",
                "the call semaphore closed".into(),
            )));
        };
        tokio::time::timeout_at(
            self.deadline.into(),
            self.env.host.call(index, server, tool, arguments),
        )
        .await
    }

    fn host_failure(&self, e: HostError, mut record: ToolCallRecord) -> CallFailure {
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
        CallFailure::new(kind, message)
    }

    /// The checks of a tool this run has fetched already.
    fn known_checked(&self, server: &str, tool: &str) -> Option<Option<Arc<CheckedTool>>> {
        // A run calls few distinct tools: a scan beats hashing two strings per call.
        self.checked.lock().ok().and_then(|c| {
            c.iter()
                .find(|(s, t, _)| s == server && t == tool)
                .map(|(_, _, checked)| checked.clone())
        })
    }

    /// What argument checks and policy need to know of a tool, fetched and compiled once per
    /// tool per run (compiling the schema dominates a call's own cost). `None`: no such tool.
    async fn checked_tool(
        &self,
        server: &str,
        tool: &str,
    ) -> Result<Option<Arc<CheckedTool>>, HostError> {
        if let Some(found) = self.known_checked(server, tool) {
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
            cache.push((server.to_owned(), tool.to_owned(), checked.clone()));
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

    /// The JSON text of a result's value, a `tool` failure for `isError`, or `result_limit`.
    fn answer(
        &self,
        server: &str,
        tool: &str,
        result: &crate::upstream::ToolResult,
    ) -> Result<String, CallFailure> {
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
            return Err(CallFailure::new("tool", message));
        }
        let text = tools::result_json(result);
        if text.len() as u64 > self.limits.max_result_bytes {
            let message = format!(
                "the result of {server}.{tool} is {} bytes, over the {}-byte limit for one result; ask the tool for less (a filter, a page)",
                text.len(),
                self.limits.max_result_bytes
            );
            self.fail(RunError::new(ErrorKind::ResultLimit, message.clone()));
            return Err(CallFailure::new("result_limit", message));
        }
        Ok(text)
    }

    /// The recorded answer of an identical earlier call, for a cacheable call.
    fn cached(&self, key: &str) -> Option<crate::upstream::ToolResult> {
        let index = *self.cache.lock().ok()?.get(key)?;
        let calls = self.calls.lock().ok()?;
        calls
            .iter()
            .rev()
            .find(|c| c.index == index)
            .and_then(|c| c.result.clone())
    }

    fn push(&self, record: ToolCallRecord) {
        if let Ok(mut calls) = self.calls.lock() {
            calls.push(record);
        }
    }

    /// `fs.*` from the script, answered as a JSON envelope.
    pub fn fs(&self, op: &str, args_json: &str) -> String {
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
                message: "the run ended before the call was answered".into(),
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
