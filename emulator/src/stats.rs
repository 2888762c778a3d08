//! A snapshot of the emulator's counters, for assertions in tests.

use std::collections::BTreeMap;

use crate::state::Shared;

/// Counters of one emulator since it started, taken by [`Emulator::stats`](crate::Emulator::stats).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Stats {
    /// Requests received, including those answered with an injected fault.
    pub requests: u64,
    /// Campaigns created; a replay of an `Idempotency-Key` creates none.
    pub campaigns_created: u64,
    /// The maximum number of calls in flight at once seen for each campaign, by campaign id.
    ///
    /// Deleted campaigns keep their entry.
    pub max_concurrent_calls_per_campaign: BTreeMap<String, u32>,
    /// The maximum number of calls in flight at once seen across all campaigns.
    pub max_concurrent_calls_tenant: u32,
    /// Faults injected through [`Faults`](crate::Faults): failed responses,
    /// dropped connections and cut event streams.
    pub faults_injected: u64,
    /// Call attempts dialled, retries included.
    pub calls_placed: u64,
    /// Calls in flight across all campaigns when the snapshot was taken.
    pub calls_in_flight: u32,
}

impl Stats {
    pub(crate) fn snapshot(shared: &Shared) -> Self {
        let hub = shared.lock_hub();
        Self {
            requests: shared.requests(),
            campaigns_created: hub.counters.campaigns_created,
            max_concurrent_calls_per_campaign: hub.counters.max_in_flight_per_campaign.clone(),
            max_concurrent_calls_tenant: hub.counters.max_in_flight_tenant,
            faults_injected: shared.faults.injected(),
            calls_placed: hub.counters.calls_placed,
            calls_in_flight: hub.tenant_in_flight,
        }
    }
}
