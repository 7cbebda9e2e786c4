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
    /// Compiled detectors; `None` when tokenization is off everywhere.
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
    ) -> Result<Self, String> {
        let pii = settings
            .pii
            .compile()
            .map_err(|e| format!("privacy.pii.{e}"))?;
        Ok(Self {
            pii: Some(pii),
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
    /// message quoting data).
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
