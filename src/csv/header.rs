//! Checks of the header row: the phone column, and unique, non-empty names.

use std::collections::HashMap;

use csv::ByteRecord;

use super::options::{CsvOptions, PHONE_NUMBER};
use super::phone::{check_phone_number, trim_blank_bytes, trim_blanks, PhoneCheck};
use super::problem::CsvProblemKind;

/// Normalized header names that suggest a phone column. Names are compared
/// after [`normalize`].
const PHONE_LIKE_NAMES: &[&str] = &[
    "phonenumber",
    "phone",
    "phoneno",
    "phonenr",
    "mobile",
    "mobilenumber",
    "mobilephone",
    "mobileno",
    "cell",
    "cellphone",
    "cellnumber",
    "tel",
    "telephone",
    "telephonenumber",
    "telno",
    "msisdn",
    "contactnumber",
];

/// Delimiters that [`read_header`] suggests when the header is one field.
const OTHER_DELIMITERS: &[u8] = b",;\t|";

/// A problem found in the header, before it gets its row and offset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Finding {
    pub(super) kind: CsvProblemKind,
    pub(super) column: Option<String>,
    pub(super) value: Option<String>,
}

impl Finding {
    fn new(kind: CsvProblemKind) -> Self {
        Self {
            kind,
            column: None,
            value: None,
        }
    }
}

/// A header with a phone column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Header {
    /// Names as in the file, trimmed of spaces and tabs.
    pub(super) names: Vec<String>,
    /// Index of the phone column.
    pub(super) phone_index: usize,
    /// Whether the uploaded names equal the raw fields byte for byte.
    pub(super) unchanged: bool,
}

impl Header {
    /// Returns the names as uploaded: trimmed, with the phone column named
    /// `phone_number`.
    pub(super) fn uploaded(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self.names.iter().map(String::as_str).collect();
        if let Some(phone_name) = names.get_mut(self.phone_index) {
            *phone_name = PHONE_NUMBER;
        }
        names
    }

    /// Returns the names as uploaded, consuming the header.
    pub(super) fn into_uploaded(mut self) -> Vec<String> {
        if let Some(phone_name) = self.names.get_mut(self.phone_index) {
            PHONE_NUMBER.clone_into(phone_name);
        }
        self.names
    }
}

/// Finds the phone column among the trimmed header `names` of `record`.
/// Returns the problem that makes the header unusable when there is none.
pub(super) fn read_header(
    record: &ByteRecord,
    names: Vec<String>,
    options: &CsvOptions,
) -> Result<Header, Finding> {
    let expected = trim_blanks(&options.phone_column);
    let Some(phone_index) = names.iter().position(|name| name == expected) else {
        return Err(explain_missing_phone_column(
            record,
            &names,
            expected,
            options.delimiter,
        ));
    };

    let mut header = Header {
        names,
        phone_index,
        unchanged: false,
    };
    header.unchanged = header.names.len() == record.len()
        && header
            .uploaded()
            .iter()
            .zip(record.iter())
            .all(|(name, field)| name.as_bytes() == field);
    Ok(header)
}

/// Returns the header names trimmed of spaces and tabs. Invalid UTF-8 is
/// replaced by U+FFFD.
pub(super) fn trimmed_names(record: &ByteRecord) -> Vec<String> {
    record
        .iter()
        .map(|field| String::from_utf8_lossy(trim_blank_bytes(field)).into_owned())
        .collect()
}

/// Reports empty and duplicate names, and a name that clashes with the
/// phone column once it is renamed to `phone_number`. Such names make the
/// file invalid but still let the rows be checked.
pub(super) fn check_names(header: &Header, mut report: impl FnMut(Finding)) {
    let names = &header.names;
    let mut first_seen: HashMap<&str, usize> = HashMap::new();

    for (index, name) in names.iter().enumerate() {
        let column = index as u64 + 1;
        if name.is_empty() {
            report(Finding::new(CsvProblemKind::EmptyColumnName { column }));
            continue;
        }
        match first_seen.get(name.as_str()) {
            Some(&first) => report(Finding {
                column: Some(name.clone()),
                ..Finding::new(CsvProblemKind::DuplicateColumn {
                    first: first as u64 + 1,
                    second: column,
                })
            }),
            None => {
                first_seen.insert(name, index);
            }
        }
    }

    let phone_name = names
        .get(header.phone_index)
        .map(String::as_str)
        .unwrap_or_default();
    if phone_name != PHONE_NUMBER && first_seen.contains_key(PHONE_NUMBER) {
        report(Finding {
            column: Some(PHONE_NUMBER.to_owned()),
            ..Finding::new(CsvProblemKind::PhoneColumnConflict {
                phone_column: phone_name.to_owned(),
            })
        });
    }
}

/// Says why the header has no phone column: another delimiter, a first row
/// of data, or a differently named column.
fn explain_missing_phone_column(
    record: &ByteRecord,
    names: &[String],
    expected: &str,
    delimiter: u8,
) -> Finding {
    if let [name] = names {
        let field = record.get(0).unwrap_or_default();
        let most_frequent = OTHER_DELIMITERS
            .iter()
            .filter(|&&candidate| candidate != delimiter)
            .map(|&candidate| (bytecount(field, candidate), candidate))
            .filter(|&(count, _)| count > 0)
            .max_by_key(|&(count, _)| count);
        if let Some((_, other)) = most_frequent {
            return Finding {
                value: Some(name.clone()),
                ..Finding::new(CsvProblemKind::LooksDelimitedBy { delimiter: other })
            };
        }
    }

    let phone_like = names.iter().find(|name| {
        matches!(
            check_phone_number(name.as_bytes()),
            PhoneCheck::Valid | PhoneCheck::ScientificNotation
        )
    });
    if let Some(value) = phone_like {
        return Finding {
            value: Some(value.clone()),
            ..Finding::new(CsvProblemKind::HeaderLooksLikeData)
        };
    }

    let found = near_match(names, expected);
    let separator = char::from(delimiter).to_string();
    Finding {
        column: found.clone(),
        value: Some(names.join(&separator)),
        ..Finding::new(CsvProblemKind::MissingPhoneColumn {
            expected: expected.to_owned(),
            found,
        })
    }
}

/// Returns the first name that equals `expected` after [`normalize`], or else
/// the first name that suggests a phone column.
fn near_match(names: &[String], expected: &str) -> Option<String> {
    let expected = normalize(expected);
    let normalized: Vec<String> = names.iter().map(|name| normalize(name)).collect();
    let position = normalized
        .iter()
        .position(|name| !name.is_empty() && *name == expected)
        .or_else(|| {
            normalized
                .iter()
                .position(|name| PHONE_LIKE_NAMES.contains(&name.as_str()))
        })?;
    names.get(position).cloned()
}

/// Lowercases a name and removes spaces, `_`, `-` and `.`.
fn normalize(name: &str) -> String {
    name.chars()
        .filter(|character| !matches!(character, ' ' | '_' | '-' | '.'))
        .flat_map(char::to_lowercase)
        .collect()
}

fn bytecount(haystack: &[u8], needle: u8) -> usize {
    memchr::memchr_iter(needle, haystack).count()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(fields: &[&str]) -> ByteRecord {
        ByteRecord::from(fields.to_vec())
    }

    fn read(fields: &[&str], options: &CsvOptions) -> Result<Header, Finding> {
        let record = header(fields);
        read_header(&record, trimmed_names(&record), options)
    }

    fn findings(header: &Header) -> Vec<Finding> {
        let mut found = Vec::new();
        check_names(header, |finding| found.push(finding));
        found
    }

    #[test]
    fn finds_phone_column_and_trims() {
        let found = read(&[" name ", "phone_number"], &CsvOptions::new()).unwrap();
        assert_eq!(found.phone_index, 1);
        assert_eq!(found.uploaded(), ["name", "phone_number"]);
        assert!(!found.unchanged);
        assert!(findings(&found).is_empty());
    }

    #[test]
    fn untouched_header_is_unchanged() {
        let found = read(&["phone_number", "name"], &CsvOptions::new()).unwrap();
        assert!(found.unchanged);
    }

    #[test]
    fn renamed_phone_column_is_uploaded_as_phone_number() {
        let options = CsvOptions::new().phone_column("Phone Number");
        let found = read(&[" Phone Number ", "First Name"], &options).unwrap();
        assert_eq!(found.names, ["Phone Number", "First Name"]);
        assert_eq!(found.uploaded(), ["phone_number", "First Name"]);
        assert_eq!(found.into_uploaded(), ["phone_number", "First Name"]);
    }

    #[test]
    fn near_matches_are_named() {
        for name in [
            "Phone Number",
            "PhoneNumber",
            "PHONE-NUMBER",
            "phone",
            "Mobile",
            "tel",
            "Telephone",
            "MSISDN",
        ] {
            let finding = read(&["name", name], &CsvOptions::new()).unwrap_err();
            assert_eq!(
                finding.kind,
                CsvProblemKind::MissingPhoneColumn {
                    expected: "phone_number".to_owned(),
                    found: Some(name.to_owned()),
                },
                "{name}"
            );
        }
    }

    #[test]
    fn missing_without_near_match_lists_header() {
        let finding = read(&["name", "city"], &CsvOptions::new()).unwrap_err();
        assert_eq!(
            finding.kind,
            CsvProblemKind::MissingPhoneColumn {
                expected: "phone_number".to_owned(),
                found: None,
            }
        );
        assert_eq!(finding.value.as_deref(), Some("name,city"));
    }

    #[test]
    fn single_field_with_semicolons_suggests_delimiter() {
        let finding = read(&["phone_number;name;balance"], &CsvOptions::new()).unwrap_err();
        assert_eq!(
            finding.kind,
            CsvProblemKind::LooksDelimitedBy { delimiter: b';' }
        );
        let finding = read(&["phone_number\tname"], &CsvOptions::new()).unwrap_err();
        assert_eq!(
            finding.kind,
            CsvProblemKind::LooksDelimitedBy { delimiter: b'\t' }
        );
        let finding = read(&["phone_number|name"], &CsvOptions::new()).unwrap_err();
        assert_eq!(
            finding.kind,
            CsvProblemKind::LooksDelimitedBy { delimiter: b'|' }
        );
    }

    #[test]
    fn comma_suggested_when_other_delimiter_set() {
        let options = CsvOptions::new().delimiter(b';');
        let finding = read(&["phone_number,name"], &options).unwrap_err();
        assert_eq!(
            finding.kind,
            CsvProblemKind::LooksDelimitedBy { delimiter: b',' }
        );
    }

    #[test]
    fn phone_numbers_in_header_look_like_data() {
        let finding = read(&["+12025550117", "Quinn"], &CsvOptions::new()).unwrap_err();
        assert_eq!(finding.kind, CsvProblemKind::HeaderLooksLikeData);
        assert_eq!(finding.value.as_deref(), Some("+12025550117"));
    }

    #[test]
    fn duplicate_and_empty_names_found() {
        let found = read(&["phone_number", "name", " name", ""], &CsvOptions::new()).unwrap();
        assert_eq!(
            findings(&found),
            [
                Finding {
                    column: Some("name".to_owned()),
                    ..Finding::new(CsvProblemKind::DuplicateColumn {
                        first: 2,
                        second: 3
                    })
                },
                Finding::new(CsvProblemKind::EmptyColumnName { column: 4 }),
            ]
        );
    }

    #[test]
    fn renamed_phone_column_conflicts_with_existing() {
        let options = CsvOptions::new().phone_column("mobile");
        let found = read(&["mobile", "phone_number"], &options).unwrap();
        assert_eq!(
            findings(&found),
            [Finding {
                column: Some("phone_number".to_owned()),
                ..Finding::new(CsvProblemKind::PhoneColumnConflict {
                    phone_column: "mobile".to_owned(),
                })
            }]
        );
    }
}
