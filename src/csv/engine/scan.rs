//! The fast path of reading: a record of the common shape, scanned in the
//! bytes that are already read, with the same fields and the same end as
//! the `csv` reader gives it.
//!
//! The `csv` reader runs a state machine byte by byte. Most records need
//! none of its handling of unusual input, so the scanner finds the ends of
//! values with a byte-class table and the ends of quoted values with
//! `memchr`, and leaves every other record to the `csv` reader.
//!
//! The scanner follows the `csv_core` reader with the default quote,
//! doubled quotes, no escape character and no comments. Line breaks before
//! a record are skipped. A quote opens a quoted value only as a field's
//! first byte, and a record ends at its CR or LF.

use super::record::Fields;

/// Scanner of the records that need none of the `csv` reader's handling of
/// unusual input.
pub(super) struct Scanner {
    delimiter: u8,
    /// Whether a byte ends an unquoted value: the delimiter, CR and LF.
    ends_value: [bool; 256],
}

impl Scanner {
    /// Creates a scanner for a delimiter, which must not be a quote, CR or
    /// LF.
    pub(super) fn new(delimiter: u8) -> Self {
        let mut ends_value = [false; 256];
        for byte in [delimiter, b'\r', b'\n'] {
            ends_value[usize::from(byte)] = true;
        }
        Self {
            delimiter,
            ends_value,
        }
    }

    /// Scans the record at the start of `bytes`, which must follow the CR or
    /// LF that ended a record. At the start of the stream, the `csv` reader
    /// drops a byte-order mark, and the scanner does not.
    ///
    /// Returns the length of the line breaks before the record and of the
    /// record through its CR or LF, and puts its fields in `fields` as ranges
    /// of `bytes`. Returns `None` when the `csv` reader must read the record
    /// instead, because `bytes` ends before the record does, or because a
    /// quoted value is followed by text other than a delimiter or a line
    /// break.
    #[inline]
    pub(super) fn scan(&self, bytes: &[u8], fields: &mut Fields) -> Option<usize> {
        fields.clear();
        let mut start = bytes
            .iter()
            .position(|byte| !matches!(byte, b'\r' | b'\n'))?;
        loop {
            let rest = bytes.get(start..)?;
            let end = if rest.first() == Some(&b'"') {
                scan_quoted(bytes, start + 1, fields)?
            } else {
                let len = rest
                    .iter()
                    .position(|byte| self.ends_value[usize::from(*byte)])?;
                fields.push_raw(start, start + len);
                start + len
            };

            match *bytes.get(end)? {
                byte if byte == self.delimiter => start = end + 1,
                b'\r' | b'\n' => return Some(end + 1),
                // Text after a closing quote.
                _ => return None,
            }
        }
    }
}

/// Scans a quoted value whose text starts at `text_start`, and returns the
/// index after its closing quote. A doubled quote is a quote in the value,
/// so such a value is copied with its doubled quotes made single.
#[inline]
fn scan_quoted(bytes: &[u8], text_start: usize, fields: &mut Fields) -> Option<usize> {
    let mut quote = find_quote(bytes, text_start)?;
    if bytes.get(quote + 1) != Some(&b'"') {
        fields.push_raw(text_start, quote);
        return Some(quote + 1);
    }

    fields.push_unescaped();
    let mut part_start = text_start;
    loop {
        // The part ends with the first quote of the pair.
        fields.extend_last(bytes.get(part_start..=quote)?);
        part_start = quote + 2;
        quote = find_quote(bytes, part_start)?;
        if bytes.get(quote + 1) != Some(&b'"') {
            fields.extend_last(bytes.get(part_start..quote)?);
            return Some(quote + 1);
        }
    }
}

/// Returns the index of the next quote from `start` on.
#[inline]
fn find_quote(bytes: &[u8], start: usize) -> Option<usize> {
    memchr::memchr(b'"', bytes.get(start..)?).map(|index| start + index)
}

#[cfg(test)]
mod tests {
    use csv::{ByteRecord, ReaderBuilder};
    use proptest::prelude::*;
    use proptest::sample::select;

    use super::*;

    /// Scans `bytes` and returns the scanned length and the field values.
    fn scan(bytes: &[u8], delimiter: u8) -> Option<(usize, Vec<Vec<u8>>)> {
        let mut fields = Fields::default();
        let len = Scanner::new(delimiter).scan(bytes, &mut fields)?;
        let record = fields.view(bytes);
        Some((len, record.iter().map(<[u8]>::to_vec).collect()))
    }

    fn values(values: &[&str]) -> Vec<Vec<u8>> {
        values
            .iter()
            .map(|value| value.as_bytes().to_vec())
            .collect()
    }

    #[test]
    fn scan_splits_plain_record() {
        let found = scan(b"+12025550101,Ana,,x\nnext", b',');
        assert_eq!(found, Some((20, values(&["+12025550101", "Ana", "", "x"]))));
    }

    #[test]
    fn scan_ends_at_cr_and_skips_line_breaks() {
        let found = scan(b"\n\r\na;b\r\nc", b';');
        assert_eq!(found, Some((7, values(&["a", "b"]))));
        assert_eq!(scan(b"a,\r", b','), Some((3, values(&["a", ""]))));
    }

    #[test]
    fn scan_reads_quoted_values() {
        let found = scan(b"\"Lee, Max\",\"a\r\nb\",\"\"\n", b',');
        assert_eq!(found, Some((21, values(&["Lee, Max", "a\r\nb", ""]))));
        let found = scan(b"\"\"\"VIP\"\"\",5'10\"\n", b',');
        assert_eq!(found, Some((16, values(&["\"VIP\"", "5'10\""]))));
    }

    #[test]
    fn scan_leaves_unusual_records() {
        // Text after a closing quote.
        assert_eq!(scan(b"\"Lee\" Max,x\n", b','), None);
        // No line break yet, or a quote that may be doubled.
        assert_eq!(scan(b"a,b", b','), None);
        assert_eq!(scan(b"\"a\"", b','), None);
        assert_eq!(scan(b"\"a\nb", b','), None);
        assert_eq!(scan(b"\r\n\r\n", b','), None);
        assert_eq!(scan(b"", b','), None);
    }

    /// Pieces of records: values plain and quoted, doubled quotes, text
    /// after a quote, delimiters, every line break, a byte-order mark, NUL
    /// and invalid UTF-8.
    const PIECES: &[&[u8]] = &[
        b"a",
        b"+1202",
        b" ",
        b",",
        b";",
        b"\t",
        b"\0",
        b"\"",
        b"\"\"",
        b"\"x\"",
        b"\"a,b\"",
        b"\"a\"\"b\"",
        b"\"\"\"\"",
        b"\"\r\n\"",
        b"\r",
        b"\n",
        b"\r\n",
        b"\xEF\xBB\xBF",
        b"\xFF",
    ];

    fn record_bytes() -> impl Strategy<Value = Vec<u8>> {
        prop_oneof![
            proptest::collection::vec(select(PIECES.to_vec()), 0..12)
                .prop_map(|pieces| pieces.concat()),
            proptest::collection::vec(select(b"a,;\"\r\n\xEF\xBB\xBF".to_vec()), 0..40),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        /// Every record the scanner reads has the fields and the end that the
        /// `csv` reader gives it.
        #[test]
        fn scan_matches_csv_reader(
            bytes in record_bytes(),
            delimiter in select(vec![b',', b';', b'\t', b' ', b'\0']),
        ) {
            let mut fields = Fields::default();
            let Some(len) = Scanner::new(delimiter).scan(&bytes, &mut fields) else {
                return Ok(());
            };

            // The reader starts on a line break, which it skips, because at
            // the start of its input it would drop a byte-order mark.
            let input = [b"\n", &bytes[..]].concat();
            let mut reader = ReaderBuilder::new()
                .has_headers(false)
                .flexible(true)
                .delimiter(delimiter)
                .from_reader(&input[..]);
            let mut record = ByteRecord::new();
            prop_assert!(reader.read_byte_record(&mut record).unwrap());
            prop_assert_eq!(reader.position().byte(), len as u64 + 1);
            let scanned: Vec<&[u8]> = fields.view(&bytes).iter().collect();
            let parsed: Vec<&[u8]> = record.iter().collect();
            prop_assert_eq!(scanned, parsed);
        }
    }
}
