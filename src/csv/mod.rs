//! Pre-flight validation and upload encoding of a contacts CSV.
//!
//! A campaign's contacts are uploaded as a CSV whose header row contains
//! `phone_number`. Every other column becomes a custom field of the contact.
//! [`inspect`] checks a file before anything is sent and reports every
//! problem with its row, column, byte offset and value. [`write_upload`]
//! writes the bytes to upload, and [`CsvReport::upload_len`] is their exact
//! length, known before the upload starts.
//!
//! Values are uploaded exactly as written: phone numbers are checked but
//! never rewritten, so a leading `+` or `0` is kept. The upload differs from
//! the input only where an option requests it, and in three changes that
//! need no option. It leaves out a UTF-8 byte-order mark and blank rows, and
//! it trims spaces and tabs around header names. When nothing changes,
//! [`CsvReport::is_verbatim`] is true and the original file can be sent as
//! it is.
//!
//! Rows are read as RFC 4180 describes: quoted fields may contain the
//! delimiter, doubled quotes and line breaks. Lines may end in CRLF, LF or a
//! lone CR. Each pass streams the input, so memory stays bounded whatever
//! the file's size: by the kept problems, and by the longest row, which may
//! be at most 1 MiB.
//!
//! # Example
//!
//! ```
//! use kataven::csv::{inspect, write_upload, CsvOptions};
//!
//! let file = b"phone_number,name\r\n+12025550101,Ana\r\n";
//! let options = CsvOptions::new();
//!
//! let report = inspect(file, &options);
//! assert!(report.is_valid(), "{:?}", report.problems());
//! assert_eq!(report.contacts(), 1);
//!
//! let mut upload = Vec::new();
//! let written = write_upload(&file[..], &options, &mut upload)?;
//! assert_eq!(written, report.upload_len());
//! # Ok::<(), std::io::Error>(())
//! ```

mod detect;
mod engine;
mod header;
mod message;
mod options;
mod output;
mod phone;
mod problem;
mod quotes;
mod report;
mod source;

#[cfg(test)]
mod tests;

use std::fs::File;
use std::io::{self, BufWriter, Read, Write};
use std::path::Path;

pub use options::{CsvOptions, Encoding};
pub use problem::{CsvProblem, CsvProblemKind, PhoneNumberIssue};
pub use report::{CsvError, CsvReport};

/// Capacity of the buffer in front of the writer of [`write_upload`].
const WRITE_BUFFER_LEN: usize = 64 * 1024;

/// Checks a contacts CSV held in memory.
///
/// It returns a report for any bytes, and does not panic.
pub fn inspect(bytes: &[u8], options: &CsvOptions) -> CsvReport {
    match engine::run(bytes, options, io::sink()) {
        Ok(report) => report,
        Err(error) => read_failed(&error, options),
    }
}

/// Checks a contacts CSV read from `reader`, streaming it.
///
/// Memory does not grow with the input's size. The reader needs no
/// buffering, because the input is read in chunks of 64 KiB.
///
/// # Errors
///
/// Returns the I/O error of `reader`. Problems in the file are not errors
/// here: they are in the report.
pub fn inspect_reader<R: Read>(reader: R, options: &CsvOptions) -> io::Result<CsvReport> {
    engine::run(reader, options, io::sink())
}

/// Checks the contacts CSV at `path`, streaming it.
///
/// # Errors
///
/// Returns the I/O error of opening or reading the file.
pub fn inspect_path(path: impl AsRef<Path>, options: &CsvOptions) -> io::Result<CsvReport> {
    inspect_reader(File::open(path)?, options)
}

/// Writes the bytes to upload and returns how many were written.
///
/// The upload is UTF-8 and comma-separated, and its header is named as in
/// [`CsvReport::columns`]. For the same input and options, the output is
/// always the same and its length equals [`CsvReport::upload_len`]. With a
/// comma delimiter, each record's raw bytes are copied, line ending
/// included. With another delimiter, records are encoded again with CRLF line
/// endings and quotes only where needed. The writer gets the output in
/// chunks of up to 64 KiB.
///
/// # Errors
///
/// Returns the I/O error of `reader` or `writer`. When the file is invalid,
/// returns an error of kind [`io::ErrorKind::InvalidData`] whose inner error
/// is a [`CsvError`]. By then `writer` has received the upload up to the first
/// problem that makes the file invalid, so the caller must abandon the
/// upload.
pub fn write_upload<R: Read, W: Write>(
    reader: R,
    options: &CsvOptions,
    writer: W,
) -> io::Result<u64> {
    let mut buffered = BufWriter::with_capacity(WRITE_BUFFER_LEN, writer);
    let report = engine::run(reader, options, &mut buffered)?;
    buffered.flush()?;
    match report.into_result() {
        Ok(report) => Ok(report.upload_len()),
        Err(error) => Err(io::Error::new(io::ErrorKind::InvalidData, error)),
    }
}

/// Builds the report of an input that could not be read. Reading from a
/// byte slice does not fail, so [`inspect`] does not return it in practice.
fn read_failed(error: &io::Error, options: &CsvOptions) -> CsvReport {
    let kind = CsvProblemKind::ReadFailed {
        message: error.to_string(),
    };
    let problems = if options.max_problems > 0 {
        vec![CsvProblem::new(kind, 0)]
    } else {
        Vec::new()
    };
    CsvReport {
        contacts: 0,
        columns: Vec::new(),
        problems,
        problem_count: 1,
        skipped_rows: 0,
        blank_rows: 0,
        upload_len: 0,
        verbatim: false,
        bom_len: 0,
        valid: false,
    }
}
