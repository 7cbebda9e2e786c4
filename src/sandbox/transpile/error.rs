//! Syntax errors: the first of oxc's diagnostics by position, located in the source, with the
//! offending line and a caret.

use oxc::diagnostics::OxcDiagnostic;

use super::position::{Location, locate};

/// A script that cannot be transpiled, located in the source it came from.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{file}:{line}:{column}: {message}")]
pub struct SyntaxError {
    /// The `file` given to [`strip_types`].
    pub file: String,
    /// 1-based line in the source.
    pub line: u32,
    /// 1-based column in the source (UTF-16 code units).
    pub column: u32,
    /// What is wrong, with oxc's hint if it has one, and "(and N more)" when there are
    /// further errors.
    pub message: String,
    /// the offending source line with a caret under the column
    pub snippet: String,
}

/// The first error by position, with "(and N more)".
pub(super) fn report(source: &str, file: &str, mut diagnostics: Vec<OxcDiagnostic>) -> SyntaxError {
    // Unlocated diagnostics go last; the sort is stable.
    diagnostics.sort_by_key(|diagnostic| main_offset(diagnostic).map_or((1, 0), |at| (0, at)));
    let more = diagnostics.len().saturating_sub(1);
    let Some(first) = diagnostics.into_iter().next() else {
        return SyntaxError::at(source, file, 0, "invalid script".to_owned());
    };
    let offset = main_offset(&first).unwrap_or(0);
    let mut message = first.message.trim().to_owned();
    for label in &first.labels {
        if label.offset() != offset
            && let Some(text) = label.label()
        {
            let at = locate(source, label.offset() as usize);
            message.push_str(&format!(" ({text} at {}:{})", at.line, at.column));
        }
    }
    if let Some(help) = &first.help {
        if message.ends_with('.') {
            message.pop();
        }
        message.push_str(". ");
        message.push_str(help.trim());
    }
    if more > 0 {
        message.push_str(&format!(" (and {more} more)"));
    }
    SyntaxError::at(source, file, offset as usize, message)
}

/// Where a diagnostic points: its primary label, else the redeclaration of a redeclared name
/// (oxc labels the first declaration first), else its first label.
fn main_offset(diagnostic: &OxcDiagnostic) -> Option<u32> {
    let labels = &diagnostic.labels;
    labels
        .iter()
        .find(|label| label.primary())
        .or_else(|| {
            labels
                .iter()
                .find(|label| label.label().is_some_and(|t| t.contains("redeclared here")))
        })
        .or_else(|| labels.first())
        .map(|label| label.offset())
}

impl SyntaxError {
    pub(super) fn at(source: &str, file: &str, offset: usize, message: String) -> Self {
        let at = locate(source, offset);
        Self {
            file: file.to_owned(),
            line: at.line,
            column: at.column,
            message,
            snippet: snippet(source, &at),
        }
    }
}

/// The line of `at`, and a caret under its column. Long lines are cut around the column.
fn snippet(source: &str, at: &Location) -> String {
    const CONTEXT: usize = 80;
    let rest = &source[at.line_start..];
    let line_end = rest
        .find(['\n', '\r', '\u{2028}', '\u{2029}'])
        .map_or(source.len(), |end| at.line_start + end);
    let before: Vec<char> = source[at.line_start..at.offset].chars().collect();
    let after: Vec<char> = source[at.offset..line_end].chars().collect();
    let cut_before = before.len() > CONTEXT;
    let cut_after = after.len() > CONTEXT;
    let before = &before[before.len().saturating_sub(CONTEXT)..];
    let after = &after[..after.len().min(CONTEXT)];

    let mut text = String::new();
    let mut caret = String::new();
    if cut_before {
        text.push('…');
        caret.push(' ');
    }
    for &c in before {
        text.push(c);
        caret.push(if c == '\t' { '\t' } else { ' ' });
    }
    text.extend(after);
    if cut_after {
        text.push('…');
    }
    caret.push('^');
    format!("{text}\n{caret}")
}
