//! `Idempotency-Key` handling for campaign creation.
//!
//! The Hub remembers each key for 24 hours with a fingerprint of the request
//! that first used it. The window is real time, not divided by the time
//! scale, because it bounds client retries and not simulated calls.

use std::collections::{BTreeMap, HashMap};
use std::hash::{DefaultHasher, Hash, Hasher};
use std::time::Duration;

use tokio::time::Instant;

/// How long a key is remembered.
const KEY_LIFETIME: Duration = Duration::from_secs(24 * 60 * 60);

/// The maximum length of a key, in characters.
pub(crate) const MAX_KEY_LEN: usize = 255;

/// Keys seen in the last 24 hours.
#[derive(Debug, Default)]
pub(crate) struct IdempotencyStore {
    entries: HashMap<String, Entry>,
}

#[derive(Debug)]
struct Entry {
    fingerprint: u64,
    campaign_id: String,
    first_seen: Instant,
}

/// The result of a key lookup: how an earlier request with the same key affects this one.
#[derive(Debug, PartialEq)]
pub(crate) enum Replay {
    /// The key is new, or its 24 hours have passed.
    New,
    /// The same request created this campaign.
    Same { campaign_id: String },
    /// The key was used for a different request.
    Conflict,
}

impl IdempotencyStore {
    /// Looks `key` up for a request with `fingerprint`.
    pub(crate) fn check(&mut self, key: &str, fingerprint: u64) -> Replay {
        let now = Instant::now();
        self.entries
            .retain(|_, entry| now.duration_since(entry.first_seen) < KEY_LIFETIME);

        match self.entries.get(key) {
            None => Replay::New,
            Some(entry) if entry.fingerprint == fingerprint => Replay::Same {
                campaign_id: entry.campaign_id.clone(),
            },
            Some(_) => Replay::Conflict,
        }
    }

    /// Remembers that the request with `fingerprint` and `key` created `campaign_id`.
    pub(crate) fn remember(&mut self, key: String, fingerprint: u64, campaign_id: String) {
        self.entries.insert(
            key,
            Entry {
                fingerprint,
                campaign_id,
                first_seen: Instant::now(),
            },
        );
    }
}

/// Checks the `Idempotency-Key` header value: 1 to 255 visible ASCII characters.
pub(crate) fn validate_key(key: &str) -> Result<(), String> {
    if key.is_empty() || key.len() > MAX_KEY_LEN || !key.bytes().all(|byte| byte.is_ascii_graphic())
    {
        return Err(format!(
            "Idempotency-Key header is invalid ({} bytes); send 1 to {MAX_KEY_LEN} visible ASCII characters, such as a UUID",
            key.len()
        ));
    }
    Ok(())
}

/// Returns the fingerprint of a create request: a hash of its form fields and the contacts file.
///
/// Field order does not matter because `fields` is sorted by name.
pub(crate) fn fingerprint(fields: &BTreeMap<String, String>, contacts: &[u8]) -> u64 {
    let mut hasher = DefaultHasher::new();
    for (name, value) in fields {
        name.hash(&mut hasher);
        value.hash(&mut hasher);
    }
    contacts.hash(&mut hasher);
    hasher.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_fingerprint_replays() {
        let mut store = IdempotencyStore::default();
        assert_eq!(store.check("k", 1), Replay::New);
        store.remember("k".to_owned(), 1, "cmp_1".to_owned());
        assert_eq!(
            store.check("k", 1),
            Replay::Same {
                campaign_id: "cmp_1".to_owned()
            }
        );
        assert_eq!(store.check("k", 2), Replay::Conflict);
        assert_eq!(store.check("other", 1), Replay::New);
    }

    #[test]
    fn key_validation() {
        assert!(validate_key("abc-123").is_ok());
        assert!(validate_key("").is_err());
        assert!(validate_key("has space").is_err());
        assert!(validate_key(&"x".repeat(256)).is_err());
        assert!(validate_key(&"x".repeat(255)).is_ok());
    }

    #[test]
    fn fingerprint_covers_fields_and_file() {
        let mut fields = BTreeMap::new();
        fields.insert("name".to_owned(), "a".to_owned());
        let base = fingerprint(&fields, b"phone_number\n+15551234567\n");
        assert_eq!(base, fingerprint(&fields, b"phone_number\n+15551234567\n"));
        assert_ne!(base, fingerprint(&fields, b"phone_number\n+15551234568\n"));
        fields.insert("name".to_owned(), "b".to_owned());
        assert_ne!(base, fingerprint(&fields, b"phone_number\n+15551234567\n"));
    }
}
