//! The `oauth` object of an HTTP server's `mcpServers` entry: how skillet gets a token for it.
//!
//! ```json
//! "oauth": {"clientId": "app", "clientSecret": "${SECRET}", "scopes": ["read"],
//!           "redirectUri": "http://127.0.0.1:33418/callback", "clientMetadataUrl": "https://..."}
//! "oauth": {"grant": "client_credentials", "clientId": "svc", "clientSecret": "${SVC_SECRET}"}
//! "oauth": {"grant": "client_credentials", "clientId": "svc",
//!           "privateKeyFile": "/keys/svc.pem", "signingAlg": "ES256"}
//! "oauth": {"grant": "enterprise", "clientId": "mcp-app", "clientSecret": "${APP_SECRET}",
//!           "idp": {"issuer": "https://idp.example", "tokenEndpoint": "https://idp.example/token",
//!                   "clientId": "idp-app", "idTokenFile": "/run/id_token"}}
//! ```
//!
//! The default grant is the authorization code with PKCE, a person logging in through a browser.
//! `client_credentials` (OAuth 2.1 client credentials, with `client_secret_basic`/`_post` or a
//! `private_key_jwt` assertion, RFC 7523) and `enterprise` (enterprise-managed authorization:
//! the IdP's ID token exchanged for an ID-JAG, RFC 8693, then redeemed at the server's
//! authorization server, RFC 7523) need no person. Their secrets (`clientSecret`,
//! `idp.clientSecret`, `idp.idToken`) must be `${VAR}` references, never literal, or come from
//! files (`privateKeyFile`, `idp.idTokenFile`); none is ever shown (`Debug` redacts them).

use std::path::PathBuf;

use serde::Deserialize;

use super::mcp::{Expander, McpConfigError};

/// OAuth 2.1 for an HTTP server. Without a client id the client registers itself (dynamic client
/// registration); without scopes they come from the server's challenge or its protected resource
/// metadata; without a redirect URI a random loopback port is used. A redirect URI must be `http`
/// on a loopback address (127.0.0.1, [::1], localhost).
#[derive(Clone, PartialEq, Eq, Default)]
pub struct OAuthConfig {
    pub client_id: Option<String>,
    pub client_secret: Option<String>,
    pub scopes: Vec<String>,
    pub redirect_uri: Option<String>,
    /// The https URL of a client ID metadata document (SEP-991) the client publishes: used as
    /// the client id when the authorization server supports it and no client id is configured.
    pub client_metadata_url: Option<String>,
    /// How a token is obtained.
    pub grant: Grant,
    /// This user's token folder (`$XDG_CONFIG_HOME/skillet/credentials`, else
    /// `$HOME/.config/skillet/credentials`), outside every registry; `None` (no home known):
    /// no stored tokens are used.
    pub credentials_dir: Option<PathBuf>,
}

impl std::fmt::Debug for OAuthConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OAuthConfig")
            .field("client_id", &self.client_id)
            .field(
                "client_secret",
                &self.client_secret.as_ref().map(|_| "[REDACTED]"),
            )
            .field("scopes", &self.scopes)
            .field("redirect_uri", &self.redirect_uri)
            .field("client_metadata_url", &self.client_metadata_url)
            .field("grant", &self.grant)
            .field("credentials_dir", &self.credentials_dir)
            .finish()
    }
}

impl OAuthConfig {
    /// Whether tokens come without a person (client credentials, enterprise-managed).
    pub fn is_machine_grant(&self) -> bool {
        !matches!(self.grant, Grant::AuthorizationCode)
    }
}

/// How skillet obtains a token for a server.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Grant {
    /// A person logs in through a browser (`skillet auth login`): authorization code + PKCE.
    #[default]
    AuthorizationCode,
    /// OAuth client credentials with `clientId` and either `clientSecret` (`private_key`
    /// `None`) or a signed JWT assertion (`private_key_jwt`, RFC 7523).
    ClientCredentials { private_key: Option<PrivateKey> },
    /// Enterprise-managed authorization (identity assertion grant): `clientId` (and
    /// `clientSecret`) is the client at the MCP server's authorization server.
    Enterprise(Box<IdentityProvider>),
}

impl Grant {
    /// The grant's name in the configuration (`auth status` shows it).
    pub fn name(&self) -> &'static str {
        match self {
            Self::AuthorizationCode => "authorization_code",
            Self::ClientCredentials { .. } => "client_credentials",
            Self::Enterprise(_) => "enterprise",
        }
    }
}

/// The key that signs `private_key_jwt` client assertions (read when a token is requested).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrivateKey {
    /// A PEM file: an RSA or EC private key (PKCS#8 or PKCS#1/SEC1).
    pub file: PathBuf,
    pub alg: SigningAlg,
}

/// The JWS algorithms a `private_key_jwt` assertion may be signed with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SigningAlg {
    Rs256,
    Rs384,
    Rs512,
    Es256,
    Es384,
}

impl SigningAlg {
    const ALL: [(&'static str, Self); 5] = [
        ("RS256", Self::Rs256),
        ("RS384", Self::Rs384),
        ("RS512", Self::Rs512),
        ("ES256", Self::Es256),
        ("ES384", Self::Es384),
    ];

    pub fn name(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(_, a)| *a == self)
            .map_or("RS256", |(n, _)| n)
    }
}

/// The enterprise identity provider whose ID token is exchanged for an ID-JAG.
#[derive(Clone, PartialEq, Eq)]
pub struct IdentityProvider {
    /// Its issuer identifier (the ID-JAG's `iss` must be it).
    pub issuer: String,
    pub token_endpoint: String,
    /// skillet's client at the IdP.
    pub client_id: String,
    pub client_secret: Option<String>,
    pub id_token: IdTokenSource,
}

impl std::fmt::Debug for IdentityProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IdentityProvider")
            .field("issuer", &self.issuer)
            .field("token_endpoint", &self.token_endpoint)
            .field("client_id", &self.client_id)
            .field(
                "client_secret",
                &self.client_secret.as_ref().map(|_| "[REDACTED]"),
            )
            .field("id_token", &self.id_token)
            .finish()
    }
}

/// Where the user's ID token comes from.
#[derive(Clone, PartialEq, Eq)]
pub enum IdTokenSource {
    /// `idToken`, from `${VAR}`.
    Value(String),
    /// `idTokenFile`: read each time a token is requested (another tool keeps it fresh).
    File(PathBuf),
}

impl std::fmt::Debug for IdTokenSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Value(_) => f.write_str("Value([REDACTED])"),
            Self::File(path) => f.debug_tuple("File").field(path).finish(),
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(super) struct RawOAuth {
    #[serde(default)]
    grant: Option<String>,
    #[serde(default)]
    client_id: Option<String>,
    #[serde(default)]
    client_secret: Option<String>,
    #[serde(default)]
    scopes: Vec<String>,
    #[serde(default)]
    redirect_uri: Option<String>,
    #[serde(default)]
    client_metadata_url: Option<String>,
    #[serde(default)]
    private_key_file: Option<String>,
    #[serde(default)]
    signing_alg: Option<String>,
    #[serde(default)]
    idp: Option<RawIdp>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RawIdp {
    #[serde(default)]
    issuer: Option<String>,
    #[serde(default)]
    token_endpoint: Option<String>,
    #[serde(default)]
    client_id: Option<String>,
    #[serde(default)]
    client_secret: Option<String>,
    #[serde(default)]
    id_token: Option<String>,
    #[serde(default)]
    id_token_file: Option<String>,
}

/// The grants `oauth.grant` accepts.
pub(super) const GRANTS: &str =
    "`authorization_code` (the default), `client_credentials` or `enterprise`";

pub(super) fn oauth_config(
    raw: Option<RawOAuth>,
    expander: &Expander<'_>,
    credentials_dir: Option<PathBuf>,
) -> Result<OAuthConfig, McpConfigError> {
    let Some(raw) = raw else {
        return Ok(OAuthConfig {
            credentials_dir,
            ..OAuthConfig::default()
        });
    };
    let refuse = |message: String| McpConfigError::OAuth {
        path: expander.path.to_owned(),
        server: expander.server.to_owned(),
        message,
    };
    let expand =
        |field: &str, value: Option<String>| value.map(|v| expander.expand(field, &v)).transpose();
    let redirect_uri = expand("oauth.redirectUri", raw.redirect_uri)?;
    if let Some(uri) = &redirect_uri
        && !super::mcp::is_loopback_redirect(uri)
    {
        return Err(refuse(format!(
            "`oauth.redirectUri` `{uri}` is not a loopback address: skillet receives the redirect itself, so it must be http://127.0.0.1:PORT/..., http://[::1]:PORT/... or http://localhost:PORT/..."
        )));
    }
    let client_id = expand("oauth.clientId", raw.client_id)?;
    let grant_is_machine = raw
        .grant
        .as_deref()
        .is_some_and(|g| g != "authorization_code");
    // A machine's secrets are never written into the file (which is shared, and often
    // committed): only `${VAR}` references to the environment.
    let literal = |field: &str, value: Option<&String>| match value {
        Some(v) if grant_is_machine && !v.contains("${") => Err(refuse(format!(
            "`oauth.{field}` is written literally; a machine's secret stays out of .mcp.json: write `${{VAR}}` and set VAR in the environment"
        ))),
        _ => Ok(()),
    };
    literal("clientSecret", raw.client_secret.as_ref())?;
    if let Some(idp) = &raw.idp {
        literal("idp.clientSecret", idp.client_secret.as_ref())?;
        literal("idp.idToken", idp.id_token.as_ref())?;
    }
    let client_secret = expand("oauth.clientSecret", raw.client_secret)?;
    let client_metadata_url = expand("oauth.clientMetadataUrl", raw.client_metadata_url)?;
    let private_key_file = expand("oauth.privateKeyFile", raw.private_key_file)?;
    let grant_name = expand("oauth.grant", raw.grant)?;
    let grant_name = grant_name.as_deref().unwrap_or("authorization_code");

    // Keys that belong to one grant only.
    let only_for = |field: &str, present: bool, grant: &str| {
        if present && grant_name != grant {
            Err(refuse(format!(
                "`oauth.{field}` is only for `\"grant\": \"{grant}\"` (this server's grant is `{grant_name}`)"
            )))
        } else {
            Ok(())
        }
    };
    only_for(
        "privateKeyFile",
        private_key_file.is_some(),
        "client_credentials",
    )?;
    only_for(
        "signingAlg",
        raw.signing_alg.is_some(),
        "client_credentials",
    )?;
    only_for("idp", raw.idp.is_some(), "enterprise")?;
    if grant_name != "authorization_code" {
        for (field, present) in [
            ("redirectUri", redirect_uri.is_some()),
            ("clientMetadataUrl", client_metadata_url.is_some()),
        ] {
            if present {
                return Err(refuse(format!(
                    "`oauth.{field}` is for a person's browser login; the `{grant_name}` grant has no redirect"
                )));
            }
        }
        if client_id.as_deref().is_none_or(|id| id.trim().is_empty()) {
            return Err(refuse(format!(
                "`oauth.clientId` is required for the `{grant_name}` grant (the client registered for skillet at the authorization server)"
            )));
        }
    }

    let grant = match grant_name {
        "authorization_code" => Grant::AuthorizationCode,
        "client_credentials" => {
            let private_key = match (private_key_file, &client_secret) {
                (Some(_), Some(_)) => {
                    return Err(refuse(
                        "`oauth.clientSecret` and `oauth.privateKeyFile` are both set; the client authenticates with one of them".into(),
                    ));
                }
                (None, None) => {
                    return Err(refuse(
                        "the `client_credentials` grant needs `oauth.clientSecret` (write it as ${VAR}) or `oauth.privateKeyFile` (private_key_jwt)".into(),
                    ));
                }
                (None, Some(_)) => None,
                (Some(file), None) => {
                    let alg = raw.signing_alg.as_deref().unwrap_or("RS256");
                    let alg = SigningAlg::ALL
                        .iter()
                        .find(|(n, _)| *n == alg)
                        .map(|(_, a)| *a)
                        .ok_or_else(|| {
                            refuse(format!(
                                "`oauth.signingAlg` `{alg}` is not supported: use RS256, RS384, RS512, ES256 or ES384 (the key's algorithm)"
                            ))
                        })?;
                    Some(PrivateKey {
                        file: PathBuf::from(file),
                        alg,
                    })
                }
            };
            Grant::ClientCredentials { private_key }
        }
        "enterprise" => {
            let Some(idp) = raw.idp else {
                return Err(refuse(
                    "the `enterprise` grant needs `oauth.idp`: {\"issuer\", \"tokenEndpoint\", \"clientId\", and \"idToken\" or \"idTokenFile\"}".into(),
                ));
            };
            let required = |field: &str, value: Option<String>| {
                let value = expand(&format!("oauth.idp.{field}"), value)?;
                value.filter(|v| !v.trim().is_empty()).ok_or_else(|| {
                    refuse(format!(
                        "`oauth.idp.{field}` is required for the `enterprise` grant"
                    ))
                })
            };
            let issuer = required("issuer", idp.issuer)?;
            let token_endpoint = required("tokenEndpoint", idp.token_endpoint)?;
            let idp_client_id = required("clientId", idp.client_id)?;
            let idp_client_secret = expand("oauth.idp.clientSecret", idp.client_secret)?;
            let id_token = match (
                expand("oauth.idp.idToken", idp.id_token)?,
                expand("oauth.idp.idTokenFile", idp.id_token_file)?,
            ) {
                (Some(token), None) => IdTokenSource::Value(token),
                (None, Some(file)) => IdTokenSource::File(PathBuf::from(file)),
                (Some(_), Some(_)) => {
                    return Err(refuse(
                        "`oauth.idp.idToken` and `oauth.idp.idTokenFile` are both set; keep one"
                            .into(),
                    ));
                }
                (None, None) => {
                    return Err(refuse(
                        "the `enterprise` grant needs the user's ID token: `oauth.idp.idToken` (as ${VAR}) or `oauth.idp.idTokenFile`".into(),
                    ));
                }
            };
            Grant::Enterprise(Box::new(IdentityProvider {
                issuer,
                token_endpoint,
                client_id: idp_client_id,
                client_secret: idp_client_secret,
                id_token,
            }))
        }
        other => {
            return Err(refuse(format!(
                "`oauth.grant` `{other}` is not a grant skillet knows: {GRANTS}"
            )));
        }
    };
    Ok(OAuthConfig {
        client_id,
        client_secret,
        scopes: raw.scopes,
        redirect_uri,
        client_metadata_url,
        grant,
        credentials_dir,
    })
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::path::Path;

    use super::*;
    use crate::config::Transport;

    fn oauth(
        json: &str,
        vars: &[(&str, &str)],
    ) -> Result<OAuthConfig, crate::config::McpConfigError> {
        let vars: BTreeMap<String, String> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        let text = format!(
            r#"{{"mcpServers": {{"svc": {{"url": "https://x.example/mcp", "oauth": {json}}}}}}}"#
        );
        let servers =
            crate::config::mcp::parse(&text, Path::new(".mcp.json"), &|k| vars.get(k).cloned())?;
        match &servers[0].transport {
            Transport::Http { oauth, .. } => Ok(oauth.clone()),
            Transport::Stdio { .. } => panic!("http"),
        }
    }

    #[test]
    fn client_credentials_with_a_secret_or_a_key() {
        let o = oauth(
            r#"{"grant": "client_credentials", "clientId": "svc", "clientSecret": "${S}", "scopes": ["r"]}"#,
            &[("S", "sekrit")],
        )
        .unwrap();
        assert_eq!(o.grant, Grant::ClientCredentials { private_key: None });
        assert!(o.is_machine_grant());
        assert_eq!(o.client_secret.as_deref(), Some("sekrit"));
        assert!(!format!("{o:?}").contains("sekrit"));

        let o = oauth(
            r#"{"grant": "client_credentials", "clientId": "svc", "privateKeyFile": "${K}/svc.pem", "signingAlg": "ES256"}"#,
            &[("K", "/keys")],
        )
        .unwrap();
        assert_eq!(
            o.grant,
            Grant::ClientCredentials {
                private_key: Some(PrivateKey {
                    file: "/keys/svc.pem".into(),
                    alg: SigningAlg::Es256
                })
            }
        );
        assert_eq!(o.grant.name(), "client_credentials");
        let default_alg = oauth(
            r#"{"grant": "client_credentials", "clientId": "svc", "privateKeyFile": "k.pem"}"#,
            &[],
        )
        .unwrap();
        let Grant::ClientCredentials {
            private_key: Some(key),
        } = default_alg.grant
        else {
            panic!("key")
        };
        assert_eq!(key.alg.name(), "RS256");
    }

    #[test]
    fn enterprise_grant() {
        let o = oauth(
            r#"{"grant": "enterprise", "clientId": "app", "clientSecret": "${S}", "idp": {"issuer": "https://idp.example", "tokenEndpoint": "https://idp.example/token", "clientId": "idp-app", "idToken": "${ID}"}}"#,
            &[("S", "s3"), ("ID", "eyJidtoken")],
        )
        .unwrap();
        let Grant::Enterprise(idp) = &o.grant else {
            panic!("enterprise")
        };
        assert_eq!(idp.client_id, "idp-app");
        assert_eq!(idp.id_token, IdTokenSource::Value("eyJidtoken".into()));
        let shown = format!("{o:?}");
        assert!(
            !shown.contains("eyJidtoken") && !shown.contains("s3"),
            "{shown}"
        );
        let o = oauth(
            r#"{"grant": "enterprise", "clientId": "app", "idp": {"issuer": "https://idp.example", "tokenEndpoint": "https://idp.example/token", "clientId": "idp-app", "idTokenFile": "/run/idt"}}"#,
            &[],
        )
        .unwrap();
        assert!(
            matches!(&o.grant, Grant::Enterprise(idp) if idp.id_token == IdTokenSource::File("/run/idt".into()))
        );
    }

    #[test]
    fn bad_grant_configurations_name_the_server_and_the_field() {
        let cases = [
            (
                r#"{"grant": "password", "clientId": "a"}"#,
                "`oauth.grant` `password`",
            ),
            (
                r#"{"grant": "client_credentials", "clientSecret": "${X:-x}"}"#,
                "`oauth.clientId` is required",
            ),
            (
                r#"{"grant": "client_credentials", "clientId": "a"}"#,
                "needs `oauth.clientSecret`",
            ),
            (
                r#"{"grant": "client_credentials", "clientId": "a", "clientSecret": "hunter2"}"#,
                "`oauth.clientSecret` is written literally",
            ),
            (
                r#"{"grant": "enterprise", "clientId": "a", "idp": {"issuer": "https://i", "tokenEndpoint": "https://i/t", "clientId": "c", "idToken": "eyJ"}}"#,
                "`oauth.idp.idToken` is written literally",
            ),
            (
                r#"{"grant": "client_credentials", "clientId": "a", "clientSecret": "${X:-x}", "privateKeyFile": "k"}"#,
                "both set",
            ),
            (
                r#"{"grant": "client_credentials", "clientId": "a", "privateKeyFile": "k", "signingAlg": "HS256"}"#,
                "`oauth.signingAlg` `HS256` is not supported",
            ),
            (
                r#"{"clientId": "a", "privateKeyFile": "k"}"#,
                "`oauth.privateKeyFile` is only for",
            ),
            (
                r#"{"grant": "client_credentials", "clientId": "a", "clientSecret": "${X:-x}", "redirectUri": "http://127.0.0.1:1/cb"}"#,
                "`oauth.redirectUri` is for a person's browser login",
            ),
            (
                r#"{"grant": "enterprise", "clientId": "a"}"#,
                "needs `oauth.idp`",
            ),
            (
                r#"{"grant": "enterprise", "clientId": "a", "idp": {"issuer": "https://i", "clientId": "c", "idToken": "${T:-t}"}}"#,
                "`oauth.idp.tokenEndpoint` is required",
            ),
            (
                r#"{"grant": "enterprise", "clientId": "a", "idp": {"issuer": "https://i", "tokenEndpoint": "https://i/t", "clientId": "c"}}"#,
                "`oauth.idp.idToken`",
            ),
        ];
        for (json, want) in cases {
            let err = oauth(json, &[]).unwrap_err();
            let text = err.to_string();
            assert!(text.contains("server `svc`"), "{text}");
            assert!(text.contains(want), "{json}: {text}");
        }
        // A secret from a variable that is not set names the field and the variable.
        let err = oauth(
            r#"{"grant": "client_credentials", "clientId": "a", "clientSecret": "${SVC_SECRET}"}"#,
            &[],
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("oauth.clientSecret") && err.contains("SVC_SECRET is not set"),
            "{err}"
        );
    }
}
