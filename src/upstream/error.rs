//! Classified failures of upstream servers. Every message names the server.

use std::path::PathBuf;
use std::time::Duration;

/// What went wrong with an upstream server.
#[derive(Debug, Clone, thiserror::Error)]
pub enum UpstreamError {
    #[error(
        "no server `{server}` is configured (configured: {})",
        if configured.is_empty() { "none".to_owned() } else { configured.join(", ") }
    )]
    NotConfigured {
        server: String,
        configured: Vec<String>,
    },

    #[error("server `{server}`: command `{command}` was not found")]
    CommandNotFound { server: String, command: String },

    #[error("server `{server}`: cannot start `{command}`: {message}")]
    Spawn {
        server: String,
        command: String,
        message: String,
    },

    #[error("server `{server}` exited during start ({status}){}", stderr_section(.stderr_tail, .log))]
    ExitedDuringStart {
        server: String,
        status: String,
        stderr_tail: Vec<String>,
        log: Option<PathBuf>,
    },

    #[error(
        "server `{server}` did not answer `initialize` within {}{}",
        fmt_duration(*.after),
        stderr_section(.stderr_tail, .log)
    )]
    StartTimeout {
        server: String,
        after: Duration,
        stderr_tail: Vec<String>,
        log: Option<PathBuf>,
    },

    #[error("server `{server}` cannot be reached at {url}: {message}")]
    Unreachable {
        server: String,
        url: String,
        message: String,
    },

    #[error("server `{server}`: protocol error: {message}")]
    Protocol { server: String, message: String },

    #[error(
        "server `{server}`: `tools/list` did not finish within {}",
        fmt_duration(*.after)
    )]
    ListTimeout { server: String, after: Duration },

    #[error(
        "server `{server}`: tool `{tool}` did not answer within {}",
        fmt_duration(*.after)
    )]
    CallTimeout {
        server: String,
        tool: String,
        after: Duration,
    },

    #[error("server `{server}`: tool `{tool}` failed: {message}")]
    ToolError {
        server: String,
        tool: String,
        message: String,
    },

    #[error("server `{server}`: connection closed{}", stderr_section(.stderr_tail, .log))]
    ConnectionClosed {
        server: String,
        stderr_tail: Vec<String>,
        log: Option<PathBuf>,
    },

    /// OAuth: a login is needed, a scope is missing, a token file is refused, ...
    #[error(transparent)]
    Auth(#[from] super::auth::AuthFailure),
    /// An HTTP server answered a request with 429 or 5xx.
    #[error("server `{server}` answered HTTP {status}{}: {message}", retry_after.map(|d| format!(" (Retry-After: {})", fmt_duration(d))).unwrap_or_default())]
    HttpStatus {
        server: String,
        status: u16,
        retry_after: Option<Duration>,
        message: String,
    },

    /// A transient failure of a call that is not retried automatically: the tool is not marked
    /// read-only or idempotent, so sending it again could repeat its effect.
    #[error(
        "{cause}\nnot retried: `{tool}` is not marked read-only or idempotent, so a retry is unsafe (it could repeat the call's effect)"
    )]
    Unretried {
        tool: String,
        cause: Box<UpstreamError>,
    },

    /// A server that failed is not retried before its back-off ends.
    #[error(
        "server `{server}` is down; the next restart attempt is in {}\nlast error: {last}",
        fmt_duration(*.retry_in)
    )]
    Down {
        server: String,
        last: String,
        retry_in: Duration,
    },
}

impl crate::error::Diagnose for UpstreamError {
    fn hints(&self) -> Vec<String> {
        let hint = match self {
            Self::Auth(e) => return e.hints(),
            Self::NotConfigured { .. } => "add it under \"mcpServers\" in .mcp.json",
            Self::CommandNotFound { .. } => {
                "install it, put it on PATH, or give its full path in the MCP configuration"
            }
            Self::StartTimeout { .. } => {
                "raise `upstream.start_timeout_ms` in skillet.toml if it is just slow to start"
            }
            Self::ListTimeout { .. } => "raise `upstream.list_timeout_ms` in skillet.toml",
            Self::CallTimeout { .. } => "raise `upstream.call_timeout_ms` in skillet.toml",
            Self::Unretried { cause, .. } => {
                let mut hints = crate::error::Diagnose::hints(&**cause);
                hints.push(
                    "check whether the call took effect (with a read-only tool) before calling it again"
                        .into(),
                );
                return hints;
            }
            _ => return Vec::new(),
        };
        vec![hint.to_owned()]
    }
}

/// A short, stable name for each kind, for `--json` output and tests.
impl UpstreamError {
    pub fn kind(&self) -> &'static str {
        match self {
            Self::NotConfigured { .. } => "not_configured",
            Self::CommandNotFound { .. } => "command_not_found",
            Self::Spawn { .. } => "spawn",
            Self::ExitedDuringStart { .. } => "exited_during_start",
            Self::StartTimeout { .. } => "start_timeout",
            Self::Unreachable { .. } => "unreachable",
            Self::Protocol { .. } => "protocol",
            Self::ListTimeout { .. } => "list_timeout",
            Self::CallTimeout { .. } => "call_timeout",
            Self::ToolError { .. } => "tool_error",
            Self::ConnectionClosed { .. } => "connection_closed",
            Self::Down { .. } => "down",
            Self::Auth(e) => e.kind(),
            Self::HttpStatus { .. } => "http_status",
            Self::Unretried { cause, .. } => cause.kind(),
        }
    }

    pub fn server(&self) -> &str {
        match self {
            Self::NotConfigured { server, .. }
            | Self::CommandNotFound { server, .. }
            | Self::Spawn { server, .. }
            | Self::ExitedDuringStart { server, .. }
            | Self::StartTimeout { server, .. }
            | Self::Unreachable { server, .. }
            | Self::Protocol { server, .. }
            | Self::ListTimeout { server, .. }
            | Self::CallTimeout { server, .. }
            | Self::ToolError { server, .. }
            | Self::ConnectionClosed { server, .. }
            | Self::HttpStatus { server, .. }
            | Self::Down { server, .. } => server,
            Self::Auth(e) => e.server(),
            Self::Unretried { cause, .. } => cause.server(),
        }
    }
}

fn stderr_section(tail: &[String], log: &Option<PathBuf>) -> String {
    let mut out = String::new();
    if !tail.is_empty() {
        out.push_str("\nlast lines of its stderr:");
        for line in tail {
            out.push_str("\n  | ");
            out.push_str(line);
        }
    }
    if let Some(log) = log {
        out.push_str(&format!("\nfull log: {}", log.display()));
    }
    out
}

pub(crate) fn fmt_duration(d: Duration) -> String {
    if d.as_millis() < 1000 {
        format!("{} ms", d.as_millis())
    } else {
        format!("{:.1} s", d.as_secs_f64())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_the_server_and_carry_stderr() {
        let err = UpstreamError::ExitedDuringStart {
            server: "fs".into(),
            status: "exit status: 1".into(),
            stderr_tail: vec!["Error: no such directory /nope".into()],
            log: Some("/r/.skillet/logs/fs.log".into()),
        };
        assert_eq!(
            err.to_string(),
            "server `fs` exited during start (exit status: 1)\nlast lines of its stderr:\n  | Error: no such directory /nope\nfull log: /r/.skillet/logs/fs.log"
        );
        assert_eq!(err.kind(), "exited_during_start");
        let err = UpstreamError::CallTimeout {
            server: "crm".into(),
            tool: "find".into(),
            after: Duration::from_millis(1500),
        };
        assert!(
            err.to_string()
                .starts_with("server `crm`: tool `find` did not answer within 1.5 s")
        );
    }
}
