//! Offboarding HR's list (issue 24): 1,000 people, named by user name or email, in a
//! 50,000-number, 20,000-user simulated tenant with 100 ms latency on every Graph call:
//! `cargo bench --bench people`.
//!
//! Reports the requests and wall time NumberDesk takes to find the people and their numbers
//! (the directory in `$batch` parts of 15 addresses, the numbers from one read of the tenant's
//! list, 1,000 a page), against one lookup per person as a PowerShell loop does it
//! (`GET /users/{upn}` then `numberAssignments?$filter=assignmentTargetId eq '…'`, one after
//! the other), measured on a sample of `PER_PERSON_SAMPLE` and scaled.

#[path = "../tests/app_support/mod.rs"]
mod app_support;
#[path = "../tests/sim_support/mod.rs"]
mod sim_support;

use numberdesk::graph::{CancelToken, GraphOptions, PersonQuery};
use numberdesk::sim::{self, SimConfig, SimTenant, TenantScale};
use std::collections::HashMap;
use std::time::{Duration, Instant};

const LATENCY: Duration = Duration::from_millis(100);
const PEOPLE: usize = 1_000;
const PER_PERSON_SAMPLE: usize = 50;

#[tokio::main]
async fn main() {
    let tenant = SimTenant::start(SimConfig {
        scale: Some(TenantScale::BENCHMARK),
        ..SimConfig::default()
    })
    .await
    .expect("sim");
    let service = app_support::signed_in(&tenant, sim::ADMIN_UPN).await;
    let graph = app_support::graph(&tenant, &service, GraphOptions::default());
    // HR's list: people who hold numbers, half by user name, half by email.
    let holders: std::collections::HashSet<String> = tenant
        .numbers()
        .into_iter()
        .filter(|n| n.assignment_status == "userAssigned")
        .filter_map(|n| n.assignment_target_id)
        .collect();
    let people: Vec<sim::SimUser> = tenant
        .users()
        .into_iter()
        .filter(|u| u.kind == sim::UserKind::Person && holders.contains(&u.id))
        .take(PEOPLE)
        .collect();
    assert_eq!(people.len(), PEOPLE, "the tenant has enough holders");
    let queries: Vec<PersonQuery> = people
        .iter()
        .enumerate()
        .map(|(i, u)| {
            PersonQuery::Address(if i % 2 == 0 {
                u.user_principal_name.clone()
            } else {
                u.mail.clone()
            })
        })
        .collect();
    tenant.set_latency(LATENCY);
    println!(
        "# People benchmark: {PEOPLE} people in a tenant of {} numbers and {} users, {} ms latency",
        tenant.numbers().len(),
        tenant.users().len(),
        LATENCY.as_millis()
    );

    // NumberDesk: people in batches, numbers from the tenant's list.
    tenant.clear_requests();
    let t = Instant::now();
    let read = graph
        .find_people(&queries, &CancelToken::new())
        .await
        .expect("people")
        .expect("not cancelled");
    let people_wall = t.elapsed();
    let people_requests = tenant.graph_requests().len();
    let listing = graph.list_numbers().await.expect("list");
    let wall = t.elapsed();
    let requests = tenant.graph_requests().len();
    let mut by_holder: HashMap<String, usize> = HashMap::new();
    for n in &listing.numbers {
        if let Some(id) = &n.assignment_target_id {
            *by_holder.entry(id.to_ascii_lowercase()).or_default() += 1;
        }
    }
    let mut found = 0;
    let mut numbers = 0;
    for i in 0..queries.len() {
        if let Some([account]) = read.matches.get(&i).map(Vec::as_slice) {
            found += 1;
            numbers += by_holder
                .get(&account.id.to_ascii_lowercase())
                .copied()
                .unwrap_or(0);
        }
    }
    let missing: Vec<_> = (0..queries.len())
        .filter(|i| read.matches.get(i).map_or(0, Vec::len) != 1)
        .take(3)
        .map(|i| {
            (
                &queries[i],
                read.matches.get(&i),
                read.unresolved.contains(&i),
            )
        })
        .collect();
    assert_eq!(found, PEOPLE, "every person found exactly: {missing:?}");
    println!(
        "- NumberDesk: {found} people and their {numbers} numbers in {requests} requests \
         ({people_requests} for the people, {} for the number list), {:.1} s \
         (people {:.1} s)",
        listing.requests,
        wall.as_secs_f64(),
        people_wall.as_secs_f64()
    );

    // One lookup per person, one after another.
    tenant.clear_requests();
    let http = reqwest::Client::new();
    let token = sim_support::access_token(&tenant, sim::ADMIN_UPN).await;
    tenant.clear_requests();
    let t = Instant::now();
    for person in people.iter().take(PER_PERSON_SAMPLE) {
        let user: serde_json::Value = http
            .get(format!(
                "{}/v1.0/users/{}?$select=id",
                tenant.graph_url(),
                person.user_principal_name.replace('#', "%23")
            ))
            .bearer_auth(&token)
            .send()
            .await
            .expect("user")
            .json()
            .await
            .expect("json");
        let id = user["id"].as_str().expect("id");
        let filter = format!("assignmentTargetId eq '{id}'");
        let answer = http
            .get(format!(
                "{}/v1.0/admin/teams/telephoneNumberManagement/numberAssignments?$filter={}",
                tenant.graph_url(),
                url::form_urlencoded::byte_serialize(filter.as_bytes()).collect::<String>()
            ))
            .bearer_auth(&token)
            .send()
            .await
            .expect("numbers");
        assert!(answer.status().is_success());
    }
    let sample = t.elapsed();
    let sample_requests = tenant.graph_requests().len();
    let scale = PEOPLE as f64 / PER_PERSON_SAMPLE as f64;
    println!(
        "- one lookup per person: {} requests, about {:.0} s (measured on {PER_PERSON_SAMPLE}: \
         {sample_requests} requests, {:.2} s)",
        (sample_requests as f64 * scale) as usize,
        sample.as_secs_f64() * scale,
        sample.as_secs_f64()
    );
}
