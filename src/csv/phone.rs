//! Validation of phone numbers. Values are only checked, never rewritten.

use super::problem::PhoneNumberIssue;

/// Minimum number of digits in a phone number that the Hub can dial.
pub(super) const MIN_DIGITS: usize = 7;

/// Maximum number of digits in a phone number: E.164 allows at most 15.
pub(super) const MAX_DIGITS: usize = 15;

/// Result of checking one phone number value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum PhoneCheck {
    /// An optional `+`, then 7 to 15 digits with separators.
    Valid,
    /// Empty after trimming spaces and tabs.
    Missing,
    /// A number in scientific notation, such as `1.20256E+10`.
    ScientificNotation,
    /// Anything else.
    Invalid(PhoneNumberIssue),
}

/// Checks a phone number value.
///
/// After trimming surrounding spaces and tabs, a valid value is an optional
/// leading `+` followed by digits and the separators space, `-`, `.`, `(`
/// and `)`, with 7 to 15 digits. The value is bytes, so that valid numbers
/// need no UTF-8 conversion. An invalid character is reported decoded.
pub(super) fn check_phone_number(value: &[u8]) -> PhoneCheck {
    let value = trim_blank_bytes(value);
    if value.is_empty() {
        return PhoneCheck::Missing;
    }

    let body = value.strip_prefix(b"+").unwrap_or(value);
    if is_short_digit_run(body) {
        return check_digit_count(body.len());
    }
    check_by_class(value, body)
}

/// Checks the trimmed `value`, whose `body` follows an optional `+`, one
/// byte class at a time.
fn check_by_class(value: &[u8], body: &[u8]) -> PhoneCheck {
    // The classes seen are collected as bits, so that the loop does not
    // branch on the class of each byte.
    let mut digits = 0;
    let mut classes_seen = 0;
    for &byte in body {
        let class = BYTE_CLASSES[usize::from(byte)];
        digits += usize::from(class == DIGIT);
        classes_seen |= class;
    }
    if classes_seen & OTHER != 0 {
        let other_at = body
            .iter()
            .position(|&byte| BYTE_CLASSES[usize::from(byte)] == OTHER)
            .unwrap_or_default();
        return check_other_character(value, body.get(other_at..).unwrap_or_default());
    }

    // The float check scans the value again, so it runs only on values with
    // a point, which few phone numbers have.
    if classes_seen & POINT != 0 && is_float_artifact(body) {
        PhoneCheck::Invalid(PhoneNumberIssue::DecimalFraction)
    } else {
        check_digit_count(digits)
    }
}

fn check_digit_count(digits: usize) -> PhoneCheck {
    if digits < MIN_DIGITS {
        PhoneCheck::Invalid(PhoneNumberIssue::TooFewDigits(digits))
    } else if digits > MAX_DIGITS {
        PhoneCheck::Invalid(PhoneNumberIssue::TooManyDigits(digits))
    } else {
        PhoneCheck::Valid
    }
}

/// Returns whether `body` is 8 to 16 ASCII digits, as most phone numbers
/// are. Its first and last 8 bytes, which overlap when it is shorter than
/// 16, are checked as two words, which costs less than a loop over the
/// bytes.
fn is_short_digit_run(body: &[u8]) -> bool {
    const HIGH_NIBBLES: u64 = u64::from_le_bytes([0xF0; 8]);
    const ZEROS: u64 = u64::from_le_bytes([b'0'; 8]);
    const SIXES: u64 = u64::from_le_bytes([6; 8]);
    // A byte is a digit when its high nibble is 3 before and after adding
    // 6, which moves 0x3A to 0x3F to 0x40 and up. No byte carries into the
    // next, because a byte with high nibble 3 stays below 0x46.
    let all_digits = |word: &[u8; 8]| {
        let word = u64::from_le_bytes(*word);
        word & HIGH_NIBBLES == ZEROS && word.wrapping_add(SIXES) & HIGH_NIBBLES == ZEROS
    };

    if !(8..=16).contains(&body.len()) {
        return false;
    }
    match (body.first_chunk::<8>(), body.last_chunk::<8>()) {
        (Some(head), Some(tail)) => all_digits(head) && all_digits(tail),
        _ => false,
    }
}

/// Classes of the bytes in a phone number, one bit each: a digit, a `.`,
/// which may also start a float's fraction, another separator (space, `-`,
/// `(` or `)`), and any other byte.
const DIGIT: u8 = 1;
const POINT: u8 = 2;
const SEPARATOR: u8 = 4;
const OTHER: u8 = 8;

/// The class of every byte value, so that the check of a byte is one
/// table lookup.
static BYTE_CLASSES: [u8; 256] = {
    let mut classes = [OTHER; 256];
    let mut digit = b'0';
    while digit <= b'9' {
        classes[digit as usize] = DIGIT;
        digit += 1;
    }
    classes[b'.' as usize] = POINT;
    classes[b' ' as usize] = SEPARATOR;
    classes[b'-' as usize] = SEPARATOR;
    classes[b'(' as usize] = SEPARATOR;
    classes[b')' as usize] = SEPARATOR;
    classes
};

/// Checks a value with a character that is not allowed in a phone number,
/// which starts `rest`: the value may be in scientific notation, which
/// contains `E` or `e`, or else that character is invalid.
#[cold]
fn check_other_character(value: &[u8], rest: &[u8]) -> PhoneCheck {
    if is_scientific_notation(value) {
        return PhoneCheck::ScientificNotation;
    }
    let character = String::from_utf8_lossy(rest)
        .chars()
        .next()
        .unwrap_or(char::REPLACEMENT_CHARACTER);
    PhoneCheck::Invalid(PhoneNumberIssue::InvalidCharacter(character))
}

/// Returns whether the value is digits, one `.` and one or two zeros, such
/// as `12025550101.0`: a number that a data tool stored as a float. Longer
/// zero runs (`555.0000`) can be real digit groups, so they are allowed.
fn is_float_artifact(body: &[u8]) -> bool {
    let Some(point) = body.iter().position(|byte| *byte == b'.') else {
        return false;
    };
    let whole = body.get(..point).unwrap_or_default();
    let fraction = body.get(point + 1..).unwrap_or_default();
    !whole.is_empty() && whole.iter().all(u8::is_ascii_digit) && matches!(fraction, b"0" | b"00")
}

/// Returns whether a value in scientific notation still has all the digits
/// of a whole number, as `1.2025550101E+10` has: the digits after the point
/// are exactly as many as the exponent.
pub(super) fn scientific_digits_complete(value: &str) -> bool {
    let value = trim_blanks(value);
    let Some((mantissa, exponent)) = value.split_once(['E', 'e']) else {
        return false;
    };
    let fraction_digits = mantissa
        .split_once(['.', ','])
        .map_or(0, |(_, fraction)| fraction.len());
    exponent
        .trim_start_matches('+')
        .parse::<usize>()
        .is_ok_and(|exponent| exponent == fraction_digits)
}

/// Trims the spaces and tabs around a value.
pub(super) fn trim_blanks(value: &str) -> &str {
    value.trim_matches([' ', '\t'])
}

/// Trims the spaces and tabs around a byte string.
pub(super) fn trim_blank_bytes(mut value: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', rest @ ..] = value {
        value = rest;
    }
    while let [rest @ .., b' ' | b'\t'] = value {
        value = rest;
    }
    value
}

/// Returns whether a value is a number in scientific notation, as a
/// spreadsheet shows a long number: digits, an optional decimal point or
/// comma with more digits, `E` or `e`, an optional sign and the exponent.
fn is_scientific_notation(value: &[u8]) -> bool {
    let Some(e_at) = value.iter().position(|byte| matches!(byte, b'E' | b'e')) else {
        return false;
    };
    let mantissa = value.get(..e_at).unwrap_or_default();
    let exponent = value.get(e_at + 1..).unwrap_or_default();

    let (whole, fraction) = match mantissa.iter().position(|byte| matches!(byte, b'.' | b',')) {
        Some(point) => (
            mantissa.get(..point).unwrap_or_default(),
            mantissa.get(point + 1..).unwrap_or_default(),
        ),
        None => (mantissa, &[][..]),
    };
    let exponent = match exponent {
        [b'+' | b'-', rest @ ..] => rest,
        _ => exponent,
    };

    let all_digits = |text: &[u8]| text.iter().all(u8::is_ascii_digit);
    !whole.is_empty()
        && all_digits(whole)
        && all_digits(fraction)
        && !exponent.is_empty()
        && all_digits(exponent)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digit_run_check_matches_byte_classes() {
        for len in 0..=20 {
            for position in 0..len {
                for byte in 0..=u8::MAX {
                    let mut body = vec![b'5'; len];
                    body[position] = byte;
                    let digits_only = body.iter().all(u8::is_ascii_digit);
                    let expected = digits_only && (8..=16).contains(&len);
                    assert_eq!(is_short_digit_run(&body), expected, "{body:?}");
                    let value = trim_blank_bytes(&body);
                    if value.is_empty() {
                        continue;
                    }
                    let stripped = value.strip_prefix(b"+").unwrap_or(value);
                    assert_eq!(
                        check_phone_number(&body),
                        check_by_class(value, stripped),
                        "{body:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn valid_numbers_pass() {
        for value in [
            "+12025550101",
            "0044 20 7946 0958",
            "(202) 555-0101",
            "202.555.0101",
            "  +44 20 7946 0958\t",
            "1234567",
            "+123456789012345",
        ] {
            assert_eq!(
                check_phone_number(value.as_bytes()),
                PhoneCheck::Valid,
                "{value:?}"
            );
        }
    }

    #[test]
    fn empty_is_missing() {
        assert_eq!(check_phone_number(b""), PhoneCheck::Missing);
        assert_eq!(check_phone_number(b" \t "), PhoneCheck::Missing);
    }

    #[test]
    fn scientific_notation_detected() {
        for value in [
            "1.20256E+10",
            "1,2E+11",
            "4.47E11",
            "4.47e-3",
            "12E5",
            " 1.2E+10 ",
        ] {
            assert_eq!(
                check_phone_number(value.as_bytes()),
                PhoneCheck::ScientificNotation,
                "{value:?}"
            );
        }
    }

    #[test]
    fn near_scientific_values_are_invalid() {
        for value in ["E+10", "1.2E", "1.2E+", "1.2.3E4", "+1.2E10", "1x2E10"] {
            assert!(
                matches!(check_phone_number(value.as_bytes()), PhoneCheck::Invalid(_)),
                "{value:?}"
            );
        }
    }

    #[test]
    fn letters_are_invalid_characters() {
        assert_eq!(
            check_phone_number(b"+1 202 CALL NOW"),
            PhoneCheck::Invalid(PhoneNumberIssue::InvalidCharacter('C'))
        );
        assert_eq!(
            check_phone_number(b"12025550101 ext 4"),
            PhoneCheck::Invalid(PhoneNumberIssue::InvalidCharacter('e'))
        );
        assert_eq!(
            check_phone_number(b"+1+2025550101"),
            PhoneCheck::Invalid(PhoneNumberIssue::InvalidCharacter('+'))
        );
        assert_eq!(
            check_phone_number("\u{a0}12025550101".as_bytes()),
            PhoneCheck::Invalid(PhoneNumberIssue::InvalidCharacter('\u{a0}'))
        );
    }

    #[test]
    fn digit_count_bounds() {
        assert_eq!(
            check_phone_number(b"123456"),
            PhoneCheck::Invalid(PhoneNumberIssue::TooFewDigits(6))
        );
        assert_eq!(
            check_phone_number(b"+"),
            PhoneCheck::Invalid(PhoneNumberIssue::TooFewDigits(0))
        );
        assert_eq!(
            check_phone_number(b"+1234567890123456"),
            PhoneCheck::Invalid(PhoneNumberIssue::TooManyDigits(16))
        );
    }

    #[test]
    fn float_artifacts_rejected() {
        for value in ["12025550101.0", "+12025550101.00", " 4420794600.0 "] {
            assert_eq!(
                check_phone_number(value.as_bytes()),
                PhoneCheck::Invalid(PhoneNumberIssue::DecimalFraction),
                "{value}"
            );
        }
    }

    #[test]
    fn dotted_groups_still_valid() {
        for value in [
            "202.555.0100",
            "555.0000.123",
            "+1 202.555.0100",
            "2025550.100",
        ] {
            assert_eq!(
                check_phone_number(value.as_bytes()),
                PhoneCheck::Valid,
                "{value}"
            );
        }
    }

    #[test]
    fn scientific_digits_complete_detected() {
        assert!(scientific_digits_complete("1.2025550101E+10"));
        assert!(!scientific_digits_complete("1.20256E+10"));
        assert!(!scientific_digits_complete("12E3"));
    }

    #[test]
    fn trim_blank_bytes_trims_only_spaces_and_tabs() {
        assert_eq!(trim_blank_bytes(b" \ta b\t "), b"a b");
        assert_eq!(trim_blank_bytes(b"\r\n"), b"\r\n");
        assert_eq!(trim_blank_bytes(b"   "), b"");
    }
}
