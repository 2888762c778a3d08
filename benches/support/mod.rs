//! The shared parts of the benchmarks: a loopback stand-in for the Hub, the
//! fixtures it serves, the contacts CSV generator, and clients built the
//! same way for the SDK and for the raw baselines.
//!
//! The server listens on `127.0.0.1:0` and runs on its own thread with one
//! Tokio worker, so the client side of a benchmark has the other core of a
//! two-core machine. It serves three routes with fixed bodies:
//!
//! - `GET /api/v1/campaigns/{id}`: one campaign as JSON;
//! - `GET /api/v1/campaigns/{id}/events`: the Server-Sent Events body
//!   registered for that id;
//! - `POST /api/v1/campaigns`: reads the whole upload, counts its bytes, and
//!   returns the campaign with status 201.

#![allow(dead_code)]

use std::collections::HashMap;
use std::convert::Infallible;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;

/// The API key every benchmark client sends.
pub const API_KEY: &str = "kv_bench_key_0123";

/// The campaign every JSON route returns.
pub const CAMPAIGN_ID: &str = "cmp_0123456789abcdef";

/// The `api-version` header value the SDK sends, sent by the raw baselines
/// too so that both requests have the same size.
pub const API_VERSION: &str = kataven::API_VERSION;

/// The chunk size of a streamed upload, the same as the SDK's.
pub const UPLOAD_CHUNK_BYTES: usize = 64 * 1024;

/// A running loopback server. Dropping it stops the server.
pub struct Server {
    pub url: String,
    accepted: Arc<AtomicUsize>,
    uploaded: Arc<AtomicU64>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

struct Routes {
    campaign: Bytes,
    events: HashMap<String, Bytes>,
    uploaded: Arc<AtomicU64>,
}

impl Server {
    /// Starts a server whose events route returns `events[id]` for each
    /// campaign id given.
    pub fn start(events: Vec<(String, Bytes)>) -> Self {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        listener
            .set_nonblocking(true)
            .expect("make the listener non-blocking");
        let url = format!("http://{}", listener.local_addr().expect("local address"));

        let accepted = Arc::new(AtomicUsize::new(0));
        let uploaded = Arc::new(AtomicU64::new(0));
        let routes = Arc::new(Routes {
            campaign: Bytes::from(campaign_json().to_string()),
            events: events.into_iter().collect(),
            uploaded: Arc::clone(&uploaded),
        });
        let (shutdown, stop) = tokio::sync::oneshot::channel();
        let counter = Arc::clone(&accepted);
        let thread = std::thread::Builder::new()
            .name("bench-server".to_owned())
            .spawn(move || {
                let runtime = tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(1)
                    .enable_all()
                    .build()
                    .expect("server runtime");
                runtime.block_on(serve(listener, routes, counter, stop));
            })
            .expect("start the server thread");

        Self {
            url,
            accepted,
            uploaded,
            shutdown: Some(shutdown),
            thread: Some(thread),
        }
    }

    /// Connections accepted since the server started.
    pub fn accepted_connections(&self) -> usize {
        self.accepted.load(Ordering::Relaxed)
    }

    /// Body bytes of all uploads read so far.
    pub fn uploaded_bytes(&self) -> u64 {
        self.uploaded.load(Ordering::Relaxed)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

async fn serve(
    listener: std::net::TcpListener,
    routes: Arc<Routes>,
    accepted: Arc<AtomicUsize>,
    mut stop: tokio::sync::oneshot::Receiver<()>,
) {
    let listener = tokio::net::TcpListener::from_std(listener).expect("register the listener");
    loop {
        let stream = tokio::select! {
            _ = &mut stop => return,
            next = listener.accept() => match next {
                Ok((stream, _)) => stream,
                Err(_) => continue,
            },
        };
        let _ = stream.set_nodelay(true);
        accepted.fetch_add(1, Ordering::Relaxed);
        let routes = Arc::clone(&routes);
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |request| {
                let routes = Arc::clone(&routes);
                async move { Ok::<_, Infallible>(respond(&routes, request).await) }
            });
            let _ = auto::Builder::new(TokioExecutor::new())
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

async fn respond(routes: &Routes, request: Request<Incoming>) -> Response<Full<Bytes>> {
    let path = request.uri().path().to_owned();
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    match (request.method(), segments.as_slice()) {
        (&Method::GET, ["api", "v1", "campaigns", _]) => {
            reply(StatusCode::OK, "application/json", routes.campaign.clone())
        }
        (&Method::GET, ["api", "v1", "campaigns", id, "events"]) => match routes.events.get(*id) {
            Some(body) => reply(StatusCode::OK, "text/event-stream", body.clone()),
            None => reply(StatusCode::NOT_FOUND, "text/plain", Bytes::new()),
        },
        (&Method::POST, ["api", "v1", "campaigns"]) => {
            let mut body = request.into_body();
            let mut size = 0_u64;
            while let Some(frame) = body.frame().await {
                let Ok(frame) = frame else {
                    return reply(StatusCode::BAD_REQUEST, "text/plain", Bytes::new());
                };
                if let Some(data) = frame.data_ref() {
                    size += data.len() as u64;
                }
            }
            routes.uploaded.fetch_add(size, Ordering::Relaxed);
            reply(
                StatusCode::CREATED,
                "application/json",
                routes.campaign.clone(),
            )
        }
        _ => reply(StatusCode::NOT_FOUND, "text/plain", Bytes::new()),
    }
}

fn reply(status: StatusCode, content_type: &'static str, body: Bytes) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(body));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static(content_type),
    );
    headers.insert(
        "x-request-id",
        hyper::header::HeaderValue::from_static("req_bench_1"),
    );
    response
}

/// The campaign the JSON routes return, shaped as the Hub sends it.
pub fn campaign_json() -> serde_json::Value {
    serde_json::json!({
        "id": CAMPAIGN_ID,
        "name": "Spring renewals",
        "agent_id": "agt_support",
        "phone_number_id": "pn_main",
        "status": "running",
        "max_concurrent_calls": 5,
        "retries_per_contact": 1,
        "retry_delay_seconds": 300,
        "progress": {
            "total": 3, "pending": 1, "dialing": 0, "in_progress": 1, "completed": 1,
            "no_answer": 0, "busy": 0, "failed": 0, "cancelled": 0
        },
        "created_at": "2026-12-01T09:00:00Z",
        "updated_at": "2026-12-01T09:05:00Z"
    })
}

/// Builds a `reqwest::Client` configured as `kataven::ClientBuilder::build`
/// builds its own: a 10 s connect timeout and at most 5 redirects.
pub fn http_client() -> reqwest::Client {
    http_client_builder().build().expect("reqwest client")
}

/// Returns the builder behind [`http_client`], for variants such as HTTP/2.
pub fn http_client_builder() -> reqwest::ClientBuilder {
    reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(10))
        .redirect(reqwest::redirect::Policy::limited(5))
}

/// Builds an SDK client for `server` that sends through `http`.
pub fn sdk_client(server: &Server, http: reqwest::Client) -> kataven::Client {
    sdk_builder(server, http).build().expect("SDK client")
}

/// Returns the builder behind [`sdk_client`], for settings such as a
/// larger `max_event_bytes`.
pub fn sdk_builder(server: &Server, http: reqwest::Client) -> kataven::ClientBuilder {
    kataven::Client::builder()
        .api_key(API_KEY)
        .base_url(&server.url)
        .http_client(http)
}

/// The `User-Agent` the SDK sends, sent by the raw baselines too.
pub const USER_AGENT: &str = concat!("kataven-rust/", env!("CARGO_PKG_VERSION"));

/// Adds the headers the SDK sends to a raw request.
pub fn raw_headers(request: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
    request
        .header(reqwest::header::USER_AGENT, USER_AGENT)
        .bearer_auth(API_KEY)
        .header(reqwest::header::ACCEPT, "application/json")
        .header("api-version", API_VERSION)
}

/// Builds the runtime for the client side of a benchmark. It has one
/// thread, so that the SDK and its baseline get the same share of the
/// machine.
pub fn client_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("client runtime")
}

/// Returns the folder for generated benchmark data under the target
/// directory, and creates it when it is missing.
pub fn data_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("kataven-bench");
    std::fs::create_dir_all(&dir).expect("create the benchmark data folder");
    dir
}

/// Returns a valid contacts CSV of at least `min_bytes` under
/// [`data_dir`], writing it when it is missing.
///
/// The content is deterministic: a header and rows of an E.164 number,
/// first and last name (some with non-ASCII letters), company, and a quoted
/// note that contains a comma.
pub fn contacts_csv(min_bytes: u64) -> PathBuf {
    let path = data_dir().join(format!("contacts-{min_bytes}.csv"));
    if std::fs::metadata(&path).is_ok_and(|meta| meta.len() >= min_bytes) {
        return path;
    }

    let partial = path.with_extension("csv.partial");
    let file = File::create(&partial).expect("create the contacts CSV");
    let mut out = BufWriter::with_capacity(1 << 20, file);
    let header = "phone_number,first_name,last_name,company,note\n";
    out.write_all(header.as_bytes()).expect("write the CSV");

    let first_names = [
        "Ana", "José", "Mia", "Liam", "Zoë", "Noah", "Ingrid", "Kenji",
    ];
    let last_names = ["Silva", "Müller", "Okafor", "Smith", "Novák", "Tanaka"];
    let companies = ["Northwind", "Contoso", "Fabrikam", "Tailspin Toys"];
    let mut written = header.len() as u64;
    let mut row = 0_u64;
    while written < min_bytes {
        let line = format!(
            "+1202{:07},{},{},{},\"Renewal {}, due in March\"\n",
            row % 10_000_000,
            first_names[(row % 8) as usize],
            last_names[(row % 6) as usize],
            companies[(row % 4) as usize],
            row
        );
        out.write_all(line.as_bytes()).expect("write the CSV");
        written += line.len() as u64;
        row += 1;
    }

    out.flush().expect("write the CSV");
    drop(out);
    std::fs::rename(&partial, &path).expect("rename the contacts CSV");
    path
}

/// Formats the data of a `progress` event.
fn progress_data(index: u64) -> String {
    format!(
        r#"{{"campaign_id":"{CAMPAIGN_ID}","status":"running","calls_in_flight":5,"at":"2026-12-01T09:00:00Z","progress":{{"total":100000,"pending":{},"dialing":2,"in_progress":3,"completed":{},"no_answer":0,"busy":0,"failed":0,"cancelled":0}}}}"#,
        100_000 - index.min(100_000),
        index
    )
}

/// Formats the data of a `contact` event.
fn contact_data(index: u64) -> String {
    format!(
        r#"{{"campaign_id":"{CAMPAIGN_ID}","contact_id":"ct_{index:012}","phone_number":"+1202{:07}","status":"completed","attempts":1,"outcome":"answered","at":"2026-12-01T09:00:01Z"}}"#,
        index % 10_000_000
    )
}

/// Builds a campaign's event stream: `events` events with ids from 1, alternating
/// `contact` and `progress`, a `status` event every 1,000 and a heartbeat
/// comment every 100, then the `end` marker with its summary. The `end`
/// marker counts as one of the `events`.
pub fn event_stream_body(events: u64) -> Bytes {
    let mut body = String::new();
    for index in 1..events {
        let (name, data) = if index % 1_000 == 0 {
            (
                "status",
                format!(
                    r#"{{"campaign_id":"{CAMPAIGN_ID}","status":"running","previous_status":"paused","at":"2026-12-01T09:00:02Z"}}"#
                ),
            )
        } else if index % 2 == 0 {
            ("progress", progress_data(index))
        } else {
            ("contact", contact_data(index))
        };
        body.push_str(&format!("id: {index}\nevent: {name}\ndata: {data}\n\n"));
        if index % 100 == 0 {
            body.push_str(": heartbeat\n\n");
        }
    }
    let end = format!(
        r#"{{"campaign_id":"{CAMPAIGN_ID}","status":"completed","at":"2026-12-01T10:00:00Z","progress":{{"total":{events},"pending":0,"dialing":0,"in_progress":0,"completed":{events},"no_answer":0,"busy":0,"failed":0,"cancelled":0}}}}"#
    );
    body.push_str(&format!("id: {events}\nevent: end\ndata: {end}\n\n"));
    Bytes::from(body)
}

/// Builds an event stream of one event whose `data` line is `line_bytes`
/// long, then the `end` marker without data.
pub fn long_line_body(line_bytes: usize) -> Bytes {
    let mut body = Vec::with_capacity(line_bytes + 64);
    body.extend_from_slice(b"id: 1\nevent: note\ndata: ");
    body.resize(body.len() + line_bytes, b'x');
    body.extend_from_slice(b"\n\nid: 2\nevent: end\n\n");
    Bytes::from(body)
}

/// Reads the peak resident set size (`VmHWM`) of this process in KiB.
pub fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
}

/// Uploads the CSV at `path` as the SDK's `create` does, minus the
/// validation: a streaming multipart form with the same fields and headers,
/// the file read in 64 KiB chunks with its exact length.
pub async fn raw_upload(
    http: &reqwest::Client,
    base_url: &str,
    path: &Path,
) -> kataven::models::Campaign {
    let file = tokio::fs::File::open(path).await.expect("open the CSV");
    let length = file.metadata().await.expect("CSV metadata").len();
    let stream = tokio_util::io::ReaderStream::with_capacity(file, UPLOAD_CHUNK_BYTES);
    let part =
        reqwest::multipart::Part::stream_with_length(reqwest::Body::wrap_stream(stream), length)
            .file_name("contacts.csv")
            .mime_str("text/csv")
            .expect("MIME type");
    let form = reqwest::multipart::Form::new()
        .text("name", "Bench upload")
        .text("agent_id", "agt_bench")
        .text("phone_number_id", "pn_bench")
        .text("max_concurrent_calls", "5")
        .text("retries_per_contact", "1")
        .text("retry_delay_seconds", "300")
        .part("contacts", part);
    let response = raw_headers(http.post(format!("{base_url}/api/v1/campaigns")))
        .header("idempotency-key", format!("kv-{:032x}", fastrand::u128(..)))
        .multipart(form)
        .send()
        .await
        .expect("raw upload")
        .error_for_status()
        .expect("raw upload status");
    let body = response.bytes().await.expect("raw upload body");
    serde_json::from_slice(&body).expect("raw upload decode")
}

/// Creates a campaign from the CSV at `path` through the SDK, which checks
/// the file and then uploads it.
pub async fn sdk_upload(campaigns: &kataven::Campaigns, path: &Path) -> kataven::models::Campaign {
    sdk_create(campaigns, kataven::Contacts::from_path(path)).await
}

/// Creates a campaign from contacts that [`kataven::Contacts::check`] has
/// checked already, so `create` only uploads them.
pub async fn sdk_upload_checked(
    campaigns: &kataven::Campaigns,
    checked: &kataven::Contacts,
) -> kataven::models::Campaign {
    let contacts = checked.try_clone().expect("checked contacts can be copied");
    sdk_create(campaigns, contacts).await
}

async fn sdk_create(
    campaigns: &kataven::Campaigns,
    contacts: kataven::Contacts,
) -> kataven::models::Campaign {
    campaigns
        .create("Bench upload", "agt_bench", "pn_bench", contacts)
        .max_concurrent_calls(5)
        .retries_per_contact(1)
        .retry_delay_seconds(300)
        .await
        .expect("SDK create")
}

/// A criterion measurement whose values are ratios, not times: SDK time
/// divided by baseline time, both taken in the same sample.
///
/// Criterion times one function at a time, so an SDK benchmark and its
/// baseline run seconds apart, and on a machine shared with other builds
/// the load can change between them by more than the difference measured.
/// A benchmark with this measurement runs both in alternation inside every
/// sample through `iter_custom` (see [`ratio_of`]), and criterion's median
/// over the samples is then a ratio taken side by side. It is reported in
/// criterion's output as a number with the unit `x`, and stored in
/// `estimates.json` as that number.
pub struct Ratio;

impl criterion::measurement::Measurement for Ratio {
    type Intermediate = ();
    type Value = f64;

    fn start(&self) {}

    fn end(&self, _start: ()) -> f64 {
        panic!("a Ratio benchmark must use iter_custom");
    }

    fn add(&self, first: &f64, second: &f64) -> f64 {
        first + second
    }

    fn zero(&self) -> f64 {
        0.0
    }

    fn to_f64(&self, value: &f64) -> f64 {
        *value
    }

    fn formatter(&self) -> &dyn criterion::measurement::ValueFormatter {
        &RatioFormatter
    }
}

struct RatioFormatter;

impl criterion::measurement::ValueFormatter for RatioFormatter {
    fn scale_values(&self, _typical: f64, _values: &mut [f64]) -> &'static str {
        "x"
    }

    fn scale_throughputs(
        &self,
        _typical: f64,
        _throughput: &criterion::Throughput,
        _values: &mut [f64],
    ) -> &'static str {
        "x"
    }

    fn scale_for_machines(&self, _values: &mut [f64]) -> &'static str {
        "ratio"
    }
}

/// Runs `sdk` and `baseline` `iters` times each, alternating which goes
/// first, and returns `iters` times the ratio of their total times, the
/// value a [`Ratio`] benchmark's `iter_custom` returns.
pub async fn ratio_of<S, SF, B, BF>(iters: u64, mut sdk: S, mut baseline: B) -> f64
where
    S: FnMut() -> SF,
    SF: std::future::Future,
    B: FnMut() -> BF,
    BF: std::future::Future,
{
    let mut sdk_time = Duration::ZERO;
    let mut baseline_time = Duration::ZERO;
    for iteration in 0..iters {
        if iteration % 2 == 0 {
            sdk_time += time_async(&mut sdk).await;
            baseline_time += time_async(&mut baseline).await;
        } else {
            baseline_time += time_async(&mut baseline).await;
            sdk_time += time_async(&mut sdk).await;
        }
    }
    iters as f64 * sdk_time.as_secs_f64() / baseline_time.as_secs_f64()
}

/// Runs [`ratio_of`] for functions that block.
pub fn ratio_of_blocking(iters: u64, mut sdk: impl FnMut(), mut baseline: impl FnMut()) -> f64 {
    let mut sdk_time = Duration::ZERO;
    let mut baseline_time = Duration::ZERO;
    let time = |routine: &mut dyn FnMut()| {
        let start = std::time::Instant::now();
        routine();
        start.elapsed()
    };
    for iteration in 0..iters {
        if iteration % 2 == 0 {
            sdk_time += time(&mut sdk);
            baseline_time += time(&mut baseline);
        } else {
            baseline_time += time(&mut baseline);
            sdk_time += time(&mut sdk);
        }
    }
    iters as f64 * sdk_time.as_secs_f64() / baseline_time.as_secs_f64()
}

async fn time_async<F, Fut>(routine: &mut F) -> Duration
where
    F: FnMut() -> Fut,
    Fut: std::future::Future,
{
    let start = std::time::Instant::now();
    std::hint::black_box(routine().await);
    start.elapsed()
}

/// Returns the criterion configuration of [`Ratio`] benchmarks.
pub fn ratio_criterion() -> criterion::Criterion<Ratio> {
    criterion::Criterion::default()
        .with_measurement(Ratio)
        .warm_up_time(Duration::from_secs(1))
}
