//! Text preparation shared by indexing and querying: identifier splitting
//! (`saveSheetAsCsv`, `save_sheet_as_csv`, `save-sheet-as-csv`) and query
//! sanitization. Stemming and lowercasing happen in the tantivy analyzer
//! registered by [`crate::search::index`]; this module only decides which
//! words reach it.

/// Words dropped from queries: they match almost every document and only
/// add noise (and false fuzzy matches).
const STOP_WORDS: &[&str] = &[
    "a", "an", "and", "are", "as", "at", "be", "by", "can", "do", "for", "from", "how", "i", "in",
    "into", "is", "it", "me", "my", "of", "on", "or", "our", "so", "some", "that", "the", "their",
    "this", "to", "up", "we", "what", "when", "which", "with", "you", "your", "all", "each",
    "every", "want", "need", "please", "skill", "skills",
];

/// Maximum number of words taken from one query; longer queries are cut.
pub const MAX_QUERY_WORDS: usize = 32;

/// Splits one identifier-like token into lowercase parts on camelCase,
/// digit, `_`, `-` and `.` boundaries: `saveSheetAsCSV2` -> `save sheet as csv 2`.
pub fn split_identifier(token: &str) -> Vec<String> {
    let chars: Vec<char> = token.chars().collect();
    let mut parts = Vec::new();
    let mut cur = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if !c.is_alphanumeric() {
            if !cur.is_empty() {
                parts.push(std::mem::take(&mut cur));
            }
            continue;
        }
        if let Some(&prev) = i.checked_sub(1).and_then(|p| chars.get(p)) {
            let next = chars.get(i + 1).copied();
            let boundary = (prev.is_lowercase() && c.is_uppercase())
                || (prev.is_alphabetic() && c.is_numeric())
                || (prev.is_numeric() && c.is_alphabetic())
                // "CSVFile" -> "CSV" "File"
                || (prev.is_uppercase()
                    && c.is_uppercase()
                    && next.is_some_and(|n| n.is_lowercase()));
            if boundary && !cur.is_empty() {
                parts.push(std::mem::take(&mut cur));
            }
        }
        cur.extend(c.to_lowercase());
    }
    if !cur.is_empty() {
        parts.push(cur);
    }
    parts
}

/// True when `token` is a compound identifier worth also indexing joined.
fn is_compound(token: &str) -> bool {
    let mut prev: Option<char> = None;
    for c in token.chars() {
        if let Some(p) = prev
            && ((p.is_lowercase() && c.is_uppercase())
                || (matches!(p, '_' | '-' | '.') && c.is_alphanumeric()))
        {
            return true;
        }
        prev = Some(c);
    }
    false
}

/// Expands identifiers in free text for indexing: the text is kept as is
/// and, for every compound token, the words the plain tokenizer would miss
/// are appended (the parts of `saveSheetAsCsv`, the joined form of
/// `save_sheet_as_csv`). So `saveSheetAsCsv` is found by "save sheet as
/// csv", by "saveSheetAsCsv" and by "save_sheet_as_csv".
pub fn expand_for_index(text: &str) -> String {
    let mut extra: Vec<String> = Vec::new();
    let is_ident_char = |c: char| c.is_alphanumeric() || matches!(c, '_' | '-' | '.');
    for token in text.split(|c: char| !is_ident_char(c)) {
        let token = token.trim_matches(|c: char| !c.is_alphanumeric());
        if !is_compound(token) {
            continue;
        }
        let plain: Vec<String> = token
            .split(|c: char| !c.is_alphanumeric())
            .filter(|p| !p.is_empty())
            .map(str::to_lowercase)
            .collect();
        let parts = split_identifier(token);
        let joined = parts.concat();
        for w in parts.into_iter().chain(std::iter::once(joined)) {
            if !plain.contains(&w) && !extra.contains(&w) {
                extra.push(w);
            }
        }
    }
    if extra.is_empty() {
        return text.to_string();
    }
    let mut out =
        String::with_capacity(text.len() + 1 + extra.iter().map(|w| w.len() + 1).sum::<usize>());
    out.push_str(text);
    for w in extra {
        out.push(' ');
        out.push_str(&w);
    }
    out
}

/// One word of a sanitized query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryWord {
    /// Lowercased, not yet stemmed.
    pub text: String,
    /// True for the joined form of a compound identifier typed by the user
    /// (`saveSheetAsCsv` -> `savesheetascsv`); never fuzzed.
    pub joined: bool,
}

/// Turns arbitrary user input into plain words. Never fails: query syntax
/// (quotes, colons, parentheses, `AND`, `-`, `*`), punctuation and emoji are
/// separators; stop words are dropped unless nothing else is left.
pub fn query_words(query: &str) -> Vec<QueryWord> {
    let mut words: Vec<QueryWord> = Vec::new();
    let push = |w: QueryWord, words: &mut Vec<QueryWord>| {
        if !w.text.is_empty() && !words.iter().any(|x| x.text == w.text) {
            words.push(w);
        }
    };
    for token in query.split(|c: char| c.is_whitespace() || c == '/' || c == ',') {
        let trimmed = token.trim_matches(|c: char| !c.is_alphanumeric());
        if trimmed.is_empty() {
            continue;
        }
        let parts = split_identifier(trimmed);
        if is_compound(trimmed) && parts.len() > 1 {
            push(
                QueryWord {
                    text: parts.concat(),
                    joined: true,
                },
                &mut words,
            );
        }
        for p in parts {
            push(
                QueryWord {
                    text: p,
                    joined: false,
                },
                &mut words,
            );
        }
    }
    let content: Vec<QueryWord> = words
        .iter()
        .filter(|w| !STOP_WORDS.contains(&w.text.as_str()))
        .cloned()
        .collect();
    let mut chosen = if content.is_empty() { words } else { content };
    chosen.truncate(MAX_QUERY_WORDS);
    chosen
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_identifiers() {
        assert_eq!(
            split_identifier("saveSheetAsCsv"),
            ["save", "sheet", "as", "csv"]
        );
        assert_eq!(
            split_identifier("save_sheet-as.csv"),
            ["save", "sheet", "as", "csv"]
        );
        assert_eq!(
            split_identifier("parseCSVFile2"),
            ["parse", "csv", "file", "2"]
        );
        assert_eq!(split_identifier("plain"), ["plain"]);
    }

    #[test]
    fn expands_for_index() {
        assert_eq!(
            expand_for_index("call saveSheetAsCsv(now) or save_sheet."),
            "call saveSheetAsCsv(now) or save_sheet. save sheet as csv savesheet"
        );
        assert_eq!(expand_for_index("plain words"), "plain words");
    }

    #[test]
    fn sanitizes_queries() {
        let w: Vec<String> = query_words("title:\"foo\" AND (bar) 🎉 -baz* saveSheet")
            .into_iter()
            .map(|w| w.text)
            .collect();
        assert_eq!(
            w,
            ["title", "foo", "bar", "baz", "savesheet", "save", "sheet"]
        );
        assert!(query_words("🎉 ::: ()").is_empty());
        // stop words only: keep them rather than returning nothing
        assert_eq!(query_words("to be").len(), 2);
    }
}
