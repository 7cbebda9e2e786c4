//! Elicitation from upstream servers, routed to a person, and what a call reports to its caller.
//!
//! A server asks (`elicitation/create`) while one of skillet's calls to it is out, but the
//! request arrives on the connection's task, which pooled connections share between runs and
//! sessions. So each connection keeps the calls in flight on it ([`Callers`]), each with the
//! [`Elicitor`] of the run that made it (the agent's client under `serve`, a terminal prompt
//! under `skillet run`, or none) and the list its [`CallEvent`]s go to. A request is routed:
//!
//! - to the one call in flight, or to the calls in flight when they all have the same elicitor;
//! - declined when no call is in flight, when calls of several runs are (skillet cannot tell
//!   which one asked), when the run has nobody to ask, or when asking failed.
//!
//! Each request becomes a [`CallEvent::Elicitation`] of the calls it concerns (server message
//! and action, never the answer's content), with a note when nobody could answer.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::future::BoxFuture;
use serde_json::{Map, Value};

/// What a server asks a person: a message and the JSON Schema of a flat form.
#[derive(Debug, Clone)]
pub struct ElicitRequest {
    pub server: String,
    pub message: String,
    /// `{"type": "object", "properties": {...}, "required": [...]}`, primitives only.
    pub schema: Value,
}

/// What the person did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ElicitAction {
    Accept,
    Decline,
    Cancel,
}

impl ElicitAction {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Accept => "accept",
            Self::Decline => "decline",
            Self::Cancel => "cancel",
        }
    }
}

/// The answer: the action, and with `Accept` the form's values.
#[derive(Debug, Clone)]
pub struct ElicitAnswer {
    pub action: ElicitAction,
    pub content: Option<Map<String, Value>>,
}

impl ElicitAnswer {
    pub fn declined() -> Self {
        Self {
            action: ElicitAction::Decline,
            content: None,
        }
    }
}

/// Asks a person. `Err`: nobody could be asked, with why.
pub trait Elicitor: Send + Sync {
    fn elicit(&self, request: ElicitRequest) -> BoxFuture<'_, Result<ElicitAnswer, String>>;
}

/// Logs a person in again, asking for `scope` too, when a server refused a call for want of
/// it (403 `insufficient_scope`: OAuth step-up); the call is then sent once more.
pub trait Login: Send + Sync {
    fn login<'a>(
        &'a self,
        server: &'a str,
        scope: &'a str,
    ) -> BoxFuture<'a, Result<(), super::UpstreamError>>;
}

/// Something that happened during one call, for its caller to audit and note.
#[derive(Debug, Clone, PartialEq)]
pub enum CallEvent {
    /// Attempt `attempt` (2 for the first retry) follows a transient failure, after `wait`.
    Retry {
        attempt: u32,
        reason: String,
        wait: Duration,
    },
    /// The server asked for input; `note` says why nobody answered, when nobody did.
    Elicitation {
        message: String,
        action: ElicitAction,
        note: Option<String>,
    },
}

/// Where a call's events go.
pub type Events = Arc<Mutex<Vec<CallEvent>>>;

/// What a caller brings to a call: who answers elicitation, its deadline, where events go.
#[derive(Clone, Default)]
pub struct CallContext {
    pub elicitor: Option<Arc<dyn Elicitor>>,
    /// Who logs in again when a server refuses the call for want of a scope (step-up);
    /// `None`: the refusal is the call's error (with its `skillet auth login` hint).
    pub login: Option<Arc<dyn Login>>,
    /// No retry wait starts that would end past it.
    pub deadline: Option<std::time::Instant>,
    pub events: Events,
}

impl CallContext {
    pub(crate) fn push(&self, event: CallEvent) {
        if let Ok(mut events) = self.events.lock() {
            events.push(event);
        }
    }
}

struct Caller {
    id: u64,
    elicitor: Option<Arc<dyn Elicitor>>,
    events: Events,
}

/// The calls in flight on one connection.
#[derive(Default)]
pub(crate) struct Callers {
    next: AtomicU64,
    calls: Mutex<Vec<Caller>>,
}

/// A call's place in [`Callers`], given up when the call ends.
pub(crate) struct Entered<'a> {
    callers: &'a Callers,
    id: u64,
}

impl Drop for Entered<'_> {
    fn drop(&mut self) {
        if let Ok(mut calls) = self.callers.calls.lock() {
            calls.retain(|c| c.id != self.id);
        }
    }
}

impl Callers {
    pub(crate) fn enter(&self, context: &CallContext) -> Entered<'_> {
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        if let Ok(mut calls) = self.calls.lock() {
            calls.push(Caller {
                id,
                elicitor: context.elicitor.clone(),
                events: Arc::clone(&context.events),
            });
        }
        Entered { callers: self, id }
    }

    /// Routes one request (see the module's documentation) and records it with the calls it
    /// concerns.
    pub(crate) async fn route(&self, request: ElicitRequest) -> ElicitAnswer {
        let (elicitor, events, why_not) = self.target(&request.server);
        let message = request.message.clone();
        let server = request.server.clone();
        let (answer, note) = match (elicitor, why_not) {
            (Some(elicitor), _) => match elicitor.elicit(request).await {
                Ok(answer) => (answer, None),
                Err(e) => (
                    ElicitAnswer::declined(),
                    Some(format!(
                        "server `{server}` asked for input (\"{message}\"); asking failed, so it was declined: {e}"
                    )),
                ),
            },
            (None, why) => (
                ElicitAnswer::declined(),
                Some(format!(
                    "server `{server}` asked for input (\"{message}\") but nobody could answer ({why}), so it was declined; to answer, run the script in a terminal (`skillet run`) or under `skillet serve` with a client that supports elicitation",
                )),
            ),
        };
        tracing::info!(
            server,
            action = answer.action.as_str(),
            "elicitation: {message}"
        );
        if let Some(note) = &note {
            tracing::warn!("{note}");
        }
        for events in events {
            if let Ok(mut events) = events.lock() {
                events.push(CallEvent::Elicitation {
                    message: message.clone(),
                    action: answer.action,
                    note: note.clone(),
                });
            }
        }
        answer
    }

    /// Who answers a request on this connection, the events lists it concerns, and why nobody
    /// answers when nobody does.
    fn target(&self, server: &str) -> (Option<Arc<dyn Elicitor>>, Vec<Events>, String) {
        let Ok(calls) = self.calls.lock() else {
            return (None, Vec::new(), "internal error".into());
        };
        let events = calls.iter().map(|c| Arc::clone(&c.events)).collect();
        let Some(first) = calls.first() else {
            return (
                None,
                events,
                format!("no call of skillet's to `{server}` was in flight"),
            );
        };
        let same = calls.iter().all(|c| match (&c.elicitor, &first.elicitor) {
            (Some(a), Some(b)) => Arc::ptr_eq(a, b),
            (None, None) => true,
            _ => false,
        });
        if !same {
            let why = format!(
                "{} calls of different runs were in flight to `{server}`; skillet cannot tell which one it asks for",
                calls.len()
            );
            return (None, events, why);
        }
        match &first.elicitor {
            Some(e) => (Some(Arc::clone(e)), events, String::new()),
            None => (
                None,
                events,
                "the run has no terminal and no client that supports elicitation".into(),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Fixed(ElicitAction);

    impl Elicitor for Fixed {
        fn elicit(&self, _r: ElicitRequest) -> BoxFuture<'_, Result<ElicitAnswer, String>> {
            let action = self.0;
            Box::pin(async move {
                Ok(ElicitAnswer {
                    action,
                    content: None,
                })
            })
        }
    }

    fn request() -> ElicitRequest {
        ElicitRequest {
            server: "s".into(),
            message: "your name?".into(),
            schema: serde_json::json!({"type": "object"}),
        }
    }

    #[tokio::test]
    async fn one_caller_is_asked_several_runs_are_not() {
        let callers = Callers::default();
        assert_eq!(callers.route(request()).await.action, ElicitAction::Decline);
        let a = CallContext {
            elicitor: Some(Arc::new(Fixed(ElicitAction::Accept))),
            ..CallContext::default()
        };
        let entered = callers.enter(&a);
        assert_eq!(callers.route(request()).await.action, ElicitAction::Accept);
        let events = a.events.lock().unwrap().clone();
        assert_eq!(
            events,
            vec![CallEvent::Elicitation {
                message: "your name?".into(),
                action: ElicitAction::Accept,
                note: None
            }]
        );
        let b = CallContext {
            elicitor: Some(Arc::new(Fixed(ElicitAction::Accept))),
            ..CallContext::default()
        };
        let other = callers.enter(&b);
        assert_eq!(callers.route(request()).await.action, ElicitAction::Decline);
        let events = b.events.lock().unwrap().clone();
        let CallEvent::Elicitation {
            note: Some(note), ..
        } = &events[0]
        else {
            panic!("{events:?}")
        };
        assert!(note.contains("cannot tell which one"), "{note}");
        drop(entered);
        drop(other);
        let nobody = CallContext::default();
        let _n = callers.enter(&nobody);
        callers.route(request()).await;
        let events = nobody.events.lock().unwrap().clone();
        let CallEvent::Elicitation {
            note: Some(note), ..
        } = &events[0]
        else {
            panic!("{events:?}")
        };
        assert!(note.contains("run the script in a terminal"), "{note}");
    }
}
