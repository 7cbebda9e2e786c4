//! Two small sample MCP servers that skillet ships for demos and tests.
//!
//! * `docs` — a read-only document store (engineering, sales, hr and meeting
//!   notes, including one long meeting transcript).
//! * `crm` — contacts, companies and deals, with an in-memory update tool.
//!
//! Both are deterministic: data is built in code, nothing touches the network,
//! the filesystem or the clock. They are started as child processes over stdio
//! (`skillet sample-server docs|crm`) or, for tests, over streamable HTTP.

use std::future::Future;
use std::net::SocketAddr;

use anyhow::Context as _;
use rmcp::ServiceExt as _;
use rmcp::transport::streamable_http_server::{
    StreamableHttpServerConfig, StreamableHttpService, session::local::LocalSessionManager,
};

mod activities;
pub(crate) mod crm;
mod crm_data;
pub(crate) mod docs;
mod docs_data;
mod transcript;

#[cfg(test)]
mod tests;

pub(crate) use crm::CrmServer;
pub(crate) use docs::DocsServer;

/// Which sample server to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum SampleServer {
    /// A read-only document store.
    Docs,
    /// A small CRM with contacts, companies and deals.
    Crm,
}

impl SampleServer {
    /// The short name used on the command line and in config: `docs` or `crm`.
    pub(crate) fn name(self) -> &'static str {
        match self {
            SampleServer::Docs => "docs",
            SampleServer::Crm => "crm",
        }
    }
}

impl std::fmt::Display for SampleServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Serve over stdio until stdin closes. Nothing but MCP on stdout; logs (if any) to stderr.
pub(crate) async fn serve_stdio(which: SampleServer) -> anyhow::Result<()> {
    match which {
        SampleServer::Docs => run_stdio(DocsServer::new()).await,
        SampleServer::Crm => run_stdio(CrmServer::new()).await,
    }
    .with_context(|| format!("sample server `{which}` over stdio"))
}

async fn run_stdio<S: rmcp::ServerHandler>(server: S) -> anyhow::Result<()> {
    let running = server
        .serve(rmcp::transport::stdio())
        .await
        .context("MCP initialization failed")?;
    running.waiting().await.context("server task failed")?;
    Ok(())
}

/// Serve over streamable HTTP at `addr` (path `/mcp`); calls `on_bound` with the real bound
/// address (port 0 allowed) once listening; runs until `shutdown` resolves.
///
/// Every HTTP session gets its own handler, but they share one data store, so a CRM update made
/// in one session is visible to every other session of the same process.
pub(crate) async fn serve_http(
    which: SampleServer,
    addr: SocketAddr,
    on_bound: impl FnOnce(SocketAddr) + Send,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("binding sample server `{which}` to {addr}"))?;
    let bound = listener.local_addr()?;

    let mut config = StreamableHttpServerConfig::default();
    // The default allow-list accepts loopback `Host` headers only (DNS-rebinding protection).
    // Also accept the address we were explicitly asked to bind, unless it is a wildcard.
    if !bound.ip().is_unspecified() && !bound.ip().is_loopback() {
        config.allowed_hosts.push(bound.ip().to_string());
    }
    let sessions_token = config.cancellation_token.clone();

    let router = match which {
        SampleServer::Docs => mcp_router(DocsServer::new(), config),
        SampleServer::Crm => mcp_router(CrmServer::new(), config),
    };

    on_bound(bound);
    axum::serve(listener, router)
        .with_graceful_shutdown(async move {
            shutdown.await;
            // End open sessions (and their SSE streams) so graceful shutdown can finish.
            sessions_token.cancel();
        })
        .await
        .with_context(|| format!("sample server `{which}` on http://{bound}/mcp"))
}

fn mcp_router<S>(server: S, config: StreamableHttpServerConfig) -> axum::Router
where
    S: rmcp::ServerHandler + Clone + Send + Sync + 'static,
{
    let service: StreamableHttpService<S, LocalSessionManager> =
        StreamableHttpService::new(move || Ok(server.clone()), Default::default(), config);
    axum::Router::new().nest_service("/mcp", service)
}
