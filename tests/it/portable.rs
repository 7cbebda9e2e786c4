//! A registry survives a clone: one made by `init` + `save` passes `gen` + `test` in a fresh
//! `git clone` with nothing else done, and the saved SKILL.md is a recipe an agent with only a
//! shell can follow (the run command, the servers' configuration with secrets as `${VAR}`),
//! valid for the reference validator too.

use serde_json::json;

use crate::support::*;
use crate::validate::{Verdict, skills_ref_verdicts};

const COUNT: &str = "import { listDocuments } from './servers/docs/index.js';\nconsole.log((await listDocuments({})).total);\n";

#[test]
fn a_clone_of_a_saved_registry_passes_gen_and_test() {
    let env = TestEnv::new();
    let mut docs = sample("docs");
    docs["env"] = json!({
        "DOCS_TOKEN": "tok_0123456789abcdefXYZ",
        "LOG_LEVEL": "debug",
        "REGION": "${DOCS_REGION:-eu}",
    });
    env.registry(json!({ "docs": docs }));
    git(&env, &["add", "-A"]);
    git(&env, &["commit", "-qm", "servers"]);

    // No `skillet gen`: the first run makes the generated API, and says so.
    env.write("count.ts", COUNT);
    let first = env.run(&["run", "count.ts", "--json"]).success();
    assert!(
        first
            .stderr
            .contains("note: there was no generated API yet: generated it from 1 server, as `skillet gen` does"),
        "{}",
        first.stderr
    );
    let run = first.json();
    assert_eq!(run["output"], "12\n", "{run}");
    // Once there, it is not made again.
    let second = env.run(&["run", "count.ts"]).success();
    assert!(
        !second.stderr.contains("no generated API"),
        "{}",
        second.stderr
    );

    env.run(&[
        "save",
        "--run",
        run["run_id"].as_str().unwrap(),
        "--name",
        "count-documents",
        "--description",
        "Count the documents of the docs server. Use it to know how many there are.",
    ])
    .success();
    // skillet.lock, written by the first run's generation, is committed by `save`: nothing of
    // the registry is left for the user to commit.
    assert_eq!(
        git(
            &env,
            &[
                "status",
                "--porcelain",
                "skills",
                "skillet.lock",
                ".mcp.json"
            ]
        ),
        ""
    );

    let skill_md = env.read("skills/count-documents/SKILL.md");
    for needle in [
        "## Inputs\n\nNone",
        "cd ../..   # from skills/count-documents/\nskillet run --skill count-documents\n",
        "import countDocuments from \"./skills/count-documents\";",
        "`skillet gen`",
        "### `docs`\n\n```json\n",
        "\"DOCS_TOKEN\": \"${DOCS_TOKEN}\"",
        "\"LOG_LEVEL\": \"debug\"",
        "\"REGION\": \"${DOCS_REGION:-eu}\"",
        "what they read: `DOCS_REGION`, `DOCS_TOKEN`.\n",
        "- `docs.list_documents`",
        "`skillet test count-documents`",
    ] {
        assert!(skill_md.contains(needle), "{needle}\n{skill_md}");
    }
    assert!(!skill_md.contains("tok_0123456789"), "{skill_md}");

    // The reference validator agrees it is a valid skill.
    let dir = env.path("skills/count-documents");
    match skills_ref_verdicts(std::slice::from_ref(&dir)) {
        Some(verdicts) => assert_eq!(verdicts, [Verdict::Valid], "{skill_md}"),
        None => eprintln!(
            "SKIPPED the skills-ref check: skills-ref is not installed in target/pyenv (CI installs it)"
        ),
    }

    // A fresh clone: `gen`, then `test` passes on every skill with a recording.
    let cloned = clone_registry(&env);
    assert!(!cloned.join(".skillet").exists());
    skillet_in(&env, &cloned, &["gen"]).success();
    let tests = skillet_in(&env, &cloned, &["test", "--json"])
        .success()
        .json();
    assert_eq!(tests.as_array().unwrap().len(), 1, "{tests}");
    assert_eq!(tests[0]["status"], "passed", "{tests}");
    assert_eq!(tests[0]["tool_calls"], 1, "{tests}");
}
