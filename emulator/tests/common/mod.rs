//! Helpers shared by the integration tests: a started emulator with a client,
//! form builders, bounded polling and a Server-Sent Events reader.

// Each test file uses a different subset of these helpers.
#![allow(dead_code)]

use std::future::Future;
use std::time::Duration;

use kataven_emulator::{Emulator, EmulatorConfig};
use reqwest::multipart::{Form, Part};
use reqwest::{RequestBuilder, Response, StatusCode};
use serde_json::Value;

/// The maximum time a test waits for a condition. It is generous, so a slow
/// machine makes a test slower but does not make it fail.
pub const WAIT_LIMIT: Duration = Duration::from_secs(120);

/// A running emulator and a client for it.
pub struct TestHub {
    pub emulator: Emulator,
    pub client: reqwest::Client,
}

/// Starts an emulator on 127.0.0.1 with a free port.
pub async fn start(config: EmulatorConfig) -> TestHub {
    let emulator = match Emulator::start(config).await {
        Ok(emulator) => emulator,
        Err(error) => panic!("the emulator failed to start: {error}"),
    };
    let client = reqwest::Client::builder()
        .no_proxy()
        .build()
        .unwrap_or_else(|error| panic!("failed to build the HTTP client: {error}"));
    TestHub { emulator, client }
}

/// Returns a config for fast tests, where calls take milliseconds.
pub fn fast_config() -> EmulatorConfig {
    EmulatorConfig::default().time_scale(10_000.0)
}

impl TestHub {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.emulator.url())
    }

    pub fn get(&self, path: &str) -> RequestBuilder {
        self.client
            .get(self.url(path))
            .bearer_auth(self.emulator.api_key())
    }

    pub fn post(&self, path: &str) -> RequestBuilder {
        self.client
            .post(self.url(path))
            .bearer_auth(self.emulator.api_key())
    }

    pub fn delete(&self, path: &str) -> RequestBuilder {
        self.client
            .delete(self.url(path))
            .bearer_auth(self.emulator.api_key())
    }

    /// Sends `create_campaign` with `form`.
    pub async fn create(&self, form: Form) -> Response {
        send(self.post("/api/v1/campaigns").multipart(form)).await
    }

    /// Creates a campaign and returns its body, failing the test unless the status is 201.
    pub async fn create_campaign(&self, csv: &str, fields: &[(&str, &str)]) -> Value {
        let response = self.create(form(csv, fields)).await;
        expect_json(response, StatusCode::CREATED).await
    }

    /// Runs a transition (`start`, `pause`, `resume`, `stop`) and returns the response.
    pub async fn transition(&self, id: &str, operation: &str) -> Response {
        send(self.post(&format!("/api/v1/campaigns/{id}/{operation}"))).await
    }

    pub async fn campaign(&self, id: &str) -> Value {
        let response = send(self.get(&format!("/api/v1/campaigns/{id}"))).await;
        expect_json(response, StatusCode::OK).await
    }

    /// Polls the campaign until `condition` holds, within [`WAIT_LIMIT`].
    pub async fn wait_for_campaign(
        &self,
        id: &str,
        description: &str,
        condition: impl Fn(&Value) -> bool,
    ) -> Value {
        wait_until(description, || async {
            let campaign = self.campaign(id).await;
            condition(&campaign).then_some(campaign)
        })
        .await
    }

    pub async fn wait_for_status(&self, id: &str, status: &str) -> Value {
        self.wait_for_campaign(id, &format!("campaign {id} to be {status}"), |campaign| {
            campaign["status"] == status
        })
        .await
    }

    /// Returns one page of contacts.
    pub async fn contacts_page(&self, id: &str, query: &str) -> Value {
        let response = send(self.get(&format!("/api/v1/campaigns/{id}/contacts{query}"))).await;
        expect_json(response, StatusCode::OK).await
    }

    /// Returns every contact of the campaign, following `has_more`.
    pub async fn all_contacts(&self, id: &str) -> Vec<Value> {
        let mut contacts = Vec::new();
        for page in 0.. {
            let body = self.contacts_page(id, &format!("?page={page}")).await;
            contacts.extend(body["items"].as_array().cloned().unwrap_or_default());
            if body["has_more"] != true {
                break;
            }
        }
        contacts
    }

    /// Opens the event stream and reads it to its end, within [`WAIT_LIMIT`].
    pub async fn read_events(&self, id: &str, last_event_id: Option<&str>) -> SseRead {
        let mut request = self.get(&format!("/api/v1/campaigns/{id}/events"));
        if let Some(last) = last_event_id {
            request = request.header("Last-Event-ID", last);
        }
        let response = send(request).await;
        assert_eq!(response.status(), StatusCode::OK, "event stream status");
        read_sse(response).await
    }
}

/// Sends a request, failing the test on a transport error.
pub async fn send(request: RequestBuilder) -> Response {
    match request.send().await {
        Ok(response) => response,
        Err(error) => panic!("request failed: {error}"),
    }
}

/// Checks the status and returns the JSON body.
pub async fn expect_json(response: Response, status: StatusCode) -> Value {
    let actual = response.status();
    let text = response.text().await.unwrap_or_default();
    assert_eq!(actual, status, "unexpected status; body: {text}");
    serde_json::from_str(&text).unwrap_or_else(|error| panic!("body is not JSON ({error}): {text}"))
}

/// Checks that the response is an `Error` body with `status` and `code`, and returns it.
pub async fn expect_error(response: Response, status: StatusCode, code: &str) -> Value {
    let body = expect_json(response, status).await;
    assert_eq!(body["code"], code, "error code in {body}");
    assert!(
        body["message"]
            .as_str()
            .is_some_and(|message| !message.is_empty()),
        "message in {body}"
    );
    body
}

/// Builds a `create_campaign` form with the required fields, then `fields` added or replaced.
pub fn form(csv: &str, fields: &[(&str, &str)]) -> Form {
    let mut values: Vec<(String, String)> = vec![
        ("name".to_owned(), "Spring renewals".to_owned()),
        ("agent_id".to_owned(), "agt_renewals".to_owned()),
        ("phone_number_id".to_owned(), "pn_main".to_owned()),
    ];
    for (name, value) in fields {
        values.retain(|(existing, _)| existing != name);
        values.push(((*name).to_owned(), (*value).to_owned()));
    }
    let mut form = Form::new();
    for (name, value) in values {
        form = form.text(name, value);
    }
    form.part("contacts", csv_part(csv.as_bytes().to_vec()))
}

/// Builds a `text/csv` file part named `contacts.csv`.
pub fn csv_part(bytes: Vec<u8>) -> Part {
    Part::bytes(bytes)
        .file_name("contacts.csv")
        .mime_str("text/csv")
        .unwrap_or_else(|error| panic!("invalid mime type: {error}"))
}

/// Builds a CSV of `count` contacts with a `name` column.
pub fn contacts_csv(count: usize) -> String {
    let mut csv = String::from("phone_number,name\n");
    for index in 0..count {
        csv.push_str(&format!("+1555{index:07},Contact {index}\n"));
    }
    csv
}

/// Polls `probe` every 20 ms until it returns `Some`, failing the test after [`WAIT_LIMIT`].
pub async fn wait_until<T, F, Fut>(description: &str, mut probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + WAIT_LIMIT;
    loop {
        if let Some(value) = probe().await {
            return value;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {description}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// One parsed item of a `text/event-stream` body.
#[derive(Debug, Clone, PartialEq)]
pub enum SseItem {
    Retry(u64),
    Comment(String),
    Event { id: u64, event: String, data: Value },
}

/// A stream read to its end.
#[derive(Debug)]
pub struct SseRead {
    pub items: Vec<SseItem>,
    /// `false` when the connection broke instead of ending the body.
    pub ended_cleanly: bool,
    /// The raw text, for failure messages.
    pub raw: String,
}

impl SseRead {
    /// Returns the events only, as `(id, event, data)`.
    pub fn events(&self) -> Vec<(u64, String, Value)> {
        self.items
            .iter()
            .filter_map(|item| match item {
                SseItem::Event { id, event, data } => Some((*id, event.clone(), data.clone())),
                _ => None,
            })
            .collect()
    }
}

/// Reads an event stream to its end and parses it, checking the frame format on the way.
pub async fn read_sse(mut response: Response) -> SseRead {
    let mut raw = Vec::new();
    let ended_cleanly = tokio::time::timeout(WAIT_LIMIT, async {
        loop {
            match response.chunk().await {
                Ok(Some(chunk)) => raw.extend_from_slice(&chunk),
                Ok(None) => return true,
                Err(_) => return false,
            }
        }
    })
    .await
    .unwrap_or_else(|_| panic!("the event stream did not end within {WAIT_LIMIT:?}"));

    let raw = String::from_utf8(raw)
        .unwrap_or_else(|error| panic!("the event stream is not UTF-8: {error}"));
    let items = parse_sse(&raw);
    SseRead {
        items,
        ended_cleanly,
        raw,
    }
}

/// Parses complete frames (those followed by a blank line) and checks each
/// event's shape: one `id:`, one `event:` and exactly one `data:` line.
pub fn parse_sse(raw: &str) -> Vec<SseItem> {
    let mut items = Vec::new();
    let complete = match raw.rfind("\n\n") {
        Some(end) => &raw[..end],
        None => "",
    };
    for frame in complete.split("\n\n").filter(|frame| !frame.is_empty()) {
        let lines: Vec<&str> = frame.lines().collect();
        if let [line] = lines.as_slice() {
            if let Some(value) = line.strip_prefix("retry: ") {
                items.push(SseItem::Retry(
                    value
                        .parse()
                        .unwrap_or_else(|_| panic!("bad retry line {line:?}")),
                ));
                continue;
            }
            if let Some(comment) = line.strip_prefix(':') {
                items.push(SseItem::Comment(comment.trim().to_owned()));
                continue;
            }
        }
        let [id_line, event_line, data_line] = lines.as_slice() else {
            panic!("an event frame must have exactly id, event and data lines: {frame:?}");
        };
        let id = id_line
            .strip_prefix("id: ")
            .and_then(|id| id.parse().ok())
            .unwrap_or_else(|| panic!("bad id line {id_line:?}"));
        let event = event_line
            .strip_prefix("event: ")
            .unwrap_or_else(|| panic!("bad event line {event_line:?}"))
            .to_owned();
        let data = data_line
            .strip_prefix("data: ")
            .unwrap_or_else(|| panic!("bad data line {data_line:?}"));
        let data = serde_json::from_str(data)
            .unwrap_or_else(|error| panic!("data is not JSON ({error}): {data}"));
        items.push(SseItem::Event { id, event, data });
    }
    items
}
