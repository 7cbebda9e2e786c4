//! Module files read from inside a root (the registry's `skills/`, the generated
//! `.skillet/servers/`), never through a symbolic link that leaves it. The check is made where
//! the file is opened: cap-std resolves every component beneath an open handle of the root, so
//! a link swapped in after a check cannot lead out either. Links that stay inside are followed.

use std::io::Read as _;
use std::path::{Component, Path, PathBuf};
use std::time::SystemTime;

use cap_std::ambient_authority;
use cap_std::fs::Dir;

/// The largest module file read (the generated API of a big server is the largest kind).
pub(crate) const MAX_MODULE_BYTES: u64 = 16 * 1024 * 1024;

/// A root files are read from, and how messages name it.
#[derive(Clone, Copy)]
pub(crate) struct Root<'a> {
    pub dir: &'a Path,
    /// `skills/` or `.skillet/servers/`.
    pub label: &'a str,
}

/// What a file's metadata said when it was opened: a file read again is the same file only if
/// all of this matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Stamp {
    dev: u64,
    ino: u64,
    len: u64,
    modified: SystemTime,
}

/// Whether `rel` names a regular file under the root.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Probe {
    File,
    Missing,
    /// It exists only through a link that leaves the root: why, for the message.
    Outside(String),
}

fn open_root(root: Root) -> std::io::Result<Dir> {
    Dir::open_ambient_dir(root.dir, ambient_authority())
}

/// cap-std reports a path that leads out of its root (through `..`, an absolute link, or a
/// link out) as PermissionDenied.
fn is_escape(e: &std::io::Error) -> bool {
    e.kind() == std::io::ErrorKind::PermissionDenied
}

/// Looks `rel` up under the root without leaving it.
pub(crate) fn probe(root: Root, rel: &str) -> Probe {
    let Ok(dir) = open_root(root) else {
        return Probe::Missing;
    };
    match dir.metadata(rel) {
        Ok(meta) if meta.is_file() => Probe::File,
        Ok(_) => Probe::Missing,
        Err(e) if is_escape(&e) => Probe::Outside(outside(root, rel)),
        Err(_) => Probe::Missing,
    }
}

/// Opens and reads `rel` under the root: a regular file of at most [`MAX_MODULE_BYTES`],
/// reached without leaving the root. `cached` is asked with the opened file's stamp first, and
/// its answer returned instead of reading again.
pub(crate) fn read<T>(
    root: Root,
    rel: &str,
    cached: impl FnOnce(Stamp) -> Option<T>,
    fresh: impl FnOnce(Stamp, String) -> Result<T, String>,
) -> Result<T, String> {
    let dir = open_root(root).map_err(|e| format!("cannot open {}: {e}", root.label))?;
    // Only a regular file is opened: opening a FIFO planted in the tree would hang the run.
    // (What is opened is checked again below: the file may change in between.)
    match dir.metadata(rel) {
        Ok(meta) if meta.is_file() => {}
        Ok(_) => return Err(format!("{}{rel} is not a regular file", root.label)),
        Err(e) if is_escape(&e) => return Err(outside(root, rel)),
        Err(e) => return Err(format!("cannot read {}{rel}: {e}", root.label)),
    }
    // Non-blocking, so that a FIFO swapped in after the check above cannot hang the open
    // either (for a regular file the flag changes nothing).
    let mut options = cap_std::fs::OpenOptions::new();
    options.read(true);
    cap_std::fs::OpenOptionsExt::custom_flags(&mut options, nix::fcntl::OFlag::O_NONBLOCK.bits());
    let file = match dir.open_with(rel, &options) {
        Ok(file) => file.into_std(),
        Err(e) if is_escape(&e) => return Err(outside(root, rel)),
        Err(e) => return Err(format!("cannot read {}{rel}: {e}", root.label)),
    };
    let meta = file
        .metadata()
        .map_err(|e| format!("cannot read {}{rel}: {e}", root.label))?;
    if !meta.is_file() {
        return Err(format!("{}{rel} is not a regular file", root.label));
    }
    if meta.len() > MAX_MODULE_BYTES {
        return Err(format!(
            "{}{rel} is {} bytes; the largest module read is {MAX_MODULE_BYTES} bytes",
            root.label,
            meta.len()
        ));
    }
    let stamp = {
        use std::os::unix::fs::MetadataExt as _;
        Stamp {
            dev: meta.dev(),
            ino: meta.ino(),
            len: meta.len(),
            modified: meta.modified().unwrap_or(SystemTime::UNIX_EPOCH),
        }
    };
    if let Some(hit) = cached(stamp) {
        return Ok(hit);
    }
    let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
    file.take(MAX_MODULE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read {}{rel}: {e}", root.label))?;
    if bytes.len() as u64 > MAX_MODULE_BYTES {
        return Err(format!(
            "{}{rel} grew past {MAX_MODULE_BYTES} bytes while it was read",
            root.label
        ));
    }
    let source = String::from_utf8(bytes)
        .map_err(|e| format!("{}{rel} is not UTF-8 text: {e}", root.label))?;
    fresh(stamp, source)
}

/// Says which link on the way to `rel` leads out of the root, and where it points (or that the
/// file system refused access, when no link does).
fn outside(root: Root, rel: &str) -> String {
    const HINT: &str = "hint: replace the link with the file or folder itself (`skillet validate` refuses links in skills too)";
    let canonical_root = fs_err::canonicalize(root.dir).unwrap_or_else(|_| root.dir.to_owned());
    let mut here = root.dir.to_owned();
    let mut shown = PathBuf::new();
    for component in Path::new(rel).components() {
        let Component::Normal(part) = component else {
            continue;
        };
        here.push(part);
        shown.push(part);
        let is_link = fs_err::symlink_metadata(&here).is_ok_and(|m| m.file_type().is_symlink());
        if !is_link {
            continue;
        }
        let target =
            fs_err::read_link(&here).map_or_else(|_| "?".to_owned(), |t| t.display().to_string());
        let lands = fs_err::canonicalize(&here).ok();
        let link = format!("{}{}", root.label, shown.display());
        match lands {
            Some(lands) if lands.starts_with(&canonical_root) => {
                if Path::new(&target).is_absolute() {
                    return format!(
                        "{link} is a symbolic link with an absolute target ({target}); links inside {} must be relative\n{HINT}",
                        root.label
                    );
                }
            }
            Some(lands) => {
                return format!(
                    "{link} is a symbolic link to {target} ({}), outside {}; only files inside it are run\n{HINT}",
                    lands.display(),
                    root.label
                );
            }
            None => {
                return format!(
                    "{link} is a symbolic link to {target}, which leads outside {} or nowhere\n{HINT}",
                    root.label
                );
            }
        }
    }
    // No link on the way leads out: cap-std's PermissionDenied was the file system's own.
    format!(
        "cannot read {}{rel}: permission denied\nhint: make it readable by this user",
        root.label
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_text(root: Root, rel: &str) -> Result<String, String> {
        read(root, rel, |_| None, |_, text| Ok(text))
    }

    #[test]
    fn links_that_leave_the_root_are_refused_and_links_inside_are_followed() {
        let tmp = tempfile::tempdir().unwrap();
        let skills = tmp.path().join("skills");
        let elsewhere = tmp.path().join("elsewhere");
        fs_err::create_dir_all(skills.join("good/scripts")).unwrap();
        fs_err::create_dir_all(skills.join("linked-file/scripts")).unwrap();
        fs_err::create_dir_all(elsewhere.join("scripts")).unwrap();
        fs_err::write(skills.join("good/scripts/index.ts"), "good").unwrap();
        fs_err::write(elsewhere.join("scripts/index.ts"), "evil").unwrap();
        std::os::unix::fs::symlink(
            elsewhere.join("scripts/index.ts"),
            skills.join("linked-file/scripts/index.ts"),
        )
        .unwrap();
        std::os::unix::fs::symlink(&elsewhere, skills.join("linked-folder")).unwrap();
        std::os::unix::fs::symlink("good", skills.join("alias")).unwrap();
        let root = Root {
            dir: &skills,
            label: "skills/",
        };

        assert_eq!(read_text(root, "good/scripts/index.ts").unwrap(), "good");
        assert_eq!(read_text(root, "alias/scripts/index.ts").unwrap(), "good");
        assert_eq!(probe(root, "alias/scripts/index.ts"), Probe::File);
        assert_eq!(probe(root, "nope/scripts/index.ts"), Probe::Missing);

        for (rel, link) in [
            (
                "linked-file/scripts/index.ts",
                "skills/linked-file/scripts/index.ts",
            ),
            ("linked-folder/scripts/index.ts", "skills/linked-folder"),
        ] {
            let why = read_text(root, rel).unwrap_err();
            assert!(
                why.contains(&format!("{link} is a symbolic link to")),
                "{why}"
            );
            assert!(why.contains("outside skills/"), "{why}");
            assert!(why.contains("hint: "), "{why}");
            let Probe::Outside(probed) = probe(root, rel) else {
                panic!("{rel} should be outside");
            };
            assert_eq!(probed, why);
        }
    }

    #[test]
    fn special_and_oversized_files_are_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let root = Root {
            dir: tmp.path(),
            label: "skills/",
        };
        let made = std::process::Command::new("mkfifo")
            .arg(tmp.path().join("fifo.ts"))
            .status()
            .unwrap();
        assert!(made.success());
        assert!(
            read_text(root, "fifo.ts")
                .unwrap_err()
                .contains("not a regular file")
        );
        let big = fs_err::File::create(tmp.path().join("big.ts")).unwrap();
        big.set_len(MAX_MODULE_BYTES + 1).unwrap();
        assert!(read_text(root, "big.ts").unwrap_err().contains("bytes"));
        fs_err::write(tmp.path().join("latin1.ts"), b"caf\xe9").unwrap();
        assert!(
            read_text(root, "latin1.ts")
                .unwrap_err()
                .contains("not UTF-8")
        );
    }
}
