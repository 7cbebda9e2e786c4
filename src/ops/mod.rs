//! Operations: what a user can do with skillet, one function per operation, each taking the
//! registry and an options struct (cargo's `ops`, jj's commands over jj-lib). The command line
//! (`cli`) and the MCP server (`serve`) are adapters over these: they decode their input into
//! options, call the operation, and present what it returns.
//!
//! Operations never print, never prompt, and never pick the clock or the approver themselves:
//! the approver, progress reporting and the time come in through their options.

mod install;
mod run;
mod save;
mod search;
mod sign;
mod skills;
mod test;
mod tree;

pub use install::{InstallOptions, InstallReport, install};
pub use run::{LimitOverrides, RunOptions, RunOutcome, ScriptSource, run};
pub use save::{SaveOptions, SaveReport, save};
pub use search::{
    DEFAULT_TOOL_LIMIT, Detail, SearchOptions, ToolMatch, cut_notice, find_tools, search_skills,
    summary, tools_answer,
};
pub use sign::{SignError, SignOptions, sign};
pub use skills::{ValidateReport, diff, log, show, skill_dirs, validate};
pub use test::{SkillTest, TestOptions, test};
pub use tree::{Entry as TreeEntry, Tree, TreeError};

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
