use std::net::SocketAddr;

use super::CliResult;
use crate::samples::{self, SampleServer};

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Which sample server.
    #[arg(value_enum)]
    which: SampleServer,
    /// Serve streamable HTTP on ADDR (path /mcp) instead of stdio; prints the bound URL on stdout.
    #[arg(long, value_name = "ADDR")]
    http: Option<SocketAddr>,
}

pub(super) async fn run(args: Args) -> CliResult {
    match args.http {
        None => samples::serve_stdio(args.which).await?,
        Some(addr) => {
            samples::serve_http(
                args.which,
                addr,
                |bound| {
                    use std::io::Write as _;
                    let mut stdout = std::io::stdout().lock();
                    let _ = writeln!(stdout, "http://{bound}/mcp");
                    let _ = stdout.flush();
                },
                async {
                    let _ = tokio::signal::ctrl_c().await;
                },
            )
            .await?;
        }
    }
    Ok(())
}
