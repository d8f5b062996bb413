//! One number: look up, unassign, undo, check again.

use super::App;
use crate::desk::{LookupCard, RecordView};
use crate::problem::records::worded_view;
use crate::problem::Problem;
use tauri::{AppHandle, Runtime, State};

/// Looks a number up: who has it, what kind, whether it can be removed.
#[tauri::command]
pub async fn lookup_number<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, App>,
    input: String,
) -> Result<LookupCard, Problem> {
    Ok(state.desk(&app).await?.lookup(&input).await?)
}

/// Unassigns the number of a confirmed lookup (at most one request per confirmation).
#[tauri::command]
pub async fn unassign_number<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, App>,
    lookup_id: String,
) -> Result<RecordView, Problem> {
    Ok(worded_view(
        state.desk(&app).await?.unassign(&lookup_id).await?,
    ))
}

/// Undo: gives the number of a succeeded unassignment back to its prior assignee.
#[tauri::command]
pub async fn reassign_number<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, App>,
    record_id: i64,
) -> Result<RecordView, Problem> {
    Ok(worded_view(
        state.desk(&app).await?.reassign(record_id).await?,
    ))
}

/// "Check again" for a stale or unknown outcome.
#[tauri::command]
pub async fn check_operation_again<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, App>,
    record_id: i64,
) -> Result<RecordView, Problem> {
    Ok(worded_view(
        state.desk(&app).await?.check_again(record_id).await?,
    ))
}
