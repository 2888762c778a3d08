//! The contacts CSV: encoding, header, quoting, phone numbers, limits.

mod common;

use common::{contacts_csv, csv_part, expect_error, fast_config, form, start, TestHub};
use reqwest::multipart::Form;
use reqwest::StatusCode;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

async fn rejected(hub: &TestHub, csv: &[u8]) -> Value {
    let form = Form::new()
        .text("name", "n")
        .text("agent_id", "a")
        .text("phone_number_id", "p")
        .part("contacts", csv_part(csv.to_vec()));
    expect_error(
        hub.create(form).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_csv",
    )
    .await
}

#[tokio::test]
async fn values_are_kept_exactly() {
    let hub = start(fast_config()).await;
    let csv = "name,phone_number,note,empty\r\n\" Ann \", +1 (555) 010-0199 ,\"says \"\"hi\"\",\nbye\",\n";
    let campaign = hub.create_campaign(csv, &[]).await;
    let id = campaign["id"].as_str().unwrap_or_default();

    let contacts = hub.all_contacts(id).await;
    assert_eq!(contacts.len(), 1);
    let contact = &contacts[0];
    assert_eq!(contact["phone_number"], " +1 (555) 010-0199 ");
    assert_eq!(contact["custom_fields"]["name"], " Ann ");
    assert_eq!(contact["custom_fields"]["note"], "says \"hi\",\nbye");
    assert_eq!(contact["custom_fields"]["empty"], "");
    assert!(contact["custom_fields"].get("phone_number").is_none());
    assert_eq!(contact["status"], "pending");
    assert_eq!(contact["attempts"], 0);
    assert!(contact["id"]
        .as_str()
        .is_some_and(|id| id.starts_with("ct_")));
}

#[tokio::test]
async fn bom_and_empty_rows_are_ignored() {
    let hub = start(fast_config()).await;
    let csv = "\u{feff}phone_number,city\n+15550100001,Oslo\n,\n\n+15550100002,Rome\n,\n";
    let campaign = hub.create_campaign(csv, &[]).await;
    assert_eq!(campaign["progress"]["total"], 2);
}

#[tokio::test]
async fn invalid_utf8_is_rejected() {
    let hub = start(fast_config()).await;
    let body = rejected(&hub, b"phone_number,name\n+15550100001,Ren\xe9\n").await;
    assert_eq!(body["details"]["line"], 2, "{body}");
}

#[tokio::test]
async fn missing_phone_column_is_rejected() {
    let hub = start(fast_config()).await;
    let body = rejected(&hub, b"phone,name\n+15550100001,Ann\n").await;
    assert!(
        body["message"]
            .as_str()
            .is_some_and(|message| message.contains("phone_number")),
        "{body}"
    );
}

#[tokio::test]
async fn invalid_phone_number_is_located() {
    let hub = start(fast_config()).await;
    let body = rejected(&hub, b"phone_number,name\n+15550100001,Ann\n555-CALL,Bo\n").await;
    assert_eq!(body["details"]["row"], 3, "{body}");
    assert_eq!(body["details"]["column"], "phone_number");
    assert_eq!(body["details"]["value"], "555-CALL");
}

#[tokio::test]
async fn phone_number_digit_count_is_checked() {
    let hub = start(fast_config()).await;
    for phone in ["+123456", "+1234567890123456"] {
        let csv = format!("phone_number\n{phone}\n");
        let body = rejected(&hub, csv.as_bytes()).await;
        assert_eq!(body["details"]["value"], phone);
    }
    for phone in ["+1234567", "+123456789012345"] {
        let csv = format!("phone_number\n{phone}\n");
        hub.create_campaign(&csv, &[]).await;
    }
}

#[tokio::test]
async fn empty_phone_number_is_rejected() {
    let hub = start(fast_config()).await;
    let body = rejected(&hub, b"phone_number,name\n,Ann\n").await;
    assert_eq!(body["details"]["row"], 2);
    assert_eq!(body["details"]["value"], "");
}

#[tokio::test]
async fn structure_errors_are_rejected() {
    let hub = start(fast_config()).await;
    for csv in [
        &b""[..],
        b"phone_number\n",
        b"phone_number,name\n+15550100001\n",
        b"phone_number,name,name\n+15550100001,a,b\n",
        b"phone_number,,x\n+15550100001,a,b\n",
    ] {
        rejected(&hub, csv).await;
    }
    assert_eq!(hub.emulator.stats().campaigns_created, 0);
}

#[tokio::test]
async fn upload_over_limit_is_rejected() {
    let hub = start(fast_config().max_upload_bytes(1024)).await;
    let small = contacts_csv(10);
    assert!(small.len() < 1024);
    hub.create_campaign(&small, &[]).await;

    let large = contacts_csv(200);
    assert!(large.len() > 1024);
    let response = hub.create(form(&large, &[])).await;
    let body = expect_error(response, StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large").await;
    assert_eq!(body["details"]["max_bytes"], 1024);
    assert_eq!(hub.emulator.stats().campaigns_created, 1);
}

#[tokio::test]
async fn declared_length_over_limit_is_rejected() {
    let hub = start(fast_config().max_upload_bytes(1024)).await;
    // Only the head is sent, so the emulator must reject the upload from Content-Length alone.
    let mut stream = TcpStream::connect(hub.emulator.local_addr())
        .await
        .unwrap_or_else(|error| panic!("connect failed: {error}"));
    let head = format!(
        "POST /api/v1/campaigns HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {}\r\n\
         Content-Type: multipart/form-data; boundary=XYZ\r\nContent-Length: 999999999\r\n\r\n",
        hub.emulator.api_key()
    );
    stream
        .write_all(head.as_bytes())
        .await
        .unwrap_or_else(|error| panic!("write failed: {error}"));

    let mut received = Vec::new();
    let mut buffer = [0u8; 4096];
    let read_head = async {
        while !String::from_utf8_lossy(&received).contains("payload_too_large") {
            match stream.read(&mut buffer).await {
                Ok(0) | Err(_) => break,
                Ok(count) => received.extend_from_slice(&buffer[..count]),
            }
        }
    };
    tokio::time::timeout(common::WAIT_LIMIT, read_head)
        .await
        .unwrap_or_else(|_| panic!("no response to an oversized Content-Length"));
    let text = String::from_utf8_lossy(&received);
    assert!(text.starts_with("HTTP/1.1 413"), "response: {text}");
    assert!(text.contains("payload_too_large"), "response: {text}");
}

#[tokio::test]
async fn large_upload_is_accepted() {
    let hub = start(fast_config()).await;
    let campaign = hub.create_campaign(&contacts_csv(20_000), &[]).await;
    assert_eq!(campaign["progress"]["total"], 20_000);
}
