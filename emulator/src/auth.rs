//! Bearer authentication with the configured API key.

use axum::http::header::AUTHORIZATION;
use axum::http::HeaderMap;

use crate::error::ApiError;

/// Checks that `headers` carry `Authorization: Bearer <api_key>`.
///
/// The scheme name is case-insensitive (RFC 9110, section 11.1); the key is
/// compared exactly. The error never quotes the key that was sent.
pub(crate) fn check_bearer(headers: &HeaderMap, api_key: &str) -> Result<(), ApiError> {
    let Some(value) = headers.get(AUTHORIZATION) else {
        return Err(ApiError::unauthorized(
            "missing Authorization header; send `Authorization: Bearer <API key>`",
        ));
    };
    let value = value.to_str().unwrap_or_default();
    let token = value
        .split_once(' ')
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim_start_matches(' '));
    match token {
        None => Err(ApiError::unauthorized(
            "the Authorization header is not a bearer token; send `Authorization: Bearer <API key>`",
        )),
        Some(token) if constant_time_eq(token.as_bytes(), api_key.as_bytes()) => Ok(()),
        Some(_) => Err(ApiError::unauthorized(
            "invalid API key; send the emulator's key as `Authorization: Bearer <API key>`",
        )),
    }
}

/// Compares two byte strings in time that depends only on their lengths.
fn constant_time_eq(left: &[u8], right: &[u8]) -> bool {
    left.len() == right.len()
        && left
            .iter()
            .zip(right)
            .fold(0u8, |difference, (a, b)| difference | (a ^ b))
            == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        if let Ok(value) = HeaderValue::from_str(value) {
            headers.insert(AUTHORIZATION, value);
        }
        headers
    }

    #[test]
    fn accepts_bearer_key() {
        assert!(check_bearer(&headers("Bearer key"), "key").is_ok());
        assert!(check_bearer(&headers("bearer key"), "key").is_ok());
    }

    #[test]
    fn rejects_wrong_or_missing_key() {
        assert!(check_bearer(&HeaderMap::new(), "key").is_err());
        assert!(check_bearer(&headers("Bearer other"), "key").is_err());
        assert!(check_bearer(&headers("Basic key"), "key").is_err());
        assert!(check_bearer(&headers("Bearer"), "key").is_err());
        assert!(check_bearer(&headers("Bearer key2"), "key").is_err());
    }
}
