//! Search benchmark: indexing time, query latency, incremental update cost
//! and relevance on the labelled query set. Prints numbers, asserts nothing.
//!
//! Run: `cargo bench --bench search`

use std::time::{Duration, Instant};

use skillet::search::SearchIndex;
use skillet::search::corpus::{corpus, evaluate, labelled_queries};

const DOCS: usize = 10_000;
const QUERY_ROUNDS: usize = 20;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut docs = corpus(DOCS);
    let words: usize = docs.iter().map(|d| d.body.split_whitespace().count()).sum();
    println!(
        "corpus: {} skills, {} body words on average",
        docs.len(),
        words / docs.len()
    );

    let tmp = tempfile::tempdir()?;
    let dir = tmp.path().join("skills");

    let start = Instant::now();
    let mut index = SearchIndex::open(&dir)?;
    let report = index.sync(&docs)?;
    let index_time = start.elapsed();
    println!(
        "index {} skills into a fresh on-disk index: {:.3} s (target <= 3 s; added {})",
        docs.len(),
        index_time.as_secs_f64(),
        report.added
    );

    let start = Instant::now();
    drop(index);
    let mut index = SearchIndex::open(&dir)?;
    println!(
        "reopen (loads content hashes): {:.1} ms",
        start.elapsed().as_secs_f64() * 1e3
    );

    let start = Instant::now();
    let report = index.sync(&docs)?;
    println!(
        "no-op sync of {} skills: {:.1} ms (unchanged {})",
        docs.len(),
        start.elapsed().as_secs_f64() * 1e3,
        report.unchanged
    );

    let queries = labelled_queries();
    for (q, _) in &queries {
        index.search(q, 10)?; // warm up
    }
    let mut times = Vec::with_capacity(queries.len() * QUERY_ROUNDS);
    for _ in 0..QUERY_ROUNDS {
        for (q, _) in &queries {
            let start = Instant::now();
            let hits = index.search(q, 10)?;
            times.push(start.elapsed());
            std::hint::black_box(hits);
        }
    }
    times.sort();
    println!(
        "query latency over {} queries (top 10 with snippets): p50 {:.0} us, p99 {:.0} us, max {:.0} us (target p99 <= 2 ms)",
        times.len(),
        percentile(&times, 0.5).as_secs_f64() * 1e6,
        percentile(&times, 0.99).as_secs_f64() * 1e6,
        times.last().map_or(0.0, |t| t.as_secs_f64() * 1e6),
    );

    let mut update_times = Vec::new();
    for i in 0..5 {
        let doc = &mut docs[100 + i * 37];
        doc.description.push_str(" Now also handles attachments.");
        let start = Instant::now();
        let report = index.sync(&docs)?;
        update_times.push(start.elapsed());
        assert_eq!(report.updated, 1);
    }
    update_times.sort();
    println!(
        "incremental update (1 of {} skills changed, full sync call): median {:.1} ms, max {:.1} ms (target <= 50 ms)",
        docs.len(),
        percentile(&update_times, 0.5).as_secs_f64() * 1e3,
        update_times.last().map_or(0.0, |t| t.as_secs_f64() * 1e3),
    );

    let r = evaluate(&index);
    println!(
        "relevance over {} skills, {} labelled queries: MRR@10 {:.3} (target >= 0.8), recall@5 {:.3}",
        index.len(),
        r.queries,
        r.mrr_at_10,
        r.recall_at_5
    );
    for (q, rank, top) in &r.misses {
        println!("  not first: {q:?} rank {rank:?}, top {top:?}");
    }
    Ok(())
}
