//! File modes survive every path: save, install, the git commit, the manifest a signature
//! covers, a real `git clone`, and a re-install of the same commit (a no-op).

use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;
use std::process::{Command, Stdio};

use serde_json::json;

use crate::support::*;

const COUNT: &str = "import { listDocuments } from './servers/docs/index.js';\nconsole.log((await listDocuments({})).total);\n";

/// A committed registry on the sample servers.
fn registry() -> TestEnv {
    let env = TestEnv::new();
    env.registry(json!({ "docs": sample("docs") }));
    env.run(&["gen"]).success();
    git(&env, &["add", "-A"]);
    git(&env, &["commit", "-qm", "registry"]);
    env
}

/// Runs COUNT and saves it as `count-documents`.
fn save_count(env: &TestEnv) {
    run_and_save(
        env,
        "count.ts",
        COUNT,
        "count-documents",
        "Count the documents",
    );
}

fn chmod_x(path: &Path) {
    let mode = fs_err::metadata(path).unwrap().permissions().mode();
    fs_err::set_permissions(path, std::fs::Permissions::from_mode(mode | 0o111)).unwrap();
}

fn is_executable(path: &Path) -> bool {
    fs_err::metadata(path).unwrap().permissions().mode() & 0o100 != 0
}

/// `git ls-tree HEAD PATH`'s mode.
fn committed_mode(env: &TestEnv, dir: &Path, path: &str) -> String {
    let out = env
        .program("git")
        .current_dir(dir)
        .args(["ls-tree", "HEAD", path])
        .output()
        .unwrap();
    let line = String::from_utf8_lossy(&out.stdout).into_owned();
    line.split(' ').next().unwrap_or_default().to_owned()
}

fn git_in(env: &TestEnv, dir: &Path, args: &[&str]) -> String {
    let out = env
        .program("git")
        .current_dir(dir)
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim_end().to_owned()
}

#[test]
fn an_executable_script_survives_save_sign_and_clone() {
    let env = registry();
    save_count(&env);
    // A person adds an executable script beside the generated files and commits it (git
    // records 100755); the next save keeps it, and skillet's commit keeps the bit.
    env.write(
        "skills/count-documents/assets/run.sh",
        "#!/bin/sh\necho hi\n",
    );
    chmod_x(&env.path("skills/count-documents/assets/run.sh"));
    git(&env, &["add", "skills"]);
    git(&env, &["commit", "-qm", "a script"]);
    save_count(&env);
    assert!(git(&env, &["log", "-1", "--format=%s"]).ends_with("save v2"));
    let script = "skills/count-documents/assets/run.sh";
    assert!(is_executable(&env.path(script)));
    assert_eq!(committed_mode(&env, &env.work(), script), "100755");
    assert_eq!(
        committed_mode(&env, &env.work(), "skills/count-documents/SKILL.md"),
        "100644"
    );
    assert_eq!(git(&env, &["status", "--porcelain", "skills"]), "");

    // Signed on the original, with the mode in the manifest.
    let manifest = env.run(&["manifest", "count-documents"]).success().stdout;
    assert!(
        manifest.starts_with("skillet-skill-manifest v1\nname count-documents\n"),
        "{manifest}"
    );
    assert!(manifest.contains(" assets/run.sh\n"), "{manifest}");
    let line = manifest
        .lines()
        .find(|l| l.ends_with(" assets/run.sh"))
        .unwrap();
    assert!(line.starts_with("100755 "), "{line}");
    trust_alice(&env, "");
    git(&env, &["add", "signing"]);
    git(&env, &["commit", "-qm", "trust alice"]);
    let base = git(&env, &["rev-parse", "HEAD"]);
    let signed = env
        .run(&["sign", "count-documents", "--key", "keys/alice", "--json"])
        .success()
        .json();
    let sig = signed[0]["path"].as_str().unwrap().to_owned();
    env.run(&["verify", "count-documents"]).success();
    git(&env, &["add", "signing"]);
    git(&env, &["commit", "-qm", "review"]);

    // A clone has the bit, the same manifest, and the signature verifies there.
    let cloned = clone_registry(&env);
    assert!(is_executable(&cloned.join(script)));
    assert!(!is_executable(
        &cloned.join("skills/count-documents/SKILL.md")
    ));
    assert_eq!(git_in(&env, &cloned, &["status", "--porcelain"]), "");
    let there = skillet_in(&env, &cloned, &["manifest", "count-documents"]).success();
    assert_eq!(there.stdout, manifest);
    let verified = skillet_in(&env, &cloned, &["verify", "count-documents", "--json"])
        .success()
        .json();
    assert_eq!(verified[0]["meets_policy"], true, "{verified}");
    assert_eq!(
        verified[0]["signatures"][0]["status"], "valid",
        "{verified}"
    );
    // The pull-request gate, which reads the skill from the commit, sees the same manifest.
    let gate = skillet_in(&env, &cloned, &["review", "--base", &base]).success();
    assert!(gate.stdout.contains(": passes"), "{}", gate.stdout);
    // And stock OpenSSH agrees, over the clone's manifest.
    let mut child = Command::new("ssh-keygen")
        .args([
            "-Y",
            "verify",
            "-f",
            "signing/allowed_signers",
            "-I",
            "alice@example.com",
        ])
        .args(["-n", "skillet-skill-review@skillet", "-s", &sig])
        .current_dir(&cloned)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("ssh-keygen is installed (openssh-client)");
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), there.stdout.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn install_keeps_the_bit_and_a_reinstall_of_the_same_commit_is_a_no_op() {
    // A source registry whose skill has an executable script, committed by git itself.
    let source = registry();
    save_count(&source);
    let script = "skills/count-documents/scripts/tool.sh";
    source.write(script, "#!/bin/sh\necho tool\n");
    chmod_x(&source.path(script));
    git(&source, &["add", "skills"]);
    git(&source, &["commit", "-qm", "add a tool"]);
    assert_eq!(committed_mode(&source, &source.work(), script), "100755");

    let target = registry();
    let from = source.work();
    let from = from.to_str().unwrap();
    target
        .run(&["install", from, "--skill", "count-documents"])
        .success();
    assert!(is_executable(&target.path(script)));
    assert_eq!(committed_mode(&target, &target.work(), script), "100755");
    assert_eq!(git(&target, &["status", "--porcelain", "skills"]), "");
    let head = git(&target, &["rev-parse", "HEAD"]);
    let manifest = target
        .run(&["manifest", "count-documents"])
        .success()
        .stdout;

    // The same commit again: nothing to do, no new commit, success.
    let again = target
        .run(&["install", from, "--skill", "count-documents", "--json"])
        .success()
        .json();
    assert_eq!(again["installed"], json!([]), "{again}");
    assert_eq!(again["unchanged"], json!(["count-documents"]), "{again}");
    assert_eq!(git(&target, &["rev-parse", "HEAD"]), head);
    assert_eq!(git(&target, &["status", "--porcelain", "skills"]), "");

    // A clone of the target has the bit and the same manifest.
    let cloned = clone_registry(&target);
    assert!(is_executable(&cloned.join(script)));
    let there = skillet_in(&target, &cloned, &["manifest", "count-documents"]).success();
    assert_eq!(there.stdout, manifest);

    // A new upstream commit that only drops the bit is a new install.
    let mode = fs_err::metadata(source.path(script))
        .unwrap()
        .permissions()
        .mode();
    fs_err::set_permissions(
        source.path(script),
        std::fs::Permissions::from_mode(mode & !0o111),
    )
    .unwrap();
    git(&source, &["commit", "-qam", "not executable"]);
    target
        .run(&["install", from, "--skill", "count-documents"])
        .success();
    assert_ne!(git(&target, &["rev-parse", "HEAD"]), head);
    assert!(!is_executable(&target.path(script)));
    assert_eq!(committed_mode(&target, &target.work(), script), "100644");
    assert_eq!(git(&target, &["status", "--porcelain", "skills"]), "");
}
