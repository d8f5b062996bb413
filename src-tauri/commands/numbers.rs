//! The Numbers view: the tenant's whole inventory, the leavers lens, the CSV exports, and the
//! way into the Bulk preview. Each command reads its input, calls one step of
//! [`crate::inventory::NumbersDesk`] (which keeps SQLite and files off the async threads) and
//! converts the answer. Each step names the signed-in owner ([`App::list_owner`]): the desk
//! answers from that owner's kept list only.

use super::App;
use crate::auth::SessionStatus;
use crate::bulk::PreviewView;
use crate::export_file::Exported;
use crate::inventory::{
    InventoryQuery, LeaverOptions, LeaversReport, NumbersPage, NumbersRefreshed, NumbersSelection,
    ReadProgress,
};
use crate::problem::Problem;
use serde::Serialize;
use std::sync::Arc;
use tauri::{AppHandle, Emitter, Runtime, State};

/// The event an inventory read's progress comes with (payload: [`NumbersProgress`]).
pub const NUMBERS_PROGRESS: &str = "numbers-progress";

/// A read's progress: the figures and the line to show ("12,000 of about 30,000").
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NumbersProgress {
    #[serde(flatten)]
    pub progress: ReadProgress,
    pub text: String,
}

/// Opening the view: the kept list at once (never a wait on Microsoft), or empty with a note.
#[tauri::command]
pub async fn numbers_view<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, App>,
    query: Option<InventoryQuery>,
) -> Result<NumbersPage, Problem> {
    let owner = state.list_owner(&app).await?;
    let query = query.unwrap_or_default();
    let data_dir = &state.context.data_dir;
    Ok(state.numbers.view(data_dir, &owner, &query).await?)
}

/// Filters (chips with counts), search, sort and one page of the kept list.
#[tauri::command]
pub async fn numbers_query<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, App>,
    query: InventoryQuery,
) -> Result<NumbersPage, Problem> {
    let owner = state.list_owner(&app).await?;
    let data_dir = &state.context.data_dir;
    Ok(state.numbers.query(data_dir, &owner, &query).await?)
}

/// "Refresh": reads every number with progress events ([`NUMBERS_PROGRESS`]) and keeps the
/// list; Cancel ([`numbers_cancel`]) keeps the previous one as it was.
#[tauri::command]
pub async fn numbers_refresh<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, App>,
    query: Option<InventoryQuery>,
) -> Result<NumbersRefreshed, Problem> {
    let owner = state.list_owner(&app).await?;
    let (graph, api_available) = state.graph(&app).await?;
    let progress = move |progress: ReadProgress| {
        let text = progress.text();
        let _ = app.emit(NUMBERS_PROGRESS, NumbersProgress { progress, text });
    };
    let (data_dir, query) = (&state.context.data_dir, query.unwrap_or_default());
    let refreshed =
        state
            .numbers
            .refresh(&graph, api_available, data_dir, &owner, &progress, &query);
    Ok(refreshed.await?)
}

/// Stops the read or the leavers check going on (nothing kept changes).
#[tauri::command]
pub fn numbers_cancel(state: State<'_, App>) {
    state.numbers.cancel();
}

/// Writes the rows matching `query` (every page) to a CSV file in Downloads.
#[tauri::command]
pub async fn numbers_export<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, App>,
    query: InventoryQuery,
) -> Result<Exported, Problem> {
    let owner = state.list_owner(&app).await?;
    let folder = state.export_folder(&app);
    let data_dir = &state.context.data_dir;
    Ok(state
        .numbers
        .export(data_dir, &owner, &folder, query)
        .await?)
}

/// Writes the leavers lens's list, with why each is listed, for the change ticket.
#[tauri::command]
pub async fn numbers_export_leavers<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, App>,
) -> Result<Exported, Problem> {
    let owner = state.list_owner(&app).await?;
    let folder = state.export_folder(&app);
    let data_dir = &state.context.data_dir;
    Ok(state
        .numbers
        .export_leavers(data_dir, &owner, &folder)
        .await?)
}

/// The leavers lens as the window shows it: the report, and what to grant when the directory
/// could not be read in full.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LeaversView {
    #[serde(flatten)]
    report: Arc<LeaversReport>,
    missing_permission: Option<Problem>,
}

impl From<Arc<LeaversReport>> for LeaversView {
    fn from(report: Arc<LeaversReport>) -> LeaversView {
        let missing_permission = report
            .directory_not_permitted
            .then(|| Problem::from(&crate::auth::session::SessionError::DirectoryNotPermitted));
        LeaversView {
            report,
            missing_permission,
        }
    }
}

/// The leavers lens: numbers on disabled, deleted or ghost users (and optionally unlicensed).
/// Without User.Read.All the report says what to grant and lists the ghosts it can find.
/// `null` when cancelled.
#[tauri::command]
pub async fn numbers_leavers<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, App>,
    include_unlicensed: bool,
) -> Result<Option<LeaversView>, Problem> {
    let owner = state.list_owner(&app).await?;
    let (graph, api_available) = state.graph(&app).await?;
    let options = LeaverOptions { include_unlicensed };
    let data_dir = &state.context.data_dir;
    let report = state
        .numbers
        .leavers(&graph, api_available, data_dir, &owner, options)
        .await?;
    Ok(report.map(LeaversView::from))
}

/// After an admin granted User.Read.All: ask Microsoft for it again.
#[tauri::command]
pub async fn numbers_ask_directory_again(state: State<'_, App>) -> Result<SessionStatus, Problem> {
    let session = state.auth.service.session();
    Ok(session.ask_for_directory_again().await?)
}

/// The selection (ticked rows, "all that match", or the leavers listed) → the Bulk preview:
/// the same lookup, confirmation, pacing, results, export and undo as a pasted list.
#[tauri::command]
pub async fn numbers_to_bulk<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, App>,
    selection: NumbersSelection,
) -> Result<PreviewView, Problem> {
    let owner = state.list_owner(&app).await?;
    let data_dir = &state.context.data_dir;
    let picked = state
        .numbers
        .selection(data_dir, &owner, &selection)
        .await?;
    let bulk = state.bulk(&app).await?;
    Ok(bulk.preview_rows(&picked.rows, &picked.names).await?)
}
