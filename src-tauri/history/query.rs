//! The history view's queries: newest-first pages, filters, and the per-status counts.
//!
//! Paging is by key, not offset: a page asks for ids below the last one it showed
//! (`before_id`), so every page costs the same and records written meanwhile shift nothing.
//! A set of statuses is answered by one index walk per status (each `status = ?` over the
//! `(status, id)` index, already in id order) merged here, which stays a page's worth of work
//! however rare or common each status is; `status IN (…) ORDER BY id` would make SQLite either
//! sort every matching row or scan the table.
//!
//! The text filter matches `search_text` (see migration 1) with `instr`, not `LIKE`, so `%` and
//! `_` typed by the admin mean themselves. Input that looks like a phone number (digits with
//! `+ - ( ) .` and spaces) is also tried as bare digits, so `+1 (555) 010-0100` finds
//! `+15550100100`.

use rusqlite::{Connection, ToSql};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

use super::{record_from_row, HistoryError, OperationRecord, RecordStatus, COLUMNS};

/// Records per page when the query does not say.
pub const DEFAULT_PAGE_SIZE: u32 = 100;
/// The largest page [`super::History::list`] returns.
pub const MAX_PAGE_SIZE: u32 = 500;

/// What the history view asks for. Deserialisable straight from the UI (`camelCase`, every
/// field optional).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct HistoryQuery {
    /// Only these statuses; empty means all.
    pub statuses: Vec<RecordStatus>,
    /// Case-insensitive text in the number (digits or as written), the assignee's id, name or
    /// UPN, or the request ids. Blank means no filter.
    pub text: Option<String>,
    /// Only records older than this id: the `next_before_id` of the previous page.
    pub before_id: Option<i64>,
    /// Only the records of this bulk run (the `operations_by_batch` index).
    pub batch_id: Option<String>,
    /// Records per page: 0 means [`DEFAULT_PAGE_SIZE`]; more than [`MAX_PAGE_SIZE`] is capped.
    pub limit: u32,
}

/// One page, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HistoryPage {
    pub records: Vec<OperationRecord>,
    /// Pass as `before_id` for the next page; `None` when this was the last.
    pub next_before_id: Option<i64>,
}

/// How many records have each status (the chips).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StatusCounts {
    pub total: u64,
    pub in_flight: u64,
    /// Keyed by the status as stored (`succeeded`, `outcomeUnknown`, `paused`, …); statuses
    /// with no record are absent.
    pub by_status: BTreeMap<String, u64>,
}

impl HistoryQuery {
    pub(super) fn page_size(&self) -> usize {
        match self.limit {
            0 => DEFAULT_PAGE_SIZE as usize,
            n => n.min(MAX_PAGE_SIZE) as usize,
        }
    }
}

pub(super) fn list(conn: &Connection, query: &HistoryQuery) -> Result<HistoryPage, HistoryError> {
    let size = query.page_size();
    let needles = Needles::new(query.text.as_deref());
    let statuses: BTreeSet<&str> = query.statuses.iter().map(RecordStatus::as_str).collect();
    // One more than a page tells whether another page follows.
    let wanted = size + 1;
    let mut records = if statuses.is_empty() {
        select(conn, None, query, &needles, wanted)?
    } else {
        let mut merged = Vec::new();
        for status in statuses {
            merged.extend(select(conn, Some(status), query, &needles, wanted)?);
        }
        merged.sort_unstable_by_key(|record| std::cmp::Reverse(record.id));
        merged.truncate(wanted);
        merged
    };
    let next_before_id = if records.len() > size {
        records.truncate(size);
        records.last().map(|record| record.id)
    } else {
        None
    };
    Ok(HistoryPage {
        records,
        next_before_id,
    })
}

fn select(
    conn: &Connection,
    status: Option<&str>,
    query: &HistoryQuery,
    needles: &Needles,
    limit: usize,
) -> rusqlite::Result<Vec<OperationRecord>> {
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let mut sql = format!("SELECT {COLUMNS} FROM operations WHERE 1");
    let mut params: Vec<(&str, &dyn ToSql)> = Vec::new();
    if let Some(status) = &status {
        sql.push_str(" AND status = :status");
        params.push((":status", status));
    }
    if let Some(before_id) = &query.before_id {
        sql.push_str(" AND id < :before_id");
        params.push((":before_id", before_id));
    }
    if let Some(batch_id) = &query.batch_id {
        sql.push_str(" AND batch_id = :batch_id");
        params.push((":batch_id", batch_id));
    }
    if let Some(text) = &needles.text {
        sql.push_str(" AND (instr(search_text, :text) > 0");
        params.push((":text", text));
        if let Some(digits) = &needles.digits {
            sql.push_str(" OR instr(search_text, :digits) > 0");
            params.push((":digits", digits));
        }
        sql.push(')');
    }
    sql.push_str(" ORDER BY id DESC LIMIT :limit");
    params.push((":limit", &limit));
    let mut statement = conn.prepare_cached(&sql)?;
    let rows = statement.query_map(params.as_slice(), record_from_row)?;
    rows.collect()
}

pub(super) fn counts(conn: &Connection) -> Result<StatusCounts, HistoryError> {
    let mut statement =
        conn.prepare_cached("SELECT status, count(*) FROM operations GROUP BY status")?;
    let rows = statement.query_map([], |row| {
        Ok((row.get::<_, String>(0)?, row.get::<_, i64>(1)?))
    })?;
    let mut counts = StatusCounts::default();
    for row in rows {
        let (status, count) = row?;
        let count = u64::try_from(count).unwrap_or(0);
        counts.total += count;
        if RecordStatus::from_stored(&status).is_in_flight() {
            counts.in_flight += count;
        }
        counts.by_status.insert(status, count);
    }
    Ok(counts)
}

/// The text filter, lower-cased; and as bare digits when it looks like a phone number.
struct Needles {
    text: Option<String>,
    digits: Option<String>,
}

impl Needles {
    fn new(text: Option<&str>) -> Needles {
        let text = text
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_lowercase);
        let digits = text.as_deref().and_then(|text| {
            let phone_like = text
                .chars()
                .all(|c| c.is_ascii_digit() || "+-(). ".contains(c));
            let digits: String = text.chars().filter(char::is_ascii_digit).collect();
            (phone_like && !digits.is_empty() && digits != text).then_some(digits)
        });
        Needles { text, digits }
    }
}

/// Field separator in `search_text`: no typed text contains it, so no match spans two fields.
const SEPARATOR: char = '\u{1f}';

/// What the text filter searches, lower-cased: the number's digits (the extension's apart),
/// the number as written, the assignee's id, name and UPN, the request ids.
pub(super) fn search_text(record: &OperationRecord) -> String {
    let (number, extension) = record
        .telephone_number
        .split_once(';')
        .unwrap_or((&record.telephone_number, ""));
    let digits = |text: &str| {
        text.chars()
            .filter(char::is_ascii_digit)
            .collect::<String>()
    };
    let assignee = &record.prior_assignee;
    let fields = [
        Some(digits(number)),
        Some(digits(extension)),
        Some(record.telephone_number.clone()),
        assignee.id.clone(),
        assignee.name.clone(),
        assignee.upn.clone(),
        record.request_id.clone(),
        Some(record.client_request_id.clone()),
    ];
    let mut text = String::new();
    for field in fields.into_iter().flatten() {
        if !field.is_empty() {
            text.push_str(&field.to_lowercase());
            text.push(SEPARATOR);
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phone_like_text_is_also_tried_as_digits() {
        let needles = Needles::new(Some(" +1 (555) 010-0100 "));
        assert_eq!(needles.text.as_deref(), Some("+1 (555) 010-0100"));
        assert_eq!(needles.digits.as_deref(), Some("15550100100"));
        let plain = Needles::new(Some("0100"));
        assert_eq!(plain.text.as_deref(), Some("0100"));
        assert_eq!(plain.digits, None);
        let name = Needles::new(Some("Ana-María"));
        assert_eq!(name.text.as_deref(), Some("ana-maría"));
        assert_eq!(name.digits, None);
        assert!(Needles::new(Some("   ")).text.is_none());
    }

    #[test]
    fn page_size_defaults_and_is_capped() {
        let mut query = HistoryQuery::default();
        assert_eq!(query.page_size(), DEFAULT_PAGE_SIZE as usize);
        query.limit = 10_000;
        assert_eq!(query.page_size(), MAX_PAGE_SIZE as usize);
        query.limit = 3;
        assert_eq!(query.page_size(), 3);
    }

    #[test]
    fn queries_deserialise_from_the_ui() {
        let query: HistoryQuery =
            serde_json::from_str(r#"{"statuses":["failed","paused"],"beforeId":9}"#).unwrap();
        assert_eq!(
            query.statuses,
            [RecordStatus::Failed, RecordStatus::Other("paused".into())]
        );
        assert_eq!(query.before_id, Some(9));
        assert_eq!(query.limit, 0);
    }
}
