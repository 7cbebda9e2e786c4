//! Privacy and governance against real servers (server-memory and server-filesystem from npm):
//! personal data is tokenized before a script sees it and restored on the way to tools, data
//! flows and tool policies are enforced (with approval by terminal or MCP elicitation), and
//! every call lands in the audit log.

use serde_json::{Value, json};

use crate::support::*;

fn registry(env: &TestEnv, privacy: &str) {
    let files = env.path("files");
    env.registry(json!({
        "filesystem": {
            "command": node_bin("mcp-server-filesystem").to_string_lossy(),
            "args": [files.to_string_lossy()],
        },
        "memory": {
            "command": node_bin("mcp-server-memory").to_string_lossy(),
            "env": { "MEMORY_FILE_PATH": env.path("memory.jsonl").to_string_lossy() },
        },
    }));
    fs_err::create_dir_all(&files).unwrap();
    if !privacy.is_empty() {
        let path = env.path("skillet.toml");
        let text = fs_err::read_to_string(&path).unwrap();
        fs_err::write(path, format!("{text}\n{privacy}\n")).unwrap();
    }
    env.run(&["gen"]).success();
    // People in the memory server, written by a script (its own literals are not tool data).
    env.write(
        "seed.ts",
        r#"import { createEntities } from "./servers/memory/index.js";
await createEntities({ entities: [
  { name: "Ann Lee", entityType: "person", observations: ["email ann.lee@example.com", "phone +1 415 555 2671"] },
  { name: "Bo Chen", entityType: "person", observations: ["reach at bo.chen@example.org or (212) 555-0199"] },
] });
"#,
    );
    env.run(&["run", "seed.ts"]).success();
}

const EXPORT: &str = r#"import { readGraph } from "./servers/memory/index.js";
import { writeFile } from "./servers/filesystem/index.js";

const { entities } = await readGraph({});
for (const e of entities) console.log(e.name, e.observations.join("; "));
const lines = entities.map((e) => `${e.name}: ${e.observations.join(", ")}`).join("\n");
await writeFile({ path: "FILES/contacts.txt", content: lines });
console.log("written");
"#;

fn export_script(env: &TestEnv) -> String {
    EXPORT.replace("FILES", &env.path("files").to_string_lossy())
}

#[test]
fn the_model_sees_tokens_and_the_tools_get_the_values() {
    let env = TestEnv::new();
    registry(&env, "");
    env.write("export.ts", &export_script(&env));
    let run = env.run(&["run", "export.ts", "--json"]).success().json();
    let output = run["output"].as_str().unwrap();
    for raw in [
        "ann.lee@example.com",
        "bo.chen@example.org",
        "555",
        "Ann Lee",
        "Bo Chen",
    ] {
        assert!(
            !output.contains(raw),
            "`{raw}` leaked into the output:\n{output}"
        );
    }
    assert!(
        output.contains("[NAME_1] email [EMAIL_1]; phone [PHONE_1]"),
        "{output}"
    );
    assert!(
        output.contains("[NAME_2] reach at [EMAIL_2] or [PHONE_2]"),
        "{output}"
    );
    assert!(output.ends_with("written\n"), "{output}");

    // The file holds the real values: they flowed from tool to tool, not through the model.
    let written = env.read("files/contacts.txt");
    assert_eq!(
        written,
        "Ann Lee: email ann.lee@example.com, phone +1 415 555 2671\nBo Chen: reach at bo.chen@example.org, (212) 555-0199"
            .replace(", (212)", " or (212)")
    );

    // The run record holds tokens too (results and the script's arguments).
    let id = run["run_id"].as_str().unwrap();
    let record = env.read(&format!(".skillet/runs/{id}/run.json"));
    assert!(!record.contains("ann.lee@example.com"), "{record}");
    assert!(record.contains("[EMAIL_1]"));

    // Every call is in the audit log: digests and sizes, never values.
    let audit = env.run(&["audit", "--run", id, "--json"]).success().json();
    let entries = audit.as_array().unwrap();
    assert_eq!(entries.len(), 2, "{audit}");
    assert_eq!(entries[0]["tool"], "read_graph");
    assert_eq!(entries[1]["tool"], "write_file");
    for e in entries {
        assert_eq!(e["decision"], "allowed");
        assert_eq!(e["outcome"], "ok");
        assert_eq!(e["args_sha256"].as_str().unwrap().len(), 64);
    }
    let log = env.read(".skillet/audit.jsonl");
    assert!(!log.contains("ann.lee"), "{log}");
    let text = env.run(&["audit", "--since", "1h"]).success();
    assert!(
        text.stdout.contains("filesystem.write_file"),
        "{}",
        text.stdout
    );
    env.run(&["audit", "--since", "soon"]).failure();
}

#[test]
fn tokenization_can_be_turned_off_per_server() {
    let env = TestEnv::new();
    registry(&env, "[privacy.pii.servers.memory]\nenabled = false\n");
    env.write("export.ts", &export_script(&env));
    let run = env.run(&["run", "export.ts", "--json"]).success().json();
    assert!(
        run["output"]
            .as_str()
            .unwrap()
            .contains("ann.lee@example.com"),
        "{run}"
    );
}

#[test]
fn a_denied_flow_is_blocked_even_inside_promise_all() {
    let env = TestEnv::new();
    registry(
        &env,
        "[[privacy.flows]]\nfrom = \"memory.*\"\nto = \"filesystem.*\"\naction = \"deny\"\n",
    );
    let files = env.path("files");
    env.write(
        "flow.ts",
        &format!(
            r#"import {{ readGraph }} from "./servers/memory/index.js";
import {{ writeFile }} from "./servers/filesystem/index.js";

const {{ entities }} = await readGraph({{}});
const settled = await Promise.allSettled([
  writeFile({{ path: "{dir}/leak.txt", content: entities[0].observations[0] }}),
  writeFile({{ path: "{dir}/plain.txt", content: "no personal data here" }}),
]);
console.log(settled.map((s) => s.status === "rejected" ? `${{s.reason.name}} ${{s.reason.kind}}` : s.status).join(", "));
await Promise.all([
  writeFile({{ path: "{dir}/leak2.txt", content: `copy of ${{entities[1].observations[0]}}` }}),
  writeFile({{ path: "{dir}/plain2.txt", content: "fine" }}),
]);
"#,
            dir = files.to_string_lossy()
        ),
    );
    let run = env.run(&["run", "flow.ts", "--json"]).failure();
    let json = run.json();
    assert_eq!(
        json["output"].as_str().unwrap(),
        "FlowDeniedError flow_denied, fulfilled\n",
        "{json}"
    );
    assert_eq!(json["error"]["kind"], "flow_denied", "{json}");
    let message = json["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("memory.read_graph may not flow to filesystem.write_file"),
        "{message}"
    );
    assert!(!files.join("leak.txt").exists() && !files.join("leak2.txt").exists());
    assert_eq!(env.read("files/plain.txt"), "no personal data here");
    let audit = env
        .run(&["audit", "--run", "last", "--json"])
        .success()
        .json();
    let decisions: Vec<&str> = audit
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["decision"].as_str().unwrap())
        .collect();
    assert_eq!(
        decisions.iter().filter(|d| **d == "flow_denied").count(),
        2,
        "{audit}"
    );
    // The allowed call beside the denied one in Promise.all is accounted for too: answered, or
    // abandoned when the rejection ended the run first.
    assert_eq!(
        decisions.iter().filter(|d| **d == "allowed").count(),
        3,
        "{audit}"
    );
    let last_write = audit
        .as_array()
        .unwrap()
        .iter()
        .rfind(|e| e["decision"] == "allowed")
        .unwrap();
    assert!(
        ["ok", "abandoned"].contains(&last_write["outcome"].as_str().unwrap()),
        "{audit}"
    );
}

#[test]
fn tool_policy_denies_and_approval_needs_someone_to_ask() {
    let env = TestEnv::new();
    registry(
        &env,
        "[privacy]\ndestructive = \"approve\"\n\n[[privacy.tools]]\ntool = \"memory.delete_*\"\npolicy = \"deny\"\n",
    );
    env.write(
        "delete.ts",
        "import { deleteEntities } from './servers/memory/index.js';\nawait deleteEntities({ entityNames: ['Ann Lee'] });\n",
    );
    let json = env.run(&["run", "delete.ts", "--json"]).failure().json();
    assert_eq!(json["error"]["kind"], "denied", "{json}");
    // write_file is destructive: it needs approval, and `run` without a terminal cannot ask.
    env.write("export.ts", &export_script(&env));
    let json = env.run(&["run", "export.ts", "--json"]).failure().json();
    assert_eq!(json["error"]["kind"], "denied", "{json}");
    let message = json["error"]["message"].as_str().unwrap();
    assert!(message.contains("needs a human's approval"), "{message}");
    assert!(!env.path("files/contacts.txt").exists());
    let audit = env.run(&["audit", "--json"]).success().json();
    let decisions: Vec<&str> = audit
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["decision"].as_str().unwrap())
        .collect();
    assert!(
        decisions.contains(&"denied") && decisions.contains(&"refused"),
        "{decisions:?}"
    );
}

/// `skillet ARGS` with stdin and stderr on a real pseudo-terminal, answering its approval prompt
/// with `answer`: (the run's JSON from stdout, what the terminal showed).
fn on_a_terminal(env: &TestEnv, answer: &str, args: &[&str]) -> (Value, String) {
    let out = env
        .program("python3")
        .arg(fixture("on_a_terminal.py"))
        .arg(answer)
        .arg(BIN)
        .args(args)
        .output()
        .unwrap();
    let shown = String::from_utf8_lossy(&out.stderr).into_owned();
    let json = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{e}: {}\nterminal:\n{shown}",
            String::from_utf8_lossy(&out.stdout)
        )
    });
    (json, shown)
}

#[test]
fn approval_at_the_terminal_under_run() {
    let env = TestEnv::new();
    registry(&env, "[privacy]\ndestructive = \"approve\"\n");
    env.write("export.ts", &export_script(&env));

    // Declined: nothing is written, and the run says who said no.
    let (json, shown) = on_a_terminal(&env, "n", &["run", "export.ts", "--json"]);
    assert!(shown.contains("Allow this call? [y/N]"), "{shown}");
    assert!(shown.contains("filesystem.write_file"), "{shown}");
    // The person is shown tokens, like the model: never the values.
    assert!(!shown.contains("ann.lee@example.com"), "{shown}");
    assert_eq!(json["error"]["kind"], "denied", "{json}");
    let message = json["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("declined by the person asked"),
        "{message}"
    );
    assert!(!env.path("files/contacts.txt").exists());

    // Approved: the file holds the real values.
    let (json, shown) = on_a_terminal(&env, "y", &["run", "export.ts", "--json"]);
    assert!(shown.contains("Allow this call? [y/N]"), "{shown}");
    assert_eq!(json["status"], "ok", "{json}\nterminal:\n{shown}");
    assert!(
        env.read("files/contacts.txt")
            .contains("ann.lee@example.com")
    );

    let audit = env.run(&["audit", "--json"]).success().json();
    let decisions: Vec<&str> = audit
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["tool"] == "write_file")
        .map(|e| e["decision"].as_str().unwrap())
        .collect();
    assert_eq!(decisions, ["refused", "approved"], "{audit}");
}

/// Runs the export through `skillet serve` with a client that answers elicitation `answer`.
fn export_through_serve(env: &TestEnv, answer: &str) -> Vec<Value> {
    let plan = json!({
        "connect": { "transport": "stdio", "command": BIN, "args": ["serve"], "cwd": env.work() },
        "elicit": answer,
        "steps": [
            { "op": "call", "name": "run_code", "args": { "code": export_script(env) } },
            { "op": "elicited" },
        ],
    });
    mcp_client(env, &plan).0
}

#[test]
fn approval_by_mcp_elicitation_under_serve() {
    let env = TestEnv::new();
    registry(&env, "[privacy]\ndestructive = \"approve\"\n");
    let declined = export_through_serve(&env, "decline");
    assert_eq!(declined[0]["isError"], true, "{declined:?}");
    assert!(
        declined[0]["text"]
            .as_str()
            .unwrap()
            .contains("declined by the person asked"),
        "{declined:?}"
    );
    assert!(!env.path("files/contacts.txt").exists());
    let approved = export_through_serve(&env, "accept");
    assert_eq!(approved[0]["isError"], false, "{approved:?}");
    let asked = approved[1]["messages"][0].as_str().unwrap();
    assert!(
        asked
            .starts_with("A script wants to call filesystem.write_file (marked destructive) with "),
        "{asked}"
    );
    // The person asked sees tokens, not the personal data.
    assert!(
        asked.contains("[EMAIL_1]") && !asked.contains("ann.lee"),
        "{asked}"
    );
    assert!(
        env.read("files/contacts.txt")
            .contains("ann.lee@example.com")
    );
    let audit = env.run(&["audit", "--json"]).success().json();
    let last = audit.as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["decision"], "approved", "{audit}");
}
