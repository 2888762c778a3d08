//! The cost of one JSON call, alone and 1,000 at a time.
//!
//! `get/sdk` is `Campaigns::get`; `get/raw` sends the same request with
//! reqwest and decodes the same body into the same `Campaign` type with
//! serde_json. `concurrent_get/{h1,h2}/{sdk,raw}` run 1,000 of those calls as
//! separate Tokio tasks through one client and wait for all of them, over
//! HTTP/1.1 and over HTTP/2 with prior knowledge.
//!
//! `get_ratio/sdk_over_raw` and `concurrent_get_ratio/{h1,h2}` are the
//! same comparisons taken side by side: SDK time over raw time within each
//! sample (see [`support::Ratio`]). The report uses these for its ratios and
//! the groups above for absolute times.

mod support;

use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, SamplingMode, Throughput};
use kataven::models::Campaign;
use support::{Ratio, Server, CAMPAIGN_ID};

/// Calls in flight at once in the concurrency benchmark.
const CONCURRENT_CALLS: usize = 1_000;

async fn raw_get(http: &reqwest::Client, url: &str) -> Campaign {
    let response = support::raw_headers(http.get(url))
        .send()
        .await
        .expect("raw GET")
        .error_for_status()
        .expect("raw GET status");
    let body = response.bytes().await.expect("raw GET body");
    serde_json::from_slice(&body).expect("raw GET decode")
}

fn per_call(c: &mut Criterion) {
    let server = Server::start(Vec::new());
    let runtime = support::client_runtime();
    let campaigns = support::sdk_client(&server, support::http_client()).campaigns();
    let http = support::http_client();
    let url = format!("{}/api/v1/campaigns/{CAMPAIGN_ID}", server.url);

    let mut group = c.benchmark_group("get");
    group.throughput(Throughput::Elements(1));
    group.bench_function("sdk", |b| {
        b.to_async(&runtime)
            .iter(|| async { campaigns.get(CAMPAIGN_ID).await.expect("SDK get") });
    });
    group.bench_function("raw", |b| {
        b.to_async(&runtime).iter(|| raw_get(&http, &url));
    });
    group.finish();
}

/// Runs `CONCURRENT_CALLS` SDK calls as tasks and waits for all of them.
async fn sdk_concurrent(campaigns: &kataven::Campaigns) {
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..CONCURRENT_CALLS {
        let campaigns = campaigns.clone();
        tasks.spawn(async move { campaigns.get(CAMPAIGN_ID).await.expect("SDK get") });
    }
    while let Some(done) = tasks.join_next().await {
        done.expect("SDK task");
    }
}

/// Runs `CONCURRENT_CALLS` raw calls as tasks and waits for all of them.
async fn raw_concurrent(http: &reqwest::Client, url: &str) {
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..CONCURRENT_CALLS {
        let http = http.clone();
        let url = url.to_owned();
        tasks.spawn(async move { raw_get(&http, &url).await });
    }
    while let Some(done) = tasks.join_next().await {
        done.expect("raw task");
    }
}

/// Builds the HTTP client of one protocol variant.
fn protocol_client(protocol: &str) -> reqwest::Client {
    let builder = support::http_client_builder();
    let builder = match protocol {
        "h2" => builder.http2_prior_knowledge(),
        _ => builder.http1_only(),
    };
    builder.build().expect("HTTP client")
}

fn concurrent(c: &mut Criterion) {
    let runtime = support::client_runtime();
    let mut group = c.benchmark_group("concurrent_get");
    group.throughput(Throughput::Elements(CONCURRENT_CALLS as u64));
    group.sample_size(10);

    for protocol in ["h1", "h2"] {
        // One server per client, so that each count of accepted connections
        // belongs to one client.
        let sdk_server = Server::start(Vec::new());
        let campaigns = support::sdk_client(&sdk_server, protocol_client(protocol)).campaigns();
        group.bench_function(format!("{protocol}/sdk"), |b| {
            b.to_async(&runtime).iter(|| sdk_concurrent(&campaigns));
        });

        let raw_server = Server::start(Vec::new());
        let http = protocol_client(protocol);
        let url = format!("{}/api/v1/campaigns/{CAMPAIGN_ID}", raw_server.url);
        group.bench_function(format!("{protocol}/raw"), |b| {
            b.to_async(&runtime).iter(|| raw_concurrent(&http, &url));
        });

        report_connections(protocol, &sdk_server, &raw_server);
    }
    group.finish();
}

/// Prints how many connections each client opened, when it ran.
fn report_connections(protocol: &str, sdk_server: &Server, raw_server: &Server) {
    let (sdk, raw) = (
        sdk_server.accepted_connections(),
        raw_server.accepted_connections(),
    );
    if sdk + raw > 0 {
        println!("concurrent_get/{protocol}: connections opened: sdk {sdk}, raw {raw}");
    }
}

fn per_call_ratio(c: &mut Criterion<Ratio>) {
    let server = Server::start(Vec::new());
    let runtime = support::client_runtime();
    let campaigns = support::sdk_client(&server, support::http_client()).campaigns();
    let http = support::http_client();
    let url = format!("{}/api/v1/campaigns/{CAMPAIGN_ID}", server.url);

    let mut group = c.benchmark_group("get_ratio");
    group.measurement_time(Duration::from_secs(6));
    group.bench_function("sdk_over_raw", |b| {
        b.to_async(&runtime).iter_custom(|iters| {
            support::ratio_of(
                iters,
                || async { campaigns.get(CAMPAIGN_ID).await.expect("SDK get") },
                || raw_get(&http, &url),
            )
        });
    });
    group.finish();
}

fn concurrent_ratio(c: &mut Criterion<Ratio>) {
    let runtime = support::client_runtime();
    let mut group = c.benchmark_group("concurrent_get_ratio");
    group.sample_size(10);
    group.sampling_mode(SamplingMode::Flat);
    group.measurement_time(Duration::from_secs(8));
    for protocol in ["h1", "h2"] {
        let sdk_server = Server::start(Vec::new());
        let campaigns = support::sdk_client(&sdk_server, protocol_client(protocol)).campaigns();
        let raw_server = Server::start(Vec::new());
        let http = protocol_client(protocol);
        let url = format!("{}/api/v1/campaigns/{CAMPAIGN_ID}", raw_server.url);
        group.bench_function(protocol, |b| {
            b.to_async(&runtime).iter_custom(|iters| {
                support::ratio_of(
                    iters,
                    || sdk_concurrent(&campaigns),
                    || raw_concurrent(&http, &url),
                )
            });
        });
    }
    group.finish();
}

criterion_group! {
    name = absolute;
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4));
    targets = per_call, concurrent
}
criterion_group! {
    name = side_by_side;
    config = support::ratio_criterion();
    targets = per_call_ratio, concurrent_ratio
}
criterion_main!(absolute, side_by_side);
