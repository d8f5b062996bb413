//! The Graph resources NumberDesk reads, as loosely as is safe: enums Microsoft may extend
//! (`unknownFutureValue`, `skipped`, …) are kept as strings, and unknown fields are ignored.
//!
//! Nullability follows the official v1.0 metadata (`microsoft.graph.teamsAdministration`):
//! `telephoneNumber` and `numberType` are required (a row without them cannot be acted on);
//! `assignmentStatus`, `assignmentTargetId`, `assignmentCategory`, `city`, `isoCountryCode`,
//! `locationId`, `civicAddressId`, `numberSource` and the rest may be `null`. A listing is read
//! row by row, so one row NumberDesk cannot read is reported as such and never breaks the page.

use serde::de::{self, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::value::RawValue;
use serde_json::Value;
use std::fmt;

/// A page of a collection, its rows still unread.
#[derive(Debug, Deserialize)]
pub(super) struct Page {
    pub value: Vec<Value>,
}

/// One row of a number page: read, or kept as a row NumberDesk could not read.
pub(super) type PageRow = Result<NumberAssignment, UnreadableRow>;

/// A page of the number list, read from its bytes: what the listing needs of it.
#[derive(Debug, PartialEq)]
pub(super) struct NumberPage {
    /// Whether `@odata.nextLink` is there at all, whatever its value.
    pub link_given: bool,
    /// `@odata.nextLink`, when it is text.
    pub next_link: Option<String>,
    /// The rows of its `value` array as Microsoft sent them; `None` without one.
    pub raw_rows: Option<usize>,
    /// The `id` of the first and of the last row of `value`, when it is text (the seam).
    pub first_id: Option<String>,
    pub last_id: Option<String>,
    /// Every row in order, read or not; `Err` (why, in Graph's terms) when the page is not a
    /// list of rows (no `value` array).
    pub rows: Result<Vec<PageRow>, String>,
}

impl NumberPage {
    /// Takes the first row out when its `id` is `seam_id` (the row read last, again); `false`
    /// when it is not, or there is no first row.
    pub fn take_seam(&mut self, seam_id: &str) -> bool {
        if self.first_id.as_deref() != Some(seam_id) {
            return false;
        }
        // A first id means a `value` array with a first row, so the rows were read.
        let Some(rows) = self.rows.as_mut().ok().filter(|rows| !rows.is_empty()) else {
            return false;
        };
        let _seam_row = rows.remove(0);
        if rows.is_empty() {
            self.last_id = None;
        }
        true
    }

    /// The rows, readable and unreadable apart; `Err` as [`NumberPage::rows`].
    pub fn into_rows(self) -> Result<(Vec<NumberAssignment>, Vec<UnreadableRow>), String> {
        let rows = self.rows?;
        let mut read = Vec::with_capacity(rows.len());
        let mut unreadable = Vec::new();
        for row in rows {
            match row {
                Ok(number) => read.push(number),
                Err(row) => unreadable.push(row),
            }
        }
        Ok((read, unreadable))
    }
}

/// Reads a page of the number list from its bytes; `Err` when they are not JSON.
///
/// The rows are read straight from the bytes, each on its own (a 1,000-row page is not first
/// built into a tree of JSON values, which cost most of the read's processor time). The
/// result is exactly what reading the page as a tree gives ([`number_page_from_tree`], which
/// the tests and fuzzers hold it to): the bytes are first checked as strictly as a tree reads
/// them (numbers in range, escapes whole, nesting within the limit) without keeping anything;
/// a row that does not read is read again as a tree, for the same reason in the same words;
/// anything else a tree would read differently (no object, no `value` array, a name given
/// twice) is read as a tree.
pub(super) fn read_number_page(body: &[u8]) -> Result<NumberPage, serde_json::Error> {
    match number_page_straight(body) {
        Some(page) => Ok(page),
        None => serde_json::from_slice::<Value>(body).map(number_page_from_tree),
    }
}

/// The page from its bytes, or `None` where only reading it as a tree says what it is.
fn number_page_straight(body: &[u8]) -> Option<NumberPage> {
    /// The page's members NumberDesk reads; the rows kept as their text.
    #[derive(Deserialize)]
    struct RawPage<'a> {
        #[serde(
            rename = "@odata.nextLink",
            default,
            borrow,
            deserialize_with = "given"
        )]
        next_link: Option<&'a RawValue>,
        #[serde(borrow)]
        value: Vec<&'a RawValue>,
    }
    /// Whatever the member holds, `null` included: it is there.
    fn given<'de, D: Deserializer<'de>>(d: D) -> Result<Option<&'de RawValue>, D::Error> {
        <&RawValue>::deserialize(d).map(Some)
    }
    if body.trim_ascii_start().first() != Some(&b'{') {
        return None;
    }
    serde_json::from_slice::<Checked>(body).ok()?;
    let page: RawPage = serde_json::from_slice(body).ok()?;
    let mut rows = Vec::with_capacity(page.value.len());
    for raw in &page.value {
        rows.push(match serde_json::from_str::<NumberAssignment>(raw.get()) {
            Ok(number) => Ok(number),
            Err(_) => read_row(serde_json::from_str(raw.get()).ok()?),
        });
    }
    let id_of = |raw: Option<&&RawValue>| -> Option<Option<String>> {
        match raw {
            None => Some(None),
            Some(raw) => {
                let row: Value = serde_json::from_str(raw.get()).ok()?;
                Some(row_id(&row).map(str::to_owned))
            }
        }
    };
    Some(NumberPage {
        link_given: page.next_link.is_some(),
        next_link: match page.next_link {
            Some(raw) if raw.get().starts_with('"') => serde_json::from_str(raw.get()).ok()?,
            _ => None,
        },
        raw_rows: Some(page.value.len()),
        first_id: id_of(page.value.first())?,
        last_id: id_of(page.value.last())?,
        rows: Ok(rows),
    })
}

/// A page of the number list read as a tree of JSON values, as NumberDesk always read it.
pub(super) fn number_page_from_tree(value: Value) -> NumberPage {
    let link = value.get("@odata.nextLink");
    let rows = value.get("value").and_then(Value::as_array);
    let id_of = |row: Option<&Value>| row.and_then(row_id).map(str::to_owned);
    NumberPage {
        link_given: link.is_some(),
        next_link: link.and_then(Value::as_str).map(str::to_owned),
        raw_rows: rows.map(Vec::len),
        first_id: id_of(rows.and_then(|rows| rows.first())),
        last_id: id_of(rows.and_then(|rows| rows.last())),
        rows: serde_json::from_value::<Page>(value)
            .map(|page| page.value.into_iter().map(read_row).collect())
            .map_err(|e| e.to_string()),
    }
}

/// A raw row's `id`, as the seam compares it.
fn row_id(row: &Value) -> Option<&str> {
    row.get("id").and_then(|v| v.as_str())
}

/// Any JSON value, checked as strictly as a [`Value`] reads it and kept nowhere.
struct Checked;

impl<'de> Deserialize<'de> for Checked {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Checked, D::Error> {
        deserializer.deserialize_any(Checked)
    }
}

impl<'de> Visitor<'de> for Checked {
    type Value = Checked;

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("any JSON value")
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Checked, E> {
        Ok(Checked)
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Checked, E> {
        Ok(Checked)
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Checked, E> {
        Ok(Checked)
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Checked, E> {
        Ok(Checked)
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<Checked, E> {
        Ok(Checked)
    }
    fn visit_unit<E: de::Error>(self) -> Result<Checked, E> {
        Ok(Checked)
    }
    fn visit_none<E: de::Error>(self) -> Result<Checked, E> {
        Ok(Checked)
    }
    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Checked, D::Error> {
        Checked::deserialize(deserializer)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Checked, A::Error> {
        while seq.next_element::<Checked>()?.is_some() {}
        Ok(Checked)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Checked, A::Error> {
        while map.next_entry::<Checked, Checked>()?.is_some() {}
        Ok(Checked)
    }
}

/// A row of a number listing that NumberDesk could not read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UnreadableRow {
    /// The row's number, when at least that could be read.
    pub telephone_number: Option<String>,
    /// What was wrong with it, in Graph's terms.
    pub reason: String,
}

/// A page's rows: the readable ones, and the ones that are not.
pub(super) fn read_rows(rows: Vec<Value>) -> (Vec<NumberAssignment>, Vec<UnreadableRow>) {
    let mut read = Vec::with_capacity(rows.len());
    let mut unreadable = Vec::new();
    for row in rows {
        match read_row(row) {
            Ok(number) => read.push(number),
            Err(row) => unreadable.push(row),
        }
    }
    (read, unreadable)
}

/// One row, read; or, when it cannot be, its number (when at least that reads) and why.
fn read_row(row: Value) -> PageRow {
    let telephone_number = row
        .get("telephoneNumber")
        .and_then(|v| v.as_str())
        .map(str::to_owned);
    serde_json::from_value::<NumberAssignment>(row).map_err(|error| UnreadableRow {
        telephone_number,
        reason: error.to_string(),
    })
}

/// `null` read as an empty list (collections are not nullable in the metadata, but one odd row
/// must not cost the page).
fn list_or_null<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<String>, D::Error> {
    Ok(Option::<Vec<String>>::deserialize(deserializer)?.unwrap_or_default())
}

/// `null` read as an empty id.
fn text_or_null<'de, D: Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    Ok(Option::<String>::deserialize(deserializer)?.unwrap_or_default())
}

/// A telephone number of the tenant and what it is assigned to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NumberAssignment {
    #[serde(default, deserialize_with = "text_or_null")]
    pub id: String,
    pub telephone_number: String,
    pub number_type: String,
    #[serde(default)]
    pub activation_state: Option<String>,
    /// Nullable in v1.0: `None` means Microsoft did not say.
    #[serde(default)]
    pub assignment_status: Option<String>,
    #[serde(default)]
    pub assignment_target_id: Option<String>,
    #[serde(default)]
    pub assignment_category: Option<String>,
    #[serde(default)]
    pub city: Option<String>,
    #[serde(default)]
    pub iso_country_code: Option<String>,
    #[serde(default)]
    pub location_id: Option<String>,
    #[serde(default)]
    pub civic_address_id: Option<String>,
    #[serde(default)]
    pub operator_id: Option<String>,
    #[serde(default)]
    pub number_source: Option<String>,
    #[serde(default, deserialize_with = "list_or_null")]
    pub capabilities: Vec<String>,
}

/// What a number is assigned to, from `assignmentStatus` (and the target when the status is
/// missing). Words Microsoft adds later (`unknownFutureValue`, or a new member) are `Other`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Assignment {
    Unassigned,
    User,
    ResourceAccount,
    ConferenceBridge,
    Policy,
    ThirdPartyApp,
    /// `internalError`, `unknownFutureValue`, a word NumberDesk does not know, or no status
    /// with a target: assigned to something Microsoft did not name.
    Other(Option<String>),
}

impl NumberAssignment {
    /// What the number is assigned to. A `null` status with no target is read as unassigned;
    /// a `null` status with a target as assigned to something unnamed.
    pub fn assignment(&self) -> Assignment {
        let has_target = self
            .assignment_target_id
            .as_deref()
            .is_some_and(|t| !t.is_empty());
        match self.assignment_status.as_deref() {
            Some("unassigned") => Assignment::Unassigned,
            Some("userAssigned") => Assignment::User,
            Some("voiceApplicationAssigned") => Assignment::ResourceAccount,
            Some("conferenceAssigned") => Assignment::ConferenceBridge,
            Some("policyAssigned") => Assignment::Policy,
            Some("thirdPartyAppAssigned") => Assignment::ThirdPartyApp,
            None if !has_target => Assignment::Unassigned,
            other => Assignment::Other(other.map(str::to_owned)),
        }
    }

    /// Whether the number is assigned to anything.
    pub fn is_assigned(&self) -> bool {
        self.assignment() != Assignment::Unassigned
    }

    /// Whether the target is a user or resource account, whose name can be read.
    pub fn is_assigned_to_account(&self) -> bool {
        matches!(
            self.assignment(),
            Assignment::User | Assignment::ResourceAccount
        )
    }

    /// `assignmentStatus` as Microsoft wrote it, `"unknown"` when it was `null`.
    pub fn status_text(&self) -> String {
        self.assignment_status
            .clone()
            .unwrap_or_else(|| "unknown".to_owned())
    }
}

/// A user or resource account, for its name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DirectoryUser {
    pub id: String,
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub user_principal_name: Option<String>,
}

/// An operation's status. Values Microsoft adds later are kept verbatim and count as settled
/// without success, so NumberDesk never waits forever on a word it does not know.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RemoteStatus {
    NotStarted,
    Running,
    Succeeded,
    Failed,
    Skipped,
    Other(String),
}

impl RemoteStatus {
    pub fn parse(text: &str) -> RemoteStatus {
        match text {
            "notStarted" => RemoteStatus::NotStarted,
            "running" => RemoteStatus::Running,
            "succeeded" => RemoteStatus::Succeeded,
            "failed" => RemoteStatus::Failed,
            "skipped" => RemoteStatus::Skipped,
            other => RemoteStatus::Other(other.to_owned()),
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            RemoteStatus::NotStarted => "notStarted",
            RemoteStatus::Running => "running",
            RemoteStatus::Succeeded => "succeeded",
            RemoteStatus::Failed => "failed",
            RemoteStatus::Skipped => "skipped",
            RemoteStatus::Other(other) => other,
        }
    }

    pub fn is_settled(&self) -> bool {
        !matches!(self, RemoteStatus::NotStarted | RemoteStatus::Running)
    }
}

/// One number's part of an operation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OperationNumber {
    #[serde(default)]
    pub resource_location: Option<String>,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub status_detail: Option<String>,
}

/// A `telephoneNumberLongRunningOperation`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OperationStatus {
    pub id: Option<String>,
    pub status: RemoteStatus,
    pub created: Option<String>,
    pub numbers: Vec<OperationNumber>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawOperation {
    #[serde(default)]
    id: Option<String>,
    status: Option<String>,
    #[serde(default)]
    created_date_time: Option<String>,
    #[serde(default)]
    numbers: Vec<OperationNumber>,
}

impl OperationStatus {
    /// Reads the entity, or the `{"value": {...}}` envelope Microsoft's documentation shows.
    pub fn from_json(value: serde_json::Value) -> Result<OperationStatus, String> {
        let entity = match value.get("value") {
            Some(inner) if inner.is_object() => inner.clone(),
            _ => value,
        };
        let raw: RawOperation = serde_json::from_value(entity)
            .map_err(|e| format!("the operation could not be read ({e})"))?;
        let status = raw
            .status
            .ok_or_else(|| "the operation has no status".to_owned())?;
        Ok(OperationStatus {
            id: raw.id,
            status: RemoteStatus::parse(&status),
            created: raw.created_date_time,
            numbers: raw.numbers,
        })
    }

    /// The per-number entry (`numbers[]`) that speaks for the operation's number. An unassign
    /// or assign names one number, so one entry; should there be several, the first that did
    /// not succeed speaks (NumberDesk never calls a change succeeded that an entry contradicts).
    pub fn number_entry(&self) -> Option<&OperationNumber> {
        self.numbers
            .iter()
            .find(|n| n.status.as_deref().is_some_and(|s| s != "succeeded"))
            .or_else(|| self.numbers.first())
    }

    /// The first per-number detail, which says why a number failed.
    pub fn detail(&self) -> Option<String> {
        self.numbers
            .iter()
            .filter_map(|n| n.status_detail.clone())
            .find(|d| !d.trim().is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn both_operation_shapes_are_read() {
        let entity = json!({"id":"op1","status":"running","createdDateTime":"2025-02-03T22:03:26Z","numbers":[]});
        let wrapped = json!({"value": entity.clone()});
        for value in [entity, wrapped] {
            let op = OperationStatus::from_json(value).unwrap();
            assert_eq!(op.status, RemoteStatus::Running);
            assert_eq!(op.id.as_deref(), Some("op1"));
        }
    }

    #[test]
    fn unknown_statuses_are_kept_and_settle() {
        let op = OperationStatus::from_json(json!({"status":"paused","numbers":[{"status":"paused","statusDetail":"Held by carrier"}]})).unwrap();
        assert_eq!(op.status, RemoteStatus::Other("paused".into()));
        assert!(op.status.is_settled());
        assert_eq!(op.status.as_str(), "paused");
        assert_eq!(op.detail().as_deref(), Some("Held by carrier"));
        assert!(!RemoteStatus::NotStarted.is_settled());
        assert!(RemoteStatus::Skipped.is_settled());
    }

    #[test]
    fn one_unreadable_row_never_breaks_a_page() {
        let page: Page = serde_json::from_value(json!({"value": [
            {"id":"a","telephoneNumber":"+12065550100","numberType":"callingPlan",
             "assignmentStatus":null,"assignmentTargetId":"u1","assignmentCategory":null,
             "city":null,"isoCountryCode":null,"locationId":null,"civicAddressId":null,
             "numberSource":null,"capabilities":null,"activationState":"activated"},
            {"id":"b","telephoneNumber":"+12065550101","numberType":null},
            {"id":"c","numberType":"directRouting"},
            {"id":"d","telephoneNumber":"+12065550103","numberType":"unknownFutureValue",
             "assignmentStatus":"unknownFutureValue","assignmentTargetId":"x"},
            {"id":"e","telephoneNumber":"+12065550104","numberType":"directRouting",
             "assignmentStatus":null}
        ]}))
        .unwrap();
        let (read, unreadable) = read_rows(page.value);
        assert_eq!(read.len(), 3);
        assert_eq!(unreadable.len(), 2);
        assert_eq!(
            unreadable[0].telephone_number.as_deref(),
            Some("+12065550101")
        );
        assert!(
            unreadable[0].reason.contains("null"),
            "{}",
            unreadable[0].reason
        );
        assert_eq!(unreadable[1].telephone_number, None);
        // A null status with a target: assigned to something Microsoft did not name.
        assert_eq!(read[0].assignment(), Assignment::Other(None));
        assert!(read[0].is_assigned() && !read[0].is_assigned_to_account());
        assert!(read[0].capabilities.is_empty());
        // unknownFutureValue is assigned to something, never mistaken for a user.
        assert_eq!(
            read[1].assignment(),
            Assignment::Other(Some("unknownFutureValue".into()))
        );
        // No status and no target: nothing to remove.
        assert!(!read[2].is_assigned());
        assert_eq!(read[2].status_text(), "unknown");
    }

    /// A page read from its bytes, checked against the same page read as a tree.
    fn straight(body: &str) -> NumberPage {
        let page = read_number_page(body.as_bytes()).expect(body);
        let tree = number_page_from_tree(serde_json::from_str(body).unwrap());
        assert_eq!(page, tree, "{body}");
        page
    }

    #[test]
    fn an_unreadable_row_inside_a_page_is_kept_with_its_number_and_reason() {
        let body = r#"{"@odata.context":"x","value":[
                {"id":"a","telephoneNumber":"+12065550100","numberType":"callingPlan"},
                {"id":"b","telephoneNumber":"+12065550101","numberType":null},
                {"id":"c","numberType":"directRouting","capabilities":["x"]},
                {"id":"d","telephoneNumber":"+12065550103","numberType":"directRouting","city":7},
                {"id":"e","telephoneNumber":"+12065550104","numberType":"directRouting",
                 "numberType":"callingPlan"},
                "not a row",
                {"id":"g","telephoneNumber":"+1206555\u0030105","numberType":"callingPlan",
                 "unknown":{"deep":[1,2.5e300,-3,true,null,"\ud83d\ude00"]}}
            ]}"#;
        assert!(
            number_page_straight(body.as_bytes()).is_some(),
            "odd rows do not cost the page its straight reading"
        );
        let page = straight(body);
        assert_eq!(page.raw_rows, Some(7));
        assert_eq!(page.first_id.as_deref(), Some("a"));
        assert_eq!(page.last_id.as_deref(), Some("g"));
        let (read, unreadable) = page.into_rows().unwrap();
        let numbers: Vec<&str> = read.iter().map(|n| n.telephone_number.as_str()).collect();
        // A member given twice is read as a tree reads it: the last one.
        assert_eq!(numbers, ["+12065550100", "+12065550104", "+12065550105"]);
        assert_eq!(read[1].number_type, "callingPlan");
        let kept: Vec<(Option<&str>, &str)> = unreadable
            .iter()
            .map(|r| (r.telephone_number.as_deref(), r.reason.as_str()))
            .collect();
        assert_eq!(
            kept,
            [
                (
                    Some("+12065550101"),
                    "invalid type: null, expected a string"
                ),
                (None, "missing field `telephoneNumber`"),
                (
                    Some("+12065550103"),
                    "invalid type: integer `7`, expected a string"
                ),
                (
                    None,
                    "invalid type: string \"not a row\", expected struct NumberAssignment"
                ),
            ]
        );
    }

    #[test]
    fn a_page_without_a_list_of_rows_is_no_list_of_numbers() {
        for (body, reason) in [
            (r#"{"@odata.context":"x"}"#, "missing field `value`"),
            (
                r#"{"value":null}"#,
                "invalid type: null, expected a sequence",
            ),
            (
                r#"{"value":{"id":"a"}}"#,
                "invalid type: map, expected a sequence",
            ),
            (
                r#""value""#,
                "invalid type: string \"value\", expected struct Page",
            ),
        ] {
            let page = straight(body);
            assert_eq!(page.rows, Err(reason.to_string()), "{body}");
            assert_eq!(page.raw_rows, None);
        }
        for body in ["", "{", "<html>busy</html>", r#"{"value":[]} x"#] {
            let straight = read_number_page(body.as_bytes()).unwrap_err().to_string();
            let tree = serde_json::from_slice::<Value>(body.as_bytes())
                .unwrap_err()
                .to_string();
            assert_eq!(straight, tree, "{body}");
        }
    }

    #[test]
    fn what_a_tree_would_not_read_is_not_read_straight_either() {
        // Numbers out of range, half a surrogate pair, nesting past the parser's limit, in a
        // member NumberDesk never reads: a tree refuses the whole page, and so does the page.
        let deep = format!("{}{}", "[".repeat(200), "]".repeat(200));
        for junk in ["1e400", r#""\ud800""#, deep.as_str()] {
            let body = format!(
                r#"{{"junk":{junk},"value":[{{"id":"a","telephoneNumber":"+1","numberType":"x"}}]}}"#
            );
            let straight = read_number_page(body.as_bytes()).unwrap_err().to_string();
            let tree = serde_json::from_slice::<Value>(body.as_bytes())
                .unwrap_err()
                .to_string();
            assert_eq!(straight, tree, "{junk}");
        }
    }

    #[test]
    fn links_ids_and_seams_read_as_a_tree_reads_them() {
        for body in [
            r#"{"value":[],"@odata.nextLink":null}"#,
            r#"{"value":[],"@odata.nextLink":7}"#,
            r#"{"value":[],"@odata.nextLink":"https://graph/next?$skip=1\u0026$top=2"}"#,
            r#"{"@odata.nextLink":"a","@odata.nextLink":"b","value":[]}"#,
            r#"{"value":[1],"value":[]}"#,
            r#"[[{"id":"a","telephoneNumber":"+1","numberType":"x"}]]"#,
            r#"{"value":[{"id":null,"telephoneNumber":"+1","numberType":"x"},{"telephoneNumber":"+2","numberType":"x"}]}"#,
            r#"{"value":[{"id":5,"telephoneNumber":"+1","numberType":"x"},{"id":"","telephoneNumber":"+2","numberType":"x"}]}"#,
            r#"  {"value":[{"id":"only","telephoneNumber":"+1","numberType":"x"}]}  "#,
        ] {
            straight(body);
        }
        let mut page = straight(r#"{"value":[],"@odata.nextLink":"https://graph/next"}"#);
        assert!(page.link_given);
        assert_eq!(page.next_link.as_deref(), Some("https://graph/next"));
        assert!(!page.take_seam("a"), "no first row");
        let mut page = straight(
            r#"{"value":[{"id":"a","telephoneNumber":"+1","numberType":"x"},{"id":"b","telephoneNumber":"+2","numberType":"x"}]}"#,
        );
        assert!(!page.take_seam("b"), "the seam is the first row or nothing");
        assert!(page.take_seam("a"));
        assert_eq!(page.last_id.as_deref(), Some("b"));
        let (read, _) = page.into_rows().unwrap();
        assert_eq!(read.len(), 1);
        let mut only = straight(r#"{"value":[{"id":"a","numberType":"x"}]}"#);
        assert!(
            only.take_seam("a"),
            "an unreadable seam row is the seam too"
        );
        assert_eq!((only.last_id, only.raw_rows), (None, Some(1)));
        assert_eq!(only.rows, Ok(Vec::new()));
    }

    #[test]
    fn the_number_entry_that_did_not_succeed_speaks() {
        let op = OperationStatus::from_json(json!({"status":"succeeded","numbers":[
            {"status":"succeeded"},{"status":"failed","statusDetail":"no"}]}))
        .unwrap();
        assert_eq!(op.number_entry().unwrap().status.as_deref(), Some("failed"));
        let none = OperationStatus::from_json(json!({"status":"running"})).unwrap();
        assert!(none.number_entry().is_none());
    }

    #[test]
    fn malformed_operations_are_errors_not_panics() {
        assert!(OperationStatus::from_json(json!({"numbers":[]})).is_err());
        assert!(OperationStatus::from_json(json!([1, 2])).is_err());
        assert!(OperationStatus::from_json(json!({"value": "x"})).is_err());
    }
}
