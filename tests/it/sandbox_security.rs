//! Hostile scripts, run one after another in ONE process: each is stopped with its own error
//! kind, the host survives, and the next run behaves normally.

use std::path::Path;
use std::sync::Arc;

use skillet::config::{ServerConfig, UpstreamSettings};
use skillet::sandbox::tools::LiveHost;
use skillet::sandbox::{self, ErrorKind, Limits, RunOutcome, SandboxEnv, Script};
use skillet::upstream::UpstreamPool;

use crate::support::*;

struct Harness {
    _tmp: tempfile::TempDir,
    env: SandboxEnv,
    pool: Arc<UpstreamPool>,
    runtime: tokio::runtime::Runtime,
}

impl Harness {
    /// A registry with the docs sample server generated, and a live host on it.
    fn new() -> Self {
        let env = TestEnv::new();
        env.registry(serde_json::json!({ "docs": sample("docs") }));
        env.run(&["gen"]).success();
        let root = env.work();
        let servers = vec![ServerConfig::stdio("docs", BIN, &["sample-server", "docs"])];
        let pool = Arc::new(UpstreamPool::new(
            &servers,
            UpstreamSettings::default(),
            root.join(".skillet/logs"),
            root.clone(),
        ));
        let sandbox_env = SandboxEnv {
            api_dir: root.join(".skillet"),
            skills_dir: root.join("skills"),
            workspace_dir: root.join(".skillet/workspace"),
            host: Arc::new(LiveHost {
                pool: Arc::clone(&pool),
            }),
            skill_gate: None,
            cancel: None,
            governance: None,
        };
        Self {
            _tmp: env.tmp,
            env: sandbox_env,
            pool,
            runtime: tokio::runtime::Runtime::new().unwrap(),
        }
    }

    fn workspace(&self) -> &Path {
        &self.env.workspace_dir
    }

    fn run_with(&self, source: &str, limits: &Limits) -> RunOutcome {
        let script = Script {
            name: "attack.ts".into(),
            source: source.into(),
        };
        self.runtime
            .block_on(sandbox::execute(&script, &self.env, limits))
    }

    fn limits() -> Limits {
        Limits {
            timeout_ms: 1_000,
            ..Limits::from(&skillet::config::RunSettings::default())
        }
    }

    #[track_caller]
    fn expect(&self, source: &str, kind: ErrorKind) -> RunOutcome {
        self.expect_with(source, kind, &Self::limits())
    }

    #[track_caller]
    fn expect_with(&self, source: &str, kind: ErrorKind, limits: &Limits) -> RunOutcome {
        let outcome = self.run_with(source, limits);
        let error = outcome
            .error
            .clone()
            .unwrap_or_else(|| panic!("`{source}` should fail with {kind:?}, got {outcome:?}"));
        assert_eq!(error.kind, kind, "`{source}`: {error}");
        // The host survives, and the next run behaves normally.
        let normal = self.run_with(
            "console.log(1 + 1); export default { ok: true };",
            &Self::limits(),
        );
        assert!(
            normal.ok(),
            "normal run after `{source}` failed: {normal:?}"
        );
        assert_eq!(normal.output, "2\n");
        assert_eq!(normal.result, Some(serde_json::json!({ "ok": true })));
        outcome
    }
}

impl Drop for Harness {
    fn drop(&mut self) {
        let pool = std::mem::replace(
            &mut self.pool,
            Arc::new(UpstreamPool::new(
                &[],
                UpstreamSettings::default(),
                "/".into(),
                "/".into(),
            )),
        );
        self.env.host = Arc::new(LiveHost {
            pool: Arc::clone(&self.pool),
        });
        if let Ok(pool) = Arc::try_unwrap(pool) {
            self.runtime.block_on(pool.shutdown());
        }
    }
}

#[test]
fn hostile_scripts_are_stopped_and_the_host_survives() {
    let h = Harness::new();
    // CPU
    h.expect("while (true) {}", ErrorKind::Timeout);
    h.expect(
        "while (true) { try { while (true) {} } catch (e) {} finally { } }",
        ErrorKind::Timeout,
    );
    h.expect(
        "const r = /(a+)+$/; r.test('a'.repeat(64) + 'b');",
        ErrorKind::Timeout,
    );
    h.expect("eval('while (true) {}')", ErrorKind::Timeout);
    h.expect("new Function('for (;;) {}')()", ErrorKind::Timeout);
    h.expect("await new Promise(() => {})", ErrorKind::Timeout);
    // Memory and stack
    h.expect(
        "const a = []; while (true) a.push(new Array(1e5).fill(7));",
        ErrorKind::Memory,
    );
    // A million promises take a while to build in a debug build on a busy machine: the memory
    // limit must stop them, whatever the deadline, so this one gets a long one.
    let promises = h.run_with(
        "const ps = []; for (let i = 0; i < 1e6; i++) ps.push(new Promise(() => {}).then(() => i)); await Promise.all(ps)",
        &Limits {
            timeout_ms: 60_000,
            ..Harness::limits()
        },
    );
    assert_eq!(
        promises.error.as_ref().map(|e| e.kind),
        Some(ErrorKind::Memory),
        "{:?}",
        promises.error
    );
    h.expect(
        "function f(n) { return f(n + 1) + 1 } f(0)",
        ErrorKind::Stack,
    );
    h.expect(
        "const f = new Function('n', 'return arguments.callee(n + 1)'); f(0)",
        ErrorKind::Stack,
    );
    // Output
    let out = h.expect(
        "for (let i = 0; ; i++) console.log('line ' + i + ' '.repeat(200))",
        ErrorKind::OutputLimit,
    );
    assert!(out.output.len() <= Harness::limits().record_output_cap());
    // Imports
    for specifier in [
        "/etc/passwd",
        "../../etc/passwd",
        "node:fs",
        "https://example.com/x.js",
        "lodash",
        "./servers/../../x",
    ] {
        let outcome = h.expect(
            &format!("import x from {specifier:?}; console.log(x)"),
            ErrorKind::Import,
        );
        assert!(
            outcome.error.unwrap().message.contains(specifier),
            "{specifier}"
        );
    }
    h.expect("await import('node:child_process')", ErrorKind::Import);
    // Files
    std::os::unix::fs::symlink("/etc", h.workspace().join("planted")).unwrap_or(());
    for path in [
        "./workspace/../../skillet.toml",
        "/etc/passwd",
        "./workspace/planted/passwd",
        "../.mcp.json",
    ] {
        let outcome = h.expect(
            &format!("console.log(fs.readFile({path:?}))"),
            ErrorKind::Runtime,
        );
        let message = outcome.error.unwrap().message;
        assert!(message.contains("FsError"), "{path}: {message}");
    }
    h.expect(
        "fs.writeFile('./workspace/planted/evil', 'x')",
        ErrorKind::Runtime,
    );
    // Tampering affects only the script's own, fresh runtime.
    h.expect("delete globalThis.callMCPTool", ErrorKind::Runtime);
    h.expect("globalThis.callMCPTool = () => 1", ErrorKind::Runtime);
    h.expect("console.log = null", ErrorKind::Runtime);
    let tamper = h.run_with(
        "Object.prototype.toJSON = () => 'pwned'; Array.prototype.map = null; JSON.stringify = () => 'x'; \
         String.prototype.toString = null; console.log('tampered'); export default 1",
        &Harness::limits(),
    );
    assert_eq!(tamper.output, "tampered\n", "{tamper:?}");
    h.expect(
        "new Function('return this')().fs = null",
        ErrorKind::Runtime,
    );
    // Arguments the host cannot read in one go: the run's memory limit stops them, and the
    // host neither allocates for them nor loops over them. Building the text takes a while on
    // a busy machine: the memory limit must stop it, whatever the deadline.
    let patient = Limits {
        timeout_ms: 60_000,
        ..Harness::limits()
    };
    h.expect_with(
        "import { listDocuments } from './servers/docs/index.js'; const a = []; a.length = 2 ** 32 - 1; await listDocuments({ a })",
        ErrorKind::Memory,
        &patient,
    );
    h.expect_with(
        "import { listDocuments } from './servers/docs/index.js'; const s = 'x'.repeat(1 << 20); await listDocuments({ a: Array(100000).fill(s) })",
        ErrorKind::Memory,
        &patient,
    );
    h.expect_with(
        "import { listDocuments } from './servers/docs/index.js'; let a = ['x'.repeat(1 << 16)]; for (let i = 0; i < 30; i++) a = [a, a]; await listDocuments({ a })",
        ErrorKind::Memory,
        &patient,
    );
    // The same through values JSON.stringify must turn into text (a boxed string, a class
    // instance): the host never holds more of them than the script could.
    h.expect_with(
        "import { listDocuments } from './servers/docs/index.js'; const p = new String('x'.repeat(1 << 20)); await listDocuments({ a: Array(100000).fill(p) })",
        ErrorKind::Memory,
        &patient,
    );
    h.expect_with(
        "import { listDocuments } from './servers/docs/index.js'; class P { constructor() { this.s = 'x'.repeat(1 << 20); } } const p = new P(); await listDocuments({ a: Array(100000).fill(p) })",
        ErrorKind::Memory,
        &patient,
    );
    // Too many calls, even when the script swallows the error.
    let limits = Limits {
        max_tool_calls: 3,
        ..Harness::limits()
    };
    h.expect_with(
        "import { listDocuments } from './servers/docs/index.js'; for (let i = 0; i < 10; i++) { try { await listDocuments({}) } catch {} } console.log('kept going')",
        ErrorKind::CallLimit,
        &limits,
    );
    // One tool result too big for the sandbox.
    let limits = Limits {
        max_result_bytes: 1_000,
        ..Harness::limits()
    };
    h.expect_with(
        "import { getDocument } from './servers/docs/index.js'; await getDocument({ id: 'meet-2025-q3-planning-call' })",
        ErrorKind::ResultLimit,
        &limits,
    );
}

#[test]
fn errors_carry_the_typescript_position() {
    let h = Harness::new();
    let outcome = h.expect(
        "interface Point {\n  x: number;\n  y: number;\n}\n\nfunction boom(p: Point): never {\n  throw new Error(`bad point ${p.x}`);\n}\nboom({ x: 1, y: 2 });\n",
        ErrorKind::Runtime,
    );
    let error = outcome.error.unwrap();
    assert_eq!(error.line, Some(7), "{error:?}");
    assert_eq!(error.message, "bad point 1");
    let outcome = h.expect("const a: number = 1;\n\nlet b = ;\n", ErrorKind::Syntax);
    let error = outcome.error.unwrap();
    assert_eq!((error.line, error.column), (Some(3), Some(9)), "{error:?}");
    let outcome = h.expect(
        "import { getDocument } from './servers/docs/index.js';\n\nawait getDocument({ id: 'no-such-doc' });\n",
        ErrorKind::Tool,
    );
    let error = outcome.error.unwrap();
    assert_eq!(error.line, Some(3), "{error:?}");
    assert!(error.message.contains("no-such-doc"), "{error:?}");
    let outcome = h.expect(
        "import { getDocument } from './servers/docs/index.js';\nawait getDocument({ id: 7 } as any);\n",
        ErrorKind::ToolArgument,
    );
    assert!(
        outcome.error.unwrap().message.contains("/id"),
        "argument violations name the field"
    );
    assert!(
        outcome.tool_calls.is_empty(),
        "nothing is sent when arguments are wrong"
    );
}
