//! One number's change, from the admin's confirmation to its final answer. The main window,
//! the quick window (`desk.rs`), Bulk and undo (`bulk/run.rs`) all go through here; they keep
//! only how they schedule (a task per record, or a pool of workers under one rate).
//!
//! The steps, each in one place:
//! - **The precondition** ([`holder`]): the holder the admin confirmed still holds the number,
//!   by an answer from Microsoft at most [`HOLDER_MAX_AGE`] old ([`Steps::fresh_reading`]). A
//!   change whose holder differs is never sent.
//! - **The POST** ([`Steps::post`]): `unassignNumber`, or `assignNumber` to give a number back,
//!   and what its answer means for the record ([`Steps::record_post`]).
//! - **Following `Location`** ([`Steps::read_operation`]): one read of Microsoft's operation.
//! - **Resolving by lookup** ([`Steps::check_by_lookup`]): one look at the number itself, for a
//!   change whose answer was lost or whose operation cannot be followed.
//!
//! The rules these steps apply (what an answer means) are in [`rules`].

pub mod fresh;
pub mod holder;
pub mod rules;

pub use fresh::FreshAnswers;
pub use holder::{check_holder, HolderChanged, Reading, HOLDER_MAX_AGE};
pub use rules::*;

use crate::graph::{Accepted, GraphClient, GraphError, GraphErrorKind};
use crate::history::{
    History, HistoryError, NewOperation, OperationKind, OperationRecord, RecordChange, RecordStatus,
};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// What one read of a record's operation came to. Short-lived (matched at once), so the
/// records are not boxed.
#[derive(Debug)]
#[allow(clippy::large_enum_variant)]
pub enum ReadStep {
    /// Still under way: read it again later.
    Open(OperationRecord),
    /// Final.
    Settled(OperationRecord),
    /// The operation cannot tell (no address, an address outside Graph, gone, or contradicting
    /// itself): settle the record by looking the number up.
    Resolve(OperationRecord),
    /// Not signed in: the record stays open and is picked up after sign-in or at the next start.
    SignedOut(GraphError),
    /// Microsoft refused the read outright (see [`operation_read_refused`]); count it.
    Refused(GraphError),
    /// The read failed in a way worth trying again (busy, no connection).
    Failed(GraphError),
}

/// What one look at the number came to, for a record being resolved.
#[derive(Debug)]
#[allow(clippy::large_enum_variant)]
pub enum CheckStep {
    /// The number shows the change: the record is settled as succeeded.
    Confirmed(OperationRecord),
    /// Not (yet) shown.
    NotYet,
    SignedOut(GraphError),
    Failed(GraphError),
}

/// The steps of one number's change against one tenant.
#[derive(Clone)]
pub struct Steps {
    pub graph: GraphClient,
    pub history: Arc<History>,
    /// Whether the cloud offers the telephone-number API (explains refusals where it does not).
    pub telephone_api_available: bool,
}

impl Steps {
    pub fn new(graph: GraphClient, history: Arc<History>, telephone_api_available: bool) -> Steps {
        Steps {
            graph,
            history,
            telephone_api_available,
        }
    }

    /// `reading` when it is at most `max_age` old, else Microsoft's answer read now (one
    /// request).
    pub async fn fresh_reading(
        &self,
        telephone_number: &str,
        reading: Option<Reading>,
        max_age: Duration,
    ) -> Result<Reading, GraphError> {
        if let Some(reading) = reading.filter(|r| r.is_fresh(max_age)) {
            return Ok(reading);
        }
        let read_at = Instant::now();
        let (assignment, _) = self.graph.lookup_number(telephone_number).await?;
        Ok(Reading {
            assignment,
            read_at,
        })
    }

    /// The name (else the user name) of whoever holds the number now, when it can be read: a
    /// courtesy for the sentence that says who it is; the object ID is said otherwise.
    pub async fn now_named(&self, changed: &HolderChanged) -> Option<String> {
        let id = changed.now_holder_id()?;
        let user = self.graph.user(id).await.ok().flatten()?;
        user.display_name.or(user.user_principal_name)
    }

    /// A change that was not sent because its precondition failed (the holder changed, or
    /// could not be checked), written to the history as such (`skipped`, settled, `detail`
    /// saying why), so History, a re-run of failed rows and the results include the row.
    pub fn record_not_sent(
        &self,
        new: NewOperation,
        detail: String,
    ) -> Result<OperationRecord, HistoryError> {
        self.history.create_settled(
            new,
            RecordChange {
                status: Some(RecordStatus::Skipped),
                status_detail: Some(detail),
                ..Default::default()
            },
        )
    }

    /// The record's one POST: `unassignNumber`, or `assignNumber` back to the prior assignee.
    /// `admitted`: the pacer's turn for this request was already taken.
    pub async fn post(
        &self,
        record: &OperationRecord,
        admitted: bool,
    ) -> Result<Accepted, GraphError> {
        let number = &record.telephone_number;
        let number_type = record.number_type.as_deref().unwrap_or_default();
        let id = &record.client_request_id;
        match record.kind {
            OperationKind::Unassign if admitted => {
                self.graph.unassign_admitted(number, number_type, id).await
            }
            OperationKind::Unassign => self.graph.unassign(number, number_type, id).await,
            OperationKind::Assign => {
                let prior = &record.prior_assignee;
                self.graph
                    .assign_paced(
                        number,
                        prior.id.as_deref().unwrap_or_default(),
                        number_type,
                        prior.category.as_deref(),
                        prior.location_id.as_deref(),
                        id,
                        admitted,
                    )
                    .await
            }
        }
    }

    /// Records what the POST came to (see [`rules::record_post`]).
    pub fn record_post(
        &self,
        record: &OperationRecord,
        sent: Result<Accepted, GraphError>,
    ) -> Result<(PostOutcome, OperationRecord), HistoryError> {
        record_post(&self.history, self.telephone_api_available, record, sent)
    }

    /// One read of the record's operation, written to the history.
    pub async fn read_operation(&self, record: OperationRecord) -> Result<ReadStep, HistoryError> {
        let Some(location) = record.location.clone() else {
            return Ok(ReadStep::Resolve(record));
        };
        match self.graph.operation(&location).await {
            Ok((operation, exchange)) => {
                let reading = read_operation(&record, &operation, &exchange);
                let record = match reading.change {
                    Some(change) => self.history.update(record.id, change)?,
                    None => record,
                };
                Ok(if reading.check_by_lookup {
                    ReadStep::Resolve(record)
                } else if record.status.is_settled() {
                    ReadStep::Settled(record)
                } else {
                    ReadStep::Open(record)
                })
            }
            Err(error) if error.kind == GraphErrorKind::ForeignLocation => {
                // Kept once on the record, whichever flow follows it.
                let record = self.history.update(
                    record.id,
                    RecordChange {
                        error: Some(Some(stored_error(&error, self.telephone_api_available))),
                        ..Default::default()
                    },
                )?;
                Ok(ReadStep::Resolve(record))
            }
            Err(error) if error.kind == GraphErrorKind::NotFound => Ok(ReadStep::Resolve(record)),
            Err(error) if error.kind == GraphErrorKind::SignIn => Ok(ReadStep::SignedOut(error)),
            Err(error) if operation_read_refused(&error) => Ok(ReadStep::Refused(error)),
            Err(error) => Ok(ReadStep::Failed(error)),
        }
    }

    /// One look at the number for a record being resolved; a lookup that shows the change
    /// settles the record as succeeded.
    pub async fn check_by_lookup(
        &self,
        record: &OperationRecord,
    ) -> Result<CheckStep, HistoryError> {
        match self.graph.lookup_number(&record.telephone_number).await {
            Ok((found, _)) if lookup_confirms(record, found.as_ref()) => Ok(CheckStep::Confirmed(
                self.history
                    .update(record.id, confirmed_by_lookup(record.kind))?,
            )),
            Ok(_) => Ok(CheckStep::NotYet),
            Err(error) if error.kind == GraphErrorKind::SignIn => Ok(CheckStep::SignedOut(error)),
            Err(error) => Ok(CheckStep::Failed(error)),
        }
    }
}
