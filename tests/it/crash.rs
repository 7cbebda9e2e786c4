//! Crash safety of `save` and `install`: the process killed (SIGKILL) right after every step of
//! a write (`SKILLET_FAILPOINT`), and at random moments, then the next command finishes or
//! undoes what it left: no staging folder left, no refused follow-up save, no commit lost,
//! `git fsck` clean, and git's index in step. Stale git lock files fail a save with the fix.

use std::os::unix::process::ExitStatusExt as _;
use std::process::Stdio;

use crate::support::*;

/// The steps of a write, and whether a kill right after one ends with the write committed
/// (finished by recovery) rather than undone.
const STEPS: [(&str, bool); 7] = [
    ("after-staged", false),
    ("after-journal", false),
    ("after-backup", false),
    ("after-swap", true),
    ("after-commit", true),
    ("after-index", true),
    ("after-journal-removed", true),
];

fn save_args<'a>(run: &'a str, name: &'a str) -> [&'a str; 8] {
    [
        "save",
        "--run",
        run,
        "--name",
        name,
        "--description",
        "Prints a letter",
        "--json",
    ]
}

/// `skillet save`, killed by its failpoint after `step`.
#[track_caller]
fn killed_at(env: &TestEnv, args: &[&str], failpoint: &str) {
    let out = env
        .command(args)
        .env("SKILLET_FAILPOINT", failpoint)
        .output()
        .unwrap();
    assert_eq!(
        out.status.signal(),
        Some(9),
        "{failpoint}: not killed ({}):\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Commits whose subject starts with `prefix`.
fn commits(env: &TestEnv, prefix: &str) -> usize {
    git(env, &["log", "--format=%s"])
        .lines()
        .filter(|l| l.starts_with(prefix))
        .count()
}

/// What a write may leave behind: staging folders, the journal, dot-folders in skills/.
fn leftovers(env: &TestEnv) -> Vec<String> {
    let mut out = Vec::new();
    for dir in [".skillet/staging", ".skillet/journal", "skills"] {
        if let Ok(entries) = fs_err::read_dir(env.path(dir)) {
            for entry in entries.flatten() {
                let name = entry.file_name().to_string_lossy().into_owned();
                if dir != "skills" || (name.starts_with('.') && name != ".gitkeep") {
                    out.push(format!("{dir}/{name}"));
                }
            }
        }
    }
    out
}

/// Disk, index and HEAD agree about skills/, nothing is left over, and the repository is sound.
#[track_caller]
fn assert_consistent(env: &TestEnv, context: &str) {
    assert_eq!(
        git(env, &["status", "--porcelain", "--untracked-files=all"]),
        "",
        "{context}: git status"
    );
    assert_eq!(leftovers(env), Vec::<String>::new(), "{context}: leftovers");
    git(env, &["fsck", "--full", "--no-progress"]);
}

#[test]
fn a_save_killed_after_any_step_is_finished_or_undone_by_the_next_command() {
    let (env, run) = committed_registry_with_run();
    // An existing skill (the swap moves its folder aside) and a new one (nothing to move).
    env.run(&save_args(&run, "print-a")).success();
    for (i, (step, forward)) in STEPS.into_iter().enumerate() {
        let before = commits(&env, "skill(print-a): save");
        killed_at(&env, &save_args(&run, "print-a"), &format!("save:{step}"));
        let shown = env.run(&["show", "print-a", "--json"]).success().json();
        assert_consistent(&env, step);
        let after = commits(&env, "skill(print-a): save");
        assert_eq!(after, before + usize::from(forward), "{step}: commits");
        let md = shown["SKILL.md"].as_str().unwrap().to_owned();
        assert!(
            md.contains(&format!("skillet.version: \"{after}\"")),
            "{step}: the folder is the last committed version ({after}):\n{md}"
        );
        // The next save is not refused, and lands once.
        let saved = env.run(&save_args(&run, "print-a")).success().json();
        assert_eq!(saved["version"], after + 1, "{step}");
        assert_consistent(&env, step);

        let name = format!("new-{i}");
        killed_at(&env, &save_args(&run, &name), &format!("save:{step}"));
        env.run(&["search", "letter", "--json"]).success();
        assert_consistent(&env, &format!("{step} (new skill)"));
        assert_eq!(
            commits(&env, &format!("skill({name}): save v1")),
            usize::from(forward),
            "{step} (new skill)"
        );
        assert_eq!(env.path(&format!("skills/{name}")).exists(), forward);
        env.run(&save_args(&run, &name)).success();
        assert_consistent(&env, &format!("{step} (new skill, saved again)"));
    }
}

#[test]
fn an_install_killed_after_any_step_is_finished_or_undone_by_the_next_command() {
    let (source, run) = committed_registry_with_run();
    source.run(&save_args(&run, "print-a")).success();
    for (step, forward) in STEPS {
        let (target, _) = committed_registry_with_run();
        let from = source.work();
        let args = ["install", from.to_str().unwrap(), "--skill", "print-a"];
        killed_at(&target, &args, &format!("install:{step}"));
        target.run(&["validate"]).success();
        assert_consistent(&target, step);
        assert_eq!(
            commits(&target, "skill(print-a): install from"),
            usize::from(forward),
            "{step}"
        );
        assert_eq!(target.path("skills/print-a/SKILL.md").exists(), forward);
        target.run(&args).success();
        assert_consistent(&target, &format!("{step}, installed again"));
        // Nothing was taken from the source, and nothing left there.
        assert_eq!(leftovers(&source), Vec::<String>::new(), "{step}: source");
    }
}

/// The branch HEAD points at, as a path in `.git`.
fn branch_ref(env: &TestEnv) -> String {
    format!(".git/{}", git(env, &["symbolic-ref", "HEAD"]).trim())
}

#[test]
fn stale_git_lock_files_fail_a_save_with_the_fix_and_change_nothing() {
    let (env, run) = committed_registry_with_run();
    env.run(&save_args(&run, "print-a")).success();
    let head = git(&env, &["rev-parse", "HEAD"]);
    let skill_md = env.read("skills/print-a/SKILL.md");
    for lock in [
        ".git/index.lock".to_owned(),
        format!("{}.lock", branch_ref(&env)),
    ] {
        env.write(&lock, "");
        let refused = env.run(&save_args(&run, "print-a")).failure();
        let path = env.path(&lock);
        assert!(
            refused
                .stderr
                .contains(&format!("git's lock file {} exists (made ", path.display())),
            "{lock}: {}",
            refused.stderr
        );
        assert!(
            refused.stderr.contains("another git command is running in this repository, or one was killed and left the file behind"),
            "{}",
            refused.stderr
        );
        assert!(
            refused.stderr.contains(&format!(
                "hint: if no git command is running, remove it: rm {}",
                path.display()
            )),
            "{}",
            refused.stderr
        );
        assert_eq!(refused.stdout, "", "{lock}");
        fs_err::remove_file(&path).unwrap();
        assert_eq!(git(&env, &["rev-parse", "HEAD"]), head, "{lock}");
        assert_eq!(env.read("skills/print-a/SKILL.md"), skill_md, "{lock}");
        assert_consistent(&env, &lock);
    }
    env.run(&save_args(&run, "print-a")).success();
    assert_consistent(&env, "after the locks were removed");
}

#[test]
fn a_commit_whose_index_update_is_blocked_is_finished_once_the_lock_goes() {
    let (env, run) = committed_registry_with_run();
    env.run(&save_args(&run, "print-a")).success();
    // Killed after the commit, with git's index locked by someone else (the lock is older than
    // the interrupted save): the index cannot catch up yet.
    killed_at(&env, &save_args(&run, "print-a"), "save:after-commit");
    env.write(".git/index.lock", "");
    let touched = env
        .program("touch")
        .args(["-d", "1 hour ago", ".git/index.lock"])
        .status()
        .unwrap();
    assert!(touched.success());
    let shown = env.run(&["show", "print-a"]).success();
    assert!(
        shown
            .stderr
            .contains("an interrupted save could not be finished yet: git's lock file"),
        "{}",
        shown.stderr
    );
    // A save does not go ahead on top of it, and says why.
    let refused = env.run(&save_args(&run, "print-a")).failure();
    assert!(
        refused
            .stderr
            .contains("hint: if no git command is running, remove it: rm "),
        "{}",
        refused.stderr
    );
    fs_err::remove_file(env.path(".git/index.lock")).unwrap();
    env.run(&["show", "print-a"]).success();
    assert_consistent(&env, "after the lock went");
    assert_eq!(commits(&env, "skill(print-a): save"), 2);
    let saved = env.run(&save_args(&run, "print-a")).success().json();
    assert_eq!(saved["version"], 3);
}

#[test]
fn a_git_lock_file_left_by_a_killed_save_is_cleared_by_recovery() {
    let (env, run) = committed_registry_with_run();
    env.run(&save_args(&run, "print-a")).success();
    let branch_lock = format!("{}.lock", branch_ref(&env));
    for (step, lock, committed) in [
        ("after-swap", branch_lock.as_str(), 2),
        ("after-commit", ".git/index.lock", 3),
    ] {
        // What a kill inside libgit2 leaves: its lock file, made after the journal.
        killed_at(&env, &save_args(&run, "print-a"), &format!("save:{step}"));
        env.write(lock, "");
        let shown = env.run(&["show", "print-a"]).success();
        assert!(
            shown.stderr.contains(&format!(
                "removed git's lock file {}, left by an interrupted save",
                env.path(lock).display()
            )),
            "{}",
            shown.stderr
        );
        assert_consistent(&env, step);
        assert_eq!(commits(&env, "skill(print-a): save"), committed, "{step}");
    }
}

/// A small deterministic generator (xorshift64*), so a failing trial can be replayed.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) % n
    }
}

/// kill -9 of a real `skillet save` at a random moment, `SKILLET_CRASH_TRIALS` times (100 by
/// default; `SKILLET_CRASH_SEED` picks the moments). After each, a save of the same skill must
/// go through and land, and nothing may be left over. Prints the counts it asserts are 0.
#[test]
fn kill_9_at_random_moments_loses_nothing() {
    let trials: u32 = std::env::var("SKILLET_CRASH_TRIALS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100);
    let seed: u64 = std::env::var("SKILLET_CRASH_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0x5EED_CAFE);
    let mut rng = Rng(seed | 1);
    let (env, run) = committed_registry_with_run();
    // How long a whole save takes here: the kills are spread over it (and a little past).
    let started = std::time::Instant::now();
    env.run(&save_args(&run, "print-a")).success();
    let span = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX) * 6 / 5;

    let (mut refused, mut left_over, mut lost, mut fsck_failed, mut dirty) = (0, 0, 0, 0, 0);
    let mut killed_mid_save = 0;
    for trial in 0..trials {
        let before = commits(&env, "skill(print-a): save");
        let mut child = env
            .command(&save_args(&run, "print-a"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // The moment of the kill is what is random here; nothing waits on it.
        std::thread::sleep(std::time::Duration::from_micros(rng.below(span.max(1))));
        let _ = child.kill();
        let status = child.wait().unwrap();
        let finished = status.success();
        if status.signal() == Some(9) {
            killed_mid_save += 1;
        }
        // The follow-up save of the same skill: it recovers first, then must go through.
        let next = env.run(&save_args(&run, "print-a"));
        if !next.status.success() {
            refused += 1;
            eprintln!("trial {trial}: follow-up save refused:\n{}", next.stderr);
        }
        let after = commits(&env, "skill(print-a): save");
        // The follow-up's commit must be there, and the killed save's too if it said it was done.
        let expected_at_least = before + usize::from(next.status.success()) + usize::from(finished);
        if after < expected_at_least || after > before + 2 {
            lost += 1;
            eprintln!("trial {trial}: {before} -> {after} save commits (finished: {finished})");
        }
        if next.status.success() && next.json()["version"] != after {
            lost += 1;
            eprintln!(
                "trial {trial}: saved v{} but {after} commits",
                next.json()["version"]
            );
        }
        let stray = leftovers(&env);
        if !stray.is_empty() {
            left_over += 1;
            eprintln!("trial {trial}: left over: {stray:?}");
        }
        let status = git(&env, &["status", "--porcelain", "--untracked-files=all"]);
        if !status.is_empty() {
            dirty += 1;
            eprintln!("trial {trial}: git status:\n{status}");
        }
        let fsck = env
            .program("git")
            .args(["fsck", "--full", "--no-progress"])
            .output()
            .unwrap();
        if !fsck.status.success() {
            fsck_failed += 1;
            eprintln!(
                "trial {trial}: git fsck: {}",
                String::from_utf8_lossy(&fsck.stderr)
            );
        }
    }
    println!(
        "kill -9 during save, {trials} trials (seed {seed}, kills spread over {span} us; {killed_mid_save} killed before they finished): follow-up saves refused: {refused}, staging folders left: {left_over}, commits lost: {lost}, git fsck failures: {fsck_failed}, git status not clean: {dirty}"
    );
    assert_eq!(
        (refused, left_over, lost, fsck_failed, dirty),
        (0, 0, 0, 0, 0)
    );
}
