//! The API key, kept out of `Debug` output, logs and error messages.

use std::fmt;

use reqwest::header::HeaderValue;

/// A Kataven API key.
///
/// `Debug` and `Display` print `ApiKey(<redacted>)`, and the key is only
/// ever turned into an `Authorization` header marked sensitive, so it stays
/// out of logs, error messages and HTTP/2 header compression tables.
///
/// ```
/// use kataven::ApiKey;
///
/// let key = ApiKey::new("kv_live_123")?;
/// assert_eq!(format!("{key:?}"), "ApiKey(<redacted>)");
/// # Ok::<(), kataven::Error>(())
/// ```
#[derive(Clone)]
pub struct ApiKey {
    header: HeaderValue,
}

impl ApiKey {
    /// Wraps a key.
    ///
    /// # Errors
    ///
    /// Returns an error of kind [`Config`](crate::ErrorKind::Config) when
    /// the key is empty or has characters that an HTTP header cannot carry
    /// (control characters, or anything but visible ASCII). The message
    /// never contains the key.
    pub fn new(key: impl Into<String>) -> crate::Result<Self> {
        let key = key.into();
        let trimmed = key.trim();
        if trimmed.is_empty() {
            return Err(crate::Error::config(
                "the API key is empty; set KATAVEN_API_KEY or pass ClientBuilder::api_key",
            ));
        }
        if trimmed.len() != key.len() {
            return Err(crate::Error::config(
                "the API key has leading or trailing white space; remove it",
            ));
        }
        if !key.bytes().all(|byte| byte.is_ascii_graphic()) {
            return Err(crate::Error::config(
                "the API key has characters other than visible ASCII; check that the whole key \
                 was copied",
            ));
        }
        let mut header = HeaderValue::try_from(format!("Bearer {key}"))
            .map_err(|_| crate::Error::config("the API key cannot be sent in an HTTP header"))?;
        header.set_sensitive(true);
        Ok(Self { header })
    }

    /// Returns the key itself, for redacting it from error messages.
    pub(crate) fn secret(&self) -> &str {
        self.header
            .to_str()
            .ok()
            .and_then(|value| value.strip_prefix("Bearer "))
            .unwrap_or_default()
    }

    /// The `Authorization` header value, marked sensitive.
    pub(crate) fn authorization(&self) -> HeaderValue {
        self.header.clone()
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKey(<redacted>)")
    }
}

impl fmt::Display for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

#[cfg(test)]
mod tests {
    use super::ApiKey;

    #[test]
    fn debug_and_display_redact_key() {
        let key = ApiKey::new("kv_secret_value").unwrap();
        assert!(!format!("{key:?}").contains("kv_secret_value"));
        assert!(!format!("{key}").contains("kv_secret_value"));
    }

    #[test]
    fn secret_is_the_key() {
        let key = ApiKey::new("kv_secret_value").unwrap();
        assert_eq!(key.secret(), "kv_secret_value");
    }

    #[test]
    fn authorization_header_is_sensitive() {
        let key = ApiKey::new("kv_secret_value").unwrap();
        let header = key.authorization();
        assert!(header.is_sensitive());
        assert_eq!(header.to_str().unwrap(), "Bearer kv_secret_value");
    }

    #[test]
    fn invalid_keys_rejected_without_echo() {
        for bad in ["", "  ", " kv_1", "kv 1", "kv\n1", "kv_é"] {
            let error = ApiKey::new(bad).unwrap_err();
            assert_eq!(error.kind(), crate::ErrorKind::Config, "{bad:?}");
            if !bad.trim().is_empty() {
                assert!(!error.to_string().contains(bad.trim()), "{bad:?}");
            }
        }
    }
}
