use super::{CliResult, Context, Failure, output};
use crate::ops::{self, ErrorReport};

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The configured server.
    server: String,
    /// The tool's MCP name (as in `tools/list`, not the TypeScript function name).
    tool: String,
    /// The arguments, as a JSON object.
    #[arg(default_value = "{}")]
    arguments: String,
    /// Print the whole result (content blocks, structured content) as JSON.
    #[arg(long)]
    json: bool,
}

pub(super) async fn run(ctx: &Context, args: Args) -> CliResult {
    let arguments: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(&args.arguments).map_err(|e| {
            crate::error::Error::usage(format!("the arguments are not a JSON object: {e}"))
                .hint(r#"pass them like '{"path": "/tmp"}'"#)
        })?;
    let registry = ctx.registry()?;
    let servers = registry.servers(ctx.mcp_config()?.as_deref())?;
    let elicitor = super::elicit::TerminalElicitor::if_interactive();
    let login = super::auth::CliLogin::if_possible(&servers);
    match ops::call(
        &registry,
        &servers,
        &args.server,
        &args.tool,
        arguments,
        elicitor,
        login,
    )
    .await?
    {
        Ok(result) => {
            if args.json {
                output::json(&result)?;
            } else if let Some(structured) = &result.structured_content {
                output::json(structured)?;
            } else {
                output::print(&result.text())?;
            }
            Ok(())
        }
        Err(e) => {
            if args.json {
                output::json(&serde_json::json!({ "error": ErrorReport::from(&e) }))?;
            }
            let code = output::error(&anyhow::Error::new(e));
            Err(Failure::Exit(code))
        }
    }
}
