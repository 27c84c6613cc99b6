//! EventBridge `PutEvents` (JSON 1.1): entries validated as EventBridge does (at most 10, each
//! with a source, a detail-type and a JSON object as detail), IAM on the bus's ARN, and entries
//! it can reject one by one (`FailedEntryCount`); its state: the events put, and the
//! rejections waiting for entries.

use std::collections::VecDeque;

use serde::Serialize;
use serde_json::{json, Value};

use crate::protocol::{client_error, ApiError};
use crate::{string_field, FakeAws, Input, State};

/// PutEvents takes at most this many entries.
const ENTRIES_LIMIT: usize = 10;
/// PutEvents takes at most 256 KB of entries a request.
const REQUEST_BYTES_LIMIT: usize = 256 * 1024;

/// An event EventBridge accepted.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Event {
    /// The bus's ARN.
    pub bus: String,
    pub source: String,
    pub detail_type: String,
    pub detail: Value,
    pub resources: Vec<String>,
}

/// EventBridge's state: the events put, and the rejections waiting for entries.
#[derive(Default)]
pub(crate) struct EventBridge {
    pub(crate) events: Vec<Event>,
    /// Error codes for the next PutEvents entries to reject.
    pub(crate) rejections: VecDeque<String>,
}

impl FakeAws {
    /// The events put on a bus so far (rejected entries excluded), in order.
    pub fn events(&self) -> Vec<Event> {
        self.lock().events.events.clone()
    }
}

/// `PutEvents`, in the caller's account: each entry accepted or rejected on its own.
pub(crate) fn put_events(state: &mut State, input: &Input) -> Result<Value, ApiError> {
    let entries = input.body["Entries"]
        .as_array()
        .map_or(&[][..], Vec::as_slice);
    validate(entries)?;
    let account = input.account();
    let bus_arn = |entry: &Value| match string_field(entry, "EventBusName") {
        Some(arn) if arn.starts_with("arn:") => arn.to_string(),
        name => format!(
            "arn:aws:events:{}:{account}:event-bus/{}",
            input.region,
            name.unwrap_or("default")
        ),
    };
    let buses: Vec<String> = entries.iter().map(bus_arn).collect();
    for bus in &buses {
        input
            .caller
            .authorize("events:PutEvents", bus, account, input.region)?;
    }
    let events = &mut state.events;
    let results: Vec<Value> = entries
        .iter()
        .zip(buses)
        .map(|(entry, bus)| events.put(entry, bus))
        .collect();
    let failed = results
        .iter()
        .filter(|r| r.get("ErrorCode").is_some())
        .count();
    Ok(json!({ "FailedEntryCount": failed, "Entries": results }))
}

/// The request's validation errors: too few or too many entries, or too many bytes.
fn validate(entries: &[Value]) -> Result<(), ApiError> {
    if entries.is_empty() || entries.len() > ENTRIES_LIMIT {
        return Err(client_error(
            "ValidationException",
            format!(
                "1 validation error detected: Value at 'entries' failed to satisfy \
                 constraint: Member must have length between 1 and {ENTRIES_LIMIT}"
            ),
        ));
    }
    let size: usize = entries.iter().map(entry_size).sum();
    if size > REQUEST_BYTES_LIMIT {
        return Err(client_error(
            "ValidationException",
            format!(
                "Total size of the entries in the request is over the limit \
                 ({size} > {REQUEST_BYTES_LIMIT} bytes)"
            ),
        ));
    }
    Ok(())
}

impl EventBridge {
    /// Puts one entry on `bus`, unless a rejection waits or it is invalid: its result.
    fn put(&mut self, entry: &Value, bus: String) -> Value {
        let detail = string_field(entry, "Detail")
            .and_then(|d| serde_json::from_str::<Value>(d).ok())
            .filter(Value::is_object);
        let source = string_field(entry, "Source").filter(|s| !s.is_empty());
        let detail_type = string_field(entry, "DetailType").filter(|s| !s.is_empty());
        let rejected = self.rejections.pop_front();
        match (source, detail_type, detail, rejected) {
            (_, _, _, Some(code)) => {
                json!({"ErrorCode": code, "ErrorMessage": "rejected by the fake"})
            }
            (Some(source), Some(detail_type), Some(detail), None) => {
                let resources = entry["Resources"]
                    .as_array()
                    .map(|r| {
                        r.iter()
                            .filter_map(|v| v.as_str().map(String::from))
                            .collect()
                    })
                    .unwrap_or_default();
                self.events.push(Event {
                    bus,
                    source: source.into(),
                    detail_type: detail_type.into(),
                    detail,
                    resources,
                });
                let id = format!("00000000-0000-0000-0000-{:012}", self.events.len());
                json!({ "EventId": id })
            }
            (None, _, _, None) | (_, None, _, None) => json!({"ErrorCode": "InvalidArgument",
                "ErrorMessage": "Parameter Source and DetailType are required."}),
            (_, _, None, None) => json!({"ErrorCode": "MalformedDetail",
                "ErrorMessage": "Detail is malformed."}),
        }
    }
}

/// An entry's size as EventBridge counts it: 14 bytes for the time, and the bytes of its
/// source, detail type, detail and resources.
fn entry_size(entry: &Value) -> usize {
    let text = |field: &str| string_field(entry, field).map_or(0, str::len);
    let resources: usize = entry["Resources"].as_array().map_or(0, |r| {
        r.iter().filter_map(Value::as_str).map(str::len).sum()
    });
    14 + text("Source") + text("DetailType") + text("Detail") + resources
}
