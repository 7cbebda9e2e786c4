//! The registry's git history of skills (git2): commits that touch only a skill's folder, the
//! log and diff of one skill, and reading a skill's files at a revision.

use std::path::{Path, PathBuf};

use git2::{Repository, Signature};

#[derive(Debug, thiserror::Error)]
pub enum GitError {
    #[error("{path} is not inside a git repository")]
    NoRepository { path: PathBuf },
    #[error("git: {context}: {source}")]
    Git {
        context: String,
        source: git2::Error,
    },
    #[error("no revision `{rev}` of skill `{skill}`")]
    NoRevision { skill: String, rev: String },
    /// One of git's own lock files is in the way. skillet cannot tell a live git command from
    /// one that was killed, so it says both and gives the fix.
    #[error(
        "git's lock file {path} exists ({age}): another git command is running in this repository, or one was killed and left the file behind"
    )]
    Locked { path: PathBuf, age: String },
    /// The commit is in, but git's index was not brought in step for its folder.
    #[error("committed {commit} ({message}), but git's index was not updated for {rel}/: {source}")]
    IndexNotUpdated {
        commit: String,
        message: String,
        rel: String,
        source: Box<GitError>,
    },
}

impl crate::error::Diagnose for GitError {
    fn hints(&self) -> Vec<String> {
        match self {
            Self::NoRepository { .. } => vec!["run `skillet init` (it makes one)".into()],
            Self::NoRevision { skill, .. } => {
                vec![format!("`skillet log {skill}` lists its versions")]
            }
            Self::Locked { path, .. } => vec![format!(
                "if no git command is running, remove it: rm {}",
                path.display()
            )],
            Self::IndexNotUpdated { source, .. } => source.hints(),
            Self::Git { .. } => Vec::new(),
        }
    }
}

fn git(context: impl Into<String>) -> impl FnOnce(git2::Error) -> GitError {
    let context = context.into();
    move |source| GitError::Git { context, source }
}

/// The registry's repository and where the registry sits inside its work tree.
pub struct Repo {
    repo: Repository,
    /// The registry root relative to the work tree ('/'-separated, empty at the top).
    prefix: String,
}

/// A blob's mode as git records a regular file: `100755` when executable, else `100644`.
fn file_mode(executable: bool) -> git2::FileMode {
    if executable {
        git2::FileMode::BlobExecutable
    } else {
        git2::FileMode::Blob
    }
}

/// One file of a folder at a commit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TreeFile {
    /// Relative to the folder, '/'-separated.
    pub path: String,
    /// Committed as `100755`.
    pub executable: bool,
    pub contents: Vec<u8>,
}

impl TreeFile {
    /// Writes the file under `dir` with its executable bit, making its folders.
    pub fn write_under(&self, dir: &Path) -> std::io::Result<()> {
        let target = dir.join(&self.path);
        if let Some(parent) = target.parent() {
            fs_err::create_dir_all(parent)?;
        }
        fs_err::write(&target, &self.contents)?;
        crate::fsutil::set_executable(&target, self.executable)
    }
}

/// One version of a skill, from `git log`.
#[derive(Debug, Clone, serde::Serialize)]
pub struct LogEntry {
    pub commit: String,
    pub author: String,
    pub email: String,
    /// RFC 3339.
    pub date: String,
    pub message: String,
}

/// Makes libgit2 fsync what it writes into `.git` (objects, refs, the index, and their
/// folders) before it reports success, as `core.fsync` does for git. Once per process, before
/// any repository is opened (the refs backend reads the setting when it is made).
fn enable_fsync() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        libgit2_sys::init();
        // SAFETY: `git_libgit2_opts` with GIT_OPT_ENABLE_FSYNC_GITDIR takes exactly one `int`
        // vararg; libgit2 is initialized just above, and `Once` keeps the call single-threaded.
        let option = libgit2_sys::GIT_OPT_ENABLE_FSYNC_GITDIR as std::ffi::c_int;
        let on: std::ffi::c_int = 1;
        #[allow(unsafe_code)]
        let rc = unsafe { libgit2_sys::git_libgit2_opts(option, on) };
        if rc != 0 {
            tracing::warn!("libgit2 refused to fsync its writes; a power cut may lose a commit");
        }
    });
}

/// `git_error` as [`GitError::Locked`] when a lock file is what failed it.
fn lock_or(repo: &Repository, context: impl Into<String>) -> impl FnOnce(git2::Error) -> GitError {
    let context = context.into();
    let locks = lock_files(repo);
    move |source| {
        if source.code() == git2::ErrorCode::Locked
            && let Some(locked) = locks.into_iter().find_map(|p| locked(&p))
        {
            return locked;
        }
        GitError::Git { context, source }
    }
}

/// The lock files git (and libgit2) take to commit on HEAD and update the index.
fn lock_files(repo: &Repository) -> Vec<PathBuf> {
    let gitdir = repo.path().to_owned();
    let mut out = vec![gitdir.join("index.lock"), gitdir.join("HEAD.lock")];
    if let Ok(head) = repo.find_reference("HEAD")
        && let Ok(Some(branch)) = head.symbolic_target()
    {
        out.push(repo.commondir().join(format!("{branch}.lock")));
    }
    out
}

/// Whether a git process may be running in `workdir` (its working folder is inside it). Reads
/// `/proc`; a git process whose folder it may not read counts as running there, and so does
/// everything when `/proc` cannot be read.
fn git_running_in(workdir: &Path) -> bool {
    let Ok(entries) = fs_err::read_dir("/proc") else {
        return true;
    };
    let me = std::process::id().to_string();
    entries.flatten().any(|entry| {
        let pid = entry.file_name().to_string_lossy().into_owned();
        if pid == me || !pid.bytes().all(|b| b.is_ascii_digit()) {
            return false;
        }
        let is_git = std::fs::read_to_string(entry.path().join("comm"))
            .is_ok_and(|c| c.trim() == "git" || c.trim().starts_with("git-"));
        // A process that ended meanwhile (or a zombie) has no `cwd` to read: not running.
        is_git
            && match std::fs::read_link(entry.path().join("cwd")) {
                Ok(cwd) => cwd.starts_with(workdir),
                Err(e) => e.kind() != std::io::ErrorKind::NotFound,
            }
    })
}

/// A [`GitError::Locked`] for `path` when it exists.
fn locked(path: &Path) -> Option<GitError> {
    let meta = fs_err::symlink_metadata(path).ok()?;
    let age = meta
        .modified()
        .ok()
        .and_then(|m| m.elapsed().ok())
        .map_or_else(
            || "of unknown age".to_owned(),
            |d| match d.as_secs() {
                0..60 => format!("made {} s ago", d.as_secs()),
                60..7200 => format!("made {} min ago", d.as_secs() / 60),
                s => format!("made {} h ago", s / 3600),
            },
        );
    Some(GitError::Locked {
        path: path.to_owned(),
        age,
    })
}

impl Repo {
    pub fn open(registry_root: &Path) -> Result<Self, GitError> {
        enable_fsync();
        let repo = Repository::discover(registry_root).map_err(|_| GitError::NoRepository {
            path: registry_root.to_owned(),
        })?;
        let workdir = repo
            .workdir()
            .and_then(|w| fs_err::canonicalize(w).ok())
            .ok_or_else(|| GitError::NoRepository {
                path: registry_root.to_owned(),
            })?;
        let root = fs_err::canonicalize(registry_root).unwrap_or_else(|_| registry_root.to_owned());
        let prefix = root
            .strip_prefix(&workdir)
            .map(|p| p.to_string_lossy().replace('\\', "/"))
            .unwrap_or_default();
        Ok(Self { repo, prefix })
    }

    /// The repository's work tree (the folder holding `.git`), when it has one.
    pub fn workdir(&self) -> Option<&Path> {
        self.repo.workdir()
    }

    /// A path inside the registry as a path in the repository.
    pub fn repo_path(&self, rel: &str) -> String {
        if self.prefix.is_empty() {
            rel.to_owned()
        } else {
            format!("{}/{rel}", self.prefix)
        }
    }

    fn signature(&self) -> Result<Signature<'static>, GitError> {
        self.repo
            .signature()
            .or_else(|_| Signature::now("skillet", "skillet@localhost"))
            .map(|s| s.to_owned())
            .map_err(git("cannot make a commit signature"))
    }

    /// git's `user.name` and `user.email`, when set.
    pub fn user(&self) -> Option<(String, String)> {
        let s = self.repo.signature().ok()?;
        Some((
            s.name().ok()?.to_owned(),
            s.email().unwrap_or_default().to_owned(),
        ))
    }

    /// Whether files under `rel` (a folder in the registry) differ from HEAD or are untracked.
    pub fn has_local_changes(&self, rel: &str) -> Result<bool, GitError> {
        let mut options = git2::StatusOptions::new();
        options
            .include_untracked(true)
            .recurse_untracked_dirs(true)
            .pathspec(self.repo_path(rel));
        let statuses = self
            .repo
            .statuses(Some(&mut options))
            .map_err(git("git status"))?;
        Ok(statuses
            .iter()
            .any(|s| s.status() != git2::Status::CURRENT && !s.status().is_ignored()))
    }

    /// Commits exactly the files under `rel` as they are on disk (added, changed and deleted),
    /// leaving every other path of the index and of HEAD untouched, and brings the index in
    /// step for those paths. Fails (never a silent success) when either did not happen.
    pub fn commit_folder(&self, rel: &str, message: &str) -> Result<String, GitError> {
        let commit = self.commit_tree(rel, message)?;
        self.sync_index(rel)
            .map_err(|source| GitError::IndexNotUpdated {
                commit: commit.clone(),
                message: message.to_owned(),
                rel: rel.to_owned(),
                source: Box::new(source),
            })?;
        Ok(commit)
    }

    /// Git's lock files that would stop a commit on HEAD or an index update, as errors.
    pub fn check_locks(&self) -> Result<(), GitError> {
        match lock_files(&self.repo).iter().find_map(|p| locked(p)) {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    /// Removes git's lock files (as [`Repo::check_locks`] finds them) made at or after `since`
    /// while no git process runs in this work tree: what a skillet writer killed inside libgit2
    /// (after it wrote its journal, at `since`) leaves. Returns the files removed. Others stay,
    /// and are reported by the next commit.
    pub fn clear_locks_made_since(
        &self,
        since: std::time::SystemTime,
    ) -> Result<Vec<PathBuf>, GitError> {
        let stale: Vec<PathBuf> = lock_files(&self.repo)
            .into_iter()
            .filter(|p| {
                fs_err::symlink_metadata(p)
                    .and_then(|m| m.modified())
                    .is_ok_and(|m| m >= since)
            })
            .collect();
        tracing::debug!("git lock files made since the journal: {stale:?}");
        if stale.is_empty() {
            return Ok(stale);
        }
        let workdir = self
            .repo
            .workdir()
            .and_then(|w| fs_err::canonicalize(w).ok())
            .unwrap_or_default();
        if git_running_in(&workdir) {
            tracing::debug!("a git process may be running in {}", workdir.display());
            return Ok(Vec::new());
        }
        for path in &stale {
            fs_err::remove_file(path).map_err(|e| GitError::Git {
                context: format!("remove {}", path.display()),
                source: git2::Error::from_str(&e.to_string()),
            })?;
        }
        Ok(stale)
    }

    /// The commit half of [`Repo::commit_folder`]: objects, then HEAD's branch (libgit2 writes
    /// the objects before it moves the ref, and fsyncs both).
    pub fn commit_tree(&self, rel: &str, message: &str) -> Result<String, GitError> {
        self.commit_paths(&[rel.to_owned()], message)
    }

    /// [`Repo::commit_tree`] for several registry paths at once, in one commit: each a folder or
    /// a file, as it is on disk (a path gone from disk is removed from the tree).
    pub fn commit_paths(&self, rels: &[String], message: &str) -> Result<String, GitError> {
        let workdir = self.repo.workdir().map(Path::to_owned).unwrap_or_default();
        let head = self.repo.head().ok().and_then(|h| h.peel_to_commit().ok());
        let base_tree = match &head {
            Some(commit) => Some(commit.tree().map_err(git("read HEAD's tree"))?),
            None => None,
        };
        let mut update = git2::build::TreeUpdateBuilder::new();
        for rel in rels {
            self.stage_path(&mut update, &workdir, base_tree.as_ref(), rel)?;
        }
        self.commit_update(update, head.as_ref(), base_tree.as_ref(), message)
    }

    /// Adds to `update` the files under `rel` (a folder or a file) as they are on disk, and the
    /// removal of those HEAD has there and the disk no longer does.
    fn stage_path(
        &self,
        update: &mut git2::build::TreeUpdateBuilder,
        workdir: &Path,
        base_tree: Option<&git2::Tree<'_>>,
        rel: &str,
    ) -> Result<(), GitError> {
        let repo_rel = self.repo_path(rel);
        let path = workdir.join(&repo_rel);
        let files = if path.is_file() {
            vec![path]
        } else {
            crate::fsutil::files(&path).map_err(|e| GitError::Git {
                context: format!("read {repo_rel}"),
                source: git2::Error::from_str(&e.to_string()),
            })?
        };
        let trust_filemode = self.trusts_filemode();
        for file in &files {
            let rel_in_repo = file
                .strip_prefix(workdir)
                .map(|p| p.to_string_lossy().replace('\\', "/"))
                .unwrap_or_default();
            let oid = self
                .repo
                .blob_path(file)
                .map_err(git(format!("store {rel_in_repo}")))?;
            let mode = if trust_filemode {
                let meta = fs_err::metadata(file).map_err(|e| GitError::Git {
                    context: format!("read {rel_in_repo}"),
                    source: git2::Error::from_str(&e.to_string()),
                })?;
                file_mode(crate::fsutil::is_executable(&meta))
            } else {
                // As git does with `core.fileMode = false`: the mode HEAD has, else 100644.
                base_tree
                    .and_then(|t| t.get_path(Path::new(&rel_in_repo)).ok())
                    .map_or(git2::FileMode::Blob, |e| {
                        file_mode(e.filemode() == i32::from(git2::FileMode::BlobExecutable))
                    })
            };
            update.upsert(&rel_in_repo, oid, mode);
        }
        // Files HEAD has there that are gone from disk.
        let Some(entry) = base_tree.and_then(|t| t.get_path(Path::new(&repo_rel)).ok()) else {
            return Ok(());
        };
        if entry.kind() == Some(git2::ObjectType::Blob) {
            if files.is_empty() {
                update.remove(&repo_rel);
            }
            return Ok(());
        }
        let Ok(sub) = self.repo.find_tree(entry.id()) else {
            return Ok(());
        };
        let present: std::collections::HashSet<String> = files
            .iter()
            .filter_map(|f| f.strip_prefix(workdir).ok())
            .map(|p| p.to_string_lossy().replace('\\', "/"))
            .collect();
        let mut gone = Vec::new();
        sub.walk(git2::TreeWalkMode::PreOrder, |dir, entry| {
            if entry.kind() == Some(git2::ObjectType::Blob) {
                let path = format!("{repo_rel}/{dir}{}", entry.name().unwrap_or_default());
                if !present.contains(&path) {
                    gone.push(path);
                }
            }
            git2::TreeWalkResult::Ok
        })
        .map_err(git("walk HEAD's tree"))?;
        for path in gone {
            update.remove(&path);
        }
        Ok(())
    }

    /// Commits exactly these files (registry-relative paths of regular files) as they are on
    /// disk, in one commit on HEAD, leaving every other path of HEAD and of the index untouched,
    /// and adds them to the index. What `init` commits: the registry's own files, never the
    /// user's others.
    pub fn commit_files(&self, rels: &[String], message: &str) -> Result<String, GitError> {
        debug_assert!(rels.iter().all(|r| !self.is_ignored(r)));
        let workdir = self.repo.workdir().map(Path::to_owned).unwrap_or_default();
        let head = self.repo.head().ok().and_then(|h| h.peel_to_commit().ok());
        let base_tree = match &head {
            Some(commit) => Some(commit.tree().map_err(git("read HEAD's tree"))?),
            None => None,
        };
        let mut update = git2::build::TreeUpdateBuilder::new();
        let mut paths = Vec::new();
        for rel in rels {
            let repo_rel = self.repo_path(rel);
            let file = workdir.join(&repo_rel);
            let meta = fs_err::metadata(&file).map_err(|e| GitError::Git {
                context: format!("read {repo_rel}"),
                source: git2::Error::from_str(&e.to_string()),
            })?;
            let oid = self
                .repo
                .blob_path(&file)
                .map_err(git(format!("store {repo_rel}")))?;
            update.upsert(
                &repo_rel,
                oid,
                file_mode(self.trusts_filemode() && crate::fsutil::is_executable(&meta)),
            );
            paths.push(repo_rel);
        }
        let commit = self.commit_update(update, head.as_ref(), base_tree.as_ref(), message)?;
        let mut index = self.repo.index().map_err(git("read the index"))?;
        for path in &paths {
            index
                .add_path(Path::new(path))
                .map_err(git(format!("add {path} to the index")))?;
        }
        index
            .write()
            .map_err(lock_or(&self.repo, "write the index"))?;
        Ok(commit)
    }

    /// Applies `update` to HEAD's tree (an empty tree when there is no HEAD yet) and commits
    /// the result on HEAD's branch.
    fn commit_update(
        &self,
        mut update: git2::build::TreeUpdateBuilder,
        head: Option<&git2::Commit<'_>>,
        base_tree: Option<&git2::Tree<'_>>,
        message: &str,
    ) -> Result<String, GitError> {
        let empty;
        let base = match base_tree {
            Some(tree) => tree,
            None => {
                let oid = self
                    .repo
                    .treebuilder(None)
                    .and_then(|b| b.write())
                    .map_err(git("make an empty tree"))?;
                empty = self
                    .repo
                    .find_tree(oid)
                    .map_err(git("read the empty tree"))?;
                &empty
            }
        };
        let tree_oid = update
            .create_updated(&self.repo, base)
            .map_err(git("build the new tree"))?;
        let tree = self
            .repo
            .find_tree(tree_oid)
            .map_err(git("read the new tree"))?;
        let signature = self.signature()?;
        let parents: Vec<&git2::Commit> = head.into_iter().collect();
        let oid = self
            .repo
            .commit(
                Some("HEAD"),
                &signature,
                &signature,
                message,
                &tree,
                &parents,
            )
            .map_err(lock_or(&self.repo, "commit"))?;
        Ok(oid.to_string())
    }

    /// Whether git ignores `rel` (registry-relative): a registry inside an ignored folder of
    /// another repository (a build folder) is not that repository's to commit.
    pub fn is_ignored(&self, rel: &str) -> bool {
        self.repo
            .is_path_ignored(Path::new(&self.repo_path(rel)))
            .unwrap_or(false)
    }

    /// Whether the work tree's executable bits count (git's `core.fileMode`, true unless the
    /// repository says otherwise).
    fn trusts_filemode(&self) -> bool {
        self.repo
            .config()
            .and_then(|c| c.get_bool("core.filemode"))
            .unwrap_or(true)
    }

    /// Brings git's index in step with the files under `rel` as they are on disk, for those
    /// paths only, so `git status` stays clean after a commit of the folder.
    pub fn sync_index(&self, rel: &str) -> Result<(), GitError> {
        self.sync_index_paths(&[rel.to_owned()])
    }

    /// [`Repo::sync_index`] for several registry paths (folders or files), one index write.
    pub fn sync_index_paths(&self, rels: &[String]) -> Result<(), GitError> {
        let workdir = self.repo.workdir().map(Path::to_owned).unwrap_or_default();
        let mut index = self.repo.index().map_err(git("read the index"))?;
        for rel in rels {
            let repo_rel = self.repo_path(rel);
            let path = workdir.join(&repo_rel);
            if path.is_file() {
                index
                    .add_path(Path::new(&repo_rel))
                    .map_err(git(format!("add {repo_rel} to the index")))?;
                continue;
            }
            // Gone from disk: the file entry goes (there may be none).
            let _ = index.remove_path(Path::new(&repo_rel));
            let files = crate::fsutil::files(&path).map_err(|e| GitError::Git {
                context: format!("read {repo_rel}"),
                source: git2::Error::from_str(&e.to_string()),
            })?;
            index
                .remove_dir(Path::new(&repo_rel), 0)
                .map_err(git(format!("update the index for {repo_rel}")))?;
            for file in &files {
                if let Ok(rel) = file.strip_prefix(&workdir) {
                    index
                        .add_path(rel)
                        .map_err(git(format!("add {} to the index", rel.display())))?;
                }
            }
        }
        index
            .write()
            .map_err(lock_or(&self.repo, "write the index"))
    }

    /// Commits touching `rel`, newest first.
    pub fn log(&self, rel: &str) -> Result<Vec<LogEntry>, GitError> {
        let repo_rel = self.repo_path(rel);
        let mut walk = self.repo.revwalk().map_err(git("walk history"))?;
        if walk.push_head().is_err() {
            return Ok(Vec::new());
        }
        let mut out = Vec::new();
        for oid in walk {
            let oid = oid.map_err(git("walk history"))?;
            let commit = self.repo.find_commit(oid).map_err(git("read a commit"))?;
            let here = commit
                .tree()
                .ok()
                .and_then(|t| t.get_path(Path::new(&repo_rel)).ok())
                .map(|e| e.id());
            let before = commit
                .parent(0)
                .ok()
                .and_then(|p| p.tree().ok())
                .and_then(|t| t.get_path(Path::new(&repo_rel)).ok())
                .map(|e| e.id());
            if here != before {
                let author = commit.author();
                let time = commit.time();
                let offset = chrono::FixedOffset::east_opt(time.offset_minutes() * 60)
                    .unwrap_or_else(|| chrono::Offset::fix(&chrono::Utc));
                let date = chrono::DateTime::from_timestamp(time.seconds(), 0)
                    .map(|d| d.with_timezone(&offset).to_rfc3339())
                    .unwrap_or_default();
                out.push(LogEntry {
                    commit: oid.to_string(),
                    author: author.name().unwrap_or_default().to_owned(),
                    email: author.email().unwrap_or_default().to_owned(),
                    date,
                    message: commit.message().unwrap_or_default().trim_end().to_owned(),
                });
            }
        }
        Ok(out)
    }

    /// Resolves a revision of a skill: `vN` (the commit that saved version N), or any git
    /// revision (`HEAD~1`, a commit id, a tag).
    pub fn resolve(&self, skill: &str, rel: &str, rev: &str) -> Result<git2::Commit<'_>, GitError> {
        let missing = || GitError::NoRevision {
            skill: skill.to_owned(),
            rev: rev.to_owned(),
        };
        if let Some(n) = rev
            .strip_prefix('v')
            .filter(|n| n.chars().all(|c| c.is_ascii_digit()) && !n.is_empty())
        {
            let wanted = format!("save v{n}");
            let entry = self
                .log(rel)?
                .into_iter()
                .find(|e| e.message.ends_with(&wanted))
                .ok_or_else(missing)?;
            let oid = git2::Oid::from_str(&entry.commit).map_err(|_| missing())?;
            return self.repo.find_commit(oid).map_err(|_| missing());
        }
        self.repo
            .revparse_single(rev)
            .and_then(|o| o.peel_to_commit())
            .map_err(|_| missing())
    }

    /// The regular files under `rel` at `commit`, with their modes (symlinks are left out).
    pub fn files_at(
        &self,
        commit: &git2::Commit<'_>,
        rel: &str,
    ) -> Result<Vec<TreeFile>, GitError> {
        let repo_rel = self.repo_path(rel);
        let tree = commit.tree().map_err(git("read a tree"))?;
        let Ok(entry) = tree.get_path(Path::new(&repo_rel)) else {
            return Ok(Vec::new());
        };
        let sub = self
            .repo
            .find_tree(entry.id())
            .map_err(git("read a tree"))?;
        let mut out = Vec::new();
        sub.walk(git2::TreeWalkMode::PreOrder, |dir, entry| {
            // Regular files only, as skillet commits them (a symlink is a blob too).
            if entry.kind() == Some(git2::ObjectType::Blob)
                && entry.filemode() != i32::from(git2::FileMode::Link)
                && let Ok(blob) = self.repo.find_blob(entry.id())
            {
                out.push(TreeFile {
                    path: format!("{dir}{}", entry.name().unwrap_or_default()),
                    executable: entry.filemode() == i32::from(git2::FileMode::BlobExecutable),
                    contents: blob.content().to_vec(),
                });
            }
            git2::TreeWalkResult::Ok
        })
        .map_err(git("walk a tree"))?;
        Ok(out)
    }

    /// A unified diff of `rel` between two commits, or a commit and the working tree (`to: None`).
    pub fn diff(
        &self,
        rel: &str,
        from: &git2::Commit<'_>,
        to: Option<&git2::Commit<'_>>,
    ) -> Result<String, GitError> {
        let repo_rel = self.repo_path(rel);
        let mut options = git2::DiffOptions::new();
        options
            .pathspec(&repo_rel)
            .include_untracked(true)
            .recurse_untracked_dirs(true);
        let old = from.tree().map_err(git("read a tree"))?;
        let diff = match to {
            Some(to) => {
                let new = to.tree().map_err(git("read a tree"))?;
                self.repo
                    .diff_tree_to_tree(Some(&old), Some(&new), Some(&mut options))
            }
            None => self
                .repo
                .diff_tree_to_workdir_with_index(Some(&old), Some(&mut options)),
        }
        .map_err(git("diff"))?;
        let mut text = String::new();
        diff.print(git2::DiffFormat::Patch, |_, _, line| {
            let origin = line.origin();
            if matches!(origin, '+' | '-' | ' ') {
                text.push(origin);
            }
            text.push_str(&String::from_utf8_lossy(line.content()));
            true
        })
        .map_err(git("print a diff"))?;
        Ok(text)
    }

    /// The commit HEAD points at, if any.
    pub fn head(&self) -> Option<String> {
        self.repo
            .head()
            .ok()
            .and_then(|h| h.target())
            .map(|o| o.to_string())
    }

    pub fn head_commit(&self) -> Option<git2::Commit<'_>> {
        self.repo.head().ok().and_then(|h| h.peel_to_commit().ok())
    }
}

/// One file changed between two revisions, with its line counts.
#[derive(Debug, Clone, serde::Serialize)]
pub struct FileChange {
    /// Path relative to the registry root.
    pub path: String,
    /// `added`, `modified`, `deleted` or `renamed`.
    pub status: &'static str,
    pub lines_added: usize,
    pub lines_removed: usize,
}

impl Repo {
    /// Files under `rel` that differ between two commits, with line counts.
    pub fn changed_files(
        &self,
        rel: &str,
        from: &git2::Commit<'_>,
        to: &git2::Commit<'_>,
    ) -> Result<Vec<FileChange>, GitError> {
        let repo_rel = self.repo_path(rel);
        let mut options = git2::DiffOptions::new();
        options.pathspec(&repo_rel);
        let old = from.tree().map_err(git("read a tree"))?;
        let new = to.tree().map_err(git("read a tree"))?;
        let diff = self
            .repo
            .diff_tree_to_tree(Some(&old), Some(&new), Some(&mut options))
            .map_err(git("diff"))?;
        let mut out = Vec::new();
        for (i, delta) in diff.deltas().enumerate() {
            let path = delta
                .new_file()
                .path()
                .or_else(|| delta.old_file().path())
                .map(|p| p.to_string_lossy().replace('\\', "/"))
                .unwrap_or_default();
            let path = path
                .strip_prefix(&format!("{}/", self.prefix))
                .map(str::to_owned)
                .unwrap_or(path);
            let status = match delta.status() {
                git2::Delta::Added => "added",
                git2::Delta::Deleted => "deleted",
                git2::Delta::Renamed => "renamed",
                _ => "modified",
            };
            let (mut added, mut removed) = (0, 0);
            if let Ok(Some(patch)) = git2::Patch::from_diff(&diff, i)
                && let Ok((_, a, r)) = patch.line_stats()
            {
                added = a;
                removed = r;
            }
            out.push(FileChange {
                path,
                status,
                lines_added: added,
                lines_removed: removed,
            });
        }
        Ok(out)
    }

    /// The contents of one registry file at a commit, if it exists there.
    pub fn file_at(&self, commit: &git2::Commit<'_>, rel: &str) -> Option<Vec<u8>> {
        let tree = commit.tree().ok()?;
        let entry = tree.get_path(Path::new(&self.repo_path(rel))).ok()?;
        let blob = self.repo.find_blob(entry.id()).ok()?;
        Some(blob.content().to_vec())
    }

    /// The author of a commit, as `name <email>`.
    pub fn author(commit: &git2::Commit<'_>) -> (String, String) {
        let a = commit.author();
        (
            a.name().unwrap_or_default().to_owned(),
            a.email().unwrap_or_default().to_owned(),
        )
    }
}

impl Repo {
    /// Any git revision, as a commit.
    pub fn commit(&self, rev: &str) -> Result<git2::Commit<'_>, GitError> {
        self.repo
            .revparse_single(rev)
            .and_then(|o| o.peel_to_commit())
            .map_err(|source| GitError::Git {
                context: format!("no revision `{rev}`"),
                source,
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repo_with(tmp: &Path, files: &[(&str, &str)]) -> Repo {
        if git2::Repository::open(tmp).is_err() {
            git2::Repository::init(tmp).unwrap();
        }
        for (rel, contents) in files {
            let path = tmp.join(rel);
            fs_err::create_dir_all(path.parent().unwrap()).unwrap();
            fs_err::write(path, contents).unwrap();
        }
        Repo::open(tmp).unwrap()
    }

    /// The mode HEAD records for `path` and the mode git's index has for it.
    fn modes(tmp: &Path, path: &str) -> (i32, u32) {
        let repo = git2::Repository::open(tmp).unwrap();
        let head = repo.head().unwrap().peel_to_tree().unwrap();
        let committed = head.get_path(Path::new(path)).unwrap().filemode();
        let staged = repo
            .index()
            .unwrap()
            .get_path(Path::new(path), 0)
            .unwrap()
            .mode;
        (committed, staged)
    }

    #[test]
    fn commits_record_the_executable_bit_as_git_does() {
        let tmp = tempfile::tempdir().unwrap();
        let repo = repo_with(
            tmp.path(),
            &[
                ("skills/a/SKILL.md", "x"),
                ("skills/a/scripts/run.sh", "#!/bin/sh\n"),
            ],
        );
        let script = tmp.path().join("skills/a/scripts/run.sh");
        crate::fsutil::set_executable(&script, true).unwrap();
        repo.commit_folder("skills/a", "one").unwrap();
        assert_eq!(
            modes(tmp.path(), "skills/a/scripts/run.sh"),
            (0o100755, 0o100755)
        );
        assert_eq!(modes(tmp.path(), "skills/a/SKILL.md"), (0o100644, 0o100644));
        assert!(
            !repo.has_local_changes("skills/a").unwrap(),
            "git status is clean"
        );
        let head = repo.head_commit().unwrap();
        let files = repo.files_at(&head, "skills/a").unwrap();
        let flags: Vec<(&str, bool)> = files
            .iter()
            .map(|f| (f.path.as_str(), f.executable))
            .collect();
        assert_eq!(flags, [("SKILL.md", false), ("scripts/run.sh", true)]);
        // Written back out, the bit comes with it.
        let out = tmp.path().join("out");
        for file in &files {
            file.write_under(&out).unwrap();
        }
        let meta = fs_err::metadata(out.join("scripts/run.sh")).unwrap();
        assert!(crate::fsutil::is_executable(&meta));
        assert!(!crate::fsutil::is_executable(
            &fs_err::metadata(out.join("SKILL.md")).unwrap()
        ));

        // A mode change alone is a change, committed as one.
        crate::fsutil::set_executable(&script, false).unwrap();
        assert!(repo.has_local_changes("skills/a").unwrap());
        repo.commit_folder("skills/a", "two").unwrap();
        assert_eq!(
            modes(tmp.path(), "skills/a/scripts/run.sh"),
            (0o100644, 0o100644)
        );
        assert!(!repo.has_local_changes("skills/a").unwrap());
    }

    #[test]
    fn without_core_filemode_the_committed_mode_stays() {
        let tmp = tempfile::tempdir().unwrap();
        let repo = repo_with(tmp.path(), &[("skills/a/run.sh", "1")]);
        let script = tmp.path().join("skills/a/run.sh");
        crate::fsutil::set_executable(&script, true).unwrap();
        repo.commit_folder("skills/a", "one").unwrap();
        git2::Repository::open(tmp.path())
            .unwrap()
            .config()
            .unwrap()
            .set_bool("core.filemode", false)
            .unwrap();
        let repo = repo_with(
            tmp.path(),
            &[("skills/a/run.sh", "2"), ("skills/a/new.sh", "3")],
        );
        crate::fsutil::set_executable(&script, false).unwrap();
        crate::fsutil::set_executable(&tmp.path().join("skills/a/new.sh"), true).unwrap();
        repo.commit_tree("skills/a", "two").unwrap();
        let raw = git2::Repository::open(tmp.path()).unwrap();
        let tree = raw.head().unwrap().peel_to_tree().unwrap();
        let mode = |p: &str| tree.get_path(Path::new(p)).unwrap().filemode();
        assert_eq!(mode("skills/a/run.sh"), 0o100755, "HEAD's mode is kept");
        assert_eq!(mode("skills/a/new.sh"), 0o100644, "a new file is 100644");
    }

    #[test]
    fn a_locked_index_fails_the_commit_with_the_fix() {
        let tmp = tempfile::tempdir().unwrap();
        let repo = repo_with(tmp.path(), &[("skills/a/x", "1")]);
        repo.commit_folder("skills/a", "one").unwrap();
        let repo = repo_with(tmp.path(), &[("skills/a/y", "2")]);
        let lock = tmp.path().join(".git/index.lock");
        fs_err::write(&lock, "").unwrap();
        let before = repo.head();
        let err = repo.commit_folder("skills/a", "two").unwrap_err();
        assert!(matches!(err, GitError::IndexNotUpdated { .. }), "{err}");
        let msg = err.to_string();
        assert!(
            msg.contains("(two), but git's index was not updated for skills/a/"),
            "{msg}"
        );
        assert_eq!(
            crate::error::Diagnose::hints(&err),
            [format!(
                "if no git command is running, remove it: rm {}",
                lock.display()
            )]
        );
        assert_ne!(repo.head(), before, "the commit itself is in");
        fs_err::remove_file(&lock).unwrap();
        repo.sync_index("skills/a").unwrap();
        assert!(!repo.has_local_changes("skills/a").unwrap());
        let index = git2::Repository::open(tmp.path()).unwrap().index().unwrap();
        assert!(index.get_path(Path::new("skills/a/y"), 0).is_some());
    }

    #[test]
    fn a_locked_branch_is_reported_before_anything_is_written() {
        let tmp = tempfile::tempdir().unwrap();
        let repo = repo_with(tmp.path(), &[("skills/a/x", "1")]);
        repo.commit_folder("skills/a", "one").unwrap();
        repo.check_locks().unwrap();
        let branch = git2::Repository::open(tmp.path())
            .unwrap()
            .find_reference("HEAD")
            .unwrap()
            .symbolic_target()
            .unwrap()
            .unwrap()
            .to_owned();
        let lock = tmp.path().join(".git").join(format!("{branch}.lock"));
        fs_err::write(&lock, "").unwrap();
        let err = repo.check_locks().unwrap_err();
        assert!(
            matches!(&err, GitError::Locked { path, .. } if *path == lock),
            "{err}"
        );
        // And a commit that meets it says the same, not libgit2's raw message.
        let err = repo.commit_tree("skills/a", "two").unwrap_err();
        assert!(
            matches!(&err, GitError::Locked { path, .. } if *path == lock),
            "{err}"
        );
    }
}
