//! What an MCP tool is, as every layer sees it: a tool's definition ([`ToolSpec`], read from a
//! saved `tools/list` response by [`parse_tools_list`]), the result of a call ([`ToolResult`]),
//! and where a server's generated code lives ([`place_servers`]: each server's folder under
//! `servers/` and its namespace, clashes between servers settled).
//!
//! A leaf: it uses nothing else in the crate, so every layer may use it.

mod list;
pub(crate) mod names;

pub use list::{ToolSpec, ToolsListError, parse_tools_list};
pub use names::{ServerPlace, place_servers, safe_segment};

/// The result of one `tools/call`, in wire shape (content blocks as JSON).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ToolResult {
    pub content: Vec<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub structured_content: Option<serde_json::Value>,
    #[serde(default)]
    pub is_error: bool,
}

impl ToolResult {
    /// The text of all text blocks, joined by newlines.
    pub fn text(&self) -> String {
        self.content
            .iter()
            .filter(|b| b.get("type").and_then(|t| t.as_str()) == Some("text"))
            .filter_map(|b| b.get("text").and_then(|t| t.as_str()))
            .collect::<Vec<_>>()
            .join("\n")
    }
}
