//! What an upstream server asks during a served run (MCP elicitation) goes on to the agent's
//! client of the session whose `run_code` made the call, when that client supports
//! elicitation (the routing among runs is `upstream::elicit`'s).

use std::sync::Arc;

use futures::future::BoxFuture;
use rmcp::model::{
    ClientResult, ElicitRequest as McpElicitRequest, ElicitRequestParams, ElicitationAction,
    ElicitationSchema, ServerRequest,
};
use rmcp::service::RequestContext;
use rmcp::{Peer, RoleServer};

use crate::upstream::{ElicitAction, ElicitAnswer, ElicitRequest, Elicitor};

pub(super) struct PeerElicitor {
    peer: Peer<RoleServer>,
}

impl PeerElicitor {
    /// `Some` when the client said it supports elicitation.
    pub(super) fn for_client(context: &RequestContext<RoleServer>) -> Option<Arc<dyn Elicitor>> {
        context
            .peer
            .peer_info()
            .is_some_and(|info| info.capabilities.elicitation.is_some())
            .then(|| {
                Arc::new(PeerElicitor {
                    peer: context.peer.clone(),
                }) as Arc<dyn Elicitor>
            })
    }
}

impl Elicitor for PeerElicitor {
    fn elicit(&self, request: ElicitRequest) -> BoxFuture<'_, Result<ElicitAnswer, String>> {
        Box::pin(async move {
            let schema: ElicitationSchema = serde_json::from_value(request.schema)
                .map_err(|e| format!("the server's form is not a flat elicitation schema: {e}"))?;
            let ask = ServerRequest::ElicitRequest(McpElicitRequest::new(
                ElicitRequestParams::FormElicitationParams {
                    meta: None,
                    message: format!("server `{}` asks: {}", request.server, request.message),
                    requested_schema: schema,
                },
            ));
            let answer = self
                .peer
                .send_request(ask)
                .await
                .map_err(|e| format!("the client did not answer: {e}"))?;
            let ClientResult::ElicitResult(result) = answer else {
                return Err("the client answered with something else".into());
            };
            let action = match result.action {
                ElicitationAction::Accept => ElicitAction::Accept,
                ElicitationAction::Cancel => ElicitAction::Cancel,
                _ => ElicitAction::Decline,
            };
            let content = match result.content {
                Some(serde_json::Value::Object(map)) if action == ElicitAction::Accept => Some(map),
                _ => None,
            };
            Ok(ElicitAnswer { action, content })
        })
    }
}
