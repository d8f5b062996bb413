//! One number (look up, unassign, undo, check again) and the history it writes, in plain words.

use super::{graph, Problem, ProblemKind};
use crate::desk::DeskError;
use crate::graph::GraphError;
use crate::history::{HistoryError, RecordError};

/// A record the admin asked for is not in the history (one number's workflows, the History
/// view): one situation, one sentence.
pub(super) fn not_in_history() -> Problem {
    Problem::new(
        ProblemKind::NotFound,
        "That change is not in the history.",
        "Refresh the History view.",
    )
}

impl From<&HistoryError> for Problem {
    /// The history could not be written (or read while changing something).
    fn from(error: &HistoryError) -> Problem {
        Problem::new(ProblemKind::History, error.sentence(), error.hint())
    }
}

impl From<HistoryError> for Problem {
    fn from(error: HistoryError) -> Problem {
        Problem::from(&error)
    }
}

impl From<&DeskError> for Problem {
    fn from(error: &DeskError) -> Problem {
        match error {
            DeskError::BadNumber(error) => Problem::new(
                ProblemKind::BadNumber,
                error.to_string(),
                "Type the number with + and the country code, for example +1 206 555 0100.",
            ),
            DeskError::ConfirmationUsed => Problem::new(
                ProblemKind::ConfirmationUsed,
                "This confirmation was already used or has expired.",
                "Look the number up again to see its current state.",
            ),
            DeskError::NotFound(_) => not_in_history(),
            DeskError::CannotReassign(_) => Problem::new(
                ProblemKind::CannotReassign,
                "Only a finished unassignment from a user or resource account can be undone.",
                "Look the number up and assign it in the Teams admin center if needed.",
            ),
            DeskError::InFlight(id) => Problem::new(
                ProblemKind::InFlight,
                crate::operation::in_progress_words(*id),
                "Wait until it finishes, then look the number up again.",
            ),
            DeskError::HolderChanged(hands) => Problem::new(
                ProblemKind::HolderChanged,
                crate::operation::not_sent_detail(
                    hands.kind,
                    &hands.confirmed,
                    &hands.changed,
                    hands.now_named.as_deref(),
                ),
                "The card below shows who holds the number now. Check that this is the change you want before you confirm again.",
            ),
            DeskError::Graph {
                error,
                telephone_api_available,
            } => graph::in_cloud(error, *telephone_api_available),
            DeskError::History(error) => Problem::from(error),
        }
    }
}

impl From<DeskError> for Problem {
    fn from(error: DeskError) -> Problem {
        Problem::from(&error)
    }
}

/// What a history record keeps of a failed Graph call: the words the admin reads, stored as
/// they are (SQLite) and shown later in History. The one conversion the core calls itself
/// (`crate::desk`, for the single flow and the bulk run alike), so stored records and live
/// problems never say the same thing differently.
pub fn record_error(error: &GraphError, telephone_api_available: bool) -> RecordError {
    RecordError::from(&graph::in_cloud(error, telephone_api_available))
}

impl From<&Problem> for RecordError {
    fn from(problem: &Problem) -> RecordError {
        RecordError {
            kind: problem.kind.name().to_owned(),
            message: problem.message.clone(),
            hint: Some(problem.hint.clone()),
            request_id: problem.request_id.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::{Exchange, GraphErrorKind};

    #[test]
    fn the_same_situation_gets_the_same_words() {
        assert_eq!(
            Problem::from(DeskError::NotFound(7)),
            Problem::from(crate::records::RecordsError::NotFound(7))
        );
        let in_flight = Problem::from(DeskError::InFlight(12));
        assert_eq!(in_flight.kind, ProblemKind::InFlight);
        assert!(in_flight.message.contains("History #12"), "{in_flight:?}");
        let bad = Problem::from(DeskError::from(
            crate::phone::parse_number("call Adele").unwrap_err(),
        ));
        assert_eq!(bad.kind, ProblemKind::BadNumber);
    }

    #[test]
    fn a_stored_error_keeps_the_words_and_request_id_the_admin_read() {
        let error = GraphError::from_reply(
            403,
            br#"{"error":{"code":"Forbidden","message":"Access denied","innerError":{"request-id":"r-9"}}}"#,
            None,
            &Exchange::default(),
        );
        assert_eq!(error.kind, GraphErrorKind::Forbidden);
        let live = Problem::from(DeskError::Graph {
            error: error.clone(),
            telephone_api_available: true,
        });
        let stored = record_error(&error, true);
        assert_eq!(stored.kind, "forbidden");
        assert_eq!(stored.message, live.message);
        assert_eq!(stored.hint.as_deref(), Some(live.hint.as_str()));
        assert_eq!(stored.request_id.as_deref(), Some("r-9"));
        assert_eq!(record_error(&error, false).kind, "notInThisCloud");
    }
}
