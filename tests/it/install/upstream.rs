//! Keeping installed skills current: `outdated` changes nothing, `update` shows the diff and
//! commits a new version that old review signatures no longer cover, `install --frozen`
//! installs exactly what the lock says and fails on any difference; a corrupt lock, a locked
//! commit gone upstream, and an install killed by SIGKILL.

use std::os::unix::process::ExitStatusExt as _;

use super::*;

const NS: &str = "skillet-skill-review@skillet";

fn statuses(rows: &Value) -> Vec<String> {
    rows.as_array()
        .unwrap()
        .iter()
        .map(|r| {
            format!(
                "{}={}",
                r["name"].as_str().unwrap(),
                r["status"].as_str().unwrap()
            )
        })
        .collect()
}

#[test]
fn outdated_update_and_frozen_follow_the_lock() {
    let env = target();
    let up = Upstream::new(&env, "anthropics", &ANTHROPIC);
    skillet(&env, &["install", &up.url(), "--all"]).success();

    // A reviewer signs internal-comms.
    trust_alice(&env, &format!("namespaces=\"{NS}\""));
    env.run(&["sign", "internal-comms", "--key", "keys/alice"])
        .success();
    fs_err::remove_dir_all(env.path("keys")).unwrap();
    git(&env, &["add", "-A"]);
    git(&env, &["commit", "-qm", "reviewed"]);
    let verified = env
        .run(&["verify", "internal-comms", "--json"])
        .success()
        .json();
    assert_eq!(verified[0]["meets_policy"], true, "{verified}");
    let base = head(&env);

    let rows = skillet(&env, &["outdated", "--json"]).success().json();
    assert_eq!(
        statuses(&rows),
        [
            "brand-guidelines=current",
            "frontend-design=current",
            "internal-comms=current"
        ]
    );

    // Upstream changes one skill.
    let md = up.work.join("skills/internal-comms/SKILL.md");
    let text = fs_err::read_to_string(&md).unwrap();
    fs_err::write(&md, format!("{text}\nA line from upstream.\n")).unwrap();
    let new = up.commit(&env, "change");
    let rows = skillet(&env, &["outdated", "--json"]).success().json();
    assert_eq!(
        statuses(&rows),
        [
            "brand-guidelines=current",
            "frontend-design=current",
            "internal-comms=changed"
        ]
    );
    assert_eq!(rows[2]["upstream_commit"], new.as_str());
    let text = skillet(&env, &["outdated"]).success().stdout;
    assert!(text.contains("internal-comms  changed"), "{text}");
    unchanged(&env, &base);

    let updated = skillet(&env, &["update", "internal-comms"])
        .success()
        .stdout;
    assert!(updated.contains("+A line from upstream."), "{updated}");
    assert!(updated.contains("updated internal-comms"), "{updated}");
    assert_eq!(
        meta(&env, "internal-comms", "skillet.origin-commit").unwrap(),
        new
    );
    assert!(
        git(&env, &["log", "-1", "--format=%s"]).starts_with("skill(internal-comms): update from ")
    );
    // A new version: the old signature no longer covers it, the gate asks for review again.
    let verified = env.run(&["verify", "internal-comms", "--json"]).json();
    assert_eq!(verified[0]["meets_policy"], false, "{verified}");
    let review = env
        .run(&["review", "--base", &base, "--format", "json"])
        .failure();
    assert!(
        review.stdout.contains("internal-comms"),
        "{}",
        review.stdout
    );
    let rows = skillet(&env, &["outdated", "--json"]).success().json();
    assert!(
        statuses(&rows).iter().all(|s| s.ends_with("=current")),
        "{rows}"
    );
    assert!(
        skillet(&env, &["update"])
            .success()
            .stdout
            .contains("everything is current")
    );

    // --frozen: everything as locked, nothing written.
    let h = head(&env);
    let frozen = skillet(&env, &["install", "--frozen", "--json"])
        .success()
        .json();
    assert_eq!(frozen["checked"].as_array().unwrap().len(), 3, "{frozen}");
    unchanged(&env, &h);
    // A committed local edit is put back as the lock says.
    let local = env.path("skills/brand-guidelines/SKILL.md");
    fs_err::write(
        &local,
        format!("{}\nlocal edit\n", fs_err::read_to_string(&local).unwrap()),
    )
    .unwrap();
    git(&env, &["commit", "-qam", "local edit"]);
    let frozen = skillet(&env, &["install", "--frozen", "--json"])
        .success()
        .json();
    assert_eq!(frozen["restored"], serde_json::json!(["brand-guidelines"]));
    assert!(
        !env.read("skills/brand-guidelines/SKILL.md")
            .contains("local edit")
    );

    // The locked commit vanishes upstream (a force-push, then gc): --frozen fails, writes nothing.
    git_in(&env, &up.work, &["reset", "-q", "--hard", "HEAD~1"]);
    git_in(
        &env,
        &up.work,
        &["push", "-q", "--force", "origin", "HEAD:main"],
    );
    git_in(
        &env,
        &up.bare,
        &["reflog", "expire", "--expire=now", "--all"],
    );
    git_in(&env, &up.bare, &["gc", "-q", "--prune=now"]);
    let h = head(&env);
    let gone = skillet(&env, &["install", "--frozen"]).failure();
    assert!(
        gone.stderr.contains("internal-comms") && gone.stderr.contains("no commit"),
        "{}",
        gone.stderr
    );
    unchanged(&env, &h);
    // outdated reads the branch: upstream went back, so internal-comms changed.
    let rows = skillet(&env, &["outdated", "--json"]).success().json();
    assert!(
        statuses(&rows).contains(&"internal-comms=changed".to_owned()),
        "{rows}"
    );

    // A corrupt lock is an error naming the file, for every command that reads it.
    let md = env.path("skills/frontend-design/SKILL.md");
    let text = fs_err::read_to_string(&md).unwrap();
    let commit = meta(&env, "frontend-design", "skillet.origin-commit").unwrap();
    fs_err::write(&md, text.replace(&commit, "not-a-commit")).unwrap();
    git(&env, &["commit", "-qam", "corrupt"]);
    let h = head(&env);
    for args in [&["outdated"][..], &["update"], &["install", "--frozen"]] {
        let bad = skillet(&env, args).failure();
        assert!(
            bad.stderr
                .contains("frontend-design/SKILL.md: the provenance lock is corrupt"),
            "{args:?}: {}",
            bad.stderr
        );
    }
    unchanged(&env, &h);
}

#[test]
fn an_install_killed_by_sigkill_leaves_the_registry_as_before_or_done() {
    let env = target();
    let up = Upstream::new(&env, "anthropics", &ANTHROPIC);
    for (step, done) in [
        ("after-journal", false),
        ("after-backup", false),
        ("after-swap", true),
    ] {
        let h = head(&env);
        let out = env
            .command(&["install", &up.url(), "--skill", "internal-comms"])
            .env("SKILLET_FAILPOINT", format!("install:{step}"))
            .output()
            .unwrap();
        assert_eq!(out.status.signal(), Some(9), "{step}");
        // The next command finishes or undoes it.
        skillet(&env, &["outdated"]).success();
        assert_eq!(git(&env, &["status", "--porcelain"]), "", "{step}");
        assert!(!env.path(".skillet/journal/save.json").exists());
        if done {
            assert_ne!(head(&env), h, "{step}");
            assert!(env.path("skills/internal-comms/SKILL.md").is_file());
        } else {
            assert_eq!(head(&env), h, "{step}");
            assert!(!env.path("skills/internal-comms").exists(), "{step}");
        }
    }
}

/// The plugins `.claude-plugin/marketplace.json` lists.
fn listed(env: &TestEnv) -> Vec<String> {
    let market: Value = serde_json::from_str(&env.read(".claude-plugin/marketplace.json")).unwrap();
    market["plugins"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn install_and_update_keep_the_marketplace_in_their_commits() {
    let env = target();
    let toml = env.read("skillet.toml");
    env.write(
        "skillet.toml",
        &toml.replace("required_signatures = 1", "required_signatures = 0"),
    );
    env.run(&["export", "--marketplace"]).success();
    git(&env, &["add", "-A"]);
    git(&env, &["commit", "-qm", "marketplace, no review needed"]);
    let up = Upstream::new(&env, "anthropics", &ANTHROPIC);

    // Each install's commit lists its skill (no review needed here).
    skillet(&env, &["install", &up.url(), "--all"]).success();
    assert_eq!(
        listed(&env),
        ["brand-guidelines", "frontend-design", "internal-comms"]
    );
    let files = git(&env, &["show", "--name-only", "--format=", "HEAD"]);
    assert!(files.contains(".claude-plugin/marketplace.json"), "{files}");
    assert_eq!(git(&env, &["status", "--porcelain"]), "");

    // With review required, only the signed skill is listed.
    env.write("skillet.toml", &toml);
    trust_alice(&env, &format!("namespaces=\"{NS}\""));
    env.run(&["sign", "internal-comms", "--key", "keys/alice"])
        .success();
    fs_err::remove_dir_all(env.path("keys")).unwrap();
    assert_eq!(listed(&env), ["internal-comms"]);
    git(&env, &["add", "-A"]);
    git(&env, &["commit", "-qm", "reviewed"]);

    // An update is a new, unreviewed version: its own commit takes it off the list.
    let md = up.work.join("skills/internal-comms/SKILL.md");
    let text = fs_err::read_to_string(&md).unwrap();
    fs_err::write(&md, format!("{text}\nA line from upstream.\n")).unwrap();
    up.commit(&env, "change");
    skillet(&env, &["update", "internal-comms"]).success();
    let files = git(&env, &["show", "--name-only", "--format=", "HEAD"]);
    assert!(files.contains("skills/internal-comms/SKILL.md"), "{files}");
    assert!(files.contains(".claude-plugin/marketplace.json"), "{files}");
    assert_eq!(listed(&env), Vec::<String>::new());
    assert_eq!(git(&env, &["status", "--porcelain"]), "");
    env.run(&["export", "--marketplace", "--check"]).success();
}
