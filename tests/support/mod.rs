//! A scripted HTTP/1.1 server on 127.0.0.1:0 for the tests.
//!
//! It records every request exactly as received (method, target, headers
//! in order, body) and answers each with the [`Reply`] that the test's
//! script returns, which can split the body into chunks, pause, hang, or
//! reset the connection.

#![allow(dead_code)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

/// The API key every test client sends.
pub const API_KEY: &str = "kv_test_secret_key_0123";

/// One request as the server read it.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    pub target: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Recorded {
    /// The first value of a header, by case-insensitive name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    /// The path without the query.
    pub fn path(&self) -> &str {
        self.target.split('?').next().unwrap_or("")
    }

    /// A stable text form for snapshots: the request line, the headers
    /// (the port in `host` replaced, the version in `user-agent` replaced),
    /// and the body as text.
    pub fn render(&self) -> String {
        let mut text = format!("{} {}\n", self.method, self.target);
        for (name, value) in &self.headers {
            let value = match name.as_str() {
                "host" => "127.0.0.1:<port>".to_owned(),
                "user-agent" if value.starts_with("kataven-rust/") => {
                    "kataven-rust/<version>".to_owned()
                }
                _ => value.clone(),
            };
            text.push_str(&format!("{name}: {value}\n"));
        }
        if !self.body.is_empty() {
            text.push('\n');
            text.push_str(&String::from_utf8_lossy(&self.body));
        }
        text
    }
}

/// One step of a streamed response body.
#[derive(Debug, Clone)]
pub enum Step {
    /// Write these bytes and flush.
    Send(Vec<u8>),
    /// Wait.
    Pause(Duration),
    /// Close the connection with a TCP reset.
    Reset,
    /// Keep the connection open and send nothing more.
    Hang,
}

/// How the server answers one request.
#[derive(Debug, Clone)]
pub enum Reply {
    /// A complete response with `Content-Length`.
    Full {
        status: u16,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
    },
    /// A response without `Content-Length`, whose body ends when the
    /// connection closes, written step by step.
    Streamed {
        status: u16,
        headers: Vec<(String, String)>,
        steps: Vec<Step>,
    },
    /// Reset the connection before any byte of a response.
    Reset,
    /// Write these exact bytes, then close.
    Raw(Vec<u8>),
}

impl Reply {
    /// A JSON response with an `X-Request-Id`.
    pub fn json(status: u16, body: serde_json::Value) -> Self {
        Self::Full {
            status,
            headers: vec![
                ("content-type".into(), "application/json".into()),
                ("x-request-id".into(), "req_test_1".into()),
            ],
            body: body.to_string().into_bytes(),
        }
    }

    /// A Hub error body.
    pub fn error(status: u16, code: &str, message: &str) -> Self {
        Self::json(
            status,
            serde_json::json!({"code": code, "message": message}),
        )
    }

    /// Adds a header to a `Full` or `Streamed` reply.
    pub fn with_header(mut self, name: &str, value: &str) -> Self {
        match &mut self {
            Self::Full { headers, .. } | Self::Streamed { headers, .. } => {
                headers.push((name.to_owned(), value.to_owned()));
            }
            _ => {}
        }
        self
    }

    /// An event stream written in these steps.
    pub fn events(steps: Vec<Step>) -> Self {
        Self::Streamed {
            status: 200,
            headers: vec![
                ("content-type".into(), "text/event-stream".into()),
                ("cache-control".into(), "no-cache".into()),
            ],
            steps,
        }
    }
}

type Script = dyn Fn(&Recorded, usize) -> Reply + Send + Sync;

/// A running test server; it stops when dropped.
pub struct TestServer {
    pub url: String,
    requests: Arc<Mutex<Vec<Recorded>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl TestServer {
    /// Starts a server that answers request number `n` (from 0) with
    /// `script(&request, n)`.
    pub async fn start(script: impl Fn(&Recorded, usize) -> Reply + Send + Sync + 'static) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind 127.0.0.1:0");
        let url = format!("http://{}", listener.local_addr().expect("local address"));
        let requests = Arc::new(Mutex::new(Vec::new()));
        let script: Arc<Script> = Arc::new(script);
        let recorded = Arc::clone(&requests);
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                let script = Arc::clone(&script);
                let recorded = Arc::clone(&recorded);
                tokio::spawn(async move {
                    let _ = serve_connection(stream, script, recorded).await;
                });
            }
        });
        Self {
            url,
            requests,
            task,
        }
    }

    /// Starts a server that answers every request with `reply`.
    pub async fn always(reply: Reply) -> Self {
        Self::start(move |_, _| reply.clone()).await
    }

    /// Starts a server that answers the requests in order with `replies`,
    /// and with the last one after that.
    pub async fn sequence(replies: Vec<Reply>) -> Self {
        Self::start(move |_, index| {
            let last = replies.len().saturating_sub(1);
            replies[index.min(last)].clone()
        })
        .await
    }

    /// Every request so far.
    pub fn requests(&self) -> Vec<Recorded> {
        self.requests.lock().expect("requests lock").clone()
    }

    /// A client for this server with retries that wait at most 5 ms.
    pub fn client(&self) -> kataven::Client {
        self.builder().build().expect("test client")
    }

    /// A client builder for this server with short retry delays.
    pub fn builder(&self) -> kataven::ClientBuilder {
        kataven::Client::builder()
            .api_key(API_KEY)
            .base_url(&self.url)
            .retry_policy(
                kataven::RetryPolicy::default()
                    .base_delay(Duration::from_millis(1))
                    .max_delay(Duration::from_millis(5)),
            )
            .max_reconnect_delay(Duration::from_millis(5))
    }
}

async fn serve_connection(
    stream: TcpStream,
    script: Arc<Script>,
    recorded: Arc<Mutex<Vec<Recorded>>>,
) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream);
    loop {
        let Some(request) = read_request(&mut reader).await? else {
            return Ok(());
        };
        let index = {
            let mut all = recorded.lock().expect("requests lock");
            all.push(request.clone());
            all.len() - 1
        };
        let reply = script(&request, index);
        let stream = reader.get_mut();
        match reply {
            Reply::Full {
                status,
                headers,
                body,
            } => {
                let mut head = format!("HTTP/1.1 {status} {}\r\n", reason(status));
                for (name, value) in &headers {
                    head.push_str(&format!("{name}: {value}\r\n"));
                }
                head.push_str(&format!("content-length: {}\r\n\r\n", body.len()));
                stream.write_all(head.as_bytes()).await?;
                stream.write_all(&body).await?;
                stream.flush().await?;
            }
            Reply::Streamed {
                status,
                headers,
                steps,
            } => {
                let mut head = format!("HTTP/1.1 {status} {}\r\n", reason(status));
                for (name, value) in &headers {
                    head.push_str(&format!("{name}: {value}\r\n"));
                }
                head.push_str("connection: close\r\n\r\n");
                stream.write_all(head.as_bytes()).await?;
                stream.flush().await?;
                for step in steps {
                    match step {
                        Step::Send(bytes) => {
                            stream.write_all(&bytes).await?;
                            stream.flush().await?;
                        }
                        Step::Pause(duration) => tokio::time::sleep(duration).await,
                        Step::Reset => {
                            reset(stream)?;
                            return Ok(());
                        }
                        Step::Hang => {
                            tokio::time::sleep(Duration::from_secs(3600)).await;
                            return Ok(());
                        }
                    }
                }
                stream.shutdown().await?;
                return Ok(());
            }
            Reply::Reset => {
                reset(stream)?;
                return Ok(());
            }
            Reply::Raw(bytes) => {
                stream.write_all(&bytes).await?;
                stream.shutdown().await?;
                return Ok(());
            }
        }
    }
}

/// Makes the coming close send a TCP reset instead of a normal close.
// A zero linger time never blocks on drop, which is what the deprecation of
// `set_linger` warns about.
#[allow(deprecated)]
fn reset(stream: &TcpStream) -> std::io::Result<()> {
    stream.set_linger(Some(Duration::ZERO))
}

async fn read_request(reader: &mut BufReader<TcpStream>) -> std::io::Result<Option<Recorded>> {
    let mut line = String::new();
    if reader.read_line(&mut line).await? == 0 {
        return Ok(None);
    }
    let mut parts = line.trim_end().splitn(3, ' ');
    let method = parts.next().unwrap_or("").to_owned();
    let target = parts.next().unwrap_or("").to_owned();

    let mut headers = Vec::new();
    loop {
        let mut header = String::new();
        reader.read_line(&mut header).await?;
        let header = header.trim_end();
        if header.is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':') {
            headers.push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
        }
    }

    let find = |name: &str| {
        headers
            .iter()
            .find(|(key, _): &&(String, String)| key == name)
            .map(|(_, value)| value.clone())
    };
    let mut body = Vec::new();
    if let Some(length) = find("content-length") {
        let length: usize = length.parse().unwrap_or(0);
        body.resize(length, 0);
        reader.read_exact(&mut body).await?;
    } else if find("transfer-encoding").is_some_and(|v| v.eq_ignore_ascii_case("chunked")) {
        loop {
            let mut size_line = String::new();
            reader.read_line(&mut size_line).await?;
            let size = usize::from_str_radix(size_line.trim(), 16).unwrap_or(0);
            let mut chunk = vec![0; size + 2];
            reader.read_exact(&mut chunk).await?;
            if size == 0 {
                break;
            }
            body.extend_from_slice(&chunk[..size]);
        }
    }
    Ok(Some(Recorded {
        method,
        target,
        headers,
        body,
    }))
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        201 => "Created",
        204 => "No Content",
        302 => "Found",
        400 => "Bad Request",
        401 => "Unauthorized",
        404 => "Not Found",
        409 => "Conflict",
        413 => "Payload Too Large",
        422 => "Unprocessable Entity",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        _ => "Status",
    }
}

/// A campaign body as the Hub sends it.
pub fn campaign_json(id: &str, status: &str) -> serde_json::Value {
    serde_json::json!({
        "id": id,
        "name": "Spring renewals",
        "agent_id": "agt_support",
        "phone_number_id": "pn_main",
        "status": status,
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

/// A contact body as the Hub sends it.
pub fn contact_json(id: &str, phone: &str, status: &str) -> serde_json::Value {
    serde_json::json!({
        "id": id,
        "phone_number": phone,
        "status": status,
        "attempts": 1,
        "custom_fields": {"first_name": "Ana", "company": "Northwind"},
        "created_at": "2026-12-01T09:00:00Z",
        "updated_at": "2026-12-01T09:05:00Z"
    })
}
