//! The context around a candidate, shared by the detectors: whether the characters beside it
//! let it stand on its own (not a piece of a longer word or number), and the regex scan that
//! tries every start.

use regex::Regex;

/// Characters that join digit groups into one larger token (`2024-01-15`, `1.2.3`, `12:30`,
/// `01/15`): a candidate next to one of these followed by a digit is a piece of something else.
pub(super) const NUMBER_JOINERS: &[char] = &['.', '-', '/', ':'];

pub(super) fn is_word(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Whether what comes before `at` lets a candidate start there: no word character, and no
/// joiner preceded by a digit.
pub(super) fn left_clear(text: &str, at: usize, joiners: &[char]) -> bool {
    let mut before = text.get(..at).unwrap_or("").chars().rev();
    match before.next() {
        None => true,
        Some(c) if is_word(c) => false,
        Some(c) if joiners.contains(&c) => !before.next().is_some_and(|d| d.is_ascii_digit()),
        Some(_) => true,
    }
}

/// Whether what comes after `at` lets a candidate end there: no word character, and no joiner
/// followed by a digit.
pub(super) fn right_clear(text: &str, at: usize, joiners: &[char]) -> bool {
    let mut after = text.get(at..).unwrap_or("").chars();
    match after.next() {
        None => true,
        Some(c) if is_word(c) => false,
        Some(c) if joiners.contains(&c) => !after.next().is_some_and(|d| d.is_ascii_digit()),
        Some(_) => true,
    }
}

/// Runs `regex` over `text` and keeps the matches `accept` approves (possibly narrowed). After
/// any match the search goes on from its next character: a rejected candidate cannot hide a
/// valid one that starts inside it, and an accepted one that loses to another kind's span in
/// [`resolve_overlaps`](super::resolve_overlaps) cannot hide one that does not overlap the winner.
pub(super) fn scan_regex(
    regex: &Regex,
    text: &str,
    mut accept: impl FnMut(usize, usize) -> Option<(usize, usize)>,
) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut pos = 0;
    while pos <= text.len() {
        let Some(m) = regex.find_at(text, pos) else {
            break;
        };
        if let Some((start, end)) = accept(m.start(), m.end())
            && end > start
        {
            out.push((start, end));
        }
        pos = next_char(text, m.start());
    }
    out
}

/// The offset of the character after the one at `at`.
fn next_char(text: &str, at: usize) -> usize {
    at + text
        .get(at..)
        .and_then(|s| s.chars().next())
        .map_or(1, char::len_utf8)
}
