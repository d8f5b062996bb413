//! Progress and cancellation for long reads (the whole number inventory, thousands of users).
//!
//! A [`CancelToken`] is checked before every request and raced against the request in flight,
//! so Cancel takes effect within one answer's time at most, and never leaves a half-read page
//! behind: a cancelled read returns nothing rather than a part that looks whole.

use std::future::Future;
use tokio::sync::watch;

/// Shared "stop now" for a read; cheap to clone, every clone sees the same state.
#[derive(Clone, Debug)]
pub struct CancelToken {
    sender: std::sync::Arc<watch::Sender<bool>>,
}

impl Default for CancelToken {
    fn default() -> Self {
        CancelToken::new()
    }
}

impl CancelToken {
    pub fn new() -> CancelToken {
        CancelToken {
            sender: std::sync::Arc::new(watch::channel(false).0),
        }
    }

    /// Asks every read holding this token to stop.
    pub fn cancel(&self) {
        self.sender.send_replace(true);
    }

    pub fn is_cancelled(&self) -> bool {
        *self.sender.borrow()
    }

    /// Resolves once [`CancelToken::cancel`] is called (at once if it already was).
    pub async fn cancelled(&self) {
        let mut receiver = self.sender.subscribe();
        let _ = receiver.wait_for(|stop| *stop).await;
    }

    /// `work`, unless cancelled first: `None` when cancelled (the work is dropped).
    pub async fn run<T>(&self, work: impl Future<Output = T>) -> Option<T> {
        if self.is_cancelled() {
            return None;
        }
        tokio::select! {
            biased;
            _ = self.cancelled() => None,
            value = work => Some(value),
        }
    }
}

/// How far a paged read has come.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ListProgress {
    /// Rows read so far (readable or not).
    pub rows: usize,
    /// Requests sent so far.
    pub requests: usize,
}

/// What a paged read is told after every page.
pub type ProgressFn<'a> = &'a (dyn Fn(ListProgress) + Send + Sync);
