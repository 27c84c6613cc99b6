//! CodeDeploy state changes, as SNS trigger notifications (AWS docs and captured) and as
//! EventBridge events: deployment and instance scope, spellings of a state, and their times and
//! accounts.

use crate::common::fixture;
use crate::support::{
    at, codedeploy, expected_event, fixture_text, parse_error, signal_of, sns_event,
};
use deployment_circuit_breaker::signal::Scope;
use deployment_circuit_breaker::types::EventKind;
use serde_json::json;

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

// --- When it happened and which account it comes from ---

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
