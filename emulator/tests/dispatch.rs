//! The dispatcher: concurrency caps, simulated outcomes, retries and reproducibility.

mod common;

use std::collections::BTreeMap;

use common::{contacts_csv, expect_json, fast_config, start, wait_until, TestHub};
use kataven_emulator::EmulatorConfig;
use reqwest::StatusCode;
use serde_json::Value;

const FINAL: [&str; 4] = ["completed", "no_answer", "busy", "failed"];

async fn run_to_completion(
    hub: &TestHub,
    contacts: usize,
    fields: &[(&str, &str)],
) -> (String, Value) {
    let campaign = hub.create_campaign(&contacts_csv(contacts), fields).await;
    let id = campaign["id"].as_str().unwrap_or_default().to_owned();
    expect_json(hub.transition(&id, "start").await, StatusCode::OK).await;
    let done = hub.wait_for_status(&id, "completed").await;
    (id, done)
}

fn progress_sum(progress: &Value) -> u64 {
    [
        "pending",
        "dialing",
        "in_progress",
        "completed",
        "no_answer",
        "busy",
        "failed",
        "cancelled",
    ]
    .iter()
    .filter_map(|status| progress[*status].as_u64())
    .sum()
}

#[tokio::test]
async fn campaign_cap_is_respected() {
    let hub = start(fast_config()).await;
    let (id, done) = run_to_completion(&hub, 200, &[("max_concurrent_calls", "20")]).await;

    let stats = hub.emulator.stats();
    assert_eq!(stats.max_concurrent_calls_per_campaign.get(&id), Some(&20));
    assert!(stats.max_concurrent_calls_tenant <= 50);
    assert_eq!(stats.calls_in_flight, 0);
    assert_eq!(stats.calls_placed, 200);

    let progress = &done["progress"];
    assert_eq!(progress["total"], 200);
    assert_eq!(progress_sum(progress), 200);
    let finals: u64 = FINAL
        .iter()
        .filter_map(|status| progress[*status].as_u64())
        .sum();
    assert_eq!(finals, 200, "{progress}");
    assert!(done["ended_at"].is_string());
}

#[tokio::test]
async fn tenant_cap_holds_across_campaigns() {
    let hub = start(
        EmulatorConfig::default()
            .time_scale(0.001)
            .tenant_max_concurrent_calls(7),
    )
    .await;
    let mut ids = Vec::new();
    for _ in 0..3 {
        let campaign = hub.create_campaign(&contacts_csv(30), &[]).await;
        let id = campaign["id"].as_str().unwrap_or_default().to_owned();
        expect_json(hub.transition(&id, "start").await, StatusCode::OK).await;
        ids.push(id);
    }
    wait_until("seven calls in flight", || async {
        (hub.emulator.stats().calls_in_flight == 7).then_some(())
    })
    .await;

    let mut dialing = 0;
    for id in &ids {
        let campaign = hub.campaign(id).await;
        let count = campaign["progress"]["dialing"].as_u64().unwrap_or_default();
        assert!(count <= 5, "campaign {id} has {count} calls");
        dialing += count;
    }
    assert_eq!(dialing, 7);
    let stats = hub.emulator.stats();
    assert_eq!(stats.max_concurrent_calls_tenant, 7);
    assert!(stats
        .max_concurrent_calls_per_campaign
        .values()
        .all(|max| *max <= 5));
}

#[tokio::test]
async fn tenant_cap_holds_to_completion() {
    let hub = start(fast_config().tenant_max_concurrent_calls(8)).await;
    let mut ids = Vec::new();
    for _ in 0..3 {
        let campaign = hub
            .create_campaign(&contacts_csv(60), &[("max_concurrent_calls", "6")])
            .await;
        let id = campaign["id"].as_str().unwrap_or_default().to_owned();
        expect_json(hub.transition(&id, "start").await, StatusCode::OK).await;
        ids.push(id);
    }
    for id in &ids {
        hub.wait_for_status(id, "completed").await;
    }
    let stats = hub.emulator.stats();
    assert!(stats.max_concurrent_calls_tenant <= 8, "{stats:?}");
    assert!(
        stats
            .max_concurrent_calls_per_campaign
            .values()
            .all(|max| *max <= 6),
        "{stats:?}"
    );
    assert_eq!(stats.calls_placed, 180);
}

#[tokio::test]
async fn final_statuses_follow_outcomes() {
    let hub = start(fast_config()).await;
    let (id, done) = run_to_completion(
        &hub,
        150,
        &[
            ("max_concurrent_calls", "30"),
            ("retries_per_contact", "2"),
            ("retry_delay_seconds", "60"),
        ],
    )
    .await;

    let contacts = hub.all_contacts(&id).await;
    assert_eq!(contacts.len(), 150);
    let mut retried = 0;
    let mut counts: BTreeMap<String, u64> = BTreeMap::new();
    for contact in &contacts {
        let status = contact["status"].as_str().unwrap_or_default();
        let attempts = contact["attempts"].as_u64().unwrap_or_default();
        *counts.entry(status.to_owned()).or_default() += 1;
        assert!((1..=3).contains(&attempts), "{contact}");
        assert!(contact.get("next_attempt_at").is_none(), "{contact}");
        if attempts > 1 {
            retried += 1;
        }
        if status == "completed" {
            assert_eq!(contact["last_outcome"], "answered", "{contact}");
            assert!(contact.get("last_error").is_none(), "{contact}");
        } else {
            assert!(
                ["no_answer", "busy", "failed"].contains(&status),
                "{contact}"
            );
            assert_eq!(
                attempts, 3,
                "a contact ended as {status} with retries left: {contact}"
            );
            assert_eq!(contact["last_outcome"], status, "{contact}");
            assert!(contact["last_error"].is_string(), "{contact}");
        }
    }
    assert!(retried > 0, "no contact was retried");
    for status in FINAL {
        assert_eq!(
            done["progress"][status].as_u64().unwrap_or_default(),
            counts.get(status).copied().unwrap_or_default(),
            "{status}"
        );
    }
    // With 60% answered per attempt, three attempts leave few contacts unanswered.
    assert!(
        counts.get("completed").copied().unwrap_or_default() > 100,
        "{counts:?}"
    );
}

#[tokio::test]
async fn retry_waits_as_pending() {
    // A retry delay of 86400 simulated seconds is 86 real seconds here, far longer than the first attempts.
    let hub = start(EmulatorConfig::default().time_scale(1000.0)).await;
    let campaign = hub
        .create_campaign(
            &contacts_csv(30),
            &[
                ("max_concurrent_calls", "30"),
                ("retries_per_contact", "1"),
                ("retry_delay_seconds", "86400"),
            ],
        )
        .await;
    let id = campaign["id"].as_str().unwrap_or_default().to_owned();
    expect_json(hub.transition(&id, "start").await, StatusCode::OK).await;

    let settled = hub
        .wait_for_campaign(&id, "first attempts to finish", |campaign| {
            let progress = &campaign["progress"];
            progress["dialing"] == 0
                && progress["in_progress"] == 0
                && progress["completed"].as_u64() > Some(0)
        })
        .await;
    assert_eq!(settled["status"], "running");
    let waiting = settled["progress"]["pending"].as_u64().unwrap_or_default();
    assert!(waiting > 0, "no first attempt failed: {settled}");

    let now = chrono::Utc::now();
    let pending = hub.contacts_page(&id, "?status=pending").await;
    let items = pending["items"].as_array().cloned().unwrap_or_default();
    assert_eq!(items.len() as u64, waiting);
    for contact in &items {
        assert_eq!(contact["attempts"], 1, "{contact}");
        assert!(["no_answer", "busy", "failed"]
            .contains(&contact["last_outcome"].as_str().unwrap_or_default()));
        assert!(contact["last_error"].is_string(), "{contact}");
        let due = contact["next_attempt_at"]
            .as_str()
            .and_then(|value| chrono::DateTime::parse_from_rfc3339(value).ok())
            .unwrap_or_else(|| panic!("no next_attempt_at: {contact}"));
        assert!(due > now, "next_attempt_at {due} is not in the future");
    }

    let stopped = expect_json(hub.transition(&id, "stop").await, StatusCode::OK).await;
    assert_eq!(stopped["progress"]["cancelled"].as_u64(), Some(waiting));
}

/// Returns the campaign id and the outcome of every contact.
async fn outcomes(seed: u64) -> (String, Vec<(String, u64, String)>) {
    let hub = start(fast_config().seed(seed)).await;
    let (id, _) = run_to_completion(
        &hub,
        120,
        &[
            ("max_concurrent_calls", "25"),
            ("retries_per_contact", "1"),
            ("retry_delay_seconds", "60"),
        ],
    )
    .await;
    let contacts = hub
        .all_contacts(&id)
        .await
        .iter()
        .map(|contact| {
            (
                contact["status"].as_str().unwrap_or_default().to_owned(),
                contact["attempts"].as_u64().unwrap_or_default(),
                contact["last_outcome"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
            )
        })
        .collect();
    (id, contacts)
}

#[tokio::test]
async fn same_seed_same_outcomes() {
    let (first_id, first) = outcomes(7).await;
    let (second_id, second) = outcomes(7).await;
    assert_eq!(first.len(), 120);
    assert_eq!(first, second);
    assert_eq!(first_id, second_id);

    let (other_id, other) = outcomes(8).await;
    assert_ne!(first, other);
    assert_ne!(first_id, other_id);
}

#[tokio::test]
async fn progress_stays_consistent() {
    let hub = start(EmulatorConfig::default().time_scale(2000.0)).await;
    let campaign = hub
        .create_campaign(&contacts_csv(100), &[("max_concurrent_calls", "10")])
        .await;
    let id = campaign["id"].as_str().unwrap_or_default().to_owned();
    expect_json(hub.transition(&id, "start").await, StatusCode::OK).await;

    loop {
        let campaign = hub.campaign(&id).await;
        let progress = &campaign["progress"];
        assert_eq!(progress_sum(progress), 100, "{progress}");
        let active = progress["dialing"].as_u64().unwrap_or_default()
            + progress["in_progress"].as_u64().unwrap_or_default();
        assert!(active <= 10, "{progress}");
        if campaign["status"] == "completed" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
}
