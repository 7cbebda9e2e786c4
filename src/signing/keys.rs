//! Reviewer keys: loading OpenSSH private keys and generating new ones.
//!
//! skillet signs with ed25519 keys in OpenSSH format (what `ssh-keygen -t
//! ed25519` writes). A passphrase-protected key is decrypted with the
//! passphrase the caller reads from the environment variable [`PASSPHRASE_ENV`]
//! (`SKILLET_SSH_PASSPHRASE`); skillet never prompts and never talks to
//! `ssh-agent`.

use std::io::Write;
use std::path::{Path, PathBuf};

use ssh_key::{Algorithm, LineEnding, PrivateKey, PublicKey};

use super::SigningError;

/// Environment variable holding the passphrase of an encrypted private key.
pub const PASSPHRASE_ENV: &str = "SKILLET_SSH_PASSPHRASE";

/// `<home>/.ssh/id_ed25519` (relative `.ssh/id_ed25519` without a home). The caller reads the
/// environment; this module never does.
pub fn default_key_path(home: Option<&Path>) -> PathBuf {
    home.map(Path::to_path_buf)
        .unwrap_or_default()
        .join(".ssh")
        .join("id_ed25519")
}

/// Load an ed25519 OpenSSH private key, decrypting it with `passphrase` if
/// it is encrypted.
pub fn load_private_key(path: &Path, passphrase: Option<&str>) -> Result<PrivateKey, SigningError> {
    let bad = |reason: String| SigningError::KeyFile {
        path: path.to_path_buf(),
        reason,
    };
    let bytes = fs_err::read(path)?;
    let text = String::from_utf8_lossy(&bytes);
    let text = text.trim_start();
    if !text.starts_with("-----BEGIN OPENSSH PRIVATE KEY-----") {
        return Err(bad(
            if text.starts_with("-----BEGIN ") && text.contains("PRIVATE KEY-----") {
                format!(
                    "PEM/PKCS#8 private keys are not supported; convert to OpenSSH format with `ssh-keygen -p -f {}`",
                    path.display()
                )
            } else if text.starts_with("ssh-")
                || text.starts_with("ecdsa-")
                || text.starts_with("sk-")
            {
                "this is a public key; pass the private key file (without .pub)".to_owned()
            } else {
                "not an OpenSSH private key (expected -----BEGIN OPENSSH PRIVATE KEY-----)"
                    .to_owned()
            },
        ));
    }
    let key = PrivateKey::from_openssh(text.as_bytes()).map_err(|e| {
        bad(format!(
            "cannot read private key ({e}); skillet needs an ed25519 key in OpenSSH format"
        ))
    })?;
    if key.algorithm() != Algorithm::Ed25519 {
        return Err(SigningError::UnsupportedKeyType {
            algorithm: key.algorithm().as_str().to_owned(),
        });
    }
    if !key.is_encrypted() {
        return Ok(key);
    }
    let Some(passphrase) = passphrase else {
        return Err(SigningError::NeedsPassphrase {
            path: path.to_path_buf(),
        });
    };
    match key.decrypt(passphrase) {
        Ok(k) => Ok(k),
        Err(ssh_key::Error::Crypto) => Err(SigningError::WrongPassphrase {
            path: path.to_path_buf(),
        }),
        Err(e) => Err(bad(format!("cannot decrypt private key: {e}"))),
    }
}

/// Generate a new ed25519 key: the private key at `path` (mode 0600,
/// unencrypted OpenSSH format) and the public key at `<path>.pub`. Refuses to
/// overwrite either file. Creates the parent directory (mode 0700) if needed.
pub fn keygen(path: &Path, comment: &str) -> Result<PublicKey, SigningError> {
    let pub_path = pub_path(path);
    for p in [path, pub_path.as_path()] {
        if fs_err::symlink_metadata(p).is_ok() {
            return Err(SigningError::AlreadyExists {
                path: p.to_path_buf(),
            });
        }
    }
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty())
        && !parent.exists()
    {
        let mut builder = std::fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        builder.create(parent).map_err(|e| SigningError::KeyFile {
            path: parent.to_path_buf(),
            reason: format!("cannot create directory: {e}"),
        })?;
    }
    let mut key = PrivateKey::random(&mut rand_core::OsRng, Algorithm::Ed25519)?;
    key.set_comment(comment);
    let pem = key.to_openssh(LineEnding::LF)?;
    write_new(path, pem.as_bytes(), 0o600)?;
    let public = key.public_key().clone();
    let line = format!("{}\n", public.to_openssh()?);
    if let Err(e) = write_new(&pub_path, line.as_bytes(), 0o644) {
        let _ = fs_err::remove_file(path);
        return Err(e);
    }
    Ok(public)
}

fn pub_path(path: &Path) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(".pub");
    PathBuf::from(s)
}

fn write_new(path: &Path, content: &[u8], mode: u32) -> Result<(), SigningError> {
    let mut opts = fs_err::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use fs_err::os::unix::fs::OpenOptionsExt;
        opts.mode(mode);
    }
    #[cfg(not(unix))]
    let _ = mode;
    let mut f = opts.open(path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            SigningError::AlreadyExists {
                path: path.to_path_buf(),
            }
        } else {
            e.into()
        }
    })?;
    f.write_all(content)?;
    f.sync_all()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signing::{NAMESPACE, Signer, SshKeySigner, sign, verify};
    use std::process::Command;

    fn ssh_keygen(dir: &Path, args: &[&str]) {
        let out = Command::new("ssh-keygen")
            .args(args)
            .current_dir(dir)
            .output()
            .expect("ssh-keygen on PATH");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    #[test]
    fn interop_passphrase_protected_key_from_ssh_keygen() {
        let tmp = tempfile::tempdir().unwrap();
        ssh_keygen(
            tmp.path(),
            &[
                "-q", "-t", "ed25519", "-N", "secret", "-C", "c", "-f", "key",
            ],
        );
        let path = tmp.path().join("key");

        let err = load_private_key(&path, None).unwrap_err();
        assert!(
            matches!(err, SigningError::NeedsPassphrase { .. }),
            "{err:?}"
        );
        assert!(err.to_string().contains(PASSPHRASE_ENV), "{err}");

        let err = load_private_key(&path, Some("wrong")).unwrap_err();
        assert!(
            matches!(err, SigningError::WrongPassphrase { .. }),
            "{err:?}"
        );
        assert!(err.to_string().contains("wrong passphrase"), "{err}");

        let key = load_private_key(&path, Some("secret")).unwrap();
        let public = PublicKey::read_openssh_file(&tmp.path().join("key.pub")).unwrap();
        assert_eq!(key.public_key().key_data(), public.key_data());
        let sig = sign(&key, b"m").unwrap();
        assert_eq!(
            verify(&sig, b"m", NAMESPACE).unwrap().key_data(),
            public.key_data()
        );
    }

    #[test]
    fn unencrypted_and_wrong_kinds() {
        let tmp = tempfile::tempdir().unwrap();
        ssh_keygen(
            tmp.path(),
            &["-q", "-t", "ed25519", "-N", "", "-f", "plain"],
        );
        // Passphrase given for an unencrypted key: ignored.
        load_private_key(&tmp.path().join("plain"), Some("x")).unwrap();
        load_private_key(&tmp.path().join("plain"), None).unwrap();

        let err = load_private_key(&tmp.path().join("plain.pub"), None).unwrap_err();
        assert!(err.to_string().contains("this is a public key"), "{err}");

        ssh_keygen(tmp.path(), &["-q", "-t", "ecdsa", "-N", "", "-f", "ec"]);
        let err = load_private_key(&tmp.path().join("ec"), None).unwrap_err();
        assert!(err.to_string().contains("ed25519"), "{err}");

        ssh_keygen(
            tmp.path(),
            &["-q", "-t", "ecdsa", "-m", "PEM", "-N", "", "-f", "pem"],
        );
        let err = load_private_key(&tmp.path().join("pem"), None).unwrap_err();
        assert!(err.to_string().contains("ssh-keygen -p -f"), "{err}");

        std::fs::write(tmp.path().join("junk"), b"\xff\x00junk").unwrap();
        let err = load_private_key(&tmp.path().join("junk"), None).unwrap_err();
        assert!(
            err.to_string().contains("not an OpenSSH private key"),
            "{err}"
        );

        std::fs::write(
            tmp.path().join("trunc"),
            "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----\n",
        )
        .unwrap();
        let err = load_private_key(&tmp.path().join("trunc"), None).unwrap_err();
        assert!(err.to_string().contains("cannot read private key"), "{err}");

        let err = load_private_key(&tmp.path().join("missing"), None).unwrap_err();
        assert!(err.to_string().contains("missing"), "{err}");
    }

    #[test]
    fn keygen_writes_usable_keys_and_refuses_overwrite() {
        use std::os::unix::fs::PermissionsExt;
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("sub/dir/id_ed25519");
        let public = keygen(&path, "alice@example.com").unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        let dir_mode = std::fs::metadata(path.parent().unwrap())
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(dir_mode & 0o777, 0o700);
        let pub_text = std::fs::read_to_string(tmp.path().join("sub/dir/id_ed25519.pub")).unwrap();
        assert!(
            pub_text.starts_with("ssh-ed25519 AAAA") && pub_text.ends_with(" alice@example.com\n")
        );

        let key = load_private_key(&path, None).unwrap();
        assert_eq!(key.public_key().key_data(), public.key_data());
        let signer = SshKeySigner::new(key).unwrap();
        assert_eq!(signer.public_key().key_data(), public.key_data());

        // ssh-keygen accepts the generated private key (derives the same public key).
        let out = Command::new("ssh-keygen")
            .arg("-y")
            .arg("-f")
            .arg(&path)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(pub_text.starts_with(String::from_utf8_lossy(&out.stdout).trim()));

        let err = keygen(&path, "again").unwrap_err();
        assert!(matches!(err, SigningError::AlreadyExists { .. }), "{err:?}");
        // Only the .pub existing also refuses, and leaves it untouched.
        let other = tmp.path().join("other");
        std::fs::write(tmp.path().join("other.pub"), "keep").unwrap();
        assert!(matches!(
            keygen(&other, "x"),
            Err(SigningError::AlreadyExists { .. })
        ));
        assert!(!other.exists());
        assert_eq!(
            std::fs::read_to_string(tmp.path().join("other.pub")).unwrap(),
            "keep"
        );
    }

    #[test]
    fn default_path_ends_in_id_ed25519() {
        assert_eq!(
            default_key_path(Some(Path::new("/home/me"))),
            Path::new("/home/me/.ssh/id_ed25519")
        );
        assert_eq!(default_key_path(None), Path::new(".ssh/id_ed25519"));
    }
}
