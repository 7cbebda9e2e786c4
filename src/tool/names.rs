//! Names derived from untrusted server names: a server's folder under `servers/` and the
//! namespace `servers/index.ts` exports it as, with clashes between servers settled
//! ([`place_servers`]), and the identifier rules code generation shares.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use heck::ToLowerCamelCase;

/// Longest identifier or path segment derived from a name (longer ones are cut).
pub(crate) const MAX_LEN: usize = 64;

/// Words that cannot name a function, binding or namespace import in strict-mode TypeScript
/// modules (ECMAScript reserved words, strict-mode future reserved words, `arguments`, `eval`).
/// Sorted for binary search.
const RESERVED: &[&str] = &[
    "arguments",
    "await",
    "break",
    "case",
    "catch",
    "class",
    "const",
    "continue",
    "debugger",
    "default",
    "delete",
    "do",
    "else",
    "enum",
    "eval",
    "export",
    "extends",
    "false",
    "finally",
    "for",
    "function",
    "if",
    "implements",
    "import",
    "in",
    "instanceof",
    "interface",
    "let",
    "new",
    "null",
    "package",
    "private",
    "protected",
    "public",
    "return",
    "static",
    "super",
    "switch",
    "this",
    "throw",
    "true",
    "try",
    "typeof",
    "var",
    "void",
    "while",
    "with",
    "yield",
];

/// Whether `word` is reserved in strict-mode modules.
pub(crate) fn is_reserved(word: &str) -> bool {
    RESERVED.binary_search(&word).is_ok()
}

/// `raw` with every character but ASCII letters and digits turned into a word break.
pub(crate) fn ascii_words(raw: &str) -> String {
    raw.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { ' ' })
        .collect()
}

/// A lowerCamelCase identifier for `raw` (`fallback` when nothing usable is left), with a `_`
/// prefix before a leading digit and a `_` suffix after reserved words. At most [`MAX_LEN`]
/// characters before the suffix.
pub(crate) fn camel_identifier(
    raw: &str,
    fallback: &str,
    is_taboo: impl Fn(&str) -> bool,
) -> String {
    let mut id = ascii_words(raw).to_lower_camel_case();
    if id.is_empty() {
        id = fallback.to_owned();
    }
    if id.starts_with(|c: char| c.is_ascii_digit()) {
        id.insert(0, '_');
    }
    id.truncate(MAX_LEN);
    if is_taboo(&id) {
        id.push('_');
    }
    id
}

/// The first `suffixed(base, n)` for n = 2, 3, … whose key is free.
pub(crate) fn numbered(
    taken: &HashSet<String>,
    base: &str,
    key: impl Fn(&str) -> String,
    suffixed: impl Fn(&str, usize) -> String,
) -> String {
    (2..)
        .map(|n| suffixed(base, n))
        .find(|candidate| !taken.contains(&key(candidate)))
        .unwrap_or_else(|| base.to_owned())
}

/// Claims `base` in `taken` (compared through `key`), or the first free `suffixed(base, n)`.
pub(crate) fn claim_unique(
    taken: &mut HashSet<String>,
    base: &str,
    key: impl Fn(&str) -> String,
    suffixed: impl Fn(&str, usize) -> String,
) -> String {
    let name = if taken.contains(&key(base)) {
        numbered(taken, base, &key, suffixed)
    } else {
        base.to_owned()
    };
    taken.insert(key(&name));
    name
}

/// The folder a server gets under `servers/` when no other server's folder clashes with it (and
/// the name of its log file): `[A-Za-z0-9._-]` kept, everything else mapped to `-`, no leading
/// or trailing dots, never empty, at most 64 characters.
pub fn safe_segment(server: &str) -> String {
    let mapped: String = server
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '-'
            }
        })
        .take(MAX_LEN)
        .collect();
    let trimmed = mapped.trim_matches('.');
    if trimmed.is_empty() {
        "server".to_owned()
    } else {
        trimmed.to_owned()
    }
}

/// The namespace identifier a server is exported as (`google-drive` → `googleDrive`).
pub(crate) fn namespace_name(server: &str) -> String {
    camel_identifier(server, "server", is_reserved)
}

/// Where a server's generated code lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerPlace {
    /// The server's folder under `servers/`: a safe path segment.
    pub folder: String,
    /// The identifier the server is exported as from `servers/index.ts`.
    pub namespace: String,
}

/// Each server's folder and namespace, clashes between them settled.
///
/// Taking the servers by name (byte order), each claims its [`safe_segment`] and its
/// namespace; a folder taken already (compared case-insensitively, so that the tree works on
/// case-insensitive file systems; `index.ts` is never a folder) becomes `<folder>-2`, `-3`, …,
/// a namespace taken already `<namespace>2`, `3`, … So the result depends only on the set of
/// names: a server's place changes only when a server sorting before it joins or leaves.
pub fn place_servers<'a>(
    servers: impl IntoIterator<Item = &'a str>,
) -> BTreeMap<String, ServerPlace> {
    let servers: BTreeSet<&str> = servers.into_iter().collect();
    let mut folders = HashSet::from(["index.ts".to_owned()]);
    let mut namespaces = HashSet::new();
    servers
        .into_iter()
        .map(|server| {
            let folder = claim_unique(
                &mut folders,
                &safe_segment(server),
                str::to_lowercase,
                |base, n| format!("{base}-{n}"),
            );
            let namespace = claim_unique(
                &mut namespaces,
                &namespace_name(server),
                str::to_owned,
                |base, n| format!("{base}{n}"),
            );
            (server.to_owned(), ServerPlace { folder, namespace })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reserved_list_is_sorted() {
        assert!(RESERVED.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn folders_are_safe_path_segments() {
        for (server, folder) in [
            ("google-drive", "google-drive"),
            ("My Server/v2", "My-Server-v2"),
            (".hidden", "hidden"),
            ("..", "server"),
            (".", "server"),
            ("", "server"),
            ("a.b_c-d", "a.b_c-d"),
            ("ü", "-"),
        ] {
            assert_eq!(safe_segment(server), folder, "{server}");
        }
        assert_eq!(safe_segment(&"x".repeat(300)).len(), MAX_LEN);
    }

    #[test]
    fn namespaces_are_identifiers() {
        assert_eq!(namespace_name("google-drive"), "googleDrive");
        assert_eq!(namespace_name("sqlite-npm"), "sqliteNpm");
        assert_eq!(namespace_name("default"), "default_");
        assert_eq!(namespace_name("9lives"), "_9lives");
        assert_eq!(namespace_name("index"), "index");
        assert_eq!(namespace_name(""), "server");
    }

    fn places(servers: &[&str]) -> Vec<(String, String, String)> {
        place_servers(servers.iter().copied())
            .into_iter()
            .map(|(server, place)| (server, place.folder, place.namespace))
            .collect()
    }

    fn row(server: &str, folder: &str, namespace: &str) -> (String, String, String) {
        (server.to_owned(), folder.to_owned(), namespace.to_owned())
    }

    #[test]
    fn servers_without_clashes_keep_their_bases() {
        assert_eq!(
            places(&["sqlite", "google-drive"]),
            [
                row("google-drive", "google-drive", "googleDrive"),
                row("sqlite", "sqlite", "sqlite"),
            ]
        );
        assert!(place_servers([]).is_empty());
    }

    #[test]
    fn clashes_are_settled_by_server_name() {
        let expected = [
            row("My Server", "My-Server", "myServer"),
            row("My-Server", "My-Server-2", "myServer2"),
            row("index.ts", "index.ts-2", "indexTs"),
            row("my server", "my-server-3", "myServer3"),
            row("my.server", "my.server", "myServer4"),
        ];
        assert_eq!(
            places(&[
                "my server",
                "My-Server",
                "my.server",
                "index.ts",
                "My Server"
            ]),
            expected
        );
        // The order given and repeated names do not matter: only the set does.
        assert_eq!(
            places(&[
                "my.server",
                "My Server",
                "index.ts",
                "my server",
                "My-Server",
                "my.server"
            ]),
            expected
        );
    }

    #[test]
    fn a_suffixed_folder_may_take_the_base_of_a_later_server() {
        assert_eq!(
            places(&["a-b-2", "a b", "a-b"]),
            [
                row("a b", "a-b", "aB"),
                row("a-b", "a-b-2", "aB2"),
                row("a-b-2", "a-b-2-2", "aB22"),
            ]
        );
    }
}
