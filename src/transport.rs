//! What every request goes through: headers, the per-attempt timeout, the
//! response size limit, the request span, and the mapping of failures to
//! [`Error`].

use std::borrow::Cow;
use std::cell::RefCell;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use futures::Stream;
use reqwest::header::{HeaderMap, HeaderValue, AUTHORIZATION, CONTENT_TYPE, USER_AGENT};
use reqwest::StatusCode;

use crate::error::{Error, ErrorKind, HubError};
use crate::retry::{self, Failure, RetryPolicy};
use crate::secret::ApiKey;

/// The response header that carries the Hub's request id.
pub(crate) const REQUEST_ID: &str = "x-request-id";

/// The configuration that every request needs; the generated client's
/// inner value, shared by the handwritten calls.
#[derive(Clone)]
pub struct Transport {
    shared: Arc<Settings>,
}

pub(crate) struct Settings {
    pub(crate) api_key: ApiKey,
    pub(crate) user_agent: HeaderValue,
    pub(crate) default_headers: HeaderMap,
    pub(crate) request_timeout: Option<Duration>,
    pub(crate) upload_timeout: Option<Duration>,
    pub(crate) deadline: Option<Duration>,
    pub(crate) retry: RetryPolicy,
    pub(crate) max_response_bytes: u64,
    pub(crate) events: crate::events::EventStreamConfig,
}

impl std::fmt::Debug for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let settings = &self.shared;
        f.debug_struct("Transport")
            .field("api_key", &settings.api_key)
            .field("request_timeout", &settings.request_timeout)
            .field("upload_timeout", &settings.upload_timeout)
            .field("deadline", &settings.deadline)
            .field("retry", &settings.retry)
            .field("max_response_bytes", &settings.max_response_bytes)
            .finish_non_exhaustive()
    }
}

/// What the last response of an attempt showed, for errors that progenitor
/// reports without it (such as a body that is not JSON).
///
/// It keeps the header values as they came (cloning one shares its bytes)
/// and reads them only when an error needs them, so that a successful call
/// pays for no string copy or date parsing.
#[derive(Debug, Clone, Default)]
pub(crate) struct ResponseMeta {
    pub(crate) status: Option<StatusCode>,
    request_id: Option<HeaderValue>,
    retry_after: Option<HeaderValue>,
    content_type: Option<HeaderValue>,
}

impl ResponseMeta {
    fn of(response: &reqwest::Response) -> Self {
        let status = response.status();
        let headers = response.headers();
        // Only an error status makes the retry delay and the content type
        // matter, so a successful call skips those two lookups.
        let failed = status.is_client_error() || status.is_server_error();
        let failure_header = |name| failed.then(|| headers.get(name).cloned()).flatten();
        Self {
            status: Some(status),
            request_id: headers.get(REQUEST_ID).cloned(),
            retry_after: failure_header(reqwest::header::RETRY_AFTER),
            content_type: failure_header(CONTENT_TYPE),
        }
    }

    /// Returns the `X-Request-Id` header.
    pub(crate) fn request_id(&self) -> Option<String> {
        header_text(self.request_id.as_ref())
    }

    /// Returns the delay that the `Retry-After` header sets.
    pub(crate) fn retry_after(&self) -> Option<Duration> {
        parse_retry_after_value(self.retry_after.as_ref()?)
    }

    /// Returns the headers that an error message reads: the request id and
    /// the content type.
    fn headers(&self) -> HeaderMap {
        let mut headers = HeaderMap::new();
        if let Some(request_id) = &self.request_id {
            headers.insert(REQUEST_ID, request_id.clone());
        }
        if let Some(content_type) = &self.content_type {
            headers.insert(CONTENT_TYPE, content_type.clone());
        }
        headers
    }
}

tokio::task_local! {
    static LAST_RESPONSE: RefCell<ResponseMeta>;
}

impl Transport {
    pub(crate) fn new(settings: Settings) -> Self {
        Self {
            shared: Arc::new(settings),
        }
    }

    pub(crate) fn settings(&self) -> &Settings {
        &self.shared
    }

    /// Adds the headers every request carries; the caller's own headers of
    /// the same name win, except `Authorization`, which is always the key's.
    pub(crate) fn prepare(&self, request: &mut reqwest::Request) {
        let settings = &self.shared;
        let headers = request.headers_mut();
        for (name, value) in &settings.default_headers {
            if !headers.contains_key(name) {
                headers.insert(name.clone(), value.clone());
            }
        }
        if !headers.contains_key(USER_AGENT) {
            headers.insert(USER_AGENT, settings.user_agent.clone());
        }
        headers.insert(AUTHORIZATION, settings.api_key.authorization());
    }

    /// Sends one attempt of a request: adds the headers and the timeout,
    /// records the response's status and request id, and limits the body
    /// that will be read to `body_limit` bytes when one is given.
    pub(crate) async fn execute(
        &self,
        client: &reqwest::Client,
        mut request: reqwest::Request,
        operation: &'static str,
        timeout: Option<Duration>,
        body_limit: Option<u64>,
    ) -> reqwest::Result<reqwest::Response> {
        self.prepare(&mut request);
        if request.timeout().is_none() {
            *request.timeout_mut() = timeout;
        }
        let span = tracing::debug_span!(
            "hub_request",
            operation,
            method = %request.method(),
            path = request.url().path(),
            status = tracing::field::Empty,
            request_id = tracing::field::Empty,
        );
        let _entered = span.enter();

        let response = client.execute(request).await?;
        let meta = ResponseMeta::of(&response);
        span.record("status", response.status().as_u16());
        if let Some(request_id) = meta.request_id.as_ref().and_then(|id| id.to_str().ok()) {
            span.record("request_id", request_id);
        }
        tracing::debug!("Hub response received");
        let _ = LAST_RESPONSE.try_with(|last| *last.borrow_mut() = meta);

        // hyper stops reading at the declared Content-Length, so a body that
        // declares a length within the limit cannot pass it and needs no
        // wrapper; only bodies without a length, or with a larger one, do.
        Ok(match body_limit {
            Some(limit)
                if response
                    .content_length()
                    .is_some_and(|length| length <= limit) =>
            {
                response
            }
            Some(limit) => limit_body(response, limit),
            None => response,
        })
    }

    /// Runs a generated call with retries, mapping its failures to [`Error`].
    pub(crate) async fn run<T, F, Fut>(&self, operation: &'static str, call: F) -> Result<T, Error>
    where
        F: Fn() -> Fut,
        Fut: std::future::Future<
            Output = Result<
                progenitor_client::ResponseValue<T>,
                progenitor_client::Error<crate::generated::types::Error>,
            >,
        >,
    {
        let settings = &self.shared;
        let deadline = settings
            .deadline
            .map(|deadline| tokio::time::Instant::now() + deadline);
        let call = &call;
        let timeout = settings.request_timeout;
        retry::run(&settings.retry, operation, deadline, |_| {
            // The whole attempt goes in one box: the generated future, the
            // task-local scope and the error mapping take kilobytes, which
            // every move of the caller's future would otherwise copy. The
            // generated future is made inside the box, not moved into it.
            Box::pin(async move {
                let (result, meta) = LAST_RESPONSE
                    .scope(RefCell::new(ResponseMeta::default()), async move {
                        let result = match timeout {
                            Some(limit) => tokio::time::timeout(limit, call()).await.ok(),
                            None => Some(call().await),
                        };
                        let meta = LAST_RESPONSE.with(|last| last.take());
                        (result, meta)
                    })
                    .await;
                match result {
                    Some(Ok(value)) => Ok(value.into_inner()),
                    Some(Err(error)) => {
                        Err(map_generated_error(operation, error, meta, &settings.api_key).await)
                    }
                    None => Err(attempt_timed_out(timeout, &meta)
                        .redact_key(&settings.api_key)
                        .into()),
                }
            })
        })
        .await
        .map_err(|error| error.with_operation(operation))
    }
}

/// Builds the error of an attempt that ran past the request timeout, with
/// the status when the response had started.
fn attempt_timed_out(limit: Option<Duration>, meta: &ResponseMeta) -> Error {
    let limit = limit.unwrap_or_default();
    let error = Error::new(ErrorKind::Timeout)
        .with_reached_hub(true)
        .with_request_id(meta.request_id())
        .with_message(format!(
            "the request did not finish within {limit:?}, the timeout set by \
             ClientBuilder::request_timeout"
        ));
    match meta.status {
        Some(status) => error.with_status(status),
        None => error,
    }
}

/// Reads a whole body, failing once it passes `limit` bytes.
pub(crate) async fn read_body(response: reqwest::Response, limit: u64) -> Result<Bytes, Error> {
    let mut body = Vec::new();
    let mut stream = response.bytes_stream();
    while let Some(chunk) = futures::StreamExt::next(&mut stream).await {
        let chunk = chunk.map_err(|error| map_reqwest_error(error, &ResponseMeta::default()))?;
        let size = u64::try_from(body.len() + chunk.len()).unwrap_or(u64::MAX);
        if size > limit {
            return Err(Error::new(ErrorKind::Decode)
                .with_reached_hub(true)
                .with_message(BodyTooLarge { limit }.to_string()));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Bytes::from(body))
}

/// Returns the `X-Request-Id` header.
pub(crate) fn request_id(headers: &HeaderMap) -> Option<String> {
    header_text(headers.get(REQUEST_ID))
}

fn header_text(value: Option<&HeaderValue>) -> Option<String> {
    value
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned)
}

fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    parse_retry_after_value(headers.get(reqwest::header::RETRY_AFTER)?)
}

fn parse_retry_after_value(value: &HeaderValue) -> Option<Duration> {
    retry::parse_retry_after(value.to_str().ok()?, SystemTime::now())
}

/// The error a response body stream returns once it passes the limit.
#[derive(Debug)]
pub(crate) struct BodyTooLarge {
    pub(crate) limit: u64,
}

impl std::fmt::Display for BodyTooLarge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "the response body exceeds the limit of {} bytes set by \
             ClientBuilder::max_response_bytes",
            self.limit
        )
    }
}

impl std::error::Error for BodyTooLarge {}

struct LimitedBody<S> {
    inner: S,
    remaining: u64,
    limit: u64,
}

impl<S> Stream for LimitedBody<S>
where
    S: Stream<Item = reqwest::Result<Bytes>> + Unpin,
{
    type Item = Result<Bytes, Box<dyn std::error::Error + Send + Sync>>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        match Pin::new(&mut self.inner).poll_next(cx) {
            Poll::Ready(Some(Ok(chunk))) => {
                let size = u64::try_from(chunk.len()).unwrap_or(u64::MAX);
                if size > self.remaining {
                    let limit = self.limit;
                    self.remaining = 0;
                    return Poll::Ready(Some(Err(Box::new(BodyTooLarge { limit }))));
                }
                self.remaining -= size;
                Poll::Ready(Some(Ok(chunk)))
            }
            Poll::Ready(Some(Err(error))) => Poll::Ready(Some(Err(Box::new(error)))),
            Poll::Ready(None) => Poll::Ready(None),
            Poll::Pending => Poll::Pending,
        }
    }
}

/// Rebuilds the response with a body that fails once it passes `limit`
/// bytes, so that a huge or endless body cannot exhaust memory.
fn limit_body(response: reqwest::Response, limit: u64) -> reqwest::Response {
    let status = response.status();
    let version = response.version();
    let headers = response.headers().clone();
    let body = LimitedBody {
        inner: Box::pin(response.bytes_stream()),
        remaining: limit,
        limit,
    };
    let mut rebuilt = http::Response::new(reqwest::Body::wrap_stream(body));
    *rebuilt.status_mut() = status;
    *rebuilt.version_mut() = version;
    *rebuilt.headers_mut() = headers;
    reqwest::Response::from(rebuilt)
}

/// Whether `error`, or any error in its source chain, is a [`BodyTooLarge`].
fn find_body_too_large(error: &(dyn std::error::Error + 'static)) -> Option<u64> {
    let mut current = Some(error);
    while let Some(error) = current {
        if let Some(too_large) = error.downcast_ref::<BodyTooLarge>() {
            return Some(too_large.limit);
        }
        current = error.source();
    }
    None
}

/// Maps a reqwest failure: connection refused before anything was sent,
/// timeout, or a failure in transit.
pub(crate) fn map_reqwest_error(error: reqwest::Error, meta: &ResponseMeta) -> Error {
    if let Some(limit) = find_body_too_large(&error) {
        return Error::new(ErrorKind::Decode)
            .with_message(BodyTooLarge { limit }.to_string())
            .with_reached_hub(true)
            .with_request_id(meta.request_id());
    }
    let base = if error.is_builder() {
        Error::new(ErrorKind::InvalidArgument).with_message("the request could not be built")
    } else if error.is_connect() {
        Error::new(ErrorKind::Connect)
    } else if error.is_timeout() {
        Error::new(ErrorKind::Timeout).with_reached_hub(true)
    } else {
        Error::new(ErrorKind::Transport).with_reached_hub(true)
    };
    let base = match meta.status {
        Some(status) => base.with_status(status),
        None => base,
    };
    base.with_request_id(meta.request_id())
        .with_source(error.without_url())
}

/// Maps a 4XX or 5XX response whose body was read.
pub(crate) fn status_error(status: StatusCode, headers: &HeaderMap, body: &[u8]) -> Failure {
    let request_id = request_id(headers);
    let retry_after = retry_after(headers);
    let mut error = Error::new(ErrorKind::Status)
        .with_status(status)
        .with_request_id(request_id);
    match serde_json::from_slice::<crate::generated::types::Error>(body) {
        Ok(body) => error = error.with_hub_error(hub_error(body)),
        Err(_) => {
            let content_type = headers
                .get(CONTENT_TYPE)
                .and_then(|value| value.to_str().ok())
                .unwrap_or("no content type");
            error = error.with_message(format!(
                "the body is not the Hub's JSON error ({content_type}): {}",
                excerpt(body)
            ));
        }
    }
    Failure { error, retry_after }
}

/// Builds the Hub error of an error body, with bearer credentials redacted
/// from its message and details.
fn hub_error(body: crate::generated::types::Error) -> HubError {
    let mut details = body.details;
    for value in details.values_mut() {
        redact_json(value);
    }
    HubError {
        code: body.code,
        message: redact_bearer(&body.message).into_owned(),
        details: (!details.is_empty()).then_some(details),
    }
}

fn redact_json(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::String(text) => {
            if let Cow::Owned(redacted) = redact_bearer(text) {
                *text = redacted;
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(redact_json),
        serde_json::Value::Object(fields) => fields.values_mut().for_each(redact_json),
        _ => {}
    }
}

/// Replaces the credential after each `Bearer` in `text` with `<redacted>`.
///
/// Error pages of some proxies, and messages of some servers, quote the
/// request's `Authorization` header. Body excerpts and the Hub's error
/// messages and details pass through this function before they enter an
/// error, so the API key stays out of errors and logs. The credential is
/// everything up to the next white space, so markup or quotes right after
/// it are redacted too.
pub(crate) fn redact_bearer(text: &str) -> Cow<'_, str> {
    const SCHEME: &str = "bearer";
    // ASCII lowercasing keeps every byte offset, so offsets found in
    // `lower` are character boundaries of `text`.
    let lower = text.to_ascii_lowercase();
    let mut redacted = String::new();
    let mut copied = 0;
    let mut search = 0;
    while let Some(found) = lower.get(search..).and_then(|rest| rest.find(SCHEME)) {
        let after_scheme = search + found + SCHEME.len();
        let rest = text.get(after_scheme..).unwrap_or_default();
        let token_start = after_scheme + (rest.len() - rest.trim_start_matches([' ', '\t']).len());
        let token = text.get(token_start..).unwrap_or_default();
        let token_len = token.find(char::is_whitespace).unwrap_or(token.len());
        // A placeholder such as `Bearer <API key>` in a hint is no
        // credential; the configured key itself is redacted by
        // `Error::redact_key` wherever it appears.
        if token_start == after_scheme || token_len == 0 || token.starts_with('<') {
            search = after_scheme;
            continue;
        }
        redacted.push_str(text.get(copied..token_start).unwrap_or_default());
        redacted.push_str("<redacted>");
        copied = token_start + token_len;
        search = copied;
    }
    if copied == 0 {
        return Cow::Borrowed(text);
    }
    redacted.push_str(text.get(copied..).unwrap_or_default());
    Cow::Owned(redacted)
}

/// Describes a successful response whose body could not be decoded as
/// the spec's `schema`: a body that is not JSON at all (an HTML page from
/// a proxy, for one) gets a hint about the base URL.
pub(crate) fn undecodable_body(source: &serde_json::Error, body: &[u8], schema: &str) -> String {
    let reason = redact_bearer(&source.to_string()).into_owned();
    if source.is_syntax() || source.is_eof() {
        format!(
            "the body is not JSON ({reason}): {}; check that the base URL points at the Hub \
             API and not at a web page or a proxy",
            excerpt(body)
        )
    } else {
        format!(
            "the body is JSON but does not match the spec's {schema} ({reason}): {}",
            excerpt(body)
        )
    }
}

/// Returns a short, printable excerpt of a body for error messages, with
/// bearer credentials redacted.
pub(crate) fn excerpt(body: &[u8]) -> String {
    const MAX_CHARS: usize = 200;
    if body.is_empty() {
        return "empty body".to_owned();
    }
    let lossy = String::from_utf8_lossy(body);
    let text = redact_bearer(&lossy);
    let mut excerpt: String = text
        .chars()
        .take(MAX_CHARS)
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if text.chars().count() > MAX_CHARS {
        excerpt.push('…');
    }
    format!("{:?} ({} bytes)", excerpt.trim(), body.len())
}

async fn map_generated_error(
    operation: &'static str,
    error: progenitor_client::Error<crate::generated::types::Error>,
    meta: ResponseMeta,
    key: &ApiKey,
) -> Failure {
    use progenitor_client::Error as Generated;

    let failure = match error {
        Generated::InvalidRequest(message) => Error::invalid_argument(message).into(),
        Generated::CommunicationError(error)
        | Generated::InvalidUpgrade(error)
        | Generated::ResponseBodyError(error) => Failure {
            error: map_reqwest_error(error, &meta),
            retry_after: meta.retry_after(),
        },
        Generated::ErrorResponse(response) => {
            let status = response.status();
            let request_id = request_id(response.headers());
            let retry_after = retry_after(response.headers());
            Failure {
                error: Error::new(ErrorKind::Status)
                    .with_status(status)
                    .with_request_id(request_id)
                    .with_hub_error(hub_error(response.into_inner())),
                retry_after,
            }
        }
        Generated::InvalidResponsePayload(body, source) => {
            let status = meta.status.unwrap_or(StatusCode::OK);
            if status.is_client_error() || status.is_server_error() {
                let mut failure = status_error(status, &meta.headers(), &body);
                failure.retry_after = meta.retry_after();
                failure
            } else {
                Error::new(ErrorKind::Decode)
                    .with_status(status)
                    .with_request_id(meta.request_id())
                    .with_message(undecodable_body(&source, &body, "schema"))
                    .into()
            }
        }
        Generated::UnexpectedResponse(response) => unexpected_response(response).await,
        Generated::Custom(message) => Error::new(ErrorKind::Decode).with_message(message).into(),
    };
    // Redacted before the first log line, and before the retry loop logs it.
    let failure = Failure {
        error: failure.error.redact_key(key),
        retry_after: failure.retry_after,
    };
    tracing::debug!(operation, error = %failure.error, "Hub request failed");
    failure
}

/// How much of an unexpected response is read for the error message.
const EXCERPT_READ_LIMIT: u64 = 64 * 1024;

/// Maps a response whose status the spec does not list for the operation.
pub(crate) async fn unexpected_response(response: reqwest::Response) -> Failure {
    let status = response.status();
    let headers = response.headers().clone();
    let body = read_body(response, EXCERPT_READ_LIMIT)
        .await
        .unwrap_or_default();
    if status.is_client_error() || status.is_server_error() {
        return status_error(status, &headers, &body);
    }
    Error::new(ErrorKind::Decode)
        .with_status(status)
        .with_request_id(request_id(&headers))
        .with_message(format!(
            "the spec does not list status {status} for this operation: {}",
            excerpt(&body)
        ))
        .into()
}

impl progenitor_client::ClientHooks<Transport> for crate::generated::Client {
    async fn exec(
        &self,
        request: reqwest::Request,
        info: &progenitor_client::OperationInfo,
    ) -> reqwest::Result<reqwest::Response> {
        let transport = &self.inner;
        let settings = transport.settings();
        transport
            .execute(
                &self.client,
                request,
                info.operation_id,
                // `Transport::run` times the whole attempt, decoding included.
                None,
                Some(settings.max_response_bytes),
            )
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_credentials_redacted() {
        let cases = [
            (
                "Authorization: Bearer kv_1 rest",
                "Authorization: Bearer <redacted> rest",
            ),
            (
                "authorization: bearer\tkv_1",
                "authorization: bearer\t<redacted>",
            ),
            ("<td>BEARER kv_1</td>", "<td>BEARER <redacted>"),
            (
                "\"Bearer kv_1\", \"Bearer kv_2\"",
                "\"Bearer <redacted> \"Bearer <redacted>",
            ),
            ("é Bearer kv_é\r\nnext", "é Bearer <redacted>\r\nnext"),
        ];
        for (text, expected) in cases {
            assert_eq!(redact_bearer(text), expected, "{text:?}");
        }
    }

    #[test]
    fn text_without_credentials_kept() {
        for text in [
            "",
            "bearer",
            "Bearer ",
            "Bearer\n",
            "bearers",
            "no key here",
            "send `Authorization: Bearer <API key>`",
            "Bearer <redacted>",
        ] {
            assert!(
                matches!(redact_bearer(text), Cow::Borrowed(kept) if kept == text),
                "{text:?}"
            );
        }
    }

    #[test]
    fn excerpt_redacts_before_truncating() {
        let body = format!("{}Bearer {}", "x".repeat(150), "k".repeat(100));
        let excerpt = excerpt(body.as_bytes());
        assert!(excerpt.contains("Bearer <redacted>"), "{excerpt}");
        assert!(!excerpt.contains("kkk"), "{excerpt}");
    }
}
