use std::io::Read as _;
use std::path::PathBuf;

use serde::Serialize;

use super::{CliResult, Context, Failure, output};
use crate::runs::{self, Mode, RunRequest};
use crate::sandbox::{self, Limits, RunError, Script};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The TypeScript module to run (`-` reads it from stdin). With --replay or --resume,
    /// defaults to the recorded run's script.
    #[arg(required_unless_present_any = ["replay", "resume"])]
    file: Option<PathBuf>,
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

pub async fn run(ctx: &Context, args: Args) -> CliResult {
    let registry = ctx.registry()?;
    let settings = &registry.settings().run;
    let mut limits = Limits::from(settings);
    // Zero is refused by clap (`at_least_one`), as a usage error.
    if let Some(v) = args.timeout_ms {
        limits.timeout_ms = v;
    }
    if let Some(v) = args.memory_mib {
        limits.memory_bytes = v.saturating_mul(1024 * 1024);
    }
    if let Some(v) = args.stack_kib {
        limits.stack_bytes = v.saturating_mul(1024);
    }
    if let Some(v) = args.max_tool_calls {
        limits.max_tool_calls = v;
    }
    if let Some(v) = args.max_concurrent_calls {
        limits.max_concurrent_calls = v;
    }
    if let Some(v) = args.max_output_bytes {
        limits.max_output_bytes = v;
    }
    if let Some(v) = args.max_result_bytes {
        limits.max_result_bytes = v;
    }

    let (mode, source_run) = match (&args.replay, &args.resume) {
        (Some(id), _) => (Mode::Replay, Some(id.clone())),
        (_, Some(id)) => (Mode::Resume, Some(id.clone())),
        _ => (Mode::Live, None),
    };
    let script = match (&args.file, &source_run) {
        (Some(path), _) if path.as_os_str() == "-" => {
            let mut source = String::new();
            std::io::stdin().read_to_string(&mut source)?;
            Script {
                name: "stdin.ts".into(),
                source,
            }
        }
        (Some(path), _) => {
            let path = ctx.start_dir()?.join(path);
            let source = fs_err::read_to_string(&path)?;
            Script {
                name: path
                    .file_name()
                    .map_or_else(|| "main.ts".into(), |n| n.to_string_lossy().into_owned()),
                source,
            }
        }
        (None, Some(id)) => {
            let (record, source, _) = runs::RunStore::new(&registry).load(id)?;
            Script {
                name: record.script,
                source,
            }
        }
        // clap requires a file unless --replay or --resume names a run: never reached.
        (None, None) => {
            return Err(anyhow::anyhow!("no script given\nhint: `skillet run script.ts`, or `skillet run -` to read it from stdin").into());
        }
    };
    let (record, full_output) = runs::run(
        &registry,
        RunRequest {
            script,
            limits: limits.clone(),
            mode,
            source_run,
            mcp_config: ctx.mcp_config()?,
        },
    )
    .await?;
    let max = usize::try_from(limits.max_output_bytes).unwrap_or(usize::MAX);
    let (shown, output_cut) = sandbox::truncate_output(&full_output, max, &record.id);
    // The record came back cut for the model already (error, default export, notes).
    let truncated = output_cut || record.was_cut_for_model();
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
            output::error(&anyhow::anyhow!("{text}"));
            Err(Failure::Exit(1))
        }
    }
}
