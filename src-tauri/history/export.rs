//! The history as CSV, for a spreadsheet or a ticket.
//!
//! The `csv` crate does the RFC 4180 part (quotes around fields with commas, quotes or line
//! breaks; quotes doubled) and CRLF line ends are set explicitly, as the RFC asks. One thing is
//! added for the spreadsheet the file will most likely be opened in: a cell that begins with
//! `=`, `+`, `-`, `@`, tab or carriage return is prefixed with `'`, because Excel and
//! LibreOffice would run it as a formula — and names and status details come from the tenant,
//! where anyone who can edit a display name could plant one (OWASP "CSV injection"). The
//! telephone number goes through [`defused_number`]: an E.164 number (`+` and digits only)
//! stays exact — a spreadsheet can at worst read it as a number, which runs nothing, and the
//! file must give back the number as Teams shows it, to paste into Bulk or a ticket — while
//! any other text in that column (Graph's raw value) is defused like every other cell.
//!
//! The file starts with a UTF-8 byte-order mark: Excel opens a CSV without one in the
//! computer's ANSI code page, so "Zoë Müller" would show as "ZoÃ« MÃ¼ller". With the mark it
//! reads UTF-8 (LibreOffice and the `csv` crate skip the mark too). The history export and a bulk
//! run's export both come through here.
//!
//! Rows are read a page at a time with the database lock released between pages, so a large
//! export does not hold up the poller's writes.

use std::borrow::Cow;
use std::io::Write;

use super::{HistoryError, HistoryPage, HistoryQuery, OperationRecord, MAX_PAGE_SIZE};

/// The header row, in column order.
pub const CSV_HEADER: [&str; 28] = [
    "id",
    "kind",
    "telephoneNumber",
    "numberType",
    "priorAssigneeId",
    "priorAssigneeName",
    "priorAssigneeUpn",
    "priorAssigneeTargetKind",
    "priorAssigneeCategory",
    "priorAssigneeLocationId",
    "actorUpn",
    "actorTenantId",
    "actorCloud",
    "requestedAt",
    "clientRequestId",
    "requestId",
    "responseDate",
    "location",
    "status",
    "statusDetail",
    "settledAt",
    "errorKind",
    "errorMessage",
    "errorHint",
    "errorRequestId",
    "undoOf",
    "batchId",
    "updatedAt",
];

/// What Excel needs to read the file as UTF-8.
pub const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// A CSV writer for a spreadsheet: the byte-order mark written, CRLF line ends. Cells that come
/// from the tenant go through [`defused`]. Shared by every export (history, bulk, inventory).
pub fn excel_safe_writer<W: Write>(mut out: W) -> Result<csv::Writer<W>, csv::Error> {
    out.write_all(UTF8_BOM).map_err(csv::Error::from)?;
    Ok(csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(out))
}

pub(super) fn export_csv<W: Write>(
    mut list: impl FnMut(&HistoryQuery) -> Result<HistoryPage, HistoryError>,
    query: &HistoryQuery,
    out: W,
) -> Result<usize, HistoryError> {
    let mut writer = excel_safe_writer(out)?;
    writer.write_record(CSV_HEADER)?;
    let mut page_query = HistoryQuery {
        before_id: None,
        limit: MAX_PAGE_SIZE,
        ..query.clone()
    };
    let mut written = 0;
    loop {
        let page = list(&page_query)?;
        for record in &page.records {
            writer.write_record(row(record).iter().map(|cell| cell.as_bytes()))?;
            written += 1;
        }
        match page.next_before_id {
            Some(next) => page_query.before_id = Some(next),
            None => break,
        }
    }
    writer.flush().map_err(csv::Error::from)?;
    Ok(written)
}

/// An optional text cell, defused (empty when absent).
pub fn defused_text(value: &Option<String>) -> Cow<'_, str> {
    value.as_deref().map(defused).unwrap_or_default()
}

fn number(value: Option<i64>) -> Cow<'static, str> {
    value.map(|n| Cow::Owned(n.to_string())).unwrap_or_default()
}

fn row(record: &OperationRecord) -> [Cow<'_, str>; 28] {
    let assignee = &record.prior_assignee;
    let error = record.error.as_ref();
    [
        Cow::Owned(record.id.to_string()),
        Cow::Borrowed(record.kind.as_str()),
        defused_number(&record.telephone_number),
        defused_text(&record.number_type),
        defused_text(&assignee.id),
        defused_text(&assignee.name),
        defused_text(&assignee.upn),
        defused_text(&assignee.target_kind),
        defused_text(&assignee.category),
        defused_text(&assignee.location_id),
        defused(&record.actor.upn),
        defused(&record.actor.tenant_id),
        defused(&record.actor.cloud),
        Cow::Borrowed(record.requested_at.as_str()),
        defused(&record.client_request_id),
        defused_text(&record.request_id),
        defused_text(&record.response_date),
        defused_text(&record.location),
        defused(record.status.as_str()),
        defused_text(&record.status_detail),
        defused_text(&record.settled_at),
        error.map(|e| defused(&e.kind)).unwrap_or_default(),
        error.map(|e| defused(&e.message)).unwrap_or_default(),
        error.map(|e| defused_text(&e.hint)).unwrap_or_default(),
        error
            .map(|e| defused_text(&e.request_id))
            .unwrap_or_default(),
        number(record.undo_of),
        defused_text(&record.batch_id),
        Cow::Borrowed(record.updated_at.as_str()),
    ]
}

/// `value`, with a leading `'` if a spreadsheet would take it for a formula.
pub fn defused(value: &str) -> Cow<'_, str> {
    if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        Cow::Owned(format!("'{value}"))
    } else {
        Cow::Borrowed(value)
    }
}

/// A telephone number's cell: `+` followed by digits only (E.164) as it is, anything else
/// [`defused`] (Graph's raw text could begin with `=`, `-`, `@` or a `+` that starts a formula).
pub fn defused_number(value: &str) -> Cow<'_, str> {
    match value.strip_prefix('+') {
        Some(digits) if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) => {
            Cow::Borrowed(value)
        }
        _ => defused(value),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_defused_and_plain_text_is_left_alone() {
        assert_eq!(defused("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(defused("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(defused("-1+2"), "'-1+2");
        assert_eq!(defused("Ana, \"the\" admin"), "Ana, \"the\" admin");
        assert!(matches!(defused("plain"), Cow::Borrowed(_)));
    }

    #[test]
    fn an_e164_number_stays_exact_and_anything_else_in_its_column_is_defused() {
        assert!(matches!(defused_number("+12065550100"), Cow::Borrowed(_)));
        assert_eq!(defused_number("12065550100"), "12065550100");
        assert_eq!(
            defused_number("+1+cmd|' /C calc'!A0"),
            "'+1+cmd|' /C calc'!A0"
        );
        assert_eq!(defused_number("+1 206 555 0100"), "'+1 206 555 0100");
        assert_eq!(defused_number("+"), "'+");
        assert_eq!(defused_number("=1+1"), "'=1+1");
        assert_eq!(defused_number("-12065550100"), "'-12065550100");
        assert_eq!(defused_number("@12065550100"), "'@12065550100");
    }
}
