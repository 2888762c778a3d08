//! Incremental parser for Server-Sent Events streams.
//!
//! It follows the "event stream interpretation" rules of the WHATWG HTML
//! standard. One leading byte-order mark is skipped. Lines end with CRLF, LF
//! or a lone CR, and each line is decoded as UTF-8 with U+FFFD in place of
//! invalid bytes. A line that starts with `:` is a comment. The fields
//! `event`, `data`, `id` and `retry` are interpreted and other fields are
//! ignored. A blank line dispatches the block, and an unfinished block at the
//! end of the stream is discarded.
//!
//! One deviation: the standard drops a block whose data buffer is empty, but
//! this parser delivers it when the block has a non-empty `event` field. The
//! Hub ends a campaign stream with an `event: end` block that has no `data`
//! line, and the standard would drop that marker.
//!
//! Input may arrive in chunks of any size, and the frames do not depend on
//! where the chunks split. Each byte is scanned for line ends once, so parsing
//! is linear in the input length. The bytes buffered for one block are
//! limited, so a server that never ends a line cannot exhaust memory.

use std::error::Error;
use std::fmt;
use std::mem;

use memchr::{memchr, memchr2};

/// UTF-8 encoding of U+FEFF, skipped once at the start of a stream.
const BYTE_ORDER_MARK: &[u8] = b"\xEF\xBB\xBF";

/// One dispatched event block, with its raw fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawEvent {
    /// Value of the last valid `id` field in this block, or `None` if the
    /// block had none.
    pub id: Option<String>,
    /// Event type from the `event` field, or `None` if the block had no such
    /// field or its value was empty. `None` means the default type,
    /// `"message"`.
    pub event: Option<String>,
    /// Values of the block's `data` lines joined with `'\n'`.
    pub data: String,
    /// Reconnection time in milliseconds from a valid `retry` field in this
    /// block.
    pub retry: Option<u64>,
}

/// Output item of [`Parser::push`], in stream order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frame {
    /// A dispatched event block.
    Event(RawEvent),
    /// Text of a comment line after the `:`, with one leading space removed.
    /// Servers commonly send comments as keep-alives.
    Comment(String),
}

/// An error of the Server-Sent Events parser; the stream that hit it ends.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ParseError {
    /// The bytes buffered for one event block exceeded the limit set by
    /// `ClientBuilder::max_event_bytes`.
    EventTooLarge {
        /// Limit in bytes.
        limit: usize,
        /// Bytes the block had reached when the parser stopped reading it.
        /// The complete block may be larger.
        size_at_least: usize,
    },
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::EventTooLarge {
                limit,
                size_at_least,
            } => write!(
                f,
                "Server-Sent Events block of at least {size_at_least} bytes \
                 exceeds the limit of {limit} bytes set by max_event_bytes"
            ),
        }
    }
}

impl Error for ParseError {}

/// Incremental Server-Sent Events parser for one stream at a time.
///
/// Call [`Parser::finish`] when a connection ends, before feeding the parser
/// the stream of the next one.
#[derive(Debug)]
pub struct Parser {
    max_event_bytes: usize,
    /// Bytes of the byte-order mark matched so far at the start of the
    /// stream, or `None` once the parser is past the start.
    bom_matched: Option<usize>,
    /// Whether the last byte read was a CR, so that an LF at the start of the
    /// next chunk completes a CRLF pair instead of ending another line.
    after_cr: bool,
    /// Bytes of the current line that arrived before the current chunk.
    line: Vec<u8>,
    data: String,
    event: Option<String>,
    id: Option<String>,
    retry: Option<u64>,
    last_event_id: String,
    reconnection_time: Option<u64>,
}

impl Parser {
    /// Creates a parser that rejects event blocks larger than
    /// `max_event_bytes`.
    ///
    /// A block's size is the length of its data buffer (each `data` value
    /// plus one `'\n'`) plus the length of its event type plus the raw length
    /// of the line being read, field name included.
    #[must_use]
    pub fn new(max_event_bytes: usize) -> Self {
        Self {
            max_event_bytes,
            bom_matched: Some(0),
            after_cr: false,
            line: Vec::new(),
            data: String::new(),
            event: None,
            id: None,
            retry: None,
            last_event_id: String::new(),
            reconnection_time: None,
        }
    }

    /// Parses one chunk of the stream and appends every frame it completes
    /// to `out`.
    ///
    /// # Errors
    ///
    /// Returns [`ParseError::EventTooLarge`] when the block being read grows
    /// past `max_event_bytes`, even if its current line has no end yet. The
    /// frames completed before that point are in `out`. The parser should not
    /// be fed more input from the same stream.
    pub fn push(&mut self, chunk: &[u8], out: &mut Vec<Frame>) -> Result<(), ParseError> {
        let chunk = self.skip_byte_order_mark(chunk, out)?;
        self.push_lines(chunk, out)
    }

    /// Ends the stream and prepares the parser for a new connection.
    ///
    /// An unfinished block is discarded together with its `id`. The last
    /// event ID and the reconnection time are kept, because a reconnecting
    /// client sends the first in the `Last-Event-ID` header and waits the
    /// second before it connects.
    pub fn finish(&mut self) {
        // NOTE: a block without `id` on the next connection leaves the last
        // event ID unchanged, as in browsers. A strict reading of WHATWG,
        // where each stream starts with an empty last event ID buffer, would
        // clear it.
        self.bom_matched = Some(0);
        self.after_cr = false;
        self.line.clear();
        self.reset_block();
    }

    /// Returns the last event ID: the `id` of the last dispatched block that
    /// had one, whether or not the block produced an event.
    #[must_use]
    pub fn last_event_id(&self) -> &str {
        &self.last_event_id
    }

    /// Returns the last valid `retry` value in milliseconds.
    ///
    /// As WHATWG requires, a `retry` line takes effect when it is read, even
    /// if its block is never dispatched.
    #[must_use]
    pub fn reconnection_time(&self) -> Option<u64> {
        self.reconnection_time
    }

    /// Strips a byte-order mark at the start of the stream and returns the
    /// rest of `chunk`. Bytes that may begin a mark are held back until the
    /// next chunk shows whether they do.
    fn skip_byte_order_mark<'a>(
        &mut self,
        chunk: &'a [u8],
        out: &mut Vec<Frame>,
    ) -> Result<&'a [u8], ParseError> {
        let Some(matched) = self.bom_matched else {
            return Ok(chunk);
        };
        let expected = BYTE_ORDER_MARK.get(matched..).unwrap_or_default();
        let common = chunk
            .iter()
            .zip(expected)
            .take_while(|(byte, bom_byte)| byte == bom_byte)
            .count();

        if common == expected.len() {
            self.bom_matched = None;
            return Ok(chunk.get(common..).unwrap_or_default());
        }
        if common == chunk.len() {
            self.bom_matched = Some(matched + common);
            return Ok(&[]);
        }

        // The stream has no byte-order mark, so the bytes held back from
        // earlier chunks are ordinary input.
        self.bom_matched = None;
        self.push_lines(BYTE_ORDER_MARK.get(..matched).unwrap_or_default(), out)?;
        Ok(chunk)
    }

    /// Splits `input` into lines, interprets every complete one and keeps the
    /// unfinished rest in `self.line`.
    fn push_lines(&mut self, mut input: &[u8], out: &mut Vec<Frame>) -> Result<(), ParseError> {
        if self.after_cr && !input.is_empty() {
            self.after_cr = false;
            input = input.strip_prefix(b"\n").unwrap_or(input);
        }

        while let Some(end) = memchr2(b'\r', b'\n', input) {
            let line = input.get(..end).unwrap_or_default();
            let mut rest = input.get(end + 1..).unwrap_or_default();
            if input.get(end) == Some(&b'\r') {
                // A CR ends the line at once. If it is the last byte of the
                // chunk, an LF at the start of the next chunk is skipped.
                self.after_cr = rest.is_empty();
                rest = rest.strip_prefix(b"\n").unwrap_or(rest);
            }
            self.complete_line(line, out)?;
            input = rest;
        }

        // Check before copying, so that one endless line cannot grow the
        // buffer past the limit.
        self.check_block_size(self.line.len() + input.len())?;
        self.line.extend_from_slice(input);
        Ok(())
    }

    /// Interprets the current line, made of `self.line` followed by `tail`.
    fn complete_line(&mut self, tail: &[u8], out: &mut Vec<Frame>) -> Result<(), ParseError> {
        self.check_block_size(self.line.len() + tail.len())?;

        if self.line.is_empty() {
            // Most lines arrive within one chunk and are read without a copy.
            self.interpret_line(tail, out);
            return Ok(());
        }

        let mut line = mem::take(&mut self.line);
        line.extend_from_slice(tail);
        self.interpret_line(&line, out);
        line.clear();
        self.line = line;
        Ok(())
    }

    /// Checks the size of the block being read, given the length of its
    /// current line.
    ///
    /// The data buffer and the event type grow only from lines that passed
    /// this check, so checking each line before it is stored keeps the whole
    /// block within the limit.
    fn check_block_size(&self, line_len: usize) -> Result<(), ParseError> {
        let event_len = self.event.as_ref().map_or(0, String::len);
        let size = self
            .data
            .len()
            .saturating_add(event_len)
            .saturating_add(line_len);
        if size > self.max_event_bytes {
            return Err(ParseError::EventTooLarge {
                limit: self.max_event_bytes,
                size_at_least: size,
            });
        }
        Ok(())
    }

    /// Applies one complete line, without its line end, to the block.
    ///
    /// Lines are split on bytes before they are decoded. Because `:`, CR and
    /// LF are ASCII and never part of a multibyte sequence, this gives the
    /// same text as decoding the whole stream first.
    fn interpret_line(&mut self, line: &[u8], out: &mut Vec<Frame>) {
        if line.is_empty() {
            self.dispatch(out);
            return;
        }
        if let Some(comment) = line.strip_prefix(b":") {
            out.push(Frame::Comment(decode(strip_one_space(comment))));
            return;
        }

        // The field name ends at the first colon. A line without one is a
        // field name with an empty value.
        let (name, value) = match memchr(b':', line) {
            Some(colon) => (
                line.get(..colon).unwrap_or_default(),
                strip_one_space(line.get(colon + 1..).unwrap_or_default()),
            ),
            None => (line, &b""[..]),
        };

        match name {
            // An empty event type means "message" in WHATWG, which callers
            // get from `None`.
            b"event" => self.event = Some(decode(value)).filter(|event| !event.is_empty()),
            b"data" => {
                push_decoded(&mut self.data, value);
                self.data.push('\n');
            }
            // WHATWG ignores an `id` that contains U+0000.
            b"id" if !value.contains(&0) => self.id = Some(decode(value)),
            b"retry" => {
                if let Some(milliseconds) = parse_retry(value) {
                    self.retry = Some(milliseconds);
                    self.reconnection_time = Some(milliseconds);
                }
            }
            _ => {}
        }
    }

    /// Dispatches the block at a blank line and starts a new one.
    fn dispatch(&mut self, out: &mut Vec<Frame>) {
        let id = self.id.take();
        let retry = self.retry.take();
        let event = self.event.take();
        let mut data = mem::take(&mut self.data);

        if let Some(id) = &id {
            self.last_event_id.clone_from(id);
        }
        if data.is_empty() && event.is_none() {
            return;
        }

        // Every data line added a '\n', and WHATWG removes the last one.
        if data.ends_with('\n') {
            data.pop();
        }
        out.push(Frame::Event(RawEvent {
            id,
            event,
            data,
            retry,
        }));
    }

    fn reset_block(&mut self) {
        self.data.clear();
        self.event = None;
        self.id = None;
        self.retry = None;
    }
}

fn decode(bytes: &[u8]) -> String {
    let mut text = String::new();
    push_decoded(&mut text, bytes);
    text
}

/// Appends `bytes` decoded as UTF-8 to `text`, with U+FFFD in place of
/// invalid sequences.
fn push_decoded(text: &mut String, bytes: &[u8]) {
    // On a 5 MB ASCII line, `String::from_utf8_lossy` took about 15 times as
    // long as `str::from_utf8` (Rust 1.95, release build), so the lossy
    // decoder runs only on invalid input.
    match std::str::from_utf8(bytes) {
        Ok(valid) => text.push_str(valid),
        Err(_) => text.push_str(&String::from_utf8_lossy(bytes)),
    }
}

fn strip_one_space(value: &[u8]) -> &[u8] {
    value.strip_prefix(b" ").unwrap_or(value)
}

/// Parses a `retry` value, which WHATWG accepts only when it is all ASCII
/// digits.
///
/// An empty value or one that overflows `u64` is ignored, like any other
/// invalid value.
fn parse_retry(value: &[u8]) -> Option<u64> {
    if value.is_empty() {
        return None;
    }
    value.iter().try_fold(0_u64, |total, &byte| {
        if !byte.is_ascii_digit() {
            return None;
        }
        total.checked_mul(10)?.checked_add(u64::from(byte - b'0'))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::collection::vec;
    use proptest::prelude::*;
    use proptest::sample::Index;

    /// Limit for tests that do not test the limit.
    const LIMIT: usize = 1 << 20;

    /// Everything a caller can observe after feeding a stream.
    #[derive(Debug, PartialEq)]
    struct Outcome {
        frames: Vec<Frame>,
        failed: bool,
        last_event_id: String,
        reconnection_time: Option<u64>,
    }

    /// Feeds `chunks` until the first error, as a caller would.
    fn parse_chunks<'a>(chunks: impl IntoIterator<Item = &'a [u8]>, limit: usize) -> Outcome {
        let mut parser = Parser::new(limit);
        let mut frames = Vec::new();
        let mut failed = false;
        for chunk in chunks {
            if parser.push(chunk, &mut frames).is_err() {
                failed = true;
                break;
            }
        }
        parser.finish();
        Outcome {
            frames,
            failed,
            last_event_id: parser.last_event_id().to_owned(),
            reconnection_time: parser.reconnection_time(),
        }
    }

    fn parse_whole(input: &[u8]) -> Vec<Frame> {
        parse_chunks([input], LIMIT).frames
    }

    /// Asserts that every split into two chunks, and feeding one byte at a
    /// time, give the same outcome as the whole input.
    fn assert_same_for_any_split(input: &[u8]) {
        let whole = parse_chunks([input], LIMIT);
        for split in 0..=input.len() {
            let (head, tail) = input.split_at(split);
            assert_eq!(
                parse_chunks([head, tail], LIMIT),
                whole,
                "split at byte {split}"
            );
        }
        assert_eq!(
            parse_chunks(input.chunks(1), LIMIT),
            whole,
            "one byte at a time"
        );
    }

    fn message(data: &str) -> Frame {
        named_event(None, data)
    }

    fn named_event(event: Option<&str>, data: &str) -> Frame {
        Frame::Event(RawEvent {
            id: None,
            event: event.map(str::to_owned),
            data: data.to_owned(),
            retry: None,
        })
    }

    fn event_with_id(id: &str, data: &str) -> Frame {
        Frame::Event(RawEvent {
            id: Some(id.to_owned()),
            event: None,
            data: data.to_owned(),
            retry: None,
        })
    }

    #[test]
    fn utf8_split_across_chunks() {
        let chunks: [&[u8]; 3] = [
            b"data: {\"name\":\"Jos\xC3",
            b"\xA9\",\"emoji\":\"\xF0\x9F",
            b"\x98\x80\"}\n\n",
        ];
        let expected = vec![message("{\"name\":\"Jos\u{e9}\",\"emoji\":\"\u{1F600}\"}")];

        assert_eq!(parse_chunks(chunks, LIMIT).frames, expected);
        assert_same_for_any_split(&chunks.concat());
    }

    #[test]
    fn crlf_line_ends() {
        let input = b"data: {\"n\":1}\r\n\r\n";

        assert_eq!(parse_whole(input), vec![message("{\"n\":1}")]);
        assert_same_for_any_split(input);
    }

    #[test]
    fn lone_cr_line_ends() {
        let input = b"data: {\"n\":1}\r\r";

        assert_eq!(parse_whole(input), vec![message("{\"n\":1}")]);
        assert_same_for_any_split(input);
    }

    #[test]
    fn mixed_line_ends_join_data() {
        let input = b"data: first\r\ndata: second\n\n";

        assert_eq!(parse_whole(input), vec![message("first\nsecond")]);
        assert_same_for_any_split(input);
    }

    #[test]
    fn crlf_split_across_chunks() {
        let chunks: [&[u8]; 4] = [b"data: a\r", b"\ndata: b\r", b"\n\r", b"\n"];

        assert_eq!(parse_chunks(chunks, LIMIT).frames, vec![message("a\nb")]);
    }

    #[test]
    fn comments_in_stream_order() {
        let input = b":\n\n: keepalive\n\n:ping\ndata: {\"status\":\"running\"}\n\n";
        let expected = vec![
            Frame::Comment(String::new()),
            Frame::Comment("keepalive".to_owned()),
            Frame::Comment("ping".to_owned()),
            message("{\"status\":\"running\"}"),
        ];

        assert_eq!(parse_whole(input), expected);
        assert_same_for_any_split(input);
    }

    #[test]
    fn multiline_data_keeps_one_space() {
        let input = b"event: progress\ndata: {\"completed\":3,\ndata:  \"failed\":1}\n\n";
        let expected = vec![named_event(
            Some("progress"),
            "{\"completed\":3,\n \"failed\":1}",
        )];

        assert_eq!(parse_whole(input), expected);
        assert_same_for_any_split(input);
    }

    #[test]
    fn bare_event_block_delivered() {
        let chunks: [&[u8]; 2] = [b"data: {\"status\":\"completed\"}\n\n", b"event: end\n\n"];
        let expected = vec![
            message("{\"status\":\"completed\"}"),
            named_event(Some("end"), ""),
        ];

        assert_eq!(parse_chunks(chunks, LIMIT).frames, expected);
        assert_same_for_any_split(&chunks.concat());
    }

    #[test]
    fn ids_update_last_event_id() {
        let input = b"id: 7\ndata: {\"n\":7}\n\nid: 8\ndata: {\"n\":8}\n\n";
        let outcome = parse_chunks([&input[..]], LIMIT);

        assert_eq!(
            outcome.frames,
            vec![
                event_with_id("7", "{\"n\":7}"),
                event_with_id("8", "{\"n\":8}"),
            ]
        );
        assert_eq!(outcome.last_event_id, "8");
        assert_same_for_any_split(input);
    }

    #[test]
    fn large_event_in_4k_chunks() {
        let mut input = b"data: {\"blob\":\"".to_vec();
        input.extend(std::iter::repeat_n(b'x', 300_000));
        input.extend_from_slice(b"\"}\n\n");
        let whole = parse_chunks([&input[..]], LIMIT);

        let outcome = parse_chunks(input.chunks(4096), LIMIT);
        let data_len = match outcome.frames.as_slice() {
            [Frame::Event(event)] => event.data.len(),
            other => panic!("expected one event, got {} frames", other.len()),
        };
        assert_eq!(data_len, 300_011);
        assert_eq!(outcome, whole, "4 KiB chunks");
        assert_eq!(
            parse_chunks(input.chunks(1), LIMIT),
            whole,
            "one byte at a time"
        );

        // NOTE: two-chunk splits are checked at every position near the line
        // structure but only every 997 bytes inside the blob, because every
        // position would take 300,000 parses of 300 KB.
        let len = input.len();
        let splits = (0..64)
            .chain((64..len - 64).step_by(997))
            .chain(len - 64..=len);
        for split in splits {
            let (head, tail) = input.split_at(split);
            assert_eq!(
                parse_chunks([head, tail], LIMIT),
                whole,
                "split at byte {split}"
            );
        }
    }

    #[test]
    fn bom_at_start_skipped() {
        let input = b"\xEF\xBB\xBFdata: x\n\n";

        assert_eq!(parse_whole(input), vec![message("x")]);
        assert_same_for_any_split(input);
    }

    #[test]
    fn bom_split_across_chunks() {
        let chunks: [&[u8]; 3] = [b"\xEF", b"\xBB", b"\xBFdata: x\n\n"];

        assert_eq!(parse_chunks(chunks, LIMIT).frames, vec![message("x")]);
    }

    #[test]
    fn bom_not_at_start_kept() {
        let input = b"data: \xEF\xBB\xBFx\n\n";

        assert_eq!(parse_whole(input), vec![message("\u{FEFF}x")]);
        assert_same_for_any_split(input);
    }

    #[test]
    fn second_bom_not_skipped() {
        // The second mark makes the first field name "\u{FEFF}data", which is
        // unknown, so the block has no data.
        let input = b"\xEF\xBB\xBF\xEF\xBB\xBFdata: x\n\ndata: y\n\n";

        assert_eq!(parse_whole(input), vec![message("y")]);
        assert_same_for_any_split(input);
    }

    #[test]
    fn partial_bom_is_ordinary_input() {
        let input = b"\xEF\xBBdata: x\n\ndata: y\n\n";

        assert_eq!(parse_whole(input), vec![message("y")]);
        assert_same_for_any_split(input);
    }

    #[test]
    fn data_without_space() {
        let input = b"data:value\n\n";

        assert_eq!(parse_whole(input), vec![message("value")]);
        assert_same_for_any_split(input);
    }

    #[test]
    fn data_without_colon() {
        assert_eq!(parse_whole(b"data\n\n"), vec![message("")]);
        assert_eq!(parse_whole(b"data\ndata\n\n"), vec![message("\n")]);
        assert_same_for_any_split(b"data\ndata\n\n");
    }

    #[test]
    fn id_with_nul_ignored() {
        let input = b"id: 1\n\nid: a\0b\ndata: x\n\n";
        let outcome = parse_chunks([&input[..]], LIMIT);

        assert_eq!(outcome.frames, vec![message("x")]);
        assert_eq!(outcome.last_event_id, "1");
        assert_same_for_any_split(input);
    }

    #[test]
    fn empty_id_clears_last_event_id() {
        let outcome = parse_chunks([&b"id: 1\n\nid\n\n"[..]], LIMIT);

        assert_eq!(outcome.frames, vec![]);
        assert_eq!(outcome.last_event_id, "");
    }

    #[test]
    fn id_only_block_emits_nothing() {
        let input = b"id: 42\n\n";
        let outcome = parse_chunks([&input[..]], LIMIT);

        assert_eq!(outcome.frames, vec![]);
        assert_eq!(outcome.last_event_id, "42");
        assert_same_for_any_split(input);
    }

    #[test]
    fn retry_sets_reconnection_time() {
        let only_retry = parse_chunks([&b"retry: 3000\n\n"[..]], LIMIT);
        assert_eq!(only_retry.frames, vec![]);
        assert_eq!(only_retry.reconnection_time, Some(3000));

        let with_data = parse_whole(b"retry: 10\ndata: x\n\n");
        let expected = Frame::Event(RawEvent {
            id: None,
            event: None,
            data: "x".to_owned(),
            retry: Some(10),
        });
        assert_eq!(with_data, vec![expected]);
    }

    #[test]
    fn retry_non_digits_ignored() {
        for value in ["10s", "-1", "+5", "1 0", "", " ", "1.5", "\u{0661}"] {
            let input = format!("retry: 7\n\nretry:{value}\ndata: x\n\n");
            let outcome = parse_chunks([input.as_bytes()], LIMIT);
            assert_eq!(outcome.frames, vec![message("x")], "retry value {value:?}");
            assert_eq!(outcome.reconnection_time, Some(7), "retry value {value:?}");
        }
    }

    #[test]
    fn retry_overflow_ignored() {
        let too_large = parse_chunks([&b"retry: 99999999999999999999999\n\n"[..]], LIMIT);
        assert_eq!(too_large.reconnection_time, None);

        let maximum = parse_chunks([&b"retry: 18446744073709551615\n\n"[..]], LIMIT);
        assert_eq!(maximum.reconnection_time, Some(u64::MAX));
    }

    #[test]
    fn unknown_field_ignored() {
        let input = b"foo: bar\nData: y\n data: z\ndata: x\n\n";

        assert_eq!(parse_whole(input), vec![message("x")]);
        assert_same_for_any_split(input);
    }

    #[test]
    fn empty_event_means_message() {
        assert_eq!(parse_whole(b"event:\ndata: x\n\n"), vec![message("x")]);
        assert_eq!(parse_whole(b"event: a\nevent:\n\n"), vec![]);
    }

    #[test]
    fn block_fields_reset_after_dispatch() {
        let input = b"event: a\nid: 1\nretry: 5\ndata: x\n\ndata: y\n\n";
        let outcome = parse_chunks([&input[..]], LIMIT);
        let first = Frame::Event(RawEvent {
            id: Some("1".to_owned()),
            event: Some("a".to_owned()),
            data: "x".to_owned(),
            retry: Some(5),
        });

        assert_eq!(outcome.frames, vec![first, message("y")]);
        assert_eq!(outcome.last_event_id, "1");
        assert_eq!(outcome.reconnection_time, Some(5));
    }

    #[test]
    fn incomplete_block_discarded_at_finish() {
        let mut parser = Parser::new(LIMIT);
        let mut frames = Vec::new();

        assert_eq!(parser.push(b"id: 3\ndata: a\n", &mut frames), Ok(()));
        parser.finish();
        assert_eq!(parser.push(b"\n", &mut frames), Ok(()));
        assert_eq!(parser.push(b"data: b", &mut frames), Ok(()));
        parser.finish();
        assert_eq!(parser.push(b"\n\n", &mut frames), Ok(()));

        assert_eq!(frames, vec![]);
        assert_eq!(parser.last_event_id(), "");
    }

    #[test]
    fn finish_keeps_last_event_id() {
        let mut parser = Parser::new(LIMIT);
        let mut frames = Vec::new();

        assert_eq!(parser.push(b"id: 5\nretry: 9\n\n", &mut frames), Ok(()));
        parser.finish();
        assert_eq!(parser.push(b"data: x\n\n", &mut frames), Ok(()));

        assert_eq!(frames, vec![message("x")]);
        assert_eq!(parser.last_event_id(), "5");
        assert_eq!(parser.reconnection_time(), Some(9));
    }

    #[test]
    fn finish_restarts_bom_check() {
        let mut parser = Parser::new(LIMIT);
        let mut frames = Vec::new();

        assert_eq!(parser.push(b"\xEF\xBB\xBFdata: a\n\n", &mut frames), Ok(()));
        parser.finish();
        assert_eq!(parser.push(b"\xEF\xBB\xBFdata: b\n\n", &mut frames), Ok(()));

        assert_eq!(frames, vec![message("a"), message("b")]);
    }

    #[test]
    fn finish_forgets_trailing_cr() {
        let mut parser = Parser::new(LIMIT);
        let mut frames = Vec::new();

        assert_eq!(parser.push(b"data: a\r", &mut frames), Ok(()));
        parser.finish();
        assert_eq!(parser.push(b"\ndata: b\n\n", &mut frames), Ok(()));

        assert_eq!(frames, vec![message("b")]);
    }

    #[test]
    fn invalid_utf8_becomes_replacement() {
        let input = b"data: a\xFFb\n:c\xC3\ndata: \xE2\x82\n\n";

        assert_eq!(
            parse_whole(input),
            vec![
                Frame::Comment("c\u{FFFD}".to_owned()),
                message("a\u{FFFD}b\n\u{FFFD}"),
            ]
        );
        assert_same_for_any_split(input);
    }

    #[test]
    fn event_at_limit_parses() {
        // The largest size is 10 bytes: the event type "e" plus the line
        // "data: abc".
        let input = b"event: e\ndata: abc\n\n";
        let outcome = parse_chunks([&input[..]], 10);

        assert!(!outcome.failed);
        assert_eq!(outcome.frames, vec![named_event(Some("e"), "abc")]);
    }

    #[test]
    fn event_over_limit_errors() {
        let mut parser = Parser::new(9);
        let mut frames = Vec::new();
        let result = parser.push(b"event: e\ndata: abc\n\n", &mut frames);

        assert_eq!(
            result,
            Err(ParseError::EventTooLarge {
                limit: 9,
                size_at_least: 10,
            })
        );
        assert_eq!(frames, vec![]);
    }

    #[test]
    fn many_data_lines_exceed_limit() {
        let input = b"data: x\n".repeat(100);
        let outcome = parse_chunks([&input[..]], 64);

        assert!(outcome.failed);
    }

    #[test]
    fn long_line_without_newline_errors() {
        let mut parser = Parser::new(4096);
        let mut frames = Vec::new();
        let chunk = [b'x'; 1024];
        let mut result = Ok(());
        for _ in 0..100 {
            result = parser.push(&chunk, &mut frames);
            if result.is_err() {
                break;
            }
        }

        assert_eq!(
            result,
            Err(ParseError::EventTooLarge {
                limit: 4096,
                size_at_least: 5120,
            })
        );
        assert!(parser.line.len() <= 4096);
    }

    #[test]
    fn error_message_names_limit() {
        let error = ParseError::EventTooLarge {
            limit: 9,
            size_at_least: 10,
        };

        assert_eq!(
            error.to_string(),
            "Server-Sent Events block of at least 10 bytes exceeds the limit \
             of 9 bytes set by max_event_bytes"
        );
    }

    /// Straightforward reading of the WHATWG rules over the decoded text of
    /// the whole input, with this parser's deviations, for comparison.
    fn reference_parse(input: &[u8]) -> Outcome {
        let input = input.strip_prefix(BYTE_ORDER_MARK).unwrap_or(input);
        let text = String::from_utf8_lossy(input);
        let mut frames = Vec::new();
        let mut last_event_id = String::new();
        let mut reconnection_time = None;
        let mut data = String::new();
        let mut event: Option<String> = None;
        let mut id: Option<String> = None;
        let mut retry = None;

        let mut rest: &str = &text;
        while let Some(end) = rest.find(['\r', '\n']) {
            let line = &rest[..end];
            let after = &rest[end..];
            rest = after.strip_prefix("\r\n").unwrap_or(&after[1..]);

            if line.is_empty() {
                if let Some(id) = &id {
                    last_event_id.clone_from(id);
                }
                if !data.is_empty() || event.is_some() {
                    let mut event_data = data.clone();
                    if event_data.ends_with('\n') {
                        event_data.pop();
                    }
                    frames.push(Frame::Event(RawEvent {
                        id: id.clone(),
                        event: event.clone(),
                        data: event_data,
                        retry,
                    }));
                }
                data.clear();
                event = None;
                id = None;
                retry = None;
            } else if let Some(comment) = line.strip_prefix(':') {
                let comment = comment.strip_prefix(' ').unwrap_or(comment);
                frames.push(Frame::Comment(comment.to_owned()));
            } else {
                let (name, value) = match line.split_once(':') {
                    Some((name, value)) => (name, value.strip_prefix(' ').unwrap_or(value)),
                    None => (line, ""),
                };
                let all_digits = !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit());
                match name {
                    "event" if value.is_empty() => event = None,
                    "event" => event = Some(value.to_owned()),
                    "data" => {
                        data.push_str(value);
                        data.push('\n');
                    }
                    "id" if !value.contains('\0') => id = Some(value.to_owned()),
                    "retry" if all_digits => {
                        if let Ok(milliseconds) = value.parse::<u64>() {
                            retry = Some(milliseconds);
                            reconnection_time = Some(milliseconds);
                        }
                    }
                    _ => {}
                }
            }
        }

        Outcome {
            frames,
            failed: false,
            last_event_id,
            reconnection_time,
        }
    }

    /// Pieces that make up interesting streams more often than random bytes.
    fn token() -> impl Strategy<Value = Vec<u8>> {
        prop_oneof![
            Just(b"data:".to_vec()),
            Just(b"data: ".to_vec()),
            Just(b"data".to_vec()),
            Just(b"event:".to_vec()),
            Just(b"event: end".to_vec()),
            Just(b"id:".to_vec()),
            Just(b"retry:".to_vec()),
            Just(b":".to_vec()),
            Just(b" ".to_vec()),
            Just(b"\r".to_vec()),
            Just(b"\n".to_vec()),
            Just(b"\r\n".to_vec()),
            Just(BYTE_ORDER_MARK.to_vec()),
            Just(b"\xEF".to_vec()),
            Just(b"\xBB".to_vec()),
            Just(b"\0".to_vec()),
            Just("\u{e9}\u{1F600}".as_bytes().to_vec()),
            (b'0'..=b'9').prop_map(|byte| vec![byte]),
            (b'a'..=b'z').prop_map(|byte| vec![byte]),
            (0x80_u8..=0xFF).prop_map(|byte| vec![byte]),
        ]
    }

    fn stream_bytes() -> impl Strategy<Value = Vec<u8>> {
        prop_oneof![
            vec(any::<u8>(), 0..256),
            vec(token(), 0..64).prop_map(|tokens| tokens.concat()),
        ]
    }

    /// Splits `input` at the positions picked by `cuts`.
    fn split_at_cuts<'a>(input: &'a [u8], cuts: &[Index]) -> Vec<&'a [u8]> {
        let mut positions: Vec<usize> = cuts.iter().map(|cut| cut.index(input.len() + 1)).collect();
        positions.sort_unstable();
        let mut chunks = Vec::new();
        let mut start = 0;
        for position in positions {
            chunks.push(&input[start..position]);
            start = position;
        }
        chunks.push(&input[start..]);
        chunks
    }

    fn any_limit() -> impl Strategy<Value = usize> {
        prop_oneof![Just(LIMIT), 0_usize..48]
    }

    proptest! {
        #[test]
        fn chunk_splits_keep_outcome(
            input in stream_bytes(),
            cuts in vec(any::<Index>(), 0..12),
            limit in any_limit(),
        ) {
            let whole = parse_chunks([&input[..]], limit);
            let chunked = parse_chunks(split_at_cuts(&input, &cuts), limit);
            prop_assert_eq!(chunked, whole);
        }

        #[test]
        fn byte_at_a_time_keeps_outcome(input in stream_bytes(), limit in any_limit()) {
            let whole = parse_chunks([&input[..]], limit);
            let bytewise = parse_chunks(input.chunks(1), limit);
            prop_assert_eq!(bytewise, whole);
        }

        #[test]
        fn parser_matches_reference_reading(
            input in stream_bytes(),
            cuts in vec(any::<Index>(), 0..12),
        ) {
            let chunked = parse_chunks(split_at_cuts(&input, &cuts), LIMIT);
            prop_assert_eq!(chunked, reference_parse(&input));
        }

        #[test]
        fn small_limit_bounds_buffers(
            input in stream_bytes(),
            cuts in vec(any::<Index>(), 0..12),
            limit in 0_usize..32,
        ) {
            let mut parser = Parser::new(limit);
            let mut frames = Vec::new();
            for chunk in split_at_cuts(&input, &cuts) {
                if parser.push(chunk, &mut frames).is_err() {
                    break;
                }
                let event_len = parser.event.as_ref().map_or(0, String::len);
                let buffered = parser.data.len() + event_len + parser.line.len();
                prop_assert!(buffered <= limit, "{buffered} bytes buffered");
            }
        }
    }
}
