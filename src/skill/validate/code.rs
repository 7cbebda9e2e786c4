//! skillet's own rules (rule set `skillet`), for the skills skillet runs: a *code skill* carries
//! `skillet.*` metadata or a `scripts/index.ts`. Any other skill (the ecosystem's Markdown
//! skills, with Python or Bash scripts or none) is never held to them.
//!
//! - `entry-point`: `scripts/index.ts` is a regular UTF-8 file of at most [`MAX_FILE_BYTES`];
//! - `recording`: `tests/recording.json`, the run that proved the skill, is there (a warning
//!   when not: `skillet test` has nothing to replay) and is a recording;
//! - `tool-pin`: every `skillet.tools` / `skillet.tool-descriptions` entry is
//!   `server.tool@sha256:<hex>` (`unlocked`, a tool saved without a lock entry, is a warning);
//! - `skillet-version`: `skillet.version` is a whole number;
//! - `input-schema`: `scripts/input.schema.json`, when there is one, is the JSON Schema of the
//!   input type `scripts/index.ts` declares (what `skillet save` wrote, not stale after an edit).
//!
//! Reads at most the three files above, never follows a symlink, never writes.

use std::path::Path;

use super::folder::report_not_utf8;
use super::sink::{Sink, show};
use super::{Finding, MAX_FILE_BYTES, ParsedSkill, RuleSet, Severity};
use crate::skill::{
    ENTRY, INPUT_SCHEMA, META_TOOL_DESCRIPTIONS, META_TOOLS, META_VERSION, RECORDING,
};

/// Whether skillet's own rules apply to the folder: its metadata has `skillet.` keys that only
/// `skillet save` writes, or it has a `scripts/index.ts`. Provenance (`skillet.origin*`, which
/// `install` records on any skill it installs) does not make a skill a code skill.
pub fn is_code_skill(dir: &Path, parsed: Option<&ParsedSkill>) -> bool {
    parsed.is_some_and(|p| has_code_metadata(&p.frontmatter.metadata))
        || fs_err::symlink_metadata(dir.join(ENTRY)).is_ok()
}

/// Whether frontmatter metadata holds `skillet.` keys that only `skillet save` writes
/// (provenance, `skillet.origin*`, does not count).
pub fn has_code_metadata(metadata: &std::collections::BTreeMap<String, String>) -> bool {
    metadata
        .keys()
        .any(|k| k.starts_with("skillet.") && !k.starts_with(crate::skill::META_ORIGIN))
}

/// skillet's rules for a code skill (nothing for any other skill). `folder` names the findings'
/// files (`<folder>/scripts/index.ts`).
pub fn check_code_skill(dir: &Path, folder: &str, parsed: Option<&ParsedSkill>) -> Vec<Finding> {
    if !is_code_skill(dir, parsed) {
        return Vec::new();
    }
    let prefix = if folder.is_empty() {
        String::new()
    } else {
        format!("{folder}/")
    };
    let mut findings = Vec::new();
    let mut entry = Sink::new(&format!("{prefix}{ENTRY}"));
    let source = check_entry_point(dir, &mut entry);
    findings.append(&mut entry.findings);
    let mut schema = Sink::new(&format!("{prefix}{INPUT_SCHEMA}"));
    check_input_schema(dir, source.as_deref(), &mut schema);
    findings.append(&mut schema.findings);
    let mut recording = Sink::new(&format!("{prefix}{RECORDING}"));
    check_recording(dir, &mut recording);
    findings.append(&mut recording.findings);
    if let Some(parsed) = parsed {
        let mut md = Sink::new(&format!("{prefix}SKILL.md"));
        check_metadata(parsed, &mut md);
        findings.append(&mut md.findings);
    }
    findings
}

fn error(sink: &mut Sink, rule: &'static str, message: String, fix: &str) {
    sink.add(
        RuleSet::Skillet,
        Severity::Error,
        (1, 1),
        rule,
        message,
        fix.to_owned(),
    );
}

fn warning(sink: &mut Sink, rule: &'static str, message: String, fix: &str) {
    sink.add(
        RuleSet::Skillet,
        Severity::Warning,
        (1, 1),
        rule,
        message,
        fix.to_owned(),
    );
}

/// A regular file of at most [`MAX_FILE_BYTES`], read; `None` (and nothing reported) when
/// there is none.
fn read_small(path: &Path, sink: &mut Sink, rule: &'static str) -> Option<Vec<u8>> {
    let meta = fs_err::symlink_metadata(path).ok()?;
    if !meta.is_file() {
        error(
            sink,
            rule,
            "is not a regular file (a link, a folder or a special file)".to_owned(),
            "Make it a plain file.",
        );
        return None;
    }
    if meta.len() > MAX_FILE_BYTES {
        error(
            sink,
            rule,
            format!(
                "file is {} bytes; skillet reads at most {MAX_FILE_BYTES} bytes (1 MiB)",
                meta.len()
            ),
            "Shrink the file.",
        );
        return None;
    }
    match fs_err::read(path) {
        Ok(bytes) if bytes.len() as u64 <= MAX_FILE_BYTES => Some(bytes),
        Ok(_) => None,
        Err(e) => {
            error(
                sink,
                rule,
                format!("cannot read file: {e}"),
                "Check the file's permissions.",
            );
            None
        }
    }
}

/// Checks the entry point; returns its text when it is readable UTF-8.
fn check_entry_point(dir: &Path, sink: &mut Sink) -> Option<String> {
    if fs_err::symlink_metadata(dir.join(ENTRY)).is_err() {
        error(
            sink,
            "entry-point",
            format!("the skill carries skillet metadata but has no {ENTRY}"),
            "Save the skill with `skillet save`, or add its TypeScript entry point.",
        );
        return None;
    }
    let bytes = read_small(&dir.join(ENTRY), sink, "entry-point")?;
    if let Err(e) = std::str::from_utf8(&bytes) {
        let mut utf8 = Sink::new("");
        report_not_utf8(&bytes, e.valid_up_to(), ENTRY, &mut utf8);
        for f in utf8.findings {
            sink.add(
                RuleSet::Skillet,
                Severity::Error,
                (f.line, f.column),
                f.rule,
                f.message,
                f.fix,
            );
        }
        return None;
    }
    String::from_utf8(bytes).ok()
}

/// A committed input schema must be what the entry's input type says now. Parses the entry
/// only when there is a schema file (most skills have none, and validation stays cheap).
fn check_input_schema(dir: &Path, entry: Option<&str>, sink: &mut Sink) {
    let path = dir.join(INPUT_SCHEMA);
    if fs_err::symlink_metadata(&path).is_err() {
        return;
    }
    let Some(bytes) = read_small(&path, sink, "input-schema") else {
        return;
    };
    let committed: serde_json::Value = match serde_json::from_slice(&bytes) {
        Ok(value) => value,
        Err(e) => {
            error(
                sink,
                "input-schema",
                format!("{INPUT_SCHEMA} is not JSON: {e}"),
                "Save the skill again with `skillet save`, which writes it from scripts/index.ts.",
            );
            return;
        }
    };
    let Some(entry) = entry else {
        return;
    };
    match crate::inputs::schema_of(entry, ENTRY) {
        Ok(Some(derived)) if derived == committed => {}
        Ok(Some(_)) => error(
            sink,
            "input-schema",
            format!(
                "{INPUT_SCHEMA} does not match the input type {ENTRY} declares (edited since the skill was saved?)"
            ),
            "Run the skill with an input and save that run again, or write the file from the type.",
        ),
        Ok(None) => error(
            sink,
            "input-schema",
            format!("{INPUT_SCHEMA} is there, but the default export of {ENTRY} takes no input"),
            "Remove the file, or give the default export its typed parameter back.",
        ),
        Err(e) => error(
            sink,
            "input-schema",
            format!("the input type of {ENTRY} has no JSON Schema: {e}"),
            "Use JSON types for the input (strings, numbers, booleans, arrays, objects, literal unions).",
        ),
    }
}

fn check_recording(dir: &Path, sink: &mut Sink) {
    let path = dir.join(RECORDING);
    if fs_err::symlink_metadata(&path).is_err() {
        warning(
            sink,
            "recording",
            format!("the code skill has no {RECORDING}; `skillet test` has nothing to replay"),
            "Save the skill from a recorded run with `skillet save --run RUN`.",
        );
        return;
    }
    let Some(bytes) = read_small(&path, sink, "recording") else {
        return;
    };
    if let Err(e) = serde_json::from_slice::<crate::skill::Recording>(&bytes) {
        sink.add(
            RuleSet::Skillet,
            Severity::Error,
            (
                u32::try_from(e.line()).unwrap_or(u32::MAX),
                u32::try_from(e.column()).unwrap_or(u32::MAX),
            ),
            "recording",
            format!("{RECORDING} is not a skillet recording: {e}"),
            "Save the skill again from a recorded run with `skillet save --run RUN`.".to_owned(),
        );
    }
}

fn check_metadata(parsed: &ParsedSkill, sink: &mut Sink) {
    let metadata = &parsed.frontmatter.metadata;
    if let Some(v) = metadata.get(META_VERSION)
        && v.parse::<u32>().is_err()
    {
        error(
            sink,
            "skillet-version",
            format!(
                "`{META_VERSION}` is `{}`; it must be a whole number",
                show(v)
            ),
            "Leave versions to `skillet save`, which counts them.",
        );
    }
    for key in [META_TOOLS, META_TOOL_DESCRIPTIONS] {
        let Some(value) = metadata.get(key) else {
            continue;
        };
        for entry in value.split_whitespace() {
            let pin = entry.split_once('@').and_then(|(name, hash)| {
                let (server, tool) = name.split_once('.')?;
                (!server.is_empty() && !tool.is_empty()).then_some(hash)
            });
            match pin {
                Some(hash) if is_sha256(hash) => {}
                Some("unlocked") => warning(
                    sink,
                    "tool-pin",
                    format!(
                        "`{key}` entry `{}` is not pinned: the tool was not in skillet.lock when the skill was saved",
                        show(entry)
                    ),
                    "Run `skillet gen`, then save the skill again so the tool is pinned.",
                ),
                _ => error(
                    sink,
                    "tool-pin",
                    format!(
                        "`{key}` entry `{}` is not `server.tool@sha256:<hex>`",
                        show(entry)
                    ),
                    "Leave tool pins to `skillet save`, which writes them from skillet.lock.",
                ),
            }
        }
    }
}

fn is_sha256(hash: &str) -> bool {
    hash.strip_prefix("sha256:")
        .is_some_and(|hex| !hex.is_empty() && hex.chars().all(|c| c.is_ascii_hexdigit()))
}

#[cfg(test)]
mod tests {
    use super::super::test_support::good_dir;
    use super::super::{RuleSet, Severity, validate_dir};
    use super::{check_code_skill, is_code_skill};

    const RECORDING: &str = r#"{"version":1,"run_id":"r","script":"","tool_calls":[],"output":""}"#;

    fn rules(dir: &std::path::Path) -> Vec<(&'static str, Severity, String)> {
        let (parsed, _) = validate_dir(dir);
        check_code_skill(dir, "my-skill", parsed.as_ref())
            .into_iter()
            .inspect(|f| assert_eq!(f.set, RuleSet::Skillet))
            .map(|f| (f.rule, f.severity, f.file))
            .collect()
    }

    #[test]
    fn markdown_skills_are_not_code_skills() {
        let (_tmp, dir) = good_dir();
        std::fs::remove_file(dir.join("scripts/index.ts")).unwrap();
        std::fs::write(dir.join("scripts/run.py"), "print(1)\n").unwrap();
        let (parsed, _) = validate_dir(&dir);
        assert!(!is_code_skill(&dir, parsed.as_ref()));
        assert!(rules(&dir).is_empty());
    }

    #[test]
    fn provenance_alone_does_not_make_a_code_skill() {
        let (_tmp, dir) = good_dir();
        std::fs::remove_file(dir.join("scripts/index.ts")).unwrap();
        std::fs::write(
            dir.join("SKILL.md"),
            "---\nname: my-skill\ndescription: d\nmetadata:\n  skillet.origin: owner/repo\n  skillet.origin-commit: abc\n---\n",
        )
        .unwrap();
        let (parsed, _) = validate_dir(&dir);
        assert!(!is_code_skill(&dir, parsed.as_ref()));
        assert!(rules(&dir).is_empty());
    }

    #[test]
    fn a_committed_input_schema_must_match_the_entry() {
        let (_tmp, dir) = good_dir();
        std::fs::write(dir.join("tests/recording.json"), RECORDING).unwrap();
        let entry = "export default async function (input: { id: string }) {}\n";
        std::fs::write(dir.join("scripts/index.ts"), entry).unwrap();
        let schema = crate::inputs::schema_of(entry, "index.ts")
            .unwrap()
            .unwrap();
        let write_schema = |value: &serde_json::Value| {
            std::fs::write(
                dir.join("scripts/input.schema.json"),
                serde_json::to_string_pretty(value).unwrap(),
            )
            .unwrap();
        };
        write_schema(&schema);
        assert!(rules(&dir).is_empty(), "{:?}", rules(&dir));
        let schema_file = "my-skill/scripts/input.schema.json".to_owned();

        // Stale: the type changed after the schema was written.
        std::fs::write(
            dir.join("scripts/index.ts"),
            "export default async function (input: { id: number }) {}\n",
        )
        .unwrap();
        assert_eq!(
            rules(&dir),
            [("input-schema", Severity::Error, schema_file.clone())]
        );
        // No input at all any more, a type JSON cannot carry, a file that is not JSON.
        for entry in [
            "export default async function () {}\n",
            "export default async function (input: { when: Date }) {}\n",
        ] {
            std::fs::write(dir.join("scripts/index.ts"), entry).unwrap();
            assert_eq!(
                rules(&dir),
                [("input-schema", Severity::Error, schema_file.clone())],
                "{entry}"
            );
        }
        std::fs::write(dir.join("scripts/input.schema.json"), "{").unwrap();
        assert_eq!(
            rules(&dir),
            [("input-schema", Severity::Error, schema_file)]
        );
    }

    #[test]
    fn code_skill_rules() {
        let (_tmp, dir) = good_dir();
        std::fs::write(dir.join("tests/recording.json"), RECORDING).unwrap();
        assert!(rules(&dir).is_empty(), "{:?}", rules(&dir));

        // The entry point must be UTF-8; the recording must be one.
        std::fs::write(
            dir.join("scripts/index.ts"),
            b"let a = 1;\nlet b = \"\xff\";\n",
        )
        .unwrap();
        std::fs::write(dir.join("tests/recording.json"), "{\"version\":1}").unwrap();
        let got = rules(&dir);
        assert_eq!(
            got,
            [
                (
                    "not-utf8",
                    Severity::Error,
                    "my-skill/scripts/index.ts".into()
                ),
                (
                    "recording",
                    Severity::Error,
                    "my-skill/tests/recording.json".into()
                ),
            ]
        );

        // skillet metadata without an entry point, pins and version checked, no recording.
        std::fs::remove_file(dir.join("scripts/index.ts")).unwrap();
        std::fs::remove_file(dir.join("tests/recording.json")).unwrap();
        let hash = format!("sha256:{}", "ab".repeat(32));
        std::fs::write(
            dir.join("SKILL.md"),
            format!(
                "---\nname: my-skill\ndescription: d\nmetadata:\n  skillet.version: \"two\"\n  skillet.tools: a.b@{hash} a.c@unlocked nodot@{hash}\n---\n"
            ),
        )
        .unwrap();
        let got: Vec<_> = rules(&dir).into_iter().map(|(r, s, _)| (r, s)).collect();
        assert_eq!(
            got,
            [
                ("entry-point", Severity::Error),
                ("recording", Severity::Warning),
                ("skillet-version", Severity::Error),
                ("tool-pin", Severity::Warning),
                ("tool-pin", Severity::Error),
            ]
        );
    }
}
