//! Retries with exponential backoff and full jitter, within an optional
//! overall deadline.
//!
//! Every call of the crate, generated or handwritten, goes through
//! [`run`], so the retry rules live here only:
//!
//! - connection failures that happened before anything was sent are retried
//!   for every operation;
//! - timeouts, broken connections and the statuses 408, 429, 500, 502, 503
//!   and 504 are retried too, because every operation is safe to repeat:
//!   GET, DELETE, the lifecycle transitions, and `create`, which always
//!   sends an idempotency key;
//! - the delay before retry `n` (counting from 0) is a random duration
//!   between zero and `min(max_delay, base_delay * 2^n)`, unless the Hub
//!   sent `Retry-After`, which is honoured up to `max_delay`;
//! - the deadline bounds the whole call: an attempt still in flight when it
//!   passes is cancelled and the call fails with a timeout, and a retry
//!   whose delay would end after it is not made.

use std::future::Future;
use std::time::{Duration, SystemTime};

use reqwest::StatusCode;
use tokio::time::Instant;

use crate::error::{Error, ErrorKind};

/// When and how often failed requests are retried.
///
/// A retry waits a random delay between zero and
/// `min(max_delay, base_delay * 2^n)` before retry `n` (counting from 0),
/// which is exponential backoff with full jitter. When the Hub sends
/// `Retry-After`, as delay seconds or as an HTTP date, the retry waits that
/// long instead, capped at `max_delay`. Each retry is logged with
/// `tracing::warn!`, with the operation, the attempt that failed, the delay
/// and the reason. [`ClientBuilder::deadline`](crate::ClientBuilder::deadline)
/// bounds a call's attempts and delays together.
///
/// ```
/// use std::time::Duration;
/// use kataven::RetryPolicy;
///
/// let policy = RetryPolicy::default()
///     .max_retries(4)
///     .base_delay(Duration::from_millis(100));
/// assert_eq!(policy.get_max_retries(), 4);
/// assert_eq!(policy.get_max_delay(), RetryPolicy::DEFAULT_MAX_DELAY);
/// assert_eq!(RetryPolicy::disabled().get_max_retries(), 0);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use]
pub struct RetryPolicy {
    max_retries: u32,
    base_delay: Duration,
    max_delay: Duration,
}

impl RetryPolicy {
    /// Retries after the first attempt: 2, so a call makes at most 3
    /// attempts. This is the default.
    pub const DEFAULT_MAX_RETRIES: u32 = 2;
    /// Base of the exponential backoff: 250 ms. This is the default.
    pub const DEFAULT_BASE_DELAY: Duration = Duration::from_millis(250);
    /// Cap on one delay, including one that `Retry-After` requests: 30 s.
    /// This is the default.
    pub const DEFAULT_MAX_DELAY: Duration = Duration::from_secs(30);

    /// Returns a policy that never retries: every call makes one attempt.
    pub fn disabled() -> Self {
        Self::default().max_retries(0)
    }

    /// Sets how many times a failed request is retried after the first
    /// attempt. 0 turns retries off. The default is
    /// [`DEFAULT_MAX_RETRIES`](Self::DEFAULT_MAX_RETRIES).
    pub fn max_retries(mut self, max_retries: u32) -> Self {
        self.max_retries = max_retries;
        self
    }

    /// Sets the base of the exponential backoff. The default is
    /// [`DEFAULT_BASE_DELAY`](Self::DEFAULT_BASE_DELAY).
    pub fn base_delay(mut self, base_delay: Duration) -> Self {
        self.base_delay = base_delay;
        self
    }

    /// Sets the cap on one delay, which also caps `Retry-After`. The default
    /// is [`DEFAULT_MAX_DELAY`](Self::DEFAULT_MAX_DELAY).
    pub fn max_delay(mut self, max_delay: Duration) -> Self {
        self.max_delay = max_delay;
        self
    }

    /// Returns the number of retries after the first attempt.
    pub fn get_max_retries(&self) -> u32 {
        self.max_retries
    }

    /// Returns the base of the exponential backoff.
    pub fn get_base_delay(&self) -> Duration {
        self.base_delay
    }

    /// Returns the cap on one delay.
    pub fn get_max_delay(&self) -> Duration {
        self.max_delay
    }

    /// Returns the delay before retry number `retry` (from 0): full jitter
    /// over the capped exponential backoff, or `retry_after` when the Hub
    /// sent one, capped at the maximum delay.
    pub(crate) fn delay(&self, retry: u32, retry_after: Option<Duration>) -> Duration {
        if let Some(requested) = retry_after {
            return requested.min(self.max_delay);
        }
        let ceiling = backoff_ceiling(self.base_delay, self.max_delay, retry);
        ceiling.mul_f64(fastrand::f64())
    }
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_retries: Self::DEFAULT_MAX_RETRIES,
            base_delay: Self::DEFAULT_BASE_DELAY,
            max_delay: Self::DEFAULT_MAX_DELAY,
        }
    }
}

/// `min(max, base * 2^attempt)`, without overflow.
pub(crate) fn backoff_ceiling(base: Duration, max: Duration, attempt: u32) -> Duration {
    let factor = 2u32.checked_pow(attempt.min(31)).unwrap_or(u32::MAX);
    base.checked_mul(factor).unwrap_or(max).min(max)
}

/// The statuses that are worth retrying: 408, 429, 500, 502, 503 and 504.
pub(crate) fn is_retryable_status(status: StatusCode) -> bool {
    matches!(status.as_u16(), 408 | 429 | 500 | 502 | 503 | 504)
}

/// Parses `Retry-After` as delay seconds or an HTTP date.
pub(crate) fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let date = httpdate::parse_http_date(value).ok()?;
    Some(date.duration_since(now).unwrap_or(Duration::ZERO))
}

/// A failed attempt, with what the retry decision needs.
#[derive(Debug)]
pub(crate) struct Failure {
    pub(crate) error: Error,
    pub(crate) retry_after: Option<Duration>,
}

impl From<Error> for Failure {
    fn from(error: Error) -> Self {
        Self {
            error,
            retry_after: None,
        }
    }
}

/// Every operation of the Hub API is safe to repeat: GET and DELETE, the
/// lifecycle transitions (a repeated one finds the target status), and
/// `create`, which always sends an idempotency key.
fn should_retry(failure: &Failure) -> bool {
    failure.error.kind() == ErrorKind::Connect || failure.error.is_transient()
}

/// Runs `attempt` until it succeeds, fails for good, runs out of retries, or
/// runs into `deadline`. `attempt` receives the attempt number from 0 and
/// builds a fresh request each time.
///
/// An attempt still running at `deadline` is cancelled, and the call fails
/// with an error of kind [`Timeout`](ErrorKind::Timeout). A retry whose
/// delay would end at or after `deadline` is not made: the call returns the
/// last failure at once instead of sleeping.
pub(crate) async fn run<T, F, Fut>(
    policy: &RetryPolicy,
    operation: &'static str,
    deadline: Option<Instant>,
    mut attempt: F,
) -> Result<T, Error>
where
    F: FnMut(u32) -> Fut,
    Fut: Future<Output = Result<T, Failure>>,
{
    let mut retry = 0u32;
    let mut earlier_reached_hub = false;
    loop {
        let outcome = match deadline {
            Some(deadline) => match tokio::time::timeout_at(deadline, attempt(retry)).await {
                Ok(outcome) => outcome,
                Err(_) => {
                    return Err(deadline_passed().with_attempts(retry + 1, earlier_reached_hub))
                }
            },
            None => attempt(retry).await,
        };
        let failure = match outcome {
            Ok(value) => return Ok(value),
            Err(failure) => failure,
        };
        let give_up =
            |failure: Failure| Err(failure.error.with_attempts(retry + 1, earlier_reached_hub));
        if retry >= policy.max_retries || !should_retry(&failure) {
            return give_up(failure);
        }

        let delay = policy.delay(retry, failure.retry_after);
        if deadline.is_some_and(|deadline| Instant::now() + delay >= deadline) {
            tracing::debug!(
                operation,
                attempt = retry + 1,
                delay_ms = millis(delay),
                "not retrying Hub request: the delay would end after the deadline"
            );
            return give_up(failure);
        }
        earlier_reached_hub |= failure.error.may_have_reached_hub();
        tracing::warn!(
            operation,
            attempt = retry + 1,
            max_retries = policy.max_retries,
            delay_ms = millis(delay),
            reason = %failure.error,
            "retrying Hub request"
        );
        tokio::time::sleep(delay).await;
        retry += 1;
    }
}

/// Builds the error of a call that was still running at its deadline. The
/// attempt in flight may have reached the Hub.
fn deadline_passed() -> Error {
    Error::new(ErrorKind::Timeout)
        .with_reached_hub(true)
        .with_message(
            "the call did not finish before the deadline set by ClientBuilder::deadline; the \
             attempt in flight was cancelled",
        )
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;

    use super::*;

    /// Returns a failure that is retried after `retry_after` when given.
    fn transient(retry_after: Option<Duration>) -> Failure {
        Failure {
            error: Error::new(ErrorKind::Transport).with_reached_hub(true),
            retry_after,
        }
    }

    /// Sleeps past every deadline in these tests, then succeeds.
    async fn hang() -> Result<(), Failure> {
        tokio::time::sleep(Duration::from_secs(3600)).await;
        Ok(())
    }

    fn policy(max_retries: u32) -> RetryPolicy {
        RetryPolicy::default()
            .max_retries(max_retries)
            .base_delay(Duration::from_millis(10))
            .max_delay(Duration::from_secs(60))
    }

    #[tokio::test(start_paused = true)]
    async fn run_retries_until_success() {
        let attempts = Cell::new(0);
        let result = run(&policy(3), "test", None, |attempt| {
            attempts.set(attempts.get() + 1);
            async move {
                if attempt < 3 {
                    Err(transient(None))
                } else {
                    Ok(attempt)
                }
            }
        })
        .await;
        assert_eq!(result.unwrap(), 3);
        assert_eq!(attempts.get(), 4);
    }

    #[tokio::test(start_paused = true)]
    async fn run_stops_after_max_retries() {
        let attempts = Cell::new(0);
        let error = run(&policy(2), "test", None, |_| {
            attempts.set(attempts.get() + 1);
            async { Err::<(), _>(transient(None)) }
        })
        .await
        .unwrap_err();
        assert_eq!(attempts.get(), 3);
        assert_eq!(error.attempts(), 3);
        assert_eq!(error.kind(), ErrorKind::Transport);
    }

    #[tokio::test(start_paused = true)]
    async fn run_disabled_makes_one_attempt() {
        let attempts = Cell::new(0);
        let error = run(&RetryPolicy::disabled(), "test", None, |_| {
            attempts.set(attempts.get() + 1);
            async { Err::<(), _>(transient(None)) }
        })
        .await
        .unwrap_err();
        assert_eq!(attempts.get(), 1);
        assert_eq!(error.attempts(), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn run_does_not_retry_client_errors() {
        let attempts = Cell::new(0);
        let error = run(&policy(5), "test", None, |_| {
            attempts.set(attempts.get() + 1);
            async {
                Err::<(), _>(Failure::from(
                    Error::new(ErrorKind::Status).with_status(StatusCode::NOT_FOUND),
                ))
            }
        })
        .await
        .unwrap_err();
        assert_eq!(attempts.get(), 1);
        assert_eq!(error.status(), Some(StatusCode::NOT_FOUND));
    }

    #[tokio::test(start_paused = true)]
    async fn run_waits_for_retry_after() {
        let start = Instant::now();
        let result = run(&policy(1), "test", None, |attempt| async move {
            if attempt == 0 {
                Err(transient(Some(Duration::from_secs(7))))
            } else {
                Ok(())
            }
        })
        .await;
        assert!(result.is_ok());
        assert_eq!(start.elapsed(), Duration::from_secs(7));
    }

    #[tokio::test(start_paused = true)]
    async fn deadline_cancels_attempt_in_flight() {
        let start = Instant::now();
        let deadline = start + Duration::from_secs(2);
        let error = run(&policy(3), "test", Some(deadline), |_| hang())
            .await
            .unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Timeout);
        assert!(error.may_have_reached_hub());
        assert_eq!(error.attempts(), 1);
        assert!(error.to_string().contains("deadline"), "{error}");
        assert_eq!(start.elapsed(), Duration::from_secs(2));
    }

    #[tokio::test(start_paused = true)]
    async fn deadline_cancels_retry_in_flight() {
        let start = Instant::now();
        let deadline = start + Duration::from_secs(2);
        let error = run(&policy(3), "test", Some(deadline), |attempt| async move {
            if attempt == 0 {
                Err(transient(Some(Duration::from_millis(500))))
            } else {
                hang().await
            }
        })
        .await
        .unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Timeout);
        assert_eq!(error.attempts(), 2);
        assert!(error.earlier_attempt_may_have_reached_hub());
        assert_eq!(start.elapsed(), Duration::from_secs(2));
    }

    #[tokio::test(start_paused = true)]
    async fn deadline_skips_retry_that_would_end_after_it() {
        let start = Instant::now();
        let deadline = start + Duration::from_secs(1);
        let attempts = Cell::new(0);
        let error = run(&policy(3), "test", Some(deadline), |_| {
            attempts.set(attempts.get() + 1);
            async { Err::<(), _>(transient(Some(Duration::from_secs(5)))) }
        })
        .await
        .unwrap_err();
        assert_eq!(attempts.get(), 1);
        assert_eq!(error.kind(), ErrorKind::Transport, "the last failure");
        assert_eq!(
            start.elapsed(),
            Duration::ZERO,
            "no sleep past the deadline"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn deadline_allows_retries_that_fit() {
        let start = Instant::now();
        let deadline = start + Duration::from_millis(250);
        let attempts = Cell::new(0);
        let error = run(&policy(5), "test", Some(deadline), |_| {
            attempts.set(attempts.get() + 1);
            async { Err::<(), _>(transient(Some(Duration::from_millis(100)))) }
        })
        .await
        .unwrap_err();
        // Attempts at 0, 100 and 200 ms; a retry at 300 ms would pass 250 ms.
        assert_eq!(attempts.get(), 3);
        assert_eq!(error.attempts(), 3);
        assert_eq!(start.elapsed(), Duration::from_millis(200));
    }

    #[test]
    fn backoff_ceiling_doubles_then_caps() {
        let base = Duration::from_millis(100);
        let max = Duration::from_secs(1);
        assert_eq!(backoff_ceiling(base, max, 0), Duration::from_millis(100));
        assert_eq!(backoff_ceiling(base, max, 3), Duration::from_millis(800));
        assert_eq!(backoff_ceiling(base, max, 4), max);
        assert_eq!(backoff_ceiling(base, max, 200), max);
    }

    #[test]
    fn delay_stays_within_ceiling() {
        let policy = RetryPolicy::default()
            .base_delay(Duration::from_millis(100))
            .max_delay(Duration::from_millis(300));
        for retry in 0..10 {
            let delay = policy.delay(retry, None);
            assert!(
                delay
                    <= backoff_ceiling(
                        Duration::from_millis(100),
                        Duration::from_millis(300),
                        retry
                    )
            );
        }
    }

    #[test]
    fn retry_after_is_capped() {
        let policy = RetryPolicy::default().max_delay(Duration::from_secs(5));
        assert_eq!(
            policy.delay(0, Some(Duration::from_secs(3))),
            Duration::from_secs(3)
        );
        assert_eq!(
            policy.delay(0, Some(Duration::from_secs(600))),
            Duration::from_secs(5)
        );
    }

    #[test]
    fn retry_after_as_seconds() {
        let now = SystemTime::UNIX_EPOCH;
        assert_eq!(parse_retry_after(" 7 ", now), Some(Duration::from_secs(7)));
    }

    #[test]
    fn retry_after_as_http_date() {
        let now = httpdate::parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT").unwrap();
        let later = parse_retry_after("Sun, 06 Nov 1994 08:50:07 GMT", now);
        assert_eq!(later, Some(Duration::from_secs(30)));
    }

    #[test]
    fn retry_after_in_the_past_is_zero() {
        let now = httpdate::parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT").unwrap();
        let earlier = parse_retry_after("Sun, 06 Nov 1994 08:00:00 GMT", now);
        assert_eq!(earlier, Some(Duration::ZERO));
    }

    #[test]
    fn retry_after_invalid_is_ignored() {
        assert_eq!(parse_retry_after("soon", SystemTime::now()), None);
        assert_eq!(parse_retry_after("-1", SystemTime::now()), None);
    }

    #[test]
    fn retryable_statuses() {
        for code in [408, 429, 500, 502, 503, 504] {
            assert!(
                is_retryable_status(StatusCode::from_u16(code).unwrap()),
                "{code}"
            );
        }
        for code in [400, 401, 404, 409, 413, 422, 501] {
            assert!(
                !is_retryable_status(StatusCode::from_u16(code).unwrap()),
                "{code}"
            );
        }
    }
}
