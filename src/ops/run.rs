//! `run`: a script in the sandbox against the generated API, recorded. Live, replayed from a
//! recorded run, or resumed after a failure. The CLI's `skillet run` and the served `run_code`
//! both come here.

use std::path::PathBuf;
use std::sync::Arc;

use crate::registry::Registry;
use crate::runs::{Mode, ReplayHost, ResumeHost, RunRecord, RunStore, Status};
use crate::sandbox::tools::{LiveHost, ToolHost};
use crate::sandbox::{self, Limits, SandboxEnv, Script};
use crate::upstream::UpstreamPool;

/// Where the script comes from.
#[derive(Debug, Clone)]
pub enum ScriptSource {
    /// Text the caller has (an agent's `run_code`, stdin).
    Text { name: String, source: String },
    /// A file; its name names the script in the record.
    File(PathBuf),
    /// The script of the run that [`RunOptions::source_run`] names.
    Recorded,
    /// The registry's skill of this name: its default export, called with the input.
    Skill(String),
}

/// Limits that override skillet.toml's `[run]` settings for one run (`None`: the setting).
#[derive(Debug, Clone, Copy, Default)]
pub struct LimitOverrides {
    pub timeout_ms: Option<u64>,
    pub memory_mib: Option<u64>,
    pub stack_kib: Option<u64>,
    pub max_tool_calls: Option<u64>,
    pub max_concurrent_calls: Option<u64>,
    pub max_output_bytes: Option<u64>,
    pub max_result_bytes: Option<u64>,
}

impl LimitOverrides {
    /// `base` with these overrides applied.
    pub fn apply(&self, base: Limits) -> Limits {
        Limits {
            timeout_ms: self.timeout_ms.unwrap_or(base.timeout_ms),
            memory_bytes: self
                .memory_mib
                .map_or(base.memory_bytes, |v| v.saturating_mul(1024 * 1024)),
            stack_bytes: self
                .stack_kib
                .map_or(base.stack_bytes, |v| v.saturating_mul(1024)),
            max_tool_calls: self.max_tool_calls.unwrap_or(base.max_tool_calls),
            max_concurrent_calls: self
                .max_concurrent_calls
                .unwrap_or(base.max_concurrent_calls),
            max_output_bytes: self.max_output_bytes.unwrap_or(base.max_output_bytes),
            max_result_bytes: self.max_result_bytes.unwrap_or(base.max_result_bytes),
        }
    }
}

/// What to run and how.
#[derive(Clone)]
pub struct RunOptions {
    pub script: ScriptSource,
    pub limits: LimitOverrides,
    /// How tool calls are answered; replay and resume need [`Self::source_run`].
    pub mode: Mode,
    /// For replay and resume: the run whose record answers calls (an id, a prefix, `last`).
    pub source_run: Option<String>,
    /// Servers from this file instead of the registry's `.mcp.json` (when no `pool` is given).
    pub mcp_config: Option<PathBuf>,
    /// A pool of servers that outlives the run (`serve`'s); `None` starts the servers for this
    /// run and ends them after it.
    pub pool: Option<Arc<UpstreamPool>>,
    /// Ends the run early (recorded as `cancelled`).
    pub cancel: Option<tokio_util::sync::CancellationToken>,
    /// The session's vault of personal-data tokens; a fresh one for this run when `None`.
    pub vault: Option<crate::sandbox::governance::SharedVault>,
    /// Who approves calls the tool policy says need approval; `None`: nobody can, and such
    /// calls are refused.
    pub approver: Option<Arc<dyn crate::policy::Approver>>,
    /// Who answers what servers ask during the run's calls (MCP elicitation); `None`: nobody
    /// can, and each request is declined with a note.
    pub elicitor: Option<Arc<dyn crate::upstream::Elicitor>>,
    /// Who logs in again when a server refuses a call for want of a scope (OAuth step-up);
    /// `None`: the refusal fails the call with its `skillet auth login` hint.
    pub login: Option<Arc<dyn crate::upstream::Login>>,
    /// The value the script's default export is called with, checked first against the schema
    /// of its parameter's type. `None`: the recorded input for replay and resume, `{}` for a
    /// script that takes an object, else nothing.
    pub input: Option<serde_json::Value>,
    /// A skill run by name ([`ScriptSource::Skill`]) must meet the review policy (`serve`'s
    /// direct skill runs), whatever `run.require_signed` says.
    pub reviewed_only: bool,
    /// Count the run's token report (`serve`): as it ends when that is quick (no calls, a
    /// short output), else on the blocking pool before returning, or, with
    /// [`Self::record_behind`], by the record's writer after the run returns (the returned
    /// record then has none). Otherwise the record keeps what counting needs, and `skillet runs
    /// show` counts ([`show`]): loading the tokenizer costs far more than a small run.
    pub count_tokens: bool,
    /// Record the run after it returns (`serve`: its answer need not wait for the disk): the
    /// id is claimed in memory, the record written by a writer thread that this process reads
    /// through ([`crate::runs::behind`]), and old records (`run.keep_runs`) removed on the
    /// blocking pool. A process that exits right after the run records it inline.
    pub record_behind: bool,
}

impl RunOptions {
    /// A live run of `script` with skillet.toml's limits and nothing else set.
    pub fn new(script: ScriptSource) -> Self {
        Self {
            script,
            limits: LimitOverrides::default(),
            mode: Mode::Live,
            source_run: None,
            mcp_config: None,
            pool: None,
            cancel: None,
            vault: None,
            approver: None,
            elicitor: None,
            login: None,
            input: None,
            reviewed_only: false,
            count_tokens: false,
            record_behind: false,
        }
    }
}

/// How a run ended.
#[derive(Debug, Clone)]
pub struct RunOutcome {
    /// The record as the model sees it ([`RunRecord::cap_for_model`]; the saved one is whole).
    pub record: RunRecord,
    /// The whole output (the record's folder keeps it too).
    pub output: String,
    /// The output cut at the run's `max_output_bytes`, with a marker naming the record.
    pub shown: String,
    /// Whether anything the caller shows was cut (the output, the error, the default export or
    /// the notes).
    pub truncated: bool,
}

impl RunOutcome {
    pub fn ok(&self) -> bool {
        self.record.error.is_none()
    }

    /// What a model reads of the run (the served `run_code` answer): the output shown, the
    /// default export, the error with its kind and place, `note` (a line or nothing), and last
    /// `[run <id>]` (`[run <id> failed]`): the id `save_skill` takes. Nothing else: the token
    /// report and timings are in the record (and the served answer's structured content).
    pub fn answer(&self, note: &str) -> String {
        use std::fmt::Write as _;
        let record = &self.record;
        let mut lines: Vec<String> = Vec::new();
        let shown = self.shown.trim();
        if !shown.is_empty() {
            lines.push(shown.to_owned());
        }
        if let Some(result) = &record.result {
            match result {
                // A default export cut for the model is its JSON text with the marker: shown as is.
                serde_json::Value::String(cut) if sandbox::was_cut_for_model(cut, &record.id) => {
                    lines.push(format!("result: {cut}"));
                }
                _ => lines.push(format!("result: {result}")),
            }
        }
        if let Some(error) = &record.error {
            let mut line = format!("error ({})", error.kind.as_str());
            if let (Some(file), Some(l), Some(c)) = (&error.file, error.line, error.column) {
                let _ = write!(line, " at {file}:{l}:{c}");
            }
            let _ = write!(line, ": {}", error.message);
            lines.push(line);
        }
        if !note.is_empty() {
            lines.push(note.to_owned());
        }
        let failed = if record.error.is_some() {
            " failed"
        } else {
            ""
        };
        lines.push(format!("[run {}{failed}]", record.id));
        lines.join("\n")
    }
}

/// Runs a script in the sandbox and records the run. Errors are failures to start or record
/// the run; a script that fails is an outcome whose record holds the error.
pub async fn run(registry: &Registry, options: RunOptions) -> anyhow::Result<RunOutcome> {
    let prepare = crate::timing::Phase::start("run.prepare");
    let store = RunStore::new(registry);
    let source_record = match &options.source_run {
        Some(id) => Some(store.load(id)?),
        None => None,
    };
    // The script, and the text whose default export's parameter type says what input it takes.
    let (mut script, typed) = match &options.script {
        ScriptSource::Text { name, source } => (Script::new(name.clone(), source.clone()), None),
        ScriptSource::File(path) => (
            Script::new(
                path.file_name()
                    .map_or_else(|| "main.ts".into(), |n| n.to_string_lossy().into_owned()),
                fs_err::read_to_string(path)?,
            ),
            None,
        ),
        ScriptSource::Recorded => match &source_record {
            Some((record, source, _)) => (Script::new(record.script.clone(), source.clone()), None),
            None => {
                return Err(crate::error::Error::usage("no script given")
                    .hint("`skillet run script.ts`, or `skillet run -` to read it from stdin")
                    .into());
            }
        },
        ScriptSource::Skill(name) => {
            let (script, entry) = skill_script(registry, name, options.reviewed_only)?;
            (script, Some(entry))
        }
    };
    let typed = typed.unwrap_or_else(|| (script.name.clone(), script.source.clone()));
    let recorded_input = source_record
        .as_ref()
        .and_then(|(record, _, _)| record.input.clone());
    let input_phase = crate::timing::Phase::start("run.input");
    script.input = checked_input(&typed.0, &typed.1, options.input.clone().or(recorded_input))?;
    drop(input_phase);
    let limits = options.limits.apply(Limits::from(&registry.settings().run));
    drop(prepare);
    let (pool, owned) = match &options.pool {
        Some(pool) => (Arc::clone(pool), false),
        None => {
            let servers = registry.servers(options.mcp_config.as_deref())?;
            let pool = Arc::new(UpstreamPool::new(
                &servers,
                registry.settings().upstream.clone(),
                registry.logs_dir(),
                registry.root().to_owned(),
            ));
            (pool, true)
        }
    };
    // A server the script imports is started now, while the script is stripped and its
    // modules load, rather than at its first call; so is what compiling its tools' input
    // schemas first needs.
    let starting: Vec<_> = if owned && options.mode == Mode::Live {
        imported_servers(registry, &script.source)
            .into_iter()
            .map(|server| {
                let pool = Arc::clone(&pool);
                tokio::spawn(async move { pool.start(&server).await })
            })
            .collect()
    } else {
        Vec::new()
    };
    if !starting.is_empty() {
        drop(tokio::task::spawn_blocking(sandbox::tools::warm_compiler));
    }
    let mut closing = owned.then(|| Closing {
        pool: Arc::clone(&pool),
        starting,
        task: None,
    });
    let ran = run_on(
        registry,
        &store,
        script,
        limits,
        &options,
        Arc::clone(&pool),
        closing.as_mut(),
    )
    .await;
    if let Some(closing) = closing {
        closing.finish().await;
    }
    let (mut record, output) = ran?;
    let max = usize::try_from(record.limits.max_output_bytes).unwrap_or(usize::MAX);
    let (shown, output_cut) = sandbox::truncate_output(&output, max, &record.id);
    let record_cut = record.cap_for_model();
    Ok(RunOutcome {
        record,
        output,
        shown,
        truncated: output_cut || record_cut,
    })
}

/// The servers a run started for itself: ended as soon as its script is done, while the
/// record is written, rather than after it (a server takes about a millisecond to exit).
struct Closing {
    pool: Arc<UpstreamPool>,
    /// Servers the script imports, started before it ran: each is ended once it is up.
    starting: Vec<tokio::task::JoinHandle<Result<(), crate::upstream::UpstreamError>>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl Closing {
    /// Starts ending the servers (once).
    fn begin(&mut self) {
        if self.task.is_some() {
            return;
        }
        let pool = Arc::clone(&self.pool);
        let starting = std::mem::take(&mut self.starting);
        self.task = Some(tokio::spawn(async move {
            for start in starting {
                let _ = start.await;
            }
            pool.shutdown().await;
        }));
    }

    /// Ends the servers and waits until they are gone.
    async fn finish(mut self) {
        self.begin();
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

/// The run itself, on `pool`; `closing`, the servers started for this run, begin to end once
/// the script is done. Returns the whole record (as saved) and the whole output.
async fn run_on(
    registry: &Registry,
    store: &RunStore,
    script: Script,
    limits: Limits,
    options: &RunOptions,
    pool: Arc<UpstreamPool>,
    closing: Option<&mut Closing>,
) -> anyhow::Result<(RunRecord, String)> {
    let setup = crate::timing::Phase::start("run.setup");
    let id = if options.record_behind {
        store.claim_id()
    } else {
        store.reserve_id().map_err(|e| {
            anyhow::anyhow!("cannot make a run folder in {}: {e}", store.dir().display())
        })?
    };
    let audit_log = (options.mode != Mode::Replay).then(|| {
        (
            Arc::new(crate::audit::AuditLog::new(
                registry.cache_dir().join("audit.jsonl"),
            )),
            id.clone(),
        )
    });
    let source = match &options.source_run {
        Some(id) => Some(store.load(id)?.0),
        None => None,
    };
    // A replay sees what its source run saw: tokenized only if that run was. Flows, policy and
    // the audit apply to every run.
    let tokenized = match (&source, options.mode) {
        (Some(source), Mode::Replay | Mode::Resume) => source.tokenized,
        _ => true,
    };
    let vault = options.vault.clone().unwrap_or_default();
    if let (Some(source), Mode::Resume) = (&source, options.mode)
        && let Ok(mut vault) = vault.lock()
    {
        // The record's tokens stay unrestorable here; new ones must not reuse their numbers.
        vault.adopt_record(&serde_json::to_string(&source.tool_calls).unwrap_or_default());
    }
    let governance = crate::sandbox::governance::Governance::new(
        registry.settings().privacy.clone(),
        vault,
        options.approver.clone(),
        audit_log.clone(),
        tokenized,
    )
    .map_err(anyhow::Error::msg)?;
    // Retries never wait past the run's deadline (counted from here, a little early).
    let deadline = std::time::Instant::now() + std::time::Duration::from_millis(limits.timeout_ms);
    let live = || {
        LiveHost::new(Arc::clone(&pool))
            .with_elicitor(options.elicitor.clone())
            .with_login(options.login.clone())
            .with_deadline(deadline)
    };
    let resume = match (&source, options.mode) {
        (Some(record), Mode::Resume) => Some(Arc::new(ResumeHost::new(record, live()))),
        _ => None,
    };
    let mut live_host = None;
    let host: Arc<dyn ToolHost> = match (&source, options.mode, &resume) {
        (Some(record), Mode::Replay, _) => Arc::new(ReplayHost::new(record)),
        (_, Mode::Resume, Some(resume)) => Arc::clone(resume) as Arc<dyn ToolHost>,
        _ => Arc::clone(live_host.insert(Arc::new(live()))) as Arc<dyn ToolHost>,
    };
    let env = SandboxEnv {
        api_dir: registry.api_dir(),
        skills_dir: registry.skills_dir(),
        workspace_dir: registry.cache_dir().join("workspace"),
        host,
        skill_gate: registry
            .settings()
            .run
            .require_signed
            .then(|| review_gate(registry)),
        cancel: options.cancel.clone(),
        governance: Some(Arc::new(governance)),
    };
    drop(setup);
    let sandbox_phase = crate::timing::Phase::start("run.sandbox");
    let outcome = sandbox::execute_on_worker(&script, &env, &limits).await;
    drop(sandbox_phase);
    drop(env);
    if let Some(closing) = closing {
        closing.begin();
    }
    // The run's audit lines, written together now that it is over (calls abandoned included).
    if let Some((log, _)) = &audit_log {
        log.flush();
    }
    let notes = match (&resume, &live_host) {
        (Some(resume), _) => resume.notes(),
        (None, Some(live)) => live.notes(),
        _ => Vec::new(),
    };
    drop(live_host);
    drop(resume);
    let record = RunRecord {
        id,
        created: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        script: script.name.clone(),
        mode: options.mode,
        source_run: source.map(|s| s.id),
        input: script.input.clone(),
        status: if outcome.ok() {
            Status::Ok
        } else {
            Status::Error
        },
        result: outcome.result.clone(),
        error: outcome.error.clone(),
        duration_ms: outcome.duration.as_secs_f64() * 1e3,
        limits,
        output_bytes: outcome.output.len(),
        tool_calls: outcome.tool_calls.into(),
        notes,
        tokens: None,
        tokens_basis: None,
        tokenized,
    };
    let tokens_phase = crate::timing::Phase::start("run.tokens");
    let basis = || crate::tokens::TokenBasis {
        catalog: crate::api::catalog_digest(registry),
    };
    // Recorded behind the answer: a run with calls is counted by the writer, off the answer's
    // path (counting a fresh megabyte of results takes tens of milliseconds).
    let mut count_behind = false;
    let record = if options.count_tokens && counted_here(&record, &outcome.output) {
        // A small run is counted at once: a trip to the blocking pool would cost more.
        let tokens = Some(token_report(registry, &record, &outcome.output));
        RunRecord { tokens, ..record }
    } else if options.count_tokens && !options.record_behind {
        // Counting large results takes a while: off the async threads.
        let (registry, counted, output) =
            (registry.clone(), record.clone(), outcome.output.clone());
        let tokens =
            tokio::task::spawn_blocking(move || token_report(&registry, &counted, &output))
                .await
                .ok();
        RunRecord { tokens, ..record }
    } else {
        count_behind = options.count_tokens;
        RunRecord {
            tokens_basis: Some(basis()),
            ..record
        }
    };
    drop(tokens_phase);
    let save = crate::timing::Phase::start("run.save");
    if options.record_behind {
        let finish = count_behind.then(|| {
            let registry = registry.clone();
            Box::new(move |record: &mut RunRecord, output: &str| {
                record.tokens = Some(token_report(&registry, record, output));
                record.tokens_basis = None;
            }) as crate::runs::behind::Finish
        });
        store.save_behind(record.clone(), &script.source, &outcome.output, finish)?;
    } else {
        store.save(&record, &script.source, &outcome.output)?;
    }
    let keep = registry.settings().run.keep_runs;
    match tokio::runtime::Handle::try_current() {
        Ok(handle) if options.record_behind => {
            let store = store.clone();
            drop(handle.spawn_blocking(move || store.prune_after_save(keep)));
        }
        _ => store.prune_after_save(keep),
    }
    drop(save);
    Ok((record, outcome.output))
}

/// Whether counting a run's tokens is quick enough to do on an async thread (a few
/// microseconds): no tool calls, a short output and a short default export.
fn counted_here(record: &RunRecord, output: &str) -> bool {
    const QUICK_BYTES: usize = 2048;
    record.tool_calls.is_empty()
        && output.len() <= QUICK_BYTES
        && record
            .result
            .as_ref()
            .is_none_or(|r| r.to_string().len() <= QUICK_BYTES)
}

/// The servers whose generated modules `source` imports (`./servers/<folder>/...`).
fn imported_servers(registry: &Registry, source: &str) -> Vec<String> {
    if !source.contains("servers/") {
        return Vec::new();
    }
    crate::api::load_folders(registry)
        .into_iter()
        .filter(|(_, folder)| {
            source.contains(&format!("servers/{folder}/"))
                || source.contains(&format!("servers/{folder}\""))
                || source.contains(&format!("servers/{folder}'"))
        })
        .map(|(server, _)| server)
        .collect()
}

/// The token report of a run from its record and whole output, against today's catalog.
fn token_report(
    registry: &Registry,
    record: &RunRecord,
    output: &str,
) -> crate::tokens::TokenReport {
    let catalog = crate::api::catalog(registry);
    let max = usize::try_from(record.limits.max_output_bytes).unwrap_or(usize::MAX);
    // What the model got back: the output as cut for it, and the default export's JSON.
    let (returned, _) = sandbox::truncate_output(output, max, &record.id);
    let returned = match &record.result {
        Some(result) => match crate::runs::capped_result(result, max, &record.id) {
            Some(shown) => format!("{returned}\n{shown}"),
            None => format!("{returned}\n{result}"),
        },
        None => returned,
    };
    let all_definitions = crate::api::definition_tokens(registry);
    crate::tokens::TokenReport::measure(&returned, &record.tool_calls, &catalog, all_definitions)
}

/// A recorded run, as `skillet runs show` gives it.
#[derive(Debug, Clone)]
pub struct ShownRun {
    /// The record, with its token report counted now if the run left that for later.
    pub record: RunRecord,
    pub script: String,
    pub output: String,
}

/// The record of run `id` (an id, a prefix, `last`), its script and its whole output. A run
/// that left its token report for later (see [`RunOptions::count_tokens`]) is counted here:
/// against the catalog it saw, or, when the catalog changed since, against today's, with the
/// report marked estimated.
pub fn show(registry: &Registry, id: &str) -> anyhow::Result<ShownRun> {
    let (mut record, script, output) = RunStore::new(registry).load(id)?;
    if record.tokens.is_none()
        && let Some(basis) = record.tokens_basis.take()
    {
        let mut tokens = token_report(registry, &record, &output);
        tokens.estimated |= basis.catalog != crate::api::catalog_digest(registry);
        record.tokens = Some(tokens);
    }
    Ok(ShownRun {
        record,
        script,
        output,
    })
}

/// The script that runs the skill `name` (its default export, called with the input), and the
/// skill's entry (file name and text) that says what input it takes.
fn skill_script(
    registry: &Registry,
    name: &str,
    reviewed_only: bool,
) -> anyhow::Result<(Script, (String, String))> {
    let skill = crate::skill::load(registry, name)?;
    let entry_path = skill.dir.join(crate::skill::ENTRY);
    if !entry_path.is_file() {
        return Err(crate::error::Error::user(format!(
            "skill `{name}` has no {}: it is an instructions-only skill, not one skillet runs",
            crate::skill::ENTRY
        ))
        .hint(format!("read skills/{name}/SKILL.md and follow it"))
        .into());
    }
    if reviewed_only {
        let reviews =
            crate::review::verify(registry, &[name.to_owned()], std::time::SystemTime::now())?;
        if !reviews.first().is_some_and(|r| r.meets_policy) {
            return Err(crate::error::Error::user(format!(
                "skill `{name}` does not meet the review policy ({} of {} required signatures), so it cannot be run by name",
                reviews.first().map_or(0, |r| r.valid_principals.len()),
                registry.settings().review.required_signatures
            ))
            .hint(format!(
                "ask a reviewer to `skillet sign {name}`, or import it in a script: `import run from \"./skills/{name}\"`"
            ))
            .into());
        }
    }
    let entry = fs_err::read_to_string(&entry_path)?;
    let script = Script::new(
        format!("skills/{name}"),
        format!("import run from \"./skills/{name}\";\nexport default run;\n"),
    );
    Ok((
        script,
        (format!("skills/{name}/{}", crate::skill::ENTRY), entry),
    ))
}

const INPUT_HINT: &str = "pass it: `--input JSON` or `--input @file.json` from the CLI, `input` in run_code; a skill's SKILL.md shows an example";

/// The input a script is called with: `input` checked against the schema of the type its
/// default export takes (`{}` when it takes an object and none is given). Without a declared
/// type the input goes through unchecked.
pub(crate) fn checked_input(
    file: &str,
    source: &str,
    input: Option<serde_json::Value>,
) -> anyhow::Result<Option<serde_json::Value>> {
    if let Some(value) = &input {
        let size = serde_json::to_vec(value).map_or(usize::MAX, |v| v.len());
        if size > crate::inputs::MAX_INPUT_BYTES {
            return Err(crate::error::Error::user(format!(
                "the input is {size} bytes of JSON; the most a run takes is {}",
                crate::inputs::MAX_INPUT_BYTES
            ))
            .hint("pass a path or an id as input, and let the script read the data itself (from a tool or ./workspace/)")
            .into());
        }
    }
    let schema = match crate::inputs::schema_of(source, file) {
        Ok(schema) => schema,
        // A script that does not parse fails in the sandbox with its syntax error.
        Err(_) if input.is_none() => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    let Some(schema) = schema else {
        return Ok(input);
    };
    let value = match input {
        Some(value) => value,
        None if schema.get("type").and_then(|t| t.as_str()) == Some("object") => {
            let empty = serde_json::json!({});
            if let Err(e) = crate::inputs::check(&schema, &empty) {
                return Err(crate::error::Error::usage(format!(
                    "{file} takes an input and none was given: {e}"
                ))
                .hint(INPUT_HINT)
                .into());
            }
            empty
        }
        None => {
            return Err(crate::error::Error::usage(format!(
                "{file} takes an input and none was given"
            ))
            .hint(INPUT_HINT)
            .into());
        }
    };
    crate::inputs::check(&schema, &value)?;
    Ok(Some(value))
}

/// `run.require_signed`: a skill a script imports must meet the review policy.
fn review_gate(registry: &Registry) -> crate::sandbox::SkillGate {
    let registry = registry.clone();
    Arc::new(move |skill: &str| {
        // Judged when the script imports the skill.
        match crate::review::verify(&registry, &[skill.to_owned()], std::time::SystemTime::now()) {
            Ok(reviews) if reviews.first().is_some_and(|r| r.meets_policy) => Ok(()),
            Ok(reviews) => Err(format!(
                "skill `{skill}` does not meet the review policy ({} of {} required signatures) and run.require_signed is on\nhint: ask a reviewer to `skillet sign {skill}`",
                reviews.first().map_or(0, |r| r.valid_principals.len()),
                registry.settings().review.required_signatures
            )),
            Err(e) => Err(format!(
                "skill `{skill}` cannot be checked against the review policy: {e}"
            )),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overrides_replace_only_what_they_name() {
        let base = Limits {
            timeout_ms: 1,
            memory_bytes: 2,
            stack_bytes: 3,
            max_tool_calls: 4,
            max_concurrent_calls: 5,
            max_output_bytes: 6,
            max_result_bytes: 7,
        };
        assert_eq!(LimitOverrides::default().apply(base.clone()), base);
        let all = LimitOverrides {
            timeout_ms: Some(10),
            memory_mib: Some(2),
            stack_kib: Some(3),
            max_tool_calls: Some(40),
            max_concurrent_calls: Some(50),
            max_output_bytes: Some(60),
            max_result_bytes: Some(70),
        }
        .apply(base);
        assert_eq!(
            all,
            Limits {
                timeout_ms: 10,
                memory_bytes: 2 << 20,
                stack_bytes: 3 << 10,
                max_tool_calls: 40,
                max_concurrent_calls: 50,
                max_output_bytes: 60,
                max_result_bytes: 70,
            }
        );
        let huge = LimitOverrides {
            memory_mib: Some(u64::MAX),
            ..LimitOverrides::default()
        }
        .apply(all);
        assert_eq!(huge.memory_bytes, u64::MAX);
    }
}
