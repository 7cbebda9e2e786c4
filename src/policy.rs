//! Governance of tool calls made by scripts: `[privacy]` in skillet.toml. Which tools may be
//! called at all (`allow`, `deny`, `approve` by a human), and where data may flow: a call whose
//! arguments carry tokens of personal data from a source that a rule keeps away from its
//! destination is blocked with `flow_denied`.
//!
//! Patterns name tools as `server.tool` with `*` matching any run of characters (`crm.*`,
//! `*.delete_*`, `*`). Rules are read in order; the first that matches decides.

use futures::future::BoxFuture;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::privacy::PiiSettings;

/// `[privacy]`: personal data, data flows and tool policy.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct PrivacySettings {
    /// Tokenization of personal data in tool results (on by default).
    pub pii: PiiSettings,
    /// Where data may flow, first match wins; no match allows.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub flows: Vec<FlowRule>,
    /// What each tool needs before it is called, first match wins; no match allows (or
    /// `destructive`, for tools marked `destructiveHint`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tools: Vec<ToolRule>,
    /// The decision for tools marked `destructiveHint` that no rule of `tools` names.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub destructive: Option<Decision>,
}

/// `[[privacy.flows]]`: data from tools matching `from` may (or may not) reach tools matching
/// `to`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FlowRule {
    /// Source tools, `server.tool` with `*` wildcards.
    pub from: String,
    /// Destination tools, `server.tool` with `*` wildcards.
    pub to: String,
    pub action: FlowAction,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum FlowAction {
    Allow,
    Deny,
}

/// `[[privacy.tools]]`: the decision for tools matching `tool`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ToolRule {
    /// Tools, `server.tool` with `*` wildcards.
    pub tool: String,
    pub policy: Decision,
}

/// What a call needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    Allow,
    Deny,
    /// A human approves each call: MCP elicitation under `serve`, a terminal prompt under `run`.
    Approve,
}

/// Whether `name` (`server.tool`) matches `pattern` (`*` matches any run of characters).
pub fn matches(pattern: &str, name: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    let [first, middle @ .., last] = parts.as_slice() else {
        return pattern == name;
    };
    if parts.len() == 1 {
        return pattern == name;
    }
    let Some(mut rest) = name.strip_prefix(first) else {
        return false;
    };
    for part in middle {
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    rest.len() >= last.len() && rest.ends_with(last)
}

impl PrivacySettings {
    /// The decision for a call to `destination`, given whether the tool says it is destructive.
    pub fn decision(&self, destination: &str, destructive: bool) -> Decision {
        if let Some(rule) = self.tools.iter().find(|r| matches(&r.tool, destination)) {
            return rule.policy;
        }
        match self.destructive {
            Some(decision) if destructive => decision,
            _ => Decision::Allow,
        }
    }

    /// The first source among `sources` whose data may not reach `destination`, with the
    /// rule that says so.
    pub fn denied_flow<'a>(
        &'a self,
        sources: impl IntoIterator<Item = &'a String>,
        destination: &str,
    ) -> Option<(&'a str, &'a FlowRule)> {
        for source in sources {
            let rule = self
                .flows
                .iter()
                .find(|r| matches(&r.from, source) && matches(&r.to, destination));
            if let Some(rule) = rule
                && rule.action == FlowAction::Deny
            {
                return Some((source.as_str(), rule));
            }
        }
        None
    }

    /// Checks the patterns and the PII settings; the message names the bad entry.
    pub fn validate(&self) -> Result<(), String> {
        self.pii
            .validate()
            .map_err(|e| format!("privacy.pii.{e}"))?;
        let check = |at: String, pattern: &str| {
            let ok = !pattern.is_empty()
                && pattern
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "._-*/".contains(c));
            if ok {
                Ok(())
            } else {
                Err(format!(
                    "{at}: `{pattern}` is not a tool pattern (server.tool, with * as a wildcard)"
                ))
            }
        };
        for (i, rule) in self.flows.iter().enumerate() {
            check(format!("privacy.flows[{i}].from"), &rule.from)?;
            check(format!("privacy.flows[{i}].to"), &rule.to)?;
        }
        for (i, rule) in self.tools.iter().enumerate() {
            check(format!("privacy.tools[{i}].tool"), &rule.tool)?;
        }
        Ok(())
    }
}

/// A call waiting for a human's approval.
#[derive(Debug, Clone)]
pub struct ApprovalRequest {
    pub server: String,
    pub tool: String,
    /// The arguments as the script passed them (personal data as tokens).
    pub arguments: serde_json::Value,
    pub destructive: bool,
}

impl ApprovalRequest {
    /// What will be called with what, for a person. The arguments are shown whole: approving
    /// a shortened view would let a script hide what matters past the cut.
    pub fn describe(&self) -> String {
        let args = self.arguments.to_string();
        format!(
            "A script wants to call {}.{}{} with {args}",
            self.server,
            self.tool,
            if self.destructive {
                " (marked destructive)"
            } else {
                ""
            }
        )
    }
}

/// Asks a human. `Ok(true)` approves; `Err` says why nobody could be asked.
pub trait Approver: Send + Sync {
    fn approve(&self, request: ApprovalRequest) -> BoxFuture<'_, Result<bool, String>>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards() {
        assert!(matches("*", "crm.update_record"));
        assert!(matches("crm.*", "crm.update_record"));
        assert!(!matches("crm.*", "docs.get"));
        assert!(matches("*.delete_*", "crm.delete_record"));
        assert!(!matches("*.delete_*", "crm.update_record"));
        assert!(matches("crm.update_record", "crm.update_record"));
        assert!(!matches("crm.update", "crm.update_record"));
        assert!(matches("a*a", "aa"));
        assert!(!matches("a*a", "a"));
    }

    fn settings(toml: &str) -> PrivacySettings {
        toml::from_str(toml).expect("parses")
    }

    #[test]
    fn first_matching_rule_decides() {
        let s = settings(
            r#"
destructive = "approve"
[[flows]]
from = "crm.*"
to = "mail.*"
action = "deny"
[[flows]]
from = "*"
to = "*"
action = "allow"
[[tools]]
tool = "crm.delete_*"
policy = "deny"
[[tools]]
tool = "crm.*"
policy = "allow"
"#,
        );
        assert_eq!(s.decision("crm.delete_record", true), Decision::Deny);
        assert_eq!(s.decision("crm.update_record", true), Decision::Allow);
        assert_eq!(s.decision("fs.write_file", true), Decision::Approve);
        assert_eq!(s.decision("fs.read_file", false), Decision::Allow);
        let sources = ["docs.get".to_owned(), "crm.find_records".to_owned()];
        let (source, rule) = s.denied_flow(&sources, "mail.send").expect("denied");
        assert_eq!(source, "crm.find_records");
        assert_eq!(rule.to, "mail.*");
        assert!(s.denied_flow(&sources, "docs.put").is_none());
        s.validate().expect("valid");
        assert!(
            settings("[[tools]]\ntool = \"a b\"\npolicy = \"deny\"\n")
                .validate()
                .is_err()
        );
    }
}
