//! "Set up for my organization" against the simulated tenant over real loopback HTTP: the
//! bootstrap sign-in through Microsoft's client, then NumberDesk's registration found, fixed or
//! created, its service principal and tenant-wide consent, for each kind of account; the
//! replication delay; a second run; the `organizations` check before the browser; and where the
//! bootstrap token never goes.

#[path = "setup_support/mod.rs"]
mod setup_support;
#[path = "sim_support/mod.rs"]
mod sim_support;

use numberdesk::auth::bootstrap::BOOTSTRAP_CLIENT_ID;
use numberdesk::auth::entra::{EntraRefusal, SignInTarget};
use numberdesk::auth::AuthError;
use numberdesk::register::{self, Change, Outcome, Patience, RegisterError, Step};
use numberdesk::sim;
use numberdesk::vault::Vault;
use setup_support::*;
use sim_support::{choose_on_sign_in_page, client, start_fast};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Every log line of this test binary, so a test can look for a token in them.
static LOG: Mutex<Vec<String>> = Mutex::new(Vec::new());

struct Capture;

impl log::Log for Capture {
    fn enabled(&self, _: &log::Metadata) -> bool {
        true
    }
    fn log(&self, record: &log::Record) {
        LOG.lock()
            .unwrap()
            .push(format!("{} {}", record.target(), record.args()));
    }
    fn flush(&self) {}
}

fn capture_logs() {
    if log::set_logger(&Capture).is_ok() {
        log::set_max_level(log::LevelFilter::Trace);
    }
}

#[tokio::test]
async fn an_admin_who_may_do_everything_registers_consents_and_signs_in_and_a_second_run_changes_nothing(
) {
    let sim = start_fast().await;
    let (outcome, steps) = run_setup(&sim, sim::ADMIN_UPN, &quick()).await;
    let Outcome::Ready {
        registration,
        changes,
    } = outcome.unwrap()
    else {
        panic!("ready")
    };
    assert_eq!(
        changes,
        vec![
            Change::Created,
            Change::ServicePrincipalCreated,
            Change::ConsentGranted
        ]
    );
    assert!(steps.contains(&Step::CreatingRegistration), "{steps:?}");
    assert_eq!(registration.tenant_id, sim::DEMO_TENANT_ID);
    let apps = sim.applications();
    assert_eq!(apps.len(), 1);
    let app = &apps[0];
    assert_eq!(app.app_id, registration.client_id);
    assert_eq!(app.sign_in_audience, "AzureADMyOrg");
    assert_eq!(app.public_client_redirect_uris, vec!["http://localhost"]);
    assert_eq!(app.is_fallback_public_client, Some(true));
    // Permissions by the ids Graph's service principal publishes (the sim's own ids).
    let ids: Vec<String> = app.required_resource_access[0]
        .access
        .iter()
        .map(|(id, _)| id.clone())
        .collect();
    for name in register::PERMISSIONS {
        assert!(ids.contains(&sim::graph_scope_id(name)), "{name}");
    }
    let grants = sim.permission_grants();
    assert_eq!(grants.len(), 1);
    assert_eq!(grants[0].consent_type, "AllPrincipals");

    sign_in_and_look_up(&sim, &registration.client_id).await;

    // A second run: the same registration, service principal and grant, nothing written.
    a_second_run_changes_nothing(&sim, &registration.client_id, &grants).await;
}

#[tokio::test]
async fn a_registration_changed_by_hand_is_put_right_and_only_what_was_wrong() {
    let sim = start_fast().await;
    let (first, _) = run_setup(&sim, sim::ADMIN_UPN, &quick()).await;
    let Outcome::Ready { registration, .. } = first.unwrap() else {
        panic!("ready")
    };
    assert!(sim.edit_application(&registration.client_id, |app| {
        app.is_fallback_public_client = None;
        app.sign_in_audience = "AzureADMultipleOrgs".into();
    }));
    let (again, _) = run_setup(&sim, sim::ADMIN_UPN, &quick()).await;
    let Outcome::Ready { changes, .. } = again.unwrap() else {
        panic!("ready")
    };
    assert_eq!(
        changes,
        vec![Change::Fixed(vec![
            "signInAudience",
            "isFallbackPublicClient"
        ])]
    );
    let app = &sim.applications()[0];
    assert_eq!(app.sign_in_audience, "AzureADMyOrg");
    assert_eq!(app.is_fallback_public_client, Some(true));
    assert_eq!(app.public_client_redirect_uris, vec!["http://localhost"]);
}

#[tokio::test]
async fn an_account_that_may_register_but_not_consent_gets_the_admin_link_and_check_again_sees_consent(
) {
    let sim = start_fast().await;
    let (outcome, _) = run_setup(&sim, sim::DEVELOPER_UPN, &quick()).await;
    let Outcome::ConsentNeeded {
        registration,
        changes,
        admin_consent_url,
        missing,
    } = outcome.unwrap()
    else {
        panic!("consent needed")
    };
    assert_eq!(
        changes,
        vec![Change::Created, Change::ServicePrincipalCreated]
    );
    assert!(missing.contains(&"TeamsTelephoneNumber.ReadWrite.All".to_string()));
    assert!(sim.permission_grants().is_empty());
    assert!(
        admin_consent_url.starts_with(&format!(
            "{}/{}/v2.0/adminconsent?client_id={}",
            sim.login_url(),
            sim::DEMO_TENANT_ID,
            registration.client_id
        )),
        "{admin_consent_url}"
    );

    // Check again before anyone approved: still the card.
    let (service, _) = service();
    let token = bootstrap(&sim, &service, sim::DEVELOPER_UPN).await;
    let graph = graph_with(&sim, token);
    let check = register::check_consent(&graph, &cloud(&sim), registration.clone())
        .await
        .unwrap();
    assert!(matches!(check, Outcome::ConsentNeeded { .. }), "{check:?}");

    // The link refuses someone who may not consent, then an administrator approves it.
    let refused = choose_on_sign_in_page(&sim, &admin_consent_url, sim::NO_ROLE_UPN).await;
    assert!(refused.contains("error=access_denied"), "{refused}");
    let approved = choose_on_sign_in_page(&sim, &admin_consent_url, sim::ADMIN_UPN).await;
    assert!(approved.contains("admin_consent=True"), "{approved}");

    let check = register::check_consent(&graph, &cloud(&sim), registration.clone())
        .await
        .unwrap();
    assert!(matches!(check, Outcome::Ready { .. }), "{check:?}");
    sign_in_and_look_up(&sim, &registration.client_id).await;
}

#[tokio::test]
async fn an_account_that_may_not_register_is_told_so_and_nothing_is_created() {
    let sim = start_fast().await;
    let (outcome, _) = run_setup(&sim, sim::NO_ROLE_UPN, &quick()).await;
    let error = outcome.unwrap_err();
    assert!(
        matches!(error, RegisterError::MayNotRegister(_)),
        "{error:?}"
    );
    assert!(sim.applications().is_empty());
    let problem = numberdesk::problem::Problem::from(error);
    let words = format!("{} {}", problem.message, problem.hint);
    assert!(words.contains("Application Developer"), "{words}");
    assert!(words.contains("Users can register applications"), "{words}");

    // With the tenant setting on, the same account may.
    sim.set_users_can_register_apps(true);
    let (outcome, _) = run_setup(&sim, sim::NO_ROLE_UPN, &quick()).await;
    assert!(
        matches!(outcome, Ok(Outcome::ConsentNeeded { .. })),
        "{outcome:?}"
    );
}

#[tokio::test]
async fn the_replication_delay_is_waited_out_with_progress_and_the_wait_is_bounded() {
    let sim = start_fast().await;
    sim.set_replication_delay(Duration::from_millis(1500));
    let (outcome, steps) = run_setup(&sim, sim::ADMIN_UPN, &quick()).await;
    assert!(matches!(outcome, Ok(Outcome::Ready { .. })), "{outcome:?}");
    assert!(
        steps
            .iter()
            .any(|s| matches!(s, Step::WaitingForMicrosoft { .. })),
        "{steps:?}"
    );
    // A service principal POST was refused as "not there yet" at least once, then accepted.
    let sp_posts: Vec<Option<u16>> = sim
        .graph_requests()
        .into_iter()
        .filter(|r| r.method == "POST" && r.path_and_query == "/v1.0/servicePrincipals")
        .map(|r| r.status)
        .collect();
    assert!(sp_posts.len() >= 2, "{sp_posts:?}");
    assert_eq!(sp_posts.first(), Some(&Some(400)));
    assert_eq!(sp_posts.last(), Some(&Some(201)));

    // Not replicated within the waits: said, and not waited on for ever.
    let sim = start_fast().await;
    sim.set_replication_delay(Duration::from_secs(3600));
    let patience = Patience {
        waits: vec![Duration::from_millis(100); 3],
    };
    let (outcome, steps) = run_setup(&sim, sim::ADMIN_UPN, &patience).await;
    assert!(
        matches!(outcome, Err(RegisterError::NotReplicated)),
        "{outcome:?}"
    );
    let waits = steps
        .iter()
        .filter(|s| matches!(s, Step::WaitingForMicrosoft { .. }))
        .count();
    assert_eq!(waits, 3);
}

#[tokio::test]
async fn conditional_access_blocking_the_bootstrap_client_ends_setup_with_the_manual_guide() {
    let sim = start_fast().await;
    sim.block_bootstrap_clients(true);
    let (service, _) = service();
    let link = service.begin_bootstrap(&cloud(&sim)).await.unwrap();
    let waiting = tokio::spawn({
        let service = service.clone();
        async move { service.wait_bootstrap().await }
    });
    // Entra sends the refusal back to the app's listener.
    let page = client().get(&link).send().await.unwrap();
    assert_eq!(page.status(), 302);
    back_to_app(page.headers()["location"].to_str().unwrap()).await;
    let error = waiting.await.unwrap().unwrap_err();
    let AuthError::Entra(entra) = &error else {
        panic!("{error:?}")
    };
    assert_eq!(entra.error_codes, vec![53003]);
    let problem = numberdesk::problem::Problem::from(RegisterError::from_bootstrap(error));
    let words = format!("{} {}", problem.message, problem.hint);
    assert!(words.contains("Conditional Access"), "{words}");
    assert!(words.contains("by hand"), "{words}");
    assert!(sim.applications().is_empty());
}

#[tokio::test]
async fn organizations_for_a_single_tenant_app_is_caught_before_the_browser_opens() {
    let sim = start_fast().await;
    let (service, _) = service();
    let target = SignInTarget {
        cloud: cloud(&sim),
        tenant: "organizations".into(),
        client_id: sim::DEMO_CLIENT_ID.into(),
    };
    let error = service.begin_interactive(&target).await.unwrap_err();
    let AuthError::Entra(entra) = &error else {
        panic!("{error:?}")
    };
    assert_eq!(entra.refusal(), EntraRefusal::SingleTenantApp);
    // Only the device-code question was asked: no authorize page, no listener link.
    let asked: Vec<String> = sim
        .requests()
        .into_iter()
        .map(|r| format!("{} {}", r.method, r.path_and_query))
        .collect();
    assert_eq!(asked, vec!["POST /organizations/oauth2/v2.0/devicecode"]);
    let problem = numberdesk::problem::Problem::from(error);
    let words = format!("{} {}", problem.message, problem.hint);
    assert!(words.contains("tenant ID"), "{words}");

    // A multi-tenant registration is let through to the browser.
    sim.set_multi_tenant_app(true);
    let link = service.begin_interactive(&target).await.unwrap();
    assert!(
        link.contains("/organizations/oauth2/v2.0/authorize"),
        "{link}"
    );
    service.cancel();
}

#[tokio::test]
async fn the_bootstrap_token_never_reaches_the_keyring_or_a_log() {
    capture_logs();
    let sim = start_fast().await;
    let before = sim.issued_secrets().len();
    let (service, store) = service();
    let token = bootstrap(&sim, &service, sim::ADMIN_UPN).await;
    let bootstrap_secrets: Vec<String> = sim.issued_secrets()[before..].to_vec();
    assert!(!bootstrap_secrets.is_empty());
    assert!(
        store.names().is_empty(),
        "nothing in the keyring after setup's sign-in: {:?}",
        store.names()
    );
    let tenant = token.tenant_id().to_owned();
    let debug = format!("{token:?}");
    let graph = graph_with(&sim, token);
    let outcome = register::register(&graph, &cloud(&sim), &tenant, &quick(), &|_| {})
        .await
        .unwrap();
    let Outcome::Ready { registration, .. } = outcome else {
        panic!("ready")
    };
    drop(graph);
    let store = {
        drop(store);
        sign_in_and_look_up(&sim, &registration.client_id).await
    };
    let kept = String::from_utf8(Vault::new(store).load().unwrap().unwrap()).unwrap();
    let logs = LOG.lock().unwrap().join("\n");
    assert!(!logs.is_empty(), "the log was captured");
    for secret in &bootstrap_secrets {
        assert!(
            !kept.contains(secret.as_str()),
            "a setup secret is in the keyring"
        );
        assert!(
            !logs.contains(secret.as_str()),
            "a setup secret is in the log"
        );
        assert!(
            !debug.contains(secret.as_str()),
            "a setup secret is in Debug"
        );
    }
    // Setup asked for no refresh token: none was issued for Microsoft's client.
    let token_answers = sim
        .requests()
        .into_iter()
        .filter(|r| r.path_and_query.ends_with("/oauth2/v2.0/token"))
        .filter(|r| r.body.contains(BOOTSTRAP_CLIENT_ID))
        .count();
    assert_eq!(token_answers, 1);
}

#[tokio::test]
async fn the_sign_in_after_setup_waits_while_microsoft_does_not_know_the_new_app_and_the_wait_is_bounded(
) {
    let sim = start_fast().await;
    let (outcome, _) = run_setup(&sim, sim::ADMIN_UPN, &quick()).await;
    let Outcome::Ready { registration, .. } = outcome.unwrap() else {
        panic!("ready")
    };
    let target = SignInTarget {
        cloud: cloud(&sim),
        tenant: registration.tenant_id.clone(),
        client_id: registration.client_id.clone(),
    };
    let (service, _) = service();
    let waits_seen = Arc::new(Mutex::new(Vec::new()));
    let progress = {
        let seen = waits_seen.clone();
        move |attempt: usize, of: usize| seen.lock().unwrap().push((attempt, of))
    };

    // Microsoft's directory has not replicated the app yet: AADSTS700016 to every ask, and
    // the wait ends after the last of its waits with the refusal, not a browser sent nowhere.
    sim.set_replication_delay(Duration::from_secs(3600));
    sim.clear_requests();
    let waits = vec![Duration::from_millis(50); 3];
    let error = service
        .wait_until_app_known(&target, &waits, &progress)
        .await
        .unwrap_err();
    let AuthError::Entra(entra) = &error else {
        panic!("{error:?}")
    };
    assert_eq!(entra.refusal(), EntraRefusal::AppNotFound);
    assert_eq!(*waits_seen.lock().unwrap(), vec![(1, 3), (2, 3), (3, 3)]);
    let problem = numberdesk::problem::register::app_not_known_yet(error);
    assert!(
        problem.hint.contains("Sign in with Microsoft") && problem.hint.contains("again"),
        "{problem:?}"
    );
    let asked = sim
        .requests()
        .into_iter()
        .filter(|r| r.path_and_query.ends_with("/oauth2/v2.0/devicecode"))
        .count();
    assert_eq!(asked, 4, "asked once, then after each wait");
    assert!(
        !sim.requests()
            .iter()
            .any(|r| r.path_and_query.contains("/authorize")),
        "no sign-in page was asked for"
    );

    // Replicated while NumberDesk waits: the wait ends as soon as Entra knows the app, and
    // the browser sign-in then works.
    waits_seen.lock().unwrap().clear();
    let created = sim.applications()[0].created_wall.elapsed().unwrap();
    sim.set_replication_delay(created + Duration::from_millis(400));
    let waits = vec![Duration::from_millis(150); 20];
    service
        .wait_until_app_known(&target, &waits, &progress)
        .await
        .unwrap();
    let seen = waits_seen.lock().unwrap().len();
    assert!((1..20).contains(&seen), "waited {seen} times");
    sign_in_and_look_up(&sim, &registration.client_id).await;
}
