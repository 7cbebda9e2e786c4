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
    tmp: tempfile::TempDir,
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
            host: Arc::new(LiveHost::new(Arc::clone(&pool))),
            skill_gate: None,
            cancel: None,
            governance: None,
        };
        Self {
            tmp: env.tmp,
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
            input: None,
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
        self.env.host = Arc::new(LiveHost::new(Arc::clone(&self.pool)));
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

/// A skill's script, a skill folder or a generated file that is a symbolic link to a file
/// outside the registry is never run: the import fails, naming the link and where it points,
/// and the outside code has no effect. Links that stay inside are followed.
#[test]
fn code_linked_in_from_outside_the_registry_never_runs() {
    use std::os::unix::fs::symlink;
    let h = Harness::new();
    let root = h.env.skills_dir.parent().unwrap().to_owned();
    let outside = h.tmp.path().join("outside");
    let evil = "console.log('OUTSIDE CODE RAN'); fs.writeFile('./workspace/pwned.txt', 'x');\nexport default () => 'pwned';\nexport const listDocuments = () => 'pwned';\n";
    fs_err::create_dir_all(outside.join("scripts")).unwrap();
    fs_err::write(outside.join("scripts/index.ts"), evil).unwrap();
    fs_err::write(outside.join("listDocuments.ts"), evil).unwrap();
    // A skill whose scripts/index.ts is a link out, and a skill folder that is one.
    fs_err::create_dir_all(root.join("skills/linked-file/scripts")).unwrap();
    symlink(
        outside.join("scripts/index.ts"),
        root.join("skills/linked-file/scripts/index.ts"),
    )
    .unwrap();
    symlink(&outside, root.join("skills/linked-folder")).unwrap();
    // A link inside skills/ is followed.
    fs_err::create_dir_all(root.join("skills/real/scripts")).unwrap();
    fs_err::write(
        root.join("skills/real/scripts/index.ts"),
        "export default () => 'inside';\n",
    )
    .unwrap();
    symlink("real", root.join("skills/alias")).unwrap();
    let inside = h.run_with(
        "import run from './skills/alias'; export default run();",
        &Harness::limits(),
    );
    assert_eq!(
        inside.result,
        Some(serde_json::json!("inside")),
        "{inside:?}"
    );

    let attacks = [
        (
            "import run from './skills/linked-file'; export default run();",
            "skills/linked-file/scripts/index.ts is a symbolic link to",
        ),
        (
            "import run from './skills/linked-folder/scripts/index.js'; export default run();",
            "skills/linked-folder is a symbolic link to",
        ),
        (
            "export default (await import('./skills/linked-folder')).default();",
            "skills/linked-folder is a symbolic link to",
        ),
    ];
    for (source, says) in attacks {
        let outcome = h.expect(source, ErrorKind::Import);
        let message = outcome.error.unwrap().message;
        assert!(message.contains(says), "{source}: {message}");
        assert!(
            message.contains(&outside.display().to_string()),
            "{message}"
        );
        assert!(message.contains("hint: "), "{message}");
        assert!(!outcome.output.contains("OUTSIDE"), "{}", outcome.output);
        assert!(!h.workspace().join("pwned.txt").exists());
    }

    // A skill folder linked to elsewhere in the registry (what `npx skills add` makes:
    // skills/<name> -> ../.agents/skills/<name>) is read by `skillet validate` and search, but
    // never run: the sandbox's root is skills/, and the link leaves it.
    fs_err::create_dir_all(root.join(".agents/skills/elsewhere/scripts")).unwrap();
    fs_err::write(
        root.join(".agents/skills/elsewhere/scripts/index.ts"),
        "console.log('OUTSIDE CODE RAN');\nexport default () => 'linked';\n",
    )
    .unwrap();
    symlink(
        "../.agents/skills/elsewhere",
        root.join("skills/in-registry"),
    )
    .unwrap();
    let outcome = h.expect(
        "import run from './skills/in-registry'; export default run();",
        ErrorKind::Import,
    );
    let message = outcome.error.unwrap().message;
    assert!(
        message.contains("skills/in-registry is a symbolic link to ../.agents/skills/elsewhere")
            && message.contains("outside skills/"),
        "{message}"
    );
    assert!(!outcome.output.contains("OUTSIDE"), "{}", outcome.output);

    // A generated file swapped for a link out, after the loader has cached the real one.
    let generated = root.join(".skillet/servers/docs/listDocuments.ts");
    let real = h.run_with(
        "import { listDocuments } from './servers/docs/index.js'; export default typeof listDocuments;",
        &Harness::limits(),
    );
    assert_eq!(real.result, Some(serde_json::json!("function")), "{real:?}");
    let kept = generated.with_extension("ts.real");
    fs_err::rename(&generated, &kept).unwrap();
    symlink(outside.join("listDocuments.ts"), &generated).unwrap();
    for source in [
        "import { listDocuments } from './servers/docs/index.js'; export default listDocuments();",
        "import { listDocuments } from './servers/docs/listDocuments.js'; export default listDocuments();",
    ] {
        let outcome = h.expect(source, ErrorKind::Import);
        let message = outcome.error.unwrap().message;
        assert!(
            message.contains(".skillet/servers/docs/listDocuments.ts is a symbolic link to"),
            "{source}: {message}"
        );
        assert!(!outcome.output.contains("OUTSIDE"), "{}", outcome.output);
    }
    fs_err::remove_file(&generated).unwrap();
    fs_err::rename(&kept, &generated).unwrap();
    assert!(!h.workspace().join("pwned.txt").exists());
}

/// A timer due after the deadline never fires: the run ends with `timeout` at the deadline and
/// nothing after the wait runs; a script that catches its timeout cannot write or call either.
#[test]
fn a_timer_due_after_the_deadline_never_fires() {
    let h = Harness::new();
    let limits = Limits {
        timeout_ms: 300,
        ..Harness::limits()
    };
    let late = h.workspace().join("late.txt");
    for source in [
        "console.log('before'); await new Promise(r => setTimeout(r, 1e9)); console.log('after'); fs.writeFile('./workspace/late.txt', 'x');",
        "console.log('before'); setTimeout(() => { console.log('after'); fs.writeFile('./workspace/late.txt', 'x') }, 5000); await new Promise(() => {});",
        "console.log('before'); export default await new Promise(r => setTimeout(() => r('after'), 1e9));",
    ] {
        let outcome = h.expect_with(source, ErrorKind::Timeout, &limits);
        assert_eq!(outcome.output, "before\n", "{source}");
        assert!(!late.exists(), "{source}");
        assert_eq!(outcome.result, None);
    }
    // A timer within the deadline fires, in order.
    let fired = h.run_with(
        "setTimeout(() => console.log('b'), 20); setTimeout(() => console.log('a'), 5); await new Promise(r => setTimeout(r, 40)); export default 'ok'",
        &Harness::limits(),
    );
    assert_eq!(fired.output, "a\nb\n", "{fired:?}");
    assert_eq!(fired.result, Some(serde_json::json!("ok")));
}
