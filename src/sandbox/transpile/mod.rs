//! TypeScript → JavaScript for the sandbox.
//!
//! Agent scripts are TypeScript ES modules; QuickJS-NG runs JavaScript. [`strip_types`] removes
//! the types with oxc (parse → semantic syntax checks → TypeScript transform → codegen) and
//! lowers nothing else: the output is ES2022+ module code with its `import`/`export`, dynamic
//! `import()` and top-level `await` untouched and its import specifiers unchanged. `enum`s and
//! runtime `namespace`s become plain JavaScript; decorators are refused. Plain JavaScript
//! (`.js`/`.mjs`) is checked the same way and returned byte for byte.
//!
//! Errors are reported at the line and column of the *source* (TypeScript) text, rendered here
//! because oxc's own error text carries no position. Runtime positions, which QuickJS reports
//! in the output, are mapped back with [`Transpiled::original_position`], built from the source
//! map that codegen emits.
//!
//! Lines are counted the way JavaScript (and the source map) counts them: `\n`, `\r\n`, a lone
//! `\r`, U+2028 and U+2029 each end a line. Columns count UTF-16 code units, as source maps, `tsc`
//! and editors do; for ASCII that is the character count.
//!
//! # Untrusted input
//!
//! oxc's parser and the passes after it are recursive, so deeply nested input (`((((…))))`,
//! `[[[[…]]]]`, `A<A<A<…>>>`) would overflow a normal thread stack and abort the process. The
//! whole pipeline therefore runs on its own thread whose stack is sized from the source: every
//! level of nesting needs at least one token of source, so `stack_budget` charges each opening
//! bracket and each other token the most stack any measured construct takes per level, with
//! headroom. Stack is address space reserved, not memory used: only a script that really is
//! that deeply nested touches it. A script whose budget exceeds `MAX_STACK` (several MB of
//! code) is refused. A panic inside oxc is caught and reported as an error as well.
//!
//! The parts: this file runs the pipeline (on its sized thread); `position.rs` has the output
//! with its source map, mapping positions back, and JavaScript's way of counting lines and
//! columns; `error.rs` turns oxc's diagnostics into a located [`SyntaxError`] with a snippet.

mod error;
mod position;
#[cfg(test)]
mod tests;

pub use error::SyntaxError;
pub use position::Transpiled;

use crate::oxc_stack::{panic_message, stack_budget};
use std::path::{Path, PathBuf};

use oxc::allocator::Allocator;
use oxc::ast::AstKind;
use oxc::ast_visit::Visit;
use oxc::codegen::{Codegen, CodegenOptions};
use oxc::diagnostics::OxcDiagnostic;
use oxc::parser::Parser;
use oxc::semantic::SemanticBuilder;
use oxc::span::{GetSpan, SourceType, Span};
use oxc::transformer::{EnvOptions, Module, TransformOptions, Transformer};

use error::report;
use position::{Mapping, Segment};

/// The most stack the transpiler thread may reserve. Scripts whose `stack_budget` is larger
/// (several MB of dense code) are refused instead.
const MAX_STACK: usize = 8 << 30;

/// Nesting (in AST nodes) above which the output is not indented: indentation grows with
/// nesting, so deeply nested blocks would otherwise make the output quadratic in size.
const MAX_INDENTED_DEPTH: u32 = 256;

/// Strip types from a TypeScript (or plain JavaScript) ES module. `file` is used in messages
/// and decides TS vs JS/TSX by extension (.ts/.mts -> TS, .js/.mjs -> JS; anything else -> TS).
pub fn strip_types(source: &str, file: &str) -> Result<Transpiled, SyntaxError> {
    let javascript = is_javascript(file);
    let stack = stack_budget(source);
    if stack > MAX_STACK {
        return Err(SyntaxError::at(
            source,
            file,
            0,
            format!(
                "the script is too large to transpile ({} bytes); split it into modules",
                source.len()
            ),
        ));
    }
    std::thread::scope(|scope| {
        let worker = std::thread::Builder::new()
            .name("transpile".to_owned())
            .stack_size(stack)
            .spawn_scoped(scope, || transpile(source, file, javascript))
            .map_err(|error| {
                SyntaxError::at(
                    source,
                    file,
                    0,
                    format!("could not start the transpiler: {error}"),
                )
            })?;
        worker.join().unwrap_or_else(|panic| {
            Err(SyntaxError::at(
                source,
                file,
                0,
                format!(
                    "internal error in the TypeScript transpiler: {}",
                    panic_message(&*panic)
                ),
            ))
        })
    })
}

/// Like [`strip_types`], but on the calling thread, for sources whose nesting is shallow enough
/// for an ordinary thread stack (1 MiB of budget at most); `None` for deeper ones, which must go
/// through [`strip_types`]. Saves a thread start on the hot path of small scripts.
pub fn strip_types_here(source: &str, file: &str) -> Option<Result<Transpiled, SyntaxError>> {
    if !crate::oxc_stack::fits_ordinary_stack(source) {
        return None;
    }
    let javascript = is_javascript(file);
    Some(
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            transpile(source, file, javascript)
        }))
        .unwrap_or_else(|panic| {
            Err(SyntaxError::at(
                source,
                file,
                0,
                format!(
                    "internal error in the TypeScript transpiler: {}",
                    panic_message(&*panic)
                ),
            ))
        }),
    )
}

fn is_javascript(file: &str) -> bool {
    Path::new(file)
        .extension()
        .and_then(|extension| extension.to_str())
        .is_some_and(|extension| {
            extension.eq_ignore_ascii_case("js") || extension.eq_ignore_ascii_case("mjs")
        })
}

/// The whole pipeline; runs on the big-stack thread.
fn transpile(source: &str, file: &str, javascript: bool) -> Result<Transpiled, SyntaxError> {
    let source_type = if javascript {
        SourceType::mjs()
    } else {
        SourceType::ts().with_module(true)
    };
    let allocator = Allocator::default();

    let parsed = Parser::new(&allocator, source, source_type).parse();
    if parsed.panicked || !parsed.diagnostics.is_empty() {
        return Err(report(source, file, parsed.diagnostics.into_vec()));
    }
    let mut program = parsed.program;

    let mut shape = Shape::default();
    shape.visit_program(&program);
    if let Some(span) = shape.first_decorator {
        let error = OxcDiagnostic::error("decorators are not supported in sandbox scripts")
            .with_help("remove the decorator and call the function on the class or member")
            .with_label(span);
        return Err(report(source, file, vec![error]));
    }

    let checked = SemanticBuilder::new()
        .with_check_syntax_error(true)
        .with_enum_eval(true)
        .with_excess_capacity(2.0)
        .build(&program);
    if !checked.diagnostics.is_empty() {
        return Err(report(source, file, checked.diagnostics.into_vec()));
    }
    if javascript {
        return Ok(Transpiled::new(source.to_owned(), Mapping::Identity));
    }

    let options = TransformOptions {
        // `import x = require()` and `export =` are errors, not CommonJS output.
        env: EnvOptions {
            module: Module::Esm,
            ..EnvOptions::default()
        },
        ..TransformOptions::default()
    };
    let transformed = Transformer::new(&allocator, Path::new(file), &options)
        .build_with_scoping(checked.semantic.into_scoping(), &mut program);
    // Its warnings (`export =`, namespaces exporting `let`, …) all mean the output would not run.
    if !transformed.diagnostics.is_empty() {
        return Err(report(source, file, transformed.diagnostics.into_vec()));
    }

    let mut codegen_options = CodegenOptions {
        source_map_path: Some(PathBuf::from(file)),
        ..CodegenOptions::default()
    };
    if shape.max_depth > MAX_INDENTED_DEPTH {
        codegen_options.indent_width = 0;
    }
    let printed = Codegen::new().with_options(codegen_options).build(&program);
    let mut segments: Vec<Segment> = printed
        .map
        .map(|map| {
            map.get_tokens()
                .map(|token| Segment {
                    generated_line: token.get_dst_line(),
                    generated_column: token.get_dst_col(),
                    original_line: token.get_src_line(),
                    original_column: token.get_src_col(),
                })
                .collect()
        })
        .unwrap_or_default();
    if !segments.is_sorted_by_key(Segment::generated) {
        segments.sort_by_key(Segment::generated);
    }
    Ok(Transpiled::new(printed.code, Mapping::Segments(segments)))
}

/// What the checks after parsing need to know about the tree.
#[derive(Default)]
struct Shape {
    depth: u32,
    max_depth: u32,
    first_decorator: Option<Span>,
}

impl<'a> Visit<'a> for Shape {
    fn enter_node(&mut self, kind: AstKind<'a>) {
        self.depth += 1;
        self.max_depth = self.max_depth.max(self.depth);
        if let AstKind::Decorator(decorator) = kind {
            let span = decorator.span();
            if self
                .first_decorator
                .is_none_or(|first| span.start < first.start)
            {
                self.first_decorator = Some(span);
            }
        }
    }

    fn leave_node(&mut self, _kind: AstKind<'a>) {
        self.depth -= 1;
    }
}
