//! Operations: what a user can do with skillet, one function per operation, each taking the
//! registry and an options struct (cargo's `ops`, jj's commands over jj-lib). The command line
//! (`cli`) and the MCP server (`serve`) are adapters over these: they decode their input into
//! options, call the operation, and present what it returns.
//!
//! Operations never print, never prompt, and never pick the clock or the approver themselves:
//! the approver, progress reporting and the time come in through their options.

pub mod auth;
mod call;
mod companions;
mod export;
mod generate;
mod install;
mod marketplace;
mod run;
mod save;
mod search;
mod sign;
mod skills;
mod test;
mod tree;
mod watch;

pub use call::call;
pub use export::{
    ExportOptions, ExportReport, ExportTarget, Exported, MANIFEST as EXPORT_MANIFEST, Skipped,
    export,
};
pub use generate::{
    ErrorReport, FromJsonTarget, GenOptions, GenReport, Listed, ServerOutcome, ensure_api,
    generate, generate_from_json, list_servers, refresh_server,
};
pub use install::{
    Candidate, FrozenReport, InstallOptions, InstallReport, ListReport, Outdated, Provenance,
    Refusal, UpdateReport, Updated, UpstreamStatus, install, install_frozen, list_source, outdated,
    update,
};
pub use marketplace::{MARKETPLACE_FILE, MarketplaceOptions, MarketplaceReport, marketplace};
pub use run::{
    LimitOverrides, RunOptions, RunOutcome, ScriptSource, ShownRun, run, show as show_run,
};
pub use save::{SaveOptions, SaveReport, save};
pub use search::{
    Answering, DEFAULT_TOOL_LIMIT, Detail, SearchOptions, SkillSearch, ToolMatch, cut_notice,
    find_tools, search_answer, search_skills, summary, tools_answer,
};
pub use sign::{SignError, SignOptions, sign};
pub use skills::{ValidateOptions, ValidateReport, diff, log, show, skill_dirs, validate};
pub use test::{SkillTest, TestOptions, TestStatus, test};
pub use tree::{Entry as TreeEntry, Tree, TreeError};
pub use watch::{Watching, watch};

use crate::error::{Diagnose, Kind};

/// How much of an agent's own text (a query, a path, a name) an answer repeats.
pub const ECHO_CHARS: usize = 80;

/// `text` as an answer repeats it: whole when short, else its first [`ECHO_CHARS`] characters
/// and a marker with its length, so a huge argument never comes back whole.
pub fn echo(text: &str) -> String {
    if text.chars().count() <= ECHO_CHARS {
        return text.to_owned();
    }
    let cut: String = text.chars().take(ECHO_CHARS).collect();
    format!("{cut}…(cut, {} bytes)", text.len())
}

/// The kind and hints of an error: those of the first error in its chain that has them
/// ([`crate::error::Diagnose`]); a plain user error without hints otherwise.
pub fn diagnose(error: &anyhow::Error) -> (Kind, Vec<String>) {
    for cause in error.chain() {
        if let Some(found) = as_diagnose(cause) {
            return (found.error_kind(), found.hints());
        }
    }
    (Kind::User, Vec::new())
}

/// An error as an agent reads it: its message with its causes (`a: b`), then its hints on
/// `hint: ` lines.
pub fn describe(error: &anyhow::Error) -> String {
    crate::error::plain(&format!("{error:#}"), &diagnose(error).1)
}

/// `cause` as the error type it is, when that type has hints.
fn as_diagnose<'a>(cause: &'a (dyn std::error::Error + 'static)) -> Option<&'a dyn Diagnose> {
    macro_rules! try_types {
        ($($t:ty),* $(,)?) => {
            $(if let Some(e) = cause.downcast_ref::<$t>() {
                return Some(e);
            })*
        };
    }
    try_types!(
        crate::error::Error,
        crate::config::McpConfigError,
        crate::config::SettingsError,
        crate::inputs::InputError,
        crate::lock::LockError,
        crate::registry::RegistryError,
        crate::registry::git::GitError,
        crate::registry::journal::JournalError,
        crate::review::ReviewError,
        crate::runs::RunsError,
        crate::search::SearchError,
        crate::skill::SkillError,
        crate::skill::keeper::KeeperError,
        crate::upstream::UpstreamError,
        crate::upstream::auth::AuthFailure,
        SignError,
        TreeError,
    );
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn echoes_are_cut_to_a_marked_prefix() {
        assert_eq!(echo("weekly report"), "weekly report");
        let exact = "é".repeat(ECHO_CHARS);
        assert_eq!(echo(&exact), exact);
        let long = "é".repeat(50_000);
        assert_eq!(
            echo(&long),
            format!("{}…(cut, 100000 bytes)", "é".repeat(ECHO_CHARS))
        );
    }
}
