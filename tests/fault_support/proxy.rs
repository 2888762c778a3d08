//! A TCP proxy on 127.0.0.1:0 that injects faults below HTTP, between the
//! client and the emulator.
//!
//! The proxy reads each connection's request head and adds
//! `Connection: close`, so that the connection carries one request. It then
//! calls the test's planner to decide what to do with the connection:
//! forward it unchanged, lose the response after the Hub has acted on the
//! request, hold the response back, or cut the response after a number of
//! bytes, which can fall inside a header, a chunk of the body or a
//! Server-Sent Events frame. It can also lower the request's
//! `Last-Event-ID`, as a Hub that resumes from an older position would, so
//! that the client receives events it already has. Faults end the client's
//! connection with a TCP reset.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::OwnedWriteHalf;
use tokio::net::{TcpListener, TcpStream};

/// The largest request head the proxy reads.
const MAX_HEAD_BYTES: usize = 64 * 1024;

/// What the proxy does with one connection's response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Forward the response unchanged.
    Pass,
    /// Wait for the first byte of the response, which the Hub sends once it
    /// has acted on the request, then reset the client's connection without
    /// forwarding anything.
    LoseResponse,
    /// Hold the response back this long before forwarding it.
    Stall(Duration),
    /// Forward this many bytes of the response, headers included, then
    /// reset the client's connection. A response that ends sooner is
    /// forwarded whole.
    CutAfter(usize),
}

/// The planner's decision for one connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Plan {
    pub fault: Fault,
    /// Lowers `Last-Event-ID` by this many events (to no header at all when
    /// that reaches zero) when the request has the header.
    pub rewind_events: Option<u64>,
}

impl Plan {
    pub fn pass() -> Self {
        Self::fault(Fault::Pass)
    }

    pub fn fault(fault: Fault) -> Self {
        Self {
            fault,
            rewind_events: None,
        }
    }
}

/// The request head of one connection, as the client sent it.
#[derive(Debug, Clone)]
pub struct Head {
    pub method: String,
    pub target: String,
    pub headers: Vec<(String, String)>,
}

impl Head {
    /// Returns the first value of a header, by case-insensitive name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }
}

/// Counts of what the proxy did.
#[derive(Debug, Default)]
pub struct ProxyStats {
    pub connections: AtomicU64,
    pub responses_lost: AtomicU64,
    pub responses_stalled: AtomicU64,
    /// Responses cut before their end.
    pub responses_cut: AtomicU64,
    /// Requests whose `Last-Event-ID` was lowered.
    pub rewinds: AtomicU64,
}

impl ProxyStats {
    /// Faults that reached the client: lost, stalled and cut responses, and
    /// rewound positions.
    pub fn faults(&self) -> u64 {
        self.responses_lost.load(Ordering::SeqCst)
            + self.responses_stalled.load(Ordering::SeqCst)
            + self.responses_cut.load(Ordering::SeqCst)
            + self.rewinds.load(Ordering::SeqCst)
    }
}

type Planner = dyn FnMut(&Head) -> Plan + Send;

/// A running proxy; it stops accepting connections when dropped.
pub struct FaultProxy {
    pub url: String,
    pub stats: Arc<ProxyStats>,
    heads: Arc<Mutex<Vec<Head>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl FaultProxy {
    /// Starts a proxy to `upstream` that calls `planner` to decide what to
    /// do with each connection, in the order the request heads arrive.
    pub async fn start(
        upstream: SocketAddr,
        planner: impl FnMut(&Head) -> Plan + Send + 'static,
    ) -> Self {
        assert!(
            upstream.ip().is_loopback(),
            "the proxy only forwards to loopback"
        );
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind 127.0.0.1:0");
        let url = format!("http://{}", listener.local_addr().expect("local address"));
        let stats = Arc::new(ProxyStats::default());
        let heads = Arc::new(Mutex::new(Vec::new()));
        let planner: Arc<Mutex<Box<Planner>>> = Arc::new(Mutex::new(Box::new(planner)));

        let task = {
            let stats = Arc::clone(&stats);
            let heads = Arc::clone(&heads);
            tokio::spawn(async move {
                loop {
                    let Ok((client, _)) = listener.accept().await else {
                        return;
                    };
                    let planner = Arc::clone(&planner);
                    let stats = Arc::clone(&stats);
                    let heads = Arc::clone(&heads);
                    tokio::spawn(async move {
                        let _ = serve(client, upstream, planner, stats, heads).await;
                    });
                }
            })
        };
        Self {
            url,
            stats,
            heads,
            task,
        }
    }

    /// Starts a proxy that takes each connection's fault from the front of
    /// `queue`, and forwards unchanged while the queue is empty.
    pub async fn with_queue(upstream: SocketAddr, queue: Arc<Mutex<VecDeque<Fault>>>) -> Self {
        Self::start(upstream, move |_| {
            let fault = queue.lock().unwrap().pop_front().unwrap_or(Fault::Pass);
            Plan::fault(fault)
        })
        .await
    }

    /// Returns every request head so far, in arrival order.
    pub fn heads(&self) -> Vec<Head> {
        self.heads.lock().unwrap().clone()
    }
}

async fn serve(
    client: TcpStream,
    upstream: SocketAddr,
    planner: Arc<Mutex<Box<Planner>>>,
    stats: Arc<ProxyStats>,
    heads: Arc<Mutex<Vec<Head>>>,
) -> std::io::Result<()> {
    stats.connections.fetch_add(1, Ordering::SeqCst);
    let (mut client_read, mut client_write) = client.into_split();
    let Some((head, rest)) = read_head(&mut client_read).await? else {
        return Ok(());
    };
    let plan = (planner.lock().unwrap())(&head);
    heads.lock().unwrap().push(head.clone());

    let (rewritten, rewound) = rewrite_head(&head, plan.rewind_events);
    if rewound {
        stats.rewinds.fetch_add(1, Ordering::SeqCst);
    }
    let server = TcpStream::connect(upstream).await?;
    let (mut server_read, mut server_write) = server.into_split();
    server_write.write_all(rewritten.as_bytes()).await?;
    server_write.write_all(&rest).await?;

    // The rest of the request body, if any, flows while the response is
    // awaited.
    let upload = tokio::spawn(async move {
        let _ = tokio::io::copy(&mut client_read, &mut server_write).await;
        let _ = server_write.shutdown().await;
    });
    let result = respond(&mut server_read, &mut client_write, plan.fault, &stats).await;
    upload.abort();
    result
}

/// Forwards the response from the Hub to the client, applying `fault`.
async fn respond(
    server: &mut tokio::net::tcp::OwnedReadHalf,
    client: &mut OwnedWriteHalf,
    fault: Fault,
    stats: &ProxyStats,
) -> std::io::Result<()> {
    let mut buffer = vec![0u8; 16 * 1024];
    let mut forwarded = 0usize;
    let mut first = true;
    loop {
        let read = match server.read(&mut buffer).await {
            Ok(read) => read,
            Err(_) => return reset(client),
        };
        if read == 0 {
            // A Hub that closed without any response is passed on as a reset.
            if forwarded == 0 {
                return reset(client);
            }
            return client.shutdown().await;
        }
        let mut chunk = &buffer[..read];
        if first {
            first = false;
            match fault {
                Fault::LoseResponse => {
                    stats.responses_lost.fetch_add(1, Ordering::SeqCst);
                    return reset(client);
                }
                Fault::Stall(duration) => {
                    stats.responses_stalled.fetch_add(1, Ordering::SeqCst);
                    tokio::time::sleep(duration).await;
                }
                Fault::Pass | Fault::CutAfter(_) => {}
            }
        }
        if let Fault::CutAfter(limit) = fault {
            let room = limit - forwarded;
            if chunk.len() > room {
                chunk = &chunk[..room];
                client.write_all(chunk).await?;
                client.flush().await?;
                stats.responses_cut.fetch_add(1, Ordering::SeqCst);
                return reset(client);
            }
        }
        client.write_all(chunk).await?;
        forwarded += chunk.len();
    }
}

/// Makes the client's connection end with a TCP reset once both halves are
/// dropped.
// A zero linger time never blocks on drop, which is what the deprecation of
// `set_linger` warns about.
#[allow(deprecated)]
fn reset(client: &OwnedWriteHalf) -> std::io::Result<()> {
    client.as_ref().set_linger(Some(Duration::ZERO))
}

/// Reads up to the blank line that ends the request head. Returns the head
/// and the bytes read after it, or `None` when the client closed first.
async fn read_head(
    client: &mut tokio::net::tcp::OwnedReadHalf,
) -> std::io::Result<Option<(Head, Vec<u8>)>> {
    let mut bytes = Vec::new();
    let mut buffer = [0u8; 4096];
    let end = loop {
        if let Some(position) = bytes.windows(4).position(|window| window == b"\r\n\r\n") {
            break position;
        }
        if bytes.len() > MAX_HEAD_BYTES {
            return Err(std::io::Error::other("request head too large"));
        }
        let read = client.read(&mut buffer).await?;
        if read == 0 {
            return Ok(None);
        }
        bytes.extend_from_slice(&buffer[..read]);
    };
    let text = String::from_utf8_lossy(&bytes[..end]).into_owned();
    let rest = bytes[end + 4..].to_vec();

    let mut lines = text.split("\r\n");
    let request_line = lines.next().unwrap_or("");
    let mut parts = request_line.splitn(3, ' ');
    let method = parts.next().unwrap_or("").to_owned();
    let target = parts.next().unwrap_or("").to_owned();
    let headers = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_ascii_lowercase(), value.trim().to_owned()))
        .collect();
    Ok(Some((
        Head {
            method,
            target,
            headers,
        },
        rest,
    )))
}

/// Writes the head back with `Connection: close`, lowering `Last-Event-ID`
/// by `rewind` events when asked. Returns the head and whether it rewound.
fn rewrite_head(head: &Head, rewind: Option<u64>) -> (String, bool) {
    let mut text = format!("{} {} HTTP/1.1\r\n", head.method, head.target);
    let mut rewound = false;
    for (name, value) in &head.headers {
        match name.as_str() {
            "connection" => continue,
            "last-event-id" => {
                if let (Some(events), Ok(id)) = (rewind, value.parse::<u64>()) {
                    rewound = true;
                    let earlier = id.saturating_sub(events);
                    if earlier > 0 {
                        text.push_str(&format!("last-event-id: {earlier}\r\n"));
                    }
                    continue;
                }
            }
            _ => {}
        }
        text.push_str(&format!("{name}: {value}\r\n"));
    }
    text.push_str("connection: close\r\n\r\n");
    (text, rewound)
}
