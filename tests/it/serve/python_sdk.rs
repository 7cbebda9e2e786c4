//! The official MCP Python SDK as a second real client.

use super::*;

/// The official MCP Python SDK (tests/python/requirements.txt), which .ci/run installs in
/// target/pyenv.
fn python_sdk() -> std::path::PathBuf {
    let python = manifest_dir().join("target/pyenv/bin/python");
    assert!(
        python.exists(),
        "the MCP Python SDK is not installed at {}\nhint: python3 -m venv target/pyenv && target/pyenv/bin/pip install -r tests/python/requirements.txt",
        python.display()
    );
    python
}

#[test]
fn the_python_sdk_closes_its_session_without_a_warning() {
    let env = TestEnv::new();
    env.registry(json!({}));
    let server = HttpServer::start(&env, &["--token", "s3cret"]);
    let out = env
        .program(python_sdk())
        .arg(manifest_dir().join("tests/python/close_session.py"))
        .arg(&server.url)
        .arg("s3cret")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(report["tools"], 7, "{report}");
    assert!(
        report["text"]
            .as_str()
            .unwrap()
            .starts_with("no tool matches `echo`"),
        "{report}"
    );
    // The SDK warns "Session termination failed: 202" unless the DELETE gets 200 or 204.
    assert_eq!(report["warnings"], json!([]), "{report}");
    assert!(server.stop().success());
}
