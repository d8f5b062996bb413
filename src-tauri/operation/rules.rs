//! What a POST's answer, an operation's status and a lookup *mean* for a record. The single
//! flow (`desk.rs`) and the bulk run (`bulk/run.rs`) schedule differently (a task per record
//! there, a worker pool here) but read Microsoft's answers by these rules, once.

use crate::auth::session::Session;
use crate::cloud::Cloud;
use crate::graph::{
    Accepted, Exchange, GraphError, GraphErrorKind, NumberAssignment, OperationStatus, RemoteStatus,
};
use crate::history::{
    Actor, ErrorFacts, History, HistoryError, OperationKind, OperationRecord, RecordChange,
    RecordError, RecordStatus,
};

// The single flow and the bulk run differ in how they schedule (a task per record here, a
// worker pool there) but must agree on what a POST's answer, an operation's status and a
// lookup *mean* for the record. Those rules live here, once.

/// The signed-in admin, as the history names them.
pub async fn actor_of(session: &dyn Session, cloud: &Cloud) -> Actor {
    let status = session.status().await;
    let account = status.account.unwrap_or_default();
    Actor {
        upn: account.username,
        tenant_id: account.tenant_id,
        cloud: cloud.display_name().to_owned(),
    }
}

/// What one POST came to, as recorded by [`record_post`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PostOutcome {
    /// 202 with a `Location`: follow the operation.
    Accepted,
    /// Accepted (202, or 200/204 as OData answers actions without a return type) with no
    /// operation to follow: settle it by looking the number up.
    AcceptedUnfollowable,
    /// The answer was lost: settle it by looking the number up.
    Unknown,
    /// Microsoft refused it; nothing changed. Settled.
    Rejected,
}

/// Records the answer to a record's one POST (`accepted`, `outcomeUnknown` or `rejected`).
pub fn record_post(
    history: &History,
    telephone_api_available: bool,
    record: &OperationRecord,
    sent: Result<Accepted, GraphError>,
) -> Result<(PostOutcome, OperationRecord), HistoryError> {
    let (outcome, change) = match sent {
        Ok(accepted) => match accepted.location {
            Some(location) => (
                PostOutcome::Accepted,
                RecordChange {
                    status: Some(RecordStatus::Accepted),
                    location: Some(location),
                    request_id: accepted.request_id,
                    response_date: accepted.date,
                    ..Default::default()
                },
            ),
            None => (
                PostOutcome::AcceptedUnfollowable,
                RecordChange {
                    status: Some(RecordStatus::Accepted),
                    status_detail: Some(format!(
                        "Microsoft accepted the change (HTTP {}) but gave no operation to follow, so NumberDesk checks the number until it shows the change.",
                        accepted.status
                    )),
                    request_id: accepted.request_id,
                    response_date: accepted.date,
                    ..Default::default()
                },
            ),
        },
        Err(error) if error.outcome_unknown() => {
            let stored = stored_error(&error, telephone_api_available);
            (
                PostOutcome::Unknown,
                RecordChange {
                    status: Some(RecordStatus::OutcomeUnknown),
                    status_detail: Some(if error.status == Some(504) {
                        "Microsoft's gateway stopped waiting for the service (HTTP 504), so it is not known yet whether the change was made. NumberDesk checks the number instead of sending it again."
                    } else {
                        "The answer from Microsoft was lost, so it is not known yet whether the change was made. NumberDesk checks the number instead of sending it again."
                    }.into()),
                    error: Some(Some(stored)),
                    ..Default::default()
                },
            )
        }
        Err(error) => {
            let stored = stored_error(&error, telephone_api_available);
            (
                PostOutcome::Rejected,
                RecordChange {
                    status: Some(RecordStatus::Rejected),
                    request_id: error.exchange.request_id.clone(),
                    response_date: error.exchange.date.clone(),
                    error: Some(Some(stored)),
                    ..Default::default()
                },
            )
        }
    };
    let record = history.update(record.id, change)?;
    Ok((outcome, record))
}

/// What one read of an operation means for its record.
#[derive(Debug, Clone, PartialEq)]
pub struct OperationReading {
    /// The change to write, if any.
    pub change: Option<RecordChange>,
    /// The record has reached its final status.
    pub settled: bool,
    /// Microsoft's answer contradicts itself (the operation failed while its entry for the
    /// number succeeded): the number's own state decides, by a lookup.
    pub check_by_lookup: bool,
}

/// The status an operation gives its number. The per-number entry
/// (`numbers[].status`, `statusDetail`) is the authority for that number: a change is never
/// called succeeded when its number's entry says otherwise, and an entry still under way keeps
/// the record open even when the operation as a whole says it is done.
pub fn number_status(operation: &OperationStatus) -> (RemoteStatus, Option<String>, bool) {
    let overall = operation.status.clone();
    let Some(entry) = operation.number_entry() else {
        return (overall, operation.detail(), false);
    };
    let detail = entry
        .status_detail
        .clone()
        .filter(|d| !d.trim().is_empty())
        .or_else(|| operation.detail());
    let Some(own) = entry.status.as_deref().map(RemoteStatus::parse) else {
        return (overall, detail, false);
    };
    match (&overall, &own) {
        (_, s) if !s.is_settled() => (own, detail, false),
        (o, _) if !o.is_settled() => (overall, detail, false),
        (RemoteStatus::Succeeded, RemoteStatus::Succeeded) => (own, detail, false),
        // The number's entry failed, was skipped, or said something new: that is its outcome.
        (_, s) if *s != RemoteStatus::Succeeded => (own, detail, false),
        // The operation failed but the number's entry succeeded: ask the number itself.
        _ => (overall, detail, true),
    }
}

/// What an operation read brings to its record.
pub fn read_operation(
    record: &OperationRecord,
    operation: &OperationStatus,
    exchange: &Exchange,
) -> OperationReading {
    let (remote, detail, check_by_lookup) = number_status(operation);
    if check_by_lookup {
        let detail = format!(
            "Microsoft's operation says “{}” but its entry for this number says “succeeded”; NumberDesk checks the number itself.",
            operation.status.as_str()
        );
        let change =
            (record.status_detail.as_deref() != Some(detail.as_str())).then(|| RecordChange {
                status_detail: Some(detail),
                response_date: exchange.date.clone(),
                ..Default::default()
            });
        return OperationReading {
            change,
            settled: false,
            check_by_lookup: true,
        };
    }
    let status = RecordStatus::from_remote(remote.as_str());
    let change =
        (status != record.status || detail != record.status_detail).then(|| RecordChange {
            status: Some(status.clone()),
            status_detail: detail,
            response_date: exchange.date.clone(),
            ..Default::default()
        });
    OperationReading {
        change,
        settled: remote.is_settled(),
        check_by_lookup: false,
    }
}

/// How many refusals in a row (4xx other than 404 and 429) of an operation read make
/// NumberDesk stop reading it and settle the change by looking the number up.
pub const OPERATION_REFUSALS: u32 = 3;

/// An operation read Microsoft refused outright (a 4xx that is not throttling): reading it
/// again is unlikely to help.
pub fn operation_read_refused(error: &GraphError) -> bool {
    matches!(
        error.kind,
        GraphErrorKind::BadRequest | GraphErrorKind::Forbidden | GraphErrorKind::Conflict
    ) && error.status.is_some_and(|s| (400..500).contains(&s))
}

/// Whether a lookup proves the record's change was made.
pub fn lookup_confirms(record: &OperationRecord, found: Option<&NumberAssignment>) -> bool {
    let prior_target = record.prior_assignee.id.clone();
    match record.kind {
        // Gone, or assigned to someone else than before: either way the prior assignee no
        // longer has it. Without a known prior assignee only "not assigned" proves it.
        OperationKind::Unassign => found.is_none_or(|n| {
            !n.is_assigned() || (prior_target.is_some() && n.assignment_target_id != prior_target)
        }),
        OperationKind::Assign => {
            found.is_some_and(|n| n.is_assigned() && n.assignment_target_id == prior_target)
        }
    }
}

/// A record settled by a lookup that shows the change.
pub fn confirmed_by_lookup(kind: OperationKind) -> RecordChange {
    RecordChange {
        status: Some(RecordStatus::Succeeded),
        status_detail: Some(match kind {
            OperationKind::Unassign => {
                "Confirmed by looking the number up: it is no longer assigned.".into()
            }
            OperationKind::Assign => {
                "Confirmed by looking the number up: it is assigned again.".into()
            }
        }),
        error: Some(None),
        ..Default::default()
    }
}

/// A record whose change lookups have not shown yet: `stale`, "not confirmed yet", never
/// "failed". Microsoft may have the change and still be working on it (it accepted it, or its
/// answer was lost), so nothing here says it did not; it frees the number, keeps what is
/// known, and can be checked again.
pub fn not_confirmed(record: &OperationRecord) -> RecordChange {
    let detail = if was_accepted(record) {
        "Microsoft accepted this change, but the number does not show it yet and NumberDesk could not follow Microsoft's operation. It is not counted as failed: NumberDesk keeps checking while it runs, and Check again looks once more."
    } else {
        "Not confirmed yet: Microsoft's answer was lost and the number still shows its previous assignment. Microsoft may not have received the change, or may still be working on it. Choose Check again later, or look the number up before trying again."
    };
    RecordChange {
        status: Some(RecordStatus::Stale),
        status_detail: Some(detail.into()),
        ..Default::default()
    }
}

/// Whether Microsoft answered the record's POST (an accepted change leaves an answer's
/// request ID, date or operation address; a lost answer leaves none of them).
pub fn was_accepted(record: &OperationRecord) -> bool {
    record.status != RecordStatus::OutcomeUnknown
        && (record.request_id.is_some()
            || record.location.is_some()
            || record.response_date.is_some())
}

/// A record found `sending` after the app stopped: it may or may not have left.
pub fn closed_while_sending() -> RecordChange {
    RecordChange {
        status: Some(RecordStatus::OutcomeUnknown),
        status_detail: Some("NumberDesk closed while sending this change; it checks the number instead of sending it again.".into()),
        ..Default::default()
    }
}

/// What a history record keeps of a failed Graph call: facts (its kind, status, Graph's code
/// and message, the request ID, whether the cloud offers the API), never words. The words are
/// made when a view is built (`crate::problem::records`), so a record and a live problem
/// never say the same thing differently, and better words reach old records too.
pub fn stored_error(error: &GraphError, telephone_api_available: bool) -> RecordError {
    RecordError {
        kind: error.kind.name().to_owned(),
        message: String::new(),
        hint: None,
        request_id: error.exchange.request_id.clone(),
        facts: Some(ErrorFacts {
            status: error.status,
            code: error.code.clone(),
            graph_message: error.graph_message.clone(),
            detail: error.detail.clone(),
            cloud_lacks_api: !telephone_api_available,
        }),
    }
}

/// The one sentence for a number whose change is still on its way (History #`record_id`):
/// nothing is sent for it until that one finishes.
pub fn in_progress_words(record_id: i64) -> String {
    format!(
        "A change for this number is already in progress (History #{record_id}); nothing is sent for it until that one finishes."
    )
}

/// The person or account as the admin knows them: name, else UPN, else object ID.
pub fn assignee_words(assignee: &crate::history::Assignee) -> Option<String> {
    assignee
        .name
        .clone()
        .or_else(|| assignee.upn.clone())
        .or_else(|| assignee.id.clone())
}

/// Why a change was not sent: "Skipped — now held by Bob Smith, not Adele Vance; nothing was
/// changed. Look it up again." `now_named`: the new holder's name, when it could be read.
pub fn not_sent_detail(
    kind: OperationKind,
    confirmed: &crate::history::Assignee,
    changed: &super::HolderChanged,
    now_named: Option<&str>,
) -> String {
    let before = assignee_words(confirmed).unwrap_or_else(|| "its previous holder".to_owned());
    let now = now_named.map(str::to_owned).or_else(|| {
        changed
            .now_holder_id()
            .map(|id| format!("the account with object ID {id}"))
    });
    match (kind, now) {
        (_, _) if changed.now.is_none() => "Skipped — Microsoft no longer lists this number in your tenant; nothing was changed.".to_owned(),
        (OperationKind::Unassign, Some(now)) => format!(
            "Skipped — now held by {now}, not {before}; nothing was changed. Look it up again."
        ),
        (OperationKind::Unassign, None) if changed.now_unassigned() => format!(
            "Skipped — {before} no longer holds it and nobody does now; nothing was changed."
        ),
        (OperationKind::Unassign, None) => format!(
            "Skipped — it is no longer held by {before} as confirmed; nothing was changed. Look it up again."
        ),
        (OperationKind::Assign, Some(now)) => format!(
            "Skipped — now held by {now}, so it was not given back to {before}. Look it up again."
        ),
        (OperationKind::Assign, None) => format!(
            "Skipped — the number changed since it was checked, so it was not given back to {before}. Look it up again."
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn operation(value: serde_json::Value) -> OperationStatus {
        OperationStatus::from_json(value).unwrap()
    }

    #[test]
    fn the_numbers_entry_decides_its_outcome() {
        // Succeeded overall, failed for the number: failed, with the number's detail.
        let (status, detail, ask) = number_status(&operation(json!({"status":"succeeded",
            "numbers":[{"status":"failed","statusDetail":"Carrier said no"}]})));
        assert_eq!(status, RemoteStatus::Failed);
        assert_eq!(detail.as_deref(), Some("Carrier said no"));
        assert!(!ask);
        // Done overall, the number still running: still running.
        let (status, _, _) = number_status(&operation(
            json!({"status":"succeeded","numbers":[{"status":"running"}]}),
        ));
        assert_eq!(status, RemoteStatus::Running);
        // Failed overall, succeeded for the number: ask the number.
        let (_, _, ask) = number_status(&operation(
            json!({"status":"failed","numbers":[{"status":"succeeded"}]}),
        ));
        assert!(ask);
        // A word Microsoft adds later for the number is its outcome, not success.
        let (status, _, _) = number_status(&operation(
            json!({"status":"succeeded","numbers":[{"status":"unknownFutureValue"}]}),
        ));
        assert_eq!(status, RemoteStatus::Other("unknownFutureValue".into()));
        // No entry: the operation speaks.
        let (status, _, _) = number_status(&operation(json!({"status":"succeeded"})));
        assert_eq!(status, RemoteStatus::Succeeded);
        // Both agree.
        let (status, _, ask) = number_status(&operation(
            json!({"status":"succeeded","numbers":[{"status":"succeeded"}]}),
        ));
        assert_eq!((status, ask), (RemoteStatus::Succeeded, false));
    }
}
