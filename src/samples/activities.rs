//! The CRM's activity log: 10,000 deterministic rows (calls, emails, meetings, notes), the kind
//! of large result that should be filtered in the sandbox rather than read by a model.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Rows in the log.
pub(super) const ACTIVITY_COUNT: usize = 10_000;

const OWNERS: [&str; 6] = [
    "Priya Raman",
    "Marcus Oyelaran",
    "Dana Whitfield",
    "Tomás Reyes",
    "Sam Okafor",
    "Lena Fischer",
];
const KINDS: [ActivityKind; 4] = [
    ActivityKind::Call,
    ActivityKind::Email,
    ActivityKind::Meeting,
    ActivityKind::Note,
];
const SUBJECTS: [&str; 10] = [
    "renewal terms",
    "pricing follow-up",
    "security questionnaire",
    "onboarding plan",
    "expansion to a second team",
    "quarterly business review",
    "support escalation",
    "contract redlines",
    "product roadmap preview",
    "invoice question",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub(super) enum ActivityKind {
    Call,
    Email,
    Meeting,
    Note,
}

/// One row of the activity log.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub(super) struct Activity {
    /// Activity id, e.g. `act-00042`.
    pub id: String,
    /// The contact, company or deal the activity is about.
    pub record_id: String,
    pub kind: ActivityKind,
    /// Day of the activity, `YYYY-MM-DD`.
    pub date: String,
    /// Who logged it.
    pub owner: String,
    /// Minutes spent (0 for emails and notes).
    pub duration_min: u32,
    /// One line about what happened.
    pub summary: String,
}

/// Result of `export_activities`.
#[derive(Debug, Serialize, JsonSchema)]
pub(super) struct ExportActivitiesResult {
    /// Every activity, oldest first.
    pub activities: Vec<Activity>,
    pub total: usize,
}

/// Arguments of `export_activities`.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct ExportActivitiesParams {
    /// Only activities on or after this day (`YYYY-MM-DD`). Omit for the whole log.
    pub since: Option<String>,
}

/// The whole log for the given record ids, generated the same way on every call.
pub(super) fn activities(record_ids: &[&str]) -> Vec<Activity> {
    let mut state: u64 = 0x00C0_FFEE_2025;
    let mut next = move |n: usize| {
        // xorshift64*: small, deterministic, good enough for sample data.
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        (state.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 33) as usize % n.max(1)
    };
    (0..ACTIVITY_COUNT)
        .map(|i| {
            let kind = KINDS[next(KINDS.len())];
            let day = i * 365 / ACTIVITY_COUNT;
            let (month, dom) = month_day(day);
            let subject = SUBJECTS[next(SUBJECTS.len())];
            let record_id = record_ids
                .get(next(record_ids.len().max(1)))
                .copied()
                .unwrap_or("co-001");
            let duration_min = match kind {
                ActivityKind::Call => 5 + next(40) as u32,
                ActivityKind::Meeting => 30 + 15 * next(5) as u32,
                _ => 0,
            };
            let verb = match kind {
                ActivityKind::Call => "Called about",
                ActivityKind::Email => "Emailed about",
                ActivityKind::Meeting => "Met to discuss",
                ActivityKind::Note => "Noted",
            };
            Activity {
                id: format!("act-{:05}", i + 1),
                record_id: record_id.to_owned(),
                kind,
                date: format!("2025-{month:02}-{dom:02}"),
                owner: OWNERS[next(OWNERS.len())].to_owned(),
                duration_min,
                summary: format!("{verb} {subject}."),
            }
        })
        .collect()
}

/// Month and day of month for day `n` (0-based) of 2025.
fn month_day(n: usize) -> (usize, usize) {
    const DAYS: [usize; 12] = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    let mut left = n.min(364);
    for (m, days) in DAYS.iter().enumerate() {
        if left < *days {
            return (m + 1, left + 1);
        }
        left -= days;
    }
    (12, 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_log_is_large_deterministic_and_dated_in_order() {
        let a = activities(&["ct-001", "co-001"]);
        assert_eq!(a.len(), ACTIVITY_COUNT);
        assert_eq!(a[0].date, "2025-01-01");
        assert_eq!(a[ACTIVITY_COUNT - 1].date, "2025-12-31");
        assert!(a.windows(2).all(|w| w[0].date <= w[1].date));
        let b = activities(&["ct-001", "co-001"]);
        assert_eq!(
            serde_json::to_string(&a).unwrap(),
            serde_json::to_string(&b).unwrap()
        );
        assert!(
            a.iter()
                .any(|x| x.kind == ActivityKind::Meeting && x.duration_min >= 30)
        );
    }
}
