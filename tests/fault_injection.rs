//! Thousands of calls against the emulator while a share of them get 429 or
//! 5XX, lose their connection, lose their response after the Hub acted, or
//! get a slow response: every call succeeds within its retry budget, and no
//! campaign is created twice.
//!
//! The suite is deterministic by construction. Calls run one at a time, and
//! before each call the test draws the call's faults from a seeded
//! generator and arms them: in the emulator (`reset_next`, `fail_next`,
//! `delay_responses`), whose faults hit the next requests, and in the
//! proxy, whose faults hit the next connections. Every fault therefore
//! lands on an attempt of that call, no call meets more than `MAX_RETRIES`
//! faults, and the number of attempts each call makes is known in advance.
//! The test checks it against the emulator's request counter and against
//! the retries the SDK logged. Retry delays, `Retry-After` included, are
//! capped at a few milliseconds, so the time goes into requests.
//!
//! `cargo test --test fault_injection -- --nocapture` prints the figures.

mod fault_support;

use std::collections::{HashSet, VecDeque};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use kataven::models::CampaignStatus;
use kataven::{Campaigns, Client, Contacts, RetryPolicy};
use kataven_emulator::{Emulator, EmulatorConfig};

use fault_support::proxy::{Fault, FaultProxy};
use fault_support::{contacts_csv, WarnCounter};

const SEED: u64 = 20_261_201;
/// The retry budget of every call, and the most faults a call meets.
const MAX_RETRIES: u32 = 3;
const READ_CALLS: usize = 3000;
const CREATES: usize = 300;
const TRANSITIONS: usize = 300;
/// Contacts of each campaign that the reads suite lists.
const READ_CONTACTS: i64 = 250;
/// The per-attempt timeout of calls through the proxy; a stalled response
/// takes `STALL` and so times out.
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(1);
const STALL: Duration = Duration::from_secs(3);

fn policy() -> RetryPolicy {
    RetryPolicy::default()
        .max_retries(MAX_RETRIES)
        .base_delay(Duration::from_millis(1))
        .max_delay(Duration::from_millis(4))
}

/// Starts a Hub whose simulated calls take real time, so that a started
/// campaign stays running for the whole test.
async fn slow_hub(seed: u64) -> Emulator {
    Emulator::start(EmulatorConfig::default().time_scale(1.0).seed(seed))
        .await
        .expect("start the emulator")
}

fn client(base_url: &str, api_key: &str) -> Client {
    Client::builder()
        .api_key(api_key)
        .base_url(base_url)
        .retry_policy(policy())
        .request_timeout(ATTEMPT_TIMEOUT)
        .upload_timeout(ATTEMPT_TIMEOUT)
        .build()
        .expect("client")
}

/// Draws how many attempts of a call fail: none for 70% of the calls, one for
/// 15%, two for 10% and `MAX_RETRIES` for 5%.
fn fault_count(rng: &mut fastrand::Rng) -> u32 {
    match rng.u32(0..100) {
        0..70 => 0,
        70..85 => 1,
        85..95 => 2,
        _ => MAX_RETRIES,
    }
}

/// Makes the emulator fail its next `count` requests with one status:
/// 429 or 503 with `Retry-After` as the spec requires, or 500, 502 or 504
/// without it.
fn arm_failures(emulator: &Emulator, rng: &mut fastrand::Rng, count: u32) {
    if count == 0 {
        return;
    }
    let status = [429, 503, 429, 503, 500, 502, 504][rng.usize(0..7)];
    let retry_after = matches!(status, 429 | 503).then(|| retry_after_value(rng));
    emulator.faults().fail_next(count, status, retry_after);
}

/// Draws a `Retry-After` value: delay seconds or an HTTP date, in the future or
/// the past. The policy caps every one at 4 ms.
fn retry_after_value(rng: &mut fastrand::Rng) -> String {
    let offset = Duration::from_secs(rng.u64(1..=3));
    match rng.u8(0..4) {
        0 => "0".to_owned(),
        1 => offset.as_secs().to_string(),
        2 => httpdate::fmt_http_date(SystemTime::now() + offset),
        _ => httpdate::fmt_http_date(SystemTime::now() - offset),
    }
}

/// Pauses a running campaign or resumes a paused one, and checks that the
/// call returns the campaign in its new status.
async fn toggle(
    campaigns: &Campaigns,
    id: &str,
    status: &mut CampaignStatus,
) -> kataven::Result<()> {
    let (campaign, expected) = if *status == CampaignStatus::Running {
        (campaigns.pause(id).await?, CampaignStatus::Paused)
    } else {
        (campaigns.resume(id).await?, CampaignStatus::Running)
    };
    assert_eq!(campaign.status, expected);
    *status = expected;
    Ok(())
}

/// Prints one suite's figures; `cargo test -- --nocapture` shows them.
fn print_figures(
    suite: &str,
    calls: usize,
    faults: u64,
    retries: u64,
    extra: &str,
    started: Instant,
) {
    println!(
        "figures {suite}: {calls} calls, 0 failed, {faults} faults injected, {retries} retries{extra}, \
         {:.1} s",
        started.elapsed().as_secs_f64()
    );
}

/// Gets, lists, contact pages and pause/resume while the emulator fails,
/// resets and slows a share of the requests.
#[tokio::test]
async fn reads_and_transitions_survive_faults() {
    let counter = WarnCounter::default();
    let _logs = counter.install();
    let started = Instant::now();
    let emulator = slow_hub(11).await;
    let client = client(&emulator.url(), emulator.api_key());
    let campaigns = client.campaigns();

    let mut ids = Vec::new();
    for index in 0..4 {
        let csv = contacts_csv(READ_CONTACTS as usize, "Reads");
        let campaign = campaigns
            .create(
                format!("Reads {index}"),
                "agt_1",
                "pn_1",
                Contacts::from_bytes(csv),
            )
            .max_concurrent_calls(1)
            .await
            .unwrap();
        ids.push(campaign.id);
    }
    let live = ids[0].clone();
    campaigns.start(&live).await.unwrap();
    let mut live_status = CampaignStatus::Running;

    let mut rng = fastrand::Rng::with_seed(SEED);
    let faults_before = emulator.stats().faults_injected;
    let retries_before = counter.retries();
    let mut planned = 0u64;
    for call in 0..READ_CALLS {
        let faults = fault_count(&mut rng);
        let resets = rng.u32(0..=faults);
        emulator.faults().reset_next(resets);
        arm_failures(&emulator, &mut rng, faults - resets);
        let slow = rng.u8(0..10) == 0;
        if slow {
            let delay = Duration::from_millis(rng.u64(1..=5));
            emulator.faults().delay_responses(delay);
        }
        let requests_before = emulator.stats().requests;
        let retries_before_call = counter.retries();

        let id = ids[rng.usize(0..ids.len())].as_str();
        let (operation, outcome) = match rng.u8(0..100) {
            0..35 => ("get", campaigns.get(id).await.map(|c| assert_eq!(c.id, id))),
            35..50 => (
                "list",
                campaigns
                    .list()
                    .await
                    .map(|all| assert_eq!(all.len(), ids.len())),
            ),
            50..80 => {
                let page = rng.u64(0..3);
                let outcome = campaigns.list_contacts(id).page(page).await;
                (
                    "list_contacts",
                    outcome.map(|page| assert_eq!(page.total, READ_CONTACTS)),
                )
            }
            _ => (
                "pause/resume",
                toggle(&campaigns, &live, &mut live_status).await,
            ),
        };
        if let Err(error) = outcome {
            panic!("call {call} ({operation}) with {faults} faults failed: {error}");
        }
        if slow {
            emulator.faults().delay_responses(Duration::ZERO);
        }

        let attempts = emulator.stats().requests - requests_before;
        assert_eq!(
            attempts,
            u64::from(faults) + 1,
            "call {call} ({operation}): attempts"
        );
        let retries = counter.retries() - retries_before_call;
        assert_eq!(
            retries,
            u64::from(faults),
            "call {call} ({operation}): retries logged"
        );
        planned += u64::from(faults);
    }

    let injected = emulator.stats().faults_injected - faults_before;
    assert_eq!(injected, planned, "faults the emulator injected");
    let retries = counter.retries() - retries_before;
    print_figures("reads", READ_CALLS, injected, retries, "", started);
}

/// One fault of a create attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CreateFault {
    /// The emulator drops the connection before reading the request.
    Reset,
    /// The emulator returns 429 or 5XX.
    Status,
    /// The emulator creates the campaign and the proxy loses the response.
    Lost,
    /// The emulator creates the campaign and the proxy delays the response
    /// past the attempt's timeout.
    Stalled,
}

/// Creates through the proxy while attempts are reset, failed, or lose
/// their response after the campaign was created: each create returns one
/// campaign, every attempt sends the same idempotency key, and the Hub
/// stores exactly one campaign per create.
#[tokio::test]
async fn creates_never_duplicate() {
    let counter = WarnCounter::default();
    let _logs = counter.install();
    let started = Instant::now();
    let emulator = slow_hub(12).await;
    let queue = Arc::new(Mutex::new(VecDeque::new()));
    let proxy = FaultProxy::with_queue(emulator.local_addr(), Arc::clone(&queue)).await;
    let client = client(&proxy.url, emulator.api_key());
    let campaigns = client.campaigns();

    let mut rng = fastrand::Rng::with_seed(SEED ^ 1);
    let mut campaign_ids = HashSet::new();
    let mut keys = HashSet::new();
    let mut planned = 0u64;
    for create in 0..CREATES {
        let faults: Vec<CreateFault> = (0..fault_count(&mut rng))
            .map(|_| match rng.u8(0..100) {
                0..30 => CreateFault::Reset,
                30..60 => CreateFault::Status,
                60..97 => CreateFault::Lost,
                _ => CreateFault::Stalled,
            })
            .collect();
        let count = |kind| faults.iter().filter(|&&fault| fault == kind).count() as u32;
        let (resets, failures) = (count(CreateFault::Reset), count(CreateFault::Status));

        // The emulator's faults hit the first attempts, resets before
        // failures, so the proxy passes those and faults the attempts after.
        emulator.faults().reset_next(resets);
        arm_failures(&emulator, &mut rng, failures);
        {
            let mut queue = queue.lock().unwrap();
            queue.extend((0..resets + failures).map(|_| Fault::Pass));
            for fault in &faults {
                match fault {
                    CreateFault::Lost => queue.push_back(Fault::LoseResponse),
                    CreateFault::Stalled => queue.push_back(Fault::Stall(STALL)),
                    CreateFault::Reset | CreateFault::Status => {}
                }
            }
        }
        let requests_before = emulator.stats().requests;
        let retries_before = counter.retries();
        let heads_before = proxy.heads().len();

        let rows = rng.usize(1..=5);
        let csv = contacts_csv(rows, &format!("Create {create}"));
        let campaign = campaigns
            .create(
                format!("Create {create}"),
                "agt_1",
                "pn_1",
                Contacts::from_bytes(csv),
            )
            .await
            .unwrap_or_else(|error| {
                panic!("create {create} with faults {faults:?} failed: {error}")
            });
        assert_eq!(campaign.progress.total, rows as i64, "create {create}");
        assert!(
            campaign_ids.insert(campaign.id.clone()),
            "create {create}: id returned twice"
        );
        assert!(
            queue.lock().unwrap().is_empty(),
            "create {create}: proxy faults left"
        );

        let attempts = faults.len() as u64 + 1;
        assert_eq!(
            emulator.stats().requests - requests_before,
            attempts,
            "create {create}: attempts"
        );
        assert_eq!(
            counter.retries() - retries_before,
            attempts - 1,
            "create {create}: retries logged"
        );
        let heads = proxy.heads();
        let sent: HashSet<&str> = heads[heads_before..]
            .iter()
            .map(|head| head.header("idempotency-key").expect("an idempotency key"))
            .collect();
        assert_eq!(
            heads.len() - heads_before,
            attempts as usize,
            "create {create}: connections"
        );
        assert_eq!(
            sent.len(),
            1,
            "create {create}: every attempt sends the same key"
        );
        assert!(
            keys.insert(sent.into_iter().next().unwrap_or_default().to_owned()),
            "create {create}: key reused"
        );
        planned += faults.len() as u64;
    }

    let stats = emulator.stats();
    let duplicates = stats.campaigns_created.saturating_sub(CREATES as u64);
    assert_eq!(
        stats.campaigns_created, CREATES as u64,
        "campaigns the Hub created"
    );
    let listed = campaigns.list().await.unwrap();
    assert_eq!(listed.len(), CREATES, "campaigns the Hub lists");
    let injected = stats.faults_injected + proxy.stats.faults();
    assert_eq!(injected, planned, "faults injected");
    let extra = format!(
        ", {} responses lost and {} stalled after the Hub created the campaign, {duplicates} \
         duplicate campaigns",
        proxy.stats.responses_lost.load(Ordering::SeqCst),
        proxy.stats.responses_stalled.load(Ordering::SeqCst)
    );
    print_figures(
        "creates",
        CREATES,
        injected,
        counter.retries(),
        &extra,
        started,
    );
}

/// Pause and resume through the proxy while some attempts lose their
/// response after the Hub made the transition: the retry finds the
/// transition made (409 `invalid_transition`), the SDK reads the campaign,
/// and the call succeeds.
#[tokio::test]
async fn transitions_survive_lost_responses() {
    let counter = WarnCounter::default();
    let _logs = counter.install();
    let started = Instant::now();
    let emulator = slow_hub(13).await;
    let queue = Arc::new(Mutex::new(VecDeque::new()));
    let proxy = FaultProxy::with_queue(emulator.local_addr(), Arc::clone(&queue)).await;
    let client = client(&proxy.url, emulator.api_key());
    let campaigns = client.campaigns();
    let campaign = campaigns
        .create(
            "Transitions",
            "agt_1",
            "pn_1",
            Contacts::from_bytes(contacts_csv(200, "T")),
        )
        .max_concurrent_calls(1)
        .await
        .unwrap();
    campaigns.start(&campaign.id).await.unwrap();
    let mut status = CampaignStatus::Running;

    let mut rng = fastrand::Rng::with_seed(SEED ^ 2);
    let mut planned = 0u64;
    let mut lost_count = 0u64;
    for transition in 0..TRANSITIONS {
        let faults = fault_count(&mut rng);
        let lost = faults > 0 && rng.bool();
        let emulator_faults = faults - u32::from(lost);
        let resets = rng.u32(0..=emulator_faults);
        emulator.faults().reset_next(resets);
        arm_failures(&emulator, &mut rng, emulator_faults - resets);
        if lost {
            let mut queue = queue.lock().unwrap();
            queue.extend((0..emulator_faults).map(|_| Fault::Pass));
            queue.push_back(Fault::LoseResponse);
        }
        let requests_before = emulator.stats().requests;
        let retries_before = counter.retries();

        if let Err(error) = toggle(&campaigns, &campaign.id, &mut status).await {
            panic!("transition {transition} with {faults} faults (lost: {lost}) failed: {error}");
        }
        assert!(
            queue.lock().unwrap().is_empty(),
            "transition {transition}: proxy faults left"
        );

        // After a lost response, the retry gets 409, which is not retried,
        // and one GET reads the campaign.
        let expected = u64::from(faults) + 1 + u64::from(lost);
        let requests = emulator.stats().requests - requests_before;
        assert_eq!(requests, expected, "transition {transition}: requests");
        let retries = counter.retries() - retries_before;
        assert_eq!(
            retries,
            u64::from(faults),
            "transition {transition}: retries logged"
        );
        planned += u64::from(faults);
        lost_count += u64::from(lost);
    }

    let injected = emulator.stats().faults_injected + proxy.stats.faults();
    assert_eq!(injected, planned, "faults injected");
    let lost = proxy.stats.responses_lost.load(Ordering::SeqCst);
    assert_eq!(lost, lost_count, "responses the proxy lost");
    let extra = format!(", {lost_count} responses lost after the transition");
    print_figures(
        "transitions",
        TRANSITIONS,
        injected,
        counter.retries(),
        &extra,
        started,
    );
}
