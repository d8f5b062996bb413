//! The kept inventory: `inventory.sqlite3` in the data folder, beside the history.
//!
//! One snapshot at a time: a refresh replaces every row in one transaction, so the file holds
//! either the previous read or the new one, never a mix. Beside it, apart, at most one
//! *partial* read (a Refresh Microsoft cut off: its pages and where it stopped), never mixed
//! into the snapshot; a complete read removes it. It is a cache of what Microsoft
//! knows, so it is written with `synchronous = NORMAL` (a power cut may lose the newest
//! refresh, which is read again) and a file that is not a usable database is moved aside to
//! `inventory.sqlite3.damaged-<unix seconds>` (never deleted) and started afresh: the admin
//! loses nothing but one refresh, and the history is never involved.
//!
//! The list is stamped with whose it is ([`ListOwner`]: tenant, cloud, account) and read back
//! only for the same owner. A file of the first version has no owner: its rows are deleted
//! when it is opened. [`InventoryStore::forget`] (sign-out) deletes the list and compacts the
//! file, so no name or user name is left in its free pages or its write-ahead log; deleted
//! rows are overwritten with zeros as they go (`secure_delete`).

use super::{AssignmentKind, Inventory, InventoryRow, ListOwner, PartialRead, StopCause};
use rusqlite::{params, Connection, ErrorCode, OptionalExtension};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// The inventory's file name inside the data folder.
pub const FILE_NAME: &str = "inventory.sqlite3";
/// 2: the snapshot names its owner (tenant, cloud, Graph root, account).
/// 3: whether the names were read (`names_unread`), and a Refresh cut off (`partial`).
const SCHEMA_VERSION: i64 = 3;
/// What version 3 added to version 2: a cut-off Refresh's pages, apart from the complete list,
/// stamped with their own owner.
const PARTIAL_SCHEMA: &str = "
    CREATE TABLE partial (
        id             INTEGER PRIMARY KEY CHECK (id = 1),
        owner_tenant   TEXT    NOT NULL,
        owner_cloud    TEXT    NOT NULL,
        owner_graph    TEXT    NOT NULL,
        owner_account  TEXT    NOT NULL,
        started_unix   INTEGER NOT NULL,
        stopped_at     TEXT    NOT NULL,
        unreadable     INTEGER NOT NULL,
        next_skip      INTEGER NOT NULL,
        seam_id        TEXT,
        pages          INTEGER NOT NULL,
        about          INTEGER,
        cause          TEXT    NOT NULL,
        request_id     TEXT
    );
    CREATE TABLE partial_numbers (
        position          INTEGER PRIMARY KEY,
        id                TEXT    NOT NULL,
        telephone_number  TEXT    NOT NULL,
        number_type       TEXT    NOT NULL,
        assignment        TEXT    NOT NULL,
        assignment_status TEXT,
        assignee_id       TEXT,
        assignee_name     TEXT,
        assignee_upn      TEXT,
        category          TEXT,
        city              TEXT,
        country           TEXT,
        activation_state  TEXT,
        location_id       TEXT
    );
";
const SCHEMA: &str = "
    CREATE TABLE snapshot (
        id             INTEGER PRIMARY KEY CHECK (id = 1),
        owner_tenant   TEXT    NOT NULL,
        owner_cloud    TEXT    NOT NULL,
        owner_graph    TEXT    NOT NULL,
        owner_account  TEXT    NOT NULL,
        read_at        TEXT    NOT NULL,
        unreadable     INTEGER NOT NULL,
        list_requests  INTEGER NOT NULL,
        name_requests  INTEGER NOT NULL,
        names_unread   INTEGER NOT NULL DEFAULT 0
    );
    CREATE TABLE numbers (
        position          INTEGER PRIMARY KEY,
        id                TEXT    NOT NULL,
        telephone_number  TEXT    NOT NULL,
        number_type       TEXT    NOT NULL,
        assignment        TEXT    NOT NULL,
        assignment_status TEXT,
        assignee_id       TEXT,
        assignee_name     TEXT,
        assignee_upn      TEXT,
        category          TEXT,
        city              TEXT,
        country           TEXT,
        activation_state  TEXT,
        location_id       TEXT
    );
";

/// Why the kept inventory could not be used.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("the kept number list {path} cannot be opened ({source})")]
    Open {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },
    #[error("the kept number list could not be read or written ({0})")]
    Database(#[from] rusqlite::Error),
    #[error("the damaged number list {path} could not be moved aside ({source})")]
    SetAside {
        path: PathBuf,
        #[source]
        source: crate::history::HistoryError,
    },
    /// Sign-out: the kept list could not be deleted, or the file not compacted (another
    /// connection held it), so names may still be on disk.
    #[error("the kept number list could not be removed from this computer ({0})")]
    NotErased(#[source] rusqlite::Error),
    /// The blocking thread doing the work was stopped (the app is closing).
    #[error("the work on the kept number list was stopped ({0})")]
    Stopped(String),
}

/// `work` on a blocking thread: the kept list's SQLite and files (tens of MB at 50,000
/// numbers, `synchronous=FULL`) never run on the async threads that carry the window's other
/// commands.
pub(crate) async fn off_thread<T, E>(
    work: impl FnOnce() -> Result<T, E> + Send + 'static,
) -> Result<T, E>
where
    T: Send + 'static,
    E: From<StoreError> + Send + 'static,
{
    crate::off_thread::off_thread(work, |stopped| StoreError::Stopped(stopped).into()).await
}

/// What the file holds for the owner who asks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeptList {
    /// Nothing was read yet (or it was removed at sign-out).
    Nothing,
    /// A list read for another tenant, cloud or account: none of it is given out.
    ReadForAnother,
    /// The owner's own list.
    Read(Inventory),
}

/// The kept inventory. Shareable between threads.
pub struct InventoryStore {
    conn: Mutex<Connection>,
    path: PathBuf,
    /// Where a damaged file was moved when this store was opened, to tell the admin once.
    pub set_aside: Option<PathBuf>,
}

fn is_damaged(error: &rusqlite::Error) -> bool {
    matches!(
        error.sqlite_error_code(),
        Some(ErrorCode::NotADatabase | ErrorCode::DatabaseCorrupt)
    )
}

fn open_connection(path: &Path) -> rusqlite::Result<Connection> {
    let conn = Connection::open(path)?;
    let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.pragma_update(None, "secure_delete", "ON")?;
    match version {
        0 => {
            conn.execute_batch(&format!(
                "BEGIN; {SCHEMA} {PARTIAL_SCHEMA} PRAGMA user_version = {SCHEMA_VERSION}; COMMIT;"
            ))?;
        }
        2 => {
            // The complete list stays; its names were read whole (a failed name read failed
            // the whole Refresh then).
            conn.execute_batch(&format!(
                "BEGIN; ALTER TABLE snapshot ADD COLUMN names_unread INTEGER NOT NULL DEFAULT 0;
                 {PARTIAL_SCHEMA} PRAGMA user_version = {SCHEMA_VERSION}; COMMIT;"
            ))?;
        }
        1 => {
            // The first version kept no owner: its list belongs to nobody, so its rows go.
            conn.execute_batch(&format!(
                "BEGIN; DROP TABLE numbers; DROP TABLE snapshot; {SCHEMA} {PARTIAL_SCHEMA}
                 PRAGMA user_version = {SCHEMA_VERSION}; COMMIT;"
            ))?;
            if let Err(error) = compact(&conn) {
                // The rows are gone; their bytes go at the next compaction (sign-out).
                log::warn!("inventory: the first version's file was not compacted: {error}");
            }
        }
        SCHEMA_VERSION => {}
        _ => {
            // A newer NumberDesk's list: not ours to read; set aside like a damaged one.
            return Err(rusqlite::Error::SqliteFailure(
                rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_NOTADB),
                Some("kept by a newer NumberDesk".into()),
            ));
        }
    }
    Ok(conn)
}

/// Rebuilds the file without free pages and empties the write-ahead log, so nothing deleted
/// is left in either. `Busy` when another connection kept the log from being emptied.
fn compact(conn: &Connection) -> rusqlite::Result<()> {
    let checkpoint = |conn: &Connection| -> rusqlite::Result<()> {
        let busy: i64 = conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| r.get(0))?;
        if busy != 0 {
            return Err(rusqlite::Error::SqliteFailure(
                rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_BUSY),
                Some("another connection is reading the number list".into()),
            ));
        }
        Ok(())
    };
    checkpoint(conn)?;
    conn.execute_batch("VACUUM")?;
    checkpoint(conn)
}

impl InventoryStore {
    /// Opens (creating) `<dir>/inventory.sqlite3`.
    pub fn open(dir: &Path) -> Result<InventoryStore, StoreError> {
        let path = dir.join(FILE_NAME);
        let mut set_aside = None;
        let conn = match open_connection(&path) {
            Ok(conn) => conn,
            Err(error) if is_damaged(&error) => {
                let aside = crate::history::set_aside_damaged(&path).map_err(|source| {
                    StoreError::SetAside {
                        path: path.clone(),
                        source,
                    }
                })?;
                log::warn!(
                    "inventory: damaged {} set aside as {}",
                    path.display(),
                    aside.display()
                );
                set_aside = Some(aside);
                open_connection(&path).map_err(|source| StoreError::Open {
                    path: path.clone(),
                    source,
                })?
            }
            Err(source) => return Err(StoreError::Open { path, source }),
        };
        Ok(InventoryStore {
            conn: Mutex::new(conn),
            path,
            set_aside,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Replaces the kept inventory with `inventory`, read for `owner`, in one transaction; a
    /// partial read is dropped with it (the complete list supersedes it).
    pub fn save(&self, owner: &ListOwner, inventory: &Inventory) -> Result<(), StoreError> {
        let mut conn = crate::locks::lock(&self.conn);
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        tx.execute_batch("DELETE FROM numbers; DELETE FROM partial_numbers; DELETE FROM partial;")?;
        tx.execute(
            "INSERT OR REPLACE INTO snapshot (id, owner_tenant, owner_cloud, owner_graph,
                owner_account, read_at, unreadable, list_requests, name_requests, names_unread)
             VALUES (1, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            params![
                owner.tenant_id,
                owner.cloud,
                owner.graph,
                owner.account,
                inventory.read_at,
                inventory.unreadable as i64,
                inventory.list_requests as i64,
                inventory.name_requests as i64,
                inventory.names_missing,
            ],
        )?;
        insert_rows(&tx, "numbers", &inventory.rows)?;
        tx.commit()?;
        Ok(())
    }

    /// Keeps `partial`, read for `owner`, in place of any earlier partial read, in one
    /// transaction. The complete list stays as it was, unless it is another owner's: the file
    /// holds one owner's lists.
    pub fn save_partial(&self, owner: &ListOwner, partial: &PartialRead) -> Result<(), StoreError> {
        let mut conn = crate::locks::lock(&self.conn);
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        if Self::owner(&tx)?.is_some_and(|kept_for| kept_for != *owner) {
            tx.execute_batch("DELETE FROM numbers; DELETE FROM snapshot;")?;
        }
        tx.execute_batch("DELETE FROM partial_numbers; DELETE FROM partial;")?;
        tx.execute(
            "INSERT INTO partial (id, owner_tenant, owner_cloud, owner_graph, owner_account,
                started_unix, stopped_at, unreadable, next_skip, seam_id, pages, about, cause,
                request_id)
             VALUES (1, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
            params![
                owner.tenant_id,
                owner.cloud,
                owner.graph,
                owner.account,
                partial.started_unix,
                partial.stopped_at,
                partial.unreadable as i64,
                partial.next_skip as i64,
                partial.seam_id,
                partial.pages as i64,
                partial.about.map(|n| n as i64),
                partial.cause.as_str(),
                partial.request_id,
            ],
        )?;
        insert_rows(&tx, "partial_numbers", &partial.rows)?;
        tx.commit()?;
        Ok(())
    }

    /// The partial read kept for `owner`, if any (another owner's is not read at all).
    pub fn load_partial(&self, owner: &ListOwner) -> Result<Option<PartialRead>, StoreError> {
        let conn = crate::locks::lock(&self.conn);
        let head = conn
            .query_row(
                "SELECT owner_tenant, owner_cloud, owner_graph, owner_account, started_unix,
                        stopped_at, unreadable, next_skip, seam_id, pages, about, cause,
                        request_id
                 FROM partial WHERE id = 1",
                [],
                |r| {
                    let kept_for = ListOwner {
                        tenant_id: r.get(0)?,
                        cloud: r.get(1)?,
                        graph: r.get(2)?,
                        account: r.get(3)?,
                    };
                    Ok((
                        kept_for,
                        PartialRead {
                            started_unix: r.get(4)?,
                            stopped_at: r.get(5)?,
                            rows: Vec::new(),
                            unreadable: r.get::<_, i64>(6)?.max(0) as usize,
                            next_skip: r.get::<_, i64>(7)?.max(0) as usize,
                            seam_id: r.get(8)?,
                            pages: r.get::<_, i64>(9)?.max(0) as usize,
                            about: r.get::<_, Option<i64>>(10)?.map(|n| n.max(0) as usize),
                            cause: StopCause::parse(&r.get::<_, String>(11)?),
                            request_id: r.get(12)?,
                        },
                    ))
                },
            )
            .optional()?;
        match head {
            Some((kept_for, mut partial)) if kept_for == *owner => {
                partial.rows = select_rows(&conn, "partial_numbers")?;
                Ok(Some(partial))
            }
            _ => Ok(None),
        }
    }

    /// Whose list the file holds, if any.
    fn owner(conn: &Connection) -> Result<Option<ListOwner>, StoreError> {
        Ok(conn
            .query_row(
                "SELECT owner_tenant, owner_cloud, owner_graph, owner_account
                 FROM snapshot WHERE id = 1",
                [],
                |r| {
                    Ok(ListOwner {
                        tenant_id: r.get(0)?,
                        cloud: r.get(1)?,
                        graph: r.get(2)?,
                        account: r.get(3)?,
                    })
                },
            )
            .optional()?)
    }

    /// The inventory kept for `owner`; a list read for anyone else is not read at all.
    pub fn load(&self, owner: &ListOwner) -> Result<KeptList, StoreError> {
        let conn = crate::locks::lock(&self.conn);
        match Self::owner(&conn)? {
            None => return Ok(KeptList::Nothing),
            Some(kept_for) if kept_for != *owner => return Ok(KeptList::ReadForAnother),
            Some(_) => {}
        }
        let head = conn
            .query_row(
                "SELECT read_at, unreadable, list_requests, name_requests, names_unread
                 FROM snapshot WHERE id = 1",
                [],
                |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, i64>(1)?,
                        r.get::<_, i64>(2)?,
                        r.get::<_, i64>(3)?,
                        r.get::<_, bool>(4)?,
                    ))
                },
            )
            .optional()?;
        let Some((read_at, unreadable, list_requests, name_requests, names_missing)) = head else {
            return Ok(KeptList::Nothing);
        };
        let rows = select_rows(&conn, "numbers")?;
        Ok(KeptList::Read(Inventory {
            read_at,
            rows,
            unreadable: unreadable.max(0) as usize,
            list_requests: list_requests.max(0) as usize,
            name_requests: name_requests.max(0) as usize,
            names_missing,
        }))
    }

    /// How many numbers the list kept for `owner` holds (for "of about 30,000"), cheaply;
    /// `None` when nothing is kept for `owner`.
    pub fn kept_count(&self, owner: &ListOwner) -> Result<Option<usize>, StoreError> {
        let conn = crate::locks::lock(&self.conn);
        if Self::owner(&conn)?.as_ref() != Some(owner) {
            return Ok(None);
        }
        let count: i64 = conn.query_row("SELECT COUNT(*) FROM numbers", [], |r| r.get(0))?;
        Ok(Some(count.max(0) as usize))
    }

    /// Sign-out: deletes the kept list, whoever it was read for, and compacts the file and
    /// empties its write-ahead log, so no name or user name is left on disk.
    pub fn forget(&self) -> Result<(), StoreError> {
        let mut conn = crate::locks::lock(&self.conn);
        let tx = conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(StoreError::NotErased)?;
        tx.execute_batch(
            "DELETE FROM numbers; DELETE FROM snapshot; DELETE FROM partial_numbers;
             DELETE FROM partial;",
        )
        .map_err(StoreError::NotErased)?;
        tx.commit().map_err(StoreError::NotErased)?;
        compact(&conn).map_err(StoreError::NotErased)
    }
}

/// `rows` into `table` (`numbers` or `partial_numbers`), in order.
fn insert_rows(conn: &Connection, table: &str, rows: &[InventoryRow]) -> rusqlite::Result<()> {
    let mut insert = conn.prepare(&format!(
        "INSERT INTO {table} (position, id, telephone_number, number_type, assignment,
            assignment_status, assignee_id, assignee_name, assignee_upn, category, city,
            country, activation_state, location_id)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)"
    ))?;
    for (position, row) in rows.iter().enumerate() {
        insert.execute(params![
            position as i64,
            row.id,
            row.telephone_number,
            row.number_type,
            row.assignment.as_str(),
            row.assignment_status,
            row.assignee_id,
            row.assignee_name,
            row.assignee_upn,
            row.assignment_category,
            row.city,
            row.country,
            row.activation_state,
            row.location_id,
        ])?;
    }
    Ok(())
}

/// Every row of `table` (`numbers` or `partial_numbers`), in order.
fn select_rows(conn: &Connection, table: &str) -> rusqlite::Result<Vec<InventoryRow>> {
    let count: i64 = conn.query_row(&format!("SELECT COUNT(*) FROM {table}"), [], |r| r.get(0))?;
    let mut rows = Vec::with_capacity(count.max(0) as usize);
    let mut select = conn.prepare(&format!(
        "SELECT id, telephone_number, number_type, assignment, assignment_status, assignee_id,
                assignee_name, assignee_upn, category, city, country, activation_state,
                location_id
         FROM {table} ORDER BY position"
    ))?;
    let mut cursor = select.query([])?;
    while let Some(r) = cursor.next()? {
        rows.push(InventoryRow {
            id: r.get(0)?,
            telephone_number: r.get(1)?,
            number_type: r.get(2)?,
            assignment: AssignmentKind::parse(r.get_ref(3)?.as_str().unwrap_or("other")),
            assignment_status: r.get(4)?,
            assignee_id: r.get(5)?,
            assignee_name: r.get(6)?,
            assignee_upn: r.get(7)?,
            assignment_category: r.get(8)?,
            city: r.get(9)?,
            country: r.get(10)?,
            activation_state: r.get(11)?,
            location_id: r.get(12)?,
        });
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(n: usize) -> InventoryRow {
        InventoryRow {
            id: format!("id{n}"),
            telephone_number: format!("+1206555{n:04}"),
            number_type: "callingPlan".into(),
            assignment: if n.is_multiple_of(2) {
                AssignmentKind::User
            } else {
                AssignmentKind::Unassigned
            },
            assignment_status: Some("userAssigned".into()),
            assignee_id: Some(format!("u{n}")),
            assignee_name: Some("Zoë Müller".into()),
            assignee_upn: Some(format!("zoe.{n}@fabrikam.example")),
            assignment_category: None,
            city: Some("Seattle".into()),
            country: Some("US".into()),
            activation_state: Some("activated".into()),
            location_id: None,
        }
    }

    fn owner(account: &str) -> ListOwner {
        ListOwner {
            tenant_id: "b3a8e2d4-6c1f-4e97-a5d2-0f7c9e14b628".into(),
            cloud: "global".into(),
            graph: "https://graph.microsoft.com".into(),
            account: account.into(),
        }
    }

    fn megan() -> ListOwner {
        owner("meganb@contoso.com")
    }

    /// The file and its write-ahead log, as bytes.
    fn on_disk(dir: &Path) -> Vec<u8> {
        let mut bytes = Vec::new();
        for name in [FILE_NAME.to_owned(), format!("{FILE_NAME}-wal")] {
            bytes.extend(std::fs::read(dir.join(name)).unwrap_or_default());
        }
        bytes
    }

    fn holds(bytes: &[u8], text: &str) -> bool {
        bytes.windows(text.len()).any(|w| w == text.as_bytes())
    }

    #[test]
    fn a_snapshot_is_kept_whole_and_replaced_whole() {
        let dir = tempfile::tempdir().unwrap();
        let store = InventoryStore::open(dir.path()).unwrap();
        assert_eq!(store.load(&megan()).unwrap(), KeptList::Nothing);
        let first = Inventory {
            read_at: "2025-06-01T10:42:00.000Z".into(),
            rows: (0..10).map(row).collect(),
            unreadable: 1,
            list_requests: 2,
            name_requests: 1,
            names_missing: true,
        };
        store.save(&megan(), &first).unwrap();
        drop(store);
        let store = InventoryStore::open(dir.path()).unwrap();
        assert_eq!(store.load(&megan()).unwrap(), KeptList::Read(first));
        assert_eq!(store.kept_count(&megan()).unwrap(), Some(10));
        let second = Inventory {
            read_at: "2025-06-02T08:00:00.000Z".into(),
            rows: (20..23).map(row).collect(),
            ..Inventory::default()
        };
        store.save(&megan(), &second).unwrap();
        assert_eq!(store.load(&megan()).unwrap(), KeptList::Read(second));
    }

    #[test]
    fn a_list_is_read_back_only_for_the_owner_it_was_read_for() {
        let dir = tempfile::tempdir().unwrap();
        let store = InventoryStore::open(dir.path()).unwrap();
        let kept = Inventory {
            read_at: "2025-06-01T10:42:00.000Z".into(),
            rows: (0..4).map(row).collect(),
            ..Inventory::default()
        };
        store.save(&megan(), &kept).unwrap();
        let demo = ListOwner {
            cloud: "demo".into(),
            graph: "demo".into(),
            ..megan()
        };
        let others = [
            owner("diegos@contoso.com"),
            ListOwner {
                tenant_id: "0f7c9e14-6c1f-4e97-a5d2-b3a8e2d4b628".into(),
                ..megan()
            },
            ListOwner {
                cloud: "usGovL4".into(),
                graph: "https://graph.microsoft.us".into(),
                ..megan()
            },
            demo.clone(),
        ];
        for other in &others {
            assert_eq!(
                store.load(other).unwrap(),
                KeptList::ReadForAnother,
                "{other:?}"
            );
            assert_eq!(store.kept_count(other).unwrap(), None, "{other:?}");
        }
        // And the other way round: the demo's list is not shown to the real tenant.
        store.save(&demo, &kept).unwrap();
        assert_eq!(store.load(&megan()).unwrap(), KeptList::ReadForAnother);
        assert_eq!(store.load(&demo).unwrap(), KeptList::Read(kept));
    }

    #[test]
    fn forget_leaves_no_name_or_user_name_in_the_file_or_its_log() {
        let dir = tempfile::tempdir().unwrap();
        let store = InventoryStore::open(dir.path()).unwrap();
        let kept = Inventory {
            read_at: "2025-06-01T10:42:00.000Z".into(),
            rows: (0..2_000).map(row).collect(),
            ..Inventory::default()
        };
        store.save(&megan(), &kept).unwrap();
        store.save(&megan(), &kept).unwrap();
        let before = on_disk(dir.path());
        assert!(holds(&before, "zoe.1999@fabrikam.example"));
        assert!(holds(&before, "Zoë Müller"));

        store.forget().unwrap();
        let after = on_disk(dir.path());
        for text in ["@fabrikam.example", "Zoë Müller", "meganb@contoso.com"] {
            assert!(!holds(&after, text), "{text} is still on disk");
        }
        assert_eq!(store.load(&megan()).unwrap(), KeptList::Nothing);
        assert_eq!(store.kept_count(&megan()).unwrap(), None);
        // The store goes on working.
        store.save(&megan(), &kept).unwrap();
        assert_eq!(store.kept_count(&megan()).unwrap(), Some(2_000));
    }

    #[test]
    fn a_first_version_file_has_no_owner_and_its_rows_are_deleted_when_opened() {
        let dir = tempfile::tempdir().unwrap();
        {
            let conn = Connection::open(dir.path().join(FILE_NAME)).unwrap();
            conn.execute_batch(
                "PRAGMA journal_mode = WAL;
                 CREATE TABLE snapshot (id INTEGER PRIMARY KEY CHECK (id = 1),
                    read_at TEXT NOT NULL, unreadable INTEGER NOT NULL,
                    list_requests INTEGER NOT NULL, name_requests INTEGER NOT NULL);
                 CREATE TABLE numbers (position INTEGER PRIMARY KEY, id TEXT NOT NULL,
                    telephone_number TEXT NOT NULL, number_type TEXT NOT NULL,
                    assignment TEXT NOT NULL, assignment_status TEXT, assignee_id TEXT,
                    assignee_name TEXT, assignee_upn TEXT, category TEXT, city TEXT,
                    country TEXT, activation_state TEXT, location_id TEXT);
                 INSERT INTO snapshot VALUES (1, '2025-06-01T10:42:00.000Z', 0, 1, 1);
                 INSERT INTO numbers VALUES (0, 'n1', '+14255550199', 'callingPlan', 'user',
                    'userAssigned', 'u1', 'Someone Elsewhere', 'someone@fabrikam.example',
                    NULL, 'Redmond', 'US', 'activated', NULL);
                 PRAGMA user_version = 1;",
            )
            .unwrap();
        }
        let store = InventoryStore::open(dir.path()).unwrap();
        assert!(store.set_aside.is_none(), "migrated, not set aside");
        assert_eq!(store.load(&megan()).unwrap(), KeptList::Nothing);
        assert_eq!(store.kept_count(&megan()).unwrap(), None);
        assert!(!holds(&on_disk(dir.path()), "someone@fabrikam.example"));
        let version: i64 = store
            .conn
            .lock()
            .unwrap()
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(version, SCHEMA_VERSION);
    }

    fn partial(rows: std::ops::Range<usize>) -> PartialRead {
        PartialRead {
            started_unix: 1_750_000_000,
            stopped_at: "2025-06-01T10:42:00.000Z".into(),
            rows: rows.map(row).collect(),
            unreadable: 1,
            next_skip: 3_001,
            seam_id: Some("id2999".into()),
            pages: 3,
            about: Some(30_000),
            cause: StopCause::Throttled,
            request_id: Some("0f7c9e14".into()),
        }
    }

    #[test]
    fn a_partial_read_is_kept_beside_the_complete_list_for_its_owner_and_a_complete_read_ends_it() {
        let dir = tempfile::tempdir().unwrap();
        let store = InventoryStore::open(dir.path()).unwrap();
        let complete = Inventory {
            read_at: "2025-05-31T08:00:00.000Z".into(),
            rows: (0..5).map(row).collect(),
            ..Inventory::default()
        };
        store.save(&megan(), &complete).unwrap();
        let cut = partial(0..3_000);
        store.save_partial(&megan(), &cut).unwrap();
        drop(store);
        let store = InventoryStore::open(dir.path()).unwrap();
        assert_eq!(store.load_partial(&megan()).unwrap(), Some(cut.clone()));
        assert_eq!(
            store.load(&megan()).unwrap(),
            KeptList::Read(complete.clone()),
            "the complete list stays as it was"
        );
        assert_eq!(store.kept_count(&megan()).unwrap(), Some(5));
        let diego = owner("diegos@contoso.com");
        assert_eq!(store.load_partial(&diego).unwrap(), None);
        // Another owner's partial read replaces this owner's lists: one owner per file.
        store.save_partial(&diego, &partial(0..2)).unwrap();
        assert_eq!(store.load_partial(&megan()).unwrap(), None);
        assert_eq!(store.load(&megan()).unwrap(), KeptList::Nothing);
        // A complete read ends the partial one; sign-out removes both.
        store.save(&diego, &complete).unwrap();
        assert_eq!(store.load_partial(&diego).unwrap(), None);
        store.save_partial(&diego, &cut).unwrap();
        store.forget().unwrap();
        assert_eq!(store.load_partial(&diego).unwrap(), None);
        assert!(!holds(&on_disk(dir.path()), "zoe.1@fabrikam.example"));
    }

    #[test]
    fn a_second_version_file_keeps_its_list_and_gains_the_partial_read() {
        let dir = tempfile::tempdir().unwrap();
        {
            let conn = Connection::open(dir.path().join(FILE_NAME)).unwrap();
            conn.execute_batch(&format!(
                "{}
                 INSERT INTO snapshot VALUES (1, 'b3a8e2d4-6c1f-4e97-a5d2-0f7c9e14b628',
                    'global', 'https://graph.microsoft.com', 'meganb@contoso.com',
                    '2025-06-01T10:42:00.000Z', 0, 1, 1);
                 INSERT INTO numbers VALUES (0, 'n1', '+14255550199', 'callingPlan', 'user',
                    'userAssigned', 'u1', 'Adele Vance', 'adelev@contoso.com',
                    NULL, 'Redmond', 'US', 'activated', NULL);
                 PRAGMA user_version = 2;",
                SCHEMA.replace(",\n        names_unread   INTEGER NOT NULL DEFAULT 0", "")
            ))
            .unwrap();
        }
        let store = InventoryStore::open(dir.path()).unwrap();
        let KeptList::Read(kept) = store.load(&megan()).unwrap() else {
            panic!("the list is kept")
        };
        assert_eq!(kept.rows.len(), 1);
        assert!(!kept.names_missing);
        assert_eq!(store.load_partial(&megan()).unwrap(), None);
        store.save_partial(&megan(), &partial(0..2)).unwrap();
        assert!(store.load_partial(&megan()).unwrap().is_some());
    }

    #[test]
    fn a_damaged_file_is_set_aside_never_deleted() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join(FILE_NAME),
            b"not a database at all, just text",
        )
        .unwrap();
        let store = InventoryStore::open(dir.path()).unwrap();
        let aside = store.set_aside.clone().expect("set aside");
        assert_eq!(
            std::fs::read(&aside).unwrap(),
            b"not a database at all, just text"
        );
        assert_eq!(store.load(&megan()).unwrap(), KeptList::Nothing);
    }
}
