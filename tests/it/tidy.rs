//! Tidy checks on the source tree (rust-analyzer keeps such tests): no module cycles between the
//! crate's top-level modules, and no source file over 1,000 lines. What exists today is listed
//! below with the issue that removes it; the lists may only shrink.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Dependencies that close a cycle between top-level modules, each with the issue that breaks
/// it (none today: keep it so).
const KNOWN_CYCLE_EDGES: &[(&str, &str)] = &[];

/// Files over the limit, with the most lines they may have until they are split.
const KNOWN_LONG_FILES: &[(&str, usize)] = &[];

const MAX_LINES: usize = 1000;

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in fs_err::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Top-level module -> the top-level modules it names (`crate::x`, `use crate::{x, ..}`).
fn module_graph(root: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let src = root.join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let module_of = |path: &Path| -> String {
        let rel = path.strip_prefix(&src).unwrap();
        let first = rel
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_string_lossy();
        first.trim_end_matches(".rs").to_owned()
    };
    let modules: BTreeSet<String> = files
        .iter()
        .map(|p| module_of(p))
        .filter(|m| m != "lib" && m != "main")
        .collect();
    let path_ref = regex::Regex::new(r"crate::([a-z_]+)").unwrap();
    let group = regex::Regex::new(r"crate::\{([^}]*)\}").unwrap();
    let word = regex::Regex::new(r"\b([a-z_]+)\b").unwrap();
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in &files {
        let from = module_of(file);
        if !modules.contains(&from) {
            continue;
        }
        let text = fs_err::read_to_string(file).unwrap();
        let mut named: Vec<String> = path_ref
            .captures_iter(&text)
            .map(|c| c[1].to_owned())
            .collect();
        for g in group.captures_iter(&text) {
            named.extend(word.captures_iter(&g[1]).map(|c| c[1].to_owned()));
        }
        let deps = graph.entry(from.clone()).or_default();
        deps.extend(
            named
                .into_iter()
                .filter(|m| *m != from && modules.contains(m)),
        );
    }
    graph
}

/// A cycle in `graph`, if there is one (depth-first search).
fn find_cycle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        done: &mut BTreeSet<String>,
        path: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        if let Some(start) = path.iter().position(|n| n == node) {
            let mut cycle = path[start..].to_vec();
            cycle.push(node.to_owned());
            return Some(cycle);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_owned());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(cycle) = visit(next, graph, done, path) {
                return Some(cycle);
            }
        }
        path.pop();
        done.insert(node.to_owned());
        None
    }
    let mut done = BTreeSet::new();
    graph
        .keys()
        .find_map(|node| visit(node, graph, &mut done, &mut Vec::new()))
}

#[test]
fn no_module_cycles_beyond_the_known_ones() {
    let mut graph = module_graph(crate::support::manifest_dir());
    for (from, to) in KNOWN_CYCLE_EDGES {
        let removed = graph.get_mut(*from).is_some_and(|deps| deps.remove(*to));
        assert!(
            removed,
            "`{from}` no longer depends on `{to}`: remove the pair from KNOWN_CYCLE_EDGES"
        );
    }
    if let Some(cycle) = find_cycle(&graph) {
        panic!(
            "a module cycle: {}\nhint: move what both need into a module below them (a neutral module every layer may use)",
            cycle.join(" -> ")
        );
    }
}

#[test]
fn no_source_file_over_a_thousand_lines() {
    let root = crate::support::manifest_dir();
    let mut files = Vec::new();
    rust_files(&root.join("src"), &mut files);
    rust_files(&root.join("tests"), &mut files);
    let mut problems = Vec::new();
    for file in files {
        let rel = file
            .strip_prefix(root)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        let lines = fs_err::read_to_string(&file).unwrap().lines().count();
        let known = KNOWN_LONG_FILES.iter().find(|(p, _)| *p == rel);
        match known {
            None if lines > MAX_LINES => problems.push(format!(
                "{rel} has {lines} lines (at most {MAX_LINES}): split it by concern"
            )),
            Some((_, most)) if lines > *most => problems.push(format!(
                "{rel} has {lines} lines, more than the {most} it had: split it rather than grow it"
            )),
            Some((_, _)) if lines <= MAX_LINES => problems.push(format!(
                "{rel} has {lines} lines now: remove it from KNOWN_LONG_FILES"
            )),
            _ => {}
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
