//! An event stream cut at random byte offsets hundreds of times during a
//! long campaign still delivers every event once, in order.
//!
//! The stream goes through a proxy that ends each connection after a
//! random number of response bytes, drawn from a seeded generator, so the
//! cuts fall inside the response head, the chunked framing, and the
//! Server-Sent Events frames. On a share of the reconnects the proxy also
//! lowers `Last-Event-ID`, so the Hub sends again events the client has
//! already delivered, which the client must skip. The events delivered are
//! compared with the same campaign's stream read afterwards without faults.
//!
//! `cargo test --test stream_faults -- --nocapture` prints the figures.

mod fault_support;

use std::collections::HashSet;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use futures::StreamExt;
use kataven::events::{RawEvent, StreamItem};
use kataven::{Client, Contacts};
use kataven_emulator::{Emulator, EmulatorConfig};

use fault_support::proxy::{Fault, FaultProxy, Plan};
use fault_support::{contacts_csv, WarnCounter};

const SEED: u64 = 20_261_202;
/// Campaigns streamed at once, each through its own proxy and seed.
const CAMPAIGNS: u64 = 3;
const CONTACTS: usize = 300;
/// Each connection is cut after a random number of bytes below this.
const MAX_CUT_BYTES: usize = 4096;
/// Connections that are cut; later ones pass, which bounds the test.
const CUT_CONNECTIONS: u64 = 2000;
/// The bound on the whole stream, which only guards against a hang.
const STREAM_TIMEOUT: Duration = Duration::from_secs(120);

/// Plans the faults of one campaign's stream from `seed`: every
/// connection is cut after a random number of bytes, and one reconnect in
/// four resumes up to 40 events too early.
fn cut_planner(seed: u64) -> impl FnMut(&fault_support::proxy::Head) -> Plan + Send {
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut connections = 0u64;
    move |_| {
        connections += 1;
        if connections > CUT_CONNECTIONS {
            return Plan::pass();
        }
        Plan {
            fault: Fault::CutAfter(rng.usize(0..MAX_CUT_BYTES)),
            rewind_events: (rng.u8(0..4) == 0).then(|| rng.u64(1..=40)),
        }
    }
}

/// What one campaign's cut stream delivered, and the figures about it.
struct Outcome {
    events: Vec<RawEvent>,
    reconnects: u32,
    cuts: u64,
    rewinds: u64,
}

/// Creates and starts a campaign, streams its events through a cutting
/// proxy while it runs, and returns the events delivered.
async fn stream_with_cuts(emulator: &Emulator, direct: &Client, index: u64) -> Outcome {
    let proxy = FaultProxy::start(emulator.local_addr(), cut_planner(SEED + index)).await;
    let through_proxy = Client::builder()
        .api_key(emulator.api_key())
        .base_url(&proxy.url)
        .max_reconnect_delay(Duration::from_millis(1))
        .build()
        .expect("client");

    let campaigns = direct.campaigns();
    let csv = contacts_csv(CONTACTS, &format!("Stream {index}"));
    let campaign = campaigns
        .create(
            format!("Stream {index}"),
            "agt_1",
            "pn_1",
            Contacts::from_bytes(csv),
        )
        .max_concurrent_calls(10)
        .retries_per_contact(1)
        .retry_delay_seconds(60)
        .await
        .unwrap();
    let mut stream = through_proxy
        .campaigns()
        .stream_events(&campaign.id)
        .unwrap()
        .max_reconnects(200);

    // The first poll connects; the campaign starts while the stream is open.
    let first = stream.next().await;
    campaigns.start(&campaign.id).await.unwrap();
    let rest = tokio::time::timeout(STREAM_TIMEOUT, stream.by_ref().collect::<Vec<_>>())
        .await
        .expect("the stream ends");

    let mut events = Vec::new();
    for (position, item) in first.into_iter().chain(rest).enumerate() {
        let item = item.unwrap_or_else(|error| panic!("item {position} is an error: {error}"));
        if let StreamItem::Unrecognized(event) = &item {
            panic!("item {position} is not a Hub event: {event:?}");
        }
        if let Some(raw) = item.raw() {
            events.push(raw.clone());
        }
    }
    Outcome {
        events,
        reconnects: stream.reconnects(),
        cuts: proxy.stats.responses_cut.load(Ordering::SeqCst),
        rewinds: proxy.stats.rewinds.load(Ordering::SeqCst),
    }
}

/// Reads a finished campaign's whole stream without faults.
async fn reference_events(client: &Client, campaign_id: &str) -> Vec<RawEvent> {
    let stream = client.campaigns().stream_events(campaign_id).unwrap();
    let items = tokio::time::timeout(STREAM_TIMEOUT, stream.collect::<Vec<_>>())
        .await
        .expect("the stream ends");
    items
        .into_iter()
        .filter_map(|item| item.unwrap().raw().cloned())
        .collect()
}

fn numeric_id(event: &RawEvent) -> u64 {
    event
        .id
        .as_deref()
        .and_then(|id| id.parse().ok())
        .unwrap_or_else(|| panic!("event without a numeric id: {event:?}"))
}

#[tokio::test]
async fn cut_streams_deliver_every_event_once() {
    let counter = WarnCounter::default();
    let _logs = counter.install();
    let started = Instant::now();
    let config = EmulatorConfig::default()
        .time_scale(1_000.0)
        .seed(21)
        .heartbeat_interval(Duration::from_millis(25));
    let emulator = Emulator::start(config).await.expect("start the emulator");
    let direct = Client::builder()
        .api_key(emulator.api_key())
        .base_url(emulator.url())
        .build()
        .expect("client");

    let outcomes = futures::future::join_all(
        (0..CAMPAIGNS).map(|index| stream_with_cuts(&emulator, &direct, index)),
    )
    .await;

    let (mut events, mut duplicates, mut lost, mut cuts, mut rewinds, mut reconnects) =
        (0u64, 0u64, 0u64, 0u64, 0u64, 0u64);
    for (index, outcome) in outcomes.iter().enumerate() {
        let delivered = &outcome.events;
        let last = delivered.last().expect("at least the end event");
        assert_eq!(
            last.event.as_deref(),
            Some("end"),
            "campaign {index}: the last event"
        );
        let campaign_id = serde_json::from_str::<serde_json::Value>(&last.data).unwrap()
            ["campaign_id"]
            .as_str()
            .expect("the end event names its campaign")
            .to_owned();

        let ids: Vec<u64> = delivered.iter().map(numeric_id).collect();
        let distinct: HashSet<u64> = ids.iter().copied().collect();
        let end_id = numeric_id(last);
        duplicates += (ids.len() - distinct.len()) as u64;
        lost += end_id - distinct.len() as u64;
        if let Some(position) = (0..ids.len()).find(|&i| ids[i] != i as u64 + 1) {
            panic!(
                "campaign {index}: event {position} has id {}, expected {}; {} duplicates, {} \
                 events lost",
                ids[position],
                position + 1,
                ids.len() - distinct.len(),
                end_id - distinct.len() as u64
            );
        }
        assert_eq!(
            ids.len() as u64,
            end_id,
            "campaign {index}: events delivered"
        );

        let reference = reference_events(&direct, &campaign_id).await;
        assert_eq!(delivered.len(), reference.len(), "campaign {index}: events");
        if let Some((position, (got, logged))) = delivered
            .iter()
            .zip(&reference)
            .enumerate()
            .find(|(_, (got, logged))| got != logged)
        {
            panic!("campaign {index}: event {position} is {got:?}, the Hub logged {logged:?}");
        }

        assert!(
            outcome.cuts >= 100,
            "campaign {index}: only {} cuts",
            outcome.cuts
        );
        assert!(
            outcome.rewinds >= 10,
            "campaign {index}: only {} rewinds",
            outcome.rewinds
        );
        events += end_id;
        cuts += outcome.cuts;
        rewinds += outcome.rewinds;
        reconnects += u64::from(outcome.reconnects);
    }

    println!(
        "figures streams: {CAMPAIGNS} campaigns, {events} events, {cuts} cuts, {rewinds} rewound \
         resumptions, {reconnects} reconnects ({} reconnect attempts logged), {duplicates} \
         duplicates, {lost} events lost, {:.1} s",
        counter.reconnects(),
        started.elapsed().as_secs_f64()
    );
}
