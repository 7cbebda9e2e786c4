//! `skillet install` from where skills live, against real `git`: fixture repositories built
//! from the vendored real skills (tests/fixtures/real-skills) in their real layouts, as bare
//! repositories fetched over file:// and over http://127.0.0.1 (`git http-backend`, with a
//! private repository behind basic auth), with branch, tag and commit refs; bad input, each
//! with a clear error and nothing written.

mod http;
mod upstream;

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::support::*;

/// `git ARGS` in `dir`, with the test's environment and an identity; fails the test on error.
pub fn git_in(env: &TestEnv, dir: &Path, args: &[&str]) -> String {
    let out = env
        .program("git")
        .current_dir(dir)
        .args(["-c", "user.name=Up", "-c", "user.email=up@example.com"])
        .args([
            "-c",
            "init.defaultBranch=main",
            "-c",
            "protocol.file.allow=always",
        ])
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?} in {}: {}",
        dir.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim_end().to_owned()
}

/// A source repository: a work tree the test edits, pushed to a bare repository.
pub struct Upstream {
    pub work: PathBuf,
    pub bare: PathBuf,
}

impl Upstream {
    /// A repository `name` holding the real skills `layout` (fixture folder, path in the
    /// repository), committed and pushed to `<tmp>/repos/<name>.git` (`<tmp>/repos/private/`
    /// when `name` starts with `private/`).
    pub fn new(env: &TestEnv, name: &str, layout: &[(&str, &str)]) -> Self {
        let work = env.tmp.path().join("up").join(name);
        let bare = env.tmp.path().join("repos").join(format!("{name}.git"));
        fs_err::create_dir_all(&work).unwrap();
        fs_err::create_dir_all(&bare).unwrap();
        for (from, to) in layout {
            copy_tree(&fixture(&format!("real-skills/{from}")), &work.join(to));
        }
        for dir in skill_dirs(&work) {
            make_valid_today(env, &dir);
        }
        git_in(env, &bare, &["init", "-q", "--bare"]);
        git_in(env, &work, &["init", "-q"]);
        git_in(
            env,
            &work,
            &["remote", "add", "origin", bare.to_str().unwrap()],
        );
        let up = Self { work, bare };
        up.commit(env, "skills");
        up
    }

    /// Commits everything and pushes; returns the commit.
    pub fn commit(&self, env: &TestEnv, message: &str) -> String {
        git_in(env, &self.work, &["add", "-A"]);
        git_in(
            env,
            &self.work,
            &["commit", "-q", "--allow-empty", "-m", message],
        );
        git_in(
            env,
            &self.work,
            &["push", "-q", "origin", "HEAD:main", "--force", "--tags"],
        );
        git_in(env, &self.work, &["rev-parse", "HEAD"])
    }

    pub fn url(&self) -> String {
        format!("file://{}", self.bare.display())
    }

    pub fn write(&self, rel: &str, text: &str) {
        let path = self.work.join(rel);
        fs_err::create_dir_all(path.parent().unwrap()).unwrap();
        fs_err::write(path, text).unwrap();
    }
}

/// Every folder under `dir` (itself included) holding a SKILL.md.
fn skill_dirs(dir: &Path) -> Vec<PathBuf> {
    if dir.join("SKILL.md").is_file() {
        return vec![dir.to_owned()];
    }
    let mut out = Vec::new();
    for entry in fs_err::read_dir(dir).unwrap().flatten() {
        if entry.file_type().unwrap().is_dir() {
            out.extend(skill_dirs(&entry.path()));
        }
    }
    out
}

pub fn copy_tree(from: &Path, to: &Path) {
    fs_err::create_dir_all(to).unwrap();
    for entry in fs_err::read_dir(from).unwrap().flatten() {
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            fs_err::copy(entry.path(), target).unwrap();
        }
    }
}

/// Today's validation wants a `scripts/index.ts` in every skill; validation is being relaxed
/// to the specification's rules. A skill copy that does not validate as it is gets an entry
/// point, so the positive tests hold before and after.
fn make_valid_today(env: &TestEnv, dir: &Path) {
    if !env.run(&["validate", dir.to_str().unwrap()]).status_ok() {
        fs_err::create_dir_all(dir.join("scripts")).unwrap();
        fs_err::write(
            dir.join("scripts/index.ts"),
            "export default async () => 'ok';\n",
        )
        .unwrap();
        env.run(&["validate", dir.to_str().unwrap()]).success();
    }
}

trait StatusOk {
    fn status_ok(&self) -> bool;
}

impl StatusOk for Run {
    fn status_ok(&self) -> bool {
        self.code() == 0
    }
}

/// A committed registry in the test's working folder (`init` commits its files).
pub fn target() -> TestEnv {
    let env = TestEnv::new();
    env.run(&["init"]).success();
    assert_eq!(git(&env, &["status", "--porcelain"]), "");
    env
}

/// `skillet ARGS` that never prompts for credentials.
pub fn skillet(env: &TestEnv, args: &[&str]) -> Run {
    env.command(args)
        .env("GIT_TERMINAL_PROMPT", "0")
        .output()
        .unwrap()
        .into()
}

/// What a failed command must leave: HEAD where it was, `git status` clean.
#[track_caller]
pub fn unchanged(env: &TestEnv, head: &str) {
    assert_eq!(git(env, &["rev-parse", "HEAD"]), head);
    assert_eq!(git(env, &["status", "--porcelain"]), "");
}

pub fn head(env: &TestEnv) -> String {
    git(env, &["rev-parse", "HEAD"])
}

/// The metadata lines of an installed skill's SKILL.md.
pub fn meta(env: &TestEnv, name: &str, key: &str) -> Option<String> {
    let md = env.read(&format!("skills/{name}/SKILL.md"));
    md.lines()
        .find_map(|l| l.trim().strip_prefix(&format!("{key}: ")))
        .map(|v| v.trim_matches(['"', '\'']).to_owned())
}

fn names(list: &Value) -> Vec<String> {
    list["skills"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            format!(
                "{}={}",
                s["name"].as_str().unwrap(),
                s["path"].as_str().unwrap()
            )
        })
        .collect()
}

pub const ANTHROPIC: [(&str, &str); 4] = [
    (
        "anthropics+skills/skills/internal-comms",
        "skills/internal-comms",
    ),
    (
        "anthropics+skills/skills/brand-guidelines",
        "skills/brand-guidelines",
    ),
    (
        "anthropics+skills/skills/frontend-design",
        "skills/frontend-design",
    ),
    ("anthropics+skills/.claude-plugin", ".claude-plugin"),
];

#[test]
fn real_layouts_are_found_and_installed_over_file_urls() {
    let env = target();
    let anthropic = Upstream::new(&env, "anthropics", &ANTHROPIC);
    let openai = Upstream::new(
        &env,
        "openai",
        &[
            (
                "openai+skills/skills/.curated/gh-fix-ci",
                "skills/.curated/gh-fix-ci",
            ),
            (
                "openai+skills/skills/.curated/gh-address-comments",
                "skills/.curated/gh-address-comments",
            ),
            (
                "openai+skills/skills/.system/skill-installer",
                "skills/.system/skill-installer",
            ),
        ],
    );
    let trail = Upstream::new(
        &env,
        "trailofbits",
        &[
            (
                "trailofbits+skills/plugins/modern-cpp",
                "plugins/modern-cpp",
            ),
            (
                "trailofbits+skills/plugins/dimensional-analysis",
                "plugins/dimensional-analysis",
            ),
            ("trailofbits+skills/.claude-plugin", ".claude-plugin"),
        ],
    );
    // Named as its skill: the specification wants a skill's folder named after it.
    let single = Upstream::new(
        &env,
        "brainstorming",
        &[("obra+superpowers/skills/brainstorming", "")],
    );

    let list = skillet(&env, &["install", &anthropic.url(), "--list", "--json"])
        .success()
        .json();
    assert_eq!(
        names(&list),
        [
            "brand-guidelines=skills/brand-guidelines",
            "frontend-design=skills/frontend-design",
            "internal-comms=skills/internal-comms"
        ]
    );
    assert!(
        list["skills"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["valid"] == true),
        "{list}"
    );
    let list = skillet(&env, &["install", &openai.url(), "--list", "--json"])
        .success()
        .json();
    assert_eq!(
        names(&list),
        [
            "gh-address-comments=skills/.curated/gh-address-comments",
            "gh-fix-ci=skills/.curated/gh-fix-ci",
            "skill-installer=skills/.system/skill-installer"
        ]
    );
    let text = skillet(&env, &["install", &trail.url(), "--list"])
        .success()
        .stdout;
    assert!(
        text.contains("modern-cpp  plugins/modern-cpp/skills/modern-cpp  [valid]"),
        "{text}"
    );
    // --list installs nothing.
    assert_eq!(
        git(&env, &["log", "--format=%s"]),
        "skillet: make a registry"
    );

    // Several skills: one of --skill or --all is needed.
    let several = skillet(&env, &["install", &anthropic.url()]).failure();
    assert_eq!(several.code(), 2, "{}", several.stderr);
    assert!(
        several.stderr.contains("has 3 skills"),
        "{}",
        several.stderr
    );

    let installed = skillet(
        &env,
        &[
            "install",
            &anthropic.url(),
            "--skill",
            "internal-comms",
            "--json",
        ],
    )
    .success()
    .json();
    assert_eq!(
        installed["installed"],
        serde_json::json!(["internal-comms"])
    );
    let upstream_head = git_in(&env, &anthropic.work, &["rev-parse", "HEAD"]);
    assert_eq!(
        meta(&env, "internal-comms", "skillet.origin-commit").unwrap(),
        upstream_head
    );
    assert_eq!(
        meta(&env, "internal-comms", "skillet.origin-path").unwrap(),
        "skills/internal-comms"
    );
    assert_eq!(
        meta(&env, "internal-comms", "skillet.origin-hash")
            .unwrap()
            .len(),
        64
    );
    assert!(env.path("skills/internal-comms/LICENSE.txt").is_file());

    skillet(&env, &["install", &openai.url(), "--skill", "gh-fix-ci"]).success();
    assert!(env.path("skills/gh-fix-ci/SKILL.md").is_file());
    let all = skillet(&env, &["install", &trail.url(), "--all", "--json"])
        .success()
        .json();
    assert_eq!(
        all["installed"],
        serde_json::json!(["dimensional-analysis", "modern-cpp"])
    );
    // A repository that is one skill, SKILL.md at its root: named by its frontmatter.
    let one = skillet(&env, &["install", &single.url(), "--json"])
        .success()
        .json();
    assert_eq!(one["installed"], serde_json::json!(["brainstorming"]));
    assert_eq!(
        meta(&env, "brainstorming", "skillet.origin-path").unwrap(),
        ""
    );
    // Installed skills validate, and each install is one commit; git status stays clean.
    env.run(&["validate"]).success();
    assert_eq!(git(&env, &["log", "--format=%s"]).lines().count(), 6);
    assert_eq!(git(&env, &["status", "--porcelain"]), "");

    // Installing the same commit again is a no-op.
    let h = head(&env);
    let again = skillet(&env, &["install", &trail.url(), "--all", "--json"])
        .success()
        .json();
    assert_eq!(
        again["unchanged"],
        serde_json::json!(["dimensional-analysis", "modern-cpp"])
    );
    unchanged(&env, &h);

    // A subfolder of the source, as owner/repo/path would name it.
    let sub = format!("{}/tree-less", anthropic.url());
    let missing = skillet(&env, &["install", &sub]).failure();
    assert!(
        missing.stderr.contains("cannot fetch"),
        "{}",
        missing.stderr
    );
}

#[test]
fn branch_tag_and_commit_refs_over_http_and_a_private_repository() {
    let env = target();
    let up = Upstream::new(&env, "anthropics", &ANTHROPIC);
    let v1 = git_in(&env, &up.work, &["rev-parse", "HEAD"]);
    git_in(&env, &up.work, &["tag", "v1"]);
    up.commit(&env, "tag");
    // main moves on; a branch `dev` has another change.
    let md = up.work.join("skills/internal-comms/SKILL.md");
    let text = fs_err::read_to_string(&md).unwrap();
    fs_err::write(&md, format!("{text}\nMain line.\n")).unwrap();
    let main2 = up.commit(&env, "main moves");
    git_in(&env, &up.work, &["checkout", "-qb", "dev"]);
    fs_err::write(&md, format!("{text}\nDev line.\n")).unwrap();
    git_in(&env, &up.work, &["add", "-A"]);
    git_in(&env, &up.work, &["commit", "-qm", "dev"]);
    git_in(&env, &up.work, &["push", "-q", "origin", "dev"]);
    let dev = git_in(&env, &up.work, &["rev-parse", "HEAD"]);
    Upstream::new(&env, "private/skills", &ANTHROPIC[..1]);

    let server = http::GitHttp::start(env.tmp.path().join("repos"));
    let url = server.url("anthropics.git");
    let install = |spec: &str, name: &str| {
        skillet(
            &env,
            &[
                "install", spec, "--skill", name, "--as", "comms", "--force", "--json",
            ],
        )
    };
    install(&format!("{url}@v1"), "internal-comms").success();
    assert_eq!(meta(&env, "comms", "skillet.origin-commit").unwrap(), v1);
    assert_eq!(meta(&env, "comms", "skillet.origin-ref").unwrap(), "v1");
    install(&format!("{url}@dev"), "internal-comms").success();
    assert_eq!(meta(&env, "comms", "skillet.origin-commit").unwrap(), dev);
    assert!(env.read("skills/comms/SKILL.md").contains("Dev line."));
    install(&format!("{url}@{main2}"), "internal-comms").success();
    assert_eq!(meta(&env, "comms", "skillet.origin-commit").unwrap(), main2);
    assert!(env.read("skills/comms/SKILL.md").contains("Main line."));
    // An abbreviated commit: fetched whole, then found.
    install(&format!("{url}@{}", &v1[..10]), "internal-comms").success();
    assert_eq!(meta(&env, "comms", "skillet.origin-commit").unwrap(), v1);

    // A ref or a repository that does not exist: git's words, nothing written.
    let h = head(&env);
    let bad = skillet(&env, &["install", &format!("{url}@no-such-branch")]).failure();
    assert!(
        bad.stderr.contains("cannot fetch") && bad.stderr.contains("git said"),
        "{}",
        bad.stderr
    );
    let bad = skillet(&env, &["install", &format!("{url}@{}", "d".repeat(40))]).failure();
    assert!(bad.stderr.contains("no commit"), "{}", bad.stderr);
    let bad = skillet(&env, &["install", &server.url("nope.git")]).failure();
    assert!(bad.stderr.contains("cannot fetch"), "{}", bad.stderr);
    unchanged(&env, &h);

    // The private repository: refused without credentials, fetched with the user's
    // credential helper.
    let private_url = server.url("private/skills.git");
    let denied = skillet(&env, &["install", &private_url]).failure();
    assert!(denied.stderr.contains("cannot fetch"), "{}", denied.stderr);
    unchanged(&env, &h);
    fs_err::write(
        env.tmp.path().join("home/.gitconfig"),
        format!(
            "[credential]\n\thelper = \"!f() {{ echo username={}; echo password={}; }}; f\"\n",
            http::USER,
            http::PASSWORD
        ),
    )
    .unwrap();
    skillet(&env, &["install", &private_url]).success();
    assert!(env.path("skills/internal-comms/SKILL.md").is_file());
    assert!(
        !env.read("skills/internal-comms/SKILL.md")
            .contains(http::PASSWORD)
    );
}

#[test]
fn names_from_elsewhere_are_refused_unless_renamed_or_forced() {
    let env = target();
    let a = Upstream::new(&env, "a", &ANTHROPIC[..1]);
    let b = Upstream::new(
        &env,
        "b",
        &[(
            "openai+skills/skills/.curated/gh-fix-ci",
            "skills/gh-fix-ci",
        )],
    );
    // b's skill renamed to clash with a's.
    let md = b.work.join("skills/gh-fix-ci/SKILL.md");
    let text = fs_err::read_to_string(&md)
        .unwrap()
        .replace("name: gh-fix-ci", "name: internal-comms");
    fs_err::remove_dir_all(b.work.join("skills")).ok();
    b.write("skills/internal-comms/SKILL.md", &text);
    let dir = b.work.join("skills/internal-comms");
    if !env.run(&["validate", dir.to_str().unwrap()]).status_ok() {
        b.write(
            "skills/internal-comms/scripts/index.ts",
            "export default async () => 'ok';\n",
        );
    }
    b.commit(&env, "clash");

    skillet(&env, &["install", &a.url()]).success();
    let h = head(&env);
    let clash = skillet(&env, &["install", &b.url()]).failure();
    assert_eq!(clash.code(), 1);
    assert!(
        clash
            .stderr
            .contains("is already in the registry, installed from")
            && clash.stderr.contains("--as"),
        "{}",
        clash.stderr
    );
    unchanged(&env, &h);
    let renamed = skillet(&env, &["install", &b.url(), "--as", "ci-fixer", "--json"])
        .success()
        .json();
    assert_eq!(renamed["installed"], serde_json::json!(["ci-fixer"]));
    assert!(
        env.read("skills/ci-fixer/SKILL.md")
            .contains("name: ci-fixer")
    );
    skillet(&env, &["install", &b.url(), "--force"]).success();
    assert!(
        meta(&env, "internal-comms", "skillet.origin")
            .unwrap()
            .ends_with("b.git")
    );

    // A skill made here is not replaced silently either.
    let h = head(&env);
    let c = Upstream::new(
        &env,
        "c",
        &[(
            "obra+superpowers/skills/brainstorming",
            "skills/brainstorming",
        )],
    );
    fs_err::create_dir_all(env.path("skills/brainstorming")).unwrap();
    copy_tree(
        &c.work.join("skills/brainstorming"),
        &env.path("skills/brainstorming"),
    );
    git(&env, &["add", "-A"]);
    git(&env, &["commit", "-qm", "made here"]);
    let h2 = head(&env);
    assert_ne!(h, h2);
    let made = skillet(&env, &["install", &c.url()]).failure();
    assert!(
        made.stderr
            .contains("made here (not installed from a source)"),
        "{}",
        made.stderr
    );
    unchanged(&env, &h2);
}

#[test]
fn bad_sources_give_clear_errors_and_write_nothing() {
    let env = target();
    let h = head(&env);
    // No skills at all.
    let empty = Upstream::new(&env, "empty", &[]);
    empty.write("README.md", "nothing here\n");
    empty.commit(&env, "readme");
    let none = skillet(&env, &["install", &empty.url()]).failure();
    assert!(none.stderr.contains("no skills in"), "{}", none.stderr);
    // Not a source at all.
    let bad = skillet(&env, &["install", "not a source"]).failure();
    assert_eq!(bad.code(), 2, "{}", bad.stderr);
    // git missing.
    let no_git = env
        .command(&["install", &empty.url()])
        .env("PATH", env.tmp.path().join("no-bin"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&no_git.stderr);
    assert!(stderr.contains("git is not installed"), "{stderr}");
    unchanged(&env, &h);

    // A local folder with one valid skill, one invalid, one with a link out and one with a
    // 100 MB file: the valid one installs, the others are listed, exit 1.
    let src = env.tmp.path().join("local");
    copy_tree(
        &fixture("real-skills/anthropics+skills/skills/brand-guidelines"),
        &src.join("skills/brand-guidelines"),
    );
    make_valid_today(&env, &src.join("skills/brand-guidelines"));
    for name in ["linked", "huge", "broken"] {
        copy_tree(
            &src.join("skills/brand-guidelines"),
            &src.join("skills").join(name),
        );
        let md = src.join("skills").join(name).join("SKILL.md");
        let text = fs_err::read_to_string(&md)
            .unwrap()
            .replace("name: brand-guidelines", &format!("name: {name}"));
        fs_err::write(md, text).unwrap();
    }
    fs_err::write(src.join("secret.txt"), "top secret\n").unwrap();
    std::os::unix::fs::symlink("../../secret.txt", src.join("skills/linked/notes.md")).unwrap();
    let big = fs_err::File::create(src.join("skills/huge/data.bin")).unwrap();
    big.set_len(100 * 1024 * 1024).unwrap();
    fs_err::write(
        src.join("skills/broken/SKILL.md"),
        "---\nname: broken\n---\n",
    )
    .unwrap();
    let out = skillet(&env, &["install", src.to_str().unwrap(), "--all", "--json"]).failure();
    assert_eq!(out.code(), 1);
    let report = out.json();
    assert_eq!(report["installed"], serde_json::json!(["brand-guidelines"]));
    let refused: Vec<&str> = report["refused"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(refused, ["broken", "huge", "linked"], "{report}");
    let why = report["refused"].to_string();
    assert!(why.contains("leads outside the skill"), "{why}");
    assert!(why.contains("data.bin is 100 MiB"), "{why}");
    assert!(why.contains("does not validate"), "{why}");
    for name in refused {
        assert!(!env.path(&format!("skills/{name}")).exists(), "{name}");
    }
    assert!(!env.path("skills/brand-guidelines/secret.txt").exists());
    assert_eq!(git(&env, &["log", "--format=%s"]).lines().count(), 2);
    assert_eq!(git(&env, &["status", "--porcelain"]), "");
}
