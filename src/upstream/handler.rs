//! skillet's side of the MCP client session: who we are, and answers to what servers ask of us.
//!
//! Roots and logging are deprecated by SEP-2577, but the servers people run today still ask for
//! roots and still send log notifications, so both are handled.
#![allow(deprecated)]

use std::sync::Arc;

use rmcp::ErrorData as McpError;
use rmcp::handler::client::ClientHandler;
use rmcp::model::{
    ClientCapabilities, ClientConfig, Implementation, ListRootsResult,
    LoggingMessageNotificationParam, ProtocolVersion,
};
use rmcp::service::{NotificationContext, RequestContext, RoleClient};

use super::stdio::LogFile;

/// Answers `roots/list` (with no roots: skillet gives servers no folders of its own), and writes
/// the server's log notifications to its log file.
#[derive(Clone)]
pub(crate) struct Handler {
    server: String,
    log: Option<Arc<LogFile>>,
    on_tools_changed: Option<super::ChangeHook>,
}

impl Handler {
    pub(crate) fn new(
        server: &str,
        log: Option<Arc<LogFile>>,
        on_tools_changed: Option<super::ChangeHook>,
    ) -> Self {
        Self {
            server: server.to_owned(),
            log,
            on_tools_changed,
        }
    }
}

impl ClientHandler for Handler {
    fn get_info(&self) -> ClientConfig {
        // The newest revision with an initialize handshake: rmcp's default is 2026-07-28,
        // which has none, so an initialize naming it is answered by a lower revision at best
        // and refused by strict servers (the conformance suite's `initialize` scenario).
        ClientConfig::new(
            ClientCapabilities::default(),
            Implementation::new("skillet", env!("CARGO_PKG_VERSION")),
        )
        .with_protocol_version(ProtocolVersion::V_2025_11_25)
    }

    async fn list_roots(
        &self,
        _context: RequestContext<RoleClient>,
    ) -> Result<ListRootsResult, McpError> {
        tracing::debug!(server = %self.server, "answered roots/list with no roots");
        Ok(ListRootsResult::default())
    }

    async fn on_tool_list_changed(&self, _context: NotificationContext<RoleClient>) {
        tracing::info!(server = %self.server, "the server says its tool list changed");
        if let Some(hook) = &self.on_tools_changed {
            hook(&self.server);
        }
    }

    async fn on_logging_message(
        &self,
        params: LoggingMessageNotificationParam,
        _context: NotificationContext<RoleClient>,
    ) {
        let text = format!("log {:?}: {}", params.level, params.data);
        match &self.log {
            Some(log) => log.note(&text),
            None => tracing::debug!(server = %self.server, "{text}"),
        }
    }
}
