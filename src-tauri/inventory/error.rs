//! Why a Numbers-view step did not happen. One variant per situation; the words the admin
//! reads are made from it in one place, `src-tauri/problem/inventory.rs`.

use super::store::StoreError;
use crate::bulk::InputError;
use crate::export_file::ExportFileError;
use crate::graph::GraphError;

/// Why reading, keeping, checking, exporting or sending on the tenant's numbers did not happen.
#[derive(Debug, thiserror::Error)]
pub enum InventoryError {
    /// The kept list (`inventory.sqlite3`) could not be used.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Microsoft Graph could not be asked or refused. `api_available`: whether the telephone
    /// numbers API exists in this cloud (the words differ when it does not).
    #[error("{error}")]
    Graph {
        #[source]
        error: GraphError,
        api_available: bool,
    },
    /// The leavers lens: Microsoft refused both permissions that read users.
    #[error("both User.Read.All and User.ReadBasic.All were refused")]
    LeaversNotPermitted,
    /// The selection cannot be made into a Bulk list (too many numbers, for one).
    #[error("the selection cannot be sent to the Bulk preview: {0}")]
    SelectionTooLarge(#[source] InputError),
    /// A step that needs the kept list before any was read.
    #[error("the tenant's numbers have not been read yet")]
    NotRead,
    /// The kept list was read for another tenant, cloud or account than the one signed in
    /// now (or the demo): none of it is shown, exported or used.
    #[error("the kept list of numbers was read for another tenant or account")]
    ReadForAnother,
    /// A step that takes the kept list as the tenant's whole list (the lens, "All that
    /// match", the export) while it is a Refresh cut off before the end.
    #[error("the kept list of numbers is incomplete (a Refresh stopped before the end)")]
    PartialList,
    /// A step that needs the leavers lens's answer before it was opened.
    #[error("the leavers lens has not been opened yet")]
    LeaversNotChecked,
    /// A read (or leavers check) is going on already.
    #[error("the numbers are being read already")]
    Busy,
    /// A CSV export was not saved (nothing was left under its name).
    #[error(transparent)]
    Export(#[from] ExportFileError<csv::Error>),
}

impl InventoryError {
    /// A Graph failure in a cloud with (or without) the telephone numbers API.
    pub fn graph(api_available: bool) -> impl Fn(GraphError) -> InventoryError {
        move |error| InventoryError::Graph {
            error,
            api_available,
        }
    }
}
