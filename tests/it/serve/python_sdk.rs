//! The official MCP Python SDK as a second real client.

use super::*;

/// The official MCP Python SDK (tests/python/requirements.txt), which .ci/run installs in
/// target/pyenv.
fn python_sdk() -> std::path::PathBuf {
    let python = manifest_dir().join("target/pyenv/bin/python");
    assert!(
        python.exists(),
        "the MCP Python SDK is not installed at {}\nhint: python3 -m venv target/pyenv && target/pyenv/bin/pip install -r tests/python/requirements.txt",
        python.display()
    );
    python
}

/// Runs `tests/python/<script>` with the SDK and returns the JSON report it prints.
#[track_caller]
fn run_script(env: &TestEnv, script: &str, args: &[&str]) -> Value {
    let out = env
        .program(python_sdk())
        .arg(manifest_dir().join("tests/python").join(script))
        .args(args)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_str(&stdout).unwrap()
}

#[test]
fn the_python_sdk_closes_its_session_without_a_warning() {
    let env = TestEnv::new();
    env.registry(json!({}));
    let server = HttpServer::start(&env, &["--token", "s3cret"]);
    let report = run_script(&env, "close_session.py", &[&server.url, "s3cret"]);
    assert_eq!(report["tools"], 4, "{report}");
    assert!(
        report["text"]
            .as_str()
            .unwrap()
            .starts_with("no tool or skill matches `echo`"),
        "{report}"
    );
    // The SDK warns "Session termination failed: 202" unless the DELETE gets 200 or 204.
    assert_eq!(report["warnings"], json!([]), "{report}");
    assert!(server.stop().success());
}

#[test]
fn the_python_sdk_discovers_reads_runs_saves_and_finds_a_skill() {
    let env = TestEnv::new();
    env.registry(json!({ "docs": sample("docs") }));
    env.run(&["gen"]).success();
    let server = HttpServer::start(&env, &["--token", "s3cret"]);
    let report = run_script(
        &env,
        "agent_loop.py",
        &[&server.url, "s3cret", "list the documents"],
    );
    assert_eq!(
        report["tools"],
        json!(["search", "read", "run_code", "save_skill"]),
        "{report}"
    );
    let steps = &report["steps"];
    for step in ["search", "read", "run", "save", "find", "skill"] {
        assert_eq!(steps[step]["isError"], false, "{step}: {report}");
    }
    let text = |step: &str| steps[step]["text"].as_str().unwrap().to_owned();
    assert!(
        text("search").starts_with("docs.list_documents: "),
        "{report}"
    );
    assert!(
        text("read").contains("export function listDocuments("),
        "{report}"
    );
    assert!(text("run").starts_with("got "), "{report}");
    assert_eq!(steps["run"]["structured"]["ok"], true, "{report}");
    assert!(
        text("save").starts_with("saved skill `list-the-documents` v1"),
        "{report}"
    );
    assert!(
        text("find").contains("skill list-the-documents v1: "),
        "{report}"
    );
    assert!(
        text("skill").contains("skills/list-the-documents/SKILL.md"),
        "{report}"
    );
    assert!(server.stop().success());
}

/// skillet serves the handshake revisions (up to 2025-11-25), not 2026-07-28: that revision
/// has no server-to-client requests (the elicitation skillet asks approvals with) and no plain
/// list-changed notifications. A `server/discover` probe gets -32022 naming only handshake
/// revisions, which the official dual-era clients (this SDK's `mode="auto"`, rmcp's
/// `discover_startup`) take as "legacy server": they fall back to `initialize`.
#[test]
fn a_dual_era_client_falls_back_to_the_handshake() {
    let env = TestEnv::new();
    env.registry(json!({}));
    let server = HttpServer::start(&env, &["--token", "s3cret"]);
    let discover = json!({"jsonrpc": "2.0", "id": 1, "method": "server/discover", "params": {
    "_meta": {
        "io.modelcontextprotocol/protocolVersion": "2026-07-28",
        "io.modelcontextprotocol/clientCapabilities": {},
    }}});
    let (_, _, body) = server.request(
        "POST",
        &[
            ("Authorization", "Bearer s3cret"),
            ("MCP-Protocol-Version", "2026-07-28"),
            ("Mcp-Method", "server/discover"),
        ],
        &discover.to_string(),
    );
    // The body comes chunked: the JSON is between the chunk sizes.
    let json = &body[body.find('{').unwrap()..=body.rfind('}').unwrap()];
    let answer: Value = serde_json::from_str(json).unwrap_or_else(|e| panic!("{e}: {body}"));
    assert_eq!(answer["error"]["code"], -32022, "{answer}");
    let supported = answer["error"]["data"]["supported"].as_array().unwrap();
    assert!(supported.contains(&json!("2025-11-25")), "{answer}");
    assert!(!supported.contains(&json!("2026-07-28")), "{answer}");

    let report = run_script(&env, "dual_era.py", &[&server.url, "s3cret"]);
    assert_eq!(report["protocol_version"], "2025-11-25", "{report}");
    assert_eq!(report["tools"].as_array().unwrap().len(), 4, "{report}");
    assert!(server.stop().success());
}
