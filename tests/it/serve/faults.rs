//! Faults: upstreams that crash, hang or never start, and arguments too big to echo.

use super::*;

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
fn huge_arguments_are_never_echoed_whole() {
    let env = TestEnv::new();
    env.registry(json!({}));
    let huge = "q".repeat(100 * 1024);
    let marker = "…(cut, 102400 bytes)";
    // A raw session: the arguments are too long for the test client's command line.
    let calls = [
        ("search", json!({ "query": huge })),
        ("read", json!({ "path": huge })),
        ("read", json!({ "path": format!("skills/{huge}") })),
        ("search", json!({ "query": "weekly report", "limit": huge })),
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
        first.contains(&format!(
            "no tool or skill matches `{}{marker}`",
            "q".repeat(80)
        )),
        "{first}"
    );
    // The search says that it ran on part of the query.
    assert!(
        first.starts_with("note: query cut to its first "),
        "{first}"
    );
    assert!(first.contains("(102400 bytes given)"), "{first}");
    for step in &steps[..3] {
        assert!(step["text"].as_str().unwrap().contains(marker), "{step}");
    }
    assert_eq!(steps[3]["isError"], true, "{}", steps[3]);
}

/// What `ask` (the scripted server's elicitation) answered, as the script printed it.
const ASK: &str =
    "const r = await callMCPTool('faulty', 'ask', {});\nconsole.log(JSON.stringify(r));";

#[test]
fn elicitation_from_an_upstream_server_reaches_the_agents_client() {
    use crate::upstream_faults::{audited, faulty};
    let env = TestEnv::new();
    let marker = marker("serve-elicit");
    env.registry(json!({ "faulty": faulty(&env, 0, &marker) }));
    env.run(&["gen"]).success();
    let steps = client(
        &env,
        json!({
            "connect": stdio(&env, &[]),
            "elicit": "accept",
            "elicitContent": { "name": "Ada", "count": 2 },
            "steps": [call("run_code", json!({ "code": ASK })), { "op": "elicited" }],
        }),
    );
    let text = ok_text(&steps[0]);
    assert!(text.contains(r#""action":"accept""#), "{text}");
    // What the person answered reaches the server; the result it sends back is tokenized like
    // any other.
    assert!(text.contains(r#""name":"[NAME_1]","count":2"#), "{text}");
    assert_eq!(
        steps[1]["messages"],
        json!(["server `faulty` asks: Who is asking?"])
    );
    let steps = client(
        &env,
        json!({
            "connect": stdio(&env, &[]),
            "elicit": "decline",
            "steps": [call("run_code", json!({ "code": ASK }))],
        }),
    );
    assert!(
        ok_text(&steps[0]).contains(r#""action":"decline""#),
        "{}",
        steps[0]
    );
    // A client without elicitation: declined, and the model is told why.
    let steps = client(
        &env,
        json!({ "connect": stdio(&env, &[]), "steps": [call("run_code", json!({ "code": ASK }))] }),
    );
    let text = ok_text(&steps[0]);
    assert!(text.contains("nobody could answer"), "{text}");
    let actions: Vec<_> = audited(&env, "ask", "elicitation")
        .iter()
        .map(|e| (e["event"]["action"].clone(), e["event"]["answered"].clone()))
        .collect();
    assert_eq!(
        actions,
        [
            (json!("accept"), json!(true)),
            (json!("decline"), json!(true)),
            (json!("decline"), json!(false))
        ]
    );
    // No answer content is audited.
    assert!(!env.read(".skillet/audit.jsonl").contains("Ada"));
    assert!(processes_with(&marker).is_empty());
}

#[test]
fn run_code_resumes_a_failed_run_from_its_record() {
    use crate::upstream_faults::{calls_of, faulty};
    let env = TestEnv::new();
    let marker = marker("serve-resume");
    env.registry(json!({ "faulty": faulty(&env, 0, &marker) }));
    env.run(&["gen"]).success();
    let code = "const a = await callMCPTool('faulty', 'flaky_read', {});\nconst b = await callMCPTool('faulty', 'write', {});\nconsole.log(JSON.stringify([a, b]));";
    let first = client(
        &env,
        json!({ "connect": stdio(&env, &[]), "steps": [call("run_code", json!({ "code": code }))] }),
    );
    assert_eq!(first[0]["isError"], true, "{}", first[0]);
    let failed = run_id(first[0]["text"].as_str().unwrap());
    let steps = client(
        &env,
        json!({
            "connect": stdio(&env, &[]),
            "steps": [
                call("run_code", json!({ "resume": failed })),
                call("run_code", json!({ "resume": "no-such-run" })),
                call("run_code", json!({ "resume": failed, "skill": "x", "code": "1" })),
            ],
        }),
    );
    // The read came from the record (its server saw it once); the write went live again.
    let text = ok_text(&steps[0]);
    assert!(
        text.contains("ok after 1 calls") && text.contains("ok after 2 calls"),
        "{text}"
    );
    assert_eq!(calls_of(&env, "flaky_read"), 1);
    assert_eq!(calls_of(&env, "write"), 2);
    let resumed = run_id(text);
    let record: Value =
        serde_json::from_str(&env.read(&format!(".skillet/runs/{resumed}/run.json"))).unwrap();
    assert_eq!(record["mode"], "resume");
    assert_eq!(record["source_run"], json!(failed));
    assert_eq!(steps[1]["isError"], true);
    assert!(
        steps[1]["text"].as_str().unwrap().contains("no-such-run"),
        "{}",
        steps[1]
    );
    assert_eq!(steps[2]["isError"], true);
    assert!(processes_with(&marker).is_empty());
}
