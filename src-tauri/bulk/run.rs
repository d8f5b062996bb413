//! The bulk run: the planned rows of a preview unassigned by a small pool of workers, each
//! number at most once, every change in the history under one batch id.
//!
//! How it keeps the single flow's guarantees at scale (`desk.rs`):
//! - **Only from the holder the admin confirmed.** Right before its POST, a row's holder is
//!   compared with Microsoft's answer about the number, at most a minute old: the preview's
//!   listing while it is that fresh, else answers read again in as few requests as the API
//!   allows (`operation::FreshAnswers`). A row whose number changed hands is not sent; its
//!   record says `skipped` and who holds the number now.
//! - **At most one POST per row.** Each row's record is created with the history's guard
//!   ([`History::create_unless_in_flight`]) as `sending` right before its POST leaves, and
//!   updated on the answer (the rules are shared with the single flow: `desk::record_post`).
//!   A POST is repeated only when Microsoft clearly did not take it (429, 503, the Teams
//!   backend's overload 400, no connection). A lost answer, or a gateway's 504, is
//!   `outcomeUnknown` and settled by lookups, never resent.
//! - **One rate for the run.** Every Graph request of the run, POSTs, operation reads and
//!   lookups alike, retries included, waits on one [`AdaptiveLimiter`]; a 429, 503, 504 or
//!   overload 400 pauses and slows all workers. See `pace.rs`.
//! - **Bounded concurrency.** `workers` tasks, each with at most one request out: the run
//!   never has more than `workers` requests in flight.
//! - **Few polls.** Microsoft needs seconds per operation, so an accepted row is first read
//!   after `first_poll`, then again every `poll_gap`, round-robin with the other accepted rows
//!   and through the same limiter. A due read waits at most `read_lag` behind new rows, so the
//!   run settles what it started within seconds, and its end is not spent waiting for the
//!   last operations alone.
//! - **Pause, resume, cancel.** Pause stops new POSTs (accepted rows are still followed);
//!   cancel also drops the rows not yet sent. [`BulkRun::cancel`] returns once the POSTs that
//!   had already taken their turn are answered: after it returns, nothing more is sent.
//! - **Resume after a crash** ([`BulkEngine::resume`]): the batch's records are read back;
//!   rows with no record are sent, `sending` ones (the app died around the POST) become
//!   `outcomeUnknown` and are looked up, accepted ones are followed, settled ones are left
//!   alone. The [`ResumeReport`] says which is which, and the run's report lists exactly the
//!   rows it sent.
//!
//! The plan itself is not stored: resuming needs the same planned rows (the caller keeps the
//! list, or previews it again). Rows are matched to records by number.

use crate::auth::session::Session;
use crate::cloud::Cloud;
use crate::graph::{GraphClient, GraphError};
use crate::history::{
    Actor, History, NewOperation, OperationKind, OperationRecord, RecordError, RecordStatus,
};
use crate::operation::{
    actor_of, check_holder, closed_while_sending, in_progress_words, not_confirmed,
    not_sent_detail, CheckStep, FreshAnswers, HolderChanged, PostOutcome, ReadStep, Steps,
    HOLDER_MAX_AGE, OPERATION_REFUSALS,
};
use serde::Serialize;
use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{Notify, RwLock};
use tokio::task::JoinSet;
use tokio::time::Instant;

use super::error::BulkError;
use super::pace::{AdaptiveLimiter, RateConfig, RateStats};
use super::preview::{PlannedRow, RunPlan};

/// Tuning of a run (short in tests).
#[derive(Debug, Clone)]
pub struct BulkConfig {
    /// Workers, each with at most one request out.
    pub workers: usize,
    pub rate: RateConfig,
    /// Wait after a 202 before the operation is first read.
    pub first_poll: Duration,
    /// Wait between two reads of the same operation.
    pub poll_gap: Duration,
    /// How long a due operation read may wait while rows are still to be sent. Reads that are
    /// due come first once they have waited this long; before that, new rows go first. So the
    /// end of a run is not spent reading its last operations alone, at a fraction of the rate:
    /// the reads put off meanwhile fill the time until the last ones are due.
    pub read_lag: Duration,
    /// How long an unknown outcome is checked by lookups before the run concludes.
    pub resolve_window: Duration,
    /// Wait between two lookups of the same number.
    pub resolve_gap: Duration,
    /// Extra rounds for a POST Microsoft kept refusing with 429/503/overload 400 (each round
    /// is the Graph client's own retries).
    pub throttled_post_rounds: u32,
    /// How old Microsoft's answer about a row's number may be when its POST goes out.
    pub holder_max_age: Duration,
}

impl Default for BulkConfig {
    fn default() -> Self {
        BulkConfig {
            workers: 8,
            rate: RateConfig::default(),
            first_poll: Duration::from_secs(5),
            poll_gap: Duration::from_secs(10),
            read_lag: Duration::from_secs(5),
            resolve_window: Duration::from_secs(120),
            resolve_gap: Duration::from_secs(10),
            throttled_post_rounds: 5,
            holder_max_age: HOLDER_MAX_AGE,
        }
    }
}

/// Where a row stands, as the progress list shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum RowPhase {
    /// Not sent yet.
    Waiting,
    /// Recorded, POST on its way.
    Sending,
    /// Microsoft took it; followed until it settles.
    Accepted,
    /// The answer was lost; being checked by lookups.
    OutcomeUnknown,
    Succeeded,
    /// Microsoft's operation failed (or was skipped).
    Failed,
    /// The change does not show on the number yet and could not be followed (`stale`): not
    /// counted as failed, checked again from History.
    NotConfirmed,
    /// Microsoft refused the POST; nothing changed.
    Rejected,
    /// Not sent: cancelled, or another change for the number was in flight.
    NotSent,
    /// Not sent and settled: the number is no longer held as confirmed (or Microsoft's
    /// operation skipped it); nothing changed.
    Skipped,
    /// Still open in the history (e.g. signed out meanwhile); the app resumes it at start.
    LeftOpen,
}

impl RowPhase {
    fn of(status: &RecordStatus) -> RowPhase {
        match status {
            RecordStatus::Sending => RowPhase::Sending,
            RecordStatus::Accepted | RecordStatus::NotStarted | RecordStatus::Running => {
                RowPhase::Accepted
            }
            RecordStatus::OutcomeUnknown => RowPhase::OutcomeUnknown,
            RecordStatus::Succeeded => RowPhase::Succeeded,
            RecordStatus::Rejected => RowPhase::Rejected,
            RecordStatus::Stale => RowPhase::NotConfirmed,
            RecordStatus::Skipped => RowPhase::Skipped,
            RecordStatus::Failed | RecordStatus::Other(_) => RowPhase::Failed,
        }
    }

    pub fn is_final(self) -> bool {
        !matches!(
            self,
            RowPhase::Waiting | RowPhase::Sending | RowPhase::Accepted | RowPhase::OutcomeUnknown
        )
    }
}

/// One row's news.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RowUpdate {
    /// Index into the planned rows.
    pub row: usize,
    pub line: usize,
    pub telephone_number: String,
    /// The number as people read it (`+1 206-555-0100`).
    pub display: String,
    /// Who had the number (unassign) or gets it back (undo): name, else UPN, else object id.
    pub assignee: Option<String>,
    pub phase: RowPhase,
    pub record_id: Option<i64>,
    /// The record's status as stored (`running`, `succeeded`, …).
    pub status: Option<String>,
    pub detail: Option<String>,
    /// What the row's record kept of a failed call; its words are made at the boundary,
    /// which fills `detail` from them when the row has no other.
    #[serde(skip)]
    pub error: Option<RecordError>,
}

/// Whether the run is going.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum RunState {
    Running,
    Paused,
    Cancelled,
    Finished,
}

/// Rows per phase.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RunCounts {
    pub total: usize,
    pub waiting: usize,
    pub sending: usize,
    pub accepted: usize,
    pub outcome_unknown: usize,
    pub succeeded: usize,
    pub failed: usize,
    pub not_confirmed: usize,
    pub rejected: usize,
    pub not_sent: usize,
    pub skipped: usize,
    pub left_open: usize,
    /// POSTs sent by this run (not by an earlier, crashed one).
    pub sent: usize,
}

/// The overall progress.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RunProgress {
    pub batch_id: String,
    pub state: RunState,
    pub counts: RunCounts,
    /// Estimated time until every row is final, from the pace so far; `None` until a row
    /// has settled.
    pub eta_seconds: Option<u64>,
    pub rate: RateStats,
}

/// What a run tells its caller, as it happens.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase", tag = "type")]
pub enum BulkEvent {
    Row(RowUpdate),
    Progress(RunProgress),
}

pub type BulkProgress = Arc<dyn Fn(&BulkEvent) + Send + Sync>;

/// How a resumed batch was found.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ResumeReport {
    pub batch_id: String,
    /// Rows with no record: never sent, sent now.
    pub not_sent_before: Vec<usize>,
    /// Rows `sending` at the crash: their POST may or may not have left; looked up, not resent.
    pub sending_at_crash: Vec<usize>,
    /// Rows whose answer was lost before the crash: looked up.
    pub outcome_unknown: Vec<usize>,
    /// Rows accepted before the crash: followed.
    pub accepted_before: Vec<usize>,
    /// Rows already settled: left alone.
    pub settled_before: Vec<usize>,
}

/// How the run ended.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RunReport {
    pub batch_id: String,
    pub rows: Vec<RowUpdate>,
    /// Exactly the rows this run POSTed, in the order their POSTs left.
    pub sent: Vec<usize>,
    pub counts: RunCounts,
    pub rate: RateStats,
}

/// Starts and resumes bulk runs for one signed-in tenant.
pub struct BulkEngine {
    graph: GraphClient,
    history: Arc<History>,
    session: Arc<dyn Session>,
    cloud: Cloud,
    config: BulkConfig,
}

struct Row {
    plan: PlannedRow,
    phase: RowPhase,
    record: Option<OperationRecord>,
    /// Why the row ended without a record's word on it ("Cancelled before it was sent.").
    note: Option<String>,
    /// Operation reads Microsoft refused in a row (see `desk::OPERATION_REFUSALS`).
    refusals: u32,
}

enum Job {
    Send(usize),
    Poll(usize),
    Resolve(usize, Instant),
}

enum Next {
    Job(Job),
    Wait(Option<Instant>),
    Done,
}

#[derive(Default)]
struct Schedule {
    to_send: VecDeque<usize>,
    /// Accepted rows and when each is next read; pushed at the back with the same gap, so
    /// the queue stays in due order and every row gets its turn.
    follow: VecDeque<(usize, Instant)>,
    /// Unknown outcomes: when next looked up, and since when.
    resolve: VecDeque<(usize, Instant, Instant)>,
    busy: usize,
    sent: Vec<usize>,
    settled_in_run: usize,
}

struct Shared {
    batch_id: String,
    graph: GraphClient,
    /// The change's steps (precondition, POST, operation read, lookup) over the paced client.
    steps: Steps,
    /// When the plan's own answers were asked for (see [`RunPlan::read_at`]).
    plan_read_at: Option<std::time::Instant>,
    fresh: FreshAnswers,
    limiter: Arc<AdaptiveLimiter>,
    history: Arc<History>,
    actor: Actor,
    config: BulkConfig,
    rows: Mutex<Vec<Row>>,
    schedule: Mutex<Schedule>,
    wake: Notify,
    paused: AtomicBool,
    cancelled: AtomicBool,
    /// Held (shared) by every POST from its last check of `cancelled` until its answer;
    /// `cancel` takes it exclusively, so when `cancel` returns no POST is about to leave.
    send_gate: RwLock<()>,
    progress: BulkProgress,
    started: Instant,
    workers: Mutex<Vec<tokio::task::AbortHandle>>,
}

/// A run under way.
pub struct BulkRun {
    shared: Arc<Shared>,
    task: tokio::task::JoinHandle<()>,
}

use crate::locks::lock;

impl BulkEngine {
    /// `graph` is the app's client; each run paces its own copy of it.
    pub fn new(
        graph: GraphClient,
        history: Arc<History>,
        session: Arc<dyn Session>,
        cloud: Cloud,
        config: BulkConfig,
    ) -> BulkEngine {
        BulkEngine {
            graph,
            history,
            session,
            cloud,
            config,
        }
    }

    /// Starts a new batch over `plan` (see [`super::preview::Preview::selection`]). The batch
    /// and its plan are in the history before anything is sent, so a crash can be resumed.
    pub async fn start(
        &self,
        plan: impl Into<RunPlan>,
        progress: BulkProgress,
    ) -> Result<BulkRun, BulkError> {
        let RunPlan {
            rows: plan,
            read_at,
            list_requests,
        } = plan.into();
        let batch_id = uuid::Uuid::new_v4().to_string();
        let kind = plan
            .first()
            .map(PlannedRow::kind)
            .unwrap_or(OperationKind::Unassign);
        if plan.iter().any(|row| row.kind() != kind) {
            return Err(BulkError::MixedPlan);
        }
        let json = serde_json::to_string(&plan).map_err(BulkError::SavePlan)?;
        self.history.create_batch(
            &batch_id,
            kind,
            &super::preview::plan_confirmation(kind, &plan),
            plan.len(),
            &json,
        )?;
        let rows = plan
            .into_iter()
            .map(|plan| Row {
                plan,
                phase: RowPhase::Waiting,
                record: None,
                note: None,
                refusals: 0,
            })
            .collect::<Vec<_>>();
        let schedule = Schedule {
            to_send: (0..rows.len()).collect(),
            ..Schedule::default()
        };
        let fresh = (read_at, list_requests);
        Ok(self.launch(batch_id, rows, schedule, fresh, progress).await)
    }

    /// [`BulkEngine::resume`] with the plan the batch was started with, read from the history.
    pub async fn resume_batch(
        &self,
        batch_id: &str,
        progress: BulkProgress,
    ) -> Result<(BulkRun, ResumeReport), BulkError> {
        let batch = self
            .history
            .batch(batch_id)?
            .ok_or(BulkError::BatchNotFound)?;
        let plan: Vec<PlannedRow> =
            serde_json::from_str(&batch.plan).map_err(BulkError::ReadPlan)?;
        self.resume(batch_id, plan, progress).await
    }

    /// Picks a batch up again after the app stopped (or the run was dropped): see the module
    /// documentation. `plan` must be the batch's planned rows. Only one run per batch at a
    /// time: resume a batch whose run is gone.
    pub async fn resume(
        &self,
        batch_id: &str,
        plan: Vec<PlannedRow>,
        progress: BulkProgress,
    ) -> Result<(BulkRun, ResumeReport), BulkError> {
        let records = records_of_batch(&self.history, batch_id)?;
        let mut report = ResumeReport {
            batch_id: batch_id.to_owned(),
            ..ResumeReport::default()
        };
        let mut schedule = Schedule::default();
        let now = Instant::now();
        let mut rows = Vec::with_capacity(plan.len());
        for (index, plan) in plan.into_iter().enumerate() {
            let found = records.get(&plan.telephone_number.to_ascii_lowercase());
            let mut row = Row {
                plan,
                phase: RowPhase::Waiting,
                record: found.cloned(),
                note: None,
                refusals: 0,
            };
            match found {
                None => {
                    report.not_sent_before.push(index);
                    schedule.to_send.push_back(index);
                }
                Some(record) if record.status == RecordStatus::Sending => {
                    report.sending_at_crash.push(index);
                    let record = self.history.update(record.id, closed_while_sending())?;
                    row.phase = RowPhase::OutcomeUnknown;
                    row.record = Some(record);
                    schedule.resolve.push_back((index, now, now));
                }
                Some(record) if record.status == RecordStatus::OutcomeUnknown => {
                    report.outcome_unknown.push(index);
                    row.phase = RowPhase::OutcomeUnknown;
                    schedule.resolve.push_back((index, now, now));
                }
                Some(record) if record.status.is_in_flight() => {
                    report.accepted_before.push(index);
                    row.phase = RowPhase::Accepted;
                    schedule.follow.push_back((index, now));
                }
                Some(record) => {
                    report.settled_before.push(index);
                    row.phase = RowPhase::of(&record.status);
                }
            }
            rows.push(row);
        }
        // The plan's answers are as old as the batch: every row is read again before it is sent.
        let run = self
            .launch(batch_id.to_owned(), rows, schedule, (None, 0), progress)
            .await;
        Ok((run, report))
    }

    async fn launch(
        &self,
        batch_id: String,
        rows: Vec<Row>,
        schedule: Schedule,
        (plan_read_at, list_requests): (Option<std::time::Instant>, usize),
        progress: BulkProgress,
    ) -> BulkRun {
        let limiter = Arc::new(AdaptiveLimiter::new(self.config.rate.clone()));
        let graph = self.graph.paced(limiter.clone());
        let shared = Arc::new(Shared {
            batch_id,
            steps: Steps::new(
                graph.clone(),
                self.history.clone(),
                self.cloud.telephone_numbers_available(),
            ),
            plan_read_at,
            fresh: FreshAnswers::new(self.config.holder_max_age, list_requests),
            graph,
            limiter,
            history: self.history.clone(),
            actor: actor_of(self.session.as_ref(), &self.cloud).await,
            config: self.config.clone(),
            rows: Mutex::new(rows),
            schedule: Mutex::new(schedule),
            wake: Notify::new(),
            paused: AtomicBool::new(false),
            cancelled: AtomicBool::new(false),
            send_gate: RwLock::new(()),
            progress,
            started: Instant::now(),
            workers: Mutex::new(Vec::new()),
        });
        shared.emit_progress();
        let workers = shared.config.workers.max(1);
        let task = tokio::spawn({
            let shared = shared.clone();
            async move {
                // Aborting this task drops the set, which aborts every worker: a crash.
                let mut set = JoinSet::new();
                for _ in 0..workers {
                    let worker = shared.clone();
                    let handle = set.spawn(async move { worker.work().await });
                    lock(&shared.workers).push(handle);
                }
                while set.join_next().await.is_some() {}
                // Ended (finished, or cancelled and settled): not one to resume at start-up.
                if let Err(error) = shared.history.close_batch(&shared.batch_id) {
                    log::warn!("bulk: batch {} not closed: {error}", shared.batch_id);
                }
                shared.emit_progress();
            }
        });
        BulkRun { shared, task }
    }
}

/// The newest record of each number in the batch, keyed by the number in lower case.
fn records_of_batch(
    history: &History,
    batch_id: &str,
) -> Result<HashMap<String, OperationRecord>, BulkError> {
    Ok(history
        .records_in_batch(batch_id)?
        .into_iter()
        .map(|record| (record.telephone_number.to_ascii_lowercase(), record))
        .collect())
}

impl BulkRun {
    pub fn batch_id(&self) -> &str {
        &self.shared.batch_id
    }

    /// Sends nothing new until [`BulkRun::resume`]; accepted rows are still followed.
    pub fn pause(&self) {
        self.shared.paused.store(true, Ordering::SeqCst);
        self.shared.emit_progress();
    }

    pub fn resume(&self) {
        self.shared.paused.store(false, Ordering::SeqCst);
        self.shared.wake.notify_waiters();
        self.shared.emit_progress();
    }

    /// Sends nothing new, ever; rows not sent are marked so, accepted rows are still followed
    /// to the end. Returns once the POSTs already on their way are answered.
    pub async fn cancel(&self) {
        self.shared.cancelled.store(true, Ordering::SeqCst);
        drop(self.shared.send_gate.write().await);
        let dropped: Vec<usize> = lock(&self.shared.schedule).to_send.drain(..).collect();
        for index in dropped {
            self.shared.set_phase(
                index,
                RowPhase::NotSent,
                Some("Cancelled before it was sent."),
            );
        }
        self.shared.wake.notify_waiters();
        self.shared.emit_progress();
    }

    pub fn progress(&self) -> RunProgress {
        self.shared.snapshot()
    }

    /// Every row as it stands.
    pub fn rows(&self) -> Vec<RowUpdate> {
        lock(&self.shared.rows)
            .iter()
            .enumerate()
            .map(|(index, row)| self.shared.update_of(index, row, None))
            .collect()
    }

    /// Stops everything at once, as a crash would: records stay as they are, and no worker
    /// runs another step after this returns.
    pub fn abort(self) {
        for worker in lock(&self.shared.workers).iter() {
            worker.abort();
        }
        self.task.abort();
    }

    /// Waits until every row is final (or left open) and reports.
    pub async fn finished(self) -> Result<RunReport, BulkError> {
        let rows_of = self.shared.clone();
        self.task.await.map_err(BulkError::Stopped)?;
        let rows = lock(&rows_of.rows)
            .iter()
            .enumerate()
            .map(|(index, row)| rows_of.update_of(index, row, None))
            .collect();
        let snapshot = self.shared.snapshot();
        Ok(RunReport {
            batch_id: self.shared.batch_id.clone(),
            rows,
            sent: lock(&self.shared.schedule).sent.clone(),
            counts: snapshot.counts,
            rate: snapshot.rate,
        })
    }
}

impl Shared {
    async fn work(self: &Arc<Self>) {
        loop {
            // Registered before looking, so a wake-up between the look and the wait is kept.
            let notified = self.wake.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            match self.next() {
                Next::Job(job) => {
                    match job {
                        Job::Send(index) => self.send(index).await,
                        Job::Poll(index) => self.poll(index).await,
                        Job::Resolve(index, since) => self.resolve(index, since).await,
                    }
                    lock(&self.schedule).busy -= 1;
                    self.wake.notify_waiters();
                }
                Next::Wait(until) => match until {
                    Some(at) => {
                        tokio::select! {
                            _ = tokio::time::sleep_until(at) => {}
                            _ = &mut notified => {}
                        }
                    }
                    None => notified.await,
                },
                Next::Done => {
                    self.wake.notify_waiters();
                    return;
                }
            }
        }
    }

    fn next(&self) -> Next {
        let mut schedule = lock(&self.schedule);
        let now = Instant::now();
        let sending = !self.paused.load(Ordering::SeqCst)
            && !self.cancelled.load(Ordering::SeqCst)
            && !schedule.to_send.is_empty();
        let read_due = |lag: Duration| {
            schedule
                .follow
                .front()
                .is_some_and(|(_, due)| *due + lag <= now)
        };
        let job = if read_due(if sending {
            self.config.read_lag
        } else {
            Duration::ZERO
        }) {
            schedule.follow.pop_front().map(|(i, _)| Job::Poll(i))
        } else if schedule
            .resolve
            .front()
            .is_some_and(|(_, due, _)| *due <= now)
        {
            schedule
                .resolve
                .pop_front()
                .map(|(i, _, since)| Job::Resolve(i, since))
        } else if sending {
            schedule.to_send.pop_front().map(Job::Send)
        } else {
            None
        };
        if let Some(job) = job {
            schedule.busy += 1;
            return Next::Job(job);
        }
        let sending_left = !schedule.to_send.is_empty() && !self.cancelled.load(Ordering::SeqCst);
        if schedule.busy == 0
            && schedule.follow.is_empty()
            && schedule.resolve.is_empty()
            && !sending_left
        {
            return Next::Done;
        }
        let due = [
            schedule.follow.front().map(|(_, due)| *due),
            schedule.resolve.front().map(|(_, due, _)| *due),
        ];
        Next::Wait(due.into_iter().flatten().min())
    }

    /// The precondition of a row: `Ok(None)` while its number is held as planned, by an answer
    /// at most `holder_max_age` old; `Ok(Some(_))` when it changed hands. Returns when the
    /// answer was asked for, so the caller can tell whether it is still fresh at the POST.
    async fn holder_check(
        &self,
        plan: &PlannedRow,
    ) -> Result<(Option<HolderChanged>, std::time::Instant), GraphError> {
        let max_age = self.config.holder_max_age;
        if let Some(read_at) = self.plan_read_at.filter(|at| at.elapsed() <= max_age) {
            // The plan's holder is Microsoft's answer, and it is fresh.
            return Ok((None, read_at));
        }
        let waiting = lock(&self.schedule).to_send.len() + 1;
        let reading = self
            .fresh
            .answer(&self.graph, &plan.telephone_number, waiting)
            .await?;
        let changed = check_holder(
            plan.kind(),
            &plan.prior_assignee,
            reading.assignment.as_ref(),
        )
        .err();
        Ok((changed, reading.read_at))
    }

    async fn send(self: &Arc<Self>, index: usize) {
        let plan = lock(&self.rows)[index].plan.clone();
        // The holder first (its reads are paced like every request), then the POST's own turn,
        // so the record says `sending` only when the POST is about to leave. A long wait for
        // the turn (a throttled tenant) can make the answer old again: then it is read again.
        let mut checked = self.holder_check(&plan).await;
        let mut tries = 0;
        loop {
            self.limiter.acquire().await;
            match &checked {
                Ok((_, read_at)) if read_at.elapsed() > self.config.holder_max_age && tries < 3 => {
                    tries += 1;
                    checked = self.holder_check(&plan).await;
                }
                _ => break,
            }
        }
        let _gate = self.send_gate.read().await;
        if self.cancelled.load(Ordering::SeqCst) {
            self.set_phase(
                index,
                RowPhase::NotSent,
                Some("Cancelled before it was sent."),
            );
            return;
        }
        if self.paused.load(Ordering::SeqCst) {
            lock(&self.schedule).to_send.push_front(index);
            return;
        }
        let new = NewOperation {
            kind: plan.kind(),
            telephone_number: plan.telephone_number.clone(),
            number_type: Some(plan.number_type.clone()),
            prior_assignee: plan.prior_assignee.clone(),
            actor: self.actor.clone(),
            client_request_id: uuid::Uuid::new_v4().to_string(),
            undo_of: plan.undo_of,
            batch_id: Some(self.batch_id.clone()),
        };
        let not_sent = match checked {
            Ok((None, read_at)) if read_at.elapsed() <= self.config.holder_max_age => None,
            Ok((None, _)) => Some(
                "Skipped — Microsoft was too busy to confirm in time who holds this number, so nothing was sent. Run the failed rows again later.".to_owned(),
            ),
            Ok((Some(changed), _)) => {
                let now_named = self.steps.now_named(&changed).await;
                Some(not_sent_detail(
                    plan.kind(),
                    &plan.prior_assignee,
                    &changed,
                    now_named.as_deref(),
                ))
            }
            Err(error) => {
                log::warn!("bulk: the holder of row {index} could not be read: {error}");
                Some("Skipped — NumberDesk could not read who holds this number just before sending, so nothing was sent. Run the failed rows again.".to_owned())
            }
        };
        if let Some(detail) = not_sent {
            match self.steps.record_not_sent(new, detail) {
                Ok(record) => self.settle(index, record),
                Err(error) => self.set_phase(index, RowPhase::NotSent, Some(&error.sentence())),
            }
            return;
        }
        let record = match self.history.create_unless_in_flight(new) {
            Ok(Ok(record)) => record,
            Ok(Err(existing)) => {
                let detail = in_progress_words(existing.id);
                self.set_phase(index, RowPhase::NotSent, Some(&detail));
                return;
            }
            Err(error) => {
                self.set_phase(index, RowPhase::NotSent, Some(&error.sentence()));
                return;
            }
        };
        self.set_record(index, record.clone());
        lock(&self.schedule).sent.push(index);
        let mut sent = self.steps.post(&record, true).await;
        let mut rounds = 0;
        while let Err(error) = &sent {
            if !error.post_may_retry() || rounds >= self.config.throttled_post_rounds {
                break;
            }
            // Microsoft did not take it (429/503/overload/no connection): the same record, once more,
            // after the limiter's pause.
            rounds += 1;
            sent = self.steps.post(&record, false).await;
        }
        match self.steps.record_post(&record, sent) {
            Ok((outcome, record)) => {
                self.set_record(index, record);
                let now = Instant::now();
                let mut schedule = lock(&self.schedule);
                match outcome {
                    PostOutcome::Accepted => schedule
                        .follow
                        .push_back((index, now + self.config.first_poll)),
                    PostOutcome::AcceptedUnfollowable | PostOutcome::Unknown => {
                        schedule.resolve.push_back((index, now, now))
                    }
                    PostOutcome::Rejected => schedule.settled_in_run += 1,
                }
            }
            Err(error) => {
                log::warn!("bulk: recording the answer for row {index} failed: {error}");
                self.set_phase(index, RowPhase::LeftOpen, Some(&error.sentence()));
            }
        }
    }

    fn record_id(&self, index: usize) -> Option<i64> {
        lock(&self.rows)[index].record.as_ref().map(|r| r.id)
    }

    /// The row's record as the history has it now, when it is still open: a settled one is
    /// settled here, one that cannot be read leaves the row open.
    fn open_record(&self, index: usize) -> Option<(i64, OperationRecord)> {
        let id = self.record_id(index)?;
        match self.history.get(id) {
            Ok(Some(record)) if record.status.is_settled() => {
                self.settle(index, record);
                None
            }
            Ok(Some(record)) => Some((id, record)),
            _ => {
                self.set_phase(index, RowPhase::LeftOpen, None);
                None
            }
        }
    }

    async fn poll(self: &Arc<Self>, index: usize) {
        let Some((id, record)) = self.open_record(index) else {
            return;
        };
        let step = match self.steps.read_operation(record).await {
            Ok(step) => step,
            Err(error) => {
                log::warn!("bulk: record {id} not updated: {error}");
                self.follow_later(index);
                return;
            }
        };
        match step {
            ReadStep::Open(record) => {
                lock(&self.rows)[index].refusals = 0;
                self.set_record(index, record);
                self.follow_later(index);
            }
            ReadStep::Settled(record) => self.settle(index, record),
            ReadStep::Resolve(record) => {
                self.set_record(index, record);
                self.to_resolve(index);
            }
            ReadStep::SignedOut(error) => {
                self.set_phase(index, RowPhase::LeftOpen, Some(&error.to_string()));
            }
            ReadStep::Refused(error) => {
                let refusals = {
                    let mut rows = lock(&self.rows);
                    rows[index].refusals += 1;
                    rows[index].refusals
                };
                log::warn!(
                    "bulk: reading the operation of record {id} was refused ({refusals}): {error}"
                );
                if refusals >= OPERATION_REFUSALS {
                    self.to_resolve(index);
                } else {
                    self.follow_later(index);
                }
            }
            ReadStep::Failed(error) => {
                log::warn!("bulk: reading the operation of record {id} failed: {error}");
                self.follow_later(index);
            }
        }
    }

    fn follow_later(&self, index: usize) {
        let due = Instant::now() + self.config.poll_gap;
        lock(&self.schedule).follow.push_back((index, due));
    }

    fn to_resolve(&self, index: usize) {
        let now = Instant::now();
        lock(&self.schedule).resolve.push_back((index, now, now));
    }

    async fn resolve(self: &Arc<Self>, index: usize, since: Instant) {
        let Some((id, record)) = self.open_record(index) else {
            return;
        };
        match self.steps.check_by_lookup(&record).await {
            Ok(CheckStep::Confirmed(record)) => {
                self.settle(index, record);
                return;
            }
            Ok(CheckStep::NotYet) => {}
            Ok(CheckStep::SignedOut(error)) => {
                self.set_phase(index, RowPhase::LeftOpen, Some(&error.to_string()));
                return;
            }
            Ok(CheckStep::Failed(error)) => {
                log::warn!("bulk: checking record {id} by lookup failed: {error}")
            }
            Err(error) => {
                self.set_phase(index, RowPhase::LeftOpen, Some(&error.sentence()));
                return;
            }
        }
        if since.elapsed() >= self.config.resolve_window {
            match self.history.update(id, not_confirmed(&record)) {
                Ok(record) => self.settle(index, record),
                Err(error) => self.set_phase(index, RowPhase::LeftOpen, Some(&error.sentence())),
            }
            return;
        }
        let due = Instant::now() + self.config.resolve_gap;
        lock(&self.schedule).resolve.push_back((index, due, since));
    }

    fn settle(&self, index: usize, record: OperationRecord) {
        lock(&self.schedule).settled_in_run += 1;
        self.set_record(index, record);
    }

    fn set_record(&self, index: usize, record: OperationRecord) {
        let update = {
            let mut rows = lock(&self.rows);
            let row = &mut rows[index];
            row.phase = RowPhase::of(&record.status);
            row.record = Some(record);
            self.update_of(index, row, None)
        };
        (self.progress)(&BulkEvent::Row(update));
        self.emit_progress();
    }

    fn set_phase(&self, index: usize, phase: RowPhase, detail: Option<&str>) {
        let update = {
            let mut rows = lock(&self.rows);
            let row = &mut rows[index];
            row.phase = phase;
            row.note = detail.map(str::to_owned);
            self.update_of(index, row, None)
        };
        if phase.is_final() {
            lock(&self.schedule).settled_in_run += 1;
        }
        (self.progress)(&BulkEvent::Row(update));
        self.emit_progress();
    }

    fn update_of(&self, index: usize, row: &Row, detail: Option<String>) -> RowUpdate {
        RowUpdate {
            row: index,
            line: row.plan.line,
            telephone_number: row.plan.telephone_number.clone(),
            display: crate::phone::display_form(&row.plan.telephone_number),
            assignee: {
                let prior = &row.plan.prior_assignee;
                prior
                    .name
                    .clone()
                    .or_else(|| prior.upn.clone())
                    .or_else(|| prior.id.clone())
            },
            phase: row.phase,
            record_id: row.record.as_ref().map(|r| r.id),
            status: row.record.as_ref().map(|r| r.status.to_string()),
            detail: detail.or_else(|| row.note.clone()).or_else(|| {
                row.record.as_ref().and_then(|r| {
                    r.status_detail.clone().or_else(|| {
                        r.error
                            .as_ref()
                            .map(|e| e.message.clone())
                            .filter(|m| !m.is_empty())
                    })
                })
            }),
            error: row.record.as_ref().and_then(|r| r.error.clone()),
        }
    }

    fn emit_progress(&self) {
        (self.progress)(&BulkEvent::Progress(self.snapshot()));
    }

    fn snapshot(&self) -> RunProgress {
        let mut counts = RunCounts::default();
        for row in lock(&self.rows).iter() {
            counts.total += 1;
            *match row.phase {
                RowPhase::Waiting => &mut counts.waiting,
                RowPhase::Sending => &mut counts.sending,
                RowPhase::Accepted => &mut counts.accepted,
                RowPhase::OutcomeUnknown => &mut counts.outcome_unknown,
                RowPhase::Succeeded => &mut counts.succeeded,
                RowPhase::Failed => &mut counts.failed,
                RowPhase::NotConfirmed => &mut counts.not_confirmed,
                RowPhase::Rejected => &mut counts.rejected,
                RowPhase::NotSent => &mut counts.not_sent,
                RowPhase::Skipped => &mut counts.skipped,
                RowPhase::LeftOpen => &mut counts.left_open,
            } += 1;
        }
        let (sent, settled_in_run, idle) = {
            let schedule = lock(&self.schedule);
            let idle = schedule.busy == 0
                && schedule.follow.is_empty()
                && schedule.resolve.is_empty()
                && (schedule.to_send.is_empty() || self.cancelled.load(Ordering::SeqCst));
            (schedule.sent.len(), schedule.settled_in_run, idle)
        };
        counts.sent = sent;
        let open = counts.waiting + counts.sending + counts.accepted + counts.outcome_unknown;
        let elapsed = self.started.elapsed().as_secs_f64();
        let eta_seconds = (settled_in_run > 0)
            .then(|| (elapsed / settled_in_run as f64 * open as f64).ceil() as u64);
        let state = if open == 0 && idle {
            RunState::Finished
        } else if self.cancelled.load(Ordering::SeqCst) {
            RunState::Cancelled
        } else if self.paused.load(Ordering::SeqCst) {
            RunState::Paused
        } else {
            RunState::Running
        };
        RunProgress {
            batch_id: self.batch_id.clone(),
            state,
            counts,
            eta_seconds,
            rate: self.limiter.stats(),
        }
    }
}
