//! Real third-party MCP servers from npm (pinned in tests/node/package-lock.json): connect, list,
//! generate, compile the output with tsc, and call one tool each.

use std::io::BufRead as _;

use serde_json::json;

use crate::support::*;

fn node_server(bin: &str, args: &[&str]) -> serde_json::Value {
    json!({ "command": node_bin(bin).to_string_lossy(), "args": args })
}

/// tsc --strict --noEmit over the generated tree (its tsconfig.json sets strict and noEmit too).
#[track_caller]
pub fn tsc(dir: &std::path::Path) {
    let out = std::process::Command::new(node_bin("tsc"))
        .args(["-p", ".", "--strict", "--noEmit", "--pretty", "false"])
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "tsc failed in {}:\n{}{}",
        dir.display(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn reference_servers_generate_compile_and_answer() {
    let env = TestEnv::new();
    let files = env.path("files");
    let memory = env.path("memory.jsonl");
    env.registry(json!({
        "everything": node_server("mcp-server-everything", &[]),
        "filesystem": node_server("mcp-server-filesystem", &[files.to_str().unwrap()]),
        "memory": {
            "command": node_bin("mcp-server-memory").to_string_lossy(),
            "env": { "MEMORY_FILE_PATH": memory.to_string_lossy() },
        },
    }));
    fs_err::create_dir_all(&files).unwrap();
    fs_err::write(files.join("hello.txt"), "hello from the test\n").unwrap();

    let report = env.run(&["gen", "--json"]).success().json();
    let tools = |name: &str| {
        report["servers"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["server"] == name)
            .map(|s| s["tools"].as_u64().unwrap())
            .unwrap()
    };
    assert!(tools("everything") >= 10, "{report}");
    assert!(tools("filesystem") >= 10, "{report}");
    assert!(tools("memory") >= 8, "{report}");
    for file in [
        "client.ts",
        "servers/index.ts",
        "servers/everything/index.ts",
        "servers/everything/echo.ts",
        "servers/filesystem/readTextFile.ts",
        "servers/memory/readGraph.ts",
    ] {
        assert!(
            env.path(&format!(".skillet/{file}")).is_file(),
            "{file} was not generated"
        );
    }
    let lock = env.read("skillet.lock");
    assert!(
        lock.contains("[servers.filesystem.tools.read_text_file]"),
        "{lock}"
    );
    tsc(&env.path(".skillet"));

    // One real call each.
    let echo = env
        .run(&["call", "everything", "echo", r#"{"message": "ping"}"#])
        .success();
    assert!(echo.stdout.contains("ping"), "{}", echo.stdout);
    let listing = env
        .run(&[
            "call",
            "filesystem",
            "list_directory",
            &json!({ "path": files }).to_string(),
        ])
        .success();
    assert!(listing.stdout.contains("hello.txt"), "{}", listing.stdout);
    let created = env
        .run(&[
            "call",
            "memory",
            "create_entities",
            r#"{"entities": [{"name": "skillet", "entityType": "project", "observations": ["generates TypeScript"]}]}"#,
        ])
        .success();
    assert!(created.stdout.contains("skillet"), "{}", created.stdout);
    let graph = env.run(&["call", "memory", "read_graph"]).success();
    assert!(
        graph.stdout.contains("generates TypeScript"),
        "{}",
        graph.stdout
    );
    assert!(fs_err::read_to_string(&memory).unwrap().contains("skillet"));

    // The tree is stable: a second gen changes nothing.
    let before = env.read(".skillet/servers/filesystem/index.ts");
    let again = env.run(&["gen", "--json"]).success().json();
    assert_eq!(again["drift"], json!([]));
    assert_eq!(env.read(".skillet/servers/filesystem/index.ts"), before);
    env.run(&["gen", "--check"]).success();
}

#[test]
fn server_everything_over_streamable_http() {
    let env = TestEnv::new();
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let mut server = std::process::Command::new(node_bin("mcp-server-everything"))
        .arg("streamableHttp")
        .env("PORT", port.to_string())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Wait for its "listening" line rather than sleeping.
    let mut stderr = std::io::BufReader::new(server.stderr.take().unwrap());
    let mut line = String::new();
    loop {
        line.clear();
        assert!(
            stderr.read_line(&mut line).unwrap() > 0,
            "server-everything exited before listening"
        );
        if line.contains("listening on port") {
            break;
        }
    }
    std::thread::spawn(move || for _ in stderr.lines() {});
    env.registry(
        json!({ "everything": { "type": "http", "url": format!("http://127.0.0.1:{port}/mcp") } }),
    );
    let json = env.run(&["servers", "--json"]).success().json();
    assert_eq!(json[0]["status"], "ok", "{json}");
    assert_eq!(json[0]["transport"], "http");
    assert!(json[0]["tools"].as_u64().unwrap() >= 10);
    let echo = env
        .run(&["call", "everything", "echo", r#"{"message": "over http"}"#])
        .success();
    assert!(echo.stdout.contains("over http"), "{}", echo.stdout);
    env.run(&["gen"]).success();
    tsc(&env.path(".skillet"));
    server.kill().unwrap();
    server.wait().unwrap();
}
