use serde_json::json;

use crate::error::Diagnose;
use crate::inputs::{Field, FieldType, InputError, Param, check, lift, schema_of};

const SCRIPT: &str = r#"import { crm } from "./servers/crm/index.ts";
import * as transcript from "./servers/transcript/index.ts";

// Attach a transcript to a contact.
const t = await transcript.get({ id: "t-42" });
const contact = await crm.findContact({ email: 'ada@example.com', limit: 5 });
if (contact.count > 5 && true) {
  console.log(`t-42`, { "t-42": 1 }, contact.name === "t-42 copy");
}
type Mode = "t-42";
await crm.attach({ contact: contact.id, transcript: t.id, notify: true, retries: -3 });
export const summary = "done";
"#;

fn param(name: &str, literal: &str, description: Option<&str>) -> Param {
    Param {
        name: name.into(),
        literal: literal.into(),
        description: description.map(Into::into),
    }
}

fn lift_error(source: &str, params: &[Param]) -> InputError {
    match lift(source, "scripts/index.ts", params) {
        Ok(lifted) => panic!("expected an error, got {}", lifted.source),
        Err(e) => e,
    }
}

#[test]
fn literals_in_expressions_become_input_fields() {
    let lifted = lift(
        SCRIPT,
        "scripts/index.ts",
        &[
            param("transcriptId", "t-42", Some("The transcript to attach.")),
            param("email", "'ada@example.com'", None),
            param("limit", "5", Some("  ")),
            param("notify", "true", None),
            param("retries", "-3", None),
        ],
    )
    .unwrap();
    let expected = SCRIPT
        .replace(
            r#"transcript.get({ id: "t-42" })"#,
            "transcript.get({ id: input.transcriptId })",
        )
        .replace("console.log(`t-42`,", "console.log(input.transcriptId,")
        .replace(
            "'ada@example.com', limit: 5",
            "input.email, limit: input.limit",
        )
        .replace(
            "contact.count > 5 && true",
            "contact.count > input.limit && input.notify",
        )
        .replace(
            "notify: true, retries: -3",
            "notify: input.notify, retries: input.retries",
        );
    assert_eq!(lifted.source, expected);
    // Untouched: module specifiers, property keys, types, strings that only contain it.
    assert!(lifted.source.contains(r#"{ "t-42": 1 }"#));
    assert!(lifted.source.contains(r#"type Mode = "t-42";"#));
    assert!(lifted.source.contains(r#""t-42 copy""#));
    assert_eq!(
        lifted.input,
        json!({
            "transcriptId": "t-42",
            "email": "ada@example.com",
            "limit": 5,
            "notify": true,
            "retries": -3,
        })
    );
    assert_eq!(
        lifted.fields,
        vec![
            Field {
                name: "transcriptId".into(),
                ty: FieldType::String,
                description: Some("The transcript to attach.".into()),
            },
            Field {
                name: "email".into(),
                ty: FieldType::String,
                description: None,
            },
            Field {
                name: "limit".into(),
                ty: FieldType::Number,
                description: None,
            },
            Field {
                name: "notify".into(),
                ty: FieldType::Boolean,
                description: None,
            },
            Field {
                name: "retries".into(),
                ty: FieldType::Number,
                description: None,
            },
        ]
    );
}

#[test]
fn numbers_match_by_value_and_quotes_force_a_string() {
    let source = "const a = 42; const b = \"42\"; const c = 42.0; const d = 0x2a;";
    let number = lift(source, "s.ts", &[param("n", "42", None)]).unwrap();
    assert_eq!(
        number.source,
        "const a = input.n; const b = \"42\"; const c = input.n; const d = input.n;"
    );
    assert_eq!(number.input, json!({"n": 42}));
    let string = lift(source, "s.ts", &[param("s", "\"42\"", None)]).unwrap();
    assert_eq!(
        string.source,
        "const a = 42; const b = input.s; const c = 42.0; const d = 0x2a;"
    );
    assert_eq!(string.input, json!({"s": "42"}));
    assert_eq!(string.fields[0].ty, FieldType::String);

    // A number written only as a string is lifted as the string.
    let as_text = lift("f(\"7\");", "s.ts", &[param("n", "7", None)]).unwrap();
    assert_eq!(as_text.source, "f(input.n);");
    assert_eq!(as_text.input, json!({"n": "7"}));
    let as_text = lift(
        "f('true', 1.5);",
        "s.ts",
        &[param("b", "true", None), param("x", "1.5", None)],
    )
    .unwrap();
    assert_eq!(as_text.source, "f(input.b, input.x);");
    assert_eq!(as_text.input, json!({"b": "true", "x": 1.5}));
}

#[test]
fn only_expression_positions_are_replaced() {
    let source = r#""use strict";
import data from "x" with { type: "x" };
export * from "x";
export { y } from "x";
const m = await import("x");
const o = { x: 1, "x": 2, ["x"]: 3 };
class C { "x" = 1; x() {} }
enum E { A = "x" }
const t: "x" = tag`x`;
const v = o["x"] + "x";
"#;
    let lifted = lift(source, "s.ts", &[param("p", "x", None)]).unwrap();
    let expected = source.replace(
        r#"const v = o["x"] + "x";"#,
        "const v = o[input.p] + input.p;",
    );
    assert_eq!(lifted.source, expected);
}

#[test]
fn a_literal_only_inside_a_longer_string_says_where_and_how_to_split() {
    let error = lift_error(
        "const a = 1;\nconst url = \"https://x.test/t-42/view\";",
        &[param("id", "t-42", None)],
    );
    assert_eq!(
        error.to_string(),
        "scripts/index.ts:2:13: parameter `id`: t-42 occurs only inside the longer string \"https://x.test/t-42/view\""
    );
    assert!(
        error.hints()[0].starts_with("split the string"),
        "{:?}",
        error.hints()
    );
    let template = lift_error("log(`id ${x} t-42`);", &[param("id", "t-42", None)]);
    assert!(
        matches!(
            template,
            InputError::InsideString {
                line: 1,
                column: 5,
                ..
            }
        ),
        "{template:?}"
    );
}

#[test]
fn a_missing_literal_lists_what_the_script_has() {
    let error = lift_error(
        "f(\"a\", 1, true, `b`, \"a\", 2, 3, 4);",
        &[param("p", "zzz", None)],
    );
    assert_eq!(
        error.to_string(),
        "scripts/index.ts: parameter `p`: the literal zzz does not occur in the script"
    );
    assert_eq!(
        error.hints(),
        vec!["literals the script has: \"a\", 1, true, `b`, 2".to_owned()]
    );
    let none = lift_error("f(x);", &[param("p", "zzz", None)]);
    assert!(none.hints()[0].contains("no string, number or boolean literals"));
}

#[test]
fn scripts_that_cannot_be_lifted() {
    let error = lift_error(
        "const a = 1;\nexport default async function () { return 'x'; }",
        &[param("p", "x", None)],
    );
    assert_eq!(
        error.to_string(),
        "scripts/index.ts:2:1: the script already has a default export"
    );
    assert!(error.hints()[0].contains("pass its input type instead"));
    let specifier = lift_error(
        "const a = 'x';\nexport { a as default };",
        &[param("p", "x", None)],
    );
    assert!(
        matches!(specifier, InputError::HasDefaultExport { .. }),
        "{specifier:?}"
    );
    let taken = lift_error("const input = 'x';", &[param("p", "x", None)]);
    assert_eq!(
        taken.to_string(),
        "scripts/index.ts:1:7: the script already uses the name `input`"
    );
    let big = format!("const a = 'x';\n//{}\n", "-".repeat(1 << 20));
    assert!(matches!(
        lift_error(&big, &[param("p", "x", None)]),
        InputError::ScriptTooLarge { .. }
    ));
    let syntax = lift_error("const = ;", &[param("p", "x", None)]);
    assert!(
        syntax.to_string().starts_with("scripts/index.ts:1:"),
        "{syntax}"
    );
}

#[test]
fn parameters_are_checked_before_the_script() {
    let source = "f('x', 'y');";
    let bad = lift_error(source, &[param("1st", "x", None)]);
    assert_eq!(bad.to_string(), "parameter `1st`: not a valid identifier");
    assert!(!bad.hints().is_empty());
    assert!(matches!(
        lift_error(source, &[param("a-b", "x", None)]),
        InputError::BadName { .. }
    ));
    assert!(matches!(
        lift_error(source, &[param("__proto__", "x", None)]),
        InputError::BadName { .. }
    ));
    assert_eq!(
        lift_error(source, &[param("a", "x", None), param("a", "y", None)]).to_string(),
        "parameter `a` is given twice"
    );
    assert_eq!(
        lift_error(source, &[param("a", "", None)]).to_string(),
        "parameter `a`: the literal is empty"
    );
    assert_eq!(
        lift_error(source, &[param("a", "x", None), param("b", "'x'", None)]).to_string(),
        "parameters `a` and `b` both replace the literal 'x'"
    );
    let many: Vec<Param> = (0..33)
        .map(|i| param(&format!("p{i}"), "x", None))
        .collect();
    assert_eq!(
        lift_error(source, &many).to_string(),
        "33 parameters to lift; at most 32 can be lifted"
    );
}

#[test]
fn the_interface_declares_each_field_with_its_description() {
    let lifted = lift(
        "f('a', 1, false);",
        "s.ts",
        &[
            param("name", "a", Some("Who.")),
            param("count", "1", Some("How many.\nAt most 10; not */ this.")),
            param("dry", "false", None),
        ],
    )
    .unwrap();
    assert_eq!(
        lifted.interface("Input"),
        "export interface Input {\n  /** Who. */\n  name: string;\n  /**\n   * How many.\n   * At most 10; not *\\/ this.\n   */\n  count: number;\n  dry: boolean;\n}\n"
    );
}

#[test]
fn lift_round_trips_through_the_schema() {
    let lifted = lift(
        SCRIPT,
        "scripts/index.ts",
        &[
            param("transcriptId", "t-42", Some("The transcript to attach.")),
            param(
                "limit",
                "5",
                Some("How many contacts to look at.\nThe first match wins."),
            ),
            param("notify", "true", None),
        ],
    )
    .unwrap();
    let module = lifted.module("Input");
    assert!(
        module.starts_with(
            "import { crm } from \"./servers/crm/index.ts\";\nimport * as transcript from \"./servers/transcript/index.ts\";\n\nexport interface Input {\n"
        ),
        "{module}"
    );
    assert!(
        module.contains("\nexport default async function (input: Input) {\n// Attach"),
        "{module}"
    );
    assert!(
        module.contains("\nconst summary = \"done\";\n}\n"),
        "{module}"
    );

    let schema = schema_of(&module, "scripts/index.ts").unwrap().unwrap();
    assert_eq!(
        schema,
        json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "type": "object",
            "properties": {
                "transcriptId": {"type": "string", "description": "The transcript to attach."},
                "limit": {
                    "type": "number",
                    "description": "How many contacts to look at.\nThe first match wins.",
                },
                "notify": {"type": "boolean"},
            },
            "required": ["transcriptId", "limit", "notify"],
            "additionalProperties": false,
        })
    );
    check(&schema, &lifted.input).unwrap();
    check(
        &schema,
        &json!({"transcriptId": "t-7", "limit": 1, "notify": false}),
    )
    .unwrap();
    assert!(
        check(
            &schema,
            &json!({"transcriptId": 7, "limit": 1, "notify": false})
        )
        .is_err()
    );

    // The module is a valid module (no redeclarations, imports at the top).
    let allocator = oxc::allocator::Allocator::default();
    let parsed = oxc::parser::Parser::new(
        &allocator,
        &module,
        oxc::span::SourceType::ts().with_module(true),
    )
    .parse();
    assert!(parsed.diagnostics.is_empty(), "{:?}", parsed.diagnostics);
    let checked = oxc::semantic::SemanticBuilder::new()
        .with_check_syntax_error(true)
        .build(&parsed.program);
    assert!(checked.diagnostics.is_empty(), "{:?}", checked.diagnostics);
}

#[test]
fn a_script_without_imports_lifts_into_a_module_too() {
    let lifted = lift(
        "console.log('hi');\n",
        "s.ts",
        &[param("greeting", "hi", None)],
    )
    .unwrap();
    assert_eq!(
        lifted.module("Input"),
        "export interface Input {\n  greeting: string;\n}\n\nexport default async function (input: Input) {\nconsole.log(input.greeting);\n}\n"
    );
}
