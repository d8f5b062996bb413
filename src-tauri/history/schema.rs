//! Opening the history file: checks, the damaged-file rule, and versioned migrations.
//!
//! The order of [`open_checked`] matters. The first statements only *read* (the header via
//! `PRAGMA user_version`, then `integrity_check`), so a file that is not ours is never written
//! to before it is set aside; WAL mode and migrations come after. Only "this is not a usable
//! database" errors (`SQLITE_NOTADB`, `SQLITE_CORRUPT`, a schema from a newer NumberDesk, a
//! database of some other program) set a file aside. A locked, read-only or missing-permission
//! file is an ordinary error: moving aside a healthy history because another window held a lock
//! would lose it from view for no reason.
//!
//! Migrations are SQL texts applied in order, each in the same transaction as the
//! `PRAGMA user_version` bump, so a crash leaves the schema at one version or the next, never
//! between. A migration, once released, is never edited: a change is a new migration.

use rusqlite::{Connection, ErrorCode, TransactionBehavior};
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::time::Duration;
use time::OffsetDateTime;

use super::HistoryError;
use crate::held_file::held_by_another_program;

/// The history's file name inside the data folder.
pub const FILE_NAME: &str = "history.sqlite3";

/// How long a write waits for another connection (a second window's, a second process's)
/// before giving up with `SQLITE_BUSY`.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Migration `n` (1-based) takes `user_version` from `n - 1` to `n`.
///
/// Version 1. Notes on the choices:
/// - `AUTOINCREMENT`: ids are shown to the admin, referenced by `undo_of` and used as the
///   paging key; they must never be reused, even if old records are purged one day.
/// - The prior assignee, actor and error are columns, not JSON, so the text filter and a
///   future report can reach them without parsing.
/// - `search_text` is the lower-cased text the filter matches (number digits, the number as
///   written, assignee id/name/UPN, request ids), kept by the one write path in `mod.rs`.
///   Lower-casing in Rust makes "case-insensitive" mean Unicode case, not just ASCII.
/// - `operations_by_status (status, id)`: a status-filtered page walks one index range in id
///   order and stops after a page.
/// - `operations_in_flight`: a partial index on the few open records; the double-submission
///   guard and start-up resume read only it. Its `WHERE` is `IN_FLIGHT_SQL` verbatim.
///
/// Version 2: `batches`, one row per bulk run, written before its first POST. `plan` is the
/// run's planned rows as JSON (opaque to the history: the bulk module owns its shape), kept so
/// a run cut off by a crash can be resumed with exactly the rows the admin confirmed.
/// `closed_at` is set when the run ends (finished or cancelled); an open batch at start-up was
/// interrupted.
///
/// Version 3: `error_facts`, what a failed call answered (status, Graph's code and message, as
/// JSON: kept, never searched). Records with facts keep no words; older records keep theirs.
pub(super) const MIGRATIONS: &[&str] = &[
    "
    CREATE TABLE operations (
        id                   INTEGER PRIMARY KEY AUTOINCREMENT,
        kind                 TEXT    NOT NULL CHECK (kind IN ('unassign', 'assign')),
        telephone_number     TEXT    NOT NULL,
        number_type          TEXT,
        assignee_id          TEXT,
        assignee_name        TEXT,
        assignee_upn         TEXT,
        assignee_target_kind TEXT,
        assignee_category    TEXT,
        assignee_location_id TEXT,
        actor_upn            TEXT    NOT NULL,
        actor_tenant_id      TEXT    NOT NULL,
        actor_cloud          TEXT    NOT NULL,
        requested_at         TEXT    NOT NULL,
        client_request_id    TEXT    NOT NULL,
        request_id           TEXT,
        response_date        TEXT,
        location             TEXT,
        status               TEXT    NOT NULL,
        status_detail        TEXT,
        settled_at           TEXT,
        error_kind           TEXT,
        error_message        TEXT,
        error_hint           TEXT,
        error_request_id     TEXT,
        undo_of              INTEGER REFERENCES operations (id),
        batch_id             TEXT,
        updated_at           TEXT    NOT NULL,
        search_text          TEXT    NOT NULL
    );
    CREATE INDEX operations_by_status ON operations (status, id);
    CREATE INDEX operations_in_flight ON operations (telephone_number)
        WHERE status IN ('sending', 'accepted', 'notStarted', 'running', 'outcomeUnknown');
    CREATE INDEX operations_by_undo ON operations (undo_of) WHERE undo_of IS NOT NULL;
    CREATE INDEX operations_by_batch ON operations (batch_id) WHERE batch_id IS NOT NULL;
",
    "
    CREATE TABLE batches (
        id          TEXT PRIMARY KEY NOT NULL,
        kind        TEXT NOT NULL CHECK (kind IN ('unassign', 'assign')),
        created_at  TEXT NOT NULL,
        summary     TEXT NOT NULL,
        rows        INTEGER NOT NULL,
        plan        TEXT NOT NULL,
        closed_at   TEXT
    );
    CREATE INDEX batches_open ON batches (created_at) WHERE closed_at IS NULL;
",
    "
    ALTER TABLE operations ADD COLUMN error_facts TEXT;
",
];

/// The schema version this build writes and understands.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// How hard each commit works to survive an OS crash or power loss.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Durability {
    /// `synchronous = FULL`: every commit is on disk before the call returns (one `fsync` of
    /// the WAL, a few ms). The app's choice: a "sending" record must outlive a power cut that
    /// comes after the POST left.
    #[default]
    PowerLoss,
    /// `synchronous = NORMAL`: commits survive the process dying (kill, panic) but the last
    /// ones may be lost to an OS crash. For tests and benchmarks that write thousands of rows.
    ProcessCrash,
}

/// Why a history file was set aside.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase", tag = "kind")]
pub enum SetAsideReason {
    /// SQLite does not recognise the file as a database.
    NotADatabase,
    /// SQLite's integrity check (or a read) found damage.
    Corrupt { detail: String },
    /// Written by a newer NumberDesk; this one cannot read it safely.
    NewerSchema { found: i64, known: i64 },
    /// A database, but some other program's (tables, no NumberDesk version).
    NotOurs,
}

/// Told to the admin once, at start-up: the old history was kept, under another name, and a
/// new one begun.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HistoryNotice {
    /// Where the old file is now.
    pub set_aside_as: PathBuf,
    pub reason: SetAsideReason,
}

impl HistoryNotice {
    /// What happened, for the admin.
    pub fn message(&self) -> String {
        let why = match &self.reason {
            SetAsideReason::NotADatabase => "was not a readable database".to_owned(),
            SetAsideReason::Corrupt { .. } => "was damaged".to_owned(),
            SetAsideReason::NewerSchema { .. } => {
                "was written by a newer version of NumberDesk".to_owned()
            }
            SetAsideReason::NotOurs => "belonged to another program".to_owned(),
        };
        format!(
            "The operations history {why}. It was kept as {} and a new, empty history was \
             started.",
            self.set_aside_as.display()
        )
    }

    /// What to do next.
    pub fn hint(&self) -> &'static str {
        match self.reason {
            SetAsideReason::NewerSchema { .. } => {
                "Use the newer NumberDesk to see the old history, or keep the file for your \
                 records. Operations that were in flight are not followed by this version."
            }
            _ => {
                "Nothing was deleted. Keep the file if you need the old records (IT or \
                 NumberDesk support may be able to recover them); check the Teams admin center \
                 for operations that were in flight."
            }
        }
    }
}

impl std::fmt::Display for HistoryNotice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.message(), self.hint())
    }
}

/// Why [`open_checked`] did not return a connection.
pub(super) enum OpenFailure {
    /// The file must be set aside.
    Damaged(SetAsideReason),
    /// Anything else: reported as is, the file left where it is.
    Failed(HistoryError),
}

/// Opens `path`, checks it, switches on WAL and migrates it.
pub(super) fn open_checked(path: &Path, durability: Durability) -> Result<Connection, OpenFailure> {
    let failed = |source| classify(path, source);
    let mut conn = Connection::open(path).map_err(failed)?;
    conn.busy_timeout(BUSY_TIMEOUT).map_err(failed)?;

    // Read-only checks first: nothing is written to a file that may not be ours.
    let version: i64 = conn
        .pragma_query_value(None, "user_version", |row| row.get(0))
        .map_err(failed)?;
    if version > SCHEMA_VERSION {
        return Err(OpenFailure::Damaged(SetAsideReason::NewerSchema {
            found: version,
            known: SCHEMA_VERSION,
        }));
    }
    if version == 0 {
        let tables: i64 = conn
            .query_row(
                "SELECT count(*) FROM sqlite_schema WHERE name NOT LIKE 'sqlite_%'",
                [],
                |row| row.get(0),
            )
            .map_err(failed)?;
        if tables > 0 {
            return Err(OpenFailure::Damaged(SetAsideReason::NotOurs));
        }
    }
    let problems = integrity_problems(&conn).map_err(failed)?;
    if !problems.is_empty() {
        return Err(OpenFailure::Damaged(SetAsideReason::Corrupt {
            detail: problems.join("; "),
        }));
    }

    let mode: String = conn
        .pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0))
        .map_err(failed)?;
    if !mode.eq_ignore_ascii_case("wal") {
        // Some network file systems cannot share memory for the WAL index. The history still
        // works (rollback journal), only readers and the writer no longer run side by side.
        log::warn!(
            "history: WAL mode unavailable at {}; using {mode}",
            path.display()
        );
    }
    let synchronous = match durability {
        Durability::PowerLoss => "FULL",
        Durability::ProcessCrash => "NORMAL",
    };
    conn.pragma_update(None, "synchronous", synchronous)
        .map_err(failed)?;
    conn.pragma_update(None, "foreign_keys", "ON")
        .map_err(failed)?;
    migrate(&mut conn).map_err(|failure| match failure {
        OpenFailure::Failed(HistoryError::Database(source)) => classify(path, source),
        other => other,
    })?;
    Ok(conn)
}

/// `PRAGMA integrity_check`, minus its "ok".
fn integrity_problems(conn: &Connection) -> rusqlite::Result<Vec<String>> {
    let mut statement = conn.prepare("PRAGMA integrity_check(20)")?;
    let rows = statement.query_map([], |row| row.get::<_, String>(0))?;
    let mut problems = Vec::new();
    for row in rows {
        let row = row?;
        if row != "ok" {
            problems.push(row);
        }
    }
    Ok(problems)
}

fn migrate(conn: &mut Connection) -> Result<(), OpenFailure> {
    let db = |e: rusqlite::Error| OpenFailure::Failed(HistoryError::Database(e));
    // IMMEDIATE: two processes starting together must not both run migration n.
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(db)?;
    let version: i64 = tx
        .pragma_query_value(None, "user_version", |row| row.get(0))
        .map_err(db)?;
    if version > SCHEMA_VERSION {
        return Err(OpenFailure::Damaged(SetAsideReason::NewerSchema {
            found: version,
            known: SCHEMA_VERSION,
        }));
    }
    for (index, sql) in MIGRATIONS.iter().enumerate() {
        let target = index as i64 + 1;
        if target <= version {
            continue;
        }
        tx.execute_batch(sql).map_err(db)?;
        tx.pragma_update(None, "user_version", target).map_err(db)?;
        log::info!("history: schema migrated to version {target}");
    }
    tx.commit().map_err(db)
}

/// Damage is a reason to set the file aside; anything else is an error to report.
fn classify(path: &Path, source: rusqlite::Error) -> OpenFailure {
    match source.sqlite_error_code() {
        Some(ErrorCode::NotADatabase) => OpenFailure::Damaged(SetAsideReason::NotADatabase),
        Some(ErrorCode::DatabaseCorrupt) => OpenFailure::Damaged(SetAsideReason::Corrupt {
            detail: source.to_string(),
        }),
        _ => OpenFailure::Failed(HistoryError::Open {
            path: path.to_path_buf(),
            source,
        }),
    }
}

/// Renames `path` and its `-wal`/`-shm` companions to `<name>.damaged-<YYYYMMDD-HHMMSS>` (UTC;
/// `-2`, `-3`, … appended if that name is taken) and returns the new main file's path.
///
/// The companions go first: were the main file renamed first and the app killed right then, a
/// fresh database created under the old name would find the old `-wal` beside it and SQLite
/// would replay the damaged file's pages into it. Nothing is ever deleted or overwritten: a file
/// another program holds is tried again after each of [`crate::held_file::PAUSES`], and if it stays
/// held, the companions already moved are put back beside it and the admin is told.
pub(super) fn set_aside(path: &Path, now: OffsetDateTime) -> Result<PathBuf, HistoryError> {
    set_aside_with(
        path,
        now,
        |from: &Path, to: &Path| std::fs::rename(from, to),
        held_by_another_program,
        std::thread::sleep,
    )
}

/// [`set_aside`] with the rename, the "held by another program" test and the pause given, so
/// the retries can be tested on any OS.
pub(super) fn set_aside_with(
    path: &Path,
    now: OffsetDateTime,
    mut rename: impl FnMut(&Path, &Path) -> std::io::Result<()>,
    in_use: impl Fn(&std::io::Error) -> bool,
    mut pause: impl FnMut(Duration),
) -> Result<PathBuf, HistoryError> {
    let now = now.to_offset(time::UtcOffset::UTC);
    let stamp = format!(
        "{:04}{:02}{:02}-{:02}{:02}{:02}",
        now.year(),
        u8::from(now.month()),
        now.day(),
        now.hour(),
        now.minute(),
        now.second()
    );
    let name = path
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_else(|| FILE_NAME.to_owned());
    let with_suffix = |base: &Path, suffix: &str| {
        let mut text = base.as_os_str().to_owned();
        text.push(suffix);
        PathBuf::from(text)
    };
    let target = (1..)
        .map(|n| {
            let suffix = if n == 1 {
                String::new()
            } else {
                format!("-{n}")
            };
            path.with_file_name(format!("{name}.damaged-{stamp}{suffix}"))
        })
        .find(|candidate| {
            ["", "-wal", "-shm"]
                .iter()
                .all(|suffix| !with_suffix(candidate, suffix).exists())
        })
        .unwrap_or_else(|| path.with_file_name(format!("{name}.damaged-{stamp}")));
    let mut rename_retrying = |from: &Path, to: &Path| {
        crate::held_file::rename_retrying(from, to, &mut rename, &in_use, &mut pause)
    };
    let mut moved: Vec<(PathBuf, PathBuf)> = Vec::new();
    for suffix in ["-wal", "-shm", ""] {
        let from = with_suffix(path, suffix);
        if !(suffix.is_empty() || from.exists()) {
            continue;
        }
        let to = with_suffix(&target, suffix);
        if let Err(source) = rename_retrying(&from, &to) {
            // Keep the set together under its old name: a `-wal` parted from its file would
            // be replayed into the wrong database or lost from view.
            for (back_from, back_to) in moved.iter().rev() {
                if let Err(error) = rename_retrying(back_to, back_from) {
                    log::warn!(
                        "history: {} could not be put back as {}: {error}",
                        back_to.display(),
                        back_from.display()
                    );
                }
            }
            return Err(if in_use(&source) {
                HistoryError::HeldByAnotherProgram { path: from, source }
            } else {
                HistoryError::SetAside { path: from, source }
            });
        }
        moved.push((from, to));
    }
    Ok(target)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_file_is_migrated_to_the_current_version_in_wal_mode() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE_NAME);
        let Ok(conn) = open_checked(&path, Durability::PowerLoss) else {
            panic!("a new file opens");
        };
        let version: i64 = conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap();
        assert_eq!(version, SCHEMA_VERSION);
        let mode: String = conn
            .pragma_query_value(None, "journal_mode", |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
        let keys: i64 = conn
            .pragma_query_value(None, "foreign_keys", |r| r.get(0))
            .unwrap();
        assert_eq!(keys, 1);
        drop(conn);
        // Opening again runs no migration twice.
        assert!(open_checked(&path, Durability::PowerLoss).is_ok());
    }

    #[test]
    fn the_in_flight_index_repeats_the_query_text_word_for_word() {
        let migration: String = MIGRATIONS[0]
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        assert!(
            migration.contains(&format!("WHERE {}", super::super::record::IN_FLIGHT_SQL)),
            "the partial index and IN_FLIGHT_SQL differ"
        );
    }

    #[test]
    fn set_aside_never_overwrites_an_earlier_damaged_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE_NAME);
        let now = time::macros::datetime!(2024-05-06 07:08:09 UTC);
        std::fs::write(&path, b"first").unwrap();
        std::fs::write(with(&path, "-wal"), b"first wal").unwrap();
        let first = set_aside(&path, now).unwrap();
        assert_eq!(
            first,
            dir.path().join("history.sqlite3.damaged-20240506-070809")
        );
        assert_eq!(std::fs::read(with(&first, "-wal")).unwrap(), b"first wal");
        std::fs::write(&path, b"second").unwrap();
        let second = set_aside(&path, now).unwrap();
        assert_eq!(
            second,
            dir.path().join("history.sqlite3.damaged-20240506-070809-2")
        );
        assert_eq!(std::fs::read(&first).unwrap(), b"first");
        assert_eq!(std::fs::read(&second).unwrap(), b"second");
        assert!(!path.exists());
        assert!(!with(&path, "-wal").exists());
    }

    /// A damaged history with its companions, each with its own bytes.
    fn damaged_set(dir: &Path) -> PathBuf {
        let path = dir.join(FILE_NAME);
        std::fs::write(&path, b"damaged main").unwrap();
        std::fs::write(with(&path, "-wal"), b"damaged wal").unwrap();
        std::fs::write(with(&path, "-shm"), b"damaged shm").unwrap();
        path
    }

    fn assert_set_untouched(path: &Path) {
        assert_eq!(std::fs::read(path).unwrap(), b"damaged main");
        assert_eq!(std::fs::read(with(path, "-wal")).unwrap(), b"damaged wal");
        assert_eq!(std::fs::read(with(path, "-shm")).unwrap(), b"damaged shm");
        let names: Vec<String> = std::fs::read_dir(path.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names.len(), 3, "nothing else appeared: {names:?}");
    }

    /// Windows' "in use" codes, as `std::fs::rename` reports them there.
    fn sharing_violation() -> std::io::Error {
        std::io::Error::from_raw_os_error(32)
    }

    fn windows_in_use(error: &std::io::Error) -> bool {
        crate::held_file::is_in_use(error.raw_os_error(), true)
    }

    /// An antivirus or indexer holding the damaged file: retried a few times with a short,
    /// growing pause, then reported; the file and its companions stay as they were.
    #[test]
    fn a_damaged_file_held_by_another_program_is_retried_then_reported_never_emptied() {
        let dir = tempfile::tempdir().unwrap();
        let path = damaged_set(dir.path());
        let now = time::macros::datetime!(2024-05-06 07:08:09 UTC);
        let mut main_attempts = 0;
        let mut pauses = Vec::new();
        let result = set_aside_with(
            &path,
            now,
            |from: &Path, to: &Path| {
                if from == path {
                    main_attempts += 1;
                    Err(sharing_violation())
                } else {
                    std::fs::rename(from, to)
                }
            },
            windows_in_use,
            |pause| pauses.push(pause),
        );
        let Err(error) = result else {
            panic!("a held file cannot be set aside")
        };
        assert!(
            matches!(error, HistoryError::HeldByAnotherProgram { .. }),
            "{error:?}"
        );
        assert_eq!(main_attempts, crate::held_file::PAUSES.len() + 1);
        assert_eq!(pauses, crate::held_file::PAUSES);
        assert!(pauses.windows(2).all(|w| w[0] < w[1]), "backing off");
        assert!(pauses.iter().sum::<Duration>() <= Duration::from_secs(2));
        let told = format!("{error} {}", error.hint());
        assert!(told.contains("another program"), "{told}");
        assert!(told.contains("restart"), "{told}");
        assert!(told.contains("left as it is"), "{told}");
        // The companions that had moved are back beside their file: the set stays whole.
        assert_set_untouched(&path);
    }

    #[test]
    fn a_file_released_while_retrying_is_set_aside_whole() {
        let dir = tempfile::tempdir().unwrap();
        let path = damaged_set(dir.path());
        let now = time::macros::datetime!(2024-05-06 07:08:09 UTC);
        let mut refusals_left = 2;
        let mut pauses = Vec::new();
        let target = set_aside_with(
            &path,
            now,
            |from: &Path, to: &Path| {
                if from == path && refusals_left > 0 {
                    refusals_left -= 1;
                    return Err(sharing_violation());
                }
                std::fs::rename(from, to)
            },
            windows_in_use,
            |pause| pauses.push(pause),
        )
        .unwrap();
        assert_eq!(pauses, crate::held_file::PAUSES[..2]);
        assert_eq!(std::fs::read(&target).unwrap(), b"damaged main");
        assert_eq!(
            std::fs::read(with(&target, "-wal")).unwrap(),
            b"damaged wal"
        );
        assert_eq!(
            std::fs::read(with(&target, "-shm")).unwrap(),
            b"damaged shm"
        );
        assert!(!path.exists());
    }

    #[test]
    fn other_rename_errors_are_not_retried_and_leave_the_set_whole() {
        let dir = tempfile::tempdir().unwrap();
        let path = damaged_set(dir.path());
        let now = time::macros::datetime!(2024-05-06 07:08:09 UTC);
        let mut pauses = Vec::new();
        let result = set_aside_with(
            &path,
            now,
            |from: &Path, to: &Path| {
                if from == path {
                    Err(std::io::Error::from(std::io::ErrorKind::PermissionDenied))
                } else {
                    std::fs::rename(from, to)
                }
            },
            windows_in_use,
            |pause| pauses.push(pause),
        );
        assert!(
            matches!(result, Err(HistoryError::SetAside { .. })),
            "{result:?}"
        );
        assert!(pauses.is_empty());
        assert_set_untouched(&path);
    }

    fn with(path: &Path, suffix: &str) -> PathBuf {
        let mut text = path.as_os_str().to_owned();
        text.push(suffix);
        PathBuf::from(text)
    }
}
