//! The terminal answers what an upstream server asks during `skillet run` (MCP elicitation),
//! when stdin and stderr are terminals: the server's message, then one prompt per field of its
//! flat form (string, number, integer, boolean, enum), with defaults and required fields,
//! each answer checked before the next. Accept, decline or cancel.

use std::sync::Arc;

use futures::future::BoxFuture;
use serde_json::{Map, Value};

use crate::upstream::{ElicitAction, ElicitAnswer, ElicitRequest, Elicitor};

pub(super) struct TerminalElicitor {
    /// One prompt at a time, when several calls ask at once.
    turn: tokio::sync::Mutex<()>,
}

impl TerminalElicitor {
    /// `Some` when there is a terminal to ask on.
    pub(super) fn if_interactive() -> Option<Arc<dyn Elicitor>> {
        use std::io::IsTerminal as _;
        (std::io::stdin().is_terminal() && std::io::stderr().is_terminal()).then(|| {
            Arc::new(TerminalElicitor {
                turn: tokio::sync::Mutex::new(()),
            }) as Arc<dyn Elicitor>
        })
    }
}

impl Elicitor for TerminalElicitor {
    fn elicit(&self, request: ElicitRequest) -> BoxFuture<'_, Result<ElicitAnswer, String>> {
        Box::pin(async move {
            let _turn = self.turn.lock().await;
            tokio::task::spawn_blocking(move || {
                form(&request, &mut |prompt: &str| {
                    use std::io::Write as _;
                    let mut err = std::io::stderr().lock();
                    let _ = write!(err, "{prompt}");
                    let _ = err.flush();
                    let mut line = String::new();
                    match std::io::stdin().read_line(&mut line) {
                        Ok(0) | Err(_) => None,
                        Ok(_) => Some(line.trim_end_matches(['\n', '\r']).to_owned()),
                    }
                })
            })
            .await
            .map_err(|e| e.to_string())
        })
    }
}

/// One field of the form.
struct Field<'a> {
    name: &'a str,
    schema: &'a Value,
    required: bool,
}

/// Asks through `ask` (a prompt in, a line out; `None` at the end of input, which cancels).
fn form(request: &ElicitRequest, ask: &mut dyn FnMut(&str) -> Option<String>) -> ElicitAnswer {
    let cancel = ElicitAnswer {
        action: ElicitAction::Cancel,
        content: None,
    };
    let properties = request
        .schema
        .get("properties")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let required: Vec<&str> = request
        .schema
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let intro = format!(
        "server `{}` asks: {}\nAnswer? [a]ccept, [d]ecline, [c]ancel: ",
        request.server, request.message
    );
    loop {
        match ask(&intro).as_deref().map(str::trim) {
            None => return cancel,
            Some("a" | "accept" | "y" | "yes") => break,
            Some("d" | "decline" | "n" | "no") => return ElicitAnswer::declined(),
            Some("c" | "cancel") => return cancel,
            Some(_) => continue,
        }
    }
    let mut content = Map::new();
    for (name, schema) in &properties {
        let field = Field {
            name,
            schema,
            required: required.contains(&name.as_str()),
        };
        let prompt = prompt(&field);
        loop {
            let Some(line) = ask(&prompt) else {
                return cancel;
            };
            match value(&field, line.trim()) {
                Ok(Some(v)) => {
                    content.insert(name.clone(), v);
                    break;
                }
                Ok(None) => break,
                Err(why) => {
                    let _ = ask(&format!("  {why} (press Enter to try again) "));
                }
            }
        }
    }
    ElicitAnswer {
        action: ElicitAction::Accept,
        content: Some(content),
    }
}

fn prompt(field: &Field<'_>) -> String {
    let s = field.schema;
    let title = s.get("title").and_then(Value::as_str).unwrap_or(field.name);
    let mut out = format!("  {title}");
    if let Some(d) = s.get("description").and_then(Value::as_str) {
        out.push_str(&format!(" ({d})"));
    }
    let kind = s.get("type").and_then(Value::as_str).unwrap_or("string");
    let mut notes = vec![match choices(s) {
        Some(c) => format!("one of: {}", c.join(", ")),
        None if kind == "boolean" => "y/n".to_owned(),
        None => kind.to_owned(),
    }];
    if let Some(d) = s.get("default") {
        notes.push(format!("default {d}"));
    }
    if field.required {
        notes.push("required".into());
    }
    out.push_str(&format!(" [{}]: ", notes.join("; ")));
    out
}

/// The values an enum field takes.
fn choices(schema: &Value) -> Option<Vec<String>> {
    let list: Vec<String> = schema
        .get("enum")
        .and_then(Value::as_array)
        .map(|e| {
            e.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .or_else(|| {
            let options = schema
                .get("oneOf")
                .or_else(|| schema.get("anyOf"))?
                .as_array()?;
            Some(
                options
                    .iter()
                    .filter_map(|o| o.get("const").and_then(Value::as_str))
                    .map(str::to_owned)
                    .collect(),
            )
        })?;
    (!list.is_empty()).then_some(list)
}

/// The field's value from a line: `Ok(None)` leaves an optional field out.
fn value(field: &Field<'_>, line: &str) -> Result<Option<Value>, String> {
    let s = field.schema;
    if line.is_empty() {
        return match s.get("default") {
            Some(d) => Ok(Some(d.clone())),
            None if field.required => Err(format!("`{}` is required", field.name)),
            None => Ok(None),
        };
    }
    if let Some(options) = choices(s) {
        return options
            .iter()
            .find(|o| o.as_str() == line)
            .map(|o| Some(Value::String(o.clone())))
            .ok_or_else(|| format!("answer one of: {}", options.join(", ")));
    }
    match s.get("type").and_then(Value::as_str).unwrap_or("string") {
        "boolean" => match line {
            "y" | "yes" | "true" => Ok(Some(Value::Bool(true))),
            "n" | "no" | "false" => Ok(Some(Value::Bool(false))),
            _ => Err("answer y or n".into()),
        },
        "integer" => {
            let n: i64 = line
                .parse()
                .map_err(|_| "answer a whole number".to_owned())?;
            in_range(s, n as f64)?;
            Ok(Some(Value::from(n)))
        }
        "number" => {
            let n: f64 = line.parse().map_err(|_| "answer a number".to_owned())?;
            in_range(s, n)?;
            Ok(serde_json::Number::from_f64(n).map(Value::Number))
        }
        _ => {
            let chars = line.chars().count() as u64;
            let bound = |k: &str| s.get(k).and_then(Value::as_u64);
            if bound("minLength").is_some_and(|m| chars < m)
                || bound("maxLength").is_some_and(|m| chars > m)
            {
                return Err(format!(
                    "the answer must be {} to {} characters long",
                    bound("minLength").unwrap_or(0),
                    bound("maxLength").map_or("any".into(), |m| m.to_string())
                ));
            }
            Ok(Some(Value::String(line.to_owned())))
        }
    }
}

fn in_range(schema: &Value, n: f64) -> Result<(), String> {
    let min = schema.get("minimum").and_then(Value::as_f64);
    let max = schema.get("maximum").and_then(Value::as_f64);
    if min.is_some_and(|m| n < m) || max.is_some_and(|m| n > m) {
        return Err(format!(
            "answer a number from {} to {}",
            min.map_or("any".into(), |m| m.to_string()),
            max.map_or("any".into(), |m| m.to_string())
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request() -> ElicitRequest {
        ElicitRequest {
            server: "travel".into(),
            message: "Where to?".into(),
            schema: serde_json::json!({
                "type": "object",
                "properties": {
                    "city": {"type": "string", "title": "City"},
                    "nights": {"type": "integer", "minimum": 1, "default": 2},
                    "window": {"type": "boolean"},
                    "class": {"type": "string", "enum": ["economy", "business"]}
                },
                "required": ["city", "class"]
            }),
        }
    }

    fn answer(lines: &[&str]) -> (ElicitAnswer, Vec<String>) {
        let mut lines = lines.iter();
        let mut prompts = Vec::new();
        let answer = form(&request(), &mut |p| {
            prompts.push(p.to_owned());
            lines.next().map(|l| (*l).to_owned())
        });
        (answer, prompts)
    }

    #[test]
    fn accepts_checked_values_with_defaults() {
        // city: empty (required), then Oslo; nights: 0 (below its minimum), then the default;
        // window: not a boolean, then yes; class: one of the enum.
        let (a, prompts) = answer(&[
            "a", "", "", "Oslo", "0", "", "", "maybe", "", "y", "business",
        ]);
        assert_eq!(a.action, ElicitAction::Accept, "{prompts:#?}");
        assert_eq!(
            Value::Object(a.content.unwrap()),
            serde_json::json!({"city": "Oslo", "nights": 2, "window": true, "class": "business"})
        );
        assert!(prompts[0].contains("server `travel` asks: Where to?"));
        assert!(prompts.iter().any(|p| p.contains("`city` is required")));
        assert!(
            prompts
                .iter()
                .any(|p| p.contains("one of: economy, business; required"))
        );
        assert!(
            prompts
                .iter()
                .any(|p| p.contains("answer a number from 1 to any"))
        );
    }

    #[test]
    fn declines_cancels_and_ends_of_input_cancel() {
        assert_eq!(answer(&["d"]).0.action, ElicitAction::Decline);
        assert_eq!(answer(&["c"]).0.action, ElicitAction::Cancel);
        assert_eq!(answer(&["a", "Oslo"]).0.action, ElicitAction::Cancel);
        assert!(answer(&["d"]).0.content.is_none());
    }
}
