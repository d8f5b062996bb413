//! The History view and its export, in plain words.

use super::{Problem, ProblemKind};
use crate::records::RecordsError;

impl From<&RecordsError> for Problem {
    fn from(error: &RecordsError) -> Problem {
        let export = |path: &std::path::Path, error: &dyn std::fmt::Display| {
            Problem::new(
                ProblemKind::Export,
                format!("NumberDesk could not write {}: {error}.", path.display()),
                "Check that the Downloads folder exists and has free space, then try again.",
            )
        };
        match error {
            RecordsError::Read(error) => Problem::new(
                ProblemKind::History,
                format!("NumberDesk could not read its history: {error}."),
                error.hint(),
            ),
            RecordsError::NotFound(_) => super::desk::not_in_history(),
            RecordsError::ExportCreate { path, source } => export(path, source),
            RecordsError::ExportWrite { path, source } => export(path, source),
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

    #[test]
    fn an_export_that_cannot_be_made_names_the_file() {
        let folder = std::env::temp_dir().join("numberdesk-no-such-folder-for-export");
        let path = folder.join("numberdesk-history.csv");
        let source = std::fs::File::create(&path).unwrap_err();
        let detail = source.to_string();
        let problem = Problem::from(RecordsError::ExportCreate {
            path: path.clone(),
            source,
        });
        assert_eq!(problem.kind, ProblemKind::Export);
        assert_eq!(
            problem.message,
            format!("NumberDesk could not write {}: {detail}.", path.display())
        );
    }
}
