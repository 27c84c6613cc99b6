//! When a CloudWatch alarm changed state and which account it comes from, across its sources
//! (EventBridge, the alarm Lambda action, SNS), and the envelope's time when the alarm has none.

use crate::common::fixture;
use crate::support::{at, signal_of, sns_event};
use serde_json::Value;

// --- When it happened and which account it comes from ---

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
