//! Property tests of the public CSV validator over arbitrary bytes, beside
//! the ones in `src/csv/tests`, which use inputs under 1 KiB and reads of up
//! to 8 bytes. These inputs are larger than the validator's 4 KiB format
//! sniff and its 64 KiB read chunk, and are read in random sizes up to
//! 100 KB. The upload is written to a writer that accepts part of each
//! write, and a reader that never ends must not keep the validator reading.

use std::io::{self, Read, Write};

use kataven::csv::{inspect, inspect_reader, write_upload, CsvOptions, CsvProblemKind, Encoding};
use proptest::prelude::*;
use proptest::sample::select;

/// Pieces of rows: valid and invalid phone numbers, quotes left open and
/// closed, delimiters, every line ending, invalid UTF-8 and NULs.
const PIECES: &[&[u8]] = &[
    b"+12025550101,Ana\n",
    b"0044 20 7946 0958,\"Lee, Max\"\r\n",
    b"+12025550102,\"a\r\nb\"\r",
    b"123,x\n",
    b",\n",
    b"\n",
    b"\"",
    b"+12025550103;Bo\n",
    b"+12025550104,\xE9t\xE9\n",
    b"+12025550105,\xFF\x00\n",
    b"phone_number,name\n",
    b"\xEF\xBB\xBF",
    b"+12025550106,\"x\"y\n",
];

const HEADERS: &[&[u8]] = &[
    b"phone_number,name\n",
    b"\xEF\xBB\xBFphone_number;name\r\n",
    b"name\n",
    b"",
];

/// Inputs of 5 KB to 150 KB: a header, then pieces or arbitrary bytes
/// repeated up to the length.
fn large_input() -> impl Strategy<Value = Vec<u8>> {
    let pieces = prop_oneof![
        proptest::collection::vec(select(PIECES.to_vec()), 1..40)
            .prop_map(|pieces| pieces.concat()),
        proptest::collection::vec(any::<u8>(), 1..400),
    ];
    (select(HEADERS.to_vec()), pieces, 5_000usize..150_000).prop_map(|(header, unit, len)| {
        let mut input = header.to_vec();
        while input.len() < len {
            input.extend_from_slice(&unit);
        }
        input
    })
}

/// Options, with the `max_problems` they set.
fn options() -> impl Strategy<Value = (CsvOptions, usize)> {
    (
        select(vec![b',', b';']),
        select(vec![
            Encoding::Utf8,
            Encoding::Windows1252,
            Encoding::Utf16Le,
        ]),
        any::<bool>(),
        0usize..20,
    )
        .prop_map(|(delimiter, encoding, skip, max_problems)| {
            let options = CsvOptions::new()
                .delimiter(delimiter)
                .encoding(encoding)
                .skip_invalid_rows(skip)
                .max_problems(max_problems);
            (options, max_problems)
        })
}

fn sizes() -> impl Strategy<Value = Vec<usize>> {
    proptest::collection::vec(1usize..100_000, 1..8)
}

/// A reader that returns the bytes in reads of the given sizes, cycling
/// through them.
struct Chunked<'a> {
    bytes: &'a [u8],
    sizes: Vec<usize>,
    next: usize,
}

impl Read for Chunked<'_> {
    fn read(&mut self, buffer: &mut [u8]) -> io::Result<usize> {
        let size = self.sizes[self.next % self.sizes.len()];
        self.next += 1;
        let len = size.min(buffer.len()).min(self.bytes.len());
        let (now, rest) = self.bytes.split_at(len);
        buffer[..len].copy_from_slice(now);
        self.bytes = rest;
        Ok(len)
    }
}

/// A writer that accepts at most the next of the given sizes per write.
struct ShortWrites {
    written: Vec<u8>,
    sizes: Vec<usize>,
    next: usize,
}

impl Write for ShortWrites {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        let size = self.sizes[self.next % self.sizes.len()];
        self.next += 1;
        let len = size.min(data.len());
        self.written.extend_from_slice(&data[..len]);
        Ok(len)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn report_independent_of_read_sizes(
        input in large_input(),
        (options, max_problems) in options(),
        sizes in sizes(),
    ) {
        let report = inspect(&input, &options);
        prop_assert!(report.problems().len() <= max_problems);
        prop_assert!(report.problem_count() >= report.problems().len() as u64);
        prop_assert!(!report.is_valid() || report.contacts() > 0);

        let chunked = Chunked { bytes: &input, sizes, next: 0 };
        prop_assert_eq!(inspect_reader(chunked, &options).unwrap(), report);
    }

    #[test]
    fn upload_independent_of_reads_and_writes(
        input in large_input(),
        (options, _) in options(),
        read_sizes in sizes(),
        write_sizes in proptest::collection::vec(1usize..70_000, 1..8),
    ) {
        let report = inspect(&input, &options);
        let mut whole = Vec::new();
        let from_slice = write_upload(&input[..], &options, &mut whole);

        let chunked = Chunked { bytes: &input, sizes: read_sizes, next: 0 };
        let mut short = ShortWrites { written: Vec::new(), sizes: write_sizes, next: 0 };
        let from_reader = write_upload(chunked, &options, &mut short);

        prop_assert_eq!(&short.written, &whole);
        prop_assert_eq!(whole.len() as u64, report.upload_len());
        match (from_slice, from_reader) {
            (Ok(slice_len), Ok(reader_len)) => {
                prop_assert!(report.is_valid());
                prop_assert_eq!(slice_len, report.upload_len());
                prop_assert_eq!(reader_len, report.upload_len());
            }
            (Err(slice_error), Err(reader_error)) => {
                prop_assert!(!report.is_valid());
                prop_assert_eq!(slice_error.kind(), io::ErrorKind::InvalidData);
                prop_assert_eq!(reader_error.kind(), io::ErrorKind::InvalidData);
            }
            (slice, reader) => prop_assert!(false, "slice {slice:?}, reader {reader:?}"),
        }
    }

    #[test]
    fn kept_problems_bounded(invalid_rows in 1usize..3_000, max_problems in 0usize..100) {
        let mut input = b"phone_number,name\n".to_vec();
        for _ in 0..invalid_rows {
            input.extend_from_slice(b"123,x\n");
        }
        let options = CsvOptions::new().max_problems(max_problems);
        let report = inspect(&input, &options);
        prop_assert_eq!(report.problem_count(), invalid_rows as u64);
        prop_assert_eq!(report.problems().len(), invalid_rows.min(max_problems));
    }
}

/// Bytes read from a reader that never ends before the validator stops.
/// The cap only keeps a broken validator from reading forever.
struct Endless {
    head: &'static [u8],
    fill: u8,
    read: u64,
}

const ENDLESS_CAP: u64 = 64 << 20;

impl Read for Endless {
    fn read(&mut self, buffer: &mut [u8]) -> io::Result<usize> {
        if self.read >= ENDLESS_CAP {
            return Ok(0);
        }
        let head_left = self.head.len().saturating_sub(self.read as usize);
        let len = buffer.len();
        for (index, byte) in buffer.iter_mut().enumerate() {
            *byte = if index < head_left {
                self.head[self.read as usize + index]
            } else {
                self.fill
            };
        }
        self.read += len as u64;
        Ok(len)
    }
}

/// Which problems an endless row may end with.
type ExpectedProblem = fn(&CsvProblemKind) -> bool;

#[test]
fn endless_row_stops_reading() {
    let cases: [(&[u8], ExpectedProblem); 2] = [
        (b"phone_number,note\n+12025550101,", |kind| {
            matches!(kind, CsvProblemKind::RowTooLong { .. })
        }),
        (b"phone_number,note\n+12025550101,\"", |kind| {
            matches!(
                kind,
                CsvProblemKind::UnterminatedQuote | CsvProblemKind::RowTooLong { .. }
            )
        }),
    ];
    for (head, expected) in cases {
        let mut reader = Endless {
            head,
            fill: b'x',
            read: 0,
        };
        let report = inspect_reader(&mut reader, &CsvOptions::new()).unwrap();
        assert!(!report.is_valid());
        let kinds: Vec<_> = report
            .problems()
            .iter()
            .map(|problem| problem.kind())
            .collect();
        assert!(kinds.iter().any(|kind| expected(kind)), "{kinds:?}");
        assert!(
            reader.read <= 2 << 20,
            "read {} bytes of an endless row; a row is limited to 1 MiB",
            reader.read
        );
    }
}
