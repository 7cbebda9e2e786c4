//! `skillet auth`: OAuth login, status and logout for the configured HTTP servers. Tokens live
//! in the user's credentials folder (see `upstream::auth`), never in the registry.

use std::time::Duration;

use serde::Serialize;

use crate::config::{ServerConfig, Transport};
use crate::upstream::UpstreamError;
use crate::upstream::auth::{self, AuthFailure, AuthStatus, LoginReport, LoginRequest};

/// What `auth login` needs besides the server list.
pub struct LoginOptions<'a> {
    pub server: &'a str,
    /// Scopes to request on top of the configured, challenged or advertised ones.
    pub scopes: Vec<String>,
    /// How long to wait for the browser's redirect.
    pub timeout: Duration,
    /// The command that opens the authorization URL (appended as its last argument); `None`:
    /// the caller only shows the URL.
    pub browser: Option<String>,
    /// Called with the authorization URL (the CLI prints it on stderr).
    pub on_url: &'a (dyn Fn(&str) + Sync),
}

fn http_server<'a>(
    servers: &'a [ServerConfig],
    name: &str,
) -> Result<&'a ServerConfig, UpstreamError> {
    let config =
        servers
            .iter()
            .find(|s| s.name == name)
            .ok_or_else(|| UpstreamError::NotConfigured {
                server: name.to_owned(),
                configured: servers.iter().map(|s| s.name.clone()).collect(),
            })?;
    match config.transport {
        Transport::Http { .. } => Ok(config),
        Transport::Stdio { .. } => Err(AuthFailure::NotHttp {
            server: name.to_owned(),
        }
        .into()),
    }
}

/// Logs in to one HTTP server (discovery, registration, the browser's round trip, the token
/// exchange) and stores its tokens.
pub async fn login(
    servers: &[ServerConfig],
    options: LoginOptions<'_>,
) -> Result<LoginReport, UpstreamError> {
    let config = http_server(servers, options.server)?;
    let Transport::Http {
        url,
        headers,
        oauth,
    } = &config.transport
    else {
        unreachable!("http_server returns HTTP servers only")
    };
    Ok(auth::login(LoginRequest {
        server: &config.name,
        url,
        headers,
        oauth,
        scopes: options.scopes,
        timeout: options.timeout,
        browser: options.browser,
        on_url: options.on_url,
    })
    .await?)
}

/// The login state of every HTTP server (stdio servers have none), judged at `now_epoch_secs`.
pub fn status(
    servers: &[ServerConfig],
    now_epoch_secs: u64,
) -> Result<Vec<AuthStatus>, UpstreamError> {
    let mut out = Vec::new();
    for config in servers {
        if let Transport::Http { url, oauth, .. } = &config.transport {
            out.push(auth::status(&config.name, url, oauth, now_epoch_secs)?);
        }
    }
    Ok(out)
}

/// What `auth logout` did.
#[derive(Debug, Clone, Serialize)]
pub struct LogoutReport {
    pub server: String,
    /// Whether there were tokens to forget.
    pub removed: bool,
}

/// Forgets one HTTP server's tokens.
pub fn logout(servers: &[ServerConfig], server: &str) -> Result<LogoutReport, UpstreamError> {
    let config = http_server(servers, server)?;
    let Transport::Http { url, oauth, .. } = &config.transport else {
        unreachable!("http_server returns HTTP servers only")
    };
    Ok(LogoutReport {
        server: server.to_owned(),
        removed: auth::logout(url, oauth.credentials_dir.as_deref())?,
    })
}
