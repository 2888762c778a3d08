//! The emulator's in-memory Hub: campaigns, their contacts and the tenant's counters.
//!
//! One mutex guards the whole [`Hub`]. Handlers, dispatchers and event
//! streams hold it only for short, non-blocking steps and never across an
//! `.await`, so the tenant-wide call cap and the per-campaign counts stay
//! consistent without finer locks.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap, HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use tokio::sync::{watch, Notify};
use tokio::task::AbortHandle;
use tokio::time::Instant;

use crate::config::EmulatorConfig;
use crate::events::EventLog;
use crate::faults::Faults;
use crate::idempotency::IdempotencyStore;
use crate::models::{
    CallOutcome, CampaignBody, CampaignProgress, CampaignStatus, ContactBody, ContactStatus,
    CustomFields, Timestamp,
};
use crate::simulation;

/// State shared by the server, the dispatchers and the event streams.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) config: EmulatorConfig,
    pub(crate) faults: Faults,
    hub: Mutex<Hub>,
    requests: AtomicU64,
    /// Set to `true` once the emulator shuts down, so that event streams end.
    pub(crate) shutdown: watch::Sender<bool>,
}

impl Shared {
    pub(crate) fn new(config: EmulatorConfig) -> Self {
        Self {
            config,
            faults: Faults::default(),
            hub: Mutex::new(Hub::default()),
            requests: AtomicU64::new(0),
            shutdown: watch::Sender::new(false),
        }
    }

    /// Locks the Hub. Every step under the lock keeps the Hub consistent, so a poisoned lock is used as is.
    pub(crate) fn lock_hub(&self) -> MutexGuard<'_, Hub> {
        self.hub.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Counts a request and returns its new, unique request id.
    pub(crate) fn begin_request(&self) -> String {
        let counter = self.requests.fetch_add(1, Ordering::Relaxed);
        simulation::request_id(self.config.seed, counter)
    }

    pub(crate) fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }
}

/// Waits until `shutdown` turns `true`, or forever once its sender is gone without a shutdown.
pub(crate) async fn wait_for_shutdown(shutdown: &mut watch::Receiver<bool>) {
    if shutdown.wait_for(|stopped| *stopped).await.is_err() {
        std::future::pending::<()>().await;
    }
}

/// The tenant's campaigns and counters.
#[derive(Debug, Default)]
pub(crate) struct Hub {
    pub(crate) campaigns: HashMap<String, CampaignRecord>,
    /// Creation index of the next campaign; it also orders the campaign list.
    pub(crate) next_index: u64,
    pub(crate) idempotency: IdempotencyStore,
    /// Calls in flight across all campaigns.
    pub(crate) tenant_in_flight: u32,
    pub(crate) counters: HubCounters,
}

/// Counters behind [`Stats`](crate::Stats).
#[derive(Debug, Default)]
pub(crate) struct HubCounters {
    pub(crate) campaigns_created: u64,
    pub(crate) calls_placed: u64,
    pub(crate) max_in_flight_per_campaign: BTreeMap<String, u32>,
    pub(crate) max_in_flight_tenant: u32,
}

/// A campaign's dial settings, validated at creation.
#[derive(Clone, Copy, Debug)]
pub(crate) struct DialSettings {
    pub(crate) max_concurrent_calls: u32,
    pub(crate) retries_per_contact: u32,
    pub(crate) retry_delay_seconds: u32,
}

/// One campaign and everything the Hub tracks about it.
#[derive(Debug)]
pub(crate) struct CampaignRecord {
    pub(crate) index: u64,
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) agent_id: String,
    pub(crate) phone_number_id: String,
    pub(crate) status: CampaignStatus,
    pub(crate) settings: DialSettings,
    pub(crate) scheduled_at: Option<Timestamp>,
    /// The real instant at which a `scheduled` campaign starts by itself.
    pub(crate) scheduled_start: Option<Instant>,
    pub(crate) created_at: Timestamp,
    pub(crate) updated_at: Timestamp,
    pub(crate) started_at: Option<Timestamp>,
    pub(crate) ended_at: Option<Timestamp>,
    /// The CSV's column names other than `phone_number`, in file order.
    pub(crate) column_names: Vec<String>,
    pub(crate) contacts: Vec<ContactRecord>,
    pub(crate) progress: CampaignProgress,
    /// Indexes of pending contacts due now, in dial order.
    pub(crate) ready: VecDeque<usize>,
    /// Pending contacts waiting for a retry, by due instant.
    pub(crate) retries: BinaryHeap<Reverse<(Instant, usize)>>,
    pub(crate) in_flight: u32,
    /// Set while the dispatcher waits for a tenant slot, so a freed slot wakes it.
    pub(crate) blocked_on_tenant: bool,
    /// Wakes the campaign's dispatcher after a change it must act on.
    pub(crate) wake: Arc<Notify>,
    pub(crate) dispatcher: Option<AbortHandle>,
    pub(crate) events: EventLog,
}

/// One contact of a campaign.
#[derive(Debug)]
pub(crate) struct ContactRecord {
    /// The phone number exactly as uploaded.
    pub(crate) phone_number: String,
    /// Values of the campaign's `column_names`, in the same order.
    pub(crate) values: Box<[String]>,
    pub(crate) status: ContactStatus,
    pub(crate) attempts: u32,
    pub(crate) last_outcome: Option<CallOutcome>,
    pub(crate) last_error: Option<&'static str>,
    pub(crate) next_attempt_at: Option<Timestamp>,
    pub(crate) updated_at: Timestamp,
}

impl ContactRecord {
    pub(crate) fn new(phone_number: String, values: Box<[String]>, now: Timestamp) -> Self {
        Self {
            phone_number,
            values,
            status: ContactStatus::Pending,
            attempts: 0,
            last_outcome: None,
            last_error: None,
            next_attempt_at: None,
            updated_at: now,
        }
    }
}

impl CampaignRecord {
    /// The campaign as the API returns it.
    pub(crate) fn body(&self) -> CampaignBody<'_> {
        CampaignBody {
            id: &self.id,
            name: &self.name,
            agent_id: &self.agent_id,
            phone_number_id: &self.phone_number_id,
            status: self.status,
            max_concurrent_calls: self.settings.max_concurrent_calls,
            retries_per_contact: self.settings.retries_per_contact,
            retry_delay_seconds: self.settings.retry_delay_seconds,
            scheduled_at: self.scheduled_at,
            progress: self.progress,
            created_at: self.created_at,
            updated_at: self.updated_at,
            started_at: self.started_at,
            ended_at: self.ended_at,
        }
    }

    /// The contact at `index` as the API returns it, if there is one.
    pub(crate) fn contact_body(&self, index: usize) -> Option<ContactBody<'_>> {
        let contact = self.contacts.get(index)?;
        Some(ContactBody {
            id: simulation::contact_id(self.index, index),
            phone_number: &contact.phone_number,
            status: contact.status,
            attempts: contact.attempts,
            custom_fields: CustomFields {
                names: &self.column_names,
                values: &contact.values,
            },
            last_outcome: contact.last_outcome,
            last_error: contact.last_error,
            next_attempt_at: contact.next_attempt_at,
            created_at: self.created_at,
            updated_at: contact.updated_at,
        })
    }

    /// Moves the contact at `index` to `status`, updating the progress counts and `updated_at`.
    ///
    /// It sends no event, so callers can batch several changes into one
    /// `progress` event.
    pub(crate) fn set_contact_status(
        &mut self,
        index: usize,
        status: ContactStatus,
        now: Timestamp,
    ) {
        let Some(contact) = self.contacts.get_mut(index) else {
            return;
        };
        let previous = contact.status;
        contact.status = status;
        contact.updated_at = now;
        self.updated_at = now;
        if previous != status {
            self.progress.move_contact(previous, status);
        }
    }

    /// Tells whether a new call may start now, given the campaign's own cap.
    pub(crate) fn has_free_slot(&self) -> bool {
        self.in_flight < self.settings.max_concurrent_calls
    }
}
