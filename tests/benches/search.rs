//! Search benchmark: indexing time, query latency, incremental update cost,
//! relevance on the labelled query set, and the time and peak memory of
//! hostile 10 KB and 100 KB queries. Prints numbers, asserts nothing.
//!
//! Run: `cargo bench --bench search`
//!
//! Peak memory of a query is the process's peak resident set (`VmHWM`)
//! while it ran: the peak is reset just before it (`5` written to
//! `/proc/self/clear_refs`, Linux 4.0+) and read just after. Printed as that
//! peak and as its growth over the resident set just before the query, which
//! is the query's own cost (large allocations such as tantivy's query automata
//! are mapped and unmapped, so they show; the index files are memory-mapped
//! and shared with the page cache).

// A bench prints what it measured.
#![allow(clippy::print_stdout, clippy::print_stderr, unreachable_pub)]

use std::time::{Duration, Instant};

use skillet::search::{self, SearchIndex, query_notice};

// The test corpus (test data, not in the library) names the library as `crate::search`: the
// import above.
#[path = "../data/search_corpus/mod.rs"]
mod corpus;

use corpus::{corpus, evaluate, huge_queries, labelled_queries};

/// A `kB` line of `/proc/self/status`, in bytes.
fn status_kb(key: &str) -> Option<usize> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(key))?;
    let kb: usize = line[key.len()..]
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(kb * 1024)
}

/// Runs `f`: its result, wall time, the peak resident set while it ran and the resident set
/// before it (both 0 where /proc cannot say).
fn measured<T>(f: impl FnOnce() -> T) -> (T, Duration, usize, usize) {
    let reset = std::fs::write("/proc/self/clear_refs", "5").is_ok();
    let before = status_kb("VmRSS:").unwrap_or(0);
    let start = Instant::now();
    let out = f();
    let time = start.elapsed();
    let peak = if reset {
        status_kb("VmHWM:").unwrap_or(0)
    } else {
        0
    };
    (out, time, peak, before)
}

fn mib(bytes: usize) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

/// Every hostile query shape at 10 KB and 100 KB, one at a time.
fn huge_query_costs(index: &SearchIndex) -> Result<(), Box<dyn std::error::Error>> {
    println!(
        "hostile queries against {} skills (target 100 KB: <= 300 MB peak, <= 1 s):",
        index.len()
    );
    let (mut worst_time, mut worst_peak, mut worst_growth) = (Duration::ZERO, 0, 0);
    for size in [10 * 1024, 100 * 1024] {
        for (what, q) in huge_queries(size) {
            let (hits, time, peak, before) = measured(|| index.search(&q, 10));
            let hits = hits?;
            let growth = peak.saturating_sub(before);
            if size == 100 * 1024 {
                worst_time = worst_time.max(time);
                worst_peak = worst_peak.max(peak);
                worst_growth = worst_growth.max(growth);
            }
            println!(
                "  {:>3} KB {what:<18} {:>8.1} ms  peak RSS {:>7.1} MiB (+{:>6.1} MiB)  {} hits  [{}]",
                size / 1024,
                time.as_secs_f64() * 1e3,
                mib(peak),
                mib(growth),
                hits.len(),
                query_notice(&q)
                    .unwrap_or_else(|| "not cut".into())
                    .replace('\n', " / "),
            );
        }
    }
    println!(
        "  worst 100 KB query: {:.1} ms, peak RSS {:.1} MiB (+{:.1} MiB over the RSS before it)",
        worst_time.as_secs_f64() * 1e3,
        mib(worst_peak),
        mib(worst_growth)
    );
    Ok(())
}

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

    huge_query_costs(&index)?;

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
