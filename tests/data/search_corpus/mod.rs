//! A deterministic test corpus and a labelled query set for measuring search
//! relevance. Hand-written skills (with confusable neighbours) are always
//! included; generated filler skills pad the corpus to the requested size.
//! No clock or OS randomness: the same `n` always gives the same corpus.
//!
//! `labelled.rs` holds the hand-written skills and queries, `hostile.rs` the oversized queries
//! for the limits' tests; this file generates the filler and measures relevance.
//!
//! Test data, not part of the library: the search unit tests (`src/search/tests.rs`) and the
//! search benchmark include it with `#[path]`. It names the library as `crate::search`, which
//! is the library itself in its unit tests and a `use skillet::search;` at the benchmark's root.

mod hostile;
mod labelled;

pub use hostile::huge_queries;
use labelled::{LABELLED, QUERIES};

use crate::search::{DocKind, SearchDoc, SearchIndex};

/// Boilerplate sentences shared by many skills (low-information words).
const NOTES: &[&str] = &[
    "The script validates its inputs before doing anything and stops with a clear message when a required value is missing.",
    "All network calls go through the configured MCP servers, so credentials never appear in the script itself.",
    "Long operations report progress every few seconds so the agent can tell the user what is happening.",
    "When the same inputs are given twice, the second run detects that the work is already done and changes nothing.",
    "Errors from the remote service are retried three times with exponential backoff before the skill gives up.",
    "The result is returned as JSON so that other skills can build on it.",
    "Nothing is deleted without listing it first; pass confirm: true to apply the changes.",
    "Dates are interpreted in the user's time zone unless an explicit offset is given.",
    "Large inputs are processed in pages of one hundred items to stay within rate limits.",
    "A dry run mode prints what would change without touching any data.",
    "The skill writes a short log of what it did to the run record for later review.",
    "Optional parameters have sensible defaults, so most calls only need the required ones.",
];

/// splitmix64: a tiny deterministic generator.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[(self.next() % items.len() as u64) as usize]
    }
}

fn title(name: &str) -> String {
    let mut out = String::new();
    for (i, w) in name.split('-').enumerate() {
        if i > 0 {
            out.push(' ');
        }
        let mut c = w.chars();
        if let Some(f) = c.next() {
            out.extend(f.to_uppercase());
            out.push_str(c.as_str());
        }
    }
    out
}

fn body(
    rng: &mut Rng,
    name: &str,
    description: &str,
    when: &str,
    tools: &[String],
    identifiers: &[String],
) -> String {
    let mut b = format!(
        "# {}\n\n{description}\n\n## When to use\n\nUse this skill when {when}.\n\n## Steps\n\n",
        title(name)
    );
    for (i, t) in tools.iter().enumerate() {
        b.push_str(&format!(
            "{}. Call `{t}` with the values gathered so far and check the response for errors.\n",
            i + 1
        ));
    }
    b.push_str(&format!(
        "{}. Report the outcome to the user in one or two sentences.\n\n## Script\n\n",
        tools.len() + 1
    ));
    if let Some((main, helpers)) = identifiers.split_first() {
        b.push_str(&format!(
            "The entry point is `{main}` in `index.ts`; it takes a single options object and returns a summary of the work done."
        ));
        for h in helpers {
            b.push_str(&format!(
                " The helper `{h}` keeps that logic testable on its own."
            ));
        }
    }
    b.push_str("\n\n## Notes\n\n");
    let mut used = Vec::new();
    while used.len() < 6 {
        let i = (rng.next() % NOTES.len() as u64) as usize;
        if !used.contains(&i) {
            used.push(i);
            b.push_str(NOTES[i]);
            b.push(' ');
        }
    }
    b.push('\n');
    b
}

fn strings(xs: &[&str]) -> Vec<String> {
    xs.iter().map(|x| (*x).to_string()).collect()
}

fn labelled_docs() -> Vec<SearchDoc> {
    LABELLED
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let mut rng = Rng(i as u64 + 1);
            let tools = strings(l.tools);
            let identifiers = strings(l.identifiers);
            SearchDoc {
                kind: DocKind::Skill,
                name: l.name.to_string(),
                description: l.description.to_string(),
                body: body(
                    &mut rng,
                    l.name,
                    l.description,
                    l.when,
                    &tools,
                    &identifiers,
                ),
                tags: strings(l.tags),
                tools,
                identifiers,
                version: Some("1.0.0".into()),
                status: Some("reviewed".into()),
            }
        })
        .collect()
}

/// Domains for filler skills: (domain tag, systems, objects, purpose prose).
const DOMAINS: &[(&str, &[&str], &[&str], &str)] = &[
    (
        "crm",
        &["hubspot", "salesforce", "pipedrive", "zoho", "copper"],
        &[
            "contacts",
            "leads",
            "deals",
            "accounts",
            "companies",
            "notes",
        ],
        "keep the sales team's records accurate",
    ),
    (
        "documents",
        &["notion", "confluence", "gdocs", "coda", "quip"],
        &["pages", "documents", "templates", "comments", "outlines"],
        "keep team knowledge organised",
    ),
    (
        "spreadsheets",
        &["airtable", "smartsheet", "excel", "gsheets", "numbers"],
        &["rows", "columns", "tabs", "ranges", "formulas", "views"],
        "keep tabular data consistent",
    ),
    (
        "git",
        &["gitlab", "bitbucket", "gitea", "github"],
        &[
            "tags",
            "releases",
            "pipelines",
            "branches",
            "forks",
            "webhooks",
        ],
        "keep repositories healthy",
    ),
    (
        "files",
        &["dropbox", "gdrive", "onedrive", "box", "s3"],
        &["folders", "uploads", "permissions", "shares", "versions"],
        "keep shared storage tidy",
    ),
    (
        "calendar",
        &["gcal", "outlook", "calendly", "cal"],
        &["events", "rooms", "reminders", "availability", "bookings"],
        "keep schedules under control",
    ),
    (
        "email",
        &["gmail", "outlook", "fastmail", "mailchimp", "sendgrid"],
        &[
            "labels",
            "drafts",
            "threads",
            "campaigns",
            "filters",
            "signatures",
        ],
        "keep communication flowing",
    ),
    (
        "tickets",
        &["jira", "linear", "zendesk", "freshdesk", "asana"],
        &["issues", "sprints", "epics", "queues", "slas", "subtasks"],
        "keep work tracked",
    ),
    (
        "analytics",
        &["mixpanel", "amplitude", "looker", "metabase", "segment"],
        &["dashboards", "cohorts", "events", "segments", "metrics"],
        "keep product decisions informed",
    ),
    (
        "devops",
        &["terraform", "docker", "aws", "gcp", "datadog", "pagerduty"],
        &[
            "instances",
            "images",
            "alerts",
            "volumes",
            "secrets",
            "clusters",
        ],
        "keep infrastructure reliable",
    ),
    (
        "finance",
        &["stripe", "quickbooks", "xero", "brex", "ramp"],
        &["payouts", "subscriptions", "refunds", "budgets", "vendors"],
        "keep the books correct",
    ),
    (
        "chat",
        &["slack", "teams", "discord", "mattermost"],
        &["channels", "reminders", "emoji", "members", "bookmarks"],
        "keep conversations useful",
    ),
];

const VERBS: &[(&str, &str)] = &[
    ("list", "List"),
    ("sync", "Synchronise"),
    ("archive", "Archive"),
    ("audit", "Audit"),
    ("backup", "Back up"),
    ("count", "Count"),
    ("validate", "Validate"),
    ("tag", "Tag"),
    ("clean", "Clean up"),
    ("report", "Report on"),
    ("migrate", "Migrate"),
    ("review", "Review"),
    ("watch", "Watch"),
    ("label", "Label"),
    ("share", "Share"),
    ("lock", "Lock"),
    ("copy", "Copy"),
    ("export", "Export"),
    ("restore", "Restore"),
    ("notify", "Send alerts about"),
];

const QUALIFIERS: &[(&str, &str)] = &[
    ("daily", "every day"),
    ("weekly", "once a week"),
    ("by-owner", "grouped by owner"),
    ("by-region", "split by region"),
    ("for-team", "for one team"),
    ("overdue", "that are overdue"),
    ("unassigned", "that nobody owns"),
    ("recent", "changed recently"),
    ("in-bulk", "in bulk"),
    ("on-schedule", "on a schedule"),
    ("quarterly", "at the end of each quarter"),
    ("stale", "that look abandoned"),
];

const FILLER_SENTENCES: &[&str] = &[
    "It reads the {object} from {system} page by page and keeps only the ones that match the filter.",
    "Each of the {object} is checked against the rules configured for the {domain} workspace.",
    "The skill is usually scheduled, but it can also be started by hand from the agent.",
    "Results are summarised in a table with one line per item and a total at the end.",
    "Owners are informed when something needs their attention, and nobody else is disturbed.",
    "Changes made in {system} are recorded so that they can be undone later.",
    "The first run may take a while on large {domain} accounts; later runs only look at what changed.",
    "It respects the permissions of the connected {system} account and never escalates them.",
    "Items that fail validation are skipped and listed separately with the reason.",
    "A configuration file lets teams adjust thresholds without editing the script.",
    "The output can be posted to a channel or written to a file, depending on the options.",
    "This keeps the {object} in {system} consistent with what the team expects.",
];

fn fill(template: &str, system: &str, object: &str, domain: &str) -> String {
    template
        .replace("{system}", system)
        .replace("{object}", object)
        .replace("{domain}", domain)
}

fn filler(rng: &mut Rng, taken: &mut std::collections::HashSet<String>) -> SearchDoc {
    loop {
        let (domain, systems, objects, purpose) = *rng.pick(DOMAINS);
        let system = *rng.pick(systems);
        let object = *rng.pick(objects);
        let (verb, verb_text) = *rng.pick(VERBS);
        let (qual, qual_text) = *rng.pick(QUALIFIERS);
        let name = format!("{verb}-{system}-{object}-{qual}");
        if !taken.insert(name.clone()) {
            continue;
        }
        let description = format!("{verb_text} {object} in {system} {qual_text}, to {purpose}.");
        let when = format!(
            "you work with {object} in {system} and want to {} them {qual_text}",
            verb_text.to_lowercase()
        );
        let obj_singular = object.trim_end_matches('s');
        let camel = |w: &str| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_uppercase().chain(c).collect::<String>())
                .unwrap_or_default()
        };
        let identifiers = vec![
            format!("{verb}{}{}", camel(system), camel(object)),
            format!("load{}", camel(obj_singular)),
        ];
        let tools = vec![
            format!("{system}.list_{object}"),
            format!("{system}.update_{obj_singular}"),
        ];
        let mut b = body(rng, &name, &description, &when, &tools, &identifiers);
        for _ in 0..6 {
            let sentence = *rng.pick(FILLER_SENTENCES);
            b.push_str(&fill(sentence, system, object, domain));
            b.push(' ');
        }
        let n = rng.next();
        return SearchDoc {
            kind: DocKind::Skill,
            name,
            description,
            body: b,
            tags: vec![domain.to_string(), system.to_string(), verb.to_string()],
            tools,
            identifiers,
            version: Some(format!("0.{}.{}", n % 7, (n >> 8) % 10)),
            status: Some(
                if n.is_multiple_of(5) {
                    "unreviewed"
                } else {
                    "reviewed"
                }
                .into(),
            ),
        };
    }
}

/// `n` skills: the labelled ones first, then deterministic filler skills.
/// Fewer than the labelled set are never returned.
pub fn corpus(n: usize) -> Vec<SearchDoc> {
    let mut docs = labelled_docs();
    let mut taken: std::collections::HashSet<String> =
        docs.iter().map(|d| d.name.clone()).collect();
    let mut rng = Rng(0x5EED_CAFE);
    while docs.len() < n {
        docs.push(filler(&mut rng, &mut taken));
    }
    docs
}

/// The labelled queries: (query, names of the skills it should find).
pub fn labelled_queries() -> Vec<(String, Vec<String>)> {
    QUERIES
        .iter()
        .map(|(q, names)| (q.to_string(), strings(names)))
        .collect()
}

/// Relevance of an index on the labelled queries.
#[derive(Debug, Clone, Default)]
pub struct Relevance {
    /// Mean reciprocal rank of the first relevant hit within the top 10.
    pub mrr_at_10: f64,
    /// Share of relevant skills found within the top 5, averaged per query.
    pub recall_at_5: f64,
    pub queries: usize,
    /// Queries whose first relevant hit is not ranked first: (query, rank
    /// if within the top 10, top hit).
    pub misses: Vec<(String, Option<usize>, Option<String>)>,
}

/// Runs every labelled query against `index` and scores the ranking.
/// A query that errors counts as finding nothing.
pub fn evaluate(index: &SearchIndex) -> Relevance {
    let queries = labelled_queries();
    let mut rr = 0.0;
    let mut recall = 0.0;
    let mut misses = Vec::new();
    for (q, expected) in &queries {
        let hits = index.search(q, 10).unwrap_or_default();
        let rank = hits.iter().position(|h| expected.contains(&h.name));
        if let Some(r) = rank {
            rr += 1.0 / (r as f64 + 1.0);
        }
        if rank != Some(0) {
            misses.push((
                q.clone(),
                rank.map(|r| r + 1),
                hits.first().map(|h| h.name.clone()),
            ));
        }
        let found = expected
            .iter()
            .filter(|e| hits.iter().take(5).any(|h| &h.name == *e))
            .count();
        recall += found as f64 / expected.len().max(1) as f64;
    }
    let n = queries.len().max(1) as f64;
    Relevance {
        mrr_at_10: rr / n,
        recall_at_5: recall / n,
        queries: queries.len(),
        misses,
    }
}
