//! The Numbers view against a 50,000-number, 20,000-user simulated tenant with 100 ms latency
//! on every Graph call: `cargo bench --bench inventory`.
//!
//! Reports: the inventory read, first (no estimate) and as a Refresh (the kept list's size as
//! the estimate), with the list requests the read counted and those the tenant received, name
//! requests and wall time; loading the kept list on the next start, filter/search/sort on
//! 50,000 rows in the core, and the leavers lens
//! over every assignee (requests, wall time) against one `/users/{id}` read per assignee
//! (measured on a sample of `PER_USER_SAMPLE` and scaled, as one read per user takes minutes).

#[path = "../tests/app_support/mod.rs"]
mod app_support;
#[path = "../tests/sim_support/mod.rs"]
mod sim_support;

use numberdesk::graph::{CancelToken, GraphOptions};
use numberdesk::inventory::{
    self, AssignmentKind, InventoryQuery, InventoryStore, InventoryView, KeptList, LeaverOptions,
    ListOwner, ReadOutcome, SortColumn,
};
use numberdesk::sim::{self, SimConfig, SimTenant, TenantScale};
use std::time::{Duration, Instant};

const LATENCY: Duration = Duration::from_millis(100);
const PER_USER_SAMPLE: usize = 100;

/// Requests the tenant received for the number list (retries included).
fn list_requests(tenant: &SimTenant) -> usize {
    tenant
        .graph_requests()
        .iter()
        .filter(|r| r.path_and_query.contains("numberAssignments"))
        .count()
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

#[tokio::main]
async fn main() {
    let started = Instant::now();
    let tenant = SimTenant::start(SimConfig {
        scale: Some(TenantScale::BENCHMARK),
        ..SimConfig::default()
    })
    .await
    .expect("sim");
    let sim_start = started.elapsed();
    let service = app_support::signed_in(&tenant, sim::ADMIN_UPN).await;
    let graph = app_support::graph(&tenant, &service, GraphOptions::default());
    tenant.set_latency(LATENCY);
    println!(
        "# Inventory benchmark: {} numbers, {} users, {} latency",
        tenant.numbers().len(),
        tenant.users().len(),
        ms(LATENCY)
    );
    println!("- simulated tenant ready in {}", ms(sim_start));

    // 1. The read, numbers only, then with names.
    tenant.clear_requests();
    let t = Instant::now();
    let ReadOutcome::Read(plain) =
        inventory::read_inventory(&graph, true, None, false, &|_| {}, &CancelToken::new())
            .await
            .expect("read")
    else {
        panic!("cancelled")
    };
    let plain_wall = t.elapsed();
    println!(
        "- first inventory read (no kept list to estimate from): {} rows, {} list requests ({} by the tenant's count; sequential: 51), {:.2} s (goal ≤ 2 s)",
        plain.rows.len(),
        plain.list_requests,
        list_requests(&tenant),
        plain_wall.as_secs_f64()
    );
    tenant.clear_requests();
    let t = Instant::now();
    let ReadOutcome::Read(named) = inventory::read_inventory(
        &graph,
        true,
        Some(plain.rows.len()),
        true,
        &|_| {},
        &CancelToken::new(),
    )
    .await
    .expect("read") else {
        panic!("cancelled")
    };
    println!(
        "- Refresh with names (the kept list's size as the estimate): {} list ({} by the tenant's count) + {} name requests, {:.2} s",
        named.list_requests,
        list_requests(&tenant),
        named.name_requests,
        t.elapsed().as_secs_f64()
    );
    tenant.clear_requests();
    let t = Instant::now();
    let ReadOutcome::Read(refreshed) = inventory::read_inventory(
        &graph,
        true,
        Some(plain.rows.len()),
        false,
        &|_| {},
        &CancelToken::new(),
    )
    .await
    .expect("read") else {
        panic!("cancelled")
    };
    println!(
        "- Refresh, numbers only (the kept list's size as the estimate): {} list requests ({} by the tenant's count), {:.2} s (goal ≤ 2 s, 51 requests)",
        refreshed.list_requests,
        list_requests(&tenant),
        t.elapsed().as_secs_f64()
    );

    // 2. The kept list on the next start.
    let dir = tempfile::tempdir().expect("dir");
    let owner = ListOwner {
        tenant_id: numberdesk::sim::DEMO_TENANT_ID.into(),
        cloud: "custom".into(),
        graph: "http://127.0.0.1".into(),
        account: numberdesk::sim::ADMIN_UPN.into(),
    };
    {
        let store = InventoryStore::open(dir.path()).expect("store");
        let t = Instant::now();
        store.save(&owner, &named).expect("save");
        println!("- keeping 50,000 rows: {}", ms(t.elapsed()));
    }
    let t = Instant::now();
    let store = InventoryStore::open(dir.path()).expect("store");
    let KeptList::Read(kept) = store.load(&owner).expect("load") else {
        panic!("kept for its owner");
    };
    let view = InventoryView::new(kept.rows);
    println!(
        "- next start: open + load + prepare {} rows: {} (goal ≤ 300 ms)",
        view.len(),
        ms(t.elapsed())
    );

    // 3. Filters, search, sort on 50,000 rows.
    let queries = [
        ("no filter, by number", InventoryQuery::default()),
        (
            "search digits '425200'",
            InventoryQuery {
                search: "425200".into(),
                ..Default::default()
            },
        ),
        (
            "search name 'user 01'",
            InventoryQuery {
                search: "user 01".into(),
                ..Default::default()
            },
        ),
        (
            "users, sorted by assignee desc",
            InventoryQuery {
                assignment: vec![AssignmentKind::User],
                sort: SortColumn::Assignee,
                descending: true,
                ..Default::default()
            },
        ),
        (
            "stuck states, by country",
            InventoryQuery {
                activation_states: vec![
                    "assignmentFailed".into(),
                    "updatePending".into(),
                    "updateFailed".into(),
                ],
                sort: SortColumn::Country,
                ..Default::default()
            },
        ),
        (
            "directRouting + US, by activation",
            InventoryQuery {
                number_types: vec!["directRouting".into()],
                countries: vec!["US".into()],
                sort: SortColumn::ActivationState,
                ..Default::default()
            },
        ),
    ];
    let mut worst = Duration::ZERO;
    for (label, query) in &queries {
        let t = Instant::now();
        let result = view.query(query);
        let took = t.elapsed();
        worst = worst.max(took);
        println!("  - {label}: {} matching, {}", result.matching, ms(took));
    }
    println!(
        "- slowest filter/search/sort: {} (goal ≤ 100 ms)",
        ms(worst)
    );

    // 4. The leavers lens.
    tenant.clear_requests();
    let t = Instant::now();
    let report = inventory::find_leavers(
        &graph,
        view.rows(),
        LeaverOptions {
            include_unlicensed: true,
        },
        true,
        &CancelToken::new(),
    )
    .await
    .expect("lens")
    .expect("not cancelled");
    let lens_wall = t.elapsed();
    println!(
        "- leavers lens: {} assignees, {} leavers ({} disabled, {} deleted, {} ghost, {} unlicensed), {} requests, {:.2} s (goal ≤ 1 s)",
        report.assignees_checked,
        report.counts.numbers,
        report.counts.disabled,
        report.counts.deleted,
        report.counts.ghost,
        report.counts.unlicensed,
        report.requests,
        lens_wall.as_secs_f64()
    );
    let ids: Vec<String> = view
        .rows()
        .iter()
        .filter(|r| r.assignment == AssignmentKind::User)
        .filter_map(|r| r.assignee_id.clone())
        .take(PER_USER_SAMPLE)
        .collect();
    let t = Instant::now();
    for id in &ids {
        let _ = graph.user(id).await;
    }
    let per_user = t.elapsed() / ids.len().max(1) as u32;
    println!(
        "- one /users/{{id}} per assignee: {} requests, about {:.0} s (sampled {} reads at {} each)",
        report.assignees_checked,
        per_user.as_secs_f64() * report.assignees_checked as f64,
        ids.len(),
        ms(per_user)
    );
}
