//! `skillet export`: the registry's skills into agents' skills folders (a temp HOME, the
//! project's `.claude/skills/`, any folder), as copies or links, kept in sync without touching
//! what skillet did not write.

use serde_json::json;

use crate::support::*;

/// A committed registry holding two bundled example skills.
fn registry() -> TestEnv {
    let env = TestEnv::new();
    env.registry(json!({ "docs": sample("docs"), "crm": sample("crm") }));
    for name in ["busiest-accounts", "meeting-action-items"] {
        let status = std::process::Command::new("cp")
            .arg("-R")
            .arg(manifest_dir().join("skills").join(name))
            .arg(env.path("skills"))
            .status()
            .unwrap();
        assert!(status.success());
    }
    git(&env, &["add", "-A"]);
    git(&env, &["commit", "-qm", "registry"]);
    env
}

/// Makes every skill meet the review policy (no signatures required).
fn no_review_needed(env: &TestEnv) {
    let path = env.path("skillet.toml");
    let text = fs_err::read_to_string(&path).unwrap();
    assert!(text.contains("required_signatures = 1"), "{text}");
    fs_err::write(
        path,
        text.replace("required_signatures = 1", "required_signatures = 0"),
    )
    .unwrap();
}

fn names(report: &serde_json::Value, key: &str) -> Vec<String> {
    report[key]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            e.as_str()
                .map_or_else(|| e["name"].as_str().unwrap().to_owned(), str::to_owned)
        })
        .collect()
}

#[test]
fn default_exports_only_reviewed_skills_and_all_exports_every_one() {
    let env = registry();
    let report = env.run(&["export", "--claude", "--json"]).success().json();
    assert_eq!(names(&report, "exported"), Vec::<String>::new());
    assert_eq!(
        names(&report, "skipped"),
        ["busiest-accounts", "meeting-action-items"]
    );
    assert!(
        report["skipped"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("review policy"),
        "{report}"
    );
    let report = env
        .run(&["export", "--claude", "--all", "--json"])
        .success()
        .json();
    assert_eq!(
        names(&report, "exported"),
        ["busiest-accounts", "meeting-action-items"]
    );
    for name in ["busiest-accounts", "meeting-action-items"] {
        assert_eq!(
            env.read(&format!(".claude/skills/{name}/SKILL.md")),
            env.read(&format!("skills/{name}/SKILL.md"))
        );
    }
    assert!(env.path(".claude/skills/.skillet-export.json").is_file());
}

#[test]
fn copies_into_home_check_red_and_green_and_removal_of_only_its_own() {
    let env = registry();
    no_review_needed(&env);
    let home_skills = env.tmp.path().join("home/.claude/skills");
    // Red before the first export: nothing there yet.
    let check = env.run(&["export", "--user", "--check", "--json"]);
    assert_eq!(check.code(), 1, "{}", check.stderr);
    assert!(!home_skills.exists());
    env.run(&["export", "--user"]).success();
    assert!(home_skills.join("busiest-accounts/SKILL.md").is_file());
    assert!(home_skills.join("meeting-action-items/SKILL.md").is_file());
    let green = env.run(&["export", "--user", "--check"]).success();
    assert!(green.stdout.contains("in sync"), "{}", green.stdout);

    // A skill the user put there alone stays; a skill the registry drops goes.
    fs_err::create_dir_all(home_skills.join("mine")).unwrap();
    fs_err::write(home_skills.join("mine/SKILL.md"), "mine").unwrap();
    git(&env, &["rm", "-rq", "skills/meeting-action-items"]);
    let check = env.run(&["export", "--user", "--check"]);
    assert_eq!(check.code(), 1);
    assert!(check.stdout.contains("to remove"), "{}", check.stdout);
    assert!(home_skills.join("meeting-action-items").is_dir());
    let report = env.run(&["export", "--user", "--json"]).success().json();
    assert_eq!(names(&report, "removed"), ["meeting-action-items"]);
    assert!(!home_skills.join("meeting-action-items").exists());
    assert_eq!(
        fs_err::read_to_string(home_skills.join("mine/SKILL.md")).unwrap(),
        "mine"
    );
    env.run(&["export", "--user", "--check"]).success();

    // A changed skill is updated in place.
    let md = env.read("skills/busiest-accounts/SKILL.md");
    env.write(
        "skills/busiest-accounts/SKILL.md",
        &format!("{md}\nMore.\n"),
    );
    env.run(&["export", "--user", "--check"]).failure();
    let report = env.run(&["export", "--user", "--json"]).success().json();
    assert_eq!(report["exported"][0]["action"], "updated", "{report}");
    assert!(
        fs_err::read_to_string(home_skills.join("busiest-accounts/SKILL.md"))
            .unwrap()
            .ends_with("More.\n")
    );
}

#[test]
fn symlinks_into_a_project_folder() {
    let env = registry();
    no_review_needed(&env);
    env.run(&["export", "--agents", "--symlink"]).success();
    let link = env.path(".agents/skills/busiest-accounts");
    assert!(
        fs_err::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert_eq!(
        fs_err::canonicalize(&link).unwrap(),
        fs_err::canonicalize(env.path("skills/busiest-accounts")).unwrap()
    );
    env.run(&["export", "--agents", "--symlink", "--check"])
        .success();
    // The same registry named another way (`-C ../work`) is the same registry.
    env.run(&[
        "-C",
        "../work",
        "export",
        "--agents",
        "--symlink",
        "--check",
    ])
    .success();
    // Switching to copies replaces the links skillet made.
    env.run(&["export", "--agents", "--check"]).failure();
    env.run(&["export", "--agents"]).success();
    assert!(
        fs_err::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_dir()
    );
    env.run(&["export", "--agents", "--check"]).success();
}

#[test]
fn a_foreign_folder_of_the_same_name_is_left_alone_and_reported() {
    let env = registry();
    no_review_needed(&env);
    env.write("out/busiest-accounts/SKILL.md", "not skillet's");
    let run = env.run(&["export", "--to", "out", "--json"]).success();
    let report = run.json();
    assert_eq!(names(&report, "left_alone"), ["busiest-accounts"]);
    assert_eq!(names(&report, "exported"), ["meeting-action-items"]);
    assert!(
        run.stderr.contains("left busiest-accounts alone"),
        "{}",
        run.stderr
    );
    assert_eq!(env.read("out/busiest-accounts/SKILL.md"), "not skillet's");
    // Not in sync while it blocks the export; still left alone.
    env.run(&["export", "--to", "out", "--check"]).failure();
    env.run(&["export", "--to", "out"]).success();
    assert_eq!(env.read("out/busiest-accounts/SKILL.md"), "not skillet's");
}

#[test]
fn a_target_that_is_a_file_is_an_error_with_a_hint() {
    let env = registry();
    env.write("out", "a file");
    let run = env.run(&["export", "--to", "out", "--all"]);
    assert_eq!(run.code(), 1);
    assert!(run.stderr.contains("is not a folder"), "{}", run.stderr);
    assert!(run.stderr.contains("hint:"), "{}", run.stderr);
    assert_eq!(env.read("out"), "a file");
}
