//! The tantivy index: schema, open/rebuild, sync and query execution.

use std::collections::{BTreeMap, HashMap};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use sha2::{Digest, Sha256};
use tantivy::collector::TopDocs;
use tantivy::query::{
    AutomatonWeight, BooleanQuery, BoostQuery, DfaWrapper, DisjunctionMaxQuery, EnableScoring,
    FuzzyTermQuery, Occur, Query, TermQuery, Weight,
};
use tantivy::schema::{
    Field, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing, TextOptions, Value,
};
use tantivy::snippet::SnippetGenerator;
use tantivy::tokenizer::{
    AsciiFoldingFilter, Language, LowerCaser, RemoveLongFilter, SimpleTokenizer, Stemmer,
    TextAnalyzer,
};
use tantivy::{Index, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument, Term, doc};

use super::text::{self, QueryWord};
use super::{DocKind, Hit, SearchDoc, SearchError, SyncReport};

/// Bumped whenever schema, analyzer or indexed text preparation changes;
/// an index with another value is rebuilt (and then refilled by `sync`).
pub const LAYOUT_VERSION: u32 = 1;
const LAYOUT_FILE: &str = "LAYOUT_VERSION";
const ANALYZER: &str = "skillet_en";
const WRITER_MEMORY: usize = 64 * 1024 * 1024;
const SNIPPET_CHARS: usize = 160;

/// Field weights. Name matters most, then tags, description, the tools and
/// identifiers a skill's script uses, and finally the body text.
const BOOSTS: [(FieldName, f32); 6] = [
    (FieldName::Name, 2.5),
    (FieldName::Tags, 2.0),
    (FieldName::Description, 2.0),
    (FieldName::Tools, 1.2),
    (FieldName::Identifiers, 1.2),
    (FieldName::Body, 1.0),
];
/// Weight of a fuzzy (typo) match relative to the exact field weight. Fuzzy
/// matches score a constant (no BM25), so this is scaled to be comparable to
/// one good exact match.
const FUZZY_BOOST: f32 = 0.8;
/// Weight of a name matching a word related to the query's (see
/// [`SearchIndex::search_related`]) relative to a name matching the word itself.
const RELATED_WEIGHT: f32 = 1.0;
/// Hits re-ranked by how much of their name the query says (see
/// [`SearchIndex::search_related`]), and the most that adds to a score.
const COVERAGE_POOL: usize = 50;
const COVERAGE_WEIGHT: f32 = 0.25;
/// Score share of the non-best fields for one query word.
const TIE_BREAKER: f32 = 0.2;

#[derive(Clone, Copy, Debug)]
enum FieldName {
    Name,
    Tags,
    Description,
    Tools,
    Identifiers,
    Body,
}

#[derive(Clone, Copy)]
struct Fields {
    id: Field,
    hash: Field,
    source: Field,
    name: Field,
    tags: Field,
    description: Field,
    tools: Field,
    identifiers: Field,
    body: Field,
}

impl Fields {
    fn get(&self, f: FieldName) -> Field {
        match f {
            FieldName::Name => self.name,
            FieldName::Tags => self.tags,
            FieldName::Description => self.description,
            FieldName::Tools => self.tools,
            FieldName::Identifiers => self.identifiers,
            FieldName::Body => self.body,
        }
    }
}

fn schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let text = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(ANALYZER)
            .set_index_option(IndexRecordOption::WithFreqs),
    );
    let fields = Fields {
        id: b.add_text_field("id", STRING | STORED),
        hash: b.add_text_field("hash", STORED),
        source: b.add_text_field("source", STORED),
        name: b.add_text_field("name", text.clone()),
        tags: b.add_text_field("tags", text.clone()),
        description: b.add_text_field("description", text.clone()),
        tools: b.add_text_field("tools", text.clone()),
        identifiers: b.add_text_field("identifiers", text.clone()),
        body: b.add_text_field("body", text),
    };
    (b.build(), fields)
}

fn analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(48))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .filter(Stemmer::new(Language::English))
        .build()
}

/// Unique key of a document in the index.
fn doc_id(doc: &SearchDoc) -> String {
    format!("{}:{}", doc.kind.as_str(), doc.name)
}

/// sha256 of the document's canonical JSON (struct field order is fixed).
pub fn content_hash(doc: &SearchDoc) -> Result<String, SearchError> {
    let mut hasher = Sha256::new();
    serde_json::to_writer(&mut hasher, doc)?;
    Ok(hex::encode(hasher.finalize()))
}

/// Content hashes of `docs`, computed on all cores (hashing dominates a
/// no-op sync of a large registry).
fn content_hashes(docs: &[SearchDoc]) -> Result<Vec<String>, SearchError> {
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(8);
    if threads <= 1 || docs.len() < 512 {
        return docs.iter().map(content_hash).collect();
    }
    let chunk = docs.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let handles: Vec<_> = docs
            .chunks(chunk)
            .map(|part| {
                scope.spawn(move || part.iter().map(content_hash).collect::<Result<Vec<_>, _>>())
            })
            .collect();
        let mut out = Vec::with_capacity(docs.len());
        for h in handles {
            let part = h
                .join()
                .map_err(|_| SearchError::Corrupt("hashing thread panicked".into()))??;
            out.extend(part);
        }
        Ok(out)
    })
}

/// A full-text index over skills (and later generated tools).
///
/// One process at a time may write: the tantivy writer (and its lock file)
/// is taken on the first `sync` that changes something and kept until the
/// index is dropped. Searching never takes the lock.
pub struct SearchIndex {
    index: Index,
    reader: IndexReader,
    writer: Option<IndexWriter>,
    fields: Fields,
    /// id -> content hash of every live document; `None` until needed when opened with
    /// [`SearchIndex::open_lazy`].
    hashes: Option<HashMap<String, String>>,
    dir: Option<PathBuf>,
    rebuilt: bool,
}

impl std::fmt::Debug for SearchIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SearchIndex")
            .field("dir", &self.dir)
            .field("docs", &self.hashes.as_ref().map(HashMap::len))
            .field("rebuilt", &self.rebuilt)
            .finish_non_exhaustive()
    }
}

impl SearchIndex {
    /// Opens the index at `dir` (e.g. `.skillet/index/skills`), creating it
    /// when missing and rebuilding it from scratch (empty; the next `sync`
    /// refills it) when it is not usable.
    ///
    /// `dir` and its parent (`.skillet/index`) are skillet's cache, never the
    /// source of truth: whatever is in the way is replaced, never reported as
    /// an error: a file (or a dangling link) where either folder should be,
    /// files that are not an index, an index that is corrupt, unreadable or
    /// of another layout version. A link to a folder holding a good index is
    /// used; otherwise the link itself is replaced, never what it points to.
    /// The one refusal is a folder holding `skillet.toml` or `.git`: that is a
    /// mistyped path, not a cache.
    pub fn open(dir: &Path) -> Result<Self, SearchError> {
        let mut index = Self::open_lazy(dir)?;
        if index.hashes.is_none() {
            match catch_unwind(AssertUnwindSafe(|| index.load_hashes())) {
                Ok(Ok(hashes)) => index.hashes = Some(hashes),
                Ok(Err(e)) => {
                    tracing::warn!(dir = %dir.display(), error = %e, "search index unreadable; rebuilding");
                    return Self::rebuild(dir);
                }
                Err(_) => {
                    tracing::warn!(dir = %dir.display(), "search index panicked on open; rebuilding");
                    return Self::rebuild(dir);
                }
            }
        }
        Ok(index)
    }

    /// An empty index at `dir` in place of whatever was there (a registry or repository is
    /// still refused).
    pub fn rebuild(dir: &Path) -> Result<Self, SearchError> {
        if dir.is_dir() {
            wipe(dir)?;
        }
        let mut index = Self::create(dir)?;
        index.rebuilt = true;
        Ok(index)
    }

    /// Like [`SearchIndex::open`], without reading the stored documents: opening costs a few
    /// file reads whatever the index's size, and damage to a segment's store shows as an error
    /// (or a panic) of a later `search` or `sync` instead. For callers that fall back to
    /// [`SearchIndex::open`] or [`SearchIndex::rebuild`] then.
    pub fn open_lazy(dir: &Path) -> Result<Self, SearchError> {
        if let Some(parent) = dir.parent().filter(|p| !p.as_os_str().is_empty()) {
            clear_non_folder(parent)?;
        }
        clear_non_folder(dir)?;
        if dir.is_dir() {
            let layout = fs_err::read_to_string(dir.join(LAYOUT_FILE)).ok();
            let current = layout.as_deref().and_then(|s| s.trim().parse::<u32>().ok())
                == Some(LAYOUT_VERSION);
            if current {
                match catch_unwind(AssertUnwindSafe(|| Self::open_existing(dir))) {
                    Ok(Ok(index)) => return Ok(index),
                    Ok(Err(e)) => {
                        tracing::warn!(dir = %dir.display(), error = %e, "search index unreadable; rebuilding");
                    }
                    Err(_) => {
                        tracing::warn!(dir = %dir.display(), "search index panicked on open; rebuilding");
                    }
                }
            } else if layout.is_some() {
                tracing::info!(dir = %dir.display(), "search index layout changed; rebuilding");
            } else if !is_empty_dir(dir) {
                tracing::warn!(dir = %dir.display(), "search index folder holds no index; rebuilding");
            }
            wipe(dir)?;
        }
        let mut index = Self::create(dir)?;
        index.rebuilt = true;
        Ok(index)
    }

    /// An index held in memory, for tests and benchmarks.
    pub fn in_memory() -> Result<Self, SearchError> {
        let (schema, fields) = schema();
        let index = Index::create_in_ram(schema);
        Self::from_index(index, fields, None)
    }

    /// True when `open` found no usable index and started an empty one.
    pub fn was_rebuilt(&self) -> bool {
        self.rebuilt
    }

    /// Number of documents in the index.
    pub fn len(&self) -> usize {
        match &self.hashes {
            Some(hashes) => hashes.len(),
            None => self.reader.searcher().num_docs() as usize,
        }
    }

    /// True when the index holds no documents.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn create(dir: &Path) -> Result<Self, SearchError> {
        fs_err::create_dir_all(dir)?;
        let (schema, fields) = schema();
        let index = Index::create_in_dir(dir, schema)?;
        // Written after the index so a crash in between leaves a dir that
        // `open` treats as outdated and rebuilds.
        fs_err::write(dir.join(LAYOUT_FILE), format!("{LAYOUT_VERSION}\n"))?;
        Self::from_index(index, fields, Some(dir.to_path_buf()))
    }

    fn open_existing(dir: &Path) -> Result<Self, SearchError> {
        let index = Index::open_in_dir(dir)?;
        let (expected, fields) = schema();
        if index.schema() != expected {
            return Err(SearchError::Corrupt("schema differs".into()));
        }
        Self::from_index(index, fields, Some(dir.to_path_buf()))
    }

    fn from_index(index: Index, fields: Fields, dir: Option<PathBuf>) -> Result<Self, SearchError> {
        index.tokenizers().register(ANALYZER, analyzer());
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        let mut this = Self {
            index,
            reader,
            writer: None,
            fields,
            hashes: None,
            dir,
            rebuilt: false,
        };
        if this.dir.is_none() || this.reader.searcher().num_docs() == 0 {
            this.hashes = Some(this.load_hashes()?);
        }
        Ok(this)
    }

    /// Reads id and hash of every live document. This also touches every
    /// segment's store, so a damaged segment is noticed at open time.
    fn load_hashes(&self) -> Result<HashMap<String, String>, SearchError> {
        let searcher = self.reader.searcher();
        let mut out = HashMap::with_capacity(searcher.num_docs() as usize);
        for segment in searcher.segment_readers() {
            let store = segment.get_store_reader(4)?;
            for doc in store.iter::<TantivyDocument>(segment.alive_bitset()) {
                let doc = doc?;
                let id = str_field(&doc, self.fields.id)
                    .ok_or_else(|| SearchError::Corrupt("document without id".into()))?;
                let hash = str_field(&doc, self.fields.hash)
                    .ok_or_else(|| SearchError::Corrupt("document without hash".into()))?;
                out.insert(id.to_string(), hash.to_string());
            }
        }
        Ok(out)
    }

    /// Brings the index in line with `docs`, the source of truth: adds new
    /// documents, re-indexes those whose content hash changed and deletes
    /// those no longer present. When nothing changed nothing is written.
    /// Documents are keyed by kind and name; for duplicate keys the last wins.
    pub fn sync(&mut self, docs: &[SearchDoc]) -> Result<SyncReport, SearchError> {
        if self.hashes.is_none() {
            self.hashes = Some(self.load_hashes()?);
        }
        let hashes = self
            .hashes
            .as_ref()
            .ok_or(SearchError::Corrupt("no hashes".into()))?;
        let mut wanted: HashMap<String, (&SearchDoc, String)> = HashMap::with_capacity(docs.len());
        for (doc, hash) in docs.iter().zip(content_hashes(docs)?) {
            wanted.insert(doc_id(doc), (doc, hash));
        }
        let mut report = SyncReport::default();
        let mut to_add: Vec<(&str, &SearchDoc, &str)> = Vec::new();
        let mut to_delete: Vec<&str> = Vec::new();
        for (id, (doc, hash)) in &wanted {
            match hashes.get(id) {
                None => {
                    report.added += 1;
                    to_add.push((id, doc, hash));
                }
                Some(old) if old != hash => {
                    report.updated += 1;
                    to_delete.push(id);
                    to_add.push((id, doc, hash));
                }
                Some(_) => report.unchanged += 1,
            }
        }
        let removed: Vec<String> = hashes
            .keys()
            .filter(|id| !wanted.contains_key(*id))
            .cloned()
            .collect();
        report.removed = removed.len();
        if to_add.is_empty() && removed.is_empty() {
            return Ok(report);
        }

        if self.writer.is_none() {
            self.writer = Some(self.index.writer(WRITER_MEMORY)?);
        }
        let f = self.fields;
        let writer = self
            .writer
            .as_mut()
            .ok_or(SearchError::Corrupt("no writer".into()))?;
        for id in to_delete
            .iter()
            .copied()
            .chain(removed.iter().map(String::as_str))
        {
            writer.delete_term(Term::from_field_text(f.id, id));
        }
        for (id, d, hash) in &to_add {
            Self::add(f, writer, id, d, hash)?;
        }
        if let Err(e) = writer.commit() {
            // Leave the index as it was on disk; pending operations are dropped.
            let _ = writer.rollback();
            return Err(e.into());
        }
        self.reader.reload()?;
        if let Some(hashes) = &mut self.hashes {
            for id in &removed {
                hashes.remove(id);
            }
            for (id, _, hash) in to_add {
                hashes.insert(id.to_string(), hash.to_string());
            }
        }
        Ok(report)
    }

    /// Writes `upsert` (added, or replacing the document of the same kind and name) and removes
    /// the skills named in `remove`, without comparing anything else: for callers that know
    /// what changed. The writer (and its lock) is let go afterwards, so other processes can
    /// write the index in between.
    pub fn apply(&mut self, upsert: &[SearchDoc], remove: &[String]) -> Result<(), SearchError> {
        let mut entries: Vec<(String, String, &SearchDoc)> = upsert
            .iter()
            .map(|d| Ok((doc_id(d), content_hash(d)?, d)))
            .collect::<Result<_, SearchError>>()?;
        let mut removed: Vec<String> = remove
            .iter()
            .map(|name| format!("{}:{name}", DocKind::Skill.as_str()))
            .collect();
        // What the index already holds as given is not written again (a folder read again
        // because its stamp was too recent to trust has usually not changed).
        if let Some(known) = &self.hashes {
            entries.retain(|(id, hash, _)| known.get(id) != Some(hash));
            removed.retain(|id| known.contains_key(id));
        }
        if entries.is_empty() && removed.is_empty() {
            return Ok(());
        }
        let mut writer = match self.writer.take() {
            Some(writer) => writer,
            None => self.index.writer(WRITER_MEMORY)?,
        };
        let f = self.fields;
        for id in entries.iter().map(|(id, _, _)| id).chain(&removed) {
            writer.delete_term(Term::from_field_text(f.id, id));
        }
        for (id, hash, d) in &entries {
            Self::add(f, &writer, id, d, hash)?;
        }
        if let Err(e) = writer.commit() {
            let _ = writer.rollback();
            return Err(e.into());
        }
        drop(writer);
        self.reader.reload()?;
        if let Some(map) = &mut self.hashes {
            for id in &removed {
                map.remove(id);
            }
            for (id, hash, _) in entries {
                map.insert(id, hash);
            }
        }
        Ok(())
    }

    /// Adds one document (its id, content hash and stored source beside the indexed fields).
    fn add(
        f: Fields,
        writer: &IndexWriter,
        id: &str,
        d: &SearchDoc,
        hash: &str,
    ) -> Result<(), SearchError> {
        let source = serde_json::to_string(d)?;
        writer.add_document(doc!(
            f.id => id,
            f.hash => hash,
            f.source => source,
            f.name => text::expand_for_index(&d.name),
            f.tags => text::expand_for_index(&d.tags.join(" ")),
            f.description => text::expand_for_index(&d.description),
            f.tools => text::expand_for_index(&d.tools.join(" ")),
            f.identifiers => text::expand_for_index(&d.identifiers.join(" ")),
            f.body => text::expand_for_index(&d.body),
        ))?;
        Ok(())
    }

    /// Ranked search. Any input is accepted: query syntax and punctuation
    /// are treated as separators, never as errors. An empty query (after
    /// sanitizing) returns no hits. The cost is bounded whatever the query
    /// (see [`text::parse_query`]); [`crate::search::query_notice`] tells
    /// what was cut from it.
    pub fn search(&self, query: &str, limit: usize) -> Result<Vec<Hit>, SearchError> {
        let parsed = text::parse_query(query);
        if let Some(cut) = &parsed.cut {
            tracing::debug!("{cut}");
        }
        self.search_words(&parsed.words, &[], limit, &|_| Vec::new())
    }

    /// [`search`](Self::search) where a query word also matches, in document names at
    /// [`RELATED_WEIGHT`] of the name's weight, the words `related` gives for it: the words a
    /// catalog's names use for what people call otherwise (a query's "ticket" finds
    /// `get_issue`). A word counts once, through its best match.
    ///
    /// Then, among the best [`COVERAGE_POOL`] hits, a name whose words the query says (itself
    /// or through related words) gains up to [`COVERAGE_WEIGHT`] of its score: the name after
    /// the last `.` (a tool's, without its server), so "get a jira issue" puts `jira_get_issue`
    /// before `jira_get_issue_watchers`.
    pub fn search_related(
        &self,
        query: &str,
        limit: usize,
        related: &dyn Fn(&str) -> Vec<&'static str>,
    ) -> Result<Vec<Hit>, SearchError> {
        let parsed = text::parse_query(query);
        if let Some(cut) = &parsed.cut {
            tracing::debug!("{cut}");
        }
        let mut words = parsed.words;
        let content = words.len();
        // A stop word may still say something in a catalog's words ("which" asks for a list):
        // it matches through its related words only.
        words.extend(
            parsed
                .stop_words
                .into_iter()
                .filter(|w| !related(&w.text).is_empty()),
        );
        let pool = limit.max(COVERAGE_POOL);
        let mut hits = self.search_words(&words[..content], &words[content..], pool, related)?;
        let mut analyzer = analyzer();
        let mut said: Vec<String> = Vec::new();
        for (i, word) in words.iter().enumerate() {
            if i < content {
                said.extend(stem(&mut analyzer, &word.text));
            }
            for other in related(&word.text) {
                said.extend(stem(&mut analyzer, other));
            }
        }
        for hit in &mut hits {
            let tail = hit.name.rsplit('.').next().unwrap_or(&hit.name);
            let mut name_words: Vec<String> = Vec::new();
            for part in text::split_identifier(tail) {
                for s in stem(&mut analyzer, &part) {
                    if !name_words.contains(&s) {
                        name_words.push(s);
                    }
                }
            }
            if name_words.is_empty() {
                continue;
            }
            let covered = name_words.iter().filter(|w| said.contains(w)).count();
            hit.score *= 1.0 + COVERAGE_WEIGHT * covered as f32 / name_words.len() as f32;
        }
        hits.sort_by(|a, b| b.score.total_cmp(&a.score));
        hits.truncate(limit);
        Ok(hits)
    }

    /// Searches `words`, and `related_only` through the words `related` gives for them only.
    fn search_words(
        &self,
        words: &[QueryWord],
        related_only: &[QueryWord],
        limit: usize,
        related: &dyn Fn(&str) -> Vec<&'static str>,
    ) -> Result<Vec<Hit>, SearchError> {
        if words.is_empty() || limit == 0 {
            return Ok(Vec::new());
        }
        let related_only: Vec<&QueryWord> = related_only.iter().collect();
        let searcher = self.reader.searcher();
        let mut analyzer = analyzer();
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        let mut snippet_terms: BTreeMap<String, f32> = BTreeMap::new();
        let mut fuzzy_words = 0;
        for (i, word) in words.iter().chain(related_only.iter().copied()).enumerate() {
            let direct = i < words.len();
            let stemmed = if direct {
                stem(&mut analyzer, &word.text)
            } else {
                Vec::new()
            };
            let mut disjuncts: Vec<Box<dyn Query>> = Vec::new();
            let mut doc_freq = 0;
            for (name, boost) in BOOSTS {
                let field = self.fields.get(name);
                for t in &stemmed {
                    let term = Term::from_field_text(field, t);
                    doc_freq += searcher.doc_freq(&term)?;
                    let q = TermQuery::new(term, IndexRecordOption::WithFreqs);
                    disjuncts.push(Box::new(BoostQuery::new(Box::new(q), boost)));
                }
            }
            for other in related(&word.text) {
                for t in stem(&mut analyzer, other) {
                    let term = Term::from_field_text(self.fields.name, &t);
                    doc_freq += searcher.doc_freq(&term)?;
                    let q = TermQuery::new(term, IndexRecordOption::WithFreqs);
                    let boost = BOOSTS[0].1 * RELATED_WEIGHT;
                    disjuncts.push(Box::new(BoostQuery::new(Box::new(q), boost)));
                }
            }
            if doc_freq > 0 {
                for t in &stemmed {
                    snippet_terms.insert(t.clone(), 1.0);
                }
            } else if direct
                && fuzzy_words < text::MAX_FUZZY_WORDS
                && let Some(fuzzy) = self.fuzzy_clauses(word, &stemmed)?
            {
                fuzzy_words += 1;
                disjuncts.extend(fuzzy);
            }
            if !disjuncts.is_empty() {
                let q = DisjunctionMaxQuery::with_tie_breaker(disjuncts, TIE_BREAKER);
                clauses.push((Occur::Should, Box::new(q)));
            }
        }
        let query = BooleanQuery::new(clauses);
        let top = searcher.search(&query, &TopDocs::with_limit(limit).order_by_score())?;

        let snippets = [self.fields.description, self.fields.body].map(|field| {
            let mut g = SnippetGenerator::new(
                snippet_terms.clone(),
                analyzer.clone(),
                field,
                SNIPPET_CHARS,
            );
            g.set_max_num_chars(SNIPPET_CHARS);
            g
        });
        let mut hits = Vec::with_capacity(top.len());
        for (score, addr) in top {
            let stored: TantivyDocument = searcher.doc(addr)?;
            let source = str_field(&stored, self.fields.source)
                .ok_or_else(|| SearchError::Corrupt("document without source".into()))?;
            let doc: SearchDoc = serde_json::from_str(source)?;
            let snippet = make_snippet(&snippets, &doc);
            hits.push(Hit {
                kind: doc.kind,
                name: doc.name,
                description: doc.description,
                score,
                version: doc.version,
                status: doc.status,
                snippet,
            });
        }
        Ok(hits)
    }

    /// Typo tolerance for a word that matches nothing: Levenshtein distance
    /// 1 (2 for words of 8+ letters; a transposition counts 1) on the
    /// name, tags, description and identifiers, at a lower weight. Only for
    /// words of 4 to [`text::MAX_FUZZY_CHARS`] letters; one automaton per
    /// spelling, shared by the fields.
    fn fuzzy_clauses(
        &self,
        word: &QueryWord,
        stemmed: &[String],
    ) -> Result<Option<Vec<Box<dyn Query>>>, SearchError> {
        let len = word.text.chars().count();
        if word.joined
            || !(4..=text::MAX_FUZZY_CHARS).contains(&len)
            || !word.text.chars().all(char::is_alphabetic)
        {
            return Ok(None);
        }
        let distance = if len >= 8 { 2 } else { 1 };
        let mut variants: Vec<&str> = vec![word.text.as_str()];
        for s in stemmed {
            if !variants.contains(&s.as_str()) {
                variants.push(s);
            }
        }
        let mut out: Vec<Box<dyn Query>> = Vec::new();
        for v in &variants {
            let term = Term::from_field_text(self.fields.name, v);
            let dfa = Arc::new(FuzzyTermQuery::new(term, distance, true).automaton()?);
            for (name, boost) in &BOOSTS[..5] {
                let q = SharedAutomatonQuery {
                    field: self.fields.get(*name),
                    dfa: Arc::clone(&dfa),
                };
                out.push(Box::new(BoostQuery::new(Box::new(q), boost * FUZZY_BOOST)));
            }
        }
        Ok(Some(out))
    }
}

/// A fuzzy term query on one field whose automaton is built once and shared
/// with the same word's queries on the other fields (tantivy's
/// `FuzzyTermQuery` builds one per field).
#[derive(Clone)]
struct SharedAutomatonQuery {
    field: Field,
    dfa: Arc<DfaWrapper>,
}

impl std::fmt::Debug for SharedAutomatonQuery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SharedAutomatonQuery")
            .field("field", &self.field)
            .finish_non_exhaustive()
    }
}

impl Query for SharedAutomatonQuery {
    fn weight(&self, _scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        Ok(Box::new(AutomatonWeight::<DfaWrapper>::new(
            self.field,
            Arc::clone(&self.dfa),
        )))
    }
}

fn stem(analyzer: &mut TextAnalyzer, word: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut stream = analyzer.token_stream(word);
    while let Some(tok) = stream.next() {
        if !out.contains(&tok.text) {
            out.push(tok.text.clone());
        }
    }
    out
}

fn str_field(doc: &TantivyDocument, field: Field) -> Option<&str> {
    doc.get_first(field).and_then(|v| v.as_str())
}

/// Prefers a highlighted excerpt of the description, then of the body, then
/// the start of the description.
fn make_snippet(generators: &[SnippetGenerator; 2], doc: &SearchDoc) -> String {
    for (g, text) in generators.iter().zip([&doc.description, &doc.body]) {
        let s = g.snippet(text);
        if !s.highlighted().is_empty() {
            return mark(s.fragment(), s.highlighted());
        }
    }
    let mut out: String = doc.description.chars().take(SNIPPET_CHARS).collect();
    if out.len() < doc.description.len() {
        out.push('…');
    }
    collapse_ws(&out)
}

fn mark(fragment: &str, ranges: &[std::ops::Range<usize>]) -> String {
    let mut out = String::with_capacity(fragment.len() + ranges.len() * 4);
    let mut pos = 0;
    for r in ranges {
        if r.start < pos || r.end > fragment.len() {
            continue;
        }
        out.push_str(fragment.get(pos..r.start).unwrap_or(""));
        out.push_str("**");
        out.push_str(fragment.get(r.clone()).unwrap_or(""));
        out.push_str("**");
        pos = r.end;
    }
    out.push_str(fragment.get(pos..).unwrap_or(""));
    collapse_ws(&out)
}

fn collapse_ws(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Removes what stands at `path` unless it is a folder (or a link to one): a
/// file, a dangling link, anything else. Nothing there is fine too.
fn clear_non_folder(path: &Path) -> Result<(), SearchError> {
    if std::fs::metadata(path).is_ok_and(|m| m.is_dir()) {
        return Ok(());
    }
    match std::fs::symlink_metadata(path) {
        Ok(_) => {
            tracing::warn!(path = %path.display(), "not a folder where the search index goes; replacing it");
            std::fs::remove_file(path).map_err(|source| SearchError::InTheWay {
                path: path.to_path_buf(),
                source,
            })
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        // e.g. a file further up: creating the folder reports it with its path.
        Err(_) => Ok(()),
    }
}

fn is_empty_dir(dir: &Path) -> bool {
    std::fs::read_dir(dir).is_ok_and(|mut entries| entries.next().is_none())
}

/// Removes the index folder `dir`, unless it is a registry or a repository.
fn wipe(dir: &Path) -> Result<(), SearchError> {
    if ["skillet.toml", ".git"]
        .iter()
        .any(|name| std::fs::symlink_metadata(dir.join(name)).is_ok())
    {
        return Err(SearchError::NotAnIndex(dir.to_path_buf()));
    }
    if std::fs::remove_dir_all(dir).is_ok() {
        return Ok(());
    }
    // A folder its owner may not write or list (chmod) blocks the removal;
    // the cache is ours, so give the permissions back and try again.
    allow_removal(dir, 0);
    std::fs::remove_dir_all(dir).map_err(|source| SearchError::InTheWay {
        path: dir.to_path_buf(),
        source,
    })
}

/// Gives the owner full access to `dir` and the folders under it (best effort).
fn allow_removal(dir: &Path, depth: usize) {
    use std::os::unix::fs::PermissionsExt;
    const MAX_DEPTH: usize = 64;
    let _ = std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700));
    if depth >= MAX_DEPTH {
        return;
    }
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        if entry.file_type().is_ok_and(|t| t.is_dir()) {
            allow_removal(&entry.path(), depth + 1);
        }
    }
}

impl DocKind {
    fn as_str(self) -> &'static str {
        match self {
            DocKind::Skill => "skill",
            DocKind::Tool => "tool",
        }
    }
}
