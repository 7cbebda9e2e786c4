//! Typed inputs for scripts: a script may `export default async function (input: T)`, and its
//! input is JSON checked against T before anything runs.
//!
//! A pure engine (no registry, no sandbox), in four parts:
//! - [`schema_of`] (`schema/`): the JSON Schema (draft 2020-12) of the input a script's default
//!   export takes, derived from the TypeScript type of its first parameter with oxc. Types that
//!   JSON cannot carry are errors naming the part, with its line and column.
//! - [`check`] (`check.rs`): a value against such a schema, every problem with its path
//!   (`input.items[0].id`).
//! - [`parse_arg`] (`check.rs`): the `--input` argument: JSON text or `@file`, bounded by
//!   [`MAX_INPUT_BYTES`].
//! - [`lift`] (`lift.rs`): turns the literals of a plain script into typed input fields, for
//!   saving a concrete run as a parameterized skill.
//!
//! # Untrusted input
//!
//! Scripts come from agents. oxc's parser and visitors are recursive, so the analysis runs on a
//! thread whose stack is sized from the source ([`on_sized_stack`], the same budget the sandbox's
//! transpiler uses); the type conversion has its own depth and size limits, and a panic inside
//! oxc is caught and reported as an error.

mod check;
mod error;
mod lift;
mod schema;
#[cfg(test)]
mod tests;

pub use check::{check, parse_arg};
pub use error::InputError;
pub use lift::{Field, FieldType, Lifted, Param, lift};
pub use schema::schema_of;

use crate::oxc_stack::{panic_message, stack_budget};

use oxc::allocator::Allocator;
use oxc::ast::ast::Program;
use oxc::parser::Parser;
use oxc::span::SourceType;

/// The largest input JSON accepted (1 MiB), as text or as a file.
pub const MAX_INPUT_BYTES: usize = 1 << 20;

/// The JSON Schema dialect of the schemas [`schema_of`] returns.
pub const SCHEMA_DIALECT: &str = "https://json-schema.org/draft/2020-12/schema";

/// The most stack the analysis thread may reserve (as the transpiler's limit): a script whose
/// budget is larger is refused.
const MAX_STACK: usize = 8 << 30;

/// Parses `source` (TypeScript, or JavaScript for `.js`/`.mjs` files) and runs `work` on the
/// program, on a thread with a stack big enough for the source's nesting.
fn with_program<T: Send>(
    source: &str,
    file: &str,
    work: impl FnOnce(&Program<'_>) -> Result<T, InputError> + Send,
) -> Result<T, InputError> {
    on_sized_stack(source, file, || {
        let allocator = Allocator::default();
        let parsed = Parser::new(&allocator, source, source_type(file)).parse();
        if parsed.panicked || !parsed.diagnostics.is_empty() {
            let first = parsed
                .diagnostics
                .iter()
                .min_by_key(|d| d.labels.iter().map(|l| l.offset()).min().unwrap_or(0));
            let (offset, message) =
                first.map_or((0, "the script does not parse".to_owned()), |d| {
                    (
                        d.labels.iter().map(|l| l.offset()).min().unwrap_or(0),
                        d.message.trim().to_owned(),
                    )
                });
            let (line, column) = locate(source, offset);
            return Err(InputError::Syntax {
                file: file.to_owned(),
                line,
                column,
                message,
            });
        }
        work(&parsed.program)
    })
}

fn source_type(file: &str) -> SourceType {
    let lower = file.to_ascii_lowercase();
    if lower.ends_with(".js") || lower.ends_with(".mjs") {
        SourceType::mjs()
    } else {
        SourceType::ts().with_module(true)
    }
}

/// Runs `work` on a thread whose stack is sized from `source` (see the module docs).
fn on_sized_stack<T: Send>(
    source: &str,
    file: &str,
    work: impl FnOnce() -> Result<T, InputError> + Send,
) -> Result<T, InputError> {
    let stack = stack_budget(source);
    let internal = |message: String| InputError::Syntax {
        file: file.to_owned(),
        line: 1,
        column: 1,
        message,
    };
    if stack > MAX_STACK {
        return Err(internal(format!(
            "the script is too large to analyse ({} bytes); split it into modules",
            source.len()
        )));
    }
    // A shallow script is analysed here: a thread of its own costs more than the analysis.
    if crate::oxc_stack::fits_ordinary_stack(source) {
        return std::panic::catch_unwind(std::panic::AssertUnwindSafe(work)).unwrap_or_else(
            |panic| {
                Err(internal(format!(
                    "internal error while analysing the script: {}",
                    panic_message(&*panic)
                )))
            },
        );
    }
    std::thread::scope(|scope| {
        let worker = std::thread::Builder::new()
            .name("inputs".to_owned())
            .stack_size(stack)
            .spawn_scoped(scope, work)
            .map_err(|e| internal(format!("could not start the script analysis: {e}")))?;
        worker.join().unwrap_or_else(|panic| {
            Err(internal(format!(
                "internal error while analysing the script: {}",
                panic_message(&*panic)
            )))
        })
    })
}

/// 1-based line and column of a byte offset, counted as JavaScript and editors do.
fn locate(source: &str, offset: u32) -> (u32, u32) {
    let at = crate::js_position::locate(source, offset as usize);
    (at.line, at.column)
}

/// `text` cut to `max` characters with `…`, for quoting source in messages.
fn excerpt(text: &str, max: usize) -> String {
    let text = text.trim();
    let mut chars = text.char_indices();
    match chars.nth(max) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.to_owned(),
    }
}

/// The JSDoc comment (`/** … */`) right before `start` (only blanks, `export` or `declare`
/// between), as description text: its lines without their leading `*`, up to the first `@tag`
/// line; `None` when there is none or it is empty.
fn jsdoc_before(program: &Program<'_>, start: u32) -> Option<String> {
    let source = program.source_text;
    let comments = &program.comments;
    let after = comments.partition_point(|c| c.span.end <= start);
    let comment = comments.get(after.checked_sub(1)?)?;
    let between = source.get(comment.span.end as usize..start as usize)?;
    if !between
        .split_whitespace()
        .all(|word| word == "export" || word == "declare")
    {
        return None;
    }
    let text = source.get(comment.span.start as usize..comment.span.end as usize)?;
    let inner = text.strip_prefix("/**")?.strip_suffix("*/")?;
    if inner.starts_with('*') {
        return None; // `/***` is not JSDoc
    }
    let mut lines = Vec::new();
    for line in inner.lines() {
        let line = line.trim();
        let line = line.strip_prefix('*').unwrap_or(line);
        let line = line.strip_prefix(' ').unwrap_or(line).trim_end();
        if line.starts_with('@') {
            break;
        }
        lines.push(line);
    }
    let description = lines.join("\n").trim().to_owned();
    (!description.is_empty()).then_some(description)
}
