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
