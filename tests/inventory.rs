//! The Numbers view's core against the simulated tenant over loopback: the inventory read
//! (paging, a short page, cancel, refresh and the kept list), the leavers lens (disabled,
//! deleted, ghost, unlicensed, resource accounts excluded, without User.Read.All), and a
//! selection going to the existing Bulk preview. Also the sim's `$batch`, `id in` and
//! permission rules the client relies on.

#[path = "app_support/mod.rs"]
mod app_support;
#[path = "sim_support/mod.rs"]
mod sim_support;
// The filesystem fault tests mount a real tmpfs: Linux only (see fs_support).
#[cfg(target_os = "linux")]
#[path = "fs_support/mod.rs"]
mod fs_support;

use app_support::{graph, recorded_options, signed_in, target, TestService, Waits};
use numberdesk::graph::{CancelToken, UserDetail};
use numberdesk::history::History;
use numberdesk::inventory::{
    self, AssignmentKind, InventoryQuery, InventoryStore, InventoryView, KeptList, LeaverOptions,
    LeaverReason, ListOwner, ReadOutcome, ReadProgress, UncheckedReason,
};
use numberdesk::problem::ProblemKind;
use numberdesk::sim::{self, Consent, SimTenant};
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

async fn fast_sim() -> SimTenant {
    sim_support::start_fast().await
}

/// The owner the app stamps a list with for `service`'s account at `sim`.
async fn owner(sim: &SimTenant, service: &TestService) -> ListOwner {
    let status = service.session_handle().status().await;
    ListOwner::signed_in(
        &target(sim).cloud,
        sim::DEMO_TENANT_ID,
        &status.account.expect("signed in"),
    )
}

/// The list kept for `owner`, which must be there.
fn kept_for(store: &InventoryStore, owner: &ListOwner) -> inventory::Inventory {
    match store.load(owner).unwrap() {
        KeptList::Read(inventory) => inventory,
        other => panic!("nothing kept for {owner:?}: {other:?}"),
    }
}

fn list_requests(sim: &SimTenant) -> Vec<String> {
    sim.graph_requests()
        .into_iter()
        .filter(|r| r.path_and_query.contains("numberAssignments"))
        .map(|r| r.path_and_query)
        .collect()
}

/// The ids of `rows`, in their order.
fn row_ids(rows: &[inventory::InventoryRow]) -> Vec<String> {
    rows.iter().map(|r| r.id.clone()).collect()
}

/// The tenant's number ids in the order its list gives them (what a sequential read returns).
fn tenant_ids(sim: &SimTenant) -> Vec<String> {
    sim.numbers().into_iter().map(|n| n.id).collect()
}

async fn read_all(
    client: &numberdesk::graph::GraphClient,
    with_names: bool,
) -> inventory::Inventory {
    match inventory::read_inventory(client, true, None, with_names, &|_| {}, &CancelToken::new())
        .await
        .unwrap()
    {
        ReadOutcome::Read(inventory) => inventory,
        other => panic!("not read whole: {other:?}"),
    }
}

#[tokio::test]
async fn the_inventory_is_read_in_pages_of_a_thousand_with_progress_and_names() {
    let sim = fast_sim().await;
    sim.add_assigned_numbers(1_300);
    let service = signed_in(&sim, sim::ADMIN_UPN).await;
    let client = graph(&sim, &service, recorded_options(&Waits::default()));
    sim.clear_requests();
    let seen = Arc::new(Mutex::new(Vec::<ReadProgress>::new()));
    let tell = {
        let seen = seen.clone();
        move |p: ReadProgress| seen.lock().unwrap().push(p)
    };
    let outcome =
        inventory::read_inventory(&client, true, Some(1_500), true, &tell, &CancelToken::new())
            .await
            .unwrap();
    let ReadOutcome::Read(inventory) = outcome else {
        panic!("cancelled")
    };
    assert_eq!(inventory.rows.len(), sim.numbers().len());
    assert_eq!(inventory.rows.len(), 1_500);
    // Two pages and the empty page that confirms the end.
    assert_eq!(inventory.list_requests, 3, "{:#?}", list_requests(&sim));
    assert_eq!(list_requests(&sim).len(), 3);
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen[0].text(), "1,000 of about 1,500");
    assert!(seen.iter().any(|p| p.naming));
    // Names came in batches (few users hold all the added numbers).
    assert!(inventory.name_requests >= 1 && inventory.name_requests <= 2);
    let adele = inventory
        .rows
        .iter()
        .find(|r| r.telephone_number == sim::SAMPLE_NUMBER)
        .unwrap();
    assert_eq!(adele.assignee_name.as_deref(), Some("Adele Vance"));
    assert_eq!(adele.assignee_upn.as_deref(), Some(sim::SAMPLE_USER_UPN));
    assert_eq!(adele.assignment, AssignmentKind::User);
    assert!(sim
        .graph_requests()
        .iter()
        .any(|r| r.method == "POST" && r.path_and_query == "/v1.0/$batch"));
}

#[tokio::test]
async fn a_short_page_without_a_next_link_does_not_end_the_read() {
    let sim = fast_sim().await;
    sim.cap_pages(Some(70));
    let service = signed_in(&sim, sim::ADMIN_UPN).await;
    let client = graph(&sim, &service, recorded_options(&Waits::default()));
    sim.clear_requests();
    let inventory = read_all(&client, false).await;
    assert_eq!(inventory.rows.len(), 200);
    assert_eq!(
        row_ids(&inventory.rows),
        tenant_ids(&sim),
        "the sequential list"
    );
    // 70 + 70 + 60, then an empty page; the short first page left nothing fetched ahead, and
    // a third page fetched ahead by 70 (past the 60 the list has left) may have been sent.
    assert!(
        (4..=5).contains(&inventory.list_requests),
        "{:#?}",
        list_requests(&sim)
    );
    assert!(list_requests(&sim)[1].contains("skip=70"));
}

#[tokio::test]
async fn cancel_stops_the_read_at_once_and_keeps_the_previous_list() {
    let sim = fast_sim().await;
    sim.add_assigned_numbers(2_500);
    let service = signed_in(&sim, sim::ADMIN_UPN).await;
    let client = graph(&sim, &service, recorded_options(&Waits::default()));
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(InventoryStore::open(dir.path()).unwrap());
    let megan = owner(&sim, &service).await;
    sim.cap_pages(Some(1_000));
    let first = inventory::refresh_inventory(
        &client,
        &store,
        &megan,
        true,
        false,
        &|_| {},
        &CancelToken::new(),
    )
    .await
    .unwrap();
    assert!(matches!(first, ReadOutcome::Read(_)));
    let kept = kept_for(&store, &megan);
    sim.clear_requests();
    let cancel = CancelToken::new();
    let stop = {
        let cancel = cancel.clone();
        move |p: ReadProgress| {
            assert_eq!(p.about, Some(2_700), "the kept list's size is the estimate");
            cancel.cancel();
        }
    };
    let outcome =
        inventory::refresh_inventory(&client, &store, &megan, true, false, &stop, &cancel)
            .await
            .unwrap();
    assert_eq!(outcome, ReadOutcome::Cancelled);
    // The three pages the estimate allows may have left side by side before the first came
    // back; the page that only the third's answer would ask for (`$skip=2700`) never does.
    let asked = list_requests(&sim);
    assert!(asked.len() <= 3, "{asked:#?}");
    assert!(
        !asked.iter().any(|r| r.contains("skip=2700")),
        "no page after Cancel: {asked:#?}"
    );
    assert_eq!(kept_for(&store, &megan), kept, "the kept list is untouched");
}

#[tokio::test]
async fn refresh_replaces_the_kept_list_and_the_next_start_loads_it() {
    let sim = fast_sim().await;
    let service = signed_in(&sim, sim::ADMIN_UPN).await;
    let client = graph(&sim, &service, recorded_options(&Waits::default()));
    let dir = tempfile::tempdir().unwrap();
    let megan = owner(&sim, &service).await;
    let refresh = |store: Arc<InventoryStore>| {
        let (client, megan) = (client.clone(), megan.clone());
        async move {
            inventory::refresh_inventory(
                &client,
                &store,
                &megan,
                true,
                true,
                &|_| {},
                &CancelToken::new(),
            )
            .await
            .unwrap()
        }
    };
    {
        let store = Arc::new(InventoryStore::open(dir.path()).unwrap());
        assert_eq!(store.load(&megan).unwrap(), KeptList::Nothing);
        refresh(store).await;
    }
    sim.add_assigned_numbers(10);
    let store = Arc::new(InventoryStore::open(dir.path()).unwrap());
    let before = kept_for(&store, &megan);
    assert_eq!(before.rows.len(), 200);
    assert!(before.read_at.ends_with('Z'));
    refresh(store).await;
    let after = kept_for(&InventoryStore::open(dir.path()).unwrap(), &megan);
    assert_eq!(after.rows.len(), 210);
    assert!(after.read_at >= before.read_at);
    // The kept list answers the view's questions: the stuck numbers, by chip.
    let view = InventoryView::new(after.rows);
    let stuck = view.query(&InventoryQuery {
        activation_states: vec!["assignmentFailed".into(), "updatePending".into()],
        ..Default::default()
    });
    assert!(stuck.matching > 0);
    assert_eq!(
        stuck.matching,
        stuck
            .counts
            .activation_state
            .get("assignmentFailed")
            .copied()
            .unwrap_or(0)
            + stuck
                .counts
                .activation_state
                .get("updatePending")
                .copied()
                .unwrap_or(0)
    );
    let mut csv = Vec::new();
    let written =
        inventory::export_inventory_csv(view.all_matching(&InventoryQuery::default()), &mut csv)
            .unwrap();
    assert_eq!(written, 210);
    assert!(csv.starts_with(b"\xEF\xBB\xBFtelephoneNumber,"));
    assert!(String::from_utf8_lossy(&csv).contains("\r\n+12065550100,"));
}

fn name_of(report: &inventory::LeaversReport, reason: LeaverReason) -> BTreeSet<String> {
    report
        .leavers
        .iter()
        .filter(|l| l.reason == reason)
        .filter_map(|l| l.row.assignee_name.clone())
        .collect()
}

#[tokio::test]
async fn the_leavers_lens_finds_disabled_deleted_ghost_and_unlicensed_users_never_resource_accounts(
) {
    let sim = fast_sim().await;
    let service = signed_in(&sim, sim::ADMIN_UPN).await;
    let client = graph(&sim, &service, recorded_options(&Waits::default()));
    let inventory = read_all(&client, true).await;
    let report = inventory::find_leavers(
        &client,
        &inventory.rows,
        LeaverOptions::default(),
        true,
        &CancelToken::new(),
    )
    .await
    .unwrap()
    .unwrap();
    assert!(report.complete);
    assert!(!report.directory_not_permitted);
    assert!(report.unchecked.is_empty() && report.deleted_users_complete);
    let disabled: BTreeSet<String> = sim::DISABLED_LEAVERS
        .iter()
        .map(|s| s.to_string())
        .collect();
    assert_eq!(name_of(&report, LeaverReason::Disabled), disabled);
    assert_eq!(
        name_of(&report, LeaverReason::Deleted),
        BTreeSet::from([sim::DELETED_LEAVER.to_string()])
    );
    assert!(report.counts.ghost >= 1);
    assert!(report
        .leavers
        .iter()
        .all(|l| l.row.assignment == AssignmentKind::User));
    assert_eq!(report.counts.unlicensed, 0, "only when asked for");
    let accounts: Vec<_> = inventory
        .rows
        .iter()
        .filter(|r| r.assignment == AssignmentKind::ResourceAccount)
        .collect();
    assert!(
        !accounts.is_empty(),
        "disabled resource accounts hold numbers"
    );
    // Few requests: one batch for the users, one page of deleted users.
    assert_eq!(report.requests, 2);

    let with_licences = inventory::find_leavers(
        &client,
        &inventory.rows,
        LeaverOptions {
            include_unlicensed: true,
        },
        true,
        &CancelToken::new(),
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(
        name_of(&with_licences, LeaverReason::Unlicensed),
        BTreeSet::from([sim::UNLICENSED_LEAVER.to_string()])
    );

    // The report for the change ticket.
    let mut csv = Vec::new();
    inventory::export_leavers_csv(&with_licences, &mut csv).unwrap();
    let text = String::from_utf8(csv[3..].to_vec()).unwrap();
    assert_eq!(text.lines().count(), with_licences.leavers.len() + 1);
    assert!(text.contains(",deleted,"));
}

#[tokio::test]
async fn without_user_read_all_the_lens_lists_what_does_not_resolve_and_says_what_to_grant() {
    let sim = fast_sim().await;
    sim.set_consent(Consent {
        user_read_all: false,
        ..Consent::default()
    });
    let service = signed_in(&sim, sim::ADMIN_UPN).await;
    let client = graph(&sim, &service, recorded_options(&Waits::default()));
    let inventory = read_all(&client, true).await;
    let cancel = CancelToken::new();
    let lens = || {
        inventory::find_leavers(
            &client,
            &inventory.rows,
            LeaverOptions::default(),
            true,
            &cancel,
        )
    };
    let report = lens().await.unwrap().unwrap();
    assert!(!report.complete);
    assert!(report.directory_not_permitted);
    // Deleted and purged users both show as "no such user"; the disabled cannot be seen.
    assert!(report
        .leavers
        .iter()
        .all(|l| l.reason == LeaverReason::NotAUser));
    let deleted = &sim.deleted_users()[0];
    assert!(report
        .leavers
        .iter()
        .any(|l| l.row.assignee_id.as_deref() == Some(deleted.id.as_str())));
    assert_eq!(report.counts.not_a_user, report.leavers.len());
    assert!(report.counts.not_a_user >= 2);
    // Asked Entra once; the second look does not ask again (each refusal is a failed sign-in).
    let token_requests = || {
        sim.requests()
            .iter()
            .filter(|r| r.listener == sim::Listener::Entra && r.path_and_query.contains("/token"))
            .count()
    };
    let before = token_requests();
    let again = lens().await.unwrap().unwrap();
    assert_eq!(again.leavers.len(), report.leavers.len());
    assert_eq!(
        token_requests(),
        before,
        "User.Read.All was not asked for again"
    );
    assert_eq!(
        service.session_handle().status().await.directory_permitted,
        Some(false)
    );
}

#[tokio::test]
async fn a_throttled_part_of_a_batch_is_sent_again_after_its_retry_after() {
    let sim = fast_sim().await;
    let service = signed_in(&sim, sim::ADMIN_UPN).await;
    let waits = Waits::default();
    let client = graph(&sim, &service, recorded_options(&waits));
    let ids: Vec<String> = sim.users().into_iter().map(|u| u.id).collect();
    assert!(ids.len() > 30, "more than two parts");
    sim.fail_next_batch_parts(1, 429, Some(Duration::from_secs(3)));
    let read = client
        .users_by_ids(&ids, UserDetail::Full, &CancelToken::new())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(read.accounts.len(), ids.len(), "nobody lost to the 429");
    assert_eq!(read.retried_parts, 1);
    assert_eq!(read.requests, 2, "the batch, then the throttled part alone");
    assert!(
        waits.taken().contains(&Duration::from_secs(3)),
        "{:?}",
        waits.taken()
    );
    let enabled = read
        .accounts
        .values()
        .find(|a| a.user_principal_name.as_deref() == Some(sim::SAMPLE_USER_UPN))
        .unwrap();
    assert_eq!(enabled.account_enabled, Some(true));
    assert_eq!(
        inventory::teams_phone_licence(enabled),
        inventory::TeamsPhoneLicence::Working
    );
}

/// The lens on the sample tenant, signed in as the admin, after `stage` set the bad day up.
async fn lens_after(
    stage: impl FnOnce(&SimTenant),
    include_unlicensed: bool,
) -> (SimTenant, inventory::LeaversReport) {
    let sim = fast_sim().await;
    let service = signed_in(&sim, sim::ADMIN_UPN).await;
    let client = graph(&sim, &service, recorded_options(&Waits::default()));
    let inventory = read_all(&client, true).await;
    stage(&sim);
    let report = inventory::find_leavers(
        &client,
        &inventory.rows,
        LeaverOptions { include_unlicensed },
        true,
        &CancelToken::new(),
    )
    .await
    .unwrap()
    .unwrap();
    (sim, report)
}

/// The leavers whose account is, in fact, an enabled user with a working Teams Phone plan.
fn active_users_listed(sim: &SimTenant, report: &inventory::LeaversReport) -> Vec<String> {
    report
        .leavers
        .iter()
        .filter(|l| {
            let id = l.row.assignee_id.as_deref().unwrap_or_default();
            sim.user(id).is_some_and(|u| {
                u.account_enabled
                    && u.assigned_plans.iter().any(|p| {
                        p.capability_status == "Enabled" || p.capability_status == "Warning"
                    })
                    && l.reason != LeaverReason::Unlicensed
            })
        })
        .map(|l| format!("{} ({:?})", l.row.telephone_number, l.reason))
        .collect()
}

#[tokio::test]
async fn a_batch_part_without_value_leaves_its_users_unchecked_never_ghosts() {
    let (sim, report) = lens_after(|sim| sim.answer_next_user_parts_without_value(1), false).await;
    let wrongly = active_users_listed(&sim, &report);
    assert!(
        wrongly.is_empty(),
        "active users listed as leavers: {wrongly:?}"
    );
    // The part's 15 users could not be checked, and say so; none is a leaver.
    assert_eq!(report.assignees_unchecked, inventory_ids_in_first_part());
    assert_eq!(report.counts.unchecked, report.unchecked.len());
    assert!(report
        .unchecked
        .iter()
        .all(|u| u.reason == UncheckedReason::DirectoryAnswer && !u.explanation.is_empty()));
    let unchecked: BTreeSet<_> = report
        .unchecked
        .iter()
        .map(|u| u.row.telephone_number.clone())
        .collect();
    assert!(report
        .leavers
        .iter()
        .all(|l| !unchecked.contains(&l.row.telephone_number)));
    // "Unassign all listed…" takes the leavers only.
    let picked = inventory::selection_for_leavers(&report).unwrap();
    assert_eq!(picked.rows.len(), report.leavers.len());
    assert!(picked.rows.iter().all(|r| !unchecked.contains(&r.raw)));
}

/// The distinct assignees one `$batch` part asks about.
fn inventory_ids_in_first_part() -> usize {
    numberdesk::graph::ID_IN_LIMIT
}

#[tokio::test]
async fn an_unreadable_user_row_is_never_called_a_ghost() {
    let (sim, report) = lens_after(
        |sim| assert!(sim.send_unreadable_row_for(sim::SAMPLE_USER_UPN)),
        false,
    )
    .await;
    let wrongly = active_users_listed(&sim, &report);
    assert!(
        wrongly.is_empty(),
        "active users listed as leavers: {wrongly:?}"
    );
    // Only Adele could not be checked: her neighbours in the same answer were read.
    let adele = sim.user(sim::SAMPLE_USER_UPN).unwrap();
    assert_eq!(report.assignees_unchecked, 1);
    assert!(report.unchecked.iter().all(|u| {
        u.row.assignee_id.as_deref() == Some(adele.id.as_str())
            && u.reason == UncheckedReason::DirectoryAnswer
    }));
    assert!(report
        .unchecked
        .iter()
        .any(|u| u.row.telephone_number == sim::SAMPLE_NUMBER));
    // The real leavers are still found.
    assert_eq!(
        name_of(&report, LeaverReason::Disabled),
        sim::DISABLED_LEAVERS
            .iter()
            .map(|s| s.to_string())
            .collect()
    );
    assert!(report.counts.ghost >= 1 && report.counts.deleted >= 1);
}

#[tokio::test]
async fn a_deleted_users_read_longer_than_the_client_reads_calls_nobody_a_ghost() {
    let (sim, report) = lens_after(
        |sim| {
            // More pages of deleted users than the client follows.
            sim.add_deleted_users(150);
            sim.page_deleted_users_by(Some(1));
        },
        false,
    )
    .await;
    assert_eq!(
        report.counts.ghost,
        0,
        "the deleted users were not all read, so nobody is known to point at nothing: {:?}",
        report
            .leavers
            .iter()
            .map(|l| (&l.row.telephone_number, l.reason))
            .collect::<Vec<_>>()
    );
    assert_eq!(
        name_of(&report, LeaverReason::Deleted),
        BTreeSet::from([sim::DELETED_LEAVER.to_string()]),
        "the deleted leaver is on the first page"
    );
    assert!(!report.deleted_users_complete, "the read says it stopped");
    // The purged user is still listed, as what is known: no user has that id.
    assert!(report.counts.not_a_user >= 1);
    assert!(report.unchecked.is_empty());
    let pages = sim
        .graph_requests()
        .iter()
        .filter(|r| r.path_and_query.contains("deletedItems"))
        .count();
    assert_eq!(pages, numberdesk::graph::DELETED_USERS_MAX_PAGES);
}

#[tokio::test]
async fn a_user_licensed_through_the_government_teams_phone_plan_is_not_unlicensed() {
    let (sim, report) = lens_after(
        |sim| {
            assert!(sim.set_teams_phone_plan(
                sim::SAMPLE_USER_UPN,
                sim::MCOEV_GOV_PLAN_ID,
                "Enabled"
            ))
        },
        true,
    )
    .await;
    let adele = sim.user(sim::SAMPLE_USER_UPN).unwrap();
    let listed: Vec<_> = report
        .leavers
        .iter()
        .filter(|l| l.row.assignee_id.as_deref() == Some(adele.id.as_str()))
        .map(|l| (&l.row.telephone_number, l.reason))
        .collect();
    assert!(listed.is_empty(), "Adele (MCOEV_GOV) listed: {listed:?}");
    assert!(report.unchecked.is_empty());
    assert_eq!(
        name_of(&report, LeaverReason::Unlicensed),
        BTreeSet::from([sim::UNLICENSED_LEAVER.to_string()])
    );
}

#[tokio::test]
async fn a_teams_phone_plan_in_its_grace_period_still_counts_as_a_licence() {
    let (sim, report) = lens_after(
        |sim| {
            assert!(sim.set_teams_phone_plan(sim::SAMPLE_USER_UPN, sim::MCOEV_PLAN_ID, "Warning"))
        },
        true,
    )
    .await;
    let adele = sim.user(sim::SAMPLE_USER_UPN).unwrap();
    assert!(
        report
            .leavers
            .iter()
            .all(|l| l.row.assignee_id.as_deref() != Some(adele.id.as_str())),
        "a plan in Warning (grace period) is a working licence"
    );
    assert!(report.unchecked.is_empty());
    // A Teams Phone plan that is suspended is no working licence.
    let (sim, report) = lens_after(
        |sim| {
            assert!(sim.set_teams_phone_plan(
                sim::SAMPLE_USER_UPN,
                sim::MCOEV_GOV_PLAN_ID,
                "Suspended"
            ))
        },
        true,
    )
    .await;
    assert_eq!(
        name_of(&report, LeaverReason::Unlicensed),
        BTreeSet::from([
            sim::UNLICENSED_LEAVER.to_string(),
            sim.user(sim::SAMPLE_USER_UPN).unwrap().display_name
        ])
    );
}

#[tokio::test]
async fn a_leavers_number_given_to_a_new_hire_after_the_lens_was_read_is_not_taken_from_them() {
    let sim = fast_sim().await;
    let service = signed_in(&sim, sim::ADMIN_UPN).await;
    let client = graph(&sim, &service, recorded_options(&Waits::default()));
    let inventory = read_all(&client, true).await;
    let report = inventory::find_leavers(
        &client,
        &inventory.rows,
        LeaverOptions {
            include_unlicensed: true,
        },
        true,
        &CancelToken::new(),
    )
    .await
    .unwrap()
    .unwrap();
    assert!(report.leavers.len() >= 2);
    // Days later: the first leaver's number went to a new hire (an active user).
    let handed_over = report.leavers[0].row.telephone_number.clone();
    let leaver_id = report.leavers[0].row.assignee_id.clone().unwrap();
    let new_hire = sim
        .users()
        .into_iter()
        .find(|u| {
            u.kind == sim::UserKind::Person
                && u.account_enabled
                && !u.id.eq_ignore_ascii_case(&leaver_id)
        })
        .unwrap();
    assert!(sim.change_holder(&handed_over, Some(&new_hire.id)));

    let picked = inventory::selection_for_leavers(&report).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let history = History::open(dir.path()).unwrap().0;
    let preview =
        numberdesk::bulk::preview_with_names(&client, &history, true, &picked.rows, &picked.names)
            .await
            .unwrap();
    let row = preview
        .rows
        .iter()
        .find(|r| r.telephone_number.as_deref() == Some(handed_over.as_str()))
        .unwrap();
    assert_eq!(row.skip, Some(numberdesk::bulk::SkipReason::HolderChanged));
    assert!(
        row.reason.as_deref().unwrap().contains("now held by"),
        "{:?}",
        row.reason
    );
    assert_eq!(preview.counts.holder_changed, 1);
    assert_eq!(preview.counts.to_send, report.leavers.len() - 1);
    assert!(preview
        .plan()
        .iter()
        .all(|p| p.telephone_number != handed_over));
    // The same list pasted by hand has no "seen" holder: the preview plans from what is true
    // now and names the new hire, whom the admin then confirms or not.
    let pasted = inventory::bulk_rows(&[handed_over.as_str()]).unwrap();
    let fresh = numberdesk::bulk::preview(&client, &history, true, &pasted)
        .await
        .unwrap();
    assert_eq!(fresh.counts.to_send, 1);
    assert_eq!(
        fresh.rows[0].assignee.as_deref(),
        Some(new_hire.id.as_str())
    );
}

#[tokio::test]
async fn the_leavers_go_to_the_bulk_preview_with_matching_counts() {
    let sim = fast_sim().await;
    let service = signed_in(&sim, sim::ADMIN_UPN).await;
    let client = graph(&sim, &service, recorded_options(&Waits::default()));
    let inventory = read_all(&client, true).await;
    let report = inventory::find_leavers(
        &client,
        &inventory.rows,
        LeaverOptions {
            include_unlicensed: true,
        },
        true,
        &CancelToken::new(),
    )
    .await
    .unwrap()
    .unwrap();
    let picked = inventory::selection_for_leavers(&report).unwrap();
    let rows = picked.rows;
    assert_eq!(rows.len(), report.leavers.len());
    let dir = tempfile::tempdir().unwrap();
    let history = History::open(dir.path()).unwrap().0;
    let preview = numberdesk::bulk::preview(&client, &history, true, &rows)
        .await
        .unwrap();
    let assignees: BTreeSet<_> = report
        .leavers
        .iter()
        .filter_map(|l| l.row.assignee_id.clone())
        .collect();
    assert_eq!(preview.counts.to_send, report.leavers.len());
    assert_eq!(preview.counts.users, assignees.len());
    assert_eq!(preview.counts.resource_accounts, 0);
    assert_eq!(preview.plan().len(), report.leavers.len());

    // With the names the lens found, a deleted user is named in the preview (no `/users/{id}`
    // read finds a deleted user), and the named assignees are not read again.
    let named = numberdesk::bulk::preview_with_names(&client, &history, true, &rows, &picked.names)
        .await
        .unwrap();
    let deleted = report
        .leavers
        .iter()
        .find(|l| l.reason == LeaverReason::Deleted)
        .expect("the demo tenant has a deleted leaver");
    let name = deleted
        .row
        .assignee_name
        .clone()
        .expect("the lens names a deleted user from the deleted items");
    let row_of = |p: &numberdesk::bulk::Preview| {
        p.rows
            .iter()
            .find(|r| r.telephone_number.as_deref() == Some(&deleted.row.telephone_number))
            .unwrap()
            .assignee_name
            .clone()
    };
    assert_eq!(row_of(&named), Some(name), "named from the lens");
    assert_eq!(
        row_of(&preview),
        None,
        "Graph alone cannot name a deleted user"
    );
    assert!(
        named.requests < preview.requests,
        "{} requests with the names, {} without",
        named.requests,
        preview.requests
    );
    assert_eq!(named.counts, preview.counts);

    // "All that match" a filter goes the same way.
    let view = InventoryView::new(inventory.rows.clone());
    let query = InventoryQuery {
        countries: vec!["GB".into()],
        assignment: vec![AssignmentKind::User, AssignmentKind::ResourceAccount],
        ..Default::default()
    };
    let matching = view.query(&query).matching;
    let rows = inventory::selection_for_query(&view, &query).unwrap().rows;
    let preview = numberdesk::bulk::preview(&client, &history, true, &rows)
        .await
        .unwrap();
    assert_eq!(preview.counts.rows, matching);
    assert_eq!(preview.counts.to_send, matching);
}

// ---- The sim's rules ---------------------------------------------------------------------

async fn call(
    sim: &SimTenant,
    token: &str,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let http = sim_support::client();
    let url = format!("{}{path}", sim.graph_url());
    let request = match method {
        "POST" => http.post(url).json(&body.unwrap_or_default()),
        _ => http.get(url),
    };
    let response = request.bearer_auth(token).send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or_default())
}

fn ids_in(ids: &[String]) -> String {
    let quoted: Vec<String> = ids.iter().map(|i| format!("'{i}'")).collect();
    format!("id in ({})", quoted.join(","))
}

#[tokio::test]
async fn sim_batch_and_id_in_keep_graphs_limits_and_permission_checks() {
    let sim = fast_sim().await;
    let all = sim
        .mint_access_token(
            sim::ADMIN_UPN,
            "User.Read.All TeamsTelephoneNumber.ReadWrite.All",
        )
        .unwrap();
    let basic = sim
        .mint_access_token(sim::ADMIN_UPN, "User.ReadBasic.All")
        .unwrap();
    let ids: Vec<String> = sim.users().into_iter().map(|u| u.id).take(16).collect();
    let filter = |ids: &[String], select: &str| {
        format!(
            "/v1.0/users?$filter={}&$select={select}",
            url::form_urlencoded::byte_serialize(ids_in(ids).as_bytes()).collect::<String>()
        )
    };

    // `in` takes 15 values.
    let (status, body) = call(
        &sim,
        &all,
        "GET",
        &filter(&ids[..15], "id,accountEnabled"),
        None,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["value"].as_array().unwrap().len(), 15);
    assert!(body["value"][0]["accountEnabled"].is_boolean());
    assert!(body["value"][0].get("mail").is_none(), "$select honoured");
    let (status, body) = call(&sim, &all, "GET", &filter(&ids, "id"), None).await;
    assert_eq!(status, 400);
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("Max allowed: 15"));

    // accountEnabled and assignedPlans need User.Read.All; basic fields do not.
    let (status, _) = call(
        &sim,
        &basic,
        "GET",
        &filter(&ids[..3], "id,displayName"),
        None,
    )
    .await;
    assert_eq!(status, 200);
    for select in ["id,accountEnabled", "id,assignedPlans"] {
        let (status, body) = call(&sim, &basic, "GET", &filter(&ids[..3], select), None).await;
        assert_eq!(status, 403, "{select}");
        assert_eq!(body["error"]["code"], "Authorization_RequestDenied");
    }
    let (status, _) = call(
        &sim,
        &basic,
        "GET",
        &format!("/v1.0/users/{}?$select=id,accountEnabled", ids[0]),
        None,
    )
    .await;
    assert_eq!(status, 403);

    // Deleted users: User.Read.All only; gone from /users.
    let deleted = &sim.deleted_users()[0];
    let path = "/v1.0/directory/deletedItems/microsoft.graph.user";
    assert_eq!(call(&sim, &basic, "GET", path, None).await.0, 403);
    let (status, body) = call(&sim, &all, "GET", path, None).await;
    assert_eq!(status, 200);
    assert_eq!(body["value"][0]["id"], deleted.id.as_str());
    let (status, _) = call(
        &sim,
        &all,
        "GET",
        &format!("/v1.0/users/{}", deleted.id),
        None,
    )
    .await;
    assert_eq!(status, 404);

    // $batch: each part through the same checks; more than 20 refused whole.
    let parts = |n: usize, select: &str| {
        json!({"requests": (0..n).map(|i| json!({
            "id": (i + 1).to_string(), "method": "GET",
            "url": format!("/users/{}?$select={select}", ids[i % ids.len()]),
        })).collect::<Vec<_>>()})
    };
    let (status, body) = call(
        &sim,
        &basic,
        "POST",
        "/v1.0/$batch",
        Some(parts(2, "id,accountEnabled")),
    )
    .await;
    assert_eq!(status, 200);
    let responses = body["responses"].as_array().unwrap();
    assert_eq!(responses.len(), 2);
    assert!(responses.iter().all(|r| r["status"] == 403), "{body}");
    let (status, body) = call(
        &sim,
        &all,
        "POST",
        "/v1.0/$batch",
        Some(parts(20, "id,accountEnabled")),
    )
    .await;
    assert_eq!(status, 200);
    assert!(body["responses"]
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r["status"] == 200));
    let (status, body) = call(&sim, &all, "POST", "/v1.0/$batch", Some(parts(21, "id"))).await;
    assert_eq!(status, 400);
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("limit 20"),
        "{body}"
    );

    // A throttled part carries its Retry-After inside the 200.
    sim.fail_next_batch_parts(1, 429, Some(Duration::from_secs(2)));
    let (_, body) = call(&sim, &all, "POST", "/v1.0/$batch", Some(parts(2, "id"))).await;
    assert_eq!(body["responses"][0]["status"], 429);
    assert_eq!(body["responses"][0]["headers"]["Retry-After"], "2");
    assert_eq!(body["responses"][1]["status"], 200);
}

// ---- The Numbers view's desk ---------------------------------------------------------------

#[tokio::test]
async fn the_numbers_desk_keeps_the_list_cancels_a_refresh_and_names_its_selection() {
    use numberdesk::inventory::{InventoryError, NumbersDesk, NumbersSelection};
    let sim = fast_sim().await;
    let service = signed_in(&sim, sim::ADMIN_UPN).await;
    let client = graph(&sim, &service, recorded_options(&Waits::default()));
    let dir = tempfile::tempdir().unwrap();
    let desk = NumbersDesk::default();
    let all = InventoryQuery::default();
    let megan = owner(&sim, &service).await;
    let data = dir.path();

    // Nothing read yet: opening the view shows an empty list with a note, and the lens's
    // steps say it was not opened.
    let first = desk.view(data, &megan, &all).await.unwrap();
    assert_eq!((first.read_at.as_deref(), first.result.total), (None, 0));
    assert!(first.note.unwrap().contains("Choose Refresh"));
    assert_eq!(
        desk.query(data, &megan, &all).await.unwrap().result.total,
        0
    );
    assert!(matches!(
        desk.selection(data, &megan, &NumbersSelection::Leavers)
            .await,
        Err(InventoryError::LeaversNotChecked)
    ));

    let refreshed = desk
        .refresh(&client, true, data, &megan, &|_| {}, &all)
        .await
        .unwrap();
    assert!(!refreshed.cancelled);
    assert_eq!(refreshed.page.result.total, 200);
    let read_at = refreshed.page.read_at.clone().unwrap();

    // Cancel during a refresh: the kept list stays as it was, and the read is over (a new one
    // may start).
    sim.add_assigned_numbers(10);
    let cancelling = desk.clone();
    let cancel_now = move |_: ReadProgress| cancelling.cancel();
    let cancelled = desk
        .refresh(&client, true, data, &megan, &cancel_now, &all)
        .await
        .unwrap();
    assert!(cancelled.cancelled);
    assert_eq!(cancelled.page.result.total, 200);
    assert_eq!(cancelled.page.read_at.as_deref(), Some(read_at.as_str()));
    let again = desk
        .refresh(&client, true, data, &megan, &|_| {}, &all)
        .await
        .unwrap();
    assert_eq!(
        again.page.result.total, 210,
        "not busy after the cancelled read"
    );

    // A fresh desk (the next start) opens on the kept list without asking Microsoft.
    sim.clear_requests();
    let next = NumbersDesk::default();
    let shown = next.view(data, &megan, &all).await.unwrap();
    assert_eq!(shown.result.total, 210);
    assert!(list_requests(&sim).is_empty());

    // The lens, its export, and the selection with the names the lens found.
    let report = desk
        .leavers(&client, true, data, &megan, LeaverOptions::default())
        .await
        .unwrap()
        .unwrap();
    let tab = desk.query(data, &megan, &all).await.unwrap();
    assert_eq!(
        tab.leavers.unwrap().numbers,
        report.leavers.len(),
        "the tab's count"
    );
    let picked = desk
        .selection(data, &megan, &NumbersSelection::Leavers)
        .await
        .unwrap();
    assert_eq!(picked.rows.len(), report.leavers.len());
    assert!(picked.names.len() > sim::DISABLED_LEAVERS.len());
    let out = tempfile::tempdir().unwrap();
    let exported = desk.export_leavers(data, &megan, out.path()).await.unwrap();
    assert_eq!(exported.count, report.leavers.len());
    let csv = std::fs::read_to_string(&exported.path).unwrap();
    assert!(csv.contains(sim::DELETED_LEAVER), "{csv}");
    let exported = desk
        .export(data, &megan, out.path(), all.clone())
        .await
        .unwrap();
    assert_eq!(exported.count, 210);
    assert!(exported.path.contains("numberdesk-numbers-"));
}

/// Every step that gives out the kept list, asked for by `owner` who did not read it.
async fn assert_withheld_from(
    desk: &numberdesk::inventory::NumbersDesk,
    data: &std::path::Path,
    owner: &ListOwner,
) {
    use numberdesk::inventory::{InventoryError, NumbersSelection};
    let all = InventoryQuery::default();
    let page = desk.view(data, owner, &all).await.unwrap();
    assert_eq!(page.result.total, 0, "shown to {owner:?}");
    assert!(page.result.rows.is_empty());
    assert_eq!(
        page.result.counts.assignment.values().sum::<usize>(),
        0,
        "counted"
    );
    assert!(page.read_at.is_none());
    assert!(page.leavers.is_none(), "the lens's count is shown");
    let note = page.note.unwrap();
    assert!(note.contains("another tenant or account"), "{note}");
    assert!(note.contains("Choose Refresh"), "{note}");
    let out = tempfile::tempdir().unwrap();
    assert!(matches!(
        desk.export(data, owner, out.path(), all.clone()).await,
        Err(InventoryError::ReadForAnother)
    ));
    assert!(matches!(
        desk.export_leavers(data, owner, out.path()).await,
        Err(InventoryError::ReadForAnother)
    ));
    for selection in [
        NumbersSelection::Leavers,
        NumbersSelection::Matching { query: all.clone() },
        NumbersSelection::Numbers {
            numbers: vec![sim::SAMPLE_NUMBER.into()],
        },
    ] {
        assert!(
            matches!(
                desk.selection(data, owner, &selection).await,
                Err(InventoryError::ReadForAnother)
            ),
            "{selection:?} went to Bulk"
        );
    }
    assert_eq!(
        std::fs::read_dir(out.path()).unwrap().count(),
        0,
        "no file written"
    );
}

#[tokio::test]
async fn a_list_kept_for_one_tenant_account_or_the_demo_is_never_given_to_another() {
    use numberdesk::cloud::Cloud;
    use numberdesk::inventory::{InventoryError, NumbersDesk};
    let sim = fast_sim().await;
    let service = signed_in(&sim, sim::ADMIN_UPN).await;
    let client = graph(&sim, &service, recorded_options(&Waits::default()));
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    let all = InventoryQuery::default();
    let megan = owner(&sim, &service).await;
    let desk = NumbersDesk::default();
    desk.refresh(&client, true, data, &megan, &|_| {}, &all)
        .await
        .unwrap();
    desk.leavers(&client, true, data, &megan, LeaverOptions::default())
        .await
        .unwrap();

    // Another account of the tenant, the same account in another tenant, and the demo.
    let account = service.session_handle().status().await.account.unwrap();
    let diego = numberdesk::auth::Account {
        username: sim::NO_ROLE_UPN.into(),
        ..account.clone()
    };
    let elsewhere = numberdesk::auth::Account {
        tenant_id: "0f7c9e14-6c1f-4e97-a5d2-b3a8e2d4b628".into(),
        ..account.clone()
    };
    let demo_cloud = Cloud::demo(&sim.login_url(), &sim.graph_url()).unwrap();
    let demo = ListOwner::signed_in(&demo_cloud, sim::DEMO_TENANT_ID, &account);
    let cloud = target(&sim).cloud;
    let others = [
        ListOwner::signed_in(&cloud, sim::DEMO_TENANT_ID, &diego),
        ListOwner::signed_in(&cloud, sim::DEMO_TENANT_ID, &elsewhere),
        demo.clone(),
    ];
    for other in &others {
        // The same desk (another account signed in during this run) and a fresh one (the
        // next start).
        assert_withheld_from(&desk, data, other).await;
        assert_withheld_from(&NumbersDesk::default(), data, other).await;
    }
    // The owner's list is still there for its owner.
    let mine = desk.view(data, &megan, &all).await.unwrap();
    assert_eq!(mine.result.total, 200);

    // And the other way round: a list read in the demo is not the real tenant's.
    let demo_client = graph(&sim, &service, recorded_options(&Waits::default()));
    desk.refresh(&demo_client, true, data, &demo, &|_| {}, &all)
        .await
        .unwrap();
    assert_withheld_from(&desk, data, &megan).await;
    assert_withheld_from(&NumbersDesk::default(), data, &megan).await;
    assert_eq!(
        desk.view(data, &demo, &all).await.unwrap().result.total,
        200
    );
    // A refresh by the owner replaces the other's list.
    let page = desk
        .refresh(&client, true, data, &megan, &|_| {}, &all)
        .await
        .unwrap()
        .page;
    assert_eq!(page.result.total, 200);
    assert!(page.note.is_none(), "{:?}", page.note);
    assert!(matches!(
        NumbersDesk::default().export(data, &demo, data, all).await,
        Err(InventoryError::ReadForAnother)
    ));
}

/// `inventory.sqlite3` and its write-ahead log, as bytes.
fn kept_list_bytes(dir: &std::path::Path) -> Vec<u8> {
    let mut bytes = Vec::new();
    for name in [
        inventory::FILE_NAME.to_owned(),
        format!("{}-wal", inventory::FILE_NAME),
    ] {
        bytes.extend(std::fs::read(dir.join(name)).unwrap_or_default());
    }
    bytes
}

fn holds(bytes: &[u8], text: &str) -> bool {
    bytes.windows(text.len()).any(|w| w == text.as_bytes())
}

#[tokio::test]
async fn forgetting_the_list_at_sign_out_leaves_no_name_on_disk_or_in_memory() {
    use numberdesk::inventory::{InventoryError, NumbersDesk, NumbersSelection};
    let sim = fast_sim().await;
    let service = signed_in(&sim, sim::ADMIN_UPN).await;
    let client = graph(&sim, &service, recorded_options(&Waits::default()));
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    let all = InventoryQuery::default();
    let megan = owner(&sim, &service).await;
    let desk = NumbersDesk::default();
    // Two refreshes: the first one's rows are in free pages and the log.
    for _ in 0..2 {
        desk.refresh(&client, true, data, &megan, &|_| {}, &all)
            .await
            .unwrap();
    }
    desk.leavers(&client, true, data, &megan, LeaverOptions::default())
        .await
        .unwrap();
    let names: Vec<String> = sim
        .users()
        .into_iter()
        .filter(|u| u.user_principal_name == sim::SAMPLE_USER_UPN)
        .flat_map(|u| [u.user_principal_name, u.display_name])
        .collect();
    assert_eq!(names.len(), 2);
    let before = kept_list_bytes(data);
    assert!(names.iter().all(|n| holds(&before, n)), "kept before");

    desk.forget(data).await.unwrap();
    let after = kept_list_bytes(data);
    for name in &names {
        assert!(!holds(&after, name), "{name} is still on disk");
    }
    assert!(
        !holds(&after, "@contoso.onmicrosoft.com"),
        "a user name is left"
    );
    // Nothing in memory either: the view is empty and the lens's answer is gone.
    let page = desk.view(data, &megan, &all).await.unwrap();
    assert_eq!(page.result.total, 0);
    assert!(page.leavers.is_none());
    assert!(matches!(
        desk.selection(data, &megan, &NumbersSelection::Leavers)
            .await,
        Err(InventoryError::LeaversNotChecked)
    ));
    // A desk that never opened the file removes it too (signed out before opening the view).
    desk.refresh(&client, true, data, &megan, &|_| {}, &all)
        .await
        .unwrap();
    NumbersDesk::default().forget(data).await.unwrap();
    assert!(!holds(&kept_list_bytes(data), sim::SAMPLE_USER_UPN));
}

/// A desk with a list of `n` numbers kept in `data` for an account of the demo tenant (no
/// Microsoft needed: the exports only read the kept list).
async fn desk_with_kept_numbers(
    data: &std::path::Path,
    n: usize,
) -> (numberdesk::inventory::NumbersDesk, ListOwner) {
    use numberdesk::inventory::{AssignmentKind, Inventory, InventoryRow};
    let cloud = numberdesk::cloud::Cloud::demo("http://127.0.0.1:9", "http://127.0.0.1:9").unwrap();
    let account = numberdesk::auth::Account {
        name: "Megan".into(),
        username: sim::ADMIN_UPN.into(),
        tenant_id: sim::DEMO_TENANT_ID.into(),
        object_id: "5f7b1c7e-8c4f-4b38-9a2e-1f0e8d6c4a21".into(),
    };
    let owner = ListOwner::signed_in(&cloud, sim::DEMO_TENANT_ID, &account);
    let rows = (0..n)
        .map(|i| InventoryRow {
            id: format!("n{i}"),
            telephone_number: format!("+1206555{i:04}"),
            number_type: "directRouting".into(),
            assignment: AssignmentKind::User,
            assignment_status: Some("userAssigned".into()),
            assignee_id: Some(format!("user-{i}")),
            assignee_name: Some(format!("Person {i} with a name long enough to fill a disk")),
            assignee_upn: Some(format!("person{i}@contoso.example")),
            assignment_category: Some("primary".into()),
            city: Some("Seattle".into()),
            country: Some("US".into()),
            activation_state: Some("activated".into()),
            location_id: None,
        })
        .collect();
    let inventory = Inventory {
        read_at: "2024-05-06T07:08:09Z".into(),
        rows,
        unreadable: 0,
        list_requests: 1,
        name_requests: 0,
        names_missing: false,
    };
    std::fs::create_dir_all(data).unwrap();
    InventoryStore::open(data)
        .unwrap()
        .save(&owner, &inventory)
        .unwrap();
    (numberdesk::inventory::NumbersDesk::default(), owner)
}

fn file_names(folder: &std::path::Path) -> BTreeSet<String> {
    std::fs::read_dir(folder)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect()
}

#[tokio::test]
async fn numbers_exports_in_the_same_second_never_overwrite_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let (data, out) = (dir.path().join("data"), dir.path().join("Downloads"));
    std::fs::create_dir_all(&out).unwrap();
    let (desk, owner) = desk_with_kept_numbers(&data, 3).await;
    // An earlier export under every name one started now could take (this second, the next two).
    let now = time::OffsetDateTime::now_utc();
    let earlier: Vec<_> = (0..3)
        .map(|s| {
            let name = numberdesk::export_file::export_file_name(
                "numbers",
                now + time::Duration::seconds(s),
            );
            std::fs::write(out.join(&name), "an earlier export").unwrap();
            out.join(name)
        })
        .collect();
    let all = InventoryQuery::default();
    let first = desk.export(&data, &owner, &out, all.clone()).await.unwrap();
    let second = desk.export(&data, &owner, &out, all).await.unwrap();
    for path in &earlier {
        assert_eq!(
            std::fs::read_to_string(path).unwrap(),
            "an earlier export",
            "{} was overwritten",
            path.display()
        );
    }
    assert_ne!(first.path, second.path);
    for exported in [&first, &second] {
        assert_eq!(exported.count, 3);
        let text = std::fs::read_to_string(&exported.path).unwrap();
        assert_eq!(text.lines().count(), 4, "{text}");
    }
    assert_eq!(file_names(&out).len(), 5, "{:?}", file_names(&out));
}

#[cfg(target_os = "linux")]
#[tokio::test]
#[ignore = "mounts a small tmpfs (needs root): run with `cargo xtask test`"]
async fn fault_disk_full_during_a_numbers_export_leaves_no_partial_csv() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let (desk, owner) = desk_with_kept_numbers(&data, 2_000).await;
    let fs = fs_support::SmallFs::mount(512);
    let filler = fs.fill();
    // Room for the first few kilobytes of the export, not for all of it (~300 KB).
    let room = std::fs::metadata(&filler).unwrap().len() - 16 * 1024;
    std::fs::OpenOptions::new()
        .write(true)
        .open(&filler)
        .unwrap()
        .set_len(room)
        .unwrap();
    let failed = desk
        .export(&data, &owner, fs.path(), InventoryQuery::default())
        .await;
    let names = file_names(fs.path());
    assert!(failed.is_err(), "the export reported success: {failed:?}");
    assert_eq!(
        names,
        BTreeSet::from(["filler".to_owned()]),
        "a partial export was left behind"
    );
    let problem = numberdesk::problem::Problem::from(failed.unwrap_err());
    assert_eq!(problem.kind, ProblemKind::Export);
    assert!(
        problem.message.contains("numberdesk-numbers-"),
        "{}",
        problem.message
    );
}

// ---- A Refresh cut off keeps what it read and resumes ----------------------------------------

/// A 50,000-number tenant (50 full pages, then the empty page that ends the read).
async fn fifty_page_sim() -> SimTenant {
    sim_support::start(sim::SimConfig {
        operation_not_started: Duration::ZERO,
        operation_running: Duration::from_millis(50),
        device_code_interval: Duration::from_secs(1),
        scale: Some(sim::TenantScale {
            numbers: 50_000,
            users: 2_000,
        }),
        ..sim::SimConfig::default()
    })
    .await
}

#[tokio::test]
async fn a_refresh_throttled_at_page_37_of_50_keeps_36_pages_and_the_next_refresh_resumes_there() {
    use numberdesk::inventory::NumbersDesk;
    let sim = fifty_page_sim().await;
    let service = signed_in(&sim, sim::ADMIN_UPN).await;
    let client = graph(&sim, &service, recorded_options(&Waits::default()));
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    let megan = owner(&sim, &service).await;
    let all = InventoryQuery::default();
    let desk = NumbersDesk::default();

    // Page 37, Microsoft asks for a wait longer than NumberDesk waits (five minutes).
    sim.fail_number_page(36_000, 1, 429, Some(Duration::from_secs(300)));
    sim.clear_requests();
    let cut = desk
        .refresh(&client, true, data, &megan, &|_| {}, &all)
        .await;
    let cut = cut.expect("a cut-off Refresh keeps what it read instead of failing");
    let asked = list_requests(&sim).len();
    assert!(
        (37..=37 + numberdesk::graph::PAGES_IN_FLIGHT).contains(&asked),
        "36 pages, the refused 37th, and at most the pages fetched beside it: {asked}"
    );
    let note = cut
        .page
        .note
        .clone()
        .expect("the view says the list is partial");
    assert!(note.contains("36,000"), "{note}");
    assert!(note.contains("page 37"), "{note}");
    assert!(note.contains("Choose Refresh to continue"), "{note}");
    assert_eq!(
        cut.page.result.total, 36_000,
        "the pages read are shown, marked"
    );

    assert!(cut.cut_off && cut.page.partial);
    // Never used as the whole list: the lens, "All that match" and the export refuse it;
    // a ticked number may still go to the Bulk preview (which reads its holder again).
    use numberdesk::inventory::{InventoryError, NumbersSelection};
    let out = tempfile::tempdir().unwrap();
    assert!(matches!(
        desk.leavers(&client, true, data, &megan, LeaverOptions::default())
            .await,
        Err(InventoryError::PartialList)
    ));
    assert!(matches!(
        desk.selection(
            data,
            &megan,
            &NumbersSelection::Matching { query: all.clone() }
        )
        .await,
        Err(InventoryError::PartialList)
    ));
    assert!(matches!(
        desk.export(data, &megan, out.path(), all.clone()).await,
        Err(InventoryError::PartialList)
    ));
    let ticked = cut.page.result.rows[0].telephone_number.clone();
    let picked = desk
        .selection(
            data,
            &megan,
            &NumbersSelection::Numbers {
                numbers: vec![ticked],
            },
        )
        .await
        .unwrap();
    assert_eq!(picked.rows.len(), 1);

    // Kept on disk: a fresh desk (the next start) shows the same partial list, marked.
    let next = NumbersDesk::default();
    let shown = next.view(data, &megan, &all).await.unwrap();
    assert_eq!(shown.result.total, 36_000);
    assert!(shown.note.unwrap().contains("page 37"));

    // The next Refresh resumes at page 37 (the last row of page 36 read again as the seam),
    // and the list is whole again.
    sim.clear_requests();
    let resumed = next
        .refresh(&client, true, data, &megan, &|_| {}, &all)
        .await
        .unwrap();
    let asked = list_requests(&sim);
    assert!(asked[0].contains("skip=35999"), "{asked:#?}");
    // From row 35,999 (the seam): 14 full pages, the last row alone, then the empty page;
    // with no kept list to estimate from, a few pages fetched past the end.
    assert!(
        (16..16 + numberdesk::graph::PAGES_IN_FLIGHT).contains(&asked.len()),
        "pages 37-50 and the end: {asked:#?}"
    );
    assert_eq!(resumed.page.result.total, 50_000);
    assert!(resumed.page.note.is_none(), "{:?}", resumed.page.note);
    assert!(!resumed.cut_off && !resumed.page.partial);
    let mut ids: Vec<String> = sim.numbers().into_iter().map(|n| n.id).collect();
    let store = InventoryStore::open(data).unwrap();
    let mut kept: Vec<String> = kept_for(&store, &megan)
        .rows
        .into_iter()
        .map(|r| r.id)
        .collect();
    ids.sort();
    kept.sort();
    assert_eq!(kept, ids, "every number once, none twice");
}

// ---- Pages side by side ------------------------------------------------------------------

/// The sample tenant grown to `total` numbers (the sim adds at most 10,000).
async fn sim_with_numbers(total: usize) -> SimTenant {
    let sim = fast_sim().await;
    sim.add_assigned_numbers(total - sim.numbers().len());
    assert_eq!(sim.numbers().len(), total);
    sim
}

/// Reads the inventory, numbers only, with `about` as the estimate; it must end whole.
async fn read_numbers(
    client: &numberdesk::graph::GraphClient,
    about: Option<usize>,
    progress: &(dyn Fn(ReadProgress) + Send + Sync),
) -> inventory::Inventory {
    match inventory::read_inventory(client, true, about, false, progress, &CancelToken::new())
        .await
        .unwrap()
    {
        ReadOutcome::Read(inventory) => inventory,
        other => panic!("not read whole: {other:?}"),
    }
}

#[tokio::test]
async fn pages_are_read_side_by_side_and_stitched_into_the_sequential_list() {
    let sim = sim_with_numbers(10_200).await;
    let service = signed_in(&sim, sim::ADMIN_UPN).await;
    let client = graph(&sim, &service, recorded_options(&Waits::default()));
    // Each answer takes a while, as Microsoft's do: pages read one after another never overlap.
    sim.set_latency(Duration::from_millis(60));
    sim.clear_requests();
    sim.reset_max_in_flight();
    let seen = Arc::new(Mutex::new(Vec::<usize>::new()));
    let tell = {
        let seen = seen.clone();
        move |p: ReadProgress| seen.lock().unwrap().push(p.rows)
    };
    let first = read_numbers(&client, None, &tell).await;
    assert_eq!(
        row_ids(&first.rows),
        tenant_ids(&sim),
        "the sequential list"
    );
    assert!(
        sim.max_in_flight() >= 2,
        "pages in flight together: {}",
        sim.max_in_flight()
    );
    let seen = seen.lock().unwrap().clone();
    assert!(seen.windows(2).all(|w| w[0] <= w[1]), "{seen:?}");
    let total = sim.numbers().len();
    assert_eq!(seen.last(), Some(&total));
    // Ten full pages, the rows left and the empty page (12, as read one after another), and
    // with no kept list to estimate from, at most the pages fetched past the end.
    let sequential = total / 1000 + 2;
    assert!(
        (sequential..sequential + numberdesk::graph::PAGES_IN_FLIGHT)
            .contains(&first.list_requests),
        "{}: {:#?}",
        first.list_requests,
        list_requests(&sim)
    );

    // A Refresh, the kept list's size as the estimate: the same requests as one by one.
    sim.clear_requests();
    let again = read_numbers(&client, Some(first.rows.len()), &|_| {}).await;
    assert_eq!(row_ids(&again.rows), tenant_ids(&sim));
    assert_eq!(again.list_requests, sequential);
    assert_eq!(
        list_requests(&sim).len(),
        sequential,
        "{:#?}",
        list_requests(&sim)
    );
}

#[tokio::test]
async fn a_page_capped_mid_window_drops_the_pages_fetched_ahead_and_goes_on_where_it_ended() {
    let sim = sim_with_numbers(8_000).await;
    // The documented paging: no nextLink, `$skip` only.
    sim.set_number_next_link(sim::NumberNextLink::Absent);
    let service = signed_in(&sim, sim::ADMIN_UPN).await;
    let client = graph(&sim, &service, recorded_options(&Waits::default()));
    sim.set_latency(Duration::from_millis(40));
    // Once 3,000 rows are in, the service caps its pages at 300 rows (pages already on their
    // way come back whole).
    let cap_after_three = {
        let sim = sim.clone();
        move |p: ReadProgress| {
            if p.rows == 3_000 {
                sim.cap_pages(Some(300));
            }
        }
    };
    sim.clear_requests();
    let read = read_numbers(&client, Some(8_000), &cap_after_three).await;
    assert_eq!(
        row_ids(&read.rows),
        tenant_ids(&sim),
        "every number once, in Microsoft's order"
    );
    let asked = list_requests(&sim);
    assert!(
        asked
            .iter()
            .any(|r| r.contains("skip=") && !r.ends_with("000")),
        "went on from where a capped page ended: {asked:#?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_429_mid_window_holds_every_page_back_for_its_retry_after() {
    // Small pages (the service caps them at 100 rows), so that the tenant answers each one at
    // once and the log's times are the client's.
    let sim = sim_with_numbers(2_200).await;
    sim.cap_pages(Some(100));
    let service = signed_in(&sim, sim::ADMIN_UPN).await;
    let client = graph(&sim, &service, recorded_options(&Waits::default()));
    // Each answer takes three turns of the pacer (30 pages a second), so pages overlap.
    sim.set_latency(Duration::from_millis(100));
    sim.fail_number_page(1_100, 1, 429, Some(Duration::from_secs(2)));
    sim.clear_requests();
    sim.reset_max_in_flight();
    let read = read_numbers(&client, Some(2_200), &|_| {}).await;
    assert_eq!(row_ids(&read.rows), tenant_ids(&sim), "the sequential list");
    assert!(sim.max_in_flight() >= 2);
    let log: Vec<sim::LoggedRequest> = sim
        .graph_requests()
        .into_iter()
        .filter(|r| r.path_and_query.contains("numberAssignments"))
        .collect();
    let throttled = log
        .iter()
        .find(|r| r.status == Some(429))
        .expect("the page at row 1,100 was throttled");
    assert!(throttled.path_and_query.contains("skip=1100"));
    let since = |r: &sim::LoggedRequest| r.received_at.duration_since(throttled.received_at).ok();
    // Its answer came 100 ms later; from then on no page left for the 2 s Microsoft asked
    // (the test's own sleeper does not wait: the pacer shared by every page does).
    let during: Vec<&String> = log
        .iter()
        .filter(|r| {
            since(r)
                .is_some_and(|d| d > Duration::from_millis(400) && d < Duration::from_millis(1_800))
        })
        .map(|r| &r.path_and_query)
        .collect();
    assert!(during.is_empty(), "sent during the pause: {during:#?}");
    assert!(
        log.iter().any(|r| r.path_and_query.contains("skip=1100")
            && r.status == Some(200)
            && since(r).is_some_and(|d| d >= Duration::from_secs(2))),
        "the throttled page read again after its Retry-After"
    );
}

#[tokio::test]
async fn an_opaque_next_link_is_followed_one_page_at_a_time() {
    let sim = sim_with_numbers(5_500).await;
    sim.set_number_next_link(sim::NumberNextLink::SkipToken);
    let service = signed_in(&sim, sim::ADMIN_UPN).await;
    let client = graph(&sim, &service, recorded_options(&Waits::default()));
    sim.clear_requests();
    let read = read_numbers(&client, None, &|_| {}).await;
    assert_eq!(row_ids(&read.rows), tenant_ids(&sim));
    let asked = list_requests(&sim);
    // The first page, each next one through its link (5), then `$skip` after the last page,
    // which has no link: the empty page.
    assert_eq!(
        asked.iter().filter(|r| r.contains("skiptoken=")).count(),
        5,
        "{asked:#?}"
    );
    assert_eq!(asked.len(), 7, "{asked:#?}");
    assert!(asked[6].contains("skip=5500"), "{asked:#?}");
}

#[tokio::test]
async fn a_throttled_part_holds_every_batch_of_the_read_back() {
    let sim = fast_sim().await;
    let service = signed_in(&sim, sim::ADMIN_UPN).await;
    let waits = Waits::default();
    let client = graph(&sim, &service, recorded_options(&waits));
    // 30 batches of ids that are nobody: more than are ever in flight at once.
    let ids: Vec<String> = (0..9_000)
        .map(|n| format!("00000000-0000-4000-8000-{n:012}"))
        .collect();
    sim.fail_next_batch_parts(1, 429, Some(Duration::from_secs(2)));
    let read = client
        .users_by_ids(&ids, UserDetail::Basic, &CancelToken::new())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(read.retried_parts, 1);
    assert!(read.accounts.is_empty() && read.unresolved.is_empty());
    // The throttled batch's worker waited its 2 s, and so did the others before their next
    // batch (what was left of the 2 s).
    let held = waits
        .taken()
        .into_iter()
        .filter(|w| *w > Duration::from_secs(1))
        .count();
    assert!(held >= 2, "{:?}", waits.taken());
}

#[tokio::test]
async fn a_name_read_failure_other_than_403_keeps_the_number_list_and_says_names_are_missing() {
    use numberdesk::inventory::NumbersDesk;
    let sim = fast_sim().await;
    let service = signed_in(&sim, sim::ADMIN_UPN).await;
    let client = graph(&sim, &service, recorded_options(&Waits::default()));
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    let megan = owner(&sim, &service).await;
    let all = InventoryQuery::default();
    let desk = NumbersDesk::default();

    sim.fail_next_batch_parts(20, 500, None);
    let refreshed = desk
        .refresh(&client, true, data, &megan, &|_| {}, &all)
        .await
        .expect("the numbers were read: a failed name read does not discard them");
    assert_eq!(refreshed.page.result.total, 200);
    let note = refreshed.page.note.expect("says the names are missing");
    assert!(note.contains("names"), "{note}");
    assert!(note.contains("Choose Refresh"), "{note}");
    // Kept, and said again at the next start.
    let next = NumbersDesk::default()
        .view(data, &megan, &all)
        .await
        .unwrap();
    assert_eq!(next.result.total, 200);
    assert!(next.note.unwrap().contains("names"));
}

#[tokio::test]
async fn a_resumed_refresh_whose_list_moved_before_the_seam_reads_again_from_page_1() {
    let sim = fast_sim().await;
    sim.cap_pages(Some(70));
    let service = signed_in(&sim, sim::ADMIN_UPN).await;
    let client = graph(&sim, &service, recorded_options(&Waits::default()));
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(InventoryStore::open(dir.path()).unwrap());
    let megan = owner(&sim, &service).await;
    // The third page is refused five times, every attempt a GET makes.
    sim.fail_number_page(140, 5, 503, None);
    let cut = inventory::refresh_inventory(
        &client,
        &store,
        &megan,
        true,
        false,
        &|_| {},
        &CancelToken::new(),
    )
    .await
    .unwrap();
    let ReadOutcome::CutOff(partial) = cut else {
        panic!("cut off: {cut:?}")
    };
    assert_eq!(
        (partial.rows.len(), partial.next_skip, partial.pages),
        (140, 140, 2)
    );
    // A number before the seam is taken away: `$skip=139` no longer points at the last row
    // read, and going on from there would miss one number.
    let first = sim.numbers()[0].telephone_number.clone();
    assert!(sim.remove_number(&first));
    sim.clear_requests();
    let whole = inventory::refresh_inventory(
        &client,
        &store,
        &megan,
        true,
        false,
        &|_| {},
        &CancelToken::new(),
    )
    .await
    .unwrap();
    let ReadOutcome::Read(whole) = whole else {
        panic!("read whole")
    };
    let asked = list_requests(&sim);
    assert!(asked[0].contains("skip=139"), "{asked:#?}");
    assert!(
        !asked[1].contains("skip"),
        "started again at page 1: {asked:#?}"
    );
    assert_eq!(whole.rows.len(), sim.numbers().len());
}
