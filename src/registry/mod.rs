//! A registry: a git repository (or a folder inside one) holding `skillet.toml`, the team's skills,
//! the signing policy and the MCP configuration. `.skillet/` inside it is the local cache.

pub mod changes;
pub mod git;
pub mod journal;

use std::path::{Path, PathBuf};

use crate::config::{self, ServerConfig, Settings, SettingsError};

pub const SETTINGS_FILE: &str = "skillet.toml";
pub const LOCK_FILE: &str = "skillet.lock";
pub const MCP_CONFIG_FILE: &str = ".mcp.json";
pub const CACHE_DIR: &str = ".skillet";

/// An opened registry: its root folder and its settings.
#[derive(Debug, Clone)]
pub struct Registry {
    root: PathBuf,
    settings: Settings,
}

#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    #[error("no skillet registry in {start} or any parent folder (looked for {SETTINGS_FILE})")]
    NotFound { start: PathBuf },
    #[error("{dir} is not empty and is not inside a git repository")]
    NotEmpty { dir: PathBuf },
    #[error("{path} exists and is not a folder")]
    NotADirectory { path: PathBuf },
    #[error(transparent)]
    Settings(#[from] SettingsError),
    #[error(transparent)]
    McpConfig(#[from] config::McpConfigError),
    #[error("git: {context}: {source}")]
    Git {
        context: String,
        source: git2::Error,
    },
    #[error("the registry's files were written, but not committed: {0}")]
    Commit(Box<git::GitError>),
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

impl crate::error::Diagnose for RegistryError {
    fn hints(&self) -> Vec<String> {
        match self {
            Self::NotFound { .. } => {
                vec!["run `skillet init` to make one here, or pass `-C DIR`".into()]
            }
            Self::NotEmpty { .. } => vec![
                "run `skillet init` in an empty folder or inside a git repository, or pass --force to add the registry files here anyway".into(),
            ],
            Self::Settings(e) => e.hints(),
            Self::McpConfig(e) => e.hints(),
            Self::Commit(e) => e.hints(),
            Self::NotADirectory { .. } | Self::Git { .. } | Self::Io(_) => Vec::new(),
        }
    }
}

/// Why `name` cannot name a skill folder (`skills/<name>`), or `None` when it can: 1-64
/// lowercase letters, digits and single hyphens, as the Agent Skills specification says.
pub fn skill_name_problem(name: &str) -> Option<&'static str> {
    if name.is_empty() || name.len() > 64 {
        return Some("it must be 1 to 64 characters");
    }
    if !name
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    {
        return Some("only lowercase letters, digits and hyphens are allowed");
    }
    if name.starts_with('-') || name.ends_with('-') || name.contains("--") {
        return Some("hyphens cannot lead, trail or double");
    }
    None
}

/// Whether `name` can name a skill folder ([`skill_name_problem`]).
pub fn is_skill_name(name: &str) -> bool {
    skill_name_problem(name).is_none()
}

impl Registry {
    /// Finds the registry by walking up from `start` to the first folder holding `skillet.toml`,
    /// and finishes or undoes a write to `skills/` that a killed command left (see
    /// `journal`). A recovery that cannot finish now is reported, and tried again by the
    /// next command; it does not stop this one.
    pub fn discover(start: &Path) -> Result<Self, RegistryError> {
        let registry = Self::discover_untouched(start)?;
        if let Err(e) = journal::recover(&registry) {
            tracing::warn!("an interrupted save could not be finished yet: {e}");
        }
        Ok(registry)
    }

    /// [`Registry::discover`] without recovery: for reading a registry that is not the one the
    /// command works on (the source of `install`).
    pub fn discover_untouched(start: &Path) -> Result<Self, RegistryError> {
        let start = std::path::absolute(start)?;
        let found = start
            .ancestors()
            .find(|dir| dir.join(SETTINGS_FILE).is_file())
            .ok_or_else(|| RegistryError::NotFound {
                start: start.clone(),
            })?;
        Self::open(found)
    }

    /// Opens the registry rooted at `root`, reading and validating its settings.
    pub fn open(root: &Path) -> Result<Self, RegistryError> {
        let settings = Settings::load(&root.join(SETTINGS_FILE))?;
        Ok(Self {
            root: root.to_owned(),
            settings,
        })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }
    pub fn settings(&self) -> &Settings {
        &self.settings
    }
    /// `.skillet/`: the local cache, ignored by git.
    pub fn cache_dir(&self) -> PathBuf {
        self.root.join(CACHE_DIR)
    }
    /// The root of the generated TypeScript tree (`client.ts`, `servers/`).
    pub fn api_dir(&self) -> PathBuf {
        self.cache_dir()
    }
    /// Where upstream servers' stderr and skipped stdout lines are written.
    pub fn logs_dir(&self) -> PathBuf {
        self.cache_dir().join("logs")
    }
    pub fn lock_path(&self) -> PathBuf {
        self.root.join(LOCK_FILE)
    }
    pub fn mcp_config_path(&self) -> PathBuf {
        self.root.join(MCP_CONFIG_FILE)
    }
    pub fn skills_dir(&self) -> PathBuf {
        self.root.join("skills")
    }

    /// The configured upstream servers: from `override_path` when given, else `.mcp.json`.
    pub fn servers(
        &self,
        override_path: Option<&Path>,
    ) -> Result<Vec<ServerConfig>, RegistryError> {
        Ok(match override_path {
            Some(path) => config::mcp::load(path)?,
            None => config::mcp::load_optional(&self.mcp_config_path())?,
        })
    }
}

/// What `init` did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct InitReport {
    pub root: PathBuf,
    /// A new git repository was made (false: the folder was already inside one).
    pub created_repository: bool,
    /// Files and folders written, relative to the root.
    pub added: Vec<String>,
    /// Files that were already there and left untouched.
    pub kept: Vec<String>,
    /// The commit of the files written (none when nothing was), so a clone of the repository
    /// is a registry.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
}

const ALLOWED_SIGNERS: &str = "\
# Reviewers whose SSH signatures count for skills in this registry, in git's allowed_signers format:
#   principal[,principal...] [options] keytype base64-key [comment]
# Example:
#   alice@example.com namespaces=\"skillet-skill-review@skillet\" ssh-ed25519 AAAAC3Nz...
";

const MCP_CONFIG: &str = "{\n  \"mcpServers\": {}\n}\n";

const IGNORE_LINE: &str = ".skillet/";

/// Makes (or completes) a registry in `dir`. Safe to run twice; inside an existing git repository
/// it adds only what is missing and touches nothing else.
pub fn init(dir: &Path, force: bool) -> Result<InitReport, RegistryError> {
    let dir = std::path::absolute(dir)?;
    if dir.exists() && !dir.is_dir() {
        return Err(RegistryError::NotADirectory { path: dir });
    }
    fs_err::create_dir_all(&dir)?;
    let in_repository = git2::Repository::discover(&dir)
        .ok()
        .and_then(|repo| repo.workdir().map(Path::to_owned))
        .is_some_and(|workdir| {
            let workdir = fs_err::canonicalize(workdir).unwrap_or_default();
            fs_err::canonicalize(&dir).is_ok_and(|d| d.starts_with(workdir))
        });
    let mut created_repository = false;
    if !in_repository {
        let empty = fs_err::read_dir(&dir)?.next().is_none();
        if !empty && !force && !dir.join(SETTINGS_FILE).exists() {
            return Err(RegistryError::NotEmpty { dir });
        }
        git2::Repository::init(&dir).map_err(|source| RegistryError::Git {
            context: format!("cannot make a repository in {}", dir.display()),
            source,
        })?;
        created_repository = true;
    }

    let mut report = InitReport {
        root: dir.clone(),
        created_repository,
        added: Vec::new(),
        kept: Vec::new(),
        commit: None,
    };
    // The files to commit: the registry's own, as written here (never the user's others).
    let mut written: Vec<String> = Vec::new();
    let mut write_new = |rel: &str, contents: &str| -> Result<(), RegistryError> {
        let path = dir.join(rel);
        if path.exists() {
            report.kept.push(rel.to_owned());
        } else {
            if let Some(parent) = path.parent() {
                fs_err::create_dir_all(parent)?;
            }
            fs_err::write(&path, contents)?;
            report.added.push(rel.to_owned());
            written.push(rel.to_owned());
        }
        Ok(())
    };
    write_new(SETTINGS_FILE, config::settings::DEFAULT_SETTINGS)?;
    write_new(MCP_CONFIG_FILE, MCP_CONFIG)?;
    write_new("skills/.gitkeep", "")?;
    write_new("signing/allowed_signers", ALLOWED_SIGNERS)?;

    let gitignore = dir.join(".gitignore");
    if gitignore.exists() {
        let text = fs_err::read_to_string(&gitignore)?;
        let ignored = text
            .lines()
            .map(str::trim)
            .any(|l| matches!(l, ".skillet" | ".skillet/" | "/.skillet" | "/.skillet/"));
        if ignored {
            report.kept.push(".gitignore".into());
        } else {
            let sep = if text.is_empty() || text.ends_with('\n') {
                ""
            } else {
                "\n"
            };
            fs_err::write(&gitignore, format!("{text}{sep}{IGNORE_LINE}\n"))?;
            report.added.push(".gitignore (.skillet/)".into());
            written.push(".gitignore".into());
        }
    } else {
        fs_err::write(&gitignore, format!("{IGNORE_LINE}\n"))?;
        report.added.push(".gitignore".into());
        written.push(".gitignore".into());
    }
    let repo = git::Repo::open(&dir).map_err(|e| RegistryError::Commit(Box::new(e)))?;
    // A registry in a folder the enclosing repository ignores (a build folder) is not that
    // repository's to commit; nor is anything else it ignores.
    written.retain(|rel| !repo.is_ignored(rel));
    if !written.is_empty() {
        report.commit = Some(
            repo.commit_files(&written, "skillet: make a registry")
                .map_err(|e| RegistryError::Commit(Box::new(e)))?,
        );
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn init_twice_is_harmless() {
        let tmp = tempfile::tempdir().unwrap();
        let first = init(tmp.path(), false).unwrap();
        assert!(first.created_repository);
        assert!(first.added.contains(&SETTINGS_FILE.to_owned()));
        let second = init(tmp.path(), false).unwrap();
        assert!(!second.created_repository);
        assert!(second.added.is_empty(), "{:?}", second.added);
        let registry = Registry::discover(&tmp.path().join("skills")).unwrap();
        assert_eq!(registry.root(), std::path::absolute(tmp.path()).unwrap());
    }

    #[test]
    fn refuses_non_empty_folder_outside_git() {
        let tmp = tempfile::tempdir().unwrap();
        fs_err::write(tmp.path().join("notes.txt"), "mine").unwrap();
        let err = init(tmp.path(), false).unwrap_err();
        assert!(matches!(err, RegistryError::NotEmpty { .. }), "{err}");
        assert!(!tmp.path().join(SETTINGS_FILE).exists());
        init(tmp.path(), true).unwrap();
        assert_eq!(
            fs_err::read_to_string(tmp.path().join("notes.txt")).unwrap(),
            "mine"
        );
    }

    #[test]
    fn inside_existing_repository_adds_only_what_is_missing() {
        let tmp = tempfile::tempdir().unwrap();
        git2::Repository::init(tmp.path()).unwrap();
        fs_err::write(tmp.path().join(".gitignore"), "target").unwrap();
        fs_err::write(tmp.path().join("main.rs"), "fn main() {}").unwrap();
        let sub = tmp.path().join("tools");
        let report = init(&sub, false).unwrap();
        assert!(!report.created_repository);
        assert!(!sub.join(".git").exists());
        let top = init(tmp.path(), false).unwrap();
        assert_eq!(
            fs_err::read_to_string(tmp.path().join(".gitignore")).unwrap(),
            "target\n.skillet/\n"
        );
        assert!(top.added.iter().any(|a| a.starts_with(".gitignore")));
        assert_eq!(
            fs_err::read_to_string(tmp.path().join("main.rs")).unwrap(),
            "fn main() {}"
        );
    }

    #[test]
    fn init_commits_its_files_but_nothing_the_repository_ignores() {
        let tmp = tempfile::tempdir().unwrap();
        let repo = git2::Repository::init(tmp.path()).unwrap();
        fs_err::write(tmp.path().join(".gitignore"), "target/\n").unwrap();
        // In an ignored build folder: nothing of the registry is the repository's to commit.
        let built = init(&tmp.path().join("target/ci-registry"), false).unwrap();
        assert_eq!(built.commit, None);
        assert!(repo.head().is_err(), "no commit was made");
        // Beside it: the registry's files are committed, the user's .gitignore edit with them.
        let report = init(&tmp.path().join("tools"), false).unwrap();
        let commit = repo
            .find_commit(git2::Oid::from_str(report.commit.as_deref().unwrap()).unwrap())
            .unwrap();
        let mut paths = Vec::new();
        commit
            .tree()
            .unwrap()
            .walk(git2::TreeWalkMode::PreOrder, |dir, entry| {
                if entry.kind() == Some(git2::ObjectType::Blob) {
                    paths.push(format!("{dir}{}", entry.name().unwrap()));
                }
                git2::TreeWalkResult::Ok
            })
            .unwrap();
        assert_eq!(
            paths,
            [
                "tools/.gitignore",
                "tools/.mcp.json",
                "tools/signing/allowed_signers",
                "tools/skillet.toml",
                "tools/skills/.gitkeep"
            ]
        );
    }

    #[test]
    fn discover_outside_registry_hints_init() {
        let tmp = tempfile::tempdir().unwrap();
        let err = Registry::discover(tmp.path()).unwrap_err();
        let hints = crate::error::Diagnose::hints(&err);
        assert!(hints[0].starts_with("run `skillet init`"), "{hints:?}");
    }
}
