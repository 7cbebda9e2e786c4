//! The skills keeper (`skillet watch`, and the one `skillet serve` runs): a hand edit made in
//! place shows in `skillet search` (a new process per query) as soon as the keeper logged it,
//! with no sweep; without a keeper it waits for the sweep.

use std::io::{BufRead as _, BufReader, Write as _};
use std::os::unix::fs::MetadataExt as _;
use std::process::{Child, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::json;

use crate::support::{TestEnv, manifest_dir};

/// A registry holding two of this repository's example skills.
fn registry() -> TestEnv {
    let env = TestEnv::new();
    env.registry(json!({}));
    for name in ["sum-and-echo", "busiest-accounts"] {
        let out = env
            .program("cp")
            .arg("-r")
            .arg(manifest_dir().join("skills").join(name))
            .arg(env.path("skills"))
            .output()
            .unwrap();
        assert!(out.status.success(), "cp: {out:?}");
    }
    env
}

/// Rewrites the skill's SKILL.md in place (the same inode: no rename), adding `word`.
fn edit_in_place(env: &TestEnv, name: &str, word: &str) {
    let path = env.path(&format!("skills/{name}/SKILL.md"));
    let inode = fs_err::metadata(&path).unwrap().ino();
    let text = fs_err::read_to_string(&path).unwrap();
    let mut file = fs_err::OpenOptions::new()
        .write(true)
        .truncate(true)
        .open(&path)
        .unwrap();
    file.write_all(
        text.replacen("\n---\n", &format!("\n---\n\nAlso {word}.\n"), 1)
            .as_bytes(),
    )
    .unwrap();
    drop(file);
    assert_eq!(fs_err::metadata(&path).unwrap().ino(), inode, "in place");
}

/// The skills `skillet search QUERY` finds.
fn search(env: &TestEnv, query: &str) -> Vec<String> {
    let hits = env.run(&["search", query, "--json"]).success().json();
    hits.as_array()
        .or_else(|| hits["hits"].as_array())
        .unwrap_or_else(|| panic!("hits: {hits}"))
        .iter()
        .map(|h| h["name"].as_str().unwrap().to_owned())
        .collect()
}

/// What the skills index recorded at its last refresh (`.skillet/index/skills.state`).
fn index_state(env: &TestEnv) -> serde_json::Value {
    serde_json::from_str(&env.read(".skillet/index/skills.state")).unwrap()
}

/// Polls `ready` until it holds (bounded; a condition, not a guess at a delay).
#[track_caller]
fn wait_until(what: &str, limit: Duration, mut ready: impl FnMut() -> bool) -> Duration {
    let start = Instant::now();
    while !ready() {
        assert!(start.elapsed() < limit, "timed out waiting until {what}");
        std::thread::sleep(Duration::from_millis(5));
    }
    start.elapsed()
}

/// A background `skillet ARGS` whose stderr lines arrive on a channel.
struct Background {
    child: Child,
    lines: mpsc::Receiver<String>,
    seen: Vec<String>,
}

impl Background {
    fn start(env: &TestEnv, args: &[&str]) -> Self {
        let mut child = env
            .command(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = child.stderr.take().unwrap();
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Self {
            child,
            lines,
            seen: Vec::new(),
        }
    }

    /// Waits for a stderr line containing `text` (the process tells when it is ready).
    #[track_caller]
    fn wait_for(&mut self, text: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) if line.contains(text) => return line,
                Ok(line) => self.seen.push(line),
                Err(e) => panic!(
                    "no line with {text:?} ({e}); stderr so far: {:?}",
                    self.seen
                ),
            }
        }
    }

    /// SIGTERM, then the exit status and the rest of stderr.
    fn terminate(self) -> (std::process::ExitStatus, String) {
        let pid = nix::unistd::Pid::from_raw(self.child.id() as i32);
        nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM).unwrap();
        self.finish()
    }

    fn finish(mut self) -> (std::process::ExitStatus, String) {
        let status = self.child.wait().unwrap();
        let rest: Vec<String> = self.lines.iter().collect();
        (status, rest.join("\n"))
    }
}

#[test]
fn without_a_keeper_a_hand_edit_in_place_waits_for_the_sweep() {
    let env = registry();
    // Until skills/ has been still for the quiet time, every search checks every folder.
    wait_until(
        "the index trusts its stamps",
        Duration::from_secs(20),
        || {
            search(&env, "sum echo").first().map(String::as_str) == Some("sum-and-echo")
                && index_state(&env)["recent"] == json!(false)
        },
    );
    let swept_at = index_state(&env)["swept_at"].clone();
    edit_in_place(&env, "busiest-accounts", "zanzibar");
    let found = search(&env, "zanzibar");
    // (Unless the machine stalled past the sweep period since the last sweep.)
    if index_state(&env)["swept_at"] == swept_at {
        assert!(found.is_empty(), "stale until the sweep: {found:?}");
    }
    // The next sweep finds it.
    wait_until("a sweep finds the edit", Duration::from_secs(20), || {
        search(&env, "zanzibar") == ["busiest-accounts"]
    });
    assert_ne!(index_state(&env)["swept_at"], swept_at, "found by a sweep");
}

#[test]
fn with_skillet_watch_running_a_hand_edit_in_place_shows_in_the_next_searches() {
    let env = registry();
    let mut keeper = Background::start(&env, &["watch"]);
    let ready = keeper.wait_for("skillet watch: watching");
    assert!(ready.contains("searches see hand edits at once"), "{ready}");
    // The keeper answers other processes' searches (its own searcher checked every folder
    // once and recorded where its log was).
    let asked = env
        .command(&["search", "sum echo", "--json"])
        .env("SKILLET_LOG", "skillet=debug")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&asked.stderr);
    assert!(stderr.contains("answered by the skills keeper"), "{stderr}");
    assert!(String::from_utf8_lossy(&asked.stdout).contains("sum-and-echo"));
    assert!(env.path(".skillet/skills.sock").exists());
    let state = index_state(&env);
    assert!(state["kept"]["generation"].is_string(), "{state}");
    let swept_at = state["swept_at"].clone();

    edit_in_place(&env, "busiest-accounts", "zanzibar");
    let took = wait_until("a search finds the edit", Duration::from_secs(4), || {
        search(&env, "zanzibar") == ["busiest-accounts"]
    });
    assert_eq!(
        index_state(&env)["swept_at"],
        swept_at,
        "found through the keeper's log, not a sweep (in {took:?})"
    );

    // One keeper per registry.
    let second = env.run(&["watch"]);
    assert_eq!(second.code(), 1, "{}", second.stderr);
    assert!(
        second.stderr.contains(&format!(
            "a keeper already follows {} (pid {})",
            env.path("skills").display(),
            keeper.child.id()
        )),
        "{}",
        second.stderr
    );
    assert!(second.stderr.contains("hint: "), "{}", second.stderr);

    // SIGTERM ends it cleanly; its log goes, and searches sweep again.
    let (status, rest) = keeper.terminate();
    assert!(status.success(), "{status}: {rest}");
    assert!(rest.contains("skillet watch: stopped"), "{rest}");
    assert!(!env.path(".skillet/skills.touched").exists());
    assert!(!env.path(".skillet/skills.sock").exists());
    edit_in_place(&env, "busiest-accounts", "quokka");
    assert_eq!(search(&env, "quokka"), ["busiest-accounts"], "swept once");
    assert!(index_state(&env).get("kept").is_none());
}

#[test]
fn skillet_serve_keeps_the_registry_for_other_processes() {
    let env = registry();
    let serve = Background::start(&env, &["serve", "-v"]);
    let mut serve = serve;
    let keeping = serve.wait_for("keeping skills/");
    // It answers other processes' searches too.
    assert!(keeping.contains("answering=true"), "{keeping}");
    assert!(env.path(".skillet/skills.sock").exists());
    let second = env.run(&["watch"]);
    assert_eq!(second.code(), 1, "{}", second.stderr);
    assert!(
        second
            .stderr
            .contains(&format!("(pid {})", serve.child.id())),
        "{}",
        second.stderr
    );

    assert_eq!(search(&env, "sum echo")[0], "sum-and-echo");
    let swept_at = index_state(&env)["swept_at"].clone();
    edit_in_place(&env, "sum-and-echo", "wombat");
    wait_until("a search finds the edit", Duration::from_secs(4), || {
        search(&env, "wombat") == ["sum-and-echo"]
    });
    assert_eq!(index_state(&env)["swept_at"], swept_at, "no sweep");

    // The client leaves (stdin closes): serve ends, and so does its keeper.
    drop(serve.child.stdin.take());
    let (status, rest) = serve.finish();
    assert!(status.success(), "{status}: {rest}");
    assert!(!env.path(".skillet/skills.touched").exists(), "{rest}");
    assert!(!env.path(".skillet/skills.sock").exists(), "{rest}");
}
