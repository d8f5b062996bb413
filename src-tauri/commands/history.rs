//! The History view: pages, one record, the CSV export. All of it reads SQLite or writes a
//! file, so it runs on a blocking thread (see [`super::blocking`]), never the main thread.

use super::{blocking, App};
use crate::desk::RecordView;
use crate::export_file::Exported;
use crate::problem::records::{worded, worded_view};
use crate::problem::Problem;
use crate::records::{self, HistoryListPage, HistoryListQuery};
use tauri::{AppHandle, Runtime, State};

/// Newest first, filtered, one page at a time.
#[tauri::command]
pub async fn history_list(
    state: State<'_, App>,
    query: HistoryListQuery,
) -> Result<HistoryListPage, Problem> {
    let history = state.history()?;
    let notice = state.desks.notice.clone();
    blocking(move || {
        let mut page = records::list_page(&history, &query, notice)?;
        page.records = page.records.into_iter().map(worded_view).collect();
        Ok(page)
    })
    .await
}

/// One record, for the detail panel.
#[tauri::command]
pub async fn history_get(state: State<'_, App>, id: i64) -> Result<RecordView, Problem> {
    let history = state.history()?;
    blocking(move || Ok(worded_view(records::record(&history, id)?))).await
}

/// Writes every record matching the view's filter to a CSV file in Downloads.
#[tauri::command]
pub async fn history_export<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, App>,
    query: HistoryListQuery,
) -> Result<Exported, Problem> {
    let history = state.history()?;
    let folder = state.export_folder(&app);
    blocking(move || Ok(records::export(&history, &query, &folder, &worded)?)).await
}
