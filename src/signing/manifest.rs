//! The canonical manifest of a skill folder: exactly what a reviewer signs.
//!
//! # Format (`skillet-skill-manifest v1`)
//!
//! The signed message is UTF-8 text, `\n` line endings, no trailing spaces:
//!
//! ```text
//! skillet-skill-manifest v1
//! name <skill-name>
//! <mode> <sha256-hex> <path>
//! <mode> <sha256-hex> <path>
//! ...
//! ```
//!
//! - line 1 is the literal `skillet-skill-manifest v1`;
//! - line 2 is `name ` followed by the skill's name (the folder's name);
//! - then one line per regular file anywhere under the folder, sorted by
//!   path in byte order (`"a/b" < "a0"`, upper case before lower case);
//!   - `<mode>` is `100755` if the owner-executable bit is set (as git does),
//!     else `100644`;
//!   - `<sha256-hex>` is the lowercase hex SHA-256 of the file's bytes;
//!   - `<path>` is relative to the skill folder, `/`-separated, UTF-8, with no
//!     `.` or `..` components; it is the last field and may contain spaces;
//! - the text ends with a single `\n` after the last line.
//!
//! Directories are not listed (an empty directory does not change the
//! manifest). Every regular file is listed, hidden files included. Symlinks,
//! non-UTF-8 names, names with control characters (which would make the line
//! format ambiguous) and special files are refused with an error: a skill
//! containing them cannot be signed.
//!
//! [`Manifest::digest`] is the lowercase hex SHA-256 of these bytes; it is what
//! signature files record as `manifest-sha256`.
//!
//! The mode is the one git records for the file, and skillet's commits record it
//! (`registry::git`), so a clone of the registry, or the pull-request gate reading a
//! skill from a commit, yields the same manifest as the working tree it was signed
//! in. v1 has stated modes from the start: no format change was needed for that. A
//! registry whose older skillet commits recorded an executable file as `100644`
//! gives a clone a different manifest for that skill (its signatures then read
//! `content_changed` there) until the file is committed again with its bit (the
//! next `skillet save` or install of the skill, or `git add` and a commit).

use std::path::Path;

use sha2::{Digest, Sha256};

use super::SigningError;

/// First line of every manifest.
pub const MANIFEST_HEADER: &str = "skillet-skill-manifest v1";

/// One regular file of a skill.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManifestEntry {
    /// Relative, `/`-separated path.
    pub path: String,
    /// Owner-executable bit set (mode `100755`).
    pub executable: bool,
    /// Lowercase hex SHA-256 of the content.
    pub sha256: String,
}

impl ManifestEntry {
    /// `100755` or `100644`.
    pub fn mode(&self) -> &'static str {
        if self.executable { "100755" } else { "100644" }
    }
}

/// The canonical description of a skill folder. See the module docs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Manifest {
    pub name: String,
    /// Sorted by `path` (byte order).
    pub entries: Vec<ManifestEntry>,
}

impl Manifest {
    /// The exact bytes that are signed.
    pub fn to_bytes(&self) -> Vec<u8> {
        self.to_text().into_bytes()
    }

    /// Same as [`Manifest::to_bytes`], as a `String`.
    pub fn to_text(&self) -> String {
        let mut out = String::with_capacity(64 + self.entries.len() * 100);
        out.push_str(MANIFEST_HEADER);
        out.push('\n');
        out.push_str("name ");
        out.push_str(&self.name);
        out.push('\n');
        for e in &self.entries {
            out.push_str(e.mode());
            out.push(' ');
            out.push_str(&e.sha256);
            out.push(' ');
            out.push_str(&e.path);
            out.push('\n');
        }
        out
    }

    /// Lowercase hex SHA-256 of [`Manifest::to_bytes`].
    pub fn digest(&self) -> String {
        hex::encode(Sha256::digest(self.to_bytes()))
    }
}

/// Build the manifest of the skill folder `dir`; the skill name is the
/// folder's name.
pub fn manifest(dir: &Path) -> Result<Manifest, SigningError> {
    let name = dir
        .canonicalize()
        .ok()
        .as_deref()
        .and_then(Path::file_name)
        .or_else(|| dir.file_name())
        .map(|n| {
            n.to_str()
                .map(str::to_owned)
                .ok_or_else(|| SigningError::NonUtf8Path {
                    path: dir.to_path_buf(),
                })
        })
        .transpose()?
        .ok_or_else(|| SigningError::NonUtf8Path {
            path: dir.to_path_buf(),
        })?;
    manifest_named(dir, &name)
}

/// Build the manifest of `dir` under an explicit skill name.
pub fn manifest_named(dir: &Path, name: &str) -> Result<Manifest, SigningError> {
    if name.chars().any(char::is_control) {
        return Err(SigningError::ControlCharInPath {
            path: dir.to_path_buf(),
        });
    }
    let meta = fs_err::symlink_metadata(dir)?;
    if meta.file_type().is_symlink() {
        return Err(SigningError::Symlink {
            path: dir.to_path_buf(),
        });
    }
    let mut entries = Vec::new();
    walk(dir, "", &mut entries)?;
    entries.sort_by(|a, b| a.path.as_bytes().cmp(b.path.as_bytes()));
    Ok(Manifest {
        name: name.to_owned(),
        entries,
    })
}

fn walk(dir: &Path, prefix: &str, out: &mut Vec<ManifestEntry>) -> Result<(), SigningError> {
    for entry in fs_err::read_dir(dir)? {
        let entry = entry?;
        let path = entry.path();
        let file_name = entry.file_name();
        let Some(file_name) = file_name.to_str() else {
            return Err(SigningError::NonUtf8Path { path });
        };
        if file_name.chars().any(char::is_control) {
            return Err(SigningError::ControlCharInPath { path });
        }
        let rel = if prefix.is_empty() {
            file_name.to_owned()
        } else {
            format!("{prefix}/{file_name}")
        };
        let meta = fs_err::symlink_metadata(&path)?;
        let ft = meta.file_type();
        if ft.is_symlink() {
            return Err(SigningError::Symlink { path });
        } else if ft.is_dir() {
            walk(&path, &rel, out)?;
        } else if ft.is_file() {
            let content = fs_err::read(&path)?;
            out.push(ManifestEntry {
                path: rel,
                executable: is_executable(&meta),
                sha256: hex::encode(Sha256::digest(&content)),
            });
        } else {
            return Err(SigningError::NotARegularFile { path });
        }
    }
    Ok(())
}

#[cfg(unix)]
fn is_executable(meta: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::PermissionsExt;
    meta.permissions().mode() & 0o100 != 0
}

#[cfg(not(unix))]
fn is_executable(_meta: &std::fs::Metadata) -> bool {
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn fixture() -> tempfile::TempDir {
        let tmp = tempfile::tempdir().unwrap();
        let d = tmp.path().join("weather");
        std::fs::create_dir_all(d.join("scripts")).unwrap();
        std::fs::create_dir_all(d.join("tests")).unwrap();
        std::fs::create_dir_all(d.join("references/empty")).unwrap();
        std::fs::write(d.join("SKILL.md"), "# Weather\n").unwrap();
        std::fs::write(d.join("scripts/index.ts"), "export {};\n").unwrap();
        std::fs::write(d.join("tests/recording.json"), "{}\n").unwrap();
        std::fs::write(d.join("scripts/run.sh"), "#!/bin/sh\n").unwrap();
        std::fs::set_permissions(
            d.join("scripts/run.sh"),
            std::fs::Permissions::from_mode(0o755),
        )
        .unwrap();
        tmp
    }

    fn sha(s: &str) -> String {
        hex::encode(Sha256::digest(s.as_bytes()))
    }

    #[test]
    fn stable_bytes_for_fixture() {
        let tmp = fixture();
        let m = manifest(&tmp.path().join("weather")).unwrap();
        let expected = format!(
            "skillet-skill-manifest v1\n\
             name weather\n\
             100644 {} SKILL.md\n\
             100644 {} scripts/index.ts\n\
             100755 {} scripts/run.sh\n\
             100644 {} tests/recording.json\n",
            sha("# Weather\n"),
            sha("export {};\n"),
            sha("#!/bin/sh\n"),
            sha("{}\n"),
        );
        assert_eq!(String::from_utf8(m.to_bytes()).unwrap(), expected);
        // Pin the literal digest too, so the format cannot drift silently.
        assert_eq!(
            m.digest(),
            "89f97f4b47e57e2e496a17c6a929f4da7f4dc981d2cd01a3c439eddb8f1d6e3b"
        );
        assert_eq!(m.digest(), sha(&expected));
        // Deterministic.
        assert_eq!(m, manifest(&tmp.path().join("weather")).unwrap());
    }

    #[test]
    fn exec_bit_changes_mode_and_digest() {
        let tmp = fixture();
        let d = tmp.path().join("weather");
        let before = manifest(&d).unwrap();
        std::fs::set_permissions(d.join("SKILL.md"), std::fs::Permissions::from_mode(0o755))
            .unwrap();
        let after = manifest(&d).unwrap();
        assert!(after.to_text().contains("100755 "));
        assert_ne!(before.digest(), after.digest());
    }

    #[test]
    fn symlink_refused() {
        let tmp = fixture();
        let d = tmp.path().join("weather");
        std::os::unix::fs::symlink("SKILL.md", d.join("link.md")).unwrap();
        let err = manifest(&d).unwrap_err();
        assert!(matches!(err, SigningError::Symlink { .. }), "{err}");
        assert!(err.to_string().contains("link.md"), "{err}");
    }

    #[test]
    fn symlinked_dir_refused() {
        let tmp = fixture();
        let d = tmp.path().join("weather");
        std::os::unix::fs::symlink(tmp.path(), d.join("up")).unwrap();
        assert!(matches!(
            manifest(&d).unwrap_err(),
            SigningError::Symlink { .. }
        ));
    }

    #[test]
    fn non_utf8_and_control_names_refused() {
        use std::os::unix::ffi::OsStrExt;
        let tmp = fixture();
        let d = tmp.path().join("weather");
        let bad = d.join(std::ffi::OsStr::from_bytes(b"bad\xff.md"));
        std::fs::write(&bad, "x").unwrap();
        assert!(matches!(
            manifest(&d).unwrap_err(),
            SigningError::NonUtf8Path { .. }
        ));
        std::fs::remove_file(&bad).unwrap();
        std::fs::write(d.join("evil\nname"), "x").unwrap();
        assert!(matches!(
            manifest(&d).unwrap_err(),
            SigningError::ControlCharInPath { .. }
        ));
    }

    #[test]
    fn any_byte_change_changes_digest() {
        let tmp = fixture();
        let d = tmp.path().join("weather");
        let base = manifest(&d).unwrap().digest();
        for f in [
            "SKILL.md",
            "scripts/index.ts",
            "scripts/run.sh",
            "tests/recording.json",
        ] {
            let p = d.join(f);
            let orig = std::fs::read(&p).unwrap();
            for i in 0..orig.len() {
                let mut changed = orig.clone();
                changed[i] ^= 0x01;
                std::fs::write(&p, &changed).unwrap();
                assert_ne!(manifest(&d).unwrap().digest(), base, "{f} byte {i}");
            }
            let mut longer = orig.clone();
            longer.push(b'\n');
            std::fs::write(&p, &longer).unwrap();
            assert_ne!(manifest(&d).unwrap().digest(), base, "{f} appended");
            std::fs::write(&p, &orig).unwrap();
            assert_eq!(manifest(&d).unwrap().digest(), base);
        }
        // Adding a file (even hidden, even empty) changes it; empty dirs don't.
        std::fs::create_dir(d.join("assets")).unwrap();
        assert_eq!(manifest(&d).unwrap().digest(), base);
        std::fs::write(d.join("assets/.keep"), "").unwrap();
        assert_ne!(manifest(&d).unwrap().digest(), base);
        // Renames change it.
        std::fs::remove_file(d.join("assets/.keep")).unwrap();
        std::fs::rename(d.join("SKILL.md"), d.join("skill.md")).unwrap();
        assert_ne!(manifest(&d).unwrap().digest(), base);
    }

    #[test]
    fn byte_order_sorting() {
        let tmp = tempfile::tempdir().unwrap();
        let d = tmp.path().join("s");
        std::fs::create_dir_all(d.join("a")).unwrap();
        for f in ["a0", "a/b", "B", "b", "a b"] {
            std::fs::write(d.join(f), f).unwrap();
        }
        let m = manifest(&d).unwrap();
        let paths: Vec<_> = m.entries.iter().map(|e| e.path.as_str()).collect();
        assert_eq!(paths, ["B", "a b", "a/b", "a0", "b"]);
    }
}
