//! What stands between a script's tool call and the server, besides argument checks: personal
//! data tokenized in results and restored in arguments (the vault), data-flow rules, the tool
//! policy with human approval, and the audit log.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

use serde_json::Value;

use crate::audit::AuditLog;
use crate::policy::{Approver, PrivacySettings};
use crate::privacy::{PiiPolicy, Vault};
use crate::upstream::ToolResult;

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

    /// The arguments with this session's tokens replaced by their values, and the sources
    /// (`server.tool`) those values came from.
    pub fn restore(
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

    /// The result with personal data replaced by tokens, in text blocks (parsed as JSON when
    /// they hold JSON, so field names count) and in structured content.
    pub fn tokenize(&self, server: &str, tool: &str, mut result: ToolResult) -> ToolResult {
        let Some(detector) = self.pii.as_ref().and_then(|p| p.detector_for(server, tool)) else {
            return result;
        };
        let source = format!("{server}.{tool}");
        let Ok(mut vault) = self.vault.lock() else {
            return result;
        };
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
            *text = match parsed {
                Some(mut value) => {
                    vault.tokenize_value(&mut value, &detector, &source);
                    value.to_string()
                }
                None => vault.tokenize_text(text, &detector, &source),
            };
        }
        if let Some(structured) = result.structured_content.as_mut() {
            vault.tokenize_value(structured, &detector, &source);
        }
        result
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
}

/// Keys of content blocks that are structure, not data.
const STRUCTURAL: &[&str] = &["type", "mimeType", "uri", "data", "blob"];

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
        let out = g.tokenize("crm", "get", result);
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
        assert_eq!(g.tokenize("s", "t", result.clone()), result);
        assert_eq!(
            g.tokenize_message("s", "t", "ann@example.com"),
            "ann@example.com"
        );
    }
}
