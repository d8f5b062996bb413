//! Sign-in against the simulated tenant over real loopback HTTP: the app's own flow (listener,
//! PKCE, token redemption, keyring vault, refresh with rotation), driven as a browser would.

#[path = "sim_support/mod.rs"]
mod sim_support;

use numberdesk::auth::entra::{self, SignInTarget};
use numberdesk::auth::{SignInService, TokenKind};
use numberdesk::cloud::Cloud;
use numberdesk::problem::{Problem, ProblemKind};
use numberdesk::sim::{self, Consent, SimTenant};
use numberdesk::vault::{LimitedMemoryStore, Vault};
use sim_support::{choose_on_sign_in_page, client, forms, start_fast};
use std::sync::Arc;
use std::time::Duration;

fn target(sim: &SimTenant) -> SignInTarget {
    SignInTarget {
        cloud: Cloud::custom(&sim.login_url(), &sim.graph_url()).unwrap(),
        tenant: sim::DEMO_TENANT_ID.into(),
        client_id: sim::DEMO_CLIENT_ID.into(),
    }
}

type Service = SignInService<Arc<LimitedMemoryStore>>;

fn service() -> (Arc<Service>, Arc<LimitedMemoryStore>) {
    let store = Arc::new(LimitedMemoryStore::windows_like());
    (Arc::new(SignInService::new(store.clone()).unwrap()), store)
}

/// The stored session's refresh token, read straight from the (test) keyring.
fn stored_refresh_token(store: &Arc<LimitedMemoryStore>) -> Option<String> {
    let bytes = Vault::new(store.clone()).load().unwrap()?;
    let json: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    json["refresh_token"].as_str().map(str::to_owned)
}

/// The browser's part: open the link, pick `account`, follow the redirect to the app's
/// listener, then to its clean `/done` page. Returns the final page's text.
async fn browser_signs_in(sim: &SimTenant, link: &str, account: &str) -> String {
    let back_to_app = choose_on_sign_in_page(sim, link, account).await;
    assert!(
        back_to_app.starts_with("http://localhost:"),
        "{back_to_app}"
    );
    let http = client();
    let answer = http.get(&back_to_app).send().await.unwrap();
    assert_eq!(
        answer.status(),
        302,
        "the listener sends the browser away from the code"
    );
    let done = answer.headers()["location"].to_str().unwrap().to_owned();
    assert!(done.starts_with("/done?result="), "{done}");
    assert!(
        !done.contains("code="),
        "the code must not stay in the address bar"
    );
    let origin = back_to_app.split('/').take(3).collect::<Vec<_>>().join("/");
    http.get(format!("{origin}{done}"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

async fn graph_status(sim: &SimTenant, token: &str) -> u16 {
    client()
        .get(format!(
            "{}/v1.0/admin/teams/telephoneNumberManagement/numberAssignments?$top=1",
            sim.graph_url()
        ))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

async fn signed_in(sim: &SimTenant, service: &Arc<Service>) {
    let link = service.begin_interactive(&target(sim)).await.unwrap();
    let waiting = tokio::spawn({
        let service = service.clone();
        async move { service.wait_interactive().await }
    });
    let page = browser_signs_in(sim, &link, sim::ADMIN_UPN).await;
    assert!(page.contains("You are signed in"), "{page}");
    let status = waiting.await.unwrap().unwrap();
    assert!(status.signed_in);
}

#[tokio::test]
async fn the_full_interactive_sign_in_reaches_graph_and_keeps_only_the_refresh_token() {
    let sim = start_fast().await;
    let (service, store) = service();
    signed_in(&sim, &service).await;

    let status = service.session().status().await;
    let account = status.account.unwrap();
    assert_eq!(account.name, "Megan Bowen");
    assert_eq!(account.username, sim::ADMIN_UPN);
    assert_eq!(account.tenant_id, sim::DEMO_TENANT_ID);
    assert_eq!(status.names_permitted, Some(true));

    let token = service
        .session()
        .access_token(TokenKind::Telephone)
        .await
        .unwrap();
    assert_eq!(graph_status(&sim, token.secret()).await, 200);

    // The keyring holds the refresh token (split into parts) and no access token.
    let saved = Vault::new(store.clone()).load().unwrap().unwrap();
    let saved = String::from_utf8(saved).unwrap();
    assert!(!saved.contains(token.secret().as_str()));
    assert!(stored_refresh_token(&store).is_some());
    // The authorize request asked for PKCE S256 and the telephone permission only.
    let authorize = sim
        .requests()
        .into_iter()
        .find(|r| r.path_and_query.contains("/oauth2/v2.0/authorize?"))
        .unwrap();
    assert!(authorize
        .path_and_query
        .contains("code_challenge_method=S256"));
    assert!(!authorize.path_and_query.contains("User.ReadBasic.All"));
}

#[tokio::test]
async fn a_callback_with_the_wrong_state_is_refused_and_the_sign_in_keeps_waiting() {
    let sim = start_fast().await;
    let (service, _) = service();
    let link = service.begin_interactive(&target(&sim)).await.unwrap();
    let redirect = url::Url::parse(&link)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "redirect_uri")
        .unwrap()
        .1
        .into_owned();
    let waiting = tokio::spawn({
        let service = service.clone();
        async move { service.wait_interactive().await }
    });
    let forged = client()
        .get(format!("{redirect}/?code=stolen&state=forged"))
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 400);
    assert!(forged.text().await.unwrap().contains("does not belong"));
    // Kept: this proves that nothing happens; the sign-in must still be waiting a while after
    // the forged answer was refused.
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(
        !waiting.is_finished(),
        "a forged answer must not end the sign-in"
    );

    // The real answer still completes it.
    browser_signs_in(&sim, &link, sim::ADMIN_UPN).await;
    assert!(waiting.await.unwrap().unwrap().signed_in);
}

#[tokio::test]
async fn the_server_checks_the_pkce_verifier() {
    let sim = start_fast().await;
    let target = target(&sim);
    // Two sign-ins with the same redirect: the code of one redeemed with the other's verifier.
    let first = entra::start_sign_in(&target, "http://localhost:41999").unwrap();
    let second = entra::start_sign_in(&target, "http://localhost:41999").unwrap();
    let back = choose_on_sign_in_page(&sim, &first.url, sim::ADMIN_UPN).await;
    let code = sim_support::query_of(&back)["code"].clone();
    let http = entra::token_http_client().unwrap();
    let refused = entra::redeem_code(&target, second, code.clone(), &http)
        .await
        .unwrap_err();
    let problem = Problem::from(&refused);
    assert_eq!(problem.kind, ProblemKind::SignInAgain, "{refused:?}");
    assert!(
        problem.request_id.is_some(),
        "the correlation ID is kept for support"
    );
    // The right verifier still works: a failed redemption did not burn the code.
    assert!(entra::redeem_code(&target, first, code, &http)
        .await
        .is_ok());
}

#[tokio::test]
async fn no_answer_times_out_and_cancel_stops_waiting() {
    let sim = start_fast().await;
    let store = Arc::new(LimitedMemoryStore::windows_like());
    let service = Arc::new(
        SignInService::new(store)
            .unwrap()
            .with_timeout(Duration::from_millis(300)),
    );
    service.begin_interactive(&target(&sim)).await.unwrap();
    let timed_out = service.wait_interactive().await.unwrap_err();
    assert_eq!(Problem::from(&timed_out).kind, ProblemKind::SignInTimedOut);

    let (service, _) = self::service();
    service.begin_interactive(&target(&sim)).await.unwrap();
    let mut waiting = std::pin::pin!(service.wait_interactive());
    // Polled once, the wait has taken the pending sign-in and listens for the browser: the
    // cancel below interrupts a wait in progress (no sleep needed to let it start).
    let listening = std::future::poll_fn(|cx| {
        std::task::Poll::Ready(std::future::Future::poll(waiting.as_mut(), cx).is_pending())
    })
    .await;
    assert!(listening, "the wait listens until the browser comes back");
    service.cancel();
    let cancelled = tokio::time::timeout(Duration::from_secs(5), waiting)
        .await
        .expect("cancel ends the wait at once")
        .unwrap_err();
    assert_eq!(Problem::from(&cancelled).kind, ProblemKind::Cancelled);
    assert!(!service.session().status().await.signed_in);
}

#[tokio::test]
async fn cancelling_on_microsofts_page_is_reported_as_cancelled() {
    let sim = start_fast().await;
    let (service, _) = service();
    let link = service.begin_interactive(&target(&sim)).await.unwrap();
    let waiting = tokio::spawn({
        let service = service.clone();
        async move { service.wait_interactive().await }
    });
    let page = browser_signs_in(&sim, &link, "cancel").await;
    assert!(page.contains("cancelled"), "{page}");
    let problem = Problem::from(waiting.await.unwrap().unwrap_err());
    assert_eq!(problem.kind, ProblemKind::SignInCancelled);
}

#[tokio::test]
async fn device_code_sign_in_is_approved_on_another_device() {
    let sim = sim_support::start(numberdesk::sim::SimConfig {
        device_code_interval: Duration::from_secs(1),
        ..Default::default()
    })
    .await;
    let (service, _) = service();
    let prompt = service.begin_device(&target(&sim)).await.unwrap();
    assert!(prompt.verification_uri.ends_with("/devicelogin"));
    let waiting = tokio::spawn({
        let service = service.clone();
        async move { service.wait_device().await }
    });
    // The other device: open the page, enter the code, pick the admin, continue.
    let http = client();
    let html = http
        .get(&prompt.verification_uri)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let form = &forms(&html)[0];
    let approved = http
        .post(format!("{}{}", sim.login_url(), form.action))
        .form(&[
            ("code", prompt.user_code.as_str()),
            ("account", sim::ADMIN_UPN),
            ("action", "approve"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(approved.status(), 200);
    let status = tokio::time::timeout(Duration::from_secs(30), waiting)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(status.account.unwrap().username, sim::ADMIN_UPN);
}

#[tokio::test]
async fn device_code_declined_is_explained() {
    let sim = sim_support::start(numberdesk::sim::SimConfig {
        device_code_interval: Duration::from_secs(1),
        ..Default::default()
    })
    .await;
    let (service, _) = service();
    let prompt = service.begin_device(&target(&sim)).await.unwrap();
    let waiting = tokio::spawn({
        let service = service.clone();
        async move { service.wait_device().await }
    });
    client()
        .post(format!("{}/devicelogin", sim.login_url()))
        .form(&[
            ("code", prompt.user_code.as_str()),
            ("account", sim::ADMIN_UPN),
            ("action", "decline"),
        ])
        .send()
        .await
        .unwrap();
    let problem = Problem::from(
        tokio::time::timeout(Duration::from_secs(30), waiting)
            .await
            .unwrap()
            .unwrap()
            .unwrap_err(),
    );
    assert_eq!(problem.kind, ProblemKind::SignInCancelled);
    assert!(problem.message.contains("declined"), "{}", problem.message);
}

#[tokio::test]
async fn an_expired_access_token_is_refreshed_and_the_rotated_refresh_token_kept() {
    let sim = start_fast().await;
    let (service, store) = service();
    signed_in(&sim, &service).await;
    let before = stored_refresh_token(&store).unwrap();
    let old_access = service
        .session()
        .access_token(TokenKind::Telephone)
        .await
        .unwrap();

    sim.expire_access_tokens();
    assert_eq!(graph_status(&sim, old_access.secret()).await, 401);
    service.session().token_rejected(TokenKind::Telephone).await;
    let new_access = service
        .session()
        .access_token(TokenKind::Telephone)
        .await
        .unwrap();
    assert_ne!(new_access.secret(), old_access.secret());
    assert_eq!(graph_status(&sim, new_access.secret()).await, 200);

    let after = stored_refresh_token(&store).unwrap();
    assert_ne!(
        after, before,
        "the rotated refresh token replaced the old one"
    );
    // The old one is dead at Microsoft (rotation): using it is refused.
    let replay = client()
        .post(format!(
            "{}/{}/oauth2/v2.0/token",
            sim.login_url(),
            sim::DEMO_TENANT_ID
        ))
        .form(&[
            ("grant_type", "refresh_token"),
            ("client_id", sim::DEMO_CLIENT_ID),
            ("refresh_token", before.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(replay.status(), 400);
}

#[tokio::test]
async fn a_restart_restores_the_session_from_the_keyring_without_a_browser() {
    let sim = start_fast().await;
    let (service, store) = service();
    signed_in(&sim, &service).await;
    drop(service);

    let restarted = SignInService::new(store.clone()).unwrap();
    assert!(restarted.session().restore(&target(&sim)).await.unwrap());
    let status = restarted.session().status().await;
    assert_eq!(status.account.unwrap().name, "Megan Bowen");
    let token = restarted
        .session()
        .access_token(TokenKind::Telephone)
        .await
        .unwrap();
    assert_eq!(graph_status(&sim, token.secret()).await, 200);

    // A session saved for other endpoints is not used.
    let mut elsewhere = target(&sim);
    elsewhere.client_id = "99999999-9999-9999-9999-999999999999".into();
    let other = SignInService::new(store).unwrap();
    assert!(!other.session().restore(&elsewhere).await.unwrap());
}

#[tokio::test]
async fn a_revoked_refresh_token_asks_to_sign_in_again_and_forgets_the_session() {
    let sim = start_fast().await;
    let (service, store) = service();
    signed_in(&sim, &service).await;
    sim.revoke_refresh_tokens();
    sim.expire_access_tokens();
    service.session().token_rejected(TokenKind::Telephone).await;
    let error = service
        .session()
        .access_token(TokenKind::Telephone)
        .await
        .unwrap_err();
    let problem = Problem::from(&error);
    assert_eq!(problem.kind, ProblemKind::SignInExpired, "{error:?}");
    assert!(problem.hint.contains("sign in again"));
    assert!(!service.session().status().await.signed_in);
    assert_eq!(Vault::new(store.clone()).load().unwrap(), None);
    assert!(
        store.names().is_empty(),
        "nothing of the session is left in the keyring"
    );
}

#[tokio::test]
async fn without_consent_for_names_sign_in_still_works_and_says_so() {
    let sim = start_fast().await;
    sim.set_consent(Consent {
        user_read_basic_all: false,
        ..Consent::default()
    });
    let (service, _) = service();
    signed_in(&sim, &service).await;
    let status = service.session().status().await;
    assert!(status.signed_in);
    assert_eq!(status.names_permitted, Some(false));
    assert!(service
        .session()
        .access_token(TokenKind::Telephone)
        .await
        .is_ok());
}

#[tokio::test]
async fn sign_out_leaves_nothing_in_the_keyring() {
    let sim = start_fast().await;
    let (service, store) = service();
    signed_in(&sim, &service).await;
    assert!(!store.names().is_empty());
    service.session().sign_out().await.unwrap();
    assert!(store.names().is_empty());
    assert!(!service.session().status().await.signed_in);
    assert!(service
        .session()
        .access_token(TokenKind::Telephone)
        .await
        .is_err());
}

#[tokio::test]
async fn network_down_is_explained() {
    // A port nothing listens on: the sign-in service cannot be reached.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let root = format!("http://127.0.0.1:{port}");
    let target = SignInTarget {
        cloud: Cloud::custom(&root, &root).unwrap(),
        tenant: sim::DEMO_TENANT_ID.into(),
        client_id: sim::DEMO_CLIENT_ID.into(),
    };
    let (service, _) = service();
    let problem = Problem::from(service.begin_device(&target).await.unwrap_err());
    assert_eq!(problem.kind, ProblemKind::Network);
    assert!(problem.hint.contains("internet connection"));
}

/// A keyring that is locked: every call fails, as a locked Secret Service does.
struct LockedKeyring;

impl numberdesk::vault::SecretStore for LockedKeyring {
    fn put(&self, _: &str, _: &[u8]) -> Result<(), numberdesk::vault::VaultError> {
        Err(numberdesk::vault::VaultError::Unavailable(
            "the collection is locked".into(),
        ))
    }
    fn get(&self, _: &str) -> Result<Option<Vec<u8>>, numberdesk::vault::VaultError> {
        Err(numberdesk::vault::VaultError::Unavailable(
            "the collection is locked".into(),
        ))
    }
    fn remove(&self, _: &str) -> Result<(), numberdesk::vault::VaultError> {
        Err(numberdesk::vault::VaultError::Unavailable(
            "the collection is locked".into(),
        ))
    }
}

#[tokio::test]
async fn a_locked_keyring_is_explained_and_nothing_is_kept_half_way() {
    let sim = start_fast().await;
    let service = Arc::new(SignInService::new(LockedKeyring).unwrap());
    let link = service.begin_interactive(&target(&sim)).await.unwrap();
    let waiting = tokio::spawn({
        let service = service.clone();
        async move { service.wait_interactive().await }
    });
    browser_signs_in(&sim, &link, sim::ADMIN_UPN).await;
    let problem = Problem::from(waiting.await.unwrap().unwrap_err());
    assert_eq!(problem.kind, ProblemKind::Keyring);
    assert!(problem.message.contains("locked"), "{}", problem.message);
    assert!(problem.hint.contains("Unlock") || problem.hint.contains("signed in to Windows"));
    // Not kept in the keyring means not signed in: no session lives only in memory.
    assert!(!service.session().status().await.signed_in);
}

fn via(sim: &SimTenant, tenant: &str) -> SignInTarget {
    SignInTarget {
        tenant: tenant.into(),
        ..target(sim)
    }
}

/// The Entra error inside a sign-in error, with every detail Microsoft sent.
fn entra_detail(error: &numberdesk::auth::session::SessionError) -> entra::EntraError {
    match error {
        numberdesk::auth::session::SessionError::Auth(numberdesk::auth::AuthError::Entra(e)) => {
            e.clone()
        }
        other => panic!("not an Entra error: {other:?}"),
    }
}

#[tokio::test]
async fn a_single_tenant_app_through_organizations_is_explained_with_the_next_step() {
    let sim = start_fast().await;
    let (service, _) = service();
    // Device code: refused at the devicecode endpoint at once, not after a wait.
    let refused = service
        .begin_device(&via(&sim, "organizations"))
        .await
        .unwrap_err();
    let problem = Problem::from(&refused);
    assert_eq!(problem.kind, ProblemKind::SingleTenantApp, "{refused:?}");
    assert!(
        problem.message.contains("own tenant"),
        "{}",
        problem.message
    );
    assert!(problem.hint.contains("tenant ID"), "{}", problem.hint);
    assert!(problem.hint.contains("Setup"), "{}", problem.hint);
    assert!(problem.request_id.is_some(), "the correlation ID is kept");

    // Token endpoint (a refresh through `common`): the same explanation.
    let http = entra::token_http_client().unwrap();
    let refused = entra::refresh(
        &via(&sim, "common"),
        &oauth2::RefreshToken::new("not-a-real-token".into()),
        &target(&sim).telephone_scopes(),
        &http,
    )
    .await
    .unwrap_err();
    assert_eq!(
        Problem::from(&refused).kind,
        ProblemKind::SingleTenantApp,
        "{refused:?}"
    );
    assert!(!refused.needs_sign_in(), "signing in again would not help");
}

#[tokio::test]
async fn a_browser_sign_in_through_organizations_that_gets_no_answer_names_aadsts50194() {
    let sim = start_fast().await;
    let store = Arc::new(LimitedMemoryStore::windows_like());
    let service = Arc::new(
        SignInService::new(store)
            .unwrap()
            .with_timeout(Duration::from_millis(300)),
    );
    // Entra is asked before the browser opens (issue 23): a single-tenant registration is
    // refused at once, and no browser sign-in starts.
    let refused = service
        .begin_interactive(&via(&sim, "organizations"))
        .await
        .unwrap_err();
    assert_eq!(Problem::from(refused).kind, ProblemKind::SingleTenantApp);
    assert!(!sim
        .requests()
        .iter()
        .any(|r| r.path_and_query.contains("/authorize")));
    // The registration was multi-tenant when asked and single-tenant by the time the browser
    // got there (changed meanwhile in Entra): the timeout still names the likely cause.
    sim.set_multi_tenant_app(true);
    let link = service
        .begin_interactive(&via(&sim, "organizations"))
        .await
        .unwrap();
    sim.set_multi_tenant_app(false);
    // The browser shows Microsoft's page; nothing comes back to NumberDesk.
    let page = client().get(&link).send().await.unwrap();
    assert_eq!(page.status(), 400);
    assert!(page.headers().get("location").is_none());
    assert!(page.text().await.unwrap().contains("AADSTS50194"));
    let problem = Problem::from(service.wait_interactive().await.unwrap_err());
    assert_eq!(problem.kind, ProblemKind::SignInTimedOut);
    assert!(
        problem.hint.contains("AADSTS50194") && problem.hint.contains("tenant ID"),
        "{}",
        problem.hint
    );

    // With a tenant ID the timeout says nothing about it.
    service.begin_interactive(&target(&sim)).await.unwrap();
    let problem = Problem::from(service.wait_interactive().await.unwrap_err());
    assert!(!problem.hint.contains("AADSTS50194"), "{}", problem.hint);
}

#[tokio::test]
async fn a_multi_tenant_app_signs_in_through_organizations() {
    let sim = start_fast().await;
    sim.set_multi_tenant_app(true);
    let (service, _) = service();
    let link = service
        .begin_interactive(&via(&sim, "organizations"))
        .await
        .unwrap();
    assert!(
        link.contains("/organizations/oauth2/v2.0/authorize"),
        "{link}"
    );
    let waiting = tokio::spawn({
        let service = service.clone();
        async move { service.wait_interactive().await }
    });
    let page = browser_signs_in(&sim, &link, sim::ADMIN_UPN).await;
    assert!(page.contains("You are signed in"), "{page}");
    assert!(waiting.await.unwrap().unwrap().signed_in);
}

#[tokio::test]
async fn device_code_errors_keep_the_aadsts_code_trace_and_correlation_ids() {
    let sim = sim_support::start(numberdesk::sim::SimConfig {
        device_code_interval: Duration::from_secs(1),
        ..Default::default()
    })
    .await;
    let (service, _) = service();

    // Polling: declined on the other device.
    let prompt = service.begin_device(&target(&sim)).await.unwrap();
    let waiting = tokio::spawn({
        let service = service.clone();
        async move { service.wait_device().await }
    });
    client()
        .post(format!("{}/devicelogin", sim.login_url()))
        .form(&[
            ("code", prompt.user_code.as_str()),
            ("account", sim::ADMIN_UPN),
            ("action", "decline"),
        ])
        .send()
        .await
        .unwrap();
    let error = tokio::time::timeout(Duration::from_secs(30), waiting)
        .await
        .unwrap()
        .unwrap()
        .unwrap_err();
    let detail = entra_detail(&error);
    assert_eq!(detail.error, "authorization_declined");
    assert_eq!(detail.error_codes, vec![70000]);
    assert!(detail
        .error_description
        .as_deref()
        .is_some_and(|d| d.starts_with("AADSTS70000: ")));
    assert!(detail.trace_id.is_some(), "{detail:?}");
    assert!(detail.correlation_id.is_some(), "{detail:?}");
    let problem = Problem::from(&error);
    assert_eq!(problem.kind, ProblemKind::SignInCancelled);
    assert_eq!(problem.request_id, detail.correlation_id);
    // "Copy diagnostics" gets the same details.
    let line = service.last_failure().unwrap().diagnostic_line();
    assert!(
        line.contains("authorization_declined AADSTS70000"),
        "{line}"
    );
    assert!(line.contains(detail.trace_id.as_deref().unwrap()), "{line}");
    assert!(
        line.contains(detail.correlation_id.as_deref().unwrap()),
        "{line}"
    );

    // Starting: the Teams permission is not admin-consented.
    sim.set_consent(Consent {
        teams_telephone_number: false,
        ..Consent::default()
    });
    let refused = service.begin_device(&target(&sim)).await.unwrap_err();
    let problem = Problem::from(&refused);
    assert_eq!(problem.kind, ProblemKind::ConsentRequired, "{refused:?}");
    assert!(problem.request_id.is_some());
    let numberdesk::auth::AuthError::Entra(detail) = &refused else {
        panic!("{refused:?}");
    };
    assert_eq!(detail.error_codes, vec![90094]);
    assert!(detail.trace_id.is_some());
    assert!(service
        .last_failure()
        .unwrap()
        .diagnostic_line()
        .contains("AADSTS90094"));
}

#[tokio::test]
async fn a_browser_sign_in_refused_by_redirect_keeps_microsofts_ids_too() {
    let sim = start_fast().await;
    sim.set_consent(Consent {
        teams_telephone_number: false,
        ..Consent::default()
    });
    let (service, _) = service();
    let link = service.begin_interactive(&target(&sim)).await.unwrap();
    let waiting = tokio::spawn({
        let service = service.clone();
        async move { service.wait_interactive().await }
    });
    let http = client();
    let refused = http.get(&link).send().await.unwrap();
    assert_eq!(refused.status(), 302, "the error goes back to the app");
    let back_to_app = refused.headers()["location"].to_str().unwrap().to_owned();
    assert!(
        back_to_app.contains("error=consent_required"),
        "{back_to_app}"
    );
    http.get(&back_to_app).send().await.unwrap();
    let error = waiting.await.unwrap().unwrap_err();
    let detail = entra_detail(&error);
    assert_eq!(detail.error_codes, vec![90094]);
    assert!(detail.trace_id.is_some(), "{detail:?}");
    let problem = Problem::from(&error);
    assert_eq!(problem.kind, ProblemKind::ConsentRequired);
    assert!(problem.request_id.is_some(), "the correlation ID is kept");
    assert_eq!(problem.request_id, detail.correlation_id);
    assert!(service
        .last_failure()
        .unwrap()
        .diagnostic_line()
        .contains("consent_required AADSTS90094"));
}

#[tokio::test]
async fn an_expired_device_code_is_reported_with_microsofts_ids() {
    let sim = sim_support::start(numberdesk::sim::SimConfig {
        device_code_interval: Duration::from_secs(1),
        device_code_lifetime: Duration::from_millis(1500),
        ..Default::default()
    })
    .await;
    let (service, _) = service();
    service.begin_device(&target(&sim)).await.unwrap();
    let error = tokio::time::timeout(Duration::from_secs(30), service.wait_device())
        .await
        .unwrap()
        .unwrap_err();
    let detail = entra_detail(&error);
    assert_eq!(
        (detail.error.as_str(), detail.error_codes.as_slice()),
        ("expired_token", &[70019][..])
    );
    assert!(detail.trace_id.is_some() && detail.correlation_id.is_some());
    let problem = Problem::from(&error);
    assert_eq!(problem.kind, ProblemKind::DeviceCodeExpired);
    assert_eq!(problem.request_id, detail.correlation_id);
}
