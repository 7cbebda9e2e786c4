//! The input schema of a script: the TypeScript type of its default export's first parameter,
//! as JSON Schema (draft 2020-12).
//!
//! Named types (interfaces, type aliases) declared in the script are expanded in place, with a
//! cycle check, a depth limit and a limit on the expanded size; everything JSON cannot carry,
//! and everything not supported, is an error naming the part and where it is.

mod declarations;
mod json;

use oxc::ast::ast::{
    Expression, Program, PropertyKey, TSLiteral, TSSignature, TSTupleElement, TSTupleType, TSType,
    TSTypeName, TSTypeOperatorOperator, TSTypeReference, UnaryOperator,
};
use oxc::span::{GetSpan, Span};
use serde_json::{Map, Value, json};

use super::{InputError, SCHEMA_DIALECT, excerpt, jsdoc_before, locate, with_program};
use declarations::{Declarations, default_export_params};
pub(super) use json::json_number;
use json::{describe, enumeration, is_object_schema, or_null};

/// Nesting of the input type (counting expanded named types) past which it is refused.
const MAX_DEPTH: usize = 64;
/// Type nodes converted (after expanding named types) past which the type is refused: a few
/// aliases that each use the previous one twice would otherwise expand exponentially.
const MAX_NODES: usize = 10_000;

/// The JSON Schema (draft 2020-12, with `$schema`) of the input a script's default export takes:
/// the type of its first parameter. `Ok(None)`: the default export takes no parameter, or is
/// not a function. A parameter without a type takes any JSON (`{}`). `file` names the script in
/// errors.
pub fn schema_of(source: &str, file: &str) -> Result<Option<Value>, InputError> {
    with_program(source, file, |program| {
        let declarations = Declarations::collect(program);
        let Some(params) = default_export_params(program, &declarations) else {
            return Ok(None);
        };
        let Some(param) = params.items.first() else {
            if let Some(rest) = &params.rest {
                let (line, column) = locate(source, rest.span.start);
                return Err(InputError::Type {
                    file: file.to_owned(),
                    line,
                    column,
                    context: "the input".into(),
                    message: "the default export takes a rest parameter; take one `input` object (`input: { ... }`)".into(),
                });
            }
            return Ok(None);
        };
        let schema = match &param.type_annotation {
            None => json!({}),
            Some(annotation) => {
                let ty = &annotation.type_annotation;
                let root = match ty {
                    TSType::TSTypeReference(r) => match &r.type_name {
                        TSTypeName::IdentifierReference(id) => {
                            format!("the input type `{}`", id.name.as_str())
                        }
                        _ => "the input type".to_owned(),
                    },
                    _ => "the input type".to_owned(),
                };
                let mut converter = Converter {
                    program,
                    file,
                    declarations: &declarations,
                    root,
                    path: String::new(),
                    expanding: Vec::new(),
                    depth: 0,
                    nodes: 0,
                };
                converter.convert_field(ty)?.0
            }
        };
        let mut rooted = Map::new();
        rooted.insert("$schema".into(), SCHEMA_DIALECT.into());
        if let Value::Object(fields) = schema {
            rooted.extend(fields);
        }
        Ok(Some(Value::Object(rooted)))
    })
}

/// Turns TypeScript types into JSON Schema, expanding the named types of `declarations`.
struct Converter<'c, 'b, 'a> {
    program: &'b Program<'a>,
    file: &'c str,
    declarations: &'c Declarations<'b, 'a>,
    /// "the input type `Input`": the start of every error's context.
    root: String,
    /// The field being converted, from the root (`items[].when`).
    path: String,
    /// Named types being expanded (a cycle check).
    expanding: Vec<String>,
    depth: usize,
    nodes: usize,
}

impl<'a> Converter<'_, '_, 'a> {
    fn fail(&self, span: Span, message: impl Into<String>) -> InputError {
        let (line, column) = locate(self.program.source_text, span.start);
        let context = if self.path.is_empty() {
            self.root.clone()
        } else {
            format!("{}, field `{}`", self.root, self.path)
        };
        InputError::Type {
            file: self.file.to_owned(),
            line,
            column,
            context,
            message: message.into(),
        }
    }

    fn text(&self, span: Span) -> String {
        let text = self
            .program
            .source_text
            .get(span.start as usize..span.end as usize)
            .unwrap_or("");
        excerpt(text, 40)
    }

    /// Runs `work` with `segment` appended to the field path.
    fn at<T>(&mut self, segment: &str, work: impl FnOnce(&mut Self) -> T) -> T {
        let length = self.path.len();
        if !self.path.is_empty() && !segment.starts_with('[') {
            self.path.push('.');
        }
        self.path.push_str(segment);
        let result = work(self);
        self.path.truncate(length);
        result
    }

    /// A type, and whether it admits `undefined` (`T | undefined`: the field is optional).
    fn convert_field(&mut self, ty: &TSType<'a>) -> Result<(Value, bool), InputError> {
        match strip_parens(ty) {
            TSType::TSUnionType(union) => self.guarded(ty.span(), |c| c.union(&union.types)),
            _ => Ok((self.convert(ty)?, false)),
        }
    }

    fn convert(&mut self, ty: &TSType<'a>) -> Result<Value, InputError> {
        self.guarded(ty.span(), |c| c.convert_inner(ty))
    }

    /// Runs one conversion step under the depth and size limits.
    fn guarded<T>(
        &mut self,
        span: Span,
        work: impl FnOnce(&mut Self) -> Result<T, InputError>,
    ) -> Result<T, InputError> {
        self.nodes += 1;
        if self.nodes > MAX_NODES {
            return Err(self.fail(
                span,
                format!(
                    "the input type is too large once its named types are expanded (more than {MAX_NODES} parts); simplify it"
                ),
            ));
        }
        if self.depth >= MAX_DEPTH {
            return Err(self.fail(
                span,
                format!("the input type is nested more than {MAX_DEPTH} levels deep"),
            ));
        }
        self.depth += 1;
        let result = work(self);
        self.depth -= 1;
        result
    }

    fn convert_inner(&mut self, ty: &TSType<'a>) -> Result<Value, InputError> {
        let span = ty.span();
        let quoted = self.text(span);
        Ok(match ty {
            TSType::TSStringKeyword(_) => json!({"type": "string"}),
            TSType::TSNumberKeyword(_) => json!({"type": "number"}),
            TSType::TSBooleanKeyword(_) => json!({"type": "boolean"}),
            TSType::TSNullKeyword(_) => json!({"type": "null"}),
            TSType::TSAnyKeyword(_) | TSType::TSUnknownKeyword(_) => json!({}),
            TSType::TSObjectKeyword(_) => json!({"type": "object"}),
            TSType::TSUndefinedKeyword(_) | TSType::TSVoidKeyword(_) => {
                return Err(self.fail(
                    span,
                    format!(
                        "`{quoted}` cannot be a JSON input; make the field optional (`name?: T`)"
                    ),
                ));
            }
            TSType::TSNeverKeyword(_) => {
                return Err(self.fail(span, "`never` accepts no input"));
            }
            TSType::TSBigIntKeyword(_) => {
                return Err(self.fail(
                    span,
                    "`bigint` cannot be a JSON input; use `number`, or a `string` of digits",
                ));
            }
            TSType::TSSymbolKeyword(_) => {
                return Err(self.fail(span, "`symbol` cannot be a JSON input"));
            }
            TSType::TSLiteralType(literal) => {
                json!({"const": self.literal(&literal.literal, span)?})
            }
            TSType::TSTemplateLiteralType(template) => {
                match (template.types.is_empty(), template.quasis.first()) {
                    (true, Some(quasi)) if template.quasis.len() == 1 => {
                        let text = quasi.value.cooked.unwrap_or(quasi.value.raw);
                        json!({"const": text.as_str()})
                    }
                    _ => {
                        return Err(self.fail(
                            span,
                            format!(
                                "the template literal type `{quoted}` is not supported; use `string`"
                            ),
                        ));
                    }
                }
            }
            TSType::TSParenthesizedType(inner) => self.convert(&inner.type_annotation)?,
            TSType::TSUnionType(union) => self.union(&union.types)?.0,
            TSType::TSArrayType(array) => {
                let items = self.at("[]", |c| c.convert(&array.element_type))?;
                json!({"type": "array", "items": items})
            }
            TSType::TSTypeOperatorType(operator) => match operator.operator {
                TSTypeOperatorOperator::Readonly => self.convert(&operator.type_annotation)?,
                TSTypeOperatorOperator::Keyof => {
                    return Err(self.fail(
                        span,
                        format!(
                            "`{quoted}` is not supported; list the keys as a union of string literals (`\"a\" | \"b\"`)"
                        ),
                    ));
                }
                TSTypeOperatorOperator::Unique => {
                    return Err(self.fail(span, format!("`{quoted}` cannot be a JSON input")));
                }
            },
            TSType::TSTupleType(tuple) => self.tuple(tuple)?,
            TSType::TSTypeLiteral(literal) => self.object(&literal.members)?,
            TSType::TSTypeReference(reference) => self.reference(reference)?,
            TSType::TSIntersectionType(intersection) => {
                let mut merged: Option<Value> = None;
                for part in &intersection.types {
                    let schema = self.convert(part)?;
                    merged = Some(match merged {
                        None => schema,
                        Some(so_far) => self.merge(so_far, schema, part.span())?,
                    });
                }
                let merged = merged.unwrap_or_else(|| json!({}));
                if !is_object_schema(&merged) {
                    return Err(self.fail(
                        span,
                        format!(
                            "the intersection `{quoted}` cannot be expressed; write one object type"
                        ),
                    ));
                }
                merged
            }
            TSType::TSFunctionType(_) | TSType::TSConstructorType(_) => {
                return Err(self.fail(
                    span,
                    format!("the function type `{quoted}` cannot be a JSON input"),
                ));
            }
            TSType::TSConditionalType(_) => {
                return Err(self.fail(
                    span,
                    format!(
                        "the conditional type `{quoted}` is not supported; write the type it resolves to"
                    ),
                ));
            }
            TSType::TSMappedType(_) => {
                return Err(self.fail(
                    span,
                    format!(
                        "the mapped type `{quoted}` is not supported; write the object type out"
                    ),
                ));
            }
            TSType::TSImportType(_) => {
                return Err(self.fail(
                    span,
                    format!("`{quoted}` is imported; an input type must be declared in the script"),
                ));
            }
            _ => {
                return Err(self.fail(
                    span,
                    format!("`{quoted}` is not supported in an input type"),
                ));
            }
        })
    }

    /// A literal type's value.
    fn literal(&self, literal: &TSLiteral<'a>, span: Span) -> Result<Value, InputError> {
        let value = match literal {
            TSLiteral::BooleanLiteral(b) => Some(Value::Bool(b.value)),
            TSLiteral::NumericLiteral(n) => json_number(n.value),
            TSLiteral::StringLiteral(s) => Some(Value::String(s.value.as_str().to_owned())),
            TSLiteral::TemplateLiteral(t) if t.expressions.is_empty() => t
                .quasis
                .first()
                .map(|q| Value::String(q.value.cooked.unwrap_or(q.value.raw).as_str().to_owned())),
            TSLiteral::UnaryExpression(u) => match (&u.operator, &u.argument) {
                (UnaryOperator::UnaryNegation, Expression::NumericLiteral(n)) => {
                    json_number(-n.value)
                }
                _ => None,
            },
            _ => None,
        };
        value.ok_or_else(|| {
            self.fail(
                span,
                format!(
                    "the literal type `{}` cannot be a JSON input",
                    self.text(span)
                ),
            )
        })
    }

    /// A union: its literal members as one `enum`, `null` folded in, `undefined` dropped (and
    /// reported: the field is optional), the rest as `anyOf`.
    fn union(&mut self, members: &[TSType<'a>]) -> Result<(Value, bool), InputError> {
        let mut flat = Vec::new();
        flatten_union(members, &mut flat);
        let mut optional = false;
        let mut nullable = false;
        let mut literals: Vec<Value> = Vec::new();
        let mut others: Vec<Value> = Vec::new();
        for member in &flat {
            match member {
                TSType::TSUndefinedKeyword(_) | TSType::TSVoidKeyword(_) => optional = true,
                TSType::TSNullKeyword(_) => nullable = true,
                TSType::TSLiteralType(literal) => {
                    let value = self.literal(&literal.literal, literal.span)?;
                    if !literals.contains(&value) {
                        literals.push(value);
                    }
                }
                other => {
                    let schema = self.convert(other)?;
                    if !others.contains(&schema) {
                        others.push(schema);
                    }
                }
            }
        }
        if literals.len() == 2
            && literals.contains(&Value::Bool(true))
            && literals.contains(&Value::Bool(false))
        {
            literals.clear();
            let boolean = json!({"type": "boolean"});
            if !others.contains(&boolean) {
                others.push(boolean);
            }
        }
        let schema = match (literals.is_empty(), others.len()) {
            (true, 0) if nullable => json!({"type": "null"}),
            (true, 0) => {
                let span = flat.first().map_or(Span::default(), |t| t.span());
                return Err(self.fail(
                    span,
                    "`undefined` cannot be a JSON input; make the field optional (`name?: T`)",
                ));
            }
            (false, 0) => {
                if nullable {
                    literals.push(Value::Null);
                }
                enumeration(literals)
            }
            (true, 1) => {
                let only = others.remove(0);
                if nullable { or_null(only) } else { only }
            }
            _ => {
                if !literals.is_empty() {
                    others.push(enumeration(literals));
                }
                if nullable {
                    others.push(json!({"type": "null"}));
                }
                json!({"anyOf": others})
            }
        };
        Ok((schema, optional))
    }

    fn tuple(&mut self, tuple: &TSTupleType<'a>) -> Result<Value, InputError> {
        let mut prefix = Vec::new();
        let mut required = 0usize;
        let mut seen_optional = false;
        let mut rest: Option<Value> = None;
        for (index, element) in tuple.element_types.iter().enumerate() {
            let (element, named_optional) = match element {
                TSTupleElement::TSNamedTupleMember(member) => {
                    (&member.element_type, member.optional)
                }
                other => (other, false),
            };
            let segment = format!("[{index}]");
            match element {
                TSTupleElement::TSOptionalType(optional) => {
                    seen_optional = true;
                    let schema = self.at(&segment, |c| c.convert(&optional.type_annotation))?;
                    prefix.push(schema);
                }
                TSTupleElement::TSRestType(spread) => {
                    // `...rest: T[]` is a rest of a named member.
                    let spread_type = match &spread.type_annotation {
                        TSType::TSNamedTupleMember(member) => member.element_type.as_ts_type(),
                        other => Some(other),
                    };
                    let schema = match spread_type {
                        Some(ty) => self.at(&segment, |c| c.convert(ty))?,
                        None => json!({}),
                    };
                    match schema.get("items") {
                        Some(items) if schema.get("type") == Some(&json!("array")) => {
                            rest = Some(items.clone());
                        }
                        _ => {
                            return Err(self.fail(
                                spread.span,
                                "a rest element of a tuple must be an array type (`...T[]`)",
                            ));
                        }
                    }
                }
                other => {
                    let Some(ty) = other.as_ts_type() else {
                        return Err(self.fail(
                            other.span(),
                            format!("`{}` is not supported in a tuple", self.text(other.span())),
                        ));
                    };
                    let schema = self.at(&segment, |c| c.convert(ty))?;
                    prefix.push(schema);
                    if named_optional {
                        seen_optional = true;
                    } else if !seen_optional {
                        required += 1;
                    }
                }
            }
        }
        let count = prefix.len();
        let mut schema = json!({"type": "array", "prefixItems": prefix, "minItems": required});
        match rest {
            Some(items) => schema["items"] = items,
            None => {
                schema["items"] = Value::Bool(false);
                schema["maxItems"] = json!(count);
            }
        }
        Ok(schema)
    }

    /// An object type's members: properties (with their JSDoc), and an index signature as
    /// `additionalProperties` (else `false`).
    fn object(&mut self, members: &[TSSignature<'a>]) -> Result<Value, InputError> {
        let mut properties = Map::new();
        let mut required: Vec<Value> = Vec::new();
        let mut additional: Option<Value> = None;
        for member in members {
            match member {
                TSSignature::TSPropertySignature(property) => {
                    let name = match &property.key {
                        PropertyKey::StaticIdentifier(id) if !property.computed => {
                            id.name.as_str().to_owned()
                        }
                        PropertyKey::StringLiteral(s) => s.value.as_str().to_owned(),
                        PropertyKey::NumericLiteral(n) => match json_number(n.value) {
                            Some(number) => number.to_string(),
                            None => n.value.to_string(),
                        },
                        other => {
                            return Err(self.fail(
                                other.span(),
                                format!(
                                    "the computed property key `{}` is not supported; write the key as a name or a string",
                                    self.text(other.span())
                                ),
                            ));
                        }
                    };
                    let (mut schema, undefined) =
                        self.at(&name, |c| match &property.type_annotation {
                            Some(annotation) => c.convert_field(&annotation.type_annotation),
                            None => Ok((json!({}), false)),
                        })?;
                    if let Some(description) = jsdoc_before(self.program, property.span.start) {
                        describe(&mut schema, description);
                    }
                    if !property.optional && !undefined {
                        required.retain(|r| r.as_str() != Some(&name));
                        required.push(Value::String(name.clone()));
                    }
                    properties.insert(name, schema);
                }
                TSSignature::TSIndexSignature(index) => {
                    let key = &index.parameter.type_annotation.type_annotation;
                    if !matches!(key, TSType::TSStringKeyword(_)) {
                        return Err(self.fail(
                            key.span(),
                            format!(
                                "the index key type `{}` is not supported: JSON keys are strings (`[key: string]: T`)",
                                self.text(key.span())
                            ),
                        ));
                    }
                    if additional.is_some() {
                        return Err(
                            self.fail(index.span, "an object type may have one index signature")
                        );
                    }
                    let schema = self.at("[key]", |c| {
                        c.convert(&index.type_annotation.type_annotation)
                    })?;
                    additional = Some(schema);
                }
                TSSignature::TSMethodSignature(method) => {
                    return Err(self.fail(
                        method.span,
                        format!(
                            "the method `{}` cannot be a JSON input",
                            self.text(method.key.span())
                        ),
                    ));
                }
                other => {
                    return Err(self.fail(
                        other.span(),
                        format!(
                            "the signature `{}` cannot be a JSON input",
                            self.text(other.span())
                        ),
                    ));
                }
            }
        }
        let mut schema = Map::new();
        schema.insert("type".into(), "object".into());
        if !properties.is_empty() {
            schema.insert("properties".into(), Value::Object(properties));
        }
        if !required.is_empty() {
            schema.insert("required".into(), Value::Array(required));
        }
        schema.insert(
            "additionalProperties".into(),
            additional.unwrap_or(Value::Bool(false)),
        );
        Ok(Value::Object(schema))
    }

    /// A named type: one declared in the script, or a built-in generic (`Array<T>`,
    /// `Record<string, T>`, `Readonly<T>`, `Partial<T>`); other built-ins are errors saying
    /// what to use instead.
    fn reference(&mut self, reference: &TSTypeReference<'a>) -> Result<Value, InputError> {
        let span = reference.span;
        let name = match &reference.type_name {
            TSTypeName::IdentifierReference(id) => id.name.as_str(),
            other => {
                return Err(self.fail(
                    span,
                    format!(
                        "the qualified type name `{}` is not supported; declare the type in the script",
                        self.text(other.span())
                    ),
                ));
            }
        };
        let arguments: &[TSType<'a>] = reference
            .type_arguments
            .as_ref()
            .map_or(&[], |a| a.params.as_slice());
        let declared = self.declarations.aliases.contains_key(name)
            || self.declarations.interfaces.contains_key(name);
        if declared {
            if !arguments.is_empty() {
                return Err(self.fail(
                    span,
                    format!(
                        "the generic type `{}` is not supported; write the type out",
                        self.text(span)
                    ),
                ));
            }
            return self.named(name, span);
        }
        if let Some(what) = self.declarations.others.get(name) {
            let instead = if *what == "an enum" {
                "use a union of literals (`\"a\" | \"b\"`)"
            } else {
                "declare an interface with its fields"
            };
            return Err(self.fail(
                span,
                format!("`{name}` is {what}, which cannot be a JSON input; {instead}"),
            ));
        }
        if let Some(module) = self.declarations.imports.get(name) {
            return Err(self.fail(
                span,
                format!(
                    "`{name}` is imported from `{module}`; an input type must be declared in the script"
                ),
            ));
        }
        match (name, arguments) {
            ("Array" | "ReadonlyArray", [item]) => {
                let items = self.at("[]", |c| c.convert(item))?;
                Ok(json!({"type": "array", "items": items}))
            }
            ("Readonly", [inner]) => self.convert(inner),
            ("Partial", [inner]) => {
                let mut schema = self.convert(inner)?;
                if !is_object_schema(&schema) {
                    return Err(self.fail(span, "`Partial` takes an object type"));
                }
                if let Some(fields) = schema.as_object_mut() {
                    fields.remove("required");
                }
                Ok(schema)
            }
            ("Record", [key, value]) => self.record(key, value, span),
            ("Date", []) => Err(self.fail(
                span,
                "`Date` cannot be a JSON input; use an ISO 8601 string (`string`)",
            )),
            ("Map" | "ReadonlyMap", _) => Err(self.fail(
                span,
                format!(
                    "`{}` cannot be a JSON input; use an object type (`Record<string, T>`)",
                    self.text(span)
                ),
            )),
            ("Set" | "ReadonlySet", _) => Err(self.fail(
                span,
                format!(
                    "`{}` cannot be a JSON input; use an array (`T[]`)",
                    self.text(span)
                ),
            )),
            ("Promise" | "Function" | "RegExp" | "Error" | "Symbol" | "BigInt", _) => Err(
                self.fail(span, format!("`{}` cannot be a JSON input", self.text(span))),
            ),
            ("String", []) => Ok(json!({"type": "string"})),
            ("Number", []) => Ok(json!({"type": "number"})),
            ("Boolean", []) => Ok(json!({"type": "boolean"})),
            ("Array" | "ReadonlyArray" | "Readonly" | "Partial" | "Record", _) => Err(self.fail(
                span,
                format!("`{}` has the wrong number of type arguments", self.text(span)),
            )),
            _ if !arguments.is_empty() => Err(self.fail(
                span,
                format!(
                    "the generic type `{}` is not supported; write the type out",
                    self.text(span)
                ),
            )),
            _ => Err(self.fail(
                span,
                format!("`{name}` is not declared in the script; declare it as an interface or a type alias"),
            )),
        }
    }

    fn record(
        &mut self,
        key: &TSType<'a>,
        value: &TSType<'a>,
        span: Span,
    ) -> Result<Value, InputError> {
        if matches!(strip_parens(key), TSType::TSStringKeyword(_)) {
            let values = self.at("[key]", |c| c.convert(value))?;
            return Ok(json!({"type": "object", "additionalProperties": values}));
        }
        let mut keys = Vec::new();
        flatten_union(std::slice::from_ref(key), &mut keys);
        let mut names = Vec::new();
        for key in keys {
            match key {
                TSType::TSLiteralType(literal) => match &literal.literal {
                    TSLiteral::StringLiteral(s) => names.push(s.value.as_str().to_owned()),
                    _ => names.clear(),
                },
                _ => {
                    names.clear();
                    break;
                }
            }
            if names.is_empty() {
                break;
            }
        }
        if names.is_empty() {
            return Err(self.fail(
                span,
                format!(
                    "the keys of `{}` must be `string` or string literals",
                    self.text(span)
                ),
            ));
        }
        let mut properties = Map::new();
        for name in &names {
            let schema = self.at(name, |c| c.convert(value))?;
            properties.insert(name.clone(), schema);
        }
        Ok(json!({
            "type": "object",
            "properties": properties,
            "required": names,
            "additionalProperties": false,
        }))
    }

    /// A type alias or interface of the script, expanded (with its JSDoc as description).
    fn named(&mut self, name: &str, span: Span) -> Result<Value, InputError> {
        if self.expanding.iter().any(|n| n == name) {
            return Err(self.fail(
                span,
                format!(
                    "`{name}` refers to itself; a recursive type cannot be an input type yet: write it out to a fixed depth"
                ),
            ));
        }
        self.expanding.push(name.to_owned());
        let result = self.expand(name, span);
        self.expanding.pop();
        result
    }

    fn expand(&mut self, name: &str, span: Span) -> Result<Value, InputError> {
        let declarations = self.declarations;
        if let Some(alias) = declarations.aliases.get(name) {
            if alias.type_parameters.is_some() {
                return Err(self.fail(
                    alias.span,
                    format!("the generic type `{name}` is not supported; write the type out"),
                ));
            }
            let mut schema = self.convert(&alias.type_annotation)?;
            if let Some(description) = jsdoc_before(self.program, alias.span.start) {
                describe(&mut schema, description);
            }
            return Ok(schema);
        }
        let Some(interfaces) = declarations.interfaces.get(name) else {
            return Err(self.fail(span, format!("`{name}` is not declared in the script")));
        };
        let mut merged: Option<Value> = None;
        let mut description = None;
        for interface in interfaces {
            if interface.type_parameters.is_some() {
                return Err(self.fail(
                    interface.span,
                    format!("the generic interface `{name}` is not supported; write the type out"),
                ));
            }
            let mut schema = self.object(&interface.body.body)?;
            for heritage in &interface.extends {
                let base = match &heritage.type_name {
                    TSTypeName::IdentifierReference(id)
                        if heritage.type_arguments.is_none()
                            && (declarations.aliases.contains_key(id.name.as_str())
                                || declarations.interfaces.contains_key(id.name.as_str())) =>
                    {
                        self.named(id.name.as_str(), heritage.span)?
                    }
                    _ => {
                        return Err(self.fail(
                            heritage.span,
                            format!(
                                "`{name}` extends `{}`, which is not an interface declared in the script; declare its fields in `{name}`",
                                self.text(heritage.span)
                            ),
                        ));
                    }
                };
                schema = self.merge(base, schema, heritage.span)?;
            }
            description = description.or_else(|| jsdoc_before(self.program, interface.span.start));
            merged = Some(match merged {
                None => schema,
                Some(so_far) => self.merge(so_far, schema, interface.span)?,
            });
        }
        let mut schema = merged.unwrap_or_else(|| json!({"type": "object"}));
        if let Some(description) = description {
            describe(&mut schema, description);
        }
        Ok(schema)
    }

    /// Two object schemas as one (interface `extends`, merged declarations, intersections).
    fn merge(&self, base: Value, own: Value, span: Span) -> Result<Value, InputError> {
        let (Value::Object(mut base), Value::Object(own)) = (base, own) else {
            return Err(self.fail(span, "only object types can be merged"));
        };
        if !is_object_schema(&Value::Object(base.clone()))
            || !is_object_schema(&Value::Object(own.clone()))
        {
            return Err(self.fail(
                span,
                format!(
                    "`{}` is not an object type, so it cannot be merged into one; write one object type",
                    self.text(span)
                ),
            ));
        }
        let additional_base = base.get("additionalProperties").cloned();
        if additional_base != own.get("additionalProperties").cloned() {
            return Err(self.fail(
                span,
                "object types with different index signatures cannot be merged; write one object type",
            ));
        }
        let mut properties = match base.remove("properties") {
            Some(Value::Object(p)) => p,
            _ => Map::new(),
        };
        if let Some(Value::Object(own_properties)) = own.get("properties") {
            for (name, schema) in own_properties {
                match properties.get(name) {
                    Some(existing) if existing != schema => {
                        return Err(self.fail(
                            span,
                            format!(
                                "the field `{name}` is declared twice with different types; declare it once"
                            ),
                        ));
                    }
                    _ => {
                        properties.insert(name.clone(), schema.clone());
                    }
                }
            }
        }
        let mut required: Vec<Value> = match base.remove("required") {
            Some(Value::Array(r)) => r,
            _ => Vec::new(),
        };
        if let Some(Value::Array(own_required)) = own.get("required") {
            for name in own_required {
                if !required.contains(name) {
                    required.push(name.clone());
                }
            }
        }
        let mut merged = Map::new();
        merged.insert("type".into(), "object".into());
        if let Some(description) = own.get("description").or(base.get("description")) {
            merged.insert("description".into(), description.clone());
        }
        if !properties.is_empty() {
            merged.insert("properties".into(), Value::Object(properties));
        }
        if !required.is_empty() {
            merged.insert("required".into(), Value::Array(required));
        }
        if let Some(additional) = additional_base {
            merged.insert("additionalProperties".into(), additional);
        }
        Ok(Value::Object(merged))
    }
}

fn strip_parens<'b, 'a>(mut ty: &'b TSType<'a>) -> &'b TSType<'a> {
    while let TSType::TSParenthesizedType(inner) = ty {
        ty = &inner.type_annotation;
    }
    ty
}

/// The members of a union, through parentheses and nested unions.
fn flatten_union<'b, 'a>(members: &'b [TSType<'a>], out: &mut Vec<&'b TSType<'a>>) {
    for member in members {
        match strip_parens(member) {
            TSType::TSUnionType(union) => flatten_union(&union.types, out),
            other => out.push(other),
        }
    }
}
