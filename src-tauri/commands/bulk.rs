//! Bulk unassign: read a list, preview it, run it, control it, look back at batches.

use super::App;
use crate::bulk::{
    BatchChoice, BulkAction, BulkError, BulkOverview, InputSource, InputView, PreviewView, RunView,
    Selection,
};
use crate::problem::records::worded_run;
use crate::problem::Problem;
use tauri::{AppHandle, Runtime, State};

/// The header that names a file sent as the raw body of `bulk_read` (percent-encoded, as a
/// header value is ASCII).
pub const FILE_NAME_HEADER: &str = "x-numberdesk-file-name";

/// Reads a pasted list or a CSV file's bytes; nothing is sent. A file comes as the raw IPC
/// body (its bytes, not a JSON array of numbers four times their size) with its name in
/// [`FILE_NAME_HEADER`]; pasted text comes as JSON `{ source: { kind: "text", text } }`.
#[tauri::command]
pub async fn bulk_read<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, App>,
    request: tauri::ipc::Request<'_>,
) -> Result<InputView, Problem> {
    let source = input_source(&request)?;
    Ok(state.bulk(&app).await?.read(source)?)
}

/// What `bulk_read` was given: raw bytes are a file; JSON is an [`InputSource`] (or, when
/// the webview fell back from the IPC protocol to `postMessage`, the file's bytes as an array).
fn input_source(request: &tauri::ipc::Request<'_>) -> Result<InputSource, BulkError> {
    let file = |bytes: Vec<u8>| {
        let name = request
            .headers()
            .get(FILE_NAME_HEADER)
            .and_then(|value| value.to_str().ok())
            // encodeURIComponent's output: `&`, `=` and `+` are escaped, so the whole value
            // reads back as one form key.
            .and_then(|value| url::form_urlencoded::parse(value.as_bytes()).next())
            .map(|(name, _)| name.into_owned())
            .unwrap_or_else(|| "the file".to_owned());
        InputSource::Csv { bytes, name }
    };
    let unreadable = BulkError::UnreadableSource;
    match request.body() {
        tauri::ipc::InvokeBody::Raw(bytes) => Ok(file(bytes.clone())),
        tauri::ipc::InvokeBody::Json(value @ serde_json::Value::Array(_)) => Ok(file(
            serde_json::from_value(value.clone()).map_err(unreadable)?,
        )),
        tauri::ipc::InvokeBody::Json(value) => {
            serde_json::from_value(value.get("source").cloned().unwrap_or_default())
                .map_err(unreadable)
        }
    }
}

/// Looks every row of the list up (a few list calls) and says what will be sent.
#[tauri::command]
pub async fn bulk_preview<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, App>,
    input_id: String,
    column: usize,
) -> Result<PreviewView, Problem> {
    Ok(state.bulk(&app).await?.preview(&input_id, column).await?)
}

/// The confirmation for the rows left ticked.
#[tauri::command]
pub async fn bulk_select<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, App>,
    preview_id: String,
    unticked: Vec<usize>,
) -> Result<Selection, Problem> {
    Ok(state.bulk(&app).await?.select(&preview_id, &unticked)?)
}

/// Runs a confirmed preview (once).
#[tauri::command]
pub async fn bulk_start<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, App>,
    preview_id: String,
    unticked: Vec<usize>,
) -> Result<RunView, Problem> {
    let run = state
        .bulk(&app)
        .await?
        .start(&preview_id, &unticked)
        .await?;
    Ok(worded_run(run))
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
    Ok(worded_run(bulk.control(action, batch_id.as_deref()).await?))
}

/// The run of this session (if any) and the recent batches.
#[tauri::command]
pub async fn bulk_overview<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, App>,
) -> Result<BulkOverview, Problem> {
    let mut overview = state.bulk(&app).await?.overview(5).await?;
    overview.run = overview.run.map(worded_run);
    Ok(overview)
}

/// A preview of a batch's failed rows (`retry`) or of giving its numbers back (`undo`).
#[tauri::command]
pub async fn bulk_from_batch<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, App>,
    batch_id: String,
    what: BatchChoice,
) -> Result<PreviewView, Problem> {
    Ok(state.bulk(&app).await?.from_batch(&batch_id, what).await?)
}
