//! `watch`: keep the registry's `skills/` for other processes (a keeper, see
//! [`crate::skill::keeper`]) until told to stop, so a search from any process sees a hand edit
//! at once.

use std::future::Future;
use std::path::PathBuf;

use super::Answering;
use crate::registry::Registry;
use crate::skill::keeper::{Keeper, KeeperError};

/// A keeper running for the command that started it, answering other processes' searches.
#[derive(Debug)]
pub struct Watching {
    keeper: Keeper,
    answering: Option<Answering>,
    /// The `skills/` folder kept.
    pub skills: PathBuf,
    /// The watches it holds (`skills/` and every folder under it).
    pub watches: usize,
}

/// Starts keeping the registry's `skills/`: returns once every folder is watched (from then
/// on, searches see every change). Fails when another keeper holds the registry (`skillet
/// watch`, or `skillet serve`), or `skills/` cannot be watched.
pub fn watch(registry: &Registry) -> Result<Watching, KeeperError> {
    let keeper = Keeper::start(registry)?;
    Ok(Watching {
        watches: keeper.watches(),
        answering: Answering::start(registry),
        keeper,
        skills: registry.skills_dir(),
    })
}

impl Watching {
    /// Keeps until `stop` completes (then stops cleanly), or until the keeper ends on its own
    /// (it could not watch `skills/` again after it lost track: the error says why).
    pub async fn until(self, stop: impl Future<Output = ()>) -> Result<(), KeeperError> {
        tokio::select! {
            () = stop => {}
            () = self.keeper.ended() => {}
        }
        // The socket goes while the keeper lock is held.
        drop(self.answering);
        self.keeper.stop()
    }
}
