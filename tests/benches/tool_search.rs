//! Tool-search benchmark: relevance of `skillet search --tools` over the union of the shared
//! catalogs (`tests/fixtures/catalogs`) on thirty labelled plain task phrasings: MRR@3, the
//! top-3 hit rate and every query whose right tool is not first, with its rank. Also the time
//! to index the union and the query latency. Prints numbers, asserts nothing.
//!
//! Run: `cargo bench --bench tool_search`

// A bench prints what it measured.
#![allow(clippy::print_stdout, clippy::print_stderr, unreachable_pub)]

use std::time::{Duration, Instant};

use skillet::{api, codegen, search, tool};

// The labelled queries (test data, not in the library) name the library as `crate::api`,
// `crate::codegen`, `crate::search` and `crate::tool`: the imports above.
// The unit tests and this benchmark each use a part of it.
#[path = "../data/tool_queries/mod.rs"]
#[allow(dead_code)]
mod tool_queries;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let catalog = tool_queries::catalog();
    let docs = tool_queries::docs();
    let started = Instant::now();
    let mut index = search::SearchIndex::in_memory()?;
    index.sync(&docs)?;
    let build = started.elapsed();
    println!(
        "tool search over {} tools from {} servers (indexed in {:.1} ms)",
        docs.len(),
        catalog.len(),
        build.as_secs_f64() * 1000.0
    );
    let mut bare = search::SearchIndex::in_memory()?;
    bare.sync(&tool_queries::bare_docs())?;
    let before =
        tool_queries::evaluate_ranking(&bare, |index, query, limit| index.search(query, limit));
    println!(
        "before (bare documents, skill ranking): MRR@{top} {:.3}, top-{top} hit rate {:.3}",
        before.mrr_at_3,
        before.hit_at_3,
        top = tool_queries::TOP,
    );
    for miss in &before.misses {
        println!("  {miss}");
    }
    let relevance = tool_queries::evaluate_index(&index);
    println!(
        "relevance on {} labelled phrasings: MRR@{top} {:.3}, top-{top} hit rate {:.3}",
        relevance.queries,
        relevance.mrr_at_3,
        relevance.hit_at_3,
        top = tool_queries::TOP,
    );
    println!("queries whose right tool is not first (rank, query, wanted, top 3):");
    for miss in &relevance.misses {
        println!("  {miss}");
    }
    let mut times: Vec<Duration> = Vec::new();
    for _ in 0..20 {
        for query in ["query a sqlite table", "take a picture of the web page"] {
            let started = Instant::now();
            api::rank_tools(&index, query, 10)?;
            times.push(started.elapsed());
        }
    }
    times.sort();
    println!(
        "query latency: p50 {:.2} ms, max {:.2} ms",
        times[times.len() / 2].as_secs_f64() * 1000.0,
        times[times.len() - 1].as_secs_f64() * 1000.0
    );
    Ok(())
}
