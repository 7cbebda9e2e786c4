//! PII detection benchmarks; prints numbers, asserts nothing. `cargo bench --bench privacy`.
//! 1. detection quality on the generated corpus (recall by kind; false positives per 10,000
//!    words of PII-free text with realistic distractors), over several seeds;
//! 2. detections in real prose (this repository's README and ARCHITECTURE);
//! 3. tokenization throughput on a long transcript and on a 10,000-row JSON result;
//! 4. the cost per tool call of tokenizing a small result without personal data (a
//!    `list_documents` page: structured content and the same JSON as its text block), as a
//!    served run pays it on every call.

// A bench prints what it measured.
#![allow(clippy::print_stdout, clippy::print_stderr, unreachable_pub)]

use std::path::Path;
use std::time::Instant;

use skillet::privacy::{self, Detector, Vault};

// The detection-quality corpus (test data, not in the library) names the library as
// `crate::privacy`: the import above.
#[path = "../data/pii_corpus/mod.rs"]
#[allow(
    unused_imports,
    reason = "the imports of its unit tests: a bench is built with cfg(test) but without the test harness, which drops #[test] functions"
)]
mod pii_corpus;

use pii_corpus::{Generator, quality};

fn main() {
    // 1. Quality.
    let report = quality::evaluate(0x5EED, 5_000);
    println!(
        "privacy: detection quality, seed 0x5EED, 5,000 documents with PII and 5,000 without:\n{report}"
    );
    let (mut expected, mut found, mut fp, mut words) = (0, 0, 0, 0);
    for seed in 1..=10u64 {
        let r = quality::evaluate(seed, 2_000);
        expected += r.expected;
        found += r.found;
        fp += r.false_positives;
        words += r.words_clean;
    }
    println!(
        "privacy: 10 more seeds x 2,000 documents: recall {:.4} ({found}/{expected}, target >= 0.99), false positives {fp} in {words} PII-free words ({:.2} per 10,000)",
        found as f64 / expected as f64,
        fp as f64 * 10_000.0 / words.max(1) as f64
    );

    // 2. Real prose.
    let detector = Detector::builtin();
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut prose = String::new();
    for file in ["README.md", "ARCHITECTURE.md"] {
        prose.push_str(&std::fs::read_to_string(manifest.join(file)).unwrap_or_default());
    }
    let spans = detector.find(&prose);
    let words = prose.split_whitespace().count();
    println!(
        "privacy: README + ARCHITECTURE ({words} words): {} detections: {}",
        spans.len(),
        spans
            .iter()
            .map(|s| format!("{} `{}`", s.kind.label(), &prose[s.start..s.end]))
            .collect::<Vec<_>>()
            .join(", ")
    );

    // 3. Throughput.
    let mut generator = Generator::new(7);
    let mut transcript = String::new();
    while transcript.len() < 1 << 20 {
        transcript.push_str(&generator.pii_document().text);
        transcript.push('\n');
        transcript.push_str(&generator.clean_document());
        transcript.push('\n');
    }
    let start = Instant::now();
    let mut vault = Vault::new();
    let out = vault.tokenize_text(&transcript, &detector, "docs.get_document");
    let elapsed = start.elapsed().as_secs_f64();
    println!(
        "privacy: tokenize 1 MiB of mixed text: {:.1} ms ({:.0} MB/s), {} tokens issued, {} bytes out",
        elapsed * 1e3,
        transcript.len() as f64 / elapsed / 1e6,
        vault.len(),
        out.len()
    );
    let rows: Vec<serde_json::Value> = (0..10_000)
        .map(|i| {
            serde_json::json!({
                "id": format!("act-{i:05}"), "kind": "call", "date": "2025-07-01",
                "owner": "Priya Raman", "duration_min": 30,
                "summary": format!("Follow-up with contact {i}: discussed renewal, next step on 2025-08-0{}", i % 9 + 1),
                "name": format!("Contact {i}"),
            })
        })
        .collect();
    let mut value = serde_json::json!({ "activities": rows });
    let bytes = value.to_string().len();
    let start = Instant::now();
    let mut vault = Vault::new();
    let n = vault.tokenize_value(&mut value, &detector, "crm.export_activities");
    let elapsed = start.elapsed().as_secs_f64();
    println!(
        "privacy: tokenize a 10,000-row JSON result ({:.1} MB): {:.1} ms, {n} values replaced",
        bytes as f64 / 1e6,
        elapsed * 1e3
    );

    // 4. Per call: a small result with no personal data, through the run's governance.
    let governance = skillet::sandbox::governance::Governance::new(
        Default::default(),
        Default::default(),
        None,
        None,
        true,
    )
    .expect("default settings compile");
    let page = |n: usize| {
        let documents: Vec<serde_json::Value> = (0..n)
            .map(|i| {
                serde_json::json!({
                    "id": format!("meet-2025-q{}-planning-call-{i}", i % 4 + 1),
                    "title": format!("Quarterly planning call {i}"),
                    "folder": "meetings",
                    "updated": format!("2025-09-{:02}", i % 28 + 1),
                    "word_count": 1200 + i,
                })
            })
            .collect();
        let structured = serde_json::json!({ "documents": documents, "total": 48 });
        skillet::tool::ToolResult {
            content: vec![serde_json::json!({ "type": "text", "text": structured.to_string() })],
            structured_content: Some(structured),
            is_error: false,
        }
    };
    let result = page(25);
    let rounds = 20_000;
    let start = Instant::now();
    for _ in 0..rounds {
        std::hint::black_box(governance.tokenize_result("docs", "list_documents", result.clone()));
    }
    let with_clone = start.elapsed().as_secs_f64() / rounds as f64;
    let start = Instant::now();
    for _ in 0..rounds {
        std::hint::black_box(result.clone());
    }
    let clone = start.elapsed().as_secs_f64() / rounds as f64;
    println!(
        "privacy: tokenize one list_documents page (25 rows, {} bytes, no personal data): {:.1} us per call",
        result.content[0]["text"].as_str().map_or(0, str::len),
        (with_clone - clone) * 1e6
    );
}
