//! Tests of [`Source`]: byte-order marks, conversion, chunking and limits.

use std::io::{self, Read};

use super::*;

/// A reader that returns at most `step` bytes per call.
struct Trickle<'a> {
    bytes: &'a [u8],
    step: usize,
}

impl Read for Trickle<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let len = self.step.min(buf.len()).min(self.bytes.len());
        let (now, rest) = self.bytes.split_at(len);
        buf[..len].copy_from_slice(now);
        self.bytes = rest;
        Ok(len)
    }
}

/// A reader that is interrupted before every read.
struct Interrupting<'a> {
    bytes: &'a [u8],
    interrupt_next: bool,
}

impl Read for Interrupting<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.interrupt_next = !self.interrupt_next;
        if !self.interrupt_next {
            return Err(io::Error::from(io::ErrorKind::Interrupted));
        }
        self.bytes.read(buf)
    }
}

fn read_all<R: Read>(mut source: Source<R>) -> (Vec<u8>, Source<R>) {
    let mut out = Vec::new();
    let mut buf = [0; 7];
    loop {
        let read = source.read(&mut buf).unwrap();
        if read == 0 {
            return (out, source);
        }
        out.extend_from_slice(&buf[..read]);
        source.release(source.emitted);
    }
}

fn convert(bytes: &[u8], encoding: Encoding) -> (Vec<u8>, Source<&[u8]>) {
    read_all(Source::open(bytes, encoding).unwrap())
}

#[test]
fn utf8_bom_stripped() {
    let (text, source) = convert(b"\xEF\xBB\xBFphone_number\n", Encoding::Utf8);
    assert_eq!(text, b"phone_number\n");
    assert_eq!(source.bom_len(), 3);
    assert!(source.is_passthrough());
}

#[test]
fn utf8_passes_invalid_bytes_through() {
    let (text, source) = convert(b"a\xE9\x00b", Encoding::Utf8);
    assert_eq!(text, b"a\xE9\x00b");
    assert_eq!(source.bom_len(), 0);
}

#[test]
fn windows_1252_converted() {
    let (text, source) = convert(b"Jos\xE9 \x80", Encoding::Windows1252);
    assert_eq!(text, "José €".as_bytes());
    assert!(!source.looks_like_utf8());
}

#[test]
fn latin1_maps_bytes_to_code_points() {
    let (text, _) = convert(b"Jos\xE9 \x80", Encoding::Latin1);
    assert_eq!(text, "José \u{80}".as_bytes());
}

#[test]
fn utf16_bom_selects_encoding() {
    let le = b"\xFF\xFEp\x00h\x00\n\x00";
    let (text, source) = convert(le, Encoding::Utf16Le);
    assert_eq!(text, b"ph\n");
    assert_eq!(source.bom_len(), 2);

    let (text, source) = convert(le, Encoding::Windows1252);
    assert_eq!(text, b"ph\n");
    assert_eq!(source.encoding(), Encoding::Utf16Le);

    let be = b"\xFE\xFF\x00p\x00h";
    let (text, source) = convert(be, Encoding::Utf16Le);
    assert_eq!(text, b"ph");
    assert_eq!(source.encoding(), Encoding::Utf16Be);
}

#[test]
fn utf8_bom_overrides_single_byte_encoding() {
    let (text, source) = convert("\u{FEFF}José".as_bytes(), Encoding::Windows1252);
    assert_eq!(text, "José".as_bytes());
    assert_eq!(source.encoding(), Encoding::Utf8);
    assert_eq!(source.bom_len(), 3);
}

#[test]
fn malformed_utf16_becomes_spot() {
    // "a", an unpaired high surrogate, "b", then an odd trailing byte.
    let bytes = b"a\x00\x00\xD8b\x00c";
    let (text, mut source) = convert(bytes, Encoding::Utf16Le);
    assert_eq!(text, "a\u{FFFD}b\u{FFFD}".as_bytes());
    let first = source.take_spot(u64::MAX).unwrap();
    assert_eq!(first.stream_offset, 1);
    assert_eq!(first.input_offset, 2);
    assert_eq!(source.take_spot(u64::MAX), None);
}

#[test]
fn take_spot_stops_at_end() {
    let bytes = b"\x00\xD8a\x00\x00\xD8";
    let (_, mut source) = convert(bytes, Encoding::Utf16Le);
    let first = source.take_spot(1).unwrap();
    assert_eq!(first.stream_offset, 0);
    let second = source.take_spot(u64::MAX).unwrap();
    assert_eq!(second.stream_offset, 4);
}

#[test]
fn tiny_reads_give_same_text() {
    let input = "\u{FEFF}phone_number,name\r\n+1202,José\r\n".repeat(50);
    for encoding in [Encoding::Utf8, Encoding::Windows1252] {
        let (whole, _) = convert(input.as_bytes(), encoding);
        for step in [1, 2, 3, 5] {
            let trickle = Trickle {
                bytes: input.as_bytes(),
                step,
            };
            let (text, _) = read_all(Source::open(trickle, encoding).unwrap());
            assert_eq!(text, whole, "step {step}, {encoding}");
        }
    }
}

#[test]
fn utf16_split_across_reads() {
    let input: Vec<u8> = "\u{FEFF}José,😀\n"
        .encode_utf16()
        .flat_map(u16::to_le_bytes)
        .collect();
    let trickle = Trickle {
        bytes: &input,
        step: 1,
    };
    let (text, source) = read_all(Source::open(trickle, Encoding::Utf16Le).unwrap());
    assert_eq!(text, "José,😀\n".as_bytes());
    assert_eq!(source.bom_len(), 2);
}

#[test]
fn interrupted_reads_are_retried() {
    let reader = Interrupting {
        bytes: b"phone_number\n+12025550101\n",
        interrupt_next: false,
    };
    let (text, _) = read_all(Source::open(reader, Encoding::Utf8).unwrap());
    assert_eq!(text, b"phone_number\n+12025550101\n");
}

#[test]
fn utf8_read_as_windows_1252_detected() {
    let (_, source) = convert("name\nJosé\n".as_bytes(), Encoding::Windows1252);
    assert!(source.looks_like_utf8());
    let (_, source) = convert(b"name\nJos\xE9\n", Encoding::Windows1252);
    assert!(!source.looks_like_utf8());
    let (_, source) = convert(b"name\nJose\n", Encoding::Latin1);
    assert!(!source.looks_like_utf8());
}

#[test]
fn row_longer_than_max_stops() {
    let input = vec![b'x'; (MAX_ROW_LEN as usize) * 2];
    let mut source = Source::open(&input[..], Encoding::Utf8).unwrap();
    let mut buf = vec![0; 8192];
    let error = loop {
        match source.read(&mut buf) {
            Ok(0) => panic!("read to the end without error"),
            Ok(_) => {}
            Err(error) => break error,
        }
    };
    assert!(source.row_too_long());
    assert_eq!(error.kind(), io::ErrorKind::Other);
    assert!(source.emitted >= MAX_ROW_LEN);
}

#[test]
fn released_bytes_are_dropped() {
    let input = vec![b'x'; CHUNK_LEN * 4];
    let mut source = Source::open(&input[..], Encoding::Utf8).unwrap();
    let mut buf = vec![0; 1000];
    while source.read(&mut buf).unwrap() > 0 {
        source.release(source.emitted);
        assert!(source.text.len() <= 2 * CHUNK_LEN + SNIFF_LEN);
    }
}

#[test]
fn span_returns_kept_bytes() {
    let mut source = Source::open(&b"abcdef"[..], Encoding::Utf8).unwrap();
    let mut buf = [0; 6];
    assert_eq!(source.read(&mut buf).unwrap(), 6);
    assert_eq!(source.span(1, 4), b"bcd");
    assert_eq!(source.span(4, u64::MAX), b"ef");
    assert_eq!(source.span(5, 3), b"");
}

#[test]
fn invalid_utf8_and_nul_become_spots() {
    let (text, mut source) = convert(b"\xEF\xBB\xBFa\nb\xE9\n\x00c\n", Encoding::Utf8);
    assert_eq!(text, b"a\nb\xE9\n\x00c\n");
    let first = source.take_spot(4).unwrap();
    assert_eq!(first.stream_offset, 3);
    assert_eq!(first.input_offset, 6);
    assert_eq!(first.byte, 0xE9);
    let second = source.take_spot(u64::MAX).unwrap();
    assert_eq!(second.stream_offset, 5);
    assert_eq!(second.byte, 0);
}

#[test]
fn spots_without_line_break_between_are_merged() {
    let (_, mut source) = convert(b"a\xE9b\x00\xFF,\n\xE9", Encoding::Utf8);
    assert_eq!(source.take_spot(6).unwrap().stream_offset, 1);
    assert_eq!(source.take_spot(u64::MAX).unwrap().stream_offset, 7);
    assert_eq!(source.take_spot(u64::MAX), None);
}

#[test]
fn character_split_across_reads_is_valid() {
    let input = "é,😀\n".repeat(3);
    for step in 1..5 {
        let trickle = Trickle {
            bytes: input.as_bytes(),
            step,
        };
        let (text, mut source) = read_all(Source::open(trickle, Encoding::Utf8).unwrap());
        assert_eq!(text, input.as_bytes());
        assert_eq!(source.take_spot(u64::MAX), None, "step {step}");
    }
}

#[test]
fn incomplete_character_at_end_is_spot() {
    let (text, mut source) = convert(b"ab\xF0\x9F", Encoding::Utf8);
    assert_eq!(text, b"ab\xF0\x9F");
    let spot = source.take_spot(u64::MAX).unwrap();
    assert_eq!(spot.stream_offset, 2);
    assert_eq!(spot.byte, 0xF0);
}

#[test]
fn seek_rereads_kept_bytes() {
    let mut source = Source::open(&b"a,b\nc,d\ne,f\n"[..], Encoding::Utf8).unwrap();
    let mut buf = [0; 64];
    assert_eq!(source.read(&mut buf).unwrap(), 12);
    source.release(4);

    assert_eq!(source.seek(SeekFrom::Start(3)).unwrap(), 3);
    let mut reread = Vec::new();
    source.read_to_end(&mut reread).unwrap();
    assert_eq!(reread, b"\nc,d\ne,f\n");
}

#[test]
fn seek_outside_kept_bytes_fails() {
    let mut source = Source::open(&b"a,b\n"[..], Encoding::Utf8).unwrap();
    let mut buf = [0; 64];
    assert_eq!(source.read(&mut buf).unwrap(), 4);
    let error = source.seek(SeekFrom::Start(5)).unwrap_err();
    assert_eq!(error.kind(), io::ErrorKind::Unsupported);
    let error = source.seek(SeekFrom::Current(-1)).unwrap_err();
    assert_eq!(error.kind(), io::ErrorKind::Unsupported);
}

#[test]
fn first_read_after_seek_is_short() {
    let input = vec![b'x'; 3 * FIRST_READ_AFTER_SEEK];
    let mut source = Source::open(&input[..], Encoding::Utf8).unwrap();
    let mut buf = vec![0; input.len()];
    assert_eq!(source.read(&mut buf).unwrap(), input.len());

    source.seek(SeekFrom::Start(0)).unwrap();
    assert_eq!(source.read(&mut buf).unwrap(), FIRST_READ_AFTER_SEEK);
    assert_eq!(source.read(&mut buf).unwrap(), 2 * FIRST_READ_AFTER_SEEK);
}
