//! Error responses with the spec's `Error` body: `{code, message, details?}`.

use axum::http::header::{HeaderValue, RETRY_AFTER, WWW_AUTHENTICATE};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use serde_json::{Map, Value};

/// A request that the emulator rejects, turned into a 4XX or 5XX response.
#[derive(Debug)]
pub(crate) struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
    details: Option<Map<String, Value>>,
    retry_after: Option<String>,
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    code: &'a str,
    message: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    details: Option<&'a Map<String, Value>>,
}

impl ApiError {
    pub(crate) fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            details: None,
            retry_after: None,
        }
    }

    /// Adds one entry to the error's `details` object.
    pub(crate) fn detail(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.details
            .get_or_insert_with(Map::new)
            .insert(key.to_owned(), value.into());
        self
    }

    pub(crate) fn retry_after(mut self, retry_after: Option<String>) -> Self {
        self.retry_after = retry_after;
        self
    }

    pub(crate) fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthorized", message)
    }

    pub(crate) fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", message)
    }

    /// Builds a 400 `invalid_request` for an invalid path, query or header value.
    pub(crate) fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_request", message)
    }

    /// Builds a 422 `invalid_request` about one form field, named in `details.field`.
    pub(crate) fn invalid_field(field: &str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_request", message)
            .detail("field", field)
    }

    /// Builds a 422 `invalid_csv` about the uploaded contacts file.
    pub(crate) fn invalid_csv(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_csv", message)
    }

    pub(crate) fn invalid_transition(message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, "invalid_transition", message)
    }

    pub(crate) fn campaign_running(message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, "campaign_running", message)
    }

    pub(crate) fn payload_too_large(message: impl Into<String>) -> Self {
        Self::new(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", message)
    }

    pub(crate) fn internal(message: impl Into<String>) -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", message)
    }

    /// Returns the error code that the spec pairs with `status`, for injected failures.
    pub(crate) fn code_for_status(status: StatusCode) -> &'static str {
        match status.as_u16() {
            401 => "unauthorized",
            403 => "forbidden",
            404 => "not_found",
            409 => "invalid_transition",
            413 => "payload_too_large",
            429 => "rate_limited",
            500 => "internal",
            400..=499 => "invalid_request",
            _ => "unavailable",
        }
    }

    pub(crate) fn status(&self) -> StatusCode {
        self.status
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            code: self.code,
            message: &self.message,
            details: self.details.as_ref(),
        };
        let mut response = (self.status, Json(body)).into_response();
        let headers = response.headers_mut();

        if self.status == StatusCode::UNAUTHORIZED {
            headers.insert(WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        if let Some(value) = self
            .retry_after
            .as_deref()
            .and_then(|value| HeaderValue::from_str(value).ok())
        {
            headers.insert(RETRY_AFTER, value);
        }
        response
    }
}
