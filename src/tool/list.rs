//! A tool's definition as a server lists it, and the reader for saved `tools/list` responses.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// One tool as listed by a server (the fields of MCP `Tool` that skillet uses).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ToolSpec {
    /// The tool's MCP name, used on the wire.
    pub name: String,
    /// Human-readable title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// What the tool does.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// JSON Schema of the tool's arguments.
    #[serde(default = "empty_object")]
    pub input_schema: Value,
    /// JSON Schema of the tool's `structuredContent`, when it declares one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_schema: Option<Value>,
    /// MCP tool annotations (`title`, `readOnlyHint`, `destructiveHint`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub annotations: Option<Value>,
}

fn empty_object() -> Value {
    Value::Object(Map::new())
}

/// Why a saved `tools/list` response could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ToolsListError {
    /// The catalog text is not JSON at all.
    #[error("tools/list catalog is not valid JSON: {0}; save the server's raw tools/list response")]
    InvalidJson(serde_json::Error),
    /// The catalog is JSON but not one of the accepted shapes.
    #[error(
        "tools/list catalog has an unexpected shape: expected {{\"tools\": [...]}}, a JSON-RPC \
         response {{\"result\": {{\"tools\": [...]}}}}, or a bare array of tools, but found {found}"
    )]
    UnexpectedShape {
        /// A short description of what was found instead.
        found: String,
    },
    /// The catalog is a JSON-RPC error response rather than a tool list.
    #[error(
        "tools/list catalog is a JSON-RPC error response ({error}); the server refused to list its tools"
    )]
    RpcError {
        /// The compact JSON of the response's `error` member.
        error: String,
    },
    /// One entry of the tool list is not a valid MCP `Tool`.
    #[error(
        "tool #{index}{} in the tools/list catalog is invalid: {error}; each tool needs a string \
         \"name\", and \"title\" and \"description\" must be strings when present",
        name.as_deref().map(|n| format!(" ({n:?})")).unwrap_or_default()
    )]
    InvalidTool {
        /// Zero-based position of the tool in the list.
        index: usize,
        /// The tool's `name`, when it has a string one.
        name: Option<String>,
        /// What serde_json rejected.
        error: serde_json::Error,
    },
}

/// Parses a saved `tools/list` response.
///
/// Accepts `{"tools": [...]}`, a JSON-RPC envelope `{"result": {"tools": [...]}}`, or a bare
/// array of tools. Fields other than those of [`ToolSpec`] are ignored.
pub fn parse_tools_list(json: &str) -> Result<Vec<ToolSpec>, ToolsListError> {
    let value: Value = serde_json::from_str(json).map_err(ToolsListError::InvalidJson)?;
    tool_values(value)?
        .into_iter()
        .enumerate()
        .map(|(index, value)| {
            let name = value.get("name").and_then(Value::as_str).map(str::to_owned);
            serde_json::from_value(value).map_err(|error| ToolsListError::InvalidTool {
                index,
                name,
                error,
            })
        })
        .collect()
}

/// Finds the array of tools in any accepted shape.
fn tool_values(value: Value) -> Result<Vec<Value>, ToolsListError> {
    let mut map = match value {
        Value::Array(tools) => return Ok(tools),
        Value::Object(map) => map,
        other => return Err(unexpected(format!("{} at the top level", kind(&other)))),
    };
    if let Some(error) = map.get("error") {
        return Err(ToolsListError::RpcError {
            error: error.to_string(),
        });
    }
    let (mut container, found_in) = match map.remove("result") {
        Some(Value::Object(result)) => (result, "\"result\""),
        Some(other) => return Err(unexpected(format!("\"result\" holding {}", kind(&other)))),
        None => (map, "the top-level object"),
    };
    match container.remove("tools") {
        Some(Value::Array(tools)) => Ok(tools),
        Some(other) => Err(unexpected(format!("\"tools\" holding {}", kind(&other)))),
        None => Err(unexpected(format!(
            "no \"tools\" member in {found_in} (keys: {})",
            key_list(&container)
        ))),
    }
}

fn unexpected(found: String) -> ToolsListError {
    ToolsListError::UnexpectedShape { found }
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn key_list(map: &Map<String, Value>) -> String {
    const SHOWN: usize = 8;
    if map.is_empty() {
        return "none".to_owned();
    }
    let mut keys: Vec<String> = map.keys().take(SHOWN).map(|k| format!("{k:?}")).collect();
    if map.len() > SHOWN {
        keys.push("…".to_owned());
    }
    keys.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_all_three_shapes() {
        let tool = r#"{"name":"a","inputSchema":{"type":"object"},"execution":{}}"#;
        for text in [
            format!(r#"{{"tools":[{tool}]}}"#),
            format!(r#"{{"jsonrpc":"2.0","id":1,"result":{{"tools":[{tool}]}}}}"#),
            format!("[{tool}]"),
        ] {
            let tools = parse_tools_list(&text).expect("valid catalog");
            assert_eq!(tools.len(), 1);
            assert_eq!(tools[0].name, "a");
            assert_eq!(tools[0].input_schema, serde_json::json!({"type": "object"}));
        }
    }

    #[test]
    fn missing_input_schema_defaults_to_an_empty_object() {
        let tools = parse_tools_list(r#"[{"name":"a"}]"#).expect("valid catalog");
        assert_eq!(tools[0].input_schema, serde_json::json!({}));
        assert_eq!(tools[0].output_schema, None);
    }

    #[test]
    fn invalid_json_reports_line_and_column() {
        let err = parse_tools_list("{\n  \"tools\": [,]\n}").expect_err("invalid");
        let message = err.to_string();
        assert!(message.contains("line 2 column 13"), "{message}");
    }

    #[test]
    fn wrong_shapes_say_what_was_expected_and_found() {
        let message = parse_tools_list(r#"{"items":[]}"#)
            .expect_err("bad")
            .to_string();
        assert!(
            message.contains(r#"expected {"tools": [...]}"#),
            "{message}"
        );
        assert!(message.contains(r#"keys: "items""#), "{message}");
        let message = parse_tools_list(r#"{"tools":{}}"#)
            .expect_err("bad")
            .to_string();
        assert!(
            message.contains(r#""tools" holding an object"#),
            "{message}"
        );
        let message = parse_tools_list("3").expect_err("bad").to_string();
        assert!(message.contains("a number at the top level"), "{message}");
    }

    #[test]
    fn json_rpc_errors_are_reported_as_such() {
        let err = parse_tools_list(r#"{"jsonrpc":"2.0","id":1,"error":{"code":-32601}}"#)
            .expect_err("rpc error");
        assert!(matches!(err, ToolsListError::RpcError { .. }), "{err}");
    }

    #[test]
    fn invalid_tools_are_named_by_position_and_name() {
        let err =
            parse_tools_list(r#"[{"name":"ok"},{"name":"bad","title":3}]"#).expect_err("bad tool");
        let message = err.to_string();
        assert!(message.starts_with(r#"tool #1 ("bad")"#), "{message}");
        let err = parse_tools_list(r#"[{"title":"x"}]"#).expect_err("no name");
        assert!(err.to_string().contains("missing field `name`"), "{err}");
    }
}
