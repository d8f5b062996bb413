//! The heart of NumberDesk: look a number up, unassign it exactly once, follow Microsoft's
//! operation until it settles, and undo.
//!
//! Guarantees, and how they are kept:
//! - **The number type comes from the lookup**, never from the admin: a lookup is stored here
//!   under a random id and the confirmation names only that id.
//! - **One confirmation sends at most one POST**: the lookup id is consumed on first use (a
//!   double click finds nothing), and the history refuses a second record while the number has
//!   an operation in flight (a second window finds that one).
//! - **Nothing is lost**: the record is written before the POST (`sending`), after the 202
//!   (`accepted`) and at every status change. A POST whose answer was lost is
//!   `outcomeUnknown` and is resolved by looking the number up, never by sending again.
//! - **The token goes to the Graph root only**: a `Location` elsewhere is not followed; the
//!   record says why and the outcome is checked with a lookup instead.

use crate::auth::session::Session;
use crate::cloud::Cloud;
use crate::graph::{
    Accepted, Assignment, Exchange, GraphClient, GraphError, GraphErrorKind, NumberAssignment,
    OperationStatus, RemoteStatus,
};
use crate::history::{
    Actor, Assignee, History, HistoryError, NewOperation, OperationKind, OperationRecord,
    RecordChange, RecordStatus,
};
use crate::phone::{self, NumberError, ParsedNumber};
// The one exception to "no words in the core": a history record keeps what went wrong as the
// admin read it (kind, message, hint; shown later in History), so the words a failed Graph call
// is stored with come from the boundary that makes them.
use crate::problem::desk::record_error;
use serde::Serialize;
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Timings of the workflow (short in tests).
#[derive(Debug, Clone)]
pub struct DeskConfig {
    /// First wait before reading an operation; doubles up to `poll_max`.
    pub poll_first: Duration,
    pub poll_max: Duration,
    /// How long an unknown outcome is checked by lookups before NumberDesk concludes.
    pub resolve_window: Duration,
    /// An operation not settled after this long is marked stale.
    pub stale_after: Duration,
    /// How long a lookup can be confirmed.
    pub lookup_ttl: Duration,
}

impl Default for DeskConfig {
    fn default() -> Self {
        DeskConfig {
            poll_first: Duration::from_secs(1),
            poll_max: Duration::from_secs(30),
            resolve_window: Duration::from_secs(120),
            stale_after: Duration::from_secs(24 * 3600),
            lookup_ttl: Duration::from_secs(10 * 60),
        }
    }
}

/// The assignee as the card shows it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct AssigneeView {
    pub id: String,
    pub name: Option<String>,
    pub upn: Option<String>,
}

/// What a lookup shows before anything changes.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LookupCard {
    /// Present only when the number can be unassigned: the confirmation sends it back.
    pub lookup_id: Option<String>,
    pub number: ParsedNumber,
    pub found: bool,
    pub assignment: Option<NumberAssignment>,
    pub assignee: Option<AssigneeView>,
    /// `Some(false)`: names are not permitted, the card shows the object ID.
    pub names_permitted: Option<bool>,
    /// Why the name is missing when it could not be read this time (busy, slow directory).
    pub name_note: Option<String>,
    pub number_type_label: Option<String>,
    pub can_unassign: bool,
    /// Why nothing can be done (not found, not assigned, already in progress).
    pub reason: Option<String>,
    pub in_flight: Option<RecordView>,
    pub confirm_text: String,
    pub confirm_detail: String,
}

/// A history record with what the UI derives from it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct RecordView {
    #[serde(flatten)]
    pub record: OperationRecord,
    pub number_display: String,
    pub can_reassign: bool,
    pub can_check_again: bool,
}

impl From<OperationRecord> for RecordView {
    fn from(record: OperationRecord) -> RecordView {
        let reassignable_target = matches!(
            record.prior_assignee.target_kind.as_deref(),
            Some("userAssigned") | Some("voiceApplicationAssigned")
        );
        RecordView {
            number_display: phone::display_form(&record.telephone_number),
            can_reassign: record.kind == OperationKind::Unassign
                && record.status == RecordStatus::Succeeded
                && record.prior_assignee.id.is_some()
                && reassignable_target,
            can_check_again: matches!(
                record.status,
                RecordStatus::OutcomeUnknown | RecordStatus::Stale
            ),
            record,
        }
    }
}

/// A human name for a number type. `internalError` and `unknownFutureValue` are Graph's
/// sentinels, not types an admin knows, and are said as such; a newer word is shown as sent.
pub fn number_type_label(number_type: &str) -> String {
    match number_type {
        "callingPlan" => "Calling Plan".into(),
        "directRouting" => "Direct Routing".into(),
        "operatorConnect" => "Operator Connect".into(),
        "internalError" => "Unknown type (Microsoft reports an internal error)".into(),
        "unknownFutureValue" => "A type newer than NumberDesk knows".into(),
        other => other.into(),
    }
}

struct PendingLookup {
    created: Instant,
    number: NumberAssignment,
    assignee: Assignee,
}

type Notify = Arc<dyn Fn(&RecordView) + Send + Sync>;

/// The unassign workflow for one tenant.
pub struct Desk {
    graph: GraphClient,
    history: Arc<History>,
    session: Arc<dyn Session>,
    cloud: Cloud,
    lookups: Mutex<HashMap<String, PendingLookup>>,
    following: Mutex<HashSet<i64>>,
    notify: Notify,
    config: DeskConfig,
}

/// Why a one-number workflow did not go ahead. What the admin reads is made from it at the
/// command boundary (`crate::problem::desk`).
#[derive(Debug, thiserror::Error)]
pub enum DeskError {
    /// Not a phone number NumberDesk can read.
    #[error(transparent)]
    BadNumber(#[from] NumberError),
    /// The lookup behind the confirmation was used already, or has expired.
    #[error("the confirmation was already used or has expired")]
    ConfirmationUsed,
    /// No record with this id in the history.
    #[error("there is no operation record {0} in the history")]
    NotFound(i64),
    /// Record `0` is not a succeeded unassignment from a user or resource account.
    #[error("record {0} cannot be undone")]
    CannotReassign(i64),
    /// The number has a change in flight already (History #`0`); nothing was sent.
    #[error("a change for this number is already in progress (History #{0})")]
    InFlight(i64),
    /// Microsoft Graph refused or could not be reached. `telephone_api_available`: whether this
    /// cloud offers the telephone-number API, which explains refusals where it does not.
    #[error("{error}")]
    Graph {
        error: GraphError,
        telephone_api_available: bool,
    },
    /// The history could not be read or written.
    #[error(transparent)]
    History(#[from] HistoryError),
}

impl Desk {
    pub fn new(
        graph: GraphClient,
        history: Arc<History>,
        session: Arc<dyn Session>,
        cloud: Cloud,
        notify: Notify,
        config: DeskConfig,
    ) -> Desk {
        Desk {
            graph,
            history,
            session,
            cloud,
            lookups: Mutex::new(HashMap::new()),
            following: Mutex::new(HashSet::new()),
            notify,
            config,
        }
    }

    fn graph_error(&self, error: GraphError) -> DeskError {
        DeskError::Graph {
            error,
            telephone_api_available: self.cloud.telephone_numbers_available(),
        }
    }

    fn update(&self, id: i64, change: RecordChange) -> Result<OperationRecord, HistoryError> {
        let record = self.history.update(id, change)?;
        (self.notify)(&RecordView::from(record.clone()));
        Ok(record)
    }

    /// Reads the number and who has it. Sends nothing that changes anything.
    pub async fn lookup(&self, input: &str) -> Result<LookupCard, DeskError> {
        let number = phone::parse_number(input)?;
        let graph_form = number.graph_form();
        let (found, _) = self
            .graph
            .lookup_number(&graph_form)
            .await
            .map_err(|e| self.graph_error(e))?;
        let names_permitted = self.session.status().await.names_permitted;
        let mut card = LookupCard {
            lookup_id: None,
            number,
            found: found.is_some(),
            assignment: found.clone(),
            assignee: None,
            names_permitted,
            name_note: None,
            number_type_label: found.as_ref().map(|n| number_type_label(&n.number_type)),
            can_unassign: false,
            reason: None,
            in_flight: None,
            confirm_text: String::new(),
            confirm_detail: String::new(),
        };
        let Some(assignment) = found else {
            card.reason = Some(format!(
                "Microsoft has no number {} in your tenant, so there is nothing to remove.",
                card.number.display
            ));
            return Ok(card);
        };
        if !assignment.is_assigned() {
            card.reason = Some(format!(
                "{} is not assigned to anyone: there is nothing to remove.",
                card.number.display
            ));
            return Ok(card);
        }
        let target_id = assignment.assignment_target_id.clone().unwrap_or_default();
        // An account's name, when it can be read; a number assigned to something Microsoft did
        // not name may be an account too, so its target is tried as well.
        let nameable = assignment.is_assigned_to_account()
            || matches!(assignment.assignment(), Assignment::Other(None));
        let user = if nameable && !target_id.is_empty() {
            match self.graph.user(&target_id).await {
                Ok(user) => user,
                // A name is a courtesy: a busy or slow directory never blocks the unassign.
                Err(error) => {
                    log::warn!("reading the assignee's name failed: {error}");
                    card.name_note = Some(
                        "NumberDesk could not read this account's name just now (Microsoft did not answer in time or was busy), so its object ID is shown. You can still remove the number."
                            .to_owned(),
                    );
                    None
                }
            }
        } else {
            None
        };
        let assignee = AssigneeView {
            id: target_id.clone(),
            name: user.as_ref().and_then(|u| u.display_name.clone()),
            upn: user.as_ref().and_then(|u| u.user_principal_name.clone()),
        };
        let who = assignee
            .name
            .clone()
            .or_else(|| assignee.upn.clone())
            .unwrap_or_else(|| match assignment.assignment() {
                Assignment::ConferenceBridge => "the conference bridge".to_owned(),
                _ if target_id.is_empty() => "its current assignment".to_owned(),
                _ => format!("the account with object ID {target_id}"),
            });
        card.confirm_text = format!("Remove {} from {who}?", card.number.display);
        card.confirm_detail = format!(
            "{} number{}. The number stays in your tenant and can be assigned again.",
            number_type_label(&assignment.number_type),
            assignee
                .upn
                .as_deref()
                .map(|upn| format!(", now assigned to {upn}"))
                .unwrap_or_default()
        );
        card.assignee = Some(assignee.clone());
        if let Some(running) = self.history.in_flight_for(&assignment.telephone_number)? {
            card.reason = Some(format!(
                "A change for this number is already in progress (History #{}). Wait until it finishes.",
                running.id
            ));
            card.in_flight = Some(running.into());
            return Ok(card);
        }
        let lookup_id = uuid::Uuid::new_v4().to_string();
        let prior = Assignee {
            id: Some(target_id).filter(|t| !t.is_empty()),
            name: assignee.name,
            upn: assignee.upn,
            target_kind: assignment.assignment_status.clone(),
            category: assignment.assignment_category.clone(),
            location_id: assignment.location_id.clone(),
        };
        let mut lookups = self.lookups.lock().unwrap_or_else(|e| e.into_inner());
        let ttl = self.config.lookup_ttl;
        lookups.retain(|_, pending| pending.created.elapsed() < ttl);
        lookups.insert(
            lookup_id.clone(),
            PendingLookup {
                created: Instant::now(),
                number: assignment,
                assignee: prior,
            },
        );
        card.lookup_id = Some(lookup_id);
        card.can_unassign = true;
        Ok(card)
    }

    async fn actor(&self) -> Actor {
        actor_of(self.session.as_ref(), &self.cloud).await
    }

    /// Unassigns the number of a confirmed lookup. At most one POST per lookup.
    pub async fn unassign(self: &Arc<Self>, lookup_id: &str) -> Result<RecordView, DeskError> {
        let pending = self
            .lookups
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(lookup_id)
            .filter(|p| p.created.elapsed() < self.config.lookup_ttl)
            .ok_or(DeskError::ConfirmationUsed)?;
        let new = NewOperation {
            kind: OperationKind::Unassign,
            telephone_number: pending.number.telephone_number.clone(),
            number_type: Some(pending.number.number_type.clone()),
            prior_assignee: pending.assignee,
            actor: self.actor().await,
            client_request_id: uuid::Uuid::new_v4().to_string(),
            undo_of: None,
            batch_id: None,
        };
        self.start(new).await
    }

    /// Gives the number of a succeeded unassignment back to its prior assignee.
    pub async fn reassign(self: &Arc<Self>, record_id: i64) -> Result<RecordView, DeskError> {
        let record = self
            .history
            .get(record_id)?
            .map(RecordView::from)
            .ok_or(DeskError::NotFound(record_id))?;
        if !record.can_reassign {
            return Err(DeskError::CannotReassign(record_id));
        }
        let record = record.record;
        let new = NewOperation {
            kind: OperationKind::Assign,
            telephone_number: record.telephone_number.clone(),
            number_type: record.number_type.clone(),
            prior_assignee: record.prior_assignee.clone(),
            actor: self.actor().await,
            client_request_id: uuid::Uuid::new_v4().to_string(),
            undo_of: Some(record.id),
            batch_id: None,
        };
        self.start(new).await
    }

    async fn start(self: &Arc<Self>, new: NewOperation) -> Result<RecordView, DeskError> {
        let record = match self.history.create_unless_in_flight(new)? {
            Ok(record) => record,
            Err(existing) => return Err(DeskError::InFlight(existing.id)),
        };
        (self.notify)(&RecordView::from(record.clone()));
        let record = self.send(record).await?;
        Ok(record.into())
    }

    /// Sends the record's one POST and records what came of it.
    async fn send(self: &Arc<Self>, record: OperationRecord) -> Result<OperationRecord, DeskError> {
        let number_type = record.number_type.clone().unwrap_or_default();
        let sent = match record.kind {
            OperationKind::Unassign => {
                self.graph
                    .unassign(
                        &record.telephone_number,
                        &number_type,
                        &record.client_request_id,
                    )
                    .await
            }
            OperationKind::Assign => {
                let prior = &record.prior_assignee;
                self.graph
                    .assign(
                        &record.telephone_number,
                        prior.id.as_deref().unwrap_or_default(),
                        &number_type,
                        prior.category.as_deref(),
                        prior.location_id.as_deref(),
                        &record.client_request_id,
                    )
                    .await
            }
        };
        let (outcome, record) = record_post(
            &self.history,
            self.cloud.telephone_numbers_available(),
            &record,
            sent,
        )?;
        (self.notify)(&RecordView::from(record.clone()));
        match outcome {
            PostOutcome::Accepted => self.spawn_follow(record.id),
            PostOutcome::AcceptedUnfollowable | PostOutcome::Unknown => {
                self.spawn_resolve(record.id)
            }
            PostOutcome::Rejected => {}
        }
        Ok(record)
    }

    fn claim(&self, id: i64) -> bool {
        self.following
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(id)
    }

    fn release(&self, id: i64) {
        self.following
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&id);
    }

    fn spawn_follow(self: &Arc<Self>, id: i64) {
        if !self.claim(id) {
            return;
        }
        let desk = self.clone();
        tokio::spawn(async move {
            desk.follow(id).await;
            desk.release(id);
        });
    }

    fn spawn_resolve(self: &Arc<Self>, id: i64) {
        if !self.claim(id) {
            return;
        }
        let desk = self.clone();
        tokio::spawn(async move {
            desk.resolve_by_lookup(id).await;
            desk.release(id);
        });
    }

    /// Polls the operation (1 s, 2 s, 4 s … up to 30 s) until it settles. When the operation
    /// cannot be read (no address, an address NumberDesk does not trust, 404, or
    /// [`OPERATION_REFUSALS`] other refusals in a row), the change, which Microsoft accepted, is
    /// settled by looking the number up instead.
    async fn follow(self: &Arc<Self>, id: i64) {
        let mut delay = self.config.poll_first;
        let mut refusals = 0;
        loop {
            tokio::time::sleep(delay).await;
            delay = (delay * 2).min(self.config.poll_max);
            let Ok(Some(record)) = self.history.get(id) else {
                return;
            };
            if record.status.is_settled() {
                return;
            }
            let Some(location) = record.location.clone() else {
                self.resolve_by_lookup(id).await;
                return;
            };
            match self.graph.operation(&location).await {
                Ok((operation, exchange)) => {
                    refusals = 0;
                    let reading = read_operation(&record, &operation, &exchange);
                    if let Some(change) = reading.change {
                        let _ = self.update(id, change);
                    }
                    if reading.check_by_lookup {
                        self.resolve_by_lookup(id).await;
                        return;
                    }
                    if reading.settled {
                        return;
                    }
                }
                Err(error) if error.kind == GraphErrorKind::ForeignLocation => {
                    let stored = record_error(&error, self.cloud.telephone_numbers_available());
                    let _ = self.update(
                        id,
                        RecordChange {
                            status_detail: Some(stored.message.clone()),
                            error: Some(Some(stored)),
                            ..Default::default()
                        },
                    );
                    self.resolve_by_lookup(id).await;
                    return;
                }
                Err(error) if error.kind == GraphErrorKind::NotFound => {
                    self.resolve_by_lookup(id).await;
                    return;
                }
                // Not signed in: the record stays open and is resumed after sign-in or restart.
                Err(error) if error.kind == GraphErrorKind::SignIn => return,
                Err(error) if operation_read_refused(&error) => {
                    refusals += 1;
                    log::warn!(
                        "reading operation of record {id} was refused ({refusals}): {error}"
                    );
                    if refusals >= OPERATION_REFUSALS {
                        self.resolve_by_lookup(id).await;
                        return;
                    }
                }
                Err(error) => log::warn!("reading operation of record {id} failed: {error}"),
            }
            if self.is_stale(&record) {
                let _ = self.update(id, RecordChange::status(RecordStatus::Stale));
                return;
            }
        }
    }

    fn is_stale(&self, record: &OperationRecord) -> bool {
        time::OffsetDateTime::parse(
            &record.requested_at,
            &time::format_description::well_known::Rfc3339,
        )
        .map(|at| time::OffsetDateTime::now_utc() - at > self.config.stale_after)
        .unwrap_or(false)
    }

    /// Settles a record by looking the number up, repeatedly, because a change only shows once
    /// Microsoft has finished it. After `resolve_window` without a sign of the change the record
    /// is set to `stale` ("not confirmed yet", never "failed": Microsoft may have accepted it
    /// and still be working), which frees the number; the checks go on, slower, until the
    /// change shows or the record is a day old. "Check again" starts them anew.
    async fn resolve_by_lookup(self: &Arc<Self>, id: i64) {
        let started = Instant::now();
        let mut delay = self.config.poll_first;
        loop {
            let Ok(Some(record)) = self.history.get(id) else {
                return;
            };
            // `stale` here is this loop's own "not confirmed yet": the checks go on.
            if record.status.is_settled() && record.status != RecordStatus::Stale {
                return;
            }
            match self.graph.lookup_number(&record.telephone_number).await {
                Ok((found, _)) => {
                    if lookup_confirms(&record, found.as_ref()) {
                        let _ = self.update(id, confirmed_by_lookup(record.kind));
                        return;
                    }
                }
                Err(error) if error.kind == GraphErrorKind::SignIn => return,
                Err(error) => log::warn!("checking record {id} by lookup failed: {error}"),
            }
            let not_yet = record.status != RecordStatus::Stale;
            if self.is_stale(&record) {
                if not_yet {
                    let _ = self.update(id, not_confirmed(&record));
                }
                return;
            }
            if not_yet && started.elapsed() >= self.config.resolve_window {
                let _ = self.update(id, not_confirmed(&record));
            }
            tokio::time::sleep(delay).await;
            delay = (delay * 2).min(self.config.poll_max);
        }
    }

    /// "Check again": follow the operation once more, or look the number up.
    pub async fn check_again(self: &Arc<Self>, id: i64) -> Result<RecordView, DeskError> {
        let record = self.history.get(id)?.ok_or(DeskError::NotFound(id))?;
        let record = if record.status == RecordStatus::Stale {
            // Back to what it was before it was given up on: accepted, or not known.
            let reopened = if was_accepted(&record) {
                RecordStatus::Accepted
            } else {
                RecordStatus::OutcomeUnknown
            };
            self.update(id, RecordChange::status(reopened))?
        } else {
            record
        };
        let trusted = record
            .location
            .as_deref()
            .is_some_and(|l| self.graph.location_is_trusted(l));
        if record.status == RecordStatus::OutcomeUnknown || !trusted {
            self.spawn_resolve(id);
        } else {
            self.spawn_follow(id);
        }
        Ok(record.into())
    }

    /// At start: marks what is older than a day stale, and picks up every open record.
    pub async fn resume(self: &Arc<Self>) -> Result<usize, DeskError> {
        let now = time::OffsetDateTime::now_utc();
        let stale = self
            .history
            .mark_stale_older_than(self.config.stale_after, now)?;
        for record in stale {
            (self.notify)(&RecordView::from(record));
        }
        let open = self.history.unsettled()?;
        for record in &open {
            match (&record.status, &record.location) {
                (RecordStatus::Sending, _) => {
                    // The app stopped while sending: Microsoft may or may not have the request.
                    let _ = self.update(record.id, closed_while_sending());
                    self.spawn_resolve(record.id);
                }
                (RecordStatus::OutcomeUnknown, _) | (_, None) => self.spawn_resolve(record.id),
                _ => self.spawn_follow(record.id),
            }
        }
        Ok(open.len())
    }
}

// ---- Shared with bulk unassign ---------------------------------------------------------------
// The single flow and the bulk run differ in how they schedule (a task per record here, a
// worker pool there) but must agree on what a POST's answer, an operation's status and a
// lookup *mean* for the record. Those rules live here, once.

/// The signed-in admin, as the history names them.
pub(crate) async fn actor_of(session: &dyn Session, cloud: &Cloud) -> Actor {
    let status = session.status().await;
    let account = status.account.unwrap_or_default();
    Actor {
        upn: account.username,
        tenant_id: account.tenant_id,
        cloud: cloud.display_name().to_owned(),
    }
}

/// What one POST came to, as recorded by [`record_post`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PostOutcome {
    /// 202 with a `Location`: follow the operation.
    Accepted,
    /// Accepted (202, or 200/204 as OData answers actions without a return type) with no
    /// operation to follow: settle it by looking the number up.
    AcceptedUnfollowable,
    /// The answer was lost: settle it by looking the number up.
    Unknown,
    /// Microsoft refused it; nothing changed. Settled.
    Rejected,
}

/// Records the answer to a record's one POST (`accepted`, `outcomeUnknown` or `rejected`).
pub(crate) fn record_post(
    history: &History,
    telephone_api_available: bool,
    record: &OperationRecord,
    sent: Result<Accepted, GraphError>,
) -> Result<(PostOutcome, OperationRecord), HistoryError> {
    let (outcome, change) = match sent {
        Ok(accepted) => match accepted.location {
            Some(location) => (
                PostOutcome::Accepted,
                RecordChange {
                    status: Some(RecordStatus::Accepted),
                    location: Some(location),
                    request_id: accepted.request_id,
                    response_date: accepted.date,
                    ..Default::default()
                },
            ),
            None => (
                PostOutcome::AcceptedUnfollowable,
                RecordChange {
                    status: Some(RecordStatus::Accepted),
                    status_detail: Some(format!(
                        "Microsoft accepted the change (HTTP {}) but gave no operation to follow, so NumberDesk checks the number until it shows the change.",
                        accepted.status
                    )),
                    request_id: accepted.request_id,
                    response_date: accepted.date,
                    ..Default::default()
                },
            ),
        },
        Err(error) if error.outcome_unknown() => {
            let stored = record_error(&error, telephone_api_available);
            (
                PostOutcome::Unknown,
                RecordChange {
                    status: Some(RecordStatus::OutcomeUnknown),
                    status_detail: Some(if error.status == Some(504) {
                        "Microsoft's gateway stopped waiting for the service (HTTP 504), so it is not known yet whether the change was made. NumberDesk checks the number instead of sending it again."
                    } else {
                        "The answer from Microsoft was lost, so it is not known yet whether the change was made. NumberDesk checks the number instead of sending it again."
                    }.into()),
                    error: Some(Some(stored)),
                    ..Default::default()
                },
            )
        }
        Err(error) => {
            let stored = record_error(&error, telephone_api_available);
            (
                PostOutcome::Rejected,
                RecordChange {
                    status: Some(RecordStatus::Rejected),
                    status_detail: Some(stored.message.clone()),
                    request_id: error.exchange.request_id.clone(),
                    response_date: error.exchange.date.clone(),
                    error: Some(Some(stored)),
                    ..Default::default()
                },
            )
        }
    };
    let record = history.update(record.id, change)?;
    Ok((outcome, record))
}

/// What one read of an operation means for its record.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct OperationReading {
    /// The change to write, if any.
    pub change: Option<RecordChange>,
    /// The record has reached its final status.
    pub settled: bool,
    /// Microsoft's answer contradicts itself (the operation failed while its entry for the
    /// number succeeded): the number's own state decides, by a lookup.
    pub check_by_lookup: bool,
}

/// The status an operation gives its number. The per-number entry
/// (`numbers[].status`, `statusDetail`) is the authority for that number: a change is never
/// called succeeded when its number's entry says otherwise, and an entry still under way keeps
/// the record open even when the operation as a whole says it is done.
pub(crate) fn number_status(operation: &OperationStatus) -> (RemoteStatus, Option<String>, bool) {
    let overall = operation.status.clone();
    let Some(entry) = operation.number_entry() else {
        return (overall, operation.detail(), false);
    };
    let detail = entry
        .status_detail
        .clone()
        .filter(|d| !d.trim().is_empty())
        .or_else(|| operation.detail());
    let Some(own) = entry.status.as_deref().map(RemoteStatus::parse) else {
        return (overall, detail, false);
    };
    match (&overall, &own) {
        (_, s) if !s.is_settled() => (own, detail, false),
        (o, _) if !o.is_settled() => (overall, detail, false),
        (RemoteStatus::Succeeded, RemoteStatus::Succeeded) => (own, detail, false),
        // The number's entry failed, was skipped, or said something new: that is its outcome.
        (_, s) if *s != RemoteStatus::Succeeded => (own, detail, false),
        // The operation failed but the number's entry succeeded: ask the number itself.
        _ => (overall, detail, true),
    }
}

/// What an operation read brings to its record.
pub(crate) fn read_operation(
    record: &OperationRecord,
    operation: &OperationStatus,
    exchange: &Exchange,
) -> OperationReading {
    let (remote, detail, check_by_lookup) = number_status(operation);
    if check_by_lookup {
        let detail = format!(
            "Microsoft's operation says “{}” but its entry for this number says “succeeded”; NumberDesk checks the number itself.",
            operation.status.as_str()
        );
        let change =
            (record.status_detail.as_deref() != Some(detail.as_str())).then(|| RecordChange {
                status_detail: Some(detail),
                response_date: exchange.date.clone(),
                ..Default::default()
            });
        return OperationReading {
            change,
            settled: false,
            check_by_lookup: true,
        };
    }
    let status = RecordStatus::from_remote(remote.as_str());
    let change =
        (status != record.status || detail != record.status_detail).then(|| RecordChange {
            status: Some(status.clone()),
            status_detail: detail,
            response_date: exchange.date.clone(),
            ..Default::default()
        });
    OperationReading {
        change,
        settled: remote.is_settled(),
        check_by_lookup: false,
    }
}

/// How many refusals in a row (4xx other than 404 and 429) of an operation read make
/// NumberDesk stop reading it and settle the change by looking the number up.
pub(crate) const OPERATION_REFUSALS: u32 = 3;

/// An operation read Microsoft refused outright (a 4xx that is not throttling): reading it
/// again is unlikely to help.
pub(crate) fn operation_read_refused(error: &GraphError) -> bool {
    matches!(
        error.kind,
        GraphErrorKind::BadRequest | GraphErrorKind::Forbidden | GraphErrorKind::Conflict
    ) && error.status.is_some_and(|s| (400..500).contains(&s))
}

/// Whether a lookup proves the record's change was made.
pub(crate) fn lookup_confirms(record: &OperationRecord, found: Option<&NumberAssignment>) -> bool {
    let prior_target = record.prior_assignee.id.clone();
    match record.kind {
        // Gone, or assigned to someone else than before: either way the prior assignee no
        // longer has it. Without a known prior assignee only "not assigned" proves it.
        OperationKind::Unassign => found.is_none_or(|n| {
            !n.is_assigned() || (prior_target.is_some() && n.assignment_target_id != prior_target)
        }),
        OperationKind::Assign => {
            found.is_some_and(|n| n.is_assigned() && n.assignment_target_id == prior_target)
        }
    }
}

/// A record settled by a lookup that shows the change.
pub(crate) fn confirmed_by_lookup(kind: OperationKind) -> RecordChange {
    RecordChange {
        status: Some(RecordStatus::Succeeded),
        status_detail: Some(match kind {
            OperationKind::Unassign => {
                "Confirmed by looking the number up: it is no longer assigned.".into()
            }
            OperationKind::Assign => {
                "Confirmed by looking the number up: it is assigned again.".into()
            }
        }),
        error: Some(None),
        ..Default::default()
    }
}

/// A record whose change lookups have not shown yet: `stale`, "not confirmed yet", never
/// "failed". Microsoft may have the change and still be working on it (it accepted it, or its
/// answer was lost), so nothing here says it did not; it frees the number, keeps what is
/// known, and can be checked again.
pub(crate) fn not_confirmed(record: &OperationRecord) -> RecordChange {
    let detail = if was_accepted(record) {
        "Microsoft accepted this change, but the number does not show it yet and NumberDesk could not follow Microsoft's operation. It is not counted as failed: NumberDesk keeps checking while it runs, and Check again looks once more."
    } else {
        "Not confirmed yet: Microsoft's answer was lost and the number still shows its previous assignment. Microsoft may not have received the change, or may still be working on it. Choose Check again later, or look the number up before trying again."
    };
    RecordChange {
        status: Some(RecordStatus::Stale),
        status_detail: Some(detail.into()),
        ..Default::default()
    }
}

/// Whether Microsoft answered the record's POST (an accepted change leaves an answer's
/// request ID, date or operation address; a lost answer leaves none of them).
pub(crate) fn was_accepted(record: &OperationRecord) -> bool {
    record.status != RecordStatus::OutcomeUnknown
        && (record.request_id.is_some()
            || record.location.is_some()
            || record.response_date.is_some())
}

/// A record found `sending` after the app stopped: it may or may not have left.
pub(crate) fn closed_while_sending() -> RecordChange {
    RecordChange {
        status: Some(RecordStatus::OutcomeUnknown),
        status_detail: Some("NumberDesk closed while sending this change; it checks the number instead of sending it again.".into()),
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn operation(value: serde_json::Value) -> OperationStatus {
        OperationStatus::from_json(value).unwrap()
    }

    #[test]
    fn the_numbers_entry_decides_its_outcome() {
        // Succeeded overall, failed for the number: failed, with the number's detail.
        let (status, detail, ask) = number_status(&operation(json!({"status":"succeeded",
            "numbers":[{"status":"failed","statusDetail":"Carrier said no"}]})));
        assert_eq!(status, RemoteStatus::Failed);
        assert_eq!(detail.as_deref(), Some("Carrier said no"));
        assert!(!ask);
        // Done overall, the number still running: still running.
        let (status, _, _) = number_status(&operation(
            json!({"status":"succeeded","numbers":[{"status":"running"}]}),
        ));
        assert_eq!(status, RemoteStatus::Running);
        // Failed overall, succeeded for the number: ask the number.
        let (_, _, ask) = number_status(&operation(
            json!({"status":"failed","numbers":[{"status":"succeeded"}]}),
        ));
        assert!(ask);
        // A word Microsoft adds later for the number is its outcome, not success.
        let (status, _, _) = number_status(&operation(
            json!({"status":"succeeded","numbers":[{"status":"unknownFutureValue"}]}),
        ));
        assert_eq!(status, RemoteStatus::Other("unknownFutureValue".into()));
        // No entry: the operation speaks.
        let (status, _, _) = number_status(&operation(json!({"status":"succeeded"})));
        assert_eq!(status, RemoteStatus::Succeeded);
        // Both agree.
        let (status, _, ask) = number_status(&operation(
            json!({"status":"succeeded","numbers":[{"status":"succeeded"}]}),
        ));
        assert_eq!((status, ask), (RemoteStatus::Succeeded, false));
    }

    #[test]
    fn graph_sentinels_read_as_words() {
        assert_eq!(number_type_label("callingPlan"), "Calling Plan");
        assert!(number_type_label("unknownFutureValue").contains("newer"));
        assert!(number_type_label("internalError").contains("Unknown type"));
    }
}
