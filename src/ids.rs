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
    if is_campaign_id(id) {
        // The generated `CampaignId::from_str` would run the spec's regular
        // expression again; `checks_agree_with_generated_type` below keeps
        // the two checks the same.
        return Ok(CampaignId::from_checked(id.to_owned()));
    }
    let problem = if id.is_empty() {
        "it is empty".to_owned()
    } else if id.len() > MAX_ID_LEN {
        format!("it is {} bytes long, the maximum is {MAX_ID_LEN}", id.len())
    } else if let Some(bad) = id
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '_' || *c == '-'))
    {
        format!("it contains {bad:?}")
    } else {
        "it does not start with a letter or digit".to_owned()
    };
    Err(Error::invalid_argument(format!(
        "invalid campaign id {:?}: {problem}; a campaign id is 1 to {MAX_ID_LEN} ASCII \
         letters, digits, '_' or '-', as returned in Campaign::id",
        shorten(id)
    )))
}

/// Returns whether `id` matches the spec's `CampaignId`:
/// `^[A-Za-z0-9][A-Za-z0-9_-]*$`, 1 to 64 bytes long.
fn is_campaign_id(id: &str) -> bool {
    let bytes = id.as_bytes();
    match bytes.split_first() {
        Some((first, rest)) => {
            bytes.len() <= MAX_ID_LEN
                && first.is_ascii_alphanumeric()
                && rest
                    .iter()
                    .all(|byte| byte.is_ascii_alphanumeric() || *byte == b'_' || *byte == b'-')
        }
        None => false,
    }
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
    use crate::generated::types::CampaignId;

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
    fn checks_agree_with_generated_type() {
        // The generated type checks the spec's pattern and length. A valid
        // id is wrapped without that check, so the handwritten check must
        // accept exactly the same ids.
        let alphabet: Vec<char> = "aZ09_-./%?# \u{0}\u{e9}\u{1F600}".chars().collect();
        let mut cases: Vec<String> = vec![
            String::new(),
            "x".repeat(63),
            "x".repeat(64),
            "x".repeat(65),
            "\u{e9}".repeat(32),
            format!("a{}", "\u{e9}".repeat(31)),
        ];
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        for _ in 0..20_000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let len = usize::try_from(state % 70).unwrap_or(0);
            let id: String = (0..len)
                .map(|index| {
                    let mixed = state.rotate_left(u32::try_from(index % 64).unwrap_or(0));
                    // Mostly valid characters, so long valid ids occur too.
                    if mixed % 8 == 0 {
                        alphabet[usize::try_from(mixed % 13).unwrap_or(0)]
                    } else {
                        alphabet[usize::try_from(mixed % 5).unwrap_or(0)]
                    }
                })
                .collect();
            cases.push(id);
        }
        let mut accepted = 0;
        for id in &cases {
            let generated = id.parse::<CampaignId>().is_ok();
            let handwritten = campaign_id(id);
            assert_eq!(handwritten.is_ok(), generated, "{id:?}");
            if let Ok(checked) = handwritten {
                assert_eq!(checked.as_str(), id);
                accepted += 1;
            }
        }
        assert!(
            accepted > 1_000 && accepted < cases.len() - 1_000,
            "{accepted}"
        );
    }

    #[test]
    fn overlong_id_rejected() {
        let error = campaign_id(&"x".repeat(65)).unwrap_err();
        assert!(error.to_string().contains("65 bytes"), "{error}");
    }
}
