//! `skillet save`: a successful run becomes a skill folder, validated, swapped into place whole,
//! and committed (`skill(NAME): save vN`), through `journal` (one writer at a time; a killed
//! save is finished or undone by the next command).

use std::path::Path;

use heck::{ToLowerCamelCase, ToUpperCamelCase};
use serde::Serialize;

use crate::error::Error;
use crate::lock::Lockfile;
use crate::registry::Registry;
use crate::registry::git::Repo;
use crate::registry::journal::{Staging, WriteLock};
use crate::runs::{RunStore, Status};
use crate::skill::validate::{self, Frontmatter};
use crate::skill::{
    ENTRY, INPUT_SCHEMA, META_SOURCE_RUN, META_TAGS, META_TOOLS, META_VERSION, RECORDING,
    Recording, SkillError, ToolPin,
};

/// What to save: a run, as a named skill.
pub struct SaveOptions {
    pub run: String,
    pub name: String,
    pub description: String,
    pub tags: Vec<String>,
    /// Literals of the run's script to lift into typed input fields.
    pub params: Vec<crate::inputs::Param>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SaveReport {
    pub name: String,
    pub version: u32,
    pub commit: String,
    pub path: String,
    /// Files added (`+`), changed (`~`) and removed (`-`) against the previous version.
    pub changes: Vec<String>,
}

/// Saves the run `request.run` as the skill `request.name`.
pub fn save(registry: &Registry, request: &SaveOptions) -> anyhow::Result<SaveReport> {
    crate::skill::check_name(&request.name)?;
    let description = request.description.trim();
    if description.is_empty() || description.chars().count() > 1024 {
        return Err(Error::user(
            "the description must be 1 to 1024 characters: say what the skill does and when to use it",
        )
        .into());
    }
    let store = RunStore::new(registry);
    let (record, script, output) = store.load(&request.run)?;
    if record.status != Status::Ok {
        return Err(Error::user(format!(
            "run {} ended with an error ({}); only a run whose status is ok can be saved",
            record.id,
            record.error.as_ref().map_or("unknown", |e| e.kind.as_str()),
        ))
        .hint(format!(
            "fix the script and run it again, or `skillet run --resume {}`",
            record.id
        ))
        .into());
    }
    let repo = Repo::open(registry.root())?;
    let rel = format!("skills/{}", request.name);
    // Waits for other writers and finishes or undoes what a killed one left.
    let writer = WriteLock::acquire(registry)?;

    if repo.has_local_changes(&rel)? {
        return Err(Error::user(format!(
            "skill `{}` has uncommitted changes in {rel}/",
            request.name
        ))
        .hint(format!(
            "commit or discard them (`git status {rel}`), then save again"
        ))
        .into());
    }
    let dest = registry.skills_dir().join(&request.name);
    let previous = crate::skill::load_dir(&dest)
        .ok()
        .filter(|_| dest.join("SKILL.md").is_file());
    let version = previous.as_ref().map_or(1, |p| p.version() + 1);

    // Which tools the run called, pinned to their schema hashes from skillet.lock.
    let lock = Lockfile::load(&registry.lock_path())?;
    let mut pins: Vec<ToolPin> = Vec::new();
    for call in record.tool_calls.iter() {
        if pins
            .iter()
            .any(|p| p.server == call.server && p.tool == call.tool)
        {
            continue;
        }
        let schema = lock
            .servers
            .get(&call.server)
            .and_then(|s| s.tools.get(&call.tool))
            .map(|t| t.schema.clone())
            .unwrap_or_else(|| "unlocked".to_owned());
        pins.push(ToolPin {
            server: call.server.clone(),
            tool: call.tool.clone(),
            schema,
        });
    }
    let mut metadata = crate::skill::metadata(&[
        (META_VERSION, version.to_string()),
        (META_SOURCE_RUN, record.id.clone()),
        (META_TOOLS, crate::skill::render_pins(&pins)),
    ]);
    if !request.tags.is_empty() {
        metadata.insert(META_TAGS.into(), request.tags.join(","));
    }
    // What the model read about each tool when the skill was saved: a signature covers it, so
    // `skillet review` can tell a tool redescribed since (a poisoned description).
    let descriptions: Vec<ToolPin> = pins
        .iter()
        .filter_map(|p| {
            Some(ToolPin {
                server: p.server.clone(),
                tool: p.tool.clone(),
                schema: lock.description(&p.server, &p.tool)?.to_owned(),
            })
        })
        .collect();
    if !descriptions.is_empty() {
        metadata.insert(
            crate::skill::META_TOOL_DESCRIPTIONS.into(),
            crate::skill::render_pins(&descriptions),
        );
    }
    let frontmatter = Frontmatter {
        name: request.name.clone(),
        description: description.to_owned(),
        license: previous
            .as_ref()
            .and_then(|p| p.frontmatter.license.clone()),
        compatibility: Some(
            "Needs skillet (code mode for MCP) and the MCP servers it calls".into(),
        ),
        metadata,
        allowed_tools: None,
    };
    let function = function_name(&request.name);
    let entry_file = format!("{rel}/{ENTRY}");
    let (entry, input) = if request.params.is_empty() {
        (
            entry_script(&script, &function, description, None),
            record.input.clone(),
        )
    } else {
        if record.input.is_some() {
            return Err(Error::usage(format!(
                "run {} was called with an input: its script declares its input type already",
                record.id
            ))
            .hint("save it without --param")
            .into());
        }
        if has_exports(&script) {
            return Err(Error::usage(format!(
                "run {}'s script has exports of its own; lifting parameters needs a plain script",
                record.id
            ))
            .hint("declare the input instead: `export default async function (input: T) { ... }`, run it with --input, and save that run")
            .into());
        }
        let lifted = crate::inputs::lift(&script, &record.script, &request.params)?;
        let type_name = format!("{}Input", request.name.to_upper_camel_case());
        let entry = entry_script(
            &lifted.source,
            &function,
            description,
            Some((&type_name, &lifted.interface(&type_name))),
        );
        (entry, Some(lifted.input))
    };
    // The input's JSON Schema, from the entry's TypeScript: a type JSON cannot carry is refused
    // here, naming the part.
    let schema = crate::inputs::schema_of(&entry, &entry_file)?;
    if let (Some(schema), Some(input)) = (&schema, &input) {
        crate::inputs::check(schema, input)?;
    }
    // The `.mcp.json` entries of the servers it calls, as written (a file that cannot be read
    // shows them as not configured: the run that is saved reached them all the same).
    let configured = crate::config::mcp::load_raw(&registry.mcp_config_path()).unwrap_or_default();
    let servers: Vec<(String, serde_json::Value)> = configured
        .into_iter()
        .filter(|(name, _)| pins.iter().any(|p| &p.server == name))
        .collect();
    let body = crate::skill::recipe::render(&crate::skill::recipe::Recipe {
        name: &request.name,
        function: &function,
        description,
        pins: &pins,
        record: &record,
        output: &output,
        lock: &lock,
        input_schema: schema.as_ref(),
        example_input: input.as_ref(),
        servers: &servers,
    });
    let recording = Recording {
        version: 1,
        run_id: record.id.clone(),
        script: record.script.clone(),
        input,
        tool_calls: record.tool_calls.iter().map(compact_call).collect(),
        output: output.clone(),
        result: record.result.clone(),
        tokenized: record.tokenized,
    };
    let files: Vec<(String, String)> = vec![
        (
            "SKILL.md".into(),
            validate::render_skill_md(&frontmatter, &body),
        ),
        (ENTRY.into(), entry),
        (
            RECORDING.into(),
            serde_json::to_string_pretty(&recording)? + "\n",
        ),
    ];
    let mut files = files;
    if let Some(schema) = &schema {
        files.push((
            INPUT_SCHEMA.into(),
            serde_json::to_string_pretty(schema)? + "\n",
        ));
    }

    // Build the folder aside, validate it, then swap it in whole.
    let staging = Staging::new(registry, &writer, &request.name)?;
    let staged = staging.new_dir();
    for (rel_path, contents) in &files {
        let path = staged.join(rel_path);
        if let Some(parent) = path.parent() {
            fs_err::create_dir_all(parent)?;
        }
        fs_err::write(path, contents)?;
    }
    // Keep what a person added beside the generated files (references, assets).
    if let Some(prev) = &previous {
        for extra in ["references", "assets"] {
            if prev.dir.join(extra).is_dir() {
                crate::fsutil::copy_dir(&prev.dir.join(extra), &staged.join(extra))?;
            }
        }
    }
    let (_, findings) = validate::validate_dir(&staged);
    let errors: Vec<_> = findings
        .into_iter()
        .filter(|f| f.severity == validate::Severity::Error)
        .collect();
    if !errors.is_empty() {
        return Err(SkillError::Invalid {
            name: request.name.clone(),
            findings: errors,
        }
        .into());
    }
    let changes = changes(previous.as_ref().map(|p| p.dir.as_path()), &staged)?;
    let commit = super::companions::swap_and_commit(
        registry,
        &repo,
        &writer,
        staging,
        "save",
        &request.name,
        &format!("skill({}): save v{version}", request.name),
    )?;
    Ok(SaveReport {
        name: request.name.clone(),
        version,
        commit,
        path: rel,
        changes,
    })
}

/// A recorded call without the text copy of a structured result: MCP servers send
/// `structuredContent` and the same JSON again as text, and the sandbox only ever reads the
/// structured one, so the recording keeps one copy.
fn compact_call(call: &crate::sandbox::ToolCallRecord) -> crate::sandbox::ToolCallRecord {
    let mut call = call.clone();
    if let Some(result) = &mut call.result
        && result.structured_content.is_some()
    {
        result
            .content
            .retain(|b| b.get("type").and_then(|t| t.as_str()) != Some("text"));
    }
    call
}

/// `attach-transcript` -> `attachTranscript`, never a reserved word.
pub(crate) fn function_name(skill: &str) -> String {
    let name = skill.to_lower_camel_case();
    let name = if name.chars().next().is_some_and(|c| c.is_ascii_digit()) {
        format!("skill{name}")
    } else {
        name
    };
    match name.as_str() {
        "delete" | "new" | "default" | "export" | "import" | "function" | "class" | "return"
        | "await" | "yield" | "let" | "static" | "enum" | "this" | "typeof" | "void" | "with"
        | "switch" | "case" | "break" | "continue" | "do" | "while" | "for" | "if" | "else"
        | "try" | "catch" | "finally" | "throw" | "var" | "const" | "in" | "instanceof"
        | "super" | "extends" | "debugger" | "null" | "true" | "false" => format!("{name}Skill"),
        _ => name,
    }
}

/// Whether a script has exports of its own.
fn has_exports(script: &str) -> bool {
    script
        .lines()
        .any(|l| l.trim_start().starts_with("export "))
}

/// The skill's entry point: the run's script with imports re-rooted for `skills/<name>/scripts/`,
/// wrapped in an exported function (and default) when it exports nothing itself. `input` is the
/// name and declaration of the type of the function's one parameter, `input`.
pub(crate) fn entry_script(
    script: &str,
    function: &str,
    description: &str,
    input: Option<(&str, &str)>,
) -> String {
    let rerooted = reroot_imports(script);
    if has_exports(&rerooted) {
        return rerooted;
    }
    let mut imports = String::new();
    let mut body = String::new();
    let mut in_import = false;
    let mut past_imports = false;
    for line in rerooted.lines() {
        let trimmed = line.trim_start();
        let starts_import =
            !past_imports && trimmed.starts_with("import ") && !trimmed.starts_with("import(");
        if in_import || starts_import {
            imports.push_str(line);
            imports.push('\n');
            in_import = !(trimmed.contains(" from ")
                || trimmed.contains("from\"")
                || trimmed.contains("from'")
                || trimmed.ends_with(';')
                || trimmed.starts_with("import \"")
                || trimmed.starts_with("import '"));
            continue;
        }
        if !trimmed.is_empty() && !trimmed.starts_with("//") {
            past_imports = true;
        }
        if !past_imports && trimmed.is_empty() {
            continue;
        }
        if line.is_empty() {
            body.push('\n');
        } else {
            body.push_str("  ");
            body.push_str(line);
            body.push('\n');
        }
    }
    let doc = description.replace("*/", "*\\/");
    let (declaration, parameter) = match input {
        Some((name, declaration)) => (format!("\n{declaration}"), format!("input: {name}")),
        None => (String::new(), String::new()),
    };
    format!(
        "{imports}{declaration}\n/** {doc} */\nexport async function {function}({parameter}): Promise<void> {{\n{}}}\n\nexport default {function};\n",
        body.trim_end_matches('\n').to_owned() + "\n"
    )
}

/// `./servers/...` (from the root) becomes `../../../servers/...` (from `skills/<name>/scripts/`).
fn reroot_imports(script: &str) -> String {
    let mut out = script.to_owned();
    for quote in ['"', '\'', '`'] {
        out = out
            .replace(
                &format!("{quote}./servers/"),
                &format!("{quote}../../../servers/"),
            )
            .replace(
                &format!("{quote}./client.js{quote}"),
                &format!("{quote}../../../client.js{quote}"),
            )
            .replace(&format!("{quote}./skills/"), &format!("{quote}../../"));
    }
    out
}

/// Files added, changed and removed between two folders.
fn changes(old: Option<&Path>, new: &Path) -> std::io::Result<Vec<String>> {
    let mut out = Vec::new();
    let list = |dir: &Path| -> std::io::Result<Vec<(String, Vec<u8>)>> {
        crate::fsutil::files(dir)?
            .into_iter()
            .map(|path| Ok((crate::fsutil::relative(dir, &path), fs_err::read(&path)?)))
            .collect()
    };
    let new_files = list(new)?;
    let old_files = match old {
        Some(dir) => list(dir)?,
        None => Vec::new(),
    };
    for (path, contents) in &new_files {
        match old_files.iter().find(|(p, _)| p == path) {
            None => out.push(format!("+ {path}")),
            Some((_, before)) if before != contents => out.push(format!("~ {path}")),
            Some(_) => {}
        }
    }
    for (path, _) in &old_files {
        if !new_files.iter().any(|(p, _)| p == path) {
            out.push(format!("- {path}"));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripts_are_wrapped_and_re_rooted() {
        let script = "import { getDocument } from \"./servers/docs/index.js\";\nimport {\n  findRecords,\n} from './servers/crm/index.js';\n\nconst doc = await getDocument({ id: \"x\" });\nconsole.log(doc);\n";
        let out = entry_script(script, "attachTranscript", "Attach it", None);
        assert_eq!(
            out,
            "import { getDocument } from \"../../../servers/docs/index.js\";\nimport {\n  findRecords,\n} from '../../../servers/crm/index.js';\n\n/** Attach it */\nexport async function attachTranscript(): Promise<void> {\n  const doc = await getDocument({ id: \"x\" });\n  console.log(doc);\n}\n\nexport default attachTranscript;\n"
        );
        let exported =
            "import { a } from \"./servers/x/index.js\";\nexport default async () => a();\n";
        assert_eq!(
            entry_script(exported, "f", "d", None),
            "import { a } from \"../../../servers/x/index.js\";\nexport default async () => a();\n"
        );
    }

    #[test]
    fn function_names_are_valid() {
        assert_eq!(
            function_name("attach-transcript-to-contact"),
            "attachTranscriptToContact"
        );
        assert_eq!(function_name("delete"), "deleteSkill");
        assert_eq!(function_name("3d-export"), "skill3dExport");
    }
}
