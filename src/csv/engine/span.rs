//! Splitting the stream between two record ends into its parts.

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
    fn layout_of_empty_span() {
        let split = layout(b"", true);
        assert!(!split.completes_crlf);
        assert_eq!(split.content_start, 0);
        assert_eq!(split.blank_lines, 0);
    }
}
