//! The read-only tree agents program against: the generated API (`client.ts`, `servers/...`)
//! and the registry's skills (`skills/<name>/...`), addressed by relative paths. Nothing outside
//! those two roots is reachable: `..`, absolute paths and symlinks that lead out are refused.

use std::path::{Component, Path, PathBuf};

use crate::registry::Registry;

/// Largest file a read returns whole.
const MAX_FILE_BYTES: u64 = 1024 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum TreeError {
    #[error("`{0}` is outside the tree")]
    Outside(String),
    #[error("`{0}` does not exist")]
    NotFound(String),
    #[error("`{0}` is a folder")]
    IsDir(String),
    #[error("`{0}` is a file")]
    NotDir(String),
    #[error("`{path}` is {size} bytes, more than the {MAX_FILE_BYTES} bytes a read returns")]
    TooLarge { path: String, size: u64 },
    #[error("`{0}` is not UTF-8 text")]
    Binary(String),
    #[error("`{path}`: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
}

/// One entry of a listing.
impl crate::error::Diagnose for TreeError {
    fn hints(&self) -> Vec<String> {
        let hint = match self {
            Self::Outside(_) => {
                "paths are relative, like `servers/`, `servers/<server>/<tool>.ts` or `skills/<name>/SKILL.md`"
            }
            Self::NotFound(_) => "read `servers/` or `skills/` to see what is there",
            _ => return Vec::new(),
        };
        vec![hint.to_owned()]
    }
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Entry {
    /// The path from the tree's root, folders ending in `/`.
    pub path: String,
    pub dir: bool,
}

/// The tree of one registry.
pub struct Tree {
    api: PathBuf,
    skills: PathBuf,
}

impl Tree {
    pub fn new(registry: &Registry) -> Self {
        Self {
            api: registry.api_dir(),
            skills: registry.skills_dir(),
        }
    }

    /// Maps a virtual path to the real one, refusing anything that leaves the roots.
    fn resolve(&self, path: &str) -> Result<Option<PathBuf>, TreeError> {
        let trimmed = path.trim().trim_start_matches("./").trim_end_matches('/');
        if trimmed.is_empty() || trimmed == "." {
            return Ok(None);
        }
        let relative = Path::new(trimmed);
        let mut parts = Vec::new();
        for component in relative.components() {
            match component {
                Component::Normal(part) => parts.push(part.to_string_lossy().into_owned()),
                Component::CurDir => {}
                _ => return Err(TreeError::Outside(super::echo(path))),
            }
        }
        let Some((first, rest)) = parts.split_first() else {
            return Ok(None);
        };
        let (root, rest) = match first.as_str() {
            "skills" => (&self.skills, rest),
            "servers" | "client.ts" | "globals.d.ts" => (&self.api, parts.as_slice()),
            _ => return Err(TreeError::NotFound(super::echo(path))),
        };
        let real = rest.iter().fold(root.clone(), |p, part| p.join(part));
        // Symlinks may not lead out of their root.
        if let (Ok(canonical), Ok(root)) = (real.canonicalize(), root.canonicalize())
            && !canonical.starts_with(&root)
        {
            return Err(TreeError::Outside(super::echo(path)));
        }
        Ok(Some(real))
    }

    /// The entries of a folder (`""` is the root: `client.ts`, `servers/`, `skills/`).
    pub fn list(&self, path: &str) -> Result<Vec<Entry>, TreeError> {
        let Some(real) = self.resolve(path)? else {
            let mut out = Vec::new();
            if self.api.join("client.ts").is_file() {
                out.push(Entry {
                    path: "client.ts".into(),
                    dir: false,
                });
            }
            out.push(Entry {
                path: "servers/".into(),
                dir: true,
            });
            out.push(Entry {
                path: "skills/".into(),
                dir: true,
            });
            return Ok(out);
        };
        let prefix = {
            let p = path.trim().trim_start_matches("./").trim_end_matches('/');
            format!("{p}/")
        };
        if real.is_file() {
            return Err(TreeError::NotDir(super::echo(path)));
        }
        let entries = match fs_err::read_dir(&real) {
            Ok(entries) => entries,
            // An empty registry has no generated tree or skills yet.
            Err(_) if prefix == "servers/" || prefix == "skills/" => return Ok(Vec::new()),
            Err(_) => return Err(TreeError::NotFound(super::echo(path))),
        };
        let mut out: Vec<Entry> = entries
            .flatten()
            .filter_map(|entry| {
                let name = entry.file_name().to_string_lossy().into_owned();
                if name.starts_with('.') {
                    return None;
                }
                let dir = entry.path().is_dir();
                Some(Entry {
                    path: format!("{prefix}{name}{}", if dir { "/" } else { "" }),
                    dir,
                })
            })
            .collect();
        out.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(out)
    }

    /// A file's text.
    pub fn read(&self, path: &str) -> Result<String, TreeError> {
        let Some(real) = self.resolve(path)? else {
            return Err(TreeError::IsDir(super::echo(path)));
        };
        let io = |source| TreeError::Io {
            path: super::echo(path),
            source,
        };
        let meta = match fs_err::metadata(&real) {
            Ok(meta) => meta,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(TreeError::NotFound(super::echo(path)));
            }
            Err(e) => return Err(io(e)),
        };
        if meta.is_dir() {
            return Err(TreeError::IsDir(super::echo(path)));
        }
        if meta.len() > MAX_FILE_BYTES {
            return Err(TreeError::TooLarge {
                path: super::echo(path),
                size: meta.len(),
            });
        }
        let bytes = fs_err::read(&real).map_err(io)?;
        String::from_utf8(bytes).map_err(|_| TreeError::Binary(super::echo(path)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree() -> (tempfile::TempDir, Tree) {
        let tmp = tempfile::tempdir().unwrap();
        let api = tmp.path().join("api");
        let skills = tmp.path().join("skills");
        fs_err::create_dir_all(api.join("servers/docs")).unwrap();
        fs_err::write(api.join("client.ts"), "export {}").unwrap();
        fs_err::write(api.join("servers/docs/getDocument.ts"), "// get").unwrap();
        fs_err::create_dir_all(skills.join("a/scripts")).unwrap();
        fs_err::write(skills.join("a/SKILL.md"), "---\nname: a\n---\n").unwrap();
        fs_err::write(tmp.path().join("secret"), "no").unwrap();
        (tmp, Tree { api, skills })
    }

    #[test]
    fn lists_and_reads_inside_the_roots() {
        let (_tmp, tree) = tree();
        let root: Vec<_> = tree.list("").unwrap().into_iter().map(|e| e.path).collect();
        assert_eq!(root, ["client.ts", "servers/", "skills/"]);
        let docs: Vec<_> = tree
            .list("servers/docs/")
            .unwrap()
            .into_iter()
            .map(|e| e.path)
            .collect();
        assert_eq!(docs, ["servers/docs/getDocument.ts"]);
        assert_eq!(
            tree.read("./servers/docs/getDocument.ts").unwrap(),
            "// get"
        );
        assert!(tree.read("skills/a/SKILL.md").unwrap().contains("name: a"));
        let skill: Vec<_> = tree
            .list("skills/a")
            .unwrap()
            .into_iter()
            .map(|e| e.path)
            .collect();
        assert_eq!(skill, ["skills/a/SKILL.md", "skills/a/scripts/"]);
    }

    #[test]
    fn refuses_paths_that_leave_the_roots() {
        let (tmp, tree) = tree();
        for bad in [
            "../secret",
            "/etc/passwd",
            "servers/../../secret",
            "skills/../secret",
        ] {
            assert!(
                matches!(tree.read(bad), Err(TreeError::Outside(_))),
                "{bad}: {:?}",
                tree.read(bad)
            );
        }
        assert!(matches!(
            tree.read("etc/passwd"),
            Err(TreeError::NotFound(_))
        ));
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(tmp.path().join("secret"), tmp.path().join("skills/a/leak"))
                .unwrap();
            assert!(matches!(
                tree.read("skills/a/leak"),
                Err(TreeError::Outside(_))
            ));
        }
        assert!(matches!(
            tree.read("servers/docs"),
            Err(TreeError::IsDir(_))
        ));
        assert!(matches!(tree.list("client.ts"), Err(TreeError::NotDir(_))));
    }
}
