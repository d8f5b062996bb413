//! The History view and its export, in plain words.

use super::{Problem, ProblemKind};
use crate::bulk::{BulkEvent, RowUpdate, RunView};
use crate::desk::RecordView;
use crate::graph::{GraphError, GraphErrorKind};
use crate::history::{OperationRecord, RecordError};
use crate::records::RecordsError;

/// The words for what a record kept of a failed call, made from its facts; a record stored
/// with words (before the history kept facts), or without an error, is returned as it is.
pub fn worded_error(error: &RecordError) -> RecordError {
    let Some(facts) = error.facts.as_ref().filter(|_| error.needs_words()) else {
        return error.clone();
    };
    // An unknown kind (written by a newer NumberDesk) reads as an answer not understood.
    let kind = GraphErrorKind::from_name(&error.kind).unwrap_or(GraphErrorKind::Malformed);
    let failed = GraphError::from_facts(
        kind,
        facts.status,
        facts.code.clone(),
        facts.graph_message.clone(),
        facts.detail.clone(),
        error.request_id.clone(),
    );
    let problem = super::graph::in_cloud(&failed, !facts.cloud_lacks_api);
    RecordError {
        kind: problem.kind.name().to_owned(),
        message: problem.message,
        hint: Some(problem.hint),
        request_id: problem.request_id.or(error.request_id.clone()),
        facts: error.facts.clone(),
    }
}

/// A record as the admin reads it: its error in words.
pub fn worded(mut record: OperationRecord) -> OperationRecord {
    record.error = record.error.as_ref().map(worded_error);
    record
}

/// A record's view as the admin reads it (see [`worded`]).
pub fn worded_view(mut view: RecordView) -> RecordView {
    view.record = worded(view.record);
    view
}

/// A bulk row as the admin reads it: without a detail of its own, the words of its record's
/// failed call.
pub fn worded_row(mut row: RowUpdate) -> RowUpdate {
    if row.detail.is_none() {
        row.detail = row
            .error
            .as_ref()
            .map(|e| worded_error(e).message)
            .filter(|m| !m.is_empty());
    }
    row
}

/// A run as the admin reads it (see [`worded_row`]).
pub fn worded_run(mut run: RunView) -> RunView {
    run.rows = run.rows.into_iter().map(worded_row).collect();
    run
}

/// A bulk event as the admin reads it.
pub fn worded_event(event: &BulkEvent) -> std::borrow::Cow<'_, BulkEvent> {
    match event {
        BulkEvent::Row(row) if row.detail.is_none() && row.error.is_some() => {
            std::borrow::Cow::Owned(BulkEvent::Row(worded_row(row.clone())))
        }
        other => std::borrow::Cow::Borrowed(other),
    }
}

impl From<&RecordsError> for Problem {
    fn from(error: &RecordsError) -> Problem {
        match error {
            RecordsError::Read(error) => Problem::new(
                ProblemKind::History,
                format!("NumberDesk could not read its history: {error}."),
                error.hint(),
            ),
            RecordsError::NotFound(_) => super::desk::not_in_history(),
            RecordsError::Export(error) => super::export::not_saved(error),
        }
    }
}

impl From<RecordsError> for Problem {
    fn from(error: RecordsError) -> Problem {
        Problem::from(&error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::export_file::ExportFileError;

    #[test]
    fn an_export_that_cannot_be_made_names_the_folder() {
        let folder = std::env::temp_dir().join("numberdesk-no-such-folder-for-export");
        let source = std::fs::File::create(folder.join("numberdesk-history.csv")).unwrap_err();
        let detail = source.to_string();
        let problem = Problem::from(RecordsError::Export(ExportFileError::Create {
            folder: folder.clone(),
            source,
        }));
        assert_eq!(problem.kind, ProblemKind::Export);
        assert_eq!(
            problem.message,
            format!(
                "NumberDesk could not make a new file in {}: {detail}.",
                folder.display()
            )
        );
    }
}
