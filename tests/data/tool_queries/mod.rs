//! Tool-search relevance over the union of the shared catalogs (`tests/fixtures/catalogs`,
//! every real `tools/list` there, one server each): thirty labelled plain task phrasings
//! (`labelled.rs`), twenty held-out ones never tuned on (`held_out.rs`), and the measure of a
//! ranking on them (MRR@3, top-3 hit rate, the misses).
//!
//! Test data, not part of the library: the tool-search unit tests (`src/api.rs`) and the
//! tool-search benchmark include it with `#[path]`. It names the library as `crate::api`,
//! `crate::codegen`, `crate::search` and `crate::tool`, which is the library itself in its unit
//! tests and `use skillet::{api, codegen, search, tool};` at the benchmark's root.

mod held_out;
mod labelled;

use std::collections::BTreeMap;

use crate::api::{Catalog, Folders, Functions};
use crate::search::SearchIndex;

/// How many hits count: the right tool must be among the first three.
pub const TOP: usize = 3;

/// Every shared catalog, by server (the file's name).
pub fn catalog() -> Catalog {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/catalogs");
    let mut catalog = Catalog::new();
    for entry in std::fs::read_dir(&dir).expect("the catalogs folder") {
        let path = entry.expect("a readable folder").path();
        if path.extension().is_none_or(|e| e != "json") {
            continue;
        }
        let server = path
            .file_stem()
            .and_then(|s| s.to_str())
            .expect("a UTF-8 name")
            .to_owned();
        let text = std::fs::read_to_string(&path).expect("a readable catalog");
        let tools = crate::tool::parse_tools_list(&text).expect("a valid catalog");
        catalog.insert(server, tools);
    }
    catalog
}

/// The search documents of every shared catalog, with the functions and folders `gen` gives
/// them.
pub fn docs() -> Vec<crate::search::SearchDoc> {
    let catalog = catalog();
    let mut functions = Functions::new();
    let mut folders = Folders::new();
    for (server, tools) in &catalog {
        let api = crate::codegen::generate_server(server, tools, &BTreeMap::new())
            .expect("every shared catalog generates");
        functions.insert(
            server.clone(),
            api.tools
                .iter()
                .map(|t| (t.tool.clone(), t.function.clone()))
                .collect(),
        );
        folders.insert(server.clone(), api.folder.clone());
    }
    crate::api::tool_docs_of(&catalog, &functions, &folders)
}

/// [`docs`] as bare documents, for comparison: each tool's name, description and parameters,
/// the server as its tag, none of what [`crate::api::tool_docs_of`] adds.
pub fn bare_docs() -> Vec<crate::search::SearchDoc> {
    docs()
        .into_iter()
        .map(|mut doc| {
            doc.tags.truncate(1);
            doc
        })
        .collect()
}

/// An in-memory index over [`docs`].
pub fn index() -> SearchIndex {
    let mut index = SearchIndex::in_memory().expect("an index in memory");
    index.sync(&docs()).expect("indexing");
    index
}

/// A labelled query whose right tool is not first.
#[derive(Debug, Clone)]
pub struct Miss {
    pub query: String,
    /// The right tool's rank (1-based) within the first ten, if there.
    pub rank: Option<usize>,
    pub expected: Vec<String>,
    /// The first hits.
    pub top: Vec<String>,
}

impl std::fmt::Display for Miss {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let rank = self.rank.map_or("-".to_owned(), |r| r.to_string());
        write!(
            f,
            "{rank:>2}  {:?} wants {} got {}",
            self.query,
            self.expected.join("|"),
            self.top.join(", ")
        )
    }
}

/// Relevance of the tool ranking on the labelled queries.
#[derive(Debug, Clone, Default)]
pub struct Relevance {
    /// Mean reciprocal rank of the first right tool within the top 3.
    pub mrr_at_3: f64,
    /// Share of queries with a right tool in the top 3.
    pub hit_at_3: f64,
    pub queries: usize,
    /// Tools in the index.
    pub tools: usize,
    /// Queries whose right tool is not first.
    pub misses: Vec<Miss>,
}

/// The phrasings and the tools that answer them: the labelled ones the ranking was tuned on,
/// or the held-out ones.
pub type Queries = &'static [(&'static str, &'static [&'static str])];

/// The thirty phrasings the ranking was tuned on.
pub const LABELLED: Queries = labelled::QUERIES;
/// The twenty phrasings written after tuning, never tuned on.
pub const HELD_OUT: Queries = held_out::QUERIES;

/// Every labelled query through [`crate::api::rank_tools`] over `index`. A query that errors
/// counts as finding nothing.
pub fn evaluate_index(index: &SearchIndex) -> Relevance {
    evaluate_ranking(index, LABELLED, crate::api::rank_tools)
}

/// A ranking of tools: what [`crate::api::rank_tools`] does, or another to compare with.
pub type Ranking =
    fn(&SearchIndex, &str, usize) -> Result<Vec<crate::search::Hit>, crate::search::SearchError>;

/// Every query of `queries` through `rank` over `index`.
pub fn evaluate_ranking(index: &SearchIndex, queries: Queries, rank: Ranking) -> Relevance {
    let mut rr = 0.0;
    let mut hits_at_top = 0;
    let mut misses = Vec::new();
    for (query, expected) in queries {
        let hits = rank(index, query, 10).unwrap_or_default();
        let rank = hits
            .iter()
            .position(|h| expected.contains(&h.name.as_str()));
        if let Some(r) = rank.filter(|r| *r < TOP) {
            rr += 1.0 / (r as f64 + 1.0);
            hits_at_top += 1;
        }
        if rank != Some(0) {
            misses.push(Miss {
                query: (*query).to_owned(),
                rank: rank.map(|r| r + 1),
                expected: expected.iter().map(|e| (*e).to_owned()).collect(),
                top: hits.iter().take(TOP).map(|h| h.name.clone()).collect(),
            });
        }
    }
    let n = queries.len().max(1) as f64;
    Relevance {
        mrr_at_3: rr / n,
        hit_at_3: f64::from(hits_at_top) / n,
        queries: queries.len(),
        tools: index.len(),
        misses,
    }
}

/// [`evaluate_index`] over a fresh [`index`].
pub fn evaluate() -> Relevance {
    evaluate_index(&index())
}
