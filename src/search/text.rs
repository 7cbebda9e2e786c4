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
/// Bytes of a query read at most; the rest is ignored (and the cut reported). A few keywords
/// is what search is for: this is room for a long sentence, and keeps a pasted document from
/// costing more than reading this much.
pub const MAX_QUERY_BYTES: usize = 2048;
/// Longest word kept, in characters. The index drops tokens of 48 bytes or more, so a longer
/// word matches nothing, even with typos allowed.
pub const MAX_WORD_CHARS: usize = 50;
/// Longest word given typo tolerance, in characters: fuzzy matching builds an automaton whose
/// size grows with the word.
pub const MAX_FUZZY_CHARS: usize = 20;
/// Words of one query given typo tolerance at most (the first ones that match nothing).
pub const MAX_FUZZY_WORDS: usize = 8;

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

/// What was left out of a query to keep its cost bounded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryCut {
    /// Length of the query as given, in bytes.
    pub given_bytes: usize,
    /// True when bytes past [`MAX_QUERY_BYTES`] were ignored.
    pub bytes_cut: bool,
    /// True when distinct words past [`MAX_QUERY_WORDS`] were ignored.
    pub words_cut: bool,
    /// Words longer than [`MAX_WORD_CHARS`] left out (they cannot match).
    pub long_words: usize,
}

impl std::fmt::Display for QueryCut {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let given = self.given_bytes;
        if self.words_cut {
            write!(
                f,
                "query cut to its first {MAX_QUERY_WORDS} words ({given} bytes given)"
            )?;
        } else if self.bytes_cut {
            write!(
                f,
                "query cut to its first {MAX_QUERY_BYTES} bytes ({given} bytes given)"
            )?;
        } else {
            f.write_str("query cut")?;
        }
        match self.long_words {
            0 => {}
            1 => write!(f, "; 1 word over {MAX_WORD_CHARS} characters left out")?,
            n => write!(f, "; {n} words over {MAX_WORD_CHARS} characters left out")?,
        }
        Ok(())
    }
}

/// A sanitized query: its words, and what was cut from it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ParsedQuery {
    pub words: Vec<QueryWord>,
    /// The stop words left out of `words` (none when `words` are stop words).
    pub stop_words: Vec<QueryWord>,
    pub cut: Option<QueryCut>,
}

/// Turns arbitrary user input into plain words. Never fails: query syntax
/// (quotes, colons, parentheses, `AND`, `-`, `*`), punctuation and emoji are
/// separators; stop words are dropped unless nothing else is left.
///
/// Bounded for any input: at most [`MAX_QUERY_BYTES`] are read (cut back to
/// the last separator, so no word is cut in half), reading stops at the first
/// distinct word past [`MAX_QUERY_WORDS`], words that cannot match are left
/// out, and whatever is left out is reported in [`ParsedQuery::cut`].
pub fn parse_query(query: &str) -> ParsedQuery {
    let is_sep = |c: char| c.is_whitespace() || c == '/' || c == ',';
    let mut read = query;
    let mut bytes_cut = false;
    if read.len() > MAX_QUERY_BYTES {
        bytes_cut = true;
        let mut end = MAX_QUERY_BYTES;
        while !read.is_char_boundary(end) {
            end -= 1;
        }
        read = &read[..end];
        // Do not search the half of a word that straddles the limit.
        if !query[end..].starts_with(is_sep)
            && let Some(sep) = read.rfind(is_sep)
        {
            read = &read[..sep];
        }
    }
    let mut words = Words::default();
    'tokens: for token in read.split(is_sep) {
        let trimmed = token.trim_matches(|c: char| !c.is_alphanumeric());
        if trimmed.is_empty() {
            continue;
        }
        let parts = split_identifier(trimmed);
        if is_compound(trimmed) && parts.len() > 1 && !words.push(parts.concat(), true) {
            break 'tokens;
        }
        for p in parts {
            if !words.push(p, false) {
                break 'tokens;
            }
        }
    }
    // Stop words only count when nothing else is left.
    let (words_cut, list, stop_words) = if words.content.is_empty() {
        (words.stop_cut, words.stop, Vec::new())
    } else {
        (words.content_cut, words.content, words.stop)
    };
    let long_words = words.long;
    let cut = (bytes_cut || words_cut || long_words > 0).then_some(QueryCut {
        given_bytes: query.len(),
        bytes_cut,
        words_cut,
        long_words,
    });
    ParsedQuery {
        words: list,
        stop_words,
        cut,
    }
}

/// The distinct words of a query being read, content and stop words apart.
#[derive(Default)]
struct Words {
    content: Vec<QueryWord>,
    stop: Vec<QueryWord>,
    content_cut: bool,
    stop_cut: bool,
    long: usize,
}

impl Words {
    /// Adds a word unless seen; false once a distinct content word past the limit shows up
    /// (reading can stop there).
    fn push(&mut self, text: String, joined: bool) -> bool {
        if text.is_empty() {
            return true;
        }
        if text.chars().count() > MAX_WORD_CHARS {
            // A joined identifier too long to be indexed still has its parts searched.
            if !joined {
                self.long += 1;
            }
            return true;
        }
        let stop = STOP_WORDS.contains(&text.as_str());
        let list = if stop {
            &mut self.stop
        } else {
            &mut self.content
        };
        if list.iter().any(|x| x.text == text) {
            return true;
        }
        if list.len() == MAX_QUERY_WORDS {
            if stop {
                self.stop_cut = true;
                return true;
            }
            self.content_cut = true;
            return false;
        }
        list.push(QueryWord { text, joined });
        true
    }
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
        let w: Vec<String> = parse_query("title:\"foo\" AND (bar) 🎉 -baz* saveSheet")
            .words
            .into_iter()
            .map(|w| w.text)
            .collect();
        assert_eq!(
            w,
            ["title", "foo", "bar", "baz", "savesheet", "save", "sheet"]
        );
        assert!(parse_query("🎉 ::: ()").words.is_empty());
        // stop words only: keep them rather than returning nothing
        assert_eq!(parse_query("to be").words.len(), 2);
    }

    fn texts(q: &ParsedQuery) -> Vec<&str> {
        q.words.iter().map(|w| w.text.as_str()).collect()
    }

    #[test]
    fn short_queries_are_not_cut() {
        let q = parse_query("export the sheet as CSV");
        assert_eq!(texts(&q), ["export", "sheet", "csv"]);
        assert_eq!(q.cut, None);
    }

    #[test]
    fn distinct_words_are_capped_and_duplicates_free() {
        let letter = |i: usize| char::from(b'a' + (i % 26) as u8);
        let many: Vec<String> = (0..100)
            .map(|i| format!("zz{}{}", letter(i / 26), letter(i)))
            .collect();
        let q = parse_query(&format!("dup dup dup {}", many.join(" ")));
        assert_eq!(q.words.len(), MAX_QUERY_WORDS);
        assert_eq!(q.words[0].text, "dup");
        assert_eq!(q.words[1].text, "zzaa");
        let cut = q.cut.unwrap();
        assert!(cut.words_cut && !cut.bytes_cut);
        assert_eq!(
            cut.to_string(),
            format!(
                "query cut to its first 32 words ({} bytes given)",
                12 + many.join(" ").len()
            )
        );
        // Exactly the limit is not a cut.
        let q = parse_query(&many[..MAX_QUERY_WORDS].join(" "));
        assert_eq!(q.cut, None);
    }

    #[test]
    fn bytes_past_the_limit_are_not_read() {
        let q = format!("{} needle", "export ".repeat(MAX_QUERY_BYTES));
        let p = parse_query(&q);
        assert_eq!(texts(&p), ["export"]);
        let cut = p.cut.unwrap();
        assert!(cut.bytes_cut && !cut.words_cut);
        assert_eq!(
            cut.to_string(),
            format!(
                "query cut to its first {MAX_QUERY_BYTES} bytes ({} bytes given)",
                q.len()
            )
        );
    }

    #[test]
    fn a_word_straddling_the_byte_limit_is_dropped() {
        let head = "a ".repeat((MAX_QUERY_BYTES - 8) / 2);
        let q = format!("{head}csv strawberry");
        assert!(q.len() > MAX_QUERY_BYTES && head.len() + 4 < MAX_QUERY_BYTES);
        assert_eq!(texts(&parse_query(&q)), ["csv"]);
        // A multi-byte character on the limit is not split.
        let q = "é".repeat(MAX_QUERY_BYTES);
        assert!(parse_query(&q).cut.unwrap().bytes_cut);
    }

    #[test]
    fn words_too_long_to_match_are_left_out() {
        let long = "y".repeat(MAX_WORD_CHARS + 1);
        let q = parse_query(&format!("csv {long}"));
        assert_eq!(texts(&q), ["csv"]);
        let cut = q.cut.unwrap();
        assert_eq!(cut.long_words, 1);
        assert_eq!(
            cut.to_string(),
            format!("query cut; 1 word over {MAX_WORD_CHARS} characters left out")
        );
        // The joined form of a long identifier is dropped quietly; its parts are searched.
        let ident = "saveTheQuarterlySpreadsheetAsCommaSeparatedValuesToDrive";
        let q = parse_query(ident);
        assert_eq!(q.cut, None);
        assert!(texts(&q).contains(&"spreadsheet"));
    }

    #[test]
    fn stop_words_are_kept_only_alone() {
        assert_eq!(texts(&parse_query("how do i to the csv")), ["csv"]);
        let q = parse_query(&STOP_WORDS.join(" "));
        assert_eq!(q.words.len(), MAX_QUERY_WORDS);
        assert!(q.cut.unwrap().words_cut);
        // Many stop words do not stop the reading: the content word after them counts.
        let q = parse_query(&format!("{} csv", STOP_WORDS.join(" ")));
        assert_eq!(texts(&q), ["csv"]);
        assert_eq!(q.cut, None);
    }
}
