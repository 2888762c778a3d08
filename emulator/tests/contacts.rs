//! `list_campaign_contacts`: pages, upload order and the status filter.

mod common;

use common::{contacts_csv, expect_error, expect_json, fast_config, send, start};
use reqwest::StatusCode;

#[tokio::test]
async fn pages_follow_upload_order() {
    let hub = start(fast_config()).await;
    let campaign = hub.create_campaign(&contacts_csv(250), &[]).await;
    let id = campaign["id"].as_str().unwrap_or_default();

    let first = hub.contacts_page(id, "").await;
    assert_eq!(first["page"], 0);
    assert_eq!(first["page_size"], 100);
    assert_eq!(first["total"], 250);
    assert_eq!(first["has_more"], true);
    assert_eq!(first["items"].as_array().map(Vec::len), Some(100));

    let last = hub.contacts_page(id, "?page=2").await;
    assert_eq!(last["page"], 2);
    assert_eq!(last["has_more"], false);
    assert_eq!(last["items"].as_array().map(Vec::len), Some(50));

    let beyond = hub.contacts_page(id, "?page=3").await;
    assert_eq!(beyond["items"].as_array().map(Vec::len), Some(0));
    assert_eq!(beyond["has_more"], false);
    assert_eq!(beyond["total"], 250);

    let all = hub.all_contacts(id).await;
    let phones: Vec<String> = all
        .iter()
        .filter_map(|contact| contact["phone_number"].as_str().map(str::to_owned))
        .collect();
    let expected: Vec<String> = (0..250).map(|index| format!("+1555{index:07}")).collect();
    assert_eq!(phones, expected);
    let names: Vec<&str> = all
        .iter()
        .filter_map(|contact| contact["custom_fields"]["name"].as_str())
        .collect();
    assert_eq!(names.first(), Some(&"Contact 0"));
    assert_eq!(names.len(), 250);
}

#[tokio::test]
async fn contact_ids_are_distinct() {
    let hub = start(fast_config()).await;
    let first = hub.create_campaign(&contacts_csv(150), &[]).await;
    let second = hub.create_campaign(&contacts_csv(150), &[]).await;
    let mut ids = Vec::new();
    for campaign in [first, second] {
        let id = campaign["id"].as_str().unwrap_or_default();
        for contact in hub.all_contacts(id).await {
            ids.push(contact["id"].as_str().unwrap_or_default().to_owned());
        }
    }
    let count = ids.len();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), count);
    assert_eq!(count, 300);
}

#[tokio::test]
async fn status_filter_matches_progress() {
    let hub = start(fast_config()).await;
    let campaign = hub
        .create_campaign(
            &contacts_csv(230),
            &[
                ("max_concurrent_calls", "50"),
                ("retries_per_contact", "1"),
                ("retry_delay_seconds", "60"),
            ],
        )
        .await;
    let id = campaign["id"].as_str().unwrap_or_default();

    let pending = hub.contacts_page(id, "?status=pending").await;
    assert_eq!(pending["total"], 230);
    let none = hub.contacts_page(id, "?status=completed").await;
    assert_eq!(none["total"], 0);
    assert_eq!(none["items"].as_array().map(Vec::len), Some(0));

    expect_json(hub.transition(id, "start").await, StatusCode::OK).await;
    let done = hub.wait_for_status(id, "completed").await;

    let mut sum = 0;
    for status in [
        "pending",
        "dialing",
        "in_progress",
        "completed",
        "no_answer",
        "busy",
        "failed",
        "cancelled",
    ] {
        let mut listed = 0;
        for page in 0.. {
            let body = hub
                .contacts_page(id, &format!("?status={status}&page={page}"))
                .await;
            let items = body["items"].as_array().cloned().unwrap_or_default();
            assert!(
                items.iter().all(|contact| contact["status"] == status),
                "{status}"
            );
            listed += items.len() as u64;
            assert_eq!(body["total"], done["progress"][status], "{status}");
            if body["has_more"] != true {
                break;
            }
        }
        assert_eq!(Some(listed), done["progress"][status].as_u64(), "{status}");
        sum += listed;
    }
    assert_eq!(sum, 230);
}

#[tokio::test]
async fn invalid_query_is_bad_request() {
    let hub = start(fast_config()).await;
    let campaign = hub.create_campaign(&contacts_csv(3), &[]).await;
    let id = campaign["id"].as_str().unwrap_or_default();

    for (query, parameter) in [
        ("?status=answered", "status"),
        ("?status=", "status"),
        ("?page=-1", "page"),
        ("?page=first", "page"),
        ("?page=1.5", "page"),
    ] {
        let response = send(hub.get(&format!("/api/v1/campaigns/{id}/contacts{query}"))).await;
        let body = expect_error(response, StatusCode::BAD_REQUEST, "invalid_request").await;
        assert_eq!(body["details"]["parameter"], parameter, "{query}: {body}");
    }
}
