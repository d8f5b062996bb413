//! The tenant's whole number inventory, and the numbers still held by people who have left.
//!
//! - [`read`]: reads every number (pages of 1,000) with progress ("12,000 of about 30,000")
//!   and Cancel, and puts names on assignees in as few requests as Graph allows.
//! - [`store`]: keeps the last read in SQLite, in its own file beside the history
//!   (`inventory.sqlite3`), with the time it was read and whose it is ([`owner`]: tenant, cloud,
//!   account), so the view opens on the kept list at once, for its owner only. Sign-out
//!   removes it. Why its own file: the inventory is a copy of what Microsoft knows, replaced whole on
//!   every refresh and re-readable at any time; the history is the only record of what the
//!   admin did, written with power-loss durability and never wiped. Keeping them apart means a
//!   50,000-row refresh never holds the history's write lock during a bulk run, never grows the
//!   history file, a damaged inventory can be set aside without touching the history, and no
//!   migration of the history's schema is needed for a cache.
//! - [`view`]: filters (chips with counts), search by digits, name or UPN, sort by column, all
//!   in memory on prepared rows (50,000 rows in a few milliseconds).
//! - [`leavers`]: numbers on users whose account is disabled, deleted, gone (a "ghost") or,
//!   optionally, without a Teams Phone licence; never resource accounts.
//! - [`export`]: CSV through the history's Excel-safe writer, saved by [`crate::export_file`].
//! - [`selection`]: selected numbers as rows for the existing Bulk preview (no second engine).
//! - [`desk`]: what the Numbers view asks for (the kept list, Refresh, Cancel, the lens, the
//!   exports, a selection), with every SQLite and file step on a blocking thread.
//!
//! No `tauri` here.

pub mod desk;
pub mod error;
pub mod export;
pub mod leavers;
pub mod owner;
pub mod read;
pub mod selection;
pub mod store;
pub mod view;

pub use desk::{NumbersDesk, NumbersPage, NumbersRefreshed, NumbersSelection};
pub use error::InventoryError;
pub use export::{
    export_inventory_csv, export_leavers_csv, INVENTORY_CSV_HEADER, LEAVERS_CSV_HEADER,
};
pub use leavers::{
    find_leavers, teams_phone_licence, Leaver, LeaverCounts, LeaverOptions, LeaverReason,
    LeaversReport, TeamsPhoneLicence, Unchecked, UncheckedReason, TEAMS_PHONE_PLANS,
};
pub use owner::ListOwner;
pub use read::{read_inventory, refresh_inventory, ReadOutcome, ReadProgress, RESUME_WITHIN};
pub use selection::{
    bulk_rows, selection_for_leavers, selection_for_numbers, selection_for_query, BulkSelection,
};
pub use store::{InventoryStore, KeptList, StoreError, FILE_NAME};
pub use view::{ChipCounts, InventoryQuery, InventoryView, QueryResult, SortColumn};

use crate::graph::{Assignment, NumberAssignment};
use serde::{Deserialize, Serialize};

/// What a number is assigned to, as the chips name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum AssignmentKind {
    User,
    ResourceAccount,
    ConferenceBridge,
    Policy,
    ThirdPartyApp,
    Unassigned,
    /// `internalError`, `unknownFutureValue`, a newer word, or no status with a target.
    Other,
}

impl AssignmentKind {
    pub fn as_str(self) -> &'static str {
        match self {
            AssignmentKind::User => "user",
            AssignmentKind::ResourceAccount => "resourceAccount",
            AssignmentKind::ConferenceBridge => "conferenceBridge",
            AssignmentKind::Policy => "policy",
            AssignmentKind::ThirdPartyApp => "thirdPartyApp",
            AssignmentKind::Unassigned => "unassigned",
            AssignmentKind::Other => "other",
        }
    }

    pub fn parse(text: &str) -> AssignmentKind {
        match text {
            "user" => AssignmentKind::User,
            "resourceAccount" => AssignmentKind::ResourceAccount,
            "conferenceBridge" => AssignmentKind::ConferenceBridge,
            "policy" => AssignmentKind::Policy,
            "thirdPartyApp" => AssignmentKind::ThirdPartyApp,
            "unassigned" => AssignmentKind::Unassigned,
            _ => AssignmentKind::Other,
        }
    }

    fn of(number: &NumberAssignment) -> AssignmentKind {
        match number.assignment() {
            Assignment::Unassigned => AssignmentKind::Unassigned,
            Assignment::User => AssignmentKind::User,
            Assignment::ResourceAccount => AssignmentKind::ResourceAccount,
            Assignment::ConferenceBridge => AssignmentKind::ConferenceBridge,
            Assignment::Policy => AssignmentKind::Policy,
            Assignment::ThirdPartyApp => AssignmentKind::ThirdPartyApp,
            Assignment::Other(_) => AssignmentKind::Other,
        }
    }
}

/// One number of the inventory, as the view shows it and the store keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InventoryRow {
    pub id: String,
    pub telephone_number: String,
    pub number_type: String,
    pub assignment: AssignmentKind,
    /// `assignmentStatus` as Microsoft wrote it (`None`: it was `null`).
    pub assignment_status: Option<String>,
    /// The object id of the user, resource account, bridge or policy holding it.
    pub assignee_id: Option<String>,
    /// Name and UPN, when they could be read (else the view shows the object id).
    pub assignee_name: Option<String>,
    pub assignee_upn: Option<String>,
    pub assignment_category: Option<String>,
    pub city: Option<String>,
    pub country: Option<String>,
    pub activation_state: Option<String>,
    pub location_id: Option<String>,
}

impl InventoryRow {
    pub fn from_graph(number: &NumberAssignment) -> InventoryRow {
        InventoryRow {
            id: number.id.clone(),
            telephone_number: number.telephone_number.clone(),
            number_type: number.number_type.clone(),
            assignment: AssignmentKind::of(number),
            assignment_status: number.assignment_status.clone(),
            assignee_id: number
                .assignment_target_id
                .clone()
                .filter(|t| !t.is_empty()),
            assignee_name: None,
            assignee_upn: None,
            assignment_category: number.assignment_category.clone(),
            city: number.city.clone(),
            country: number.iso_country_code.clone(),
            activation_state: number.activation_state.clone(),
            location_id: number.location_id.clone(),
        }
    }

    /// Whether the activation state says the number is stuck or on its way.
    pub fn is_stuck(&self) -> bool {
        matches!(
            self.activation_state.as_deref(),
            Some("assignmentFailed" | "updatePending" | "updateFailed" | "assignmentPending")
        )
    }
}

/// An inventory as read (or as kept): the rows and when they were read.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Inventory {
    /// RFC 3339 UTC, when the read finished ("as of 10:42").
    pub read_at: String,
    pub rows: Vec<InventoryRow>,
    /// Rows Microsoft sent that could not be read (listed apart, never acted on).
    pub unreadable: usize,
    /// Requests the read took: the number list, and the name reads.
    pub list_requests: usize,
    pub name_requests: usize,
    /// The names could not be read (for another reason than a missing permission): the
    /// numbers are all there, their holders show as object ids.
    pub names_missing: bool,
}

/// Why a Refresh stopped before the end of the list: the fact kept with the partial read (the
/// words are made by the view).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum StopCause {
    /// Throttled past NumberDesk's retries, or asked to wait over two minutes.
    Throttled,
    /// Microsoft could not answer (503, 504, a server error, an answer that could not be read).
    Unavailable,
    /// The connection to Microsoft failed.
    Network,
    /// The sign-in or the permission was no longer accepted.
    SignIn,
    /// Any other refusal.
    #[default]
    Refused,
}

impl StopCause {
    pub fn as_str(self) -> &'static str {
        match self {
            StopCause::Throttled => "throttled",
            StopCause::Unavailable => "unavailable",
            StopCause::Network => "network",
            StopCause::SignIn => "signIn",
            StopCause::Refused => "refused",
        }
    }

    pub fn parse(text: &str) -> StopCause {
        match text {
            "throttled" => StopCause::Throttled,
            "unavailable" => StopCause::Unavailable,
            "network" => StopCause::Network,
            "signIn" => StopCause::SignIn,
            _ => StopCause::Refused,
        }
    }

    pub fn of(kind: crate::graph::GraphErrorKind) -> StopCause {
        use crate::graph::GraphErrorKind as K;
        match kind {
            K::Throttled => StopCause::Throttled,
            K::Unavailable | K::Server | K::Malformed => StopCause::Unavailable,
            K::NotSent | K::Network | K::Timeout => StopCause::Network,
            K::Unauthorized | K::Forbidden | K::SignIn => StopCause::SignIn,
            _ => StopCause::Refused,
        }
    }
}

/// A Refresh cut off before the end of the list: the pages it read, and where the next one
/// starts. Never the tenant's whole list: it is shown marked as incomplete and the lens, "All
/// that match" and the export refuse it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PartialRead {
    /// Unix seconds, when the first of its pages was read (a resumed read keeps it): a partial
    /// read older than [`read::RESUME_WITHIN`] is not continued.
    pub started_unix: i64,
    /// RFC 3339 UTC, when it stopped.
    pub stopped_at: String,
    pub rows: Vec<InventoryRow>,
    pub unreadable: usize,
    /// The `$skip` of the page that was refused.
    pub next_skip: usize,
    /// The id of the last row read, checked again when the read goes on.
    pub seam_id: Option<String>,
    /// Pages read (the refused one is the next).
    pub pages: usize,
    /// The expected size, when a complete list was kept before.
    pub about: Option<usize>,
    pub cause: StopCause,
    /// The refused answer's `request-id`, for Microsoft support.
    pub request_id: Option<String>,
}
