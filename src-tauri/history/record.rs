//! What one operation record holds, and the statuses it moves through.
//!
//! The statuses mix two sources on purpose: NumberDesk's own (`sending`, `accepted`,
//! `outcomeUnknown`, `rejected`, `stale`) say what is known *locally* about the POST; Graph's
//! (`notStarted`, `running`, `succeeded`, `failed`, `skipped`, and anything it adds later) say
//! what Microsoft reports about the operation. One column keeps the view simple: a chip per
//! status, and "is this number still busy?" is one question ([`RecordStatus::is_in_flight`]).

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// What the operation does to the number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OperationKind {
    /// Take the number away from its assignee.
    Unassign,
    /// Give the number to an assignee (today: only to undo an unassign).
    Assign,
}

impl OperationKind {
    pub fn as_str(self) -> &'static str {
        match self {
            OperationKind::Unassign => "unassign",
            OperationKind::Assign => "assign",
        }
    }

    pub fn parse(text: &str) -> Option<OperationKind> {
        match text {
            "unassign" => Some(OperationKind::Unassign),
            "assign" => Some(OperationKind::Assign),
            _ => None,
        }
    }
}

/// Where an operation stands. Stored and serialised as the plain string ([`Self::as_str`]).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RecordStatus {
    /// Written just before the POST: it may or may not have left the machine.
    Sending,
    /// Microsoft answered `202 Accepted`; nothing polled yet.
    Accepted,
    /// Graph: accepted, not begun.
    NotStarted,
    /// Graph: under way.
    Running,
    /// Graph: the number changed.
    Succeeded,
    /// Graph: the number did not change; `status_detail` says why.
    Failed,
    /// Graph: the number was left alone.
    Skipped,
    /// The POST may or may not have reached Microsoft (a timeout after sending, a crash while
    /// `sending`). Only a lookup of the number settles it, so it counts as in flight.
    OutcomeUnknown,
    /// Microsoft refused the POST itself (4xx): nothing changed.
    Rejected,
    /// Not settled 24 h after it was requested. No longer blocks the number, but it keeps its
    /// `location`, so it can be checked again.
    Stale,
    /// A status Graph reported that NumberDesk does not know: settled, not a success, shown as
    /// Microsoft wrote it. Never equal to one of the names above (see [`Self::from_remote`]).
    Other(String),
}

/// The statuses that count as in flight, as SQL. The partial index `operations_in_flight` in
/// migration 1 carries the very same text: SQLite uses a partial index only when the query
/// repeats its `WHERE` term word for word. A test keeps the three (this, the index and
/// [`RecordStatus::is_in_flight`]) in step.
pub(crate) const IN_FLIGHT_SQL: &str =
    "status IN ('sending', 'accepted', 'notStarted', 'running', 'outcomeUnknown')";

impl RecordStatus {
    /// Every status with a name of its own, for tests and the UI's chip order.
    pub const KNOWN: [RecordStatus; 10] = [
        RecordStatus::Sending,
        RecordStatus::Accepted,
        RecordStatus::NotStarted,
        RecordStatus::Running,
        RecordStatus::OutcomeUnknown,
        RecordStatus::Succeeded,
        RecordStatus::Failed,
        RecordStatus::Skipped,
        RecordStatus::Rejected,
        RecordStatus::Stale,
    ];

    pub fn as_str(&self) -> &str {
        match self {
            RecordStatus::Sending => "sending",
            RecordStatus::Accepted => "accepted",
            RecordStatus::NotStarted => "notStarted",
            RecordStatus::Running => "running",
            RecordStatus::Succeeded => "succeeded",
            RecordStatus::Failed => "failed",
            RecordStatus::Skipped => "skipped",
            RecordStatus::OutcomeUnknown => "outcomeUnknown",
            RecordStatus::Rejected => "rejected",
            RecordStatus::Stale => "stale",
            RecordStatus::Other(other) => other,
        }
    }

    /// Reads a status as [`Self::as_str`] wrote it (the database, the UI).
    pub fn from_stored(text: &str) -> RecordStatus {
        RecordStatus::KNOWN
            .into_iter()
            .find(|known| known.as_str() == text)
            .unwrap_or_else(|| RecordStatus::Other(text.to_owned()))
    }

    /// Reads the `status` of a Graph operation. Graph's own names map to their variants; any
    /// other string is kept verbatim as [`RecordStatus::Other`] — unless it happens to spell one
    /// of NumberDesk's local names (`accepted`, `stale`, …), which would read back as that local
    /// status and could make a finished operation look in flight; such a string gets
    /// ` (Microsoft)` appended.
    pub fn from_remote(text: &str) -> RecordStatus {
        match text {
            "notStarted" => RecordStatus::NotStarted,
            "running" => RecordStatus::Running,
            "succeeded" => RecordStatus::Succeeded,
            "failed" => RecordStatus::Failed,
            "skipped" => RecordStatus::Skipped,
            "" => RecordStatus::Other("(empty)".to_owned()),
            other if matches!(RecordStatus::from_stored(other), RecordStatus::Other(_)) => {
                RecordStatus::Other(other.to_owned())
            }
            clash => RecordStatus::Other(format!("{clash} (Microsoft)")),
        }
    }

    /// The number may still change because of this operation: a second one must wait.
    pub fn is_in_flight(&self) -> bool {
        matches!(
            self,
            RecordStatus::Sending
                | RecordStatus::Accepted
                | RecordStatus::NotStarted
                | RecordStatus::Running
                | RecordStatus::OutcomeUnknown
        )
    }

    /// Nothing more will happen without someone asking (`stale` included).
    pub fn is_settled(&self) -> bool {
        !self.is_in_flight()
    }
}

impl std::fmt::Display for RecordStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for RecordStatus {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for RecordStatus {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Ok(RecordStatus::from_stored(&text))
    }
}

/// The account the number belongs to. For `unassign`: who had it before (so it can be given
/// back); for `assign`: who receives it. Every part is optional because Graph's number
/// assignment does not always carry a name or UPN (resource accounts, deleted users).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Assignee {
    /// The Entra object id (`assignmentTargetId`).
    pub id: Option<String>,
    pub name: Option<String>,
    pub upn: Option<String>,
    /// What kind of account held it (Graph's `assignmentStatus`): `userAssigned`,
    /// `voiceApplicationAssigned`, `conferenceAssigned`, …
    pub target_kind: Option<String>,
    /// Graph's `assignmentCategory` (`primary`, `private`, `alternate`).
    pub category: Option<String>,
    /// The emergency location id the number had, needed to assign it back.
    pub location_id: Option<String>,
}

/// Who did it. Never a token: the signed-in admin's name, tenant and cloud.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Actor {
    pub upn: String,
    pub tenant_id: String,
    /// The cloud's short name (`global`, `gcc`, `gcchigh`, `dod`, `china`, `custom`).
    pub cloud: String,
}

/// What went wrong, in the shape the UI already knows (`Problem`) once a view is built.
///
/// Records written since the history keeps facts hold `facts` and the failed call's kind
/// (`GraphErrorKind::name`, e.g. `forbidden`) with an empty `message`: the words are made from
/// the facts when a view is built (`crate::problem::records`). Older records hold the words
/// as the admin read them then (`kind` a problem kind, `message`, `hint`) and are shown as
/// they are.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RecordError {
    pub kind: String,
    pub message: String,
    pub hint: Option<String>,
    pub request_id: Option<String>,
    /// What Microsoft (or the connection) answered, when the record keeps facts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub facts: Option<ErrorFacts>,
}

/// A failed call as facts: what came back, not what to say about it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ErrorFacts {
    /// The HTTP status, when there was an answer.
    pub status: Option<u16>,
    /// Graph's `error.code` and `error.message`, verbatim.
    pub code: Option<String>,
    pub graph_message: Option<String>,
    /// NumberDesk's technical note (never a token), e.g. "HTTP 403" or why an address was not
    /// followed.
    pub detail: String,
    /// The cloud the change was sent in does not offer the telephone-number API.
    #[serde(default)]
    pub cloud_lacks_api: bool,
}

impl RecordError {
    /// Whether the words are still to be made from [`RecordError::facts`].
    pub fn needs_words(&self) -> bool {
        self.facts.is_some() && self.message.is_empty()
    }
}

/// What the caller knows before the POST.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NewOperation {
    pub kind: OperationKind,
    /// E.164, with `;ext=` when the number has one. Compared verbatim: normalise first.
    pub telephone_number: String,
    /// Graph's `numberType` (`directRouting`, `callingPlan`, `operatorConnect`).
    pub number_type: Option<String>,
    pub prior_assignee: Assignee,
    pub actor: Actor,
    /// The `client-request-id` the POST will carry: written first so a lost answer can still
    /// be traced by Microsoft support.
    pub client_request_id: String,
    /// For an undo: the `unassign` record this `assign` reverses.
    pub undo_of: Option<i64>,
    /// Records started together by one bulk run share this id.
    pub batch_id: Option<String>,
}

/// One operation as the history knows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OperationRecord {
    /// Local, increasing, never reused: newest first is id-descending.
    pub id: i64,
    pub kind: OperationKind,
    pub telephone_number: String,
    pub number_type: Option<String>,
    pub prior_assignee: Assignee,
    pub actor: Actor,
    /// When the record was written (just before the POST), RFC 3339 UTC with milliseconds.
    pub requested_at: String,
    pub client_request_id: String,
    /// Graph's `request-id` header.
    pub request_id: Option<String>,
    /// Graph's `Date` header, verbatim.
    pub response_date: Option<String>,
    /// The operation to poll (`Location` of the 202).
    pub location: Option<String>,
    pub status: RecordStatus,
    /// Graph's per-number `statusDetail`, verbatim.
    pub status_detail: Option<String>,
    /// When the record last became settled (RFC 3339 UTC); `None` while in flight.
    pub settled_at: Option<String>,
    pub error: Option<RecordError>,
    pub undo_of: Option<i64>,
    pub batch_id: Option<String>,
    /// When the record last changed (RFC 3339 UTC).
    pub updated_at: String,
}

/// A change to a record. `None` keeps what is there; `Some` replaces it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RecordChange {
    /// The new status. `sending` is refused: it is only ever the first status.
    pub status: Option<RecordStatus>,
    pub status_detail: Option<String>,
    pub request_id: Option<String>,
    pub response_date: Option<String>,
    pub location: Option<String>,
    /// `Some(None)` clears the error (e.g. an `outcomeUnknown` later found to have succeeded).
    pub error: Option<Option<RecordError>>,
}

impl RecordChange {
    /// Just a new status.
    pub fn status(status: RecordStatus) -> RecordChange {
        RecordChange {
            status: Some(status),
            ..RecordChange::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_round_trip_through_their_stored_names() {
        for status in RecordStatus::KNOWN {
            assert_eq!(RecordStatus::from_stored(status.as_str()), status);
            let json = serde_json::to_string(&status).unwrap();
            assert_eq!(json, format!("\"{}\"", status.as_str()));
            assert_eq!(serde_json::from_str::<RecordStatus>(&json).unwrap(), status);
        }
        let paused = RecordStatus::Other("paused".into());
        assert_eq!(serde_json::to_string(&paused).unwrap(), "\"paused\"");
        assert_eq!(RecordStatus::from_stored("paused"), paused);
    }

    #[test]
    fn only_the_open_statuses_are_in_flight() {
        let in_flight: Vec<_> = RecordStatus::KNOWN
            .into_iter()
            .filter(RecordStatus::is_in_flight)
            .map(|s| s.as_str().to_owned())
            .collect();
        assert_eq!(
            in_flight,
            [
                "sending",
                "accepted",
                "notStarted",
                "running",
                "outcomeUnknown"
            ]
        );
        assert!(RecordStatus::Stale.is_settled());
        assert!(RecordStatus::Rejected.is_settled());
        assert!(RecordStatus::Other("paused".into()).is_settled());
        // The SQL the queries and the partial index use lists exactly these.
        for status in RecordStatus::KNOWN {
            let quoted = format!("'{}'", status.as_str());
            assert_eq!(
                IN_FLIGHT_SQL.contains(&quoted),
                status.is_in_flight(),
                "{status}"
            );
        }
    }

    #[test]
    fn remote_statuses_never_pose_as_local_ones() {
        assert_eq!(
            RecordStatus::from_remote("succeeded"),
            RecordStatus::Succeeded
        );
        assert_eq!(
            RecordStatus::from_remote("notStarted"),
            RecordStatus::NotStarted
        );
        assert_eq!(
            RecordStatus::from_remote("unknownFutureValue"),
            RecordStatus::Other("unknownFutureValue".into())
        );
        let clash = RecordStatus::from_remote("accepted");
        assert_eq!(clash, RecordStatus::Other("accepted (Microsoft)".into()));
        assert_eq!(RecordStatus::from_stored(clash.as_str()), clash);
        assert!(clash.is_settled());
        assert!(RecordStatus::from_remote("").is_settled());
    }

    #[test]
    fn records_serialise_in_camel_case_for_the_ui() {
        let record = OperationRecord {
            id: 7,
            kind: OperationKind::Unassign,
            telephone_number: "+15551234567;ext=12".into(),
            number_type: Some("directRouting".into()),
            prior_assignee: Assignee {
                target_kind: Some("userAssigned".into()),
                location_id: Some("loc".into()),
                ..Assignee::default()
            },
            actor: Actor {
                upn: "admin@contoso.com".into(),
                tenant_id: "t".into(),
                cloud: "global".into(),
            },
            requested_at: "2024-01-02T03:04:05.678Z".into(),
            client_request_id: "c".into(),
            request_id: None,
            response_date: None,
            location: None,
            status: RecordStatus::OutcomeUnknown,
            status_detail: None,
            settled_at: None,
            error: Some(RecordError {
                kind: "timeout".into(),
                message: "m".into(),
                hint: None,
                request_id: Some("r".into()),
                facts: None,
            }),
            undo_of: None,
            batch_id: None,
            updated_at: "2024-01-02T03:04:05.678Z".into(),
        };
        let json = serde_json::to_value(&record).unwrap();
        assert_eq!(json["kind"], "unassign");
        assert_eq!(json["status"], "outcomeUnknown");
        assert_eq!(json["telephoneNumber"], "+15551234567;ext=12");
        assert_eq!(json["priorAssignee"]["targetKind"], "userAssigned");
        assert_eq!(json["priorAssignee"]["locationId"], "loc");
        assert_eq!(json["actor"]["tenantId"], "t");
        assert_eq!(json["error"]["requestId"], "r");
        assert!(json["undoOf"].is_null());
    }
}
