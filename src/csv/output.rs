//! The upload's bytes, written or only counted.
//!
//! With a comma delimiter, the upload copies each kept record's raw bytes,
//! terminator included, so every value and line ending stays exactly as in
//! the input, and only a changed header is encoded again. With another
//! delimiter, every record is encoded again by `csv::Writer` with commas,
//! quotes only where needed, and CRLF line endings.

use std::io::{self, Write};

use csv::{ByteRecord, QuoteStyle, Terminator, WriterBuilder};

/// A writer that counts the bytes it passes on.
pub(super) struct Counter<W> {
    inner: W,
    written: u64,
}

impl<W: Write> Write for Counter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let written = self.inner.write(buf)?;
        self.written += written as u64;
        Ok(written)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// Destination of the upload: raw copies of records, or records encoded
/// again.
pub(super) enum Output<W: Write> {
    Raw(Counter<W>),
    Encoded(Box<Encoder<W>>),
}

/// The writer of records encoded again, with a record to reuse for the
/// fields of each one.
pub(super) struct Encoder<W: Write> {
    writer: csv::Writer<Counter<W>>,
    record: ByteRecord,
}

impl<W: Write> Output<W> {
    /// Creates the output for a delimiter: raw copies for a comma, encoding
    /// otherwise.
    pub(super) fn new(writer: W, delimiter: u8) -> Self {
        let counter = Counter {
            inner: writer,
            written: 0,
        };
        if delimiter == b',' {
            Output::Raw(counter)
        } else {
            Output::Encoded(Box::new(Encoder {
                writer: upload_writer().from_writer(counter),
                record: ByteRecord::new(),
            }))
        }
    }

    /// Returns whether records are copied raw.
    pub(super) fn is_raw(&self) -> bool {
        matches!(self, Output::Raw(_))
    }

    /// Writes the LF that completes the previous record's CRLF. Encoded
    /// records end with their own CRLF, so this writes nothing for them.
    pub(super) fn complete_crlf(&mut self) -> io::Result<()> {
        match self {
            Output::Raw(counter) => counter.write_all(b"\n"),
            Output::Encoded(_) => Ok(()),
        }
    }

    /// Writes the header. A raw header that needs no change is copied.
    /// Otherwise the names are encoded, followed by the raw header's CR or
    /// LF. The LF of a CRLF follows through
    /// [`complete_crlf`](Self::complete_crlf).
    pub(super) fn write_header(
        &mut self,
        names: &[&str],
        raw: &[u8],
        unchanged: bool,
    ) -> io::Result<()> {
        match self {
            Output::Raw(counter) if unchanged => counter.write_all(raw),
            Output::Raw(counter) => {
                counter.write_all(&encode_fields(names)?)?;
                match raw.last() {
                    Some(&ending @ (b'\r' | b'\n')) => counter.write_all(&[ending]),
                    _ => Ok(()),
                }
            }
            Output::Encoded(encoder) => Ok(encoder.writer.write_record(names)?),
        }
    }

    /// Writes a record: its raw bytes, or its parsed fields encoded again.
    pub(super) fn write_record<'a>(
        &mut self,
        raw: &[u8],
        fields: impl Iterator<Item = &'a [u8]>,
    ) -> io::Result<()> {
        match self {
            Output::Raw(counter) => counter.write_all(raw),
            Output::Encoded(encoder) => {
                encoder.record.clear();
                for field in fields {
                    encoder.record.push_field(field);
                }
                Ok(encoder.writer.write_byte_record(&encoder.record)?)
            }
        }
    }

    /// Flushes and returns the number of bytes written.
    pub(super) fn finish(&mut self) -> io::Result<u64> {
        match self {
            Output::Raw(counter) => {
                counter.flush()?;
                Ok(counter.written)
            }
            Output::Encoded(encoder) => {
                encoder.writer.flush()?;
                Ok(encoder.writer.get_ref().written)
            }
        }
    }
}

/// Returns the `csv::Writer` settings of an encoded upload.
fn upload_writer() -> WriterBuilder {
    let mut builder = WriterBuilder::new();
    builder
        .delimiter(b',')
        .quote_style(QuoteStyle::Necessary)
        .terminator(Terminator::CRLF)
        .flexible(true);
    builder
}

/// Encodes names as one CSV record without its line ending.
fn encode_fields(names: &[&str]) -> io::Result<Vec<u8>> {
    let mut writer = upload_writer().from_writer(Vec::new());
    writer.write_record(names)?;
    let mut encoded = writer
        .into_inner()
        .map_err(|error| io::Error::other(error.to_string()))?;
    if encoded.ends_with(b"\r\n") {
        encoded.truncate(encoded.len() - 2);
    }
    Ok(encoded)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_header_copied_when_unchanged() {
        let mut out = Vec::new();
        let mut output = Output::new(&mut out, b',');
        output
            .write_header(&["phone_number", "name"], b"\"phone_number\",name\r", true)
            .unwrap();
        output.complete_crlf().unwrap();
        assert_eq!(output.finish().unwrap(), 21);
        drop(output);
        assert_eq!(out, b"\"phone_number\",name\r\n");
    }

    #[test]
    fn raw_header_encoded_keeps_line_ending() {
        let mut out = Vec::new();
        let mut output = Output::new(&mut out, b',');
        output
            .write_header(&["phone_number", "First, Name"], b" Phone ,x\n", false)
            .unwrap();
        assert_eq!(output.finish().unwrap(), 27);
        drop(output);
        assert_eq!(out, b"phone_number,\"First, Name\"\n");
    }

    #[test]
    fn encoded_output_uses_commas_and_crlf() {
        let mut out = Vec::new();
        let mut output = Output::new(&mut out, b';');
        assert!(!output.is_raw());
        output
            .write_header(&["phone_number", "balance"], b"", false)
            .unwrap();
        let fields: [&[u8]; 2] = [b"+12025550102", b"1,50"];
        output.write_record(b"ignored", fields.into_iter()).unwrap();
        output.complete_crlf().unwrap();
        let written = output.finish().unwrap();
        drop(output);
        assert_eq!(out, b"phone_number,balance\r\n+12025550102,\"1,50\"\r\n");
        assert_eq!(written, out.len() as u64);
    }
}
