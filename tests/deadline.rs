//! The overall deadline of `ClientBuilder::deadline` against slow servers:
//! it cancels the attempt in flight, covers the retries and the delays
//! between them, and leaves event streams to their idle timeout.
//!
//! The bounds on elapsed time are ten times the deadline, so they only
//! catch a call that ignored it.

mod support;

use std::time::{Duration, Instant};

use futures::StreamExt;
use kataven::events::StreamItem;
use kataven::{Client, Contacts, ErrorKind, RetryPolicy};
use kataven_emulator::{Emulator, EmulatorConfig};
use support::{campaign_json, Reply, Step, TestServer};

const ID: &str = "cmp_0123456789abcdef";
const DEADLINE: Duration = Duration::from_millis(500);
/// Far longer than any deadline here.
const SLOW: Duration = Duration::from_secs(60);

fn hang() -> Reply {
    Reply::Streamed {
        status: 200,
        headers: vec![],
        steps: vec![Step::Hang],
    }
}

fn unavailable(retry_after: &str) -> Reply {
    Reply::error(503, "unavailable", "restarting").with_header("retry-after", retry_after)
}

async fn slow_emulator() -> (Emulator, Client) {
    let emulator = Emulator::start(EmulatorConfig::default())
        .await
        .expect("start the emulator");
    let client = Client::builder()
        .api_key(emulator.api_key())
        .base_url(emulator.url())
        .deadline(DEADLINE)
        .build()
        .expect("client");
    (emulator, client)
}

#[tokio::test]
async fn deadline_ends_slow_get() {
    let (emulator, client) = slow_emulator().await;
    emulator.faults().delay_responses(SLOW);

    let started = Instant::now();
    let error = client.campaigns().list().await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Timeout, "{error:?}");
    assert!(error.is_timeout());
    assert_eq!(error.operation(), Some("list_campaigns"));
    assert_eq!(error.attempts(), 1);
    assert!(error.may_have_reached_hub());
    assert!(error.to_string().contains("deadline"), "{error}");
    assert!(started.elapsed() < DEADLINE * 10, "{:?}", started.elapsed());
}

#[tokio::test]
async fn deadline_ends_slow_create() {
    let (emulator, client) = slow_emulator().await;
    emulator.faults().delay_responses(SLOW);

    let started = Instant::now();
    let contacts = Contacts::from_bytes(&b"phone_number\n+12025550101\n"[..]);
    let error = client
        .campaigns()
        .create("Deadline", "agt_1", "pn_1", contacts)
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Timeout, "{error:?}");
    assert_eq!(error.operation(), Some("create_campaign"));
    assert!(started.elapsed() < DEADLINE * 10, "{:?}", started.elapsed());
}

#[tokio::test]
async fn deadline_covers_retries() {
    let server = TestServer::sequence(vec![unavailable("0"), unavailable("0"), hang()]).await;
    let client = server
        .builder()
        .retry_policy(RetryPolicy::default().max_retries(5))
        .deadline(DEADLINE)
        .build()
        .unwrap();

    let started = Instant::now();
    let error = client.campaigns().get(ID).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Timeout, "{error:?}");
    assert_eq!(
        error.attempts(),
        3,
        "two 503 answers, then the hanging attempt"
    );
    assert_eq!(server.requests().len(), 3);
    assert!(started.elapsed() < DEADLINE * 10, "{:?}", started.elapsed());
}

#[tokio::test]
async fn retry_past_deadline_not_made() {
    let server = TestServer::always(unavailable("60")).await;
    let client = server
        .builder()
        .retry_policy(RetryPolicy::default().max_delay(SLOW))
        .deadline(DEADLINE)
        .build()
        .unwrap();

    let started = Instant::now();
    let error = client.campaigns().get(ID).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Status, "the 503, returned at once");
    assert_eq!(error.status().map(|status| status.as_u16()), Some(503));
    assert_eq!(error.attempts(), 1);
    assert_eq!(server.requests().len(), 1);
    assert!(started.elapsed() < DEADLINE * 10, "{:?}", started.elapsed());
}

#[tokio::test]
async fn attempt_timeout_applies_within_deadline() {
    let server =
        TestServer::sequence(vec![hang(), Reply::json(200, campaign_json(ID, "draft"))]).await;
    let client = server
        .builder()
        .request_timeout(Duration::from_millis(200))
        .deadline(Duration::from_secs(30))
        .build()
        .unwrap();

    let campaign = client.campaigns().get(ID).await.unwrap();
    assert_eq!(campaign.id, ID);
    assert_eq!(
        server.requests().len(),
        2,
        "the hanging attempt timed out and was retried"
    );
}

#[tokio::test]
async fn deadline_leaves_streams_alone() {
    let mut steps = Vec::new();
    for _ in 0..8 {
        steps.push(Step::Send(b": heartbeat\n\n".to_vec()));
        steps.push(Step::Pause(Duration::from_millis(50)));
    }
    steps.push(Step::Send(b"id: 1\nevent: end\n\n".to_vec()));
    let server = TestServer::always(Reply::events(steps)).await;
    let client = server
        .builder()
        .deadline(Duration::from_millis(100))
        .build()
        .unwrap();

    let events = client.campaigns().stream_events(ID).unwrap();
    let items: Vec<_> = tokio::time::timeout(Duration::from_secs(20), events.collect())
        .await
        .expect("the stream ends");
    assert!(items.iter().all(Result::is_ok), "{items:?}");
    assert!(matches!(items.last(), Some(Ok(StreamItem::End(_)))));
    assert_eq!(server.requests().len(), 1, "no reconnect");
}
