//! Long-running operations: what `unassignNumber` and `assignNumber` start.
//!
//! Graph answers those POSTs with `202 Accepted` and a `Location` to poll; the number changes
//! later, and only if the operation succeeds. The sim keeps no timers: an operation records
//! when it was created and how long each phase lasts, and its status is computed from the
//! elapsed time whenever anybody looks (`notStarted` → `running` → final). Before every Graph
//! request and every inspection, [`Operations::settle`] applies the effect of each operation
//! that has reached `succeeded`, so the number list changes at the right moment even if no one
//! polls the operation.
//!
//! The final outcome is decided when the operation is created:
//! - another operation for the same number still in flight → `failed`, statusDetail says so
//!   (the service serialises changes to one number; it accepts the order, then refuses it);
//! - unassigning a number that is already unassigned → `failed`, statusDetail says it is not
//!   assigned (the 202 only means the order was accepted; graph-api.md §4.3: async failures
//!   surface in the operation, not the 202);
//! - otherwise a fault knob ([`OperationOutcome`], per number first, then the queue);
//! - otherwise `succeeded`.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant, SystemTime};

use serde::{Deserialize, Serialize};

use super::clock::{from_unix_millis, millis_of, unix_millis, Clock};
use super::directory::{Directory, TargetKind};
use super::http::{base64url, iso_utc, new_guid};

/// An operation as the sim's state file keeps it (see `persist.rs`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct OperationRecord {
    pub id: String,
    pub kind: OperationKind,
    pub telephone_number: String,
    pub number_id: String,
    pub created_at_ms: u64,
    pub not_started_for_ms: u64,
    pub running_for_ms: u64,
    pub outcome: OutcomeRecord,
    /// A top-level status that disagrees with the number's entry; absent in older files.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub overall: Option<String>,
    pub applied: bool,
}

/// An operation's final status and statusDetail, in Graph's words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct OutcomeRecord {
    pub status: String,
    pub detail: Option<String>,
}

/// How an operation ends. Set with the fault knobs on [`super::SimTenant`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OperationOutcome {
    /// The number changes; status `succeeded`.
    Succeeded,
    /// The number stays as it is; status `failed` with this statusDetail.
    Failed(String),
    /// The number stays as it is; status `skipped` with this statusDetail.
    Skipped(String),
    /// The number stays as it is and the status is this string (e.g. `"paused"`), which no
    /// client knows: it tests that unknown statuses are treated as terminal non-success.
    Unknown {
        status: String,
        detail: Option<String>,
    },
}

impl OperationOutcome {
    fn status(&self) -> &str {
        match self {
            Self::Succeeded => "succeeded",
            Self::Failed(_) => "failed",
            Self::Skipped(_) => "skipped",
            Self::Unknown { status, .. } => status,
        }
    }

    fn detail(&self) -> Option<&str> {
        match self {
            Self::Succeeded => None,
            Self::Failed(d) | Self::Skipped(d) => Some(d),
            Self::Unknown { detail, .. } => detail.as_deref(),
        }
    }
}

impl From<&OperationOutcome> for OutcomeRecord {
    fn from(outcome: &OperationOutcome) -> Self {
        OutcomeRecord {
            status: outcome.status().to_string(),
            detail: outcome.detail().map(str::to_string),
        }
    }
}

impl From<OutcomeRecord> for OperationOutcome {
    fn from(record: OutcomeRecord) -> Self {
        match record.status.as_str() {
            "succeeded" => Self::Succeeded,
            "failed" => Self::Failed(record.detail.unwrap_or_default()),
            "skipped" => Self::Skipped(record.detail.unwrap_or_default()),
            _ => Self::Unknown {
                status: record.status,
                detail: record.detail,
            },
        }
    }
}

/// What the operation does to its number when it succeeds. Serialised as is in the state
/// file (`persist.rs`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "camelCase")]
pub(crate) enum OperationKind {
    Unassign,
    #[serde(rename_all = "camelCase")]
    Assign {
        target_kind: TargetKind,
        target_id: String,
        category: String,
        location_id: Option<String>,
    },
}

#[derive(Debug, Clone)]
pub(crate) struct Operation {
    pub id: String,
    pub kind: OperationKind,
    pub telephone_number: String,
    pub number_id: String,
    created_at: Instant,
    created_wall: SystemTime,
    not_started_for: Duration,
    running_for: Duration,
    outcome: OperationOutcome,
    /// A top-level status that disagrees with the number's entry (see
    /// `SimTenant::disagree_next_operations`); the entry keeps `outcome`.
    overall: Option<String>,
    applied: bool,
}

impl Operation {
    fn finishes_at(&self) -> Instant {
        self.created_at + self.not_started_for + self.running_for
    }

    /// Whether the operation has reached its final status at `now`.
    pub fn is_final(&self, now: Instant) -> bool {
        now >= self.finishes_at()
    }

    /// The status at `now`, and the statusDetail that goes with it.
    pub fn status_at(&self, now: Instant) -> (&str, Option<&str>) {
        let elapsed = now.saturating_duration_since(self.created_at);
        if elapsed < self.not_started_for {
            ("notStarted", None)
        } else if !self.is_final(now) {
            ("running", None)
        } else {
            (self.outcome.status(), self.outcome.detail())
        }
    }

    /// The operation as Graph shows it, without any envelope.
    pub fn view(&self, graph_url: &str, now: Instant) -> OperationView {
        let (status, detail) = self.status_at(now);
        OperationView {
            context: format!(
                "{graph_url}/v1.0/$metadata#admin/teams/telephoneNumberManagement/operations/$entity"
            ),
            odata_type: "#microsoft.graph.teamsAdministration.telephoneNumberLongRunningOperation",
            id: self.id.clone(),
            created_date_time: iso_utc(self.created_wall),
            status: match &self.overall {
                Some(overall) if self.is_final(now) => overall.clone(),
                _ => status.to_string(),
            },
            numbers: vec![OperationNumberView {
                resource_location: format!(
                    "{graph_url}/v1.0/admin/teams/telephoneNumberManagement/numberAssignments/{}",
                    self.number_id
                ),
                status: status.to_string(),
                status_detail: detail.map(str::to_string),
            }],
        }
    }
}

/// `telephoneNumberLongRunningOperation` as JSON, fields in Graph's order.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct OperationView {
    #[serde(rename = "@odata.context")]
    context: String,
    #[serde(rename = "@odata.type")]
    odata_type: &'static str,
    id: String,
    /// A string, not a DateTimeOffset, as the resource documents it.
    created_date_time: String,
    status: String,
    numbers: Vec<OperationNumberView>,
}

/// `telephoneNumberLongRunningOperationDetails`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct OperationNumberView {
    resource_location: String,
    status: String,
    status_detail: Option<String>,
}

/// All operations, plus the knobs that decide how the next ones end.
#[derive(Debug)]
pub(crate) struct Operations {
    list: Vec<Operation>,
    by_id: HashMap<String, usize>,
    pub not_started_for: Duration,
    pub running_for: Duration,
    queued_outcomes: VecDeque<OperationOutcome>,
    number_outcomes: HashMap<String, OperationOutcome>,
    queued_disagreements: VecDeque<String>,
}

impl Operations {
    pub fn new(not_started_for: Duration, running_for: Duration) -> Self {
        Self {
            list: Vec::new(),
            by_id: HashMap::new(),
            not_started_for,
            running_for,
            queued_outcomes: VecDeque::new(),
            number_outcomes: HashMap::new(),
            queued_disagreements: VecDeque::new(),
        }
    }

    /// The next `n` operations report `overall` at the top once final.
    pub fn queue_disagreement(&mut self, n: u32, overall: &str) {
        for _ in 0..n {
            self.queued_disagreements.push_back(overall.to_string());
        }
    }

    /// The next `n` operations (that do not fail on their own) end with `outcome`.
    pub fn queue_outcomes(&mut self, n: u32, outcome: OperationOutcome) {
        for _ in 0..n {
            self.queued_outcomes.push_back(outcome.clone());
        }
    }

    /// Every operation on `telephone_number` ends with `outcome`, until cleared with `None`.
    pub fn set_number_outcome(
        &mut self,
        telephone_number: String,
        outcome: Option<OperationOutcome>,
    ) {
        match outcome {
            Some(outcome) => {
                self.number_outcomes.insert(telephone_number, outcome);
            }
            None => {
                self.number_outcomes.remove(&telephone_number);
            }
        }
    }

    pub fn get(&self, id: &str) -> Option<&Operation> {
        self.by_id.get(id).and_then(|&i| self.list.get(i))
    }

    /// Starts an operation on the number at `index` and returns its id.
    pub fn start(
        &mut self,
        directory: &Directory,
        index: usize,
        kind: OperationKind,
        now: Instant,
    ) -> String {
        let (telephone_number, number_id, currently_unassigned) = directory
            .numbers
            .get(index)
            .map(|n| {
                (
                    n.telephone_number.clone(),
                    n.id.clone(),
                    n.assignment_status == "unassigned",
                )
            })
            .unwrap_or_default();
        let in_flight = self
            .list
            .iter()
            .any(|op| op.telephone_number == telephone_number && !op.is_final(now));
        let outcome = if in_flight {
            OperationOutcome::Failed(format!(
                "Another operation is in progress for telephone number '{telephone_number}'. \
                 Wait for it to complete, then try again."
            ))
        } else if matches!(kind, OperationKind::Unassign) && currently_unassigned {
            OperationOutcome::Failed(format!(
                "Telephone number '{telephone_number}' is not assigned to any user or resource account."
            ))
        } else if let Some(outcome) = self.number_outcomes.get(&telephone_number) {
            outcome.clone()
        } else {
            self.queued_outcomes
                .pop_front()
                .unwrap_or(OperationOutcome::Succeeded)
        };
        let prefix = match kind {
            OperationKind::Unassign => "Unassignment",
            OperationKind::Assign { .. } => "Assignment",
        };
        let id = base64url(&format!("{prefix}|{}", new_guid()));
        self.by_id.insert(id.clone(), self.list.len());
        self.list.push(Operation {
            id: id.clone(),
            kind,
            telephone_number,
            number_id,
            created_at: now,
            created_wall: SystemTime::now(),
            not_started_for: self.not_started_for,
            running_for: self.running_for,
            outcome,
            overall: self.queued_disagreements.pop_front(),
            applied: false,
        });
        id
    }

    /// Every operation as the state file keeps it, oldest first. Timing is kept as the
    /// wall-clock creation time plus the phase lengths, so that after a restart an operation
    /// still reaches its final status at the same wall-clock moment.
    pub fn records(&self) -> Vec<OperationRecord> {
        self.list
            .iter()
            .map(|op| OperationRecord {
                id: op.id.clone(),
                kind: op.kind.clone(),
                telephone_number: op.telephone_number.clone(),
                number_id: op.number_id.clone(),
                created_at_ms: unix_millis(op.created_wall),
                not_started_for_ms: millis_of(op.not_started_for),
                running_for_ms: millis_of(op.running_for),
                outcome: (&op.outcome).into(),
                overall: op.overall.clone(),
                applied: op.applied,
            })
            .collect()
    }

    /// Puts back the operations of a state file (see [`Operations::records`]); an id already
    /// known is skipped. An operation whose creation lies too far back for this process's
    /// monotonic clock to express (before the machine booted) is long final: it is restored
    /// with empty phases, so it reports its final status at once.
    pub fn restore(&mut self, records: Vec<OperationRecord>, clock: &Clock) {
        for record in records {
            if self.by_id.contains_key(&record.id) {
                log::warn!(
                    "sim: state file lists operation {} twice; kept the first",
                    record.id
                );
                continue;
            }
            let created_wall = from_unix_millis(record.created_at_ms);
            let not_started_for = Duration::from_millis(record.not_started_for_ms);
            let running_for = Duration::from_millis(record.running_for_ms);
            let (created_at, not_started_for, running_for) = match clock.instant_of(created_wall) {
                Some(created_at) => (created_at, not_started_for, running_for),
                None => (clock.instant(), Duration::ZERO, Duration::ZERO),
            };
            self.by_id.insert(record.id.clone(), self.list.len());
            self.list.push(Operation {
                id: record.id,
                kind: record.kind,
                telephone_number: record.telephone_number,
                number_id: record.number_id,
                created_at,
                created_wall,
                not_started_for,
                running_for,
                outcome: record.outcome.into(),
                overall: record.overall,
                applied: record.applied,
            });
        }
    }

    /// Applies the effect of every operation that has succeeded by `now` and not yet been
    /// applied, in creation order.
    pub fn settle(&mut self, directory: &mut Directory, now: Instant) {
        for op in self.list.iter_mut() {
            if op.applied || !op.is_final(now) {
                continue;
            }
            op.applied = true;
            if op.outcome != OperationOutcome::Succeeded {
                continue;
            }
            let Some(index) = directory.number_index(&op.telephone_number) else {
                continue;
            };
            match &op.kind {
                OperationKind::Unassign => directory.unassign(index),
                OperationKind::Assign {
                    target_kind,
                    target_id,
                    category,
                    location_id,
                } => directory.assign(
                    index,
                    *target_kind,
                    target_id,
                    category,
                    location_id.as_deref(),
                ),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seed::sample_tenant;

    const TENANT: &str = "00000000-0000-4000-8000-000000000000";

    #[test]
    fn status_moves_through_the_phases_and_applies_once() {
        let mut directory = sample_tenant(TENANT, 1);
        let index = directory.number_index("+12065550100").unwrap();
        let mut ops = Operations::new(Duration::from_secs(1), Duration::from_secs(2));
        let t0 = Instant::now();
        let id = ops.start(&directory, index, OperationKind::Unassign, t0);
        let op = ops.get(&id).unwrap();
        assert_eq!(op.status_at(t0).0, "notStarted");
        assert_eq!(op.status_at(t0 + Duration::from_millis(1500)).0, "running");
        assert_eq!(op.status_at(t0 + Duration::from_secs(3)).0, "succeeded");

        ops.settle(&mut directory, t0 + Duration::from_secs(2));
        assert_eq!(directory.numbers[index].assignment_status, "userAssigned");
        ops.settle(&mut directory, t0 + Duration::from_secs(3));
        assert_eq!(directory.numbers[index].assignment_status, "unassigned");
        assert!(directory.numbers[index].assignment_target_id.is_none());
    }

    #[test]
    fn natural_failures_and_knobs() {
        let mut directory = sample_tenant(TENANT, 1);
        let index = directory.number_index("+12065550100").unwrap();
        let mut ops = Operations::new(Duration::ZERO, Duration::from_secs(10));
        let t0 = Instant::now();
        ops.queue_outcomes(1, OperationOutcome::Skipped("held".into()));
        let first = ops.start(&directory, index, OperationKind::Unassign, t0);
        let second = ops.start(&directory, index, OperationKind::Unassign, t0);
        let end = t0 + Duration::from_secs(10);
        assert_eq!(
            ops.get(&first).unwrap().status_at(end),
            ("skipped", Some("held"))
        );
        let (status, detail) = ops.get(&second).unwrap().status_at(end);
        assert_eq!(status, "failed");
        assert!(detail.unwrap_or_default().contains("in progress"));
        ops.settle(&mut directory, end);
        assert_eq!(directory.numbers[index].assignment_status, "userAssigned");
    }

    #[test]
    fn operation_ids_decode_to_the_documented_shape() {
        let directory = sample_tenant(TENANT, 1);
        let mut ops = Operations::new(Duration::ZERO, Duration::ZERO);
        let id = ops.start(&directory, 0, OperationKind::Unassign, Instant::now());
        use base64::Engine as _;
        let decoded = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(id.as_bytes())
            .unwrap();
        let text = String::from_utf8(decoded).unwrap();
        assert!(text.starts_with("Unassignment|"), "{text}");
        assert_eq!(text.len(), "Unassignment|".len() + 36);
    }
}
