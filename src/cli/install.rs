//! Installing skills from their sources and keeping them current: install, outdated, update.

use super::{CliResult, Context, Failure, output};
use crate::ops::{self, InstallOptions, Refusal, UpstreamStatus};

#[derive(Debug, clap::Args)]
pub(crate) struct InstallArgs {
    /// Where the skills are: a folder, owner/repo[/path] (GitHub),
    /// https://github.com/owner/repo/tree/REF/path, or a git URL (https, ssh, git@host:path,
    /// file://); add @REF for a branch, tag or commit.
    #[arg(required_unless_present = "frozen")]
    source: Option<String>,
    /// Install this skill, by name or by its folder in the source (repeatable).
    #[arg(long = "skill", value_name = "NAME")]
    skills: Vec<String>,
    /// Install every skill of the source.
    #[arg(long, conflicts_with = "skills")]
    all: bool,
    /// Install the selected skill under this name.
    #[arg(long = "as", value_name = "NEW-NAME")]
    rename: Option<String>,
    /// Replace a skill of the same name that came from elsewhere.
    #[arg(long)]
    force: bool,
    /// Show the source's skills (name, description, path, verdict); install nothing.
    #[arg(long, conflicts_with_all = ["all", "rename", "force", "skills"])]
    list: bool,
    /// Install exactly what the installed skills' provenance locks say, each from its source
    /// at its locked commit; fail on any difference (for CI).
    #[arg(long, conflicts_with_all = ["source", "all", "rename", "force", "skills", "list"])]
    frozen: bool,
    #[arg(long)]
    json: bool,
}

pub(super) fn install(ctx: &Context, args: InstallArgs) -> CliResult {
    if args.frozen {
        let report = ops::install_frozen(&ctx.registry()?)?;
        if args.json {
            return Ok(output::json(&report)?);
        }
        let mut text = format!(
            "{} installed skill{} as locked",
            report.checked.len() + report.restored.len(),
            if report.checked.len() + report.restored.len() == 1 {
                ""
            } else {
                "s"
            }
        );
        if !report.restored.is_empty() {
            text.push_str(&format!("; put back: {}", report.restored.join(", ")));
        }
        text.push('\n');
        return Ok(output::print(&text)?);
    }
    let source = args.source.unwrap_or_default();
    let base_dir = ctx.start_dir()?;
    if args.list {
        let report = ops::list_source(&source, &base_dir)?;
        if args.json {
            return Ok(output::json(&report)?);
        }
        let mut text = String::new();
        for s in &report.skills {
            text.push_str(&format!(
                "{}  {}  [{}]\n  {}\n",
                s.name,
                if s.path.is_empty() { "." } else { &s.path },
                if s.valid { "valid" } else { "invalid" },
                ops::echo(&s.description)
            ));
            for f in &s.findings {
                text.push_str(&format!("    {}\n", f.replace('\n', "\n    ")));
            }
        }
        return Ok(output::print(&text)?);
    }
    let registry = ctx.registry()?;
    let report = ops::install(
        &registry,
        &InstallOptions {
            source,
            base_dir,
            skills: args.skills,
            all: args.all,
            rename: args.rename,
            force: args.force,
        },
    )?;
    if args.json {
        output::json(&report)?;
    } else {
        let mut text = String::new();
        if !report.installed.is_empty() {
            text.push_str(&format!(
                "installed {} from {}\n",
                report.installed.join(", "),
                report.source
            ));
        }
        if !report.unchanged.is_empty() {
            text.push_str(&format!(
                "already installed as is: {}\n",
                report.unchanged.join(", ")
            ));
        }
        if !text.is_empty() {
            output::print(&text)?;
        }
        for refusal in &report.refused {
            warn_refused(refusal);
        }
    }
    if report.refused.is_empty() {
        Ok(())
    } else {
        output::error_message(
            &format!(
                "{} skill{} not installed",
                report.refused.len(),
                if report.refused.len() == 1 {
                    " was"
                } else {
                    "s were"
                }
            ),
            &[],
        );
        Err(Failure::Exit(1))
    }
}

fn warn_refused(r: &Refusal) {
    let mut text = format!(
        "not installed: {} ({}): {}",
        r.name,
        if r.path.is_empty() { "." } else { &r.path },
        r.reason
    );
    for f in &r.findings {
        text.push_str(&format!("\n  {}", f.replace('\n', "\n  ")));
    }
    output::warn_with(&text, r.hint.as_slice());
}

#[derive(Debug, clap::Args)]
pub(crate) struct OutdatedArgs {
    /// Only these installed skills (default: all).
    names: Vec<String>,
    #[arg(long)]
    json: bool,
}

pub(super) fn outdated(ctx: &Context, args: OutdatedArgs) -> CliResult {
    let rows = ops::outdated(&ctx.registry()?, &args.names)?;
    if args.json {
        return Ok(output::json(&rows)?);
    }
    let short = |c: &Option<String>| {
        c.as_deref()
            .map(|c| c[..c.len().min(12)].to_owned())
            .unwrap_or_else(|| "-".into())
    };
    let mut text = String::new();
    for r in &rows {
        let status = match r.status {
            UpstreamStatus::Current => "current",
            UpstreamStatus::Changed => "changed",
            UpstreamStatus::Gone => "gone",
            UpstreamStatus::Error => "error",
        };
        text.push_str(&format!(
            "{}  {status}  {} -> {}  {}{}\n",
            r.name,
            short(&r.locked_commit),
            short(&r.upstream_commit),
            r.source,
            r.reference
                .as_deref()
                .map(|x| format!("@{x}"))
                .unwrap_or_default()
        ));
        if let Some(detail) = &r.detail {
            text.push_str(&format!("  {}\n", detail.replace('\n', "\n  ")));
        }
    }
    if rows.is_empty() {
        text.push_str("no installed skills\n");
    }
    Ok(output::print(&text)?)
}

#[derive(Debug, clap::Args)]
pub(crate) struct UpdateArgs {
    /// Only these installed skills (default: all).
    names: Vec<String>,
    #[arg(long)]
    json: bool,
}

pub(super) fn update(ctx: &Context, args: UpdateArgs) -> CliResult {
    let report = ops::update(&ctx.registry()?, &args.names)?;
    if args.json {
        output::json(&report)?;
    } else {
        let mut text = String::new();
        for u in &report.updated {
            text.push_str(&u.diff);
            if !u.diff.is_empty() && !u.diff.ends_with('\n') {
                text.push('\n');
            }
            text.push_str(&format!(
                "updated {} (commit {}); review it again: its old signatures no longer cover it\n",
                u.name,
                &u.commit[..u.commit.len().min(12)]
            ));
        }
        if report.updated.is_empty() && report.problems.is_empty() {
            text.push_str("everything is current\n");
        }
        output::print(&text)?;
        for p in &report.problems {
            output::warn(&format!(
                "not updated: {}: {}",
                p.name,
                p.detail.as_deref().unwrap_or("")
            ));
        }
    }
    if report.problems.is_empty() {
        Ok(())
    } else {
        Err(Failure::Exit(1))
    }
}
