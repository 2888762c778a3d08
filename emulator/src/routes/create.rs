//! `create_campaign`: the multipart upload, its validation and `Idempotency-Key` replays.

use std::collections::{BTreeMap, BinaryHeap, VecDeque};
use std::sync::Arc;

use axum::extract::multipart::{MultipartError, MultipartRejection};
use axum::extract::{Multipart, State};
use axum::http::header::CONTENT_LENGTH;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use chrono::{DateTime, Utc};
use tokio::sync::Notify;
use tokio::time::Instant;

use super::json_response;
use crate::contacts_csv::{self, ParsedContacts};
use crate::dispatcher;
use crate::error::ApiError;
use crate::events::EventLog;
use crate::idempotency::{self, Replay};
use crate::models::{CampaignProgress, CampaignStatus, Timestamp};
use crate::simulation;
use crate::state::{CampaignRecord, ContactRecord, DialSettings, Hub, Shared};

/// Room for the text fields and multipart boundaries on top of the contacts file.
pub(super) const FORM_OVERHEAD_BYTES: u64 = 1 << 20;

/// The maximum size of one text field, in bytes.
const MAX_TEXT_FIELD_BYTES: usize = 64 * 1024;

/// The maximum number of parts in a form.
const MAX_PARTS: usize = 64;

/// The form field that carries the contacts file.
const CONTACTS_FIELD: &str = "contacts";

/// The text fields of `CreateCampaignForm`.
const TEXT_FIELDS: [&str; 7] = [
    "name",
    "agent_id",
    "phone_number_id",
    "max_concurrent_calls",
    "retries_per_contact",
    "retry_delay_seconds",
    "scheduled_at",
];

/// The form as received: known text fields by name and the contacts file.
struct ReceivedForm {
    fields: BTreeMap<String, String>,
    contacts: Option<Vec<u8>>,
}

/// The valid fields of a form, apart from the contacts file.
struct CampaignInput {
    name: String,
    agent_id: String,
    phone_number_id: String,
    settings: DialSettings,
    scheduled_at: Option<DateTime<Utc>>,
}

/// `create_campaign`.
pub(super) async fn create(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Response, ApiError> {
    let key = idempotency_key(&headers)?;
    let max_upload = shared.config.max_upload_bytes;
    check_content_length(&headers, max_upload)?;
    let multipart = multipart.map_err(|rejection| {
        ApiError::bad_request(format!(
            "the body is not a multipart/form-data form ({rejection}); send the fields and the `contacts` file as multipart/form-data"
        ))
    })?;

    let form = read_form(multipart, max_upload).await?;
    let fingerprint =
        idempotency::fingerprint(&form.fields, form.contacts.as_deref().unwrap_or_default());
    if let Some(key) = &key {
        // A replay skips the CSV parsing; the check is repeated under the lock below.
        let mut hub = shared.lock_hub();
        if let Some(response) = replay(&mut hub, key, fingerprint)? {
            return Ok(response);
        }
    }

    let (input, file) = validate(form)?;
    let now = Timestamp::now();
    // Parsing up to 256 MiB takes seconds, so it runs off the async worker threads.
    let uploaded = tokio::task::spawn_blocking(move || load_contacts(&file, now))
        .await
        .map_err(|error| {
            tracing::error!(%error, "the CSV parser task failed");
            ApiError::internal(format!(
                "the CSV parser task failed: {error}; retry the request"
            ))
        })??;

    let mut hub = shared.lock_hub();
    if let Some(key) = &key {
        if let Some(response) = replay(&mut hub, key, fingerprint)? {
            return Ok(response);
        }
    }
    let mut campaign = new_campaign(&shared, &mut hub, input, uploaded, now);
    campaign.emit_progress(now);
    if campaign.status == CampaignStatus::Scheduled {
        dispatcher::ensure_dispatcher(&shared, &mut campaign);
    }

    hub.counters.campaigns_created += 1;
    if let Some(key) = key {
        hub.idempotency
            .remember(key, fingerprint, campaign.id.clone());
    }
    tracing::info!(
        campaign_id = %campaign.id,
        status = %campaign.status,
        contacts = campaign.contacts.len(),
        "campaign created"
    );
    let response = json_response(StatusCode::CREATED, &campaign.body());
    hub.campaigns.insert(campaign.id.clone(), campaign);
    Ok(response)
}

fn new_campaign(
    shared: &Shared,
    hub: &mut Hub,
    input: CampaignInput,
    uploaded: UploadedContacts,
    now: Timestamp,
) -> CampaignRecord {
    let index = hub.next_index;
    hub.next_index += 1;

    // Only a future `scheduled_at` schedules the campaign; the wait is divided by the time scale.
    let wait = input
        .scheduled_at
        .and_then(|at| (at - now.0).to_std().ok())
        .filter(|wait| !wait.is_zero());
    let (status, scheduled_start) = match wait {
        Some(wait) => (
            CampaignStatus::Scheduled,
            Some(Instant::now() + shared.config.real_duration(wait.as_secs_f64())),
        ),
        None => (CampaignStatus::Draft, None),
    };

    let contacts = uploaded.contacts;
    CampaignRecord {
        index,
        id: simulation::campaign_id(shared.config.seed, index),
        name: input.name,
        agent_id: input.agent_id,
        phone_number_id: input.phone_number_id,
        status,
        settings: input.settings,
        scheduled_at: scheduled_start.and(input.scheduled_at).map(Timestamp),
        scheduled_start,
        created_at: now,
        updated_at: now,
        started_at: None,
        ended_at: None,
        column_names: uploaded.column_names,
        progress: CampaignProgress::all_pending(contacts.len() as u64),
        ready: (0..contacts.len()).collect::<VecDeque<usize>>(),
        contacts,
        retries: BinaryHeap::new(),
        in_flight: 0,
        blocked_on_tenant: false,
        wake: Arc::new(Notify::new()),
        dispatcher: None,
        events: EventLog::new(shared.config.max_events_retained),
    }
}

/// The contacts of a valid CSV, as the campaign stores them.
struct UploadedContacts {
    column_names: Vec<String>,
    contacts: Vec<ContactRecord>,
}

fn load_contacts(file: &[u8], now: Timestamp) -> Result<UploadedContacts, ApiError> {
    let ParsedContacts {
        column_names,
        contacts,
    } = contacts_csv::parse_contacts(file)?;
    let contacts = contacts
        .into_iter()
        .map(|(phone_number, values)| ContactRecord::new(phone_number, values, now))
        .collect();
    Ok(UploadedContacts {
        column_names,
        contacts,
    })
}

/// Returns the first campaign again for a replayed request, or rejects a reused key.
fn replay(hub: &mut Hub, key: &str, fingerprint: u64) -> Result<Option<Response>, ApiError> {
    match hub.idempotency.check(key, fingerprint) {
        Replay::New => Ok(None),
        Replay::Conflict => Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "idempotency_key_reused",
            "this Idempotency-Key was already used for a different request in the last 24 hours; send a new key for a new campaign",
        )),
        Replay::Same { campaign_id } => match hub.campaigns.get(&campaign_id) {
            Some(campaign) => Ok(Some(json_response(StatusCode::CREATED, &campaign.body()))),
            None => Err(ApiError::not_found(format!(
                "campaign {campaign_id}, created by an earlier request with this Idempotency-Key, was deleted; send a new key to create another"
            ))),
        },
    }
}

fn idempotency_key(headers: &HeaderMap) -> Result<Option<String>, ApiError> {
    let Some(value) = headers.get("idempotency-key") else {
        return Ok(None);
    };
    let key = value.to_str().unwrap_or_default();
    idempotency::validate_key(key)
        .map_err(|message| ApiError::bad_request(message).detail("header", "Idempotency-Key"))?;
    Ok(Some(key.to_owned()))
}

/// Rejects a body whose declared length already exceeds the limit, before reading it.
fn check_content_length(headers: &HeaderMap, max_upload: u64) -> Result<(), ApiError> {
    let declared = headers
        .get(CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<u64>().ok());
    match declared {
        Some(length) if length > max_upload.saturating_add(FORM_OVERHEAD_BYTES) => {
            Err(too_large(max_upload))
        }
        _ => Ok(()),
    }
}

fn too_large(max_upload: u64) -> ApiError {
    ApiError::payload_too_large(format!(
        "the contacts file is larger than {max_upload} bytes; split it into several campaigns"
    ))
    .detail("max_bytes", max_upload)
}

/// Reads every part, keeping at most `max_upload` bytes of the contacts file in memory.
async fn read_form(mut multipart: Multipart, max_upload: u64) -> Result<ReceivedForm, ApiError> {
    let mut form = ReceivedForm {
        fields: BTreeMap::new(),
        contacts: None,
    };
    let mut parts = 0;

    while let Some(mut field) = multipart
        .next_field()
        .await
        .map_err(|error| multipart_error(&error, max_upload))?
    {
        parts += 1;
        if parts > MAX_PARTS {
            return Err(ApiError::bad_request(format!(
                "the form has more than {MAX_PARTS} parts; send only the fields of CreateCampaignForm"
            )));
        }
        let name = field.name().unwrap_or_default().to_owned();

        if name == CONTACTS_FIELD {
            if form.contacts.is_some() {
                return Err(duplicate_field(&name));
            }
            let mut bytes = Vec::new();
            while let Some(chunk) = field
                .chunk()
                .await
                .map_err(|error| multipart_error(&error, max_upload))?
            {
                if (bytes.len() + chunk.len()) as u64 > max_upload {
                    return Err(too_large(max_upload));
                }
                bytes.extend_from_slice(&chunk);
            }
            form.contacts = Some(bytes);
            continue;
        }

        let mut bytes = Vec::new();
        while let Some(chunk) = field
            .chunk()
            .await
            .map_err(|error| multipart_error(&error, max_upload))?
        {
            if bytes.len() + chunk.len() > MAX_TEXT_FIELD_BYTES {
                return Err(ApiError::invalid_field(
                    &name,
                    format!("form field `{name}` is longer than {MAX_TEXT_FIELD_BYTES} bytes; send a shorter value"),
                ));
            }
            bytes.extend_from_slice(&chunk);
        }
        // Unknown parts are read (to keep the body in step) and ignored.
        if !TEXT_FIELDS.contains(&name.as_str()) {
            continue;
        }
        let Ok(value) = String::from_utf8(bytes) else {
            return Err(ApiError::invalid_field(
                &name,
                format!("form field `{name}` is not valid UTF-8; send it as UTF-8 text"),
            ));
        };
        if form.fields.insert(name.clone(), value).is_some() {
            return Err(duplicate_field(&name));
        }
    }
    Ok(form)
}

fn multipart_error(error: &MultipartError, max_upload: u64) -> ApiError {
    if error.status() == StatusCode::PAYLOAD_TOO_LARGE {
        return too_large(max_upload);
    }
    ApiError::bad_request(format!(
        "the multipart body is malformed ({}); send a valid multipart/form-data body",
        error.body_text()
    ))
}

fn duplicate_field(name: &str) -> ApiError {
    ApiError::invalid_field(
        name,
        format!("form field `{name}` is given more than once; send it once"),
    )
}

/// Checks every field of `CreateCampaignForm`, applies the spec's defaults and returns the contacts file.
fn validate(mut form: ReceivedForm) -> Result<(CampaignInput, Vec<u8>), ApiError> {
    let name = required_text(&form.fields, "name", 200, "the campaign's name")?;
    let agent_id = required_text(
        &form.fields,
        "agent_id",
        64,
        "the id of the voice agent that makes the calls",
    )?;
    let phone_number_id = required_text(
        &form.fields,
        "phone_number_id",
        64,
        "the id of the outbound phone number",
    )?;
    let settings = DialSettings {
        max_concurrent_calls: integer(&form.fields, "max_concurrent_calls", 1, 100, 5)?,
        retries_per_contact: integer(&form.fields, "retries_per_contact", 0, 10, 0)?,
        retry_delay_seconds: integer(&form.fields, "retry_delay_seconds", 60, 86_400, 300)?,
    };
    let scheduled_at = date_time(&form.fields, "scheduled_at")?;
    let Some(contacts) = form.contacts.take() else {
        return Err(ApiError::invalid_field(
            CONTACTS_FIELD,
            "missing file part `contacts`; attach the contacts CSV as a file part named `contacts`",
        ));
    };

    let input = CampaignInput {
        name,
        agent_id,
        phone_number_id,
        settings,
        scheduled_at,
    };
    Ok((input, contacts))
}

fn required_text(
    fields: &BTreeMap<String, String>,
    name: &str,
    max_chars: usize,
    meaning: &str,
) -> Result<String, ApiError> {
    let Some(value) = fields.get(name) else {
        return Err(ApiError::invalid_field(
            name,
            format!("missing form field `{name}`; send {meaning}, 1 to {max_chars} characters"),
        ));
    };
    let chars = value.chars().count();
    if chars == 0 || chars > max_chars {
        return Err(ApiError::invalid_field(
            name,
            format!("form field `{name}` has {chars} characters; send {meaning}, 1 to {max_chars} characters"),
        ));
    }
    Ok(value.clone())
}

fn integer(
    fields: &BTreeMap<String, String>,
    name: &str,
    min: u32,
    max: u32,
    default: u32,
) -> Result<u32, ApiError> {
    let Some(value) = fields.get(name) else {
        return Ok(default);
    };
    match value.parse::<i64>() {
        Ok(number) if (i64::from(min)..=i64::from(max)).contains(&number) => {
            Ok(u32::try_from(number).unwrap_or(default))
        }
        _ => {
            let quoted: String = value.chars().take(40).collect();
            Err(ApiError::invalid_field(
                name,
                format!("form field `{name}` is {quoted:?}; send a whole number from {min} to {max}, or leave it out for {default}"),
            )
            .detail("value", quoted))
        }
    }
}

fn date_time(
    fields: &BTreeMap<String, String>,
    name: &str,
) -> Result<Option<DateTime<Utc>>, ApiError> {
    let Some(value) = fields.get(name) else {
        return Ok(None);
    };
    match DateTime::parse_from_rfc3339(value) {
        Ok(at) => Ok(Some(at.with_timezone(&Utc))),
        Err(error) => {
            let quoted: String = value.chars().take(60).collect();
            Err(ApiError::invalid_field(
                name,
                format!("form field `{name}` is {quoted:?}, not an RFC 3339 date-time ({error}); send a value such as 2030-01-31T09:00:00Z"),
            )
            .detail("value", quoted))
        }
    }
}
