//! Decoding of typical and unusual Hub responses.

mod support;

use futures::TryStreamExt;
use kataven::models::{CampaignStatus, ContactStatus};
use support::{campaign_json, contact_json, Reply, TestServer};

const ID: &str = "cmp_0123456789abcdef";

#[tokio::test]
async fn campaign_with_every_field() {
    let mut body = campaign_json(ID, "completed");
    body["scheduled_at"] = "2026-12-02T08:00:00Z".into();
    body["started_at"] = "2026-12-02T08:00:01Z".into();
    body["ended_at"] = "2026-12-02T09:30:00.123Z".into();
    let server = TestServer::always(Reply::json(200, body)).await;
    let campaign = server.client().campaigns().get(ID).await.unwrap();
    assert_eq!(campaign.id, ID);
    assert_eq!(campaign.status, CampaignStatus::Completed);
    assert!(campaign.status.is_terminal());
    assert_eq!(campaign.max_concurrent_calls.get(), 5);
    assert_eq!(campaign.progress.total, 3);
    assert_eq!(campaign.progress.finished(), 1);
    assert!(campaign.ended_at.is_some());
}

#[tokio::test]
async fn unknown_campaign_status_kept() {
    let server = TestServer::always(Reply::json(200, campaign_json(ID, "archived"))).await;
    let campaign = server.client().campaigns().get(ID).await.unwrap();
    assert_eq!(
        campaign.status,
        CampaignStatus::Unknown("archived".to_owned())
    );
    assert_eq!(campaign.status.as_str(), "archived");
    assert_eq!(campaign.status.to_string(), "archived");
    assert!(!campaign.status.is_known());
    assert!(!campaign.status.is_terminal());
}

#[tokio::test]
async fn unknown_fields_ignored() {
    let mut body = campaign_json(ID, "running");
    body["region"] = "eu-west".into();
    body["progress"]["voicemail"] = 4.into();
    let server = TestServer::always(Reply::json(200, body)).await;
    let campaign = server.client().campaigns().get(ID).await.unwrap();
    assert_eq!(campaign.status, CampaignStatus::Running);
}

#[tokio::test]
async fn unknown_contact_status_kept() {
    let body = serde_json::json!({
        "items": [
            contact_json("ct_1", "+12025550101", "voicemail"),
            contact_json("ct_2", "0044 20 7946 0018", "no_answer"),
        ],
        "page": 0, "page_size": 100, "total": 2, "has_more": false
    });
    let server = TestServer::always(Reply::json(200, body)).await;
    let page = server.client().campaigns().list_contacts(ID).await.unwrap();
    assert_eq!(
        page.items[0].status,
        ContactStatus::Unknown("voicemail".into())
    );
    assert_eq!(page.items[1].status, ContactStatus::NoAnswer);
    assert_eq!(page.items[1].phone_number, "0044 20 7946 0018");
    assert_eq!(page.items[0].custom_fields["company"], "Northwind");
}

#[tokio::test]
async fn empty_campaign_list() {
    let server = TestServer::always(Reply::json(200, serde_json::json!({"items": []}))).await;
    let campaigns = server.client().campaigns().list().await.unwrap();
    assert!(campaigns.is_empty());
}

#[tokio::test]
async fn contact_stream_walks_every_page() {
    let server = TestServer::start(|request, _| {
        let page: i64 = request
            .target
            .split("page=")
            .nth(1)
            .and_then(|rest| rest.split('&').next())
            .and_then(|page| page.parse().ok())
            .unwrap_or(-1);
        let items: Vec<_> = (0..2)
            .map(|i| contact_json(&format!("ct_{page}_{i}"), "+12025550101", "pending"))
            .collect();
        Reply::json(
            200,
            serde_json::json!({
                "items": items, "page": page, "page_size": 2, "total": 6, "has_more": page < 2
            }),
        )
    })
    .await;
    let contacts: Vec<_> = server
        .client()
        .campaigns()
        .list_contacts(ID)
        .into_stream()
        .try_collect()
        .await
        .unwrap();
    let ids: Vec<_> = contacts.iter().map(|contact| contact.id.as_str()).collect();
    assert_eq!(
        ids,
        ["ct_0_0", "ct_0_1", "ct_1_0", "ct_1_1", "ct_2_0", "ct_2_1"]
    );
    assert_eq!(server.requests().len(), 3);
}

#[tokio::test]
async fn contact_stream_stops_on_empty_page_with_more() {
    let body = serde_json::json!({
        "items": [], "page": 0, "page_size": 100, "total": 5, "has_more": true
    });
    let server = TestServer::always(Reply::json(200, body)).await;
    let result: Result<Vec<_>, _> = server
        .client()
        .campaigns()
        .list_contacts(ID)
        .into_stream()
        .try_collect()
        .await;
    let error = result.unwrap_err();
    assert_eq!(error.kind(), kataven::ErrorKind::Decode);
    assert!(error.to_string().contains("has_more"), "{error}");
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn schemas_are_exported() {
    let schema = schemars::schema_for!(kataven::models::Campaign);
    let json = serde_json::to_value(&schema).unwrap();
    assert!(json["properties"]["status"].is_object());
}
