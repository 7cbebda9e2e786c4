//! The review status of search hits (`reviewed (2/2 signatures)`), kept between queries.
//!
//! Checking a skill's signatures reads all its files and verifies each signature; a status
//! depends only on the skill's folder, its signatures folder, the trust files, the policy's
//! required count and, when keys have validity windows, on which side of a window's edge the
//! time is. An entry is reused while all of these look the same: the folders and trust files by
//! their `stat` stamps (see [`crate::skill::index`]; something changed within the quiet time is
//! checked again), the time by the count of window edges passed. `skillet serve` keeps the cache
//! in memory; the CLI keeps it in `.skillet/index/skills.reviews` (a cache: anything missing or
//! garbled means "check again").

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::registry::Registry;
use crate::review::{self, ALLOWED_SIGNERS, REVOKED, SIGNATURES, SkillReview, Trust};
use crate::skill::stamps::{folder_stamp, path_stamp};

const VERSION: u32 = 1;
/// The most entries kept (the least recently used go first).
const MAX_ENTRIES: usize = 512;

#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct ReviewCache {
    version: u32,
    /// Stamp of the trust files and the required count the entries were judged against.
    trust: Option<u64>,
    /// [`Trust::time_boundaries`] of that trust.
    boundaries: Vec<u64>,
    /// How many of `boundaries` were at or before the time the entries were judged at.
    epoch: usize,
    /// Counts queries, for dropping the least recently used entries.
    tick: u64,
    entries: HashMap<String, Entry>,
    #[serde(skip)]
    dirty: bool,
}

#[derive(Debug, Serialize, Deserialize)]
struct Entry {
    /// Stamp of the skill's folder and its signatures folder.
    key: u64,
    status: String,
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

fn file_path(registry: &Registry) -> PathBuf {
    registry.cache_dir().join("index").join("skills.reviews")
}

/// A stamp of a folder that may be missing (a skill without signatures has none).
fn optional_folder_stamp(dir: &Path, now: i64) -> Option<u64> {
    match std::fs::symlink_metadata(dir) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Some(0),
        _ => folder_stamp(dir, now),
    }
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

fn skill_stamp(registry: &Registry, name: &str, now: i64) -> Option<u64> {
    let mut hasher = std::hash::DefaultHasher::new();
    folder_stamp(&registry.skills_dir().join(name), now)?.hash(&mut hasher);
    optional_folder_stamp(&registry.root().join(SIGNATURES).join(name), now)?.hash(&mut hasher);
    Some(hasher.finish())
}

impl Default for ReviewCache {
    fn default() -> Self {
        Self {
            version: VERSION,
            trust: None,
            boundaries: Vec::new(),
            epoch: 0,
            tick: 0,
            entries: HashMap::new(),
            dirty: false,
        }
    }
}

impl ReviewCache {
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// The cache the CLI keeps beside the index (empty when missing or unreadable).
    pub(crate) fn load(registry: &Registry) -> Self {
        fs_err::read(file_path(registry))
            .ok()
            .and_then(|bytes| serde_json::from_slice::<Self>(&bytes).ok())
            .filter(|cache| cache.version == VERSION)
            .unwrap_or_default()
    }

    /// Writes the cache back when something in it changed (without waiting for the disk; a
    /// failure only costs the next query the checks).
    pub(crate) fn save(&self, registry: &Registry) {
        if !self.dirty {
            return;
        }
        let path = file_path(registry);
        if path.is_dir() {
            let _ = fs_err::remove_dir_all(&path);
        }
        let written = serde_json::to_vec(self)
            .map_err(std::io::Error::other)
            .and_then(|bytes| crate::fsutil::write_replacing(&path, &bytes, false));
        if let Err(e) = written {
            tracing::debug!("the review status cache was not written: {e}");
        }
    }

    fn epoch(&self, now: u64) -> usize {
        self.boundaries.partition_point(|&b| b <= now)
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
        // The CLI writes the cache back only when an entry changed: its uses are not counted.
        self.tick += 1;
        // Stamps are taken before anything is read: a change after them shows in the next ones.
        let trust = trust_stamp(registry, stamp_now);
        if trust != self.trust || trust.is_none() {
            self.dirty |= !self.entries.is_empty() || trust != self.trust;
            self.entries.clear();
            self.boundaries.clear();
            self.epoch = 0;
            self.trust = trust;
        } else if self.epoch(at) != self.epoch {
            self.dirty = true;
            self.entries.clear();
        }
        let keys: Vec<Option<u64>> = crate::par::map(names, |name| {
            trust.and_then(|_| skill_stamp(registry, name, stamp_now))
        });
        let mut found: Vec<Option<String>> = names
            .iter()
            .zip(&keys)
            .map(|(name, key)| {
                let entry = self.entries.get_mut(name)?;
                if Some(entry.key) != *key {
                    return None;
                }
                entry.used = self.tick;
                Some(entry.status.clone())
            })
            .collect();
        let missing: Vec<String> = names
            .iter()
            .zip(&found)
            .filter(|(_, status)| status.is_none())
            .map(|(name, _)| name.clone())
            .collect();
        if missing.is_empty() {
            return found;
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
        if self.entries.is_empty() {
            self.boundaries = loaded.time_boundaries();
            self.epoch = self.epoch(at);
        }
        let mut reviews = missing.iter().zip(reviews);
        for ((name, key), status) in names.iter().zip(&keys).zip(found.iter_mut()) {
            if status.is_some() {
                continue;
            }
            let Some((_, review)) = reviews.next() else {
                break;
            };
            let text = status_of(&review);
            if let Some(key) = key {
                self.dirty = true;
                self.entries.insert(
                    name.clone(),
                    Entry {
                        key: *key,
                        status: text.clone(),
                        used: self.tick,
                    },
                );
            }
            *status = Some(text);
        }
        if self.entries.len() > MAX_ENTRIES {
            let mut used: Vec<u64> = self.entries.values().map(|e| e.used).collect();
            used.sort_unstable();
            let keep_from = used[used.len() - MAX_ENTRIES / 2];
            self.entries.retain(|_, e| e.used >= keep_from);
        }
        found
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
        // The CLI's way: the cache goes through its file between queries.
        let status = |at: SystemTime| {
            let mut cache = ReviewCache::load(&registry);
            let found = cache.statuses(&registry, &names, at);
            cache.save(&registry);
            found[0].clone().unwrap()
        };
        assert_eq!(status(later), "not reviewed (0/1 signatures)");
        assert!(file_path(&registry).is_file());

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
        fs_err::write(file_path(&registry), "garbage").unwrap();
        assert_eq!(status(later), "reviewed (1/1 signatures)");
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
