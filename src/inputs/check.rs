//! Checking an input against its schema, and reading the `--input` argument.

use std::io::Read;
use std::path::Path;

use serde_json::Value;

use super::{InputError, MAX_INPUT_BYTES};

/// At most this many problems are listed; the rest are counted ("and N more").
const MAX_PROBLEMS: usize = 10;

/// Checks `value` against `schema` (JSON Schema; draft 2020-12 unless its `$schema` says
/// otherwise): every problem with its JSON path, the root called `input` (at most 10, then
/// "and N more").
pub fn check(schema: &Value, value: &Value) -> Result<(), InputError> {
    let validator =
        jsonschema::validator_for(schema).map_err(|e| InputError::Schema(e.to_string()))?;
    if validator.is_valid(value) {
        return Ok(());
    }
    let mut problems = Vec::new();
    let mut more = 0usize;
    for error in validator.iter_errors(value) {
        if problems.len() < MAX_PROBLEMS {
            let path = render_path(value, error.instance_path().as_str());
            problems.push(format!("{path}: {error}"));
        } else {
            more += 1;
        }
    }
    if problems.is_empty() {
        return Ok(());
    }
    Err(InputError::Mismatch { problems, more })
}

/// A JSON pointer into `value` as a JavaScript path from `input`: `input.items[0]["a b"]`.
/// Whether a numeric segment is an index or a key is decided by the value it walks.
fn render_path(value: &Value, pointer: &str) -> String {
    let mut path = String::from("input");
    let mut at = Some(value);
    for raw in pointer.split('/').skip(1) {
        let segment = raw.replace("~1", "/").replace("~0", "~");
        match at {
            Some(Value::Array(items)) => {
                path.push_str(&format!("[{segment}]"));
                at = segment.parse::<usize>().ok().and_then(|i| items.get(i));
            }
            other => {
                if is_identifier(&segment) {
                    path.push('.');
                    path.push_str(&segment);
                } else {
                    path.push_str(&format!("[{}]", Value::String(segment.clone())));
                }
                at = other.and_then(|v| v.get(&segment));
            }
        }
    }
    path
}

/// An ASCII JavaScript identifier (`transcriptId`, `_x`, `$y`).
pub(super) fn is_identifier(text: &str) -> bool {
    let mut chars = text.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == '$')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$')
}

/// The `--input` argument: JSON text, or `@path` to read a JSON file (`base` resolves a relative
/// path). Either may have at most [`MAX_INPUT_BYTES`]; a larger file is refused from its size,
/// without reading it all.
pub fn parse_arg(arg: &str, base: &Path) -> Result<Value, InputError> {
    let Some(file) = arg.strip_prefix('@') else {
        if arg.len() > MAX_INPUT_BYTES {
            return Err(InputError::TooLarge {
                what: "given".into(),
                size: Some(arg.len() as u64),
            });
        }
        return parse_json(arg, "given".into());
    };
    if file.trim().is_empty() {
        return Err(InputError::NotJson {
            what: "given".into(),
            message: "`@` names no file".into(),
            bare: false,
        });
    }
    let path = base.join(file);
    let what = format!("file `{}`", path.display());
    let read = |source| InputError::Read {
        path: path.clone(),
        source,
    };
    let opened = std::fs::File::open(&path).map_err(read)?;
    let metadata = opened.metadata().map_err(read)?;
    if metadata.is_file() && metadata.len() > MAX_INPUT_BYTES as u64 {
        return Err(InputError::TooLarge {
            what,
            size: Some(metadata.len()),
        });
    }
    // A file that grows, or a pipe or device, is cut at one byte over the limit.
    let mut bytes = Vec::new();
    opened
        .take(MAX_INPUT_BYTES as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(read)?;
    if bytes.len() > MAX_INPUT_BYTES {
        return Err(InputError::TooLarge { what, size: None });
    }
    let text = String::from_utf8(bytes).map_err(|e| InputError::NotJson {
        what: what.clone(),
        message: format!("it is not UTF-8 text ({e})"),
        bare: false,
    })?;
    parse_json(&text, what)
}

fn parse_json(text: &str, what: String) -> Result<Value, InputError> {
    serde_json::from_str(text).map_err(|e| {
        let trimmed = text.trim();
        let bare = !trimmed.is_empty()
            && !trimmed.starts_with(['{', '[', '"'])
            && !trimmed.contains(['{', '[', '"']);
        InputError::NotJson {
            what,
            message: e.to_string(),
            bare,
        }
    })
}
