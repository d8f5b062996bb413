//! Export files: the folder they go to, their names, and the one way every export (History, a
//! bulk run's results, the Numbers list, the leavers list) is put on disk.
//!
//! An export ends up in a change ticket, so a file under an export's name must be a whole
//! export, and an export must never replace a file that was there before:
//!
//! - The rows go to a hidden temporary file in the same folder (`.numberdesk-….csv.partial`),
//!   which is flushed and synced to the disk before it gets the export's name. A write that
//!   fails (a full disk, a folder that went away) removes the temporary file and says so; it
//!   never leaves a CSV that looks complete and is not.
//! - The name is taken with `create_new`, which fails if the file exists (checked by the file
//!   system, not by looking first), and the finished file is renamed onto that empty, just-made
//!   file. Names have a one-second stamp, so a second export in the same second, or a name
//!   already taken for any reason, gets the next free one: `… (2).csv`, `… (3).csv`.
//!
//! Only `std` is used: `create_new` and `rename` within one folder do what is needed on
//! Windows, macOS and Linux.

use serde::Serialize;
use std::fs::{File, OpenOptions};
use std::io::{BufWriter, ErrorKind};
use std::path::{Path, PathBuf};

/// How many names (`… (2).csv` and up) are tried before giving up on a folder.
const NAME_ATTEMPTS: u32 = 1_000;

/// Where an export went.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Exported {
    pub path: String,
    pub count: usize,
}

/// Why an export was not saved. `E` is the error of what writes the rows (a CSV writer, or the
/// history it reads from). In every case no file was left under the export's name.
#[derive(Debug, thiserror::Error)]
pub enum ExportFileError<E> {
    /// No new file could be made in the folder (it is missing or read-only, the disk is full,
    /// or every name was taken).
    #[error("no new file could be made in {}: {source}", folder.display())]
    Create {
        folder: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The rows could not be written.
    #[error("{} could not be written: {source}", path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: E,
    },
    /// The rows were written but could not be flushed to the disk or given their name.
    #[error("{} could not be saved: {source}", path.display())]
    Save {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// `numberdesk-<what>-<stamp>.csv`: `what` is `history`, `bulk-run` (one bulk run),
/// `numbers` or `leavers` (the Numbers view).
pub fn export_file_name(what: &str, now: time::OffsetDateTime) -> String {
    numbered_name(&export_stem(what, now), 1)
}

fn export_stem(what: &str, now: time::OffsetDateTime) -> String {
    let stamp = now
        .format(time::macros::format_description!(
            "[year][month][day]-[hour][minute][second]"
        ))
        .unwrap_or_else(|_| "export".into());
    format!("numberdesk-{what}-{stamp}")
}

/// The `n`th name for an export: `stem.csv`, then `stem (2).csv`, `stem (3).csv`…
fn numbered_name(stem: &str, n: u32) -> String {
    match n {
        1 => format!("{stem}.csv"),
        n => format!("{stem} ({n}).csv"),
    }
}

/// The folder an export goes to: Downloads when it exists or can be made, else the data folder.
pub fn export_folder(downloads: Option<PathBuf>, data_dir: &Path) -> PathBuf {
    downloads
        .filter(|dir| std::fs::create_dir_all(dir).is_ok())
        .unwrap_or_else(|| data_dir.to_path_buf())
}

/// The first of `names` that does not exist in `folder`, made there (empty) by this call.
fn create_new_file(
    folder: &Path,
    names: impl Iterator<Item = String>,
) -> Result<(File, PathBuf), std::io::Error> {
    for name in names {
        let path = folder.join(name);
        match OpenOptions::new().write(true).create_new(true).open(&path) {
            Ok(file) => return Ok((file, path)),
            Err(e) if e.kind() == ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
    Err(std::io::Error::new(
        ErrorKind::AlreadyExists,
        format!("{NAME_ATTEMPTS} files with this name exist already"),
    ))
}

/// Writes an export named for `what` and `now` into `folder` with `write` (which returns how
/// many rows it wrote), as the module says: whole or not at all, never over another file.
pub fn write_export_file<E>(
    folder: &Path,
    what: &str,
    now: time::OffsetDateTime,
    write: impl FnOnce(&mut BufWriter<File>) -> Result<usize, E>,
) -> Result<Exported, ExportFileError<E>> {
    let stem = export_stem(what, now);
    let names = || (1..=NAME_ATTEMPTS).map(|n| numbered_name(&stem, n));
    let named = folder.join(numbered_name(&stem, 1));
    let (partial, partial_path) =
        create_new_file(folder, names().map(|name| format!(".{name}.partial"))).map_err(
            |source| ExportFileError::Create {
                folder: folder.to_owned(),
                source,
            },
        )?;
    let removing_partial = |error| {
        // The temporary file is removed whatever happened; if even that fails, it is hidden and
        // ends in `.partial`, never taken for an export.
        let _ = std::fs::remove_file(&partial_path);
        error
    };
    let mut out = BufWriter::new(partial);
    let count = write(&mut out).map_err(|source| {
        removing_partial(ExportFileError::Write {
            path: named.clone(),
            source,
        })
    })?;
    let saving = |source| {
        removing_partial(ExportFileError::Save {
            path: named.clone(),
            source,
        })
    };
    let partial = out.into_inner().map_err(|e| saving(e.into_error()))?;
    partial.sync_all().map_err(saving)?;
    // Closed before the rename: Windows does not rename an open file.
    drop(partial);
    let (taken, path) = create_new_file(folder, names()).map_err(|source| {
        removing_partial(ExportFileError::Create {
            folder: folder.to_owned(),
            source,
        })
    })?;
    drop(taken);
    // Onto the empty file just made for this export, and nothing else.
    std::fs::rename(&partial_path, &path).map_err(|source| {
        let _ = std::fs::remove_file(&path);
        removing_partial(ExportFileError::Save {
            path: path.clone(),
            source,
        })
    })?;
    Ok(Exported {
        path: path.display().to_string(),
        count,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    /// One row of `bytes`, exported as `numbers`.
    fn write_bytes(
        folder: &Path,
        now: time::OffsetDateTime,
        bytes: &[u8],
    ) -> Result<Exported, ExportFileError<std::io::Error>> {
        write_export_file(folder, "numbers", now, |out| {
            out.write_all(bytes).map(|()| 1)
        })
    }

    const WHEN: time::OffsetDateTime = time::macros::datetime!(2024-05-06 07:08:09 UTC);

    fn names_in(folder: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(folder)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn an_export_is_named_for_what_it_holds() {
        assert_eq!(
            export_file_name("history", WHEN),
            "numberdesk-history-20240506-070809.csv"
        );
        assert_eq!(
            export_file_name("bulk-run", WHEN),
            "numberdesk-bulk-run-20240506-070809.csv"
        );
    }

    #[test]
    fn exports_in_the_same_second_take_the_next_free_name_and_overwrite_nothing() {
        let folder = tempfile::tempdir().unwrap();
        let first = write_bytes(folder.path(), WHEN, b"first").unwrap();
        // A file of the admin's under the third name.
        let theirs = folder
            .path()
            .join("numberdesk-numbers-20240506-070809 (3).csv");
        std::fs::write(&theirs, "the admin's own").unwrap();
        let second = write_bytes(folder.path(), WHEN, b"second").unwrap();
        let third = write_bytes(folder.path(), WHEN, b"third").unwrap();
        assert_eq!(
            names_in(folder.path()),
            [
                "numberdesk-numbers-20240506-070809 (2).csv",
                "numberdesk-numbers-20240506-070809 (3).csv",
                "numberdesk-numbers-20240506-070809 (4).csv",
                "numberdesk-numbers-20240506-070809.csv",
            ]
        );
        for (exported, text) in [(first, "first"), (second, "second"), (third, "third")] {
            assert_eq!(std::fs::read_to_string(&exported.path).unwrap(), text);
        }
        assert_eq!(std::fs::read_to_string(&theirs).unwrap(), "the admin's own");
    }

    #[test]
    fn a_failed_write_leaves_no_file_that_looks_like_an_export() {
        let folder = tempfile::tempdir().unwrap();
        let failed = write_export_file(folder.path(), "numbers", WHEN, |out| {
            out.write_all(b"\xEF\xBB\xBFtelephoneNumber\r\n+12065550100\r\n")?;
            out.flush()?;
            Err::<usize, _>(std::io::Error::other("the disk is full"))
        });
        match failed {
            Err(ExportFileError::Write { path, source }) => {
                assert_eq!(
                    path,
                    folder.path().join("numberdesk-numbers-20240506-070809.csv")
                );
                assert_eq!(source.to_string(), "the disk is full");
            }
            other => panic!("{other:?}"),
        }
        assert!(
            names_in(folder.path()).is_empty(),
            "left behind: {:?}",
            names_in(folder.path())
        );
    }

    #[test]
    fn a_folder_that_cannot_take_a_file_is_reported_and_left_as_it_was() {
        let folder = tempfile::tempdir().unwrap();
        let missing = folder.path().join("gone");
        let failed = write_bytes(&missing, WHEN, b"rows").unwrap_err();
        assert!(
            matches!(&failed, ExportFileError::Create { folder, source }
                if folder == &missing && source.kind() == ErrorKind::NotFound),
            "{failed:?}"
        );
        assert!(names_in(folder.path()).is_empty());
    }

    #[test]
    fn a_leftover_partial_file_is_neither_reused_nor_shown_as_an_export() {
        let folder = tempfile::tempdir().unwrap();
        let leftover = folder
            .path()
            .join(".numberdesk-numbers-20240506-070809.csv.partial");
        std::fs::write(&leftover, "from a crash").unwrap();
        let exported = write_bytes(folder.path(), WHEN, b"rows").unwrap();
        assert_eq!(std::fs::read_to_string(&leftover).unwrap(), "from a crash");
        assert!(exported
            .path
            .ends_with("numberdesk-numbers-20240506-070809.csv"));
        assert_eq!(std::fs::read_to_string(&exported.path).unwrap(), "rows");
    }
}
