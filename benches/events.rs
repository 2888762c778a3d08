//! Event stream throughput and long lines.
//!
//! `event_stream/typed` reads a campaign's stream through
//! `Campaigns::stream_events`, which parses and decodes every event into
//! its typed item. `event_stream/eventsource_stream` reads the same response
//! body with reqwest and eventsource-stream 0.2.3, which only parses. Both
//! count the events they deliver and check the count.
//!
//! `long_line/typed/{1,5,10}MB` time one event whose `data` line is that
//! long, to show that parsing time grows linearly with the line.
//! `long_line/eventsource_stream/5MB` reads the 5 MB body through
//! eventsource-stream, for comparison.
//!
//! `event_stream_ratio/typed_over_eventsource_stream` takes the same
//! comparison side by side: typed time over eventsource-stream time within
//! each sample (see [`support::Ratio`]).
//!
//! Both sides read what hyper hands over from the socket, so the chunk
//! sizes are not fixed; the throughput benchmark prints how many chunks the
//! body arrived in on one extra read.

mod support;

use std::time::Duration;

use criterion::{
    criterion_group, criterion_main, BenchmarkId, Criterion, SamplingMode, Throughput,
};
use eventsource_stream::Eventsource;
use futures::StreamExt;
use kataven::events::StreamItem;
use support::{Ratio, Server};

/// Events in the throughput body, the `end` marker included.
const EVENTS: u64 = 20_000;

/// The campaign id whose events route returns the throughput body.
const THROUGHPUT_ID: &str = "cmp_throughput";

const MEGABYTE: usize = 1_000_000;

/// Reads the stream through the SDK and returns the events delivered,
/// heartbeats left out.
async fn typed_events(campaigns: &kataven::Campaigns, campaign_id: &str) -> u64 {
    let mut stream = campaigns.stream_events(campaign_id).expect("stream_events");
    let mut events = 0;
    while let Some(item) = stream.next().await {
        match item.expect("stream item") {
            StreamItem::Heartbeat(_) => {}
            _ => events += 1,
        }
    }
    events
}

/// Reads the same body with reqwest and eventsource-stream and returns the
/// events delivered.
async fn raw_events(http: &reqwest::Client, url: &str) -> u64 {
    let response = http
        .get(url)
        .header(reqwest::header::USER_AGENT, support::USER_AGENT)
        .bearer_auth(support::API_KEY)
        .header(reqwest::header::ACCEPT, "text/event-stream")
        .header(reqwest::header::CACHE_CONTROL, "no-cache")
        .header("api-version", support::API_VERSION)
        .send()
        .await
        .expect("raw GET")
        .error_for_status()
        .expect("raw GET status");
    let mut stream = response.bytes_stream().eventsource();
    let mut events = 0;
    while let Some(event) = stream.next().await {
        event.expect("eventsource-stream event");
        events += 1;
    }
    events
}

fn events_url(server: &Server, campaign_id: &str) -> String {
    format!("{}/api/v1/campaigns/{campaign_id}/events", server.url)
}

fn throughput(c: &mut Criterion) {
    let body = support::event_stream_body(EVENTS);
    let body_len = body.len() as u64;
    let server = Server::start(vec![(THROUGHPUT_ID.to_owned(), body)]);
    let runtime = support::client_runtime();
    let campaigns = support::sdk_client(&server, support::http_client()).campaigns();
    let http = support::http_client();
    let url = events_url(&server, THROUGHPUT_ID);

    let mut group = c.benchmark_group("event_stream");
    group.throughput(Throughput::Elements(EVENTS));
    group.sample_size(20);
    group.bench_function("typed", |b| {
        b.to_async(&runtime).iter(|| async {
            assert_eq!(typed_events(&campaigns, THROUGHPUT_ID).await, EVENTS);
        });
    });
    group.bench_function("eventsource_stream", |b| {
        b.to_async(&runtime).iter(|| async {
            assert_eq!(raw_events(&http, &url).await, EVENTS);
        });
    });
    group.finish();

    let chunks = runtime.block_on(count_chunks(&http, &url));
    println!(
        "event_stream: body of {body_len} bytes, {EVENTS} events, read in {chunks} chunks \
         ({} bytes a chunk on average)",
        body_len / chunks.max(1)
    );
}

/// Reads the body once and returns how many chunks reqwest delivered.
async fn count_chunks(http: &reqwest::Client, url: &str) -> u64 {
    let response = http.get(url).send().await.expect("raw GET");
    let mut body = response.bytes_stream();
    let mut chunks = 0;
    while let Some(chunk) = body.next().await {
        chunk.expect("body chunk");
        chunks += 1;
    }
    chunks
}

fn long_line(c: &mut Criterion) {
    let sizes = [MEGABYTE, 5 * MEGABYTE, 10 * MEGABYTE];
    let routes = sizes
        .iter()
        .map(|&size| (format!("cmp_line_{size}"), support::long_line_body(size)))
        .collect();
    let server = Server::start(routes);
    let runtime = support::client_runtime();
    // The default limit of 1 MiB per event would end the stream.
    let campaigns = support::sdk_builder(&server, support::http_client())
        .max_event_bytes(16 * 1024 * 1024)
        .build()
        .expect("SDK client")
        .campaigns();
    let http = support::http_client();

    let mut group = c.benchmark_group("long_line");
    group.sample_size(10);
    for size in sizes {
        let campaign_id = format!("cmp_line_{size}");
        group.throughput(Throughput::Bytes(size as u64));
        group.bench_with_input(
            BenchmarkId::new("typed", format!("{}MB", size / MEGABYTE)),
            &campaign_id,
            |b, campaign_id| {
                // The note event and the end marker.
                b.to_async(&runtime).iter(|| async {
                    assert_eq!(typed_events(&campaigns, campaign_id).await, 2);
                });
            },
        );
    }

    let size = 5 * MEGABYTE;
    let url = events_url(&server, &format!("cmp_line_{size}"));
    group.throughput(Throughput::Bytes(size as u64));
    group.bench_function(BenchmarkId::new("eventsource_stream", "5MB"), |b| {
        // eventsource-stream drops the end marker, which has no data.
        b.to_async(&runtime).iter(|| async {
            assert_eq!(raw_events(&http, &url).await, 1);
        });
    });
    group.finish();
}

fn throughput_ratio(c: &mut Criterion<Ratio>) {
    let server = Server::start(vec![(
        THROUGHPUT_ID.to_owned(),
        support::event_stream_body(EVENTS),
    )]);
    let runtime = support::client_runtime();
    let campaigns = support::sdk_client(&server, support::http_client()).campaigns();
    let http = support::http_client();
    let url = events_url(&server, THROUGHPUT_ID);

    let mut group = c.benchmark_group("event_stream_ratio");
    group.sample_size(10);
    group.sampling_mode(SamplingMode::Flat);
    group.measurement_time(Duration::from_secs(8));
    group.bench_function("typed_over_eventsource_stream", |b| {
        b.to_async(&runtime).iter_custom(|iters| {
            support::ratio_of(
                iters,
                || async { assert_eq!(typed_events(&campaigns, THROUGHPUT_ID).await, EVENTS) },
                || async { assert_eq!(raw_events(&http, &url).await, EVENTS) },
            )
        });
    });
    group.finish();
}

criterion_group! {
    name = absolute;
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5));
    targets = throughput, long_line
}
criterion_group! {
    name = side_by_side;
    config = support::ratio_criterion();
    targets = throughput_ratio
}
criterion_main!(absolute, side_by_side);
