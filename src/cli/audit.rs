use super::{CliResult, Context, output};
use crate::audit;
use crate::runs::RunStore;

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Only the calls of this run (an id, a unique prefix of one, or `last`).
    #[arg(long, value_name = "ID")]
    run: Option<String>,
    /// Only calls since this time: RFC 3339 (2026-11-25T10:00:00Z), a date, or an age (30m, 2h, 7d).
    #[arg(long, value_name = "TIME")]
    since: Option<String>,
    /// Print as JSON (one array of entries).
    #[arg(long)]
    json: bool,
}

pub(super) fn run(ctx: &Context, args: Args) -> CliResult {
    let registry = ctx.registry()?;
    let path = registry.cache_dir().join("audit.jsonl");
    let (mut entries, bad) = audit::read(&path)?;
    if bad > 0 {
        output::warn(&format!(
            "{bad} lines of {} do not parse and are left out",
            path.display()
        ));
    }
    if let Some(run) = &args.run {
        let id = RunStore::new(&registry).resolve(run)?;
        entries.retain(|e| e.run == id);
    }
    if let Some(since) = &args.since {
        let since = audit::parse_since(since, chrono::Utc::now()).map_err(anyhow::Error::msg)?;
        entries.retain(|e| e.time >= since);
    }
    if args.json {
        return Ok(output::json(&entries)?);
    }
    if entries.is_empty() {
        return Ok(output::print("no tool calls in the audit log match")?);
    }
    let mut text = format!(
        "{:<24}  {:<23}  {:<32}  {:<11}  {:<10}  {:>8}  {:>8}  {:>8}\n",
        "TIME", "RUN", "TOOL", "DECISION", "OUTCOME", "ARGS", "RESULT", "MS"
    );
    for e in &entries {
        let decision = serde_json::to_value(e.decision)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        text.push_str(&format!(
            "{:<24}  {:<23}  {:<32}  {:<11}  {:<10}  {:>8}  {:>8}  {:>8.1}\n",
            e.time,
            e.run,
            format!("{}.{}", e.server, e.tool),
            decision,
            e.outcome,
            e.args_bytes,
            e.result_bytes.map_or("-".to_owned(), |b| b.to_string()),
            e.duration_ms
        ));
    }
    Ok(output::print(text.trim_end())?)
}
