//! Fault injection for the fake Graph: the bad days a client must survive.
//!
//! Faults are checked before authentication, in this order: the queue of injected responses
//! (`throttle_next`, `fail_next`, `overload_next`, served in the order they were asked for),
//! then the rate limit. Doing it before authentication keeps the knobs predictable ("the next n requests",
//! whatever they are), and a gateway throttles before it looks at tokens anyway. A request
//! answered by a fault does nothing else; it still appears in the request log.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// One injected response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct InjectedFault {
    pub status: u16,
    pub retry_after: Option<Duration>,
    /// The Teams number backend's overload answer instead of the status's usual one: `400
    /// BadRequest` "Service is unavailable. Please try again" (office-docs-powershell issues
    /// 8992 and 9875). `status` is then 400.
    pub overload: bool,
}

impl InjectedFault {
    pub fn status(status: u16, retry_after: Option<Duration>) -> InjectedFault {
        InjectedFault {
            status,
            retry_after,
            overload: false,
        }
    }

    pub fn overload() -> InjectedFault {
        InjectedFault {
            status: 400,
            retry_after: None,
            overload: true,
        }
    }
}

/// A token bucket over all Graph requests.
#[derive(Debug, Clone)]
struct TokenBucket {
    per_second: f64,
    capacity: f64,
    tokens: f64,
    refilled_at: Instant,
}

impl TokenBucket {
    fn new(per_second: f64, now: Instant) -> Self {
        // A burst of one second's worth, never less than one request.
        let capacity = per_second.max(1.0);
        Self {
            per_second,
            capacity,
            tokens: capacity,
            refilled_at: now,
        }
    }

    /// Takes a token, or says how long until one is available.
    fn take(&mut self, now: Instant) -> Result<(), Duration> {
        let elapsed = now
            .saturating_duration_since(self.refilled_at)
            .as_secs_f64();
        self.tokens = (self.tokens + elapsed * self.per_second).min(self.capacity);
        self.refilled_at = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            Ok(())
        } else {
            let missing = 1.0 - self.tokens;
            Err(Duration::from_secs_f64(missing / self.per_second))
        }
    }
}

/// All fault knobs.
#[derive(Debug, Default)]
pub(crate) struct Faults {
    pub latency: Duration,
    /// Added after a Graph request was handled, before its answer leaves.
    pub answer_delay: Duration,
    queue: VecDeque<InjectedFault>,
    bucket: Option<TokenBucket>,
    pub drop_next_post: bool,
    /// The next successful Graph answer has its body cut short (not valid JSON).
    pub garble_next: bool,
    /// The next 202 to a POST comes without its `Location` header.
    pub omit_next_location: bool,
    /// The next POST that the service acts on is answered `504 GatewayTimeout` instead of its
    /// 202: the gateway stopped waiting, the backend went on.
    pub gateway_timeout_next_post: bool,
}

impl Faults {
    pub fn inject(&mut self, n: u32, fault: InjectedFault) {
        for _ in 0..n {
            self.queue.push_back(fault);
        }
    }

    /// `None` switches the limit off; a rate of zero or less refuses everything.
    pub fn set_rate_limit(&mut self, per_second: Option<f64>, now: Instant) {
        self.bucket = per_second.map(|rate| TokenBucket::new(rate.max(1e-6), now));
    }

    /// The fault that answers this request, if any.
    pub fn take(&mut self, now: Instant) -> Option<InjectedFault> {
        if let Some(fault) = self.queue.pop_front() {
            return Some(fault);
        }
        let bucket = self.bucket.as_mut()?;
        match bucket.take(now) {
            Ok(()) => None,
            Err(wait) => Some(InjectedFault::status(429, Some(wait))),
        }
    }
}

/// `Retry-After` is whole seconds; round up so that a client that obeys it is never early.
pub(crate) fn retry_after_seconds(wait: Duration) -> u64 {
    let secs = wait.as_secs();
    if wait.subsec_nanos() > 0 {
        secs + 1
    } else {
        secs
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_rounds_up() {
        assert_eq!(retry_after_seconds(Duration::ZERO), 0);
        assert_eq!(retry_after_seconds(Duration::from_millis(1)), 1);
        assert_eq!(retry_after_seconds(Duration::from_secs(2)), 2);
        assert_eq!(retry_after_seconds(Duration::from_millis(2500)), 3);
    }

    #[test]
    fn injected_faults_come_in_order_then_stop() {
        let mut faults = Faults::default();
        let now = Instant::now();
        faults.inject(2, InjectedFault::status(429, Some(Duration::from_secs(1))));
        faults.inject(1, InjectedFault::status(503, None));
        faults.inject(1, InjectedFault::overload());
        assert_eq!(faults.take(now).map(|f| f.status), Some(429));
        assert_eq!(faults.take(now).map(|f| f.status), Some(429));
        assert_eq!(faults.take(now).map(|f| f.status), Some(503));
        assert_eq!(faults.take(now), Some(InjectedFault::overload()));
        assert_eq!(faults.take(now), None);
    }

    #[test]
    fn the_bucket_allows_a_burst_then_refills() {
        let mut faults = Faults::default();
        let t0 = Instant::now();
        faults.set_rate_limit(Some(2.0), t0);
        assert!(faults.take(t0).is_none());
        assert!(faults.take(t0).is_none());
        let refused = faults
            .take(t0)
            .expect("third request in the same instant is throttled");
        assert_eq!(refused.status, 429);
        assert_eq!(refused.retry_after.map(retry_after_seconds), Some(1));
        assert!(faults.take(t0 + Duration::from_millis(500)).is_none());
        faults.set_rate_limit(None, t0);
        assert!(faults.take(t0).is_none());
    }
}
