//! What stands between a script's tool call and the server, besides argument checks: personal
//! data tokenized in results and restored in arguments (the vault), data-flow rules, the tool
//! policy with human approval, and the audit log.
//!
//! Each is a step that `call.rs` takes in order for every call:
//! [`Governance::restore_arguments`] (tokens back to values, collecting their sources),
//! [`Governance::check_resumed_tokens`] (a resumed run cannot send a token whose value was not
//! kept), [`Governance::govern`] ([`Governance::check_flows`], then
//! [`Governance::decide_policy`], asking a person through [`Governance::approve`]),
//! [`Governance::tokenize_result`], and an [`AuditDraft`] that writes the call's audit line.
//! Nothing here records a call or sends it: that is `call.rs`'s bookkeeping.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use serde_json::Value;

use super::tools::{CallSource, HostError};
use crate::audit::{AuditLog, Decision, Entry};
use crate::policy::{Approver, Decision as PolicyDecision, PrivacySettings};
use crate::privacy::{PiiPolicy, Vault};
use crate::tool::ToolResult;

/// A vault shared by the runs of one session (one `skillet run`, or one MCP session).
pub type SharedVault = Arc<Mutex<Vault>>;

/// The governance of one run.
pub struct Governance {
    pub settings: PrivacySettings,
    /// Compiled detectors; `None` when results are not tokenized (a replay of a run recorded
    /// before tokenization existed). Flows, policy and the audit apply either way.
    pii: Option<PiiPolicy>,
    vault: SharedVault,
    pub approver: Option<Arc<dyn Approver>>,
    /// The log and this run's id.
    pub audit: Option<(Arc<AuditLog>, String)>,
}

impl Governance {
    /// Fails when the PII settings do not compile (they are checked when skillet.toml loads).
    pub fn new(
        settings: PrivacySettings,
        vault: SharedVault,
        approver: Option<Arc<dyn Approver>>,
        audit: Option<(Arc<AuditLog>, String)>,
        tokenize: bool,
    ) -> Result<Self, String> {
        let pii = settings
            .pii
            .compile()
            .map_err(|e| format!("privacy.pii.{e}"))?;
        Ok(Self {
            pii: tokenize.then_some(pii),
            settings,
            vault,
            approver,
            audit,
        })
    }

    /// Step: the arguments with this session's tokens replaced by their values, and the
    /// sources (`server.tool`) those values came from.
    pub fn restore_arguments(
        &self,
        arguments: &serde_json::Map<String, Value>,
    ) -> (serde_json::Map<String, Value>, BTreeSet<String>) {
        let mut value = Value::Object(arguments.clone());
        let sources = match self.vault.lock() {
            Ok(vault) if !vault.is_empty() => vault.restore_value(&mut value),
            _ => BTreeSet::new(),
        };
        match value {
            Value::Object(map) => (map, sources),
            _ => (arguments.clone(), sources),
        }
    }

    /// A token in `arguments` from the record a resumed run answers calls with: its value was
    /// never kept, so the call cannot carry it (see [`Vault::foreign_token_in`]).
    pub fn foreign_token_in(&self, arguments: &Value) -> Option<String> {
        self.vault.lock().ok()?.foreign_token_in(arguments)
    }

    /// Step: a resumed run's script may hold tokens from the record, whose values were not
    /// kept: sent as they are, a tool would get `[EMAIL_1]` for an address. Refused (`replay`).
    pub(super) fn check_resumed_tokens(
        &self,
        server: &str,
        tool: &str,
        arguments: &Value,
    ) -> Result<(), Refusal> {
        match self.foreign_token_in(arguments) {
            None => Ok(()),
            Some(token) => Err(Refusal {
                decision: Decision::Denied,
                kind: "replay",
                message: format!(
                    "the arguments of {server}.{tool} carry {token}, a token from the record this run resumes: the personal data behind it was not kept, so the call cannot be made with it\nhint: run the script again without --resume"
                ),
            }),
        }
    }

    /// Step: data-flow rules and the tool policy for one call, before it is sent (asking a
    /// human when the policy says `approve`, within the run's `deadline`). `Ok` is the audit
    /// decision (`allowed` or `approved`); `arguments` are the script's, with tokens, as the
    /// person asked sees them.
    pub(super) async fn govern(
        &self,
        server: &str,
        tool: &str,
        arguments: &Value,
        sources: &BTreeSet<String>,
        destructive: bool,
        deadline: Instant,
    ) -> Result<Decision, Refusal> {
        let destination = format!("{server}.{tool}");
        self.check_flows(sources, &destination)?;
        match self.decide_policy(&destination, destructive) {
            PolicyDecision::Allow => Ok(Decision::Allowed),
            PolicyDecision::Deny => Err(Refusal {
                decision: Decision::Denied,
                kind: "denied",
                message: format!(
                    "{destination} is denied by [privacy] tools in skillet.toml; the call was not made"
                ),
            }),
            PolicyDecision::Approve => {
                self.approve(server, tool, arguments, destructive, deadline)
                    .await
            }
        }
    }

    /// Step: refuses the call when data from one of `sources` may not flow to `destination`
    /// (`server.tool`) by a rule of `[privacy]`.
    pub(super) fn check_flows(
        &self,
        sources: &BTreeSet<String>,
        destination: &str,
    ) -> Result<(), Refusal> {
        match self.settings.denied_flow(sources, destination) {
            None => Ok(()),
            Some((source, rule)) => Err(Refusal {
                decision: Decision::FlowDenied,
                kind: "flow_denied",
                message: format!(
                    "data from {source} may not flow to {destination} (the rule from = \"{}\", to = \"{}\" in [privacy] of skillet.toml); the call was not made",
                    rule.from, rule.to
                ),
            }),
        }
    }

    /// Step: what the tool policy says of `destination` (`server.tool`).
    pub(super) fn decide_policy(&self, destination: &str, destructive: bool) -> PolicyDecision {
        self.settings.decision(destination, destructive)
    }

    /// Whether [`Self::govern`] will ask a person (and so may wait): the policy says
    /// `approve` and there is somebody to ask.
    pub(super) fn asks_approval(&self, server: &str, tool: &str, destructive: bool) -> bool {
        self.approver.is_some()
            && self.decide_policy(&format!("{server}.{tool}"), destructive)
                == PolicyDecision::Approve
    }

    /// Step: asks a person to approve the call; waiting counts against the run's deadline like
    /// any wait. Without anybody to ask, the call is refused.
    pub(super) async fn approve(
        &self,
        server: &str,
        tool: &str,
        arguments: &Value,
        destructive: bool,
        deadline: Instant,
    ) -> Result<Decision, Refusal> {
        let destination = format!("{server}.{tool}");
        let refused = |message: String| Refusal {
            decision: Decision::Refused,
            kind: "denied",
            message,
        };
        let Some(approver) = &self.approver else {
            return Err(refused(format!(
                "{destination} needs a human's approval, and there is nobody to ask (no terminal under `skillet run`, no elicitation support in the MCP client); the call was not made\nhint: run interactively, use a client that supports elicitation, or change [privacy] tools in skillet.toml"
            )));
        };
        let request = crate::policy::ApprovalRequest {
            server: server.to_owned(),
            tool: tool.to_owned(),
            arguments: arguments.clone(),
            destructive,
        };
        match tokio::time::timeout_at(deadline.into(), approver.approve(request)).await {
            Ok(Ok(true)) => Ok(Decision::Approved),
            Ok(Ok(false)) => Err(refused(format!(
                "the call to {destination} was declined by the person asked"
            ))),
            Ok(Err(why)) => Err(refused(format!(
                "approval of {destination} could not be asked: {why}"
            ))),
            Err(_) => Err(refused(format!(
                "nobody approved {destination} before the run's deadline"
            ))),
        }
    }

    /// The audit line of a call as far as it is known before the answer, when this run is
    /// audited. `sent` is what goes to the server (restored arguments).
    pub(super) fn audit_draft(&self, server: &str, tool: &str, sent: &Value) -> Option<AuditDraft> {
        self.audit
            .as_ref()
            .map(|(log, run)| AuditDraft::new(log, run, server, tool, sent))
    }

    /// Step: the result with personal data replaced by tokens, in text blocks (parsed as JSON
    /// when they hold JSON, so field names count) and in structured content; and whether its one
    /// text block is known to be the compact JSON of its structured content (then the script's
    /// value need not be written again: it is that text).
    pub fn tokenize_result(
        &self,
        server: &str,
        tool: &str,
        mut result: ToolResult,
    ) -> (ToolResult, bool) {
        let Some(detector) = self.pii.as_ref().and_then(|p| p.detector_for(server, tool)) else {
            return (result, false);
        };
        let source = format!("{server}.{tool}");
        let Ok(mut vault) = self.vault.lock() else {
            return (result, false);
        };
        // A tool that returns structured content usually sends its JSON text as the text
        // block too (`{"a":1}` twice): that value is tokenized once, in place, and the text
        // becomes its JSON again only when something in it was replaced.
        if let (Some(structured), [block]) = (
            result.structured_content.as_mut(),
            result.content.as_mut_slice(),
        ) && block.get("type").and_then(Value::as_str) == Some("text")
            && let Some(Value::String(text)) = block.get_mut("text")
            && serializes_to(structured, text)
        {
            if vault.tokenize_value(structured, &detector, &source) > 0 {
                *text = structured.to_string();
            }
            return (result, true);
        }
        for block in &mut result.content {
            if block.get("type").and_then(Value::as_str) != Some("text") {
                // Resources, links, annotations and _meta: every string but the structural ones
                // (type, MIME type, URI, base64 data).
                tokenize_strings(block, &mut vault, &detector, &source);
                continue;
            }
            let Some(Value::String(text)) = block.get_mut("text") else {
                continue;
            };
            let parsed = serde_json::from_str::<Value>(text)
                .ok()
                .filter(|v| v.is_object() || v.is_array());
            // JSON text is tokenized value by value, and written again only when something
            // in it was replaced (the server's own text is kept otherwise).
            match parsed {
                Some(mut value) => {
                    if vault.tokenize_value(&mut value, &detector, &source) > 0 {
                        *text = value.to_string();
                    }
                }
                None => *text = vault.tokenize_text(text, &detector, &source),
            }
        }
        if let Some(structured) = result.structured_content.as_mut() {
            vault.tokenize_value(structured, &detector, &source);
        }
        (result, false)
    }

    /// Tokenizes text the model will see that did not come from a tool's result (an error
    /// message quoting data, a schema violation quoting an argument).
    pub fn tokenize_message(&self, server: &str, tool: &str, text: &str) -> String {
        let Some(detector) = self.pii.as_ref().and_then(|p| p.detector_for(server, tool)) else {
            return text.to_owned();
        };
        match self.vault.lock() {
            Ok(mut vault) => vault.tokenize_text(text, &detector, &format!("{server}.{tool}")),
            Err(_) => text.to_owned(),
        }
    }

    /// Schema violations with the values they quote tokenized (restored values included).
    pub(super) fn tokenize_violations(
        &self,
        server: &str,
        tool: &str,
        violations: Vec<String>,
    ) -> Vec<String> {
        violations
            .iter()
            .map(|v| self.tokenize_message(server, tool, v))
            .collect()
    }
}

/// A host failure as the script sees it: the error kind and the message, tokenized when the run
/// is governed (messages may quote data: a server's stderr, a replayed call's arguments).
pub(super) fn failure_text(
    governance: Option<&Governance>,
    server: &str,
    tool: &str,
    e: HostError,
) -> (&'static str, String) {
    let (kind, message) = match e {
        // The script (and so the model) reads the hints with the message.
        HostError::Upstream(u) => ("upstream", crate::error::describe(&u)),
        HostError::Replay(message) => ("replay", message),
        HostError::Message(kind, message) => (kind, message),
    };
    match governance {
        Some(g) => (kind, g.tokenize_message(server, tool, &message)),
        None => (kind, message),
    }
}

/// Why governance refused a call before it was sent: the audit decision, the error kind the
/// script sees, and the message.
#[derive(Debug)]
pub(super) struct Refusal {
    pub decision: Decision,
    pub kind: &'static str,
    pub message: String,
}

/// A call's audit line as far as it is known before the answer: who, and what was sent
/// (digests and sizes only).
pub(super) struct AuditDraft {
    log: Arc<AuditLog>,
    run: String,
    server: String,
    tool: String,
    args_bytes: usize,
    args_sha256: String,
}

impl AuditDraft {
    fn new(log: &Arc<AuditLog>, run: &str, server: &str, tool: &str, sent: &Value) -> Self {
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

    /// The whole line, once the call's decision and outcome are known.
    fn entry(
        &self,
        decision: Decision,
        result: Option<&ToolResult>,
        outcome: &str,
        source: Option<CallSource>,
        duration_ms: f64,
    ) -> Entry {
        let digest = result.map(crate::audit::digest);
        Entry {
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
            event: None,
        }
    }

    /// Writes a line for something that happened during the call (a retry, an elicitation).
    pub(super) fn audit_event(&self, decision: Decision, event: crate::audit::Event) {
        let mut entry = self.entry(decision, None, event.kind(), Some(CallSource::Live), 0.0);
        entry.event = Some(event);
        self.log.append(&entry);
    }

    /// Step: writes the call's line (`outcome` is `ok`, `tool_error`, `error` or `not_called`).
    pub(super) fn audit(
        &self,
        decision: Decision,
        result: Option<&ToolResult>,
        outcome: &str,
        source: Option<CallSource>,
        duration_ms: f64,
    ) {
        self.log
            .append(&self.entry(decision, result, outcome, source, duration_ms));
    }

    /// The line to write if the run ends before the call is answered (`abandoned`), kept with
    /// the call while it is out; its duration is filled in then.
    pub(super) fn abandoned(
        &self,
        decision: Decision,
        source: Option<CallSource>,
    ) -> (Arc<AuditLog>, Entry) {
        let entry = self.entry(decision, None, "abandoned", source, 0.0);
        (Arc::clone(&self.log), entry)
    }
}

/// Keys of content blocks that are structure, not data.
const STRUCTURAL: &[&str] = &["type", "mimeType", "uri", "data", "blob"];

/// Whether `value`'s compact JSON is exactly `text`, found without building that JSON: the
/// comparison stops at the first byte that differs.
fn serializes_to(value: &Value, text: &str) -> bool {
    struct Compare<'a>(&'a [u8]);
    impl std::io::Write for Compare<'_> {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            match self.0.strip_prefix(buf) {
                Some(rest) => {
                    self.0 = rest;
                    Ok(buf.len())
                }
                None => Err(std::io::ErrorKind::InvalidData.into()),
            }
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut rest = Compare(text.as_bytes());
    serde_json::to_writer(&mut rest, value).is_ok() && rest.0.is_empty()
}

/// Tokenizes every string in `value` except under structural keys.
fn tokenize_strings(
    value: &mut Value,
    vault: &mut crate::privacy::Vault,
    detector: &crate::privacy::Detector,
    source: &str,
) {
    let mut stack = vec![value];
    while let Some(v) = stack.pop() {
        match v {
            Value::String(s) => *s = vault.tokenize_text(s, detector, source),
            Value::Array(items) => stack.extend(items.iter_mut()),
            Value::Object(map) => stack.extend(
                map.iter_mut()
                    .filter(|(k, _)| !STRUCTURAL.contains(&k.as_str()))
                    .map(|(_, v)| v),
            ),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn governance() -> Governance {
        Governance::new(
            PrivacySettings::default(),
            SharedVault::default(),
            None,
            None,
            true,
        )
        .unwrap()
    }

    #[test]
    fn every_kind_of_block_is_tokenized_but_its_structure() {
        let g = governance();
        let result = ToolResult {
            content: vec![
                json!({"type": "text", "text": "{\"email\": \"ann@example.com\"}"}),
                json!({"type": "resource", "resource": {"uri": "file:///ann@example.com.txt", "mimeType": "text/plain", "text": "call +1 415 555 2671"}}),
                json!({"type": "resource_link", "uri": "file:///x", "name": "x", "description": "owner bo@example.org"}),
            ],
            structured_content: Some(json!({"contact": {"email": "ann@example.com"}})),
            is_error: false,
        };
        let out = g.tokenize_result("crm", "get", result).0;
        assert_eq!(out.content[0]["text"], "{\"email\":\"[EMAIL_1]\"}");
        assert_eq!(out.content[1]["resource"]["text"], "call [PHONE_1]");
        assert_eq!(
            out.content[1]["resource"]["uri"],
            "file:///ann@example.com.txt"
        );
        assert_eq!(out.content[2]["description"], "owner [EMAIL_2]");
        assert_eq!(
            out.structured_content.unwrap()["contact"]["email"],
            "[EMAIL_1]"
        );
        // A message quoting a restored value gets its token back.
        assert_eq!(
            g.tokenize_message("crm", "put", "\"ann@example.com\" is not of type integer"),
            "\"[EMAIL_1]\" is not of type integer"
        );
    }

    #[test]
    fn serializes_to_compares_with_the_compact_json() {
        let value = json!({ "a": [1, "x"], "b": null });
        assert!(serializes_to(&value, r#"{"a":[1,"x"],"b":null}"#));
        assert!(!serializes_to(&value, r#"{"a":[1,"x"]}"#), "a prefix of it");
        assert!(
            !serializes_to(&value, r#"{"a":[1,"x"],"b":null} "#),
            "longer"
        );
        assert!(
            !serializes_to(&value, r#"{"a": [1, "x"], "b": null}"#),
            "pretty"
        );
        assert!(!serializes_to(&value, ""));
    }

    #[test]
    fn structured_content_sent_twice_is_tokenized_as_if_apart() {
        // A value found in one field and seen again inside a longer string elsewhere, a name
        // field, and a value that is not personal data.
        let value = json!({
            "people": [{"name": "Ann Lee", "email": "ann@example.com"}],
            "note": "wrote to ann@example.com, then Ann Lee",
            "total": 1
        });
        let both = ToolResult {
            content: vec![json!({"type": "text", "text": value.to_string()})],
            structured_content: Some(value.clone()),
            is_error: false,
        };
        let out = governance().tokenize_result("crm", "get", both).0;
        // What tokenizing each part on its own, in the same order, gives.
        let g = governance();
        let text_only = g
            .tokenize_result(
                "crm",
                "get",
                ToolResult {
                    content: vec![json!({"type": "text", "text": value.to_string()})],
                    structured_content: None,
                    is_error: false,
                },
            )
            .0;
        let structured_only = g
            .tokenize_result(
                "crm",
                "get",
                ToolResult {
                    content: Vec::new(),
                    structured_content: Some(value),
                    is_error: false,
                },
            )
            .0;
        assert_eq!(out.content, text_only.content);
        assert_eq!(out.structured_content, structured_only.structured_content);
        let shown = out.structured_content.unwrap().to_string();
        assert!(
            !shown.contains("ann@") && !shown.contains("Ann Lee"),
            "{shown}"
        );
    }

    #[test]
    fn without_tokenization_results_pass_unchanged() {
        let g = Governance::new(
            PrivacySettings::default(),
            SharedVault::default(),
            None,
            None,
            false,
        )
        .unwrap();
        let result = ToolResult {
            content: vec![json!({"type": "text", "text": "ann@example.com"})],
            structured_content: None,
            is_error: false,
        };
        assert_eq!(g.tokenize_result("s", "t", result.clone()).0, result);
        assert_eq!(
            g.tokenize_message("s", "t", "ann@example.com"),
            "ann@example.com"
        );
    }
}
