//! EventBridge `PutEvents` (JSON 1.1): entries validated as EventBridge does (at most 10, each
//! with a source, a detail-type and a JSON object as detail), IAM on the bus's ARN, and entries
//! it can reject one by one (`FailedEntryCount`).

use serde::Serialize;
use serde_json::{json, Value};

use crate::server::{client_error, ApiError};
use crate::{string_field, Caller, State};

/// PutEvents takes at most this many entries.
const ENTRIES_LIMIT: usize = 10;

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

impl State {
    /// Serves `PutEvents` in the caller's account.
    pub(crate) fn put_events(
        &mut self,
        caller: &Caller,
        operation: &str,
        region: &str,
        body: &Value,
    ) -> Result<Value, ApiError> {
        if operation != "PutEvents" {
            return Err(client_error(
                "UnknownOperationException",
                format!("the fake does not serve operation `{operation}`"),
            ));
        }
        let entries = body["Entries"].as_array().map_or(&[][..], Vec::as_slice);
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
        let account = caller.account.clone();
        let bus_arn = |entry: &Value| match string_field(entry, "EventBusName") {
            Some(arn) if arn.starts_with("arn:") => arn.to_string(),
            name => format!(
                "arn:aws:events:{region}:{account}:event-bus/{}",
                name.unwrap_or("default")
            ),
        };
        let buses: Vec<String> = entries.iter().map(bus_arn).collect();
        for bus in &buses {
            self.authorize(caller, "events:PutEvents", bus, &account, region)?;
        }
        let mut results = Vec::new();
        let mut failed = 0;
        for (entry, bus) in entries.iter().zip(buses) {
            let detail = string_field(entry, "Detail")
                .and_then(|d| serde_json::from_str::<Value>(d).ok())
                .filter(Value::is_object);
            let source = string_field(entry, "Source").filter(|s| !s.is_empty());
            let detail_type = string_field(entry, "DetailType").filter(|s| !s.is_empty());
            let rejected = self.rejections.pop_front();
            match (source, detail_type, detail, rejected) {
                (_, _, _, Some(code)) => {
                    failed += 1;
                    results
                        .push(json!({"ErrorCode": code, "ErrorMessage": "rejected by the fake"}));
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
                    results.push(json!({ "EventId": id }));
                }
                (None, _, _, None) | (_, None, _, None) => {
                    failed += 1;
                    results.push(json!({"ErrorCode": "InvalidArgument",
                        "ErrorMessage": "Parameter Source and DetailType are required."}));
                }
                (_, _, None, None) => {
                    failed += 1;
                    results.push(json!({"ErrorCode": "MalformedDetail",
                        "ErrorMessage": "Detail is malformed."}));
                }
            }
        }
        Ok(json!({ "FailedEntryCount": failed, "Entries": results }))
    }
}

/// PutEvents takes at most 256 KB of entries a request.
const REQUEST_BYTES_LIMIT: usize = 256 * 1024;

/// An entry's size as EventBridge counts it: 14 bytes for the time, and the bytes of its
/// source, detail type, detail and resources.
fn entry_size(entry: &Value) -> usize {
    let text = |field: &str| string_field(entry, field).map_or(0, str::len);
    let resources: usize = entry["Resources"].as_array().map_or(0, |r| {
        r.iter().filter_map(Value::as_str).map(str::len).sum()
    });
    14 + text("Source") + text("DetailType") + text("Detail") + resources
}
