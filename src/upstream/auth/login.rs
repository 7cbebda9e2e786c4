//! `skillet auth login`: discovery, client registration, authorization code with PKCE through a
//! loopback redirect, the token exchange, and the token file.

use std::collections::BTreeMap;
use std::time::Duration;

use rmcp::transport::auth::{
    AuthError, AuthorizationManager, AuthorizationMetadata, AuthorizationRequest,
    AuthorizationSession,
};
use serde::Serialize;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

use super::store::Registration;
use super::{AuthFailure, FileCredentialStore, TokenFile};
use crate::config::OAuthConfig;

/// What a login needs.
pub struct LoginRequest<'a> {
    pub server: &'a str,
    pub url: &'a str,
    /// The server's configured headers, sent with the probe that reads its challenge.
    pub headers: &'a BTreeMap<String, String>,
    pub oauth: &'a OAuthConfig,
    /// Scopes to ask for besides the configured, challenged or advertised ones.
    pub scopes: Vec<String>,
    /// How long to wait for the redirect.
    pub timeout: Duration,
    /// The command that opens the authorization URL (the URL is appended as its last argument),
    /// split on whitespace; `None`: nothing is opened.
    pub browser: Option<String>,
    /// Called with the authorization URL before anything waits for it (print it).
    pub on_url: &'a (dyn Fn(&str) + Sync),
}

/// What a login got: never the token.
#[derive(Debug, Clone, Serialize)]
pub struct LoginReport {
    pub server: String,
    pub url: String,
    pub issuer: Option<String>,
    /// The grant (`oauth.grant`): `authorization_code`, `client_credentials` or `enterprise`.
    pub grant: &'static str,
    /// `configured` (the `oauth.clientId` of .mcp.json), `metadata document` (the
    /// `oauth.clientMetadataUrl`, SEP-991) or `registered` (dynamic registration).
    pub client: &'static str,
    pub scopes: Vec<String>,
    pub expires_in_secs: Option<u64>,
    pub file: std::path::PathBuf,
}

/// The scopes a login asks for: the configured ones (else what the server's metadata or
/// challenge suggests), then the caller's and those a refused call asked for (step-up).
pub(super) async fn requested_scopes(
    manager: &AuthorizationManager,
    configured: &[String],
    asked: &[String],
    step_up: &[String],
) -> Vec<String> {
    let mut scopes = if configured.is_empty() {
        manager.select_initial_scopes(&[]).await
    } else {
        configured.to_vec()
    };
    for s in asked.iter().chain(step_up) {
        if !scopes.contains(s) {
            scopes.push(s.clone());
        }
    }
    scopes
}

/// Runs the whole authorization for one HTTP server and stores its tokens.
pub async fn login(req: LoginRequest<'_>) -> Result<LoginReport, AuthFailure> {
    let server = req.server;
    let rmcp_err = |e: AuthError| AuthFailure::from_rmcp(server, &e);
    let dir = super::credentials_dir(req.oauth, server)?;
    let file = TokenFile::new(dir, req.url);
    let previous = file.read()?.unwrap_or_default();
    if req.oauth.is_machine_grant() {
        return super::machine::fetch(super::machine::MachineRequest {
            server,
            url: req.url,
            headers: req.headers,
            oauth: req.oauth,
            scopes: &req.scopes,
        })
        .await;
    }

    let (mut manager, metadata) = discover(server, req.url, req.headers, &file).await?;

    // A client skillet registered at this authorization server before (a step-up login, a login
    // after an expired refresh token) is used again, with the redirect URI it registered; only
    // when that port is taken now is a new client registered.
    let reusable = previous.registration.clone().filter(|r| {
        req.oauth.client_id.is_none()
            && req.oauth.redirect_uri.is_none()
            && r.issuer == metadata.issuer
            && r.token_endpoint == metadata.token_endpoint
    });
    let (loopback, reused) = match reusable {
        Some(r) => match Loopback::bind(server, Some(&r.redirect_uri)).await {
            Ok(loopback) => (loopback, Some(r)),
            Err(e) => {
                tracing::info!(error = %e, "registering a new client: the registered redirect port is taken");
                (Loopback::bind(server, None).await?, None)
            }
        },
        None => (
            Loopback::bind(server, req.oauth.redirect_uri.as_deref()).await?,
            None,
        ),
    };

    let scopes = requested_scopes(
        &manager,
        &req.oauth.scopes,
        &req.scopes,
        &previous.step_up_scopes,
    )
    .await;

    let metadata_document = req.oauth.client_metadata_url.clone().filter(|_| {
        metadata
            .additional_fields
            .get("client_id_metadata_document_supported")
            .and_then(serde_json::Value::as_bool)
            .unwrap_or(false)
    });
    let (client, client_id, client_secret) = match (&req.oauth.client_id, metadata_document) {
        (Some(id), _) => ("configured", id.clone(), req.oauth.client_secret.clone()),
        (None, Some(url)) => ("metadata document", url, None),
        (None, None) if reused.is_some() => (
            "registered",
            reused
                .as_ref()
                .map(|r| r.client_id.clone())
                .unwrap_or_default(),
            previous.client_secret.clone(),
        ),
        (None, None) => {
            let refs: Vec<&str> = scopes.iter().map(String::as_str).collect();
            let registered = manager
                .register_client("skillet", &loopback.redirect_uri, &refs)
                .await
                .map_err(rmcp_err)?;
            ("registered", registered.client_id, registered.client_secret)
        }
    };
    let (registered_id, redirect_uri) = (client_id.clone(), loopback.redirect_uri.clone());
    let mut request = AuthorizationRequest::new(loopback.redirect_uri.clone())
        .with_preregistered_client(client_id)
        .with_scopes(scopes);
    if let Some(secret) = &client_secret {
        request = request.with_client_secret(secret.clone());
    }
    let session = AuthorizationSession::new(manager, request)
        .await
        .map_err(|(_, e)| rmcp_err(e))?;
    let auth_url = session.get_authorization_url().to_owned();
    let expected_state = reqwest::Url::parse(&auth_url)
        .ok()
        .and_then(|u| {
            u.query_pairs()
                .find(|(k, _)| k == "state")
                .map(|(_, v)| v.into_owned())
        })
        .unwrap_or_default();
    (req.on_url)(&auth_url);
    let mut browser = req
        .browser
        .as_deref()
        .and_then(|b| open_browser(b, &auth_url));

    let waited = tokio::time::timeout(req.timeout, loopback.wait(server, &expected_state)).await;
    if let Some(child) = browser.as_mut() {
        // A browser command that delivered the redirect is done by now; one still running
        // (a real browser's launcher) is left to the user, a headless one is ended.
        let _ = tokio::time::timeout(Duration::from_secs(2), child.wait()).await;
    }
    let callback = waited.map_err(|_| AuthFailure::Timeout {
        server: server.to_owned(),
        seconds: req.timeout.as_secs(),
    })??;
    let token = session
        .handle_callback_with_issuer(&callback.code, &callback.state, callback.issuer.as_deref())
        .await
        .map_err(rmcp_err)?;

    let stored = file.read()?.unwrap_or_default();
    file.update(req.url, |c| {
        c.server = server.to_owned();
        c.metadata = Some(metadata.clone());
        if client == "registered" {
            c.registration = Some(Registration {
                client_id: registered_id.clone(),
                redirect_uri: redirect_uri.clone(),
                issuer: metadata.issuer.clone(),
                token_endpoint: metadata.token_endpoint.clone(),
            });
            c.client_secret = client_secret;
        } else {
            c.registration = None;
            c.client_secret = None;
        }
    })?;
    use oauth2::TokenResponse as _;
    let credentials = stored.credentials;
    Ok(LoginReport {
        server: server.to_owned(),
        url: req.url.to_owned(),
        issuer: credentials.as_ref().and_then(|c| c.issuer.clone()),
        grant: req.oauth.grant.name(),
        client,
        scopes: credentials.map(|c| c.granted_scopes).unwrap_or_default(),
        expires_in_secs: token.expires_in().map(|d| d.as_secs()),
        file: file.path().to_owned(),
    })
}

/// Finds the server's authorization server (the challenge of an unauthenticated request, the
/// protected resource metadata, the authorization server metadata) and checks its endpoints
/// against the policy: a manager that stores tokens in `file`, with the metadata set.
pub(super) async fn discover(
    server: &str,
    url: &str,
    headers: &BTreeMap<String, String>,
    file: &TokenFile,
) -> Result<(AuthorizationManager, AuthorizationMetadata), AuthFailure> {
    let rmcp_err = |e: AuthError| AuthFailure::from_rmcp(server, &e);
    let challenge = probe(server, url, headers).await?;
    if let Some(challenge) = &challenge {
        check_resource_metadata(server, url, challenge).await?;
    }
    let mut manager = AuthorizationManager::new(url).await.map_err(rmcp_err)?;
    manager.set_credential_store(FileCredentialStore {
        file: file.clone(),
        server_url: url.to_owned(),
    });
    let metadata = match manager
        .resolve_metadata_from_challenge(challenge.as_deref())
        .await
    {
        Ok(resolution) => resolution.metadata,
        Err(AuthError::AuthorizationServerMismatch {
            expected_issuer,
            received_issuer,
        }) => {
            legacy_metadata(
                server,
                url,
                challenge.as_deref(),
                &expected_issuer,
                &received_issuer,
            )
            .await?
        }
        Err(e) => return Err(rmcp_err(e)),
    };
    check_endpoints(server, url, &metadata)?;
    manager.set_metadata(metadata.clone());
    Ok((manager, metadata))
}

/// The 2025-03-26 revision's discovery (no protected resource metadata: the MCP server's origin
/// is the authorization server, its metadata at `{origin}/.well-known/oauth-authorization-server`)
/// when that metadata's `issuer` is another URL than the origin. RFC 8414 §3.3 wants them equal,
/// and rmcp refuses the difference; skillet accepts it only where the check protects nothing:
/// no protected resource metadata names an authorization server (so there is no issuer the client
/// was told to expect, only the server's own origin), and the `issuer` is on that same origin (so
/// it cannot pass for another server's authorization server). The `issuer` read is kept: the
/// authorization response's `iss` (RFC 9207) is still checked against it, and the tokens are bound
/// to it. Anything else stays refused as rmcp refused it.
async fn legacy_metadata(
    server: &str,
    url: &str,
    challenge: Option<&str>,
    expected_issuer: &str,
    received_issuer: &str,
) -> Result<AuthorizationMetadata, AuthFailure> {
    let mismatch = || {
        AuthFailure::from_rmcp(
            server,
            &AuthError::AuthorizationServerMismatch {
                expected_issuer: expected_issuer.to_owned(),
                received_issuer: received_issuer.to_owned(),
            },
        )
    };
    let (Ok(base), Ok(expected), Ok(received)) = (
        reqwest::Url::parse(url),
        reqwest::Url::parse(expected_issuer),
        reqwest::Url::parse(received_issuer),
    ) else {
        return Err(mismatch());
    };
    let origin = base.origin();
    let names_metadata = challenge.is_some_and(|c| {
        rmcp::transport::auth::WWWAuthenticateParams::parse(c, &base)
            .resource_metadata_url
            .is_some()
    });
    // rmcp expected the origin itself: the metadata came from the root well-known URL.
    let from_root = expected.origin() == origin && matches!(expected.path(), "" | "/");
    if names_metadata || !from_root || received.origin() != origin {
        return Err(mismatch());
    }
    let well_known = |path: &str| {
        let mut u = base.clone();
        u.set_query(None);
        u.set_fragment(None);
        u.set_path(path);
        u
    };
    let path = base.path().trim_end_matches('/');
    for prm in [
        format!("/.well-known/oauth-protected-resource{path}"),
        "/.well-known/oauth-protected-resource".to_owned(),
    ] {
        let found = http_client().get(well_known(&prm)).send().await;
        if found.is_ok_and(|r| r.status().is_success()) {
            return Err(mismatch());
        }
    }
    let metadata_url = well_known("/.well-known/oauth-authorization-server");
    let failed = |why: String| AuthFailure::Discovery {
        server: server.to_owned(),
        message: format!("the authorization server metadata at {metadata_url}: {why}"),
    };
    let response = http_client()
        .get(metadata_url.clone())
        .send()
        .await
        .map_err(|e| failed(super::super::error_chain(&e)))?;
    if !response.status().is_success() {
        return Err(failed(format!("HTTP {}", response.status())));
    }
    let body = response
        .bytes()
        .await
        .map_err(|e| failed(super::super::error_chain(&e)))?;
    let metadata: AuthorizationMetadata =
        serde_json::from_slice(&body).map_err(|e| failed(format!("it is not valid ({e})")))?;
    if metadata.issuer.as_deref() != Some(received_issuer) {
        return Err(mismatch());
    }
    tracing::info!(
        server,
        issuer = received_issuer,
        "2025-03-26 discovery: the authorization server metadata at the server's origin names an issuer on that origin"
    );
    Ok(metadata)
}

/// The client of skillet's own discovery requests: none waits more than 30 s.
fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap_or_default()
}

/// The `WWW-Authenticate` of an unauthenticated `initialize`, when the server answers 401.
async fn probe(
    server: &str,
    url: &str,
    headers: &BTreeMap<String, String>,
) -> Result<Option<String>, AuthFailure> {
    let body = serde_json::json!({
        "jsonrpc": "2.0", "id": 0, "method": "initialize",
        "params": {
            "protocolVersion": "2025-06-18",
            "capabilities": {},
            "clientInfo": {"name": "skillet", "version": env!("CARGO_PKG_VERSION")}
        }
    });
    let mut request = http_client()
        .post(url)
        .header("accept", "application/json, text/event-stream")
        .header("content-type", "application/json")
        .body(body.to_string());
    for (k, v) in headers {
        request = request.header(k.as_str(), v.as_str());
    }
    let response = request.send().await.map_err(|e| AuthFailure::Discovery {
        server: server.to_owned(),
        message: format!("cannot reach {url}: {}", super::super::error_chain(&e)),
    })?;
    if response.status() != reqwest::StatusCode::UNAUTHORIZED {
        return Ok(None);
    }
    Ok(response
        .headers()
        .get(reqwest::header::WWW_AUTHENTICATE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned))
}

/// Refuses a protected resource metadata document the challenge names but that is not a JSON
/// object (rmcp would fall back to guessing the endpoints instead).
async fn check_resource_metadata(
    server: &str,
    url: &str,
    challenge: &str,
) -> Result<(), AuthFailure> {
    let Ok(base) = reqwest::Url::parse(url) else {
        return Ok(());
    };
    let params = rmcp::transport::auth::WWWAuthenticateParams::parse(challenge, &base);
    let Some(metadata_url) = params.resource_metadata_url else {
        return Ok(());
    };
    let malformed = |why: String| AuthFailure::Discovery {
        server: server.to_owned(),
        message: format!("the protected resource metadata at {metadata_url} is malformed: {why}"),
    };
    let response = http_client()
        .get(metadata_url.clone())
        .send()
        .await
        .map_err(|e| malformed(super::super::error_chain(&e)))?;
    if !response.status().is_success() {
        return Err(malformed(format!("HTTP {}", response.status())));
    }
    let body = response
        .bytes()
        .await
        .map_err(|e| malformed(super::super::error_chain(&e)))?;
    match serde_json::from_slice::<serde_json::Value>(&body) {
        Ok(serde_json::Value::Object(_)) => Ok(()),
        Ok(_) => Err(malformed("it is not a JSON object".into())),
        Err(e) => Err(malformed(format!("it is not JSON ({e})"))),
    }
}

/// The endpoint policy (see the module's documentation).
fn check_endpoints(
    server: &str,
    server_url: &str,
    metadata: &AuthorizationMetadata,
) -> Result<(), AuthFailure> {
    let server_on_loopback = reqwest::Url::parse(server_url)
        .ok()
        .is_some_and(|u| is_loopback_host(&u));
    let endpoints = [
        (
            "authorization endpoint",
            Some(&metadata.authorization_endpoint),
        ),
        ("token endpoint", Some(&metadata.token_endpoint)),
        (
            "registration endpoint",
            metadata.registration_endpoint.as_ref(),
        ),
    ];
    for (endpoint, url) in endpoints {
        let Some(url) = url else { continue };
        let refuse = |reason: &str| AuthFailure::Policy {
            server: server.to_owned(),
            endpoint: endpoint.to_owned(),
            url: url.clone(),
            reason: reason.to_owned(),
        };
        let parsed = reqwest::Url::parse(url).map_err(|_| refuse("it is not a URL"))?;
        match parsed.scheme() {
            "https" => {}
            "http" if is_loopback_host(&parsed) && server_on_loopback => {}
            "http" if is_loopback_host(&parsed) => {
                return Err(refuse(
                    "it is plain http on a loopback address, but the MCP server is not on this machine",
                ));
            }
            "http" => {
                return Err(refuse(
                    "it is plain http on another machine; https is required",
                ));
            }
            _ => return Err(refuse("only https URLs are used")),
        }
        if !parsed.username().is_empty() || parsed.password().is_some() {
            return Err(refuse("it carries credentials in the URL"));
        }
    }
    Ok(())
}

fn is_loopback_host(url: &reqwest::Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// Runs the browser command with the URL; a command that cannot start is only logged.
fn open_browser(command: &str, url: &str) -> Option<tokio::process::Child> {
    let mut parts = command.split_whitespace();
    let program = parts.next()?;
    match tokio::process::Command::new(program)
        .args(parts)
        .arg(url)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
    {
        Ok(child) => Some(child),
        Err(e) => {
            tracing::info!(command = program, error = %e, "cannot open a browser");
            None
        }
    }
}

/// The redirect's parameters.
struct Callback {
    code: String,
    state: String,
    issuer: Option<String>,
}

/// The loopback listener the authorization server redirects the browser to.
struct Loopback {
    listener: tokio::net::TcpListener,
    redirect_uri: String,
    path: String,
}

impl Loopback {
    /// Binds the configured redirect URI's port (already checked to be loopback), or a random
    /// port on 127.0.0.1.
    async fn bind(server: &str, configured: Option<&str>) -> Result<Self, AuthFailure> {
        let failed = |message: String| AuthFailure::OAuth {
            server: server.to_owned(),
            message,
        };
        let (addr, path, template) = match configured {
            Some(uri) => {
                if !crate::config::mcp::is_loopback_redirect(uri) {
                    return Err(failed(format!(
                        "the redirect URI `{uri}` is not a loopback address; it is refused"
                    )));
                }
                let parsed = reqwest::Url::parse(uri)
                    .map_err(|e| failed(format!("the redirect URI `{uri}` is invalid: {e}")))?;
                let host = match parsed.host() {
                    Some(url::Host::Ipv6(ip)) => ip.to_string(),
                    Some(url::Host::Ipv4(ip)) => ip.to_string(),
                    _ => "127.0.0.1".to_owned(),
                };
                let port = parsed.port().unwrap_or(80);
                (
                    format!("{host}:{port}"),
                    parsed.path().to_owned(),
                    Some(uri.to_owned()),
                )
            }
            None => ("127.0.0.1:0".to_owned(), "/callback".to_owned(), None),
        };
        let host = addr.rsplit_once(':').map(|(h, _)| h).unwrap_or("127.0.0.1");
        let bind_addr = if host.contains(':') {
            format!(
                "[{host}]:{}",
                addr.rsplit_once(':').map(|(_, p)| p).unwrap_or("0")
            )
        } else {
            addr.clone()
        };
        let listener = tokio::net::TcpListener::bind(&bind_addr)
            .await
            .map_err(|e| {
                failed(format!(
                    "cannot listen on {bind_addr} for the redirect: {e}"
                ))
            })?;
        let port = listener
            .local_addr()
            .map_err(|e| failed(e.to_string()))?
            .port();
        let redirect_uri = template.unwrap_or_else(|| format!("http://127.0.0.1:{port}{path}"));
        Ok(Self {
            listener,
            redirect_uri,
            path,
        })
    }

    /// Waits for the redirect to the loopback path; other requests (a favicon) get a 404.
    async fn wait(self, server: &str, expected_state: &str) -> Result<Callback, AuthFailure> {
        loop {
            let (mut stream, _) = self
                .listener
                .accept()
                .await
                .map_err(|e| AuthFailure::OAuth {
                    server: server.to_owned(),
                    message: format!("the loopback listener failed: {e}"),
                })?;
            let Some(target) = read_target(&mut stream).await else {
                continue;
            };
            let Ok(url) = reqwest::Url::parse(&format!("http://127.0.0.1{target}")) else {
                respond(&mut stream, 400, "Bad request.").await;
                continue;
            };
            if url.path() != self.path {
                respond(&mut stream, 404, "Not found.").await;
                continue;
            }
            let params: BTreeMap<String, String> = url.query_pairs().into_owned().collect();
            let state = params.get("state").cloned().unwrap_or_default();
            if state != expected_state {
                respond(
                    &mut stream,
                    400,
                    "This redirect does not belong to the login skillet started; it was refused.",
                )
                .await;
                return Err(AuthFailure::BadState {
                    server: server.to_owned(),
                });
            }
            if let Some(error) = params.get("error") {
                respond(
                    &mut stream,
                    200,
                    "The authorization was declined. You can close this tab.",
                )
                .await;
                return Err(AuthFailure::Declined {
                    server: server.to_owned(),
                    error: crate::tool::safe_segment(error),
                    description: params
                        .get("error_description")
                        .map(|d| d.chars().take(200).collect()),
                });
            }
            let Some(code) = params.get("code") else {
                respond(&mut stream, 400, "The redirect carries no code.").await;
                return Err(AuthFailure::OAuth {
                    server: server.to_owned(),
                    message: "the redirect carries neither `code` nor `error`".into(),
                });
            };
            respond(
                &mut stream,
                200,
                "skillet is logged in. You can close this tab.",
            )
            .await;
            return Ok(Callback {
                code: code.clone(),
                state,
                issuer: params.get("iss").cloned(),
            });
        }
    }
}

/// The request target of an HTTP request head (at most 16 KiB, 5 s).
async fn read_target(stream: &mut tokio::net::TcpStream) -> Option<String> {
    let mut head = Vec::new();
    let mut buf = [0u8; 2048];
    let read = async {
        while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 16 * 1024 {
            let n = stream.read(&mut buf).await.ok()?;
            if n == 0 {
                break;
            }
            head.extend_from_slice(&buf[..n]);
        }
        Some(())
    };
    tokio::time::timeout(Duration::from_secs(5), read)
        .await
        .ok()??;
    let text = String::from_utf8_lossy(&head);
    let mut first = text.lines().next()?.split(' ');
    let method = first.next()?;
    let target = first.next()?;
    (method == "GET" && target.starts_with('/')).then(|| target.to_owned())
}

async fn respond(stream: &mut tokio::net::TcpStream, status: u16, text: &str) {
    let reason = match status {
        200 => "OK",
        404 => "Not Found",
        _ => "Bad Request",
    };
    let body = format!("<!doctype html><title>skillet</title><p>{text}</p>\n");
    let response = format!(
        "HTTP/1.1 {status} {reason}\r\ncontent-type: text/html; charset=utf-8\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = stream.write_all(response.as_bytes()).await;
    let _ = stream.shutdown().await;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn metadata(auth: &str, token: &str) -> AuthorizationMetadata {
        serde_json::from_value(serde_json::json!({
            "authorization_endpoint": auth,
            "token_endpoint": token,
        }))
        .unwrap()
    }

    #[test]
    fn endpoint_policy() {
        let ok = metadata("https://as.example/authorize", "https://as.example/token");
        assert!(check_endpoints("s", "https://mcp.example/mcp", &ok).is_ok());
        let local = metadata("http://127.0.0.1:9/authorize", "http://localhost:9/token");
        assert!(check_endpoints("s", "http://127.0.0.1:8/mcp", &local).is_ok());
        // Loopback http is only for a server on loopback.
        let err = check_endpoints("s", "https://mcp.example/mcp", &local).unwrap_err();
        assert_eq!(err.kind(), "oauth_policy");
        let plain = metadata("http://as.example/authorize", "https://as.example/token");
        let err = check_endpoints("s", "http://127.0.0.1:8/mcp", &plain).unwrap_err();
        assert!(err.to_string().contains("https is required"), "{err}");
        let js = metadata("javascript:alert(1)", "https://as.example/token");
        assert!(check_endpoints("s", "https://mcp.example/mcp", &js).is_err());
    }

    #[tokio::test]
    async fn loopback_refuses_a_bad_state_and_reads_a_declined_consent() {
        async fn hit(lb: &Loopback, query: &str) {
            let addr = lb.listener.local_addr().unwrap();
            let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
            s.write_all(format!("GET /callback?{query} HTTP/1.1\r\nhost: x\r\n\r\n").as_bytes())
                .await
                .unwrap();
        }
        let lb = Loopback::bind("s", None).await.unwrap();
        assert!(lb.redirect_uri.starts_with("http://127.0.0.1:"));
        hit(&lb, "code=c&state=evil").await;
        let err = lb.wait("s", "good").await.err().unwrap();
        assert_eq!(err.kind(), "oauth_bad_state");

        let lb = Loopback::bind("s", None).await.unwrap();
        hit(&lb, "error=access_denied&error_description=no&state=good").await;
        let err = lb.wait("s", "good").await.err().unwrap();
        assert_eq!(err.kind(), "oauth_declined");

        let lb = Loopback::bind("s", None).await.unwrap();
        hit(&lb, "code=c1&state=good").await;
        let cb = lb.wait("s", "good").await.unwrap();
        assert_eq!(cb.code, "c1");

        let err = Loopback::bind("s", Some("http://example.com:8/cb"))
            .await
            .err()
            .unwrap();
        assert!(err.to_string().contains("not a loopback"), "{err}");
    }
}
