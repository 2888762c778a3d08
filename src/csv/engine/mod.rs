//! The one pass over a contacts CSV that both checks it and writes the
//! upload.
//!
//! [`inspect`](super::inspect) runs it with a writer that only counts, and
//! [`write_upload`](super::write_upload) with the caller's writer, so the
//! reported upload length and the written bytes come from the same code.

use std::io::{self, Read, Write};

mod problems;
mod record;
mod records;
mod scan;
mod span;

use super::detect::UTF8_BOM;
use super::header::{check_names, read_header, trimmed_names, Header};
use super::options::{CsvOptions, Encoding};
use super::output::Output;
use super::phone::{check_phone_number, trim_blank_bytes, PhoneCheck};
use super::problem::{CsvProblem, CsvProblemKind};
use super::quotes::{scan_quotes, QuoteScan};
use super::report::{CsvReport, ProblemLog};
use super::source::{Source, Spot};
use record::Record;
use records::{Next, Reading, Records};
use span::{layout, Layout};

/// Checks the input and writes the upload to `writer`, stopping the upload at
/// the first problem that makes the file invalid.
///
/// # Errors
///
/// Returns the I/O error of `reader` or `writer`.
pub(super) fn run<R: Read, W: Write>(
    reader: R,
    options: &CsvOptions,
    writer: W,
) -> io::Result<CsvReport> {
    run_with(reader, options, writer, Reading::ScanFirst)
}

/// Runs the pass with every record read by the `csv` reader, so that tests
/// can compare the scanner with it.
#[cfg(test)]
pub(super) fn run_without_scanner<R: Read, W: Write>(
    reader: R,
    options: &CsvOptions,
    writer: W,
) -> io::Result<CsvReport> {
    run_with(reader, options, writer, Reading::CsvOnly)
}

fn run_with<R: Read, W: Write>(
    reader: R,
    options: &CsvOptions,
    writer: W,
    reading: Reading,
) -> io::Result<CsvReport> {
    let mut engine = Engine::new(options, Output::new(writer, options.delimiter));
    if matches!(options.delimiter, b'"' | b'\r' | b'\n' | 0x80..=0xFF) {
        let kind = CsvProblemKind::InvalidDelimiter {
            delimiter: options.delimiter,
        };
        engine.file_problem(CsvProblem::new(kind, 0));
        return engine.finish();
    }

    let source = Source::open(reader, options.encoding)?;
    if source.sniff().spreadsheet {
        engine.file_problem(CsvProblem::new(CsvProblemKind::SpreadsheetFile, 0));
        return engine.finish();
    }
    engine.passthrough = source.is_passthrough();
    engine.bom_len = source.bom_len();
    engine.encoding = source.encoding();
    engine.utf16_hint = source.sniff().utf16;

    let mut records = Records::new(source, options.delimiter, reading);
    loop {
        match records.next()? {
            Next::Record {
                span,
                span_start,
                record,
                spot,
                first_quote,
            } => {
                let step = engine.on_record(span, span_start, record, spot, first_quote)?;
                if step == Step::Stop {
                    return engine.finish();
                }
            }
            Next::RowTooLong {
                pending,
                pending_start,
            } => {
                engine.on_row_too_long(pending, pending_start);
                return engine.finish();
            }
            Next::End { trailing } => {
                engine.on_end(trailing)?;
                break;
            }
        }
    }

    let source = records.source();
    if source.looks_like_utf8() {
        let kind = CsvProblemKind::LooksLikeUtf8 {
            encoding: source.encoding(),
        };
        engine.file_problem(CsvProblem::new(kind, 0));
    }
    engine.finish()
}

/// Outcome of one record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    Written,
    LeftOut,
    /// A problem stops reading, because the rest cannot be read reliably.
    Stop,
}

/// State of one pass.
struct Engine<'o, W: Write> {
    options: &'o CsvOptions,
    log: ProblemLog,
    output: Output<W>,
    header: Option<Header>,
    /// Trimmed names of a header that is being read or is unusable.
    columns: Vec<String>,
    header_unchanged: bool,
    passthrough: bool,
    bom_len: u64,
    encoding: Encoding,
    utf16_hint: Option<Encoding>,
    row: u64,
    contacts: u64,
    skipped_rows: u64,
    blank_rows: u64,
    /// Some input bytes are not in the upload: blank lines or rows.
    left_out: bool,
    previous_ended_with_cr: bool,
    previous_written: bool,
}

impl<'o, W: Write> Engine<'o, W> {
    fn new(options: &'o CsvOptions, output: Output<W>) -> Self {
        Self {
            options,
            log: ProblemLog::new(options.max_problems),
            output,
            header: None,
            columns: Vec::new(),
            header_unchanged: false,
            passthrough: false,
            bom_len: 0,
            encoding: options.encoding,
            utf16_hint: None,
            row: 0,
            contacts: 0,
            skipped_rows: 0,
            blank_rows: 0,
            left_out: false,
            previous_ended_with_cr: false,
            previous_written: false,
        }
    }

    /// Handles the span of one record, from the end of the previous record
    /// to the end of this one. `first_quote` is the index in `span` of the
    /// first quote when the quoting is still to be checked.
    fn on_record(
        &mut self,
        span: &[u8],
        span_start: u64,
        record: Record<'_>,
        spot: Option<Spot>,
        first_quote: Option<usize>,
    ) -> io::Result<Step> {
        let layout = self.skip_line_breaks(span)?;
        self.row += 1;
        let content = span.get(layout.content_start..).unwrap_or_default();
        let offset = span_start + layout.content_start as u64;

        // Quotes are never in the blank lines before the record.
        let scan = match first_quote {
            Some(index) => scan_quotes(
                content,
                self.options.delimiter,
                index.saturating_sub(layout.content_start),
            ),
            None => QuoteScan::default(),
        };
        let step = if self.header.is_none() {
            self.on_header(content, offset, record, spot, scan)?
        } else {
            self.on_row(content, offset, record, spot, scan)?
        };
        self.previous_ended_with_cr = content.last() == Some(&b'\r');
        self.previous_written = step == Step::Written;
        Ok(step)
    }

    /// Writes the LF of a CRLF that ended a written record, and counts the
    /// blank lines, which are left out.
    fn skip_line_breaks(&mut self, span: &[u8]) -> io::Result<Layout> {
        let layout = layout(span, self.previous_ended_with_cr);
        if layout.completes_crlf && self.previous_written {
            self.output.complete_crlf()?;
        }
        self.row += layout.blank_lines;
        self.blank_rows += layout.blank_lines;
        self.left_out |= layout.blank_lines > 0;
        Ok(layout)
    }

    fn on_header(
        &mut self,
        content: &[u8],
        offset: u64,
        record: Record<'_>,
        spot: Option<Spot>,
        scan: QuoteScan,
    ) -> io::Result<Step> {
        if is_blank(record) {
            self.leave_out_blank_row();
            return Ok(Step::LeftOut);
        }
        // The names of a header that is not text are not shown as columns.
        if let Some(spot) = spot {
            let problem = self.encoding_problem(content, record, spot);
            self.file_problem(problem);
            return Ok(Step::Stop);
        }
        // The header is read once, so its fields are copied for the header
        // checks, which take a `csv` record.
        let record = record.to_byte_record();
        self.columns = trimmed_names(&record);

        if let Some(field) = scan.unterminated {
            self.quote_problem(
                CsvProblemKind::UnterminatedQuote,
                content,
                offset,
                field,
                false,
            );
            return Ok(Step::Stop);
        }

        let names = std::mem::take(&mut self.columns);
        let header = match read_header(&record, names, self.options) {
            Ok(header) => header,
            Err(finding) => {
                self.columns = trimmed_names(&record);
                self.header_problem(finding, offset);
                return Ok(Step::Stop);
            }
        };
        check_names(&header, |finding| self.header_problem(finding, offset));

        // The CSV reader drops a byte-order mark at the start of the stream,
        // such as a second one after the mark `Source` removed, so a header
        // that starts with one is rewritten without it.
        let starts_with_bom = offset == 0 && content.starts_with(UTF8_BOM);
        self.header_unchanged = header.unchanged && !starts_with_bom;
        self.header = Some(header);
        if let Some(field) = scan.text_after_quote {
            self.quote_problem(
                CsvProblemKind::TextAfterQuote,
                content,
                offset,
                field,
                false,
            );
        }

        match &self.header {
            Some(header) if !self.log.has_error() => {
                self.output
                    .write_header(&header.uploaded(), content, self.header_unchanged)?;
                Ok(Step::Written)
            }
            _ => Ok(Step::LeftOut),
        }
    }

    fn on_row(
        &mut self,
        content: &[u8],
        offset: u64,
        record: Record<'_>,
        spot: Option<Spot>,
        scan: QuoteScan,
    ) -> io::Result<Step> {
        let skip = self.options.skip_invalid_rows;
        if let Some(field) = scan.unterminated {
            self.quote_problem(
                CsvProblemKind::UnterminatedQuote,
                content,
                offset,
                field,
                false,
            );
            return Ok(Step::Stop);
        }
        // A row with a phone number is not blank, which spares checking
        // every field of almost every row.
        let phone = self
            .header
            .as_ref()
            .and_then(|header| record.get(header.phone_index))
            .map(trim_blank_bytes)
            .unwrap_or_default();
        if phone.is_empty() && is_blank(record) {
            self.leave_out_blank_row();
            return Ok(Step::LeftOut);
        }

        let problems_before = self.log.count();
        if let Some(spot) = spot {
            let problem = self.encoding_problem(content, record, spot);
            self.log.push(skip, || problem);
        }
        if let Some(field) = scan.text_after_quote {
            self.quote_problem(CsvProblemKind::TextAfterQuote, content, offset, field, skip);
        }
        self.check_fields(content, offset, record, phone, spot.is_some());

        if self.log.count() > problems_before {
            if skip {
                self.skipped_rows += 1;
                self.left_out = true;
            }
            return Ok(Step::LeftOut);
        }

        // Valid rows are counted even after a problem has stopped the upload,
        // so that the report states how many contacts the file contains.
        self.contacts += 1;
        if self.log.has_error() {
            return Ok(Step::LeftOut);
        }
        self.output.write_record(content, record.iter())?;
        Ok(Step::Written)
    }

    /// Checks the field count and the trimmed phone number of a data row.
    /// The phone number is not checked when the row has an encoding problem,
    /// which is reported already.
    fn check_fields(
        &mut self,
        content: &[u8],
        offset: u64,
        record: Record<'_>,
        phone: &[u8],
        has_encoding_problem: bool,
    ) {
        let skip = self.options.skip_invalid_rows;
        let row = self.row;
        let byte_offset = self.input_offset(offset);
        let Some(header) = &self.header else {
            return;
        };

        let expected = header.names.len() as u64;
        let found = record.len() as u64;
        if expected != found {
            self.log.push(skip, || {
                let text = String::from_utf8_lossy(content);
                let kind = CsvProblemKind::FieldCountMismatch { expected, found };
                CsvProblem::new(kind, row)
                    .with_value(Some(text.trim_end_matches(['\r', '\n'])))
                    .with_byte_offset(byte_offset)
            });
        }

        if has_encoding_problem || header.phone_index >= record.len() {
            return;
        }
        let kind = match check_phone_number(phone) {
            PhoneCheck::Valid => return,
            PhoneCheck::Missing => CsvProblemKind::MissingPhoneNumber,
            PhoneCheck::ScientificNotation => CsvProblemKind::ScientificNotation,
            PhoneCheck::Invalid(issue) => CsvProblemKind::InvalidPhoneNumber { issue },
        };
        let column = header.names.get(header.phone_index).map(String::as_str);
        self.log.push(skip, || {
            CsvProblem::new(kind, row)
                .with_column(column)
                .with_value(Some(&String::from_utf8_lossy(phone)))
                .with_byte_offset(byte_offset)
        });
    }

    /// Handles the line breaks after the last record.
    fn on_end(&mut self, trailing: &[u8]) -> io::Result<()> {
        self.skip_line_breaks(trailing)?;
        if self.header.is_none() && !self.log.has_error() {
            self.file_problem(CsvProblem::new(CsvProblemKind::EmptyFile, 0));
        } else if self.contacts == 0 && !self.log.has_error() {
            self.file_problem(CsvProblem::new(CsvProblemKind::NoContacts, 0));
        }
        Ok(())
    }

    /// Converts a stream offset to an input offset, which is known only when
    /// the input passes through unconverted.
    fn input_offset(&self, stream_offset: u64) -> Option<u64> {
        self.passthrough.then_some(stream_offset + self.bom_len)
    }

    /// Flushes the output and builds the report.
    fn finish(mut self) -> io::Result<CsvReport> {
        let upload_len = self.output.finish()?;
        let valid = !self.log.has_error();
        let verbatim = valid
            && self.passthrough
            && self.output.is_raw()
            && self.header_unchanged
            && !self.left_out;
        let bom_len = self.bom_len;
        let (problems, problem_count) = self.log.into_parts();
        let columns = match self.header {
            Some(header) => header.into_uploaded(),
            None => self.columns,
        };
        Ok(CsvReport {
            contacts: self.contacts,
            columns,
            problems,
            problem_count,
            skipped_rows: self.skipped_rows,
            blank_rows: self.blank_rows,
            upload_len,
            verbatim,
            bom_len,
            valid,
        })
    }
}

/// Returns whether every field is empty or only spaces and tabs.
fn is_blank(record: Record<'_>) -> bool {
    record
        .iter()
        .all(|field| trim_blank_bytes(field).is_empty())
}
