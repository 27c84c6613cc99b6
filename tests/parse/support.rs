//! Shared by this binary's tests: what a payload parses to (one item, an alarm, a CodeDeploy
//! event, an error, …), the values expected of it, and SNS and SQS events wrapped around a
//! message.

use std::collections::BTreeMap;

use crate::common::{fixture, sqs};
use deployment_circuit_breaker::signal::{
    parse, Alarm, CodeDeployEvent, Item, Parsed, Scope, Signal, What,
};
use deployment_circuit_breaker::time::Time;
use deployment_circuit_breaker::types::{EventKind, NotActed};
use serde_json::{json, Value};

pub fn fixture_text(name: &str) -> String {
    fixture(name).to_string()
}

pub fn direct(event: &Value) -> Vec<Item> {
    match parse(event) {
        Ok(Parsed::Direct(items)) => items,
        other => panic!("expected a direct payload, got {other:?}"),
    }
}

pub fn one(event: &Value) -> Item {
    let mut items = direct(event);
    assert_eq!(items.len(), 1, "{items:?}");
    items.remove(0)
}

pub fn alarm(event: &Value) -> Alarm {
    match one(event) {
        Item::Signal(Signal {
            what: What::Alarm(alarm),
            ..
        }) => alarm,
        other => panic!("expected an alarm, got {other:?}"),
    }
}

pub fn codedeploy(event: &Value) -> CodeDeployEvent {
    match one(event) {
        Item::Signal(Signal {
            what: What::CodeDeploy(event),
            ..
        }) => event,
        other => panic!("expected a CodeDeploy event, got {other:?}"),
    }
}

pub fn ignored(event: &Value) -> NotActed {
    match one(event) {
        Item::Ignored(ignored) => ignored,
        other => panic!("expected an ignored item, got {other:?}"),
    }
}

pub fn parse_error(event: &Value) -> String {
    match parse(event) {
        Err(e) => e.0,
        Ok(payload) => panic!("expected an error, got {payload:?}"),
    }
}

pub fn expected_alarm(
    name: &str,
    state: &str,
    previous: Option<&str>,
    region: Option<&str>,
) -> Alarm {
    Alarm {
        name: name.into(),
        state: state.into(),
        previous_state: previous.map(Into::into),
        region: region.map(Into::into),
        tags: BTreeMap::new(),
        deployment_ids: vec![],
        actions_suppressed_by: None,
        previous_actions_suppressed_by: None,
    }
}

pub fn expected_event(
    id: &str,
    scope: Scope,
    state: &str,
    kind: Option<EventKind>,
    region: &str,
) -> CodeDeployEvent {
    CodeDeployEvent {
        deployment_id: id.into(),
        scope,
        state: state.into(),
        kind,
        region: Some(region.into()),
    }
}

/// An SNS Lambda event delivering `message` from a topic in `region`.
pub fn sns_event(message: &str, region: &str) -> Value {
    json!({"Records": [{
        "EventSource": "aws:sns",
        "EventVersion": "1.0",
        "EventSubscriptionArn": format!("arn:aws:sns:{region}:123456789012:alerts:0000"),
        "Sns": {
            "Type": "Notification",
            "MessageId": "11111111-1111-1111-1111-111111111111",
            "TopicArn": format!("arn:aws:sns:{region}:123456789012:alerts"),
            "Subject": "ALARM",
            "Message": message,
            "Timestamp": "2026-11-27T01:00:00.000Z",
            "SignatureVersion": "1",
            "Signature": "EXAMPLE",
            "SigningCertUrl": "EXAMPLE",
            "UnsubscribeUrl": "EXAMPLE",
            "MessageAttributes": {}
        }
    }]})
}

/// An SQS Lambda event with one record (`msg-0`, `msg-1`, …) per body.
pub fn sqs_event(bodies: &[String]) -> Value {
    sqs(&bodies
        .iter()
        .cloned()
        .map(Value::String)
        .collect::<Vec<_>>())
}

/// The SNS JSON document SQS receives from a topic without raw delivery.
pub fn sns_envelope(message: &str, region: &str) -> String {
    json!({
        "Type": "Notification",
        "MessageId": "22222222-2222-2222-2222-222222222222",
        "TopicArn": format!("arn:aws:sns:{region}:123456789012:alerts"),
        "Subject": "ALARM",
        "Message": message,
        "Timestamp": "2026-11-27T01:00:00.000Z",
        "SignatureVersion": "1",
        "Signature": "EXAMPLE",
        "SigningCertURL": "EXAMPLE",
        "UnsubscribeURL": "EXAMPLE"
    })
    .to_string()
}

pub fn sqs_records(event: &Value) -> Vec<(String, Result<Item, String>)> {
    match parse(event) {
        Ok(Parsed::Sqs(records)) => records
            .into_iter()
            .map(|r| (r.message_id, r.item.map_err(|e| e.0)))
            .collect(),
        other => panic!("expected an SQS payload, got {other:?}"),
    }
}

pub fn signal_of(event: &Value) -> Signal {
    match one(event) {
        Item::Signal(signal) => signal,
        other => panic!("expected a signal, got {other:?}"),
    }
}

pub fn at(text: &str) -> Option<Time> {
    Some(Time::parse(text).expect("a valid time"))
}
