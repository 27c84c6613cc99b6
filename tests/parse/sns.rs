//! SNS Lambda events carrying CloudWatch alarm notifications (captured and the crate's examples),
//! their tags and `DeploymentId` dimensions, and SNS messages that are no trigger: plain text, or
//! JSON of no known kind. SNS's CodeDeploy trigger notifications are in `codedeploy.rs`.

use crate::common::fixture;
use crate::support::{
    alarm, direct, expected_alarm, fixture_text, ignored, parse_error, sns_event,
};
use deployment_circuit_breaker::signal::{Item, Signal, What};
use serde_json::{json, Value};

// --- SNS: CloudWatch alarm notifications ---

#[test]
fn sns_metric_alarm_with_null_description_and_readable_region() {
    let got = alarm(&fixture(
        "captured-sns-lambda-event-cloudwatch-metric-alarm-real-2021.json",
    ));
    assert_eq!(
        got,
        expected_alarm(
            "if-sim-app_427809481713_us-east-1-metric_emitting_node_failure",
            "ALARM",
            Some("INSUFFICIENT_DATA"),
            Some("us-east-1"),
        )
    );
}

#[test]
fn sns_composite_alarm_without_trigger() {
    let got = alarm(&fixture(
        "captured-sns-lambda-event-cloudwatch-composite-alarm-real-2021.json",
    ));
    assert_eq!(
        got,
        expected_alarm(
            "if-sim-app_427809481713_us-east-1-test_node_monitor",
            "ALARM",
            Some("OK"),
            Some("us-east-1"),
        )
    );
}

#[test]
fn sns_legacy_alarm_without_arn_takes_the_topic_region() {
    let got = alarm(&fixture(
        "captured-sns-lambda-event-cloudwatch-alarm-real-2016-legacy.json",
    ));
    assert_eq!(
        got,
        expected_alarm(
            "awsrds-app-High-DB-Connections",
            "ALARM",
            Some("OK"),
            Some("us-west-2")
        )
    );
}

#[test]
fn sns_crate_examples_with_placeholder_regions() {
    let items = direct(&fixture(
        "crate-example-cloudwatch-alarm-sns-payload-multiple-metrics.json",
    ));
    assert_eq!(items.len(), 2);
    for item in items {
        let Item::Signal(Signal {
            what: What::Alarm(a),
            ..
        }) = item
        else {
            panic!("{item:?}")
        };
        assert_eq!(
            a,
            expected_alarm("EXAMPLE", "ALARM", Some("INSUFFICIENT_DATA"), None)
        );
    }
    let single = alarm(&fixture(
        "crate-example-cloudwatch-alarm-sns-payload-single-metric.json",
    ));
    assert_eq!(
        single,
        expected_alarm("EXAMPLE", "ALARM", Some("INSUFFICIENT_DATA"), None)
    );
}

#[test]
fn sns_message_bodies_parse_inside_a_fresh_envelope() {
    let metric = alarm(&sns_event(
        &fixture_text("captured-sns-message-cloudwatch-metric-alarm-real-2021.json"),
        "eu-west-1",
    ));
    assert_eq!(
        metric.region.as_deref(),
        Some("us-east-1"),
        "the alarm ARN wins over the topic"
    );
    let composite = alarm(&sns_event(
        &fixture_text("captured-sns-message-cloudwatch-composite-alarm-real-2021.json"),
        "eu-west-1",
    ));
    assert_eq!(composite.previous_state.as_deref(), Some("OK"));
}

// --- Tags and dimensions ---

#[test]
fn sns_alarm_tags_as_key_value_list() {
    let mut message = fixture("captured-sns-message-cloudwatch-composite-alarm-real-2021.json");
    message["AlarmTags"] = json!([{"Key": "codedeploy-application", "Value": "shop"}]);
    message["AlarmTagsStatus"] = json!("Complete");
    let got = alarm(&sns_event(&message.to_string(), "us-east-1"));
    assert_eq!(
        got.tags.get("codedeploy-application").map(String::as_str),
        Some("shop")
    );
}

#[test]
fn deployment_id_dimension_in_sns_trigger_and_trigger_metrics() {
    let mut message = fixture("captured-sns-message-cloudwatch-metric-alarm-real-2021.json");
    message["Trigger"]["Dimensions"] = json!([{"value": "d-ABCDEFGH1", "name": "DeploymentId"}]);
    let got = alarm(&sns_event(&message.to_string(), "us-east-1"));
    assert_eq!(got.deployment_ids, vec!["d-ABCDEFGH1"]);

    let event = fixture("crate-example-cloudwatch-alarm-sns-payload-single-metric.json");
    let text = event["Records"][0]["Sns"]["Message"].as_str().unwrap();
    let mut message: Value = serde_json::from_str(text).unwrap();
    message["Trigger"] = json!({"Metrics": [
        {"Expression": "m1*1", "Id": "e1", "ReturnData": true},
        {"Id": "m1", "MetricStat": {"Metric": {"Dimensions": [{"value": "d-ABCDEFGH2", "name": "DeploymentId"}],
            "MetricName": "Errors", "Namespace": "App"}, "Period": 60, "Stat": "Sum"}, "ReturnData": false}
    ]});
    let got = alarm(&sns_event(&message.to_string(), "us-east-1"));
    assert_eq!(got.deployment_ids, vec!["d-ABCDEFGH2"]);
}

// --- SNS messages that are no trigger ---

#[test]
fn sns_plain_text_messages_are_ignored() {
    for name in [
        "captured-sns-lambda-event-codedeploy-trigger-setup-test-plaintext.json",
        "crate-example-sns-event.json",
        "crate-example-sns-event-pascal-case.json",
    ] {
        let got = ignored(&fixture(name));
        assert!(got.reason.contains("plain-text"), "{name}: {}", got.reason);
    }
}

#[test]
fn sns_json_that_is_no_known_message_is_an_error() {
    let error = parse_error(&sns_event(r#"{"hello": "world"}"#, "us-east-1"));
    assert!(error.contains("SNS record 0 `Sns.Message`"), "{error}");
    assert!(error.contains("keys: hello"), "{error}");
}
