//! Process start and per-call overhead; prints numbers, asserts nothing. `cargo bench --bench
//! startup`. Hyperfine-style (min/median/max over runs, after warm-up runs):
//! 1. `skillet --version` (the floor), a trivial `skillet run`, `skillet search x`, and
//!    `skillet test` on a registry with one skill;
//! 2. `skillet run --json` with one call to the docs sample server, beside the sample server's
//!    own start (spawn, initialize, the same call, exit) from an MCP SDK client;
//! 3. through `skillet serve` over stdio: `run_code` of a trivial script, p50/p99;
//! 4. a tool call inside a served run against a direct call from the SDK to the same (warmed)
//!    server program, in paired rounds over 4 fresh pairs of processes, each run's record on
//!    disk before the next is timed: per call inside a run is (run with N calls - the same run
//!    with none) / N; the record's own times split a call into the call itself and the time
//!    between calls.
//!    Each call of a round has other arguments (a run answers a repeated read-only call from
//!    its cache), and both sides make the same calls.
//!
//! Names after `--` pick parts (`process`, `call`, `serve`, `percall`): `cargo bench --bench
//! startup -- serve` runs only the served trivial runs, for profiling (`perf record -p` on the
//! `skillet serve` it starts). `SKILLET_LOG=skillet=trace` on the served parts logs each run's
//! phases (`run.*`, `sandbox.*` spans, with their busy time) to the server's stderr, which the
//! bench then passes through.

// A bench prints what it measured.
#![allow(clippy::print_stdout, clippy::print_stderr, unreachable_pub)]

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use rmcp::ServiceExt as _;
use rmcp::model::CallToolRequestParams;
use rmcp::transport::TokioChildProcess;

const RUNS: usize = 30;
const WARM_UP: usize = 3;

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn percentile(samples: &mut [Duration], p: f64) -> f64 {
    samples.sort();
    let i = ((samples.len() as f64 - 1.0) * p).round() as usize;
    ms(samples[i])
}

/// `min / median / max` of `samples`, in milliseconds.
fn spread(samples: &mut [Duration]) -> String {
    samples.sort();
    format!(
        "min {:.1} ms, median {:.1} ms, max {:.1} ms ({} runs)",
        ms(samples[0]),
        percentile(samples, 0.5),
        ms(samples[samples.len() - 1]),
        samples.len()
    )
}

/// Runs `skillet args` in `dir`, checking it succeeds; returns its stdout.
fn skillet(bin: &Path, dir: &Path, args: &[&str]) -> String {
    let out = Command::new(bin)
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .expect("skillet");
    assert!(
        out.status.success(),
        "skillet {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Wall time of whole `skillet args` processes.
fn processes(bin: &Path, dir: &Path, args: &[&str]) -> Vec<Duration> {
    for _ in 0..WARM_UP {
        skillet(bin, dir, args);
    }
    (0..RUNS)
        .map(|_| {
            let start = Instant::now();
            skillet(bin, dir, args);
            start.elapsed()
        })
        .collect()
}

fn args(value: serde_json::Value) -> serde_json::Map<String, serde_json::Value> {
    value.as_object().cloned().unwrap_or_default()
}

/// `list_documents` of `limit` documents.
fn list(limit: usize) -> CallToolRequestParams {
    CallToolRequestParams::new("list_documents")
        .with_arguments(args(serde_json::json!({ "limit": limit })))
}

async fn client(
    bin: &Path,
    dir: &Path,
    args: &[&str],
) -> rmcp::service::RunningService<rmcp::RoleClient, ()> {
    let mut command = tokio::process::Command::new(bin);
    command.args(args).current_dir(dir).stderr(Stdio::null());
    ().serve(TokioChildProcess::new(command).expect("spawn"))
        .await
        .expect("initialize")
}

/// `skillet serve` over stdio; its stderr (logs, `SKILLET_LOG`) goes to the bench's.
async fn served(bin: &Path, dir: &Path) -> rmcp::service::RunningService<rmcp::RoleClient, ()> {
    let mut command = tokio::process::Command::new(bin);
    command
        .arg("serve")
        .current_dir(dir)
        .stderr(Stdio::inherit());
    ().serve(TokioChildProcess::new(command).expect("spawn"))
        .await
        .expect("initialize")
}

/// Times one served `run_code` of `code`, then waits (untimed) until its record is on disk:
/// the record writer works after the answer, and a round must not pay for the last one's.
async fn timed_run(
    served: &rmcp::service::RunningService<rmcp::RoleClient, ()>,
    dir: &Path,
    request: CallToolRequestParams,
) -> Duration {
    let start = Instant::now();
    let result = served.call_tool(request).await.expect("run_code");
    let took = start.elapsed();
    assert_ne!(result.is_error, Some(true), "{result:?}");
    let id = result
        .structured_content
        .as_ref()
        .and_then(|s| s["run_id"].as_str())
        .expect("run_id");
    let record = dir.join(".skillet/runs").join(id).join("run.json");
    let waited = Instant::now();
    while !record.exists() {
        assert!(
            waited.elapsed() < Duration::from_secs(60),
            "{} never written",
            record.display()
        );
        tokio::time::sleep(Duration::from_micros(200)).await;
    }
    took
}

/// The calls of the last run recorded: each call's time from the script's call to its answer
/// (`duration_ms`), and the time between one answer and the next call (the script, and the
/// call's work in skillet after the answer), in milliseconds.
fn call_times(dir: &Path) -> (Vec<f64>, Vec<f64>) {
    let runs = dir.join(".skillet/runs");
    let last = std::fs::read_dir(&runs)
        .expect("runs")
        .filter_map(Result::ok)
        .map(|e| e.path().join("run.json"))
        .filter(|p| p.exists())
        .max_by_key(|p| std::fs::metadata(p).and_then(|m| m.modified()).ok())
        .expect("a record");
    let record: serde_json::Value =
        serde_json::from_slice(&std::fs::read(last).expect("read")).expect("json");
    let calls = record["tool_calls"].as_array().cloned().unwrap_or_default();
    let at = |c: &serde_json::Value, k: &str| c[k].as_f64().unwrap_or(0.0);
    let durations = calls.iter().map(|c| at(c, "duration_ms")).collect();
    let gaps = calls
        .windows(2)
        .map(|w| at(&w[1], "started_ms") - at(&w[0], "started_ms") - at(&w[0], "duration_ms"))
        .collect();
    (durations, gaps)
}

/// Part 4: a tool call inside a served run against a direct SDK call, in paired rounds over
/// `PAIRS` fresh pairs of processes (a serve with its docs server, and a docs server of the
/// bench's own): where the scheduler puts a pair's processes moves a whole pair's numbers by
/// ±15% on this 2-core VM, so one pair alone says little. Each round makes `CALLS` calls both
/// ways, the side that goes first alternating. Per call inside a run is the run with `CALLS`
/// calls less the same script with none (same import, same run), over `CALLS`; the figure
/// against a trivial script (which also counts loading the imported module) is printed beside.
async fn percall(
    bin: &Path,
    dir: &Path,
    first: &rmcp::service::RunningService<rmcp::RoleClient, ()>,
    run_code: &dyn Fn(&str) -> CallToolRequestParams,
) {
    const CALLS: usize = 50;
    const PAIRS: usize = 4;
    const ROUNDS: usize = 16;
    let calls = |n: usize| {
        format!(
            "import {{ listDocuments }} from \"./servers/docs/index.js\";\nfor (let i = 1; i <= {n}; i++) await listDocuments({{ limit: i }});\n"
        )
    };
    let (many, none) = (calls(CALLS), calls(0));
    let trivial = "export default 6 * 7;";
    let (mut inside, mut sdk, mut ratios, mut pair_medians, mut against_trivial) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let (durations, gaps) = (
        std::cell::RefCell::new(Vec::new()),
        std::cell::RefCell::new(Vec::new()),
    );
    for pair in 0..PAIRS {
        let fresh = match pair {
            0 => None,
            _ => {
                let fresh = served(bin, dir).await;
                for _ in 0..50 {
                    fresh.call_tool(run_code(trivial)).await.expect("warm-up");
                }
                Some(fresh)
            }
        };
        let serve = fresh.as_ref().unwrap_or(first);
        let direct = client(bin, dir, &["sample-server", "docs"]).await;
        for _ in 0..3 {
            timed_run(serve, dir, run_code(&many)).await;
            for i in 1..=CALLS {
                direct.call_tool(list(i)).await.expect("warm-up");
            }
        }
        let mut these = Vec::new();
        for round in 0..ROUNDS {
            let direct_side = async {
                let start = Instant::now();
                for i in 1..=CALLS {
                    direct.call_tool(list(i)).await.expect("list_documents");
                }
                start.elapsed() / CALLS as u32
            };
            let served_side = async {
                let trivial = timed_run(serve, dir, run_code(trivial)).await;
                let base = timed_run(serve, dir, run_code(&none)).await;
                let with_calls = timed_run(serve, dir, run_code(&many)).await;
                let (d, g) = call_times(dir);
                durations.borrow_mut().extend(d);
                gaps.borrow_mut().extend(g);
                (
                    with_calls.saturating_sub(base) / CALLS as u32,
                    with_calls.saturating_sub(trivial) / CALLS as u32,
                )
            };
            let (per_direct, (per_inside, per_with_import)) = if round % 2 == 0 {
                let d = direct_side.await;
                (d, served_side.await)
            } else {
                let i = served_side.await;
                (direct_side.await, i)
            };
            let ratio = per_inside.as_secs_f64() / per_direct.as_secs_f64();
            these.push(ratio);
            ratios.push(ratio);
            against_trivial.push(per_with_import.as_secs_f64() / per_direct.as_secs_f64());
            inside.push(per_inside);
            sdk.push(per_direct);
        }
        these.sort_by(f64::total_cmp);
        pair_medians.push(these[these.len() / 2]);
        direct.cancel().await.ok();
        if let Some(fresh) = fresh {
            fresh.cancel().await.ok();
        }
    }
    ratios.sort_by(f64::total_cmp);
    against_trivial.sort_by(f64::total_cmp);
    let pairs: Vec<String> = pair_medians.iter().map(|r| format!("{r:.2}x")).collect();
    println!(
        "serve: per tool call, {PAIRS} pairs x {ROUNDS} paired rounds of {CALLS} calls: inside run_code p50 {:.3} ms, direct SDK p50 {:.3} ms; ratio median {:.2}x (pairs {}; rounds min {:.2}x, max {:.2}x; target <= 1.1x); against a trivial script, import included, {:.2}x",
        percentile(&mut inside, 0.5),
        percentile(&mut sdk, 0.5),
        ratios[ratios.len() / 2],
        pairs.join(", "),
        ratios[0],
        ratios[ratios.len() - 1],
        against_trivial[against_trivial.len() / 2]
    );
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    println!(
        "serve: of a call inside run_code (its record's times, p50): from the script's call to the answer {:.3} ms, from the answer to the next call {:.3} ms",
        median(&mut durations.borrow_mut()),
        median(&mut gaps.borrow_mut())
    );
}

#[path = "parts.rs"]
mod parts;
use parts::wanted;

fn main() {
    let bin = Path::new(env!("CARGO_BIN_EXE_skillet"));
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = tmp.path();
    skillet(bin, dir, &["init"]);
    std::fs::write(
        dir.join(".mcp.json"),
        serde_json::json!({ "mcpServers": { "docs": { "command": bin, "args": ["sample-server", "docs"] } } })
            .to_string(),
    )
    .expect("write .mcp.json");
    skillet(bin, dir, &["gen"]);
    std::fs::write(dir.join("trivial.ts"), "export default 6 * 7;\n").expect("write");
    std::fs::write(
        dir.join("call.ts"),
        "import { listDocuments } from \"./servers/docs/index.js\";\nexport default (await listDocuments({ limit: 1 })).total;\n",
    )
    .expect("write");
    let run: serde_json::Value =
        serde_json::from_str(&skillet(bin, dir, &["run", "trivial.ts", "--json"])).expect("json");
    let id = run["run_id"].as_str().expect("run_id");
    skillet(
        bin,
        dir,
        &[
            "save",
            "--run",
            id,
            "--name",
            "forty-two",
            "--description",
            "Answers 42. Use to check that skills run.",
        ],
    );

    // 1. Process start. Search trusts a folder's stamp once it is 2 s old (`skill::index`):
    // right after the save above, every search would read the new skill again. Wait that out,
    // as a user's next search usually does.
    std::thread::sleep(Duration::from_secs(3));
    skillet(bin, dir, &["search", "x"]);
    if wanted("process") {
        for (label, command) in [
            ("skillet --version", &["--version"][..]),
            ("skillet run trivial.ts", &["run", "trivial.ts"][..]),
            ("skillet search x", &["search", "x"][..]),
            ("skillet test (one skill)", &["test"][..]),
        ] {
            let mut samples = processes(bin, dir, command);
            println!("startup: {label:<38} {}", spread(&mut samples));
        }
        // The first search after SWEEP_EVERY (5 s) of quiet checks every skill folder.
        let mut idle: Vec<Duration> = (0..5)
            .map(|_| {
                std::thread::sleep(skillet::skill::index::SWEEP_EVERY + Duration::from_millis(100));
                let start = Instant::now();
                skillet(bin, dir, &["search", "x"]);
                start.elapsed()
            })
            .collect();
        println!(
            "startup: {:<38} {}",
            "skillet search x, after 5 s of quiet",
            spread(&mut idle)
        );
    }

    let rt = tokio::runtime::Runtime::new().expect("runtime");
    // 2. One tool call from a process, beside the server's own start.
    if wanted("call") {
        let mut with_call = processes(bin, dir, &["run", "call.ts", "--json"]);
        let mut server_alone = rt.block_on(async {
            let mut samples = Vec::new();
            for i in 0..WARM_UP + RUNS {
                let start = Instant::now();
                let server = client(bin, dir, &["sample-server", "docs"]).await;
                server.call_tool(list(1)).await.expect("list_documents");
                server.cancel().await.ok();
                if i >= WARM_UP {
                    samples.push(start.elapsed());
                }
            }
            samples
        });
        let (run_median, server_median) = (
            percentile(&mut with_call, 0.5),
            percentile(&mut server_alone, 0.5),
        );
        println!(
            "startup: {:<38} {}",
            "skillet run --json call.ts (1 call)",
            spread(&mut with_call)
        );
        println!(
            "startup: {:<38} {}",
            "docs server alone (start, 1 call)",
            spread(&mut server_alone)
        );
        println!(
            "startup: run with one call takes the server's start + {:.1} ms (medians; target <= 10 ms)",
            run_median - server_median
        );
    }

    if !wanted("serve") && !wanted("percall") {
        return;
    }
    rt.block_on(async {
        let served = served(bin, dir).await;
        let run_code = |code: &str| {
            CallToolRequestParams::new("run_code").with_arguments(args(serde_json::json!({ "code": code })))
        };
        let trivial = "export default 6 * 7;";
        for _ in 0..50 {
            served.call_tool(run_code(trivial)).await.expect("warm-up");
        }

        // 3. Served trivial runs.
        if wanted("serve") {
            let mut samples = Vec::new();
            let mut last = String::new();
            for _ in 0..500 {
                let start = Instant::now();
                let result = served.call_tool(run_code(trivial)).await.expect("run_code");
                samples.push(start.elapsed());
                assert_ne!(result.is_error, Some(true), "{result:?}");
                last = result.structured_content.as_ref().and_then(|s| s["run_id"].as_str()).expect("run_id").to_owned();
            }
            // Records are written after the answers: how long after the last answer the last
            // record is on disk (the writer keeps up with this burst, or not).
            let burst_end = Instant::now();
            let record = dir.join(".skillet/runs").join(&last).join("run.json");
            while !record.exists() {
                assert!(burst_end.elapsed() < Duration::from_secs(60), "{} never written", record.display());
                tokio::time::sleep(Duration::from_micros(200)).await;
            }
            println!(
                "serve: run_code round trip, trivial script, 500 calls: p50 {:.2} ms, p99 {:.2} ms (targets 0.4 / 1.5); the last record on disk {:.0} ms after the last answer",
                percentile(&mut samples, 0.5),
                percentile(&mut samples, 0.99),
                ms(burst_end.elapsed())
            );
        }

        // 4. Per call: inside a served run against direct SDK calls, paired rounds.
        if wanted("percall") {
            percall(bin, dir, &served, &run_code).await;
        }
        served.cancel().await.ok();
    });
}
