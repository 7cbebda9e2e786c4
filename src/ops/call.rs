//! `call`: one tool of one configured server, outside the sandbox (`skillet call`).

use crate::config::ServerConfig;
use crate::registry::Registry;
use crate::tool::ToolResult;
use std::sync::Arc;

use crate::upstream::{CallContext, Elicitor, Login, Upstream, UpstreamError};

/// `skillet call`: connects to one configured server, calls one tool, and closes the connection.
/// A result with `isError` is returned as a [`UpstreamError::ToolError`]. What the server asks
/// during the call (MCP elicitation) goes to `elicitor`, or is declined without one. A server
/// that refuses the call for want of a scope (OAuth step-up) is logged in to again through
/// `login`, once, and asked again.
pub async fn call(
    registry: &Registry,
    servers: &[ServerConfig],
    server: &str,
    tool: &str,
    arguments: serde_json::Map<String, serde_json::Value>,
    elicitor: Option<Arc<dyn Elicitor>>,
    login: Option<Arc<dyn Login>>,
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
    let logs_dir = registry.logs_dir();
    let connect = || {
        Upstream::connect(
            config,
            &registry.settings().upstream,
            &logs_dir,
            registry.root(),
        )
    };
    let context = CallContext {
        elicitor,
        ..CallContext::default()
    };
    // At most one login: a server that keeps refusing gets its refusal back.
    let mut login = login;
    let mut up = match connect().await {
        Ok(up) => up,
        Err(e) => return Ok(Err(e)),
    };
    let spare = login.is_some().then(|| arguments.clone());
    let mut result = up.call_tool_checked_in(tool, arguments, &context).await;
    if let (Err(e), Some(arguments)) = (&result, spare) {
        match log_in_again(&mut login, server, e).await {
            Some(Ok(())) => {
                up.shutdown().await;
                up = match connect().await {
                    Ok(up) => up,
                    Err(e) => return Ok(Err(e)),
                };
                result = up.call_tool_checked_in(tool, arguments, &context).await;
            }
            Some(Err(login_error)) => result = Err(login_error),
            None => {}
        }
    }
    up.shutdown().await;
    Ok(result)
}

/// Logs in through `login` (taken: once) when `error` is a refusal for want of a scope; `None`
/// when it is not, or there is nobody to log in.
async fn log_in_again(
    login: &mut Option<Arc<dyn Login>>,
    server: &str,
    error: &UpstreamError,
) -> Option<Result<(), UpstreamError>> {
    let scope = crate::upstream::step_up_scope(error)?;
    let login = login.take()?;
    Some(login.login(server, scope).await)
}
