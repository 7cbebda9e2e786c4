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
