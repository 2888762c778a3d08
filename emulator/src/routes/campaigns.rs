//! Reading, listing, deleting and transitioning campaigns, and listing their contacts.

use std::sync::Arc;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::{json_response, CampaignIdParam};
use crate::error::ApiError;
use crate::lifecycle::{self, Operation};
use crate::models::{CampaignListBody, ContactPageBody, ContactStatus};
use crate::state::Shared;

/// Contacts on one page of `list_campaign_contacts`.
const PAGE_SIZE: u64 = 100;

/// `list_campaigns`: every campaign, newest first.
pub(super) async fn list(State(shared): State<Arc<Shared>>) -> Response {
    let hub = shared.lock_hub();
    let mut campaigns: Vec<_> = hub.campaigns.values().collect();
    campaigns.sort_by_key(|campaign| std::cmp::Reverse(campaign.index));
    let body = CampaignListBody {
        items: campaigns
            .into_iter()
            .map(|campaign| campaign.body())
            .collect(),
    };
    json_response(StatusCode::OK, &body)
}

/// `get_campaign`.
pub(super) async fn get(
    State(shared): State<Arc<Shared>>,
    CampaignIdParam(id): CampaignIdParam,
) -> Result<Response, ApiError> {
    let mut hub = shared.lock_hub();
    let campaign = lifecycle::find(&mut hub, &id)?;
    Ok(json_response(StatusCode::OK, &campaign.body()))
}

/// `delete_campaign`.
pub(super) async fn delete(
    State(shared): State<Arc<Shared>>,
    CampaignIdParam(id): CampaignIdParam,
) -> Result<Response, ApiError> {
    let mut hub = shared.lock_hub();
    lifecycle::delete(&mut hub, &id)?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `start_campaign`.
pub(super) async fn start(
    state: State<Arc<Shared>>,
    id: CampaignIdParam,
) -> Result<Response, ApiError> {
    transition(state, id, Operation::Start)
}

/// `pause_campaign`.
pub(super) async fn pause(
    state: State<Arc<Shared>>,
    id: CampaignIdParam,
) -> Result<Response, ApiError> {
    transition(state, id, Operation::Pause)
}

/// `resume_campaign`.
pub(super) async fn resume(
    state: State<Arc<Shared>>,
    id: CampaignIdParam,
) -> Result<Response, ApiError> {
    transition(state, id, Operation::Resume)
}

/// `stop_campaign`.
pub(super) async fn stop(
    state: State<Arc<Shared>>,
    id: CampaignIdParam,
) -> Result<Response, ApiError> {
    transition(state, id, Operation::Stop)
}

fn transition(
    State(shared): State<Arc<Shared>>,
    CampaignIdParam(id): CampaignIdParam,
    operation: Operation,
) -> Result<Response, ApiError> {
    let mut hub = shared.lock_hub();
    lifecycle::apply(&shared, &mut hub, &id, operation)?;
    let campaign = lifecycle::find(&mut hub, &id)?;
    Ok(json_response(StatusCode::OK, &campaign.body()))
}

/// The query of `list_campaign_contacts`, as text so that bad values get the Hub's error body.
#[derive(Deserialize)]
pub(super) struct ContactsQuery {
    status: Option<String>,
    page: Option<String>,
}

/// `list_campaign_contacts`: one page of contacts in upload order, optionally of one status.
pub(super) async fn list_contacts(
    State(shared): State<Arc<Shared>>,
    CampaignIdParam(id): CampaignIdParam,
    query: Result<Query<ContactsQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(query) = query.map_err(|rejection| {
        ApiError::bad_request(format!(
            "the query string is invalid: {rejection}; send `status` and `page` only once each"
        ))
    })?;
    let page = parse_page(query.page.as_deref())?;
    let status = query.status.as_deref().map(parse_status).transpose()?;

    let mut hub = shared.lock_hub();
    let campaign = lifecycle::find(&mut hub, &id)?;
    let first = page.saturating_mul(PAGE_SIZE);
    let skip = usize::try_from(first).unwrap_or(usize::MAX);
    let page_len = PAGE_SIZE as usize;

    let (total, indexes): (u64, Vec<usize>) = match status {
        None => (
            campaign.contacts.len() as u64,
            (0..campaign.contacts.len())
                .skip(skip)
                .take(page_len)
                .collect(),
        ),
        Some(status) => (
            campaign.progress.count(status),
            campaign
                .contacts
                .iter()
                .enumerate()
                .filter(|(_, contact)| contact.status == status)
                .skip(skip)
                .take(page_len)
                .map(|(index, _)| index)
                .collect(),
        ),
    };

    let items: Vec<_> = indexes
        .into_iter()
        .filter_map(|index| campaign.contact_body(index))
        .collect();
    let has_more = first.saturating_add(items.len() as u64) < total;
    let body = ContactPageBody {
        items,
        page,
        page_size: PAGE_SIZE,
        total,
        has_more,
    };
    Ok(json_response(StatusCode::OK, &body))
}

fn parse_page(value: Option<&str>) -> Result<u64, ApiError> {
    let Some(value) = value else {
        return Ok(0);
    };
    value.parse::<u64>().map_err(|_| {
        ApiError::bad_request(format!(
            "query parameter `page` is {value:?}; send a whole number from 0, the first page"
        ))
        .detail("parameter", "page")
        .detail("value", value)
    })
}

fn parse_status(value: &str) -> Result<ContactStatus, ApiError> {
    ContactStatus::parse(value).ok_or_else(|| {
        let allowed: Vec<&str> = ContactStatus::ALL
            .iter()
            .map(|status| status.as_str())
            .collect();
        ApiError::bad_request(format!(
            "query parameter `status` is {value:?}; send one of {}",
            allowed.join(", ")
        ))
        .detail("parameter", "status")
        .detail("value", value)
    })
}
