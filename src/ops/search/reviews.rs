//! The review status of search hits (`reviewed (2/2 signatures)`), kept between queries.
//!
//! Checking a skill's signatures reads all its files and verifies each signature; a status
//! depends only on the skill's folder, its signatures folder, the trust files, the policy's
//! required count and, when keys have validity windows, on which side of a window's edge the
//! time is. An entry is reused while all of these look the same: the folders and trust files by
//! their `stat` stamps (see [`crate::skill::stamps`]: a folder is checked by a `stat` of it and
//! of each entry it had, no listing; something changed within the quiet time is checked
//! again), the time by the count of window edges passed. `skillet serve` keeps the entries in
//! memory; the CLI keeps one file per skill in `.skillet/index/reviews/` and reads only the
//! hits' (a cache: anything missing or garbled means "check again"), so a query costs the same
//! however many skills earlier queries showed.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::registry::Registry;
use crate::review::{self, ALLOWED_SIGNERS, REVOKED, SIGNATURES, SkillReview, Trust};
use crate::skill::stamps::{Folder, path_stamp};

const VERSION: u32 = 2;
/// The most entries a searcher held open keeps in memory (the least recently used go first).
const MAX_ENTRIES: usize = 16_384;
/// The cache file of earlier versions (one file for all skills), removed when found.
const OLD_FILE: &str = "skills.reviews";

#[derive(Debug, Default)]
pub(crate) struct ReviewCache {
    /// Where a one-query process keeps its entries (one file per skill); `None`: in memory.
    dir: Option<PathBuf>,
    /// Counts queries, for dropping the least recently used entries.
    tick: u64,
    entries: HashMap<String, Entry>,
}

/// A status and what it was judged against.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Entry {
    version: u32,
    /// Stamp of the trust files and the required count.
    trust: u64,
    /// [`Trust::time_boundaries`] of that trust, and how many had passed.
    boundaries: Vec<u64>,
    epoch: usize,
    /// The skill's folder.
    skill: Folder,
    /// Its signatures folder (`None`: there was none).
    signatures: Option<Folder>,
    status: String,
    #[serde(skip)]
    used: u64,
}

/// The status shown for a review.
fn status_of(review: &SkillReview) -> String {
    let mark = if review.meets_policy {
        "reviewed"
    } else {
        "not reviewed"
    };
    format!(
        "{mark} ({}/{} signatures)",
        review.valid_principals.len(),
        review.required
    )
}

fn dir_path(registry: &Registry) -> PathBuf {
    registry.cache_dir().join("index").join("reviews")
}

/// The entry file of skill `name`, `None` for a name that cannot be one file's.
fn entry_path(dir: &Path, name: &str) -> Option<PathBuf> {
    let plain = !name.is_empty()
        && !name.starts_with('.')
        && !name.contains(['/', '\\', '\0', '\n'])
        && name.len() <= 200;
    plain.then(|| dir.join(format!("{name}.json")))
}

fn trust_stamp(registry: &Registry, now: i64) -> Option<u64> {
    let mut hasher = std::hash::DefaultHasher::new();
    for rel in [ALLOWED_SIGNERS, REVOKED] {
        path_stamp(&registry.root().join(rel), now)?.hash(&mut hasher);
    }
    registry
        .settings()
        .review
        .required_signatures
        .hash(&mut hasher);
    Some(hasher.finish())
}

fn epoch(boundaries: &[u64], at: u64) -> usize {
    boundaries.partition_point(|&b| b <= at)
}

/// A skill's folders now: checked against `held` (a `stat` each of the folder and the entries
/// it had), else walked. The signatures folder is `None` when missing.
struct Folders {
    skill: Folder,
    signatures: Option<Folder>,
}

impl Folders {
    fn take(registry: &Registry, name: &str, held: Option<&Entry>, now: i64) -> Self {
        let check = |dir: &Path, held: Option<&Folder>| match held {
            Some(held) => held.check(dir, now),
            None => Folder::walk(dir, now),
        };
        let skill = check(
            &registry.skills_dir().join(name),
            held.map(|entry| &entry.skill),
        );
        let sig_dir = registry.root().join(SIGNATURES).join(name);
        let signatures = match std::fs::symlink_metadata(&sig_dir) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            _ => Some(check(
                &sig_dir,
                held.and_then(|entry| entry.signatures.as_ref()),
            )),
        };
        Self { skill, signatures }
    }

    /// Whether both have stamps (nothing changed within the quiet time).
    fn stamped(&self) -> bool {
        self.skill.stamp.is_some() && self.signatures.as_ref().is_none_or(|s| s.stamp.is_some())
    }

    /// Whether `entry` was judged on folders that look as these do.
    fn same_as(&self, entry: &Entry) -> bool {
        self.stamped()
            && self.skill.stamp == entry.skill.stamp
            && self.signatures.as_ref().map(|s| s.stamp)
                == entry.signatures.as_ref().map(|s| s.stamp)
    }
}

impl ReviewCache {
    /// Entries in memory (a searcher held open: `skillet serve`).
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// Entries in `.skillet/index/reviews/`, read as queries need them (the CLI).
    pub(crate) fn on_disk(registry: &Registry) -> Self {
        Self {
            dir: Some(dir_path(registry)),
            ..Self::default()
        }
    }

    /// The entry held for `name`: in memory, or read from its file.
    fn held(&self, name: &str) -> Option<Entry> {
        if let Some(entry) = self.entries.get(name) {
            return Some(entry.clone());
        }
        let path = entry_path(self.dir.as_ref()?, name)?;
        let bytes = std::fs::read(path).ok()?;
        serde_json::from_slice::<Entry>(&bytes)
            .ok()
            .filter(|entry| entry.version == VERSION)
    }

    /// Keeps `entry` (in memory, and in its file for the CLI: without waiting for the disk; a
    /// failure only costs a later query the check).
    fn keep(&mut self, name: &str, entry: Entry) {
        if let Some(dir) = &self.dir {
            if let Some(path) = entry_path(dir, name) {
                let written = fs_err::create_dir_all(dir)
                    .and_then(|()| serde_json::to_vec(&entry).map_err(std::io::Error::other))
                    .and_then(|bytes| crate::fsutil::write_replacing(&path, &bytes, false));
                if let Err(e) = written {
                    tracing::debug!("a review status was not cached: {e}");
                }
            }
            let old = dir.with_file_name(OLD_FILE);
            if old.exists() {
                let _ = fs_err::remove_file(old);
            }
            return;
        }
        self.entries.insert(name.to_owned(), entry);
        if self.entries.len() > MAX_ENTRIES {
            let mut used: Vec<u64> = self.entries.values().map(|e| e.used).collect();
            used.sort_unstable();
            let keep_from = used[used.len() - MAX_ENTRIES / 2];
            self.entries.retain(|_, e| e.used >= keep_from);
        }
    }

    /// The review status of each of `names` at `now`, or `None` for all when the trust files
    /// cannot be read or a skill cannot be checked (a broken trust file only costs the marks).
    pub(crate) fn statuses(
        &mut self,
        registry: &Registry,
        names: &[String],
        now: std::time::SystemTime,
    ) -> Vec<Option<String>> {
        if names.is_empty() {
            return Vec::new();
        }
        let at = review::unix_seconds(now);
        let stamp_now = i64::try_from(at).unwrap_or(i64::MAX);
        self.tick += 1;
        // Stamps are taken before anything is read: a change after them shows in the next ones.
        let trust = trust_stamp(registry, stamp_now);
        let found: Vec<(Folders, Option<Entry>)> = crate::par::map(names, |name| {
            let held = self.held(name);
            let folders = Folders::take(registry, name, held.as_ref(), stamp_now);
            (folders, held)
        });
        let mut statuses: Vec<Option<String>> = Vec::with_capacity(names.len());
        for (name, (folders, held)) in names.iter().zip(&found) {
            let status = held.as_ref().and_then(|entry| {
                let fresh = Some(entry.trust) == trust
                    && epoch(&entry.boundaries, at) == entry.epoch
                    && folders.same_as(entry);
                fresh.then(|| entry.status.clone())
            });
            if status.is_some()
                && let Some(entry) = self.entries.get_mut(name)
            {
                entry.used = self.tick;
            }
            statuses.push(status);
        }
        let missing: Vec<String> = names
            .iter()
            .zip(&statuses)
            .filter(|(_, status)| status.is_none())
            .map(|(name, _)| name.clone())
            .collect();
        if missing.is_empty() {
            return statuses;
        }
        let reviews = Trust::load(registry).and_then(|loaded| {
            let reviews = review::verify_with(registry, &loaded, &missing, now)?;
            Ok((loaded, reviews))
        });
        let (loaded, reviews) = match reviews {
            Ok(done) => done,
            Err(e) => {
                tracing::warn!("review status left out of search: {e}");
                return vec![None; names.len()];
            }
        };
        let boundaries = loaded.time_boundaries();
        let mut reviews = missing.iter().zip(reviews);
        for ((name, (folders, _)), status) in names.iter().zip(found).zip(statuses.iter_mut()) {
            if status.is_some() {
                continue;
            }
            let Some((_, review)) = reviews.next() else {
                break;
            };
            let text = status_of(&review);
            // Kept only when judged on stamped folders and trust (nothing changed within the
            // quiet time).
            if let Some(trust) = trust.filter(|_| folders.stamped()) {
                self.keep(
                    name,
                    Entry {
                        version: VERSION,
                        trust,
                        epoch: epoch(&boundaries, at),
                        boundaries: boundaries.clone(),
                        skill: folders.skill,
                        signatures: folders.signatures,
                        status: text.clone(),
                        used: self.tick,
                    },
                );
            }
            *status = Some(text);
        }
        statuses
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, SystemTime};

    use super::*;
    use crate::signing::Signer as _;

    const PRINCIPAL: &str = "dana@example.com";

    fn registry() -> (tempfile::TempDir, Registry) {
        let tmp = tempfile::tempdir().unwrap();
        crate::registry::init(tmp.path(), false).unwrap();
        let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("skills");
        crate::fsutil::copy_dir(
            &examples.join("sum-and-echo"),
            &tmp.path().join("skills/sum-and-echo"),
        )
        .unwrap();
        let registry = Registry::open(tmp.path()).unwrap();
        (tmp, registry)
    }

    fn trust(registry: &Registry, options: &str) {
        let signer = crate::signing::SshKeySigner::from_seed([3; 32], PRINCIPAL);
        let public = signer.public_key().to_openssh().unwrap();
        fs_err::write(
            registry.root().join(ALLOWED_SIGNERS),
            format!("{PRINCIPAL} {options}{public}\n"),
        )
        .unwrap();
    }

    fn sign(registry: &Registry) {
        let signer = crate::signing::SshKeySigner::from_seed([3; 32], PRINCIPAL);
        review::sign(registry, &["sum-and-echo".to_owned()], &signer, PRINCIPAL).unwrap();
    }

    #[test]
    fn a_cached_status_follows_signing_trust_edits_and_time() {
        let (_tmp, registry) = registry();
        // An hour on: nothing looks recently changed, so stamps are trusted.
        let mut later = SystemTime::now() + Duration::from_secs(3600);
        let names = ["sum-and-echo".to_owned()];
        // The CLI's way: the cache goes through its files between queries.
        let status = |at: SystemTime| {
            let mut cache = ReviewCache::on_disk(&registry);
            let found = cache.statuses(&registry, &names, at);
            found[0].clone().unwrap()
        };
        let file = entry_path(&dir_path(&registry), "sum-and-echo").unwrap();
        assert_eq!(status(later), "not reviewed (0/1 signatures)");
        assert!(file.is_file());

        trust(&registry, "");
        sign(&registry);
        assert_eq!(status(later), "reviewed (1/1 signatures)", "signed");
        assert_eq!(status(later), "reviewed (1/1 signatures)", "from the cache");

        // An edit in place changes what was signed.
        let md = registry.skills_dir().join("sum-and-echo/SKILL.md");
        let text = fs_err::read_to_string(&md).unwrap();
        fs_err::write(&md, format!("{text}\nMore.\n")).unwrap();
        later += Duration::from_secs(10);
        assert_eq!(status(later), "not reviewed (0/1 signatures)", "edited");
        sign(&registry);
        later += Duration::from_secs(10);
        assert_eq!(status(later), "reviewed (1/1 signatures)", "signed again");

        // The key leaves the trust file.
        fs_err::write(registry.root().join(ALLOWED_SIGNERS), "").unwrap();
        later += Duration::from_secs(10);
        assert_eq!(status(later), "not reviewed (0/1 signatures)", "untrusted");

        // A key trusted until a time: the status changes when that time passes.
        let until = review::unix_seconds(later) + 100;
        trust(&registry, &format!("valid-before=\"{}\" ", utc(until)));
        later += Duration::from_secs(10);
        assert_eq!(status(later), "reviewed (1/1 signatures)", "in the window");
        assert_eq!(
            status(later + Duration::from_secs(200)),
            "not reviewed (0/1 signatures)",
            "past the window"
        );

        // A garbled cache file means "check again".
        fs_err::write(&file, "garbage").unwrap();
        assert_eq!(status(later), "reviewed (1/1 signatures)");
        assert!(
            fs_err::read_to_string(&file)
                .unwrap()
                .contains("reviewed (1/1")
        );
    }

    /// `YYYYMMDDHHMMSSZ`, as allowed_signers writes times.
    fn utc(unix: u64) -> String {
        let days = unix / 86_400;
        let secs = unix % 86_400;
        // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
        let z = days as i64 + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let d = doy - (153 * mp + 2) / 5 + 1;
        let m = if mp < 10 { mp + 3 } else { mp - 9 };
        let y = yoe + era * 400 + i64::from(m <= 2);
        format!(
            "{y:04}{m:02}{d:02}{:02}{:02}{:02}Z",
            secs / 3600,
            secs % 3600 / 60,
            secs % 60
        )
    }
}
