//! Splitting the stream between two record ends into its parts, and finding
//! the records that contain quotes.

use std::io::Read;

use super::super::source::Source;

/// Finder of the next quote ahead of the current record, so that records
/// without quotes cost no search of their own: one `memchr` covers all
/// records up to the next quote.
#[derive(Debug, Default)]
pub(super) struct QuoteFinder {
    /// Stream offset of the next quote found.
    next: Option<u64>,
    /// With no quote found, the stream offset up to which there is none.
    clear_until: u64,
}

impl QuoteFinder {
    /// Returns the index of the first quote in the stream bytes from `start`
    /// to `end`, counted from `start`. `start` must not decrease between
    /// calls.
    #[inline]
    pub(super) fn find<R: Read>(
        &mut self,
        source: &Source<R>,
        start: u64,
        end: u64,
    ) -> Option<usize> {
        let stale = match self.next {
            Some(quote) => quote < start,
            None => self.clear_until < end,
        };
        if stale {
            let ahead = source.span(start, u64::MAX);
            match memchr::memchr(b'"', ahead) {
                Some(index) => self.next = Some(start + index as u64),
                None => {
                    self.next = None;
                    self.clear_until = start + ahead.len() as u64;
                }
            }
        }
        let quote = self.next.filter(|&quote| quote < end)?;
        usize::try_from(quote.checked_sub(start)?).ok()
    }
}

/// Parts of a span between two record ends.
pub(super) struct Layout {
    /// The span starts with the LF of the previous record's CRLF.
    pub(super) completes_crlf: bool,
    /// Index where the record starts, after blank lines.
    pub(super) content_start: usize,
    /// Number of blank lines before the record.
    pub(super) blank_lines: u64,
}

/// Splits a span. The `csv` reader ends a record at its CR or LF and skips
/// line breaks before the next record, so a span is: the LF of a CRLF that
/// ended the previous record, blank lines, then the record.
#[inline]
pub(super) fn layout(span: &[u8], previous_ended_with_cr: bool) -> Layout {
    let completes_crlf = previous_ended_with_cr && span.first() == Some(&b'\n');
    let lead = usize::from(completes_crlf);
    let rest = span.get(lead..).unwrap_or_default();
    if !matches!(rest.first(), Some(b'\r' | b'\n')) {
        // The usual case: no blank line before the record.
        return Layout {
            completes_crlf,
            content_start: lead,
            blank_lines: 0,
        };
    }
    let gap_len = rest
        .iter()
        .take_while(|byte| matches!(byte, b'\r' | b'\n'))
        .count();

    let gap = rest.get(..gap_len).unwrap_or_default();
    let mut blank_lines = 0;
    for (index, byte) in gap.iter().enumerate() {
        let crlf_start = *byte == b'\r' && gap.get(index + 1) == Some(&b'\n');
        if (*byte == b'\n' || *byte == b'\r') && !crlf_start {
            blank_lines += 1;
        }
    }

    Layout {
        completes_crlf,
        content_start: lead + gap_len,
        blank_lines,
    }
}

#[cfg(test)]
mod tests {
    use super::super::super::options::Encoding;
    use super::*;

    #[test]
    fn layout_splits_crlf_and_blank_lines() {
        let split = layout(b"\nc,d\r", true);
        assert!(split.completes_crlf);
        assert_eq!(split.content_start, 1);
        assert_eq!(split.blank_lines, 0);

        let split = layout(b"\n\r\n\rc", true);
        assert!(split.completes_crlf);
        assert_eq!(split.content_start, 4);
        assert_eq!(split.blank_lines, 2);

        let split = layout(b"\nc", false);
        assert!(!split.completes_crlf);
        assert_eq!(split.content_start, 1);
        assert_eq!(split.blank_lines, 1);
    }

    #[test]
    fn quote_finder_finds_quotes_ahead() {
        let input = b"a,b\nc,\"d\"\ne,f\n";
        let mut source = Source::open(&input[..], Encoding::Utf8).unwrap();
        std::io::copy(&mut source, &mut std::io::sink()).unwrap();
        let mut finder = QuoteFinder::default();
        assert_eq!(finder.find(&source, 0, 4), None);
        assert_eq!(finder.find(&source, 4, 10), Some(2));
        assert_eq!(finder.find(&source, 10, 14), None);
    }

    #[test]
    fn layout_of_empty_span() {
        let split = layout(b"", true);
        assert!(!split.completes_crlf);
        assert_eq!(split.content_start, 0);
        assert_eq!(split.blank_lines, 0);
    }
}
