//! The registry as a Claude Code plugin marketplace (`skillet export --marketplace`): the file
//! checked against the documented shape (schemas/claude-marketplace.schema.json), listing only
//! reviewed skills, committed with every save in the same commit (with skillet.lock), rewritten
//! by `sign`, `--check` red and green, and a save killed around the regeneration repaired.

use std::os::unix::process::ExitStatusExt as _;

use crate::support::*;

const FILE: &str = ".claude-plugin/marketplace.json";
const NS: &str = "skillet-skill-review@skillet";

/// A committed registry with a trusted reviewer (alice), the marketplace on, and the saved,
/// unreviewed skill `print-a`.
fn registry() -> TestEnv {
    let env = TestEnv::new();
    env.run(&["init"]).success();
    trust_alice(&env, &format!("namespaces=\"{NS}\""));
    git(&env, &["add", "signing"]);
    git(&env, &["commit", "-qm", "trust alice"]);
    run_and_save(
        &env,
        "a.ts",
        "console.log('a')\n",
        "print-a",
        "Prints a letter",
    );
    let report = env
        .run(&["export", "--marketplace", "--json"])
        .success()
        .json();
    assert_eq!(report["in_sync"], false, "{report}");
    assert_eq!(report["plugins"], serde_json::json!([]), "{report}");
    assert_eq!(report["skipped"][0]["name"], "print-a", "{report}");
    git(&env, &["add", FILE]);
    git(&env, &["commit", "-qm", "marketplace"]);
    env
}

/// The marketplace file, checked against the documented shape.
fn marketplace(env: &TestEnv) -> serde_json::Value {
    let text = env.read(FILE);
    assert!(text.ends_with("}\n") && !text.ends_with("\n\n"), "{text}");
    let value: serde_json::Value = serde_json::from_str(&text).unwrap();
    let schema: serde_json::Value = serde_json::from_str(
        &fs_err::read_to_string(manifest_dir().join("schemas/claude-marketplace.schema.json"))
            .unwrap(),
    )
    .unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&value)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{errors:?}\n{text}");
    value
}

fn listed(env: &TestEnv) -> Vec<String> {
    marketplace(env)["plugins"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap().to_owned())
        .collect()
}

/// `git status` of what a write commits.
fn status(env: &TestEnv) -> String {
    git(
        env,
        &[
            "status",
            "--porcelain",
            "--",
            "skills",
            ".claude-plugin",
            "skillet.lock",
        ],
    )
}

fn files_of_head(env: &TestEnv) -> String {
    git(env, &["show", "--name-only", "--format=", "HEAD"])
}

#[test]
fn reviewed_skills_are_listed_and_every_save_commits_the_file_with_the_skill() {
    let env = registry();
    let market = marketplace(&env);
    assert_eq!(market["plugins"], serde_json::json!([]));
    assert!(
        market["name"].as_str().is_some_and(|n| !n.is_empty()),
        "{market}"
    );
    assert!(market["owner"]["name"].is_string(), "{market}");
    env.run(&["export", "--marketplace", "--check"]).success();

    // Signing makes print-a meet the policy: sign rewrites the file (not committed, as the
    // signature is not), and --check is green again once both are committed.
    env.run(&["sign", "print-a", "--key", "keys/alice"])
        .success();
    assert_eq!(listed(&env), ["print-a"]);
    let plugin = &marketplace(&env)["plugins"][0];
    assert_eq!(plugin["source"], "./skills/print-a");
    assert_eq!(plugin["strict"], false);
    assert_eq!(plugin["skills"], serde_json::json!(["./"]));
    assert_eq!(plugin["description"], "Prints a letter");
    fs_err::remove_dir_all(env.path("keys")).unwrap();
    git(&env, &["add", "-A"]);
    git(&env, &["commit", "-qm", "reviewed"]);
    let before = env.read(FILE);
    env.run(&["export", "--marketplace"]).success();
    assert_eq!(env.read(FILE), before, "an unchanged file is not rewritten");

    // A new version is not reviewed: the save's own commit takes print-a off the list.
    run_and_save(&env, "a.ts", "console.log('b')\n", "print-a", "Prints b");
    let files = files_of_head(&env);
    assert!(files.contains("skills/print-a/SKILL.md"), "{files}");
    assert!(files.contains(FILE), "{files}");
    assert_eq!(listed(&env), Vec::<String>::new());
    assert_eq!(status(&env), "");
    env.run(&["export", "--marketplace", "--check"]).success();

    // --check is red on a file that says something else, and changes nothing.
    env.write(FILE, "{}\n");
    let out = env.run(&["export", "--marketplace", "--check"]);
    assert_eq!(out.code(), 1);
    assert!(out.stdout.contains("NOT in sync"), "{}", out.stdout);
    assert_eq!(env.read(FILE), "{}\n");
}

#[test]
fn a_save_commits_skillet_lock_when_it_differs_from_head() {
    let env = TestEnv::new();
    env.run(&["init"]).success();
    env.write("a.ts", "console.log('a')\n");
    let run = env.run(&["run", "a.ts", "--json"]).success().json();
    // The lock `gen` writes, not committed yet.
    env.run(&["gen"]).success();
    assert!(env.path("skillet.lock").is_file());
    assert!(git(&env, &["status", "--porcelain"]).contains("skillet.lock"));
    env.run(&[
        "save",
        "--run",
        run["run_id"].as_str().unwrap(),
        "--name",
        "print-a",
        "--description",
        "Prints a letter",
    ])
    .success();
    let files = files_of_head(&env);
    assert!(files.contains("skillet.lock"), "{files}");
    assert!(files.contains("skills/print-a/SKILL.md"), "{files}");
    assert!(!git(&env, &["status", "--porcelain"]).contains("skillet.lock"));
    // No marketplace unless asked for.
    assert!(!env.path(FILE).exists());
}

/// `skillet save` of a new version of print-a, killed by its failpoint after `step`.
fn killed_save_at(env: &TestEnv, step: &str) {
    env.write("a.ts", &format!("console.log('{step}')\n"));
    let run = env.run(&["run", "a.ts", "--json"]).success().json();
    let out = env
        .command(&[
            "save",
            "--run",
            run["run_id"].as_str().unwrap(),
            "--name",
            "print-a",
            "--description",
            "Prints a letter",
        ])
        .env("SKILLET_FAILPOINT", format!("save:{step}"))
        .output()
        .unwrap();
    assert_eq!(out.status.signal(), Some(9), "{step}: not killed");
}

#[test]
fn a_save_killed_around_the_regeneration_is_undone_or_finished_with_the_file() {
    let env = registry();
    env.run(&["sign", "print-a", "--key", "keys/alice"])
        .success();
    fs_err::remove_dir_all(env.path("keys")).unwrap();
    git(&env, &["add", "-A"]);
    git(&env, &["commit", "-qm", "reviewed"]);
    assert_eq!(listed(&env), ["print-a"]);
    for (step, forward) in [
        ("after-swap", false),
        ("after-derive", true),
        ("after-commit", true),
        ("after-index", true),
    ] {
        let head = git(&env, &["rev-parse", "HEAD"]);
        let skill = env.read("skills/print-a/scripts/index.ts");
        killed_save_at(&env, step);
        // The next command repairs.
        env.run(&["search", "letter", "--json"]).success();
        assert_eq!(status(&env), "", "{step}");
        let moved = git(&env, &["rev-parse", "HEAD"]) != head;
        assert_eq!(moved, forward, "{step}");
        if forward {
            let files = files_of_head(&env);
            assert!(files.contains(FILE), "{step}: {files}");
            assert_eq!(listed(&env), Vec::<String>::new(), "{step}");
        } else {
            assert_eq!(env.read("skills/print-a/scripts/index.ts"), skill, "{step}");
            assert_eq!(listed(&env), ["print-a"], "{step}");
        }
        env.run(&["export", "--marketplace", "--check"]).success();
        // Reviewed again for the next round.
        if forward {
            trust_alice_again(&env);
        }
    }
}

/// Signs print-a as it is now with a fresh key for alice, and commits.
fn trust_alice_again(env: &TestEnv) {
    let _ = fs_err::remove_dir_all(env.path("keys"));
    trust_alice(env, &format!("namespaces=\"{NS}\""));
    env.run(&["sign", "print-a", "--key", "keys/alice"])
        .success();
    fs_err::remove_dir_all(env.path("keys")).unwrap();
    git(env, &["add", "-A"]);
    git(env, &["commit", "-qm", "reviewed again"]);
    assert_eq!(listed(env), ["print-a"]);
}
