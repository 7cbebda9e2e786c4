//! The environment variables skillet reads, in one place: no other module reads the environment
//! (clippy's `disallowed-methods`, set in clippy.toml, keeps it so). What is read here is passed
//! on as values, so the library can be driven by tests without touching the process environment.

#![allow(clippy::disallowed_methods)]

use std::path::PathBuf;

/// A `tracing` filter for the logs on stderr (`SKILLET_LOG=debug`).
pub const LOG: &str = "SKILLET_LOG";
/// `op:step`: the process kills itself at that step of a registry write (crash tests).
pub const FAILPOINT: &str = "SKILLET_FAILPOINT";
/// Set and not empty: no colour (<https://no-color.org>).
pub const NO_COLOR: &str = "NO_COLOR";

/// A variable's value, when set and Unicode: `${VAR}` in `.mcp.json`, and
/// `SKILLET_SSH_PASSPHRASE` (`signing::PASSPHRASE_ENV`) for an encrypted reviewer key.
pub fn var(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

/// Whether colour is off (`NO_COLOR` set and not empty).
pub fn no_color() -> bool {
    std::env::var_os(NO_COLOR).is_some_and(|v| !v.is_empty())
}

/// The user's home folder (`HOME`).
pub fn home() -> Option<PathBuf> {
    std::env::var_os("HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
}

/// [`LOG`].
pub fn log_filter() -> Option<String> {
    var(LOG)
}

/// [`FAILPOINT`].
pub fn failpoint() -> Option<String> {
    var(FAILPOINT)
}

/// `BROWSER`: the command `skillet auth login` opens the authorization URL with (the URL is its
/// last argument), before `xdg-open`/`open`.
pub fn browser() -> Option<String> {
    var("BROWSER").filter(|b| !b.trim().is_empty())
}

/// Whether a graphical session seems to be there (`DISPLAY` or `WAYLAND_DISPLAY`), so that
/// `xdg-open` can show a browser.
pub fn has_display() -> bool {
    ["DISPLAY", "WAYLAND_DISPLAY"]
        .iter()
        .any(|v| std::env::var_os(v).is_some_and(|v| !v.is_empty()))
}
