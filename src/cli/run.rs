use std::io::Read as _;
use std::path::PathBuf;

use serde::Serialize;

use super::{CliResult, Context, Failure, output};
use crate::ops::{self, LimitOverrides, RunOptions, ScriptSource};
use crate::runs::Mode;
use crate::sandbox::{self, RunError};

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The TypeScript module to run (`-` reads it from stdin). With --replay or --resume,
    /// defaults to the recorded run's script.
    #[arg(required_unless_present_any = ["replay", "resume", "skill"])]
    file: Option<PathBuf>,
    /// Run the registry's skill NAME instead of a file (its default export, called with --input).
    #[arg(long, value_name = "NAME", conflicts_with = "file")]
    skill: Option<String>,
    /// The value the default export is called with: JSON, or @FILE to read it from a file.
    /// Checked against the type of its parameter before anything runs. With --replay or
    /// --resume, defaults to the recorded run's input.
    #[arg(long, value_name = "JSON|@FILE")]
    input: Option<String>,
    /// Answer every tool call from the record of run ID; no server is contacted.
    #[arg(long, value_name = "ID", conflicts_with = "resume")]
    replay: Option<String>,
    /// Answer the calls that succeeded in run ID from its record, then continue live.
    #[arg(long, value_name = "ID")]
    resume: Option<String>,
    /// Wall-clock deadline, including time spent waiting on tools.
    #[arg(long, value_name = "MS", value_parser = at_least_one())]
    timeout_ms: Option<u64>,
    /// Memory limit of the script's heap.
    #[arg(long, value_name = "MIB", value_parser = at_least_one())]
    memory_mib: Option<u64>,
    /// Stack limit (deep recursion stops here).
    #[arg(long, value_name = "KIB", value_parser = at_least_one())]
    stack_kib: Option<u64>,
    /// Tool calls one run may make.
    #[arg(long, value_name = "N", value_parser = at_least_one())]
    max_tool_calls: Option<u64>,
    /// Tool calls in flight at once.
    #[arg(long, value_name = "N", value_parser = at_least_one())]
    max_concurrent_calls: Option<u64>,
    /// Most bytes of output returned, and of an error's message or stack and the default
    /// export; longer text is cut with a marker (the run record keeps all).
    #[arg(long, value_name = "BYTES", value_parser = at_least_one())]
    max_output_bytes: Option<u64>,
    /// Size of one tool result admitted into the sandbox.
    #[arg(long, value_name = "BYTES", value_parser = at_least_one())]
    max_result_bytes: Option<u64>,
    /// Print the outcome as JSON.
    #[arg(long)]
    json: bool,
}

/// A limit flag: a positive number (0 would fail every run), refused by clap as a usage error.
fn at_least_one() -> clap::builder::RangedU64ValueParser<u64> {
    clap::value_parser!(u64).range(1..)
}

#[derive(Serialize)]
struct Report<'a> {
    run_id: &'a str,
    status: &'static str,
    output: String,
    result: &'a Option<serde_json::Value>,
    error: &'a Option<RunError>,
    tool_calls: usize,
    duration_ms: f64,
    truncated: bool,
}

pub(super) async fn run(ctx: &Context, args: Args) -> CliResult {
    let registry = ctx.registry()?;
    let (mode, source_run) = match (&args.replay, &args.resume) {
        (Some(id), _) => (Mode::Replay, Some(id.clone())),
        (_, Some(id)) => (Mode::Resume, Some(id.clone())),
        _ => (Mode::Live, None),
    };
    let input = match &args.input {
        Some(text) => Some(crate::inputs::parse_arg(text, &ctx.start_dir()?)?),
        None => None,
    };
    let script = match (&args.skill, &args.file) {
        (Some(name), _) => ScriptSource::Skill(name.clone()),
        (None, Some(path)) if path.as_os_str() == "-" => {
            let mut source = String::new();
            std::io::stdin().read_to_string(&mut source)?;
            ScriptSource::Text {
                name: "stdin.ts".into(),
                source,
            }
        }
        (None, Some(path)) => ScriptSource::File(ctx.start_dir()?.join(path)),
        // clap requires a file unless --skill, --replay or --resume names what to run.
        (None, None) => ScriptSource::Recorded,
    };
    let mcp_config = ctx.mcp_config()?;
    // OAuth step-up: who logs in again when a server refuses a call for want of a scope (a
    // configuration error here is the run's own error, below).
    let login = super::auth::CliLogin::if_possible(
        &registry.servers(mcp_config.as_deref()).unwrap_or_default(),
    );
    // A fresh clone has no generated API yet: a run that may call servers makes it first, as
    // `skillet gen` would (a replay contacts no server).
    if mode != Mode::Replay
        && let Some(report) = ops::ensure_api(&registry, mcp_config.as_deref()).await?
    {
        output::note(&format!(
            "there was no generated API yet: generated it from {} server{}, as `skillet gen` does",
            report.servers.len(),
            if report.servers.len() == 1 { "" } else { "s" }
        ));
        for failed in report.servers.iter().filter_map(|s| s.error.as_ref()) {
            output::warn_with(&failed.message, &failed.hints);
        }
    }
    let outcome = ops::run(
        &registry,
        RunOptions {
            limits: LimitOverrides {
                timeout_ms: args.timeout_ms,
                memory_mib: args.memory_mib,
                stack_kib: args.stack_kib,
                max_tool_calls: args.max_tool_calls,
                max_concurrent_calls: args.max_concurrent_calls,
                max_output_bytes: args.max_output_bytes,
                max_result_bytes: args.max_result_bytes,
            },
            mode,
            source_run,
            mcp_config,
            approver: super::approve::TerminalApprover::if_interactive(),
            // A replay sends nothing, so no server asks: its record stands.
            elicitor: super::elicit::TerminalElicitor::if_interactive(),
            login,
            input,
            ..RunOptions::new(script)
        },
    )
    .await?;
    let record = &outcome.record;
    let shown = outcome.shown.clone();
    let truncated = outcome.truncated;
    if args.json {
        output::json(&Report {
            run_id: &record.id,
            status: if record.error.is_none() {
                "ok"
            } else {
                "error"
            },
            output: shown,
            result: &record.result,
            error: &record.error,
            tool_calls: record.tool_calls.len(),
            duration_ms: record.duration_ms,
            truncated,
        })?;
    } else {
        if !shown.is_empty() {
            output::print(&shown)?;
        }
        match &record.result {
            // A default export cut for the model is its JSON text with the marker: shown as is.
            Some(serde_json::Value::String(cut)) if sandbox::was_cut_for_model(cut, &record.id) => {
                output::print(cut)?;
            }
            Some(result) => output::print(&serde_json::to_string_pretty(result)?)?,
            None => {}
        }
    }
    for note in &record.notes {
        output::warn(note);
    }
    match &record.error {
        None => {
            tracing::info!(
                "run {} ok ({} tool calls, {:.1} ms)",
                record.id,
                record.tool_calls.len(),
                record.duration_ms
            );
            Ok(())
        }
        Some(error) => {
            let mut text = error.to_string();
            if let Some(stack) = &error.stack {
                text.push('\n');
                text.push_str(stack);
            }
            text.push_str(&format!(
                "\nrun {} is recorded: `skillet runs show {}`",
                record.id, record.id
            ));
            output::error_message(&text, &[]);
            Err(Failure::Exit(1))
        }
    }
}
