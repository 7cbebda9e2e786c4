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

pub mod corpus;
mod index;
mod text;

pub use index::{LAYOUT_VERSION, SearchIndex, content_hash};
pub use text::{expand_for_index, split_identifier};

use serde::{Deserialize, Serialize};

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
#[derive(Debug, Clone, Serialize)]
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
    #[error("{0} is not empty and does not look like a search index; refusing to overwrite it")]
    NotAnIndex(std::path::PathBuf),
}

#[cfg(test)]
mod tests;
