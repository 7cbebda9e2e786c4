//! `skillet serve` driven by a real MCP client (the official TypeScript SDK, pinned in
//! tests/node) over stdio and streamable HTTP, against real upstream servers, plus faults:
//! upstreams that crash, hang or never start, a client that leaves mid-run, many sessions.
//!
//! This file has what the tests share (the SDK client's plans, a `skillet serve --http`, raw
//! stdio sessions); `stdio.rs` the whole journey over stdio, the skills extension and a changed
//! tool list; `http.rs` the journey over HTTP with its token and host checks; `faults.rs`
//! broken upstreams and huge arguments; `runs.rs` runs in flight (cancellation, many sessions,
//! the run queue, SIGTERM); `python_sdk.rs` the official Python SDK; `conformance.rs` the
//! protocol's edges (unknown names, missing resources, logging) and the official conformance
//! suite's server scenarios over HTTP.

mod conformance;
mod faults;
mod http;
mod python_sdk;
mod runs;
mod stdio;

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
    serve_over_stdio(env, extra)
}

fn call(name: &str, args: Value) -> Value {
    json!({ "op": "call", "name": name, "args": args })
}

#[track_caller]
fn ok_text(step: &Value) -> &str {
    assert_eq!(step["isError"], false, "{step}");
    step["text"].as_str().unwrap()
}

/// The run id from a run_code answer's last line: `[run <id>]` (`[run <id> failed]`).
fn run_id(text: &str) -> String {
    text.rsplit("[run ")
        .next()
        .and_then(|rest| rest.split([' ', ']']).next())
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

/// Initializes a stdio session, sends `requests`, closes stdin and returns every answer by id
/// (the initialize answer first).
fn raw_session(env: &TestEnv, requests: &[Value]) -> Vec<Value> {
    raw_session_with_notifications(env, requests).0
}

/// [`raw_session`], and the notifications the server sent on the way, in order.
fn raw_session_with_notifications(env: &TestEnv, requests: &[Value]) -> (Vec<Value>, Vec<Value>) {
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
    let mut notifications = Vec::new();
    for request in requests {
        writeln!(stdin, "{request}").unwrap();
        loop {
            line.clear();
            assert!(
                stdout.read_line(&mut line).unwrap() > 0,
                "serve closed stdout"
            );
            let message: Value =
                serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line}"));
            if message.get("id").is_some() {
                answers.push(message);
                break;
            }
            notifications.push(message);
        }
    }
    drop(stdin);
    assert!(child.wait().unwrap().success());
    (answers, notifications)
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
