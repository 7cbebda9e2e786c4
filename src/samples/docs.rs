//! The `docs` sample server: a small, read-only document store.

use rmcp::{
    Json, ServerHandler,
    handler::server::{router::tool::ToolRouter, wrapper::Parameters},
    model::{Implementation, ServerCapabilities, ServerConfig},
    tool, tool_handler, tool_router,
};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::docs_data::{self, Document};

const INSTRUCTIONS: &str = "A read-only document store with four folders: engineering, sales, hr \
and meetings. Use search_documents to find documents by keywords, list_documents to browse \
(optionally one folder), and get_document to read a document in full. Document ids are stable \
slugs such as `meet-2025-q3-planning-call`. Some documents are long: prefer search snippets and \
list metadata before fetching full text.";

const DEFAULT_LIST_LIMIT: u32 = 50;
const DEFAULT_SEARCH_LIMIT: u32 = 5;
const MAX_LIMIT: u32 = 100;
/// Words of context on either side of the first match in a search snippet.
const SNIPPET_WORDS_BEFORE: usize = 12;
const SNIPPET_WORDS_AFTER: usize = 28;
/// Content matches counted per search term.
const MAX_CONTENT_HITS: u32 = 5;

/// A document folder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Folder {
    Engineering,
    Sales,
    Hr,
    Meetings,
}

impl Folder {
    /// The folder name as it appears on the wire.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Folder::Engineering => "engineering",
            Folder::Sales => "sales",
            Folder::Hr => "hr",
            Folder::Meetings => "meetings",
        }
    }
}

/// Arguments of `list_documents`.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ListDocumentsParams {
    /// Only list documents in this folder. Omit to list every folder.
    pub folder: Option<Folder>,
    /// Maximum number of documents to return (1-100, default 50).
    #[schemars(range(min = 1, max = 100))]
    pub limit: Option<u32>,
}

/// Result of `list_documents`.
#[derive(Debug, Serialize, JsonSchema)]
pub(crate) struct ListDocumentsResult {
    /// Matching documents, most recently updated first.
    pub documents: Vec<DocumentSummary>,
    /// How many documents matched before `limit` was applied.
    pub total: usize,
}

/// Metadata about one document, without its content.
#[derive(Debug, Serialize, JsonSchema)]
pub(crate) struct DocumentSummary {
    /// Stable document id, for `get_document`.
    pub id: String,
    /// Document title.
    pub title: String,
    /// Folder the document lives in.
    pub folder: Folder,
    /// Date of the last update, `YYYY-MM-DD`.
    pub updated: String,
    /// Number of words in the document content.
    pub word_count: usize,
}

/// Arguments of `search_documents`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SearchDocumentsParams {
    /// Keywords to look for, case-insensitive. Each word is matched as a word prefix against titles, tags and content.
    pub query: String,
    /// Maximum number of results to return (1-100, default 5).
    #[schemars(range(min = 1, max = 100))]
    pub limit: Option<u32>,
}

/// Result of `search_documents`.
#[derive(Debug, Serialize, JsonSchema)]
pub(crate) struct SearchDocumentsResult {
    /// Best matches first.
    pub results: Vec<SearchHit>,
    /// How many documents matched before `limit` was applied.
    pub total_matches: usize,
}

/// One search result.
#[derive(Debug, Serialize, JsonSchema)]
pub(crate) struct SearchHit {
    /// Stable document id, for `get_document`.
    pub id: String,
    /// Document title.
    pub title: String,
    /// Folder the document lives in.
    pub folder: Folder,
    /// A short excerpt of the content around the first match.
    pub snippet: String,
    /// Relevance score; higher is better. Per query word: 5 per title match, 3 per tag match, 1 per content match (at most 5).
    pub score: u32,
}

/// Arguments of `get_document`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct GetDocumentParams {
    /// Document id, as returned by `list_documents` or `search_documents`.
    pub id: String,
}

/// The `docs` sample MCP server.
#[derive(Debug, Clone)]
pub(crate) struct DocsServer {
    tool_router: ToolRouter<Self>,
}

impl Default for DocsServer {
    fn default() -> Self {
        Self::new()
    }
}

#[tool_router(router = tool_router)]
impl DocsServer {
    /// Create the server. The document corpus is built once per process and never changes.
    pub(crate) fn new() -> Self {
        Self {
            tool_router: Self::tool_router(),
        }
    }

    #[tool(
        title = "List documents",
        description = "List documents with their metadata (id, title, folder, last update, word count), most recently updated first. Optionally restrict to one folder.",
        annotations(read_only_hint = true, idempotent_hint = true, open_world_hint = false)
    )]
    fn list_documents(
        &self,
        Parameters(params): Parameters<ListDocumentsParams>,
    ) -> Result<Json<ListDocumentsResult>, String> {
        let limit = check_limit(params.limit, DEFAULT_LIST_LIMIT)?;
        Ok(Json(list(params.folder, limit)))
    }

    #[tool(
        title = "Search documents",
        description = "Search documents by keywords (case-insensitive). Returns the best matches with a snippet and a relevance score.",
        annotations(read_only_hint = true, idempotent_hint = true, open_world_hint = false)
    )]
    fn search_documents(
        &self,
        Parameters(params): Parameters<SearchDocumentsParams>,
    ) -> Result<Json<SearchDocumentsResult>, String> {
        let limit = check_limit(params.limit, DEFAULT_SEARCH_LIMIT)?;
        let terms = query_terms(&params.query);
        if terms.is_empty() {
            return Err("`query` must contain at least one word.".to_owned());
        }
        Ok(Json(search(&terms, limit)))
    }

    #[tool(
        title = "Get document",
        description = "Read one document in full. Returns plain text: a metadata header (id, title, folder, author, dates, tags, word count) between `---` lines, then the document content.",
        annotations(read_only_hint = true, idempotent_hint = true, open_world_hint = false)
    )]
    fn get_document(
        &self,
        Parameters(GetDocumentParams { id }): Parameters<GetDocumentParams>,
    ) -> Result<String, String> {
        docs_data::find(&id).map(render_document).ok_or_else(|| {
            format!("No document with id `{id}`. Call list_documents or search_documents to find valid ids.")
        })
    }
}

#[tool_handler(router = self.tool_router)]
impl ServerHandler for DocsServer {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(
                Implementation::new("skillet-sample-docs", env!("CARGO_PKG_VERSION"))
                    .with_title("Skillet sample: docs")
                    .with_description("A read-only document store for skillet demos and tests."),
            )
            .with_instructions(INSTRUCTIONS)
    }
}

fn check_limit(limit: Option<u32>, default: u32) -> Result<usize, String> {
    match limit {
        None => Ok(default as usize),
        Some(n) if (1..=MAX_LIMIT).contains(&n) => Ok(n as usize),
        Some(n) => Err(format!(
            "`limit` must be between 1 and {MAX_LIMIT}, got {n}."
        )),
    }
}

fn summary(doc: &Document) -> DocumentSummary {
    DocumentSummary {
        id: doc.id.to_owned(),
        title: doc.title.to_owned(),
        folder: doc.folder,
        updated: doc.updated.to_owned(),
        word_count: doc.word_count(),
    }
}

pub(crate) fn list(folder: Option<Folder>, limit: usize) -> ListDocumentsResult {
    let mut matching: Vec<&Document> = docs_data::documents()
        .iter()
        .filter(|d| folder.is_none_or(|f| d.folder == f))
        .collect();
    matching.sort_by(|a, b| b.updated.cmp(a.updated).then(a.id.cmp(b.id)));
    ListDocumentsResult {
        total: matching.len(),
        documents: matching.into_iter().take(limit).map(summary).collect(),
    }
}

/// Lower-cased alphanumeric words of `text`.
fn words(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
}

/// The distinct search terms in a query, in order of first appearance.
pub(crate) fn query_terms(query: &str) -> Vec<String> {
    let mut terms: Vec<String> = Vec::new();
    for word in words(query) {
        if !terms.contains(&word) {
            terms.push(word);
        }
    }
    terms
}

fn count_matches(text: &str, term: &str) -> u32 {
    let hits = words(text).filter(|w| w.starts_with(term)).count();
    u32::try_from(hits).unwrap_or(u32::MAX)
}

/// Relevance of one document. Per term: 5 per title match, 3 per tag match and 1 per content
/// match, counting at most [`MAX_CONTENT_HITS`] content matches so long documents don't win
/// on length alone.
pub(crate) fn score(doc: &Document, terms: &[String]) -> u32 {
    terms
        .iter()
        .map(|term| {
            let tags: u32 = doc.tags.iter().map(|tag| count_matches(tag, term)).sum();
            5 * count_matches(doc.title, term)
                + 3 * tags
                + count_matches(&doc.content, term).min(MAX_CONTENT_HITS)
        })
        .sum()
}

/// A whitespace-normalized excerpt around the first content match (or the start of the
/// content when only the title or tags matched).
pub(crate) fn snippet(content: &str, terms: &[String]) -> String {
    let all: Vec<&str> = content.split_whitespace().collect();
    let hit = all
        .iter()
        .position(|w| words(w).any(|w| terms.iter().any(|t| w.starts_with(t.as_str()))))
        .unwrap_or(0);
    let start = hit.saturating_sub(SNIPPET_WORDS_BEFORE);
    let end = (hit + SNIPPET_WORDS_AFTER).min(all.len());
    let mut text = all[start..end].join(" ");
    if start > 0 {
        text.insert_str(0, "… ");
    }
    if end < all.len() {
        text.push_str(" …");
    }
    text
}

pub(crate) fn search(terms: &[String], limit: usize) -> SearchDocumentsResult {
    let mut scored: Vec<(u32, &Document)> = docs_data::documents()
        .iter()
        .map(|d| (score(d, terms), d))
        .filter(|(s, _)| *s > 0)
        .collect();
    scored.sort_by(|(sa, a), (sb, b)| {
        sb.cmp(sa)
            .then(b.updated.cmp(a.updated))
            .then(a.id.cmp(b.id))
    });
    SearchDocumentsResult {
        total_matches: scored.len(),
        results: scored
            .into_iter()
            .take(limit)
            .map(|(score, d)| SearchHit {
                id: d.id.to_owned(),
                title: d.title.to_owned(),
                folder: d.folder,
                snippet: snippet(&d.content, terms),
                score,
            })
            .collect(),
    }
}

/// The plain-text rendering returned by `get_document`.
pub(crate) fn render_document(doc: &Document) -> String {
    format!(
        "---\nid: {}\ntitle: {}\nfolder: {}\nauthor: {}\ncreated: {}\nupdated: {}\ntags: {}\nword_count: {}\n---\n\n{}\n",
        doc.id,
        doc.title,
        doc.folder.as_str(),
        doc.author,
        doc.created,
        doc.updated,
        doc.tags.join(", "),
        doc.word_count(),
        doc.content,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::samples::docs_data::TRANSCRIPT_ID;

    #[test]
    fn corpus_shape() {
        let docs = docs_data::documents();
        assert!((10..=14).contains(&docs.len()), "{} documents", docs.len());
        for folder in [
            Folder::Engineering,
            Folder::Sales,
            Folder::Hr,
            Folder::Meetings,
        ] {
            assert!(docs.iter().any(|d| d.folder == folder), "{folder:?} empty");
        }
        let mut ids: Vec<&str> = docs.iter().map(|d| d.id).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), docs.len(), "duplicate ids");
        for d in docs {
            assert!(d.word_count() > 50, "{} is too short", d.id);
            assert!(d.created <= d.updated, "{} dates", d.id);
        }
        let transcript = docs_data::find(TRANSCRIPT_ID).expect("transcript");
        assert!((16_000..=24_000).contains(&transcript.word_count()));
    }

    #[test]
    fn list_filters_sorts_and_limits() {
        let all = list(None, 100);
        assert_eq!(all.total, docs_data::documents().len());
        assert!(
            all.documents
                .windows(2)
                .all(|w| w[0].updated >= w[1].updated)
        );

        let hr = list(Some(Folder::Hr), 100);
        assert_eq!(hr.total, 3);
        assert!(hr.documents.iter().all(|d| d.folder == Folder::Hr));

        let two = list(None, 2);
        assert_eq!(two.documents.len(), 2);
        assert_eq!(two.total, all.total);
    }

    #[test]
    fn limits_are_checked() {
        assert_eq!(check_limit(None, 5), Ok(5));
        assert_eq!(check_limit(Some(100), 5), Ok(100));
        assert!(
            check_limit(Some(0), 5)
                .unwrap_err()
                .contains("between 1 and 100")
        );
        assert!(check_limit(Some(101), 5).is_err());
    }

    #[test]
    fn query_terms_are_lowercased_and_deduplicated() {
        assert_eq!(
            query_terms("Northwind, northwind RENEWAL!"),
            vec!["northwind", "renewal"]
        );
        assert!(query_terms("  ,;  ").is_empty());
    }

    #[test]
    fn search_ranks_title_matches_first() {
        let result = search(&query_terms("northwind"), 20);
        assert!(result.total_matches >= 3);
        assert_eq!(result.results[0].id, "sales-northwind-account-plan");
        assert!(result.results.windows(2).all(|w| w[0].score >= w[1].score));
        let transcript = result.results.iter().find(|h| h.id == TRANSCRIPT_ID);
        assert!(transcript.is_some(), "transcript mentions Northwind");
    }

    #[test]
    fn search_is_case_insensitive_and_prefix_based() {
        let lower = search(&query_terms("postmortem"), 5);
        let upper = search(&query_terms("POSTMORTEM"), 5);
        assert_eq!(lower.results[0].id, upper.results[0].id);
        assert_eq!(lower.results[0].score, upper.results[0].score);
        // "export" matches "exports" as a prefix.
        assert!(search(&query_terms("export"), 20).total_matches >= 3);
        assert_eq!(search(&query_terms("zzzyzzx"), 5).total_matches, 0);
    }

    #[test]
    fn score_weighs_title_tags_and_capped_content() {
        let doc = Document {
            id: "x",
            title: "Export notes",
            folder: Folder::Engineering,
            author: "a",
            created: "2025-01-01",
            updated: "2025-01-01",
            tags: &["exports", "misc"],
            content: "export ".repeat(20),
        };
        // title 5, tag 3, content capped at 5.
        assert_eq!(score(&doc, &query_terms("export")), 13);
        assert_eq!(score(&doc, &query_terms("export misc")), 16);
        assert_eq!(score(&doc, &query_terms("unrelated")), 0);
    }

    #[test]
    fn snippet_surrounds_first_match() {
        let content = "one two three four five six seven eight nine ten eleven twelve thirteen \
                       fourteen needle sixteen";
        let s = snippet(content, &query_terms("needle"));
        assert!(s.starts_with("… "), "{s}");
        assert!(s.contains("needle"));
        assert!(!s.ends_with('…'));
        let s = snippet(content, &query_terms("absent"));
        assert!(s.starts_with("one two"));
    }

    #[test]
    fn rendered_document_has_header_and_content() {
        let doc = docs_data::find("hr-time-off-policy").expect("doc");
        let text = render_document(doc);
        assert!(text.starts_with("---\nid: hr-time-off-policy\n"));
        assert!(text.contains("folder: hr\n"));
        assert!(text.ends_with(&format!("{}\n", doc.content)));
    }
}
