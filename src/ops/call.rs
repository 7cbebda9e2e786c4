//! `call`: one tool of one configured server, outside the sandbox (`skillet call`).

use crate::config::ServerConfig;
use crate::registry::Registry;
use crate::tool::ToolResult;
use std::sync::Arc;

use crate::upstream::{CallContext, Elicitor, Upstream, UpstreamError};

/// `skillet call`: connects to one configured server, calls one tool, and closes the connection.
/// A result with `isError` is returned as a [`UpstreamError::ToolError`]. What the server asks
/// during the call (MCP elicitation) goes to `elicitor`, or is declined without one.
pub async fn call(
    registry: &Registry,
    servers: &[ServerConfig],
    server: &str,
    tool: &str,
    arguments: serde_json::Map<String, serde_json::Value>,
    elicitor: Option<Arc<dyn Elicitor>>,
) -> anyhow::Result<Result<ToolResult, UpstreamError>> {
    let Some(config) = servers.iter().find(|s| s.name == server) else {
        let known: Vec<&str> = servers.iter().map(|s| s.name.as_str()).collect();
        return Err(crate::error::Error::user(format!(
            "no server `{server}` is configured (configured: {})",
            if known.is_empty() {
                "none".to_owned()
            } else {
                known.join(", ")
            }
        ))
        .hint(format!(
            "add it to {}",
            registry.mcp_config_path().display()
        ))
        .into());
    };
    let up = match Upstream::connect(
        config,
        &registry.settings().upstream,
        &registry.logs_dir(),
        registry.root(),
    )
    .await
    {
        Ok(up) => up,
        Err(e) => return Ok(Err(e)),
    };
    let context = CallContext {
        elicitor,
        ..CallContext::default()
    };
    let result = up.call_tool_checked_in(tool, arguments, &context).await;
    up.shutdown().await;
    Ok(result)
}
