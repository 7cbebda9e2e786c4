//! skillet's side of the MCP client session: who we are, and answers to what servers ask of us.
//!
//! Roots and logging are deprecated by SEP-2577, but the servers people run today still ask for
//! roots and still send log notifications, so both are handled.
#![allow(deprecated)]

use std::sync::Arc;

use rmcp::ErrorData as McpError;
use rmcp::handler::client::ClientHandler;
use rmcp::model::{
    ClientCapabilities, ClientConfig, ElicitRequestParams, ElicitResult, ElicitationAction,
    ElicitationCapability, FormElicitationCapability, Implementation, ListRootsResult,
    LoggingMessageNotificationParam, ProtocolVersion,
};
use rmcp::service::{NotificationContext, RequestContext, RoleClient};

use super::elicit::{Callers, ElicitAction, ElicitRequest};
use super::stdio::LogFile;

/// Answers `roots/list` (with no roots: skillet gives servers no folders of its own), routes
/// `elicitation/create` to the person behind the call in flight ([`Callers`]), and writes the
/// server's log notifications to its log file.
#[derive(Clone)]
pub(crate) struct Handler {
    server: String,
    log: Option<Arc<LogFile>>,
    on_tools_changed: Option<super::ChangeHook>,
    callers: Arc<Callers>,
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
            callers: Arc::default(),
        }
    }

    /// The calls in flight on this connection.
    pub(crate) fn callers(&self) -> &Arc<Callers> {
        &self.callers
    }
}

impl ClientHandler for Handler {
    fn get_info(&self) -> ClientConfig {
        let mut capabilities = ClientCapabilities::default();
        capabilities.elicitation =
            Some(ElicitationCapability::new().with_form(FormElicitationCapability::new()));
        // The newest revision with an initialize handshake: rmcp's default is 2026-07-28,
        // which has none, so an initialize naming it is answered by a lower revision at best
        // and refused by strict servers (the conformance suite's `initialize` scenario).
        ClientConfig::new(
            capabilities,
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

    async fn create_elicitation(
        &self,
        request: ElicitRequestParams,
        _context: RequestContext<RoleClient>,
    ) -> Result<ElicitResult, McpError> {
        let ElicitRequestParams::FormElicitationParams {
            message,
            requested_schema,
            ..
        } = request
        else {
            tracing::warn!(server = %self.server, "declined a URL-mode elicitation (not supported)");
            return Ok(ElicitResult::new(ElicitationAction::Decline));
        };
        let request = ElicitRequest {
            server: self.server.clone(),
            message,
            schema: serde_json::to_value(&requested_schema).unwrap_or_default(),
        };
        let answer = self.callers.route(request).await;
        let action = match answer.action {
            ElicitAction::Accept => ElicitationAction::Accept,
            ElicitAction::Decline => ElicitationAction::Decline,
            ElicitAction::Cancel => ElicitationAction::Cancel,
        };
        let accepted = answer.action == ElicitAction::Accept;
        let result = ElicitResult::new(action);
        Ok(match answer.content {
            Some(content) if accepted => result.with_content(serde_json::Value::Object(content)),
            _ => result,
        })
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
