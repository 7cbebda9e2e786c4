//! TypeScript → JavaScript for the sandbox (prototype).

use std::path::Path;

use oxc::allocator::Allocator;
use oxc::ast::ast::Decorator;
use oxc::ast_visit::Visit;
use oxc::codegen::{Codegen, CodegenOptions};
use oxc::diagnostics::OxcDiagnostic;
use oxc::parser::Parser;
use oxc::semantic::SemanticBuilder;
use oxc::span::{SourceType, Span};
use oxc::transformer::{TransformOptions, Transformer};

/// JavaScript ready for QuickJS, plus what is needed to map positions back to the TypeScript.
#[derive(Debug, Clone)]
pub struct Transpiled {
    pub code: String,
    map: Vec<[u32; 4]>,
}

impl Transpiled {
    pub fn original_position(&self, line: u32, column: u32) -> Option<(u32, u32)> {
        let (l, c) = (line.checked_sub(1)?, column.saturating_sub(1));
        let idx = self.map.partition_point(|t| (t[0], t[1]) <= (l, c));
        let t = if idx > 0 && self.map[idx - 1][0] == l {
            self.map[idx - 1]
        } else if idx < self.map.len() && self.map[idx][0] == l {
            self.map[idx]
        } else if idx > 0 {
            self.map[idx - 1]
        } else {
            return None;
        };
        Some((t[2] + 1, t[3] + 1))
    }
}

#[derive(Debug, Clone, thiserror::Error)]
#[error("{file}:{line}:{column}: {message}")]
pub struct SyntaxError {
    pub file: String,
    pub line: u32,
    pub column: u32,
    pub message: String,
    pub snippet: String,
}

struct FindDecorator(Option<Span>);
impl<'a> Visit<'a> for FindDecorator {
    fn visit_decorator(&mut self, it: &Decorator<'a>) {
        if self.0.is_none() {
            self.0 = Some(it.span);
        }
    }
}

pub fn strip_types(source: &str, file: &str) -> Result<Transpiled, SyntaxError> {
    let js = file.ends_with(".js") || file.ends_with(".mjs");
    let source_type = if js {
        SourceType::mjs()
    } else {
        SourceType::ts().with_module(true)
    };
    let stage = std::env::var("STAGE").ok();
    let stage = stage.as_deref().unwrap_or("all");
    let allocator = Allocator::default();
    let ret = Parser::new(&allocator, source, source_type).with_options(oxc::parser::ParseOptions { parse_regular_expression: true, ..Default::default() }).parse();
    if ret.panicked || !ret.diagnostics.is_empty() {
        return Err(to_error(source, file, ret.diagnostics.into_vec()));
    }
    if stage == "parse" {
        return Ok(Transpiled {
            code: String::new(),
            map: vec![],
        });
    }
    let mut program = ret.program;
    let sem = SemanticBuilder::new()
        .with_check_syntax_error(true)
        .with_enum_eval(true)
        .build(&program);
    if !sem.diagnostics.is_empty() {
        return Err(to_error(source, file, sem.diagnostics.into_vec()));
    }
    if stage == "semantic" {
        return Ok(Transpiled {
            code: String::new(),
            map: vec![],
        });
    }
    let mut fd = FindDecorator(None);
    fd.visit_program(&program);
    if let Some(span) = fd.0 {
        return Err(to_error(
            source,
            file,
            vec![OxcDiagnostic::error("decorators are not supported").with_label(span)],
        ));
    }
    if stage == "visit" {
        return Ok(Transpiled {
            code: String::new(),
            map: vec![],
        });
    }
    let scoping = sem.semantic.into_scoping();
    let tr = Transformer::new(&allocator, Path::new(file), &TransformOptions::default())
        .build_with_scoping(scoping, &mut program);
    if !tr.diagnostics.is_empty() {
        return Err(to_error(source, file, tr.diagnostics.into_vec()));
    }
    if stage == "transform" {
        return Ok(Transpiled {
            code: String::new(),
            map: vec![],
        });
    }
    let out = Codegen::new()
        .with_options(CodegenOptions {
            source_map_path: Some(file.into()),
            ..CodegenOptions::default()
        })
        .build(&program);
    let map = out
        .map
        .map(|m| {
            m.get_tokens()
                .map(|t| {
                    [
                        t.get_dst_line(),
                        t.get_dst_col(),
                        t.get_src_line(),
                        t.get_src_col(),
                    ]
                })
                .collect()
        })
        .unwrap_or_default();
    Ok(Transpiled {
        code: out.code,
        map,
    })
}

fn to_error(source: &str, file: &str, diags: Vec<OxcDiagnostic>) -> SyntaxError {
    let d = &diags[0];
    let off = d.labels.first().map_or(0, |l| l.offset() as usize);
    let before = &source[..off.min(source.len())];
    let line = before.matches('\n').count() as u32 + 1;
    let col = before.rsplit('\n').next().unwrap_or("").chars().count() as u32 + 1;
    SyntaxError {
        file: file.into(),
        line,
        column: col,
        message: format!("{} {:?} {:?} (+{})", d.message, d.help, d.labels, diags.len() - 1),
        snippet: String::new(),
    }
}
