//! CloudWatch alarm → Lambda action: the payload CloudWatch invokes the function with (AWS docs and
//! the crate's examples), including composite alarms whose suppression ended, and its tags.

use crate::common::fixture;
use crate::support::{alarm, expected_alarm, parse_error};
use deployment_circuit_breaker::signal::Alarm;
use serde_json::json;

// --- CloudWatch alarm → Lambda action ---

#[test]
fn lambda_action_metric_alarm() {
    let got = alarm(&fixture("aws-docs-lambda-alarm-action-metric-alarm.json"));
    assert_eq!(
        got,
        expected_alarm("Test alert", "ALARM", Some("OK"), Some("eu-west-1"))
    );
}

/// A composite alarm whose wait period has ended: ALARM → ALARM, the previous state's actions
/// suppressed. CloudWatch invokes the function at this moment.
fn suppression_ended(name: &str) -> Alarm {
    let mut expected = expected_alarm(name, "ALARM", Some("ALARM"), Some("us-east-1"));
    expected.previous_actions_suppressed_by = Some("WaitPeriod".into());
    expected
}

#[test]
fn lambda_action_composite_alarm_whose_suppression_ended() {
    let got = alarm(&fixture(
        "aws-docs-lambda-alarm-action-composite-alarm.json",
    ));
    assert_eq!(got, suppression_ended("CompositeDemo.Main"));
}

#[test]
fn lambda_action_crate_examples_with_spaces_in_arns() {
    let got = alarm(&fixture("crate-example-cloudwatch-alarm-metric.json"));
    assert_eq!(
        got,
        expected_alarm(
            "lambda-demo-metric-alarm",
            "ALARM",
            Some("INSUFFICIENT_DATA"),
            Some("us-east-1")
        )
    );
    let composite = alarm(&fixture("crate-example-cloudwatch-alarm-composite.json"));
    assert_eq!(composite, suppression_ended("CompositeDemo.Main"));
}

#[test]
fn crate_hybrid_of_eventbridge_and_alarm_action_is_rejected() {
    // The crate's own fixture puts `alarmData` inside an EventBridge envelope; AWS never does.
    let error = parse_error(&fixture(
        "crate-example-cloudwatch-alarm-composite-with-suppressor-alarm.json",
    ));
    assert_eq!(error, "EventBridge event: missing field `detail`");
}

// --- Tags ---

#[test]
fn lambda_action_tags_at_top_level_or_in_alarm_data_in_either_form() {
    let mut top = fixture("aws-docs-lambda-alarm-action-metric-alarm.json");
    top["alarmTags"] = json!([{"Key": "codedeploy-application", "Value": "shop"}]);
    top["alarmTagsStatus"] = json!("Truncated");
    assert_eq!(
        alarm(&top)
            .tags
            .get("codedeploy-application")
            .map(String::as_str),
        Some("shop")
    );

    let mut inner = fixture("aws-docs-lambda-alarm-action-metric-alarm.json");
    inner["alarmData"]["alarmTags"] =
        json!([{"key": "codedeploy-deployment-group", "value": "prod"}]);
    assert_eq!(
        alarm(&inner)
            .tags
            .get("codedeploy-deployment-group")
            .map(String::as_str),
        Some("prod")
    );
}
