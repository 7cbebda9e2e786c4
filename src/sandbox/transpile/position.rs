//! The transpiled module and its source map: mapping a runtime position back to the TypeScript,
//! and counting lines and columns the way JavaScript does.

/// JavaScript ready for QuickJS, plus what is needed to map positions back to the TypeScript.
#[derive(Debug, Clone)]
pub struct Transpiled {
    /// The JavaScript module.
    pub code: String,
    /// Number of lines in `code`.
    lines: u32,
    mapping: Mapping,
}

#[derive(Debug, Clone)]
pub(super) enum Mapping {
    /// The code is the source itself (plain JavaScript input).
    Identity,
    /// Codegen's source map, sorted by generated position.
    Segments(Vec<Segment>),
}

/// One source-map token, 0-based.
#[derive(Debug, Clone, Copy)]
pub(super) struct Segment {
    pub(super) generated_line: u32,
    pub(super) generated_column: u32,
    pub(super) original_line: u32,
    pub(super) original_column: u32,
}

impl Segment {
    pub(super) fn generated(&self) -> (u32, u32) {
        (self.generated_line, self.generated_column)
    }
}

impl Transpiled {
    /// 1-based (line, column) in the TypeScript source for a 1-based (line, column) in `code`,
    /// when known. Column may be approximate; line must be right for statements.
    ///
    /// The position maps through the last source-map segment at or before it on the same
    /// output line (codegen starts a segment at every statement, expression and identifier),
    /// else the first segment on that line, else the nearest segment before it. `None` for line
    /// 0, for a line past the end of `code`, or when the code has no segments at all.
    pub fn original_position(&self, line: u32, column: u32) -> Option<(u32, u32)> {
        let line0 = line.checked_sub(1)?;
        if line > self.lines {
            return None;
        }
        match &self.mapping {
            Mapping::Identity => Some((line, column.max(1))),
            Mapping::Segments(segments) => {
                let position = (line0, column.saturating_sub(1));
                let after = segments.partition_point(|s| s.generated() <= position);
                let before = after.checked_sub(1).and_then(|i| segments.get(i));
                let next = segments.get(after);
                let segment = match (before, next) {
                    (Some(b), _) if b.generated_line == line0 => b,
                    (_, Some(n)) if n.generated_line == line0 => n,
                    (Some(b), _) => b,
                    (None, Some(n)) => n,
                    (None, None) => return None,
                };
                Some((
                    segment.original_line.saturating_add(1),
                    segment.original_column.saturating_add(1),
                ))
            }
        }
    }
}

impl Transpiled {
    pub(super) fn new(code: String, mapping: Mapping) -> Self {
        let lines = locate(&code, code.len()).line;
        Self {
            code,
            lines,
            mapping,
        }
    }
}

pub(super) use crate::js_position::{Location, locate};
