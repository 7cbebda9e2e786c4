//! The provenance lock: where an installed skill came from, kept in its own SKILL.md's
//! `metadata` (`skillet.origin`, `-ref`, `-commit`, `-path`, `-hash`). Kept in the skill's folder,
//! it is committed with the skill in the same journaled write (`registry::journal`), so a kill
//! at any moment leaves skill and lock in step, and a review signature covers both.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Serialize;

use crate::error::Error;
use crate::skill::{META_ORIGIN, META_ORIGIN_COMMIT};

/// The ref asked for (`@REF`); absent: the source's default branch.
pub(crate) const META_ORIGIN_REF: &str = "skillet.origin-ref";
/// The skill's folder inside the source ('/'-separated; empty: the root).
pub(crate) const META_ORIGIN_PATH: &str = "skillet.origin-path";
/// The digest of the skill's files as the source has them (before skillet adds this lock).
pub(crate) const META_ORIGIN_HASH: &str = "skillet.origin-hash";

/// One installed skill's lock entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Provenance {
    /// A folder's absolute path or a git URL, as `install` was given it.
    pub source: String,
    pub reference: Option<String>,
    /// The commit the files came from (`None` for a folder that is not a git work tree).
    pub commit: Option<String>,
    pub path: String,
    pub hash: String,
}

impl Provenance {
    pub(crate) fn write(&self, metadata: &mut BTreeMap<String, String>) {
        metadata.insert(META_ORIGIN.into(), self.source.clone());
        for (key, value) in [
            (META_ORIGIN_REF, &self.reference),
            (META_ORIGIN_COMMIT, &self.commit),
        ] {
            match value {
                Some(v) => metadata.insert(key.into(), v.clone()),
                None => metadata.remove(key),
            };
        }
        metadata.insert(META_ORIGIN_PATH.into(), self.path.clone());
        metadata.insert(META_ORIGIN_HASH.into(), self.hash.clone());
    }

    /// The lock entry in `metadata`: `None` for a skill that was not installed (no
    /// `skillet.origin`), an error naming `skill_md` for an entry that is not one skillet wrote.
    pub(crate) fn read(
        metadata: &BTreeMap<String, String>,
        skill_md: &Path,
    ) -> Option<Result<Self, Error>> {
        let source = metadata.get(META_ORIGIN)?.clone();
        let get = |k: &str| metadata.get(k).cloned();
        let entry = Self {
            source,
            reference: get(META_ORIGIN_REF),
            commit: get(META_ORIGIN_COMMIT),
            path: get(META_ORIGIN_PATH).unwrap_or_default(),
            hash: get(META_ORIGIN_HASH).unwrap_or_default(),
        };
        Some(entry.check().map(|()| entry.clone()).map_err(|why| {
            Error::user(format!(
                "{}: the provenance lock is corrupt: {why}",
                skill_md.display()
            ))
            .hint("install the skill again from its source with --force, or restore SKILL.md from git")
        }))
    }

    fn check(&self) -> Result<(), String> {
        let hex = |s: &str, lens: &[usize]| {
            lens.contains(&s.len()) && s.chars().all(|c| c.is_ascii_hexdigit())
        };
        if self.source.trim().is_empty() || self.source.chars().any(char::is_control) {
            return Err(format!(
                "{META_ORIGIN} is empty or holds control characters"
            ));
        }
        if let Some(commit) = &self.commit
            && !hex(commit, &[40, 64])
        {
            return Err(format!(
                "{META_ORIGIN_COMMIT} `{}` is not a commit id",
                super::super::echo(commit)
            ));
        }
        if self.hash.is_empty() {
            // Installed by an older skillet: no lock to check against.
            return Ok(());
        }
        if !hex(&self.hash, &[64]) {
            return Err(format!(
                "{META_ORIGIN_HASH} `{}` is not a sha-256 digest",
                super::super::echo(&self.hash)
            ));
        }
        if self.path.split('/').any(|p| p == ".." || p == ".") || self.path.starts_with('/') {
            return Err(format!(
                "{META_ORIGIN_PATH} `{}` leaves the source",
                super::super::echo(&self.path)
            ));
        }
        Ok(())
    }

    /// Whether this entry came from the same place as `source` at `path`.
    pub(crate) fn same_origin(&self, source_key: &str, path: &str) -> bool {
        super::source::canonical_url(&self.source) == source_key
            && (self.hash.is_empty() || self.path == path)
    }
}

/// The lock entry of the skill folder `dir`, read from its SKILL.md without validating the
/// rest (an installed skill that no longer validates still has a provenance).
pub(crate) fn of_dir(dir: &Path) -> Option<Result<Provenance, Error>> {
    let skill_md = dir.join("SKILL.md");
    let text = fs_err::read_to_string(&skill_md).ok()?;
    let parsed = crate::skill::validate::parse_skill_md(&text, "SKILL.md").0?;
    Provenance::read(&parsed.frontmatter.metadata, &skill_md)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry() -> Provenance {
        Provenance {
            source: "https://github.com/o/r".into(),
            reference: Some("v1".into()),
            commit: Some("a".repeat(40)),
            path: "skills/x".into(),
            hash: "b".repeat(64),
        }
    }

    #[test]
    fn round_trips_through_metadata() {
        let mut meta = BTreeMap::new();
        meta.insert("other".to_owned(), "kept".to_owned());
        entry().write(&mut meta);
        assert_eq!(meta["other"], "kept");
        assert_eq!(
            Provenance::read(&meta, Path::new("SKILL.md")),
            Some(Ok(entry()))
        );
        let mut none = entry();
        none.reference = None;
        none.write(&mut meta);
        assert!(!meta.contains_key(META_ORIGIN_REF));
        assert!(Provenance::read(&BTreeMap::new(), Path::new("x")).is_none());
    }

    #[test]
    fn corrupt_entries_are_errors_naming_the_file() {
        for (key, value) in [
            (META_ORIGIN_COMMIT, "zzz"),
            (META_ORIGIN_HASH, "1234"),
            (META_ORIGIN_PATH, "../../etc"),
            (META_ORIGIN, " "),
        ] {
            let mut meta = BTreeMap::new();
            entry().write(&mut meta);
            meta.insert(key.into(), value.into());
            let e = Provenance::read(&meta, Path::new("skills/x/SKILL.md"))
                .unwrap()
                .unwrap_err();
            assert!(
                e.to_string()
                    .starts_with("skills/x/SKILL.md: the provenance lock is corrupt: "),
                "{e}"
            );
        }
    }

    #[test]
    fn origins_compare_by_canonical_source_and_path() {
        let mut e = entry();
        assert!(e.same_origin("https://github.com/o/r", "skills/x"));
        assert!(!e.same_origin("https://github.com/o/r", "skills/y"));
        assert!(!e.same_origin("https://github.com/o/other", "skills/x"));
        e.source = "file:///srv/r.git".into();
        assert!(e.same_origin("/srv/r", "skills/x"));
    }
}
