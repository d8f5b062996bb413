//! The Graph client against the simulated tenant over real loopback HTTP: lookups, names,
//! unassign and assign, operations, and every retry rule.

#[path = "app_support/mod.rs"]
mod app_support;
#[path = "sim_support/mod.rs"]
mod sim_support;

use app_support::{graph, recorded_options, signed_in, Waits};
use numberdesk::graph::{GraphErrorKind, RemoteStatus};
use numberdesk::problem::graph::in_cloud;
use numberdesk::problem::ProblemKind;
use numberdesk::sim::{self, OperationOutcome, SimTenant};
use std::time::Duration;

async fn fast_sim() -> SimTenant {
    sim_support::start_fast().await
}

fn posts(sim: &SimTenant) -> Vec<numberdesk::sim::LoggedRequest> {
    sim.graph_requests()
        .into_iter()
        .filter(|r| r.method == "POST")
        .collect()
}

#[tokio::test]
async fn a_lookup_finds_the_number_with_the_plus_encoded_and_names_the_assignee() {
    let sim = fast_sim().await;
    let service = signed_in(&sim, sim::ADMIN_UPN).await;
    let client = graph(&sim, &service, recorded_options(&Waits::default()));
    let (found, exchange) = client.lookup_number(sim::SAMPLE_NUMBER).await.unwrap();
    let number = found.expect("the sample number exists");
    assert_eq!(number.telephone_number, sim::SAMPLE_NUMBER);
    assert_eq!(number.number_type, "callingPlan");
    assert_eq!(number.assignment_status.as_deref(), Some("userAssigned"));
    assert!(exchange.request_id.is_some());
    let request = sim
        .graph_requests()
        .into_iter()
        .find(|r| r.path_and_query.contains("numberAssignments?"))
        .unwrap();
    assert!(
        request.path_and_query.contains("%2B12065550100"),
        "{}",
        request.path_and_query
    );
    assert_eq!(
        request.client_request_id.as_deref(),
        Some(exchange.client_request_id.as_str())
    );

    let user = client
        .user(number.assignment_target_id.as_deref().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(user.display_name.as_deref(), Some("Adele Vance"));
    assert_eq!(
        user.user_principal_name.as_deref(),
        Some(sim::SAMPLE_USER_UPN)
    );

    let (missing, _) = client.lookup_number("+19995550000").await.unwrap();
    assert!(missing.is_none());
}

#[tokio::test]
async fn without_the_names_permission_the_user_lookup_quietly_gives_nothing() {
    let sim = fast_sim().await;
    sim.set_consent(numberdesk::sim::Consent {
        user_read_basic_all: false,
        ..Default::default()
    });
    let service = signed_in(&sim, sim::ADMIN_UPN).await;
    let client = graph(&sim, &service, recorded_options(&Waits::default()));
    let (number, _) = client.lookup_number(sim::SAMPLE_NUMBER).await.unwrap();
    let id = number.unwrap().assignment_target_id.unwrap();
    assert_eq!(client.user(&id).await.unwrap(), None);
}

#[tokio::test]
async fn unassign_answers_202_with_a_location_that_reaches_succeeded_and_assign_undoes_it() {
    let sim = fast_sim().await;
    let service = signed_in(&sim, sim::ADMIN_UPN).await;
    let client = graph(&sim, &service, recorded_options(&Waits::default()));
    let (number, _) = client.lookup_number(sim::SAMPLE_NUMBER).await.unwrap();
    let number = number.unwrap();

    let accepted = client
        .unassign(
            &number.telephone_number,
            &number.number_type,
            "11111111-0000-0000-0000-000000000001",
        )
        .await
        .unwrap();
    let location = accepted.location.clone().unwrap();
    assert!(client.location_is_trusted(&location), "{location}");
    assert_eq!(
        accepted.client_request_id,
        "11111111-0000-0000-0000-000000000001"
    );
    let post = &posts(&sim)[0];
    let body: serde_json::Value = serde_json::from_str(&post.body).unwrap();
    assert_eq!(
        body,
        serde_json::json!({"telephoneNumber": sim::SAMPLE_NUMBER, "numberType": "callingPlan"}),
        "exactly the two documented fields"
    );

    let mut status = RemoteStatus::NotStarted;
    for _ in 0..100 {
        status = client.operation(&location).await.unwrap().0.status;
        if status.is_settled() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(status, RemoteStatus::Succeeded);
    let (after, _) = client.lookup_number(sim::SAMPLE_NUMBER).await.unwrap();
    assert_eq!(
        after.unwrap().assignment_status.as_deref(),
        Some("unassigned")
    );

    let undo = client
        .assign(
            sim::SAMPLE_NUMBER,
            number.assignment_target_id.as_deref().unwrap(),
            &number.number_type,
            number.assignment_category.as_deref(),
            number.location_id.as_deref(),
            "11111111-0000-0000-0000-000000000002",
        )
        .await
        .unwrap();
    let location = undo.location.unwrap();
    // Bounded, and loud when the bound is hit: a wait that ran out must not look like one that
    // ended.
    let mut settled = false;
    for _ in 0..100 {
        settled = client
            .operation(&location)
            .await
            .unwrap()
            .0
            .status
            .is_settled();
        if settled {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(settled, "the undo's operation never settled");
    let (again, _) = client.lookup_number(sim::SAMPLE_NUMBER).await.unwrap();
    let again = again.unwrap();
    assert_eq!(again.assignment_status.as_deref(), Some("userAssigned"));
    assert_eq!(again.assignment_target_id, number.assignment_target_id);
}

#[tokio::test]
async fn a_throttled_get_waits_for_retry_after_by_the_tests_clock() {
    let sim = fast_sim().await;
    let service = signed_in(&sim, sim::ADMIN_UPN).await;
    let waits = Waits::default();
    let client = graph(&sim, &service, recorded_options(&waits));
    sim.throttle_next(2, Duration::from_secs(7));
    let (found, _) = client.lookup_number(sim::SAMPLE_NUMBER).await.unwrap();
    assert!(found.is_some());
    let taken = waits.taken();
    assert_eq!(taken.len(), 2, "{taken:?}");
    for wait in taken {
        assert!(
            wait >= Duration::from_secs(7) && wait < Duration::from_millis(7250),
            "{wait:?}"
        );
    }
}

#[tokio::test]
async fn unavailable_gets_are_retried_then_reported() {
    let sim = fast_sim().await;
    let service = signed_in(&sim, sim::ADMIN_UPN).await;
    let waits = Waits::default();
    let client = graph(&sim, &service, recorded_options(&waits));
    sim.fail_next(1, 503, None);
    assert!(client
        .lookup_number(sim::SAMPLE_NUMBER)
        .await
        .unwrap()
        .0
        .is_some());
    assert_eq!(waits.taken().len(), 1);

    sim.fail_next(10, 503, Some(Duration::from_secs(1)));
    let error = client.lookup_number(sim::SAMPLE_NUMBER).await.unwrap_err();
    assert_eq!(error.kind, GraphErrorKind::Unavailable);
    assert_eq!(in_cloud(&error, true).kind, ProblemKind::Unavailable);
    assert_eq!(waits.taken().len(), 1 + 4, "five attempts in all");
}

#[tokio::test]
async fn a_throttled_post_is_sent_again_because_microsoft_did_not_take_it() {
    let sim = fast_sim().await;
    let service = signed_in(&sim, sim::ADMIN_UPN).await;
    let waits = Waits::default();
    let client = graph(&sim, &service, recorded_options(&waits));
    sim.throttle_next(1, Duration::from_secs(2));
    let accepted = client
        .unassign(
            sim::SAMPLE_NUMBER,
            "callingPlan",
            "22222222-0000-0000-0000-000000000001",
        )
        .await
        .unwrap();
    assert!(accepted.location.is_some());
    let statuses: Vec<_> = posts(&sim).iter().map(|r| r.status).collect();
    assert_eq!(statuses, vec![Some(429), Some(202)]);
    assert!(waits.taken()[0] >= Duration::from_secs(2));
}

#[tokio::test]
async fn a_post_whose_answer_is_lost_is_outcome_unknown_and_never_resent() {
    let sim = fast_sim().await;
    let service = signed_in(&sim, sim::ADMIN_UPN).await;
    let client = graph(&sim, &service, recorded_options(&Waits::default()));
    sim.drop_connection_after_next_post();
    let error = client
        .unassign(
            sim::SAMPLE_NUMBER,
            "callingPlan",
            "33333333-0000-0000-0000-000000000001",
        )
        .await
        .unwrap_err();
    assert!(error.outcome_unknown(), "{error:?}");
    assert_eq!(
        sim.post_count_for(sim::SAMPLE_NUMBER),
        1,
        "exactly one POST"
    );
}

#[tokio::test]
async fn a_foreign_location_is_not_followed_and_gets_no_token() {
    let sim = fast_sim().await;
    let other = fast_sim().await;
    let service = signed_in(&sim, sim::ADMIN_UPN).await;
    let client = graph(&sim, &service, recorded_options(&Waits::default()));
    let foreign = format!(
        "{}/v1.0/admin/teams/telephoneNumberManagement/operations('x')",
        other.graph_url()
    );
    let error = client.operation(&foreign).await.unwrap_err();
    assert_eq!(error.kind, GraphErrorKind::ForeignLocation);
    assert!(
        other.requests().is_empty(),
        "nothing was sent to the other host"
    );
    for bad in [
        format!("{}/v1.0/users/x", sim.graph_url()),
        format!(
            "{}/v1.0/admin/teams/telephoneNumberManagement/operations/../../users",
            sim.graph_url()
        ),
        sim.graph_url().replace("http://", "https://")
            + "/v1.0/admin/teams/telephoneNumberManagement/operations('x')",
        "not a url".to_string(),
    ] {
        assert!(!client.location_is_trusted(&bad), "{bad}");
    }
}

#[tokio::test]
async fn an_expired_token_mid_flow_is_refreshed_and_the_call_succeeds() {
    let sim = fast_sim().await;
    let service = signed_in(&sim, sim::ADMIN_UPN).await;
    let client = graph(&sim, &service, recorded_options(&Waits::default()));
    assert!(client.lookup_number(sim::SAMPLE_NUMBER).await.is_ok());
    sim.expire_access_tokens();
    let (found, _) = client.lookup_number(sim::SAMPLE_NUMBER).await.unwrap();
    assert!(found.is_some());
    let statuses: Vec<_> = sim
        .graph_requests()
        .iter()
        .filter(|r| r.path_and_query.contains("numberAssignments?"))
        .map(|r| r.status)
        .collect();
    assert_eq!(statuses, vec![Some(200), Some(401), Some(200)]);
}

#[tokio::test]
async fn the_account_without_the_role_is_told_which_roles_are_needed() {
    let sim = fast_sim().await;
    let service = signed_in(&sim, sim::NO_ROLE_UPN).await;
    let client = graph(&sim, &service, recorded_options(&Waits::default()));
    let error = client.lookup_number(sim::SAMPLE_NUMBER).await.unwrap_err();
    assert_eq!(error.kind, GraphErrorKind::Forbidden);
    let problem = in_cloud(&error, true);
    assert!(problem.hint.contains("Teams Telephony Administrator"));
    assert!(problem.request_id.is_some());
}

#[tokio::test]
async fn both_operation_envelopes_and_every_final_status_are_read() {
    let sim = fast_sim().await;
    let service = signed_in(&sim, sim::ADMIN_UPN).await;
    let client = graph(&sim, &service, recorded_options(&Waits::default()));
    let numbers: Vec<String> = sim
        .numbers()
        .into_iter()
        .filter(|n| n.assignment_status != "unassigned")
        .map(|n| n.telephone_number)
        .take(4)
        .collect();
    let outcomes = [
        (
            OperationOutcome::Failed("Number is in use by a call queue".into()),
            RemoteStatus::Failed,
        ),
        (
            OperationOutcome::Skipped("Nothing to do".into()),
            RemoteStatus::Skipped,
        ),
        (
            OperationOutcome::Unknown {
                status: "paused".into(),
                detail: Some("Held by the carrier".into()),
            },
            RemoteStatus::Other("paused".into()),
        ),
        (OperationOutcome::Succeeded, RemoteStatus::Succeeded),
    ];
    for (i, ((outcome, expected), number)) in outcomes.into_iter().zip(numbers).enumerate() {
        sim.set_operation_envelope(i % 2 == 0);
        sim.set_number_outcome(&number, Some(outcome));
        let kind = sim.number(&number).unwrap().number_type;
        let location = client
            .unassign(&number, &kind, &uuid::Uuid::new_v4().to_string())
            .await
            .unwrap()
            .location
            .unwrap();
        let mut op = client.operation(&location).await.unwrap().0;
        for _ in 0..100 {
            if op.status.is_settled() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
            op = client.operation(&location).await.unwrap().0;
        }
        assert_eq!(op.status, expected, "{number}");
        if expected != RemoteStatus::Succeeded {
            assert!(op.detail().is_some(), "the detail is shown on failure");
        }
    }
}

#[tokio::test]
async fn a_page_capped_below_top_without_a_next_link_does_not_end_the_listing() {
    let sim = fast_sim().await;
    let service = signed_in(&sim, sim::ADMIN_UPN).await;
    let client = graph(&sim, &service, recorded_options(&Waits::default()));
    let all = sim.numbers().len();
    // As the service gives them: full pages with a nextLink.
    let listing = client.list_numbers().await.unwrap();
    assert_eq!(listing.numbers.len(), all);
    // Pages cut to 30 rows with no nextLink: the listing goes on with $skip until a page is
    // empty, and every number is read once.
    sim.cap_pages(Some(30));
    sim.clear_requests();
    let listing = client.list_numbers().await.unwrap();
    assert_eq!(listing.numbers.len(), all);
    let distinct: std::collections::HashSet<_> = listing
        .numbers
        .iter()
        .map(|n| &n.telephone_number)
        .collect();
    assert_eq!(distinct.len(), all);
    assert_eq!(
        listing.requests,
        all.div_ceil(30) + 1,
        "one empty page ends it"
    );
    assert_eq!(sim.graph_requests().len(), listing.requests);
}

#[tokio::test]
async fn a_category_graph_added_later_is_not_sent_back_in_an_assign() {
    let sim = fast_sim().await;
    let service = signed_in(&sim, sim::ADMIN_UPN).await;
    let client = graph(&sim, &service, recorded_options(&Waits::default()));
    let free = sim
        .numbers()
        .into_iter()
        .find(|n| {
            n.assignment_status == "unassigned"
                && n.served_as_null.is_empty()
                && n.capabilities.iter().any(|c| c == "userAssignment")
        })
        .unwrap();
    let user = sim.user(sim::SAMPLE_USER_UPN).unwrap();
    // `unknownFutureValue` is a sentinel one cannot ask for (the sim refuses it, as OData does).
    let accepted = client
        .assign(
            &free.telephone_number,
            &user.id,
            &free.number_type,
            Some("unknownFutureValue"),
            None,
            "c-assign",
        )
        .await
        .unwrap();
    assert!(accepted.location.is_some());
    let post = posts(&sim).pop().unwrap();
    assert!(!post.body.contains("assignmentCategory"), "{}", post.body);
}

/// The statuses Microsoft gave the POSTs, in order.
fn post_statuses(sim: &SimTenant) -> Vec<Option<u16>> {
    posts(sim).iter().map(|r| r.status).collect()
}

#[tokio::test]
async fn overload_400s_503s_and_504s_on_a_lookup_are_retried_with_backoff() {
    let sim = fast_sim().await;
    let service = signed_in(&sim, sim::ADMIN_UPN).await;
    let waits = Waits::default();
    let client = graph(&sim, &service, recorded_options(&waits));
    sim.overload_next(1);
    sim.fail_next(1, 503, None);
    sim.fail_next(1, 504, None);
    let (found, _) = client.lookup_number(sim::SAMPLE_NUMBER).await.unwrap();
    assert_eq!(found.unwrap().telephone_number, sim::SAMPLE_NUMBER);
    let statuses: Vec<_> = sim.graph_requests().iter().map(|r| r.status).collect();
    assert_eq!(statuses, vec![Some(400), Some(503), Some(504), Some(200)]);
    let taken = waits.taken();
    assert_eq!(taken.len(), 3, "{taken:?}");
    assert!(
        taken.iter().all(|w| *w >= Duration::from_millis(500)),
        "backed off each time: {taken:?}"
    );
}

#[tokio::test]
async fn overload_400s_and_503s_on_an_unassign_are_retried_and_exactly_one_post_is_accepted() {
    let sim = fast_sim().await;
    let service = signed_in(&sim, sim::ADMIN_UPN).await;
    let waits = Waits::default();
    let client = graph(&sim, &service, recorded_options(&waits));
    sim.overload_next(2);
    sim.fail_next(1, 503, None);
    let accepted = client
        .unassign(
            sim::SAMPLE_NUMBER,
            "callingPlan",
            "44444444-0000-0000-0000-000000000001",
        )
        .await
        .unwrap();
    assert!(accepted.location.is_some());
    assert_eq!(
        post_statuses(&sim),
        vec![Some(400), Some(400), Some(503), Some(202)],
        "Microsoft took none of the refused ones, so each was sent again"
    );
    assert_eq!(waits.taken().len(), 3);
    // Every attempt is the same request, for Microsoft support and the history.
    assert!(posts(&sim)
        .iter()
        .all(|r| r.client_request_id.as_deref() == Some("44444444-0000-0000-0000-000000000001")));
}

#[tokio::test]
async fn an_overload_that_persists_is_a_temporary_problem_not_a_refusal() {
    let sim = fast_sim().await;
    let service = signed_in(&sim, sim::ADMIN_UPN).await;
    let client = graph(&sim, &service, recorded_options(&Waits::default()));
    sim.overload_next(10);
    let error = client
        .unassign(
            sim::SAMPLE_NUMBER,
            "callingPlan",
            "55555555-0000-0000-0000-000000000001",
        )
        .await
        .unwrap_err();
    assert_eq!(error.kind, GraphErrorKind::Unavailable, "{error:?}");
    assert!(!error.outcome_unknown(), "Microsoft said it did not act");
    let problem = in_cloud(&error, true);
    assert_eq!(problem.kind, ProblemKind::Unavailable, "{problem:?}");
    assert!(!problem.message.contains("refused"), "{problem:?}");
    assert!(problem.hint.contains("Try again in a few minutes"));
    assert!(problem.request_id.is_some());
    assert_eq!(posts(&sim).len(), 4, "the client's four attempts");
    assert_eq!(
        sim.number(sim::SAMPLE_NUMBER).unwrap().assignment_status,
        "userAssigned"
    );
}

#[tokio::test]
async fn a_gateway_timeout_on_a_post_is_outcome_unknown_and_never_resent() {
    let sim = fast_sim().await;
    let service = signed_in(&sim, sim::ADMIN_UPN).await;
    let client = graph(&sim, &service, recorded_options(&Waits::default()));
    // The backend acted and the gateway gave up waiting.
    sim.gateway_timeout_after_next_post();
    let error = client
        .unassign(
            sim::SAMPLE_NUMBER,
            "callingPlan",
            "66666666-0000-0000-0000-000000000001",
        )
        .await
        .unwrap_err();
    assert!(error.outcome_unknown(), "{error:?}");
    assert_eq!(post_statuses(&sim), vec![Some(504)], "never resent");
    // The backend did not act: the answer looks the same, so it is treated the same.
    let other = sim
        .numbers()
        .into_iter()
        .find(|n| n.assignment_status == "userAssigned" && n.telephone_number != sim::SAMPLE_NUMBER)
        .unwrap();
    sim.fail_next(1, 504, None);
    let error = client
        .unassign(
            &other.telephone_number,
            &other.number_type,
            "66666666-0000-0000-0000-000000000002",
        )
        .await
        .unwrap_err();
    assert!(error.outcome_unknown(), "{error:?}");
    assert_eq!(sim.post_count_for(&other.telephone_number), 1);
}

#[tokio::test]
async fn numberdesk_sends_names_and_literals_in_the_exact_case_the_strict_sim_accepts() {
    let sim = fast_sim().await;
    let service = signed_in(&sim, sim::ADMIN_UPN).await;
    let client = graph(&sim, &service, recorded_options(&Waits::default()));
    // One assigned person's number of every type the tenant has, each with its category.
    let mut picked: Vec<sim::NumberAssignment> = Vec::new();
    for n in sim.numbers() {
        let person = n
            .assignment_target_id
            .as_deref()
            .and_then(|id| sim.user(id))
            .is_some_and(|u| u.kind == sim::UserKind::Person);
        if n.assignment_status == "userAssigned"
            && person
            && !picked.iter().any(|p| p.number_type == n.number_type)
        {
            picked.push(n);
        }
    }
    assert!(picked.len() >= 3, "{picked:?}");
    for number in picked {
        let (found, _) = client
            .lookup_number(&number.telephone_number)
            .await
            .unwrap();
        let found = found.unwrap();
        // Verbatim from the lookup, as a bulk plan or an undo would use them.
        let location = client
            .unassign(
                &found.telephone_number,
                &found.number_type,
                &uuid::Uuid::new_v4().to_string(),
            )
            .await
            .unwrap()
            .location
            .unwrap();
        let mut status = RemoteStatus::NotStarted;
        for _ in 0..100 {
            status = client.operation(&location).await.unwrap().0.status;
            if status.is_settled() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert_eq!(status, RemoteStatus::Succeeded, "{}", found.number_type);
        client
            .assign(
                &found.telephone_number,
                found.assignment_target_id.as_deref().unwrap(),
                &found.number_type,
                found.assignment_category.as_deref(),
                found.location_id.as_deref(),
                &uuid::Uuid::new_v4().to_string(),
            )
            .await
            .unwrap();
    }
    for post in posts(&sim) {
        assert_eq!(post.status, Some(202), "{}", post.body);
        let body: serde_json::Value = serde_json::from_str(&post.body).unwrap();
        for key in body.as_object().unwrap().keys() {
            assert!(
                [
                    "telephoneNumber",
                    "numberType",
                    "assignmentTargetId",
                    "assignmentCategory",
                    "locationId"
                ]
                .contains(&key.as_str()),
                "{key}"
            );
        }
    }
    let lookups = sim
        .graph_requests()
        .into_iter()
        .filter(|r| r.path_and_query.contains("$filter="))
        .count();
    assert!(lookups >= 3);
}
