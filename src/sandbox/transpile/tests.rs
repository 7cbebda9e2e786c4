use super::position::locate;
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
