//! `search`: skills by what they do (with their review status), and the generated API's tools,
//! with what an agent needs to call a tool it found.

use std::fmt::Write as _;

use serde::Deserialize;

mod keeper;
mod reviews;

pub use self::keeper::Answering;
use self::reviews::ReviewCache;
use super::echo;
use super::tree::Tree;
use crate::registry::Registry;
use crate::search::Hit;
use crate::skill::SkillError;
use crate::skill::index::SkillIndex;

/// Tools a tool search returns when the caller does not say (what the served `search` answers).
pub const DEFAULT_TOOL_LIMIT: usize = 3;
/// Longest description shown per tool at [`Detail::Description`].
const DESCRIPTION_CHARS: usize = 160;

/// What to look for.
#[derive(Debug, Clone)]
pub struct SearchOptions {
    /// Words describing what the skill or tool does.
    pub query: String,
    /// The most hits returned.
    pub limit: usize,
    /// When skills are searched: the time signatures are judged at (keys have validity
    /// windows).
    pub now: std::time::SystemTime,
}

/// A skill search that keeps its index open between queries (what `skillet serve` holds): a
/// query then costs a few `stat`s on top of the search itself (see [`crate::skill::index`]),
/// the index follows `skills/` through file-system notifications ([`SkillIndex::watch`]), and
/// the review status of a hit is checked again only when something it depends on changed
/// (see [`reviews`]).
#[derive(Debug)]
pub struct SkillSearch {
    index: Option<SkillIndex>,
    reviews: Option<ReviewCache>,
    /// Whether the index watches `skills/` (a searcher held open does).
    watch: bool,
}

impl Default for SkillSearch {
    fn default() -> Self {
        Self {
            index: None,
            reviews: None,
            watch: true,
        }
    }
}

impl SkillSearch {
    pub fn new() -> Self {
        Self::default()
    }

    /// A searcher held open that follows the keeper's log (as a one-query process does)
    /// rather than watching `skills/` itself: the keeper's own (see [`Answering`]).
    fn following() -> Self {
        Self {
            index: None,
            reviews: None,
            watch: false,
        }
    }

    /// True while the open index follows `skills/` through notifications.
    pub fn is_watching(&self) -> bool {
        self.index.as_ref().is_some_and(SkillIndex::is_watching)
    }

    /// [`search_skills`], reusing this searcher's open index and review statuses.
    pub fn search(
        &mut self,
        registry: &Registry,
        options: &SearchOptions,
    ) -> Result<Vec<Hit>, SkillError> {
        let index = match &mut self.index {
            Some(index) => index,
            None => {
                let _phase = crate::timing::Phase::start("search.open");
                let mut index = SkillIndex::open(registry)?;
                if self.watch {
                    index.watch();
                }
                self.index.insert(index)
            }
        };
        let hits = index.search(registry, &options.query, options.limit)?;
        let reviews = self.reviews.get_or_insert_with(ReviewCache::new);
        let _phase = crate::timing::Phase::start("search.reviews");
        Ok(with_review_status(registry, reviews, hits, options.now))
    }
}

/// The best skills for the query, each with its review status (`reviewed (2/2 signatures)`).
/// For one query in a process: the registry's keeper answers when one runs (see
/// [`keeper`]); otherwise the review statuses come from (and go to) the cache files beside
/// the index.
pub fn search_skills(registry: &Registry, options: &SearchOptions) -> Result<Vec<Hit>, SkillError> {
    if let Some(hits) = keeper::ask(registry, options) {
        return Ok(hits);
    }
    // One query: watching would cost more than it saves.
    let mut searcher = SkillSearch {
        reviews: Some(ReviewCache::on_disk(registry)),
        ..SkillSearch::following()
    };
    searcher.search(registry, options)
}

fn with_review_status(
    registry: &Registry,
    reviews: &mut ReviewCache,
    mut hits: Vec<Hit>,
    now: std::time::SystemTime,
) -> Vec<Hit> {
    // Review status, of the hits only; it is not kept in the index, since signing changes it
    // and not the skill.
    let names: Vec<String> = hits.iter().map(|h| h.name.clone()).collect();
    for (hit, status) in hits.iter_mut().zip(reviews.statuses(registry, &names, now)) {
        hit.status = status;
    }
    hits
}

/// How much a tool search says per tool.
#[derive(Deserialize, Default, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Detail {
    /// The tool and the path of its generated file.
    Name,
    /// Also a one-sentence summary, the import line and the function's signature.
    #[default]
    Description,
    /// The whole generated file.
    Full,
}

/// A tool a search found, with what writing a call to it needs.
#[derive(Debug, Clone)]
pub struct ToolMatch {
    pub server: String,
    pub tool: String,
    /// The generated file, relative to the API root: `servers/<folder>/<function>.ts`.
    pub path: String,
    /// The module to import the function from, relative to the API root.
    pub module: String,
    /// The exported TypeScript function.
    pub function: String,
    /// The first sentence of the tool's description (or title), cut at a readable length.
    pub summary: String,
    /// The function's signature on one line.
    pub signature: String,
}

/// The best `limit` generated tools for `query` (tools whose generated function is gone are
/// left out).
pub fn find_tools(
    registry: &Registry,
    query: &str,
    limit: usize,
) -> anyhow::Result<Vec<ToolMatch>> {
    let hits = crate::api::search_tools(registry, query, limit)?;
    let catalog = crate::api::catalog(registry);
    let functions = crate::api::load_functions(registry);
    let folders = crate::api::load_folders(registry);
    let mut found = Vec::new();
    for hit in hits {
        let Some((server, tool)) = hit.name.split_once('.') else {
            continue;
        };
        let spec = catalog
            .get(server)
            .and_then(|tools| tools.iter().find(|t| t.name == tool));
        let function = functions.get(server).and_then(|f| f.get(tool)).cloned();
        let (Some(spec), Some(function)) = (spec, function) else {
            continue;
        };
        let folder = crate::api::folder_of(&folders, server);
        found.push(ToolMatch {
            server: server.to_owned(),
            tool: tool.to_owned(),
            path: format!("servers/{folder}/{function}.ts"),
            module: format!("./servers/{folder}/index.js"),
            summary: summary(
                spec.description
                    .as_deref()
                    .or(spec.title.as_deref())
                    .unwrap_or(""),
            ),
            signature: crate::codegen::signature(spec, &function),
            function,
        });
    }
    Ok(found)
}

/// What an agent reads for a tool search: the matches at `detail`, or a `no tool matches` line
/// with what to try instead. A query that was cut says so first.
pub fn tools_answer(
    registry: &Registry,
    query: &str,
    limit: usize,
    detail: Detail,
) -> Result<String, String> {
    let matches = find_tools(registry, query, limit)
        .map_err(|e| format!("tool search failed: {}", super::describe(&e)))?;
    let mut out = cut_notice(query);
    if matches.is_empty() {
        let _ = write!(out, "{}", no_match(query, "tool"));
        return Ok(out);
    }
    write_tools(registry, &mut out, &matches, detail)?;
    Ok(out.trim_end().to_owned())
}

fn no_match(query: &str, what: &str) -> String {
    format!(
        "no {what} matches `{}`; try other words, or read {{\"path\": \"servers/\"}}",
        echo(query)
    )
}

/// One entry per match, at `detail`.
fn write_tools(
    registry: &Registry,
    out: &mut String,
    matches: &[ToolMatch],
    detail: Detail,
) -> Result<(), String> {
    let tree = Tree::new(registry);
    for m in matches {
        match detail {
            Detail::Name => {
                let _ = writeln!(out, "{}.{}: {}", m.server, m.tool, m.path);
            }
            Detail::Description => {
                let _ = writeln!(
                    out,
                    "{}.{}: {}\n  import {{ {} }} from \"{}\";\n  {}",
                    m.server, m.tool, m.summary, m.function, m.module, m.signature
                );
            }
            Detail::Full => {
                let text = tree.read(&m.path).map_err(|e| crate::error::describe(&e))?;
                let _ = writeln!(out, "// {}\n{text}", m.path);
            }
        }
    }
    Ok(())
}

/// What the served `search` answers: the tools at [`Detail::Description`] (summary, import,
/// signature), then the saved skills that match, each with its review status. Skills are left
/// out when none match, so a registry without skills costs nothing. `skills` is a searcher that
/// keeps its index open (a long-lived server's); `None` opens the index for this search.
pub fn search_answer(
    registry: &Registry,
    query: &str,
    limit: usize,
    skills: Option<&mut SkillSearch>,
) -> Result<String, String> {
    let tools = find_tools(registry, query, limit)
        .map_err(|e| format!("tool search failed: {}", super::describe(&e)))?;
    let options = SearchOptions {
        query: query.to_owned(),
        limit,
        now: std::time::SystemTime::now(),
    };
    let found = match skills {
        Some(searcher) => searcher.search(registry, &options),
        None => search_skills(registry, &options),
    };
    let (skills, skill_error) = match found {
        Ok(hits) => (hits, None),
        // Tools found are still worth giving.
        Err(e) => (Vec::new(), Some(crate::error::describe(&e))),
    };
    let mut out = cut_notice(query);
    if tools.is_empty() && skills.is_empty() {
        let _ = writeln!(out, "{}", no_match(query, "tool or skill"));
    }
    write_tools(registry, &mut out, &tools, Detail::Description)?;
    for hit in skills {
        let _ = writeln!(
            out,
            "skill {}{}: {}{}",
            hit.name,
            hit.version.map(|v| format!(" {v}")).unwrap_or_default(),
            summary(&hit.description),
            hit.status.map(|s| format!(" [{s}]")).unwrap_or_default()
        );
    }
    if let Some(error) = skill_error {
        let _ = writeln!(out, "skill search failed: {error}");
    }
    Ok(out.trim_end().to_owned())
}

/// A line saying the query was cut (too long, too many words), or nothing: the agent should know
/// its search ran on part of what it sent.
pub fn cut_notice(query: &str) -> String {
    crate::search::query_notice(query)
        .map(|notice| format!("note: {notice}; {}\n", crate::search::QUERY_HINT))
        .unwrap_or_default()
}

/// The first sentence (or line) of a description, cut at a readable length.
pub fn summary(description: &str) -> String {
    let first_line = description.lines().next().unwrap_or("").trim();
    let sentence = match first_line.find(". ") {
        Some(end) => &first_line[..=end],
        None => first_line,
    };
    if sentence.chars().count() <= DESCRIPTION_CHARS {
        return sentence.trim().to_owned();
    }
    let cut: String = sentence.chars().take(DESCRIPTION_CHARS).collect();
    format!("{}…", cut.trim_end())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summaries_keep_the_first_sentence() {
        assert_eq!(
            summary("Echoes back the input. More text."),
            "Echoes back the input."
        );
        assert_eq!(summary("Line one\nline two"), "Line one");
        let long = "word ".repeat(100);
        assert!(summary(&long).chars().count() <= DESCRIPTION_CHARS + 1);
        assert_eq!(summary(""), "");
    }
}
