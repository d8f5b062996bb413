//! Fresh answers about many numbers, for a bulk run.
//!
//! Every row's POST needs Microsoft's answer about its number at most [`super::HOLDER_MAX_AGE`]
//! old. The preview's listing is that answer while it is fresh; after that, numbers are read
//! again in as few requests as Microsoft's API allows. The API filters `numberAssignments` by
//! one `telephoneNumber eq '…'` per request (Graph's metadata and documentation list `eq`; no
//! `in` or `or` is documented), or lists the whole tenant in pages of 1,000 (`$top=1000`). So
//! a row reads its own number when few rows are waiting, and the whole list once when that
//! costs fewer requests than one read per waiting row: a run of 5,000 rows in a tenant of
//! 20,000 numbers pays 21 requests a minute instead of one per row.
//!
//! A number missing from a complete listing is "not in the tenant" as of that listing; a row
//! Microsoft sent that could not be read is never taken for "missing": its number is read on
//! its own, and an entry that still cannot be read stops that row.

use super::holder::Reading;
use crate::graph::{GraphClient, GraphError};
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Rows waiting above which the whole list is read although its cost is not known yet.
const UNKNOWN_LIST_COST_WORTH: usize = 100;

/// The last complete listing: when it was asked for, and the numbers it could not read.
struct Listing {
    read_at: Instant,
    unreadable: HashSet<String>,
}

/// Answers about numbers with the time each was read; see the module documentation.
pub struct FreshAnswers {
    max_age: Duration,
    /// What one read of the whole list costs, in requests; `0`: not known, numbers are read
    /// one at a time.
    list_requests: AtomicUsize,
    answers: Mutex<HashMap<String, Reading>>,
    listing: Mutex<Option<Listing>>,
    /// One refresh at a time: workers that need an answer while another reads wait for it.
    refreshing: tokio::sync::Mutex<()>,
    /// Requests made here (list pages and single reads).
    requests: AtomicUsize,
}

fn key(number: &str) -> String {
    number.to_ascii_lowercase()
}

use crate::locks::lock;

impl FreshAnswers {
    /// `list_requests`: what the preview's listing of the whole tenant cost (`0` if unknown).
    pub fn new(max_age: Duration, list_requests: usize) -> FreshAnswers {
        FreshAnswers {
            max_age,
            list_requests: AtomicUsize::new(list_requests),
            answers: Mutex::new(HashMap::new()),
            listing: Mutex::new(None),
            refreshing: tokio::sync::Mutex::new(()),
            requests: AtomicUsize::new(0),
        }
    }

    pub fn max_age(&self) -> Duration {
        self.max_age
    }

    /// Requests made for fresh answers so far.
    pub fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }

    /// Keeps an answer (the preview's, or one read elsewhere) unless a newer one is kept.
    pub fn keep(&self, number: &str, reading: Reading) {
        let mut answers = lock(&self.answers);
        match answers.get(&key(number)) {
            Some(kept) if kept.read_at >= reading.read_at => {}
            _ => {
                answers.insert(key(number), reading);
            }
        }
    }

    /// The freshest answer about `number` that is still fresh enough, without a request.
    pub fn fresh(&self, number: &str) -> Option<Reading> {
        let own = lock(&self.answers)
            .get(&key(number))
            .filter(|r| r.is_fresh(self.max_age))
            .cloned();
        if own.is_some() {
            return own;
        }
        // Absent from a complete, fresh listing: not in the tenant as of that listing.
        let listing = lock(&self.listing);
        let listing = listing.as_ref()?;
        let fresh = listing.read_at.elapsed() <= self.max_age;
        (fresh && !listing.unreadable.contains(&key(number))).then_some(Reading {
            assignment: None,
            read_at: listing.read_at,
        })
    }

    /// A fresh answer about `number`, read when needed: the whole list when that costs fewer
    /// requests than reading the `waiting` numbers one by one, else this number alone.
    pub async fn answer(
        &self,
        graph: &GraphClient,
        number: &str,
        waiting: usize,
    ) -> Result<Reading, GraphError> {
        if let Some(reading) = self.fresh(number) {
            return Ok(reading);
        }
        let _one_at_a_time = self.refreshing.lock().await;
        // Another worker may have read it meanwhile.
        if let Some(reading) = self.fresh(number) {
            return Ok(reading);
        }
        let list_cost = self.list_requests.load(Ordering::SeqCst);
        // Cost unknown (a plan read back from the history): a listing tells it, and with this
        // many rows waiting even a 50,000-number tenant (51 pages) is cheaper than a read each.
        let worth_listing = match list_cost {
            0 => waiting > UNKNOWN_LIST_COST_WORTH,
            cost => cost < waiting,
        };
        if worth_listing {
            self.read_list(graph).await?;
            if let Some(reading) = self.fresh(number) {
                return Ok(reading);
            }
        }
        let read_at = Instant::now();
        self.requests.fetch_add(1, Ordering::SeqCst);
        let (assignment, _) = graph.lookup_number(number).await?;
        let reading = Reading {
            assignment,
            read_at,
        };
        self.keep(number, reading.clone());
        Ok(reading)
    }

    async fn read_list(&self, graph: &GraphClient) -> Result<(), GraphError> {
        let read_at = Instant::now();
        let listing = graph.list_numbers().await;
        let listing = match listing {
            Ok(listing) => listing,
            Err(error) => {
                self.requests.fetch_add(1, Ordering::SeqCst);
                return Err(error);
            }
        };
        self.requests.fetch_add(listing.requests, Ordering::SeqCst);
        self.list_requests.store(listing.requests, Ordering::SeqCst);
        for number in listing.numbers {
            let telephone_number = number.telephone_number.clone();
            self.keep(
                &telephone_number,
                Reading {
                    assignment: Some(number),
                    read_at,
                },
            );
        }
        // A row without a readable number could be any number: such a listing cannot show
        // that a number is missing, so only the answers it holds are kept.
        if listing
            .unreadable
            .iter()
            .all(|r| r.telephone_number.is_some())
        {
            let unreadable = listing
                .unreadable
                .iter()
                .filter_map(|row| row.telephone_number.as_deref().map(key))
                .collect();
            *lock(&self.listing) = Some(Listing {
                read_at,
                unreadable,
            });
        }
        Ok(())
    }
}
