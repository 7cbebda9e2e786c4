//! Recoverable faults of upstream servers under `skillet run`: retries of read-only and
//! idempotent tools (a crash mid-call over stdio, a hang past the call timeout, HTTP 503 and
//! 429 with `Retry-After`), a non-idempotent tool never retried, the limits and the deadline;
//! and elicitation nobody can answer (no terminal).

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::support::*;

/// Where the scripted server counts calls: beside the registry, not in it.
fn state(env: &TestEnv) -> std::path::PathBuf {
    let dir = env.tmp.path().join("state");
    fs_err::create_dir_all(&dir).unwrap();
    dir
}

/// The scripted failing server over stdio, counting calls in [`state`].
pub fn faulty(env: &TestEnv, fails: u32, marker: &str) -> Value {
    json!({
        "command": "python3",
        "args": [
            fixture("faulty_server.py").to_string_lossy(),
            state(env).to_string_lossy(),
            marker,
        ],
        "env": { "FAULTY_FAILS": fails.to_string() },
    })
}

/// How many times the server saw a call of `tool`.
pub fn calls_of(env: &TestEnv, tool: &str) -> u32 {
    std::fs::read_to_string(state(env).join(format!("{tool}.count")))
        .map_or(0, |s| s.trim().parse().unwrap())
}

/// The audit log's lines with this outcome, for this tool.
pub fn audited(env: &TestEnv, tool: &str, outcome: &str) -> Vec<Value> {
    env.read(".skillet/audit.jsonl")
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|e| e["tool"] == tool && e["outcome"] == outcome)
        .collect()
}

fn run_script(env: &TestEnv, code: &str, extra: &[&str]) -> Run {
    env.write("main.ts", code);
    let mut args = vec!["run", "main.ts"];
    args.extend_from_slice(extra);
    env.run(&args)
}

const RETRY: &str = "[upstream]\ncall_timeout_ms = 1000\nshutdown_grace_ms = 300\n[upstream.retry]\nattempts = 3\ninitial_backoff_ms = 50\nmax_backoff_ms = 2000\n";

#[test]
fn transient_failures_of_read_only_and_idempotent_tools_are_retried_and_audited() {
    let env = TestEnv::new();
    let marker = marker("retries");
    env.registry(json!({ "faulty": faulty(&env, 1, &marker) }));
    env.settings(RETRY);
    let run = run_script(
        &env,
        "const a = await callMCPTool('faulty', 'flaky_read', {});\nconst b = await callMCPTool('faulty', 'hang_read', {});\nconsole.log(JSON.stringify([a, b]));",
        &[],
    )
    .success();
    // A crash mid-call (the server is started again), then a hang past the call timeout.
    assert!(run.stdout.contains("ok after 2 calls"), "{}", run.stdout);
    assert_eq!(calls_of(&env, "flaky_read"), 2);
    assert_eq!(calls_of(&env, "hang_read"), 2);
    let crash = audited(&env, "flaky_read", "retry");
    assert_eq!(crash.len(), 1, "{crash:?}");
    assert_eq!(crash[0]["event"]["attempt"], 2);
    assert_eq!(crash[0]["event"]["reason"], "connection_closed");
    assert!(crash[0]["event"]["wait_ms"].as_u64().unwrap() <= 50);
    let hang = audited(&env, "hang_read", "retry");
    assert_eq!(hang[0]["event"]["reason"], "timeout", "{hang:?}");
    assert_eq!(audited(&env, "flaky_read", "ok").len(), 1);
    assert!(processes_with(&marker).is_empty());
}

#[test]
fn a_tool_not_marked_idempotent_is_never_retried() {
    let env = TestEnv::new();
    let marker = marker("unretried");
    env.registry(json!({ "faulty": faulty(&env, 1, &marker) }));
    env.settings(RETRY);
    let run = run_script(
        &env,
        "await callMCPTool('faulty', 'write', {});",
        &["--json"],
    )
    .failure();
    let report = run.json();
    let message = report["error"]["message"].as_str().unwrap();
    assert!(message.contains("connection closed"), "{message}");
    assert!(
        message.contains(
            "not retried: `write` is not marked read-only or idempotent, so a retry is unsafe"
        ),
        "{message}"
    );
    assert!(
        message.contains("check whether the call took effect"),
        "{message}"
    );
    assert_eq!(calls_of(&env, "write"), 1);
    assert!(audited(&env, "write", "retry").is_empty());
}

#[test]
fn retries_stop_at_their_limit_and_at_the_deadline() {
    let env = TestEnv::new();
    let marker = marker("retry-limits");
    env.registry(json!({ "faulty": faulty(&env, 10, &marker) }));
    env.settings(
        "[upstream]\nshutdown_grace_ms = 300\n[upstream.retry]\nattempts = 2\ninitial_backoff_ms = 10\n[upstream.retry.servers.other]\nattempts = 9\n",
    );
    let run = run_script(
        &env,
        "await callMCPTool('faulty', 'flaky_read', {});",
        &["--json"],
    )
    .failure();
    assert_eq!(run.json()["error"]["kind"], "upstream", "{}", run.stdout);
    assert_eq!(calls_of(&env, "flaky_read"), 2);
    // Many attempts with long waits: the run's deadline still ends it, and no wait starts
    // that would end past it.
    env.settings(
        "[upstream]\nshutdown_grace_ms = 300\n[upstream.retry]\ninitial_backoff_ms = 10\n[upstream.retry.servers.faulty]\nattempts = 50\ninitial_backoff_ms = 400\nmax_backoff_ms = 400\n",
    );
    let started = Instant::now();
    run_script(
        &env,
        "await callMCPTool('faulty', 'flaky_read', {});",
        &["--timeout-ms", "1500"],
    )
    .failure();
    assert!(
        started.elapsed() < Duration::from_secs(8),
        "{:?}",
        started.elapsed()
    );
    let calls = calls_of(&env, "flaky_read") - 2;
    assert!((2..=6).contains(&calls), "{calls} attempts");
    assert!(processes_with(&marker).is_empty());
}

/// The scripted server over HTTP, until dropped.
struct HttpFaulty {
    child: std::process::Child,
    url: String,
}

impl HttpFaulty {
    fn start(env: &TestEnv) -> Self {
        let port_file = state(env).join("port");
        let child = env
            .program("python3")
            .arg(fixture("faulty_server.py"))
            .arg(state(env))
            .arg("http")
            .arg(&port_file)
            .spawn()
            .unwrap();
        let started = Instant::now();
        while !port_file.exists() {
            assert!(started.elapsed() < Duration::from_secs(20), "no port file");
            std::thread::sleep(Duration::from_millis(20));
        }
        let port = std::fs::read_to_string(&port_file).unwrap();
        Self {
            child,
            url: format!("http://127.0.0.1:{}/mcp", port.trim()),
        }
    }
}

impl Drop for HttpFaulty {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn http_503_and_429_with_retry_after_are_retried_for_read_only_tools_only() {
    let env = TestEnv::new();
    let server = HttpFaulty::start(&env);
    env.registry(json!({ "web": { "type": "http", "url": server.url } }));
    env.settings(RETRY);
    let run = run_script(
        &env,
        "console.log(JSON.stringify(await callMCPTool('web', 'flaky_http', {})));",
        &[],
    )
    .success();
    assert!(run.stdout.contains("ok after 3 calls"), "{}", run.stdout);
    let retries = audited(&env, "flaky_http", "retry");
    let reasons: Vec<_> = retries
        .iter()
        .map(|e| e["event"]["reason"].clone())
        .collect();
    assert_eq!(
        reasons,
        [json!("http_503"), json!("http_429")],
        "{retries:?}"
    );
    // The server's Retry-After: 1 is what the second retry waited.
    assert_eq!(retries[1]["event"]["wait_ms"], 1000);
    let run = run_script(
        &env,
        "await callMCPTool('web', 'write_http', {});",
        &["--json"],
    )
    .failure();
    let message = run.json()["error"]["message"].as_str().unwrap().to_owned();
    assert!(message.contains("HTTP 503"), "{message}");
    assert!(message.contains("a retry is unsafe"), "{message}");
    assert_eq!(calls_of(&env, "write_http"), 1);
}

#[test]
fn elicitation_nobody_can_answer_is_declined_with_a_note_and_audited() {
    let env = TestEnv::new();
    let marker = marker("elicit-no-tty");
    env.registry(json!({ "faulty": faulty(&env, 0, &marker) }));
    let run = run_script(
        &env,
        "console.log(JSON.stringify(await callMCPTool('faulty', 'ask', {})));",
        &[],
    )
    .success();
    assert!(
        run.stdout.contains(r#""action":"decline""#),
        "{}",
        run.stdout
    );
    assert!(
        run.stderr.contains(
            "server `faulty` asked for input (\"Who is asking?\") but nobody could answer"
        ),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("run the script in a terminal"),
        "{}",
        run.stderr
    );
    let lines = audited(&env, "ask", "elicitation");
    assert_eq!(lines.len(), 1);
    assert_eq!(
        lines[0]["event"],
        json!({"kind": "elicitation", "message": "Who is asking?", "action": "decline", "answered": false})
    );
    // A replay sends nothing: the recorded answer stands, and nobody is asked.
    let replay = env.run(&["run", "--replay", "last"]).success();
    assert!(
        replay.stdout.contains(r#""action":"decline""#),
        "{}",
        replay.stdout
    );
    assert_eq!(calls_of(&env, "ask"), 1);
}

#[test]
fn elicitation_is_answered_at_the_terminal_under_run() {
    let env = TestEnv::new();
    let marker = marker("elicit-tty");
    env.registry(json!({ "faulty": faulty(&env, 0, &marker) }));
    env.write(
        "main.ts",
        "console.log(JSON.stringify(await callMCPTool('faulty', 'ask', {})));",
    );
    let answers = json!([
        ["[a]ccept, [d]ecline, [c]ancel", "a"],
        ["Name [string; required]", ""],
        ["`name` is required", ""],
        ["Name [string; required]", "Ada"],
        ["count [integer; default 1]", ""],
    ]);
    let out = env
        .program("python3")
        .arg(fixture("on_a_terminal.py"))
        .arg(format!("@{answers}"))
        .arg(BIN)
        .args(["run", "main.ts"])
        .output()
        .unwrap();
    let shown = String::from_utf8_lossy(&out.stderr);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}\nterminal:\n{shown}");
    assert!(
        shown.contains("server `faulty` asks: Who is asking?"),
        "{shown}"
    );
    // The server got the answer (its echo of the name is tokenized like any result).
    assert!(
        stdout.contains(r#"{"action":"accept","content":{"name":"[NAME_1]","count":1}}"#),
        "{stdout}\nterminal:\n{shown}"
    );
    let lines = audited(&env, "ask", "elicitation");
    assert_eq!(lines[0]["event"]["action"], "accept");
    assert_eq!(lines[0]["event"]["answered"], true);
    assert!(!env.read(".skillet/audit.jsonl").contains("Ada"));
}
