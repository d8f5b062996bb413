//! Waiting in tests for a condition instead of for a fixed time: the wait ends as soon as the
//! condition holds, and fails loudly, naming what it waited for, when it does not hold in time.
//! A fixed sleep is either too short on a busy machine (a flaky test) or too long everywhere
//! (a slow one).
//!
//! The conditions read state the test can see (a run's progress, the sim's counters and request
//! log, a listening socket); none sends a request the simulated tenant would count or answer.
#![allow(dead_code)]

use numberdesk::sim::SimTenant;
use std::time::{Duration, Instant};

/// How long a condition may take before the test fails: far more than any of them needs.
pub const PATIENCE: Duration = Duration::from_secs(10);

/// How often a condition is checked.
const STEP: Duration = Duration::from_millis(2);

/// Waits until `condition` holds, for at most `within`; panics naming `what` otherwise.
pub async fn wait_until(what: &str, within: Duration, mut condition: impl FnMut() -> bool) {
    let deadline = Instant::now() + within;
    while !condition() {
        assert!(Instant::now() < deadline, "waited {within:?} for {what}");
        tokio::time::sleep(STEP).await;
    }
}

/// Waits until the sim's Graph side has gone quiet: nothing in flight, and no new request in
/// its log for `calm`. This is how a test knows that the requests of a client it has just
/// killed have all arrived and been answered (or dropped), as they would be after a crash.
pub async fn wait_until_quiet(sim: &SimTenant, calm: Duration) {
    let deadline = Instant::now() + PATIENCE;
    let mut logged = sim.graph_requests().len();
    let mut unchanged_since = Instant::now();
    loop {
        let now_logged = sim.graph_requests().len();
        if now_logged != logged || sim.in_flight() != 0 {
            logged = now_logged;
            unchanged_since = Instant::now();
        } else if unchanged_since.elapsed() >= calm {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "waited {PATIENCE:?} for the sim to go quiet ({} in flight)",
            sim.in_flight()
        );
        tokio::time::sleep(STEP).await;
    }
}

/// Waits until nothing listens at `url` any more (a TCP connection is refused). Only connects:
/// no HTTP request is sent, so the sim logs nothing.
pub async fn wait_until_closed(url: &str) {
    let url = url::Url::parse(url).expect("an absolute URL");
    let address = format!(
        "{}:{}",
        url.host_str().expect("a host"),
        url.port_or_known_default().expect("a port")
    );
    let deadline = Instant::now() + PATIENCE;
    while tokio::net::TcpStream::connect(&address).await.is_ok() {
        assert!(
            Instant::now() < deadline,
            "waited {PATIENCE:?} for {address} to stop listening"
        );
        tokio::time::sleep(STEP).await;
    }
}
