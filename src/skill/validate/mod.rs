//! Parsing and validation of an Agent Skills folder (`skills/<name>/`).
//!
//! A skill folder holds `SKILL.md` (YAML frontmatter between `---` lines, then
//! a markdown body) and optional `scripts/`, `tests/`, `references/` and
//! `assets/` subfolders. See <https://agentskills.io/specification>.
//!
//! Skill folders are untrusted input: nothing here follows symlinks, reads
//! special files, reads more than [`MAX_FILE_BYTES`] of a file, expands YAML
//! aliases, or panics.
//!
//! This file holds the limits and the types every part shares; the work is
//! done in one file per concern:
//!
//! - `parse`: SKILL.md text to [`ParsedSkill`] and findings, as named steps
//!   (split, refuse before parsing, parse the YAML mapping, check the rules);
//! - `split`: the `---` fences, the YAML text and the body;
//! - `scan`: anchors, aliases and nesting depth, found before any YAML parser runs;
//! - `locate`: line and column of a key in the frontmatter text, for findings;
//! - `rules`: the frontmatter key rules and the body length;
//! - `agents`: the frontmatter keys real agents define beyond the specification;
//! - `name`: the `name` format rules and the suggested fix;
//! - `render`: frontmatter and body back to SKILL.md text;
//! - `folder`: the folder (a linked one read through inside a root) and its
//!   walk (symlinks, special files, sizes; only SKILL.md is read);
//! - `links`: links and images in the body should stay in the folder and must exist;
//! - `code`: skillet's own rules, for code skills only (entry point, recording, pinned tools);
//! - `sink`: the findings collector and safe printing of untrusted text.
//!
//! Every part reports problems as [`Finding`]s, each tagged with its
//! [`RuleSet`] (the specification, an agent's extension, skillet's own) and
//! [`Severity`]; none of them fixes, writes or deletes anything.

mod agents;
mod code;
mod folder;
mod links;
mod locate;
mod name;
mod parse;
mod render;
mod rules;
mod scan;
mod sink;
mod split;
#[cfg(test)]
mod test_support;

use std::collections::BTreeMap;
use std::fmt;

pub use code::{check_code_skill, has_code_metadata, is_code_skill};
pub use folder::{validate_dir, validate_dir_within, validate_skill};
pub use parse::parse_skill_md;
pub use render::render_skill_md;
pub use scan::MAX_YAML_DEPTH;

/// Largest file allowed anywhere in a skill folder.
pub const MAX_FILE_BYTES: u64 = 1024 * 1024;
/// A body longer than this draws a warning.
pub const MAX_BODY_LINES: usize = 500;
/// Largest frontmatter block (between the `---` lines) that is parsed.
pub const MAX_FRONTMATTER_BYTES: usize = 64 * 1024;
/// Most files and folders walked in one skill folder.
pub const MAX_ENTRIES: usize = 10_000;
/// Longest `name`, in characters.
pub const MAX_NAME_CHARS: usize = 64;
/// Longest `description`, in characters.
pub const MAX_DESCRIPTION_CHARS: usize = 1024;
/// Longest `compatibility`, in characters.
pub const MAX_COMPATIBILITY_CHARS: usize = 500;

/// The top-level frontmatter keys the specification allows, in render order.
pub const ALLOWED_KEYS: [&str; 6] = [
    "name",
    "description",
    "license",
    "compatibility",
    "allowed-tools",
    "metadata",
];

/// Line of SKILL.md on which the frontmatter YAML starts.
const YAML_FIRST_LINE: u32 = 2;

/// How much a finding weighs: errors refuse the skill, warnings fail only `validate --strict`,
/// notes never fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
    Note,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Note => "note",
        })
    }
}

/// Whose rule a finding applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RuleSet {
    /// The Agent Skills specification (<https://agentskills.io/specification>), and the limits
    /// that keep reading an untrusted folder safe.
    Spec,
    /// Known extensions of real agents (Claude Code's frontmatter keys and the like): accepted,
    /// reported as notes that name the agent.
    Agent,
    /// skillet's own rules for the skills it runs (entry point, recording, pinned tools): only
    /// for skillet code skills (`skillet.*` metadata or a `scripts/index.ts`).
    Skillet,
}

impl fmt::Display for RuleSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            RuleSet::Spec => "spec",
            RuleSet::Agent => "agent",
            RuleSet::Skillet => "skillet",
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Finding {
    pub set: RuleSet,
    pub severity: Severity,
    /// path relative to the skills/ folder, e.g. "my-skill/SKILL.md"
    pub file: String,
    pub line: u32,
    pub column: u32,
    /// stable rule id, e.g. "name-format"
    pub rule: &'static str,
    pub message: String,
    /// how to fix it, one sentence
    pub fix: String,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}[{}/{}]: {}\n  fix: {}",
            self.file,
            self.line,
            self.column,
            self.severity,
            self.set,
            self.rule,
            self.message,
            self.fix
        )
    }
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Frontmatter {
    pub name: String,
    pub description: String,
    pub license: Option<String>,
    pub compatibility: Option<String>,
    pub metadata: BTreeMap<String, String>,
    #[serde(rename = "allowed-tools")]
    pub allowed_tools: Option<String>,
}

#[derive(Debug, Clone)]
pub struct ParsedSkill {
    pub frontmatter: Frontmatter,
    pub body: String,
    /// 1-based line where the body starts in SKILL.md
    pub body_line: u32,
}

#[cfg(test)]
mod tests {
    use super::test_support::parse;

    #[test]
    fn display_format() {
        let (_, f) = parse("---\nname: My_Skill\ndescription: d\n---\n");
        assert_eq!(
            f[0].to_string(),
            "my-skill/SKILL.md:2:7: error[spec/name-format]: name `My_Skill` may only contain lowercase letters a-z, digits 0-9 and hyphens (found 'M')\n  fix: Rename the skill to `my-skill` (and its folder to match)."
        );
    }
}
