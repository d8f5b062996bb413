//! The operations history: every unassign and assign NumberDesk starts, in SQLite in the data
//! folder, so that nothing an admin did is lost and nothing is done twice by accident.
//!
//! Why it is shaped this way:
//! - **Written before and after every remote call.** A record is created as `sending` before the
//!   POST leaves and updated on the 202 and at every status change, each write one transaction
//!   (`BEGIN IMMEDIATE`). A crash at any point leaves a record saying what is known; `sending`
//!   or `outcomeUnknown` found at start-up means "look the number up", never "send again".
//! - **One open operation per number.** [`History::create_unless_in_flight`] checks and inserts
//!   in one `IMMEDIATE` transaction, which SQLite serialises across connections *and*
//!   processes, so two windows (or two app instances) cannot both submit the same number. The
//!   plain [`History::create`] does not check; it exists for callers that already hold that
//!   guarantee. A unique index was considered and rejected: the history must always be able
//!   to record what Microsoft reports (a `stale` record re-checked and found `running` while a
//!   newer one is open), and a constraint would refuse exactly that write.
//! - **Quick at 50,000 records.** Pages are keyset-paged on the id (`before_id`), never
//!   `OFFSET`, so page 500 costs what page 1 does and rows inserted meanwhile cause no gaps or
//!   duplicates. A status filter walks the `(status, id)` index once per chosen status and
//!   merges; the text filter scans newest-first and stops after a page.
//! - **Damage is set aside, never emptied.** See `schema.rs` for the rules; [`History::open`]
//!   returns a [`HistoryNotice`] the UI shows once.
//! - **One connection behind a mutex.** The app's writes are a few per operation and reads are
//!   pages of at most [`MAX_PAGE_SIZE`] rows, so one connection is plenty; long reads (the CSV
//!   export) take the lock page by page so polling is never held up for the whole export.
//!
//! Records are never deleted (no retention policy yet). Times are RFC 3339 UTC with a fixed
//! three fractional digits, so text order is time order in SQL.

mod batch;
mod export;
mod query;
mod record;
mod schema;

pub use batch::BatchRecord;
pub use export::{defused, defused_number, defused_text, excel_safe_writer, CSV_HEADER};
pub use query::{HistoryPage, HistoryQuery, StatusCounts, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE};
pub use record::{
    Actor, Assignee, ErrorFacts, NewOperation, OperationKind, OperationRecord, RecordChange,
    RecordError, RecordStatus,
};
pub use schema::{Durability, HistoryNotice, SetAsideReason, FILE_NAME, SCHEMA_VERSION};

/// Moves a damaged SQLite file (and its `-wal`/`-shm`) aside as `<name>.damaged-<date>`, never
/// deleting or overwriting anything, retrying while another program holds it: the history's
/// own rule, for any other file NumberDesk keeps in SQLite (the number inventory).
pub(crate) fn set_aside_damaged(
    path: &std::path::Path,
) -> Result<std::path::PathBuf, HistoryError> {
    schema::set_aside(path, OffsetDateTime::now_utc())
}

use record::IN_FLIGHT_SQL;
use rusqlite::{named_params, Connection, ErrorCode, OptionalExtension, TransactionBehavior};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;
use time::OffsetDateTime;

/// How long an operation may stay open before it is marked `stale`.
pub const STALE_AFTER: Duration = Duration::from_secs(24 * 60 * 60);

/// Why the history could not be used.
#[derive(Debug, thiserror::Error)]
pub enum HistoryError {
    #[error("the data folder {path} cannot hold the operations history ({source})")]
    DataFolder {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("the operations history {path} cannot be opened ({source})")]
    Open {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },
    #[error("the damaged operations history {path} could not be moved aside ({source})")]
    SetAside {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "the damaged operations history {path} is held open by another program (often \
         antivirus or a search indexer), so it could not be set aside; it was left as it is"
    )]
    HeldByAnotherProgram {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("the operations history could not be read or written ({0})")]
    Database(#[from] rusqlite::Error),
    #[error("there is no operation record {0} in the history")]
    NotFound(i64),
    #[error("{0}")]
    Invalid(String),
    #[error("the history could not be exported ({0})")]
    Export(#[from] csv::Error),
}

impl HistoryError {
    /// The sentence the admin reads when the history could not be written (a command's problem,
    /// a bulk row's detail): the same words wherever it happens.
    pub fn sentence(&self) -> String {
        format!("NumberDesk could not write its history: {self}.")
    }

    /// What the admin can do about it.
    pub fn hint(&self) -> &'static str {
        let code = match self {
            HistoryError::Open { source, .. } | HistoryError::Database(source) => {
                source.sqlite_error_code()
            }
            _ => None,
        };
        match (self, code) {
            (_, Some(ErrorCode::DiskFull)) => "Free some disk space, then try again.",
            (_, Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked)) => {
                "Another NumberDesk window or copy is using the history. Close it and try again."
            }
            (HistoryError::DataFolder { .. } | HistoryError::SetAside { .. }, _)
            | (
                _,
                Some(ErrorCode::ReadOnly | ErrorCode::CannotOpen | ErrorCode::PermissionDenied),
            ) => {
                "Check that you can write to NumberDesk's data folder (NUMBERDESK_DATA_DIR \
                 chooses another one)."
            }
            (HistoryError::HeldByAnotherProgram { .. }, _) => {
                "Close the program that holds the file (or restart the computer), then start \
                 NumberDesk again. Nothing was deleted or emptied."
            }
            (HistoryError::Export(_), _) => {
                "Choose another place to save the file, or check there is space for it."
            }
            (HistoryError::NotFound(_) | HistoryError::Invalid(_), _) => {
                "This is a fault in NumberDesk. Please report it."
            }
            _ => "Try again. If it keeps happening, restart NumberDesk.",
        }
    }
}

/// The operations history. Shareable between threads (`Send + Sync`).
pub struct History {
    conn: Mutex<Connection>,
    path: PathBuf,
}

impl History {
    /// Opens (creating) `<dir>/history.sqlite3` with [`Durability::PowerLoss`].
    ///
    /// WAL, foreign keys, a 5 s busy timeout, migrations by `PRAGMA user_version`. A file that
    /// is not a database, fails `integrity_check`, belongs to another program or has a newer
    /// schema is renamed `history.sqlite3.damaged-<YYYYMMDD-HHMMSS>` (UTC; with its `-wal` and
    /// `-shm`), a fresh one is created, and `Some(HistoryNotice)` says where the old one went.
    /// Never deletes.
    pub fn open(dir: &Path) -> Result<(History, Option<HistoryNotice>), HistoryError> {
        History::open_with(dir, Durability::PowerLoss)
    }

    /// [`History::open`] with a chosen durability (tests and benchmarks use
    /// [`Durability::ProcessCrash`] to write thousands of rows quickly).
    pub fn open_with(
        dir: &Path,
        durability: Durability,
    ) -> Result<(History, Option<HistoryNotice>), HistoryError> {
        std::fs::create_dir_all(dir).map_err(|source| HistoryError::DataFolder {
            path: dir.to_path_buf(),
            source,
        })?;
        let path = dir.join(FILE_NAME);
        let (conn, notice) = match schema::open_checked(&path, durability) {
            Ok(conn) => (conn, None),
            Err(schema::OpenFailure::Failed(error)) => return Err(error),
            Err(schema::OpenFailure::Damaged(reason)) => {
                let set_aside_as = schema::set_aside(&path, OffsetDateTime::now_utc())?;
                log::warn!(
                    "history: {} set aside as {} ({reason:?})",
                    path.display(),
                    set_aside_as.display()
                );
                let conn = match schema::open_checked(&path, durability) {
                    Ok(conn) => conn,
                    Err(schema::OpenFailure::Failed(error)) => return Err(error),
                    Err(schema::OpenFailure::Damaged(again)) => {
                        return Err(HistoryError::Invalid(format!(
                            "a new history at {} was found damaged straight away ({again:?})",
                            path.display()
                        )))
                    }
                };
                (
                    conn,
                    Some(HistoryNotice {
                        set_aside_as,
                        reason,
                    }),
                )
            }
        };
        let history = History {
            conn: Mutex::new(conn),
            path,
        };
        Ok((history, notice))
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Records a new operation as `sending`. Does not check for one in flight on the same
    /// number: see [`History::create_unless_in_flight`].
    pub fn create(&self, new: NewOperation) -> Result<OperationRecord, HistoryError> {
        let mut conn = self.lock();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let record = insert(&tx, &new, OffsetDateTime::now_utc())?;
        tx.commit()?;
        Ok(record)
    }

    /// Atomically: if the number has an operation in flight, returns it as `Ok(Err(existing))`
    /// and writes nothing; otherwise records the new one as `sending` (`Ok(Ok(created))`).
    /// The guard against double submission from two windows, or two copies of the app.
    pub fn create_unless_in_flight(
        &self,
        new: NewOperation,
    ) -> Result<Result<OperationRecord, OperationRecord>, HistoryError> {
        let mut conn = self.lock();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        if let Some(existing) = in_flight(&tx, &new.telephone_number)? {
            return Ok(Err(existing));
        }
        let record = insert(&tx, &new, OffsetDateTime::now_utc())?;
        tx.commit()?;
        Ok(Ok(record))
    }

    /// The newest record's id (`0` for an empty history): a mark to ask
    /// [`History::changed_since`] about later.
    pub fn mark(&self) -> Result<i64, HistoryError> {
        Ok(self
            .lock()
            .query_row("SELECT COALESCE(MAX(id), 0) FROM operations", [], |row| {
                row.get(0)
            })?)
    }

    /// Whether a record for `telephone_number` was written after `mark` (see
    /// [`History::mark`]): something in this app changed, or tried to change, the number.
    /// Reads only the records newer than the mark.
    pub fn changed_since(&self, telephone_number: &str, mark: i64) -> Result<bool, HistoryError> {
        Ok(self.lock().query_row(
            "SELECT EXISTS (SELECT 1 FROM operations WHERE id > ?1 AND telephone_number = ?2)",
            rusqlite::params![mark, telephone_number],
            |row| row.get(0),
        )?)
    }

    /// A record of a change that was never sent (its precondition failed), written with its
    /// final `change` in one transaction: it never reads as `sending`, so nothing, not even a
    /// crash, can take it for a request that may have left.
    pub fn create_settled(
        &self,
        new: NewOperation,
        change: RecordChange,
    ) -> Result<OperationRecord, HistoryError> {
        if !change.status.as_ref().is_some_and(RecordStatus::is_settled) {
            return Err(HistoryError::Invalid(
                "a record that was never sent must be written with a settled status".to_owned(),
            ));
        }
        let mut conn = self.lock();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let now = OffsetDateTime::now_utc();
        let mut record = insert(&tx, &new, now)?;
        apply(&mut record, change, now);
        write_back(&tx, &record)?;
        tx.commit()?;
        Ok(record)
    }

    /// Applies `change` in one transaction and stamps `updated_at`. `settled_at` follows the
    /// status: set when it becomes settled (or changes while settled), cleared when it is in
    /// flight again (a `stale` record checked and found still running).
    pub fn update(&self, id: i64, change: RecordChange) -> Result<OperationRecord, HistoryError> {
        if change.status == Some(RecordStatus::Sending) {
            return Err(HistoryError::Invalid(format!(
                "record {id} cannot go back to `sending`: that status is only written before \
                 the request is sent"
            )));
        }
        let mut conn = self.lock();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut record = select_one(&tx, id)?.ok_or(HistoryError::NotFound(id))?;
        apply(&mut record, change, OffsetDateTime::now_utc());
        write_back(&tx, &record)?;
        tx.commit()?;
        Ok(record)
    }

    pub fn get(&self, id: i64) -> Result<Option<OperationRecord>, HistoryError> {
        Ok(select_one(&self.lock(), id)?)
    }

    /// The newest page matching `query`; see [`HistoryQuery`].
    pub fn list(&self, query: &HistoryQuery) -> Result<HistoryPage, HistoryError> {
        query::list(&self.lock(), query)
    }

    /// Records per status, over the whole history (the chips).
    pub fn counts(&self) -> Result<StatusCounts, HistoryError> {
        query::counts(&self.lock())
    }

    /// Every record still in flight, oldest first: what to resume polling at start-up. A
    /// `sending` record here means the app stopped between writing it and hearing back, so
    /// the POST may or may not have left: treat it as `outcomeUnknown` (look the number up),
    /// never resend it.
    pub fn unsettled(&self) -> Result<Vec<OperationRecord>, HistoryError> {
        let conn = self.lock();
        let mut statement = conn.prepare_cached(&format!(
            "SELECT {COLUMNS} FROM operations WHERE {IN_FLIGHT_SQL} ORDER BY id"
        ))?;
        let rows = statement.query_map([], record_from_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The newest in-flight record for exactly this number (E.164 text, `;ext=` included).
    pub fn in_flight_for(
        &self,
        telephone_number: &str,
    ) -> Result<Option<OperationRecord>, HistoryError> {
        Ok(in_flight(&self.lock(), telephone_number)?)
    }

    /// Marks `stale` every in-flight record requested more than `age` before `now`, in one
    /// transaction, and returns them. `status_detail`, `location` and `error` are kept, so a
    /// stale record can be checked again.
    pub fn mark_stale_older_than(
        &self,
        age: Duration,
        now: OffsetDateTime,
    ) -> Result<Vec<OperationRecord>, HistoryError> {
        let cutoff = timestamp(now - age);
        let mut conn = self.lock();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let old: Vec<OperationRecord> = {
            let mut statement = tx.prepare_cached(&format!(
                "SELECT {COLUMNS} FROM operations \
                 WHERE {IN_FLIGHT_SQL} AND requested_at < :cutoff ORDER BY id"
            ))?;
            let rows = statement.query_map(named_params! {":cutoff": cutoff}, record_from_row)?;
            rows.collect::<Result<_, _>>()?
        };
        let mut marked = Vec::with_capacity(old.len());
        for mut record in old {
            apply(&mut record, RecordChange::status(RecordStatus::Stale), now);
            write_back(&tx, &record)?;
            marked.push(record);
        }
        tx.commit()?;
        if !marked.is_empty() {
            log::info!("history: {} operation(s) marked stale", marked.len());
        }
        Ok(marked)
    }

    /// Writes every record matching `query` (its statuses and text; `before_id` and `limit`
    /// are ignored), newest first, as CSV with a header row ([`CSV_HEADER`]), RFC 4180 quoting
    /// and CRLF line ends, after a UTF-8 byte-order mark so Excel reads names right. Returns the
    /// number of records written.
    pub fn export_csv<W: Write>(
        &self,
        query: &HistoryQuery,
        out: W,
    ) -> Result<usize, HistoryError> {
        self.export_csv_with(query, out, &|record| record)
    }

    /// [`History::export_csv`], each record passed through `words` first (the view's words for
    /// what the record keeps as facts).
    pub fn export_csv_with<W: Write>(
        &self,
        query: &HistoryQuery,
        out: W,
        words: &dyn Fn(OperationRecord) -> OperationRecord,
    ) -> Result<usize, HistoryError> {
        export::export_csv(
            |page| {
                let mut page = self.list(page)?;
                page.records = page.records.into_iter().map(words).collect();
                Ok(page)
            },
            query,
            out,
        )
    }

    /// The connection. A panic while it was held cannot have left a transaction half-done
    /// (rusqlite rolls back on drop, unwinding included), so a poisoned lock is still usable.
    fn lock(&self) -> MutexGuard<'_, Connection> {
        crate::locks::lock(&self.conn)
    }
}

/// The columns [`record_from_row`] reads, in its order.
const COLUMNS: &str = "id, kind, telephone_number, number_type, \
    assignee_id, assignee_name, assignee_upn, assignee_target_kind, assignee_category, \
    assignee_location_id, actor_upn, actor_tenant_id, actor_cloud, requested_at, \
    client_request_id, request_id, response_date, location, status, status_detail, settled_at, \
    error_kind, error_message, error_hint, error_request_id, undo_of, batch_id, updated_at, \
    error_facts";

fn record_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<OperationRecord> {
    let kind: String = row.get(1)?;
    let kind = OperationKind::parse(&kind).ok_or_else(|| {
        rusqlite::Error::FromSqlConversionFailure(
            1,
            rusqlite::types::Type::Text,
            format!("unknown operation kind {kind:?}").into(),
        )
    })?;
    let status: String = row.get(18)?;
    let error_kind: Option<String> = row.get(21)?;
    let error = match error_kind {
        Some(kind) => Some(RecordError {
            kind,
            message: row.get::<_, Option<String>>(22)?.unwrap_or_default(),
            hint: row.get(23)?,
            request_id: row.get(24)?,
            // Facts that cannot be read leave the record as it was worded (or without words).
            facts: row
                .get::<_, Option<String>>(28)?
                .and_then(|json| serde_json::from_str(&json).ok()),
        }),
        None => None,
    };
    Ok(OperationRecord {
        id: row.get(0)?,
        kind,
        telephone_number: row.get(2)?,
        number_type: row.get(3)?,
        prior_assignee: Assignee {
            id: row.get(4)?,
            name: row.get(5)?,
            upn: row.get(6)?,
            target_kind: row.get(7)?,
            category: row.get(8)?,
            location_id: row.get(9)?,
        },
        actor: Actor {
            upn: row.get(10)?,
            tenant_id: row.get(11)?,
            cloud: row.get(12)?,
        },
        requested_at: row.get(13)?,
        client_request_id: row.get(14)?,
        request_id: row.get(15)?,
        response_date: row.get(16)?,
        location: row.get(17)?,
        status: RecordStatus::from_stored(&status),
        status_detail: row.get(19)?,
        settled_at: row.get(20)?,
        error,
        undo_of: row.get(25)?,
        batch_id: row.get(26)?,
        updated_at: row.get(27)?,
    })
}

fn select_one(conn: &Connection, id: i64) -> rusqlite::Result<Option<OperationRecord>> {
    conn.prepare_cached(&format!("SELECT {COLUMNS} FROM operations WHERE id = ?1"))?
        .query_row([id], record_from_row)
        .optional()
}

fn in_flight(
    conn: &Connection,
    telephone_number: &str,
) -> rusqlite::Result<Option<OperationRecord>> {
    conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM operations \
         WHERE telephone_number = ?1 AND {IN_FLIGHT_SQL} ORDER BY id DESC LIMIT 1"
    ))?
    .query_row([telephone_number], record_from_row)
    .optional()
}

fn insert(
    conn: &Connection,
    new: &NewOperation,
    now: OffsetDateTime,
) -> Result<OperationRecord, HistoryError> {
    if new.telephone_number.trim().is_empty() {
        return Err(HistoryError::Invalid(
            "an operation needs a telephone number".to_owned(),
        ));
    }
    if new.client_request_id.trim().is_empty() {
        return Err(HistoryError::Invalid(
            "an operation needs its client-request-id before it is sent".to_owned(),
        ));
    }
    if let Some(undone) = new.undo_of {
        let target = select_one(conn, undone)?.ok_or(HistoryError::NotFound(undone))?;
        if new.kind != OperationKind::Assign
            || target.kind != OperationKind::Unassign
            || target.telephone_number != new.telephone_number
        {
            return Err(HistoryError::Invalid(format!(
                "an undo must assign {} back, and record {undone} is not its unassign",
                new.telephone_number
            )));
        }
    }
    let now = timestamp(now);
    let record = OperationRecord {
        id: 0,
        kind: new.kind,
        telephone_number: new.telephone_number.clone(),
        number_type: new.number_type.clone(),
        prior_assignee: new.prior_assignee.clone(),
        actor: new.actor.clone(),
        requested_at: now.clone(),
        client_request_id: new.client_request_id.clone(),
        request_id: None,
        response_date: None,
        location: None,
        status: RecordStatus::Sending,
        status_detail: None,
        settled_at: None,
        error: None,
        undo_of: new.undo_of,
        batch_id: new.batch_id.clone(),
        updated_at: now,
    };
    let a = &record.prior_assignee;
    conn.prepare_cached(
        "INSERT INTO operations (kind, telephone_number, number_type, assignee_id, \
         assignee_name, assignee_upn, assignee_target_kind, assignee_category, \
         assignee_location_id, actor_upn, actor_tenant_id, actor_cloud, requested_at, \
         client_request_id, status, undo_of, batch_id, updated_at, search_text) \
         VALUES (:kind, :number, :number_type, :a_id, :a_name, :a_upn, :a_target, :a_category, \
         :a_location, :actor_upn, :actor_tenant, :actor_cloud, :requested_at, :client_request_id, \
         :status, :undo_of, :batch_id, :updated_at, :search_text)",
    )?
    .execute(named_params! {
        ":kind": record.kind.as_str(),
        ":number": record.telephone_number,
        ":number_type": record.number_type,
        ":a_id": a.id,
        ":a_name": a.name,
        ":a_upn": a.upn,
        ":a_target": a.target_kind,
        ":a_category": a.category,
        ":a_location": a.location_id,
        ":actor_upn": record.actor.upn,
        ":actor_tenant": record.actor.tenant_id,
        ":actor_cloud": record.actor.cloud,
        ":requested_at": record.requested_at,
        ":client_request_id": record.client_request_id,
        ":status": record.status.as_str(),
        ":undo_of": record.undo_of,
        ":batch_id": record.batch_id,
        ":updated_at": record.updated_at,
        ":search_text": query::search_text(&record),
    })?;
    Ok(OperationRecord {
        id: conn.last_insert_rowid(),
        ..record
    })
}

/// The change, as it will be stored.
fn apply(record: &mut OperationRecord, change: RecordChange, now: OffsetDateTime) {
    let now = timestamp(now);
    if let Some(status) = change.status {
        if status.is_in_flight() {
            record.settled_at = None;
        } else if record.status.is_in_flight() || record.status != status {
            record.settled_at = Some(now.clone());
        }
        record.status = status;
    }
    if let Some(detail) = change.status_detail {
        record.status_detail = Some(detail);
    }
    if let Some(request_id) = change.request_id {
        record.request_id = Some(request_id);
    }
    if let Some(date) = change.response_date {
        record.response_date = Some(date);
    }
    if let Some(location) = change.location {
        record.location = Some(location);
    }
    if let Some(error) = change.error {
        record.error = error;
    }
    record.updated_at = now;
}

/// Stores every field a change can touch.
fn write_back(conn: &Connection, record: &OperationRecord) -> Result<(), HistoryError> {
    let error = record.error.as_ref();
    let changed = conn
        .prepare_cached(
            "UPDATE operations SET request_id = :request_id, response_date = :response_date, \
             location = :location, status = :status, status_detail = :status_detail, \
             settled_at = :settled_at, error_kind = :error_kind, error_message = :error_message, \
             error_hint = :error_hint, error_request_id = :error_request_id, \
             error_facts = :error_facts, \
             updated_at = :updated_at, search_text = :search_text WHERE id = :id",
        )?
        .execute(named_params! {
            ":request_id": record.request_id,
            ":response_date": record.response_date,
            ":location": record.location,
            ":status": record.status.as_str(),
            ":status_detail": record.status_detail,
            ":settled_at": record.settled_at,
            ":error_kind": error.map(|e| &e.kind),
            ":error_message": error.map(|e| &e.message),
            ":error_hint": error.and_then(|e| e.hint.as_ref()),
            ":error_request_id": error.and_then(|e| e.request_id.as_ref()),
            ":error_facts": error
                .and_then(|e| e.facts.as_ref())
                .and_then(|f| serde_json::to_string(f).ok()),
            ":updated_at": record.updated_at,
            ":search_text": query::search_text(record),
            ":id": record.id,
        })?;
    if changed == 1 {
        Ok(())
    } else {
        Err(HistoryError::NotFound(record.id))
    }
}

/// RFC 3339, UTC, always three fractional digits: text order is time order.
fn timestamp(at: OffsetDateTime) -> String {
    let at = at.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        at.year(),
        u8::from(at.month()),
        at.day(),
        at.hour(),
        at.minute(),
        at.second(),
        at.millisecond()
    )
}

#[cfg(test)]
mod tests;
