//! The preview of a bulk unassign: every input row normalised, matched against the tenant's
//! numbers, and either planned or skipped with a reason, before anything is sent.
//!
//! Why one listing and not a lookup per row: a list of 5,000 numbers would otherwise be 5,000
//! requests (10,000 with a name read per assignee) before the admin has even confirmed, and the
//! run itself needs the rate. The tenant's numbers are read once in pages of 1,000
//! ([`GraphClient::list_numbers`]) and matched here; a tenant with 20,000 numbers costs 20
//! requests whatever the list holds. Assignee names are left out for the same reason: the
//! preview shows object ids, and the history keeps them so an undo still works.
//!
//! The number type for each POST comes from this listing, never from the file.

use crate::desk::history_problem;
use crate::graph::{GraphClient, NumberAssignment};
use crate::history::{Assignee, History};
use crate::problem::Problem;
use crate::vault::SecretStore;
use serde::Serialize;
use std::collections::{HashMap, HashSet};

use super::input::InputRow;

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
}

/// The figures above the preview table.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PreviewCounts {
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
}

/// The whole preview.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Preview {
    pub rows: Vec<PreviewRow>,
    pub counts: PreviewCounts,
    /// "148 numbers from 146 users and 2 resource accounts; 3 rows skipped".
    pub summary: String,
    /// Graph requests the preview took.
    pub requests: usize,
}

/// One number the run will unassign.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PlannedRow {
    pub line: usize,
    pub telephone_number: String,
    pub number_type: String,
    pub prior_assignee: Assignee,
}

impl Preview {
    /// The rows to send, in input order.
    pub fn plan(&self) -> Vec<PlannedRow> {
        self.rows
            .iter()
            .filter(|row| row.skip.is_none())
            .filter_map(|row| {
                let a = row.assignment.as_ref()?;
                Some(PlannedRow {
                    line: row.line,
                    telephone_number: a.telephone_number.clone(),
                    number_type: a.number_type.clone(),
                    prior_assignee: Assignee {
                        id: a.assignment_target_id.clone().filter(|t| !t.is_empty()),
                        name: None,
                        upn: None,
                        target_kind: Some(a.assignment_status.clone()),
                        category: a.assignment_category.clone(),
                        location_id: a.location_id.clone(),
                    },
                })
            })
            .collect()
    }
}

fn target_kind(assignment: &NumberAssignment) -> TargetKind {
    match assignment.assignment_status.as_str() {
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
    let mut text = plural(counts.to_send, "number", "numbers");
    if let Some((last, rest)) = from.split_last() {
        text.push_str(" from ");
        if !rest.is_empty() {
            text.push_str(&rest.join(", "));
            text.push_str(" and ");
        }
        text.push_str(last);
    }
    let skipped = counts.rows - counts.to_send;
    if skipped > 0 {
        text.push_str(&format!("; {} skipped", plural(skipped, "row", "rows")));
    }
    text
}

/// Reads the tenant's numbers once and classifies every row. Sends nothing that changes
/// anything.
pub async fn preview<S: SecretStore + 'static>(
    graph: &GraphClient<S>,
    history: &History,
    telephone_api_available: bool,
    rows: &[InputRow],
) -> Result<Preview, Problem> {
    let (numbers, requests) = graph
        .list_numbers()
        .await
        .map_err(|e| e.to_problem(telephone_api_available))?;
    let by_number: HashMap<String, NumberAssignment> = numbers
        .into_iter()
        .map(|n| (n.telephone_number.to_ascii_lowercase(), n))
        .collect();
    let mut counts = PreviewCounts {
        rows: rows.len(),
        ..PreviewCounts::default()
    };
    let mut users = HashSet::new();
    let mut accounts = HashSet::new();
    let mut out = Vec::with_capacity(rows.len());
    for input in rows {
        let mut row = PreviewRow {
            line: input.line,
            raw: input.raw.clone(),
            telephone_number: None,
            display: None,
            assignment: None,
            target: None,
            skip: None,
            reason: None,
            in_flight_record: None,
        };
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
        if let Some(running) = history
            .in_flight_for(&assignment.telephone_number)
            .map_err(history_problem)?
        {
            row.skip = Some(SkipReason::InFlight);
            row.reason = Some(format!(
                "A change for this number is already in progress (History #{}).",
                running.id
            ));
            row.in_flight_record = Some(running.id);
            row.assignment = Some(assignment);
            counts.in_flight += 1;
            out.push(row);
            continue;
        }
        let kind = target_kind(&assignment);
        let target = assignment.assignment_target_id.clone().unwrap_or_default();
        match kind {
            TargetKind::User => {
                users.insert(target);
            }
            TargetKind::ResourceAccount => {
                accounts.insert(target);
            }
            TargetKind::Other => counts.other_assignments += 1,
        }
        row.target = Some(kind);
        row.assignment = Some(assignment);
        counts.to_send += 1;
        out.push(row);
    }
    counts.users = users.len();
    counts.resource_accounts = accounts.len();
    Ok(Preview {
        summary: summary(&counts),
        rows: out,
        counts,
        requests,
    })
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
    }
}
