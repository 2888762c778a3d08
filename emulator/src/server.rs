//! The HTTP server: listener, connections, shutdown, and the public [`Emulator`] handle.
//!
//! The server drives hyper's HTTP/1.1 connections itself, not through
//! `axum::serve`, so that [`Faults::reset_next`] can close a connection
//! before any response byte: the service returns an error, and hyper then
//! drops the connection without writing a response.

use std::io;
use std::net::SocketAddr;
use std::pin::pin;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::Request;
use axum::Router;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::{JoinHandle, JoinSet};
use tower::ServiceExt;

use crate::config::EmulatorConfig;
use crate::faults::Faults;
use crate::middleware;
use crate::routes;
use crate::state::{wait_for_shutdown, Shared};
use crate::stats::Stats;

/// How long shutdown waits for open connections to finish their response.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// A running Hub emulator on a loopback address.
///
/// The server stops when [`shutdown`](Self::shutdown) is awaited or when the
/// handle is dropped. A drop stops accepting connections at once and ends
/// event streams and dispatchers without waiting for them.
///
/// ```no_run
/// # async fn example() -> std::io::Result<()> {
/// use kataven_emulator::{Emulator, EmulatorConfig};
///
/// let emulator = Emulator::start(EmulatorConfig::default().time_scale(1000.0)).await?;
/// println!("Hub at {} with key {}", emulator.url(), emulator.api_key());
/// emulator.shutdown().await;
/// # Ok(())
/// # }
/// ```
pub struct Emulator {
    shared: Arc<Shared>,
    address: SocketAddr,
    server: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for Emulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Emulator")
            .field("address", &self.address)
            .finish_non_exhaustive()
    }
}

/// The error that makes hyper drop a connection without a response.
#[derive(Debug)]
struct ConnectionReset;

impl std::fmt::Display for ConnectionReset {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("injected fault: connection reset")
    }
}

impl std::error::Error for ConnectionReset {}

impl Emulator {
    /// Binds the configured address and spawns the server on the current Tokio runtime.
    ///
    /// # Errors
    ///
    /// Returns [`io::ErrorKind::InvalidInput`] when a setting is out of its
    /// documented range or the bind address is not a loopback address, and
    /// the listener's error when the address cannot be bound.
    pub async fn start(config: EmulatorConfig) -> io::Result<Emulator> {
        config.validate()?;
        let listener = TcpListener::bind(config.bind).await?;
        let address = listener.local_addr()?;

        let shared = Arc::new(Shared::new(config));
        let router = routes::build(Arc::clone(&shared));
        let server = tokio::spawn(serve(listener, router, Arc::clone(&shared)));
        tracing::info!(%address, "Kataven Hub emulator started");

        Ok(Emulator {
            shared,
            address,
            server: Some(server),
        })
    }

    /// Returns the base URL, such as `http://127.0.0.1:41234`.
    pub fn url(&self) -> String {
        format!("http://{}", self.address)
    }

    /// Returns the address the server listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.address
    }

    /// Returns the API key that requests must send as a bearer token.
    pub fn api_key(&self) -> &str {
        &self.shared.config.api_key
    }

    /// Returns the fault injection controls, shared with the running server.
    pub fn faults(&self) -> &Faults {
        &self.shared.faults
    }

    /// Returns a snapshot of the emulator's counters.
    pub fn stats(&self) -> Stats {
        Stats::snapshot(&self.shared)
    }

    /// Stops the server: no new connections, event streams end, and open
    /// responses get up to 5 seconds to finish before their connections close.
    pub async fn shutdown(mut self) {
        stop(&self.shared);
        if let Some(server) = self.server.take() {
            if let Err(error) = server.await {
                tracing::error!(%error, "the emulator's server task failed");
            }
        }
        tracing::info!(address = %self.address, "Kataven Hub emulator stopped");
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        stop(&self.shared);
    }
}

/// Signals shutdown to the server and the event streams, and aborts every dispatcher.
fn stop(shared: &Shared) {
    shared.shutdown.send_replace(true);
    let mut hub = shared.lock_hub();
    for campaign in hub.campaigns.values_mut() {
        if let Some(task) = campaign.dispatcher.take() {
            task.abort();
        }
    }
}

async fn serve(listener: TcpListener, router: Router, shared: Arc<Shared>) {
    let mut shutdown = shared.shutdown.subscribe();
    let mut connections = JoinSet::new();

    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    connections.spawn(serve_connection(stream, router.clone(), Arc::clone(&shared)));
                }
                Err(error) => {
                    // Errors such as EMFILE pass; a short pause avoids a busy loop meanwhile.
                    tracing::warn!(%error, "failed to accept a connection");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
            () = wait_for_shutdown(&mut shutdown) => break,
        }
    }
    drop(listener);

    let drained = tokio::time::timeout(SHUTDOWN_GRACE, async {
        while connections.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        tracing::warn!(
            open = connections.len(),
            "closing connections that outlived the shutdown grace period"
        );
    }
}

async fn serve_connection(stream: TcpStream, router: Router, shared: Arc<Shared>) {
    let mut shutdown = shared.shutdown.subscribe();
    let service = hyper::service::service_fn(move |request: Request<Incoming>| {
        let router = router.clone();
        let shared = Arc::clone(&shared);
        async move {
            if shared.faults.take_reset() {
                middleware::log_reset(&shared, request.method(), request.uri().path());
                return Err(ConnectionReset);
            }
            match router.oneshot(request.map(Body::new)).await {
                Ok(response) => Ok(response),
                Err(never) => match never {},
            }
        }
    });

    let mut connection =
        pin!(http1::Builder::new().serve_connection(TokioIo::new(stream), service));
    tokio::select! {
        result = connection.as_mut() => {
            if let Err(error) = result {
                tracing::debug!(%error, "connection closed with an error");
            }
        }
        () = wait_for_shutdown(&mut shutdown) => {
            connection.as_mut().graceful_shutdown();
            if let Err(error) = connection.await {
                tracing::debug!(%error, "connection closed with an error during shutdown");
            }
        }
    }
}
