//! Fault injection: failed responses, dropped connections, delays.

mod common;

use std::time::{Duration, Instant};

use common::{contacts_csv, expect_error, expect_json, fast_config, read_sse, send, start};
use reqwest::StatusCode;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

fn header(response: &reqwest::Response, name: &str) -> Option<String> {
    response
        .headers()
        .get(name)
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned)
}

#[tokio::test]
async fn fail_next_answers_with_status() {
    let hub = start(fast_config()).await;
    hub.emulator
        .faults()
        .fail_next(2, 503, Some("7".to_owned()));

    for _ in 0..2 {
        let response = send(hub.get("/api/v1/campaigns")).await;
        assert_eq!(header(&response, "retry-after").as_deref(), Some("7"));
        assert!(header(&response, "x-request-id").is_some());
        expect_error(response, StatusCode::SERVICE_UNAVAILABLE, "unavailable").await;
    }
    let response = send(hub.get("/api/v1/campaigns")).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(hub.emulator.stats().faults_injected, 2);
}

#[tokio::test]
async fn fail_next_codes_follow_status() {
    let hub = start(fast_config()).await;
    for (status, code, retry_after) in [
        (429, "rate_limited", Some("2")),
        (500, "internal", None),
        (503, "unavailable", Some("Wed, 21 Oct 2099 07:28:00 GMT")),
        (502, "unavailable", None),
    ] {
        hub.emulator
            .faults()
            .fail_next(1, status, retry_after.map(str::to_owned));
        // Faults come before authentication, as a gateway in front of the Hub would send them.
        let response = send(hub.client.get(hub.url("/api/v1/campaigns"))).await;
        assert_eq!(
            header(&response, "retry-after").as_deref(),
            retry_after,
            "{status}"
        );
        let expected = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        expect_error(response, expected, code).await;
    }
}

#[tokio::test]
async fn fail_next_applies_to_uploads() {
    let hub = start(fast_config()).await;
    hub.emulator
        .faults()
        .fail_next(1, 503, Some("1".to_owned()));
    let response = hub.create(common::form(&contacts_csv(3), &[])).await;
    expect_error(response, StatusCode::SERVICE_UNAVAILABLE, "unavailable").await;
    assert_eq!(hub.emulator.stats().campaigns_created, 0);
    hub.create_campaign(&contacts_csv(3), &[]).await;
}

#[tokio::test]
async fn reset_next_drops_connection() {
    let hub = start(fast_config()).await;
    hub.emulator.faults().reset_next(1);
    let result = hub.get("/api/v1/campaigns").send().await;
    assert!(
        result.is_err(),
        "a reset request got a response: {result:?}"
    );

    let response = send(hub.get("/api/v1/campaigns")).await;
    assert_eq!(response.status(), StatusCode::OK);
    let stats = hub.emulator.stats();
    assert_eq!(stats.faults_injected, 1);
    assert_eq!(stats.requests, 2);
}

#[tokio::test]
async fn reset_sends_no_bytes() {
    let hub = start(fast_config()).await;
    hub.emulator.faults().reset_next(1);
    let mut stream = TcpStream::connect(hub.emulator.local_addr())
        .await
        .unwrap_or_else(|error| panic!("connect failed: {error}"));
    stream
        .write_all(b"GET /api/v1/campaigns HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .await
        .unwrap_or_else(|error| panic!("write failed: {error}"));
    let mut received = Vec::new();
    let read = tokio::time::timeout(common::WAIT_LIMIT, stream.read_to_end(&mut received)).await;
    assert!(read.is_ok(), "the connection stayed open");
    assert!(
        received.is_empty(),
        "received {:?}",
        String::from_utf8_lossy(&received)
    );
}

#[tokio::test]
async fn reset_applies_to_uploads() {
    let hub = start(fast_config()).await;
    hub.emulator.faults().reset_next(1);
    let result = hub
        .post("/api/v1/campaigns")
        .multipart(common::form(&contacts_csv(3), &[]))
        .send()
        .await;
    assert!(result.is_err(), "a reset upload got a response");
    assert_eq!(hub.emulator.stats().campaigns_created, 0);
}

#[tokio::test]
async fn delay_holds_responses() {
    let hub = start(fast_config()).await;
    hub.emulator
        .faults()
        .delay_responses(Duration::from_millis(300));
    let began = Instant::now();
    let response = send(hub.get("/api/v1/campaigns")).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(began.elapsed() >= Duration::from_millis(300));

    hub.emulator.faults().delay_responses(Duration::ZERO);
    let response = send(hub.get("/api/v1/campaigns")).await;
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn open_stream_ignores_failures() {
    let hub = start(fast_config()).await;
    let campaign = hub.create_campaign(&contacts_csv(10), &[]).await;
    let id = campaign["id"].as_str().unwrap_or_default().to_owned();
    let stream = send(hub.get(&format!("/api/v1/campaigns/{id}/events"))).await;
    assert_eq!(stream.status(), StatusCode::OK);
    let reader = tokio::spawn(read_sse(stream));

    hub.emulator
        .faults()
        .fail_next(1, 503, Some("1".to_owned()));
    let failed = send(hub.get("/api/v1/campaigns")).await;
    expect_error(failed, StatusCode::SERVICE_UNAVAILABLE, "unavailable").await;
    expect_json(hub.transition(&id, "start").await, StatusCode::OK).await;

    let read = reader
        .await
        .unwrap_or_else(|error| panic!("reader failed: {error}"));
    assert!(read.ended_cleanly);
    assert_eq!(
        read.events()
            .last()
            .map(|(_, name, _)| name.clone())
            .as_deref(),
        Some("end")
    );
}

#[tokio::test]
async fn stream_request_can_fail() {
    let hub = start(fast_config()).await;
    let campaign = hub.create_campaign(&contacts_csv(2), &[]).await;
    let id = campaign["id"].as_str().unwrap_or_default();
    hub.emulator
        .faults()
        .fail_next(1, 429, Some("3".to_owned()));
    let response = send(hub.get(&format!("/api/v1/campaigns/{id}/events"))).await;
    assert_eq!(header(&response, "retry-after").as_deref(), Some("3"));
    expect_error(response, StatusCode::TOO_MANY_REQUESTS, "rate_limited").await;
}
