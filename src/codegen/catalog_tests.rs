//! Whole-tree tests over the real `tools/list` catalogs in `tests/fixtures/catalogs`.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Instant;

use super::{GeneratedFile, ServerApi, generate_root, generate_server};
use crate::tool::{ToolSpec, parse_tools_list};

/// `(server name, tools)` for every catalog, sorted by name.
fn catalogs() -> Vec<(String, Vec<ToolSpec>)> {
    let dir = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/catalogs"
    ));
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("catalog directory exists")
        .map(|entry| entry.expect("readable directory entry").path())
        .filter(|path| path.extension().is_some_and(|e| e == "json"))
        .collect();
    paths.sort();
    assert!(!paths.is_empty(), "no catalogs in {}", dir.display());
    paths
        .into_iter()
        .map(|path| {
            let name = path
                .file_stem()
                .and_then(|s| s.to_str())
                .expect("UTF-8 file name")
                .to_owned();
            let text = std::fs::read_to_string(&path).expect("readable catalog");
            let tools = parse_tools_list(&text).expect("valid catalog");
            (name, tools)
        })
        .collect()
}

fn generate(server: &str, tools: &[ToolSpec]) -> ServerApi {
    generate_server(server, tools, &BTreeMap::new()).expect("generates")
}

fn concatenated(files: &[GeneratedFile]) -> String {
    files
        .iter()
        .map(|f| format!("// ==== {} ====\n{}", f.path, f.contents))
        .collect()
}

#[test]
fn catalog_snapshots() {
    for (name, tools) in catalogs() {
        let api = generate(&name, &tools);
        insta::assert_snapshot!(format!("catalog_{name}"), concatenated(&api.files));
    }
}

#[test]
fn root_snapshot() {
    let mut servers: Vec<ServerApi> = catalogs()
        .iter()
        .map(|(name, tools)| generate(name, tools))
        .collect();
    insta::assert_snapshot!("root", concatenated(&generate_root(&mut servers)));
}

#[test]
fn generation_is_deterministic() {
    for (name, tools) in catalogs() {
        let mut shuffled = tools.clone();
        shuffled.reverse();
        assert_eq!(
            generate(&name, &tools),
            generate(&name, &shuffled),
            "{name}"
        );
    }
}

#[test]
fn lock_names_round_trip() {
    for (name, tools) in catalogs() {
        let first = generate(&name, &tools);
        let previous = first
            .tools
            .iter()
            .map(|t| (t.tool.clone(), t.function.clone()))
            .collect();
        let again = generate_server(&name, &tools, &previous).expect("generates");
        assert_eq!(first, again, "{name}");
    }
}

/// Generates every catalog replicated to 500+ tools (about 25 ms in release builds, 250 ms in
/// debug ones); the bound only catches pathological slowdowns.
#[test]
fn generating_many_tools_is_fast() {
    let catalogs = catalogs();
    let per_copy: usize = catalogs.iter().map(|(_, tools)| tools.len()).sum();
    let copies = 500_usize.div_ceil(per_copy);
    let started = Instant::now();
    let mut servers = Vec::new();
    for copy in 0..copies {
        for (name, tools) in &catalogs {
            servers.push(generate(&format!("{name}-{copy}"), tools));
        }
    }
    let root = generate_root(&mut servers);
    let elapsed = started.elapsed();
    let tools: usize = servers.iter().map(|s| s.tools.len()).sum();
    let bytes: usize = servers
        .iter()
        .flat_map(|s| &s.files)
        .chain(&root)
        .map(|f| f.contents.len())
        .sum();
    println!("generated {tools} tools ({bytes} bytes) in {elapsed:?}");
    assert!(tools >= 500);
    assert!(elapsed.as_secs() < 10, "{elapsed:?}");
}
