//! `skillet run` end to end: recorded runs, replay without servers, resume after a failure,
//! the per-run cache, the workspace across runs, output limits.

use serde_json::json;

use crate::support::*;

fn registry_with_samples() -> TestEnv {
    let env = TestEnv::new();
    env.registry(json!({ "docs": sample("docs"), "crm": sample("crm") }));
    env.run(&["gen"]).success();
    env
}

const CHAIN: &str = r#"
import { searchDocuments, getDocument } from "./servers/docs/index.js";
import { findRecords } from "./servers/crm/index.js";

const hits = await searchDocuments({ query: "planning" });
const doc = await getDocument({ id: hits.results[0].id }) as string;
const people = await findRecords({ query: "example.com", type: "contact", limit: 3 });
console.log(`${hits.results.length} hits; first is ${doc.length} chars; ${people.records.length} contacts`);
export default { first: hits.results[0].id };
"#;

#[test]
fn a_run_ends_the_servers_it_started_before_it_exits() {
    let env = TestEnv::new();
    // The docs server, through a shell that writes its pid and execs it (the same pid).
    let pid_file = env.path("server.pid");
    let wrapper = format!(
        "echo $$ > '{}'; exec '{}' sample-server docs",
        pid_file.display(),
        crate::support::BIN
    );
    env.registry(json!({ "docs": { "command": "sh", "args": ["-c", wrapper] } }));
    env.run(&["gen"]).success();
    env.write(
        "one.ts",
        "import { listDocuments } from \"./servers/docs/index.js\";\nexport default (await listDocuments({ limit: 1 })).total;\n",
    );
    let run = env.run(&["run", "one.ts", "--json"]).success().json();
    assert_eq!(run["status"], "ok", "{run}");
    let id = run["run_id"].as_str().unwrap();
    assert!(env.path(&format!(".skillet/runs/{id}/run.json")).is_file());
    let pid = fs_err::read_to_string(&pid_file).unwrap();
    let pid = pid.trim();
    assert!(!pid.is_empty());
    // Ended and waited for: not even a zombie is left.
    assert!(
        !std::path::Path::new(&format!("/proc/{pid}")).exists(),
        "server {pid} outlived the run"
    );
}

#[test]
fn runs_are_recorded_and_replay_needs_no_server() {
    let env = registry_with_samples();
    env.write("chain.ts", CHAIN);
    let first = env.run(&["run", "chain.ts", "--json"]).success().json();
    assert_eq!(first["status"], "ok");
    assert_eq!(first["tool_calls"], 3);
    let id = first["run_id"].as_str().unwrap().to_owned();
    let output = first["output"].as_str().unwrap().to_owned();
    assert!(output.contains("contacts"), "{output}");

    let list = env.run(&["runs", "--json"]).success().json();
    assert_eq!(list[0]["id"], id.as_str());
    let shown = env.run(&["runs", "show", &id[..12]]).success();
    assert!(
        shown.stdout.contains("docs.search_documents"),
        "{}",
        shown.stdout
    );
    let record: serde_json::Value =
        serde_json::from_str(&env.read(&format!(".skillet/runs/{id}/run.json"))).unwrap();
    assert_eq!(record["tool_calls"][1]["tool"], "get_document");
    assert!(record["tool_calls"][1]["duration_ms"].as_f64().is_some());
    assert_eq!(record["limits"]["max_tool_calls"], 1000);

    // No servers at all: the record answers.
    env.write(".mcp.json", r#"{"mcpServers": {}}"#);
    let replay = env
        .run(&["run", "chain.ts", "--replay", &id, "--json"])
        .success()
        .json();
    assert_eq!(replay["output"].as_str().unwrap(), output);
    assert_eq!(replay["result"], first["result"]);
    let replay_id = replay["run_id"].as_str().unwrap();
    let record: serde_json::Value =
        serde_json::from_str(&env.read(&format!(".skillet/runs/{replay_id}/run.json"))).unwrap();
    assert_eq!(record["mode"], "replay");
    assert!(
        record["tool_calls"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["source"] == "record")
    );

    // A script that calls something else diverges, clearly.
    env.write("other.ts", &CHAIN.replace("\"planning\"", "\"budget\""));
    let diverged = env
        .run(&["run", "other.ts", "--replay", &id, "--json"])
        .failure();
    let error = &diverged.json()["error"];
    assert_eq!(error["kind"], "replay", "{error}");
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .contains("call #1 differs from the record"),
        "{error}"
    );
}

#[test]
fn resume_answers_what_succeeded_and_continues_live() {
    let env = registry_with_samples();
    // The crm server is down for the first run.
    env.write(
        ".mcp.json",
        &json!({ "mcpServers": { "docs": sample("docs"), "crm": { "command": "skillet-test-crm-is-down" } } }).to_string(),
    );
    env.write("chain.ts", CHAIN);
    let failed = env.run(&["run", "chain.ts", "--json"]).failure().json();
    assert_eq!(failed["error"]["kind"], "upstream", "{failed}");
    assert!(
        failed["error"]["message"]
            .as_str()
            .unwrap()
            .contains("skillet-test-crm-is-down")
    );
    let id = failed["run_id"].as_str().unwrap().to_owned();

    // Back up, but docs is gone: its answers must come from the record.
    env.write(
        ".mcp.json",
        &json!({ "mcpServers": { "crm": sample("crm") } }).to_string(),
    );
    let resumed = env
        .run(&["run", "--resume", &id, "--json"])
        .success()
        .json();
    assert_eq!(resumed["status"], "ok", "{resumed}");
    let resumed_id = resumed["run_id"].as_str().unwrap();
    let record: serde_json::Value =
        serde_json::from_str(&env.read(&format!(".skillet/runs/{resumed_id}/run.json"))).unwrap();
    let sources: Vec<&str> = record["tool_calls"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["source"].as_str().unwrap())
        .collect();
    assert_eq!(sources, ["record", "record", "live"]);
    assert_eq!(record["source_run"], id.as_str());

    // A resumed script that diverges switches to live calls, with a warning.
    env.write(
        ".mcp.json",
        &json!({ "mcpServers": { "docs": sample("docs"), "crm": sample("crm") } }).to_string(),
    );
    env.write("changed.ts", &CHAIN.replace("\"planning\"", "\"hiring\""));
    let diverged = env
        .run(&["run", "changed.ts", "--resume", &id, "--json"])
        .success();
    assert!(
        diverged.stderr.contains("resume diverged from the record"),
        "{}",
        diverged.stderr
    );
}

/// Three calls at once; the middle one's id is `ID`.
const PARALLEL: &str = r#"
import { listDocuments, getDocument } from "./servers/docs/index.js";
const settled = await Promise.allSettled([
  listDocuments({}),
  getDocument({ id: ID } as any),
  getDocument({ id: "meet-2025-q3-planning-call" }),
]);
console.log(settled.map((s) => s.status === "fulfilled" ? "ok" : s.reason.kind).join(" "));
"#;

#[test]
fn a_resumed_run_answers_from_the_record_or_checks_and_sends() {
    let env = registry_with_samples();
    // The middle call is refused before it is sent, so the record has calls #1 and #3 only.
    env.write("first.ts", &PARALLEL.replace("ID", "7"));
    let first = env.run(&["run", "first.ts", "--json"]).success().json();
    assert_eq!(first["output"], "ok tool_argument ok\n", "{first}");
    let id = first["run_id"].as_str().unwrap().to_owned();

    // Now get_document is denied. Resumed with the middle call fixed: the record has no
    // answer for it, so it goes live, and is checked (denied); the third, which the record
    // answers, is not sent at all. (A call the record was thought to answer once went live
    // unchecked here.) A call missing from the record is no divergence.
    env.write(
        "skillet.toml",
        "[[privacy.tools]]\ntool = \"docs.get_document\"\npolicy = \"deny\"\n",
    );
    env.write(
        "second.ts",
        &PARALLEL.replace("ID", "\"meet-2025-q3-planning-call\""),
    );
    let resumed = env
        .run(&["run", "second.ts", "--resume", &id, "--json"])
        .success();
    assert!(!resumed.stderr.contains("diverged"), "{}", resumed.stderr);
    let resumed = resumed.json();
    assert_eq!(resumed["output"], "ok denied ok\n", "{resumed}");
    let resumed_id = resumed["run_id"].as_str().unwrap();
    let record: serde_json::Value =
        serde_json::from_str(&env.read(&format!(".skillet/runs/{resumed_id}/run.json"))).unwrap();
    let calls: Vec<(String, String)> = record["tool_calls"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["source"].as_str().unwrap().to_owned(),
                c["error"]["kind"].as_str().unwrap_or("-").to_owned(),
            )
        })
        .collect();
    assert_eq!(
        calls,
        [
            ("record".into(), "-".into()),
            ("live".into(), "denied".into()),
            ("record".into(), "-".into())
        ]
    );

    // A call that differs from the record's is a divergence: it and every call after it go
    // live and are checked, though the record holds an answer for the third.
    env.write(
        "third.ts",
        &PARALLEL
            .replace("listDocuments({})", "listDocuments({ folder: \"hr\" })")
            .replace("ID", "\"meet-2025-q3-planning-call\""),
    );
    let diverged = env
        .run(&["run", "third.ts", "--resume", &id, "--json"])
        .success();
    assert!(
        diverged.stderr.contains("resume diverged"),
        "{}",
        diverged.stderr
    );
    assert_eq!(diverged.json()["output"], "ok denied denied\n");
}

#[test]
fn a_resumed_run_cannot_send_personal_data_the_record_only_holds_as_tokens() {
    let env = registry_with_samples();
    env.write(
        ".mcp.json",
        &json!({ "mcpServers": { "docs": sample("docs"), "crm": { "command": "skillet-test-crm-is-down" } } }).to_string(),
    );
    env.write(
        "lookup.ts",
        r#"import { getDocument } from "./servers/docs/index.js";
import { findRecords } from "./servers/crm/index.js";
const doc = (await getDocument({ id: "meet-2025-q3-planning-call" })) as string;
const email = doc.match(/\[EMAIL_\d+\]/)![0];
const found = await findRecords({ query: email, type: "contact" });
console.log(found.records.length);
"#,
    );
    let failed = env.run(&["run", "lookup.ts", "--json"]).failure().json();
    assert_eq!(failed["error"]["kind"], "upstream", "{failed}");
    let id = failed["run_id"].as_str().unwrap().to_owned();

    // The record holds the transcript with tokens only: the address behind `[EMAIL_1]` is
    // gone, and the CRM must not be asked for the literal text `[EMAIL_1]`.
    env.write(
        ".mcp.json",
        &json!({ "mcpServers": { "docs": sample("docs"), "crm": sample("crm") } }).to_string(),
    );
    let resumed = env
        .run(&["run", "--resume", &id, "--json"])
        .failure()
        .json();
    assert_eq!(resumed["error"]["kind"], "replay", "{resumed}");
    let message = resumed["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("crm.find_records carry [EMAIL_"),
        "{message}"
    );
    assert!(message.contains("without --resume"), "{message}");
    // Run again from the start, the same script works.
    let fresh = env.run(&["run", "lookup.ts", "--json"]).success().json();
    assert_eq!(fresh["output"], "1\n", "{fresh}");
}

#[test]
fn a_call_still_waiting_for_its_server_when_the_run_ends_is_recorded_and_audited() {
    let env = registry_with_samples();
    // A server that never answers `initialize`: the call waits for it to start.
    env.write(
        ".mcp.json",
        &json!({ "mcpServers": { "mute": { "command": "sleep", "args": ["30"] } } }).to_string(),
    );
    env.write("wait.ts", "await callMCPTool('mute', 'anything', {});\n");
    let failed = env
        .run(&["run", "wait.ts", "--timeout-ms", "1000", "--json"])
        .failure()
        .json();
    assert_eq!(failed["error"]["kind"], "timeout", "{failed}");
    let id = failed["run_id"].as_str().unwrap();
    let record: serde_json::Value =
        serde_json::from_str(&env.read(&format!(".skillet/runs/{id}/run.json"))).unwrap();
    let call = &record["tool_calls"][0];
    assert_eq!(call["tool"], "anything", "{record}");
    assert_eq!(call["error"]["kind"], "abandoned", "{record}");
    let audit = env.run(&["audit", "--run", id, "--json"]).success().json();
    assert_eq!(audit.as_array().map(Vec::len), Some(1), "{audit}");
    assert_eq!(audit[0]["decision"], "undecided", "{audit}");
    assert_eq!(audit[0]["outcome"], "abandoned", "{audit}");
}

#[test]
fn old_run_records_are_pruned_by_count_and_age() {
    let env = registry_with_samples();
    env.write("hello.ts", "console.log('hi');\n");
    for _ in 0..3 {
        env.run(&["run", "hello.ts"]).success();
    }
    let ids = |env: &TestEnv| -> Vec<String> {
        env.run(&["runs", "--json"])
            .success()
            .json()
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["id"].as_str().unwrap().to_owned())
            .collect()
    };
    let all = ids(&env);
    assert_eq!(all.len(), 3);

    // The folder of a run whose saving was killed (no run.json) goes once it is old; a young
    // one may be a save under way, and stays.
    env.write(".skillet/runs/20200101-000000000-abcd/script.ts", "x");
    env.write(".skillet/runs/29990101-000000000-abcd/script.ts", "x");
    env.write(".skillet/runs/notes/keep.txt", "mine");

    // Saying nothing of what to prune is a usage error, and removes nothing.
    let bare = env.run(&["runs", "prune"]);
    assert_eq!(bare.status.code(), Some(2), "{}", bare.stderr);
    let dry = env
        .run(&["runs", "prune", "--keep", "1", "--dry-run", "--json"])
        .success()
        .json();
    assert_eq!(dry["removed"], json!(all[..2]));
    assert_eq!(ids(&env), all);

    let pruned = env.run(&["runs", "prune", "--keep", "1"]).success();
    assert!(
        pruned.stdout.contains("removed 2 run record(s)"),
        "{}",
        pruned.stdout
    );
    assert_eq!(ids(&env), all[2..]);
    assert!(!env.path(".skillet/runs/20200101-000000000-abcd").exists());
    assert!(env.path(".skillet/runs/29990101-000000000-abcd").exists());
    assert!(env.path(".skillet/runs/notes/keep.txt").exists());
    // An age keeps what is younger; a time in the future takes everything.
    env.run(&["runs", "prune", "--older-than", "1d"]).success();
    assert_eq!(ids(&env), all[2..]);
    env.run(&["runs", "prune", "--older-than", "2999-01-01"])
        .success();
    assert!(ids(&env).is_empty());
    let bad = env
        .run(&["runs", "prune", "--older-than", "soon"])
        .failure();
    assert!(bad.stderr.contains("--older-than"), "{}", bad.stderr);

    // run.keep_runs prunes as runs are recorded (at a process's first run, among others).
    env.settings("[run]\nkeep_runs = 2\n");
    for _ in 0..3 {
        env.run(&["run", "hello.ts"]).success();
    }
    assert_eq!(ids(&env).len(), 2);
}

#[test]
fn read_only_calls_are_cached_within_a_run_and_the_workspace_persists() {
    let env = registry_with_samples();
    env.write(
        "twice.ts",
        r#"import { listDocuments } from "./servers/docs/index.js";
const a = await listDocuments({ folder: "hr" });
const b = await listDocuments({ folder: "hr" });
fs.mkdir("./workspace/state", { recursive: true });
fs.writeFile("./workspace/state/count.json", JSON.stringify({ count: a.total + b.total }));
"#,
    );
    let run = env.run(&["run", "twice.ts", "--json"]).success().json();
    let id = run["run_id"].as_str().unwrap();
    let record: serde_json::Value =
        serde_json::from_str(&env.read(&format!(".skillet/runs/{id}/run.json"))).unwrap();
    let sources: Vec<&str> = record["tool_calls"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["source"].as_str().unwrap())
        .collect();
    assert_eq!(sources, ["live", "cache"]);
    assert_eq!(
        env.read(".skillet/workspace/state/count.json"),
        r#"{"count":6}"#
    );

    env.write("read.ts", r#"const s = JSON.parse(fs.readFile("./workspace/state/count.json")); export default s.count * 2;"#);
    let second = env.run(&["run", "read.ts", "--json"]).success().json();
    assert_eq!(second["result"], 12);
}

#[test]
fn long_output_is_cut_with_a_marker_and_kept_whole_in_the_record() {
    let env = registry_with_samples();
    env.write(
        "loud.ts",
        "for (let i = 0; i < 2000; i++) console.log(`line ${i}`);",
    );
    let run = env
        .run(&["run", "loud.ts", "--max-output-bytes", "100", "--json"])
        .success()
        .json();
    assert_eq!(run["truncated"], true);
    let shown = run["output"].as_str().unwrap();
    assert!(shown.starts_with("line 0\nline 1\n"), "{shown}");
    assert!(shown.contains("\n… [cut at 100 of "), "{shown}");
    assert!(
        shown.ends_with(&format!(
            "the whole is in the run record .skillet/runs/{}/: `skillet runs show {}`]\n",
            run["run_id"].as_str().unwrap(),
            run["run_id"].as_str().unwrap()
        )),
        "{shown}"
    );
    assert!(shown.len() < 300, "{shown}");
    let id = run["run_id"].as_str().unwrap();
    assert!(
        env.read(&format!(".skillet/runs/{id}/output.txt"))
            .contains("line 1999\n")
    );

    // stdin works too, and a failing script exits 1 with the kind and position.
    let mut child = env
        .command(&["run", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write as _;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"const x: number = 1;\nthrow new TypeError(`no ${x}`);\n")
        .unwrap();
    let out: Run = child.wait_with_output().unwrap().into();
    assert_eq!(out.code(), 1);
    assert!(
        out.stderr.contains("runtime error at stdin.ts:2"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("TypeError: no 1"), "{}", out.stderr);
}

#[test]
fn the_deadline_covers_time_spent_waiting_on_tools() {
    let env = TestEnv::new();
    let marker = marker("deadline");
    env.registry(json!({ "quirky": quirky("normal", &marker) }));
    env.run(&["gen"]).success();
    env.write(
        "wait.ts",
        "import { slow } from './servers/quirky/index.js';\ntry { await slow({ seconds: 30 }); } catch (e) { fs.writeFile('./workspace/late.txt', String(e)); await slow({ seconds: 1 }); }\n",
    );
    let started = std::time::Instant::now();
    let run = env
        .run(&["run", "wait.ts", "--timeout-ms", "800", "--json"])
        .failure()
        .json();
    assert_eq!(run["error"]["kind"], "timeout", "{run}");
    assert!(started.elapsed() < std::time::Duration::from_secs(10));
    // The script caught its timeout: past the deadline it can neither write nor call.
    assert!(!env.path(".skillet/workspace/late.txt").exists());
    let id = run["run_id"].as_str().unwrap();
    let record: serde_json::Value =
        serde_json::from_str(&env.read(&format!(".skillet/runs/{id}/run.json"))).unwrap();
    assert_eq!(
        record["tool_calls"].as_array().unwrap().len(),
        1,
        "{record}"
    );
    // The same run again behaves the same: nothing carried over.
    env.write("ok.ts", "import { echo } from './servers/quirky/index.js';\nexport default await echo({ message: 'fine' });\n");
    assert_eq!(
        env.run(&["run", "ok.ts", "--json"]).success().json()["result"],
        "fine"
    );
    assert!(
        processes_with(&marker).is_empty(),
        "{:?}",
        processes_with(&marker)
    );
}

/// A timer set for after the deadline never fires: the run ends `timeout` at the deadline and
/// the code after the wait neither prints nor writes.
#[test]
fn a_timer_due_after_the_deadline_ends_the_run_with_timeout() {
    let env = TestEnv::new();
    env.registry(json!({}));
    env.write(
        "sleepy.ts",
        "console.log('before');\nawait new Promise(r => setTimeout(r, 1e9));\nconsole.log('after');\nfs.writeFile('./workspace/after.txt', 'ran');\nexport default 'done';\n",
    );
    let run = env
        .run(&["run", "sleepy.ts", "--timeout-ms", "1000", "--json"])
        .failure()
        .json();
    assert_eq!(run["status"], "error", "{run}");
    assert_eq!(run["error"]["kind"], "timeout", "{run}");
    assert_eq!(run["output"], "before\n", "{run}");
    assert_eq!(run["result"], serde_json::Value::Null, "{run}");
    assert!(!env.path(".skillet/workspace/after.txt").exists());
}

/// Everything that goes back to the model is cut by one rule: a 3 MB thrown error and a 2.2 MB
/// default export come back cut with the marker; the run record keeps them whole.
#[test]
fn a_huge_error_or_default_export_comes_back_cut_and_the_record_keeps_it_whole() {
    let env = TestEnv::new();
    env.registry(json!({}));
    let marker = |id: &str| {
        format!("the whole is in the run record .skillet/runs/{id}/: `skillet runs show {id}`]")
    };
    let limit = 24 * 1024; // the default max_output_bytes

    env.write(
        "throws.ts",
        "console.log('start');\nthrow new Error('é'.repeat(1024 * 1024) + 'x'.repeat(1024 * 1024) + 'END');\n",
    );
    let run = env.run(&["run", "throws.ts", "--json"]).failure();
    assert!(
        run.stdout.len() < 2 * limit,
        "{} bytes on stdout",
        run.stdout.len()
    );
    let run = run.json();
    let id = run["run_id"].as_str().unwrap();
    assert_eq!(run["truncated"], true);
    assert_eq!(run["error"]["kind"], "runtime");
    let message = run["error"]["message"].as_str().unwrap();
    assert!(message.starts_with("éé"), "{}", &message[..20]);
    assert!(message.len() < limit + 300, "{} bytes", message.len());
    assert!(
        message.ends_with(&format!(
            "\n… [cut at 24,576 of 3,145,731 bytes; {}",
            marker(id)
        )),
        "{}",
        &message[message.len() - 200..]
    );
    let record: serde_json::Value =
        serde_json::from_str(&env.read(&format!(".skillet/runs/{id}/run.json"))).unwrap();
    let whole = record["error"]["message"].as_str().unwrap();
    assert_eq!(whole.len(), 3 * 1024 * 1024 + 3);
    assert!(whole.ends_with("xEND"));
    // Without --json, stderr carries the same cut message.
    let plain = env.run(&["run", "throws.ts"]).failure();
    assert!(
        plain.stderr.len() < 2 * limit,
        "{} bytes on stderr",
        plain.stderr.len()
    );
    assert!(
        plain.stderr.contains("… [cut at 24,576 of 3,145,731 bytes"),
        "{}",
        plain.stderr
    );

    env.write(
        "exports.ts",
        "export default { rows: Array.from({ length: 20000 }, (_, i) => ({ i, text: 'y'.repeat(100) })) };\n",
    );
    let run = env.run(&["run", "exports.ts", "--json"]).success();
    assert!(
        run.stdout.len() < 2 * limit,
        "{} bytes on stdout",
        run.stdout.len()
    );
    let run = run.json();
    let id = run["run_id"].as_str().unwrap();
    assert_eq!(run["truncated"], true);
    let shown = run["result"].as_str().unwrap();
    assert!(
        shown.starts_with("{\"rows\":[{\"i\":0,"),
        "{}",
        &shown[..40]
    );
    assert!(
        shown.contains("\n… [cut at 24,576 of "),
        "{}",
        &shown[shown.len() - 200..]
    );
    assert!(shown.ends_with(&marker(id)));
    let record: serde_json::Value =
        serde_json::from_str(&env.read(&format!(".skillet/runs/{id}/run.json"))).unwrap();
    let rows = record["result"]["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 20000);
    assert!(serde_json::to_string(&record["result"]).unwrap().len() > 2_200_000);
    let plain = env.run(&["run", "exports.ts"]).success();
    assert!(
        plain.stdout.len() < 2 * limit,
        "{} bytes on stdout",
        plain.stdout.len()
    );
    assert!(
        plain.stdout.ends_with("`]\n"),
        "{}",
        &plain.stdout[plain.stdout.len() - 100..]
    );

    // A small one is returned as it is.
    env.write("small.ts", "export default { rows: [1, 2] };\n");
    let run = env.run(&["run", "small.ts", "--json"]).success().json();
    assert_eq!(run["result"], json!({ "rows": [1, 2] }));
    assert_eq!(run["truncated"], false);
}

/// A damaged run record is named, with what is wrong and how to get past it, by every command
/// that reads it; `skillet runs` lists the others.
#[test]
fn a_corrupt_run_record_gets_an_error_naming_the_file_with_a_hint() {
    let env = TestEnv::new();
    env.registry(json!({}));
    env.write("ok.ts", "console.log('fine');\n");
    let good = env.run(&["run", "ok.ts", "--json"]).success().json();
    let bad = env.run(&["run", "ok.ts", "--json"]).success().json();
    let id = bad["run_id"].as_str().unwrap();
    let file = format!(".skillet/runs/{id}/run.json");
    env.write(&file, "{ \"id\": \"truncated");
    let dir = env.path(&format!(".skillet/runs/{id}"));
    let says = |out: &Run| {
        assert_eq!(out.code(), 1, "{}", out.stderr);
        assert!(
            out.stderr.contains(&format!(
                "the record of run `{id}` is unreadable: {}/run.json: ",
                dir.display()
            )),
            "{}",
            out.stderr
        );
        assert!(out.stderr.contains("line 1 column"), "{}", out.stderr);
        assert!(out.stderr.contains(&format!("hint: the run cannot be shown, replayed, resumed or saved; remove its folder (`rm -r {}`)", dir.display())), "{}", out.stderr);
    };
    says(&env.run(&["run", "ok.ts", "--replay", id]));
    says(&env.run(&["run", "--resume", id]));
    says(&env.run(&["runs", "show", id]));
    says(&env.run(&[
        "save",
        "--run",
        id,
        "--name",
        "fine",
        "--description",
        "Prints fine",
    ]));
    // The listing goes on without it, and says why.
    let list = env.run(&["runs", "--json"]).success();
    let ids: Vec<String> = list
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids, [good["run_id"].as_str().unwrap()]);
    assert!(
        list.stderr.contains(&format!("{}/run.json", dir.display())),
        "{}",
        list.stderr
    );
    assert!(list.stderr.contains("hint: "), "{}", list.stderr);
    // A record whose script was lost says so too.
    fs_err::remove_file(env.path(&format!(
        ".skillet/runs/{}/script.ts",
        good["run_id"].as_str().unwrap()
    )))
    .unwrap();
    let out = env.run(&["run", "--resume", good["run_id"].as_str().unwrap()]);
    assert_eq!(out.code(), 1);
    assert!(out.stderr.contains("script.ts: "), "{}", out.stderr);
    // Removing the folder, as the hint says, clears it.
    fs_err::remove_dir_all(&dir).unwrap();
    env.run(&["runs"]).success();
}

#[test]
fn the_token_report_is_counted_when_someone_reads_it() {
    let env = registry_with_samples();
    env.write("chain.ts", CHAIN);
    let id = env.run(&["run", "chain.ts", "--json"]).success().json()["run_id"]
        .as_str()
        .unwrap()
        .to_owned();
    // The run itself counts nothing: its record keeps what counting needs.
    let saved: serde_json::Value =
        serde_json::from_str(&env.read(&format!(".skillet/runs/{id}/run.json"))).unwrap();
    assert!(saved.get("tokens").is_none(), "{saved}");
    assert!(saved["tokens_basis"]["catalog"].is_string(), "{saved}");

    let shown = env.run(&["runs", "show", &id]).success();
    assert!(shown.stdout.contains("tokens: "), "{}", shown.stdout);
    let tokens =
        env.run(&["runs", "show", &id, "--json"]).success().json()["record"]["tokens"].clone();
    assert_eq!(tokens["tools_used"], 3, "{tokens}");
    assert!(tokens["passed_through"].as_u64().unwrap() > 0, "{tokens}");
    assert!(tokens["used_definitions"].as_u64().unwrap() > 0, "{tokens}");
    assert!(tokens.get("estimated").is_none(), "{tokens}");

    // Counted against a catalog other than the one the run saw: marked as an estimate.
    let catalog = env.read(".skillet/tools.json");
    env.write(".skillet/tools.json", &format!("{catalog}\n"));
    let tokens =
        env.run(&["runs", "show", &id, "--json"]).success().json()["record"]["tokens"].clone();
    assert_eq!(tokens["estimated"], true, "{tokens}");
    let shown = env.run(&["runs", "show", &id]).success();
    assert!(
        shown.stdout.contains("would take about "),
        "{}",
        shown.stdout
    );
}
