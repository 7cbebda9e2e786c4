use serde_json::json;

use super::{of_type, schema, schema_error};
use crate::inputs::schema_of;

#[test]
fn primitives_unknown_and_any() {
    let schema = of_type(
        "interface Input { a: string; b: number; c: boolean; d: null; e: unknown; f: any; g: object }",
        "Input",
    );
    assert_eq!(
        schema,
        json!({
            "type": "object",
            "properties": {
                "a": {"type": "string"},
                "b": {"type": "number"},
                "c": {"type": "boolean"},
                "d": {"type": "null"},
                "e": {},
                "f": {},
                "g": {"type": "object"},
            },
            "required": ["a", "b", "c", "d", "e", "f", "g"],
            "additionalProperties": false,
        })
    );
    assert_eq!(of_type("", "string"), json!({"type": "string"}));
}

#[test]
fn optional_fields_undefined_and_null() {
    let schema = of_type(
        "type Input = { a?: string; b: number | undefined; c: string | null; d?: (boolean | null) | undefined }",
        "Input",
    );
    assert_eq!(
        schema,
        json!({
            "type": "object",
            "properties": {
                "a": {"type": "string"},
                "b": {"type": "number"},
                "c": {"type": ["string", "null"]},
                "d": {"type": ["boolean", "null"]},
            },
            "required": ["c"],
            "additionalProperties": false,
        })
    );
}

#[test]
fn literal_types_and_unions_of_literals() {
    let schema = of_type(
        "type Input = { mode: 'fast' | \"slow\"; one: 'only'; n: 1 | 2 | -3; flag: true | false; t: `tpl`; maybe: 'a' | null; yes: true }",
        "Input",
    );
    let properties = &schema["properties"];
    assert_eq!(properties["mode"], json!({"enum": ["fast", "slow"]}));
    assert_eq!(properties["one"], json!({"const": "only"}));
    assert_eq!(properties["n"], json!({"enum": [1, 2, -3]}));
    assert_eq!(properties["flag"], json!({"type": "boolean"}));
    assert_eq!(properties["t"], json!({"const": "tpl"}));
    assert_eq!(properties["maybe"], json!({"enum": ["a", null]}));
    assert_eq!(properties["yes"], json!({"const": true}));
}

#[test]
fn unions_of_other_types_are_any_of() {
    let schema = of_type(
        "type Input = { a: string | number; b: string | number | null; c: 'x' | number; d: string[] | { id: string } }",
        "Input",
    );
    let properties = &schema["properties"];
    assert_eq!(
        properties["a"],
        json!({"anyOf": [{"type": "string"}, {"type": "number"}]})
    );
    assert_eq!(
        properties["b"],
        json!({"anyOf": [{"type": "string"}, {"type": "number"}, {"type": "null"}]})
    );
    assert_eq!(
        properties["c"],
        json!({"anyOf": [{"type": "number"}, {"const": "x"}]})
    );
    assert_eq!(
        properties["d"]["anyOf"][1]["required"],
        json!(["id"]),
        "{properties:#}"
    );
}

#[test]
fn arrays_in_every_spelling() {
    for ty in [
        "string[]",
        "Array<string>",
        "readonly string[]",
        "ReadonlyArray<string>",
        "(string)[]",
    ] {
        assert_eq!(
            of_type("", ty),
            json!({"type": "array", "items": {"type": "string"}}),
            "{ty}"
        );
    }
    assert_eq!(
        of_type("", "number[][]"),
        json!({"type": "array", "items": {"type": "array", "items": {"type": "number"}}})
    );
}

#[test]
fn tuples_are_prefix_items() {
    assert_eq!(
        of_type("", "[string, number]"),
        json!({
            "type": "array",
            "prefixItems": [{"type": "string"}, {"type": "number"}],
            "minItems": 2,
            "items": false,
            "maxItems": 2,
        })
    );
    assert_eq!(
        of_type("", "[name: string, age?: number]"),
        json!({
            "type": "array",
            "prefixItems": [{"type": "string"}, {"type": "number"}],
            "minItems": 1,
            "items": false,
            "maxItems": 2,
        })
    );
    assert_eq!(of_type("", "[string, boolean?]")["minItems"], json!(1));
    assert_eq!(
        of_type("", "[first: string, ...rest: number[]]"),
        of_type("", "[string, ...number[]]")
    );
    assert_eq!(
        of_type("", "[string, ...number[]]"),
        json!({
            "type": "array",
            "prefixItems": [{"type": "string"}],
            "minItems": 1,
            "items": {"type": "number"},
        })
    );
}

#[test]
fn nested_objects_records_and_index_signatures() {
    let schema = of_type(
        "type Input = { contact: { name: string; tags: string[] }; scores: Record<string, number>; \
         sizes: Record<'small' | 'large', number>; extra: { [key: string]: boolean } }",
        "Input",
    );
    let properties = &schema["properties"];
    assert_eq!(
        properties["contact"],
        json!({
            "type": "object",
            "properties": {
                "name": {"type": "string"},
                "tags": {"type": "array", "items": {"type": "string"}},
            },
            "required": ["name", "tags"],
            "additionalProperties": false,
        })
    );
    assert_eq!(
        properties["scores"],
        json!({"type": "object", "additionalProperties": {"type": "number"}})
    );
    assert_eq!(
        properties["sizes"],
        json!({
            "type": "object",
            "properties": {"small": {"type": "number"}, "large": {"type": "number"}},
            "required": ["small", "large"],
            "additionalProperties": false,
        })
    );
    assert_eq!(
        properties["extra"],
        json!({"type": "object", "additionalProperties": {"type": "boolean"}})
    );
}

#[test]
fn quoted_and_numeric_property_keys() {
    let schema = of_type("", "{ 'a b': string; 1: number; \"c\"?: boolean }");
    assert_eq!(
        schema["properties"],
        json!({"a b": {"type": "string"}, "1": {"type": "number"}, "c": {"type": "boolean"}})
    );
    assert_eq!(schema["required"], json!(["a b", "1"]));
}

#[test]
fn jsdoc_comments_become_descriptions() {
    let schema = of_type(
        "/** What to attach. */\n\
         export interface Input {\n\
           /** The transcript's id. */\n\
           transcriptId: string;\n\
           /**\n\
            * The contact to attach it to.\n\
            * Their CRM id.\n\
            * @example \"c-1\"\n\
            */\n\
           contactId: string;\n\
           // not JSDoc\n\
           note?: string;\n\
           /** The priority. */ priority: Priority;\n\
           /** Overrides the type's own. */ other: Priority;\n\
         }\n\
         /** How urgent. */\n\
         type Priority = 'low' | 'high';",
        "Input",
    );
    assert_eq!(schema["description"], "What to attach.");
    let properties = &schema["properties"];
    assert_eq!(
        properties["transcriptId"]["description"],
        "The transcript's id."
    );
    assert_eq!(
        properties["contactId"]["description"],
        "The contact to attach it to.\nTheir CRM id."
    );
    assert_eq!(properties["note"].get("description"), None);
    assert_eq!(
        properties["priority"],
        json!({"enum": ["low", "high"], "description": "The priority."})
    );
    assert_eq!(
        properties["other"]["description"],
        "Overrides the type's own."
    );
    assert_eq!(
        of_type("/** How urgent. */\ntype P = 'low' | 'high';", "{ p: P }")["properties"]["p"]["description"],
        "How urgent."
    );
}

#[test]
fn named_types_resolve_recursively_with_extends_and_merging() {
    let schema = of_type(
        "interface Base { id: string }\n\
         interface Input extends Base { contact: Contact; more: Extra }\n\
         interface Input { note?: string }\n\
         type Contact = { name: Name };\n\
         type Name = string;\n\
         type Extra = { a: number } & { b?: boolean };",
        "Input",
    );
    assert_eq!(
        schema,
        json!({
            "type": "object",
            "properties": {
                "id": {"type": "string"},
                "contact": {
                    "type": "object",
                    "properties": {"name": {"type": "string"}},
                    "required": ["name"],
                    "additionalProperties": false,
                },
                "more": {
                    "type": "object",
                    "properties": {"a": {"type": "number"}, "b": {"type": "boolean"}},
                    "required": ["a"],
                    "additionalProperties": false,
                },
                "note": {"type": "string"},
            },
            "required": ["id", "contact", "more"],
            "additionalProperties": false,
        })
    );
    // The same named type twice is fine: only a cycle is refused.
    let twice = of_type("type A = { x: string }; type B = { a: A; b: A };", "B");
    assert_eq!(twice["properties"]["a"], twice["properties"]["b"]);
    assert_eq!(
        of_type("type A = { x: string };", "Partial<Readonly<A>>"),
        json!({"type": "object", "properties": {"x": {"type": "string"}}, "additionalProperties": false})
    );
}

#[test]
fn every_form_of_default_export() {
    let object = json!({
        "type": "object",
        "properties": {"id": {"type": "string"}},
        "required": ["id"],
        "additionalProperties": false,
    });
    for source in [
        "export default async function (input: { id: string }) {}",
        "export default async function main(input: { id: string }, extra: number) {}",
        "export default async (input: { id: string }) => {}",
        "export default (async (input: { id: string }) => {});",
        "async function main(input: { id: string }) {}\nexport default main;",
        "export default main;\nfunction main(input: { id: string }) {}",
        "const main = async ({ id }: { id: string }) => id;\nexport default main;",
        "async function main(input: { id: string }) {}\nexport { main as default };",
    ] {
        assert_eq!(schema(source), object, "{source}");
    }
}

#[test]
fn no_schema_without_a_parameter_or_a_function() {
    for source in [
        "console.log(1);",
        "export default 42;",
        "export default { a: 1 };",
        "export default async function () {}",
        "export default async () => 1;",
        "import f from './x.ts';\nexport default f;",
        "export const x = (input: string) => input;",
        "export default class { constructor(input: string) {} }",
    ] {
        assert_eq!(
            schema_of(source, "scripts/index.ts").unwrap(),
            None,
            "{source}"
        );
    }
}

#[test]
fn an_untyped_parameter_takes_any_json() {
    assert_eq!(
        schema("export default async function (input) {}"),
        json!({})
    );
    let js = schema_of("export default async function (input) {}", "main.js")
        .unwrap()
        .unwrap();
    assert_eq!(
        js,
        json!({"$schema": "https://json-schema.org/draft/2020-12/schema"})
    );
}

#[test]
fn a_date_is_refused_with_the_field_line_column_and_what_to_use() {
    let source = "interface Input {\n  id: string;\n  /** When. */\n  when: Date;\n}\n\
                  export default async function (input: Input) {}\n";
    assert_eq!(
        schema_error(source),
        "scripts/index.ts:4:9: the input type `Input`, field `when`: `Date` cannot be a JSON input; use an ISO 8601 string (`string`)"
    );
}

#[test]
fn types_json_cannot_carry_are_refused_naming_the_part() {
    let cases: &[(&str, &str, &str)] = &[
        (
            "",
            "{ f: () => void }",
            "field `f`: the function type `() => void`",
        ),
        (
            "",
            "{ a: { b: bigint } }",
            "field `a.b`: `bigint` cannot be a JSON input",
        ),
        ("", "{ s: symbol }", "`symbol` cannot be a JSON input"),
        (
            "",
            "{ xs: Date[] }",
            "field `xs[]`: `Date` cannot be a JSON input",
        ),
        ("", "{ m: Map<string, number> }", "use an object type"),
        ("", "{ s: Set<string> }", "use an array"),
        (
            "",
            "{ p: Promise<string> }",
            "`Promise<string>` cannot be a JSON input",
        ),
        (
            "type Box<T> = { v: T };",
            "Box<string>",
            "the generic type `Box<string>`",
        ),
        (
            "type Box<T> = { v: T };",
            "{ b: Box }",
            "the generic type `Box`",
        ),
        (
            "",
            "Pick<{ a: string }, 'a'>",
            "the generic type `Pick<{ a: string }, 'a'>`",
        ),
        (
            "import type { T } from './types.ts';",
            "T",
            "`T` is imported from `./types.ts`",
        ),
        ("", "Missing", "`Missing` is not declared in the script"),
        ("", "{ [K in 'a']: string }", "the mapped type"),
        ("", "string extends number ? 1 : 2", "the conditional type"),
        (
            "interface I extends Other { a: string }",
            "I",
            "`I` extends `Other`, which is not an interface declared in the script",
        ),
        ("", "{ a: string } & string", "cannot be merged"),
        (
            "type Node = { next?: Node };",
            "Node",
            "`Node` refers to itself",
        ),
        ("enum Color { Red }", "{ c: Color }", "`Color` is an enum"),
        ("class C {}", "C", "`C` is a class"),
        (
            "",
            "{ run(): void }",
            "the method `run` cannot be a JSON input",
        ),
        ("", "{ k: keyof { a: string } }", "list the keys as a union"),
        ("", "{ u: undefined }", "`undefined` cannot be a JSON input"),
        ("", "{ n: never }", "`never` accepts no input"),
        ("", "{ [k: number]: string }", "JSON keys are strings"),
        ("", "`a${string}`", "the template literal type"),
        ("", "{ a: 1n }", "the literal type `1n`"),
        ("", "typeof globalThis", "is not supported in an input type"),
        ("", "NS.T", "the qualified type name `NS.T`"),
        (
            "",
            "{ a: string } & { a: number }",
            "the field `a` is declared twice",
        ),
    ];
    for (declarations, ty, expected) in cases {
        let source = format!("{declarations}\nexport default async function (input: {ty}) {{}}\n");
        let error = schema_error(&source);
        assert!(
            error.contains(expected) && error.starts_with("scripts/index.ts:"),
            "{ty}: {error}"
        );
    }
    let rest = schema_error("export default async function (...args: string[]) {}");
    assert!(rest.contains("rest parameter"), "{rest}");
}

#[test]
fn errors_give_the_position_of_the_part() {
    let error = schema_error(
        "type A = {\n  ok: string;\n  bad: symbol;\n};\nexport default (input: A) => 1;",
    );
    assert!(
        error.starts_with("scripts/index.ts:3:8: the input type `A`, field `bad`:"),
        "{error}"
    );
}

#[test]
fn deep_and_exploding_types_are_bounded() {
    let deep = format!("{}string{}", "{ a: ".repeat(200), " }".repeat(200));
    let error = schema_error(&format!(
        "export default async function (input: {deep}) {{}}"
    ));
    assert!(error.contains("nested more than 64 levels"), "{error}");

    let mut declarations = String::from("type T0 = { x: string };\n");
    for i in 1..16 {
        declarations.push_str(&format!("type T{i} = {{ a: T{p}; b: T{p} }};\n", p = i - 1));
    }
    let error = schema_error(&format!(
        "{declarations}export default async function (input: T15) {{}}"
    ));
    assert!(
        error.contains("too large once its named types are expanded"),
        "{error}"
    );
}

#[test]
fn syntax_errors_are_located() {
    let error = schema_error("const x = ;\nexport default async function (input: string) {}");
    assert!(error.starts_with("scripts/index.ts:1:"), "{error}");
}

#[test]
fn a_deeply_nested_script_does_not_overflow_the_stack() {
    let source = format!(
        "const x = {}1{};\nexport default async function (input: string) {{}}",
        "(".repeat(20_000),
        ")".repeat(20_000)
    );
    assert_eq!(schema(&source), json!({"type": "string"}));
}
