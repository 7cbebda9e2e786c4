//! `skillet demo`: offline, on the bundled sample servers, shows what an agent's context holds
//! when it calls tools directly against what it holds in code mode.

use std::path::Path;

use serde::Serialize;

use crate::api::{self, GenOptions};
use crate::config::{ServerConfig, Transport};
use crate::registry::{self, Registry};
use crate::tokens;
use crate::upstream::{self, Upstream};

/// One part of the context, with its size.
#[derive(Debug, Clone, Serialize)]
pub struct Part {
    pub what: String,
    pub tokens: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct DemoReport {
    pub servers: Vec<String>,
    pub tools: usize,
    /// Direct calling: every tool definition, loaded up front.
    pub direct: Part,
    /// Code mode: the tree listing and the two files the task needs, read on demand.
    pub code_mode: Vec<Part>,
    pub code_mode_total: usize,
    /// One intermediate result (the meeting transcript): direct calling passes it through the
    /// model when reading it and again when writing it to the CRM.
    pub transcript: Part,
    pub generated_files: usize,
}

/// The two sample servers, run from this executable.
pub fn sample_servers(exe: &Path) -> Vec<ServerConfig> {
    ["docs", "crm"]
        .into_iter()
        .map(|name| ServerConfig {
            name: name.to_owned(),
            transport: Transport::Stdio {
                command: exe.to_string_lossy().into_owned(),
                args: vec!["sample-server".to_owned(), name.to_owned()],
                env: Default::default(),
                cwd: None,
            },
        })
        .collect()
}

/// Writes an `mcpServers` file for `servers` (stdio only).
pub fn write_mcp_config(path: &Path, servers: &[ServerConfig]) -> std::io::Result<()> {
    let mut map = serde_json::Map::new();
    for s in servers {
        if let Transport::Stdio { command, args, .. } = &s.transport {
            map.insert(
                s.name.clone(),
                serde_json::json!({ "command": command, "args": args }),
            );
        }
    }
    let text = serde_json::to_string_pretty(&serde_json::json!({ "mcpServers": map }))?;
    fs_err::write(path, text + "\n")
}

/// Runs the demo in a throwaway registry under `workdir`.
pub async fn run(exe: &Path, workdir: &Path) -> anyhow::Result<DemoReport> {
    registry::init(workdir, true)?;
    let servers = sample_servers(exe);
    let registry = Registry::open(workdir)?;
    write_mcp_config(&registry.mcp_config_path(), &servers)?;

    // Direct calling: what the agent is given up front, and what one big result costs it.
    let connected = upstream::connect_all(
        &servers,
        &registry.settings().upstream,
        &registry.logs_dir(),
        registry.root(),
        &|_, _| {},
    )
    .await;
    let mut live: Vec<Upstream> = Vec::new();
    for c in connected {
        live.push(c.result?);
    }
    let mut definitions = Vec::new();
    for up in &live {
        for tool in up.list_tools().await? {
            definitions.push(serde_json::json!({
                "name": tool.name,
                "description": tool.description,
                "input_schema": tool.input_schema,
            }));
        }
    }
    let tools = definitions.len();
    let direct_tokens = tokens::count(&serde_json::to_string_pretty(&definitions)?);
    let transcript = transcript_tokens(&live[0]).await;
    upstream::shutdown_all(live).await;
    let transcript = transcript?;

    // Code mode: generate the tree, then count what the agent reads of it.
    let report = api::generate(&registry, &GenOptions::default(), &|_, _| {}).await?;
    if let Some(failed) = report.servers.iter().find_map(|s| s.error.as_ref()) {
        anyhow::bail!("{}", failed.message);
    }
    let api_dir = registry.api_dir();
    let mut listing = Vec::new();
    collect_files(&api_dir.join("servers"), &api_dir, &mut listing)?;
    listing.sort();
    let mut code_mode = vec![Part {
        what: format!("tree listing ({} files)", listing.len()),
        tokens: tokens::count(&listing.join("\n")),
    }];
    let lock = crate::lock::Lockfile::load(&registry.lock_path())?;
    for (server, tool) in [("docs", "get_document"), ("crm", "update_record")] {
        let function = lock
            .servers
            .get(server)
            .and_then(|s| s.tools.get(tool))
            .map(|t| t.function.clone())
            .ok_or_else(|| anyhow::anyhow!("sample server `{server}` has no tool `{tool}`"))?;
        let rel = format!("servers/{server}/{function}.ts");
        let text = fs_err::read_to_string(api_dir.join(&rel))?;
        code_mode.push(Part {
            what: rel,
            tokens: tokens::count(&text),
        });
    }
    let code_mode_total = code_mode.iter().map(|p| p.tokens).sum();
    Ok(DemoReport {
        servers: servers.iter().map(|s| s.name.clone()).collect(),
        tools,
        direct: Part {
            what: format!("{tools} tool definitions"),
            tokens: direct_tokens,
        },
        code_mode,
        code_mode_total,
        transcript,
        generated_files: listing.len(),
    })
}

/// Reads the longest document of the docs server for real and counts its tokens.
async fn transcript_tokens(docs: &Upstream) -> anyhow::Result<Part> {
    let listed = docs
        .call_tool_checked("list_documents", serde_json::Map::new())
        .await?;
    let value = listed
        .structured_content
        .clone()
        .or_else(|| serde_json::from_str(&listed.text()).ok())
        .unwrap_or_default();
    let documents = value
        .get("documents")
        .and_then(|d| d.as_array())
        .cloned()
        .unwrap_or_default();
    let longest = documents
        .iter()
        .max_by_key(|d| {
            d.get("word_count")
                .and_then(serde_json::Value::as_u64)
                .unwrap_or(0)
        })
        .and_then(|d| d.get("id").and_then(|i| i.as_str()))
        .ok_or_else(|| anyhow::anyhow!("the docs sample server listed no documents"))?
        .to_owned();
    let mut args = serde_json::Map::new();
    args.insert("id".into(), longest.clone().into());
    let doc = docs.call_tool_checked("get_document", args).await?;
    let text = match &doc.structured_content {
        Some(v) => serde_json::to_string(v)?,
        None => doc.text(),
    };
    Ok(Part {
        what: format!("docs.get_document(\"{longest}\")"),
        tokens: tokens::count(&text),
    })
}

fn collect_files(dir: &Path, root: &Path, out: &mut Vec<String>) -> std::io::Result<()> {
    for entry in fs_err::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            collect_files(&path, root, out)?;
        } else if let Ok(rel) = path.strip_prefix(root) {
            out.push(rel.to_string_lossy().replace('\\', "/"));
        }
    }
    Ok(())
}
