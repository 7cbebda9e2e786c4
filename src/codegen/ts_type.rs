//! A small TypeScript type AST and its printer.

use std::collections::HashSet;

use serde_json::Value;

use super::{jsdoc, names};

/// A TypeScript type expression.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(super) enum TsType {
    Unknown,
    Never,
    Null,
    String,
    Number,
    Boolean,
    /// A literal type, already printed (`"a"`, `1`, `true`).
    Literal(String),
    /// A type declared by name in the same file.
    Named(String),
    Array(Box<TsType>),
    Tuple {
        items: Vec<TupleItem>,
        rest: Option<Box<TsType>>,
    },
    Object(ObjectType),
    Union(Vec<TsType>),
    Intersection(Vec<TsType>),
}

/// One element of a tuple type.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(super) struct TupleItem {
    pub ty: TsType,
    pub optional: bool,
}

/// An object type: named properties plus an optional `[key: string]` index signature.
///
/// Without properties it prints as `Record<string, T>` (`Record<string, never>` when there is
/// no index signature either).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub(super) struct ObjectType {
    pub properties: Vec<Property>,
    pub index: Option<Box<TsType>>,
}

/// A property of an object type.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(super) struct Property {
    pub name: String,
    pub optional: bool,
    pub ty: TsType,
    /// JSDoc lines, unescaped.
    pub doc: Vec<String>,
}

/// A named, exported type declaration.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Declaration {
    pub name: String,
    /// JSDoc lines, unescaped.
    pub doc: Vec<String>,
    pub ty: TsType,
}

/// A JavaScript string literal for `s` (JSON escaping, plus the line separators U+2028 and
/// U+2029 so the text is also safe inside `//` comments).
pub(super) fn js_string(s: &str) -> String {
    Value::String(s.to_owned())
        .to_string()
        .replace('\u{2028}', "\\u2028")
        .replace('\u{2029}', "\\u2029")
}

/// `name` as a property key: bare when it is an identifier, quoted otherwise.
fn property_key(name: &str) -> String {
    if names::is_identifier(name) {
        name.to_owned()
    } else {
        js_string(name)
    }
}

/// Union or intersection members without duplicates, in first-seen order.
#[derive(Default)]
struct Members {
    list: Vec<TsType>,
    seen: HashSet<TsType>,
}

impl Members {
    fn push(&mut self, ty: TsType) {
        if self.seen.insert(ty.clone()) {
            self.list.push(ty);
        }
    }

    /// The single member, or `combine(members)` for several, or `empty` for none.
    fn finish(mut self, empty: TsType, combine: fn(Vec<TsType>) -> TsType) -> TsType {
        match self.list.len() {
            0 => empty,
            1 => self.list.pop().unwrap_or(empty),
            _ => combine(self.list),
        }
    }
}

impl TsType {
    /// `A | B | …`, flattened and deduplicated; `unknown` absorbs everything, `never` vanishes.
    pub(super) fn union(members: impl IntoIterator<Item = TsType>) -> TsType {
        let mut out = Members::default();
        for member in members {
            match member {
                TsType::Unknown => return TsType::Unknown,
                TsType::Never => {}
                TsType::Union(inner) => inner.into_iter().for_each(|t| out.push(t)),
                other => out.push(other),
            }
        }
        out.finish(TsType::Never, TsType::Union)
    }

    /// `A & B & …`, flattened and deduplicated; `never` absorbs everything, `unknown` vanishes.
    pub(super) fn intersection(members: impl IntoIterator<Item = TsType>) -> TsType {
        let mut out = Members::default();
        for member in members {
            match member {
                TsType::Never => return TsType::Never,
                TsType::Unknown => {}
                TsType::Intersection(inner) => inner.into_iter().for_each(|t| out.push(t)),
                other => out.push(other),
            }
        }
        out.finish(TsType::Unknown, TsType::Intersection)
    }

    /// `Record<string, T>`.
    pub(super) fn record(value: TsType) -> TsType {
        TsType::Object(ObjectType {
            properties: Vec::new(),
            index: Some(Box::new(value)),
        })
    }

    /// Whether a named type occurs anywhere inside.
    fn mentions_named(&self) -> bool {
        match self {
            TsType::Named(_) => true,
            TsType::Array(inner) => inner.mentions_named(),
            TsType::Tuple { items, rest } => {
                items.iter().any(|i| i.ty.mentions_named())
                    || rest.as_ref().is_some_and(|r| r.mentions_named())
            }
            TsType::Object(object) => {
                object.properties.iter().any(|p| p.ty.mentions_named())
                    || object.index.as_ref().is_some_and(|i| i.mentions_named())
            }
            TsType::Union(members) | TsType::Intersection(members) => {
                members.iter().any(TsType::mentions_named)
            }
            _ => false,
        }
    }

    /// Prints the type; nested object types are indented relative to `indent` spaces.
    #[cfg(test)]
    pub(super) fn render(&self, indent: usize) -> String {
        let mut out = String::new();
        self.write(&mut out, indent);
        out
    }

    fn write(&self, out: &mut String, indent: usize) {
        match self {
            TsType::Unknown => out.push_str("unknown"),
            TsType::Never => out.push_str("never"),
            TsType::Null => out.push_str("null"),
            TsType::String => out.push_str("string"),
            TsType::Number => out.push_str("number"),
            TsType::Boolean => out.push_str("boolean"),
            TsType::Literal(text) | TsType::Named(text) => out.push_str(text),
            TsType::Array(inner) => {
                inner.write_operand(out, indent);
                out.push_str("[]");
            }
            TsType::Tuple { items, rest } => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    if item.optional {
                        item.ty.write_operand(out, indent);
                        out.push('?');
                    } else {
                        item.ty.write(out, indent);
                    }
                }
                if let Some(rest) = rest {
                    if !items.is_empty() {
                        out.push_str(", ");
                    }
                    out.push_str("...");
                    rest.write_operand(out, indent);
                    out.push_str("[]");
                }
                out.push(']');
            }
            TsType::Object(object) => object.write(out, indent),
            TsType::Union(members) => {
                for (i, member) in members.iter().enumerate() {
                    if i > 0 {
                        out.push_str(" | ");
                    }
                    member.write(out, indent);
                }
            }
            TsType::Intersection(members) => {
                for (i, member) in members.iter().enumerate() {
                    if i > 0 {
                        out.push_str(" & ");
                    }
                    if matches!(member, TsType::Union(_)) {
                        member.write_operand(out, indent);
                    } else {
                        member.write(out, indent);
                    }
                }
            }
        }
    }

    /// Prints the type on one line without docs, with named types inlined from `defs` down to
    /// `depth` levels (deeper ones keep their name), for a signature an agent reads at a glance.
    pub(super) fn compact(
        &self,
        defs: &std::collections::HashMap<&str, &TsType>,
        depth: usize,
    ) -> String {
        let mut out = String::new();
        self.write_compact(&mut out, defs, depth);
        out
    }

    fn write_compact(
        &self,
        out: &mut String,
        defs: &std::collections::HashMap<&str, &TsType>,
        depth: usize,
    ) {
        let operand = |ty: &TsType, out: &mut String| {
            let wrap = matches!(ty, TsType::Union(_) | TsType::Intersection(_))
                || matches!(ty, TsType::Named(n) if depth > 0 && defs.get(n.as_str()).is_some_and(|t| matches!(t, TsType::Union(_) | TsType::Intersection(_))));
            if wrap {
                out.push('(');
            }
            ty.write_compact(out, defs, depth);
            if wrap {
                out.push(')');
            }
        };
        match self {
            TsType::Named(name) if depth > 0 => match defs.get(name.as_str()) {
                Some(ty) => ty.write_compact(out, defs, depth - 1),
                None => out.push_str(name),
            },
            TsType::Array(inner) => {
                operand(inner, out);
                out.push_str("[]");
            }
            TsType::Tuple { items, rest } => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    operand(&item.ty, out);
                    if item.optional {
                        out.push('?');
                    }
                }
                if let Some(rest) = rest {
                    if !items.is_empty() {
                        out.push_str(", ");
                    }
                    out.push_str("...");
                    operand(rest, out);
                    out.push_str("[]");
                }
                out.push(']');
            }
            TsType::Object(object) if object.properties.is_empty() => match &object.index {
                None => out.push_str("{}"),
                Some(value) => {
                    out.push_str("Record<string, ");
                    value.write_compact(out, defs, depth);
                    out.push('>');
                }
            },
            TsType::Object(object) => {
                out.push_str("{ ");
                for (i, property) in object.properties.iter().enumerate() {
                    if i > 0 {
                        out.push_str("; ");
                    }
                    out.push_str(&property_key(&property.name));
                    if property.optional {
                        out.push('?');
                    }
                    out.push_str(": ");
                    property.ty.write_compact(out, defs, depth);
                }
                if let Some(index) = &object.index {
                    out.push_str("; [key: string]: ");
                    index.write_compact(out, defs, depth);
                }
                out.push_str(" }");
            }
            TsType::Union(members) | TsType::Intersection(members) => {
                let sep = if matches!(self, TsType::Union(_)) {
                    " | "
                } else {
                    " & "
                };
                for (i, member) in members.iter().enumerate() {
                    if i > 0 {
                        out.push_str(sep);
                    }
                    if matches!(self, TsType::Intersection(_)) {
                        operand(member, out);
                    } else {
                        member.write_compact(out, defs, depth);
                    }
                }
            }
            other => other.write(out, 0),
        }
    }

    /// Writes the type, parenthesised when it is a union or intersection.
    fn write_operand(&self, out: &mut String, indent: usize) {
        if matches!(self, TsType::Union(_) | TsType::Intersection(_)) {
            out.push('(');
            self.write(out, indent);
            out.push(')');
        } else {
            self.write(out, indent);
        }
    }
}

impl ObjectType {
    fn write(&self, out: &mut String, indent: usize) {
        if self.properties.is_empty() {
            match &self.index {
                None => out.push_str("Record<string, never>"),
                // A named value type may be part of a recursive alias, which `Record` would
                // make circular (TS2456); an index signature defers it.
                Some(value) if value.mentions_named() => {
                    out.push_str("{ [key: string]: ");
                    value.write(out, indent);
                    out.push_str(" }");
                }
                Some(value) => {
                    out.push_str("Record<string, ");
                    value.write(out, indent);
                    out.push('>');
                }
            }
            return;
        }
        let inner = indent + 2;
        let pad = " ".repeat(inner);
        out.push_str("{\n");
        for property in &self.properties {
            out.push_str(&jsdoc::render(&property.doc, inner));
            out.push_str(&pad);
            out.push_str(&property_key(&property.name));
            if property.optional {
                out.push('?');
            }
            out.push_str(": ");
            property.ty.write(out, inner);
            out.push_str(";\n");
        }
        if let Some(index) = &self.index {
            out.push_str(&pad);
            out.push_str("[key: string]: ");
            index.write(out, inner);
            out.push_str(";\n");
        }
        out.push_str(&" ".repeat(indent));
        out.push('}');
    }
}

impl Declaration {
    /// Prints `export interface …` for object types with properties, `export type … = …;`
    /// otherwise, preceded by the JSDoc.
    pub(super) fn render(&self) -> String {
        let mut out = jsdoc::render(&self.doc, 0);
        match &self.ty {
            TsType::Object(object) if !object.properties.is_empty() => {
                out.push_str("export interface ");
                out.push_str(&self.name);
                out.push(' ');
                object.write(&mut out, 0);
                out.push('\n');
            }
            ty => {
                out.push_str("export type ");
                out.push_str(&self.name);
                out.push_str(" = ");
                ty.write(&mut out, 0);
                out.push_str(";\n");
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lit(s: &str) -> TsType {
        TsType::Literal(js_string(s))
    }

    fn prop(name: &str, optional: bool, ty: TsType) -> Property {
        Property {
            name: name.into(),
            optional,
            ty,
            doc: Vec::new(),
        }
    }

    #[test]
    fn unions_flatten_dedupe_and_absorb() {
        let u = TsType::union([
            TsType::String,
            TsType::union([TsType::Number, TsType::String]),
            TsType::Never,
        ]);
        assert_eq!(u.render(0), "string | number");
        assert_eq!(
            TsType::union([TsType::String, TsType::Unknown]),
            TsType::Unknown
        );
        assert_eq!(TsType::union([]), TsType::Never);
        assert_eq!(TsType::union([TsType::Null]), TsType::Null);
    }

    #[test]
    fn intersections_flatten_dedupe_and_absorb() {
        let a = TsType::Named("A".into());
        let i = TsType::intersection([a.clone(), TsType::Unknown, a.clone()]);
        assert_eq!(i, a);
        assert_eq!(TsType::intersection([a, TsType::Never]), TsType::Never);
        assert_eq!(TsType::intersection([]), TsType::Unknown);
    }

    #[test]
    fn operands_are_parenthesised() {
        let u = TsType::union([TsType::String, TsType::Number]);
        assert_eq!(
            TsType::Array(Box::new(u.clone())).render(0),
            "(string | number)[]"
        );
        let i = TsType::intersection([TsType::Named("A".into()), u.clone()]);
        assert_eq!(i.render(0), "A & (string | number)");
        let inter = TsType::intersection([TsType::Named("A".into()), TsType::Named("B".into())]);
        let u2 = TsType::union([inter, TsType::Null]);
        assert_eq!(u2.render(0), "A & B | null");
        let tuple = TsType::Tuple {
            items: vec![
                TupleItem {
                    ty: TsType::String,
                    optional: false,
                },
                TupleItem {
                    ty: u.clone(),
                    optional: true,
                },
            ],
            rest: Some(Box::new(u)),
        };
        assert_eq!(
            tuple.render(0),
            "[string, (string | number)?, ...(string | number)[]]"
        );
    }

    #[test]
    fn literals_are_json_escaped() {
        assert_eq!(lit("a\"b\n\u{2028}").render(0), r#""a\"b\n\u2028""#);
    }

    #[test]
    fn records_and_index_signatures() {
        assert_eq!(
            TsType::record(TsType::String).render(0),
            "Record<string, string>"
        );
        assert_eq!(
            TsType::Object(ObjectType::default()).render(0),
            "Record<string, never>"
        );
        let recursive = TsType::record(TsType::Array(Box::new(TsType::Named("Node".into()))));
        assert_eq!(recursive.render(0), "{ [key: string]: Node[] }");
    }

    #[test]
    fn objects_print_multi_line_with_quoted_keys() {
        let inner = TsType::Object(ObjectType {
            properties: vec![prop("x", false, TsType::Number)],
            index: None,
        });
        let mut doc_prop = prop("foo-bar", true, TsType::String);
        doc_prop.doc = vec!["Has a */ in it".into()];
        let object = TsType::Object(ObjectType {
            properties: vec![doc_prop, prop("delete", false, inner)],
            index: Some(Box::new(TsType::Unknown)),
        });
        assert_eq!(
            object.render(0),
            "{\n  /** Has a *\\/ in it */\n  \"foo-bar\"?: string;\n  delete: {\n    x: number;\n  };\n  [key: string]: unknown;\n}"
        );
    }

    #[test]
    fn declarations_choose_interface_or_alias() {
        let object = TsType::Object(ObjectType {
            properties: vec![prop("a", false, TsType::String)],
            index: None,
        });
        let decl = Declaration {
            name: "A".into(),
            doc: vec!["Doc".into()],
            ty: object,
        };
        assert_eq!(
            decl.render(),
            "/** Doc */\nexport interface A {\n  a: string;\n}\n"
        );
        let alias = Declaration {
            name: "B".into(),
            doc: Vec::new(),
            ty: TsType::union([lit("x"), TsType::Null]),
        };
        assert_eq!(alias.render(), "export type B = \"x\" | null;\n");
    }
}
