//! The words for a Numbers-view step that did not happen ([`InventoryError`], [`StoreError`]).

use super::{Problem, ProblemKind};
use crate::inventory::{InventoryError, StoreError};
use rusqlite::ErrorCode;

impl From<StoreError> for Problem {
    fn from(error: StoreError) -> Problem {
        let busy =
            "Another NumberDesk window or copy is using the number list. Close it and try again.";
        let (message, hint) = match &error {
            StoreError::NotErased(source) => (
                format!(
                    "You are signed out, but NumberDesk could not remove the kept list of numbers (with people’s names and user names) from this computer ({source})."
                ),
                match source.sqlite_error_code() {
                    Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => {
                        "Close any other NumberDesk window or copy, then sign in and sign out again."
                    }
                    _ => "Sign in and sign out again. If this keeps happening, quit NumberDesk and delete inventory.sqlite3 from its data folder.",
                },
            ),
            StoreError::SetAside { source, .. } => (kept_message(&error), source.hint()),
            StoreError::Stopped(_) => (
                kept_message(&error),
                "Open NumberDesk again, then choose Refresh.",
            ),
            StoreError::Open { source, .. } | StoreError::Database(source) => (
                kept_message(&error),
                match source.sqlite_error_code() {
                    Some(ErrorCode::DiskFull) => "Free some disk space, then choose Refresh.",
                    Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => busy,
                    _ => {
                        "Check that you can write to NumberDesk's data folder (NUMBERDESK_DATA_DIR chooses another one), then choose Refresh. The numbers themselves are safe with Microsoft."
                    }
                },
            ),
        };
        Problem::new(ProblemKind::InventoryStore, message, hint)
    }
}

fn kept_message(error: &StoreError) -> String {
    format!("NumberDesk could not keep the number list on this computer: {error}.")
}

impl From<InventoryError> for Problem {
    fn from(error: InventoryError) -> Problem {
        use ProblemKind as K;
        let (kind, message, hint) = match error {
            InventoryError::Store(error) => return Problem::from(error),
            InventoryError::Graph {
                error,
                api_available,
            } => return super::graph::in_cloud(&error, api_available),
            InventoryError::LeaversNotPermitted => (
                K::LeaversNotPermitted,
                "NumberDesk cannot check who holds the numbers: Microsoft refused both permissions that read users (User.Read.All and User.ReadBasic.All have no admin consent for this app registration).".to_owned(),
                "Ask a Global Administrator to grant admin consent for User.Read.All (or at least User.ReadBasic.All, which finds numbers on objects that no longer exist), then choose “Ask again”.",
            ),
            InventoryError::SelectionTooLarge(error) => (
                K::SelectionTooLarge,
                format!("These numbers cannot be sent to the Bulk preview: {error}."),
                "Select fewer numbers (filter the list further), then try again.",
            ),
            InventoryError::NotRead => (
                K::NumbersNotRead,
                "NumberDesk has not read this tenant’s numbers yet.".to_owned(),
                "Choose Refresh to read them, then try again.",
            ),
            InventoryError::ReadForAnother => (
                K::NumbersReadForAnother,
                crate::inventory::desk::READ_FOR_ANOTHER.to_owned(),
                "Choose Refresh to read the numbers of the tenant you are signed in to.",
            ),
            InventoryError::PartialList => (
                K::NumbersPartial,
                "The list of numbers is incomplete: the last Refresh stopped before the end, so the numbers it did not reach are missing. NumberDesk does not check for leavers, select “All that match” or export on a list that may miss numbers.".to_owned(),
                "Choose Refresh to continue where it stopped; once the list is complete, try again. You can still tick single numbers and send them to the Bulk preview.",
            ),
            InventoryError::LeaversNotChecked => (
                K::LeaversNotChecked,
                "NumberDesk has not checked for numbers on leavers yet.".to_owned(),
                "Open “Numbers on leavers” first, then try again.",
            ),
            InventoryError::Busy => (
                K::NumbersBusy,
                "NumberDesk is already reading the numbers.".to_owned(),
                "Wait for it to finish, or choose Cancel first.",
            ),
            InventoryError::Export(error) => return super::export::not_saved(&error),
        };
        Problem::new(kind, message, hint)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::export_file::ExportFileError;

    #[test]
    fn each_numbers_situation_has_its_kind() {
        let kind = |error: InventoryError| Problem::from(error).kind;
        assert_eq!(kind(InventoryError::NotRead), ProblemKind::NumbersNotRead);
        assert_eq!(
            kind(InventoryError::LeaversNotChecked),
            ProblemKind::LeaversNotChecked
        );
        assert_eq!(kind(InventoryError::Busy), ProblemKind::NumbersBusy);
        assert_eq!(
            kind(InventoryError::LeaversNotPermitted),
            ProblemKind::LeaversNotPermitted
        );
        let io = std::io::Error::new(std::io::ErrorKind::NotFound, "no such folder");
        let export = Problem::from(InventoryError::Export(ExportFileError::Write {
            path: "/nowhere/numbers.csv".into(),
            source: io.into(),
        }));
        assert_eq!(export.kind, ProblemKind::Export);
        assert_eq!(
            export.message,
            "NumberDesk could not write /nowhere/numbers.csv: no such folder. Nothing was saved under that name."
        );
    }
}
