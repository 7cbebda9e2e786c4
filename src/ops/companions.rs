//! The registry files that travel with every write to `skills/` (`save`, `install`,
//! `update`), in the same commit: `skillet.lock` when it differs from HEAD (a saved skill's
//! tool pins refer to it), and the plugin marketplace when it is on ([`super::marketplace`]),
//! regenerated once the new folder is in place. The journal keeps that crash-safe: a write
//! killed before the marketplace was regenerated is undone, never committed without it.

use std::cell::RefCell;

use crate::registry::git::Repo;
use crate::registry::journal::{self, Companions, Staging, WriteLock};
use crate::registry::{LOCK_FILE, Registry};

/// [`journal::swap_and_commit`] with the registry's companion files.
pub(crate) fn swap_and_commit(
    registry: &Registry,
    repo: &Repo,
    lock: &WriteLock,
    staging: Staging,
    op: &str,
    name: &str,
    message: &str,
) -> anyhow::Result<String> {
    let tracked = |rel: &str| registry.root().join(rel).is_file() && !repo.is_ignored(rel);
    let along: Vec<String> = [LOCK_FILE]
        .into_iter()
        .filter(|rel| tracked(rel))
        .map(str::to_owned)
        .collect();
    let derived: Vec<String> = [super::marketplace::MARKETPLACE_FILE]
        .into_iter()
        .filter(|rel| tracked(rel))
        .map(str::to_owned)
        .collect();
    // The regeneration's own error, with its hints, in place of the journal's message.
    let failed: RefCell<Option<anyhow::Error>> = RefCell::new(None);
    let regenerate = || -> Result<(), String> {
        super::marketplace::sync(registry, std::time::SystemTime::now())
            .map(|_| ())
            .map_err(|e| {
                let message = format!("{e:#}");
                *failed.borrow_mut() = Some(e);
                message
            })
    };
    let companions = Companions {
        along,
        derived,
        regenerate: Some(&regenerate),
    };
    match journal::swap_and_commit(
        registry,
        repo,
        lock,
        staging,
        op,
        name,
        message,
        &companions,
    ) {
        Ok(commit) => Ok(commit),
        Err(e) => match failed.borrow_mut().take() {
            Some(error) => Err(error.context(format!(
                "the {op} of `{name}` was undone: {} could not be regenerated",
                super::marketplace::MARKETPLACE_FILE
            ))),
            None => Err(e.into()),
        },
    }
}
