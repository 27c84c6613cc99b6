//! Payload in → normalised signals.
//!
//! One invocation payload is recognised by its shape (SQS or SNS `Records`, an EventBridge event,
//! a CloudWatch alarm action, a kill switch) and turned into [`Signal`]s, or into [`NotActed`]
//! entries for payloads that never call for action (plain-text SNS messages, alarm configuration
//! changes). Messages nested as JSON strings (SNS `Message`, SQS `body`) are unwrapped. Parsing is
//! lenient where AWS is inconsistent (null descriptions, missing `Trigger`, human-readable
//! regions, upper-case statuses, tags as objects or key/value lists, timestamps in several
//! forms) and strict about what it acts on: deployment IDs, explicit regions and the source of
//! EventBridge events must be well-formed.
//!
//! One submodule per payload kind, nested as AWS nests them: [`sqs`] and [`sns`] envelopes,
//! [`eventbridge`] events, [`alarm`] payloads, [`codedeploy`] messages, the [`kill_switch`] (also
//! through the [`function_url`]);
//! [`fields`] has the helpers they share.

mod alarm;
mod codedeploy;
mod eventbridge;
mod fields;
mod function_url;
mod kill_switch;
mod message;
mod model;
mod sns;
mod sqs;

use serde_json::Value;

use fields::{as_object, error, keys};

pub use model::{
    Alarm, CodeDeployEvent, Item, KillSwitch, ParseError, Parsed, Scope, Signal, SqsRecord, Target,
    UrlRequest, Via, What,
};

/// Parses an invocation payload as the runtime receives it: bytes. An SQS batch is decoded
/// record by record when the whole cannot be, so one undecodable record (invalid UTF-8, nesting
/// past the decoder's limit) fails only itself.
pub fn parse_bytes(bytes: &[u8]) -> Result<Parsed, ParseError> {
    match serde_json::from_slice::<Value>(bytes) {
        Ok(event) => parse(&event),
        Err(e) => sqs::parse_undecodable(bytes)
            .unwrap_or_else(|| Err(error(format!("the event is not valid JSON: {e}")))),
    }
}

/// Parses one invocation payload.
pub fn parse(event: &Value) -> Result<Parsed, ParseError> {
    let object = as_object(event, "the event")?;
    if let Some(records) = object.get("Records") {
        return parse_records(event, records);
    }
    if object.contains_key("check") {
        return Err(error(
            "a readiness check: the breaker does not run it; invoke the readiness check \
             function (ReadinessCheckFunction, the readiness-check binary) with \
             {\"check\": true} instead",
        ));
    }
    if function_url::is_request(event) {
        return function_url::parse(event);
    }
    if object.contains_key("LifecycleEventHookExecutionId") {
        return Err(error(
            "a CodeDeploy lifecycle hook: the breaker does not answer hooks; name the gate \
             (the CodeDeployHook_<stack> function, the codedeploy-hook binary) in the AppSpec's \
             Hooks instead",
        ));
    }
    let item = if object.contains_key("detail-type") {
        eventbridge::event(event, "EventBridge event")?
    } else if object.contains_key("alarmData") {
        alarm::action(event)?
    } else if object.contains_key("deploymentId") || object.contains_key("applicationName") {
        kill_switch::parse(event)?
    } else {
        return Err(error(format!(
            "unrecognised event (keys: {}): not an SQS or SNS batch (`Records`), an EventBridge \
             event (`detail-type`), a CloudWatch alarm action (`alarmData`), or a kill switch \
             (`deploymentId` or `applicationName`)",
            keys(object)
        )));
    };
    Ok(Parsed::Direct(vec![item]))
}

fn parse_records(event: &Value, records: &Value) -> Result<Parsed, ParseError> {
    let first = records
        .as_array()
        .ok_or_else(|| {
            error(format!(
                "`Records` is {}, not an array",
                fields::json_kind(records)
            ))
        })?
        .first()
        .ok_or_else(|| error("`Records` is empty"))?;
    match sqs::event_source(first) {
        Some("aws:sqs") => sqs::parse(event),
        Some("aws:sns") => sns::parse(event),
        other => Err(error(format!(
            "`Records[0]` has event source {}; expected aws:sqs or aws:sns",
            other.map_or("(none)".to_string(), |s| format!("`{s}`"))
        ))),
    }
}
