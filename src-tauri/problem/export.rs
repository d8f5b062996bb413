//! The words for an export that was not saved ([`ExportFileError`]), the same for every export
//! (History, a bulk run, the Numbers list, the leavers list).

use super::{Problem, ProblemKind};
use crate::export_file::ExportFileError;
use std::fmt::Display;

/// What the admin reads when an export was not saved: nothing was left under its name, so the
/// only step is to make room (or choose a folder that takes files) and export again.
pub(super) fn not_saved<E: Display>(error: &ExportFileError<E>) -> Problem {
    match error {
        ExportFileError::Create { folder, source } => Problem::new(
            ProblemKind::Export,
            format!(
                "NumberDesk could not make a new file in {}: {source}.",
                folder.display()
            ),
            "Check that this folder exists, that you may save files in it and that the disk has free space, then export again.",
        ),
        ExportFileError::Write { path, source } => written_in_vain(path, source),
        ExportFileError::Save { path, source } => written_in_vain(path, source),
    }
}

fn written_in_vain(path: &std::path::Path, error: &dyn Display) -> Problem {
    Problem::new(
        ProblemKind::Export,
        format!(
            "NumberDesk could not write {}: {error}. Nothing was saved under that name.",
            path.display()
        ),
        "Check that the disk has free space and that the folder is still there, then export again.",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_export_not_saved_names_the_file_and_says_nothing_was_kept() {
        let full = std::io::Error::other("No space left on device");
        let problem = not_saved(&ExportFileError::<csv::Error>::Save {
            path: "/home/ana/Downloads/numberdesk-numbers-20240506-070809.csv".into(),
            source: full,
        });
        assert_eq!(problem.kind, ProblemKind::Export);
        assert_eq!(
            problem.message,
            "NumberDesk could not write /home/ana/Downloads/numberdesk-numbers-20240506-070809.csv: No space left on device. Nothing was saved under that name."
        );
        assert!(problem.hint.contains("free space"), "{}", problem.hint);
        let gone = std::io::Error::new(std::io::ErrorKind::NotFound, "no such folder");
        let problem = not_saved(&ExportFileError::<csv::Error>::Create {
            folder: "/home/ana/Downloads".into(),
            source: gone,
        });
        assert_eq!(
            problem.message,
            "NumberDesk could not make a new file in /home/ana/Downloads: no such folder."
        );
        assert!(problem.hint.contains("exists"), "{}", problem.hint);
    }
}
