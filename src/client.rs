//! The client and its configuration.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderName, HeaderValue, AUTHORIZATION};

use crate::campaigns::Campaigns;
use crate::error::{Error, Result};
use crate::events::EventStreamConfig;
use crate::retry::RetryPolicy;
use crate::secret::ApiKey;
use crate::transport::{Settings, Transport};

/// The environment variable that contains the API key.
pub const API_KEY_ENV: &str = "KATAVEN_API_KEY";
/// The environment variable that contains the Hub's base URL.
pub const BASE_URL_ENV: &str = "KATAVEN_BASE_URL";
/// The Hub's base URL, from the spec's `servers` entry.
pub const DEFAULT_BASE_URL: &str = "https://hub.kataven.ai";

/// A client of the Kataven Hub API.
///
/// Cloning is cheap and clones share one connection pool, so build one
/// client and clone it where it is needed.
///
/// ```no_run
/// # async fn run() -> kataven::Result<()> {
/// let client = kataven::Client::from_env()?;
/// for campaign in client.campaigns().list().await? {
///     println!("{} {} {}", campaign.id, campaign.status, campaign.name);
/// }
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct Client {
    shared: Arc<Shared>,
}

struct Shared {
    api: crate::generated::Client,
    http: reqwest::Client,
    base_url: String,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("base_url", &self.shared.base_url)
            .field("transport", &self.shared.api.inner)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// Starts building a client.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// Builds a client from `KATAVEN_API_KEY` and, when set,
    /// `KATAVEN_BASE_URL` (otherwise [`DEFAULT_BASE_URL`]), with every other
    /// setting at its default.
    ///
    /// # Errors
    ///
    /// Returns an error of kind [`Config`](crate::ErrorKind::Config) when
    /// `KATAVEN_API_KEY` is unset or invalid, or when `KATAVEN_BASE_URL` is
    /// not a usable base URL (see [`ClientBuilder::build`]).
    pub fn from_env() -> Result<Self> {
        Self::builder().from_env()?.build()
    }

    /// The campaigns API.
    pub fn campaigns(&self) -> Campaigns {
        Campaigns::new(self.clone())
    }

    /// The base URL requests go to, without a trailing slash.
    pub fn base_url(&self) -> &str {
        &self.shared.base_url
    }

    pub(crate) fn api(&self) -> &crate::generated::Client {
        &self.shared.api
    }

    pub(crate) fn http(&self) -> &reqwest::Client {
        &self.shared.http
    }

    pub(crate) fn transport(&self) -> &Transport {
        &self.shared.api.inner
    }
}

/// Configuration for a [`Client`].
///
/// Every setting has a default, stated in its method's docs; only the API
/// key is required. Invalid settings are reported by [`build`](Self::build).
///
/// ```
/// use std::time::Duration;
///
/// let client = kataven::Client::builder()
///     .api_key("kv_test_123")
///     .base_url("http://127.0.0.1:8080")
///     .request_timeout(Duration::from_secs(10))
///     .build()?;
/// assert_eq!(client.base_url(), "http://127.0.0.1:8080");
/// # Ok::<(), kataven::Error>(())
/// ```
#[must_use]
pub struct ClientBuilder {
    api_key: Option<String>,
    base_url: Option<String>,
    connect_timeout: Duration,
    request_timeout: Option<Duration>,
    upload_timeout: Option<Duration>,
    deadline: Option<Duration>,
    user_agent: Option<String>,
    default_headers: Vec<(String, String)>,
    http_client: Option<reqwest::Client>,
    retry: RetryPolicy,
    max_response_bytes: u64,
    allow_insecure_http: bool,
    events: EventStreamConfig,
}

impl std::fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("api_key", &self.api_key.as_ref().map(|_| "<redacted>"))
            .field("base_url", &self.base_url)
            .field("connect_timeout", &self.connect_timeout)
            .field("request_timeout", &self.request_timeout)
            .field("upload_timeout", &self.upload_timeout)
            .field("deadline", &self.deadline)
            .field("retry", &self.retry)
            .finish_non_exhaustive()
    }
}

impl Default for ClientBuilder {
    fn default() -> Self {
        Self {
            api_key: None,
            base_url: None,
            connect_timeout: Self::DEFAULT_CONNECT_TIMEOUT,
            request_timeout: Some(Self::DEFAULT_REQUEST_TIMEOUT),
            upload_timeout: Some(Self::DEFAULT_UPLOAD_TIMEOUT),
            deadline: None,
            user_agent: None,
            default_headers: Vec::new(),
            http_client: None,
            retry: RetryPolicy::default(),
            max_response_bytes: Self::DEFAULT_MAX_RESPONSE_BYTES,
            allow_insecure_http: false,
            events: EventStreamConfig::default(),
        }
    }
}

impl ClientBuilder {
    /// Connect timeout: 10 s. This is the default.
    pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
    /// Timeout of one attempt of a JSON call: 30 s. This is the default.
    pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
    /// Timeout of one attempt of a CSV upload: 10 minutes. This is the
    /// default.
    pub const DEFAULT_UPLOAD_TIMEOUT: Duration = Duration::from_secs(600);
    /// Limit on a JSON response body: 16 MiB. This is the default.
    pub const DEFAULT_MAX_RESPONSE_BYTES: u64 = 16 * 1024 * 1024;

    /// Sets the API key, sent as `Authorization: Bearer <key>`. Required.
    pub fn api_key(mut self, api_key: impl Into<String>) -> Self {
        self.api_key = Some(api_key.into());
        self
    }

    /// Sets the Hub's base URL, such as `https://hub.kataven.ai` or the URL
    /// of a local emulator. The default is [`DEFAULT_BASE_URL`].
    pub fn base_url(mut self, base_url: impl Into<String>) -> Self {
        self.base_url = Some(base_url.into());
        self
    }

    /// Reads `KATAVEN_API_KEY` and, when set, `KATAVEN_BASE_URL`.
    ///
    /// # Errors
    ///
    /// Returns an error of kind [`Config`](crate::ErrorKind::Config) when
    /// `KATAVEN_API_KEY` is unset or either variable is not valid Unicode.
    pub fn from_env(mut self) -> Result<Self> {
        let api_key = read_env(API_KEY_ENV)?.ok_or_else(|| {
            Error::config(format!(
                "{API_KEY_ENV} is not set; set it to your Kataven API key"
            ))
        })?;
        self.api_key = Some(api_key);
        if let Some(base_url) = read_env(BASE_URL_ENV)? {
            self.base_url = Some(base_url);
        }
        Ok(self)
    }

    /// Sets how long connecting may take, per attempt. The default is
    /// [`DEFAULT_CONNECT_TIMEOUT`](Self::DEFAULT_CONNECT_TIMEOUT). Ignored
    /// with [`http_client`](Self::http_client), whose own setting applies.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Sets how long one attempt of a JSON call may take, from sending to
    /// the end of the response body. The default is
    /// [`DEFAULT_REQUEST_TIMEOUT`](Self::DEFAULT_REQUEST_TIMEOUT). Event
    /// streams use an idle timeout instead (see
    /// [`event_idle_timeout`](Self::event_idle_timeout)).
    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.request_timeout = Some(timeout);
        self
    }

    /// Sets how long one attempt of a CSV upload (`create`) may take, from
    /// sending to the end of the response body. The default is
    /// [`DEFAULT_UPLOAD_TIMEOUT`](Self::DEFAULT_UPLOAD_TIMEOUT).
    pub fn upload_timeout(mut self, timeout: Duration) -> Self {
        self.upload_timeout = Some(timeout);
        self
    }

    /// Sets a deadline for a whole call: every attempt and every delay
    /// between attempts. By default, calls have no deadline.
    ///
    /// An attempt still in flight when the deadline passes is cancelled,
    /// and the call fails with an error of kind
    /// [`Timeout`](crate::ErrorKind::Timeout). A retry whose delay would end
    /// after the deadline is not made, and the call returns the last
    /// failure at once. The per-attempt timeouts still apply within the
    /// deadline. For `create`, the deadline starts once the CSV has been
    /// read and validated, when the first upload begins. Event streams have
    /// no deadline, because they use the idle timeout
    /// ([`event_idle_timeout`](Self::event_idle_timeout)) instead.
    ///
    /// NOTE: when a retried lifecycle transition finds the transition
    /// already made (409 `invalid_transition`), the call reads the campaign
    /// with a GET that has a deadline of its own, so such a call can take up
    /// to twice the deadline.
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// // Each attempt may take 10 s, but a call gives up after 15 s in all.
    /// let client = kataven::Client::builder()
    ///     .api_key("kv_test_123")
    ///     .base_url("http://127.0.0.1:8080")
    ///     .request_timeout(Duration::from_secs(10))
    ///     .deadline(Duration::from_secs(15))
    ///     .build()?;
    /// # Ok::<(), kataven::Error>(())
    /// ```
    pub fn deadline(mut self, deadline: Duration) -> Self {
        self.deadline = Some(deadline);
        self
    }

    /// Sets the `User-Agent`. The default is `kataven-rust/<version>`.
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = Some(user_agent.into());
        self
    }

    /// Adds a header to every request, such as a tracing header of your
    /// own. `Authorization` cannot be set here; use
    /// [`api_key`](Self::api_key).
    pub fn default_header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.default_headers.push((name.into(), value.into()));
        self
    }

    /// Uses your own `reqwest::Client` (version 0.13), for example to share
    /// a connection pool or set a proxy.
    ///
    /// Its own connect timeout, redirect policy and TLS settings then apply;
    /// give it no total timeout (`ClientBuilder::timeout`), because that
    /// would also cut event streams. The API key, the per-attempt timeouts
    /// and the other headers of this builder are still added per request.
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http_client = Some(client);
        self
    }

    /// Sets the retry policy. The default is [`RetryPolicy::default`].
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// Sets the largest JSON response body that is read. The default is
    /// [`DEFAULT_MAX_RESPONSE_BYTES`](Self::DEFAULT_MAX_RESPONSE_BYTES).
    pub fn max_response_bytes(mut self, limit: u64) -> Self {
        self.max_response_bytes = limit;
        self
    }

    /// Allows a plain `http://` base URL on a host that is not loopback.
    ///
    /// The API key would then cross the network unencrypted, so this is off
    /// by default; `http://` to `localhost`, `127.0.0.0/8` or `[::1]` is
    /// always allowed.
    pub fn allow_insecure_http(mut self, allow: bool) -> Self {
        self.allow_insecure_http = allow;
        self
    }

    /// Sets how long an event stream may stay silent (not even a heartbeat)
    /// before it counts as dropped and is reconnected. The default is
    /// [`EventStreamConfig::DEFAULT_IDLE_TIMEOUT`].
    pub fn event_idle_timeout(mut self, timeout: Duration) -> Self {
        self.events.idle_timeout = timeout;
        self
    }

    /// Sets the largest event an event stream accepts. The default is
    /// [`EventStreamConfig::DEFAULT_MAX_EVENT_BYTES`].
    pub fn max_event_bytes(mut self, limit: usize) -> Self {
        self.events.max_event_bytes = limit;
        self
    }

    /// Sets how many reconnects in a row an event stream makes without
    /// receiving an event before it fails. The default is
    /// [`EventStreamConfig::DEFAULT_MAX_RECONNECTS`].
    pub fn max_reconnects(mut self, attempts: u32) -> Self {
        self.events.max_reconnects = attempts;
        self
    }

    /// Sets the cap on the delay before an event stream reconnects, which
    /// also caps the Hub's `retry:` field. The default is
    /// [`EventStreamConfig::DEFAULT_MAX_RECONNECT_DELAY`].
    pub fn max_reconnect_delay(mut self, delay: Duration) -> Self {
        self.events.max_reconnect_delay = delay;
        self
    }

    /// Builds the client.
    ///
    /// # Errors
    ///
    /// Returns an error of kind [`Config`](crate::ErrorKind::Config) when
    /// the API key is missing or invalid; when the base URL is not an
    /// absolute `https://` URL (or `http://` on a loopback host, or
    /// anywhere with [`allow_insecure_http`](Self::allow_insecure_http)),
    /// has a user name, password, query or fragment; when a default header
    /// is invalid or is `Authorization`; when a timeout or the deadline is
    /// zero; or when the HTTP client cannot be built.
    pub fn build(self) -> Result<Client> {
        check_durations(&self)?;
        let api_key = match self.api_key {
            Some(key) => ApiKey::new(key)?,
            None => {
                return Err(Error::config(format!(
                    "no API key; call ClientBuilder::api_key or set {API_KEY_ENV}"
                )))
            }
        };
        let base_url = validate_base_url(
            self.base_url.as_deref().unwrap_or(DEFAULT_BASE_URL),
            self.allow_insecure_http,
        )?;
        let default_headers = build_headers(&self.default_headers)?;
        let user_agent = match &self.user_agent {
            Some(agent) => HeaderValue::from_str(agent).map_err(|_| {
                Error::config(format!(
                    "the user agent {agent:?} is not a valid header value; use visible ASCII"
                ))
            })?,
            None => HeaderValue::from_static(concat!("kataven-rust/", env!("CARGO_PKG_VERSION"))),
        };
        let events = self.events.validated()?;

        let http = match self.http_client {
            Some(client) => client,
            None => reqwest::Client::builder()
                .connect_timeout(self.connect_timeout)
                .redirect(reqwest::redirect::Policy::limited(5))
                .build()
                .map_err(|source| {
                    Error::config("the HTTP client cannot be built").with_source(source)
                })?,
        };

        let transport = Transport::new(Settings {
            api_key,
            user_agent,
            default_headers,
            request_timeout: self.request_timeout,
            upload_timeout: self.upload_timeout,
            deadline: self.deadline,
            retry: self.retry,
            max_response_bytes: self.max_response_bytes,
            events,
        });
        let api = crate::generated::Client::new_with_client(&base_url, http.clone(), transport);
        Ok(Client {
            shared: Arc::new(Shared {
                api,
                http,
                base_url,
            }),
        })
    }
}

fn read_env(name: &str) -> Result<Option<String>> {
    match std::env::var(name) {
        Ok(value) if value.is_empty() => Ok(None),
        Ok(value) => Ok(Some(value)),
        Err(std::env::VarError::NotPresent) => Ok(None),
        Err(std::env::VarError::NotUnicode(_)) => {
            Err(Error::config(format!("{name} is not valid Unicode")))
        }
    }
}

/// Rejects a zero timeout or deadline, which would fail every call before
/// it could be sent.
fn check_durations(builder: &ClientBuilder) -> Result<()> {
    let settings = [
        ("connect_timeout", Some(builder.connect_timeout)),
        ("request_timeout", builder.request_timeout),
        ("upload_timeout", builder.upload_timeout),
        ("deadline", builder.deadline),
    ];
    for (name, duration) in settings {
        if duration.is_some_and(|duration| duration.is_zero()) {
            return Err(Error::config(format!(
                "ClientBuilder::{name} is zero, which would fail every call; set a duration \
                 above zero"
            )));
        }
    }
    Ok(())
}

fn build_headers(pairs: &[(String, String)]) -> Result<HeaderMap> {
    let mut headers = HeaderMap::new();
    for (name, value) in pairs {
        let header_name = HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| Error::config(format!("{name:?} is not a valid header name")))?;
        if header_name == AUTHORIZATION {
            return Err(Error::config(
                "set the API key with ClientBuilder::api_key, not as a default header",
            ));
        }
        let header_value = HeaderValue::from_str(value).map_err(|_| {
            Error::config(format!(
                "the value of header {name:?} is not a valid header value"
            ))
        })?;
        headers.append(header_name, header_value);
    }
    Ok(headers)
}

/// Checks a base URL and returns it without a trailing slash.
pub(crate) fn validate_base_url(raw: &str, allow_insecure_http: bool) -> Result<String> {
    let url = url::Url::parse(raw).map_err(|source| {
        Error::config(format!(
            "the base URL {raw:?} is invalid ({source}); use a URL such as https://hub.kataven.ai"
        ))
    })?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err(Error::config(
            "the base URL contains a user name or password; pass the API key with \
             ClientBuilder::api_key instead",
        ));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(Error::config(format!(
            "the base URL {raw:?} has a query or fragment; remove it"
        )));
    }
    match url.scheme() {
        "https" => {}
        "http" if allow_insecure_http || is_loopback(&url) => {}
        "http" => {
            return Err(Error::config(format!(
                "the base URL {raw:?} uses plain http:// on a host that is not loopback, which \
                 would send the API key unencrypted; use https://, or call \
                 ClientBuilder::allow_insecure_http(true) if the network is trusted"
            )))
        }
        other => {
            return Err(Error::config(format!(
                "the base URL {raw:?} has scheme {other:?}; use https://"
            )))
        }
    }
    Ok(url.as_str().trim_end_matches('/').to_owned())
}

fn is_loopback(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(domain)) => domain.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(address)) => IpAddr::V4(address).is_loopback(),
        Some(url::Host::Ipv6(address)) => IpAddr::V6(address).is_loopback(),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::{validate_base_url, ClientBuilder};
    use crate::ErrorKind;

    fn builder() -> ClientBuilder {
        ClientBuilder::default()
            .api_key("kv_test_123")
            .base_url("http://127.0.0.1:9")
    }

    #[test]
    fn zero_durations_rejected() {
        let cases = [
            ("connect_timeout", builder().connect_timeout(Duration::ZERO)),
            ("request_timeout", builder().request_timeout(Duration::ZERO)),
            ("upload_timeout", builder().upload_timeout(Duration::ZERO)),
            ("deadline", builder().deadline(Duration::ZERO)),
        ];
        for (name, case) in cases {
            let error = case.build().unwrap_err();
            assert_eq!(error.kind(), ErrorKind::Config, "{name}");
            assert!(error.to_string().contains(name), "{error}");
        }
    }

    #[test]
    fn positive_durations_accepted() {
        let client = builder()
            .connect_timeout(Duration::from_millis(1))
            .request_timeout(Duration::from_millis(1))
            .upload_timeout(Duration::from_millis(1))
            .deadline(Duration::from_millis(1))
            .build();
        assert!(client.is_ok());
    }

    #[test]
    fn base_url_trailing_slash_removed() {
        let url = validate_base_url("https://hub.example.test/prefix/", false).unwrap();
        assert_eq!(url, "https://hub.example.test/prefix");
    }

    #[test]
    fn base_url_loopback_http_allowed() {
        for raw in [
            "http://127.0.0.1:8080",
            "http://localhost:1",
            "http://[::1]:2",
            "http://127.8.9.10",
        ] {
            assert!(validate_base_url(raw, false).is_ok(), "{raw}");
        }
    }

    #[test]
    fn base_url_remote_http_rejected() {
        let error = validate_base_url("http://hub.example.test", false).unwrap_err();
        assert!(error.to_string().contains("allow_insecure_http"), "{error}");
        assert!(validate_base_url("http://hub.example.test", true).is_ok());
    }

    #[test]
    fn base_url_with_credentials_rejected() {
        let error = validate_base_url("https://user:secret@hub.example.test", false).unwrap_err();
        assert!(!error.to_string().contains("secret"), "{error}");
    }

    #[test]
    fn base_url_other_forms_rejected() {
        for raw in [
            "hub.example.test",
            "ftp://hub.example.test",
            "https://h.test/?a=1",
            "https://h.test/#x",
            "",
        ] {
            assert!(validate_base_url(raw, false).is_err(), "{raw}");
        }
    }
}
