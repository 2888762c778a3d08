//! The exact request every JSON endpoint sends.

mod support;

use kataven::models::ContactStatus;
use support::{campaign_json, contact_json, Reply, TestServer};

const ID: &str = "cmp_0123456789abcdef";

fn page_json(page: i64, has_more: bool) -> serde_json::Value {
    serde_json::json!({
        "items": [contact_json("ct_1", "+12025550101", "completed")],
        "page": page, "page_size": 100, "total": 1, "has_more": has_more
    })
}

async fn server() -> TestServer {
    TestServer::start(
        |request, _| match (request.method.as_str(), request.path()) {
            ("GET", "/api/v1/campaigns") => Reply::json(
                200,
                serde_json::json!({"items": [campaign_json(ID, "draft")]}),
            ),
            ("DELETE", _) => Reply::Full {
                status: 204,
                headers: vec![("x-request-id".into(), "req_1".into())],
                body: Vec::new(),
            },
            ("GET", path) if path.ends_with("/contacts") => Reply::json(200, page_json(0, false)),
            _ => Reply::json(200, campaign_json(ID, "running")),
        },
    )
    .await
}

#[tokio::test]
async fn list_request() {
    let server = server().await;
    server.client().campaigns().list().await.unwrap();
    insta::assert_snapshot!(server.requests()[0].render());
}

#[tokio::test]
async fn get_request() {
    let server = server().await;
    server.client().campaigns().get(ID).await.unwrap();
    insta::assert_snapshot!(server.requests()[0].render());
}

#[tokio::test]
async fn start_request() {
    let server = server().await;
    server.client().campaigns().start(ID).await.unwrap();
    insta::assert_snapshot!(server.requests()[0].render());
}

#[tokio::test]
async fn pause_request() {
    let server = server().await;
    server.client().campaigns().pause(ID).await.unwrap();
    insta::assert_snapshot!(server.requests()[0].render());
}

#[tokio::test]
async fn resume_request() {
    let server = server().await;
    server.client().campaigns().resume(ID).await.unwrap();
    insta::assert_snapshot!(server.requests()[0].render());
}

#[tokio::test]
async fn stop_request() {
    let server = server().await;
    server.client().campaigns().stop(ID).await.unwrap();
    insta::assert_snapshot!(server.requests()[0].render());
}

#[tokio::test]
async fn delete_request() {
    let server = server().await;
    server.client().campaigns().delete(ID).await.unwrap();
    insta::assert_snapshot!(server.requests()[0].render());
}

#[tokio::test]
async fn list_contacts_request() {
    let server = server().await;
    server.client().campaigns().list_contacts(ID).await.unwrap();
    insta::assert_snapshot!(server.requests()[0].render());
}

#[tokio::test]
async fn list_contacts_filtered_request() {
    let server = server().await;
    server
        .client()
        .campaigns()
        .list_contacts(ID)
        .status(ContactStatus::NoAnswer)
        .page(3)
        .await
        .unwrap();
    insta::assert_snapshot!(server.requests()[0].render());
}

#[tokio::test]
async fn default_headers_and_user_agent() {
    let server = server().await;
    let client = server
        .builder()
        .user_agent("renewals-service/2.1")
        .default_header("x-trace-id", "trace-42")
        .build()
        .unwrap();
    client.campaigns().get(ID).await.unwrap();
    let request = &server.requests()[0];
    assert_eq!(request.header("user-agent"), Some("renewals-service/2.1"));
    assert_eq!(request.header("x-trace-id"), Some("trace-42"));
    assert_eq!(
        request.header("authorization"),
        Some(format!("Bearer {}", support::API_KEY).as_str())
    );
}

#[tokio::test]
async fn base_url_path_prefix_kept() {
    let server = server().await;
    let client = kataven::Client::builder()
        .api_key(support::API_KEY)
        .base_url(format!("{}/hub/", server.url))
        .build()
        .unwrap();
    client.campaigns().get(ID).await.unwrap();
    assert_eq!(
        server.requests()[0].path(),
        format!("/hub/api/v1/campaigns/{ID}")
    );
}

#[tokio::test]
async fn invalid_ids_send_nothing() {
    let server = server().await;
    let campaigns = server.client().campaigns();
    for id in ["", "a/b", "../admin", "a?x=1", "a b", "%2e%2e", "a#b", "é"] {
        let errors = [
            campaigns.get(id).await.unwrap_err(),
            campaigns.start(id).await.unwrap_err(),
            campaigns.pause(id).await.unwrap_err(),
            campaigns.resume(id).await.unwrap_err(),
            campaigns.stop(id).await.unwrap_err(),
            campaigns.delete(id).await.unwrap_err(),
            campaigns.list_contacts(id).await.unwrap_err(),
            campaigns.stream_events(id).unwrap_err(),
        ];
        for error in errors {
            assert_eq!(error.kind(), kataven::ErrorKind::InvalidArgument, "{id:?}");
            assert!(!error.may_have_reached_hub(), "{id:?}");
        }
    }
    assert_eq!(server.requests().len(), 0);
}
