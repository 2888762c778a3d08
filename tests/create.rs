//! `create`: validation before sending, the exact multipart upload, and
//! retries that reuse the idempotency key and rebuild the body.

mod support;

use std::io::Write;

use kataven::csv::{CsvOptions, Encoding};
use kataven::{Contacts, ErrorKind};
use support::{campaign_json, Recorded, Reply, TestServer};

async fn created_server() -> TestServer {
    TestServer::always(Reply::json(
        201,
        campaign_json("cmp_new0000000000001", "draft"),
    ))
    .await
}

/// One part of a multipart body.
#[derive(Debug)]
struct FormPart {
    headers: String,
    content: Vec<u8>,
}

fn boundary(request: &Recorded) -> String {
    let content_type = request.header("content-type").expect("content type");
    content_type
        .split("boundary=")
        .nth(1)
        .expect("a boundary")
        .trim_matches('"')
        .to_owned()
}

fn parts(request: &Recorded) -> Vec<(String, FormPart)> {
    let delimiter = format!("--{}", boundary(request));
    let body = &request.body;
    let mut found = Vec::new();
    let positions: Vec<usize> = body
        .windows(delimiter.len())
        .enumerate()
        .filter(|(_, window)| *window == delimiter.as_bytes())
        .map(|(index, _)| index)
        .collect();
    for pair in positions.windows(2) {
        let part = &body[pair[0] + delimiter.len() + 2..pair[1] - 2];
        let split = part
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .expect("part headers");
        let headers = String::from_utf8(part[..split].to_vec()).unwrap();
        let name = headers
            .split("name=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .unwrap()
            .to_owned();
        found.push((
            name,
            FormPart {
                headers,
                content: part[split + 4..].to_vec(),
            },
        ));
    }
    found
}

fn uploaded_csv(request: &Recorded) -> Vec<u8> {
    parts(request)
        .into_iter()
        .find(|(name, _)| name == "contacts")
        .map(|(_, part)| part.content)
        .expect("a contacts part")
}

fn csv_rows(bytes: &[u8]) -> Vec<Vec<String>> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(bytes)
        .records()
        .map(|record| record.unwrap().iter().map(str::to_owned).collect())
        .collect()
}

async fn create(
    server: &TestServer,
    contacts: Contacts,
) -> kataven::Result<kataven::models::Campaign> {
    server
        .client()
        .campaigns()
        .create("Spring renewals", "agt_support", "pn_main", contacts)
        .await
}

#[tokio::test]
async fn multipart_wire_format() {
    let server = created_server().await;
    let contacts = Contacts::from_bytes(&b"phone_number,name\r\n+12025550101,Ana\r\n"[..]);
    let campaign = server
        .client()
        .campaigns()
        .create("Spring renewals", "agt_support", "pn_main", contacts)
        .max_concurrent_calls(10)
        .retries_per_contact(2)
        .retry_delay_seconds(600)
        .scheduled_at("2026-12-24T09:30:00Z".parse().unwrap())
        .idempotency_key("create-spring-renewals-1")
        .await
        .unwrap();
    assert_eq!(campaign.id, "cmp_new0000000000001");

    let request = &server.requests()[0];
    let boundary = boundary(request);
    let length: usize = request.header("content-length").unwrap().parse().unwrap();
    assert_eq!(length, request.body.len(), "exact Content-Length");
    assert!(request.header("transfer-encoding").is_none());
    let rendered = request.render().replace(&boundary, "<boundary>");
    insta::assert_snapshot!(rendered);
}

#[tokio::test]
async fn byte_order_mark_case() {
    let server = created_server().await;
    let contacts =
        Contacts::from_bytes(&b"\xEF\xBB\xBFname,phone_number\r\nAna,+12025550101\r\n"[..]);
    create(&server, contacts).await.unwrap();
    let csv = uploaded_csv(&server.requests()[0]);
    assert_eq!(csv, b"name,phone_number\r\nAna,+12025550101\r\n");
    let rows = csv_rows(&csv);
    assert_eq!(rows, [["name", "phone_number"], ["Ana", "+12025550101"]]);
    assert!(!String::from_utf8(csv).unwrap().contains('\u{FEFF}'));
}

#[tokio::test]
async fn semicolon_case() {
    let bytes = &b"phone_number;name;balance\r\n+12025550102;Bo;1,50\r\n"[..];
    let server = created_server().await;
    let error = create(&server, Contacts::from_bytes(bytes))
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Csv);
    let message = error.to_string();
    assert!(message.contains("semicolon"), "{message}");
    assert!(message.contains("delimiter(b';')"), "{message}");
    assert_eq!(server.requests().len(), 0);

    let contacts = Contacts::from_bytes(bytes).options(CsvOptions::new().delimiter(b';'));
    create(&server, contacts).await.unwrap();
    let rows = csv_rows(&uploaded_csv(&server.requests()[0]));
    assert_eq!(
        rows,
        [
            ["phone_number", "name", "balance"],
            ["+12025550102", "Bo", "1,50"]
        ]
    );
}

#[tokio::test]
async fn scientific_notation_case() {
    let server = created_server().await;
    let contacts =
        Contacts::from_bytes(&b"phone_number,name\n1.20256E+10,Cy\n+12025550104,Di\n"[..]);
    let error = create(&server, contacts).await.unwrap_err();
    let report = error.csv_report().expect("a CSV report");
    assert_eq!(report.problems().len(), 1);
    let problem = &report.problems()[0];
    assert_eq!(problem.row(), 2);
    assert_eq!(problem.value(), Some("1.20256E+10"));
    assert!(error.to_string().contains("scientific notation"), "{error}");
    assert_eq!(server.requests().len(), 0);
}

#[tokio::test]
async fn phone_column_case() {
    let bytes = &b" Phone Number ,First Name\n+12025550108,Hal\n"[..];
    let server = created_server().await;
    let error = create(&server, Contacts::from_bytes(bytes))
        .await
        .unwrap_err();
    let message = error.to_string();
    assert!(message.contains("Phone Number"), "{message}");
    assert!(message.contains("phone_column"), "{message}");
    assert_eq!(server.requests().len(), 0);

    let contacts =
        Contacts::from_bytes(bytes).options(CsvOptions::new().phone_column("Phone Number"));
    create(&server, contacts).await.unwrap();
    let rows = csv_rows(&uploaded_csv(&server.requests()[0]));
    assert_eq!(
        rows,
        [["phone_number", "First Name"], ["+12025550108", "Hal"]]
    );
}

#[tokio::test]
async fn quoted_fields_case() {
    let bytes = b"phone_number,name,note\r\n+12025550112,\"Lee, Max\",\"call after 5pm\r\nask for Max\"\r\n+12025550113,Ned,\"\"\"VIP\"\"\"\r\n";
    let server = created_server().await;
    create(&server, Contacts::from_bytes(&bytes[..]))
        .await
        .unwrap();
    let csv = uploaded_csv(&server.requests()[0]);
    assert_eq!(csv, bytes, "uploaded byte for byte");
    let rows = csv_rows(&csv);
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[1][2], "call after 5pm\r\nask for Max");
    assert_eq!(rows[2][2], "\"VIP\"");
}

#[tokio::test]
async fn windows_1252_case() {
    let bytes = &b"phone_number,name\n+12025550114,Jos\xE9\n"[..];
    let server = created_server().await;
    let error = create(&server, Contacts::from_bytes(bytes))
        .await
        .unwrap_err();
    let problem = &error.csv_report().unwrap().problems()[0];
    assert_eq!(problem.row(), 2);
    assert_eq!(
        problem.byte_offset(),
        Some(34),
        "18 header bytes, 13 for the phone number and comma, 3 for \"Jos\""
    );
    assert!(error.to_string().contains("Windows-1252"), "{error}");
    assert_eq!(server.requests().len(), 0);

    let contacts =
        Contacts::from_bytes(bytes).options(CsvOptions::new().encoding(Encoding::Windows1252));
    create(&server, contacts).await.unwrap();
    let rows = csv_rows(&uploaded_csv(&server.requests()[0]));
    assert_eq!(rows[1], ["+12025550114", "José"]);
}

#[tokio::test]
async fn missing_header_case() {
    let server = created_server().await;
    let contacts = Contacts::from_bytes(&b"+12025550117,Quinn\n+12025550118,Rae\n"[..]);
    let error = create(&server, contacts).await.unwrap_err();
    assert!(error.to_string().contains("looks like data"), "{error}");
    assert_eq!(server.requests().len(), 0);
}

#[tokio::test]
async fn every_invalid_file_sends_nothing() {
    let invalid: [&[u8]; 9] = [
        b"phone_number\n12025550101.0\n",
        b"",
        b"phone_number\n",
        b"name\nAna\n",
        b"phone_number,name\n,Ana\n",
        b"phone_number,name\nnot a number,Ana\n",
        b"phone_number,name\n+12025550101\n",
        b"phone_number,name\n+12025550101,\"unterminated\n",
        b"phone_number,phone_number\n+12025550101,+12025550102\n",
    ];
    let server = created_server().await;
    for bytes in invalid {
        let error = create(&server, Contacts::from_bytes(bytes))
            .await
            .unwrap_err();
        assert_eq!(
            error.kind(),
            ErrorKind::Csv,
            "{:?}",
            String::from_utf8_lossy(bytes)
        );
        assert!(!error.may_have_reached_hub());
    }
    assert_eq!(server.requests().len(), 0);
}

#[tokio::test]
async fn every_problem_listed() {
    let server = created_server().await;
    let contacts =
        Contacts::from_bytes(&b"phone_number,name\nabc,A\n+12025550101,B\n1.2E+10,C\n,D\n"[..]);
    let error = create(&server, contacts).await.unwrap_err();
    let rows: Vec<u64> = error
        .csv_report()
        .unwrap()
        .problems()
        .iter()
        .map(|p| p.row())
        .collect();
    assert_eq!(rows, [2, 4, 5]);
}

#[tokio::test]
async fn skipped_rows_left_out() {
    let server = created_server().await;
    let contacts = Contacts::from_bytes(&b"phone_number,name\nabc,A\n+12025550101,B\n"[..])
        .options(CsvOptions::new().skip_invalid_rows(true));
    create(&server, contacts).await.unwrap();
    let rows = csv_rows(&uploaded_csv(&server.requests()[0]));
    assert_eq!(rows, [["phone_number", "name"], ["+12025550101", "B"]]);
}

#[tokio::test]
async fn invalid_arguments_send_nothing() {
    let server = created_server().await;
    let error = server
        .client()
        .campaigns()
        .create(
            "",
            "agt_support",
            "",
            Contacts::from_bytes(&b"phone_number\n+12025550101\n"[..]),
        )
        .max_concurrent_calls(0)
        .retries_per_contact(11)
        .retry_delay_seconds(59)
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::InvalidArgument);
    let message = error.to_string();
    for expected in [
        "name is empty",
        "phone_number_id is empty",
        "max_concurrent_calls is 0",
        "retries_per_contact is 11",
        "retry_delay_seconds is 59",
    ] {
        assert!(message.contains(expected), "{expected}: {message}");
    }
    assert_eq!(server.requests().len(), 0);
}

#[tokio::test]
async fn file_streamed_with_name() {
    let mut file = tempfile::Builder::new().suffix(".csv").tempfile().unwrap();
    file.write_all(b"phone_number,first_name\n+12025550101,Ana\n0044 20 7946 0018,Ben\n")
        .unwrap();
    let server = created_server().await;
    create(&server, Contacts::from_path(file.path()))
        .await
        .unwrap();
    let request = &server.requests()[0];
    let (_, part) = parts(request)
        .into_iter()
        .find(|(name, _)| name == "contacts")
        .unwrap();
    let file_name = file.path().file_name().unwrap().to_str().unwrap();
    assert!(
        part.headers.contains(&format!("filename=\"{file_name}\"")),
        "{}",
        part.headers
    );
    assert!(
        part.headers
            .to_ascii_lowercase()
            .contains("content-type: text/csv"),
        "{}",
        part.headers
    );
    assert_eq!(
        part.content,
        b"phone_number,first_name\n+12025550101,Ana\n0044 20 7946 0018,Ben\n"
    );
}

#[tokio::test]
async fn reader_spooled_and_uploaded() {
    let server = created_server().await;
    let reader = std::io::Cursor::new(b"phone_number\n+12025550101\n+12025550102\n".to_vec());
    create(&server, Contacts::from_reader(reader))
        .await
        .unwrap();
    assert_eq!(
        uploaded_csv(&server.requests()[0]),
        b"phone_number\n+12025550101\n+12025550102\n"
    );
}

#[tokio::test]
async fn retry_reuses_key_and_rebuilds_body() {
    let mut file = tempfile::NamedTempFile::new().unwrap();
    file.write_all(b"phone_number;name\n+12025550101;Ana\n")
        .unwrap();
    let server = TestServer::sequence(vec![
        Reply::error(503, "unavailable", "restarting").with_header("retry-after", "0"),
        Reply::Reset,
        Reply::json(201, campaign_json("cmp_new0000000000001", "draft")),
    ])
    .await;
    let contacts = Contacts::from_path(file.path()).options(CsvOptions::new().delimiter(b';'));
    create(&server, contacts).await.unwrap();
    let requests = server.requests();
    assert_eq!(requests.len(), 3);
    let key = requests[0].header("idempotency-key").unwrap();
    assert!(!key.is_empty());
    assert_eq!(requests[2].header("idempotency-key"), Some(key));
    assert_eq!(uploaded_csv(&requests[0]), uploaded_csv(&requests[2]));
    assert_eq!(
        csv_rows(&uploaded_csv(&requests[2]))[1],
        ["+12025550101", "Ana"]
    );
}

#[tokio::test]
async fn separate_calls_use_separate_keys() {
    let server = created_server().await;
    for _ in 0..2 {
        create(
            &server,
            Contacts::from_bytes(&b"phone_number\n+12025550101\n"[..]),
        )
        .await
        .unwrap();
    }
    let requests = server.requests();
    assert_ne!(
        requests[0].header("idempotency-key"),
        requests[1].header("idempotency-key")
    );
}

#[tokio::test]
async fn hub_csv_errors_surface() {
    let cases = [
        (422u16, "invalid_csv", "row 7: phone_number is missing"),
        (413, "payload_too_large", "the file is larger than 256 MiB"),
    ];
    for (status, code, message) in cases {
        let server = TestServer::always(Reply::error(status, code, message)).await;
        let error = create(
            &server,
            Contacts::from_bytes(&b"phone_number\n+12025550101\n"[..]),
        )
        .await
        .unwrap_err();
        assert_eq!(error.status().map(|s| s.as_u16()), Some(status));
        assert_eq!(error.code(), Some(code));
        assert!(error.to_string().contains(message), "{error}");
        assert_eq!(server.requests().len(), 1, "{code} is not retried");
    }
}

#[tokio::test]
async fn missing_file_reported() {
    let server = created_server().await;
    let error = create(&server, Contacts::from_path("/nonexistent/contacts.csv"))
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Io);
    assert!(
        error.to_string().contains("/nonexistent/contacts.csv")
            || error.to_string().contains("No such file"),
        "{error}"
    );
    assert_eq!(server.requests().len(), 0);
}

/// Writes a file of `rows` valid contacts.
fn contacts_file(rows: usize) -> tempfile::NamedTempFile {
    let mut file = tempfile::Builder::new().suffix(".csv").tempfile().unwrap();
    let mut out = std::io::BufWriter::new(file.as_file_mut());
    writeln!(out, "phone_number,name,note").unwrap();
    for row in 0..rows {
        writeln!(
            out,
            "+1202555{:04},Contact {row},\"Renewal due in March, call after 5 pm\"",
            row % 10_000
        )
        .unwrap();
    }
    out.flush().unwrap();
    drop(out);
    file
}

#[tokio::test]
async fn checked_contacts_uploaded_as_checked() {
    let file = contacts_file(500);
    let mut contacts = Contacts::from_path(file.path());
    let report = contacts.check().await.unwrap();
    assert_eq!(report.contacts(), 500);

    let server = created_server().await;
    let copy = contacts.try_clone().unwrap();
    create(&server, contacts).await.unwrap();
    create(&server, copy).await.unwrap();

    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    let expected = std::fs::read(file.path()).unwrap();
    for request in &requests {
        assert_eq!(uploaded_csv(request), expected);
    }
}

#[tokio::test]
async fn file_rewritten_after_check_sends_nothing() {
    let file = contacts_file(3);
    let mut contacts = Contacts::from_path(file.path());
    contacts.check().await.unwrap();

    // The phone number of the first contact becomes a name.
    let text = std::fs::read_to_string(file.path()).unwrap();
    std::fs::write(
        file.path(),
        text.replacen("+12025550000", "Not a phone!", 1),
    )
    .unwrap();

    let server = created_server().await;
    let error = create(&server, contacts).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Csv, "{error}");
    assert!(error.to_string().contains("Not a phone!"), "{error}");
    assert_eq!(server.requests().len(), 0);
}

/// The body lengths that the server of
/// [`file_changed_while_sent_never_completes`] saw: declared and received.
struct Received {
    declared: usize,
    body: usize,
}

#[tokio::test]
async fn file_changed_while_sent_never_completes() {
    use tokio::io::{AsyncBufReadExt, AsyncReadExt};

    // About 15 MB, several times what the small receive buffer below and
    // the sender's buffers can hold, so most of the file is still unread
    // when it changes.
    let file = contacts_file(230_000);
    let mut contacts = Contacts::from_path(file.path());
    contacts.check().await.unwrap();

    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(64 * 1024).unwrap();
    socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let listener = socket.listen(1).unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let (paused, on_pause) = tokio::sync::oneshot::channel::<()>();
    let (resume, on_resume) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(async move {
        let (stream, _) = listener.accept().await.unwrap();
        let mut reader = tokio::io::BufReader::new(stream);
        let mut declared = 0;
        loop {
            let mut line = String::new();
            reader.read_line(&mut line).await.unwrap();
            if let Some(value) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                declared = value.trim().parse().unwrap();
            }
            if line == "\r\n" {
                break;
            }
        }
        // Read 1 MiB, then stop reading until the file has changed.
        let mut buffer = vec![0; 64 * 1024];
        let mut body = 0;
        while body < 1 << 20 {
            body += reader.read(&mut buffer).await.unwrap();
        }
        paused.send(()).unwrap();
        on_resume.await.unwrap();
        while body < declared {
            match reader.read(&mut buffer).await {
                Ok(0) | Err(_) => break,
                Ok(read) => body += read,
            }
        }
        if body >= declared {
            // The whole body arrived. A reply lets the test fail on its
            // assertions instead of waiting for ever.
            let json = campaign_json("cmp_new0000000000001", "draft").to_string();
            let reply = format!(
                "HTTP/1.1 201 Created\r\ncontent-type: application/json\r\n\
                 content-length: {}\r\n\r\n{json}",
                json.len()
            );
            tokio::io::AsyncWriteExt::write_all(reader.get_mut(), reply.as_bytes())
                .await
                .unwrap();
        }
        Received { declared, body }
    });

    let client = kataven::Client::builder()
        .api_key("kv_test_key")
        .base_url(&url)
        .retry_policy(kataven::RetryPolicy::disabled())
        .build()
        .unwrap();
    let upload = tokio::spawn(async move {
        client
            .campaigns()
            .create("Spring renewals", "agt_support", "pn_main", contacts)
            .await
    });

    on_pause.await.unwrap();
    // Rewritten in place near its end, so its length stays the same.
    let mut rewritten = std::fs::OpenOptions::new()
        .write(true)
        .open(file.path())
        .unwrap();
    let at = std::fs::metadata(file.path()).unwrap().len() - 100;
    std::io::Seek::seek(&mut rewritten, std::io::SeekFrom::Start(at)).unwrap();
    rewritten.write_all(b"9").unwrap();
    drop(rewritten);
    resume.send(()).unwrap();

    let error = upload.await.unwrap().unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Io, "{error}");
    assert!(
        error.to_string().contains("changed after it was checked"),
        "{error}"
    );
    let received = server.await.unwrap();
    assert!(received.declared > 12_000_000, "{}", received.declared);
    assert!(
        received.body < received.declared,
        "the server got all {} bytes",
        received.body
    );
}

#[tokio::test]
async fn check_errors_name_no_operation() {
    let mut missing = Contacts::from_path("/nonexistent/kataven-contacts.csv");
    let error = missing.check().await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Io);
    assert_eq!(error.operation(), None, "{error}");
    assert!(
        error
            .to_string()
            .contains("/nonexistent/kataven-contacts.csv"),
        "{error}"
    );

    // The same failure inside create names the operation.
    let server = created_server().await;
    let error = create(
        &server,
        Contacts::from_path("/nonexistent/kataven-contacts.csv"),
    )
    .await
    .unwrap_err();
    assert_eq!(error.operation(), Some("create_campaign"), "{error}");
}
