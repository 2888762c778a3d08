//! Validation of ids that become part of a URL.

use crate::error::{Error, Result};
use crate::generated::types::CampaignId;

/// The maximum length of a campaign id, in bytes.
pub(crate) const MAX_ID_LEN: usize = 64;

/// Checks that `id` names exactly one campaign: 1 to 64 ASCII letters,
/// digits, `_` or `-`, starting with a letter or digit. Anything else (an
/// empty string, `/`, `..`, `?`, `%`, white space) could change the request
/// path, so it is rejected before a request is built.
pub(crate) fn campaign_id(id: &str) -> Result<CampaignId> {
    let problem = if id.is_empty() {
        Some("it is empty".to_owned())
    } else if id.len() > MAX_ID_LEN {
        Some(format!(
            "it is {} bytes long, the maximum is {MAX_ID_LEN}",
            id.len()
        ))
    } else if let Some(bad) = id
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '_' || *c == '-'))
    {
        Some(format!("it contains {bad:?}"))
    } else if !id.starts_with(|c: char| c.is_ascii_alphanumeric()) {
        Some("it does not start with a letter or digit".to_owned())
    } else {
        None
    };
    if let Some(problem) = problem {
        return Err(Error::invalid_argument(format!(
            "invalid campaign id {:?}: {problem}; a campaign id is 1 to {MAX_ID_LEN} ASCII \
             letters, digits, '_' or '-', as returned in Campaign::id",
            shorten(id)
        )));
    }
    CampaignId::try_from(id)
        .map_err(|source| Error::invalid_argument(format!("invalid campaign id {id:?}: {source}")))
}

fn shorten(id: &str) -> String {
    if id.chars().count() <= 80 {
        id.to_owned()
    } else {
        let mut short: String = id.chars().take(80).collect();
        short.push('…');
        short
    }
}

#[cfg(test)]
mod tests {
    use super::campaign_id;

    #[test]
    fn valid_ids_accepted() {
        for id in ["cmp_0123456789abcdef", "a", "A-b_c", "0", &"x".repeat(64)] {
            assert!(campaign_id(id).is_ok(), "{id}");
        }
    }

    #[test]
    fn path_changing_ids_rejected() {
        let bad = [
            "",
            "..",
            ".",
            "a/b",
            "a?b=1",
            "a#b",
            "a%2Fb",
            " a",
            "a b",
            "a\n",
            "_a",
            "-a",
            "cmp/../../admin",
            "é",
            "a\u{0}",
        ];
        for id in bad {
            let error = campaign_id(id).unwrap_err();
            assert_eq!(error.kind(), crate::ErrorKind::InvalidArgument, "{id:?}");
            assert!(error.to_string().contains("invalid campaign id"), "{id:?}");
        }
    }

    #[test]
    fn overlong_id_rejected() {
        let error = campaign_id(&"x".repeat(65)).unwrap_err();
        assert!(error.to_string().contains("65 bytes"), "{error}");
    }
}
