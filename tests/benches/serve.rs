//! `skillet serve` benchmarks; prints numbers, asserts nothing. `cargo bench --bench serve`.
//! 1. run_code round trip for a trivial script through the MCP server over stdio (p50, p99);
//! 2. throughput of concurrent run_code calls (each calling server-everything's echo);
//! 3. a burst of 50 run_code calls at once against the default 8 slots, with the run queue
//!    and without it (`--run-queue 0`): how many went through, how many were told "busy".
//!
//! The tokens an agent reads to find and call server-everything's echo: `--bench tokens`.

// A bench prints what it measured.
#![allow(clippy::print_stdout, clippy::print_stderr, unreachable_pub)]

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rmcp::ServiceExt as _;
use rmcp::model::CallToolRequestParams;
use rmcp::transport::TokioChildProcess;

fn percentile(samples: &mut [Duration], p: f64) -> f64 {
    samples.sort();
    let i = ((samples.len() as f64 - 1.0) * p).round() as usize;
    samples[i].as_secs_f64() * 1e3
}

fn text(result: &rmcp::model::CallToolResult) -> String {
    result
        .content
        .iter()
        .filter_map(|c| c.as_text().map(|t| t.text.clone()))
        .collect::<Vec<_>>()
        .join("\n")
}

fn args(value: serde_json::Value) -> serde_json::Map<String, serde_json::Value> {
    value.as_object().cloned().unwrap_or_default()
}

async fn connect(
    bin: &Path,
    dir: &Path,
    max_runs: &str,
) -> rmcp::service::RunningService<rmcp::RoleClient, ()> {
    connect_with(bin, dir, &["--max-runs", max_runs]).await
}

async fn connect_with(
    bin: &Path,
    dir: &Path,
    flags: &[&str],
) -> rmcp::service::RunningService<rmcp::RoleClient, ()> {
    let mut command = tokio::process::Command::new(bin);
    command
        .arg("serve")
        .args(flags)
        .current_dir(dir)
        .stderr(std::process::Stdio::null());
    ().serve(TokioChildProcess::new(command).expect("spawn serve"))
        .await
        .expect("initialize")
}

fn main() {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let everything = manifest.join("tests/node/node_modules/.bin/mcp-server-everything");
    if !everything.exists() {
        println!("serve: skipped: server-everything not installed (npm ci --prefix tests/node)");
        return;
    }
    let bin = Path::new(env!("CARGO_BIN_EXE_skillet"));
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = tmp.path();
    let run = |args: &[&str]| {
        let status = std::process::Command::new(bin)
            .args(args)
            .current_dir(dir)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()
            .expect("skillet");
        assert!(status.success(), "skillet {args:?} failed");
    };
    run(&["init"]);
    std::fs::write(
        dir.join(".mcp.json"),
        serde_json::json!({ "mcpServers": { "everything": { "command": everything } } })
            .to_string(),
    )
    .expect("write .mcp.json");
    run(&["gen"]);

    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(async {
        // 1. Round trip of a trivial script.
        let client = connect(bin, dir, "8").await;
        let trivial = || {
            CallToolRequestParams::new("run_code").with_arguments(args(
                serde_json::json!({ "code": "export default 6 * 7;" }),
            ))
        };
        for _ in 0..50 {
            client.call_tool(trivial()).await.expect("warm-up");
        }
        let mut samples = Vec::new();
        for _ in 0..500 {
            let start = Instant::now();
            let result = client.call_tool(trivial()).await.expect("run_code");
            samples.push(start.elapsed());
            assert_ne!(result.is_error, Some(true), "{}", text(&result));
        }
        println!(
            "serve: run_code round trip, trivial script over stdio (new sandbox, recorded run), 500 calls: p50 {:.2} ms, p99 {:.2} ms",
            percentile(&mut samples, 0.5),
            percentile(&mut samples, 0.99)
        );

        client.cancel().await.ok();

        // 2. Throughput: one session, 400 run_code calls (each calling echo once), with N in
        // flight at a time.
        let echo = "import { echo } from './servers/everything/index.js';\nconsole.log(await echo({ message: 'x' }));";
        let client = Arc::new(connect(bin, dir, "16").await);
        let call = {
            let client = Arc::clone(&client);
            move || {
                let client = Arc::clone(&client);
                async move {
                    let r = client
                        .call_tool(CallToolRequestParams::new("run_code").with_arguments(args(serde_json::json!({ "code": echo }))))
                        .await
                        .expect("run_code");
                    assert_ne!(r.is_error, Some(true), "{}", text(&r));
                }
            }
        };
        for _ in 0..20 {
            call().await;
        }
        for in_flight in [1usize, 4, 16] {
            let limit = Arc::new(tokio::sync::Semaphore::new(in_flight));
            let start = Instant::now();
            let mut tasks = Vec::new();
            for _ in 0..400 {
                let permit = Arc::clone(&limit).acquire_owned().await.expect("permit");
                let call = call.clone();
                tasks.push(tokio::spawn(async move {
                    call().await;
                    drop(permit);
                }));
            }
            for t in tasks {
                t.await.expect("task");
            }
            let elapsed = start.elapsed().as_secs_f64();
            println!(
                "serve: throughput, 400 run_code calls (each one echo call) with {in_flight:>2} in flight: {:.2} s, {:.0} runs/s",
                elapsed,
                400.0 / elapsed
            );
        }
        drop(call);
        if let Ok(client) = Arc::try_unwrap(client) {
            client.cancel().await.ok();
        }

        // 3. A burst: 50 calls sent at once, each run taking about 200 ms.
        let slow = "import { echo } from './servers/everything/index.js';\nawait new Promise((r) => setTimeout(r, 200));\nconsole.log(await echo({ message: 'x' }));";
        for (label, flags) in [
            ("default (8 slots, 64 places in the queue)", &[][..]),
            ("--run-queue 0 (no queue)", &["--run-queue", "0"][..]),
        ] {
            let client = Arc::new(connect_with(bin, dir, flags).await);
            let start = Instant::now();
            let tasks: Vec<_> = (0..50)
                .map(|_| {
                    let client = Arc::clone(&client);
                    tokio::spawn(async move {
                        let r = client
                            .call_tool(CallToolRequestParams::new("run_code").with_arguments(args(serde_json::json!({ "code": slow }))))
                            .await
                            .expect("run_code");
                        (r.is_error != Some(true), text(&r).starts_with("busy"))
                    })
                })
                .collect();
            let (mut ok, mut busy) = (0, 0);
            for t in tasks {
                let (went, refused) = t.await.expect("task");
                ok += usize::from(went);
                busy += usize::from(refused);
            }
            println!(
                "serve: a burst of 50 run_code calls at once, {label}: {ok} ok, {busy} busy, all answered in {:.2} s",
                start.elapsed().as_secs_f64()
            );
            if let Ok(client) = Arc::try_unwrap(client) {
                client.cancel().await.ok();
            }
        }
    });
}
