//! The bulk screen's workflow, without a window: read a list, preview it, confirm the ticked
//! rows once, run, pause, resume, cancel; re-run the failed rows of a batch; undo a batch;
//! pick up a batch a crash cut off. The Tauri commands are thin wrappers over this.
//!
//! Why previews are held here and not sent back and forth: the plan the admin confirms is the
//! one the preview computed (number types from the listing, never from the page), and a
//! preview can start at most one run. A second "Unassign" click on the same preview — a double
//! click, a retry after a slow answer — finds it taken and sends nothing.

use crate::auth::session::Session;
use crate::cloud::Cloud;
use crate::graph::GraphClient;
use crate::history::{BatchRecord, History, OperationKind, RecordStatus};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashSet};
use std::sync::{Arc, Mutex};

use super::error::BulkError;
use super::input::{number_column, parse_csv, parse_pasted, rows_for_column, InputRow, Table};
use super::preview::{preview, preview_with_names, undo_preview, KnownNames, Preview, Selection};
use super::run::{BulkConfig, BulkEngine, BulkProgress, BulkRun, ResumeReport, RowUpdate};
use super::RunProgress;

/// What the admin gave.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", tag = "kind")]
pub enum InputSource {
    /// Pasted text.
    Text { text: String },
    /// A CSV file's bytes.
    Csv { bytes: Vec<u8>, name: String },
}

/// One column of a file, to choose the number column from.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ColumnView {
    pub index: usize,
    /// The header, or "Column 3".
    pub name: String,
    /// The first few cells.
    pub samples: Vec<String>,
}

/// A list that was read: its columns, and the one holding numbers when that is obvious.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct InputView {
    pub input_id: String,
    pub rows: usize,
    pub columns: Vec<ColumnView>,
    /// `None`: the admin must choose.
    pub column: Option<usize>,
    pub source: String,
}

/// A preview as the screen shows it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PreviewView {
    pub preview_id: String,
    #[serde(flatten)]
    pub preview: Preview,
    pub selection: Selection,
    /// Set for a re-run or an undo: the batch it comes from.
    pub from_batch: Option<String>,
}

/// A run as the screen shows it: the overall progress and every row.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RunView {
    pub kind: OperationKind,
    pub confirmation: String,
    pub progress: RunProgress,
    pub rows: Vec<RowUpdate>,
    pub resumed: Option<ResumeReport>,
}

/// A past batch with its rows per outcome, for the list of recent runs.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BatchView {
    #[serde(flatten)]
    pub batch: BatchRecord,
    /// Records per status (`succeeded`, `failed`, …); planned rows never sent are not records.
    pub statuses: BTreeMap<String, usize>,
    /// Rows of the plan with no record at all (cancelled, or cut off before they were sent).
    pub never_sent: usize,
    /// Open and no run of this app going for it: cut off by a crash or a quit.
    pub interrupted: bool,
    pub can_retry: bool,
    pub can_undo: bool,
}

struct Running {
    run: BulkRun,
    kind: OperationKind,
    confirmation: String,
    resumed: Option<ResumeReport>,
}

/// What the Bulk view's run controls ask for (wire values `pause`, `resume`, `cancel`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum BulkAction {
    Pause,
    Resume,
    Cancel,
}

/// What a past batch is previewed for (wire values `retry`, `undo`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum BatchChoice {
    /// Its failed rows, again.
    Retry,
    /// Its numbers given back to their prior assignees.
    Undo,
}

/// The run of this session (if any) and the recent batches.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BulkOverview {
    pub run: Option<RunView>,
    pub batches: Vec<BatchView>,
}

/// The bulk workflow for one signed-in tenant.
pub struct BulkDesk {
    graph: GraphClient,
    history: Arc<History>,
    engine: BulkEngine,
    api_available: bool,
    events: BulkProgress,
    input: Mutex<Option<(String, Table)>>,
    preview: Mutex<Option<(String, Preview, Option<String>)>>,
    running: tokio::sync::Mutex<Option<Running>>,
}

fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

use crate::locks::lock;

/// Statuses a re-run picks up: Microsoft refused or failed them.
fn is_retryable(status: &RecordStatus) -> bool {
    matches!(
        status,
        RecordStatus::Failed | RecordStatus::Rejected | RecordStatus::Skipped
    )
}

impl BulkDesk {
    /// `events` hears every row and progress change of the runs started here.
    pub fn new(
        graph: GraphClient,
        history: Arc<History>,
        session: Arc<dyn Session>,
        cloud: Cloud,
        config: BulkConfig,
        events: BulkProgress,
    ) -> BulkDesk {
        let api_available = cloud.telephone_numbers_available();
        BulkDesk {
            engine: BulkEngine::new(graph.clone(), history.clone(), session, cloud, config),
            graph,
            history,
            api_available,
            events,
            input: Mutex::new(None),
            preview: Mutex::new(None),
            running: tokio::sync::Mutex::new(None),
        }
    }

    /// Reads a pasted list or a CSV file. Nothing is sent.
    pub fn read(&self, source: InputSource) -> Result<InputView, BulkError> {
        let (table, source) = match source {
            InputSource::Text { text } => (parse_pasted(&text), "the pasted list".to_owned()),
            InputSource::Csv { bytes, name } => (parse_csv(&bytes), name),
        };
        let table = table.map_err(BulkError::Input)?;
        let width = table.width();
        let columns = (0..width)
            .map(|index| ColumnView {
                index,
                name: table
                    .header
                    .as_ref()
                    .and_then(|h| h.get(index))
                    .filter(|name| !name.is_empty())
                    .cloned()
                    .unwrap_or_else(|| format!("Column {}", index + 1)),
                samples: table
                    .rows
                    .iter()
                    .filter_map(|row| row.get(index))
                    .filter(|cell| !cell.is_empty())
                    .take(3)
                    .cloned()
                    .collect(),
            })
            .collect();
        let view = InputView {
            input_id: new_id(),
            rows: table.rows.len(),
            columns,
            column: number_column(&table),
            source,
        };
        *lock(&self.input) = Some((view.input_id.clone(), table));
        Ok(view)
    }

    /// Normalises and looks up every row of the list read last, for `column`. Sends nothing
    /// that changes anything.
    pub async fn preview(&self, input_id: &str, column: usize) -> Result<PreviewView, BulkError> {
        let rows = {
            let input = lock(&self.input);
            match input.as_ref() {
                Some((id, table)) if id == input_id => rows_for_column(table, column),
                _ => return Err(BulkError::StaleInput),
            }
        };
        let preview = preview(&self.graph, &self.history, self.api_available, &rows).await?;
        Ok(self.hold(preview, None))
    }

    /// Looks up rows made elsewhere (the Numbers view's selection) exactly as a pasted list's:
    /// the same preview, confirmation, run, results and undo follow. `known`: the names the
    /// selection already has (a deleted user's among them).
    pub async fn preview_rows(
        &self,
        rows: &[InputRow],
        known: &KnownNames,
    ) -> Result<PreviewView, BulkError> {
        let preview =
            preview_with_names(&self.graph, &self.history, self.api_available, rows, known).await?;
        Ok(self.hold(preview, None))
    }

    /// A preview of the failed rows of `batch_id`, looked up afresh (a row that failed may
    /// have been fixed meanwhile; a row that succeeded is not in it).
    pub async fn retry_failed(&self, batch_id: &str) -> Result<PreviewView, BulkError> {
        let mut failed = self.history.records_in_batch(batch_id)?;
        failed.retain(|r| r.kind == OperationKind::Unassign && is_retryable(&r.status));
        failed.sort_by_key(|r| r.id);
        if failed.is_empty() {
            return Err(BulkError::NothingToRetry);
        }
        let text: Vec<&str> = failed.iter().map(|r| r.telephone_number.as_str()).collect();
        let table = parse_pasted(&text.join("\n")).map_err(BulkError::RetryInput)?;
        let rows = rows_for_column(&table, 0);
        let preview = preview(&self.graph, &self.history, self.api_available, &rows).await?;
        Ok(self.hold(preview, Some(batch_id.to_owned())))
    }

    /// A preview of giving every number `batch_id` took back to whom it was taken from.
    pub async fn undo(&self, batch_id: &str) -> Result<PreviewView, BulkError> {
        let preview =
            undo_preview(&self.graph, &self.history, self.api_available, batch_id).await?;
        Ok(self.hold(preview, Some(batch_id.to_owned())))
    }

    fn hold(&self, preview: Preview, from_batch: Option<String>) -> PreviewView {
        let view = PreviewView {
            preview_id: new_id(),
            selection: preview.selection(&HashSet::new()),
            preview,
            from_batch,
        };
        *lock(&self.preview) = Some((
            view.preview_id.clone(),
            view.preview.clone(),
            view.from_batch.clone(),
        ));
        view
    }

    /// The counts and confirmation for the rows left ticked.
    pub fn select(&self, preview_id: &str, unticked: &[usize]) -> Result<Selection, BulkError> {
        let held = lock(&self.preview);
        match held.as_ref() {
            Some((id, preview, _)) if id == preview_id => {
                Ok(preview.selection(&unticked.iter().copied().collect()))
            }
            _ => Err(BulkError::StalePreview),
        }
    }

    /// Runs the confirmed preview without the unticked rows. A preview starts one run only.
    pub async fn start(&self, preview_id: &str, unticked: &[usize]) -> Result<RunView, BulkError> {
        let mut running = self.running.lock().await;
        let selection = {
            let mut held = lock(&self.preview);
            let selection = match held.as_ref() {
                Some((id, preview, _)) if id == preview_id => {
                    preview.selection(&unticked.iter().copied().collect())
                }
                _ => return Err(BulkError::StalePreview),
            };
            // Kept for later when another run is still going.
            if let Some(current) = running.as_ref() {
                if current.run.progress().state != super::RunState::Finished {
                    return Err(BulkError::Busy);
                }
            }
            *held = None;
            selection
        };
        if selection.plan.is_empty() {
            return Err(BulkError::NothingToSend);
        }
        let kind = selection.plan[0].kind();
        let run = self
            .engine
            .start(selection.run_plan(), self.events.clone())
            .await?;
        let current = Running {
            run,
            kind,
            confirmation: selection.confirmation,
            resumed: None,
        };
        let view = view_of(&current);
        *running = Some(current);
        Ok(view)
    }

    /// Picks up a batch that a crash or a quit cut off: see [`BulkEngine::resume`].
    pub async fn resume_interrupted(&self, batch_id: &str) -> Result<RunView, BulkError> {
        let mut running = self.running.lock().await;
        if let Some(current) = running.as_ref() {
            if current.run.progress().state != super::RunState::Finished {
                return Err(BulkError::Busy);
            }
        }
        let batch = self
            .history
            .batch(batch_id)?
            .filter(|b| b.closed_at.is_none())
            .ok_or(BulkError::NotInterrupted)?;
        let (run, report) = self
            .engine
            .resume_batch(batch_id, self.events.clone())
            .await?;
        let current = Running {
            run,
            kind: batch.kind,
            confirmation: batch.summary,
            resumed: Some(report),
        };
        let view = view_of(&current);
        *running = Some(current);
        Ok(view)
    }

    /// The run of this session, if any (also after it finished).
    pub async fn status(&self) -> Option<RunView> {
        self.running.lock().await.as_ref().map(view_of)
    }

    pub async fn pause(&self) -> Result<RunView, BulkError> {
        let running = self.running.lock().await;
        let current = running.as_ref().ok_or(BulkError::NoRun)?;
        current.run.pause();
        Ok(view_of(current))
    }

    pub async fn resume(&self) -> Result<RunView, BulkError> {
        let running = self.running.lock().await;
        let current = running.as_ref().ok_or(BulkError::NoRun)?;
        current.run.resume();
        Ok(view_of(current))
    }

    /// Sends nothing new; returns once the POSTs already out are answered.
    pub async fn cancel(&self) -> Result<RunView, BulkError> {
        let running = self.running.lock().await;
        let current = running.as_ref().ok_or(BulkError::NoRun)?;
        current.run.cancel().await;
        Ok(view_of(current))
    }

    /// The newest batches with their outcomes; those cut off first.
    /// Pause, resume or cancel the run; `resume` with a batch id picks up a batch a crash
    /// cut off.
    pub async fn control(
        &self,
        action: BulkAction,
        batch_id: Option<&str>,
    ) -> Result<RunView, BulkError> {
        match (action, batch_id) {
            (BulkAction::Pause, _) => self.pause().await,
            (BulkAction::Resume, Some(batch_id)) => self.resume_interrupted(batch_id).await,
            (BulkAction::Resume, None) => self.resume().await,
            (BulkAction::Cancel, _) => self.cancel().await,
        }
    }

    /// A preview of a batch's failed rows or of giving its numbers back.
    pub async fn from_batch(
        &self,
        batch_id: &str,
        choice: BatchChoice,
    ) -> Result<PreviewView, BulkError> {
        match choice {
            BatchChoice::Retry => self.retry_failed(batch_id).await,
            BatchChoice::Undo => self.undo(batch_id).await,
        }
    }

    /// The run of this session (if any) and the newest `limit` batches.
    pub async fn overview(&self, limit: usize) -> Result<BulkOverview, BulkError> {
        Ok(BulkOverview {
            run: self.status().await,
            batches: self.batches(limit).await?,
        })
    }

    pub async fn batches(&self, limit: usize) -> Result<Vec<BatchView>, BulkError> {
        let active = {
            let running = self.running.lock().await;
            running
                .as_ref()
                .filter(|r| r.run.progress().state != super::RunState::Finished)
                .map(|r| r.run.batch_id().to_owned())
        };
        let mut batches = self.history.open_batches()?;
        for batch in self.history.recent_batches(limit)? {
            if !batches.iter().any(|b| b.id == batch.id) {
                batches.push(batch);
            }
        }
        let mut out = Vec::with_capacity(batches.len());
        for batch in batches {
            let records = self.history.records_in_batch(&batch.id)?;
            let mut statuses = BTreeMap::new();
            for record in &records {
                *statuses.entry(record.status.to_string()).or_insert(0) += 1;
            }
            let in_flight = records.iter().any(|r| r.status.is_in_flight());
            out.push(BatchView {
                interrupted: batch.closed_at.is_none() && active.as_deref() != Some(&batch.id),
                never_sent: batch.rows.saturating_sub(records.len()),
                can_retry: batch.kind == OperationKind::Unassign
                    && records.iter().any(|r| is_retryable(&r.status)),
                can_undo: batch.kind == OperationKind::Unassign
                    && !in_flight
                    && records.iter().any(|r| r.status == RecordStatus::Succeeded),
                statuses,
                batch,
            });
        }
        Ok(out)
    }
}

fn view_of(current: &Running) -> RunView {
    RunView {
        kind: current.kind,
        confirmation: current.confirmation.clone(),
        progress: current.run.progress(),
        rows: current.run.rows(),
        resumed: current.resumed.clone(),
    }
}

#[cfg(test)]
mod wire_tests {
    use super::{BatchChoice, BulkAction};

    #[test]
    fn the_run_controls_and_batch_choices_arrive_by_their_wire_names() {
        let action = |wire: &str| serde_json::from_value::<BulkAction>(serde_json::json!(wire));
        assert_eq!(action("pause").unwrap(), BulkAction::Pause);
        assert_eq!(action("resume").unwrap(), BulkAction::Resume);
        assert_eq!(action("cancel").unwrap(), BulkAction::Cancel);
        assert!(action("Pause").is_err());
        assert!(action("stop").is_err());
        let choice = |wire: &str| serde_json::from_value::<BatchChoice>(serde_json::json!(wire));
        assert_eq!(choice("retry").unwrap(), BatchChoice::Retry);
        assert_eq!(choice("undo").unwrap(), BatchChoice::Undo);
        assert!(choice("redo").is_err());
    }
}
