//! The inventory and the leavers report as CSV, through the history's Excel-safe writer (UTF-8
//! byte-order mark, CRLF, cells that a spreadsheet would run as a formula defused; the
//! telephone number, E.164 by construction, is kept exact).

use super::{InventoryError, InventoryRow, LeaversReport};
use crate::history::{defused, excel_safe_writer};
use std::borrow::Cow;
use std::io::Write;
use std::path::Path;

pub const INVENTORY_CSV_HEADER: [&str; 12] = [
    "telephoneNumber",
    "numberType",
    "assignedTo",
    "assignmentStatus",
    "assigneeId",
    "assigneeName",
    "assigneeUpn",
    "assignmentCategory",
    "country",
    "city",
    "activationState",
    "locationId",
];

pub const LEAVERS_CSV_HEADER: [&str; 8] = [
    "telephoneNumber",
    "numberType",
    "reason",
    "explanation",
    "assigneeId",
    "assigneeName",
    "assigneeUpn",
    "country",
];

fn text(value: &Option<String>) -> Cow<'_, str> {
    value.as_deref().map(defused).unwrap_or_default()
}

fn row_cells(row: &InventoryRow) -> [Cow<'_, str>; 12] {
    [
        Cow::Borrowed(row.telephone_number.as_str()),
        defused(&row.number_type),
        Cow::Borrowed(row.assignment.as_str()),
        text(&row.assignment_status),
        text(&row.assignee_id),
        text(&row.assignee_name),
        text(&row.assignee_upn),
        text(&row.assignment_category),
        text(&row.country),
        text(&row.city),
        text(&row.activation_state),
        text(&row.location_id),
    ]
}

/// Writes `rows` (e.g. [`super::InventoryView::all_matching`]) and returns how many.
pub fn export_inventory_csv<'a, W: Write>(
    rows: impl IntoIterator<Item = &'a InventoryRow>,
    out: W,
) -> Result<usize, csv::Error> {
    let mut writer = excel_safe_writer(out)?;
    writer.write_record(INVENTORY_CSV_HEADER)?;
    let mut written = 0;
    for row in rows {
        writer.write_record(row_cells(row).iter().map(|c| c.as_bytes()))?;
        written += 1;
    }
    writer.flush()?;
    Ok(written)
}

/// The leavers report for the change ticket.
pub fn export_leavers_csv<W: Write>(report: &LeaversReport, out: W) -> Result<usize, csv::Error> {
    let mut writer = excel_safe_writer(out)?;
    writer.write_record(LEAVERS_CSV_HEADER)?;
    for leaver in &report.leavers {
        let row = &leaver.row;
        let cells: [Cow<'_, str>; 8] = [
            Cow::Borrowed(row.telephone_number.as_str()),
            defused(&row.number_type),
            Cow::Borrowed(leaver.reason.as_str()),
            Cow::Borrowed(leaver.explanation),
            text(&row.assignee_id),
            text(&row.assignee_name),
            text(&row.assignee_upn),
            text(&row.country),
        ];
        writer.write_record(cells.iter().map(|c| c.as_bytes()))?;
    }
    writer.flush()?;
    Ok(report.leavers.len())
}

/// Creates the file `path` and writes a CSV into it with `write` (one of the exports above);
/// returns how many rows were written.
pub fn write_csv_file(
    path: &Path,
    write: impl FnOnce(std::io::BufWriter<std::fs::File>) -> Result<usize, csv::Error>,
) -> Result<usize, InventoryError> {
    let failed = |source: csv::Error| InventoryError::Export {
        path: path.to_owned(),
        source,
    };
    let file = std::fs::File::create(path).map_err(|e| failed(e.into()))?;
    write(std::io::BufWriter::new(file)).map_err(failed)
}
