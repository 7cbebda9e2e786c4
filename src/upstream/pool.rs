//! A pool of upstream connections, started lazily on first use and shared by everyone holding
//! the pool. Each server's tool list is fetched when it connects and kept (refreshed on
//! `tools/list_changed`).
//!
//! A pool made with [`UpstreamPool::restarting`] (as `serve` does) brings back a server that
//! crashed or failed to start, with exponential back-off between attempts; a plain pool (one
//! CLI run) tries each server once. One server's trouble never touches another's slot.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use tokio::sync::Mutex;

use super::{CallContext, CallEvent, ChangeHook, Upstream, UpstreamError, retry};
use crate::config::{ServerConfig, UpstreamSettings};
use crate::tool::{ToolResult, ToolSpec};

/// The first restart waits this long after a failure; each further failure doubles it.
const FIRST_BACKOFF: Duration = Duration::from_millis(500);
const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// One server's slot.
struct Slot {
    config: ServerConfig,
    state: Mutex<SlotState>,
}

enum SlotState {
    /// Not connected yet (or shut down).
    Idle,
    Ready(Arc<Connected>),
    /// The last attempt failed; `failures` in a row so far.
    Failed {
        error: UpstreamError,
        at: Instant,
        failures: u32,
    },
}

struct Connected {
    upstream: Upstream,
    tools: RwLock<Vec<ToolSpec>>,
}

pub struct UpstreamPool {
    slots: HashMap<String, Slot>,
    timeouts: UpstreamSettings,
    logs_dir: PathBuf,
    base_dir: PathBuf,
    restart: bool,
    on_tools_changed: Option<ChangeHook>,
    /// Set by [`UpstreamPool::shutdown`]: no server starts after it.
    closed: std::sync::atomic::AtomicBool,
}

impl UpstreamPool {
    /// A pool that tries each server once.
    pub fn new(
        servers: &[ServerConfig],
        timeouts: UpstreamSettings,
        logs_dir: PathBuf,
        base_dir: PathBuf,
    ) -> Self {
        Self {
            slots: servers
                .iter()
                .map(|s| {
                    (
                        s.name.clone(),
                        Slot {
                            config: s.clone(),
                            state: Mutex::new(SlotState::Idle),
                        },
                    )
                })
                .collect(),
            timeouts,
            logs_dir,
            base_dir,
            restart: false,
            on_tools_changed: None,
            closed: std::sync::atomic::AtomicBool::new(false),
        }
    }

    /// This pool, restarting servers that crash or fail to start (with back-off), and calling
    /// `on_tools_changed` when a server says its tool list changed.
    pub fn restarting(mut self, on_tools_changed: Option<ChangeHook>) -> Self {
        self.restart = true;
        self.on_tools_changed = on_tools_changed;
        self
    }

    pub fn server_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.slots.keys().cloned().collect();
        names.sort();
        names
    }

    async fn connected(&self, server: &str) -> Result<Arc<Connected>, UpstreamError> {
        self.connected_with(server, self.restart).await
    }

    /// The server's connection; `restart`: bring back a closed or failed one (a restarting
    /// pool always does; a plain one when it retries a call).
    async fn connected_with(
        &self,
        server: &str,
        restart: bool,
    ) -> Result<Arc<Connected>, UpstreamError> {
        let Some(slot) = self.slots.get(server) else {
            return Err(UpstreamError::NotConfigured {
                server: server.to_owned(),
                configured: self.server_names(),
            });
        };
        // Callers for the same server wait for one connection attempt together.
        let mut state = slot.state.lock().await;
        let failures = match &*state {
            SlotState::Ready(connected) if !connected.upstream.is_closed() => {
                return Ok(Arc::clone(connected));
            }
            SlotState::Ready(_) if !restart => {
                return Err(UpstreamError::ConnectionClosed {
                    server: server.to_owned(),
                    stderr_tail: Vec::new(),
                    log: Some(super::log_path(&self.logs_dir, server)),
                });
            }
            SlotState::Ready(_) => {
                tracing::warn!(server, "the server's connection closed; restarting it");
                0
            }
            SlotState::Failed { error, .. } if !restart => return Err(error.clone()),
            SlotState::Failed {
                error,
                at,
                failures,
            } => {
                let wait = backoff(*failures);
                let since = at.elapsed();
                if since < wait {
                    return Err(UpstreamError::Down {
                        server: server.to_owned(),
                        last: error.to_string(),
                        retry_in: wait - since,
                    });
                }
                *failures
            }
            SlotState::Idle => 0,
        };
        if self.closed.load(std::sync::atomic::Ordering::SeqCst) {
            return Err(UpstreamError::ConnectionClosed {
                server: server.to_owned(),
                stderr_tail: vec!["skillet is shutting down".into()],
                log: None,
            });
        }
        // Whatever was there (a closed connection) is ended before its successor starts.
        if let SlotState::Ready(old) = std::mem::replace(&mut *state, SlotState::Idle)
            && let Ok(old) = Arc::try_unwrap(old)
        {
            old.upstream.shutdown().await;
        }
        match self.connect(slot).await {
            Ok(connected) => {
                if failures > 0 {
                    tracing::info!(
                        server,
                        "the server is back after {failures} failed attempts"
                    );
                }
                *state = SlotState::Ready(Arc::clone(&connected));
                Ok(connected)
            }
            Err(error) => {
                if self.restart {
                    tracing::warn!(server, "{error}");
                }
                *state = SlotState::Failed {
                    error: error.clone(),
                    at: Instant::now(),
                    failures: failures + 1,
                };
                Err(error)
            }
        }
    }

    async fn connect(&self, slot: &Slot) -> Result<Arc<Connected>, UpstreamError> {
        let upstream = Upstream::connect_with_hook(
            &slot.config,
            &self.timeouts,
            &self.logs_dir,
            &self.base_dir,
            self.on_tools_changed.clone(),
        )
        .await?;
        let tools = match upstream.list_tools().await {
            Ok(tools) => tools,
            Err(e) => {
                upstream.shutdown().await;
                return Err(e);
            }
        };
        Ok(Arc::new(Connected {
            upstream,
            tools: RwLock::new(tools),
        }))
    }

    /// Starts the server now, if it is not connected yet, rather than at its first call (the
    /// result is what that call will see).
    pub async fn start(&self, server: &str) -> Result<(), UpstreamError> {
        self.connected(server).await.map(|_| ())
    }

    /// The tool's definition, connecting to the server if needed. `None`: no such tool.
    pub async fn tool(&self, server: &str, tool: &str) -> Result<Option<ToolSpec>, UpstreamError> {
        let connected = self.connected(server).await?;
        let tools = connected.tools.read().map_err(|_| poisoned(server))?;
        Ok(tools.iter().find(|t| t.name == tool).cloned())
    }

    /// Lists the server's tools again (after `tools/list_changed`) and keeps the new list.
    pub async fn refresh_tools(&self, server: &str) -> Result<Vec<ToolSpec>, UpstreamError> {
        let connected = self.connected(server).await?;
        let fresh = connected.upstream.list_tools().await?;
        let mut tools = connected.tools.write().map_err(|_| poisoned(server))?;
        *tools = fresh.clone();
        Ok(fresh)
    }

    /// Calls a tool (the result may have `is_error` set), with [`Self::call_in`]'s retries.
    pub async fn call(
        &self,
        server: &str,
        tool: &str,
        arguments: serde_json::Map<String, serde_json::Value>,
    ) -> Result<ToolResult, UpstreamError> {
        self.call_in(server, tool, arguments, &CallContext::default())
            .await
    }

    /// Calls a tool for a caller (see [`CallContext`]): elicitation the server sends meanwhile
    /// goes to the caller's elicitor, and a transient failure of a tool marked read-only or
    /// idempotent is retried by the server's `[upstream.retry]` policy (see [`super::retry`]),
    /// a closed connection started again first, each retry reported in the caller's events. A
    /// transient failure of any other tool is [`UpstreamError::Unretried`].
    pub async fn call_in(
        &self,
        server: &str,
        tool: &str,
        arguments: serde_json::Map<String, serde_json::Value>,
        context: &CallContext,
    ) -> Result<ToolResult, UpstreamError> {
        let policy = self.timeouts.retry.for_server(server);
        let mut connected = self.connected(server).await?;
        let retryable = |connected: &Connected| {
            let tools = connected.tools.read();
            let spec = tools
                .as_ref()
                .ok()
                .and_then(|t| t.iter().find(|t| t.name == tool));
            retry::idempotent(spec)
        };
        let idempotent = retryable(&connected);
        // The arguments are copied for each attempt only when there may be another one.
        let mut arguments = Some(arguments);
        let mut attempt = 1;
        // One login per call: a server that keeps refusing is not asked again and again.
        let mut logged_in = false;
        loop {
            let may_log_in = context.login.is_some() && !logged_in;
            let sent = if (idempotent && attempt < policy.attempts) || may_log_in {
                arguments.clone().unwrap_or_default()
            } else {
                arguments.take().unwrap_or_default()
            };
            let error = match connected.upstream.call_tool_in(tool, sent, context).await {
                Ok(result) => return Ok(result),
                Err(error) => error,
            };
            if let UpstreamError::ConnectionClosed { .. } = &error {
                self.forget(server, &connected, &error).await;
            }
            // A refusal for want of a scope did nothing: after a login that asks for it (OAuth
            // step-up), the call is sent again on a new connection, whatever the tool.
            if may_log_in
                && let (Some(login), Some(scope)) = (&context.login, super::step_up_scope(&error))
            {
                logged_in = true;
                let reason = format!("logged in again for the scope `{scope}`");
                login.login(server, scope).await?;
                attempt += 1;
                context.push(CallEvent::Retry {
                    attempt,
                    reason,
                    wait: Duration::ZERO,
                });
                self.forget(server, &connected, &error).await;
                connected = self.connected_with(server, true).await?;
                continue;
            }
            let Some((reason, retry_after)) = retry::transient(&error) else {
                return Err(error);
            };
            if !idempotent {
                return Err(UpstreamError::Unretried {
                    tool: tool.to_owned(),
                    cause: Box::new(error),
                });
            }
            if attempt >= policy.attempts {
                return Err(error);
            }
            let Some(wait) = retry::wait(&policy, attempt, retry_after, retry::jitter()) else {
                return Err(error);
            };
            if context
                .deadline
                .is_some_and(|deadline| Instant::now() + wait >= deadline)
            {
                return Err(error);
            }
            attempt += 1;
            tracing::info!(
                server,
                tool,
                attempt,
                reason,
                wait_ms = wait.as_millis() as u64,
                "retrying a call after a transient failure"
            );
            context.push(CallEvent::Retry {
                attempt,
                reason,
                wait,
            });
            tokio::time::sleep(wait).await;
            // A crashed server is started again, by a plain pool too.
            connected = self.connected_with(server, true).await?;
        }
    }

    /// A connection that closed under a call is dropped, so the next call starts the server
    /// again (a restarting pool) or fails the same way (a plain one).
    async fn forget(&self, server: &str, connected: &Arc<Connected>, error: &UpstreamError) {
        let Some(slot) = self.slots.get(server) else {
            return;
        };
        let mut state = slot.state.lock().await;
        if matches!(&*state, SlotState::Ready(current) if Arc::ptr_eq(current, connected)) {
            match error {
                UpstreamError::ConnectionClosed { .. } => {
                    tracing::warn!(server, "the server's connection closed during a call");
                }
                _ => tracing::info!(server, "the server's connection is dropped: {error}"),
            }
            *state = SlotState::Failed {
                error: error.clone(),
                at: Instant::now(),
                failures: 0,
            };
        }
    }

    /// Ends every connection this pool opened (stdin closed, SIGTERM, SIGKILL), concurrently.
    /// A connection still used by a call in flight is dropped instead, which ends its process
    /// group when the call lets go of it.
    pub async fn shutdown(&self) {
        self.closed.store(true, std::sync::atomic::Ordering::SeqCst);
        let mut upstreams = Vec::new();
        for slot in self.slots.values() {
            let mut state = slot.state.lock().await;
            if let SlotState::Ready(connected) = std::mem::replace(&mut *state, SlotState::Idle)
                && let Ok(connected) = Arc::try_unwrap(connected)
            {
                upstreams.push(connected.upstream);
            }
        }
        super::shutdown_all(upstreams).await;
    }
}

/// How long to wait before the next attempt after `failures` failed starts in a row (none
/// after a crash of a running server).
fn backoff(failures: u32) -> Duration {
    if failures == 0 {
        return Duration::ZERO;
    }
    FIRST_BACKOFF
        .saturating_mul(1 << failures.saturating_sub(1).min(16))
        .min(MAX_BACKOFF)
}

fn poisoned(server: &str) -> UpstreamError {
    UpstreamError::Protocol {
        server: server.to_owned(),
        message: "the tool list lock was poisoned by a panic".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_a_ceiling() {
        assert_eq!(backoff(0), Duration::ZERO);
        assert_eq!(backoff(1), Duration::from_millis(500));
        assert_eq!(backoff(2), Duration::from_secs(1));
        assert_eq!(backoff(3), Duration::from_secs(2));
        assert_eq!(backoff(40), MAX_BACKOFF);
    }
}
