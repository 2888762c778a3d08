//! RFC 4180 edge cases, options, limits and the remaining problem kinds.

use super::*;

fn only_problem(report: &CsvReport) -> &CsvProblem {
    assert_eq!(report.problem_count(), 1, "{:?}", messages(report));
    &report.problems()[0]
}

#[test]
fn lone_cr_file_is_verbatim() {
    let input = b"phone_number,name\r+12025550101,Ana\r+12025550102,Bo\r";
    let (report, upload) = run(input, &CsvOptions::new());
    assert!(report.is_valid(), "{:?}", messages(&report));
    assert_eq!(report.contacts(), 2);
    assert!(report.is_verbatim());
    assert_eq!(contacts(&upload)[1]["name"], "Bo");
}

#[test]
fn lone_cr_header_renamed_keeps_cr() {
    let input = b"mobile,name\r+12025550101,Ana\r";
    let options = CsvOptions::new().phone_column("mobile");
    let (report, upload) = run(input, &options);
    assert!(report.is_valid(), "{:?}", messages(&report));
    assert_eq!(upload, b"phone_number,name\r+12025550101,Ana\r");
}

#[test]
fn quoted_header_is_verbatim() {
    let input = b"\"phone_number\",\"name\"\n+12025550101,Ana\n";
    let (report, _) = run(input, &CsvOptions::new());
    assert!(report.is_valid(), "{:?}", messages(&report));
    assert_eq!(report.columns(), ["phone_number", "name"]);
    assert!(report.is_verbatim());
}

#[test]
fn header_with_spaces_is_trimmed() {
    let input = b"phone_number ,\tname\r\n+12025550101,Ana\r\n";
    let (report, upload) = run(input, &CsvOptions::new());
    assert!(report.is_valid(), "{:?}", messages(&report));
    assert!(!report.is_verbatim());
    assert_eq!(upload, b"phone_number,name\r\n+12025550101,Ana\r\n");
}

#[test]
fn empty_quoted_value_is_empty() {
    let input = b"phone_number,name\n+12025550101,\"\"\n";
    let (report, upload) = run(input, &CsvOptions::new());
    assert!(report.is_valid(), "{:?}", messages(&report));
    assert_eq!(contacts(&upload)[0]["name"], "");

    let input = b"phone_number,name\n\"\",Ana\n";
    let (report, _) = run(input, &CsvOptions::new());
    let problem = only_problem(&report);
    assert_eq!(problem.kind(), &CsvProblemKind::MissingPhoneNumber);
    assert_eq!(problem.row(), 2);
}

#[test]
fn ragged_row_is_field_count_mismatch() {
    let input = b"phone_number,name\n+12025550101,Ana,extra\n+12025550102\n";
    let (report, _) = run(input, &CsvOptions::new());
    assert_eq!(
        kinds(&report),
        [
            CsvProblemKind::FieldCountMismatch {
                expected: 2,
                found: 3
            },
            CsvProblemKind::FieldCountMismatch {
                expected: 2,
                found: 1
            },
        ]
    );
    assert_eq!(report.problems()[0].row(), 2);
    assert_eq!(report.problems()[0].value(), Some("+12025550101,Ana,extra"));
    assert_eq!(report.problems()[1].row(), 3);
}

#[test]
fn unterminated_quote_fails_even_when_skipping() {
    let input = b"phone_number,note\n+12025550101,\"call me\n+12025550102,x\n";
    let options = CsvOptions::new().skip_invalid_rows(true);
    let (report, _) = run(input, &options);
    assert!(!report.is_valid());
    let problem = only_problem(&report);
    assert_eq!(problem.kind(), &CsvProblemKind::UnterminatedQuote);
    assert_eq!(problem.row(), 2);
    assert_eq!(problem.column(), Some("note"));
    assert_eq!(problem.byte_offset(), Some(31));
    assert!(!problem.is_skipped());
}

#[test]
fn header_trailing_delimiter_is_unnamed_column() {
    let input = b"phone_number,name,\n+12025550101,Ana,\n";
    let (report, _) = run(input, &CsvOptions::new());
    let problem = only_problem(&report);
    assert_eq!(
        problem.kind(),
        &CsvProblemKind::EmptyColumnName { column: 3 }
    );
    assert_eq!(problem.row(), 1);
}

#[test]
fn leading_zeros_and_plus_kept() {
    let input = b"phone_number,name\n0044 20 7946 0958,A\n+442079460958,B\n00442079460958,C\n";
    let (report, upload) = run(input, &CsvOptions::new());
    assert!(report.is_valid(), "{:?}", messages(&report));
    let phones: Vec<String> = contacts(&upload)
        .into_iter()
        .map(|contact| contact["phone_number"].clone())
        .collect();
    assert_eq!(
        phones,
        ["0044 20 7946 0958", "+442079460958", "00442079460958"]
    );
}

#[test]
fn skip_invalid_rows_leaves_out_exactly_bad_rows() {
    let input = b"phone_number,name\r\n+12025550101,Ana\r\nnot a phone,Bo\r\n+12025550103,Cy,extra\r\n+12025550104,Di\r\n";
    let options = CsvOptions::new().skip_invalid_rows(true);
    let (report, upload) = run(input, &options);

    assert!(report.is_valid(), "{:?}", messages(&report));
    assert_eq!(report.contacts(), 2);
    assert_eq!(report.skipped_rows(), 2);
    assert_eq!(report.problem_count(), 2);
    assert!(report.problems().iter().all(CsvProblem::is_skipped));
    assert_eq!(report.problems()[0].row(), 3);
    assert_eq!(report.problems()[1].row(), 4);
    assert!(!report.is_verbatim());
    assert_eq!(
        upload,
        b"phone_number,name\r\n+12025550101,Ana\r\n+12025550104,Di\r\n"
    );
}

#[test]
fn max_problems_bounds_kept_problems() {
    let mut input = b"phone_number\n".to_vec();
    for _ in 0..10 {
        input.extend_from_slice(b"123\n");
    }
    let options = CsvOptions::new().max_problems(3);
    let (report, _) = run(&input, &options);
    assert_eq!(report.problems().len(), 3);
    assert_eq!(report.problem_count(), 10);
    let rows: Vec<u64> = report.problems().iter().map(CsvProblem::row).collect();
    assert_eq!(rows, [2, 3, 4]);

    let text = report.clone().into_result().unwrap_err().to_string();
    assert_eq!(text.lines().count(), 5, "{text}");
    assert!(text.starts_with("the contacts CSV cannot be uploaded: 10 problems"));
    assert!(text.contains("and 7 more"), "{text}");
}

#[test]
fn blank_rows_left_out_and_counted() {
    let input = b"phone_number,name\n\n+12025550101,A\n,\n  ,\t\n+12025550102,B\n\n";
    let (report, upload) = run(input, &CsvOptions::new());
    assert!(report.is_valid(), "{:?}", messages(&report));
    assert_eq!(report.contacts(), 2);
    assert_eq!(report.blank_rows(), 4);
    assert!(!report.is_verbatim());
    assert_eq!(
        upload,
        b"phone_number,name\n+12025550101,A\n+12025550102,B\n"
    );
}

#[test]
fn blank_lines_count_as_rows() {
    let input = b"phone_number\r\n\r\n\r\n+12025550101\r\n123\r\n";
    let (report, upload) = run(input, &CsvOptions::new().skip_invalid_rows(true));
    assert_eq!(only_problem(&report).row(), 5);
    assert_eq!(upload, b"phone_number\r\n+12025550101\r\n");
}

#[test]
fn trailing_newline_without_blank_is_verbatim() {
    let input = b"phone_number\n+12025550101";
    let (report, upload) = run(input, &CsvOptions::new());
    assert!(report.is_verbatim());
    assert_eq!(upload, input);
}

#[test]
fn empty_inputs_are_empty_files() {
    for input in [&b""[..], b"\xEF\xBB\xBF", b"\n\r\n", b",,\n"] {
        let (report, _) = run(input, &CsvOptions::new());
        assert_eq!(kinds(&report), [CsvProblemKind::EmptyFile], "{input:?}");
        assert_eq!(report.problems()[0].row(), 0);
    }
}

#[test]
fn header_only_has_no_contacts() {
    let (report, _) = run(b"phone_number,name\r\n", &CsvOptions::new());
    assert_eq!(kinds(&report), [CsvProblemKind::NoContacts]);
    assert!(messages(&report)[0].contains("no contacts"));
}

#[test]
fn all_rows_skipped_has_no_contacts() {
    let options = CsvOptions::new().skip_invalid_rows(true);
    let (report, _) = run(b"phone_number\n123\n", &options);
    assert!(!report.is_valid());
    assert_eq!(report.skipped_rows(), 1);
    assert_eq!(report.problems()[1].kind(), &CsvProblemKind::NoContacts);
}

#[test]
fn invalid_phone_number_shows_value() {
    let input = b"phone_number\n+1 202 CALL NOW\n";
    let (report, _) = run(input, &CsvOptions::new());
    let problem = only_problem(&report);
    assert_eq!(
        problem.kind(),
        &CsvProblemKind::InvalidPhoneNumber {
            issue: PhoneNumberIssue::InvalidCharacter('C'),
        }
    );
    assert_eq!(problem.value(), Some("+1 202 CALL NOW"));
    assert!(problem.to_string().contains("\"+1 202 CALL NOW\""));
}

#[test]
fn text_after_quote_is_row_problem() {
    let input = b"phone_number,name\n+12025550101,\"Lee\" Max\n";
    let (report, _) = run(input, &CsvOptions::new());
    let problem = only_problem(&report);
    assert_eq!(problem.kind(), &CsvProblemKind::TextAfterQuote);
    assert_eq!(problem.column(), Some("name"));
    assert_eq!(problem.value(), Some("\"Lee\" Max"));
    assert_eq!(problem.byte_offset(), Some(31));

    let options = CsvOptions::new().skip_invalid_rows(true);
    let (report, _) = run(input, &options);
    assert_eq!(report.skipped_rows(), 1);
}

#[test]
fn duplicate_columns_reported() {
    let input = b"phone_number,name,name\n+12025550101,A,B\n";
    let (report, _) = run(input, &CsvOptions::new());
    let problem = only_problem(&report);
    assert_eq!(
        problem.kind(),
        &CsvProblemKind::DuplicateColumn {
            first: 2,
            second: 3
        }
    );
    assert_eq!(problem.column(), Some("name"));
}

#[test]
fn renamed_phone_column_conflict_reported() {
    let input = b"mobile,phone_number\n+12025550101,+12025550102\n";
    let options = CsvOptions::new().phone_column("mobile");
    let (report, _) = run(input, &options);
    assert!(matches!(
        only_problem(&report).kind(),
        CsvProblemKind::PhoneColumnConflict { .. }
    ));
}

#[test]
fn invalid_delimiter_reported() {
    for delimiter in [b'"', b'\n', b'\r', 0xA7] {
        let options = CsvOptions::new().delimiter(delimiter);
        let (report, upload) = run(b"phone_number\n+12025550101\n", &options);
        assert_eq!(
            kinds(&report),
            [CsvProblemKind::InvalidDelimiter { delimiter }]
        );
        assert!(upload.is_empty());
    }
}

#[test]
fn nul_byte_reported_as_not_utf8() {
    let input = b"phone_number,name\n+12025550101,A\x00B\n";
    let (report, _) = run(input, &CsvOptions::new());
    let problem = only_problem(&report);
    assert_eq!(
        problem.kind(),
        &CsvProblemKind::NotUtf8 {
            byte: 0,
            likely: None
        }
    );
    assert_eq!(problem.byte_offset(), Some(32));
}

#[test]
fn invalid_utf8_in_header_fails_even_when_skipping() {
    let input = b"phone_number,n\xE9\n+12025550101,A\n";
    let options = CsvOptions::new().skip_invalid_rows(true);
    let (report, _) = run(input, &options);
    let problem = only_problem(&report);
    assert_eq!(problem.row(), 1);
    assert!(!problem.is_skipped());
    assert!(!report.is_valid());
}

#[test]
fn utf16_file_detected_and_converted() {
    let text = "phone_number,name\r\n+12025550101,Zoë\r\n";
    let mut input = vec![0xFF, 0xFE];
    input.extend(text.encode_utf16().flat_map(u16::to_le_bytes));

    let (report, _) = run(&input, &CsvOptions::new());
    let problem = &report.problems()[0];
    assert!(matches!(
        problem.kind(),
        CsvProblemKind::NotUtf8 {
            likely: Some(Encoding::Utf16Le),
            ..
        }
    ));
    assert_eq!(problem.byte_offset(), Some(0));
    assert!(problem.to_string().contains("Encoding::Utf16Le"));

    let options = CsvOptions::new().encoding(Encoding::Utf16Le);
    let (report, upload) = run(&input, &options);
    assert!(report.is_valid(), "{:?}", messages(&report));
    assert_eq!(report.bom_len(), 2);
    assert_eq!(upload, text.as_bytes());
}

#[test]
fn utf16_without_bom_detected_by_nul_bytes() {
    let input: Vec<u8> = "phone_number\n+12025550101\n"
        .encode_utf16()
        .flat_map(u16::to_be_bytes)
        .collect();
    let (report, _) = run(&input, &CsvOptions::new());
    assert!(matches!(
        report.problems()[0].kind(),
        CsvProblemKind::NotUtf8 {
            likely: Some(Encoding::Utf16Be),
            ..
        }
    ));
}

#[test]
fn malformed_utf16_reported_with_input_offset() {
    let text = "phone_number,name\n+12025550101,A";
    let mut input: Vec<u8> = text.encode_utf16().flat_map(u16::to_le_bytes).collect();
    input.extend_from_slice(&[0x00, 0xD8]);
    input.extend("B\n".encode_utf16().flat_map(u16::to_le_bytes));
    let options = CsvOptions::new().encoding(Encoding::Utf16Le);
    let (report, _) = run(&input, &options);
    let problem = only_problem(&report);
    assert_eq!(
        problem.kind(),
        &CsvProblemKind::MalformedText {
            encoding: Encoding::Utf16Le
        }
    );
    assert_eq!(problem.column(), Some("name"));
    assert_eq!(problem.byte_offset(), Some(text.len() as u64 * 2));
    assert_eq!(problem.value(), Some("A\u{FFFD}B"));
}

#[test]
fn utf8_file_read_as_windows_1252_rejected() {
    let input = "phone_number,name\n+12025550101,José\n".as_bytes();
    let options = CsvOptions::new().encoding(Encoding::Windows1252);
    let (report, _) = run(input, &options);
    assert_eq!(
        kinds(&report),
        [CsvProblemKind::LooksLikeUtf8 {
            encoding: Encoding::Windows1252
        }]
    );
}

#[test]
fn spreadsheet_file_rejected() {
    let (report, upload) = run(b"PK\x03\x04\x14\x00\x06\x00", &CsvOptions::new());
    assert_eq!(kinds(&report), [CsvProblemKind::SpreadsheetFile]);
    assert!(upload.is_empty());
}

#[test]
fn double_bom_header_rewritten() {
    let input = b"\xEF\xBB\xBF\xEF\xBB\xBFphone_number\n+12025550101\n";
    let (report, upload) = run(input, &CsvOptions::new());
    assert!(report.is_valid(), "{:?}", messages(&report));
    assert!(!report.is_verbatim());
    assert_eq!(upload, b"phone_number\n+12025550101\n");
}

#[test]
fn crlf_kept_around_left_out_rows() {
    let input = b"phone_number,name\r\n+12025550101,A\r\n,\r\n\r\n+12025550102,B\r\n";
    let (report, upload) = run(input, &CsvOptions::new());
    assert!(report.is_valid(), "{:?}", messages(&report));
    assert_eq!(
        upload,
        b"phone_number,name\r\n+12025550101,A\r\n+12025550102,B\r\n"
    );
}

#[test]
fn reencoded_values_survive() {
    let input = "phone_number;note\n+12025550101;\"a,b \"\"c\"\"\r\nd\"\n+12025550102;é😀\n";
    let options = CsvOptions::new().delimiter(b';');
    let (report, upload) = run(input.as_bytes(), &options);
    assert!(report.is_valid(), "{:?}", messages(&report));
    let contacts = contacts(&upload);
    assert_eq!(contacts[0]["note"], "a,b \"c\"\r\nd");
    assert_eq!(contacts[1]["note"], "é😀");
}

#[test]
fn long_unterminated_quote_stops_reading() {
    let mut input = b"phone_number,note\n+12025550101,\"".to_vec();
    input.extend(std::iter::repeat_n(b'x', 3 << 20));
    let (report, _) = run(&input, &CsvOptions::new());
    let problem = only_problem(&report);
    assert_eq!(problem.kind(), &CsvProblemKind::UnterminatedQuote);
    assert_eq!(problem.row(), 2);
    assert_eq!(problem.byte_offset(), Some(31));
}

#[test]
fn long_row_stops_reading() {
    let mut input = b"phone_number,note\n+12025550101,".to_vec();
    input.extend(std::iter::repeat_n(b'x', 3 << 20));
    let (report, _) = run(&input, &CsvOptions::new());
    let problem = only_problem(&report);
    assert!(matches!(problem.kind(), CsvProblemKind::RowTooLong { .. }));
    assert_eq!(problem.row(), 2);
}

#[test]
fn write_upload_rejects_invalid_file() {
    let input = b"phone_number\n123\n";
    let error = write_upload(&input[..], &CsvOptions::new(), Vec::new()).unwrap_err();
    assert_eq!(error.kind(), io::ErrorKind::InvalidData);
    let inner = error.into_inner().unwrap();
    let csv_error = inner.downcast::<CsvError>().unwrap();
    assert_eq!(csv_error.report().problem_count(), 1);
}

#[test]
fn inspect_path_reads_file() {
    let path = std::env::temp_dir().join(format!("kataven-csv-{}.csv", std::process::id()));
    std::fs::write(&path, b"phone_number\n+12025550101\n").unwrap();
    let report = inspect_path(&path, &CsvOptions::new());
    std::fs::remove_file(&path).unwrap();
    assert!(report.unwrap().is_valid());

    let missing = inspect_path(path, &CsvOptions::new());
    assert_eq!(missing.unwrap_err().kind(), io::ErrorKind::NotFound);
}

#[test]
fn failing_reader_returns_error() {
    struct Failing;
    impl Read for Failing {
        fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
            Err(io::Error::other("disk gone"))
        }
    }
    let error = inspect_reader(Failing, &CsvOptions::new()).unwrap_err();
    assert_eq!(error.to_string(), "disk gone");
}
