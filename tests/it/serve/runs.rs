//! Runs in flight: a client leaving mid-run, many sessions, the run queue, and SIGTERM over
//! stdio and HTTP.

use super::*;

#[test]
fn sigterm_lets_a_run_in_flight_finish_within_the_grace() {
    let env = TestEnv::new();
    env.registry(json!({}));
    let mut child = env
        .command(&["serve", "--grace-ms", "30000"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    start_raw_session(
        &mut child,
        "fs.writeFile('./workspace/started', 'yes');\nawait new Promise((r) => setTimeout(r, 300));\nconsole.log('finished');",
    );
    // The run is under way once it wrote its marker (a condition, not a guess at timing).
    let marker = env.path(".skillet/workspace/started");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while !marker.exists() {
        assert!(
            std::time::Instant::now() < deadline,
            "the run never started"
        );
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(child.id() as i32),
        nix::sys::signal::Signal::SIGTERM,
    )
    .unwrap();
    let mut stdout = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut stdout)
        .unwrap();
    assert!(child.wait().unwrap().success());
    let answer = stdout
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .find(|m| m["id"] == 2)
        .unwrap_or_else(|| panic!("no answer to the run: {stdout}"));
    assert_eq!(answer["result"]["isError"], false, "{answer}");
    let text = answer["result"]["content"][0]["text"].as_str().unwrap();
    assert!(text.starts_with("finished\n[run "), "{text}");
    let runs = env.run(&["runs", "--json"]).success().json();
    assert_eq!(runs[0]["status"], "ok", "{runs}");
}

#[test]
fn a_client_that_leaves_mid_run_gets_its_run_cancelled_and_recorded() {
    let env = TestEnv::new();
    env.registry(json!({}));
    let mut child = env
        .command(&["serve", "--grace-ms", "200"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    start_raw_session(&mut child, "console.log('started'); while (true) {}");
    // Wait for the initialize answer, so the run is under way, then leave.
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    assert!(line.contains("\"id\":1"), "{line}");
    drop(child.stdin.take());
    let status = child.wait().unwrap();
    assert!(status.success(), "{status}");
    let runs = env.run(&["runs", "--json"]).success().json();
    let runs = runs.as_array().unwrap();
    assert_eq!(runs.len(), 1, "{runs:?}");
    assert_eq!(runs[0]["status"], "error");
    assert_eq!(runs[0]["error_kind"], "cancelled", "{runs:?}");
    let shown = env.run(&["runs", "show", "last"]).success();
    assert!(shown.stdout.contains("started"), "{}", shown.stdout);
}

#[test]
fn fifty_runs_from_five_sessions() {
    let env = TestEnv::new();
    env.registry(
        json!({ "everything": { "command": node_bin("mcp-server-everything").to_string_lossy() } }),
    );
    env.run(&["gen"]).success();
    let code = "import { echo } from './servers/everything/index.js';\nconsole.log(await echo({ message: 'run $i' }));";
    // Enough room: every run goes through.
    let server = HttpServer::start(&env, &["--max-runs", "50"]);
    let steps = client(
        &env,
        json!({
            "connect": { "transport": "http", "url": server.url },
            "steps": [ { "op": "parallel", "sessions": 5, "calls": 10, "name": "run_code", "args": { "code": code } } ],
        }),
    );
    assert_eq!(steps[0]["ok"], 50, "{}", steps[0]);
    assert!(server.stop().success());
    // A tight limit: the burst waits in the queue (64 places by default) and every run goes
    // through, two at a time. (The wait bound is long: a busy machine must not make it busy.)
    let server = HttpServer::start(&env, &["--max-runs", "2", "--queue-wait-ms", "300000"]);
    let steps = client(
        &env,
        json!({
            "connect": { "transport": "http", "url": server.url },
            "steps": [ { "op": "parallel", "sessions": 5, "calls": 10, "name": "run_code", "args": { "code": code } } ],
        }),
    );
    assert_eq!(steps[0]["ok"], 50, "{}", steps[0]);
    assert!(server.stop().success());
    let runs = env.run(&["runs", "--json"]).success().json();
    assert_eq!(runs.as_array().unwrap().len(), 100);
}

/// A run that holds its slot until the file `workspace/release` exists.
const HOLD_UNTIL_RELEASED: &str = "while (!fs.exists('./workspace/release')) await new Promise((r) => setTimeout(r, 20));\nconsole.log('released');";

#[test]
fn beyond_the_run_queue_a_burst_gets_busy_with_a_hint() {
    let env = TestEnv::new();
    env.registry(json!({}));
    let release = env.path(".skillet/workspace/release");
    // 2 run, 3 wait; the other 5 are told at once. The runs hold their slots until the client
    // got those 5 answers, so the split does not depend on timing.
    let server = HttpServer::start(&env, &["--max-runs", "2", "--run-queue", "3"]);
    let steps = client(
        &env,
        json!({
            "connect": { "transport": "http", "url": server.url },
            "steps": [ { "op": "parallel", "sessions": 1, "calls": 10, "name": "run_code",
                         "args": { "code": HOLD_UNTIL_RELEASED },
                         "release": { "file": release, "afterBusy": 5 } } ],
        }),
    );
    let burst = &steps[0];
    println!(
        "a burst of 10 runs, 2 slots and 3 places in the queue: {} ok, {} busy",
        burst["ok"], burst["busy"]
    );
    assert_eq!(
        (burst["ok"].as_u64(), burst["busy"].as_u64()),
        (Some(5), Some(5)),
        "{burst}"
    );
    assert_eq!(burst["busyTexts"].as_array().unwrap().len(), 1, "{burst}");
    let busy = burst["busyTexts"][0].as_str().unwrap();
    assert!(
        busy.starts_with("busy: 2 runs are in progress and 3 more are waiting")
            && busy.contains("hint: raise `skillet serve --max-runs` or `--run-queue`"),
        "{busy}"
    );
    assert!(server.stop().success());

    // A place in the queue is held for --queue-wait-ms at most: one run holds the only slot,
    // the 4 waiting behind it are told "busy" when their wait ends, then it is released.
    fs_err::remove_file(&release).unwrap();
    let server = HttpServer::start(
        &env,
        &[
            "--max-runs",
            "1",
            "--run-queue",
            "4",
            "--queue-wait-ms",
            "200",
        ],
    );
    let steps = client(
        &env,
        json!({
            "connect": { "transport": "http", "url": server.url },
            "steps": [ { "op": "parallel", "sessions": 1, "calls": 5, "name": "run_code",
                         "args": { "code": HOLD_UNTIL_RELEASED },
                         "release": { "file": release, "afterBusy": 4 } } ],
        }),
    );
    let burst = &steps[0];
    assert_eq!(
        (burst["ok"].as_u64(), burst["busy"].as_u64()),
        (Some(1), Some(4)),
        "{burst}"
    );
    let busy = burst["busyTexts"][0].as_str().unwrap();
    assert!(
        busy.starts_with("busy: no run slot came free within 200 ms")
            && busy.contains("`--queue-wait-ms`"),
        "{busy}"
    );
    assert!(server.stop().success());
    // Only the runs that got a slot are recorded.
    let runs = env.run(&["runs", "--json"]).success().json();
    assert_eq!(runs.as_array().unwrap().len(), 6, "{runs}");
}

/// A run that writes its marker, then takes about 2 s, or (from call `long_from` on) longer
/// than any grace.
fn sigterm_run(long_from: usize) -> String {
    format!(
        "fs.writeFile('./workspace/started-$n', 'yes');\nawait new Promise((r) => setTimeout(r, $n < {long_from} ? 2000 : 600000));\nconsole.log('run $n done');"
    )
}

/// What a SIGTERM with runs in flight gave: the client's report and the runs recorded.
struct Shutdown {
    report: Value,
    ok_records: usize,
    cancelled_records: usize,
}

fn check_shutdown(
    env: &TestEnv,
    report: &Value,
    transport: &str,
    calls: usize,
    long: usize,
) -> Shutdown {
    let runs = env.run(&["runs", "--json"]).success().json();
    let runs = runs.as_array().unwrap();
    let ok_records = runs.iter().filter(|r| r["status"] == "ok").count();
    let cancelled_records = runs
        .iter()
        .filter(|r| r["error_kind"] == "cancelled")
        .count();
    println!(
        "SIGTERM over {transport} with {calls} runs in flight: {} of {} answered ({} ok, {} cancelled), {} records ({ok_records} ok, {cancelled_records} cancelled)",
        report["answered"],
        report["calls"],
        report["ok"],
        report["cancelled"].as_array().map_or(0, Vec::len),
        runs.len()
    );
    assert_eq!(report["calls"], calls, "{report}");
    assert_eq!(
        report["answered"], calls,
        "every run in flight is answered: {report}"
    );
    assert_eq!(report["ok"], calls - long, "{report}");
    let cancelled = report["cancelled"].as_array().unwrap();
    assert_eq!(cancelled.len(), long, "{report}");
    for text in cancelled {
        assert!(
            text.as_str()
                .unwrap()
                .contains("skillet serve is shutting down: runs still going after its grace of"),
            "{text}"
        );
    }
    assert_eq!(runs.len(), calls, "{runs:?}");
    assert_eq!(
        (ok_records, cancelled_records),
        (calls - long, long),
        "{runs:?}"
    );
    Shutdown {
        report: report.clone(),
        ok_records,
        cancelled_records,
    }
}

#[test]
fn sigterm_answers_every_run_in_flight_over_http() {
    let env = TestEnv::new();
    env.registry(json!({}));
    let (calls, long) = (16, 2);
    let server = HttpServer::start(&env, &["--max-runs", "16", "--grace-ms", "8000"]);
    let steps = client(
        &env,
        json!({
            "connect": { "transport": "http", "url": server.url },
            "steps": [ { "op": "sigterm", "sessions": 4, "calls": 4, "name": "run_code",
                         "args": { "code": sigterm_run(calls - long), "timeout_ms": 120000 },
                         "markers": env.path(".skillet/workspace/started-$n"), "answerWithinMs": 60000,
                         "pid": server.pid() } ],
        }),
    );
    let status = server.wait();
    assert!(status.success(), "{status}");
    let shutdown = check_shutdown(&env, &steps[0], "HTTP", calls, long);
    assert!(shutdown.report["lost"].as_array().unwrap().is_empty());
    assert_eq!(shutdown.ok_records + shutdown.cancelled_records, calls);
}

#[test]
fn sigterm_answers_every_run_in_flight_over_stdio() {
    let env = TestEnv::new();
    env.registry(json!({}));
    let (calls, long) = (8, 1);
    let steps = client(
        &env,
        json!({
            "connect": stdio(&env, &["--max-runs", "8", "--grace-ms", "8000"]),
            "steps": [ { "op": "sigterm", "sessions": 1, "calls": calls, "name": "run_code",
                         "args": { "code": sigterm_run(calls - long), "timeout_ms": 120000 },
                         "markers": env.path(".skillet/workspace/started-$n"), "answerWithinMs": 60000 } ],
        }),
    );
    let shutdown = check_shutdown(&env, &steps[0], "stdio", calls, long);
    assert!(shutdown.report["lost"].as_array().unwrap().is_empty());
    assert_eq!(shutdown.ok_records + shutdown.cancelled_records, calls);
}
