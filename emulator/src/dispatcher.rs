//! The dispatcher: one task per active campaign that dials its contacts.
//!
//! The task starts when a campaign is started or scheduled and ends once the
//! campaign has sent its `end` event or was deleted. Each step runs under the
//! Hub lock. It starts a scheduled campaign when due and moves retries that
//! are due to the ready queue. Then it dials while the campaign has fewer
//! than `max_concurrent_calls` calls in flight and the tenant fewer than its
//! own cap. Calls run as futures in the task's `JoinSet`, so deleting the
//! campaign (which aborts the task) ends them too. The task keeps only a weak
//! reference to the shared state, so it also ends once the emulator is gone.

use std::cmp::Reverse;
use std::sync::{Arc, Weak};
use std::time::Duration;

use tokio::sync::Notify;
use tokio::task::JoinSet;
use tokio::time::Instant;

use crate::lifecycle;
use crate::models::{CallOutcome, CampaignStatus, ContactStatus, Timestamp};
use crate::simulation::{self, CallPlan};
use crate::state::{CampaignRecord, Hub, HubCounters, Shared};

/// The dispatcher's next action after a step.
enum Step {
    /// Wait for a wake-up, a finished call, or the given instant.
    Wait(Option<Instant>),
    /// The campaign ended or is gone.
    Exit,
}

/// Spawns the campaign's dispatcher unless one is running, and wakes it.
pub(crate) fn ensure_dispatcher(shared: &Arc<Shared>, campaign: &mut CampaignRecord) {
    campaign.wake.notify_one();
    if campaign
        .dispatcher
        .as_ref()
        .is_some_and(|task| !task.is_finished())
    {
        return;
    }
    let task = tokio::spawn(run(
        Arc::downgrade(shared),
        campaign.id.clone(),
        Arc::clone(&campaign.wake),
    ));
    campaign.dispatcher = Some(task.abort_handle());
}

/// Wakes every dispatcher that waits for a tenant slot.
pub(crate) fn wake_blocked(hub: &Hub) {
    for campaign in hub
        .campaigns
        .values()
        .filter(|campaign| campaign.blocked_on_tenant)
    {
        campaign.wake.notify_one();
    }
}

async fn run(shared: Weak<Shared>, campaign_id: String, wake: Arc<Notify>) {
    let mut calls = JoinSet::new();
    loop {
        let next_due = {
            let Some(shared) = shared.upgrade() else {
                return;
            };
            let mut hub = shared.lock_hub();
            match step(&shared, &mut hub, &campaign_id, &mut calls) {
                Step::Exit => return,
                Step::Wait(next_due) => next_due,
            }
        };

        // The far-future fallback is never awaited: its branch is disabled when there is no due instant.
        let deadline = next_due.unwrap_or_else(|| Instant::now() + Duration::from_secs(86_400));
        tokio::select! {
            () = wake.notified() => {}
            Some(result) = calls.join_next(), if !calls.is_empty() => {
                if let Err(error) = result {
                    tracing::error!(campaign_id, %error, "a simulated call task failed");
                }
            }
            () = tokio::time::sleep_until(deadline), if next_due.is_some() => {}
        }
    }
}

fn step(state: &Arc<Shared>, hub: &mut Hub, campaign_id: &str, calls: &mut JoinSet<()>) -> Step {
    let Hub {
        campaigns,
        tenant_in_flight,
        counters,
        ..
    } = hub;
    let Some(campaign) = campaigns.get_mut(campaign_id) else {
        return Step::Exit;
    };
    let now = Timestamp::now();
    let instant = Instant::now();

    match campaign.status {
        CampaignStatus::Scheduled => match campaign.scheduled_start {
            Some(due) if due > instant => return Step::Wait(Some(due)),
            _ => {
                tracing::info!(campaign_id, "scheduled campaign starts");
                lifecycle::begin_running(campaign, now);
            }
        },
        CampaignStatus::Draft | CampaignStatus::Paused => return Step::Wait(None),
        CampaignStatus::Completed | CampaignStatus::Stopped => {
            if campaign.end_if_finished(now) {
                campaign.dispatcher = None;
                return Step::Exit;
            }
            return Step::Wait(None);
        }
        CampaignStatus::Running => {}
    }

    if campaign.progress.all_final() && campaign.in_flight == 0 {
        lifecycle::complete(campaign, now);
        campaign.dispatcher = None;
        return Step::Exit;
    }

    while let Some(&Reverse((due, index))) = campaign.retries.peek() {
        if due > instant {
            break;
        }
        campaign.retries.pop();
        campaign.ready.push_back(index);
    }

    let tenant_cap = state.config.tenant_max_concurrent_calls;
    campaign.blocked_on_tenant = false;
    while campaign.has_free_slot() && !campaign.ready.is_empty() {
        if *tenant_in_flight >= tenant_cap {
            campaign.blocked_on_tenant = true;
            break;
        }
        let Some(index) = campaign.ready.pop_front() else {
            break;
        };
        let pending = campaign
            .contacts
            .get(index)
            .is_some_and(|contact| contact.status == ContactStatus::Pending);
        if pending {
            let plan = dial(state, campaign, index, tenant_in_flight, counters, now);
            calls.spawn(run_call(
                Arc::downgrade(state),
                campaign.id.clone(),
                index,
                plan,
            ));
        }
    }

    Step::Wait(campaign.retries.peek().map(|Reverse((due, _))| *due))
}

/// Marks the contact at `index` as dialling and returns the plan of its call.
fn dial(
    shared: &Shared,
    campaign: &mut CampaignRecord,
    index: usize,
    tenant_in_flight: &mut u32,
    counters: &mut HubCounters,
    now: Timestamp,
) -> CallPlan {
    let attempt = match campaign.contacts.get_mut(index) {
        Some(contact) => {
            contact.attempts += 1;
            contact.next_attempt_at = None;
            contact.attempts
        }
        None => 1,
    };
    campaign.set_contact_status(index, ContactStatus::Dialing, now);
    campaign.in_flight += 1;
    *tenant_in_flight += 1;

    counters.calls_placed += 1;
    counters.max_in_flight_tenant = counters.max_in_flight_tenant.max(*tenant_in_flight);
    let campaign_max = counters
        .max_in_flight_per_campaign
        .entry(campaign.id.clone())
        .or_insert(0);
    *campaign_max = (*campaign_max).max(campaign.in_flight);

    campaign.emit_contact(index, None, now);
    campaign.emit_progress(now);
    simulation::plan_call(&shared.config, campaign.index, index, attempt)
}

/// Simulates one call: it rings, is answered or not, talks, and ends.
async fn run_call(shared: Weak<Shared>, campaign_id: String, index: usize, plan: CallPlan) {
    tokio::time::sleep(plan.ring).await;

    if plan.outcome == CallOutcome::Answered {
        {
            let Some(state) = shared.upgrade() else {
                return;
            };
            let mut hub = state.lock_hub();
            let Some(campaign) = hub.campaigns.get_mut(&campaign_id) else {
                return;
            };
            let now = Timestamp::now();
            campaign.set_contact_status(index, ContactStatus::InProgress, now);
            campaign.emit_contact(index, None, now);
            campaign.emit_progress(now);
        }
        tokio::time::sleep(plan.talk).await;
    }

    let Some(state) = shared.upgrade() else {
        return;
    };
    let mut hub = state.lock_hub();
    finish_call(&state, &mut hub, &campaign_id, index, &plan);
}

/// Records the end of an attempt: a final status, or a retry after `retry_delay_seconds`.
fn finish_call(shared: &Shared, hub: &mut Hub, campaign_id: &str, index: usize, plan: &CallPlan) {
    let tenant_cap = shared.config.tenant_max_concurrent_calls;
    let tenant_was_full = hub.tenant_in_flight >= tenant_cap;
    // A deleted campaign already gave its tenant slots back.
    let Some(campaign) = hub.campaigns.get_mut(campaign_id) else {
        return;
    };
    hub.tenant_in_flight = hub.tenant_in_flight.saturating_sub(1);
    campaign.in_flight = campaign.in_flight.saturating_sub(1);

    let now = Timestamp::now();
    let retry_delay = shared
        .config
        .real_duration(f64::from(campaign.settings.retry_delay_seconds));
    let retries_left = campaign.settings.retries_per_contact;
    let stopped = campaign.status.is_terminal();

    let Some(contact) = campaign.contacts.get_mut(index) else {
        return;
    };
    contact.last_outcome = Some(plan.outcome);
    contact.last_error = plan.error;
    let retries_made = contact.attempts.saturating_sub(1);
    let retry = plan.outcome != CallOutcome::Answered && retries_made < retries_left;

    let status = if !retry {
        plan.outcome.final_status()
    } else if stopped {
        // The retry would have been pending, and stopping cancels pending contacts.
        ContactStatus::Cancelled
    } else {
        let due = chrono::Duration::from_std(retry_delay).unwrap_or(chrono::Duration::MAX);
        contact.next_attempt_at = Some(Timestamp(now.0.checked_add_signed(due).unwrap_or(now.0)));
        campaign
            .retries
            .push(Reverse((Instant::now() + retry_delay, index)));
        ContactStatus::Pending
    };

    campaign.set_contact_status(index, status, now);
    campaign.emit_contact(index, Some((plan.outcome, plan.error)), now);
    campaign.emit_progress(now);

    if campaign.status == CampaignStatus::Running && campaign.progress.all_final() {
        lifecycle::complete(campaign, now);
    } else {
        campaign.end_if_finished(now);
    }
    campaign.wake.notify_one();

    if tenant_was_full {
        wake_blocked(hub);
    }
}
