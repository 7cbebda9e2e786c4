//! The SDK over streamable HTTP, with a token and host checks.

use super::*;

#[test]
fn a_real_client_over_http_with_a_token_and_host_checks() {
    let env = TestEnv::new();
    reference_servers(&env);
    env.run(&["gen"]).success();
    let server = HttpServer::start(&env, &["--token", "s3cret"]);
    let steps = client(
        &env,
        json!({
            "connect": { "transport": "http", "url": server.url, "token": "s3cret" },
            "steps": [
                { "op": "listTools" },
                call("search", json!({ "query": "echo", "limit": 1 })),
                call("run_code", json!({ "code": WORKFLOW })),
            ],
        }),
    );
    assert_eq!(steps[0]["tools"].as_array().unwrap().len(), 4);
    assert!(ok_text(&steps[1]).starts_with("everything.echo: "));
    assert!(
        ok_text(&steps[2]).starts_with("3 echoes; memory holds 1 entity"),
        "{}",
        steps[2]
    );

    assert_eq!(server.post_status(&[]), 401, "no token");
    assert_eq!(
        server.post_status(&[("Authorization", "Bearer wrong")]),
        401
    );
    assert_eq!(
        server.post_status(&[
            ("Authorization", "Bearer s3cret"),
            ("Host", "evil.example:80")
        ]),
        403,
        "a foreign Host header (DNS rebinding)"
    );
    assert_eq!(
        server.post_status(&[
            ("Authorization", "Bearer s3cret"),
            ("Origin", "https://evil.example")
        ]),
        403,
        "a foreign Origin"
    );
    // Closing a session (DELETE) is answered 200, which clients take for success (the Python
    // SDK warns on anything but 200 and 204; rmcp alone says 202).
    let auth = ("Authorization", "Bearer s3cret");
    let initialize = json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "raw", "version": "0"}}});
    let (status, headers, body) = server.request("POST", &[auth], &initialize.to_string());
    assert_eq!(status, 200, "{body}");
    let session = headers
        .iter()
        .find(|(k, _)| k == "mcp-session-id")
        .map(|(_, v)| v.clone())
        .unwrap_or_else(|| panic!("no session id: {headers:?}"));
    let version = ("MCP-Protocol-Version", "2025-11-25");
    let session_header = ("Mcp-Session-Id", session.as_str());
    let (status, _, body) = server.request("DELETE", &[auth, version, session_header], "");
    assert_eq!((status, body.as_str()), (200, ""), "closing a session");
    let ping = json!({"jsonrpc": "2.0", "id": 2, "method": "ping"}).to_string();
    let (status, _, _) = server.request("POST", &[auth, version, session_header], &ping);
    assert_eq!(status, 404, "the closed session is gone");
    let status = server.stop();
    assert!(
        status.success(),
        "serve did not exit cleanly on SIGTERM: {status}"
    );

    // SIGTERM with a run in flight: after the grace, the run is cancelled and recorded.
    let server = HttpServer::start(&env, &["--token", "s3cret", "--grace-ms", "300"]);
    let steps = client(
        &env,
        json!({
            "connect": { "transport": "http", "url": server.url, "token": "s3cret" },
            "steps": [ { "op": "callAndLeave", "name": "run_code", "afterMs": 500,
                         "args": { "code": "console.log('working'); while (true) {}", "timeout_ms": 120000 } } ],
        }),
    );
    assert_eq!(steps[0]["left"], true);
    let status = server.stop();
    assert!(status.success(), "{status}");
    let runs = env.run(&["runs", "--json"]).success().json();
    let last = runs.as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["error_kind"], "cancelled", "{runs}");

    // Beyond loopback, a token is required.
    let refused = env.run(&["serve", "--http", "0.0.0.0:0"]).failure();
    assert!(
        refused.stderr.contains("needs a bearer token"),
        "{}",
        refused.stderr
    );
}
