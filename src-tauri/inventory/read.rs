//! Reading the whole inventory from Microsoft, with progress and Cancel, and putting names on
//! the assignees.
//!
//! Numbers: [`GraphClient::list_numbers_from`], pages of 1,000 (a 50,000-number tenant is 51
//! list requests: 50 full pages and the empty page that confirms the end), up to
//! [`PAGES_IN_FLIGHT`] in flight at once under one pacer ([`list_pacing`]), with the kept
//! list's size as the estimate that bounds the pages fetched ahead. Names: the users
//! and resource accounts holding numbers, read 300 per request in `$batch`es of `id in`
//! filters with the names permission (`User.ReadBasic.All`); without it, assignees show as
//! object ids and nothing fails.

use super::{
    AssignmentKind, Inventory, InventoryError, InventoryRow, InventoryStore, ListOwner,
    PartialRead, StopCause, StoreError,
};
use crate::bulk::{AdaptiveLimiter, RateConfig};
use crate::count::thousands;
use crate::graph::{
    CancelToken, CutOffCause, GraphClient, GraphErrorKind, ListProgress, ListingStart, NumberPages,
    UserDetail, PAGES_IN_FLIGHT,
};
use serde::Serialize;
use std::sync::Arc;

/// How far a read has come: "12,000 of about 30,000".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReadProgress {
    pub rows: usize,
    /// The size of the kept inventory, when there is one: Graph does not say how many
    /// numbers a tenant has, so the last read is the best estimate.
    pub about: Option<usize>,
    pub requests: usize,
    /// `true` once the numbers are in and the names are being read.
    pub naming: bool,
}

impl ReadProgress {
    /// The progress line for the view.
    pub fn text(&self) -> String {
        if self.naming {
            return format!("{} numbers read; reading names", thousands(self.rows));
        }
        match self.about {
            Some(about) if about >= self.rows => {
                format!("{} of about {}", thousands(self.rows), thousands(about))
            }
            _ => format!("{} numbers read", thousands(self.rows)),
        }
    }
}

/// How a read ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadOutcome {
    Read(Inventory),
    /// Microsoft refused a page after its retries (or asked for a wait over two minutes): the
    /// pages read before it, and where the next Refresh goes on. Never the whole list.
    CutOff(PartialRead),
    /// Cancelled by the admin: nothing was kept or changed.
    Cancelled,
}

/// How long a partial read may be continued, counted from its first page. Pages read at
/// different times are stitched by `$skip`; the longer the gap, the more numbers may have been
/// added, removed or moved between them (the seam check catches a shift before the seam, not
/// every change), and the less the list says "as of" one moment. An hour keeps a throttled
/// 50,000-number read resumable over the usual throttling windows; after it, Refresh starts
/// again at page 1.
pub const RESUME_WITHIN: std::time::Duration = std::time::Duration::from_secs(3600);

fn now_rfc3339() -> String {
    let format = time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z"
    );
    time::OffsetDateTime::now_utc()
        .format(&format)
        .unwrap_or_default()
}

fn now_unix() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

/// Microsoft's documented rate for the Teams GET calls no other row of its table names
/// ("Other GET API calls for Microsoft Teams", 30 requests per second per app per tenant,
/// MGDC `concepts/throttling-limits.md`; graph-api.md §4.2): no limit is documented for the
/// number list itself.
pub const LIST_PAGES_PER_SECOND: f64 = 30.0;

/// `graph` with its list pages paced for one read ([`GraphClient::list_numbers_from`] reads
/// pages side by side only under a pacer): at most [`LIST_PAGES_PER_SECOND`], spaced evenly;
/// a `429` (or a 503, 504 or the overload 400) holds every page back for its `Retry-After`
/// (half a second without one, the first wait of a GET's own backoff) and slows the rest of
/// the read. A client that is already paced keeps its pacer.
fn list_pacing(graph: &GraphClient) -> GraphClient {
    if graph.is_paced() {
        return graph.clone();
    }
    graph.paced(Arc::new(AdaptiveLimiter::new(RateConfig {
        initial: LIST_PAGES_PER_SECOND,
        max: LIST_PAGES_PER_SECOND,
        slow_start: false,
        default_pause: std::time::Duration::from_millis(500),
        ..RateConfig::default()
    })))
}

/// Whether `partial` may still be continued (see [`RESUME_WITHIN`]).
pub fn may_resume(partial: &PartialRead, now_unix: i64) -> bool {
    let age = now_unix.saturating_sub(partial.started_unix);
    (0..RESUME_WITHIN.as_secs() as i64).contains(&age)
}

/// Reads every number, then (when `with_names`) the names of the users and resource accounts
/// holding them. `about` is the expected count for the progress line.
pub async fn read_inventory(
    graph: &GraphClient,
    telephone_api_available: bool,
    about: Option<usize>,
    with_names: bool,
    progress: &(dyn Fn(ReadProgress) + Send + Sync),
    cancel: &CancelToken,
) -> Result<ReadOutcome, InventoryError> {
    read_from(
        graph,
        telephone_api_available,
        about,
        with_names,
        None,
        progress,
        cancel,
    )
    .await
}

/// [`read_inventory`], going on from `resume` (a partial read, still fresh) when given: its
/// rows are kept and the listing starts at the page where it stopped. When the tenant's list
/// moved before the seam, the read starts again at page 1.
async fn read_from(
    graph: &GraphClient,
    telephone_api_available: bool,
    about: Option<usize>,
    with_names: bool,
    resume: Option<PartialRead>,
    progress: &(dyn Fn(ReadProgress) + Send + Sync),
    cancel: &CancelToken,
) -> Result<ReadOutcome, InventoryError> {
    let tell = |p: ListProgress| {
        progress(ReadProgress {
            rows: p.rows,
            about,
            requests: p.requests,
            naming: false,
        })
    };
    let mut resume = resume;
    // One pacer for every page of this read (and of a read started again from page 1).
    let lister = list_pacing(graph);
    let (kept, listing) = loop {
        let start = ListingStart {
            skip: resume.as_ref().map_or(0, |p| p.next_skip),
            seam_id: resume.as_ref().and_then(|p| p.seam_id.clone()),
            in_flight: PAGES_IN_FLIGHT,
            about,
        };
        match lister.list_numbers_from(&start, &tell, cancel).await {
            NumberPages::Complete(listing) => break (resume, listing),
            NumberPages::SeamMoved => {
                log::info!("inventory: the number list moved since the partial read; reading it again from page 1");
                resume = None;
            }
            NumberPages::CutOff(cut) => {
                let error = match cut.cause {
                    CutOffCause::Cancelled => return Ok(ReadOutcome::Cancelled),
                    CutOffCause::Refused(error) => error,
                };
                let before = resume.unwrap_or_else(|| PartialRead {
                    started_unix: now_unix(),
                    about,
                    ..PartialRead::default()
                });
                if before.rows.is_empty() && before.unreadable == 0 && cut.read.requests == 0 {
                    // Nothing read at all: nothing to keep, the refusal is the answer.
                    return Err(InventoryError::graph(telephone_api_available)(error));
                }
                let mut rows = before.rows;
                rows.extend(cut.read.numbers.iter().map(InventoryRow::from_graph));
                return Ok(ReadOutcome::CutOff(PartialRead {
                    started_unix: before.started_unix,
                    stopped_at: now_rfc3339(),
                    rows,
                    unreadable: before.unreadable + cut.read.unreadable.len(),
                    next_skip: cut.next_skip,
                    seam_id: cut.last_id.or(before.seam_id),
                    pages: before.pages + cut.read.requests,
                    about: before.about.or(about),
                    cause: StopCause::of(error.kind),
                    request_id: error.exchange.request_id.clone(),
                }));
            }
        }
    };
    let (mut rows, earlier_unreadable, earlier_pages) = match kept {
        Some(partial) => (partial.rows, partial.unreadable, partial.pages),
        None => (Vec::new(), 0, 0),
    };
    rows.extend(listing.numbers.iter().map(InventoryRow::from_graph));
    let list_requests = earlier_pages + listing.sent;
    let mut name_requests = 0;
    let mut names_missing = false;
    if with_names {
        progress(ReadProgress {
            rows: rows.len(),
            about,
            requests: list_requests,
            naming: true,
        });
        let ids: Vec<String> = rows
            .iter()
            .filter(|r| {
                matches!(
                    r.assignment,
                    AssignmentKind::User | AssignmentKind::ResourceAccount
                )
            })
            .filter_map(|r| r.assignee_id.clone())
            .collect();
        if !ids.is_empty() {
            match graph.users_by_ids(&ids, UserDetail::Basic, cancel).await {
                Ok(Some(read)) => {
                    name_requests = read.requests;
                    for row in &mut rows {
                        let Some(id) = &row.assignee_id else { continue };
                        if let Some(account) = read.accounts.get(&id.to_ascii_lowercase()) {
                            row.assignee_name = account.display_name.clone();
                            row.assignee_upn = account.user_principal_name.clone();
                        }
                    }
                }
                Ok(None) => return Ok(ReadOutcome::Cancelled),
                // Without the names permission NumberDesk still works: object ids are shown.
                Err(e) if matches!(e.kind, GraphErrorKind::Forbidden | GraphErrorKind::SignIn) => {}
                // The numbers are all read: they are kept, and the view says the names are
                // missing (a Refresh reads them again).
                Err(e) => {
                    log::warn!("inventory: the names could not be read: {e}");
                    names_missing = true;
                }
            }
        }
    }
    Ok(ReadOutcome::Read(Inventory {
        read_at: now_rfc3339(),
        rows,
        unreadable: earlier_unreadable + listing.unreadable.len(),
        list_requests,
        name_requests,
        names_missing,
    }))
}

/// "Refresh": reads the inventory (the size of the one kept for `owner` as the estimate) and
/// keeps it, stamped with `owner`. A cancelled read keeps what was kept as it was. A read cut
/// off by Microsoft keeps its pages as `owner`'s partial read (the complete list stays), and
/// the next Refresh within [`RESUME_WITHIN`] goes on from where it stopped.
pub async fn refresh_inventory(
    graph: &GraphClient,
    store: &Arc<InventoryStore>,
    owner: &ListOwner,
    telephone_api_available: bool,
    with_names: bool,
    progress: &(dyn Fn(ReadProgress) + Send + Sync),
    cancel: &CancelToken,
) -> Result<ReadOutcome, InventoryError> {
    let counted = owner.clone();
    let (kept_count, partial) = on_store(store, move |store| {
        Ok((store.kept_count(&counted)?, store.load_partial(&counted)?))
    })
    .await?;
    let resume = partial.filter(|p| may_resume(p, now_unix()));
    let about = kept_count.or(resume.as_ref().and_then(|p| p.about));
    let outcome = read_from(
        graph,
        telephone_api_available,
        about,
        with_names,
        resume,
        progress,
        cancel,
    )
    .await?;
    let owner = owner.clone();
    match outcome {
        ReadOutcome::Read(inventory) => Ok(ReadOutcome::Read(
            on_store(store, move |store| {
                store.save(&owner, &inventory).map(|()| inventory)
            })
            .await?,
        )),
        ReadOutcome::CutOff(partial) => Ok(ReadOutcome::CutOff(
            on_store(store, move |store| {
                store.save_partial(&owner, &partial).map(|()| partial)
            })
            .await?,
        )),
        ReadOutcome::Cancelled => Ok(ReadOutcome::Cancelled),
    }
}

/// `work` on the store, on a blocking thread ([`super::store::off_thread`]).
async fn on_store<T: Send + 'static>(
    store: &Arc<InventoryStore>,
    work: impl FnOnce(&InventoryStore) -> Result<T, StoreError> + Send + 'static,
) -> Result<T, StoreError> {
    let store = store.clone();
    super::store::off_thread(move || work(&store)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_partial_read_is_resumed_within_an_hour_of_its_first_page_only() {
        let partial = PartialRead {
            started_unix: 1_750_000_000,
            ..PartialRead::default()
        };
        assert!(may_resume(&partial, 1_750_000_000));
        assert!(may_resume(&partial, 1_750_000_000 + 3_599));
        assert!(!may_resume(&partial, 1_750_000_000 + 3_600));
        // A clock set back: not trusted to be fresh.
        assert!(!may_resume(&partial, 1_749_999_000));
    }

    #[test]
    fn progress_reads_as_the_admin_expects() {
        let p = ReadProgress {
            rows: 12_000,
            about: Some(30_000),
            requests: 12,
            naming: false,
        };
        assert_eq!(p.text(), "12,000 of about 30,000");
        let first = ReadProgress { about: None, ..p };
        assert_eq!(first.text(), "12,000 numbers read");
        let grown = ReadProgress { rows: 31_000, ..p };
        assert_eq!(grown.text(), "31,000 numbers read");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_000_000), "1,000,000");
    }
}
