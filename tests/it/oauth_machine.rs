//! OAuth grants without a person (`oauth.grant`: client credentials with a secret or a
//! `private_key_jwt` key) against the local authorization server of `oauth.rs`
//! (tests/fixtures/oauth_server.py): `gen`, `run` and `call` get a token by themselves and again
//! once it expires, `skillet auth login` gets one without a browser, `auth status` shows the
//! grant, secrets never leave the configuration, and bad configuration names the server and
//! the field. Enterprise-managed authorization runs in the conformance suite (`conformance.rs`).

use std::process::Command;

use serde_json::{Value, json};

use crate::oauth::{AuthServer, WHOAMI, all_text, mode, registry, token_file};
use crate::support::*;

const SECRET: &str = "svc-secret";

/// `skillet ARGS` with the client secret in `SVC_SECRET` and no browser at all.
fn skillet(env: &TestEnv, args: &[&str]) -> Run {
    env.command(args)
        .env("SVC_SECRET", SECRET)
        .env_remove("BROWSER")
        .env_remove("DISPLAY")
        .output()
        .unwrap()
        .into()
}

fn client_credentials_requests(server: &AuthServer) -> Vec<Value> {
    server
        .log()
        .into_iter()
        .filter(|e| e["kind"] == "client-credentials")
        .collect()
}

fn access_token(env: &TestEnv) -> String {
    let stored: Value =
        serde_json::from_str(&fs_err::read_to_string(token_file(env)).unwrap()).unwrap();
    stored["credentials"]["token_response"]["access_token"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[test]
fn client_credentials_need_no_login_and_a_new_token_replaces_an_expired_one() {
    let server = AuthServer::start(&["normal"]);
    let env = registry(
        &server,
        json!({"oauth": {"grant": "client_credentials", "clientId": "svc",
                         "clientSecret": "${SVC_SECRET}", "scopes": ["mcp"]}}),
    );

    // No login: `gen` gets the token by itself.
    skillet(&env, &["gen"]).success();
    let requests = client_credentials_requests(&server);
    assert_eq!(requests.len(), 1, "{requests:?}");
    assert_eq!(requests[0]["client"], "svc");
    assert_eq!(requests[0]["error"], Value::Null);
    assert_eq!(requests[0]["scope"], "mcp");
    assert_eq!(requests[0]["resource"], server.url().as_str());
    let file = token_file(&env);
    assert_eq!(mode(&file), 0o600);
    let first = access_token(&env);

    env.write("who.ts", WHOAMI);
    let run = skillet(&env, &["run", "who.ts", "--json"]).success().json();
    assert!(
        run["output"]
            .as_str()
            .unwrap()
            .contains("hello, authorized caller"),
        "{run}"
    );
    // The stored token was still good: no second request.
    assert_eq!(client_credentials_requests(&server).len(), 1);

    let status = skillet(&env, &["auth", "status", "--json"]).success();
    let row = &status.json()[0];
    assert_eq!(row["grant"], "client_credentials");
    assert_eq!(row["logged_in"], true);
    assert_eq!(row["refreshable"], false);
    let text = skillet(&env, &["auth", "status"]).success();
    assert!(
        text.stdout.contains("grant: client_credentials"),
        "{}",
        text.stdout
    );

    // The token expires (its receipt is moved an hour and more back): the next call gets a new
    // one by itself, with no person and no refresh token.
    let mut stored: Value = serde_json::from_str(&fs_err::read_to_string(&file).unwrap()).unwrap();
    stored["credentials"]["token_received_at"] = json!(1_000);
    fs_err::write(&file, serde_json::to_vec(&stored).unwrap()).unwrap();
    let status = skillet(&env, &["auth", "status", "--json"]).success();
    assert_eq!(status.json()[0]["expired"], true);
    let call = skillet(&env, &["-vv", "call", "remote", "whoami"]).success();
    assert!(
        call.stdout.contains("hello, authorized caller"),
        "{}",
        call.stdout
    );
    assert_eq!(client_credentials_requests(&server).len(), 2);
    let second = access_token(&env);
    assert_ne!(first, second);

    // The secret and the tokens are nowhere but in the environment and the token file: not in
    // the registry (run records, audit, logs, generated code), nor in what skillet printed.
    for (path, text) in all_text(&env.work()) {
        for secret in [SECRET, &first, &second] {
            assert!(!text.contains(secret), "a secret is in {}", path.display());
        }
    }
    for secret in [SECRET, &first, &second] {
        assert!(!call.stderr.contains(secret), "{}", call.stderr);
        assert!(!call.stdout.contains(secret), "{}", call.stdout);
    }
    assert!(!fs_err::read_to_string(&file).unwrap().contains(SECRET));
}

#[test]
fn a_scope_a_call_is_refused_for_is_granted_by_a_new_token_without_anyone() {
    // No terminal, no browser: a machine grant still steps up by itself.
    let server = AuthServer::start(&["normal"]);
    let env = registry(
        &server,
        json!({"oauth": {"grant": "client_credentials", "clientId": "svc",
                         "clientSecret": "${SVC_SECRET}", "scopes": ["mcp"]}}),
    );
    let call = skillet(&env, &["call", "remote", "write_note"]).success();
    assert!(call.stdout.contains("note kept"), "{}", call.stdout);
    assert!(
        call.stderr
            .contains("`remote` asks for the scope `mcp notes:write`"),
        "{}",
        call.stderr
    );
    let requests = client_credentials_requests(&server);
    assert_eq!(requests.len(), 2, "{requests:?}");
    let scope = requests[1]["scope"].as_str().unwrap();
    assert!(scope.split(' ').any(|s| s == "notes:write"), "{scope}");
}

#[test]
fn a_private_key_jwt_login_needs_no_browser() {
    let keys = tempfile::tempdir().unwrap();
    let key = keys.path().join("svc.pem");
    let public = keys.path().join("svc.pub.pem");
    let openssl = |args: &[&str]| {
        let out = Command::new("openssl").args(args).output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    openssl(&[
        "genpkey",
        "-algorithm",
        "RSA",
        "-pkeyopt",
        "rsa_keygen_bits:2048",
        "-out",
        key.to_str().unwrap(),
    ]);
    openssl(&[
        "pkey",
        "-in",
        key.to_str().unwrap(),
        "-pubout",
        "-out",
        public.to_str().unwrap(),
    ]);
    let server = AuthServer::start(&["normal", "--jwt-public-key", public.to_str().unwrap()]);
    let env = registry(
        &server,
        json!({"oauth": {"grant": "client_credentials", "clientId": "svc",
                         "privateKeyFile": key, "signingAlg": "RS256"}}),
    );
    let login = skillet(&env, &["auth", "login", "remote", "--json"]).success();
    let report = login.json();
    assert_eq!(report["grant"], "client_credentials");
    assert!(
        !login.stderr.contains("Open this URL"),
        "no browser: {}",
        login.stderr
    );
    let requests = client_credentials_requests(&server);
    assert_eq!(requests.len(), 1, "{requests:?}");
    assert_eq!(requests[0]["method"], "private_key_jwt");
    assert_eq!(requests[0]["error"], Value::Null, "{requests:?}");
    let text = skillet(&env, &["auth", "login", "remote"]).success();
    assert!(
        text.stdout
            .contains("got a token for `remote` with the client_credentials grant"),
        "{}",
        text.stdout
    );
    let call = skillet(&env, &["call", "remote", "whoami"]).success();
    assert!(call.stdout.contains("hello, authorized caller"));

    // A key that is not a key, and one that cannot be read: the server and the field, fixed
    // in .mcp.json.
    let not_a_key = keys.path().join("not-a-key.pem");
    fs_err::write(&not_a_key, "hello").unwrap();
    for (file, want) in [
        (not_a_key.clone(), "is not an RSA or EC private key"),
        (
            keys.path().join("missing.pem"),
            "cannot read the private key",
        ),
    ] {
        let env = registry(
            &server,
            json!({"oauth": {"grant": "client_credentials", "clientId": "svc",
                             "privateKeyFile": file}}),
        );
        let out = skillet(&env, &["auth", "login", "remote"]).failure();
        assert_eq!(out.code(), 1, "{}", out.stderr);
        assert!(
            out.stderr
                .contains("server `remote`: `oauth.privateKeyFile`:"),
            "{}",
            out.stderr
        );
        assert!(out.stderr.contains(want), "{}", out.stderr);
        assert!(
            out.stderr.contains("hint: fix `oauth.privateKeyFile`"),
            "{}",
            out.stderr
        );
    }
}

#[test]
fn bad_client_credentials_configuration_is_a_clear_error_without_the_secret() {
    let server = AuthServer::start(&["normal"]);
    // The secret's variable is not set.
    let env = registry(
        &server,
        json!({"oauth": {"grant": "client_credentials", "clientId": "svc",
                         "clientSecret": "${NOT_SET_SECRET}"}}),
    );
    let out = skillet(&env, &["call", "remote", "whoami"]).failure();
    assert!(
        out.stderr.contains("server `remote`")
            && out.stderr.contains("oauth.clientSecret")
            && out.stderr.contains("NOT_SET_SECRET is not set"),
        "{}",
        out.stderr
    );

    // An algorithm skillet does not sign with.
    let env = registry(
        &server,
        json!({"oauth": {"grant": "client_credentials", "clientId": "svc",
                         "privateKeyFile": "/k.pem", "signingAlg": "HS256"}}),
    );
    let out = skillet(&env, &["gen"]).failure();
    assert!(
        out.stderr.contains("server `remote`")
            && out
                .stderr
                .contains("`oauth.signingAlg` `HS256` is not supported"),
        "{}",
        out.stderr
    );

    // A wrong secret: the authorization server's refusal, never the secret.
    let env = registry(
        &server,
        json!({"oauth": {"grant": "client_credentials", "clientId": "svc",
                         "clientSecret": "${SVC_SECRET}-wrong"}}),
    );
    let out = skillet(&env, &["call", "remote", "whoami"]).failure();
    assert!(out.stderr.contains("server `remote`"), "{}", out.stderr);
    assert!(out.stderr.contains("invalid_client"), "{}", out.stderr);
    assert!(!out.stderr.contains(SECRET), "{}", out.stderr);
}
