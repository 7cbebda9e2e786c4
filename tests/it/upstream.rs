//! Upstream handling against a scripted misbehaving server and broken configurations.

use serde_json::json;

use crate::support::*;

fn servers_json(env: &TestEnv) -> (Run, serde_json::Value) {
    let run = env.run(&["servers", "--json"]);
    let json = run.json();
    (run, json)
}

#[test]
fn quirks_are_survived() {
    let env = TestEnv::new();
    let marker = marker("quirks");
    env.registry(json!({ "quirky": quirky("normal", &marker) }));
    let (run, json) = servers_json(&env);
    let run = run.success();
    let row = &json[0];
    assert_eq!(row["status"], "ok", "{}", run.stderr);
    // Five tools across three pages.
    assert_eq!(row["tools"], 5);
    assert_eq!(row["protocol_version"], "2024-11-05");
    assert_eq!(row["implementation"], "quirky 0.1.0");
    let log = env.read(".skillet/logs/quirky.log");
    assert!(
        log.contains("skipped a non-JSON line on stdout: Quirky MCP server v0.1 - ready"),
        "{log}"
    );
    assert!(
        log.contains("skipped a non-JSON line on stdout: debug: listing tools from 2"),
        "{log}"
    );
    assert!(log.contains("roots answered: {\"roots\": []}"), "{log}");
    // Nothing but the JSON report on stdout.
    assert!(!run.stdout.contains("Quirky"), "{}", run.stdout);
    assert!(
        processes_with(&marker).is_empty(),
        "{:?}",
        processes_with(&marker)
    );
}

#[test]
fn failures_are_classified_and_name_the_server() {
    let env = TestEnv::new();
    let marker = marker("classified");
    env.registry(json!({
        "dies": quirky("exit-on-start", &marker),
        "hangs": quirky("hang", &marker),
        "garbled": quirky("bad-init", &marker),
        "missing": { "command": "skillet-test-no-such-command" },
        "nowhere": { "type": "http", "url": "http://127.0.0.1:9/mcp" },
    }));
    env.settings("[upstream]\nstart_timeout_ms = 1500\nshutdown_grace_ms = 500");
    let (run, json) = servers_json(&env);
    let run = run.failure();
    let by_name = |name: &str| {
        json.as_array()
            .unwrap()
            .iter()
            .find(|r| r["server"] == name)
            .unwrap_or_else(|| panic!("{name} missing: {json}"))
            .clone()
    };
    let kind = |name: &str| by_name(name)["error"]["kind"].as_str().unwrap().to_owned();
    assert_eq!(kind("dies"), "exited_during_start");
    assert_eq!(kind("hangs"), "start_timeout");
    assert_eq!(kind("garbled"), "protocol");
    assert_eq!(kind("missing"), "command_not_found");
    assert_eq!(kind("nowhere"), "unreachable");
    let dies = by_name("dies")["error"]["message"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        dies.starts_with("server `dies` exited during start (exit status: 3)"),
        "{dies}"
    );
    assert!(
        dies.contains("fatal: cannot open database /nonexistent/db.sqlite"),
        "{dies}"
    );
    for name in ["dies", "hangs", "garbled", "missing", "nowhere"] {
        let message = by_name(name)["error"]["message"]
            .as_str()
            .unwrap()
            .to_owned();
        assert!(message.contains(&format!("server `{name}`")), "{message}");
        assert!(
            run.stderr
                .contains(&message.lines().next().unwrap().to_owned()),
            "{}",
            run.stderr
        );
    }
    assert!(
        processes_with(&marker).is_empty(),
        "{:?}",
        processes_with(&marker)
    );
}

#[test]
fn tool_call_failures_are_classified() {
    let env = TestEnv::new();
    let marker = marker("calls");
    env.registry(json!({ "quirky": quirky("normal", &marker) }));
    env.settings("[upstream]\ncall_timeout_ms = 700\nshutdown_grace_ms = 500");

    let ok = env
        .run(&["call", "quirky", "echo", r#"{"message": "hi there"}"#])
        .success();
    assert_eq!(ok.stdout, "hi there\n");

    let fail = env.run(&["call", "quirky", "fail", "--json"]).failure();
    assert_eq!(fail.json()["error"]["kind"], "tool_error");
    assert!(
        fail.stderr
            .contains("server `quirky`: tool `fail` failed: the database is locked"),
        "{}",
        fail.stderr
    );

    let slow = env
        .run(&["call", "quirky", "slow", r#"{"seconds": 30}"#, "--json"])
        .failure();
    assert_eq!(slow.json()["error"]["kind"], "call_timeout");
    assert!(
        slow.stderr
            .contains("tool `slow` did not answer within 700 ms"),
        "{}",
        slow.stderr
    );

    let crash = env.run(&["call", "quirky", "crash", "--json"]).failure();
    assert_eq!(crash.json()["error"]["kind"], "connection_closed");
    assert!(
        crash.stderr.contains("crashing on purpose"),
        "{}",
        crash.stderr
    );

    let bad = env.run(&["call", "quirky", "echo", "[1]"]).failure();
    assert!(bad.stderr.contains("not a JSON object"), "{}", bad.stderr);
    let unknown = env.run(&["call", "nope", "echo"]).failure();
    assert!(
        unknown
            .stderr
            .contains("no server `nope` is configured (configured: quirky)"),
        "{}",
        unknown.stderr
    );
    assert!(
        processes_with(&marker).is_empty(),
        "{:?}",
        processes_with(&marker)
    );
}

#[test]
fn a_server_that_ignores_sigterm_is_killed() {
    let env = TestEnv::new();
    let marker = marker("stubborn");
    env.registry(json!({ "stubborn": quirky("ignore-term", &marker) }));
    env.settings("[upstream]\nshutdown_grace_ms = 300");
    env.run(&["servers", "--json"]).success();
    let log = env.read(".skillet/logs/stubborn.log");
    assert!(
        log.contains("did not exit within 300 ms of SIGTERM; sending SIGKILL"),
        "{log}"
    );
    assert!(
        processes_with(&marker).is_empty(),
        "{:?}",
        processes_with(&marker)
    );
}

#[test]
fn sample_server_over_streamable_http() {
    use std::io::BufRead as _;
    let env = TestEnv::new();
    let mut server = std::process::Command::new(BIN)
        .args(["sample-server", "crm", "--http", "127.0.0.1:0"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut url = String::new();
    std::io::BufReader::new(server.stdout.take().unwrap())
        .read_line(&mut url)
        .unwrap();
    let url = url.trim().to_owned();
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    env.registry(
        json!({ "crm": { "type": "http", "url": url, "headers": { "X-Team": "${TEAM:-qa}" } } }),
    );
    let (run, json) = servers_json(&env);
    run.success();
    assert_eq!(json[0]["transport"], "http");
    assert_eq!(json[0]["status"], "ok");
    assert!(json[0]["tools"].as_u64().unwrap() >= 3);
    let found = env
        .run(&["call", "crm", "find_records", r#"{"limit": 2}"#])
        .success();
    assert!(
        found.stdout.contains("records") || found.stdout.contains("id"),
        "{}",
        found.stdout
    );
    server.kill().unwrap();
    server.wait().unwrap();
}
