//! Numbers on leavers: numbers assigned **to users** whose account is disabled, deleted, or
//! does not resolve at all (a "ghost": neither a user nor a resource account nor a deleted
//! user), and optionally users who lost their Teams Phone licence (no working `MCOEV` plan).
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
    CancelToken, DirectoryAccount, GraphClient, GraphError, GraphErrorKind, UserDetail,
};
use crate::problem::Problem;
use serde::Serialize;
use std::collections::{HashMap, HashSet};

/// `servicePlanId` of Teams Phone Standard (`MCOEV`).
pub const TEAMS_PHONE_PLAN_ID: &str = "4828c8ec-dc2e-4779-b502-87ac9ce28ab7";

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
            LeaverReason::Unlicensed => "The account has no working Teams Phone licence (MCOEV).",
        }
    }
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
}

/// What the lens found.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LeaversReport {
    pub leavers: Vec<Leaver>,
    pub counts: LeaverCounts,
    /// Distinct users whose numbers were checked.
    pub assignees_checked: usize,
    /// HTTP requests the lens took.
    pub requests: usize,
    /// `true` when `User.Read.All` was available (disabled/deleted/unlicensed were checked).
    pub complete: bool,
    /// Without `User.Read.All`: what to grant.
    pub missing_permission: Option<Problem>,
}

/// Whether a failed full read means "User.Read.All is missing".
fn directory_refused(error: &GraphError) -> bool {
    match error.kind {
        GraphErrorKind::Forbidden => true,
        GraphErrorKind::SignIn => error
            .session_error()
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
    let (accounts, deleted, complete, missing_permission) =
        match graph.users_by_ids(&ids, UserDetail::Full, cancel).await {
            Ok(None) => return Ok(None),
            Ok(Some(read)) => {
                requests += read.requests;
                let deleted = match graph.deleted_users(cancel).await {
                    Ok(None) => return Ok(None),
                    Ok(Some((deleted, n))) => {
                        requests += n;
                        deleted
                    }
                    Err(e) => return Err(problem(e)),
                };
                (read.accounts, deleted, true, None)
            }
            Err(e) if directory_refused(&e) => {
                match graph.users_by_ids(&ids, UserDetail::Basic, cancel).await {
                    Ok(None) => return Ok(None),
                    Ok(Some(read)) => {
                        requests += read.requests;
                        (
                            read.accounts,
                            Vec::new(),
                            false,
                            Some(Problem::from(&SessionError::DirectoryNotPermitted)),
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
    let deleted: HashMap<String, DirectoryAccount> = deleted
        .into_iter()
        .map(|d| (d.id.to_ascii_lowercase(), d))
        .collect();
    let mut leavers = Vec::new();
    let mut counts = LeaverCounts::default();
    for row in on_users {
        let Some(id) = row.assignee_id.as_deref() else {
            continue;
        };
        let key = id.to_ascii_lowercase();
        let mut row = row.clone();
        let reason = match accounts.get(&key) {
            Some(account) => {
                row.assignee_name = row.assignee_name.or(account.display_name.clone());
                row.assignee_upn = row.assignee_upn.or(account.user_principal_name.clone());
                if !complete {
                    None
                } else if account.account_enabled == Some(false) {
                    Some(LeaverReason::Disabled)
                } else if options.include_unlicensed
                    && !account.has_working_plan(TEAMS_PHONE_PLAN_ID)
                {
                    Some(LeaverReason::Unlicensed)
                } else {
                    None
                }
            }
            None if !complete => Some(LeaverReason::NotAUser),
            None => match deleted.get(&key) {
                Some(gone) => {
                    row.assignee_name = row.assignee_name.or(gone.display_name.clone());
                    row.assignee_upn = row.assignee_upn.or(gone.user_principal_name.clone());
                    Some(LeaverReason::Deleted)
                }
                None => Some(LeaverReason::Ghost),
            },
        };
        let Some(reason) = reason else { continue };
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
    Ok(Some(LeaversReport {
        leavers,
        counts,
        assignees_checked: ids.len(),
        requests,
        complete,
        missing_permission,
    }))
}
