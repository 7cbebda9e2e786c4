//! Fetching a source through the user's own `git` (never libgit2 for the network), so that
//! credential helpers, ssh agents, proxies and private repositories work as in their shell.
//! Shallow where the server allows: `--depth 1` for a branch or tag, a single commit fetched by
//! its id (a full fetch when the server refuses that), sparse when only a folder is wanted.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use super::source::{Location, Source};
use crate::error::Error;

/// A source's files on this machine.
pub(crate) struct Fetched {
    /// The temporary clone, removed when dropped (`None` for a local folder).
    _tmp: Option<tempfile::TempDir>,
    /// The root of the source's files.
    pub(crate) root: PathBuf,
    /// The commit the files are at, when the source is a git repository.
    pub(crate) commit: Option<String>,
}

const NO_GIT: &str = "git is not installed or not on PATH";

/// Longest part of git's stderr an error repeats.
const STDERR_CHARS: usize = 2000;

/// Gets `source`'s files: a local folder without a ref as it is (its HEAD recorded when it is
/// a git work tree); anything else cloned into a temporary folder at `reference` (or at
/// `commit` when given, which wins: `--frozen` and `update` fetch exact commits).
pub(crate) fn fetch(source: &Source, commit: Option<&str>) -> anyhow::Result<Fetched> {
    if let (Location::Local(path), None, None) = (&source.location, &source.reference, commit) {
        if !path.is_dir() {
            return Err(Error::user(format!("{} is not a folder", path.display())).into());
        }
        let head = crate::registry::git::Repo::open(path)
            .ok()
            .and_then(|r| r.head());
        return Ok(Fetched {
            _tmp: None,
            root: path.clone(),
            commit: head,
        });
    }
    let url = source.url();
    let tmp = tempfile::Builder::new()
        .prefix("skillet-fetch-")
        .tempdir()?;
    let dir = tmp.path().join("src");
    let wanted = commit
        .map(str::to_owned)
        .or_else(|| source.reference.clone());
    let shown = match &wanted {
        Some(r) => format!("{url}@{r}"),
        None => url.clone(),
    };
    let sparse = source.subpath.as_deref();
    match (commit, &source.reference) {
        (Some(id), _) => fetch_commit(&url, id, &dir, &shown)?,
        (None, Some(reference)) => {
            // A branch or a tag, shallow; else perhaps a commit id.
            let cloned = clone(&url, Some(reference), &dir, sparse);
            if let Err(clone_error) = cloned {
                if is_hex(reference) {
                    let _ = fs_err::remove_dir_all(&dir);
                    fetch_commit(&url, reference, &dir, &shown)?;
                } else {
                    return Err(fetch_failed(&shown, &clone_error).into());
                }
            }
        }
        (None, None) => {
            clone(&url, None, &dir, sparse).map_err(|e| fetch_failed(&shown, &e))?;
        }
    }
    let head = git_out(&dir, ["rev-parse", "HEAD"]).map_err(|e| fetch_failed(&shown, &e))?;
    Ok(Fetched {
        _tmp: Some(tmp),
        root: dir,
        commit: Some(head.trim().to_owned()),
    })
}

fn is_hex(s: &str) -> bool {
    (4..=64).contains(&s.len()) && s.chars().all(|c| c.is_ascii_hexdigit())
}

/// `git clone --depth 1 [--branch REF]`, sparse (only `subpath`) when given one.
fn clone(
    url: &str,
    reference: Option<&str>,
    dir: &Path,
    subpath: Option<&str>,
) -> Result<(), String> {
    let dir_text = dir.to_string_lossy();
    let mut args: Vec<&str> = vec!["clone", "--quiet", "--depth", "1", "--no-tags"];
    if let Some(reference) = reference {
        args.extend(["--branch", reference]);
    }
    if subpath.is_some() {
        args.extend(["--filter=blob:none", "--sparse", "--no-checkout"]);
    }
    args.extend(["--", url, &dir_text]);
    git(None, &args)?;
    if let Some(subpath) = subpath {
        git(
            Some(dir),
            &[
                "sparse-checkout",
                "set",
                "--no-cone",
                // The folder, and the marketplace file that may point into it.
                &format!("/{subpath}/"),
                "/.claude-plugin/",
            ],
        )?;
        git(Some(dir), &["checkout", "--quiet"])?;
    }
    Ok(())
}

/// One commit by its id: init, fetch it alone (shallow), or everything when the server
/// refuses a fetch by id (or `id` is abbreviated), then check it out.
fn fetch_commit(url: &str, id: &str, dir: &Path, shown: &str) -> anyhow::Result<()> {
    let step = |args: &[&str]| git(Some(dir), args).map_err(|e| fetch_failed(shown, &e));
    fs_err::create_dir_all(dir)?;
    step(&["init", "--quiet"])?;
    let alone = git(
        Some(dir),
        &[
            "fetch",
            "--quiet",
            "--depth",
            "1",
            "--no-tags",
            "--",
            url,
            id,
        ],
    );
    let target = if alone.is_ok() {
        "FETCH_HEAD".to_owned()
    } else {
        step(&[
            "fetch",
            "--quiet",
            "--tags",
            "--",
            url,
            "+refs/heads/*:refs/remotes/origin/*",
        ])?;
        format!("{id}^{{commit}}")
    };
    let resolved = git_out(dir, ["rev-parse", "--verify", "--quiet", &target]).map_err(|_| {
        Error::user(format!("{shown}: no commit `{id}` in the repository"))
            .hint("the commit may have been removed upstream (a force-push or a deleted branch)")
    })?;
    if !resolved.trim().starts_with(&id.to_ascii_lowercase()) && target == "FETCH_HEAD" {
        return Err(Error::user(format!(
            "{shown}: fetched {} instead of `{id}`",
            resolved.trim()
        ))
        .into());
    }
    step(&["checkout", "--quiet", "--detach", resolved.trim()])?;
    Ok(())
}

fn fetch_failed(shown: &str, stderr: &str) -> Error {
    if stderr.starts_with(NO_GIT) {
        return Error::user(format!("cannot fetch {shown}: {stderr}"))
            .hint("install git (https://git-scm.com), or give a local folder");
    }
    let said: String = stderr.trim().chars().take(STDERR_CHARS).collect();
    let mut error = Error::user(format!("cannot fetch {shown}: git said:\n{said}"));
    if said.contains("Remote branch")
        || said.contains("not found in upstream")
        || said.contains("couldn't find remote ref")
    {
        error = error.hint("check the branch, tag or commit after `@`");
    } else if said.contains("Authentication failed")
        || said.contains("could not read Username")
        || said.contains("Permission denied")
    {
        error = error.hint("skillet fetches with your git: set up its credentials (a credential helper, an ssh key) and try `git ls-remote` on the URL");
    } else {
        error = error.hint("try the same URL with `git ls-remote` to see what git sees");
    }
    error
}

/// Runs `git ARGS` (in `dir`), never reading our stdin; git's stderr as the error.
fn git(dir: Option<&Path>, args: &[&str]) -> Result<String, String> {
    let mut command = Command::new("git");
    if let Some(dir) = dir {
        command.current_dir(dir);
    }
    let out = command
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                format!("{NO_GIT}: skillet fetches sources with your own `git` command")
            } else {
                format!("cannot run git: {e}")
            }
        })?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

fn git_out<const N: usize>(dir: &Path, args: [&str; N]) -> Result<String, String> {
    git(Some(dir), &args)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_ids() {
        assert!(is_hex("0123abcd"));
        assert!(is_hex(&"a".repeat(40)));
        assert!(!is_hex("main"));
        assert!(!is_hex("abc"));
        assert!(!is_hex("v1.0"));
    }

    #[test]
    fn git_failures_carry_git_words_and_a_hint() {
        let e = fetch_failed(
            "u@x",
            "fatal: Remote branch x not found in upstream origin\n",
        );
        assert!(e.to_string().contains("git said:\nfatal: Remote branch x"));
        assert!(crate::error::Diagnose::hints(&e)[0].contains("after `@`"));
        let long = "e".repeat(10_000);
        assert!(fetch_failed("u", &long).to_string().len() < 2100);
    }

    fn run_git(dir: &Path, args: &[&str]) {
        let out = Command::new("git")
            .current_dir(dir)
            .args(["-c", "user.name=T", "-c", "user.email=t@example.com"])
            .args(["-c", "init.defaultBranch=main"])
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    #[test]
    fn a_folder_of_the_source_is_fetched_sparse_at_a_tag() {
        let tmp = tempfile::tempdir().unwrap();
        let repo = tmp.path().join("repo");
        for rel in ["skills/a/SKILL.md", "skills/b/SKILL.md", "other/big.txt"] {
            let path = repo.join(rel);
            fs_err::create_dir_all(path.parent().unwrap()).unwrap();
            fs_err::write(path, rel).unwrap();
        }
        run_git(&repo, &["init", "-q"]);
        run_git(&repo, &["add", "-A"]);
        run_git(&repo, &["commit", "-qm", "one"]);
        run_git(&repo, &["tag", "v1"]);
        let source = Source {
            location: Location::Git(format!("file://{}", repo.display())),
            reference: Some("v1".into()),
            subpath: Some("skills/a".into()),
        };
        let fetched = fetch(&source, None).unwrap();
        assert!(fetched.root.join("skills/a/SKILL.md").is_file());
        assert!(!fetched.root.join("skills/b").exists());
        assert!(!fetched.root.join("other").exists());
        assert_eq!(fetched.commit.as_ref().map(String::len), Some(40));
        let missing = Source {
            reference: Some("v2".into()),
            ..source
        };
        let e = fetch(&missing, None).err().unwrap().to_string();
        assert!(e.contains("cannot fetch") && e.contains("@v2"), "{e}");
    }
}
