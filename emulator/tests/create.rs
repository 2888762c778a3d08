//! `create_campaign`: form fields, defaults, scheduling and `Idempotency-Key`.

mod common;

use common::{contacts_csv, csv_part, expect_error, expect_json, fast_config, form, send, start};
use kataven_emulator::EmulatorConfig;
use reqwest::multipart::Form;
use reqwest::StatusCode;

const CSV: &str = "phone_number,name\n+15550100001,Ann\n+15550100002,Bo\n";

#[tokio::test]
async fn create_applies_defaults() {
    let hub = start(fast_config()).await;
    let campaign = hub.create_campaign(CSV, &[]).await;

    let id = campaign["id"].as_str().unwrap_or_default();
    assert!(id.starts_with("cmp_"), "campaign id {id}");
    assert_eq!(id.len(), 20, "campaign id {id}");
    assert!(id[4..]
        .bytes()
        .all(|byte| byte.is_ascii_hexdigit() && !byte.is_ascii_uppercase()));
    assert_eq!(campaign["status"], "draft");
    assert_eq!(campaign["name"], "Spring renewals");
    assert_eq!(campaign["agent_id"], "agt_renewals");
    assert_eq!(campaign["phone_number_id"], "pn_main");
    assert_eq!(campaign["max_concurrent_calls"], 5);
    assert_eq!(campaign["retries_per_contact"], 0);
    assert_eq!(campaign["retry_delay_seconds"], 300);
    assert_eq!(campaign["progress"]["total"], 2);
    assert_eq!(campaign["progress"]["pending"], 2);
    assert!(campaign.get("scheduled_at").is_none());
    assert!(campaign.get("started_at").is_none());
    assert_eq!(hub.emulator.stats().campaigns_created, 1);
}

#[tokio::test]
async fn create_keeps_given_settings() {
    let hub = start(fast_config()).await;
    let campaign = hub
        .create_campaign(
            CSV,
            &[
                ("max_concurrent_calls", "100"),
                ("retries_per_contact", "10"),
                ("retry_delay_seconds", "86400"),
            ],
        )
        .await;
    assert_eq!(campaign["max_concurrent_calls"], 100);
    assert_eq!(campaign["retries_per_contact"], 10);
    assert_eq!(campaign["retry_delay_seconds"], 86400);
}

#[tokio::test]
async fn invalid_fields_are_rejected() {
    let hub = start(fast_config()).await;
    let long_name = "n".repeat(201);
    let long_id = "a".repeat(65);
    let cases: [(&str, &str); 14] = [
        ("name", ""),
        ("name", &long_name),
        ("agent_id", &long_id),
        ("phone_number_id", ""),
        ("max_concurrent_calls", "0"),
        ("max_concurrent_calls", "101"),
        ("max_concurrent_calls", "five"),
        ("retries_per_contact", "-1"),
        ("retries_per_contact", "11"),
        ("retry_delay_seconds", "59"),
        ("retry_delay_seconds", "86401"),
        ("retry_delay_seconds", "1.5"),
        ("scheduled_at", "tomorrow"),
        ("scheduled_at", "2030-01-31 09:00"),
    ];
    for (field, value) in cases {
        let response = hub.create(form(CSV, &[(field, value)])).await;
        let body = expect_error(
            response,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_request",
        )
        .await;
        assert_eq!(body["details"]["field"], field, "{field}={value:?}: {body}");
    }
    assert_eq!(hub.emulator.stats().campaigns_created, 0);
}

#[tokio::test]
async fn missing_fields_are_rejected() {
    let hub = start(fast_config()).await;
    for missing in ["name", "agent_id", "phone_number_id"] {
        let mut form = Form::new();
        for field in ["name", "agent_id", "phone_number_id"] {
            if field != missing {
                form = form.text(field, "value");
            }
        }
        form = form.part("contacts", csv_part(CSV.as_bytes().to_vec()));
        let body = expect_error(
            hub.create(form).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_request",
        )
        .await;
        assert_eq!(body["details"]["field"], missing);
    }

    let no_file = Form::new()
        .text("name", "n")
        .text("agent_id", "a")
        .text("phone_number_id", "p");
    let body = expect_error(
        hub.create(no_file).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_request",
    )
    .await;
    assert_eq!(body["details"]["field"], "contacts");
}

#[tokio::test]
async fn duplicate_field_is_rejected() {
    let hub = start(fast_config()).await;
    let duplicated = form(CSV, &[]).text("name", "second name");
    let body = expect_error(
        hub.create(duplicated).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_request",
    )
    .await;
    assert_eq!(body["details"]["field"], "name");
}

#[tokio::test]
async fn non_multipart_body_is_bad_request() {
    let hub = start(fast_config()).await;
    let json = hub
        .post("/api/v1/campaigns")
        .json(&serde_json::json!({ "name": "x" }));
    expect_error(send(json).await, StatusCode::BAD_REQUEST, "invalid_request").await;

    let broken = hub
        .post("/api/v1/campaigns")
        .header("Content-Type", "multipart/form-data; boundary=XYZ")
        .body("--XYZ\r\nContent-Disposition: form-data; name=\"name\"\r\n\r\nunterminated");
    expect_error(
        send(broken).await,
        StatusCode::BAD_REQUEST,
        "invalid_request",
    )
    .await;
}

#[tokio::test]
async fn future_schedule_starts_by_itself() {
    // At time scale 3600 a schedule one hour ahead starts after about one real second.
    let hub = start(EmulatorConfig::default().time_scale(3600.0)).await;
    let at = (chrono::Utc::now() + chrono::Duration::hours(1)).to_rfc3339();
    let campaign = hub.create_campaign(CSV, &[("scheduled_at", &at)]).await;
    assert_eq!(campaign["status"], "scheduled");
    assert!(campaign["scheduled_at"].is_string());

    let id = campaign["id"].as_str().unwrap_or_default();
    let running = hub
        .wait_for_campaign(id, "the scheduled campaign to start", |campaign| {
            campaign["status"] != "scheduled"
        })
        .await;
    assert!(running["started_at"].is_string(), "{running}");
    assert_ne!(running["status"], "draft");
}

#[tokio::test]
async fn past_schedule_makes_draft() {
    let hub = start(fast_config()).await;
    let campaign = hub
        .create_campaign(CSV, &[("scheduled_at", "2001-02-03T04:05:06Z")])
        .await;
    assert_eq!(campaign["status"], "draft");
}

#[tokio::test]
async fn idempotency_key_replays_first_campaign() {
    let hub = start(fast_config()).await;
    let csv = contacts_csv(3);
    let first = hub
        .post("/api/v1/campaigns")
        .header("Idempotency-Key", "key-1")
        .multipart(form(&csv, &[("max_concurrent_calls", "7")]));
    let first = expect_json(send(first).await, StatusCode::CREATED).await;

    // The fields in another order are the same request.
    let reordered = Form::new()
        .part("contacts", csv_part(csv.as_bytes().to_vec()))
        .text("max_concurrent_calls", "7")
        .text("phone_number_id", "pn_main")
        .text("agent_id", "agt_renewals")
        .text("name", "Spring renewals");
    let second = hub
        .post("/api/v1/campaigns")
        .header("Idempotency-Key", "key-1")
        .multipart(reordered);
    let second = expect_json(send(second).await, StatusCode::CREATED).await;

    assert_eq!(first["id"], second["id"]);
    assert_eq!(hub.emulator.stats().campaigns_created, 1);
    let list = expect_json(send(hub.get("/api/v1/campaigns")).await, StatusCode::OK).await;
    assert_eq!(list["items"].as_array().map(Vec::len), Some(1));
}

#[tokio::test]
async fn idempotency_key_reuse_is_rejected() {
    let hub = start(fast_config()).await;
    let first = hub
        .post("/api/v1/campaigns")
        .header("Idempotency-Key", "key-2")
        .multipart(form(CSV, &[]));
    expect_json(send(first).await, StatusCode::CREATED).await;

    let changed_field = hub
        .post("/api/v1/campaigns")
        .header("Idempotency-Key", "key-2")
        .multipart(form(CSV, &[("name", "Another name")]));
    expect_error(
        send(changed_field).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "idempotency_key_reused",
    )
    .await;

    let changed_file = hub
        .post("/api/v1/campaigns")
        .header("Idempotency-Key", "key-2")
        .multipart(form("phone_number\n+15550100009\n", &[]));
    expect_error(
        send(changed_file).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "idempotency_key_reused",
    )
    .await;
    assert_eq!(hub.emulator.stats().campaigns_created, 1);
}

#[tokio::test]
async fn distinct_keys_create_distinct_campaigns() {
    let hub = start(fast_config()).await;
    let mut ids = Vec::new();
    for key in ["a", "b"] {
        let request = hub
            .post("/api/v1/campaigns")
            .header("Idempotency-Key", key)
            .multipart(form(CSV, &[]));
        ids.push(expect_json(send(request).await, StatusCode::CREATED).await["id"].clone());
    }
    assert_ne!(ids[0], ids[1]);
}

#[tokio::test]
async fn invalid_idempotency_key_is_rejected() {
    let hub = start(fast_config()).await;
    let long = "k".repeat(256);
    for key in ["has space", long.as_str()] {
        let request = hub
            .post("/api/v1/campaigns")
            .header("Idempotency-Key", key)
            .multipart(form(CSV, &[]));
        let body = expect_error(
            send(request).await,
            StatusCode::BAD_REQUEST,
            "invalid_request",
        )
        .await;
        assert_eq!(body["details"]["header"], "Idempotency-Key");
    }
}

#[tokio::test]
async fn list_is_newest_first() {
    let hub = start(fast_config()).await;
    let mut created = Vec::new();
    for _ in 0..3 {
        created.push(hub.create_campaign(CSV, &[]).await["id"].clone());
    }
    let list = expect_json(send(hub.get("/api/v1/campaigns")).await, StatusCode::OK).await;
    let listed: Vec<_> = list["items"]
        .as_array()
        .map(|items| items.iter().map(|item| item["id"].clone()).collect())
        .unwrap_or_default();
    created.reverse();
    assert_eq!(listed, created);
}
