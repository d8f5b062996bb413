//! Driving "Set up for my organization" against the simulated tenant, as `register.rs` and
//! `sim_persistence.rs` do: setup's sign-in through the browser, the setup core, and the normal
//! sign-in with the registration it made followed by a lookup.
#![allow(dead_code)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use numberdesk::auth::bootstrap::{BootstrapToken, BOOTSTRAP_CLIENT_ID};
use numberdesk::auth::entra::SignInTarget;
use numberdesk::auth::{SignInService, TokenKind};
use numberdesk::cloud::Cloud;
use numberdesk::graph::{GraphClient, GraphOptions};
use numberdesk::register::{self, Change, Outcome, Patience, RegisterError, Step};
use numberdesk::sim::{self, SimTenant};
use numberdesk::vault::LimitedMemoryStore;

use crate::sim_support::{choose_on_sign_in_page, client};

pub type Service = SignInService<Arc<LimitedMemoryStore>>;

pub fn cloud(sim: &SimTenant) -> Cloud {
    Cloud::custom(&sim.login_url(), &sim.graph_url()).unwrap()
}

pub fn service() -> (Arc<Service>, Arc<LimitedMemoryStore>) {
    let store = Arc::new(LimitedMemoryStore::windows_like());
    (Arc::new(SignInService::new(store.clone()).unwrap()), store)
}

/// Follows the redirect back to the app's listener (the browser's last step).
pub async fn back_to_app(location: &str) {
    let answer = client().get(location).send().await.unwrap();
    assert_eq!(answer.status(), 302, "the listener answers the browser");
}

/// Setup's sign-in as `account`, through the browser, as a person would.
pub async fn bootstrap(sim: &SimTenant, service: &Arc<Service>, account: &str) -> BootstrapToken {
    let link = service.begin_bootstrap(&cloud(sim)).await.unwrap();
    assert!(link.contains(BOOTSTRAP_CLIENT_ID), "{link}");
    assert!(link.contains("%2F.default"), "{link}");
    assert!(
        !link.contains("offline_access"),
        "no refresh token for setup: {link}"
    );
    let waiting = tokio::spawn({
        let service = service.clone();
        async move { service.wait_bootstrap().await }
    });
    let location = choose_on_sign_in_page(sim, &link, account).await;
    back_to_app(&location).await;
    waiting.await.unwrap().unwrap()
}

pub fn graph_with(sim: &SimTenant, token: BootstrapToken) -> GraphClient {
    GraphClient::new(
        cloud(sim).graph_url,
        Arc::new(token),
        GraphOptions::default(),
    )
    .unwrap()
}

pub fn quick() -> Patience {
    Patience {
        waits: vec![Duration::from_millis(300); 10],
    }
}

/// Runs setup as `account`; returns the outcome and the steps reported.
pub async fn run_setup(
    sim: &SimTenant,
    account: &str,
    patience: &Patience,
) -> (Result<Outcome, RegisterError>, Vec<Step>) {
    let (service, _) = service();
    let token = bootstrap(sim, &service, account).await;
    assert_eq!(
        token.tenant_id(),
        sim::DEMO_TENANT_ID,
        "the tenant comes from the token"
    );
    let tenant = token.tenant_id().to_owned();
    let graph = graph_with(sim, token);
    let steps = Arc::new(Mutex::new(Vec::new()));
    let seen = steps.clone();
    let outcome = register::register(&graph, &cloud(sim), &tenant, patience, &move |step| {
        seen.lock().unwrap().push(step)
    })
    .await;
    let steps = steps.lock().unwrap().clone();
    (outcome, steps)
}

/// The normal sign-in with the registration setup made, and a lookup with it.
pub async fn sign_in_and_look_up(sim: &SimTenant, client_id: &str) -> Arc<LimitedMemoryStore> {
    let (service, store) = service();
    let target = SignInTarget {
        cloud: cloud(sim),
        tenant: sim::DEMO_TENANT_ID.into(),
        client_id: client_id.into(),
    };
    let link = service.begin_interactive(&target).await.unwrap();
    let waiting = tokio::spawn({
        let service = service.clone();
        async move { service.wait_interactive().await }
    });
    let location = choose_on_sign_in_page(sim, &link, sim::ADMIN_UPN).await;
    back_to_app(&location).await;
    let status = waiting.await.unwrap().unwrap();
    assert!(status.signed_in);
    assert_eq!(
        status.names_permitted,
        Some(true),
        "User.ReadBasic.All was consented"
    );
    let graph = GraphClient::new(
        target.cloud.graph_url.clone(),
        service.session_handle(),
        GraphOptions::default(),
    )
    .unwrap();
    let (found, _) = graph.lookup_number(sim::SAMPLE_NUMBER).await.unwrap();
    let found = found.expect("the sample number is found with the new app");
    assert_eq!(found.telephone_number, sim::SAMPLE_NUMBER);
    let _ = service
        .session()
        .access_token(TokenKind::Telephone)
        .await
        .unwrap();
    store
}

/// A second setup run on `sim` as the administrator: the same registration (`client_id`) and
/// grants are found, it says "reused", and nothing is written.
pub async fn a_second_run_changes_nothing(
    sim: &SimTenant,
    client_id: &str,
    grants: &[sim::SimPermissionGrant],
) {
    sim.clear_requests();
    let (again, _) = run_setup(sim, sim::ADMIN_UPN, &quick()).await;
    let Outcome::Ready {
        registration: same,
        changes,
    } = again.unwrap()
    else {
        panic!("ready")
    };
    assert_eq!(changes, vec![Change::Reused]);
    assert_eq!(same.client_id, client_id);
    assert_eq!(sim.applications().len(), 1);
    assert_eq!(sim.permission_grants(), grants);
    let writes: Vec<_> = sim
        .graph_requests()
        .into_iter()
        .filter(|r| r.method != "GET")
        .map(|r| format!("{} {}", r.method, r.path_and_query))
        .collect();
    assert!(writes.is_empty(), "a second run wrote {writes:?}");
}
