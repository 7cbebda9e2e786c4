//! The fixed document corpus served by the `docs` sample server.

use std::sync::LazyLock;

use super::docs::Folder;

/// One stored document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Document {
    pub id: &'static str,
    pub title: &'static str,
    pub folder: Folder,
    pub author: &'static str,
    pub created: &'static str,
    pub updated: &'static str,
    pub tags: &'static [&'static str],
    pub content: String,
}

impl Document {
    /// Whitespace-separated word count of the content.
    pub(crate) fn word_count(&self) -> usize {
        self.content.split_whitespace().count()
    }
}

/// Id of the long meeting transcript.
pub(crate) const TRANSCRIPT_ID: &str = "meet-2025-q3-planning-call";

/// All documents, in a fixed order (newest first within each folder).
pub(crate) fn documents() -> &'static [Document] {
    static DOCS: LazyLock<Vec<Document>> = LazyLock::new(build);
    &DOCS
}

/// Look a document up by exact id.
pub(crate) fn find(id: &str) -> Option<&'static Document> {
    documents().iter().find(|d| d.id == id)
}

fn doc(
    id: &'static str,
    title: &'static str,
    folder: Folder,
    author: &'static str,
    (created, updated): (&'static str, &'static str),
    tags: &'static [&'static str],
    content: &str,
) -> Document {
    Document {
        id,
        title,
        folder,
        author,
        created,
        updated,
        tags,
        content: content.trim().to_owned(),
    }
}

fn build() -> Vec<Document> {
    vec![
        doc(
            "eng-ingest-architecture",
            "Ingestion pipeline architecture",
            Folder::Engineering,
            "Lena Fischer",
            ("2025-02-03", "2025-06-18"),
            &["architecture", "ingestion", "kafka"],
            ENG_ARCHITECTURE,
        ),
        doc(
            "eng-postmortem-2025-05-14",
            "Postmortem: API latency incident on 2025-05-14",
            Folder::Engineering,
            "Sam Okafor",
            ("2025-05-16", "2025-05-21"),
            &["incident", "postmortem", "latency"],
            ENG_POSTMORTEM,
        ),
        doc(
            "eng-oncall-runbook",
            "On-call runbook",
            Folder::Engineering,
            "Sam Okafor",
            ("2024-11-04", "2025-04-30"),
            &["on-call", "runbook", "operations"],
            ENG_RUNBOOK,
        ),
        doc(
            "sales-northwind-account-plan",
            "Northwind Traders account plan",
            Folder::Sales,
            "Priya Raman",
            ("2025-03-10", "2025-07-02"),
            &["account-plan", "northwind", "renewal"],
            SALES_NORTHWIND,
        ),
        doc(
            "sales-pricing-fy25",
            "FY25 pricing and discount guidelines",
            Folder::Sales,
            "Dana Whitfield",
            ("2024-12-09", "2025-01-15"),
            &["pricing", "discounts"],
            SALES_PRICING,
        ),
        doc(
            "sales-battlecard-acme",
            "Competitive battlecard: Acme Analytics",
            Folder::Sales,
            "Priya Raman",
            ("2025-01-20", "2025-04-11"),
            &["competitive", "battlecard"],
            SALES_BATTLECARD,
        ),
        doc(
            "hr-time-off-policy",
            "Time off policy",
            Folder::Hr,
            "Grace Liu",
            ("2023-09-01", "2025-01-02"),
            &["policy", "time-off", "handbook"],
            HR_TIME_OFF,
        ),
        doc(
            "hr-engineering-onboarding",
            "Engineering onboarding checklist",
            Folder::Hr,
            "Grace Liu",
            ("2024-06-12", "2025-03-03"),
            &["onboarding", "engineering", "checklist"],
            HR_ONBOARDING,
        ),
        doc(
            "hr-expense-policy",
            "Travel and expense policy",
            Folder::Hr,
            "Dana Whitfield",
            ("2024-02-05", "2024-10-28"),
            &["policy", "expenses", "travel"],
            HR_EXPENSES,
        ),
        Document {
            id: TRANSCRIPT_ID,
            title: "Q3 2025 quarterly planning call (transcript)",
            folder: Folder::Meetings,
            author: "Meeting recorder",
            created: "2025-07-08",
            updated: "2025-07-08",
            tags: &["planning", "q3", "transcript", "northwind"],
            content: super::transcript::q3_planning_call(),
        },
        doc(
            "meet-eng-sync-2025-07-01",
            "Weekly engineering sync, 2025-07-01",
            Folder::Meetings,
            "Lena Fischer",
            ("2025-07-01", "2025-07-01"),
            &["sync", "engineering"],
            MEET_ENG_SYNC,
        ),
        doc(
            "meet-pipeline-review-2025-06-30",
            "Sales pipeline review, 2025-06-30",
            Folder::Meetings,
            "Priya Raman",
            ("2025-06-30", "2025-06-30"),
            &["pipeline", "sales", "forecast"],
            MEET_PIPELINE,
        ),
    ]
}

const ENG_ARCHITECTURE: &str = r#"
# Ingestion pipeline architecture

## Overview
Customer events arrive through the public ingest API, are validated, and land on the `events.raw` Kafka topic. A fleet of stateless enrichment workers joins each event with account metadata and writes to `events.enriched`. Two consumers read the enriched topic: the warehouse loader, which batches events into hourly Parquet files, and the realtime aggregator, which maintains rolling counters for dashboards.

## Components
- **Ingest API**: Rust service behind the load balancer. Validates payloads against the published schema, assigns an event id, and acknowledges once Kafka confirms the write. Target p99 latency is 40 ms.
- **Enrichment workers**: horizontally scaled on queue depth. They cache account metadata for five minutes and never call the billing database directly.
- **Warehouse loader**: writes Parquet to object storage and registers partitions with the catalog. Late events up to 48 hours old are merged into the correct partition.
- **Realtime aggregator**: keeps one-minute and one-hour windows in Redis. Windows older than seven days are dropped.

## Failure modes
If Kafka is unavailable the ingest API returns 503 and clients retry with exponential backoff. Enrichment failures send the event to `events.deadletter` with the error attached; the on-call engineer replays the topic after a fix. The warehouse loader is idempotent, so replays never double count.

## Capacity
Current peak is roughly 18,000 events per second. The cluster is provisioned for 45,000 events per second, and the next capacity review is scheduled for Q4.
"#;

const ENG_POSTMORTEM: &str = r#"
# Postmortem: API latency incident on 2025-05-14

## Summary
Between 14:05 and 15:20 UTC the public API served p99 latencies above two seconds, and roughly 3% of requests timed out. No data was lost.

## Timeline
- 14:05 Deploy of the enrichment cache change begins.
- 14:12 Latency alert fires; on-call acknowledges within four minutes.
- 14:31 Cache hit rate identified as the likely cause: the new key format missed every existing entry.
- 14:48 Rollback started.
- 15:20 Latency back under target; incident closed.

## Root cause
The cache key format changed from account id to account id plus region, but the warm-up job still wrote the old format. Every request fell through to the metadata service, which saturated its connection pool.

## What went well
Alerting caught the regression within minutes, and the rollback procedure worked as documented.

## What went poorly
The canary stage only ran for five minutes with low traffic, which was not long enough to exercise cache misses. The dashboard for cache hit rate was not linked from the alert.

## Action items
1. Extend the canary stage to 30 minutes for changes touching caching (owner: Sam Okafor).
2. Link the cache dashboards from the latency alert (owner: Lena Fischer).
3. Add a load test that starts with a cold cache (owner: Ravi Patel).
"#;

const ENG_RUNBOOK: &str = r#"
# On-call runbook

## Before your shift
Make sure the paging app is installed and that you can log in to the production console. Read the handoff notes from the previous engineer and check for open incidents.

## When you are paged
1. Acknowledge the page within 15 minutes.
2. Open the incident channel and post what you know, even if it is only the alert name.
3. Check recent deploys first: most incidents follow a change.
4. If customer impact is likely, tell the support lead so they can prepare a status page update.

## Common alerts
- **Ingest 5xx rate**: check Kafka broker health, then the ingest API logs.
- **Dead-letter growth**: inspect a sample of dead-lettered events; fix forward, then replay.
- **Warehouse lag**: the loader may be stuck on a malformed partition; restart it and watch the lag metric.

## Escalation
Escalate to the engineering manager after 45 minutes without a mitigation, or immediately for any security concern. Never share customer data in public channels.

## After the incident
Write a postmortem within three working days for anything customer visible.
"#;

const SALES_NORTHWIND: &str = r#"
# Northwind Traders account plan

## Account snapshot
Northwind Traders is a specialty food distributor with about 1,200 employees and warehouses in six states. They have been a customer since 2022 on the Growth plan, currently 140 seats.

## Key contacts
- Jordan Ellis, Director of Operations, is the economic buyer and our main champion.
- Maya Chen, Data Platform Lead, owns the technical evaluation.
- Victor Alvarez, procurement, runs the renewal paperwork.

## Opportunities
1. **Renewal** due 2025-09-30. Expect a standard three-year renewal if the Q3 service review goes well.
2. **Expansion** to the logistics team: roughly 60 additional seats and the realtime dashboards add-on. Jordan estimates a decision in August.

## Risks
- Their data team is evaluating Acme Analytics for warehouse reporting. See the battlecard.
- Two support escalations in Q2 about delayed exports; both resolved, but Jordan mentioned them on the last call.

## Next steps
Schedule the Q3 service review, send the expansion proposal, and get a security questionnaire started early because their legal review is slow.
"#;

const SALES_PRICING: &str = r#"
# FY25 pricing and discount guidelines

## List prices (per seat, per month, billed annually)
- Starter: $25, up to 20 seats.
- Growth: $45, includes the standard connectors.
- Enterprise: $70, adds SSO, audit logs and a named support engineer.

## Add-ons
- Realtime dashboards: $8 per seat per month.
- Extended retention (three years): 15% of the subscription.

## Discount bands
Account executives may discount up to 10% without approval. Discounts from 10% to 20% need the sales director. Anything above 20%, or any non-standard payment terms, needs finance approval from Dana Whitfield.

## Multi-year deals
A three-year commitment earns an additional 5% off, provided the customer pays annually in advance.
"#;

const SALES_BATTLECARD: &str = r#"
# Competitive battlecard: Acme Analytics

## Where they win
Acme Analytics has a polished reporting front end and an aggressive first-year discount. They often win when the buyer is a small analytics team that only needs dashboards.

## Where we win
- Realtime ingestion: Acme batches data every hour; we deliver events within seconds.
- Total cost after year one: Acme list prices rise sharply at renewal.
- Data ownership: customers can export everything in open formats at any time.

## Objection handling
"Acme is cheaper." Compare the three-year total, not the first-year price, and include the cost of their premium connectors.

"Acme has better charts." Offer a workshop on our dashboards add-on and show the embedded analytics examples.

## Proof points
Northwind Traders and Contoso Pharma both evaluated Acme and chose us for realtime operational reporting.
"#;

const HR_TIME_OFF: &str = r#"
# Time off policy

## Vacation
Full-time employees accrue 20 days of paid vacation per year, prorated in the first year. Up to five unused days carry over into the next calendar year.

## Holidays
The company observes eleven public holidays each year; the calendar is published every December.

## Sick leave
Take the time you need when you are ill. For absences longer than five consecutive working days, let your manager and HR know so we can help with any paperwork.

## Parental leave
Birthing parents receive 16 weeks of fully paid leave; other parents receive 12 weeks. Leave can be taken within the first year after a birth or adoption.

## Requesting time off
Request vacation in the HR portal at least two weeks ahead for anything longer than three days, and agree coverage with your team before you go.
"#;

const HR_ONBOARDING: &str = r#"
# Engineering onboarding checklist

## Before day one
- IT ships a laptop and hardware security key.
- The manager assigns an onboarding buddy and a starter issue.

## Week one
- Set up the development environment by following the repository README.
- Get access to the staging environment and the incident channel.
- Pair with your buddy on the starter issue and ship it to production.

## Weeks two to four
- Read the ingestion pipeline architecture document and the on-call runbook.
- Shadow one on-call shift before joining the rotation.
- Meet each tech lead for a 30-minute overview of their area.

## First 90 days
Agree goals with your manager by day 30 and review progress at day 90.
"#;

const HR_EXPENSES: &str = r#"
# Travel and expense policy

## General rules
Spend company money as if it were your own. Submit receipts in the expense tool within 30 days of the purchase.

## Travel
Book flights through the travel portal. Economy class is standard; premium economy is allowed for flights longer than six hours. Hotels should be within the city rate published in the portal.

## Meals
Meals while travelling are reimbursed up to $75 per day. Customer dinners need the attendee names in the expense note.

## Approvals
Expenses above $500 need manager approval before purchase. Anything unusual goes to finance: ask Dana Whitfield.
"#;

const MEET_ENG_SYNC: &str = r#"
# Weekly engineering sync, 2025-07-01

Attendees: Lena Fischer, Sam Okafor, Ravi Patel, Aisha Bello

## Updates
- Ravi: the cold-cache load test from the May postmortem is merged and runs nightly.
- Aisha: export job rewrite is in review; it fixes the delayed exports that Northwind reported in Q2.
- Sam: canary duration for cache changes is now 30 minutes.

## Discussion
The team agreed to freeze schema changes to `events.enriched` until the warehouse loader migration finishes. Lena raised the Q3 capacity review; Sam will pull peak traffic numbers.

## Action items
- Aisha to ship the export rewrite by 2025-07-11.
- Sam to share peak traffic numbers before the planning call.
"#;

const MEET_PIPELINE: &str = r#"
# Sales pipeline review, 2025-06-30

Attendees: Priya Raman, Tomás Reyes, Dana Whitfield

## Forecast
Q3 commit is $1.9M with $2.6M best case. The largest open deals are the Northwind Traders expansion, the Contoso Pharma platform deal and the Fabrikam renewal.

## Deal notes
- Northwind expansion: proposal stage, about $118k. Jordan Ellis wants pricing for 60 more seats plus realtime dashboards.
- Contoso Pharma: negotiation, legal is reviewing the data processing agreement.
- Fabrikam: renewal at risk after their champion left; Tomás is building a new relationship with their CTO.

## Follow-ups
Dana will review the discount requested for Contoso. Priya will bring the Northwind expansion to the Q3 planning call.
"#;
