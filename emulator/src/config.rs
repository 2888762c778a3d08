//! The emulator's settings.

use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

/// The API key that the emulator accepts unless [`EmulatorConfig::api_key`] sets another.
pub const DEFAULT_API_KEY: &str = "kataven-emulator-key";

/// Settings for an [`Emulator`](crate::Emulator).
///
/// Every builder method returns the changed config, and every default is the
/// one its method documents.
///
/// ```
/// use std::time::Duration;
/// use kataven_emulator::EmulatorConfig;
///
/// let config = EmulatorConfig::default()
///     .api_key("test-key")
///     .time_scale(1000.0)
///     .heartbeat_interval(Duration::from_millis(200));
/// assert_eq!(config.api_key_value(), "test-key");
/// ```
#[derive(Clone)]
pub struct EmulatorConfig {
    pub(crate) api_key: String,
    pub(crate) time_scale: f64,
    pub(crate) seed: u64,
    pub(crate) tenant_max_concurrent_calls: u32,
    pub(crate) heartbeat_interval: Duration,
    pub(crate) max_upload_bytes: u64,
    pub(crate) max_events_retained: usize,
    pub(crate) bind: SocketAddr,
}

impl Default for EmulatorConfig {
    fn default() -> Self {
        Self {
            api_key: DEFAULT_API_KEY.to_owned(),
            time_scale: 60.0,
            seed: 42,
            tenant_max_concurrent_calls: 50,
            heartbeat_interval: Duration::from_secs(15),
            max_upload_bytes: 268_435_456,
            max_events_retained: 10_000,
            bind: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
        }
    }
}

impl std::fmt::Debug for EmulatorConfig {
    // The API key is a secret, so it never reaches a log through `Debug`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmulatorConfig")
            .field("api_key", &"<redacted>")
            .field("time_scale", &self.time_scale)
            .field("seed", &self.seed)
            .field(
                "tenant_max_concurrent_calls",
                &self.tenant_max_concurrent_calls,
            )
            .field("heartbeat_interval", &self.heartbeat_interval)
            .field("max_upload_bytes", &self.max_upload_bytes)
            .field("max_events_retained", &self.max_events_retained)
            .field("bind", &self.bind)
            .finish()
    }
}

impl EmulatorConfig {
    /// Sets the API key that requests must send as `Authorization: Bearer <key>`.
    ///
    /// The default is `"kataven-emulator-key"`.
    #[must_use]
    pub fn api_key(mut self, api_key: impl Into<String>) -> Self {
        self.api_key = api_key.into();
        self
    }

    /// Sets how many simulated seconds pass per real second.
    ///
    /// Call durations, retry delays and the wait of a scheduled campaign are
    /// divided by this factor. It must be finite and greater than zero. The
    /// default is `60.0`, so a 3-minute call lasts 3 real seconds.
    #[must_use]
    pub fn time_scale(mut self, time_scale: f64) -> Self {
        self.time_scale = time_scale;
        self
    }

    /// Sets the seed of the simulated call outcomes and of the generated ids.
    ///
    /// The same seed and the same requests give the same outcomes. The
    /// default is `42`.
    #[must_use]
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Sets the maximum number of calls in flight across all campaigns.
    ///
    /// It must be at least 1. The default is `50`.
    #[must_use]
    pub fn tenant_max_concurrent_calls(mut self, max: u32) -> Self {
        self.tenant_max_concurrent_calls = max;
        self
    }

    /// Sets the real time between two `: heartbeat` comments of an idle event stream.
    ///
    /// It must be greater than zero. The default is 15 seconds, which is not
    /// divided by the time scale.
    #[must_use]
    pub fn heartbeat_interval(mut self, interval: Duration) -> Self {
        self.heartbeat_interval = interval;
        self
    }

    /// Sets the maximum size in bytes of an uploaded contacts CSV.
    ///
    /// A larger upload is rejected with 413 `payload_too_large`. The default
    /// is `268435456` (256 MiB), the Hub's limit.
    #[must_use]
    pub fn max_upload_bytes(mut self, max: u64) -> Self {
        self.max_upload_bytes = max;
        self
    }

    /// Sets how many of a campaign's most recent events the emulator keeps for replay.
    ///
    /// It must be at least 1. The default is `10000`, the Hub's number.
    #[must_use]
    pub fn max_events_retained(mut self, max: usize) -> Self {
        self.max_events_retained = max;
        self
    }

    /// Sets the address that the server listens on.
    ///
    /// It must be a loopback address, because the emulator serves local
    /// tests only. The default is `127.0.0.1:0`, which picks a free port.
    #[must_use]
    pub fn bind(mut self, address: SocketAddr) -> Self {
        self.bind = address;
        self
    }

    /// Returns the configured API key.
    pub fn api_key_value(&self) -> &str {
        &self.api_key
    }

    /// Checks every setting that a builder method documents a range for.
    pub(crate) fn validate(&self) -> io::Result<()> {
        let invalid = |message: String| Err(io::Error::new(io::ErrorKind::InvalidInput, message));

        if !(self.time_scale.is_finite() && self.time_scale > 0.0) {
            return invalid(format!(
                "time_scale is {}; set a finite factor greater than zero, such as 60.0",
                self.time_scale
            ));
        }
        if self.tenant_max_concurrent_calls == 0 {
            return invalid("tenant_max_concurrent_calls is 0; set at least 1".to_owned());
        }
        if self.heartbeat_interval.is_zero() {
            return invalid("heartbeat_interval is zero; set a positive duration".to_owned());
        }
        if self.max_events_retained == 0 {
            return invalid("max_events_retained is 0; set at least 1".to_owned());
        }
        if !self.bind.ip().is_loopback() {
            return invalid(format!(
                "bind address {} is not a loopback address; use 127.0.0.1 or [::1]",
                self.bind
            ));
        }
        Ok(())
    }

    /// Converts simulated seconds to real time at this config's time scale.
    pub(crate) fn real_duration(&self, simulated_seconds: f64) -> Duration {
        let seconds = simulated_seconds / self.time_scale;
        // A huge simulated wait at a tiny time scale would overflow `Duration`,
        // so it saturates at about 31 years, which no test waits for.
        Duration::try_from_secs_f64(seconds.max(0.0)).unwrap_or(Duration::from_secs(1_000_000_000))
    }
}
