//! Line and column of a key (and of its value) in the frontmatter text, so a
//! finding can point at the exact place to fix.
//!
//! Positions are looked up in the raw text after the YAML parsed; a key that
//! cannot be found gives `None` and the caller falls back to a coarser
//! position. This file never decides whether anything is valid.

/// Reads a mapping key at the start of `s`: returns (key, chars consumed up
/// to and including the `:`), for `key:`, `"key":` and `'key':`.
fn read_key(s: &str) -> Option<(String, usize)> {
    let chars: Vec<char> = s.chars().collect();
    let (key, mut i) = match chars.first()? {
        q @ ('"' | '\'') => {
            let close = chars[1..].iter().position(|c| c == q)? + 1;
            (chars[1..close].iter().collect::<String>(), close + 1)
        }
        _ => {
            let mut j = 0;
            while j < chars.len() {
                if chars[j] == ':' && chars.get(j + 1).is_none_or(|c| c.is_whitespace()) {
                    break;
                }
                j += 1;
            }
            if j == chars.len() {
                return None;
            }
            (
                chars[..j].iter().collect::<String>().trim_end().to_owned(),
                j,
            )
        }
    };
    while chars.get(i).is_some_and(|c| *c == ' ') {
        i += 1;
    }
    (chars.get(i) == Some(&':')).then_some((key, i + 1))
}

/// (0-based line, 0-based key column, 0-based value column).
pub(super) type KeyPos = (usize, usize, usize);

fn value_column(line: &str, after_colon: usize) -> usize {
    let rest = line.chars().skip(after_colon);
    after_colon + rest.take_while(|c| *c == ' ' || *c == '\t').count()
}

/// Position of the top-level key `key` in the frontmatter text.
pub(super) fn locate_key(yaml: &str, key: &str) -> Option<KeyPos> {
    yaml.lines().enumerate().find_map(|(idx, raw)| {
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        if line.starts_with([' ', '\t', '#']) {
            return None;
        }
        let (k, end) = read_key(line)?;
        (k == key).then(|| (idx, 0, value_column(line, end)))
    })
}

/// Position of `key` nested under the top-level key `parent`.
pub(super) fn locate_nested_key(yaml: &str, parent: &str, key: &str) -> Option<KeyPos> {
    let (parent_line, _, _) = locate_key(yaml, parent)?;
    for (idx, raw) in yaml.lines().enumerate().skip(parent_line) {
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        if idx > parent_line && !line.trim().is_empty() && !line.starts_with([' ', '\t', '#']) {
            break;
        }
        let start = if idx == parent_line {
            // Flow mapping on the key's own line: `metadata: {a: 1}`.
            let (_, end) = read_key(line)?;
            end
        } else {
            line.chars().take_while(|c| *c == ' ' || *c == '\t').count()
        };
        let tail: String = line.chars().skip(start).collect();
        for (byte, _) in tail.match_indices(key) {
            let col = start + tail[..byte].chars().count();
            let prev = col.checked_sub(1).and_then(|p| line.chars().nth(p));
            let matches = |from: usize| {
                let text: String = line.chars().skip(from).collect();
                read_key(&text)
                    .filter(|(k, _)| k == key)
                    .map(|(_, end)| (idx, from, value_column(line, from + end)))
            };
            let found = match prev {
                None | Some(' ' | '\t' | '{' | ',') => matches(col),
                Some('"' | '\'') => matches(col - 1),
                Some(_) => None,
            };
            if found.is_some() {
                return found;
            }
        }
    }
    None
}
