//! What the simulated tenant knows: its people, resource accounts, conference bridges and
//! telephone numbers.
//!
//! Numbers are kept in one `Vec` in a fixed order so that `$top`/`$skip` paging is stable
//! while assignments change underneath it, exactly the property a client paging through a live
//! tenant relies on. Enum-valued fields are plain strings holding Graph's camelCase values, so
//! the JSON the sim sends is the JSON Graph sends; the constant lists below are the documented
//! enum members (graph-api.md §1.4), used to validate request bodies and `$filter` values.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

/// `microsoft.graph.teamsAdministration.numberType`.
pub(crate) const NUMBER_TYPES: &[&str] = &[
    "internalError",
    "directRouting",
    "callingPlan",
    "operatorConnect",
    "unknownFutureValue",
];
/// `activationState`.
pub(crate) const ACTIVATION_STATES: &[&str] = &[
    "activated",
    "assignmentPending",
    "assignmentFailed",
    "updatePending",
    "updateFailed",
    "unknownFutureValue",
];
/// `assignmentStatus`.
pub(crate) const ASSIGNMENT_STATUSES: &[&str] = &[
    "unassigned",
    "internalError",
    "userAssigned",
    "conferenceAssigned",
    "voiceApplicationAssigned",
    "thirdPartyAppAssigned",
    "policyAssigned",
    "unknownFutureValue",
];
/// `assignmentCategory`.
pub(crate) const ASSIGNMENT_CATEGORIES: &[&str] =
    &["primary", "private", "alternate", "unknownFutureValue"];
/// `numberSource`.
pub(crate) const NUMBER_SOURCES: &[&str] = &["online", "onPremises", "unknownFutureValue"];
/// `portInStatus`.
pub(crate) const PORT_IN_STATUSES: &[&str] = &[
    "completed",
    "firmOrderCommitmentAccepted",
    "unknownFutureValue",
];

/// The documented member of `values` that `given` names, spelt exactly: OData enum literals
/// are case-sensitive (graph-api.md §7), so `'DirectRouting'` (as one prose line of Graph's
/// docs writes it) names nothing. The sim is strict so that NumberDesk must send the exact
/// spelling, which a lenient service accepts as well.
pub(crate) fn enum_member(values: &[&'static str], given: &str) -> Option<&'static str> {
    values.iter().copied().find(|v| *v == given)
}

/// Whether a directory object is a person or a resource account (the account behind an auto
/// attendant or call queue). Both are users to Graph; conference bridges are not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum UserKind {
    Person,
    ResourceAccount,
}

/// A user (or resource account) of the simulated tenant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SimUser {
    pub id: String,
    pub display_name: String,
    pub given_name: Option<String>,
    pub surname: Option<String>,
    pub user_principal_name: String,
    /// The primary SMTP address. Often not the UPN: people sign in as `adelev@contoso.onmicrosoft.com`
    /// and are written to at `adele.vance@contoso.com`.
    pub mail: String,
    /// `proxyAddresses`: every address mail reaches the user at, `SMTP:` (primary) or `smtp:`
    /// (an alias) before it. Empty for an account without a mailbox.
    pub proxy_addresses: Vec<String>,
    /// `userType`: `Member`, or `Guest` for someone invited from another organisation (whose
    /// UPN is their own address with `@` as `_`, then `#EXT#@` and this tenant's domain).
    pub user_type: String,
    pub job_title: Option<String>,
    /// ISO 3166 code of the country the user works in.
    pub country: String,
    pub kind: UserKind,
    /// Entra directory roles held, by display name.
    pub roles: Vec<String>,
    /// `accountEnabled`. Resource accounts are disabled by design (Entra creates them so).
    pub account_enabled: bool,
    /// `assignedPlans`: the service plans the user's licences give (see `users_api.rs`).
    pub assigned_plans: Vec<AssignedPlan>,
}

/// One entry of a user's `assignedPlans`, as Graph serialises `microsoft.graph.assignedPlan`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AssignedPlan {
    pub assigned_date_time: String,
    /// `Enabled`, `Warning`, `Suspended`, `Deleted` or `LockedOut`.
    pub capability_status: String,
    pub service: String,
    pub service_plan_id: String,
}

impl SimUser {
    /// Whether the user is a guest from another organisation.
    pub fn is_guest(&self) -> bool {
        self.user_type == "Guest"
    }

    /// Whether the user may manage telephone numbers (the three Teams roles Microsoft lists).
    pub fn can_manage_numbers(&self) -> bool {
        self.roles.iter().any(|r| {
            matches!(
                r.as_str(),
                "Teams Administrator"
                    | "Teams Communications Administrator"
                    | "Teams Telephony Administrator"
            )
        })
    }
}

/// An audio-conferencing bridge: a valid assignment target, but not a user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ConferenceBridge {
    pub id: String,
    pub name: String,
    pub country: String,
}

/// A telephone number as Graph's `numberAssignment` shows it; it serialises to Graph's JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NumberAssignment {
    pub id: String,
    pub telephone_number: String,
    pub operator_id: Option<String>,
    pub number_type: String,
    pub activation_state: String,
    pub assignment_status: String,
    pub assignment_target_id: Option<String>,
    pub assignment_category: Option<String>,
    pub capabilities: Vec<String>,
    pub city: Option<String>,
    pub iso_country_code: String,
    pub location_id: Option<String>,
    pub civic_address_id: Option<String>,
    pub network_site_id: Option<String>,
    pub number_source: String,
    pub port_in_status: String,
    pub reverse_number_lookup_options: Vec<String>,
    pub supported_customer_actions: Vec<String>,
    /// Nullable properties (per the v1.0 metadata) this row is served with as `null`, as real
    /// tenants do for some rows: the service knows more than it says. Filters see `null` too.
    /// An operation that changes the number fills `assignmentStatus` in again.
    #[serde(skip)]
    pub served_as_null: Vec<&'static str>,
}

/// The properties the v1.0 metadata declares nullable on `numberAssignment`.
pub(crate) const NULLABLE: &[&str] = &[
    "assignmentStatus",
    "assignmentCategory",
    "assignmentTargetId",
    "city",
    "civicAddressId",
    "isoCountryCode",
    "locationId",
    "numberSource",
    "networkSiteId",
    "portInStatus",
];

impl NumberAssignment {
    /// The row as Graph serves it: its JSON, with `served_as_null` properties as `null`.
    pub(crate) fn to_graph_json(&self) -> serde_json::Value {
        debug_assert!(self.served_as_null.iter().all(|p| NULLABLE.contains(p)));
        let mut value = serde_json::to_value(self).unwrap_or_default();
        if let Some(map) = value.as_object_mut() {
            for name in &self.served_as_null {
                map.insert((*name).to_string(), serde_json::Value::Null);
            }
        }
        value
    }

    /// The value of a filterable string property, by its Graph name; `None` when the property
    /// is null. `Err` for names that are not string properties of the type.
    pub(crate) fn property(&self, name: &str) -> Result<Option<&str>, ()> {
        if self.served_as_null.contains(&name) {
            return Ok(None);
        }
        Ok(match name {
            "telephoneNumber" => Some(self.telephone_number.as_str()),
            "operatorId" => self.operator_id.as_deref(),
            "numberType" => Some(self.number_type.as_str()),
            "activationState" => Some(self.activation_state.as_str()),
            "assignmentStatus" => Some(self.assignment_status.as_str()),
            "assignmentTargetId" => self.assignment_target_id.as_deref(),
            "assignmentCategory" => self.assignment_category.as_deref(),
            "isoCountryCode" => Some(self.iso_country_code.as_str()),
            "locationId" => self.location_id.as_deref(),
            "civicAddressId" => self.civic_address_id.as_deref(),
            "networkSiteId" => self.network_site_id.as_deref(),
            "numberSource" => Some(self.number_source.as_str()),
            "portInStatus" => Some(self.port_in_status.as_str()),
            _ => return Err(()),
        })
    }
}

/// Who a number ends up assigned to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) enum TargetKind {
    Person,
    ResourceAccount,
}

/// Puts a telephone number in the form the tenant stores it: with a leading `+`. Graph accepts
/// the number with or without it; the `;ext=` part is kept as given and must match exactly.
pub(crate) fn normalize_number(given: &str) -> String {
    let given = given.trim();
    if given.starts_with('+') || given.is_empty() {
        given.to_string()
    } else {
        format!("+{given}")
    }
}

/// The tenant's directory and number inventory.
#[derive(Debug, Clone)]
pub(crate) struct Directory {
    pub tenant_id: String,
    pub users: Vec<SimUser>,
    pub bridges: Vec<ConferenceBridge>,
    pub numbers: Vec<NumberAssignment>,
    /// Users deleted within the last 30 days: gone from `/users`, listed under
    /// `/directory/deletedItems/microsoft.graph.user`.
    pub deleted_users: Vec<SimUser>,
    /// Lower-cased object id → position in `users`, so reading 20,000 users by id stays fast.
    /// A hint only: every hit is checked, and a miss falls back to a scan.
    pub user_index: HashMap<String, usize>,
}

impl Directory {
    /// A user or resource account by object id or UPN (case-insensitive, as Graph matches).
    pub fn user(&self, id_or_upn: &str) -> Option<&SimUser> {
        if let Some(user) = self
            .user_index
            .get(&id_or_upn.to_ascii_lowercase())
            .and_then(|&i| self.users.get(i))
            .filter(|u| u.id.eq_ignore_ascii_case(id_or_upn))
        {
            return Some(user);
        }
        self.users.iter().find(|u| {
            u.id.eq_ignore_ascii_case(id_or_upn)
                || u.user_principal_name.eq_ignore_ascii_case(id_or_upn)
        })
    }

    /// Rebuilds [`Directory::user_index`] after `users` changed. Only ASCII ids are indexed
    /// (every id Entra gives is a GUID): an index that holds fewer entries than there are
    /// users says some id is beyond ASCII or shared, and the filters then scan.
    pub fn reindex_users(&mut self) {
        self.user_index = self
            .users
            .iter()
            .enumerate()
            .filter(|(_, u)| u.id.is_ascii())
            .map(|(i, u)| (u.id.to_ascii_lowercase(), i))
            .collect();
    }

    /// The position of a number by its telephone number (normalised first).
    pub fn number_index(&self, telephone_number: &str) -> Option<usize> {
        let wanted = normalize_number(telephone_number);
        self.numbers
            .iter()
            .position(|n| n.telephone_number == wanted)
    }

    /// A number by its opaque Graph id.
    pub fn number_by_id(&self, id: &str) -> Option<&NumberAssignment> {
        self.numbers.iter().find(|n| n.id == id)
    }

    /// Takes a number away from whoever holds it, as a succeeded unassign operation does.
    ///
    /// The emergency location belongs to the number for Calling Plan and Operator Connect
    /// numbers (the address is registered with the carrier), so it stays; a Direct Routing
    /// number's location only mattered for the user it was given to, so it is cleared.
    pub fn unassign(&mut self, index: usize) {
        if let Some(number) = self.numbers.get_mut(index) {
            number.served_as_null.retain(|p| *p != "assignmentStatus");
            number.assignment_status = "unassigned".to_string();
            number.assignment_target_id = None;
            number.assignment_category = None;
            number.activation_state = "activated".to_string();
            if number.number_type == "directRouting" {
                number.location_id = None;
                number.civic_address_id = None;
            }
        }
    }

    /// Gives a number to a user or resource account, as a succeeded assign operation does.
    pub fn assign(
        &mut self,
        index: usize,
        kind: TargetKind,
        target_id: &str,
        category: &str,
        location_id: Option<&str>,
    ) {
        if let Some(number) = self.numbers.get_mut(index) {
            number.served_as_null.retain(|p| *p != "assignmentStatus");
            number.assignment_status = match kind {
                TargetKind::Person => "userAssigned",
                TargetKind::ResourceAccount => "voiceApplicationAssigned",
            }
            .to_string();
            number.assignment_target_id = Some(target_id.to_string());
            number.assignment_category = Some(category.to_string());
            number.activation_state = "activated".to_string();
            if let Some(location_id) = location_id.filter(|l| !l.is_empty()) {
                number.location_id = Some(location_id.to_string());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalize_adds_the_plus_and_keeps_extensions() {
        assert_eq!(normalize_number("12065550100"), "+12065550100");
        assert_eq!(normalize_number("+12065550100"), "+12065550100");
        assert_eq!(
            normalize_number("12065550199;ext=201"),
            "+12065550199;ext=201"
        );
        assert_eq!(normalize_number(""), "");
    }

    #[test]
    fn enum_members_are_spelt_exactly() {
        assert_eq!(
            enum_member(NUMBER_TYPES, "directRouting"),
            Some("directRouting")
        );
        assert_eq!(enum_member(NUMBER_TYPES, "DirectRouting"), None);
        assert_eq!(enum_member(NUMBER_TYPES, "direct routing"), None);
    }
}
