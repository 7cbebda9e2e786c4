//! Review signatures for skills: SSH ed25519 keys, `ssh-keygen -Y` compatible.
//!
//! A reviewer signs the exact content of a skill folder. What is signed is the
//! canonical [`manifest::Manifest`] text (see that module for the byte format),
//! wrapped in an OpenSSH `SSHSIG` signature under the namespace
//! [`sshsig::NAMESPACE`]. Signatures are therefore verifiable with stock OpenSSH:
//!
//! ```text
//! ssh-keygen -Y verify -f signing/allowed_signers -I alice@example.com \
//!     -n skillet-skill-review@skillet -s alice.sig < manifest.txt
//! ```
//!
//! Pieces, one file each:
//! - [`manifest`]: the canonical, signed description of a skill folder.
//! - [`sshsig`]: create and verify armored `SSHSIG` signatures, and the
//!   signature files kept in `signing/signatures/<skill>/<signer>.sig`.
//! - [`allowed_signers`]: git/OpenSSH `allowed_signers` (who may sign, for
//!   which namespaces, during which time window).
//! - [`revoked`]: `signing/revoked`, a list of revoked public keys.
//! - [`keys`]: loading (possibly passphrase-protected) OpenSSH private keys and
//!   generating new ed25519 keys.
//!
//! The [`Signer`] trait abstracts over "something that can produce a review
//! signature", in the spirit of jj's signing backends; [`SshKeySigner`] is the
//! in-process implementation over an OpenSSH private key.

pub mod allowed_signers;
pub mod keys;
pub mod manifest;
pub mod revoked;
pub mod sshsig;

use std::path::PathBuf;

pub use allowed_signers::{AllowedSigners, Rejection};
pub use keys::{PASSPHRASE_ENV, default_key_path, keygen, load_private_key};
pub use manifest::{Manifest, ManifestEntry, manifest};
pub use revoked::Revoked;
pub use sshsig::{NAMESPACE, SignatureFile, sign, signature_file_name, verify};

/// Everything that can go wrong while manifesting, signing or verifying.
#[derive(Debug, thiserror::Error)]
pub enum SigningError {
    #[error(transparent)]
    Io(#[from] std::io::Error),

    // ----- manifest -----
    #[error("{path}: symlinks are not allowed in a signed skill (replace it with a regular file)")]
    Symlink { path: PathBuf },
    #[error("{path}: file name is not valid UTF-8; signed skills need UTF-8 paths")]
    NonUtf8Path { path: PathBuf },
    #[error(
        "{path}: file name contains a control character (newline, tab, ...); not allowed in a signed skill"
    )]
    ControlCharInPath { path: PathBuf },
    #[error(
        "{path}: not a regular file or directory (fifo, socket, device?); not allowed in a signed skill"
    )]
    NotARegularFile { path: PathBuf },

    // ----- signatures -----
    #[error("malformed SSH signature: {reason}")]
    MalformedSignature { reason: String },
    #[error(
        "signature was made for namespace {found:?}, expected {expected:?} (it is not a skillet review signature)"
    )]
    WrongNamespace { expected: String, found: String },
    #[error(
        "signature does not match the content: the skill changed since it was signed (or the signature was altered)"
    )]
    BadSignature,
    #[error("unsupported key type {algorithm}: skillet only accepts ssh-ed25519 keys")]
    UnsupportedKeyType { algorithm: String },
    #[error("malformed signature file: {reason}")]
    MalformedSignatureFile { reason: String },

    // ----- allowed_signers / revoked -----
    #[error("{path}:{line}: {message}")]
    AllowedSigners {
        path: PathBuf,
        line: usize,
        message: String,
    },
    #[error("{path}:{line}: {message}")]
    Revoked {
        path: PathBuf,
        line: usize,
        message: String,
    },

    // ----- keys -----
    #[error(
        "{path}: the private key is passphrase-protected; set {env} to its passphrase",
        env = keys::PASSPHRASE_ENV
    )]
    NeedsPassphrase { path: PathBuf },
    #[error("{path}: wrong passphrase for this private key")]
    WrongPassphrase { path: PathBuf },
    #[error("{path}: {reason}")]
    KeyFile { path: PathBuf, reason: String },
    #[error("{path} already exists; refusing to overwrite it")]
    AlreadyExists { path: PathBuf },
    #[error("SSH key error: {0}")]
    Ssh(#[from] ssh_key::Error),

    // ----- verifying a signature file against a skill -----
    #[error("signature is for skill {signed:?} but the manifest is for {actual:?}")]
    SkillMismatch { signed: String, actual: String },
    #[error(
        "the skill's content changed since it was signed: signed manifest-sha256 {signed}, current {actual}"
    )]
    ManifestMismatch { signed: String, actual: String },
    #[error("the signing key {fingerprint} is revoked (listed in {path})")]
    RevokedKey { fingerprint: String, path: PathBuf },
    #[error("signer {principal:?} is not trusted: {rejection}")]
    NotAllowed {
        principal: String,
        rejection: Rejection,
    },
}

/// A signature that passed every check of [`verify_signature_file`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedSignature {
    pub principal: String,
    pub key: ssh_key::PublicKey,
    /// `SHA256:...`, as `ssh-keygen -l` prints it.
    pub fingerprint: String,
}

/// Full check of one signature file against the current content of a skill:
/// skill name and manifest digest match the header, the SSHSIG verifies over
/// the manifest under [`NAMESPACE`], the key is not revoked, and
/// `allowed_signers` lists it for the header's principal, for [`NAMESPACE`],
/// at time `at` (unix seconds). Checks run in that order; the first failure
/// is returned.
pub fn verify_signature_file(
    file: &SignatureFile,
    manifest: &Manifest,
    allowed: &AllowedSigners,
    revoked: &Revoked,
    at: u64,
) -> Result<VerifiedSignature, SigningError> {
    if file.skill != manifest.name {
        return Err(SigningError::SkillMismatch {
            signed: file.skill.clone(),
            actual: manifest.name.clone(),
        });
    }
    let actual = manifest.digest();
    if file.manifest_digest != actual {
        return Err(SigningError::ManifestMismatch {
            signed: file.manifest_digest.clone(),
            actual,
        });
    }
    let key = verify(&file.armored, &manifest.to_bytes(), NAMESPACE)?;
    let fingerprint = key.fingerprint(ssh_key::HashAlg::Sha256).to_string();
    if revoked.is_revoked(&key) {
        return Err(SigningError::RevokedKey {
            fingerprint,
            path: revoked.path.clone(),
        });
    }
    let principal = allowed
        .check(&key, Some(&file.principal), NAMESPACE, at)
        .map_err(|rejection| SigningError::NotAllowed {
            principal: file.principal.clone(),
            rejection,
        })?;
    Ok(VerifiedSignature {
        principal,
        key,
        fingerprint,
    })
}

/// Something that can produce a review signature (an armored `SSHSIG` under
/// [`NAMESPACE`]) over a message, typically [`Manifest::to_bytes`].
pub trait Signer {
    /// Sign `message`; returns the armored `-----BEGIN SSH SIGNATURE-----` text.
    fn sign(&self, message: &[u8]) -> Result<String, SigningError>;
    /// The public key that verifies this signer's signatures.
    fn public_key(&self) -> ssh_key::PublicKey;
}

/// In-process signer over an (already decrypted) ed25519 OpenSSH private key.
pub struct SshKeySigner {
    key: ssh_key::PrivateKey,
}

impl SshKeySigner {
    /// Wrap a private key. Refuses encrypted keys (decrypt with
    /// [`keys::load_private_key`] first) and non-ed25519 keys.
    pub fn new(key: ssh_key::PrivateKey) -> Result<Self, SigningError> {
        sshsig::check_signing_key(&key)?;
        Ok(Self { key })
    }

    /// A deterministic key from a 32-byte seed. For tests and demos only:
    /// anyone who knows the seed can sign.
    pub fn from_seed(seed: [u8; 32], comment: &str) -> Self {
        let keypair = ssh_key::private::Ed25519Keypair::from_seed(&seed);
        let mut key = ssh_key::PrivateKey::from(keypair);
        key.set_comment(comment);
        Self { key }
    }

    pub fn private_key(&self) -> &ssh_key::PrivateKey {
        &self.key
    }
}

impl Signer for SshKeySigner {
    fn sign(&self, message: &[u8]) -> Result<String, SigningError> {
        sshsig::sign(&self.key, message)
    }

    fn public_key(&self) -> ssh_key::PublicKey {
        self.key.public_key().clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn end_to_end_signature_file() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("weather");
        std::fs::create_dir_all(dir.join("scripts")).unwrap();
        std::fs::write(dir.join("SKILL.md"), "# Weather\n").unwrap();
        std::fs::write(dir.join("scripts/index.ts"), "export {};\n").unwrap();
        let m = manifest(&dir).unwrap();

        let alice = SshKeySigner::from_seed([1; 32], "alice");
        let file = SignatureFile {
            skill: m.name.clone(),
            version: 1,
            manifest_digest: m.digest(),
            principal: "alice@example.com".into(),
            armored: alice.sign(&m.to_bytes()).unwrap(),
        };
        let file = SignatureFile::parse(&file.render()).unwrap();
        let allowed_text = format!(
            "alice@example.com valid-before=\"20300101Z\" {}\n",
            alice.public_key().to_openssh().unwrap()
        );
        let allowed = AllowedSigners::parse(&allowed_text, Path::new("allowed_signers")).unwrap();
        let none = Revoked::default();
        let now = 1_750_000_000;

        let ok = verify_signature_file(&file, &m, &allowed, &none, now).unwrap();
        assert_eq!(ok.principal, "alice@example.com");
        assert!(ok.fingerprint.starts_with("SHA256:"));

        // Content changed after signing.
        std::fs::write(dir.join("SKILL.md"), "# Weather!\n").unwrap();
        let changed = manifest(&dir).unwrap();
        let err = verify_signature_file(&file, &changed, &allowed, &none, now).unwrap_err();
        assert!(
            matches!(err, SigningError::ManifestMismatch { .. }),
            "{err}"
        );
        // ... even if someone also rewrote the header digest.
        let mut forged = file.clone();
        forged.manifest_digest = changed.digest();
        let err = verify_signature_file(&forged, &changed, &allowed, &none, now).unwrap_err();
        assert!(matches!(err, SigningError::BadSignature), "{err}");

        // Revoked key.
        let revoked = Revoked::parse(
            &alice.public_key().to_openssh().unwrap(),
            Path::new("signing/revoked"),
        )
        .unwrap();
        let err = verify_signature_file(&file, &m, &allowed, &revoked, now).unwrap_err();
        assert!(err.to_string().contains("revoked"), "{err}");

        // Wrong principal in header, expired key, unknown key.
        let mut other = file.clone();
        other.principal = "bob@example.com".into();
        let err = verify_signature_file(&other, &m, &allowed, &none, now).unwrap_err();
        assert!(matches!(
            err,
            SigningError::NotAllowed {
                rejection: Rejection::PrincipalMismatch { .. },
                ..
            }
        ));
        let err = verify_signature_file(&file, &m, &allowed, &none, 2_000_000_000).unwrap_err();
        assert!(err.to_string().contains("expired"), "{err}");
        let empty = AllowedSigners::default();
        let err = verify_signature_file(&file, &m, &empty, &none, now).unwrap_err();
        assert!(err.to_string().contains("not listed"), "{err}");
    }

    #[test]
    fn seeded_signer_is_deterministic_and_verifies() {
        let a = SshKeySigner::from_seed([7; 32], "test");
        let b = SshKeySigner::from_seed([7; 32], "test");
        assert_eq!(a.public_key(), b.public_key());
        let sig_a = a.sign(b"hello").unwrap();
        let sig_b = b.sign(b"hello").unwrap();
        assert_eq!(sig_a, sig_b, "ed25519 signatures are deterministic");
        let signer = verify(&sig_a, b"hello", NAMESPACE).unwrap();
        assert_eq!(signer.key_data(), a.public_key().key_data());
    }
}
