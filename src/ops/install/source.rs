//! Where skills come from, as a user writes it: a local folder; `owner/repo` or
//! `owner/repo/path/to/skill` (GitHub shorthand); `https://github.com/owner/repo/tree/REF/path`;
//! any git URL (https, http, ssh, git, `file://`, `git@host:path`); each with an optional
//! `@REF` (a branch, a tag or a commit). Parsing is pure: whether a path is a local folder is
//! asked of the caller.

use std::path::{Path, PathBuf};

use crate::error::Error;

/// Where the files are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Location {
    /// A folder on this machine, used as it is (absolute).
    Local(PathBuf),
    /// A git repository, fetched with the user's `git`.
    Git(String),
}

/// A parsed source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Source {
    pub(crate) location: Location,
    /// The branch, tag or commit asked for (`@REF`, or the `tree/REF` of a GitHub URL).
    pub(crate) reference: Option<String>,
    /// A folder inside the source ('/'-separated, no `..`), where discovery starts.
    pub(crate) subpath: Option<String>,
}

impl Source {
    /// The source as the provenance records it: a folder's absolute path, a file:// URL as that
    /// path, any other URL as written (GitHub shorthand expanded). No ref, no subpath.
    pub(crate) fn key(&self) -> String {
        canonical_url(&self.recorded())
    }

    /// The source as the provenance lock records it: a folder's path, a URL as written.
    pub(crate) fn recorded(&self) -> String {
        match &self.location {
            Location::Local(path) => path.to_string_lossy().into_owned(),
            Location::Git(url) => url.clone(),
        }
    }

    /// The git URL to fetch (a local folder as a file:// URL, which git fetches shallowly).
    pub(crate) fn url(&self) -> String {
        match &self.location {
            Location::Local(path) => format!("file://{}", path.display()),
            Location::Git(url) => url.clone(),
        }
    }
}

/// A URL the way two spellings of one source compare equal: `file://PATH` as PATH, no trailing
/// slash or `.git`.
pub(crate) fn canonical_url(url: &str) -> String {
    let url = url.strip_prefix("file://").unwrap_or(url);
    let url = url.trim_end_matches('/');
    url.strip_suffix(".git").unwrap_or(url).to_owned()
}

const SCHEMES: [&str; 5] = ["https://", "http://", "ssh://", "git://", "file://"];

/// Parses `input`. `base` resolves relative folders; `is_dir` says whether a path is a folder
/// on this machine (a local folder wins over the GitHub shorthand it looks like).
pub(crate) fn parse(
    input: &str,
    base: &Path,
    is_dir: &dyn Fn(&Path) -> bool,
) -> Result<Source, Error> {
    let input = input.trim();
    if input.is_empty() {
        return Err(bad(input, "it is empty"));
    }
    if input.chars().any(char::is_control) {
        return Err(bad(input, "it holds control characters"));
    }
    // A folder that exists is a folder, even with an `@` in its name.
    if !input.contains("://") && !is_scp_like(input) && is_dir(&base.join(input)) {
        return Ok(local(base.join(input), None));
    }
    let (rest, reference) = split_ref(input);
    if let Some(reference) = &reference {
        check_ref(input, reference)?;
    }
    if let Some(scheme) = SCHEMES.iter().find(|s| rest.starts_with(*s)) {
        if rest.len() == scheme.len() {
            return Err(bad(input, "the URL has no host or path"));
        }
        if let Some(found) = github_tree(rest) {
            if reference.is_some() {
                return Err(bad(input, "it names a ref twice (`/tree/REF` and `@REF`)"));
            }
            return found.map_err(|why| bad(input, &why));
        }
        return Ok(Source {
            location: Location::Git(rest.to_owned()),
            reference,
            subpath: None,
        });
    }
    if rest.contains("://") {
        return Err(
            bad(input, "skillet fetches https, http, ssh, git and file URLs")
                .hint("or give git's scp-like form, git@host:owner/repo"),
        );
    }
    if is_scp_like(rest) {
        return Ok(Source {
            location: Location::Git(rest.to_owned()),
            reference,
            subpath: None,
        });
    }
    let looks_local = rest.starts_with('/')
        || rest.starts_with("./")
        || rest.starts_with("../")
        || rest == "."
        || rest == ".."
        || rest.starts_with('~');
    if looks_local || is_dir(&base.join(rest)) {
        return Ok(local(base.join(rest), reference));
    }
    let parts: Vec<&str> = rest.split('/').collect();
    if parts.len() >= 2 && parts.iter().all(|p| is_github_segment(p)) {
        let repo = parts[1].strip_suffix(".git").unwrap_or(parts[1]);
        let subpath = (parts.len() > 2).then(|| parts[2..].join("/"));
        return Ok(Source {
            location: Location::Git(format!("https://github.com/{}/{repo}", parts[0])),
            reference,
            subpath,
        });
    }
    Err(bad(input, "it is not a folder, a git URL, or owner/repo"))
}

fn local(path: PathBuf, reference: Option<String>) -> Source {
    Source {
        location: Location::Local(path),
        reference,
        subpath: None,
    }
}

fn bad(input: &str, why: &str) -> Error {
    Error::usage(format!("cannot read the source `{}`: {why}", super::super::echo(input))).hint(
        "give a folder, owner/repo[/path], https://github.com/owner/repo/tree/REF/path, or a git URL; add @REF for a branch, tag or commit",
    )
}

/// `user@host:path` (git's scp-like syntax): an `@` before a `:` with no `/` before it.
fn is_scp_like(s: &str) -> bool {
    let Some((head, _)) = s.split_once(':') else {
        return false;
    };
    match head.split_once('@') {
        Some((user, host)) => {
            !user.is_empty() && !host.is_empty() && !head.contains('/') && !s.contains("://")
        }
        None => false,
    }
}

/// The input without its `@REF`, and the ref: the first `@` in the path part (after a URL's
/// `scheme://authority/`, after scp's `:`), so a branch may hold `/` and a user `@`.
fn split_ref(input: &str) -> (&str, Option<String>) {
    let path_start = if let Some(i) = input.find("://") {
        input[i + 3..].find('/').map_or(input.len(), |j| i + 3 + j)
    } else if is_scp_like(input) {
        input.find(':').map_or(0, |i| i + 1)
    } else {
        0
    };
    match input[path_start..].find('@') {
        Some(at) => {
            let at = path_start + at;
            (&input[..at], Some(input[at + 1..].to_owned()))
        }
        None => (input, None),
    }
}

/// A ref git would accept, and nothing an option parser could take for a flag.
fn check_ref(input: &str, reference: &str) -> Result<(), Error> {
    let ok = !reference.is_empty()
        && !reference.starts_with('-')
        && !reference.starts_with('/')
        && !reference.ends_with('/')
        && !reference.ends_with(".lock")
        && !reference.contains("..")
        && !reference.contains("@{")
        && !reference
            .chars()
            .any(|c| c.is_whitespace() || "~^:?*[\\".contains(c));
    if ok {
        Ok(())
    } else {
        Err(bad(
            input,
            &format!("`{reference}` is not a branch, tag or commit name"),
        ))
    }
}

fn is_github_segment(s: &str) -> bool {
    !s.is_empty()
        && s != "."
        && s != ".."
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
}

/// `https://github.com/OWNER/REPO/tree/REF[/PATH]`: `None` when `url` is not of that shape.
fn github_tree(url: &str) -> Option<Result<Source, String>> {
    let rest = url
        .strip_prefix("https://github.com/")
        .or_else(|| url.strip_prefix("http://github.com/"))?;
    let parts: Vec<&str> = rest.trim_end_matches('/').split('/').collect();
    if parts.len() < 3 || !(parts[2] == "tree" || parts[2] == "blob") {
        return None;
    }
    if parts.len() < 4 || parts[3].is_empty() {
        return Some(Err("the URL names no ref after /tree/".into()));
    }
    if !parts.iter().all(|p| is_github_segment(p)) {
        return Some(Err("a path segment is empty, `.` or `..`".into()));
    }
    let mut subpath = parts[4..].join("/");
    if parts[2] == "blob" {
        // A link to a file (usually SKILL.md): its folder.
        subpath = subpath
            .rsplit_once('/')
            .map(|(d, _)| d.to_owned())
            .unwrap_or_default();
    }
    Some(Ok(Source {
        location: Location::Git(format!("https://github.com/{}/{}", parts[0], parts[1])),
        reference: Some(parts[3].to_owned()),
        subpath: (!subpath.is_empty()).then_some(subpath),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_with(input: &str, dirs: &[&str]) -> Result<Source, Error> {
        let dirs: Vec<PathBuf> = dirs.iter().map(|d| Path::new("/work").join(d)).collect();
        parse(input, Path::new("/work"), &|p| dirs.iter().any(|d| d == p))
    }

    fn ok(input: &str) -> (Location, Option<String>, Option<String>) {
        let s = parse_with(input, &["local", "with@at"]).unwrap_or_else(|e| panic!("{input}: {e}"));
        (s.location, s.reference, s.subpath)
    }

    fn git(url: &str) -> Location {
        Location::Git(url.to_owned())
    }

    fn some(s: &str) -> Option<String> {
        Some(s.to_owned())
    }

    #[test]
    fn github_shorthand() {
        let gh = git("https://github.com/anthropics/skills");
        assert_eq!(ok("anthropics/skills"), (gh.clone(), None, None));
        assert_eq!(
            ok("anthropics/skills@main"),
            (gh.clone(), some("main"), None)
        );
        assert_eq!(
            ok("anthropics/skills/skills/pdf"),
            (gh.clone(), None, some("skills/pdf"))
        );
        assert_eq!(
            ok("anthropics/skills/skills/pdf@v1.2"),
            (gh.clone(), some("v1.2"), some("skills/pdf"))
        );
        assert_eq!(ok("anthropics/skills.git"), (gh, None, None));
        assert_eq!(
            ok("openai/skills/skills/.curated/gh-fix-ci"),
            (
                git("https://github.com/openai/skills"),
                None,
                some("skills/.curated/gh-fix-ci")
            )
        );
    }

    #[test]
    fn github_tree_urls() {
        assert_eq!(
            ok("https://github.com/anthropics/skills/tree/main/skills/pdf"),
            (
                git("https://github.com/anthropics/skills"),
                some("main"),
                some("skills/pdf")
            )
        );
        assert_eq!(
            ok("https://github.com/o/r/tree/v2"),
            (git("https://github.com/o/r"), some("v2"), None)
        );
        assert_eq!(
            ok("https://github.com/o/r/blob/abc123/skills/x/SKILL.md"),
            (
                git("https://github.com/o/r"),
                some("abc123"),
                some("skills/x")
            )
        );
        // Not a tree URL: the repository itself.
        assert_eq!(
            ok("https://github.com/o/r"),
            (git("https://github.com/o/r"), None, None)
        );
        assert!(parse_with("https://github.com/o/r/tree/", &[]).is_err());
        assert!(parse_with("https://github.com/o/r/tree/main/../x", &[]).is_err());
        assert!(parse_with("https://github.com/o/r/tree/main/x@v1", &[]).is_err());
    }

    #[test]
    fn git_urls_with_and_without_refs() {
        assert_eq!(
            ok("https://gitlab.com/g/s/r.git"),
            (git("https://gitlab.com/g/s/r.git"), None, None)
        );
        assert_eq!(
            ok("https://gitlab.com/g/r.git@release"),
            (git("https://gitlab.com/g/r.git"), some("release"), None)
        );
        assert_eq!(
            ok("ssh://git@host:2222/o/r"),
            (git("ssh://git@host:2222/o/r"), None, None)
        );
        assert_eq!(
            ok("ssh://git@host/o/r@0123abcd"),
            (git("ssh://git@host/o/r"), some("0123abcd"), None)
        );
        assert_eq!(
            ok("git@github.com:o/r.git"),
            (git("git@github.com:o/r.git"), None, None)
        );
        assert_eq!(
            ok("git@github.com:o/r.git@v1"),
            (git("git@github.com:o/r.git"), some("v1"), None)
        );
        assert_eq!(ok("me@host:repo"), (git("me@host:repo"), None, None));
        assert_eq!(
            ok("me@host:repo@dev"),
            (git("me@host:repo"), some("dev"), None)
        );
        assert_eq!(
            ok("file:///srv/r.git"),
            (git("file:///srv/r.git"), None, None)
        );
        assert_eq!(
            ok("file:///srv/r.git@feature/x"),
            (git("file:///srv/r.git"), some("feature/x"), None)
        );
        assert_eq!(
            ok("git://127.0.0.1/r@v3"),
            (git("git://127.0.0.1/r"), some("v3"), None)
        );
        assert_eq!(
            ok("http://127.0.0.1:8080/r.git"),
            (git("http://127.0.0.1:8080/r.git"), None, None)
        );
    }

    #[test]
    fn local_folders() {
        let l = |p: &str| Location::Local(PathBuf::from(p));
        assert_eq!(ok("local"), (l("/work/local"), None, None));
        assert_eq!(ok("./elsewhere"), (l("/work/./elsewhere"), None, None));
        assert_eq!(ok("/abs/path"), (l("/abs/path"), None, None));
        assert_eq!(ok("/abs/path@v2"), (l("/abs/path"), some("v2"), None));
        assert_eq!(ok("../up"), (l("/work/../up"), None, None));
        assert_eq!(ok("local@main"), (l("/work/local"), some("main"), None));
        assert_eq!(
            ok("o/r@feature/x"),
            (git("https://github.com/o/r"), some("feature/x"), None)
        );
        // An existing folder with `@` in its name is that folder.
        assert_eq!(ok("with@at"), (l("/work/with@at"), None, None));
    }

    #[test]
    fn bad_sources_are_usage_errors_with_a_hint() {
        for input in [
            "",
            "   ",
            "justaword",
            "ftp://host/r",
            "https://",
            "o/r@",
            "o/r@-upload-pack=evil",
            "o/r@a..b",
            "o/r@x y",
            "o/r@x:y",
            "owner/re po",
            "o/../r",
            "o//r",
            "a\u{7}b/c",
        ] {
            let err = parse_with(input, &[]).expect_err(input);
            assert_eq!(
                crate::error::Diagnose::error_kind(&err),
                crate::error::Kind::Usage,
                "{input}"
            );
            assert!(!crate::error::Diagnose::hints(&err).is_empty(), "{input}");
        }
    }

    #[test]
    fn keys_compare_spellings_of_one_source() {
        let a = parse_with("/srv/r", &[]).unwrap();
        let b = parse_with("file:///srv/r", &[]).unwrap();
        let c = parse_with("file:///srv/r.git/", &[]).unwrap();
        assert_eq!(a.key(), "/srv/r");
        assert_eq!(b.key(), "/srv/r");
        assert_eq!(c.key(), "/srv/r");
        assert_eq!(a.url(), "file:///srv/r");
        let gh = parse_with("o/r/skills/x", &[]).unwrap();
        assert_eq!(gh.key(), "https://github.com/o/r");
    }
}
