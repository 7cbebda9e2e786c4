use std::path::Path;

use super::*;

/// A registry holding the example skills `names` from this repository's skills/.
fn registry_with(tmp: &Path, names: &[&str]) -> Registry {
    crate::registry::init(tmp, false).unwrap();
    for name in names {
        add_example(tmp, name);
    }
    Registry::open(tmp).unwrap()
}

fn add_example(root: &Path, name: &str) {
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("skills");
    crate::fsutil::copy_dir(&examples.join(name), &root.join("skills").join(name)).unwrap();
}

/// Names found for `query` by a fresh process's index (opened anew) at `now`.
fn names(registry: &Registry, query: &str, now: i64) -> Vec<String> {
    held_names(
        &mut SkillIndex::open(registry).unwrap(),
        registry,
        query,
        now,
    )
}

/// The names an index held open (as serve holds it) finds for `query` at `now`.
fn held_names(held: &mut SkillIndex, registry: &Registry, query: &str, now: i64) -> Vec<String> {
    held.search_at(registry, query, 5, now)
        .unwrap()
        .into_iter()
        .map(|h| h.name)
        .collect()
}

#[test]
fn folders_added_and_removed_show_at_once_edits_in_place_within_the_sweep_period() {
    let tmp = tempfile::tempdir().unwrap();
    let registry = registry_with(tmp.path(), &["sum-and-echo"]);
    // An hour on: nothing looks recently changed, so stamps are trusted.
    let later = unix_now() + 3600;
    assert_eq!(names(&registry, "sum echo", later), ["sum-and-echo"]);
    let index = registry.cache_dir().join("index");
    assert!(index.join("skills.state").is_file());
    assert!(index.join("skills.folders").is_file());

    // A new folder changes skills/: the next search reads it.
    add_example(tmp.path(), "busiest-accounts");
    assert_eq!(
        names(&registry, "busiest accounts", later),
        ["busiest-accounts"]
    );

    // An edit in place inside a folder (no rename, no git) is seen at the next sweep.
    edit_in_place(&registry, "busiest-accounts", "Zanzibar");
    assert!(
        names(&registry, "zanzibar", later).is_empty(),
        "stale, as documented"
    );
    let swept = later + SWEEP_EVERY.as_secs() as i64;
    assert_eq!(names(&registry, "zanzibar", swept), ["busiest-accounts"]);

    // A removed folder changes skills/ again.
    fs_err::remove_dir_all(registry.skills_dir().join("busiest-accounts")).unwrap();
    assert!(names(&registry, "busiest accounts", swept).is_empty());

    // Garbled caches mean "check everything".
    add_example(tmp.path(), "busiest-accounts");
    assert_eq!(
        names(&registry, "busiest accounts", swept),
        ["busiest-accounts"]
    );
    fs_err::remove_dir_all(registry.skills_dir().join("busiest-accounts")).unwrap();
    fs_err::write(index.join("skills.folders"), "garbage").unwrap();
    assert!(names(&registry, "busiest accounts", swept).is_empty());
    assert_eq!(names(&registry, "sum echo", swept), ["sum-and-echo"]);
}

/// Adds the sentence `word.` to a SKILL.md, in place.
fn add_word(md: &Path, word: &str) {
    let text = fs_err::read_to_string(md).unwrap();
    fs_err::write(
        md,
        text.replacen("\n---\n", &format!("\n---\n\n{word}.\n"), 1),
    )
    .unwrap();
}

/// Swaps `skills/<name>` for a copy that says `word`, by renames.
fn swap_by_hand(registry: &Registry, name: &str, word: &str) {
    let dir = registry.skills_dir().join(name);
    let staged = registry.cache_dir().join("staged");
    crate::fsutil::copy_dir(&dir, &staged).unwrap();
    add_word(&staged.join("SKILL.md"), word);
    fs_err::rename(&dir, registry.cache_dir().join("old")).unwrap();
    fs_err::rename(&staged, &dir).unwrap();
    fs_err::remove_dir_all(registry.cache_dir().join("old")).unwrap();
}

/// Writes `skills/<name>` the way skillet's writers do: swapped in by renames, then logged.
fn logged_write(registry: &Registry, name: &str, word: &str) {
    let before = Outline::of(registry);
    swap_by_hand(registry, name, word);
    changes::record(registry, name, before);
}

#[test]
fn skillet_writes_are_read_alone_and_anything_else_still_sweeps() {
    let tmp = tempfile::tempdir().unwrap();
    let registry = registry_with(tmp.path(), &["sum-and-echo", "busiest-accounts"]);
    let later = unix_now() + 3600;
    assert_eq!(names(&registry, "sum echo", later), ["sum-and-echo"]);

    // A hand edit in place, then a skillet write of another skill: the write is read at
    // once, and alone (the edit waits for the sweep, as documented).
    edit_in_place(&registry, "sum-and-echo", "Zanzibar");
    logged_write(&registry, "busiest-accounts", "Quokka");
    assert_eq!(names(&registry, "quokka", later), ["busiest-accounts"]);
    assert!(names(&registry, "zanzibar", later).is_empty(), "not swept");
    // Two writes in a row chain.
    logged_write(&registry, "busiest-accounts", "Wombat");
    logged_write(&registry, "sum-and-echo", "Numbat");
    assert_eq!(names(&registry, "wombat", later), ["busiest-accounts"]);
    assert_eq!(names(&registry, "numbat", later), ["sum-and-echo"]);
    assert_eq!(
        names(&registry, "zanzibar", later),
        ["sum-and-echo"],
        "reread"
    );

    // A folder added by hand beside a logged write: the log does not account for it, so
    // every folder is looked at (a `stat` of each alone: `skills/` alone changed).
    logged_write(&registry, "busiest-accounts", "Dugong");
    add_example(tmp.path(), "meeting-action-items");
    let found = names(&registry, "meeting action items", later);
    let outline_saw_it = found.first().map(String::as_str) == Some("meeting-action-items");
    // (Only a timestamp tick can hide the added folder from `skills/`' stamp; then it
    // shows at the sweep.)
    if !outline_saw_it {
        let swept = later + SWEEP_EVERY.as_secs() as i64;
        assert_eq!(
            names(&registry, "meeting action items", swept)[0],
            "meeting-action-items"
        );
    }
    assert_eq!(names(&registry, "dugong", later + 60), ["busiest-accounts"]);
}

#[test]
fn a_folder_swapped_in_by_hand_is_found_by_a_stat_of_each_folder() {
    let tmp = tempfile::tempdir().unwrap();
    let registry = registry_with(tmp.path(), &["sum-and-echo", "busiest-accounts"]);
    let later = unix_now() + 3600;
    assert_eq!(names(&registry, "sum echo", later), ["sum-and-echo"]);
    let swept_at = |registry: &Registry| stored_state(registry).swept_at;
    let before = swept_at(&registry);
    // An edit in place in one folder, and another folder swapped in by hand (renames).
    edit_in_place(&registry, "sum-and-echo", "Zanzibar");
    swap_by_hand(&registry, "busiest-accounts", "Quokka");
    // The swap shows at once, without a sweep; the edit in place waits for one.
    assert_eq!(names(&registry, "quokka", later), ["busiest-accounts"]);
    assert!(names(&registry, "zanzibar", later).is_empty(), "not swept");
    assert_eq!(swept_at(&registry), before);
    // A skillet write, then a folder swapped in by hand: both read, still no sweep.
    logged_write(&registry, "sum-and-echo", "Numbat");
    swap_by_hand(&registry, "busiest-accounts", "Dugong");
    assert_eq!(names(&registry, "dugong", later), ["busiest-accounts"]);
    assert_eq!(names(&registry, "numbat", later), ["sum-and-echo"]);
    assert_eq!(swept_at(&registry), before);
    // A folder removed by hand, and one added.
    fs_err::remove_dir_all(registry.skills_dir().join("busiest-accounts")).unwrap();
    add_example(tmp.path(), "meeting-action-items");
    let later = later + 1;
    assert!(names(&registry, "busiest accounts", later).is_empty());
    assert_eq!(
        names(&registry, "meeting action items", later)[0],
        "meeting-action-items"
    );
    assert_eq!(swept_at(&registry), before);
    let swept = later + SWEEP_EVERY.as_secs() as i64;
    assert_eq!(names(&registry, "zanzibar", swept), ["sum-and-echo"]);
}

#[test]
fn a_held_index_follows_changes_without_reopening() {
    let tmp = tempfile::tempdir().unwrap();
    let registry = registry_with(tmp.path(), &["sum-and-echo"]);
    let later = unix_now() + 3600;
    let mut held = SkillIndex::open(&registry).unwrap();
    let mut found = |query: &str, now: i64| -> Vec<String> {
        held.search_at(&registry, query, 5, now)
            .unwrap()
            .into_iter()
            .map(|h| h.name)
            .collect()
    };
    assert_eq!(found("sum echo", later), ["sum-and-echo"]);
    add_example(tmp.path(), "busiest-accounts");
    assert_eq!(found("busiest accounts", later), ["busiest-accounts"]);
    // An invalid skill leaves the index.
    fs_err::write(
        registry.skills_dir().join("busiest-accounts/SKILL.md"),
        "no frontmatter",
    )
    .unwrap();
    assert!(found("busiest accounts", later + 10).is_empty());
}

/// An index held open and watching `skills/`, after its first query (at `now`) found
/// sum-and-echo.
fn watched(registry: &Registry, now: i64) -> SkillIndex {
    let mut held = SkillIndex::open(registry).unwrap();
    held.watch();
    assert_eq!(
        held_names(&mut held, registry, "sum echo", now)[0],
        "sum-and-echo"
    );
    held
}

#[test]
fn a_watched_index_sees_hand_changes_at_the_next_query_without_a_sweep() {
    let tmp = tempfile::tempdir().unwrap();
    let registry = registry_with(tmp.path(), &["sum-and-echo", "busiest-accounts"]);
    // An hour on, and the same `now` for every query: no sweep is due after the first.
    let later = unix_now() + 3600;
    let mut held = watched(&registry, later);
    let mut found = |query: &str| held_names(&mut held, &registry, query, later);

    // An edit in place, which an unwatched index sees only at the next sweep.
    let skill = registry.skills_dir().join("busiest-accounts");
    edit_in_place(&registry, "busiest-accounts", "Zanzibar");
    assert_eq!(found("zanzibar"), ["busiest-accounts"]);

    // A folder made after the watch began is watched too: an edit in place inside it.
    fs_err::remove_dir_all(skill.join("scripts")).unwrap();
    fs_err::create_dir_all(skill.join("scripts")).unwrap();
    fs_err::write(skill.join("scripts/index.ts"), "const quokka = 1;\n").unwrap();
    assert_eq!(found("quokka"), ["busiest-accounts"]);
    let mut file = fs_err::OpenOptions::new()
        .append(true)
        .open(skill.join("scripts/index.ts"))
        .unwrap();
    std::io::Write::write_all(&mut file, b"const wombat = 2;\n").unwrap();
    drop(file);
    assert_eq!(found("wombat"), ["busiest-accounts"]);

    // Folders added, renamed and removed by hand.
    add_example(tmp.path(), "meeting-action-items");
    assert_eq!(found("meeting action items")[0], "meeting-action-items");
    fs_err::rename(&skill, registry.skills_dir().join("renamed")).unwrap();
    let renamed = registry.skills_dir().join("renamed/SKILL.md");
    let text = fs_err::read_to_string(&renamed).unwrap();
    fs_err::write(
        &renamed,
        text.replace("name: busiest-accounts", "name: renamed"),
    )
    .unwrap();
    assert_eq!(found("zanzibar"), ["renamed"]);
    fs_err::remove_dir_all(registry.skills_dir().join("renamed")).unwrap();
    assert!(found("zanzibar").is_empty());
    assert!(held.is_watching());
}

/// The state a fresh process reads (`skills.state`).
fn stored_state(registry: &Registry) -> State {
    let bytes = fs_err::read(registry.cache_dir().join("index/skills.state")).unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

fn edit_in_place(registry: &Registry, name: &str, word: &str) {
    add_word(&registry.skills_dir().join(name).join("SKILL.md"), word);
}

#[test]
fn with_a_keeper_fresh_processes_see_hand_edits_in_place_without_a_sweep() {
    use super::super::keeper::Keeper;
    use super::super::watch::test_limits::{self, Limits};
    let tmp = tempfile::tempdir().unwrap();
    let registry = registry_with(tmp.path(), &["sum-and-echo", "busiest-accounts"]);
    let later = unix_now() + 3600;
    assert_eq!(names(&registry, "sum echo", later)[0], "sum-and-echo");
    assert_eq!(stored_state(&registry).kept, None, "no keeper");

    // An edit made before the keeper watched: the first query after the keeper started
    // checks every folder once (its log is new to the state).
    edit_in_place(&registry, "sum-and-echo", "Zanzibar");
    let keeper = Keeper::start(&registry).unwrap();
    assert_eq!(names(&registry, "zanzibar", later + 1), ["sum-and-echo"]);
    let state = stored_state(&registry);
    assert_eq!(state.swept_at, later + 1, "swept once");
    assert_eq!(state.kept.as_ref().unwrap().generation, keeper.generation());

    // An edit in place while it keeps: seen by a fresh process as soon as it is logged,
    // with no sweep (none is due at `later + 1` anyway: the control below shows that
    // without a keeper the edit waits for the sweep).
    edit_in_place(&registry, "busiest-accounts", "Quokka");
    super::super::keeper::tests::wait_until("a fresh search finds the edit", || {
        names(&registry, "quokka", later + 1) == ["busiest-accounts"]
    });
    let state = stored_state(&registry);
    assert_eq!(state.swept_at, later + 1, "not swept");
    // No sweep is due while it keeps, however long since the last one.
    edit_in_place(&registry, "busiest-accounts", "Wombat");
    super::super::keeper::tests::wait_until("a fresh search finds the next edit", || {
        names(&registry, "wombat", later + 600) == ["busiest-accounts"]
    });
    assert_eq!(
        stored_state(&registry).swept_at,
        later + 1,
        "still not swept"
    );

    // The keeper lost track (an overflow): its new generation means one sweep.
    test_limits::set(
        &registry.skills_dir(),
        Limits {
            watches: usize::MAX,
            events: 0,
        },
    );
    // (An edit in place: the outline stays as it was.)
    edit_in_place(&registry, "sum-and-echo", "Platypus");
    super::super::keeper::tests::wait_until("a new generation", || {
        Log::open(&registry)
            .is_some_and(|log| log.start().unwrap().generation != keeper.generation())
    });
    test_limits::clear(&registry.skills_dir());
    assert_eq!(names(&registry, "platypus", later + 601), ["sum-and-echo"]);
    assert_eq!(stored_state(&registry).swept_at, later + 601, "swept");

    // The keeper gone: one more sweep, then the sweeps every SWEEP_EVERY as before.
    keeper.stop().unwrap();
    edit_in_place(&registry, "busiest-accounts", "Dugong");
    assert_eq!(
        names(&registry, "dugong", later + 602),
        ["busiest-accounts"]
    );
    let state = stored_state(&registry);
    assert_eq!((state.swept_at, state.kept), (later + 602, None));
    edit_in_place(&registry, "busiest-accounts", "Numbat");
    assert!(names(&registry, "numbat", later + 603).is_empty(), "stale");
}

#[test]
fn a_watched_index_that_overflows_watches_anew_and_sweeps() {
    use super::super::watch::test_limits::{self, Limits};
    let tmp = tempfile::tempdir().unwrap();
    let registry = registry_with(tmp.path(), &["sum-and-echo", "busiest-accounts"]);
    let later = unix_now() + 3600;
    let mut held = watched(&registry, later);
    assert!(held.is_watching());

    // More events than the queue holds (here: any): the index cannot know what changed.
    test_limits::set(
        &registry.skills_dir(),
        Limits {
            watches: usize::MAX,
            events: 0,
        },
    );
    edit_in_place(&registry, "busiest-accounts", "Zanzibar");
    assert_eq!(
        held_names(&mut held, &registry, "zanzibar", later + 1),
        ["busiest-accounts"]
    );
    assert_eq!(held.state.as_ref().unwrap().swept_at, later + 1, "swept");
    assert!(held.is_watching(), "watching anew");
    test_limits::clear(&registry.skills_dir());
    edit_in_place(&registry, "busiest-accounts", "Quokka");
    assert_eq!(
        held_names(&mut held, &registry, "quokka", later + 2),
        ["busiest-accounts"]
    );
    assert_eq!(
        held.state.as_ref().unwrap().swept_at,
        later + 1,
        "not swept"
    );
}

#[test]
fn a_watched_index_without_watches_left_keeps_to_the_sweeps() {
    use super::super::watch::test_limits::{self, Limits};
    let tmp = tempfile::tempdir().unwrap();
    let registry = registry_with(tmp.path(), &["sum-and-echo", "busiest-accounts"]);
    // As if fs.inotify.max_user_watches were all but used up.
    test_limits::set(
        &registry.skills_dir(),
        Limits {
            watches: 2,
            events: usize::MAX,
        },
    );
    let later = unix_now() + 3600;
    let mut held = watched(&registry, later);
    assert!(!held.is_watching());
    edit_in_place(&registry, "busiest-accounts", "Zanzibar");
    assert!(
        held_names(&mut held, &registry, "zanzibar", later + 1).is_empty(),
        "stale"
    );
    let swept = later + SWEEP_EVERY.as_secs() as i64;
    assert_eq!(
        held_names(&mut held, &registry, "zanzibar", swept),
        ["busiest-accounts"]
    );
    test_limits::clear(&registry.skills_dir());
}
