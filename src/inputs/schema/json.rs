//! Building JSON Schema values.

use serde_json::{Map, Value, json};

/// An object schema this module made (`type: object`, nothing that combines schemas).
pub(super) fn is_object_schema(schema: &Value) -> bool {
    schema.get("type") == Some(&json!("object"))
        && schema.get("anyOf").is_none()
        && schema.get("enum").is_none()
        && schema.get("const").is_none()
}

/// One value as `const`, several as `enum`.
pub(super) fn enumeration(mut values: Vec<Value>) -> Value {
    if values.len() == 1 {
        json!({"const": values.remove(0)})
    } else {
        json!({"enum": values})
    }
}

/// `schema` or `null`.
pub(super) fn or_null(mut schema: Value) -> Value {
    let fields = match schema.as_object_mut() {
        Some(fields) => fields,
        None => return json!({"anyOf": [schema, {"type": "null"}]}),
    };
    if let Some(Value::Array(values)) = fields.get_mut("enum") {
        values.push(Value::Null);
        return schema;
    }
    if let Some(value) = fields.remove("const") {
        fields.insert("enum".into(), json!([value, null]));
        return schema;
    }
    if let Some(Value::String(ty)) = fields.get("type") {
        let ty = ty.clone();
        fields.insert("type".into(), json!([ty, "null"]));
        return schema;
    }
    if fields.is_empty() {
        return schema; // `unknown | null` is still anything
    }
    json!({"anyOf": [schema, {"type": "null"}]})
}

/// Sets `description`, keeping it second after `type` (or first) for readable schemas.
pub(super) fn describe(schema: &mut Value, description: String) {
    let Some(fields) = schema.as_object_mut() else {
        return;
    };
    let mut described = Map::new();
    let mut placed = false;
    if let Some(ty) = fields.remove("type") {
        described.insert("type".into(), ty);
    }
    for (key, value) in std::mem::take(fields) {
        if key == "description" {
            continue;
        }
        if !placed {
            described.insert("description".into(), Value::String(description.clone()));
            placed = true;
        }
        described.insert(key, value);
    }
    if !placed {
        described.insert("description".into(), Value::String(description));
    }
    *fields = described;
}

/// A JSON number for an f64: an integer when it is one (and exactly representable).
pub(in crate::inputs) fn json_number(value: f64) -> Option<Value> {
    const SAFE: f64 = 9_007_199_254_740_991.0;
    if value.fract() == 0.0 && value.abs() <= SAFE {
        #[expect(clippy::cast_possible_truncation, reason = "integral and within ±2^53")]
        return Some(Value::from(value as i64));
    }
    serde_json::Number::from_f64(value).map(Value::Number)
}
