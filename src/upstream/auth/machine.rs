//! Tokens without a person (`oauth.grant`): OAuth client credentials, with a client secret
//! (`client_secret_basic`, or `_post` when the server only takes that) or a `private_key_jwt`
//! assertion (RFC 7523), and enterprise-managed authorization (the IdP's ID token exchanged for
//! an ID-JAG, RFC 8693, redeemed with the JWT bearer grant at the MCP server's authorization
//! server, RFC 7523). Both run on rmcp; the token goes to the same token file as a person's.
//!
//! `run`, `gen` and `serve` need no login for these: [`MachineCredentialStore`] fetches a
//! token when there is none or the stored one is about to expire, each time rmcp asks for one.

use std::collections::BTreeMap;
use std::sync::Arc;

use rmcp::transport::auth::enterprise::{
    EmaAuthorizationServer, EmaClientAuthentication, EmaExchangeRequest,
};
use rmcp::transport::auth::{
    AuthError, AuthorizationMetadata, ClientCredentialsConfig, CredentialStore,
    JwtSigningAlgorithm, OAuthTokenResponse, StoredCredentials,
};

use super::login::{LoginReport, discover};
use super::{AuthFailure, FileCredentialStore, TokenFile};
use crate::config::{Grant, IdTokenSource, IdentityProvider, OAuthConfig, SigningAlg};

/// A token request for a machine grant.
pub(super) struct MachineRequest<'a> {
    pub(super) server: &'a str,
    pub(super) url: &'a str,
    pub(super) headers: &'a BTreeMap<String, String>,
    pub(super) oauth: &'a OAuthConfig,
    /// Scopes besides the configured (or challenged/advertised) ones.
    pub(super) scopes: &'a [String],
}

/// Seconds before its expiry when a stored token is replaced: rmcp itself refreshes at
/// `min(30, lifetime / 2)`, so a machine token is always replaced before rmcp would try a
/// refresh it has no refresh token for.
fn renew_margin(lifetime: u64) -> u64 {
    (lifetime / 2).min(60) + 1
}

/// Discovers the authorization server, runs the configured grant and stores the token.
pub(super) async fn fetch(req: MachineRequest<'_>) -> Result<LoginReport, AuthFailure> {
    let server = req.server;
    let config_err = |field: &str, message: String| AuthFailure::Config {
        server: server.to_owned(),
        field: field.to_owned(),
        message,
    };
    let dir = super::credentials_dir(req.oauth, server)?;
    let client_id = req
        .oauth
        .client_id
        .clone()
        .ok_or_else(|| config_err("oauth.clientId", "it is not set".into()))?;
    let file = TokenFile::new(dir, req.url);
    let previous = file.read()?.unwrap_or_default();
    let (manager, metadata) = discover(server, req.url, req.headers, &file).await?;

    let scopes = super::login::requested_scopes(
        &manager,
        &req.oauth.scopes,
        req.scopes,
        &previous.step_up_scopes,
    )
    .await;

    let (expires_in, granted) = match &req.oauth.grant {
        Grant::ClientCredentials { private_key } => {
            let config = match private_key {
                None => ClientCredentialsConfig::ClientSecret {
                    client_id,
                    client_secret: req.oauth.client_secret.clone().unwrap_or_default(),
                    scopes,
                    resource: Some(req.url.to_owned()),
                },
                Some(key) => {
                    let pem = fs_err::read(&key.file).map_err(|e| {
                        config_err(
                            "oauth.privateKeyFile",
                            format!("cannot read the private key: {e}"),
                        )
                    })?;
                    ClientCredentialsConfig::PrivateKeyJwt {
                        client_id,
                        signing_key: pem,
                        signing_algorithm: jwt_alg(key.alg),
                        token_endpoint_audience: None,
                        scopes,
                        resource: Some(req.url.to_owned()),
                    }
                }
            };
            client_credentials(server, manager, &config, private_key.as_ref()).await?
        }
        Grant::Enterprise(idp) => {
            let token = enterprise(
                server,
                req.url,
                &metadata,
                idp,
                &client_id,
                req.oauth.client_secret.as_deref(),
                scopes,
            )
            .await?;
            let granted = token.granted_scopes.clone();
            let expires_in = token.expires_in;
            FileCredentialStore {
                file: file.clone(),
                server_url: req.url.to_owned(),
            }
            .save(token.into_stored(client_id, metadata.issuer.clone())?)
            .await
            .map_err(|e| AuthFailure::from_rmcp(server, &e))?;
            (expires_in, granted)
        }
        Grant::AuthorizationCode => {
            return Err(AuthFailure::OAuth {
                server: server.to_owned(),
                message: "the authorization code grant needs a person: `skillet auth login`".into(),
            });
        }
    };
    file.update(req.url, |c| {
        c.server = server.to_owned();
        c.metadata = Some(metadata.clone());
        c.client_secret = None;
        c.registration = None;
    })?;
    Ok(LoginReport {
        server: server.to_owned(),
        url: req.url.to_owned(),
        issuer: metadata.issuer.clone(),
        grant: req.oauth.grant.name(),
        client: "configured",
        scopes: granted,
        expires_in_secs: expires_in,
        file: file.path().to_owned(),
    })
}

fn jwt_alg(alg: SigningAlg) -> JwtSigningAlgorithm {
    match alg {
        SigningAlg::Rs256 => JwtSigningAlgorithm::RS256,
        SigningAlg::Rs384 => JwtSigningAlgorithm::RS384,
        SigningAlg::Rs512 => JwtSigningAlgorithm::RS512,
        SigningAlg::Es256 => JwtSigningAlgorithm::ES256,
        SigningAlg::Es384 => JwtSigningAlgorithm::ES384,
    }
}

/// The client credentials grant on rmcp (which stores the token through the manager's store).
async fn client_credentials(
    server: &str,
    mut manager: rmcp::transport::auth::AuthorizationManager,
    config: &ClientCredentialsConfig,
    private_key: Option<&crate::config::PrivateKey>,
) -> Result<(Option<u64>, Vec<String>), AuthFailure> {
    let failed = |e: AuthError| match (&e, private_key) {
        (AuthError::JwtSigningError(message), Some(key)) => {
            let (field, message) = if message.contains("parse signing key") {
                (
                    "oauth.privateKeyFile",
                    format!(
                        "{} is not an RSA or EC private key in PEM",
                        key.file.display()
                    ),
                )
            } else {
                (
                    "oauth.signingAlg",
                    format!("the key cannot sign with {}", key.alg.name()),
                )
            };
            AuthFailure::Config {
                server: server.to_owned(),
                field: field.to_owned(),
                message,
            }
        }
        (AuthError::ClientCredentialsError(message), _) => AuthFailure::OAuth {
            server: server.to_owned(),
            message: format!("the client credentials grant failed: {message}"),
        },
        _ => AuthFailure::from_rmcp(server, &e),
    };
    manager
        .validate_client_credentials_metadata(config)
        .map_err(failed)?;
    manager
        .configure_client_credentials(config)
        .map_err(failed)?;
    let owned = config.clone();
    let (manager, token) = off_thread(move || async move {
        let token = manager.exchange_client_credentials(&owned).await;
        (manager, token)
    })
    .await
    .map_err(|message| AuthFailure::OAuth {
        server: server.to_owned(),
        message,
    })?;
    let token = token.map_err(failed)?;
    use oauth2::TokenResponse as _;
    Ok((
        token.expires_in().map(|d| d.as_secs()),
        manager.get_current_scopes().await,
    ))
}

/// Runs a future that is not `Send` (rmcp's token exchanges keep a form serializer across an
/// await) to completion on a blocking thread of this runtime, so that callers stay `Send`.
async fn off_thread<T, F>(make: impl FnOnce() -> F + Send + 'static) -> Result<T, String>
where
    T: Send + 'static,
    F: Future<Output = T>,
{
    let handle = tokio::runtime::Handle::current();
    tokio::task::spawn_blocking(move || handle.block_on(make()))
        .await
        .map_err(|e| format!("the token request did not finish: {e}"))
}

/// What the enterprise exchange got.
struct EnterpriseToken {
    access_token: String,
    expires_in: Option<u64>,
    granted_scopes: Vec<String>,
}

impl EnterpriseToken {
    fn into_stored(
        self,
        client_id: String,
        issuer: Option<String>,
    ) -> Result<StoredCredentials, AuthFailure> {
        let mut body = serde_json::json!({
            "access_token": self.access_token,
            "token_type": "bearer",
        });
        if let Some(secs) = self.expires_in {
            body["expires_in"] = secs.into();
        }
        if !self.granted_scopes.is_empty() {
            body["scope"] = self.granted_scopes.join(" ").into();
        }
        let response: OAuthTokenResponse =
            serde_json::from_value(body).map_err(|e| AuthFailure::OAuth {
                server: String::new(),
                message: format!("cannot store the token: {e}"),
            })?;
        Ok(StoredCredentials::new(
            client_id,
            Some(response),
            self.granted_scopes,
            Some(now_epoch_secs()),
        )
        .with_issuer(issuer))
    }
}

/// Enterprise-managed authorization: the ID token for an ID-JAG at the IdP (RFC 8693), the
/// ID-JAG for an access token at the MCP server's authorization server (RFC 7523).
async fn enterprise(
    server: &str,
    url: &str,
    metadata: &AuthorizationMetadata,
    idp: &IdentityProvider,
    client_id: &str,
    client_secret: Option<&str>,
    scopes: Vec<String>,
) -> Result<EnterpriseToken, AuthFailure> {
    let config_err = |field: &str, message: String| AuthFailure::Config {
        server: server.to_owned(),
        field: field.to_owned(),
        message,
    };
    let id_token = match &idp.id_token {
        IdTokenSource::Value(token) => token.trim().to_owned(),
        IdTokenSource::File(path) => fs_err::read_to_string(path)
            .map_err(|e| {
                config_err(
                    "oauth.idp.idTokenFile",
                    format!("cannot read the ID token: {e}"),
                )
            })?
            .trim()
            .to_owned(),
    };
    if id_token.is_empty() {
        let field = match idp.id_token {
            IdTokenSource::Value(_) => "oauth.idp.idToken",
            IdTokenSource::File(_) => "oauth.idp.idTokenFile",
        };
        return Err(config_err(field, "the ID token is empty".into()));
    }
    let Some(issuer) = metadata.issuer.clone() else {
        return Err(AuthFailure::Discovery {
            server: server.to_owned(),
            message: "the authorization server's metadata has no `issuer`, which the ID-JAG must be addressed to".into(),
        });
    };
    let secret = |s: &str| oauth2::ClientSecret::new(s.to_owned());
    let only_post = metadata
        .additional_fields
        .get("token_endpoint_auth_methods_supported")
        .and_then(serde_json::Value::as_array)
        .is_some_and(|methods| {
            methods.iter().any(|m| m == "client_secret_post")
                && !methods.iter().any(|m| m == "client_secret_basic")
        });
    let resource_auth = match client_secret {
        Some(s) if only_post => EmaClientAuthentication::ClientSecretPost(secret(s)),
        Some(s) => EmaClientAuthentication::ClientSecretBasic(secret(s)),
        None => EmaClientAuthentication::None,
    };
    let idp_auth = match &idp.client_secret {
        Some(s) => EmaClientAuthentication::ClientSecretBasic(secret(s)),
        None => EmaClientAuthentication::None,
    };
    let idp_server = EmaAuthorizationServer::new(
        idp.issuer.clone(),
        idp.token_endpoint.clone(),
        idp.client_id.clone(),
    )
    .with_client_authentication(idp_auth);
    let resource_as =
        EmaAuthorizationServer::new(issuer, metadata.token_endpoint.clone(), client_id)
            .with_client_authentication(resource_auth);
    let failed = |message: String| AuthFailure::OAuth {
        server: server.to_owned(),
        message: format!("the enterprise token exchange failed: {message}"),
    };
    let url = url.to_owned();
    let token = off_thread(move || async move {
        let http = rmcp::transport::auth::default_oauth_http_client().map_err(|e| e.to_string())?;
        EmaExchangeRequest::new_with_id_token(idp_server, resource_as, &url, &id_token)
            .with_scopes(scopes)
            .exchange(&http, &http)
            .await
            .map_err(|e| e.to_string())
    })
    .await
    .map_err(&failed)?
    .map_err(&failed)?;
    let mut granted: Vec<String> = token.scopes.iter().cloned().collect();
    granted.sort();
    Ok(EnterpriseToken {
        access_token: token.access_token.secret().clone(),
        expires_in: token.expires_in.map(|d| d.as_secs()),
        granted_scopes: granted,
    })
}

fn now_epoch_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// Whether the token file holds a token that is not about to expire.
fn fresh(file: &TokenFile) -> Result<bool, AuthFailure> {
    use oauth2::TokenResponse as _;
    let Some(credentials) = file.read()?.and_then(|c| c.credentials) else {
        return Ok(false);
    };
    let Some(token) = &credentials.token_response else {
        return Ok(false);
    };
    Ok(match (token.expires_in(), credentials.token_received_at) {
        (Some(lifetime), Some(at)) => {
            let lifetime = lifetime.as_secs();
            at.saturating_add(lifetime) > now_epoch_secs().saturating_add(renew_margin(lifetime))
        }
        _ => true,
    })
}

/// What a machine grant needs at run time.
pub(crate) struct MachineGrant {
    pub(crate) server: String,
    pub(crate) url: String,
    pub(crate) headers: BTreeMap<String, String>,
    pub(crate) oauth: OAuthConfig,
    pub(crate) file: TokenFile,
    /// One token request at a time in this process.
    lock: tokio::sync::Mutex<()>,
}

impl MachineGrant {
    pub(crate) fn new(
        server: &str,
        url: &str,
        headers: &BTreeMap<String, String>,
        oauth: &OAuthConfig,
        file: TokenFile,
    ) -> Self {
        Self {
            server: server.to_owned(),
            url: url.to_owned(),
            headers: headers.clone(),
            oauth: oauth.clone(),
            file,
            lock: tokio::sync::Mutex::new(()),
        }
    }

    /// Fetches a token unless the stored one is fresh.
    pub(crate) async fn ensure_token(&self) -> Result<(), AuthFailure> {
        let _one = self.lock.lock().await;
        if fresh(&self.file)? {
            return Ok(());
        }
        tracing::info!(server = %self.server, grant = self.oauth.grant.name(), "requesting an OAuth token");
        fetch(MachineRequest {
            server: &self.server,
            url: &self.url,
            headers: &self.headers,
            oauth: &self.oauth,
            scopes: &[],
        })
        .await
        .map(|_| ())
    }
}

/// rmcp's view of a machine grant's token file: loading gets a new token first when the stored
/// one is missing or about to expire.
#[derive(Clone)]
pub(crate) struct MachineCredentialStore {
    pub(crate) grant: Arc<MachineGrant>,
}

#[async_trait::async_trait]
impl CredentialStore for MachineCredentialStore {
    async fn load(&self) -> Result<Option<StoredCredentials>, AuthError> {
        self.grant
            .ensure_token()
            .await
            .map_err(|e| AuthError::CredentialStoreError(e.to_string()))?;
        self.inner().load().await
    }

    async fn save(&self, credentials: StoredCredentials) -> Result<(), AuthError> {
        self.inner().save(credentials).await
    }

    async fn clear(&self) -> Result<(), AuthError> {
        self.inner().clear().await
    }
}

impl MachineCredentialStore {
    fn inner(&self) -> FileCredentialStore {
        FileCredentialStore {
            file: self.grant.file.clone(),
            server_url: self.grant.url.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_renewed_before_rmcp_would_refresh_them() {
        for lifetime in [1, 2, 10, 60, 3600] {
            let rmcp_refreshes_at = 30u64.min(lifetime / 2).max(1);
            assert!(renew_margin(lifetime) >= rmcp_refreshes_at, "{lifetime}");
        }
    }

    #[test]
    fn an_enterprise_token_is_stored_as_a_bearer_token() {
        use oauth2::TokenResponse as _;
        let stored = EnterpriseToken {
            access_token: "at".into(),
            expires_in: Some(3600),
            granted_scopes: vec!["a".into(), "b".into()],
        }
        .into_stored("app".into(), Some("https://as.example".into()))
        .unwrap();
        let token = stored.token_response.unwrap();
        assert_eq!(token.access_token().secret(), "at");
        assert_eq!(token.expires_in().unwrap().as_secs(), 3600);
        assert_eq!(stored.issuer.as_deref(), Some("https://as.example"));
    }
}
