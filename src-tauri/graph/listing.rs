//! The tenant's numbers, page after page, with several pages in flight at once where
//! Microsoft's paging allows it.
//!
//! What Microsoft documents for `numberAssignments` is `$top` (at most 1,000) and `$skip`; it
//! says nothing of `@odata.nextLink` or `$count`, and a service may cap a page below `$top`.
//! So the read is defined as the sequential one: ask `$skip=0`, then follow the page's
//! `nextLink` when it gives one, else `$skip` by the rows the page had, until a page is empty.
//! The pages may be *fetched* side by side because, while pages come back full, the next
//! pages' `$skip`s are known in advance: page k starts at `k × 1,000`. What is *used* is
//! still exactly the sequential read:
//!
//! - pages are taken in order; a page is used only when it starts where the sequential read
//!   would ask next (its `$skip` is the rows read so far), so the stitched list has no gap
//!   and no row twice, in Microsoft's order;
//! - a `nextLink` is followed: one that is the `$skip` the read would ask anyway
//!   (`$top=1000&$skip=<rows read>`, nothing else) is the page already in flight; any other
//!   (an opaque `$skiptoken`, a smaller `$top`) is followed alone, one page after another,
//!   and the pages fetched ahead are dropped;
//! - a page shorter than the ones before it (a capped page, or the list's tail) means the
//!   `$skip`s fetched ahead are wrong: they are dropped, and the read goes on from where the
//!   short page ended, fetching ahead by the short page's length; after
//!   [`MAX_MISSES`] such surprises it reads one page at a time;
//! - only an empty page ends the read, as before.
//!
//! Pages fetched ahead that are not used cost requests, so they are bounded: at most
//! [`PAGES_IN_FLIGHT`] at once; with no idea of the list's length (a first read) the window
//! starts at one page and doubles with each full page (a tenant of a few hundred numbers costs
//! its one page and the empty one, as before); with the kept list's count as the estimate
//! ([`ListingStart::about`]) no page beyond it is asked for until the pages before it show
//! the list goes on, so a list that did not change costs exactly the sequential requests.
//! Every page goes through the client's pacer: pages fetched ahead that are still waiting
//! for their turn when the read learns they are not needed are never sent, and a `429` (or
//! any overload answer) seen by one page holds every page back for its `Retry-After`.

use super::model::NumberPage;
use super::{
    CancelToken, CutOffCause, CutOffListing, GraphClient, GraphError, GraphErrorKind, ListProgress,
    ListingStart, NumberListing, NumberPages, ProgressFn, NUMBERS_PATH,
};
use std::collections::{BTreeMap, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use tokio::task::{AbortHandle, JoinSet};

/// Rows asked for per page (`$top`, Microsoft's maximum).
pub const NUMBERS_PER_PAGE: usize = 1000;
/// Pages one read has in flight at most.
pub const PAGES_IN_FLIGHT: usize = 8;
/// Pages one read follows at most before it says the list never ended.
const MAX_PAGES: usize = 1000;
/// Pages shorter than foreseen (each one drops the pages fetched ahead) before the read
/// stops fetching ahead.
const MAX_MISSES: usize = 3;

/// One page's answer: the page, read, and the exchange's identifiers.
type PageAnswer = Result<(NumberPage, super::Exchange), GraphError>;

/// The pages fetched ahead by `$skip`, and what decides which come next.
struct Ahead {
    /// Pages in flight, each answering with its `$skip`, and how to stop each.
    tasks: JoinSet<(usize, PageAnswer)>,
    stoppers: BTreeMap<usize, AbortHandle>,
    /// Pages back, not used yet (their `$skip` is past the rows read so far).
    ready: BTreeMap<usize, PageAnswer>,
    /// The `$skip` of the next page to fetch ahead.
    next: usize,
    /// The rows a page is expected to hold.
    stride: usize,
    /// Pages in flight or back, not yet used, at most.
    width: usize,
    max_width: usize,
    /// No page starting beyond this is fetched (the estimate), while set.
    limit: Option<usize>,
    misses: usize,
    /// Requests sent, this read's (shared with the tasks, which count their first attempt
    /// once the pacer let it go).
    sent: Arc<AtomicUsize>,
    /// The `$skip`s whose request has left (past the pacer).
    left: Arc<Mutex<HashSet<usize>>>,
}

impl Ahead {
    fn new(from: usize, max_width: usize, about: Option<usize>) -> Ahead {
        Ahead {
            tasks: JoinSet::new(),
            stoppers: BTreeMap::new(),
            ready: BTreeMap::new(),
            next: from,
            stride: NUMBERS_PER_PAGE,
            // With an estimate, the pages up to it are known to be wanted; without one, the
            // window grows as full pages show the list is long.
            width: if about.is_some() { max_width } else { 1 },
            max_width,
            limit: about,
            misses: 0,
            sent: Arc::new(AtomicUsize::new(0)),
            left: Arc::new(Mutex::new(HashSet::new())),
        }
    }

    /// Drops every page fetched ahead (those still waiting for the pacer are never sent)
    /// and fetches from `from` on next.
    fn restart(&mut self, from: usize) {
        // Dropping the set stops its tasks.
        self.tasks = JoinSet::new();
        self.stoppers.clear();
        self.ready.clear();
        self.left = Arc::new(Mutex::new(HashSet::new()));
        self.next = from;
        self.width = 1;
    }

    /// Fetches ahead as far as the window and the estimate allow.
    fn fill(&mut self, client: &GraphClient) {
        while self.tasks.len() + self.ready.len() < self.width
            && self.limit.is_none_or(|limit| self.next <= limit)
        {
            let skip = self.next;
            self.next += self.stride.max(1);
            let url = client.url(&if skip == 0 {
                format!("{NUMBERS_PATH}?$top={NUMBERS_PER_PAGE}")
            } else {
                format!("{NUMBERS_PATH}?$top={NUMBERS_PER_PAGE}&$skip={skip}")
            });
            let client = client.clone();
            let sent = self.sent.clone();
            let left = self.left.clone();
            let stopper = self.tasks.spawn(async move {
                let admitted = match &client.pacer {
                    Some(pacer) => {
                        pacer.admit().await;
                        true
                    }
                    None => false,
                };
                sent.fetch_add(1, Ordering::SeqCst);
                crate::locks::lock(&left).insert(skip);
                let answer = client.get_number_page_with(&url, admitted).await;
                (skip, answer)
            });
            self.stoppers.insert(skip, stopper);
        }
    }

    /// Files a page that came back. An empty page without a `nextLink` ends the list there
    /// unless a page before it turns out shorter than foreseen (which drops every page fetched
    /// ahead anyway): the pages beyond it are stopped (those still waiting for the pacer are
    /// never sent) and none is fetched past it.
    fn arrived(&mut self, at: usize, answer: PageAnswer) {
        self.stoppers.remove(&at);
        let ends = answer
            .as_ref()
            .is_ok_and(|(page, _)| !page.link_given && page.raw_rows == Some(0));
        if ends {
            for (_, stopper) in self.stoppers.split_off(&(at + 1)) {
                stopper.abort();
            }
            self.limit = Some(self.limit.map_or(at, |limit| limit.min(at)));
        }
        self.ready.insert(at, answer);
    }

    /// The page starting at `skip`, fetched ahead; `None` when cancelled.
    ///
    /// A page further on that Microsoft refused for good (after its retries, or with a
    /// `Retry-After` longer than NumberDesk waits) ends the wait early when the page at
    /// `skip` has not left yet: it would only leave after the pause that refusal began, and
    /// the read is cut off at the refusal anyway. Its error is the answer then.
    async fn take(
        &mut self,
        client: &GraphClient,
        skip: usize,
        cancel: &CancelToken,
    ) -> Option<PageAnswer> {
        if self.next <= skip && !self.ready.contains_key(&skip) && self.tasks.is_empty() {
            // Nothing in flight reaches it (an estimate passed, a restart): fetch it now.
            self.next = skip;
            self.limit = self.limit.filter(|limit| skip <= *limit);
        }
        self.fill(client);
        loop {
            if let Some(answer) = self.ready.remove(&skip) {
                return Some(answer);
            }
            let refused_ahead = self.ready.values().find_map(|answer| answer.as_ref().err());
            if let Some(error) = refused_ahead {
                if !crate::locks::lock(&self.left).contains(&skip) {
                    return Some(Err(error.clone()));
                }
            }
            match cancel.run(self.tasks.join_next()).await? {
                Some(Ok((at, answer))) => self.arrived(at, answer),
                // A page stopped because the list ends before it.
                Some(Err(stopped)) if stopped.is_cancelled() => {}
                Some(Err(stopped)) => {
                    return Some(Err(GraphError::new(
                        GraphErrorKind::Malformed,
                        format!("a page of the number list stopped unexpectedly ({stopped})"),
                    )))
                }
                None => {
                    // Defensive: the page the read needs is not on its way.
                    self.restart(skip);
                    self.fill(client);
                    if self.tasks.is_empty() {
                        return Some(Err(GraphError::new(
                            GraphErrorKind::Malformed,
                            "the number list read lost its place",
                        )));
                    }
                }
            }
        }
    }

    /// The page at `skip` was used and held `rows` rows (before any seam was taken out):
    /// whether the pages fetched ahead still start where the read goes on.
    fn used(&mut self, skip: usize, rows: usize) {
        let next = skip + rows;
        if self.limit.is_some_and(|limit| next > limit) {
            // The list is longer than expected: from here on, as with no estimate.
            self.limit = None;
            self.width = self.width.min(1);
        }
        if rows == self.stride {
            self.width = (self.width * 2).min(self.max_width);
            return;
        }
        let fetched_ahead = !self.tasks.is_empty() || !self.ready.is_empty();
        if fetched_ahead {
            self.misses += 1;
        }
        self.restart(next);
        if rows > 0 {
            self.stride = rows;
        }
        if self.misses >= MAX_MISSES {
            self.max_width = 1;
        }
    }
}

/// Whether `link` asks for exactly what the read would ask next by `$skip`: the number
/// collection, `$top=1000` and `$skip=<next>`, nothing else.
fn is_skip_link(link: &str, next: usize) -> bool {
    let Ok(url) = url::Url::parse(link) else {
        return false;
    };
    if url.path() != NUMBERS_PATH || url.fragment().is_some() {
        return false;
    }
    let pairs: Vec<(String, String)> = url.query_pairs().into_owned().collect();
    let top = NUMBERS_PER_PAGE.to_string();
    let skip = next.to_string();
    pairs.len() == 2
        && pairs.iter().any(|(k, v)| k == "$top" && *v == top)
        && pairs.iter().any(|(k, v)| k == "$skip" && *v == skip)
}

impl GraphClient {
    /// The tenant's numbers from `start` on (the first page, or where a cut-off read stopped),
    /// keeping what was read when a page is refused after its retries or the read is
    /// cancelled. What was read is never given out as the whole list: only
    /// [`NumberPages::Complete`] is, and only after the empty page that ends the list.
    /// Up to `start.in_flight` pages are fetched side by side (see the module's notes); the
    /// rows are those the sequential read gives, in its order.
    ///
    /// From a seam (`start.seam_id`), the first page is asked from one row before
    /// `start.skip`: that row must be the one read last, else numbers were added or removed
    /// before the seam since, `$skip` no longer points where the read stopped, and the answer
    /// is [`NumberPages::SeamMoved`] (nothing read; start again from the first page). The
    /// seam row itself is not returned again.
    pub async fn list_numbers_from(
        &self,
        start: &ListingStart,
        progress: ProgressFn<'_>,
        cancel: &CancelToken,
    ) -> NumberPages {
        let mut listing = NumberListing::default();
        // Rows the listing has passed, counted from the tenant's first number.
        let mut position = start.skip;
        let mut last_id = start.seam_id.clone();
        let mut seam = start.seam_id.clone().filter(|_| start.skip > 0);
        let first_skip = if seam.is_some() {
            start.skip - 1
        } else {
            start.skip
        };
        // Side by side only under a pacer: it holds every page back when one is throttled.
        let width = if self.is_paced() {
            start.in_flight.clamp(1, PAGES_IN_FLIGHT)
        } else {
            1
        };
        let mut ahead = Ahead::new(first_skip, width, start.about);
        // Where the next page is: by `$skip` (fetched ahead), or a `nextLink` followed alone.
        let mut skip = first_skip;
        let mut follow: Option<String> = None;
        let cut_off = |mut listing: NumberListing, ahead: &Ahead, position, last_id, cause| {
            listing.sent = ahead.sent.load(Ordering::SeqCst);
            NumberPages::CutOff(CutOffListing {
                read: listing,
                next_skip: position,
                last_id,
                cause,
            })
        };
        loop {
            if cancel.is_cancelled() {
                return cut_off(listing, &ahead, position, last_id, CutOffCause::Cancelled);
            }
            let answer = match &follow {
                Some(url) => {
                    ahead.sent.fetch_add(1, Ordering::SeqCst);
                    cancel.run(self.get_number_page_with(url, false)).await
                }
                None => ahead.take(self, skip, cancel).await,
            };
            let Some(answer) = answer else {
                return cut_off(listing, &ahead, position, last_id, CutOffCause::Cancelled);
            };
            let (mut page, exchange) = match answer {
                Ok(answer) => answer,
                Err(error) => {
                    return cut_off(
                        listing,
                        &ahead,
                        position,
                        last_id,
                        CutOffCause::Refused(error),
                    )
                }
            };
            let next_link = page.next_link.take();
            let raw_rows = page.raw_rows.unwrap_or(0);
            if let Some(seam_id) = seam.take() {
                if !page.take_seam(&seam_id) {
                    return NumberPages::SeamMoved;
                }
            }
            let page_last_id = page.last_id.take();
            let (numbers, unreadable) = match page.into_rows() {
                Ok(rows) => rows,
                Err(reason) => {
                    let error = super::not_a_number_list(&reason, &exchange);
                    return cut_off(
                        listing,
                        &ahead,
                        position,
                        last_id,
                        CutOffCause::Refused(error),
                    );
                }
            };
            listing.requests += 1;
            let count = numbers.len() + unreadable.len();
            position += count;
            if count > 0 {
                last_id = page_last_id;
            }
            listing.numbers.extend(numbers);
            listing.unreadable.extend(unreadable);
            progress(ListProgress {
                rows: position,
                requests: ahead.sent.load(Ordering::SeqCst),
            });
            let was_following = follow.take().is_some();
            match next_link {
                Some(next) if !self.is_home(&next, |path| path == NUMBERS_PATH) => {
                    let error = GraphError::new(
                        GraphErrorKind::ForeignLocation,
                        format!(
                            "the next page of numbers is at {next}, outside {}{NUMBERS_PATH}, so NumberDesk did not send your sign-in there",
                            self.root.as_str().trim_end_matches('/')
                        ),
                    );
                    return cut_off(
                        listing,
                        &ahead,
                        position,
                        last_id,
                        CutOffCause::Refused(error),
                    );
                }
                Some(next) if count == 0 || !is_skip_link(&next, position) => {
                    // Only this address says where the list goes on: followed alone.
                    ahead.restart(position);
                    follow = Some(next);
                }
                None if count == 0 => {
                    listing.sent = ahead.sent.load(Ordering::SeqCst);
                    // Pages fetched past the end are dropped with `ahead`.
                    return NumberPages::Complete(listing);
                }
                _ if was_following => ahead.restart(position),
                _ => ahead.used(skip, raw_rows),
            }
            skip = position;
            if listing.requests > MAX_PAGES {
                let error = GraphError::new(
                    GraphErrorKind::Malformed,
                    "the number list did not end after 1,000 pages",
                );
                return cut_off(
                    listing,
                    &ahead,
                    position,
                    last_id,
                    CutOffCause::Refused(error),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_skip_the_read_would_ask_anyway_counts_as_a_skip_link() {
        let root = "https://graph.microsoft.com/v1.0/admin/teams/telephoneNumberManagement/numberAssignments";
        assert!(is_skip_link(&format!("{root}?$top=1000&$skip=2000"), 2000));
        assert!(is_skip_link(
            &format!("{root}?%24skip=2000&%24top=1000"),
            2000
        ));
        assert!(!is_skip_link(&format!("{root}?$top=1000&$skip=2000"), 1999));
        assert!(!is_skip_link(&format!("{root}?$top=500&$skip=2000"), 2000));
        assert!(!is_skip_link(&format!("{root}?$skiptoken=abc"), 2000));
        assert!(!is_skip_link(
            &format!("{root}?$top=1000&$skip=2000&$skiptoken=abc"),
            2000
        ));
        assert!(!is_skip_link(
            &format!("{root}?$filter=x&$top=1000&$skip=2000"),
            2000
        ));
    }

    #[test]
    fn the_window_grows_with_full_pages_and_restarts_after_a_short_one() {
        let mut ahead = Ahead::new(0, PAGES_IN_FLIGHT, None);
        assert_eq!(ahead.width, 1, "a first read starts with one page");
        ahead.used(0, 1000);
        assert_eq!(ahead.width, 2);
        ahead.used(1000, 1000);
        ahead.used(2000, 1000);
        ahead.used(3000, 1000);
        assert_eq!(ahead.width, PAGES_IN_FLIGHT);
        // A capped page: fetch ahead by its length, from where it ended, one page first.
        ahead.used(4000, 70);
        assert_eq!((ahead.next, ahead.stride, ahead.width), (4070, 70, 1));
        let estimated = Ahead::new(0, PAGES_IN_FLIGHT, Some(50_000));
        assert_eq!(estimated.width, PAGES_IN_FLIGHT);
    }

    #[test]
    fn a_list_longer_than_expected_drops_the_estimate() {
        let mut ahead = Ahead::new(0, PAGES_IN_FLIGHT, Some(1_500));
        ahead.used(0, 1000);
        assert_eq!(ahead.limit, Some(1_500));
        ahead.used(1000, 1000);
        assert_eq!(ahead.limit, None, "2,000 rows read, beyond 1,500");
    }
}
