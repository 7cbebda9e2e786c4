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

#[derive(Debug, thiserror::Error)]
pub enum ReviewError {
    #[error(transparent)]
    Skill(#[from] SkillError),
    #[error(transparent)]
    Signing(#[from] SigningError),
    #[error(transparent)]
    Io(#[from] std::io::Error),
    #[error("{0}")]
    Other(String),
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
    /// `valid`, or what is wrong: `malformed`, `other_skill`, `content_changed`,
    /// `bad_signature`, `wrong_namespace`, `unsupported_key`, `revoked_key`, `untrusted_key`,
    /// `principal_mismatch`, `namespace_not_allowed`, `not_yet_valid`, `expired_key`.
    pub status: &'static str,
    pub message: String,
    /// `SHA256:...` of the key, when the signature verified.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fingerprint: Option<String>,
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
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Checks every signature of a skill folder against its current content.
pub fn review_dir(
    name: &str,
    version: u32,
    dir: &Path,
    signatures_dir: &Path,
    trust: &Trust,
    required: u32,
    exclude: Option<&str>,
) -> Result<SkillReview, ReviewError> {
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
            .or_else(|e| bare_signature(&text, name, &manifest, trust).ok_or(e))
        {
            Err(e) => SignatureStatus {
                file: file_name,
                principal: None,
                version: None,
                status: "malformed",
                message: e.to_string(),
                fingerprint: None,
            },
            Ok(file) => {
                let (status, message, fingerprint) = match signing::verify_signature_file(
                    &file,
                    &manifest,
                    &trust.allowed,
                    &trust.revoked,
                    now(),
                ) {
                    Ok(verified) => {
                        if exclude.is_some_and(|author| author == verified.principal) {
                            (
                                "author",
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
                                "valid",
                                format!(
                                    "signed by {} ({})",
                                    verified.principal, verified.fingerprint
                                ),
                                Some(verified.fingerprint),
                            )
                        }
                    }
                    Err(e) => (kind_of(&e), e.to_string(), None),
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
) -> Option<SignatureFile> {
    let trimmed = text.trim();
    if !(trimmed.starts_with("-----BEGIN SSH SIGNATURE-----")
        && trimmed.ends_with("-----END SSH SIGNATURE-----"))
    {
        return None;
    }
    let key = signing::verify(trimmed, &manifest.to_bytes(), signing::NAMESPACE).ok()?;
    let principal = trust
        .allowed
        .principals_for(&key, signing::NAMESPACE, now())
        .into_iter()
        .next()?;
    Some(SignatureFile {
        skill: name.to_owned(),
        version: 0,
        manifest_digest: manifest.digest(),
        principal,
        armored: format!("{trimmed}\n"),
    })
}

/// Statuses that mean a signature file is wrong (as opposed to merely not counting: an
/// untrusted, expired or not-yet-valid key, or the change's author).
pub fn is_broken(status: &str) -> bool {
    matches!(
        status,
        "malformed"
            | "other_skill"
            | "content_changed"
            | "bad_signature"
            | "wrong_namespace"
            | "unsupported_key"
            | "revoked_key"
    )
}

fn kind_of(e: &SigningError) -> &'static str {
    match e {
        SigningError::SkillMismatch { .. } => "other_skill",
        SigningError::ManifestMismatch { .. } => "content_changed",
        SigningError::BadSignature => "bad_signature",
        SigningError::WrongNamespace { .. } => "wrong_namespace",
        SigningError::UnsupportedKeyType { .. } => "unsupported_key",
        SigningError::RevokedKey { .. } => "revoked_key",
        SigningError::NotAllowed { rejection, .. } => match rejection {
            signing::Rejection::UnknownKey => "untrusted_key",
            signing::Rejection::PrincipalMismatch { .. } => "principal_mismatch",
            signing::Rejection::NamespaceNotAllowed { .. } => "namespace_not_allowed",
            signing::Rejection::NotYetValid { .. } => "not_yet_valid",
            signing::Rejection::Expired { .. } => "expired_key",
        },
        _ => "malformed",
    }
}

/// `skillet verify`: every named skill (all when empty) against the working tree's trust files.
pub fn verify(registry: &Registry, names: &[String]) -> Result<Vec<SkillReview>, ReviewError> {
    let trust = Trust::load(registry)?;
    let names: Vec<String> = if names.is_empty() {
        skill::list(registry).into_iter().map(|(n, _)| n).collect()
    } else {
        names.to_vec()
    };
    let required = registry.settings().review.required_signatures;
    names
        .iter()
        .map(|name| {
            let loaded = skill::load(registry, name)?;
            review_dir(
                name,
                loaded.version(),
                &loaded.dir,
                &registry.root().join(SIGNATURES).join(name),
                &trust,
                required,
                None,
            )
        })
        .collect()
}

/// Whether a skill meets the review policy (for `run.require_signed` and search).
pub fn meets_policy(registry: &Registry, name: &str) -> Result<bool, ReviewError> {
    Ok(verify(registry, &[name.to_owned()])?
        .first()
        .is_some_and(|r| r.meets_policy))
}
