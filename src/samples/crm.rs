//! The `crm` sample server: contacts, companies and deals, held in memory.

use std::sync::{Arc, Mutex, MutexGuard};

use rmcp::{
    Json, ServerHandler,
    handler::server::{router::tool::ToolRouter, wrapper::Parameters},
    model::{Implementation, JsonObject, ServerCapabilities, ServerConfig},
    tool, tool_handler, tool_router,
};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::activities::{ExportActivitiesParams, ExportActivitiesResult};

const INSTRUCTIONS: &str = "A small CRM with contacts, companies and deals. Use find_records to \
look records up by name, company or email (optionally one record type), get_record to read one \
record in full, and update_record to change fields of a record. Record ids look like `ct-001` \
(contact), `co-001` (company) and `dl-001` (deal). Data lives in memory: updates last until the \
server process exits.";

const DEFAULT_FIND_LIMIT: u32 = 10;
const MAX_LIMIT: u32 = 100;

/// The kind of a CRM record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub(crate) enum RecordType {
    Contact,
    Company,
    Deal,
}

impl RecordType {
    /// The type name as it appears on the wire.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            RecordType::Contact => "contact",
            RecordType::Company => "company",
            RecordType::Deal => "deal",
        }
    }
}

/// Sales stage of a deal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum DealStage {
    Prospecting,
    Qualification,
    Proposal,
    Negotiation,
    ClosedWon,
    ClosedLost,
}

/// A person at a customer or prospect.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub(crate) struct Contact {
    /// Record id, e.g. `ct-001`.
    pub id: String,
    /// Full name.
    pub name: String,
    /// Job title.
    pub title: String,
    /// Id of the contact's company record, or null when unaffiliated.
    pub company_id: Option<String>,
    /// Email address.
    pub email: String,
    /// Phone number.
    pub phone: String,
    /// Free-form notes.
    pub notes: String,
}

/// A customer or prospect organization.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub(crate) struct Company {
    /// Record id, e.g. `co-001`.
    pub id: String,
    /// Company name.
    pub name: String,
    /// Industry.
    pub industry: String,
    /// Headquarters city.
    pub city: String,
    /// Approximate number of employees.
    pub employees: u32,
    /// Free-form notes.
    pub notes: String,
}

/// A sales opportunity with a company.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub(crate) struct Deal {
    /// Record id, e.g. `dl-001`.
    pub id: String,
    /// Deal name.
    pub name: String,
    /// Id of the company record the deal is with.
    pub company_id: String,
    /// Id of the primary contact record, or null.
    pub contact_id: Option<String>,
    /// Current sales stage.
    pub stage: DealStage,
    /// Annual contract value in US dollars.
    pub amount: u64,
    /// Expected (or actual) close date, `YYYY-MM-DD`.
    pub close_date: String,
    /// Account executive who owns the deal.
    pub owner: String,
    /// Free-form notes.
    pub notes: String,
}

/// A CRM record; the `type` field tells which kind.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "type", rename_all = "lowercase")]
pub(crate) enum Record {
    Contact(Contact),
    Company(Company),
    Deal(Deal),
}

impl Record {
    pub(crate) fn id(&self) -> &str {
        match self {
            Record::Contact(c) => &c.id,
            Record::Company(c) => &c.id,
            Record::Deal(d) => &d.id,
        }
    }

    pub(crate) fn name(&self) -> &str {
        match self {
            Record::Contact(c) => &c.name,
            Record::Company(c) => &c.name,
            Record::Deal(d) => &d.name,
        }
    }

    pub(crate) fn record_type(&self) -> RecordType {
        match self {
            Record::Contact(_) => RecordType::Contact,
            Record::Company(_) => RecordType::Company,
            Record::Deal(_) => RecordType::Deal,
        }
    }

    fn company_id(&self) -> Option<&str> {
        match self {
            Record::Contact(c) => c.company_id.as_deref(),
            Record::Company(c) => Some(&c.id),
            Record::Deal(d) => Some(&d.company_id),
        }
    }
}

/// Arguments of `find_records`.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct FindRecordsParams {
    /// Case-insensitive text matched against record names, company names and email addresses. Omit to match every record.
    pub query: Option<String>,
    /// Only return records of this type. Omit for all types.
    #[serde(rename = "type")]
    pub record_type: Option<RecordType>,
    /// Maximum number of records to return (1-100, default 10).
    #[schemars(range(min = 1, max = 100))]
    pub limit: Option<u32>,
}

/// Result of `find_records`.
#[derive(Debug, Serialize, JsonSchema)]
pub(crate) struct FindRecordsResult {
    /// Matching records, in id order within each type (contacts, companies, deals).
    pub records: Vec<RecordSummary>,
    /// How many records matched before `limit` was applied.
    pub total: usize,
}

/// A short view of a record, for choosing one to fetch with `get_record`.
#[derive(Debug, Serialize, JsonSchema)]
pub(crate) struct RecordSummary {
    /// Record id.
    pub id: String,
    /// Record type.
    #[serde(rename = "type")]
    pub record_type: RecordType,
    /// Name of the contact, company or deal.
    pub name: String,
    /// Name of the related company (the company itself for company records), or null.
    pub company: Option<String>,
    /// Email address (contacts only), or null.
    pub email: Option<String>,
    /// One-line description: job title, industry and city, or stage, amount and close date.
    pub summary: String,
}

/// Arguments of `get_record`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct GetRecordParams {
    /// Record id, e.g. `ct-001`, `co-001` or `dl-001`.
    pub id: String,
}

/// Result of `get_record`.
#[derive(Debug, Serialize, JsonSchema)]
pub(crate) struct GetRecordResult {
    /// The full record.
    pub record: Record,
}

/// Arguments of `update_record`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct UpdateRecordParams {
    /// Id of the record to update.
    pub id: String,
    /// Fields to change, by name, with their new values. Contacts: name, title, company_id, email, phone, notes. Companies: name, industry, city, employees, notes. Deals: name, company_id, contact_id, stage, amount, close_date, owner, notes. `id` and `type` cannot be changed. Either every field is applied or none is.
    pub fields: JsonObject,
}

/// Result of `update_record`.
#[derive(Debug, Serialize, JsonSchema)]
pub(crate) struct UpdateRecordResult {
    /// The record after the update.
    pub record: Record,
    /// Names of the fields whose value changed.
    pub changed_fields: Vec<String>,
}

/// What values a field accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FieldKind {
    /// Any string.
    Text,
    /// A string with at least one non-space character.
    Name,
    Email,
    Phone,
    /// A `YYYY-MM-DD` date.
    Date,
    /// A non-negative integer up to the given maximum.
    Count(u64),
    Stage,
    /// The id of an existing record of the given type; nullable when the flag is set.
    Ref(RecordType, bool),
}

fn updatable_fields(kind: RecordType) -> &'static [(&'static str, FieldKind)] {
    use FieldKind::*;
    match kind {
        RecordType::Contact => &[
            ("name", Name),
            ("title", Text),
            ("company_id", Ref(RecordType::Company, true)),
            ("email", Email),
            ("phone", Phone),
            ("notes", Text),
        ],
        RecordType::Company => &[
            ("name", Name),
            ("industry", Text),
            ("city", Text),
            ("employees", Count(u32::MAX as u64)),
            ("notes", Text),
        ],
        RecordType::Deal => &[
            ("name", Name),
            ("company_id", Ref(RecordType::Company, false)),
            ("contact_id", Ref(RecordType::Contact, true)),
            ("stage", Stage),
            ("amount", Count(u64::MAX)),
            ("close_date", Date),
            ("owner", Name),
            ("notes", Text),
        ],
    }
}

/// The in-memory record store, shared by every session of one server process.
#[derive(Debug)]
pub(crate) struct Store {
    records: Vec<Record>,
}

impl Store {
    pub(crate) fn new() -> Self {
        Self {
            records: super::crm_data::initial_records(),
        }
    }

    pub(crate) fn get(&self, id: &str) -> Option<&Record> {
        self.records.iter().find(|r| r.id() == id)
    }

    fn company_name(&self, record: &Record) -> Option<String> {
        let id = record.company_id()?;
        self.get(id).map(|c| c.name().to_owned())
    }

    fn summarize(&self, record: &Record) -> RecordSummary {
        let summary = match record {
            Record::Contact(c) => c.title.clone(),
            Record::Company(c) => format!("{}, {}", c.industry, c.city),
            Record::Deal(d) => format!(
                "{}, ${}, closes {}",
                serde_json::to_value(d.stage)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default(),
                group_thousands(d.amount),
                d.close_date
            ),
        };
        RecordSummary {
            id: record.id().to_owned(),
            record_type: record.record_type(),
            name: record.name().to_owned(),
            company: self.company_name(record),
            email: match record {
                Record::Contact(c) => Some(c.email.clone()),
                _ => None,
            },
            summary,
        }
    }

    pub(crate) fn find(
        &self,
        query: Option<&str>,
        record_type: Option<RecordType>,
        limit: usize,
    ) -> FindRecordsResult {
        let needle = query.map(|q| q.trim().to_lowercase()).unwrap_or_default();
        let mut matching: Vec<&Record> = self
            .records
            .iter()
            .filter(|r| record_type.is_none_or(|t| r.record_type() == t))
            .filter(|r| {
                if needle.is_empty() {
                    return true;
                }
                let mut haystacks = vec![r.name().to_lowercase()];
                if let Some(company) = self.company_name(r) {
                    haystacks.push(company.to_lowercase());
                }
                if let Record::Contact(c) = r {
                    haystacks.push(c.email.to_lowercase());
                }
                haystacks.iter().any(|h| h.contains(&needle))
            })
            .collect();
        matching.sort_by_key(|r| (type_order(r.record_type()), r.id().to_owned()));
        FindRecordsResult {
            total: matching.len(),
            records: matching
                .into_iter()
                .take(limit)
                .map(|r| self.summarize(r))
                .collect(),
        }
    }

    /// Validate every field, then apply them all (or none, on any error).
    pub(crate) fn update(
        &mut self,
        id: &str,
        fields: &JsonObject,
    ) -> Result<UpdateRecordResult, String> {
        let record = self.get(id).ok_or_else(|| unknown_id(id))?;
        let kind = record.record_type();
        if fields.is_empty() {
            return Err("`fields` must name at least one field to update.".to_owned());
        }
        let allowed = updatable_fields(kind);
        for (name, value) in fields {
            if name == "id" || name == "type" {
                return Err(format!("Field `{name}` cannot be changed."));
            }
            let Some((_, field_kind)) = allowed.iter().find(|(n, _)| n == name) else {
                let names: Vec<&str> = allowed.iter().map(|(n, _)| *n).collect();
                return Err(format!(
                    "Unknown field `{name}` for a {} record. Updatable fields: {}.",
                    kind.as_str(),
                    names.join(", ")
                ));
            };
            self.check_value(name, *field_kind, value)?;
        }

        let Ok(Value::Object(mut object)) = serde_json::to_value(record) else {
            return Err(format!("Record `{id}` could not be serialized."));
        };
        let mut changed_fields = Vec::new();
        for (name, value) in fields {
            if object.get(name) != Some(value) {
                changed_fields.push(name.clone());
            }
            object.insert(name.clone(), value.clone());
        }
        let updated: Record = serde_json::from_value(Value::Object(object))
            .map_err(|e| format!("Update of `{id}` rejected: {e}."))?;
        let slot = self
            .records
            .iter_mut()
            .find(|r| r.id() == id)
            .ok_or_else(|| unknown_id(id))?;
        *slot = updated.clone();
        Ok(UpdateRecordResult {
            record: updated,
            changed_fields,
        })
    }

    fn check_value(&self, name: &str, kind: FieldKind, value: &Value) -> Result<(), String> {
        let text = value.as_str();
        let ok = match kind {
            FieldKind::Text => text.is_some(),
            FieldKind::Name => text.is_some_and(|s| !s.trim().is_empty()),
            FieldKind::Email => text.is_some_and(is_email),
            FieldKind::Phone => text.is_some_and(is_phone),
            FieldKind::Date => text.is_some_and(is_date),
            FieldKind::Count(max) => value.as_u64().is_some_and(|n| n <= max),
            FieldKind::Stage => serde_json::from_value::<DealStage>(value.clone()).is_ok(),
            FieldKind::Ref(target, nullable) => {
                if value.is_null() {
                    nullable
                } else if let Some(ref_id) = text {
                    return match self.get(ref_id) {
                        Some(r) if r.record_type() == target => Ok(()),
                        _ => Err(format!(
                            "Field `{name}` must be the id of an existing {} record; `{ref_id}` is not one.",
                            target.as_str()
                        )),
                    };
                } else {
                    false
                }
            }
        };
        if ok {
            return Ok(());
        }
        let expected = match kind {
            FieldKind::Text => "a string".to_owned(),
            FieldKind::Name => "a non-empty string".to_owned(),
            FieldKind::Email => "an email address such as `name@example.com`".to_owned(),
            FieldKind::Phone => "a phone number (digits, spaces, `+`, `-`, `(`, `)`)".to_owned(),
            FieldKind::Date => "a date in `YYYY-MM-DD` format".to_owned(),
            FieldKind::Count(u64::MAX) => "a non-negative integer".to_owned(),
            FieldKind::Count(max) => format!("a non-negative integer (at most {max})"),
            FieldKind::Stage => "one of prospecting, qualification, proposal, negotiation, \
                                 closed_won, closed_lost"
                .to_owned(),
            FieldKind::Ref(target, true) => {
                format!("the id of a {} record (a string), or null", target.as_str())
            }
            FieldKind::Ref(target, false) => {
                format!("the id of a {} record (a string)", target.as_str())
            }
        };
        Err(format!(
            "Field `{name}` must be {expected}; got {}.",
            describe(value)
        ))
    }
}

fn type_order(kind: RecordType) -> u8 {
    match kind {
        RecordType::Contact => 0,
        RecordType::Company => 1,
        RecordType::Deal => 2,
    }
}

fn unknown_id(id: &str) -> String {
    format!(
        "No record with id `{id}`. Ids look like `ct-001`, `co-001` or `dl-001`; call find_records to look them up."
    )
}

/// A short description of a JSON value for error messages.
fn describe(value: &Value) -> String {
    let kind = match value {
        Value::Null => return "null".to_owned(),
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => return "an array".to_owned(),
        Value::Object(_) => return "an object".to_owned(),
    };
    let mut shown = value.to_string();
    if shown.chars().count() > 40 {
        shown = shown.chars().take(40).collect::<String>() + "…";
    }
    format!("{kind} {shown}")
}

fn is_email(s: &str) -> bool {
    let mut parts = s.split('@');
    match (parts.next(), parts.next(), parts.next()) {
        (Some(local), Some(domain), None) => {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !s.contains(char::is_whitespace)
        }
        _ => false,
    }
}

fn is_phone(s: &str) -> bool {
    s.chars().filter(char::is_ascii_digit).count() >= 7
        && s.chars()
            .all(|c| c.is_ascii_digit() || " +-().".contains(c))
}

fn is_date(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return false;
    }
    let digits = |r: std::ops::Range<usize>| -> Option<u32> {
        let part = &s[r];
        part.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| part.parse().ok())
            .flatten()
    };
    match (digits(0..4), digits(5..7), digits(8..10)) {
        (Some(_), Some(month), Some(day)) => (1..=12).contains(&month) && (1..=31).contains(&day),
        _ => false,
    }
}

fn group_thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The `crm` sample MCP server. Clones share one in-memory store.
#[derive(Debug, Clone)]
pub(crate) struct CrmServer {
    store: Arc<Mutex<Store>>,
    tool_router: ToolRouter<Self>,
}

impl Default for CrmServer {
    fn default() -> Self {
        Self::new()
    }
}

impl CrmServer {
    fn store(&self) -> MutexGuard<'_, Store> {
        // A panic while holding the lock cannot leave a half-applied update (updates are
        // validated first and written in one assignment), so a poisoned lock is still usable.
        self.store
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[tool_router(router = tool_router)]
impl CrmServer {
    /// Create a server with a fresh store holding the initial records.
    pub(crate) fn new() -> Self {
        Self {
            store: Arc::new(Mutex::new(Store::new())),
            tool_router: Self::tool_router(),
        }
    }

    #[tool(
        title = "Find records",
        description = "Find contacts, companies and deals whose name, company name or email contains the query (case-insensitive). Returns short summaries; use get_record for full details.",
        annotations(read_only_hint = true, idempotent_hint = true, open_world_hint = false)
    )]
    fn find_records(
        &self,
        Parameters(params): Parameters<FindRecordsParams>,
    ) -> Result<Json<FindRecordsResult>, String> {
        let limit = match params.limit {
            None => DEFAULT_FIND_LIMIT as usize,
            Some(n) if (1..=MAX_LIMIT).contains(&n) => n as usize,
            Some(n) => {
                return Err(format!(
                    "`limit` must be between 1 and {MAX_LIMIT}, got {n}."
                ));
            }
        };
        Ok(Json(self.store().find(
            params.query.as_deref(),
            params.record_type,
            limit,
        )))
    }

    #[tool(
        title = "Get record",
        description = "Get one contact, company or deal by id, with all of its fields.",
        annotations(read_only_hint = true, idempotent_hint = true, open_world_hint = false)
    )]
    fn get_record(
        &self,
        Parameters(GetRecordParams { id }): Parameters<GetRecordParams>,
    ) -> Result<Json<GetRecordResult>, String> {
        let store = self.store();
        let record = store.get(&id).cloned().ok_or_else(|| unknown_id(&id))?;
        Ok(Json(GetRecordResult { record }))
    }

    #[tool(
        title = "Export activities",
        description = "Export the whole activity log: every call, email, meeting and note logged against any record, oldest first (10,000 rows).",
        annotations(read_only_hint = true, idempotent_hint = true, open_world_hint = false)
    )]
    fn export_activities(
        &self,
        Parameters(ExportActivitiesParams { since }): Parameters<ExportActivitiesParams>,
    ) -> Result<Json<ExportActivitiesResult>, String> {
        if let Some(day) = &since
            && !is_date(day)
        {
            return Err(format!(
                "`since` must be a day like 2025-07-01, got `{day}`."
            ));
        }
        let store = self.store();
        let ids: Vec<&str> = store.records.iter().map(Record::id).collect();
        let mut activities = super::activities::activities(&ids);
        if let Some(day) = &since {
            activities.retain(|a| a.date.as_str() >= day.as_str());
        }
        Ok(Json(ExportActivitiesResult {
            total: activities.len(),
            activities,
        }))
    }

    #[tool(
        title = "Update record",
        description = "Change fields of a contact, company or deal. Field names and value types are validated against the record type; on any error nothing is changed. Returns the updated record.",
        annotations(
            read_only_hint = false,
            destructive_hint = true,
            idempotent_hint = true,
            open_world_hint = false
        )
    )]
    fn update_record(
        &self,
        Parameters(UpdateRecordParams { id, fields }): Parameters<UpdateRecordParams>,
    ) -> Result<Json<UpdateRecordResult>, String> {
        self.store().update(&id, &fields).map(Json)
    }
}

#[tool_handler(router = self.tool_router)]
impl ServerHandler for CrmServer {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(
                Implementation::new("skillet-sample-crm", env!("CARGO_PKG_VERSION"))
                    .with_title("Skillet sample: CRM")
                    .with_description("An in-memory CRM for skillet demos and tests."),
            )
            .with_instructions(INSTRUCTIONS)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn fields(value: Value) -> JsonObject {
        match value {
            Value::Object(map) => map,
            other => panic!("not an object: {other}"),
        }
    }

    #[test]
    fn initial_data_is_consistent() {
        let store = Store::new();
        assert_eq!(store.records.len(), 30);
        let mut ids: Vec<&str> = store.records.iter().map(Record::id).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), 30, "duplicate ids");
        for record in &store.records {
            let prefix = match record.record_type() {
                RecordType::Contact => "ct-",
                RecordType::Company => "co-",
                RecordType::Deal => "dl-",
            };
            assert!(record.id().starts_with(prefix), "{}", record.id());
            match record {
                Record::Contact(c) => {
                    assert!(
                        c.email.ends_with("@example.com") || c.email.ends_with("@example.org"),
                        "{}",
                        c.email
                    );
                    assert!(c.phone.contains("555-01"), "{}", c.phone);
                    assert!(is_email(&c.email) && is_phone(&c.phone));
                    if let Some(company) = &c.company_id {
                        assert_eq!(
                            store.get(company).map(Record::record_type),
                            Some(RecordType::Company)
                        );
                    }
                }
                Record::Deal(d) => {
                    assert!(is_date(&d.close_date));
                    assert_eq!(
                        store.get(&d.company_id).map(Record::record_type),
                        Some(RecordType::Company)
                    );
                    if let Some(contact) = &d.contact_id {
                        assert_eq!(
                            store.get(contact).map(Record::record_type),
                            Some(RecordType::Contact)
                        );
                    }
                }
                Record::Company(_) => {}
            }
        }
    }

    #[test]
    fn transcript_customer_is_a_contact() {
        let store = Store::new();
        let found = store.find(Some(super::super::transcript::CUSTOMER_EMAIL), None, 10);
        assert_eq!(found.total, 1);
        let Some(Record::Contact(c)) = store.get(&found.records[0].id) else {
            panic!("not a contact");
        };
        assert_eq!(c.phone, super::super::transcript::CUSTOMER_PHONE);
    }

    #[test]
    fn find_matches_name_company_and_email() {
        let store = Store::new();
        let northwind = store.find(Some("NORTHWIND"), None, 100);
        // The company, its three contacts and its two deals.
        assert_eq!(northwind.total, 6);
        assert_eq!(northwind.records[0].record_type, RecordType::Contact);
        assert_eq!(
            northwind.records.last().map(|r| r.record_type),
            Some(RecordType::Deal)
        );

        let deals = store.find(Some("northwind"), Some(RecordType::Deal), 100);
        assert_eq!(deals.total, 2);
        assert!(
            deals.records[0]
                .summary
                .starts_with("proposal, $118,000, closes")
        );

        let by_email = store.find(Some("example.org"), Some(RecordType::Contact), 100);
        assert!(by_email.total >= 5);
        assert!(by_email.records.iter().all(|r| {
            r.email
                .as_deref()
                .is_some_and(|e| e.ends_with("example.org"))
        }));

        let all = store.find(None, None, 5);
        assert_eq!((all.total, all.records.len()), (30, 5));
        assert_eq!(store.find(Some("   "), None, 100).total, 30);
        assert_eq!(store.find(Some("nobody-here"), None, 100).total, 0);
    }

    #[test]
    fn update_applies_and_reports_changes() {
        let mut store = Store::new();
        let result = store
            .update(
                "dl-001",
                &fields(json!({"stage": "negotiation", "amount": 125000, "owner": "Priya Raman"})),
            )
            .expect("update");
        assert_eq!(result.changed_fields, vec!["stage", "amount"]);
        let Record::Deal(deal) = store.get("dl-001").expect("deal") else {
            panic!("not a deal");
        };
        assert_eq!(deal.stage, DealStage::Negotiation);
        assert_eq!(deal.amount, 125_000);

        store
            .update("ct-014", &fields(json!({"company_id": "co-007"})))
            .expect("set company");
        store
            .update("ct-014", &fields(json!({"company_id": null})))
            .expect("clear company");
    }

    #[test]
    fn update_rejects_bad_input_without_changes() {
        let mut store = Store::new();
        let before = store.get("dl-001").cloned();
        let cases = [
            (
                "dl-999",
                json!({"notes": "x"}),
                "No record with id `dl-999`",
            ),
            ("dl-001", json!({}), "at least one field"),
            ("dl-001", json!({"id": "dl-100"}), "cannot be changed"),
            (
                "dl-001",
                json!({"email": "a@example.com"}),
                "Unknown field `email` for a deal record. Updatable fields: name,",
            ),
            (
                "dl-001",
                json!({"notes": "ok", "amount": "lots"}),
                "Field `amount` must be a non-negative integer; got string \"lots\"",
            ),
            ("dl-001", json!({"amount": -5}), "non-negative integer"),
            (
                "dl-001",
                json!({"stage": "won"}),
                "must be one of prospecting",
            ),
            ("dl-001", json!({"close_date": "2025-13-01"}), "YYYY-MM-DD"),
            (
                "dl-001",
                json!({"company_id": null}),
                "a company record (a string); got null",
            ),
            (
                "dl-001",
                json!({"contact_id": "co-001"}),
                "existing contact record; `co-001` is not one",
            ),
            ("ct-001", json!({"email": "not-an-email"}), "email address"),
            ("ct-001", json!({"phone": 5550187}), "phone number"),
            ("ct-001", json!({"name": "  "}), "non-empty string"),
            ("co-001", json!({"employees": 1.5}), "non-negative integer"),
        ];
        for (id, value, expected) in cases {
            let err = store.update(id, &fields(value.clone())).unwrap_err();
            assert!(err.contains(expected), "{id} {value}: {err}");
        }
        assert_eq!(
            store.get("dl-001").cloned(),
            before,
            "failed updates must not apply"
        );
    }

    #[test]
    fn helpers() {
        assert_eq!(group_thousands(0), "0");
        assert_eq!(group_thousands(999), "999");
        assert_eq!(group_thousands(1_000), "1,000");
        assert_eq!(group_thousands(1_234_567), "1,234,567");
        assert!(is_date("2025-09-30"));
        assert!(!is_date("2025-9-30") && !is_date("2025-00-10") && !is_date("abcd-ef-gh"));
        assert!(is_email("a.b@example.com"));
        assert!(!is_email("a@b") && !is_email("@example.com") && !is_email("a@@example.com"));
        assert!(is_phone("+1 (415) 555-0187") && !is_phone("555") && !is_phone("call me"));
        assert_eq!(describe(&json!(null)), "null");
        assert_eq!(describe(&json!([1])), "an array");
        assert_eq!(describe(&json!(true)), "boolean true");
    }
}
