//! Servers whose folder names clash: `gen` settles them (the later by name gets `-2`), and every
//! answer that names a server's folder (tool search in the CLI and in `serve`) names the folder
//! generated, so that a served `read` of it works.

use serde_json::json;

use crate::support::*;

/// Two sample servers whose folders (`My-Server`, `my-server`) clash case-insensitively.
fn clashing(env: &TestEnv) {
    env.registry(json!({ "My Server": sample("docs"), "my-server": sample("crm") }));
    let report = env.run(&["gen", "--json"]).success().json();
    let folders: Vec<(&str, &str)> = report["servers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["server"].as_str().unwrap(), s["folder"].as_str().unwrap()))
        .collect();
    assert_eq!(
        folders,
        [("My Server", "My-Server"), ("my-server", "my-server-2")],
        "{report}"
    );
    assert!(
        env.path(".skillet/servers/My-Server/getDocument.ts")
            .is_file()
    );
    assert!(
        env.path(".skillet/servers/my-server-2/exportActivities.ts")
            .is_file()
    );
}

fn first_tool_hit(env: &TestEnv, query: &str) -> (String, String) {
    let hits = env
        .run(&["search", "--tools", query, "--json"])
        .success()
        .json();
    (
        hits[0]["name"].as_str().unwrap().to_owned(),
        hits[0]["status"].as_str().unwrap().to_owned(),
    )
}

#[test]
fn cli_tool_search_names_the_generated_folders() {
    let env = TestEnv::new();
    clashing(&env);
    let expected = [
        (
            "export activities",
            "my-server.export_activities",
            "servers/my-server-2/exportActivities.ts",
        ),
        (
            "get document",
            "My Server.get_document",
            "servers/My-Server/getDocument.ts",
        ),
    ];
    for (query, name, path) in expected {
        assert_eq!(first_tool_hit(&env, query), (name.into(), path.into()));
        assert!(env.path(&format!(".skillet/{path}")).is_file(), "{path}");
    }
    // A registry generated before the folders were recorded: they are settled again over the
    // catalog's servers, with the same result.
    fs_err::remove_file(env.path(".skillet/folders.json")).unwrap();
    for (query, name, path) in expected {
        assert_eq!(first_tool_hit(&env, query), (name.into(), path.into()));
    }
}

#[test]
fn served_search_names_a_folder_that_read_reads() {
    let env = TestEnv::new();
    clashing(&env);
    let call =
        |name: &str, args: serde_json::Value| json!({ "op": "call", "name": name, "args": args });
    let (steps, _) = mcp_client(
        &env,
        &json!({
            "connect": serve_over_stdio(&env, &[]),
            "steps": [
                call("read", json!({ "path": "servers/my-server-2/" })),
                call("search", json!({ "query": "export activities", "limit": 1 })),
                call("read", json!({ "path": "servers/my-server-2/exportActivities.ts" })),
            ],
        }),
    );
    let text = |i: usize| {
        assert_eq!(steps[i]["isError"], false, "{}", steps[i]);
        steps[i]["text"].as_str().unwrap().to_owned()
    };
    assert!(
        text(0)
            .lines()
            .any(|l| l == "servers/my-server-2/exportActivities.ts"),
        "{}",
        text(0)
    );
    assert!(
        text(1).contains("import { exportActivities } from \"./servers/my-server-2/index.js\";"),
        "{}",
        text(1)
    );
    assert!(
        text(2).contains("export function exportActivities("),
        "{}",
        text(2)
    );
}

#[test]
fn refreshing_one_of_them_keeps_every_folder_and_the_root_index() {
    let env = TestEnv::new();
    clashing(&env);
    let index = env.read(".skillet/servers/index.ts");
    assert!(
        index.contains("export * as myServer2 from \"./my-server-2/index.js\";"),
        "{index}"
    );
    let folders = env.read(".skillet/folders.json");
    let registry = skillet::registry::Registry::open(&env.work()).unwrap();
    let tools = skillet::api::load_catalog(&registry)["my-server"].clone();
    // What `serve` does when the server says its tool list changed.
    skillet::ops::refresh_server(&registry, "my-server", &tools).unwrap();
    // The same exports and servers (a placeholder's tool count is not known: it says 0).
    let exports = |index: &str| -> Vec<String> {
        index
            .lines()
            .filter(|l| l.starts_with("export") || l.contains("MCP server"))
            .map(|l| l.split(" (").next().unwrap().to_owned())
            .collect()
    };
    assert_eq!(
        exports(&env.read(".skillet/servers/index.ts")),
        exports(&index)
    );
    assert_eq!(env.read(".skillet/folders.json"), folders);
    let mut listed: Vec<String> = fs_err::read_dir(env.path(".skillet/servers"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    listed.sort();
    assert_eq!(listed, ["My-Server", "index.ts", "my-server-2"]);
}
