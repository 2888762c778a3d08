//! The router served by the embedding application's own axum server.

use kataven_emulator::{router, EmulatorConfig, HubState};
use tokio::net::TcpListener;

#[tokio::test]
async fn embedded_router_serves_api() {
    let state = match HubState::new(EmulatorConfig::default().api_key("embedded-key")) {
        Ok(state) => state,
        Err(error) => panic!("invalid config: {error}"),
    };
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap_or_else(|error| panic!("bind failed: {error}"));
    let address = listener
        .local_addr()
        .unwrap_or_else(|error| panic!("no local address: {error}"));
    let server = tokio::spawn(async move { axum::serve(listener, router(state.clone())).await });

    let client = reqwest::Client::builder()
        .no_proxy()
        .build()
        .unwrap_or_else(|error| panic!("client: {error}"));
    let response = client
        .get(format!("http://{address}/api/v1/campaigns"))
        .bearer_auth("embedded-key")
        .send()
        .await
        .unwrap_or_else(|error| panic!("request failed: {error}"));
    assert_eq!(response.status().as_u16(), 200);
    assert!(response.headers().contains_key("x-request-id"));
    server.abort();
}

#[test]
fn invalid_config_is_rejected() {
    for config in [
        EmulatorConfig::default().time_scale(0.0),
        EmulatorConfig::default().time_scale(f64::NAN),
        EmulatorConfig::default().tenant_max_concurrent_calls(0),
        EmulatorConfig::default().max_events_retained(0),
        EmulatorConfig::default().heartbeat_interval(std::time::Duration::ZERO),
    ] {
        let error = HubState::new(config).err().map(|error| error.kind());
        assert_eq!(error, Some(std::io::ErrorKind::InvalidInput));
    }
}

#[tokio::test]
async fn non_loopback_bind_is_rejected() {
    let config = EmulatorConfig::default().bind(
        "0.0.0.0:0"
            .parse()
            .unwrap_or_else(|error| panic!("{error}")),
    );
    let error = kataven_emulator::Emulator::start(config)
        .await
        .err()
        .map(|error| error.kind());
    assert_eq!(error, Some(std::io::ErrorKind::InvalidInput));
}
