//! The error type of the code generator.

/// Why a server's API could not be generated.
#[derive(Debug, thiserror::Error)]
pub enum CodegenError {
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
