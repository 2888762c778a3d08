//! `create`: a streaming multipart upload of the contacts CSV.
//!
//! The CSV is checked before any byte is sent (see [`crate::csv`]), then
//! streamed: a file from disk with its exact `Content-Length`, bytes from
//! memory without a copy, and an async reader spooled to a temporary file
//! first so that memory use does not grow with the file. A file's check is
//! kept with the file's size, times and identity, so a file checked with
//! [`Contacts::check`] is not read twice, and a file that changes after its
//! check is never sent as if it were the checked one. Each attempt
//! rebuilds the body (a file is reopened), and every attempt sends the same
//! `Idempotency-Key`, so a retry never creates a second campaign.

use std::future::{Future, IntoFuture};
use std::path::{Path, PathBuf};
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
///
/// [`Campaigns::create`] checks the contacts before it sends them. To show
/// the problems of a file before a campaign is created, or to know its
/// number of contacts, call [`check`](Self::check) first: `create` then
/// uses that check and does not read the file a second time.
pub struct Contacts {
    state: State,
    options: CsvOptions,
    file_name: Option<String>,
    /// The file name of the path given to [`Contacts::from_path`].
    path_file_name: Option<String>,
}

enum State {
    /// Not read yet.
    Source(Source),
    /// Readable any number of times, with the result of the last check.
    Ready {
        upload: Upload,
        /// Deletes the temporary file that a reader was copied to, once
        /// the last copy of these contacts is dropped.
        spool: Option<Arc<tempfile::TempPath>>,
        check: Option<Check>,
    },
    /// A reader that failed while it was copied: its bytes are gone.
    Spent,
}

enum Source {
    Path(PathBuf),
    Bytes(Bytes),
    Reader(Box<dyn AsyncRead + Send + Unpin>),
}

/// A check's report, with the file it is about.
#[derive(Clone)]
struct Check {
    report: CsvReport,
    /// The checked file's size, times and identity; `None` for bytes in
    /// memory, which cannot change.
    fingerprint: Option<Fingerprint>,
}

impl std::fmt::Debug for Contacts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let source = match &self.state {
            State::Source(Source::Path(path)) => format!("path {}", path.display()),
            State::Source(Source::Bytes(bytes)) => format!("{} bytes in memory", bytes.len()),
            State::Source(Source::Reader(_)) => "async reader".to_owned(),
            State::Ready { upload, check, .. } => {
                let checked = if check.is_some() { ", checked" } else { "" };
                match upload {
                    Upload::Path(path) => format!("file {}{checked}", path.display()),
                    Upload::Bytes(bytes) => format!("{} bytes in memory{checked}", bytes.len()),
                }
            }
            State::Spent => "async reader that failed".to_owned(),
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
        let path = path.into();
        let path_file_name = path
            .file_name()
            .and_then(|name| name.to_str())
            .map(str::to_owned);
        let mut contacts = Self::new(Source::Path(path));
        contacts.path_file_name = path_file_name;
        contacts
    }

    /// Contacts from memory. `Bytes` and `Vec<u8>` are taken without a copy.
    pub fn from_bytes(bytes: impl Into<Bytes>) -> Self {
        Self::new(Source::Bytes(bytes.into()))
    }

    /// Contacts from an async reader. It is copied to a temporary file
    /// first, because the check must read it before the upload does.
    pub fn from_reader(reader: impl AsyncRead + Send + Unpin + 'static) -> Self {
        Self::new(Source::Reader(Box::new(reader)))
    }

    fn new(source: Source) -> Self {
        Self {
            state: State::Source(source),
            options: CsvOptions::default(),
            file_name: None,
            path_file_name: None,
        }
    }

    /// Sets how the CSV is read: the phone number column, the delimiter,
    /// the encoding, and whether invalid rows are skipped. The default is
    /// [`CsvOptions::default`]. A check made before is dropped, because
    /// its result depends on the options.
    pub fn options(mut self, options: CsvOptions) -> Self {
        self.options = options;
        if let State::Ready { check, .. } = &mut self.state {
            *check = None;
        }
        self
    }

    /// Sets the file name sent with the upload. The default is the path's
    /// file name, or [`DEFAULT_FILE_NAME`](Self::DEFAULT_FILE_NAME).
    pub fn file_name(mut self, name: impl Into<String>) -> Self {
        self.file_name = Some(name.into());
        self
    }

    /// Checks the contacts now, without sending anything, and returns the
    /// report: the number of contacts, the columns, and any problems that
    /// [`CsvOptions::skip_invalid_rows`] let pass.
    ///
    /// The result is kept. [`Campaigns::create`] uses it instead of reading
    /// the contacts again while the file's size, times and identity are the
    /// ones the check saw. Otherwise it checks the file again. A reader is
    /// copied to a temporary file here, once.
    ///
    /// NOTE: a file is compared by its metadata, not by its bytes, so a
    /// rewrite that keeps the size and falls within the file system's
    /// timestamp resolution (one second on ext3, two on FAT) goes unseen.
    ///
    /// ```no_run
    /// # async fn run(client: kataven::Client) -> kataven::Result<()> {
    /// use kataven::Contacts;
    ///
    /// let mut contacts = Contacts::from_path("contacts.csv");
    /// let report = contacts.check().await?;
    /// println!("{} contacts, columns {:?}", report.contacts(), report.columns());
    /// let campaign = client
    ///     .campaigns()
    ///     .create("Spring renewals", "agt_support", "pn_main", contacts)
    ///     .await?;
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    ///
    /// Returns an error of kind [`Csv`](ErrorKind::Csv) listing every
    /// problem of an invalid file ([`Error::csv_report`] has them all), or
    /// of kind [`Io`](ErrorKind::Io) when the contacts cannot be read or the
    /// file changed while it was read.
    pub async fn check(&mut self) -> Result<&CsvReport> {
        self.prepare().await?;
        let State::Ready { upload, check, .. } = &mut self.state else {
            return Err(spent_reader());
        };
        let fresh = match check {
            Some(done) => upload.is_unchanged(done.fingerprint.as_ref()).await,
            None => false,
        };
        if !fresh {
            // Dropped first, so that a failed check leaves no stale result.
            *check = None;
            *check = Some(upload.check(&self.options).await?);
        }
        let Some(done) = check else {
            return Err(spent_reader());
        };
        // Only an invalid report is copied, into the error.
        if !done.report.is_valid() {
            if let Err(error) = done.report.clone().into_result() {
                return Err(error.into());
            }
        }
        Ok(&done.report)
    }

    /// Returns a copy that shares the file, or the bytes, and the result
    /// of [`check`](Self::check), to create more than one campaign from
    /// the same contacts without checking them again. Returns `None` for
    /// contacts from a reader that has not been copied yet: call `check`
    /// first.
    ///
    /// ```no_run
    /// # async fn run(client: kataven::Client) -> kataven::Result<()> {
    /// use kataven::Contacts;
    ///
    /// let mut contacts = Contacts::from_path("contacts.csv");
    /// contacts.check().await?;
    /// for agent in ["agt_english", "agt_spanish"] {
    ///     let copy = contacts.try_clone().expect("checked contacts can be copied");
    ///     client.campaigns().create(agent, agent, "pn_main", copy).await?;
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub fn try_clone(&self) -> Option<Self> {
        let state = match &self.state {
            State::Source(Source::Path(path)) => State::Source(Source::Path(path.clone())),
            State::Source(Source::Bytes(bytes)) => State::Source(Source::Bytes(bytes.clone())),
            State::Source(Source::Reader(_)) | State::Spent => return None,
            State::Ready {
                upload,
                spool,
                check,
            } => State::Ready {
                upload: upload.clone(),
                spool: spool.clone(),
                check: check.clone(),
            },
        };
        Some(Self {
            state,
            options: self.options.clone(),
            file_name: self.file_name.clone(),
            path_file_name: self.path_file_name.clone(),
        })
    }

    /// Makes the contacts readable any number of times: copies a reader
    /// to a temporary file.
    async fn prepare(&mut self) -> Result<()> {
        let source = match std::mem::replace(&mut self.state, State::Spent) {
            State::Source(source) => source,
            ready => {
                self.state = ready;
                return Ok(());
            }
        };
        let (upload, spool) = match source {
            Source::Path(path) => (Upload::Path(Arc::new(path)), None),
            Source::Bytes(bytes) => (Upload::Bytes(bytes), None),
            Source::Reader(reader) => {
                let path = spool(reader).await?;
                (Upload::Path(Arc::new(path.to_path_buf())), Some(path))
            }
        };
        self.state = State::Ready {
            upload,
            spool: spool.map(Arc::new),
            check: None,
        };
        Ok(())
    }

    fn sent_file_name(&self) -> String {
        self.file_name
            .clone()
            .or_else(|| self.path_file_name.clone())
            .unwrap_or_else(|| Self::DEFAULT_FILE_NAME.to_owned())
    }
}

/// Copies a reader to a temporary file and returns the file's path, which
/// deletes the file when dropped.
async fn spool(mut reader: Box<dyn AsyncRead + Send + Unpin>) -> Result<tempfile::TempPath> {
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
    Ok(path)
}

fn spent_reader() -> Error {
    Error::new(ErrorKind::Io).with_message(
        "the contacts reader failed while it was copied, so its contacts are gone; make new \
         Contacts from the source",
    )
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
    /// The CSV is not read again when [`Contacts::check`] checked it and
    /// the file has not changed since.
    ///
    /// # Errors
    ///
    /// Returns, without sending anything, an error of kind
    /// [`InvalidArgument`](ErrorKind::InvalidArgument) listing every
    /// argument out of range, of kind [`Csv`](ErrorKind::Csv) listing every
    /// problem of the CSV ([`Error::csv_report`] has them all), or of kind
    /// [`Io`](ErrorKind::Io) when the contacts cannot be read or the file
    /// changed after its check. A file that changes while it is sent ends
    /// the upload before its last byte, so the Hub does not get a whole
    /// request, and the call returns an error of kind `Io`. Otherwise
    /// returns the Hub's error, such as 422 `invalid_csv` or 413
    /// `payload_too_large`, with its code and message.
    pub async fn send(self) -> Result<Campaign> {
        let key = self.validate()?;
        let client = self.campaigns.client().clone();
        let mut contacts = self.contacts;
        let file_name = contacts.sent_file_name();
        contacts
            .check()
            .await
            .map_err(|error| error.with_operation(OPERATION))?;
        let State::Ready {
            upload,
            check: Some(check),
            ..
        } = &contacts.state
        else {
            return Err(spent_reader().with_operation(OPERATION));
        };
        if check.report.skipped_rows() > 0 {
            tracing::warn!(
                skipped = check.report.skipped_rows(),
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
        let body = BodySource {
            upload,
            check,
            options: &contacts.options,
        };
        let settings = client.transport().settings();
        let deadline = settings
            .deadline
            .map(|deadline| tokio::time::Instant::now() + deadline);
        retry::run(&settings.retry, OPERATION, deadline, |_| async {
            // Redacted here, before the retry loop logs a failure.
            attempt(&client, &fields, &body, &key)
                .await
                .map_err(|failure| Failure {
                    error: failure.error.redact_key(&settings.api_key),
                    retry_after: failure.retry_after,
                })
        })
        .await
        .map_err(|error| error.with_operation(OPERATION))
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
#[derive(Clone)]
enum Upload {
    Path(Arc<PathBuf>),
    Bytes(Bytes),
}

impl Upload {
    /// Checks the CSV on a blocking thread. A file's fingerprint is taken
    /// from the handle that is read, before and after the read.
    async fn check(&self, options: &CsvOptions) -> Result<Check> {
        let options = options.clone();
        match self {
            Self::Path(path) => {
                let path = Arc::clone(path);
                tokio::task::spawn_blocking(move || check_file(&path, &options))
                    .await
                    .map_err(join_error)?
            }
            Self::Bytes(bytes) => {
                let bytes = bytes.clone();
                let report =
                    tokio::task::spawn_blocking(move || crate::csv::inspect(&bytes, &options))
                        .await
                        .map_err(join_error)?;
                Ok(Check {
                    report,
                    fingerprint: None,
                })
            }
        }
    }

    /// Returns whether the file still has the fingerprint of its check.
    async fn is_unchanged(&self, fingerprint: Option<&Fingerprint>) -> bool {
        match (self, fingerprint) {
            (Self::Bytes(_), _) => true,
            (Self::Path(path), Some(fingerprint)) => tokio::fs::metadata(path.as_path())
                .await
                .is_ok_and(|metadata| Fingerprint::of(&metadata) == *fingerprint),
            (Self::Path(_), None) => false,
        }
    }
}

fn check_file(path: &Path, options: &CsvOptions) -> Result<Check> {
    let read_error = file_error("read", path);
    let file = std::fs::File::open(path).map_err(file_error("open", path))?;
    let before = Fingerprint::of(&file.metadata().map_err(&read_error)?);
    let report = crate::csv::inspect_reader(&file, options).map_err(&read_error)?;
    let after = Fingerprint::of(&file.metadata().map_err(&read_error)?);
    if before != after {
        return Err(Error::new(ErrorKind::Io).with_message(format!(
            "the contacts file {} changed while it was checked; check it again once it is \
             written",
            path.display()
        )));
    }
    Ok(Check {
        report,
        fingerprint: Some(before),
    })
}

/// A file's identity and version without its content: its size, its
/// modification and (on Unix) change times, and (on Unix) its device and
/// inode. Writing to a file or replacing it changes the fingerprint.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Fingerprint {
    len: u64,
    modified: Option<std::time::SystemTime>,
    #[cfg(unix)]
    identity: (u64, u64, i64, i64),
}

impl Fingerprint {
    fn of(metadata: &std::fs::Metadata) -> Self {
        #[cfg(unix)]
        let identity = {
            use std::os::unix::fs::MetadataExt;
            (
                metadata.dev(),
                metadata.ino(),
                metadata.ctime(),
                metadata.ctime_nsec(),
            )
        };
        Self {
            len: metadata.len(),
            modified: metadata.modified().ok(),
            #[cfg(unix)]
            identity,
        }
    }
}

/// The error an upload stream returns when the file changed after its
/// check. `attempt` finds it in the failed request's error chain.
#[derive(Debug)]
struct ContactsChanged {
    path: PathBuf,
}

impl std::fmt::Display for ContactsChanged {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "the contacts file {} changed after it was checked, so it was not sent as it is now; \
             call create again to check and upload the new content",
            self.path.display()
        )
    }
}

impl std::error::Error for ContactsChanged {}

/// The parts an attempt builds the `contacts` part from.
struct BodySource<'a> {
    upload: &'a Upload,
    check: &'a Check,
    options: &'a CsvOptions,
}

impl BodySource<'_> {
    /// Builds the `contacts` part for one attempt.
    async fn part(&self, file_name: &str) -> std::result::Result<Part, Failure> {
        let report = &self.check.report;
        let length = report.upload_len();
        let body = if report.is_verbatim() {
            match self.upload {
                Upload::Path(path) => {
                    let mut file = self.open_checked(path).await?;
                    file.seek(std::io::SeekFrom::Start(report.bom_len()))
                        .await
                        .map_err(file_error("read", path))?;
                    reqwest::Body::wrap_stream(self.verified_stream(file, path, length))
                }
                Upload::Bytes(bytes) => {
                    let start = usize::try_from(report.bom_len())
                        .unwrap_or(0)
                        .min(bytes.len());
                    reqwest::Body::from(bytes.slice(start..))
                }
            }
        } else {
            if let Upload::Path(path) = self.upload {
                // write_upload checks every row again as it encodes, so a
                // changed file cannot send an invalid row, but it could send
                // other contacts than the checked ones.
                drop(self.open_checked(path).await?);
            }
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

    /// Opens the checked file and makes sure it is still the checked one.
    async fn open_checked(
        &self,
        path: &Arc<PathBuf>,
    ) -> std::result::Result<tokio::fs::File, Failure> {
        let file = tokio::fs::File::open(path.as_path())
            .await
            .map_err(file_error("open", path))?;
        let metadata = file.metadata().await.map_err(file_error("read", path))?;
        if self.check.fingerprint.as_ref() != Some(&Fingerprint::of(&metadata)) {
            return Err(changed(path).into());
        }
        Ok(file)
    }

    /// Streams the file in chunks and fails, before the last chunk is
    /// sent, when the file did not have the checked length or its
    /// fingerprint changed while it was read.
    fn verified_stream(
        &self,
        file: tokio::fs::File,
        path: &Arc<PathBuf>,
        length: u64,
    ) -> impl futures::Stream<Item = std::io::Result<Bytes>> + Send + 'static {
        struct Reading {
            file: tokio::fs::File,
            path: Arc<PathBuf>,
            fingerprint: Option<Fingerprint>,
            remaining: u64,
            /// A chunk read but held back until the end of the file is
            /// seen, so that the last bytes go out only after the checks.
            last_chunk: Option<Bytes>,
        }
        let changed_error = |path: &PathBuf| {
            std::io::Error::other(ContactsChanged {
                path: path.to_path_buf(),
            })
        };
        let reading = Reading {
            file,
            path: Arc::clone(path),
            fingerprint: self.check.fingerprint.clone(),
            remaining: length,
            last_chunk: None,
        };
        futures::stream::try_unfold(reading, move |mut reading| async move {
            loop {
                let mut chunk = bytes::BytesMut::with_capacity(CHUNK_BYTES);
                let read = tokio::io::AsyncReadExt::read_buf(&mut reading.file, &mut chunk).await?;
                let read_len = u64::try_from(read).unwrap_or(u64::MAX);
                if read == 0 {
                    let metadata = reading.file.metadata().await?;
                    let unchanged =
                        reading.fingerprint.as_ref() == Some(&Fingerprint::of(&metadata));
                    if reading.remaining != 0 || !unchanged {
                        return Err(changed_error(&reading.path));
                    }
                    return Ok(reading.last_chunk.take().map(|last| (last, reading)));
                }
                if read_len > reading.remaining {
                    return Err(changed_error(&reading.path));
                }
                reading.remaining -= read_len;
                if let Some(previous) = reading.last_chunk.replace(chunk.freeze()) {
                    return Ok(Some((previous, reading)));
                }
            }
        })
    }

    /// Streams the re-encoded CSV, written on a blocking thread.
    fn encoded_stream(
        &self,
    ) -> impl futures::Stream<Item = std::io::Result<Bytes>> + Send + 'static {
        let (sender, receiver) = tokio::sync::mpsc::channel::<std::io::Result<Bytes>>(4);
        let task_sender = sender.clone();
        let options = self.options.clone();
        let job: Box<dyn FnOnce() -> std::io::Result<u64> + Send> = match self.upload {
            Upload::Path(path) => {
                let path = Arc::clone(path);
                Box::new(move || {
                    let file = std::fs::File::open(path.as_path())?;
                    crate::csv::write_upload(file, &options, ChannelWriter::new(task_sender))
                })
            }
            Upload::Bytes(bytes) => {
                let bytes = bytes.clone();
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

fn changed(path: &Path) -> Error {
    let changed = ContactsChanged {
        path: path.to_path_buf(),
    };
    Error::new(ErrorKind::Io)
        .with_message(changed.to_string())
        .with_source(changed)
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
    body: &BodySource<'_>,
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
    form = form.part("contacts", body.part(&fields.file_name).await?);

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
        .map_err(|error| match find_changed(&error) {
            // Not retried: the next attempt would find the same change.
            Some(path) => Failure::from(changed(path)),
            None => transport::map_reqwest_error(error, &ResponseMeta::default()).into(),
        })?;
    decode_campaign(response, settings.max_response_bytes).await
}

/// Returns the path of a [`ContactsChanged`] error in `error`'s chain.
fn find_changed<'a>(error: &'a (dyn std::error::Error + 'static)) -> Option<&'a Path> {
    let mut current = Some(error);
    while let Some(error) = current {
        if let Some(changed) = error.downcast_ref::<ContactsChanged>() {
            return Some(&changed.path);
        }
        if let Some(io) = error.downcast_ref::<std::io::Error>() {
            if let Some(changed) = io
                .get_ref()
                .and_then(|inner| inner.downcast_ref::<ContactsChanged>())
            {
                return Some(&changed.path);
            }
        }
        current = error.source();
    }
    None
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
            .with_message(transport::undecodable_body(&source, &body, "Campaign"))
            .into()
    })
}

/// Maps an I/O error of the contacts file at `path`; `action` is "open" or
/// "read".
fn file_error<'a>(action: &'static str, path: &'a Path) -> impl Fn(std::io::Error) -> Error + 'a {
    move |source| {
        Error::new(ErrorKind::Io)
            .with_message(format!(
                "cannot {action} the contacts file {}: {source}",
                path.display()
            ))
            .with_source(source)
    }
}

fn io_error(action: &'static str) -> impl Fn(std::io::Error) -> Error {
    move |source| {
        Error::new(ErrorKind::Io)
            .with_message(format!("cannot {action}: {source}"))
            .with_source(source)
    }
}

fn join_error(error: tokio::task::JoinError) -> Error {
    Error::new(ErrorKind::Io)
        .with_message("the CSV validation task failed")
        .with_source(error)
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use futures::StreamExt;

    use super::*;

    /// Writes a valid contacts file of `rows` rows.
    fn contacts_file(rows: usize) -> tempfile::NamedTempFile {
        let mut file = tempfile::NamedTempFile::new().unwrap();
        writeln!(file, "phone_number,name,note").unwrap();
        for row in 0..rows {
            writeln!(
                file,
                "+1202555{:04},Contact {row},\"a, note\"",
                row % 10_000
            )
            .unwrap();
        }
        file.flush().unwrap();
        file
    }

    fn overwrite(path: &Path, bytes: &[u8]) {
        let mut file = std::fs::OpenOptions::new().write(true).open(path).unwrap();
        file.write_all(bytes).unwrap();
        file.sync_all().unwrap();
    }

    #[tokio::test]
    async fn check_result_reused() {
        let file = contacts_file(3);
        let mut contacts = Contacts::from_path(file.path());
        assert_eq!(contacts.check().await.unwrap().contacts(), 3);

        // A report that no read of this file gives: returned again only if
        // the second check does not read the file.
        let other = crate::csv::inspect(b"phone_number\n+12025550101\n", &CsvOptions::new());
        let State::Ready { check, .. } = &mut contacts.state else {
            panic!("checked contacts are ready");
        };
        check.as_mut().unwrap().report = other;
        assert_eq!(contacts.check().await.unwrap().contacts(), 1);
    }

    #[tokio::test]
    async fn rewritten_file_checked_again() {
        let file = contacts_file(3);
        let mut contacts = Contacts::from_path(file.path());
        contacts.check().await.unwrap();

        // Same length, one digit of a phone number replaced by a letter.
        let mut bytes = std::fs::read(file.path()).unwrap();
        let at = bytes.iter().position(|byte| *byte == b'5').unwrap();
        bytes[at] = b'x';
        overwrite(file.path(), &bytes);

        let error = contacts.check().await.unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Csv, "{error}");
        assert!(error.csv_report().is_some());
    }

    #[tokio::test]
    async fn options_drop_the_check() {
        let file = contacts_file(2);
        let mut contacts = Contacts::from_path(file.path());
        contacts.check().await.unwrap();
        let mut contacts = contacts.options(CsvOptions::new().phone_column("mobile"));
        let error = contacts.check().await.unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Csv, "{error}");
    }

    #[tokio::test]
    async fn copies_share_the_check() {
        let mut contacts = Contacts::from_reader(&b"phone_number\n+12025550101\n"[..]);
        assert!(contacts.try_clone().is_none());
        contacts.check().await.unwrap();
        let mut copy = contacts.try_clone().unwrap();
        drop(contacts);
        // The copy keeps the spooled file alive.
        assert_eq!(copy.check().await.unwrap().contacts(), 1);
    }

    /// A checked contacts file and what an attempt builds its body from.
    struct Checked {
        file: tempfile::NamedTempFile,
        upload: Upload,
        check: Check,
        options: CsvOptions,
    }

    impl Checked {
        async fn new(rows: usize) -> Self {
            let file = contacts_file(rows);
            let options = CsvOptions::new();
            let upload = Upload::Path(Arc::new(file.path().to_path_buf()));
            let check = upload.check(&options).await.unwrap();
            Self {
                file,
                upload,
                check,
                options,
            }
        }

        fn body(&self) -> BodySource<'_> {
            BodySource {
                upload: &self.upload,
                check: &self.check,
                options: &self.options,
            }
        }

        fn path(&self) -> &Arc<PathBuf> {
            match &self.upload {
                Upload::Path(path) => path,
                Upload::Bytes(_) => panic!("a file upload"),
            }
        }

        /// Opens the file for upload and returns its checked stream.
        async fn stream(&self) -> impl futures::Stream<Item = std::io::Result<Bytes>> {
            let opened = self.body().open_checked(self.path()).await.unwrap();
            self.body()
                .verified_stream(opened, self.path(), self.check.report.upload_len())
        }
    }

    fn is_changed(error: &std::io::Error) -> bool {
        error
            .get_ref()
            .is_some_and(|inner| inner.downcast_ref::<ContactsChanged>().is_some())
    }

    #[tokio::test]
    async fn unchanged_file_streamed_whole() {
        let checked = Checked::new(20_000).await;
        let chunks: Vec<Bytes> = checked.stream().await.map(Result::unwrap).collect().await;
        assert!(chunks.len() > 2, "{}", chunks.len());
        assert_eq!(chunks.concat(), std::fs::read(checked.file.path()).unwrap());
    }

    #[tokio::test]
    async fn change_while_streaming_stops_before_last_chunk() {
        for grow in [false, true] {
            let checked = Checked::new(20_000).await;
            let length = checked.check.report.upload_len();
            let mut stream = Box::pin(checked.stream().await);
            let mut sent = stream.next().await.unwrap().unwrap().len();

            if grow {
                let mut appended = std::fs::OpenOptions::new()
                    .append(true)
                    .open(checked.file.path())
                    .unwrap();
                appended.write_all(b"+12025550199,Late,row\n").unwrap();
            } else {
                overwrite(checked.file.path(), b"phone_number");
            }

            let mut failed = false;
            while let Some(item) = stream.next().await {
                match item {
                    Ok(chunk) => sent += chunk.len(),
                    Err(error) => {
                        assert!(is_changed(&error), "{error}");
                        failed = true;
                        break;
                    }
                }
            }
            assert!(failed, "grow: {grow}");
            assert!(
                (sent as u64) < length,
                "grow: {grow}, sent {sent} of {length}"
            );
        }
    }

    #[tokio::test]
    async fn changed_file_not_opened_for_upload() {
        let checked = Checked::new(3).await;
        let mut bytes = std::fs::read(checked.file.path()).unwrap();
        bytes.extend_from_slice(b"+12025550199,Late,row\n");
        std::fs::write(checked.file.path(), bytes).unwrap();

        let failure = checked.body().part("contacts.csv").await.unwrap_err();
        assert_eq!(failure.error.kind(), ErrorKind::Io);
        assert!(
            failure
                .error
                .to_string()
                .contains("changed after it was checked"),
            "{}",
            failure.error
        );
    }
}
