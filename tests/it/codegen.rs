//! `gen --from-json` over every shared catalog, compiled together with tsc.

use crate::real_servers::tsc;
use crate::support::*;

#[test]
fn every_catalog_generates_a_tree_that_compiles() {
    let env = TestEnv::new();
    let catalogs = fixture("catalogs");
    let mut names: Vec<String> = fs_err::read_dir(&catalogs)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .map(|p| p.file_stem().unwrap().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert!(names.len() >= 10, "{names:?}");
    for name in &names {
        let path = catalogs.join(format!("{name}.json"));
        let report = env
            .run(&[
                "gen",
                "--from-json",
                path.to_str().unwrap(),
                "--server",
                name,
                "--out",
                "api",
                "--json",
            ])
            .success()
            .json();
        assert!(
            report["servers"][0]["tools"].as_u64().unwrap() >= 1,
            "{report}"
        );
    }
    let root_index = env.read("api/servers/index.ts");
    for name in &names {
        assert!(
            root_index.contains(&format!("\"./{name}/index.js\"")),
            "{name} missing from:\n{root_index}"
        );
    }
    // The tool catalog is written beside the tree, every server in it.
    let catalog: serde_json::Value = serde_json::from_str(&env.read("api/tools.json")).unwrap();
    let functions: serde_json::Value =
        serde_json::from_str(&env.read("api/functions.json")).unwrap();
    for name in &names {
        assert!(
            catalog[name].as_array().is_some_and(|t| !t.is_empty()),
            "{name}"
        );
        assert!(functions[name].is_object(), "{name}");
    }
    // An agent-style script using the API must type-check too.
    env.write(
        "api/usage.ts",
        r#"import * as servers from "./servers/index.js";
import { getCurrentTime } from "./servers/time/getCurrentTime.js";

export async function main(): Promise<string> {
  const now = await getCurrentTime({ timezone: "UTC" });
  const tz: string = now.timezone;
  const entries = await servers.memory.readGraph();
  return `${tz} ${JSON.stringify(entries)}`;
}
"#,
    );
    tsc(&env.path("api"));
}

#[test]
fn from_json_rejects_bad_input_clearly() {
    let env = TestEnv::new();
    env.write("bad.json", "{\"tools\": [ {\"name\": 1} ]}");
    let run = env
        .run(&[
            "gen",
            "--from-json",
            "bad.json",
            "--server",
            "x",
            "--out",
            "api",
        ])
        .failure();
    assert!(run.stderr.contains("bad.json"), "{}", run.stderr);
    let run = env
        .run(&[
            "gen",
            "--from-json",
            "missing.json",
            "--server",
            "x",
            "--out",
            "api",
        ])
        .failure();
    assert!(run.stderr.contains("missing.json"), "{}", run.stderr);
    let run = env.run(&["gen", "--from-json", "bad.json"]).failure();
    assert_eq!(run.code(), 2, "{}", run.stderr);
}

#[test]
fn from_json_into_a_registry_makes_its_tools_searchable_offline() {
    let env = TestEnv::new();
    env.run(&["init"]).success();
    let lock_before = fs_err::read_to_string(env.path("skillet.lock")).ok();
    for name in ["sqlite", "slack"] {
        let path = fixture(&format!("catalogs/{name}.json"));
        let report = env
            .run(&[
                "gen",
                "--from-json",
                path.to_str().unwrap(),
                "--server",
                name,
                "--json",
            ])
            .success()
            .json();
        assert_eq!(report["servers"][0]["server"], name, "{report}");
        assert!(
            env.path(&format!(".skillet/servers/{name}/index.ts"))
                .is_file()
        );
    }
    // Both servers stay in the root index and the catalog.
    let root_index = env.read(".skillet/servers/index.ts");
    assert!(root_index.contains("\"./sqlite/index.js\""), "{root_index}");
    assert!(root_index.contains("\"./slack/index.js\""), "{root_index}");
    let search = |query: &str| -> Vec<String> {
        let hits = env
            .run(&["search", "--tools", query, "--json"])
            .success()
            .json();
        hits.as_array()
            .unwrap()
            .iter()
            .map(|h| h["name"].as_str().unwrap().to_owned())
            .collect()
    };
    let sqlite = search("query a sqlite table");
    assert!(
        sqlite.contains(&"sqlite.read_query".to_owned()),
        "{sqlite:?}"
    );
    let slack = search("send a message to a slack channel");
    assert_eq!(
        slack.first().map(String::as_str),
        Some("slack.slack_post_message")
    );
    // skillet.lock records what the configured servers answered: a saved catalog leaves it be.
    assert_eq!(
        fs_err::read_to_string(env.path("skillet.lock")).ok(),
        lock_before
    );
}
