use serde::Serialize;

use super::{CliResult, Context, output};
use crate::runs::{RunRecord, RunStore, Status};

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    #[command(subcommand)]
    command: Option<Command>,
    /// Print as JSON.
    #[arg(long, global = true)]
    json: bool,
}

#[derive(Debug, clap::Subcommand)]
enum Command {
    /// Show one run: its status, tool calls, script and output.
    Show {
        /// The run id, a unique prefix of one, or `last`.
        id: String,
    },
    /// Remove old run records (`run.keep_runs` in skillet.toml also does, as runs are made).
    #[command(group(clap::ArgGroup::new("which").required(true).multiple(true).args(["keep", "older_than"])))]
    Prune {
        /// Keep the newest N runs.
        #[arg(long, value_name = "N")]
        keep: Option<usize>,
        /// Remove runs started before this: an age (30m, 12h, 7d), a date (2026-11-25) or an
        /// RFC 3339 time.
        #[arg(long, value_name = "AGE")]
        older_than: Option<String>,
        /// Say what would be removed, and remove nothing.
        #[arg(long)]
        dry_run: bool,
    },
}

#[derive(Serialize)]
struct Summary<'a> {
    id: &'a str,
    created: &'a str,
    script: &'a str,
    mode: crate::runs::Mode,
    status: Status,
    error_kind: Option<&'static str>,
    tool_calls: usize,
    duration_ms: f64,
}

pub(super) fn run(ctx: &Context, args: Args) -> CliResult {
    let registry = ctx.registry()?;
    let store = RunStore::new(&registry);
    match args.command {
        None => {
            let records = store.list()?;
            let summaries: Vec<Summary> = records.iter().map(summary).collect();
            if args.json {
                return Ok(output::json(&summaries)?);
            }
            if summaries.is_empty() {
                return Ok(output::print(
                    "no runs yet: `skillet run script.ts` records one",
                )?);
            }
            let mut text = format!(
                "{:<23}  {:<6}  {:<13}  {:>5}  {:>9}  {}\n",
                "ID", "STATUS", "ERROR", "CALLS", "TIME", "SCRIPT"
            );
            for s in &summaries {
                text.push_str(&format!(
                    "{:<23}  {:<6}  {:<13}  {:>5}  {:>7.0}ms  {}{}\n",
                    s.id,
                    if s.status == Status::Ok {
                        "ok"
                    } else {
                        "error"
                    },
                    s.error_kind.unwrap_or("-"),
                    s.tool_calls,
                    s.duration_ms,
                    s.script,
                    match s.mode {
                        crate::runs::Mode::Live => "",
                        crate::runs::Mode::Replay => " (replay)",
                        crate::runs::Mode::Resume => " (resume)",
                    }
                ));
            }
            Ok(output::print(&text)?)
        }
        Some(Command::Show { id }) => {
            let crate::ops::ShownRun {
                record,
                script,
                output: out,
            } = crate::ops::show_run(&registry, &id)?;
            if args.json {
                return Ok(output::json(
                    &serde_json::json!({ "record": record, "script": script, "output": out }),
                )?);
            }
            Ok(output::print(&render(&record, &script, &out))?)
        }
        Some(Command::Prune {
            keep,
            older_than,
            dry_run,
        }) => {
            let before = older_than
                .map(|text| {
                    crate::audit::parse_since(&text, chrono::Utc::now())
                        .and_then(|t| {
                            chrono::DateTime::parse_from_rfc3339(&t).map_err(|e| e.to_string())
                        })
                        .map(|t| t.with_timezone(&chrono::Utc))
                        .map_err(|e| anyhow::anyhow!("--older-than: {e}"))
                })
                .transpose()?;
            let removed = store.prune(keep, before, dry_run)?;
            if args.json {
                return Ok(output::json(
                    &serde_json::json!({ "removed": removed, "dry_run": dry_run }),
                )?);
            }
            let verb = if dry_run { "would remove" } else { "removed" };
            let mut text = format!("{verb} {} run record(s)\n", removed.len());
            for id in &removed {
                text.push_str(&format!("  {id}\n"));
            }
            Ok(output::print(text.trim_end())?)
        }
    }
}

fn summary(r: &RunRecord) -> Summary<'_> {
    Summary {
        id: &r.id,
        created: &r.created,
        script: &r.script,
        mode: r.mode,
        status: r.status,
        error_kind: r.error.as_ref().map(|e| e.kind.as_str()),
        tool_calls: r.tool_calls.len(),
        duration_ms: r.duration_ms,
    }
}

fn render(r: &RunRecord, script: &str, out: &str) -> String {
    let mut t = format!(
        "run {}  {}  {}  {:.1} ms\n",
        r.id, r.created, r.script, r.duration_ms
    );
    match &r.error {
        None => t.push_str("status: ok\n"),
        Some(e) => t.push_str(&format!("status: error: {e}\n")),
    }
    if let Some(source) = &r.source_run {
        t.push_str(
            &format!("answered from the record of run {source} ({:?})\n", r.mode).to_lowercase(),
        );
    }
    for note in &r.notes {
        t.push_str(&format!("note: {note}\n"));
    }
    if let Some(tokens) = &r.tokens {
        t.push_str(&format!("tokens: {}\n", tokens.summary()));
    }
    t.push_str(&format!("\ntool calls ({}):\n", r.tool_calls.len()));
    for c in r.tool_calls.iter() {
        let outcome = match (&c.result, &c.error) {
            (Some(res), _) if res.is_error => "isError".to_owned(),
            (Some(_), _) => "ok".to_owned(),
            (None, Some(e)) => e.kind.clone(),
            (None, None) => "-".to_owned(),
        };
        t.push_str(&format!(
            "  #{:<3} {}.{}  {}  at {:.1} ms, {:.1} ms  [{}]\n",
            c.index + 1,
            c.server,
            c.tool,
            outcome,
            c.started_ms,
            c.duration_ms,
            serde_json::to_string(&c.source)
                .unwrap_or_default()
                .trim_matches('"')
        ));
    }
    t.push_str("\nscript:\n");
    for (i, line) in script.lines().enumerate() {
        t.push_str(&format!("{:>4} | {line}\n", i + 1));
    }
    t.push_str("\noutput:\n");
    t.push_str(out);
    if let Some(result) = &r.result {
        t.push_str(&format!(
            "\nresult:\n{}\n",
            serde_json::to_string_pretty(result).unwrap_or_default()
        ));
    }
    t
}
