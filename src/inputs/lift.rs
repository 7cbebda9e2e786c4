//! Lifting: a concrete script's literals become typed input fields, so that a run can be saved
//! as a parameterized skill without hand-editing.
//!
//! A parameter names a literal as it is written in the script (`42`, `"42"`, `true`, `abc`); it
//! matches that literal in expression positions only (not module specifiers, property keys,
//! types, directives, enum members or tagged templates), and every match becomes
//! `input.<name>`.

use oxc::ast::ast::{
    BindingIdentifier, Directive, ExportAllDeclaration, ExportDefaultDeclaration,
    ExportFromDeclaration, Expression, IdentifierReference, ImportDeclaration, ImportExpression,
    ModuleDeclaration, Program, PropertyKey, TSEnumDeclaration, TSType, UnaryOperator,
};
use oxc::ast_visit::{Visit, walk};
use oxc::span::{GetSpan, Span};
use serde_json::{Map, Value};

use super::check::is_identifier;
use super::schema::json_number;
use super::{InputError, excerpt, locate, with_program};

/// The largest script parameters are lifted from.
const MAX_SCRIPT_BYTES: usize = 1 << 20;
/// The most parameters one lift takes.
const MAX_PARAMS: usize = 32;
/// Literals listed when a parameter's literal does not occur.
const MAX_LISTED: usize = 5;

/// A parameter to lift: its field name, the literal it replaces, as written, and a description.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Param {
    pub name: String,
    /// `42` matches the number 42 (else the string "42"); `"42"` (quoted) only the string;
    /// `true`/`false` the booleans (else the strings); anything else the string it is.
    pub literal: String,
    pub description: Option<String>,
}

/// A lifted script.
#[derive(Debug, Clone, PartialEq)]
pub struct Lifted {
    /// The script with each occurrence of each literal replaced by `input.<name>`.
    pub source: String,
    pub fields: Vec<Field>,
    /// The literals' values as an object: the input the original run effectively ran with.
    pub input: Value,
    /// The script's top-level imports and re-exports, for [`Lifted::module`].
    imports: String,
    /// The rest of `source`, with top-level `export` keywords removed, for [`Lifted::module`].
    body: String,
}

/// One input field of a lifted script.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    pub name: String,
    pub ty: FieldType,
    pub description: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldType {
    String,
    Number,
    Boolean,
}

impl FieldType {
    /// The TypeScript type.
    pub fn as_ts(self) -> &'static str {
        match self {
            Self::String => "string",
            Self::Number => "number",
            Self::Boolean => "boolean",
        }
    }
}

impl Lifted {
    /// `export interface <type_name> { /** description */ name: string; ... }` (TypeScript text).
    pub fn interface(&self, type_name: &str) -> String {
        let mut text = format!("export interface {type_name} {{\n");
        for field in &self.fields {
            if let Some(description) = &field.description {
                let description = description.trim().replace("*/", "*\\/");
                if description.contains('\n') {
                    text.push_str("  /**\n");
                    for line in description.lines() {
                        text.push_str(format!("   * {line}").trim_end());
                        text.push('\n');
                    }
                    text.push_str("   */\n");
                } else if !description.is_empty() {
                    text.push_str(&format!("  /** {description} */\n"));
                }
            }
            text.push_str(&format!("  {}: {};\n", field.name, field.ty.as_ts()));
        }
        text.push_str("}\n");
        text
    }

    /// The whole parameterized module: the script's imports, the interface, and the rest of the
    /// script as the body of `export default async function (input: <type_name>)`.
    pub fn module(&self, type_name: &str) -> String {
        let mut text = String::new();
        if !self.imports.is_empty() {
            text.push_str(&self.imports);
            text.push_str("\n\n");
        }
        text.push_str(&self.interface(type_name));
        text.push_str(&format!(
            "\nexport default async function (input: {type_name}) {{\n"
        ));
        text.push_str(self.body.trim_matches('\n'));
        text.push_str("\n}\n");
        text
    }
}

/// What a parameter's literal matches.
#[derive(Debug, Clone, PartialEq)]
enum Target {
    /// A string (the literal was quoted, or is not a number or boolean).
    Text(String),
    /// A number, else the string as written.
    Number(f64, String),
    /// A boolean, else the string as written.
    Boolean(bool, String),
}

impl Target {
    fn parse(literal: &str) -> Self {
        let quoted = |q: char| literal.len() >= 2 && literal.starts_with(q) && literal.ends_with(q);
        if quoted('"') {
            let text = serde_json::from_str::<String>(literal)
                .unwrap_or_else(|_| literal[1..literal.len() - 1].to_owned());
            return Self::Text(text);
        }
        if quoted('\'') || quoted('`') {
            return Self::Text(literal[1..literal.len() - 1].to_owned());
        }
        match literal {
            "true" => return Self::Boolean(true, literal.to_owned()),
            "false" => return Self::Boolean(false, literal.to_owned()),
            _ => {}
        }
        let numeric = literal
            .trim_start_matches('-')
            .starts_with(|c: char| c.is_ascii_digit() || c == '.')
            && !literal.contains(['_', ' ']);
        if numeric
            && let Ok(value) = literal.parse::<f64>()
            && value.is_finite()
        {
            return Self::Number(value, literal.to_owned());
        }
        Self::Text(literal.to_owned())
    }

    /// The string it matches (when it does not match as a number or boolean).
    fn text(&self) -> &str {
        match self {
            Self::Text(text) | Self::Number(_, text) | Self::Boolean(_, text) => text,
        }
    }
}

/// A literal in an expression position.
#[derive(Debug, Clone)]
struct Candidate {
    span: Span,
    value: Value,
}

/// Lifts the literals `params` name out of a script that has no default export of its own.
pub fn lift(source: &str, file: &str, params: &[Param]) -> Result<Lifted, InputError> {
    if params.len() > MAX_PARAMS {
        return Err(InputError::TooManyParams {
            count: params.len(),
            limit: MAX_PARAMS,
        });
    }
    for (index, param) in params.iter().enumerate() {
        if !is_identifier(&param.name) {
            return Err(InputError::BadName {
                name: param.name.clone(),
                reason: "not a valid identifier".into(),
            });
        }
        if param.name == "__proto__" {
            return Err(InputError::BadName {
                name: param.name.clone(),
                reason: "`__proto__` cannot be a field name".into(),
            });
        }
        if params[..index].iter().any(|p| p.name == param.name) {
            return Err(InputError::DuplicateName {
                name: param.name.clone(),
            });
        }
        if param.literal.is_empty() {
            return Err(InputError::EmptyLiteral {
                name: param.name.clone(),
            });
        }
    }
    if source.len() > MAX_SCRIPT_BYTES {
        return Err(InputError::ScriptTooLarge {
            file: file.to_owned(),
            size: source.len(),
            limit: MAX_SCRIPT_BYTES,
        });
    }
    with_program(source, file, |program| {
        let mut finder = Finder::default();
        finder.visit_program(program);
        let at = |span: Span| locate(source, span.start);
        if let Some(span) = finder.default_export.or_else(|| default_specifier(program)) {
            let (line, column) = at(span);
            return Err(InputError::HasDefaultExport {
                file: file.to_owned(),
                line,
                column,
            });
        }
        if let Some(span) = finder.input_name {
            let (line, column) = at(span);
            return Err(InputError::InputTaken {
                file: file.to_owned(),
                line,
                column,
            });
        }
        finder.candidates.sort_by_key(|c| c.span.start);

        let mut fields = Vec::new();
        let mut input = Map::new();
        let mut edits: Vec<(Span, String, usize)> = Vec::new();
        for (index, param) in params.iter().enumerate() {
            let target = Target::parse(&param.literal);
            let (value, spans) = matches(&finder.candidates, &target);
            let Some(value) = value else {
                return Err(not_found(source, file, param, &target, &finder));
            };
            let ty = match value {
                Value::Bool(_) => FieldType::Boolean,
                Value::Number(_) => FieldType::Number,
                _ => FieldType::String,
            };
            fields.push(Field {
                name: param.name.clone(),
                ty,
                description: param
                    .description
                    .as_ref()
                    .map(|d| d.trim().to_owned())
                    .filter(|d| !d.is_empty()),
            });
            input.insert(param.name.clone(), value);
            let replacement = format!("input.{}", param.name);
            edits.extend(spans.into_iter().map(|s| (s, replacement.clone(), index)));
        }
        edits.sort_by_key(|(span, _, _)| (span.start, span.end));
        for pair in edits.windows(2) {
            if let [(a, _, first), (b, _, second)] = pair
                && b.start < a.end
            {
                let (first, second) = (&params[*first], &params[*second]);
                return Err(InputError::SameLiteral {
                    first: first.name.clone(),
                    second: second.name.clone(),
                    literal: second.literal.clone(),
                });
            }
        }
        let replacements: Vec<(Span, String)> = edits
            .into_iter()
            .map(|(span, text, _)| (span, text))
            .collect();
        let lifted_source = apply(source, replacements.clone());

        // The module form: imports hoisted out, `export` keywords dropped from the body.
        let mut imports = Vec::new();
        let mut body_edits = replacements;
        for statement in &program.body {
            match statement.as_module_declaration() {
                Some(
                    ModuleDeclaration::ImportDeclaration(_)
                    | ModuleDeclaration::ExportAllDeclaration(_)
                    | ModuleDeclaration::ExportFromDeclaration(_),
                ) => {
                    let span = statement.span();
                    imports.push(&source[span.start as usize..span.end as usize]);
                    body_edits.push((span, String::new()));
                }
                Some(ModuleDeclaration::ExportNamedDeclaration(export)) => {
                    body_edits.push((export.span, String::new()));
                }
                Some(ModuleDeclaration::ExportDeclaration(export)) => {
                    let keyword = Span::new(export.span.start, export.declaration.span().start);
                    body_edits.push((keyword, String::new()));
                }
                _ => {}
            }
        }
        body_edits.sort_by_key(|(span, _)| (span.start, span.end));
        let body = apply(source, body_edits);
        Ok(Lifted {
            source: lifted_source,
            fields,
            input: Value::Object(input),
            imports: imports.join("\n"),
            body,
        })
    })
}

/// An `export { x as default }`, which is a default export too.
fn default_specifier(program: &Program<'_>) -> Option<Span> {
    program
        .body
        .iter()
        .find_map(|statement| match statement.as_module_declaration() {
            Some(ModuleDeclaration::ExportNamedDeclaration(export)) => export
                .specifiers
                .iter()
                .any(|s| s.exported.name().as_str() == "default")
                .then_some(export.span),
            _ => None,
        })
}

/// The value a target matches and the spans it matches: a number or boolean as such when the
/// script has it, else as the string it is written as.
fn matches(candidates: &[Candidate], target: &Target) -> (Option<Value>, Vec<Span>) {
    let typed = match target {
        Target::Number(value, _) => json_number(*value),
        Target::Boolean(value, _) => Some(Value::Bool(*value)),
        Target::Text(_) => None,
    };
    for wanted in typed
        .into_iter()
        .chain([Value::String(target.text().to_owned())])
    {
        let spans: Vec<Span> = candidates
            .iter()
            .filter(|c| same(&c.value, &wanted))
            .map(|c| c.span)
            .collect();
        if !spans.is_empty() {
            return (Some(wanted), spans);
        }
    }
    (None, Vec::new())
}

/// JSON equality, with numbers compared as numbers (`1e3` is `1000`).
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        _ => a == b,
    }
}

/// Why a parameter's literal matched nothing: it is only inside longer strings, or it is not
/// there at all (with literals the script does have).
fn not_found(
    source: &str,
    file: &str,
    param: &Param,
    target: &Target,
    finder: &Finder,
) -> InputError {
    let needle = target.text();
    if let Some((span, _)) = finder
        .strings
        .iter()
        .filter(|(_, text)| text.contains(needle))
        .min_by_key(|(span, _)| span.start)
    {
        let (line, column) = locate(source, span.start);
        return InputError::InsideString {
            file: file.to_owned(),
            line,
            column,
            name: param.name.clone(),
            literal: param.literal.clone(),
            string: excerpt(&source[span.start as usize..span.end as usize], 60),
        };
    }
    let mut present: Vec<String> = Vec::new();
    for candidate in &finder.candidates {
        let text = excerpt(
            &source[candidate.span.start as usize..candidate.span.end as usize],
            40,
        );
        if !present.contains(&text) {
            present.push(text);
        }
        if present.len() == MAX_LISTED {
            break;
        }
    }
    InputError::NotFound {
        file: file.to_owned(),
        name: param.name.clone(),
        literal: param.literal.clone(),
        present,
    }
}

/// `source` with each span replaced (spans sorted, not overlapping), applied from the end.
fn apply(source: &str, mut edits: Vec<(Span, String)>) -> String {
    let mut text = source.to_owned();
    edits.dedup_by_key(|(span, _)| (span.start, span.end));
    for (span, replacement) in edits.iter().rev() {
        text.replace_range(span.start as usize..span.end as usize, replacement);
    }
    text
}

/// Walks a script for the literals in expression positions and what keeps it from lifting.
#[derive(Default)]
struct Finder {
    candidates: Vec<Candidate>,
    /// Every string literal and template text in an expression position, with its span.
    strings: Vec<(Span, String)>,
    default_export: Option<Span>,
    input_name: Option<Span>,
}

impl<'a> Visit<'a> for Finder {
    fn visit_expression(&mut self, expression: &Expression<'a>) {
        match expression {
            Expression::StringLiteral(s) => {
                let value = s.value.as_str().to_owned();
                self.strings.push((s.span, value.clone()));
                self.candidates.push(Candidate {
                    span: s.span,
                    value: Value::String(value),
                });
            }
            Expression::NumericLiteral(n) => {
                if let Some(value) = json_number(n.value) {
                    self.candidates.push(Candidate {
                        span: n.span,
                        value,
                    });
                }
            }
            Expression::BooleanLiteral(b) => self.candidates.push(Candidate {
                span: b.span,
                value: Value::Bool(b.value),
            }),
            Expression::TemplateLiteral(t) => {
                for quasi in &t.quasis {
                    if let Some(cooked) = quasi.value.cooked {
                        self.strings.push((t.span, cooked.as_str().to_owned()));
                    }
                }
                if t.expressions.is_empty()
                    && let Some(cooked) = t.quasis.first().and_then(|q| q.value.cooked)
                {
                    self.candidates.push(Candidate {
                        span: t.span,
                        value: Value::String(cooked.as_str().to_owned()),
                    });
                }
                walk::walk_expression(self, expression);
            }
            Expression::UnaryExpression(u) => {
                if u.operator == UnaryOperator::UnaryNegation
                    && let Expression::NumericLiteral(n) = &u.argument
                    && let Some(value) = json_number(-n.value)
                {
                    self.candidates.push(Candidate {
                        span: u.span,
                        value,
                    });
                }
                walk::walk_expression(self, expression);
            }
            _ => walk::walk_expression(self, expression),
        }
    }

    fn visit_property_key(&mut self, key: &PropertyKey<'a>) {
        // A literal key (`{ "a": 1 }`, `{ ["a"]: 1 }`) names a property; it is not a value.
        if !matches!(
            key,
            PropertyKey::StringLiteral(_)
                | PropertyKey::NumericLiteral(_)
                | PropertyKey::TemplateLiteral(_)
        ) {
            walk::walk_property_key(self, key);
        }
    }

    fn visit_ts_type(&mut self, _ty: &TSType<'a>) {}

    fn visit_ts_enum_declaration(&mut self, _declaration: &TSEnumDeclaration<'a>) {}

    fn visit_import_declaration(&mut self, _declaration: &ImportDeclaration<'a>) {}

    fn visit_export_all_declaration(&mut self, _declaration: &ExportAllDeclaration<'a>) {}

    fn visit_export_from_declaration(&mut self, _declaration: &ExportFromDeclaration<'a>) {}

    fn visit_import_expression(&mut self, expression: &ImportExpression<'a>) {
        if !matches!(
            expression.source,
            Expression::StringLiteral(_) | Expression::TemplateLiteral(_)
        ) {
            walk::walk_import_expression(self, expression);
        }
    }

    fn visit_directive(&mut self, _directive: &Directive<'a>) {}

    fn visit_export_default_declaration(&mut self, declaration: &ExportDefaultDeclaration<'a>) {
        self.default_export.get_or_insert(declaration.span);
        walk::walk_export_default_declaration(self, declaration);
    }

    fn visit_binding_identifier(&mut self, identifier: &BindingIdentifier<'a>) {
        if identifier.name.as_str() == "input" {
            self.input_name.get_or_insert(identifier.span);
        }
    }

    fn visit_identifier_reference(&mut self, identifier: &IdentifierReference<'a>) {
        if identifier.name.as_str() == "input" {
            self.input_name.get_or_insert(identifier.span);
        }
    }
}
