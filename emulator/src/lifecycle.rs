//! Campaign status transitions, as the lifecycle table of `openapi.yaml` defines them.
//!
//! | operation | allowed from | result |
//! |---|---|---|
//! | start | `draft`, `scheduled`, `paused` | `running` |
//! | pause | `running` | `paused` |
//! | resume | `paused` | `running` |
//! | stop | `draft`, `scheduled`, `running`, `paused` | `stopped`, pending contacts `cancelled` |
//! | delete | any status but `running` | removed |

use std::sync::Arc;

use crate::dispatcher;
use crate::error::ApiError;
use crate::models::{CampaignStatus, ContactStatus, Timestamp};
use crate::state::{CampaignRecord, Hub, Shared};

/// A request that changes a campaign's status.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Operation {
    Start,
    Pause,
    Resume,
    Stop,
}

impl Operation {
    fn name(self) -> &'static str {
        match self {
            Self::Start => "start",
            Self::Pause => "pause",
            Self::Resume => "resume",
            Self::Stop => "stop",
        }
    }

    fn allowed_from(self) -> &'static [CampaignStatus] {
        use CampaignStatus::{Draft, Paused, Running, Scheduled};
        match self {
            Self::Start => &[Draft, Scheduled, Paused],
            Self::Pause => &[Running],
            Self::Resume => &[Paused],
            Self::Stop => &[Draft, Scheduled, Running, Paused],
        }
    }
}

/// Applies `operation` to the campaign `id`, or rejects it with 404 or 409 `invalid_transition`.
pub(crate) fn apply(
    shared: &Arc<Shared>,
    hub: &mut Hub,
    id: &str,
    operation: Operation,
) -> Result<(), ApiError> {
    let campaign = find(hub, id)?;
    let allowed = operation.allowed_from();
    if !allowed.contains(&campaign.status) {
        return Err(transition_error(campaign, operation.name(), allowed));
    }

    let now = Timestamp::now();
    match operation {
        Operation::Start | Operation::Resume => {
            begin_running(campaign, now);
            dispatcher::ensure_dispatcher(shared, campaign);
        }
        Operation::Pause => {
            transition(campaign, CampaignStatus::Paused, now);
            campaign.emit_progress(now);
            campaign.wake.notify_one();
        }
        Operation::Stop => stop(campaign, now),
    }
    Ok(())
}

/// Deletes the campaign `id` unless it is running.
pub(crate) fn delete(hub: &mut Hub, id: &str) -> Result<(), ApiError> {
    let campaign = find(hub, id)?;
    if campaign.status == CampaignStatus::Running {
        return Err(ApiError::campaign_running(format!(
            "campaign {id} is running and cannot be deleted; pause or stop it first"
        ))
        .detail("status", campaign.status.as_str()));
    }

    let Some(removed) = hub.campaigns.remove(id) else {
        return Ok(());
    };
    // Calls still in flight die with the dispatcher, so their tenant slots are freed here.
    if let Some(task) = &removed.dispatcher {
        task.abort();
    }
    if removed.in_flight > 0 {
        hub.tenant_in_flight = hub.tenant_in_flight.saturating_sub(removed.in_flight);
        dispatcher::wake_blocked(hub);
    }
    tracing::info!(campaign_id = id, status = %removed.status, "campaign deleted");
    Ok(())
}

/// Returns the campaign `id`, or a 404 `not_found`.
pub(crate) fn find<'a>(hub: &'a mut Hub, id: &str) -> Result<&'a mut CampaignRecord, ApiError> {
    hub.campaigns.get_mut(id).ok_or_else(|| {
        ApiError::not_found(format!(
            "campaign {id} not found; list campaigns to see their ids"
        ))
    })
}

/// Moves a `draft`, `scheduled` or `paused` campaign to `running`.
pub(crate) fn begin_running(campaign: &mut CampaignRecord, now: Timestamp) {
    transition(campaign, CampaignStatus::Running, now);
    campaign.started_at.get_or_insert(now);
    campaign.scheduled_start = None;
    campaign.emit_progress(now);
    campaign.wake.notify_one();
}

/// Moves a running campaign whose contacts are all final to `completed`.
pub(crate) fn complete(campaign: &mut CampaignRecord, now: Timestamp) {
    transition(campaign, CampaignStatus::Completed, now);
    campaign.ended_at = Some(now);
    campaign.emit_progress(now);
    campaign.end_if_finished(now);
}

/// Stops the campaign for good: every pending contact becomes `cancelled`.
fn stop(campaign: &mut CampaignRecord, now: Timestamp) {
    transition(campaign, CampaignStatus::Stopped, now);
    campaign.ended_at = Some(now);
    campaign.scheduled_start = None;
    campaign.ready.clear();
    campaign.retries.clear();

    // One `contact` event per cancelled contact and one `progress` event follow
    // under the same lock, so no subscriber sees the events that the ring buffer
    // drops before the lock is released. Those get an id but are not encoded,
    // which keeps stopping a campaign of a million contacts fast.
    let pending_events = campaign.progress.pending + 1;
    let dropped_at_once = pending_events.saturating_sub(campaign.events.capacity() as u64);
    let mut cancelled = 0;

    for index in 0..campaign.contacts.len() {
        let pending = campaign
            .contacts
            .get(index)
            .is_some_and(|contact| contact.status == ContactStatus::Pending);
        if !pending {
            continue;
        }
        if let Some(contact) = campaign.contacts.get_mut(index) {
            contact.next_attempt_at = None;
        }
        campaign.set_contact_status(index, ContactStatus::Cancelled, now);
        if cancelled < dropped_at_once {
            campaign.events.skip_unobservable();
        } else {
            campaign.emit_contact(index, None, now);
        }
        cancelled += 1;
    }

    campaign.emit_progress(now);
    campaign.end_if_finished(now);
    campaign.wake.notify_one();
}

/// Sets the campaign's status, sends the `status` event and logs the change.
fn transition(campaign: &mut CampaignRecord, status: CampaignStatus, now: Timestamp) {
    let previous = campaign.status;
    campaign.status = status;
    campaign.updated_at = now;
    campaign.emit_status(previous, now);
    tracing::info!(campaign_id = %campaign.id, from = %previous, to = %status, "campaign status changed");
}

fn transition_error(
    campaign: &CampaignRecord,
    operation: &str,
    allowed: &[CampaignStatus],
) -> ApiError {
    let allowed_names: Vec<&str> = allowed.iter().map(|status| status.as_str()).collect();
    let hint = if campaign.status.is_terminal() {
        "; a completed or stopped campaign cannot change, so create a new campaign to redo the work"
    } else {
        ""
    };
    ApiError::invalid_transition(format!(
        "cannot {operation} campaign {}: its status is `{}`, and {operation} is allowed only from {}{hint}",
        campaign.id,
        campaign.status,
        allowed_names.join(", ")
    ))
    .detail("status", campaign.status.as_str())
    .detail("allowed_from", allowed_names)
}
