//! The change log of `skills/` (`.skillet/skills.changes`): every write skillet makes there
//! through the journal (save, install, update) adds the skill it wrote, with the [`Outline`]
//! (the `stat` stamps of `skills/` and git's index) from just before its first rename to just
//! after git's index was brought in step. A reader that last saw the registry at some outline
//! and now sees another can ask [`explain`] whether skillet's own writes account for the
//! difference: then only the named skills changed, as far as the outline can tell (the skills
//! search index updates those alone instead of checking every folder).
//!
//! The log is a cache, written without fsync after the write is committed; anything missing,
//! garbled or not chaining from the reader's outline means "not explained", and the reader
//! checks everything. It keeps the last [`KEEP`] writes.

use std::os::unix::fs::MetadataExt as _;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::Registry;

/// Writes kept in the log.
const KEEP: usize = 32;

/// What a `stat` says of a file: inode, size, modification and change times (seconds and
/// nanoseconds).
pub type Stamp = [i64; 6];

/// The `stat` stamp of `meta`.
pub fn stamp(meta: &std::fs::Metadata) -> Stamp {
    [
        meta.ino() as i64,
        meta.len() as i64,
        meta.mtime(),
        meta.mtime_nsec(),
        meta.ctime(),
        meta.ctime_nsec(),
    ]
}

/// The registry at a glance: the stamps of `skills/` (every folder added, removed or renamed
/// there changes it) and of git's index (`.git/index`: a pull, checkout, reset or merge that
/// touches the work tree rewrites it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outline {
    pub skills: Option<Stamp>,
    pub git_index: Option<Stamp>,
}

impl Outline {
    pub fn of(registry: &Registry) -> Self {
        let at = |path: &Path| std::fs::metadata(path).ok().map(|m| stamp(&m));
        Self {
            skills: at(&registry.skills_dir()),
            git_index: at(&registry.root().join(".git").join("index")),
        }
    }
}

/// One write to `skills/`.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Change {
    name: String,
    before: Outline,
    after: Outline,
}

fn log_path(registry: &Registry) -> PathBuf {
    registry.cache_dir().join("skills.changes")
}

fn read_log(registry: &Registry) -> Option<Vec<Change>> {
    let text = fs_err::read_to_string(log_path(registry)).ok()?;
    text.lines()
        .map(|line| serde_json::from_str(line).ok())
        .collect()
}

/// Adds the write of `skills/<name>` that started at `before` to the log (the outline now is
/// its end). For writers holding the registry's write lock; a failure only costs readers a
/// full check.
pub(crate) fn record(registry: &Registry, name: &str, before: Outline) {
    let change = Change {
        name: name.to_owned(),
        before,
        after: Outline::of(registry),
    };
    let mut log = read_log(registry).unwrap_or_default();
    log.push(change);
    let from = log.len().saturating_sub(KEEP);
    let mut text = String::new();
    for change in &log[from..] {
        if let Ok(line) = serde_json::to_string(change) {
            text.push_str(&line);
            text.push('\n');
        }
    }
    if let Err(e) = crate::fsutil::write_replacing(&log_path(registry), text.as_bytes(), false) {
        tracing::debug!("the skills change log was not written: {e}");
    }
}

/// The skills skillet's own writes changed between `seen` and `now`, when the log accounts
/// for every step between them (each write starting where the previous one ended); `None`
/// when it does not (something else changed the registry, or the log lost track).
pub fn explain(registry: &Registry, seen: &Outline, now: &Outline) -> Option<Vec<String>> {
    let (names, reached) = explain_until(registry, seen, now);
    (&reached == now).then_some(names)
}

/// The skills skillet's own writes changed from `seen` on, as far as the log accounts for
/// every step (each write starting where the previous one ended, up to `now` at most), and
/// the outline where that chain ends (`seen` when no write starts there): what changed after
/// it was not skillet's writing.
pub fn explain_until(registry: &Registry, seen: &Outline, now: &Outline) -> (Vec<String>, Outline) {
    let mut names: Vec<String> = Vec::new();
    if seen == now {
        return (names, seen.clone());
    }
    let Some(log) = read_log(registry) else {
        return (names, seen.clone());
    };
    let Some(start) = log.iter().rposition(|change| &change.before == seen) else {
        return (names, seen.clone());
    };
    let mut at = seen;
    for change in &log[start..] {
        if &change.before != at {
            break;
        }
        if !names.contains(&change.name) {
            names.push(change.name.clone());
        }
        at = &change.after;
        if at == now {
            break;
        }
    }
    (names, at.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_chain_of_logged_writes_explains_a_change() {
        let tmp = tempfile::tempdir().unwrap();
        crate::registry::init(tmp.path(), false).unwrap();
        let registry = Registry::open(tmp.path()).unwrap();
        let skills = registry.skills_dir();
        let write = |name: &str| {
            let before = Outline::of(&registry);
            fs_err::create_dir_all(skills.join(name)).unwrap();
            record(&registry, name, before);
        };
        let start = Outline::of(&registry);
        assert_eq!(explain(&registry, &start, &start), Some(vec![]));
        write("a");
        write("b");
        write("a");
        let now = Outline::of(&registry);
        assert_eq!(
            explain(&registry, &start, &now),
            Some(vec!["a".to_owned(), "b".to_owned()])
        );
        // A folder added by hand breaks the chain.
        fs_err::create_dir_all(skills.join("by-hand")).unwrap();
        let touched = Outline::of(&registry);
        // (A timestamp tick can hide the change from the outline; then nothing looks changed.)
        if touched != now {
            assert_eq!(explain(&registry, &start, &touched), None);
            // The writes still account for the change up to where the hand took over.
            assert_eq!(
                explain_until(&registry, &start, &touched),
                (vec!["a".to_owned(), "b".to_owned()], now.clone())
            );
        }
        // From an outline no write started at, nothing is accounted for.
        assert_eq!(
            explain_until(&registry, &touched, &now),
            (vec![], touched.clone())
        );
        // A garbled log explains nothing.
        fs_err::write(log_path(&registry), "garbage\n").unwrap();
        assert_eq!(explain(&registry, &start, &now), None);
    }
}
