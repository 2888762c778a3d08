//! Rust SDK for the Kataven Hub API.
//!
//! Kataven runs AI voice agents. A Hub campaign dials every contact of an
//! uploaded CSV through one agent, with a cap on concurrent calls, retries
//! per contact, and live progress over Server-Sent Events. This crate
//! creates, runs and watches campaigns:
//!
//! ```no_run
//! use futures::StreamExt;
//! use kataven::events::StreamItem;
//! use kataven::{Client, Contacts};
//!
//! # async fn run() -> kataven::Result<()> {
//! // KATAVEN_API_KEY, and KATAVEN_BASE_URL for a Hub other than the default.
//! let client = Client::from_env()?;
//! let campaigns = client.campaigns();
//!
//! let campaign = campaigns
//!     .create("Renewals", "agt_support", "pn_main", Contacts::from_path("contacts.csv"))
//!     .max_concurrent_calls(10)
//!     .await?;
//! campaigns.start(&campaign.id).await?;
//!
//! let mut events = campaigns.stream_events(&campaign.id)?;
//! while let Some(item) = events.next().await {
//!     if let StreamItem::Progress(progress) = item? {
//!         println!("{} of {} contacts done", progress.progress.finished(), progress.progress.total);
//!     }
//! }
//! # Ok(())
//! # }
//! ```
//!
//! # Layout
//!
//! - [`Client`] and [`ClientBuilder`]: configuration, timeouts, retries.
//! - [`Campaigns`]: every endpoint of the campaigns API.
//! - [`csv`]: pre-flight validation of contacts files, also usable alone.
//! - [`events`]: the event stream's items, reconnects and limits.
//! - [`models`]: the Hub's data types, generated from `openapi.yaml`.
//! - [`Error`]: the one error type.
//!
//! # Behaviour shared by every call
//!
//! Calls that are safe to repeat are retried on connection failures,
//! timeouts, and statuses 408, 429, 500, 502, 503 and 504, with exponential
//! backoff and full jitter, honouring `Retry-After` ([`RetryPolicy`]).
//! `create` always sends an `Idempotency-Key`, so it is retried too without
//! creating a second campaign. Ids that become part of a URL are checked
//! before anything is sent. The API key is never printed: it is redacted in
//! `Debug` output and sent only in a header marked sensitive, and reqwest
//! drops that header when a redirect leads to another origin.

#![deny(missing_docs)]
#![warn(rust_2018_idioms)]

mod campaigns;
mod client;
mod create;
pub mod csv;
mod error;
pub mod events;
mod handwritten;
mod ids;
pub mod models;
mod retry;
mod secret;
mod transport;

/// The bindings progenitor generates from `openapi.yaml` at build time.
///
/// Never edited by hand: change the spec and rebuild. The public API
/// re-exports what callers need from here, through [`models`] and
/// [`Campaigns`].
pub(crate) mod generated {
    #![allow(missing_docs, dead_code, unused_imports, unreachable_pub)]
    #![allow(clippy::all, clippy::pedantic)]
    include!(concat!(env!("OUT_DIR"), "/hub.rs"));
}

pub use campaigns::{Campaigns, ListContacts};
pub use client::{Client, ClientBuilder, API_KEY_ENV, BASE_URL_ENV, DEFAULT_BASE_URL};
pub use create::{Contacts, CreateCampaign};
pub use error::{Error, ErrorKind, HubError, Result};
#[doc(hidden)]
pub use handwritten::HANDWRITTEN_OPERATIONS;
pub use retry::RetryPolicy;
pub use secret::ApiKey;

/// The version of the Hub API this crate was generated from, sent in the
/// `api-version` header of every request.
pub const API_VERSION: &str = env!("KATAVEN_HUB_API_VERSION");
