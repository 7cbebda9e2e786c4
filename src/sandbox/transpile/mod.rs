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

use std::any::Any;
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

/// JavaScript ready for QuickJS, plus what is needed to map positions back to the TypeScript.
#[derive(Debug, Clone)]
pub struct Transpiled {
    /// The JavaScript module.
    pub code: String,
    /// Number of lines in `code`.
    lines: u32,
    mapping: Mapping,
}

#[derive(Debug, Clone)]
enum Mapping {
    /// The code is the source itself (plain JavaScript input).
    Identity,
    /// Codegen's source map, sorted by generated position.
    Segments(Vec<Segment>),
}

/// One source-map token, 0-based.
#[derive(Debug, Clone, Copy)]
struct Segment {
    generated_line: u32,
    generated_column: u32,
    original_line: u32,
    original_column: u32,
}

impl Segment {
    fn generated(&self) -> (u32, u32) {
        (self.generated_line, self.generated_column)
    }
}

impl Transpiled {
    /// 1-based (line, column) in the TypeScript source for a 1-based (line, column) in `code`,
    /// when known. Column may be approximate; line must be right for statements.
    ///
    /// The position maps through the last source-map segment at or before it on the same
    /// output line (codegen starts a segment at every statement, expression and identifier),
    /// else the first segment on that line, else the nearest segment before it. `None` for line
    /// 0, for a line past the end of `code`, or when the code has no segments at all.
    pub fn original_position(&self, line: u32, column: u32) -> Option<(u32, u32)> {
        let line0 = line.checked_sub(1)?;
        if line > self.lines {
            return None;
        }
        match &self.mapping {
            Mapping::Identity => Some((line, column.max(1))),
            Mapping::Segments(segments) => {
                let position = (line0, column.saturating_sub(1));
                let after = segments.partition_point(|s| s.generated() <= position);
                let before = after.checked_sub(1).and_then(|i| segments.get(i));
                let next = segments.get(after);
                let segment = match (before, next) {
                    (Some(b), _) if b.generated_line == line0 => b,
                    (_, Some(n)) if n.generated_line == line0 => n,
                    (Some(b), _) => b,
                    (None, Some(n)) => n,
                    (None, None) => return None,
                };
                Some((
                    segment.original_line.saturating_add(1),
                    segment.original_column.saturating_add(1),
                ))
            }
        }
    }
}

/// A script that cannot be transpiled, located in the source it came from.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{file}:{line}:{column}: {message}")]
pub struct SyntaxError {
    /// The `file` given to [`strip_types`].
    pub file: String,
    /// 1-based line in the source.
    pub line: u32,
    /// 1-based column in the source (UTF-16 code units).
    pub column: u32,
    /// What is wrong, with oxc's hint if it has one, and "(and N more)" when there are
    /// further errors.
    pub message: String,
    /// the offending source line with a caret under the column
    pub snippet: String,
}

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
    const ORDINARY_STACK: usize = 1 << 20;
    const BASE: usize = 16 << 20;
    if stack_budget(source).saturating_sub(BASE) > ORDINARY_STACK / 2 {
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

/// Bytes of stack the transpiler thread gets for `source`: an upper bound on what oxc can use.
///
/// Each level of nesting costs oxc some stack and needs at least one token of source. The
/// budget charges `per_opener` for every byte that can open a level on its own (`(` `[` `{` `<`
/// `` ` `` `@`) and `per_token` for every other token: a run of identifier or number characters
/// counts as two, any other non-blank byte as one (strings and comments are counted too, which
/// only overestimates). Measured worst cases, over parse, checks, transform and codegen:
/// 1.8 KiB for a level opened by one bracket (`[[[[…` as a type, `((((…`) with oxc optimised
/// (opt-level 1 or 3), 3.7 KiB unoptimised (4.7 KiB for `(a=(a=…`, which has two more
/// tokens); about 1 KiB for a level without a bracket (`x=>x=>…`, `a=a=…`), which has at least
/// two tokens. The constants are at least twice those.
fn stack_budget(source: &str) -> usize {
    const BASE: usize = 16 << 20;
    let (per_opener, per_token): (usize, usize) = if cfg!(debug_assertions) {
        (8 << 10, 2 << 10)
    } else {
        (4 << 10, 1 << 10)
    };
    let mut openers = 0usize;
    let mut tokens = 0usize;
    let mut in_word = false;
    for &byte in source.as_bytes() {
        match byte {
            b'(' | b'[' | b'{' | b'<' | b'`' | b'@' => {
                openers += 1;
                in_word = false;
            }
            b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c => in_word = false,
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'_' | b'$' => {
                if !in_word {
                    tokens += 2;
                    in_word = true;
                }
            }
            _ => {
                tokens += 1;
                in_word = false;
            }
        }
    }
    openers
        .saturating_mul(per_opener)
        .saturating_add(tokens.saturating_mul(per_token))
        .saturating_add(BASE)
}

fn panic_message(panic: &(dyn Any + Send)) -> &str {
    panic
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| panic.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("panic")
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

impl Transpiled {
    fn new(code: String, mapping: Mapping) -> Self {
        let lines = locate(&code, code.len()).line;
        Self {
            code,
            lines,
            mapping,
        }
    }
}

/// The first error by position, with "(and N more)".
fn report(source: &str, file: &str, mut diagnostics: Vec<OxcDiagnostic>) -> SyntaxError {
    // Unlocated diagnostics go last; the sort is stable.
    diagnostics.sort_by_key(|diagnostic| main_offset(diagnostic).map_or((1, 0), |at| (0, at)));
    let more = diagnostics.len().saturating_sub(1);
    let Some(first) = diagnostics.into_iter().next() else {
        return SyntaxError::at(source, file, 0, "invalid script".to_owned());
    };
    let offset = main_offset(&first).unwrap_or(0);
    let mut message = first.message.trim().to_owned();
    for label in &first.labels {
        if label.offset() != offset
            && let Some(text) = label.label()
        {
            let at = locate(source, label.offset() as usize);
            message.push_str(&format!(" ({text} at {}:{})", at.line, at.column));
        }
    }
    if let Some(help) = &first.help {
        if message.ends_with('.') {
            message.pop();
        }
        message.push_str(". ");
        message.push_str(help.trim());
    }
    if more > 0 {
        message.push_str(&format!(" (and {more} more)"));
    }
    SyntaxError::at(source, file, offset as usize, message)
}

/// Where a diagnostic points: its primary label, else the redeclaration of a redeclared name
/// (oxc labels the first declaration first), else its first label.
fn main_offset(diagnostic: &OxcDiagnostic) -> Option<u32> {
    let labels = &diagnostic.labels;
    labels
        .iter()
        .find(|label| label.primary())
        .or_else(|| {
            labels
                .iter()
                .find(|label| label.label().is_some_and(|t| t.contains("redeclared here")))
        })
        .or_else(|| labels.first())
        .map(|label| label.offset())
}

impl SyntaxError {
    fn at(source: &str, file: &str, offset: usize, message: String) -> Self {
        let at = locate(source, offset);
        Self {
            file: file.to_owned(),
            line: at.line,
            column: at.column,
            message,
            snippet: snippet(source, &at),
        }
    }
}

/// A byte offset resolved to a 1-based line and column.
struct Location {
    line: u32,
    column: u32,
    offset: usize,
    line_start: usize,
}

fn locate(source: &str, offset: usize) -> Location {
    let mut offset = offset.min(source.len());
    while !source.is_char_boundary(offset) {
        offset -= 1;
    }
    let bytes = source.as_bytes();
    let mut line = 1u32;
    let mut line_start = 0;
    for (i, c) in source[..offset].char_indices() {
        let ends_line = match c {
            '\n' | '\u{2028}' | '\u{2029}' => true,
            '\r' => bytes.get(i + 1) != Some(&b'\n'),
            _ => false,
        };
        if ends_line {
            line = line.saturating_add(1);
            line_start = i + c.len_utf8();
        }
    }
    let column = source[line_start..offset]
        .encode_utf16()
        .count()
        .saturating_add(1);
    Location {
        line,
        column: u32::try_from(column).unwrap_or(u32::MAX),
        offset,
        line_start,
    }
}

/// The line of `at`, and a caret under its column. Long lines are cut around the column.
fn snippet(source: &str, at: &Location) -> String {
    const CONTEXT: usize = 80;
    let rest = &source[at.line_start..];
    let line_end = rest
        .find(['\n', '\r', '\u{2028}', '\u{2029}'])
        .map_or(source.len(), |end| at.line_start + end);
    let before: Vec<char> = source[at.line_start..at.offset].chars().collect();
    let after: Vec<char> = source[at.offset..line_end].chars().collect();
    let cut_before = before.len() > CONTEXT;
    let cut_after = after.len() > CONTEXT;
    let before = &before[before.len().saturating_sub(CONTEXT)..];
    let after = &after[..after.len().min(CONTEXT)];

    let mut text = String::new();
    let mut caret = String::new();
    if cut_before {
        text.push('…');
        caret.push(' ');
    }
    for &c in before {
        text.push(c);
        caret.push(if c == '\t' { '\t' } else { ' ' });
    }
    text.extend(after);
    if cut_after {
        text.push('…');
    }
    caret.push('^');
    format!("{text}\n{caret}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strip(source: &str) -> Transpiled {
        match strip_types(source, "script.ts") {
            Ok(out) => out,
            Err(error) => panic!("{error}\n{}", error.snippet),
        }
    }

    fn error(source: &str) -> SyntaxError {
        match strip_types(source, "script.ts") {
            Ok(out) => panic!("expected a syntax error, got:\n{}", out.code),
            Err(error) => error,
        }
    }

    /// Proves `code` is a valid JavaScript module by parsing and checking it with oxc.
    fn assert_valid_js(code: &str) {
        let allocator = Allocator::default();
        let parsed = Parser::new(&allocator, code, SourceType::mjs()).parse();
        let errors: Vec<String> = parsed
            .diagnostics
            .into_vec()
            .iter()
            .map(ToString::to_string)
            .collect();
        assert!(
            !parsed.panicked && errors.is_empty(),
            "not JavaScript: {errors:?}\n{code}"
        );
        let checked = SemanticBuilder::new()
            .with_check_syntax_error(true)
            .build(&parsed.program);
        let errors: Vec<String> = checked
            .diagnostics
            .iter()
            .map(ToString::to_string)
            .collect();
        assert!(errors.is_empty(), "not JavaScript: {errors:?}\n{code}");
    }

    /// 1-based line and column of the first `needle` in `text`.
    fn find(text: &str, needle: &str) -> (u32, u32) {
        let offset = text
            .find(needle)
            .unwrap_or_else(|| panic!("{needle:?} not in:\n{text}"));
        let at = locate(text, offset);
        (at.line, at.column)
    }

    const TYPED: &str = r#"import type { Config } from "./config.ts";
import { type Shape, helper } from './servers/docs/index.js';
import { OnlyAType } from "./servers/docs/types.ts";
export type { Config };
export interface Point {
  x: number;
  y: number;
}
type Pair<T> = [T, T];
declare const injected: string;
declare function external(x: number): void;
declare module "ambient" { export const z: number; }
enum Color { Red, Green = "green", Blue = 4 }
const enum Flag { A = 1, B = 2 }
namespace Geometry {
  export const origin = { x: 0, y: 0 };
  export function length(p: Point): number { return Math.hypot(p.x, p.y); }
}
abstract class Base<T extends object> {
  abstract area(): number;
  protected constructor(protected readonly name: string, public tag?: T) {}
  describe(this: Base<T>): string { return `${this.name}: ${this.area()}`; }
}
class Square extends Base<{}> implements OnlyAType {
  declare kind: string;
  #side: number;
  constructor(side: number) { super("square"); this.#side = side; }
  area(): number { return this.#side ** 2; }
}
function pick(x: string): string;
function pick(x: number): number;
function pick(x: any): any { return x; }
function first<T>(items: readonly T[]): T | undefined { return items[0]; }
const shape = { kind: "circle" } as const satisfies Record<string, string>;
const el = (globalThis as any)!.document! as unknown as Shape;
let maybe: Point | null = null;
const n = <number>(maybe as any);
export default async function main(p: Pair<Point>): Promise<number> {
  const mod = await import("./servers/docs/getDocument.ts");
  return helper(first<Point>(p)!.x) + Color.Blue + Flag.B + Geometry.length(p[0]) + pick(1);
}
"#;

    #[test]
    fn strips_types_and_keeps_javascript() {
        let out = strip(TYPED);
        assert_valid_js(&out.code);
        for gone in [
            "interface",
            "type ",
            "declare",
            "abstract",
            "implements",
            "satisfies",
            " as ",
            ": number",
            ": string",
            "<T",
            "Config",
            "Shape",
            "OnlyAType",
            "readonly",
            "protected",
            "!.",
            "injected",
        ] {
            assert!(!out.code.contains(gone), "{gone:?} left in:\n{}", out.code);
        }
        for kept in [
            r#"import { helper } from "./servers/docs/index.js";"#,
            r#"await import("./servers/docs/getDocument.ts")"#,
            "export default async function main(p)",
            "var Color",
            "Geometry",
            "this.name = name",
            "this.tag = tag",
            "#side",
            "this.#side ** 2",
            "`${this.name}: ${this.area()}`",
            "class Square extends Base",
            // Ordinary code keeps its indentation.
            "function pick(x) {\n\treturn x;\n}",
        ] {
            assert!(
                out.code.contains(kept),
                "{kept:?} missing from:\n{}",
                out.code
            );
        }
        // Type-only imports leave nothing behind, not even a side-effect import.
        assert!(!out.code.contains("./config.ts") && !out.code.contains("types.ts"));
    }

    #[test]
    fn module_syntax_and_modern_javascript_pass_through() {
        let source = r#"import def, * as ns from "./servers/docs/index.js";
import { a as b } from './servers/docs/getDocument.ts';
import "./side-effect.ts";
export * from "./re-export.js";
export { b as c };
export const value: number = 10n > 1n ? 1 : 2;
const meta = import.meta.url;
class Counter {
  static #count = 0;
  static { Counter.#count = 1; }
  #inc() { return ++Counter.#count; }
  get next() { return this.#inc(); }
}
const deep = ns?.a?.[0] ?? def;
let w: any = null;
w ??= { ...ns, spread: [...[1, 2]] };
w ||= 2 ** 10;
async function* gen() { for await (const x of [1]) yield x; }
try { JSON.parse("{"); } catch { /* optional binding */ }
const big = 123_456n;
const re = /(?<year>\d{4})/u;
export default await Promise.resolve(new Counter().next + b + meta.length + deep);
"#;
        let out = strip(source);
        assert_valid_js(&out.code);
        for kept in [
            r#"import def, * as ns from "./servers/docs/index.js";"#,
            r#"import { a as b } from "./servers/docs/getDocument.ts";"#,
            r#"import "./side-effect.ts";"#,
            r#"export * from "./re-export.js";"#,
            "export { b as c };",
            "export const value = 10n > 1n ? 1 : 2;",
            "import.meta.url",
            "static #count = 0;",
            "static {",
            "#inc()",
            "ns?.a?.[0] ?? def",
            "w ??= {",
            "...ns",
            "w ||= 2 ** 10",
            "async function* gen()",
            "for await (const x of [1])",
            "catch {",
            "123456n",
            r"/(?<year>\d{4})/u",
            "export default await Promise.resolve(",
        ] {
            assert!(
                out.code.contains(kept),
                "{kept:?} missing from:\n{}",
                out.code
            );
        }
    }

    #[test]
    fn import_specifiers_are_byte_identical() {
        for specifier in [
            "./servers/docs/getDocument.ts",
            "./servers/docs/index.js",
            "../up/../x.mts",
            "./with space/ü.ts",
            "node:fs",
            "@scope/pkg/sub",
        ] {
            let source = format!(
                "import {{ run }} from '{specifier}';\nexport {{ other }} from \"{specifier}\";\nrun(await import('{specifier}'));\n"
            );
            let out = strip(&source);
            assert_eq!(
                out.code.matches(&format!("\"{specifier}\"")).count(),
                3,
                "{}",
                out.code
            );
        }
    }

    #[test]
    fn enums_and_namespaces_become_javascript() {
        let out = strip(
            "export enum Level { Low = 1, High = Low * 10, Name = \"n\" }\n\
             namespace A.B { export const c = Level.High; }\n\
             console.log(A.B.c, Level[1]);\n",
        );
        assert_valid_js(&out.code);
        assert!(out.code.contains("export let Level") || out.code.contains("export var Level"));
        assert!(out.code.contains("\"Low\""), "{}", out.code);
        assert!(
            !out.code.contains("namespace") && !out.code.contains("enum "),
            "{}",
            out.code
        );
    }

    #[test]
    fn plain_javascript_is_returned_unchanged() {
        let source = "import { x } from './a.js';\r\nexport const y = x?.z ?? 1;  // keep\n";
        let out = strip_types(source, "script.mjs").expect("valid JavaScript");
        assert_eq!(out.code, source);
        assert_eq!(out.original_position(2, 14), Some((2, 14)));
        assert_eq!(out.original_position(4, 1), None);
        let error = strip_types("let x: number = 1;\n", "script.js").expect_err("types in .js");
        assert_eq!((error.line, error.column), (1, 6), "{error}");
    }

    #[test]
    fn runtime_lines_map_back_to_typescript() {
        let source = "import type { Doc } from './servers/docs/types.ts';\n\
            interface Options {\n\
            \x20 retries: number;\n\
            \x20 verbose?: boolean;\n\
            \x20 nested: {\n\
            \x20   depth: number;\n\
            \x20 };\n\
            }\n\
            type Id = string | number;\n\
            function check(options: Options, id: Id): void {\n\
            \x20 if (options.retries > 3) {\n\
            \x20   throw new Error(`too many retries for ${id}`);\n\
            \x20 }\n\
            }\n\
            const doc = { title: 'x' } as Doc;\n\
            check({ retries: 5, nested: { depth: 1 } }, doc.title);\n";
        assert_eq!(find(source, "throw").0, 12);
        let out = strip(source);
        let (line, column) = find(&out.code, "throw");
        assert!(
            line < 12,
            "interface and import should be gone:\n{}",
            out.code
        );
        assert_eq!(out.original_position(line, column), Some((12, 5)));
        // Anywhere in the statement still maps to its line.
        assert_eq!(
            out.original_position(line, column + 10).map(|p| p.0),
            Some(12)
        );
        let (line, column) = find(&out.code, "check({");
        assert_eq!(out.original_position(line, column), Some((16, 1)));
        let (line, _) = find(&out.code, "if (options");
        assert_eq!(out.original_position(line, 1).map(|p| p.0), Some(11));
        assert_eq!(out.original_position(0, 1), None);
        assert_eq!(out.original_position(10_000, 1), None);
    }

    #[test]
    fn every_statement_maps_to_its_own_line() {
        let mut source = String::from("interface A {\n  a: number;\n}\n");
        for i in 0..50 {
            source.push_str(&format!("const v{i}: number = {i} as number;\n"));
        }
        let out = strip(&source);
        for i in 0..50u32 {
            let (line, column) = find(&out.code, &format!("const v{i} "));
            assert_eq!(
                out.original_position(line, column),
                Some((4 + i, 1)),
                "v{i}"
            );
        }
    }

    #[test]
    fn syntax_errors_point_into_the_typescript() {
        // Missing closing brace: reported at the end, and where the block opened.
        let e = error(
            "interface I {\n  a: number;\n}\nfunction f(a: I) {\n  if (a.a > 1) {\n    return a;\n}\n",
        );
        assert_eq!((e.line, e.column), (8, 1), "{e}");
        assert!(e.message.contains("Expected `}`"), "{e}");
        assert!(e.message.contains("Opened here at 4:18"), "{e}");
        assert_eq!(e.file, "script.ts");

        // Bad token.
        let e = error("type T = number;\nlet a: T = §1;\n");
        assert_eq!((e.line, e.column), (2, 12), "{e}");
        assert!(e.message.starts_with("Invalid Character `§`"), "{e}");
        assert_eq!(e.snippet, "let a: T = §1;\n           ^");

        // Missing type.
        let e = error("let x: = 1;\n");
        assert_eq!((e.line, e.column), (1, 8), "{e}");
        assert_eq!(e.snippet, "let x: = 1;\n       ^");
        assert_eq!(e.to_string(), format!("script.ts:1:8: {}", e.message));

        // Unterminated string.
        let e = error("interface I { a: string }\nconst s: I = { a: \"abc };\nlet y = 2;\n");
        assert_eq!((e.line, e.column), (2, 19), "{e}");
        assert!(e.message.contains("Unterminated string"), "{e}");
        assert_eq!(e.snippet, "const s: I = { a: \"abc };\n                  ^");

        // Unterminated template literal.
        let e = error("let t = `a ${1}\n");
        assert_eq!((e.line, e.column), (1, 15), "{e}");
        assert!(e.message.contains("Unterminated"), "{e}");
    }

    #[test]
    fn semantic_errors_are_found_and_counted() {
        let e = error("let a = 1;\nlet b = 2;\nlet a = 3;\nlet b = 4;\n");
        assert_eq!((e.line, e.column), (3, 5), "{e}");
        assert!(e.message.contains("(and 1 more)"), "{e}");

        let e = error("function f() {\n  await g();\n}\n");
        assert_eq!((e.line, e.column), (2, 3), "{e}");
        assert!(e.message.contains("async"), "{e}");

        let e = error("class A { #x = 1; m() { return this.#y; } }\n");
        assert_eq!((e.line, e.column), (1, 37), "{e}");

        let e = error("return 1;\n");
        assert_eq!((e.line, e.column), (1, 1), "{e}");
    }

    #[test]
    fn unsupported_typescript_is_refused() {
        let e = error("function dec(c: any) {}\n\n  @dec class X {}\n");
        assert_eq!((e.line, e.column), (3, 3), "{e}");
        assert!(e.message.contains("decorators are not supported"), "{e}");

        let e = error("class Y { @log m() {} }\nfunction log() {}\n");
        assert_eq!((e.line, e.column), (1, 11), "{e}");

        let e = error("import fs = require('fs');\nfs.readFileSync('x');\n");
        assert!(e.message.contains("Import assignment"), "{e}");

        let e = error("const x = 1;\nexport = x;\n");
        assert_eq!(e.line, 2, "{e}");

        let e = error("namespace N {\n  export let counter = 0;\n}\n");
        assert_eq!(e.line, 2, "{e}");
    }

    #[test]
    fn positions_count_lines_and_utf16_columns_like_javascript() {
        let e = error("// CRLF\r\nconst s = \"héllo 😀\"; let x: = 1;\r\n");
        // 😀 is two UTF-16 code units: `=` is character 29, column 30.
        assert_eq!((e.line, e.column), (2, 30), "{e}");
        let caret = format!("{}^", " ".repeat(28));
        assert_eq!(
            e.snippet,
            format!("const s = \"héllo 😀\"; let x: = 1;\n{caret}")
        );

        let e = error("a;\rb;\u{2028}\tlet x: = 1;\n");
        assert_eq!((e.line, e.column), (3, 9), "{e}");
        assert_eq!(e.snippet, "\tlet x: = 1;\n\t       ^");

        let long = format!(
            "const s = '{}'; let x: = 1; // {}\n",
            "a".repeat(500),
            "b".repeat(500)
        );
        let e = error(&long);
        assert_eq!((e.line, e.column), (1, 522), "{e}");
        let (text, caret) = e.snippet.split_once('\n').expect("two lines");
        assert!(text.starts_with('…') && text.ends_with('…') && text.chars().count() < 200);
        assert_eq!(caret.chars().count(), 82);
        assert_eq!(text.chars().nth(81), Some('='));
    }

    #[test]
    fn empty_and_trivial_sources() {
        assert_eq!(strip("").code, "");
        assert!(strip("  \n// only a comment\n").code.trim().len() < 40);
        let e = error("}");
        assert_eq!((e.line, e.column), (1, 1), "{e}");
    }

    /// Random and truncated programs must give a result or an error, never a crash or panic.
    #[test]
    fn arbitrary_input_never_panics() {
        let mut checked = 0;
        for end in (0..=TYPED.len()).filter(|&end| TYPED.is_char_boundary(end)) {
            if let Err(e) = strip_types(&TYPED[..end], "cut.ts") {
                assert!(!e.message.contains("internal error"), "{e}");
            }
            checked += 1;
        }
        let pieces = [
            "(",
            ")",
            "[",
            "]",
            "{",
            "}",
            "<",
            ">",
            "`",
            "${",
            "'",
            "\"",
            "/",
            "*",
            "//",
            "/*",
            "*/",
            "\n",
            " ",
            "@",
            "#",
            "=>",
            ":",
            "?",
            ".",
            ",",
            ";",
            "x",
            "T",
            "1",
            "as",
            "type",
            "enum",
            "namespace",
            "class",
            "function",
            "async",
            "await",
            "import",
            "export",
            "let",
            "const",
            "extends",
            "keyof",
            "infer",
            "declare",
            "abstract",
            "!",
            "=",
            "+",
            "\\",
            "é",
            "\u{2028}",
            "\r",
        ];
        let mut seed: u64 = 0x5eed;
        for _ in 0..500 {
            let mut source = String::new();
            for _ in 0..40 {
                seed = seed
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1_442_695_040_888_963_407);
                source.push_str(pieces[(seed >> 33) as usize % pieces.len()]);
            }
            if let Err(e) = strip_types(&source, "fuzz.ts") {
                assert!(!e.message.contains("internal error"), "{e}\n{source:?}");
            }
            checked += 1;
        }
        println!("{checked} arbitrary inputs handled");
    }

    #[test]
    fn absurd_nesting_does_not_crash() {
        const N: usize = 100_000;
        let cases = [
            (
                "parens",
                format!("let x = {}1{};", "(".repeat(N), ")".repeat(N)),
            ),
            (
                "arrays",
                format!("let x = {}{};", "[".repeat(N), "]".repeat(N)),
            ),
            ("unclosed parens", format!("let x = {}", "(".repeat(N))),
            ("unclosed arrays", "[".repeat(N)),
            ("blocks", format!("{}{}", "{".repeat(N), "}".repeat(N))),
            (
                "generics",
                format!("let x: {}B{};", "A<".repeat(N), ">".repeat(N)),
            ),
            (
                "tuple types",
                format!("let x: {}{};", "[".repeat(N), "]".repeat(N)),
            ),
            ("nots", format!("let x = {}a;", "!".repeat(N))),
            ("sums", format!("let x = {}1;", "1+".repeat(N))),
            ("arrows", format!("let f = {}1;", "x=>".repeat(N))),
        ];
        for (name, source) in cases {
            let started = std::time::Instant::now();
            let outcome = match strip_types(&source, "deep.ts") {
                Ok(out) => {
                    // Deep output is not indented, so it stays linear in size.
                    assert!(
                        out.code.len() < 4 * source.len(),
                        "{name}: {} bytes",
                        out.code.len()
                    );
                    "transpiled".to_owned()
                }
                Err(e) => {
                    assert!(!e.message.contains("internal error"), "{name}: {e}");
                    format!("error at {}:{}", e.line, e.column)
                }
            };
            println!("{name:16} {N} deep: {outcome} in {:?}", started.elapsed());
        }
    }

    #[test]
    fn one_megabyte_script_timing() {
        let mut source = String::new();
        let mut i = 0;
        while source.len() < 1 << 20 {
            source.push_str(&format!(
                r#"export interface Item{i} {{
  id: string;
  tags: readonly string[];
  meta?: Record<string, unknown>;
}}
enum Kind{i} {{ A, B = "b" }}
export class Store{i}<T extends Item{i}> {{
  #items = new Map<string, T>();
  constructor(private readonly name: string) {{}}
  add(item: T): this {{ this.#items.set(item.id, item); return this; }}
  find(id: string): T | undefined {{ return this.#items.get(id) as T | undefined; }}
}}
export async function load{i}(ids: string[]): Promise<Item{i}[]> {{
  const store = new Store{i}<Item{i}>("s{i}");
  for (const id of ids) store.add({{ id, tags: [`${{id}}-${{Kind{i}.B}}`] }});
  return ids.map((id) => store.find(id)!).filter((x): x is Item{i} => x !== undefined);
}}
"#
            ));
            i += 1;
        }
        let started = std::time::Instant::now();
        let out = strip(&source);
        let elapsed = started.elapsed();
        let per_kib = elapsed / u32::try_from(source.len() >> 10).unwrap_or(1);
        println!(
            "1 MiB script: {} bytes of TypeScript -> {} bytes of JavaScript in {elapsed:?} ({per_kib:?}/KiB, stack reserved {} MiB)",
            source.len(),
            out.code.len(),
            stack_budget(&source) >> 20
        );
        let (line, column) = find(&out.code, &format!("async function load{}(", i - 1));
        let expected = find(&source, &format!("async function load{}(", i - 1));
        assert_eq!(out.original_position(line, column), Some(expected));
    }
}
