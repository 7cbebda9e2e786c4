//! Source positions as JavaScript and editors count them: `\n`, `\r\n`, a lone `\r`, U+2028
//! and U+2029 end a line; columns are UTF-16 code units, both 1-based. Shared by the sandbox's
//! transpiler and `inputs`.

/// A byte offset resolved to a 1-based line and column.
pub(crate) struct Location {
    pub(crate) line: u32,
    pub(crate) column: u32,
    pub(crate) offset: usize,
    pub(crate) line_start: usize,
}

pub(crate) fn locate(source: &str, offset: usize) -> Location {
    let mut offset = offset.min(source.len());
    while !source.is_char_boundary(offset) {
        offset -= 1;
    }
    let bytes = source.as_bytes();
    let mut line = 1u32;
    let mut line_start = 0;
    for (i, c) in source[..offset].char_indices() {
        let ends_line = match c {
            '\n' | '\u{2028}' | '\u{2029}' => true,
            '\r' => bytes.get(i + 1) != Some(&b'\n'),
            _ => false,
        };
        if ends_line {
            line = line.saturating_add(1);
            line_start = i + c.len_utf8();
        }
    }
    let column = source[line_start..offset]
        .encode_utf16()
        .count()
        .saturating_add(1);
    Location {
        line,
        column: u32::try_from(column).unwrap_or(u32::MAX),
        offset,
        line_start,
    }
}
