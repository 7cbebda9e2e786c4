//! The body of a saved skill's SKILL.md: a complete recipe for an agent that has only a shell.
//! What the skill does, its inputs, how to run it (from a shell and from code), the one-time
//! set-up, the MCP servers it calls with the configuration each needs (secrets as `${VAR}`),
//! the tools it calls, its recorded run and how to test it.

use std::fmt::Write as _;

use serde_json::{Map, Value};

use super::ToolPin;
use crate::lock::Lockfile;
use crate::runs::RunRecord;

/// Everything the recipe is made from.
pub(crate) struct Recipe<'a> {
    /// The skill's name (its folder under `skills/`).
    pub(crate) name: &'a str,
    /// The exported function of `scripts/index.ts`.
    pub(crate) function: &'a str,
    pub(crate) description: &'a str,
    /// The tools the recorded run called.
    pub(crate) pins: &'a [ToolPin],
    pub(crate) record: &'a RunRecord,
    /// What the recorded run printed.
    pub(crate) output: &'a str,
    pub(crate) lock: &'a Lockfile,
    /// The input's JSON Schema (top-level `properties`/`required`); `None`: it takes no input.
    pub(crate) input_schema: Option<&'a Value>,
    /// An input to show; made from the schema when `None`.
    pub(crate) example_input: Option<&'a Value>,
    /// The `.mcp.json` entries, as written, of the servers the skill calls (by name). A server
    /// it calls that has no entry here is shown as not configured.
    pub(crate) servers: &'a [(String, Value)],
}

/// The Markdown body (everything after the frontmatter).
pub(crate) fn render(recipe: &Recipe<'_>) -> String {
    let mut t = String::new();
    let name = recipe.name;
    let _ = write!(t, "# {}\n\n{}\n\n", title(name), recipe.description);
    inputs(&mut t, recipe);
    let example = recipe.input_schema.map(|schema| {
        recipe
            .example_input
            .cloned()
            .unwrap_or_else(|| example_of(schema))
    });
    run_it(&mut t, recipe, example.as_ref());
    setup(&mut t, recipe);
    servers(&mut t, recipe);
    tools(&mut t, recipe);
    recorded_run(&mut t, recipe);
    let _ = write!(
        t,
        "\n## Test it\n\n`skillet test {name}` (in the registry root) replays `tests/recording.json` \
         against the generated API, contacting no server, and fails if the skill no longer \
         behaves the same or a tool it calls changed its interface since `skillet.lock`.\n"
    );
    t
}

/// `attach-transcript` -> `Attach transcript`.
fn title(name: &str) -> String {
    name.split('-')
        .enumerate()
        .map(|(i, w)| {
            let mut c = w.chars();
            match (i, c.next()) {
                (0, Some(f)) => f.to_uppercase().collect::<String>() + c.as_str(),
                _ => w.to_owned(),
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn inputs(t: &mut String, recipe: &Recipe<'_>) {
    t.push_str("## Inputs\n\n");
    let Some(schema) = recipe.input_schema else {
        t.push_str("None: it repeats the workflow it was saved from.\n\n");
        return;
    };
    let properties = schema.get("properties").and_then(Value::as_object);
    let required: Vec<&str> = schema
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    match properties {
        Some(properties) if !properties.is_empty() => {
            t.push_str(
                "One JSON object:\n\n| Name | Type | Required | Description |\n|---|---|---|---|\n",
            );
            for (key, property) in properties {
                let _ = writeln!(
                    t,
                    "| `{}` | {} | {} | {} |",
                    cell(key),
                    cell(&type_of(property)),
                    if required.contains(&key.as_str()) {
                        "yes"
                    } else {
                        "no"
                    },
                    cell(
                        property
                            .get("description")
                            .and_then(Value::as_str)
                            .unwrap_or("")
                    ),
                );
            }
        }
        _ => t.push_str("One JSON object; its schema names no properties.\n"),
    }
    let example = recipe
        .example_input
        .cloned()
        .unwrap_or_else(|| example_of(schema));
    let _ = write!(
        t,
        "\nExample:\n\n```json\n{}\n```\n\nThe whole schema is `scripts/input.schema.json`.\n\n",
        serde_json::to_string_pretty(&example).unwrap_or_default()
    );
}

/// A table cell: one line, no column breaks.
fn cell(text: &str) -> String {
    text.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .replace('|', "\\|")
}

/// A property's type as a reader says it: `string`, `integer`, `"a" or "b"`, `array of string`.
fn type_of(property: &Value) -> String {
    if let Some(values) = property.get("enum").and_then(Value::as_array) {
        return values
            .iter()
            .map(Value::to_string)
            .collect::<Vec<_>>()
            .join(" or ");
    }
    if let Some(value) = property.get("const") {
        return value.to_string();
    }
    match property.get("type") {
        Some(Value::String(kind)) if kind == "array" => match property.get("items") {
            Some(items) => format!("array of {}", type_of(items)),
            None => "array".into(),
        },
        Some(Value::String(kind)) => kind.clone(),
        Some(Value::Array(kinds)) => kinds
            .iter()
            .filter_map(Value::as_str)
            .collect::<Vec<_>>()
            .join(" or "),
        _ => "any".into(),
    }
}

/// An input made from the schema: each required property's example, default or a placeholder
/// of its type.
fn example_of(schema: &Value) -> Value {
    required_example(schema, 0)
}

/// An object of `schema`'s required properties, each with an example value.
fn required_example(schema: &Value, depth: usize) -> Value {
    let required: Vec<&str> = schema
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let mut out = Map::new();
    if let Some(properties) = schema.get("properties").and_then(Value::as_object) {
        for (key, property) in properties {
            if required.contains(&key.as_str()) {
                out.insert(key.clone(), example_value(property, depth));
            }
        }
    }
    Value::Object(out)
}

fn example_value(property: &Value, depth: usize) -> Value {
    if let Some(example) = property
        .get("examples")
        .and_then(Value::as_array)
        .and_then(|e| e.first())
        .or_else(|| property.get("default"))
        .or_else(|| property.get("const"))
        .or_else(|| {
            property
                .get("enum")
                .and_then(Value::as_array)
                .and_then(|e| e.first())
        })
    {
        return example.clone();
    }
    let kind = match property.get("type") {
        Some(Value::String(kind)) => kind.as_str(),
        Some(Value::Array(kinds)) => kinds
            .iter()
            .filter_map(Value::as_str)
            .find(|k| *k != "null")
            .unwrap_or("null"),
        _ => "string",
    };
    match kind {
        "integer" | "number" => Value::from(0),
        "boolean" => Value::Bool(false),
        "null" => Value::Null,
        "array" => Value::Array(Vec::new()),
        // Nested objects get their own required properties, a few levels deep.
        "object" if depth < 4 => required_example(property, depth + 1),
        "object" => Value::Object(Map::new()),
        _ => Value::String("...".into()),
    }
}

/// `text` as one single-quoted shell word.
fn shell_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', "'\\''"))
}

fn run_it(t: &mut String, recipe: &Recipe<'_>, example: Option<&Value>) {
    let (name, function) = (recipe.name, recipe.function);
    let input_flag = example
        .map(|e| format!(" --input {}", shell_quote(&e.to_string())))
        .unwrap_or_default();
    let argument = example.map(Value::to_string).unwrap_or_default();
    let _ = write!(
        t,
        "## Run it\n\nFrom a shell, in the registry root: the folder with `skillet.toml`, two levels \
         above this file's folder (`skills/{name}/`).\n\n```sh\ncd ../..   # from skills/{name}/\n\
         skillet run --skill {name}{input_flag}\n```\n\nAdd `--json` for the outcome as JSON \
         (`status`, `output`, `result`, `error`). The exit status is 0 when the run succeeded.\n\n\
         From a script run with `skillet run` (or the `run_code` tool of `skillet serve`):\n\n\
         ```ts\nimport {function} from \"./skills/{name}\";\n\nawait {function}({argument});\n```\n\n"
    );
}

fn setup(t: &mut String, recipe: &Recipe<'_>) {
    let vars = referenced_vars(recipe);
    t.push_str(
        "## Set-up, once\n\n1. Get `skillet` on the `PATH` (`skillet --version` checks it).\n",
    );
    t.push_str(
        "2. The servers below are in the registry's `.mcp.json` (committed with it; add any \
         that is missing)",
    );
    if vars.is_empty() {
        t.push_str(
            ".
",
        );
    } else {
        let _ = writeln!(
            t,
            ", and the environment skillet runs in has what they read: {}.",
            vars.iter()
                .map(|v| format!("`{v}`"))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    t.push_str(
        "3. In the registry root, `skillet gen`: it connects to the servers of `.mcp.json` and \
         writes the generated API under `.skillet/` (not committed). `skillet run` does it by \
         itself the first time when it is missing.\n\n",
    );
}

fn servers(t: &mut String, recipe: &Recipe<'_>) {
    let mut names: Vec<&str> = Vec::new();
    for pin in recipe.pins {
        if !names.contains(&pin.server.as_str()) {
            names.push(&pin.server);
        }
    }
    t.push_str("## MCP servers it calls\n\n");
    if names.is_empty() {
        t.push_str("None.\n\n");
        return;
    }
    t.push_str(
        "Each is an entry of `mcpServers` in the registry's `.mcp.json`, under the same name. \
         `${VAR}` is read from the environment; values that may be secrets are shown as `${VAR}`.\n\n",
    );
    for server in names {
        let _ = write!(t, "### `{server}`\n\n");
        match recipe.servers.iter().find(|(name, _)| name == server) {
            Some((_, raw)) => {
                let _ = write!(
                    t,
                    "```json\n{}\n```\n\n",
                    serde_json::to_string_pretty(&portable_server(server, raw)).unwrap_or_default()
                );
            }
            None => t.push_str(
                "Not configured in `.mcp.json` when the skill was saved: add its entry before \
                 `skillet gen`.\n\n",
            ),
        }
    }
}

fn tools(t: &mut String, recipe: &Recipe<'_>) {
    t.push_str("## Tools it calls\n\n");
    if recipe.pins.is_empty() {
        t.push_str("None.\n");
    }
    for pin in recipe.pins {
        let calls = recipe
            .record
            .tool_calls
            .iter()
            .filter(|c| c.server == pin.server && c.tool == pin.tool)
            .count();
        let function = recipe
            .lock
            .servers
            .get(&pin.server)
            .and_then(|s| s.tools.get(&pin.tool))
            .map(|t| format!(" (`servers/{}/{}.ts`)", pin.server, t.function))
            .unwrap_or_default();
        let _ = writeln!(
            t,
            "- `{}.{}`{function}: {calls} call{} in the recorded run",
            pin.server,
            pin.tool,
            if calls == 1 { "" } else { "s" }
        );
    }
}

fn recorded_run(t: &mut String, recipe: &Recipe<'_>) {
    let record = recipe.record;
    let shown: Vec<&str> = recipe.output.lines().take(20).collect();
    let _ = write!(
        t,
        "\n## The recorded run\n\nRun `{}` made {} tool call{} in {:.0} ms and printed:\n\n```text\n{}\n```\n",
        record.id,
        record.tool_calls.len(),
        if record.tool_calls.len() == 1 {
            ""
        } else {
            "s"
        },
        record.duration_ms,
        if shown.is_empty() {
            "(nothing)".to_owned()
        } else {
            shown.join("\n").replace("```", "'''")
        }
    );
}

/// The `${VAR}`s the shown configurations read, sorted, each once.
fn referenced_vars(recipe: &Recipe<'_>) -> Vec<String> {
    let mut vars: Vec<String> = Vec::new();
    for pin in recipe.pins {
        let Some((_, raw)) = recipe.servers.iter().find(|(n, _)| *n == pin.server) else {
            continue;
        };
        let shown = portable_server(&pin.server, raw).to_string();
        let mut rest = shown.as_str();
        while let Some(start) = rest.find("${") {
            let after = &rest[start + 2..];
            let Some(end) = after.find('}') else { break };
            let inner = &after[..end];
            let var = inner.split_once(":-").map_or(inner, |(v, _)| v);
            if !var.is_empty() && !vars.iter().any(|v| v == var) {
                vars.push(var.to_owned());
            }
            rest = &after[end + 1..];
        }
    }
    vars.sort();
    vars
}

/// A server's `.mcp.json` entry as SKILL.md shows it: where it is reached (`type`, `command`,
/// `args`, `cwd`, `url`) and what it needs (`env`, `headers`), other clients' keys left out.
/// A literal value that may be a secret becomes a `${VAR}` reference: an env value under its own
/// name, a header as `${SERVER_HEADER}` (after a `Bearer `-like scheme, which stays), the value
/// of a secret-named argument or URL query parameter, a URL's password. Values that already
/// read `${...}` stay as written.
pub(crate) fn portable_server(server: &str, raw: &Value) -> Value {
    let mut out = Map::new();
    let Some(raw) = raw.as_object() else {
        return Value::Object(out);
    };
    let prefix = var_name(server);
    for key in ["type", "command"] {
        if let Some(value) = raw.get(key) {
            out.insert(key.into(), value.clone());
        }
    }
    if let Some(args) = raw.get("args").and_then(Value::as_array) {
        out.insert("args".into(), Value::Array(portable_args(&prefix, args)));
    }
    if let Some(cwd) = raw.get("cwd") {
        out.insert("cwd".into(), cwd.clone());
    }
    if let Some(env) = raw.get("env").and_then(Value::as_object) {
        let env: Map<String, Value> = env
            .iter()
            .map(|(key, value)| {
                let shown = match value.as_str() {
                    Some(text) if is_secret(key, text) => format!("${{{}}}", var_name(key)),
                    Some(text) => text.to_owned(),
                    None => return (key.clone(), value.clone()),
                };
                (key.clone(), Value::String(shown))
            })
            .collect();
        out.insert("env".into(), Value::Object(env));
    }
    if let Some(url) = raw.get("url").and_then(Value::as_str) {
        out.insert("url".into(), Value::String(portable_url(&prefix, url)));
    }
    if let Some(headers) = raw.get("headers").and_then(Value::as_object) {
        let headers: Map<String, Value> = headers
            .iter()
            .map(|(key, value)| {
                let Some(text) = value.as_str() else {
                    return (key.clone(), value.clone());
                };
                if !is_secret(key, text) {
                    return (key.clone(), value.clone());
                }
                let var = format!("${{{prefix}_{}}}", var_name(key));
                let shown = match text.split_once(' ') {
                    Some((scheme, _))
                        if ["bearer", "basic", "token", "bot"]
                            .contains(&scheme.to_ascii_lowercase().as_str()) =>
                    {
                        format!("{scheme} {var}")
                    }
                    _ => var,
                };
                (key.clone(), Value::String(shown))
            })
            .collect();
        out.insert("headers".into(), Value::Object(headers));
    }
    if let Some(oauth) = raw.get("oauth").and_then(Value::as_object) {
        // The client id, scopes and redirect are public; a literal client secret is not.
        let oauth: Map<String, Value> = oauth
            .iter()
            .map(|(key, value)| match value.as_str() {
                Some(text) if key == "clientSecret" && !text.contains("${") => (
                    key.clone(),
                    Value::String(format!("${{{prefix}_OAUTH_CLIENT_SECRET}}")),
                ),
                _ => (key.clone(), value.clone()),
            })
            .collect();
        out.insert("oauth".into(), Value::Object(oauth));
    }
    Value::Object(out)
}

fn portable_args(prefix: &str, args: &[Value]) -> Vec<Value> {
    let mut out = Vec::with_capacity(args.len());
    let mut secret_flag: Option<String> = None;
    for arg in args {
        let Some(text) = arg.as_str() else {
            out.push(arg.clone());
            secret_flag = None;
            continue;
        };
        let flag = text.strip_prefix('-').map(|f| f.trim_start_matches('-'));
        let shown = match (flag, secret_flag.take()) {
            (None, Some(name)) if !text.contains("${") => format!("${{{prefix}_{name}}}"),
            (Some(flag), _) => match flag.split_once('=') {
                Some((name, value)) if is_secret(name, value) => {
                    text.replacen(value, &format!("${{{prefix}_{}}}", var_name(name)), 1)
                }
                Some(_) => text.to_owned(),
                None => {
                    if secret_name(flag) {
                        secret_flag = Some(var_name(flag));
                    }
                    text.to_owned()
                }
            },
            (None, _) => text.to_owned(),
        };
        out.push(Value::String(shown));
    }
    out
}

/// A URL with its password and secret-named query parameters as references.
fn portable_url(prefix: &str, url: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base.to_owned(), Some(query)),
        None => (url.to_owned(), None),
    };
    let mut base = base;
    if let Some(scheme_end) = base.find("://") {
        let authority_start = scheme_end + 3;
        let authority_end = base[authority_start..]
            .find('/')
            .map_or(base.len(), |i| authority_start + i);
        let authority = &base[authority_start..authority_end];
        if let Some((userinfo, host)) = authority.rsplit_once('@')
            && let Some((user, password)) = userinfo.split_once(':')
            && !password.contains("${")
        {
            base = format!(
                "{}{user}:${{{prefix}_PASSWORD}}@{host}{}",
                &base[..authority_start],
                &base[authority_end..]
            );
        }
    }
    let Some(query) = query else {
        return base;
    };
    let query: Vec<String> = query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((name, value)) if is_secret(name, value) => {
                format!("{name}=${{{prefix}_{}}}", var_name(name))
            }
            _ => pair.to_owned(),
        })
        .collect();
    format!("{base}?{}", query.join("&"))
}

/// Whether a literal value under `name` may be a credential: not already a reference, and a
/// secret-sounding name (token, key, secret, password, auth, cookie, credential, session) or a
/// value that looks like one (a long word of letters and digits, or a URL with a password).
fn is_secret(name: &str, value: &str) -> bool {
    if value.contains("${") || value.is_empty() {
        return false;
    }
    secret_name(name) || looks_like_credential(value)
}

fn secret_name(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    [
        "token",
        "secret",
        "key",
        "apikey",
        "password",
        "passwd",
        "pwd",
        "auth",
        "cookie",
        "credential",
        "session",
        "private",
        "pat",
    ]
    .iter()
    .any(|word| {
        name.split(|c: char| !c.is_ascii_alphanumeric())
            .any(|part| part == *word || (word.len() > 3 && part.contains(word)))
    })
}

fn looks_like_credential(value: &str) -> bool {
    if let Some((_, rest)) = value.split_once("://")
        && rest
            .split('/')
            .next()
            .is_some_and(|authority| authority.contains('@') && authority.contains(':'))
    {
        return true;
    }
    value.len() >= 16
        && !value.contains(char::is_whitespace)
        && !value.contains('/')
        && value.chars().any(|c| c.is_ascii_digit())
        && value.chars().any(|c| c.is_ascii_alphabetic())
}

/// `x-api-key` -> `X_API_KEY`.
fn var_name(name: &str) -> String {
    let mut out: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect();
    if out.is_empty() || out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, '_');
    }
    out
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn record() -> RunRecord {
        serde_json::from_value(json!({
            "id": "r1",
            "created": "2025-01-01T00:00:00.000Z",
            "script": "main.ts",
            "mode": "live",
            "status": "ok",
            "duration_ms": 12.0,
            "limits": {"timeout_ms": 1, "memory_bytes": 1, "stack_bytes": 1, "max_tool_calls": 1,
                       "max_concurrent_calls": 1, "max_output_bytes": 1, "max_result_bytes": 1},
            "output_bytes": 3,
            "tool_calls": [],
        }))
        .unwrap()
    }

    fn pins() -> Vec<ToolPin> {
        vec![ToolPin {
            server: "gh".into(),
            tool: "search".into(),
            schema: "unlocked".into(),
        }]
    }

    fn render_with(
        input_schema: Option<&Value>,
        example: Option<&Value>,
        servers: &[(String, Value)],
    ) -> String {
        let record = record();
        let lock = Lockfile::default();
        let pins = pins();
        render(&Recipe {
            name: "find-issues",
            function: "findIssues",
            description: "Finds issues.",
            pins: &pins,
            record: &record,
            output: "ok\n",
            lock: &lock,
            input_schema,
            example_input: example,
            servers,
        })
    }

    #[test]
    fn literal_secrets_become_references() {
        let raw = json!({
            "command": "gh-mcp",
            "args": ["--token", "ghp_abcdefghijklmnop1234", "--api-key=k3y", "--verbose", "${DIR}"],
            "env": {"GITHUB_TOKEN": "ghp_abcdefghijklmnop1234", "LOG_LEVEL": "debug",
                    "OTHER": "${OTHER:-x}", "SOME_ID": "a1b2c3d4e5f6g7h8i9"},
            "autoApprove": ["search"],
        });
        assert_eq!(
            portable_server("gh", &raw),
            json!({
                "command": "gh-mcp",
                "args": ["--token", "${GH_TOKEN}", "--api-key=${GH_API_KEY}", "--verbose", "${DIR}"],
                "env": {"GITHUB_TOKEN": "${GITHUB_TOKEN}", "LOG_LEVEL": "debug",
                        "OTHER": "${OTHER:-x}", "SOME_ID": "${SOME_ID}"},
            })
        );
        let http = json!({
            "type": "http",
            "url": "https://me:pw@example.com/mcp?api_key=abc&region=eu",
            "headers": {"Authorization": "Bearer abc", "X-Api-Key": "abc", "Accept": "application/json",
                        "Cookie": "${COOKIE}"},
            "oauth": {"clientId": "skillet-app", "clientSecret": "s3cr3t", "scopes": ["read"]},
        });
        assert_eq!(
            portable_server("my-api", &http),
            json!({
                "type": "http",
                "url": "https://me:${MY_API_PASSWORD}@example.com/mcp?api_key=${MY_API_API_KEY}&region=eu",
                "headers": {"Authorization": "Bearer ${MY_API_AUTHORIZATION}",
                            "X-Api-Key": "${MY_API_X_API_KEY}", "Accept": "application/json",
                            "Cookie": "${COOKIE}"},
                "oauth": {"clientId": "skillet-app", "clientSecret": "${MY_API_OAUTH_CLIENT_SECRET}",
                          "scopes": ["read"]},
            })
        );
    }

    #[test]
    fn the_recipe_shows_the_servers_without_their_secrets() {
        let servers = vec![(
            "gh".to_owned(),
            json!({"command": "gh-mcp", "env": {"GITHUB_TOKEN": "ghp_secretsecret1234"}}),
        )];
        let body = render_with(None, None, &servers);
        assert!(!body.contains("ghp_secret"), "{body}");
        assert!(
            body.contains("\"GITHUB_TOKEN\": \"${GITHUB_TOKEN}\""),
            "{body}"
        );
        assert!(
            body.contains("has what they read: `GITHUB_TOKEN`.\n"),
            "{body}"
        );
        assert!(
            body.contains("### `gh`\n\n```json\n{\n  \"command\": \"gh-mcp\""),
            "{body}"
        );
        assert!(
            body.contains("- `gh.search`: 0 calls in the recorded run"),
            "{body}"
        );
        let unconfigured = render_with(None, None, &[]);
        assert!(
            unconfigured.contains("Not configured in `.mcp.json`"),
            "{unconfigured}"
        );
    }

    #[test]
    fn no_inputs() {
        let body = render_with(None, None, &[]);
        assert!(body.starts_with("# Find issues\n\nFinds issues.\n\n## Inputs\n\nNone: it repeats the workflow it was saved from.\n"), "{body}");
        assert!(body.contains("skillet run --skill find-issues\n"), "{body}");
        assert!(body.contains("await findIssues();"), "{body}");
        assert!(!body.contains("edit\n`scripts/index.ts`"), "{body}");
        assert!(body.contains("`skillet test find-issues`"), "{body}");
        for section in [
            "## Run it",
            "## Set-up, once",
            "## MCP servers it calls",
            "## Tools it calls",
            "## The recorded run",
            "## Test it",
        ] {
            assert!(body.contains(section), "{section}: {body}");
        }
    }

    #[test]
    fn inputs_table_and_example() {
        let schema = json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "type": "object",
            "properties": {
                "repo": {"type": "string", "description": "owner/name | the repository"},
                "limit": {"type": "integer", "description": "At most this many.\nDefault 10.", "default": 10},
                "state": {"enum": ["open", "closed"]},
                "labels": {"type": "array", "items": {"type": "string"}},
            },
            "required": ["repo", "state"],
        });
        let body = render_with(Some(&schema), None, &[]);
        assert!(
            body.contains(
                "| Name | Type | Required | Description |\n|---|---|---|---|\n\
            | `repo` | string | yes | owner/name \\| the repository |\n\
            | `limit` | integer | no | At most this many. Default 10. |\n\
            | `state` | \"open\" or \"closed\" | yes |  |\n\
            | `labels` | array of string | no |  |\n"
            ),
            "{body}"
        );
        assert!(
            body.contains("```json\n{\n  \"repo\": \"...\",\n  \"state\": \"open\"\n}\n```"),
            "{body}"
        );
        assert!(
            body.contains(
                "skillet run --skill find-issues --input '{\"repo\":\"...\",\"state\":\"open\"}'\n"
            ),
            "{body}"
        );
        assert!(
            body.contains("await findIssues({\"repo\":\"...\",\"state\":\"open\"});"),
            "{body}"
        );

        let example = json!({"repo": "o/r", "state": "it's"});
        let body = render_with(Some(&schema), Some(&example), &[]);
        assert!(
            body.contains("--input '{\"repo\":\"o/r\",\"state\":\"it'\\''s\"}'"),
            "{body}"
        );
    }

    #[test]
    fn secret_names_and_values() {
        for name in [
            "GITHUB_TOKEN",
            "api_key",
            "X-Api-Key",
            "Authorization",
            "DB_PASSWORD",
            "apiKey",
        ] {
            assert!(secret_name(name), "{name}");
        }
        for name in ["LOG_LEVEL", "PATH", "region", "Accept", "path"] {
            assert!(!secret_name(name), "{name}");
        }
        assert!(looks_like_credential("sk-live-0123456789abcdef"));
        assert!(looks_like_credential("postgres://u:p@h/db"));
        assert!(!looks_like_credential("production"));
        assert!(!looks_like_credential("/usr/local/share/data1234"));
        assert!(!is_secret("TOKEN", "${TOKEN}"));
    }
}
