//! Unit tests of the typed-input engine: schemas (`schema.rs`), checking and `--input`
//! (`check.rs`), lifting (`lift.rs`).

mod check;
mod lift;
mod schema;

use serde_json::Value;

/// The schema of `source`'s default export, which must have one.
fn schema(source: &str) -> Value {
    let mut schema = super::schema_of(source, "scripts/index.ts")
        .unwrap_or_else(|e| panic!("{e}"))
        .expect("a schema");
    assert_eq!(schema["$schema"], super::SCHEMA_DIALECT);
    jsonschema::validator_for(&schema).expect("the schema compiles");
    schema.as_object_mut().unwrap().remove("$schema");
    schema
}

/// The error `schema_of` gives for `source`.
fn schema_error(source: &str) -> String {
    match super::schema_of(source, "scripts/index.ts") {
        Ok(schema) => panic!("expected an error, got {schema:?}"),
        Err(e) => e.to_string(),
    }
}

/// `export default async function (input: <ty>) {}` after `declarations`.
fn of_type(declarations: &str, ty: &str) -> Value {
    schema(&format!(
        "{declarations}\nexport default async function (input: {ty}) {{}}\n"
    ))
}

/// Every prefix of a script full of types and literals: errors, never a panic.
#[test]
fn truncated_scripts_never_panic() {
    let source = r#"import { crm } from "./servers/crm/index.ts";
/** Doc. */
export interface Input extends Base { a?: string | null; b: [x: number, ...y: string[]]; c: Record<"k", 1 | -2> }
interface Base { /** d */ d: { [k: string]: boolean }; e: readonly `t`[] }
type U = Input & { f: Array<"g"> };
const h = await crm.find({ q: "q-1", n: 5, ok: true, t: `x${1}` });
export default async function main(input: U) { return [h, -3]; }
"#;
    let params = [super::Param {
        name: "q".into(),
        literal: "q-1".into(),
        description: None,
    }];
    let full = schema(source);
    assert_eq!(
        full["required"],
        serde_json::json!(["d", "e", "b", "c", "f"]),
        "{full:#}"
    );
    for end in (0..=source.len()).filter(|&i| source.is_char_boundary(i)) {
        let prefix = &source[..end];
        let _ = super::schema_of(prefix, "scripts/index.ts");
        let _ = super::lift(prefix, "scripts/index.ts", &params);
    }
}
