//! Knobs for what the documentation leaves open, one per documented possibility, so the app
//! is tried against each answer a real tenant may give:
//!
//! - how an accepted action answers (`202` + `Location` as the docs show, or `204`/`200`
//!   without one, OData's usual answer for an action with no return type — the metadata
//!   declares none);
//! - which address form the `Location` takes (`operations('id')` or `operations/id`; both
//!   address the same contained entity);
//! - whether list pages are capped below `$top` without an `@odata.nextLink`, and which
//!   `nextLink`, if any, a page carries (the docs say nothing about `nextLink` for this
//!   collection: `$skip` in it, an opaque `$skiptoken`, or none at all);
//! - refusals scoped to one kind of read (`/users/{id}`, an operation, the list page at one
//!   `$skip`), which the general fault queue (`faults.rs`, "the next n requests, whatever
//!   they are") cannot aim at when a client has several requests in flight;
//! - directory answers a client cannot take at their word: a `200` part of a `$batch` with no
//!   `value`, a user row whose properties are not of their declared type, and the deleted
//!   users served in pages smaller than `$top` (Graph's server-driven paging may always do
//!   that), so that a read needs more pages than a client is willing to follow.

use std::collections::{HashSet, VecDeque};

use super::faults::InjectedFault;

/// How an accepted `unassignNumber` / `assignNumber` is answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ActionAnswer {
    /// `202 Accepted` with a `Location` (the documentation).
    #[default]
    Accepted,
    /// `204 No Content`, no `Location` (OData's answer for an action without a return type).
    NoContent,
    /// `200 OK` with an empty JSON object, no `Location`.
    Ok,
}

/// The form of the operation address in `Location`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LocationForm {
    /// `.../operations('id')`, as the documentation's example.
    #[default]
    Parentheses,
    /// `.../operations/id`.
    Segment,
}

/// What a page of `numberAssignments` that is not the last carries of the rest of the list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum NumberNextLink {
    /// `@odata.nextLink` with `$top` and the next `$skip` (OData's form for a collection
    /// paged by `$skip`).
    #[default]
    Skip,
    /// `@odata.nextLink` with an opaque `$skiptoken` (Graph's server-driven paging on other
    /// collections): only the link says where the list goes on.
    SkipToken,
    /// No `@odata.nextLink`: the documentation shows none, and pages by `$top` and `$skip`.
    Absent,
}

#[derive(Debug, Default)]
pub(crate) struct Quirks {
    pub action_answer: ActionAnswer,
    pub location_form: LocationForm,
    /// At most this many rows a page, and no `@odata.nextLink` when a page was cut.
    pub page_cap: Option<usize>,
    /// The `nextLink` a list page carries while more remain.
    pub number_next_link: NumberNextLink,
    /// Answers for the next list pages asked at a given `$skip` (0 for the first page).
    pub number_page_faults: Vec<(usize, InjectedFault)>,
    /// Statuses for the next `/users/{id}` reads (Graph's error envelope).
    pub user_read_faults: VecDeque<u16>,
    /// Statuses for the next operation reads.
    pub operation_read_faults: VecDeque<u16>,
    /// Statuses (and `Retry-After` seconds) for the next requests inside a `$batch`.
    pub batch_part_faults: VecDeque<(u16, Option<u64>)>,
    /// The next this many user lists inside a `$batch` are answered `200` without `value`.
    pub user_parts_without_value: u32,
    /// Lower-cased ids of users whose row in a user list carries a `displayName` that is
    /// not a string: a row a client cannot read, though its `id` is there.
    pub unreadable_user_rows: HashSet<String>,
    /// At most this many deleted users a page, whatever `$top` asks (with a `nextLink`).
    pub deleted_users_page_size: Option<usize>,
    /// How a `proxyAddresses` filter clause is evaluated for a caller without `User.Read.All`.
    pub proxy_filter: super::user_query::ProxyFilter,
}

/// Queues `status` for the next `n` reads of one kind.
pub(crate) fn queue(faults: &mut VecDeque<u16>, n: u32, status: u16) {
    faults.extend(std::iter::repeat_n(status, n as usize));
}
