//! Parsing and validation of the uploaded contacts CSV.
//!
//! The file is UTF-8 (a leading byte-order mark is skipped), comma-delimited
//! with RFC 4180 quoting, and starts with a header row that names a
//! `phone_number` column. Rows whose fields are all empty are skipped. Values
//! are kept exactly as sent, without trimming.

use crate::error::ApiError;

/// The maximum number of contacts in one campaign.
pub(crate) const MAX_CONTACTS: usize = 1_000_000;

/// The column that contains each contact's phone number.
pub(crate) const PHONE_COLUMN: &str = "phone_number";

/// The maximum length of a value quoted back in an error, in characters.
const MAX_QUOTED_VALUE: usize = 100;

/// The contacts of a valid CSV.
#[derive(Debug)]
pub(crate) struct ParsedContacts {
    /// The column names other than `phone_number`, in file order.
    pub(crate) column_names: Vec<String>,
    /// Each contact's phone number and the values of `column_names`, in upload order.
    pub(crate) contacts: Vec<(String, Box<[String]>)>,
}

/// Parses `bytes` as a contacts CSV.
///
/// Every error is a 422 `invalid_csv` whose `details` locate the fault: `line`
/// (1-based, the header is line 1) and, for a bad value, `row` (the line
/// where the record starts), `column` and `value`.
pub(crate) fn parse_contacts(bytes: &[u8]) -> Result<ParsedContacts, ApiError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let text = decode_utf8(bytes)?;
    if text.trim().is_empty() {
        return Err(ApiError::invalid_csv(
            "the contacts CSV is empty; send a header row with a `phone_number` column and at least one contact",
        ));
    }

    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_reader(text.as_bytes());
    let header = reader.headers().map_err(csv_error)?.clone();
    let (phone_index, column_names) = check_header(&header)?;

    let mut contacts = Vec::new();
    for record in reader.records() {
        let record = record.map_err(csv_error)?;
        if record.iter().all(str::is_empty) {
            continue;
        }
        let line = record.position().map_or(0, csv::Position::line);

        if record.len() != header.len() {
            return Err(ApiError::invalid_csv(format!(
                "line {line} of the contacts CSV has {} fields but the header has {}; give every row one value per column",
                record.len(),
                header.len()
            ))
            .detail("line", line)
            .detail("row", line)
            .detail("expected_fields", header.len())
            .detail("found_fields", record.len()));
        }

        let phone_number = record.get(phone_index).unwrap_or_default();
        check_phone_number(phone_number, line)?;

        if contacts.len() == MAX_CONTACTS {
            return Err(ApiError::invalid_csv(format!(
                "the contacts CSV has more than {MAX_CONTACTS} contacts; split it into several campaigns"
            ))
            .detail("line", line)
            .detail("max_contacts", MAX_CONTACTS));
        }

        let values: Box<[String]> = record
            .iter()
            .enumerate()
            .filter(|(index, _)| *index != phone_index)
            .map(|(_, value)| value.to_owned())
            .collect();
        contacts.push((phone_number.to_owned(), values));
    }

    if contacts.is_empty() {
        return Err(ApiError::invalid_csv(
            "the contacts CSV has a header but no contacts; add at least one row with a phone number",
        ));
    }
    Ok(ParsedContacts {
        column_names,
        contacts,
    })
}

fn decode_utf8(bytes: &[u8]) -> Result<&str, ApiError> {
    std::str::from_utf8(bytes).map_err(|error| {
        let offset = error.valid_up_to();
        let line = bytes
            .get(..offset)
            .map_or(1, |valid| valid.iter().filter(|&&byte| byte == b'\n').count() + 1);
        ApiError::invalid_csv(format!(
            "the contacts CSV is not valid UTF-8 (first invalid byte at offset {offset}, line {line}); save the file as UTF-8"
        ))
        .detail("line", line)
        .detail("byte_offset", offset)
    })
}

/// Finds the `phone_number` column and returns its index with the other column names.
fn check_header(header: &csv::StringRecord) -> Result<(usize, Vec<String>), ApiError> {
    let mut seen = std::collections::HashSet::new();
    for (index, name) in header.iter().enumerate() {
        if name.is_empty() {
            return Err(ApiError::invalid_csv(format!(
                "column {} of the contacts CSV header has no name; name every column or remove the empty one",
                index + 1
            ))
            .detail("line", 1)
            .detail("column_index", index + 1));
        }
        if !seen.insert(name) {
            return Err(ApiError::invalid_csv(format!(
                "the contacts CSV header names column {name:?} twice; give every column a distinct name"
            ))
            .detail("line", 1)
            .detail("column", name));
        }
    }

    let Some(phone_index) = header.iter().position(|name| name == PHONE_COLUMN) else {
        let found: Vec<&str> = header.iter().take(20).collect();
        return Err(ApiError::invalid_csv(format!(
            "the contacts CSV header has no `{PHONE_COLUMN}` column (found {found:?}); add a column named exactly `{PHONE_COLUMN}`"
        ))
        .detail("line", 1)
        .detail("column", PHONE_COLUMN));
    };

    let column_names = header
        .iter()
        .enumerate()
        .filter(|(index, _)| *index != phone_index)
        .map(|(_, name)| name.to_owned())
        .collect();
    Ok((phone_index, column_names))
}

fn check_phone_number(value: &str, line: u64) -> Result<(), ApiError> {
    if is_phone_number(value) {
        return Ok(());
    }
    let quoted: String = value.chars().take(MAX_QUOTED_VALUE).collect();
    let problem = if value.trim().is_empty() {
        "has no phone number".to_owned()
    } else {
        format!("has an invalid phone number {quoted:?}")
    };
    Err(ApiError::invalid_csv(format!(
        "row {line} of the contacts CSV {problem}; write 7 to 15 digits with an optional leading + and separators (space - . ( )), such as +1 555 010 0199"
    ))
    .detail("row", line)
    .detail("line", line)
    .detail("column", PHONE_COLUMN)
    .detail("value", quoted))
}

/// Tells whether `value` looks like a phone number: an optional leading `+`,
/// then 7 to 15 digits with spaces, `-`, `.`, `(` or `)` between them.
pub(crate) fn is_phone_number(value: &str) -> bool {
    let trimmed = value.trim();
    let rest = trimmed.strip_prefix('+').unwrap_or(trimmed);
    let mut digits = 0;
    for character in rest.chars() {
        if character.is_ascii_digit() {
            digits += 1;
        } else if !matches!(character, ' ' | '-' | '.' | '(' | ')') {
            return false;
        }
    }
    (7..=15).contains(&digits)
}

fn csv_error(error: csv::Error) -> ApiError {
    let line = error.position().map_or(0, csv::Position::line);
    ApiError::invalid_csv(format!(
        "the contacts CSV cannot be read at line {line}: {error}; check its quoting (RFC 4180)"
    ))
    .detail("line", line)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<ParsedContacts, ApiError> {
        parse_contacts(text.as_bytes())
    }

    #[test]
    fn phone_number_forms() {
        for valid in [
            "+15550100199",
            "+1 (555) 010-0199",
            "555.010.0199",
            "0049 30 1234567",
        ] {
            assert!(is_phone_number(valid), "{valid}");
        }
        for invalid in [
            "",
            "12345",
            "+1555010019912345",
            "call me",
            "+1-555-CALL-NOW",
            "++15550100199",
        ] {
            assert!(!is_phone_number(invalid), "{invalid}");
        }
    }

    #[test]
    fn keeps_values_exactly() {
        let parsed =
            parse("name,phone_number,note\n\" Ann \",+1 555 010 0199,\"a, \"\"b\"\"\nc\"\n");
        let Ok(parsed) = parsed else {
            panic!("valid CSV rejected: {parsed:?}");
        };
        assert_eq!(parsed.column_names, vec!["name", "note"]);
        let (phone, values) = &parsed.contacts[0];
        assert_eq!(phone, "+1 555 010 0199");
        assert_eq!(
            values.as_ref(),
            [" Ann ".to_owned(), "a, \"b\"\nc".to_owned()]
        );
    }

    #[test]
    fn skips_bom_and_empty_rows() {
        let parsed =
            parse("\u{feff}phone_number,city\n+15550100199,Oslo\n,\n\n+15550100198,Rome\n");
        assert_eq!(parsed.map(|parsed| parsed.contacts.len()).ok(), Some(2));
    }

    #[test]
    fn rejects_missing_phone_column() {
        let error = parse("name,phone\nAnn,+15550100199\n").err();
        assert!(format!("{error:?}").contains("phone_number"));
    }

    #[test]
    fn rejects_invalid_utf8() {
        assert!(parse_contacts(b"phone_number\n+15550100199\xff\n").is_err());
    }

    #[test]
    fn rejects_header_only() {
        assert!(parse("phone_number\n").is_err());
        assert!(parse("").is_err());
    }

    #[test]
    fn rejects_ragged_row() {
        assert!(parse("phone_number,city\n+15550100199\n").is_err());
    }

    #[test]
    fn rejects_duplicate_column() {
        assert!(parse("phone_number,city,city\n+15550100199,a,b\n").is_err());
    }
}
