//! The test harness: one temp folder per test, a cleared environment, the real binary.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub const BIN: &str = env!("CARGO_BIN_EXE_skillet");

/// The crate's folder (fixtures, tests/node).
pub fn manifest_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

pub fn fixture(rel: &str) -> PathBuf {
    manifest_dir().join("tests/fixtures").join(rel)
}

/// A binary installed by `.ci/run` (`npm ci --prefix tests/node`). Missing is a failure, not a
/// skip: these tests exist to run against the real thing.
pub fn node_bin(name: &str) -> PathBuf {
    let path = manifest_dir()
        .join("tests/node/node_modules/.bin")
        .join(name);
    assert!(
        path.exists(),
        "{} is missing: run `npm ci --prefix tests/node` (as .ci/run does)",
        path.display()
    );
    path
}

pub struct Run {
    pub status: std::process::ExitStatus,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn code(&self) -> i32 {
        self.status.code().unwrap_or(-1)
    }
    #[track_caller]
    pub fn success(self) -> Self {
        assert!(
            self.status.success(),
            "skillet failed ({}):\nstdout:\n{}\nstderr:\n{}",
            self.status,
            self.stdout,
            self.stderr
        );
        self
    }
    #[track_caller]
    pub fn failure(self) -> Self {
        assert!(
            !self.status.success(),
            "skillet should have failed:\nstdout:\n{}\nstderr:\n{}",
            self.stdout,
            self.stderr
        );
        self
    }
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout is not JSON ({e}):\n{}\nstderr:\n{}",
                self.stdout, self.stderr
            )
        })
    }
}

impl From<Output> for Run {
    fn from(o: Output) -> Self {
        Self {
            status: o.status,
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }
}

/// A fresh folder with a fixed environment.
pub struct TestEnv {
    pub tmp: tempfile::TempDir,
}

impl TestEnv {
    pub fn new() -> Self {
        let tmp = tempfile::Builder::new()
            .prefix("skillet-it-")
            .tempdir()
            .unwrap();
        fs_err::create_dir_all(tmp.path().join("home")).unwrap();
        fs_err::create_dir_all(tmp.path().join("work")).unwrap();
        Self { tmp }
    }

    /// The working folder commands run in.
    pub fn work(&self) -> PathBuf {
        self.tmp.path().join("work")
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.work().join(rel)
    }

    pub fn write(&self, rel: &str, contents: &str) {
        let path = self.path(rel);
        if let Some(p) = path.parent() {
            fs_err::create_dir_all(p).unwrap();
        }
        fs_err::write(path, contents).unwrap();
    }

    pub fn read(&self, rel: &str) -> String {
        fs_err::read_to_string(self.path(rel)).unwrap()
    }

    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = self.program(BIN);
        cmd.args(args);
        cmd
    }

    /// `program` in the working folder with the fixed environment skillet commands get.
    pub fn program(&self, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let mut cmd = Command::new(program);
        cmd.current_dir(self.work())
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", self.tmp.path().join("home"))
            .env("NO_COLOR", "1")
            .env("LANG", "C.UTF-8")
            .env("TMPDIR", self.tmp.path())
            .stdin(std::process::Stdio::null());
        cmd
    }

    pub fn run(&self, args: &[&str]) -> Run {
        self.command(args).output().unwrap().into()
    }

    /// `skillet init` plus an `.mcp.json` holding `servers` (a JSON object of mcpServers).
    pub fn registry(&self, servers: serde_json::Value) {
        self.run(&["init"]).success();
        self.write(
            ".mcp.json",
            &serde_json::to_string_pretty(&serde_json::json!({ "mcpServers": servers })).unwrap(),
        );
    }

    /// Appends settings to skillet.toml.
    pub fn settings(&self, toml: &str) {
        let path = self.path("skillet.toml");
        let text = fs_err::read_to_string(&path).unwrap();
        // Replace the [upstream] table wholesale to avoid duplicate keys.
        let head = text.split("[upstream]").next().unwrap().to_owned();
        fs_err::write(path, format!("{head}{toml}\n")).unwrap();
    }
}

/// `git ARGS` in the test's working folder with its fixed environment and a committer identity
/// (`Dev <dev@example.com>`, which `-c user.name=...` in `args` overrides); fails the test when
/// git fails. Returns stdout without its trailing newlines.
pub fn git(env: &TestEnv, args: &[&str]) -> String {
    let out = env
        .program("git")
        .args(["-c", "user.name=Dev", "-c", "user.email=dev@example.com"])
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim_end().to_owned()
}

/// `skillet ARGS` in `dir` (another registry than the test's own, like a clone).
pub fn skillet_in(env: &TestEnv, dir: &Path, args: &[&str]) -> Run {
    env.command(args).current_dir(dir).output().unwrap().into()
}

/// A real `git clone` of the test's registry, beside it (`<tmp>/clone`).
pub fn clone_registry(env: &TestEnv) -> PathBuf {
    let to = env.tmp.path().join("clone");
    let out = env
        .program("git")
        .current_dir(env.tmp.path())
        .args(["clone", "-q"])
        .arg(env.work())
        .arg(&to)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git clone: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    to
}

/// The sample servers shipped in the binary, as `mcpServers` entries.
pub fn sample(name: &str) -> serde_json::Value {
    serde_json::json!({ "command": BIN, "args": ["sample-server", name] })
}

/// The scripted misbehaving server in the given mode.
pub fn quirky(mode: &str, marker: &str) -> serde_json::Value {
    serde_json::json!({
        "command": "python3",
        "args": [fixture("quirky_server.py").to_string_lossy(), mode, marker],
    })
}

/// The scripted server whose `echo` tool has `description` (a server that rewrites a tool's
/// description after review).
pub fn quirky_describing_echo(marker: &str, description: &str) -> serde_json::Value {
    let mut server = quirky("normal", marker);
    server["env"] = serde_json::json!({ "QUIRKY_ECHO_DESCRIPTION": description });
    server
}

/// Processes whose command line contains `marker`.
pub fn processes_with(marker: &str) -> Vec<String> {
    let mut found = Vec::new();
    for entry in fs_err::read_dir("/proc").unwrap().flatten() {
        let Ok(cmdline) = std::fs::read(entry.path().join("cmdline")) else {
            continue;
        };
        let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
        if cmdline.contains(marker) && !cmdline.contains("cargo") {
            let stat = std::fs::read_to_string(entry.path().join("stat")).unwrap_or_default();
            found.push(format!(
                "{} [{}]",
                cmdline.trim(),
                stat.split(' ').nth(2).unwrap_or("?")
            ));
        }
    }
    found
}

/// Runs the official MCP TypeScript SDK client (tests/node/mcp-client.mjs) with `plan`; returns
/// its step results and its stderr (where a stdio server's logs end up).
#[track_caller]
pub fn mcp_client(env: &TestEnv, plan: &serde_json::Value) -> (Vec<serde_json::Value>, String) {
    let out = Command::new("node")
        .arg(manifest_dir().join("tests/node/mcp-client.mjs"))
        .arg(plan.to_string())
        .current_dir(env.work())
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", env.tmp.path().join("home"))
        .env("NO_COLOR", "1")
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        out.status.success(),
        "the MCP client failed ({}):\nstdout:\n{stdout}\nstderr:\n{stderr}",
        out.status
    );
    let steps = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("client output is not JSON ({e}): {stdout}"));
    (steps, stderr)
}

/// A unique marker for a test's child processes.
pub fn marker(test: &str) -> String {
    format!("skillet-test-{test}-{}", std::process::id())
}

/// Makes Alice's key (`keys/alice`, with `skillet keygen`) and trusts it alone in
/// signing/allowed_signers, with `options` (e.g. `namespaces="..."`) before it; returns her
/// public key line.
pub fn trust_alice(env: &TestEnv, options: &str) -> String {
    env.run(&[
        "keygen",
        "--file",
        "keys/alice",
        "--comment",
        "alice@example.com",
    ])
    .success();
    let alice = env.read("keys/alice.pub");
    let options = if options.is_empty() {
        String::new()
    } else {
        format!("{options} ")
    };
    env.write(
        "signing/allowed_signers",
        &format!("alice@example.com {options}{alice}"),
    );
    alice
}

/// Runs `script` (written to `file`) and saves the run as the skill `name`; returns the run's
/// `--json` report.
pub fn run_and_save(
    env: &TestEnv,
    file: &str,
    script: &str,
    name: &str,
    description: &str,
) -> serde_json::Value {
    env.write(file, script);
    let run = env.run(&["run", file, "--json"]).success().json();
    env.run(&[
        "save",
        "--run",
        run["run_id"].as_str().unwrap(),
        "--name",
        name,
        "--description",
        description,
    ])
    .success();
    run
}

/// How the SDK client (tests/node/mcp-client.mjs) starts `skillet serve` over stdio in `env`,
/// with `extra` arguments.
pub fn serve_over_stdio(env: &TestEnv, extra: &[&str]) -> serde_json::Value {
    let mut args = vec!["serve"];
    args.extend_from_slice(extra);
    serde_json::json!({
        "transport": "stdio",
        "command": BIN,
        "args": args,
        "cwd": env.work(),
        "env": { "NO_COLOR": "1", "HOME": env.tmp.path().join("home") },
    })
}

/// A committed registry without servers, and a successful run to save: its id.
pub fn committed_registry_with_run() -> (TestEnv, String) {
    let env = TestEnv::new();
    env.run(&["init"]).success();
    env.write("a.ts", "console.log('a')\n");
    let run = env.run(&["run", "a.ts", "--json"]).success().json();
    git(&env, &["add", "-A"]);
    git(&env, &["commit", "-qm", "registry"]);
    (env, run["run_id"].as_str().unwrap().to_owned())
}
