//! The one rate a bulk run keeps: an adaptive limiter every Graph request of the run waits on.
//!
//! Why one limiter for the whole run, not one per worker: Microsoft throttles the app in the
//! tenant, not a connection. When one worker gets a 429 the others are about to get theirs, so
//! the pause (`Retry-After`) and the slower rate apply to every worker at once; otherwise each
//! would learn the limit separately and the run would keep hammering a service that said stop.
//!
//! Why adaptive: no limit for the telephone-number API is documented (graph-api.md §4.2), so
//! the run finds it, in the manner of TCP's congestion control:
//! - **Slow start**: from a cold-start rate inside every documented Teams limit (see
//!   [`RateConfig::default`]), doubled after each half-second's worth of answers until the first
//!   429 or the documented per-app limit (`slow_start_threshold`), whichever comes first, so a
//!   run reaches the service's pace in a few seconds without doubling past a documented limit.
//!   Above the threshold, and after a 429, the rate grows by `increase` only.
//! - **Back off**: a 429 pauses everyone for `Retry-After` and lowers the rate (`decrease`),
//!   at most once per pause, so a burst of 429s from requests already on their way counts as
//!   one signal. Microsoft's other ways of saying "too much" count the same: a 503 or 504
//!   (with or without `Retry-After`) and the Teams number backend's overload answer, a `400`
//!   "Service is unavailable. Please try again" (graph-api.md §4.3, §7).
//! - **A ceiling**: the lowest rate that drew a 429 is remembered (each further 429 lowers it
//!   by another 5 %, since a service that allows bursts throttles above its real limit);
//!   afterwards the rate grows (`increase`) but stays under `ceiling_margin` × the ceiling, so
//!   the run settles just below the limit instead of hitting it again and again. Each minute
//!   without a 429 lifts the ceiling by a little, in case the service allows more now.
//!
//! Requests are spaced evenly (`1 / rate` apart, no burst): a burst is what triggers the 429s.

use crate::graph::Pacer;
use serde::Serialize;
use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;
use std::time::Duration;
use tokio::time::Instant;

/// How the rate starts and moves (requests per second).
#[derive(Debug, Clone)]
pub struct RateConfig {
    pub initial: f64,
    pub min: f64,
    pub max: f64,
    /// Factor applied after `step`'s worth of answers without a 429.
    pub increase: f64,
    /// How much time's worth of clean answers (at the current rate) the rate is held before
    /// it grows again.
    pub step: Duration,
    /// Factor applied on a 429.
    pub decrease: f64,
    /// The pause when a 429 carries no `Retry-After`.
    pub default_pause: Duration,
    /// Double the rate (instead of `increase`) until the first 429.
    pub slow_start: bool,
    /// Slow start doubles no higher than this; above it the rate grows by `increase`.
    pub slow_start_threshold: f64,
    /// After a 429, the rate stays under this share of the lowest rate that drew one.
    pub ceiling_margin: f64,
    /// How long without a 429 before the ceiling is lifted by 5 %.
    pub ceiling_probe: Duration,
}

impl Default for RateConfig {
    /// The cold start, from Microsoft's documented limits (MGDC `concepts/throttling-limits.md`,
    /// "Microsoft Teams service limits"; graph-api.md §4.2). No limit is documented for the
    /// telephone-number endpoints themselves, so they fall under the Teams table's catch-all
    /// rows, "Other API calls for Microsoft Teams" and "Other GET API calls": **30 requests per
    /// second per app per tenant** (within the overall 15,000 requests per 10 seconds). The
    /// same table's strictest rate for one resource is "a maximum of 4 requests per second per
    /// app … on a given team or channel", and every POST of a run goes to one resource, the
    /// `numberAssignments` collection.
    ///
    /// So a run starts at **4 requests per second**, which no documented Teams limit refuses,
    /// and is what a backend that has just woken up (the one that answers overload with a
    /// 400) can be expected to take; it doubles each half-second's worth of clean answers to
    /// the documented **30** (4, 8, 16, 30: about two seconds), and above that only creeps up
    /// (`increase`), finding any higher limit the service really allows without a wall of
    /// 429s. None of this is tuned to the simulated tenant: the sim's limits are set per test
    /// and per benchmark, and the pacer must find them.
    fn default() -> Self {
        RateConfig {
            initial: 4.0,
            min: 0.5,
            max: 50.0,
            increase: 1.1,
            step: Duration::from_millis(500),
            decrease: 0.8,
            default_pause: Duration::from_secs(5),
            slow_start: true,
            slow_start_threshold: 30.0,
            ceiling_margin: 0.92,
            ceiling_probe: Duration::from_secs(60),
        }
    }
}

/// What the limiter has learnt so far.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RateStats {
    /// The current rate, requests per second.
    pub rate: f64,
    /// The rate at which the last 429 came, if any: the service's limit is below it.
    pub throttled_at: Option<f64>,
    pub throttles: u64,
    pub requests: u64,
}

#[derive(Debug)]
struct State {
    rate: f64,
    next_slot: Instant,
    paused_until: Instant,
    answers_since_change: f64,
    /// Whether a request had to wait for its turn since the rate last changed: a rate that
    /// holds nobody back is not raised (it would only show when the workers speed up).
    held_back: bool,
    /// The lowest rate that drew a 429 (lifted a little after a quiet while), and since when.
    ceiling: Option<(f64, Instant)>,
    /// When the requests of the last [`SENT_WINDOW`] were let through: the rate actually sent,
    /// which is below the allowed one when the workers are the limit.
    sent: std::collections::VecDeque<Instant>,
    started: Instant,
    stats: RateStats,
}

/// How far back the rate actually sent is measured.
const SENT_WINDOW: Duration = Duration::from_secs(2);
/// Requests sent within the window before a 429 tells anything about the service's limit.
const MIN_SENT_FOR_CEILING: usize = 10;

impl State {
    /// Requests per second actually let through lately.
    fn sent_rate(&mut self, now: Instant) -> f64 {
        while self
            .sent
            .front()
            .is_some_and(|at| now.duration_since(*at) > SENT_WINDOW)
        {
            self.sent.pop_front();
        }
        let window = now
            .duration_since(self.started)
            .min(SENT_WINDOW)
            .as_secs_f64()
            .max(0.25);
        self.sent.len() as f64 / window
    }
}

/// The shared, adaptive token spacing of one run.
#[derive(Debug)]
pub struct AdaptiveLimiter {
    config: RateConfig,
    state: Mutex<State>,
    /// The callers waiting for a turn, first come first served: only the first one waits on
    /// the clock, so turns go in the order they were asked for (a page asked for before
    /// another leaves before it).
    queue: tokio::sync::Mutex<()>,
}

impl AdaptiveLimiter {
    pub fn new(config: RateConfig) -> AdaptiveLimiter {
        let now = Instant::now();
        let rate = config.initial.clamp(config.min, config.max);
        AdaptiveLimiter {
            state: Mutex::new(State {
                rate,
                next_slot: now,
                paused_until: now,
                answers_since_change: 0.0,
                held_back: false,
                ceiling: None,
                sent: std::collections::VecDeque::new(),
                started: now,
                stats: RateStats {
                    rate,
                    ..RateStats::default()
                },
            }),
            config,
            queue: tokio::sync::Mutex::new(()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        crate::locks::lock(&self.state)
    }

    pub fn stats(&self) -> RateStats {
        self.lock().stats.clone()
    }

    /// Waits for the next turn, in the order the turns were asked for. Re-checks after every
    /// sleep, so a pause that began meanwhile holds back requests that were already waiting.
    pub async fn acquire(&self) {
        let _first_in_line = self.queue.lock().await;
        loop {
            let wake_at = {
                let mut state = self.lock();
                let now = Instant::now();
                let slot = state.next_slot.max(state.paused_until);
                if slot <= now {
                    let interval = Duration::from_secs_f64(1.0 / state.rate);
                    state.next_slot = state.next_slot.max(now) + interval;
                    state.stats.requests += 1;
                    state.sent.push_back(now);
                    state.sent_rate(now);
                    return;
                }
                state.held_back = true;
                slot
            };
            tokio::time::sleep_until(wake_at).await;
        }
    }

    /// Hears one answer (`None`: no answer at all), telling overload by its status alone:
    /// 429, 503 and 504. See [`AdaptiveLimiter::record_answer`] for answers whose body says so.
    pub fn record(&self, status: Option<u16>, retry_after: Option<Duration>) {
        let overloaded = matches!(status, Some(429 | 503 | 504));
        self.record_answer(status, retry_after, overloaded);
    }

    /// Hears one answer. `overloaded`: Microsoft said it is taking too much (429, 503, 504, or
    /// the Teams backend's overload 400), which pauses and slows the run as a 429 does.
    pub fn record_answer(
        &self,
        status: Option<u16>,
        retry_after: Option<Duration>,
        overloaded: bool,
    ) {
        let mut state = self.lock();
        let now = Instant::now();
        if overloaded {
            let pause = retry_after.unwrap_or(self.config.default_pause);
            // 429s for requests sent before the pause began are the same signal.
            if now >= state.paused_until {
                // The rate that drew it is what was really sent, which the workers may have
                // kept below the allowed rate. With too few requests sent lately to tell (a
                // 429 at the very start: the service was busy before this run), the 429 still
                // pauses and slows the run but sets no ceiling.
                let sent = state.sent_rate(now);
                let measured = state.sent.len() >= MIN_SENT_FOR_CEILING;
                let rate = if measured {
                    state.rate.min(sent).max(self.config.min)
                } else {
                    state.rate
                };
                state.stats.throttled_at = Some(rate);
                if measured {
                    // A service that allows bursts throttles above its real limit, so each
                    // 429 after the first also lowers the ceiling by 5 %: repeated 429s walk
                    // it down to a rate the service keeps up with.
                    let lowest = state.ceiling.map_or(rate, |(c, _)| (c * 0.95).min(rate));
                    state.ceiling = Some((lowest, now));
                }
                state.rate = (rate * self.config.decrease).max(self.config.min);
                state.stats.rate = state.rate;
                state.stats.throttles += 1;
            }
            state.paused_until = state.paused_until.max(now + pause);
            state.answers_since_change = 0.0;
            return;
        }
        if !status.is_some_and(|s| (200..300).contains(&s)) {
            return;
        }
        state.answers_since_change += 1.0;
        let step = self.config.step.as_secs_f64();
        if state.answers_since_change >= (state.rate * step).max(1.0) {
            state.answers_since_change = 0.0;
            if !std::mem::take(&mut state.held_back) {
                return;
            }
            let threshold = self.config.slow_start_threshold;
            let mut rate =
                if self.config.slow_start && state.ceiling.is_none() && state.rate < threshold {
                    (state.rate * 2.0).min(threshold)
                } else {
                    state.rate * self.config.increase
                }
                .min(self.config.max);
            if let Some((ceiling, since)) = state.ceiling {
                // A quiet while: the service may allow more now.
                let ceiling = if now.duration_since(since) >= self.config.ceiling_probe {
                    state.ceiling = Some((ceiling * 1.05, now));
                    ceiling * 1.05
                } else {
                    ceiling
                };
                rate = rate.min((ceiling * self.config.ceiling_margin).max(state.rate));
            }
            state.rate = rate;
            state.stats.rate = state.rate;
        }
    }
}

impl Pacer for AdaptiveLimiter {
    fn admit(&self) -> Pin<Box<dyn Future<Output = ()> + Send + '_>> {
        Box::pin(self.acquire())
    }

    fn observe(&self, status: Option<u16>, retry_after: Option<Duration>, overloaded: bool) {
        self.record_answer(status, retry_after, overloaded);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> RateConfig {
        RateConfig {
            initial: 10.0,
            min: 1.0,
            max: 40.0,
            increase: 1.5,
            step: Duration::from_secs(1),
            decrease: 0.5,
            default_pause: Duration::from_secs(1),
            slow_start: false,
            slow_start_threshold: f64::INFINITY,
            ceiling_margin: 0.9,
            ceiling_probe: Duration::from_secs(3600),
        }
    }

    #[tokio::test]
    async fn requests_are_spaced_by_the_rate() {
        let limiter = AdaptiveLimiter::new(RateConfig {
            initial: 100.0,
            max: 100.0,
            ..config()
        });
        let start = Instant::now();
        for _ in 0..11 {
            limiter.acquire().await;
        }
        // Ten intervals of 10 ms after the first, which goes at once.
        let took = start.elapsed();
        assert!(took >= Duration::from_millis(100), "{took:?}");
        assert!(took < Duration::from_millis(400), "{took:?}");
    }

    #[tokio::test]
    async fn turns_go_in_the_order_they_were_asked_for() {
        use std::task::{Context, Waker};
        let limiter = AdaptiveLimiter::new(config());
        limiter.acquire().await;
        let mut cx = Context::from_waker(Waker::noop());
        // The first caller waits for the next slot, 100 ms on.
        let mut first = std::pin::pin!(limiter.acquire());
        assert!(first.as_mut().poll(&mut cx).is_pending());
        // The slot comes while the first caller has not run again yet (a busy machine): a
        // caller arriving now must not take it.
        std::thread::sleep(Duration::from_millis(150));
        let mut second = std::pin::pin!(limiter.acquire());
        assert!(
            second.as_mut().poll(&mut cx).is_pending(),
            "the later caller took the turn of the one waiting before it"
        );
        // The runtime's clock catches up; the first caller has its turn.
        tokio::time::sleep(Duration::from_millis(1)).await;
        assert!(first.as_mut().poll(&mut cx).is_ready());
        assert_eq!(limiter.stats().requests, 2);
        assert!(second.as_mut().poll(&mut cx).is_pending());
    }

    #[tokio::test]
    async fn a_429_pauses_everyone_and_halves_the_rate_once() {
        let limiter = AdaptiveLimiter::new(config());
        limiter.acquire().await;
        let start = Instant::now();
        sent_at_full_rate(&limiter);
        limiter.record(Some(429), Some(Duration::from_millis(300)));
        limiter.record(Some(429), Some(Duration::from_millis(300)));
        assert_eq!(limiter.stats().rate, 5.0);
        assert_eq!(limiter.stats().throttles, 1);
        assert_eq!(limiter.stats().throttled_at, Some(10.0));
        limiter.acquire().await;
        assert!(start.elapsed() >= Duration::from_millis(300));
        limiter.acquire().await;
        // The next one is 1 / 5 s later.
        assert!(start.elapsed() >= Duration::from_millis(500));
        assert!(start.elapsed() < Duration::from_millis(900));
    }

    /// As if the workers had kept up with the allowed rate for the last two seconds.
    fn sent_at_full_rate(limiter: &AdaptiveLimiter) {
        let mut state = limiter.lock();
        let now = Instant::now();
        state.started = now - SENT_WINDOW;
        state.sent.clear();
        let n = (state.rate * SENT_WINDOW.as_secs_f64()).round() as usize;
        state.sent.extend(std::iter::repeat_n(now, n));
    }

    /// A 429 after sending at the allowed rate.
    fn throttled(limiter: &AdaptiveLimiter) {
        sent_at_full_rate(limiter);
        limiter.record(Some(429), Some(Duration::ZERO));
    }

    /// Answers as if every request had waited for its turn.
    fn answers(limiter: &AdaptiveLimiter, n: usize, status: u16) {
        for _ in 0..n {
            limiter.lock().held_back = true;
            limiter.record(Some(status), None);
        }
    }

    #[test]
    fn a_503_or_504_without_retry_after_slows_the_run_like_a_429() {
        for status in [503, 504] {
            let limiter = AdaptiveLimiter::new(config());
            sent_at_full_rate(&limiter);
            limiter.record(Some(status), None);
            let stats = limiter.stats();
            assert_eq!(stats.throttles, 1, "{status}");
            assert_eq!(stats.rate, 5.0, "{status}");
            assert_eq!(stats.throttled_at, Some(10.0), "{status}");
        }
        // A plain refusal says nothing about the rate.
        let limiter = AdaptiveLimiter::new(config());
        sent_at_full_rate(&limiter);
        limiter.record(Some(400), None);
        limiter.record(Some(500), None);
        assert_eq!(limiter.stats().throttles, 0);
    }

    #[test]
    fn the_backends_overload_400_slows_the_run_but_a_refusal_does_not() {
        let limiter = AdaptiveLimiter::new(config());
        sent_at_full_rate(&limiter);
        let pacer: &dyn Pacer = &limiter;
        pacer.observe(Some(400), None, false);
        assert_eq!(limiter.stats().throttles, 0);
        pacer.observe(Some(400), None, true);
        let stats = limiter.stats();
        assert_eq!(stats.throttles, 1);
        assert_eq!(stats.rate, 5.0);
        assert!(
            limiter.lock().paused_until > Instant::now(),
            "everyone waits"
        );
    }

    #[test]
    fn the_cold_start_is_inside_the_documented_teams_limits_and_doubles_up_to_30_only() {
        let defaults = RateConfig::default();
        assert!(defaults.initial <= 4.0, "{defaults:?}");
        assert!(defaults.slow_start_threshold <= 30.0, "{defaults:?}");
        let limiter = AdaptiveLimiter::new(RateConfig {
            max: 500.0,
            ..defaults
        });
        assert_eq!(limiter.stats().rate, 4.0);
        // Half a second's worth of clean answers at each rate.
        answers(&limiter, 2, 202);
        assert_eq!(limiter.stats().rate, 8.0);
        answers(&limiter, 4, 202);
        answers(&limiter, 8, 202);
        assert_eq!(limiter.stats().rate, 30.0, "not 32: the documented limit");
        answers(&limiter, 15, 202);
        assert!(
            (limiter.stats().rate - 33.0).abs() < 1e-9,
            "then only `increase`"
        );
    }

    #[test]
    fn the_rate_rises_without_429s_then_stays_under_the_rate_that_drew_one() {
        let limiter = AdaptiveLimiter::new(config());
        for _ in 0..30 {
            limiter.record(Some(200), None);
        }
        assert_eq!(
            limiter.stats().rate,
            10.0,
            "nobody waited: no reason to go faster"
        );
        answers(&limiter, 10, 200);
        assert_eq!(limiter.stats().rate, 15.0);
        answers(&limiter, 200, 202);
        assert_eq!(limiter.stats().rate, 40.0, "capped at max");
        throttled(&limiter);
        assert_eq!(limiter.stats().rate, 20.0);
        answers(&limiter, 20, 200);
        assert_eq!(limiter.stats().rate, 30.0);
        answers(&limiter, 30, 200);
        // 30 * 1.5 = 45, but the ceiling is 0.9 * 40 = 36.
        assert!((limiter.stats().rate - 36.0).abs() < 1e-9);
        answers(&limiter, 400, 200);
        assert!((limiter.stats().rate - 36.0).abs() < 1e-9, "it stays there");
        limiter.record(Some(404), None);
        limiter.record(None, None);
        assert!((limiter.stats().rate - 36.0).abs() < 1e-9);
        // A 429 at 36 lowers the ceiling to min(40 × 0.95, 36) = 36; one more at 32.4 (the
        // cap) to min(36 × 0.95, 32.4) = 32.4.
        throttled(&limiter);
        answers(&limiter, 2_000, 200);
        assert!((limiter.stats().rate - 0.9 * 36.0).abs() < 1e-9);
        throttled(&limiter);
        answers(&limiter, 2_000, 200);
        assert!((limiter.stats().rate - 0.9 * 32.4).abs() < 1e-9);
    }

    #[test]
    fn slow_start_doubles_until_the_first_429() {
        let limiter = AdaptiveLimiter::new(RateConfig {
            initial: 5.0,
            max: 500.0,
            slow_start: true,
            decrease: 0.8,
            ..config()
        });
        answers(&limiter, 5, 200);
        assert_eq!(limiter.stats().rate, 10.0);
        answers(&limiter, 10, 200);
        answers(&limiter, 20, 200);
        assert_eq!(limiter.stats().rate, 40.0);
        throttled(&limiter);
        assert_eq!(limiter.stats().rate, 32.0);
        // After the first 429: `increase`, not doubling, and under 0.9 × 40.
        answers(&limiter, 32, 200);
        assert!((limiter.stats().rate - 36.0).abs() < 1e-9);
    }

    #[tokio::test(start_paused = true)]
    async fn a_quiet_minute_lifts_the_ceiling_a_little() {
        let limiter = AdaptiveLimiter::new(RateConfig {
            ceiling_probe: Duration::from_secs(60),
            ..config()
        });
        answers(&limiter, 10, 200);
        answers(&limiter, 15, 200);
        assert_eq!(limiter.stats().rate, 22.5);
        throttled(&limiter);
        answers(&limiter, 1_000, 200);
        assert!((limiter.stats().rate - 0.9 * 22.5).abs() < 1e-9);
        tokio::time::advance(Duration::from_secs(61)).await;
        answers(&limiter, 100, 200);
        let lifted = limiter.stats().rate;
        assert!((lifted - 0.9 * 22.5 * 1.05).abs() < 1e-9, "{lifted}");
    }
}

#[cfg(test)]
mod sent_rate_tests {
    use super::*;

    #[test]
    fn a_429_before_much_was_sent_pauses_and_slows_but_sets_no_ceiling() {
        let limiter = AdaptiveLimiter::new(RateConfig {
            initial: 40.0,
            max: 500.0,
            decrease: 0.5,
            slow_start: true,
            slow_start_threshold: f64::INFINITY,
            ..RateConfig::default()
        });
        limiter.lock().sent.push_back(Instant::now());
        limiter.record(Some(429), Some(Duration::ZERO));
        assert_eq!(limiter.stats().rate, 20.0);
        assert!(limiter.lock().ceiling.is_none());
        // Still in slow start: doubling.
        for _ in 0..20 {
            limiter.lock().held_back = true;
            limiter.record(Some(200), None);
        }
        assert_eq!(limiter.stats().rate, 40.0);
    }

    #[test]
    fn a_429_lowers_from_the_rate_really_sent_not_the_rate_allowed() {
        let limiter = AdaptiveLimiter::new(RateConfig {
            initial: 160.0,
            max: 500.0,
            decrease: 0.8,
            ceiling_margin: 0.9,
            ..RateConfig::default()
        });
        // The workers could only send 50 a second, far below the 160 allowed.
        {
            let mut state = limiter.lock();
            let now = Instant::now();
            state.started = now - SENT_WINDOW;
            state.sent.extend(std::iter::repeat_n(now, 100));
        }
        limiter.record(Some(429), Some(Duration::ZERO));
        let stats = limiter.stats();
        assert_eq!(stats.throttled_at, Some(50.0));
        assert_eq!(stats.rate, 40.0);
    }
}
