//! Real third-party MCP servers from npm (pinned in tests/node/package-lock.json): connect, list,
//! generate, compile the output with tsc, and call one tool each.

use std::io::BufRead as _;

use serde_json::json;

use crate::support::*;

fn node_server(bin: &str, args: &[&str]) -> serde_json::Value {
    json!({ "command": node_bin(bin).to_string_lossy(), "args": args })
}

/// tsc --strict --noEmit over the generated tree, twice: under the tree's own tsconfig.json, and
/// under one that names no `lib` or `target` (an editor's default: the DOM library is in, and
/// the tree's globals must merge with it).
#[track_caller]
pub fn tsc(dir: &std::path::Path) {
    let defaults = dir.join("tsconfig.defaults.json");
    fs_err::write(
        &defaults,
        r#"{ "compilerOptions": { "strict": true, "noEmit": true }, "include": ["**/*.ts"] }"#,
    )
    .unwrap();
    for project in [".", "tsconfig.defaults.json"] {
        let out = std::process::Command::new(node_bin("tsc"))
            .args(["-p", project, "--strict", "--noEmit", "--pretty", "false"])
            .current_dir(dir)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "tsc -p {project} failed in {}:\n{}{}",
            dir.display(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    fs_err::remove_file(defaults).unwrap();
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

#[test]
fn scripts_run_against_the_reference_servers() {
    let env = TestEnv::new();
    let files = env.path("files");
    env.registry(json!({
        "everything": node_server("mcp-server-everything", &[]),
        "filesystem": node_server("mcp-server-filesystem", &[files.to_str().unwrap()]),
        "memory": {
            "command": node_bin("mcp-server-memory").to_string_lossy(),
            "env": { "MEMORY_FILE_PATH": env.path("memory.jsonl").to_string_lossy() },
        },
    }));
    fs_err::create_dir_all(&files).unwrap();
    for i in 0..120 {
        let name = if i % 3 == 0 {
            format!("report-{i:03}.csv")
        } else {
            format!("note-{i:03}.txt")
        };
        fs_err::write(files.join(name), format!("row {i}\n")).unwrap();
    }
    env.run(&["gen"]).success();
    let dir = files.to_str().unwrap();
    env.write(
        "first.ts",
        &format!(
            r#"import * as fsServer from "./servers/filesystem/index.js";
import {{ echo }} from "./servers/everything/index.js";
import {{ createEntities, searchNodes }} from "./servers/memory/index.js";

// A fan-out: 20 calls at once.
const echoes = await Promise.all(Array.from({{ length: 20 }}, (_, i) => echo({{ message: `m${{i}}` }})));

// A chain: write to memory, then read it back.
await createEntities({{ entities: [{{ name: "skillet", entityType: "project", observations: ["runs code"] }}] }});
const found = await searchNodes({{ query: "skillet" }});

// A tool error, caught by the script.
let caught = "";
try {{
  await fsServer.readTextFile({{ path: "{dir}/missing.txt" }});
}} catch (e) {{
  if (e instanceof ToolError) caught = e.name;
}}

// A big result filtered in the sandbox: only the summary leaves it.
const listing = await fsServer.listDirectory({{ path: "{dir}" }});
const text: string = listing.content;
const reports = text.split("\n").filter((l) => l.includes("report-"));
fs.writeFile("./workspace/reports.json", JSON.stringify(reports.length));
console.log(`echoes=${{echoes.length}} found=${{JSON.stringify(found).includes("runs code")}} caught=${{caught}} reports=${{reports.length}}`);
"#
        ),
    );
    // The script type-checks against the generated tree and the sandbox globals.
    fs_err::copy(env.path("first.ts"), env.path(".skillet/first.ts")).unwrap();
    tsc(&env.path(".skillet"));
    fs_err::remove_file(env.path(".skillet/first.ts")).unwrap();
    let first = env.run(&["run", "first.ts", "--json"]).success().json();
    assert_eq!(
        first["output"], "echoes=20 found=true caught=ToolError reports=40\n",
        "{first}"
    );
    assert!(first["tool_calls"].as_u64().unwrap() >= 24);
    env.write(
        "second.ts",
        "export default JSON.parse(fs.readFile('./workspace/reports.json'));",
    );
    let second = env.run(&["run", "second.ts", "--json"]).success().json();
    assert_eq!(second["result"], 40);
}
