//! Why a bulk step did not happen. One variant per situation; the words the admin reads are
//! made from it in one place, `src-tauri/problem/bulk.rs`.

use super::input::InputError;
use crate::graph::GraphError;
use crate::history::HistoryError;

/// Why a bulk step (read, preview, start, control, a batch's retry or undo) did not happen.
#[derive(Debug, thiserror::Error)]
pub enum BulkError {
    /// The pasted list or file could not be read.
    #[error("the list could not be read: {0}")]
    Input(#[source] InputError),
    /// The failed rows of a batch could not be read back as a list.
    #[error("the failed rows could not be listed again: {0}")]
    RetryInput(#[source] InputError),
    /// The window sent a list in a shape NumberDesk does not read.
    #[error("the window sent a list that could not be read ({0})")]
    UnreadableSource(#[source] serde_json::Error),
    /// The list the preview asks for is no longer the one held.
    #[error("the list is no longer loaded")]
    StaleInput,
    /// The preview was used already (it starts one run) or replaced by a newer one.
    #[error("the preview was already used or replaced")]
    StalePreview,
    /// A run of this session is still going.
    #[error("a bulk run is still going")]
    Busy,
    /// Pause, resume or cancel with no run of this session.
    #[error("no bulk run is going")]
    NoRun,
    /// Every row was unticked.
    #[error("no row is ticked")]
    NothingToSend,
    /// A re-run of a batch none of whose rows failed.
    #[error("no row of the bulk run failed")]
    NothingToRetry,
    /// An undo of a batch that unassigned nothing.
    #[error("the bulk run has no unassignments to undo")]
    NothingToUndo,
    /// A resume of a batch that is closed (or not in the history).
    #[error("the bulk run is not waiting to be resumed")]
    NotInterrupted,
    /// A resume of a batch the history does not have.
    #[error("the bulk run is not in the history")]
    BatchNotFound,
    /// A plan that both unassigns and gives numbers back.
    #[error("a bulk run either unassigns or gives numbers back, not both")]
    MixedPlan,
    /// The plan could not be written into the history.
    #[error("the list could not be saved ({0})")]
    SavePlan(#[source] serde_json::Error),
    /// The plan the history kept for a batch could not be read back.
    #[error("the list of the bulk run could not be read back ({0})")]
    ReadPlan(#[source] serde_json::Error),
    /// The run's task ended without finishing (it panicked or was aborted).
    #[error("the bulk run stopped unexpectedly ({0})")]
    Stopped(#[source] tokio::task::JoinError),
    /// The history could not be read or written.
    #[error(transparent)]
    History(#[from] HistoryError),
    /// Microsoft Graph could not be asked or refused. `api_available`: whether the telephone
    /// numbers API exists in this cloud (the words differ when it does not).
    #[error("{error}")]
    Graph {
        #[source]
        error: GraphError,
        api_available: bool,
    },
}

impl BulkError {
    /// A Graph failure in a cloud with (or without) the telephone numbers API.
    pub fn graph(api_available: bool) -> impl Fn(GraphError) -> BulkError {
        move |error| BulkError::Graph {
            error,
            api_available,
        }
    }
}
