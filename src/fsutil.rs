//! File-system helpers that keep writes whole: a reader never sees half a file or half a tree.

use std::io::Write as _;
use std::path::Path;

/// Writes `contents` to `path` through a temporary file in the same folder and a rename.
pub(crate) fn write_atomic(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    write_replacing(path, contents, true)
}

/// Like [`write_atomic`] (readers never see a torn file), optionally without waiting for the
/// disk: for records written on every run. Without `sync`, a power cut may leave the newest
/// record empty or missing.
pub(crate) fn write_replacing(path: &Path, contents: &[u8], sync: bool) -> std::io::Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    fs_err::create_dir_all(dir)?;
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    tmp.write_all(contents)?;
    if sync {
        tmp.as_file().sync_all()?;
    }
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// Like [`write_atomic`], and the folder's entry is on disk too when it returns: a crash after
/// it cannot lose the file or bring back an older one.
pub(crate) fn write_durable(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    write_replacing(path, contents, true)?;
    sync_dir(path.parent().unwrap_or(Path::new(".")))
}

/// Removes a file (missing is fine) and makes the removal durable.
pub(crate) fn remove_durable(path: &Path) -> std::io::Result<()> {
    match fs_err::remove_file(path) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e),
    }
    sync_dir(path.parent().unwrap_or(Path::new(".")))
}

/// fsyncs a folder, so the entries added, removed or renamed in it survive a crash.
pub(crate) fn sync_dir(dir: &Path) -> std::io::Result<()> {
    fs_err::File::open(dir)?.sync_all()
}

/// fsyncs every regular file and folder under `dir` (and `dir` itself): a tree written with
/// plain writes, made durable before it is renamed into place.
pub(crate) fn sync_tree(dir: &Path) -> std::io::Result<()> {
    for entry in fs_err::read_dir(dir)? {
        let entry = entry?;
        let kind = entry.file_type()?;
        if kind.is_dir() {
            sync_tree(&entry.path())?;
        } else if kind.is_file() {
            fs_err::File::open(entry.path())?.sync_all()?;
        }
    }
    sync_dir(dir)
}

/// Renames `from` to `to` and fsyncs both parent folders, so the rename survives a crash.
pub(crate) fn rename_durable(from: &Path, to: &Path) -> std::io::Result<()> {
    fs_err::rename(from, to)?;
    let to_parent = to.parent().unwrap_or(Path::new("."));
    sync_dir(to_parent)?;
    match from.parent() {
        Some(p) if p != to_parent => sync_dir(p),
        _ => Ok(()),
    }
}

/// A digest of the regular files under `dir` (their paths, contents and executable bits;
/// symlinks are not followed, as git commits them here): equal digests, same files, as git
/// would commit them. `None` when `dir` is missing.
pub(crate) fn content_digest(dir: &Path) -> std::io::Result<Option<String>> {
    if !dir.is_dir() {
        return Ok(None);
    }
    let mut files = Vec::new();
    for path in files_in(dir)? {
        let executable = is_executable(&fs_err::metadata(&path)?);
        files.push((relative(dir, &path), executable, fs_err::read(&path)?));
    }
    Ok(Some(digest_of(
        files.iter().map(|(p, x, c)| (p.as_str(), *x, c.as_slice())),
    )))
}

/// [`content_digest`] of files given as (relative '/'-separated path, executable, contents).
/// A file that is not executable is hashed as before executable bits counted (path, `\0`,
/// length, `\0`, contents), so the digest of a tree without executable files did not change;
/// an executable one has an `x` before its length (a path holds no NUL: no two trees collide).
pub(crate) fn digest_of<'a>(files: impl IntoIterator<Item = (&'a str, bool, &'a [u8])>) -> String {
    use sha2::{Digest as _, Sha256};
    let mut files: Vec<_> = files.into_iter().collect();
    files.sort_by(|a, b| a.0.cmp(b.0));
    let mut hasher = Sha256::new();
    for (path, executable, contents) in files {
        hasher.update(path.as_bytes());
        let x = if executable { "x" } else { "" };
        hasher.update(format!("\0{x}{}\0", contents.len()).as_bytes());
        hasher.update(contents);
    }
    hex::encode(hasher.finalize())
}

/// Whether git records a file with this metadata as executable (`100755`): the owner's
/// execute bit, as git reads it.
pub(crate) fn is_executable(meta: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::PermissionsExt as _;
    meta.is_file() && meta.permissions().mode() & 0o100 != 0
}

/// Sets or clears a file's execute bits the way git's checkout does (`rwxr-xr-x` or
/// `rw-r--r--`, less the umask's bits the file already lacks): the read and write bits stay.
pub(crate) fn set_executable(path: &Path, executable: bool) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt as _;
    let mode = fs_err::metadata(path)?.permissions().mode();
    // Execute bits follow the read bits (a file readable by the group gets its `x` too).
    let new = if executable {
        mode | ((mode & 0o444) >> 2)
    } else {
        mode & !0o111
    };
    if new != mode {
        fs_err::set_permissions(path, std::fs::Permissions::from_mode(new))?;
    }
    Ok(())
}

/// Fills a fresh folder with `files` (relative '/'-separated paths) and swaps it in place of
/// `dest`: the old tree is replaced whole, and files that are no longer generated disappear.
pub(crate) fn replace_dir<'a>(
    dest: &Path,
    files: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> std::io::Result<()> {
    let parent = dest.parent().unwrap_or(Path::new("."));
    fs_err::create_dir_all(parent)?;
    let staging = tempfile::Builder::new()
        .prefix(".staging-")
        .tempdir_in(parent)?;
    for (rel, contents) in files {
        let path = staging.path().join(rel);
        if let Some(p) = path.parent() {
            fs_err::create_dir_all(p)?;
        }
        fs_err::write(&path, contents)?;
    }
    let staged = staging.keep();
    if !dest.exists() {
        fs_err::rename(&staged, dest)?;
        return Ok(());
    }
    // One atomic exchange where the file system has it: a reader (a run importing the API
    // while `serve` regenerates it) sees the old tree or the new one, never no tree. Then
    // the staging folder holds the old tree.
    if exchange(&staged, dest)? {
        fs_err::remove_dir_all(&staged)?;
        return Ok(());
    }
    let old = tempfile::Builder::new()
        .prefix(".old-")
        .tempdir_in(parent)?
        .keep();
    fs_err::rename(dest, old.join("tree"))?;
    fs_err::rename(&staged, dest)?;
    fs_err::remove_dir_all(&old)?;
    Ok(())
}

/// Swaps `a` and `b` in one step (`renameat2` with `RENAME_EXCHANGE`); `false` when this
/// system or file system cannot, and nothing was done.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn exchange(a: &Path, b: &Path) -> std::io::Result<bool> {
    use nix::errno::Errno;
    use nix::fcntl::{AT_FDCWD, RenameFlags, renameat2};
    match renameat2(AT_FDCWD, a, AT_FDCWD, b, RenameFlags::RENAME_EXCHANGE) {
        Ok(()) => Ok(true),
        Err(Errno::EINVAL | Errno::ENOSYS | Errno::EOPNOTSUPP) => Ok(false),
        Err(e) => Err(std::io::Error::other(format!(
            "cannot swap {} into {}: {e}",
            a.display(),
            b.display()
        ))),
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn exchange(_: &Path, _: &Path) -> std::io::Result<bool> {
    Ok(false)
}

/// Every regular file under `dir`, sorted (symlinks are not followed); none when `dir` is
/// missing.
pub(crate) fn files(dir: &Path) -> std::io::Result<Vec<std::path::PathBuf>> {
    files_in(dir)
}

fn files_in(dir: &Path) -> std::io::Result<Vec<std::path::PathBuf>> {
    fn walk(dir: &Path, out: &mut Vec<std::path::PathBuf>) -> std::io::Result<()> {
        for entry in fs_err::read_dir(dir)? {
            let entry = entry?;
            let kind = entry.file_type()?;
            if kind.is_dir() {
                walk(&entry.path(), out)?;
            } else if kind.is_file() {
                out.push(entry.path());
            }
        }
        Ok(())
    }
    let mut out = Vec::new();
    if dir.is_dir() {
        walk(dir, &mut out)?;
    }
    out.sort();
    Ok(out)
}

/// `path` relative to `root`, '/'-separated (empty when `path` is not under `root`).
pub(crate) fn relative(root: &Path, path: &Path) -> String {
    path.strip_prefix(root)
        .map(|p| p.to_string_lossy().replace('\\', "/"))
        .unwrap_or_default()
}

/// Copies a folder tree (regular files and folders; anything else, symlinks included, is
/// skipped). Files keep their permission bits, the executable bit among them.
pub(crate) fn copy_dir(from: &Path, to: &Path) -> std::io::Result<()> {
    fs_err::create_dir_all(to)?;
    for entry in fs_err::read_dir(from)? {
        let entry = entry?;
        let kind = entry.file_type()?;
        if kind.is_dir() {
            copy_dir(&entry.path(), &to.join(entry.file_name()))?;
        } else if kind.is_file() {
            fs_err::copy(entry.path(), to.join(entry.file_name()))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replace_dir_swaps_in_one_step() {
        let tmp = tempfile::tempdir().unwrap();
        let dest = tmp.path().join("api");
        replace_dir(&dest, [("a.ts", "1")]).unwrap();
        let inode = |p: &Path| std::os::unix::fs::MetadataExt::ino(&std::fs::metadata(p).unwrap());
        let before = inode(&dest);
        // A reader that holds the folder open keeps reading the old tree whole.
        let held = std::fs::File::open(&dest).unwrap();
        replace_dir(&dest, [("a.ts", "2")]).unwrap();
        assert_ne!(inode(&dest), before, "a new tree is in place");
        assert_eq!(std::fs::read_to_string(dest.join("a.ts")).unwrap(), "2");
        drop(held);
        // Nothing is left beside it: no staging or old folder.
        let left: Vec<_> = std::fs::read_dir(tmp.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(left, [std::ffi::OsString::from("api")]);
    }

    #[test]
    fn replace_dir_drops_stale_files() {
        let tmp = tempfile::tempdir().unwrap();
        let dest = tmp.path().join("servers/docs");
        replace_dir(&dest, [("a.ts", "1"), ("sub/b.ts", "2")]).unwrap();
        replace_dir(&dest, [("c.ts", "3")]).unwrap();
        assert!(!dest.join("a.ts").exists());
        assert_eq!(fs_err::read_to_string(dest.join("c.ts")).unwrap(), "3");
        let leftovers: Vec<_> = fs_err::read_dir(tmp.path().join("servers"))
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(leftovers, ["docs"]);
    }

    #[test]
    fn content_digest_sees_paths_and_contents() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("a");
        assert_eq!(content_digest(&dir).unwrap(), None);
        fs_err::create_dir_all(dir.join("s")).unwrap();
        fs_err::write(dir.join("s/x"), "1").unwrap();
        fs_err::write(dir.join("y"), "2").unwrap();
        let first = content_digest(&dir).unwrap().unwrap();
        assert_eq!(
            first,
            digest_of([("y", false, &b"2"[..]), ("s/x", false, &b"1"[..])])
        );
        // Pinned: a tree without executable files keeps the digest it had before executable
        // bits counted (interrupted writes journaled by an older skillet still recover).
        assert_eq!(
            first,
            "8533c95a850fb47cf0bcd6976a6dc728f9a17741dacbeb0177e51884be057942"
        );
        fs_err::write(dir.join("y"), "3").unwrap();
        assert_ne!(content_digest(&dir).unwrap().unwrap(), first);
        fs_err::write(dir.join("y"), "2").unwrap();
        fs_err::rename(dir.join("s/x"), dir.join("s/z")).unwrap();
        assert_ne!(content_digest(&dir).unwrap().unwrap(), first);
        sync_tree(&dir).unwrap();
        rename_durable(&dir, &tmp.path().join("b")).unwrap();
        assert!(tmp.path().join("b/s/z").is_file());
    }

    #[test]
    fn content_digest_sees_the_executable_bit_and_copy_dir_keeps_it() {
        use std::os::unix::fs::PermissionsExt as _;
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("a");
        fs_err::create_dir_all(dir.join("scripts")).unwrap();
        fs_err::write(dir.join("scripts/run.sh"), "#!/bin/sh\n").unwrap();
        fs_err::write(dir.join("SKILL.md"), "x").unwrap();
        let plain = content_digest(&dir).unwrap().unwrap();
        set_executable(&dir.join("scripts/run.sh"), true).unwrap();
        let mode = |p: &Path| fs_err::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(
            mode(&dir.join("scripts/run.sh")) & 0o111,
            0o111,
            "x follows r"
        );
        let executable = content_digest(&dir).unwrap().unwrap();
        assert_ne!(executable, plain);
        assert_eq!(
            executable,
            digest_of([
                ("SKILL.md", false, &b"x"[..]),
                ("scripts/run.sh", true, &b"#!/bin/sh\n"[..])
            ])
        );
        // Same bytes, one executable and one not: never the same digest.
        assert_ne!(
            digest_of([("a", true, &b"1"[..])]),
            digest_of([("a", false, &b"1"[..])])
        );
        copy_dir(&dir, &tmp.path().join("b")).unwrap();
        let copied = tmp.path().join("b/scripts/run.sh");
        assert_eq!(mode(&copied), mode(&dir.join("scripts/run.sh")));
        assert!(is_executable(&fs_err::metadata(&copied).unwrap()));
        assert!(!is_executable(
            &fs_err::metadata(tmp.path().join("b/SKILL.md")).unwrap()
        ));
        assert_eq!(
            content_digest(&tmp.path().join("b")).unwrap().unwrap(),
            executable
        );
        set_executable(&copied, false).unwrap();
        assert_eq!(mode(&copied) & 0o111, 0);
        assert_eq!(
            content_digest(&tmp.path().join("b")).unwrap().unwrap(),
            plain
        );
    }

    #[test]
    fn write_atomic_replaces() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("x/y.txt");
        write_atomic(&path, b"one").unwrap();
        write_atomic(&path, b"two").unwrap();
        assert_eq!(fs_err::read_to_string(&path).unwrap(), "two");
    }
}
