//! Full-text search over skills (and, later, generated tools).
//!
//! A tantivy index kept on disk (e.g. `.skillet/index/skills`) that is a
//! cache of the registry: [`SearchIndex::sync`] brings it in line with the
//! current documents using content hashes, and [`SearchIndex::open`]
//! rebuilds it when it is corrupt or of an older layout.
//!
//! Ranking: BM25 per field with field weights (name > tags > description >
//! tools/identifiers > body), English stemming, identifiers split on
//! camelCase/snake_case/kebab-case, and typo tolerance (fuzzy terms for
//! query words that match nothing).
//!
//! Every query costs a bounded amount whatever its size: [`parse_query`]
//! reads at most [`MAX_QUERY_BYTES`] and [`MAX_QUERY_WORDS`] distinct words,
//! and typo tolerance is given to at most [`MAX_FUZZY_WORDS`] words of at
//! most [`MAX_FUZZY_CHARS`] letters; [`query_notice`] says what was cut.

mod index;
mod text;

pub use index::{LAYOUT_VERSION, SearchIndex, content_hash};
pub use text::{
    MAX_FUZZY_CHARS, MAX_FUZZY_WORDS, MAX_QUERY_BYTES, MAX_QUERY_WORDS, MAX_WORD_CHARS,
    ParsedQuery, QueryCut, expand_for_index, parse_query, split_identifier,
};

use serde::{Deserialize, Serialize};

/// What a search leaves out of `query` to keep its cost bounded, for the user: a line
/// (`query cut to its first 32 words (102400 bytes given)`) and a `hint:` line; `None` when
/// nothing is cut.
/// Cheap (reads at most [`MAX_QUERY_BYTES`]), so callers ask it next to the search itself.
/// What to do about a query that was cut.
pub const QUERY_HINT: &str = "search with a few keywords";

/// What was cut from `query` (the words searched were fewer than given), or `None`. Say
/// [`QUERY_HINT`] with it.
pub fn query_notice(query: &str) -> Option<String> {
    parse_query(query).cut.map(|cut| cut.to_string())
}

/// What a search document describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DocKind {
    Skill,
    Tool,
}

/// One searchable document: a skill, or (later) a generated tool.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SearchDoc {
    pub kind: DocKind,
    pub name: String,
    pub description: String,
    pub body: String,
    pub tags: Vec<String>,
    /// "server.tool" names it calls.
    pub tools: Vec<String>,
    /// Identifiers in its scripts (function names); camelCase, snake_case
    /// and kebab-case are split by the index.
    pub identifiers: Vec<String>,
    pub version: Option<String>,
    /// Free-form status shown in results (e.g. review status).
    pub status: Option<String>,
}

/// One search result.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Hit {
    pub kind: DocKind,
    pub name: String,
    pub description: String,
    pub score: f32,
    pub version: Option<String>,
    pub status: Option<String>,
    /// A short excerpt with the matched terms marked **like this**.
    pub snippet: String,
}

/// What [`SearchIndex::sync`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct SyncReport {
    pub added: usize,
    pub updated: usize,
    pub removed: usize,
    pub unchanged: usize,
}

impl SyncReport {
    /// True when the sync wrote nothing.
    pub fn is_noop(&self) -> bool {
        self.added == 0 && self.updated == 0 && self.removed == 0
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    #[error("search index I/O: {0}")]
    Io(#[from] std::io::Error),
    #[error("search index: {0}")]
    Index(#[from] tantivy::TantivyError),
    #[error("search index document encoding: {0}")]
    Json(#[from] serde_json::Error),
    #[error("search index is corrupt: {0}")]
    Corrupt(String),
    #[error(
        "{0} holds a registry or a git repository, not a search index; refusing to overwrite it"
    )]
    NotAnIndex(std::path::PathBuf),
    #[error("cannot remove {path}, which is in the way of the search index: {source}")]
    InTheWay {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
}

impl crate::error::Diagnose for SearchError {
    fn hints(&self) -> Vec<String> {
        match self {
            Self::NotAnIndex(_) => vec!["a search index goes under .skillet/index/".into()],
            Self::InTheWay { .. } => {
                vec!["remove it by hand; the index is a cache and skillet rebuilds it".into()]
            }
            _ => Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests;
