//! OAuth 2.1 for HTTP servers, as the MCP authorization specification describes it, on rmcp's
//! `transport::auth`: protected resource metadata found from a 401's `WWW-Authenticate`
//! (then the well-known fallbacks), authorization server metadata (RFC 8414, OpenID Connect
//! discovery), dynamic client registration or a configured client, authorization code with PKCE
//! (S256) through a loopback redirect ([`login`]), the `resource` parameter (RFC 8707), refresh
//! when a token expires, and step-up: a 403 `insufficient_scope` remembers the scope it asks
//! for, so the next login requests it.
//!
//! Tokens live in per-user files outside every registry ([`store`]); nothing here logs them.
//! **Endpoint policy**: every endpoint skillet sends a person or a secret to (authorization,
//! token, registration) must be `https`, or `http` on a loopback address when the MCP server
//! itself is on a loopback address; rmcp also refuses metadata hosts that resolve to loopback or
//! private addresses unless the server's own URL is of that kind.

mod login;
mod machine;
mod store;

use std::path::{Path, PathBuf};

use rmcp::transport::auth::{AuthClient, AuthError, AuthorizationManager, OAuthClientConfig};
use serde::Serialize;

pub use login::{LoginReport, LoginRequest, login};
pub(crate) use store::{FileCredentialStore, TokenFile};

use crate::config::OAuthConfig;

/// OAuth failures. Each names the server (or the file) and says how to fix it.
#[derive(Debug, Clone, thiserror::Error)]
pub enum AuthFailure {
    #[error("server `{server}` needs a login")]
    LoginRequired { server: String },

    #[error(
        "server `{server}` refused the request: the token lacks the scope `{scope}` (skillet asks for it at the next login)"
    )]
    InsufficientScope { server: String, scope: String },

    #[error("{} is readable by others (mode {mode:o}): skillet does not use it", .path.display())]
    Permissions { path: PathBuf, mode: u32, want: u32 },

    #[error("OAuth token store {}: {message}", .path.display())]
    Store { path: PathBuf, message: String },

    #[error("server `{server}`: OAuth discovery failed: {message}")]
    Discovery { server: String, message: String },

    #[error(
        "server `{server}`: the authorization server's {endpoint} `{url}` is refused: {reason}"
    )]
    Policy {
        server: String,
        endpoint: String,
        url: String,
        reason: String,
    },

    #[error("server `{server}`: the authorization was declined ({error}{})", .description.as_ref().map(|d| format!(": {d}")).unwrap_or_default())]
    Declined {
        server: String,
        error: String,
        description: Option<String>,
    },

    #[error(
        "server `{server}`: the redirect to the loopback address carried a wrong `state`; it was refused (it may not come from this login)"
    )]
    BadState { server: String },

    #[error("server `{server}`: no authorization arrived within {} s", .seconds)]
    Timeout { server: String, seconds: u64 },

    #[error("server `{server}` is not an HTTP server; OAuth applies only to HTTP servers")]
    NotHttp { server: String },

    #[error("server `{server}`: OAuth failed: {message}")]
    OAuth { server: String, message: String },

    #[error("server `{server}`: `{field}`: {message}")]
    Config {
        server: String,
        field: String,
        message: String,
    },
}

impl crate::error::Diagnose for AuthFailure {
    fn hints(&self) -> Vec<String> {
        match self {
            Self::LoginRequired { server } | Self::InsufficientScope { server, .. } => {
                vec![format!("skillet auth login {server}")]
            }
            Self::Permissions { path, want, .. } => vec![format!(
                "chmod {want:o} {} (tokens must be private to you)",
                path.display()
            )],
            Self::Policy { .. } => vec![
                "authorization endpoints must use https (http only on loopback, when the MCP server is on loopback too)"
                    .into(),
            ],
            Self::Declined { server, .. } | Self::BadState { server } | Self::Timeout { server, .. } => {
                vec![format!("run `skillet auth login {server}` again")]
            }
            Self::NotHttp { .. } => vec!["give the server a `url` in .mcp.json".into()],
            Self::Config { server, field, .. } => vec![format!(
                "fix `{field}` in the `oauth` object of `{server}` in .mcp.json"
            )],
            _ => Vec::new(),
        }
    }
}

/// Where the tokens of `server` are kept: the user's credentials folder, which must be known.
pub(crate) fn credentials_dir<'a>(
    oauth: &'a OAuthConfig,
    server: &str,
) -> Result<&'a Path, AuthFailure> {
    oauth
        .credentials_dir
        .as_deref()
        .ok_or_else(|| AuthFailure::OAuth {
            server: server.to_owned(),
            message: "no folder for tokens: neither XDG_CONFIG_HOME nor HOME is set".into(),
        })
}

impl AuthFailure {
    pub fn kind(&self) -> &'static str {
        match self {
            Self::LoginRequired { .. } => "login_required",
            Self::InsufficientScope { .. } => "insufficient_scope",
            Self::Permissions { .. } => "token_permissions",
            Self::Store { .. } => "token_store",
            Self::Discovery { .. } => "oauth_discovery",
            Self::Policy { .. } => "oauth_policy",
            Self::Declined { .. } => "oauth_declined",
            Self::BadState { .. } => "oauth_bad_state",
            Self::Timeout { .. } => "oauth_timeout",
            Self::NotHttp { .. } => "not_http",
            Self::OAuth { .. } => "oauth",
            Self::Config { .. } => "oauth_config",
        }
    }

    /// The server it is about (a token file's path for a store failure).
    pub fn server(&self) -> &str {
        match self {
            Self::LoginRequired { server }
            | Self::InsufficientScope { server, .. }
            | Self::Discovery { server, .. }
            | Self::Policy { server, .. }
            | Self::Declined { server, .. }
            | Self::BadState { server }
            | Self::Timeout { server, .. }
            | Self::NotHttp { server }
            | Self::OAuth { server, .. }
            | Self::Config { server, .. } => server,
            Self::Permissions { path, .. } | Self::Store { path, .. } => {
                path.to_str().unwrap_or("")
            }
        }
    }

    pub(crate) fn from_rmcp(server: &str, e: &AuthError) -> Self {
        match e {
            AuthError::AuthorizationRequired | AuthError::TokenRefreshRejected(_) => {
                Self::LoginRequired {
                    server: server.to_owned(),
                }
            }
            AuthError::DiscoveryRequestFailed { .. }
            | AuthError::ProtectedResourceMetadataInvalid { .. }
            | AuthError::AuthorizationServersUnavailable { .. }
            | AuthError::MetadataError(_)
            | AuthError::NoAuthorizationSupport => Self::Discovery {
                server: server.to_owned(),
                message: super::error_chain(e),
            },
            other => Self::OAuth {
                server: server.to_owned(),
                message: super::error_chain(other),
            },
        }
    }
}

/// An authorized HTTP client for a server with a token file, or `None` when it has none (its
/// requests then go without a token, and a 401 asks for a login).
/// A server with a machine grant (`oauth.grant`) always gets one: it fetches its token by
/// itself, now and whenever the stored one is about to expire.
pub(crate) async fn runtime_client(
    server: &str,
    url: &str,
    headers: &std::collections::BTreeMap<String, String>,
    oauth: &OAuthConfig,
) -> Result<Option<(AuthClient<reqwest::Client>, TokenFile)>, AuthFailure> {
    let Some(dir) = &oauth.credentials_dir else {
        return Ok(None);
    };
    let file = TokenFile::new(dir, url);
    if oauth.is_machine_grant() {
        let grant = std::sync::Arc::new(machine::MachineGrant::new(
            server,
            url,
            headers,
            oauth,
            file.clone(),
        ));
        // Configuration and grant failures surface here as themselves, not through rmcp.
        grant.ensure_token().await?;
        let rmcp_err = |e: AuthError| AuthFailure::from_rmcp(server, &e);
        let mut manager = AuthorizationManager::new(url).await.map_err(rmcp_err)?;
        if let Some(metadata) = file.read()?.and_then(|c| c.metadata) {
            manager.set_metadata(metadata);
        }
        manager.set_credential_store(machine::MachineCredentialStore { grant });
        if !manager.initialize_from_store().await.map_err(rmcp_err)? {
            return Ok(None);
        }
        return Ok(Some((
            AuthClient::new(reqwest::Client::default(), manager),
            file,
        )));
    }
    let Some(contents) = file.read()? else {
        return Ok(None);
    };
    let Some(credentials) = &contents.credentials else {
        return Ok(None);
    };
    let rmcp_err = |e: AuthError| AuthFailure::from_rmcp(server, &e);
    let mut manager = AuthorizationManager::new(url).await.map_err(rmcp_err)?;
    manager.set_credential_store(FileCredentialStore {
        file: file.clone(),
        server_url: url.to_owned(),
    });
    if let Some(metadata) = contents.metadata.clone() {
        manager.set_metadata(metadata);
    }
    if !manager.initialize_from_store().await.map_err(rmcp_err)? {
        return Ok(None);
    }
    let secret = oauth
        .client_secret
        .clone()
        .filter(|_| oauth.client_id.as_deref() == Some(credentials.client_id.as_str()))
        .or(contents.client_secret);
    if let Some(secret) = secret {
        manager
            .configure_client(
                OAuthClientConfig::new(credentials.client_id.clone(), url)
                    .with_client_secret(secret),
            )
            .map_err(rmcp_err)?;
    }
    Ok(Some((
        AuthClient::new(reqwest::Client::default(), manager),
        file,
    )))
}

/// Remembers the scope a 403 `insufficient_scope` asked for, so that the next login requests it.
pub(crate) fn remember_step_up(file: &TokenFile, url: &str, scope: &str) {
    let result = file.update(url, |c| {
        for s in scope.split_whitespace() {
            if !c.step_up_scopes.iter().any(|have| have == s) {
                c.step_up_scopes.push(s.to_owned());
            }
        }
    });
    if let Err(e) = result {
        tracing::warn!(error = %e, "cannot remember the scope the server asked for");
    }
}

/// One server's login as `auth status` shows it: never a token.
#[derive(Debug, Clone, Serialize)]
pub struct AuthStatus {
    pub server: String,
    pub url: String,
    /// The grant (`oauth.grant`): `authorization_code`, `client_credentials` or `enterprise`.
    pub grant: &'static str,
    pub logged_in: bool,
    /// Seconds since the Unix epoch when the access token expires, when the server said.
    pub expires_at: Option<u64>,
    pub expired: bool,
    pub refreshable: bool,
    pub scopes: Vec<String>,
    /// Scopes a server asked for that the next login requests.
    pub pending_scopes: Vec<String>,
    pub issuer: Option<String>,
    pub file: Option<PathBuf>,
}

/// The login state of one HTTP server, read from its token file.
pub fn status(
    server: &str,
    url: &str,
    oauth: &OAuthConfig,
    now_epoch_secs: u64,
) -> Result<AuthStatus, AuthFailure> {
    let credentials_dir = oauth.credentials_dir.as_deref();
    let mut status = AuthStatus {
        server: server.to_owned(),
        url: url.to_owned(),
        grant: oauth.grant.name(),
        logged_in: false,
        expires_at: None,
        expired: false,
        refreshable: false,
        scopes: Vec::new(),
        pending_scopes: Vec::new(),
        issuer: None,
        file: None,
    };
    let Some(dir) = credentials_dir else {
        return Ok(status);
    };
    let file = TokenFile::new(dir, url);
    let Some(contents) = file.read()? else {
        return Ok(status);
    };
    status.file = Some(file.path().to_owned());
    status.pending_scopes = contents.step_up_scopes;
    if let Some(credentials) = contents.credentials
        && let Some(token) = &credentials.token_response
    {
        use oauth2::TokenResponse as _;
        status.logged_in = true;
        status.scopes = credentials.granted_scopes.clone();
        status.issuer = credentials.issuer.clone();
        status.refreshable = token.refresh_token().is_some();
        if let (Some(expires_in), Some(received)) =
            (token.expires_in(), credentials.token_received_at)
        {
            let at = received.saturating_add(expires_in.as_secs());
            status.expires_at = Some(at);
            status.expired = at <= now_epoch_secs;
        }
    }
    Ok(status)
}

/// Forgets a server's tokens (its whole token file); `false` when there were none.
pub fn logout(url: &str, credentials_dir: Option<&Path>) -> Result<bool, AuthFailure> {
    let Some(dir) = credentials_dir else {
        return Ok(false);
    };
    TokenFile::new(dir, url).remove()
}
