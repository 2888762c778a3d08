//! The crate's one error type.

use std::fmt;

use reqwest::StatusCode;

use crate::csv::CsvError;

type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// The result type of every fallible call in this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// An error from the Kataven Hub or from this client.
///
/// It is one pointer wide, so results stay cheap to move. [`kind`](Self::kind)
/// classifies the failure, and helpers such as `is_not_found` and
/// `is_conflict` check the common cases.
/// [`may_have_reached_hub`](Self::may_have_reached_hub) reports whether the Hub
/// may have acted on the request, which matters before repeating a call by
/// hand.
pub struct Error {
    inner: Box<Inner>,
}

struct Inner {
    kind: ErrorKind,
    operation: Option<&'static str>,
    status: Option<StatusCode>,
    hub: Option<HubError>,
    request_id: Option<String>,
    message: Option<String>,
    reached_hub: bool,
    attempts: u32,
    earlier_attempt_reached_hub: bool,
    source: Option<BoxError>,
}

/// What kind of failure an [`Error`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// An argument was invalid, so nothing was sent.
    InvalidArgument,
    /// The client configuration was invalid, so nothing was sent.
    Config,
    /// The contacts CSV failed pre-flight validation, so nothing was sent.
    Csv,
    /// Reading local input (a contacts file or reader) failed.
    Io,
    /// The connection to the Hub could not be made; the request was not sent.
    Connect,
    /// A timeout expired: connect, per attempt, the overall deadline, or an
    /// event stream's idle timeout. The Hub may have received the request.
    Timeout,
    /// The request or response failed in transit after the connection was
    /// made, for example a reset connection. The Hub may have received it.
    Transport,
    /// The Hub responded with an error status (4XX or 5XX).
    Status,
    /// The Hub's response was not what the spec describes: not JSON, not the
    /// expected schema, an unexpected status, or larger than the limit.
    Decode,
    /// An event stream could not be resumed after its reconnect attempts.
    StreamInterrupted,
}

/// The error body that the Hub sends with every 4XX and 5XX response.
#[derive(Debug, Clone, PartialEq)]
pub struct HubError {
    /// The machine-readable code, such as `invalid_transition`. The Hub may
    /// add codes, so match the known ones and keep a fallback.
    pub code: String,
    /// What went wrong, for people.
    pub message: String,
    /// More facts, such as the CSV row at fault, when the Hub sends them.
    pub details: Option<serde_json::Map<String, serde_json::Value>>,
}

impl Error {
    pub(crate) fn new(kind: ErrorKind) -> Self {
        Self {
            inner: Box::new(Inner {
                kind,
                operation: None,
                status: None,
                hub: None,
                request_id: None,
                message: None,
                reached_hub: false,
                attempts: 1,
                earlier_attempt_reached_hub: false,
                source: None,
            }),
        }
    }

    pub(crate) fn invalid_argument(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::InvalidArgument).with_message(message)
    }

    pub(crate) fn config(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Config).with_message(message)
    }

    pub(crate) fn with_message(mut self, message: impl Into<String>) -> Self {
        self.inner.message = Some(message.into());
        self
    }

    /// Replaces the API key wherever the error's text repeats it: the
    /// message, the request id, and the code, message and string details of
    /// the Hub's error. A server or proxy that echoes the key, even without
    /// the `Bearer` scheme, then cannot put it into a log through this error.
    pub(crate) fn redact_key(mut self, key: &crate::ApiKey) -> Self {
        let secret = key.secret();
        if secret.is_empty() {
            return self;
        }
        let inner = &mut *self.inner;
        for text in [&mut inner.message, &mut inner.request_id]
            .into_iter()
            .flatten()
        {
            redact_in(text, secret);
        }
        if let Some(hub) = &mut inner.hub {
            redact_in(&mut hub.code, secret);
            redact_in(&mut hub.message, secret);
            for value in hub
                .details
                .iter_mut()
                .flat_map(|details| details.values_mut())
            {
                redact_json(value, secret);
            }
        }
        self
    }

    pub(crate) fn with_operation(mut self, operation: &'static str) -> Self {
        self.inner.operation = Some(operation);
        self
    }

    pub(crate) fn with_status(mut self, status: StatusCode) -> Self {
        self.inner.status = Some(status);
        self.inner.reached_hub = true;
        self
    }

    pub(crate) fn with_hub_error(mut self, hub: HubError) -> Self {
        self.inner.hub = Some(hub);
        self
    }

    pub(crate) fn with_request_id(mut self, request_id: Option<String>) -> Self {
        if request_id.is_some() {
            self.inner.request_id = request_id;
        }
        self
    }

    pub(crate) fn with_reached_hub(mut self, reached: bool) -> Self {
        self.inner.reached_hub = reached;
        self
    }

    pub(crate) fn with_attempts(mut self, attempts: u32, earlier_reached_hub: bool) -> Self {
        self.inner.attempts = attempts;
        self.inner.earlier_attempt_reached_hub = earlier_reached_hub;
        self
    }

    /// Whether an attempt before the last one may have reached the Hub, so
    /// that the last attempt's response can reflect the earlier one's effect.
    pub(crate) fn earlier_attempt_may_have_reached_hub(&self) -> bool {
        self.inner.earlier_attempt_reached_hub
    }

    pub(crate) fn with_source(mut self, source: impl Into<BoxError>) -> Self {
        self.inner.source = Some(source.into());
        self
    }

    /// What kind of failure this is.
    pub fn kind(&self) -> ErrorKind {
        self.inner.kind
    }

    /// The spec's `operationId` of the call that failed, such as `get_campaign`.
    pub fn operation(&self) -> Option<&'static str> {
        self.inner.operation
    }

    /// The HTTP status of the Hub's response, if it responded.
    pub fn status(&self) -> Option<StatusCode> {
        self.inner.status
    }

    /// The Hub's error body, when it sent one.
    pub fn hub_error(&self) -> Option<&HubError> {
        self.inner.hub.as_ref()
    }

    /// The Hub's error code, such as `not_found` or `invalid_transition`.
    pub fn code(&self) -> Option<&str> {
        self.inner.hub.as_ref().map(|hub| hub.code.as_str())
    }

    /// The Hub's `X-Request-Id` for the failed request; quote it when
    /// reporting a problem to Kataven.
    pub fn request_id(&self) -> Option<&str> {
        self.inner.request_id.as_deref()
    }

    /// Whether the Hub may have received, and acted on, the request.
    ///
    /// `false` means the request certainly did not reach the Hub (invalid
    /// arguments, CSV validation, a refused connection), so repeating it is
    /// safe whatever it does.
    pub fn may_have_reached_hub(&self) -> bool {
        self.inner.reached_hub
    }

    /// How many attempts were made, retries included.
    pub fn attempts(&self) -> u32 {
        self.inner.attempts
    }

    /// The CSV validation report, for an error of kind [`ErrorKind::Csv`].
    pub fn csv_report(&self) -> Option<&crate::csv::CsvReport> {
        let source = self.inner.source.as_deref()?;
        source.downcast_ref::<CsvError>().map(CsvError::report)
    }

    /// Whether the Hub answered 404: the campaign does not exist (any more).
    pub fn is_not_found(&self) -> bool {
        self.inner.status == Some(StatusCode::NOT_FOUND)
    }

    /// Whether the Hub answered 409: the campaign's current status does not
    /// allow the request. See [`is_invalid_transition`](Self::is_invalid_transition)
    /// and [`is_campaign_running`](Self::is_campaign_running).
    pub fn is_conflict(&self) -> bool {
        self.inner.status == Some(StatusCode::CONFLICT)
    }

    /// Whether the Hub rejected a lifecycle request (start, pause, resume,
    /// stop) that the campaign's current status does not allow.
    pub fn is_invalid_transition(&self) -> bool {
        self.is_conflict() && self.code() == Some("invalid_transition")
    }

    /// Whether the Hub refused to delete a running campaign; pause or stop it
    /// first.
    pub fn is_campaign_running(&self) -> bool {
        self.is_conflict() && self.code() == Some("campaign_running")
    }

    /// Whether the Hub answered 401 or 403: the API key is missing, wrong,
    /// or lacks access.
    pub fn is_unauthorized(&self) -> bool {
        matches!(
            self.inner.status,
            Some(StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN)
        )
    }

    /// Whether the Hub answered 429 after every retry.
    pub fn is_rate_limited(&self) -> bool {
        self.inner.status == Some(StatusCode::TOO_MANY_REQUESTS)
    }

    /// Whether a timeout expired.
    pub fn is_timeout(&self) -> bool {
        self.inner.kind == ErrorKind::Timeout
    }

    /// Whether the error is one that a later attempt may not repeat:
    /// a connection failure, a timeout, or status 408, 429, 500, 502, 503
    /// or 504.
    pub fn is_transient(&self) -> bool {
        match self.inner.kind {
            ErrorKind::Connect | ErrorKind::Timeout | ErrorKind::Transport => true,
            ErrorKind::Status => self
                .inner
                .status
                .is_some_and(crate::retry::is_retryable_status),
            _ => false,
        }
    }

    fn hint(&self) -> Option<&'static str> {
        if self.is_campaign_running() {
            return Some("pause or stop the campaign, then delete it");
        }
        if self.is_invalid_transition() {
            return Some("get the campaign to see its current status");
        }
        match self.inner.status {
            Some(StatusCode::UNAUTHORIZED) => {
                Some("check the API key (KATAVEN_API_KEY or ClientBuilder::api_key)")
            }
            Some(StatusCode::PAYLOAD_TOO_LARGE) => {
                Some("split the contacts into several campaigns")
            }
            _ => None,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = &self.inner;
        if let Some(operation) = inner.operation {
            write!(f, "{operation}: ")?;
        }
        match (inner.status, &inner.hub) {
            (Some(status), Some(hub)) => {
                write!(
                    f,
                    "the Hub answered {status} ({}): {}",
                    hub.code, hub.message
                )?;
            }
            (Some(status), None) => write!(f, "the Hub answered {status}")?,
            // A CSV error's message starts with its own summary.
            _ if inner.kind == ErrorKind::Csv && inner.message.is_some() => {}
            _ => f.write_str(kind_summary(inner.kind))?,
        }
        if let Some(message) = &inner.message {
            if inner.kind == ErrorKind::Csv && inner.status.is_none() {
                f.write_str(message)?;
            } else if inner.status.is_some() || inner.hub.is_some() {
                write!(f, "; {message}")?;
            } else {
                write!(f, ": {message}")?;
            }
        }
        if let Some(hint) = self.hint() {
            write!(f, "; {hint}")?;
        }
        if inner.attempts > 1 {
            write!(f, " (after {} attempts)", inner.attempts)?;
        }
        if let Some(request_id) = &inner.request_id {
            write!(f, " (request id {request_id})")?;
        }
        Ok(())
    }
}

fn kind_summary(kind: ErrorKind) -> &'static str {
    match kind {
        ErrorKind::InvalidArgument => "invalid argument",
        ErrorKind::Config => "invalid client configuration",
        ErrorKind::Csv => "the contacts CSV is invalid",
        ErrorKind::Io => "reading the contacts failed",
        ErrorKind::Connect => "cannot connect to the Hub",
        ErrorKind::Timeout => "timed out",
        ErrorKind::Transport => "the connection to the Hub failed",
        ErrorKind::Status => "the Hub answered with an error",
        ErrorKind::Decode => "the Hub's response is invalid",
        ErrorKind::StreamInterrupted => "the event stream was interrupted",
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = &self.inner;
        let mut debug = f.debug_struct("kataven::Error");
        debug.field("kind", &inner.kind);
        if let Some(operation) = inner.operation {
            debug.field("operation", &operation);
        }
        if let Some(status) = inner.status {
            debug.field("status", &status);
        }
        if let Some(hub) = &inner.hub {
            debug.field("hub", hub);
        }
        if let Some(request_id) = &inner.request_id {
            debug.field("request_id", request_id);
        }
        if let Some(message) = &inner.message {
            debug.field("message", message);
        }
        debug.field("may_have_reached_hub", &inner.reached_hub);
        debug.field("attempts", &inner.attempts);
        if let Some(source) = &inner.source {
            debug.field("source", source);
        }
        debug.finish()
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.inner
            .source
            .as_deref()
            .map(|source| source as &(dyn std::error::Error + 'static))
    }
}

/// Replaces every occurrence of `secret` in `text`.
fn redact_in(text: &mut String, secret: &str) {
    if text.contains(secret) {
        *text = text.replace(secret, "<redacted>");
    }
}

/// Replaces every occurrence of `secret` in the strings of a JSON value.
fn redact_json(value: &mut serde_json::Value, secret: &str) {
    match value {
        serde_json::Value::String(text) => redact_in(text, secret),
        serde_json::Value::Array(items) => {
            for item in items {
                redact_json(item, secret);
            }
        }
        serde_json::Value::Object(fields) => {
            for item in fields.values_mut() {
                redact_json(item, secret);
            }
        }
        _ => {}
    }
}

impl From<CsvError> for Error {
    fn from(error: CsvError) -> Self {
        Error::new(ErrorKind::Csv)
            .with_message(error.to_string())
            .with_source(error)
    }
}
