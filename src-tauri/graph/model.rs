//! The Graph resources NumberDesk reads, as loosely as is safe: enums Microsoft may extend
//! (`unknownFutureValue`, `skipped`, …) are kept as strings, and unknown fields are ignored.
//!
//! Nullability follows the official v1.0 metadata (`microsoft.graph.teamsAdministration`):
//! `telephoneNumber` and `numberType` are required (a row without them cannot be acted on);
//! `assignmentStatus`, `assignmentTargetId`, `assignmentCategory`, `city`, `isoCountryCode`,
//! `locationId`, `civicAddressId`, `numberSource` and the rest may be `null`. A listing is read
//! row by row, so one row NumberDesk cannot read is reported as such and never breaks the page.

use serde::{Deserialize, Deserializer, Serialize};

/// A page of a collection, its rows still unread.
#[derive(Debug, Deserialize)]
pub(super) struct Page {
    pub value: Vec<serde_json::Value>,
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
pub(super) fn read_rows(
    rows: Vec<serde_json::Value>,
) -> (Vec<NumberAssignment>, Vec<UnreadableRow>) {
    let mut read = Vec::with_capacity(rows.len());
    let mut unreadable = Vec::new();
    for row in rows {
        let telephone_number = row
            .get("telephoneNumber")
            .and_then(|v| v.as_str())
            .map(str::to_owned);
        match serde_json::from_value::<NumberAssignment>(row) {
            Ok(number) => read.push(number),
            Err(error) => unreadable.push(UnreadableRow {
                telephone_number,
                reason: error.to_string(),
            }),
        }
    }
    (read, unreadable)
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
