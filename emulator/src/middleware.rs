//! The layer around every route: request id, request log, injected faults, response delay and authentication.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http_body::Frame;

use crate::auth;
use crate::state::Shared;

/// The header that carries each response's request id.
pub(crate) const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Runs around every request that reaches the router, unknown routes included.
///
/// Injected failures come first, as a gateway in front of the Hub would send
/// them. Authentication comes next, so an unknown route is 401 without a key
/// and 404 with one.
pub(crate) async fn around_request(
    State(shared): State<Arc<Shared>>,
    request: Request,
    next: Next,
) -> Response {
    let request_id = shared.begin_request();
    let method = request.method().clone();
    let path = request.uri().path().to_owned();

    let mut response = if shared.faults.take_reset() {
        tracing::warn!(%method, path, request_id, "injected fault: the response body fails after the headers");
        broken_response()
    } else if let Some(error) = shared.faults.take_failure() {
        tracing::warn!(%method, path, request_id, status = error.status().as_u16(), "injected fault: failed response");
        error.into_response()
    } else if let Err(error) = auth::check_bearer(request.headers(), &shared.config.api_key) {
        error.into_response()
    } else {
        next.run(request).await
    };

    let delay = shared.faults.response_delay();
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }

    if let Ok(value) = HeaderValue::from_str(&request_id) {
        response.headers_mut().insert(REQUEST_ID, value);
    }
    tracing::info!(%method, path, status = response.status().as_u16(), request_id, "request");
    response
}

/// Counts and logs a request whose connection the server drops before routing it.
pub(crate) fn log_reset(shared: &Shared, method: &axum::http::Method, path: &str) {
    let request_id = shared.begin_request();
    tracing::warn!(%method, path, request_id, "injected fault: connection dropped without a response");
}

/// Builds a 200 response whose body fails at once, for a reset when the router is embedded
/// and the server cannot drop the connection before the headers.
fn broken_response() -> Response {
    (StatusCode::OK, Body::new(BrokenBody)).into_response()
}

struct BrokenBody;

impl http_body::Body for BrokenBody {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        Poll::Ready(Some(Err(std::io::Error::new(
            std::io::ErrorKind::ConnectionReset,
            "injected fault: connection reset",
        ))))
    }
}
