//! `stat` stamps of skill folders: what the skills index ([`super::index`]) and the review
//! status cache compare to tell whether a folder changed.
//!
//! A folder's stamp hashes the `stat` data of the folder (through a link and not) and of every
//! entry under it, in name order. Taking it the first time walks the folder (open, list, `stat`
//! each entry through the open folder); a [`Folder`] also keeps the entries it found, so the
//! next check ([`Folder::check`]) only `stat`s the folder and those entries by path, with no
//! listing: a folder's own `stat` changes whenever an entry is added, removed or renamed in it,
//! so while it is unchanged the entries are the same ones, and the stamp taken from them is the
//! one a walk would take. Anything changed within [`QUIET`] gives no stamp (two writes within
//! one timestamp tick look the same): such a folder is read again at the next check.

use std::hash::{Hash, Hasher};
use std::os::unix::ffi::OsStrExt as _;
use std::path::Path;
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};

use crate::registry::changes::{Stamp, stamp};

/// A stamp of something changed more recently than this is not trusted (two writes within one
/// timestamp tick look the same): the next query checks again.
pub(crate) const QUIET: Duration = Duration::from_secs(2);
/// Deepest folder nesting stamped; a deeper folder has no stamp (it is read at every check).
const MAX_DEPTH: usize = 32;

pub(crate) fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

pub(crate) fn is_recent(key: &Stamp, now: i64) -> bool {
    let quiet = QUIET.as_secs() as i64;
    key[2] >= now - quiet || key[4] >= now - quiet
}

/// A stamp of one file (through a link), or `None` when it changed within [`QUIET`] or cannot
/// be read (a missing file has a stamp of its own).
pub(crate) fn path_stamp(path: &Path, now: i64) -> Option<Stamp> {
    match std::fs::metadata(path) {
        Ok(meta) => Some(stamp(&meta)).filter(|key| !is_recent(key, now)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Some([0; 6]),
        Err(_) => None,
    }
}

/// What a check of one skill folder found: its stamp and the entries it hashed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Folder {
    /// `None` when something changed within [`QUIET`] or could not be read: the folder is read
    /// again at the next check.
    #[serde(rename = "s")]
    pub(crate) stamp: Option<u64>,
    /// The stamp of the folder itself (not of what is in it), `None` with no stamp: what
    /// [`Folder::same_folder`] compares.
    #[serde(rename = "o", default, skip_serializing_if = "Option::is_none")]
    own: Option<u64>,
    /// The paths (relative to the folder) the stamp hashed, in its order, one per line (a
    /// registry of 10,000 skills keeps 30,000: one string per folder reads fastest); empty
    /// when there is no stamp or a name is not UTF-8 or holds a line break (then the next
    /// check walks the folder).
    #[serde(rename = "e", default, skip_serializing_if = "String::is_empty")]
    entries: String,
}

/// Hashes the stamps of the folder itself into `hasher`, and returns them hashed alone (the
/// folder's own stamp); `None` when it is missing or recent.
fn hash_folder(dir: &Path, hasher: &mut std::hash::DefaultHasher, now: i64) -> Option<u64> {
    let own = std::fs::symlink_metadata(dir).ok()?;
    let own_key = stamp(&own);
    // Through the link: the same `stat` unless the folder is a link.
    let target_key = if own.file_type().is_symlink() {
        stamp(&std::fs::metadata(dir).ok()?)
    } else {
        own_key
    };
    let mut alone = std::hash::DefaultHasher::new();
    for key in [own_key, target_key] {
        if is_recent(&key, now) {
            return None;
        }
        key.hash(hasher);
        key.hash(&mut alone);
    }
    Some(alone.finish())
}

/// Hashes one entry under the folder the way a walk and a check both do.
fn hash_entry(
    name: &std::ffi::OsStr,
    meta: &std::fs::Metadata,
    hasher: &mut std::hash::DefaultHasher,
    now: i64,
) -> Option<()> {
    let key = stamp(meta);
    if is_recent(&key, now) {
        return None;
    }
    name.hash(hasher);
    key.hash(hasher);
    meta.file_type().is_symlink().hash(hasher);
    Some(())
}

impl Folder {
    /// No stamp: read the folder again at the next check.
    fn unknown() -> Self {
        Self {
            stamp: None,
            own: None,
            entries: String::new(),
        }
    }

    /// Takes the folder's stamp by listing it and every folder under it.
    pub(crate) fn walk(dir: &Path, now: i64) -> Self {
        fn walk(
            dir: &Path,
            prefix: &str,
            hasher: &mut std::hash::DefaultHasher,
            entries: &mut Option<Vec<String>>,
            now: i64,
            depth: usize,
        ) -> Option<()> {
            let mut listed: Vec<_> = std::fs::read_dir(dir).ok()?.flatten().collect();
            listed.sort_by_key(|e| e.file_name());
            for entry in listed {
                // Relative to the open folder (fstatat), and not following a link: as
                // `symlink_metadata` of the path, without resolving the whole path again.
                let meta = entry.metadata().ok()?;
                let name = entry.file_name();
                hash_entry(&name, &meta, hasher, now)?;
                let rel = name
                    .to_str()
                    .filter(|name| !name.contains('\n'))
                    .map(|name| format!("{prefix}{name}"))
                    .filter(|_| entries.is_some());
                if let Some(list) = entries {
                    match &rel {
                        Some(rel) => list.push(rel.clone()),
                        None => *entries = None,
                    }
                }
                if meta.is_dir() {
                    if depth >= MAX_DEPTH {
                        return None;
                    }
                    let prefix = rel.map(|rel| format!("{rel}/")).unwrap_or_default();
                    walk(&entry.path(), &prefix, hasher, entries, now, depth + 1)?;
                }
            }
            Some(())
        }
        let mut hasher = std::hash::DefaultHasher::new();
        let mut entries = Some(Vec::new());
        let Some(own) = hash_folder(dir, &mut hasher, now) else {
            return Self::unknown();
        };
        if walk(dir, "", &mut hasher, &mut entries, now, 0).is_none() {
            return Self::unknown();
        }
        Self {
            stamp: Some(hasher.finish()),
            own: Some(own),
            entries: entries.map(|list| list.join("\n")).unwrap_or_default(),
        }
    }

    /// Whether the folder itself looks as this check left it: one `stat` (two for a link). A
    /// folder added, removed, renamed or swapped in shows here; a file edited inside it, or
    /// one added in a folder under it, does not.
    pub(crate) fn same_folder(&self, dir: &Path, now: i64) -> bool {
        self.own.is_some()
            && hash_folder(dir, &mut std::hash::DefaultHasher::new(), now) == self.own
    }

    /// The folder now: when it looks as this check left it, a `stat` of the folder and of each
    /// entry found then (no listing) shows it unchanged; otherwise it is walked again.
    pub(crate) fn check(&self, dir: &Path, now: i64) -> Self {
        if self.stamp.is_some()
            && let Some((own, stamp)) = self.quick_stamp(dir, now)
            && Some(stamp) == self.stamp
        {
            return Self {
                own: Some(own),
                ..self.clone()
            };
        }
        Self::walk(dir, now)
    }

    /// The folder's own stamp and its stamp, taken from the entries this check found.
    fn quick_stamp(&self, dir: &Path, now: i64) -> Option<(u64, u64)> {
        let mut hasher = std::hash::DefaultHasher::new();
        let own = hash_folder(dir, &mut hasher, now)?;
        if self.entries.is_empty() {
            // An empty folder, or one whose entries were not kept: only a walk can tell.
            return None;
        }
        for rel in self.entries.split('\n') {
            let meta = std::fs::symlink_metadata(dir.join(rel)).ok()?;
            let name = Path::new(rel).file_name()?;
            hash_entry(
                std::ffi::OsStr::from_bytes(name.as_bytes()),
                &meta,
                &mut hasher,
                now,
            )?;
        }
        Some((own, hasher.finish()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A stamp of one skill folder, taken by a walk.
    fn folder_stamp(dir: &Path, now: i64) -> Option<u64> {
        Folder::walk(dir, now).stamp
    }

    #[test]
    fn folder_stamps_change_with_any_change_and_only_then() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("a");
        let later = unix_now() + 3600;
        let stamp = |dir: &Path| folder_stamp(dir, later).unwrap();
        assert_eq!(folder_stamp(&dir, later), None, "missing");
        fs_err::create_dir_all(dir.join("scripts")).unwrap();
        fs_err::write(dir.join("SKILL.md"), "one").unwrap();
        let first = stamp(&dir);
        assert_eq!(stamp(&dir), first, "nothing changed");
        fs_err::write(dir.join("SKILL.md"), "two!").unwrap();
        let second = stamp(&dir);
        assert_ne!(second, first, "a write");
        fs_err::write(dir.join("scripts/index.ts"), "").unwrap();
        let third = stamp(&dir);
        assert_ne!(third, second, "a new empty file");
        std::os::unix::fs::symlink("/etc", dir.join("link")).unwrap();
        let fourth = stamp(&dir);
        assert_ne!(fourth, third, "a symlink");
        fs_err::rename(dir.join("SKILL.md"), dir.join("README.md")).unwrap();
        assert_ne!(stamp(&dir), fourth, "a rename");
        // A folder changed within the quiet time has no stamp.
        assert_eq!(folder_stamp(&dir, unix_now()), None);
    }

    #[test]
    fn a_check_without_listing_agrees_with_a_walk() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("a");
        let later = unix_now() + 3600;
        fs_err::create_dir_all(dir.join("scripts/deep")).unwrap();
        fs_err::write(dir.join("SKILL.md"), "one").unwrap();
        fs_err::write(dir.join("scripts/index.ts"), "x").unwrap();
        fs_err::write(dir.join("scripts/deep/data.json"), "{}").unwrap();
        std::os::unix::fs::symlink("/etc", dir.join("link")).unwrap();
        let walked = Folder::walk(&dir, later);
        assert!(walked.stamp.is_some());
        assert_eq!(
            walked.quick_stamp(&dir, later).map(|(_, stamp)| stamp),
            walked.stamp,
            "same hash"
        );
        assert_eq!(walked.check(&dir, later), walked, "unchanged");
        // Each kind of change shows, whether in the folder or a folder under it.
        let changes: [&dyn Fn(); 5] = [
            &|| fs_err::write(dir.join("scripts/deep/data.json"), "{\"a\":1}").unwrap(),
            &|| fs_err::write(dir.join("scripts/new.ts"), "").unwrap(),
            &|| fs_err::remove_file(dir.join("scripts/new.ts")).unwrap(),
            &|| fs_err::rename(dir.join("scripts/index.ts"), dir.join("scripts/main.ts")).unwrap(),
            &|| fs_err::remove_file(dir.join("link")).unwrap(),
        ];
        let mut last = walked;
        for (i, change) in changes.iter().enumerate() {
            change();
            let checked = last.check(&dir, later);
            assert_ne!(checked.stamp, last.stamp, "change {i}");
            assert_eq!(checked, Folder::walk(&dir, later), "change {i}");
            last = checked;
        }
        // Recent changes give no stamp; a missing folder none either.
        assert_eq!(last.check(&dir, unix_now()).stamp, None);
        fs_err::remove_dir_all(&dir).unwrap();
        assert_eq!(last.check(&dir, later).stamp, None);
    }

    #[test]
    fn the_folder_alone_shows_folders_added_swapped_and_removed_not_edits_inside() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("a");
        let later = unix_now() + 3600;
        fs_err::create_dir_all(dir.join("scripts")).unwrap();
        fs_err::write(dir.join("SKILL.md"), "one").unwrap();
        let held = Folder::walk(&dir, later);
        assert!(held.same_folder(&dir, later));
        // Edits inside: the folder itself looks the same (the sweeps find them).
        fs_err::write(dir.join("SKILL.md"), "two").unwrap();
        fs_err::write(dir.join("scripts/new.ts"), "").unwrap();
        assert!(held.same_folder(&dir, later));
        assert_ne!(held.check(&dir, later).stamp, held.stamp);
        // An entry added at its top shows.
        fs_err::write(dir.join("notes.md"), "").unwrap();
        assert!(!held.same_folder(&dir, later));
        // So does a folder swapped in by renames, and a missing one.
        let held = Folder::walk(&dir, later);
        let other = tmp.path().join("b");
        crate::fsutil::copy_dir(&dir, &other).unwrap();
        fs_err::rename(&dir, tmp.path().join("old")).unwrap();
        fs_err::rename(&other, &dir).unwrap();
        assert!(!held.same_folder(&dir, later));
        fs_err::remove_dir_all(&dir).unwrap();
        assert!(!held.same_folder(&dir, later));
        // A stamp kept by an earlier version has no stamp of the folder alone: never the same
        // (and a check that finds the folder unchanged adds it).
        fs_err::create_dir_all(&dir).unwrap();
        fs_err::write(dir.join("SKILL.md"), "one").unwrap();
        let mut kept: Folder =
            serde_json::from_value(serde_json::to_value(Folder::walk(&dir, later)).unwrap())
                .unwrap();
        kept.own = None;
        assert!(!kept.same_folder(&dir, later));
        assert!(kept.check(&dir, later).same_folder(&dir, later));
    }
}
