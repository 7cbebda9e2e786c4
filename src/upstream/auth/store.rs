//! The per-user token files: one JSON file per server URL in the credentials folder (mode 0700),
//! each mode 0600 and replaced atomically. A folder or file others can read is refused, never
//! used, with the `chmod` that fixes it. rmcp reads and writes the tokens through
//! [`CredentialStore`]; the rest of the file (discovered metadata, a registered client's secret,
//! scopes a server asked for) is skillet's.

use std::os::unix::fs::{DirBuilderExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};

use rmcp::transport::auth::{
    AuthError, AuthorizationMetadata, CredentialRefreshGuard, CredentialStore, StoredCredentials,
};
use serde::{Deserialize, Serialize};
use sha2::Digest as _;

use super::AuthFailure;

/// What one token file holds. Never logged, never shown: `auth status` reads only the dates and
/// scopes.
#[derive(Clone, Default, Serialize, Deserialize)]
pub(crate) struct TokenFileContents {
    pub(crate) server_url: String,
    /// The server's name in the configuration of the last login (for `auth status`).
    #[serde(default)]
    pub(crate) server: String,
    #[serde(default)]
    pub(crate) metadata: Option<AuthorizationMetadata>,
    #[serde(default)]
    pub(crate) client_secret: Option<String>,
    #[serde(default)]
    pub(crate) credentials: Option<StoredCredentials>,
    /// Scopes a server asked for in a 403 `insufficient_scope` challenge: the next login asks
    /// for them too (step-up).
    #[serde(default)]
    pub(crate) step_up_scopes: Vec<String>,
    /// The client skillet registered itself (dynamic client registration), which later logins
    /// at the same authorization server use again; its secret, if any, is `client_secret`.
    #[serde(default)]
    pub(crate) registration: Option<Registration>,
}

/// A dynamically registered client: its id, the redirect URI it registered, and where.
#[derive(Clone, Serialize, Deserialize)]
pub(crate) struct Registration {
    pub(crate) client_id: String,
    pub(crate) redirect_uri: String,
    pub(crate) issuer: Option<String>,
    pub(crate) token_endpoint: String,
}

/// The token file of one server URL.
#[derive(Clone, Debug)]
pub(crate) struct TokenFile {
    path: PathBuf,
}

impl TokenFile {
    /// The file for `server_url` under `dir` (a digest of the URL names it).
    pub(crate) fn new(dir: &Path, server_url: &str) -> Self {
        let digest = hex::encode(sha2::Sha256::digest(server_url.as_bytes()));
        Self {
            path: dir.join(format!("{}.json", &digest[..32])),
        }
    }

    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    fn dir(&self) -> &Path {
        self.path.parent().unwrap_or(Path::new("."))
    }

    /// The file's contents; `None` when there is none. Refuses a folder or file that others may
    /// read.
    pub(crate) fn read(&self) -> Result<Option<TokenFileContents>, AuthFailure> {
        check_private(self.dir(), 0o700)?;
        let text = match fs_err::read_to_string(&self.path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(store_error(&self.path, &e)),
        };
        check_private(&self.path, 0o600)?;
        serde_json::from_str(&text)
            .map(Some)
            .map_err(|e| AuthFailure::Store {
                path: self.path.clone(),
                message: format!(
                    "the token file is unreadable ({e}); `skillet auth logout` removes it"
                ),
            })
    }

    /// Writes the contents atomically (mode 0600), creating the folder (mode 0700).
    pub(crate) fn write(&self, contents: &TokenFileContents) -> Result<(), AuthFailure> {
        let dir = self.dir();
        if !dir.exists() {
            if let Some(parent) = dir.parent() {
                fs_err::create_dir_all(parent).map_err(|e| store_error(parent, &e))?;
            }
            std::fs::DirBuilder::new()
                .mode(0o700)
                .create(dir)
                .or_else(|e| {
                    if e.kind() == std::io::ErrorKind::AlreadyExists {
                        Ok(())
                    } else {
                        Err(e)
                    }
                })
                .map_err(|e| store_error(dir, &e))?;
        }
        check_private(dir, 0o700)?;
        let bytes = serde_json::to_vec_pretty(contents).map_err(|e| AuthFailure::Store {
            path: self.path.clone(),
            message: e.to_string(),
        })?;
        // The temporary file is created 0600, so the token is never readable by others.
        crate::fsutil::write_durable(&self.path, &bytes).map_err(|e| store_error(&self.path, &e))
    }

    /// Changes the contents under a read-modify-write (one user, one file: no lock needed for
    /// the short updates skillet makes; a refresh, which spends a refresh token, holds
    /// [`TokenFile::lock`]).
    pub(crate) fn update(
        &self,
        server_url: &str,
        change: impl FnOnce(&mut TokenFileContents),
    ) -> Result<(), AuthFailure> {
        let mut contents = self.read()?.unwrap_or_else(|| TokenFileContents {
            server_url: server_url.to_owned(),
            ..TokenFileContents::default()
        });
        change(&mut contents);
        self.write(&contents)
    }

    /// The lock file beside the token file (`<name>.lock`, mode 0600): held across a refresh,
    /// so that two processes never spend one rotating refresh token.
    fn lock_path(&self) -> PathBuf {
        self.path.with_extension("lock")
    }

    /// Takes the refresh lock, waiting for another process that holds it.
    pub(crate) async fn lock(&self) -> Result<RefreshLock, AuthFailure> {
        let this = self.clone();
        tokio::task::spawn_blocking(move || this.lock_now(nix::fcntl::FlockArg::LockExclusive))
            .await
            .map_err(|e| AuthFailure::Store {
                path: self.lock_path(),
                message: e.to_string(),
            })?
    }

    fn lock_now(&self, how: nix::fcntl::FlockArg) -> Result<RefreshLock, AuthFailure> {
        use std::os::unix::fs::OpenOptionsExt as _;
        let path = self.lock_path();
        if !self.dir().exists() {
            std::fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(self.dir())
                .map_err(|e| store_error(self.dir(), &e))?;
        }
        check_private(self.dir(), 0o700)?;
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .mode(0o600)
            .open(&path)
            .map_err(|e| store_error(&path, &e))?;
        nix::fcntl::Flock::lock(file, how)
            .map(|held| RefreshLock { _held: held })
            .map_err(|(_, errno)| AuthFailure::Store {
                path,
                message: format!("cannot lock it: {errno}"),
            })
    }

    /// Removes the file; `false` when there was none.
    pub(crate) fn remove(&self) -> Result<bool, AuthFailure> {
        match fs_err::remove_file(&self.path) {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(store_error(&self.path, &e)),
        }
    }
}

fn store_error(path: &Path, e: &std::io::Error) -> AuthFailure {
    AuthFailure::Store {
        path: path.to_owned(),
        message: e.to_string(),
    }
}

/// Refuses `path` when its mode grants anything to group or others (`want` is the mode to fix
/// it with). A missing path is fine.
fn check_private(path: &Path, want: u32) -> Result<(), AuthFailure> {
    let meta = match std::fs::symlink_metadata(path) {
        Ok(meta) => meta,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(store_error(path, &e)),
    };
    let mode = meta.permissions().mode() & 0o777;
    if meta.file_type().is_symlink() || mode & 0o077 != 0 {
        return Err(AuthFailure::Permissions {
            path: path.to_owned(),
            mode,
            want,
        });
    }
    Ok(())
}

/// The refresh lock of one token file, released when dropped.
pub(crate) struct RefreshLock {
    _held: nix::fcntl::Flock<std::fs::File>,
}

/// rmcp's view of a token file.
#[derive(Clone)]
pub(crate) struct FileCredentialStore {
    pub(crate) file: TokenFile,
    pub(crate) server_url: String,
}

fn to_auth_error(e: AuthFailure) -> AuthError {
    AuthError::CredentialStoreError(e.to_string())
}

#[async_trait::async_trait]
impl CredentialStore for FileCredentialStore {
    async fn load(&self) -> Result<Option<StoredCredentials>, AuthError> {
        Ok(self
            .file
            .read()
            .map_err(to_auth_error)?
            .and_then(|c| c.credentials))
    }

    async fn save(&self, credentials: StoredCredentials) -> Result<(), AuthError> {
        self.file
            .update(&self.server_url, |c| {
                // Scopes asked for in a step-up are granted once the new token carries them.
                c.step_up_scopes
                    .retain(|s| !credentials.granted_scopes.contains(s));
                c.credentials = Some(credentials);
            })
            .map_err(to_auth_error)
    }

    async fn clear(&self) -> Result<(), AuthError> {
        self.file
            .update(&self.server_url, |c| c.credentials = None)
            .map_err(to_auth_error)
    }

    /// rmcp takes this before it reads the credentials to refresh and keeps it until the new
    /// ones are saved: a process that waited reads the refresh token the other one stored.
    async fn acquire_refresh_guard(&self) -> Result<Option<CredentialRefreshGuard>, AuthError> {
        let lock = self.file.lock().await.map_err(to_auth_error)?;
        Ok(Some(CredentialRefreshGuard::new(lock)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_are_private_and_wide_ones_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("skillet/credentials");
        let file = TokenFile::new(&dir, "https://mcp.example.com/mcp");
        assert!(file.read().unwrap().is_none());
        file.update("https://mcp.example.com/mcp", |c| c.server = "x".into())
            .unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&dir), 0o700);
        assert_eq!(mode(file.path()), 0o600);
        assert_eq!(file.read().unwrap().unwrap().server, "x");

        std::fs::set_permissions(file.path(), std::fs::Permissions::from_mode(0o644)).unwrap();
        let err = file.read().err().unwrap();
        assert!(
            matches!(err, AuthFailure::Permissions { want: 0o600, .. }),
            "{err}"
        );
        std::fs::set_permissions(file.path(), std::fs::Permissions::from_mode(0o600)).unwrap();
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        let err = file.read().err().unwrap();
        assert!(
            matches!(err, AuthFailure::Permissions { want: 0o700, .. }),
            "{err}"
        );
    }

    #[test]
    fn the_refresh_lock_is_held_by_one_holder_at_a_time() {
        use nix::fcntl::FlockArg::LockExclusiveNonblock;
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("credentials");
        let file = TokenFile::new(&dir, "https://mcp.example.com/mcp");
        let held = file.lock_now(LockExclusiveNonblock).unwrap();
        // Another open of the lock file (as another process would) cannot take it...
        let err = file.lock_now(LockExclusiveNonblock).err().unwrap();
        assert!(err.to_string().contains("cannot lock it"), "{err}");
        drop(held);
        // ...until it is released.
        let again = file.lock_now(LockExclusiveNonblock).unwrap();
        let mode = std::fs::metadata(file.lock_path())
            .unwrap()
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(mode, 0o600);
        drop(again);
    }

    #[test]
    fn one_file_per_server_url() {
        let dir = Path::new("/c");
        assert_ne!(
            TokenFile::new(dir, "https://a.example/mcp").path(),
            TokenFile::new(dir, "https://b.example/mcp").path()
        );
    }
}
