//! The declarations a script's input type may name, and the parameters of its default export.

use std::collections::HashMap;

use oxc::ast::ast::{
    BindingPattern, Declaration, ExportDefaultDeclarationKind, Expression, FormalParameters,
    ModuleDeclaration, ModuleExportName, Program, Statement, TSInterfaceDeclaration,
    TSTypeAliasDeclaration,
};

/// The top-level declarations a type or the default export may name.
#[derive(Default)]
pub(super) struct Declarations<'b, 'a> {
    pub(super) functions: HashMap<&'b str, &'b FormalParameters<'a>>,
    pub(super) aliases: HashMap<&'b str, &'b TSTypeAliasDeclaration<'a>>,
    /// Interfaces by name, each declaration (TypeScript merges them) with where its statement
    /// starts (for its JSDoc).
    pub(super) interfaces: HashMap<&'b str, Vec<&'b TSInterfaceDeclaration<'a>>>,
    /// Other declared names that are not JSON types, with what they are.
    pub(super) others: HashMap<&'b str, &'static str>,
    /// Imported names with the module they come from.
    pub(super) imports: HashMap<&'b str, &'b str>,
}

impl<'b, 'a: 'b> Declarations<'b, 'a> {
    pub(super) fn collect(program: &'b Program<'a>) -> Self {
        let mut found = Self::default();
        for statement in &program.body {
            if let Some(declaration) = statement.as_declaration() {
                found.add(declaration);
                continue;
            }
            match statement.as_module_declaration() {
                Some(ModuleDeclaration::ExportDeclaration(export)) => {
                    found.add(&export.declaration);
                }
                Some(ModuleDeclaration::ExportDefaultDeclaration(export)) => {
                    match &export.declaration {
                        ExportDefaultDeclarationKind::TSInterfaceDeclaration(i) => {
                            found
                                .interfaces
                                .entry(i.id.name.as_str())
                                .or_default()
                                .push(i);
                        }
                        ExportDefaultDeclarationKind::FunctionDeclaration(f) => {
                            if let Some(id) = &f.id {
                                found.functions.insert(id.name.as_str(), &f.params);
                            }
                        }
                        _ => {}
                    }
                }
                Some(ModuleDeclaration::ImportDeclaration(import)) => {
                    for specifier in import.specifiers.iter().flatten() {
                        found.imports.insert(
                            specifier.local().name.as_str(),
                            import.source.value.as_str(),
                        );
                    }
                }
                _ => {}
            }
        }
        found
    }

    fn add(&mut self, declaration: &'b Declaration<'a>) {
        match declaration {
            Declaration::FunctionDeclaration(f) => {
                if let Some(id) = &f.id {
                    self.functions.insert(id.name.as_str(), &f.params);
                }
            }
            Declaration::VariableDeclaration(v) => {
                for declarator in &v.declarations {
                    if let (BindingPattern::BindingIdentifier(id), Some(init)) =
                        (&declarator.id, &declarator.init)
                        && let Some(params) = function_params(init)
                    {
                        self.functions.insert(id.name.as_str(), params);
                    }
                }
            }
            Declaration::TSTypeAliasDeclaration(a) => {
                self.aliases.insert(a.id.name.as_str(), a);
            }
            Declaration::TSInterfaceDeclaration(i) => {
                self.interfaces
                    .entry(i.id.name.as_str())
                    .or_default()
                    .push(i);
            }
            Declaration::TSEnumDeclaration(e) => {
                self.others.insert(e.id.name.as_str(), "an enum");
            }
            Declaration::ClassDeclaration(c) => {
                if let Some(id) = &c.id {
                    self.others.insert(id.name.as_str(), "a class");
                }
            }
            _ => {}
        }
    }
}

/// The parameters of a function expression (through parentheses and `as`/`satisfies`).
fn function_params<'b, 'a>(expression: &'b Expression<'a>) -> Option<&'b FormalParameters<'a>> {
    match expression {
        Expression::ArrowFunctionExpression(f) => Some(&f.params),
        Expression::FunctionExpression(f) => Some(&f.params),
        Expression::ParenthesizedExpression(p) => function_params(&p.expression),
        Expression::TSAsExpression(e) => function_params(&e.expression),
        Expression::TSSatisfiesExpression(e) => function_params(&e.expression),
        _ => None,
    }
}

/// The parameters of the default export, when it is a function this file declares.
pub(super) fn default_export_params<'b, 'a: 'b>(
    program: &'b Program<'a>,
    declarations: &Declarations<'b, 'a>,
) -> Option<&'b FormalParameters<'a>> {
    for statement in &program.body {
        match statement {
            Statement::ExportDefaultDeclaration(export) => {
                return match &export.declaration {
                    ExportDefaultDeclarationKind::FunctionDeclaration(f) => Some(&f.params),
                    ExportDefaultDeclarationKind::ClassDeclaration(_)
                    | ExportDefaultDeclarationKind::TSInterfaceDeclaration(_) => None,
                    other => match other.as_expression()? {
                        Expression::Identifier(id) => {
                            declarations.functions.get(id.name.as_str()).copied()
                        }
                        expression => function_params(expression),
                    },
                };
            }
            Statement::ExportNamedDeclaration(export) => {
                for specifier in &export.specifiers {
                    let exported = match &specifier.exported {
                        ModuleExportName::IdentifierName(n) => n.name.as_str(),
                        ModuleExportName::IdentifierReference(n) => n.name.as_str(),
                        ModuleExportName::StringLiteral(s) => s.value.as_str(),
                    };
                    if exported == "default"
                        && let ModuleExportName::IdentifierReference(local) = &specifier.local
                    {
                        return declarations.functions.get(local.name.as_str()).copied();
                    }
                }
            }
            _ => {}
        }
    }
    None
}
