use std::net::SocketAddr;
use std::time::Duration;

use super::{CliResult, Context};
use crate::serve::{self, ServeOptions};

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Serve streamable HTTP at http://ADDR/mcp instead of stdio (e.g. 127.0.0.1:8808).
    #[arg(long, value_name = "ADDR")]
    http: Option<SocketAddr>,
    /// Bearer token HTTP clients must send; required when ADDR is not loopback.
    #[arg(long, env = "SKILLET_SERVE_TOKEN", hide_env_values = true)]
    token: Option<String>,
    /// Also accept this `Host` name over HTTP (repeatable); loopback and the bound address
    /// always are.
    #[arg(long = "allow-host", value_name = "HOST")]
    allow_hosts: Vec<String>,
    /// Runs at once across all sessions; more wait in the queue (--run-queue).
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..))]
    max_runs: u16,
    /// Runs that may wait for a slot when --max-runs are going; more get a "busy" answer
    /// (0: answer "busy" at once).
    #[arg(long, default_value_t = 64, value_name = "N")]
    run_queue: u16,
    /// How long a run may wait in the queue for a slot before it gets a "busy" answer.
    #[arg(long, default_value_t = 30_000, value_name = "MS")]
    queue_wait_ms: u64,
    /// At shutdown, how long runs in flight may take to finish before they are cancelled.
    #[arg(long, default_value_t = 10_000, value_name = "MS")]
    grace_ms: u64,
}

pub(super) async fn run(ctx: &Context, args: Args) -> CliResult {
    let registry = ctx.registry()?;
    let options = ServeOptions {
        http: args.http,
        token: args.token,
        allowed_hosts: args.allow_hosts,
        max_runs: usize::from(args.max_runs),
        run_queue: usize::from(args.run_queue),
        queue_wait: Duration::from_millis(args.queue_wait_ms),
        grace: Duration::from_millis(args.grace_ms),
        mcp_config: ctx.mcp_config()?,
    };
    serve::serve(registry, options, |bound| {
        // On stderr whatever the log level: callers (and tests binding port 0) need it.
        eprintln!("skillet serve: MCP over streamable HTTP at http://{bound}/mcp");
    })
    .await?;
    Ok(())
}
