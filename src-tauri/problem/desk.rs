//! One number (look up, unassign, undo, check again) and the history it writes, in plain words.

use super::{graph, Problem, ProblemKind};
use crate::desk::DeskError;
use crate::history::HistoryError;

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
            DeskError::PeopleNotPermitted => Problem::new(
                ProblemKind::PeopleNotPermitted,
                "NumberDesk cannot look people up by user name, email or name: Microsoft refused the permission to read users (User.ReadBasic.All has no admin consent for this app registration). Looking up and removing numbers still works.",
                "Type the person's phone number instead, or ask a Global Administrator to grant admin consent for the delegated Microsoft Graph permission User.ReadBasic.All, then choose “Ask again” in Settings.",
            ),
        }
    }
}

impl From<DeskError> for Problem {
    fn from(error: DeskError) -> Problem {
        Problem::from(&error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::{Exchange, GraphError, GraphErrorKind};
    use crate::history::RecordError;

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
    fn a_stored_error_is_facts_and_reads_as_the_live_problem_when_viewed() {
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
        let stored = crate::operation::stored_error(&error, true);
        // Facts only: no words in the history.
        assert_eq!(stored.kind, "forbidden");
        assert!(stored.message.is_empty() && stored.hint.is_none());
        let facts = stored.facts.clone().unwrap();
        assert_eq!(
            (
                facts.status,
                facts.code.as_deref(),
                facts.graph_message.as_deref()
            ),
            (Some(403), Some("Forbidden"), Some("Access denied"))
        );
        // Worded when viewed: the same words and request ID as the live problem.
        let worded = super::super::records::worded_error(&stored);
        assert_eq!(worded.kind, live.kind.name());
        assert_eq!(worded.message, live.message);
        assert_eq!(worded.hint.as_deref(), Some(live.hint.as_str()));
        assert_eq!(worded.request_id.as_deref(), Some("r-9"));
        let elsewhere =
            super::super::records::worded_error(&crate::operation::stored_error(&error, false));
        assert_eq!(elsewhere.kind, "notInThisCloud");
        // A record stored with words before the history kept facts is shown as it was.
        let old = RecordError {
            kind: "forbidden".into(),
            message: "Microsoft refused (as worded then).".into(),
            hint: Some("Ask an admin.".into()),
            request_id: None,
            facts: None,
        };
        assert_eq!(super::super::records::worded_error(&old), old);
    }
}
