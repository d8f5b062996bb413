//! Selected numbers → rows for the existing Bulk preview ([`crate::bulk::preview`]): the same
//! confirmation, pacing, results, export and undo; no second engine.
//!
//! The rows are built exactly as a pasted list is read (one number per line), so every rule of
//! the Bulk input (normalising, `;ext=`, duplicates) applies unchanged, and the preview matches
//! them against a fresh listing of the tenant, never against the kept inventory.
//!
//! Each row also carries who the kept list showed holding its number (`seen_holder`): that is
//! what the admin chose from. The preview skips a number held by someone else now, so a
//! leaver's number given to a new hire since the list was read is never taken from the new
//! hire.

use super::{InventoryError, InventoryQuery, InventoryRow, InventoryView, LeaversReport};
use crate::bulk::{parse_pasted, rows_for_column, InputRow, KnownNames};
use std::collections::{HashMap, HashSet};

/// What goes to the Bulk preview: the rows, and the names the Numbers view already holds for
/// their assignees (the preview reads only the others; a deleted user's name comes from here).
#[derive(Debug, Clone)]
pub struct BulkSelection {
    pub rows: Vec<InputRow>,
    pub names: KnownNames,
}

fn selection<'a>(
    rows: impl IntoIterator<Item = &'a InventoryRow>,
) -> Result<BulkSelection, InventoryError> {
    let mut numbers = Vec::new();
    let mut names = KnownNames::default();
    let mut seen = HashMap::new();
    for row in rows {
        numbers.push(row.telephone_number.as_str());
        seen.insert(
            row.telephone_number.to_ascii_lowercase(),
            row.assignee_id.clone(),
        );
        if let Some(id) = &row.assignee_id {
            names.insert(id, row.assignee_name.clone(), row.assignee_upn.clone());
        }
    }
    Ok(BulkSelection {
        rows: with_seen_holders(bulk_rows(&numbers)?, &seen),
        names,
    })
}

/// Marks each row with the holder the kept list showed for its number (see the module
/// documentation); a number the kept list does not hold is left unmarked.
fn with_seen_holders(
    mut rows: Vec<InputRow>,
    seen: &HashMap<String, Option<String>>,
) -> Vec<InputRow> {
    for row in &mut rows {
        if let Ok(number) = &row.number {
            row.seen_holder = seen.get(&number.graph_form().to_ascii_lowercase()).cloned();
        }
    }
    rows
}

/// Rows for the Bulk preview, one per number, in the given order.
pub fn bulk_rows(numbers: &[&str]) -> Result<Vec<InputRow>, InventoryError> {
    let text = numbers.join("\n");
    let table = parse_pasted(&text).map_err(InventoryError::SelectionTooLarge)?;
    Ok(rows_for_column(&table, 0))
}

/// Ticked rows: the numbers in the order given, named from the kept list when there is one.
pub fn selection_for_numbers(
    numbers: &[String],
    kept: Option<&InventoryView>,
) -> Result<BulkSelection, InventoryError> {
    let picked: HashSet<String> = numbers.iter().map(|n| n.to_ascii_lowercase()).collect();
    let mut names = KnownNames::default();
    let mut seen = HashMap::new();
    for row in kept.map(InventoryView::rows).unwrap_or_default() {
        let number = row.telephone_number.to_ascii_lowercase();
        if picked.contains(&number) {
            seen.insert(number, row.assignee_id.clone());
        }
        if let Some(id) = row
            .assignee_id
            .as_ref()
            .filter(|_| picked.contains(&row.telephone_number.to_ascii_lowercase()))
        {
            names.insert(id, row.assignee_name.clone(), row.assignee_upn.clone());
        }
    }
    let numbers: Vec<&str> = numbers.iter().map(String::as_str).collect();
    Ok(BulkSelection {
        rows: with_seen_holders(bulk_rows(&numbers)?, &seen),
        names,
    })
}

/// "Unassign all that match…": the rows matching `query`, in the view's order.
pub fn selection_for_query(
    view: &InventoryView,
    query: &InventoryQuery,
) -> Result<BulkSelection, InventoryError> {
    selection(view.all_matching(query))
}

/// "Unassign all listed…" from the leavers lens.
pub fn selection_for_leavers(report: &LeaversReport) -> Result<BulkSelection, InventoryError> {
    selection(report.leavers.iter().map(|l| &l.row))
}
