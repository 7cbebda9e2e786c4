//! `gen`: connect to the configured servers, list their tools, write the TypeScript
//! tree under `.skillet/`, and keep `skillet.lock` in step (or, with `check`, only compare).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Serialize;

use crate::api::{
    Folders, Functions, catalog_path, folder_of, folders_of, load_catalog, load_folders,
    load_functions, save_folders, save_functions,
};
use crate::codegen::{self, GeneratedFile, ServerApi};
use crate::config::ServerConfig;
use crate::lock::{Change, Drift, LockedServer, LockedTool, Lockfile};
use crate::registry::Registry;
use crate::tool::{self, ToolSpec};
use crate::upstream::{self, ServerIdentity, Upstream, UpstreamError};

#[derive(Debug, Clone, Default)]
pub struct GenOptions {
    /// Compare with the lock only: write nothing.
    pub check: bool,
    /// Read servers from this file instead of the registry's `.mcp.json`.
    pub mcp_config: Option<PathBuf>,
    /// Remove from the lock and the tree the servers that are no longer configured. Without it
    /// they are kept (and reported): a configuration mistake never drops generated code.
    pub prune: bool,
}

/// What happened to one server.
#[derive(Debug, Clone, Serialize)]
pub struct ServerOutcome {
    pub server: String,
    pub folder: Option<String>,
    pub tools: usize,
    pub start_ms: Option<u128>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorReport>,
}

/// A classified error, for `--json`.
#[derive(Debug, Clone, Serialize)]
pub struct ErrorReport {
    pub kind: &'static str,
    pub message: String,
    /// How to fix it, one line each.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub hints: Vec<String>,
}

impl From<&UpstreamError> for ErrorReport {
    fn from(e: &UpstreamError) -> Self {
        Self {
            kind: e.kind(),
            message: e.to_string(),
            hints: crate::error::Diagnose::hints(e),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct GenReport {
    pub out_dir: PathBuf,
    pub servers: Vec<ServerOutcome>,
    pub drift: Vec<Drift>,
    pub files_written: usize,
    /// Servers in the lock that the configuration no longer names, kept because `prune` was not
    /// given (they show as removed in `drift`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unconfigured_kept: Vec<String>,
    pub checked_only: bool,
    /// False for `--from-json`, which has no lock to compare with.
    pub compared_with_lock: bool,
}

impl GenReport {
    pub fn failed(&self) -> bool {
        self.servers.iter().any(|s| s.error.is_some())
    }
}

/// A server's tools as listed (or loaded from a saved `tools/list`).
pub struct Listed {
    pub tools: Vec<ToolSpec>,
    pub start: Option<Duration>,
    pub identity: ServerIdentity,
}

/// Connects to every configured server and lists its tools. Connections are closed before return.
pub async fn list_servers(
    registry: &Registry,
    servers: &[ServerConfig],
    progress: &(dyn Fn(&str, bool) + Sync),
) -> Vec<(String, Result<Listed, UpstreamError>)> {
    list_servers_logging_to(registry, servers, &registry.logs_dir(), progress).await
}

/// [`list_servers`], with the servers' logs written under `logs_dir`.
async fn list_servers_logging_to(
    registry: &Registry,
    servers: &[ServerConfig],
    logs_dir: &Path,
    progress: &(dyn Fn(&str, bool) + Sync),
) -> Vec<(String, Result<Listed, UpstreamError>)> {
    let connected = upstream::connect_all(
        servers,
        &registry.settings().upstream,
        logs_dir,
        registry.root(),
        progress,
    )
    .await;
    let mut out = Vec::with_capacity(connected.len());
    let mut live: Vec<Upstream> = Vec::new();
    let listed = futures::future::join_all(connected.iter().map(|c| async move {
        match &c.result {
            Ok(up) => up.list_tools().await.map(|tools| Listed {
                tools,
                start: Some(up.started_in()),
                identity: up.identity(),
            }),
            Err(e) => Err(e.clone()),
        }
    }))
    .await;
    for (c, result) in connected.into_iter().zip(listed) {
        out.push((c.config.name.clone(), result));
        if let Ok(up) = c.result {
            live.push(up);
        }
    }
    upstream::shutdown_all(live).await;
    out
}

/// Generates the API when the registry has none yet and servers are configured, as `skillet
/// gen` would (a fresh clone's first `skillet run`, `serve`'s first call). `Some(report)` when
/// it generated (servers that failed are in the report), `None` when there was nothing to do.
pub async fn ensure_api(
    registry: &Registry,
    mcp_config: Option<&Path>,
) -> anyhow::Result<Option<GenReport>> {
    if !crate::api::catalog(registry).is_empty() {
        return Ok(None);
    }
    if registry.servers(mcp_config)?.is_empty() {
        return Ok(None);
    }
    let options = GenOptions {
        check: false,
        mcp_config: mcp_config.map(Path::to_owned),
        prune: false,
    };
    generate(registry, &options, &|_, _| {}).await.map(Some)
}

/// `skillet gen`: regenerate the tree and the lock from the live servers.
pub async fn generate(
    registry: &Registry,
    options: &GenOptions,
    progress: &(dyn Fn(&str, bool) + Sync),
) -> anyhow::Result<GenReport> {
    let servers = registry.servers(options.mcp_config.as_deref())?;
    let lock = Lockfile::load(&registry.lock_path())?;
    // Where the tree on disk has each server, before anything changes.
    let previous_folders = load_folders(registry);
    // `--check` writes nothing in the registry, logs included: they go to a temporary folder,
    // kept only when a server failed (its error names its log).
    let check_logs = if options.check {
        Some(
            tempfile::Builder::new()
                .prefix("skillet-gen-check-")
                .tempdir()?,
        )
    } else {
        None
    };
    let logs_dir = check_logs
        .as_ref()
        .map_or_else(|| registry.logs_dir(), |dir| dir.path().to_owned());
    let listed = list_servers_logging_to(registry, &servers, &logs_dir, progress).await;
    if let Some(dir) = check_logs
        && listed.iter().any(|(_, result)| result.is_err())
    {
        let _ = dir.keep();
    }
    let out_dir = registry.api_dir();

    let mut new_lock = lock.clone();
    let configured: BTreeSet<&str> = servers.iter().map(|s| s.name.as_str()).collect();
    let mut drift = Vec::new();
    let mut unconfigured_kept = Vec::new();
    // Servers that left the configuration: their tools are gone, but only `prune` removes them,
    // so that a configuration mistake (an emptied map, the wrong file) cannot drop them all.
    for (name, old) in &lock.servers {
        if !configured.contains(name.as_str()) {
            drift.extend(old.tools.keys().map(|tool| Drift {
                server: name.clone(),
                tool: tool.clone(),
                change: Change::Removed,
            }));
            if options.prune {
                new_lock.servers.remove(name);
            } else {
                unconfigured_kept.push(name.clone());
            }
        }
    }
    let kept: BTreeSet<&str> = unconfigured_kept.iter().map(String::as_str).collect();

    // The tool definitions themselves, for tool search: servers that failed keep theirs.
    let mut catalog = load_catalog(registry);
    catalog
        .retain(|server, _| configured.contains(server.as_str()) || kept.contains(server.as_str()));
    for (name, result) in &listed {
        if let Ok(listed) = result {
            catalog.insert(name.clone(), listed.tools.clone());
        }
    }

    let mut outcomes = Vec::new();
    let mut apis: Vec<ServerApi> = Vec::new();
    // Kept servers keep their folders and their place in the root index.
    for name in &unconfigured_kept {
        keep_previous_folder(&out_dir, name, &previous_folders, &mut apis);
    }
    for (name, result) in listed {
        let generated = result.and_then(|listed| {
            codegen::generate_server(&name, &listed.tools, &lock.functions(&name))
                .map(|api| (api, listed.start))
                .map_err(|e| UpstreamError::Protocol {
                    server: name.clone(),
                    message: e.to_string(),
                })
        });
        match generated {
            Ok((api, start)) => {
                let locked = locked_server(&api);
                drift.extend(lock.diff(&name, &locked));
                new_lock.servers.insert(name.clone(), locked);
                outcomes.push(ServerOutcome {
                    server: name,
                    folder: None,
                    tools: api.tools.len(),
                    start_ms: start.map(|d| d.as_millis()),
                    error: None,
                });
                apis.push(api);
            }
            Err(e) => {
                // A server that failed this time keeps its previous folder, and stays in the
                // root index.
                keep_previous_folder(&out_dir, &name, &previous_folders, &mut apis);
                outcomes.push(ServerOutcome {
                    server: name.clone(),
                    folder: None,
                    tools: 0,
                    start_ms: None,
                    error: Some(ErrorReport::from(&e)),
                });
            }
        }
    }
    // Settles folder and namespace clashes between servers, so it comes before any write.
    let root_files = codegen::generate_root(&mut apis);
    for outcome in &mut outcomes {
        outcome.folder = apis
            .iter()
            .find(|a| a.server == outcome.server)
            .map(|a| a.folder.clone());
    }

    let mut files_written = 0;
    if !options.check {
        files_written = write_tree(&out_dir, &apis, &root_files)?;
        new_lock.save(&registry.lock_path())?;
        crate::fsutil::write_atomic(
            &catalog_path(registry),
            serde_json::to_string(&catalog)?.as_bytes(),
        )?;
        let functions: Functions = new_lock
            .servers
            .keys()
            .map(|server| (server.clone(), new_lock.functions(server)))
            .collect();
        save_functions(registry, &functions)?;
        save_folders(registry, &folders_of(&apis))?;
    }
    Ok(GenReport {
        out_dir,
        servers: outcomes,
        drift,
        files_written,
        unconfigured_kept,
        checked_only: options.check,
        compared_with_lock: true,
    })
}

/// Regenerates one server's folder from a fresh tool list (after `tools/list_changed`) and
/// updates the tool catalog. The lock is left alone (people commit it); the returned drift says
/// how the server now differs from it.
pub fn refresh_server(
    registry: &Registry,
    server: &str,
    tools: &[ToolSpec],
) -> anyhow::Result<Vec<Drift>> {
    let lock = Lockfile::load(&registry.lock_path())?;
    let (api, _) = write_server_into_registry(registry, server, tools, &lock.functions(server))?;
    Ok(lock.diff(server, &locked_server(&api)))
}

/// Generates `server` from `tools` into the registry's API beside its other servers (function
/// names kept from `previous`), and puts it in the catalog files. Never touches the lock.
/// Returns the server's API and the number of files written.
fn write_server_into_registry(
    registry: &Registry,
    server: &str,
    tools: &[ToolSpec],
    previous: &std::collections::BTreeMap<String, String>,
) -> anyhow::Result<(ServerApi, usize)> {
    let api = codegen::generate_server(server, tools, previous)?;
    let out_dir = registry.api_dir();
    let mut apis = with_other_servers(&out_dir, api, &load_folders(registry));
    let root_files = codegen::generate_root(&mut apis);
    // The catalog first, the tree last: once the tree shows a new tool, search finds it too
    // (a served `serve` client reads the tree, then searches).
    save_folders(registry, &folders_of(&apis))?;
    let mut functions = load_functions(registry);
    functions.insert(server.to_owned(), function_names(&apis[0]));
    save_functions(registry, &functions)?;
    let mut catalog = load_catalog(registry);
    catalog.insert(server.to_owned(), tools.to_vec());
    crate::fsutil::write_atomic(
        &catalog_path(registry),
        serde_json::to_string(&catalog)?.as_bytes(),
    )?;
    let written = write_server(&out_dir, &apis[0])? + write_files(&out_dir, &root_files)?;
    Ok((apis.swap_remove(0), written))
}

/// Tool name -> generated function, for the catalog's `functions.json`.
fn function_names(api: &ServerApi) -> std::collections::BTreeMap<String, String> {
    api.tools
        .iter()
        .map(|t| (t.tool.clone(), t.function.clone()))
        .collect()
}

/// A server not generated this time (it failed, or left the configuration without `prune`)
/// keeps the folder an earlier generation wrote (`previous`), and its place in the root index.
fn keep_previous_folder(
    out_dir: &Path,
    server: &str,
    previous: &Folders,
    apis: &mut Vec<ServerApi>,
) {
    if out_dir
        .join("servers")
        .join(folder_of(previous, server))
        .is_dir()
    {
        apis.push(codegen::placeholder_server(server));
    }
}

/// `api` first, then a placeholder for every other server that has a folder (by `folders`), so
/// regenerating one server keeps the others in the root index, in the folders they have.
fn with_other_servers(out_dir: &Path, api: ServerApi, folders: &Folders) -> Vec<ServerApi> {
    let mut apis = vec![api];
    for (server, folder) in folders {
        if *server != apis[0].server && out_dir.join("servers").join(folder).is_dir() {
            apis.push(codegen::placeholder_server(server));
        }
    }
    apis
}

/// `api` first, then a placeholder for every other server folder already under `out_dir`, so
/// regenerating one server keeps the others in the root index (for a tree outside a registry,
/// which has no record of its servers' names).
fn with_other_folders(out_dir: &Path, api: ServerApi) -> Vec<ServerApi> {
    let mut apis = vec![api];
    if let Ok(entries) = fs_err::read_dir(out_dir.join("servers")) {
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if entry.path().is_dir() && name != apis[0].folder {
                apis.push(codegen::placeholder_server(&name));
            }
        }
    }
    apis
}

fn locked_server(api: &ServerApi) -> LockedServer {
    LockedServer {
        tools: api
            .tools
            .iter()
            .map(|t| {
                (
                    t.tool.clone(),
                    LockedTool {
                        function: t.function.clone(),
                        schema: format!("sha256:{}", t.schema_hash),
                        description: Some(format!("sha256:{}", t.description_hash)),
                    },
                )
            })
            .collect(),
    }
}

/// Writes each generated server folder whole (placeholders, which have no files, are left as
/// they are), removes folders of servers no longer present, and writes the root files. Returns
/// the number of files written.
fn write_tree(
    out_dir: &Path,
    apis: &[ServerApi],
    root_files: &[GeneratedFile],
) -> std::io::Result<usize> {
    let mut written = 0;
    for api in apis.iter().filter(|a| !a.files.is_empty()) {
        written += write_server(out_dir, api)?;
    }
    let keep: BTreeSet<&str> = apis.iter().map(|a| a.folder.as_str()).collect();
    if let Ok(entries) = fs_err::read_dir(out_dir.join("servers")) {
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if entry.path().is_dir() && !keep.contains(name.as_str()) {
                fs_err::remove_dir_all(entry.path())?;
            }
        }
    }
    written += write_files(out_dir, root_files)?;
    Ok(written)
}

/// Replaces `servers/<folder>/` with the server's generated files.
fn write_server(out_dir: &Path, api: &ServerApi) -> std::io::Result<usize> {
    let prefix = format!("servers/{}/", api.folder);
    let files: Vec<(&str, &str)> = api
        .files
        .iter()
        .filter_map(|f| Some((f.path.strip_prefix(&prefix)?, f.contents.as_str())))
        .collect();
    crate::fsutil::replace_dir(
        &out_dir.join("servers").join(&api.folder),
        files.iter().copied(),
    )?;
    Ok(files.len())
}

/// Writes generated files under `out_dir`, each atomically.
pub(super) fn write_files(out_dir: &Path, files: &[GeneratedFile]) -> std::io::Result<usize> {
    for file in files {
        crate::fsutil::write_atomic(&out_dir.join(&file.path), file.contents.as_bytes())?;
    }
    Ok(files.len())
}

/// Where `skillet gen --from-json` writes.
#[derive(Debug, Clone, Copy)]
pub enum FromJsonTarget<'a> {
    /// The registry's API (`.skillet/`), beside the servers it has, and its catalog files, so
    /// `search --tools` finds the tools. skillet.lock is left alone: it records what the
    /// configured servers answered.
    Registry(&'a Registry),
    /// A folder of its own (`--out DIR`): the tree, and the catalog files (`tools.json`,
    /// `functions.json`, `folders.json`) merged with those of the servers already there.
    Dir(&'a Path),
}

/// `skillet gen --from-json FILE --server NAME [--out DIR]`: the same tree, offline, from a
/// saved `tools/list` response, and the tool catalog beside it.
pub fn generate_from_json(
    json_path: &Path,
    server: &str,
    target: FromJsonTarget<'_>,
) -> anyhow::Result<GenReport> {
    let text = fs_err::read_to_string(json_path)?;
    let tools = tool::parse_tools_list(&text)
        .map_err(|e| anyhow::anyhow!("{}: {e}", json_path.display()))?;
    let (out_dir, api, files_written) = match target {
        FromJsonTarget::Registry(registry) => {
            let previous = load_functions(registry).remove(server).unwrap_or_default();
            let (api, written) = write_server_into_registry(registry, server, &tools, &previous)?;
            (registry.api_dir(), api, written)
        }
        FromJsonTarget::Dir(out_dir) => {
            let (mut catalog, mut functions, mut folders) = crate::api::read_catalog_files(out_dir);
            let previous = functions.remove(server).unwrap_or_default();
            let api = codegen::generate_server(server, &tools, &previous)?;
            let mut apis = with_other_folders(out_dir, api);
            let root_files = codegen::generate_root(&mut apis);
            let api = apis.swap_remove(0);
            let written = write_server(out_dir, &api)? + write_files(out_dir, &root_files)?;
            // Servers whose folder is gone from the tree leave the catalog too.
            let servers_dir = out_dir.join("servers");
            folders.retain(|s, folder| s != server && servers_dir.join(folder).is_dir());
            catalog.retain(|s, _| folders.contains_key(s));
            functions.retain(|s, _| folders.contains_key(s));
            folders.insert(server.to_owned(), api.folder.clone());
            functions.insert(server.to_owned(), function_names(&api));
            catalog.insert(server.to_owned(), tools);
            crate::api::write_catalog_files(out_dir, &catalog, &functions, &folders)?;
            (out_dir.to_owned(), api, written + 3)
        }
    };
    Ok(GenReport {
        out_dir,
        servers: vec![ServerOutcome {
            server: server.to_owned(),
            folder: Some(api.folder.clone()),
            tools: api.tools.len(),
            start_ms: None,
            error: None,
        }],
        drift: Vec::new(),
        files_written,
        unconfigured_kept: Vec::new(),
        checked_only: false,
        compared_with_lock: false,
    })
}
