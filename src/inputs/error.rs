//! What can go wrong with a typed input: a type JSON cannot carry, an input that does not match,
//! an `--input` that cannot be read, a parameter that cannot be lifted.

use std::path::PathBuf;

use super::MAX_INPUT_BYTES;

#[derive(Debug, thiserror::Error)]
pub enum InputError {
    /// The script does not parse.
    #[error("{file}:{line}:{column}: {message}")]
    Syntax {
        file: String,
        line: u32,
        column: u32,
        message: String,
    },
    /// A part of the input type that JSON cannot carry (or that is not supported).
    #[error("{file}:{line}:{column}: {context}: {message}")]
    Type {
        file: String,
        line: u32,
        column: u32,
        /// Where in the input type: "the input type `Input`, field `when`".
        context: String,
        message: String,
    },
    /// The input does not match the schema: each problem with its path (at most 10 shown).
    #[error("the input does not match the script's input type:{}", list(problems, *more))]
    Mismatch { problems: Vec<String>, more: usize },
    /// The schema itself is not a valid JSON Schema.
    #[error("the input schema is not a valid JSON Schema: {0}")]
    Schema(String),
    /// `--input` text (or the file it names) is not JSON.
    #[error("the input {what} is not JSON: {message}")]
    NotJson {
        /// "given" or "file `path`".
        what: String,
        message: String,
        /// The text looks like a bare word (a string given without its JSON quotes).
        bare: bool,
    },
    #[error("cannot read the input file {}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "the input {what} is {} bytes; an input may have at most {MAX_INPUT_BYTES} bytes (1 MiB)",
        size.map_or_else(|| format!("more than {MAX_INPUT_BYTES}"), |s| s.to_string())
    )]
    TooLarge {
        /// "given" or "file `path`".
        what: String,
        /// The size, when known without reading it all.
        size: Option<u64>,
    },
    #[error(
        "{file}: the script is {size} bytes; parameters are lifted from scripts of at most {limit} bytes"
    )]
    ScriptTooLarge {
        file: String,
        size: usize,
        limit: usize,
    },
    #[error("{count} parameters to lift; at most {limit} can be lifted")]
    TooManyParams { count: usize, limit: usize },
    #[error("parameter `{name}`: {reason}")]
    BadName { name: String, reason: String },
    #[error("parameter `{name}` is given twice")]
    DuplicateName { name: String },
    #[error("parameter `{name}`: the literal is empty")]
    EmptyLiteral { name: String },
    #[error("parameters `{first}` and `{second}` both replace the literal {literal}")]
    SameLiteral {
        first: String,
        second: String,
        literal: String,
    },
    #[error("{file}: parameter `{name}`: the literal {literal} does not occur in the script")]
    NotFound {
        file: String,
        name: String,
        literal: String,
        /// Up to 5 literals the script does have, as they are written.
        present: Vec<String>,
    },
    #[error(
        "{file}:{line}:{column}: parameter `{name}`: {literal} occurs only inside the longer string {string}"
    )]
    InsideString {
        file: String,
        line: u32,
        column: u32,
        name: String,
        literal: String,
        string: String,
    },
    #[error("{file}:{line}:{column}: the script already has a default export")]
    HasDefaultExport {
        file: String,
        line: u32,
        column: u32,
    },
    #[error("{file}:{line}:{column}: the script already uses the name `input`")]
    InputTaken {
        file: String,
        line: u32,
        column: u32,
    },
}

fn list(problems: &[String], more: usize) -> String {
    let mut text = String::new();
    for problem in problems {
        text.push_str("\n  ");
        text.push_str(problem);
    }
    if more > 0 {
        text.push_str(&format!("\n  and {more} more"));
    }
    text
}

impl crate::error::Diagnose for InputError {
    fn error_kind(&self) -> crate::error::Kind {
        match self {
            Self::NotJson { .. } | Self::TooLarge { .. } => crate::error::Kind::Usage,
            _ => crate::error::Kind::User,
        }
    }

    fn hints(&self) -> Vec<String> {
        match self {
            Self::Mismatch { .. } => {
                vec!["the input type is the type of the first parameter of the script's `export default` function".into()]
            }
            Self::NotJson { bare: true, .. } => vec![
                "a string is JSON in quotes: --input '\"text\"'; an object: --input '{\"id\": 1}'"
                    .into(),
                "--input @file.json reads the input from a file".into(),
            ],
            Self::NotJson { .. } => {
                vec!["--input takes JSON text, or @file.json to read it from a file".into()]
            }
            Self::TooLarge { .. } => vec![
                "pass a smaller input: large data belongs in a file the script reads from ./workspace/"
                    .into(),
            ],
            Self::BadName { .. } => vec![
                "a parameter name is a JavaScript identifier: letters, digits, `_` or `$`, not starting with a digit (`transcriptId`)"
                    .into(),
            ],
            Self::NotFound { present, .. } if !present.is_empty() => vec![format!(
                "literals the script has: {}",
                present.join(", ")
            )],
            Self::NotFound { .. } => {
                vec!["the script has no string, number or boolean literals to lift".into()]
            }
            Self::InsideString { literal, .. } => vec![format!(
                "split the string so that {literal} is a literal of its own (`\"id-\" + \"42\"`, or a template `${{\"42\"}}`), then lift it"
            )],
            Self::HasDefaultExport { .. } => vec![
                "lifting needs a plain script; a script with `export default async function (input: T)` already takes typed input: pass its input type instead".into(),
            ],
            Self::InputTaken { .. } => vec![
                "lifted parameters are read from `input`; rename the script's own `input`".into(),
            ],
            Self::Type { .. } => vec![
                "an input type is JSON: string, number, boolean, null, literal unions, arrays, tuples, objects, and interfaces or type aliases declared in the script".into(),
            ],
            Self::SameLiteral { .. } => {
                vec!["give each literal one parameter".into()]
            }
            _ => Vec::new(),
        }
    }
}
