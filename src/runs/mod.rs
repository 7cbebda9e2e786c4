//! Recorded runs: every sandbox run is saved under `.skillet/runs/<id>/` (the script, the full
//! output, and `run.json` with status, timings, limits and each tool call), and can be replayed
//! from its record or resumed after a failure.

pub mod behind;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use futures::future::BoxFuture;
use serde::{Deserialize, Serialize};

use crate::codegen::canonical_json;
use crate::registry::Registry;
use crate::sandbox::tools::{HostError, LiveHost};
use crate::sandbox::{self, CallSource, Limits, RunError, ToolCallRecord, ToolHost};
use crate::tool::{ToolResult, ToolSpec};

impl RunRecord {
    /// The record as the model sees it: the error's message and stack, the default export and
    /// the notes, each cut at `limits.max_output_bytes` by [`sandbox::cap_for_model`] (the
    /// saved `run.json` keeps them whole). Returns whether anything was cut.
    pub fn cap_for_model(&mut self) -> bool {
        let max = usize::try_from(self.limits.max_output_bytes).unwrap_or(usize::MAX);
        let mut cut = false;
        if let Some(error) = &mut self.error {
            cut |= error.cap_for_model(max, &self.id);
        }
        if let Some(shown) = self
            .result
            .as_ref()
            .and_then(|r| capped_result(r, max, &self.id))
        {
            self.result = Some(shown);
            cut = true;
        }
        for note in &mut self.notes {
            if let (text, true) = sandbox::cap_for_model(note, max, &self.id) {
                *note = text.into_owned();
                cut = true;
            }
        }
        cut
    }
}

/// A default export too long for the model: a string cut as text, anything else as its JSON
/// text (which then comes back as a string, with the marker). `None` when it fits.
pub(crate) fn capped_result(
    result: &serde_json::Value,
    max: usize,
    id: &str,
) -> Option<serde_json::Value> {
    let text = match result {
        serde_json::Value::String(s) => std::borrow::Cow::Borrowed(s.as_str()),
        other => std::borrow::Cow::Owned(other.to_string()),
    };
    match sandbox::cap_for_model(&text, max, id) {
        (shown, true) => Some(serde_json::Value::String(shown.into_owned())),
        (_, false) => None,
    }
}

/// How the tool calls of a run were answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    Live,
    Replay,
    Resume,
}

/// `run.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RunRecord {
    pub id: String,
    /// RFC 3339, UTC.
    pub created: String,
    pub script: String,
    pub mode: Mode,
    /// The run whose record answered calls (replay and resume).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_run: Option<String>,
    /// The value the script's default export was called with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input: Option<serde_json::Value>,
    pub status: Status,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<RunError>,
    pub duration_ms: f64,
    pub limits: Limits,
    pub output_bytes: usize,
    /// Shared, not copied, when the record is: the record writer and the run's caller each
    /// hold the record, and its calls' results are most of it.
    pub tool_calls: std::sync::Arc<[ToolCallRecord]>,
    /// Things worth knowing about how the run went (a resume that diverged, ...).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// What the run cost the model, against direct tool calling.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tokens: Option<crate::tokens::TokenReport>,
    /// For a run whose report was not counted as it ran (`skillet run`: counting is the
    /// slowest part of a small run): what counting it later needs. `skillet runs show` counts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tokens_basis: Option<crate::tokens::TokenBasis>,
    /// Whether personal data in tool results was tokenized (records older than tokenization
    /// say no, and are replayed without it).
    #[serde(default)]
    pub tokenized: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Ok,
    Error,
}

#[derive(Debug, thiserror::Error)]
pub enum RunsError {
    #[error("no run `{id}` in {dir}")]
    NotFound { id: String, dir: PathBuf },
    #[error("`{id}` matches several runs ({matches}); give more of the id")]
    Ambiguous { id: String, matches: String },
    #[error(
        "the record of run `{id}` is unreadable: {}: {message}",
        file.display()
    )]
    Corrupt {
        id: String,
        file: PathBuf,
        message: String,
    },
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

impl crate::error::Diagnose for RunsError {
    fn hints(&self) -> Vec<String> {
        match self {
            Self::NotFound { .. } => vec!["`skillet runs` lists the recorded runs".into()],
            Self::Corrupt { file, .. } => vec![format!(
                "the run cannot be shown, replayed, resumed or saved; remove its folder (`rm -r {}`) to drop it, or use another run (`skillet runs` lists them)",
                file.parent().unwrap_or(file).display()
            )],
            Self::Ambiguous { .. } | Self::Io(_) => Vec::new(),
        }
    }
}

/// The folder of recorded runs.
#[derive(Clone)]
pub struct RunStore {
    dir: PathBuf,
}

impl RunStore {
    pub fn new(registry: &Registry) -> Self {
        Self {
            dir: registry.cache_dir().join("runs"),
        }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// A new id: sortable by time, unique enough to never collide in one registry.
    pub fn new_id() -> String {
        use std::hash::{BuildHasher, RandomState};
        let now = chrono::Utc::now();
        let salt = RandomState::new().hash_one((std::process::id(), now.timestamp_nanos_opt()));
        // Milliseconds keep runs of the same second in order; the salt keeps processes apart.
        format!("{}-{:04x}", now.format("%Y%m%d-%H%M%S%3f"), salt & 0xffff)
    }

    /// A new id whose folder this process made: two runs started in the same millisecond (a
    /// burst under `serve`) can draw the same salt, and the second must not write over the
    /// first's record.
    pub fn reserve_id(&self) -> std::io::Result<String> {
        fs_err::create_dir_all(&self.dir)?;
        let mut last = None;
        for _ in 0..64 {
            let id = Self::new_id();
            match std::fs::create_dir(self.dir.join(&id)) {
                Ok(()) => return Ok(id),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => last = Some(e),
                Err(e) => return Err(e),
            }
        }
        Err(last.unwrap_or_else(|| std::io::Error::other("no free run id")))
    }

    /// A new id claimed in memory, for a record saved by [`Self::save_behind`] ([`behind`]).
    pub fn claim_id(&self) -> String {
        behind::claim_id(self)
    }

    /// Saves the record of a run whose id [`Self::claim_id`] gave, after this returns: this
    /// process reads it at once all the same ([`behind`]), as it was before `finish`.
    pub fn save_behind(
        &self,
        record: RunRecord,
        script: &str,
        output: &str,
        finish: Option<behind::Finish>,
    ) -> std::io::Result<()> {
        let json_bytes = approx_json_bytes(&record);
        behind::queue(
            self,
            behind::Queued {
                record,
                json_bytes,
                script: script.to_owned(),
                output: output.to_owned(),
                finish: std::sync::Mutex::new(finish),
            },
        )
    }

    pub fn save(&self, record: &RunRecord, script: &str, output: &str) -> std::io::Result<PathBuf> {
        let json = serde_json::to_string_pretty(record).map_err(std::io::Error::other)?;
        self.write_record(&record.id, &json, script, output)
    }

    /// Writes a record's files into its folder, `run.json` last: a folder without it is the
    /// leftover of a save that was cut short. An empty output has no `output.txt` (a new
    /// file is the costly part of a small record).
    fn write_record(
        &self,
        id: &str,
        json: &str,
        script: &str,
        output: &str,
    ) -> std::io::Result<PathBuf> {
        let dir = self.dir.join(id);
        fs_err::create_dir_all(&dir)?;
        fs_err::write(dir.join("script.ts"), script)?;
        if !output.is_empty() {
            fs_err::write(dir.join("output.txt"), output)?;
        }
        crate::fsutil::write_replacing(&dir.join("run.json"), json.as_bytes(), false)?;
        Ok(dir)
    }

    /// Resolves an id, a unique prefix of one, or `last`.
    pub fn resolve(&self, id: &str) -> Result<String, RunsError> {
        let mut ids = self.ids()?;
        if id == "last" {
            return ids.pop().ok_or_else(|| RunsError::NotFound {
                id: id.to_owned(),
                dir: self.dir.clone(),
            });
        }
        let matches: Vec<String> = ids.into_iter().filter(|i| i.starts_with(id)).collect();
        match matches.as_slice() {
            [one] => Ok(one.clone()),
            [] => Err(RunsError::NotFound {
                id: id.to_owned(),
                dir: self.dir.clone(),
            }),
            many => Err(RunsError::Ambiguous {
                id: id.to_owned(),
                matches: many.join(", "),
            }),
        }
    }

    pub fn load(&self, id: &str) -> Result<(RunRecord, String, String), RunsError> {
        let id = self.resolve(id)?;
        let dir = self.dir.join(&id);
        if let Some(queued) = behind::queued(&dir) {
            return Ok((
                queued.record.clone(),
                queued.script.clone(),
                queued.output.clone(),
            ));
        }
        let corrupt = |file: &str, message: String| RunsError::Corrupt {
            id: id.clone(),
            file: dir.join(file),
            message,
        };
        // std's errors, not fs_err's: the message names the file already.
        let read = |file: &str| {
            std::fs::read_to_string(dir.join(file)).map_err(|e| corrupt(file, e.to_string()))
        };
        let json = read("run.json")?;
        let record: RunRecord =
            serde_json::from_str(&json).map_err(|e| corrupt("run.json", e.to_string()))?;
        if record.id != id {
            return Err(corrupt(
                "run.json",
                format!("it holds the record of run `{}`", record.id),
            ));
        }
        // Both are written before run.json, so a record without them was damaged since (an
        // empty output has no file).
        let script = read("script.ts")?;
        let output = if record.output_bytes == 0 && !dir.join("output.txt").exists() {
            String::new()
        } else {
            read("output.txt")?
        };
        Ok((record, script, output))
    }

    /// Ids of recorded runs, oldest first: those on disk and those this process has queued
    /// ([`Self::save_behind`]).
    pub fn ids(&self) -> Result<Vec<String>, RunsError> {
        let mut ids = self.written_ids()?;
        ids.extend(behind::queued_ids(&self.dir));
        ids.sort();
        ids.dedup();
        Ok(ids)
    }

    /// Ids of the runs whose record is on disk, oldest first.
    fn written_ids(&self) -> Result<Vec<String>, RunsError> {
        let mut ids = Vec::new();
        match fs_err::read_dir(&self.dir) {
            Ok(entries) => {
                for entry in entries.flatten() {
                    if entry.path().join("run.json").is_file() {
                        ids.push(entry.file_name().to_string_lossy().into_owned());
                    }
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e.into()),
        }
        ids.sort();
        Ok(ids)
    }

    /// Removes recorded runs: all but the newest `keep`, and every run started before
    /// `before` (a run goes when either says so), and the leftovers of runs whose saving was
    /// killed. With `dry_run`, removes nothing. Returns the ids of the recorded runs removed
    /// (or that would be), oldest first.
    pub fn prune(
        &self,
        keep: Option<usize>,
        before: Option<chrono::DateTime<chrono::Utc>>,
        dry_run: bool,
    ) -> Result<Vec<String>, RunsError> {
        // Records still queued are the newest, and not on disk yet: none is removed.
        let ids = self.written_ids()?;
        // Ids start with their time (UTC), so they compare as times do.
        let cutoff = before.map(|t| t.format("%Y%m%d-%H%M%S%3f").to_string());
        let beyond_keep = keep.map_or(0, |keep| ids.len().saturating_sub(keep));
        let doomed: Vec<String> = ids
            .into_iter()
            .enumerate()
            .filter(|(i, id)| {
                *i < beyond_keep || cutoff.as_deref().is_some_and(|c| id.as_str() < c)
            })
            .map(|(_, id)| id)
            .collect();
        if !dry_run {
            for id in &doomed {
                fs_err::remove_dir_all(self.dir.join(id))?;
            }
            self.remove_unfinished();
        }
        Ok(doomed)
    }

    /// How old a run folder without `run.json` must be before it is taken for the leftover of
    /// a process killed while it saved the run (a save takes milliseconds).
    const UNFINISHED_AFTER: chrono::TimeDelta = chrono::TimeDelta::minutes(10);

    /// Removes the folders of runs whose saving never finished (no `run.json`: the process was
    /// killed in between), once they are [`Self::UNFINISHED_AFTER`] old. Nothing else reads
    /// them: `ids` skips them.
    fn remove_unfinished(&self) {
        let Ok(entries) = fs_err::read_dir(&self.dir) else {
            return;
        };
        let cutoff = (chrono::Utc::now() - Self::UNFINISHED_AFTER)
            .format("%Y%m%d-%H%M%S%3f")
            .to_string();
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if looks_like_id(&name)
                && name.as_str() < cutoff.as_str()
                && !entry.path().join("run.json").exists()
            {
                match fs_err::remove_dir_all(entry.path()) {
                    Ok(()) => tracing::debug!("removed the unfinished run folder {name}"),
                    Err(e) => tracing::warn!("an unfinished run folder was not removed: {e}"),
                }
            }
        }
    }

    /// After a run is recorded: keeps the newest `keep` runs (0: all). Looks at a process's
    /// first save and every [`Self::PRUNE_EVERY`]th after it, and then lists the folder's
    /// names only (no `stat` per run: at a thousand runs, that would cost more than the run).
    pub fn prune_after_save(&self, keep: u64) {
        use std::sync::atomic::{AtomicU64, Ordering};
        static SAVED: AtomicU64 = AtomicU64::new(0);
        if SAVED
            .fetch_add(1, Ordering::Relaxed)
            .is_multiple_of(Self::PRUNE_EVERY)
        {
            // Folders of saves cut short are looked for at one look in PRUNE_EVERY (at
            // random: most processes save once).
            use std::hash::BuildHasher as _;
            let random = std::collections::hash_map::RandomState::new().hash_one(0u8);
            self.prune_if_over(keep, random.is_multiple_of(Self::PRUNE_EVERY));
        }
    }

    /// Prunes to the newest `keep` records (0: all) when more folders than that are there, or
    /// when `unfinished` (then the folders of saves cut short go too).
    fn prune_if_over(&self, keep: u64, unfinished: bool) {
        if keep == 0 {
            return;
        }
        let keep = usize::try_from(keep).unwrap_or(usize::MAX);
        if !unfinished && self.folder_count() <= keep {
            return;
        }
        match self.prune(Some(keep), None, false) {
            Ok(removed) if !removed.is_empty() => {
                tracing::debug!(
                    count = removed.len(),
                    "removed old run records (run.keep_runs)"
                );
            }
            Ok(_) => {}
            Err(e) => tracing::warn!("old run records were not removed: {e}"),
        }
    }

    /// How many folders named like runs the runs folder holds (recorded, queued or cut short:
    /// at least as many as there are records), from its listing alone.
    fn folder_count(&self) -> usize {
        fs_err::read_dir(&self.dir).map_or(0, |entries| {
            entries
                .flatten()
                .filter(|e| e.file_name().to_str().is_some_and(looks_like_id))
                .count()
        })
    }

    pub const PRUNE_EVERY: u64 = 32;

    /// Every run's record, oldest first (unreadable ones skipped with a warning).
    pub fn list(&self) -> Result<Vec<RunRecord>, RunsError> {
        let mut out = Vec::new();
        for id in self.ids()? {
            match self.load(&id) {
                Ok((record, _, _)) => out.push(record),
                Err(e) => tracing::warn!("{}", crate::error::describe(&e)),
            }
        }
        Ok(out)
    }
}

/// About what a record's compact JSON takes, found without writing it: writing the record of
/// a run of 50 calls took about 0.2 ms on the answer's path. Enough to bound the writer's
/// queue ([`behind`]): strings are counted without their escapes.
fn approx_json_bytes(record: &RunRecord) -> usize {
    /// A little for every record and every call: ids, names, numbers, the keys of the fields.
    const RECORD: usize = 512;
    const CALL: usize = 160;
    let text = |s: &str| s.len() + 2;
    let values = |v: &serde_json::Value| value_bytes(v);
    let mut bytes = RECORD
        + text(&record.id)
        + text(&record.script)
        + record.input.as_ref().map_or(0, values)
        + record.result.as_ref().map_or(0, values)
        + record.error.as_ref().map_or(0, |e| {
            e.message.len() + e.file.as_deref().map_or(0, text) + e.stack.as_deref().map_or(0, text)
        })
        + record.notes.iter().map(|n| text(n)).sum::<usize>();
    for call in record.tool_calls.iter() {
        bytes += CALL + text(&call.server) + text(&call.tool) + values(&call.arguments);
        if let Some(result) = &call.result {
            bytes += result.content.iter().map(values).sum::<usize>()
                + result.structured_content.as_ref().map_or(0, values);
        }
        if let Some(error) = &call.error {
            bytes += text(&error.kind) + text(&error.message);
        }
    }
    bytes
}

/// About what `value` takes as compact JSON (strings without their escapes); no recursion.
fn value_bytes(value: &serde_json::Value) -> usize {
    use serde_json::Value;
    let mut bytes = 0;
    let mut stack = vec![value];
    while let Some(value) = stack.pop() {
        bytes += match value {
            Value::Null | Value::Bool(_) => 5,
            Value::Number(_) => 8,
            Value::String(s) => s.len() + 3,
            Value::Array(items) => {
                stack.extend(items);
                2
            }
            Value::Object(map) => {
                stack.extend(map.values());
                2 + map.keys().map(|k| k.len() + 4).sum::<usize>()
            }
        };
    }
    bytes
}

/// Whether `name` has the shape of a run id (`20261206-220832121-ec92`): only such folders are
/// ever removed as unfinished runs.
fn looks_like_id(name: &str) -> bool {
    let bytes = name.as_bytes();
    bytes.len() == 23
        && bytes.iter().enumerate().all(|(i, b)| match i {
            8 | 18 => *b == b'-',
            19.. => b.is_ascii_hexdigit(),
            _ => b.is_ascii_digit(),
        })
}

/// Answers every call from a record: the call at position `i` must be the record's call `i`
/// (same server, tool and arguments), or the run fails with a `replay` error.
pub struct ReplayHost {
    calls: std::sync::Arc<[ToolCallRecord]>,
    run: String,
}

impl ReplayHost {
    pub fn new(record: &RunRecord) -> Self {
        Self {
            calls: record.tool_calls.clone(),
            run: record.id.clone(),
        }
    }

    fn matching(
        &self,
        index: usize,
        server: &str,
        tool: &str,
        arguments: &serde_json::Map<String, serde_json::Value>,
    ) -> Result<&ToolCallRecord, String> {
        let args = canonical_json(&serde_json::Value::Object(arguments.clone()));
        let Some(recorded) = self.calls.iter().find(|c| c.index == index) else {
            return Err(format!(
                "call #{} ({server}.{tool} {args}) is not in the record of run {} (it holds {} calls)",
                index + 1,
                self.run,
                self.calls.len()
            ));
        };
        let recorded_args = canonical_json(&recorded.arguments);
        if recorded.server != server || recorded.tool != tool || recorded_args != args {
            return Err(format!(
                "call #{} differs from the record of run {}: the script called {server}.{tool} {args}, the record has {}.{} {recorded_args}",
                index + 1,
                self.run,
                recorded.server,
                recorded.tool
            ));
        }
        Ok(recorded)
    }
}

fn recorded_answer(recorded: &ToolCallRecord) -> Result<ToolResult, HostError> {
    match (&recorded.result, &recorded.error) {
        (Some(result), _) => Ok(result.clone()),
        (None, Some(error)) => Err(HostError::Replay(format!(
            "the recorded call #{} failed ({}: {}); a replay cannot answer it",
            recorded.index + 1,
            error.kind,
            error.message
        ))),
        (None, None) => Err(HostError::Replay(format!(
            "the recorded call #{} has no answer",
            recorded.index + 1
        ))),
    }
}

impl ToolHost for ReplayHost {
    fn tool<'a>(
        &'a self,
        _server: &'a str,
        _tool: &'a str,
    ) -> BoxFuture<'a, Result<Option<ToolSpec>, HostError>> {
        Box::pin(async { Ok(None) })
    }

    fn answer_from_record(
        &self,
        index: usize,
        server: &str,
        tool: &str,
        arguments: &serde_json::Map<String, serde_json::Value>,
    ) -> Option<Result<ToolResult, HostError>> {
        Some(
            self.matching(index, server, tool, arguments)
                .map_err(HostError::Replay)
                .and_then(recorded_answer),
        )
    }

    fn call<'a>(
        &'a self,
        index: usize,
        server: &'a str,
        tool: &'a str,
        _arguments: serde_json::Map<String, serde_json::Value>,
    ) -> BoxFuture<'a, Result<(ToolResult, CallSource), HostError>> {
        // `answer_from_record` answers every call of a replay; nothing goes live.
        Box::pin(async move {
            Err(HostError::Replay(format!(
                "call #{} ({server}.{tool}) would go to a live server, and a replay has none",
                index + 1
            )))
        })
    }
}

/// Answers the calls that succeeded in a failed run from its record, in order, then goes live.
/// The first call that differs from the record switches to live calls for good, with a warning.
pub struct ResumeHost {
    replay: ReplayHost,
    live: LiveHost,
    diverged: AtomicBool,
    notes: std::sync::Mutex<Vec<String>>,
}

impl ResumeHost {
    pub fn new(record: &RunRecord, live: LiveHost) -> Self {
        let mut replay = ReplayHost::new(record);
        // Only answers worth reusing: calls that returned (even with isError).
        if replay.calls.iter().any(|c| c.result.is_none()) {
            replay.calls = replay
                .calls
                .iter()
                .filter(|c| c.result.is_some())
                .cloned()
                .collect();
        }
        Self {
            replay,
            live,
            diverged: AtomicBool::new(false),
            notes: std::sync::Mutex::new(Vec::new()),
        }
    }

    /// The divergence, if any, then the live part's notes.
    pub fn notes(&self) -> Vec<String> {
        let mut notes = self.notes.lock().map(|n| n.clone()).unwrap_or_default();
        notes.extend(self.live.notes());
        notes
    }
}

impl ToolHost for ResumeHost {
    fn tool<'a>(
        &'a self,
        server: &'a str,
        tool: &'a str,
    ) -> BoxFuture<'a, Result<Option<ToolSpec>, HostError>> {
        self.live.tool(server, tool)
    }

    /// Decided when the call starts, so a call is either answered from the record or checked
    /// and sent, whatever the calls running beside it do.
    fn answer_from_record(
        &self,
        index: usize,
        server: &str,
        tool: &str,
        arguments: &serde_json::Map<String, serde_json::Value>,
    ) -> Option<Result<ToolResult, HostError>> {
        if self.diverged.load(Ordering::SeqCst) {
            return None;
        }
        // A call the record holds no answer for (it failed, or the run ended before it) is
        // where the resumed run goes on live: no divergence.
        if !self.replay.calls.iter().any(|c| c.index == index) {
            return None;
        }
        match self.replay.matching(index, server, tool, arguments) {
            Ok(recorded) => Some(recorded_answer(recorded)),
            Err(why) => {
                // Only the first divergence is told.
                if !self.diverged.swap(true, Ordering::SeqCst) {
                    let note = format!("resume diverged from the record, continuing live: {why}");
                    tracing::warn!("{note}");
                    if let Ok(mut notes) = self.notes.lock() {
                        notes.push(note);
                    }
                }
                None
            }
        }
    }

    fn call<'a>(
        &'a self,
        index: usize,
        server: &'a str,
        tool: &'a str,
        arguments: serde_json::Map<String, serde_json::Value>,
    ) -> BoxFuture<'a, Result<(ToolResult, CallSource), HostError>> {
        self.live.call(index, server, tool, arguments)
    }

    fn take_events(&self, index: usize) -> Vec<crate::upstream::CallEvent> {
        self.live.take_events(index)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_records_size_is_estimated_within_a_factor_of_its_json() {
        let docs: Vec<serde_json::Value> = (0..40)
            .map(|i| serde_json::json!({"id": format!("doc-{i}"), "title": "Quarterly plan", "words": i * 10, "draft": false, "tags": ["a", "b"]}))
            .collect();
        let structured = serde_json::json!({ "documents": docs, "total": 40 });
        let call = |index: usize| {
            serde_json::json!({
                "index": index, "server": "docs", "tool": "list_documents", "arguments": {"limit": index},
                "result": {"content": [{"type": "text", "text": structured.to_string()}], "structuredContent": structured, "isError": false},
                "started_ms": 1.5, "duration_ms": 0.3, "source": "live",
            })
        };
        for calls in [0, 1, 50] {
            let record: RunRecord = serde_json::from_value(serde_json::json!({
                "id": "20261207-000000000-abcd", "created": "2026-12-07T00:00:00.000Z", "script": "a.ts",
                "mode": "live", "status": "ok", "result": {"n": 1}, "duration_ms": 1.0, "output_bytes": 2,
                "tool_calls": (0..calls).map(call).collect::<Vec<_>>(),
                "limits": crate::sandbox::Limits::from(&crate::config::RunSettings::default()),
            }))
            .unwrap();
            let real = serde_json::to_vec(&record).unwrap().len();
            let estimate = approx_json_bytes(&record);
            assert!(
                estimate * 2 >= real && estimate <= real * 2,
                "{calls} calls: estimated {estimate}, written {real}"
            );
        }
    }

    #[test]
    fn only_names_shaped_like_run_ids_are_taken_for_runs() {
        assert!(looks_like_id(&RunStore::new_id()));
        let tmp = tempfile::tempdir().unwrap();
        let store = RunStore {
            dir: tmp.path().join("runs"),
        };
        let ids: std::collections::BTreeSet<String> =
            (0..200).map(|_| store.reserve_id().unwrap()).collect();
        assert_eq!(ids.len(), 200);
        assert!(ids.iter().all(|id| store.dir.join(id).is_dir()));
        assert!(looks_like_id("20261206-220832121-ec92"));
        for name in [
            "notes",
            "20261206-220832121-ec9",
            "20261206-220832121-ec92x",
            "20261206_220832121-ec92",
            "2026120a-220832121-ec92",
            "20261206-220832121-ecg2",
        ] {
            assert!(!looks_like_id(name), "{name}");
        }
    }

    #[test]
    fn a_save_prunes_once_the_folders_outnumber_what_is_kept() {
        let tmp = tempfile::tempdir().unwrap();
        let store = RunStore {
            dir: tmp.path().join("runs"),
        };
        let record = |id: &str| {
            let dir = store.dir.join(id);
            fs_err::create_dir_all(&dir).unwrap();
            fs_err::write(dir.join("run.json"), "{}").unwrap();
        };
        let ids: Vec<String> = (0..5)
            .map(|i| format!("20260101-00000000{i}-abcd"))
            .collect();
        for id in &ids[..3] {
            record(id);
        }
        fs_err::create_dir_all(store.dir.join("notes")).unwrap();
        // Only names shaped like runs count.
        assert_eq!(store.folder_count(), 3);
        store.prune_if_over(3, false);
        assert_eq!(store.written_ids().unwrap(), ids[..3]);
        for id in &ids[3..] {
            record(id);
        }
        store.prune_if_over(3, false);
        assert_eq!(store.written_ids().unwrap(), ids[2..]);
        assert!(store.dir.join("notes").is_dir());
        // A save cut short (no run.json), long ago: gone at a look for such folders.
        let unfinished = store.dir.join("20200101-000000000-abcd");
        fs_err::create_dir_all(&unfinished).unwrap();
        store.prune_if_over(10, false);
        assert!(unfinished.is_dir());
        store.prune_if_over(10, true);
        assert!(!unfinished.exists());
        assert_eq!(store.written_ids().unwrap(), ids[2..]);
        // 0 keeps everything.
        record("20260101-000000009-abcd");
        store.prune_if_over(0, true);
        assert_eq!(store.written_ids().unwrap().len(), 4);
    }
}
