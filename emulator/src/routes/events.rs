//! `stream_campaign_events`: the campaign's Server-Sent Events stream.
//!
//! Each connection gets its own task that copies frames from the campaign's
//! event log into a bounded channel, which the response body drains. The
//! stream opens with `retry: 3000`, replays the retained events after
//! `Last-Event-ID` (or from the first), sends `: heartbeat` while idle, and
//! ends cleanly after the `end` event.

use std::pin::Pin;
use std::sync::{Arc, Weak};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use http_body::Frame;
use tokio::sync::{mpsc, watch};

use super::CampaignIdParam;
use crate::error::ApiError;
use crate::lifecycle;
use crate::state::{wait_for_shutdown, Shared};

const RETRY_FIELD: &[u8] = b"retry: 3000\n\n";
const HEARTBEAT: &[u8] = b": heartbeat\n\n";

/// Events copied from the log per lock, so one subscriber never holds the lock long.
const BATCH: usize = 256;

/// Frames buffered per connection before the copying task waits for the client.
const CHANNEL_FRAMES: usize = 16;

/// `stream_campaign_events`.
pub(super) async fn stream(
    State(shared): State<Arc<Shared>>,
    CampaignIdParam(id): CampaignIdParam,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let after = last_event_id(&headers)?;
    let latest = {
        let mut hub = shared.lock_hub();
        lifecycle::find(&mut hub, &id)?.events.subscribe()
    };

    let (sender, receiver) = mpsc::channel(CHANNEL_FRAMES);
    let subscription = Subscription {
        shared: Arc::downgrade(&shared),
        campaign_id: id,
        cursor: after.unwrap_or(0),
        latest,
        sender,
        heartbeat: shared.config.heartbeat_interval,
        cut_after: shared.faults.stream_cut(),
        shutdown: shared.shutdown.subscribe(),
    };
    tokio::spawn(subscription.run());

    let mut response = (
        StatusCode::OK,
        Body::new(ChannelBody {
            receiver,
            cut: false,
        }),
    )
        .into_response();
    let response_headers = response.headers_mut();
    response_headers.insert(CONTENT_TYPE, HeaderValue::from_static("text/event-stream"));
    response_headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    Ok(response)
}

/// Parses `Last-Event-ID`. An empty value counts as absent, as an EventSource that has no id yet sends none.
fn last_event_id(headers: &HeaderMap) -> Result<Option<u64>, ApiError> {
    let Some(value) = headers.get("last-event-id") else {
        return Ok(None);
    };
    let text = value.to_str().unwrap_or("\u{fffd}").trim();
    if text.is_empty() {
        return Ok(None);
    }
    text.parse::<u64>().map(Some).map_err(|_| {
        let quoted: String = text.chars().take(40).collect();
        ApiError::bad_request(format!(
            "Last-Event-ID is {quoted:?}, not an event id; send the number from the last `id:` line received"
        ))
        .detail("header", "Last-Event-ID")
        .detail("value", quoted)
    })
}

/// The body ends with an error when the stream is cut, so the server aborts the connection.
#[derive(Debug)]
struct StreamCut;

impl std::fmt::Display for StreamCut {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("injected fault: event stream cut")
    }
}

impl std::error::Error for StreamCut {}

type Chunk = Result<Bytes, StreamCut>;

/// A response body fed by a subscription task.
struct ChannelBody {
    receiver: mpsc::Receiver<Chunk>,
    /// Set once the cut arrived; the body fails on its next poll.
    cut: bool,
}

impl http_body::Body for ChannelBody {
    type Data = Bytes;
    type Error = StreamCut;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, StreamCut>>> {
        if self.cut {
            return Poll::Ready(Some(Err(StreamCut)));
        }
        match self.receiver.poll_recv(cx) {
            Poll::Ready(Some(Ok(chunk))) => Poll::Ready(Some(Ok(Frame::data(chunk)))),
            Poll::Ready(Some(Err(StreamCut))) => {
                // hyper flushes its write buffer when a body is pending and
                // drops it unwritten when a body fails, so the body waits one
                // poll before failing: the events before the cut reach the client.
                self.cut = true;
                cx.waker().wake_by_ref();
                Poll::Pending
            }
            Poll::Ready(None) => Poll::Ready(None),
            Poll::Pending => Poll::Pending,
        }
    }
}

/// Frames copied from the event log in one step.
struct LogBatch {
    /// `(id, frame)` pairs after the cursor, oldest first.
    frames: Vec<(u64, Bytes)>,
    /// The id of the `end` event, once it was sent.
    end_id: Option<u64>,
}

/// One connection's position in the campaign's event log.
struct Subscription {
    shared: Weak<Shared>,
    campaign_id: String,
    /// The id of the last event sent, or of `Last-Event-ID`.
    cursor: u64,
    latest: watch::Receiver<u64>,
    sender: mpsc::Sender<Chunk>,
    heartbeat: Duration,
    cut_after: Option<u64>,
    shutdown: watch::Receiver<bool>,
}

impl Subscription {
    /// Sends frames until the `end` event, the client leaving, a deletion or a shutdown.
    async fn run(mut self) {
        if !self.send(Bytes::from_static(RETRY_FIELD)).await {
            return;
        }
        let mut sent = 0u64;
        if self.cut_after == Some(0) {
            self.cut().await;
            return;
        }

        loop {
            self.latest.borrow_and_update();
            let Some(LogBatch { frames, end_id }) = self.read_log() else {
                return;
            };

            for (id, frame) in &frames {
                if !self.send(frame.clone()).await {
                    return;
                }
                self.cursor = *id;
                sent += 1;
                if self.cut_after == Some(sent) {
                    self.cut().await;
                    return;
                }
            }
            if end_id.is_some_and(|end_id| self.cursor >= end_id) {
                return;
            }
            if !frames.is_empty() {
                continue;
            }

            tokio::select! {
                changed = self.latest.changed() => {
                    // The sender is gone when the campaign was deleted.
                    if changed.is_err() {
                        return;
                    }
                }
                () = tokio::time::sleep(self.heartbeat) => {
                    if self.sender.send(Ok(Bytes::from_static(HEARTBEAT))).await.is_err() {
                        return;
                    }
                }
                () = wait_for_shutdown(&mut self.shutdown) => return,
                () = self.sender.closed() => return,
            }
        }
    }

    /// Copies the next batch of frames and the `end` event's id, or `None` once the campaign is gone.
    fn read_log(&self) -> Option<LogBatch> {
        let shared = self.shared.upgrade()?;
        let hub = shared.lock_hub();
        let campaign = hub.campaigns.get(&self.campaign_id)?;
        Some(LogBatch {
            frames: campaign.events.frames_after(self.cursor, BATCH),
            end_id: campaign.events.end_id(),
        })
    }

    async fn send(&self, chunk: Bytes) -> bool {
        self.sender.send(Ok(chunk)).await.is_ok()
    }

    async fn cut(&self) {
        if let Some(shared) = self.shared.upgrade() {
            shared.faults.count_injected();
        }
        tracing::warn!(
            campaign_id = self.campaign_id,
            after_event = self.cursor,
            "injected fault: event stream cut"
        );
        let _ = self.sender.send(Err(StreamCut)).await;
    }
}
