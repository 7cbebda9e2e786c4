//! `skillet serve`: one MCP server that gives agents code mode (search the generated API, read
//! it, run TypeScript against it), and the skills registry (save, search, read, and skills as
//! resources).
//!
//! One [`Shared`] state serves every session: a pool of upstream connections started on first
//! use and restarted with back-off after a crash, a limit on concurrent runs with a short
//! bounded queue in front of it, and a shutdown token that cancels runs still going when the
//! grace period ends. Runs are recorded whatever way they end, and every call in flight at
//! shutdown gets its answer (finished, or cancelled at the end of the grace).

mod elicit;
mod http;
mod logging;
pub(crate) mod tools;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock, GetSkillRequestParams,
    GetSkillResult, Implementation, ListResourceTemplatesResult, ListResourcesResult,
    ListSkillsResult, ListToolsResult, PaginatedRequestParams, ProtocolVersion,
    ReadResourceRequestParams, ReadResourceResponse, ReadResourceResult, Resource,
    ResourceContents, ResourceTemplate, ServerCapabilities, ServerConfig, Skill, SkillFrontmatter,
    SkillResource, SkillResources, Tool,
};
use rmcp::service::{NotificationContext, RequestContext};
use rmcp::{ErrorData as McpError, Peer, RoleServer, ServerHandler, ServiceExt as _};
use tokio::sync::{Mutex, Semaphore};
use tokio_util::sync::CancellationToken;

use crate::registry::Registry;
use crate::upstream::UpstreamPool;

/// How to serve.
#[derive(Debug, Clone)]
pub(crate) struct ServeOptions {
    /// Serve streamable HTTP on this address instead of stdio.
    pub http: Option<SocketAddr>,
    /// Bearer token HTTP clients must send (required off loopback).
    pub token: Option<String>,
    /// Extra `Host` names accepted over HTTP (the bound address and loopback always are).
    pub allowed_hosts: Vec<String>,
    /// Runs at once, across sessions; more wait in the queue.
    pub max_runs: usize,
    /// Runs that may wait for a slot when `max_runs` are going; more get a "busy" answer.
    pub run_queue: usize,
    /// How long a run waits in the queue for a slot before it gets a "busy" answer.
    pub queue_wait: Duration,
    /// How long runs in flight may take to finish at shutdown before they are cancelled.
    pub grace: Duration,
    /// Read servers from this file instead of `.mcp.json`.
    pub mcp_config: Option<PathBuf>,
}

impl Default for ServeOptions {
    fn default() -> Self {
        Self {
            http: None,
            token: None,
            allowed_hosts: Vec::new(),
            max_runs: 8,
            run_queue: 64,
            queue_wait: Duration::from_secs(30),
            grace: Duration::from_secs(10),
            mcp_config: None,
        }
    }
}

const SHUTTING_DOWN: &str = "skillet is shutting down and takes no new runs; nothing ran\nhint: run it again once the server is back";

/// State shared by every session.
pub(crate) struct Shared {
    pub registry: Registry,
    pub pool: Arc<UpstreamPool>,
    runs: Arc<Semaphore>,
    max_runs: usize,
    /// Places in the queue for a run slot.
    queue: Arc<Semaphore>,
    run_queue: usize,
    queue_wait: Duration,
    grace: Duration,
    /// Cancelled when the grace period at shutdown ends.
    cancel_runs: CancellationToken,
    /// Set when shutdown begins: new runs are refused.
    closing: CancellationToken,
    mcp_config: Option<PathBuf>,
    /// Serializes generating the API tree when there is none yet.
    api: Mutex<bool>,
    peers: std::sync::Mutex<Vec<Peer<RoleServer>>>,
    /// Tool calls whose handler has not returned yet (shutdown waits for their answers).
    calls: tokio::sync::watch::Sender<usize>,
    /// The skills index, held open: a search checks for changes with a few `stat`s.
    pub skill_search: Arc<std::sync::Mutex<crate::ops::SkillSearch>>,
}

/// One tool call in progress; counted in [`Shared::calls`] until dropped.
struct CallGuard(Arc<Shared>);

impl CallGuard {
    fn new(shared: &Arc<Shared>) -> Self {
        shared.calls.send_modify(|n| *n += 1);
        Self(Arc::clone(shared))
    }
}

impl Drop for CallGuard {
    fn drop(&mut self) {
        self.0.calls.send_modify(|n| *n = n.saturating_sub(1));
    }
}

impl Shared {
    /// A slot for one run: at once when one is free, else after waiting in the queue (up to
    /// `queue_wait`, while the queue has room). The error is the answer for the client.
    async fn admit_run(
        &self,
        cancel: &CancellationToken,
    ) -> Result<tokio::sync::OwnedSemaphorePermit, String> {
        if self.closing.is_cancelled() {
            return Err(SHUTTING_DOWN.to_owned());
        }
        if let Ok(permit) = Arc::clone(&self.runs).try_acquire_owned() {
            return Ok(permit);
        }
        let Ok(_place) = Arc::clone(&self.queue).try_acquire_owned() else {
            return Err(format!(
                "busy: {} runs are in progress and {} more are waiting, the most this server takes at once; retry in a moment\nhint: raise `skillet serve --max-runs` or `--run-queue`",
                self.max_runs, self.run_queue
            ));
        };
        tokio::select! {
            permit = tokio::time::timeout(self.queue_wait, Arc::clone(&self.runs).acquire_owned()) => match permit {
                Ok(Ok(permit)) if !self.closing.is_cancelled() => Ok(permit),
                Ok(_) => Err(SHUTTING_DOWN.to_owned()),
                Err(_) => Err(format!(
                    "busy: no run slot came free within {} ms ({} runs are in progress, the most this server runs at once); retry in a moment\nhint: raise `skillet serve --max-runs` or `--queue-wait-ms`",
                    self.queue_wait.as_millis(),
                    self.max_runs
                )),
            },
            () = self.closing.cancelled() => Err(SHUTTING_DOWN.to_owned()),
            () = cancel.cancelled() => Err("the run was cancelled while it waited for a slot (its client went away or cancelled it); nothing ran".to_owned()),
        }
    }

    /// Makes sure the generated API exists (it is generated once, on first need, when the
    /// registry has none).
    async fn ensure_api(&self) -> Result<(), String> {
        let mut ready = self.api.lock().await;
        if *ready {
            return Ok(());
        }
        let report = crate::ops::ensure_api(&self.registry, self.mcp_config.as_deref())
            .await
            .map_err(|e| format!("generating the API failed: {}", crate::ops::describe(&e)))?;
        if let Some(report) = report {
            tracing::info!("there was no generated API yet: generated it");
            for failed in report.servers.iter().filter_map(|s| s.error.as_ref()) {
                tracing::warn!("{}", failed.message);
            }
        }
        *ready = true;
        Ok(())
    }

    /// Tells every connected client that the resources (skills) changed.
    async fn resources_changed(&self) {
        let peers: Vec<_> = match self.peers.lock() {
            Ok(mut peers) => {
                peers.retain(|p| !p.is_transport_closed());
                peers.clone()
            }
            Err(_) => return,
        };
        for peer in peers {
            let _ = peer.notify_resource_list_changed().await;
        }
    }

    /// Waits for runs in flight (up to `grace`), then cancels the rest and waits for their
    /// records.
    async fn drain(&self, grace: Duration) {
        self.closing.cancel();
        let all = u32::try_from(self.max_runs).unwrap_or(u32::MAX);
        let finished = tokio::time::timeout(grace, self.runs.acquire_many(all)).await;
        if finished.is_err() {
            tracing::warn!(
                "runs still going after {} ms: cancelling them",
                grace.as_millis()
            );
            self.cancel_runs.cancel();
            let _ =
                tokio::time::timeout(Duration::from_secs(10), self.runs.acquire_many(all)).await;
        }
        // Every call's handler returns its answer before the sessions end (runs are over;
        // other tools are quick, and bounded here all the same).
        let mut calls = self.calls.subscribe();
        if tokio::time::timeout(Duration::from_secs(10), calls.wait_for(|n| *n == 0))
            .await
            .is_err()
        {
            tracing::warn!("tool calls still going at shutdown: ending the sessions anyway");
        }
    }
}

/// The MCP server handler: cheap to clone; [`SkilletServer::for_session`] makes one per
/// session, with its own vault of personal-data tokens.
#[derive(Clone)]
pub(crate) struct SkilletServer {
    shared: Arc<Shared>,
    vault: crate::sandbox::governance::SharedVault,
    log: Arc<logging::SessionLog>,
}

impl SkilletServer {
    pub(crate) fn new(registry: Registry, options: &ServeOptions) -> anyhow::Result<Self> {
        let servers = registry.servers(options.mcp_config.as_deref())?;
        let (changed_tx, changed_rx) = tokio::sync::mpsc::unbounded_channel::<String>();
        let hook: crate::upstream::ChangeHook = Arc::new(move |server: &str| {
            let _ = changed_tx.send(server.to_owned());
        });
        let pool = UpstreamPool::new(
            &servers,
            registry.settings().upstream.clone(),
            registry.logs_dir(),
            registry.root().to_owned(),
        )
        .restarting(Some(hook));
        let max_runs = options.max_runs.max(1);
        let shared = Arc::new(Shared {
            registry,
            pool: Arc::new(pool),
            runs: Arc::new(Semaphore::new(max_runs)),
            max_runs,
            queue: Arc::new(Semaphore::new(options.run_queue)),
            run_queue: options.run_queue,
            queue_wait: options.queue_wait,
            grace: options.grace,
            cancel_runs: CancellationToken::new(),
            closing: CancellationToken::new(),
            mcp_config: options.mcp_config.clone(),
            api: Mutex::new(false),
            peers: std::sync::Mutex::new(Vec::new()),
            calls: tokio::sync::watch::Sender::new(0),
            skill_search: Arc::default(),
        });
        tokio::spawn(refresh_on_change(Arc::downgrade(&shared), changed_rx));
        // Runs' answers show token counts: the tokenizer and the catalog's count are made
        // now, off the path of the first run.
        crate::sandbox::keep_runtimes_ready();
        let registry = shared.registry.clone();
        tokio::task::spawn_blocking(move || {
            crate::tokens::warm_up();
            crate::api::definition_tokens(&registry);
        });
        Ok(Self {
            shared,
            vault: Default::default(),
            log: Arc::default(),
        })
    }

    /// The registry's skills as the skills extension lists them (read off the async threads).
    async fn extension_skills(&self) -> Result<Vec<Skill>, McpError> {
        let registry = self.shared.registry.clone();
        tokio::task::spawn_blocking(move || extension_skills(&registry))
            .await
            .map_err(|e| McpError::internal_error(e.to_string(), None))
    }

    /// A handler for a new session: the same shared state, a fresh vault.
    pub(crate) fn for_session(&self) -> Self {
        Self {
            shared: Arc::clone(&self.shared),
            vault: Default::default(),
            log: Arc::default(),
        }
    }

    pub(crate) fn shared(&self) -> &Arc<Shared> {
        &self.shared
    }
}

/// Regenerates a server's part of the API when it says its tools changed, and reports drift
/// against skillet.lock.
async fn refresh_on_change(
    shared: std::sync::Weak<Shared>,
    mut changed: tokio::sync::mpsc::UnboundedReceiver<String>,
) {
    while let Some(server) = changed.recv().await {
        // Servers often send several notifications in a row: take them together.
        tokio::time::sleep(Duration::from_millis(100)).await;
        let mut servers = std::collections::BTreeSet::from([server]);
        while let Ok(more) = changed.try_recv() {
            servers.insert(more);
        }
        let Some(shared) = shared.upgrade() else {
            return;
        };
        for server in servers {
            let tools = match shared.pool.refresh_tools(&server).await {
                Ok(tools) => tools,
                // Servers that change their tools as they are being ended are no news.
                Err(e) if shared.closing.is_cancelled() => {
                    tracing::debug!("tools of `{server}` not listed at shutdown: {e}");
                    continue;
                }
                Err(e) => {
                    tracing::warn!("cannot list the new tools of `{server}`: {e}");
                    continue;
                }
            };
            let registry = shared.registry.clone();
            let name = server.clone();
            let refreshed = tokio::task::spawn_blocking(move || {
                crate::ops::refresh_server(&registry, &name, &tools)
            })
            .await;
            match refreshed {
                Ok(Ok(drift)) if drift.is_empty() => {
                    tracing::info!(
                        "server `{server}` changed its tool list; the API is regenerated and matches skillet.lock"
                    );
                }
                Ok(Ok(drift)) => tracing::warn!(
                    "server `{server}` changed its tools; the API is regenerated. Against skillet.lock: {}\nhint: run `skillet gen` to update the lock",
                    drift
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                Ok(Err(e)) => tracing::warn!(
                    "cannot regenerate the API of `{server}`: {}",
                    crate::ops::describe(&e)
                ),
                Err(e) => tracing::warn!("cannot regenerate the API of `{server}`: {e}"),
            }
        }
    }
}

const INSTRUCTIONS: &str = "skillet serves the user's MCP servers as a TypeScript API and a registry of saved skills. search finds functions and skills (read shows the tree), run_code runs one module that calls them and prints only what you need, save_skill keeps a run worth repeating.";

impl ServerHandler for SkilletServer {
    // Logging is deprecated by SEP-2577 but part of the 2025-11-25 revision served here.
    #[allow(deprecated)]
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(
            ServerCapabilities::builder()
                .enable_tools()
                .enable_logging()
                .enable_resources()
                .enable_resources_list_changed()
                .enable_skills()
                .build(),
        )
        .with_server_info(
            Implementation::new("skillet", env!("CARGO_PKG_VERSION"))
                .with_title("skillet: code mode and skills for MCP"),
        )
        .with_instructions(INSTRUCTIONS)
    }

    fn supported_protocol_versions(&self) -> std::borrow::Cow<'static, [ProtocolVersion]> {
        // Not 2026-07-28: it has no server-to-client requests (skillet asks approvals, and
        // forwards upstream servers' questions, by elicitation) and no plain list_changed
        // notifications. rmcp answers a 2026-07-28 `server/discover` with -32022 naming these
        // handshake revisions, which dual-era clients (the Python SDK's "auto" mode, rmcp's
        // discover_startup) take as a legacy server and fall back to `initialize`:
        // tests/it/serve/python_sdk.rs.
        std::borrow::Cow::Borrowed(ProtocolVersion::known_up_to(&ProtocolVersion::V_2025_11_25))
    }

    async fn on_initialized(&self, context: NotificationContext<RoleServer>) {
        if let Ok(mut peers) = self.shared.peers.lock() {
            peers.retain(|p| !p.is_transport_closed());
            peers.push(context.peer);
        }
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, McpError> {
        Ok(ListToolsResult::with_all_items(tools::definitions()))
    }

    fn get_tool(&self, name: &str) -> Option<Tool> {
        tools::definitions().into_iter().find(|t| t.name == name)
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, McpError> {
        // An unknown tool is a protocol error (-32602), not a tool's error result.
        if !tools::is_tool(&request.name) {
            return Err(McpError::invalid_params(
                tools::unknown_tool(&request.name),
                None,
            ));
        }
        let _call = CallGuard::new(&self.shared);
        // The run stops when the client cancels the request or goes away, or when shutdown
        // runs out of patience.
        let cancel = self.shared.cancel_runs.child_token();
        let watch = cancel.clone();
        let request_ct = context.ct.clone();
        let watcher = tokio::spawn(async move {
            tokio::select! {
                () = request_ct.cancelled() => watch.cancel(),
                () = watch.cancelled() => {}
            }
        });
        let arguments = request.arguments.unwrap_or_default();
        let saves = request.name == "save_skill";
        let session = tools::Session {
            vault: Arc::clone(&self.vault),
            approver: ElicitationApprover::for_client(&context),
            elicitor: elicit::PeerElicitor::for_client(&context),
        };
        let answer = tools::call(
            &self.shared,
            &session,
            &request.name,
            arguments,
            cancel.clone(),
        )
        .await;
        watcher.abort();
        if request.name == "run_code"
            && let Some(report) = &answer.structured
        {
            self.log
                .run_ended(&context.peer, !answer.is_error, report.clone())
                .await;
        }
        if saves && !answer.is_error {
            self.shared.resources_changed().await;
        }
        let content = vec![ContentBlock::text(answer.text)];
        let mut result = if answer.is_error {
            CallToolResult::error(content)
        } else {
            CallToolResult::success(content)
        };
        result.structured_content = answer.structured;
        Ok(result.into())
    }

    #[allow(deprecated)]
    async fn set_level(
        &self,
        request: rmcp::model::SetLevelRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<(), McpError> {
        self.log.set(&request);
        Ok(())
    }

    async fn list_resources(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourcesResult, McpError> {
        let registry = self.shared.registry.clone();
        let resources = tokio::task::spawn_blocking(move || skill_resources(&registry))
            .await
            .map_err(|e| McpError::internal_error(e.to_string(), None))?;
        Ok(ListResourcesResult::with_all_items(resources))
    }

    async fn list_resource_templates(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourceTemplatesResult, McpError> {
        Ok(ListResourceTemplatesResult::with_all_items(vec![
            ResourceTemplate::new("skill://{name}/SKILL.md", "skill")
                .with_description(
                    "A saved skill's SKILL.md; its other files are skill://{name}/{path}",
                )
                .with_mime_type("text/markdown"),
        ]))
    }

    async fn list_skills(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListSkillsResult, McpError> {
        Ok(ListSkillsResult::with_all_items(
            self.extension_skills().await?,
        ))
    }

    async fn get_skill(
        &self,
        request: GetSkillRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<GetSkillResult, McpError> {
        self.extension_skills()
            .await?
            .into_iter()
            .find(|s| s.uri == request.uri)
            .map(GetSkillResult::new)
            .ok_or_else(|| McpError::invalid_params(format!("no skill at `{}`", request.uri), None))
    }

    async fn read_resource(
        &self,
        request: ReadResourceRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResponse, McpError> {
        let uri = request.uri;
        // A missing resource is -32602 with its URI (SEP-2164).
        let not_found = |message: String| {
            McpError::invalid_params(message, Some(serde_json::json!({ "uri": uri })))
        };
        let Some(path) = uri.strip_prefix("skill://") else {
            return Err(not_found(format!(
                "no resource `{uri}`: skillet's resources are skill://<name>/<file>"
            )));
        };
        let tree = crate::ops::Tree::new(&self.shared.registry);
        let text = tree
            .read(&format!("skills/{path}"))
            .map_err(|e| not_found(format!("resource `{uri}`: {}", crate::error::describe(&e))))?;
        Ok(ReadResourceResult::new(vec![
            ResourceContents::text(text, uri.clone()).with_mime_type(mime_type(&uri)),
        ])
        .into())
    }
}

/// Asks the client's user through MCP elicitation (a yes/no form).
struct ElicitationApprover {
    peer: Peer<RoleServer>,
}

impl ElicitationApprover {
    /// `Some` when the client said it supports elicitation.
    fn for_client(
        context: &RequestContext<RoleServer>,
    ) -> Option<Arc<dyn crate::policy::Approver>> {
        context
            .peer
            .peer_info()
            .is_some_and(|info| info.capabilities.elicitation.is_some())
            .then(|| {
                Arc::new(ElicitationApprover {
                    peer: context.peer.clone(),
                }) as Arc<dyn crate::policy::Approver>
            })
    }
}

impl crate::policy::Approver for ElicitationApprover {
    fn approve(
        &self,
        request: crate::policy::ApprovalRequest,
    ) -> futures::future::BoxFuture<'_, Result<bool, String>> {
        Box::pin(async move {
            use rmcp::model::{
                ClientResult, ElicitRequest, ElicitRequestParams, ElicitationAction,
                ElicitationSchema, ServerRequest,
            };
            let schema = ElicitationSchema::builder()
                .required_bool_with("approve", |b| {
                    b.title("Approve").description("Allow this one call")
                })
                .build()
                .map_err(|e| e.to_string())?;
            let ask = ServerRequest::ElicitRequest(ElicitRequest::new(
                ElicitRequestParams::FormElicitationParams {
                    meta: None,
                    message: request.describe(),
                    requested_schema: schema,
                },
            ));
            let answer = self
                .peer
                .send_request(ask)
                .await
                .map_err(|e| format!("the client did not answer the approval request: {e}"))?;
            match answer {
                ClientResult::ElicitResult(result) => Ok(result.action
                    == ElicitationAction::Accept
                    && result
                        .content
                        .as_ref()
                        .and_then(|c| c.get("approve"))
                        .and_then(serde_json::Value::as_bool)
                        == Some(true)),
                _ => Err("the client answered the approval request with something else".into()),
            }
        })
    }
}

/// Every valid skill as the skills extension (SEP-2640) describes it: its SKILL.md's URI, its
/// frontmatter, and each file with its size and digest.
fn extension_skills(registry: &Registry) -> Vec<Skill> {
    let mut out = Vec::new();
    for (name, loaded) in crate::skill::list(registry) {
        let Ok(skill) = loaded else {
            continue;
        };
        let Ok(files) = crate::fsutil::files(&skill.dir) else {
            continue;
        };
        let resources = files
            .iter()
            .filter_map(|file| {
                let bytes = fs_err::read(file).ok()?;
                let relative = crate::fsutil::relative(&skill.dir, file);
                Some(SkillResource::from_bytes(
                    format!("skill://{name}/{relative}"),
                    &bytes,
                ))
            })
            .collect();
        let mut frontmatter =
            SkillFrontmatter::new(name.clone(), skill.frontmatter.description.clone());
        if let Ok(serde_json::Value::Object(mut all)) = serde_json::to_value(&skill.frontmatter) {
            all.remove("name");
            all.remove("description");
            all.retain(|_, v| !v.is_null());
            frontmatter.extra = all;
        }
        out.push(Skill::new(
            format!("skill://{name}/SKILL.md"),
            frontmatter,
            SkillResources::Files(resources),
        ));
    }
    out
}

/// Every file of every valid skill, as `skill://<name>/<path>`.
fn skill_resources(registry: &Registry) -> Vec<Resource> {
    let mut out = Vec::new();
    for (name, loaded) in crate::skill::list(registry) {
        let Ok(skill) = loaded else {
            continue;
        };
        let Ok(files) = crate::fsutil::files(&skill.dir) else {
            continue;
        };
        for file in files {
            let relative = crate::fsutil::relative(&skill.dir, &file);
            let uri = format!("skill://{name}/{relative}");
            // A skill's SKILL.md is named as the skill; its other files by their path in it.
            let resource = if relative == "SKILL.md" {
                Resource::new(&uri, name.clone())
                    .with_description(skill.frontmatter.description.clone())
            } else {
                Resource::new(&uri, format!("{name}/{relative}"))
            };
            let resource = resource.with_mime_type(mime_type(&uri));
            out.push(resource);
        }
    }
    out
}

fn mime_type(uri: &str) -> &'static str {
    match uri.rsplit('.').next() {
        Some("md") => "text/markdown",
        Some("ts") => "text/x-typescript",
        Some("js") => "text/javascript",
        Some("json") => "application/json",
        _ => "text/plain",
    }
}

/// Serves until the client leaves (stdio), or SIGINT/SIGTERM, then drains runs and ends the
/// upstream servers. Over HTTP, `on_listening` is told the address once it is bound.
pub(crate) async fn serve(
    registry: Registry,
    options: ServeOptions,
    on_listening: impl FnOnce(std::net::SocketAddr),
) -> anyhow::Result<()> {
    let server = SkilletServer::new(registry, &options)?;
    let shared = Arc::clone(server.shared());
    // While serving, searches from other processes (`skillet search`) see hand edits at once:
    // the registry's keeper runs here, unless one already runs (`skillet watch`, another
    // serve). Started off the way of the first request (it watches every skill folder).
    let keeper = {
        let (registry, searcher) = (shared.registry.clone(), Arc::clone(&shared.skill_search));
        tokio::task::spawn_blocking(move || start_keeper(&registry, searcher))
    };
    let outcome = match options.http {
        Some(addr) => http::serve(server, addr, &options, on_listening).await,
        None => serve_stdio(server, options.grace).await,
    };
    shared.drain(options.grace).await;
    if let Ok(Some((keeper, answering))) = keeper.await {
        let _ = tokio::task::spawn_blocking(move || {
            // The socket goes while the keeper lock is held.
            drop(answering);
            keeper.stop()
        })
        .await;
    }
    // Runs recorded after their answers are on disk before the process ends.
    let flushed =
        tokio::task::spawn_blocking(|| crate::runs::behind::flush(Duration::from_secs(10))).await;
    if !matches!(flushed, Ok(true)) {
        tracing::warn!("the records of some runs were not written before shutdown");
    }
    shared.pool.shutdown().await;
    outcome
}

/// The registry's keeper ([`crate::skill::keeper`]), when this process can be it, answering
/// other processes' searches with the served searcher.
fn start_keeper(
    registry: &Registry,
    searcher: Arc<std::sync::Mutex<crate::ops::SkillSearch>>,
) -> Option<(crate::skill::keeper::Keeper, Option<crate::ops::Answering>)> {
    match crate::skill::keeper::Keeper::start(registry) {
        Ok(keeper) => {
            let answering = crate::ops::Answering::start_with(registry, searcher);
            tracing::info!(
                watches = keeper.watches(),
                answering = answering.is_some(),
                "keeping skills/: searches from other processes see hand edits at once"
            );
            Some((keeper, answering))
        }
        Err(e) => {
            tracing::info!("not keeping skills/ for other processes: {e}");
            None
        }
    }
}

async fn serve_stdio(server: SkilletServer, grace: Duration) -> anyhow::Result<()> {
    let shared = Arc::clone(server.shared());
    let running = match server.serve(rmcp::transport::stdio()).await {
        Ok(running) => running,
        // A client that leaves before `initialize` is not an error of ours.
        Err(rmcp::service::ServerInitializeError::ConnectionClosed(_)) => return Ok(()),
        Err(e) => return Err(e).context("MCP initialize over stdio"),
    };
    let stop = running.cancellation_token();
    let waiting = running.waiting();
    tokio::pin!(waiting);
    tokio::select! {
        quit = &mut waiting => {
            tracing::info!("the client closed the session ({quit:?})");
        }
        () = shutdown_signal() => {
            tracing::info!("shutting down");
            // Runs in flight may finish (their answers still reach the client) within the
            // grace; the rest are cancelled and recorded. Then the session ends.
            shared.drain(grace).await;
            stop.cancel();
            let _ = waiting.await;
        }
    }
    Ok(())
}

/// SIGINT or SIGTERM.
pub(crate) async fn shutdown_signal() {
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(term) => term,
                Err(_) => {
                    let _ = tokio::signal::ctrl_c().await;
                    return;
                }
            };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
