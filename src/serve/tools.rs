//! The tools `skillet serve` offers, their definitions (written for models: short, precise, one
//! example each) and what each one does.

use std::fmt::Write as _;
use std::sync::Arc;

use rmcp::model::{Tool, ToolAnnotations};
use serde::Deserialize;
use serde_json::{Value, json};

use super::Shared;
use crate::ops::{self, Detail, ScriptSource, Tree, cut_notice, echo, summary};
use crate::tokens::thousands;

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
}

/// What a tool call answers: text for the model, and whether it is an error.
pub(crate) struct Answer {
    pub text: String,
    pub is_error: bool,
}

impl Answer {
    fn ok(text: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            is_error: false,
        }
    }

    pub(crate) fn error(text: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            is_error: true,
        }
    }
}

fn schema(value: Value) -> Arc<serde_json::Map<String, Value>> {
    match value {
        Value::Object(map) => Arc::new(map),
        _ => Arc::new(serde_json::Map::new()),
    }
}

fn read_only() -> ToolAnnotations {
    ToolAnnotations::new()
        .read_only(true)
        .destructive(false)
        .idempotent(true)
        .open_world(false)
}

/// The served tools, in the order clients list them.
pub(crate) fn definitions() -> Vec<Tool> {
    vec![
        Tool::new(
            "search_tools",
            "Find functions of the connected MCP servers by what they do (BM25 over every tool). detail: \"name\" (paths), \"description\" (default: summary, import and TypeScript signature), or \"full\" (the whole generated file). Example: {\"query\": \"create github issue\", \"limit\": 3}",
            schema(json!({
                "type": "object",
                "properties": {
                    "query": {"type": "string", "description": "Words describing the task."},
                    "detail": {"type": "string", "enum": ["name", "description", "full"], "default": "description"},
                    "limit": {"type": "integer", "minimum": 1, "maximum": 50, "default": 3}
                },
                "required": ["query"],
                "additionalProperties": false
            })),
        )
        .with_annotations(read_only()),
        Tool::new(
            "list_files",
            "List a folder of the TypeScript API tree: \"\" (root), \"servers/\", \"servers/<server>/\", \"skills/\", \"skills/<name>/\". Example: {\"path\": \"servers/github/\"}",
            schema(json!({
                "type": "object",
                "properties": {"path": {"type": "string", "default": ""}},
                "additionalProperties": false
            })),
        )
        .with_annotations(read_only()),
        Tool::new(
            "read_file",
            "Read a file of the API tree, e.g. a tool's generated TypeScript or a skill's SKILL.md. Example: {\"path\": \"servers/github/createIssue.ts\"}",
            schema(json!({
                "type": "object",
                "properties": {"path": {"type": "string"}},
                "required": ["path"],
                "additionalProperties": false
            })),
        )
        .with_annotations(read_only()),
        Tool::new(
            "run_code",
            "Run a TypeScript module in a sandbox. Import tool functions from \"./servers/<server>/index.js\" (or skills from \"./skills/<name>\"), loop, filter and join there, and console.log only what you need: only that output (and the default export) comes back. fs reads and writes ./workspace/. Returns the output, the run id (for save_skill) and a token report. `export default async function (input: T)` takes `input`. Or run a reviewed skill by name: {\"skill\": \"weekly-report\", \"input\": {...}}. Example: {\"code\": \"import { echo } from './servers/everything/index.js';\\nconsole.log(await echo({ message: 'hi' }));\"}",
            schema(json!({
                "type": "object",
                "properties": {
                    "code": {"type": "string", "description": "A TypeScript module."},
                    "skill": {"type": "string", "description": "Instead of code: a reviewed skill to run."},
                    "input": {"description": "The default export's argument, checked against its type."},
                    "timeout_ms": {"type": "integer", "minimum": 1, "maximum": MAX_TIMEOUT_MS, "description": "Deadline for the run (default from skillet.toml, 30000)."}
                },
                "additionalProperties": false
            })),
        )
        .with_annotations(
            ToolAnnotations::new()
                .read_only(false)
                .destructive(true)
                .idempotent(false)
                .open_world(true),
        ),
        Tool::new(
            "save_skill",
            "Save a successful run as a reusable skill (a SKILL.md folder with its script and recording, committed to git). name: lowercase words joined by hyphens. Example: {\"run_id\": \"20261125-101500123-ab12\", \"name\": \"weekly-report\", \"description\": \"Summarize last week's closed issues. Use when asked for a weekly report.\"}",
            schema(json!({
                "type": "object",
                "properties": {
                    "run_id": {"type": "string"},
                    "name": {"type": "string", "pattern": "^[a-z0-9]+(-[a-z0-9]+)*$", "maxLength": 64},
                    "description": {"type": "string", "maxLength": 1024, "description": "What it does and when to use it."},
                    "tags": {"type": "array", "items": {"type": "string"}},
                    "params": {"type": "array", "description": "Literals of the run's script to turn into typed input fields.", "items": {
                        "type": "object",
                        "properties": {
                            "name": {"type": "string", "description": "The input field, e.g. contactEmail."},
                            "literal": {"type": "string", "description": "The value in the script it replaces (every occurrence)."},
                            "description": {"type": "string"}
                        },
                        "required": ["name", "literal"],
                        "additionalProperties": false
                    }}
                },
                "required": ["run_id", "name", "description"],
                "additionalProperties": false
            })),
        )
        .with_annotations(
            ToolAnnotations::new()
                .read_only(false)
                .destructive(false)
                .idempotent(false)
                .open_world(false),
        ),
        Tool::new(
            "search_skills",
            "Find saved skills by what they do, with their review status. Example: {\"query\": \"weekly report of closed issues\"}",
            schema(json!({
                "type": "object",
                "properties": {
                    "query": {"type": "string"},
                    "limit": {"type": "integer", "minimum": 1, "maximum": 50, "default": 5}
                },
                "required": ["query"],
                "additionalProperties": false
            })),
        )
        .with_annotations(read_only()),
        Tool::new(
            "read_skill",
            "Read a skill: its SKILL.md, its files and its review status. Example: {\"name\": \"weekly-report\"}",
            schema(json!({
                "type": "object",
                "properties": {"name": {"type": "string"}},
                "required": ["name"],
                "additionalProperties": false
            })),
        )
        .with_annotations(read_only()),
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
        "search_tools" => match parse(args) {
            Ok(a) => search_tools(shared, a).await,
            Err(e) => Err(e),
        },
        "list_files" => match parse::<PathArgs>(args) {
            Ok(a) => list_files(shared, &a.path.unwrap_or_default()).await,
            Err(e) => Err(e),
        },
        "read_file" => match parse::<PathArgs>(args) {
            Ok(a) => read_file(shared, &a.path.unwrap_or_default()).await,
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
        "search_skills" => match parse(args) {
            Ok(a) => search_skills(shared, a).await,
            Err(e) => Err(e),
        },
        "read_skill" => match parse(args) {
            Ok(a) => read_skill(shared, a).await,
            Err(e) => Err(e),
        },
        other => Err(format!(
            "no tool `{other}`; the tools are: {}",
            definitions()
                .iter()
                .map(|t| t.name.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        )),
    };
    match result {
        Ok(text) => Answer::ok(text),
        Err(message) => Answer::error(bounded_error(message)),
    }
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
struct SearchToolsArgs {
    query: String,
    #[serde(default)]
    detail: Detail,
    limit: Option<usize>,
}

async fn search_tools(shared: &Arc<Shared>, args: SearchToolsArgs) -> Result<String, String> {
    shared.ensure_api().await?;
    let registry = shared.registry.clone();
    let limit = args.limit.unwrap_or(ops::DEFAULT_TOOL_LIMIT).clamp(1, 50);
    blocking(move || ops::tools_answer(&registry, &args.query, limit, args.detail)).await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PathArgs {
    path: Option<String>,
}

async fn list_files(shared: &Arc<Shared>, path: &str) -> Result<String, String> {
    shared.ensure_api().await?;
    let entries = Tree::new(&shared.registry)
        .list(path)
        .map_err(|e| crate::error::describe(&e))?;
    if entries.is_empty() {
        return Ok(format!("`{}` is empty", echo(path)));
    }
    Ok(entries
        .into_iter()
        .map(|e| e.path)
        .collect::<Vec<_>>()
        .join("\n"))
}

async fn read_file(shared: &Arc<Shared>, path: &str) -> Result<String, String> {
    shared.ensure_api().await?;
    Tree::new(&shared.registry)
        .read(path)
        .map_err(|e| crate::error::describe(&e))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RunCodeArgs {
    code: Option<String>,
    skill: Option<String>,
    input: Option<Value>,
    timeout_ms: Option<u64>,
}

async fn run_code(
    shared: &Arc<Shared>,
    session: &Session,
    args: RunCodeArgs,
    cancel: tokio_util::sync::CancellationToken,
) -> Answer {
    let script = match (args.code, args.skill) {
        (Some(source), None) => ScriptSource::Text {
            name: "run_code.ts".into(),
            source,
        },
        (None, Some(name)) => ScriptSource::Skill(name),
        _ => {
            return Answer::error(
                "give either `code` (a TypeScript module) or `skill` (a skill's name), not both",
            );
        }
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
        input: args.input,
        reviewed_only: true,
        ..ops::RunOptions::new(script)
    };
    let outcome = match ops::run(&shared.registry, options).await {
        Ok(outcome) => outcome,
        Err(e) => {
            return Answer::error(format!("the run could not start: {}", ops::describe(&e)));
        }
    };
    let (record, shown) = (&outcome.record, &outcome.shown);
    let mut text = shown.trim_end().to_owned();
    if let Some(result) = &record.result {
        let sep = if text.is_empty() { "" } else { "\n" };
        match result {
            // A default export cut for the model is its JSON text with the marker: shown as is.
            serde_json::Value::String(cut)
                if crate::sandbox::was_cut_for_model(cut, &record.id) =>
            {
                let _ = write!(text, "{sep}result: {cut}");
            }
            _ => {
                let _ = write!(text, "{sep}result: {result}");
            }
        }
    }
    if let Some(error) = &record.error {
        let place = match (&error.file, error.line, error.column) {
            (Some(file), Some(line), Some(column)) => format!(" at {file}:{line}:{column}"),
            _ => String::new(),
        };
        let _ = write!(
            text,
            "{}error ({}){place}: {}",
            if text.is_empty() { "" } else { "\n" },
            error.kind.as_str(),
            error.message
        );
        if error.kind == crate::sandbox::ErrorKind::Cancelled && shared.cancel_runs.is_cancelled() {
            let _ = write!(
                text,
                "\nskillet serve is shutting down: runs still going after its grace of {} ms are cancelled\nhint: run it again once the server is back; the output so far is in the run record",
                shared.grace.as_millis()
            );
        }
    }
    let tokens = record.tokens.as_ref().map_or_else(String::new, |t| {
        format!(
            "; {} tokens here vs {} by direct calls",
            thousands(t.returned),
            thousands(t.direct_used())
        )
    });
    let _ = write!(
        text,
        "\n[run {} {} in {:.0} ms, {} tool calls{tokens}]",
        record.id,
        if record.error.is_none() {
            "ok"
        } else {
            "failed"
        },
        record.duration_ms,
        record.tool_calls.len()
    );
    Answer {
        text: text.trim_start().to_owned(),
        is_error: record.error.is_some(),
    }
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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SearchSkillsArgs {
    query: String,
    limit: Option<usize>,
}

async fn search_skills(shared: &Arc<Shared>, args: SearchSkillsArgs) -> Result<String, String> {
    let registry = shared.registry.clone();
    let searcher = Arc::clone(&shared.skill_search);
    let limit = args.limit.unwrap_or(5).clamp(1, 50);
    blocking(move || {
        // A poisoned lock only means an earlier search panicked; the searcher recovers itself.
        let mut searcher = searcher
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let hits = searcher
            .search(
                &registry,
                &ops::SearchOptions {
                    query: args.query.clone(),
                    limit,
                    now: std::time::SystemTime::now(),
                },
            )
            .map_err(|e| crate::error::describe(&e))?;
        drop(searcher);
        let notice = cut_notice(&args.query);
        if hits.is_empty() {
            return Ok(format!("{notice}no skill matches `{}`", echo(&args.query)));
        }
        let mut out = notice;
        for hit in hits {
            let _ = writeln!(
                out,
                "{}{}: {}{}",
                hit.name,
                hit.version.map(|v| format!(" {v}")).unwrap_or_default(),
                summary(&hit.description),
                hit.status.map(|s| format!(" [{s}]")).unwrap_or_default()
            );
        }
        Ok(out.trim_end().to_owned())
    })
    .await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReadSkillArgs {
    name: String,
}

async fn read_skill(shared: &Arc<Shared>, args: ReadSkillArgs) -> Result<String, String> {
    if args.name.chars().count() > ECHO_CHARS {
        return Err(format!(
            "no skill `{}`: skill names are at most 64 characters\nhint: search_skills finds skills by what they do",
            echo(&args.name)
        ));
    }
    let registry = shared.registry.clone();
    blocking(move || {
        let skill =
            crate::skill::load(&registry, &args.name).map_err(|e| crate::error::describe(&e))?;
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
    fn every_tool_has_an_object_schema_and_an_example() {
        for tool in definitions() {
            assert_eq!(
                tool.input_schema.get("type"),
                Some(&json!("object")),
                "{}",
                tool.name
            );
            assert!(
                tool.description
                    .as_deref()
                    .unwrap_or("")
                    .contains("Example: {"),
                "{} has no example",
                tool.name
            );
        }
    }
}
