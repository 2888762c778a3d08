//! How to read a contacts CSV: [`CsvOptions`] and [`Encoding`].

use std::fmt;

/// The header name that the Hub expects for the phone column.
pub(super) const PHONE_NUMBER: &str = "phone_number";

/// How to read a contacts CSV.
///
/// The defaults fit a file that a spreadsheet exported as "CSV UTF-8". The
/// phone column is named `phone_number`, fields are separated by commas and
/// the text is UTF-8. An invalid row fails the whole upload, and the report
/// keeps the first 1,000 problems.
///
/// # Example
///
/// ```
/// use kataven::csv::{CsvOptions, Encoding};
///
/// let options = CsvOptions::new()
///     .phone_column("Mobile")
///     .delimiter(b';')
///     .encoding(Encoding::Windows1252);
/// # let _ = options;
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use]
pub struct CsvOptions {
    pub(super) phone_column: String,
    pub(super) delimiter: u8,
    pub(super) encoding: Encoding,
    pub(super) skip_invalid_rows: bool,
    pub(super) max_problems: usize,
}

impl CsvOptions {
    /// Creates the default options.
    pub fn new() -> Self {
        Self {
            phone_column: PHONE_NUMBER.to_owned(),
            delimiter: b',',
            encoding: Encoding::Utf8,
            skip_invalid_rows: false,
            max_problems: 1_000,
        }
    }

    /// Sets the header name of the column that contains the phone numbers.
    ///
    /// The name is compared with the header after both are trimmed of spaces
    /// and tabs, and the comparison is case-sensitive. The upload names that
    /// column `phone_number`, because the Hub reads the phone number from it.
    /// The default is `phone_number`.
    pub fn phone_column(mut self, name: impl Into<String>) -> Self {
        self.phone_column = name.into();
        self
    }

    /// Sets the byte that separates fields, such as `b';'` or `b'\t'`.
    ///
    /// The upload is always comma-separated, so any other delimiter makes
    /// [`write_upload`](super::write_upload) encode the file again, with CRLF
    /// line endings. The delimiter must be an ASCII character other than
    /// `"`, CR and LF. Any other value makes the report invalid with
    /// [`CsvProblemKind::InvalidDelimiter`](super::CsvProblemKind::InvalidDelimiter).
    /// The default is `b','`.
    pub fn delimiter(mut self, delimiter: u8) -> Self {
        self.delimiter = delimiter;
        self
    }

    /// Sets the text encoding of the file.
    ///
    /// Any encoding other than UTF-8 is converted to UTF-8 for the upload.
    /// With an encoding set, a byte-order mark at the start of the file
    /// overrides it: the mark of UTF-8, UTF-16LE or UTF-16BE selects that
    /// encoding and is left out of the upload. The default is
    /// [`Encoding::Utf8`].
    pub fn encoding(mut self, encoding: Encoding) -> Self {
        self.encoding = encoding;
        self
    }

    /// Sets whether invalid rows are left out of the upload instead of
    /// failing it.
    ///
    /// Each left-out row is still reported as a problem, and
    /// [`CsvReport::skipped_rows`](super::CsvReport::skipped_rows) counts
    /// them. Problems with the whole file, such as a missing phone column or
    /// a quote that is never closed, fail the upload either way. The default
    /// is `false`.
    pub fn skip_invalid_rows(mut self, skip: bool) -> Self {
        self.skip_invalid_rows = skip;
        self
    }

    /// Sets the maximum number of problems that the report keeps in memory.
    ///
    /// Problems past this number are counted in
    /// [`CsvReport::problem_count`](super::CsvReport::problem_count) but not
    /// kept. The default is 1,000.
    pub fn max_problems(mut self, max: usize) -> Self {
        self.max_problems = max;
        self
    }
}

impl Default for CsvOptions {
    fn default() -> Self {
        Self::new()
    }
}

/// Text encoding of a contacts CSV.
///
/// The upload is always UTF-8, so every encoding other than
/// [`Utf8`](Encoding::Utf8) is converted while it streams.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Encoding {
    /// UTF-8, with or without a byte-order mark. This is the default.
    Utf8,
    /// Windows-1252, the encoding of "CSV" exports from Excel on Windows in
    /// Western European languages. Bytes 0x80 to 0x9F are `€`, curly quotes
    /// and similar characters.
    Windows1252,
    /// ISO-8859-1 (Latin-1): each byte is the Unicode code point of the same
    /// value, so bytes 0x80 to 0x9F become C1 control characters. Files that
    /// call themselves Latin-1 are often Windows-1252, which differs only in
    /// that range.
    Latin1,
    /// UTF-16, little-endian ("Unicode Text" exports from Excel).
    Utf16Le,
    /// UTF-16, big-endian.
    Utf16Be,
}

impl Encoding {
    /// Returns the name of the encoding, such as `Windows-1252`.
    pub fn name(self) -> &'static str {
        match self {
            Encoding::Utf8 => "UTF-8",
            Encoding::Windows1252 => "Windows-1252",
            Encoding::Latin1 => "ISO-8859-1",
            Encoding::Utf16Le => "UTF-16LE",
            Encoding::Utf16Be => "UTF-16BE",
        }
    }

    /// Returns the Rust path of the variant, for messages that name the
    /// option to pass.
    pub(super) fn rust_path(self) -> &'static str {
        match self {
            Encoding::Utf8 => "Encoding::Utf8",
            Encoding::Windows1252 => "Encoding::Windows1252",
            Encoding::Latin1 => "Encoding::Latin1",
            Encoding::Utf16Le => "Encoding::Utf16Le",
            Encoding::Utf16Be => "Encoding::Utf16Be",
        }
    }
}

impl fmt::Display for Encoding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Returns the Rust byte literal for a delimiter, such as `b';'` or `b'\t'`.
pub(super) fn byte_literal(byte: u8) -> String {
    if byte == b'"' {
        return "b'\"'".to_owned();
    }
    format!("b'{}'", byte.escape_ascii())
}

/// Returns the everyday name of a delimiter, such as `semicolon`.
pub(super) fn delimiter_name(byte: u8) -> Option<&'static str> {
    match byte {
        b',' => Some("comma"),
        b';' => Some("semicolon"),
        b'\t' => Some("tab"),
        b'|' => Some("pipe"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_match_docs() {
        let options = CsvOptions::default();
        assert_eq!(options.phone_column, "phone_number");
        assert_eq!(options.delimiter, b',');
        assert_eq!(options.encoding, Encoding::Utf8);
        assert!(!options.skip_invalid_rows);
        assert_eq!(options.max_problems, 1_000);
        assert_eq!(options, CsvOptions::new());
    }

    #[test]
    fn builder_sets_fields() {
        let options = CsvOptions::new()
            .phone_column("Mobile")
            .delimiter(b';')
            .encoding(Encoding::Latin1)
            .skip_invalid_rows(true)
            .max_problems(3);
        assert_eq!(options.phone_column, "Mobile");
        assert_eq!(options.delimiter, b';');
        assert_eq!(options.encoding, Encoding::Latin1);
        assert!(options.skip_invalid_rows);
        assert_eq!(options.max_problems, 3);
    }

    #[test]
    fn byte_literal_escapes() {
        assert_eq!(byte_literal(b';'), "b';'");
        assert_eq!(byte_literal(b'\t'), "b'\\t'");
        assert_eq!(byte_literal(b'"'), "b'\"'");
        assert_eq!(byte_literal(0xE9), "b'\\xe9'");
    }
}
