//! Bulk runs ("batches"): what each confirmed, so an interrupted one can be resumed.
//!
//! Each operation of a run carries the batch id (`operations.batch_id`); this table keeps the
//! run itself: its kind, the confirmation's summary, and the planned rows as JSON. The rows'
//! outcomes are not copied here: the operations are the one record of what was sent.

use rusqlite::{named_params, OptionalExtension};
use serde::Serialize;
use time::OffsetDateTime;

use super::{timestamp, History, HistoryError, OperationKind};

/// One bulk run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BatchRecord {
    pub id: String,
    pub kind: OperationKind,
    pub created_at: String,
    /// The confirmation as the admin read it ("148 numbers from 146 users …").
    pub summary: String,
    pub rows: usize,
    /// The planned rows, as the bulk module wrote them.
    #[serde(skip)]
    pub plan: String,
    /// When the run ended; `None` while it runs, or when it was cut off.
    pub closed_at: Option<String>,
}

const BATCH_COLUMNS: &str = "id, kind, created_at, summary, rows, plan, closed_at";

fn batch_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<BatchRecord> {
    let kind: String = row.get(1)?;
    let kind = OperationKind::parse(&kind).ok_or_else(|| {
        rusqlite::Error::FromSqlConversionFailure(
            1,
            rusqlite::types::Type::Text,
            format!("unknown batch kind {kind:?}").into(),
        )
    })?;
    Ok(BatchRecord {
        id: row.get(0)?,
        kind,
        created_at: row.get(2)?,
        summary: row.get(3)?,
        rows: usize::try_from(row.get::<_, i64>(4)?).unwrap_or(0),
        plan: row.get(5)?,
        closed_at: row.get(6)?,
    })
}

impl History {
    /// Records a new run before anything of it is sent.
    pub fn create_batch(
        &self,
        id: &str,
        kind: OperationKind,
        summary: &str,
        rows: usize,
        plan: &str,
    ) -> Result<BatchRecord, HistoryError> {
        let created_at = timestamp(OffsetDateTime::now_utc());
        self.lock().execute(
            "INSERT INTO batches (id, kind, created_at, summary, rows, plan) \
             VALUES (:id, :kind, :created_at, :summary, :rows, :plan)",
            named_params! {
                ":id": id,
                ":kind": kind.as_str(),
                ":created_at": created_at,
                ":summary": summary,
                ":rows": i64::try_from(rows).unwrap_or(i64::MAX),
                ":plan": plan,
            },
        )?;
        self.batch(id)?
            .ok_or_else(|| HistoryError::Invalid(format!("batch {id} not saved")))
    }

    /// Marks a run ended (finished or cancelled). Closing twice keeps the first time.
    pub fn close_batch(&self, id: &str) -> Result<(), HistoryError> {
        self.lock().execute(
            "UPDATE batches SET closed_at = :now WHERE id = :id AND closed_at IS NULL",
            named_params! {":id": id, ":now": timestamp(OffsetDateTime::now_utc())},
        )?;
        Ok(())
    }

    pub fn batch(&self, id: &str) -> Result<Option<BatchRecord>, HistoryError> {
        Ok(self
            .lock()
            .query_row(
                &format!("SELECT {BATCH_COLUMNS} FROM batches WHERE id = :id"),
                named_params! {":id": id},
                batch_from_row,
            )
            .optional()?)
    }

    /// Runs never closed, oldest first: cut off by a crash or a quit.
    pub fn open_batches(&self) -> Result<Vec<BatchRecord>, HistoryError> {
        let conn = self.lock();
        let mut statement = conn.prepare_cached(&format!(
            "SELECT {BATCH_COLUMNS} FROM batches WHERE closed_at IS NULL ORDER BY created_at"
        ))?;
        let rows = statement.query_map([], batch_from_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The newest runs first.
    pub fn recent_batches(&self, limit: usize) -> Result<Vec<BatchRecord>, HistoryError> {
        let conn = self.lock();
        let mut statement = conn.prepare_cached(&format!(
            "SELECT {BATCH_COLUMNS} FROM batches ORDER BY created_at DESC, rowid DESC LIMIT :limit"
        ))?;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = statement.query_map(named_params! {":limit": limit}, batch_from_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The newest record of each number in the batch, newest first.
    pub fn records_in_batch(&self, id: &str) -> Result<Vec<super::OperationRecord>, HistoryError> {
        let conn = self.lock();
        let mut statement = conn.prepare_cached(&format!(
            "SELECT {} FROM operations WHERE batch_id = :id ORDER BY id DESC",
            super::COLUMNS
        ))?;
        let rows = statement.query_map(named_params! {":id": id}, super::record_from_row)?;
        let mut seen = std::collections::HashSet::new();
        let mut out = Vec::new();
        for record in rows {
            let record = record?;
            if seen.insert(record.telephone_number.to_ascii_lowercase()) {
                out.push(record);
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Actor, Assignee, Durability, NewOperation, RecordChange, RecordStatus};
    use super::*;

    fn op(number: &str, batch: &str) -> NewOperation {
        NewOperation {
            kind: OperationKind::Unassign,
            telephone_number: number.into(),
            number_type: Some("directRouting".into()),
            prior_assignee: Assignee::default(),
            actor: Actor {
                upn: "admin@contoso.example".into(),
                tenant_id: "t".into(),
                cloud: "demo".into(),
            },
            client_request_id: uuid::Uuid::new_v4().to_string(),
            undo_of: None,
            batch_id: Some(batch.into()),
        }
    }

    #[test]
    fn a_batch_is_open_until_closed_and_keeps_its_plan() {
        let dir = tempfile::tempdir().unwrap();
        let history = History::open_with(dir.path(), Durability::ProcessCrash)
            .unwrap()
            .0;
        let made = history
            .create_batch("b1", OperationKind::Unassign, "2 numbers", 2, "[1,2]")
            .unwrap();
        assert_eq!(made.plan, "[1,2]");
        assert_eq!(made.closed_at, None);
        history
            .create_batch("b2", OperationKind::Assign, "1 number", 1, "[3]")
            .unwrap();
        let open: Vec<String> = history
            .open_batches()
            .unwrap()
            .into_iter()
            .map(|b| b.id)
            .collect();
        assert_eq!(open, ["b1", "b2"]);
        history.close_batch("b1").unwrap();
        let closed = history.batch("b1").unwrap().unwrap();
        assert!(closed.closed_at.is_some());
        history.close_batch("b1").unwrap();
        assert_eq!(
            history.batch("b1").unwrap().unwrap().closed_at,
            closed.closed_at
        );
        let open: Vec<String> = history
            .open_batches()
            .unwrap()
            .into_iter()
            .map(|b| b.id)
            .collect();
        assert_eq!(open, ["b2"]);
        assert_eq!(history.recent_batches(1).unwrap()[0].id, "b2");
        assert!(history.batch("nope").unwrap().is_none());
        // The same id twice is refused, not overwritten.
        assert!(history
            .create_batch("b2", OperationKind::Assign, "x", 0, "[]")
            .is_err());
    }

    #[test]
    fn records_in_a_batch_are_the_newest_per_number_and_only_that_batch() {
        let dir = tempfile::tempdir().unwrap();
        let history = History::open_with(dir.path(), Durability::ProcessCrash)
            .unwrap()
            .0;
        let first = history.create(op("+15550100001", "b1")).unwrap();
        history
            .update(first.id, RecordChange::status(RecordStatus::Failed))
            .unwrap();
        let again = history.create(op("+15550100001", "b1")).unwrap();
        let other = history.create(op("+15550100002", "b1")).unwrap();
        history.create(op("+15550100003", "b2")).unwrap();
        let ids: Vec<i64> = history
            .records_in_batch("b1")
            .unwrap()
            .into_iter()
            .map(|r| r.id)
            .collect();
        assert_eq!(ids, [other.id, again.id]);
        let page = history
            .list(&super::super::HistoryQuery {
                batch_id: Some("b2".into()),
                ..Default::default()
            })
            .unwrap();
        assert_eq!(page.records.len(), 1);
        assert_eq!(page.records[0].telephone_number, "+15550100003");
    }
}
