//! SQS Lambda events: SNS envelopes, EventBridge events and raw messages in record bodies, and
//! records that fail alone (bad bodies, invalid UTF-8, nesting past the decoder's limit).

use crate::common::fixture;
use crate::support::{fixture_text, sns_envelope, sqs_event, sqs_records};
use deployment_circuit_breaker::signal::{parse_bytes, Item, Parsed, Signal, What};
use serde_json::{json, Value};

// --- SQS envelopes ---

#[test]
fn sqs_carries_sns_envelopes_eventbridge_events_and_raw_messages() {
    let alarm_message = fixture_text("captured-sns-message-cloudwatch-metric-alarm-real-2021.json");
    let trigger = fixture_text("captured-sns-message-codedeploy-trigger-deployment-real-2016.json");
    let bodies = vec![
        sns_envelope(&alarm_message, "us-east-1"),
        fixture_text("aws-docs-eventbridge-cloudwatch-alarm-state-change-metric.json"),
        alarm_message.clone(),
        sns_envelope(&trigger, "us-east-1"),
        sns_envelope(
            "Your AWS CodeDeploy trigger is able to send notifications.",
            "us-east-1",
        ),
    ];
    let records = sqs_records(&sqs_event(&bodies));
    assert_eq!(records.len(), 5);
    let signal = |i: usize| match &records[i].1 {
        Ok(item) => item.clone(),
        other => panic!("record {i}: {other:?}"),
    };
    let Item::Signal(Signal {
        what: What::Alarm(a),
        ..
    }) = signal(0)
    else {
        panic!()
    };
    assert_eq!(
        a.name,
        "if-sim-app_427809481713_us-east-1-metric_emitting_node_failure"
    );
    let Item::Signal(Signal {
        what: What::Alarm(b),
        ..
    }) = signal(1)
    else {
        panic!()
    };
    assert_eq!(b.name, "ServerCpuTooHigh");
    let Item::Signal(Signal {
        what: What::Alarm(c),
        ..
    }) = signal(2)
    else {
        panic!()
    };
    assert_eq!(c, a, "raw delivery parses like the envelope");
    let Item::Signal(Signal {
        what: What::CodeDeploy(d),
        ..
    }) = signal(3)
    else {
        panic!()
    };
    assert_eq!(d.deployment_id, "d-123ABC456");
    assert!(matches!(signal(4), Item::Ignored(_)));
    assert_eq!(records[4].0, "msg-4");
}

#[test]
fn sqs_sns_envelope_region_comes_from_the_topic_when_the_message_has_none() {
    let message = fixture("captured-sns-lambda-event-cloudwatch-alarm-real-2016-legacy.json")
        ["Records"][0]["Sns"]["Message"]
        .as_str()
        .unwrap()
        .to_string();
    let records = sqs_records(&sqs_event(&[sns_envelope(&message, "eu-north-1")]));
    let Ok(Item::Signal(Signal {
        what: What::Alarm(a),
        ..
    })) = &records[0].1
    else {
        panic!("{records:?}")
    };
    assert_eq!(a.region.as_deref(), Some("eu-north-1"));
}

#[test]
fn sqs_bad_records_fail_alone() {
    let good = fixture_text("aws-docs-eventbridge-cloudwatch-alarm-state-change-metric.json");
    let records = sqs_records(&sqs_event(&[
        "Message Body".into(),
        good,
        r#"{"a":"Test","b":123}"#.into(),
        fixture_text("crate-example-sns-subscription-confirmation.json"),
    ]));
    assert!(records[0]
        .1
        .as_ref()
        .unwrap_err()
        .contains("SQS message msg-0 `body` is not JSON"));
    assert!(records[1].1.is_ok());
    assert!(records[2].1.as_ref().unwrap_err().contains("keys: a, b"));
    assert!(
        matches!(&records[3].1, Ok(Item::Ignored(i)) if i.signal == "SNS SubscriptionConfirmation")
    );
}

#[test]
fn sqs_crate_examples() {
    let records = sqs_records(&fixture("crate-example-sqs-event.json"));
    assert_eq!(records[0].0, "MessageID_1");
    assert!(records[0].1.as_ref().unwrap_err().contains("not JSON"));
    let records = sqs_records(&fixture("crate-example-sqs-event-obj.json"));
    assert!(records[0]
        .1
        .as_ref()
        .unwrap_err()
        .contains("not a CloudWatch alarm notification"));
}

// --- Raw bytes ---

#[test]
fn an_undecodable_sqs_record_fails_alone() {
    let good = fixture("aws-docs-eventbridge-cloudwatch-alarm-state-change-metric.json");
    let event = sqs_event(&[good.to_string(), "PLACEHOLDER".into(), good.to_string()]);
    let text = event.to_string();
    let mut bytes = text.into_bytes();
    // Invalid UTF-8 inside the second record's body.
    let at = bytes.windows(11).position(|w| w == b"PLACEHOLDER").unwrap();
    bytes.splice(at..at + 11, [b'b', 0xff, 0xfe]);
    assert!(serde_json::from_slice::<Value>(&bytes).is_err());

    let Ok(Parsed::Sqs(records)) = parse_bytes(&bytes) else {
        panic!("an SQS batch")
    };
    let ids: Vec<&str> = records.iter().map(|r| r.message_id.as_str()).collect();
    assert_eq!(ids, vec!["msg-0", "msg-1", "msg-2"]);
    assert!(records[0].item.is_ok());
    let error = records[1].item.as_ref().unwrap_err();
    assert!(
        error.0.contains("SQS message msg-1 is not valid UTF-8"),
        "{error}"
    );
    assert!(records[2].item.is_ok());
}

#[test]
fn an_sqs_record_nested_too_deep_fails_alone() {
    let good = fixture("aws-docs-eventbridge-cloudwatch-alarm-state-change-metric.json");
    let mut event = sqs_event(&[good.to_string(), good.to_string()]);
    event["Records"][1]["messageAttributes"] = json!({"deep": "PLACEHOLDER"});
    let deep = format!("{}{}", "[".repeat(1000), "]".repeat(1000));
    let bytes = event.to_string().replace("\"PLACEHOLDER\"", &deep);
    assert!(serde_json::from_str::<Value>(&bytes).is_err());

    let Ok(Parsed::Sqs(records)) = parse_bytes(bytes.as_bytes()) else {
        panic!("an SQS batch")
    };
    assert!(records[0].item.is_ok());
    let error = records[1].item.as_ref().unwrap_err();
    assert!(
        error.0.contains("msg-1 cannot be decoded: recursion limit"),
        "{error}"
    );
}
