use super::{CliResult, Context};

#[derive(Debug, clap::Args)]
pub(crate) struct Args {}

pub(super) async fn run(ctx: &Context, _args: Args) -> CliResult {
    let registry = ctx.registry()?;
    let watching = crate::ops::watch(&registry)?;
    // On stderr whatever the log level: scripts and tests wait for this line.
    eprintln!(
        "skillet watch: watching {} (watches: {}); searches see hand edits at once. Ctrl-C stops.",
        watching.skills.display(),
        watching.watches
    );
    watching.until(crate::serve::shutdown_signal()).await?;
    eprintln!("skillet watch: stopped");
    Ok(())
}
