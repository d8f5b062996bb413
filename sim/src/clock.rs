//! Time the sim can save: an `Instant` means nothing to another process, so saved state holds
//! unix milliseconds, converted through one (`Instant`, `SystemTime`) pair taken when the sim
//! starts ([`Clock`]). That makes the conversion an exact round trip (see `persist.rs`).

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// One moment seen by both clocks; converts between them for this process.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Clock {
    instant: Instant,
    wall: SystemTime,
}

impl Clock {
    pub fn now() -> Self {
        Self {
            instant: Instant::now(),
            wall: SystemTime::now(),
        }
    }

    /// The anchor's `Instant`: no later than any `now` the sim will see.
    pub fn instant(&self) -> Instant {
        self.instant
    }

    /// The wall-clock time of `at`.
    pub fn wall_of(&self, at: Instant) -> SystemTime {
        let converted = if at >= self.instant {
            self.wall.checked_add(at - self.instant)
        } else {
            self.wall.checked_sub(self.instant - at)
        };
        converted.unwrap_or(self.wall)
    }

    /// The `Instant` of a wall-clock time, or `None` when this process's monotonic clock
    /// cannot express it (typically: before the machine booted).
    pub fn instant_of(&self, at: SystemTime) -> Option<Instant> {
        match at.duration_since(self.wall) {
            Ok(ahead) => self.instant.checked_add(ahead),
            Err(behind) => self.instant.checked_sub(behind.duration()),
        }
    }
}

/// Milliseconds since the Unix epoch (0 before it).
pub(crate) fn unix_millis(at: SystemTime) -> u64 {
    at.duration_since(UNIX_EPOCH).map(millis_of).unwrap_or(0)
}

/// The inverse of [`unix_millis`].
pub(crate) fn from_unix_millis(ms: u64) -> SystemTime {
    UNIX_EPOCH
        .checked_add(Duration::from_millis(ms))
        .unwrap_or(UNIX_EPOCH)
}

/// A duration in whole milliseconds, saturating.
pub(crate) fn millis_of(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}
