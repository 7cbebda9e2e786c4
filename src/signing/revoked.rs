//! `signing/revoked`: public keys whose signatures are no longer accepted.
//!
//! One OpenSSH public key per line (`ssh-ed25519 AAAA... [comment]`, the
//! format of a `.pub` file); blank lines and `#` comments are skipped. This is
//! the plain-text form that `ssh-keygen -Y verify -r` also accepts. OpenSSH's
//! binary KRL format is not supported.

use std::path::{Path, PathBuf};

use ssh_key::PublicKey;

use super::SigningError;

const KRL_MAGIC: &[u8] = b"SSHKRL\n\0";

/// Parsed revocation list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Revoked {
    pub path: PathBuf,
    pub keys: Vec<PublicKey>,
}

impl Revoked {
    /// Read and parse `path`; a missing file means "nothing revoked".
    pub fn load(path: &Path) -> Result<Self, SigningError> {
        let bytes = match fs_err::read(path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(Self {
                    path: path.to_path_buf(),
                    keys: Vec::new(),
                });
            }
            Err(e) => return Err(e.into()),
        };
        if bytes.starts_with(KRL_MAGIC) {
            return Err(krl_error(path));
        }
        let text = String::from_utf8(bytes).map_err(|_| SigningError::Revoked {
            path: path.to_path_buf(),
            line: 1,
            message: "not UTF-8 text; skillet expects one public key per line (binary KRLs are not supported)".to_owned(),
        })?;
        Self::parse(&text, path)
    }

    /// Parse file content; `path` is only used in error messages.
    pub fn parse(text: &str, path: &Path) -> Result<Self, SigningError> {
        if text.as_bytes().starts_with(&KRL_MAGIC[..6]) {
            return Err(krl_error(path));
        }
        let mut keys = Vec::new();
        for (i, raw) in text.lines().enumerate() {
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let err = |message: String| SigningError::Revoked {
                path: path.to_path_buf(),
                line: i + 1,
                message,
            };
            let mut parts = line.split_whitespace();
            let (Some(kind), Some(b64)) = (parts.next(), parts.next()) else {
                return Err(err(format!(
                    "expected a public key `ssh-ed25519 AAAA... [comment]`, got {line:?}"
                )));
            };
            match PublicKey::from_openssh(&format!("{kind} {b64}")) {
                Ok(k) => keys.push(k),
                Err(e) => {
                    return Err(err(format!(
                        "not a public key ({e}); expected `ssh-ed25519 AAAA... [comment]` (binary KRLs are not supported)"
                    )));
                }
            }
        }
        Ok(Self {
            path: path.to_path_buf(),
            keys,
        })
    }

    /// Is this key (comment ignored) revoked?
    pub fn is_revoked(&self, key: &PublicKey) -> bool {
        self.keys.iter().any(|k| k.key_data() == key.key_data())
    }
}

fn krl_error(path: &Path) -> SigningError {
    SigningError::Revoked {
        path: path.to_path_buf(),
        line: 1,
        message: "this is a binary OpenSSH KRL, which skillet does not support; list revoked public keys one per line instead".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signing::{Signer, SshKeySigner};

    fn key(seed: u8) -> PublicKey {
        SshKeySigner::from_seed([seed; 32], "").public_key()
    }

    #[test]
    fn revoked_key_detected() {
        let text = format!(
            "# compromised 2024-05\n\n{} old laptop\n",
            key(1).to_openssh().unwrap()
        );
        let r = Revoked::parse(&text, Path::new("signing/revoked")).unwrap();
        assert!(r.is_revoked(&key(1)));
        assert!(!r.is_revoked(&key(2)));
    }

    #[test]
    fn errors() {
        let p = Path::new("signing/revoked");
        let err = Revoked::parse("# ok\nnonsense\n", p)
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("signing/revoked:2: expected a public key"),
            "{err}"
        );
        let err = Revoked::parse("ssh-ed25519 AAAA\n", p)
            .unwrap_err()
            .to_string();
        assert!(err.contains(":1: not a public key"), "{err}");
        let tmp = tempfile::tempdir().unwrap();
        let krl = tmp.path().join("revoked");
        std::fs::write(&krl, b"SSHKRL\n\0\0\0\0\x01binary\xff").unwrap();
        let err = Revoked::load(&krl).unwrap_err().to_string();
        assert!(err.contains("binary OpenSSH KRL"), "{err}");
        // Missing file: nothing revoked.
        assert!(
            Revoked::load(&tmp.path().join("nope"))
                .unwrap()
                .keys
                .is_empty()
        );
    }

    /// A real KRL made by ssh-keygen is refused with the KRL message.
    #[test]
    fn interop_real_krl_refused() {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::write(tmp.path().join("k.pub"), key(1).to_openssh().unwrap()).unwrap();
        let out = std::process::Command::new("ssh-keygen")
            .args(["-k", "-f", "krl", "k.pub"])
            .current_dir(tmp.path())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let err = Revoked::load(&tmp.path().join("krl"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("binary OpenSSH KRL"), "{err}");
    }
}
