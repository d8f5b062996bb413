//! Offboarding HR's list (issue 24): 1,000 people, named by user name or email, in a
//! 50,000-number, 20,000-user simulated tenant with 100 ms latency on every Graph call:
//! `cargo bench --bench people`.
//!
//! Reports the requests and wall time of Bulk's preview of that list, as the app runs it
//! (`bulk::preview`: the directory in `$batch` requests of 20 parts of 15 addresses, read
//! while the tenant's number list is read, 1,000 a page; each person's numbers from that
//! list), against one lookup per person as a PowerShell loop does it
//! (`GET /users/{upn}` then `numberAssignments?$filter=assignmentTargetId eq '…'`, one after
//! the other), measured on a sample of `PER_PERSON_SAMPLE` and scaled.

#[path = "../tests/app_support/mod.rs"]
mod app_support;
#[path = "../tests/sim_support/mod.rs"]
mod sim_support;

use numberdesk::graph::GraphOptions;
use numberdesk::history::History;
use numberdesk::sim::{self, SimConfig, SimTenant, TenantScale};
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
        // Whose email is not their user name (all but the demo's sample user).
        .filter(|u| !u.mail.eq_ignore_ascii_case(&u.user_principal_name))
        .take(PEOPLE)
        .collect();
    assert_eq!(people.len(), PEOPLE, "the tenant has enough holders");
    // HR's list as pasted into Bulk: half by user name, half by email (not the user name).
    let list: Vec<String> = people
        .iter()
        .enumerate()
        .map(|(i, u)| {
            if i % 2 == 0 {
                u.user_principal_name.clone()
            } else {
                u.mail.clone()
            }
        })
        .collect();
    let table = numberdesk::bulk::parse_pasted(&list.join("\n")).expect("list");
    let rows = numberdesk::bulk::rows_for_column(&table, 0);
    assert!(rows.iter().all(|r| r.person.is_some()));
    let dir = tempfile::tempdir().expect("dir");
    let history = History::open(dir.path()).expect("history").0;
    tenant.set_latency(LATENCY);
    println!(
        "# People benchmark: {PEOPLE} people in a tenant of {} numbers and {} users, {} ms latency",
        tenant.numbers().len(),
        tenant.users().len(),
        LATENCY.as_millis()
    );

    // NumberDesk: Bulk's preview of the list.
    tenant.clear_requests();
    let t = Instant::now();
    let preview = numberdesk::bulk::preview(&graph, &history, true, &rows)
        .await
        .expect("preview");
    let wall = t.elapsed();
    let requests = tenant.graph_requests().len();
    assert_eq!(requests, preview.requests);
    let counts = &preview.counts;
    let unfound: Vec<_> = preview
        .rows
        .iter()
        .filter(|r| r.skip.is_some())
        .take(3)
        .map(|r| (&r.raw, r.reason.as_deref()))
        .collect();
    assert_eq!(counts.people, PEOPLE);
    assert_eq!(
        counts.to_send,
        preview.rows.len(),
        "every person found, each number planned: {unfound:?}"
    );
    let batches = tenant
        .graph_requests()
        .iter()
        .filter(|r| r.path_and_query.contains("$batch"))
        .count();
    println!(
        "- NumberDesk (Bulk preview): {PEOPLE} people and their {} numbers in {requests} requests \
         ({batches} directory batches, {} for the number list), {:.1} s",
        counts.to_send,
        preview.list_requests,
        wall.as_secs_f64(),
    );

    // The parts of it: the directory alone, the number list alone.
    let queries: Vec<_> = rows.iter().filter_map(|r| r.person.clone()).collect();
    tenant.clear_requests();
    let t = Instant::now();
    graph
        .find_people(&queries, &numberdesk::graph::CancelToken::new())
        .await
        .expect("people");
    let people_wall = t.elapsed();
    let people_requests = tenant.graph_requests().len();
    let t = Instant::now();
    graph.list_numbers().await.expect("list");
    let list_wall = t.elapsed();
    println!(
        "  of which alone: the people {people_requests} requests, {:.1} s; the number list {:.1} s",
        people_wall.as_secs_f64(),
        list_wall.as_secs_f64()
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
