//! The registry as a Claude Code plugin marketplace: `.claude-plugin/marketplace.json` at the
//! registry's root, listing the skills that meet the review policy, so a team adds the
//! registry with `/plugin marketplace add org/registry` and installs a skill with
//! `/plugin install <skill>@<marketplace>`.
//!
//! One plugin per skill: each is installed (and updated, and removed) on its own, and its
//! `source` is the skill's folder, so what Claude Code copies is that reviewed folder and
//! nothing else. (Plugins that share `source: "./"` with a `skills` list each load every skill
//! under the root's `skills/`, unreviewed ones included: anthropics/claude-code issue 53426.)
//! Each entry is `strict: false`: the marketplace entry is the whole plugin definition, so no
//! `plugin.json` is written, and `skills: ["./"]` names the plugin's root as its one skill.
//!
//! On once the file exists (`skillet export --marketplace` makes it); then every write
//! (`save`, `install`, `update`) regenerates it and commits it with the skill
//! ([`super::companions`]), and `sign` rewrites it. The file is generated: sorted, stable, one
//! trailing newline, and not rewritten when unchanged. Its shape is checked against
//! `schemas/claude-marketplace.schema.json`.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::export::{Skipped, select};
use crate::error::Error;
use crate::registry::Registry;
use crate::registry::git::Repo;

/// The marketplace file, relative to the registry's root.
pub const MARKETPLACE_FILE: &str = ".claude-plugin/marketplace.json";

/// Names Claude Code reserves for official marketplaces (its marketplace reference).
const RESERVED: &[&str] = &[
    "claude-code-marketplace",
    "claude-code-plugins",
    "claude-plugins-official",
    "anthropic-marketplace",
    "anthropic-plugins",
    "agent-skills",
    "anthropic-agent-skills",
    "life-sciences",
    "knowledge-work-plugins",
    "claude-for-legal",
    "claude-for-financial-services",
    "financial-services-plugins",
    "first-party-plugins",
    "claude-tag-plugins",
    "claude-community",
    "claude-plugins-community",
    "healthcare",
    "anthropic-plugin-directory",
    "claude-plugin-directory",
];

/// `.claude-plugin/marketplace.json` as skillet writes it (fields in the order written).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Marketplace {
    name: String,
    owner: Owner,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    metadata: Option<Metadata>,
    plugins: Vec<Plugin>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Owner {
    name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    email: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Metadata {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    description: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Plugin {
    name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    source: String,
    strict: bool,
    skills: Vec<String>,
}

/// `skillet export --marketplace`.
#[derive(Debug, Clone)]
pub struct MarketplaceOptions {
    /// Change nothing; report whether the file is in sync.
    pub check: bool,
    /// The time review signatures are judged at.
    pub now: std::time::SystemTime,
}

/// What `export --marketplace` did (or, with `check`, would do).
#[derive(Debug, Clone, Serialize)]
pub struct MarketplaceReport {
    /// The marketplace file.
    pub path: PathBuf,
    /// The marketplace's name (what users type after `@`).
    pub name: String,
    pub check: bool,
    /// Whether the file held exactly what it should before this command.
    pub in_sync: bool,
    /// The skills listed, one plugin each.
    pub plugins: Vec<String>,
    /// Skills of the registry not listed, with why.
    pub skipped: Vec<Skipped>,
}

/// Whether the registry keeps a marketplace (its file exists).
pub(crate) fn is_on(registry: &Registry) -> bool {
    registry.root().join(MARKETPLACE_FILE).is_file()
}

/// Makes or checks the marketplace file (see the module's documentation).
pub fn marketplace(
    registry: &Registry,
    options: &MarketplaceOptions,
) -> anyhow::Result<MarketplaceReport> {
    let path = registry.root().join(MARKETPLACE_FILE);
    let (text, market, skipped) = render(registry, options.now)?;
    let before = fs_err::read(&path).ok();
    let in_sync = before.as_deref() == Some(text.as_bytes());
    if !options.check && !in_sync {
        crate::fsutil::write_durable(&path, text.as_bytes())?;
    }
    Ok(MarketplaceReport {
        path,
        name: market.name,
        check: options.check,
        in_sync,
        plugins: market.plugins.into_iter().map(|p| p.name).collect(),
        skipped,
    })
}

/// Rewrites the marketplace file when it is on and out of date. Returns whether it wrote.
pub(crate) fn sync(registry: &Registry, now: std::time::SystemTime) -> anyhow::Result<bool> {
    if !is_on(registry) {
        return Ok(false);
    }
    let report = marketplace(registry, &MarketplaceOptions { check: false, now })?;
    Ok(!report.in_sync)
}

/// The file's text, what it says, and the skills left out.
fn render(
    registry: &Registry,
    now: std::time::SystemTime,
) -> anyhow::Result<(String, Marketplace, Vec<Skipped>)> {
    let selection = select(registry, false, &[], now)?;
    let mut plugins = Vec::new();
    for name in &selection.wanted {
        let skill = crate::skill::load(registry, name)?;
        let description = skill.frontmatter.description.trim();
        plugins.push(Plugin {
            name: name.clone(),
            description: (!description.is_empty()).then(|| description.to_owned()),
            source: format!("./skills/{name}"),
            strict: false,
            skills: vec!["./".to_owned()],
        });
    }
    let (name, owner) = identity(registry)?;
    let description = registry.settings().marketplace.description.clone();
    let market = Marketplace {
        name,
        owner,
        metadata: description.map(|d| Metadata {
            description: Some(d),
        }),
        plugins,
    };
    let mut text = serde_json::to_string_pretty(&market)?;
    text.push('\n');
    Ok((text, market, selection.skipped))
}

/// The marketplace's name and owner: `[marketplace]` in skillet.toml, else what the file says
/// now (so teammates' writes do not flip them), else the registry's name and git's user.
fn identity(registry: &Registry) -> anyhow::Result<(String, Owner)> {
    let settings = &registry.settings().marketplace;
    let existing: Option<Marketplace> =
        fs_err::read_to_string(registry.root().join(MARKETPLACE_FILE))
            .ok()
            .and_then(|text| serde_json::from_str(&text).ok());
    let git_user = || Repo::open(registry.root()).ok().and_then(|r| r.user());
    let name = match (&settings.name, &existing) {
        (Some(name), _) => name.clone(),
        (None, Some(m)) => m.name.clone(),
        (None, None) => default_name(registry),
    };
    if let Some(problem) = name_problem(&name) {
        return Err(Error::user(format!(
            "`{name}` cannot name a Claude Code marketplace: {problem}"
        ))
        .hint("set another one in skillet.toml: [marketplace] name = \"my-team-skills\"")
        .into());
    }
    let owner = match (&settings.owner, existing) {
        (Some(owner), _) => Owner {
            name: owner.clone(),
            email: settings.email.clone(),
        },
        (None, Some(m)) => Owner {
            email: settings.email.clone().or(m.owner.email),
            name: m.owner.name,
        },
        (None, None) => match git_user() {
            Some((user, email)) => Owner {
                name: user,
                email: settings
                    .email
                    .clone()
                    .or((!email.is_empty()).then_some(email)),
            },
            None => Owner {
                name: name.clone(),
                email: settings.email.clone(),
            },
        },
    };
    Ok((name, owner))
}

/// The registry's `[registry] name`, else its folder's name, in kebab-case.
fn default_name(registry: &Registry) -> String {
    use heck::ToKebabCase as _;
    let raw = registry
        .settings()
        .registry
        .name
        .clone()
        .unwrap_or_else(|| {
            fs_err::canonicalize(registry.root())
                .ok()
                .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
                .unwrap_or_default()
        });
    let name: String = raw
        .to_kebab_case()
        .chars()
        .filter(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-')
        .collect();
    if name.is_empty() {
        "skills".to_owned()
    } else {
        name
    }
}

/// Why `name` cannot name a marketplace: not kebab-case, or reserved by Claude Code.
fn name_problem(name: &str) -> Option<&'static str> {
    let kebab = !name.is_empty()
        && !name.starts_with('-')
        && !name.ends_with('-')
        && !name.contains("--")
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if !kebab {
        Some("a marketplace name is kebab-case (lowercase letters, digits and hyphens)")
    } else if RESERVED.contains(&name) {
        Some("Claude Code reserves it for an official marketplace")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_kebab_case_and_not_reserved() {
        assert_eq!(name_problem("team-skills"), None);
        assert_eq!(name_problem("skills2"), None);
        for bad in ["", "Team", "a_b", "-a", "a-", "a--b", "a b"] {
            assert!(name_problem(bad).unwrap().contains("kebab"), "{bad}");
        }
        assert!(name_problem("agent-skills").unwrap().contains("reserves"));
    }

    #[test]
    fn the_file_is_written_in_a_fixed_order_without_empty_fields() {
        let market = Marketplace {
            name: "team".into(),
            owner: Owner {
                name: "Ann".into(),
                email: None,
            },
            metadata: None,
            plugins: vec![Plugin {
                name: "a".into(),
                description: Some("Does a.".into()),
                source: "./skills/a".into(),
                strict: false,
                skills: vec!["./".into()],
            }],
        };
        let text = serde_json::to_string(&market).unwrap();
        assert_eq!(
            text,
            r#"{"name":"team","owner":{"name":"Ann"},"plugins":[{"name":"a","description":"Does a.","source":"./skills/a","strict":false,"skills":["./"]}]}"#
        );
        let back: Marketplace = serde_json::from_str(&text).unwrap();
        assert_eq!(back, market);
    }
}
