//! `skillet.lock`: the interface each upstream tool had when the API was last generated (a hash of
//! its input and output schemas, a hash of its description and title, and the TypeScript function
//! it became). Committed, so that a
//! change of a server's tools shows up as drift in review and in CI (`skillet gen --check`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::config::settings::line_column;

pub(crate) const LOCK_VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Lockfile {
    pub version: u32,
    #[serde(default)]
    pub servers: BTreeMap<String, LockedServer>,
}

impl Default for Lockfile {
    fn default() -> Self {
        Self {
            version: LOCK_VERSION,
            servers: BTreeMap::new(),
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct LockedServer {
    #[serde(default)]
    pub tools: BTreeMap<String, LockedTool>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct LockedTool {
    /// The generated TypeScript function, kept stable across generations.
    pub function: String,
    /// `sha256:<hex>` of the canonical JSON of the tool's input and output schemas.
    pub schema: String,
    /// `sha256:<hex>` of the canonical JSON of the tool's description and title: what reaches
    /// the model through JSDoc and tool search. Absent in locks written before it was recorded
    /// (then a description change cannot be told, and the next `gen` records it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub(crate) enum LockError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}:{line}:{column}: invalid lock file: {message}")]
    Invalid {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
    #[error(
        "{path}: lock file version {found} is newer than this skillet understands ({LOCK_VERSION})"
    )]
    Version { path: PathBuf, found: u32 },
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// How one tool differs from the lock.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    Added,
    Removed,
    /// The input or output schema changed.
    Changed,
    /// The description or title changed (schemas the same, or also reported as `Changed`).
    DescriptionChanged,
}

/// One difference between the live (or given) tools and the lock.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Drift {
    pub server: String,
    pub tool: String,
    pub change: Change,
}

impl std::fmt::Display for Drift {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let sign = match self.change {
            Change::Added => "+ added  ",
            Change::Removed => "- removed",
            Change::Changed => "~ changed",
            Change::DescriptionChanged => "~ description changed:",
        };
        write!(f, "{sign} {}/{}", self.server, self.tool)
    }
}

impl Lockfile {
    /// Reads the lock; a missing file is an empty lock.
    pub(crate) fn load(path: &Path) -> Result<Self, LockError> {
        let text = match fs_err::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Self::default()),
            Err(source) => {
                return Err(LockError::Read {
                    path: path.to_owned(),
                    source,
                });
            }
        };
        Self::parse(&text, path)
    }

    /// Parses lock text (`path` only names it in errors), e.g. the lock at a git revision.
    pub(crate) fn parse(text: &str, path: &Path) -> Result<Self, LockError> {
        let lock: Self = toml::from_str(text).map_err(|e| {
            let (line, column) = e.span().map_or((1, 1), |s| line_column(text, s.start));
            LockError::Invalid {
                path: path.to_owned(),
                line,
                column,
                message: e.message().trim_end().to_owned(),
            }
        })?;
        if lock.version > LOCK_VERSION {
            return Err(LockError::Version {
                path: path.to_owned(),
                found: lock.version,
            });
        }
        Ok(lock)
    }

    pub(crate) fn to_toml(&self) -> String {
        let body = toml::to_string(self).unwrap_or_default();
        format!(
            "# Written by `skillet gen`: the interface of every upstream tool. Commit it.\n{body}"
        )
    }

    /// Writes the lock atomically (temp file + rename).
    pub(crate) fn save(&self, path: &Path) -> Result<(), LockError> {
        crate::fsutil::write_atomic(path, self.to_toml().as_bytes()).map_err(|source| {
            LockError::Write {
                path: path.to_owned(),
                source,
            }
        })
    }

    /// The description hash recorded for `server`'s `tool`, if any.
    pub(crate) fn description(&self, server: &str, tool: &str) -> Option<&str> {
        self.servers
            .get(server)?
            .tools
            .get(tool)?
            .description
            .as_deref()
    }

    /// Previous function names of a server's tools, to keep generated names stable.
    pub(crate) fn functions(&self, server: &str) -> BTreeMap<String, String> {
        self.servers
            .get(server)
            .map(|s| {
                s.tools
                    .iter()
                    .map(|(tool, locked)| (tool.clone(), locked.function.clone()))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// What differs between the lock's entry for `server` and `current`.
    pub(crate) fn diff(&self, server: &str, current: &LockedServer) -> Vec<Drift> {
        let empty = LockedServer::default();
        let old = self.servers.get(server).unwrap_or(&empty);
        let drift = |tool: &str, change| Drift {
            server: server.to_owned(),
            tool: tool.to_owned(),
            change,
        };
        let mut out = Vec::new();
        for (tool, locked) in &current.tools {
            let Some(o) = old.tools.get(tool) else {
                out.push(drift(tool, Change::Added));
                continue;
            };
            if o.schema != locked.schema {
                out.push(drift(tool, Change::Changed));
            }
            if let (Some(was), Some(now)) = (&o.description, &locked.description)
                && was != now
            {
                out.push(drift(tool, Change::DescriptionChanged));
            }
        }
        for tool in old.tools.keys() {
            if !current.tools.contains_key(tool) {
                out.push(drift(tool, Change::Removed));
            }
        }
        out.sort_by(|a, b| a.tool.cmp(&b.tool));
        out
    }
}

impl crate::error::Diagnose for LockError {
    fn hints(&self) -> Vec<String> {
        match self {
            Self::Read { .. } | Self::Invalid { .. } => vec!["the lock file is written by `skillet gen`; restore it from git (`git checkout -- skillet.lock`) or delete it and run `skillet gen`".into()],
            Self::Version { .. } => vec!["upgrade skillet".into()],
            Self::Write { .. } => Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn server(tools: &[(&str, &str)]) -> LockedServer {
        LockedServer {
            tools: tools
                .iter()
                .map(|(t, h)| {
                    (
                        (*t).to_owned(),
                        LockedTool {
                            function: (*t).to_owned(),
                            schema: (*h).to_owned(),
                            description: Some(format!("d-{t}")),
                        },
                    )
                })
                .collect(),
        }
    }

    #[test]
    fn diff_reports_added_removed_changed() {
        let mut lock = Lockfile::default();
        lock.servers
            .insert("s".into(), server(&[("a", "1"), ("b", "2"), ("c", "3")]));
        let drift = lock.diff("s", &server(&[("a", "1"), ("b", "X"), ("d", "4")]));
        let text: Vec<String> = drift.iter().map(ToString::to_string).collect();
        assert_eq!(text, ["~ changed s/b", "- removed s/c", "+ added   s/d"]);
        assert!(lock.diff("other", &LockedServer::default()).is_empty());
    }

    #[test]
    fn a_changed_description_is_its_own_drift() {
        let mut lock = Lockfile::default();
        lock.servers
            .insert("s".into(), server(&[("a", "1"), ("b", "2"), ("old", "3")]));
        let mut now = server(&[("a", "1"), ("b", "X"), ("old", "3")]);
        for tool in ["a", "b"] {
            now.tools.get_mut(tool).unwrap().description = Some("poisoned".into());
        }
        // A lock written before descriptions were recorded cannot tell.
        now.tools.get_mut("old").unwrap().description = Some("new".into());
        lock.servers
            .get_mut("s")
            .unwrap()
            .tools
            .get_mut("old")
            .unwrap()
            .description = None;
        let text: Vec<String> = lock
            .diff("s", &now)
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            text,
            [
                "~ description changed: s/a",
                "~ changed s/b",
                "~ description changed: s/b"
            ]
        );
    }

    #[test]
    fn round_trips_through_toml() {
        let mut lock = Lockfile::default();
        lock.servers
            .insert("my-server".into(), server(&[("get.thing", "sha256:ab")]));
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("skillet.lock");
        lock.save(&path).unwrap();
        assert_eq!(Lockfile::load(&path).unwrap(), lock);
        assert_eq!(
            Lockfile::load(&tmp.path().join("missing")).unwrap(),
            Lockfile::default()
        );
    }

    #[test]
    fn invalid_lock_has_position() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("skillet.lock");
        fs_err::write(&path, "version = 1\n[servers.a.tools.b]\nfunction = 3\n").unwrap();
        let msg = Lockfile::load(&path).unwrap_err().to_string();
        assert!(msg.contains("skillet.lock:3:"), "{msg}");
    }
}
