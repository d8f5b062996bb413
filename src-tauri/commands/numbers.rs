//! The Numbers view: the tenant's whole inventory (kept in `inventory.sqlite3`), filtered,
//! searched and sorted in memory, the leavers lens, the CSV exports, and the way into the Bulk
//! preview. Each command reads its input and calls one function of [`crate::inventory`]; the
//! prepared [`InventoryView`] lives in [`NumbersState`], rebuilt after every load or refresh.

use super::{blocking, App};
use crate::auth::SessionStatus;
use crate::bulk::PreviewView;
use crate::graph::CancelToken;
use crate::inventory::{
    self, InventoryError, InventoryQuery, InventoryStore, InventoryView, LeaverCounts,
    LeaverOptions, LeaversReport, QueryResult, ReadOutcome, ReadProgress,
};
use crate::problem::Problem;
use crate::records::{self, Exported};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};
use tauri::{AppHandle, Emitter, Manager, Runtime, State};

/// The event an inventory read's progress comes with (payload: [`NumbersProgress`]).
pub const NUMBERS_PROGRESS: &str = "numbers-progress";

/// The kept inventory, prepared for queries, and when it was read.
struct Kept {
    view: InventoryView,
    read_at: Option<String>,
    note: Option<String>,
}

/// What the Numbers commands share; cheap to clone (a clone goes to the blocking thread).
#[derive(Default, Clone)]
pub struct NumbersState(Arc<Numbers>);

impl std::ops::Deref for NumbersState {
    type Target = Numbers;
    fn deref(&self) -> &Numbers {
        &self.0
    }
}

#[derive(Default)]
pub struct Numbers {
    store: Mutex<Option<Arc<InventoryStore>>>,
    kept: RwLock<Option<Arc<Kept>>>,
    /// The read (or leavers check) going on, for Cancel.
    reading: Mutex<Option<CancelToken>>,
    /// The leavers lens's last answer, for "Unassign all listed…", its export and the tab count.
    leavers: Mutex<Option<Arc<LeaversReport>>>,
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

/// One page of the view, as the window shows it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NumbersPage {
    /// RFC 3339, when the kept list was read ("as of 10:42"); `None`: never read.
    pub read_at: Option<String>,
    /// Said above the list: nothing read yet, a damaged file set aside, unreadable rows.
    pub note: Option<String>,
    #[serde(flatten)]
    pub result: QueryResult,
    /// The leavers lens's counts, once it was opened (the tab shows the number).
    pub leavers: Option<LeaverCounts>,
}

/// A read's progress: the figures and the line to show ("12,000 of about 30,000").
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NumbersProgress {
    #[serde(flatten)]
    pub progress: ReadProgress,
    pub text: String,
}

/// How a refresh ended.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NumbersRefreshed {
    pub cancelled: bool,
    pub page: NumbersPage,
}

/// What goes to the Bulk preview.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", tag = "kind")]
pub enum NumbersSelection {
    /// The ticked rows.
    Numbers { numbers: Vec<String> },
    /// "All that match" the view's filters and search.
    Matching { query: InventoryQuery },
    /// "Unassign all listed…" from the leavers lens.
    Leavers,
}

const NOTHING_READ: &str = "NumberDesk has not read this tenant’s numbers yet. Choose Refresh \
    to read every number (about a minute for 30,000 numbers); the list is kept for next time.";

impl Numbers {
    fn store(&self, data_dir: &Path) -> Result<Arc<InventoryStore>, InventoryError> {
        let mut slot = lock(&self.store);
        if let Some(store) = slot.as_ref() {
            return Ok(store.clone());
        }
        let store = Arc::new(InventoryStore::open(data_dir)?);
        *slot = Some(store.clone());
        Ok(store)
    }

    fn kept(&self) -> Option<Arc<Kept>> {
        self.kept.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    fn keep(&self, kept: Kept) -> Arc<Kept> {
        let kept = Arc::new(kept);
        *self.kept.write().unwrap_or_else(|e| e.into_inner()) = Some(kept.clone());
        kept
    }

    /// The kept list, loaded from the store the first time.
    fn load(&self, data_dir: &Path) -> Result<Arc<Kept>, InventoryError> {
        if let Some(kept) = self.kept() {
            return Ok(kept);
        }
        let store = self.store(data_dir)?;
        let inventory = store.load()?;
        let set_aside = store.set_aside.as_ref().map(|path| {
            format!(
                "The kept list of numbers could not be read and was set aside as {}. \
                 Choose Refresh to read the numbers again.",
                path.display()
            )
        });
        Ok(self.keep(match inventory {
            Some(inventory) => Kept {
                note: set_aside.or_else(|| unreadable_note(inventory.unreadable)),
                read_at: Some(inventory.read_at),
                view: InventoryView::new(inventory.rows),
            },
            None => Kept {
                view: InventoryView::new(Vec::new()),
                read_at: None,
                note: Some(set_aside.unwrap_or_else(|| NOTHING_READ.to_owned())),
            },
        }))
    }

    fn page(&self, kept: &Kept, query: &InventoryQuery) -> NumbersPage {
        NumbersPage {
            read_at: kept.read_at.clone(),
            note: kept.note.clone(),
            result: kept.view.query(query),
            leavers: lock(&self.leavers).as_ref().map(|r| r.counts.clone()),
        }
    }

    /// A token for a new read, or `Busy` when one is going on.
    fn begin(&self) -> Result<CancelToken, InventoryError> {
        let mut slot = lock(&self.reading);
        if slot.is_some() {
            return Err(InventoryError::Busy);
        }
        let token = CancelToken::new();
        *slot = Some(token.clone());
        Ok(token)
    }

    fn end(&self) {
        *lock(&self.reading) = None;
    }
}

fn unreadable_note(unreadable: usize) -> Option<String> {
    (unreadable > 0).then(|| {
        format!(
            "Microsoft sent {unreadable} entries NumberDesk could not read; they are left out \
             of the list and never changed from here."
        )
    })
}

/// `numberdesk-<what>-<stamp>.csv` in `folder`.
fn export_path(folder: &Path, what: &str) -> PathBuf {
    let stamp = time::OffsetDateTime::now_utc()
        .format(time::macros::format_description!(
            "[year][month][day]-[hour][minute][second]"
        ))
        .unwrap_or_default();
    folder.join(format!("numberdesk-{what}-{stamp}.csv"))
}

/// Writes a CSV file with `write` ([`inventory::write_csv_file`]).
fn write_csv(
    path: PathBuf,
    write: impl FnOnce(std::io::BufWriter<std::fs::File>) -> Result<usize, csv::Error>,
) -> Result<Exported, Problem> {
    let count = inventory::write_csv_file(&path, write)?;
    Ok(Exported {
        path: path.display().to_string(),
        count,
    })
}

/// Opening the view: the kept list at once (never a wait on Microsoft), or empty with a note.
#[tauri::command]
pub async fn numbers_view(
    state: State<'_, App>,
    query: Option<InventoryQuery>,
) -> Result<NumbersPage, Problem> {
    let kept = load_kept(&state).await?;
    Ok(state.numbers.page(&kept, &query.unwrap_or_default()))
}

/// The kept list, read from the store on a blocking thread the first time.
async fn load_kept(state: &App) -> Result<Arc<Kept>, Problem> {
    let numbers = state.numbers.clone();
    let data_dir = state.context.data_dir.clone();
    blocking(move || Ok(numbers.load(&data_dir)?)).await
}

/// Filters (chips with counts), search, sort and one page of the kept list.
#[tauri::command]
pub async fn numbers_query(
    state: State<'_, App>,
    query: InventoryQuery,
) -> Result<NumbersPage, Problem> {
    let kept = state.numbers.kept().ok_or(InventoryError::NotRead)?;
    Ok(state.numbers.page(&kept, &query))
}

/// "Refresh": reads every number with progress events ([`NUMBERS_PROGRESS`]) and keeps the
/// list; Cancel ([`numbers_cancel`]) keeps the previous one as it was.
#[tauri::command]
pub async fn numbers_refresh<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, App>,
    query: Option<InventoryQuery>,
) -> Result<NumbersRefreshed, Problem> {
    let (graph, api_available) = state.graph(&app).await?;
    let (numbers, data_dir) = (state.numbers.clone(), state.context.data_dir.clone());
    let store = blocking(move || Ok(numbers.store(&data_dir)?)).await?;
    let cancel = state.numbers.begin()?;
    let emitter = app.clone();
    let progress = move |progress: ReadProgress| {
        let text = progress.text();
        let _ = emitter.emit(NUMBERS_PROGRESS, NumbersProgress { progress, text });
    };
    let outcome =
        inventory::refresh_inventory(&graph, &store, api_available, true, &progress, &cancel).await;
    state.numbers.end();
    let cancelled = match outcome.map_err(Problem::from)? {
        ReadOutcome::Read(read) => {
            *lock(&state.numbers.leavers) = None;
            let note = unreadable_note(read.unreadable);
            let view = blocking(move || Ok(InventoryView::new(read.rows))).await?;
            state.numbers.keep(Kept {
                view,
                read_at: Some(read.read_at),
                note,
            });
            false
        }
        ReadOutcome::Cancelled => true,
    };
    let kept = load_kept(&state).await?;
    let page = state.numbers.page(&kept, &query.unwrap_or_default());
    Ok(NumbersRefreshed { cancelled, page })
}

/// Stops the read or the leavers check going on (nothing kept changes).
#[tauri::command]
pub fn numbers_cancel(state: State<'_, App>) {
    if let Some(token) = lock(&state.numbers.reading).as_ref() {
        token.cancel();
    }
}

/// Writes the rows matching `query` (every page) to a CSV file in Downloads.
#[tauri::command]
pub async fn numbers_export<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, App>,
    query: InventoryQuery,
) -> Result<Exported, Problem> {
    let kept = state.numbers.kept().ok_or(InventoryError::NotRead)?;
    let folder = records::export_folder(app.path().download_dir().ok(), &state.context.data_dir);
    blocking(move || {
        write_csv(export_path(&folder, "numbers"), |out| {
            inventory::export_inventory_csv(kept.view.all_matching(&query), out)
        })
    })
    .await
}

/// Writes the leavers lens's list, with why each is listed, for the change ticket.
#[tauri::command]
pub async fn numbers_export_leavers<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, App>,
) -> Result<Exported, Problem> {
    let report = lock(&state.numbers.leavers)
        .clone()
        .ok_or(InventoryError::LeaversNotChecked)?;
    let folder = records::export_folder(app.path().download_dir().ok(), &state.context.data_dir);
    blocking(move || {
        write_csv(export_path(&folder, "leavers"), |out| {
            inventory::export_leavers_csv(&report, out)
        })
    })
    .await
}

/// The leavers lens: numbers on disabled, deleted or ghost users (and optionally unlicensed).
/// Without User.Read.All the report says what to grant and lists the ghosts it can find.
/// `null` when cancelled.
#[tauri::command]
pub async fn numbers_leavers<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, App>,
    include_unlicensed: bool,
) -> Result<Option<Arc<LeaversReport>>, Problem> {
    let kept = state.numbers.kept().ok_or(InventoryError::NotRead)?;
    let (graph, api_available) = state.graph(&app).await?;
    let cancel = state.numbers.begin()?;
    let options = LeaverOptions { include_unlicensed };
    let found =
        inventory::find_leavers(&graph, kept.view.rows(), options, api_available, &cancel).await;
    state.numbers.end();
    let report = found.map_err(Problem::from)?.map(Arc::new);
    if let Some(report) = &report {
        *lock(&state.numbers.leavers) = Some(report.clone());
    }
    Ok(report)
}

/// After an admin granted User.Read.All: ask Microsoft for it again.
#[tauri::command]
pub async fn numbers_ask_directory_again(state: State<'_, App>) -> Result<SessionStatus, Problem> {
    let session = state.auth.service.session();
    session
        .ask_for_directory_again()
        .await
        .map_err(Problem::from)
}

/// The selection (ticked rows, "all that match", or the leavers listed) → the Bulk preview:
/// the same lookup, confirmation, pacing, results, export and undo as a pasted list.
#[tauri::command]
pub async fn numbers_to_bulk<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, App>,
    selection: NumbersSelection,
) -> Result<PreviewView, Problem> {
    let picked = match selection {
        NumbersSelection::Numbers { numbers } => {
            let kept = state.numbers.kept();
            inventory::selection_for_numbers(&numbers, kept.as_deref().map(|k| &k.view))?
        }
        NumbersSelection::Matching { query } => {
            let kept = state.numbers.kept().ok_or(InventoryError::NotRead)?;
            inventory::selection_for_query(&kept.view, &query)?
        }
        NumbersSelection::Leavers => {
            let report = lock(&state.numbers.leavers)
                .clone()
                .ok_or(InventoryError::LeaversNotChecked)?;
            inventory::selection_for_leavers(&report)?
        }
    };
    let bulk = state.bulk(&app).await?;
    Ok(bulk.preview_rows(&picked.rows, &picked.names).await?)
}
