//! The one rate a bulk run keeps: an adaptive limiter every Graph request of the run waits on.
//!
//! Why one limiter for the whole run, not one per worker: Microsoft throttles the app in the
//! tenant, not a connection. When one worker gets a 429 the others are about to get theirs, so
//! the pause (`Retry-After`) and the slower rate apply to every worker at once; otherwise each
//! would learn the limit separately and the run would keep hammering a service that said stop.
//!
//! Why adaptive: no limit for the telephone-number API is documented (graph-api.md §4.2), so
//! the run finds it. It starts modestly, raises the rate by a little after each second's worth
//! of answers without a 429 (multiplicative increase, slower once near a rate that was
//! throttled before), and halves it on a 429 (at most once per pause, so a burst of 429s from
//! requests already on their way counts as one signal).
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
    /// Factor applied after a second's worth of answers without a 429.
    pub increase: f64,
    /// Factor applied on a 429.
    pub decrease: f64,
    /// The pause when a 429 carries no `Retry-After`.
    pub default_pause: Duration,
}

impl Default for RateConfig {
    fn default() -> Self {
        RateConfig {
            initial: 4.0,
            min: 0.5,
            max: 50.0,
            increase: 1.1,
            decrease: 0.5,
            default_pause: Duration::from_secs(5),
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
    stats: RateStats,
}

/// The shared, adaptive token spacing of one run.
#[derive(Debug)]
pub struct AdaptiveLimiter {
    config: RateConfig,
    state: Mutex<State>,
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
                stats: RateStats {
                    rate,
                    ..RateStats::default()
                },
            }),
            config,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn stats(&self) -> RateStats {
        self.lock().stats.clone()
    }

    /// Waits for the next turn. Re-checks after every sleep, so a pause that began meanwhile
    /// holds back requests that were already waiting.
    pub async fn acquire(&self) {
        loop {
            let wake_at = {
                let mut state = self.lock();
                let now = Instant::now();
                let slot = state.next_slot.max(state.paused_until);
                if slot <= now {
                    let interval = Duration::from_secs_f64(1.0 / state.rate);
                    state.next_slot = state.next_slot.max(now) + interval;
                    state.stats.requests += 1;
                    return;
                }
                state.held_back = true;
                slot
            };
            tokio::time::sleep_until(wake_at).await;
        }
    }

    /// Hears one answer (`None`: no answer at all).
    pub fn record(&self, status: Option<u16>, retry_after: Option<Duration>) {
        let mut state = self.lock();
        let now = Instant::now();
        let throttled = status == Some(429) || (status == Some(503) && retry_after.is_some());
        if throttled {
            let pause = retry_after.unwrap_or(self.config.default_pause);
            // 429s for requests sent before the pause began are the same signal.
            if now >= state.paused_until {
                state.stats.throttled_at = Some(state.rate);
                state.rate = (state.rate * self.config.decrease).max(self.config.min);
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
        if state.answers_since_change >= state.rate.max(1.0) {
            state.answers_since_change = 0.0;
            if !std::mem::take(&mut state.held_back) {
                return;
            }
            // Near a rate that was throttled before, creep instead of stepping.
            let factor = match state.stats.throttled_at {
                Some(limit) if state.rate * self.config.increase > limit * 0.9 => {
                    1.0 + (self.config.increase - 1.0) / 5.0
                }
                _ => self.config.increase,
            };
            state.rate = (state.rate * factor).min(self.config.max);
            state.stats.rate = state.rate;
        }
    }
}

impl Pacer for AdaptiveLimiter {
    fn admit(&self) -> Pin<Box<dyn Future<Output = ()> + Send + '_>> {
        Box::pin(self.acquire())
    }

    fn observe(&self, status: Option<u16>, retry_after: Option<Duration>) {
        self.record(status, retry_after);
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
            decrease: 0.5,
            default_pause: Duration::from_secs(1),
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
    async fn a_429_pauses_everyone_and_halves_the_rate_once() {
        let limiter = AdaptiveLimiter::new(config());
        limiter.acquire().await;
        let start = Instant::now();
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

    /// Answers as if every request had waited for its turn.
    fn answers(limiter: &AdaptiveLimiter, n: usize, status: u16) {
        for _ in 0..n {
            limiter.lock().held_back = true;
            limiter.record(Some(status), None);
        }
    }

    #[test]
    fn the_rate_rises_slowly_without_429s_and_creeps_near_the_old_limit() {
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
        limiter.record(Some(429), Some(Duration::ZERO));
        assert_eq!(limiter.stats().rate, 20.0);
        answers(&limiter, 20, 200);
        assert_eq!(limiter.stats().rate, 30.0);
        answers(&limiter, 30, 200);
        // 30 * 1.5 = 45 > 0.9 * 40: only +10 %.
        assert!((limiter.stats().rate - 33.0).abs() < 1e-9);
        limiter.record(Some(404), None);
        limiter.record(None, None);
        assert!((limiter.stats().rate - 33.0).abs() < 1e-9);
    }
}
