//! The engine's problem reports: each finding becomes a [`CsvProblem`] with
//! its row, column, value and byte offset.

use std::io::Write;

use super::super::header::Finding;
use super::super::options::Encoding;
use super::super::problem::{CsvProblem, CsvProblemKind};
use super::super::quotes::{raw_field, scan_quotes, FieldAt};
use super::super::source::{Spot, MAX_ROW_LEN};
use super::record::Record;
use super::span::layout;
use super::Engine;

/// Bytes that Windows-1252 leaves undefined.
const UNDEFINED_IN_WINDOWS_1252: &[u8] = &[0x81, 0x8D, 0x8F, 0x90, 0x9D];

impl<W: Write> Engine<'_, W> {
    /// Reports a row that exceeds [`MAX_ROW_LEN`]: as a quote that is never
    /// closed when the row ends inside one, else as too long.
    pub(super) fn on_row_too_long(&mut self, pending: &[u8], pending_start: u64) {
        let layout = layout(pending, self.previous_ended_with_cr);
        self.row += layout.blank_lines + 1;
        let content = pending.get(layout.content_start..).unwrap_or_default();
        let offset = pending_start + layout.content_start as u64;

        let unterminated = memchr::memchr(b'"', content).and_then(|first_quote| {
            scan_quotes(content, self.options.delimiter, first_quote).unterminated
        });
        match unterminated {
            Some(field) => {
                self.quote_problem(
                    CsvProblemKind::UnterminatedQuote,
                    content,
                    offset,
                    field,
                    false,
                );
            }
            None => {
                let kind = CsvProblemKind::RowTooLong {
                    max_len: MAX_ROW_LEN,
                };
                let problem =
                    CsvProblem::new(kind, self.row).with_byte_offset(self.input_offset(offset));
                self.file_problem(problem);
            }
        }
    }

    /// Returns the problem of a record with invalid text, from the first
    /// [`Spot`] in it: a byte that is not UTF-8 or a NUL when the input
    /// passes through, or a malformed sequence that conversion replaced.
    pub(super) fn encoding_problem(
        &self,
        content: &[u8],
        record: Record<'_>,
        spot: Spot,
    ) -> CsvProblem {
        let (kind, field) = if self.passthrough {
            let kind = CsvProblemKind::NotUtf8 {
                byte: spot.byte,
                likely: self.likely_encoding(content),
            };
            let field = record.iter().position(|field| {
                std::str::from_utf8(field).is_err() || memchr::memchr(0, field).is_some()
            });
            (kind, field)
        } else {
            let kind = CsvProblemKind::MalformedText {
                encoding: self.encoding,
            };
            let replacement = char::REPLACEMENT_CHARACTER.to_string();
            let field = record
                .iter()
                .position(|field| memchr::memmem::find(field, replacement.as_bytes()).is_some());
            (kind, field)
        };

        let value = field
            .and_then(|index| record.get(index))
            .map(String::from_utf8_lossy);
        CsvProblem::new(kind, self.row)
            .with_column(self.column_name(field))
            .with_value(value.as_deref())
            .with_byte_offset(Some(spot.input_offset))
    }

    /// Guesses the encoding of a record that is not UTF-8: UTF-16 when the
    /// start of the file suggests it, else Windows-1252 when every byte of
    /// the record is defined there.
    fn likely_encoding(&self, content: &[u8]) -> Option<Encoding> {
        if self.utf16_hint.is_some() {
            return self.utf16_hint;
        }
        let windows_1252 = content
            .iter()
            .all(|byte| *byte != 0 && !UNDEFINED_IN_WINDOWS_1252.contains(byte));
        windows_1252.then_some(Encoding::Windows1252)
    }

    /// Reports a quoting problem, with the raw text of the field.
    pub(super) fn quote_problem(
        &mut self,
        kind: CsvProblemKind,
        content: &[u8],
        offset: u64,
        field: FieldAt,
        skipped: bool,
    ) {
        let row = self.row;
        let column = self.column_name(Some(field.field)).map(str::to_owned);
        let byte_offset = self.input_offset(offset + field.start as u64);
        let is_row_problem = kind.is_row_problem();
        let delimiter = self.options.delimiter;
        self.log.push(skipped && is_row_problem, || {
            let raw = raw_field(content, field, delimiter);
            CsvProblem::new(kind, row)
                .with_column(column.as_deref())
                .with_value(Some(&String::from_utf8_lossy(raw)))
                .with_byte_offset(byte_offset)
        });
    }

    /// Reports a header problem at the current row.
    pub(super) fn header_problem(&mut self, finding: Finding, offset: u64) {
        let problem = CsvProblem::new(finding.kind, self.row)
            .with_column(finding.column.as_deref())
            .with_value(finding.value.as_deref())
            .with_byte_offset(self.input_offset(offset));
        self.file_problem(problem);
    }

    /// Reports a problem that makes the whole file invalid.
    pub(super) fn file_problem(&mut self, problem: CsvProblem) {
        self.log.push(false, || problem);
    }

    pub(super) fn leave_out_blank_row(&mut self) {
        self.blank_rows += 1;
        self.left_out = true;
    }

    /// Returns the header name of a column: as in the file once the header is
    /// read, and the raw header names while it is being read.
    fn column_name(&self, index: Option<usize>) -> Option<&str> {
        let names = match &self.header {
            Some(header) => &header.names,
            None => &self.columns,
        };
        names.get(index?).map(String::as_str)
    }
}
