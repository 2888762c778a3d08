//! The Hub's data types, generated from the spec.
//!
//! Every type derives `serde::Serialize`, `serde::Deserialize` and
//! `schemars::JsonSchema`. The status enums are `#[non_exhaustive]` and keep
//! a value that this version of the crate does not know as `Unknown`, and
//! decoding ignores fields that this version does not know. So a newer Hub
//! that adds a status or a field does not break decoding.

pub use crate::generated::types::{
    CallOutcome, Campaign, CampaignProgress, CampaignStatus, Contact, ContactEvent, ContactPage,
    ContactStatus, EndEvent, ProgressEvent, StatusEvent,
};

impl CampaignStatus {
    /// Whether the campaign can no longer change: `completed` or `stopped`.
    /// An unknown status is not terminal.
    pub fn is_terminal(&self) -> bool {
        matches!(self, Self::Completed | Self::Stopped)
    }
}

impl ContactStatus {
    /// Whether the contact reached a final status: `completed`, `no_answer`,
    /// `busy`, `failed` or `cancelled`. An unknown status is not final.
    pub fn is_final(&self) -> bool {
        matches!(
            self,
            Self::Completed | Self::NoAnswer | Self::Busy | Self::Failed | Self::Cancelled
        )
    }
}

impl CampaignProgress {
    /// Counts the contacts with a final status, in the same type as
    /// `total`, so `progress.finished() == progress.total` once every
    /// contact is final.
    pub fn finished(&self) -> i64 {
        [
            self.completed,
            self.no_answer,
            self.busy,
            self.failed,
            self.cancelled,
        ]
        .into_iter()
        .fold(0, i64::saturating_add)
    }
}
