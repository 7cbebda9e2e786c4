//! The sandbox's only file access: a folder (`.skillet/workspace/`) that scripts see as
//! `./workspace/`. Paths are resolved by cap-std relative to an open directory handle, so `..`,
//! absolute paths and symlinks that lead out are refused by construction, not by string checks.

use std::io::Write as _;
use std::path::{Component, Path, PathBuf};

use cap_std::ambient_authority;
use cap_std::fs::{Dir, OpenOptions};

#[derive(Debug, thiserror::Error)]
pub enum WorkspaceError {
    #[error(
        "`{path}` is outside the workspace: scripts may only touch files under ./workspace/ (no absolute paths, no `..`)"
    )]
    Outside { path: String },
    #[error("{op} `{path}`: {message}")]
    Io {
        op: &'static str,
        path: String,
        message: String,
    },
}

/// An opened workspace folder.
pub struct Workspace {
    dir: Dir,
}

impl Workspace {
    /// Opens (creating if needed) the workspace folder.
    pub fn open(root: &Path) -> std::io::Result<Self> {
        fs_err::create_dir_all(root)?;
        let dir = Dir::open_ambient_dir(root, ambient_authority())?;
        Ok(Self { dir })
    }

    /// `./workspace/a/b.txt` (or `workspace/a/b.txt`) -> `a/b.txt`; `./workspace` -> `.`.
    fn relative(path: &str) -> Result<PathBuf, WorkspaceError> {
        let outside = || WorkspaceError::Outside {
            path: path.to_owned(),
        };
        let rest = path
            .strip_prefix("./")
            .unwrap_or(path)
            .strip_prefix("workspace")
            .ok_or_else(outside)?;
        let rest = match rest {
            "" | "/" => ".",
            r => r.strip_prefix('/').ok_or_else(outside)?,
        };
        let rel = PathBuf::from(rest);
        if rel
            .components()
            .any(|c| !matches!(c, Component::Normal(_) | Component::CurDir))
        {
            return Err(outside());
        }
        Ok(rel)
    }

    fn io<T>(
        op: &'static str,
        path: &str,
        result: std::io::Result<T>,
    ) -> Result<T, WorkspaceError> {
        result.map_err(|e| {
            // cap-std reports an escape (through `..` or a symlink) as PermissionDenied.
            if e.kind() == std::io::ErrorKind::PermissionDenied {
                WorkspaceError::Outside {
                    path: path.to_owned(),
                }
            } else {
                WorkspaceError::Io {
                    op,
                    path: path.to_owned(),
                    message: e.to_string(),
                }
            }
        })
    }

    pub fn read_file(&self, path: &str) -> Result<String, WorkspaceError> {
        let rel = Self::relative(path)?;
        Self::io("readFile", path, self.dir.read_to_string(rel))
    }

    pub fn write_file(&self, path: &str, data: &str) -> Result<(), WorkspaceError> {
        let rel = Self::relative(path)?;
        Self::io("writeFile", path, self.dir.write(rel, data))
    }

    pub fn append_file(&self, path: &str, data: &str) -> Result<(), WorkspaceError> {
        let rel = Self::relative(path)?;
        let mut options = OpenOptions::new();
        options.append(true).create(true);
        let mut file = Self::io("appendFile", path, self.dir.open_with(rel, &options))?;
        Self::io("appendFile", path, file.write_all(data.as_bytes()))
    }

    pub fn read_dir(&self, path: &str) -> Result<Vec<String>, WorkspaceError> {
        let rel = Self::relative(path)?;
        let entries = Self::io("readdir", path, self.dir.read_dir(rel))?;
        let mut names = Vec::new();
        for entry in entries {
            let entry = Self::io("readdir", path, entry)?;
            names.push(entry.file_name().to_string_lossy().into_owned());
        }
        names.sort();
        Ok(names)
    }

    pub fn exists(&self, path: &str) -> Result<bool, WorkspaceError> {
        let rel = Self::relative(path)?;
        // A path that exists only by leaving the workspace does not exist for the script.
        Ok(self.dir.symlink_metadata(&rel).is_ok() && self.dir.metadata(&rel).is_ok())
    }

    pub fn mkdir(&self, path: &str, recursive: bool) -> Result<(), WorkspaceError> {
        let rel = Self::relative(path)?;
        if recursive {
            Self::io("mkdir", path, self.dir.create_dir_all(rel))
        } else {
            Self::io("mkdir", path, self.dir.create_dir(rel))
        }
    }

    pub fn rm(&self, path: &str, recursive: bool) -> Result<(), WorkspaceError> {
        let rel = Self::relative(path)?;
        if rel == Path::new(".") {
            return Err(WorkspaceError::Io {
                op: "rm",
                path: path.to_owned(),
                message: "the workspace itself cannot be removed".into(),
            });
        }
        let meta = Self::io("rm", path, self.dir.symlink_metadata(&rel))?;
        if meta.is_dir() {
            if recursive {
                Self::io("rm", path, self.dir.remove_dir_all(rel))
            } else {
                Self::io("rm", path, self.dir.remove_dir(rel))
            }
        } else {
            Self::io("rm", path, self.dir.remove_file(rel))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn workspace() -> (tempfile::TempDir, Workspace) {
        let tmp = tempfile::tempdir().unwrap();
        let ws = Workspace::open(&tmp.path().join("workspace")).unwrap();
        (tmp, ws)
    }

    #[test]
    fn files_round_trip() {
        let (_tmp, ws) = workspace();
        ws.mkdir("./workspace/a/b", true).unwrap();
        ws.write_file("./workspace/a/b/x.txt", "one").unwrap();
        ws.append_file("workspace/a/b/x.txt", "+two").unwrap();
        assert_eq!(ws.read_file("./workspace/a/b/x.txt").unwrap(), "one+two");
        assert_eq!(ws.read_dir("./workspace/a").unwrap(), ["b"]);
        assert!(ws.exists("./workspace/a/b/x.txt").unwrap());
        ws.rm("./workspace/a", true).unwrap();
        assert!(!ws.exists("./workspace/a").unwrap());
        assert_eq!(ws.read_dir("./workspace").unwrap(), Vec::<String>::new());
    }

    #[test]
    fn escapes_are_refused() {
        let (tmp, ws) = workspace();
        fs_err::write(tmp.path().join("secret.txt"), "secret").unwrap();
        for path in [
            "/etc/passwd",
            "./workspace/../secret.txt",
            "../secret.txt",
            "./workspace/a/../../secret.txt",
            "./elsewhere/x",
            "./workspacex/y",
            "secret.txt",
        ] {
            let err = ws.read_file(path).unwrap_err();
            assert!(
                matches!(err, WorkspaceError::Outside { .. }),
                "{path}: {err}"
            );
        }
        assert!(ws.rm("./workspace", true).is_err());
    }

    #[test]
    fn planted_symlinks_lead_nowhere() {
        let (tmp, ws) = workspace();
        fs_err::write(tmp.path().join("secret.txt"), "secret").unwrap();
        std::os::unix::fs::symlink(
            tmp.path().join("secret.txt"),
            tmp.path().join("workspace").join("link"),
        )
        .unwrap();
        std::os::unix::fs::symlink("/etc", tmp.path().join("workspace").join("etc")).unwrap();
        assert!(matches!(
            ws.read_file("./workspace/link").unwrap_err(),
            WorkspaceError::Outside { .. }
        ));
        assert!(ws.read_file("./workspace/etc/passwd").is_err());
        assert!(ws.write_file("./workspace/link", "overwrite").is_err());
        assert!(!ws.exists("./workspace/link").unwrap());
        assert_eq!(
            fs_err::read_to_string(tmp.path().join("secret.txt")).unwrap(),
            "secret"
        );
    }
}
