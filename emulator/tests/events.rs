//! The Server-Sent Events stream: format, replay, `Last-Event-ID`, heartbeats, retention and end.

mod common;

use std::collections::HashMap;
use std::time::Duration;

use common::{
    contacts_csv, expect_error, expect_json, fast_config, read_sse, send, start, wait_until,
    SseItem, TestHub, WAIT_LIMIT,
};
use kataven_emulator::EmulatorConfig;
use reqwest::StatusCode;
use serde_json::Value;

const EVENT_NAMES: [&str; 4] = ["progress", "contact", "status", "end"];

async fn open_stream(hub: &TestHub, id: &str) -> reqwest::Response {
    let response = send(hub.get(&format!("/api/v1/campaigns/{id}/events"))).await;
    assert_eq!(response.status(), StatusCode::OK);
    response
}

async fn started_campaign(hub: &TestHub, contacts: usize, fields: &[(&str, &str)]) -> String {
    let campaign = hub.create_campaign(&contacts_csv(contacts), fields).await;
    let id = campaign["id"].as_str().unwrap_or_default().to_owned();
    expect_json(hub.transition(&id, "start").await, StatusCode::OK).await;
    id
}

/// Checks ids from `first_id` on, consecutive, known names, and `end` last.
fn check_sequence(events: &[(u64, String, Value)], first_id: u64) {
    for (offset, (id, name, _)) in events.iter().enumerate() {
        assert_eq!(*id, first_id + offset as u64, "ids are not consecutive");
        assert!(EVENT_NAMES.contains(&name.as_str()), "unknown event {name}");
    }
    let ends = events.iter().filter(|(_, name, _)| name == "end").count();
    assert_eq!(ends, 1, "exactly one end event");
    assert_eq!(events.last().map(|(_, name, _)| name.as_str()), Some("end"));
}

#[tokio::test]
async fn live_stream_reaches_end() {
    let hub = start(fast_config()).await;
    let campaign = hub
        .create_campaign(&contacts_csv(20), &[("max_concurrent_calls", "4")])
        .await;
    let id = campaign["id"].as_str().unwrap_or_default().to_owned();

    let response = open_stream(&hub, &id).await;
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    assert_eq!(header("content-type"), "text/event-stream");
    assert_eq!(header("cache-control"), "no-cache");
    assert!(!header("x-request-id").is_empty());
    let reader = tokio::spawn(read_sse(response));

    expect_json(hub.transition(&id, "start").await, StatusCode::OK).await;
    let read = reader
        .await
        .unwrap_or_else(|error| panic!("reader failed: {error}"));
    assert!(read.ended_cleanly, "the stream broke: {}", read.raw);
    assert!(read.raw.starts_with("retry: 3000\n"), "{}", read.raw);
    assert_eq!(read.items.first(), Some(&SseItem::Retry(3000)));

    let events = read.events();
    check_sequence(&events, 1);
    let Some((_, _, end)) = events.last() else {
        panic!("no events");
    };
    let campaign = hub.campaign(&id).await;
    assert_eq!(end["status"], "completed");
    assert_eq!(end["campaign_id"], id.as_str());
    assert_eq!(end["progress"], campaign["progress"]);

    let statuses: Vec<(&str, &str)> = events
        .iter()
        .filter(|(_, name, _)| name == "status")
        .map(|(_, _, data)| {
            (
                data["previous_status"].as_str().unwrap_or_default(),
                data["status"].as_str().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        statuses,
        vec![("draft", "running"), ("running", "completed")]
    );
}

#[tokio::test]
async fn progress_follows_every_contact_change() {
    let hub = start(fast_config()).await;
    let id = started_campaign(
        &hub,
        30,
        &[
            ("max_concurrent_calls", "6"),
            ("retries_per_contact", "1"),
            ("retry_delay_seconds", "60"),
        ],
    )
    .await;
    let read = hub.read_events(&id, None).await;
    let events = read.events();
    check_sequence(&events, 1);

    // Rebuild the counts from `contact` events and compare them with each `progress` event.
    let mut statuses: HashMap<String, String> = HashMap::new();
    let mut last_was_contact = false;
    for (id, name, data) in &events {
        match name.as_str() {
            "contact" => {
                let contact = data["contact_id"].as_str().unwrap_or_default().to_owned();
                statuses.insert(
                    contact,
                    data["status"].as_str().unwrap_or_default().to_owned(),
                );
                last_was_contact = true;
            }
            "progress" => {
                let total = data["progress"]["total"].as_u64().unwrap_or_default();
                for status in [
                    "dialing",
                    "in_progress",
                    "completed",
                    "no_answer",
                    "busy",
                    "failed",
                ] {
                    let counted = statuses
                        .values()
                        .filter(|value| value.as_str() == status)
                        .count() as u64;
                    assert_eq!(
                        Some(counted),
                        data["progress"][status].as_u64(),
                        "{status} at event {id}"
                    );
                }
                let not_pending = statuses
                    .values()
                    .filter(|value| value.as_str() != "pending")
                    .count() as u64;
                assert_eq!(
                    data["progress"]["pending"].as_u64(),
                    Some(total - not_pending),
                    "pending at event {id}"
                );
                last_was_contact = false;
            }
            _ => assert!(
                !last_was_contact,
                "a contact event at {id} had no progress event after it"
            ),
        }
    }
    let retried = events.iter().any(|(_, name, data)| {
        name == "contact" && data["status"] == "pending" && data["outcome"].is_string()
    });
    assert!(retried, "no contact went back to pending for a retry");
}

#[tokio::test]
async fn ended_campaign_replays_history() {
    let hub = start(fast_config()).await;
    let id = started_campaign(&hub, 15, &[]).await;
    let first = hub.read_events(&id, None).await;
    hub.wait_for_status(&id, "completed").await;
    let second = hub.read_events(&id, None).await;

    assert!(second.ended_cleanly);
    assert_eq!(first.events(), second.events());
    check_sequence(&second.events(), 1);
}

#[tokio::test]
async fn last_event_id_resumes_after_it() {
    let hub = start(fast_config()).await;
    let id = started_campaign(&hub, 10, &[]).await;
    let full = hub.read_events(&id, None).await.events();
    assert!(full.len() > 8);

    let resumed = hub.read_events(&id, Some("5")).await.events();
    assert_eq!(resumed.first().map(|(id, _, _)| *id), Some(6));
    assert_eq!(resumed.as_slice(), full.get(5..).unwrap_or_default());

    let last_id = full
        .last()
        .map(|(id, _, _)| id.to_string())
        .unwrap_or_default();
    let after_end = hub.read_events(&id, Some(&last_id)).await;
    assert!(after_end.ended_cleanly);
    assert!(after_end.events().is_empty());
}

#[tokio::test]
async fn invalid_last_event_id_is_rejected() {
    let hub = start(fast_config()).await;
    let campaign = hub.create_campaign(&contacts_csv(2), &[]).await;
    let id = campaign["id"].as_str().unwrap_or_default();
    for value in ["abc", "-1", "1.5"] {
        let request = hub
            .get(&format!("/api/v1/campaigns/{id}/events"))
            .header("Last-Event-ID", value);
        let body = expect_error(
            send(request).await,
            StatusCode::BAD_REQUEST,
            "invalid_request",
        )
        .await;
        assert_eq!(body["details"]["header"], "Last-Event-ID");
    }
}

#[tokio::test]
async fn idle_stream_sends_heartbeats() {
    let hub = start(fast_config().heartbeat_interval(Duration::from_millis(50))).await;
    let campaign = hub.create_campaign(&contacts_csv(2), &[]).await;
    let id = campaign["id"].as_str().unwrap_or_default();
    let mut response = open_stream(&hub, id).await;

    let mut raw = String::new();
    let heartbeats = tokio::time::timeout(WAIT_LIMIT, async {
        while raw.matches(": heartbeat\n\n").count() < 2 {
            match response.chunk().await {
                Ok(Some(chunk)) => raw.push_str(&String::from_utf8_lossy(&chunk)),
                _ => break,
            }
        }
        raw.matches(": heartbeat\n\n").count()
    })
    .await
    .unwrap_or_else(|_| panic!("no heartbeat arrived"));
    assert_eq!(heartbeats, 2, "{raw}");
    // The draft campaign's one event (its initial progress) comes before the heartbeats.
    assert!(
        raw.starts_with("retry: 3000\n\nid: 1\nevent: progress\n"),
        "{raw}"
    );
}

#[tokio::test]
async fn retention_keeps_recent_events() {
    let hub = start(fast_config().max_events_retained(10)).await;
    let id = started_campaign(&hub, 20, &[]).await;
    hub.wait_for_status(&id, "completed").await;
    let read = hub.read_events(&id, None).await;
    let events = read.events();
    assert_eq!(events.len(), 10);
    let first_id = events.first().map(|(id, _, _)| *id).unwrap_or_default();
    assert!(first_id > 1);
    check_sequence(&events, first_id);

    // A Last-Event-ID older than the retained events resumes at the oldest retained one.
    let resumed = hub.read_events(&id, Some("1")).await.events();
    assert_eq!(resumed, events);
}

#[tokio::test]
async fn cut_stream_breaks_then_resumes() {
    let hub = start(fast_config()).await;
    let id = started_campaign(&hub, 10, &[]).await;
    hub.wait_for_status(&id, "completed").await;
    let full = hub.read_events(&id, None).await.events();

    hub.emulator.faults().cut_streams_after(Some(3));
    let cut = hub.read_events(&id, None).await;
    assert!(!cut.ended_cleanly, "the cut stream ended cleanly");
    assert_eq!(cut.events().len(), 3);
    assert_eq!(hub.emulator.stats().faults_injected, 1);

    hub.emulator.faults().cut_streams_after(None);
    let rest = hub.read_events(&id, Some("3")).await;
    assert!(rest.ended_cleanly);
    let mut joined = cut.events();
    joined.extend(rest.events());
    assert_eq!(joined, full);
}

#[tokio::test]
async fn stop_ends_after_calls_in_flight() {
    // At time scale 100 the campaign is far from done when it is stopped.
    let hub = start(EmulatorConfig::default().time_scale(100.0)).await;
    let id = started_campaign(&hub, 30, &[("max_concurrent_calls", "3")]).await;
    wait_until("a call to be placed", || async {
        (hub.emulator.stats().calls_placed > 0).then_some(())
    })
    .await;
    let reader = tokio::spawn(read_sse(open_stream(&hub, &id).await));
    expect_json(hub.transition(&id, "stop").await, StatusCode::OK).await;

    let read = reader
        .await
        .unwrap_or_else(|error| panic!("reader failed: {error}"));
    let events = read.events();
    check_sequence(&events, 1);
    let Some((_, _, end)) = events.last() else {
        panic!("no events");
    };
    assert_eq!(end["status"], "stopped");
    assert_eq!(end["progress"]["dialing"], 0);
    assert_eq!(end["progress"]["in_progress"], 0);
    assert_eq!(end["progress"]["pending"], 0);
    assert!(end["progress"]["cancelled"].as_u64() > Some(0));
    assert_eq!(hub.emulator.stats().calls_in_flight, 0);
}

#[tokio::test]
async fn stop_of_draft_cancels_and_ends() {
    let hub = start(fast_config()).await;
    let campaign = hub.create_campaign(&contacts_csv(4), &[]).await;
    let id = campaign["id"].as_str().unwrap_or_default().to_owned();
    expect_json(hub.transition(&id, "stop").await, StatusCode::OK).await;

    let events = hub.read_events(&id, None).await.events();
    let names: Vec<&str> = events.iter().map(|(_, name, _)| name.as_str()).collect();
    assert_eq!(
        names,
        ["progress", "status", "contact", "contact", "contact", "contact", "progress", "end"]
    );
    assert!(events
        .iter()
        .filter(|(_, name, _)| name == "contact")
        .all(|(_, _, data)| data["status"] == "cancelled"));
}

#[tokio::test]
async fn deleted_campaign_closes_stream() {
    let hub = start(fast_config()).await;
    let campaign = hub.create_campaign(&contacts_csv(2), &[]).await;
    let id = campaign["id"].as_str().unwrap_or_default().to_owned();
    let reader = tokio::spawn(read_sse(open_stream(&hub, &id).await));

    let response = send(hub.delete(&format!("/api/v1/campaigns/{id}"))).await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let read = reader
        .await
        .unwrap_or_else(|error| panic!("reader failed: {error}"));
    assert!(read.ended_cleanly);
}

#[tokio::test]
async fn stop_beyond_retention_keeps_ids() {
    let hub = start(fast_config().max_events_retained(10)).await;
    let campaign = hub.create_campaign(&contacts_csv(50), &[]).await;
    let id = campaign["id"].as_str().unwrap_or_default().to_owned();
    expect_json(hub.transition(&id, "stop").await, StatusCode::OK).await;

    // 1 initial progress, 1 status, 50 contact, 1 progress and 1 end event: ids 1 to 54.
    let events = hub.read_events(&id, None).await.events();
    assert_eq!(events.len(), 10);
    check_sequence(&events, 45);
    let last_contact = events
        .iter()
        .rev()
        .find(|(_, name, _)| name == "contact")
        .map(|(_, _, data)| data["phone_number"].clone());
    assert_eq!(last_contact, Some(Value::from("+15550000049")));
    let Some((_, _, end)) = events.last() else {
        panic!("no events");
    };
    assert_eq!(end["progress"]["cancelled"], 50);
}
