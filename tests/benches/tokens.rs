//! What the agent's context holds, in o200k tokens; prints numbers, asserts nothing.
//! `cargo bench --bench tokens`.
//! 1. The everything-echo task: through `skillet serve` (its tools/list as a client receives
//!    it, each discovery answer, the run_code answer) beside plain MCP (every tool definition
//!    of server-everything, then the echo call's answer).
//! 2. The demo workflows (`skillet demo --json`): each part, code mode beside direct calling,
//!    with skillet serve's tools/list added to code mode.

// A bench prints what it measured.
#![allow(clippy::print_stdout, clippy::print_stderr, unreachable_pub)]

use std::path::Path;

use rmcp::ServiceExt as _;
use rmcp::model::{CallToolRequestParams, CallToolResult};
use rmcp::transport::TokioChildProcess;
use serde_json::{Value, json};
use skillet::tokens;

/// The echo task's script, as a model writes it from the search answer.
const ECHO: &str = "import { echo } from './servers/everything/index.js';\nconsole.log(await echo({ message: 'hi' }));";

fn text(result: &CallToolResult) -> String {
    result
        .content
        .iter()
        .filter_map(|c| c.as_text().map(|t| t.text.clone()))
        .collect::<Vec<_>>()
        .join("\n")
}

fn args(value: Value) -> serde_json::Map<String, Value> {
    value.as_object().cloned().unwrap_or_default()
}

/// Prints one part of the context and adds it to `total`.
fn part(total: &mut usize, what: &str, text: &str) {
    let n = tokens::count(text);
    *total += n;
    println!("tokens:   {n:>6}  {what}");
}

async fn client(
    command: tokio::process::Command,
) -> rmcp::service::RunningService<rmcp::RoleClient, ()> {
    ().serve(TokioChildProcess::new(command).expect("spawn"))
        .await
        .expect("initialize")
}

/// The tools/list a client receives, as JSON text.
async fn tool_list(
    client: &rmcp::service::RunningService<rmcp::RoleClient, ()>,
) -> (String, usize) {
    let tools = client.list_all_tools().await.expect("tools/list");
    (
        serde_json::to_string(&tools).unwrap_or_default(),
        tools.len(),
    )
}

async fn call(
    client: &rmcp::service::RunningService<rmcp::RoleClient, ()>,
    name: &str,
    arguments: Value,
) -> CallToolResult {
    let result = client
        .call_tool(CallToolRequestParams::new(name.to_owned()).with_arguments(args(arguments)))
        .await
        .expect(name);
    assert_ne!(result.is_error, Some(true), "{name}: {}", text(&result));
    result
}

fn skillet(bin: &Path, dir: &Path, args: &[&str]) -> std::process::Output {
    let out = std::process::Command::new(bin)
        .args(args)
        .current_dir(dir)
        .stderr(std::process::Stdio::null())
        .output()
        .expect("skillet");
    assert!(out.status.success(), "skillet {args:?} failed");
    out
}

fn main() {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let bin = Path::new(env!("CARGO_BIN_EXE_skillet"));
    let everything = manifest.join("tests/node/node_modules/.bin/mcp-server-everything");
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let mut served_list = None;
    if everything.exists() {
        served_list = Some(rt.block_on(echo_task(bin, &everything)));
    } else {
        println!(
            "tokens: echo task skipped: server-everything not installed (npm ci --prefix tests/node)"
        );
    }
    demo(bin, served_list);
}

/// 1. The everything-echo task; returns skillet serve's tools/list in tokens.
async fn echo_task(bin: &Path, everything: &Path) -> usize {
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = tmp.path();
    skillet(bin, dir, &["init"]);
    std::fs::write(
        dir.join(".mcp.json"),
        json!({ "mcpServers": { "everything": { "command": everything } } }).to_string(),
    )
    .expect("write .mcp.json");
    skillet(bin, dir, &["gen"]);

    println!("tokens: the everything-echo task, through skillet serve:");
    let mut command = tokio::process::Command::new(bin);
    command
        .arg("serve")
        .current_dir(dir)
        .stderr(std::process::Stdio::null());
    let served = client(command).await;
    let (list, n) = tool_list(&served).await;
    let mut skillet_total = 0;
    part(
        &mut skillet_total,
        &format!("tools/list ({n} tools)"),
        &list,
    );
    let listed = skillet_total;
    let search = text(&call(&served, "search", json!({ "query": "echo" })).await);
    part(
        &mut skillet_total,
        "search {\"query\": \"echo\"} answer",
        &search,
    );
    let run = call(&served, "run_code", json!({ "code": ECHO })).await;
    part(&mut skillet_total, "run_code answer", &text(&run));
    println!("tokens:   {skillet_total:>6}  skillet total (goal <= 450)");
    if let Some(structured) = &run.structured_content {
        println!(
            "tokens:   ({} more in run_code's structuredContent, for clients that show it: {structured})",
            tokens::count(&structured.to_string())
        );
    }
    println!(
        "tokens:   search answered: {}",
        search.replace('\n', "\n                            ")
    );
    println!(
        "tokens:   run_code answered: {}",
        text(&run).replace('\n', "\n                              ")
    );
    served.cancel().await.ok();

    println!("tokens: the everything-echo task, plain MCP:");
    let plain = client(tokio::process::Command::new(everything)).await;
    let (list, n) = tool_list(&plain).await;
    let mut plain_total = 0;
    part(&mut plain_total, &format!("tools/list ({n} tools)"), &list);
    let answer = call(&plain, "echo", json!({ "message": "hi" })).await;
    part(&mut plain_total, "echo answer", &text(&answer));
    println!("tokens:   {plain_total:>6}  plain MCP total");
    plain.cancel().await.ok();
    println!(
        "tokens: echo task: skillet {skillet_total} vs plain MCP {plain_total} ({:.0}%); FastMCP CodeMode measured 652 (issue 16)",
        skillet_total as f64 * 100.0 / plain_total as f64
    );
    listed
}

/// 2. The demo workflows, from `skillet demo --json`.
fn demo(bin: &Path, served_list: Option<usize>) {
    let tmp = tempfile::tempdir().expect("tmp");
    let out = skillet(bin, tmp.path(), &["demo", "--json"]);
    let report: Value = serde_json::from_slice(&out.stdout).expect("demo --json");
    let parts = |v: &Value| -> Vec<(String, usize)> {
        v.as_array()
            .map(|a| {
                a.iter()
                    .map(|p| {
                        (
                            p["what"].as_str().unwrap_or("").to_owned(),
                            p["tokens"].as_u64().unwrap_or(0) as usize,
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    for workflow in report["workflows"].as_array().into_iter().flatten() {
        println!(
            "tokens: demo workflow: {}",
            workflow["name"].as_str().unwrap_or("")
        );
        println!("tokens:   code mode through skillet serve:");
        let mut code = 0;
        if let Some(list) = served_list {
            code += list;
            println!("tokens:   {list:>6}  skillet serve's tools/list (measured above)");
        }
        for (what, n) in parts(&workflow["code_mode"]) {
            code += n;
            println!("tokens:   {n:>6}  {what}");
        }
        println!("tokens:   {code:>6}  code mode total");
        println!("tokens:   direct calling (plain MCP):");
        for (what, n) in parts(&workflow["direct"]) {
            println!("tokens:   {n:>6}  {what}");
        }
        let direct = workflow["direct_total"].as_u64().unwrap_or(0) as usize;
        println!("tokens:   {direct:>6}  direct total");
        println!(
            "tokens: demo workflow total: skillet {code} vs plain MCP {direct} ({:.2}%)",
            code as f64 * 100.0 / direct.max(1) as f64
        );
    }
}
