//! The campaign lifecycle table: every operation from every status.

mod common;

use common::{
    contacts_csv, expect_error, expect_json, fast_config, send, start, wait_until, TestHub,
};
use kataven_emulator::EmulatorConfig;
use reqwest::StatusCode;

/// Calls last thousands of real seconds at this scale, so a running campaign stays running.
fn frozen_config() -> EmulatorConfig {
    EmulatorConfig::default().time_scale(0.001)
}

const OPERATIONS: [&str; 4] = ["start", "pause", "resume", "stop"];

/// Creates a campaign and brings it to `status`.
async fn campaign_in(hub: &TestHub, status: &str) -> String {
    let csv = contacts_csv(3);
    let campaign = if status == "scheduled" {
        hub.create_campaign(&csv, &[("scheduled_at", "2999-01-01T00:00:00Z")])
            .await
    } else {
        hub.create_campaign(&csv, &[]).await
    };
    let id = campaign["id"].as_str().unwrap_or_default().to_owned();

    let steps: &[&str] = match status {
        "draft" | "scheduled" => &[],
        "running" | "completed" => &["start"],
        "paused" => &["start", "pause"],
        "stopped" => &["stop"],
        _ => panic!("no way to reach {status}"),
    };
    for step in steps {
        expect_json(hub.transition(&id, step).await, StatusCode::OK).await;
    }
    let reached = hub.wait_for_status(&id, status).await;
    assert_eq!(reached["status"], status);
    id
}

/// Returns the status an operation leads to from `from`, or `None` when the table forbids it.
fn expected(from: &str, operation: &str) -> Option<&'static str> {
    match (operation, from) {
        ("start", "draft" | "scheduled" | "paused") => Some("running"),
        ("pause", "running") => Some("paused"),
        ("resume", "paused") => Some("running"),
        ("stop", "draft" | "scheduled" | "running" | "paused") => Some("stopped"),
        _ => None,
    }
}

async fn check_table(hub: &TestHub, statuses: &[&str]) {
    for from in statuses {
        for operation in OPERATIONS {
            let id = campaign_in(hub, from).await;
            let response = hub.transition(&id, operation).await;
            match expected(from, operation) {
                Some(to) => {
                    let body = expect_json(response, StatusCode::OK).await;
                    assert_eq!(body["status"], to, "{operation} from {from}");
                }
                None => {
                    let body =
                        expect_error(response, StatusCode::CONFLICT, "invalid_transition").await;
                    let message = body["message"].as_str().unwrap_or_default();
                    assert!(message.contains(from), "{operation} from {from}: {message}");
                    assert!(
                        message.contains(operation),
                        "{operation} from {from}: {message}"
                    );
                    assert_eq!(body["details"]["status"], *from);
                    let unchanged = hub.campaign(&id).await;
                    assert_eq!(
                        unchanged["status"], *from,
                        "{operation} from {from} changed the status"
                    );
                }
            }
        }
    }
}

#[tokio::test]
async fn transitions_from_active_statuses() {
    let hub = start(frozen_config()).await;
    check_table(
        &hub,
        &["draft", "scheduled", "running", "paused", "stopped"],
    )
    .await;
}

#[tokio::test]
async fn transitions_from_completed() {
    let hub = start(fast_config()).await;
    check_table(&hub, &["completed"]).await;
}

#[tokio::test]
async fn delete_from_each_status() {
    let frozen = start(frozen_config()).await;
    for status in ["draft", "scheduled", "paused", "stopped"] {
        let id = campaign_in(&frozen, status).await;
        let response = send(frozen.delete(&format!("/api/v1/campaigns/{id}"))).await;
        assert_eq!(
            response.status(),
            StatusCode::NO_CONTENT,
            "delete from {status}"
        );
        assert!(response.headers().contains_key("x-request-id"));
        assert_eq!(response.text().await.unwrap_or_default(), "");
        let after_delete = send(frozen.get(&format!("/api/v1/campaigns/{id}"))).await;
        expect_error(after_delete, StatusCode::NOT_FOUND, "not_found").await;
    }

    let fast = start(fast_config()).await;
    let id = campaign_in(&fast, "completed").await;
    let response = send(fast.delete(&format!("/api/v1/campaigns/{id}"))).await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn delete_running_is_conflict() {
    let hub = start(frozen_config()).await;
    let id = campaign_in(&hub, "running").await;
    let response = send(hub.delete(&format!("/api/v1/campaigns/{id}"))).await;
    expect_error(response, StatusCode::CONFLICT, "campaign_running").await;
    assert_eq!(hub.campaign(&id).await["status"], "running");
}

#[tokio::test]
async fn delete_frees_tenant_slots() {
    let hub = start(frozen_config()).await;
    let id = campaign_in(&hub, "running").await;
    hub.wait_for_campaign(&id, "calls in flight", |campaign| {
        campaign["progress"]["dialing"] == 3
    })
    .await;
    assert_eq!(hub.emulator.stats().calls_in_flight, 3);

    expect_json(hub.transition(&id, "pause").await, StatusCode::OK).await;
    let response = send(hub.delete(&format!("/api/v1/campaigns/{id}"))).await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert_eq!(hub.emulator.stats().calls_in_flight, 0);
}

#[tokio::test]
async fn stop_cancels_pending_contacts() {
    let hub = start(frozen_config()).await;
    let campaign = hub
        .create_campaign(&contacts_csv(10), &[("max_concurrent_calls", "2")])
        .await;
    let id = campaign["id"].as_str().unwrap_or_default();
    expect_json(hub.transition(id, "start").await, StatusCode::OK).await;
    hub.wait_for_campaign(id, "two calls dialling", |campaign| {
        campaign["progress"]["dialing"] == 2
    })
    .await;

    let stopped = expect_json(hub.transition(id, "stop").await, StatusCode::OK).await;
    assert_eq!(stopped["status"], "stopped");
    assert!(stopped["ended_at"].is_string());
    assert_eq!(stopped["progress"]["cancelled"], 8);
    assert_eq!(stopped["progress"]["pending"], 0);
    // Calls in flight finish on their own; stopping does not cancel them.
    assert_eq!(stopped["progress"]["dialing"], 2);

    let cancelled = hub.contacts_page(id, "?status=cancelled").await;
    assert_eq!(cancelled["total"], 8);
    expect_error(
        hub.transition(id, "start").await,
        StatusCode::CONFLICT,
        "invalid_transition",
    )
    .await;
}

#[tokio::test]
async fn stop_then_calls_finish() {
    // At time scale 100 the 50 contacts need minutes of real time, so the stop comes long before the end.
    let hub = start(EmulatorConfig::default().time_scale(100.0)).await;
    let campaign = hub
        .create_campaign(&contacts_csv(50), &[("max_concurrent_calls", "5")])
        .await;
    let id = campaign["id"].as_str().unwrap_or_default();
    expect_json(hub.transition(id, "start").await, StatusCode::OK).await;
    wait_until("a call to be placed", || async {
        (hub.emulator.stats().calls_placed > 0).then_some(())
    })
    .await;
    expect_json(hub.transition(id, "stop").await, StatusCode::OK).await;

    let done = hub
        .wait_for_campaign(id, "calls in flight to finish", |campaign| {
            campaign["progress"]["dialing"] == 0 && campaign["progress"]["in_progress"] == 0
        })
        .await;
    assert_eq!(done["status"], "stopped");
    let progress = &done["progress"];
    let final_sum: u64 = ["completed", "no_answer", "busy", "failed", "cancelled"]
        .iter()
        .filter_map(|status| progress[*status].as_u64())
        .sum();
    assert_eq!(final_sum, 50, "{progress}");
    assert_eq!(hub.emulator.stats().calls_in_flight, 0);
}

#[tokio::test]
async fn pause_stops_new_dials() {
    // At time scale 100 the 40 contacts need minutes of real time, so the pause comes long before the end.
    let hub = start(EmulatorConfig::default().time_scale(100.0)).await;
    let campaign = hub
        .create_campaign(&contacts_csv(40), &[("max_concurrent_calls", "2")])
        .await;
    let id = campaign["id"].as_str().unwrap_or_default();
    expect_json(hub.transition(id, "start").await, StatusCode::OK).await;
    wait_until("a call to be placed", || async {
        (hub.emulator.stats().calls_placed > 0).then_some(())
    })
    .await;

    let paused = expect_json(hub.transition(id, "pause").await, StatusCode::OK).await;
    assert_eq!(paused["status"], "paused");
    let placed_at_pause = hub.emulator.stats().calls_placed;

    let idle = hub
        .wait_for_campaign(id, "calls in flight to finish", |campaign| {
            campaign["progress"]["dialing"] == 0 && campaign["progress"]["in_progress"] == 0
        })
        .await;
    assert_eq!(idle["status"], "paused");
    // 200 ms is 20 simulated seconds: a dispatcher that ignored the pause would have dialled the free slots at once.
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert_eq!(hub.emulator.stats().calls_placed, placed_at_pause);
    assert!(hub.campaign(id).await["progress"]["pending"].as_u64() > Some(0));

    let resumed = expect_json(hub.transition(id, "resume").await, StatusCode::OK).await;
    assert_eq!(resumed["status"], "running");
    wait_until("a call after resume", || async {
        (hub.emulator.stats().calls_placed > placed_at_pause).then_some(())
    })
    .await;
}

#[tokio::test]
async fn completed_campaign_has_end_times() {
    let hub = start(fast_config()).await;
    let id = campaign_in(&hub, "completed").await;
    let completed = hub.campaign(&id).await;
    assert!(completed["started_at"].is_string());
    assert!(completed["ended_at"].is_string());
    assert_eq!(completed["progress"]["pending"], 0);
}
