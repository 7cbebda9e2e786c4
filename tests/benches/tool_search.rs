//! Tool-search benchmark: relevance of `skillet search --tools` over the union of the shared
//! catalogs (`tests/fixtures/catalogs`) on thirty labelled plain task phrasings and twenty
//! held-out ones: MRR@3, the top-3 hit rate and every query whose right tool is not first,
//! with its rank, for bare documents, the tool documents and the tool ranking. Also the time
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
    let plain: tool_queries::Ranking = |index, query, limit| index.search(query, limit);
    let rankings: [(&str, &search::SearchIndex, tool_queries::Ranking); 3] = [
        ("bare documents, skill ranking", &bare, plain),
        ("tool documents, skill ranking", &index, plain),
        (
            "tool ranking (what `search --tools` does)",
            &index,
            api::rank_tools,
        ),
    ];
    for (set, queries) in [
        ("labelled phrasings (tuned on)", tool_queries::LABELLED),
        (
            "held-out phrasings (never tuned on)",
            tool_queries::HELD_OUT,
        ),
    ] {
        println!("{} {set}:", queries.len());
        for (i, (what, index, rank)) in rankings.iter().enumerate() {
            let relevance = tool_queries::evaluate_ranking(index, queries, *rank);
            println!(
                "  {what}: MRR@{top} {:.3}, top-{top} hit rate {:.3}",
                relevance.mrr_at_3,
                relevance.hit_at_3,
                top = tool_queries::TOP,
            );
            if i + 1 == rankings.len() {
                println!("  queries whose right tool is not first (rank, query, wanted, top 3):");
                for miss in &relevance.misses {
                    println!("    {miss}");
                }
            }
        }
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
