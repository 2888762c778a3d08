//! The Hub's JSON bodies, as the `components/schemas` of `openapi.yaml` define them.
//!
//! Optional properties are left out when they have no value, because the
//! spec declares none of them nullable.

use chrono::{DateTime, SecondsFormat, Utc};
use serde::ser::{SerializeMap, Serializer};
use serde::Serialize;

/// A date-time in RFC 3339 form with milliseconds and a `Z` offset.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Timestamp(pub(crate) DateTime<Utc>);

impl Timestamp {
    pub(crate) fn now() -> Self {
        Self(Utc::now())
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0.to_rfc3339_opts(SecondsFormat::Millis, true))
    }
}

/// `CampaignStatus`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum CampaignStatus {
    Draft,
    Scheduled,
    Running,
    Paused,
    Completed,
    Stopped,
}

impl CampaignStatus {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Scheduled => "scheduled",
            Self::Running => "running",
            Self::Paused => "paused",
            Self::Completed => "completed",
            Self::Stopped => "stopped",
        }
    }

    pub(crate) fn is_terminal(self) -> bool {
        matches!(self, Self::Completed | Self::Stopped)
    }
}

impl std::fmt::Display for CampaignStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `ContactStatus`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum ContactStatus {
    Pending,
    Dialing,
    InProgress,
    Completed,
    NoAnswer,
    Busy,
    Failed,
    Cancelled,
}

impl ContactStatus {
    /// Every status, in the spec's order.
    pub(crate) const ALL: [ContactStatus; 8] = [
        Self::Pending,
        Self::Dialing,
        Self::InProgress,
        Self::Completed,
        Self::NoAnswer,
        Self::Busy,
        Self::Failed,
        Self::Cancelled,
    ];

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Dialing => "dialing",
            Self::InProgress => "in_progress",
            Self::Completed => "completed",
            Self::NoAnswer => "no_answer",
            Self::Busy => "busy",
            Self::Failed => "failed",
            Self::Cancelled => "cancelled",
        }
    }

    /// Parses the wire name of a status, as the `status` query parameter sends it.
    pub(crate) fn parse(value: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|status| status.as_str() == value)
    }
}

/// `CallOutcome`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum CallOutcome {
    Answered,
    NoAnswer,
    Busy,
    Failed,
}

impl CallOutcome {
    /// Returns the final contact status that this outcome leads to when no retry is left.
    pub(crate) fn final_status(self) -> ContactStatus {
        match self {
            Self::Answered => ContactStatus::Completed,
            Self::NoAnswer => ContactStatus::NoAnswer,
            Self::Busy => ContactStatus::Busy,
            Self::Failed => ContactStatus::Failed,
        }
    }
}

/// `CampaignProgress`: the number of contacts in each status.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub(crate) struct CampaignProgress {
    pub(crate) total: u64,
    pub(crate) pending: u64,
    pub(crate) dialing: u64,
    pub(crate) in_progress: u64,
    pub(crate) completed: u64,
    pub(crate) no_answer: u64,
    pub(crate) busy: u64,
    pub(crate) failed: u64,
    pub(crate) cancelled: u64,
}

impl CampaignProgress {
    /// Returns the progress of `total` contacts that are all pending.
    pub(crate) fn all_pending(total: u64) -> Self {
        Self {
            total,
            pending: total,
            ..Self::default()
        }
    }

    pub(crate) fn count(&self, status: ContactStatus) -> u64 {
        match status {
            ContactStatus::Pending => self.pending,
            ContactStatus::Dialing => self.dialing,
            ContactStatus::InProgress => self.in_progress,
            ContactStatus::Completed => self.completed,
            ContactStatus::NoAnswer => self.no_answer,
            ContactStatus::Busy => self.busy,
            ContactStatus::Failed => self.failed,
            ContactStatus::Cancelled => self.cancelled,
        }
    }

    fn count_mut(&mut self, status: ContactStatus) -> &mut u64 {
        match status {
            ContactStatus::Pending => &mut self.pending,
            ContactStatus::Dialing => &mut self.dialing,
            ContactStatus::InProgress => &mut self.in_progress,
            ContactStatus::Completed => &mut self.completed,
            ContactStatus::NoAnswer => &mut self.no_answer,
            ContactStatus::Busy => &mut self.busy,
            ContactStatus::Failed => &mut self.failed,
            ContactStatus::Cancelled => &mut self.cancelled,
        }
    }

    /// Moves one contact from the count of `from` to the count of `to`.
    pub(crate) fn move_contact(&mut self, from: ContactStatus, to: ContactStatus) {
        let source = self.count_mut(from);
        *source = source.saturating_sub(1);
        *self.count_mut(to) += 1;
    }

    /// Tells whether every contact has a final status.
    pub(crate) fn all_final(&self) -> bool {
        self.pending == 0 && self.dialing == 0 && self.in_progress == 0
    }
}

/// `Campaign`.
#[derive(Serialize)]
pub(crate) struct CampaignBody<'a> {
    pub(crate) id: &'a str,
    pub(crate) name: &'a str,
    pub(crate) agent_id: &'a str,
    pub(crate) phone_number_id: &'a str,
    pub(crate) status: CampaignStatus,
    pub(crate) max_concurrent_calls: u32,
    pub(crate) retries_per_contact: u32,
    pub(crate) retry_delay_seconds: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) scheduled_at: Option<Timestamp>,
    pub(crate) progress: CampaignProgress,
    pub(crate) created_at: Timestamp,
    pub(crate) updated_at: Timestamp,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) started_at: Option<Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) ended_at: Option<Timestamp>,
}

/// `CampaignList`.
#[derive(Serialize)]
pub(crate) struct CampaignListBody<'a> {
    pub(crate) items: Vec<CampaignBody<'a>>,
}

/// `Contact`.
#[derive(Serialize)]
pub(crate) struct ContactBody<'a> {
    pub(crate) id: String,
    pub(crate) phone_number: &'a str,
    pub(crate) status: ContactStatus,
    pub(crate) attempts: u32,
    pub(crate) custom_fields: CustomFields<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) last_outcome: Option<CallOutcome>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) last_error: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) next_attempt_at: Option<Timestamp>,
    pub(crate) created_at: Timestamp,
    pub(crate) updated_at: Timestamp,
}

/// A contact's `custom_fields`: the CSV's other column names paired with this contact's values.
pub(crate) struct CustomFields<'a> {
    pub(crate) names: &'a [String],
    pub(crate) values: &'a [String],
}

impl Serialize for CustomFields<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.names.len()))?;
        for (name, value) in self.names.iter().zip(self.values) {
            map.serialize_entry(name, value)?;
        }
        map.end()
    }
}

/// `ContactPage`.
#[derive(Serialize)]
pub(crate) struct ContactPageBody<'a> {
    pub(crate) items: Vec<ContactBody<'a>>,
    pub(crate) page: u64,
    pub(crate) page_size: u64,
    pub(crate) total: u64,
    pub(crate) has_more: bool,
}

/// `ProgressEvent`.
#[derive(Serialize)]
pub(crate) struct ProgressEventData<'a> {
    pub(crate) campaign_id: &'a str,
    pub(crate) status: CampaignStatus,
    pub(crate) progress: CampaignProgress,
    pub(crate) calls_in_flight: u64,
    pub(crate) at: Timestamp,
}

/// `ContactEvent`.
#[derive(Serialize)]
pub(crate) struct ContactEventData<'a> {
    pub(crate) campaign_id: &'a str,
    pub(crate) contact_id: String,
    pub(crate) phone_number: &'a str,
    pub(crate) status: ContactStatus,
    pub(crate) attempts: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) outcome: Option<CallOutcome>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) error: Option<&'a str>,
    pub(crate) at: Timestamp,
}

/// `StatusEvent`.
#[derive(Serialize)]
pub(crate) struct StatusEventData<'a> {
    pub(crate) campaign_id: &'a str,
    pub(crate) status: CampaignStatus,
    pub(crate) previous_status: CampaignStatus,
    pub(crate) at: Timestamp,
}

/// `EndEvent`.
#[derive(Serialize)]
pub(crate) struct EndEventData<'a> {
    pub(crate) campaign_id: &'a str,
    pub(crate) status: CampaignStatus,
    pub(crate) progress: CampaignProgress,
    pub(crate) at: Timestamp,
}
