//! Bulk unassign (preview → run → follow → history) against the simulated tenant over real
//! loopback HTTP: a large throttled run, cancel, crash and resume, and the preview's reasons.

#[path = "app_support/mod.rs"]
mod app_support;
#[path = "sim_support/mod.rs"]
mod sim_support;
#[path = "wait_support/mod.rs"]
mod wait_support;

use app_support::{graph, recorded_options, signed_in, TestService, Waits};
use numberdesk::bulk::{
    self, BulkConfig, BulkEngine, BulkEvent, BulkProgress, RateConfig, RowPhase, RunPlan, RunState,
    SkipReason,
};
use numberdesk::cloud::Cloud;
use numberdesk::graph::GraphClient;
use numberdesk::history::{Actor, Assignee, History, NewOperation, OperationKind, RecordStatus};
use numberdesk::problem::{Problem, ProblemKind};
use numberdesk::sim::{self, SimTenant};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};
use wait_support::{wait_until, wait_until_quiet, PATIENCE};

struct Rig {
    sim: SimTenant,
    service: Arc<TestService>,
    history: Arc<History>,
    waits: Waits,
    _dir: tempfile::TempDir,
}

const WORKERS: usize = 4;

fn config() -> BulkConfig {
    BulkConfig {
        workers: WORKERS,
        rate: RateConfig {
            initial: 25.0,
            min: 1.0,
            max: 200.0,
            increase: 1.2,
            decrease: 0.5,
            default_pause: Duration::from_millis(500),
            ..RateConfig::default()
        },
        first_poll: Duration::from_millis(100),
        poll_gap: Duration::from_millis(100),
        resolve_window: Duration::from_secs(3),
        resolve_gap: Duration::from_millis(100),
        throttled_post_rounds: 5,
        ..BulkConfig::default()
    }
}

async fn rig() -> Rig {
    let sim = sim_support::start_fast().await;
    let service = signed_in(&sim, sim::ADMIN_UPN).await;
    let dir = tempfile::tempdir().unwrap();
    let history = Arc::new(History::open(dir.path()).unwrap().0);
    Rig {
        sim,
        service,
        history,
        waits: Waits::default(),
        _dir: dir,
    }
}

impl Rig {
    fn cloud(&self) -> Cloud {
        Cloud::custom(&self.sim.login_url(), &self.sim.graph_url()).unwrap()
    }

    fn graph(&self) -> GraphClient {
        graph(&self.sim, &self.service, recorded_options(&self.waits))
    }

    fn engine(&self, config: BulkConfig) -> BulkEngine {
        BulkEngine::new(
            self.graph(),
            self.history.clone(),
            self.service.session_handle(),
            self.cloud(),
            config,
        )
    }

    /// Numbers assigned to a user or resource account, in the sim's order; the tenant is
    /// grown when the seed has too few.
    fn assigned(&self, n: usize) -> Vec<String> {
        let have = self
            .sim
            .numbers()
            .iter()
            .filter(|a| a.is_assigned_to_account())
            .count();
        if have < n {
            assert_eq!(self.sim.add_assigned_numbers(n - have).len(), n - have);
        }
        let numbers: Vec<String> = self
            .sim
            .numbers()
            .into_iter()
            .filter(|a| a.is_assigned_to_account())
            .map(|a| a.telephone_number)
            .collect();
        assert!(
            numbers.len() >= n,
            "the sim has only {} assigned numbers",
            numbers.len()
        );
        numbers.into_iter().take(n).collect()
    }

    /// The plan for `numbers`, through the real preview.
    async fn plan(&self, numbers: &[String]) -> RunPlan {
        let table = bulk::parse_pasted(&numbers.join("\n")).unwrap();
        let column = bulk::number_column(&table).unwrap();
        let rows = bulk::rows_for_column(&table, column);
        let preview = bulk::preview(&self.graph(), &self.history, true, &rows)
            .await
            .unwrap();
        assert_eq!(preview.counts.to_send, numbers.len(), "{}", preview.summary);
        preview.run_plan()
    }
}

trait AssignedToAccount {
    fn is_assigned_to_account(&self) -> bool;
}

impl AssignedToAccount for sim::NumberAssignment {
    fn is_assigned_to_account(&self) -> bool {
        matches!(
            self.assignment_status.as_str(),
            "userAssigned" | "voiceApplicationAssigned"
        )
    }
}

/// Every event, and each row's phases in order (repeats collapsed).
#[derive(Clone, Default)]
struct Seen(Arc<Mutex<Vec<BulkEvent>>>);

impl Seen {
    fn sink(&self) -> BulkProgress {
        let seen = self.0.clone();
        Arc::new(move |event: &BulkEvent| seen.lock().unwrap().push(event.clone()))
    }

    fn phases(&self) -> HashMap<usize, Vec<RowPhase>> {
        let mut phases: HashMap<usize, Vec<RowPhase>> = HashMap::new();
        for event in self.0.lock().unwrap().iter() {
            if let BulkEvent::Row(update) = event {
                let list = phases.entry(update.row).or_default();
                if list.last() != Some(&update.phase) {
                    list.push(update.phase);
                }
            }
        }
        phases
    }

    fn etas(&self) -> Vec<u64> {
        self.0
            .lock()
            .unwrap()
            .iter()
            .filter_map(|e| match e {
                BulkEvent::Progress(p) => p.eta_seconds,
                _ => None,
            })
            .collect()
    }
}

fn posts_after(sim: &SimTenant, after: SystemTime) -> usize {
    sim.graph_requests()
        .iter()
        .filter(|r| r.method == "POST" && r.received_at > after)
        .count()
}

#[tokio::test]
async fn a_row_whose_number_changed_hands_after_the_preview_is_skipped_and_never_sent() {
    let rig = rig().await;
    let numbers = rig.assigned(6);
    let plan = rig.plan(&numbers).await;
    let moved = &numbers[2];
    let adele = plan.rows[2].prior_assignee.id.clone().unwrap();
    let bob = sim_support::another_person(&rig.sim, &adele);
    // After the preview, another admin gives the number to Bob; the preview's answer is then
    // older than the run accepts.
    assert!(rig.sim.change_holder(moved, Some(&bob.id)));
    let max_age = Duration::from_secs(1);
    tokio::time::sleep(max_age + Duration::from_millis(50)).await;
    rig.sim.clear_requests();
    let run = rig
        .engine(BulkConfig {
            holder_max_age: max_age,
            ..config()
        })
        .start(plan, Seen::default().sink())
        .await
        .unwrap();
    let report = run.finished().await.unwrap();

    assert_eq!(rig.sim.post_count_for(moved), 0, "never taken from Bob");
    assert_eq!(
        rig.sim
            .number(moved)
            .unwrap()
            .assignment_target_id
            .as_deref(),
        Some(bob.id.as_str())
    );
    let row = &report.rows[2];
    assert_eq!(row.phase, RowPhase::Skipped);
    let detail = row.detail.clone().unwrap();
    assert!(
        detail.contains(&bob.display_name) && detail.contains("nothing was changed"),
        "{detail}"
    );
    assert_eq!(report.counts.skipped, 1);
    assert_eq!(report.counts.succeeded, 5);
    // History says the same, and the record never read as sent.
    let record = rig.history.get(row.record_id.unwrap()).unwrap().unwrap();
    assert_eq!(record.status, RecordStatus::Skipped);
    assert_eq!(record.status_detail.as_deref(), Some(detail.as_str()));
    assert!(record.request_id.is_none() && record.location.is_none());
    // And the results CSV.
    let mut csv = Vec::new();
    rig.history
        .export_csv(
            &numberdesk::history::HistoryQuery {
                batch_id: Some(report.batch_id.clone()),
                ..Default::default()
            },
            &mut csv,
        )
        .unwrap();
    let csv = String::from_utf8_lossy(&csv);
    let line = csv.lines().find(|l| l.contains(moved.as_str())).unwrap();
    assert!(
        line.contains("skipped") && line.contains("now held by"),
        "{line}"
    );
    // Six rows waiting and a one-page tenant: one listing, not a read per row.
    let single_reads = rig
        .sim
        .graph_requests()
        .iter()
        .filter(|r| r.method == "GET" && r.path_and_query.contains("filter=telephoneNumber"))
        .count();
    let list_reads = rig
        .sim
        .graph_requests()
        .iter()
        .filter(|r| r.method == "GET" && r.path_and_query.contains("numberAssignments?$top="))
        .count();
    assert_eq!(
        (single_reads, list_reads),
        (0, 2),
        "one page and the empty end page"
    );
}

#[tokio::test]
async fn a_fresh_preview_is_sent_without_reading_again_and_an_old_one_row_at_a_time() {
    let rig = rig().await;
    let numbers = rig.assigned(2);
    // Fresh: the preview's listing is the answer; nothing but POSTs and operation reads.
    let plan = rig.plan(&numbers[..1]).await;
    rig.sim.clear_requests();
    let report = rig
        .engine(config())
        .start(plan, Seen::default().sink())
        .await
        .unwrap()
        .finished()
        .await
        .unwrap();
    assert_eq!(report.counts.succeeded, 1);
    assert!(!rig
        .sim
        .graph_requests()
        .iter()
        .any(|r| r.path_and_query.contains("numberAssignments?")));
    // A plan of unknown age (read back from the history): the one row reads its own number.
    let plan: RunPlan = rig.plan(&numbers[1..]).await.rows.into();
    rig.sim.clear_requests();
    let report = rig
        .engine(config())
        .start(plan, Seen::default().sink())
        .await
        .unwrap()
        .finished()
        .await
        .unwrap();
    assert_eq!(report.counts.succeeded, 1);
    let reads: Vec<String> = rig
        .sim
        .graph_requests()
        .into_iter()
        .filter(|r| r.path_and_query.contains("numberAssignments?"))
        .map(|r| r.path_and_query)
        .collect();
    assert_eq!(reads.len(), 1, "{reads:?}");
    assert!(reads[0].contains("filter=telephoneNumber"), "{reads:?}");
}

/// The end of a run: operation reads that fell due while rows were still to be sent wait (up
/// to `read_lag`) behind the rows, so the last seconds are not spent reading the last few
/// operations alone at a fraction of the rate. With no lag, reads cut in as soon as they are due.
#[tokio::test]
async fn due_operation_reads_wait_behind_the_rows_still_to_send_for_at_most_the_read_lag() {
    async fn run(rig: &Rig, numbers: &[String], read_lag: Duration) -> Vec<String> {
        let plan = rig.plan(numbers).await;
        rig.sim.clear_requests();
        let report = rig
            .engine(BulkConfig {
                workers: 1,
                rate: RateConfig {
                    initial: 20.0,
                    max: 20.0,
                    slow_start: false,
                    ..config().rate
                },
                first_poll: Duration::from_millis(50),
                read_lag,
                ..config()
            })
            .start(plan, Seen::default().sink())
            .await
            .unwrap()
            .finished()
            .await
            .unwrap();
        assert_eq!(report.counts.succeeded, numbers.len());
        rig.sim
            .graph_requests()
            .into_iter()
            .map(|r| r.method)
            .collect()
    }
    let rig = rig().await;
    let numbers = rig.assigned(16);
    // 20 requests a second: each POST waits 50 ms for its turn, so every earlier POST's
    // operation is due before the next row goes.
    let lagging = run(&rig, &numbers[..8], Duration::from_secs(30)).await;
    let first_get = lagging.iter().position(|m| m == "GET").unwrap();
    assert_eq!(
        lagging[..first_get].iter().filter(|m| *m == "POST").count(),
        8,
        "every row is sent before the first read: {lagging:?}"
    );
    let eager = run(&rig, &numbers[8..], Duration::ZERO).await;
    let first_get = eager.iter().position(|m| m == "GET").unwrap();
    assert!(
        first_get < 7,
        "without a lag a due read goes before the next row: {eager:?}"
    );
}

#[tokio::test]
async fn an_undo_is_not_given_back_when_the_number_was_given_to_someone_else() {
    let rig = rig().await;
    let numbers = rig.assigned(2);
    let plan = rig.plan(&numbers).await;
    let adele = plan.rows[0].prior_assignee.id.clone().unwrap();
    let report = rig
        .engine(config())
        .start(plan, Seen::default().sink())
        .await
        .unwrap()
        .finished()
        .await
        .unwrap();
    assert_eq!(report.counts.succeeded, 2);
    let undo = bulk::undo_preview(&rig.graph(), &rig.history, true, &report.batch_id)
        .await
        .unwrap();
    assert_eq!(undo.counts.to_send, 2);
    // Between the undo's preview and its run, the first number goes to Bob.
    let bob = sim_support::another_person(&rig.sim, &adele);
    assert!(rig.sim.change_holder(&numbers[0], Some(&bob.id)));
    let max_age = Duration::from_secs(1);
    tokio::time::sleep(max_age + Duration::from_millis(50)).await;
    let assigns_before = rig
        .sim
        .graph_requests()
        .iter()
        .filter(|r| r.path_and_query.ends_with("/assignNumber"))
        .count();
    let report = rig
        .engine(BulkConfig {
            holder_max_age: max_age,
            ..config()
        })
        .start(undo.run_plan(), Seen::default().sink())
        .await
        .unwrap()
        .finished()
        .await
        .unwrap();
    assert_eq!(report.rows[0].phase, RowPhase::Skipped);
    assert_eq!(report.rows[1].phase, RowPhase::Succeeded);
    let assigns = rig
        .sim
        .graph_requests()
        .iter()
        .filter(|r| r.path_and_query.ends_with("/assignNumber"))
        .count();
    assert_eq!(
        assigns - assigns_before,
        1,
        "only the free number is given back"
    );
    assert_eq!(
        rig.sim
            .number(&numbers[0])
            .unwrap()
            .assignment_target_id
            .as_deref(),
        Some(bob.id.as_str())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_hundred_numbers_under_a_rate_limit_and_429s_each_unassigned_exactly_once() {
    let rig = rig().await;
    let numbers = rig.assigned(300);
    let plan = rig.plan(&numbers).await;
    rig.sim.clear_requests();
    // 4 workers × 1 / 60 ms could make 66 requests/s: over the tenant's 50, so the run must
    // find the rate, and at ~50/s × 60 ms the pool is full at times.
    rig.sim.set_latency(Duration::from_millis(60));
    rig.sim.set_rate_limit(Some(50.0));
    rig.sim.throttle_next(3, Duration::from_secs(1));
    rig.sim.reset_max_in_flight();

    let seen = Seen::default();
    let started = std::time::Instant::now();
    let run = rig
        .engine(BulkConfig {
            rate: RateConfig {
                initial: 40.0,
                increase: 1.5,
                ..config().rate
            },
            first_poll: Duration::from_millis(150),
            ..config()
        })
        .start(plan, seen.sink())
        .await
        .expect("start");
    let report = run.finished().await.unwrap();
    let took = started.elapsed();

    assert_eq!(report.counts.succeeded, 300, "{:?}", report.counts);
    assert_eq!(report.sent.len(), 300);
    // Exactly one POST per number that Microsoft took; a POST refused with 429 (not taken)
    // was repeated for the same record, with the same client-request-id.
    let requests = rig.sim.graph_requests();
    let mut refused_posts = 0;
    for number in &numbers {
        let posts: Vec<_> = requests
            .iter()
            .filter(|r| r.method == "POST" && r.body.contains(&format!("\"{number}\"")))
            .collect();
        assert_eq!(posts.len(), rig.sim.post_count_for(number));
        let taken = posts.iter().filter(|r| r.status == Some(202)).count();
        assert_eq!(taken, 1, "{number}: {posts:#?}");
        assert!(posts
            .iter()
            .all(|r| matches!(r.status, Some(202) | Some(429))));
        assert!(posts
            .iter()
            .all(|r| r.client_request_id == posts[0].client_request_id));
        refused_posts += posts.len() - 1;
        assert_eq!(
            rig.sim.number(number).unwrap().assignment_status,
            "unassigned",
            "{number}"
        );
    }
    let max = rig.sim.max_in_flight();
    assert!(
        max <= WORKERS,
        "{max} requests at once with {WORKERS} workers"
    );
    assert!(max >= WORKERS - 1, "the workers barely overlapped ({max})");

    let throttled = requests.iter().filter(|r| r.status == Some(429)).count();
    let polls = requests
        .iter()
        .filter(|r| r.method == "GET" && r.path_and_query.contains("/operations"))
        .count();
    assert!(report.rate.throttles >= 1, "{:?}", report.rate);
    assert!(
        polls <= 2 * 300,
        "{polls} operation reads for 300 operations"
    );
    // Every row went sending → accepted → succeeded, in that order.
    let phases = seen.phases();
    for row in 0..300 {
        let list = &phases[&row];
        let at = |p| list.iter().position(|x| *x == p).unwrap();
        assert!(
            at(RowPhase::Sending) < at(RowPhase::Accepted)
                && at(RowPhase::Accepted) < at(RowPhase::Succeeded),
            "row {row}: {list:?}"
        );
    }
    assert!(!seen.etas().is_empty(), "an ETA was given");
    let records = rig.history.unsettled().unwrap();
    assert!(records.is_empty(), "{records:?}");
    eprintln!(
        "300 numbers: {:.1} s, {} Graph requests ({} operation reads, {} answered 429), \
         max {} in flight, final rate {:.1}/s (throttled at {:?}), {} throttle signals, \
         {} refused POSTs re-sent",
        took.as_secs_f64(),
        requests.len(),
        polls,
        throttled,
        max,
        report.rate.rate,
        report.rate.throttled_at,
        report.rate.throttles,
        refused_posts
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_halfway_sends_nothing_more_and_accepted_rows_still_settle() {
    let rig = rig().await;
    let numbers = rig.assigned(120);
    let plan = rig.plan(&numbers).await;
    rig.sim.set_latency(Duration::from_millis(20));
    let seen = Seen::default();
    let run = rig
        .engine(BulkConfig {
            rate: RateConfig {
                initial: 20.0,
                max: 20.0,
                ..config().rate
            },
            first_poll: Duration::from_millis(300),
            ..config()
        })
        .start(plan, seen.sink())
        .await
        .expect("start");
    wait_until("40 rows sent", PATIENCE, || {
        run.progress().counts.sent >= 40
    })
    .await;
    run.cancel().await;
    let cancelled_at = SystemTime::now();
    assert_eq!(run.progress().state, RunState::Cancelled);
    let report = run.finished().await.unwrap();
    assert_eq!(
        posts_after(&rig.sim, cancelled_at),
        0,
        "a POST after cancel"
    );

    let sent: BTreeSet<usize> = report.sent.iter().copied().collect();
    assert!(sent.len() >= 40 && sent.len() < 120, "{}", sent.len());
    for (index, number) in numbers.iter().enumerate() {
        let row = &report.rows[index];
        if sent.contains(&index) {
            assert_eq!(row.phase, RowPhase::Succeeded, "{row:?}");
            assert_eq!(rig.sim.post_count_for(number), 1);
        } else {
            assert_eq!(row.phase, RowPhase::NotSent, "{row:?}");
            assert!(row.record_id.is_none());
            assert_eq!(rig.sim.post_count_for(number), 0);
            assert_ne!(
                rig.sim.number(number).unwrap().assignment_status,
                "unassigned"
            );
        }
    }
    assert_eq!(report.counts.not_sent, 120 - sent.len());
    assert!(rig.history.unsettled().unwrap().is_empty());
}

#[tokio::test]
async fn a_crash_halfway_is_resumed_from_the_history_and_nothing_is_sent_twice() {
    let rig = rig().await;
    let numbers = rig.assigned(80);
    let plan = rig.plan(&numbers).await;
    // Answers come 150 ms after the tenant acted: a crash now loses answers to done changes.
    rig.sim.set_answer_delay(Duration::from_millis(150));
    let run = rig
        .engine(BulkConfig {
            first_poll: Duration::from_millis(400),
            ..config()
        })
        .start(plan.clone(), Seen::default().sink())
        .await
        .expect("start");
    let batch_id = run.batch_id().to_owned();
    // Crash when every worker has its request at the tenant (so none is between writing
    // `sending` and sending), some POST among them, and a good part of the list done. On this
    // single-threaded runtime nothing else runs between the checks and the abort.
    loop {
        let progress = run.progress();
        if progress.counts.sent >= 25
            && progress.counts.sending >= 1
            && rig.sim.in_flight() == WORKERS
        {
            run.abort();
            break;
        }
        assert_ne!(
            progress.state,
            RunState::Finished,
            "finished before the crash"
        );
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    // The crashed run's requests are still at the tenant: wait until each is answered (or its
    // connection dropped) and nothing more arrives, as after a real crash.
    wait_until_quiet(&rig.sim, Duration::from_millis(30)).await;
    rig.sim.set_answer_delay(Duration::ZERO);
    let posts_before: usize = numbers.iter().map(|n| rig.sim.post_count_for(n)).sum();

    let seen = Seen::default();
    let (run, resumed) = rig
        .engine(config())
        .resume(&batch_id, plan.rows, seen.sink())
        .await
        .unwrap();
    let report = run.finished().await.unwrap();

    assert!(!resumed.sending_at_crash.is_empty(), "{resumed:?}");
    assert!(!resumed.not_sent_before.is_empty(), "{resumed:?}");
    let mut all: Vec<usize> = [
        &resumed.not_sent_before,
        &resumed.sending_at_crash,
        &resumed.outcome_unknown,
        &resumed.accepted_before,
        &resumed.settled_before,
    ]
    .into_iter()
    .flatten()
    .copied()
    .collect();
    all.sort();
    assert_eq!(all, (0..80).collect::<Vec<_>>(), "each row in one group");
    assert_eq!(
        posts_before,
        80 - resumed.not_sent_before.len(),
        "every row with a record had its POST out"
    );
    // The resumed run sent exactly the rows that had no record.
    let sent: BTreeSet<usize> = report.sent.iter().copied().collect();
    let never: BTreeSet<usize> = resumed.not_sent_before.iter().copied().collect();
    assert_eq!(sent, never);
    for number in &numbers {
        assert_eq!(rig.sim.post_count_for(number), 1, "{number}");
        assert_eq!(
            rig.sim.number(number).unwrap().assignment_status,
            "unassigned"
        );
    }
    assert_eq!(report.counts.succeeded, 80, "{:?}", report.counts);
    for index in &resumed.sending_at_crash {
        let record = rig
            .history
            .get(report.rows[*index].record_id.unwrap())
            .unwrap()
            .unwrap();
        assert_eq!(record.status, RecordStatus::Succeeded);
        assert!(
            record
                .status_detail
                .unwrap()
                .contains("looking the number up"),
            "settled by a lookup, not by a second POST"
        );
        assert_eq!(record.batch_id.as_deref(), Some(batch_id.as_str()));
    }
    assert!(rig.history.unsettled().unwrap().is_empty());
}

#[tokio::test]
async fn the_preview_gives_each_skipped_row_its_reason_from_a_few_list_calls() {
    let rig = rig().await;
    let all = rig.sim.numbers();
    let users: Vec<_> = all
        .iter()
        .filter(|n| n.assignment_status == "userAssigned")
        .take(4)
        .collect();
    let account = all
        .iter()
        .find(|n| n.assignment_status == "voiceApplicationAssigned")
        .unwrap();
    let free = all
        .iter()
        .find(|n| n.assignment_status == "unassigned")
        .unwrap();
    // One user number has a change in flight in the history.
    let busy = users[3];
    let in_flight = rig
        .history
        .create_unless_in_flight(NewOperation {
            kind: OperationKind::Unassign,
            telephone_number: busy.telephone_number.clone(),
            number_type: Some(busy.number_type.clone()),
            prior_assignee: Assignee::default(),
            actor: Actor::default(),
            client_request_id: "crid".into(),
            undo_of: None,
            batch_id: None,
        })
        .unwrap()
        .unwrap();
    // The first user's number again, written differently.
    let first = &users[0].telephone_number;
    let again = format!("{} {} {}", &first[..2], &first[2..5], &first[5..]);
    let text = [
        users[0].telephone_number.as_str(),
        users[1].telephone_number.as_str(),
        "call Adele",
        users[2].telephone_number.as_str(),
        "+1 206 555 0199",
        account.telephone_number.as_str(),
        free.telephone_number.as_str(),
        again.as_str(),
        busy.telephone_number.as_str(),
    ]
    .join("\n");
    let table = bulk::parse_pasted(&text).unwrap();
    let rows = bulk::rows_for_column(&table, bulk::number_column(&table).unwrap());
    rig.sim.clear_requests();
    let preview = bulk::preview(&rig.graph(), &rig.history, true, &rows)
        .await
        .unwrap();

    let skips: Vec<Option<SkipReason>> = preview.rows.iter().map(|r| r.skip).collect();
    assert_eq!(
        skips,
        vec![
            None,
            None,
            Some(SkipReason::Invalid),
            None,
            Some(SkipReason::NotFound),
            None,
            Some(SkipReason::NotAssigned),
            Some(SkipReason::Duplicate),
            Some(SkipReason::InFlight),
        ]
    );
    for row in preview.rows.iter().filter(|r| r.skip.is_some()) {
        assert!(
            row.reason.as_deref().is_some_and(|r| !r.is_empty()),
            "{row:?}"
        );
    }
    assert!(preview.rows[7]
        .reason
        .as_deref()
        .unwrap()
        .contains("line 1"));
    assert!(preview.rows[8]
        .reason
        .as_deref()
        .unwrap()
        .contains(&format!("#{}", in_flight.id)));
    assert_eq!(preview.rows[8].in_flight_record, Some(in_flight.id));
    let distinct_users: BTreeSet<_> = users[..3]
        .iter()
        .map(|n| n.assignment_target_id.clone())
        .collect();
    assert_eq!(
        distinct_users.len(),
        3,
        "pick numbers of three different users"
    );
    let counts = &preview.counts;
    assert_eq!(
        (
            counts.rows,
            counts.to_send,
            counts.users,
            counts.resource_accounts,
            counts.invalid,
            counts.not_found,
            counts.not_assigned,
            counts.duplicate,
            counts.in_flight
        ),
        (9, 4, 3, 1, 1, 1, 1, 1, 1)
    );
    assert_eq!(
        preview.summary,
        "4 numbers from 3 users and 1 resource account; 5 rows skipped"
    );
    // The plan carries the listing's number type, never the file's.
    let plan = preview.plan();
    assert_eq!(plan.len(), 4);
    assert_eq!(plan[0].number_type, users[0].number_type);
    assert_eq!(plan[3].telephone_number, account.telephone_number);

    // A handful of list calls for the whole tenant, no lookups per row; one name read per
    // distinct assignee to send (3 users, 1 resource account).
    let requests = rig.sim.graph_requests();
    // The last page has no nextLink, so one more ($skip) page confirms the end.
    let pages = all.len().div_ceil(1000) + 1;
    let (lists, names): (Vec<_>, Vec<_>) = requests
        .iter()
        .partition(|r| r.path_and_query.contains("numberAssignments"));
    assert_eq!(lists.len(), pages, "{requests:#?}");
    assert!(lists.iter().all(|r| r.method == "GET"
        && r.path_and_query.contains("top=1000")
        && !r.path_and_query.contains("filter")));
    assert_eq!(names.len(), 4, "{names:#?}");
    assert!(names
        .iter()
        .all(|r| r.method == "GET" && r.path_and_query.starts_with("/v1.0/users/")));
    assert_eq!(preview.requests, pages + 4);
    assert_eq!(rig.sim.post_count_for(&users[0].telephone_number), 0);
}

// ---------------------------------------------------------------------------------------------
// The bulk screen's workflow (`BulkDesk`): one run per confirmed preview, unticked rows,
// re-running failed rows, undoing a batch, resuming an interrupted batch.
// ---------------------------------------------------------------------------------------------

use numberdesk::bulk::{BulkDesk, InputSource, RunView};
use numberdesk::sim::OperationOutcome;

impl Rig {
    fn desk(&self) -> BulkDesk {
        BulkDesk::new(
            self.graph(),
            self.history.clone(),
            self.service.session_handle(),
            self.cloud(),
            config(),
            Arc::new(|_: &BulkEvent| {}),
        )
    }
}

async fn finished(desk: &BulkDesk) -> RunView {
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let view = desk.status().await.expect("a run");
        if view.progress.state == RunState::Finished {
            return view;
        }
        assert!(std::time::Instant::now() < deadline, "{:?}", view.progress);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn previewed(desk: &BulkDesk, lines: &[String]) -> numberdesk::bulk::PreviewView {
    let input = desk
        .read(InputSource::Text {
            text: lines.join("\n"),
        })
        .unwrap();
    desk.preview(&input.input_id, input.column.unwrap())
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_confirmed_preview_runs_once_without_its_unticked_rows() {
    let rig = rig().await;
    let numbers = rig.assigned(5);
    let desk = rig.desk();
    let mut lines = numbers.clone();
    lines.push("not a number".into());
    let preview = previewed(&desk, &lines).await;
    assert_eq!(preview.preview.counts.to_send, 5);
    assert_eq!(preview.preview.counts.invalid, 1);
    // Assignees are named, and the names go into the plan (so History shows them).
    for row in preview.preview.rows.iter().filter(|r| r.skip.is_none()) {
        let id = row.assignee.clone().unwrap();
        let user = rig.sim.user(&id).unwrap();
        assert_eq!(
            row.assignee_name.as_deref(),
            Some(user.display_name.as_str())
        );
    }
    assert!(preview
        .selection
        .plan
        .iter()
        .all(|p| p.prior_assignee.name.is_some()));

    // Untick the second row; the confirmation follows.
    let selection = desk.select(&preview.preview_id, &[1]).unwrap();
    assert_eq!(selection.counts.to_send, 4);
    assert!(
        selection
            .confirmation
            .starts_with("Unassign 4 numbers from "),
        "{}",
        selection.confirmation
    );
    let run = desk.start(&preview.preview_id, &[1]).await.unwrap();
    assert_eq!(run.rows.len(), 4);
    // A second click on the same confirmation finds the preview taken: nothing more is sent.
    let again = Problem::from(desk.start(&preview.preview_id, &[1]).await.unwrap_err());
    assert_eq!(again.kind, ProblemKind::StalePreview);

    let view = finished(&desk).await;
    assert_eq!(view.progress.counts.succeeded, 4, "{:?}", view.progress);
    assert_eq!(rig.sim.post_count_for(&numbers[1]), 0, "unticked: not sent");
    assert_ne!(
        rig.sim.number(&numbers[1]).unwrap().assignment_status,
        "unassigned"
    );
    for number in numbers.iter().filter(|n| **n != numbers[1]) {
        assert_eq!(rig.sim.post_count_for(number), 1, "{number}");
    }
    // The batch is kept, closed, with its confirmation and outcome.
    let batches = desk.batches(5).await.unwrap();
    assert_eq!(batches.len(), 1);
    let batch = &batches[0];
    assert_eq!(batch.batch.id, view.progress.batch_id);
    assert_eq!(batch.batch.summary, view.confirmation);
    assert!(batch.batch.closed_at.is_some() && !batch.interrupted);
    assert_eq!(batch.statuses.get("succeeded"), Some(&4));
    assert!(batch.can_undo && !batch.can_retry);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_rows_run_again_and_a_whole_batch_is_given_back() {
    let rig = rig().await;
    let numbers = rig.assigned(6);
    let before: Vec<_> = numbers.iter().map(|n| rig.sim.number(n).unwrap()).collect();
    for number in &numbers[..2] {
        rig.sim.set_number_outcome(
            number,
            Some(OperationOutcome::Failed("The number is in use.".into())),
        );
    }
    let desk = rig.desk();
    let preview = previewed(&desk, &numbers).await;
    desk.start(&preview.preview_id, &[]).await.unwrap();
    let first = finished(&desk).await;
    assert_eq!(first.progress.counts.failed, 2, "{:?}", first.progress);
    assert_eq!(first.progress.counts.succeeded, 4);
    let batch_id = first.progress.batch_id.clone();
    assert!(desk.batches(5).await.unwrap()[0].can_retry);

    // Re-run the failed rows: only those two, looked up again.
    for number in &numbers[..2] {
        rig.sim.set_number_outcome(number, None);
    }
    let retry = desk.retry_failed(&batch_id).await.unwrap();
    let retried: BTreeSet<String> = retry
        .selection
        .plan
        .iter()
        .map(|r| r.telephone_number.clone())
        .collect();
    assert_eq!(retried, numbers[..2].iter().cloned().collect());
    assert_eq!(retry.from_batch.as_deref(), Some(batch_id.as_str()));
    desk.start(&retry.preview_id, &[]).await.unwrap();
    assert_eq!(finished(&desk).await.progress.counts.succeeded, 2);
    for number in &numbers {
        assert_eq!(
            rig.sim.number(number).unwrap().assignment_status,
            "unassigned"
        );
    }

    // Undo the first batch: its four successes go back to whom they were taken from; its two
    // failures are skipped with a reason (the re-run is a batch of its own).
    let undo = desk.undo(&batch_id).await.unwrap();
    assert_eq!(undo.preview.kind, OperationKind::Assign);
    assert_eq!(undo.selection.counts.to_send, 4);
    assert!(
        undo.selection
            .confirmation
            .starts_with("Give back 4 numbers to "),
        "{}",
        undo.selection.confirmation
    );
    let skipped: Vec<_> = undo.preview.rows.iter().filter_map(|r| r.skip).collect();
    assert_eq!(skipped, [SkipReason::NotSucceeded; 2]);
    let posts_before = rig.sim.graph_requests().len();
    desk.start(&undo.preview_id, &[]).await.unwrap();
    let undone = finished(&desk).await;
    assert_eq!(undone.kind, OperationKind::Assign);
    assert_eq!(undone.progress.counts.succeeded, 4, "{:?}", undone.progress);
    let assigns = rig.sim.graph_requests()[posts_before..]
        .iter()
        .filter(|r| r.method == "POST" && r.path_and_query.ends_with("/assignNumber"))
        .count();
    assert_eq!(assigns, 4);
    for (number, was) in numbers.iter().zip(&before).skip(2) {
        let now = rig.sim.number(number).unwrap();
        assert_eq!(
            now.assignment_target_id, was.assignment_target_id,
            "{number}"
        );
        assert_eq!(now.assignment_status, was.assignment_status, "{number}");
    }
    // Undoing again finds every number assigned: nothing to send.
    let again = desk.undo(&batch_id).await.unwrap();
    assert_eq!(again.selection.counts.to_send, 0);
    assert!(again
        .preview
        .rows
        .iter()
        .filter_map(|r| r.skip)
        .all(|s| matches!(s, SkipReason::AssignedAgain | SkipReason::NotSucceeded)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_interrupted_batch_is_reported_and_resumed_from_its_saved_plan() {
    let rig = rig().await;
    let numbers = rig.assigned(40);
    let plan = rig.plan(&numbers).await;
    let run = rig
        .engine(BulkConfig {
            rate: RateConfig {
                initial: 20.0,
                max: 20.0,
                ..config().rate
            },
            ..config()
        })
        .start(plan, Seen::default().sink())
        .await
        .expect("start");
    let batch_id = run.batch_id().to_owned();
    wait_until("10 rows sent", PATIENCE, || {
        run.progress().counts.sent >= 10
    })
    .await;
    run.abort();
    // The crash is over once nothing more reaches the tenant.
    wait_until_quiet(&rig.sim, Duration::from_millis(30)).await;

    // A new app session: the batch shows as interrupted, with what was and was not sent.
    let desk = rig.desk();
    let batches = desk.batches(5).await.unwrap();
    let batch = &batches[0];
    assert_eq!(batch.batch.id, batch_id);
    assert!(batch.interrupted && batch.batch.closed_at.is_none());
    assert!(batch.never_sent > 0 && batch.never_sent < 40, "{batch:?}");
    let resumed = desk.resume_interrupted(&batch_id).await.unwrap();
    let report = resumed.resumed.clone().unwrap();
    assert_eq!(report.not_sent_before.len(), batch.never_sent);
    let view = finished(&desk).await;
    // Nothing is ever sent twice. A row cut off between its record and its POST (`sending`
    // at the crash) is looked up, never resent: if its POST had not left, it ends "not
    // confirmed yet" (never "failed": NumberDesk cannot know), with no POST; every other row
    // succeeds with exactly one.
    let mut unconfirmed = 0;
    for (index, number) in numbers.iter().enumerate() {
        let posts = rig.sim.post_count_for(number);
        assert!(posts <= 1, "{number}: {posts} POSTs");
        if posts == 0 {
            assert!(
                report.sending_at_crash.contains(&index),
                "{number}: {report:?}"
            );
            assert_eq!(view.rows[index].phase, RowPhase::NotConfirmed, "{number}");
            unconfirmed += 1;
        } else {
            assert_eq!(view.rows[index].phase, RowPhase::Succeeded, "{number}");
        }
    }
    assert_eq!(
        view.progress.counts.succeeded + unconfirmed,
        40,
        "{:?}",
        view.progress
    );
    let batches = desk.batches(5).await.unwrap();
    assert!(!batches[0].interrupted && batches[0].batch.closed_at.is_some());
    // A closed batch is not resumed again.
    assert_eq!(
        Problem::from(desk.resume_interrupted(&batch_id).await.unwrap_err()).kind,
        ProblemKind::NotInterrupted
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn overload_400s_503s_and_504s_slow_the_run_and_each_number_is_taken_once() {
    let rig = rig().await;
    let numbers = rig.assigned(20);
    // The preview's list calls meet the backend's overload answer and the gateway's too.
    rig.sim.overload_next(1);
    rig.sim.fail_next(1, 503, None);
    rig.sim.fail_next(1, 504, None);
    let plan = rig.plan(&numbers).await;
    rig.sim.clear_requests();
    // The run's first POSTs are refused as overload or unavailable (nothing acted), and one
    // that Microsoft took is answered by a gateway timeout.
    rig.sim.overload_next(3);
    rig.sim.fail_next(2, 503, None);
    rig.sim.gateway_timeout_after_next_post();
    let report = rig
        .engine(config())
        .start(plan, Seen::default().sink())
        .await
        .unwrap()
        .finished()
        .await
        .unwrap();
    assert_eq!(
        report.counts.succeeded,
        numbers.len(),
        "{:?}",
        report.counts
    );
    let posts: Vec<_> = rig
        .sim
        .graph_requests()
        .into_iter()
        .filter(|r| r.method == "POST")
        .collect();
    let refused = posts
        .iter()
        .filter(|r| matches!(r.status, Some(400) | Some(503)))
        .count();
    assert_eq!(refused, 5, "the injected refusals were all met");
    for number in &numbers {
        // Taken by Microsoft: a 202, or the one 504 after the change started.
        let taken = posts
            .iter()
            .filter(|r| r.body.contains(number.as_str()))
            .filter(|r| matches!(r.status, Some(202) | Some(504)))
            .count();
        assert_eq!(taken, 1, "{number}");
        assert_eq!(
            rig.sim.number(number).unwrap().assignment_status,
            "unassigned"
        );
    }
    assert_eq!(
        posts.iter().filter(|r| r.status == Some(504)).count(),
        1,
        "the timed-out POST was settled by a lookup, not sent again"
    );
    assert!(
        report.rate.throttles >= 1,
        "overload slows the run as a 429 does: {:?}",
        report.rate
    );
}

// ---------------------------------------------------------------------------------------------
// HR's list: people in Bulk (issue 24). A row may name a person (a user name, an email, a
// display name) instead of a number; the preview finds the people in the directory's batches,
// takes their numbers from the same listing, and says what came of each row.
// ---------------------------------------------------------------------------------------------

use numberdesk::bulk::{PreviewRow, PreviewView};
use numberdesk::people::PersonOutcome;

async fn previewed_csv(desk: &BulkDesk, csv: &str) -> PreviewView {
    let input = desk
        .read(InputSource::Csv {
            bytes: csv.as_bytes().to_vec(),
            name: "leavers.csv".into(),
        })
        .unwrap();
    let column = input.column.expect("the column is obvious");
    desk.preview(&input.input_id, column).await.unwrap()
}

/// The preview rows of one input line.
fn rows_of(preview: &PreviewView, line: usize) -> Vec<&PreviewRow> {
    preview
        .preview
        .rows
        .iter()
        .filter(|r| r.line == line)
        .collect()
}

fn numbers_held(sim: &SimTenant, id: &str) -> BTreeSet<String> {
    sim.numbers()
        .into_iter()
        .filter(|n| n.assignment_target_id.as_deref() == Some(id))
        .map(|n| n.telephone_number)
        .collect()
}

fn resource_account(sim: &SimTenant) -> sim::SimUser {
    sim.users()
        .into_iter()
        .find(|u| {
            u.kind == sim::UserKind::ResourceAccount
                && u.user_principal_name.starts_with("cq-support")
        })
        .unwrap()
}

/// Every outcome of a person row, each said in its row: the numbers that will go (with the
/// person as the holder the run checks), no such user, a user with no number, a name several
/// people share (listed, never a guess), a guest, a resource account (named as such), the
/// same person twice, and a number row beside them. The people cost a few directory batches
/// and their numbers no request at all beyond the listing the preview reads anyway.
#[tokio::test]
async fn each_outcome_of_a_person_row_is_said_from_a_few_batched_reads() {
    let rig = rig().await;
    let allan = rig.sim.user(sim::TWO_NUMBERS_UPN).unwrap();
    let account = resource_account(&rig.sim);
    let sample_holder = rig.sim.user(sim::SAMPLE_USER_UPN).unwrap();
    let csv = format!(
        "Name,Email,Leaving\n\
         Allan Deyoung,{},Friday\n\
         Nobody,nobody.here@contoso.com,Friday\n\
         Nina Larsen,{},Friday\n\
         Alex,{},Monday\n\
         Sam Taylor,{},Monday\n\
         Support line,{},Monday\n\
         Allan again,{},Monday\n\
         Sample,{},Monday\n",
        sim::TWO_NUMBERS_UPN,
        sim::NO_NUMBER_UPN,
        sim::SHARED_NAME,
        sim::GUEST_UPN,
        account.user_principal_name,
        allan.mail,
        sim::SAMPLE_NUMBER,
    );
    let desk = rig.desk();
    rig.sim.clear_requests();
    let preview = previewed_csv(&desk, &csv).await;
    let outcome = |line: usize| {
        rows_of(&preview, line)[0]
            .person
            .as_ref()
            .map(|p| p.outcome)
    };

    // Allan: both numbers, primary first, each planned from Allan.
    let allans = rows_of(&preview, 2);
    assert_eq!(allans.len(), 2);
    assert_eq!(outcome(2), Some(PersonOutcome::Found));
    let planned: BTreeSet<String> = allans
        .iter()
        .map(|r| r.planned.as_ref().unwrap().telephone_number.clone())
        .collect();
    assert_eq!(planned, numbers_held(&rig.sim, &allan.id));
    assert_eq!(
        allans[0]
            .assignment
            .as_ref()
            .unwrap()
            .assignment_category
            .as_deref(),
        Some("primary")
    );
    for row in &allans {
        let plan = row.planned.as_ref().unwrap();
        assert_eq!(plan.prior_assignee.id.as_deref(), Some(allan.id.as_str()));
        assert_eq!(plan.prior_assignee.name.as_deref(), Some("Allan Deyoung"));
        assert_eq!(
            plan.prior_assignee.upn.as_deref(),
            Some(sim::TWO_NUMBERS_UPN)
        );
        assert_eq!(row.person.as_ref().unwrap().numbers, 2);
    }
    assert!(allans[0].person.as_ref().unwrap().first && !allans[1].person.as_ref().unwrap().first);

    let one = |line: usize| {
        let rows = rows_of(&preview, line);
        assert_eq!(rows.len(), 1, "line {line}: {rows:#?}");
        rows[0]
    };
    let unknown = one(3);
    assert_eq!(unknown.skip, Some(SkipReason::NoSuchUser));
    assert!(unknown
        .reason
        .as_deref()
        .unwrap()
        .contains("nobody.here@contoso.com"));

    let nina = one(4);
    assert_eq!(nina.skip, Some(SkipReason::NoNumbers));
    assert!(nina
        .reason
        .as_deref()
        .unwrap()
        .contains("Nina Larsen holds no phone number"));

    let alex = one(5);
    assert_eq!(alex.skip, Some(SkipReason::SeveralPeople));
    let about = alex.person.as_ref().unwrap();
    assert_eq!(about.outcome, PersonOutcome::ChooseOne);
    assert_eq!(about.choices.len(), 2, "both Alex Wilbers are listed");
    let reason = alex.reason.as_deref().unwrap();
    assert!(
        reason.starts_with("2 people match “Alex Wilber”"),
        "{reason}"
    );
    let upns: BTreeSet<_> = about.choices.iter().filter_map(|c| c.upn.clone()).collect();
    assert_eq!(upns.len(), 2, "two accounts, each by its user name");
    assert!(alex.planned.is_none(), "never a guess");

    let guest = one(6);
    assert!(
        guest
            .person
            .as_ref()
            .unwrap()
            .person
            .as_ref()
            .unwrap()
            .guest
    );
    assert_eq!(guest.skip, Some(SkipReason::NoNumbers));
    assert!(guest.reason.as_deref().unwrap().contains("guest"));

    let queue = rows_of(&preview, 7);
    assert!(!queue.is_empty());
    assert!(queue[0].person.as_ref().unwrap().resource_account);
    assert!(queue.iter().all(
        |r| r.skip.is_none() && r.target == Some(numberdesk::bulk::TargetKind::ResourceAccount)
    ));

    // Allan again, by his email (not his user name): his numbers are listed once.
    let again = rows_of(&preview, 8);
    assert_eq!(again.len(), 2);
    assert!(again.iter().all(|r| r.skip == Some(SkipReason::Duplicate)));
    assert!(again[0].reason.as_deref().unwrap().contains("line 2"));
    // A number beside the people: planned as a number row, from its holder.
    let number = one(9);
    assert!(number.person.is_none() && number.skip.is_none());
    assert_eq!(number.assignee.as_deref(), Some(sample_holder.id.as_str()));

    let counts = &preview.preview.counts;
    assert_eq!(counts.people, 7);
    assert_eq!(
        (
            counts.no_such_user,
            counts.no_numbers,
            counts.several_people,
            counts.duplicate
        ),
        (1, 2, 1, 2)
    );
    assert_eq!(counts.to_send, 2 + queue.len() + 1);
    assert_eq!(counts.rows, preview.preview.rows.len());

    // Requests: the listing's pages, and the directory in $batch requests; no read of a
    // person's numbers, and one name read: the number row's holder, as for any number row.
    let requests = rig.sim.graph_requests();
    let count =
        |what: &dyn Fn(&str) -> bool| requests.iter().filter(|r| what(&r.path_and_query)).count();
    assert_eq!(count(&|p| p.contains("assignmentTargetId")), 0);
    let batches = count(&|p| p.contains("$batch"));
    let lists = count(&|p| p.contains("numberAssignments"));
    let name_reads = count(&|p| p.starts_with("/v1.0/users/"));
    assert!(batches <= 2, "{batches} batches");
    assert_eq!(lists, rig.sim.numbers().len().div_ceil(1000) + 1);
    assert_eq!(name_reads, 1, "{requests:#?}");
    assert_eq!(
        batches + lists + name_reads,
        requests.len(),
        "{requests:#?}"
    );
    assert_eq!(preview.preview.requests, requests.len());
}

/// An email that is not the user name finds the person, whichever case the list writes it
/// in; an alias kept only in proxyAddresses is found when Microsoft evaluates that filter for
/// the caller (the documented rule leaves it out for User.ReadBasic.All): both are handled.
#[tokio::test]
async fn an_email_that_is_not_the_user_name_finds_the_person_in_bulk() {
    let rig = rig().await;
    let allan = rig.sim.user(sim::TWO_NUMBERS_UPN).unwrap();
    assert_ne!(allan.mail, allan.user_principal_name);
    let desk = rig.desk();
    let text = format!("{}\n{}", allan.mail.to_uppercase(), sim::TWO_NUMBERS_ALIAS);
    let preview = previewed(&desk, &[text]).await;
    let by_mail = rows_of(&preview, 1);
    assert_eq!(by_mail.len(), 2);
    assert!(by_mail
        .iter()
        .all(|r| r.skip.is_none() && r.assignee_upn.as_deref() == Some(sim::TWO_NUMBERS_UPN)));
    let alias = rows_of(&preview, 2);
    assert_eq!(alias[0].skip, Some(SkipReason::NoSuchUser));

    rig.sim.set_proxy_filter(sim::ProxyFilter::Evaluated);
    let text = format!("{}\n{}", sim::TWO_NUMBERS_ALIAS, allan.mail);
    let preview = previewed(&desk, &[text]).await;
    let alias = rows_of(&preview, 1);
    assert_eq!(alias.len(), 2);
    assert!(alias.iter().all(
        |r| r.planned.as_ref().unwrap().prior_assignee.id.as_deref() == Some(allan.id.as_str())
    ));
    assert!(rows_of(&preview, 2)
        .iter()
        .all(|r| r.skip == Some(SkipReason::Duplicate)));
}

/// Without User.ReadBasic.All no person can be looked up: every person row says so and what
/// to grant; the number rows of the same list are previewed and run as always.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_names_consent_person_rows_say_what_to_grant_and_numbers_still_go() {
    let sim = sim_support::start_fast().await;
    sim.set_consent(sim::Consent {
        user_read_basic_all: false,
        ..sim::Consent::default()
    });
    let service = signed_in(&sim, sim::ADMIN_UPN).await;
    let dir = tempfile::tempdir().unwrap();
    let history = Arc::new(History::open(dir.path()).unwrap().0);
    let rig = Rig {
        sim,
        service,
        history,
        waits: Waits::default(),
        _dir: dir,
    };
    let numbers = rig.assigned(2);
    let desk = rig.desk();
    let lines = vec![
        sim::TWO_NUMBERS_UPN.to_owned(),
        numbers[0].clone(),
        sim::GUEST_MAIL.to_owned(),
        numbers[1].clone(),
    ];
    let preview = previewed(&desk, &lines).await;
    for line in [1, 3] {
        let row = rows_of(&preview, line)[0];
        assert_eq!(row.skip, Some(SkipReason::PeopleNotPermitted));
        assert_eq!(
            row.person.as_ref().unwrap().outcome,
            PersonOutcome::NotPermitted
        );
        assert!(row
            .reason
            .as_deref()
            .unwrap()
            .contains("User.ReadBasic.All"));
    }
    assert_eq!(preview.preview.counts.people_not_permitted, 2);
    assert_eq!(preview.preview.counts.to_send, 2);
    // The refusal is the sign-in's, remembered: the preview asks for no token that would be
    // one more failed sign-in in the tenant's log.
    let names_token_requests = rig
        .sim
        .requests()
        .iter()
        .filter(|r| r.listener == sim::Listener::Entra && r.path_and_query.contains("/token"))
        .filter(|r| r.body.contains("User.ReadBasic.All"))
        .count();
    assert_eq!(names_token_requests, 1, "the sign-in's only");
    desk.start(&preview.preview_id, &[]).await.unwrap();
    let run = finished(&desk).await;
    assert_eq!(run.progress.counts.succeeded, 2, "{:?}", run.progress);
    for number in &numbers {
        assert_eq!(rig.sim.post_count_for(number), 1);
    }
    assert_eq!(
        rig.sim.post_count_for(
            rig.sim
                .numbers()
                .iter()
                .find(|n| n.assignment_target_id.as_deref()
                    == rig.sim.user(sim::TWO_NUMBERS_UPN).map(|u| u.id).as_deref())
                .map(|n| n.telephone_number.as_str())
                .unwrap()
        ),
        0
    );
}

/// A list mixing numbers and people runs as one batch: each of a person's numbers is its own
/// History record with that person as the prior assignee, the results CSV names them, a
/// number of theirs that changed hands after the preview is not taken from its new holder,
/// and undoing the batch gives every other number back to the person it was taken from.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mixed_list_runs_records_the_person_and_undo_gives_their_numbers_back() {
    let rig = rig().await;
    let allan = rig.sim.user(sim::TWO_NUMBERS_UPN).unwrap();
    let allans = numbers_held(&rig.sim, &allan.id);
    let categories: BTreeMap<String, Option<String>> = rig
        .sim
        .numbers()
        .into_iter()
        .filter(|n| allans.contains(&n.telephone_number))
        .map(|n| (n.telephone_number, n.assignment_category))
        .collect();
    let assigned = rig.assigned(40);
    // A person with three numbers in more than one category.
    let mut held: HashMap<String, Vec<sim::NumberAssignment>> = HashMap::new();
    for n in rig.sim.numbers() {
        if let Some(t) = n.assignment_target_id.clone() {
            held.entry(t).or_default().push(n);
        }
    }
    let (three_id, three) = held
        .into_iter()
        .find(|(_, n)| {
            n.len() == 3
                && n.iter()
                    .map(|x| x.assignment_category.clone())
                    .collect::<BTreeSet<_>>()
                    .len()
                    >= 2
        })
        .expect("someone holds three numbers");
    let three_user = rig.sim.user(&three_id).unwrap();
    let others: Vec<String> = assigned
        .into_iter()
        .filter(|n| !allans.contains(n) && !three.iter().any(|t| &t.telephone_number == n))
        .take(2)
        .collect();
    // The run reads the holders again when its preview is older than a second (in the app, a
    // minute).
    let max_age = Duration::from_secs(1);
    let desk = BulkDesk::new(
        rig.graph(),
        rig.history.clone(),
        rig.service.session_handle(),
        rig.cloud(),
        BulkConfig {
            holder_max_age: max_age,
            ..config()
        },
        Arc::new(|_: &BulkEvent| {}),
    );
    let csv = format!(
        "User,Note\n{},leaves Friday\n{},a number\n{},leaves Monday\n{},a number\n",
        allan.mail, others[0], three_user.user_principal_name, others[1]
    );
    let preview = previewed_csv(&desk, &csv).await;
    assert_eq!(
        preview.preview.counts.to_send,
        2 + 3 + 2,
        "{}",
        preview.preview.summary
    );
    assert_eq!(rows_of(&preview, 4).len(), 3);

    // One of the three changes hands after the preview: not taken from its new holder.
    let moved = three[0].telephone_number.clone();
    let bob = sim_support::another_person(&rig.sim, &three_id);
    assert!(rig.sim.change_holder(&moved, Some(&bob.id)));
    tokio::time::sleep(max_age + Duration::from_millis(50)).await;
    desk.start(&preview.preview_id, &[]).await.unwrap();
    let run = finished(&desk).await;
    assert_eq!(run.progress.counts.succeeded, 6, "{:?}", run.progress);
    assert_eq!(run.progress.counts.skipped, 1);
    assert_eq!(rig.sim.post_count_for(&moved), 0, "never taken from Bob");

    // History: one record per number, the person kept as the prior assignee.
    let batch_id = run.progress.batch_id.clone();
    let records = rig.history.records_in_batch(&batch_id).unwrap();
    for number in &allans {
        let record = records
            .iter()
            .find(|r| &r.telephone_number == number)
            .unwrap();
        assert_eq!(record.status, RecordStatus::Succeeded);
        assert_eq!(record.prior_assignee.id.as_deref(), Some(allan.id.as_str()));
        assert_eq!(record.prior_assignee.name.as_deref(), Some("Allan Deyoung"));
        assert_eq!(
            record.prior_assignee.upn.as_deref(),
            Some(sim::TWO_NUMBERS_UPN)
        );
    }
    // The results CSV names the person each number was taken from.
    let mut csv_out = Vec::new();
    rig.history
        .export_csv(
            &numberdesk::history::HistoryQuery {
                batch_id: Some(batch_id.clone()),
                ..Default::default()
            },
            &mut csv_out,
        )
        .unwrap();
    let csv_out = String::from_utf8_lossy(&csv_out);
    for number in &allans {
        let line = csv_out
            .lines()
            .find(|l| l.contains(number.as_str()))
            .unwrap();
        assert!(
            line.contains("Allan Deyoung") && line.contains(sim::TWO_NUMBERS_UPN),
            "{line}"
        );
    }

    // Undo: every number taken goes back to whom it was taken from, in its category.
    let undo = desk.undo(&batch_id).await.unwrap();
    assert_eq!(undo.selection.counts.to_send, 6, "{:?}", undo.preview.rows);
    desk.start(&undo.preview_id, &[]).await.unwrap();
    let undone = finished(&desk).await;
    assert_eq!(undone.progress.counts.succeeded, 6, "{:?}", undone.progress);
    for number in &allans {
        let now = rig.sim.number(number).unwrap();
        assert_eq!(now.assignment_target_id.as_deref(), Some(allan.id.as_str()));
        assert_eq!(&now.assignment_category, categories.get(number).unwrap());
    }
    for number in three.iter().skip(1) {
        let now = rig.sim.number(&number.telephone_number).unwrap();
        assert_eq!(now.assignment_target_id.as_deref(), Some(three_id.as_str()));
    }
    assert_eq!(
        rig.sim
            .number(&moved)
            .unwrap()
            .assignment_target_id
            .as_deref(),
        Some(bob.id.as_str())
    );
}

/// A person whose directory answer could not be read whole is never said to be absent (nor
/// guessed at): the row says so and asks to preview again; the numbers beside it still go.
#[tokio::test]
async fn a_person_whose_answer_cannot_be_read_is_not_said_to_be_absent() {
    let rig = rig().await;
    let number = rig.assigned(1).remove(0);
    rig.sim.answer_next_user_parts_without_value(10);
    let desk = rig.desk();
    let preview = previewed(&desk, &[sim::TWO_NUMBERS_UPN.to_owned(), number.clone()]).await;
    let person = rows_of(&preview, 1);
    assert_eq!(person.len(), 1);
    assert_eq!(person[0].skip, Some(SkipReason::PersonUnresolved));
    assert_eq!(
        person[0].person.as_ref().unwrap().outcome,
        PersonOutcome::Unresolved
    );
    assert!(person[0].reason.as_deref().unwrap().contains("Try again"));
    assert_eq!(preview.preview.counts.people_unresolved, 1);
    let row = rows_of(&preview, 2)[0];
    assert!(row.skip.is_none() && row.planned.is_some());
}
