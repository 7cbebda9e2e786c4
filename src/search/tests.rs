// The test corpus is test data, kept out of the library (see its module documentation).
#[path = "../../tests/data/search_corpus/mod.rs"]
#[allow(unreachable_pub)]
mod corpus;

use super::*;
use corpus::{corpus, evaluate, huge_queries};

fn doc(name: &str, description: &str) -> SearchDoc {
    SearchDoc {
        kind: DocKind::Skill,
        name: name.into(),
        description: description.into(),
        body: format!("Body of {name}. It explains the steps in detail."),
        tags: vec!["test".into()],
        tools: vec!["files.write".into()],
        identifiers: vec![],
        version: Some("1.0.0".into()),
        status: None,
    }
}

fn segment_files(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out: Vec<_> = fs_err::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            !name.starts_with('.') && name != "meta.json" && name != "LAYOUT_VERSION"
        })
        .collect();
    out.sort();
    out
}

#[test]
fn sync_counts_add_update_remove() {
    let mut index = SearchIndex::in_memory().unwrap();
    let mut docs = vec![doc("a", "first"), doc("b", "second"), doc("c", "third")];
    let r = index.sync(&docs).unwrap();
    assert_eq!(
        r,
        SyncReport {
            added: 3,
            updated: 0,
            removed: 0,
            unchanged: 0
        }
    );
    assert_eq!(index.len(), 3);

    docs[1].description = "second, changed".into();
    docs.remove(2);
    docs.push(doc("d", "fourth"));
    let r = index.sync(&docs).unwrap();
    assert_eq!(
        r,
        SyncReport {
            added: 1,
            updated: 1,
            removed: 1,
            unchanged: 1
        }
    );
    assert_eq!(index.len(), 3);
    let hits = index.search("changed", 10).unwrap();
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].name, "b");
    assert!(index.search("third", 10).unwrap().is_empty());
}

/// `apply` of what the index already holds, or removal of what it does not, writes nothing;
/// a changed document is written.
#[test]
fn apply_writes_only_what_changed() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("skills");
    let mut docs = vec![doc("a", "first"), doc("b", "second")];
    let mut index = SearchIndex::open(&dir).unwrap();
    index.apply(&docs, &[]).unwrap();
    let meta_before = fs_err::read(dir.join("meta.json")).unwrap();
    index.apply(&docs, &["gone".to_owned()]).unwrap();
    assert_eq!(fs_err::read(dir.join("meta.json")).unwrap(), meta_before);
    docs[1].description = "second, changed".into();
    index.apply(&docs, &[]).unwrap();
    assert_ne!(fs_err::read(dir.join("meta.json")).unwrap(), meta_before);
    assert_eq!(index.search("changed", 5).unwrap()[0].name, "b");
    assert_eq!(index.len(), 2);
}

#[test]
fn unchanged_sync_writes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("skills");
    let docs = vec![doc("a", "first"), doc("b", "second")];
    {
        let mut index = SearchIndex::open(&dir).unwrap();
        index.sync(&docs).unwrap();
    }
    let meta_before = fs_err::read(dir.join("meta.json")).unwrap();
    let files_before = segment_files(&dir);

    let mut index = SearchIndex::open(&dir).unwrap();
    assert!(!index.was_rebuilt());
    assert_eq!(index.len(), 2);
    let r = index.sync(&docs).unwrap();
    assert!(r.is_noop());
    assert_eq!(r.unchanged, 2);
    drop(index);
    assert_eq!(fs_err::read(dir.join("meta.json")).unwrap(), meta_before);
    assert_eq!(segment_files(&dir), files_before);
}

#[test]
fn reopened_index_keeps_documents() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("skills");
    {
        let mut index = SearchIndex::open(&dir).unwrap();
        assert!(index.is_empty());
        index
            .sync(&[doc("report-builder", "Builds reports")])
            .unwrap();
    }
    let index = SearchIndex::open(&dir).unwrap();
    assert_eq!(index.len(), 1);
    assert_eq!(
        index.search("reports", 5).unwrap()[0].name,
        "report-builder"
    );
}

fn assert_rebuilds(damage: impl FnOnce(&std::path::Path)) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("skills");
    let docs = vec![doc("a", "first"), doc("b", "second")];
    {
        let mut index = SearchIndex::open(&dir).unwrap();
        index.sync(&docs).unwrap();
    }
    damage(&dir);
    let mut index = SearchIndex::open(&dir).unwrap();
    assert!(index.was_rebuilt());
    assert_eq!(index.len(), 0);
    let r = index.sync(&docs).unwrap();
    assert_eq!(r.added, 2);
    assert_eq!(index.search("second", 5).unwrap()[0].name, "b");
}

#[test]
fn garbage_meta_json_is_rebuilt() {
    assert_rebuilds(|dir| fs_err::write(dir.join("meta.json"), "{ not json").unwrap());
}

#[test]
fn deleted_segment_file_is_rebuilt() {
    assert_rebuilds(|dir| {
        let files = segment_files(dir);
        assert!(!files.is_empty());
        for f in files
            .iter()
            .filter(|f| f.extension().is_some_and(|e| e == "store"))
        {
            fs_err::remove_file(f).unwrap();
        }
    });
}

#[test]
fn truncated_segment_files_are_rebuilt() {
    assert_rebuilds(|dir| {
        for f in segment_files(dir) {
            fs_err::write(&f, b"garbage").unwrap();
        }
    });
}

#[test]
fn old_layout_is_rebuilt() {
    assert_rebuilds(|dir| fs_err::write(dir.join("LAYOUT_VERSION"), "0\n").unwrap());
}

#[test]
fn foreign_files_in_the_index_folder_are_rebuilt() {
    assert_rebuilds(|dir| {
        for f in fs_err::read_dir(dir).unwrap() {
            let path = f.unwrap().path();
            if path.is_dir() {
                fs_err::remove_dir_all(&path).unwrap();
            } else {
                fs_err::remove_file(&path).unwrap();
            }
        }
        fs_err::write(dir.join("notes.txt"), "not an index").unwrap();
    });
}

#[test]
fn unreadable_meta_json_is_rebuilt() {
    // A folder where a file should be cannot be read, even by root.
    assert_rebuilds(|dir| {
        fs_err::remove_file(dir.join("meta.json")).unwrap();
        fs_err::create_dir(dir.join("meta.json")).unwrap();
    });
}

#[test]
fn unreadable_layout_file_is_rebuilt() {
    assert_rebuilds(|dir| {
        fs_err::remove_file(dir.join("LAYOUT_VERSION")).unwrap();
        fs_err::create_dir(dir.join("LAYOUT_VERSION")).unwrap();
    });
}

#[test]
fn index_folder_that_is_a_file_is_rebuilt() {
    assert_rebuilds(|dir| {
        fs_err::remove_dir_all(dir).unwrap();
        fs_err::write(dir, "garbage").unwrap();
    });
}

#[test]
fn index_folder_that_is_a_dangling_link_is_rebuilt() {
    assert_rebuilds(|dir| {
        fs_err::remove_dir_all(dir).unwrap();
        std::os::unix::fs::symlink(dir.with_extension("nowhere"), dir).unwrap();
    });
}

#[test]
fn parent_folder_that_is_a_file_is_rebuilt() {
    let tmp = tempfile::tempdir().unwrap();
    let parent = tmp.path().join("index");
    fs_err::write(&parent, "garbage").unwrap();
    let mut index = SearchIndex::open(&parent.join("skills")).unwrap();
    assert!(index.was_rebuilt());
    index.sync(&[doc("a", "first")]).unwrap();
    assert_eq!(index.search("first", 5).unwrap()[0].name, "a");
    assert!(parent.is_dir());
}

#[test]
fn linked_index_folder_keeps_its_target() {
    let tmp = tempfile::tempdir().unwrap();
    let target = tmp.path().join("elsewhere");
    fs_err::create_dir(&target).unwrap();
    fs_err::write(target.join("garbage"), "x").unwrap();
    let dir = tmp.path().join("skills");
    std::os::unix::fs::symlink(&target, &dir).unwrap();
    let mut index = SearchIndex::open(&dir).unwrap();
    index.sync(&[doc("a", "first")]).unwrap();
    assert_eq!(index.search("first", 5).unwrap()[0].name, "a");
    // The link was replaced by a folder; what it pointed to is untouched.
    assert!(target.join("garbage").exists());
}

#[test]
fn refuses_to_wipe_a_registry_or_repository() {
    for marker in ["skillet.toml", ".git"] {
        let tmp = tempfile::tempdir().unwrap();
        fs_err::write(tmp.path().join(marker), "mine").unwrap();
        fs_err::write(tmp.path().join("notes.txt"), "mine").unwrap();
        let err = SearchIndex::open(tmp.path()).unwrap_err();
        assert!(matches!(err, SearchError::NotAnIndex(_)), "{err}");
        assert!(!crate::error::Diagnose::hints(&err).is_empty(), "{err}");
        assert!(tmp.path().join("notes.txt").exists());
    }
}

#[test]
fn nasty_queries_never_error() {
    let long_word = "x".repeat(10_000);
    let many_words = "csv ".repeat(500);
    let mut index = SearchIndex::in_memory().unwrap();
    index.sync(&corpus(100)).unwrap();
    let nasty = [
        "",
        " ",
        "\"",
        "\"unterminated",
        "title:",
        "name:foo",
        "(",
        ")",
        "((a)",
        "AND",
        "a AND",
        "OR NOT",
        "-",
        "+",
        "*",
        "foo*",
        "~",
        "foo~2",
        "^3",
        "[a TO b]",
        "{}",
        "\\",
        "🎉🔥",
        "export 🎉 csv",
        "\u{0}",
        "ü",
        "日本語のクエリ",
        "a:b:c",
        "'; DROP TABLE skills; --",
        "IN [x y]",
        &long_word,
        &many_words,
        "<script>",
    ];
    for q in nasty {
        let hits = index.search(q, 10);
        assert!(hits.is_ok(), "query {q:?}: {:?}", hits.err());
    }
    assert!(
        !index
            .search("title:\"export\" AND (csv)", 10)
            .unwrap()
            .is_empty()
    );
    assert!(index.search("csv", 0).unwrap().is_empty());
}

/// 100 KB queries of every shape: each is answered, and the cut is told.
#[test]
fn huge_queries_are_cut_and_still_answered() {
    let mut index = SearchIndex::in_memory().unwrap();
    index.sync(&corpus(200)).unwrap();
    let shapes = huge_queries(100 * 1024);
    for (what, q) in &shapes {
        assert!(q.len() >= 100 * 1024, "{what}");
        let hits = index.search(q, 10);
        assert!(hits.is_ok(), "{what}: {:?}", hits.err());
        let notice = query_notice(q).unwrap_or_else(|| panic!("{what}: no notice"));
        assert!(
            notice.starts_with("query cut to its first "),
            "{what}: {notice}"
        );
        assert!(
            notice.contains(&format!("({} bytes given)", q.len())),
            "{what}: {notice}"
        );
    }
    // What is kept still finds things: the words up front decide.
    let head = "export sheet as csv";
    let q = format!("{head} {}", huge_queries(100 * 1024)[0].1);
    assert!(query_notice(&q).unwrap().contains("first 32 words"));
    assert_eq!(
        index.search(&q, 1).unwrap()[0].name,
        index.search(head, 1).unwrap()[0].name
    );
    assert!(query_notice("export sheet as csv").is_none());
}

/// Typo tolerance is given to the first words that need it, up to the cap,
/// and not to words too long to be worth an automaton.
#[test]
fn fuzzy_matching_is_bounded() {
    let mut index = SearchIndex::in_memory().unwrap();
    index.sync(&corpus(300)).unwrap();
    let fillers: Vec<String> = (0..MAX_FUZZY_WORDS)
        .map(|i| format!("qqxj{}", "kz".repeat(i + 1)))
        .collect();
    // The typo comes first: fuzzed.
    let q = format!("shedule {}", fillers.join(" "));
    let hits = index.search(&q, 5).unwrap();
    assert!(hits[0].name.contains("schedule"), "{hits:?}");
    // The typo comes after the cap's worth of unmatched words: not fuzzed.
    let q = format!("{} shedule", fillers.join(" "));
    assert!(index.search(&q, 5).unwrap().is_empty());
}

#[test]
fn camel_case_identifier_found() {
    let mut index = SearchIndex::in_memory().unwrap();
    let mut d = doc("spreadsheet-tool", "Works with spreadsheets");
    d.identifiers = vec!["saveSheetAsCsv".into()];
    index.sync(&[d, doc("other", "Unrelated")]).unwrap();
    for q in [
        "save sheet as csv",
        "saveSheetAsCsv",
        "save_sheet_as_csv",
        "csv",
    ] {
        let hits = index.search(q, 5).unwrap();
        assert_eq!(
            hits.first().map(|h| h.name.as_str()),
            Some("spreadsheet-tool"),
            "{q}"
        );
    }
}

#[test]
fn typo_found() {
    let mut index = SearchIndex::in_memory().unwrap();
    index.sync(&corpus(300)).unwrap();
    let hits = index.search("exprot shet to csv", 5).unwrap();
    assert_eq!(hits[0].name, "export-sheet-as-csv");
    let hits = index.search("shedule meeting", 5).unwrap();
    assert_eq!(hits[0].name, "schedule-meeting");
}

#[test]
fn hits_carry_metadata_and_marked_snippet() {
    let mut index = SearchIndex::in_memory().unwrap();
    index.sync(&corpus(50)).unwrap();
    let hits = index.search("comma separated values", 3).unwrap();
    let top = &hits[0];
    assert_eq!(top.name, "export-sheet-as-csv");
    assert_eq!(top.kind, DocKind::Skill);
    assert_eq!(top.version.as_deref(), Some("1.0.0"));
    assert_eq!(top.status.as_deref(), Some("reviewed"));
    assert!(top.score > 0.0);
    assert!(top.snippet.contains("**comma**"), "{}", top.snippet);
}

#[test]
fn corpus_is_deterministic_and_sized() {
    let a = corpus(500);
    assert_eq!(a.len(), 500);
    assert_eq!(a, corpus(500));
    let names: std::collections::HashSet<_> = a.iter().map(|d| &d.name).collect();
    assert_eq!(names.len(), a.len());
    for d in &a {
        let words = d.body.split_whitespace().count();
        assert!((150..=450).contains(&words), "{}: {words} words", d.name);
    }
    assert!(corpus::labelled_queries().len() >= 60);
}

#[test]
fn relevance_on_labelled_set() {
    let mut index = SearchIndex::in_memory().unwrap();
    index.sync(&corpus(1_000)).unwrap();
    let r = evaluate(&index);
    println!(
        "relevance over 1,000 docs: MRR@10 {:.3}, recall@5 {:.3} ({} queries)",
        r.mrr_at_10, r.recall_at_5, r.queries
    );
    for (q, rank, top) in &r.misses {
        println!("  miss: {q:?} rank {rank:?}, top {top:?}");
    }
    assert!(r.mrr_at_10 >= 0.8, "MRR@10 {}", r.mrr_at_10);
    assert!(r.recall_at_5 >= 0.9, "recall@5 {}", r.recall_at_5);
}

fn names(hits: &[Hit]) -> Vec<&str> {
    hits.iter().map(|h| h.name.as_str()).collect()
}

/// A word finds names through its related words, a stop word through them only, and a name
/// the query says all of comes before longer ones.
#[test]
fn related_words_find_names_that_say_it_otherwise() {
    let mut index = SearchIndex::in_memory().unwrap();
    index
        .sync(&[
            doc("jira.get_issue", "Details of one item."),
            doc("jira.get_issue_watchers", "Who follows one item."),
            doc("jira.list_projects", "Every project."),
            doc("notes.ticket_printer", "Prints a ticket."),
        ])
        .unwrap();
    let related = |word: &str| match word {
        "ticket" => vec!["issue"],
        "look" => vec!["get"],
        "which" => vec!["list"],
        _ => Vec::new(),
    };
    let hits = index
        .search_related("look up a ticket", 3, &related)
        .unwrap();
    assert_eq!(names(&hits)[0], "jira.get_issue", "{hits:?}");
    assert!(names(&hits).contains(&"notes.ticket_printer"), "{hits:?}");
    // Without related words, only the literal match is found.
    let plain = index.search("look up a ticket", 3).unwrap();
    assert_eq!(names(&plain), ["notes.ticket_printer"]);
    // "which" is a stop word: it finds `list_*` through its related word, nothing by itself.
    let hits = index.search_related("which projects", 3, &related).unwrap();
    assert_eq!(names(&hits)[0], "jira.list_projects");
    let hits = index.search_related("which", 3, &|_| Vec::new()).unwrap();
    assert!(hits.is_empty(), "{hits:?}");
}
