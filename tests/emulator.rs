//! The SDK against the local Hub emulator: the whole campaign lifecycle.

use std::time::Duration;

use futures::{StreamExt, TryStreamExt};
use kataven::events::StreamItem;
use kataven::models::{CampaignProgress, CampaignStatus, ContactStatus};
use kataven::{Client, Contacts};
use kataven_emulator::{Emulator, EmulatorConfig};

async fn hub(time_scale: f64) -> (Emulator, Client) {
    let emulator = Emulator::start(EmulatorConfig::default().time_scale(time_scale).seed(7))
        .await
        .expect("start the emulator");
    let client = Client::builder()
        .api_key(emulator.api_key())
        .base_url(emulator.url())
        .max_reconnect_delay(Duration::from_millis(20))
        .build()
        .expect("client");
    (emulator, client)
}

fn contacts_csv(count: usize) -> Vec<u8> {
    let mut csv = String::from("phone_number,first_name,row\n");
    for index in 0..count {
        csv.push_str(&format!(
            "+1202555{:04},Name {index},{index}\n",
            index % 10_000
        ));
    }
    csv.into_bytes()
}

/// Polls `get` until `done` holds; the bound only guards against a hang.
async fn wait_for(
    client: &Client,
    id: &str,
    done: impl Fn(&kataven::models::Campaign) -> bool,
) -> kataven::models::Campaign {
    for _ in 0..3000 {
        let campaign = client.campaigns().get(id).await.unwrap();
        if done(&campaign) {
            return campaign;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("campaign {id} never reached the expected state");
}

fn in_flight(progress: &CampaignProgress) -> i64 {
    progress.dialing + progress.in_progress
}

#[tokio::test]
async fn full_lifecycle() {
    let (_emulator, client) = hub(20_000.0).await;
    let campaigns = client.campaigns();
    let created = campaigns
        .create(
            "Lifecycle",
            "agt_1",
            "pn_1",
            Contacts::from_bytes(contacts_csv(40)),
        )
        .max_concurrent_calls(8)
        .retries_per_contact(1)
        .retry_delay_seconds(60)
        .await
        .unwrap();
    assert_eq!(created.status, CampaignStatus::Draft);
    assert_eq!(created.progress.total, 40);
    assert_eq!(created.progress.pending, 40);
    assert!(campaigns
        .list()
        .await
        .unwrap()
        .iter()
        .any(|c| c.id == created.id));

    let started = campaigns.start(&created.id).await.unwrap();
    assert_eq!(started.status, CampaignStatus::Running);
    let done = wait_for(&client, &created.id, |c| c.status.is_terminal()).await;
    assert_eq!(done.status, CampaignStatus::Completed);
    assert_eq!(done.progress.finished(), 40);

    let error = campaigns.start(&created.id).await.unwrap_err();
    assert!(error.is_invalid_transition(), "{error}");
    campaigns.delete(&created.id).await.unwrap();
    assert!(campaigns.get(&created.id).await.unwrap_err().is_not_found());
}

#[tokio::test]
async fn pause_stops_dialling_until_resumed() {
    let (_emulator, client) = hub(200.0).await;
    let campaigns = client.campaigns();
    let campaign = campaigns
        .create(
            "Pause",
            "agt_1",
            "pn_1",
            Contacts::from_bytes(contacts_csv(30)),
        )
        .max_concurrent_calls(2)
        .await
        .unwrap();
    campaigns.start(&campaign.id).await.unwrap();
    let paused = campaigns.pause(&campaign.id).await.unwrap();
    assert_eq!(paused.status, CampaignStatus::Paused);
    assert!(campaigns
        .pause(&campaign.id)
        .await
        .unwrap_err()
        .is_invalid_transition());

    let drained = wait_for(&client, &campaign.id, |c| in_flight(&c.progress) == 0).await;
    assert_eq!(drained.status, CampaignStatus::Paused);
    assert!(drained.progress.pending > 0, "{:?}", drained.progress);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let later = campaigns.get(&campaign.id).await.unwrap();
    assert_eq!(
        later.progress.pending, drained.progress.pending,
        "no new dials while paused"
    );

    let resumed = campaigns.resume(&campaign.id).await.unwrap();
    assert_eq!(resumed.status, CampaignStatus::Running);
    campaigns.stop(&campaign.id).await.unwrap();
}

#[tokio::test]
async fn stop_cancels_pending_contacts() {
    let (_emulator, client) = hub(200.0).await;
    let campaigns = client.campaigns();
    let campaign = campaigns
        .create(
            "Stop",
            "agt_1",
            "pn_1",
            Contacts::from_bytes(contacts_csv(25)),
        )
        .max_concurrent_calls(2)
        .await
        .unwrap();
    campaigns.start(&campaign.id).await.unwrap();
    let stopped = campaigns.stop(&campaign.id).await.unwrap();
    assert_eq!(stopped.status, CampaignStatus::Stopped);
    assert!(campaigns
        .resume(&campaign.id)
        .await
        .unwrap_err()
        .is_invalid_transition());
    assert!(campaigns
        .stop(&campaign.id)
        .await
        .unwrap_err()
        .is_invalid_transition());

    let settled = wait_for(&client, &campaign.id, |c| in_flight(&c.progress) == 0).await;
    assert_eq!(settled.progress.pending, 0);
    assert!(settled.progress.cancelled >= 21, "{:?}", settled.progress);
    let cancelled: Vec<_> = campaigns
        .list_contacts(&campaign.id)
        .status(ContactStatus::Cancelled)
        .into_stream()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(cancelled.len() as i64, settled.progress.cancelled);
}

#[tokio::test]
async fn delete_refused_while_running() {
    let (_emulator, client) = hub(50.0).await;
    let campaigns = client.campaigns();
    let campaign = campaigns
        .create(
            "Delete",
            "agt_1",
            "pn_1",
            Contacts::from_bytes(contacts_csv(20)),
        )
        .max_concurrent_calls(1)
        .await
        .unwrap();
    campaigns.start(&campaign.id).await.unwrap();
    let error = campaigns.delete(&campaign.id).await.unwrap_err();
    assert!(error.is_campaign_running(), "{error}");
    assert!(error.to_string().contains("pause or stop"), "{error}");

    campaigns.stop(&campaign.id).await.unwrap();
    campaigns.delete(&campaign.id).await.unwrap();
    assert!(campaigns
        .get(&campaign.id)
        .await
        .unwrap_err()
        .is_not_found());
}

#[tokio::test]
async fn paging_through_1000_contacts() {
    let (_emulator, client) = hub(20_000.0).await;
    let campaigns = client.campaigns();
    let campaign = campaigns
        .create(
            "Paging",
            "agt_1",
            "pn_1",
            Contacts::from_bytes(contacts_csv(1000)),
        )
        .await
        .unwrap();

    let first = campaigns.list_contacts(&campaign.id).await.unwrap();
    assert_eq!(first.items.len(), 100);
    assert_eq!(first.total, 1000);
    assert!(first.has_more);
    let last = campaigns.list_contacts(&campaign.id).page(9).await.unwrap();
    assert_eq!(last.items.len(), 100);
    assert!(!last.has_more);

    let all: Vec<_> = campaigns
        .list_contacts(&campaign.id)
        .into_stream()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(all.len(), 1000);
    for (index, contact) in all.iter().enumerate() {
        assert_eq!(
            contact.custom_fields["row"],
            index.to_string(),
            "upload order"
        );
        assert_eq!(
            contact.phone_number,
            format!("+1202555{:04}", index % 10_000)
        );
    }
    let pending: Vec<_> = campaigns
        .list_contacts(&campaign.id)
        .status(ContactStatus::Pending)
        .into_stream()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(pending.len(), 1000);
    let completed = campaigns
        .list_contacts(&campaign.id)
        .status(ContactStatus::Completed)
        .await
        .unwrap();
    assert_eq!(completed.total, 0);
    assert!(completed.items.is_empty());
}

#[tokio::test]
async fn concurrency_cap_respected() {
    let (emulator, client) = hub(5_000.0).await;
    let campaigns = client.campaigns();
    let campaign = campaigns
        .create(
            "Cap",
            "agt_1",
            "pn_1",
            Contacts::from_bytes(contacts_csv(120)),
        )
        .max_concurrent_calls(3)
        .await
        .unwrap();
    campaigns.start(&campaign.id).await.unwrap();
    wait_for(&client, &campaign.id, |c| c.status.is_terminal()).await;
    let stats = emulator.stats();
    let max = stats.max_concurrent_calls_per_campaign[&campaign.id];
    assert!(max <= 3, "{max} calls in flight at once");
    assert!(max >= 1);
}

/// The counts the stream reports at the end agree with the contacts.
#[tokio::test]
async fn stream_counts_match_contacts() {
    let (_emulator, client) = hub(5_000.0).await;
    let campaigns = client.campaigns();
    let campaign = campaigns
        .create(
            "Stream",
            "agt_1",
            "pn_1",
            Contacts::from_bytes(contacts_csv(200)),
        )
        .max_concurrent_calls(20)
        .retries_per_contact(1)
        .retry_delay_seconds(60)
        .await
        .unwrap();
    let mut events = campaigns.stream_events(&campaign.id).unwrap();
    campaigns.start(&campaign.id).await.unwrap();

    let mut last_id = 0u64;
    let mut summary = None;
    while let Some(item) = events.next().await {
        let item = item.unwrap();
        if let Some(id) = item.raw().and_then(|raw| raw.id.as_deref()) {
            let id: u64 = id.parse().unwrap();
            assert_eq!(id, last_id + 1, "consecutive ids");
            last_id = id;
        }
        if let StreamItem::End(end) = item {
            summary = end.summary;
        }
    }
    let summary = summary.expect("an end summary");
    assert_eq!(summary.status, CampaignStatus::Completed);

    let contacts: Vec<_> = campaigns
        .list_contacts(&campaign.id)
        .into_stream()
        .try_collect()
        .await
        .unwrap();
    let count =
        |status: ContactStatus| contacts.iter().filter(|c| c.status == status).count() as i64;
    let progress = summary.progress;
    assert_eq!(progress.total, 200);
    assert_eq!(progress.completed, count(ContactStatus::Completed));
    assert_eq!(progress.no_answer, count(ContactStatus::NoAnswer));
    assert_eq!(progress.busy, count(ContactStatus::Busy));
    assert_eq!(progress.failed, count(ContactStatus::Failed));
    assert_eq!(progress.finished(), 200);
}

/// A stream cut many times still delivers every event once, in order.
#[tokio::test]
async fn cut_streams_lose_nothing() {
    let (emulator, client) = hub(5_000.0).await;
    let campaigns = client.campaigns();
    let campaign = campaigns
        .create(
            "Cuts",
            "agt_1",
            "pn_1",
            Contacts::from_bytes(contacts_csv(100)),
        )
        .max_concurrent_calls(10)
        .await
        .unwrap();
    emulator.faults().cut_streams_after(Some(7));
    let mut events = campaigns
        .stream_events(&campaign.id)
        .unwrap()
        .max_reconnects(1000);
    campaigns.start(&campaign.id).await.unwrap();
    let mut ids = Vec::new();
    while let Some(item) = events.next().await {
        if let Some(id) = item.unwrap().raw().and_then(|raw| raw.id.clone()) {
            ids.push(id.parse::<u64>().unwrap());
        }
    }
    let expected: Vec<u64> = (1..=ids.len() as u64).collect();
    assert_eq!(ids, expected);
    assert!(
        events.reconnects() > 5,
        "{} reconnects",
        events.reconnects()
    );
}

#[tokio::test]
async fn wrong_key_rejected() {
    let (emulator, _) = hub(1_000.0).await;
    let client = Client::builder()
        .api_key("kv_wrong")
        .base_url(emulator.url())
        .build()
        .unwrap();
    let error = client.campaigns().list().await.unwrap_err();
    assert!(error.is_unauthorized(), "{error}");
    assert!(error.request_id().is_some());
}
