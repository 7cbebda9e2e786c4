use std::path::PathBuf;

use super::{CliResult, Context, output};

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Folder of the registry (default: the current one). Made if missing.
    dir: Option<PathBuf>,
    /// Add the registry files to a non-empty folder that is not a git repository.
    #[arg(long)]
    force: bool,
    /// Print what was done as JSON.
    #[arg(long)]
    json: bool,
}

pub(super) fn run(ctx: &Context, args: Args) -> CliResult {
    let start = ctx.start_dir()?;
    let dir = args.dir.map_or_else(|| start.clone(), |d| start.join(d));
    let report = crate::registry::init(&dir, args.force)?;
    if args.json {
        return Ok(output::json(&report)?);
    }
    let mut text = String::new();
    if report.created_repository {
        text.push_str(&format!(
            "Initialized a git repository in {}\n",
            report.root.display()
        ));
    }
    if report.added.is_empty() {
        text.push_str(&format!(
            "{} is already a skillet registry; nothing to add\n",
            report.root.display()
        ));
    } else {
        text.push_str(&format!("Registry ready in {}\n", report.root.display()));
        for added in &report.added {
            text.push_str(&format!("  + {added}\n"));
        }
        if let Some(commit) = &report.commit {
            text.push_str(&format!(
                "Committed them ({}), so a clone of the repository is the registry\n",
                &commit[..commit.len().min(12)]
            ));
        }
        text.push_str("Next: add servers to .mcp.json, then run `skillet gen`\n");
    }
    Ok(output::print(&text)?)
}
