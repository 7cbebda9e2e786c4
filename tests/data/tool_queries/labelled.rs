//! Thirty plain task phrasings over the shared catalogs (`tests/fixtures/catalogs`), each with
//! the tools that do it (`server.tool`; any of them counts). Phrased as a user would ask, not
//! in the tools' own words. Data only.

pub(super) const QUERIES: &[(&str, &[&str])] = &[
    (
        "query a sqlite table",
        &["sqlite.read_query", "sqlite-npm.query"],
    ),
    (
        "what time is it in Tokyo right now",
        &["time.get_current_time"],
    ),
    (
        "open a pull request on github",
        &["github.create_pull_request"],
    ),
    (
        "send a message to the team's slack channel",
        &["slack.slack_post_message"],
    ),
    (
        "take a picture of the web page",
        &[
            "playwright.browser_take_screenshot",
            "puppeteer.puppeteer_screenshot",
            "chrome-devtools.take_screenshot",
            "playwright-ea.playwright_screenshot",
        ],
    ),
    (
        "how long is the drive from Boston to New York",
        &[
            "google-maps.maps_directions",
            "google-maps.maps_distance_matrix",
        ],
    ),
    (
        "latitude and longitude of an address",
        &["google-maps.maps_geocode"],
    ),
    ("look up a jira ticket", &["atlassian.jira_get_issue"]),
    (
        "move a jira ticket to done",
        &["atlassian.jira_transition_issue"],
    ),
    (
        "show the logs of a crashing pod",
        &["kubernetes.kubectl_logs"],
    ),
    ("unstage everything in git", &["git.git_reset"]),
    (
        "what did I change but not stage yet",
        &["git.git_diff_unstaged"],
    ),
    (
        "save some text to a file on disk",
        &["filesystem.write_file", "desktop-commander.write_file"],
    ),
    (
        "rename a file",
        &["filesystem.move_file", "desktop-commander.move_file"],
    ),
    (
        "search the internet for recent news",
        &[
            "brave-search.brave_web_search",
            "exa.web_search_exa",
            "tavily.tavily_search",
            "firecrawl.firecrawl_search",
        ],
    ),
    (
        "get the contents of a url as markdown",
        &[
            "fetch.fetch",
            "firecrawl.firecrawl_scrape",
            "exa.web_fetch_exa",
            "tavily.tavily_extract",
        ],
    ),
    ("add a bar chart to a spreadsheet", &["excel.create_chart"]),
    ("turn a word document into a pdf", &["word.convert_to_pdf"]),
    ("put a table in a word document", &["word.add_table"]),
    (
        "which collections are in my mongo database",
        &["mongodb.list-collections"],
    ),
    (
        "remember a fact about a person",
        &["memory.add_observations", "memory.create_entities"],
    ),
    ("comment on a github issue", &["github.add_issue_comment"]),
    ("merge a pull request", &["github.merge_pull_request"]),
    (
        "write a wiki page in confluence",
        &["atlassian.confluence_create_page"],
    ),
    (
        "stop a running program",
        &[
            "desktop-commander.kill_process",
            "desktop-commander.force_terminate",
        ],
    ),
    (
        "run a sql statement against postgres",
        &["postgres.query", "neon.run_sql"],
    ),
    (
        "react to a slack message with an emoji",
        &["slack.slack_add_reaction"],
    ),
    (
        "restaurants near me",
        &[
            "google-maps.maps_search_places",
            "brave-search.brave_local_search",
        ],
    ),
    (
        "why did my CI build fail",
        &["circleci.get_build_failure_logs"],
    ),
    (
        "add a new page to my notion workspace",
        &["notion.API-post-page"],
    ),
];
