//! `create`: a streaming multipart upload of the contacts CSV.
//!
//! The CSV is validated before any byte is sent (see [`crate::csv`]), then
//! streamed: a file from disk with its exact `Content-Length`, bytes from
//! memory without a copy, and an async reader spooled to a temporary file
//! first so that memory use does not grow with the file. Each attempt
//! rebuilds the body (a file is reopened), and every attempt sends the same
//! `Idempotency-Key`, so a retry never creates a second campaign.

use std::future::{Future, IntoFuture};
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;

use bytes::Bytes;
use chrono::{DateTime, SecondsFormat, Utc};
use reqwest::header::{HeaderValue, ACCEPT};
use reqwest::multipart::{Form, Part};
use tokio::io::{AsyncRead, AsyncSeekExt};

use crate::campaigns::Campaigns;
use crate::csv::{CsvOptions, CsvReport};
use crate::error::{Error, ErrorKind, Result};
use crate::models::Campaign;
use crate::retry::{self, Failure};
use crate::transport::{self, ResponseMeta};

const OPERATION: &str = "create_campaign";

/// A contacts CSV to upload, from a file, memory or an async reader, with
/// the options to read it by.
///
/// ```
/// use kataven::csv::CsvOptions;
/// use kataven::Contacts;
///
/// let from_file = Contacts::from_path("contacts.csv");
/// let from_memory = Contacts::from_bytes(&b"phone_number,name\n+12025550101,Ana\n"[..]);
/// let semicolons = Contacts::from_path("export.csv").options(CsvOptions::new().delimiter(b';'));
/// ```
pub struct Contacts {
    source: Source,
    options: CsvOptions,
    file_name: Option<String>,
}

enum Source {
    Path(PathBuf),
    Bytes(Bytes),
    Reader(Box<dyn AsyncRead + Send + Unpin>),
}

impl std::fmt::Debug for Contacts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let source = match &self.source {
            Source::Path(path) => format!("path {}", path.display()),
            Source::Bytes(bytes) => format!("{} bytes in memory", bytes.len()),
            Source::Reader(_) => "async reader".to_owned(),
        };
        f.debug_struct("Contacts")
            .field("source", &source)
            .field("options", &self.options)
            .field("file_name", &self.file_name)
            .finish()
    }
}

impl Contacts {
    /// The file name sent for contacts that do not come from a file.
    pub const DEFAULT_FILE_NAME: &'static str = "contacts.csv";

    /// Contacts from a file, streamed from disk on every attempt.
    pub fn from_path(path: impl Into<PathBuf>) -> Self {
        Self::new(Source::Path(path.into()))
    }

    /// Contacts from memory. `Bytes` and `Vec<u8>` are taken without a copy.
    pub fn from_bytes(bytes: impl Into<Bytes>) -> Self {
        Self::new(Source::Bytes(bytes.into()))
    }

    /// Contacts from an async reader. It is copied to a temporary file
    /// first, because validation must read it before the upload does.
    pub fn from_reader(reader: impl AsyncRead + Send + Unpin + 'static) -> Self {
        Self::new(Source::Reader(Box::new(reader)))
    }

    fn new(source: Source) -> Self {
        Self {
            source,
            options: CsvOptions::default(),
            file_name: None,
        }
    }

    /// Sets how the CSV is read: the phone number column, the delimiter,
    /// the encoding, and whether invalid rows are skipped. The default is
    /// [`CsvOptions::default`].
    pub fn options(mut self, options: CsvOptions) -> Self {
        self.options = options;
        self
    }

    /// Sets the file name sent with the upload. The default is the path's
    /// file name, or [`DEFAULT_FILE_NAME`](Self::DEFAULT_FILE_NAME).
    pub fn file_name(mut self, name: impl Into<String>) -> Self {
        self.file_name = Some(name.into());
        self
    }
}

/// A request to create a campaign, from [`Campaigns::create`]. Await it (or
/// call [`send`](Self::send)) to upload the contacts.
#[must_use = "a CreateCampaign does nothing until it is awaited"]
#[derive(Debug)]
pub struct CreateCampaign {
    campaigns: Campaigns,
    name: String,
    agent_id: String,
    phone_number_id: String,
    contacts: Contacts,
    max_concurrent_calls: u32,
    retries_per_contact: u32,
    retry_delay_seconds: u32,
    scheduled_at: Option<DateTime<Utc>>,
    idempotency_key: Option<String>,
}

impl Campaigns {
    /// Creates a campaign from a contacts CSV. The campaign starts in
    /// `draft` status (or `scheduled`, with a future
    /// [`scheduled_at`](CreateCampaign::scheduled_at)); dispatch begins
    /// only after [`start`](Campaigns::start).
    ///
    /// The CSV's header row must contain `phone_number`; every other column
    /// becomes a string entry of each contact's `custom_fields`. Values,
    /// phone numbers included, are uploaded exactly as written.
    ///
    /// ```no_run
    /// # async fn run(client: kataven::Client) -> kataven::Result<()> {
    /// use kataven::Contacts;
    ///
    /// let campaign = client
    ///     .campaigns()
    ///     .create("Spring renewals", "agt_support", "pn_main", Contacts::from_path("contacts.csv"))
    ///     .max_concurrent_calls(10)
    ///     .retries_per_contact(2)
    ///     .await?;
    /// println!("created {} with {} contacts", campaign.id, campaign.progress.total);
    /// # Ok(())
    /// # }
    /// ```
    pub fn create(
        &self,
        name: impl Into<String>,
        agent_id: impl Into<String>,
        phone_number_id: impl Into<String>,
        contacts: Contacts,
    ) -> CreateCampaign {
        CreateCampaign {
            campaigns: self.clone(),
            name: name.into(),
            agent_id: agent_id.into(),
            phone_number_id: phone_number_id.into(),
            contacts,
            max_concurrent_calls: CreateCampaign::DEFAULT_MAX_CONCURRENT_CALLS,
            retries_per_contact: CreateCampaign::DEFAULT_RETRIES_PER_CONTACT,
            retry_delay_seconds: CreateCampaign::DEFAULT_RETRY_DELAY_SECONDS,
            scheduled_at: None,
            idempotency_key: None,
        }
    }
}

impl CreateCampaign {
    /// The default cap on the campaign's calls in flight: 5.
    pub const DEFAULT_MAX_CONCURRENT_CALLS: u32 = 5;
    /// The default number of retries per contact: 0.
    pub const DEFAULT_RETRIES_PER_CONTACT: u32 = 0;
    /// The default delay before a retry: 300 s.
    pub const DEFAULT_RETRY_DELAY_SECONDS: u32 = 300;
    /// The allowed range of `max_concurrent_calls`.
    pub const MAX_CONCURRENT_CALLS_RANGE: std::ops::RangeInclusive<u32> = 1..=100;
    /// The allowed range of `retries_per_contact`.
    pub const RETRIES_PER_CONTACT_RANGE: std::ops::RangeInclusive<u32> = 0..=10;
    /// The allowed range of `retry_delay_seconds`.
    pub const RETRY_DELAY_SECONDS_RANGE: std::ops::RangeInclusive<u32> = 60..=86_400;
    /// The maximum length of a campaign name, in characters.
    pub const MAX_NAME_CHARS: usize = 200;
    /// The maximum length of an agent or phone number id, in characters.
    pub const MAX_REFERENCE_CHARS: usize = 64;
    /// The maximum length of an idempotency key, in bytes.
    pub const MAX_IDEMPOTENCY_KEY_BYTES: usize = 255;

    /// Sets the most calls of this campaign in flight at once, from 1 to
    /// 100. The default is [`DEFAULT_MAX_CONCURRENT_CALLS`](Self::DEFAULT_MAX_CONCURRENT_CALLS).
    pub fn max_concurrent_calls(mut self, calls: u32) -> Self {
        self.max_concurrent_calls = calls;
        self
    }

    /// Sets how often an unanswered, busy or failed contact is dialled
    /// again, from 0 to 10. The default is
    /// [`DEFAULT_RETRIES_PER_CONTACT`](Self::DEFAULT_RETRIES_PER_CONTACT).
    pub fn retries_per_contact(mut self, retries: u32) -> Self {
        self.retries_per_contact = retries;
        self
    }

    /// Sets the seconds between a failed attempt and its retry, from 60 to
    /// 86400. The default is
    /// [`DEFAULT_RETRY_DELAY_SECONDS`](Self::DEFAULT_RETRY_DELAY_SECONDS).
    pub fn retry_delay_seconds(mut self, seconds: u32) -> Self {
        self.retry_delay_seconds = seconds;
        self
    }

    /// Schedules the campaign: a future time makes it `scheduled`, and it
    /// starts by itself then. Not scheduled by default.
    pub fn scheduled_at(mut self, at: DateTime<Utc>) -> Self {
        self.scheduled_at = Some(at);
        self
    }

    /// Sets the `Idempotency-Key` (1 to 255 visible ASCII characters). By
    /// default a random key is made for each `create` call and reused by
    /// its retries; set your own to make retries across processes safe.
    pub fn idempotency_key(mut self, key: impl Into<String>) -> Self {
        self.idempotency_key = Some(key.into());
        self
    }

    /// Validates the arguments and the CSV, then uploads.
    ///
    /// # Errors
    ///
    /// Returns, without sending anything, an error of kind
    /// [`InvalidArgument`](ErrorKind::InvalidArgument) listing every
    /// argument out of range, of kind [`Csv`](ErrorKind::Csv) listing every
    /// problem of the CSV ([`Error::csv_report`] has them all), or of kind
    /// [`Io`](ErrorKind::Io) when the contacts cannot be read. Otherwise
    /// returns the Hub's error, such as 422 `invalid_csv` or 413
    /// `payload_too_large`, with its code and message.
    pub async fn send(self) -> Result<Campaign> {
        let key = self.validate()?;
        let client = self.campaigns.client().clone();
        let file_name = self.file_name();
        let Contacts {
            source, options, ..
        } = self.contacts;

        let (upload, _spool) = Upload::prepare(source, options).await?;
        let report = upload.inspect().await?;
        if report.skipped_rows() > 0 {
            tracing::warn!(
                skipped = report.skipped_rows(),
                "uploading without the invalid rows that CsvOptions::skip_invalid_rows left out"
            );
        }

        let fields = Fields {
            name: self.name,
            agent_id: self.agent_id,
            phone_number_id: self.phone_number_id,
            max_concurrent_calls: self.max_concurrent_calls,
            retries_per_contact: self.retries_per_contact,
            retry_delay_seconds: self.retry_delay_seconds,
            scheduled_at: self.scheduled_at,
            file_name,
        };
        let settings = client.transport().settings();
        let deadline = settings
            .deadline
            .map(|deadline| tokio::time::Instant::now() + deadline);
        retry::run(&settings.retry, OPERATION, deadline, |_| {
            attempt(&client, &fields, &upload, &report, &key)
        })
        .await
        .map_err(|error| error.with_operation(OPERATION))
    }

    fn file_name(&self) -> String {
        if let Some(name) = &self.contacts.file_name {
            return name.clone();
        }
        match &self.contacts.source {
            Source::Path(path) => path
                .file_name()
                .and_then(|name| name.to_str())
                .unwrap_or(Contacts::DEFAULT_FILE_NAME)
                .to_owned(),
            _ => Contacts::DEFAULT_FILE_NAME.to_owned(),
        }
    }

    /// Checks every argument and returns the idempotency key to send.
    fn validate(&self) -> Result<HeaderValue> {
        let mut problems = Vec::new();
        check_text(&mut problems, "name", &self.name, Self::MAX_NAME_CHARS);
        check_text(
            &mut problems,
            "agent_id",
            &self.agent_id,
            Self::MAX_REFERENCE_CHARS,
        );
        check_text(
            &mut problems,
            "phone_number_id",
            &self.phone_number_id,
            Self::MAX_REFERENCE_CHARS,
        );
        check_range(
            &mut problems,
            "max_concurrent_calls",
            self.max_concurrent_calls,
            &Self::MAX_CONCURRENT_CALLS_RANGE,
        );
        check_range(
            &mut problems,
            "retries_per_contact",
            self.retries_per_contact,
            &Self::RETRIES_PER_CONTACT_RANGE,
        );
        check_range(
            &mut problems,
            "retry_delay_seconds",
            self.retry_delay_seconds,
            &Self::RETRY_DELAY_SECONDS_RANGE,
        );

        let key = match &self.idempotency_key {
            Some(key) => key.clone(),
            None => format!("kv-{:032x}", fastrand::u128(..)),
        };
        let key_is_valid = !key.is_empty()
            && key.len() <= Self::MAX_IDEMPOTENCY_KEY_BYTES
            && key.bytes().all(|byte| byte.is_ascii_graphic());
        if !key_is_valid {
            problems.push(format!(
                "idempotency_key must be 1 to {} visible ASCII characters",
                Self::MAX_IDEMPOTENCY_KEY_BYTES
            ));
        }

        if !problems.is_empty() {
            return Err(Error::invalid_argument(problems.join("; ")).with_operation(OPERATION));
        }
        HeaderValue::from_str(&key).map_err(|_| {
            Error::invalid_argument("the idempotency key is not a valid header value")
                .with_operation(OPERATION)
        })
    }
}

fn check_text(problems: &mut Vec<String>, field: &str, value: &str, max_chars: usize) {
    let chars = value.chars().count();
    if value.trim().is_empty() {
        problems.push(format!("{field} is empty"));
    } else if chars > max_chars {
        problems.push(format!(
            "{field} has {chars} characters, the maximum is {max_chars}"
        ));
    } else if value.chars().any(char::is_control) {
        problems.push(format!("{field} {value:?} contains a control character"));
    }
}

fn check_range(
    problems: &mut Vec<String>,
    field: &str,
    value: u32,
    range: &std::ops::RangeInclusive<u32>,
) {
    if !range.contains(&value) {
        problems.push(format!(
            "{field} is {value}, it must be from {} to {}",
            range.start(),
            range.end()
        ));
    }
}

impl IntoFuture for CreateCampaign {
    type Output = Result<Campaign>;
    type IntoFuture = Pin<Box<dyn Future<Output = Self::Output> + Send>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.send())
    }
}

/// The form fields other than the file.
struct Fields {
    name: String,
    agent_id: String,
    phone_number_id: String,
    max_concurrent_calls: u32,
    retries_per_contact: u32,
    retry_delay_seconds: u32,
    scheduled_at: Option<DateTime<Utc>>,
    file_name: String,
}

/// The contacts, ready to be read any number of times.
enum Upload {
    Path(Arc<PathBuf>, CsvOptions),
    Bytes(Bytes, CsvOptions),
}

impl Upload {
    /// Spools a reader to a temporary file; the returned guard deletes it.
    async fn prepare(
        source: Source,
        options: CsvOptions,
    ) -> Result<(Self, Option<tempfile::TempPath>)> {
        match source {
            Source::Path(path) => Ok((Self::Path(Arc::new(path), options), None)),
            Source::Bytes(bytes) => Ok((Self::Bytes(bytes, options), None)),
            Source::Reader(mut reader) => {
                let spool = tempfile::NamedTempFile::new()
                    .map_err(io_error("create a temporary file for the contacts"))?;
                let (file, path) = spool.into_parts();
                let mut file = tokio::fs::File::from_std(file);
                tokio::io::copy(&mut reader, &mut file)
                    .await
                    .map_err(io_error("read the contacts from the reader"))?;
                tokio::io::AsyncWriteExt::flush(&mut file)
                    .await
                    .map_err(io_error("write the contacts to a temporary file"))?;
                Ok((
                    Self::Path(Arc::new(path.to_path_buf()), options),
                    Some(path),
                ))
            }
        }
    }

    /// Validates the CSV on a blocking thread.
    async fn inspect(&self) -> Result<CsvReport> {
        let report = match self {
            Self::Path(path, options) => {
                let path = Arc::clone(path);
                let options = options.clone();
                tokio::task::spawn_blocking(move || {
                    crate::csv::inspect_path(path.as_path(), &options)
                })
                .await
                .map_err(join_error)?
                .map_err(io_error("read the contacts file"))?
            }
            Self::Bytes(bytes, options) => {
                let bytes = bytes.clone();
                let options = options.clone();
                tokio::task::spawn_blocking(move || crate::csv::inspect(&bytes, &options))
                    .await
                    .map_err(join_error)?
            }
        };
        report
            .into_result()
            .map_err(|error| Error::from(error).with_operation(OPERATION))
    }

    /// Builds the `contacts` part for one attempt.
    async fn part(
        &self,
        report: &CsvReport,
        file_name: &str,
    ) -> std::result::Result<Part, Failure> {
        let length = report.upload_len();
        let body = if report.is_verbatim() {
            match self {
                Self::Path(path, _) => {
                    let mut file = tokio::fs::File::open(path.as_path())
                        .await
                        .map_err(io_error("open the contacts file"))?;
                    file.seek(std::io::SeekFrom::Start(report.bom_len()))
                        .await
                        .map_err(io_error("read the contacts file"))?;
                    let stream = tokio_util::io::ReaderStream::with_capacity(file, CHUNK_BYTES);
                    reqwest::Body::wrap_stream(stream)
                }
                Self::Bytes(bytes, _) => {
                    let start = usize::try_from(report.bom_len())
                        .unwrap_or(0)
                        .min(bytes.len());
                    reqwest::Body::from(bytes.slice(start..))
                }
            }
        } else {
            reqwest::Body::wrap_stream(self.encoded_stream())
        };
        Part::stream_with_length(body, length)
            .file_name(file_name.to_owned())
            .mime_str("text/csv")
            .map_err(|error| {
                Error::new(ErrorKind::InvalidArgument)
                    .with_source(error)
                    .into()
            })
    }

    /// Streams the re-encoded CSV, written on a blocking thread.
    fn encoded_stream(
        &self,
    ) -> impl futures::Stream<Item = std::io::Result<Bytes>> + Send + 'static {
        let (sender, receiver) = tokio::sync::mpsc::channel::<std::io::Result<Bytes>>(4);
        let task_sender = sender.clone();
        let job: Box<dyn FnOnce() -> std::io::Result<u64> + Send> = match self {
            Self::Path(path, options) => {
                let path = Arc::clone(path);
                let options = options.clone();
                Box::new(move || {
                    let file = std::fs::File::open(path.as_path())?;
                    crate::csv::write_upload(file, &options, ChannelWriter::new(task_sender))
                })
            }
            Self::Bytes(bytes, options) => {
                let bytes = bytes.clone();
                let options = options.clone();
                Box::new(move || {
                    crate::csv::write_upload(&bytes[..], &options, ChannelWriter::new(task_sender))
                })
            }
        };
        tokio::task::spawn_blocking(move || {
            if let Err(error) = job() {
                let _ = sender.blocking_send(Err(error));
            }
        });
        futures::stream::unfold(receiver, |mut receiver| async move {
            let item = receiver.recv().await?;
            Some((item, receiver))
        })
    }
}

/// The size of the chunks an upload is streamed in.
const CHUNK_BYTES: usize = 64 * 1024;

/// A `Write` that sends 64 KiB chunks to an async receiver.
struct ChannelWriter {
    sender: tokio::sync::mpsc::Sender<std::io::Result<Bytes>>,
    buffer: Vec<u8>,
}

impl ChannelWriter {
    fn new(sender: tokio::sync::mpsc::Sender<std::io::Result<Bytes>>) -> Self {
        Self {
            sender,
            buffer: Vec::with_capacity(CHUNK_BYTES),
        }
    }

    fn send_buffer(&mut self) -> std::io::Result<()> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        let chunk = Bytes::from(std::mem::replace(
            &mut self.buffer,
            Vec::with_capacity(CHUNK_BYTES),
        ));
        self.sender.blocking_send(Ok(chunk)).map_err(|_| {
            std::io::Error::new(std::io::ErrorKind::BrokenPipe, "the upload was cancelled")
        })
    }
}

impl std::io::Write for ChannelWriter {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.buffer.extend_from_slice(data);
        if self.buffer.len() >= CHUNK_BYTES {
            self.send_buffer()?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.send_buffer()
    }
}

impl Drop for ChannelWriter {
    fn drop(&mut self) {
        let _ = self.send_buffer();
    }
}

async fn attempt(
    client: &crate::Client,
    fields: &Fields,
    upload: &Upload,
    report: &CsvReport,
    key: &HeaderValue,
) -> std::result::Result<Campaign, Failure> {
    let mut form = Form::new()
        .text("name", fields.name.clone())
        .text("agent_id", fields.agent_id.clone())
        .text("phone_number_id", fields.phone_number_id.clone())
        .text(
            "max_concurrent_calls",
            fields.max_concurrent_calls.to_string(),
        )
        .text(
            "retries_per_contact",
            fields.retries_per_contact.to_string(),
        )
        .text(
            "retry_delay_seconds",
            fields.retry_delay_seconds.to_string(),
        );
    if let Some(at) = fields.scheduled_at {
        form = form.text(
            "scheduled_at",
            at.to_rfc3339_opts(SecondsFormat::AutoSi, true),
        );
    }
    form = form.part("contacts", upload.part(report, &fields.file_name).await?);

    let request = client
        .http()
        .post(format!("{}/api/v1/campaigns", client.base_url()))
        .header(ACCEPT, HeaderValue::from_static("application/json"))
        .header("api-version", HeaderValue::from_static(crate::API_VERSION))
        .header("idempotency-key", key.clone())
        .multipart(form)
        .build()
        .map_err(|error| transport::map_reqwest_error(error, &ResponseMeta::default()))?;

    let transport = client.transport();
    let settings = transport.settings();
    let response = transport
        .execute(
            client.http(),
            request,
            OPERATION,
            settings.upload_timeout,
            None,
        )
        .await
        .map_err(|error| transport::map_reqwest_error(error, &ResponseMeta::default()))?;
    decode_campaign(response, settings.max_response_bytes).await
}

async fn decode_campaign(
    response: reqwest::Response,
    limit: u64,
) -> std::result::Result<Campaign, Failure> {
    let status = response.status();
    let headers = response.headers().clone();
    if status.is_client_error() || status.is_server_error() {
        let body = transport::read_body(response, limit).await?;
        return Err(transport::status_error(status, &headers, &body));
    }
    if status != reqwest::StatusCode::CREATED && status != reqwest::StatusCode::OK {
        return Err(transport::unexpected_response(response).await);
    }
    let body = transport::read_body(response, limit).await?;
    serde_json::from_slice(&body).map_err(|source| {
        Error::new(ErrorKind::Decode)
            .with_status(status)
            .with_request_id(transport::request_id(&headers))
            .with_message(transport::redact_bearer(&format!(
                "the body is not the spec's Campaign ({source}): {}",
                transport::excerpt(&body)
            )))
            .into()
    })
}

fn io_error(action: &'static str) -> impl Fn(std::io::Error) -> Error {
    move |source| {
        Error::new(ErrorKind::Io)
            .with_operation(OPERATION)
            .with_message(format!("cannot {action}: {source}"))
            .with_source(source)
    }
}

fn join_error(error: tokio::task::JoinError) -> Error {
    Error::new(ErrorKind::Io)
        .with_operation(OPERATION)
        .with_message("the CSV validation task failed")
        .with_source(error)
}
