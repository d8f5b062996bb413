//! Helpers for tests of the app's own modules against the simulated tenant: a signed-in
//! session (through the real sign-in flow, the browser's part done over HTTP) and a Graph
//! client whose waits are recorded instead of slept.
#![allow(dead_code)]

use crate::sim_support::{choose_on_sign_in_page, client};
use numberdesk::auth::entra::SignInTarget;
use numberdesk::auth::SignInService;
use numberdesk::cloud::Cloud;
use numberdesk::graph::{GraphClient, GraphOptions};
use numberdesk::sim::{self, SimTenant};
use numberdesk::vault::LimitedMemoryStore;
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub type TestService = SignInService<Arc<LimitedMemoryStore>>;

pub fn target(sim: &SimTenant) -> SignInTarget {
    SignInTarget {
        cloud: Cloud::custom(&sim.login_url(), &sim.graph_url()).unwrap(),
        tenant: sim::DEMO_TENANT_ID.into(),
        client_id: sim::DEMO_CLIENT_ID.into(),
    }
}

/// Signs `account` in through the app's own interactive flow.
pub async fn signed_in(sim: &SimTenant, account: &str) -> Arc<TestService> {
    let store = Arc::new(LimitedMemoryStore::windows_like());
    let service = Arc::new(SignInService::new(store).unwrap());
    let link = service.begin_interactive(&target(sim)).await.unwrap();
    let waiting = tokio::spawn({
        let service = service.clone();
        async move { service.wait_interactive().await }
    });
    let back = choose_on_sign_in_page(sim, &link, account).await;
    let http = client();
    let answer = http.get(&back).send().await.unwrap();
    assert_eq!(answer.status(), 302);
    assert!(waiting.await.unwrap().unwrap().signed_in);
    service
}

/// The waits a client asked for, in order.
#[derive(Clone, Default)]
pub struct Waits(pub Arc<Mutex<Vec<Duration>>>);

impl Waits {
    pub fn taken(&self) -> Vec<Duration> {
        self.0.lock().unwrap().clone()
    }
}

/// Options whose sleeper records each wait and sleeps only a millisecond: the test's clock.
pub fn recorded_options(waits: &Waits) -> GraphOptions {
    let waits = waits.clone();
    GraphOptions {
        sleeper: Arc::new(move |duration| {
            waits.0.lock().unwrap().push(duration);
            Box::pin(tokio::time::sleep(Duration::from_millis(1)))
        }),
        ..GraphOptions::default()
    }
}

pub fn graph(sim: &SimTenant, service: &TestService, options: GraphOptions) -> GraphClient {
    GraphClient::new(
        url::Url::parse(&sim.graph_url()).unwrap(),
        service.session_handle(),
        options,
    )
    .unwrap()
}
