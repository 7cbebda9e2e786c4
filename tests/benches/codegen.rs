//! Code generation throughput over the shared catalogs, replicated to 500+ tools.
//! Run with `cargo bench --bench codegen`; prints numbers, asserts nothing.

// A bench prints what it measured.
#![allow(clippy::print_stdout, clippy::print_stderr, unreachable_pub)]

use std::time::{Duration, Instant};

use skillet::codegen;
use skillet::tool::{self, ToolSpec};

fn main() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/catalogs");
    let mut catalogs: Vec<(String, Vec<ToolSpec>)> = Vec::new();
    let mut entries: Vec<_> = fs_err::read_dir(dir)
        .expect("catalogs")
        .flatten()
        .map(|e| e.path())
        .collect();
    entries.sort();
    for path in entries {
        let text = fs_err::read_to_string(&path).expect("read catalog");
        let tools = tool::parse_tools_list(&text).expect("parse catalog");
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        catalogs.push((name, tools));
    }
    let per_copy: usize = catalogs.iter().map(|(_, t)| t.len()).sum();
    let copies = 500usize.div_ceil(per_copy);
    let total = per_copy * copies;
    let empty = Default::default();

    let generate_all = || {
        let mut apis = Vec::new();
        let mut bytes = 0;
        for copy in 0..copies {
            for (name, tools) in &catalogs {
                let api = codegen::generate_server(&format!("{name}-{copy}"), tools, &empty)
                    .expect("generate");
                bytes += api.files.iter().map(|f| f.contents.len()).sum::<usize>();
                apis.push(api);
            }
        }
        let root = codegen::generate_root(&mut apis);
        bytes + root.iter().map(|f| f.contents.len()).sum::<usize>()
    };

    let bytes = generate_all(); // warm-up
    let mut samples: Vec<Duration> = (0..20)
        .map(|_| {
            let start = Instant::now();
            std::hint::black_box(generate_all());
            start.elapsed()
        })
        .collect();
    samples.sort();
    let median = samples[samples.len() / 2];
    println!(
        "codegen: {} catalogs x {copies} copies = {total} tools, {:.1} MB of TypeScript",
        catalogs.len(),
        bytes as f64 / 1e6
    );
    println!(
        "codegen: median {:.1} ms (min {:.1} ms, max {:.1} ms) over {} runs = {:.0} tools/s (target: {total} tools < 300 ms)",
        median.as_secs_f64() * 1e3,
        samples[0].as_secs_f64() * 1e3,
        samples[samples.len() - 1].as_secs_f64() * 1e3,
        samples.len(),
        total as f64 / median.as_secs_f64()
    );
}
