//! Problems found in a contacts CSV. The `message` module writes their
//! text.

use super::options::Encoding;

/// Maximum number of characters of a value or column name kept in a problem.
const MAX_VALUE_CHARS: usize = 64;

/// One problem found in a contacts CSV.
///
/// Its [`Display`](std::fmt::Display) output is one line that states what is
/// wrong, where, the offending value, and what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsvProblem {
    kind: CsvProblemKind,
    row: u64,
    column: Option<String>,
    value: Option<String>,
    byte_offset: Option<u64>,
    skipped: bool,
}

impl CsvProblem {
    /// Creates a problem at a row, with no column, value or offset.
    pub(super) fn new(kind: CsvProblemKind, row: u64) -> Self {
        Self {
            kind,
            row,
            column: None,
            value: None,
            byte_offset: None,
            skipped: false,
        }
    }

    /// Sets the column name, truncated to 64 characters.
    pub(super) fn with_column(mut self, column: Option<&str>) -> Self {
        self.column = column.map(truncate);
        self
    }

    /// Sets the offending value, truncated to 64 characters.
    pub(super) fn with_value(mut self, value: Option<&str>) -> Self {
        self.value = value.map(truncate);
        self
    }

    /// Sets the byte offset in the input.
    pub(super) fn with_byte_offset(mut self, byte_offset: Option<u64>) -> Self {
        self.byte_offset = byte_offset;
        self
    }

    /// Marks the problem's row as left out of the upload.
    pub(super) fn with_skipped(mut self, skipped: bool) -> Self {
        self.skipped = skipped;
        self
    }

    /// Returns the row number, counting from 1.
    ///
    /// Rows are counted as a spreadsheet shows them: the header, each contact
    /// and each blank line is one row, and a quoted value with line breaks
    /// stays within its row. Without blank lines before it, the header is
    /// row 1. Problems with the whole file, such as
    /// [`CsvProblemKind::EmptyFile`], have row 0.
    pub fn row(&self) -> u64 {
        self.row
    }

    /// Returns the header name of the column, as written in the file
    /// (trimmed, and truncated to 64 characters), when the problem concerns
    /// one column.
    pub fn column(&self) -> Option<&str> {
        self.column.as_deref()
    }

    /// Returns the offending value, truncated to 64 characters (with `…`
    /// appended when cut), when there is one.
    pub fn value(&self) -> Option<&str> {
        self.value.as_deref()
    }

    /// Returns the byte offset in the input file where the problem is.
    ///
    /// It is the offset of the row's first byte, except for
    /// [`NotUtf8`](CsvProblemKind::NotUtf8) and
    /// [`MalformedText`](CsvProblemKind::MalformedText), where it is the
    /// first invalid byte, and for
    /// [`UnterminatedQuote`](CsvProblemKind::UnterminatedQuote) and
    /// [`TextAfterQuote`](CsvProblemKind::TextAfterQuote), where it is the
    /// first byte of the field. Offsets count the byte-order mark. When the
    /// file is converted from another [`Encoding`], only malformed text has
    /// an offset, and this returns `None` for other problems.
    pub fn byte_offset(&self) -> Option<u64> {
        self.byte_offset
    }

    /// Returns what is wrong.
    pub fn kind(&self) -> &CsvProblemKind {
        &self.kind
    }

    /// Returns whether the row was left out of the upload because
    /// [`CsvOptions::skip_invalid_rows`](super::CsvOptions::skip_invalid_rows)
    /// is set. A problem that is not skipped makes the file invalid.
    pub fn is_skipped(&self) -> bool {
        self.skipped
    }
}

/// Kind of a [`CsvProblem`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CsvProblemKind {
    /// The file contains no rows.
    EmptyFile,
    /// The file has a header row but no contacts, or every row was left out.
    NoContacts,
    /// The file is a ZIP archive (such as an `.xlsx` workbook) or a legacy
    /// Excel `.xls` workbook, not CSV text.
    SpreadsheetFile,
    /// The delimiter set by
    /// [`CsvOptions::delimiter`](super::CsvOptions::delimiter) cannot be used.
    InvalidDelimiter {
        /// The delimiter that was set.
        delimiter: u8,
    },
    /// The header has no phone column.
    MissingPhoneColumn {
        /// The header name that was expected.
        expected: String,
        /// A header name that looks like the phone column, such as
        /// `Phone Number`, if there is one.
        found: Option<String>,
    },
    /// The first row contains a phone number, so the file has no header row.
    HeaderLooksLikeData,
    /// The header is one field that contains another delimiter, so the file
    /// looks separated by that delimiter.
    LooksDelimitedBy {
        /// The delimiter that the header contains most often.
        delimiter: u8,
    },
    /// Two columns have the same name after trimming.
    DuplicateColumn {
        /// Column number of the first column with the name, counting from 1.
        first: u64,
        /// Column number of the later column with the same name.
        second: u64,
    },
    /// The phone column set by
    /// [`CsvOptions::phone_column`](super::CsvOptions::phone_column) is
    /// uploaded as `phone_number`, but another column already has that name.
    PhoneColumnConflict {
        /// The name of the phone column in the file.
        phone_column: String,
    },
    /// A header name is empty, often because the header row ends with a
    /// delimiter.
    EmptyColumnName {
        /// Column number, counting from 1.
        column: u64,
    },
    /// The row contains bytes that are not UTF-8 text, or a NUL byte.
    NotUtf8 {
        /// The first invalid byte.
        byte: u8,
        /// The encoding that the file probably has, when the bytes suggest
        /// one.
        likely: Option<Encoding>,
    },
    /// The row contains bytes that are invalid in the encoding the file is
    /// read with.
    MalformedText {
        /// The encoding the file is read with.
        encoding: Encoding,
    },
    /// The file is valid UTF-8 with non-ASCII characters, but a single-byte
    /// encoding was set, which would garble those characters.
    LooksLikeUtf8 {
        /// The encoding that was set.
        encoding: Encoding,
    },
    /// A quoted value is never closed, so it runs to the end of the file.
    UnterminatedQuote,
    /// A quoted value is followed by more text before the next delimiter,
    /// as in `"Lee" Max`, which CSV readers split in different ways.
    TextAfterQuote,
    /// The row has a different number of fields than the header.
    FieldCountMismatch {
        /// The number of columns in the header.
        expected: u64,
        /// The number of fields in the row.
        found: u64,
    },
    /// The phone number is empty.
    MissingPhoneNumber,
    /// The phone number is not valid.
    InvalidPhoneNumber {
        /// Reason that the value is not a phone number.
        issue: PhoneNumberIssue,
    },
    /// The phone number is in scientific notation, such as `1.20256E+10`.
    ScientificNotation,
    /// The row is longer than the limit, which usually means a quote that is
    /// never closed.
    RowTooLong {
        /// The limit in bytes.
        max_len: u64,
    },
    /// Reading the input failed. Only [`inspect`](super::inspect) reports
    /// this kind, because it cannot return an I/O error, but reading from a
    /// byte slice does not fail. The other functions return the I/O error.
    ReadFailed {
        /// The I/O error message.
        message: String,
    },
}

impl CsvProblemKind {
    /// Returns whether the problem concerns one row, so that
    /// [`CsvOptions::skip_invalid_rows`](super::CsvOptions::skip_invalid_rows)
    /// can leave the row out. Other problems concern the whole file.
    pub fn is_row_problem(&self) -> bool {
        matches!(
            self,
            CsvProblemKind::NotUtf8 { .. }
                | CsvProblemKind::MalformedText { .. }
                | CsvProblemKind::TextAfterQuote
                | CsvProblemKind::FieldCountMismatch { .. }
                | CsvProblemKind::MissingPhoneNumber
                | CsvProblemKind::InvalidPhoneNumber { .. }
                | CsvProblemKind::ScientificNotation
        )
    }
}

/// Reason that a value is not a phone number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum PhoneNumberIssue {
    /// The value contains a character other than a leading `+`, digits and
    /// the separators space, `-`, `.`, `(` and `)`.
    InvalidCharacter(char),
    /// The value has fewer than 7 digits.
    TooFewDigits(usize),
    /// The value has more than 15 digits, the maximum of E.164.
    TooManyDigits(usize),
    /// The value is digits followed by `.0` or `.00`, as data tools write a
    /// number stored as a float. Dialled as written, the zeros would be
    /// extra digits of another number.
    DecimalFraction,
}

/// Truncates a value to 64 characters, appending `…` when it is cut.
fn truncate(value: &str) -> String {
    match value.char_indices().nth(MAX_VALUE_CHARS) {
        Some((end, _)) => format!("{}…", value.get(..end).unwrap_or(value)),
        None => value.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncate_keeps_short_values() {
        assert_eq!(truncate("+12025550101"), "+12025550101");
        let exact: String = "x".repeat(MAX_VALUE_CHARS);
        assert_eq!(truncate(&exact), exact);
    }

    #[test]
    fn truncate_cuts_on_char_boundary() {
        let long: String = "é".repeat(100);
        let cut = truncate(&long);
        assert_eq!(cut.chars().count(), MAX_VALUE_CHARS + 1);
        assert!(cut.ends_with('…'));
    }

    #[test]
    fn row_problems_are_classified() {
        assert!(CsvProblemKind::MissingPhoneNumber.is_row_problem());
        assert!(CsvProblemKind::ScientificNotation.is_row_problem());
        assert!(!CsvProblemKind::UnterminatedQuote.is_row_problem());
        assert!(!CsvProblemKind::HeaderLooksLikeData.is_row_problem());
    }
}
