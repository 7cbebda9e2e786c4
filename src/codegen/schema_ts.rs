//! JSON Schema → TypeScript types.
//!
//! A schema document (a tool's input or output schema) becomes a root type plus one named type
//! per `$defs`/`definitions` entry it reaches. Other local `$ref`s are inlined; remote ones are
//! `unknown`. Work is bounded by a depth limit and a per-document budget, so hostile schemas
//! (deep nesting, reference fan-out, cycles) degrade to `unknown` instead of hanging.

use std::collections::{HashMap, HashSet, VecDeque};

use serde_json::{Map, Value};

use super::alias_cycles::break_alias_cycles;
use super::jsdoc::schema_doc;
use super::names::{TypeNames, pascal_identifier};
use super::ts_type::{Declaration, ObjectType, Property, TsType, TupleItem, js_string};

/// Deepest schema nesting followed; anything deeper is `unknown`.
const MAX_DEPTH: usize = 64;

/// Work allowed per document: one unit per schema node or literal, plus one per
/// [`BYTES_PER_UNIT`] bytes of docs, string literals and references.
const BUDGET: usize = 20_000;
const BYTES_PER_UNIT: usize = 64;

/// The types generated from one schema document.
#[derive(Debug)]
pub(super) struct Lowered {
    /// The document's own type.
    pub root: Declaration,
    /// Named types for the definitions it reaches, in order of first use.
    pub definitions: Vec<Declaration>,
}

/// Converts `schema` into a declaration named `root_name`, naming its definitions
/// `<def_prefix><DefinitionPascal>` with names claimed from `names`.
pub(super) fn lower_document(
    schema: &Value,
    root_name: &str,
    def_prefix: &str,
    names: &mut TypeNames,
) -> Lowered {
    let mut lowerer = Lowerer {
        root: schema,
        root_name,
        def_prefix,
        names,
        definitions: HashMap::new(),
        pending: VecDeque::new(),
        inlining: Vec::new(),
        budget: BUDGET,
    };
    let ty = lowerer.lower(schema, 0);
    let doc = lowerer.doc(schema, None);
    let mut root = Declaration {
        name: root_name.to_owned(),
        doc,
        ty,
    };
    let mut definitions = Vec::new();
    while let Some(pending) = lowerer.pending.pop_front() {
        let ty = lowerer.lower(pending.schema, 1);
        let doc = lowerer.doc(pending.schema, Some(&pending.key));
        definitions.push(Declaration {
            name: pending.name,
            doc,
            ty,
        });
    }
    break_alias_cycles(std::iter::once(&mut root).chain(&mut definitions));
    Lowered { root, definitions }
}

/// A definition that has a name but no type yet.
struct PendingDefinition<'a> {
    name: String,
    key: String,
    schema: &'a Value,
}

struct Lowerer<'a, 'n> {
    root: &'a Value,
    root_name: &'a str,
    def_prefix: &'a str,
    names: &'n mut TypeNames,
    /// Type name of every definition referenced so far, by `<container>/<key>`.
    definitions: HashMap<String, String>,
    pending: VecDeque<PendingDefinition<'a>>,
    /// References being inlined right now (cycle guard).
    inlining: Vec<&'a str>,
    budget: usize,
}

/// The type a schema's `type` keyword (or its implied type) gives.
struct Base {
    ty: TsType,
    /// Adds nothing next to combinators: a bare `type`, or an object without properties.
    filler: bool,
}

impl<'a> Lowerer<'a, '_> {
    fn lower(&mut self, schema: &'a Value, depth: usize) -> TsType {
        if depth > MAX_DEPTH || self.budget == 0 {
            return TsType::Unknown;
        }
        self.budget -= 1;
        match schema {
            Value::Bool(false) => TsType::Never,
            Value::Object(map) => {
                let ty = self.lower_keywords(map, depth);
                if map.get("nullable") == Some(&Value::Bool(true)) {
                    TsType::union([ty, TsType::Null])
                } else {
                    ty
                }
            }
            _ => TsType::Unknown,
        }
    }

    fn lower_keywords(&mut self, map: &'a Map<String, Value>, depth: usize) -> TsType {
        if let Some(value) = map.get("const") {
            return self.literal(value, depth);
        }
        if let Some(Value::Array(values)) = map.get("enum") {
            return TsType::union(values.iter().map(|v| self.literal(v, depth)));
        }
        let mut parts = Vec::new();
        if let Some(Value::String(reference)) = map.get("$ref") {
            parts.push(self.lower_ref(reference, depth));
        }
        for member in array_keyword(map, "allOf") {
            parts.push(self.lower(member, depth + 1));
        }
        let base_at = parts.len();
        let base = self.lower_base(map, depth);
        for key in ["anyOf", "oneOf"] {
            let members = array_keyword(map, key);
            if !members.is_empty() {
                let types: Vec<TsType> = members.iter().map(|m| self.lower(m, depth + 1)).collect();
                parts.push(TsType::union(types));
            }
        }
        if let Some(base) = base {
            let others_say_more = parts.iter().any(|p| *p != TsType::Unknown);
            if !(base.filler && others_say_more) {
                parts.insert(base_at, base.ty);
            }
        }
        TsType::intersection(parts)
    }

    fn lower_base(&mut self, map: &'a Map<String, Value>, depth: usize) -> Option<Base> {
        let ty = match map.get("type") {
            Some(Value::String(name)) => self.lower_type(name, map, depth),
            Some(Value::Array(names)) => {
                let mut members = Vec::new();
                for name in names.iter().filter_map(Value::as_str) {
                    members.push(self.lower_type(name, map, depth));
                }
                if members.is_empty() {
                    return None;
                }
                return Some(Base {
                    ty: TsType::union(members),
                    filler: false,
                });
            }
            _ if has_object_keywords(map) => self.lower_object(map, depth),
            _ if has_array_keywords(map) => self.lower_array(map, depth),
            _ => return None,
        };
        let structureless = !has_object_keywords(map) && !has_array_keywords(map);
        let empty_object = matches!(&ty, TsType::Object(o) if o.properties.is_empty()
            && o.index.as_deref().is_none_or(|i| *i == TsType::Unknown));
        Some(Base {
            filler: structureless || empty_object,
            ty,
        })
    }

    fn lower_type(&mut self, name: &str, map: &'a Map<String, Value>, depth: usize) -> TsType {
        match name {
            "string" => TsType::String,
            "number" | "integer" => TsType::Number,
            "boolean" => TsType::Boolean,
            "null" => TsType::Null,
            "object" => self.lower_object(map, depth),
            "array" => self.lower_array(map, depth),
            _ => TsType::Unknown,
        }
    }

    fn lower_object(&mut self, map: &'a Map<String, Value>, depth: usize) -> TsType {
        let required: HashSet<&str> = match map.get("required") {
            Some(Value::Array(names)) => names.iter().filter_map(Value::as_str).collect(),
            _ => HashSet::new(),
        };
        let declared = match map.get("properties") {
            Some(Value::Object(properties)) => Some(properties),
            _ => None,
        };
        let mut properties = Vec::new();
        for (name, schema) in declared.into_iter().flatten() {
            let ty = self.lower(schema, depth + 1);
            let doc = self.doc(schema, Some(name));
            properties.push(Property {
                name: name.clone(),
                optional: !required.contains(name.as_str()),
                ty,
                doc,
            });
        }
        // Required names without a schema must still be present.
        if let Some(Value::Array(names)) = map.get("required") {
            let mut seen = HashSet::new();
            for name in names.iter().filter_map(Value::as_str) {
                if !declared.is_some_and(|d| d.contains_key(name)) && seen.insert(name) {
                    properties.push(Property {
                        name: name.to_owned(),
                        optional: false,
                        ty: TsType::Unknown,
                        doc: Vec::new(),
                    });
                }
            }
        }
        let mut index_members = Vec::new();
        if let Some(Value::Object(patterns)) = map.get("patternProperties") {
            for schema in patterns.values() {
                index_members.push(self.lower(schema, depth + 1));
            }
        }
        let additional = map.get("additionalProperties");
        match additional {
            None | Some(Value::Bool(false)) => {}
            Some(schema) => index_members.push(self.lower(schema, depth + 1)),
        }
        let index = if !properties.is_empty() {
            // Properties must fit the index type, so only `unknown` is safe next to them.
            (!index_members.is_empty()).then_some(TsType::Unknown)
        } else if !index_members.is_empty() {
            Some(TsType::union(index_members))
        } else if additional == Some(&Value::Bool(false)) {
            None
        } else {
            Some(TsType::Unknown)
        };
        TsType::Object(ObjectType {
            properties,
            index: index.map(Box::new),
        })
    }

    fn lower_array(&mut self, map: &'a Map<String, Value>, depth: usize) -> TsType {
        let (prefix, rest) = match (map.get("prefixItems"), map.get("items")) {
            (Some(Value::Array(prefix)), items) => (Some(prefix), items),
            (_, Some(Value::Array(prefix))) => (Some(prefix), map.get("additionalItems")),
            (_, items) => (None, items),
        };
        let Some(prefix) = prefix else {
            let item = rest.map_or(TsType::Unknown, |s| self.lower(s, depth + 1));
            return TsType::Array(Box::new(item));
        };
        let min = map.get("minItems").and_then(Value::as_u64).unwrap_or(0);
        let max = map.get("maxItems").and_then(Value::as_u64);
        let shown = max.map_or(prefix.len(), |m| prefix.len().min(saturating_usize(m)));
        let mut items = Vec::new();
        for (position, schema) in prefix.iter().take(shown).enumerate() {
            let ty = self.lower(schema, depth + 1);
            let optional = u64::try_from(position).map_or(true, |p| p >= min);
            items.push(TupleItem { ty, optional });
        }
        let rest_allowed = max.is_none_or(|m| m > u64::try_from(prefix.len()).unwrap_or(u64::MAX))
            && rest != Some(&Value::Bool(false));
        let rest = if rest_allowed {
            Some(rest.map_or(TsType::Unknown, |s| self.lower(s, depth + 1)))
        } else {
            None
        };
        match rest.filter(|r| *r != TsType::Never) {
            Some(rest) if items.is_empty() => TsType::Array(Box::new(rest)),
            rest => TsType::Tuple {
                items,
                rest: rest.map(Box::new),
            },
        }
    }

    /// The type of exactly `value`: a literal, or a tuple/object of literals.
    fn literal(&mut self, value: &Value, depth: usize) -> TsType {
        if depth > MAX_DEPTH || self.budget == 0 {
            return TsType::Unknown;
        }
        self.budget -= 1;
        match value {
            Value::Null => TsType::Null,
            Value::Bool(b) => TsType::Literal(b.to_string()),
            Value::Number(n) => TsType::Literal(n.to_string()),
            Value::String(s) => {
                self.charge(s.len());
                TsType::Literal(js_string(s))
            }
            Value::Array(items) => TsType::Tuple {
                items: items
                    .iter()
                    .map(|item| TupleItem {
                        ty: self.literal(item, depth + 1),
                        optional: false,
                    })
                    .collect(),
                rest: None,
            },
            Value::Object(map) => TsType::Object(ObjectType {
                properties: map
                    .iter()
                    .map(|(name, value)| Property {
                        name: name.clone(),
                        optional: false,
                        ty: self.literal(value, depth + 1),
                        doc: Vec::new(),
                    })
                    .collect(),
                index: None,
            }),
        }
    }

    /// Charges the budget for handling `bytes` bytes of schema text.
    fn charge(&mut self, bytes: usize) {
        self.budget = self.budget.saturating_sub(bytes / BYTES_PER_UNIT);
    }

    fn lower_ref(&mut self, reference: &'a str, depth: usize) -> TsType {
        self.charge(reference.len());
        let Some(segments) = local_pointer(reference) else {
            return TsType::Unknown;
        };
        if segments.is_empty() {
            return TsType::Named(self.root_name.to_owned());
        }
        let Some(target) = resolve(self.root, &segments) else {
            return TsType::Unknown;
        };
        if let [container, key] = segments.as_slice()
            && (container == "$defs" || container == "definitions")
        {
            return TsType::Named(self.definition_name(container, key, target));
        }
        if self.inlining.contains(&reference) {
            return TsType::Unknown;
        }
        self.inlining.push(reference);
        let ty = self.lower(target, depth + 1);
        self.inlining.pop();
        ty
    }

    /// The type name of a definition, queuing it for lowering on first use.
    fn definition_name(&mut self, container: &str, key: &str, schema: &'a Value) -> String {
        let id = format!("{container}/{key}");
        if let Some(name) = self.definitions.get(&id) {
            return name.clone();
        }
        let base = format!("{}{}", self.def_prefix, pascal_identifier(key, "Def"));
        let name = self.names.claim(&base);
        self.definitions.insert(id, name.clone());
        self.pending.push_back(PendingDefinition {
            name: name.clone(),
            key: key.to_owned(),
            schema,
        });
        name
    }

    /// JSDoc lines for `schema`, charged to the budget.
    fn doc(&mut self, schema: &Value, name: Option<&str>) -> Vec<String> {
        let mut lines = schema_doc(schema, name);
        if let Some(reference) = schema.get("$ref").and_then(Value::as_str)
            && local_pointer(reference).is_none_or(|s| resolve(self.root, &s).is_none())
        {
            lines.push(format!(
                "`$ref` {} cannot be resolved within this schema; typed as `unknown`.",
                js_string(reference)
            ));
        }
        self.charge(lines.iter().map(String::len).sum());
        lines
    }
}

fn saturating_usize(n: u64) -> usize {
    usize::try_from(n).unwrap_or(usize::MAX)
}

fn array_keyword<'a>(map: &'a Map<String, Value>, key: &str) -> &'a [Value] {
    match map.get(key) {
        Some(Value::Array(items)) => items,
        _ => &[],
    }
}

fn has_object_keywords(map: &Map<String, Value>) -> bool {
    [
        "properties",
        "additionalProperties",
        "patternProperties",
        "required",
    ]
    .iter()
    .any(|k| map.contains_key(*k))
}

fn has_array_keywords(map: &Map<String, Value>) -> bool {
    ["items", "prefixItems", "additionalItems"]
        .iter()
        .any(|k| map.contains_key(*k))
}

/// The decoded JSON pointer segments of a same-document reference (`#`, `#/a/b`), or `None`
/// for remote references and anchors.
fn local_pointer(reference: &str) -> Option<Vec<String>> {
    let fragment = percent_decode(reference.strip_prefix('#')?)?;
    if fragment.is_empty() {
        return Some(Vec::new());
    }
    let path = fragment.strip_prefix('/')?;
    Some(
        path.split('/')
            .map(|s| s.replace("~1", "/").replace("~0", "~"))
            .collect(),
    )
}

/// Decodes `%XX` escapes of a URI fragment; `None` if the result is not UTF-8.
fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&byte) = bytes.get(i) {
        let escaped = match (byte, bytes.get(i + 1), bytes.get(i + 2)) {
            (b'%', Some(&hi), Some(&lo)) => hex_value(hi).zip(hex_value(lo)),
            _ => None,
        };
        match escaped {
            Some((hi, lo)) => {
                out.push(hi << 4 | lo);
                i += 3;
            }
            None => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

fn hex_value(digit: u8) -> Option<u8> {
    char::from(digit)
        .to_digit(16)
        .and_then(|d| u8::try_from(d).ok())
}

/// Follows pointer segments from `root`.
fn resolve<'a>(root: &'a Value, segments: &[String]) -> Option<&'a Value> {
    segments.iter().try_fold(root, |node, segment| match node {
        Value::Object(map) => map.get(segment),
        Value::Array(items) => segment.parse::<usize>().ok().and_then(|i| items.get(i)),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    /// All declarations of a document whose root is `Root` and definitions `T<Name>`.
    fn decls(schema: Value) -> String {
        let mut names = TypeNames::new(["Root"]);
        let lowered = lower_document(&schema, "Root", "T", &mut names);
        std::iter::once(&lowered.root)
            .chain(&lowered.definitions)
            .map(Declaration::render)
            .collect()
    }

    /// The root type alone, printed.
    fn ty(schema: Value) -> String {
        let mut names = TypeNames::new(["Root"]);
        lower_document(&schema, "Root", "T", &mut names)
            .root
            .ty
            .render(0)
    }

    #[test]
    fn boolean_and_empty_schemas() {
        assert_eq!(ty(json!(true)), "unknown");
        assert_eq!(ty(json!(false)), "never");
        assert_eq!(ty(json!({})), "unknown");
        assert_eq!(ty(json!({"description": "x"})), "unknown");
        assert_eq!(ty(json!(42)), "unknown");
    }

    #[test]
    fn primitive_types() {
        assert_eq!(ty(json!({"type": "string"})), "string");
        assert_eq!(ty(json!({"type": "integer"})), "number");
        assert_eq!(ty(json!({"type": "number"})), "number");
        assert_eq!(ty(json!({"type": "boolean"})), "boolean");
        assert_eq!(ty(json!({"type": "null"})), "null");
        assert_eq!(ty(json!({"type": "weird"})), "unknown");
    }

    #[test]
    fn type_arrays_and_nullable() {
        assert_eq!(ty(json!({"type": ["string", "null"]})), "string | null");
        assert_eq!(
            ty(json!({"type": ["string", "number", "boolean", "null"]})),
            "string | number | boolean | null"
        );
        assert_eq!(
            ty(json!({"type": "string", "nullable": true})),
            "string | null"
        );
        assert_eq!(
            ty(json!({"type": ["object", "null"]})),
            "Record<string, unknown> | null"
        );
        assert_eq!(ty(json!({"type": []})), "unknown");
    }

    #[test]
    fn enums_and_consts_are_json_literals() {
        assert_eq!(
            ty(json!({"enum": ["a\"b", "line\nbreak", 1, -2.5, true, null]})),
            r#""a\"b" | "line\nbreak" | 1 | -2.5 | true | null"#
        );
        assert_eq!(ty(json!({"type": "string", "const": "x"})), "\"x\"");
        assert_eq!(
            ty(json!({"const": [1, {"a": null}]})),
            "[1, {\n  a: null;\n}]"
        );
        assert_eq!(ty(json!({"enum": []})), "never");
        assert_eq!(
            ty(json!({"enum": ["a", "b"], "nullable": true})),
            "\"a\" | \"b\" | null"
        );
    }

    #[test]
    fn objects_with_required_and_optional_properties() {
        assert_eq!(
            decls(json!({
                "type": "object",
                "properties": {
                    "id": {"type": "string", "description": "The id"},
                    "foo-bar": {"type": "number"},
                    "delete": {"type": "boolean"}
                },
                "required": ["id", "delete", "extra"]
            })),
            "export interface Root {\n  /** The id */\n  id: string;\n  \"foo-bar\"?: number;\n  delete: boolean;\n  extra: unknown;\n}\n"
        );
    }

    #[test]
    fn object_index_signatures() {
        assert_eq!(ty(json!({"type": "object"})), "Record<string, unknown>");
        assert_eq!(
            ty(json!({"type": "object", "properties": {}})),
            "Record<string, unknown>"
        );
        assert_eq!(
            ty(json!({"type": "object", "additionalProperties": false})),
            "Record<string, never>"
        );
        assert_eq!(
            ty(json!({"type": "object", "additionalProperties": {"type": "string"}})),
            "Record<string, string>"
        );
        assert_eq!(
            ty(json!({"type": "object", "additionalProperties": true})),
            "Record<string, unknown>"
        );
        assert_eq!(
            ty(
                json!({"type": "object", "properties": {"a": {"type": "string"}},
                      "additionalProperties": {"type": "number"}})
            ),
            "{\n  a?: string;\n  [key: string]: unknown;\n}"
        );
        assert_eq!(
            ty(json!({"type": "object", "properties": {"a": {"type": "string"}}})),
            "{\n  a?: string;\n}"
        );
        assert_eq!(
            ty(
                json!({"type": "object", "properties": {"a": {"type": "string"}},
                      "additionalProperties": false})
            ),
            "{\n  a?: string;\n}"
        );
    }

    #[test]
    fn pattern_properties() {
        assert_eq!(
            ty(json!({"type": "object", "patternProperties": {
                "^s_": {"type": "string"}, "^n_": {"type": "number"}}})),
            "Record<string, string | number>"
        );
        assert_eq!(
            ty(
                json!({"type": "object", "properties": {"a": {"type": "string"}},
                      "patternProperties": {"^n_": {"type": "number"}}})
            ),
            "{\n  a?: string;\n  [key: string]: unknown;\n}"
        );
    }

    #[test]
    fn implied_object_and_array_types() {
        assert_eq!(
            ty(json!({"properties": {"a": {"type": "string"}}})),
            "{\n  a?: string;\n}"
        );
        assert_eq!(ty(json!({"items": {"type": "string"}})), "string[]");
    }

    #[test]
    fn nested_objects_are_indented() {
        assert_eq!(
            ty(
                json!({"type": "object", "properties": {"outer": {"type": "object",
                "properties": {"inner": {"type": "array", "items": {"type": "object",
                    "properties": {"x": {"type": "integer", "description": "X"}}}}}}}})
            ),
            "{\n  outer?: {\n    inner?: {\n      /** X */\n      x?: number;\n    }[];\n  };\n}"
        );
    }

    #[test]
    fn arrays() {
        assert_eq!(ty(json!({"type": "array"})), "unknown[]");
        assert_eq!(
            ty(json!({"type": "array", "items": {"type": ["string", "null"]}})),
            "(string | null)[]"
        );
        assert_eq!(
            ty(
                json!({"type": "array", "items": {"anyOf": [{"type": "string"}, {"type": "number"}]}})
            ),
            "(string | number)[]"
        );
    }

    #[test]
    fn tuples() {
        assert_eq!(
            ty(
                json!({"type": "array", "items": [{"type": "string"}, {"type": "number"}],
                      "minItems": 2, "additionalItems": false})
            ),
            "[string, number]"
        );
        assert_eq!(
            ty(
                json!({"type": "array", "prefixItems": [{"type": "string"}, {"type": "number"}],
                      "items": {"type": "boolean"}, "minItems": 1})
            ),
            "[string, number?, ...boolean[]]"
        );
        assert_eq!(
            ty(json!({"type": "array", "prefixItems": [{"type": "string"}]})),
            "[string?, ...unknown[]]"
        );
        assert_eq!(
            ty(
                json!({"type": "array", "prefixItems": [{"type": "string"}, {"type": "number"}],
                      "minItems": 2, "maxItems": 2})
            ),
            "[string, number]"
        );
        assert_eq!(
            ty(
                json!({"type": "array", "items": [{"type": "string"}], "minItems": 1,
                      "additionalItems": {"type": ["number", "null"]}})
            ),
            "[string, ...(number | null)[]]"
        );
        assert_eq!(ty(json!({"type": "array", "prefixItems": []})), "unknown[]");
        assert_eq!(
            ty(json!({"type": "array", "prefixItems": [], "items": false})),
            "[]"
        );
    }

    #[test]
    fn unions_and_intersections() {
        assert_eq!(
            ty(json!({"oneOf": [{"type": "string"}, {"type": "null"}]})),
            "string | null"
        );
        assert_eq!(
            ty(json!({"anyOf": [{"type": "string"}, {"type": "string"}, {"type": "number"}]})),
            "string | number"
        );
        assert_eq!(
            ty(
                json!({"allOf": [{"type": "object", "properties": {"a": {"type": "string"}},
                                 "required": ["a"]},
                                {"type": "object", "properties": {"b": {"type": "number"}}}]})
            ),
            "{\n  a: string;\n} & {\n  b?: number;\n}"
        );
        assert_eq!(
            ty(json!({"type": "string", "anyOf": [{"const": "a"}, {"const": "b"}]})),
            "\"a\" | \"b\""
        );
        assert_eq!(
            ty(json!({"type": "object", "description": "d", "anyOf": [
                {"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"]},
                {"type": "string"}]})),
            "{\n  a: string;\n} | string"
        );
        assert_eq!(ty(json!({"anyOf": [{"type": "string"}, {}]})), "unknown");
    }

    #[test]
    fn all_of_with_sibling_properties_intersects_them() {
        assert_eq!(
            decls(json!({
                "$defs": {"Base": {"type": "object", "properties": {"id": {"type": "string"}},
                                   "required": ["id"]}},
                "allOf": [{"$ref": "#/$defs/Base"}],
                "properties": {"extra": {"type": "number"}},
                "oneOf": [{"required": ["a"]}, {"required": ["b"]}]
            })),
            "export type Root = TBase & {\n  extra?: number;\n} & ({\n  a: unknown;\n} | {\n  b: unknown;\n});\nexport interface TBase {\n  id: string;\n}\n"
        );
    }

    #[test]
    fn definitions_become_named_types_and_recursion_works() {
        assert_eq!(
            decls(json!({
                "type": "object",
                "properties": {"tree": {"$ref": "#/definitions/node"}},
                "definitions": {
                    "node": {"type": "object", "description": "A node", "properties": {
                        "children": {"type": "array", "items": {"$ref": "#/definitions/node"}},
                        "value": {"$ref": "#/definitions/value"}}},
                    "value": {"type": ["string", "number"]},
                    "unused": {"type": "string"}
                }
            })),
            "export interface Root {\n  tree?: TNode;\n}\n/** A node */\nexport interface TNode {\n  children?: TNode[];\n  value?: TValue;\n}\nexport type TValue = string | number;\n"
        );
    }

    #[test]
    fn definition_names_avoid_taken_names() {
        let mut names = TypeNames::new(["Root", "TInput"]);
        let lowered = lower_document(
            &json!({"$ref": "#/$defs/input", "$defs": {"input": {"type": "string"}}}),
            "Root",
            "T",
            &mut names,
        );
        assert_eq!(lowered.root.ty, TsType::Named("TInput2".into()));
        assert_eq!(lowered.definitions[0].name, "TInput2");
    }

    #[test]
    fn root_references_name_the_root_type() {
        assert_eq!(
            decls(json!({"type": "object", "properties": {
                "self": {"$ref": "#"}, "list": {"type": "array", "items": {"$ref": "#"}}}})),
            "export interface Root {\n  self?: Root;\n  list?: Root[];\n}\n"
        );
    }

    #[test]
    fn pure_alias_cycles_become_unknown() {
        let out = decls(json!({
            "$ref": "#/$defs/A",
            "$defs": {"A": {"$ref": "#/$defs/B"}, "B": {"anyOf": [{"$ref": "#/$defs/A"}, {"type": "string"}]}}
        }));
        assert_eq!(
            out,
            "export type Root = TA;\n/** (Circular type alias in the schema; typed as `unknown`.) */\nexport type TA = unknown;\n/** (Circular type alias in the schema; typed as `unknown`.) */\nexport type TB = unknown;\n"
        );
        assert_eq!(
            ty(json!({"anyOf": [{"$ref": "#"}, {"type": "string"}]})),
            "unknown"
        );
    }

    #[test]
    fn recursive_maps_use_index_signatures() {
        assert_eq!(
            decls(json!({"$defs": {"Json": {"anyOf": [
                {"type": ["string", "number", "boolean", "null"]},
                {"type": "array", "items": {"$ref": "#/$defs/Json"}},
                {"type": "object", "additionalProperties": {"$ref": "#/$defs/Json"}}]}},
                "$ref": "#/$defs/Json"})),
            "export type Root = TJson;\nexport type TJson = string | number | boolean | null | TJson[] | { [key: string]: TJson };\n"
        );
    }

    #[test]
    fn other_local_pointers_are_inlined_with_a_cycle_guard() {
        assert_eq!(
            ty(json!({"type": "object", "properties": {
                "a": {"type": "string"},
                "b": {"$ref": "#/properties/a"},
                "c": {"type": "array", "items": {"$ref": "#/properties/c"}},
                "d": {"$ref": "#/properties/x~1y"},
                "x/y": {"type": "number"},
                "e": {"$ref": "#/properties/x%7E1y"}}})),
            "{\n  a?: string;\n  b?: string;\n  c?: unknown[][];\n  d?: number;\n  \"x/y\"?: number;\n  e?: number;\n}"
        );
    }

    #[test]
    fn unresolvable_references_are_unknown_with_a_note() {
        assert_eq!(
            decls(json!({"type": "object", "properties": {
                "remote": {"$ref": "https://example.com/s.json#/$defs/x"},
                "missing": {"$ref": "#/$defs/nope"},
                "anchor": {"$ref": "#thing"}}})),
            "export interface Root {\n  /** `$ref` \"https://example.com/s.json#/$defs/x\" cannot be resolved within this schema; typed as `unknown`. */\n  remote?: unknown;\n  /** `$ref` \"#/$defs/nope\" cannot be resolved within this schema; typed as `unknown`. */\n  missing?: unknown;\n  /** `$ref` \"#thing\" cannot be resolved within this schema; typed as `unknown`. */\n  anchor?: unknown;\n}\n"
        );
    }

    #[test]
    fn not_and_conditionals_are_ignored() {
        assert_eq!(
            ty(json!({"type": "string", "not": {"const": "x"}, "if": {}, "then": {}, "else": {}})),
            "string"
        );
    }

    #[test]
    fn property_docs_carry_annotations() {
        assert_eq!(
            decls(json!({"type": "object", "properties": {"url": {
                "type": "string", "title": "Url", "description": "Where */ to go",
                "format": "uri", "default": "https://x", "examples": ["https://y"],
                "deprecated": true, "minLength": 1}}})),
            "export interface Root {\n  /**\n   * Where *\\/ to go\n   * @format uri\n   * @minLength 1\n   * @default \"https://x\"\n   * @example \"https://y\"\n   * @deprecated\n   */\n  url?: string;\n}\n"
        );
    }

    #[test]
    fn deep_nesting_is_cut_off() {
        let mut schema = json!({"type": "string"});
        for _ in 0..200 {
            schema = json!({"type": "array", "items": schema});
        }
        let printed = ty(schema);
        assert!(printed.starts_with("unknown[]"), "{printed}");
        assert_eq!(printed.matches("[]").count(), MAX_DEPTH + 1);
    }

    #[test]
    fn reference_fan_out_is_bounded() {
        // Each level references the next twice: 2^40 nodes if inlined naively.
        let mut properties = Map::new();
        for level in 0..40 {
            let next = format!("#/properties/p{}", level + 1);
            properties.insert(
                format!("p{level}"),
                json!({"type": "array", "items": [{"$ref": next}, {"$ref": next}]}),
            );
        }
        properties.insert("p40".into(), json!({"type": "string"}));
        let schema = json!({"type": "object", "properties": properties});
        let started = std::time::Instant::now();
        let printed = ty(schema);
        assert!(started.elapsed().as_secs() < 5);
        assert!(printed.len() < 10_000_000, "{}", printed.len());
    }

    #[test]
    fn pointer_decoding() {
        assert_eq!(local_pointer("#"), Some(vec![]));
        assert_eq!(
            local_pointer("#/a~1b/c~0d/%24defs/%zz"),
            Some(vec![
                "a/b".into(),
                "c~d".into(),
                "$defs".into(),
                "%zz".into()
            ])
        );
        assert_eq!(local_pointer("#anchor"), None);
        assert_eq!(local_pointer("other.json#/a"), None);
        assert_eq!(local_pointer("#/%ff"), None);
    }
}
