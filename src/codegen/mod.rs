//! Code generation: turns MCP `tools/list` catalogs (`crate::tool::ToolSpec`s) into a typed
//! TypeScript file tree.
//!
//! The tree follows the "code execution with MCP" layout: a root `client.ts` that declares
//! `callMCPTool`, and one folder per server under `servers/` holding one file per tool plus an
//! `index.ts` that re-exports them. Everything here is pure: callers write the returned files.
//!
//! Schemas come from untrusted servers, so nothing in this module panics on any input:
//! recursion is depth-limited, `$ref` cycles are broken, and work per schema is bounded.

mod alias_cycles;
mod emit;
mod error;
mod hash;
mod jsdoc;
mod names;
mod root;
mod schema_ts;
mod server;
mod ts_type;

#[cfg(test)]
mod catalog_tests;

use crate::tool::ToolSpec;

/// A tool function's signature on one line (types inlined, no docs), for search results.
pub fn signature(tool: &ToolSpec, function: &str) -> String {
    emit::signature(tool, function)
}
pub use error::CodegenError;
pub use hash::{canonical_json, description_hash, schema_hash, write_canonical_json};
pub use root::generate_root;
pub use server::generate_server;

/// One generated file, ready to be written below the API root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratedFile {
    /// Path relative to the API root, `/`-separated, e.g. `servers/docs/getDocument.ts`.
    pub path: String,
    /// Full file contents.
    pub contents: String,
}

/// How one MCP tool was mapped into the generated tree (what `skillet.lock` records).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratedTool {
    /// The tool's MCP name.
    pub tool: String,
    /// The exported TypeScript function that calls it.
    pub function: String,
    /// The file declaring the function, relative to the API root, e.g. `servers/docs/getDocument.ts`.
    pub file: String,
    /// [`schema_hash`] of the tool's schemas.
    pub schema_hash: String,
    /// [`description_hash`] of the tool's description and title.
    pub description_hash: String,
}

/// The generated API of one MCP server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerApi {
    /// The server's config name.
    pub server: String,
    /// The server's folder under `servers/`: a safe path segment (settled among all servers by
    /// [`generate_root`], through `crate::tool::place_servers`).
    pub folder: String,
    /// The identifier the server is exported as from `servers/index.ts`.
    pub namespace: String,
    /// One entry per tool, sorted by MCP tool name.
    pub tools: Vec<GeneratedTool>,
    /// The server's files (one per tool plus `index.ts`), sorted by path.
    pub files: Vec<GeneratedFile>,
}

/// A server with no tools or files: stands for a folder generated earlier (by a run where the
/// server answered) so that [`generate_root`] keeps it in `servers/index.ts`.
pub fn placeholder_server(server: &str) -> ServerApi {
    ServerApi {
        server: server.to_owned(),
        folder: crate::tool::safe_segment(server),
        namespace: crate::tool::names::namespace_name(server),
        tools: Vec::new(),
        files: Vec::new(),
    }
}
