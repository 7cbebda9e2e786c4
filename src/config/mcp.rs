//! The standard `mcpServers` JSON configuration, as Claude Desktop, Claude Code and Cursor write it.
//!
//! ```json
//! { "mcpServers": {
//!     "docs":   { "command": "npx", "args": ["-y", "some-server"], "env": { "TOKEN": "${TOKEN}" } },
//!     "remote": { "type": "http", "url": "https://example.com/mcp", "headers": { "Authorization": "Bearer ${API_KEY}" } }
//! } }
//! ```
//!
//! Other clients add keys of their own (`disabled`, `autoApprove`, `timeout`, ...); unknown keys are
//! kept out of the way rather than refused, because the same file is shared with those clients.
//! `${VAR}` and `${VAR:-default}` are expanded from the environment in every string value.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

pub use super::oauth::OAuthConfig;
use super::oauth::{RawOAuth, oauth_config};

/// Where a server is reached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Transport {
    /// A child process speaking MCP over stdin/stdout.
    Stdio {
        command: String,
        args: Vec<String>,
        env: BTreeMap<String, String>,
        cwd: Option<PathBuf>,
    },
    /// A streamable HTTP endpoint.
    Http {
        url: String,
        headers: BTreeMap<String, String>,
        oauth: OAuthConfig,
    },
}

/// The folder of a user's OAuth tokens, from `XDG_CONFIG_HOME` (when absolute) or `HOME`.
pub fn credentials_dir(lookup: &dyn Fn(&str) -> Option<String>) -> Option<PathBuf> {
    let config = lookup("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| {
            lookup("HOME")
                .filter(|h| !h.is_empty())
                .map(|h| PathBuf::from(h).join(".config"))
        })?;
    Some(config.join("skillet").join("credentials"))
}

/// Whether `uri` is an `http` URL on a loopback address, the only redirect URI skillet accepts.
pub fn is_loopback_redirect(uri: &str) -> bool {
    let Some(rest) = uri.strip_prefix("http://") else {
        return false;
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    if authority.contains('@') {
        return false;
    }
    let host = if let Some(v6) = authority.strip_prefix('[') {
        v6.split(']').next().unwrap_or("")
    } else {
        authority.split(':').next().unwrap_or("")
    };
    host == "localhost"
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// One configured upstream server, with every `${VAR}` already expanded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerConfig {
    pub name: String,
    pub transport: Transport,
}

impl ServerConfig {
    /// A stdio server run as `command args...`, with no extra environment.
    pub fn stdio(name: &str, command: &str, args: &[&str]) -> Self {
        Self {
            name: name.to_owned(),
            transport: Transport::Stdio {
                command: command.to_owned(),
                args: args.iter().map(|a| (*a).to_owned()).collect(),
                env: BTreeMap::new(),
                cwd: None,
            },
        }
    }
}

/// Errors reading an `mcpServers` file. Each names the file and, where it can, the server.
#[derive(Debug, thiserror::Error)]
pub enum McpConfigError {
    #[error("cannot read MCP configuration {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}:{line}:{column}: invalid MCP configuration: {message}")]
    Syntax {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("{path}: {message}")]
    Shape {
        path: PathBuf,
        message: String,
        hint: String,
    },
    #[error("{path}: server `{server}`: {message}")]
    Server {
        path: PathBuf,
        server: String,
        message: String,
    },
    #[error("{path}: server `{server}`: {message}")]
    OAuth {
        path: PathBuf,
        server: String,
        message: String,
    },
    #[error(
        "{path}: server `{server}`: `{field}` uses ${{{var}}}, but the environment variable {var} is not set"
    )]
    MissingVariable {
        path: PathBuf,
        server: String,
        field: String,
        var: String,
    },
}

impl crate::error::Diagnose for McpConfigError {
    fn hints(&self) -> Vec<String> {
        match self {
            Self::Shape { hint, .. } => vec![hint.clone()],
            Self::Server { .. } => vec![
                "a stdio server needs `command` (and optional `args`, `env`, `cwd`); an HTTP server needs `url` (with optional `\"type\": \"http\"` and `headers`)".into(),
            ],
            Self::OAuth { .. } => vec![
                format!("`oauth` takes `grant` ({}), `clientId`, `clientSecret`, `scopes`, `redirectUri` and `clientMetadataUrl`; `client_credentials` adds `privateKeyFile` and `signingAlg`, `enterprise` adds `idp`; a redirect URI is http on 127.0.0.1, [::1] or localhost", super::oauth::GRANTS),
            ],
            Self::MissingVariable { var, .. } => vec![format!(
                "export {var}=..., or write ${{{var}:-default}} to give a default"
            )],
            Self::Read { .. } | Self::Syntax { .. } => Vec::new(),
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawServer {
    #[serde(rename = "type", default)]
    kind: Option<String>,
    #[serde(default)]
    command: Option<String>,
    #[serde(default)]
    args: Vec<String>,
    #[serde(default)]
    env: BTreeMap<String, String>,
    #[serde(default)]
    cwd: Option<String>,
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    headers: BTreeMap<String, String>,
    #[serde(default)]
    disabled: bool,
    #[serde(default)]
    oauth: Option<RawOAuth>,
}

/// Reads and expands an `mcpServers` file. A missing file is an error; use [`load_optional`] for
/// the registry's own `.mcp.json`, which may be absent.
pub fn load(path: &Path) -> Result<Vec<ServerConfig>, McpConfigError> {
    let text = fs_err::read_to_string(path).map_err(|source| McpConfigError::Read {
        path: path.to_owned(),
        source,
    })?;
    parse(&text, path, &super::env::var)
}

/// Like [`load`], but a file that does not exist holds no servers.
pub fn load_optional(path: &Path) -> Result<Vec<ServerConfig>, McpConfigError> {
    if path.exists() {
        load(path)
    } else {
        Ok(Vec::new())
    }
}

/// The file's server entries as written, `${VAR}` not expanded and unknown keys kept: what a
/// skill's SKILL.md shows of the servers it calls (secrets stay references).
pub fn load_raw(path: &Path) -> Result<serde_json::Map<String, serde_json::Value>, McpConfigError> {
    let text = fs_err::read_to_string(path).map_err(|source| McpConfigError::Read {
        path: path.to_owned(),
        source,
    })?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let raw: serde_json::Value =
        serde_json::from_str(text).map_err(|e| McpConfigError::Syntax {
            path: path.to_owned(),
            line: e.line(),
            column: e.column(),
            message: e.to_string(),
        })?;
    servers_object(raw, path)
}

/// Parses configuration text. `lookup` resolves environment variables (tests pass a fixed map).
pub fn parse(
    text: &str,
    path: &Path,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<Vec<ServerConfig>, McpConfigError> {
    let syntax = |e: serde_json::Error| McpConfigError::Syntax {
        path: path.to_owned(),
        line: e.line(),
        column: e.column(),
        message: e.to_string(),
    };
    // Editors on Windows save JSON with a byte order mark; JSON itself has none.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let raw: serde_json::Value = serde_json::from_str(text).map_err(syntax)?;
    let servers = servers_object(raw, path)?;
    let mut out = Vec::with_capacity(servers.len());
    for (name, value) in servers {
        let server_err = |message: String| McpConfigError::Server {
            path: path.to_owned(),
            server: name.clone(),
            message,
        };
        if name.trim().is_empty() {
            return Err(server_err("the server name is empty".into()));
        }
        let raw: RawServer =
            serde_json::from_value(value).map_err(|e| server_err(e.to_string()))?;
        if raw.disabled {
            tracing::info!(server = %name, "skipping disabled server");
            continue;
        }
        let expander = Expander {
            path,
            server: &name,
            lookup,
        };
        let transport = match (raw.kind.as_deref(), raw.command, raw.url) {
            (Some("sse"), _, _) => {
                return Err(server_err(
                    "the legacy SSE transport is not supported; use a streamable HTTP endpoint (`\"type\": \"http\"`)"
                        .into(),
                ));
            }
            (Some(kind), _, _) if !matches!(kind, "stdio" | "http" | "streamable-http") => {
                return Err(server_err(format!(
                    "unknown `type` `{kind}` (expected `stdio` or `http`)"
                )));
            }
            (Some("http" | "streamable-http") | None, None, Some(url)) => Transport::Http {
                url: expander.expand("url", &url)?,
                headers: expander.expand_map("headers", &raw.headers)?,
                oauth: oauth_config(raw.oauth, &expander, credentials_dir(lookup))?,
            },
            (Some("http" | "streamable-http"), _, None) => {
                return Err(server_err("`type` is `http` but `url` is missing".into()));
            }
            (Some("stdio") | None, Some(command), _) => {
                if command.trim().is_empty() {
                    return Err(server_err("`command` is empty".into()));
                }
                Transport::Stdio {
                    command: expander.expand("command", &command)?,
                    args: raw
                        .args
                        .iter()
                        .map(|a| expander.expand("args", a))
                        .collect::<Result<_, _>>()?,
                    env: expander.expand_map("env", &raw.env)?,
                    cwd: raw
                        .cwd
                        .map(|c| expander.expand("cwd", &c).map(PathBuf::from))
                        .transpose()?,
                }
            }
            (_, Some(_), Some(_)) => {
                return Err(server_err(
                    "both `command` and `url` are set; keep one (or set `type`)".into(),
                ));
            }
            _ => return Err(server_err("neither `command` nor `url` is set".into())),
        };
        out.push(ServerConfig { name, transport });
    }
    Ok(out)
}

/// The file's map of servers: `mcpServers` (or VS Code's `servers`), which must be an object. A
/// file without one is refused, with the key the user probably meant: an empty or misspelled
/// map must never read as "no servers" (`gen` would then drop every server). Other top-level
/// keys (Claude Desktop keeps its settings there) are left alone.
fn servers_object(
    raw: serde_json::Value,
    path: &Path,
) -> Result<serde_json::Map<String, serde_json::Value>, McpConfigError> {
    let shape = |message: String, hint: &str| McpConfigError::Shape {
        path: path.to_owned(),
        message,
        hint: hint.to_owned(),
    };
    const EXAMPLE: &str = r#"the file is an object with an `mcpServers` object mapping names to servers: {"mcpServers": {"docs": {"command": "docs-server"}}}"#;
    let serde_json::Value::Object(mut top) = raw else {
        return Err(shape(
            format!("the top level is {}, not an object", json_kind(&raw)),
            EXAMPLE,
        ));
    };
    let key = ["mcpServers", "servers"]
        .into_iter()
        .find(|k| top.contains_key(*k));
    let Some(key) = key else {
        if top.is_empty() {
            return Ok(serde_json::Map::new());
        }
        let guess = top.keys().find(|k| looks_like_servers_key(k));
        return Err(match guess {
            Some(guess) => shape(
                format!("there is no `mcpServers` object, but there is `{guess}`"),
                &format!("did you mean `mcpServers`? Rename `{guess}` to `mcpServers`"),
            ),
            None => shape(
                format!(
                    "there is no `mcpServers` object (top-level keys: {})",
                    top.keys()
                        .take(8)
                        .map(|k| format!("`{k}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                &format!(
                    "{EXAMPLE}; a registry without servers yet writes {{\"mcpServers\": {{}}}}"
                ),
            ),
        });
    };
    match top.remove(key) {
        Some(serde_json::Value::Object(map)) => Ok(map),
        Some(other) => Err(shape(
            format!("`{key}` is {}, not an object", json_kind(&other)),
            EXAMPLE,
        )),
        None => Ok(serde_json::Map::new()),
    }
}

/// A top-level key that is probably `mcpServers` misspelled (`mcpServrs`, `mcp_servers`,
/// `MCPServers`, `mcp-servers`, `mcpServer`).
fn looks_like_servers_key(key: &str) -> bool {
    let folded: String = key
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect();
    folded.len() <= 20
        && ["mcpservers", "servers"]
            .iter()
            .any(|want| strsim::levenshtein(&folded, want) <= 2)
}

fn json_kind(value: &serde_json::Value) -> &'static str {
    match value {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}

pub(super) struct Expander<'a> {
    pub(super) path: &'a Path,
    pub(super) server: &'a str,
    lookup: &'a dyn Fn(&str) -> Option<String>,
}

impl Expander<'_> {
    fn expand_map(
        &self,
        field: &str,
        map: &BTreeMap<String, String>,
    ) -> Result<BTreeMap<String, String>, McpConfigError> {
        map.iter()
            .map(|(k, v)| Ok((k.clone(), self.expand(&format!("{field}.{k}"), v)?)))
            .collect()
    }

    /// Expands `${VAR}` and `${VAR:-default}`. `$$` is not special; text without `${` is unchanged.
    pub(super) fn expand(&self, field: &str, value: &str) -> Result<String, McpConfigError> {
        let mut out = String::with_capacity(value.len());
        let mut rest = value;
        while let Some(start) = rest.find("${") {
            out.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            let Some(end) = after.find('}') else {
                // An unterminated `${` is kept literally.
                out.push_str(&rest[start..]);
                return Ok(out);
            };
            let inner = &after[..end];
            let (var, default) = match inner.split_once(":-") {
                Some((var, default)) => (var, Some(default)),
                None => (inner, None),
            };
            match ((self.lookup)(var), default) {
                (Some(v), _) => out.push_str(&v),
                (None, Some(d)) => out.push_str(d),
                (None, None) => {
                    return Err(McpConfigError::MissingVariable {
                        path: self.path.to_owned(),
                        server: self.server.to_owned(),
                        field: field.to_owned(),
                        var: var.to_owned(),
                    });
                }
            }
            rest = &after[end + 1..];
        }
        out.push_str(rest);
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_with(text: &str, vars: &[(&str, &str)]) -> Result<Vec<ServerConfig>, McpConfigError> {
        let vars: BTreeMap<String, String> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        parse(text, Path::new(".mcp.json"), &|k| vars.get(k).cloned())
    }

    #[test]
    fn stdio_and_http_servers() {
        let servers = parse_with(
            r#"{"mcpServers": {
                "fs": {"command": "npx", "args": ["-y", "server", "${HOME}/x"], "env": {"A": "${A:-dflt}"}, "cwd": "/tmp"},
                "remote": {"type": "http", "url": "http://127.0.0.1:1/mcp", "headers": {"Authorization": "Bearer ${TOKEN}"}},
                "plain-url": {"url": "http://127.0.0.1:2/mcp", "autoApprove": []},
                "off": {"command": "x", "disabled": true}
            }}"#,
            &[("HOME", "/home/me"), ("TOKEN", "s3cret")],
        )
        .unwrap();
        assert_eq!(servers.len(), 3);
        assert_eq!(
            servers[0].transport,
            Transport::Stdio {
                command: "npx".into(),
                args: vec!["-y".into(), "server".into(), "/home/me/x".into()],
                env: [("A".to_owned(), "dflt".to_owned())].into(),
                cwd: Some("/tmp".into()),
            }
        );
        assert_eq!(
            servers[1].transport,
            Transport::Http {
                url: "http://127.0.0.1:1/mcp".into(),
                headers: [("Authorization".to_owned(), "Bearer s3cret".to_owned())].into(),
                oauth: OAuthConfig {
                    credentials_dir: Some("/home/me/.config/skillet/credentials".into()),
                    ..OAuthConfig::default()
                },
            }
        );
        assert!(matches!(servers[2].transport, Transport::Http { .. }));
    }

    #[test]
    fn oauth_settings_and_the_credentials_folder() {
        let servers = parse_with(
            r#"{"mcpServers": {"r": {"url": "https://x.example/mcp", "oauth": {"clientId": "app", "clientSecret": "${S}", "scopes": ["a", "b"], "redirectUri": "http://127.0.0.1:33418/cb"}}}}"#,
            &[("S", "s3"), ("XDG_CONFIG_HOME", "/xdg"), ("HOME", "/home/me")],
        )
        .unwrap();
        let Transport::Http { oauth, .. } = &servers[0].transport else {
            panic!("http")
        };
        assert_eq!(oauth.client_id.as_deref(), Some("app"));
        assert_eq!(oauth.client_secret.as_deref(), Some("s3"));
        assert_eq!(oauth.scopes, ["a", "b"]);
        assert_eq!(
            oauth.credentials_dir,
            Some("/xdg/skillet/credentials".into())
        );
        assert!(!format!("{oauth:?}").contains("s3"));

        let err = parse_with(
            r#"{"mcpServers": {"r": {"url": "https://x.example/mcp", "oauth": {"redirectUri": "https://example.com/cb"}}}}"#,
            &[],
        )
        .unwrap_err();
        assert!(
            err.to_string().contains("is not a loopback address"),
            "{err}"
        );
        let err = parse_with(
            r#"{"mcpServers": {"r": {"url": "https://x.example/mcp", "oauth": {"clientID": "typo"}}}}"#,
            &[],
        )
        .unwrap_err();
        assert!(err.to_string().contains("clientID"), "{err}");
        for (uri, ok) in [
            ("http://127.0.0.1:8/cb", true),
            ("http://[::1]:8/cb", true),
            ("http://localhost/cb", true),
            ("http://127.0.0.1.example.com/cb", false),
            ("http://user@127.0.0.1/cb", false),
            ("https://127.0.0.1/cb", false),
        ] {
            assert_eq!(is_loopback_redirect(uri), ok, "{uri}");
        }
    }

    #[test]
    fn missing_variable_names_it() {
        let err = parse_with(
            r#"{"mcpServers": {"gh": {"command": "gh-mcp", "env": {"GITHUB_TOKEN": "${GITHUB_TOKEN}"}}}}"#,
            &[],
        )
        .unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("server `gh`"), "{msg}");
        assert!(msg.contains("env.GITHUB_TOKEN"), "{msg}");
        assert!(msg.contains("GITHUB_TOKEN is not set"), "{msg}");
    }

    #[test]
    fn syntax_error_has_line_and_column() {
        let err = parse_with("{\n  \"mcpServers\": {,}\n}", &[]).unwrap_err();
        assert!(
            matches!(err, McpConfigError::Syntax { line: 2, .. }),
            "{err}"
        );
    }

    #[test]
    fn bad_servers_are_refused_with_reasons() {
        for (text, needle) in [
            (
                r#"{"mcpServers": {"a": {}}}"#,
                "neither `command` nor `url`",
            ),
            (
                r#"{"mcpServers": {"a": {"type": "sse", "url": "http://x"}}}"#,
                "SSE",
            ),
            (
                r#"{"mcpServers": {"a": {"type": "http"}}}"#,
                "`url` is missing",
            ),
            (
                r#"{"mcpServers": {"a": {"command": "x", "args": "y"}}}"#,
                "invalid type",
            ),
            (
                r#"{"mcpServers": {"a": {"type": "grpc", "url": "x"}}}"#,
                "unknown `type`",
            ),
        ] {
            let msg = parse_with(text, &[]).unwrap_err().to_string();
            assert!(msg.contains(needle), "{text}: {msg}");
        }
    }

    #[test]
    fn expansion_edge_cases() {
        let servers = parse_with(
            r#"{"mcpServers": {"a": {"command": "x", "args": ["${A}${B}", "pre-${A}-post", "${unterminated", "$A"]}}}"#,
            &[("A", "1"), ("B", "2")],
        )
        .unwrap();
        let Transport::Stdio { args, .. } = &servers[0].transport else {
            panic!("expected stdio")
        };
        assert_eq!(args, &["12", "pre-1-post", "${unterminated", "$A"]);
    }

    #[test]
    fn empty_file_shapes() {
        assert!(parse_with(r#"{"mcpServers": {}}"#, &[]).unwrap().is_empty());
        assert!(parse_with(r#"{}"#, &[]).unwrap().is_empty());
    }

    #[test]
    fn a_file_without_mcp_servers_is_refused_with_a_guess() {
        for (text, needles) in [
            (
                r#"{"mcpServrs": {}}"#,
                &[
                    "no `mcpServers` object",
                    "did you mean `mcpServers`",
                    "`mcpServrs`",
                ][..],
            ),
            (
                r#"{"mcp_servers": {"a": {"command": "x"}}}"#,
                &["did you mean", "`mcp_servers`"],
            ),
            (r#"{"MCPServers": {}}"#, &["did you mean"]),
            (
                r#"{"tools": {}}"#,
                &["no `mcpServers` object (top-level keys: `tools`)"],
            ),
            (r#"[]"#, &["the top level is an array, not an object"]),
            (
                r#"{"mcpServers": []}"#,
                &["`mcpServers` is an array, not an object"],
            ),
            (
                r#"{"mcpServers": null}"#,
                &["`mcpServers` is null, not an object"],
            ),
            (r#""x""#, &["the top level is a string"]),
        ] {
            let err = parse_with(text, &[]).unwrap_err();
            let msg = crate::error::describe(&err);
            for needle in needles {
                assert!(msg.contains(needle), "{text}: {msg}");
            }
            assert!(
                !crate::error::Diagnose::hints(&err).is_empty(),
                "{text}: {msg}"
            );
        }
    }

    #[test]
    fn keys_real_clients_write_are_accepted() {
        // Claude Desktop keeps its own settings beside `mcpServers`; clients add keys to servers.
        let servers = parse_with(
            r#"{"globalShortcut": "Ctrl+Space", "preferences": {"x": 1}, "mcpServers": {
                "a": {"command": "x", "disabled": false, "autoApprove": ["t"], "timeout": 60, "alwaysAllow": []}
            }}"#,
            &[],
        )
        .unwrap();
        assert_eq!(servers.len(), 1);
    }

    #[test]
    fn raw_entries_keep_what_is_written() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(".mcp.json");
        fs_err::write(
            &path,
            "\u{feff}{\"mcpServers\": {\"gh\": {\"command\": \"gh-mcp\", \"env\": {\"T\": \"${UNSET_VAR}\"}, \"autoApprove\": []}}}",
        )
        .unwrap();
        let raw = load_raw(&path).unwrap();
        assert_eq!(
            raw["gh"],
            serde_json::json!({"command": "gh-mcp", "env": {"T": "${UNSET_VAR}"}, "autoApprove": []})
        );
        fs_err::write(&path, r#"{"mcpServrs": {}}"#).unwrap();
        assert!(matches!(load_raw(&path), Err(McpConfigError::Shape { .. })));
    }

    #[test]
    fn a_byte_order_mark_is_accepted() {
        let servers = parse_with(
            "\u{feff}{\"mcpServers\": {\"a\": {\"command\": \"x\"}}}",
            &[],
        )
        .unwrap();
        assert_eq!(servers.len(), 1);
    }
}
