//! Sandbox benchmarks; prints numbers, asserts nothing. `cargo bench --bench sandbox`.
//! 1. a trivial script in a warm process: new sandbox + strip types + run (p50, p99);
//! 2. a tool call from the sandbox against the same call made directly with rmcp
//!    (server-everything's echo, when installed with `npm ci --prefix tests/node`);
//! 3. time from the start of a memory bomb to its `memory` error;
//! 4. 100 parallel calls to a sleeping tool under `Promise.all`, at two concurrency limits;
//! 5. the sandbox's own cost per call: a host in the same process that answers at once;
//! 6. a script importing a skill that imports another (modules opened beneath `skills/`).
//!
//! Names after `--` pick parts (`trivial`, `bomb`, `calls`, `fanout`, `host`, `import`):
//! `cargo bench --bench sandbox -- calls` runs only the per-call comparison, for profiling.

// A bench prints what it measured.
#![allow(clippy::print_stdout, clippy::print_stderr, unreachable_pub)]

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::future::BoxFuture;
use skillet::codegen;
use skillet::config::{RunSettings, ServerConfig, UpstreamSettings};
use skillet::sandbox::tools::{CallSource, HostError, LiveHost, ToolHost};
use skillet::sandbox::{self, Limits, SandboxEnv, Script};
use skillet::tool::ToolResult;
use skillet::upstream::{Upstream, UpstreamPool};

/// Answers every call at once with what server-everything's echo answers: what is left of a
/// call's time is the sandbox's own work (checks, conversions, promises, the record).
struct InstantHost {
    spec: skillet::tool::ToolSpec,
}

impl ToolHost for InstantHost {
    fn tool<'a>(
        &'a self,
        _server: &'a str,
        tool: &'a str,
    ) -> BoxFuture<'a, Result<Option<skillet::tool::ToolSpec>, HostError>> {
        let found = (tool == self.spec.name).then(|| self.spec.clone());
        Box::pin(async move { Ok(found) })
    }

    fn call<'a>(
        &'a self,
        _index: usize,
        _server: &'a str,
        _tool: &'a str,
        arguments: serde_json::Map<String, serde_json::Value>,
    ) -> BoxFuture<'a, Result<(ToolResult, CallSource), HostError>> {
        let message = arguments
            .get("message")
            .and_then(serde_json::Value::as_str)
            .unwrap_or_default();
        let result = ToolResult {
            content: vec![serde_json::json!({"type": "text", "text": format!("Echo: {message}")})],
            structured_content: None,
            is_error: false,
        };
        Box::pin(async move { Ok((result, CallSource::Live)) })
    }
}

/// Governance as `skillet run` has it by default: personal data tokenized, the default
/// policy, an audit log under `dir`.
fn governed(dir: &Path) -> skillet::sandbox::governance::Governance {
    skillet::sandbox::governance::Governance::new(
        Default::default(),
        Default::default(),
        None,
        Some((
            Arc::new(skillet::audit::AuditLog::new(dir.join("audit.jsonl"))),
            "bench".into(),
        )),
        true,
    )
    .expect("governance")
}

/// A script that makes `warm` echo calls, then `n` more, and exports the milliseconds the `n`
/// took (timed inside the sandbox, so start-up is not counted).
fn echo_loop(warm: usize, n: usize) -> Script {
    Script {
        name: "echo.ts".into(),
        source: format!(
            "import {{ echo }} from './servers/everything/index.js';\nfor (let i = 0; i < {warm}; i++) await echo({{ message: `warm ${{i}}` }});\nconst start = Date.now();\nfor (let i = 0; i < {n}; i++) await echo({{ message: `hi ${{i}}` }});\nexport default Date.now() - start;\n"
        ),
        input: None,
    }
}

/// Runs `script` as a task on a runtime worker (as `serve` does) and returns the number it
/// exports.
fn timed_run(
    rt: &tokio::runtime::Runtime,
    script: &Script,
    env: &SandboxEnv,
    limits: &Limits,
) -> f64 {
    let (script, env, limits) = (script.clone(), env.clone(), limits.clone());
    let outcome = rt.block_on(async move {
        tokio::spawn(async move { sandbox::execute(&script, &env, &limits).await })
            .await
            .expect("sandbox run")
    });
    assert!(outcome.ok(), "{:?}", outcome.error);
    outcome
        .result
        .as_ref()
        .and_then(serde_json::Value::as_f64)
        .unwrap_or(f64::NAN)
}

fn percentile(samples: &mut [Duration], p: f64) -> f64 {
    samples.sort();
    let i = ((samples.len() as f64 - 1.0) * p).round() as usize;
    samples[i].as_secs_f64() * 1e3
}

/// Generates the API of `servers` into `dir` and returns a sandbox env with a live pool.
async fn env_for(dir: &Path, servers: &[ServerConfig]) -> (SandboxEnv, Arc<UpstreamPool>) {
    let settings = UpstreamSettings::default();
    let mut apis = Vec::new();
    for server in servers {
        let up = Upstream::connect(server, &settings, &dir.join("logs"), dir)
            .await
            .expect("connect");
        let tools = up.list_tools().await.expect("list");
        up.shutdown().await;
        apis.push(
            codegen::generate_server(&server.name, &tools, &Default::default()).expect("codegen"),
        );
    }
    let mut files = codegen::generate_root(&mut apis);
    for api in &apis {
        files.extend(api.files.iter().cloned());
    }
    for file in files {
        let path = dir.join("api").join(&file.path);
        fs_err::create_dir_all(path.parent().unwrap()).unwrap();
        fs_err::write(path, file.contents).unwrap();
    }
    let pool = Arc::new(UpstreamPool::new(
        servers,
        settings,
        dir.join("logs"),
        dir.to_owned(),
    ));
    let env = SandboxEnv {
        api_dir: dir.join("api"),
        skills_dir: dir.join("skills"),
        workspace_dir: dir.join("workspace"),
        host: Arc::new(LiveHost::new(Arc::clone(&pool))),
        skill_gate: None,
        cancel: None,
        governance: None,
    };
    (env, pool)
}

#[path = "parts.rs"]
mod parts;
use parts::wanted;

fn main() {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let tmp = tempfile::tempdir().expect("tmp");
    let limits = Limits::from(&RunSettings::default());
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));

    // 1. Trivial script, warm process.
    if wanted("trivial") {
        let (env, pool) = rt.block_on(env_for(&tmp.path().join("trivial"), &[]));
        let script = Script {
            name: "trivial.ts".into(),
            source: "const answer: number = 6 * 7;\nexport default answer;\n".into(),
            input: None,
        };
        for _ in 0..100 {
            rt.block_on(sandbox::execute(&script, &env, &limits));
        }
        let mut samples: Vec<Duration> = (0..2000)
            .map(|_| {
                let start = Instant::now();
                let outcome = rt.block_on(sandbox::execute(&script, &env, &limits));
                let elapsed = start.elapsed();
                assert!(outcome.ok());
                elapsed
            })
            .collect();
        println!(
            "sandbox: trivial script (new runtime + strip types + run), 2000 runs: p50 {:.3} ms, p99 {:.3} ms (target p50 <= 0.3 ms, p99 <= 1 ms)",
            percentile(&mut samples, 0.50),
            percentile(&mut samples, 0.99)
        );
        drop(env);
        if let Ok(pool) = Arc::try_unwrap(pool) {
            rt.block_on(pool.shutdown());
        }
    }

    // 6. A script importing a skill, warm process: every module is opened beneath the skills
    // root (cap-std) and checked against the transpile cache by the opened file's stamp.
    if wanted("import") {
        let dir = tmp.path().join("import");
        let (env, pool) = rt.block_on(env_for(&dir, &[]));
        for (name, next) in [("first", Some("second")), ("second", None)] {
            let body = match next {
                Some(next) => format!(
                    "import inner from \"../../{next}/scripts/index.ts\";\nexport default (): number => inner() + 1;\n"
                ),
                None => "export default (): number => 41;\n".to_owned(),
            };
            let path = dir.join(format!("skills/{name}/scripts/index.ts"));
            fs_err::create_dir_all(path.parent().unwrap()).unwrap();
            fs_err::write(path, body).unwrap();
        }
        let script = Script {
            name: "import.ts".into(),
            source: "import first from './skills/first';\nexport default first();\n".into(),
            input: None,
        };
        for _ in 0..100 {
            rt.block_on(sandbox::execute(&script, &env, &limits));
        }
        let mut samples: Vec<Duration> = (0..2000)
            .map(|_| {
                let start = Instant::now();
                let outcome = rt.block_on(sandbox::execute(&script, &env, &limits));
                let elapsed = start.elapsed();
                assert_eq!(outcome.result, Some(serde_json::json!(42)), "{outcome:?}");
                elapsed
            })
            .collect();
        println!(
            "sandbox: script importing a skill that imports another (2 modules opened beneath skills/), 2000 runs: p50 {:.3} ms, p99 {:.3} ms",
            percentile(&mut samples, 0.50),
            percentile(&mut samples, 0.99)
        );
        drop(env);
        if let Ok(pool) = Arc::try_unwrap(pool) {
            rt.block_on(pool.shutdown());
        }
    }

    // 3. Memory bomb.
    if wanted("bomb") {
        let (env, _pool) = rt.block_on(env_for(&tmp.path().join("bomb"), &[]));
        let bomb = Script {
            name: "bomb.ts".into(),
            source: "const a: number[][] = []; while (true) a.push(new Array(1e5).fill(7));".into(),
            input: None,
        };
        let mut samples: Vec<Duration> = (0..20)
            .map(|_| {
                let outcome = rt.block_on(sandbox::execute(&bomb, &env, &limits));
                assert_eq!(
                    outcome.error.as_ref().map(|e| e.kind),
                    Some(sandbox::ErrorKind::Memory)
                );
                outcome.duration
            })
            .collect();
        println!(
            "sandbox: memory bomb to `memory` error ({} MiB limit), 20 runs: p50 {:.1} ms, max {:.1} ms (target <= 200 ms)",
            limits.memory_bytes >> 20,
            percentile(&mut samples, 0.50),
            percentile(&mut samples, 1.0)
        );
    }

    // 2. Per-call overhead against direct rmcp calls.
    let everything = manifest.join("tests/node/node_modules/.bin/mcp-server-everything");
    if !wanted("calls") {
    } else if everything.exists() {
        let server = ServerConfig::stdio("everything", everything.to_str().unwrap(), &[]);
        let (env, pool) = rt.block_on(env_for(
            &tmp.path().join("echo"),
            std::slice::from_ref(&server),
        ));
        let n = 1000;
        // Both paths use the same server process (through the same pool), warmed up first:
        // node's JIT makes a fresh server slower for its first thousands of calls. Both run as
        // a task on a runtime worker, as `skillet serve` runs them.
        // Warm the server (node's JIT makes a fresh server slower for its first thousands of
        // calls), then alternate the two ways five times and compare medians, so neither side
        // gets the quieter moment of a shared machine.
        let direct_round = |warm: usize| {
            let pool = Arc::clone(&pool);
            rt.block_on(async move {
                tokio::spawn(async move {
                    let call = |i: usize| {
                        let mut args = serde_json::Map::new();
                        args.insert("message".into(), format!("hi {i}").into());
                        pool.call("everything", "echo", args)
                    };
                    for i in 0..warm {
                        call(i).await.expect("echo");
                    }
                    let start = Instant::now();
                    for i in 0..n {
                        call(i).await.expect("echo");
                    }
                    start.elapsed().as_secs_f64() * 1e3
                })
                .await
                .expect("direct calls")
            })
        };
        let script = echo_loop(50, n);
        let loose = Limits {
            max_tool_calls: 10_000,
            timeout_ms: 120_000,
            ..limits.clone()
        };
        // As `skillet run` has it by default: privacy, policy and the audit log on.
        let governed = SandboxEnv {
            governance: Some(Arc::new(governed(&tmp.path().join("echo")))),
            ..env.clone()
        };
        let sandbox_round = |env: &SandboxEnv| timed_run(&rt, &script, env, &loose);
        direct_round(3000);
        // Each round is a pair, direct then sandbox, close in time: the median of the pairs'
        // ratios is the comparison least moved by the load of a shared machine.
        let rounds = 15;
        let (mut direct, mut boxed, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
        let (mut with_privacy, mut privacy_ratios) = (Vec::new(), Vec::new());
        for _ in 0..rounds {
            let d = direct_round(50);
            let s = sandbox_round(&env);
            let g = sandbox_round(&governed);
            direct.push(d);
            boxed.push(s);
            ratios.push(s / d);
            with_privacy.push(g);
            privacy_ratios.push(g / d);
        }
        let median = |v: &mut Vec<f64>| {
            v.sort_by(f64::total_cmp);
            v[v.len() / 2]
        };
        let direct_ms = median(&mut direct);
        println!(
            "sandbox: {n} sequential echo calls to server-everything, {rounds} alternating rounds (medians): direct rmcp {:.1} ms ({:.3} ms/call)",
            direct_ms,
            direct_ms / n as f64,
        );
        for (what, times, ratios) in [
            ("from the sandbox", &mut boxed, &mut ratios),
            (
                "from the sandbox, privacy and audit on (the default)",
                &mut with_privacy,
                &mut privacy_ratios,
            ),
        ] {
            let ms = median(times);
            let ratio = median(ratios);
            println!(
                "  {what}: {ms:.1} ms ({:.3} ms/call); median ratio of the rounds {ratio:.2}x, from {:.2}x to {:.2}x (target <= 1.15x)",
                ms / n as f64,
                ratios[0],
                ratios[rounds - 1],
            );
        }
        drop(governed);
        drop(env);
        if let Ok(pool) = Arc::try_unwrap(pool) {
            rt.block_on(pool.shutdown());
        }
    } else {
        println!(
            "sandbox: per-call overhead skipped: server-everything not installed (npm ci --prefix tests/node)"
        );
    }

    // 5. The sandbox's own cost per call.
    if wanted("host") {
        let dir = tmp.path().join("host");
        let spec: skillet::tool::ToolSpec = serde_json::from_value(serde_json::json!({
            "name": "echo",
            "description": "Echoes back the input string",
            "inputSchema": {
                "type": "object",
                "properties": { "message": { "type": "string", "description": "Message to echo" } },
                "required": ["message"]
            },
            "annotations": { "readOnlyHint": false }
        }))
        .expect("spec");
        let mut apis = vec![
            codegen::generate_server(
                "everything",
                std::slice::from_ref(&spec),
                &Default::default(),
            )
            .expect("codegen"),
        ];
        let mut files = codegen::generate_root(&mut apis);
        files.extend(apis[0].files.iter().cloned());
        for file in files {
            let path = dir.join("api").join(&file.path);
            fs_err::create_dir_all(path.parent().unwrap()).unwrap();
            fs_err::write(path, file.contents).unwrap();
        }
        let bare = SandboxEnv {
            api_dir: dir.join("api"),
            skills_dir: dir.join("skills"),
            workspace_dir: dir.join("workspace"),
            host: Arc::new(InstantHost { spec }),
            skill_gate: None,
            cancel: None,
            governance: None,
        };
        // As `skillet run` has it by default: results scanned for personal data, arguments
        // restored, the policy consulted, one audit line per call.
        let governed = SandboxEnv {
            governance: Some(Arc::new(governed(&dir))),
            ..bare.clone()
        };
        let n = 20_000;
        let script = echo_loop(100, n);
        let loose = Limits {
            max_tool_calls: 100_000,
            timeout_ms: 120_000,
            ..limits.clone()
        };
        for (what, env) in [
            ("no privacy or audit", &bare),
            ("privacy, policy and audit on, as by default", &governed),
        ] {
            let mut rounds: Vec<f64> = (0..5)
                .map(|_| timed_run(&rt, &script, env, &loose))
                .collect();
            rounds.sort_by(f64::total_cmp);
            println!(
                "sandbox: own cost of a call (a host that answers at once; {what}), {n} sequential calls, median of 5: {:.1} us/call",
                rounds[2] * 1e3 / n as f64
            );
        }
    }

    // 4. Fan-out under the concurrency limit.
    if !wanted("fanout") {
        return;
    }
    let quirky = manifest.join("tests/fixtures/quirky_server.py");
    let server = ServerConfig::stdio("slow", "python3", &[quirky.to_str().unwrap()]);
    let (env, pool) = rt.block_on(env_for(
        &tmp.path().join("fanout"),
        std::slice::from_ref(&server),
    ));
    let script = Script {
        name: "fanout.ts".into(),
        source: "import { slow } from './servers/slow/index.js';\nawait slow({ seconds: 0 });\nconst start = Date.now();\nawait Promise.all(Array.from({ length: 100 }, () => slow({ seconds: 0.1 })));\nexport default Date.now() - start;\n".into(),
        input: None,
    };
    for concurrency in [16, 100] {
        let l = Limits {
            max_concurrent_calls: concurrency,
            ..limits.clone()
        };
        let outcome = rt.block_on(sandbox::execute(&script, &env, &l));
        let ms = outcome
            .result
            .as_ref()
            .and_then(serde_json::Value::as_f64)
            .unwrap_or(f64::NAN);
        println!(
            "sandbox: 100 parallel calls to a 100 ms tool, concurrency limit {concurrency}: {ms:.0} ms (ideal {:.0} ms)",
            100.0_f64.div_euclid(concurrency as f64).max(1.0) * 100.0
                + if 100 % concurrency == 0 { 0.0 } else { 100.0 }
        );
    }
    drop(env);
    if let Ok(pool) = Arc::try_unwrap(pool) {
        rt.block_on(pool.shutdown());
    }
}
