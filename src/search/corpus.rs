//! A deterministic test corpus and a labelled query set for measuring search
//! relevance. Hand-written skills (with confusable neighbours) are always
//! included; generated filler skills pad the corpus to the requested size.
//! No clock or OS randomness: the same `n` always gives the same corpus.

use super::{DocKind, SearchDoc, SearchIndex};

/// A hand-written skill: name, description, "when to use" prose, tags,
/// tools called, identifiers in its script.
struct Labelled {
    name: &'static str,
    description: &'static str,
    when: &'static str,
    tags: &'static [&'static str],
    tools: &'static [&'static str],
    identifiers: &'static [&'static str],
}

const fn s(
    name: &'static str,
    description: &'static str,
    when: &'static str,
    tags: &'static [&'static str],
    tools: &'static [&'static str],
    identifiers: &'static [&'static str],
) -> Labelled {
    Labelled {
        name,
        description,
        when,
        tags,
        tools,
        identifiers,
    }
}

const LABELLED: &[Labelled] = &[
    // Spreadsheets
    s(
        "export-sheet-as-csv",
        "Export a worksheet from a Google Sheets spreadsheet to a CSV file (comma-separated values), with formulas replaced by their computed values.",
        "you need to turn a spreadsheet tab into a plain text table that other tools can load, download the sheet data as comma separated values, or hand a tab to a script that only understands delimited text",
        &["spreadsheet", "csv", "export", "google-sheets"],
        &["sheets.get_values", "files.write"],
        &["exportSheetAsCsv", "quoteCsvField"],
    ),
    s(
        "import-csv-into-sheet",
        "Import rows from a CSV file into a Google Sheets worksheet, appending to or replacing the existing data.",
        "you have a delimited text file and want its rows loaded into a spreadsheet tab, for example uploading a bank statement or a contact list into a sheet",
        &["spreadsheet", "csv", "import", "google-sheets"],
        &["sheets.append_rows", "files.read"],
        &["importCsvIntoSheet", "parseCsvLine"],
    ),
    s(
        "export-sheet-as-pdf",
        "Render a Google Sheets tab as a printable PDF document with page breaks, gridlines and a header row on every page.",
        "someone wants a printable copy of a spreadsheet, needs to attach a tab to an email as a portable document, or wants to print the sheet",
        &["spreadsheet", "pdf", "export", "print"],
        &["sheets.export_pdf", "files.write"],
        &["exportSheetAsPdf", "setPageBreaks"],
    ),
    s(
        "dedupe-sheet-rows",
        "Find and remove duplicate rows in a spreadsheet, comparing on one or more key columns and keeping the first occurrence.",
        "a sheet has repeated entries, the same record appears twice, or a list must be cleaned of identical lines before it is shared",
        &["spreadsheet", "duplicates", "cleanup"],
        &["sheets.get_values", "sheets.delete_rows"],
        &["removeDuplicateRows", "rowKey"],
    ),
    s(
        "sheet-pivot-summary",
        "Build a pivot table in a spreadsheet that totals and averages values by category and month.",
        "you want totals grouped by category, a cross tabulation of amounts per month, or a quick aggregate overview of tabular data",
        &["spreadsheet", "pivot", "aggregate"],
        &["sheets.get_values", "sheets.add_pivot_table"],
        &["buildPivotTable", "groupByCategory"],
    ),
    // Documents
    s(
        "convert-docx-to-markdown",
        "Convert a Microsoft Word document (.docx) into clean Markdown, keeping headings, lists, links and tables.",
        "a Word file has to become plain text for a wiki, a README or a static site, and the formatting of titles and bullet points should survive",
        &["documents", "word", "markdown", "convert"],
        &["files.read", "files.write"],
        &["convertDocxToMarkdown", "renderTable"],
    ),
    s(
        "merge-pdf-files",
        "Combine several PDF files into one PDF, in a chosen order, with an optional table of contents.",
        "you need to join multiple PDFs together, stitch scanned pages into a single file, or bundle several reports as one document",
        &["documents", "pdf", "merge"],
        &["files.read", "pdf.merge"],
        &["mergePdfFiles", "buildOutline"],
    ),
    s(
        "extract-pdf-tables",
        "Extract tables from a PDF report into structured rows that can be saved as JSON or loaded into a spreadsheet.",
        "numbers are locked inside a PDF and you want the tabular data out of it, for example pulling figures from an annual report",
        &["documents", "pdf", "tables", "extract"],
        &["pdf.read_tables", "files.write"],
        &["extractTablesFromPdf", "normalizeCell"],
    ),
    s(
        "summarize-document",
        "Write a short summary of a long document, with the key points, decisions and open questions as bullet points.",
        "a long text needs a TL;DR, someone asks for the gist of a report, or meeting notes have to be condensed into highlights",
        &["documents", "summary", "writing"],
        &["docs.get_document"],
        &["summarizeDocument", "pickKeyPoints"],
    ),
    // Git
    s(
        "create-pull-request",
        "Open a GitHub pull request from the current branch with a generated title, description and reviewers.",
        "your changes are pushed and ready for review, and you want to propose merging the branch into main and ask teammates to look at it",
        &["git", "github", "pull-request", "review"],
        &["github.create_pull_request", "git.current_branch"],
        &["createPullRequest", "suggestReviewers"],
    ),
    s(
        "squash-branch-commits",
        "Squash all commits on a feature branch into a single commit with a combined message before merging.",
        "the history of a branch is noisy with fixup and work-in-progress commits and should be collapsed into one tidy change",
        &["git", "history", "rebase"],
        &["git.log", "git.reset_soft", "git.commit"],
        &["squashCommits", "combineMessages"],
    ),
    s(
        "changelog-from-commits",
        "Generate a CHANGELOG entry from the commit messages since the last release tag, grouped into features, fixes and breaking changes.",
        "you are cutting a release and need release notes that list what changed since the previous version",
        &["git", "release", "changelog"],
        &["git.log", "git.tags", "files.write"],
        &["buildChangelog", "parseConventionalCommit"],
    ),
    s(
        "find-stale-branches",
        "List remote git branches with no commits in the last 90 days and offer to delete them.",
        "the repository has too many old branches nobody works on and you want to prune abandoned ones",
        &["git", "branches", "cleanup"],
        &["git.list_remote_branches", "git.delete_branch"],
        &["listStaleBranches", "lastCommitDate"],
    ),
    // Files
    s(
        "bulk-rename-files",
        "Rename many files at once using a pattern: add dates, sequence numbers or replace text in file names.",
        "a folder of photos or scans has meaningless names and every file should get a consistent naming scheme in one go",
        &["files", "rename", "batch"],
        &["files.list", "files.move"],
        &["renameFilesByPattern", "formatSequence"],
    ),
    s(
        "find-duplicate-files",
        "Find identical files on disk by comparing content hashes and report how much space the copies waste.",
        "the disk is filling up with copies of the same photos or downloads and you want to locate the redundant ones",
        &["files", "duplicates", "disk"],
        &["files.list", "files.hash"],
        &["hashFileContents", "groupBySize"],
    ),
    s(
        "compress-folder-to-zip",
        "Create a zip archive of a folder, skipping ignored files, and report the compression ratio.",
        "a directory should be packed into a single archive to send it, back it up or shrink it",
        &["files", "zip", "archive"],
        &["files.list", "archive.zip"],
        &["zipDirectory", "shouldSkip"],
    ),
    // Calendar
    s(
        "schedule-meeting",
        "Find a free time slot that works for all attendees and send a calendar invitation with a video link.",
        "you want to book time with several colleagues, set up a call, or find when everybody is available",
        &["calendar", "meeting", "scheduling"],
        &["calendar.find_free_slots", "calendar.create_event"],
        &["findCommonFreeSlot", "sendInvite"],
    ),
    s(
        "cancel-recurring-event",
        "Cancel all future occurrences of a recurring calendar event and notify the attendees.",
        "a weekly standup or repeating appointment is discontinued and the whole series should be removed from everyone's calendar",
        &["calendar", "recurring", "cancel"],
        &["calendar.get_event", "calendar.delete_event"],
        &["cancelFutureOccurrences", "notifyAttendees"],
    ),
    s(
        "weekly-agenda-digest",
        "Email a digest of next week's calendar events every Friday afternoon.",
        "you want a preview of upcoming appointments delivered to your inbox at the end of the week",
        &["calendar", "digest", "email"],
        &["calendar.list_events", "email.send"],
        &["buildAgendaDigest", "nextWeekRange"],
    ),
    // Email
    s(
        "send-email-template",
        "Send a personalized email to a list of recipients from a template with merge fields such as first name and company.",
        "you need a mail merge: the same message goes to many people, each one with their own name and details filled in",
        &["email", "template", "outreach"],
        &["email.send", "contacts.list"],
        &["renderTemplate", "sendBulkEmail"],
    ),
    s(
        "archive-old-emails",
        "Archive inbox messages older than a given number of days, except starred and unread ones.",
        "the inbox is overflowing and old mail should be moved out of it automatically to reach inbox zero",
        &["email", "inbox", "cleanup"],
        &["email.search", "email.archive"],
        &["archiveOlderThan", "isStarred"],
    ),
    s(
        "extract-email-attachments",
        "Save the attachments of matching emails to a folder, named by sender and date.",
        "invoices or files arrive by mail and you want them downloaded from the messages into a directory",
        &["email", "attachments", "files"],
        &["email.search", "email.get_attachment", "files.write"],
        &["saveAttachments", "attachmentFileName"],
    ),
    s(
        "unsubscribe-newsletters",
        "Find newsletter senders in your inbox and unsubscribe from them using their List-Unsubscribe headers.",
        "you get too many marketing mails and promotional mailing lists and want to stop receiving them",
        &["email", "newsletter", "unsubscribe"],
        &["email.search", "http.post"],
        &["findNewsletterSenders", "unsubscribeSender"],
    ),
    // CRM
    s(
        "create-crm-contact",
        "Add a new contact to the CRM with name, company, phone number and owner, linking it to an existing account.",
        "you met a prospect or customer and want to record their details as a person in HubSpot or Salesforce",
        &["crm", "contacts", "hubspot", "salesforce"],
        &["crm.create_contact", "crm.find_company"],
        &["createContact", "linkToCompany"],
    ),
    s(
        "merge-duplicate-contacts",
        "Detect duplicate CRM contacts by email address and merge them into a single record, keeping the newest data.",
        "the same person exists several times in the CRM and the records must be consolidated",
        &["crm", "contacts", "duplicates", "merge"],
        &["crm.search_contacts", "crm.merge_contacts"],
        &["findDuplicateContacts", "mergeContactRecords"],
    ),
    s(
        "update-deal-stage",
        "Move a sales deal to the next pipeline stage and log a note explaining why.",
        "an opportunity progressed, for example a prospect signed or asked for a quote, and the sales pipeline should reflect it",
        &["crm", "deals", "pipeline", "sales"],
        &["crm.update_deal", "crm.add_note"],
        &["advanceDealStage", "logStageChange"],
    ),
    s(
        "export-contacts-to-csv",
        "Export CRM contacts matching a filter to a CSV file with the chosen properties as columns.",
        "you need a list of customers out of the CRM as a file, for a mailing tool or for a backup of the address book",
        &["crm", "contacts", "csv", "export"],
        &["crm.search_contacts", "files.write"],
        &["exportContactsToCsv", "pickProperties"],
    ),
    // Tickets
    s(
        "create-jira-ticket",
        "Create a Jira issue from a bug report with summary, priority, labels and reproduction steps.",
        "a bug was found and should be filed in the issue tracker so the team can work on it",
        &["tickets", "jira", "bug"],
        &["jira.create_issue"],
        &["createJiraIssue", "formatReproSteps"],
    ),
    s(
        "triage-support-tickets",
        "Label and prioritize incoming support tickets by urgency and topic, and assign them to the right queue.",
        "the helpdesk backlog is growing and new customer requests must be sorted so urgent ones are answered first",
        &["tickets", "support", "triage"],
        &["zendesk.list_tickets", "zendesk.update_ticket"],
        &["classifyTicket", "assignQueue"],
    ),
    s(
        "close-stale-issues",
        "Close GitHub issues with no activity for 60 days, after posting a warning comment first.",
        "the issue tracker is full of abandoned reports nobody responds to and old inactive issues should be cleaned up",
        &["tickets", "github", "issues", "cleanup"],
        &["github.list_issues", "github.close_issue", "github.comment"],
        &["findInactiveIssues", "postWarning"],
    ),
    // Analytics
    s(
        "weekly-kpi-report",
        "Compute weekly KPIs such as signups, revenue and churn, and post a chart of the trend to Slack.",
        "management wants key business numbers every Monday and a graph showing how the metrics moved",
        &["analytics", "kpi", "report", "slack"],
        &["warehouse.query", "slack.post_message"],
        &["computeKpis", "renderTrendChart"],
    ),
    s(
        "funnel-conversion-analysis",
        "Measure conversion rates between the steps of a signup funnel and find where users drop off.",
        "you want to know what share of visitors make it from the landing page to a paid plan and which step loses the most people",
        &["analytics", "funnel", "conversion"],
        &["warehouse.query"],
        &["computeFunnel", "dropOffRate"],
    ),
    s(
        "detect-metric-anomalies",
        "Flag unusual spikes or drops in a time series metric using a rolling median and deviation threshold.",
        "a number suddenly jumps or falls and you want outliers in the data to be noticed automatically",
        &["analytics", "anomaly", "monitoring"],
        &["metrics.query", "slack.post_message"],
        &["detectAnomalies", "rollingMedian"],
    ),
    // DevOps
    s(
        "restart-kubernetes-deployment",
        "Roll out a restart of a Kubernetes deployment and wait until all pods are ready again.",
        "a service on the cluster is stuck or needs to pick up new config, and its containers should be recycled without downtime",
        &["devops", "kubernetes", "k8s", "restart"],
        &["k8s.rollout_restart", "k8s.get_pods"],
        &["restartDeployment", "waitForReadyPods"],
    ),
    s(
        "rollback-deployment",
        "Roll back a service to the previous release when the latest deploy is failing its health checks.",
        "a bad version went to production and you need to revert to the last known good build quickly",
        &["devops", "deploy", "rollback", "release"],
        &["deploy.list_releases", "deploy.activate_release"],
        &["rollbackToPrevious", "checkHealth"],
    ),
    s(
        "rotate-tls-certificates",
        "Renew TLS certificates that expire within 30 days and reload the web servers that use them.",
        "an HTTPS certificate is about to expire or SSL warnings appear and the certs must be refreshed",
        &["devops", "tls", "ssl", "certificates"],
        &["certs.list_expiring", "certs.renew", "nginx.reload"],
        &["renewExpiringCerts", "reloadServers"],
    ),
    s(
        "tail-service-logs",
        "Stream recent logs from a service and filter them by level and keyword.",
        "you are debugging a production problem and want to watch error output of an application as it happens",
        &["devops", "logs", "debugging"],
        &["logs.stream"],
        &["tailLogs", "filterByLevel"],
    ),
    // Chat
    s(
        "post-slack-message",
        "Post a message to a Slack channel, optionally as a threaded reply, with formatting and mentions.",
        "you want to notify a team channel, announce something in chat or reply in a Slack thread",
        &["chat", "slack", "notify"],
        &["slack.post_message"],
        &["postMessage", "formatMentions"],
    ),
    s(
        "summarize-slack-thread",
        "Summarize a long Slack thread into decisions, action items and open questions.",
        "a chat discussion went on for hours and you need the gist of the conversation without reading every reply",
        &["chat", "slack", "summary"],
        &["slack.get_thread"],
        &["summarizeThread", "extractActionItems"],
    ),
    // Finance
    s(
        "create-invoice",
        "Create and send an invoice to a customer with line items, tax and a due date.",
        "you need to bill a client for work done and send them a payment request",
        &["finance", "invoice", "billing"],
        &["billing.create_invoice", "email.send"],
        &["createInvoice", "computeTax"],
    ),
    s(
        "reconcile-bank-transactions",
        "Match bank transactions against recorded payments and list the ones that do not reconcile.",
        "month-end bookkeeping requires checking that the bank statement agrees with the ledger",
        &["finance", "accounting", "bank"],
        &["bank.list_transactions", "ledger.list_payments"],
        &["matchTransactions", "unmatchedEntries"],
    ),
    s(
        "expense-report-from-receipts",
        "Build an expense report from photographed receipts, reading merchant, date and amount from each image.",
        "you travelled for work and want reimbursement for what you spent, using the receipt pictures you took",
        &["finance", "expenses", "receipts"],
        &["ocr.read_image", "sheets.append_rows"],
        &["parseReceipt", "buildExpenseReport"],
    ),
    // Databases
    s(
        "backup-postgres-database",
        "Dump a PostgreSQL database to a compressed file and upload it to S3 with a retention policy.",
        "you want a nightly copy of the Postgres data stored safely in object storage in case of disaster",
        &["database", "postgres", "backup", "s3"],
        &["db.pg_dump", "s3.put_object"],
        &["dumpDatabase", "pruneOldBackups"],
    ),
    s(
        "run-sql-query-to-sheet",
        "Run a SQL query against the data warehouse and write the result set into a spreadsheet tab.",
        "a colleague wants the output of a database query in a sheet they can filter and share",
        &["database", "sql", "spreadsheet"],
        &["warehouse.query", "sheets.update_values"],
        &["runQueryToSheet", "toRows"],
    ),
    // Web
    s(
        "scrape-web-page-table",
        "Fetch a web page and extract an HTML table from it into rows.",
        "the data you need is published on a website as a table and there is no API or download",
        &["web", "scraping", "html"],
        &["http.get"],
        &["scrapeTable", "parseHtmlTable"],
    ),
    s(
        "check-broken-links",
        "Crawl a website and report links that return 404 or other errors.",
        "you want to find dead links on your site before users or search engines do",
        &["web", "links", "seo"],
        &["http.get", "http.head"],
        &["crawlSite", "checkLink"],
    ),
    // Tasks / HR
    s(
        "onboard-new-employee",
        "Create accounts, send a welcome email and schedule first-week meetings for a new hire.",
        "someone joins the company and needs access to tools plus an introduction plan for their first days",
        &["hr", "onboarding", "accounts"],
        &[
            "directory.create_user",
            "email.send",
            "calendar.create_event",
        ],
        &["onboardEmployee", "createAccounts"],
    ),
    s(
        "translate-document",
        "Translate a document into another language while keeping its formatting.",
        "a text written in English must be available in French, German or Spanish for another audience",
        &["documents", "translation", "language"],
        &["docs.get_document", "translate.text"],
        &["translateDocument", "preserveFormatting"],
    ),
];

/// Queries with the skill(s) they should find. Mixes near-exact queries,
/// paraphrases that share no word with the skill's name, identifier
/// queries, and typos.
const QUERIES: &[(&str, &[&str])] = &[
    // near-exact
    ("export sheet as csv", &["export-sheet-as-csv"]),
    ("import csv into google sheets", &["import-csv-into-sheet"]),
    ("export spreadsheet to pdf", &["export-sheet-as-pdf"]),
    ("remove duplicate rows", &["dedupe-sheet-rows"]),
    ("pivot table", &["sheet-pivot-summary"]),
    ("convert docx to markdown", &["convert-docx-to-markdown"]),
    ("merge pdfs", &["merge-pdf-files"]),
    ("create pull request", &["create-pull-request"]),
    ("squash commits", &["squash-branch-commits"]),
    ("generate changelog", &["changelog-from-commits"]),
    ("delete stale branches", &["find-stale-branches"]),
    ("rename files in bulk", &["bulk-rename-files"]),
    ("zip a folder", &["compress-folder-to-zip"]),
    ("schedule a meeting", &["schedule-meeting"]),
    ("cancel recurring event", &["cancel-recurring-event"]),
    ("create jira ticket", &["create-jira-ticket"]),
    (
        "restart kubernetes deployment",
        &["restart-kubernetes-deployment"],
    ),
    ("post message to slack channel", &["post-slack-message"]),
    ("create invoice", &["create-invoice"]),
    ("backup postgres database", &["backup-postgres-database"]),
    ("export contacts to csv", &["export-contacts-to-csv"]),
    ("merge duplicate contacts", &["merge-duplicate-contacts"]),
    ("weekly kpi report", &["weekly-kpi-report"]),
    ("tail logs", &["tail-service-logs"]),
    // paraphrases (no word of the skill's name)
    (
        "turn a spreadsheet into comma separated values",
        &["export-sheet-as-csv"],
    ),
    (
        "load a delimited text file into a spreadsheet tab",
        &["import-csv-into-sheet"],
    ),
    ("printable copy of a spreadsheet", &["export-sheet-as-pdf"]),
    (
        "same record appears twice in my sheet",
        &["dedupe-sheet-rows"],
    ),
    (
        "word file to plain text for a wiki",
        &["convert-docx-to-markdown"],
    ),
    ("join multiple PDFs together", &["merge-pdf-files"]),
    (
        "get numbers out of a report pdf into rows",
        &["extract-pdf-tables"],
    ),
    ("tl;dr of a long text", &["summarize-document"]),
    (
        "propose merging my branch and ask teammates for review",
        &["create-pull-request"],
    ),
    (
        "release notes since the previous version",
        &["changelog-from-commits"],
    ),
    ("prune abandoned git branches", &["find-stale-branches"]),
    (
        "give photos a consistent naming scheme",
        &["bulk-rename-files"],
    ),
    (
        "locate redundant copies wasting disk space",
        &["find-duplicate-files"],
    ),
    (
        "pack a directory into an archive",
        &["compress-folder-to-zip"],
    ),
    (
        "find when everybody is available for a call",
        &["schedule-meeting"],
    ),
    (
        "preview of upcoming appointments in my inbox",
        &["weekly-agenda-digest"],
    ),
    ("mail merge with first name", &["send-email-template"]),
    (
        "reach inbox zero by moving old mail",
        &["archive-old-emails"],
    ),
    (
        "download invoices attached to messages",
        &["extract-email-attachments"],
    ),
    (
        "stop receiving marketing mailing lists",
        &["unsubscribe-newsletters"],
    ),
    (
        "record a prospect's details in hubspot",
        &["create-crm-contact"],
    ),
    (
        "opportunity progressed in the sales pipeline",
        &["update-deal-stage"],
    ),
    ("file a bug in the issue tracker", &["create-jira-ticket"]),
    (
        "sort helpdesk requests by urgency",
        &["triage-support-tickets"],
    ),
    (
        "what share of visitors reach a paid plan",
        &["funnel-conversion-analysis"],
    ),
    (
        "notice outliers when a number suddenly jumps",
        &["detect-metric-anomalies"],
    ),
    (
        "revert to the last known good build",
        &["rollback-deployment"],
    ),
    ("https cert about to expire", &["rotate-tls-certificates"]),
    (
        "watch error output of an application",
        &["tail-service-logs"],
    ),
    ("gist of a chat discussion", &["summarize-slack-thread"]),
    ("bill a client for work done", &["create-invoice"]),
    (
        "check the bank statement agrees with the ledger",
        &["reconcile-bank-transactions"],
    ),
    (
        "get reimbursed for travel spending",
        &["expense-report-from-receipts"],
    ),
    (
        "nightly copy of data to object storage",
        &["backup-postgres-database"],
    ),
    (
        "database query output in a sheet",
        &["run-sql-query-to-sheet"],
    ),
    ("find dead links on my site", &["check-broken-links"]),
    ("new hire first week", &["onboard-new-employee"]),
    ("make a text available in french", &["translate-document"]),
    // identifiers
    ("saveAttachments", &["extract-email-attachments"]),
    ("exportSheetAsCsv", &["export-sheet-as-csv"]),
    ("rolling_median", &["detect-metric-anomalies"]),
    ("github.create_pull_request", &["create-pull-request"]),
    // typos
    ("exprot shet to csv", &["export-sheet-as-csv"]),
    ("shedule meeting", &["schedule-meeting"]),
    ("kubernets restart", &["restart-kubernetes-deployment"]),
    ("invioce customer", &["create-invoice"]),
    ("unsubscrbe newsleters", &["unsubscribe-newsletters"]),
    ("chnagelog", &["changelog-from-commits"]),
    ("dupliacte files", &["find-duplicate-files"]),
    ("recurring calender event", &["cancel-recurring-event"]),
];

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

/// Hostile queries of about `size` bytes, for the query limits' tests and
/// benchmark: many distinct words, one word repeated, one
/// huge token, many long fuzzy-eligible misspellings, a huge camelCase
/// identifier, stop words only.
pub fn huge_queries(size: usize) -> Vec<(&'static str, String)> {
    let fill_with = |sep: &str, next: &dyn Fn(usize) -> String| {
        let mut q = String::new();
        let mut i = 0;
        while q.len() < size {
            q.push_str(&next(i));
            q.push_str(sep);
            i += 1;
        }
        q
    };
    let fill = |next: &dyn Fn(usize) -> String| fill_with(" ", next);
    // Deterministic pseudo-random letters (an LCG), so runs compare.
    let word = |i: usize, len: usize| -> String {
        let mut x = (i as u64)
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (0..len)
            .map(|_| {
                x = x
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                char::from(b'a' + ((x >> 33) % 26) as u8)
            })
            .collect()
    };
    vec![
        ("random words", fill(&|i| word(i, 3 + i % 9))),
        ("one word repeated", fill(&|_| "export".into())),
        ("one huge token", "x".repeat(size)),
        ("long misspellings", fill(&|i| word(i, 16 + i % 4))),
        (
            "huge identifier",
            fill_with("", &|i| {
                let w = word(i, 6);
                w[..1].to_uppercase() + &w[1..]
            }),
        ),
        ("stop words", fill(&|i| STOP_WORDS_SAMPLE[i % 8].into())),
    ]
}

const STOP_WORDS_SAMPLE: [&str; 8] = ["the", "and", "of", "to", "with", "for", "a", "in"];
