//! The precondition of every change: the number is still held as the admin confirmed.
//!
//! `unassignNumber` has no precondition of its own: it takes the number from whoever holds it
//! when it arrives. A lookup, a preview or the Numbers view's kept list is what the admin
//! confirmed, and it may be minutes or days old; meanwhile the number may have been unassigned
//! and given to someone else. So each change carries the holder the admin saw (the record's
//! `prior_assignee`), and right before its POST it is compared with an answer from Microsoft
//! that is at most [`HOLDER_MAX_AGE`] old. A change whose holder differs is not sent.

use crate::graph::NumberAssignment;
use crate::history::{Assignee, OperationKind};
use std::time::{Duration, Instant};

/// How old Microsoft's answer about a number may be when its POST goes out. Older answers are
/// read again first.
pub const HOLDER_MAX_AGE: Duration = Duration::from_secs(60);

/// Microsoft's answer about one number (`None`: the tenant has no such number), and when it
/// was asked for. The time is taken before the request, so the age is never understated.
#[derive(Debug, Clone)]
pub struct Reading {
    pub assignment: Option<NumberAssignment>,
    pub read_at: Instant,
}

impl Reading {
    pub fn is_fresh(&self, max_age: Duration) -> bool {
        self.read_at.elapsed() <= max_age
    }
}

/// Why a change was not sent: the number is no longer held as the admin confirmed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HolderChanged {
    /// Microsoft's entry for the number now; `None`: the tenant no longer has the number.
    pub now: Option<Box<NumberAssignment>>,
}

impl HolderChanged {
    /// The object ID now holding the number, when it is assigned to one.
    pub fn now_holder_id(&self) -> Option<&str> {
        self.now
            .as_ref()
            .filter(|n| n.is_assigned())
            .and_then(|n| n.assignment_target_id.as_deref())
            .filter(|id| !id.is_empty())
    }

    /// Whether the number is in the tenant and assigned to nobody now.
    pub fn now_unassigned(&self) -> bool {
        self.now.as_ref().is_some_and(|n| !n.is_assigned())
    }
}

/// Whether `now` still shows the number as the admin confirmed it for a change of `kind`.
///
/// - Unassign: assigned, to the same object ID (compared without case) and, when the confirmed
///   holder had no object ID (a policy, say), with the same `assignmentStatus` and no ID now.
/// - Assign (undo: give the number back): in the tenant and assigned to nobody.
pub fn check_holder(
    kind: OperationKind,
    confirmed: &Assignee,
    now: Option<&NumberAssignment>,
) -> Result<(), HolderChanged> {
    let holds = match (kind, now) {
        (_, None) => false,
        (OperationKind::Assign, Some(now)) => !now.is_assigned(),
        (OperationKind::Unassign, Some(now)) if !now.is_assigned() => false,
        (OperationKind::Unassign, Some(now)) => {
            let now_id = now
                .assignment_target_id
                .as_deref()
                .filter(|id| !id.is_empty());
            match confirmed.id.as_deref().filter(|id| !id.is_empty()) {
                Some(id) => now_id.is_some_and(|n| n.eq_ignore_ascii_case(id)),
                None => now_id.is_none() && now.assignment_status == confirmed.target_kind,
            }
        }
    };
    if holds {
        Ok(())
    } else {
        Err(HolderChanged {
            now: now.cloned().map(Box::new),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn number(status: &str, target: Option<&str>) -> NumberAssignment {
        serde_json::from_value(serde_json::json!({
            "id": "x",
            "telephoneNumber": "+12065550100",
            "numberType": "directRouting",
            "assignmentStatus": status,
            "assignmentTargetId": target,
        }))
        .unwrap()
    }

    fn held_by(id: Option<&str>, kind: &str) -> Assignee {
        Assignee {
            id: id.map(str::to_owned),
            target_kind: Some(kind.to_owned()),
            ..Assignee::default()
        }
    }

    #[test]
    fn an_unassign_goes_ahead_only_while_the_confirmed_holder_holds_the_number() {
        let adele = held_by(Some("AAAA-1"), "userAssigned");
        let unassign = OperationKind::Unassign;
        let still = number("userAssigned", Some("aaaa-1"));
        assert_eq!(check_holder(unassign, &adele, Some(&still)), Ok(()));
        let bob = number("userAssigned", Some("bbbb-2"));
        let changed = check_holder(unassign, &adele, Some(&bob)).unwrap_err();
        assert_eq!(changed.now_holder_id(), Some("bbbb-2"));
        let free = number("unassigned", None);
        let changed = check_holder(unassign, &adele, Some(&free)).unwrap_err();
        assert!(changed.now_unassigned());
        let gone = check_holder(unassign, &adele, None).unwrap_err();
        assert_eq!(gone.now, None);
        // A holder without an object ID (a policy) must still be that kind of holder.
        let policy = held_by(None, "policyAssigned");
        assert_eq!(
            check_holder(unassign, &policy, Some(&number("policyAssigned", None))),
            Ok(())
        );
        assert!(check_holder(unassign, &policy, Some(&bob)).is_err());
    }

    #[test]
    fn a_give_back_goes_ahead_only_while_the_number_is_free() {
        let adele = held_by(Some("aaaa-1"), "userAssigned");
        let assign = OperationKind::Assign;
        assert_eq!(
            check_holder(assign, &adele, Some(&number("unassigned", None))),
            Ok(())
        );
        assert!(check_holder(
            assign,
            &adele,
            Some(&number("userAssigned", Some("bbbb-2")))
        )
        .is_err());
        assert!(check_holder(assign, &adele, None).is_err());
    }

    #[test]
    fn an_answer_is_fresh_for_the_given_age_only() {
        let now = Reading {
            assignment: None,
            read_at: Instant::now(),
        };
        assert!(now.is_fresh(HOLDER_MAX_AGE));
        let old = Reading {
            assignment: None,
            read_at: Instant::now() - Duration::from_secs(61),
        };
        assert!(!old.is_fresh(HOLDER_MAX_AGE));
    }
}
