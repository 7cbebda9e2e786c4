//! Typed inputs end to end against the sample servers: a run's literals lifted into a typed
//! skill at save, reused with a new input (`run --skill`, served `run_code`), replayed with the
//! recorded input, and wrong inputs refused before any tool call.

use serde_json::{Value, json};

use crate::support::*;

/// A concrete run: one transcript attached to one contact.
const ATTACH: &str = r#"import { getDocument } from "./servers/docs/index.js";
import { findRecords, updateRecord } from "./servers/crm/index.js";

const transcript = (await getDocument({ id: "meet-2025-q3-planning-call" })) as string;
const { records } = await findRecords({ query: "jordan.ellis@example.com", type: "contact" });
await updateRecord({ id: records[0].id, fields: { notes: transcript.slice(0, 200) } });
// Ids, not names: names from tool results reach the script as tokens.
console.log(`attached ${transcript.length} chars to ${records[0].id}`);
"#;

/// A script that declares its input type itself.
const TYPED: &str = r#"import { findRecords } from "./servers/crm/index.js";

interface Lookup {
  /** Who to look up: an email address or a name. */
  query: string;
  /** How many records at most. */
  limit?: number;
  kind: "contact" | "company";
}

export default async function (input: Lookup) {
  const { records } = await findRecords({ query: input.query, type: input.kind });
  const names = records.slice(0, input.limit ?? 10).map((r: { name: string }) => r.name);
  console.log(names.join(", "));
  return names.length;
}
"#;

fn registry() -> TestEnv {
    let env = TestEnv::new();
    env.registry(json!({ "docs": sample("docs"), "crm": sample("crm") }));
    env.run(&["gen"]).success();
    git(&env, &["add", "-A"]);
    git(&env, &["commit", "-qm", "registry"]);
    env
}

/// The run ids `skillet runs --json` lists.
fn run_ids(env: &TestEnv) -> Vec<String> {
    let runs = env.run(&["runs", "--json"]).success().json();
    runs.as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_owned())
        .collect()
}

/// Runs ATTACH and saves it as `attach-transcript` with its document id and email lifted.
fn save_lifted(env: &TestEnv) -> Value {
    env.write("attach.ts", ATTACH);
    let run = env.run(&["run", "attach.ts", "--json"]).success().json();
    env.run(&[
        "save",
        "--run",
        run["run_id"].as_str().unwrap(),
        "--name",
        "attach-transcript",
        "--description",
        "Attach a meeting transcript to a CRM contact's notes",
        "--param",
        "documentId=meet-2025-q3-planning-call",
        "--param",
        "contactEmail=jordan.ellis@example.com",
        "--param-description",
        "contactEmail=The contact's email address",
        "--json",
    ])
    .success()
    .json()
}

#[test]
fn lifted_parameters_make_a_typed_reusable_skill() {
    let env = registry();
    let saved = save_lifted(&env);
    assert_eq!(saved["version"], 1);

    // The script takes a typed input in place of the literals.
    let entry = env.read("skills/attach-transcript/scripts/index.ts");
    assert!(
        entry.contains("export interface AttachTranscriptInput"),
        "{entry}"
    );
    assert!(entry.contains("input: AttachTranscriptInput"), "{entry}");
    assert!(entry.contains("input.documentId"), "{entry}");
    assert!(entry.contains("input.contactEmail"), "{entry}");
    assert!(!entry.contains("jordan.ellis@example.com"), "{entry}");

    // Its schema is committed beside it, with the description given.
    let schema: Value =
        serde_json::from_str(&env.read("skills/attach-transcript/scripts/input.schema.json"))
            .unwrap();
    assert_eq!(schema["type"], "object");
    assert_eq!(schema["properties"]["documentId"]["type"], "string");
    assert_eq!(
        schema["properties"]["contactEmail"]["description"],
        "The contact's email address"
    );
    let required: Vec<&str> = schema["required"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(required.len(), 2, "{schema}");
    let committed = git(
        &env,
        &[
            "ls-files",
            "skills/attach-transcript/scripts/input.schema.json",
        ],
    );
    assert!(!committed.is_empty(), "the schema is committed");

    // The recording keeps the input the run effectively had, and the replay uses it.
    let recording: Value =
        serde_json::from_str(&env.read("skills/attach-transcript/tests/recording.json")).unwrap();
    assert_eq!(
        recording["input"],
        json!({ "documentId": "meet-2025-q3-planning-call", "contactEmail": "jordan.ellis@example.com" })
    );
    let tested = env
        .run(&["test", "attach-transcript", "--json"])
        .success()
        .json();
    assert_eq!(tested[0]["status"], "passed", "{tested}");
    assert_eq!(tested[0]["tool_calls"], 3, "{tested}");

    // Reused with a new input, by name.
    let reused = env
        .run(&[
            "run",
            "--skill",
            "attach-transcript",
            "--input",
            r#"{"documentId": "meet-eng-sync-2025-07-01", "contactEmail": "maya.chen@example.com"}"#,
            "--json",
        ])
        .success()
        .json();
    let output = reused["output"].as_str().unwrap();
    assert!(output.contains("to ct-002"), "{reused}");
    let record = env
        .run(&["runs", "show", reused["run_id"].as_str().unwrap(), "--json"])
        .success()
        .json();
    assert_eq!(
        record["record"]["input"]["contactEmail"], "maya.chen@example.com",
        "{record}"
    );

    // The same from a file, and a replay of that run uses its recorded input.
    env.write(
        "input.json",
        r#"{"documentId": "meet-pipeline-review-2025-06-30", "contactEmail": "kevin.park@example.com"}"#,
    );
    let from_file = env
        .run(&[
            "run",
            "--skill",
            "attach-transcript",
            "--input",
            "@input.json",
            "--json",
        ])
        .success()
        .json();
    assert!(
        from_file["output"].as_str().unwrap().contains("to ct-007"),
        "{from_file}"
    );
    let replayed = env
        .run(&[
            "run",
            "--replay",
            from_file["run_id"].as_str().unwrap(),
            "--json",
        ])
        .success()
        .json();
    assert_eq!(replayed["output"], from_file["output"]);
}

#[test]
fn a_wrong_input_is_refused_before_any_tool_call() {
    let env = registry();
    save_lifted(&env);
    let before = run_ids(&env);
    let audit_before =
        std::fs::read_to_string(env.path(".skillet/audit.jsonl")).unwrap_or_default();
    for (input, says) in [
        (
            r#"{"documentId": 42, "contactEmail": "a@example.com"}"#,
            "documentId",
        ),
        (
            r#"{"documentId": "meet-eng-sync-2025-07-01"}"#,
            "contactEmail",
        ),
        (
            r#"{"documentId": "x", "contactEmail": "y", "extra": true}"#,
            "extra",
        ),
        ("[1, 2]", "object"),
    ] {
        let run = env
            .run(&["run", "--skill", "attach-transcript", "--input", input])
            .failure();
        assert!(run.stderr.contains(says), "{input}: {}", run.stderr);
    }
    let bad_json = env
        .run(&["run", "--skill", "attach-transcript", "--input", "{nope"])
        .failure();
    assert!(bad_json.stderr.contains("JSON"), "{}", bad_json.stderr);
    // Nothing ran: no run recorded, no tool call audited.
    assert_eq!(run_ids(&env), before);
    assert_eq!(
        std::fs::read_to_string(env.path(".skillet/audit.jsonl")).unwrap_or_default(),
        audit_before
    );
}

#[test]
fn an_input_over_the_limit_is_refused_without_reading_it() {
    let env = registry();
    save_lifted(&env);
    // 50 MB of JSON.
    let big = format!(
        "{{\"documentId\": \"{}\", \"contactEmail\": \"a@example.com\"}}",
        "x".repeat(50 << 20)
    );
    env.write("big.json", &big);
    let run = env
        .run(&[
            "run",
            "--skill",
            "attach-transcript",
            "--input",
            "@big.json",
        ])
        .failure();
    assert!(run.stderr.contains("big.json"), "{}", run.stderr);
    assert!(
        run.stderr.contains("1048576")
            || run.stderr.contains("1 MiB")
            || run.stderr.contains("1,048,576"),
        "{}",
        run.stderr
    );
    let missing = env
        .run(&[
            "run",
            "--skill",
            "attach-transcript",
            "--input",
            "@nope.json",
        ])
        .failure();
    assert!(missing.stderr.contains("nope.json"), "{}", missing.stderr);
}

#[test]
fn a_declared_input_type_is_checked_saved_and_replayed() {
    let env = registry();
    env.write("lookup.ts", TYPED);
    let run = env
        .run(&[
            "run",
            "lookup.ts",
            "--input",
            r#"{"query": "example.com", "kind": "contact", "limit": 2}"#,
            "--json",
        ])
        .success()
        .json();
    assert_eq!(run["result"], 2, "{run}");
    // A value outside the literal union names the field.
    let wrong = env
        .run(&[
            "run",
            "lookup.ts",
            "--input",
            r#"{"query": "x", "kind": "person"}"#,
        ])
        .failure();
    assert!(wrong.stderr.contains("kind"), "{}", wrong.stderr);
    // No input at all: `{}` is checked, and the required fields are missing.
    let none = env.run(&["run", "lookup.ts"]).failure();
    assert!(none.stderr.contains("query"), "{}", none.stderr);

    env.run(&[
        "save",
        "--run",
        run["run_id"].as_str().unwrap(),
        "--name",
        "lookup-contacts",
        "--description",
        "List CRM records matching a query",
    ])
    .success();
    let schema: Value =
        serde_json::from_str(&env.read("skills/lookup-contacts/scripts/input.schema.json"))
            .unwrap();
    assert_eq!(
        schema["properties"]["query"]["description"],
        "Who to look up: an email address or a name."
    );
    assert_eq!(
        schema["properties"]["kind"]["enum"],
        json!(["contact", "company"])
    );
    let tested = env.run(&["test", "--json"]).success().json();
    assert_eq!(tested[0]["status"], "passed", "{tested}");

    // A type JSON cannot carry is refused when an input is given, naming the part...
    env.write(
        "dated.ts",
        "export default async function (input?: { when: Date }) { return 1; }\n",
    );
    let dated = env
        .run(&["run", "dated.ts", "--input", r#"{"when": "2026-01-01"}"#])
        .failure();
    assert!(dated.stderr.contains("when"), "{}", dated.stderr);
    assert!(dated.stderr.contains("Date"), "{}", dated.stderr);
    // ...and at save, for a run that had none.
    let ran = env.run(&["run", "dated.ts", "--json"]).success().json();
    let saved = env
        .run(&[
            "save",
            "--run",
            ran["run_id"].as_str().unwrap(),
            "--name",
            "dated",
            "--description",
            "d",
        ])
        .failure();
    assert!(saved.stderr.contains("`when`"), "{}", saved.stderr);
    assert!(saved.stderr.contains("Date"), "{}", saved.stderr);
    assert!(
        saved.stderr.contains("skills/dated/scripts/index.ts:1:"),
        "{}",
        saved.stderr
    );
    assert!(!env.path("skills/dated").exists());
}

#[test]
fn bad_parameters_are_refused_and_nothing_is_saved() {
    let env = registry();
    env.write("attach.ts", ATTACH);
    let run = env.run(&["run", "attach.ts", "--json"]).success().json();
    let id = run["run_id"].as_str().unwrap();
    let save = |param: &str| {
        env.run(&[
            "save",
            "--run",
            id,
            "--name",
            "attach-transcript",
            "--description",
            "Attach a transcript",
            "--param",
            param,
        ])
        .failure()
    };
    // A literal the script does not have.
    let absent = save("documentId=meet-does-not-exist");
    assert!(
        absent.stderr.contains("meet-does-not-exist"),
        "{}",
        absent.stderr
    );
    // Only inside a longer string.
    let inside = save("who=ellis");
    assert!(inside.stderr.contains("ellis"), "{}", inside.stderr);
    // Not a name.
    let bad_name = save("2fast=meet-2025-q3-planning-call");
    assert!(bad_name.stderr.contains("2fast"), "{}", bad_name.stderr);
    // No NAME=.
    let no_name = save("meet-2025-q3-planning-call");
    assert_eq!(no_name.code(), 2, "{}", no_name.stderr);
    let orphan = env
        .run(&[
            "save",
            "--run",
            id,
            "--name",
            "attach-transcript",
            "--description",
            "d",
            "--param-description",
            "who=someone",
        ])
        .failure();
    assert!(orphan.stderr.contains("who"), "{}", orphan.stderr);
    assert!(!env.path("skills/attach-transcript").exists());
}

#[test]
fn served_agents_run_reviewed_skills_by_name_with_an_input() {
    let env = registry();
    trust_alice(&env, "");
    save_lifted(&env);
    let steps_before_sign = mcp_client(
        &env,
        &json!({
            "connect": serve_over_stdio(&env, &[]),
            "steps": [
                { "op": "call", "name": "run_code", "args": {
                    "skill": "attach-transcript",
                    "input": { "documentId": "meet-eng-sync-2025-07-01", "contactEmail": "maya.chen@example.com" }
                } },
            ],
        }),
    )
    .0;
    assert_eq!(
        steps_before_sign[0]["isError"], true,
        "{}",
        steps_before_sign[0]
    );
    assert!(
        steps_before_sign[0]["text"]
            .as_str()
            .unwrap()
            .contains("skillet sign attach-transcript"),
        "{}",
        steps_before_sign[0]
    );

    env.run(&["sign", "attach-transcript", "--key", "keys/alice"])
        .success();
    let steps = mcp_client(
        &env,
        &json!({
            "connect": serve_over_stdio(&env, &[]),
            "steps": [
                { "op": "call", "name": "run_code", "args": {
                    "skill": "attach-transcript",
                    "input": { "documentId": "meet-eng-sync-2025-07-01", "contactEmail": "maya.chen@example.com" }
                } },
                { "op": "call", "name": "run_code", "args": {
                    "skill": "attach-transcript",
                    "input": { "documentId": 7 }
                } },
                { "op": "call", "name": "run_code", "args": {
                    "code": "import attach from './skills/attach-transcript';\nawait attach({ documentId: 'meet-pipeline-review-2025-06-30', contactEmail: 'kevin.park@example.com' });"
                } },
                { "op": "call", "name": "run_code", "args": { "code": "1", "skill": "attach-transcript" } },
            ],
        }),
    )
    .0;
    assert_eq!(steps[0]["isError"], false, "{}", steps[0]);
    assert!(
        steps[0]["text"].as_str().unwrap().contains("to ct-002"),
        "{}",
        steps[0]
    );
    assert_eq!(steps[1]["isError"], true, "{}", steps[1]);
    assert!(
        steps[1]["text"].as_str().unwrap().contains("documentId"),
        "{}",
        steps[1]
    );
    assert_eq!(steps[2]["isError"], false, "{}", steps[2]);
    assert!(
        steps[2]["text"].as_str().unwrap().contains("to ct-007"),
        "{}",
        steps[2]
    );
    assert_eq!(steps[3]["isError"], true, "{}", steps[3]);
}
