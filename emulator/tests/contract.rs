//! Checks every emulator response against `openapi.yaml`: the documented
//! status, the `X-Request-Id` header, the content type, and the body against
//! the operation's schema, with undeclared properties rejected.

mod common;

use std::collections::{BTreeSet, HashMap};

use common::{contacts_csv, fast_config, form, read_sse, send, start, wait_until, TestHub};
use jsonschema::Validator;
use kataven_emulator::EmulatorConfig;
use reqwest::{RequestBuilder, Response};
use serde_json::{json, Value};

const SPEC_PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../openapi.yaml");

/// The spec, with object schemas made strict for this test.
struct Contract {
    spec: Value,
    components: Value,
    validators: HashMap<String, Validator>,
}

impl Contract {
    fn load() -> Self {
        let text = std::fs::read_to_string(SPEC_PATH)
            .unwrap_or_else(|error| panic!("cannot read {SPEC_PATH}: {error}"));
        let spec: Value = serde_yaml::from_str(&text)
            .unwrap_or_else(|error| panic!("{SPEC_PATH} is not valid YAML: {error}"));
        let mut components = spec["components"].clone();
        forbid_undeclared_properties(&mut components);
        Self {
            spec,
            components,
            validators: HashMap::new(),
        }
    }

    /// Builds (once) a validator for `schema` with the strict components beside it, so `$ref`s resolve.
    fn validator(&mut self, schema: &Value) -> &Validator {
        let key = schema.to_string();
        let components = &self.components;
        self.validators.entry(key).or_insert_with(|| {
            let mut document = schema.clone();
            if let Some(object) = document.as_object_mut() {
                object.insert("components".to_owned(), components.clone());
            }
            jsonschema::draft202012::options()
                .should_validate_formats(true)
                .build(&document)
                .unwrap_or_else(|error| {
                    panic!("the spec's schema {schema} does not compile: {error}")
                })
        })
    }

    /// Returns the errors of `instance` against `schema`, one line each.
    fn errors(&mut self, schema: &Value, instance: &Value) -> Vec<String> {
        self.validator(schema)
            .iter_errors(instance)
            .map(|error| format!("{}: {error}", error.instance_path()))
            .collect()
    }

    fn schema_named(name: &str) -> Value {
        json!({ "$ref": format!("#/components/schemas/{name}") })
    }

    /// Returns the documented response for `status`: the exact code, else `4XX`/`5XX`, with `$ref`s followed.
    fn response_spec(&self, method: &str, template: &str, status: u16) -> Value {
        let responses = &self.spec["paths"][template][method]["responses"];
        assert!(
            responses.is_object(),
            "the spec has no operation {method} {template}"
        );
        let range = format!("{}XX", status / 100);
        let response = [status.to_string(), range]
            .iter()
            .find_map(|key| responses.get(key))
            .unwrap_or_else(|| {
                panic!("{method} {template} answered {status}, which the spec does not document")
            })
            .clone();
        match response["$ref"].as_str() {
            Some(reference) => {
                let name = reference.trim_start_matches("#/components/responses/");
                self.spec["components"]["responses"][name].clone()
            }
            None => response,
        }
    }
}

/// Adds `additionalProperties: false` to every object schema with `properties`
/// that does not state `additionalProperties`, so an undeclared field fails.
fn forbid_undeclared_properties(value: &mut Value) {
    match value {
        Value::Object(object) => {
            if object.contains_key("properties") && !object.contains_key("additionalProperties") {
                object.insert("additionalProperties".to_owned(), Value::Bool(false));
            }
            for child in object.values_mut() {
                forbid_undeclared_properties(child);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(forbid_undeclared_properties),
        _ => {}
    }
}

/// One operation of the spec and a concrete request for it.
#[derive(Clone, Copy)]
struct Operation {
    id: &'static str,
    method: &'static str,
    template: &'static str,
}

const OPERATIONS: [Operation; 10] = [
    Operation {
        id: "list_campaigns",
        method: "get",
        template: "/api/v1/campaigns",
    },
    Operation {
        id: "create_campaign",
        method: "post",
        template: "/api/v1/campaigns",
    },
    Operation {
        id: "get_campaign",
        method: "get",
        template: "/api/v1/campaigns/{campaign_id}",
    },
    Operation {
        id: "delete_campaign",
        method: "delete",
        template: "/api/v1/campaigns/{campaign_id}",
    },
    Operation {
        id: "start_campaign",
        method: "post",
        template: "/api/v1/campaigns/{campaign_id}/start",
    },
    Operation {
        id: "pause_campaign",
        method: "post",
        template: "/api/v1/campaigns/{campaign_id}/pause",
    },
    Operation {
        id: "resume_campaign",
        method: "post",
        template: "/api/v1/campaigns/{campaign_id}/resume",
    },
    Operation {
        id: "stop_campaign",
        method: "post",
        template: "/api/v1/campaigns/{campaign_id}/stop",
    },
    Operation {
        id: "list_campaign_contacts",
        method: "get",
        template: "/api/v1/campaigns/{campaign_id}/contacts",
    },
    Operation {
        id: "stream_campaign_events",
        method: "get",
        template: "/api/v1/campaigns/{campaign_id}/events",
    },
];

fn operation(id: &str) -> Operation {
    OPERATIONS
        .iter()
        .copied()
        .find(|operation| operation.id == id)
        .unwrap_or_else(|| panic!("no operation {id}"))
}

/// Sends requests, checks each response against the contract, and records what was covered.
struct Checker {
    contract: Contract,
    /// `(operation id, status, error code or "")` seen so far.
    covered: BTreeSet<(String, u16, String)>,
}

impl Checker {
    fn new() -> Self {
        Self {
            contract: Contract::load(),
            covered: BTreeSet::new(),
        }
    }

    fn request(
        hub: &TestHub,
        operation: Operation,
        campaign_id: &str,
        authorized: bool,
    ) -> RequestBuilder {
        let path = operation.template.replace("{campaign_id}", campaign_id);
        let url = hub.url(&path);
        let request = match operation.method {
            "get" => hub.client.get(url),
            "post" => hub.client.post(url),
            "delete" => hub.client.delete(url),
            other => panic!("no method {other}"),
        };
        if authorized {
            request.bearer_auth(hub.emulator.api_key())
        } else {
            request
        }
    }

    /// Sends `request` for `operation`, checks the response, and returns its status and JSON body.
    async fn call(&mut self, operation: Operation, request: RequestBuilder) -> (u16, Value) {
        let response = send(request).await;
        self.check(operation, response).await
    }

    async fn check(&mut self, operation: Operation, response: Response) -> (u16, Value) {
        let status = response.status().as_u16();
        let documented = self
            .contract
            .response_spec(operation.method, operation.template, status);
        let context = format!("{} answered {status}", operation.id);
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|value| value.to_str().ok())
                .unwrap_or_default()
                .to_owned()
        };

        let request_id = header("x-request-id");
        assert!(!request_id.is_empty(), "{context} without X-Request-Id");
        if status == 429 || status == 503 {
            assert!(
                !header("retry-after").is_empty(),
                "{context} without Retry-After"
            );
        }
        let content_type = header("content-type");

        let content = documented
            .get("content")
            .and_then(Value::as_object)
            .cloned();
        let Some(content) = content else {
            let body = response.text().await.unwrap_or_default();
            assert!(
                body.is_empty(),
                "{context} with a body where the spec documents none: {body}"
            );
            self.covered
                .insert((operation.id.to_owned(), status, String::new()));
            return (status, Value::Null);
        };

        if content.contains_key("text/event-stream") {
            assert_eq!(content_type, "text/event-stream", "{context}");
            self.check_event_stream(response).await;
            self.covered
                .insert((operation.id.to_owned(), status, String::new()));
            return (status, Value::Null);
        }

        let schema = content
            .get("application/json")
            .map(|media| media["schema"].clone())
            .unwrap_or_else(|| panic!("{context}: the spec documents no JSON body"));
        assert!(
            content_type.starts_with("application/json"),
            "{context} with content type {content_type:?}"
        );
        let text = response.text().await.unwrap_or_default();
        let body: Value = serde_json::from_str(&text)
            .unwrap_or_else(|error| panic!("{context} with invalid JSON ({error}): {text}"));
        let errors = self.contract.errors(&schema, &body);
        assert!(
            errors.is_empty(),
            "{context} with a body that breaks the spec:\n{}\nbody: {body}",
            errors.join("\n")
        );

        let code = if status >= 400 {
            body["code"].as_str().unwrap_or_default().to_owned()
        } else {
            String::new()
        };
        self.covered.insert((operation.id.to_owned(), status, code));
        (status, body)
    }

    /// Checks the stream's frames: `retry: 3000` first, consecutive ids from the
    /// first one, each event's data against its schema, and `end` last.
    async fn check_event_stream(&mut self, response: Response) {
        let read = read_sse(response).await;
        assert!(read.ended_cleanly, "the event stream broke: {}", read.raw);
        assert!(read.raw.starts_with("retry: 3000\n"), "{}", read.raw);
        let events = read.events();
        assert!(!events.is_empty(), "no events");

        let first_id = events.first().map(|(id, _, _)| *id).unwrap_or_default();
        for (offset, (id, name, data)) in events.iter().enumerate() {
            assert_eq!(
                *id,
                first_id + offset as u64,
                "event ids are not consecutive"
            );
            let schema_name = match name.as_str() {
                "progress" => "ProgressEvent",
                "contact" => "ContactEvent",
                "status" => "StatusEvent",
                "end" => "EndEvent",
                other => panic!("event name {other:?} is not in the spec"),
            };
            let errors = self
                .contract
                .errors(&Contract::schema_named(schema_name), data);
            assert!(
                errors.is_empty(),
                "{name} event {id} breaks {schema_name}:\n{}\ndata: {data}",
                errors.join("\n")
            );
        }
        assert_eq!(
            events.last().map(|(_, name, _)| name.as_str()),
            Some("end"),
            "end is not last"
        );
    }
}

async fn create_id(
    checker: &mut Checker,
    hub: &TestHub,
    csv: &str,
    fields: &[(&str, &str)],
) -> String {
    let create = operation("create_campaign");
    let request = Checker::request(hub, create, "", true).multipart(form(csv, fields));
    let (status, body) = checker.call(create, request).await;
    assert_eq!(status, 201, "{body}");
    body["id"].as_str().unwrap_or_default().to_owned()
}

async fn call_op(
    checker: &mut Checker,
    hub: &TestHub,
    id: &str,
    campaign_id: &str,
) -> (u16, Value) {
    let operation = operation(id);
    checker
        .call(
            operation,
            Checker::request(hub, operation, campaign_id, true),
        )
        .await
}

/// Successful responses of every operation, and bodies with every optional field.
async fn successes(checker: &mut Checker, hub: &TestHub) {
    assert_eq!(call_op(checker, hub, "list_campaigns", "").await.0, 200);

    let csv = "phone_number,name,city\n+15550100001,Ann,Oslo\n+15550100002,Bo,Rome\n+15550100003,Cy,Lima\n";
    let at = (chrono::Utc::now() + chrono::Duration::days(3650)).to_rfc3339();
    let scheduled = create_id(checker, hub, csv, &[("scheduled_at", &at)]).await;
    let (_, body) = call_op(checker, hub, "get_campaign", &scheduled).await;
    assert!(body["scheduled_at"].is_string());
    assert_eq!(
        call_op(checker, hub, "stop_campaign", &scheduled).await.0,
        200
    );
    assert_eq!(
        call_op(checker, hub, "delete_campaign", &scheduled).await.0,
        204
    );

    // Retries far apart, so the contacts wait with `next_attempt_at` set.
    let retrying = create_id(
        checker,
        hub,
        &contacts_csv(40),
        &[
            ("max_concurrent_calls", "40"),
            ("retries_per_contact", "2"),
            ("retry_delay_seconds", "86400"),
        ],
    )
    .await;
    assert_eq!(
        call_op(checker, hub, "start_campaign", &retrying).await.0,
        200
    );
    wait_until("first attempts to finish", || async {
        let campaign = hub.campaign(&retrying).await;
        let progress = &campaign["progress"];
        (progress["dialing"] == 0 && progress["in_progress"] == 0).then_some(())
    })
    .await;
    assert_eq!(
        call_op(checker, hub, "pause_campaign", &retrying).await.0,
        200
    );
    assert_eq!(
        call_op(checker, hub, "resume_campaign", &retrying).await.0,
        200
    );
    let (_, page) = call_op(checker, hub, "list_campaign_contacts", &retrying).await;
    assert!(page["items"].as_array().is_some_and(|items| items
        .iter()
        .any(|contact| contact["next_attempt_at"].is_string())));
    assert_eq!(
        call_op(checker, hub, "stop_campaign", &retrying).await.0,
        200
    );
    assert_eq!(
        call_op(checker, hub, "stream_campaign_events", &retrying)
            .await
            .0,
        200
    );

    let completed = create_id(
        checker,
        hub,
        csv,
        &[("retries_per_contact", "1"), ("retry_delay_seconds", "60")],
    )
    .await;
    call_op(checker, hub, "start_campaign", &completed).await;
    hub.wait_for_status(&completed, "completed").await;
    let (_, body) = call_op(checker, hub, "get_campaign", &completed).await;
    assert!(body["started_at"].is_string(), "{body}");
    assert!(body["ended_at"].is_string(), "{body}");
    let contacts = operation("list_campaign_contacts");
    let filtered = Checker::request(hub, contacts, &completed, true)
        .query(&[("status", "completed"), ("page", "0")]);
    assert_eq!(checker.call(contacts, filtered).await.0, 200);
    assert_eq!(
        call_op(checker, hub, "stream_campaign_events", &completed)
            .await
            .0,
        200
    );
    assert_eq!(call_op(checker, hub, "list_campaigns", "").await.0, 200);
}

/// 401 on every operation, 404 and 400 on every campaign operation.
async fn request_errors(checker: &mut Checker, hub: &TestHub) {
    for operation in OPERATIONS {
        let (status, _) = checker
            .call(
                operation,
                Checker::request(hub, operation, "cmp_0000000000000000", false),
            )
            .await;
        assert_eq!(status, 401, "{}", operation.id);
        if operation.template.contains("{campaign_id}") {
            assert_eq!(
                call_op(checker, hub, operation.id, "cmp_0000000000000000")
                    .await
                    .0,
                404,
                "{}",
                operation.id
            );
            assert_eq!(
                call_op(checker, hub, operation.id, "-bad-id").await.0,
                400,
                "{}",
                operation.id
            );
        }
    }

    let draft = create_id(checker, hub, &contacts_csv(2), &[]).await;
    let contacts = operation("list_campaign_contacts");
    for query in [("status", "answered"), ("page", "-1")] {
        let request = Checker::request(hub, contacts, &draft, true).query(&[query]);
        assert_eq!(checker.call(contacts, request).await.0, 400);
    }
    let events = operation("stream_campaign_events");
    let request = Checker::request(hub, events, &draft, true).header("Last-Event-ID", "latest");
    assert_eq!(checker.call(events, request).await.0, 400);
    let create = operation("create_campaign");
    let request = Checker::request(hub, create, "", true)
        .header("Idempotency-Key", "with space")
        .multipart(form(&contacts_csv(1), &[]));
    assert_eq!(checker.call(create, request).await.0, 400);
}

/// 409 `invalid_transition` and `campaign_running`, 413 and the three kinds of 422.
async fn conflicts_and_uploads(checker: &mut Checker, frozen: &TestHub) {
    let running = create_id(checker, frozen, &contacts_csv(3), &[]).await;
    assert_eq!(
        call_op(checker, frozen, "start_campaign", &running).await.0,
        200
    );
    for id in ["start_campaign", "resume_campaign"] {
        let (status, body) = call_op(checker, frozen, id, &running).await;
        assert_eq!(
            (status, body["code"].as_str()),
            (409, Some("invalid_transition"))
        );
    }
    let (status, body) = call_op(checker, frozen, "delete_campaign", &running).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (409, Some("campaign_running"))
    );
    assert_eq!(
        call_op(checker, frozen, "pause_campaign", &running).await.0,
        200
    );
    let (status, _) = call_op(checker, frozen, "pause_campaign", &running).await;
    assert_eq!(status, 409);
    call_op(checker, frozen, "stop_campaign", &running).await;
    let (status, _) = call_op(checker, frozen, "stop_campaign", &running).await;
    assert_eq!(status, 409);

    let create = operation("create_campaign");
    // Each case: the CSV, one form field to override, and the expected 422 code.
    let cases = [
        (
            "phone_number\n+15550100001\n",
            ("max_concurrent_calls", "0"),
            "invalid_request",
        ),
        (
            "phone,name\n+15550100001,Ann\n",
            ("name", "n"),
            "invalid_csv",
        ),
        ("phone_number\nnot-a-number\n", ("name", "n"), "invalid_csv"),
    ];
    for (csv, field, expected_code) in cases {
        let request = Checker::request(frozen, create, "", true).multipart(form(csv, &[field]));
        let (status, body) = checker.call(create, request).await;
        assert_eq!(
            (status, body["code"].as_str()),
            (422, Some(expected_code)),
            "{body}"
        );
    }

    let first = Checker::request(frozen, create, "", true)
        .header("Idempotency-Key", "contract-key")
        .multipart(form(&contacts_csv(2), &[]));
    assert_eq!(checker.call(create, first).await.0, 201);
    let replay = Checker::request(frozen, create, "", true)
        .header("Idempotency-Key", "contract-key")
        .multipart(form(&contacts_csv(2), &[]));
    assert_eq!(checker.call(create, replay).await.0, 201);
    let reused = Checker::request(frozen, create, "", true)
        .header("Idempotency-Key", "contract-key")
        .multipart(form(&contacts_csv(3), &[]));
    let (status, body) = checker.call(create, reused).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (422, Some("idempotency_key_reused"))
    );

    // The frozen emulator accepts at most 4096 bytes of CSV.
    let too_large =
        Checker::request(frozen, create, "", true).multipart(form(&contacts_csv(300), &[]));
    let (status, body) = checker.call(create, too_large).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (413, Some("payload_too_large"))
    );
}

/// 429, 500 and 503 through fault injection, on every operation.
async fn injected_failures(checker: &mut Checker, hub: &TestHub) {
    let id = create_id(checker, hub, &contacts_csv(2), &[]).await;
    for (status, retry_after) in [(429, Some("2")), (500, None), (503, Some("5"))] {
        for operation in OPERATIONS {
            hub.emulator
                .faults()
                .fail_next(1, status, retry_after.map(str::to_owned));
            let mut request = Checker::request(hub, operation, &id, true);
            if operation.id == "create_campaign" {
                request = request.multipart(form(&contacts_csv(1), &[]));
            }
            let (answered, _) = checker.call(operation, request).await;
            assert_eq!(answered, status, "{}", operation.id);
        }
    }
}

fn assert_covered(covered: &BTreeSet<(String, u16, String)>) {
    let mut required: Vec<(&str, u16, &str)> = vec![
        ("list_campaigns", 200, ""),
        ("create_campaign", 201, ""),
        ("get_campaign", 200, ""),
        ("delete_campaign", 204, ""),
        ("start_campaign", 200, ""),
        ("pause_campaign", 200, ""),
        ("resume_campaign", 200, ""),
        ("stop_campaign", 200, ""),
        ("list_campaign_contacts", 200, ""),
        ("stream_campaign_events", 200, ""),
        ("list_campaign_contacts", 400, "invalid_request"),
        ("stream_campaign_events", 400, "invalid_request"),
        ("create_campaign", 400, "invalid_request"),
        ("start_campaign", 409, "invalid_transition"),
        ("pause_campaign", 409, "invalid_transition"),
        ("resume_campaign", 409, "invalid_transition"),
        ("stop_campaign", 409, "invalid_transition"),
        ("delete_campaign", 409, "campaign_running"),
        ("create_campaign", 413, "payload_too_large"),
        ("create_campaign", 422, "invalid_request"),
        ("create_campaign", 422, "invalid_csv"),
        ("create_campaign", 422, "idempotency_key_reused"),
    ];
    for operation in OPERATIONS {
        required.push((operation.id, 401, "unauthorized"));
        required.push((operation.id, 429, "rate_limited"));
        required.push((operation.id, 500, "internal"));
        required.push((operation.id, 503, "unavailable"));
        if operation.template.contains("{campaign_id}") {
            required.push((operation.id, 400, "invalid_request"));
            required.push((operation.id, 404, "not_found"));
        }
    }
    let missing: Vec<_> = required
        .iter()
        .filter(|(id, status, code)| {
            !covered.contains(&((*id).to_owned(), *status, (*code).to_owned()))
        })
        .collect();
    assert!(missing.is_empty(), "responses never checked: {missing:?}");
}

#[tokio::test]
async fn every_response_matches_spec() {
    let mut checker = Checker::new();
    // At time scale 1000 first attempts take at most 0.2 s and a retry delay of 86400 s is 86 s.
    let hub = start(EmulatorConfig::default().time_scale(1000.0)).await;
    let frozen = start(
        EmulatorConfig::default()
            .time_scale(0.001)
            .max_upload_bytes(4096),
    )
    .await;

    successes(&mut checker, &hub).await;
    request_errors(&mut checker, &hub).await;
    conflicts_and_uploads(&mut checker, &frozen).await;
    injected_failures(&mut checker, &hub).await;

    assert_covered(&checker.covered);
}

#[tokio::test]
async fn unknown_route_matches_error_schema() {
    let mut contract = Contract::load();
    let hub = start(fast_config()).await;
    let response = send(hub.get("/api/v1/unknown")).await;
    assert_eq!(response.status().as_u16(), 404);
    assert!(response.headers().contains_key("x-request-id"));
    let body: Value = response.json().await.unwrap_or_default();
    assert!(
        contract
            .errors(&Contract::schema_named("Error"), &body)
            .is_empty(),
        "{body}"
    );
}

#[test]
fn validator_rejects_wrong_bodies() {
    let mut contract = Contract::load();
    let progress = json!({
        "total": 1, "pending": 1, "dialing": 0, "in_progress": 0, "completed": 0,
        "no_answer": 0, "busy": 0, "failed": 0, "cancelled": 0
    });
    let campaign = json!({
        "id": "cmp_0123456789abcdef", "name": "n", "agent_id": "a", "phone_number_id": "p",
        "status": "draft", "max_concurrent_calls": 5, "retries_per_contact": 0,
        "retry_delay_seconds": 300, "progress": progress,
        "created_at": "2030-01-01T00:00:00.000Z", "updated_at": "2030-01-01T00:00:00.000Z"
    });
    let schema = Contract::schema_named("Campaign");
    assert!(
        contract.errors(&schema, &campaign).is_empty(),
        "the valid example is rejected"
    );

    let mut undeclared = campaign.clone();
    undeclared["surprise"] = json!(true);
    assert!(
        !contract.errors(&schema, &undeclared).is_empty(),
        "an undeclared field passed"
    );

    let mut nested_undeclared = campaign.clone();
    nested_undeclared["progress"]["answered"] = json!(1);
    assert!(
        !contract.errors(&schema, &nested_undeclared).is_empty(),
        "an undeclared progress field passed"
    );

    let mut missing = campaign.clone();
    if let Some(object) = missing.as_object_mut() {
        object.remove("progress");
    }
    assert!(
        !contract.errors(&schema, &missing).is_empty(),
        "a missing required field passed"
    );

    let mut bad_status = campaign.clone();
    bad_status["status"] = json!("finished");
    assert!(
        !contract.errors(&schema, &bad_status).is_empty(),
        "an unknown status passed"
    );

    let mut bad_time = campaign;
    bad_time["created_at"] = json!("yesterday");
    assert!(
        !contract.errors(&schema, &bad_time).is_empty(),
        "an invalid date-time passed"
    );

    let error = Contract::schema_named("Error");
    assert!(contract
        .errors(
            &error,
            &json!({ "code": "x", "message": "m", "details": { "any": [1] } })
        )
        .is_empty());
    assert!(!contract
        .errors(&error, &json!({ "code": 404, "message": "m" }))
        .is_empty());
    assert!(!contract
        .errors(&error, &json!({ "code": "x", "message": "m", "hint": "h" }))
        .is_empty());

    let contact = Contract::schema_named("Contact");
    let mut body = json!({
        "id": "ct_1", "phone_number": "+1", "status": "pending", "attempts": 0,
        "custom_fields": { "city": "Oslo" },
        "created_at": "2030-01-01T00:00:00Z", "updated_at": "2030-01-01T00:00:00Z"
    });
    assert!(contract.errors(&contact, &body).is_empty());
    body["custom_fields"]["age"] = json!(42);
    assert!(
        !contract.errors(&contact, &body).is_empty(),
        "a number in custom_fields passed"
    );
}
