//! skillet.lock: written by gen, drift reported, --check changes nothing and fails on drift.

use serde_json::json;

use crate::support::*;

#[test]
fn lock_tracks_drift_and_check_fails_on_it() {
    let env = TestEnv::new();
    env.registry(json!({ "docs": sample("docs"), "crm": sample("crm") }));
    let first = env.run(&["gen", "--json"]).success().json();
    let added = first["drift"].as_array().unwrap();
    assert!(added.iter().all(|d| d["change"] == "added"), "{first}");
    assert!(
        added
            .iter()
            .any(|d| d["server"] == "docs" && d["tool"] == "get_document")
    );
    let lock = env.read("skillet.lock");
    assert!(lock.contains("[servers.crm.tools.update_record]"), "{lock}");
    assert!(lock.contains("function = \"updateRecord\""), "{lock}");
    env.run(&["gen", "--check"]).success();

    // Pretend the lock was made against an older server: one changed, one gone, one extra.
    let mut edited = lock.replacen("schema = \"sha256:", "schema = \"sha256:00", 1);
    edited.push_str(
        "\n[servers.crm.tools.delete_record]\nfunction = \"deleteRecord\"\nschema = \"sha256:1\"\n",
    );
    env.write("skillet.lock", &edited);
    let tree_before = env.read(".skillet/servers/crm/index.ts");
    let check = env.run(&["gen", "--check"]).failure();
    assert_eq!(check.code(), 1);
    assert!(
        check.stdout.contains("- removed crm/delete_record"),
        "{}",
        check.stdout
    );
    assert!(check.stdout.contains("~ changed"), "{}", check.stdout);
    assert!(
        check.stderr.contains("differ from skillet.lock"),
        "{}",
        check.stderr
    );
    assert_eq!(env.read("skillet.lock"), edited, "--check must not write");
    assert_eq!(env.read(".skillet/servers/crm/index.ts"), tree_before);

    let regen = env.run(&["gen"]).success();
    assert!(
        regen.stdout.contains("- removed crm/delete_record"),
        "{}",
        regen.stdout
    );
    env.run(&["gen", "--check"]).success();

    // A server removed from the configuration: its tools are reported removed, its folder goes.
    env.write(
        ".mcp.json",
        &json!({ "mcpServers": { "docs": sample("docs") } }).to_string(),
    );
    let removed = env.run(&["gen", "--json"]).success().json();
    assert!(
        removed["drift"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["server"] == "crm" && d["change"] == "removed")
    );
    assert!(!env.path(".skillet/servers/crm").exists());
    assert!(!env.read("skillet.lock").contains("crm"));
    assert!(!env.read(".skillet/servers/index.ts").contains("crm"));
}

#[test]
fn a_failing_server_keeps_its_previous_tree() {
    let env = TestEnv::new();
    env.registry(json!({ "docs": sample("docs") }));
    env.run(&["gen"]).success();
    let before = env.read(".skillet/servers/docs/index.ts");
    env.write(
        ".mcp.json",
        &json!({ "mcpServers": { "docs": { "command": "skillet-test-missing" } } }).to_string(),
    );
    let run = env.run(&["gen", "--json"]).failure();
    assert_eq!(
        run.json()["servers"][0]["error"]["kind"],
        "command_not_found"
    );
    assert_eq!(env.read(".skillet/servers/docs/index.ts"), before);
    assert!(env.read(".skillet/servers/index.ts").contains("docs"));
    assert!(env.read("skillet.lock").contains("get_document"));
}
