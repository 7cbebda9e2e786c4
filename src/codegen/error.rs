//! The error type of the code generator.

/// Why a catalog could not be read or a server's API could not be generated.
#[derive(Debug, thiserror::Error)]
pub enum CodegenError {
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
    /// Two tools of one server share a name, so calls to them would be ambiguous.
    #[error(
        "MCP server {server:?} lists the tool {tool:?} more than once; tool names must be unique \
         within a server, so fix the server (or its saved catalog) before generating"
    )]
    DuplicateTool {
        /// The server's config name.
        server: String,
        /// The duplicated tool name.
        tool: String,
    },
}
