//! Install benchmark: `install --all` of 100 skills from a local git repository (fetched with
//! git over file://, each skill copied, validated and committed through the journal), a
//! re-install of the same commit (all unchanged), and `outdated` over the 100 installed skills
//! (one fetch, every skill hashed). Prints numbers, asserts nothing beyond success.
//!
//! Run: `cargo bench --bench install`

// A bench prints what it measured, and gives git its identity through the environment.
#![allow(
    clippy::print_stdout,
    clippy::print_stderr,
    clippy::disallowed_methods,
    unreachable_pub
)]

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use skillet::ops::{self, InstallOptions};
use skillet::registry::{self, Registry};

const SKILLS: usize = 100;

fn git(dir: &Path, args: &[&str]) {
    let out = Command::new("git")
        .current_dir(dir)
        .args([
            "-c",
            "user.name=Bench",
            "-c",
            "user.email=bench@example.com",
        ])
        .args(["-c", "init.defaultBranch=main"])
        .args(args)
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A repository of `SKILLS` real-shaped skills under skills/<name>/ (SKILL.md, a reference, a
/// script), committed.
fn source(dir: &Path) {
    for i in 0..SKILLS {
        let skill = dir.join(format!("skills/skill-{i:03}"));
        std::fs::create_dir_all(skill.join("references")).unwrap();
        std::fs::create_dir_all(skill.join("scripts")).unwrap();
        std::fs::write(
            skill.join("SKILL.md"),
            format!(
                "---\nname: skill-{i:03}\ndescription: Does task number {i} for the team, when asked about task {i}.\nlicense: MIT\n---\n\n# Task {i}\n\nSee [the guide](references/guide.md).\n\n{}",
                "Step by step instructions for the task.\n".repeat(40)
            ),
        )
        .unwrap();
        std::fs::write(skill.join("references/guide.md"), "A guide.\n".repeat(200)).unwrap();
        std::fs::write(
            skill.join("scripts/index.ts"),
            format!("export default async () => {i};\n"),
        )
        .unwrap();
    }
    git(dir, &["init", "-q"]);
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-qm", "skills"]);
}

fn main() {
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("source");
    source(&src);
    let target = tmp.path().join("registry");
    std::fs::create_dir_all(&target).unwrap();
    registry::init(&target, false).unwrap();
    git(&target, &["add", "-A"]);
    git(&target, &["commit", "-qm", "registry"]);
    let reg = Registry::discover(&target).unwrap();
    let options = InstallOptions {
        source: format!("file://{}", src.display()),
        base_dir: tmp.path().to_owned(),
        all: true,
        ..InstallOptions::default()
    };

    let start = Instant::now();
    let report = ops::install(&reg, &options).unwrap();
    let first = start.elapsed();
    assert_eq!(report.installed.len(), SKILLS, "{:?}", report.refused);
    println!(
        "install {SKILLS} skills from a local repository: {:.0} ms ({:.1} ms per skill)",
        first.as_secs_f64() * 1e3,
        first.as_secs_f64() * 1e3 / SKILLS as f64
    );

    let start = Instant::now();
    let report = ops::install(&reg, &options).unwrap();
    let again = start.elapsed();
    assert_eq!(report.unchanged.len(), SKILLS);
    println!(
        "install again (same commit, nothing written): {:.0} ms",
        again.as_secs_f64() * 1e3
    );

    let start = Instant::now();
    let rows = ops::outdated(&reg, &[]).unwrap();
    let outdated = start.elapsed();
    assert_eq!(rows.len(), SKILLS);
    println!(
        "outdated over {SKILLS} installed skills: {:.0} ms ({:.1} ms per skill)",
        outdated.as_secs_f64() * 1e3,
        outdated.as_secs_f64() * 1e3 / SKILLS as f64
    );
}
