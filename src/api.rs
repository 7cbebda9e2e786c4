//! The generated API as it is on disk, for everything that reads it: the tool catalog
//! (`.skillet/tools.json`), the function and folder each tool got, tool documents for search.
//! `ops::gen` writes it.

use std::path::PathBuf;

use crate::codegen::ServerApi;
use crate::lock::Lockfile;
use crate::registry::Registry;
use crate::tool::{self, ToolSpec};

/// Every upstream tool as last listed by `gen`, by server (`.skillet/tools.json`).
pub type Catalog = std::collections::BTreeMap<String, Vec<ToolSpec>>;

/// The generated function of each tool, by server, as the tree on disk has them
/// (`.skillet/functions.json`; the lock's names until a refresh adds tools it lacks).
pub type Functions = std::collections::BTreeMap<String, std::collections::BTreeMap<String, String>>;

fn functions_path(registry: &Registry) -> PathBuf {
    registry.cache_dir().join("functions.json")
}

/// The function names of the generated tree.
pub fn load_functions(registry: &Registry) -> Functions {
    if let Some(functions) = fs_err::read_to_string(functions_path(registry))
        .ok()
        .and_then(|text| serde_json::from_str(&text).ok())
    {
        return functions;
    }
    let lock = Lockfile::load(&registry.lock_path()).unwrap_or_default();
    lock.servers
        .keys()
        .map(|server| (server.clone(), lock.functions(server)))
        .collect()
}

pub(crate) fn save_functions(registry: &Registry, functions: &Functions) -> std::io::Result<()> {
    let json = serde_json::to_string(functions).map_err(std::io::Error::other)?;
    crate::fsutil::write_atomic(&functions_path(registry), json.as_bytes())
}

/// Each server's folder under `servers/`, as generation settled them among all servers
/// (`.skillet/folders.json`): clashing names make a folder differ from `tool::safe_segment`.
pub type Folders = std::collections::BTreeMap<String, String>;

fn folders_path(registry: &Registry) -> PathBuf {
    registry.cache_dir().join("folders.json")
}

/// The folders of the generated tree. A registry generated before skillet recorded them has
/// them settled again over the catalog's servers (what that generation settled them over).
pub fn load_folders(registry: &Registry) -> Folders {
    if let Some(folders) = fs_err::read_to_string(folders_path(registry))
        .ok()
        .and_then(|text| serde_json::from_str(&text).ok())
    {
        return folders;
    }
    tool::place_servers(catalog(registry).keys().map(String::as_str))
        .into_iter()
        .map(|(server, place)| (server, place.folder))
        .collect()
}

/// The folder of `server` in `folders`; a server missing there gets the folder it would have
/// alone.
pub fn folder_of(folders: &Folders, server: &str) -> String {
    folders
        .get(server)
        .cloned()
        .unwrap_or_else(|| tool::safe_segment(server))
}

pub(crate) fn folders_of(apis: &[ServerApi]) -> Folders {
    apis.iter()
        .map(|api| (api.server.clone(), api.folder.clone()))
        .collect()
}

pub(crate) fn save_folders(registry: &Registry, folders: &Folders) -> std::io::Result<()> {
    let json = serde_json::to_string(folders).map_err(std::io::Error::other)?;
    crate::fsutil::write_atomic(&folders_path(registry), json.as_bytes())
}

pub(crate) fn catalog_path(registry: &Registry) -> PathBuf {
    registry.cache_dir().join("tools.json")
}

/// The catalog `gen` wrote; empty when there is none yet. A fresh copy to change; readers on
/// hot paths (every run, every search) use [`catalog`].
pub fn load_catalog(registry: &Registry) -> Catalog {
    read_catalog(registry).unwrap_or_else(|e| {
        tracing::warn!("{}", crate::error::describe(&e));
        Catalog::default()
    })
}

/// Reads `.skillet/tools.json`; a missing file is an empty catalog, an unreadable one an error
/// with the fix (it is a cache that `skillet gen` writes).
fn read_catalog(registry: &Registry) -> Result<Catalog, crate::error::Error> {
    read_catalog_text(registry).map(|(catalog, _)| catalog)
}

/// [`read_catalog`], and a digest of the file's text (see [`catalog_digest`]).
fn read_catalog_text(registry: &Registry) -> Result<(Catalog, String), crate::error::Error> {
    let path = catalog_path(registry);
    let text = match fs_err::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Ok((Catalog::default(), digest_of("")));
        }
        Err(e) => {
            return Err(
                crate::error::Error::user(format!("cannot read the tool catalog: {e}"))
                    .hint("`skillet gen` writes it again"),
            );
        }
    };
    let catalog = serde_json::from_str(&text).map_err(|e| {
        crate::error::Error::user(format!(
            "the tool catalog {} is corrupt (line {}, column {}: {e})",
            path.display(),
            e.line(),
            e.column()
        ))
        .hint("`skillet gen` writes it again from the servers")
    })?;
    Ok((catalog, digest_of(&text)))
}

/// A digest that tells two catalog texts apart (not a security check: it only decides whether
/// a run's token report can be counted against today's catalog).
fn digest_of(text: &str) -> String {
    use std::hash::{BuildHasher as _, BuildHasherDefault, DefaultHasher};
    format!(
        "{:016x}-{}",
        BuildHasherDefault::<DefaultHasher>::default().hash_one(text),
        text.len()
    )
}

/// The catalog as last read, and the tokens of all its definitions (counted on first need),
/// kept while `.skillet/tools.json` is unchanged.
struct CachedCatalog {
    path: PathBuf,
    stamp: Option<(std::time::SystemTime, u64)>,
    catalog: std::sync::Arc<Catalog>,
    /// Why the file could not be read (then `catalog` is empty).
    problem: Option<crate::error::Error>,
    digest: String,
    definition_tokens: std::sync::OnceLock<usize>,
}

fn cached_catalog(registry: &Registry) -> std::sync::Arc<CachedCatalog> {
    use std::sync::{Arc, Mutex};
    static CACHE: Mutex<Option<Arc<CachedCatalog>>> = Mutex::new(None);
    let path = catalog_path(registry);
    let stamp = fs_err::metadata(&path)
        .ok()
        .and_then(|m| Some((m.modified().ok()?, m.len())));
    if let Ok(cache) = CACHE.lock()
        && let Some(cached) = cache.as_ref()
        && cached.path == path
        && cached.stamp == stamp
    {
        return Arc::clone(cached);
    }
    let (catalog, digest, problem) = match read_catalog_text(registry) {
        Ok((catalog, digest)) => (catalog, digest, None),
        Err(e) => (Catalog::default(), String::new(), Some(e)),
    };
    let fresh = Arc::new(CachedCatalog {
        path,
        stamp,
        catalog: Arc::new(catalog),
        problem,
        digest,
        definition_tokens: std::sync::OnceLock::new(),
    });
    if let Ok(mut cache) = CACHE.lock() {
        *cache = Some(Arc::clone(&fresh));
    }
    fresh
}

/// The catalog, read once while the file is unchanged; empty if it cannot be read (see
/// [`checked_catalog`] where that must be an error).
pub fn catalog(registry: &Registry) -> std::sync::Arc<Catalog> {
    std::sync::Arc::clone(&cached_catalog(registry).catalog)
}

/// The catalog, or why it cannot be read: tool search must not answer "no tool matches" over a
/// corrupt catalog.
pub fn checked_catalog(registry: &Registry) -> anyhow::Result<std::sync::Arc<Catalog>> {
    let cached = cached_catalog(registry);
    match &cached.problem {
        Some(problem) => Err(problem.clone().into()),
        None => Ok(std::sync::Arc::clone(&cached.catalog)),
    }
}

/// Tells catalogs apart: a run records it, so that its token report, counted later, is known
/// to be counted against the catalog the run saw. Empty when the catalog cannot be read.
pub fn catalog_digest(registry: &Registry) -> String {
    cached_catalog(registry).digest.clone()
}

/// Tokens of every upstream tool's definition (what a client loads up front), counted once
/// while the catalog is unchanged.
pub fn definition_tokens(registry: &Registry) -> usize {
    let cached = cached_catalog(registry);
    *cached.definition_tokens.get_or_init(|| {
        let all: Vec<&ToolSpec> = cached.catalog.values().flatten().collect();
        crate::tokens::definitions(&all)
    })
}

/// Search documents for the generated tool API: one per tool, named `server.tool`, with the
/// TypeScript function and the input's property names and descriptions.
pub fn tool_docs(registry: &Registry) -> anyhow::Result<Vec<crate::search::SearchDoc>> {
    let all_functions = load_functions(registry);
    let folders = load_folders(registry);
    let mut docs = Vec::new();
    for (server, tools) in checked_catalog(registry)?.iter() {
        let functions = all_functions.get(server).cloned().unwrap_or_default();
        for tool in tools {
            let mut body = String::new();
            if let Some(props) = tool
                .input_schema
                .get("properties")
                .and_then(|p| p.as_object())
            {
                for (key, schema) in props {
                    body.push_str(key);
                    if let Some(d) = schema.get("description").and_then(|d| d.as_str()) {
                        body.push_str(": ");
                        body.push_str(d);
                    }
                    body.push('\n');
                }
            }
            let function = functions.get(&tool.name).cloned();
            docs.push(crate::search::SearchDoc {
                kind: crate::search::DocKind::Tool,
                name: format!("{server}.{}", tool.name),
                description: tool
                    .description
                    .clone()
                    .or(tool.title.clone())
                    .unwrap_or_default(),
                body,
                tags: vec![server.clone()],
                tools: vec![format!("{server}.{}", tool.name)],
                identifiers: function.iter().cloned().collect(),
                version: None,
                status: function.map(|f| format!("servers/{}/{f}.ts", folder_of(&folders, server))),
            });
        }
    }
    Ok(docs)
}

/// `skillet search --tools`: BM25 over every upstream tool (synced into `.skillet/index/tools`).
pub fn search_tools(
    registry: &Registry,
    query: &str,
    limit: usize,
) -> anyhow::Result<Vec<crate::search::Hit>> {
    let mut index =
        crate::search::SearchIndex::open(&registry.cache_dir().join("index").join("tools"))?;
    index.sync(&tool_docs(registry)?)?;
    Ok(index.search(query, limit)?)
}
