//! Each campaign's Server-Sent Events log: a bounded ring buffer of encoded frames.
//!
//! The dispatcher appends frames under the Hub lock and publishes the newest
//! id on a `watch` channel. Each subscriber copies the frames it has not sent
//! yet and writes them on its own task, so a slow subscriber only falls
//! behind (and may miss events that the ring buffer dropped) and never
//! blocks the dispatcher.

use std::collections::VecDeque;

use axum::body::Bytes;
use serde::Serialize;
use tokio::sync::watch;

use crate::models::{
    CallOutcome, ContactEventData, EndEventData, ProgressEventData, StatusEventData, Timestamp,
};
use crate::simulation;
use crate::state::CampaignRecord;

/// The most recent events of one campaign, encoded as `text/event-stream` frames.
#[derive(Debug)]
pub(crate) struct EventLog {
    /// `(id, frame)` pairs with consecutive ids, oldest first.
    retained: VecDeque<(u64, Bytes)>,
    capacity: usize,
    last_id: u64,
    end_id: Option<u64>,
    latest: watch::Sender<u64>,
}

impl EventLog {
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            retained: VecDeque::new(),
            capacity: capacity.max(1),
            last_id: 0,
            end_id: None,
            latest: watch::Sender::new(0),
        }
    }

    /// Appends an event named `name` with `data` as its one `data:` line.
    fn push(&mut self, name: &str, data: &impl Serialize) {
        let json = match serde_json::to_string(data) {
            Ok(json) => json,
            Err(error) => {
                tracing::error!(%error, event = name, "failed to encode an event; the event is skipped");
                return;
            }
        };

        // Compact JSON escapes every line break inside strings, so the
        // frame has exactly one `data:` line.
        self.last_id += 1;
        let frame = format!("id: {}\nevent: {name}\ndata: {json}\n\n", self.last_id);
        self.retained.push_back((self.last_id, Bytes::from(frame)));
        if self.retained.len() > self.capacity {
            self.retained.pop_front();
        }
        self.latest.send_replace(self.last_id);
    }

    /// Uses the next id for an event that no subscriber can observe.
    ///
    /// The caller must append at least `capacity` more events before it
    /// releases the Hub lock. Those evict every event retained now, so the
    /// ring buffer is cleared at once, which keeps its ids consecutive.
    pub(crate) fn skip_unobservable(&mut self) {
        self.retained.clear();
        self.last_id += 1;
    }

    pub(crate) fn capacity(&self) -> usize {
        self.capacity
    }

    /// Returns a receiver that changes whenever an event is appended.
    pub(crate) fn subscribe(&self) -> watch::Receiver<u64> {
        self.latest.subscribe()
    }

    /// Returns up to `limit` retained events with an id greater than `after`.
    ///
    /// When events after `after` were already dropped from the ring buffer,
    /// the result starts at the oldest retained event.
    pub(crate) fn frames_after(&self, after: u64, limit: usize) -> Vec<(u64, Bytes)> {
        let Some(&(first_id, _)) = self.retained.front() else {
            return Vec::new();
        };
        let skip =
            usize::try_from(after.saturating_add(1).saturating_sub(first_id)).unwrap_or(usize::MAX);
        self.retained
            .iter()
            .skip(skip)
            .take(limit)
            .cloned()
            .collect()
    }

    /// Returns the id of the `end` event, once it was sent.
    pub(crate) fn end_id(&self) -> Option<u64> {
        self.end_id
    }

    #[cfg(test)]
    fn retained_len(&self) -> usize {
        self.retained.len()
    }
}

impl CampaignRecord {
    /// Sends a `progress` event with the current counts.
    pub(crate) fn emit_progress(&mut self, at: Timestamp) {
        let data = ProgressEventData {
            campaign_id: &self.id,
            status: self.status,
            progress: self.progress,
            calls_in_flight: u64::from(self.in_flight),
            at,
        };
        self.events.push("progress", &data);
    }

    /// Sends a `contact` event for the contact at `index`.
    ///
    /// `attempt_result` is the outcome and error of the attempt that just
    /// ended, when this change ends one.
    pub(crate) fn emit_contact(
        &mut self,
        index: usize,
        attempt_result: Option<(CallOutcome, Option<&'static str>)>,
        at: Timestamp,
    ) {
        let Some(contact) = self.contacts.get(index) else {
            return;
        };
        let data = ContactEventData {
            campaign_id: &self.id,
            contact_id: simulation::contact_id(self.index, index),
            phone_number: &contact.phone_number,
            status: contact.status,
            attempts: contact.attempts,
            outcome: attempt_result.map(|(outcome, _)| outcome),
            error: attempt_result.and_then(|(_, error)| error),
            at,
        };
        self.events.push("contact", &data);
    }

    /// Sends a `status` event for a change from `previous_status` to the current status.
    pub(crate) fn emit_status(
        &mut self,
        previous_status: crate::models::CampaignStatus,
        at: Timestamp,
    ) {
        let data = StatusEventData {
            campaign_id: &self.id,
            status: self.status,
            previous_status,
            at,
        };
        self.events.push("status", &data);
    }

    /// Sends the `end` event once the campaign is terminal and no call is in flight.
    ///
    /// Returns whether the campaign has ended, now or before.
    pub(crate) fn end_if_finished(&mut self, at: Timestamp) -> bool {
        if self.events.end_id.is_some() {
            return true;
        }
        if !self.status.is_terminal() || self.in_flight > 0 {
            return false;
        }
        let data = EndEventData {
            campaign_id: &self.id,
            status: self.status,
            progress: self.progress,
            at,
        };
        self.events.push("end", &data);
        self.events.end_id = Some(self.events.last_id);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn log_with(count: u64, capacity: usize) -> EventLog {
        let mut log = EventLog::new(capacity);
        for n in 0..count {
            log.push("progress", &serde_json::json!({ "n": n }));
        }
        log
    }

    fn ids(frames: &[(u64, Bytes)]) -> Vec<u64> {
        frames.iter().map(|(id, _)| *id).collect()
    }

    #[test]
    fn frames_after_resumes_after_id() {
        let log = log_with(5, 10);
        assert_eq!(ids(&log.frames_after(0, 100)), vec![1, 2, 3, 4, 5]);
        assert_eq!(ids(&log.frames_after(3, 100)), vec![4, 5]);
        assert_eq!(ids(&log.frames_after(5, 100)), Vec::<u64>::new());
        assert_eq!(ids(&log.frames_after(99, 100)), Vec::<u64>::new());
        assert_eq!(ids(&log.frames_after(1, 2)), vec![2, 3]);
    }

    #[test]
    fn ring_buffer_drops_oldest() {
        let log = log_with(25, 10);
        assert_eq!(log.retained_len(), 10);
        assert_eq!(ids(&log.frames_after(0, 100)).first(), Some(&16));
        assert_eq!(ids(&log.frames_after(20, 100)), vec![21, 22, 23, 24, 25]);
    }

    #[test]
    fn frame_has_one_data_line() {
        let mut log = EventLog::new(4);
        log.push("contact", &serde_json::json!({ "text": "two\nlines" }));
        let frames = log.frames_after(0, 1);
        let frame = frames
            .first()
            .map(|(_, frame)| frame.clone())
            .unwrap_or_default();
        let text = String::from_utf8_lossy(&frame);
        assert_eq!(
            text,
            "id: 1\nevent: contact\ndata: {\"text\":\"two\\nlines\"}\n\n"
        );
    }
}
