//! `skillet test`: replays a skill's recording in the sandbox and fails on any divergence or
//! error, and on interface drift of the tools it calls against skillet.lock.

use std::sync::Arc;

use serde::Serialize;

use crate::lock::Lockfile;
use crate::registry::Registry;
use crate::runs::ReplayHost;
use crate::sandbox::{self, Limits, SandboxEnv, Script};
use crate::skill::{RECORDING, Recording, Skill};

/// How testing one skill ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TestStatus {
    Passed,
    Failed,
    /// Nothing to replay ([`SkillTest::skipped`] says why); not a failure.
    Skipped,
}

/// The outcome of testing one skill.
#[derive(Debug, Clone, Serialize)]
pub struct SkillTest {
    pub name: String,
    pub status: TestStatus,
    /// Passed or skipped: nothing failed.
    pub ok: bool,
    /// Why the skill was skipped.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub skipped: Option<String>,
    /// What went wrong, one line each.
    pub failures: Vec<String>,
    pub tool_calls: usize,
    pub duration_ms: f64,
}

/// Which skills to test.
#[derive(Debug, Clone, Default)]
pub struct TestOptions {
    /// These skills; every skill of the registry when empty.
    pub names: Vec<String>,
}

/// Tests each skill: a skill that cannot be loaded is a failed test, not an error.
pub async fn test(registry: &Registry, options: &TestOptions) -> anyhow::Result<Vec<SkillTest>> {
    let names: Vec<String> = if options.names.is_empty() {
        crate::skill::list(registry)
            .into_iter()
            .map(|(n, _)| n)
            .collect()
    } else {
        options.names.clone()
    };
    let mut results = Vec::new();
    for name in &names {
        let result = match crate::skill::load(registry, name) {
            Ok(loaded) => test_skill(registry, &loaded).await?,
            Err(e) => SkillTest {
                name: name.clone(),
                status: TestStatus::Failed,
                ok: false,
                skipped: None,
                failures: vec![crate::error::describe(&e)],
                tool_calls: 0,
                duration_ms: 0.0,
            },
        };
        results.push(result);
    }
    Ok(results)
}

/// Replays `skill`'s recording and checks its tools against the lock.
async fn test_skill(registry: &Registry, skill: &Skill) -> anyhow::Result<SkillTest> {
    if fs_err::symlink_metadata(skill.dir.join(RECORDING)).is_err() {
        let code = crate::skill::validate::has_code_metadata(&skill.frontmatter.metadata)
            || skill.dir.join(crate::skill::ENTRY).exists();
        return Ok(SkillTest {
            name: skill.name.clone(),
            status: TestStatus::Skipped,
            ok: true,
            skipped: Some(if code {
                format!("no {RECORDING} to replay: save it again from a recorded run")
            } else {
                "no recording: not a skillet code skill".to_owned()
            }),
            failures: Vec::new(),
            tool_calls: 0,
            duration_ms: 0.0,
        });
    }
    let mut failures = Vec::new();
    let lock = Lockfile::load(&registry.lock_path())?;
    for pin in skill.tools() {
        match lock.servers.get(&pin.server).and_then(|s| s.tools.get(&pin.tool)) {
            None => failures.push(format!(
                "interface drift: tool `{}.{}` is not in skillet.lock any more (removed, or its server is not configured)",
                pin.server, pin.tool
            )),
            Some(locked) if locked.schema != pin.schema && pin.schema != "unlocked" => failures.push(format!(
                "interface drift: tool `{}.{}` changed its schema since the skill was saved ({} -> {}); check the skill against servers/{}/{}.ts and save it again",
                pin.server, pin.tool, short(&pin.schema), short(&locked.schema), pin.server, locked.function
            )),
            Some(_) => {}
        }
    }
    let text = fs_err::read_to_string(skill.dir.join(RECORDING)).map_err(|e| {
        crate::error::Error::user(format!(
            "skill `{}` has no readable {RECORDING}: {e}",
            skill.name
        ))
    })?;
    let recording: Recording = serde_json::from_str(&text).map_err(|e| {
        crate::error::Error::user(format!(
            "skill `{}`: {RECORDING} is invalid: {e}",
            skill.name
        ))
    })?;
    let record = crate::runs::RunRecord {
        id: recording.run_id.clone(),
        created: String::new(),
        script: recording.script.clone(),
        mode: crate::runs::Mode::Live,
        source_run: None,
        input: recording.input.clone(),
        status: crate::runs::Status::Ok,
        result: recording.result.clone(),
        error: None,
        duration_ms: 0.0,
        limits: Limits::from(&registry.settings().run),
        output_bytes: recording.output.len(),
        tool_calls: recording.tool_calls.clone().into(),
        notes: Vec::new(),
        tokens: None,
        tokens_basis: None,
        tokenized: recording.tokenized,
    };
    let env = SandboxEnv {
        api_dir: registry.api_dir(),
        skills_dir: registry.skills_dir(),
        workspace_dir: tempfile::tempdir()?.keep(),
        host: Arc::new(ReplayHost::new(&record)),
        skill_gate: None,
        cancel: None,
        // Tokenized as the recorded run was (or not, for recordings older than tokenization),
        // so the script sees what it saw then.
        governance: crate::sandbox::governance::Governance::new(
            registry.settings().privacy.clone(),
            Default::default(),
            None,
            None,
            recording.tokenized,
        )
        .ok()
        .map(Arc::new),
    };
    let mut script = Script::new(
        format!("test-{}.ts", skill.name),
        format!(
            "import run from \"./skills/{}\";\nexport default run;\n",
            skill.name
        ),
    );
    // Called with the recorded input, which must still fit the skill's input type.
    let entry = fs_err::read_to_string(skill.dir.join(crate::skill::ENTRY)).unwrap_or_default();
    let entry_name = format!("skills/{}/{}", skill.name, crate::skill::ENTRY);
    match super::run::checked_input(&entry_name, &entry, recording.input.clone()) {
        Ok(input) => script.input = input,
        Err(e) => {
            failures.push(format!(
                "the recorded input does not fit the skill's input type: {}",
                super::describe(&e)
            ));
            script.input = recording.input.clone();
        }
    }
    let outcome = sandbox::execute(&script, &env, &Limits::from(&registry.settings().run)).await;
    let _ = fs_err::remove_dir_all(&env.workspace_dir);
    if let Some(error) = &outcome.error {
        failures.push(format!("the replay failed: {error}"));
    } else {
        if outcome.tool_calls.len() != recording.tool_calls.len() {
            failures.push(format!(
                "the replay made {} tool calls; the recording holds {}",
                outcome.tool_calls.len(),
                recording.tool_calls.len()
            ));
        }
        if outcome.output != recording.output {
            failures.push(format!(
                "the output differs from the recording:\n--- recorded\n{}--- replayed\n{}",
                recording.output, outcome.output
            ));
        }
    }
    Ok(SkillTest {
        name: skill.name.clone(),
        status: if failures.is_empty() {
            TestStatus::Passed
        } else {
            TestStatus::Failed
        },
        ok: failures.is_empty(),
        skipped: None,
        failures,
        tool_calls: outcome.tool_calls.len(),
        duration_ms: outcome.duration.as_secs_f64() * 1e3,
    })
}

fn short(hash: &str) -> &str {
    let hex = hash.strip_prefix("sha256:").unwrap_or(hash);
    &hex[..hex.len().min(12)]
}
