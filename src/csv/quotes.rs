//! Checks of the quoting in one raw record.
//!
//! The `csv` crate accepts two things that other CSV readers treat
//! differently: text after a closing quote (`"Lee" Max` reads as `Lee Max`),
//! and a quote that is never closed (the rest of the file becomes one value).
//! The Hub's reader may disagree with ours on such rows, so they are reported
//! instead of uploaded. The scan follows the `csv_core` reader with the
//! default quote, doubled quotes and no escape character: a quote opens a
//! quoted value only as a field's first byte, and elsewhere it is text.

/// A field in a raw record: its column index and where its text starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct FieldAt {
    /// Column index, counting from 0.
    pub(super) field: usize,
    /// Index in the raw record of the field's first byte.
    pub(super) start: usize,
}

/// Quoting problems that [`scan_quotes`] found in one raw record.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct QuoteScan {
    /// The first quoted field with text after its closing quote.
    pub(super) text_after_quote: Option<FieldAt>,
    /// The quoted field that is still open at the end of the record. Only the
    /// last record of a file can end inside a quote.
    pub(super) unterminated: Option<FieldAt>,
}

/// Scans one raw record, from its first byte through its terminator, given
/// the index of its first quote.
///
/// It jumps from quote to quote. A quote opens a quoted value only at the
/// start of a field, after a delimiter that is outside quotes, because
/// quoted values are skipped whole.
pub(super) fn scan_quotes(record: &[u8], delimiter: u8, first_quote: usize) -> QuoteScan {
    let mut scan = QuoteScan::default();
    let mut next_quote = Some(first_quote);
    while let Some(quote) = next_quote.filter(|&quote| record.get(quote) == Some(&b'"')) {
        let at_field_start = quote == 0 || record.get(quote - 1) == Some(&delimiter);
        if !at_field_start {
            next_quote = find_quote(record, quote + 1);
            continue;
        }

        let Some(after_quote) = find_closing_quote(record, quote + 1) else {
            scan.unterminated = Some(field_at(record, quote, delimiter));
            return scan;
        };
        match record.get(after_quote) {
            None | Some(b'\r' | b'\n') => return scan,
            Some(&byte) if byte == delimiter => {}
            Some(_) => {
                // The `csv` reader appends such text to the value and goes
                // on as in an unquoted field.
                scan.text_after_quote
                    .get_or_insert_with(|| field_at(record, quote, delimiter));
            }
        }
        next_quote = find_quote(record, after_quote);
    }
    scan
}

/// Returns the index of the next quote from `start` on.
fn find_quote(record: &[u8], start: usize) -> Option<usize> {
    let rest = record.get(start..)?;
    memchr::memchr(b'"', rest).map(|index| start + index)
}

/// Returns the raw text of a field: through its delimiter or line break, or
/// to the end of the record when a quote in it is never closed.
pub(super) fn raw_field(record: &[u8], field: FieldAt, delimiter: u8) -> &[u8] {
    let rest = record.get(field.start..).unwrap_or_default();
    let unquoted_from = if rest.first() == Some(&b'"') {
        match find_closing_quote(rest, 1) {
            Some(after_quote) => after_quote,
            None => return rest,
        }
    } else {
        0
    };
    let unquoted = rest.get(unquoted_from..).unwrap_or_default();
    let end = memchr::memchr3(delimiter, b'\r', b'\n', unquoted)
        .map_or(rest.len(), |end| unquoted_from + end);
    rest.get(..end).unwrap_or(rest)
}

/// Returns the field that starts at `start`, counting the delimiters
/// outside quotes before it.
fn field_at(record: &[u8], start: usize, delimiter: u8) -> FieldAt {
    let mut field = 0;
    let mut in_quotes = false;
    let mut field_start = true;
    for &byte in record.get(..start).unwrap_or_default() {
        if byte == b'"' && (in_quotes || field_start) {
            in_quotes = !in_quotes;
        } else if byte == delimiter && !in_quotes {
            field += 1;
            field_start = true;
            continue;
        }
        field_start = false;
    }
    FieldAt { field, start }
}

/// Returns the index after the quote that closes a quoted value whose text
/// starts at `start`, or `None` when the record ends inside the quotes. A
/// doubled quote is an escaped quote, not the end.
fn find_closing_quote(record: &[u8], mut start: usize) -> Option<usize> {
    loop {
        let quote = find_quote(record, start)?;
        if record.get(quote + 1) == Some(&b'"') {
            start = quote + 2;
        } else {
            return Some(quote + 1);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scan(record: &[u8], delimiter: u8) -> QuoteScan {
        match memchr::memchr(b'"', record) {
            Some(first_quote) => scan_quotes(record, delimiter, first_quote),
            None => QuoteScan::default(),
        }
    }

    fn at(field: usize, start: usize) -> Option<FieldAt> {
        Some(FieldAt { field, start })
    }

    #[test]
    fn well_quoted_record_is_clean() {
        let record = b"+12025550112,\"Lee, Max\",\"call after 5pm\r\nask for Max\"\r";
        assert_eq!(scan(record, b','), QuoteScan::default());
        assert_eq!(scan(b"a,\"\"\"VIP\"\"\"\n", b','), QuoteScan::default());
        assert_eq!(scan(b"\"\",\"\"", b','), QuoteScan::default());
    }

    #[test]
    fn quote_inside_unquoted_field_is_literal() {
        assert_eq!(scan(b"a,5'10\",b\n", b','), QuoteScan::default());
    }

    #[test]
    fn text_after_closing_quote_found() {
        let found = scan(b"+1202,\"Lee\" Max,x\n", b',');
        assert_eq!(found.text_after_quote, at(1, 6));
        assert_eq!(found.unterminated, None);
    }

    #[test]
    fn unterminated_quote_found() {
        let found = scan(b"+1202,ok,\"call me\r\nlater", b',');
        assert_eq!(found.unterminated, at(2, 9));
        let found = scan(b"\"", b',');
        assert_eq!(found.unterminated, at(0, 0));
    }

    #[test]
    fn field_index_counts_delimiters_outside_quotes() {
        let found = scan(b"\"a,b\",\"x\"\"y\",\"c\" d\n", b',');
        assert_eq!(found.text_after_quote, at(2, 13));
        let found = scan(b"a\"b,c,\"d", b',');
        assert_eq!(found.unterminated, at(2, 6));
    }

    #[test]
    fn raw_field_ends_at_delimiter_after_quote() {
        let record = b"+1202,\"Lee, \"\"M\"\"\" Max,x\n";
        let found = scan(record, b',');
        let field = found.text_after_quote.unwrap();
        assert_eq!(raw_field(record, field, b','), b"\"Lee, \"\"M\"\"\" Max");
        let record = b"a,\"open\nrest";
        let field = scan(record, b',').unterminated.unwrap();
        assert_eq!(raw_field(record, field, b','), b"\"open\nrest");
        let field = FieldAt { field: 0, start: 0 };
        assert_eq!(raw_field(b"abc,d", field, b','), b"abc");
    }

    #[test]
    fn first_quote_must_be_a_quote() {
        assert_eq!(scan_quotes(b"a,", b',', 2), QuoteScan::default());
        assert_eq!(scan_quotes(b"a,b", b',', 1), QuoteScan::default());
    }

    #[test]
    fn scan_uses_delimiter() {
        let found = scan(b"a;\"b;c\" d;e\n", b';');
        assert_eq!(found.text_after_quote, at(1, 2));
        assert_eq!(scan(b"a;\"b,c\";e\n", b';'), QuoteScan::default());
    }
}
