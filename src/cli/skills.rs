//! Skill commands: save, validate, show, log, diff, test, search.

use std::path::PathBuf;

use super::{CliResult, Context, Failure, output};
use crate::ops::{self, SaveOptions, SearchOptions, TestOptions, TestStatus};

#[derive(Debug, clap::Args)]
pub(crate) struct SaveArgs {
    /// The run to save (an id, a unique prefix, or `last`); it must have ended ok.
    #[arg(long, value_name = "ID")]
    run: String,
    /// The skill's name: lowercase letters, digits and hyphens.
    #[arg(long)]
    name: String,
    /// What the skill does and when to use it (1-1024 characters).
    #[arg(long)]
    description: String,
    /// A tag for search (repeatable).
    #[arg(long = "tag", value_name = "TAG")]
    tags: Vec<String>,
    /// Lift a literal of the run's script into a typed input field: every occurrence of LITERAL
    /// (a whole string, number or boolean; quote it, `"42"`, to mean the string) becomes
    /// `input.NAME` (repeatable).
    #[arg(long = "param", value_name = "NAME=LITERAL")]
    params: Vec<String>,
    /// Describe a lifted field (repeatable); shown in SKILL.md and the input's schema.
    #[arg(long = "param-description", value_name = "NAME=TEXT")]
    param_descriptions: Vec<String>,
    #[arg(long)]
    json: bool,
}

/// `--param NAME=LITERAL` and `--param-description NAME=TEXT` as the parameters to lift.
fn params(
    params: &[String],
    descriptions: &[String],
) -> Result<Vec<crate::inputs::Param>, crate::error::Error> {
    let split = |flag: &str, text: &str, what: &str| match text.split_once('=') {
        Some((name, rest)) if !name.trim().is_empty() => {
            Ok((name.trim().to_owned(), rest.to_owned()))
        }
        _ => Err(
            crate::error::Error::usage(format!("{flag} `{text}` has no NAME=")).hint(format!(
                "write it as {flag} NAME={what}, e.g. {flag} contactEmail=ada@example.com"
            )),
        ),
    };
    let mut out: Vec<crate::inputs::Param> = Vec::new();
    for text in params {
        let (name, literal) = split("--param", text, "LITERAL")?;
        out.push(crate::inputs::Param {
            name,
            literal,
            description: None,
        });
    }
    for text in descriptions {
        let (name, description) = split("--param-description", text, "TEXT")?;
        let Some(param) = out.iter_mut().find(|p| p.name == name) else {
            return Err(crate::error::Error::usage(format!(
                "--param-description names `{name}`, which no --param lifts"
            ))
            .hint(format!("add --param {name}=LITERAL, or fix the name")));
        };
        param.description = Some(description);
    }
    Ok(out)
}

pub(super) fn save(ctx: &Context, args: SaveArgs) -> CliResult {
    let params = params(&args.params, &args.param_descriptions)?;
    let registry = ctx.registry()?;
    let report = ops::save(
        &registry,
        &SaveOptions {
            run: args.run,
            name: args.name,
            description: args.description,
            tags: args.tags,
            params,
        },
    )?;
    if args.json {
        return Ok(output::json(&report)?);
    }
    let mut text = String::new();
    if report.version > 1 {
        text.push_str(&format!("changes against v{}:\n", report.version - 1));
        if report.changes.is_empty() {
            text.push_str("  (none)\n");
        }
        for change in &report.changes {
            text.push_str(&format!("  {change}\n"));
        }
    }
    text.push_str(&format!(
        "saved {} v{} in {} (commit {})\n",
        report.name,
        report.version,
        report.path,
        &report.commit[..report.commit.len().min(12)]
    ));
    Ok(output::print(&text)?)
}

#[derive(Debug, clap::Args)]
pub(crate) struct ValidateArgs {
    /// Skill folders (default: every folder under the registry's skills/).
    paths: Vec<PathBuf>,
    /// Treat warnings as errors (notes never fail).
    #[arg(long)]
    strict: bool,
    #[arg(long)]
    json: bool,
}

pub(super) fn validate(ctx: &Context, args: ValidateArgs) -> CliResult {
    let start = ctx.start_dir()?;
    let (dirs, registry): (Vec<PathBuf>, _) = if args.paths.is_empty() {
        let registry = ctx.registry()?;
        (ops::skill_dirs(&registry), Some(registry))
    } else {
        let dirs = args.paths.iter().map(|p| start.join(p)).collect();
        // Only bounds where linked skill folders may lead: found, never recovered.
        (
            dirs,
            crate::registry::Registry::discover_untouched(&start).ok(),
        )
    };
    let options = ops::ValidateOptions {
        strict: args.strict,
        root: registry.as_ref().map(|r| r.root()),
    };
    let report = ops::validate(&dirs, options)?;
    if args.json {
        output::json(&report)?;
    } else {
        let mut text = String::new();
        for f in &report.findings {
            text.push_str(&format!("{f}\n"));
        }
        let plural = |n: usize| if n == 1 { "" } else { "s" };
        text.push_str(&format!(
            "{} skill{} checked: {} error{}, {} warning{}, {} note{}\n",
            dirs.len(),
            plural(dirs.len()),
            report.errors,
            plural(report.errors),
            report.warnings,
            plural(report.warnings),
            report.notes,
            plural(report.notes),
        ));
        output::print(&text)?;
    }
    if report.errors > 0 {
        Err(Failure::Exit(1))
    } else {
        Ok(())
    }
}

#[derive(Debug, clap::Args)]
pub(crate) struct ShowArgs {
    /// NAME, or NAME@REV (REV: vN, or any git revision).
    skill: String,
    #[arg(long)]
    json: bool,
}

pub(super) fn show(ctx: &Context, args: ShowArgs) -> CliResult {
    let registry = ctx.registry()?;
    let files = ops::show(&registry, &args.skill)?;
    if args.json {
        let map: serde_json::Map<String, serde_json::Value> =
            files.into_iter().map(|(p, c)| (p, c.into())).collect();
        return Ok(output::json(&map)?);
    }
    let mut text = String::new();
    if let Some((_, md)) = files.iter().find(|(p, _)| p == "SKILL.md") {
        text.push_str(md);
    }
    text.push_str("\nfiles:\n");
    for (path, contents) in &files {
        text.push_str(&format!("  {path} ({} bytes)\n", contents.len()));
    }
    Ok(output::print(&text)?)
}

#[derive(Debug, clap::Args)]
pub(crate) struct LogArgs {
    name: String,
    #[arg(long)]
    json: bool,
}

pub(super) fn log(ctx: &Context, args: LogArgs) -> CliResult {
    let registry = ctx.registry()?;
    let entries = ops::log(&registry, &args.name)?;
    if args.json {
        return Ok(output::json(&entries)?);
    }
    let mut text = String::new();
    for e in &entries {
        text.push_str(&format!(
            "{}  {}  {} <{}>  {}\n",
            &e.commit[..12],
            e.date,
            e.author,
            e.email,
            e.message.lines().next().unwrap_or_default()
        ));
    }
    Ok(output::print(&text)?)
}

#[derive(Debug, clap::Args)]
pub(crate) struct DiffArgs {
    name: String,
    /// From this revision (vN or a git revision; default: HEAD).
    from: Option<String>,
    /// To this revision (default: the working tree).
    to: Option<String>,
}

pub(super) fn diff(ctx: &Context, args: DiffArgs) -> CliResult {
    let registry = ctx.registry()?;
    let text = ops::diff(
        &registry,
        &args.name,
        args.from.as_deref(),
        args.to.as_deref(),
    )?;
    if !text.is_empty() {
        output::print(&text)?;
    }
    Ok(())
}

#[derive(Debug, clap::Args)]
pub(crate) struct TestArgs {
    /// Skills to test (default: all).
    names: Vec<String>,
    #[arg(long)]
    json: bool,
}

pub(super) async fn test(ctx: &Context, args: TestArgs) -> CliResult {
    let registry = ctx.registry()?;
    let results = ops::test(&registry, &TestOptions { names: args.names }).await?;
    let count = |status| results.iter().filter(|r| r.status == status).count();
    let failed = count(TestStatus::Failed);
    if args.json {
        output::json(&results)?;
    } else {
        let mut text = String::new();
        for r in &results {
            match (r.status, &r.skipped) {
                (TestStatus::Skipped, Some(why)) => {
                    text.push_str(&format!("skipped {}: {why}\n", r.name));
                }
                _ => text.push_str(&format!(
                    "{} {} ({} calls replayed, {:.0} ms)\n",
                    if r.ok { "ok    " } else { "FAILED" },
                    r.name,
                    r.tool_calls,
                    r.duration_ms
                )),
            }
            for f in &r.failures {
                text.push_str(&format!("  {}\n", f.replace('\n', "\n  ")));
            }
        }
        text.push_str(&format!(
            "{} passed, {failed} failed, {} skipped\n",
            count(TestStatus::Passed),
            count(TestStatus::Skipped)
        ));
        output::print(&text)?;
    }
    if failed > 0 {
        Err(Failure::Exit(1))
    } else {
        Ok(())
    }
}

#[derive(Debug, clap::Args)]
pub(crate) struct SearchArgs {
    /// What you are looking for, in your own words.
    query: String,
    #[arg(long, default_value_t = 10)]
    limit: usize,
    /// Search the upstream tools of the generated API instead of skills.
    #[arg(long)]
    tools: bool,
    #[arg(long)]
    json: bool,
}

pub(super) fn search(ctx: &Context, args: SearchArgs) -> CliResult {
    let phase = crate::timing::Phase::start("cli.registry");
    let registry = ctx.registry()?;
    drop(phase);
    let hits = if args.tools {
        crate::api::search_tools(&registry, &args.query, args.limit)?
    } else {
        ops::search_skills(
            &registry,
            &SearchOptions {
                query: args.query.clone(),
                limit: args.limit,
                now: std::time::SystemTime::now(),
            },
        )?
    };
    if let Some(notice) = crate::search::query_notice(&args.query) {
        output::warn_with(&notice, &[crate::search::QUERY_HINT.to_owned()]);
    }
    if args.json {
        return Ok(output::json(&hits)?);
    }
    if hits.is_empty() {
        return Ok(output::print(if args.tools {
            "no tool matches\n"
        } else {
            "no skill matches\n"
        })?);
    }
    let mut text = String::new();
    for h in &hits {
        text.push_str(&format!(
            "{}  {}  (score {:.2}{})\n  {}\n",
            h.name,
            h.version.as_deref().unwrap_or(""),
            h.score,
            h.status
                .as_deref()
                .map(|s| format!(", {s}"))
                .unwrap_or_default(),
            h.description
        ));
        if !h.snippet.is_empty() {
            text.push_str(&format!("  … {}\n", h.snippet.replace('\n', " ")));
        }
    }
    Ok(output::print(&text)?)
}
