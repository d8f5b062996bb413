//! The Graph resources NumberDesk reads, as loosely as is safe: enums Microsoft may extend
//! (`unknownFutureValue`, `skipped`, …) are kept as strings, and unknown fields are ignored.

use serde::{Deserialize, Serialize};

/// A page of a collection.
#[derive(Debug, Deserialize)]
pub(super) struct Page<T> {
    pub value: Vec<T>,
}

/// A telephone number of the tenant and what it is assigned to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NumberAssignment {
    #[serde(default)]
    pub id: String,
    pub telephone_number: String,
    pub number_type: String,
    #[serde(default)]
    pub activation_state: Option<String>,
    pub assignment_status: String,
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
    #[serde(default)]
    pub capabilities: Vec<String>,
}

impl NumberAssignment {
    /// Whether the number is assigned to anything.
    pub fn is_assigned(&self) -> bool {
        self.assignment_status != "unassigned"
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
    fn malformed_operations_are_errors_not_panics() {
        assert!(OperationStatus::from_json(json!({"numbers":[]})).is_err());
        assert!(OperationStatus::from_json(json!([1, 2])).is_err());
        assert!(OperationStatus::from_json(json!({"value": "x"})).is_err());
    }
}
