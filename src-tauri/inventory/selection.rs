//! Selected numbers → rows for the existing Bulk preview ([`crate::bulk::preview`]): the same
//! confirmation, pacing, results, export and undo; no second engine.
//!
//! The rows are built exactly as a pasted list is read (one number per line), so every rule of
//! the Bulk input (normalising, `;ext=`, duplicates) applies unchanged, and the preview matches
//! them against a fresh listing of the tenant, never against the kept inventory.

use super::{InventoryError, InventoryQuery, InventoryView, LeaversReport};
use crate::bulk::{parse_pasted, rows_for_column, InputRow};

/// Rows for the Bulk preview, one per number, in the given order.
pub fn bulk_rows(numbers: &[&str]) -> Result<Vec<InputRow>, InventoryError> {
    let text = numbers.join("\n");
    let table = parse_pasted(&text).map_err(InventoryError::SelectionTooLarge)?;
    Ok(rows_for_column(&table, 0))
}

/// "Unassign all that match…": the rows matching `query`, in the view's order.
pub fn bulk_rows_for_query(
    view: &InventoryView,
    query: &InventoryQuery,
) -> Result<Vec<InputRow>, InventoryError> {
    let numbers: Vec<&str> = view
        .all_matching(query)
        .into_iter()
        .map(|r| r.telephone_number.as_str())
        .collect();
    bulk_rows(&numbers)
}

/// "Unassign all listed…" from the leavers lens.
pub fn bulk_rows_for_leavers(report: &LeaversReport) -> Result<Vec<InputRow>, InventoryError> {
    let numbers: Vec<&str> = report
        .leavers
        .iter()
        .map(|l| l.row.telephone_number.as_str())
        .collect();
    bulk_rows(&numbers)
}
