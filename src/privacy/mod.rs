//! PII tokenization: personal data in tool results is replaced by stable tokens (`[EMAIL_1]`)
//! before a sandboxed script (and so the model) sees it, and restored in the arguments the
//! script passes back to tools.
//!
//! The pieces:
//!
//! * [`PiiSettings`]: the configuration (global, per server, per `server.tool`), checked by
//!   [`PiiSettings::validate`] and resolved into a [`Detector`] by [`PiiSettings::detector_for`].
//! * [`Detector`] ([`detect`]): finds spans of personal data in a string.
//! * [`Vault`] ([`vault`]): issues tokens, remembers their values and where they came from, and
//!   restores them.
//!
//! Everything here is pure, in-memory library code: no I/O, and no panics on any input.

#![forbid(unsafe_code)]

pub mod detect;
pub mod vault;

// The detection-quality corpus and measure: test data, outside the library (its module
// documentation says how it is included).
#[cfg(test)]
#[path = "../../tests/data/pii_corpus/mod.rs"]
#[allow(unreachable_pub)]
mod pii_corpus;

use std::collections::BTreeMap;

use regex::Regex;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

pub use detect::{DEFAULT_NAME_FIELDS, Detector, Kind, Span};
pub use vault::Vault;

/// How personal data in tool results is tokenized. Every key is optional.
///
/// ```toml
/// enabled = true
/// name_fields = ["name", "customerName"]
///
/// [[patterns]]
/// kind = "EMPLOYEE_ID"
/// regex = 'EMP-\d{6}'
///
/// [servers.crm]                 # every tool of server `crm`
/// name_fields = ["contact"]
///
/// [servers."crm.export_all"]    # one tool: `server.tool`
/// enabled = false
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default, rename_all = "snake_case")]
pub struct PiiSettings {
    /// Tokenize personal data in tool results (default true).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    /// Field names whose string values are names, tokenized whole as `[NAME_n]`. Matched exactly
    /// and case-sensitively against object keys at any depth. Default: name, fullName,
    /// full_name, firstName, first_name, lastName, last_name, displayName.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name_fields: Option<Vec<String>>,
    /// Extra detectors, in addition to the built-in ones (email, phone, card, IBAN, SSN, IP).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub patterns: Vec<CustomPattern>,
    /// Overrides keyed by server name (`crm`) or by `server.tool` (`crm.export_all`). A tool's
    /// override wins over its server's, which wins over the settings above.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub servers: BTreeMap<String, PiiOverride>,
}

/// Settings for one server or one tool; unset keys are inherited.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default, rename_all = "snake_case")]
pub struct PiiOverride {
    /// Tokenize personal data in this server's (or tool's) results.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    /// Replaces the inherited list of name fields.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name_fields: Option<Vec<String>>,
    /// Added to the inherited patterns.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub patterns: Vec<CustomPattern>,
}

/// A detector of one's own: matches of `regex` become `[KIND_n]` tokens.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CustomPattern {
    /// Token label: uppercase letters, digits and underscores, e.g. `EMPLOYEE_ID`. A built-in
    /// label (`EMAIL`, ...) shares that kind's numbering.
    pub kind: String,
    /// A regular expression (Rust `regex` syntax) that must not match the empty string.
    pub regex: String,
}

/// A configuration entry that cannot be used. `at` names the entry, e.g. `patterns[1]` or
/// `servers."crm".name_fields[0]`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PiiError {
    #[error(
        "{at}: kind {kind:?} must be 1 to 40 uppercase letters, digits or underscores (e.g. EMPLOYEE_ID)"
    )]
    Kind { at: String, kind: String },
    #[error("{at}: regex for {kind} does not compile: {message}")]
    Regex {
        at: String,
        kind: String,
        message: String,
    },
    #[error("{at}: regex for {kind} matches the empty string")]
    EmptyMatch { at: String, kind: String },
    #[error("{at}: a name field must not be empty")]
    NameField { at: String },
    #[error("servers.{key:?}: key must be a server name or `server.tool`")]
    Key { key: String },
}

impl PiiSettings {
    /// Whether tokenization is on at the top level (unset means on).
    pub fn is_enabled(&self) -> bool {
        self.enabled.unwrap_or(true)
    }

    /// Checks every entry: kinds, regexes (compiled), name fields and override keys. The error
    /// names the first bad entry.
    pub fn validate(&self) -> Result<(), PiiError> {
        self.compile().map(|_| ())
    }

    /// Compiles every regex once into a [`PiiPolicy`] that resolves detectors cheaply.
    pub fn compile(&self) -> Result<PiiPolicy, PiiError> {
        let global = Layer::compile(
            "",
            self.enabled,
            self.name_fields.as_deref(),
            &self.patterns,
        )?;
        let mut overrides = BTreeMap::new();
        for (key, o) in &self.servers {
            check_key(key)?;
            let at = format!("servers.{key:?}.");
            let layer = Layer::compile(&at, o.enabled, o.name_fields.as_deref(), &o.patterns)?;
            overrides.insert(key.clone(), layer);
        }
        Ok(PiiPolicy { global, overrides })
    }

    /// The detector for results of `tool` on `server`, or `None` when tokenization is off there.
    /// Only the entries that apply are compiled; use [`PiiSettings::compile`] once and
    /// [`PiiPolicy::detector_for`] to resolve many.
    pub fn detector_for(&self, server: &str, tool: &str) -> Result<Option<Detector>, PiiError> {
        let global = Layer::compile(
            "",
            self.enabled,
            self.name_fields.as_deref(),
            &self.patterns,
        )?;
        let mut layers = vec![global];
        for key in [server.to_owned(), format!("{server}.{tool}")] {
            if let Some(o) = self.servers.get(&key) {
                let at = format!("servers.{key:?}.");
                layers.push(Layer::compile(
                    &at,
                    o.enabled,
                    o.name_fields.as_deref(),
                    &o.patterns,
                )?);
            }
        }
        Ok(resolve(layers.iter()))
    }
}

/// [`PiiSettings`] with every regex compiled: resolving a detector only clones (cheap,
/// reference-counted) regexes.
#[derive(Debug, Clone)]
pub struct PiiPolicy {
    global: Layer,
    overrides: BTreeMap<String, Layer>,
}

impl PiiPolicy {
    /// The detector for results of `tool` on `server`, or `None` when tokenization is off there.
    pub fn detector_for(&self, server: &str, tool: &str) -> Option<Detector> {
        let server_layer = self.overrides.get(server);
        let tool_layer = self.overrides.get(&format!("{server}.{tool}"));
        resolve(
            std::iter::once(&self.global)
                .chain(server_layer)
                .chain(tool_layer),
        )
    }
}

/// One level of settings (global, server or tool) with its patterns compiled.
#[derive(Debug, Clone)]
struct Layer {
    enabled: Option<bool>,
    name_fields: Option<Vec<String>>,
    patterns: Vec<(String, Regex)>,
}

impl Layer {
    /// `at` prefixes the location in error messages (`""` or `servers."crm".`).
    fn compile(
        at: &str,
        enabled: Option<bool>,
        name_fields: Option<&[String]>,
        patterns: &[CustomPattern],
    ) -> Result<Layer, PiiError> {
        if let Some(fields) = name_fields
            && let Some(i) = fields.iter().position(|f| f.is_empty())
        {
            return Err(PiiError::NameField {
                at: format!("{at}name_fields[{i}]"),
            });
        }
        let patterns = patterns
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let at = format!("{at}patterns[{i}]");
                detect::compile_pattern(&at, &p.kind, &p.regex).map(|re| (p.kind.clone(), re))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Layer {
            enabled,
            name_fields: name_fields.map(<[String]>::to_vec),
            patterns,
        })
    }
}

/// Merges layers from least to most specific: the last `enabled` and `name_fields` set win,
/// patterns add up.
fn resolve<'a>(layers: impl Iterator<Item = &'a Layer> + Clone) -> Option<Detector> {
    let enabled = layers
        .clone()
        .filter_map(|l| l.enabled)
        .last()
        .unwrap_or(true);
    if !enabled {
        return None;
    }
    let mut detector = Detector::builtin();
    if let Some(fields) = layers.clone().filter_map(|l| l.name_fields.clone()).last() {
        detector = detector.with_name_fields(fields);
    }
    for layer in layers {
        for (kind, regex) in &layer.patterns {
            detector = detector.with_compiled_pattern(kind, regex.clone());
        }
    }
    Some(detector)
}

fn check_key(key: &str) -> Result<(), PiiError> {
    let bad = key.is_empty()
        || key.starts_with('.')
        || key.ends_with('.')
        || key.chars().any(char::is_whitespace);
    if bad {
        return Err(PiiError::Key {
            key: key.to_owned(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(json: serde_json::Value) -> PiiSettings {
        serde_json::from_value(json).expect("settings parse")
    }

    #[test]
    fn defaults_enable_builtin_detection() {
        let s = PiiSettings::default();
        assert!(s.is_enabled());
        s.validate().expect("default settings are valid");
        let d = s.detector_for("crm", "get").expect("ok").expect("enabled");
        assert!(d.is_name_field("fullName"));
        assert!(!d.is_name_field("FullName"));
        assert_eq!(d.find("mail a@example.com").len(), 1);
    }

    #[test]
    fn snake_case_keys_and_unknown_keys() {
        let s = settings(serde_json::json!({
            "name_fields": ["who"],
            "patterns": [{"kind": "EMP_ID", "regex": "EMP-\\d{6}"}],
            "servers": {"crm": {"enabled": false}, "crm.lookup": {"enabled": true}},
        }));
        assert_eq!(s.name_fields.as_deref(), Some(&["who".to_owned()][..]));
        let err = serde_json::from_value::<PiiSettings>(serde_json::json!({"name-fields": []}));
        assert!(err.is_err());
        let err = serde_json::from_value::<PiiSettings>(
            serde_json::json!({"servers": {"x": {"servers": {}}}}),
        );
        assert!(err.is_err());
    }

    #[test]
    fn overrides_resolve_tool_over_server_over_global() {
        let s = settings(serde_json::json!({
            "name_fields": ["who"],
            "patterns": [{"kind": "EMP_ID", "regex": "EMP-\\d{6}"}],
            "servers": {
                "crm": {"enabled": false, "name_fields": ["contact"]},
                "crm.lookup": {"enabled": true, "patterns": [{"kind": "TICKET", "regex": "T#\\d+"}]},
                "mail": {"name_fields": ["sender"]},
            },
        }));
        s.validate().expect("valid");
        assert!(s.detector_for("crm", "list").expect("ok").is_none());
        let d = s.detector_for("crm", "lookup").expect("ok").expect("on");
        assert!(d.is_name_field("contact"));
        assert!(!d.is_name_field("who"));
        let kinds: Vec<_> = d
            .find("EMP-123456 and T#42")
            .into_iter()
            .map(|s| s.kind)
            .collect();
        assert_eq!(
            kinds,
            vec![Kind::Custom("EMP_ID".into()), Kind::Custom("TICKET".into())]
        );
        let d = s.detector_for("mail", "read").expect("ok").expect("on");
        assert!(d.is_name_field("sender") && !d.is_name_field("who"));
        assert!(d.find("T#42").is_empty());
        let d = s.detector_for("other", "x").expect("ok").expect("on");
        assert!(d.is_name_field("who"));

        // The compiled policy agrees.
        let policy = s.compile().expect("compiles");
        assert!(policy.detector_for("crm", "list").is_none());
        let d = policy.detector_for("crm", "lookup").expect("on");
        assert_eq!(d.find("T#7 EMP-000001").len(), 2);
    }

    #[test]
    fn validation_names_the_bad_entry() {
        let s = settings(serde_json::json!({
            "patterns": [{"kind": "OK", "regex": "x+"}, {"kind": "emp id", "regex": "x"}],
        }));
        let e = s.validate().expect_err("bad kind");
        assert_eq!(
            e.to_string(),
            "patterns[1]: kind \"emp id\" must be 1 to 40 uppercase letters, digits or underscores (e.g. EMPLOYEE_ID)"
        );

        let s = settings(serde_json::json!({
            "servers": {"crm": {"patterns": [{"kind": "X", "regex": "("}]}},
        }));
        let e = s.validate().expect_err("bad regex");
        assert!(
            e.to_string()
                .starts_with("servers.\"crm\".patterns[0]: regex for X does not compile"),
            "{e}"
        );
        // Only the entries that apply are compiled when resolving one detector.
        assert!(s.detector_for("other", "t").is_ok());
        assert!(s.detector_for("crm", "t").is_err());

        let s = settings(serde_json::json!({"patterns": [{"kind": "X", "regex": "a*"}]}));
        assert_eq!(
            s.validate().expect_err("empty").to_string(),
            "patterns[0]: regex for X matches the empty string"
        );

        let s = settings(serde_json::json!({"name_fields": ["name", ""]}));
        assert_eq!(
            s.validate().expect_err("empty field").to_string(),
            "name_fields[1]: a name field must not be empty"
        );

        let s = settings(serde_json::json!({"servers": {"crm.": {}}}));
        assert!(matches!(s.validate(), Err(PiiError::Key { .. })));
    }

    #[test]
    fn schema_is_generated() {
        let schema = schemars::schema_for!(PiiSettings);
        let text = serde_json::to_string(&schema).expect("schema serializes");
        assert!(text.contains("name_fields"));
        assert!(text.contains("PiiOverride"));
    }
}
