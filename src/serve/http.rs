//! `skillet serve --http ADDR`: streamable HTTP at `/mcp`, with a bearer token (required off
//! loopback) and the `Host`/`Origin` checks that keep browsers and rebound DNS names out.

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context as _;
use axum::extract::Request;
use axum::http::{Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use futures::StreamExt as _;
use rmcp::transport::streamable_http_server::{
    StreamableHttpServerConfig, StreamableHttpService, session::local::LocalSessionManager,
};

use super::{ServeOptions, SkilletServer};

pub(super) async fn serve(
    server: SkilletServer,
    addr: SocketAddr,
    options: &ServeOptions,
    on_bound: impl FnOnce(SocketAddr),
) -> anyhow::Result<()> {
    let token = options.token.clone().filter(|t| !t.is_empty());
    if !addr.ip().is_loopback() && token.is_none() {
        anyhow::bail!(
            "serving on {addr}, beyond loopback, needs a bearer token\nhint: pass --token or set SKILLET_SERVE_TOKEN (or bind 127.0.0.1)"
        );
    }
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen on {addr}"))?;
    let bound = listener.local_addr()?;

    let mut config = StreamableHttpServerConfig::default().with_allowed_origins([
        "http://localhost:*",
        "http://127.0.0.1:*",
        "http://[::1]:*",
    ]);
    if !bound.ip().is_unspecified() && !bound.ip().is_loopback() {
        config.allowed_hosts.push(bound.ip().to_string());
    }
    config
        .allowed_hosts
        .extend(options.allowed_hosts.iter().cloned());
    let sessions = config.cancellation_token.clone();
    let shared = std::sync::Arc::clone(server.shared());
    let grace = options.grace;
    let mut manager = LocalSessionManager::default();
    // Long runs send nothing for a while; an idle session lives an hour.
    manager.session_config.keep_alive = Some(std::time::Duration::from_secs(3600));
    let service: StreamableHttpService<SkilletServer, LocalSessionManager> =
        StreamableHttpService::new(move || Ok(server.for_session()), Arc::new(manager), config);
    let answers = Answers::default();
    let tracked = answers.clone();
    let mut router = axum::Router::new()
        .nest_service("/mcp", service)
        .layer(middleware::from_fn(move |req: Request, next: Next| {
            let answers = tracked.clone();
            async move { track(&answers, req, next).await }
        }));
    if let Some(token) = token {
        let token: Arc<str> = token.into();
        router = router.layer(middleware::from_fn(move |req: Request, next: Next| {
            let token = Arc::clone(&token);
            async move { authorize(&token, req, next).await }
        }));
    }

    on_bound(bound);
    axum::serve(listener, router)
        .with_graceful_shutdown(async move {
            super::shutdown_signal().await;
            tracing::info!("shutting down");
            // Runs in flight may finish within the grace; the rest are cancelled and recorded.
            shared.drain(grace).await;
            // No new connections from here on; the answers of those runs are still on their
            // way (handler, session, response stream): the sessions end once every answer
            // is written, or after a bound for clients that stopped reading.
            tokio::spawn(async move {
                if tokio::time::timeout(ANSWER_FLUSH, answers.written())
                    .await
                    .is_err()
                {
                    tracing::warn!(
                        "answers still unwritten after {} ms: ending the sessions",
                        ANSWER_FLUSH.as_millis()
                    );
                }
                sessions.cancel();
            });
        })
        .await
        .with_context(|| format!("serving http://{bound}/mcp"))
}

/// How long shutdown waits, after the runs ended, for their answers to be written.
const ANSWER_FLUSH: std::time::Duration = std::time::Duration::from_secs(5);

/// Counts the POST responses (the answers to requests) not yet written out whole: shutdown
/// ends the sessions only when none is left, so no finished run loses its answer.
#[derive(Clone)]
struct Answers(Arc<tokio::sync::watch::Sender<usize>>);

impl Default for Answers {
    fn default() -> Self {
        Self(Arc::new(tokio::sync::watch::Sender::new(0)))
    }
}

impl Answers {
    fn start(&self) -> AnswerGuard {
        self.0.send_modify(|n| *n += 1);
        AnswerGuard(Arc::clone(&self.0))
    }

    /// Resolves when every answer started so far is written (or its client went away).
    async fn written(&self) {
        let mut pending = self.0.subscribe();
        let _ = pending.wait_for(|n| *n == 0).await;
    }
}

/// One answer on its way; dropped with the response body, once it is written or abandoned.
struct AnswerGuard(Arc<tokio::sync::watch::Sender<usize>>);

impl Drop for AnswerGuard {
    fn drop(&mut self) {
        self.0.send_modify(|n| *n = n.saturating_sub(1));
    }
}

/// Tracks each POST until its response body is written, and answers a session's DELETE with
/// 200: rmcp says 202, which clients (the Python SDK) take for a failure and warn about.
async fn track(answers: &Answers, req: Request, next: Next) -> Response {
    match *req.method() {
        Method::POST => {
            let guard = answers.start();
            let response = next.run(req).await;
            let (parts, body) = response.into_parts();
            let body = body.into_data_stream().map(move |chunk| {
                let _held = &guard;
                chunk
            });
            Response::from_parts(parts, axum::body::Body::from_stream(body))
        }
        Method::DELETE => {
            let response = next.run(req).await;
            if response.status() == StatusCode::ACCEPTED {
                StatusCode::OK.into_response()
            } else {
                response
            }
        }
        _ => next.run(req).await,
    }
}

async fn authorize(token: &str, req: Request, next: Next) -> Response {
    // The scheme is case-insensitive (RFC 6750 via RFC 9110).
    let given = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim());
    match given {
        Some(given) if same(given.as_bytes(), token.as_bytes()) => next.run(req).await,
        _ => (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, "Bearer")],
            "a bearer token is required: send `Authorization: Bearer <token>`\n",
        )
            .into_response(),
    }
}

/// Compares in time independent of where the inputs differ.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |d, (x, y)| d | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    #[test]
    fn token_comparison() {
        assert!(super::same(b"abc", b"abc"));
        assert!(!super::same(b"abc", b"abd"));
        assert!(!super::same(b"abc", b"abcd"));
    }
}
