//! A local emulator of the Kataven Hub API for tests and examples.
//!
//! [`Emulator::start`] serves every operation of the Hub's `openapi.yaml` on
//! a loopback address. It checks bearer authentication, creates campaigns
//! from a multipart CSV upload (with `Idempotency-Key` replays), enforces the
//! campaign lifecycle, and streams each campaign's Server-Sent Events. A
//! dispatcher simulates the calls within the per-campaign and tenant caps.
//! Call outcomes come from a seeded generator, so a test sees the same
//! results on every run, and simulated time runs
//! [`EmulatorConfig::time_scale`] times faster than real time. [`Faults`]
//! injects failed responses, dropped connections, slow responses and cut
//! event streams.
//!
//! ```no_run
//! # async fn example() -> std::io::Result<()> {
//! use kataven_emulator::{Emulator, EmulatorConfig};
//!
//! let emulator = Emulator::start(EmulatorConfig::default().time_scale(10_000.0)).await?;
//! let base_url = emulator.url(); // such as "http://127.0.0.1:41234"
//! let api_key = emulator.api_key().to_owned();
//! // ... point the client at `base_url` with `api_key` ...
//! # let _ = (base_url, api_key);
//! assert_eq!(emulator.stats().faults_injected, 0);
//! emulator.shutdown().await;
//! # Ok(())
//! # }
//! ```
//!
//! The `kataven-emulator` binary runs the same server from the command line;
//! `kataven-emulator --help` lists its options.
//!
//! # Where the spec is silent
//!
//! The emulator decides these cases itself. The real Hub may differ, so a
//! test that depends on one of them tests the emulator, not the Hub:
//!
//! - Event 1 of every campaign is a `progress` event sent at creation, so a
//!   stream opened on a new campaign starts with its totals.
//! - A paused campaign stays `paused` when its last calls in flight finish,
//!   even when every contact is then final, and completes once resumed.
//! - Deleting a campaign ends its open event streams without an `end`
//!   event.
//! - An `Idempotency-Key` is remembered only for a create that succeeded.
//!   Replaying it after that campaign was deleted gets 404 `not_found`.

#![deny(missing_docs)]
// These lints keep request data from panicking the server. Unit tests may index and unwrap.
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::indexing_slicing,
        clippy::panic
    )
)]

mod auth;
mod config;
mod contacts_csv;
mod dispatcher;
mod error;
mod events;
mod faults;
mod idempotency;
mod lifecycle;
mod middleware;
mod models;
mod routes;
mod server;
mod simulation;
mod state;
mod stats;

use std::io;
use std::sync::Arc;

pub use config::{EmulatorConfig, DEFAULT_API_KEY};
pub use faults::Faults;
pub use server::Emulator;
pub use stats::Stats;

/// The emulator's state without a server, for embedding its routes in another axum app.
///
/// Clones share the same state.
#[derive(Clone)]
pub struct HubState {
    shared: Arc<state::Shared>,
}

impl std::fmt::Debug for HubState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HubState")
            .field("config", &self.shared.config)
            .finish_non_exhaustive()
    }
}

impl HubState {
    /// Creates an empty Hub with `config`; `config.bind` is not used.
    ///
    /// # Errors
    ///
    /// Returns [`io::ErrorKind::InvalidInput`] when a setting is out of its documented range.
    pub fn new(config: EmulatorConfig) -> io::Result<Self> {
        config.validate()?;
        Ok(Self {
            shared: Arc::new(state::Shared::new(config)),
        })
    }

    /// Returns the fault injection controls of this state.
    pub fn faults(&self) -> &Faults {
        &self.shared.faults
    }

    /// Returns a snapshot of the counters of this state.
    pub fn stats(&self) -> Stats {
        Stats::snapshot(&self.shared)
    }
}

/// Builds an axum router that serves the Hub API from `state`.
///
/// The routes must run on a Tokio runtime, because campaigns spawn their
/// dispatchers on it. Without the emulator's own server,
/// [`Faults::reset_next`] cannot drop a connection before the headers, so it
/// sends a 200 status line and then a body that fails.
pub fn router(state: HubState) -> axum::Router {
    routes::build(state.shared)
}

#[cfg(test)]
mod tests {
    fn assert_send_sync<T: Send + Sync + 'static>() {}

    #[test]
    fn public_types_are_send_sync() {
        assert_send_sync::<super::Emulator>();
        assert_send_sync::<super::HubState>();
        assert_send_sync::<super::Faults>();
        assert_send_sync::<super::Stats>();
        assert_send_sync::<super::EmulatorConfig>();
    }
}
