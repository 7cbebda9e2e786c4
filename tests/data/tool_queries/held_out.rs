//! Twenty more plain task phrasings, written after the ranking was tuned on `labelled.rs` and
//! never tuned on: how the ranking does on phrasings it was not fitted to. Data only.

pub(super) const QUERIES: &[(&str, &[&str])] = &[
    (
        "make a new folder",
        &[
            "filesystem.create_directory",
            "desktop-commander.create_directory",
        ],
    ),
    (
        "put a wiki page under a different parent in confluence",
        &["atlassian.confluence_move_page"],
    ),
    ("which teams exist in sentry", &["sentry.find_teams"]),
    (
        "add a dropdown list to some spreadsheet cells",
        &["excel.add_data_validation"],
    ),
    (
        "edit a confluence page",
        &["atlassian.confluence_update_page"],
    ),
    (
        "show the folder structure as a tree",
        &["filesystem.directory_tree"],
    ),
    (
        "crawl every page of a website",
        &["tavily.tavily_crawl", "firecrawl.firecrawl_crawl"],
    ),
    (
        "write a new paragraph in a word document",
        &["word.add_paragraph"],
    ),
    ("duplicate a word document", &["word.copy_document"]),
    (
        "search the confluence wiki",
        &["atlassian.confluence_search"],
    ),
    ("fork a github repo", &["github.fork_repository"]),
    (
        "documentation for a programming library",
        &["context7.query-docs", "context7.resolve-library-id"],
    ),
    (
        "rows from a sqlite table",
        &[
            "sqlite-npm.read_records",
            "sqlite.read_query",
            "sqlite-npm.query",
        ],
    ),
    (
        "record a performance trace of the page",
        &["chrome-devtools.performance_start_trace"],
    ),
    ("who am I logged in as in notion", &["notion.API-get-self"]),
    (
        "remove a paragraph from a word document",
        &["word.delete_paragraph"],
    ),
    (
        "list the people in a notion workspace",
        &["notion.API-get-users"],
    ),
    (
        "which tests failed in the circleci job",
        &["circleci.get_job_test_results"],
    ),
    (
        "what files are in this folder",
        &[
            "filesystem.list_directory",
            "desktop-commander.list_directory",
            "filesystem.list_directory_with_sizes",
        ],
    ),
    (
        "screenshot of a web page",
        &[
            "playwright.browser_take_screenshot",
            "puppeteer.puppeteer_screenshot",
            "chrome-devtools.take_screenshot",
            "playwright-ea.playwright_screenshot",
        ],
    ),
];
