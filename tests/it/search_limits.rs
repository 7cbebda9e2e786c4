//! Search under hostile input and a damaged cache: 100 KB queries are answered, cut to what
//! search reads, and the cut is said on stderr; whatever stands where `.skillet/index` goes is
//! replaced by a rebuilt index, for skills and for tools.

use serde_json::json;

use crate::support::*;

/// A registry with the sample servers generated and two of this repository's example skills.
fn registry() -> TestEnv {
    let env = TestEnv::new();
    env.registry(json!({ "docs": sample("docs"), "crm": sample("crm") }));
    env.run(&["gen"]).success();
    for name in ["busiest-accounts", "meeting-action-items"] {
        let status = std::process::Command::new("cp")
            .arg("-R")
            .arg(manifest_dir().join("skills").join(name))
            .arg(env.path("skills"))
            .status()
            .unwrap();
        assert!(status.success());
    }
    env
}

/// The names of the hits of `skillet search <args> --json`, which must succeed.
fn names(env: &TestEnv, args: &[&str]) -> Vec<String> {
    let mut all = vec!["search"];
    all.extend_from_slice(args);
    all.push("--json");
    let run = env.run(&all).success();
    run.json()
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["name"].as_str().unwrap().to_owned())
        .collect()
}

/// `head` followed by distinct made-up words up to 100 KB.
fn huge(head: &str) -> String {
    let mut q = head.to_owned();
    let mut i = 0u32;
    while q.len() < 100 * 1024 {
        let w: String = format!("{i:x}")
            .chars()
            .map(|c| char::from(b'g' + c.to_digit(16).unwrap() as u8))
            .collect();
        q.push_str(&format!(" qz{w}"));
        i += 1;
    }
    q
}

#[test]
fn a_100_kb_query_is_cut_said_so_and_answered() {
    let env = registry();
    for (args, first) in [
        (vec![], "busiest-accounts"),
        (vec!["--tools"], "crm.export_activities"),
    ] {
        let q = huge("busiest accounts export activities");
        let mut all = vec!["search", q.as_str()];
        all.extend_from_slice(&args);
        let run = env.run(&all).success();
        assert!(run.stdout.starts_with(first), "{args:?}: {}", run.stdout);
        assert!(
            run.stderr.contains(&format!(
                "warning: query cut to its first 32 words ({} bytes given)\nhint: search with a few keywords",
                q.len()
            )),
            "{args:?}: {}",
            run.stderr
        );
        // With --json, stdout is the hits alone; the notice stays on stderr.
        all.push("--json");
        let run = env.run(&all).success();
        assert_eq!(run.json()[0]["name"], first, "{args:?}");
        assert!(run.stderr.contains("query cut"), "{args:?}: {}", run.stderr);
    }
    // One 100 KB word: nothing to find, said so, no failure.
    let word = "x".repeat(100 * 1024);
    let run = env.run(&["search", &word]).success();
    assert_eq!(run.stdout, "no skill matches\n");
    assert!(
        run.stderr
            .contains("query cut to its first 2048 bytes (102400 bytes given); 1 word over 50 characters left out"),
        "{}",
        run.stderr
    );
    // An ordinary query says nothing.
    let run = env.run(&["search", "busiest accounts"]).success();
    assert!(run.stderr.is_empty(), "{}", run.stderr);
}

/// Damages the index cache in one way, then checks that both searches still answer.
fn rebuilds_after(damage: impl Fn(&TestEnv)) {
    let env = registry();
    // Both indexes exist before the damage.
    assert_eq!(names(&env, &["busiest accounts"])[0], "busiest-accounts");
    assert_eq!(
        names(&env, &["--tools", "export activities"])[0],
        "crm.export_activities"
    );
    damage(&env);
    assert_eq!(names(&env, &["busiest accounts"])[0], "busiest-accounts");
    assert_eq!(
        names(&env, &["--tools", "export activities"])[0],
        "crm.export_activities"
    );
    assert!(env.path(".skillet/index/skills").is_dir());
    assert!(env.path(".skillet/index/tools").is_dir());
    // And again, from the rebuilt index.
    assert_eq!(names(&env, &["busiest accounts"])[0], "busiest-accounts");
}

fn replace_with_file(env: &TestEnv, rel: &str) {
    fs_err::remove_dir_all(env.path(rel)).unwrap();
    env.write(rel, "garbage");
}

#[test]
fn index_root_that_is_a_file_is_rebuilt() {
    rebuilds_after(|env| replace_with_file(env, ".skillet/index"));
}

#[test]
fn skills_index_that_is_a_file_is_rebuilt() {
    rebuilds_after(|env| replace_with_file(env, ".skillet/index/skills"));
}

#[test]
fn tools_index_that_is_a_file_is_rebuilt() {
    rebuilds_after(|env| replace_with_file(env, ".skillet/index/tools"));
}

#[test]
fn garbage_inside_the_indexes_is_rebuilt() {
    rebuilds_after(|env| {
        for kind in ["skills", "tools"] {
            let dir = env.path(&format!(".skillet/index/{kind}"));
            for entry in fs_err::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                // Every file of the index replaced by garbage of another kind.
                fs_err::remove_file(&path).unwrap();
                fs_err::create_dir(&path).unwrap();
            }
            fs_err::write(dir.join("stray.bin"), [0u8, 159, 146, 150]).unwrap();
        }
    });
}

#[test]
fn folders_where_the_skills_index_state_goes_are_replaced() {
    let env = registry();
    for file in ["skills.state", "skills.folders"] {
        fs_err::create_dir_all(env.path(&format!(".skillet/index/{file}/inner"))).unwrap();
    }
    assert_eq!(names(&env, &["busiest accounts"])[0], "busiest-accounts");
    for file in ["skills.state", "skills.folders"] {
        assert!(
            env.path(&format!(".skillet/index/{file}")).is_file(),
            "{file}"
        );
    }
    assert_eq!(names(&env, &["busiest accounts"])[0], "busiest-accounts");
}

#[test]
fn index_of_an_older_layout_is_rebuilt() {
    rebuilds_after(|env| {
        for kind in ["skills", "tools"] {
            env.write(&format!(".skillet/index/{kind}/LAYOUT_VERSION"), "0\n");
        }
    });
}
