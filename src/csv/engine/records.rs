//! Reading the records of the stream: the scanner first, and the `csv`
//! reader for the records that the scanner leaves.
//!
//! Both read from the bytes that [`Source`] keeps, and give the same fields
//! and ends, so each record may be read either way. The `csv` reader reads
//! ahead into its own buffer, so after records that the scanner read, it is
//! moved back to where the scanner stopped.

use std::io::{self, Read, SeekFrom};

use csv::{ByteRecord, Position, ReaderBuilder};

use super::super::source::{Source, Spot};
use super::record::{Fields, Record};
use super::scan::Scanner;

/// Capacity of the CSV reader's buffer.
const READ_BUFFER_LEN: usize = 16 * 1024;

/// Maximum number of records that are left to the `csv` reader without
/// trying the scanner, after the scanner left records of their kind.
const MAX_RECORDS_LEFT_TO_CSV: u32 = 64;

/// Choice of the readers that read the records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Reading {
    /// The scanner first, and the `csv` reader for the records it leaves.
    ScanFirst,
    /// Only the `csv` reader.
    #[cfg_attr(not(test), allow(dead_code))]
    CsvOnly,
}

/// The next part of the stream.
pub(super) enum Next<'a> {
    /// A record, with the span from the end of the previous record to its
    /// end.
    Record {
        span: &'a [u8],
        /// Stream offset of the span.
        span_start: u64,
        record: Record<'a>,
        /// The first invalid text in the span.
        spot: Option<Spot>,
        /// Index in `span` of the first quote, when the quoting is still to
        /// be checked. The scanner reads only records with valid quoting.
        first_quote: Option<usize>,
    },
    /// A record longer than the maximum, which stops reading.
    RowTooLong {
        /// The bytes read of the record, blank lines before it included.
        pending: &'a [u8],
        /// Stream offset of `pending`.
        pending_start: u64,
    },
    /// The end of the stream, after the line breaks that follow the last
    /// record.
    End { trailing: &'a [u8] },
}

/// Reader of the records of a stream.
pub(super) struct Records<R> {
    reader: csv::Reader<Source<R>>,
    scanner: Scanner,
    reading: Reading,
    parsed: ByteRecord,
    fields: Fields,
    /// Stream offsets of the current span.
    start: u64,
    end: u64,
    /// The scanner may read the next record. The `csv` reader reads the first
    /// one, because it drops a byte-order mark at the start of the stream.
    may_scan: bool,
    /// The `csv` reader's position is `end`, because it read the last record
    /// or none yet.
    csv_in_step: bool,
    /// Number of next records to leave to the `csv` reader.
    left_to_csv: u32,
    /// Number of records to leave when the scanner leaves the next one. It
    /// doubles each time, and is 1 again after a record that the scanner
    /// reads.
    backoff: u32,
}

impl<R: Read> Records<R> {
    /// Creates the reader for a delimiter, which must not be a quote, CR or
    /// LF.
    pub(super) fn new(source: Source<R>, delimiter: u8, reading: Reading) -> Self {
        let reader = ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .delimiter(delimiter)
            .buffer_capacity(READ_BUFFER_LEN)
            .from_reader(source);
        Self {
            reader,
            scanner: Scanner::new(delimiter),
            reading,
            parsed: ByteRecord::new(),
            fields: Fields::default(),
            start: 0,
            end: 0,
            may_scan: false,
            csv_in_step: true,
            left_to_csv: 0,
            backoff: 1,
        }
    }

    /// Returns the source, to read what it found in the stream.
    pub(super) fn source(&self) -> &Source<R> {
        self.reader.get_ref()
    }

    /// Reads the next record. The bytes of the previous one may be dropped
    /// from then on.
    ///
    /// # Errors
    ///
    /// Returns the I/O error of the input.
    pub(super) fn next(&mut self) -> io::Result<Next<'_>> {
        self.reader.get_mut().release(self.end);
        self.start = self.end;

        if let Some(len) = self.scan() {
            self.end = self.start + len as u64;
            self.csv_in_step = false;
            let source = self.reader.get_mut();
            let spot = source.take_spot(self.end);
            let span = source.span(self.start, self.end);
            return Ok(Next::Record {
                span,
                span_start: self.start,
                record: self.fields.view(span),
                spot,
                first_quote: None,
            });
        }

        self.read_with_csv()
    }

    /// Scans the next record, unless it is left to the `csv` reader. Returns
    /// the length of its span.
    fn scan(&mut self) -> Option<usize> {
        if !self.may_scan {
            return None;
        }
        if self.left_to_csv > 0 {
            self.left_to_csv -= 1;
            return None;
        }

        let ahead = self.reader.get_ref().span(self.start, u64::MAX);
        let scanned = self.scanner.scan(ahead, &mut self.fields);
        if scanned.is_some() {
            self.backoff = 1;
        } else {
            // The next records are likely of the same kind, unless the
            // scanner left this one only because it ends after the bytes
            // read so far.
            self.left_to_csv = self.backoff;
            self.backoff = (self.backoff * 2).min(MAX_RECORDS_LEFT_TO_CSV);
        }
        scanned
    }

    fn read_with_csv(&mut self) -> io::Result<Next<'_>> {
        if !self.csv_in_step {
            self.seek_csv_reader()?;
            self.csv_in_step = true;
        }
        match self.reader.read_byte_record(&mut self.parsed) {
            Ok(true) => {}
            Ok(false) => {
                self.end = self.reader.position().byte();
                let trailing = self.reader.get_ref().span(self.start, self.end);
                return Ok(Next::End { trailing });
            }
            Err(_) if self.reader.get_ref().row_too_long() => {
                return Ok(Next::RowTooLong {
                    pending: self.reader.get_ref().span(self.start, u64::MAX),
                    pending_start: self.start,
                });
            }
            Err(error) => return Err(error.into()),
        }
        self.may_scan = self.reading == Reading::ScanFirst;

        self.end = self.reader.position().byte();
        let source = self.reader.get_mut();
        let spot = source.take_spot(self.end);
        let span = source.span(self.start, self.end);
        self.fields.copy_from(&self.parsed);
        Ok(Next::Record {
            span,
            span_start: self.start,
            record: self.fields.view(span),
            spot,
            first_quote: memchr::memchr(b'"', span),
        })
    }

    /// Moves the `csv` reader to the start of the current span, after
    /// records that the scanner read.
    ///
    /// The reader starts again at the CR or LF that ended the previous
    /// record, which it skips as it skips any line break before a record.
    /// Starting on the span itself would make it drop a byte-order mark
    /// there, as it does at the start of a stream.
    fn seek_csv_reader(&mut self) -> io::Result<()> {
        let line_break = self.start.saturating_sub(1);
        let mut position = Position::new();
        position.set_byte(line_break);
        self.reader
            .seek_raw(SeekFrom::Start(line_break), position)?;
        Ok(())
    }
}
