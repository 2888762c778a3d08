//! The Hub's routes, one module per group of operations.

mod campaigns;
mod create;
mod events;

use std::sync::Arc;

use axum::extract::{DefaultBodyLimit, FromRequestParts, Path};
use axum::http::request::Parts;
use axum::http::{header::CONTENT_TYPE, HeaderValue, Method, StatusCode, Uri};
use axum::middleware::from_fn_with_state;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use serde::Serialize;

use crate::error::ApiError;
use crate::middleware::around_request;
use crate::state::Shared;

/// Builds the router of every operation in `openapi.yaml`, with the request layer around it.
pub(crate) fn build(shared: Arc<Shared>) -> Router {
    let upload_limit = shared
        .config
        .max_upload_bytes
        .saturating_add(create::FORM_OVERHEAD_BYTES);
    let upload_limit = usize::try_from(upload_limit).unwrap_or(usize::MAX);

    Router::new()
        .route(
            "/api/v1/campaigns",
            get(campaigns::list)
                .post(create::create)
                .layer(DefaultBodyLimit::max(upload_limit)),
        )
        .route(
            "/api/v1/campaigns/{campaign_id}",
            get(campaigns::get).delete(campaigns::delete),
        )
        .route(
            "/api/v1/campaigns/{campaign_id}/start",
            post(campaigns::start),
        )
        .route(
            "/api/v1/campaigns/{campaign_id}/pause",
            post(campaigns::pause),
        )
        .route(
            "/api/v1/campaigns/{campaign_id}/resume",
            post(campaigns::resume),
        )
        .route(
            "/api/v1/campaigns/{campaign_id}/stop",
            post(campaigns::stop),
        )
        .route(
            "/api/v1/campaigns/{campaign_id}/contacts",
            get(campaigns::list_contacts),
        )
        .route(
            "/api/v1/campaigns/{campaign_id}/events",
            get(events::stream),
        )
        .fallback(unknown_route)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(from_fn_with_state(Arc::clone(&shared), around_request))
        .with_state(shared)
}

async fn unknown_route(method: Method, uri: Uri) -> ApiError {
    ApiError::not_found(format!(
        "no operation {method} {}; the Hub API lives under /api/v1/campaigns",
        uri.path()
    ))
}

// NOTE: the spec documents no 405 response, so the emulator sends the nearest
// documented error code, `invalid_request`, with status 405.
async fn method_not_allowed(method: Method, uri: Uri) -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "invalid_request",
        format!(
            "method {method} is not allowed on {}; see openapi.yaml for this path's operations",
            uri.path()
        ),
    )
}

/// The `campaign_id` path parameter, checked against the spec's `CampaignId` pattern.
pub(crate) struct CampaignIdParam(pub(crate) String);

impl<S: Send + Sync> FromRequestParts<S> for CampaignIdParam {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let Path(id) = Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(|rejection| {
                ApiError::bad_request(format!(
                    "the campaign id in the path is invalid ({rejection}); use the id that create_campaign returned"
                ))
                .detail("parameter", "campaign_id")
            })?;
        if !is_campaign_id(&id) {
            let quoted: String = id.chars().take(80).collect();
            return Err(ApiError::bad_request(format!(
                "campaign id {quoted:?} is invalid; an id is 1 to 64 ASCII letters, digits, `_` or `-`, starting with a letter or digit, such as cmp_0123456789abcdef"
            ))
            .detail("parameter", "campaign_id")
            .detail("value", quoted));
        }
        Ok(Self(id))
    }
}

/// Tells whether `id` matches `^[A-Za-z0-9][A-Za-z0-9_-]*$` with 1 to 64 characters.
fn is_campaign_id(id: &str) -> bool {
    let mut bytes = id.bytes();
    let first_ok = bytes
        .next()
        .is_some_and(|byte| byte.is_ascii_alphanumeric());
    first_ok
        && id.len() <= 64
        && bytes.all(|byte| byte.is_ascii_alphanumeric() || byte == b'_' || byte == b'-')
}

/// Serializes `body` as a JSON response with `status`.
pub(crate) fn json_response(status: StatusCode, body: &impl Serialize) -> Response {
    match serde_json::to_vec(body) {
        Ok(bytes) => {
            let mut response = (status, bytes).into_response();
            response
                .headers_mut()
                .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
            response
        }
        Err(error) => {
            tracing::error!(%error, "failed to encode a response body");
            ApiError::internal(
                "the emulator failed to encode the response; this is a bug in the emulator",
            )
            .into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::is_campaign_id;

    #[test]
    fn campaign_id_pattern() {
        for valid in ["cmp_0123456789abcdef", "a", "A-b_9", &"x".repeat(64)] {
            assert!(is_campaign_id(valid), "{valid}");
        }
        for invalid in ["", "_abc", "-abc", "a b", "a.b", "ä", &"x".repeat(65)] {
            assert!(!is_campaign_id(invalid), "{invalid}");
        }
    }
}
