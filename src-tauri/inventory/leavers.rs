//! Numbers on leavers: numbers assigned **to users** whose account is disabled, deleted, or
//! does not resolve at all (a "ghost": neither a user nor a resource account nor a deleted
//! user), and optionally users who lost their Teams Phone licence (no working Teams Phone
//! service plan: see [`TEAMS_PHONE_PLANS`]).
//!
//! Only on positive evidence. A number is listed because Microsoft's answer says so
//! (`accountEnabled: false`, the id among the deleted users, an answer that lists the id's
//! neighbours and not it, Teams Phone plans that are all `Suspended`, `Deleted` or
//! `LockedOut`), never because an answer was missing or unreadable. An assignee the reads
//! could not tell about is reported apart, as "could not be checked" ([`Unchecked`]), and is
//! not in the list that "Unassign all listed…" takes. When the deleted users could not all
//! be read, a user who is not in the directory is "not a user" (true either way), not a
//! ghost (which would claim they are not among the deleted either).
//!
//! Resource accounts are disabled in Entra by design, so numbers on them (`voiceApplicationAssigned`)
//! are never looked at. Conference bridges and policies are not users either.
//!
//! Reading `accountEnabled`, licences and deleted users needs `User.Read.All`, asked for only
//! here (the session's directory token). Without it the lens still lists what
//! `User.ReadBasic.All` can tell: ids that are no user (deleted or gone; the two cannot be told
//! apart without `User.Read.All`), and says what to grant.

use super::{AssignmentKind, InventoryError, InventoryRow};
use crate::auth::session::SessionError;
use crate::graph::{
    AccountPlan, CancelToken, DeletedUsers, DirectoryAccount, GraphClient, GraphError,
    GraphErrorKind, UserDetail,
};
use serde::Serialize;
use std::collections::{HashMap, HashSet};

/// The service plans (name, `servicePlanId`) that give a user Teams Phone, from Microsoft's
/// "Product names and service plan identifiers for licensing" (Microsoft Entra documentation,
/// the copy last updated October 29, 2025). A plan is recognised by its id, never by its
/// `service` name: every one of these, and other plans such as Skype for Business Online
/// (Plan 2), have the service `MicrosoftCommunicationsOnline`.
///
/// - `MCOEV` ("Microsoft 365 Phone System"): what "Microsoft Teams Phone Standard" gives, and
///   also its editions for Faculty, Students, Telstra, GCC High (`MCOEV_GCCHIGH`,
///   `MCOEV_USGOV_GCCHIGH`) and DoD (`MCOEV_DOD`, `MCOEV_USGOV_DOD`): those SKUs all carry this
///   same plan. Bundles that include Teams Phone (Microsoft 365 E5, Office 365 A5, Teams Rooms
///   Standard/Pro, Teams Shared Devices) carry it too.
/// - `MCOEV_GOV` ("Microsoft 365 Phone System for Government"): "Microsoft Teams Phone
///   Standard for GCC" and the GCC bundles (Teams Rooms and Shared Devices for GCC).
/// - `MCOEVSMB` ("Skype for Business Cloud PBX for Small and Medium Business"): "Microsoft
///   Teams Phone Standard for Small and Medium Business" (`MCOEVSMB_1`).
///
/// Not counted: `MCOEV_VIRTUALUSER` (f47330e9-…) and `MCOEV_VIRTUALUSER_GOV` (0628a73f-…),
/// the Teams Phone Resource Account plans. They license resource accounts, whose numbers the
/// lens never looks at; on a person they do not give Teams Phone.
pub const TEAMS_PHONE_PLANS: &[(&str, &str)] = &[
    ("MCOEV", "4828c8ec-dc2e-4779-b502-87ac9ce28ab7"),
    ("MCOEV_GOV", "db23fce2-a974-42ef-9002-d78dd42a0f22"),
    ("MCOEVSMB", "ed777b71-af04-42ca-9798-84344c66f7c6"),
];

/// What a user's `assignedPlans` say about Teams Phone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TeamsPhoneLicence {
    /// A Teams Phone plan is `Enabled`, or in `Warning`: the subscription lapsed and is in
    /// its grace period, but the service still runs, so the person is still licensed.
    Working,
    /// Teams Phone plans, if any, are all `Suspended`, `Deleted` or `LockedOut`: none runs.
    NotWorking,
    /// The answer cannot tell: `assignedPlans` was not given, or a plan that is (or may be)
    /// Teams Phone has a status this list does not know (or none).
    Unknown,
}

fn is_teams_phone_plan(id: &str) -> bool {
    TEAMS_PHONE_PLANS
        .iter()
        .any(|(_, known)| known.eq_ignore_ascii_case(id))
}

/// Whether `plan` may be a Teams Phone plan though its id is missing: its service says it
/// is a Teams calling plan of some kind, or says nothing.
fn may_be_teams_phone(plan: &AccountPlan) -> bool {
    plan.service_plan_id.is_none()
        && plan
            .service
            .as_deref()
            .is_none_or(|s| s.eq_ignore_ascii_case("MicrosoftCommunicationsOnline"))
}

/// What `account`'s `assignedPlans` say about Teams Phone (see [`TEAMS_PHONE_PLANS`]).
pub fn teams_phone_licence(account: &DirectoryAccount) -> TeamsPhoneLicence {
    let Some(plans) = &account.assigned_plans else {
        return TeamsPhoneLicence::Unknown;
    };
    let mut unknown = false;
    for plan in plans {
        let teams_phone = plan
            .service_plan_id
            .as_deref()
            .is_some_and(is_teams_phone_plan);
        if !teams_phone && !may_be_teams_phone(plan) {
            continue;
        }
        match plan.capability_status.as_deref() {
            Some("Enabled") | Some("Warning") if teams_phone => return TeamsPhoneLicence::Working,
            Some("Suspended") | Some("Deleted") | Some("LockedOut") => {}
            _ => unknown = true,
        }
    }
    if unknown {
        TeamsPhoneLicence::Unknown
    } else {
        TeamsPhoneLicence::NotWorking
    }
}

/// Why a number is on the leavers list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum LeaverReason {
    /// `accountEnabled` is false.
    Disabled,
    /// The user is in the directory's deleted items (recycle bin, 30 days).
    Deleted,
    /// No user, resource account or deleted user has this id.
    Ghost,
    /// Without `User.Read.All`: no user has this id (deleted, or gone for good).
    NotAUser,
    /// No working Teams Phone (`MCOEV`) plan (only when asked for).
    Unlicensed,
}

impl LeaverReason {
    pub fn as_str(self) -> &'static str {
        match self {
            LeaverReason::Disabled => "disabled",
            LeaverReason::Deleted => "deleted",
            LeaverReason::Ghost => "ghost",
            LeaverReason::NotAUser => "notAUser",
            LeaverReason::Unlicensed => "unlicensed",
        }
    }

    /// The sentence the lens and the report show.
    pub fn explanation(self) -> &'static str {
        match self {
            LeaverReason::Disabled => "The account is disabled.",
            LeaverReason::Deleted => "The account was deleted (it is in the directory's deleted items).",
            LeaverReason::Ghost => "No user, resource account or deleted user has this object ID: the number points at nothing.",
            LeaverReason::NotAUser => "No user has this object ID: the account was deleted, or never existed here.",
            LeaverReason::Unlicensed => "The account has no working Teams Phone licence: its Teams Phone plan is missing, suspended, deleted or locked out.",
        }
    }
}

/// Why an assignee could not be checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum UncheckedReason {
    /// Microsoft's answer about the account was incomplete or could not be read.
    DirectoryAnswer,
    /// The account was read, but not its licences (only when unlicensed users are asked for).
    Licence,
}

impl UncheckedReason {
    pub fn as_str(self) -> &'static str {
        match self {
            UncheckedReason::DirectoryAnswer => "directoryAnswer",
            UncheckedReason::Licence => "licence",
        }
    }

    /// The sentence the lens shows.
    pub fn explanation(self) -> &'static str {
        match self {
            UncheckedReason::DirectoryAnswer => "Microsoft's answer about this account was incomplete or could not be read, so NumberDesk cannot tell whether the person has left. Check again later; if it stays, look the account up in the Microsoft 365 admin center.",
            UncheckedReason::Licence => "Microsoft's answer did not show this account's licences clearly, so NumberDesk cannot tell whether Teams Phone is still licensed. Check the account's licences in the Microsoft 365 admin center.",
        }
    }
}

/// One number whose holder could not be checked: not a leaver, and not taken by "Unassign
/// all listed…".
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Unchecked {
    pub row: InventoryRow,
    pub reason: UncheckedReason,
    pub explanation: &'static str,
}

/// What the lens asks for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LeaverOptions {
    /// Also list users whose Teams Phone licence is gone.
    pub include_unlicensed: bool,
}

/// One number on a leaver.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Leaver {
    pub row: InventoryRow,
    pub reason: LeaverReason,
    pub explanation: &'static str,
}

/// Counts for the tab and the lens.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LeaverCounts {
    pub numbers: usize,
    pub disabled: usize,
    pub deleted: usize,
    pub ghost: usize,
    pub not_a_user: usize,
    pub unlicensed: usize,
    /// Numbers whose holder could not be checked (not in `numbers`).
    pub unchecked: usize,
}

/// What the lens found.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LeaversReport {
    pub leavers: Vec<Leaver>,
    /// Numbers whose holder could not be checked: listed apart, never as leavers.
    pub unchecked: Vec<Unchecked>,
    pub counts: LeaverCounts,
    /// Distinct users whose numbers were checked.
    pub assignees_checked: usize,
    /// Distinct users who could not be checked.
    pub assignees_unchecked: usize,
    /// `false` when the deleted users could not all be read (more than NumberDesk reads, or
    /// an answer it could not read): users not in the directory are then "not a user", as
    /// nobody can say whether they are deleted or gone for good.
    pub deleted_users_complete: bool,
    /// HTTP requests the lens took.
    pub requests: usize,
    /// `true` when `User.Read.All` was available (disabled/deleted/unlicensed were checked).
    pub complete: bool,
    /// `User.Read.All` is not granted, so only what `User.ReadBasic.All` tells was checked;
    /// the boundary says what to grant.
    pub directory_not_permitted: bool,
}

/// Whether a failed full read means "User.Read.All is missing".
fn directory_refused(error: &GraphError) -> bool {
    match error.kind {
        GraphErrorKind::Forbidden => true,
        GraphErrorKind::SignIn => error
            .token_error()
            .and_then(|e| e.downcast_ref::<SessionError>())
            .is_some_and(SessionError::is_directory_refused),
        _ => false,
    }
}

/// Classifies the numbers in `rows` (the kept or just-read inventory). `Ok(None)` when
/// cancelled. `telephone_api_available` as for every Graph problem.
pub async fn find_leavers(
    graph: &GraphClient,
    rows: &[InventoryRow],
    options: LeaverOptions,
    telephone_api_available: bool,
    cancel: &CancelToken,
) -> Result<Option<LeaversReport>, InventoryError> {
    let on_users: Vec<&InventoryRow> = rows
        .iter()
        .filter(|r| r.assignment == AssignmentKind::User && r.assignee_id.is_some())
        .collect();
    let ids: Vec<String> = {
        let mut seen = HashSet::new();
        on_users
            .iter()
            .filter_map(|r| r.assignee_id.clone())
            .filter(|id| seen.insert(id.to_ascii_lowercase()))
            .collect()
    };
    let problem = InventoryError::graph(telephone_api_available);
    let mut requests = 0;
    // The deleted users are read beside the batches (one more round trip otherwise); when
    // the full read is refused, its answer is not used.
    let (users, deleted) = tokio::join!(
        graph.users_by_ids(&ids, UserDetail::Full, cancel),
        graph.deleted_users(cancel)
    );
    let (read, deleted, complete, directory_not_permitted) = match users {
        Ok(None) => return Ok(None),
        Ok(Some(read)) => {
            requests += read.requests;
            let deleted = match deleted {
                Ok(None) => return Ok(None),
                Ok(Some(deleted)) => {
                    requests += deleted.requests;
                    deleted
                }
                Err(e) => return Err(problem(e)),
            };
            (read, deleted, true, false)
        }
        Err(e) if directory_refused(&e) => {
            match graph.users_by_ids(&ids, UserDetail::Basic, cancel).await {
                Ok(None) => return Ok(None),
                Ok(Some(read)) => {
                    requests += read.requests;
                    (
                        read,
                        DeletedUsers {
                            complete: false,
                            ..DeletedUsers::default()
                        },
                        false,
                        true,
                    )
                }
                Err(e) if directory_refused(&e) || e.kind == GraphErrorKind::SignIn => {
                    return Err(InventoryError::LeaversNotPermitted)
                }
                Err(e) => return Err(problem(e)),
            }
        }
        Err(e) => return Err(problem(e)),
    };
    let deleted_users_complete = deleted.complete;
    let deleted: HashMap<String, DirectoryAccount> = deleted
        .accounts
        .into_iter()
        .map(|d| (d.id.to_ascii_lowercase(), d))
        .collect();
    let accounts = read.accounts;
    let unresolved = read.unresolved;
    let mut leavers = Vec::new();
    let mut unchecked = Vec::new();
    let mut unchecked_ids = HashSet::new();
    let mut counts = LeaverCounts::default();
    for row in on_users {
        let Some(id) = row.assignee_id.as_deref() else {
            continue;
        };
        let key = id.to_ascii_lowercase();
        let mut row = row.clone();
        let verdict = match accounts.get(&key) {
            Some(account) => {
                row.assignee_name = row.assignee_name.or(account.display_name.clone());
                row.assignee_upn = row.assignee_upn.or(account.user_principal_name.clone());
                if !complete {
                    Verdict::Active
                } else {
                    match account.account_enabled {
                        Some(false) => Verdict::Leaver(LeaverReason::Disabled),
                        None => Verdict::Unchecked(UncheckedReason::DirectoryAnswer),
                        Some(true) if !options.include_unlicensed => Verdict::Active,
                        Some(true) => match teams_phone_licence(account) {
                            TeamsPhoneLicence::Working => Verdict::Active,
                            TeamsPhoneLicence::NotWorking => {
                                Verdict::Leaver(LeaverReason::Unlicensed)
                            }
                            TeamsPhoneLicence::Unknown => {
                                Verdict::Unchecked(UncheckedReason::Licence)
                            }
                        },
                    }
                }
            }
            // The answer about this id could not be read: no evidence either way.
            None if unresolved.contains(&key) => {
                Verdict::Unchecked(UncheckedReason::DirectoryAnswer)
            }
            None if !complete => Verdict::Leaver(LeaverReason::NotAUser),
            None => match deleted.get(&key) {
                Some(gone) => {
                    row.assignee_name = row.assignee_name.or(gone.display_name.clone());
                    row.assignee_upn = row.assignee_upn.or(gone.user_principal_name.clone());
                    Verdict::Leaver(LeaverReason::Deleted)
                }
                None if deleted_users_complete => Verdict::Leaver(LeaverReason::Ghost),
                // Not a user, and maybe among the deleted users not read.
                None => Verdict::Leaver(LeaverReason::NotAUser),
            },
        };
        let reason = match verdict {
            Verdict::Active => continue,
            Verdict::Unchecked(reason) => {
                unchecked_ids.insert(key);
                unchecked.push(Unchecked {
                    row,
                    reason,
                    explanation: reason.explanation(),
                });
                continue;
            }
            Verdict::Leaver(reason) => reason,
        };
        match reason {
            LeaverReason::Disabled => counts.disabled += 1,
            LeaverReason::Deleted => counts.deleted += 1,
            LeaverReason::Ghost => counts.ghost += 1,
            LeaverReason::NotAUser => counts.not_a_user += 1,
            LeaverReason::Unlicensed => counts.unlicensed += 1,
        }
        leavers.push(Leaver {
            row,
            reason,
            explanation: reason.explanation(),
        });
    }
    counts.numbers = leavers.len();
    counts.unchecked = unchecked.len();
    Ok(Some(LeaversReport {
        leavers,
        unchecked,
        counts,
        assignees_checked: ids.len() - unchecked_ids.len(),
        assignees_unchecked: unchecked_ids.len(),
        deleted_users_complete,
        requests,
        complete,
        directory_not_permitted,
    }))
}

/// What the reads say about one assignee.
enum Verdict {
    /// Not a leaver, on the evidence.
    Active,
    Leaver(LeaverReason),
    Unchecked(UncheckedReason),
}

#[cfg(test)]
mod tests {
    use super::*;

    fn account(plans: Option<Vec<(&str, &str)>>) -> DirectoryAccount {
        DirectoryAccount {
            id: "a".into(),
            display_name: None,
            user_principal_name: None,
            mail: None,
            account_enabled: Some(true),
            assigned_plans: plans.map(|plans| {
                plans
                    .into_iter()
                    .map(|(id, status)| AccountPlan {
                        service: Some("MicrosoftCommunicationsOnline".into()),
                        service_plan_id: Some(id.into()),
                        capability_status: Some(status.into()),
                    })
                    .collect()
            }),
        }
    }

    const MCOEV: &str = "4828c8ec-dc2e-4779-b502-87ac9ce28ab7";
    const MCOEV_GOV: &str = "db23fce2-a974-42ef-9002-d78dd42a0f22";
    const MCOEVSMB: &str = "ed777b71-af04-42ca-9798-84344c66f7c6";
    const MCOEV_VIRTUALUSER: &str = "f47330e9-c134-43b3-9993-e7f004506889";
    const TEAMS1: &str = "57ff2da0-773e-42df-b2af-ffb7a2317929";

    #[test]
    fn every_teams_phone_plan_counts_when_enabled_or_in_its_grace_period() {
        for id in [MCOEV, MCOEV_GOV, MCOEVSMB, &MCOEV.to_ascii_uppercase()] {
            for status in ["Enabled", "Warning"] {
                assert_eq!(
                    teams_phone_licence(&account(Some(vec![(id, status)]))),
                    TeamsPhoneLicence::Working,
                    "{id} {status}"
                );
            }
        }
    }

    #[test]
    fn a_teams_phone_plan_suspended_deleted_or_locked_out_does_not_count() {
        for status in ["Suspended", "Deleted", "LockedOut"] {
            assert_eq!(
                teams_phone_licence(&account(Some(vec![(TEAMS1, "Enabled"), (MCOEV, status)]))),
                TeamsPhoneLicence::NotWorking,
                "{status}"
            );
        }
        // One working plan is enough, whatever the others say.
        assert_eq!(
            teams_phone_licence(&account(Some(vec![
                (MCOEV, "Deleted"),
                (MCOEV_GOV, "Enabled")
            ]))),
            TeamsPhoneLicence::Working
        );
    }

    #[test]
    fn no_teams_phone_plan_at_all_is_not_working_and_a_resource_account_plan_is_not_teams_phone() {
        assert_eq!(
            teams_phone_licence(&account(Some(vec![]))),
            TeamsPhoneLicence::NotWorking
        );
        assert_eq!(
            teams_phone_licence(&account(Some(vec![
                (TEAMS1, "Enabled"),
                (MCOEV_VIRTUALUSER, "Enabled")
            ]))),
            TeamsPhoneLicence::NotWorking
        );
    }

    #[test]
    fn plans_not_given_or_a_status_not_known_cannot_be_told() {
        assert_eq!(
            teams_phone_licence(&account(None)),
            TeamsPhoneLicence::Unknown
        );
        assert_eq!(
            teams_phone_licence(&account(Some(vec![(MCOEV, "PendingActivation")]))),
            TeamsPhoneLicence::Unknown
        );
        let mut no_id = account(Some(vec![(MCOEV, "Deleted")]));
        if let Some(plans) = no_id.assigned_plans.as_mut() {
            plans.push(AccountPlan {
                service: Some("MicrosoftCommunicationsOnline".into()),
                service_plan_id: None,
                capability_status: Some("Enabled".into()),
            });
        }
        assert_eq!(teams_phone_licence(&no_id), TeamsPhoneLicence::Unknown);
    }
}
