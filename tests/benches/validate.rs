//! Validation benchmark: `ops::validate` (what `skillet validate` runs) over 1,000 real-shaped
//! skills, copies of the vendored real skills (tests/fixtures/real-skills) renamed
//! `<name>-<n>`. Prints milliseconds per skill, cold (first pass) and warm (best of three);
//! asserts nothing. For comparison, skills-ref 0.1.1 in-process takes about 2.2 ms per skill.
//!
//! Run: `cargo bench --bench validate`

// A bench prints what it measured.
#![allow(clippy::print_stdout, clippy::print_stderr, unreachable_pub)]

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use skillet::ops;

const SKILLS: usize = 1_000;

/// Every vendored skill folder (one holding SKILL.md), sorted.
fn real_skills(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = entries.flatten().map(|e| e.path()).collect();
    entries.sort();
    for path in entries {
        if path.join("SKILL.md").is_file() {
            out.push(path);
        } else if path.is_dir() {
            real_skills(&path, out);
        }
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            copy_dir(&path, &to.join(entry.file_name()));
        } else {
            std::fs::copy(&path, to.join(entry.file_name())).unwrap();
        }
    }
}

/// `from` copied to `skills/<name>-<n>`, its `name:` line renamed to match.
fn renamed_copy(from: &Path, skills: &Path, n: usize) -> PathBuf {
    let name = from.file_name().unwrap().to_string_lossy().into_owned();
    let new = format!("{name}-{n}");
    let to = skills.join(&new);
    copy_dir(from, &to);
    let md = std::fs::read_to_string(to.join("SKILL.md")).unwrap();
    let renamed = md.replacen(&format!("name: {name}"), &format!("name: {new}"), 1);
    std::fs::write(to.join("SKILL.md"), renamed).unwrap();
    to
}

fn per_skill_ms(time: Duration, skills: usize) -> f64 {
    time.as_secs_f64() * 1000.0 / skills as f64
}

fn main() {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/real-skills");
    let mut sources = Vec::new();
    real_skills(&fixtures, &mut sources);
    assert!(
        !sources.is_empty(),
        "no skills under {}",
        fixtures.display()
    );

    let tmp = tempfile::tempdir().unwrap();
    let skills = tmp.path().join("skills");
    let dirs: Vec<PathBuf> = (0..SKILLS)
        .map(|i| renamed_copy(&sources[i % sources.len()], &skills, i / sources.len()))
        .collect();
    let bytes: u64 = dirs
        .iter()
        .flat_map(|d| walk_files(d))
        .map(|p| std::fs::metadata(p).map_or(0, |m| m.len()))
        .sum();
    println!(
        "validate: {SKILLS} skills (copies of {} real skills), {:.1} MiB",
        sources.len(),
        bytes as f64 / (1024.0 * 1024.0)
    );

    let options = ops::ValidateOptions {
        strict: false,
        root: Some(tmp.path()),
    };
    let mut times = Vec::new();
    let mut report = None;
    for _ in 0..4 {
        let start = Instant::now();
        report = Some(ops::validate(&dirs, options).unwrap());
        times.push(start.elapsed());
    }
    let report = report.unwrap();
    let cold = times[0];
    let warm = times[1..].iter().min().copied().unwrap_or(cold);
    println!(
        "  findings: {} errors, {} warnings, {} notes",
        report.errors, report.warnings, report.notes
    );
    println!(
        "  first pass: {:.0} ms, {:.3} ms per skill",
        cold.as_secs_f64() * 1000.0,
        per_skill_ms(cold, SKILLS)
    );
    println!(
        "  best of three more: {:.0} ms, {:.3} ms per skill (skills-ref in-process: about 2.2 ms per skill)",
        warm.as_secs_f64() * 1000.0,
        per_skill_ms(warm, SKILLS)
    );
}

fn walk_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(walk_files(&path));
        } else {
            out.push(path);
        }
    }
    out
}
