//! Payload parsing: every documented and captured payload in `tests/fixtures/` (see its
//! SOURCES.md) yields the right signal, and variants cover tags, dimensions, SQS envelopes and
//! the kill switch.

mod common;

use std::collections::BTreeMap;

use common::{fixture, sqs};
use deployment_circuit_breaker::signal::{
    parse, parse_bytes, Alarm, CodeDeployEvent, Item, KillSwitch, Parsed, Scope, Signal, Target,
    Via, What,
};
use deployment_circuit_breaker::time::Time;
use deployment_circuit_breaker::types::{EventKind, NotActed};
use serde_json::{json, Value};

fn fixture_text(name: &str) -> String {
    fixture(name).to_string()
}

fn direct(event: &Value) -> Vec<Item> {
    match parse(event) {
        Ok(Parsed::Direct(items)) => items,
        other => panic!("expected a direct payload, got {other:?}"),
    }
}

fn one(event: &Value) -> Item {
    let mut items = direct(event);
    assert_eq!(items.len(), 1, "{items:?}");
    items.remove(0)
}

fn alarm(event: &Value) -> Alarm {
    match one(event) {
        Item::Signal(Signal {
            what: What::Alarm(alarm),
            ..
        }) => alarm,
        other => panic!("expected an alarm, got {other:?}"),
    }
}

fn codedeploy(event: &Value) -> CodeDeployEvent {
    match one(event) {
        Item::Signal(Signal {
            what: What::CodeDeploy(event),
            ..
        }) => event,
        other => panic!("expected a CodeDeploy event, got {other:?}"),
    }
}

fn ignored(event: &Value) -> NotActed {
    match one(event) {
        Item::Ignored(ignored) => ignored,
        other => panic!("expected an ignored item, got {other:?}"),
    }
}

fn parse_error(event: &Value) -> String {
    match parse(event) {
        Err(e) => e.0,
        Ok(payload) => panic!("expected an error, got {payload:?}"),
    }
}

fn expected_alarm(name: &str, state: &str, previous: Option<&str>, region: Option<&str>) -> Alarm {
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

fn expected_event(
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
fn sns_event(message: &str, region: &str) -> Value {
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
fn sqs_event(bodies: &[String]) -> Value {
    sqs(&bodies
        .iter()
        .cloned()
        .map(Value::String)
        .collect::<Vec<_>>())
}

/// The SNS JSON document SQS receives from a topic without raw delivery.
fn sns_envelope(message: &str, region: &str) -> String {
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

fn sqs_records(event: &Value) -> Vec<(String, Result<Item, String>)> {
    match parse(event) {
        Ok(Parsed::Sqs(records)) => records
            .into_iter()
            .map(|r| (r.message_id, r.item.map_err(|e| e.0)))
            .collect(),
        other => panic!("expected an SQS payload, got {other:?}"),
    }
}

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

// --- SNS: CodeDeploy trigger notifications ---

#[test]
fn sns_codedeploy_deployment_trigger_docs() {
    let got = codedeploy(&sns_event(
        &fixture_text("aws-docs-sns-message-codedeploy-trigger-deployment-docs.json"),
        "us-east-1",
    ));
    assert_eq!(
        got,
        expected_event(
            "d-75I7MBT7C",
            Scope::Deployment,
            "Failed",
            Some(EventKind::DeploymentFailure),
            "us-west-1"
        )
    );
}

#[test]
fn sns_codedeploy_instance_trigger_docs() {
    let got = codedeploy(&sns_event(
        &fixture_text("aws-docs-sns-message-codedeploy-trigger-instance-docs.json"),
        "us-east-1",
    ));
    assert_eq!(
        got,
        expected_event(
            "d-75I7MBT7C",
            Scope::Instance,
            "Succeeded",
            None,
            "us-east-2"
        )
    );
}

#[test]
fn sns_codedeploy_trigger_real_2016_upper_case_with_json_string_overview() {
    let got = codedeploy(&fixture(
        "captured-sns-lambda-event-codedeploy-trigger-deployment-real-2016.json",
    ));
    assert_eq!(
        got,
        expected_event(
            "d-123ABC456",
            Scope::Deployment,
            "SUCCEEDED",
            None,
            "us-east-1"
        )
    );
    let body = codedeploy(&sns_event(
        &fixture_text("captured-sns-message-codedeploy-trigger-deployment-real-2016.json"),
        "us-east-1",
    ));
    assert_eq!(body, got);
}

#[test]
fn sns_codedeploy_trigger_with_redacted_id_is_a_clear_error() {
    let message = fixture_text("captured-sns-message-codedeploy-trigger-deployment-real-2018.json");
    let error = parse_error(&sns_event(&message, "us-west-2"));
    assert!(
        error.contains("`deploymentId` `d-DEPID` is not a CodeDeploy deployment ID"),
        "{error}"
    );
    assert!(error.contains("SNS record 0"), "{error}");
    // The same message with a real ID: upper-case status, null completeTime.
    let fixed = message.replace("d-DEPID", "d-DEPID0001");
    let got = codedeploy(&sns_event(&fixed, "us-west-2"));
    assert_eq!(
        got,
        expected_event(
            "d-DEPID0001",
            Scope::Deployment,
            "SUCCEEDED",
            None,
            "us-west-2"
        )
    );
}

#[test]
fn sns_upper_case_in_progress_is_a_deployment_start() {
    let message = json!({
        "region": "us-east-1", "accountId": "1", "eventTriggerName": "t",
        "applicationName": "shop", "deploymentId": "d-ABCDEFGH1",
        "deploymentGroupName": "prod", "createTime": "Wed Aug 10 18:39:05 UTC 2016",
        "completeTime": null, "status": "IN_PROGRESS"
    });
    let got = codedeploy(&sns_event(&message.to_string(), "us-east-1"));
    assert_eq!(got.kind, Some(EventKind::DeploymentStart));
}

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

// --- EventBridge CodeDeploy events ---

#[test]
fn eventbridge_codedeploy_deployment_event() {
    for name in [
        "aws-docs-eventbridge-codedeploy-deployment-state-change.json",
        "crate-example-codedeploy-deployment-event.json",
    ] {
        let got = codedeploy(&fixture(name));
        assert_eq!(
            got,
            expected_event(
                "d-123456789",
                Scope::Deployment,
                "SUCCESS",
                None,
                "us-east-1"
            ),
            "{name}"
        );
    }
}

#[test]
fn eventbridge_codedeploy_instance_event() {
    for name in [
        "aws-docs-eventbridge-codedeploy-instance-state-change.json",
        "crate-example-codedeploy-instance-event.json",
    ] {
        let got = codedeploy(&fixture(name));
        assert_eq!(
            got,
            expected_event("d-123456789", Scope::Instance, "SUCCESS", None, "us-east-1"),
            "{name}"
        );
    }
}

#[test]
fn eventbridge_codedeploy_failure_states_map_to_kinds() {
    let mut event = fixture("aws-docs-eventbridge-codedeploy-instance-state-change.json");
    event["detail"]["state"] = json!("FAILURE");
    assert_eq!(codedeploy(&event).kind, Some(EventKind::InstanceFailure));
    let mut event = fixture("aws-docs-eventbridge-codedeploy-deployment-state-change.json");
    event["detail"]["state"] = json!("READY");
    assert_eq!(codedeploy(&event).kind, Some(EventKind::DeploymentReady));
}

#[test]
fn eventbridge_other_detail_types_are_errors() {
    let error = parse_error(&fixture("crate-example-eventbridge-event-obj.json"));
    assert!(
        error.contains("`EC2 Instance State-change Notification`"),
        "{error}"
    );
    assert!(error.contains("aws.ec2"), "{error}");
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
fn deployment_id_dimension_in_eventbridge_metrics() {
    let mut event = fixture("aws-docs-eventbridge-cloudwatch-alarm-state-change-metric-math.json");
    event["detail"]["configuration"]["metrics"][1]["metricStat"]["metric"]["dimensions"] =
        json!({"DeploymentId": "d-ABCDEFGH1", "InstanceId": "i-1"});
    assert_eq!(alarm(&event).deployment_ids, vec!["d-ABCDEFGH1"]);
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

// --- Kill switch ---

#[test]
fn kill_switch_by_deployment_id() {
    let got = one(&json!({"deploymentId": "d-ABCDEFGH1", "reason": "bad canary"}));
    assert_eq!(
        got,
        Item::Signal(Signal {
            what: What::KillSwitch(KillSwitch {
                target: Target::Deployment("d-ABCDEFGH1".into()),
                reason: "bad canary".into(),
                region: None,
            }),
            time: None,
            accounts: vec![],
            via: Via::Invoke,
        })
    );
}

#[test]
fn kill_switch_by_application_and_optional_group() {
    let got = one(
        &json!({"applicationName": "shop", "deploymentGroupName": "prod", "region": "eu-west-1"}),
    );
    assert_eq!(
        got,
        Item::Signal(Signal {
            what: What::KillSwitch(KillSwitch {
                target: Target::Group {
                    application: "shop".into(),
                    group: Some("prod".into())
                },
                reason: "no reason given".into(),
                region: Some("eu-west-1".into()),
            }),
            time: None,
            accounts: vec![],
            via: Via::Invoke,
        })
    );
    let Item::Signal(Signal {
        what: What::KillSwitch(all),
        ..
    }) = one(&json!({"applicationName": "shop", "reason": "x"}))
    else {
        panic!()
    };
    assert_eq!(
        all.target,
        Target::Group {
            application: "shop".into(),
            group: None
        }
    );
}

#[test]
fn kill_switch_mistakes_are_named() {
    let cases = [
        (
            json!({"deploymentId": "d-1"}),
            "`deploymentId` `d-1` is not a CodeDeploy deployment ID",
        ),
        (
            json!({"deploymentId": "d-ABCDEFGH1", "applicationName": "shop"}),
            "give either `deploymentId`",
        ),
        (json!({"applicationName": ""}), "give either `deploymentId`"),
        (
            json!({"deploymentId": "d-ABCDEFGH1", "region": "Ireland"}),
            "`region` `Ireland` is not an AWS region code",
        ),
        (
            json!({"deploymentId": "d-ABCDEFGH1", "force": true}),
            "unknown field `force`",
        ),
        (
            json!({"deploymentId": 42}),
            "field `deploymentId`: invalid type: integer `42`",
        ),
    ];
    for (event, expected) in cases {
        let error = parse_error(&event);
        assert!(error.starts_with("kill switch"), "{error}");
        assert!(error.contains(expected), "{event}: {error}");
    }
}

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

// --- When it happened and which account it comes from ---

fn signal_of(event: &Value) -> Signal {
    match one(event) {
        Item::Signal(signal) => signal,
        other => panic!("expected a signal, got {other:?}"),
    }
}

fn at(text: &str) -> Option<Time> {
    Some(Time::parse(text).expect("a valid time"))
}

#[test]
fn alarm_times_are_the_state_change_and_accounts_the_alarm_s() {
    let eventbridge = signal_of(&fixture(
        "aws-docs-eventbridge-cloudwatch-alarm-state-change-metric.json",
    ));
    assert_eq!(eventbridge.time, at("2019-10-02T17:04:40.989+0000"));
    assert_eq!(eventbridge.accounts, vec!["123456789012"]);

    let action = signal_of(&fixture("aws-docs-lambda-alarm-action-metric-alarm.json"));
    assert_eq!(action.time, at("2024-02-17T11:53:08.431+0000"));
    // The documented example names two accounts: its ARN's and `accountId`.
    assert_eq!(action.accounts, vec!["912397435824", "123456789012"]);

    let sns = signal_of(&fixture(
        "captured-sns-lambda-event-cloudwatch-metric-alarm-real-2021.json",
    ));
    assert_eq!(sns.time, at("2021-11-10T02:45:55.640+0000"));
    assert_eq!(sns.accounts, vec!["427809481713"]);
}

#[test]
fn without_a_state_time_the_envelope_time_counts() {
    let mut event = fixture("aws-docs-eventbridge-cloudwatch-alarm-state-change-metric.json");
    event["detail"]["state"]
        .as_object_mut()
        .unwrap()
        .remove("timestamp");
    assert_eq!(signal_of(&event).time, at("2019-10-02T17:04:40Z"));

    let mut message: Value = serde_json::from_str(
        fixture("captured-sns-lambda-event-cloudwatch-alarm-real-2016-legacy.json")["Records"][0]
            ["Sns"]["Message"]
            .as_str()
            .unwrap(),
    )
    .unwrap();
    message.as_object_mut().unwrap().remove("StateChangeTime");
    let sns = sns_event(&message.to_string(), "us-west-2");
    assert_eq!(signal_of(&sns).time, at("2026-11-27T01:00:00.000Z"));

    // A time in a form AWS does not write (the crate's examples) is no time at all.
    let crate_example = signal_of(&fixture("crate-example-cloudwatch-alarm-metric.json"));
    assert_eq!(crate_example.time, None);
}

#[test]
fn codedeploy_times_are_when_the_change_happened() {
    let eventbridge = signal_of(&fixture(
        "aws-docs-eventbridge-codedeploy-instance-state-change.json",
    ));
    assert_eq!(eventbridge.time, at("2016-06-30T23:18:50Z"));
    assert_eq!(eventbridge.accounts, vec!["123456789012"]);

    let deployment = signal_of(&sns_event(
        &fixture_text("aws-docs-sns-message-codedeploy-trigger-deployment-docs.json"),
        "us-west-1",
    ));
    assert_eq!(deployment.time, at("1446744190.402"), "completeTime");
    assert_eq!(deployment.accounts, vec!["111222333444"]);

    let instance = signal_of(&sns_event(
        &fixture_text("aws-docs-sns-message-codedeploy-trigger-instance-docs.json"),
        "us-east-2",
    ));
    assert_eq!(instance.time, at("1446744207.564"), "lastUpdatedAt");

    let real = signal_of(&fixture(
        "captured-sns-lambda-event-codedeploy-trigger-deployment-real-2016.json",
    ));
    assert!(real.time.is_some(), "{real:?}");
}

#[test]
fn the_kill_switch_carries_no_time_or_account() {
    let kill = signal_of(&json!({"deploymentId": "d-ABCDEFGH1"}));
    assert_eq!((kill.time, kill.accounts), (None, vec![]));
}

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
