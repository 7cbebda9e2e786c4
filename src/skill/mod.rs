//! Skills: scripts that worked, kept as Agent Skills folders (`skills/<name>/SKILL.md`,
//! `scripts/index.ts`, `tests/recording.json`) in the registry's git repository. skillet's own
//! facts live in the frontmatter's `metadata` under `skillet.` keys, so every other Agent Skills
//! client can read the folder as is.

pub mod index;
pub mod keeper;
pub(crate) mod recipe;
pub(crate) mod stamps;
pub mod validate;
pub(crate) mod watch;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use validate::{Finding, Frontmatter, Severity};

use crate::registry::Registry;
use crate::sandbox::ToolCallRecord;

/// The script a skill runs, inside its folder.
pub const ENTRY: &str = "scripts/index.ts";
/// The recording of the run that proved the skill, inside its folder.
pub const RECORDING: &str = "tests/recording.json";
/// The JSON Schema of a code skill's input (derived from its entry's TypeScript at save).
pub const INPUT_SCHEMA: &str = "scripts/input.schema.json";

pub const META_VERSION: &str = "skillet.version";
pub const META_SOURCE_RUN: &str = "skillet.source-run";
pub const META_TOOLS: &str = "skillet.tools";
/// `server.tool@sha256:...` of each tool's description hash (skillet.lock) when the skill was
/// saved: a signature covers it, so a tool redescribed since then is flagged by `skillet review`.
pub const META_TOOL_DESCRIPTIONS: &str = "skillet.tool-descriptions";
pub const META_TAGS: &str = "skillet.tags";
pub const META_ORIGIN: &str = "skillet.origin";
pub const META_ORIGIN_COMMIT: &str = "skillet.origin-commit";

#[derive(Debug, thiserror::Error)]
pub enum SkillError {
    #[error("no skill `{name}` in {dir}")]
    NotFound { name: String, dir: PathBuf },
    #[error("skill `{name}` is invalid:\n{}", render_findings(findings))]
    Invalid {
        name: String,
        findings: Vec<Finding>,
    },
    #[error("`{name}` is not a valid skill name: {why}")]
    BadName { name: String, why: String },
    #[error(transparent)]
    Git(#[from] crate::registry::git::GitError),
    #[error(transparent)]
    Journal(#[from] crate::registry::journal::JournalError),
    #[error(transparent)]
    Io(#[from] std::io::Error),
    #[error(transparent)]
    Search(#[from] crate::search::SearchError),
}

impl crate::error::Diagnose for SkillError {
    fn hints(&self) -> Vec<String> {
        match self {
            Self::NotFound { .. } => {
                vec!["`skillet search` finds skills; `skillet save` makes one".into()]
            }
            Self::BadName { .. } => vec![
                "use 1-64 lowercase letters, digits and single hyphens, like `attach-transcript-to-contact`".into(),
            ],
            Self::Git(e) => e.hints(),
            Self::Journal(e) => e.hints(),
            Self::Search(e) => e.hints(),
            Self::Invalid { .. } | Self::Io(_) => Vec::new(),
        }
    }
}

pub fn render_findings(findings: &[Finding]) -> String {
    findings
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n")
}

/// A loaded (and validated) skill.
#[derive(Debug, Clone)]
pub struct Skill {
    pub name: String,
    pub dir: PathBuf,
    pub frontmatter: Frontmatter,
    pub body: String,
    /// Warnings and notes from validation (errors make loading fail).
    pub warnings: Vec<Finding>,
}

/// A tool a skill calls, with the schema hash it was saved against.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ToolPin {
    pub server: String,
    pub tool: String,
    pub schema: String,
}

impl Skill {
    pub fn version(&self) -> u32 {
        self.frontmatter
            .metadata
            .get(META_VERSION)
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    }

    pub fn tags(&self) -> Vec<String> {
        split_list(self.frontmatter.metadata.get(META_TAGS), ',')
    }

    /// `server.tool@sha256:...` entries of `skillet.tools`.
    pub fn tools(&self) -> Vec<ToolPin> {
        parse_pins(self.frontmatter.metadata.get(META_TOOLS))
    }

    /// `server.tool@sha256:...` entries of `skillet.tool-descriptions` (the `schema` field holds
    /// the description hash).
    pub fn tool_descriptions(&self) -> Vec<ToolPin> {
        parse_pins(self.frontmatter.metadata.get(META_TOOL_DESCRIPTIONS))
    }

    pub fn script(&self) -> std::io::Result<String> {
        fs_err::read_to_string(self.dir.join(ENTRY))
    }
}

fn split_list(value: Option<&String>, sep: char) -> Vec<String> {
    value
        .map(|v| {
            v.split(sep)
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

pub(crate) fn parse_pins(value: Option<&String>) -> Vec<ToolPin> {
    split_list(value, ' ')
        .into_iter()
        .filter_map(|entry| {
            let (name, schema) = entry.split_once('@')?;
            let (server, tool) = name.split_once('.')?;
            Some(ToolPin {
                server: server.to_owned(),
                tool: tool.to_owned(),
                schema: schema.to_owned(),
            })
        })
        .collect()
}

pub(crate) fn render_pins(pins: &[ToolPin]) -> String {
    pins.iter()
        .map(|p| format!("{}.{}@{}", p.server, p.tool, p.schema))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The recording of the run that proved a skill.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Recording {
    pub version: u32,
    pub run_id: String,
    pub script: String,
    /// The input the recorded run was called with; replays call the skill with it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input: Option<serde_json::Value>,
    pub tool_calls: Vec<ToolCallRecord>,
    pub output: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<serde_json::Value>,
    /// Whether personal data was tokenized in the recorded run (replays do the same).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub tokenized: bool,
}

/// Checks a skill name against the Agent Skills rules.
pub fn check_name(name: &str) -> Result<(), SkillError> {
    match crate::registry::skill_name_problem(name) {
        Some(why) => Err(SkillError::BadName {
            name: name.to_owned(),
            why: why.to_owned(),
        }),
        None => Ok(()),
    }
}

/// Loads and validates `skills/<name>`. Validation runs at every load.
pub fn load(registry: &Registry, name: &str) -> Result<Skill, SkillError> {
    check_name(name)?;
    let dir = registry.skills_dir().join(name);
    if !dir.join("SKILL.md").is_file() {
        return Err(SkillError::NotFound {
            name: name.to_owned(),
            dir: registry.skills_dir(),
        });
    }
    load_dir_within(&dir, Some(registry.root()))
}

/// Loads and validates the skill folder `dir` (a symbolic link to a folder is refused).
pub fn load_dir(dir: &Path) -> Result<Skill, SkillError> {
    load_dir_within(dir, None)
}

/// Loads and validates the skill folder `dir`; one that is a symbolic link is read through
/// when its target lies inside `root` (the registry), refused otherwise.
pub fn load_dir_within(dir: &Path, root: Option<&Path>) -> Result<Skill, SkillError> {
    let name = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let (parsed, findings) = validate::validate_dir_within(dir, root);
    let (errors, warnings): (Vec<Finding>, Vec<Finding>) = findings
        .into_iter()
        .partition(|f| f.severity == Severity::Error);
    match parsed {
        Some(parsed) if errors.is_empty() => Ok(Skill {
            name,
            dir: dir.to_owned(),
            frontmatter: parsed.frontmatter,
            body: parsed.body,
            warnings,
        }),
        _ => Err(SkillError::Invalid {
            name,
            findings: errors,
        }),
    }
}

/// The skill folder names under `skills/`, sorted (hidden folders, like a staging one, left out).
pub(crate) fn folder_names(registry: &Registry) -> Vec<String> {
    let mut names: Vec<String> = fs_err::read_dir(registry.skills_dir())
        .map(|entries| {
            entries
                .flatten()
                // The listing's file type, with a `stat` only for a link (through it).
                .filter(|e| {
                    e.file_type()
                        .is_ok_and(|t| t.is_dir() || (!t.is_file() && e.path().is_dir()))
                })
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| !n.starts_with('.'))
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

/// Every skill folder of the registry (names sorted), loaded; invalid ones as errors.
pub fn list(registry: &Registry) -> Vec<(String, Result<Skill, SkillError>)> {
    let names = folder_names(registry);
    let skills_dir = registry.skills_dir();
    crate::par::map_owned(names, |n| {
        let loaded = load_dir_within(&skills_dir.join(&n), Some(registry.root()));
        (n, loaded)
    })
}

/// A skill's search document.
pub fn search_doc(skill: &Skill) -> crate::search::SearchDoc {
    let script = skill.script().unwrap_or_default();
    crate::search::SearchDoc {
        kind: crate::search::DocKind::Skill,
        name: skill.name.clone(),
        description: skill.frontmatter.description.clone(),
        body: skill.body.clone(),
        tags: skill.tags(),
        tools: skill
            .tools()
            .iter()
            .map(|p| format!("{}.{}", p.server, p.tool))
            .collect(),
        identifiers: identifiers(&script),
        version: Some(format!("v{}", skill.version())),
        status: None,
    }
}

/// Identifiers in a script (functions and variables), for search.
fn identifiers(script: &str) -> Vec<String> {
    let mut out: Vec<String> = script
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '$'))
        .filter(|w| w.len() > 2 && w.chars().next().is_some_and(|c| c.is_ascii_alphabetic()))
        .filter(|w| {
            !matches!(
                *w,
                "import"
                    | "from"
                    | "const"
                    | "await"
                    | "export"
                    | "default"
                    | "function"
                    | "async"
                    | "return"
                    | "let"
                    | "new"
                    | "for"
                    | "console"
                    | "log"
            )
        })
        .map(str::to_owned)
        .collect();
    out.sort();
    out.dedup();
    out
}

/// Metadata as a sorted map, for building frontmatter.
pub(crate) fn metadata(entries: &[(&str, String)]) -> BTreeMap<String, String> {
    entries
        .iter()
        .map(|(k, v)| ((*k).to_owned(), v.clone()))
        .collect()
}

/// Brings the skills index (`.skillet/index/skills`) in line with the working tree (cheaply:
/// see [`index`]) and queries it. The index is a cache, rebuilt when broken. Hits carry no
/// review status (`ops::search_skills` adds it).
pub fn search(
    registry: &Registry,
    query: &str,
    limit: usize,
) -> Result<Vec<crate::search::Hit>, SkillError> {
    index::SkillIndex::open(registry)?.search(registry, query, limit)
}
