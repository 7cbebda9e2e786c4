//! `skillet serve` driven by a real MCP client (the official TypeScript SDK, pinned in
//! tests/node) over stdio and streamable HTTP, against real upstream servers, plus faults:
//! upstreams that crash, hang or never start, a client that leaves mid-run, many sessions.

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::process::{Child, Stdio};

use serde_json::{Value, json};

use crate::support::*;

/// Runs the SDK client with `plan` (see tests/node/mcp-client.mjs) and returns its step results.
#[track_caller]
fn client(env: &TestEnv, plan: Value) -> Vec<Value> {
    mcp_client(env, &plan).0
}

fn stdio(env: &TestEnv, extra: &[&str]) -> Value {
    let mut args = vec!["serve"];
    args.extend_from_slice(extra);
    json!({
        "transport": "stdio",
        "command": BIN,
        "args": args,
        "cwd": env.work(),
        "env": { "NO_COLOR": "1", "HOME": env.tmp.path().join("home") },
    })
}

fn call(name: &str, args: Value) -> Value {
    json!({ "op": "call", "name": name, "args": args })
}

#[track_caller]
fn ok_text(step: &Value) -> &str {
    assert_eq!(step["isError"], false, "{step}");
    step["text"].as_str().unwrap()
}

/// The run id from a run_code answer's last line: `[run <id> ok in ...]`.
fn run_id(text: &str) -> String {
    text.rsplit("[run ")
        .next()
        .and_then(|rest| rest.split(' ').next())
        .unwrap()
        .to_owned()
}

fn reference_servers(env: &TestEnv) {
    env.registry(json!({
        "everything": { "command": node_bin("mcp-server-everything").to_string_lossy() },
        "memory": {
            "command": node_bin("mcp-server-memory").to_string_lossy(),
            "env": { "MEMORY_FILE_PATH": env.path("memory.jsonl").to_string_lossy() },
        },
    }));
}

const WORKFLOW: &str = r#"import { echo } from "./servers/everything/index.js";
import { createEntities, readGraph } from "./servers/memory/index.js";

const echoes = await Promise.all(["a", "b", "c"].map((m) => echo({ message: m })));
await createEntities({ entities: [{ name: "skillet", entityType: "project", observations: ["serves code mode"] }] });
const graph = await readGraph({});
console.log(`${echoes.length} echoes; memory holds ${graph.entities.length} entity: ${graph.entities[0].name}`);
"#;

#[test]
fn a_real_client_over_stdio_searches_reads_runs_saves_and_finds() {
    let env = TestEnv::new();
    reference_servers(&env);
    // No `skillet gen` first: the server generates the API on first need.
    let steps = client(
        &env,
        json!({
            "connect": stdio(&env, &[]),
            "steps": [
                { "op": "listTools" },
                call("search_tools", json!({ "query": "echo back a message", "limit": 3 })),
                call("list_files", json!({ "path": "servers/" })),
                call("read_file", json!({ "path": "servers/everything/echo.ts" })),
                call("search_tools", json!({ "query": "knowledge graph entities", "detail": "name" })),
                call("run_code", json!({ "code": WORKFLOW })),
                call("read_file", json!({ "path": "../skillet.toml" })),
                call("run_code", json!({ "code": "const x: number = ;" })),
            ],
        }),
    );
    let tools = &steps[0]["tools"];
    insta::assert_json_snapshot!("served_tools", tools);

    let search = ok_text(&steps[1]);
    assert!(search.starts_with("everything.echo: "), "{search}");
    assert!(
        search.contains("import { echo } from \"./servers/everything/index.js\";"),
        "{search}"
    );
    assert!(
        search.contains("echo(input: { message: string }): Promise<"),
        "{search}"
    );
    let listing = ok_text(&steps[2]);
    assert!(listing.contains("servers/everything/\n"), "{listing}");
    assert!(listing.contains("servers/memory/"), "{listing}");
    assert!(ok_text(&steps[3]).contains("export function echo("));
    assert!(
        ok_text(&steps[4]).contains("memory.create_entities: servers/memory/createEntities.ts")
    );

    let run = ok_text(&steps[5]);
    assert!(
        run.starts_with("3 echoes; memory holds 1 entity: [NAME_1]\n[run "),
        "{run}"
    );
    assert!(run.contains(" ok in "), "{run}");
    assert!(run.contains("tokens here vs"), "{run}");
    // Errors are tool results with isError and an actionable message, not protocol errors.
    assert_eq!(steps[6]["isError"], true);
    assert!(
        steps[6]["text"]
            .as_str()
            .unwrap()
            .contains("outside the tree"),
        "{}",
        steps[6]
    );
    assert_eq!(steps[7]["isError"], true);
    let syntax = steps[7]["text"].as_str().unwrap();
    assert!(
        syntax.contains("error (syntax) at run_code.ts:1:"),
        "{syntax}"
    );

    // The run is recorded with its token report, and `runs show` prints it.
    let id = run_id(run);
    let shown = env.run(&["runs", "show", &id]).success();
    assert!(shown.stdout.contains("tokens: "), "{}", shown.stdout);
    let record = env.run(&["runs", "show", &id, "--json"]).success().json()["record"].clone();
    assert!(
        record["tokens"]["passed_through"].as_u64().unwrap() > 0,
        "{record}"
    );
    assert_eq!(record["tokens"]["tools_used"], 3);

    // A second session: save the run as a skill, find it, read it as a tool and a resource.
    let steps = client(
        &env,
        json!({
            "connect": stdio(&env, &[]),
            "steps": [
                call("save_skill", json!({
                    "run_id": id,
                    "name": "remember-the-project",
                    "description": "Echo three letters and store the project in the memory graph. Use to check the servers answer.",
                    "tags": ["demo"],
                })),
                call("search_skills", json!({ "query": "store project in memory graph" })),
                call("read_skill", json!({ "name": "remember-the-project" })),
                { "op": "listResources" },
                { "op": "readResource", "uri": "skill://remember-the-project/SKILL.md" },
                { "op": "listTemplates" },
                call("save_skill", json!({ "run_id": "nope", "name": "x-y", "description": "d" })),
            ],
        }),
    );
    assert!(ok_text(&steps[0]).starts_with("saved skill `remember-the-project` v1"));
    // Its recording holds tokens, and replays to the same output.
    let recording = env.read("skills/remember-the-project/tests/recording.json");
    assert!(
        recording.contains("[NAME_1]") && recording.contains("\"tokenized\": true"),
        "{recording}"
    );
    let tested = env.run(&["test", "remember-the-project"]).success();
    assert!(tested.stdout.contains("1 passed"), "{}", tested.stdout);
    assert!(
        ok_text(&steps[1]).starts_with("remember-the-project v1: "),
        "{}",
        steps[1]
    );
    let read = ok_text(&steps[2]);
    assert!(
        read.contains("skills/remember-the-project/SKILL.md"),
        "{read}"
    );
    assert!(read.contains("name: remember-the-project"), "{read}");
    // The registry asks for one reviewer's signature: an unsigned skill is marked.
    assert!(
        read.starts_with("review: NOT REVIEWED (0 of 1 required signatures)"),
        "{read}"
    );
    let uris: Vec<&str> = steps[3]["resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["uri"].as_str().unwrap())
        .collect();
    assert!(
        uris.contains(&"skill://remember-the-project/SKILL.md"),
        "{uris:?}"
    );
    assert!(uris.iter().any(|u| u.ends_with(".ts")), "{uris:?}");
    let contents = &steps[4]["contents"][0];
    assert_eq!(contents["mimeType"], "text/markdown");
    assert!(
        contents["text"]
            .as_str()
            .unwrap()
            .contains("description: Echo three letters")
    );
    assert_eq!(
        steps[5]["resourceTemplates"][0]["uriTemplate"],
        "skill://{name}/SKILL.md"
    );
    assert_eq!(steps[6]["isError"], true, "{}", steps[6]);
}

/// A spawned `skillet serve --http`, ended with SIGTERM on drop.
struct HttpServer {
    child: Child,
    url: String,
}

impl HttpServer {
    fn start(env: &TestEnv, extra: &[&str]) -> Self {
        let mut args = vec!["serve", "--http", "127.0.0.1:0"];
        args.extend_from_slice(extra);
        let mut child = env
            .command(&args)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stderr = BufReader::new(child.stderr.take().unwrap());
        let mut line = String::new();
        let url = loop {
            line.clear();
            assert!(
                stderr.read_line(&mut line).unwrap() > 0,
                "serve exited before listening"
            );
            if let Some(url) = line
                .trim()
                .strip_prefix("skillet serve: MCP over streamable HTTP at ")
            {
                break url.to_owned();
            }
        };
        std::thread::spawn(move || for _ in stderr.lines() {});
        Self { child, url }
    }

    /// Sends SIGTERM and waits for a clean exit.
    fn stop(mut self) -> std::process::ExitStatus {
        nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(self.child.id() as i32),
            nix::sys::signal::Signal::SIGTERM,
        )
        .unwrap();
        self.child.wait().unwrap()
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Waits for the server to exit (after a signal someone else sent).
    fn wait(mut self) -> std::process::ExitStatus {
        self.child.wait().unwrap()
    }

    /// A raw HTTP request to /mcp; returns the status code, the headers (lowercase names) and
    /// the body.
    fn request(
        &self,
        method: &str,
        headers: &[(&str, &str)],
        body: &str,
    ) -> (u16, Vec<(String, String)>, String) {
        let addr = self
            .url
            .trim_start_matches("http://")
            .trim_end_matches("/mcp");
        let mut stream = std::net::TcpStream::connect(addr).unwrap();
        let mut request = format!(
            "{method} /mcp HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream\r\nContent-Length: {}\r\nConnection: close\r\n",
            body.len()
        );
        for (k, v) in headers {
            request.push_str(&format!("{k}: {v}\r\n"));
        }
        request.push_str("\r\n");
        request.push_str(body);
        stream.write_all(request.as_bytes()).unwrap();
        let mut response = String::new();
        let _ = stream.read_to_string(&mut response);
        let (head, body) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
        let mut lines = head.lines();
        let status = lines
            .next()
            .and_then(|l| l.split(' ').nth(1))
            .and_then(|c| c.parse().ok())
            .unwrap_or(0);
        let headers = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
            .collect();
        (status, headers, body.to_owned())
    }

    /// A raw POST to /mcp with the given headers; returns the status code.
    fn post_status(&self, headers: &[(&str, &str)]) -> u16 {
        let addr = self
            .url
            .trim_start_matches("http://")
            .trim_end_matches("/mcp");
        let mut stream = std::net::TcpStream::connect(addr).unwrap();
        let body = r#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#;
        let mut request = format!(
            "POST /mcp HTTP/1.1\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream\r\nContent-Length: {}\r\nConnection: close\r\n",
            body.len()
        );
        if !headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("host")) {
            request.push_str(&format!("Host: {addr}\r\n"));
        }
        for (k, v) in headers {
            request.push_str(&format!("{k}: {v}\r\n"));
        }
        request.push_str("\r\n");
        request.push_str(body);
        stream.write_all(request.as_bytes()).unwrap();
        let mut response = String::new();
        let _ = stream.read_to_string(&mut response);
        response
            .split(' ')
            .nth(1)
            .and_then(|c| c.parse().ok())
            .unwrap_or(0)
    }
}

impl Drop for HttpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn a_real_client_over_http_with_a_token_and_host_checks() {
    let env = TestEnv::new();
    reference_servers(&env);
    env.run(&["gen"]).success();
    let server = HttpServer::start(&env, &["--token", "s3cret"]);
    let steps = client(
        &env,
        json!({
            "connect": { "transport": "http", "url": server.url, "token": "s3cret" },
            "steps": [
                { "op": "listTools" },
                call("search_tools", json!({ "query": "echo", "limit": 1 })),
                call("run_code", json!({ "code": WORKFLOW })),
            ],
        }),
    );
    assert_eq!(steps[0]["tools"].as_array().unwrap().len(), 7);
    assert!(ok_text(&steps[1]).starts_with("everything.echo: "));
    assert!(
        ok_text(&steps[2]).starts_with("3 echoes; memory holds 1 entity"),
        "{}",
        steps[2]
    );

    assert_eq!(server.post_status(&[]), 401, "no token");
    assert_eq!(
        server.post_status(&[("Authorization", "Bearer wrong")]),
        401
    );
    assert_eq!(
        server.post_status(&[
            ("Authorization", "Bearer s3cret"),
            ("Host", "evil.example:80")
        ]),
        403,
        "a foreign Host header (DNS rebinding)"
    );
    assert_eq!(
        server.post_status(&[
            ("Authorization", "Bearer s3cret"),
            ("Origin", "https://evil.example")
        ]),
        403,
        "a foreign Origin"
    );
    // Closing a session (DELETE) is answered 200, which clients take for success (the Python
    // SDK warns on anything but 200 and 204; rmcp alone says 202).
    let auth = ("Authorization", "Bearer s3cret");
    let initialize = json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "raw", "version": "0"}}});
    let (status, headers, body) = server.request("POST", &[auth], &initialize.to_string());
    assert_eq!(status, 200, "{body}");
    let session = headers
        .iter()
        .find(|(k, _)| k == "mcp-session-id")
        .map(|(_, v)| v.clone())
        .unwrap_or_else(|| panic!("no session id: {headers:?}"));
    let version = ("MCP-Protocol-Version", "2025-11-25");
    let session_header = ("Mcp-Session-Id", session.as_str());
    let (status, _, body) = server.request("DELETE", &[auth, version, session_header], "");
    assert_eq!((status, body.as_str()), (200, ""), "closing a session");
    let ping = json!({"jsonrpc": "2.0", "id": 2, "method": "ping"}).to_string();
    let (status, _, _) = server.request("POST", &[auth, version, session_header], &ping);
    assert_eq!(status, 404, "the closed session is gone");
    let status = server.stop();
    assert!(
        status.success(),
        "serve did not exit cleanly on SIGTERM: {status}"
    );

    // SIGTERM with a run in flight: after the grace, the run is cancelled and recorded.
    let server = HttpServer::start(&env, &["--token", "s3cret", "--grace-ms", "300"]);
    let steps = client(
        &env,
        json!({
            "connect": { "transport": "http", "url": server.url, "token": "s3cret" },
            "steps": [ { "op": "callAndLeave", "name": "run_code", "afterMs": 500,
                         "args": { "code": "console.log('working'); while (true) {}", "timeout_ms": 120000 } } ],
        }),
    );
    assert_eq!(steps[0]["left"], true);
    let status = server.stop();
    assert!(status.success(), "{status}");
    let runs = env.run(&["runs", "--json"]).success().json();
    let last = runs.as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["error_kind"], "cancelled", "{runs}");

    // Beyond loopback, a token is required.
    let refused = env.run(&["serve", "--http", "0.0.0.0:0"]).failure();
    assert!(
        refused.stderr.contains("needs a bearer token"),
        "{}",
        refused.stderr
    );
}

#[test]
fn broken_upstreams_never_break_the_server() {
    let env = TestEnv::new();
    let marker = marker("serve-faults");
    env.registry(json!({
        "quirky": quirky("normal", &marker),
        "ghost": { "command": "/nonexistent/mcp-server" },
        "everything": { "command": node_bin("mcp-server-everything").to_string_lossy() },
    }));
    env.settings("[upstream]\ncall_timeout_ms = 1500\n");
    env.run(&["gen"]).failure(); // ghost cannot start; the others are generated
    let steps = client(
        &env,
        json!({
            "connect": stdio(&env, &[]),
            "steps": [
                // A server that crashes mid-call: the run fails with `upstream`...
                call("run_code", json!({ "code": "import { crash } from './servers/quirky/index.js';\nawait crash({});" })),
                // ...and the next run gets a restarted server.
                call("run_code", json!({ "code": "import { echo } from './servers/quirky/index.js';\nconsole.log(await echo({ message: 'back again' }));" })),
                // A tool that hangs hits the call timeout while another server answers.
                call("run_code", json!({ "code": "import { slow } from './servers/quirky/index.js';\nimport { echo } from './servers/everything/index.js';\nconst [a, b] = await Promise.allSettled([slow({ seconds: 60 }), echo({ message: 'still here' })]);\nconsole.log(a.status, a.status === 'rejected' ? a.reason.kind : '', b.status);" })),
                // A server that never starts is an error naming it; the others keep working.
                call("run_code", json!({ "code": "await callMCPTool('ghost', 'anything', {});" })),
                call("run_code", json!({ "code": "import { echo } from './servers/everything/index.js';\nconsole.log(await echo({ message: 'fine' }));" })),
            ],
        }),
    );
    assert_eq!(steps[0]["isError"], true, "{}", steps[0]);
    assert!(
        steps[0]["text"]
            .as_str()
            .unwrap()
            .contains("error (upstream)"),
        "{}",
        steps[0]
    );
    assert!(
        ok_text(&steps[1]).starts_with("back again\n"),
        "{}",
        steps[1]
    );
    assert!(
        ok_text(&steps[2]).starts_with("rejected upstream fulfilled\n"),
        "{}",
        steps[2]
    );
    assert_eq!(steps[3]["isError"], true);
    let ghost = steps[3]["text"].as_str().unwrap();
    assert!(
        ghost.contains("error (upstream)") && ghost.contains("ghost"),
        "{ghost}"
    );
    assert!(ok_text(&steps[4]).contains("Echo: fine"), "{}", steps[4]);
    assert!(
        processes_with(&marker).is_empty(),
        "left over: {:?}",
        processes_with(&marker)
    );
}

#[test]
fn tools_list_changed_regenerates_the_api_and_reports_drift() {
    let env = TestEnv::new();
    let marker = marker("serve-grow");
    env.registry(json!({ "quirky": quirky("grow", &marker) }));
    env.run(&["gen"]).success();
    let (steps, stderr) = mcp_client(
        &env,
        &json!({
            "connect": stdio(&env, &[]),
            "steps": [
                call("run_code", json!({ "code": "import { echo } from './servers/quirky/index.js';\nconsole.log(await echo({ message: 'grow' }));" })),
                { "op": "callUntil", "name": "list_files", "args": { "path": "servers/quirky/" }, "contains": "addedLater.ts" },
                call("search_tools", json!({ "query": "appears after the first echo", "limit": 1 })),
            ],
        }),
    );

    assert!(ok_text(&steps[0]).starts_with("grow\n"), "{}", steps[0]);
    assert!(
        ok_text(&steps[1]).contains("servers/quirky/addedLater.ts"),
        "{}",
        steps[1]
    );
    assert!(
        ok_text(&steps[2]).starts_with("quirky.added_later: "),
        "{}",
        steps[2]
    );
    // The lock is the user's: it is not rewritten, and the drift is reported on stderr.
    assert!(!env.read("skillet.lock").contains("added_later"));
    assert!(stderr.contains("quirky/added_later"), "{stderr}");
}

#[test]
fn skills_are_served_through_the_skills_extension() {
    let env = TestEnv::new();
    env.registry(json!({}));
    let source = manifest_dir().join("skills/sum-and-echo");
    let dest = env.path("skills/sum-and-echo");
    for file in walk(&source) {
        let target = dest.join(file.strip_prefix(&source).unwrap());
        fs_err::create_dir_all(target.parent().unwrap()).unwrap();
        fs_err::copy(&file, target).unwrap();
    }
    let answers = raw_session(
        &env,
        &[
            json!({"jsonrpc": "2.0", "id": 2, "method": "skills/list", "params": {}}),
            json!({"jsonrpc": "2.0", "id": 3, "method": "skills/get", "params": {"uri": "skill://sum-and-echo/SKILL.md"}}),
        ],
    );
    let init = &answers[0]["result"];
    assert!(
        init["capabilities"]["extensions"]["io.modelcontextprotocol/skills"].is_object(),
        "{init}"
    );
    let listed = &answers[1]["result"]["skills"];
    assert_eq!(
        listed[0]["uri"], "skill://sum-and-echo/SKILL.md",
        "{}",
        answers[1]
    );
    assert_eq!(
        listed[0]["frontmatter"]["name"], "sum-and-echo",
        "{}",
        answers[1]
    );
    assert!(listed[0]["frontmatter"]["metadata"]["skillet.version"].is_string());
    let files = listed[0]["resources"].as_array().unwrap();
    assert!(
        files
            .iter()
            .any(|f| f["uri"] == "skill://sum-and-echo/scripts/index.ts"
                && f["digest"].as_str().unwrap().starts_with("sha256:")),
        "{files:?}"
    );
    assert_eq!(
        answers[2]["result"]["skill"]["uri"],
        "skill://sum-and-echo/SKILL.md"
    );
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in fs_err::read_dir(dir).unwrap().flatten() {
        if entry.path().is_dir() {
            out.extend(walk(&entry.path()));
        } else {
            out.push(entry.path());
        }
    }
    out
}

/// Initializes a stdio session, sends `requests`, closes stdin and returns every answer by id
/// (the initialize answer first).
fn raw_session(env: &TestEnv, requests: &[Value]) -> Vec<Value> {
    let mut child = env
        .command(&["serve"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    writeln!(
        stdin,
        "{}",
        json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "raw", "version": "0"}}})
    )
    .unwrap();
    stdout.read_line(&mut line).unwrap();
    let mut answers = vec![serde_json::from_str::<Value>(&line).unwrap()];
    writeln!(
        stdin,
        "{}",
        json!({"jsonrpc": "2.0", "method": "notifications/initialized"})
    )
    .unwrap();
    for request in requests {
        writeln!(stdin, "{request}").unwrap();
        line.clear();
        stdout.read_line(&mut line).unwrap();
        answers.push(serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line}")));
    }
    drop(stdin);
    assert!(child.wait().unwrap().success());
    answers
}

/// A raw stdio session: initialize, then one tools/call, without waiting for its answer.
fn start_raw_session(child: &mut Child, code: &str) {
    let stdin = child.stdin.as_mut().unwrap();
    let messages = [
        json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "raw", "version": "0"}}}),
        json!({"jsonrpc": "2.0", "method": "notifications/initialized"}),
        json!({"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {
            "name": "run_code", "arguments": {"code": code, "timeout_ms": 120000}}}),
    ];
    for m in messages {
        writeln!(stdin, "{m}").unwrap();
    }
    stdin.flush().unwrap();
}

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

#[test]
fn huge_arguments_are_never_echoed_whole() {
    let env = TestEnv::new();
    env.registry(json!({}));
    let huge = "q".repeat(100 * 1024);
    let marker = "…(cut, 102400 bytes)";
    // A raw session: the arguments are too long for the test client's command line.
    let calls = [
        ("search_skills", json!({ "query": huge })),
        ("search_tools", json!({ "query": huge })),
        ("read_file", json!({ "path": huge })),
        ("list_files", json!({ "path": huge })),
        ("read_skill", json!({ "name": huge })),
        (
            "search_skills",
            json!({ "query": "weekly report", "limit": huge }),
        ),
    ];
    let requests: Vec<Value> = calls
        .iter()
        .enumerate()
        .map(|(i, (name, args))| {
            json!({"jsonrpc": "2.0", "id": i + 2, "method": "tools/call",
                   "params": {"name": name, "arguments": args}})
        })
        .collect();
    let answers = raw_session(&env, &requests);
    let steps: Vec<Value> = answers[1..]
        .iter()
        .map(|a| {
            json!({ "text": a["result"]["content"][0]["text"], "isError": a["result"]["isError"] })
        })
        .collect();
    for step in &steps {
        let text = step["text"].as_str().unwrap();
        println!("{} bytes: {text}", text.len());
        assert!(text.len() < 1024, "{} bytes: {}", text.len(), &text[..200]);
    }
    let first = steps[0]["text"].as_str().unwrap();
    assert!(
        first.ends_with(&format!("no skill matches `{}{marker}`", "q".repeat(80))),
        "{first}"
    );
    // Both searches say that they ran on part of the query.
    for step in &steps[..2] {
        let text = step["text"].as_str().unwrap();
        assert!(text.starts_with("note: query cut to its first "), "{text}");
        assert!(text.contains("(102400 bytes given)"), "{text}");
    }
    for step in &steps[1..5] {
        assert!(step["text"].as_str().unwrap().contains(marker), "{step}");
    }
    assert_eq!(steps[5]["isError"], true, "{}", steps[5]);
}

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

#[test]
fn the_python_sdk_closes_its_session_without_a_warning() {
    let env = TestEnv::new();
    env.registry(json!({}));
    let server = HttpServer::start(&env, &["--token", "s3cret"]);
    let out = env
        .program(python_sdk())
        .arg(manifest_dir().join("tests/python/close_session.py"))
        .arg(&server.url)
        .arg("s3cret")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(report["tools"], 7, "{report}");
    assert!(
        report["text"]
            .as_str()
            .unwrap()
            .starts_with("no tool matches `echo`"),
        "{report}"
    );
    // The SDK warns "Session termination failed: 202" unless the DELETE gets 200 or 204.
    assert_eq!(report["warnings"], json!([]), "{report}");
    assert!(server.stop().success());
}
