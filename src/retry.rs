//! Retries with exponential backoff and full jitter.
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
//! - the delay before attempt `n` (counting retries from 0) is a random
//!   duration between zero and `min(max_delay, base_delay * 2^n)`, unless
//!   the Hub sent `Retry-After`, which is honoured up to `max_delay`;
//! - no retry starts after the overall deadline.

use std::future::Future;
use std::time::{Duration, SystemTime};

use reqwest::StatusCode;
use tokio::time::Instant;

use crate::error::{Error, ErrorKind};

/// When and how often failed requests are retried.
///
/// ```
/// use std::time::Duration;
/// use kataven::RetryPolicy;
///
/// let policy = RetryPolicy::default()
///     .max_retries(4)
///     .base_delay(Duration::from_millis(100));
/// assert_eq!(policy.get_max_retries(), 4);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use]
pub struct RetryPolicy {
    max_retries: u32,
    base_delay: Duration,
    max_delay: Duration,
}

impl RetryPolicy {
    /// The default number of retries after the first attempt: 2.
    pub const DEFAULT_MAX_RETRIES: u32 = 2;
    /// The default base of the exponential backoff: 250 ms.
    pub const DEFAULT_BASE_DELAY: Duration = Duration::from_millis(250);
    /// The default cap on one delay, including one that `Retry-After` asks
    /// for: 30 s.
    pub const DEFAULT_MAX_DELAY: Duration = Duration::from_secs(30);

    /// A policy that never retries.
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
/// would retry past `deadline`. `attempt` receives the attempt number from
/// 0 and builds a fresh request each time.
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
        let failure = match attempt(retry).await {
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
            return give_up(failure);
        }
        earlier_reached_hub |= failure.error.may_have_reached_hub();
        tracing::warn!(
            operation,
            attempt = retry + 1,
            delay_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
            reason = %failure.error,
            "retrying Hub request"
        );
        tokio::time::sleep(delay).await;
        retry += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
