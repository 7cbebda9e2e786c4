//! The protocol's edges: an unknown tool and a missing resource are JSON-RPC errors (-32602, the
//! resource's URI in the data), a skill's SKILL.md resource is named as the skill, and
//! `logging/setLevel` works. Then the official conformance suite's server scenarios against
//! `skillet serve --http`, with the committed baseline of scenarios that need the suite's own
//! fixtures (tests/conformance/server-baseline.yml).

use std::path::Path;

use super::*;

#[test]
fn unknown_names_are_protocol_errors_and_logging_follows_the_level() {
    let env = TestEnv::new();
    env.run(&["init"]).success();
    run_and_save(
        &env,
        "hello.ts",
        "console.log('hi')",
        "say-hello",
        "Says hello.",
    );
    let call = |id: u64, name: &str, arguments: Value| {
        json!({"jsonrpc": "2.0", "id": id, "method": "tools/call",
            "params": {"name": name, "arguments": arguments}})
    };
    let (answers, notifications) = raw_session_with_notifications(
        &env,
        &[
            call(2, "no_such_tool", json!({})),
            json!({"jsonrpc": "2.0", "id": 3, "method": "resources/read",
                "params": {"uri": "skill://no-such-skill/SKILL.md"}}),
            json!({"jsonrpc": "2.0", "id": 4, "method": "resources/read",
                "params": {"uri": "file:///etc/passwd"}}),
            json!({"jsonrpc": "2.0", "id": 5, "method": "resources/list"}),
            // No level set yet: a run sends no log message.
            call(6, "run_code", json!({"code": "console.log(1)"})),
            json!({"jsonrpc": "2.0", "id": 7, "method": "logging/setLevel",
                "params": {"level": "info"}}),
            call(8, "run_code", json!({"code": "console.log(2)"})),
            json!({"jsonrpc": "2.0", "id": 9, "method": "logging/setLevel",
                "params": {"level": "error"}}),
            call(10, "run_code", json!({"code": "throw new Error('x')"})),
        ],
    );
    assert!(
        answers[0]["result"]["capabilities"]["logging"].is_object(),
        "{}",
        answers[0]
    );
    let unknown = &answers[1]["error"];
    assert_eq!(unknown["code"], -32602, "{}", answers[1]);
    let message = unknown["message"].as_str().unwrap();
    assert!(
        message.contains("no_such_tool") && message.contains("run_code"),
        "{message}"
    );
    for (answer, uri) in [
        (&answers[2], "skill://no-such-skill/SKILL.md"),
        (&answers[3], "file:///etc/passwd"),
    ] {
        assert_eq!(answer["error"]["code"], -32602, "{answer}");
        assert_eq!(answer["error"]["data"]["uri"], uri, "{answer}");
    }
    let resources = answers[4]["result"]["resources"].as_array().unwrap();
    let skill_md = resources
        .iter()
        .find(|r| r["uri"] == "skill://say-hello/SKILL.md")
        .unwrap_or_else(|| panic!("{resources:?}"));
    assert_eq!(skill_md["name"], "say-hello", "{skill_md}");
    let script = resources
        .iter()
        .find(|r| r["uri"] == "skill://say-hello/scripts/index.ts")
        .unwrap_or_else(|| panic!("{resources:?}"));
    assert_eq!(script["name"], "say-hello/scripts/index.ts", "{script}");

    assert_eq!(answers[5]["result"]["isError"], false, "{}", answers[5]);
    assert_eq!(answers[6]["result"], json!({}), "{}", answers[6]);
    assert_eq!(answers[9]["result"]["isError"], true, "{}", answers[9]);
    // One log message: the run after `info`; the failed run is a warning, below `error`.
    let logs: Vec<&Value> = notifications
        .iter()
        .filter(|n| n["method"] == "notifications/message")
        .collect();
    assert_eq!(logs.len(), 1, "{notifications:?}");
    assert_eq!(logs[0]["params"]["level"], "info");
    assert_eq!(logs[0]["params"]["logger"], "run_code");
    assert_eq!(logs[0]["params"]["data"]["ok"], true, "{}", logs[0]);
}

#[test]
fn the_official_conformance_suite_passes_against_serve_over_http() {
    let Some((node, cli)) = crate::conformance::suite() else {
        return;
    };
    let env = TestEnv::new();
    env.run(&["init"]).success();
    let server = HttpServer::start(&env, &[]);
    let baseline =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/conformance/server-baseline.yml");
    let results = env.tmp.path().join("conformance");
    let output = env
        .program(&node)
        .arg(&cli)
        .args([
            "server",
            "--url",
            &server.url,
            "--spec-version",
            "2025-11-25",
        ])
        .arg("--expected-failures")
        .arg(&baseline)
        .arg("--output-dir")
        .arg(&results)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "the conformance suite failed (a regression, or a stale entry in {}):\n{stdout}\n{}",
        baseline.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    // The scenarios this work fixed, and the transport's, pass (not merely listed as
    // expected failures).
    let checks = passed_checks(&results);
    for scenario in [
        "server-initialize",
        "logging-set-level",
        "ping",
        "tools-list",
        "resources-list",
        "dns-rebinding-protection",
        "server-sse-multiple-streams",
    ] {
        assert!(
            checks.iter().any(|c| c == scenario),
            "{scenario} has no passing check: {checks:?}"
        );
    }
}

/// Scenarios with every check a success, from the suite's `checks.json` files.
/// Whether `text` starts with a date and hour: `2026-12-07T13`.
fn is_timestamp(text: &str) -> bool {
    let b = text.as_bytes();
    b.len() >= 13
        && b[..13].iter().enumerate().all(|(i, c)| match i {
            4 | 7 => *c == b'-',
            10 => *c == b'T',
            _ => c.is_ascii_digit(),
        })
}

fn passed_checks(results: &Path) -> Vec<String> {
    let mut passed = Vec::new();
    for entry in fs_err::read_dir(results).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let Ok(text) = fs_err::read_to_string(path.join("checks.json")) else {
            continue;
        };
        let checks: Vec<Value> = serde_json::from_str(&text).unwrap();
        if !checks.is_empty() && checks.iter().all(|c| c["status"] == "SUCCESS") {
            // server-<scenario>-<timestamp> (2026-12-07T13-18-47-203Z: its milliseconds may
            // start with "20" too, so the timestamp is the first date-shaped part).
            let scenario = name.strip_prefix("server-").and_then(|n| {
                n.match_indices('-')
                    .map(|(i, _)| i)
                    .find(|&i| is_timestamp(&n[i + 1..]))
                    .map(|i| n[..i].to_owned())
            });
            passed.extend(scenario);
        }
    }
    passed
}
