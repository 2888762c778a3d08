//! Every error status and malformed response, mapped to `kataven::Error`.

mod support;

use kataven::ErrorKind;
use support::{campaign_json, Reply, Step, TestServer};

const ID: &str = "cmp_0123456789abcdef";

async fn get_error(reply: Reply) -> (kataven::Error, usize) {
    let server = TestServer::always(reply).await;
    let error = server.client().campaigns().get(ID).await.unwrap_err();
    (error, server.requests().len())
}

#[tokio::test]
async fn not_found_mapped() {
    let (error, requests) = get_error(Reply::error(
        404,
        "not_found",
        "no campaign cmp_0123456789abcdef",
    ))
    .await;
    assert_eq!(error.kind(), ErrorKind::Status);
    assert!(error.is_not_found());
    assert_eq!(error.status().map(|s| s.as_u16()), Some(404));
    assert_eq!(error.code(), Some("not_found"));
    assert_eq!(error.request_id(), Some("req_test_1"));
    assert!(error.may_have_reached_hub());
    assert_eq!(requests, 1, "a 404 is not retried");
    assert_eq!(
        error.to_string(),
        "get_campaign: the Hub answered 404 Not Found (not_found): no campaign \
         cmp_0123456789abcdef (request id req_test_1)"
    );
}

#[tokio::test]
async fn invalid_transition_explained() {
    let server = TestServer::always(Reply::error(
        409,
        "invalid_transition",
        "campaign is completed",
    ))
    .await;
    let error = server.client().campaigns().start(ID).await.unwrap_err();
    assert!(error.is_conflict());
    assert!(error.is_invalid_transition());
    assert!(!error.is_campaign_running());
    assert!(
        error
            .to_string()
            .contains("get the campaign to see its current status"),
        "{error}"
    );
}

#[tokio::test]
async fn delete_running_explained() {
    let server =
        TestServer::always(Reply::error(409, "campaign_running", "campaign is running")).await;
    let error = server.client().campaigns().delete(ID).await.unwrap_err();
    assert!(error.is_campaign_running());
    assert!(
        error
            .to_string()
            .contains("pause or stop the campaign, then delete it"),
        "{error}"
    );
}

#[tokio::test]
async fn unauthorized_explained() {
    let (error, _) = get_error(Reply::error(
        401,
        "unauthorized",
        "missing or invalid API key",
    ))
    .await;
    assert!(error.is_unauthorized());
    assert!(error.to_string().contains("check the API key"), "{error}");
}

#[tokio::test]
async fn unknown_error_code_kept() {
    let body = serde_json::json!({
        "code": "tenant_suspended", "message": "billing", "details": {"since": "2026-11-30"}
    });
    let (error, _) = get_error(Reply::json(403, body)).await;
    let hub = error.hub_error().unwrap();
    assert_eq!(hub.code, "tenant_suspended");
    assert_eq!(hub.details.as_ref().unwrap()["since"], "2026-11-30");
}

#[tokio::test]
async fn client_errors_not_retried() {
    for status in [400u16, 401, 403, 404, 409, 413, 422] {
        let (error, requests) = get_error(Reply::error(status, "x", "y")).await;
        assert_eq!(error.status().map(|s| s.as_u16()), Some(status));
        assert_eq!(requests, 1, "status {status}");
        assert!(!error.is_transient(), "status {status}");
    }
}

#[tokio::test]
async fn server_errors_retried_then_reported() {
    for status in [408u16, 429, 500, 502, 503, 504] {
        let (error, requests) = get_error(Reply::error(status, "unavailable", "try later")).await;
        assert_eq!(error.status().map(|s| s.as_u16()), Some(status));
        assert_eq!(
            requests, 3,
            "status {status}: the first attempt and two retries"
        );
        assert_eq!(error.attempts(), 3);
        assert!(error.to_string().contains("after 3 attempts"), "{error}");
    }
}

#[tokio::test]
async fn html_error_page_reported() {
    let reply = Reply::Full {
        status: 502,
        headers: vec![
            ("content-type".into(), "text/html".into()),
            ("x-request-id".into(), "req_proxy".into()),
        ],
        body: b"<html><body><h1>502 Bad Gateway</h1></body></html>".to_vec(),
    };
    let (error, _) = get_error(reply).await;
    assert_eq!(error.kind(), ErrorKind::Status);
    assert_eq!(error.status().map(|s| s.as_u16()), Some(502));
    assert_eq!(error.request_id(), Some("req_proxy"));
    let message = error.to_string();
    assert!(message.contains("502 Bad Gateway</h1>"), "{message}");
    assert!(message.contains("text/html"), "{message}");
}

#[tokio::test]
async fn non_json_success_reported() {
    let reply = Reply::Full {
        status: 200,
        headers: vec![("x-request-id".into(), "req_odd".into())],
        body: b"<html>login page</html>".to_vec(),
    };
    let (error, requests) = get_error(reply).await;
    assert_eq!(error.kind(), ErrorKind::Decode);
    assert_eq!(error.request_id(), Some("req_odd"));
    assert!(error.to_string().contains("login page"), "{error}");
    assert!(error.to_string().contains("is not JSON"), "{error}");
    assert!(error.to_string().contains("base URL"), "{error}");
    assert_eq!(requests, 1, "a decoding failure is not retried");
}

#[tokio::test]
async fn wrong_schema_reported() {
    let mut body = campaign_json(ID, "running");
    body.as_object_mut().unwrap().remove("progress");
    let (error, _) = get_error(Reply::json(200, body)).await;
    assert_eq!(error.kind(), ErrorKind::Decode);
    assert!(error.to_string().contains("progress"), "{error}");
    assert!(error.to_string().contains("is JSON but"), "{error}");
}

#[tokio::test]
async fn truncated_body_reported() {
    let body = campaign_json(ID, "running").to_string();
    let truncated = &body[..body.len() / 2];
    let raw = format!(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{truncated}",
        body.len()
    );
    let (error, requests) = get_error(Reply::Raw(raw.into_bytes())).await;
    assert_eq!(error.kind(), ErrorKind::Transport, "{error:?}");
    assert!(error.may_have_reached_hub());
    assert_eq!(requests, 3, "a GET cut short is retried");
}

#[tokio::test]
async fn oversized_body_rejected() {
    let mut body = campaign_json(ID, "running");
    body["name"] = "x".repeat(4096).into();
    let server = TestServer::always(Reply::json(200, body)).await;
    let client = server.builder().max_response_bytes(1024).build().unwrap();
    let error = client.campaigns().get(ID).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Decode, "{error:?}");
    assert!(error.to_string().contains("limit of 1024 bytes"), "{error}");
}

#[tokio::test]
async fn endless_body_rejected() {
    let mut steps = vec![Step::Send(b"{\"items\": [".to_vec())];
    steps.extend((0..100).map(|_| Step::Send(vec![b' '; 1024])));
    let reply = Reply::Streamed {
        status: 200,
        headers: vec![("content-type".into(), "application/json".into())],
        steps,
    };
    let server = TestServer::always(reply).await;
    let client = server
        .builder()
        .max_response_bytes(8 * 1024)
        .build()
        .unwrap();
    let error = client.campaigns().list().await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Decode, "{error:?}");
}

#[tokio::test]
async fn connection_refused_reported() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let client = kataven::Client::builder()
        .api_key(support::API_KEY)
        .base_url(url)
        .retry_policy(kataven::RetryPolicy::disabled())
        .build()
        .unwrap();
    let error = client.campaigns().get(ID).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Connect, "{error:?}");
    assert!(!error.may_have_reached_hub());
    assert!(error.is_transient());
}

#[tokio::test]
async fn request_timeout_reported() {
    let reply = Reply::Streamed {
        status: 200,
        headers: vec![],
        steps: vec![Step::Hang],
    };
    let server = TestServer::always(reply).await;
    let client = server
        .builder()
        .request_timeout(std::time::Duration::from_millis(200))
        .retry_policy(kataven::RetryPolicy::disabled())
        .build()
        .unwrap();
    let error = client.campaigns().get(ID).await.unwrap_err();
    assert!(error.is_timeout(), "{error:?}");
    assert!(error.may_have_reached_hub());
    assert_eq!(error.status(), Some(reqwest::StatusCode::OK));
    let message = error.to_string();
    assert!(message.contains("200ms"), "{message}");
    assert!(
        message.contains("ClientBuilder::request_timeout"),
        "{message}"
    );
}

#[tokio::test]
async fn error_is_small_and_thread_safe() {
    fn assert_send_sync<T: Send + Sync + 'static>() {}
    assert_send_sync::<kataven::Error>();
    assert_eq!(
        std::mem::size_of::<kataven::Error>(),
        std::mem::size_of::<usize>()
    );
}

#[tokio::test]
async fn source_chain_available() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let client = kataven::Client::builder()
        .api_key(support::API_KEY)
        .base_url(url)
        .retry_policy(kataven::RetryPolicy::disabled())
        .build()
        .unwrap();
    let error = client.campaigns().list().await.unwrap_err();
    assert!(std::error::Error::source(&error).is_some());
}
