//! Helpers shared by the unit tests of the validate parts: parsing text as
//! `my-skill/SKILL.md` and building a good skill folder in a temporary
//! directory. Test-only; never compiled into the crate.

use std::path::PathBuf;

use super::{Finding, ParsedSkill, parse_skill_md};

const FILE: &str = "my-skill/SKILL.md";

pub(super) fn parse(text: &str) -> (Option<ParsedSkill>, Vec<Finding>) {
    parse_skill_md(text, FILE)
}

/// The only finding's (rule, line, column, message).
pub(super) fn one(text: &str) -> (&'static str, u32, u32, String) {
    let (_, f) = parse(text);
    assert_eq!(f.len(), 1, "{f:#?}");
    (f[0].rule, f[0].line, f[0].column, f[0].message.clone())
}

pub(super) fn fm(extra: &str) -> String {
    format!("---\nname: my-skill\ndescription: Does things.\n{extra}---\n\nBody\n")
}

pub(super) fn good_dir() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("my-skill");
    std::fs::create_dir_all(dir.join("scripts")).unwrap();
    std::fs::create_dir_all(dir.join("references")).unwrap();
    std::fs::create_dir_all(dir.join("assets")).unwrap();
    std::fs::create_dir_all(dir.join("tests")).unwrap();
    std::fs::write(
        dir.join("SKILL.md"),
        "---\nname: my-skill\ndescription: Does things.\n---\n\n# My skill\n\nSee [the guide](references/guide.md#setup), \
         ![logo](assets/a%20b.png), [top](#my-skill), [web](https://example.com), <mailto:x@y.z>, <x@y.z>, \
         [dir](./scripts/) and [self](SKILL.md).\n",
    )
    .unwrap();
    std::fs::write(dir.join("scripts/index.ts"), "export default 1;\n").unwrap();
    std::fs::write(dir.join("references/guide.md"), "# Guide\n").unwrap();
    std::fs::write(dir.join("assets/a b.png"), [0x89, b'P', b'N', b'G', 0xff]).unwrap();
    std::fs::write(dir.join("tests/recording.json"), "{\"version\":1}").unwrap();
    (tmp, dir)
}
