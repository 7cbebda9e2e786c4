//! `skillet demo`: offline, on the bundled sample servers, shows what an agent's context holds
//! when it calls tools directly against what it holds in code mode.

use std::path::Path;

use serde::Serialize;

use crate::config::{ServerConfig, Transport};
use crate::ops::{self, GenOptions};
use crate::registry::{self, Registry};
use crate::tokens;
use crate::upstream::{self, Upstream};

/// One part of the context, with its size.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Part {
    pub what: String,
    pub tokens: usize,
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct DemoReport {
    pub servers: Vec<String>,
    pub tools: usize,
    /// Direct calling: every tool definition, loaded up front.
    pub direct: Part,
    /// Code mode: the tree listing and the two files the task needs, read on demand.
    pub code_mode: Vec<Part>,
    pub code_mode_total: usize,
    /// One intermediate result (the meeting transcript).
    pub transcript: Part,
    pub generated_files: usize,
    /// Real workflows, run in the sandbox, with both ways of counting.
    pub workflows: Vec<Workflow>,
    /// The first workflow, saved as a skill and found again by a search without its name.
    pub skill: SavedSkill,
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct SavedSkill {
    pub name: String,
    pub version: u32,
    pub commit: String,
    pub query: String,
    /// The names search returned, best first.
    pub found: Vec<String>,
    /// Who signed it (a throwaway demo key), and whether that meets the review policy.
    pub signed_by: Vec<String>,
    pub meets_policy: bool,
    /// `skillet review --base <commit before the save>`: does the change pass the gate?
    pub review_passes: bool,
    pub review_base: String,
    /// The literals lifted into the skill's typed input, by field name.
    pub inputs: Vec<String>,
    /// The skill run again by name with a new input.
    pub reused: Reused,
    /// The reviewed skills exported where Claude Code reads them (`.claude/skills/`).
    pub exported_to: String,
    pub exported: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct Reused {
    pub input: serde_json::Value,
    pub run_id: String,
    pub output: String,
    pub tool_calls: usize,
}

const SKILL_NAME: &str = "attach-transcript-to-contact";
const SKILL_QUERY: &str = "put the call recording notes on the customer record";

/// A task done for real in the sandbox, and what each approach puts in the model's context.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Workflow {
    pub name: String,
    pub run_id: String,
    pub output: String,
    /// Direct calling: the definitions, then every call's arguments (written by the model) and
    /// every result (read by the model), as the recorded run made them.
    pub direct: Vec<Part>,
    pub direct_total: usize,
    /// Code mode: the listings and files read, the script written, the output returned.
    pub code_mode: Vec<Part>,
    pub code_mode_total: usize,
    /// code mode / direct, in percent.
    pub percent: f64,
    /// For the document-to-CRM workflow: personal data as the script saw it and as the CRM got it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub privacy: Option<PrivacyView>,
}

/// One line of the transcript as the script (and so the model) saw it, and as it reached the
/// CRM: tokens out, real values in.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct PrivacyView {
    pub script_saw: String,
    pub crm_got: String,
    /// Distinct tokens in the transcript the script read.
    pub tokens: usize,
}

/// The document-to-CRM workflow of the published "code execution with MCP" example.
const DOC_TO_CRM: &str = r#"import { getDocument } from "./servers/docs/index.js";
import { findRecords, updateRecord } from "./servers/crm/index.js";

const transcript = (await getDocument({ id: "meet-2025-q3-planning-call" })) as string;
const { records } = await findRecords({ query: "jordan.ellis@example.com", type: "contact" });
await updateRecord({ id: records[0].id, fields: { notes: transcript } });
console.log(`Attached the transcript (${transcript.length} chars) to ${records[0].name}`);
"#;

/// A filter over a 10,000-row result: only the answer leaves the sandbox.
const FILTER_ROWS: &str = r#"import { exportActivities } from "./servers/crm/index.js";

const { activities } = await exportActivities({});
const meetings = activities.filter((a) => a.kind === "meeting" && a.owner === "Priya Raman" && a.date >= "2025-07-01");
const minutes = meetings.reduce((sum, a) => sum + a.duration_min, 0);
console.log(`${meetings.length} of ${activities.length} activities: Priya's meetings since July, ${minutes} minutes`);
"#;

/// The two sample servers, run from this executable.
pub(crate) fn sample_servers(exe: &Path) -> Vec<ServerConfig> {
    ["docs", "crm"]
        .into_iter()
        .map(|name| ServerConfig::stdio(name, &exe.to_string_lossy(), &["sample-server", name]))
        .collect()
}

/// Writes an `mcpServers` file for `servers` (stdio only).
pub(crate) fn write_mcp_config(path: &Path, servers: &[ServerConfig]) -> std::io::Result<()> {
    let mut map = serde_json::Map::new();
    for s in servers {
        if let Transport::Stdio { command, args, .. } = &s.transport {
            map.insert(
                s.name.clone(),
                serde_json::json!({ "command": command, "args": args }),
            );
        }
    }
    let text = serde_json::to_string_pretty(&serde_json::json!({ "mcpServers": map }))?;
    fs_err::write(path, text + "\n")
}

/// Runs the demo in a throwaway registry under `workdir`.
pub(crate) async fn run(exe: &Path, workdir: &Path) -> anyhow::Result<DemoReport> {
    registry::init(workdir, true)?;
    let servers = sample_servers(exe);
    let registry = Registry::open(workdir)?;
    write_mcp_config(&registry.mcp_config_path(), &servers)?;

    // Direct calling: what the agent is given up front, and what one big result costs it.
    let connected = upstream::connect_all(
        &servers,
        &registry.settings().upstream,
        &registry.logs_dir(),
        registry.root(),
        &|_, _| {},
    )
    .await;
    let mut live: Vec<Upstream> = Vec::new();
    for c in connected {
        live.push(c.result?);
    }
    let mut definitions = Vec::new();
    for up in &live {
        for tool in up.list_tools().await? {
            definitions.push(serde_json::json!({
                "name": tool.name,
                "description": tool.description,
                "input_schema": tool.input_schema,
            }));
        }
    }
    let tools = definitions.len();
    let direct_tokens = tokens::count(&serde_json::to_string_pretty(&definitions)?);
    let transcript = transcript_tokens(&live[0]).await;
    upstream::shutdown_all(live).await;
    let transcript = transcript?;

    // Code mode: generate the tree, then count what the agent reads of it.
    let report = ops::generate(&registry, &GenOptions::default(), &|_, _| {}).await?;
    if let Some(failed) = report.servers.iter().find_map(|s| s.error.as_ref()) {
        anyhow::bail!("{}", failed.message);
    }
    let api_dir = registry.api_dir();
    let listing: Vec<String> = crate::fsutil::files(&api_dir.join("servers"))?
        .iter()
        .map(|path| crate::fsutil::relative(&api_dir, path))
        .collect();
    let mut code_mode = vec![Part {
        what: format!("tree listing ({} files)", listing.len()),
        tokens: tokens::count(&listing.join("\n")),
    }];
    let lock = crate::lock::Lockfile::load(&registry.lock_path())?;
    for (server, tool) in [("docs", "get_document"), ("crm", "update_record")] {
        let function = lock
            .servers
            .get(server)
            .and_then(|s| s.tools.get(tool))
            .map(|t| t.function.clone())
            .ok_or_else(|| anyhow::anyhow!("sample server `{server}` has no tool `{tool}`"))?;
        let rel = format!("servers/{server}/{function}.ts");
        let text = fs_err::read_to_string(api_dir.join(&rel))?;
        code_mode.push(Part {
            what: rel,
            tokens: tokens::count(&text),
        });
    }
    let code_mode_total = code_mode.iter().map(|p| p.tokens).sum();
    let workflows = vec![
        workflow(
            &registry,
            "document to CRM: attach a meeting transcript to a contact",
            DOC_TO_CRM,
            direct_tokens,
            &["read a document", "find and update a CRM contact"],
            Some("ct-001"),
        )
        .await?,
        workflow(
            &registry,
            "filter 10,000 CRM activities down to one answer",
            FILTER_ROWS,
            direct_tokens,
            &["export CRM activities"],
            None,
        )
        .await?,
    ];
    // A throwaway reviewer key, trusted from the start: the pull request's base.
    let reviewer = crate::signing::SshKeySigner::from_seed([7; 32], "reviewer@example.com");
    let public = crate::signing::Signer::public_key(&reviewer)
        .to_openssh()
        .map_err(anyhow::Error::from)?;
    fs_err::write(
        registry.root().join(crate::review::ALLOWED_SIGNERS),
        format!(
            "reviewer@example.com namespaces=\"{}\" {public}\n",
            crate::signing::NAMESPACE
        ),
    )?;
    let repo = crate::registry::git::Repo::open(registry.root())?;
    let base = repo.commit_folder("signing", "demo: trust a throwaway reviewer key")?;
    let saved = crate::ops::save(
        &registry,
        &crate::ops::SaveOptions {
            run: workflows[0].run_id.clone(),
            name: SKILL_NAME.into(),
            description: "Attach a long meeting transcript from the document store to the CRM contact it is about, without passing it through the model.".into(),
            tags: vec!["crm".into(), "meetings".into()],
            params: vec![
                crate::inputs::Param {
                    name: "documentId".into(),
                    literal: "meet-2025-q3-planning-call".into(),
                    description: Some("The id of the meeting transcript in the document store".into()),
                },
                crate::inputs::Param {
                    name: "contactEmail".into(),
                    literal: "jordan.ellis@example.com".into(),
                    description: Some("The email address of the CRM contact to attach it to".into()),
                },
            ],
        },
    )?;
    let found = crate::ops::search_skills(
        &registry,
        &crate::ops::SearchOptions {
            query: SKILL_QUERY.into(),
            limit: 3,
            now: std::time::SystemTime::now(),
        },
    )?;
    crate::review::sign(
        &registry,
        std::slice::from_ref(&saved.name),
        &reviewer,
        "reviewer@example.com",
    )?;
    let verified = crate::review::verify(
        &registry,
        std::slice::from_ref(&saved.name),
        std::time::SystemTime::now(),
    )?;
    repo.commit_folder("signing", &format!("review: sign {}", saved.name))?;
    let review = crate::review::review(&registry, &base, "HEAD", std::time::SystemTime::now())?;
    // Reused by name with a new input, as `skillet run --skill` and a served `run_code` do.
    let input = serde_json::json!({
        "documentId": "meet-eng-sync-2025-07-01",
        "contactEmail": "maya.chen@example.com",
    });
    let rerun = ops::run(
        &registry,
        ops::RunOptions {
            input: Some(input.clone()),
            reviewed_only: true,
            ..ops::RunOptions::new(ops::ScriptSource::Skill(saved.name.clone()))
        },
    )
    .await?;
    if let Some(error) = &rerun.record.error {
        anyhow::bail!("the saved skill failed when reused: {error}");
    }
    let reused = Reused {
        input,
        run_id: rerun.record.id.clone(),
        output: rerun.output.clone(),
        tool_calls: rerun.record.tool_calls.len(),
    };
    // Published where Claude Code looks for skills.
    let export = ops::export(
        &registry,
        &ops::ExportOptions {
            target: ops::ExportTarget::Claude,
            home: None,
            symlink: false,
            all: false,
            names: Vec::new(),
            check: false,
            now: std::time::SystemTime::now(),
        },
    )?;
    let skill = SavedSkill {
        name: saved.name,
        version: saved.version,
        commit: saved.commit,
        query: SKILL_QUERY.into(),
        found: found.into_iter().map(|h| h.name).collect(),
        signed_by: verified
            .first()
            .map(|r| r.valid_principals.clone())
            .unwrap_or_default(),
        meets_policy: verified.first().is_some_and(|r| r.meets_policy),
        review_passes: review.passes,
        review_base: base,
        inputs: vec!["documentId".into(), "contactEmail".into()],
        reused,
        exported_to: crate::fsutil::relative(registry.root(), &export.target),
        exported: export.exported.into_iter().map(|e| e.name).collect(),
    };
    Ok(DemoReport {
        servers: servers.iter().map(|s| s.name.clone()).collect(),
        tools,
        direct: Part {
            what: format!("{tools} tool definitions"),
            tokens: direct_tokens,
        },
        code_mode,
        code_mode_total,
        transcript,
        generated_files: listing.len(),
        workflows,
        skill,
    })
}

/// Runs `script` for real in the sandbox, then counts what each approach costs the model.
async fn workflow(
    registry: &Registry,
    name: &str,
    script: &str,
    definitions: usize,
    queries: &[&str],
    crm_record: Option<&str>,
) -> anyhow::Result<Workflow> {
    let pool = std::sync::Arc::new(crate::upstream::UpstreamPool::new(
        &registry.servers(None)?,
        registry.settings().upstream.clone(),
        registry.logs_dir(),
        registry.root().to_owned(),
    ));
    let ran = crate::ops::run(
        registry,
        crate::ops::RunOptions {
            pool: Some(std::sync::Arc::clone(&pool)),
            ..crate::ops::RunOptions::new(crate::ops::ScriptSource::Text {
                name: "demo.ts".into(),
                source: script.to_owned(),
            })
        },
    )
    .await;
    // What reached the CRM, read back from the same server process, outside the sandbox.
    let privacy = match (&ran, crm_record) {
        (Ok(outcome), Some(id)) if outcome.ok() => privacy_view(&pool, &outcome.record, id).await,
        _ => None,
    };
    pool.shutdown().await;
    let ran = ran?;
    let answer = ran.answer("");
    let crate::ops::RunOutcome { record, output, .. } = ran;
    if let Some(error) = &record.error {
        anyhow::bail!("the demo workflow `{name}` failed: {error}");
    }
    let mut direct = vec![Part {
        what: "tool definitions".into(),
        tokens: definitions,
    }];
    for call in record.tool_calls.iter() {
        direct.push(Part {
            what: format!("{}.{} arguments", call.server, call.tool),
            tokens: tokens::count(&serde_json::to_string(&call.arguments)?),
        });
        let result = call.result.as_ref().map(|r| match &r.structured_content {
            Some(v) => serde_json::to_string(v).unwrap_or_default(),
            None => r.text(),
        });
        direct.push(Part {
            what: format!("{}.{} result", call.server, call.tool),
            tokens: tokens::count(&result.unwrap_or_default()),
        });
    }
    // Code mode as an agent does it through `skillet serve`: it searches for what it needs
    // (each answer gives the import and a one-line signature), writes one script and reads the
    // run_code answer.
    let mut code_mode = Vec::new();
    for query in queries {
        let answer =
            crate::ops::search_answer(registry, query, crate::ops::DEFAULT_TOOL_LIMIT, None)
                .map_err(anyhow::Error::msg)?;
        code_mode.push(Part {
            what: format!("search: {query}"),
            tokens: tokens::count(&answer),
        });
    }
    code_mode.push(Part {
        what: "the script (written by the model)".into(),
        tokens: tokens::count(script),
    });
    code_mode.push(Part {
        what: "the run_code answer (returned to the model)".into(),
        tokens: tokens::count(&answer),
    });
    let direct_total: usize = direct.iter().map(|p| p.tokens).sum();
    let code_mode_total: usize = code_mode.iter().map(|p| p.tokens).sum();
    Ok(Workflow {
        name: name.to_owned(),
        run_id: record.id,
        output,
        percent: if direct_total == 0 {
            0.0
        } else {
            code_mode_total as f64 * 100.0 / direct_total as f64
        },
        direct,
        direct_total,
        code_mode,
        code_mode_total,
        privacy,
    })
}

/// The first transcript line with an email address, as the script got it from the docs server
/// (tokenized) and as the CRM stored it (the real values, restored on the way out).
async fn privacy_view(
    pool: &crate::upstream::UpstreamPool,
    record: &crate::runs::RunRecord,
    id: &str,
) -> Option<PrivacyView> {
    let seen = record
        .tool_calls
        .iter()
        .find(|c| c.tool == "get_document")?
        .result
        .as_ref()?
        .text();
    let mut args = serde_json::Map::new();
    args.insert("id".into(), id.into());
    let stored = pool.call("crm", "get_record", args).await.ok()?;
    let notes = stored
        .structured_content
        .as_ref()?
        .pointer("/record/notes")?
        .as_str()?
        .to_owned();
    let (index, line) = seen
        .lines()
        .enumerate()
        .find(|(_, line)| line.contains("[EMAIL_"))?;
    let tokens: std::collections::BTreeSet<&str> = seen
        .split('[')
        .skip(1)
        .filter_map(|rest| rest.split_once(']').map(|(token, _)| token))
        .filter(|token| {
            token.split_once('_').is_some_and(|(kind, n)| {
                kind.chars().all(|c| c.is_ascii_uppercase()) && n.parse::<u32>().is_ok()
            })
        })
        .collect();
    Some(PrivacyView {
        script_saw: line.trim().to_owned(),
        crm_got: notes.lines().nth(index)?.trim().to_owned(),
        tokens: tokens.len(),
    })
}

/// Reads the longest document of the docs server for real and counts its tokens.
async fn transcript_tokens(docs: &Upstream) -> anyhow::Result<Part> {
    let listed = docs
        .call_tool_checked("list_documents", serde_json::Map::new())
        .await?;
    let value = listed
        .structured_content
        .clone()
        .or_else(|| serde_json::from_str(&listed.text()).ok())
        .unwrap_or_default();
    let documents = value
        .get("documents")
        .and_then(|d| d.as_array())
        .cloned()
        .unwrap_or_default();
    let longest = documents
        .iter()
        .max_by_key(|d| {
            d.get("word_count")
                .and_then(serde_json::Value::as_u64)
                .unwrap_or(0)
        })
        .and_then(|d| d.get("id").and_then(|i| i.as_str()))
        .ok_or_else(|| anyhow::anyhow!("the docs sample server listed no documents"))?
        .to_owned();
    let mut args = serde_json::Map::new();
    args.insert("id".into(), longest.clone().into());
    let doc = docs.call_tool_checked("get_document", args).await?;
    let text = match &doc.structured_content {
        Some(v) => serde_json::to_string(v)?,
        None => doc.text(),
    };
    Ok(Part {
        what: format!("docs.get_document(\"{longest}\")"),
        tokens: tokens::count(&text),
    })
}
