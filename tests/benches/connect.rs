//! Connect + list latency per server: the bundled sample servers and, when installed
//! (`npm ci --prefix tests/node`), the npm reference servers. Prints numbers, asserts nothing.

// A bench prints what it measured.
#![allow(clippy::print_stdout, clippy::print_stderr, unreachable_pub)]

use std::path::Path;
use std::time::{Duration, Instant};

use skillet::config::{ServerConfig, UpstreamSettings};
use skillet::upstream::Upstream;

const RUNS: usize = 5;

fn main() {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let tmp = tempfile::tempdir().expect("tempdir");
    let exe = Path::new(env!("CARGO_BIN_EXE_skillet"));
    let node = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/node/node_modules/.bin");
    let mut servers = vec![
        ServerConfig::stdio("docs", &exe.to_string_lossy(), &["sample-server", "docs"]),
        ServerConfig::stdio("crm", &exe.to_string_lossy(), &["sample-server", "crm"]),
    ];
    let files = tmp.path().to_string_lossy().into_owned();
    for (name, bin, args) in [
        ("everything", "mcp-server-everything", vec![]),
        ("filesystem", "mcp-server-filesystem", vec![files.as_str()]),
        ("memory", "mcp-server-memory", vec![]),
    ] {
        if node.join(bin).exists() {
            servers.push(ServerConfig::stdio(
                name,
                &node.join(bin).to_string_lossy(),
                &args,
            ));
        } else {
            println!("connect: {name}: not installed (npm ci --prefix tests/node), skipped");
        }
    }
    let settings = UpstreamSettings::default();
    for server in &servers {
        let mut connect = Vec::new();
        let mut list = Vec::new();
        let mut tools = 0;
        for _ in 0..RUNS {
            runtime.block_on(async {
                let start = Instant::now();
                let up = Upstream::connect(server, &settings, &tmp.path().join("logs"), tmp.path())
                    .await
                    .expect("connect");
                connect.push(start.elapsed());
                let start = Instant::now();
                tools = up.list_tools().await.expect("list").len();
                list.push(start.elapsed());
                up.shutdown().await;
            });
        }
        println!(
            "connect: {:<11} {:>3} tools  start→initialized median {:>7.1} ms  tools/list median {:>6.2} ms  ({RUNS} runs)",
            server.name,
            tools,
            median(&mut connect),
            median(&mut list)
        );
    }
}

fn median(samples: &mut [Duration]) -> f64 {
    samples.sort();
    samples[samples.len() / 2].as_secs_f64() * 1e3
}
