//! The SDK over stdio: the whole journey (search, read, run, save, find), the skills
//! extension, and a changed tool list regenerating the API.

use super::*;

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
                call("search", json!({ "query": "echo back a message", "limit": 3 })),
                call("read", json!({ "path": "servers/" })),
                call("read", json!({ "path": "servers/everything/echo.ts" })),
                call("search", json!({ "query": "knowledge graph entities" })),
                call("run_code", json!({ "code": WORKFLOW })),
                call("read", json!({ "path": "../skillet.toml" })),
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
    let graph = ok_text(&steps[4]);
    assert!(
        graph.contains("import { createEntities } from \"./servers/memory/index.js\";"),
        "{graph}"
    );

    // The answer is the output and the run id; the token report is for the client.
    let run = ok_text(&steps[5]);
    assert!(
        run.starts_with("3 echoes; memory holds 1 entity: [NAME_1]\n[run "),
        "{run}"
    );
    assert!(run.ends_with(']') && !run.contains("tokens"), "{run}");
    let report = &steps[5]["structured"];
    assert_eq!(report["ok"], true, "{report}");
    assert_eq!(report["tool_calls"], 5, "{report}");
    // A run with calls is counted after the answer, by the record's writer.
    assert_eq!(report.get("tokens"), None, "{report}");
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
        syntax.contains("error (syntax) at run_code.ts:1:") && syntax.ends_with(" failed]"),
        "{syntax}"
    );
    assert_eq!(steps[7]["structured"]["error"], "syntax", "{}", steps[7]);

    // The run is recorded with its token report, and `runs show` prints it.
    let id = run_id(run);
    let written: Value =
        serde_json::from_str(&env.read(&format!(".skillet/runs/{id}/run.json"))).unwrap();
    assert!(
        written["tokens"]["passed_through"].as_u64().unwrap() > 0,
        "{written}"
    );
    assert_eq!(written.get("tokens_basis"), None, "{written}");
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
                call("search", json!({ "query": "store project in memory graph" })),
                call("read", json!({ "path": "skills/remember-the-project" })),
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
        ok_text(&steps[1]).contains("\nskill remember-the-project v1: "),
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
                { "op": "callUntil", "name": "read", "args": { "path": "servers/quirky/" }, "contains": "addedLater.ts" },
                call("search", json!({ "query": "appears after the first echo", "limit": 1 })),
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

#[test]
fn a_hand_edit_shows_at_the_next_served_search() {
    let (env, run) = committed_registry_with_run();
    env.run(&[
        "save",
        "--run",
        &run,
        "--name",
        "print-a",
        "--description",
        "Prints the aardvark letter",
    ])
    .success();
    let md = env.path("skills/print-a/SKILL.md");
    let edited =
        fs_err::read_to_string(&md)
            .unwrap()
            .replacen("\n---\n", "\n---\n\nZanzibar.\n", 1);
    // The server watches `skills/`: an edit in place (which the CLI sees only at its next
    // sweep) shows at the very next query.
    let steps = client(
        &env,
        json!({
            "connect": stdio(&env, &[]),
            "steps": [
                call("search", json!({ "query": "aardvark letter" })),
                { "op": "writeFile", "path": md, "text": edited },
                call("search", json!({ "query": "zanzibar" })),
            ],
        }),
    );
    assert!(ok_text(&steps[0]).contains("skill print-a"), "{}", steps[0]);
    assert!(ok_text(&steps[2]).contains("skill print-a"), "{}", steps[2]);
}
