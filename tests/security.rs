//! The API key stays secret: redirects, `Debug`, errors and logs.

mod support;

use std::sync::{Arc, Mutex};

use futures::StreamExt;
use kataven::{Contacts, ErrorKind};
use support::{campaign_json, Reply, Step, TestServer, API_KEY};

const ID: &str = "cmp_0123456789abcdef";

fn redirect_to(location: String) -> Reply {
    Reply::Full {
        status: 302,
        headers: vec![("location".into(), location)],
        body: Vec::new(),
    }
}

#[tokio::test]
async fn cross_origin_redirect_drops_key() {
    let target = TestServer::always(Reply::json(200, campaign_json(ID, "draft"))).await;
    let location = format!(
        "{}/api/v1/campaigns/{ID}",
        target.url.replace("127.0.0.1", "localhost")
    );
    let origin = TestServer::always(redirect_to(location)).await;
    origin.client().campaigns().get(ID).await.unwrap();
    let followed = &target.requests()[0];
    assert_eq!(followed.header("authorization"), None);
    assert_eq!(
        origin.requests()[0].header("authorization"),
        Some(format!("Bearer {API_KEY}").as_str())
    );
}

#[tokio::test]
async fn same_origin_redirect_keeps_key() {
    let server = TestServer::start(|request, _| {
        if request.path().starts_with("/old") {
            redirect_to(format!("/api/v1/campaigns/{ID}"))
        } else {
            Reply::json(200, campaign_json(ID, "draft"))
        }
    })
    .await;
    let client = kataven::Client::builder()
        .api_key(API_KEY)
        .base_url(format!("{}/old", server.url))
        .build()
        .unwrap();
    client.campaigns().get(ID).await.unwrap();
    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    assert_eq!(
        requests[1].header("authorization"),
        Some(format!("Bearer {API_KEY}").as_str())
    );
}

#[tokio::test]
async fn debug_output_hides_key() {
    let builder = kataven::Client::builder()
        .api_key(API_KEY)
        .base_url("http://127.0.0.1:9");
    assert!(!format!("{builder:?}").contains(API_KEY));
    let client = builder.build().unwrap();
    assert!(!format!("{client:?}").contains(API_KEY));
    assert!(!format!("{:?}", client.campaigns()).contains(API_KEY));
}

#[tokio::test]
async fn plain_http_to_remote_host_rejected() {
    let error = kataven::Client::builder()
        .api_key(API_KEY)
        .base_url("http://hub.example.test")
        .build()
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Config);
    assert!(error.to_string().contains("unencrypted"), "{error}");
}

#[tokio::test]
async fn authorization_default_header_rejected() {
    let error = kataven::Client::builder()
        .api_key(API_KEY)
        .default_header("Authorization", "Bearer other")
        .build()
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Config);
}

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Captured {
    /// Captures every log line of this thread at every level until the
    /// guard is dropped.
    fn every_level() -> (Self, tracing::subscriber::DefaultGuard) {
        let captured = Self::default();
        let writer = captured.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_writer(move || writer.clone())
            .finish();
        (captured, tracing::subscriber::set_default(subscriber))
    }
}

impl std::io::Write for Captured {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(data);
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Runs successful and failing calls with every log level on, then checks
/// that neither the logs nor any error mention the key.
#[tokio::test]
async fn key_absent_from_logs_and_errors() {
    let (captured, _guard) = Captured::every_level();

    let server = TestServer::sequence(vec![
        Reply::json(200, campaign_json(ID, "draft")),
        Reply::error(503, "unavailable", "restarting"),
        Reply::error(401, "unauthorized", "invalid API key"),
        Reply::Full {
            status: 200,
            headers: vec![],
            body: b"not json".to_vec(),
        },
    ])
    .await;
    let client = server.client();
    let campaigns = client.campaigns();
    let mut errors = Vec::new();
    campaigns.get(ID).await.unwrap();
    errors.push(campaigns.get(ID).await.unwrap_err());
    errors.push(campaigns.get(ID).await.unwrap_err());
    errors.push(
        campaigns
            .create("n", "a", "p", Contacts::from_bytes(&b"name\nAna\n"[..]))
            .await
            .unwrap_err(),
    );
    let bad_key = kataven::Client::builder()
        .api_key(format!("{API_KEY}\n"))
        .build()
        .unwrap_err();
    errors.push(bad_key);

    for error in &errors {
        assert!(!error.to_string().contains(API_KEY), "{error}");
        assert!(!format!("{error:?}").contains(API_KEY), "{error:?}");
    }
    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(
        logs.contains("retrying Hub request"),
        "the capture works: {logs}"
    );
    assert!(!logs.contains(API_KEY), "{logs}");
}

/// Runs an event stream through reconnects (a reset, a 503, a silent
/// connection) to a final 404, with every log level on, then checks that
/// neither the logs nor the stream's error mention the key.
#[tokio::test]
async fn key_absent_from_stream_errors_and_logs() {
    let (captured, _guard) = Captured::every_level();

    let server = TestServer::sequence(vec![
        Reply::events(vec![
            Step::Send(b"id: 1\ndata: {}\n\n".to_vec()),
            Step::Reset,
        ]),
        Reply::error(503, "unavailable", "restarting").with_header("retry-after", "0"),
        Reply::events(vec![Step::Hang]),
        Reply::error(404, "not_found", "no such campaign"),
    ])
    .await;
    let client = server
        .builder()
        .event_idle_timeout(std::time::Duration::from_millis(200))
        .build()
        .unwrap();
    let items: Vec<_> = client
        .campaigns()
        .stream_events(ID)
        .unwrap()
        .collect()
        .await;

    let error = items.last().unwrap().as_ref().unwrap_err();
    assert!(error.is_not_found(), "{error:?}");
    assert!(!error.to_string().contains(API_KEY), "{error}");
    assert!(!format!("{error:?}").contains(API_KEY), "{error:?}");
    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(
        logs.contains("reconnecting event stream"),
        "the capture works: {logs}"
    );
    assert!(!logs.contains(API_KEY), "{logs}");
}

/// A proxy that echoes the request's headers in its error page, or a Hub
/// message that quotes the `Authorization` header, does not carry the key
/// into errors or logs.
#[tokio::test]
async fn echoed_authorization_redacted() {
    let (captured, _guard) = Captured::every_level();

    let echo = format!("GET /api/v1/campaigns\r\nAuthorization: Bearer {API_KEY}\r\n");
    let html = Reply::Full {
        status: 502,
        headers: vec![("content-type".into(), "text/html".into())],
        body: format!("<pre>{echo}</pre>").into_bytes(),
    };
    let json = Reply::error(400, "invalid_request", &format!("bad header {echo}"));
    let server = TestServer::sequence(vec![html.clone(), html, json.clone(), json]).await;
    let client = server
        .builder()
        .retry_policy(kataven::RetryPolicy::default().max_retries(1))
        .build()
        .unwrap();
    let campaigns = client.campaigns();
    let errors = [
        campaigns.get(ID).await.unwrap_err(),
        campaigns.get(ID).await.unwrap_err(),
    ];

    for error in &errors {
        assert!(!error.to_string().contains(API_KEY), "{error}");
        assert!(!format!("{error:?}").contains(API_KEY), "{error:?}");
    }
    assert!(
        errors[0].to_string().contains("Bearer <redacted>"),
        "{}",
        errors[0]
    );
    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(!logs.contains(API_KEY), "{logs}");
}

/// A Hub message, error details or a proxy page that quote the bare key,
/// without the `Bearer` scheme, do not carry it into errors or logs, for
/// JSON calls, `create` and event streams.
#[tokio::test]
async fn echoed_bare_key_redacted() {
    let (captured, _guard) = Captured::every_level();

    let page = Reply::Full {
        status: 503,
        headers: vec![
            ("content-type".into(), "text/html".into()),
            ("retry-after".into(), "0".into()),
        ],
        body: format!("<p>upstream refused key {API_KEY}</p>").into_bytes(),
    };
    let unauthorized = Reply::json(
        401,
        serde_json::json!({
            "code": "unauthorized",
            "message": format!("the key {API_KEY} is revoked"),
            "details": {"keys_tried": [API_KEY]},
        }),
    );
    // Each call first gets the page, which is retried, then the 401.
    let server = TestServer::sequence(vec![
        page.clone(),
        unauthorized.clone(),
        page.clone(),
        unauthorized.clone(),
        page,
        unauthorized,
    ])
    .await;
    let client = server
        .builder()
        .retry_policy(
            kataven::RetryPolicy::default()
                .max_retries(1)
                .base_delay(std::time::Duration::from_millis(1)),
        )
        .build()
        .unwrap();
    let campaigns = client.campaigns();
    let contacts = Contacts::from_bytes(&b"phone_number\n+12025550101\n"[..]);
    let get_error = campaigns.get(ID).await.unwrap_err();
    let create_error = campaigns
        .create("Renewals", "agt_support", "pn_main", contacts)
        .await
        .unwrap_err();
    let items: Vec<_> = campaigns.stream_events(ID).unwrap().collect().await;
    let stream_error = items.into_iter().find_map(Result::err).unwrap();
    let errors = [get_error, create_error, stream_error];

    for error in &errors {
        assert_eq!(
            error.status(),
            Some(reqwest::StatusCode::UNAUTHORIZED),
            "{error}"
        );
        assert!(!error.to_string().contains(API_KEY), "{error}");
        assert!(!format!("{error:?}").contains(API_KEY), "{error:?}");
        let hub = error.hub_error().unwrap();
        assert!(hub.message.contains("<redacted>"), "{}", hub.message);
        let details = serde_json::to_string(&hub.details).unwrap();
        assert!(!details.contains(API_KEY), "{details}");
    }
    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(
        logs.contains("upstream refused"),
        "the capture works: {logs}"
    );
    assert!(!logs.contains(API_KEY), "{logs}");
}
