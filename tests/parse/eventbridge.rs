//! EventBridge events carrying CloudWatch alarm state changes (the AWS docs' examples), their
//! tags and `DeploymentId` dimensions, and the rule that an event is believed only from the
//! source its detail-type implies. EventBridge's CodeDeploy events are in `codedeploy.rs`.

use crate::common::fixture;
use crate::support::{alarm, expected_alarm, ignored, parse_error, sqs_event, sqs_records};
use serde_json::json;

// --- EventBridge CloudWatch alarm events (AWS docs) ---

#[test]
fn eventbridge_metric_alarm() {
    let got = alarm(&fixture(
        "aws-docs-eventbridge-cloudwatch-alarm-state-change-metric.json",
    ));
    assert_eq!(
        got,
        expected_alarm("ServerCpuTooHigh", "ALARM", Some("OK"), Some("us-east-1"))
    );
}

#[test]
fn eventbridge_metric_math_alarm() {
    let got = alarm(&fixture(
        "aws-docs-eventbridge-cloudwatch-alarm-state-change-metric-math.json",
    ));
    assert_eq!(
        got,
        expected_alarm(
            "TotalNetworkTrafficTooHigh",
            "ALARM",
            Some("INSUFFICIENT_DATA"),
            Some("us-east-1")
        )
    );
}

#[test]
fn eventbridge_anomaly_detection_alarm() {
    let got = alarm(&fixture(
        "aws-docs-eventbridge-cloudwatch-alarm-state-change-anomaly-detection.json",
    ));
    assert_eq!(
        got,
        expected_alarm(
            "EC2 CPU Utilization Anomaly",
            "ALARM",
            Some("OK"),
            Some("us-east-1")
        )
    );
}

#[test]
fn eventbridge_composite_alarm_with_actions_suppressed() {
    let got = alarm(&fixture(
        "aws-docs-eventbridge-cloudwatch-alarm-state-change-composite-suppressor.json",
    ));
    let mut expected = expected_alarm(
        "ServiceAggregatedAlarm",
        "ALARM",
        Some("OK"),
        Some("us-east-1"),
    );
    // CloudWatch sends no alarm action for it; the function must not act either.
    expected.actions_suppressed_by = Some("WaitPeriod".into());
    assert_eq!(got, expected);
}

#[test]
fn eventbridge_configuration_change_is_ignored() {
    let got = ignored(&fixture(
        "aws-docs-eventbridge-cloudwatch-alarm-configuration-change-composite-create.json",
    ));
    assert_eq!(got.signal, "alarm ServiceAggregatedAlarm");
    assert!(
        got.reason.contains("configuration change"),
        "{}",
        got.reason
    );
}

#[test]
fn eventbridge_region_falls_back_to_the_alarm_arn() {
    let mut event = fixture("aws-docs-eventbridge-cloudwatch-alarm-state-change-metric.json");
    event.as_object_mut().unwrap().remove("region");
    event["resources"] =
        json!(["arn:aws:cloudwatch:ap-south-1:123456789012:alarm:ServerCpuTooHigh"]);
    assert_eq!(alarm(&event).region.as_deref(), Some("ap-south-1"));
}

// --- Tags and dimensions ---

#[test]
fn eventbridge_alarm_tags_as_object() {
    let mut event = fixture("aws-docs-eventbridge-cloudwatch-alarm-state-change-metric.json");
    event["detail"]["alarmTags"] = json!({"codedeploy-application": "shop", "team": "payments"});
    event["detail"]["alarmTagsStatus"] = json!("Complete");
    let got = alarm(&event);
    assert_eq!(
        got.tags.get("codedeploy-application").map(String::as_str),
        Some("shop")
    );
    assert_eq!(got.tags.get("team").map(String::as_str), Some("payments"));
}

#[test]
fn deployment_id_dimension_in_eventbridge_metrics() {
    let mut event = fixture("aws-docs-eventbridge-cloudwatch-alarm-state-change-metric-math.json");
    event["detail"]["configuration"]["metrics"][1]["metricStat"]["metric"]["dimensions"] =
        json!({"DeploymentId": "d-ABCDEFGH1", "InstanceId": "i-1"});
    assert_eq!(alarm(&event).deployment_ids, vec!["d-ABCDEFGH1"]);
}

#[test]
fn malformed_deployment_id_dimension_is_an_error() {
    let mut event = fixture("aws-docs-eventbridge-cloudwatch-alarm-state-change-metric.json");
    event["detail"]["configuration"]["metrics"][0]["metricStat"]["metric"]["dimensions"] =
        json!({"DeploymentId": "latest"});
    let error = parse_error(&event);
    assert!(
        error.contains("DeploymentId dimension` `latest`"),
        "{error}"
    );
}

// --- Who may send it ---

#[test]
fn eventbridge_events_are_believed_only_from_their_own_source() {
    let mut alarm = fixture("aws-docs-eventbridge-cloudwatch-alarm-state-change-metric.json");
    alarm["source"] = json!("my.application");
    let error = parse_error(&alarm);
    assert!(
        error.contains(
            "detail-type `CloudWatch Alarm State Change` comes only from source \
             `aws.cloudwatch`, not `my.application`"
        ),
        "{error}"
    );
    alarm.as_object_mut().unwrap().remove("source");
    assert!(parse_error(&alarm).contains("not `(none)`"));

    let mut deployment = fixture("aws-docs-eventbridge-codedeploy-deployment-state-change.json");
    deployment["source"] = json!("aws.cloudwatch");
    assert!(parse_error(&deployment).contains("comes only from source `aws.codedeploy`"));

    // Inside SNS and SQS too.
    let records = sqs_records(&sqs_event(&[alarm.to_string()]));
    assert!(records[0].1.as_ref().unwrap_err().contains("source"));
}
