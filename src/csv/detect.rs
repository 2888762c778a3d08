//! Checks of the raw input: spreadsheet files, UTF-16, UTF-8 declared as a
//! single-byte encoding, and bytes that are not UTF-8.

use super::options::Encoding;

pub(super) const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";
pub(super) const UTF16LE_BOM: &[u8] = b"\xFF\xFE";
pub(super) const UTF16BE_BOM: &[u8] = b"\xFE\xFF";
const ZIP_SIGNATURE: &[u8] = b"PK\x03\x04";
const XLS_SIGNATURE: &[u8] = b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1";

/// Format hints from the first bytes of the input.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct Sniff {
    /// The input starts like a ZIP archive (`.xlsx`, `.ods`) or an `.xls`
    /// workbook.
    pub(super) spreadsheet: bool,
    /// The input starts with a UTF-16 byte-order mark, or at least a quarter
    /// of its first bytes are NUL, as in UTF-16 text that is mostly ASCII.
    pub(super) utf16: Option<Encoding>,
}

/// Guesses the format from the first bytes.
pub(super) fn sniff(head: &[u8]) -> Sniff {
    let spreadsheet = head.starts_with(ZIP_SIGNATURE) || head.starts_with(XLS_SIGNATURE);

    let utf16 = if head.starts_with(UTF16LE_BOM) {
        Some(Encoding::Utf16Le)
    } else if head.starts_with(UTF16BE_BOM) {
        Some(Encoding::Utf16Be)
    } else {
        let mut nul_at_even = 0usize;
        let mut nul_at_odd = 0usize;
        for (index, byte) in head.iter().enumerate() {
            if *byte == 0 {
                if index % 2 == 0 {
                    nul_at_even += 1;
                } else {
                    nul_at_odd += 1;
                }
            }
        }
        let nuls = nul_at_even + nul_at_odd;
        if head.len() >= 4 && nuls * 4 >= head.len() {
            // ASCII in UTF-16LE is "p\0h\0", so its NULs are at odd offsets.
            Some(if nul_at_odd >= nul_at_even {
                Encoding::Utf16Le
            } else {
                Encoding::Utf16Be
            })
        } else {
            None
        }
    };

    Sniff { spreadsheet, utf16 }
}

/// Streaming check of whether input read as a single-byte encoding is in
/// fact UTF-8: valid throughout, with at least one multi-byte character.
#[derive(Debug, Default)]
pub(super) struct Utf8Probe {
    /// An incomplete sequence at the end of the last chunk.
    carry: Vec<u8>,
    invalid: bool,
    non_ascii: bool,
}

impl Utf8Probe {
    /// Checks the next bytes of the input.
    pub(super) fn feed(&mut self, mut bytes: &[u8]) {
        if self.invalid {
            return;
        }

        if let Some(&lead) = self.carry.first() {
            let needed = utf8_sequence_len(lead).saturating_sub(self.carry.len());
            let appended = needed.min(bytes.len());
            self.carry
                .extend_from_slice(bytes.get(..appended).unwrap_or_default());
            bytes = bytes.get(appended..).unwrap_or_default();
            if appended < needed {
                return;
            }
            if std::str::from_utf8(&self.carry).is_err() {
                self.invalid = true;
                return;
            }
            self.non_ascii = true;
            self.carry.clear();
        }

        match std::str::from_utf8(bytes) {
            Ok(text) => self.non_ascii |= !text.is_ascii(),
            Err(error) if error.error_len().is_none() => {
                let (valid, rest) = bytes.split_at(error.valid_up_to());
                self.non_ascii |= !valid.is_ascii();
                self.carry = rest.to_vec();
            }
            Err(_) => self.invalid = true,
        }
    }

    /// Returns whether all bytes fed were valid UTF-8 with at least one
    /// multi-byte character.
    pub(super) fn looks_like_utf8(&self) -> bool {
        !self.invalid && self.carry.is_empty() && self.non_ascii
    }
}

/// Returns the length of the UTF-8 sequence that starts with `lead`.
fn utf8_sequence_len(lead: u8) -> usize {
    match lead {
        0xC0..=0xDF => 2,
        0xE0..=0xEF => 3,
        0xF0..=0xF7 => 4,
        _ => 1,
    }
}

/// Finds the bytes that are not UTF-8 and the NULs in `bytes`, and calls
/// `note` with the index and value of each that follows a line break since
/// the last one noted. The first invalid byte of every record is noted,
/// because a record ends with a line break. Returns how many bytes are
/// checked: all at the end of the input, else all but an incomplete
/// character at the end, which waits for the next read.
pub(super) fn find_spots(
    bytes: &[u8],
    at_end: bool,
    line_break_since_spot: &mut bool,
    mut note: impl FnMut(usize, u8),
) -> usize {
    let mut invalid = Vec::new();
    let mut checked = bytes.len();
    let mut position = 0;
    loop {
        // `encoding_rs` finds the first invalid byte faster than `std`, and
        // `std` then returns the length of the invalid sequence.
        let rest = bytes.get(position..).unwrap_or_default();
        let valid_len = encoding_rs::Encoding::utf8_valid_up_to(rest);
        if valid_len >= rest.len() {
            break;
        }
        let at = position + valid_len;
        let sequence = bytes.get(at..bytes.len().min(at + 4)).unwrap_or_default();
        match std::str::from_utf8(sequence).map_err(|error| error.error_len()) {
            Err(Some(len)) => {
                invalid.push(at);
                position = at + len;
            }
            Err(None) if at_end => {
                invalid.push(at);
                break;
            }
            Err(None) => {
                checked = at;
                break;
            }
            Ok(_) => position = at + 1,
        }
    }

    let bytes = bytes.get(..checked).unwrap_or_default();
    let mut invalid = invalid.into_iter().peekable();
    let mut nuls = memchr::memchr_iter(0, bytes).peekable();
    let mut cursor = 0;
    loop {
        // NUL is valid UTF-8, so the two lists never share an index.
        let next = match (invalid.peek(), nuls.peek()) {
            (Some(bad), Some(nul)) if bad < nul => invalid.next(),
            (Some(_), None) => invalid.next(),
            _ => nuls.next(),
        };
        let Some(at) = next else {
            break;
        };
        if !*line_break_since_spot {
            *line_break_since_spot = has_line_break(bytes.get(cursor..at));
        }
        if *line_break_since_spot {
            note(at, bytes.get(at).copied().unwrap_or_default());
            *line_break_since_spot = false;
        }
        cursor = at + 1;
    }
    if !*line_break_since_spot {
        *line_break_since_spot = has_line_break(bytes.get(cursor..));
    }
    checked
}

fn has_line_break(bytes: Option<&[u8]>) -> bool {
    memchr::memchr2(b'\r', b'\n', bytes.unwrap_or_default()).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniff_finds_spreadsheets() {
        assert!(sniff(b"PK\x03\x04rest").spreadsheet);
        assert!(sniff(b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1").spreadsheet);
        assert!(!sniff(b"phone_number\n").spreadsheet);
    }

    #[test]
    fn sniff_finds_utf16() {
        assert_eq!(sniff(b"\xFF\xFEp\x00").utf16, Some(Encoding::Utf16Le));
        assert_eq!(sniff(b"\xFE\xFF\x00p").utf16, Some(Encoding::Utf16Be));
        assert_eq!(
            sniff(b"p\x00h\x00o\x00n\x00").utf16,
            Some(Encoding::Utf16Le)
        );
        assert_eq!(
            sniff(b"\x00p\x00h\x00o\x00n").utf16,
            Some(Encoding::Utf16Be)
        );
        assert_eq!(sniff(b"phone_number\n").utf16, None);
    }

    #[test]
    fn utf8_probe_across_chunks() {
        let mut probe = Utf8Probe::default();
        for byte in "é😀".as_bytes() {
            probe.feed(std::slice::from_ref(byte));
        }
        assert!(probe.looks_like_utf8());

        let mut probe = Utf8Probe::default();
        probe.feed(b"\xC3");
        assert!(!probe.looks_like_utf8());
        probe.feed(b"(");
        assert!(!probe.looks_like_utf8());
    }

    #[test]
    fn utf8_probe_needs_non_ascii() {
        let mut probe = Utf8Probe::default();
        probe.feed(b"plain ascii");
        assert!(!probe.looks_like_utf8());
        probe.feed(b"\xE9");
        assert!(!probe.looks_like_utf8());
    }
}
