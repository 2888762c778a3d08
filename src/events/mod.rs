//! Live campaign progress over Server-Sent Events.
//!
//! [`Campaigns::stream_events`](crate::Campaigns::stream_events) returns an
//! [`EventStream`] of [`StreamItem`]s:
//!
//! - `progress`, `contact` and `status` events decoded into
//!   [`ProgressEvent`], [`ContactEvent`] and [`StatusEvent`], each with its
//!   [`RawEvent`] (id, event name, data, retry) beside it;
//! - the `end` marker, the last item, with the Hub's final summary when it
//!   sent one;
//! - heartbeat comments (`: heartbeat`), so a caller can see the connection
//!   is alive;
//! - any other event, or one whose data is not the expected JSON, as
//!   [`StreamItem::Unrecognized`], never dropped and never fatal.
//!
//! # Reconnects
//!
//! The stream reconnects with `Last-Event-ID` when the connection fails,
//! goes silent for longer than the idle timeout, or ends before the `end`
//! marker. It first waits the delay the Hub requested with `retry:`, capped
//! by the maximum reconnect delay. Without a `retry:` value, it waits an
//! exponential backoff with full jitter. An event whose numeric id is not
//! above the last one delivered is skipped, so the caller receives every
//! event once, in order. After [`max_reconnects`](crate::ClientBuilder::max_reconnects)
//! attempts in a row that deliver no new event, the stream yields an error
//! of kind [`StreamInterrupted`](crate::ErrorKind::StreamInterrupted) that
//! names the last event id received, then ends. A 4XX answer other than 408
//! and 429 ends the stream at once with that error.
//!
//! # Limits
//!
//! There is no total timeout. An event larger than
//! [`max_event_bytes`](crate::ClientBuilder::max_event_bytes) ends the
//! stream with an error of kind [`Decode`](crate::ErrorKind::Decode)
//! instead of growing memory, and parsing time is linear in the input.

mod parser;
mod stream;

use std::ops::Deref;
use std::time::Duration;

pub use parser::{ParseError, RawEvent};
pub use stream::EventStream;

use crate::error::{Error, Result};
use crate::models::{ContactEvent, EndEvent, ProgressEvent, StatusEvent};

impl crate::Campaigns {
    /// Streams a campaign's live events.
    ///
    /// The stream connects on its first poll and ends after the `end`
    /// marker, which the Hub sends once the campaign is terminal. See the
    /// [module docs](crate::events) for the items, the reconnect rules and
    /// the limits.
    ///
    /// ```no_run
    /// # async fn run(client: kataven::Client) -> kataven::Result<()> {
    /// use futures::StreamExt;
    /// use kataven::events::StreamItem;
    ///
    /// let mut events = client.campaigns().stream_events("cmp_0123456789abcdef")?;
    /// while let Some(item) = events.next().await {
    ///     match item? {
    ///         StreamItem::Progress(progress) => {
    ///             println!("{} of {} done", progress.progress.finished(), progress.progress.total)
    ///         }
    ///         StreamItem::End(end) => println!("ended: {:?}", end.summary.map(|s| s.status)),
    ///         _ => {}
    ///     }
    /// }
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    ///
    /// Returns an error of kind [`InvalidArgument`](crate::ErrorKind::InvalidArgument)
    /// for an invalid campaign id; the stream itself yields the errors that
    /// end it.
    pub fn stream_events(&self, campaign_id: impl AsRef<str>) -> Result<EventStream> {
        let id = crate::ids::campaign_id(campaign_id.as_ref())
            .map_err(|error| error.with_operation("stream_campaign_events"))?;
        Ok(EventStream::new(self.client().clone(), id))
    }
}

/// The event names of the Hub's campaign stream.
pub mod names {
    /// A snapshot of the counts per contact status.
    pub const PROGRESS: &str = "progress";
    /// A contact changed status.
    pub const CONTACT: &str = "contact";
    /// The campaign changed status.
    pub const STATUS: &str = "status";
    /// The campaign reached a terminal status; the last event.
    pub const END: &str = "end";
}

/// One item of an [`EventStream`].
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum StreamItem {
    /// A `progress` event: the counts per contact status and the calls in
    /// flight.
    Progress(Received<ProgressEvent>),
    /// A `contact` event: one contact changed status.
    Contact(Received<ContactEvent>),
    /// A `status` event: the campaign changed status.
    Status(Received<StatusEvent>),
    /// The `end` marker. The stream ends after it.
    End(End),
    /// A comment line, which the Hub sends as a heartbeat while idle.
    Heartbeat(Heartbeat),
    /// An event with a name this version does not know, or whose data is
    /// not the JSON the spec describes.
    Unrecognized(Unrecognized),
}

impl StreamItem {
    /// The event's raw fields; `None` for a heartbeat.
    pub fn raw(&self) -> Option<&RawEvent> {
        match self {
            Self::Progress(event) => Some(&event.raw),
            Self::Contact(event) => Some(&event.raw),
            Self::Status(event) => Some(&event.raw),
            Self::End(end) => Some(&end.raw),
            Self::Unrecognized(event) => Some(&event.raw),
            Self::Heartbeat(_) => None,
        }
    }
}

/// A decoded event with its raw fields. It dereferences to the data.
#[derive(Debug, Clone, PartialEq)]
pub struct Received<T> {
    /// The decoded `data:` JSON.
    pub data: T,
    /// The event as sent.
    pub raw: RawEvent,
}

impl<T> Deref for Received<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.data
    }
}

/// The `end` marker.
#[derive(Debug, Clone, PartialEq)]
pub struct End {
    /// The final summary, when the marker carried valid summary JSON.
    pub summary: Option<EndEvent>,
    /// Why `summary` is `None` although the marker had data.
    pub summary_error: Option<String>,
    /// The marker as sent.
    pub raw: RawEvent,
}

/// A comment line of the stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Heartbeat {
    /// The comment's text after `:`, such as `heartbeat`.
    pub comment: String,
}

/// An event that was not decoded into a known type.
#[derive(Debug, Clone, PartialEq)]
pub struct Unrecognized {
    /// The event as sent.
    pub raw: RawEvent,
    /// The data parsed as JSON, when it is JSON.
    pub json: Option<serde_json::Value>,
    /// Why the event was not decoded.
    pub reason: UnrecognizedReason,
}

/// Why an event is [`Unrecognized`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum UnrecognizedReason {
    /// The event name is not one of [`names`]; a block without `event:` is
    /// named `message`.
    UnknownName(String),
    /// The name is known, but the data does not decode. The message gives
    /// the position of the first mismatch.
    InvalidData(String),
}

/// Settings of event streams, set on [`ClientBuilder`](crate::ClientBuilder);
/// this type names their defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventStreamConfig {
    pub(crate) idle_timeout: Duration,
    pub(crate) max_event_bytes: usize,
    pub(crate) max_reconnects: u32,
    pub(crate) base_reconnect_delay: Duration,
    pub(crate) max_reconnect_delay: Duration,
}

impl EventStreamConfig {
    /// The default idle timeout: 45 s, three times the Hub's 15 s heartbeat.
    pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(45);
    /// The default limit on one event: 1 MiB.
    pub const DEFAULT_MAX_EVENT_BYTES: usize = 1024 * 1024;
    /// The default number of reconnects in a row without a new event: 10.
    pub const DEFAULT_MAX_RECONNECTS: u32 = 10;
    /// The default base of the reconnect backoff: 500 ms.
    pub const DEFAULT_BASE_RECONNECT_DELAY: Duration = Duration::from_millis(500);
    /// The default cap on one reconnect delay: 30 s.
    pub const DEFAULT_MAX_RECONNECT_DELAY: Duration = Duration::from_secs(30);

    pub(crate) fn validated(self) -> Result<Self> {
        if self.idle_timeout.is_zero() {
            return Err(Error::config("the event idle timeout must be above zero"));
        }
        if self.max_event_bytes == 0 {
            return Err(Error::config("max_event_bytes must be above zero"));
        }
        Ok(self)
    }
}

impl Default for EventStreamConfig {
    fn default() -> Self {
        Self {
            idle_timeout: Self::DEFAULT_IDLE_TIMEOUT,
            max_event_bytes: Self::DEFAULT_MAX_EVENT_BYTES,
            max_reconnects: Self::DEFAULT_MAX_RECONNECTS,
            base_reconnect_delay: Self::DEFAULT_BASE_RECONNECT_DELAY,
            max_reconnect_delay: Self::DEFAULT_MAX_RECONNECT_DELAY,
        }
    }
}

/// Turns one parsed event into an item.
pub(crate) fn decode(raw: RawEvent) -> StreamItem {
    let name = raw.event.clone().unwrap_or_else(|| "message".to_owned());
    match name.as_str() {
        names::PROGRESS => typed(raw, StreamItem::Progress),
        names::CONTACT => typed(raw, StreamItem::Contact),
        names::STATUS => typed(raw, StreamItem::Status),
        names::END => {
            if raw.data.is_empty() {
                return StreamItem::End(End {
                    summary: None,
                    summary_error: None,
                    raw,
                });
            }
            match serde_json::from_str::<EndEvent>(&raw.data) {
                Ok(summary) => StreamItem::End(End {
                    summary: Some(summary),
                    summary_error: None,
                    raw,
                }),
                Err(error) => StreamItem::End(End {
                    summary: None,
                    summary_error: Some(error.to_string()),
                    raw,
                }),
            }
        }
        _ => StreamItem::Unrecognized(Unrecognized {
            json: serde_json::from_str(&raw.data).ok(),
            raw,
            reason: UnrecognizedReason::UnknownName(name),
        }),
    }
}

fn typed<T: serde::de::DeserializeOwned>(
    raw: RawEvent,
    wrap: fn(Received<T>) -> StreamItem,
) -> StreamItem {
    match serde_json::from_str::<T>(&raw.data) {
        Ok(data) => wrap(Received { data, raw }),
        Err(error) => StreamItem::Unrecognized(Unrecognized {
            json: serde_json::from_str(&raw.data).ok(),
            raw,
            reason: UnrecognizedReason::InvalidData(error.to_string()),
        }),
    }
}
