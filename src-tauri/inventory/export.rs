//! The inventory and the leavers report as CSV, through the history's Excel-safe writer (UTF-8
//! byte-order mark, CRLF, cells that a spreadsheet would run as a formula defused). The
//! telephone number is Graph's raw text: an E.164 number is kept exact, anything else in that
//! column is defused like every other cell ([`defused_number`]).

use super::{InventoryRow, LeaversReport};
use crate::history::{defused, defused_number, defused_text as text, excel_safe_writer};
use std::borrow::Cow;
use std::io::Write;

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

fn row_cells(row: &InventoryRow) -> [Cow<'_, str>; 12] {
    [
        defused_number(&row.telephone_number),
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
            defused_number(&row.telephone_number),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inventory::{AssignmentKind, Leaver, LeaverCounts, LeaverReason};

    fn row(telephone_number: &str) -> InventoryRow {
        InventoryRow {
            id: telephone_number.to_owned(),
            telephone_number: telephone_number.to_owned(),
            number_type: "directRouting".into(),
            assignment: AssignmentKind::User,
            assignment_status: Some("userAssigned".into()),
            assignee_id: Some("0b5d0f1e-0000-4000-8000-000000000001".into()),
            assignee_name: Some("Ana".into()),
            assignee_upn: None,
            assignment_category: None,
            city: None,
            country: Some("US".into()),
            activation_state: None,
            location_id: None,
        }
    }

    /// The first cell of each data row, as a spreadsheet would read it.
    fn first_cells(csv: &[u8]) -> Vec<String> {
        let mut reader = csv::Reader::from_reader(&csv[UTF8_BOM_LEN..]);
        reader
            .records()
            .map(|r| r.expect("a CSV row")[0].to_owned())
            .collect()
    }

    const UTF8_BOM_LEN: usize = 3;

    const PLANTED: [&str; 4] = [
        "=HYPERLINK(\"https://example.invalid\",\"call\")",
        "-1+2",
        "@SUM(A1)",
        "+1+cmd|' /C calc'!A0",
    ];

    #[test]
    fn the_number_column_is_defused_but_a_plain_e164_number_stays_exact() {
        let mut rows: Vec<InventoryRow> = PLANTED.iter().map(|n| row(n)).collect();
        rows.push(row("+12065550100"));
        rows.push(row("12065550100"));
        let mut numbers = Vec::new();
        export_inventory_csv(&rows, &mut numbers).unwrap();
        let report = LeaversReport {
            leavers: rows
                .iter()
                .map(|row| Leaver {
                    row: row.clone(),
                    reason: LeaverReason::Ghost,
                    explanation: "gone",
                })
                .collect(),
            unchecked: Vec::new(),
            counts: LeaverCounts::default(),
            assignees_checked: rows.len(),
            assignees_unchecked: 0,
            deleted_users_complete: true,
            requests: 0,
            complete: true,
            directory_not_permitted: false,
        };
        let mut leavers = Vec::new();
        export_leavers_csv(&report, &mut leavers).unwrap();
        for csv in [numbers, leavers] {
            let cells = first_cells(&csv);
            for (cell, planted) in cells.iter().zip(PLANTED) {
                assert_eq!(cell, &format!("'{planted}"), "a formula left live");
            }
            assert_eq!(cells[PLANTED.len()..], ["+12065550100", "12065550100"]);
        }
    }
}
