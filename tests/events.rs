//! The event stream end to end: parsing on any chunking, typed items,
//! reconnects with `Last-Event-ID`, timeouts and limits.

mod support;

use std::time::Duration;

use futures::StreamExt;
use kataven::events::{StreamItem, UnrecognizedReason};
use kataven::ErrorKind;
use support::{Reply, Step, TestServer};

const ID: &str = "cmp_0123456789abcdef";

fn send(bytes: &[u8]) -> Step {
    Step::Send(bytes.to_vec())
}

/// Collects every item until the stream ends.
async fn collect(server: &TestServer) -> Vec<kataven::Result<StreamItem>> {
    collect_with(server, server.client()).await
}

async fn collect_with(
    server: &TestServer,
    client: kataven::Client,
) -> Vec<kataven::Result<StreamItem>> {
    let _ = server;
    let events = client.campaigns().stream_events(ID).unwrap();
    tokio::time::timeout(Duration::from_secs(20), events.collect::<Vec<_>>())
        .await
        .expect("the stream ends")
}

fn raw_data(item: &kataven::Result<StreamItem>) -> String {
    item.as_ref().unwrap().raw().unwrap().data.clone()
}

fn ids(items: &[kataven::Result<StreamItem>]) -> Vec<String> {
    items
        .iter()
        .filter_map(|item| item.as_ref().ok()?.raw()?.id.clone())
        .collect()
}

#[tokio::test]
async fn utf8_split_across_chunks() {
    let server = TestServer::always(Reply::events(vec![
        send(b"data: {\"name\":\"Jos\xC3"),
        send(b"\xA9\",\"emoji\":\"\xF0\x9F"),
        send(b"\x98\x80\"}\n\n"),
        send(b"event: end\n\n"),
    ]))
    .await;
    let items = collect(&server).await;
    assert_eq!(items.len(), 2);
    let StreamItem::Unrecognized(event) = items[0].as_ref().unwrap() else {
        panic!("expected an unrecognized message event, got {:?}", items[0]);
    };
    let json = event.json.as_ref().unwrap();
    assert_eq!(json["name"], "José");
    assert_eq!(json["emoji"], "😀");
    assert!(matches!(items[1], Ok(StreamItem::End(_))));
}

#[tokio::test]
async fn crlf_and_cr_line_ends() {
    let server = TestServer::always(Reply::events(vec![
        send(b"data: {\"n\":1}\r\n\r\n"),
        send(b"data: {\"n\":1}\r\r"),
        send(b"data: first\r\ndata: second\n\n"),
        send(b"event: end\r\n\r\n"),
    ]))
    .await;
    let items = collect(&server).await;
    assert_eq!(items.len(), 4);
    assert_eq!(raw_data(&items[0]), "{\"n\":1}");
    assert_eq!(raw_data(&items[1]), "{\"n\":1}");
    assert_eq!(raw_data(&items[2]), "first\nsecond");
}

#[tokio::test]
async fn heartbeats_are_items() {
    let server = TestServer::always(Reply::events(vec![
        send(b":\n\n: keepalive\n\n:ping\ndata: {\"status\":\"running\"}\n\n"),
        send(b"event: end\n\n"),
    ]))
    .await;
    let items = collect(&server).await;
    let comments: Vec<_> = items
        .iter()
        .filter_map(|item| match item {
            Ok(StreamItem::Heartbeat(heartbeat)) => Some(heartbeat.comment.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(comments, ["", "keepalive", "ping"]);
    let StreamItem::Unrecognized(event) = items[3].as_ref().unwrap() else {
        panic!("expected the data event, got {:?}", items[3]);
    };
    assert_eq!(event.json.as_ref().unwrap()["status"], "running");
    assert!(items.iter().all(Result::is_ok));
}

#[tokio::test]
async fn multiline_data_kept() {
    let server = TestServer::always(Reply::events(vec![
        send(b"event: progress\ndata: {\"completed\":3,\ndata:  \"failed\":1}\n\n"),
        send(b"event: end\n\n"),
    ]))
    .await;
    let items = collect(&server).await;
    let StreamItem::Unrecognized(event) = items[0].as_ref().unwrap() else {
        panic!(
            "a partial progress body is not a ProgressEvent: {:?}",
            items[0]
        );
    };
    assert_eq!(event.raw.event.as_deref(), Some("progress"));
    assert_eq!(event.raw.data, "{\"completed\":3,\n \"failed\":1}");
    assert!(matches!(event.reason, UnrecognizedReason::InvalidData(_)));
    assert_eq!(event.json.as_ref().unwrap()["failed"], 1);
}

#[tokio::test]
async fn end_marker_ends_stream() {
    let server = TestServer::always(Reply::events(vec![
        send(b"data: {\"status\":\"completed\"}\n\n"),
        send(b"event: end\n\n"),
    ]))
    .await;
    let items = collect(&server).await;
    assert_eq!(items.len(), 2);
    let StreamItem::End(end) = items[1].as_ref().unwrap() else {
        panic!("expected the end marker, got {:?}", items[1]);
    };
    assert!(end.summary.is_none());
    assert_eq!(
        server.requests().len(),
        1,
        "no reconnect after the end marker"
    );
}

#[tokio::test]
async fn reconnect_resumes_without_duplicates() {
    let server = TestServer::sequence(vec![
        Reply::events(vec![
            send(b"id: 7\ndata: {\"n\":7}\n\nid: 8\ndata: {\"n\":8}\n\n"),
            Step::Reset,
        ]),
        Reply::Reset,
        Reply::events(vec![
            send(b"id: 8\ndata: {\"n\":8}\n\nid: 9\ndata: {\"n\":9}\n\n"),
            send(b"id: 10\nevent: end\n\n"),
        ]),
    ])
    .await;
    let items = collect(&server).await;
    assert!(items.iter().all(Result::is_ok), "{items:?}");
    assert_eq!(ids(&items), ["7", "8", "9", "10"]);
    let requests = server.requests();
    assert_eq!(requests.len(), 3);
    assert_eq!(requests[0].header("last-event-id"), None);
    assert_eq!(requests[1].header("last-event-id"), Some("8"));
    assert_eq!(requests[2].header("last-event-id"), Some("8"));
}

#[tokio::test]
async fn long_line_in_small_chunks() {
    let mut body = b"data: {\"blob\":\"".to_vec();
    body.extend(std::iter::repeat_n(b'x', 300_000));
    body.extend_from_slice(b"\"}\n\n");
    let mut steps: Vec<Step> = body.chunks(4096).map(send).collect();
    steps.push(send(b"event: end\n\n"));
    let server = TestServer::always(Reply::events(steps)).await;
    let items = collect(&server).await;
    assert_eq!(items.len(), 2);
    assert_eq!(raw_data(&items[0]).len(), 300_011);
}

#[tokio::test]
async fn stream_request_headers() {
    let server = TestServer::always(Reply::events(vec![send(b"event: end\n\n")])).await;
    collect(&server).await;
    let request = &server.requests()[0];
    assert_eq!(request.method, "GET");
    assert_eq!(request.path(), format!("/api/v1/campaigns/{ID}/events"));
    assert_eq!(request.header("accept"), Some("text/event-stream"));
    assert_eq!(request.header("cache-control"), Some("no-cache"));
    assert_eq!(
        request.header("authorization"),
        Some(format!("Bearer {}", support::API_KEY).as_str())
    );
}

#[tokio::test]
async fn typed_events_decoded() {
    let progress = r#"{"campaign_id":"cmp_1","status":"running","calls_in_flight":2,"at":"2026-12-01T09:00:00Z","progress":{"total":3,"pending":1,"dialing":1,"in_progress":1,"completed":0,"no_answer":0,"busy":0,"failed":0,"cancelled":0}}"#;
    let contact = r#"{"campaign_id":"cmp_1","contact_id":"ct_1","phone_number":"+12025550101","status":"no_answer","attempts":1,"outcome":"no_answer","at":"2026-12-01T09:00:01Z"}"#;
    let status = r#"{"campaign_id":"cmp_1","status":"completed","previous_status":"running","at":"2026-12-01T09:00:02Z"}"#;
    let end = r#"{"campaign_id":"cmp_1","status":"completed","at":"2026-12-01T09:00:03Z","progress":{"total":3,"pending":0,"dialing":0,"in_progress":0,"completed":2,"no_answer":1,"busy":0,"failed":0,"cancelled":0}}"#;
    let body = format!(
        "retry: 3000\n\nid: 1\nevent: progress\ndata: {progress}\n\nid: 2\nevent: contact\ndata: {contact}\n\n\
         id: 3\nevent: status\ndata: {status}\n\nid: 4\nevent: surprise\ndata: {{}}\n\nid: 5\nevent: end\ndata: {end}\n\n"
    );
    let server = TestServer::always(Reply::events(vec![send(body.as_bytes())])).await;
    let items = collect(&server).await;
    assert_eq!(items.len(), 5);
    let Ok(StreamItem::Progress(progress)) = &items[0] else {
        panic!("{:?}", items[0])
    };
    assert_eq!(progress.calls_in_flight, 2);
    assert_eq!(progress.raw.id.as_deref(), Some("1"));
    let Ok(StreamItem::Contact(contact)) = &items[1] else {
        panic!("{:?}", items[1])
    };
    assert_eq!(contact.status, kataven::models::ContactStatus::NoAnswer);
    let Ok(StreamItem::Status(status)) = &items[2] else {
        panic!("{:?}", items[2])
    };
    assert!(status.status.is_terminal());
    let Ok(StreamItem::Unrecognized(unknown)) = &items[3] else {
        panic!("{:?}", items[3])
    };
    assert_eq!(
        unknown.reason,
        UnrecognizedReason::UnknownName("surprise".into())
    );
    let Ok(StreamItem::End(end)) = &items[4] else {
        panic!("{:?}", items[4])
    };
    assert_eq!(end.summary.as_ref().unwrap().progress.completed, 2);
}

#[tokio::test]
async fn heartbeats_keep_stream_alive() {
    let mut steps = Vec::new();
    for _ in 0..30 {
        steps.push(send(b": heartbeat\n\n"));
        steps.push(Step::Pause(Duration::from_millis(50)));
    }
    steps.push(send(b"event: end\n\n"));
    let server = TestServer::always(Reply::events(steps)).await;
    let client = server
        .builder()
        .event_idle_timeout(Duration::from_millis(600))
        .build()
        .unwrap();
    let items = collect_with(&server, client).await;
    let heartbeats = items
        .iter()
        .filter(|item| matches!(item, Ok(StreamItem::Heartbeat(_))))
        .count();
    assert_eq!(heartbeats, 30);
    assert_eq!(
        server.requests().len(),
        1,
        "heartbeats keep the connection alive"
    );
}

#[tokio::test]
async fn idle_timeout_reconnects() {
    let server = TestServer::sequence(vec![
        Reply::events(vec![send(b"id: 1\ndata: {}\n\n"), Step::Hang]),
        Reply::events(vec![send(b"id: 1\ndata: {}\n\nid: 2\nevent: end\n\n")]),
    ])
    .await;
    let client = server
        .builder()
        .event_idle_timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let items = collect_with(&server, client).await;
    assert_eq!(ids(&items), ["1", "2"]);
    assert_eq!(server.requests()[1].header("last-event-id"), Some("1"));
}

#[tokio::test]
async fn reconnect_limit_without_ids_says_so() {
    for (events, position) in [
        (&b""[..], "no event was received"),
        (&b"data: {}\n\n"[..], "1 event was received, without an id"),
        (
            &b"data: {}\n\ndata: {}\n\n"[..],
            "2 events were received, none with an id",
        ),
    ] {
        let server = TestServer::sequence(vec![
            Reply::events(vec![send(events), Step::Reset]),
            Reply::Reset,
        ])
        .await;
        let client = server.builder().max_reconnects(1).build().unwrap();
        let items = collect_with(&server, client).await;
        let message = items.last().unwrap().as_ref().unwrap_err().to_string();
        assert!(message.contains(position), "{message}");
        assert!(!message.contains("resume_after"), "{message}");
    }
}

#[tokio::test]
async fn reconnect_limit_reports_position() {
    let server = TestServer::sequence(vec![
        Reply::events(vec![send(b"id: 41\ndata: {}\n\n"), Step::Reset]),
        Reply::Reset,
    ])
    .await;
    let client = server.builder().max_reconnects(3).build().unwrap();
    let items = collect_with(&server, client).await;
    assert_eq!(items.len(), 2);
    let error = items[1].as_ref().unwrap_err();
    assert_eq!(error.kind(), ErrorKind::StreamInterrupted);
    let message = error.to_string();
    assert!(
        message.contains("the last event received has id 41"),
        "{message}"
    );
    assert!(message.contains("3 reconnect attempts"), "{message}");
    assert_eq!(
        server.requests().len(),
        4,
        "one connection and three reconnect attempts"
    );
}

#[tokio::test]
async fn client_error_ends_stream() {
    let server = TestServer::always(Reply::error(404, "not_found", "no such campaign")).await;
    let items = collect(&server).await;
    assert_eq!(items.len(), 1);
    let error = items[0].as_ref().unwrap_err();
    assert!(error.is_not_found());
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn server_error_reconnects() {
    let server = TestServer::sequence(vec![
        Reply::error(503, "unavailable", "restarting").with_header("retry-after", "0"),
        Reply::events(vec![send(b"id: 1\nevent: end\n\n")]),
    ])
    .await;
    let items = collect(&server).await;
    assert_eq!(items.len(), 1);
    assert!(matches!(items[0], Ok(StreamItem::End(_))));
}

#[tokio::test]
async fn oversized_event_rejected() {
    let mut body = b"data: ".to_vec();
    body.extend(std::iter::repeat_n(b'y', 5000));
    body.extend_from_slice(b"\n\n");
    let server = TestServer::always(Reply::events(vec![send(&body)])).await;
    let client = server.builder().max_event_bytes(1024).build().unwrap();
    let items = collect_with(&server, client).await;
    assert_eq!(items.len(), 1);
    let error = items[0].as_ref().unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Decode);
    assert!(error.to_string().contains("max_event_bytes"), "{error}");
}

#[tokio::test]
async fn wrong_content_type_rejected() {
    let server = TestServer::always(Reply::json(200, serde_json::json!({"items": []}))).await;
    let items = collect(&server).await;
    let error = items[0].as_ref().unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Decode);
    assert!(error.to_string().contains("text/event-stream"), "{error}");
}

#[tokio::test]
async fn no_content_ends_quietly() {
    let reply = Reply::Full {
        status: 204,
        headers: vec![],
        body: vec![],
    };
    let server = TestServer::always(reply).await;
    assert!(collect(&server).await.is_empty());
}

#[tokio::test]
async fn resume_after_skips_seen_events() {
    let server = TestServer::always(Reply::events(vec![send(
        b"id: 4\ndata: {}\n\nid: 5\ndata: {}\n\nid: 6\nevent: end\n\n",
    )]))
    .await;
    let events = server
        .client()
        .campaigns()
        .stream_events(ID)
        .unwrap()
        .resume_after("5");
    let items: Vec<_> = events.collect().await;
    assert_eq!(ids(&items), ["6"]);
    assert_eq!(server.requests()[0].header("last-event-id"), Some("5"));
}

#[tokio::test]
async fn last_event_id_and_reconnects_visible() {
    let server = TestServer::sequence(vec![
        Reply::events(vec![send(b"id: 1\ndata: {}\n\n"), Step::Reset]),
        Reply::events(vec![send(b"id: 2\nevent: end\n\n")]),
    ])
    .await;
    let mut events = server.client().campaigns().stream_events(ID).unwrap();
    while events.next().await.is_some() {}
    assert_eq!(events.last_event_id().as_deref(), Some("2"));
    assert_eq!(events.reconnects(), 1);
}

/// The whole stream, split at every position into two chunks, gives the
/// same items as one chunk, through the real HTTP path.
#[tokio::test]
async fn items_independent_of_chunking() {
    let body: &[u8] = b"\xEF\xBB\xBFretry: 5\r\n: hi\r\n\r\nid: 1\r\nevent: surprise\rdata: a\r\ndata:b\n\nid: 2\ndata: {\"x\":\"\xC3\xA9\"}\n\nid: 3\nevent: end\n\n";
    let whole = TestServer::always(Reply::events(vec![send(body)])).await;
    let expected: Vec<_> = collect(&whole)
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();
    assert_eq!(expected.len(), 4);
    for split in 1..body.len() {
        let (first, second) = body.split_at(split);
        let server = TestServer::always(Reply::events(vec![send(first), send(second)])).await;
        let items: Vec<_> = collect(&server)
            .await
            .into_iter()
            .map(Result::unwrap)
            .collect();
        assert_eq!(items, expected, "split at byte {split}");
    }
}
