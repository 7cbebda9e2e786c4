use crate::support::*;

#[test]
fn init_makes_a_registry_and_twice_is_harmless() {
    let env = TestEnv::new();
    let first = env.run(&["init", "--json"]).success().json();
    assert_eq!(first["created_repository"], true);
    for file in [
        "skillet.toml",
        ".mcp.json",
        "signing/allowed_signers",
        ".gitignore",
        "skills",
    ] {
        assert!(env.path(file).exists(), "{file} missing");
    }
    assert!(env.path(".git").is_dir());
    assert_eq!(env.read(".gitignore"), ".skillet/\n");
    let mcp: serde_json::Value = serde_json::from_str(&env.read(".mcp.json")).unwrap();
    assert_eq!(mcp, serde_json::json!({ "mcpServers": {} }));
    assert!(
        env.read("signing/allowed_signers")
            .lines()
            .all(|l| l.starts_with('#'))
    );

    let toml_before = env.read("skillet.toml");
    let second = env.run(&["init", "--json"]).success().json();
    assert_eq!(second["created_repository"], false);
    assert_eq!(second["added"], serde_json::json!([]));
    assert_eq!(env.read("skillet.toml"), toml_before);
}

#[test]
fn init_refuses_a_non_empty_folder_outside_git() {
    let env = TestEnv::new();
    env.write("notes.txt", "keep me");
    let run = env.run(&["init"]).failure();
    assert_eq!(run.code(), 1);
    assert!(
        run.stderr
            .contains("is not empty and is not inside a git repository"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("hint: "), "{}", run.stderr);
    assert!(!env.path("skillet.toml").exists());
    env.run(&["init", "--force"]).success();
    assert_eq!(env.read("notes.txt"), "keep me");
}

#[test]
fn init_inside_a_git_repository_adds_only_what_is_missing() {
    let env = TestEnv::new();
    git(&env, &["init", "-q"]);
    env.write(".gitignore", "target/\n");
    env.write("src/main.rs", "fn main() {}\n");
    env.write("skillet.toml", "[registry]\nname = \"team\"\n");
    let report = env.run(&["init", "--json"]).success().json();
    assert_eq!(report["created_repository"], false);
    assert_eq!(env.read(".gitignore"), "target/\n.skillet/\n");
    assert_eq!(env.read("skillet.toml"), "[registry]\nname = \"team\"\n");
    assert_eq!(env.read("src/main.rs"), "fn main() {}\n");
    assert!(
        report["kept"]
            .as_array()
            .unwrap()
            .iter()
            .any(|k| k == "skillet.toml")
    );
    // Real git agrees the cache is ignored.
    env.write(".skillet/servers/x.ts", "");
    let out = std::process::Command::new("git")
        .args(["status", "--porcelain", "--untracked-files=all"])
        .current_dir(env.work())
        .output()
        .unwrap();
    let status = String::from_utf8_lossy(&out.stdout);
    assert!(!status.contains(".skillet"), "{status}");
}

#[test]
fn commands_find_the_registry_from_subfolders_and_with_dash_c() {
    let env = TestEnv::new();
    env.registry(serde_json::json!({}));
    let sub = env.path("skills/deep");
    fs_err::create_dir_all(&sub).unwrap();
    let run: Run = env
        .command(&["servers", "--json"])
        .current_dir(&sub)
        .output()
        .unwrap()
        .into();
    assert_eq!(run.success().json(), serde_json::json!([]));

    let outside = TestEnv::new();
    let run = outside.run(&["servers"]).failure();
    assert!(run.stderr.contains("no skillet registry"), "{}", run.stderr);
    assert!(
        run.stderr.contains("hint: run `skillet init`"),
        "{}",
        run.stderr
    );
    let work = env.work();
    outside
        .run(&["-C", work.to_str().unwrap(), "servers", "--json"])
        .success();
}

#[test]
fn bad_settings_are_errors_with_line_numbers() {
    let env = TestEnv::new();
    env.registry(serde_json::json!({}));
    env.write(
        "skillet.toml",
        "[upstream]\nstart_timeout_ms = 100\ncall_timout_ms = 5\n",
    );
    let run = env.run(&["servers"]).failure();
    assert!(run.stderr.contains("skillet.toml:3:1"), "{}", run.stderr);
    assert!(
        run.stderr.contains("unknown field `call_timout_ms`"),
        "{}",
        run.stderr
    );

    env.write("skillet.toml", "[upstream]\nstart_timeout_ms = \"fast\"\n");
    let run = env.run(&["servers"]).failure();
    assert!(run.stderr.contains("skillet.toml:2:"), "{}", run.stderr);
}

#[test]
fn bad_mcp_config_names_the_problem() {
    let env = TestEnv::new();
    env.registry(serde_json::json!({
        "gh": { "command": "github-mcp", "env": { "GITHUB_TOKEN": "${SKILLET_TEST_UNSET_TOKEN}" } }
    }));
    let run = env.run(&["servers"]).failure();
    assert!(run.stderr.contains("server `gh`"), "{}", run.stderr);
    assert!(
        run.stderr.contains("SKILLET_TEST_UNSET_TOKEN is not set"),
        "{}",
        run.stderr
    );

    env.write(
        ".mcp.json",
        "{\n  \"mcpServers\": {\n    \"a\": {\"command\": }\n  }\n}\n",
    );
    let run = env.run(&["servers"]).failure();
    assert!(run.stderr.contains(".mcp.json:3:"), "{}", run.stderr);

    // --mcp-config reads another file.
    env.write("other.json", r#"{"mcpServers": {}}"#);
    env.run(&["--mcp-config", "other.json", "servers", "--json"])
        .success();
    let run = env
        .run(&["--mcp-config", "missing.json", "servers"])
        .failure();
    assert!(run.stderr.contains("missing.json"), "{}", run.stderr);
}

#[test]
fn schema_command_prints_the_committed_schema() {
    let env = TestEnv::new();
    let run = env.run(&["schema", "skillet-toml"]).success();
    let committed =
        fs_err::read_to_string(manifest_dir().join("schemas/skillet.toml.schema.json")).unwrap();
    assert_eq!(run.stdout, committed);
}

#[test]
fn init_commits_the_registry_files_only_so_a_clone_is_a_registry() {
    let env = TestEnv::new();
    // The user's own file beside the registry stays theirs: never committed by skillet.
    git(&env, &["init", "-q"]);
    env.write("notes.txt", "mine");
    let report = env.run(&["init", "--json"]).success().json();
    let commit = report["commit"].as_str().expect("a commit").to_owned();
    let files = git(&env, &["ls-tree", "-r", "--name-only", &commit]);
    assert_eq!(
        files.lines().collect::<Vec<_>>(),
        [
            ".gitignore",
            ".mcp.json",
            "signing/allowed_signers",
            "skillet.toml",
            "skills/.gitkeep"
        ]
    );
    // Only the user's file is left to them; the registry's are committed and in the index.
    assert_eq!(git(&env, &["status", "--porcelain"]), "?? notes.txt");
    // A clone is a registry: commands work there with nothing else done.
    let clone = env.tmp.path().join("clone");
    let (work, to) = (env.work(), clone.to_string_lossy().into_owned());
    git(&env, &["clone", "-q", &work.to_string_lossy(), &to]);
    let listed = env.run(&["-C", &to, "test", "--json"]).success().json();
    assert_eq!(listed, serde_json::json!([]));
    // A second init commits nothing.
    let again = env.run(&["init", "--json"]).success().json();
    assert!(again.get("commit").is_none(), "{again}");
}
