//! Authentication, request ids, unknown routes and path validation.

mod common;

use std::collections::HashSet;

use common::{expect_error, send, start, TestHub};
use kataven_emulator::EmulatorConfig;
use reqwest::StatusCode;

async fn hub() -> TestHub {
    start(EmulatorConfig::default().api_key("secret-key")).await
}

#[tokio::test]
async fn missing_key_is_unauthorized() {
    let hub = hub().await;
    let response = send(hub.client.get(hub.url("/api/v1/campaigns"))).await;
    assert!(response.headers().contains_key("x-request-id"));
    assert_eq!(
        response
            .headers()
            .get("www-authenticate")
            .and_then(|value| value.to_str().ok()),
        Some("Bearer")
    );
    expect_error(response, StatusCode::UNAUTHORIZED, "unauthorized").await;
}

#[tokio::test]
async fn wrong_key_is_unauthorized() {
    let hub = hub().await;
    let request = hub
        .client
        .get(hub.url("/api/v1/campaigns"))
        .bearer_auth("not-the-key");
    let body = expect_error(
        send(request).await,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    )
    .await;
    assert!(
        !body.to_string().contains("not-the-key"),
        "the error quotes the key: {body}"
    );

    let basic = hub
        .client
        .get(hub.url("/api/v1/campaigns"))
        .basic_auth("user", Some("secret-key"));
    expect_error(send(basic).await, StatusCode::UNAUTHORIZED, "unauthorized").await;
}

#[tokio::test]
async fn configured_key_is_accepted() {
    let hub = hub().await;
    let response = send(hub.get("/api/v1/campaigns")).await;
    assert_eq!(response.status(), StatusCode::OK);
    let lowercase = hub
        .client
        .get(hub.url("/api/v1/campaigns"))
        .header("Authorization", "bearer secret-key");
    assert_eq!(send(lowercase).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn request_ids_are_unique() {
    let hub = hub().await;
    let mut ids = HashSet::new();
    for _ in 0..20 {
        let response = send(hub.get("/api/v1/campaigns")).await;
        let id = response
            .headers()
            .get("x-request-id")
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        assert!(id.starts_with("req_"), "request id {id:?}");
        assert!(ids.insert(id), "a request id repeated");
    }
}

#[tokio::test]
async fn unknown_route_is_not_found() {
    let hub = hub().await;
    let response = send(hub.get("/api/v2/things")).await;
    assert!(response.headers().contains_key("x-request-id"));
    expect_error(response, StatusCode::NOT_FOUND, "not_found").await;

    let unauthenticated = send(hub.client.get(hub.url("/api/v2/things"))).await;
    expect_error(unauthenticated, StatusCode::UNAUTHORIZED, "unauthorized").await;
}

#[tokio::test]
async fn wrong_method_has_error_body() {
    let hub = hub().await;
    let response = send(
        hub.client
            .put(hub.url("/api/v1/campaigns"))
            .bearer_auth("secret-key"),
    )
    .await;
    assert!(response.headers().contains_key("x-request-id"));
    expect_error(response, StatusCode::METHOD_NOT_ALLOWED, "invalid_request").await;
}

#[tokio::test]
async fn invalid_campaign_id_is_bad_request() {
    let hub = hub().await;
    for id in [
        "-starts-with-dash",
        "has%20space",
        "dot.ted",
        &"x".repeat(65),
    ] {
        for path in ["", "/contacts", "/events", "/start"] {
            let url = format!("/api/v1/campaigns/{id}{path}");
            let request = if path == "/start" {
                hub.post(&url)
            } else {
                hub.get(&url)
            };
            let body = expect_error(
                send(request).await,
                StatusCode::BAD_REQUEST,
                "invalid_request",
            )
            .await;
            assert_eq!(body["details"]["parameter"], "campaign_id", "{url}: {body}");
        }
    }
}

#[tokio::test]
async fn unknown_campaign_is_not_found() {
    let hub = hub().await;
    let id = "cmp_0000000000000000";
    for (method, path) in [
        ("GET", ""),
        ("DELETE", ""),
        ("POST", "/start"),
        ("POST", "/pause"),
        ("POST", "/resume"),
        ("POST", "/stop"),
        ("GET", "/contacts"),
        ("GET", "/events"),
    ] {
        let url = format!("/api/v1/campaigns/{id}{path}");
        let request = match method {
            "GET" => hub.get(&url),
            "DELETE" => hub.delete(&url),
            _ => hub.post(&url),
        };
        expect_error(send(request).await, StatusCode::NOT_FOUND, "not_found").await;
    }
}
