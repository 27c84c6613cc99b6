//! Payloads of no event source the function knows, or of the wrong types, or not JSON at all:
//! each a named error (what the event is, which field, which limit).

use crate::common::fixture;
use crate::support::parse_error;
use deployment_circuit_breaker::signal::parse_bytes;
use serde_json::json;

// --- Shapes that are not triggers ---

#[test]
fn unknown_shapes_are_named_errors() {
    let cases = [
        (json!(null), "the event is null, not a JSON object"),
        (json!([1, 2]), "the event is an array, not a JSON object"),
        (json!({}), "unrecognised event (keys: none)"),
        (json!({"Records": []}), "`Records` is empty"),
        (
            json!({"Records": "x"}),
            "`Records` is a string, not an array",
        ),
        (
            json!({"Records": [{"eventSource": "aws:s3"}]}),
            "event source `aws:s3`",
        ),
        (
            fixture("crate-example-codedeploy-lifecycle-event.json"),
            "a CodeDeploy lifecycle hook: the breaker does not answer hooks; name the gate",
        ),
        (
            fixture("crate-example-sns-subscription-confirmation.json"),
            "unrecognised event",
        ),
    ];
    for (event, expected) in cases {
        let error = parse_error(&event);
        assert!(error.contains(expected), "{event}: {error}");
    }
}

#[test]
fn wrong_types_name_the_field() {
    let mut event = fixture("aws-docs-eventbridge-cloudwatch-alarm-state-change-metric.json");
    event["detail"]["state"]["value"] = json!(3);
    let error = parse_error(&event);
    assert!(
        error.contains("`detail`: field `state.value`: invalid type: integer `3`"),
        "{error}"
    );

    let mut action = fixture("aws-docs-lambda-alarm-action-metric-alarm.json");
    action["alarmData"]
        .as_object_mut()
        .unwrap()
        .remove("alarmName");
    let error = parse_error(&action);
    assert!(
        error.contains("CloudWatch alarm action: field `alarmData`: missing field `alarmName`"),
        "{error}"
    );

    let mut sns = fixture("captured-sns-lambda-event-cloudwatch-metric-alarm-real-2021.json");
    sns["Records"][0]["Sns"]
        .as_object_mut()
        .unwrap()
        .remove("Message");
    let error = parse_error(&sns);
    assert!(
        error.contains("SNS event: field `Records[0].Sns`: missing field `Message`"),
        "{error}"
    );
}

// --- Raw bytes ---

#[test]
fn undecodable_events_of_other_kinds_are_clear_errors() {
    for (bytes, expected) in [
        (b"stop everything".to_vec(), "the event is not valid JSON"),
        (
            b"{\"deploymentId\": \"\xff\"}".to_vec(),
            "the event is not valid JSON",
        ),
        ("[".repeat(100_000).into_bytes(), "recursion limit"),
    ] {
        let error = parse_bytes(&bytes).unwrap_err();
        assert!(error.0.contains(expected), "{error}");
    }
}
