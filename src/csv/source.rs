//! The input as a stream of UTF-8 bytes for the CSV reader.
//!
//! [`Source`] strips a byte-order mark, converts other encodings to UTF-8
//! chunk by chunk, and keeps the bytes of the record being read. The upload
//! copies a record's raw bytes from there instead of encoding it again, and
//! the engine scans records there and moves the CSV reader back to where
//! its scanner stopped. UTF-8 input passes through unchanged. It is checked
//! a chunk at a time, and each invalid byte or NUL is noted as a [`Spot`]
//! that the engine ties to its row.

use std::collections::VecDeque;
use std::io::{self, Read, Seek, SeekFrom};

use encoding_rs::DecoderResult;

use super::detect::{find_spots, sniff, Sniff, Utf8Probe, UTF16BE_BOM, UTF16LE_BOM, UTF8_BOM};
use super::options::Encoding;

/// Maximum length of one row in bytes, including blank lines before it.
/// A longer row stops reading, which bounds memory when a quote is never
/// closed and the rest of a large file would become one value.
pub(super) const MAX_ROW_LEN: u64 = 1 << 20;

/// Number of bytes read from the input at a time.
const CHUNK_LEN: usize = 64 * 1024;

/// Maximum number of bytes that the first read after a seek returns, a few
/// records of the usual length.
const FIRST_READ_AFTER_SEEK: usize = 512;

/// Number of bytes at the start of the input used to guess its format.
const SNIFF_LEN: usize = 4096;

/// The first invalid byte of a stretch of text: a byte that is not UTF-8 or
/// a NUL in UTF-8 input, or a malformed sequence that conversion replaced
/// with U+FFFD.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Spot {
    /// Offset in the stream.
    pub(super) stream_offset: u64,
    /// Offset in the input.
    pub(super) input_offset: u64,
    /// The invalid byte in UTF-8 input. Zero for converted input.
    pub(super) byte: u8,
}

enum Decoding {
    /// UTF-8 passes through.
    Utf8,
    /// Converted by `encoding_rs`.
    Decoder(encoding_rs::Decoder),
    /// ISO-8859-1, converted by `encoding_rs::mem`, because `encoding_rs`
    /// decodes the label ISO-8859-1 as Windows-1252, as browsers do.
    Latin1,
}

/// The input as UTF-8, with the bytes of the current record kept.
///
/// Offsets named "stream" count bytes of this UTF-8 stream, which starts
/// after the byte-order mark.
pub(super) struct Source<R> {
    inner: R,
    decoding: Decoding,
    encoding: Encoding,
    sniff: Sniff,
    bom_len: u64,
    inner_done: bool,
    /// Input bytes not yet converted are `raw[raw_start..raw_end]`. Unused
    /// for UTF-8 input, which is read straight into `text`.
    raw: Vec<u8>,
    raw_start: usize,
    raw_end: usize,
    /// Input offset up to which bytes were converted.
    converted_input: u64,
    /// Stream bytes from offset `text_start` on are `text[..filled]`. The
    /// CSV reader may read `text[..ready]`, and for UTF-8 input the rest is
    /// an incomplete character. The buffer keeps its length between reads,
    /// so a reader that returns a few bytes at a time costs no zeroing of a
    /// whole chunk per read.
    text: Vec<u8>,
    text_start: u64,
    filled: usize,
    ready: usize,
    /// Stream offset of the next byte for the CSV reader.
    emitted: u64,
    /// Maximum number of bytes that the next read returns. A seek makes it
    /// small, because the CSV reader may then read a single record before
    /// the engine's scanner goes on, and each read doubles it.
    read_limit: usize,
    /// Stream offset before which bytes may be dropped.
    keep_from: u64,
    finished: bool,
    spots: VecDeque<Spot>,
    /// A line break came after the last spot, so the next invalid byte may
    /// be in another record and is noted.
    line_break_since_spot: bool,
    probe: Option<Utf8Probe>,
    row_too_long: bool,
}

impl<R: Read> Source<R> {
    /// Reads the first bytes, checks them for a byte-order mark and a known
    /// file format, and prepares to convert from `encoding`.
    ///
    /// # Errors
    ///
    /// Returns the I/O error of the input.
    pub(super) fn open(mut inner: R, encoding: Encoding) -> io::Result<Self> {
        let mut head = vec![0; SNIFF_LEN];
        let mut head_len = 0;
        while let Some(spare) = head.get_mut(head_len..).filter(|spare| !spare.is_empty()) {
            let read = read_retrying(&mut inner, spare)?;
            if read == 0 {
                break;
            }
            head_len += read;
        }
        head.truncate(head_len);
        let sniff = sniff(&head);

        let (decoding, encoding, bom_len) = choose_decoding(&head, encoding);
        let mut source = Self {
            inner,
            decoding,
            encoding,
            sniff,
            bom_len: bom_len as u64,
            inner_done: head_len < SNIFF_LEN,
            raw: Vec::new(),
            raw_start: 0,
            raw_end: 0,
            converted_input: bom_len as u64,
            text: Vec::new(),
            text_start: 0,
            filled: 0,
            ready: 0,
            emitted: 0,
            read_limit: usize::MAX,
            keep_from: 0,
            finished: false,
            spots: VecDeque::new(),
            line_break_since_spot: true,
            probe: None,
            row_too_long: false,
        };

        if source.is_passthrough() {
            head.drain(..bom_len.min(head.len()));
            source.filled = head.len();
            source.text = head;
        } else {
            if matches!(encoding, Encoding::Windows1252 | Encoding::Latin1) {
                let mut probe = Utf8Probe::default();
                probe.feed(head.get(bom_len..).unwrap_or_default());
                source.probe = Some(probe);
            }
            head.resize(CHUNK_LEN, 0);
            source.raw = head;
            source.raw_start = bom_len;
            source.raw_end = head_len;
        }
        Ok(source)
    }

    /// Returns the format hints from the first bytes.
    pub(super) fn sniff(&self) -> Sniff {
        self.sniff
    }

    /// Returns the encoding the input is read with. A byte-order mark may
    /// override the encoding that was set.
    pub(super) fn encoding(&self) -> Encoding {
        self.encoding
    }

    /// Returns whether the input passes through unconverted.
    pub(super) fn is_passthrough(&self) -> bool {
        matches!(self.decoding, Decoding::Utf8)
    }

    /// Returns the length of the byte-order mark that was left out.
    pub(super) fn bom_len(&self) -> u64 {
        self.bom_len
    }

    /// Returns whether reading stopped because a row exceeded
    /// [`MAX_ROW_LEN`].
    pub(super) fn row_too_long(&self) -> bool {
        self.row_too_long
    }

    /// Returns whether the whole input was valid UTF-8 with non-ASCII text
    /// although a single-byte encoding was set. Meaningful at the end only.
    pub(super) fn looks_like_utf8(&self) -> bool {
        self.probe.as_ref().is_some_and(Utf8Probe::looks_like_utf8)
    }

    /// Returns the kept stream bytes from `start` to `end`, where `start`
    /// must not be before the last [`release`](Self::release). An `end` past
    /// the kept bytes is cut to them.
    #[inline]
    pub(super) fn span(&self, start: u64, end: u64) -> &[u8] {
        let index = |offset: u64| {
            usize::try_from(offset.saturating_sub(self.text_start))
                .unwrap_or(usize::MAX)
                .min(self.ready)
        };
        self.text.get(index(start)..index(end)).unwrap_or_default()
    }

    /// Allows dropping the stream bytes before `end`.
    pub(super) fn release(&mut self, end: u64) {
        self.keep_from = self.keep_from.max(end);
    }

    /// Removes the spots before `end` and returns the first.
    #[inline]
    pub(super) fn take_spot(&mut self, end: u64) -> Option<Spot> {
        let mut first = None;
        while let Some(spot) = self.spots.front().copied() {
            if spot.stream_offset >= end {
                break;
            }
            self.spots.pop_front();
            first.get_or_insert(spot);
        }
        first
    }

    /// Reads more input and makes it ready, or marks the end.
    fn fill(&mut self) -> io::Result<()> {
        self.compact();
        if self.is_passthrough() {
            self.fill_passthrough()
        } else {
            self.fill_converted()
        }
    }

    fn fill_passthrough(&mut self) -> io::Result<()> {
        if !self.inner_done {
            self.reserve(CHUNK_LEN);
            let end = self.filled + CHUNK_LEN;
            let spare = self.text.get_mut(self.filled..end).unwrap_or_default();
            let read = read_retrying(&mut self.inner, spare)?;
            self.filled += read;
            self.inner_done = read == 0;
        }

        let start = self.ready;
        let base = self.text_start + start as u64;
        let bom_len = self.bom_len;
        let spots = &mut self.spots;
        let unchecked = self.text.get(start..self.filled).unwrap_or_default();
        let checked = find_spots(
            unchecked,
            self.inner_done,
            &mut self.line_break_since_spot,
            |at, byte| {
                let stream_offset = base + at as u64;
                spots.push_back(Spot {
                    stream_offset,
                    input_offset: stream_offset + bom_len,
                    byte,
                });
            },
        );
        self.ready = start + checked;
        self.finished = self.inner_done && self.ready == self.filled;
        Ok(())
    }

    fn fill_converted(&mut self) -> io::Result<()> {
        if self.raw_start >= self.raw_end && !self.inner_done {
            self.raw_start = 0;
            self.raw_end = 0;
            let read = read_retrying(&mut self.inner, &mut self.raw)?;
            self.raw_end = read;
            self.inner_done = read == 0;
            if let Some(probe) = &mut self.probe {
                probe.feed(self.raw.get(..read).unwrap_or_default());
            }
        }
        self.convert();
        self.ready = self.filled;
        Ok(())
    }

    /// Converts the pending input bytes to UTF-8 at the end of `text`.
    fn convert(&mut self) {
        let last = self.inner_done;
        let mut pending = self
            .raw
            .get(self.raw_start..self.raw_end)
            .unwrap_or_default();
        let decoder = match &mut self.decoding {
            Decoding::Utf8 => return,
            Decoding::Latin1 => {
                let max_len = pending.len() * 2;
                reserve(&mut self.text, self.filled, max_len);
                let out = self.text.get_mut(self.filled..).unwrap_or_default();
                self.filled += encoding_rs::mem::convert_latin1_to_utf8(pending, out);
                self.converted_input += pending.len() as u64;
                self.raw_start = self.raw_end;
                self.finished = last;
                return;
            }
            Decoding::Decoder(decoder) => decoder,
        };

        loop {
            let max_len = decoder
                .max_utf8_buffer_length_without_replacement(pending.len())
                .unwrap_or(pending.len().saturating_mul(3).saturating_add(16));
            reserve(&mut self.text, self.filled, max_len);
            let out = self.text.get_mut(self.filled..).unwrap_or_default();
            let (result, read, written) =
                decoder.decode_to_utf8_without_replacement(pending, out, last);
            self.filled += written;
            pending = pending.get(read..).unwrap_or_default();
            self.raw_start += read;
            self.converted_input += read as u64;

            match result {
                DecoderResult::InputEmpty => {
                    self.finished = last;
                    return;
                }
                DecoderResult::OutputFull => {}
                DecoderResult::Malformed(bad, after) => {
                    let input_offset = self
                        .converted_input
                        .saturating_sub(u64::from(bad) + u64::from(after));
                    self.spots.push_back(Spot {
                        stream_offset: self.text_start + self.filled as u64,
                        input_offset,
                        byte: 0,
                    });
                    let replacement = char::REPLACEMENT_CHARACTER.to_string();
                    reserve(&mut self.text, self.filled, replacement.len());
                    let end = self.filled + replacement.len();
                    if let Some(out) = self.text.get_mut(self.filled..end) {
                        out.copy_from_slice(replacement.as_bytes());
                        self.filled = end;
                    }
                }
            }
        }
    }

    /// Makes room for `len` more bytes after `filled`.
    fn reserve(&mut self, len: usize) {
        reserve(&mut self.text, self.filled, len);
    }

    /// Drops kept bytes before `keep_from` once they are at least half of
    /// the buffer, so the bytes moved never exceed the bytes dropped.
    fn compact(&mut self) {
        let droppable = self
            .keep_from
            .min(self.emitted)
            .saturating_sub(self.text_start);
        let droppable = usize::try_from(droppable)
            .unwrap_or(usize::MAX)
            .min(self.ready);
        if droppable > 0 && droppable >= self.filled / 2 {
            self.text.copy_within(droppable..self.filled, 0);
            self.filled -= droppable;
            self.ready -= droppable;
            self.text_start += droppable as u64;
        }
    }
}

impl<R: Read> Read for Source<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if out.is_empty() {
            return Ok(0);
        }
        loop {
            let from =
                usize::try_from(self.emitted.saturating_sub(self.text_start)).unwrap_or(usize::MAX);
            let available = self.text.get(from..self.ready).unwrap_or_default();
            if !available.is_empty() {
                let len = available.len().min(out.len()).min(self.read_limit);
                if let (Some(target), Some(bytes)) = (out.get_mut(..len), available.get(..len)) {
                    target.copy_from_slice(bytes);
                }
                self.emitted += len as u64;
                self.read_limit = self.read_limit.saturating_mul(2);
                return Ok(len);
            }
            if self.finished {
                return Ok(0);
            }
            if self.emitted.saturating_sub(self.keep_from) >= MAX_ROW_LEN {
                self.row_too_long = true;
                return Err(io::Error::other(format!(
                    "a CSV row is longer than {MAX_ROW_LEN} bytes"
                )));
            }
            self.fill()?;
        }
    }
}

/// Moves the offset of the next byte for the CSV reader back to a kept byte,
/// or forward to at most the end of the bytes ready, so that the reader can
/// go on where a faster reader stopped.
impl<R: Read> Seek for Source<R> {
    fn seek(&mut self, position: SeekFrom) -> io::Result<u64> {
        let ready_end = self.text_start + self.ready as u64;
        match position {
            SeekFrom::Start(offset) if (self.text_start..=ready_end).contains(&offset) => {
                self.emitted = offset;
                self.read_limit = FIRST_READ_AFTER_SEEK;
                Ok(offset)
            }
            _ => Err(io::Error::new(
                io::ErrorKind::Unsupported,
                format!(
                    "cannot seek to {position:?} in a CSV stream that keeps bytes \
                     {}..{ready_end}",
                    self.text_start
                ),
            )),
        }
    }
}

/// Grows `buffer` so that it has room for `len` bytes after `filled`.
fn reserve(buffer: &mut Vec<u8>, filled: usize, len: usize) {
    let needed = filled.saturating_add(len);
    if buffer.len() < needed {
        buffer.resize(needed, 0);
    }
}

/// Reads once, retrying when the read is interrupted.
fn read_retrying<R: Read>(reader: &mut R, buf: &mut [u8]) -> io::Result<usize> {
    loop {
        match reader.read(buf) {
            Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
            result => return result,
        }
    }
}

/// Picks the converter and the effective encoding, and returns the length of
/// the byte-order mark to skip. With an encoding other than UTF-8 set, a
/// byte-order mark selects its own encoding.
fn choose_decoding(head: &[u8], encoding: Encoding) -> (Decoding, Encoding, usize) {
    if encoding == Encoding::Utf8 {
        let bom_len = if head.starts_with(UTF8_BOM) {
            UTF8_BOM.len()
        } else {
            0
        };
        return (Decoding::Utf8, Encoding::Utf8, bom_len);
    }

    let (encoding, bom_len) = if head.starts_with(UTF8_BOM) {
        (Encoding::Utf8, UTF8_BOM.len())
    } else if head.starts_with(UTF16LE_BOM) {
        (Encoding::Utf16Le, UTF16LE_BOM.len())
    } else if head.starts_with(UTF16BE_BOM) {
        (Encoding::Utf16Be, UTF16BE_BOM.len())
    } else {
        (encoding, 0)
    };

    let decoder = |standard: &'static encoding_rs::Encoding| {
        Decoding::Decoder(standard.new_decoder_without_bom_handling())
    };
    let decoding = match encoding {
        Encoding::Utf8 => decoder(encoding_rs::UTF_8),
        Encoding::Windows1252 => decoder(encoding_rs::WINDOWS_1252),
        Encoding::Latin1 => Decoding::Latin1,
        Encoding::Utf16Le => decoder(encoding_rs::UTF_16LE),
        Encoding::Utf16Be => decoder(encoding_rs::UTF_16BE),
    };
    (decoding, encoding, bom_len)
}

#[cfg(test)]
#[path = "source_tests.rs"]
mod tests;
