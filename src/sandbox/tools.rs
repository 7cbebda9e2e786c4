//! How the sandbox reaches tools: the [`ToolHost`] trait (live servers, or a recording), the
//! record of each call, argument checking against the tool's input schema, and the mapping of
//! an MCP result into the value a script receives.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex};

use futures::future::BoxFuture;
use serde::{Deserialize, Serialize};

use crate::tool::{ToolResult, ToolSpec};
use crate::upstream::{CallContext, CallEvent, Elicitor, Events, UpstreamError, UpstreamPool};

/// Where an answer came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CallSource {
    /// The live server.
    Live,
    /// An identical read-only call earlier in the same run.
    Cache,
    /// The record of an earlier run (`--replay`, or the first part of `--resume`).
    Record,
}

impl CallSource {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Live => "live",
            Self::Cache => "cache",
            Self::Record => "record",
        }
    }
}

/// Why a host could not answer.
#[derive(Debug, Clone)]
pub enum HostError {
    Upstream(UpstreamError),
    /// The script made a call the recording does not hold.
    Replay(String),
    /// A failure already rendered (kind, message), e.g. with personal data tokenized.
    Message(&'static str, String),
}

/// Answers the sandbox's tool calls.
pub trait ToolHost: Send + Sync {
    /// The tool's definition; `Ok(None)` when the server has no such tool. A host without
    /// definitions (a replay) answers `Ok(None)` for all and is not asked to check arguments.
    fn tool<'a>(
        &'a self,
        server: &'a str,
        tool: &'a str,
    ) -> BoxFuture<'a, Result<Option<ToolSpec>, HostError>>;

    /// The answer a record holds for this call (`arguments` as the script wrote them), decided
    /// once per call, before anything else: `Some` and the call is answered from it, nothing
    /// is sent, so nothing is checked; `None` and the call is checked (schema, data flows,
    /// policy) and made with [`ToolHost::call`]. A live host has no record.
    fn answer_from_record(
        &self,
        _index: usize,
        _server: &str,
        _tool: &str,
        _arguments: &serde_json::Map<String, serde_json::Value>,
    ) -> Option<Result<ToolResult, HostError>> {
        None
    }

    /// Calls the tool. `index` is the call's position in the run (0-based, in start order).
    fn call<'a>(
        &'a self,
        index: usize,
        server: &'a str,
        tool: &'a str,
        arguments: serde_json::Map<String, serde_json::Value>,
    ) -> BoxFuture<'a, Result<(ToolResult, CallSource), HostError>>;

    /// What happened during call `index` (retries, elicitation), once it is answered: taken,
    /// so each is audited once. A host that calls no server has none.
    fn take_events(&self, _index: usize) -> Vec<CallEvent> {
        Vec::new()
    }
}

/// Live servers, through a pool that connects on first use. Elicitation a server sends during
/// a call goes to `elicitor`; retries never wait past `deadline`; what happened during each
/// call is kept for [`ToolHost::take_events`], and what nobody could answer in [`Self::notes`].
pub struct LiveHost {
    pub pool: Arc<UpstreamPool>,
    elicitor: Option<Arc<dyn Elicitor>>,
    login: Option<Arc<dyn crate::upstream::Login>>,
    deadline: Option<std::time::Instant>,
    events: std::sync::Mutex<Vec<(usize, Vec<CallEvent>)>>,
    notes: std::sync::Mutex<Vec<String>>,
}

impl LiveHost {
    pub fn new(pool: Arc<UpstreamPool>) -> Self {
        Self {
            pool,
            elicitor: None,
            login: None,
            deadline: None,
            events: std::sync::Mutex::default(),
            notes: std::sync::Mutex::default(),
        }
    }

    /// Who answers the servers' elicitation (`None`: it is declined, with a note).
    pub fn with_elicitor(mut self, elicitor: Option<Arc<dyn Elicitor>>) -> Self {
        self.elicitor = elicitor;
        self
    }

    /// Who logs in again when a server refuses a call for want of a scope (`None`: the refusal
    /// is the call's error).
    pub fn with_login(mut self, login: Option<Arc<dyn crate::upstream::Login>>) -> Self {
        self.login = login;
        self
    }

    /// The run's deadline: no retry waits past it.
    pub fn with_deadline(mut self, deadline: std::time::Instant) -> Self {
        self.deadline = Some(deadline);
        self
    }

    /// What the run's notes say of its calls (elicitation nobody could answer), in order.
    pub fn notes(&self) -> Vec<String> {
        self.notes.lock().map(|n| n.clone()).unwrap_or_default()
    }
}

impl ToolHost for LiveHost {
    fn tool<'a>(
        &'a self,
        server: &'a str,
        tool: &'a str,
    ) -> BoxFuture<'a, Result<Option<ToolSpec>, HostError>> {
        Box::pin(async move {
            self.pool
                .tool(server, tool)
                .await
                .map_err(HostError::Upstream)
        })
    }

    fn call<'a>(
        &'a self,
        index: usize,
        server: &'a str,
        tool: &'a str,
        arguments: serde_json::Map<String, serde_json::Value>,
    ) -> BoxFuture<'a, Result<(ToolResult, CallSource), HostError>> {
        Box::pin(async move {
            let context = CallContext {
                elicitor: self.elicitor.clone(),
                login: self.login.clone(),
                deadline: self.deadline,
                events: Events::default(),
            };
            let result = self.pool.call_in(server, tool, arguments, &context).await;
            let events = context
                .events
                .lock()
                .map(|mut e| std::mem::take(&mut *e))
                .unwrap_or_default();
            if !events.is_empty() {
                let notes = events.iter().filter_map(|e| match e {
                    CallEvent::Elicitation { note, .. } => note.clone(),
                    CallEvent::Retry { .. } => None,
                });
                if let Ok(mut kept) = self.notes.lock() {
                    kept.extend(notes);
                }
                if let Ok(mut kept) = self.events.lock() {
                    kept.push((index, events));
                }
            }
            result
                .map(|r| (r, CallSource::Live))
                .map_err(HostError::Upstream)
        })
    }

    fn take_events(&self, index: usize) -> Vec<CallEvent> {
        let Ok(mut kept) = self.events.lock() else {
            return Vec::new();
        };
        match kept.iter().position(|(i, _)| *i == index) {
            Some(at) => kept.swap_remove(at).1,
            None => Vec::new(),
        }
    }
}

/// One tool call of a run, as recorded.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolCallRecord {
    pub index: usize,
    pub server: String,
    pub tool: String,
    pub arguments: serde_json::Value,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<ToolResult>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<CallError>,
    /// Milliseconds from the start of the run.
    pub started_ms: f64,
    pub duration_ms: f64,
    pub source: CallSource,
}

/// A failed call, as recorded.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CallError {
    pub kind: String,
    pub message: String,
}

/// Checks arguments against the tool's input schema; returns one line per violation.
pub fn check_arguments(spec: &ToolSpec, arguments: &serde_json::Value) -> Result<(), Vec<String>> {
    match compile(spec) {
        Some(validator) => check_with(&validator, arguments),
        None => Ok(()),
    }
}

/// Builds now what the first [`compile`] of a process builds (the meta-schema's validator,
/// which checks each schema first: about a millisecond). A run that starts servers calls
/// this on a blocking thread while they start, so its first call does not wait for it.
pub fn warm_compiler() {
    static WARM: std::sync::Once = std::sync::Once::new();
    WARM.call_once(|| {
        let _ = jsonschema::validator_for(&serde_json::json!({ "type": "object" }));
    });
}

/// The tool's input schema, compiled; `None` when it does not compile (a schema we cannot
/// compile is the server's problem, not the script's: the server judges the arguments).
///
/// Compiled schemas are kept for the process, by the schema's text: a server's runs (every
/// `run_code` under `serve`) compile each tool's schema once, not once per run (compiling
/// takes 100-500 us; writing the schema out to look it up, a few). The memo is dropped
/// whole when its keys pass [`COMPILED_MAX_BYTES`].
pub fn compile(spec: &ToolSpec) -> Option<Arc<jsonschema::Validator>> {
    type Compiled = HashMap<String, Option<Arc<jsonschema::Validator>>>;
    static COMPILED: LazyLock<Mutex<(Compiled, usize)>> = LazyLock::new(Mutex::default);
    let key = spec.input_schema.to_string();
    if let Some(known) = COMPILED.lock().ok().and_then(|c| c.0.get(&key).cloned()) {
        return known;
    }
    let compiled = match jsonschema::validator_for(&spec.input_schema) {
        Ok(v) => Some(Arc::new(v)),
        Err(e) => {
            tracing::debug!(tool = %spec.name, "input schema does not compile: {e}");
            None
        }
    };
    if let Ok(mut memo) = COMPILED.lock() {
        let (map, bytes) = &mut *memo;
        if *bytes + key.len() > COMPILED_MAX_BYTES {
            map.clear();
            *bytes = 0;
        }
        *bytes += key.len();
        map.insert(key, compiled.clone());
    }
    compiled
}

/// The most schema text [`compile`] keeps compiled schemas for.
const COMPILED_MAX_BYTES: usize = 16 << 20;

/// Checks arguments with a compiled validator; returns one line per violation.
pub fn check_with(
    validator: &jsonschema::Validator,
    arguments: &serde_json::Value,
) -> Result<(), Vec<String>> {
    // The common case, valid arguments, without collecting anything.
    if validator.is_valid(arguments) {
        return Ok(());
    }
    let violations: Vec<String> = validator
        .iter_errors(arguments)
        .map(|e| {
            let at = e.instance_path().to_string();
            if at.is_empty() {
                e.to_string()
            } else {
                format!("{at}: {e}")
            }
        })
        .collect();
    if violations.is_empty() {
        Ok(())
    } else {
        Err(violations)
    }
}

/// Whether every content block is text (then the script gets the text, or its JSON).
fn all_text(result: &ToolResult) -> bool {
    result
        .content
        .iter()
        .all(|b| b.get("type").and_then(|t| t.as_str()) == Some("text"))
}

/// [`result_value`] as JSON text. A text result that is JSON already goes through as it is,
/// neither parsed into a value nor written again.
pub fn result_json(result: &ToolResult) -> String {
    if let Some(structured) = &result.structured_content {
        return structured.to_string();
    }
    if !all_text(result) {
        return result_value(result).to_string();
    }
    let text = result.text();
    // The same judgement as `result_value` (and the tokenizer): JSON that parses into a
    // serde_json value, within its depth limit, its number range and valid Unicode; skipping
    // it unread would accept more. JSON.parse in the sandbox then reads the text as it is,
    // which saves writing it again. Most prose fails at its first letter.
    let may_be_json = text
        .trim_start()
        .starts_with(|c: char| matches!(c, '{' | '[' | '"' | '-' | '0'..='9' | 't' | 'f' | 'n'));
    if may_be_json && serde_json::from_str::<serde_json::Value>(&text).is_ok() {
        return text;
    }
    serde_json::Value::String(text).to_string()
}

/// The value a script receives: `structuredContent` when present, else the text content parsed
/// as JSON when it parses, else the text; non-text blocks come back as typed objects.
pub fn result_value(result: &ToolResult) -> serde_json::Value {
    if let Some(structured) = &result.structured_content {
        return structured.clone();
    }
    if all_text(result) {
        let text = result.text();
        return serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text));
    }
    if result.content.len() == 1 {
        return result.content[0].clone();
    }
    serde_json::Value::Array(result.content.clone())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_schema_is_compiled_once_per_process_and_judges_the_same() {
        let spec = |name: &str, schema: serde_json::Value| -> ToolSpec {
            serde_json::from_value(json!({ "name": name, "inputSchema": schema })).unwrap()
        };
        let schema =
            json!({ "type": "object", "properties": { "memo_test_limit": { "type": "integer" } } });
        let first = compile(&spec("a", schema.clone())).unwrap();
        // Another tool (or run) with the same schema gets the same compiled validator.
        let again = compile(&spec("b", schema)).unwrap();
        assert!(Arc::ptr_eq(&first, &again));
        assert!(check_with(&again, &json!({ "memo_test_limit": 3 })).is_ok());
        assert!(check_with(&again, &json!({ "memo_test_limit": "x" })).is_err());
        // A different schema is its own entry; one that does not compile stays `None`.
        let other = compile(&spec(
            "c",
            json!({ "type": "object", "required": ["memo_test_q"] }),
        ))
        .unwrap();
        assert!(!Arc::ptr_eq(&first, &other));
        assert!(compile(&spec("d", json!({ "type": 12 }))).is_none());
        assert!(compile(&spec("d", json!({ "type": 12 }))).is_none());
    }

    fn result(content: serde_json::Value, structured: Option<serde_json::Value>) -> ToolResult {
        ToolResult {
            content: content.as_array().unwrap().clone(),
            structured_content: structured,
            is_error: false,
        }
    }

    #[test]
    fn results_map_to_values() {
        assert_eq!(
            result_value(&result(
                json!([{"type": "text", "text": "{\"a\":1}"}]),
                Some(json!({"b": 2}))
            )),
            json!({"b": 2})
        );
        assert_eq!(
            result_value(&result(json!([{"type": "text", "text": "[1,2]"}]), None)),
            json!([1, 2])
        );
        assert_eq!(
            result_value(&result(json!([{"type": "text", "text": "hello"}]), None)),
            json!("hello")
        );
        let image = json!({"type": "image", "data": "AAAA", "mimeType": "image/png"});
        assert_eq!(result_value(&result(json!([image.clone()]), None)), image);
        assert_eq!(
            result_value(&result(
                json!([{"type": "text", "text": "x"}, image.clone()]),
                None
            )),
            json!([{"type": "text", "text": "x"}, image])
        );
    }

    #[test]
    fn result_json_is_the_json_of_result_value() {
        let image = json!({"type": "image", "data": "AAAA", "mimeType": "image/png"});
        for (content, structured) in [
            (
                json!([{"type": "text", "text": "{\"a\": [1, 2.5, \"x\"]}"}]),
                None,
            ),
            (
                json!([{"type": "text", "text": "{\"a\":1}"}]),
                Some(json!({"b": 2})),
            ),
            (json!([{"type": "text", "text": "hello \"world\"\n"}]), None),
            (json!([{"type": "text", "text": "[1,"}]), None),
            (
                json!([{"type": "text", "text": "1"}, {"type": "text", "text": "2"}]),
                None,
            ),
            (json!([image.clone()]), None),
            (json!([{"type": "text", "text": "x"}, image.clone()]), None),
            (json!([]), None),
            // Valid JSON that serde_json refuses: it stays text, as `result_value` has it.
            (
                json!([{"type": "text", "text": format!("{}{}", "[".repeat(200), "]".repeat(200))}]),
                None,
            ),
            (json!([{"type": "text", "text": "\"\\ud800\""}]), None),
            (json!([{"type": "text", "text": "1e400"}]), None),
        ] {
            let r = result(content, structured);
            let text = result_json(&r);
            let parsed: serde_json::Value = serde_json::from_str(&text).unwrap();
            assert_eq!(parsed, result_value(&r), "{text}");
        }
        // JSON text is passed through untouched.
        let r = result(json!([{"type": "text", "text": "{ \"b\": 1.50 }"}]), None);
        assert_eq!(result_json(&r), "{ \"b\": 1.50 }");
    }

    #[test]
    fn arguments_are_checked_against_the_schema() {
        let spec: ToolSpec = serde_json::from_value(json!({
            "name": "get",
            "inputSchema": {"type": "object", "properties": {"id": {"type": "string"}, "n": {"type": "integer", "minimum": 1}}, "required": ["id"], "additionalProperties": false}
        }))
        .unwrap();
        assert!(check_arguments(&spec, &json!({"id": "a"})).is_ok());
        let violations = check_arguments(&spec, &json!({"n": 0, "x": true})).unwrap_err();
        assert_eq!(violations.len(), 3, "{violations:?}");
        assert!(
            violations
                .iter()
                .any(|v| v.contains("\"id\" is a required property")),
            "{violations:?}"
        );
        assert!(
            violations.iter().any(|v| v.starts_with("/n:")),
            "{violations:?}"
        );
    }
}
