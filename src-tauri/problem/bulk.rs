//! The words for a bulk step that did not happen ([`BulkError`]).

use super::{Problem, ProblemKind};
use crate::bulk::BulkError;

impl From<BulkError> for Problem {
    fn from(error: BulkError) -> Problem {
        use ProblemKind as K;
        let (kind, message, hint) = match error {
            BulkError::Input(error) => (
                K::Input,
                error.to_string(),
                "Correct the list, then try again.",
            ),
            BulkError::RetryInput(error) => (K::Input, error.to_string(), "Start a new bulk run."),
            BulkError::UnreadableSource(error) => (
                K::Unexpected,
                format!("NumberDesk’s window sent a list it could not read ({error})."),
                "Try again. If it keeps happening, restart NumberDesk.",
            ),
            BulkError::StaleInput => (
                K::StaleInput,
                "That list is no longer loaded.".to_owned(),
                "Paste the list or choose the file again.",
            ),
            BulkError::StalePreview => (
                K::StalePreview,
                "This preview was already used or replaced, so nothing was sent.".to_owned(),
                "Preview the list again to run it.",
            ),
            BulkError::Busy => (
                K::BulkBusy,
                "A bulk run is still going.".to_owned(),
                "Wait for it to finish, or cancel it, before starting another.",
            ),
            BulkError::NoRun => (
                K::NoRun,
                "No bulk run is going.".to_owned(),
                "Paste a list and preview it to start one.",
            ),
            BulkError::NothingToSend => (
                K::NothingToSend,
                "No row is ticked, so there is nothing to send.".to_owned(),
                "Tick the rows to change, or paste another list.",
            ),
            BulkError::NothingToRetry => (
                K::NothingToRetry,
                "No row of that bulk run failed: there is nothing to run again.".to_owned(),
                "Open History to see each row's outcome.",
            ),
            BulkError::NothingToUndo => (
                K::NotFound,
                "That bulk run has no unassignments to undo.".to_owned(),
                "Open the bulk run from History and check its rows.",
            ),
            BulkError::NotInterrupted => (
                K::NotInterrupted,
                "That bulk run is not waiting to be resumed.".to_owned(),
                "Open History to see what it sent.",
            ),
            BulkError::BatchNotFound => (
                K::NotFound,
                "That bulk run is not in the history.".to_owned(),
                "Open History to see what was sent.",
            ),
            BulkError::MixedPlan => (
                K::Bulk,
                "A bulk run either unassigns or gives numbers back, not both.".to_owned(),
                "Preview the list again.",
            ),
            BulkError::SavePlan(error) => (
                K::Bulk,
                format!("NumberDesk could not save the list ({error})."),
                "Preview the list again.",
            ),
            BulkError::ReadPlan(error) => (
                K::Bulk,
                format!("The list of that bulk run could not be read back ({error})."),
                "Its changes are in History; start a new run for the numbers still assigned.",
            ),
            BulkError::Stopped(error) => (
                K::Bulk,
                format!("The bulk run stopped unexpectedly ({error})."),
                "Open the History view: every change sent is there. Resume the batch to finish it.",
            ),
            BulkError::History(error) => return Problem::from(error),
            BulkError::Graph {
                error,
                api_available,
            } => return super::graph::in_cloud(&error, api_available),
        };
        Problem::new(kind, message, hint)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_bulk_situation_has_its_kind() {
        let kind = |error: BulkError| Problem::from(error).kind;
        assert_eq!(kind(BulkError::StaleInput), ProblemKind::StaleInput);
        assert_eq!(kind(BulkError::StalePreview), ProblemKind::StalePreview);
        assert_eq!(kind(BulkError::Busy), ProblemKind::BulkBusy);
        assert_eq!(kind(BulkError::NoRun), ProblemKind::NoRun);
        assert_eq!(kind(BulkError::NothingToSend), ProblemKind::NothingToSend);
        assert_eq!(kind(BulkError::NothingToRetry), ProblemKind::NothingToRetry);
        assert_eq!(kind(BulkError::NotInterrupted), ProblemKind::NotInterrupted);
        assert_eq!(kind(BulkError::NothingToUndo), ProblemKind::NotFound);
        assert_eq!(kind(BulkError::BatchNotFound), ProblemKind::NotFound);
        assert_eq!(kind(BulkError::MixedPlan), ProblemKind::Bulk);
        let input = Problem::from(BulkError::Input(crate::bulk::InputError::Empty));
        assert_eq!(input.kind, ProblemKind::Input);
        assert_eq!(input.message, crate::bulk::InputError::Empty.to_string());
        assert_eq!(input.hint, "Correct the list, then try again.");
    }
}
