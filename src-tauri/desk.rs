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
//! - **The holder the admin confirmed is the holder changed**: right before the POST the
//!   lookup's answer must be at most a minute old and no change of the number may have been
//!   written since; otherwise the number is read again, and a number that changed hands is not
//!   sent (`DeskError::HolderChanged`). The POST, the operation reads and the lookups that
//!   settle a change are [`crate::operation`]'s, shared with Bulk.

use crate::auth::session::Session;
use crate::cloud::Cloud;
use crate::graph::{Assignment, GraphClient, GraphError, NumberAssignment};
use crate::history::{
    Actor, Assignee, History, HistoryError, NewOperation, OperationKind, OperationRecord,
    RecordChange, RecordStatus,
};
use crate::operation::{
    actor_of, check_holder, closed_while_sending, in_progress_words, not_confirmed, was_accepted,
    CheckStep, HolderChanged, PostOutcome, ReadStep, Reading, Steps, HOLDER_MAX_AGE,
    OPERATION_REFUSALS,
};
use crate::phone::{self, NumberError, ParsedNumber};
use serde::Serialize;
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

mod person;
pub use person::{PersonCard, PersonChange, PersonNumber, PersonOutcome};

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
    /// How old Microsoft's answer about the number may be when the POST goes out; an older
    /// one is read again first.
    pub holder_max_age: Duration,
}

impl Default for DeskConfig {
    fn default() -> Self {
        DeskConfig {
            poll_first: Duration::from_secs(1),
            poll_max: Duration::from_secs(30),
            resolve_window: Duration::from_secs(120),
            stale_after: Duration::from_secs(24 * 3600),
            lookup_ttl: Duration::from_secs(10 * 60),
            holder_max_age: HOLDER_MAX_AGE,
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
    /// Microsoft's answer and when it was asked for.
    reading: Reading,
    /// The history's newest record when the lookup was made: a change of the number written
    /// since (from the other window, or Bulk) makes the answer old whatever its age.
    history_mark: i64,
    number: NumberAssignment,
    assignee: Assignee,
}

type Notify = Arc<dyn Fn(&RecordView) + Send + Sync>;

/// The unassign workflow for one tenant.
pub struct Desk {
    graph: GraphClient,
    steps: Steps,
    history: Arc<History>,
    session: Arc<dyn Session>,
    cloud: Cloud,
    lookups: Mutex<HashMap<String, PendingLookup>>,
    /// Confirmable person lookups ("Unassign all N numbers from …"), by id.
    people: Mutex<HashMap<String, person::PendingPerson>>,
    following: Mutex<HashSet<i64>>,
    notify: Notify,
    config: DeskConfig,
}

/// A number that is no longer held as the admin confirmed, found right before its POST.
#[derive(Debug)]
pub struct ChangedHands {
    pub telephone_number: String,
    pub kind: OperationKind,
    /// Who the admin confirmed.
    pub confirmed: Assignee,
    pub changed: HolderChanged,
    /// The new holder's name (or UPN), when it could be read.
    pub now_named: Option<String>,
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
    /// The number is no longer held as the admin confirmed; nothing was sent.
    #[error("{} is no longer held as confirmed; nothing was sent", .0.telephone_number)]
    HolderChanged(Box<ChangedHands>),
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
    /// People cannot be found: reading users (`User.ReadBasic.All`) is not permitted. Numbers
    /// still work.
    #[error("people cannot be looked up without permission to read users")]
    PeopleNotPermitted,
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
            steps: Steps::new(
                graph.clone(),
                history.clone(),
                cloud.telephone_numbers_available(),
            ),
            graph,
            history,
            session,
            cloud,
            lookups: Mutex::new(HashMap::new()),
            people: Mutex::new(HashMap::new()),
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
        let history_mark = self.history.mark()?;
        let read_at = Instant::now();
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
            card.reason = Some(in_progress_words(running.id));
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
        let mut lookups = crate::locks::lock(&self.lookups);
        let ttl = self.config.lookup_ttl;
        lookups.retain(|_, pending| pending.created.elapsed() < ttl);
        lookups.insert(
            lookup_id.clone(),
            PendingLookup {
                created: Instant::now(),
                reading: Reading {
                    assignment: Some(assignment.clone()),
                    read_at,
                },
                history_mark,
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
        let pending = crate::locks::lock(&self.lookups)
            .remove(lookup_id)
            .filter(|p| p.created.elapsed() < self.config.lookup_ttl)
            .ok_or(DeskError::ConfirmationUsed)?;
        self.unassign_confirmed(
            pending.number,
            pending.assignee,
            pending.reading,
            pending.history_mark,
        )
        .await
    }

    /// Unassigns `number` from `assignee`, whom the admin confirmed from `reading`, taken
    /// when the history's newest record was `history_mark`: the holder is checked right
    /// before the one POST.
    async fn unassign_confirmed(
        self: &Arc<Self>,
        number: NumberAssignment,
        assignee: Assignee,
        reading: Reading,
        history_mark: i64,
    ) -> Result<RecordView, DeskError> {
        let telephone_number = number.telephone_number.clone();
        // A change already on its way is said as such, before anything is read.
        if let Some(running) = self.history.in_flight_for(&telephone_number)? {
            return Err(DeskError::InFlight(running.id));
        }
        let reading = if self
            .history
            .changed_since(&telephone_number, history_mark)?
        {
            None
        } else {
            Some(reading)
        };
        self.holder_still(
            OperationKind::Unassign,
            &telephone_number,
            &assignee,
            reading,
        )
        .await?;
        let new = NewOperation {
            kind: OperationKind::Unassign,
            telephone_number,
            number_type: Some(number.number_type.clone()),
            prior_assignee: assignee,
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
        // Given back only while nobody holds the number: read now, never from memory.
        self.holder_still(
            OperationKind::Assign,
            &record.telephone_number,
            &record.prior_assignee,
            None,
        )
        .await?;
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

    /// The precondition: `confirmed` still holds the number (for an undo: nobody does), by an
    /// answer at most `holder_max_age` old; `reading` is used when it is that fresh.
    async fn holder_still(
        &self,
        kind: OperationKind,
        telephone_number: &str,
        confirmed: &Assignee,
        reading: Option<Reading>,
    ) -> Result<(), DeskError> {
        let reading = self
            .steps
            .fresh_reading(telephone_number, reading, self.config.holder_max_age)
            .await
            .map_err(|e| self.graph_error(e))?;
        let Err(changed) = check_holder(kind, confirmed, reading.assignment.as_ref()) else {
            return Ok(());
        };
        let now_named = self.steps.now_named(&changed).await;
        Err(DeskError::HolderChanged(Box::new(ChangedHands {
            telephone_number: telephone_number.to_owned(),
            kind,
            confirmed: confirmed.clone(),
            changed,
            now_named,
        })))
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
        let sent = self.steps.post(&record, false).await;
        let (outcome, record) = self.steps.record_post(&record, sent)?;
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
        crate::locks::lock(&self.following).insert(id)
    }

    fn release(&self, id: i64) {
        crate::locks::lock(&self.following).remove(&id);
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
            // The history refusing a read or a write (a full disk, a held file) never ends the
            // follow: the record would stay open and block its number until a restart.
            let record = match self.history.get(id) {
                Ok(Some(record)) => record,
                Ok(None) => return,
                Err(error) => {
                    history_refused(id, &error);
                    continue;
                }
            };
            if record.status.is_settled() {
                return;
            }
            let step = match self.steps.read_operation(record.clone()).await {
                Ok(step) => step,
                Err(error) => {
                    history_refused(id, &error);
                    continue;
                }
            };
            match step {
                ReadStep::Open(changed) => {
                    refusals = 0;
                    if changed != record {
                        (self.notify)(&RecordView::from(changed));
                    }
                }
                ReadStep::Settled(changed) => {
                    (self.notify)(&RecordView::from(changed));
                    return;
                }
                ReadStep::Resolve(changed) => {
                    if changed != record {
                        (self.notify)(&RecordView::from(changed));
                    }
                    self.resolve_by_lookup(id).await;
                    return;
                }
                // Not signed in: the record stays open and is resumed after sign-in or restart.
                ReadStep::SignedOut(_) => return,
                ReadStep::Refused(error) => {
                    refusals += 1;
                    log::warn!(
                        "reading operation of record {id} was refused ({refusals}): {error}"
                    );
                    if refusals >= OPERATION_REFUSALS {
                        self.resolve_by_lookup(id).await;
                        return;
                    }
                }
                ReadStep::Failed(error) => {
                    log::warn!("reading operation of record {id} failed: {error}")
                }
            }
            if self.is_stale(&record) {
                match self.update(id, RecordChange::status(RecordStatus::Stale)) {
                    Ok(_) => return,
                    Err(error) => history_refused(id, &error),
                }
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
        let mut first = true;
        loop {
            if !first {
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(self.config.poll_max);
            }
            first = false;
            // As in `follow`: the history refusing never ends the checks.
            let record = match self.history.get(id) {
                Ok(Some(record)) => record,
                Ok(None) => return,
                Err(error) => {
                    history_refused(id, &error);
                    continue;
                }
            };
            // `stale` here is this loop's own "not confirmed yet": the checks go on.
            if record.status.is_settled() && record.status != RecordStatus::Stale {
                return;
            }
            match self.steps.check_by_lookup(&record).await {
                Ok(CheckStep::Confirmed(record)) => {
                    (self.notify)(&RecordView::from(record));
                    return;
                }
                Ok(CheckStep::NotYet) => {}
                Ok(CheckStep::SignedOut(_)) => return,
                Ok(CheckStep::Failed(error)) => {
                    log::warn!("checking record {id} by lookup failed: {error}")
                }
                Err(error) => {
                    history_refused(id, &error);
                    continue;
                }
            }
            let not_yet = record.status != RecordStatus::Stale;
            if self.is_stale(&record) {
                if !not_yet {
                    return;
                }
                match self.update(id, not_confirmed(&record)) {
                    Ok(_) => return,
                    Err(error) => history_refused(id, &error),
                }
                continue;
            }
            if not_yet && started.elapsed() >= self.config.resolve_window {
                if let Err(error) = self.update(id, not_confirmed(&record)) {
                    history_refused(id, &error);
                }
            }
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
            .is_some_and(|l| self.steps.graph.location_is_trusted(l));
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
                    // Unwritten, it stays `sending`, which the checks settle all the same.
                    if let Err(error) = self.update(record.id, closed_while_sending()) {
                        history_refused(record.id, &error);
                    }
                    self.spawn_resolve(record.id);
                }
                (RecordStatus::OutcomeUnknown, _) | (_, None) => self.spawn_resolve(record.id),
                _ => self.spawn_follow(record.id),
            }
        }
        Ok(open.len())
    }
}

/// Said when the history refuses a step of a change being followed: the step is tried again
/// at the next turn, so the record settles once the history can be written.
fn history_refused(id: i64, error: &HistoryError) {
    log::error!(
        "record {id}: the history could not be read or written ({error}); trying again shortly"
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn graph_sentinels_read_as_words() {
        assert_eq!(number_type_label("callingPlan"), "Calling Plan");
        assert!(number_type_label("unknownFutureValue").contains("newer"));
        assert!(number_type_label("internalError").contains("Unknown type"));
    }
}
