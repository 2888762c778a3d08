//! The handed cases: typical files as users export them.

use super::*;

#[test]
fn bom_file_uploads_without_bom() {
    let input = b"\xEF\xBB\xBFname,phone_number\r\nAna,+12025550101\r\n";
    let (report, upload) = run(input, &CsvOptions::new());

    assert!(report.is_valid(), "{:?}", messages(&report));
    assert_eq!(report.contacts(), 1);
    assert_eq!(report.columns(), ["name", "phone_number"]);
    assert_eq!(report.bom_len(), 3);
    assert!(report.is_verbatim());
    assert_eq!(report.upload_len(), input.len() as u64 - 3);

    let contacts = contacts(&upload);
    assert_eq!(contacts.len(), 1);
    assert_eq!(contacts[0]["phone_number"], "+12025550101");
    assert_eq!(contacts[0]["name"], "Ana");
    for (key, value) in &contacts[0] {
        assert!(!key.contains('\u{FEFF}'), "BOM in key {key:?}");
        assert!(!value.contains('\u{FEFF}'), "BOM in value {value:?}");
    }
    assert!(!upload.starts_with(b"\xEF\xBB\xBF"));
}

#[test]
fn semicolon_file_needs_delimiter() {
    let input = b"phone_number;name;balance\r\n+12025550102;Bo;1,50\r\n";
    let (report, _) = run(input, &CsvOptions::new());

    assert!(!report.is_valid());
    assert_eq!(
        kinds(&report),
        [CsvProblemKind::LooksDelimitedBy { delimiter: b';' }]
    );
    let message = &messages(&report)[0];
    assert!(message.contains("semicolon-delimited"), "{message}");
    assert!(message.contains("CsvOptions::delimiter(b';')"), "{message}");
}

#[test]
fn semicolon_file_with_delimiter_is_reencoded() {
    let input = b"phone_number;name;balance\r\n+12025550102;Bo;1,50\r\n";
    let options = CsvOptions::new().delimiter(b';');
    let (report, upload) = run(input, &options);

    assert!(report.is_valid(), "{:?}", messages(&report));
    assert_eq!(report.contacts(), 1);
    assert!(!report.is_verbatim());
    assert_eq!(
        upload,
        b"phone_number,name,balance\r\n+12025550102,Bo,\"1,50\"\r\n"
    );
    let contacts = contacts(&upload);
    assert_eq!(contacts[0]["balance"], "1,50");
    assert_eq!(contacts[0]["phone_number"], "+12025550102");
}

#[test]
fn scientific_notation_named_at_its_row() {
    let input = b"phone_number,name\n1.20256E+10,Cy\n+12025550104,Di\n";
    let (report, _) = run(input, &CsvOptions::new());

    assert!(!report.is_valid());
    assert_eq!(report.problem_count(), 1, "{:?}", messages(&report));
    let problem = &report.problems()[0];
    assert_eq!(problem.kind(), &CsvProblemKind::ScientificNotation);
    assert_eq!(problem.row(), 2);
    assert_eq!(problem.column(), Some("phone_number"));
    assert_eq!(problem.value(), Some("1.20256E+10"));
    assert_eq!(problem.byte_offset(), Some(18));

    let message = problem.to_string();
    assert!(
        message.starts_with("row 2, column \"phone_number\""),
        "{message}"
    );
    assert!(message.contains("\"1.20256E+10\""), "{message}");
    assert!(message.contains("scientific notation"), "{message}");
    assert!(message.contains("digits are lost"), "{message}");
    assert!(message.contains("cannot be repaired"), "{message}");
    assert!(message.contains("as text"), "{message}");
}

#[test]
fn phone_number_column_near_match_suggested() {
    let input = b" Phone Number ,First Name\n+12025550108,Hal\n";
    let (report, _) = run(input, &CsvOptions::new());

    assert!(!report.is_valid());
    assert_eq!(
        kinds(&report),
        [CsvProblemKind::MissingPhoneColumn {
            expected: "phone_number".to_owned(),
            found: Some("Phone Number".to_owned()),
        }]
    );
    let message = &messages(&report)[0];
    assert!(message.contains("no \"phone_number\" column"), "{message}");
    assert!(
        message.contains("CsvOptions::phone_column(\"Phone Number\")"),
        "{message}"
    );
}

#[test]
fn phone_column_option_renames_header() {
    let input = b" Phone Number ,First Name\n+12025550108,Hal\n";
    let options = CsvOptions::new().phone_column("Phone Number");
    let (report, upload) = run(input, &options);

    assert!(report.is_valid(), "{:?}", messages(&report));
    assert_eq!(report.contacts(), 1);
    assert_eq!(report.columns(), ["phone_number", "First Name"]);
    assert!(!report.is_verbatim());
    assert_eq!(upload, b"phone_number,First Name\n+12025550108,Hal\n");
}

#[test]
fn quoted_values_keep_commas_breaks_and_quotes() {
    let input = b"phone_number,name,note\r\n+12025550112,\"Lee, Max\",\"call after 5pm\r\nask for Max\"\r\n+12025550113,Ned,\"\"\"VIP\"\"\"\r\n";
    let (report, upload) = run(input, &CsvOptions::new());

    assert!(report.is_valid(), "{:?}", messages(&report));
    assert_eq!(report.contacts(), 2);
    assert!(report.is_verbatim());
    let contacts = contacts(&upload);
    assert_eq!(contacts.len(), 2);
    assert_eq!(contacts[0]["name"], "Lee, Max");
    assert_eq!(contacts[0]["note"], "call after 5pm\r\nask for Max");
    assert_eq!(contacts[1]["note"], "\"VIP\"");
}

#[test]
fn windows_1252_byte_reported_with_offset() {
    let input = b"phone_number,name\n+12025550114,Jos\xE9\n";
    let (report, _) = run(input, &CsvOptions::new());

    assert!(!report.is_valid());
    assert_eq!(report.problem_count(), 1, "{:?}", messages(&report));
    let problem = &report.problems()[0];
    assert_eq!(
        problem.kind(),
        &CsvProblemKind::NotUtf8 {
            byte: 0xE9,
            likely: Some(Encoding::Windows1252),
        }
    );
    assert_eq!(problem.row(), 2);
    assert_eq!(problem.column(), Some("name"));
    // The byte 0xE9 of "Jos\xE9" is at offset 34: 18 bytes of header, then
    // "+12025550114,Jos".
    assert_eq!(problem.byte_offset(), Some(34));
    let message = problem.to_string();
    assert!(message.contains("probably Windows-1252"), "{message}");
    assert!(
        message.contains("CsvOptions::encoding(Encoding::Windows1252)"),
        "{message}"
    );
}

#[test]
fn windows_1252_option_uploads_utf8() {
    let input = b"phone_number,name\n+12025550114,Jos\xE9\n";
    let options = CsvOptions::new().encoding(Encoding::Windows1252);
    let (report, upload) = run(input, &options);

    assert!(report.is_valid(), "{:?}", messages(&report));
    assert!(!report.is_verbatim());
    assert_eq!(upload, "phone_number,name\n+12025550114,José\n".as_bytes());
    assert_eq!(contacts(&upload)[0]["name"], "José");
}

#[test]
fn data_in_first_row_is_not_header() {
    let input = b"+12025550117,Quinn\n+12025550118,Rae\n";
    let (report, _) = run(input, &CsvOptions::new());

    assert!(!report.is_valid());
    assert_eq!(kinds(&report), [CsvProblemKind::HeaderLooksLikeData]);
    let problem = &report.problems()[0];
    assert_eq!(problem.row(), 1);
    let message = problem.to_string();
    assert!(
        message.contains("looks like data, not a header"),
        "{message}"
    );
    assert!(message.contains("\"phone_number\""), "{message}");
}
