//! OAuth 2.1 for HTTP servers against a local authorization server the tests start
//! (tests/fixtures/oauth_server.py: an MCP endpoint, its metadata, registration, an
//! authorization endpoint that approves at once, tokens): login through the loopback redirect
//! with tests/fixtures/headless_browser.py as the browser, refresh, revocation, audience,
//! declined consent, a forged `state`, bad metadata, the endpoint policy, token file
//! permissions, a redirect URI that is not loopback. The machine grants are in `oauth_machine.rs`,
//! the conformance suite's scenarios in `conformance.rs`.

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::os::unix::fs::PermissionsExt as _;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

use serde_json::{Value, json};

use crate::support::*;

/// The fixture server, ended when dropped.
pub(crate) struct AuthServer {
    child: Child,
    pub(crate) port: u16,
}

impl AuthServer {
    pub(crate) fn start(args: &[&str]) -> Self {
        let mut child = Command::new("python3")
            .arg(fixture("oauth_server.py"))
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let port = line
            .trim()
            .strip_prefix("READY ")
            .unwrap_or_else(|| panic!("fixture did not start: {line:?}"))
            .parse()
            .unwrap();
        Self { child, port }
    }

    pub(crate) fn url(&self) -> String {
        format!("http://127.0.0.1:{}/mcp", self.port)
    }

    /// A plain HTTP request to the fixture; the response body.
    fn request(&self, method: &str, path: &str) -> String {
        let mut s = std::net::TcpStream::connect(("127.0.0.1", self.port)).unwrap();
        write!(
            s,
            "{method} {path} HTTP/1.1\r\nhost: x\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
        )
        .unwrap();
        let mut out = String::new();
        s.read_to_string(&mut out).unwrap();
        out.split_once("\r\n\r\n")
            .map(|(_, b)| b.to_owned())
            .unwrap_or_default()
    }

    pub(crate) fn log(&self) -> Vec<Value> {
        serde_json::from_str(&self.request("GET", "/control/log")).unwrap()
    }
}

impl Drop for AuthServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A registry whose server `remote` is the fixture (with `extra` merged into its entry).
pub(crate) fn registry(server: &AuthServer, extra: Value) -> TestEnv {
    let env = TestEnv::new();
    let mut entry = json!({ "type": "http", "url": server.url() });
    if let Value::Object(extra) = extra {
        entry.as_object_mut().unwrap().extend(extra);
    }
    env.registry(json!({ "remote": entry }));
    env
}

/// `skillet ARGS` with the headless browser as `BROWSER`.
fn skillet(env: &TestEnv, args: &[&str]) -> Run {
    env.command(args)
        .env(
            "BROWSER",
            format!("python3 {}", fixture("headless_browser.py").display()),
        )
        .output()
        .unwrap()
        .into()
}

pub(crate) fn credentials_dir(env: &TestEnv) -> PathBuf {
    env.tmp.path().join("home/.config/skillet/credentials")
}

/// The only token file there is (beside it, its refresh lock).
pub(crate) fn token_file(env: &TestEnv) -> PathBuf {
    let files: Vec<PathBuf> = fs_err::read_dir(credentials_dir(env))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    files[0].clone()
}

pub(crate) fn mode(path: &std::path::Path) -> u32 {
    fs_err::metadata(path).unwrap().permissions().mode() & 0o777
}

/// Every file under `dir`, as text (lossy), with its path.
pub(crate) fn all_text(dir: &std::path::Path) -> Vec<(PathBuf, String)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = fs_err::read_dir(&d) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if let Ok(bytes) = fs_err::read(&path) {
                out.push((path, String::from_utf8_lossy(&bytes).into_owned()));
            }
        }
    }
    out
}

pub(crate) const WHOAMI: &str = r#"import { whoami } from "./servers/remote/index.js";
console.log(await whoami({}));
"#;

#[test]
fn login_then_run_refreshes_an_expired_token_and_no_secret_reaches_the_registry() {
    // The first access token is born expired: its first use is a refresh.
    let server = AuthServer::start(&["normal", "--code-ttl", "0"]);
    let env = registry(&server, json!({}));

    let before = skillet(&env, &["call", "remote", "whoami"]).failure();
    assert!(
        before.stderr.contains("server `remote` needs a login"),
        "{}",
        before.stderr
    );
    assert!(
        before.stderr.contains("hint: skillet auth login remote"),
        "{}",
        before.stderr
    );

    let login = skillet(&env, &["auth", "login", "remote"]).success();
    assert!(
        login
            .stderr
            .contains(&format!("http://127.0.0.1:{}/authorize?", server.port)),
        "the URL is printed on stderr: {}",
        login.stderr
    );
    assert!(
        login.stdout.contains("logged in to `remote`"),
        "{}",
        login.stdout
    );
    let file = token_file(&env);
    assert_eq!(mode(&credentials_dir(&env)), 0o700);
    assert_eq!(mode(&file), 0o600);
    let stored: Value = serde_json::from_str(&fs_err::read_to_string(&file).unwrap()).unwrap();
    let first_access = stored["credentials"]["token_response"]["access_token"]
        .as_str()
        .unwrap()
        .to_owned();

    let status = skillet(&env, &["auth", "status", "--json"]).success();
    let row = &status.json()[0];
    assert_eq!(row["server"], "remote");
    assert_eq!(row["logged_in"], true);
    assert_eq!(row["expired"], true);
    assert_eq!(row["refreshable"], true);
    assert_eq!(row["scopes"], json!(["mcp"]));
    assert!(!status.stdout.contains(&first_access));

    skillet(&env, &["gen"]).success();
    env.write("who.ts", WHOAMI);
    let run = skillet(&env, &["run", "who.ts", "--json"]).success().json();
    assert!(
        run["output"]
            .as_str()
            .unwrap()
            .contains("hello, authorized caller"),
        "{run}"
    );

    let log = server.log();
    let grants: Vec<&str> = log
        .iter()
        .filter(|e| e["kind"] == "token")
        .map(|e| e["grant_type"].as_str().unwrap())
        .collect();
    assert_eq!(grants[0], "authorization_code");
    assert!(grants.contains(&"refresh_token"), "{log:?}");
    // PKCE S256 and the resource indicator (RFC 8707) naming the MCP server.
    let authorize = log.iter().find(|e| e["kind"] == "authorize").unwrap();
    assert_eq!(authorize["method"], "S256");
    assert_eq!(authorize["resource"], server.url().as_str());
    assert!(
        log.iter()
            .filter(|e| e["kind"] == "token")
            .all(|e| e["resource"] == server.url().as_str())
    );

    // No token (the first, the refreshed one, any refresh token) is anywhere in the registry:
    // run records, the audit log, logs, generated files, git.
    let stored: Value = serde_json::from_str(&fs_err::read_to_string(&file).unwrap()).unwrap();
    let secrets = [
        first_access,
        stored["credentials"]["token_response"]["access_token"]
            .as_str()
            .unwrap()
            .to_owned(),
        stored["credentials"]["token_response"]["refresh_token"]
            .as_str()
            .unwrap()
            .to_owned(),
    ];
    let files = all_text(&env.work());
    assert!(files.iter().any(|(p, _)| p.ends_with("run.json")));
    assert!(files.iter().any(|(p, _)| p.ends_with("audit.jsonl")));
    for (path, text) in &files {
        for secret in &secrets {
            assert!(
                !text.contains(secret.as_str()),
                "a token is in {}",
                path.display()
            );
        }
    }

    let out = skillet(&env, &["auth", "logout", "remote"]).success();
    assert!(out.stdout.contains("logged out"), "{}", out.stdout);
    assert!(!file.exists());
}

#[test]
fn a_token_the_server_stopped_accepting_is_refreshed_and_a_revoked_refresh_asks_for_login() {
    let server = AuthServer::start(&["normal"]);
    let env = registry(&server, json!({}));
    skillet(&env, &["auth", "login", "remote"]).success();
    skillet(&env, &["call", "remote", "whoami"]).success();

    // The server forgets every access token: a 401, one refresh, the call goes through.
    server.request("POST", "/control/expire");
    let call = skillet(&env, &["call", "remote", "whoami"]).success();
    assert!(call.stdout.contains("hello"), "{}", call.stdout);

    // Refresh tokens revoked too: the refresh is refused, a new login is needed.
    server.request("POST", "/control/revoke");
    let call = skillet(&env, &["call", "remote", "whoami"]).failure();
    assert!(call.stderr.contains("needs a login"), "{}", call.stderr);
    assert!(
        call.stderr.contains("hint: skillet auth login remote"),
        "{}",
        call.stderr
    );
}

#[test]
fn two_processes_refreshing_one_token_at_once_both_go_on() {
    // The stored access token is born expired, and the fixture rotates refresh tokens (each is
    // spent once): two processes refreshing at once would spend the same one, and the second
    // would need a login. The refresh lock makes the second wait and read the new one.
    let server = AuthServer::start(&["normal", "--code-ttl", "0"]);
    let env = registry(&server, json!({}));
    skillet(&env, &["auth", "login", "remote"]).success();
    let spawn = || {
        env.command(&["call", "remote", "whoami"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let children = [spawn(), spawn()];
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let refreshes = server
        .log()
        .iter()
        .filter(|e| e["kind"] == "token" && e["grant_type"] == "refresh_token")
        .count();
    assert!(refreshes >= 1);
}

#[test]
fn a_token_for_another_audience_is_refused_and_never_retried_in_a_loop() {
    let server = AuthServer::start(&["wrong-audience"]);
    let env = registry(&server, json!({}));
    skillet(&env, &["auth", "login", "remote"]).success();
    let call = skillet(&env, &["call", "remote", "whoami"]).failure();
    assert!(
        call.stderr.contains("hint: skillet auth login remote"),
        "{}",
        call.stderr
    );
    let refused = server
        .log()
        .iter()
        .filter(|e| e["kind"] == "mcp-refused")
        .count();
    assert!(refused <= 3, "{refused} refused requests");
}

#[test]
fn metadata_for_another_resource_is_refused() {
    let server = AuthServer::start(&["wrong-resource"]);
    let env = registry(&server, json!({}));
    let login = skillet(&env, &["auth", "login", "remote"]).failure();
    assert!(
        login.stderr.contains("OAuth discovery failed"),
        "{}",
        login.stderr
    );
    assert!(login.stderr.contains("resource"), "{}", login.stderr);
    assert!(!credentials_dir(&env).join("x").exists());
}

#[test]
fn a_2025_03_26_server_may_name_an_issuer_on_its_own_origin_and_nowhere_else() {
    // No protected resource metadata: the server's origin is its authorization server, whose
    // metadata names `<origin>/oauth` (RFC 8414 section 3.3 wants the origin). Nothing else could
    // have been expected, and the issuer cannot pass for another server's: the login works, and
    // the issuer is what the tokens are bound to.
    let server = AuthServer::start(&["legacy-issuer"]);
    let env = registry(&server, json!({}));
    skillet(&env, &["auth", "login", "remote"]).success();
    let status = skillet(&env, &["auth", "status", "--json"])
        .success()
        .json();
    assert_eq!(
        status[0]["issuer"],
        format!("http://127.0.0.1:{}/oauth", server.port)
    );
    let call = skillet(&env, &["call", "remote", "whoami"]).success();
    assert!(call.stdout.contains("hello, authorized caller"));

    // An issuer on another origin, or any mismatch where protected resource metadata named
    // the authorization server, is still refused (mix-up protection).
    for mode in ["legacy-foreign-issuer", "prm-issuer"] {
        let server = AuthServer::start(&[mode]);
        let env = registry(&server, json!({}));
        let login = skillet(&env, &["auth", "login", "remote"]).failure();
        assert!(
            login.stderr.contains("issuer mismatch"),
            "{mode}: {}",
            login.stderr
        );
        assert!(
            !server.log().iter().any(|e| e["kind"] == "authorize"),
            "{mode}: no authorization was asked for"
        );
    }
}

#[test]
fn declined_consent_and_a_forged_state_fail_the_login() {
    let server = AuthServer::start(&["deny"]);
    let env = registry(&server, json!({}));
    let login = skillet(&env, &["auth", "login", "remote"]).failure();
    assert!(
        login
            .stderr
            .contains("the authorization was declined (access_denied: the user said no)"),
        "{}",
        login.stderr
    );
    assert!(
        login
            .stderr
            .contains("hint: run `skillet auth login remote` again")
    );

    let server = AuthServer::start(&["bad-state"]);
    let env = registry(&server, json!({}));
    let login = skillet(&env, &["auth", "login", "remote"]).failure();
    assert!(
        login.stderr.contains("wrong `state`; it was refused"),
        "{}",
        login.stderr
    );
    // No token was asked for with the code of a forged redirect.
    assert!(!server.log().iter().any(|e| e["kind"] == "token"));
}

#[test]
fn malformed_metadata_and_a_foreign_plain_http_endpoint_are_refused() {
    let server = AuthServer::start(&["malformed-metadata"]);
    let env = registry(&server, json!({}));
    let login = skillet(&env, &["auth", "login", "remote"]).failure();
    assert_eq!(login.code(), 1, "{}", login.stderr);
    assert!(
        login.stderr.contains(
            "server `remote`: OAuth discovery failed: the protected resource metadata at"
        ),
        "{}",
        login.stderr
    );
    assert!(
        login.stderr.contains("is malformed: it is not JSON"),
        "{}",
        login.stderr
    );
    assert!(!login.stderr.contains("panicked"), "{}", login.stderr);

    // The policy: endpoints must be https, or http on loopback when the server is on loopback.
    let server = AuthServer::start(&["foreign-endpoint"]);
    let env = registry(&server, json!({}));
    let login = skillet(&env, &["auth", "login", "remote"]).failure();
    assert!(
        login.stderr.contains(
            "authorization endpoint `http://login.example.com/authorize` is refused: it is plain http on another machine"
        ),
        "{}",
        login.stderr
    );
    assert!(
        login
            .stderr
            .contains("hint: authorization endpoints must use https")
    );
}

#[test]
fn a_token_file_others_can_read_is_refused_with_the_fix() {
    let server = AuthServer::start(&["normal"]);
    let env = registry(&server, json!({}));
    skillet(&env, &["auth", "login", "remote"]).success();
    let file = token_file(&env);
    fs_err::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
    for args in [&["call", "remote", "whoami"][..], &["auth", "status"][..]] {
        let out = skillet(&env, args).failure();
        assert!(
            out.stderr.contains("is readable by others (mode 644)"),
            "{}",
            out.stderr
        );
        assert!(
            out.stderr
                .contains(&format!("hint: chmod 600 {}", file.display())),
            "{}",
            out.stderr
        );
    }
    fs_err::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
    skillet(&env, &["call", "remote", "whoami"]).success();
}

#[test]
fn a_redirect_uri_that_is_not_loopback_is_refused() {
    let server = AuthServer::start(&["normal"]);
    let env = registry(
        &server,
        json!({ "oauth": { "redirectUri": "http://example.com:8080/callback" } }),
    );
    let login = skillet(&env, &["auth", "login", "remote"]).failure();
    assert!(
        login.stderr.contains(
            "`oauth.redirectUri` `http://example.com:8080/callback` is not a loopback address"
        ),
        "{}",
        login.stderr
    );
    assert!(!server.log().iter().any(|e| e["kind"] == "authorize"));
}

#[test]
fn auth_needs_an_http_server() {
    let env = TestEnv::new();
    env.registry(json!({ "docs": sample("docs") }));
    let out = env.run(&["auth", "login", "docs"]).failure();
    assert!(out.stderr.contains("not an HTTP server"), "{}", out.stderr);
    let out = env.run(&["auth", "login", "nope"]).failure();
    assert!(
        out.stderr.contains("no server `nope` is configured"),
        "{}",
        out.stderr
    );
    let out = env.run(&["auth", "status", "--json"]).success();
    assert_eq!(out.json(), json!([]));
}

#[test]
fn serve_asks_for_a_login_then_uses_and_refreshes_the_stored_tokens() {
    // Straight to the tool: serve generates no API for a server it cannot log in to.
    const CALL: &str = "console.log(await callMCPTool('remote', 'whoami', {}));";
    let server = AuthServer::start(&["normal", "--code-ttl", "0"]);
    let env = registry(&server, json!({}));
    let plan = json!({
        "connect": serve_over_stdio(&env, &[]),
        "steps": [{ "op": "call", "name": "run_code", "args": { "code": CALL } }],
    });
    let (steps, _) = mcp_client(&env, &plan);
    let text = steps[0]["text"].as_str().unwrap_or_default();
    assert_eq!(steps[0]["isError"], true, "{}", steps[0]);
    assert!(text.contains("hint: skillet auth login remote"), "{text}");

    skillet(&env, &["auth", "login", "remote"]).success();
    let (steps, _) = mcp_client(&env, &plan);
    assert_eq!(steps[0]["isError"], false, "{}", steps[0]);
    let text = steps[0]["text"].as_str().unwrap();
    assert!(text.contains("hello, authorized caller"), "{text}");
    assert!(
        server
            .log()
            .iter()
            .any(|e| e["kind"] == "token" && e["grant_type"] == "refresh_token")
    );
}

/// OAuth step-up: a call refused for want of a scope (403 `insufficient_scope`) logs in again,
/// asking for that scope too, and is sent once more on a new connection; the calls before it
/// are not sent again. A server that keeps refusing gets its refusal back, after one login.
#[test]
fn a_call_refused_for_a_scope_logs_in_again_for_it_and_is_sent_once_more() {
    let server = AuthServer::start(&["normal"]);
    let env = registry(&server, json!({}));
    skillet(&env, &["auth", "login", "remote"]).success();
    skillet(&env, &["gen"]).success();
    env.write(
        "note.ts",
        r#"import { whoami, writeNote } from "./servers/remote/index.js";
console.log(await whoami({}));
console.log(await writeNote({}));
"#,
    );
    let run = skillet(&env, &["run", "note.ts", "--json"]).success();
    let report = run.json();
    let output = report["output"].as_str().unwrap();
    assert!(
        output.contains("hello, authorized caller") && output.contains("note kept"),
        "{report}"
    );
    assert!(
        run.stderr
            .contains("`remote` asks for the scope `mcp notes:write`"),
        "{}",
        run.stderr
    );
    let log = server.log();
    let authorized: Vec<&Value> = log.iter().filter(|e| e["kind"] == "authorize").collect();
    assert_eq!(authorized.len(), 2, "the login, then the step-up: {log:?}");
    let scope = authorized[1]["scope"].as_str().unwrap_or_default();
    assert!(
        scope.split(' ').any(|s| s == "notes:write"),
        "the step-up asks for the scope: {scope}"
    );
    // The step-up uses the client registered at the first login; it registers none.
    let registrations = log.iter().filter(|e| e["kind"] == "register").count();
    assert_eq!(registrations, 1, "{log:?}");
    assert_eq!(authorized[0]["client_id"], authorized[1]["client_id"]);
    let calls = log
        .iter()
        .filter(|e| e["kind"] == "mcp" && e["method"] == "tools/call")
        .count();
    assert_eq!(calls, 3, "whoami once, write_note twice: {log:?}");
    let audit = env.read(".skillet/audit.jsonl");
    assert!(
        audit.contains("logged in again for the scope `mcp notes:write`"),
        "{audit}"
    );

    // The token now has the scope: the next call needs no login (the conformance suite's
    // auth/scope-step-up scenario steps `skillet call` up).
    let called = skillet(&env, &["call", "remote", "write_note"]).success();
    assert!(called.stdout.contains("note kept"), "{}", called.stdout);
    let logins = server
        .log()
        .iter()
        .filter(|e| e["kind"] == "authorize")
        .count();
    assert_eq!(logins, 2);
}
