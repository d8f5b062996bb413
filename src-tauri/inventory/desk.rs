//! What the Numbers view asks for, in one place: the kept list prepared for queries, a Refresh
//! with progress and Cancel, the leavers lens's last answer, the CSV exports, and a selection
//! for the Bulk preview. Every SQLite and file step runs on a blocking thread
//! ([`super::store::off_thread`]). The commands in `commands/numbers.rs` only translate.
//!
//! Every step is asked for by an owner (the signed-in tenant, cloud and account,
//! [`ListOwner`]) and answers from that owner's list only: a list read for anyone else is
//! neither shown, counted, exported, given to the lens nor sent to Bulk; the view says so and
//! offers Refresh. Sign-out ([`NumbersDesk::forget`]) removes the list from memory and disk.

use super::read::may_resume;
use super::store::off_thread;
use super::{
    export_inventory_csv, export_leavers_csv, find_leavers, refresh_inventory,
    selection_for_leavers, selection_for_numbers, selection_for_query, BulkSelection,
    InventoryError, InventoryQuery, InventoryStore, InventoryView, KeptList, LeaverCounts,
    LeaverOptions, LeaversReport, ListOwner, PartialRead, QueryResult, ReadOutcome, ReadProgress,
    StopCause,
};
use crate::count::thousands;
use crate::export_file::{write_export_file, Exported};
use crate::graph::{CancelToken, GraphClient};
use serde::{Deserialize, Serialize};
use std::path::Path;
use std::sync::{Arc, Mutex, RwLock};

/// One page of the view, as the window shows it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NumbersPage {
    /// RFC 3339, when the kept list was read ("as of 10:42"); `None`: never read.
    pub read_at: Option<String>,
    /// Said above the list: nothing read yet, a damaged file set aside, unreadable rows, a
    /// Refresh cut off, names that could not be read.
    pub note: Option<String>,
    /// The rows shown are a Refresh cut off before the end (no complete list is kept): never
    /// the tenant's whole list.
    pub partial: bool,
    #[serde(flatten)]
    pub result: QueryResult,
    /// The leavers lens's counts, once it was opened (the tab shows the number).
    pub leavers: Option<LeaverCounts>,
}

/// How a refresh ended.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NumbersRefreshed {
    pub cancelled: bool,
    /// Microsoft refused a page: what was read is kept as a partial read (the note says how
    /// far it came), and the next Refresh goes on from there.
    pub cut_off: bool,
    pub page: NumbersPage,
}

/// What goes to the Bulk preview.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", tag = "kind")]
pub enum NumbersSelection {
    /// The ticked rows.
    Numbers { numbers: Vec<String> },
    /// "All that match" the view's filters and search.
    Matching { query: InventoryQuery },
    /// "Unassign all listed…" from the leavers lens.
    Leavers,
}

const NOTHING_READ: &str = "NumberDesk has not read this tenant’s numbers yet. Choose Refresh \
    to read every number (about a minute for 30,000 numbers); the list is kept for next time.";

/// Said above the (empty) list, and by the steps that need it, when the kept list belongs to
/// someone else.
pub const READ_FOR_ANOTHER: &str = "The kept list of numbers was read for another tenant or \
    account (or for the demo), so it is not shown here. Choose Refresh to read the numbers of \
    the tenant you are signed in to.";

fn unreadable_note(unreadable: usize) -> Option<String> {
    (unreadable > 0).then(|| {
        format!(
            "Microsoft sent {unreadable} entries NumberDesk could not read; they are left out \
             of the list and never changed from here."
        )
    })
}

fn names_missing_note(names_missing: bool) -> Option<String> {
    names_missing.then(|| {
        "Every number was read, but Microsoft did not give the names of the people and \
         resource accounts holding them, so they show as object ids. Choose Refresh to read \
         the names again."
            .to_owned()
    })
}

/// "Microsoft refused page 37" and its kind.
fn stop_words(partial: &PartialRead) -> String {
    let page = partial.pages + 1;
    match partial.cause {
        StopCause::Throttled => format!(
            "Microsoft asked NumberDesk to wait longer than it waits before page {page}"
        ),
        StopCause::Unavailable => format!("Microsoft could not answer for page {page}"),
        StopCause::Network => format!("the connection to Microsoft failed at page {page}"),
        StopCause::SignIn => format!(
            "Microsoft no longer accepted the sign-in or its permission at page {page} (sign in again first)"
        ),
        StopCause::Refused => format!("Microsoft refused page {page}"),
    }
}

/// Said when a Refresh was cut off: how far it came, why it stopped, and what Refresh does
/// next. `complete_shown`: a complete list is kept and shown instead of the partial rows.
fn partial_note(partial: &PartialRead, complete_shown: bool, now_unix: i64) -> String {
    let read = partial.rows.len() + partial.unreadable;
    let how_far = match partial.about {
        Some(about) if about >= read => {
            format!(
                "{} of about {} numbers read",
                thousands(read),
                thousands(about)
            )
        }
        _ => format!("{} numbers read", thousands(read)),
    };
    let request = partial
        .request_id
        .as_deref()
        .map(|id| format!(" (request-id {id})"))
        .unwrap_or_default();
    let next = if may_resume(partial, now_unix) {
        "Choose Refresh to continue where it stopped."
    } else {
        "It is over an hour old, so Refresh starts again at page 1."
    };
    let stop = stop_words(partial);
    if complete_shown {
        format!(
            "The last Refresh stopped before the end: {how_far}; {stop}{request}. The list \
             below is the last complete one, from before. {next}"
        )
    } else {
        format!(
            "This list is incomplete: {how_far}; {stop}{request}. It is not the tenant’s \
             whole list: the leavers lens, “All that match” and the export wait for a \
             complete read. {next}"
        )
    }
}

/// Notes joined, in order.
fn joined(notes: impl IntoIterator<Item = Option<String>>) -> Option<String> {
    let notes: Vec<String> = notes.into_iter().flatten().collect();
    (!notes.is_empty()).then(|| notes.join(" "))
}

/// The kept inventory of one owner, prepared for queries, and when it was read.
struct Kept {
    owner: ListOwner,
    view: InventoryView,
    read_at: Option<String>,
    note: Option<String>,
    /// The file holds another owner's list (none of it is here).
    read_for_another: bool,
    /// The rows are a cut-off Refresh's (no complete list is kept): never used as the whole.
    partial: bool,
}

#[derive(Default)]
struct Inner {
    /// Opened once, on first use; concurrent first calls wait for the one open (which may set
    /// a damaged file aside) instead of each opening the file.
    store: tokio::sync::OnceCell<Arc<InventoryStore>>,
    /// Held while the kept list is read from the store (so it is read once) and while a
    /// Refresh keeps its list.
    loading: tokio::sync::Mutex<()>,
    /// Held by a Refresh from its first step until its list is kept, and by sign-out while it
    /// removes the list: a read that ends after sign-out cannot write names back to disk.
    writing: tokio::sync::Mutex<()>,
    kept: RwLock<Option<Arc<Kept>>>,
    /// The read (or leavers check) going on, for Cancel.
    reading: Mutex<Option<CancelToken>>,
    /// The leavers lens's last answer on the kept list, for "Unassign all listed…", its export
    /// and the tab count.
    leavers: Mutex<Option<Arc<LeaversReport>>>,
}

/// The Numbers view's state and steps; cheap to clone (a clone goes to a blocking thread).
#[derive(Default, Clone)]
pub struct NumbersDesk(Arc<Inner>);

use crate::locks::lock;

impl NumbersDesk {
    /// Opening the view: `owner`'s kept list at once (read from `data_dir` the first time,
    /// never a wait on Microsoft), or an empty list with a note (nothing read yet, or the list
    /// kept is another owner's).
    pub async fn view(
        &self,
        data_dir: &Path,
        owner: &ListOwner,
        query: &InventoryQuery,
    ) -> Result<NumbersPage, InventoryError> {
        let kept = self.load(data_dir, owner).await?;
        Ok(self.page(&kept, query))
    }

    /// Filters (chips with counts), search, sort and one page of the kept list; the same
    /// answer as [`NumbersDesk::view`] (the list is in memory after the first call, unless
    /// another account signed in or this one signed out meanwhile).
    pub async fn query(
        &self,
        data_dir: &Path,
        owner: &ListOwner,
        query: &InventoryQuery,
    ) -> Result<NumbersPage, InventoryError> {
        self.view(data_dir, owner, query).await
    }

    /// "Refresh": reads every number, telling `progress`, and keeps the list; a Cancel
    /// ([`NumbersDesk::cancel`]) keeps the previous one as it was (and drops the pages read:
    /// Cancel is the admin's "not now", and the next Refresh should read afresh). A read that
    /// Microsoft cut off keeps its pages as a partial read, resumed by the next Refresh.
    /// The list is stamped with `owner`, who must be the account `graph` reads as.
    pub async fn refresh(
        &self,
        graph: &GraphClient,
        telephone_api_available: bool,
        data_dir: &Path,
        owner: &ListOwner,
        progress: &(dyn Fn(ReadProgress) + Send + Sync),
        query: &InventoryQuery,
    ) -> Result<NumbersRefreshed, InventoryError> {
        let store = self.store(data_dir).await?;
        let reading = self.begin()?;
        let writing = self.0.writing.lock().await;
        let outcome = refresh_inventory(
            graph,
            &store,
            owner,
            telephone_api_available,
            true,
            progress,
            &reading.token,
        )
        .await;
        drop(reading);
        let (cancelled, cut_off) = match outcome? {
            ReadOutcome::Read(read) => {
                *lock(&self.0.leavers) = None;
                let note = joined([
                    unreadable_note(read.unreadable),
                    names_missing_note(read.names_missing),
                ]);
                let view =
                    off_thread(move || Ok::<_, InventoryError>(InventoryView::new(read.rows)))
                        .await?;
                // Under the load lock, so a first load still reading the older list from the
                // store cannot put it back over this one.
                let _loading = self.0.loading.lock().await;
                self.keep(Kept {
                    owner: owner.clone(),
                    view,
                    read_at: Some(read.read_at),
                    note,
                    read_for_another: false,
                    partial: false,
                });
                (false, false)
            }
            ReadOutcome::CutOff(_) => {
                // The complete list (if any) is unchanged on disk, the partial read is new:
                // both are read back with their notes by the view below.
                let _loading = self.0.loading.lock().await;
                *crate::locks::write(&self.0.kept) = None;
                *lock(&self.0.leavers) = None;
                (false, true)
            }
            ReadOutcome::Cancelled => (true, false),
        };
        drop(writing);
        let page = self.view(data_dir, owner, query).await?;
        Ok(NumbersRefreshed {
            cancelled,
            cut_off,
            page,
        })
    }

    /// Stops the read or the leavers check going on (nothing kept changes; the pages a
    /// cancelled Refresh read are dropped).
    pub fn cancel(&self) {
        if let Some(token) = lock(&self.0.reading).as_ref() {
            token.cancel();
        }
    }

    /// The leavers lens: numbers on disabled, deleted or ghost users (and optionally
    /// unlicensed). Without User.Read.All the report says what to grant and lists the ghosts
    /// it can find. `None` when cancelled.
    pub async fn leavers(
        &self,
        graph: &GraphClient,
        telephone_api_available: bool,
        data_dir: &Path,
        owner: &ListOwner,
        options: LeaverOptions,
    ) -> Result<Option<Arc<LeaversReport>>, InventoryError> {
        let kept = self.whole(data_dir, owner).await?;
        let reading = self.begin()?;
        let found = find_leavers(
            graph,
            kept.view.rows(),
            options,
            telephone_api_available,
            &reading.token,
        )
        .await;
        drop(reading);
        let report = found?.map(Arc::new);
        if let Some(report) = &report {
            // Kept only while its list is the one kept (not after a sign-out or a Refresh).
            let mut leavers = lock(&self.0.leavers);
            if self.kept().is_some_and(|now| Arc::ptr_eq(&now, &kept)) {
                *leavers = Some(report.clone());
            }
        }
        Ok(report)
    }

    /// The rows matching `query` (every page) as a new CSV file in `folder`.
    pub async fn export(
        &self,
        data_dir: &Path,
        owner: &ListOwner,
        folder: &Path,
        query: InventoryQuery,
    ) -> Result<Exported, InventoryError> {
        let kept = self.whole(data_dir, owner).await?;
        let folder = folder.to_owned();
        off_thread(move || {
            write_export(&folder, "numbers", |out| {
                export_inventory_csv(kept.view.all_matching(&query), out)
            })
        })
        .await
    }

    /// The leavers lens's list, with why each is listed, for the change ticket.
    pub async fn export_leavers(
        &self,
        data_dir: &Path,
        owner: &ListOwner,
        folder: &Path,
    ) -> Result<Exported, InventoryError> {
        let report = self.leavers_of(data_dir, owner).await?;
        let folder = folder.to_owned();
        off_thread(move || write_export(&folder, "leavers", |out| export_leavers_csv(&report, out)))
            .await
    }

    /// The selection as rows for the Bulk preview, with the names the view already holds.
    pub async fn selection(
        &self,
        data_dir: &Path,
        owner: &ListOwner,
        selection: &NumbersSelection,
    ) -> Result<BulkSelection, InventoryError> {
        match selection {
            NumbersSelection::Numbers { numbers } => {
                let kept = self.usable(data_dir, owner).await?;
                selection_for_numbers(numbers, Some(&kept.view))
            }
            NumbersSelection::Matching { query } => {
                selection_for_query(&self.whole(data_dir, owner).await?.view, query)
            }
            NumbersSelection::Leavers => {
                let report = self.leavers_of(data_dir, owner).await?;
                selection_for_leavers(&report)
            }
        }
    }

    /// Sign-out: stops a read going on, drops the kept list and the lens's answer from memory,
    /// and deletes the list from `data_dir` leaving no name or user name in the file or its
    /// log (whoever it was read for, and also when this run never opened it).
    pub async fn forget(&self, data_dir: &Path) -> Result<(), InventoryError> {
        self.cancel();
        let _writing = self.0.writing.lock().await;
        let _loading = self.0.loading.lock().await;
        *crate::locks::write(&self.0.kept) = None;
        *lock(&self.0.leavers) = None;
        if self.0.store.get().is_none() && !data_dir.join(super::FILE_NAME).exists() {
            return Ok(());
        }
        let store = self.store(data_dir).await?;
        off_thread(move || Ok::<_, InventoryError>(store.forget()?)).await
    }

    async fn store(&self, data_dir: &Path) -> Result<Arc<InventoryStore>, InventoryError> {
        let data_dir = data_dir.to_owned();
        let store = self
            .0
            .store
            .get_or_try_init(|| async move {
                off_thread(move || InventoryStore::open(&data_dir).map(Arc::new)).await
            })
            .await?;
        Ok(store.clone())
    }

    fn kept(&self) -> Option<Arc<Kept>> {
        crate::locks::read(&self.0.kept).clone()
    }

    /// The list in memory, when it is `owner`'s.
    fn kept_for(&self, owner: &ListOwner) -> Option<Arc<Kept>> {
        self.kept().filter(|kept| kept.owner == *owner)
    }

    /// `owner`'s list for a step that uses it (export, lens, Bulk): refused when the list kept
    /// is another owner's.
    async fn usable(
        &self,
        data_dir: &Path,
        owner: &ListOwner,
    ) -> Result<Arc<Kept>, InventoryError> {
        let kept = self.load(data_dir, owner).await?;
        if kept.read_for_another {
            return Err(InventoryError::ReadForAnother);
        }
        Ok(kept)
    }

    /// `owner`'s list for a step that takes it as the tenant's whole list (the lens, "All
    /// that match", the export): refused when it is a cut-off Refresh's pages. Ticked rows
    /// may still go to Bulk: the admin sees each one, and Bulk reads each holder again.
    async fn whole(&self, data_dir: &Path, owner: &ListOwner) -> Result<Arc<Kept>, InventoryError> {
        let kept = self.usable(data_dir, owner).await?;
        if kept.partial {
            return Err(InventoryError::PartialList);
        }
        Ok(kept)
    }

    /// The lens's last answer on `owner`'s list.
    async fn leavers_of(
        &self,
        data_dir: &Path,
        owner: &ListOwner,
    ) -> Result<Arc<LeaversReport>, InventoryError> {
        let kept = self.usable(data_dir, owner).await?;
        self.leavers_on(&kept)
            .ok_or(InventoryError::LeaversNotChecked)
    }

    /// Keeps `kept` in memory; the lens's answer goes with the list it was found on.
    fn keep(&self, kept: Kept) -> Arc<Kept> {
        let kept = Arc::new(kept);
        let mut leavers = lock(&self.0.leavers);
        *leavers = None;
        *crate::locks::write(&self.0.kept) = Some(kept.clone());
        kept
    }

    /// `owner`'s kept list, read from the store (on a blocking thread) the first time and
    /// again when another owner asks.
    async fn load(&self, data_dir: &Path, owner: &ListOwner) -> Result<Arc<Kept>, InventoryError> {
        if let Some(kept) = self.kept_for(owner) {
            return Ok(kept);
        }
        let _loading = self.0.loading.lock().await;
        if let Some(kept) = self.kept_for(owner) {
            return Ok(kept);
        }
        let store = self.store(data_dir).await?;
        let owner = owner.clone();
        let kept = off_thread(move || {
            let inventory = store.load(&owner)?;
            let partial = match inventory {
                KeptList::ReadForAnother => None,
                _ => store.load_partial(&owner)?,
            };
            let now = time::OffsetDateTime::now_utc().unix_timestamp();
            let set_aside = store.set_aside.as_ref().map(|path| {
                format!(
                    "The kept list of numbers could not be read and was set aside as {}. \
                     Choose Refresh to read the numbers again.",
                    path.display()
                )
            });
            let empty = |note: String, read_for_another| Kept {
                owner: owner.clone(),
                view: InventoryView::new(Vec::new()),
                read_at: None,
                note: Some(note),
                read_for_another,
                partial: false,
            };
            Ok::<_, InventoryError>(match (inventory, partial) {
                (KeptList::Read(inventory), partial) => Kept {
                    note: set_aside.or_else(|| {
                        joined([
                            partial.map(|p| partial_note(&p, true, now)),
                            unreadable_note(inventory.unreadable),
                            names_missing_note(inventory.names_missing),
                        ])
                    }),
                    read_at: Some(inventory.read_at),
                    view: InventoryView::new(inventory.rows),
                    owner,
                    read_for_another: false,
                    partial: false,
                },
                (KeptList::ReadForAnother, _) => empty(READ_FOR_ANOTHER.to_owned(), true),
                (KeptList::Nothing, Some(partial)) => Kept {
                    note: joined([
                        set_aside,
                        Some(partial_note(&partial, false, now)),
                        unreadable_note(partial.unreadable),
                    ]),
                    read_at: Some(partial.stopped_at),
                    view: InventoryView::new(partial.rows),
                    owner,
                    read_for_another: false,
                    partial: true,
                },
                (KeptList::Nothing, None) => {
                    empty(set_aside.unwrap_or_else(|| NOTHING_READ.to_owned()), false)
                }
            })
        })
        .await?;
        Ok(self.keep(kept))
    }

    fn page(&self, kept: &Kept, query: &InventoryQuery) -> NumbersPage {
        NumbersPage {
            read_at: kept.read_at.clone(),
            note: kept.note.clone(),
            partial: kept.partial,
            result: kept.view.query(query),
            leavers: self.leavers_on(kept).map(|r| r.counts.clone()),
        }
    }

    /// The lens's last answer, when it was found on `kept` (still the list kept).
    fn leavers_on(&self, kept: &Kept) -> Option<Arc<LeaversReport>> {
        let leavers = lock(&self.0.leavers);
        let current = self.kept().is_some_and(|now| std::ptr::eq(&*now, kept));
        leavers.clone().filter(|_| current)
    }

    /// A new read (Cancel's token), or `Busy` when one is going on. The read ends when the
    /// guard is dropped, however the read ended.
    fn begin(&self) -> Result<Reading<'_>, InventoryError> {
        let mut slot = lock(&self.0.reading);
        if slot.is_some() {
            return Err(InventoryError::Busy);
        }
        let token = CancelToken::new();
        *slot = Some(token.clone());
        Ok(Reading { desk: self, token })
    }
}

/// The read going on; dropping it ends it.
struct Reading<'a> {
    desk: &'a NumbersDesk,
    token: CancelToken,
}

impl Drop for Reading<'_> {
    fn drop(&mut self) {
        *lock(&self.desk.0.reading) = None;
    }
}

/// A new CSV export named for `what`, written by `write` (see [`crate::export_file`]).
fn write_export(
    folder: &Path,
    what: &str,
    write: impl FnOnce(&mut std::io::BufWriter<std::fs::File>) -> Result<usize, csv::Error>,
) -> Result<Exported, InventoryError> {
    let now = time::OffsetDateTime::now_utc();
    Ok(write_export_file(folder, what, now, write)?)
}
