use serde::Serialize;

use super::{CliResult, Context, Failure, output};
use crate::config::Transport;
use crate::ops::{self, ErrorReport};

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Print the status as JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Serialize)]
struct Row {
    server: String,
    transport: &'static str,
    status: &'static str,
    tools: usize,
    start_ms: Option<u128>,
    /// Name and version the server gave in its initialize reply.
    #[serde(skip_serializing_if = "Option::is_none")]
    implementation: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    protocol_version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<ErrorReport>,
}

pub(super) async fn run(ctx: &Context, args: Args) -> CliResult {
    let registry = ctx.registry()?;
    let servers = registry.servers(ctx.mcp_config()?.as_deref())?;
    if servers.is_empty() {
        output::warn_with(
            "no MCP servers are configured",
            &[format!(
                "add them under \"mcpServers\" in {}, or pass --mcp-config FILE",
                registry.mcp_config_path().display()
            )],
        );
    }
    let bar = output::progress(servers.len(), "connecting");
    let listed = ops::list_servers(&registry, &servers, &|name, _| {
        bar.inc(1);
        bar.set_message(format!("connected to {name}"));
    })
    .await;
    bar.finish_and_clear();
    let rows: Vec<Row> = servers
        .iter()
        .zip(listed)
        .map(|(config, (_, result))| {
            let transport = match config.transport {
                Transport::Stdio { .. } => "stdio",
                Transport::Http { .. } => "http",
            };
            match result {
                Ok(listed) => Row {
                    server: config.name.clone(),
                    transport,
                    status: "ok",
                    tools: listed.tools.len(),
                    start_ms: listed.start.map(|d| d.as_millis()),
                    implementation: listed.identity.name.as_ref().map(|n| {
                        format!("{n} {}", listed.identity.version.as_deref().unwrap_or(""))
                            .trim_end()
                            .to_owned()
                    }),
                    protocol_version: Some(listed.identity.protocol_version.clone()),
                    error: None,
                },
                Err(e) => Row {
                    server: config.name.clone(),
                    transport,
                    status: "error",
                    tools: 0,
                    start_ms: None,
                    implementation: None,
                    protocol_version: None,
                    error: Some(ErrorReport::from(&e)),
                },
            }
        })
        .collect();
    let failed = rows.iter().any(|r| r.error.is_some());
    if args.json {
        output::json(&rows)?;
    } else {
        let width = rows
            .iter()
            .map(|r| r.server.len())
            .max()
            .unwrap_or(6)
            .max(6);
        let mut text = format!(
            "{:width$}  {:9}  {:6}  {:>5}  {:>8}\n",
            "SERVER", "TRANSPORT", "STATUS", "TOOLS", "START"
        );
        for row in &rows {
            let (style, status) = if row.error.is_some() {
                (output::BAD, "error")
            } else {
                (output::OK, "ok")
            };
            let start = row
                .start_ms
                .map_or_else(|| "-".to_owned(), |ms| format!("{ms} ms"));
            text.push_str(&format!(
                "{:width$}  {:9}  {style}{status:6}{style:#}  {:>5}  {:>8}\n",
                row.server, row.transport, row.tools, start
            ));
        }
        output::print(&text)?;
    }
    for err in rows.iter().filter_map(|r| r.error.as_ref()) {
        output::error_message(&err.message, &err.hints);
    }
    if failed {
        Err(Failure::Exit(1))
    } else {
        Ok(())
    }
}
