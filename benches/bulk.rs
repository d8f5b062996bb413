//! Bulk unassign against the simulated tenant: `cargo bench --bench bulk`.
//!
//! 1,000 numbers, 100 ms latency on every Graph call, and a limit of 50 requests/s over all
//! Graph calls. The lower bound is one POST plus one status read per number divided by the
//! limit (2,000 / 50 = 40 s). Reports the wall time against that bound, the 429s, and requests
//! per number — then numbers one at a time, as a PowerShell loop does (look up, unassign, wait
//! for the operation to finish, next): that loop needs seconds per number, so it runs on a
//! sample of `LOOP_SAMPLE` numbers and its time is scaled to 1,000.
//!
//! The NumberDesk run is measured twice: confirmed at once (the preview's listing is the
//! fresh answer every row's holder check needs), and confirmed two minutes after the preview
//! (every row's holder must be read again before its POST: what that costs).

#[path = "../tests/app_support/mod.rs"]
mod app_support;
#[path = "../tests/sim_support/mod.rs"]
mod sim_support;

use numberdesk::bulk::{self, BulkConfig, BulkEngine, BulkProgress, RateConfig};
use numberdesk::cloud::Cloud;
use numberdesk::graph::GraphOptions;
use numberdesk::history::History;
use numberdesk::sim::{self, SimConfig, SimTenant};
use std::sync::Arc;
use std::time::{Duration, Instant};

const NUMBERS: usize = 1_000;
const LIMIT: f64 = 50.0;
const LOOP_SAMPLE: usize = 50;

struct Outcome {
    /// Throttle events (a burst of 429s counts once) and the rate the run settled on.
    events: u64,
    rate: f64,
    wall: Duration,
    requests: usize,
    throttled: usize,
    succeeded: usize,
}

/// A tenant whose operations take two seconds, as Microsoft's take seconds.
async fn tenant() -> SimTenant {
    SimTenant::start(SimConfig {
        operation_not_started: Duration::from_millis(500),
        operation_running: Duration::from_millis(1500),
        ..SimConfig::default()
    })
    .await
    .expect("sim")
}

/// `preview_age`: how long before the run the admin's preview was read.
async fn run(workers: usize, label: &str, preview_age: Duration) -> Outcome {
    let tenant = tenant().await;
    let service = app_support::signed_in(&tenant, sim::ADMIN_UPN).await;
    let have = tenant
        .numbers()
        .iter()
        .filter(|n| {
            matches!(
                n.assignment_status.as_str(),
                "userAssigned" | "voiceApplicationAssigned"
            )
        })
        .count();
    if have < NUMBERS {
        tenant.add_assigned_numbers(NUMBERS - have);
    }
    let numbers: Vec<String> = tenant
        .numbers()
        .into_iter()
        .filter(|n| {
            matches!(
                n.assignment_status.as_str(),
                "userAssigned" | "voiceApplicationAssigned"
            )
        })
        .map(|n| n.telephone_number)
        .take(NUMBERS)
        .collect();
    let dir = tempfile::tempdir().expect("dir");
    let history = Arc::new(History::open(dir.path()).expect("history").0);
    let graph = app_support::graph(&tenant, &service, GraphOptions::default());
    // The limits apply from here: the preview's list calls and the run.
    tenant.set_latency(Duration::from_millis(100));
    tenant.set_rate_limit(Some(LIMIT));
    tenant.clear_requests();
    let started = Instant::now();
    let table = bulk::parse_pasted(&numbers.join("\n")).expect("list");
    let rows = bulk::rows_for_column(&table, 0);
    let preview = bulk::preview(&graph, &history, true, &rows)
        .await
        .expect("preview");
    let engine = BulkEngine::new(
        graph,
        history,
        service.session_handle(),
        Cloud::custom(&tenant.login_url(), &tenant.graph_url()).expect("cloud"),
        BulkConfig {
            workers,
            // The app's own pacing, with room above the tenant's limit so it must find it.
            rate: RateConfig {
                max: 200.0,
                ..RateConfig::default()
            },
            first_poll: Duration::from_millis(2500),
            poll_gap: Duration::from_secs(2),
            ..BulkConfig::default()
        },
    );
    // When each slow-down came, and at what rate (printed with `--trace`).
    let trace = Arc::new(std::sync::Mutex::new(Vec::<(f64, u64, f64)>::new()));
    let quiet: BulkProgress = {
        let trace = trace.clone();
        Arc::new(move |event| {
            if let numberdesk::bulk::BulkEvent::Progress(p) = event {
                let mut trace = trace.lock().unwrap();
                if trace.last().is_none_or(|(_, n, r)| {
                    *n != p.rate.throttles || (*r - p.rate.rate).abs() > 0.01
                }) {
                    trace.push((
                        started.elapsed().as_secs_f64(),
                        p.rate.throttles,
                        p.rate.rate,
                    ));
                }
            }
        })
    };
    let mut plan = preview.run_plan();
    plan.read_at = plan.read_at.and_then(|at| at.checked_sub(preview_age));
    let report = engine
        .start(plan, quiet)
        .await
        .expect("start")
        .finished()
        .await
        .expect("run");
    let wall = started.elapsed();
    let requests = tenant.graph_requests();
    let outcome = Outcome {
        wall,
        requests: requests.len(),
        throttled: requests.iter().filter(|r| r.status == Some(429)).count(),
        succeeded: report.counts.succeeded,
        events: report.rate.throttles,
        rate: report.rate.rate,
    };
    let bound = (2 * NUMBERS) as f64 / LIMIT;
    println!(
        "{label:<28} {:>7.1} s  {:>5.2}× bound  {:>5} requests  {:>4.2}/number  {:>4} × 429 ({:.2} %) in {} slow-downs, ending at {:.1}/s  {} succeeded",
        outcome.wall.as_secs_f64(),
        outcome.wall.as_secs_f64() / bound,
        outcome.requests,
        outcome.requests as f64 / NUMBERS as f64,
        outcome.throttled,
        100.0 * outcome.throttled as f64 / outcome.requests.max(1) as f64,
        outcome.events,
        outcome.rate,
        outcome.succeeded
    );
    if std::env::args().any(|a| a == "--trace") {
        for (at, throttles, rate) in trace.lock().unwrap().iter() {
            println!("  {at:>6.2} s  slow-downs {throttles:>2}  rate {rate:>6.1}/s");
        }
    }
    tenant.shutdown();
    outcome
}

fn main() {
    // `cargo bench --bench bulk -- --quick`: the NumberDesk run only.
    let quick = std::env::args().any(|a| a == "--quick");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    println!(
        "bulk unassign, {NUMBERS} numbers, 100 ms latency, {LIMIT} requests/s; lower bound {:.0} s",
        (2 * NUMBERS) as f64 / LIMIT
    );
    runtime.block_on(async {
        run(8, "NumberDesk, 8 workers", Duration::ZERO).await;
        run(8, "… preview 2 minutes old", Duration::from_secs(120)).await;
        if !quick {
            powershell_loop().await;
        }
    });
}

/// The loop an admin writes in PowerShell: for each number, look it up, unassign it, and wait
/// for the operation to finish (read at 1 s, 2 s, 4 s …) before the next.
async fn powershell_loop() {
    let tenant = tenant().await;
    let service = app_support::signed_in(&tenant, sim::ADMIN_UPN).await;
    let numbers = tenant.add_assigned_numbers(LOOP_SAMPLE);
    let graph = app_support::graph(&tenant, &service, GraphOptions::default());
    tenant.set_latency(Duration::from_millis(100));
    tenant.set_rate_limit(Some(LIMIT));
    tenant.clear_requests();
    let started = Instant::now();
    let mut succeeded = 0;
    for number in &numbers {
        let (found, _) = graph.lookup_number(number).await.expect("lookup");
        let found = found.expect("the number exists");
        let accepted = graph
            .unassign(
                number,
                &found.number_type,
                &uuid::Uuid::new_v4().to_string(),
            )
            .await
            .expect("unassign");
        let location = accepted.location.expect("Location");
        let mut wait = Duration::from_secs(1);
        loop {
            tokio::time::sleep(wait).await;
            let (operation, _) = graph.operation(&location).await.expect("operation");
            if operation.status.is_settled() {
                if operation.status.as_str() == "succeeded" {
                    succeeded += 1;
                }
                break;
            }
            wait = (wait * 2).min(Duration::from_secs(30));
        }
    }
    let wall = started.elapsed();
    let requests = tenant.graph_requests().len();
    let scaled = wall.as_secs_f64() * NUMBERS as f64 / LOOP_SAMPLE as f64;
    println!(
        "{:<28} {:>7.1} s for {LOOP_SAMPLE} ({:.2} s/number) → {:.0} s for {NUMBERS} ({:.1}× bound)  {:.2} requests/number  {succeeded} succeeded",
        "one at a time (PowerShell)",
        wall.as_secs_f64(),
        wall.as_secs_f64() / LOOP_SAMPLE as f64,
        scaled,
        scaled / ((2 * NUMBERS) as f64 / LIMIT),
        requests as f64 / LOOP_SAMPLE as f64,
    );
    tenant.shutdown();
}
