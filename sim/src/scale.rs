//! A large tenant for benchmarks: the seeded demo tenant grown to, say, 50,000 numbers and
//! 20,000 users ([`TenantScale::BENCHMARK`]), with leavers in proportion.
//!
//! Generated in one pass with the seed's own generator and no per-row lookups (a 50,000-number
//! tenant is ready in a few tens of milliseconds), so a benchmark measures NumberDesk, not the
//! fake.

use super::directory::{Directory, NumberAssignment, SimUser, UserKind};
use super::http::base64url;
use super::leavers::MCOEV_PLAN_ID;
use super::rng::SeededRng;
use super::seed::{person_plans, DOMAIN, MAIL_DOMAIN};

/// How big the tenant is: its numbers and its users (people; resource accounts included).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TenantScale {
    pub numbers: usize,
    pub users: usize,
}

impl TenantScale {
    /// The size of the benchmarks.
    pub const BENCHMARK: TenantScale = TenantScale {
        numbers: 50_000,
        users: 20_000,
    };
}

const ACTIVATION: &[&str] = &[
    "activated",
    "activated",
    "activated",
    "activated",
    "activated",
    "activated",
    "activated",
    "assignmentFailed",
    "updatePending",
    "updateFailed",
];

/// Grows `directory` to `scale` (never shrinks it). New users are people in the US; about one in
/// fifty is disabled, one in two hundred deleted, one in five hundred purged (a ghost), one in a
/// hundred lost the Teams Phone plan; their email is not their user name. Two numbers in five
/// go to users (one each, in turn), then the rest stay unassigned.
pub(crate) fn grow(directory: &mut Directory, scale: TenantScale, seed: u64) {
    let mut rng = SeededRng(seed ^ 0x5ca1_e000);
    let new_users = scale.users.saturating_sub(directory.users.len());
    let first_new = directory.users.len();
    directory.users.reserve(new_users);
    for i in 0..new_users {
        let local = format!("user{i:05}");
        let upn = format!("{local}@{DOMAIN}");
        // Their email is on the custom domain, as the seed's people's is: not the user name.
        let mail = format!("contoso.user{i:05}@{MAIL_DOMAIN}");
        let mut plans = person_plans();
        let roll = rng.next_u64() % 1000;
        if (10..20).contains(&roll) {
            for p in &mut plans {
                if p.service_plan_id == MCOEV_PLAN_ID {
                    p.capability_status = "Suspended".to_string();
                }
            }
        }
        directory.users.push(SimUser {
            id: rng.guid(),
            display_name: format!("Contoso User {i:05}"),
            given_name: Some("Contoso".to_string()),
            surname: Some(format!("User {i:05}")),
            proxy_addresses: vec![format!("SMTP:{mail}"), format!("smtp:{upn}")],
            mail,
            user_principal_name: upn,
            user_type: "Member".to_string(),
            job_title: None,
            country: "US".to_string(),
            kind: UserKind::Person,
            roles: Vec::new(),
            account_enabled: !(20..40).contains(&roll),
            assigned_plans: plans,
        });
    }
    let new_numbers = scale.numbers.saturating_sub(directory.numbers.len());
    let assignees: Vec<String> = directory.users[first_new..]
        .iter()
        .map(|u| u.id.clone())
        .collect();
    let types = ["directRouting", "operatorConnect", "callingPlan"];
    directory.numbers.reserve(new_numbers);
    for i in 0..new_numbers {
        let telephone_number = format!("+1425{:07}", 2_000_000 + i);
        let number_type = types[i % types.len()];
        let target = (i % 5 < 2)
            .then(|| assignees.get(i / 5 * 2 + i % 5))
            .flatten()
            .cloned();
        let assigned = target.is_some();
        let activation = ACTIVATION[(rng.next_u64() % ACTIVATION.len() as u64) as usize];
        directory.numbers.push(NumberAssignment {
            id: base64url(&format!("{}|{telephone_number}", directory.tenant_id)),
            telephone_number,
            operator_id: None,
            number_type: number_type.to_string(),
            activation_state: activation.to_string(),
            assignment_status: if assigned {
                "userAssigned"
            } else {
                "unassigned"
            }
            .to_string(),
            assignment_category: assigned.then(|| "primary".to_string()),
            assignment_target_id: target,
            capabilities: vec!["userAssignment".to_string()],
            city: Some("Redmond".to_string()),
            iso_country_code: "US".to_string(),
            location_id: None,
            civic_address_id: None,
            network_site_id: None,
            number_source: "online".to_string(),
            port_in_status: "completed".to_string(),
            reverse_number_lookup_options: Vec::new(),
            supported_customer_actions: vec!["locationUpdate".to_string()],
            served_as_null: Vec::new(),
        });
    }
    // Deleted (recycle bin) and purged users among the new ones, after their numbers were given.
    let mut kept = Vec::with_capacity(directory.users.len());
    let mut ghosts = std::collections::HashMap::new();
    for (i, user) in std::mem::take(&mut directory.users).into_iter().enumerate() {
        let roll = i >= first_new && (i - first_new) % 200 == 7;
        let purge = i >= first_new && (i - first_new) % 500 == 11;
        if purge {
            ghosts.insert(user.id.clone(), rng.guid());
        } else if roll {
            directory.deleted_users.push(user);
        } else {
            kept.push(user);
        }
    }
    directory.users = kept;
    if !ghosts.is_empty() {
        for n in &mut directory.numbers {
            if let Some(new) = n.assignment_target_id.as_ref().and_then(|t| ghosts.get(t)) {
                n.assignment_target_id = Some(new.clone());
            }
        }
    }
    directory.reindex_users();
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seed::sample_tenant;

    #[test]
    fn the_benchmark_tenant_is_built_fast_with_leavers_in_proportion() {
        let started = std::time::Instant::now();
        let mut tenant = sample_tenant("00000000-0000-4000-8000-000000000000", 1);
        grow(&mut tenant, TenantScale::BENCHMARK, 1);
        assert!(
            started.elapsed() < std::time::Duration::from_secs(2),
            "{:?}",
            started.elapsed()
        );
        assert_eq!(tenant.numbers.len(), 50_000);
        let present = tenant.users.len() + tenant.deleted_users.len();
        assert!(
            (19_900..20_000).contains(&present),
            "{present}: some were purged"
        );
        let assigned = tenant
            .numbers
            .iter()
            .filter(|n| n.assignment_target_id.is_some())
            .count();
        assert!(assigned > 19_000, "{assigned}");
        let unique: std::collections::HashSet<_> =
            tenant.numbers.iter().map(|n| &n.telephone_number).collect();
        assert_eq!(unique.len(), 50_000);
        assert!(tenant.deleted_users.len() > 50);
    }
}
