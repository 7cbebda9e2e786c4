use std::path::PathBuf;

use super::{CliResult, Context, Failure, output};
use crate::ops::{self, FromJsonTarget, GenOptions, GenReport};

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Change nothing: compare the servers' tools with skillet.lock and exit 1 on any drift.
    #[arg(long, conflicts_with = "from_json")]
    check: bool,
    /// Generate offline from a saved `tools/list` response instead of live servers: into the
    /// registry's API and tool catalog (so `search --tools` finds its tools; skillet.lock is
    /// left alone), or with --out into a folder of its own.
    #[arg(long, value_name = "FILE", requires = "server")]
    from_json: Option<PathBuf>,
    /// With --from-json: the server name to generate under.
    #[arg(long, value_name = "NAME", requires = "from_json")]
    server: Option<String>,
    /// With --from-json: the folder to write the tree and its tool catalog into, instead of the
    /// registry.
    #[arg(long, value_name = "DIR", requires = "from_json")]
    out: Option<PathBuf>,
    /// Remove the servers that are in skillet.lock but no longer in the configuration (their
    /// lock entries and generated folders). Without it they are kept and reported.
    #[arg(long, conflicts_with_all = ["check", "from_json"])]
    prune: bool,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
}

pub(super) async fn run(ctx: &Context, args: Args) -> CliResult {
    let report = if let (Some(json), Some(server)) = (&args.from_json, &args.server) {
        let start = ctx.start_dir()?;
        if let Some(out) = &args.out {
            ops::generate_from_json(
                &start.join(json),
                server,
                FromJsonTarget::Dir(&start.join(out)),
            )?
        } else {
            let registry = ctx.registry()?;
            ops::generate_from_json(
                &start.join(json),
                server,
                FromJsonTarget::Registry(&registry),
            )?
        }
    } else {
        let registry = ctx.registry()?;
        let options = GenOptions {
            check: args.check,
            mcp_config: ctx.mcp_config()?,
            prune: args.prune,
        };
        let servers = registry.servers(options.mcp_config.as_deref())?;
        let bar = output::progress(servers.len(), "connecting");
        let report = ops::generate(&registry, &options, &|name, _| {
            bar.inc(1);
            bar.set_message(format!("listed {name}"));
        })
        .await?;
        bar.finish_and_clear();
        report
    };
    if args.json {
        output::json(&report)?;
    } else {
        output::print(&render(&report))?;
    }
    for err in report.servers.iter().filter_map(|s| s.error.as_ref()) {
        output::error_message(&err.message, &err.hints);
    }
    if !report.checked_only && !report.unconfigured_kept.is_empty() {
        let one = report.unconfigured_kept.len() == 1;
        output::warn_with(
            &format!(
                "{} in skillet.lock but not in the configuration: kept, with {} generated code",
                list_servers(&report.unconfigured_kept),
                if one { "its" } else { "their" },
            ),
            &[format!(
                "if {} removed on purpose, run `skillet gen --prune`; otherwise check the configuration",
                if one { "it was" } else { "they were" },
            )],
        );
    }
    if report.failed() {
        return Err(Failure::Exit(1));
    }
    if report.checked_only && !report.drift.is_empty() {
        output::error_message(
            &format!(
                "the servers' tools differ from skillet.lock ({} change{})",
                report.drift.len(),
                if report.drift.len() == 1 { "" } else { "s" }
            ),
            &["run `skillet gen` to regenerate the API and update the lock, then review and commit it".to_owned()],
        );
        return Err(Failure::Exit(1));
    }
    Ok(())
}

fn list_servers(names: &[String]) -> String {
    let quoted: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
    match quoted.len() {
        1 => format!("server {} is", quoted[0]),
        _ => format!("servers {} are", quoted.join(", ")),
    }
}

fn render(report: &GenReport) -> String {
    let mut text = String::new();
    for s in &report.servers {
        match &s.error {
            None => text.push_str(&format!(
                "{}ok{:#}     {:<20} {:>4} tools{}\n",
                output::OK,
                output::OK,
                s.server,
                s.tools,
                s.start_ms
                    .map(|ms| format!("  (started in {ms} ms)"))
                    .unwrap_or_default()
            )),
            Some(e) => text.push_str(&format!(
                "{}error{:#}  {:<20} {}\n",
                output::BAD,
                output::BAD,
                s.server,
                e.kind
            )),
        }
    }
    if !report.compared_with_lock {
    } else if report.drift.is_empty() {
        text.push_str("no changes against skillet.lock\n");
    } else {
        text.push_str("changes against skillet.lock:\n");
        for d in &report.drift {
            text.push_str(&format!("  {d}\n"));
        }
    }
    if !report.checked_only {
        text.push_str(&format!(
            "wrote {} files to {}\n",
            report.files_written,
            report.out_dir.display()
        ));
    }
    text
}
