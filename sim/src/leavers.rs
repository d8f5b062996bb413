//! People who have left, as a real tenant has them months after an offboarding: accounts
//! disabled but still holding a number, deleted accounts (in the 30-day recycle bin) whose number
//! was never taken back, numbers that point at an object nobody has any more (a "ghost", as in
//! office-docs-powershell issue 9432), and a user whose Teams Phone licence was removed first
//! (CIPP issue 4632: the number must come off before the licence does).
//!
//! The demo tenant gets a handful of each so that the leavers lens has something to find;
//! resource accounts are disabled too (Entra creates them so), and must never be found.
//! A large tenant for benchmarks (`scale.rs`) gets leavers in proportion.

use super::directory::{Directory, UserKind};
use super::rng::SeededRng;

/// `servicePlanId` of Teams Phone Standard, the `MCOEV` service plan (Microsoft's "Product names
/// and service plan identifiers for licensing" list; checked against the 2024 copy of that list).
pub const MCOEV_PLAN_ID: &str = "4828c8ec-dc2e-4779-b502-87ac9ce28ab7";
/// `MCOEV_GOV`, "Microsoft 365 Phone System for Government": the Teams Phone plan of GCC
/// tenants (in "Microsoft Teams Phone Standard for GCC", `MCOEV_GOV` SKU, and the GCC Teams
/// Rooms and shared-device SKUs; same list, October 2025 copy).
pub const MCOEV_GOV_PLAN_ID: &str = "db23fce2-a974-42ef-9002-d78dd42a0f22";
/// `MCOEVSMB`: the Teams Phone plan of "Microsoft Teams Phone Standard for Small and Medium
/// Business" (`MCOEVSMB_1`; same list).
pub const MCOEVSMB_PLAN_ID: &str = "ed777b71-af04-42ca-9798-84344c66f7c6";
/// `MCOEV_VIRTUALUSER`: Teams Phone Resource Account.
pub const MCOEV_VIRTUALUSER_PLAN_ID: &str = "f47330e9-c134-43b3-9993-e7f004506889";
/// `TEAMS1`: Microsoft Teams.
pub const TEAMS1_PLAN_ID: &str = "57ff2da0-773e-42df-b2af-ffb7a2317929";

/// Display names of the demo tenant's leavers, by what happened to them.
pub const DISABLED_LEAVERS: &[&str] = &["Sakura Ito", "Ethan Kelly"];
pub const DELETED_LEAVER: &str = "Jonas Richter";
pub const GHOST_LEAVER: &str = "Haruto Suzuki";
pub const UNLICENSED_LEAVER: &str = "Lucy Hammond";

/// Turns the named people into leavers. Each named person holds a number in the seed (checked
/// by the tests below); one who does not is left alone rather than failing the tenant.
pub(crate) fn mark_leavers(directory: &mut Directory, rng: &mut SeededRng) {
    let position = |directory: &Directory, name: &str| {
        directory
            .users
            .iter()
            .position(|u| u.display_name == name && u.kind == UserKind::Person)
    };
    for name in DISABLED_LEAVERS {
        if let Some(i) = position(directory, name) {
            directory.users[i].account_enabled = false;
        }
    }
    if let Some(i) = position(directory, UNLICENSED_LEAVER) {
        // The Teams Phone plan was taken away: Entra keeps it listed as `Deleted` for a while.
        for p in &mut directory.users[i].assigned_plans {
            if p.service_plan_id == MCOEV_PLAN_ID {
                p.capability_status = "Deleted".to_string();
            }
        }
    }
    if let Some(i) = position(directory, DELETED_LEAVER) {
        let mut user = directory.users.remove(i);
        user.account_enabled = false;
        directory.deleted_users.push(user);
    }
    if let Some(i) = position(directory, GHOST_LEAVER) {
        // Deleted more than 30 days ago: purged, so the number points at nothing at all. The
        // id is re-drawn so it is no id this tenant ever had (the seed's ids stay as they were).
        let gone = directory.users.remove(i);
        let ghost = rng.guid();
        for n in &mut directory.numbers {
            if n.assignment_target_id.as_deref() == Some(gone.id.as_str()) {
                n.assignment_target_id = Some(ghost.clone());
            }
        }
    }
}

/// Whether `id` is a number target that resolves to nothing: no user or resource account, no
/// deleted user, no conference bridge.
#[cfg(test)]
pub(crate) fn is_ghost(directory: &Directory, id: &str) -> bool {
    directory.user(id).is_none()
        && !directory.deleted_users.iter().any(|u| u.id == id)
        && !directory.bridges.iter().any(|b| b.id == id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seed::sample_tenant;

    const TENANT: &str = "00000000-0000-4000-8000-000000000000";
    const DEMO_SEED: u64 = 0x4e75_6d62_6572_4465;

    fn held_by(directory: &Directory, id: &str) -> usize {
        directory
            .numbers
            .iter()
            .filter(|n| n.assignment_target_id.as_deref() == Some(id))
            .count()
    }

    #[test]
    fn the_demo_tenant_has_each_kind_of_leaver_with_a_number() {
        let tenant = sample_tenant(TENANT, DEMO_SEED);
        for name in DISABLED_LEAVERS {
            let user = tenant
                .users
                .iter()
                .find(|u| u.display_name == *name)
                .unwrap();
            assert!(!user.account_enabled, "{name}");
            assert!(held_by(&tenant, &user.id) > 0, "{name} holds a number");
        }
        let deleted = &tenant.deleted_users[0];
        assert_eq!(deleted.display_name, DELETED_LEAVER);
        assert!(tenant.user(&deleted.id).is_none());
        assert!(held_by(&tenant, &deleted.id) > 0);
        let ghosts: Vec<_> = tenant
            .numbers
            .iter()
            .filter_map(|n| n.assignment_target_id.as_deref())
            .filter(|id| is_ghost(&tenant, id))
            .collect();
        assert!(!ghosts.is_empty(), "a number points at nothing");
        assert!(tenant.users.iter().all(|u| u.display_name != GHOST_LEAVER));
        let unlicensed = tenant
            .users
            .iter()
            .find(|u| u.display_name == UNLICENSED_LEAVER)
            .unwrap();
        assert!(held_by(&tenant, &unlicensed.id) > 0);
        assert!(unlicensed
            .assigned_plans
            .iter()
            .any(|p| p.service_plan_id == MCOEV_PLAN_ID && p.capability_status == "Deleted"));
        // Resource accounts are disabled by design, and some hold numbers.
        let accounts: Vec<_> = tenant
            .users
            .iter()
            .filter(|u| u.kind == UserKind::ResourceAccount)
            .collect();
        assert!(accounts.iter().all(|u| !u.account_enabled));
        assert!(accounts.iter().any(|u| held_by(&tenant, &u.id) > 0));
        // The people tests and demos name are untouched.
        for upn in ["adelev@", "meganb@", "diegos@"] {
            let user = tenant
                .users
                .iter()
                .find(|u| u.user_principal_name.starts_with(upn))
                .unwrap();
            assert!(user.account_enabled, "{upn}");
        }
    }
}
