//! One `callMCPTool` from a script, as the sequence of steps [`RunState::call_tool`] takes:
//!
//! 1. [`RunState::admit`]: the run is not over, the call limit, an arguments object;
//! 2. [`RunState::restore_arguments`]: tokens back to values for the server (the record keeps
//!    the script's view, with tokens), and the call's audit draft;
//! 3. whether a record (replay, resume) answers the call, decided once, here
//!    (`ToolHost::answer_from_record`): such a call is neither checked nor sent;
//! 4. [`RunState::check`]: tokens of a resumed record, the tool's existence and input schema,
//!    data flows and the tool policy (asking a person), all before anything is sent;
//! 5. [`RunState::answer_from_cache`]: an identical read-only call answered before;
//! 6. [`RunState::send_or_answer_from_record`]: the call is out (in flight) until answered;
//! 7. [`RunState::take_answer`]: the audit line, the result tokenized, cached and recorded.
//!
//! The governance steps themselves (restoring, flows, policy, approval, tokenizing, the audit
//! line) are in [`super::governance`]; this file orders them and keeps the run's books: every
//! call gets a record (and, when audited, an audit line) however it ends, and a call still out
//! (or waiting for its server to start or for a person) when the run ends is recorded and
//! audited as `abandoned` by [`RunState::finalize`].

use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use serde_json::{Map, Value};

use super::governance::{self, AuditDraft, Governance, Refusal};
use super::state::RunState;
use super::tools::{self, CallError, CallSource, HostError, ToolCallRecord};
use super::{ErrorKind, RunError};
use crate::audit::{AuditLog, Decision, Entry};
use crate::codegen::write_canonical_json;
use crate::tool::ToolResult;
use crate::upstream::CallEvent;

/// A tool's compiled input schema.
type CompiledSchema = Arc<jsonschema::Validator>;

/// Each tool's checks, by server and tool; `None` for a tool the server does not have.
pub(super) type CheckedTools = Vec<(String, String, Option<Arc<CheckedTool>>)>;

/// A call's record and audit entry, kept while it is out.
pub(super) type InFlight = (ToolCallRecord, Option<(Arc<AuditLog>, Entry)>);

/// A tool as argument checks and policy see it.
pub(super) struct CheckedTool {
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

    /// A call whose run ended while it waited: [`RunState::finalize`] recorded it.
    fn abandoned() -> Self {
        Self::new("abandoned", "the run ended".into())
    }
}

/// The key of a cacheable call: server, tool and the arguments' canonical JSON.
fn cache_key(server: &str, tool: &str, arguments: &Value) -> String {
    let mut key = Vec::with_capacity(server.len() + tool.len() + 64);
    key.extend_from_slice(server.as_bytes());
    key.push(0);
    key.extend_from_slice(tool.as_bytes());
    key.push(0);
    write_canonical_json(arguments, &mut key);
    String::from_utf8_lossy(&key).into_owned()
}

/// One call on its way, before it is sent.
struct Call {
    index: usize,
    server: String,
    tool: String,
    /// The script's arguments, with tokens: what the record keeps and the cache is keyed by.
    arguments: Value,
    /// The arguments with tokens restored (only when the run is governed).
    restored: Option<Value>,
    /// The sources (`server.tool`) of the restored values, for the flow rules.
    sources: BTreeSet<String>,
    /// Milliseconds into the run.
    started_ms: f64,
    audit: Option<AuditDraft>,
}

impl Call {
    /// What goes to the server: the restored arguments, or the script's.
    fn sent(&self) -> &Value {
        self.restored.as_ref().unwrap_or(&self.arguments)
    }

    /// The call's record as of now, keeping the call (a copy of the arguments).
    fn record(&self, state: &RunState, source: CallSource) -> ToolCallRecord {
        ToolCallRecord {
            index: self.index,
            server: self.server.clone(),
            tool: self.tool.clone(),
            arguments: self.arguments.clone(),
            result: None,
            error: None,
            started_ms: self.started_ms,
            duration_ms: state.elapsed_ms() - self.started_ms,
            source,
        }
    }
}

/// Why a call stops before it is sent, and so what is written of it.
enum Stop {
    /// Refused by governance: an audit line (`not_called`) and a record with the error.
    Refused(Refusal),
    /// No such tool, or its server failed: a record with the error.
    Failed(&'static str, String),
    /// Nothing to write: arguments that fail the schema, or a call the end of the run has
    /// recorded already.
    Unrecorded(CallFailure),
}

/// What the checks let through: the audit decision and whether the answer may be cached.
struct Cleared {
    decision: Decision,
    cacheable: bool,
}

/// A call's result, with what decides how it is audited and cached.
struct Answered {
    decision: Decision,
    result: ToolResult,
    source: CallSource,
    /// The cache key of a cacheable call.
    key: Option<String>,
}

/// The answer of a call that was out: from the host (live, or the record, with where it came
/// from), a host failure, or the run's deadline.
type Outcome = Result<Result<(ToolResult, CallSource), HostError>, tokio::time::error::Elapsed>;

impl RunState {
    /// One `callMCPTool`: the JSON text of the value the script receives, or why it failed.
    ///
    /// This runs between one answer and the next request of a script that calls tools in a
    /// loop, so it stays lean: the arguments are cloned once (for the server; the record keeps
    /// the script's own), the record is built once, and the audit line only when auditing.
    pub(super) async fn call_tool(
        self: Arc<Self>,
        server: String,
        tool: String,
        arguments: Value,
    ) -> Result<String, CallFailure> {
        let index = self.admit(&server, &tool, &arguments)?;
        let governance = self.env.governance.clone();
        let call = self.restore_arguments(governance.as_deref(), index, server, tool, arguments);
        // Whether a record (replay, resume) answers the call is decided once, here: such a call
        // is neither checked nor sent; any other is checked before it is sent.
        let recorded = call.arguments.as_object().and_then(|map| {
            self.env
                .host
                .answer_from_record(index, &call.server, &call.tool, map)
        });
        let cleared = match recorded {
            Some(_) => Cleared {
                decision: Decision::Allowed,
                cacheable: false,
            },
            None => match self.check(&call, governance.as_deref()).await {
                Ok(cleared) => cleared,
                Err(stop) => return Err(self.stop(call, stop)),
            },
        };
        let key = cleared
            .cacheable
            .then(|| cache_key(&call.server, &call.tool, &call.arguments));
        if let Some(cached) = key.as_deref().and_then(|key| self.cached(key)) {
            return self.answer_from_cache(call, cleared.decision, cached);
        }
        let answered_by = if recorded.is_some() {
            CallSource::Record
        } else {
            CallSource::Live
        };
        // Out until answered; then audited, tokenized and recorded.
        let (record, audit, outcome) = self
            .send_or_answer_from_record(call, recorded, cleared.decision)
            .await?;
        self.take_answer(
            record,
            audit.as_ref(),
            cleared.decision,
            answered_by,
            outcome,
            key,
            governance.as_deref(),
        )
    }

    /// Step 1: the call's index, unless the run is over (nothing leaves it then: a script that
    /// caught its timeout, say), the call limit is passed (which ends the run), or the
    /// arguments are not an object. None of these is recorded.
    fn admit(&self, server: &str, tool: &str, arguments: &Value) -> Result<usize, CallFailure> {
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
        Ok(index)
    }

    /// Step 2: the call, with its arguments restored for the server when the run is governed
    /// ([`Governance::restore_arguments`]), its start time and its audit draft (digesting what
    /// is sent).
    fn restore_arguments(
        &self,
        governance: Option<&Governance>,
        index: usize,
        server: String,
        tool: String,
        arguments: Value,
    ) -> Call {
        let (restored, sources) = match (governance, arguments.as_object()) {
            (Some(g), Some(map)) => {
                let (map, sources) = g.restore_arguments(map);
                (Some(Value::Object(map)), sources)
            }
            _ => (None, BTreeSet::new()),
        };
        let mut call = Call {
            index,
            server,
            tool,
            arguments,
            restored,
            sources,
            started_ms: self.elapsed_ms(),
            audit: None,
        };
        call.audit = governance.and_then(|g| g.audit_draft(&call.server, &call.tool, call.sent()));
        call
    }

    /// Step 4: everything checked before a call that no record answers is sent: tokens of a
    /// resumed record, the tool (fetched once per run), its input schema, then data flows and
    /// the tool policy.
    async fn check(&self, call: &Call, governance: Option<&Governance>) -> Result<Cleared, Stop> {
        if let Some(g) = governance {
            g.check_resumed_tokens(&call.server, &call.tool, &call.arguments)
                .map_err(Stop::Refused)?;
        }
        let checked = self.tool_checks(call, governance).await?;
        check_arguments(call, &checked, governance)?;
        let decision = match governance {
            Some(g) => self.govern(call, g, checked.destructive).await?,
            None => Decision::Allowed,
        };
        Ok(Cleared {
            decision,
            cacheable: checked.cacheable,
        })
    }

    /// What argument checks and policy need to know of the called tool; a call that has to wait
    /// for it (its server starting) is in flight meanwhile.
    async fn tool_checks(
        &self,
        call: &Call,
        governance: Option<&Governance>,
    ) -> Result<Arc<CheckedTool>, Stop> {
        let (server, tool) = (&call.server, &call.tool);
        let checked = match self.known_checked(server, tool) {
            Some(known) => Ok(known),
            None => {
                self.wait_for_decision(call);
                let checked = self.checked_tool(server, tool).await;
                if !self.decided(call.index) {
                    return Err(Stop::Unrecorded(CallFailure::abandoned()));
                }
                checked
            }
        };
        match checked {
            Ok(Some(checked)) => Ok(checked),
            Ok(None) => Err(Stop::Failed(
                "tool",
                format!(
                    "server `{server}` has no tool `{tool}`\nhint: the tools of a server are listed in servers/{server}/index.ts"
                ),
            )),
            Err(e) => {
                let (kind, message) = governance::failure_text(governance, server, tool, e);
                Err(Stop::Failed(kind, message))
            }
        }
    }

    /// Flows and policy ([`Governance::govern`]); a call that asks a person is in flight while
    /// it waits.
    async fn govern(
        &self,
        call: &Call,
        g: &Governance,
        destructive: bool,
    ) -> Result<Decision, Stop> {
        let asks = g.asks_approval(&call.server, &call.tool, destructive);
        if asks {
            self.wait_for_decision(call);
        }
        let governed = g
            .govern(
                &call.server,
                &call.tool,
                &call.arguments,
                &call.sources,
                destructive,
                self.deadline,
            )
            .await;
        if asks && !self.decided(call.index) {
            return Err(Stop::Unrecorded(CallFailure::abandoned()));
        }
        governed.map_err(Stop::Refused)
    }

    /// A call still waiting to be decided when the run ends (its server is starting, a person
    /// is asked) is recorded and audited as abandoned, undecided. Only a call that waits pays
    /// for this.
    fn wait_for_decision(&self, call: &Call) {
        let audit = call
            .audit
            .as_ref()
            .map(|a| a.abandoned(Decision::Undecided, None));
        let record = call.record(self, CallSource::Live);
        if let Ok(mut in_flight) = self.in_flight.lock() {
            in_flight.insert(call.index, (record, audit));
        }
    }

    /// Whether the call was still waiting when its wait ended; not when the run has ended.
    fn decided(&self, index: usize) -> bool {
        self.in_flight
            .lock()
            .is_ok_and(|mut f| f.remove(&index).is_some())
    }

    /// Writes what a call stopped before it was sent leaves (see [`Stop`]), and says why to the
    /// script.
    fn stop(&self, call: Call, stop: Stop) -> CallFailure {
        let (kind, message) = match stop {
            Stop::Unrecorded(failure) => return failure,
            Stop::Failed(kind, message) => (kind, message),
            Stop::Refused(refusal) => {
                let record = call.record(self, CallSource::Live);
                if let Some(audit) = &call.audit {
                    let duration_ms = self.elapsed_ms() - call.started_ms;
                    audit.audit(refusal.decision, None, "not_called", None, duration_ms);
                }
                return self.record_failure(record, refusal.kind, refusal.message);
            }
        };
        let record = call.record(self, CallSource::Live);
        self.record_failure(record, kind, message)
    }

    /// Step 5: the recorded answer of an identical earlier call, for a cacheable call.
    fn cached(&self, key: &str) -> Option<ToolResult> {
        let at = *self.cache.lock().ok()?.get(key)?;
        self.calls.lock().ok()?.get(at)?.result.clone()
    }

    /// Step 5: answers the call from the cache: audited and recorded as answered by it.
    fn answer_from_cache(
        &self,
        call: Call,
        decision: Decision,
        cached: ToolResult,
    ) -> Result<String, CallFailure> {
        if let Some(audit) = &call.audit {
            let duration_ms = self.elapsed_ms() - call.started_ms;
            audit.audit(
                decision,
                Some(&cached),
                "ok",
                Some(CallSource::Cache),
                duration_ms,
            );
        }
        let answer = self.answer(&call.server, &call.tool, &cached, false);
        let mut record = call.record(self, CallSource::Cache);
        record.result = Some(cached);
        self.push(record);
        answer
    }

    /// Step 6: the call is out until answered, live (within the concurrency limit and the
    /// deadline) or from the record; meanwhile it is in flight, so that a run ending first
    /// records and audits it as abandoned. Gives back its record (the call's arguments move
    /// into it), its audit draft and the outcome; `Err` when the run was finalized while it was
    /// out (it is recorded already).
    async fn send_or_answer_from_record(
        &self,
        call: Call,
        recorded: Option<Result<ToolResult, HostError>>,
        decision: Decision,
    ) -> Result<(ToolCallRecord, Option<AuditDraft>, Outcome), CallFailure> {
        let answered_by = if recorded.is_some() {
            CallSource::Record
        } else {
            CallSource::Live
        };
        let Call {
            index,
            server,
            tool,
            arguments,
            restored,
            started_ms,
            audit,
            ..
        } = call;
        // What goes to the server: the restored arguments, or a copy of the script's.
        let to_send = match restored {
            _ if recorded.is_some() => Map::new(),
            Some(Value::Object(map)) => map,
            _ => arguments.as_object().cloned().unwrap_or_default(),
        };
        if let Ok(mut in_flight) = self.in_flight.lock() {
            let abandoned = audit
                .as_ref()
                .map(|a| a.abandoned(decision, Some(answered_by)));
            let record = ToolCallRecord {
                index,
                server: server.clone(),
                tool: tool.clone(),
                arguments,
                result: None,
                error: None,
                started_ms,
                duration_ms: self.elapsed_ms() - started_ms,
                source: answered_by,
            };
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
            return Err(CallFailure::abandoned());
        };
        record.duration_ms = self.elapsed_ms() - started_ms;
        Ok((record, audit, outcome))
    }

    /// A call sent to the host, within the concurrency limit and the run's deadline.
    async fn call_live(
        &self,
        index: usize,
        server: &str,
        tool: &str,
        arguments: Map<String, Value>,
    ) -> Outcome {
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

    /// Step 7: what the script gets of the outcome, with the audit line and the record: the
    /// result ([`RunState::record_answer`]), or no answer: the deadline (which ends the run) or
    /// a host failure (tokenized), audited as `error`.
    #[allow(clippy::too_many_arguments)]
    fn take_answer(
        &self,
        record: ToolCallRecord,
        audit: Option<&AuditDraft>,
        decision: Decision,
        answered_by: CallSource,
        outcome: Outcome,
        key: Option<String>,
        governance: Option<&Governance>,
    ) -> Result<String, CallFailure> {
        if answered_by == CallSource::Live {
            self.audit_events(record.index, audit, decision);
        }
        let failure = match outcome {
            Ok(Ok((result, source))) => {
                let answered = Answered {
                    decision,
                    result,
                    source,
                    key,
                };
                return self.record_answer(record, audit, answered, governance);
            }
            Ok(Err(e)) => Some(e),
            Err(_) => None,
        };
        // No answer (the deadline, or a host failure): one audit line says so.
        if let Some(audit) = audit {
            let duration_ms = self.elapsed_ms() - record.started_ms;
            audit.audit(decision, None, "error", Some(answered_by), duration_ms);
        }
        let (kind, message) = match failure {
            Some(e) => governance::failure_text(governance, &record.server, &record.tool, e),
            None => {
                let message = format!(
                    "the run's deadline of {} ms passed while waiting on {}.{}",
                    self.limits.timeout_ms, record.server, record.tool
                );
                self.fail(RunError::new(ErrorKind::Timeout, message.clone()));
                ("timeout", message)
            }
        };
        Err(self.record_failure(record, kind, message))
    }

    /// A line for each retry and elicitation of the call (the host's events), before its own.
    fn audit_events(&self, index: usize, audit: Option<&AuditDraft>, decision: Decision) {
        let events = self.env.host.take_events(index);
        let Some(audit) = audit else {
            return;
        };
        for event in events {
            let event = match event {
                CallEvent::Retry {
                    attempt,
                    reason,
                    wait,
                } => crate::audit::Event::Retry {
                    attempt,
                    reason,
                    wait_ms: u64::try_from(wait.as_millis()).unwrap_or(u64::MAX),
                },
                CallEvent::Elicitation {
                    message,
                    action,
                    note,
                } => crate::audit::Event::Elicitation {
                    message,
                    action: action.as_str().to_owned(),
                    answered: note.is_none(),
                },
            };
            audit.audit_event(decision, event);
        }
    }

    /// A result: audited as it came, then tokenized ([`Governance::tokenize_result`]), cached
    /// when the call is cacheable and the result no error, and recorded with where it came
    /// from.
    fn record_answer(
        &self,
        mut record: ToolCallRecord,
        audit: Option<&AuditDraft>,
        answered: Answered,
        governance: Option<&Governance>,
    ) -> Result<String, CallFailure> {
        let Answered {
            decision,
            result,
            source,
            key,
        } = answered;
        if let Some(audit) = audit {
            let outcome = if result.is_error { "tool_error" } else { "ok" };
            let duration_ms = self.elapsed_ms() - record.started_ms;
            audit.audit(decision, Some(&result), outcome, Some(source), duration_ms);
        }
        let (result, text_is_json) = match governance {
            Some(g) => g.tokenize_result(&record.server, &record.tool, result),
            None => (result, false),
        };
        let cacheable = !result.is_error;
        let answer = self.answer(&record.server, &record.tool, &result, text_is_json);
        record.result = Some(result);
        record.source = source;
        let at = self.push(record);
        if cacheable
            && let (Some(key), Some(at)) = (key, at)
            && let Ok(mut cache) = self.cache.lock()
        {
            cache.insert(key, at);
        }
        answer
    }

    /// Records a call that failed with its error, and says why to the script.
    fn record_failure(
        &self,
        mut record: ToolCallRecord,
        kind: &'static str,
        message: String,
    ) -> CallFailure {
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
                    .and_then(Value::as_bool)
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
                        .and_then(Value::as_bool)
                        .unwrap_or(true),
            })
        });
        if let Ok(mut cache) = self.checked.lock() {
            cache.push((server.to_owned(), tool.to_owned(), checked.clone()));
        }
        Ok(checked)
    }

    /// The JSON text of a result's value, a `tool` failure for `isError`, or `result_limit`.
    /// `text_is_json`: the result's one text block is the compact JSON of its structured
    /// content (the script's value), known from tokenizing it.
    fn answer(
        &self,
        server: &str,
        tool: &str,
        result: &ToolResult,
        text_is_json: bool,
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
        let known = text_is_json
            .then(|| result.content.first())
            .flatten()
            .and_then(|block| block.get("text"))
            .and_then(serde_json::Value::as_str);
        let text = match known {
            Some(text) => text.to_owned(),
            None => tools::result_json(result),
        };
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

    /// Records (and audits) the calls still in flight as abandoned: the run ended first.
    pub(super) fn finalize(&self) {
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
}

/// The arguments against the tool's input schema (what is sent: restored values included);
/// the violations quote values, so they are tokenized for the script. Not recorded.
fn check_arguments(
    call: &Call,
    checked: &CheckedTool,
    governance: Option<&Governance>,
) -> Result<(), Stop> {
    let Some(validator) = checked.validator.as_deref() else {
        return Ok(());
    };
    let Err(violations) = tools::check_with(validator, call.sent()) else {
        return Ok(());
    };
    let violations = match governance {
        Some(g) => g.tokenize_violations(&call.server, &call.tool, violations),
        None => violations,
    };
    let message = format!(
        "arguments of {}.{} do not match its input schema:\n  - {}",
        call.server,
        call.tool,
        violations.join("\n  - ")
    );
    Err(Stop::Unrecorded(CallFailure {
        kind: "tool_argument",
        message,
        violations: Some(violations),
    }))
}
