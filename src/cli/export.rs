//! `skillet export`: the registry's skills into an agent's skills folder.

use std::path::PathBuf;

use super::{CliResult, Context, Failure, output};
use crate::ops::{self, ExportOptions, ExportTarget};

#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("target").required(true)))]
pub(crate) struct Args {
    /// Skills to export (default: every one that meets the review policy).
    names: Vec<String>,
    /// Into the project's `.claude/skills/` (Claude Code), at the registry's git work tree root.
    #[arg(long, group = "target")]
    claude: bool,
    /// Into `~/.claude/skills/` (Claude Code, for every project).
    #[arg(long, group = "target")]
    user: bool,
    /// Into the project's `.agents/skills/` (Codex and other agents).
    #[arg(long, group = "target")]
    agents: bool,
    /// Into DIR.
    #[arg(long, group = "target", value_name = "DIR")]
    to: Option<PathBuf>,
    /// Make the registry a Claude Code plugin marketplace: write `.claude-plugin/marketplace.json`
    /// listing the reviewed skills (save, install, update and sign keep it in sync from then on).
    #[arg(long, group = "target", conflicts_with_all = ["names", "symlink", "all"])]
    marketplace: bool,
    /// Link to the registry's skill folders instead of copying them.
    #[arg(long)]
    symlink: bool,
    /// Every valid skill, reviewed or not.
    #[arg(long)]
    all: bool,
    /// Change nothing; exit 1 when the folder is not in sync.
    #[arg(long)]
    check: bool,
    #[arg(long)]
    json: bool,
}

pub(super) fn run(ctx: &Context, args: Args) -> CliResult {
    let registry = ctx.registry()?;
    if args.marketplace {
        return marketplace(&registry, &args);
    }
    let target = if args.claude {
        ExportTarget::Claude
    } else if args.user {
        ExportTarget::User
    } else if args.agents {
        ExportTarget::Agents
    } else {
        match args.to {
            Some(dir) => ExportTarget::Dir(ctx.start_dir()?.join(dir)),
            None => ExportTarget::Claude,
        }
    };
    let report = ops::export(
        &registry,
        &ExportOptions {
            target,
            home: crate::config::env::home(),
            symlink: args.symlink,
            all: args.all,
            names: args.names,
            check: args.check,
            now: std::time::SystemTime::now(),
        },
    )?;
    let out_of_sync = args.check && !report.in_sync;
    if args.json {
        output::json(&report)?;
    } else {
        let mut text = String::new();
        let verb = |done: &'static str, todo: &'static str| if args.check { todo } else { done };
        for e in &report.exported {
            let action = match e.action {
                "added" => verb("added", "to add"),
                "updated" => verb("updated", "to update"),
                other => other,
            };
            text.push_str(&format!("{action:<10} {}\n", e.name));
        }
        for name in &report.removed {
            text.push_str(&format!("{:<10} {name}\n", verb("removed", "to remove")));
        }
        for s in &report.skipped {
            text.push_str(&format!("{:<10} {}: {}\n", "skipped", s.name, s.reason));
        }
        text.push_str(&format!(
            "{} {} ({})\n",
            report.target.display(),
            if report.in_sync {
                "in sync"
            } else if args.check {
                "NOT in sync"
            } else {
                "synced"
            },
            report.mode
        ));
        output::print(&text)?;
    }
    for s in &report.left_alone {
        output::warn_with(
            &format!("left {} alone: {}", s.name, s.reason),
            &["move it away (or rename it) to let skillet export this skill".to_owned()],
        );
    }
    if out_of_sync {
        Err(Failure::Exit(1))
    } else {
        Ok(())
    }
}

/// `export --marketplace`.
fn marketplace(registry: &crate::registry::Registry, args: &Args) -> CliResult {
    let report = ops::marketplace(
        registry,
        &ops::MarketplaceOptions {
            check: args.check,
            now: std::time::SystemTime::now(),
        },
    )?;
    if args.json {
        output::json(&report)?;
    } else {
        let mut text = String::new();
        for name in &report.plugins {
            text.push_str(&format!("{:<10} {name}\n", "listed"));
        }
        for s in &report.skipped {
            text.push_str(&format!("{:<10} {}: {}\n", "skipped", s.name, s.reason));
        }
        text.push_str(&format!(
            "{} {} (marketplace `{}`)\n",
            report.path.display(),
            if report.in_sync {
                "in sync"
            } else if args.check {
                "NOT in sync"
            } else {
                "written"
            },
            report.name
        ));
        output::print(&text)?;
    }
    if args.check && !report.in_sync {
        Err(Failure::Exit(1))
    } else {
        Ok(())
    }
}
