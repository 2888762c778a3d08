//! The scanner that reads common records without the `csv` reader must not
//! change any report or upload. These tests run the pass with the scanner
//! and with the `csv` reader alone on the same input and compare the
//! results: on random rows, on records at every offset around the end of a
//! 64 KiB read, and on rows around the 1 MiB limit.

use proptest::prelude::*;
use proptest::sample::select;

use super::super::engine::{run as run_scanning, run_without_scanner};
use super::super::source::MAX_ROW_LEN;
use super::*;

/// Rows of every shape: plain and quoted values, doubled quotes, text after
/// a quote, quotes left open, blank rows, a byte-order mark, NUL, invalid
/// UTF-8, another delimiter, and values in scientific notation.
const ROWS: &[&[u8]] = &[
    b"+12025550101,Ana",
    b"+12025550102,\"Lee, Max\",\"Renewal 7, due in March\"",
    b"+12025550103,\"a\r\nb\"",
    b"+12025550104,\"\"\"VIP\"\"\"",
    b"\"+1 (202) 555-0105\",\"\"",
    b"+12025550106,\"Lee\" Max",
    b"+12025550107,5'10\"",
    b"+12025550108,\"a\"\"",
    b"\xEF\xBB\xBF+12025550109,x",
    b"\xEF\xBB\xBF\"+12025550110\",x",
    b"+12025550111,\xFF\x00",
    b"+12025550112,Jos\xC3\xA9",
    b"+12025550113;Bo;\"x;y\"",
    b"\"+1202555\"\"0115\",\"a\"\"b\",\"\"\"\"",
    b"+1.2025550101E+10,x",
    b"123,x",
    b",",
    b" , ",
    b"",
    b"\"",
    b"+12025550114,\"open",
];

const LINE_ENDINGS: &[&[u8]] = &[b"\r\n", b"\n", b"\r", b"\n\n", b"\r\r\n"];

const HEADERS: &[&[u8]] = &[
    b"phone_number,name",
    b"\xEF\xBB\xBFphone_number,name",
    b"\xEF\xBB\xBF\xEF\xBB\xBFphone_number,name",
    b"phone_number;name",
    b",\nphone_number,name",
    b"",
];

/// Runs the pass both ways and asserts that the reports, the uploads and
/// the upload results are the same.
fn assert_same_as_csv_reader(input: &[u8], options: &CsvOptions, sizes: &[usize]) {
    let reader = || Chunked {
        bytes: input,
        sizes: sizes.to_vec(),
        next: 0,
    };

    let scanned = run_scanning(reader(), options, io::sink()).unwrap();
    let read_by_csv = run_without_scanner(reader(), options, io::sink()).unwrap();
    assert_eq!(scanned, read_by_csv, "inspect reports differ");

    let mut scanned_upload = Vec::new();
    let scanned = run_scanning(reader(), options, &mut scanned_upload).unwrap();
    let mut csv_upload = Vec::new();
    let read_by_csv = run_without_scanner(reader(), options, &mut csv_upload).unwrap();
    assert_eq!(scanned, read_by_csv, "upload reports differ");
    assert_eq!(scanned_upload, csv_upload, "uploads differ");
}

fn rows(count: std::ops::Range<usize>) -> impl Strategy<Value = Vec<u8>> {
    let row = (select(ROWS.to_vec()), select(LINE_ENDINGS.to_vec()));
    (
        select(HEADERS.to_vec()),
        proptest::collection::vec(row, count),
        any::<bool>(),
    )
        .prop_map(|(header, rows, last_ending)| {
            let mut bytes = header.to_vec();
            bytes.push(b'\n');
            for (row, ending) in rows {
                bytes.extend_from_slice(row);
                bytes.extend_from_slice(ending);
            }
            if !last_ending {
                bytes.pop();
            }
            bytes
        })
}

fn options() -> impl Strategy<Value = CsvOptions> {
    (
        select(vec![b',', b',', b';', b'\t', b'\0']),
        select(vec![
            Encoding::Utf8,
            Encoding::Utf8,
            Encoding::Windows1252,
            Encoding::Utf16Le,
        ]),
        any::<bool>(),
        0usize..4,
    )
        .prop_map(|(delimiter, encoding, skip, max_problems)| {
            CsvOptions::new()
                .delimiter(delimiter)
                .encoding(encoding)
                .skip_invalid_rows(skip)
                .max_problems(max_problems)
        })
}

/// Read sizes: the whole input at once, or cycling through the sizes.
fn read_sizes(min: usize) -> impl Strategy<Value = Vec<usize>> {
    prop_oneof![
        Just(vec![usize::MAX]),
        proptest::collection::vec(min..min + 8, 1..6),
        proptest::collection::vec(min..100_000, 1..6),
    ]
}

/// Returns the input with its commas replaced by the delimiter of
/// `options`, so that most rows are split as written.
fn with_delimiter(input: &[u8], options: &CsvOptions) -> Vec<u8> {
    input
        .iter()
        .map(|&byte| {
            if byte == b',' {
                options.delimiter
            } else {
                byte
            }
        })
        .collect()
}

proptest! {
    #[test]
    fn scanner_matches_csv_reader(
        input in rows(0..40),
        options in options(),
        sizes in read_sizes(1),
        rewrite in any::<bool>(),
    ) {
        let input = if rewrite { with_delimiter(&input, &options) } else { input };
        assert_same_as_csv_reader(&input, &options, &sizes);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// Inputs of 70 KB to 200 KB, so that records cross the ends of 64 KiB
    /// reads.
    #[test]
    fn scanner_matches_csv_reader_across_reads(
        unit in rows(1..30),
        len in 70_000usize..200_000,
        options in options(),
        sizes in read_sizes(1000),
        rewrite in any::<bool>(),
    ) {
        let unit = if rewrite { with_delimiter(&unit, &options) } else { unit };
        let mut input = unit.clone();
        while input.len() < len {
            input.extend_from_slice(&unit);
        }
        assert_same_as_csv_reader(&input, &options, &sizes);
    }
}

/// Puts each tail 0 to 47 bytes before the end of the first 64 KiB read,
/// which ends 4 KiB plus 64 KiB into the input, so that the read ends at
/// each byte of the tail's first record.
#[test]
fn rows_at_read_end_match_csv_reader() {
    let read_end = 4096 + 65536;
    let filler = b"+12025550101,\"Renewal 7, due in March\"\n";
    let tails: [&[u8]; 9] = [
        b"+12025550102,\"a\"\"b\",c\r\n+12025550103,x\n",
        b"+12025550102,\"Lee\" Max\n+12025550103,x\n",
        b"+12025550102,x\r+12025550103,x\r\n",
        b"\xEF\xBB\xBF+12025550102,x\n\n\r\n+12025550103,x",
        b"+12025550102,Jos\xC3\xA9\n+12025550103,\xE9\n",
        b"+12025550102,\"a\r\nb\"\n+12025550103,\"open",
        b"+12025550102,\x00\n\"+12025550103\",\"\"\n",
        b"+12025550102,\"\"\"\"\n+12025550103,\"\"\n",
        b"\r\n\r\n+12025550102,x\r\n",
    ];
    for tail in tails {
        for shift in 0..48 {
            let tail_start = read_end - shift;
            let mut input = b"phone_number,name\n".to_vec();
            while input.len() + filler.len() + 20 < tail_start {
                input.extend_from_slice(filler);
            }
            // A last row whose note fills the input up to the tail.
            input.extend_from_slice(b"+12025550101,");
            input.extend(std::iter::repeat_n(b'x', tail_start - input.len() - 1));
            input.push(b'\n');
            assert_eq!(input.len(), tail_start);
            input.extend_from_slice(tail);
            for options in [CsvOptions::new(), CsvOptions::new().skip_invalid_rows(true)] {
                assert_same_as_csv_reader(&input, &options, &[usize::MAX]);
            }
        }
    }
}

/// Rows around the 1 MiB limit, which is checked when a read is needed, so
/// whether a row fits depends on where reads end.
#[test]
fn rows_around_max_len_match_csv_reader() {
    let limit = usize::try_from(MAX_ROW_LEN).unwrap();
    for row_len in [limit - 2, limit, limit + 1, limit + 40_000, limit + 70_000] {
        for quote in [&b""[..], b"\""] {
            let mut input = b"phone_number,note\n+12025550101,x\n".to_vec();
            let row_end = input.len() + row_len;
            input.extend_from_slice(b"+12025550102,");
            input.extend_from_slice(quote);
            input.extend(std::iter::repeat_n(
                b'x',
                row_end - input.len() - quote.len(),
            ));
            input.extend_from_slice(quote);
            input.extend_from_slice(b"\n+12025550103,y\n");
            for sizes in [vec![usize::MAX], vec![1000, 70_000]] {
                assert_same_as_csv_reader(&input, &CsvOptions::new(), &sizes);
            }
        }
    }
}
