//! Messages of [`CsvProblem`]: what is wrong, where, the value, and the fix.

use std::fmt;

use super::options::{byte_literal, delimiter_name, PHONE_NUMBER};
use super::phone::{MAX_DIGITS, MIN_DIGITS};
use super::problem::{CsvProblem, CsvProblemKind, PhoneNumberIssue};

impl fmt::Display for CsvProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.write_location(f)?;
        self.write_message(f)?;
        if self.is_skipped() {
            f.write_str(" The row was left out of the upload.")?;
        }
        Ok(())
    }
}

impl CsvProblem {
    /// Writes `row 2, column "name" (byte offset 24): `, or nothing for a
    /// problem with the whole file.
    fn write_location(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.row() == 0 {
            return Ok(());
        }
        write!(f, "row {}", self.row())?;
        if let Some(column) = self.column() {
            write!(f, ", column {column:?}")?;
        }
        if let Some(offset) = self.byte_offset() {
            write!(f, " (byte offset {offset})")?;
        }
        f.write_str(": ")
    }

    /// Writes the message. Values are written with `{:?}`, which escapes
    /// line breaks and quotes, so the message stays on one line.
    fn write_message(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let value = self.value().unwrap_or("");
        match self.kind() {
            CsvProblemKind::EmptyFile => write!(
                f,
                "the file is empty. Export the contacts again, with a header row that \
                 names the columns and a {PHONE_NUMBER:?} column."
            ),
            CsvProblemKind::NoContacts => f.write_str(
                "the file contains no contacts to upload. Add rows with a phone number \
                 below the header row, or check that this is the right file.",
            ),
            CsvProblemKind::SpreadsheetFile => f.write_str(
                "the file is a spreadsheet workbook or ZIP archive, not CSV text. Open it \
                 in the spreadsheet program and save it as \"CSV UTF-8\".",
            ),
            CsvProblemKind::InvalidDelimiter { delimiter } => write!(
                f,
                "the delimiter {} cannot be used. Pass an ASCII character other than a \
                 double quote, CR and LF to `CsvOptions::delimiter`.",
                byte_literal(*delimiter)
            ),
            CsvProblemKind::MissingPhoneColumn { expected, found } => {
                write!(f, "the header has no {expected:?} column")?;
                match found {
                    Some(found) if found == PHONE_NUMBER => write!(
                        f,
                        ", but it has a {PHONE_NUMBER:?} column, which is the phone column \
                         by default. Remove the `CsvOptions::phone_column({expected:?})` \
                         option, or name a column that the header has."
                    ),
                    Some(found) => write!(
                        f,
                        ", but it has a column named {found:?}. Pass \
                         `CsvOptions::phone_column({found:?})` to use it as the phone \
                         column, or rename it to {PHONE_NUMBER:?}."
                    ),
                    None => write!(
                        f,
                        " (the header is {value:?}). Add a {PHONE_NUMBER:?} column, or pass \
                         `CsvOptions::phone_column(..)` with the name of the column that \
                         contains the phone numbers."
                    ),
                }
            }
            CsvProblemKind::HeaderLooksLikeData => write!(
                f,
                "the first row looks like data, not a header, because {value:?} is a \
                 phone number. Add a header row that names the columns, with \
                 {PHONE_NUMBER:?} for the phone column."
            ),
            CsvProblemKind::LooksDelimitedBy { delimiter } => write!(
                f,
                "the header is a single column {value:?}, so the file looks {}-delimited. \
                 Pass `CsvOptions::delimiter({})`.",
                delimiter_name(*delimiter).unwrap_or("differently"),
                byte_literal(*delimiter)
            ),
            CsvProblemKind::DuplicateColumn { first, second } => write!(
                f,
                "columns {first} and {second} have the same name. Each column becomes a \
                 contact field, so rename or remove one of them."
            ),
            CsvProblemKind::PhoneColumnConflict { phone_column } => write!(
                f,
                "the phone column {phone_column:?} is uploaded as {PHONE_NUMBER:?}, but \
                 another column already has that name. Rename or remove that column, or \
                 use it as the phone column."
            ),
            CsvProblemKind::EmptyColumnName { column } => write!(
                f,
                "column {column} of the header has no name, often because the header row \
                 ends with a delimiter. Each column becomes a contact field, so name the \
                 column or delete it."
            ),
            CsvProblemKind::NotUtf8 { byte, likely } => {
                if *byte == 0 {
                    write!(f, "{value:?} contains a NUL byte, which is not text.")?;
                } else {
                    write!(f, "{value:?} is not valid UTF-8 (byte 0x{byte:02X}).")?;
                }
                match likely {
                    Some(encoding) => write!(
                        f,
                        " The file is probably {encoding}: pass \
                         `CsvOptions::encoding({})`, or save the file as \"CSV UTF-8\".",
                        encoding.rust_path()
                    ),
                    None => f.write_str(
                        " Save the file as \"CSV UTF-8\", or pass `CsvOptions::encoding(..)` \
                         with the file's encoding.",
                    ),
                }
            }
            CsvProblemKind::MalformedText { encoding } => write!(
                f,
                "{value:?} contains bytes that are not valid {encoding} (shown as \
                 \u{FFFD}). Check that the file is {encoding}, or export it again."
            ),
            CsvProblemKind::LooksLikeUtf8 { encoding } => write!(
                f,
                "the file is valid UTF-8 with non-ASCII characters, but it is read as \
                 {encoding}, which would garble them (\"é\" would become \"Ã©\"). Remove \
                 the `CsvOptions::encoding` option."
            ),
            CsvProblemKind::UnterminatedQuote => write!(
                f,
                "the quoted value starting {value:?} is never closed, so it runs to the \
                 end of the file. Add the closing double quote, and double every quote \
                 inside a quoted value."
            ),
            CsvProblemKind::TextAfterQuote => write!(
                f,
                "the value {value:?} has text after its closing quote. Quote the whole \
                 value and double the quotes inside it, as in \"\"\"Lee\"\" Max\"."
            ),
            CsvProblemKind::FieldCountMismatch { expected, found } => write!(
                f,
                "the row has {found} fields, but the header has {expected} columns (the \
                 row is {value:?}). Quote values that contain the delimiter, and give \
                 every row one field per column."
            ),
            CsvProblemKind::MissingPhoneNumber => {
                f.write_str("the phone number is empty. Add the number, or delete the row.")
            }
            CsvProblemKind::InvalidPhoneNumber { issue } => {
                write!(f, "{value:?} is not a valid phone number: ")?;
                match issue {
                    PhoneNumberIssue::InvalidCharacter(character) => write!(
                        f,
                        "it contains {character:?}. Use only digits, a leading \"+\" and \
                         the separators space, \"-\", \".\", \"(\" and \")\"."
                    ),
                    PhoneNumberIssue::TooFewDigits(digits) => write!(
                        f,
                        "it has {digits} digits, and a phone number needs at least \
                         {MIN_DIGITS}. Correct the number, including its country code."
                    ),
                    PhoneNumberIssue::TooManyDigits(digits) => write!(
                        f,
                        "it has {digits} digits, and E.164 allows at most {MAX_DIGITS}. \
                         Correct the number."
                    ),
                    PhoneNumberIssue::DecimalFraction => f.write_str(
                        "it ends in a decimal fraction, as a data tool writes a number it \
                         stored as a float, and the digits after the point would be dialled too. \
                         Remove the fraction, or export the column as text.",
                    ),
                }
            }
            CsvProblemKind::ScientificNotation
                if super::phone::scientific_digits_complete(value) =>
            {
                write!(
                    f,
                    "the phone number {value:?} is in scientific notation. Its digits are \
                     all there, but a spreadsheet turned it into a number, which also drops \
                     a leading \"+\" or zeros. Format the column as text and export it again, \
                     or write the number out in full."
                )
            }
            CsvProblemKind::ScientificNotation => write!(
                f,
                "the phone number {value:?} is in scientific notation. A spreadsheet \
                 turned it into a number, so its digits are lost and it cannot be \
                 repaired. Format the column as text and export it again from the \
                 original data."
            ),
            CsvProblemKind::RowTooLong { max_len } => write!(
                f,
                "the row is longer than {max_len} bytes, so reading stopped. A quote that \
                 is never closed usually causes this: check the quotes in this row."
            ),
            CsvProblemKind::ReadFailed { message } => {
                write!(f, "reading the input failed: {message}.")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_is_one_line_with_location() {
        let problem = CsvProblem::new(CsvProblemKind::ScientificNotation, 2)
            .with_column(Some("phone_number"))
            .with_value(Some("1.20256E+10"))
            .with_byte_offset(Some(18));
        let text = problem.to_string();
        assert!(text.starts_with("row 2, column \"phone_number\" (byte offset 18): "));
        assert!(text.contains("\"1.20256E+10\""));
        assert!(text.contains("scientific notation"));
        assert!(text.contains("cannot be repaired"));
        assert!(!text.contains('\n'));
    }

    #[test]
    fn display_escapes_line_breaks_in_values() {
        let problem = CsvProblem::new(CsvProblemKind::UnterminatedQuote, 4)
            .with_value(Some("\"call\r\nlater"));
        assert!(!problem.to_string().contains('\n'));
        assert!(!problem.to_string().contains('\r'));
    }

    #[test]
    fn file_problem_has_no_location() {
        let problem = CsvProblem::new(CsvProblemKind::EmptyFile, 0);
        assert!(problem.to_string().starts_with("the file is empty."));
    }

    #[test]
    fn skipped_problem_says_so() {
        let problem = CsvProblem::new(CsvProblemKind::MissingPhoneNumber, 3).with_skipped(true);
        assert!(problem.is_skipped());
        assert!(problem
            .to_string()
            .ends_with("The row was left out of the upload."));
    }
}
