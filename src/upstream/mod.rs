//! Connections to the user's MCP servers (rmcp client over stdio child processes or streamable
//! HTTP). Only this module knows rmcp's client types: the rest of skillet sees [`Upstream`]
//! and the neutral [`ToolSpec`] and [`ToolResult`] (of `crate::tool`).

pub mod auth;
mod elicit;
mod error;
mod handler;
mod pool;
mod retry;
mod stdio;
mod wire;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use rmcp::model::CallToolRequestParams;
use rmcp::service::{ClientInitializeError, RoleClient, RunningService, ServiceError, ServiceExt};
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use serde::Serialize;

pub use elicit::{
    CallContext, CallEvent, ElicitAction, ElicitAnswer, ElicitRequest, Elicitor, Events, Login,
};
pub use error::UpstreamError;
pub use pool::UpstreamPool;

/// Called with a server's name when it says its tool list changed.
pub type ChangeHook = std::sync::Arc<dyn Fn(&str) + Send + Sync>;

use crate::config::{ServerConfig, Transport, UpstreamSettings};
use crate::tool::{ToolResult, ToolSpec};
use handler::Handler;
use stdio::{ChildProcess, StdioSpec};

/// A connected, initialized upstream server.
pub struct Upstream {
    name: String,
    service: RunningService<RoleClient, Handler>,
    child: Option<ChildProcess>,
    timeouts: UpstreamSettings,
    started_in: Duration,
    log_path: Option<PathBuf>,
    /// The token file of an OAuth server (to remember a scope a 403 asks for).
    token_file: Option<(auth::TokenFile, String)>,
}

/// How the start of a stdio server ended (a short-lived value on the stack; size is no concern).
#[allow(clippy::large_enum_variant)]
enum Start<S> {
    Served(Result<S, ClientInitializeError>),
    Exited(std::io::Result<std::process::ExitStatus>),
    TimedOut,
}

/// Who the server said it is in its `initialize` reply.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ServerIdentity {
    pub name: Option<String>,
    pub version: Option<String>,
    pub protocol_version: String,
}

/// Where logs of a server go: `<logs_dir>/<safe name>.log`.
pub fn log_path(logs_dir: &Path, server: &str) -> PathBuf {
    logs_dir.join(format!("{}.log", crate::tool::safe_segment(server)))
}

impl Upstream {
    /// Starts (stdio) or opens (HTTP) the server and completes the MCP handshake within the
    /// start timeout. A relative `cwd` is taken relative to `base_dir`.
    pub async fn connect(
        config: &ServerConfig,
        timeouts: &UpstreamSettings,
        logs_dir: &Path,
        base_dir: &Path,
    ) -> Result<Self, UpstreamError> {
        Self::connect_with_hook(config, timeouts, logs_dir, base_dir, None).await
    }

    /// [`Self::connect`], calling `on_tools_changed` with the server's name whenever it sends
    /// `notifications/tools/list_changed`.
    pub async fn connect_with_hook(
        config: &ServerConfig,
        timeouts: &UpstreamSettings,
        logs_dir: &Path,
        base_dir: &Path,
        on_tools_changed: Option<ChangeHook>,
    ) -> Result<Self, UpstreamError> {
        let started = Instant::now();
        let name = config.name.as_str();
        match &config.transport {
            Transport::Stdio {
                command,
                args,
                env,
                cwd,
            } => {
                let log_path = log_path(logs_dir, name);
                let cwd = cwd.as_ref().map(|c| base_dir.join(c));
                let (mut child, reader, stdin) = stdio::spawn(&StdioSpec {
                    server: name,
                    command,
                    args,
                    env,
                    cwd: cwd.as_deref(),
                    log_path: &log_path,
                })?;
                let handler = Handler::new(name, Some(child.log().clone()), on_tools_changed);
                let serve = handler.serve(wire::LineTransport::new(reader, stdin));
                tokio::pin!(serve);
                // Race the handshake against the child's exit and the deadline, so each failure
                // is told apart as it happens.
                let outcome = tokio::select! {
                    served = &mut serve => Start::Served(served),
                    status = child.wait() => Start::Exited(status),
                    () = tokio::time::sleep(timeouts.start_timeout()) => Start::TimedOut,
                };
                let log = child.log().clone();
                let exited = |status: String| UpstreamError::ExitedDuringStart {
                    server: name.to_owned(),
                    status,
                    stderr_tail: log.tail(),
                    log: Some(log.path().to_owned()),
                };
                let err = match outcome {
                    Start::Served(Ok(service)) => {
                        return Ok(Self {
                            name: name.to_owned(),
                            service,
                            child: Some(child),
                            timeouts: timeouts.clone(),
                            started_in: started.elapsed(),
                            log_path: Some(log_path),
                            token_file: None,
                        });
                    }
                    Start::Exited(status) => {
                        exited(status.map_or_else(|e| e.to_string(), |s| s.to_string()))
                    }
                    Start::TimedOut => UpstreamError::StartTimeout {
                        server: name.to_owned(),
                        after: timeouts.start_timeout(),
                        stderr_tail: log.tail(),
                        log: Some(log.path().to_owned()),
                    },
                    // The EOF that ends a handshake comes just before the exit: wait for it.
                    Start::Served(Err(
                        e @ (ClientInitializeError::ConnectionClosed(_)
                        | ClientInitializeError::TransportError { .. }),
                    )) => match child.exit_status(Duration::from_millis(500)).await {
                        Some(status) => exited(status.to_string()),
                        None => classify_init_error(name, None, &e, Some(&log)),
                    },
                    Start::Served(Err(e)) => classify_init_error(name, None, &e, Some(&log)),
                };
                child.terminate(timeouts.shutdown_grace()).await;
                Err(err)
            }
            Transport::Http {
                url,
                headers,
                oauth,
            } => {
                let mut custom = HashMap::new();
                for (key, value) in headers {
                    let bad = |what: &str| UpstreamError::Protocol {
                        server: name.to_owned(),
                        message: format!(
                            "header `{key}` has an invalid {what}; fix it in the MCP configuration"
                        ),
                    };
                    let key =
                        http::HeaderName::from_bytes(key.as_bytes()).map_err(|_| bad("name"))?;
                    let value = http::HeaderValue::from_str(value).map_err(|_| bad("value"))?;
                    custom.insert(key, value);
                }
                let config = StreamableHttpClientTransportConfig::with_uri(url.as_str())
                    .custom_headers(custom);
                let handler = Handler::new(name, None, on_tools_changed);
                let (served, token_file) = match auth::runtime_client(name, url, headers, oauth)
                    .await?
                {
                    Some((client, file)) => {
                        let transport = StreamableHttpClientTransport::with_client(client, config);
                        let served = tokio::time::timeout(
                            timeouts.start_timeout(),
                            handler.serve(transport),
                        )
                        .await;
                        (served, Some((file, url.clone())))
                    }
                    None => {
                        let transport = StreamableHttpClientTransport::from_config(config);
                        let served = tokio::time::timeout(
                            timeouts.start_timeout(),
                            handler.serve(transport),
                        )
                        .await;
                        (served, None)
                    }
                };
                match served {
                    Ok(Ok(service)) => Ok(Self {
                        name: name.to_owned(),
                        service,
                        child: None,
                        timeouts: timeouts.clone(),
                        started_in: started.elapsed(),
                        log_path: None,
                        token_file,
                    }),
                    Ok(Err(e)) => Err(auth_error(name, init_error_source(&e), token_file.as_ref())
                        .unwrap_or_else(|| classify_init_error(name, Some(url), &e, None))),
                    Err(_) => Err(UpstreamError::StartTimeout {
                        server: name.to_owned(),
                        after: timeouts.start_timeout(),
                        stderr_tail: Vec::new(),
                        log: None,
                    }),
                }
            }
        }
    }

    /// Whether the session ended (the server exited or closed the connection).
    pub fn is_closed(&self) -> bool {
        self.service.is_closed()
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// From spawn (or first request) to the `initialize` reply.
    pub fn started_in(&self) -> Duration {
        self.started_in
    }

    pub fn log_path(&self) -> Option<&Path> {
        self.log_path.as_deref()
    }

    pub fn identity(&self) -> ServerIdentity {
        self.service
            .peer()
            .peer_info()
            .map(|info| ServerIdentity {
                name: info.server_info.as_ref().map(|i| i.name.clone()),
                version: info.server_info.as_ref().map(|i| i.version.clone()),
                protocol_version: info.protocol_version.to_string(),
            })
            .unwrap_or_default()
    }

    /// Every tool, following `nextCursor` through all pages, within the list timeout.
    pub async fn list_tools(&self) -> Result<Vec<ToolSpec>, UpstreamError> {
        let tools = tokio::time::timeout(
            self.timeouts.list_timeout(),
            self.service.peer().list_all_tools(),
        )
        .await
        .map_err(|_| UpstreamError::ListTimeout {
            server: self.name.clone(),
            after: self.timeouts.list_timeout(),
        })?
        .map_err(|e| self.service_error(&e, "tools/list"))?;
        tools
            .into_iter()
            .map(|tool| {
                serde_json::to_value(&tool)
                    .and_then(serde_json::from_value::<ToolSpec>)
                    .map_err(|e| UpstreamError::Protocol {
                        server: self.name.clone(),
                        message: format!("tool `{}` has an unreadable definition: {e}", tool.name),
                    })
            })
            .collect()
    }

    /// Calls a tool within the call timeout. A result with `isError` is returned as is; see
    /// [`Self::call_tool_checked`] to turn it into an error.
    pub async fn call_tool(
        &self,
        tool: &str,
        arguments: serde_json::Map<String, serde_json::Value>,
    ) -> Result<ToolResult, UpstreamError> {
        self.call_tool_in(tool, arguments, &CallContext::default())
            .await
    }

    /// [`Self::call_tool`] for a caller: elicitation the server sends while this call is out
    /// goes to the caller's elicitor (see [`elicit`]), and is reported in its events.
    pub async fn call_tool_in(
        &self,
        tool: &str,
        arguments: serde_json::Map<String, serde_json::Value>,
        context: &CallContext,
    ) -> Result<ToolResult, UpstreamError> {
        let _entered = self.service.service().callers().enter(context);
        let params = CallToolRequestParams::new(tool.to_owned()).with_arguments(arguments);
        let result = tokio::time::timeout(
            self.timeouts.call_timeout(),
            self.service.peer().call_tool(params),
        )
        .await
        .map_err(|_| UpstreamError::CallTimeout {
            server: self.name.clone(),
            tool: tool.to_owned(),
            after: self.timeouts.call_timeout(),
        })?
        .map_err(|e| self.service_error(&e, tool))?;
        Ok(ToolResult {
            content: result
                .content
                .iter()
                .map(|b| serde_json::to_value(b).unwrap_or(serde_json::Value::Null))
                .collect(),
            structured_content: result.structured_content,
            is_error: result.is_error.unwrap_or(false),
        })
    }

    /// Like [`Self::call_tool`], but a result with `isError` is a [`UpstreamError::ToolError`].
    pub async fn call_tool_checked(
        &self,
        tool: &str,
        arguments: serde_json::Map<String, serde_json::Value>,
    ) -> Result<ToolResult, UpstreamError> {
        self.call_tool_checked_in(tool, arguments, &CallContext::default())
            .await
    }

    /// [`Self::call_tool_checked`] for a caller (see [`Self::call_tool_in`]).
    pub async fn call_tool_checked_in(
        &self,
        tool: &str,
        arguments: serde_json::Map<String, serde_json::Value>,
        context: &CallContext,
    ) -> Result<ToolResult, UpstreamError> {
        let result = self.call_tool_in(tool, arguments, context).await?;
        if result.is_error {
            let text = result.text();
            return Err(UpstreamError::ToolError {
                server: self.name.clone(),
                tool: tool.to_owned(),
                message: if text.is_empty() {
                    "the tool reported an error without a message".into()
                } else {
                    text
                },
            });
        }
        Ok(result)
    }

    /// Closes the session and ends the child: stdin closed, then SIGTERM, then SIGKILL.
    pub async fn shutdown(self) {
        let Self {
            service,
            child,
            timeouts,
            ..
        } = self;
        let _ = tokio::time::timeout(timeouts.shutdown_grace(), service.cancel()).await;
        if let Some(child) = child {
            child.terminate(timeouts.shutdown_grace()).await;
        }
    }

    fn service_error(&self, e: &ServiceError, what: &str) -> UpstreamError {
        if let Some(err) = auth_error(&self.name, e, self.token_file.as_ref()) {
            return err;
        }
        match e {
            ServiceError::McpError(data) => UpstreamError::Protocol {
                server: self.name.clone(),
                message: format!(
                    "`{what}` was refused: {} (code {})",
                    data.message, data.code.0
                ),
            },
            ServiceError::TransportSend(_) if let Some(status) = http_status(e) => {
                UpstreamError::HttpStatus {
                    server: self.name.clone(),
                    status: status.status,
                    retry_after: status
                        .retry_after
                        .as_deref()
                        .and_then(retry::parse_retry_after),
                    message: format!("`{what}` failed"),
                }
            }
            ServiceError::TransportClosed
            | ServiceError::TransportSend(_)
            | ServiceError::Cancelled { .. } => UpstreamError::ConnectionClosed {
                server: self.name.clone(),
                stderr_tail: self
                    .child
                    .as_ref()
                    .map(|c| c.log().tail())
                    .unwrap_or_default(),
                log: self.log_path.clone(),
            },
            other => UpstreamError::Protocol {
                server: self.name.clone(),
                message: format!("`{what}`: {}", error_chain(other)),
            },
        }
    }
}

/// The HTTP status (429, 5xx) a request failed with, from rmcp's error chain.
fn http_status(
    e: &ServiceError,
) -> Option<&rmcp::transport::streamable_http_client::HttpStatusError> {
    use rmcp::transport::streamable_http_client::{HttpStatusError, StreamableHttpError};
    let mut source: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(e);
    while let Some(current) = source {
        if let Some(status) = current.downcast_ref::<HttpStatusError>() {
            return Some(status);
        }
        // A transparent variant: its status is not among the sources.
        if let Some(StreamableHttpError::HttpStatus(status)) =
            current.downcast_ref::<StreamableHttpError<reqwest::Error>>()
        {
            return Some(status);
        }
        source = current.source();
    }
    None
}

fn classify_init_error(
    server: &str,
    url: Option<&str>,
    e: &ClientInitializeError,
    log: Option<&std::sync::Arc<stdio::LogFile>>,
) -> UpstreamError {
    let closed = || UpstreamError::ConnectionClosed {
        server: server.to_owned(),
        stderr_tail: log.map(|l| l.tail()).unwrap_or_default(),
        log: log.map(|l| l.path().to_owned()),
    };
    match (e, url) {
        (
            ClientInitializeError::TransportError { .. }
            | ClientInitializeError::ConnectionClosed(_),
            Some(url),
        ) => UpstreamError::Unreachable {
            server: server.to_owned(),
            url: url.to_owned(),
            message: error_chain(e),
        },
        (ClientInitializeError::ConnectionClosed(_), None) => closed(),
        (ClientInitializeError::TransportError { .. }, None) => closed(),
        _ => UpstreamError::Protocol {
            server: server.to_owned(),
            message: format!("the `initialize` handshake failed: {}", error_chain(e)),
        },
    }
}

/// Where the transport's error sits in a failed `initialize` (rmcp does not make it the
/// error's `source`).
fn init_error_source(e: &ClientInitializeError) -> &(dyn std::error::Error + 'static) {
    match e {
        ClientInitializeError::TransportError { error, .. } => error,
        other => other,
    }
}

/// The OAuth failure in an error's chain: a 401 (a login is needed), a 403
/// `insufficient_scope` (remembered in the token file for the next login), or rmcp's own.
fn auth_error(
    server: &str,
    e: &(dyn std::error::Error + 'static),
    token_file: Option<&(auth::TokenFile, String)>,
) -> Option<UpstreamError> {
    use rmcp::transport::streamable_http_client::{AuthRequiredError, InsufficientScopeError};
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = source {
        if err.downcast_ref::<AuthRequiredError>().is_some() {
            return Some(
                auth::AuthFailure::LoginRequired {
                    server: server.to_owned(),
                }
                .into(),
            );
        }
        if let Some(scope) = err.downcast_ref::<InsufficientScopeError>() {
            let challenge = rmcp::transport::auth::WWWAuthenticateParams::parse(
                &scope.www_authenticate_header,
                &url::Url::parse("http://localhost/").ok()?,
            );
            let wanted = scope
                .required_scope
                .clone()
                .or(challenge.scope)
                .unwrap_or_default();
            if let Some((file, url)) = token_file
                && !wanted.is_empty()
            {
                auth::remember_step_up(file, url, &wanted);
            }
            return Some(
                auth::AuthFailure::InsufficientScope {
                    server: server.to_owned(),
                    scope: wanted,
                }
                .into(),
            );
        }
        if let Some(auth) = err.downcast_ref::<rmcp::transport::auth::AuthError>() {
            return Some(auth::AuthFailure::from_rmcp(server, auth).into());
        }
        source = err.source();
    }
    None
}

/// The scope a server refused a call for (403 `insufficient_scope`): the call did nothing,
/// and may be sent again after a login that asks for it (OAuth step-up). A server that wants a
/// login at all (401) is not logged in to by itself: that fails with its `skillet auth login`
/// hint.
pub(crate) fn step_up_scope(error: &UpstreamError) -> Option<&str> {
    match error {
        UpstreamError::Auth(auth::AuthFailure::InsufficientScope { scope, .. }) => {
            Some(scope.as_str())
        }
        _ => None,
    }
}

/// An error and its sources, joined: rmcp and reqwest keep the useful part in the sources.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = s.source();
    }
    out
}

/// The outcome of connecting to one configured server.
pub struct Connected {
    pub config: ServerConfig,
    pub result: Result<Upstream, UpstreamError>,
}

/// Connects to every server concurrently. `progress` is called as each one finishes.
pub async fn connect_all(
    configs: &[ServerConfig],
    timeouts: &UpstreamSettings,
    logs_dir: &Path,
    base_dir: &Path,
    progress: &(dyn Fn(&str, bool) + Sync),
) -> Vec<Connected> {
    futures::future::join_all(configs.iter().map(|config| async move {
        let result = Upstream::connect(config, timeouts, logs_dir, base_dir).await;
        progress(&config.name, result.is_ok());
        Connected {
            config: config.clone(),
            result,
        }
    }))
    .await
}

/// Shuts every connected server down, concurrently.
pub async fn shutdown_all(upstreams: Vec<Upstream>) {
    futures::future::join_all(upstreams.into_iter().map(Upstream::shutdown)).await;
}
