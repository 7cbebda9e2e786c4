//! Identifiers and file names derived from untrusted tool names (server folders and namespaces
//! are `crate::tool`'s, whose identifier rules these share).

use std::collections::{BTreeMap, HashMap, HashSet};

use heck::ToUpperCamelCase;
use sha2::{Digest, Sha256};

use crate::tool::names::{MAX_LEN, ascii_words, camel_identifier, is_reserved, numbered};

/// The function every tool file imports from `client.ts`.
pub(super) const CLIENT_FUNCTION: &str = "callMCPTool";

/// Whether `s` is an ASCII JavaScript identifier name (reserved words included).
pub(super) fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == '$')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$')
}

/// The first `len` hex digits of SHA-256 of `s`.
fn short_hash(s: &str, len: usize) -> String {
    let mut hex = hex::encode(Sha256::digest(s.as_bytes()));
    hex.truncate(len);
    hex
}

/// Whether `name` cannot be a tool function: reserved, the client import, or `index` (whose
/// file would replace the server's `index.ts`).
fn is_taboo_function(name: &str) -> bool {
    is_reserved(name) || name == CLIENT_FUNCTION || name.eq_ignore_ascii_case("index")
}

/// The function name a tool gets when nothing collides with it.
pub(super) fn function_base(tool: &str) -> String {
    camel_identifier(tool, "tool", is_taboo_function)
}

/// Two function names collide when they differ only in case or non-alphanumerics: their files
/// would clash on case-insensitive file systems, or their PascalCase type names would.
fn collision_key(name: &str) -> String {
    name.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// Whether a function name remembered from an earlier generation may be reused.
fn is_usable_function(name: &str) -> bool {
    is_identifier(name)
        && name.len() <= MAX_LEN + 1
        && !is_taboo_function(name)
        && !collision_key(name).is_empty()
}

/// Assigns each tool a unique function name. `tools` must be sorted and free of duplicates.
///
/// Names from `previous` (tool name → function name) are kept when still usable and unique.
/// Other tools get [`function_base`]; when that collides, the first tool (by name) keeps it
/// and later ones get `<base>_<4 hex of sha256(tool name)>`. Returns names in `tools` order.
pub(super) fn assign_function_names(
    tools: &[&str],
    previous: &BTreeMap<String, String>,
) -> Vec<String> {
    let mut taken = HashSet::new();
    let mut assigned: Vec<Option<String>> = tools
        .iter()
        .map(|tool| {
            previous
                .get(*tool)
                .filter(|name| is_usable_function(name) && taken.insert(collision_key(name)))
                .cloned()
        })
        .collect();
    for (tool, slot) in tools.iter().zip(&mut assigned) {
        if slot.is_none() {
            let base = function_base(tool);
            let stem = base.trim_end_matches('_');
            let candidates = [
                base.clone(),
                format!("{stem}_{}", short_hash(tool, 4)),
                format!("{stem}_{}", short_hash(tool, 8)),
            ];
            let name = candidates
                .into_iter()
                .find(|c| !taken.contains(&collision_key(c)))
                .unwrap_or_else(|| {
                    numbered(&taken, stem, collision_key, |s, n| format!("{s}_{n}"))
                });
            taken.insert(collision_key(&name));
            *slot = Some(name);
        }
    }
    assigned.into_iter().flatten().collect()
}

/// PascalCase stem of the type names of a tool's file (`getDocument` → `GetDocument`).
pub(super) fn type_base(function: &str) -> String {
    pascal_identifier(function, "Tool")
}

/// PascalCase identifier for `raw`, `fallback` when nothing usable is left.
pub(super) fn pascal_identifier(raw: &str, fallback: &str) -> String {
    let mut id = ascii_words(raw).to_upper_camel_case();
    id.truncate(MAX_LEN);
    if id.is_empty() {
        id = fallback.to_owned();
    }
    if id.starts_with(|c: char| c.is_ascii_digit()) {
        id.insert(0, '_');
    }
    id
}

/// Type names already declared in one generated file; hands out fresh ones.
#[derive(Debug)]
pub(super) struct TypeNames {
    taken: HashSet<String>,
    /// Next numeric suffix to try per base name, so repeated claims stay linear.
    next_suffix: HashMap<String, usize>,
}

impl TypeNames {
    /// A set in which `names` are already taken.
    pub(super) fn new<'a>(names: impl IntoIterator<Item = &'a str>) -> Self {
        Self {
            taken: names.into_iter().map(str::to_owned).collect(),
            next_suffix: HashMap::new(),
        }
    }

    /// Claims `base`, or `base2`, `base3`, … when taken.
    pub(super) fn claim(&mut self, base: &str) -> String {
        if self.taken.insert(base.to_owned()) {
            return base.to_owned();
        }
        let mut n = self.next_suffix.get(base).copied().unwrap_or(2);
        loop {
            let candidate = format!("{base}{n}");
            n += 1;
            if self.taken.insert(candidate.clone()) {
                self.next_suffix.insert(base.to_owned(), n);
                return candidate;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assign(tools: &[&str], previous: &[(&str, &str)]) -> Vec<String> {
        let previous = previous
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        assign_function_names(tools, &previous)
    }

    #[test]
    fn function_names_are_lower_camel_case() {
        for (tool, function) in [
            ("browser_click", "browserClick"),
            ("API-get-user", "apiGetUser"),
            ("get.thing", "getThing"),
            ("list files/recursive", "listFilesRecursive"),
            ("getHTTPResponse", "getHttpResponse"),
            ("sequentialthinking", "sequentialthinking"),
            ("2fa_check", "_2faCheck"),
            ("café-au-lait", "cafAuLait"),
            ("", "tool"),
            ("--", "tool"),
            ("日本", "tool"),
        ] {
            assert_eq!(function_base(tool), function, "{tool}");
        }
    }

    #[test]
    fn reserved_words_and_special_names_get_a_suffix() {
        for (tool, function) in [
            ("delete", "delete_"),
            ("new", "new_"),
            ("default", "default_"),
            ("await", "await_"),
            ("yield", "yield_"),
            ("let", "let_"),
            ("static", "static_"),
            ("implements", "implements_"),
            ("interface", "interface_"),
            ("package", "package_"),
            ("private", "private_"),
            ("enum", "enum_"),
            ("arguments", "arguments_"),
            ("eval", "eval_"),
            ("index", "index_"),
            ("type", "type"),
            ("get", "get"),
        ] {
            assert_eq!(function_base(tool), function, "{tool}");
        }
    }

    #[test]
    fn long_names_are_cut() {
        let name = function_base(&"a_".repeat(200));
        assert_eq!(name.len(), MAX_LEN);
    }

    #[test]
    fn identifiers() {
        assert!(is_identifier("a$_1"));
        assert!(is_identifier("delete"));
        assert!(!is_identifier("1a"));
        assert!(!is_identifier("foo-bar"));
        assert!(!is_identifier(""));
        assert!(!is_identifier("é"));
    }

    #[test]
    fn collisions_keep_the_first_and_hash_the_rest() {
        let names = assign(&["get-user", "getUser", "get_user"], &[]);
        let h = |s: &str| short_hash(s, 4);
        assert_eq!(
            names,
            [
                "getUser".to_owned(),
                format!("getUser_{}", h("getUser")),
                format!("getUser_{}", h("get_user")),
            ]
        );
    }

    #[test]
    fn collisions_are_case_and_separator_insensitive() {
        let names = assign(&["getUser", "getuser"], &[]);
        assert_eq!(names[0], "getUser");
        assert_eq!(names[1], format!("getuser_{}", short_hash("getuser", 4)));
    }

    #[test]
    fn reserved_collisions_hash_the_bare_stem() {
        let names = assign(&["Delete", "delete"], &[]);
        assert_eq!(names[0], "delete_");
        assert_eq!(names[1], format!("delete_{}", short_hash("delete", 4)));
    }

    #[test]
    fn previous_names_win_when_valid_and_unique() {
        // `get_user` previously won the base name; it keeps it although `get-user` sorts first.
        let names = assign(&["get-user", "get_user"], &[("get_user", "getUser")]);
        assert_eq!(names[1], "getUser");
        assert_eq!(names[0], format!("getUser_{}", short_hash("get-user", 4)));
        // Invalid or duplicate claims are ignored.
        let names = assign(
            &["a", "b", "c"],
            &[("a", "class"), ("b", "shared"), ("c", "Shared")],
        );
        assert_eq!(names, ["a", "shared", "c"]);
        let names = assign(&["a"], &[("a", "not valid")]);
        assert_eq!(names, ["a"]);
    }

    #[test]
    fn assignment_is_deterministic_and_unique() {
        let tools = [
            "x",
            "X",
            "x_",
            "x-",
            "x.",
            "_x",
            "index",
            "Index",
            "callMCPTool",
        ];
        let mut sorted = tools.to_vec();
        sorted.sort_unstable();
        let first = assign(&sorted, &[]);
        assert_eq!(first, assign(&sorted, &[]));
        let keys: HashSet<_> = first.iter().map(|n| collision_key(n)).collect();
        assert_eq!(keys.len(), first.len(), "{first:?}");
        assert!(first.iter().all(|n| is_usable_function(n)), "{first:?}");
    }

    #[test]
    fn type_bases_are_pascal_identifiers() {
        assert_eq!(type_base("getDocument"), "GetDocument");
        assert_eq!(type_base("delete_"), "Delete");
        assert_eq!(type_base("_2faCheck"), "_2faCheck");
        assert_eq!(type_base("getUser_ab12"), "GetUserAb12");
        assert_eq!(pascal_identifier("$$", "Def"), "Def");
    }

    #[test]
    fn type_names_get_numbered_suffixes() {
        let mut names = TypeNames::new(["AInput"]);
        assert_eq!(names.claim("AInput"), "AInput2");
        assert_eq!(names.claim("AInput"), "AInput3");
        assert_eq!(names.claim("B"), "B");
        assert_eq!(names.claim("AInput4"), "AInput4");
        assert_eq!(names.claim("AInput"), "AInput5");
    }
}
