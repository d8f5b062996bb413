//! Bulk unassign: read a list, preview it, run it, control it, look back at batches.

use super::App;
use crate::bulk::{
    BatchChoice, BulkAction, BulkOverview, InputSource, InputView, PreviewView, RunView, Selection,
};
use crate::problem::Problem;
use tauri::{AppHandle, Runtime, State};

/// Reads a pasted list or a CSV file's bytes; nothing is sent.
#[tauri::command]
pub async fn bulk_read<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, App>,
    source: InputSource,
) -> Result<InputView, Problem> {
    state.bulk(&app).await?.read(source)
}

/// Looks every row of the list up (a few list calls) and says what will be sent.
#[tauri::command]
pub async fn bulk_preview<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, App>,
    input_id: String,
    column: usize,
) -> Result<PreviewView, Problem> {
    state.bulk(&app).await?.preview(&input_id, column).await
}

/// The confirmation for the rows left ticked.
#[tauri::command]
pub async fn bulk_select<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, App>,
    preview_id: String,
    unticked: Vec<usize>,
) -> Result<Selection, Problem> {
    state.bulk(&app).await?.select(&preview_id, &unticked)
}

/// Runs a confirmed preview (once).
#[tauri::command]
pub async fn bulk_start<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, App>,
    preview_id: String,
    unticked: Vec<usize>,
) -> Result<RunView, Problem> {
    state.bulk(&app).await?.start(&preview_id, &unticked).await
}

/// Pause, resume or cancel the run; or, with `resume` and a batch id, pick up a batch a
/// crash cut off.
#[tauri::command]
pub async fn bulk_control<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, App>,
    action: BulkAction,
    batch_id: Option<String>,
) -> Result<RunView, Problem> {
    let bulk = state.bulk(&app).await?;
    bulk.control(action, batch_id.as_deref()).await
}

/// The run of this session (if any) and the recent batches.
#[tauri::command]
pub async fn bulk_overview<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, App>,
) -> Result<BulkOverview, Problem> {
    state.bulk(&app).await?.overview(5).await
}

/// A preview of a batch's failed rows (`retry`) or of giving its numbers back (`undo`).
#[tauri::command]
pub async fn bulk_from_batch<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, App>,
    batch_id: String,
    what: BatchChoice,
) -> Result<PreviewView, Problem> {
    state.bulk(&app).await?.from_batch(&batch_id, what).await
}
