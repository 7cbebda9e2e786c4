//! Skills end to end: save, versions, git history, replay tests, drift, install, concurrency,
//! importing a skill from a script, and search.

use serde_json::json;

use crate::support::*;

const ATTACH: &str = r#"import { getDocument } from "./servers/docs/index.js";
import { findRecords, updateRecord } from "./servers/crm/index.js";

const transcript = (await getDocument({ id: "meet-2025-q3-planning-call" })) as string;
const { records } = await findRecords({ query: "jordan.ellis@example.com", type: "contact" });
await updateRecord({ id: records[0].id, fields: { notes: transcript.slice(0, 200) } });
console.log(`attached ${transcript.length} chars to ${records[0].name}`);
"#;

fn registry() -> TestEnv {
    let env = TestEnv::new();
    env.registry(json!({ "docs": sample("docs"), "crm": sample("crm") }));
    env.run(&["gen"]).success();
    git(&env, &["add", "-A"]);
    git(&env, &["commit", "-qm", "registry"]);
    env
}

fn run_ok(env: &TestEnv, file: &str, source: &str) -> String {
    env.write(file, source);
    let run = env.run(&["run", file, "--json"]).success().json();
    run["run_id"].as_str().unwrap().to_owned()
}

/// Runs ATTACH and saves it as `attach-transcript`.
fn save_attach(env: &TestEnv) {
    let run = run_ok(env, "attach.ts", ATTACH);
    save(
        env,
        &run,
        "attach-transcript",
        "Attach a meeting transcript to the CRM contact it mentions",
    )
    .success();
}

fn save(env: &TestEnv, run: &str, name: &str, description: &str) -> Run {
    env.run(&[
        "save",
        "--run",
        run,
        "--name",
        name,
        "--description",
        description,
        "--tag",
        "crm",
        "--json",
    ])
}

#[test]
fn save_version_history_and_replay() {
    let env = registry();
    let run = run_ok(&env, "attach.ts", ATTACH);
    let saved = save(
        &env,
        &run,
        "attach-transcript",
        "Attach a meeting transcript to the CRM contact it mentions",
    )
    .success()
    .json();
    assert_eq!(saved["version"], 1);
    for file in ["SKILL.md", "scripts/index.ts", "tests/recording.json"] {
        assert!(
            env.path(&format!("skills/attach-transcript/{file}"))
                .is_file(),
            "{file}"
        );
    }
    let md = env.read("skills/attach-transcript/SKILL.md");
    assert!(md.starts_with("---\nname: attach-transcript\n"), "{md}");
    assert!(
        md.contains("skillet.version: '1'") || md.contains("skillet.version: \"1\""),
        "{md}"
    );
    assert!(md.contains("docs.get_document@sha256:"), "{md}");
    assert!(md.contains("## Tools it calls"), "{md}");
    let script = env.read("skills/attach-transcript/scripts/index.ts");
    assert!(
        script.contains("export async function attachTranscript()"),
        "{script}"
    );
    assert!(
        script.contains("\"../../../servers/docs/index.js\""),
        "{script}"
    );
    // Committed, and git is clean.
    assert!(git(&env, &["log", "--format=%s"]).starts_with("skill(attach-transcript): save v1\n"));
    assert_eq!(
        git(&env, &["status", "--porcelain", "skills", "skillet.lock"]),
        ""
    );
    env.run(&["validate"]).success();
    let test = env.run(&["test", "--json"]).success().json();
    assert_eq!(test[0]["ok"], true, "{test}");
    assert_eq!(test[0]["tool_calls"], 3);

    // A second save is v2 and shows what changed.
    let run2 = run_ok(
        &env,
        "attach2.ts",
        &ATTACH.replace("slice(0, 200)", "slice(0, 100)"),
    );
    let saved = env
        .run(&[
            "save",
            "--run",
            &run2,
            "--name",
            "attach-transcript",
            "--description",
            "Attach a meeting transcript to the CRM contact it mentions",
        ])
        .success();
    assert!(
        saved.stdout.contains("changes against v1:"),
        "{}",
        saved.stdout
    );
    assert!(
        saved.stdout.contains("~ scripts/index.ts"),
        "{}",
        saved.stdout
    );
    assert!(
        saved.stdout.contains("saved attach-transcript v2"),
        "{}",
        saved.stdout
    );
    let log = env
        .run(&["log", "attach-transcript", "--json"])
        .success()
        .json();
    assert_eq!(log.as_array().unwrap().len(), 2);
    assert!(log[0]["message"].as_str().unwrap().ends_with("save v2"));
    let old = env
        .run(&["show", "attach-transcript@v1", "--json"])
        .success()
        .json();
    assert!(
        old["scripts/index.ts"]
            .as_str()
            .unwrap()
            .contains("slice(0, 200)")
    );
    let diff = env
        .run(&["diff", "attach-transcript", "v1", "v2"])
        .success();
    assert!(diff.stdout.contains("-  await updateRecord({ id: records[0].id, fields: { notes: transcript.slice(0, 200) } });"), "{}", diff.stdout);

    // Local edits block a save, with a hint.
    env.write(
        "skills/attach-transcript/scripts/index.ts",
        "// edited by hand\n",
    );
    let refused = save(&env, &run2, "attach-transcript", "x").failure();
    assert!(
        refused.stderr.contains("has uncommitted changes"),
        "{}",
        refused.stderr
    );
    let diff = env.run(&["diff", "attach-transcript"]).success();
    assert!(
        diff.stdout.contains("+// edited by hand"),
        "{}",
        diff.stdout
    );
    git(&env, &["checkout", "--", "skills/attach-transcript"]);

    // A failed run cannot be saved.
    env.write("bad.ts", "throw new Error('nope')");
    let bad = env.run(&["run", "bad.ts", "--json"]).failure().json();
    let refused = save(&env, bad["run_id"].as_str().unwrap(), "bad-one", "x").failure();
    assert!(
        refused
            .stderr
            .contains("only a run whose status is ok can be saved"),
        "{}",
        refused.stderr
    );
    let refused = save(&env, &run2, "Bad_Name", "x").failure();
    assert!(
        refused.stderr.contains("not a valid skill name"),
        "{}",
        refused.stderr
    );
}

#[test]
fn skills_are_importable_and_drift_is_caught() {
    let env = registry();
    save_attach(&env);
    env.write("use.ts", "import { attachTranscript } from \"./skills/attach-transcript\";\nawait attachTranscript();\n");
    let used = env.run(&["run", "use.ts", "--json"]).success().json();
    assert!(
        used["output"].as_str().unwrap().starts_with("attached "),
        "{used}"
    );
    assert_eq!(used["tool_calls"], 3);

    // The lock says get_document's schema changed since the skill was saved.
    let lock = env.read("skillet.lock");
    let start = lock.find("[servers.docs.tools.get_document]").unwrap();
    let hash_at = start + lock[start..].find("sha256:").unwrap() + 7;
    let mut edited = lock.clone();
    edited.replace_range(hash_at..hash_at + 4, "0000");
    env.write("skillet.lock", &edited);
    let test = env.run(&["test"]).failure();
    assert!(
        test.stdout
            .contains("interface drift: tool `docs.get_document` changed its schema"),
        "{}",
        test.stdout
    );
}

#[test]
fn install_from_another_registry_by_path_and_file_url() {
    let source = registry();
    save_attach(&source);
    let run = run_ok(
        &source,
        "list.ts",
        "import { listDocuments } from './servers/docs/index.js';\nconsole.log((await listDocuments({})).total);\n",
    );
    save(
        &source,
        &run,
        "count-documents",
        "Count the documents in the store",
    )
    .success();

    let target = registry();
    let from = source.work();
    let installed = target
        .run(&[
            "install",
            from.to_str().unwrap(),
            "--skill",
            "attach-transcript",
            "--json",
        ])
        .success()
        .json();
    assert_eq!(installed["installed"], json!(["attach-transcript"]));
    let md = target.read("skills/attach-transcript/SKILL.md");
    assert!(md.contains("skillet.origin:"), "{md}");
    assert!(md.contains("skillet.origin-commit:"), "{md}");
    assert!(
        git(&target, &["log", "-1", "--format=%s"])
            .starts_with("skill(attach-transcript): install from ")
    );
    target.run(&["test", "attach-transcript"]).success();

    let url = format!("file://{}", from.display());
    let several = target.run(&["install", &url]).failure();
    assert!(
        several.stderr.contains("has 2 skills") && several.stderr.contains("--all"),
        "{}",
        several.stderr
    );
    let installed = target
        .run(&["install", &url, "--all", "--json"])
        .success()
        .json();
    assert_eq!(installed["installed"].as_array().unwrap().len(), 2);
    let missing = target.run(&["install", &url, "--skill", "nope"]).failure();
    assert!(
        missing.stderr.contains("has no skill `nope`"),
        "{}",
        missing.stderr
    );
}

#[test]
fn concurrent_saves_both_land() {
    let env = registry();
    let a = run_ok(&env, "a.ts", "console.log('a')");
    let b = run_ok(&env, "b.ts", "console.log('b')");
    let spawn = |run: &str, name: &str| {
        env.command(&[
            "save",
            "--run",
            run,
            "--name",
            name,
            "--description",
            "Prints a letter",
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap()
    };
    let first = spawn(&a, "print-a");
    let second = spawn(&b, "print-b");
    let first: Run = first.wait_with_output().unwrap().into();
    let second: Run = second.wait_with_output().unwrap().into();
    first.success();
    second.success();
    let log = git(&env, &["log", "--format=%s"]);
    assert!(log.contains("skill(print-a): save v1"), "{log}");
    assert!(log.contains("skill(print-b): save v1"), "{log}");
    assert_eq!(
        git(&env, &["status", "--porcelain", "skills", "skillet.lock"]),
        ""
    );
}

#[test]
fn search_finds_skills_by_what_they_do() {
    let env = registry();
    save_attach(&env);
    let run = run_ok(
        &env,
        "list.ts",
        "import { listDocuments } from './servers/docs/index.js';\nconsole.log((await listDocuments({})).total);\n",
    );
    save(
        &env,
        &run,
        "count-documents",
        "Count the documents in the store",
    )
    .success();
    let hits = env
        .run(&[
            "search",
            "put the call recording notes on the customer record",
            "--json",
        ])
        .success()
        .json();
    assert_eq!(hits[0]["name"], "attach-transcript", "{hits}");
    let typo = env
        .run(&["search", "transcirpt", "--json"])
        .success()
        .json();
    assert_eq!(typo[0]["name"], "attach-transcript", "{typo}");
    // The index follows the tree: a removed skill leaves it.
    fs_err::remove_dir_all(env.path("skills/count-documents")).unwrap();
    let hits = env
        .run(&["search", "count documents", "--json"])
        .success()
        .json();
    assert!(
        hits.as_array()
            .unwrap()
            .iter()
            .all(|h| h["name"] != "count-documents"),
        "{hits}"
    );
    // A broken index is rebuilt.
    fs_err::write(env.path(".skillet/index/skills/meta.json"), "garbage").unwrap();
    env.run(&["search", "transcript", "--json"]).success();
}

#[test]
fn example_skills_match_the_committed_schemas() {
    let schema = |name: &str| -> serde_json::Value {
        serde_json::from_str(
            &fs_err::read_to_string(manifest_dir().join("schemas").join(name)).unwrap(),
        )
        .unwrap()
    };
    let recording = jsonschema::validator_for(&schema("recording.schema.json")).unwrap();
    let frontmatter = jsonschema::validator_for(&schema("skill-frontmatter.schema.json")).unwrap();
    let mut checked = 0;
    for entry in fs_err::read_dir(manifest_dir().join("skills")).unwrap() {
        let dir = entry.unwrap().path();
        if !dir.is_dir() {
            continue;
        }
        let rec: serde_json::Value = serde_json::from_str(
            &fs_err::read_to_string(dir.join("tests/recording.json")).unwrap(),
        )
        .unwrap();
        let errors: Vec<String> = recording.iter_errors(&rec).map(|e| e.to_string()).collect();
        assert!(errors.is_empty(), "{}: {errors:?}", dir.display());
        let md = fs_err::read_to_string(dir.join("SKILL.md")).unwrap();
        let yaml = md.split("---\n").nth(1).unwrap();
        let front: serde_json::Value = yaml_serde::from_str(yaml).unwrap();
        let errors: Vec<String> = frontmatter
            .iter_errors(&front)
            .map(|e| e.to_string())
            .collect();
        assert!(errors.is_empty(), "{}: {errors:?}", dir.display());
        checked += 1;
    }
    assert!(checked >= 5, "only {checked} example skills");
}

#[test]
fn the_same_engine_searches_the_generated_tool_api() {
    let env = registry();
    let hits = env
        .run(&["search", "--tools", "change a field of a contact", "--json"])
        .success()
        .json();
    assert_eq!(hits[0]["name"], "crm.update_record", "{hits}");
    assert_eq!(hits[0]["kind"], "tool");
    assert_eq!(hits[0]["status"], "servers/crm/updateRecord.ts");
    let typo = env
        .run(&["search", "--tools", "serch documnets", "--json"])
        .success()
        .json();
    assert_eq!(typo[0]["name"], "docs.search_documents", "{typo}");
}

/// A skill with nothing to replay is skipped with the reason, and skipping is not failing:
/// the ecosystem's Markdown skills (installed ones) and a code skill whose recording is gone.
#[test]
fn test_skips_skills_with_nothing_to_replay_and_says_why() {
    let env = TestEnv::new();
    env.registry(json!({}));
    let real = fixture("real-skills/obra+superpowers/skills/brainstorming/SKILL.md");
    env.write(
        "skills/brainstorming/SKILL.md",
        &fs_err::read_to_string(real).unwrap(),
    );
    env.write(
        "skills/half-saved/SKILL.md",
        "---\nname: half-saved\ndescription: A code skill whose recording was lost.\nmetadata:\n  skillet.version: \"1\"\n---\nbody\n",
    );
    env.write("skills/half-saved/scripts/index.ts", "export default 1;\n");
    let report = env.run(&["test", "--json"]).success().json();
    let by_name = |name: &str| {
        report
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["name"] == name)
            .unwrap_or_else(|| panic!("{name} not in {report}"))
            .clone()
    };
    let md = by_name("brainstorming");
    assert_eq!(md["status"], "skipped", "{md}");
    assert_eq!(md["skipped"], "no recording: not a skillet code skill");
    let code = by_name("half-saved");
    assert_eq!(code["status"], "skipped", "{code}");
    assert!(
        code["skipped"]
            .as_str()
            .unwrap()
            .contains("tests/recording.json"),
        "{code}"
    );
    let text = env.run(&["test"]).success().stdout;
    assert!(
        text.contains("skipped brainstorming: no recording: not a skillet code skill"),
        "{text}"
    );
    assert!(text.ends_with("0 passed, 0 failed, 2 skipped\n"), "{text}");
}

/// The names `skillet search` finds for `query`.
fn found(env: &TestEnv, query: &str) -> Vec<String> {
    let hits = env.run(&["search", query, "--json"]).success().json();
    hits.as_array()
        .unwrap()
        .iter()
        .map(|h| h["name"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn search_sees_each_kind_of_write_at_once() {
    let (env, run) = committed_registry_with_run();
    save(&env, &run, "print-a", "Prints the aardvark letter").success();
    assert_eq!(found(&env, "aardvark"), ["print-a"]);
    // A save over an existing skill.
    save(&env, &run, "print-a", "Prints the bison letter").success();
    assert_eq!(found(&env, "bison"), ["print-a"]);
    assert!(found(&env, "aardvark").is_empty());
    // An install from another registry.
    let (source, source_run) = committed_registry_with_run();
    save(
        &source,
        &source_run,
        "print-b",
        "Prints the capybara letter",
    )
    .success();
    let from = source.work();
    env.run(&["install", from.to_str().unwrap(), "--skill", "print-b"])
        .success();
    assert_eq!(found(&env, "capybara"), ["print-b"]);
    // A save killed after its swap, finished by the next command (the search).
    let out = env
        .command(&[
            "save",
            "--run",
            &run,
            "--name",
            "print-c",
            "--description",
            "Prints the dingo letter",
        ])
        .env("SKILLET_FAILPOINT", "save:after-swap")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert_eq!(found(&env, "dingo"), ["print-c"]);
    // Hand changes to skills/ (a removed folder; a renamed one). Edits in place inside a
    // folder show within the sweep period: see the unit tests of `skill::index`.
    fs_err::remove_dir_all(env.path("skills/print-b")).unwrap();
    assert!(found(&env, "capybara").is_empty());
    fs_err::rename(env.path("skills/print-c"), env.path("skills/print-d")).unwrap();
    assert!(found(&env, "dingo").is_empty(), "print-d is invalid");
    save(&env, &run, "print-a", "Prints the echidna letter").success();
    assert_eq!(found(&env, "echidna"), ["print-a"]);
}

#[test]
fn search_sees_an_edit_in_place_within_the_sweep_period() {
    let (env, run) = committed_registry_with_run();
    save(&env, &run, "print-a", "Prints the aardvark letter").success();
    assert_eq!(found(&env, "aardvark"), ["print-a"]);
    // An edit in place (the same file rewritten: no rename, no git) changes neither `skills/`
    // nor git's index: the next sweep, within `SWEEP_EVERY` (5 s), finds it.
    let md = env.path("skills/print-a/SKILL.md");
    let text = fs_err::read_to_string(&md).unwrap();
    fs_err::write(&md, text.replacen("\n---\n", "\n---\n\nZanzibar.\n", 1)).unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while found(&env, "zanzibar").is_empty() {
        assert!(
            std::time::Instant::now() < deadline,
            "the edit never showed in search"
        );
        // Between polls (the loop ends on the condition, not on the wait).
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    assert_eq!(found(&env, "zanzibar"), ["print-a"]);
}
