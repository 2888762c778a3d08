//! The reconnecting event stream.

use std::collections::VecDeque;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use futures::stream::BoxStream;
use futures::{Stream, StreamExt};
use reqwest::header::{HeaderValue, ACCEPT, CACHE_CONTROL, CONTENT_TYPE};
use reqwest::StatusCode;

use super::parser::{Frame, Parser};
use super::{decode, EventStreamConfig, Heartbeat, StreamItem};
use crate::client::Client;
use crate::error::{Error, ErrorKind, Result};
use crate::generated::types::CampaignId;
use crate::retry::{backoff_ceiling, is_retryable_status};
use crate::transport;

const OPERATION: &str = "stream_campaign_events";

/// A campaign's live events, from
/// [`Campaigns::stream_events`](crate::Campaigns::stream_events).
///
/// It yields `Result<StreamItem>` and ends after the `end` marker. See the
/// [module docs](crate::events) for the item types, the reconnect rules and
/// the limits. Dropping it closes the connection.
#[must_use = "an EventStream does nothing until it is polled"]
pub struct EventStream {
    inner: BoxStream<'static, Result<StreamItem>>,
    position: Arc<Mutex<Position>>,
    setup: Option<Setup>,
}

/// How far the stream got, shared with the caller.
#[derive(Debug, Default, Clone)]
struct Position {
    last_event_id: Option<String>,
    reconnects: u32,
}

/// What the stream needs before its first poll; builder methods change it.
struct Setup {
    client: Client,
    campaign_id: CampaignId,
    config: EventStreamConfig,
    resume_after: Option<String>,
}

impl std::fmt::Debug for EventStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventStream")
            .field("last_event_id", &self.last_event_id())
            .finish_non_exhaustive()
    }
}

impl EventStream {
    pub(crate) fn new(client: Client, campaign_id: CampaignId) -> Self {
        let config = client.transport().settings().events.clone();
        Self {
            inner: futures::stream::empty().boxed(),
            position: Arc::new(Mutex::new(Position::default())),
            setup: Some(Setup {
                client,
                campaign_id,
                config,
                resume_after: None,
            }),
        }
    }

    /// Resumes after the event with this id, as if it had been received:
    /// the first request sends it as `Last-Event-ID`. Use the id of the last
    /// event a previous stream delivered. Has no effect once the stream has
    /// been polled.
    pub fn resume_after(mut self, last_event_id: impl Into<String>) -> Self {
        if let Some(setup) = &mut self.setup {
            setup.resume_after = Some(last_event_id.into());
        }
        self
    }

    /// Overrides the client's idle timeout for this stream. A zero duration
    /// is ignored and the client's timeout stays, because a stream with no
    /// idle time at all would reconnect forever.
    pub fn idle_timeout(mut self, timeout: Duration) -> Self {
        if let Some(setup) = &mut self.setup {
            if !timeout.is_zero() {
                setup.config.idle_timeout = timeout;
            }
        }
        self
    }

    /// Overrides the client's reconnect limit for this stream.
    pub fn max_reconnects(mut self, attempts: u32) -> Self {
        if let Some(setup) = &mut self.setup {
            setup.config.max_reconnects = attempts;
        }
        self
    }

    /// How many times the stream has reconnected after a dropped
    /// connection, an idle timeout, or a close before the `end` marker.
    pub fn reconnects(&self) -> u32 {
        match self.position.lock() {
            Ok(position) => position.reconnects,
            Err(poisoned) => poisoned.into_inner().reconnects,
        }
    }

    /// The id of the last event delivered (or given to
    /// [`resume_after`](Self::resume_after)); pass it to `resume_after` of a
    /// later stream to continue where this one stopped.
    pub fn last_event_id(&self) -> Option<String> {
        match self.position.lock() {
            Ok(position) => position.last_event_id.clone(),
            Err(poisoned) => poisoned.into_inner().last_event_id.clone(),
        }
    }
}

impl Stream for EventStream {
    type Item = Result<StreamItem>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if let Some(setup) = self.setup.take() {
            let position = Arc::clone(&self.position);
            self.inner = run(setup, position).boxed();
        }
        self.inner.poll_next_unpin(cx)
    }
}

/// The state carried from one item to the next.
struct State {
    client: Client,
    campaign_id: CampaignId,
    config: EventStreamConfig,
    parser: Parser,
    body: Option<BoxStream<'static, reqwest::Result<Bytes>>>,
    ready: VecDeque<Result<StreamItem>>,
    position: Arc<Mutex<Position>>,
    /// The id sent as `Last-Event-ID` on the next connection.
    last_event_id: Option<String>,
    /// The highest numeric event id delivered.
    last_delivered: Option<u64>,
    /// Connection attempts in a row that delivered no new event.
    failures: u32,
    /// Events delivered so far, heartbeats not counted.
    events_delivered: u64,
    last_failure: Option<String>,
    /// Whether a connection was opened before.
    connected_before: bool,
    finished: bool,
}

fn run(setup: Setup, position: Arc<Mutex<Position>>) -> impl Stream<Item = Result<StreamItem>> {
    let last_delivered = setup
        .resume_after
        .as_deref()
        .and_then(|id| id.trim().parse::<u64>().ok());
    if let Ok(mut shared) = position.lock() {
        shared.last_event_id = setup.resume_after.clone();
    }
    let state = State {
        parser: Parser::new(setup.config.max_event_bytes),
        client: setup.client,
        campaign_id: setup.campaign_id,
        config: setup.config,
        body: None,
        ready: VecDeque::new(),
        position,
        last_event_id: setup.resume_after,
        last_delivered,
        failures: 0,
        events_delivered: 0,
        last_failure: None,
        connected_before: false,
        finished: false,
    };
    futures::stream::unfold(state, |mut state| async move {
        let item = state
            .next_item()
            .await?
            .map_err(|error| error.redact_key(&state.client.transport().settings().api_key));
        Some((item, state))
    })
}

impl State {
    async fn next_item(&mut self) -> Option<Result<StreamItem>> {
        loop {
            if let Some(item) = self.ready.pop_front() {
                return Some(item);
            }
            if self.finished {
                return None;
            }
            if self.body.is_none() {
                if let Err(error) = self.connect().await {
                    self.finished = true;
                    return Some(Err(error));
                }
                continue;
            }
            self.read_chunk().await;
        }
    }

    /// Opens a connection, waiting first when this is a reconnect. Returns
    /// an error only when the stream must end.
    async fn connect(&mut self) -> Result<()> {
        loop {
            if self.failures > 0 {
                if self.failures > self.config.max_reconnects {
                    return Err(self.interrupted());
                }
                let delay = self.reconnect_delay();
                tracing::warn!(
                    campaign_id = self.campaign_id.as_str(),
                    attempt = self.failures,
                    delay_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
                    last_event_id = self.last_event_id.as_deref().unwrap_or(""),
                    reason = self.last_failure.as_deref().unwrap_or(""),
                    "reconnecting event stream"
                );
                tokio::time::sleep(delay).await;
            }

            let opened = open(
                &self.client,
                &self.campaign_id,
                &self.config,
                self.last_event_id.as_deref(),
            )
            .await;
            match opened {
                Ok(Some(body)) => {
                    self.body = Some(body);
                    if self.connected_before {
                        if let Ok(mut position) = self.position.lock() {
                            position.reconnects = position.reconnects.saturating_add(1);
                        }
                    }
                    self.connected_before = true;
                    return Ok(());
                }
                Ok(None) => {
                    // 204 No Content: the Hub has nothing more to send.
                    self.finished = true;
                    return Ok(());
                }
                Err(Connect::Retry(reason)) => self.record_failure(reason),
                Err(Connect::Fatal(error)) => return Err(error),
            }
        }
    }

    async fn read_chunk(&mut self) {
        let Some(body) = self.body.as_mut() else {
            return;
        };
        let next = tokio::time::timeout(self.config.idle_timeout, body.next()).await;
        let chunk = match next {
            Ok(Some(Ok(chunk))) => chunk,
            Ok(Some(Err(error))) => {
                let error = transport::map_reqwest_error(error, &Default::default());
                return self.drop_connection(format!("the connection failed: {error}"));
            }
            Ok(None) => {
                return self
                    .drop_connection("the Hub closed the stream before the end event".to_owned());
            }
            Err(_) => {
                return self.drop_connection(format!(
                    "nothing received for the idle timeout of {:?}",
                    self.config.idle_timeout
                ));
            }
        };

        let mut frames = Vec::new();
        let parsed = self.parser.push(&chunk, &mut frames);
        for frame in frames {
            self.accept(frame);
        }
        if let Err(error) = parsed {
            self.body = None;
            self.finished = true;
            self.ready.push_back(Err(Error::new(ErrorKind::Decode)
                .with_operation(OPERATION)
                .with_reached_hub(true)
                .with_message(format!(
                    "{error}; raise ClientBuilder::max_event_bytes if such events are expected"
                ))
                .with_source(error)));
        }
    }

    fn accept(&mut self, frame: Frame) {
        if self.finished {
            return;
        }
        let raw = match frame {
            Frame::Comment(comment) => {
                self.ready
                    .push_back(Ok(StreamItem::Heartbeat(Heartbeat { comment })));
                return;
            }
            Frame::Event(raw) => raw,
        };

        let numeric_id = raw
            .id
            .as_deref()
            .and_then(|id| id.trim().parse::<u64>().ok());
        if let (Some(id), Some(last)) = (numeric_id, self.last_delivered) {
            if id <= last {
                tracing::debug!(id, last, "skipping an event delivered before the reconnect");
                return;
            }
        }
        if numeric_id.is_some() {
            self.last_delivered = numeric_id;
        }
        let parser_id = self.parser.last_event_id();
        if !parser_id.is_empty() {
            self.last_event_id = Some(parser_id.to_owned());
            if let Ok(mut position) = self.position.lock() {
                position.last_event_id = Some(parser_id.to_owned());
            }
        }
        self.failures = 0;
        self.events_delivered += 1;

        let item = decode(raw);
        if matches!(item, StreamItem::End(_)) {
            self.finished = true;
            self.body = None;
        }
        self.ready.push_back(Ok(item));
    }

    fn drop_connection(&mut self, reason: String) {
        self.body = None;
        self.parser.finish();
        self.record_failure(reason);
    }

    fn record_failure(&mut self, reason: String) {
        self.failures = self.failures.saturating_add(1);
        self.last_failure = Some(reason);
    }

    fn reconnect_delay(&self) -> Duration {
        let max = self.config.max_reconnect_delay;
        if let Some(millis) = self.parser.reconnection_time() {
            return Duration::from_millis(millis).min(max);
        }
        let attempt = self.failures.saturating_sub(1);
        backoff_ceiling(self.config.base_reconnect_delay, max, attempt).mul_f64(fastrand::f64())
    }

    fn interrupted(&self) -> Error {
        let (position, next_step) = match (&self.last_event_id, self.events_delivered) {
            (Some(id), _) => (
                format!("the last event received has id {id}"),
                format!("resume with EventStream::resume_after({id:?})"),
            ),
            (None, 0) => (
                "no event was received".to_owned(),
                "open the stream again".to_owned(),
            ),
            (None, 1) => (
                "1 event was received, without an id".to_owned(),
                "open the stream again; with no event id it cannot resume where it stopped"
                    .to_owned(),
            ),
            (None, delivered) => (
                format!("{delivered} events were received, none with an id"),
                "open the stream again; with no event id it cannot resume where it stopped"
                    .to_owned(),
            ),
        };
        Error::new(ErrorKind::StreamInterrupted)
            .with_operation(OPERATION)
            .with_reached_hub(true)
            .with_message(format!(
                "gave up after {} reconnect attempts; {position}; last failure: {}; {next_step}",
                self.config.max_reconnects,
                self.last_failure.as_deref().unwrap_or("unknown")
            ))
    }
}

/// Sends the stream request. `Ok(None)` means 204 No Content: the Hub has
/// nothing more to send.
async fn open(
    client: &Client,
    campaign_id: &CampaignId,
    config: &EventStreamConfig,
    last_event_id: Option<&str>,
) -> std::result::Result<Option<BoxStream<'static, reqwest::Result<Bytes>>>, Connect> {
    let url = format!(
        "{}/api/v1/campaigns/{}/events",
        client.base_url(),
        campaign_id.as_str()
    );
    let mut request = client
        .http()
        .get(url)
        .header(ACCEPT, HeaderValue::from_static("text/event-stream"))
        .header(CACHE_CONTROL, HeaderValue::from_static("no-cache"))
        .header("api-version", HeaderValue::from_static(crate::API_VERSION));
    if let Some(id) = last_event_id {
        let value = HeaderValue::from_str(id).map_err(|_| {
            Connect::Fatal(
                Error::invalid_argument(format!(
                    "the last event id {id:?} cannot be sent as a Last-Event-ID header"
                ))
                .with_operation(OPERATION),
            )
        })?;
        request = request.header("last-event-id", value);
    }
    let request = request.build().map_err(|error| {
        Connect::Fatal(transport::map_reqwest_error(error, &Default::default()))
    })?;

    let transport = client.transport();
    let send = transport.execute(client.http(), request, OPERATION, None, None);
    let response = match tokio::time::timeout(config.idle_timeout, send).await {
        Err(_) => {
            return Err(Connect::Retry(format!(
                "no response headers within the idle timeout of {:?}",
                config.idle_timeout
            )))
        }
        Ok(Err(error)) => {
            let error = transport::map_reqwest_error(error, &Default::default());
            return Err(Connect::Retry(error.to_string()));
        }
        Ok(Ok(response)) => response,
    };

    let status = response.status();
    if status == StatusCode::NO_CONTENT {
        return Ok(None);
    }
    if !status.is_success() {
        let limit = transport.settings().max_response_bytes;
        let headers = response.headers().clone();
        let body = transport::read_body(response, limit)
            .await
            .unwrap_or_default();
        let mut failure = transport::status_error(status, &headers, &body);
        // Redacted before the reconnect loop logs the failure.
        failure.error = failure.error.redact_key(&transport.settings().api_key);
        if is_retryable_status(status) {
            return Err(Connect::Retry(failure.error.to_string()));
        }
        return Err(Connect::Fatal(failure.error.with_operation(OPERATION)));
    }
    let content_type = response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or("");
    if !content_type
        .to_ascii_lowercase()
        .starts_with("text/event-stream")
    {
        let error = Error::new(ErrorKind::Decode)
            .with_operation(OPERATION)
            .with_status(status)
            .with_request_id(transport::request_id(response.headers()))
            .with_message(format!(
                "expected Content-Type text/event-stream, got {content_type:?}"
            ));
        return Err(Connect::Fatal(error));
    }
    Ok(Some(response.bytes_stream().boxed()))
}

enum Connect {
    /// A transient failure: reconnect after a delay.
    Retry(String),
    /// The stream must end with this error.
    Fatal(Error),
}
