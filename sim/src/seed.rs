//! The sample tenant: Contoso, with 200 telephone numbers across five countries.
//!
//! Everything here is generated from a fixed seed by a tiny splitmix64 generator written out
//! below, not by `rand`: the same seed must give the same tenant on every machine and every
//! version of every dependency, because demos, screenshots and tests name its numbers.
//!
//! Numbers come from ranges reserved for drama and documentation where those exist (US
//! +1 206 555 01xx, GB +44 20 7946 0xxx, AU +61 2 5550 xxxx and +61 491 570 xxx); the German
//! and Japanese ranges are merely plausible. People are the usual fictional Contoso staff.

use super::directory::{
    AssignedPlan, ConferenceBridge, Directory, NumberAssignment, SimUser, UserKind,
};
use super::http::base64url;
pub(crate) use super::rng::SeededRng;

/// The tenant's verified domain; also the suffix of every UPN.
pub(crate) const DOMAIN: &str = "contoso.onmicrosoft.com";

/// (given name, surname, country, job title, directory role)
const PEOPLE: &[(&str, &str, &str, &str, Option<&str>)] = &[
    ("Adele", "Vance", "US", "Retail Manager", None),
    (
        "Megan",
        "Bowen",
        "US",
        "IT Administrator",
        Some("Teams Telephony Administrator"),
    ),
    ("Diego", "Siciliani", "US", "HR Manager", None),
    ("Alex", "Wilber", "US", "Marketing Assistant", None),
    ("Allan", "Deyoung", "US", "Marketing Assistant", None),
    ("Christie", "Cline", "US", "Buyer", None),
    ("Debra", "Berger", "US", "Administrative Assistant", None),
    ("Grady", "Archie", "US", "Designer", None),
    ("Irvin", "Sayers", "US", "Director", None),
    ("Isaiah", "Langer", "US", "Sales Representative", None),
    ("Joni", "Sherman", "US", "Paralegal", None),
    ("Jordan", "Miller", "US", "Finance Manager", None),
    ("Lee", "Gu", "US", "Director", None),
    ("Lidia", "Holloway", "US", "Product Manager", None),
    ("Lynne", "Robbins", "US", "Planner", None),
    ("Miriam", "Graham", "US", "Director", None),
    ("Nestor", "Wilke", "US", "Director", None),
    ("Patti", "Fernandez", "US", "President", None),
    ("Pradeep", "Gupta", "US", "Accountant", None),
    ("Brian", "Johnson", "US", "Sales Representative", None),
    ("Cameron", "White", "US", "Support Engineer", None),
    ("Mallory", "Cortez", "US", "Support Engineer", None),
    ("Raul", "Razo", "US", "Engineer", None),
    ("Emily", "Braun", "US", "Budget Analyst", None),
    ("Bianca", "Pisani", "US", "Support Engineer", None),
    ("Delia", "Dennis", "US", "Developer", None),
    ("Priya", "Raman", "US", "Developer", None),
    ("Marcus", "Lee", "US", "Sales Representative", None),
    ("Hannah", "Brooks", "US", "Recruiter", None),
    ("Daniel", "Ortiz", "US", "Facilities Manager", None),
    ("Olivia", "Park", "US", "Legal Counsel", None),
    ("Victor", "Chen", "US", "Engineer", None),
    ("Oliver", "Hughes", "GB", "Account Manager", None),
    ("Amelia", "Clarke", "GB", "Office Manager", None),
    ("Harry", "Patel", "GB", "Sales Representative", None),
    ("Isla", "Morgan", "GB", "Designer", None),
    ("George", "Evans", "GB", "Engineer", None),
    ("Sophie", "Turnbull", "GB", "Accountant", None),
    ("Jack", "Robinson", "GB", "Support Engineer", None),
    ("Emily", "Walsh", "GB", "Product Manager", None),
    ("Noah", "Bennett", "GB", "Director", None),
    ("Grace", "Fletcher", "GB", "Paralegal", None),
    ("Thomas", "Wright", "GB", "Buyer", None),
    ("Lucy", "Hammond", "GB", "Recruiter", None),
    ("Johanna", "Lorenz", "DE", "Senior Engineer", None),
    ("Henrietta", "Mueller", "DE", "Developer", None),
    ("Gerhart", "Moller", "DE", "Sales Representative", None),
    ("Lukas", "Becker", "DE", "Account Manager", None),
    ("Anna", "Schmidt", "DE", "Office Manager", None),
    ("Felix", "Wagner", "DE", "Engineer", None),
    ("Lea", "Hoffmann", "DE", "Accountant", None),
    ("Jonas", "Richter", "DE", "Support Engineer", None),
    ("Isla", "Nguyen", "AU", "Account Manager", None),
    ("Jack", "Thompson", "AU", "Sales Representative", None),
    ("Chloe", "Wilson", "AU", "Office Manager", None),
    ("Liam", "OBrien", "AU", "Engineer", None),
    ("Mia", "Campbell", "AU", "Support Engineer", None),
    ("Ethan", "Kelly", "AU", "Designer", None),
    ("Hiroshi", "Tanaka", "JP", "Country Manager", None),
    ("Yuki", "Sato", "JP", "Sales Representative", None),
    ("Aiko", "Yamamoto", "JP", "Office Manager", None),
    ("Kenji", "Watanabe", "JP", "Engineer", None),
    ("Haruto", "Suzuki", "JP", "Support Engineer", None),
    ("Sakura", "Ito", "JP", "Accountant", None),
];

/// (UPN local part, display name, country)
const RESOURCE_ACCOUNTS: &[(&str, &str, &str)] = &[
    ("aa-main-us", "Contoso Main Line (auto attendant)", "US"),
    ("cq-support-us", "Customer Support (call queue)", "US"),
    ("cq-sales-us", "Sales (call queue)", "US"),
    ("aa-afterhours-us", "After Hours (auto attendant)", "US"),
    ("aa-reception-gb", "London Reception (auto attendant)", "GB"),
    ("cq-servicedesk-gb", "UK Service Desk (call queue)", "GB"),
    ("aa-zentrale-de", "Berlin Zentrale (auto attendant)", "DE"),
    ("cq-hotline-de", "Munich Hotline (call queue)", "DE"),
    (
        "aa-frontdesk-au",
        "Sydney Front Desk (auto attendant)",
        "AU",
    ),
    ("aa-tokyo-jp", "Tokyo Office (auto attendant)", "JP"),
];

const BRIDGE_COUNTRIES: &[&str] = &["US", "GB", "DE", "AU", "JP"];

/// How a block of numbers is acquired and what it may be given to.
#[derive(Clone, Copy, PartialEq, Eq)]
enum BlockKind {
    /// Microsoft Calling Plan numbers for people.
    CallingPlanUser,
    /// Microsoft Calling Plan service numbers: auto attendants, call queues, conferencing.
    CallingPlanService,
    /// Numbers routed through the tenant's own SBC.
    DirectRouting,
    /// Numbers from an Operator Connect carrier.
    OperatorConnect,
    /// Operator Connect mobile numbers (Teams Phone Mobile).
    OperatorConnectMobile,
}

struct Block {
    country: &'static str,
    city: &'static str,
    kind: BlockKind,
    numbers: Vec<String>,
}

fn range(prefix: &str, from: u32, to: u32, width: usize) -> Vec<String> {
    (from..=to)
        .map(|n| format!("{prefix}{n:0width$}"))
        .collect()
}

fn blocks() -> Vec<Block> {
    use BlockKind::*;
    let block = |country, city, kind, numbers| Block {
        country,
        city,
        kind,
        numbers,
    };
    vec![
        // United States: 90 numbers.
        block(
            "US",
            "Seattle",
            CallingPlanUser,
            range("+1206555", 100, 139, 4),
        ),
        block(
            "US",
            "Seattle",
            CallingPlanService,
            range("+1206555", 140, 149, 4),
        ),
        block(
            "US",
            "Seattle",
            DirectRouting,
            range("+1206555", 150, 169, 4),
        ),
        block(
            "US",
            "Seattle",
            OperatorConnect,
            range("+1206555", 170, 184, 4),
        ),
        block(
            "US",
            "Seattle",
            DirectRouting,
            (201..=205)
                .map(|e| format!("+12065550199;ext={e}"))
                .collect(),
        ),
        // United Kingdom: 45.
        block(
            "GB",
            "London",
            CallingPlanUser,
            range("+44207946", 100, 124, 4),
        ),
        block(
            "GB",
            "London",
            CallingPlanService,
            range("+44207946", 125, 129, 4),
        ),
        block(
            "GB",
            "London",
            DirectRouting,
            range("+44207946", 130, 139, 4),
        ),
        block(
            "GB",
            "London",
            OperatorConnect,
            range("+44207946", 140, 144, 4),
        ),
        // Germany: 30.
        block(
            "DE",
            "Berlin",
            DirectRouting,
            range("+4930555", 100, 112, 4),
        ),
        block(
            "DE",
            "Berlin",
            DirectRouting,
            vec![
                "+49305550199;ext=11".to_string(),
                "+49305550199;ext=12".to_string(),
            ],
        ),
        block(
            "DE",
            "Berlin",
            CallingPlanUser,
            range("+4930555", 150, 154, 4),
        ),
        block(
            "DE",
            "Munich",
            OperatorConnect,
            range("+4989555", 100, 109, 4),
        ),
        // Australia: 20.
        block(
            "AU",
            "Sydney",
            CallingPlanUser,
            range("+6125550", 100, 107, 4),
        ),
        block(
            "AU",
            "Sydney",
            CallingPlanService,
            range("+6125550", 108, 109, 4),
        ),
        block(
            "AU",
            "Sydney",
            OperatorConnectMobile,
            range("+61491570", 110, 119, 3),
        ),
        // Japan: 15.
        block(
            "JP",
            "Tokyo",
            OperatorConnect,
            range("+8135555", 100, 109, 4),
        ),
        block("JP", "Osaka", DirectRouting, range("+8165555", 100, 104, 4)),
    ]
}

/// Per-city identifiers: emergency location, civic address, network site.
struct Site {
    city: &'static str,
    location_id: String,
    civic_address_id: String,
    network_site_id: String,
}

fn strings(values: &[&str]) -> Vec<String> {
    values.iter().map(|s| s.to_string()).collect()
}

/// Builds the sample tenant. The same `seed` always yields the same tenant.
pub(crate) fn sample_tenant(tenant_id: &str, seed: u64) -> Directory {
    let mut rng = SeededRng(seed);

    let mut users: Vec<SimUser> = PEOPLE
        .iter()
        .map(|&(given, surname, country, job, role)| {
            let local = format!(
                "{}{}",
                given.to_ascii_lowercase(),
                surname
                    .chars()
                    .next()
                    .map(|c| c.to_ascii_lowercase())
                    .unwrap_or('x')
            );
            let upn = format!("{local}@{DOMAIN}");
            SimUser {
                id: rng.guid(),
                display_name: format!("{given} {surname}").replace("OBrien", "O'Brien"),
                given_name: Some(given.to_string()),
                surname: Some(surname.replace("OBrien", "O'Brien")),
                proxy_addresses: vec![format!("SMTP:{upn}")],
                mail: upn.clone(),
                user_principal_name: upn,
                user_type: "Member".to_string(),
                job_title: Some(job.to_string()),
                country: country.to_string(),
                kind: UserKind::Person,
                roles: role.map(|r| vec![r.to_string()]).unwrap_or_default(),
                account_enabled: true,
                assigned_plans: person_plans(),
            }
        })
        .collect();
    users.extend(
        RESOURCE_ACCOUNTS
            .iter()
            .map(|&(local, name, country)| SimUser {
                id: rng.guid(),
                display_name: name.to_string(),
                given_name: None,
                surname: None,
                user_principal_name: format!("{local}@{DOMAIN}"),
                mail: format!("{local}@{DOMAIN}"),
                proxy_addresses: vec![format!("SMTP:{local}@{DOMAIN}")],
                user_type: "Member".to_string(),
                job_title: None,
                country: country.to_string(),
                kind: UserKind::ResourceAccount,
                roles: Vec::new(),
                // Entra creates resource accounts disabled: nobody signs in as them.
                account_enabled: false,
                assigned_plans: resource_account_plans(),
            }),
    );
    let bridges: Vec<ConferenceBridge> = BRIDGE_COUNTRIES
        .iter()
        .map(|&country| ConferenceBridge {
            id: rng.guid(),
            name: format!("Audio Conferencing ({country})"),
            country: country.to_string(),
        })
        .collect();

    let calling_plan_operator = rng.guid();
    let mut operator_connect_carriers: Vec<(&str, String)> = Vec::new();
    for country in ["US", "GB", "DE", "AU", "JP"] {
        operator_connect_carriers.push((country, rng.guid()));
    }
    let mut sites: Vec<Site> = Vec::new();
    for city in [
        "Seattle", "London", "Berlin", "Munich", "Sydney", "Tokyo", "Osaka",
    ] {
        sites.push(Site {
            city,
            location_id: rng.guid(),
            civic_address_id: rng.guid(),
            network_site_id: rng.guid(),
        });
    }

    // Who already holds a primary number, and which resource accounts have one.
    let mut has_primary = vec![false; users.len()];
    let mut numbers = Vec::new();

    for block in blocks() {
        let site = sites.iter().find(|s| s.city == block.city);
        let carrier = operator_connect_carriers
            .iter()
            .find(|(c, _)| *c == block.country)
            .map(|(_, id)| id.clone());
        for telephone_number in &block.numbers {
            let roll = rng.percent();
            let people_here: Vec<usize> = users
                .iter()
                .enumerate()
                .filter(|(_, u)| u.kind == UserKind::Person && u.country == block.country)
                .map(|(i, _)| i)
                .collect();
            let free_person = people_here.iter().copied().find(|&i| !has_primary[i]);
            let free_account = users.iter().enumerate().position(|(i, u)| {
                u.kind == UserKind::ResourceAccount && u.country == block.country && !has_primary[i]
            });
            let bridge = bridges.iter().find(|b| b.country == block.country);

            // The one number every demo and test names: Adele's Seattle Calling Plan number.
            let forced = telephone_number == "+12065550100";
            let person_share = match block.kind {
                BlockKind::CallingPlanUser => 70,
                BlockKind::DirectRouting => 55,
                BlockKind::OperatorConnect => 60,
                BlockKind::OperatorConnectMobile => 75,
                BlockKind::CallingPlanService => 0,
            };
            let account_share = match block.kind {
                BlockKind::CallingPlanService => 40,
                BlockKind::DirectRouting => 70,
                BlockKind::OperatorConnect => 70,
                _ => 0,
            };

            // (status, target, category)
            let mut assignment: (&str, Option<String>, Option<&str>) = ("unassigned", None, None);
            if forced || roll < person_share {
                if let Some(i) = free_person {
                    has_primary[i] = true;
                    assignment = ("userAssigned", Some(users[i].id.clone()), Some("primary"));
                } else if roll < 25 && !people_here.is_empty() {
                    // Everyone here has a number already: some get a second, private one.
                    let i = people_here[rng.below(people_here.len())];
                    let category = if roll < 8 { "alternate" } else { "private" };
                    assignment = ("userAssigned", Some(users[i].id.clone()), Some(category));
                }
            } else if roll < account_share {
                if let Some(i) = free_account {
                    has_primary[i] = true;
                    assignment = (
                        "voiceApplicationAssigned",
                        Some(users[i].id.clone()),
                        Some("primary"),
                    );
                }
            } else if block.kind == BlockKind::CallingPlanService && roll < 75 {
                if let Some(bridge) = bridge {
                    assignment = (
                        "conferenceAssigned",
                        Some(bridge.id.clone()),
                        Some("primary"),
                    );
                }
            }
            let (status, target, category) = assignment;
            let assigned = status != "unassigned";

            let (number_type, capabilities, actions, source) = match block.kind {
                BlockKind::CallingPlanUser => (
                    "callingPlan",
                    strings(&["userAssignment"]),
                    strings(&["locationUpdate", "release"]),
                    "online",
                ),
                BlockKind::CallingPlanService => (
                    "callingPlan",
                    strings(&["conferenceAssignment", "voiceApplicationAssignment"]),
                    strings(&["release"]),
                    "online",
                ),
                BlockKind::DirectRouting => (
                    "directRouting",
                    strings(&["userAssignment", "voiceApplicationAssignment"]),
                    strings(&["locationUpdate"]),
                    "onPremises",
                ),
                BlockKind::OperatorConnect => (
                    "operatorConnect",
                    strings(&["userAssignment", "voiceApplicationAssignment"]),
                    strings(&["locationUpdate"]),
                    "online",
                ),
                BlockKind::OperatorConnectMobile => (
                    "operatorConnect",
                    strings(&["userAssignment", "teamsPhoneMobile"]),
                    strings(&["locationUpdate"]),
                    "online",
                ),
            };
            let operator_id = match number_type {
                "callingPlan" => Some(calling_plan_operator.clone()),
                "operatorConnect" => carrier.clone(),
                // A Direct Routing number is the tenant's own; no operator stands behind it.
                _ => None,
            };
            // Service numbers need no emergency address; a Direct Routing number only has
            // one while someone holds it.
            let has_location = match block.kind {
                BlockKind::CallingPlanService => false,
                BlockKind::DirectRouting => assigned && status == "userAssigned",
                _ => true,
            };
            let detail_roll = rng.percent();
            let activation_state = if assigned && number_type == "directRouting" && detail_roll < 8
            {
                "updatePending"
            } else if !assigned && number_type == "operatorConnect" && detail_roll < 15 {
                "assignmentFailed"
            } else {
                "activated"
            };
            let port_in_status = if number_type == "operatorConnect" && detail_roll > 88 {
                "firmOrderCommitmentAccepted"
            } else {
                "completed"
            };
            let reverse_lookup =
                if status == "userAssigned" && number_type != "callingPlan" && detail_roll < 25 {
                    strings(&["skipInternalVoip"])
                } else {
                    Vec::new()
                };

            numbers.push(NumberAssignment {
                id: base64url(&format!("{tenant_id}|{telephone_number}")),
                telephone_number: telephone_number.clone(),
                operator_id,
                number_type: number_type.to_string(),
                activation_state: activation_state.to_string(),
                assignment_status: status.to_string(),
                assignment_target_id: target,
                assignment_category: category.map(str::to_string),
                capabilities,
                city: Some(block.city.to_string()),
                iso_country_code: block.country.to_string(),
                location_id: site.filter(|_| has_location).map(|s| s.location_id.clone()),
                civic_address_id: site
                    .filter(|_| has_location)
                    .map(|s| s.civic_address_id.clone()),
                network_site_id: site.map(|s| s.network_site_id.clone()),
                number_source: source.to_string(),
                port_in_status: port_in_status.to_string(),
                reverse_number_lookup_options: reverse_lookup,
                supported_customer_actions: actions,
                served_as_null: Vec::new(),
            });
        }
    }
    serve_some_nulls(&mut numbers);

    let mut directory = Directory {
        tenant_id: tenant_id.to_string(),
        users,
        bridges,
        numbers,
        deleted_users: Vec::new(),
        user_index: Default::default(),
    };
    super::leavers::mark_leavers(&mut directory, &mut rng);
    add_offboarding_cases(&mut directory, &mut rng);
    directory.reindex_users();
    directory
}

/// The domain people's mail goes to: a custom domain, so their email is not their user name.
pub(crate) const MAIL_DOMAIN: &str = "contoso.com";
/// A person holding two numbers (a primary Calling Plan and a private Operator Connect one),
/// whose email (`allan.deyoung@contoso.com`) and alias (`allan@contoso.com`) differ from it.
pub const TWO_NUMBERS_UPN: &str = "alland@contoso.onmicrosoft.com";
/// The alias of [`TWO_NUMBERS_UPN`]: in `proxyAddresses` only, neither the UPN nor `mail`.
pub const TWO_NUMBERS_ALIAS: &str = "allan@contoso.com";
/// A person with no number at all.
pub const NO_NUMBER_UPN: &str = "ninal@contoso.onmicrosoft.com";
/// The display name two people share (one in Seattle with a number, one in London without).
pub const SHARED_NAME: &str = "Alex Wilber";
/// A guest from Fabrikam: their own address is `sam.taylor@fabrikam.com`.
pub const GUEST_UPN: &str = "sam.taylor_fabrikam.com#EXT#@contoso.onmicrosoft.com";
pub const GUEST_MAIL: &str = "sam.taylor@fabrikam.com";

/// What an offboarding list meets in a real tenant: every person's email on the custom domain
/// (`adele.vance@contoso.com` is not the UPN `adelev@…`; only the sample user keeps UPN = mail,
/// as a cloud-only account does), one person with an extra alias, someone with no number, two
/// people with the same name, and a guest. The people are added after every number is dealt,
/// with ids drawn last, so the seed's numbers and ids stay as they were.
fn add_offboarding_cases(directory: &mut Directory, rng: &mut SeededRng) {
    for user in &mut directory.users {
        if user.kind != UserKind::Person || user.user_principal_name == format!("adelev@{DOMAIN}") {
            continue;
        }
        let local: String = user
            .display_name
            .to_ascii_lowercase()
            .split_whitespace()
            .map(|w| {
                w.chars()
                    .filter(|c| c.is_ascii_alphanumeric())
                    .collect::<String>()
            })
            .collect::<Vec<_>>()
            .join(".");
        user.mail = format!("{local}@{MAIL_DOMAIN}");
        user.proxy_addresses = vec![
            format!("SMTP:{}", user.mail),
            format!("smtp:{}", user.user_principal_name),
        ];
        if user.user_principal_name == TWO_NUMBERS_UPN {
            user.proxy_addresses
                .push(format!("smtp:{TWO_NUMBERS_ALIAS}"));
        }
    }
    let person = |rng: &mut SeededRng, given: &str, surname: &str, upn: &str, mail: &str| SimUser {
        id: rng.guid(),
        display_name: format!("{given} {surname}"),
        given_name: Some(given.to_string()),
        surname: Some(surname.to_string()),
        user_principal_name: upn.to_string(),
        mail: mail.to_string(),
        proxy_addresses: vec![format!("SMTP:{mail}"), format!("smtp:{upn}")],
        user_type: "Member".to_string(),
        job_title: Some("Analyst".to_string()),
        country: "US".to_string(),
        kind: UserKind::Person,
        roles: Vec::new(),
        account_enabled: true,
        assigned_plans: person_plans(),
    };
    directory.users.push(person(
        rng,
        "Nina",
        "Larsen",
        NO_NUMBER_UPN,
        &format!("nina.larsen@{MAIL_DOMAIN}"),
    ));
    let mut namesake = person(
        rng,
        "Alex",
        "Wilber",
        &format!("alex.wilber@{DOMAIN}"),
        // The London office's domain: the Seattle Alex Wilber has alex.wilber@contoso.com.
        "alex.wilber@contoso.co.uk",
    );
    namesake.country = "GB".to_string();
    directory.users.push(namesake);
    let mut guest = person(rng, "Sam", "Taylor", GUEST_UPN, GUEST_MAIL);
    guest.proxy_addresses = vec![format!("SMTP:{GUEST_MAIL}")];
    guest.user_type = "Guest".to_string();
    guest.job_title = None;
    guest.assigned_plans = Vec::new();
    directory.users.push(guest);
}

/// The plans of a licensed Teams Phone user: Teams, and Teams Phone (`MCOEV`).
pub(crate) fn person_plans() -> Vec<AssignedPlan> {
    vec![
        plan("TeamspaceAPI", super::leavers::TEAMS1_PLAN_ID, "Enabled"),
        plan(
            "MicrosoftCommunicationsOnline",
            super::leavers::MCOEV_PLAN_ID,
            "Enabled",
        ),
    ]
}

/// A resource account's plan: the Teams Phone Resource Account licence (`MCOEV_VIRTUALUSER`).
fn resource_account_plans() -> Vec<AssignedPlan> {
    vec![plan(
        "MicrosoftCommunicationsOnline",
        super::leavers::MCOEV_VIRTUALUSER_PLAN_ID,
        "Enabled",
    )]
}

pub(crate) fn plan(service: &str, id: &str, status: &str) -> AssignedPlan {
    AssignedPlan {
        assigned_date_time: "2024-09-02T08:00:00Z".to_string(),
        capability_status: status.to_string(),
        service: service.to_string(),
        service_plan_id: id.to_string(),
    }
}

/// Real tenants serve some rows with `null` in properties the metadata declares nullable; a
/// client must take them. Three rows near the end of the list get such nulls (the first rows
/// are what tests and demos name, so they stay whole):
/// - an unassigned Direct Routing number with no status, source, country, city or location;
/// - a number assigned to a conference bridge with no status or category;
/// - a user's number with no category, city, country, source or emergency address.
fn serve_some_nulls(numbers: &mut [NumberAssignment]) {
    let mut pick = |wanted: &dyn Fn(&NumberAssignment) -> bool, nulls: &[&'static str]| {
        if let Some(number) = numbers.iter_mut().rev().find(|n| {
            n.served_as_null.is_empty() && n.telephone_number != "+12065550100" && wanted(n)
        }) {
            number.served_as_null = nulls.to_vec();
        }
    };
    pick(
        &|n| n.assignment_status == "unassigned" && n.number_type == "directRouting",
        &[
            "assignmentStatus",
            "numberSource",
            "isoCountryCode",
            "city",
            "locationId",
            "civicAddressId",
        ],
    );
    pick(
        &|n| n.assignment_status == "conferenceAssigned",
        &["assignmentStatus", "assignmentCategory"],
    );
    pick(
        &|n| n.assignment_status == "userAssigned" && n.number_type == "callingPlan",
        &[
            "assignmentCategory",
            "city",
            "isoCountryCode",
            "numberSource",
            "civicAddressId",
        ],
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    const TENANT: &str = "00000000-0000-4000-8000-000000000000";

    #[test]
    fn some_rows_are_served_with_nulls_only_where_the_metadata_allows() {
        let tenant = sample_tenant(TENANT, 42);
        let odd: Vec<_> = tenant
            .numbers
            .iter()
            .filter(|n| !n.served_as_null.is_empty())
            .collect();
        assert_eq!(odd.len(), 3);
        for number in &odd {
            assert_ne!(number.telephone_number, "+12065550100");
            for name in &number.served_as_null {
                assert!(crate::directory::NULLABLE.contains(name), "{name}");
            }
            let json = number.to_graph_json();
            for name in &number.served_as_null {
                assert!(json[*name].is_null(), "{name} in {json}");
            }
            assert_eq!(number.property(number.served_as_null[0]), Ok(None));
        }
        assert!(odd
            .iter()
            .any(|n| n.served_as_null.contains(&"assignmentStatus")
                && n.assignment_target_id.is_some()));
    }

    #[test]
    fn the_same_seed_gives_the_same_tenant() {
        let a = sample_tenant(TENANT, 7);
        let b = sample_tenant(TENANT, 7);
        assert_eq!(a.numbers, b.numbers);
        assert_eq!(a.users, b.users);
        let c = sample_tenant(TENANT, 8);
        assert_ne!(a.users[0].id, c.users[0].id);
    }

    #[test]
    fn the_inventory_covers_every_kind_of_number() {
        let tenant = sample_tenant(TENANT, 42);
        assert_eq!(tenant.numbers.len(), 200);
        let unique: HashSet<_> = tenant.numbers.iter().map(|n| &n.telephone_number).collect();
        assert_eq!(unique.len(), 200, "telephone numbers are unique");
        let ids: HashSet<_> = tenant.numbers.iter().map(|n| &n.id).collect();
        assert_eq!(ids.len(), 200, "ids are unique");
        for wanted in ["directRouting", "callingPlan", "operatorConnect"] {
            assert!(
                tenant.numbers.iter().any(|n| n.number_type == wanted),
                "{wanted}"
            );
        }
        for wanted in [
            "userAssigned",
            "voiceApplicationAssigned",
            "conferenceAssigned",
            "unassigned",
        ] {
            assert!(
                tenant.numbers.iter().any(|n| n.assignment_status == wanted),
                "{wanted}"
            );
        }
        for country in ["US", "GB", "DE", "AU", "JP"] {
            assert!(tenant.numbers.iter().any(|n| n.iso_country_code == country));
        }
        assert!(tenant
            .numbers
            .iter()
            .any(|n| n.telephone_number.contains(";ext=")));
    }

    #[test]
    fn assignments_respect_capabilities_and_targets_exist() {
        let tenant = sample_tenant(TENANT, 42);
        for n in &tenant.numbers {
            match n.assignment_status.as_str() {
                "unassigned" => {
                    assert!(n.assignment_target_id.is_none() && n.assignment_category.is_none())
                }
                "userAssigned" => {
                    assert!(n.capabilities.contains(&"userAssignment".to_string()));
                    let target = n.assignment_target_id.as_deref().unwrap_or_default();
                    // The leavers (see `leavers.rs`): deleted, or gone without a trace.
                    if tenant.user(target).is_none() {
                        assert!(
                            tenant.deleted_users.iter().any(|u| u.id == target)
                                || super::super::leavers::is_ghost(&tenant, target),
                            "{target}"
                        );
                        continue;
                    }
                    let user = tenant.user(target).expect("target is a user");
                    assert_eq!(user.kind, UserKind::Person);
                }
                "voiceApplicationAssigned" => {
                    assert!(n
                        .capabilities
                        .contains(&"voiceApplicationAssignment".to_string()));
                    let target = n.assignment_target_id.as_deref().unwrap_or_default();
                    let user = tenant.user(target).expect("target is an account");
                    assert_eq!(user.kind, UserKind::ResourceAccount);
                }
                "conferenceAssigned" => {
                    let target = n.assignment_target_id.as_deref().unwrap_or_default();
                    assert!(tenant.bridges.iter().any(|b| b.id == target));
                    assert!(tenant.user(target).is_none(), "bridges are not users");
                }
                other => panic!("unexpected status {other}"),
            }
        }
    }

    #[test]
    fn the_offboarding_cases_are_there() {
        // The demo tenant's seed: the one demos and the e2e tests name people of.
        let tenant = sample_tenant(TENANT, 0x4e75_6d62_6572_4465);
        let held = |id: &str| {
            tenant
                .numbers
                .iter()
                .filter(|n| n.assignment_target_id.as_deref() == Some(id))
                .count()
        };
        let allan = tenant.user(TWO_NUMBERS_UPN).expect("Allan");
        assert_eq!(held(&allan.id), 2);
        assert_ne!(allan.mail, allan.user_principal_name);
        assert!(allan
            .proxy_addresses
            .iter()
            .any(|p| p.eq_ignore_ascii_case(&format!("smtp:{TWO_NUMBERS_ALIAS}"))));
        let nina = tenant.user(NO_NUMBER_UPN).expect("Nina");
        assert_eq!(held(&nina.id), 0);
        let namesakes: Vec<_> = tenant
            .users
            .iter()
            .filter(|u| u.display_name == SHARED_NAME)
            .collect();
        assert_eq!(namesakes.len(), 2);
        assert_ne!(namesakes[0].mail, namesakes[1].mail, "mail is unique");
        let guest = tenant.user(GUEST_UPN).expect("guest");
        assert!(guest.is_guest() && guest.mail == GUEST_MAIL);
        let adele = tenant.user(&format!("adelev@{DOMAIN}")).unwrap();
        assert_eq!(adele.mail, adele.user_principal_name);
        // Someone holds three numbers, in more than one category.
        assert!(tenant.users.iter().any(|u| {
            let cats: std::collections::HashSet<_> = tenant
                .numbers
                .iter()
                .filter(|n| n.assignment_target_id.as_deref() == Some(u.id.as_str()))
                .filter_map(|n| n.assignment_category.clone())
                .collect();
            held(&u.id) == 3 && cats.len() >= 2
        }));
    }

    #[test]
    fn adele_holds_the_sample_number() {
        let tenant = sample_tenant(TENANT, 42);
        let adele = tenant
            .user(&format!("adelev@{DOMAIN}"))
            .expect("Adele exists");
        let index = tenant.number_index("+12065550100").expect("number exists");
        let number = &tenant.numbers[index];
        assert_eq!(number.number_type, "callingPlan");
        assert_eq!(number.assignment_status, "userAssigned");
        assert_eq!(number.assignment_category.as_deref(), Some("primary"));
        assert_eq!(
            number.assignment_target_id.as_deref(),
            Some(adele.id.as_str())
        );
        assert!(number.city.is_some() && number.location_id.is_some());
    }
}
