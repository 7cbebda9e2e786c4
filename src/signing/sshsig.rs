//! OpenSSH `SSHSIG` signatures (the format of `ssh-keygen -Y sign`) and the
//! signature files a registry keeps in `signing/signatures/<skill>/<signer>.sig`.
//!
//! Signatures are made over [`Manifest::to_bytes`](super::Manifest::to_bytes)
//! under the namespace [`NAMESPACE`] with SHA-512 (OpenSSH's default), so
//! `ssh-keygen -Y verify -n skillet-skill-review@skillet` accepts them and
//! signatures made by `ssh-keygen -Y sign` verify here.
//!
//! # Signature file
//!
//! ```text
//! skill: weather
//! version: 3
//! manifest-sha256: <64 hex digits>
//! principal: alice@example.com
//!
//! -----BEGIN SSH SIGNATURE-----
//! ...
//! -----END SSH SIGNATURE-----
//! ```
//!
//! Only the armored signature is cryptographic: it signs the manifest, which
//! contains the skill name and every file's hash. The header lines are a
//! convenient index: a verifier must recompute the manifest, check its digest
//! against `manifest-sha256`, and check `principal` against `allowed_signers`
//! for the key found inside the signature. `version` is not signed: a
//! signature vouches for content, whatever version number that content has.

use ssh_key::{Algorithm, HashAlg, LineEnding, PrivateKey, PublicKey, SshSig};

use super::SigningError;

/// The SSHSIG namespace of skillet review signatures.
pub const NAMESPACE: &str = "skillet-skill-review@skillet";

const ARMOR_BEGIN: &str = "-----BEGIN SSH SIGNATURE-----";
const ARMOR_END: &str = "-----END SSH SIGNATURE-----";

pub(crate) fn check_signing_key(key: &PrivateKey) -> Result<(), SigningError> {
    if key.algorithm() != Algorithm::Ed25519 {
        return Err(SigningError::UnsupportedKeyType {
            algorithm: key.algorithm().as_str().to_owned(),
        });
    }
    if key.is_encrypted() {
        return Err(SigningError::KeyFile {
            path: Default::default(),
            reason: "the private key is still encrypted; load it with its passphrase first"
                .to_owned(),
        });
    }
    Ok(())
}

/// Sign `message` under [`NAMESPACE`]; returns the armored signature
/// (`-----BEGIN SSH SIGNATURE-----`, 70-column base64, `\n` line endings,
/// trailing newline), byte-identical to `ssh-keygen -Y sign`'s output.
pub fn sign(key: &PrivateKey, message: &[u8]) -> Result<String, SigningError> {
    sign_in_namespace(key, NAMESPACE, message)
}

/// [`sign`] with an explicit namespace (tests and tooling).
pub fn sign_in_namespace(
    key: &PrivateKey,
    namespace: &str,
    message: &[u8],
) -> Result<String, SigningError> {
    check_signing_key(key)?;
    let sig = key.sign(namespace, HashAlg::Sha512, message)?;
    let mut pem = sig.to_pem(LineEnding::LF)?;
    if !pem.ends_with('\n') {
        pem.push('\n');
    }
    Ok(pem)
}

/// Verify an armored SSHSIG over `message` in `namespace`; returns the
/// signer's public key (from inside the signature: decide whether to trust it
/// with [`AllowedSigners`](super::AllowedSigners) and [`Revoked`](super::Revoked)).
pub fn verify(armored: &str, message: &[u8], namespace: &str) -> Result<PublicKey, SigningError> {
    let normalized = normalize_armor(armored)?;
    let sig = match SshSig::from_pem(normalized.as_bytes()) {
        Ok(sig) => sig,
        Err(e) => {
            // ssh-key can't even decode some key types (ecdsa without that
            // feature); say "unsupported" rather than "malformed" for those.
            if let Some(alg) = peek_key_algorithm(&normalized)
                && alg != Algorithm::Ed25519.as_str()
            {
                return Err(SigningError::UnsupportedKeyType { algorithm: alg });
            }
            return Err(SigningError::MalformedSignature {
                reason: e.to_string(),
            });
        }
    };
    // ssh-key's decoder tolerates some envelope slack (e.g. an over-long
    // length prefix); accept only the canonical encoding so a signature has
    // exactly one textual form.
    let canonical = sig.to_pem(LineEnding::LF)?;
    if armor_body(&canonical) != armor_body(&normalized) {
        return Err(SigningError::MalformedSignature {
            reason: "non-canonical SSHSIG encoding".to_owned(),
        });
    }
    if sig.version() != SshSig::VERSION {
        return Err(SigningError::MalformedSignature {
            reason: format!("unsupported SSHSIG version {}", sig.version()),
        });
    }
    if sig.namespace() != namespace {
        return Err(SigningError::WrongNamespace {
            expected: namespace.to_owned(),
            found: sig.namespace().to_owned(),
        });
    }
    let key_alg = sig.public_key().algorithm();
    if key_alg != Algorithm::Ed25519 || sig.algorithm() != Algorithm::Ed25519 {
        return Err(SigningError::UnsupportedKeyType {
            algorithm: key_alg.as_str().to_owned(),
        });
    }
    let public = PublicKey::new(sig.public_key().clone(), "");
    public
        .verify(namespace, message, &sig)
        .map_err(|_| SigningError::BadSignature)?;
    Ok(public)
}

/// Trim surrounding whitespace, normalize CRLF, and check the armor lines.
fn normalize_armor(armored: &str) -> Result<String, SigningError> {
    let text = armored.replace("\r\n", "\n");
    let text = text.trim();
    if !text.starts_with(ARMOR_BEGIN) {
        return Err(SigningError::MalformedSignature {
            reason: format!("does not start with {ARMOR_BEGIN}"),
        });
    }
    if !text.ends_with(ARMOR_END) {
        return Err(SigningError::MalformedSignature {
            reason: format!("does not end with {ARMOR_END}"),
        });
    }
    Ok(format!("{text}\n"))
}

/// The base64 body of an armored block, whitespace removed.
fn armor_body(armored: &str) -> String {
    armored
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .flat_map(|l| l.trim().chars())
        .collect()
}

/// Best effort: the key algorithm name inside an armored SSHSIG blob.
fn peek_key_algorithm(armored: &str) -> Option<String> {
    let blob = base64_decode(&armor_body(armored))?;
    let rest = blob.strip_prefix(b"SSHSIG")?;
    let rest = rest.get(4..)?; // version
    let (key_blob, _) = read_string(rest)?;
    let (alg, _) = read_string(key_blob)?;
    String::from_utf8(alg.to_vec()).ok()
}

fn read_string(data: &[u8]) -> Option<(&[u8], &[u8])> {
    let len_bytes: [u8; 4] = data.get(..4)?.try_into().ok()?;
    let len = usize::try_from(u32::from_be_bytes(len_bytes)).ok()?;
    let end = 4usize.checked_add(len)?;
    Some((data.get(4..end)?, data.get(end..)?))
}

fn base64_decode(s: &str) -> Option<Vec<u8>> {
    fn val(c: u8) -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        } as u32)
    }
    let s = s.trim_end_matches('=').as_bytes();
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let mut acc = 0u32;
    let mut bits = 0u32;
    for &c in s {
        acc = (acc << 6) | val(c)?;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

/// One reviewer's signature of one skill version, as stored in
/// `signing/signatures/<skill>/<signer-file>.sig`. See the module docs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignatureFile {
    pub skill: String,
    pub version: u64,
    /// Lowercase hex SHA-256 of the signed manifest.
    pub manifest_digest: String,
    pub principal: String,
    /// The armored `SSHSIG`, `-----BEGIN SSH SIGNATURE-----` ... with a
    /// trailing newline.
    pub armored: String,
}

impl SignatureFile {
    /// Parse a signature file. Strict: exactly the four header fields, once
    /// each, then a blank line, then the armored signature.
    pub fn parse(text: &str) -> Result<Self, SigningError> {
        let bad = |reason: String| SigningError::MalformedSignatureFile { reason };
        let text = text.replace("\r\n", "\n");
        // The armored signature comes first, so the file is also a plain SSHSIG file that
        // `ssh-keygen -Y verify -s FILE` reads (it ignores what follows the END line).
        const END: &str = "-----END SSH SIGNATURE-----";
        let Some(end) = text.find(END) else {
            return Err(bad(
                "expected the armored signature, then `key: value` lines".to_owned(),
            ));
        };
        let (armored, header) = text.split_at(end + END.len());
        let armored = armored.trim_start().to_owned() + "\n";
        let header = header.trim_matches('\n');
        let (mut skill, mut version, mut digest, mut principal) = (None, None, None, None);
        for (i, line) in header.lines().enumerate() {
            let n = i + 1;
            let Some((key, value)) = line.split_once(':') else {
                return Err(bad(format!(
                    "line {n}: expected `key: value`, got {line:?}"
                )));
            };
            let value = value.trim();
            if value.is_empty() {
                return Err(bad(format!("line {n}: empty value for {key:?}")));
            }
            let slot = match key.trim() {
                "skill" => &mut skill,
                "version" => &mut version,
                "manifest-sha256" => &mut digest,
                "principal" => &mut principal,
                other => return Err(bad(format!("line {n}: unknown header field {other:?}"))),
            };
            if slot.replace(value.to_owned()).is_some() {
                return Err(bad(format!("line {n}: duplicate header field {key:?}")));
            }
        }
        let missing = |f: &str| bad(format!("missing header field {f:?}"));
        let skill = skill.ok_or_else(|| missing("skill"))?;
        let version = version.ok_or_else(|| missing("version"))?;
        let version = version
            .parse::<u64>()
            .map_err(|_| bad(format!("version {version:?} is not a non-negative integer")))?;
        let manifest_digest = digest.ok_or_else(|| missing("manifest-sha256"))?;
        if manifest_digest.len() != 64
            || !manifest_digest
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        {
            return Err(bad(format!(
                "manifest-sha256 {manifest_digest:?} is not 64 lowercase hex digits"
            )));
        }
        let principal = principal.ok_or_else(|| missing("principal"))?;
        let armored =
            normalize_armor(&armored).map_err(|e| bad(format!("signature block: {e}")))?;
        Ok(Self {
            skill,
            version,
            manifest_digest,
            principal,
            armored,
        })
    }

    /// The file's text; `parse(render())` round-trips.
    pub fn render(&self) -> String {
        let armored = self.armored.trim_end();
        format!(
            "{armored}\nskill: {}\nversion: {}\nmanifest-sha256: {}\nprincipal: {}\n",
            self.skill, self.version, self.manifest_digest, self.principal
        )
    }

    /// File name for this signature, from the principal.
    pub fn file_name(&self) -> String {
        signature_file_name(&self.principal)
    }
}

/// A safe file name for a principal's signature: `@` becomes `_at_`, any byte
/// outside `[A-Za-z0-9._-]` becomes `_`, a leading `.` is escaped, and `.sig`
/// is appended: `alice@example.com` -> `alice_at_example.com.sig`.
pub fn signature_file_name(principal: &str) -> String {
    let mut out = String::with_capacity(principal.len() + 8);
    for c in principal.chars() {
        match c {
            '@' => out.push_str("_at_"),
            'A'..='Z' | 'a'..='z' | '0'..='9' | '.' | '_' | '-' => out.push(c),
            _ => out.push('_'),
        }
    }
    if out.is_empty() || out.starts_with('.') {
        out.insert(0, '_');
    }
    out.push_str(".sig");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signing::{Signer, SshKeySigner};
    use std::path::Path;
    use std::process::{Command, Stdio};

    const SEED: [u8; 32] = [42; 32];
    const MSG: &[u8] = b"skillet-skill-manifest v1\nname demo\n";

    fn signer() -> SshKeySigner {
        SshKeySigner::from_seed(SEED, "alice@example.com")
    }

    fn ssh_keygen(dir: &Path, args: &[&str], stdin: Option<&[u8]>) -> std::process::Output {
        use std::io::Write;
        let mut child = Command::new("ssh-keygen")
            .args(args)
            .current_dir(dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("ssh-keygen on PATH");
        let mut pipe = child.stdin.take().unwrap();
        pipe.write_all(stdin.unwrap_or_default()).unwrap();
        drop(pipe);
        child.wait_with_output().unwrap()
    }

    #[test]
    fn roundtrip_and_tamper() {
        let s = signer();
        let armored = s.sign(MSG).unwrap();
        assert!(armored.starts_with("-----BEGIN SSH SIGNATURE-----\n"));
        assert!(armored.ends_with("-----END SSH SIGNATURE-----\n"));
        let key = verify(&armored, MSG, NAMESPACE).unwrap();
        assert_eq!(key.key_data(), s.public_key().key_data());

        let mut tampered = MSG.to_vec();
        tampered[30] ^= 1;
        assert!(matches!(
            verify(&armored, &tampered, NAMESPACE),
            Err(SigningError::BadSignature)
        ));
        // CRLF / surrounding whitespace tolerated.
        let crlf = format!("\n  {}", armored.replace('\n', "\r\n"));
        verify(&crlf, MSG, NAMESPACE).unwrap();
    }

    #[test]
    fn wrong_namespace_is_named() {
        let s = signer();
        let armored = sign_in_namespace(s.private_key(), "git", MSG).unwrap();
        let err = verify(&armored, MSG, NAMESPACE).unwrap_err();
        match &err {
            SigningError::WrongNamespace { found, expected } => {
                assert_eq!(found, "git");
                assert_eq!(expected, NAMESPACE);
            }
            other => panic!("{other:?}"),
        }
        assert!(err.to_string().contains("\"git\""), "{err}");
    }

    #[test]
    fn malformed_inputs_never_panic() {
        let s = signer();
        let armored = s.sign(MSG).unwrap();
        for bad in [
            "",
            "garbage",
            "-----BEGIN SSH SIGNATURE-----\n-----END SSH SIGNATURE-----\n",
            "-----BEGIN SSH SIGNATURE-----\n!!!!\n-----END SSH SIGNATURE-----\n",
            "-----BEGIN SSH SIGNATURE-----\nU1NIU0lH\n-----END SSH SIGNATURE-----\n",
            &armored[..armored.len() / 2],
        ] {
            let err = verify(bad, MSG, NAMESPACE).unwrap_err();
            assert!(
                matches!(err, SigningError::MalformedSignature { .. }),
                "{bad:?}: {err:?}"
            );
        }
        // Flip every base64 character of the body: must error, never panic.
        let lines: Vec<&str> = armored.lines().collect();
        for li in 1..lines.len() - 1 {
            for ci in 0..lines[li].len() {
                let mut l = lines.clone();
                let mut chars: Vec<char> = l[li].chars().collect();
                chars[ci] = if chars[ci] == 'A' { 'B' } else { 'A' };
                let s: String = chars.into_iter().collect();
                l[li] = &s;
                let text = l.join("\n");
                assert!(
                    verify(&text, MSG, NAMESPACE).is_err(),
                    "line {li} col {ci}: {text}"
                );
            }
        }
    }

    #[test]
    fn base64_peek() {
        assert_eq!(base64_decode("U1NIU0lH").unwrap(), b"SSHSIG");
        assert_eq!(base64_decode("YQ==").unwrap(), b"a");
        assert!(base64_decode("**").is_none());
    }

    /// Our signature verifies with the real `ssh-keygen -Y verify`.
    #[test]
    fn interop_ours_verified_by_ssh_keygen() {
        let tmp = tempfile::tempdir().unwrap();
        let s = signer();
        let armored = s.sign(MSG).unwrap();
        std::fs::write(tmp.path().join("msg.sig"), &armored).unwrap();
        let pubkey = s.public_key().to_openssh().unwrap();
        std::fs::write(
            tmp.path().join("allowed_signers"),
            format!("alice@example.com namespaces=\"{NAMESPACE}\" {pubkey}\n"),
        )
        .unwrap();
        let verify_args = |ns: &'static str| {
            [
                "-Y",
                "verify",
                "-f",
                "allowed_signers",
                "-I",
                "alice@example.com",
                "-n",
                ns,
                "-s",
                "msg.sig",
            ]
        };
        let out = ssh_keygen(tmp.path(), &verify_args(NAMESPACE), Some(MSG));
        assert!(
            out.status.success(),
            "ssh-keygen -Y verify failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            String::from_utf8_lossy(&out.stdout)
                .contains("Good \"skillet-skill-review@skillet\" signature for alice@example.com")
        );

        // ssh-keygen also rejects a tampered message and another namespace.
        let out = ssh_keygen(tmp.path(), &verify_args(NAMESPACE), Some(b"tampered"));
        assert!(!out.status.success());
        let out = ssh_keygen(tmp.path(), &verify_args("git"), Some(MSG));
        assert!(!out.status.success());
    }

    /// Byte-identical to `ssh-keygen -Y sign` with the same key.
    #[test]
    fn interop_byte_identical_to_ssh_keygen_sign() {
        let tmp = tempfile::tempdir().unwrap();
        let s = signer();
        let pem = s.private_key().to_openssh(LineEnding::LF).unwrap();
        let key_path = tmp.path().join("key");
        std::fs::write(&key_path, pem.as_bytes()).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&key_path, std::fs::Permissions::from_mode(0o600)).unwrap();
        }
        std::fs::write(tmp.path().join("msg"), MSG).unwrap();
        let out = ssh_keygen(
            tmp.path(),
            &["-Y", "sign", "-f", "key", "-n", NAMESPACE, "msg"],
            None,
        );
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let theirs = std::fs::read_to_string(tmp.path().join("msg.sig")).unwrap();
        assert_eq!(theirs, s.sign(MSG).unwrap());
    }

    /// A key and signature made entirely by `ssh-keygen` verify with ours.
    #[test]
    fn interop_ssh_keygen_signature_verified_by_us() {
        let tmp = tempfile::tempdir().unwrap();
        let out = ssh_keygen(
            tmp.path(),
            &[
                "-q",
                "-t",
                "ed25519",
                "-N",
                "",
                "-C",
                "bob@example.com",
                "-f",
                "key",
            ],
            None,
        );
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        std::fs::write(tmp.path().join("manifest"), MSG).unwrap();
        for ns in [NAMESPACE, "git"] {
            let out = ssh_keygen(
                tmp.path(),
                &["-Y", "sign", "-f", "key", "-n", ns, "manifest"],
                None,
            );
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            let sig = std::fs::read_to_string(tmp.path().join("manifest.sig")).unwrap();
            std::fs::remove_file(tmp.path().join("manifest.sig")).unwrap();
            let expected_key = PublicKey::read_openssh_file(&tmp.path().join("key.pub")).unwrap();
            if ns == NAMESPACE {
                let key = verify(&sig, MSG, NAMESPACE).unwrap();
                assert_eq!(key.key_data(), expected_key.key_data());
                assert!(matches!(
                    verify(&sig, b"changed", NAMESPACE),
                    Err(SigningError::BadSignature)
                ));
            } else {
                let err = verify(&sig, MSG, NAMESPACE).unwrap_err();
                assert!(
                    matches!(&err, SigningError::WrongNamespace { found, .. } if found == "git"),
                    "{err:?}"
                );
            }
        }
    }

    /// Non-ed25519 signatures (made by ssh-keygen) are refused clearly.
    #[test]
    fn interop_non_ed25519_refused() {
        let tmp = tempfile::tempdir().unwrap();
        for (t, name) in [("ecdsa", "ecdsa-sha2-nistp256"), ("rsa", "ssh-rsa")] {
            let mut args = vec!["-q", "-t", t, "-N", "", "-f", t];
            if t == "rsa" {
                args.extend(["-b", "1024"]);
            }
            let out = ssh_keygen(tmp.path(), &args, None);
            if !out.status.success() {
                // Some builds refuse small RSA keys; try the default size.
                let out = ssh_keygen(tmp.path(), &["-q", "-t", t, "-N", "", "-f", t], None);
                assert!(
                    out.status.success(),
                    "{}",
                    String::from_utf8_lossy(&out.stderr)
                );
            }
            std::fs::write(tmp.path().join("m"), MSG).unwrap();
            let out = ssh_keygen(
                tmp.path(),
                &["-Y", "sign", "-f", t, "-n", NAMESPACE, "m"],
                None,
            );
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            let sig = std::fs::read_to_string(tmp.path().join("m.sig")).unwrap();
            std::fs::remove_file(tmp.path().join("m.sig")).unwrap();
            let err = verify(&sig, MSG, NAMESPACE).unwrap_err();
            assert!(
                matches!(&err, SigningError::UnsupportedKeyType { algorithm } if algorithm == name),
                "{t}: {err:?}"
            );
        }
    }

    #[test]
    fn signature_file_roundtrip_and_errors() {
        let s = signer();
        let armored = s.sign(MSG).unwrap();
        let sf = SignatureFile {
            skill: "weather".into(),
            version: 3,
            manifest_digest: "ab".repeat(32),
            principal: "alice@example.com".into(),
            armored: armored.clone(),
        };
        let text = sf.render();
        assert!(text.starts_with("-----BEGIN SSH SIGNATURE-----\n"));
        assert!(text.ends_with("-----END SSH SIGNATURE-----\nskill: weather\nversion: 3\nmanifest-sha256: abababababababababababababababababababababababababababababababab\nprincipal: alice@example.com\n"));
        assert_eq!(SignatureFile::parse(&text).unwrap(), sf);
        assert_eq!(sf.file_name(), "alice_at_example.com.sig");

        let cases = [
            ("", "expected the armored signature"),
            (
                &text.replace("version: 3", "version: three"),
                "not a non-negative",
            ),
            (
                &text.replace("skill: weather\n", ""),
                "missing header field \"skill\"",
            ),
            (
                &text.replace("skill: weather", "skill: weather\nskill: x"),
                "duplicate",
            ),
            (
                &text.replace("skill: weather", "colour: red"),
                "unknown header",
            ),
            (&text.replace(&"ab".repeat(32), "xyz"), "64 lowercase hex"),
            (
                &text.replace("-----END SSH SIGNATURE-----", ""),
                "expected the armored signature",
            ),
        ];
        for (input, needle) in cases {
            let err = SignatureFile::parse(input).unwrap_err().to_string();
            assert!(err.contains(needle), "{needle}: {err}");
        }
    }

    #[test]
    fn file_names_are_safe() {
        assert_eq!(
            signature_file_name("alice@example.com"),
            "alice_at_example.com.sig"
        );
        assert_eq!(
            signature_file_name("../../etc/passwd"),
            "_.._.._etc_passwd.sig"
        );
        assert_eq!(signature_file_name(".."), "_...sig");
        assert_eq!(signature_file_name(""), "_.sig");
        assert_eq!(signature_file_name("Zoë Smith"), "Zo__Smith.sig");
    }
}
