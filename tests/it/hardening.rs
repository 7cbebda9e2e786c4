//! Small hardening items: damaged caches and logs, closed pipes, settings that cannot work.

use std::process::Stdio;

use serde_json::json;

use crate::support::*;

#[test]
fn a_corrupt_tool_catalog_is_an_error_with_the_fix() {
    let env = TestEnv::new();
    env.registry(json!({ "docs": sample("docs") }));
    env.run(&["gen"]).success();
    let found = env
        .run(&["search", "--tools", "document", "--json"])
        .success();
    assert!(
        found.stdout.contains("docs.get_document"),
        "{}",
        found.stdout
    );

    env.write(".skillet/tools.json", "{\"docs\": [garbage");
    let out = env.run(&["search", "--tools", "document"]).failure();
    assert!(out.stderr.contains("tool catalog"), "{}", out.stderr);
    assert!(out.stderr.contains("is corrupt"), "{}", out.stderr);
    assert!(out.stderr.contains("hint: `skillet gen`"), "{}", out.stderr);
    assert!(!out.stdout.contains("no tool matches"), "{}", out.stdout);

    // gen writes it again.
    env.run(&["gen"]).success();
    env.run(&["search", "--tools", "document"]).success();
}

#[test]
fn one_damaged_audit_line_hides_no_other() {
    let env = TestEnv::new();
    env.registry(json!({ "docs": sample("docs") }));
    env.run(&["gen"]).success();
    env.write(
        "count.ts",
        "import { listDocuments } from './servers/docs/index.js';\nconsole.log((await listDocuments({})).total);\n",
    );
    env.run(&["run", "count.ts"]).success();
    env.run(&["run", "count.ts"]).success();
    let path = env.path(".skillet/audit.jsonl");
    let mut log = fs_err::read(&path).unwrap();
    assert!(!log.is_empty());
    log.extend_from_slice(b"\xff\xfe not utf-8 \xc3\x28\n{\"half\": \n");
    fs_err::write(&path, log).unwrap();
    let out = env.run(&["audit", "--json"]).success();
    assert_eq!(out.json().as_array().unwrap().len(), 2, "{}", out.stdout);
    assert!(out.stderr.contains("2 lines of"), "{}", out.stderr);
}

#[test]
fn a_closed_stdout_is_not_an_error() {
    let env = TestEnv::new();
    env.run(&["init"]).success();
    for args in [
        &["runs", "--json"][..],
        &["runs"],
        &["search", "anything", "--json"],
    ] {
        // The reading end is closed before skillet starts, so its first write fails with EPIPE.
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let out = env
            .command(args)
            .stdout(writer)
            .stderr(Stdio::piped())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{args:?}: {} {stderr}", out.status);
        assert!(!stderr.contains("Broken pipe"), "{args:?}: {stderr}");
    }
}

#[test]
fn limits_that_cannot_work_are_refused_where_they_are_set() {
    let env = TestEnv::new();
    env.run(&["init"]).success();
    let settings = env.read("skillet.toml");
    env.write(
        "skillet.toml",
        &settings.replace(
            "timeout_ms = 30000              #",
            "timeout_ms = 0              #",
        ),
    );
    let out = env.run(&["runs"]).failure();
    assert!(
        out.stderr.contains("`run.timeout_ms` must be at least 1"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("skillet.toml:"), "{}", out.stderr);
}

#[test]
fn usage_errors_exit_2() {
    let env = TestEnv::new();
    env.run(&["init"]).success();
    env.write("ok.ts", "console.log('hi');\n");
    for (args, needle) in [
        (&["run", "ok.ts", "--timeout-ms", "0"][..], "--timeout-ms"),
        (&["run", "ok.ts", "--memory-mib", "0"], "--memory-mib"),
        (&["run"], "<FILE>"),
        (&["gen", "--prune", "--check"], "--check"),
    ] {
        let out = env.run(args);
        assert_eq!(out.code(), 2, "{args:?}: {}", out.stderr);
        assert!(out.stderr.contains(needle), "{args:?}: {}", out.stderr);
    }
    env.run(&["run", "ok.ts", "--timeout-ms", "1000"]).success();
}
