//! NumberDesk on a corporate network: through the proxy the system is set to (on Linux, the
//! HTTPS_PROXY/HTTP_PROXY/NO_PROXY environment), with TLS re-signed by a company root that only
//! the operating system's trust store knows (on Linux, what `SSL_CERT_FILE` names), and the
//! plain answers an admin gets when the proxy is down, wants a proxy sign-in, or the connection
//! is not trusted.
//!
//! Proxy and trust settings live in the process environment, which every test here shares:
//! each test holds [`Environment`] from start to end, so they run one at a time.
//!
//! Linux only: a test can make a throwaway root trusted there through `SSL_CERT_FILE`, which the
//! OS verifier reads. On Windows and macOS trusting a root means adding it to the user's
//! certificate store, which the OS confirms with a prompt, so it cannot be done unattended; there,
//! `tests/platform_features.rs` proves the system-proxy support and the OS verifier are compiled
//! in, and the messages are unit-tested per platform in `src-tauri/net.rs`.
#![cfg(target_os = "linux")]

#[path = "app_support/mod.rs"]
mod app_support;
#[path = "net_support/mod.rs"]
mod net_support;
#[path = "sim_support/mod.rs"]
mod sim_support;

use app_support::{graph, recorded_options, Waits};
use net_support::{
    browser, choose_account, dead_port, http_sim, https_sim, service, sign_in, target, Environment,
    ProxyMode, TestCa, TestProxy,
};
use numberdesk::auth::entra;
use numberdesk::auth::TokenKind;
use numberdesk::graph::RemoteStatus;
use numberdesk::problem::graph::in_cloud;
use numberdesk::problem::Problem;
use numberdesk::sim::{self, Listener, SimTenant};
use std::time::Duration;

/// Looks the sample number up, unassigns it and follows the operation to `succeeded`.
async fn lookup_and_unassign(
    sim: &SimTenant,
    service: &net_support::TestService,
) -> Result<(), Problem> {
    let client = graph(sim, service, recorded_options(&Waits::default()));
    let (found, _) = client
        .lookup_number(sim::SAMPLE_NUMBER)
        .await
        .map_err(|e| in_cloud(&e, true))?;
    let number = found.expect("the sample number exists");
    let accepted = client
        .unassign(
            &number.telephone_number,
            &number.number_type,
            "22222222-0000-0000-0000-000000000001",
        )
        .await
        .map_err(|e| in_cloud(&e, true))?;
    let location = accepted.location.expect("a Location");
    for _ in 0..200 {
        let (operation, _) = client
            .operation(&location)
            .await
            .map_err(|e| in_cloud(&e, true))?;
        if operation.status == RemoteStatus::Succeeded {
            return Ok(());
        }
        assert!(!operation.status.is_settled(), "{:?}", operation.status);
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("the operation did not finish");
}

/// Whether `condition` holds within five seconds (checked every 10 ms).
async fn eventually(condition: impl Fn() -> bool) -> bool {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while tokio::time::Instant::now() < deadline {
        if condition() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    condition()
}

fn token_requests(sim: &SimTenant) -> usize {
    sim.requests()
        .iter()
        .filter(|r| {
            r.listener == Listener::Entra && r.path_and_query.ends_with("/oauth2/v2.0/token")
        })
        .count()
}

#[tokio::test]
async fn sign_in_lookup_and_unassign_pass_through_the_system_proxy_which_never_sees_the_token() {
    let env = Environment::take().await;
    let dir = tempfile::tempdir().unwrap();
    let ca = TestCa::new("Contoso");
    let sim = https_sim(&ca).await;
    let proxy = TestProxy::start(ProxyMode::Open).await;
    env.set(
        "SSL_CERT_FILE",
        ca.write_bundle(dir.path(), "contoso-root.pem"),
    );
    env.set("HTTPS_PROXY", proxy.url());

    let service = service();
    sign_in(&service, &browser(Some(&ca)), &sim, sim::ADMIN_UPN)
        .await
        .expect("sign-in through the proxy");
    lookup_and_unassign(&sim, &service)
        .await
        .expect("lookup and unassign through the proxy");
    let token = service
        .session()
        .access_token(TokenKind::Telephone)
        .await
        .unwrap();

    // The sim sees each request's source address; the proxy knows the source of each of its
    // tunnels. A request from one of those came through the proxy.
    let sources = proxy.tunnel_sources();
    let requests = sim.requests();
    let through = |listener: Listener, method: &str, part: &str| {
        requests
            .iter()
            .filter(|r| r.listener == listener && r.method == method)
            .filter(|r| r.path_and_query.contains(part))
            .filter(|r| sources.contains(&r.peer))
            .count()
    };
    let tokens = through(Listener::Entra, "POST", "/oauth2/v2.0/token");
    let lookups = through(Listener::Graph, "GET", "numberAssignments?$filter=");
    let unassigns = through(Listener::Graph, "POST", "numberAssignments/unassignNumber");
    let operations = through(
        Listener::Graph,
        "GET",
        "/telephoneNumberManagement/operations",
    );
    let log = proxy.log();
    let login_authority = sim.login_url().trim_start_matches("https://").to_owned();
    let graph_authority = sim.graph_url().trim_start_matches("https://").to_owned();
    println!(
        "proxy: {} CONNECT to the sign-in host, {} CONNECT to Graph, {} other; through them: {tokens} token requests, {lookups} lookup, {unassigns} unassign, {operations} operation reads",
        proxy.count("CONNECT", &login_authority),
        proxy.count("CONNECT", &graph_authority),
        log.iter().filter(|e| e.method != "CONNECT").count(),
    );
    assert!(log.iter().all(|e| e.method == "CONNECT"), "{log:#?}");
    assert!(proxy.count("CONNECT", &login_authority) >= 1, "{log:#?}");
    assert!(proxy.count("CONNECT", &graph_authority) >= 1, "{log:#?}");
    assert!(tokens >= 1);
    assert_eq!(
        tokens,
        token_requests(&sim),
        "every token request came through the proxy"
    );
    assert_eq!(lookups, 1);
    assert_eq!(unassigns, 1);
    assert!(operations >= 1);
    assert_eq!(
        lookups + unassigns + operations,
        sim.graph_requests().len(),
        "every Graph request came through the proxy"
    );
    // The browser's own requests (the sign-in page and form) went direct, as set up here.
    assert!(requests
        .iter()
        .filter(|r| r.path_and_query.contains("/authorize"))
        .all(|r| !sources.contains(&r.peer)));

    let seen = String::from_utf8_lossy(&proxy.tunnelled_bytes()).into_owned();
    assert!(!seen.is_empty(), "the tunnels carried the traffic");
    for secret in [
        token.secret().as_str(),
        "Bearer",
        "unassignNumber",
        "refresh_token",
    ] {
        assert!(
            !seen.contains(secret),
            "the proxy read {secret:?} in a tunnel"
        );
    }
}

#[tokio::test]
async fn no_proxy_is_honoured() {
    let env = Environment::take().await;
    let dir = tempfile::tempdir().unwrap();
    let ca = TestCa::new("Contoso");
    let sim = https_sim(&ca).await;
    let proxy = TestProxy::start(ProxyMode::Open).await;
    env.set(
        "SSL_CERT_FILE",
        ca.write_bundle(dir.path(), "contoso-root.pem"),
    );
    env.set("HTTPS_PROXY", proxy.url());
    env.set("NO_PROXY", "intranet.contoso.example, 127.0.0.1");

    let service = service();
    sign_in(&service, &browser(Some(&ca)), &sim, sim::ADMIN_UPN)
        .await
        .expect("sign-in, direct");
    lookup_and_unassign(&sim, &service)
        .await
        .expect("lookup and unassign, direct");
    assert!(proxy.log().is_empty(), "{:#?}", proxy.log());
    assert!(token_requests(&sim) >= 1);
    assert!(sim.graph_requests().len() >= 3);
}

#[tokio::test]
async fn plain_http_to_this_computer_never_goes_through_a_proxy() {
    let env = Environment::take().await;
    // The demo tenant's case: http on loopback, with a proxy set for everything.
    let sim = http_sim().await;
    let proxy = TestProxy::start(ProxyMode::Open).await;
    env.set("HTTP_PROXY", proxy.url());
    env.set("HTTPS_PROXY", proxy.url());

    let service = service();
    sign_in(&service, &browser(None), &sim, sim::ADMIN_UPN)
        .await
        .expect("sign-in, direct");
    lookup_and_unassign(&sim, &service)
        .await
        .expect("lookup and unassign, direct");
    assert!(
        proxy.log().is_empty(),
        "a proxy read unencrypted requests: {:#?}",
        proxy.log()
    );
    assert!(token_requests(&sim) >= 1);
    assert!(sim.graph_requests().len() >= 3);
}

/// Redeems a fresh code with a token client built now: the sign-in's token request.
async fn redeem_now(sim: &SimTenant, ca: &TestCa) -> Problem {
    let target = target(sim);
    let pending = entra::start_sign_in(&target, "http://localhost:41999").unwrap();
    let back = choose_account(&browser(Some(ca)), sim, &pending.url, sim::ADMIN_UPN).await;
    let code = sim_support::query_of(&back)["code"].clone();
    let http = entra::token_http_client().unwrap();
    Problem::from(
        entra::redeem_code(&target, pending, code, &http)
            .await
            .expect_err("the token request cannot pass"),
    )
}

/// A session signed in with the environment as it is, then the Graph problem after `change`
/// was applied to the environment (the Graph client is built after it).
async fn graph_problem_after(
    env: &Environment,
    sim: &SimTenant,
    ca: &TestCa,
    change: impl FnOnce(&Environment),
) -> Problem {
    let service = service();
    sign_in(&service, &browser(Some(ca)), sim, sim::ADMIN_UPN)
        .await
        .expect("sign-in before the network changes");
    change(env);
    let client = graph(sim, &service, recorded_options(&Waits::default()));
    let error = client
        .lookup_number(sim::SAMPLE_NUMBER)
        .await
        .expect_err("the lookup cannot pass");
    in_cloud(&error, true)
}

fn assert_plain(problem: &Problem, kind: &str, words: &[&str]) {
    assert_eq!(problem.kind.name(), kind, "{problem:#?}");
    let text = format!("{} {}", problem.message, problem.hint);
    for word in words {
        assert!(text.contains(word), "{word:?} missing from {problem:#?}");
    }
}

#[tokio::test]
async fn a_dead_proxy_is_named_and_the_admin_is_told_what_to_tell_it() {
    let env = Environment::take().await;
    let dir = tempfile::tempdir().unwrap();
    let ca = TestCa::new("Contoso");
    let sim = https_sim(&ca).await;
    env.set(
        "SSL_CERT_FILE",
        ca.write_bundle(dir.path(), "contoso-root.pem"),
    );
    let port = dead_port().await;
    let proxy = format!("127.0.0.1:{port}");

    env.set("HTTPS_PROXY", format!("http://{proxy}"));
    let signing_in = redeem_now(&sim, &ca).await;
    println!("sign-in: {signing_in:#?}");
    assert_plain(&signing_in, "proxyUnreachable", &[&proxy, "IT"]);
    assert_eq!(
        token_requests(&sim),
        0,
        "nothing reached the sign-in service"
    );

    env.clear();
    env.set(
        "SSL_CERT_FILE",
        ca.write_bundle(dir.path(), "contoso-root.pem"),
    );
    let looking_up = graph_problem_after(&env, &sim, &ca, |env| {
        env.set("HTTPS_PROXY", format!("http://{proxy}"));
    })
    .await;
    println!("lookup: {looking_up:#?}");
    assert_plain(&looking_up, "proxyUnreachable", &[&proxy, "IT"]);
    assert!(sim.graph_requests().is_empty());
}

#[tokio::test]
async fn a_proxy_that_wants_a_sign_in_gets_a_plain_answer() {
    let env = Environment::take().await;
    let dir = tempfile::tempdir().unwrap();
    let ca = TestCa::new("Contoso");
    let sim = https_sim(&ca).await;
    let proxy = TestProxy::start(ProxyMode::RequiresAuthentication).await;
    let named = proxy.addr.to_string();
    env.set(
        "SSL_CERT_FILE",
        ca.write_bundle(dir.path(), "contoso-root.pem"),
    );

    env.set("HTTPS_PROXY", proxy.url());
    let signing_in = redeem_now(&sim, &ca).await;
    println!("sign-in: {signing_in:#?}");
    assert_plain(&signing_in, "proxyAuthentication", &[&named, "407", "IT"]);
    assert_eq!(token_requests(&sim), 0);

    env.clear();
    env.set(
        "SSL_CERT_FILE",
        ca.write_bundle(dir.path(), "contoso-root.pem"),
    );
    let before = proxy.log().len();
    let looking_up = graph_problem_after(&env, &sim, &ca, |env| {
        env.set("HTTPS_PROXY", proxy.url());
    })
    .await;
    println!("lookup: {looking_up:#?}");
    assert_plain(&looking_up, "proxyAuthentication", &[&named, "407", "IT"]);
    assert!(sim.graph_requests().is_empty());
    assert_eq!(
        proxy.log().len() - before,
        1,
        "a proxy sign-in refusal is not retried"
    );
}

#[tokio::test]
async fn with_the_company_root_in_the_os_store_sign_in_lookup_and_unassign_work_over_https() {
    let env = Environment::take().await;
    let dir = tempfile::tempdir().unwrap();
    let ca = TestCa::new("Contoso");
    let sim = https_sim(&ca).await;
    assert!(sim.graph_url().starts_with("https://127.0.0.1:"));
    env.set(
        "SSL_CERT_FILE",
        ca.write_bundle(dir.path(), "contoso-root.pem"),
    );

    let service = service();
    sign_in(&service, &browser(Some(&ca)), &sim, sim::ADMIN_UPN)
        .await
        .expect("sign-in over https");
    lookup_and_unassign(&sim, &service)
        .await
        .expect("lookup and unassign over https");
    assert_eq!(sim.tls_handshakes_refused(), 0);
}

#[tokio::test]
async fn without_the_company_root_the_connection_is_called_intercepted_and_nothing_is_sent() {
    let env = Environment::take().await;
    let dir = tempfile::tempdir().unwrap();
    let ca = TestCa::new("Contoso");
    // The store holds a root, just not the one that signed the sim's certificate.
    let other = TestCa::new("Fabrikam");
    let sim = https_sim(&ca).await;
    env.set(
        "SSL_CERT_FILE",
        other.write_bundle(dir.path(), "fabrikam-root.pem"),
    );

    let signing_in = redeem_now(&sim, &ca).await;
    println!("sign-in: {signing_in:#?}");
    assert_plain(
        &signing_in,
        "tlsUntrusted",
        &["intercepted", "not trusted", "IT"],
    );
    assert_eq!(token_requests(&sim), 0, "no token request reached the sim");
    // The sim hears the client's alert a moment after the client gave up.
    assert!(
        eventually(|| sim.tls_handshakes_refused() >= 1).await,
        "the client reached the sim and refused its certificate"
    );

    env.set(
        "SSL_CERT_FILE",
        ca.write_bundle(dir.path(), "contoso-root.pem"),
    );
    let looking_up = graph_problem_after(&env, &sim, &ca, |env| {
        env.set(
            "SSL_CERT_FILE",
            other.write_bundle(dir.path(), "fabrikam-root.pem"),
        );
    })
    .await;
    println!("lookup: {looking_up:#?}");
    assert_plain(
        &looking_up,
        "tlsUntrusted",
        &["intercepted", "not trusted", "IT"],
    );
    assert!(
        sim.graph_requests().is_empty(),
        "no Graph request reached the sim"
    );
}
