//! The tools `skillet serve` offers, their definitions (written for models: short, precise, one
//! example each) and what each one does.

use std::fmt::Write as _;
use std::sync::Arc;

use rmcp::model::{Tool, ToolAnnotations};
use serde::Deserialize;
use serde_json::{Value, json};

use super::Shared;
use crate::ops::{self, ScriptSource, Tree, echo};

/// The most `run_code` may ask for, whatever skillet.toml says.
const MAX_TIMEOUT_MS: u64 = 600_000;
use crate::ops::ECHO_CHARS;
/// The longest error an answer carries (a safety net: errors are short by design).
const MAX_ERROR_BYTES: usize = 8 * 1024;

/// An error message cut to [`MAX_ERROR_BYTES`] (at a character boundary), with a marker.
fn bounded_error(message: String) -> String {
    if message.len() <= MAX_ERROR_BYTES {
        return message;
    }
    let mut end = MAX_ERROR_BYTES;
    while !message.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…(cut, {} bytes)", &message[..end], message.len())
}

/// What one MCP session brings to a call: its vault of personal-data tokens (the same value
/// gets the same token across the session's runs) and, when the client supports elicitation,
/// a way to ask its user for approval.
pub(crate) struct Session {
    pub vault: crate::sandbox::governance::SharedVault,
    pub approver: Option<Arc<dyn crate::policy::Approver>>,
    /// Who answers what upstream servers ask during the session's runs: its client, when it
    /// supports elicitation.
    pub elicitor: Option<Arc<dyn crate::upstream::Elicitor>>,
}

/// What a tool call answers: text for the model, and whether it is an error.
pub(crate) struct Answer {
    pub text: String,
    pub is_error: bool,
    /// For the client, not the model: `run_code`'s timings and token report.
    pub structured: Option<Value>,
}

impl Answer {
    fn ok(text: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            is_error: false,
            structured: None,
        }
    }

    pub(crate) fn error(text: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            is_error: true,
            structured: None,
        }
    }
}

fn schema(value: Value) -> Arc<serde_json::Map<String, Value>> {
    match value {
        Value::Object(map) => Arc::new(map),
        _ => Arc::new(serde_json::Map::new()),
    }
}

/// Read-only (clients may call it without asking); the other hints mean nothing then.
fn read_only() -> ToolAnnotations {
    ToolAnnotations::new().read_only(true)
}

/// The served tools, in the order clients list them. Every token here is in every agent's
/// context for the whole session: descriptions say what to send and what comes back, no more.
pub(crate) fn definitions() -> Vec<Tool> {
    vec![
        Tool::new(
            "search",
            "Find the connected servers' functions (with import and signature) and saved skills by what they do.",
            schema(json!({
                "type": "object",
                "properties": {"query": {"type": "string"}, "limit": {"type": "integer"}},
                "required": ["query"]
            })),
        )
        .with_annotations(read_only()),
        Tool::new(
            "read",
            "List a folder or show a file: \"servers/<server>/\", \"servers/<server>/<fn>.ts\", \"skills/<name>\" (with its files and review status).",
            schema(json!({
                "type": "object",
                "properties": {"path": {"type": "string"}},
                "required": ["path"]
            })),
        )
        .with_annotations(read_only()),
        Tool::new(
            "run_code",
            "Run a TypeScript module: import functions from \"./servers/<server>/index.js\" or \"./skills/<name>\", filter data in code, console.log only what you need (that, the default export and the run id come back). fs: ./workspace/. {skill, input} runs a saved skill; input is the default export's argument.",
            schema(json!({
                "type": "object",
                "properties": {
                    "code": {"type": "string"},
                    "skill": {"type": "string"},
                    "input": {},
                    "timeout_ms": {"type": "integer"},
                    "resume": {"type": "string"}
                }
            })),
        ),
        Tool::new(
            "save_skill",
            "Save a run as a reusable skill. name: kebab-case. params: [{name, literal, description?}] turn literals of the script into typed input fields.",
            schema(json!({
                "type": "object",
                "properties": {
                    "run_id": {"type": "string"},
                    "name": {"type": "string"},
                    "description": {"type": "string", "description": "What it does and when to use it."},
                    "tags": {"type": "array", "items": {"type": "string"}},
                    "params": {"type": "array", "items": {"type": "object"}}
                },
                "required": ["run_id", "name", "description"]
            })),
        )
        .with_annotations(ToolAnnotations::new().destructive(false)),
    ]
}

/// Runs one served tool. Every failure is an [`Answer`] with `is_error`, never a panic.
pub(crate) async fn call(
    shared: &Arc<Shared>,
    session: &Session,
    name: &str,
    arguments: serde_json::Map<String, Value>,
    cancel: tokio_util::sync::CancellationToken,
) -> Answer {
    let args = Value::Object(arguments);
    let result = match name {
        "search" => match parse(args) {
            Ok(a) => search(shared, a).await,
            Err(e) => Err(e),
        },
        "read" => match parse::<PathArgs>(args) {
            Ok(a) => read(shared, &a.path.unwrap_or_default()).await,
            Err(e) => Err(e),
        },
        "run_code" => match parse(args) {
            Ok(a) => return run_code(shared, session, a, cancel).await,
            Err(e) => Err(e),
        },
        "save_skill" => match parse(args) {
            Ok(a) => save_skill(shared, a).await,
            Err(e) => Err(e),
        },
        // `call_tool` answers an unknown name with a protocol error before this.
        other => Err(unknown_tool(other)),
    };
    match result {
        Ok(text) => Answer::ok(text),
        Err(message) => Answer::error(bounded_error(message)),
    }
}

/// Whether `name` is one of the served tools.
pub(crate) fn is_tool(name: &str) -> bool {
    NAMES.contains(&name)
}

/// The served tools' names, in [`definitions`] order.
const NAMES: [&str; 4] = ["search", "read", "run_code", "save_skill"];

/// What to say about a call to a tool that is not served.
pub(crate) fn unknown_tool(name: &str) -> String {
    format!(
        "no tool `{}`; the tools are: {}",
        echo(name),
        NAMES.join(", ")
    )
}

fn parse<T: for<'de> Deserialize<'de>>(args: Value) -> Result<T, String> {
    // serde's messages quote the offending value, which may be huge, and end with what was
    // expected: keep both ends.
    serde_json::from_value(args).map_err(|e| {
        let message = e.to_string();
        let chars = message.chars().count();
        if chars <= 2 * ECHO_CHARS {
            return format!("invalid arguments: {message}");
        }
        let tail: String = message.chars().skip(chars - ECHO_CHARS).collect();
        format!("invalid arguments: {}{tail}", echo(&message))
    })
}

/// Runs blocking registry work (git, tantivy, files) off the async threads.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, String> + Send + 'static,
) -> Result<T, String> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| format!("internal error: {e}"))?
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SearchArgs {
    query: String,
    limit: Option<usize>,
}

/// Tools (with the import and signature a call needs), then saved skills with their review
/// status.
async fn search(shared: &Arc<Shared>, args: SearchArgs) -> Result<String, String> {
    shared.ensure_api().await?;
    let registry = shared.registry.clone();
    let limit = args.limit.unwrap_or(ops::DEFAULT_TOOL_LIMIT).clamp(1, 50);
    let searcher = Arc::clone(&shared.skill_search);
    blocking(move || {
        // A poisoned lock only means an earlier search panicked; the searcher recovers itself.
        let mut searcher = searcher
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        ops::search_answer(&registry, &args.query, limit, Some(&mut searcher))
    })
    .await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PathArgs {
    path: Option<String>,
}

/// A folder's listing, a file's text, or for `skills/<name>` the skill.
async fn read(shared: &Arc<Shared>, path: &str) -> Result<String, String> {
    if let Some(name) = skill_name(path) {
        return read_skill(shared, name.to_owned()).await;
    }
    shared.ensure_api().await?;
    let tree = Tree::new(&shared.registry);
    match tree.read(path) {
        // A folder, or one not made yet (`servers/` before generation): its listing.
        Err(ops::TreeError::IsDir(_)) => {}
        Err(ops::TreeError::NotFound(_)) if path.trim().ends_with('/') => {}
        other => return other.map_err(|e| crate::error::describe(&e)),
    }
    let entries = tree.list(path).map_err(|e| crate::error::describe(&e))?;
    if entries.is_empty() {
        return Ok(format!("`{}` is empty", echo(path)));
    }
    Ok(entries
        .into_iter()
        .map(|e| e.path)
        .collect::<Vec<_>>()
        .join("\n"))
}

/// `skills/<name>` (or `skills/<name>/`): the path that reads a skill whole.
fn skill_name(path: &str) -> Option<&str> {
    let rest = path
        .trim()
        .trim_start_matches("./")
        .strip_prefix("skills/")?
        .trim_end_matches('/');
    (!rest.is_empty() && !rest.contains('/') && rest != "." && rest != "..").then_some(rest)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RunCodeArgs {
    code: Option<String>,
    skill: Option<String>,
    input: Option<Value>,
    timeout_ms: Option<u64>,
    /// A run to resume (like `skillet run --resume`): calls the record answered are answered
    /// from it, the rest go live; its script unless `code` is given.
    resume: Option<String>,
}

async fn run_code(
    shared: &Arc<Shared>,
    session: &Session,
    args: RunCodeArgs,
    cancel: tokio_util::sync::CancellationToken,
) -> Answer {
    let _phase = crate::timing::Phase::start("serve.run_code");
    let script = match (args.code, args.skill, &args.resume) {
        (Some(source), None, _) => ScriptSource::Text {
            name: "run_code.ts".into(),
            source,
        },
        (None, Some(name), _) => ScriptSource::Skill(name),
        (None, None, Some(_)) => ScriptSource::Recorded,
        _ => {
            return Answer::error(
                "give either `code` (a TypeScript module) or `skill` (a skill's name), not both, or `resume` (a run's id) alone or with `code`",
            );
        }
    };
    let (mode, source_run) = match args.resume {
        Some(id) => (crate::runs::Mode::Resume, Some(id)),
        None => (crate::runs::Mode::Live, None),
    };
    // The API first: generating it may take a while, and holds no run slot meanwhile.
    if let Err(e) = shared.ensure_api().await {
        return Answer::error(e);
    }
    let _permit = match shared.admit_run(&cancel).await {
        Ok(permit) => permit,
        Err(message) => return Answer::error(message),
    };
    let options = ops::RunOptions {
        limits: ops::LimitOverrides {
            timeout_ms: args.timeout_ms.map(|t| t.clamp(1, MAX_TIMEOUT_MS)),
            ..ops::LimitOverrides::default()
        },
        pool: Some(Arc::clone(&shared.pool)),
        cancel: Some(cancel),
        vault: Some(session.vault.clone()),
        approver: session.approver.clone(),
        elicitor: session.elicitor.clone(),
        mode,
        source_run,
        input: args.input,
        reviewed_only: true,
        // Counted as the run ends when that is quick (the structured answer shows it), else
        // by the record's writer after the answer; the tokenizer is loaded as serve starts.
        count_tokens: true,
        record_behind: true,
        ..ops::RunOptions::new(script)
    };
    let outcome = match ops::run(&shared.registry, options).await {
        Ok(outcome) => outcome,
        Err(e) => {
            return Answer::error(format!("the run could not start: {}", ops::describe(&e)));
        }
    };
    let record = &outcome.record;
    let note = match &record.error {
        Some(error)
            if error.kind == crate::sandbox::ErrorKind::Cancelled
                && shared.cancel_runs.is_cancelled() =>
        {
            format!(
                "skillet serve is shutting down: runs still going after its grace of {} ms are cancelled\nhint: run it again once the server is back; the output so far is in the run record",
                shared.grace.as_millis()
            )
        }
        _ => String::new(),
    };
    // What the run's notes say (a resume that diverged, input a server asked nobody could
    // give) reaches the model too.
    let note = record
        .notes
        .iter()
        .map(String::as_str)
        .chain((!note.is_empty()).then_some(note.as_str()))
        .collect::<Vec<_>>()
        .join("\n");
    Answer {
        text: outcome.answer(&note),
        is_error: record.error.is_some(),
        structured: Some(run_report(record)),
    }
}

/// What a client (not the model) may show of a run: its id, timings and token report.
fn run_report(record: &crate::runs::RunRecord) -> Value {
    let mut report = json!({
        "run_id": record.id,
        "ok": record.error.is_none(),
        "duration_ms": record.duration_ms,
        "tool_calls": record.tool_calls.len(),
    });
    if let Some(error) = &record.error {
        report["error"] = json!(error.kind.as_str());
    }
    if let Some(t) = &record.tokens {
        report["tokens"] = json!({"returned": t.returned, "direct": t.direct_used()});
    }
    report
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SaveSkillArgs {
    run_id: String,
    name: String,
    description: String,
    #[serde(default)]
    tags: Vec<String>,
    #[serde(default)]
    params: Vec<ParamArg>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ParamArg {
    name: String,
    literal: String,
    description: Option<String>,
}

async fn save_skill(shared: &Arc<Shared>, args: SaveSkillArgs) -> Result<String, String> {
    let registry = shared.registry.clone();
    blocking(move || {
        let report = ops::save(
            &registry,
            &ops::SaveOptions {
                run: args.run_id,
                name: args.name,
                description: args.description,
                tags: args.tags,
                params: args
                    .params
                    .into_iter()
                    .map(|p| crate::inputs::Param {
                        name: p.name,
                        literal: p.literal,
                        description: p.description,
                    })
                    .collect(),
            },
        )
        .map_err(|e| ops::describe(&e))?;
        Ok(format!(
            "saved skill `{}` v{} (commit {}) in {}; import it in run_code from \"./skills/{}\"",
            report.name,
            report.version,
            &report.commit[..report.commit.len().min(12)],
            report.path,
            report.name
        ))
    })
    .await
}

/// A skill: its review status (when a policy applies), its files and its SKILL.md.
async fn read_skill(shared: &Arc<Shared>, name: String) -> Result<String, String> {
    if name.chars().count() > ECHO_CHARS {
        return Err(format!(
            "no skill `{}`: skill names are at most 64 characters\nhint: search finds skills by what they do",
            echo(&name)
        ));
    }
    let registry = shared.registry.clone();
    blocking(move || {
        let skill = crate::skill::load(&registry, &name).map_err(|e| crate::error::describe(&e))?;
        let text = fs_err::read_to_string(skill.dir.join("SKILL.md")).map_err(|e| e.to_string())?;
        let files = crate::fsutil::files(&skill.dir).map_err(|e| e.to_string())?;
        let mut out = String::new();
        if policy_applies(&registry) {
            let status = match crate::review::verify(
                &registry,
                std::slice::from_ref(&skill.name),
                std::time::SystemTime::now(),
            ) {
                Ok(reviews) => match reviews.first() {
                    Some(r) if r.meets_policy => format!(
                        "review: signed by {} (meets the policy)",
                        r.valid_principals.join(", ")
                    ),
                    Some(r) => format!(
                        "review: NOT REVIEWED ({} of {} required signatures){}",
                        r.valid_principals.len(),
                        r.required,
                        if registry.settings().run.require_signed {
                            "; run_code refuses to import it"
                        } else {
                            ""
                        }
                    ),
                    None => "review: unknown".to_owned(),
                },
                Err(e) => format!("review: cannot be checked: {e}"),
            };
            let _ = writeln!(out, "{status}");
        }
        let _ = writeln!(out, "files:");
        for file in &files {
            let _ = writeln!(
                out,
                "  skills/{}/{}",
                skill.name,
                crate::fsutil::relative(&skill.dir, file)
            );
        }
        let _ = write!(out, "\n{text}");
        Ok(out)
    })
    .await
}

/// Whether skills are held to a review policy (so their status is worth showing).
pub(crate) fn policy_applies(registry: &crate::registry::Registry) -> bool {
    registry.settings().run.require_signed || registry.settings().review.required_signatures > 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_the_definitions() {
        let defined: Vec<String> = definitions().iter().map(|t| t.name.to_string()).collect();
        assert_eq!(defined, NAMES);
        assert!(is_tool("run_code") && !is_tool("run"));
    }

    #[test]
    fn errors_are_bounded_at_a_character_boundary() {
        assert_eq!(bounded_error("short".into()), "short");
        let long = format!("a{}", "é".repeat(MAX_ERROR_BYTES));
        let cut = bounded_error(long.clone());
        assert!(cut.len() < MAX_ERROR_BYTES + 40, "{}", cut.len());
        assert!(
            cut.ends_with(&format!("…(cut, {} bytes)", long.len())),
            "{cut}"
        );
    }

    #[test]
    fn every_tool_has_an_object_schema_and_the_list_stays_small() {
        for tool in definitions() {
            assert_eq!(
                tool.input_schema.get("type"),
                Some(&json!("object")),
                "{}",
                tool.name
            );
        }
        // The list is in every agent's context for the whole session (issue 16: the echo task,
        // list and answers, in at most 450 tokens; `cargo bench --bench tokens` measures it).
        let listed = crate::tokens::count(&serde_json::to_string(&definitions()).unwrap());
        // With the wrapper of the answer (3 tokens), search's answer (37) and run_code's (19),
        // the echo task takes at most 450.
        assert!(listed <= 391, "the served tool list is {listed} tokens");
    }

    #[test]
    fn skill_paths_read_the_skill() {
        assert_eq!(skill_name("skills/weekly-report"), Some("weekly-report"));
        assert_eq!(skill_name("./skills/weekly-report/"), Some("weekly-report"));
        for other in ["skills/", "skills/a/SKILL.md", "servers/x", "skills/..", ""] {
            assert_eq!(skill_name(other), None, "{other}");
        }
    }
}
