//! Fault injection: failed responses, dropped connections, slow responses and cut event streams.

use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use axum::http::StatusCode;

use crate::error::ApiError;

/// Faults that the server injects into its next responses, shared with the running server.
///
/// Every method takes `&self`, so a test can change the faults while
/// requests are in flight. Each injected fault is counted in
/// [`Stats::faults_injected`](crate::Stats::faults_injected) and logged.
///
/// ```no_run
/// # async fn example() -> std::io::Result<()> {
/// use kataven_emulator::{Emulator, EmulatorConfig};
///
/// let emulator = Emulator::start(EmulatorConfig::default()).await?;
/// // The next two requests get 503 `unavailable` with `Retry-After: 1`.
/// emulator.faults().fail_next(2, 503, Some("1".to_owned()));
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Default)]
pub struct Faults {
    failure: Mutex<Option<PlannedFailure>>,
    resets: AtomicU32,
    delay: Mutex<Duration>,
    stream_cut: Mutex<Option<u64>>,
    injected: AtomicU64,
}

#[derive(Debug)]
struct PlannedFailure {
    remaining: u32,
    status: StatusCode,
    retry_after: Option<String>,
}

impl Faults {
    /// Fails the next `n` requests with `status` and an `Error` body.
    ///
    /// The `code` of the body is the one the spec pairs with the status:
    /// `rate_limited` for 429, `internal` for 500, `unavailable` for 503 and
    /// other 5XX, `invalid_request` for a 4XX without its own code. A status
    /// outside 400..=599 is sent as 500. The response carries
    /// `Retry-After: <retry_after>` when it is `Some`; the spec requires the
    /// header on 429 and 503, so pass `Some` to stay within the contract.
    /// The failure applies to every route, before authentication, but never
    /// to an event stream whose body has started. A new call replaces the
    /// failures still planned.
    pub fn fail_next(&self, n: u32, status: u16, retry_after: Option<String>) {
        let status = StatusCode::from_u16(status)
            .ok()
            .filter(|status| status.is_client_error() || status.is_server_error())
            .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let planned = (n > 0).then_some(PlannedFailure {
            remaining: n,
            status,
            retry_after,
        });
        *lock(&self.failure) = planned;
    }

    /// Drops the connection of each of the next `n` requests without sending a response.
    ///
    /// The server closes the connection before it writes any response byte,
    /// so the client sees a connection error. A new call replaces the count
    /// still planned.
    pub fn reset_next(&self, n: u32) {
        self.resets.store(n, Ordering::SeqCst);
    }

    /// Delays every response by `delay` until it is set back to zero.
    pub fn delay_responses(&self, delay: Duration) {
        *lock(&self.delay) = delay;
    }

    /// Closes each new event-stream connection abruptly after it has sent `n_events` events.
    ///
    /// The value is read when a stream opens, and `None` turns the fault off.
    /// The connection is closed without the end of the chunked body, so the
    /// client sees a broken stream and not a clean end.
    pub fn cut_streams_after(&self, n_events: Option<u64>) {
        *lock(&self.stream_cut) = n_events;
    }

    /// Takes one planned failure, if any is left.
    pub(crate) fn take_failure(&self) -> Option<ApiError> {
        let mut planned = lock(&self.failure);
        let failure = planned.as_mut()?;
        failure.remaining -= 1;

        let error = ApiError::new(
            failure.status,
            ApiError::code_for_status(failure.status),
            format!(
                "injected fault: the emulator failed this request with status {}; retry it",
                failure.status.as_u16()
            ),
        )
        .retry_after(failure.retry_after.clone());

        if failure.remaining == 0 {
            *planned = None;
        }
        self.count_injected();
        Some(error)
    }

    /// Takes one planned connection reset, if any is left.
    pub(crate) fn take_reset(&self) -> bool {
        let taken = self
            .resets
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |left| {
                left.checked_sub(1)
            })
            .is_ok();
        if taken {
            self.count_injected();
        }
        taken
    }

    pub(crate) fn response_delay(&self) -> Duration {
        *lock(&self.delay)
    }

    pub(crate) fn stream_cut(&self) -> Option<u64> {
        *lock(&self.stream_cut)
    }

    pub(crate) fn count_injected(&self) {
        self.injected.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn injected(&self) -> u64 {
        self.injected.load(Ordering::Relaxed)
    }
}

/// Locks a fault setting. A panic elsewhere cannot leave one of these half-written, so a poisoned lock is used as is.
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fail_next_counts_down() {
        let faults = Faults::default();
        faults.fail_next(2, 503, Some("7".to_owned()));
        assert!(faults.take_failure().is_some());
        assert!(faults.take_failure().is_some());
        assert!(faults.take_failure().is_none());
        assert_eq!(faults.injected(), 2);
    }

    #[test]
    fn fail_next_maps_invalid_status_to_500() {
        let faults = Faults::default();
        faults.fail_next(1, 200, None);
        let error = faults.take_failure();
        assert_eq!(
            error.map(|error| error.status()),
            Some(StatusCode::INTERNAL_SERVER_ERROR)
        );
    }

    #[test]
    fn reset_next_counts_down() {
        let faults = Faults::default();
        faults.reset_next(1);
        assert!(faults.take_reset());
        assert!(!faults.take_reset());
    }
}
