//! Helpers of the fault-injection suites: a proxy that injects faults
//! below HTTP, a counter of the SDK's retry and reconnect logs, and the
//! contacts files the suites upload.

#![allow(dead_code)]

pub mod proxy;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use tracing_subscriber::layer::{Context, SubscriberExt};

/// Counts the SDK's `warn!` events for retries and event stream reconnects.
///
/// The counter receives the events of the thread that installed it, which on a
/// current-thread Tokio runtime is every task of the test.
#[derive(Clone, Default)]
pub struct WarnCounter {
    retries: Arc<AtomicU64>,
    reconnects: Arc<AtomicU64>,
}

impl WarnCounter {
    /// Installs the counter as this thread's subscriber until the guard is
    /// dropped.
    pub fn install(&self) -> tracing::subscriber::DefaultGuard {
        tracing::subscriber::set_default(tracing_subscriber::registry().with(self.clone()))
    }

    /// Retries logged by `kataven`'s retry loop.
    pub fn retries(&self) -> u64 {
        self.retries.load(Ordering::SeqCst)
    }

    /// Reconnects logged by `kataven`'s event stream.
    pub fn reconnects(&self) -> u64 {
        self.reconnects.load(Ordering::SeqCst)
    }
}

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for WarnCounter {
    fn on_event(&self, event: &tracing::Event<'_>, _: Context<'_, S>) {
        let metadata = event.metadata();
        if *metadata.level() != tracing::Level::WARN {
            return;
        }
        match metadata.target() {
            "kataven::retry" => self.retries.fetch_add(1, Ordering::SeqCst),
            "kataven::events::stream" => self.reconnects.fetch_add(1, Ordering::SeqCst),
            _ => 0,
        };
    }
}

/// Returns a valid contacts CSV with `count` rows whose custom fields carry `tag`.
pub fn contacts_csv(count: usize, tag: &str) -> Vec<u8> {
    let mut csv = String::from("phone_number,first_name,row\n");
    for index in 0..count {
        csv.push_str(&format!(
            "+1202555{:04},{tag} {index},{index}\n",
            index % 10_000
        ));
    }
    csv.into_bytes()
}
