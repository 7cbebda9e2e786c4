//! Signed review of skills: reviewers sign a skill's manifest (`signing/signatures/<skill>/`),
//! trust comes from `signing/allowed_signers` minus `signing/revoked`, and the policy of
//! skillet.toml (`review.required_signatures`) says how many distinct trusted principals a skill
//! version needs.

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::registry::Registry;
use crate::signing::{self, AllowedSigners, Manifest, Revoked, SignatureFile, SigningError};
use crate::skill::{self, SkillError};

pub const ALLOWED_SIGNERS: &str = "signing/allowed_signers";
pub const REVOKED: &str = "signing/revoked";
pub const SIGNATURES: &str = "signing/signatures";
const LOCK: &str = "skillet.lock";

/// Tools the skill in `dir` calls whose description in `head` differs from the one it pinned
/// when saved, or (no pin) from the one in `base`.
fn redescribed(
    dir: &Path,
    base: &crate::lock::Lockfile,
    head: &crate::lock::Lockfile,
) -> Vec<String> {
    let Ok(skill) = crate::skill::load_dir(dir) else {
        return Vec::new();
    };
    let pinned = skill.tool_descriptions();
    skill
        .tools()
        .into_iter()
        .filter(|call| {
            let Some(now) = head.description(&call.server, &call.tool) else {
                return false;
            };
            let was = pinned
                .iter()
                .find(|p| p.server == call.server && p.tool == call.tool)
                .map(|p| p.schema.as_str())
                .or_else(|| base.description(&call.server, &call.tool));
            was.is_some_and(|was| was != now)
        })
        .map(|call| format!("{}.{}", call.server, call.tool))
        .collect()
}

#[derive(Debug, thiserror::Error)]
pub enum ReviewError {
    #[error(transparent)]
    Skill(#[from] SkillError),
    #[error(transparent)]
    Signing(#[from] SigningError),
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

/// The manifest of a skill as it is in the working tree (what `skillet manifest` prints).
pub fn manifest(registry: &Registry, name: &str) -> Result<Manifest, ReviewError> {
    let loaded = skill::load(registry, name)?;
    Ok(signing::manifest(&loaded.dir)?)
}

/// What `sign` wrote.
#[derive(Debug, Clone, Serialize)]
pub struct Signed {
    pub skill: String,
    pub version: u32,
    pub principal: String,
    pub manifest_sha256: String,
    pub path: String,
    /// An older signature of the same signer was replaced.
    pub replaced: bool,
}

/// Signs each skill's current manifest with `signer` as `principal`.
pub fn sign(
    registry: &Registry,
    names: &[String],
    signer: &dyn signing::Signer,
    principal: &str,
) -> Result<Vec<Signed>, ReviewError> {
    let mut out = Vec::new();
    for name in names {
        let loaded = skill::load(registry, name)?;
        let manifest = signing::manifest(&loaded.dir)?;
        let armored = signer.sign(&manifest.to_bytes())?;
        let file = SignatureFile {
            skill: name.clone(),
            version: u64::from(loaded.version()),
            manifest_digest: manifest.digest(),
            principal: principal.to_owned(),
            armored,
        };
        let rel = format!("{SIGNATURES}/{name}/{}", file.file_name());
        let path = registry.root().join(&rel);
        let replaced = path.exists();
        crate::fsutil::write_atomic(&path, file.render().as_bytes())?;
        out.push(Signed {
            skill: name.clone(),
            version: loaded.version(),
            principal: principal.to_owned(),
            manifest_sha256: file.manifest_digest,
            path: rel,
            replaced,
        });
    }
    Ok(out)
}

/// The status of one signature file.
#[derive(Debug, Clone, Serialize)]
pub struct SignatureStatus {
    pub file: String,
    pub principal: Option<String>,
    pub version: Option<u64>,
    pub status: SignatureState,
    pub message: String,
    /// `SHA256:...` of the key, when the signature verified.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fingerprint: Option<String>,
}

/// What a signature file is worth: `valid`, not counted (`author`, and the key states that a
/// trust change can fix), or broken ([`SignatureState::is_broken`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SignatureState {
    /// A trusted principal signed the current content.
    Valid,
    /// The change's author signed it; the policy does not count authors.
    Author,
    /// Not a signature file skillet or `ssh-keygen -Y sign` wrote.
    Malformed,
    /// The signature is over another skill's manifest.
    OtherSkill,
    /// The skill changed since it was signed.
    ContentChanged,
    BadSignature,
    WrongNamespace,
    UnsupportedKey,
    RevokedKey,
    /// The key is not in allowed_signers.
    UntrustedKey,
    /// The key is trusted, but as another principal.
    PrincipalMismatch,
    /// The key is trusted, but not for skillet's namespace.
    NamespaceNotAllowed,
    NotYetValid,
    ExpiredKey,
}

impl SignatureState {
    /// The name `--json` and the text reports use.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Valid => "valid",
            Self::Author => "author",
            Self::Malformed => "malformed",
            Self::OtherSkill => "other_skill",
            Self::ContentChanged => "content_changed",
            Self::BadSignature => "bad_signature",
            Self::WrongNamespace => "wrong_namespace",
            Self::UnsupportedKey => "unsupported_key",
            Self::RevokedKey => "revoked_key",
            Self::UntrustedKey => "untrusted_key",
            Self::PrincipalMismatch => "principal_mismatch",
            Self::NamespaceNotAllowed => "namespace_not_allowed",
            Self::NotYetValid => "not_yet_valid",
            Self::ExpiredKey => "expired_key",
        }
    }

    /// Whether the file is wrong (as opposed to merely not counting: an untrusted, expired or
    /// not-yet-valid key, or the change's author).
    pub fn is_broken(self) -> bool {
        matches!(
            self,
            Self::Malformed
                | Self::OtherSkill
                | Self::ContentChanged
                | Self::BadSignature
                | Self::WrongNamespace
                | Self::UnsupportedKey
                | Self::RevokedKey
        )
    }

    fn of(e: &SigningError) -> Self {
        match e {
            SigningError::SkillMismatch { .. } => Self::OtherSkill,
            SigningError::ManifestMismatch { .. } => Self::ContentChanged,
            SigningError::BadSignature => Self::BadSignature,
            SigningError::WrongNamespace { .. } => Self::WrongNamespace,
            SigningError::UnsupportedKeyType { .. } => Self::UnsupportedKey,
            SigningError::RevokedKey { .. } => Self::RevokedKey,
            SigningError::NotAllowed { rejection, .. } => match rejection {
                signing::Rejection::UnknownKey => Self::UntrustedKey,
                signing::Rejection::PrincipalMismatch { .. } => Self::PrincipalMismatch,
                signing::Rejection::NamespaceNotAllowed { .. } => Self::NamespaceNotAllowed,
                signing::Rejection::NotYetValid { .. } => Self::NotYetValid,
                signing::Rejection::Expired { .. } => Self::ExpiredKey,
            },
            _ => Self::Malformed,
        }
    }
}

impl std::fmt::Display for SignatureState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(self.as_str())
    }
}

/// Who signed a skill, and whether that meets the policy.
#[derive(Debug, Clone, Serialize)]
pub struct SkillReview {
    pub skill: String,
    pub version: u32,
    pub manifest_sha256: String,
    pub signatures: Vec<SignatureStatus>,
    /// Distinct trusted principals with a valid signature of the current content.
    pub valid_principals: Vec<String>,
    pub required: u32,
    pub meets_policy: bool,
}

/// The trust files of a registry (or of a revision of it).
pub struct Trust {
    pub allowed: AllowedSigners,
    pub revoked: Revoked,
}

impl Trust {
    pub fn load(registry: &Registry) -> Result<Self, ReviewError> {
        let allowed_path = registry.root().join(ALLOWED_SIGNERS);
        let allowed = if allowed_path.exists() {
            AllowedSigners::load(&allowed_path)?
        } else {
            AllowedSigners::parse("", &allowed_path)?
        };
        let revoked_path = registry.root().join(REVOKED);
        let revoked = Revoked::load(&revoked_path)?;
        Ok(Self { allowed, revoked })
    }

    pub fn parse(allowed: &str, revoked: &str) -> Result<Self, ReviewError> {
        Ok(Self {
            allowed: AllowedSigners::parse(allowed, Path::new(ALLOWED_SIGNERS))?,
            revoked: Revoked::parse(revoked, Path::new(REVOKED))?,
        })
    }

    /// The times (unix seconds) at which a key's validity window opens or closes: judging at
    /// two times with the same of these at or before them gives the same answer.
    pub fn time_boundaries(&self) -> Vec<u64> {
        let mut times: Vec<u64> = self
            .allowed
            .entries
            .iter()
            .flat_map(|e| [e.valid_after, e.valid_before.map(|b| b.saturating_add(1))])
            .flatten()
            .collect();
        times.sort_unstable();
        times.dedup();
        times
    }

    /// The first principal `key` may sign reviews as at `now` (unix seconds).
    pub fn principal_for(&self, key: &ssh_key::PublicKey, now: u64) -> Option<String> {
        self.allowed
            .principals_for(key, signing::NAMESPACE, now)
            .into_iter()
            .next()
    }
}

/// Seconds since the Unix epoch at `time` (0 before it).
pub fn unix_seconds(time: std::time::SystemTime) -> u64 {
    time.duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// How signatures are judged: against which trust, how many are required, whose do not count
/// (a change's author), and when (keys have validity windows).
pub struct Judge<'a> {
    pub trust: &'a Trust,
    pub required: u32,
    /// A principal whose signature does not count (the author of the change under review).
    pub exclude: Option<&'a str>,
    /// Unix seconds.
    pub now: u64,
}

/// Checks every signature of a skill folder against its current content.
pub fn review_dir(
    name: &str,
    version: u32,
    dir: &Path,
    signatures_dir: &Path,
    judge: &Judge<'_>,
) -> Result<SkillReview, ReviewError> {
    let Judge {
        trust,
        required,
        exclude,
        now,
    } = *judge;
    let manifest = signing::manifest::manifest_named(dir, name)?;
    let mut signatures = Vec::new();
    let mut valid: Vec<String> = Vec::new();
    let mut files: Vec<PathBuf> = fs_err::read_dir(signatures_dir)
        .map(|entries| {
            entries
                .flatten()
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "sig"))
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    for path in files {
        let file_name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let text = fs_err::read_to_string(&path).unwrap_or_default();
        let status = match SignatureFile::parse(&text)
            .or_else(|e| bare_signature(&text, name, &manifest, trust, now).ok_or(e))
        {
            Err(e) => SignatureStatus {
                file: file_name,
                principal: None,
                version: None,
                status: SignatureState::Malformed,
                message: e.to_string(),
                fingerprint: None,
            },
            Ok(file) => {
                let (status, message, fingerprint) = match signing::verify_signature_file(
                    &file,
                    &manifest,
                    &trust.allowed,
                    &trust.revoked,
                    now,
                ) {
                    Ok(verified) => {
                        if exclude.is_some_and(|author| author == verified.principal) {
                            (
                                SignatureState::Author,
                                format!(
                                    "{} authored this change and does not count as its reviewer",
                                    verified.principal
                                ),
                                Some(verified.fingerprint),
                            )
                        } else {
                            if !valid.contains(&verified.principal) {
                                valid.push(verified.principal.clone());
                            }
                            (
                                SignatureState::Valid,
                                format!(
                                    "signed by {} ({})",
                                    verified.principal, verified.fingerprint
                                ),
                                Some(verified.fingerprint),
                            )
                        }
                    }
                    Err(e) => (SignatureState::of(&e), e.to_string(), None),
                };
                SignatureStatus {
                    file: file_name,
                    principal: Some(file.principal),
                    version: Some(file.version),
                    status,
                    message,
                    fingerprint,
                }
            }
        };
        signatures.push(status);
    }
    Ok(SkillReview {
        skill: name.to_owned(),
        version,
        manifest_sha256: manifest.digest(),
        meets_policy: valid.len() as u64 >= u64::from(required),
        valid_principals: valid,
        required,
        signatures,
    })
}

/// A plain `ssh-keygen -Y sign` signature of the manifest (no skillet header): its signer is
/// looked up in allowed_signers, and it is checked against the current content.
fn bare_signature(
    text: &str,
    name: &str,
    manifest: &Manifest,
    trust: &Trust,
    now: u64,
) -> Option<SignatureFile> {
    let trimmed = text.trim();
    if !(trimmed.starts_with("-----BEGIN SSH SIGNATURE-----")
        && trimmed.ends_with("-----END SSH SIGNATURE-----"))
    {
        return None;
    }
    // Who signed is only known once the signature verifies; when it does not, the full check
    // reports a bad signature (or the wrong namespace) rather than a malformed file.
    let principal = signing::verify(trimmed, &manifest.to_bytes(), signing::NAMESPACE)
        .ok()
        .and_then(|key| trust.principal_for(&key, now))
        .unwrap_or_else(|| "(unknown signer)".to_owned());
    Some(SignatureFile {
        skill: name.to_owned(),
        version: 0,
        manifest_digest: manifest.digest(),
        principal,
        armored: format!("{trimmed}\n"),
    })
}

/// `skillet verify`: every named skill (all when empty) against the working tree's trust files,
/// at `now`.
pub fn verify(
    registry: &Registry,
    names: &[String],
    now: std::time::SystemTime,
) -> Result<Vec<SkillReview>, ReviewError> {
    verify_with(registry, &Trust::load(registry)?, names, now)
}

/// [`verify`] against `trust` (already loaded).
pub fn verify_with(
    registry: &Registry,
    trust: &Trust,
    names: &[String],
    now: std::time::SystemTime,
) -> Result<Vec<SkillReview>, ReviewError> {
    let judge = Judge {
        trust,
        required: registry.settings().review.required_signatures,
        exclude: None,
        now: unix_seconds(now),
    };
    let review = |name: &str, loaded: Result<skill::Skill, SkillError>| {
        let loaded = loaded?;
        review_dir(
            name,
            loaded.version(),
            &loaded.dir,
            &registry.root().join(SIGNATURES).join(name),
            &judge,
        )
    };
    // Every skill is loaded once (`list` loads them all), and checked on all cores.
    if names.is_empty() {
        return crate::par::map_owned(skill::list(registry), |(name, loaded)| {
            // What `skill::load` says of a folder it refuses, as before.
            let loaded = match loaded {
                Ok(skill) if skill::check_name(&name).is_ok() => Ok(skill),
                _ => skill::load(registry, &name),
            };
            review(&name, loaded)
        })
        .into_iter()
        .collect();
    }
    crate::par::map(names, |name| review(name, skill::load(registry, name)))
        .into_iter()
        .collect()
}

/// The pseudo-skill whose manifest covers the trust files (`allowed_signers`, `revoked`): a
/// change to them needs the required signatures from keys trusted at the base revision.
pub const TRUST: &str = "_trust";

/// Signs the trust files as they are in the working tree.
pub fn sign_trust(
    registry: &Registry,
    signer: &dyn signing::Signer,
    principal: &str,
) -> Result<Signed, ReviewError> {
    let tmp = tempfile::tempdir()?;
    let dir = tmp.path().join(TRUST);
    fs_err::create_dir_all(&dir)?;
    for (rel, name) in [(ALLOWED_SIGNERS, "allowed_signers"), (REVOKED, "revoked")] {
        if let Ok(bytes) = fs_err::read(registry.root().join(rel)) {
            fs_err::write(dir.join(name), bytes)?;
        }
    }
    let manifest = signing::manifest::manifest_named(&dir, TRUST)?;
    let file = SignatureFile {
        skill: TRUST.to_owned(),
        version: 0,
        manifest_digest: manifest.digest(),
        principal: principal.to_owned(),
        armored: signer.sign(&manifest.to_bytes())?,
    };
    let rel = format!("{SIGNATURES}/{TRUST}/{}", file.file_name());
    let path = registry.root().join(&rel);
    let replaced = path.exists();
    crate::fsutil::write_atomic(&path, file.render().as_bytes())?;
    Ok(Signed {
        skill: TRUST.to_owned(),
        version: 0,
        principal: principal.to_owned(),
        manifest_sha256: file.manifest_digest,
        path: rel,
        replaced,
    })
}

/// One skill in a pull request.
#[derive(Debug, Clone, Serialize)]
pub struct ReviewedChange {
    pub skill: String,
    /// `added`, `changed` or `removed`.
    pub change: &'static str,
    pub files: Vec<crate::registry::git::FileChange>,
    /// Tools the skill calls at head that it did not call at base.
    pub new_capabilities: Vec<String>,
    /// Tools the skill calls whose description or title changed since the skill was reviewed:
    /// against the description the skill pinned when saved (`skillet.tool-descriptions`), or,
    /// for a skill without pins, between the base and head `skillet.lock`. A changed description
    /// is how a tool gets poisoned, and it reaches the model; the skill does not pass.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub redescribed_tools: Vec<String>,
    /// `None` for a removed skill.
    pub review: Option<SkillReview>,
    pub passes: bool,
}

/// `skillet review`: the gate for a pull request.
#[derive(Debug, Clone, Serialize)]
pub struct ReviewReport {
    pub base: String,
    pub head: String,
    pub author: String,
    pub required: u32,
    pub author_counts: bool,
    pub skills: Vec<ReviewedChange>,
    /// Set when `signing/allowed_signers` or `signing/revoked` changed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trust_change: Option<SkillReview>,
    pub passes: bool,
}

/// Checks every skill added, changed or removed between `base` and `head` against the trust of
/// `base`: a pull request cannot vouch for itself. Keys are judged at `now`.
pub fn review(
    registry: &Registry,
    base: &str,
    head: &str,
    now: std::time::SystemTime,
) -> Result<ReviewReport, ReviewError> {
    use crate::registry::git::Repo;
    let repo = Repo::open(registry.root()).map_err(SkillError::from)?;
    let base_commit = repo.commit(base).map_err(SkillError::from)?;
    let head_commit = repo.commit(head).map_err(SkillError::from)?;
    let text_at = |commit: &git2::Commit<'_>, rel: &str| {
        repo.file_at(commit, rel)
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .unwrap_or_default()
    };
    let trust = Trust::parse(
        &text_at(&base_commit, ALLOWED_SIGNERS),
        &text_at(&base_commit, REVOKED),
    )?;
    let settings = &registry.settings().review;
    let (author_name, author_email) = Repo::author(&head_commit);
    let exclude = (!settings.author_counts).then_some(author_email.as_str());
    let judge = Judge {
        trust: &trust,
        required: settings.required_signatures,
        exclude,
        now: unix_seconds(now),
    };

    let mut names: Vec<String> = Vec::new();
    let skill_files = repo
        .changed_files("skills", &base_commit, &head_commit)
        .map_err(SkillError::from)?;
    let signature_files = repo
        .changed_files(SIGNATURES, &base_commit, &head_commit)
        .map_err(SkillError::from)?;
    for change in skill_files.iter().chain(&signature_files) {
        let rest = change
            .path
            .strip_prefix("skills/")
            .or_else(|| change.path.strip_prefix(&format!("{SIGNATURES}/")));
        if let Some(name) = rest.and_then(|r| r.split('/').next())
            && name != TRUST
            && !name.starts_with('.')
            && !names.iter().any(|n| n == name)
        {
            names.push(name.to_owned());
        }
    }
    // Skills the pull request does not touch, whose tools it redescribes in skillet.lock.
    let lock_at = |commit: &git2::Commit<'_>| {
        crate::lock::Lockfile::parse(&text_at(commit, LOCK), Path::new(LOCK)).unwrap_or_default()
    };
    let (base_lock, head_lock) = (lock_at(&base_commit), lock_at(&head_commit));
    let redescribed_in_pr: Vec<(String, String)> = head_lock
        .servers
        .iter()
        .flat_map(|(server, s)| {
            s.tools
                .keys()
                .map(move |tool| (server.clone(), tool.clone()))
        })
        .filter(|(server, tool)| {
            matches!(
                (base_lock.description(server, tool), head_lock.description(server, tool)),
                (Some(was), Some(now)) if was != now
            )
        })
        .collect();
    if !redescribed_in_pr.is_empty() {
        let skill_mds = repo
            .files_at(&head_commit, "skills")
            .map_err(SkillError::from)?;
        for file in &skill_mds {
            let Some(name) = file
                .path
                .strip_suffix("/SKILL.md")
                .filter(|n| !n.contains('/'))
            else {
                continue;
            };
            let md = String::from_utf8_lossy(&file.contents);
            let (parsed, _) = crate::skill::validate::parse_skill_md(&md, "SKILL.md");
            let calls = crate::skill::parse_pins(
                parsed
                    .as_ref()
                    .and_then(|p| p.frontmatter.metadata.get(crate::skill::META_TOOLS)),
            );
            if calls.iter().any(|c| {
                redescribed_in_pr
                    .iter()
                    .any(|(server, tool)| *server == c.server && *tool == c.tool)
            }) && !name.starts_with('.')
                && !names.iter().any(|n| n == name)
            {
                names.push(name.to_owned());
            }
        }
    }
    names.sort();
    let tmp = tempfile::tempdir()?;
    let materialize =
        |commit: &git2::Commit<'_>, rel: &str, dir: &Path| -> Result<bool, ReviewError> {
            // With their modes: the manifest a signature covers states them.
            let files = repo.files_at(commit, rel).map_err(SkillError::from)?;
            for file in &files {
                file.write_under(dir)?;
            }
            Ok(!files.is_empty())
        };
    let mut skills = Vec::new();
    for name in names {
        let rel = format!("skills/{name}");
        let files: Vec<_> = skill_files
            .iter()
            .filter(|f| f.path.starts_with(&format!("{rel}/")))
            .cloned()
            .collect();
        let tools_at = |commit: &git2::Commit<'_>| -> Vec<String> {
            let md = text_at(commit, &format!("{rel}/SKILL.md"));
            let (parsed, _) = crate::skill::validate::parse_skill_md(&md, "SKILL.md");
            crate::skill::parse_pins(
                parsed
                    .as_ref()
                    .and_then(|p| p.frontmatter.metadata.get(crate::skill::META_TOOLS)),
            )
            .into_iter()
            .map(|p| format!("{}.{}", p.server, p.tool))
            .collect()
        };
        let in_base = repo
            .file_at(&base_commit, &format!("{rel}/SKILL.md"))
            .is_some();
        let dir = tmp.path().join("head").join(&name);
        let in_head = materialize(&head_commit, &rel, &dir)?;
        let change = match (in_base, in_head) {
            (false, _) => "added",
            (true, false) => "removed",
            (true, true) if files.is_empty() => "unchanged",
            (true, true) => "changed",
        };
        let base_tools = if in_base {
            tools_at(&base_commit)
        } else {
            Vec::new()
        };
        let new_capabilities: Vec<String> = tools_at(&head_commit)
            .into_iter()
            .filter(|t| !base_tools.contains(t))
            .collect();
        let review = if in_head {
            let sig_dir = tmp.path().join("signatures").join(&name);
            fs_err::create_dir_all(&sig_dir)?;
            materialize(&head_commit, &format!("{SIGNATURES}/{name}"), &sig_dir)?;
            let version = crate::skill::load_dir(&dir)
                .map(|s| s.version())
                .unwrap_or(0);
            Some(review_dir(&name, version, &dir, &sig_dir, &judge)?)
        } else {
            None
        };
        let redescribed_tools = if in_head {
            redescribed(&dir, &base_lock, &head_lock)
        } else {
            Vec::new()
        };
        let passes = review.as_ref().is_none_or(|r| r.meets_policy) && redescribed_tools.is_empty();
        skills.push(ReviewedChange {
            skill: name,
            change,
            files,
            new_capabilities,
            redescribed_tools,
            review,
            passes,
        });
    }

    // A change to the trust files needs signatures from keys trusted at base.
    let trust_changed = [ALLOWED_SIGNERS, REVOKED]
        .iter()
        .any(|rel| text_at(&base_commit, rel) != text_at(&head_commit, rel));
    let trust_change = if trust_changed {
        let dir = tmp.path().join("trust").join(TRUST);
        fs_err::create_dir_all(&dir)?;
        for (rel, file) in [(ALLOWED_SIGNERS, "allowed_signers"), (REVOKED, "revoked")] {
            if let Some(bytes) = repo.file_at(&head_commit, rel) {
                fs_err::write(dir.join(file), bytes)?;
            }
        }
        let sig_dir = tmp.path().join("trust-signatures");
        fs_err::create_dir_all(&sig_dir)?;
        materialize(&head_commit, &format!("{SIGNATURES}/{TRUST}"), &sig_dir)?;
        Some(review_dir(TRUST, 0, &dir, &sig_dir, &judge)?)
    } else {
        None
    };
    let passes =
        skills.iter().all(|s| s.passes) && trust_change.as_ref().is_none_or(|t| t.meets_policy);
    Ok(ReviewReport {
        base: base_commit.id().to_string(),
        head: head_commit.id().to_string(),
        author: format!("{author_name} <{author_email}>"),
        required: settings.required_signatures,
        author_counts: settings.author_counts,
        skills,
        trust_change,
        passes,
    })
}

impl crate::error::Diagnose for ReviewError {
    fn hints(&self) -> Vec<String> {
        match self {
            Self::Skill(e) => e.hints(),
            Self::Signing(_) | Self::Io(_) => Vec::new(),
        }
    }
}
