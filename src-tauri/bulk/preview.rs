//! The preview of a bulk unassign: every input row normalised, matched against the tenant's
//! numbers, and either planned or skipped with a reason, before anything is sent.
//!
//! Why one listing and not a lookup per row: a list of 5,000 numbers would otherwise be 5,000
//! requests (10,000 with a name read per assignee) before the admin has even confirmed, and the
//! run itself needs the rate. The tenant's numbers are read once in pages of 1,000
//! ([`GraphClient::list_numbers`]) and matched here; a tenant with 20,000 numbers costs 20
//! requests whatever the list holds. Names cost one request per assignee, so only the first
//! [`NAME_LOOKUPS`] distinct assignees are named (eight at a time); the others show their object
//! ids, which the history keeps either way so an undo still works.
//!
//! The number type for each POST comes from this listing, never from the file.
//!
//! A row may name a person instead (HR's list: a user name, an email, a display name). The
//! people of the whole list are found together in the directory's batches
//! ([`GraphClient::find_people`], 150 addresses a request, while the listing is read), and
//! their numbers come from the same listing, by holder: a person costs no request of their
//! own. The row then becomes one row per number the person holds, each planned with the
//! person as the holder the admin confirms, so the run checks that holder again right before
//! each POST. A row whose person cannot be taken says why: no such user, no number, several
//! people (listed, never a guess), not readable, or names not permitted.

use crate::desk::RecordView;
use crate::graph::{
    Assignment, CancelToken, DirectoryUser, GraphClient, NumberAssignment, PersonQuery,
    UnreadableRow,
};
use crate::history::{Assignee, History, OperationKind, RecordStatus};
use crate::people::{self, PersonOutcome, PersonView, Resolution};
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};

use super::error::BulkError;
use super::input::InputRow;
use crate::operation::in_progress_words;

/// Why a row is not sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum SkipReason {
    /// Not a phone number NumberDesk can read.
    Invalid,
    /// The same number as an earlier row.
    Duplicate,
    /// The tenant has no such number.
    NotFound,
    /// The number is not assigned to anything.
    NotAssigned,
    /// The history has a change for it still in flight.
    InFlight,
    /// Microsoft's entry for the number could not be read, so nothing is sent for it.
    Unreadable,
    /// Undo: the batch's change of this number did not succeed, so there is nothing to undo.
    NotSucceeded,
    /// Undo: the number was not taken from a user or resource account NumberDesk can name.
    CannotUndo,
    /// Undo: the number is assigned again (to someone, or to the same assignee).
    AssignedAgain,
    /// The number is held by someone else than the Numbers view (or leavers lens) showed when
    /// the admin chose it: it is not taken from its new holder.
    HolderChanged,
    /// The row names a person no account is.
    NoSuchUser,
    /// The row names a person who holds no number.
    NoNumbers,
    /// The row names several people (a shared name, a near match): never a guess.
    SeveralPeople,
    /// Microsoft's answer about the person could not be read whole.
    PersonUnresolved,
    /// People cannot be looked up: reading users (`User.ReadBasic.All`) is not permitted.
    PeopleNotPermitted,
}

/// The person a row names, and what the directory said about them. A person with numbers is
/// one preview row per number, each carrying this (`first` on the first).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PersonRow {
    /// What the row held: a user name, an email, a display name.
    pub query: String,
    pub outcome: PersonOutcome,
    /// The one account the row names.
    pub person: Option<PersonView>,
    /// Several accounts match: listed, for the admin to put the right user name in the list.
    pub choices: Vec<PersonView>,
    /// The numbers are held as a resource account's (an auto attendant or call queue).
    pub resource_account: bool,
    /// How many numbers the person holds (a row each).
    pub numbers: usize,
    /// The first of the person's rows.
    pub first: bool,
}

/// What the number is assigned to, for the counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum TargetKind {
    User,
    ResourceAccount,
    /// A conference bridge, a policy, a third-party app, …
    Other,
}

/// One row of the preview.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PreviewRow {
    /// The 1-based line in the source.
    pub line: usize,
    pub raw: String,
    /// The number as Graph writes it (`+12065550100;ext=524`), when it could be read.
    pub telephone_number: Option<String>,
    pub display: Option<String>,
    pub assignment: Option<NumberAssignment>,
    pub target: Option<TargetKind>,
    pub skip: Option<SkipReason>,
    /// Why the row is skipped, in a sentence for the admin.
    pub reason: Option<String>,
    /// The history record still in flight for this number.
    pub in_flight_record: Option<i64>,
    /// Who has the number now (unassign) or will get it back (undo): an object id.
    pub assignee: Option<String>,
    /// Their display name and UPN, when they could be read.
    pub assignee_name: Option<String>,
    pub assignee_upn: Option<String>,
    /// The person the input row named, when it named one instead of a number.
    pub person: Option<PersonRow>,
    /// What the row will send, when it is sent.
    #[serde(skip)]
    pub planned: Option<PlannedRow>,
}

impl PreviewRow {
    fn new(line: usize, raw: String) -> PreviewRow {
        PreviewRow {
            line,
            raw,
            telephone_number: None,
            display: None,
            assignment: None,
            target: None,
            skip: None,
            reason: None,
            in_flight_record: None,
            assignee: None,
            assignee_name: None,
            assignee_upn: None,
            person: None,
            planned: None,
        }
    }
}

/// The figures above the preview table.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PreviewCounts {
    /// Rows of the preview: a person with three numbers is three rows.
    pub rows: usize,
    pub to_send: usize,
    /// Distinct users / resource accounts among the numbers to send.
    pub users: usize,
    pub resource_accounts: usize,
    /// Numbers to send that are assigned to something else (conference bridge, policy, …).
    pub other_assignments: usize,
    pub invalid: usize,
    pub duplicate: usize,
    pub not_found: usize,
    pub not_assigned: usize,
    pub in_flight: usize,
    /// Rows whose number Microsoft listed in a form NumberDesk could not read.
    pub unreadable: usize,
    /// Rows whose number changed hands since the Numbers view showed it.
    pub holder_changed: usize,
    /// Input rows that name a person, and those whose person cannot be taken, by why.
    pub people: usize,
    pub no_such_user: usize,
    pub no_numbers: usize,
    pub several_people: usize,
    pub people_unresolved: usize,
    pub people_not_permitted: usize,
}

/// The whole preview.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Preview {
    /// `unassign`, or `assign` for the undo of a batch.
    pub kind: OperationKind,
    pub rows: Vec<PreviewRow>,
    pub counts: PreviewCounts,
    /// "148 numbers from 146 users and 2 resource accounts; 3 rows skipped".
    pub summary: String,
    /// Graph requests the preview took.
    pub requests: usize,
    /// When Microsoft's listing the preview rests on was asked for: the holders it plans
    /// from are that old.
    #[serde(skip)]
    pub read_at: Option<std::time::Instant>,
    /// What one listing of the whole tenant cost (requests), for the run's fresh reads.
    #[serde(skip)]
    pub list_requests: usize,
}

/// One number the run will change: unassign it, or (undo) give it back to its prior assignee.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PlannedRow {
    pub line: usize,
    pub telephone_number: String,
    pub number_type: String,
    pub prior_assignee: Assignee,
    /// Undo: the history record of the unassignment this row reverses; the row is then an
    /// `assignNumber` to `prior_assignee`.
    #[serde(default)]
    pub undo_of: Option<i64>,
}

impl PlannedRow {
    pub fn kind(&self) -> OperationKind {
        match self.undo_of {
            Some(_) => OperationKind::Assign,
            None => OperationKind::Unassign,
        }
    }
}

/// What a run is given: the planned rows, and how fresh the answers they were planned from are.
#[derive(Debug, Clone, Default)]
pub struct RunPlan {
    pub rows: Vec<PlannedRow>,
    /// When Microsoft's answer the rows were planned from was asked for; `None`: not known
    /// (a plan read back from the history), so every row's number is read again first.
    pub read_at: Option<std::time::Instant>,
    /// What one listing of the whole tenant costs, in requests (`0`: not known).
    pub list_requests: usize,
}

impl From<Vec<PlannedRow>> for RunPlan {
    fn from(rows: Vec<PlannedRow>) -> RunPlan {
        RunPlan {
            rows,
            read_at: None,
            list_requests: 0,
        }
    }
}

/// What the admin confirms: the rows left ticked.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Selection {
    #[serde(skip)]
    pub plan: Vec<PlannedRow>,
    pub counts: PreviewCounts,
    /// The confirmation: "Unassign 148 numbers from 146 users and 2 resource accounts".
    pub confirmation: String,
    /// See [`Preview::read_at`].
    #[serde(skip)]
    pub read_at: Option<std::time::Instant>,
    #[serde(skip)]
    pub list_requests: usize,
}

impl Selection {
    /// What the run is given: the rows, and how fresh the answers they were planned from are.
    pub fn run_plan(&self) -> RunPlan {
        RunPlan {
            rows: self.plan.clone(),
            read_at: self.read_at,
            list_requests: self.list_requests,
        }
    }
}

impl Preview {
    /// The rows to send, in input order.
    pub fn plan(&self) -> Vec<PlannedRow> {
        self.selection(&HashSet::new()).plan
    }

    /// [`Preview::plan`] with the age of the answers it was planned from, for
    /// [`super::BulkEngine::start`].
    pub fn run_plan(&self) -> RunPlan {
        self.selection(&HashSet::new()).run_plan()
    }

    /// The rows to send without those the admin unticked (indexes into `rows`), with the
    /// counts and the sentence to confirm.
    pub fn selection(&self, unticked: &HashSet<usize>) -> Selection {
        let plan: Vec<PlannedRow> = self
            .rows
            .iter()
            .enumerate()
            .filter(|(index, row)| row.skip.is_none() && !unticked.contains(index))
            .filter_map(|(_, row)| row.planned.clone())
            .collect();
        let mut counts = self.counts.clone();
        let (users, accounts, others) = plan_targets(&plan);
        counts.to_send = plan.len();
        counts.users = users;
        counts.resource_accounts = accounts;
        counts.other_assignments = others;
        Selection {
            confirmation: confirmation(self.kind, &counts),
            plan,
            counts,
            read_at: self.read_at,
            list_requests: self.list_requests,
        }
    }
}

/// Distinct users, distinct resource accounts, and other assignments among planned rows.
fn plan_targets(plan: &[PlannedRow]) -> (usize, usize, usize) {
    let mut users = HashSet::new();
    let mut accounts = HashSet::new();
    let mut others = 0;
    for row in plan {
        let id = row.prior_assignee.id.clone().unwrap_or_default();
        match row.prior_assignee.target_kind.as_deref() {
            Some("userAssigned") => {
                users.insert(id);
            }
            Some("voiceApplicationAssigned") => {
                accounts.insert(id);
            }
            _ => others += 1,
        }
    }
    (users.len(), accounts.len(), others)
}

/// The confirmation sentence for a plan without its preview (a resumed batch).
pub fn plan_confirmation(kind: OperationKind, plan: &[PlannedRow]) -> String {
    let (users, resource_accounts, other_assignments) = plan_targets(plan);
    confirmation(
        kind,
        &PreviewCounts {
            rows: plan.len(),
            to_send: plan.len(),
            users,
            resource_accounts,
            other_assignments,
            ..PreviewCounts::default()
        },
    )
}

/// "Unassign 148 numbers from 146 users and 2 resource accounts", or for an undo "Give back
/// 3 numbers to 2 users and 1 resource account".
pub fn confirmation(kind: OperationKind, counts: &PreviewCounts) -> String {
    let (verb, to) = match kind {
        OperationKind::Unassign => ("Unassign", "from"),
        OperationKind::Assign => ("Give back", "to"),
    };
    let mut text = format!("{verb} {}", plural(counts.to_send, "number", "numbers"));
    if let Some(who) = who(counts) {
        text.push_str(&format!(" {to} {who}"));
    }
    text
}

fn planned_unassign(line: usize, a: &NumberAssignment) -> PlannedRow {
    PlannedRow {
        line,
        telephone_number: a.telephone_number.clone(),
        number_type: a.number_type.clone(),
        prior_assignee: Assignee {
            id: a.assignment_target_id.clone().filter(|t| !t.is_empty()),
            name: None,
            upn: None,
            target_kind: a.assignment_status.clone(),
            category: a.assignment_category.clone(),
            location_id: a.location_id.clone(),
        },
        undo_of: None,
    }
}

fn target_kind(assignment: &NumberAssignment) -> TargetKind {
    match assignment.assignment() {
        Assignment::User => TargetKind::User,
        Assignment::ResourceAccount => TargetKind::ResourceAccount,
        _ => TargetKind::Other,
    }
}

fn kind_of_status(status: &str) -> TargetKind {
    match status {
        "userAssigned" => TargetKind::User,
        "voiceApplicationAssigned" => TargetKind::ResourceAccount,
        _ => TargetKind::Other,
    }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// "148 numbers from 146 users and 2 resource accounts; 3 rows skipped".
pub fn summary(counts: &PreviewCounts) -> String {
    let mut text = plural(counts.to_send, "number", "numbers");
    if let Some(who) = who(counts) {
        text.push_str(" from ");
        text.push_str(&who);
    }
    let skipped = counts.rows - counts.to_send;
    if skipped > 0 {
        text.push_str(&format!("; {} skipped", plural(skipped, "row", "rows")));
    }
    text
}

/// "146 users and 2 resource accounts"; `None` when nothing is sent.
fn who(counts: &PreviewCounts) -> Option<String> {
    let mut from = Vec::new();
    if counts.users > 0 {
        from.push(plural(counts.users, "user", "users"));
    }
    if counts.resource_accounts > 0 {
        from.push(plural(
            counts.resource_accounts,
            "resource account",
            "resource accounts",
        ));
    }
    if counts.other_assignments > 0 {
        from.push(plural(
            counts.other_assignments,
            "other assignment",
            "other assignments",
        ));
    }
    let (last, rest) = from.split_last()?;
    let mut text = String::new();
    if !rest.is_empty() {
        text.push_str(&rest.join(", "));
        text.push_str(" and ");
    }
    text.push_str(last);
    Some(text)
}

/// The tenant's numbers keyed by the number in lower case.
struct TenantNumbers {
    /// When the listing was asked for.
    read_at: std::time::Instant,
    by_number: HashMap<String, NumberAssignment>,
    /// Rows Microsoft sent that could not be read, by number where it could be read.
    unreadable: HashMap<String, UnreadableRow>,
    requests: usize,
}

/// Every number of the tenant, read once.
async fn tenant_numbers(
    graph: &GraphClient,
    telephone_api_available: bool,
) -> Result<TenantNumbers, BulkError> {
    let read_at = std::time::Instant::now();
    let listing = graph
        .list_numbers()
        .await
        .map_err(BulkError::graph(telephone_api_available))?;
    if !listing.unreadable.is_empty() {
        log::warn!(
            "the number listing had {} row(s) NumberDesk could not read",
            listing.unreadable.len()
        );
    }
    Ok(TenantNumbers {
        read_at,
        by_number: listing
            .numbers
            .into_iter()
            .map(|n| (n.telephone_number.to_ascii_lowercase(), n))
            .collect(),
        unreadable: listing
            .unreadable
            .into_iter()
            .filter_map(|r| Some((r.telephone_number.clone()?.to_ascii_lowercase(), r)))
            .collect(),
        requests: listing.requests,
    })
}

/// Names NumberDesk already holds, by the assignee's object id: the Numbers view's kept list,
/// or the leavers lens (which names deleted users from the directory's deleted items, where a
/// `/users/{id}` read finds nobody). The preview uses them and reads only the others.
#[derive(Debug, Clone, Default)]
pub struct KnownNames(HashMap<String, DirectoryUser>);

impl KnownNames {
    /// Keeps a name (or UPN) for `id`; an entry with neither is left out.
    pub fn insert(&mut self, id: &str, name: Option<String>, upn: Option<String>) {
        if name.is_some() || upn.is_some() {
            self.0.insert(
                id.to_ascii_lowercase(),
                DirectoryUser {
                    id: id.to_owned(),
                    display_name: name,
                    user_principal_name: upn,
                },
            );
        }
    }

    fn get(&self, id: &str) -> Option<&DirectoryUser> {
        self.0.get(&id.to_ascii_lowercase())
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// Reads the tenant's numbers once and classifies every row. Sends nothing that changes
/// anything.
pub async fn preview(
    graph: &GraphClient,
    history: &History,
    telephone_api_available: bool,
    rows: &[InputRow],
) -> Result<Preview, BulkError> {
    preview_with_names(
        graph,
        history,
        telephone_api_available,
        rows,
        &KnownNames::default(),
    )
    .await
}

/// [`preview`], naming the assignees in `known` without reading them.
pub async fn preview_with_names(
    graph: &GraphClient,
    history: &History,
    telephone_api_available: bool,
    rows: &[InputRow],
    known: &KnownNames,
) -> Result<Preview, BulkError> {
    // The people of the whole list, found while the listing is read.
    let queries: Vec<PersonQuery> = rows
        .iter()
        .filter(|r| r.duplicate_of.is_none())
        .filter_map(|r| r.person.clone())
        .collect();
    let (tenant, found) = tokio::join!(
        tenant_numbers(graph, telephone_api_available),
        find_people(graph, &queries)
    );
    let tenant = tenant?;
    let found = found.map_err(BulkError::graph(telephone_api_available))?;
    let (by_number, mut requests) = (&tenant.by_number, tenant.requests + found.requests);
    let by_holder = if queries.is_empty() {
        HashMap::new()
    } else {
        numbers_by_holder(by_number)
    };
    let mut counts = PreviewCounts::default();
    let mut users = HashSet::new();
    let mut accounts = HashSet::new();
    let mut out = Vec::with_capacity(rows.len());
    // The line each number was first listed on, by a number row or a person's.
    let mut listed_on: HashMap<String, usize> = HashMap::new();
    for input in rows {
        let mut row = PreviewRow::new(input.line, input.raw.clone());
        if let Some(query) = &input.person {
            counts.people += 1;
            let first = input.duplicate_of.and_then(|first| rows.get(first));
            let resolution = match first {
                Some(_) => None,
                None => found.resolutions.get(query).cloned(),
            };
            let person_rows = person_rows(
                row,
                query,
                first.map(|r| r.line),
                resolution,
                found.not_permitted,
                &by_holder,
            );
            for mut row in person_rows {
                if row.skip.is_some() {
                    count_skip(&mut counts, row.skip);
                    out.push(row);
                    continue;
                }
                let Some(assignment) = row.assignment.clone() else {
                    continue;
                };
                let key = assignment.telephone_number.to_ascii_lowercase();
                if let Some(line) = listed_on.get(&key) {
                    row.skip = Some(SkipReason::Duplicate);
                    row.reason = Some(format!(
                        "{} is listed on line {line} already; it is sent once.",
                        row.display.clone().unwrap_or_default()
                    ));
                    counts.duplicate += 1;
                    out.push(row);
                    continue;
                }
                listed_on.insert(key, input.line);
                if let Some(running) = history.in_flight_for(&assignment.telephone_number)? {
                    row.skip = Some(SkipReason::InFlight);
                    row.reason = Some(in_progress_words(running.id));
                    row.in_flight_record = Some(running.id);
                    counts.in_flight += 1;
                    out.push(row);
                    continue;
                }
                plan_row(
                    &mut row,
                    input.line,
                    assignment,
                    &mut counts,
                    &mut users,
                    &mut accounts,
                );
                out.push(row);
            }
            continue;
        }
        let number = match &input.number {
            Ok(number) => number,
            Err(why) => {
                row.skip = Some(SkipReason::Invalid);
                row.reason = Some(why.clone());
                counts.invalid += 1;
                out.push(row);
                continue;
            }
        };
        let graph_form = number.graph_form();
        row.telephone_number = Some(graph_form.clone());
        row.display = Some(number.display.clone());
        if let Some(first) = input.duplicate_of {
            let first_line = rows.get(first).map(|r| r.line).unwrap_or_default();
            row.skip = Some(SkipReason::Duplicate);
            row.reason = Some(format!(
                "The same number as line {first_line}; it is sent once."
            ));
            counts.duplicate += 1;
            out.push(row);
            continue;
        }
        let listed = by_number
            .get(&graph_form.to_ascii_lowercase())
            .map(|a| a.telephone_number.to_ascii_lowercase());
        if let Some(line) = listed.as_ref().and_then(|key| listed_on.get(key)) {
            row.skip = Some(SkipReason::Duplicate);
            row.reason = Some(format!(
                "One of the numbers of the person on line {line}; it is sent once."
            ));
            counts.duplicate += 1;
            out.push(row);
            continue;
        }
        if let Some(key) = listed {
            listed_on.insert(key, input.line);
        }
        if let Some(unreadable) = tenant.unreadable.get(&graph_form.to_ascii_lowercase()) {
            row.skip = Some(SkipReason::Unreadable);
            row.reason = Some(format!(
                "Microsoft's entry for {} could not be read ({}), so nothing is sent for it. Check the number in the Teams admin center.",
                number.display, unreadable.reason
            ));
            counts.unreadable += 1;
            out.push(row);
            continue;
        }
        let Some(assignment) = by_number.get(&graph_form.to_ascii_lowercase()).cloned() else {
            row.skip = Some(SkipReason::NotFound);
            row.reason = Some(format!(
                "Microsoft has no number {} in your tenant.",
                number.display
            ));
            counts.not_found += 1;
            out.push(row);
            continue;
        };
        row.telephone_number = Some(assignment.telephone_number.clone());
        if !assignment.is_assigned() {
            row.skip = Some(SkipReason::NotAssigned);
            row.reason = Some(format!(
                "{} is not assigned to anyone: there is nothing to remove.",
                number.display
            ));
            row.assignment = Some(assignment);
            counts.not_assigned += 1;
            out.push(row);
            continue;
        }
        if let Some(running) = history.in_flight_for(&assignment.telephone_number)? {
            row.skip = Some(SkipReason::InFlight);
            row.reason = Some(in_progress_words(running.id));
            row.in_flight_record = Some(running.id);
            row.assignment = Some(assignment);
            counts.in_flight += 1;
            out.push(row);
            continue;
        }
        if let Some(seen) = &input.seen_holder {
            let now = assignment
                .assignment_target_id
                .as_deref()
                .filter(|id| !id.is_empty());
            let same = match (seen.as_deref(), now) {
                (Some(seen), Some(now)) => seen.eq_ignore_ascii_case(now),
                (None, None) => true,
                _ => false,
            };
            if !same {
                row.skip = Some(SkipReason::HolderChanged);
                // Said once the new holders are named (`name_changed_holders`).
                row.reason = Some(seen.clone().unwrap_or_default());
                row.assignee = now.map(str::to_owned);
                row.assignment = Some(assignment);
                counts.holder_changed += 1;
                out.push(row);
                continue;
            }
        }
        plan_row(
            &mut row,
            input.line,
            assignment,
            &mut counts,
            &mut users,
            &mut accounts,
        );
        out.push(row);
    }
    counts.rows = out.len();
    counts.users = users.len();
    counts.resource_accounts = accounts.len();
    requests += add_names(graph, &mut out, known).await
        + name_changed_holders(graph, &mut out, known).await;
    Ok(Preview {
        kind: OperationKind::Unassign,
        summary: summary(&counts),
        rows: out,
        counts,
        requests,
        read_at: Some(tenant.read_at),
        list_requests: tenant.requests,
    })
}

/// Plans `row` to unassign `assignment` from its holder (the person the row named, when it
/// named one: they are the holder the run checks again right before the POST).
fn plan_row(
    row: &mut PreviewRow,
    line: usize,
    assignment: NumberAssignment,
    counts: &mut PreviewCounts,
    users: &mut HashSet<String>,
    accounts: &mut HashSet<String>,
) {
    let kind = target_kind(&assignment);
    let target = assignment
        .assignment_target_id
        .clone()
        .unwrap_or_default()
        .to_ascii_lowercase();
    match kind {
        TargetKind::User => {
            users.insert(target);
        }
        TargetKind::ResourceAccount => {
            accounts.insert(target);
        }
        TargetKind::Other => counts.other_assignments += 1,
    }
    let mut plan = planned_unassign(line, &assignment);
    if let Some(person) = row.person.as_ref().and_then(|p| p.person.as_ref()) {
        plan.prior_assignee.name = person.name.clone();
        plan.prior_assignee.upn = person.upn.clone();
        row.assignee_name = person.name.clone();
        row.assignee_upn = person.upn.clone();
    }
    row.target = Some(kind);
    row.assignee = assignment.assignment_target_id.clone();
    row.planned = Some(plan);
    row.assignment = Some(assignment);
    counts.to_send += 1;
}

fn count_skip(counts: &mut PreviewCounts, skip: Option<SkipReason>) {
    match skip {
        Some(SkipReason::NoSuchUser) => counts.no_such_user += 1,
        Some(SkipReason::NoNumbers) => counts.no_numbers += 1,
        Some(SkipReason::SeveralPeople) => counts.several_people += 1,
        Some(SkipReason::PersonUnresolved) => counts.people_unresolved += 1,
        Some(SkipReason::PeopleNotPermitted) => counts.people_not_permitted += 1,
        Some(SkipReason::Duplicate) => counts.duplicate += 1,
        _ => {}
    }
}

/// What the directory said about the people of a list.
#[derive(Debug, Default)]
struct PeopleFound {
    resolutions: HashMap<PersonQuery, Resolution>,
    /// Reading users is not permitted (`User.ReadBasic.All`): no person could be looked up.
    not_permitted: bool,
    requests: usize,
}

/// Finds the people `queries` name, in the directory's batches. A refused names permission is
/// an answer (every person row says what to grant; numbers still work), not a failure.
async fn find_people(
    graph: &GraphClient,
    queries: &[PersonQuery],
) -> Result<PeopleFound, crate::graph::GraphError> {
    let mut found = PeopleFound::default();
    if queries.is_empty() {
        return Ok(found);
    }
    let read = match graph.find_people(queries, &CancelToken::new()).await {
        Ok(Some(read)) => read,
        // Not cancelled here; an answer that did not come is no answer about anyone.
        Ok(None) => crate::graph::PeopleRead {
            unresolved: (0..queries.len()).collect(),
            ..Default::default()
        },
        Err(error) if people::names_refused(&error) => {
            found.not_permitted = true;
            return Ok(found);
        }
        Err(error) => return Err(error),
    };
    found.requests = read.requests;
    for (i, query) in queries.iter().enumerate() {
        let matches = read.matches.get(&i).map(Vec::as_slice).unwrap_or_default();
        found.resolutions.insert(
            query.clone(),
            people::resolve(query, matches, read.unresolved.contains(&i)),
        );
    }
    Ok(found)
}

/// The tenant's numbers by holder (object ID, lower case), each holder's in the order a person
/// card lists them: primary, private, alternate, then by number.
fn numbers_by_holder(
    by_number: &HashMap<String, NumberAssignment>,
) -> HashMap<String, Vec<NumberAssignment>> {
    let mut by_holder: HashMap<String, Vec<NumberAssignment>> = HashMap::new();
    for number in by_number.values().filter(|n| n.is_assigned()) {
        if let Some(holder) = number
            .assignment_target_id
            .as_deref()
            .filter(|t| !t.is_empty())
        {
            by_holder
                .entry(holder.to_ascii_lowercase())
                .or_default()
                .push(number.clone());
        }
    }
    let rank = |n: &NumberAssignment| match n.assignment_category.as_deref() {
        Some("primary") => 0,
        Some("private") => 1,
        Some("alternate") => 2,
        _ => 3,
    };
    for numbers in by_holder.values_mut() {
        numbers.sort_by(|a, b| {
            rank(a)
                .cmp(&rank(b))
                .then_with(|| a.telephone_number.cmp(&b.telephone_number))
        });
    }
    by_holder
}

/// The preview rows of an input row that names a person: one per number they hold (not yet
/// checked against the other rows or the history), or one saying why there is none.
/// `duplicate_of`: the line that named the same person first.
fn person_rows(
    mut row: PreviewRow,
    query: &PersonQuery,
    duplicate_of: Option<usize>,
    resolution: Option<Resolution>,
    not_permitted: bool,
    by_holder: &HashMap<String, Vec<NumberAssignment>>,
) -> Vec<PreviewRow> {
    let mut about = PersonRow {
        query: row.raw.clone(),
        outcome: PersonOutcome::NoSuchUser,
        person: None,
        choices: Vec::new(),
        resource_account: false,
        numbers: 0,
        first: true,
    };
    let skipped = |mut row: PreviewRow, about: PersonRow, skip: SkipReason, reason: String| {
        row.skip = Some(skip);
        row.reason = Some(reason);
        row.person = Some(about);
        vec![row]
    };
    if let Some(line) = duplicate_of {
        return skipped(
            row,
            about,
            SkipReason::Duplicate,
            format!("The same person as line {line}; their numbers are listed there."),
        );
    }
    if not_permitted {
        about.outcome = PersonOutcome::NotPermitted;
        return skipped(
            row,
            about,
            SkipReason::PeopleNotPermitted,
            "Not looked up: Microsoft refused NumberDesk the permission to read users (User.ReadBasic.All). Ask a Global Administrator to grant admin consent for it, choose “Ask again” in Settings, then preview the list again. The numbers in the list are not affected.".to_owned(),
        );
    }
    let person = match resolution.unwrap_or(Resolution::Unresolved) {
        Resolution::One(person) => person,
        Resolution::NoSuchUser => {
            return skipped(
                row,
                about,
                SkipReason::NoSuchUser,
                people::no_such_user_text(query),
            );
        }
        Resolution::Several(choices) => {
            about.outcome = PersonOutcome::ChooseOne;
            // The people themselves are listed beside the sentence (`choices`).
            let reason = format!(
                "{} people match “{}”. NumberDesk does not guess: put the user name of the one who is leaving in the list.",
                choices.len(),
                about.query,
            );
            about.choices = choices;
            return skipped(row, about, SkipReason::SeveralPeople, reason);
        }
        Resolution::Unresolved => {
            about.outcome = PersonOutcome::Unresolved;
            return skipped(
                row,
                about,
                SkipReason::PersonUnresolved,
                people::UNRESOLVED_TEXT.to_owned(),
            );
        }
    };
    let held = by_holder
        .get(&person.id.to_ascii_lowercase())
        .map(Vec::as_slice)
        .unwrap_or_default();
    about.numbers = held.len();
    about.resource_account = people::is_resource_account(held);
    if held.is_empty() {
        about.outcome = PersonOutcome::NoNumbers;
        let reason = people::no_numbers_text(&person);
        about.person = Some(person);
        return skipped(row, about, SkipReason::NoNumbers, reason);
    }
    about.outcome = PersonOutcome::Found;
    about.person = Some(person);
    row.person = Some(about);
    held.iter()
        .enumerate()
        .map(|(i, number)| {
            let mut row = row.clone();
            if let Some(about) = row.person.as_mut() {
                about.first = i == 0;
            }
            row.telephone_number = Some(number.telephone_number.clone());
            row.display = Some(crate::phone::display_form(&number.telephone_number));
            row.assignment = Some(number.clone());
            row
        })
        .collect()
}

/// How many distinct assignees a preview names (one `GET /users/{id}` each).
pub const NAME_LOOKUPS: usize = 50;
/// Name lookups at a time.
const NAME_CONCURRENCY: usize = 8;

/// Names the planned rows' users and resource accounts, and writes the names into the rows and
/// their plans (so History shows names too): those in `known` as they are, and the first
/// [`NAME_LOOKUPS`] distinct others read a few at a time. Stops early when a whole round finds
/// no name (the names permission is missing). Returns the requests made. Never fails: a row
/// without a name shows its id.
async fn add_names(graph: &GraphClient, rows: &mut [PreviewRow], known: &KnownNames) -> usize {
    let mut ids: Vec<String> = Vec::new();
    for row in rows.iter() {
        let Some(plan) = &row.planned else { continue };
        let named_kind = matches!(
            plan.prior_assignee.target_kind.as_deref(),
            Some("userAssigned") | Some("voiceApplicationAssigned")
        );
        let named = plan.prior_assignee.name.is_some() || plan.prior_assignee.upn.is_some();
        if let Some(id) = plan
            .prior_assignee
            .id
            .as_ref()
            .filter(|_| named_kind && !named)
        {
            if known.get(id).is_none() && !ids.contains(id) {
                ids.push(id.clone());
            }
        }
        if ids.len() >= NAME_LOOKUPS {
            break;
        }
    }
    let mut names: HashMap<String, DirectoryUser> = HashMap::new();
    let mut requests = 0;
    for round in ids.chunks(NAME_CONCURRENCY) {
        let mut set = tokio::task::JoinSet::new();
        for id in round {
            let graph = graph.clone();
            let id = id.clone();
            set.spawn(async move { graph.user(&id).await.ok().flatten() });
        }
        requests += round.len();
        let mut found = 0;
        while let Some(result) = set.join_next().await {
            if let Ok(Some(user)) = result {
                found += 1;
                names.insert(user.id.clone(), user);
            }
        }
        if found == 0 {
            break;
        }
    }
    for row in rows.iter_mut() {
        let Some(plan) = row.planned.as_mut().filter(|_| row.person.is_none()) else {
            continue;
        };
        let Some(user) = plan
            .prior_assignee
            .id
            .as_ref()
            .and_then(|id| known.get(id).or_else(|| names.get(id)))
        else {
            continue;
        };
        plan.prior_assignee.name = user.display_name.clone();
        plan.prior_assignee.upn = user.user_principal_name.clone();
        row.assignee_name = user.display_name.clone();
        row.assignee_upn = user.user_principal_name.clone();
    }
    requests
}

/// Says, for each row whose number changed hands since the admin chose it, who holds it now
/// and who held it then, by name where NumberDesk has or can read one (the first
/// [`NAME_LOOKUPS`] new holders are read). Returns the requests made.
async fn name_changed_holders(
    graph: &GraphClient,
    rows: &mut [PreviewRow],
    known: &KnownNames,
) -> usize {
    fn name_in(
        known: &KnownNames,
        read: &HashMap<String, Option<String>>,
        id: &str,
    ) -> Option<String> {
        match known.get(id) {
            Some(user) => user
                .display_name
                .clone()
                .or(user.user_principal_name.clone()),
            None => read.get(&id.to_ascii_lowercase()).cloned().flatten(),
        }
    }
    let mut read: HashMap<String, Option<String>> = HashMap::new();
    let mut requests = 0;
    for row in rows
        .iter_mut()
        .filter(|r| r.skip == Some(SkipReason::HolderChanged))
    {
        let seen = row.reason.take().filter(|s| !s.is_empty());
        let now = row.assignee.clone();
        if let Some(id) = now.as_deref() {
            let key = id.to_ascii_lowercase();
            if known.get(id).is_none() && !read.contains_key(&key) && read.len() < NAME_LOOKUPS {
                requests += 1;
                let user = graph.user(id).await.ok().flatten();
                read.insert(
                    key,
                    user.and_then(|u| u.display_name.or(u.user_principal_name)),
                );
            }
        }
        let words = |id: Option<&str>, otherwise: &str| match id {
            Some(id) => name_in(known, &read, id)
                .unwrap_or_else(|| format!("the account with object ID {id}")),
            None => otherwise.to_owned(),
        };
        let now_words = words(now.as_deref(), "another assignment");
        let seen_words = words(seen.as_deref(), "its listed holder");
        row.assignee_name = now.as_deref().and_then(|id| name_in(known, &read, id));
        row.reason = Some(format!(
            "Skipped — now held by {now_words}, not {seen_words} as the Numbers list showed; it will not be changed. Look it up again."
        ));
    }
    requests
}

/// The preview of undoing a batch: every number the batch unassigned, given back to the user or
/// resource account it was taken from. Reads the tenant's numbers once, like [`preview`], so a
/// number assigned again since (by NumberDesk, the admin center or PowerShell) is skipped, not
/// taken from its new owner.
pub async fn undo_preview(
    graph: &GraphClient,
    history: &History,
    telephone_api_available: bool,
    batch_id: &str,
) -> Result<Preview, BulkError> {
    let mut records = history.records_in_batch(batch_id)?;
    records.retain(|r| r.kind == OperationKind::Unassign);
    records.sort_by_key(|r| r.id);
    if records.is_empty() {
        return Err(BulkError::NothingToUndo);
    }
    let tenant = tenant_numbers(graph, telephone_api_available).await?;
    let (by_number, requests) = (&tenant.by_number, tenant.requests);
    let mut counts = PreviewCounts {
        rows: records.len(),
        ..PreviewCounts::default()
    };
    let mut out = Vec::with_capacity(records.len());
    for (index, record) in records.into_iter().enumerate() {
        let line = index + 1;
        let view = RecordView::from(record);
        let record = &view.record;
        let mut row = PreviewRow::new(line, record.telephone_number.clone());
        row.telephone_number = Some(record.telephone_number.clone());
        row.display = Some(view.number_display.clone());
        row.assignee = record.prior_assignee.id.clone();
        row.assignee_name = record.prior_assignee.name.clone();
        row.assignee_upn = record.prior_assignee.upn.clone();
        row.target = record
            .prior_assignee
            .target_kind
            .as_deref()
            .map(kind_of_status);
        let now = by_number.get(&record.telephone_number.to_ascii_lowercase());
        row.assignment = now.cloned();
        let skip = if record.status != RecordStatus::Succeeded {
            Some((
                SkipReason::NotSucceeded,
                format!(
                    "This row ended {}: the number was not taken, so there is nothing to give back.",
                    record.status
                ),
            ))
        } else if !view.can_reassign {
            Some((
                SkipReason::CannotUndo,
                "It was not taken from a user or resource account NumberDesk can name.".to_owned(),
            ))
        } else if now.is_none() {
            counts.not_found += 1;
            Some((
                SkipReason::NotFound,
                format!(
                    "Microsoft no longer has {} in your tenant.",
                    view.number_display
                ),
            ))
        } else if now.is_some_and(NumberAssignment::is_assigned) {
            Some((
                SkipReason::AssignedAgain,
                format!(
                    "{} is assigned again (to {}); it is left as it is.",
                    view.number_display,
                    now.and_then(|n| n.assignment_target_id.clone())
                        .unwrap_or_else(|| "someone".into())
                ),
            ))
        } else if let Some(running) = history.in_flight_for(&record.telephone_number)? {
            row.in_flight_record = Some(running.id);
            counts.in_flight += 1;
            Some((SkipReason::InFlight, in_progress_words(running.id)))
        } else {
            None
        };
        match skip {
            Some((reason, text)) => {
                row.skip = Some(reason);
                row.reason = Some(text);
            }
            None => {
                counts.to_send += 1;
                row.planned = Some(PlannedRow {
                    line,
                    telephone_number: record.telephone_number.clone(),
                    number_type: record.number_type.clone().unwrap_or_default(),
                    prior_assignee: record.prior_assignee.clone(),
                    undo_of: Some(record.id),
                });
            }
        }
        out.push(row);
    }
    let mut preview = Preview {
        kind: OperationKind::Assign,
        rows: out,
        summary: String::new(),
        counts,
        requests,
        read_at: Some(tenant.read_at),
        list_requests: tenant.requests,
    };
    let selection = preview.selection(&HashSet::new());
    preview.counts = selection.counts;
    preview.summary = selection.confirmation;
    Ok(preview)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_summary_reads_like_the_issue() {
        let counts = PreviewCounts {
            rows: 151,
            to_send: 148,
            users: 146,
            resource_accounts: 2,
            ..PreviewCounts::default()
        };
        assert_eq!(
            summary(&counts),
            "148 numbers from 146 users and 2 resource accounts; 3 rows skipped"
        );
        let one = PreviewCounts {
            rows: 1,
            to_send: 1,
            users: 1,
            ..PreviewCounts::default()
        };
        assert_eq!(summary(&one), "1 number from 1 user");
        let mixed = PreviewCounts {
            rows: 4,
            to_send: 4,
            users: 1,
            resource_accounts: 1,
            other_assignments: 2,
            ..PreviewCounts::default()
        };
        assert_eq!(
            summary(&mixed),
            "4 numbers from 1 user, 1 resource account and 2 other assignments"
        );
        assert_eq!(summary(&PreviewCounts::default()), "0 numbers");
        assert_eq!(
            confirmation(OperationKind::Unassign, &counts),
            "Unassign 148 numbers from 146 users and 2 resource accounts"
        );
        assert_eq!(
            confirmation(OperationKind::Assign, &one),
            "Give back 1 number to 1 user"
        );
    }

    fn planned(line: usize, id: &str, kind: &str) -> PreviewRow {
        let mut row = PreviewRow::new(line, format!("+1555010{line:04}"));
        row.planned = Some(PlannedRow {
            line,
            telephone_number: row.raw.clone(),
            number_type: "directRouting".into(),
            prior_assignee: Assignee {
                id: Some(id.into()),
                target_kind: Some(kind.into()),
                ..Assignee::default()
            },
            undo_of: None,
        });
        row
    }

    #[test]
    fn unticked_rows_leave_the_plan_and_the_confirmation() {
        let mut skipped = PreviewRow::new(3, "garbage".into());
        skipped.skip = Some(SkipReason::Invalid);
        let preview = Preview {
            kind: OperationKind::Unassign,
            rows: vec![
                planned(1, "u1", "userAssigned"),
                planned(2, "u1", "userAssigned"),
                skipped,
                planned(4, "r1", "voiceApplicationAssigned"),
                planned(5, "u2", "userAssigned"),
            ],
            counts: PreviewCounts {
                rows: 5,
                to_send: 4,
                invalid: 1,
                ..PreviewCounts::default()
            },
            summary: String::new(),
            requests: 1,
            read_at: None,
            list_requests: 0,
        };
        let all = preview.selection(&HashSet::new());
        assert_eq!(all.plan.len(), 4);
        assert_eq!(
            all.confirmation,
            "Unassign 4 numbers from 2 users and 1 resource account"
        );
        // Unticking the resource account's row and one of u1's; unticking a skipped row
        // changes nothing.
        let some = preview.selection(&HashSet::from([1, 2, 3]));
        let lines: Vec<usize> = some.plan.iter().map(|r| r.line).collect();
        assert_eq!(lines, [1, 5]);
        assert_eq!(some.confirmation, "Unassign 2 numbers from 2 users");
        assert_eq!(some.counts.invalid, 1);
        assert_eq!(
            preview.selection(&HashSet::from([0, 1, 3, 4])).confirmation,
            "Unassign 0 numbers"
        );
    }
}
