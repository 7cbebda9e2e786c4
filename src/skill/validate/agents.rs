//! Frontmatter keys that real agents define beyond the Agent Skills specification. A skill that
//! uses them is valid: each is reported as a note (rule set `agent`) naming the agent that
//! reads it, so an author sees which agents the skill is written for.
//!
//! Sources: Claude Code's skills documentation (the frontmatter reference: `when_to_use`,
//! `argument-hint`, `arguments`, `disable-model-invocation`, `user-invocable`, `model`,
//! `effort`, `context`, `agent`, `hooks`, `paths`, `shell`; `allowed-tools` also as a YAML
//! list) and the keys seen in public skill repositories (`version`).

/// A key an agent defines: the key, the agent, what the agent does with it.
pub(super) struct AgentKey {
    pub key: &'static str,
    pub agent: &'static str,
    pub meaning: &'static str,
}

const CLAUDE_CODE: &str = "Claude Code";

/// Every known agent key, sorted by key.
pub(super) const AGENT_KEYS: &[AgentKey] = &[
    AgentKey {
        key: "agent",
        agent: CLAUDE_CODE,
        meaning: "the subagent type that runs the skill with `context: fork`",
    },
    AgentKey {
        key: "argument-hint",
        agent: CLAUDE_CODE,
        meaning: "the hint shown for the skill's arguments in the `/` menu",
    },
    AgentKey {
        key: "arguments",
        agent: CLAUDE_CODE,
        meaning: "the skill's named arguments",
    },
    AgentKey {
        key: "context",
        agent: CLAUDE_CODE,
        meaning: "`fork` runs the skill in a subagent",
    },
    AgentKey {
        key: "disable-model-invocation",
        agent: CLAUDE_CODE,
        meaning: "whether only the user may invoke the skill",
    },
    AgentKey {
        key: "effort",
        agent: CLAUDE_CODE,
        meaning: "the model's effort level while the skill runs",
    },
    AgentKey {
        key: "hooks",
        agent: CLAUDE_CODE,
        meaning: "lifecycle hooks scoped to the skill",
    },
    AgentKey {
        key: "model",
        agent: CLAUDE_CODE,
        meaning: "the model used while the skill runs",
    },
    AgentKey {
        key: "paths",
        agent: CLAUDE_CODE,
        meaning: "file globs that limit when the skill activates",
    },
    AgentKey {
        key: "shell",
        agent: CLAUDE_CODE,
        meaning: "the shell for the skill's inline commands",
    },
    AgentKey {
        key: "user-invocable",
        agent: CLAUDE_CODE,
        meaning: "whether the skill shows in the `/` menu",
    },
    AgentKey {
        key: "version",
        agent: CLAUDE_CODE,
        meaning: "the skill's version, shown to the user",
    },
    AgentKey {
        key: "when_to_use",
        agent: CLAUDE_CODE,
        meaning: "when to use the skill, added to its description",
    },
];

/// The agent key `key`, if an agent defines it.
pub(super) fn agent_key(key: &str) -> Option<&'static AgentKey> {
    AGENT_KEYS
        .binary_search_by(|k| k.key.cmp(key))
        .ok()
        .map(|i| &AGENT_KEYS[i])
}

#[cfg(test)]
mod tests {
    use super::{AGENT_KEYS, agent_key};

    #[test]
    fn keys_are_sorted_and_found() {
        assert!(AGENT_KEYS.windows(2).all(|w| w[0].key < w[1].key));
        assert_eq!(agent_key("argument-hint").unwrap().agent, "Claude Code");
        assert!(agent_key("name").is_none());
        assert!(agent_key("requires").is_none());
    }
}
