//! The findings collector ([`Sink`]) and the helpers that make untrusted text
//! safe to put in a finding's message.
//!
//! Everything printed from a skill folder goes through [`show`] or
//! [`escape_controls`]: a message must never carry raw control characters or
//! unbounded text from the folder. This file never reads files or parses YAML.

use yaml_serde::Value;

use super::{Finding, RuleSet, Severity};

pub(super) struct Sink {
    file: String,
    pub(super) findings: Vec<Finding>,
}

impl Sink {
    pub(super) fn new(file: &str) -> Self {
        Sink {
            file: file.to_owned(),
            findings: Vec::new(),
        }
    }

    /// A finding of any rule set and severity.
    pub(super) fn add(
        &mut self,
        set: RuleSet,
        severity: Severity,
        (line, column): (u32, u32),
        rule: &'static str,
        message: String,
        fix: String,
    ) {
        self.findings.push(Finding {
            set,
            severity,
            file: self.file.clone(),
            line: line.max(1),
            column: column.max(1),
            rule,
            message,
            fix,
        });
    }

    /// An error of the specification's rules.
    pub(super) fn error(
        &mut self,
        at: (u32, u32),
        rule: &'static str,
        message: String,
        fix: impl Into<String>,
    ) {
        self.add(
            RuleSet::Spec,
            Severity::Error,
            at,
            rule,
            message,
            fix.into(),
        );
    }

    /// A warning of the specification's rules.
    pub(super) fn warning(
        &mut self,
        at: (u32, u32),
        rule: &'static str,
        message: String,
        fix: impl Into<String>,
    ) {
        self.add(
            RuleSet::Spec,
            Severity::Warning,
            at,
            rule,
            message,
            fix.into(),
        );
    }
}

pub(super) fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// Untrusted text made safe to print: control characters escaped, long text cut.
pub(super) fn show(s: &str) -> String {
    const MAX: usize = 80;
    let mut out: String = s.chars().take(MAX).flat_map(char::escape_debug).collect();
    if s.chars().nth(MAX).is_some() {
        out.push('…');
    }
    out
}

/// Control characters escaped, everything else kept.
pub(super) fn escape_controls(s: &str) -> String {
    s.chars()
        .flat_map(|c| {
            let escaped: Vec<char> = if c.is_control() {
                c.escape_default().collect()
            } else {
                vec![c]
            };
            escaped
        })
        .collect()
}

/// "a number", "a list", "null", ...
pub(super) fn described(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Sequence(_) => "a list",
        Value::Mapping(_) => "a mapping",
        Value::Tagged(_) => "a tagged value",
    }
}

/// Short text of a scalar, for messages.
pub(super) fn scalar_text(v: &Value) -> String {
    match v {
        Value::Null => "null".to_owned(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => s.clone(),
        other => described(other).to_owned(),
    }
}
