//! Never the wrong stop: late and replayed signals, signals from other accounts, forged
//! sources, suppressed alarms, deployments that must not be stopped, a scope that fails closed,
//! and failures that stay with their own targets. Real SDK client, fake CodeDeploy over HTTP.

mod common;

use std::process::Command;
use std::time::{Duration, SystemTime};

use common::*;
use deployment_circuit_breaker::handler::Response;
use deployment_circuit_breaker::report::FailureKind;
use deployment_circuit_breaker::time::Time;
use deployment_circuit_breaker::types::Outcome;
use fake_aws::Deployment;
use serde_json::{json, Value};

fn minutes_ago(minutes: u64) -> SystemTime {
    SystemTime::now() - Duration::from_secs(minutes * 60)
}

fn time(at: SystemTime) -> Time {
    Time::from(at)
}

// --- Late and replayed signals ---

#[tokio::test]
async fn a_late_alarm_does_not_stop_the_hotfix_deployed_after_it() {
    let w = World::new(&[]).await;
    w.fake
        .add(Deployment::new(HOME, "d-BADRELEA1", "shop", "prod").created(minutes_ago(30)));
    w.fake
        .add(Deployment::new(HOME, "d-HOTFIX001", "shop", "prod").created(minutes_ago(5)));

    // The alarm fired 20 minutes ago and arrives only now (retries, a slow queue).
    let fired = time(minutes_ago(20));
    let event = alarm_event_at("checkout-5xx", HOME, tagged("shop", "prod"), fired);
    let report = w.report(&event).await;

    assert_eq!(
        outcomes(&report),
        vec![
            ("d-BADRELEA1".into(), Outcome::Stopped),
            ("d-HOTFIX001".into(), Outcome::Skipped),
        ]
    );
    let reason = &report.actions[1].reason;
    assert!(
        reason.contains(&format!("after the signal at {fired}")),
        "{reason}"
    );
    assert!(reason.starts_with("created at "), "{reason}");
    assert_eq!(w.stopped(), vec!["d-BADRELEA1"]);
}

#[tokio::test]
async fn a_replayed_signal_leaves_the_newer_deployment_running() {
    let w = World::new(&[]).await;
    w.fake
        .add(Deployment::new(HOME, "d-BADRELEA1", "shop", "prod").created(minutes_ago(40)));
    let record = alarm_event_at(
        "checkout-5xx",
        HOME,
        tagged("shop", "prod"),
        time(minutes_ago(35)),
    );
    let first = w.invoke(&sqs(std::slice::from_ref(&record))).await.unwrap();
    assert_eq!(
        serde_json::to_value(first).unwrap(),
        json!({"batchItemFailures": []})
    );
    assert_eq!(w.stopped(), vec!["d-BADRELEA1"]);

    // The team deploys a fix; then an operator replays the old message from the queue.
    w.fake
        .add(Deployment::new(HOME, "d-FIXED0001", "shop", "prod").created(minutes_ago(2)));
    let replay = w.invoke(&sqs(&[record])).await.unwrap();
    assert_eq!(
        serde_json::to_value(replay).unwrap(),
        json!({"batchItemFailures": []}),
        "held, not failed: a replay must not be retried forever"
    );
    assert_eq!(w.stopped(), vec!["d-BADRELEA1"]);
    assert_eq!(
        w.fake.status_of(HOME, "d-FIXED0001").as_deref(),
        Some("InProgress")
    );
}

#[tokio::test]
async fn signals_naming_the_deployment_are_exempt_from_the_creation_time_rail() {
    let w = World::new(&[("STOP_ON_CODEDEPLOY_EVENTS", "InstanceFailure")]).await;
    w.fake
        .add(Deployment::new(HOME, "d-AAAAAAAA1", "shop", "prod").created(minutes_ago(1)));
    w.fake
        .add(Deployment::new(HOME, "d-AAAAAAAA2", "shop", "prod").created(minutes_ago(1)));

    // A CodeDeploy event about the deployment, sent before CodeDeploy's clock says it existed.
    let mut event = here_and_now(fixture(
        "aws-docs-eventbridge-codedeploy-instance-state-change.json",
    ));
    event["detail"]["deploymentId"] = json!("d-AAAAAAAA1");
    event["detail"]["state"] = json!("FAILURE");
    event["time"] = json!(time(minutes_ago(10)).to_string());
    let codedeploy = w.report(&event).await;
    assert_eq!(
        outcomes(&codedeploy),
        vec![("d-AAAAAAAA1".into(), Outcome::Stopped)]
    );

    // A `DeploymentId` dimension names it too.
    let mut alarm = alarm_event_at("latency", HOME, json!({}), time(minutes_ago(10)));
    alarm["detail"]["configuration"]["metrics"][0]["metricStat"]["metric"]["dimensions"] =
        json!({"DeploymentId": "d-AAAAAAAA2"});
    let by_dimension = w.report(&alarm).await;
    assert_eq!(
        outcomes(&by_dimension),
        vec![("d-AAAAAAAA2".into(), Outcome::Stopped)]
    );
}

#[tokio::test]
async fn a_kill_switch_happens_now() {
    let w = World::new(&[]).await;
    w.fake
        .add(Deployment::new(HOME, "d-AAAAAAAA1", "shop", "prod"));
    let report = w
        .report(&json!({"applicationName": "shop", "reason": "pager"}))
        .await;
    assert_eq!(
        outcomes(&report),
        vec![("d-AAAAAAAA1".into(), Outcome::Stopped)]
    );
}

#[tokio::test]
async fn stale_signals_are_ignored_with_their_age_not_failed() {
    let w = World::new(&[("MAX_SIGNAL_AGE", "600")]).await;
    w.fake
        .add(Deployment::new(HOME, "d-AAAAAAAA1", "shop", "prod").created(minutes_ago(60)));
    let old = alarm_event_at(
        "checkout-5xx",
        HOME,
        tagged("shop", "prod"),
        time(minutes_ago(11)),
    );
    let report = w.report(&old).await;
    assert!(report.actions.is_empty());
    let reason = &report.ignored[0].reason;
    assert!(reason.starts_with("stale: happened at "), "{reason}");
    assert!(
        reason.contains(" s ago, more than MAX_SIGNAL_AGE (600 s)"),
        "{reason}"
    );
    assert!(w.fake.calls().is_empty(), "{:?}", w.fake.calls());

    let unlimited = World::new(&[("MAX_SIGNAL_AGE", "0")]).await;
    unlimited
        .fake
        .add(Deployment::new(HOME, "d-AAAAAAAA1", "shop", "prod").created(minutes_ago(60)));
    unlimited.report(&old).await;
    assert_eq!(unlimited.stopped(), vec!["d-AAAAAAAA1"]);
}

#[tokio::test]
async fn the_documented_default_age_limit_is_an_hour() {
    let w = World::new(&[]).await;
    w.fake
        .add(Deployment::new(HOME, "d-AAAAAAAA1", "shop", "prod").created(minutes_ago(120)));
    let event = |minutes| {
        alarm_event_at(
            "checkout-5xx",
            HOME,
            tagged("shop", "prod"),
            time(minutes_ago(minutes)),
        )
    };
    let stale = w.report(&event(61)).await;
    assert!(stale.ignored[0].reason.contains("MAX_SIGNAL_AGE (3600 s)"));
    w.report(&event(59)).await;
    assert_eq!(w.stopped(), vec!["d-AAAAAAAA1"]);
}

#[tokio::test]
async fn a_signal_without_a_readable_time_counts_as_now() {
    let w = World::new(&[]).await;
    w.fake
        .add(Deployment::new(HOME, "d-AAAAAAAA1", "shop", "prod").created(minutes_ago(1)));
    let mut event = alarm_event("checkout-5xx", HOME, tagged("shop", "prod"));
    event["time"] = json!("sometime");
    event["detail"]["state"]["timestamp"] = json!(17);
    let report = w.report(&event).await;
    assert_eq!(
        outcomes(&report),
        vec![("d-AAAAAAAA1".into(), Outcome::Stopped)]
    );
}

#[tokio::test]
async fn a_signal_a_little_ahead_counts_as_now_and_one_far_ahead_is_held() {
    let w = World::new(&[]).await;
    // Created 5 minutes from now by CodeDeploy's clock: after any signal this invocation believes.
    let later = SystemTime::now() + Duration::from_secs(300);
    w.fake
        .add(Deployment::new(HOME, "d-NEWER0001", "shop", "prod").created(later));
    w.fake
        .add(Deployment::new(HOME, "d-OLDER0001", "shop", "prod").created(minutes_ago(10)));

    // A sender whose clock runs 30 s ahead: taken as now, so the newer deployment is safe.
    let ahead = Time::now().plus_secs(30);
    let report = w
        .report(&alarm_event_at(
            "checkout-5xx",
            HOME,
            tagged("shop", "prod"),
            ahead,
        ))
        .await;
    assert_eq!(
        outcomes(&report),
        vec![
            ("d-NEWER0001".into(), Outcome::Skipped),
            ("d-OLDER0001".into(), Outcome::Stopped),
        ]
    );

    // A day ahead: a broken or forged clock; its time is in doubt, so nothing is done.
    let tomorrow = Time::now().plus_secs(86_400);
    let report = w
        .report(&alarm_event_at(
            "checkout-5xx",
            HOME,
            tagged("shop", "prod"),
            tomorrow,
        ))
        .await;
    assert!(report.actions.is_empty());
    assert!(report.ignored[0].reason.starts_with("dated in the future"));
    assert_eq!(w.stopped(), vec!["d-OLDER0001"]);
}

#[tokio::test]
async fn events_that_name_no_account_are_invalid() {
    let w = World::new(&[]).await;
    w.fake
        .add(Deployment::new(HOME, "d-AAAAAAAA1", "shop", "prod"));
    let mut eventbridge = alarm_event("checkout-5xx", HOME, tagged("shop", "prod"));
    eventbridge.as_object_mut().unwrap().remove("account");
    let mut action = here_and_now(fixture("aws-docs-lambda-alarm-action-metric-alarm.json"));
    action["alarmArn"] = json!("arn:aws:cloudwatch:us-east-1::alarm:checkout-5xx");
    action.as_object_mut().unwrap().remove("accountId");
    for event in [eventbridge, action] {
        let failure = w.failure(&event).await;
        assert_eq!(failure.kind, FailureKind::InvalidPayload);
        assert!(
            failure.message.contains("origin is in doubt"),
            "{}",
            failure.message
        );
    }
    assert!(w.fake.calls().is_empty());
}

#[tokio::test]
async fn a_suppressed_composite_alarm_acts_when_its_suppression_ends() {
    let w = World::new(&[]).await;
    w.fake
        .add(Deployment::new(HOME, "d-AAAAAAAA1", "shop", "prod"));
    // As CloudWatch invokes the function when the wait period ends: ALARM → ALARM, the previous
    // state's actions suppressed by WaitPeriod.
    let mut event = here_and_now(fixture("aws-docs-lambda-alarm-action-composite-alarm.json"));
    event["region"] = json!(HOME);
    event["alarmData"]["alarmTags"] = tagged("shop", "prod");
    let report = w.report(&event).await;
    assert_eq!(
        outcomes(&report),
        vec![("d-AAAAAAAA1".into(), Outcome::Stopped)]
    );
}

// --- Signals from elsewhere ---

/// The same alarm, as each trigger delivers it, from account `account`.
fn alarms_from(account: &str) -> Vec<(&'static str, Value)> {
    let mut eventbridge = alarm_event("checkout-5xx", HOME, tagged("shop", "prod"));
    eventbridge["account"] = json!(account);
    eventbridge["resources"] = json!([format!(
        "arn:aws:cloudwatch:{HOME}:{account}:alarm:checkout-5xx"
    )]);

    let mut action = here_and_now(fixture("aws-docs-lambda-alarm-action-metric-alarm.json"));
    action["alarmArn"] = json!(format!(
        "arn:aws:cloudwatch:{HOME}:{account}:alarm:checkout-5xx"
    ));
    action["accountId"] = json!(account);
    action["region"] = json!(HOME);
    action["alarmData"]["alarmTags"] = tagged("shop", "prod");

    let mut message: Value = serde_json::from_str(
        here_and_now(fixture(
            "captured-sns-lambda-event-cloudwatch-metric-alarm-real-2021.json",
        ))["Records"][0]["Sns"]["Message"]
            .as_str()
            .unwrap(),
    )
    .unwrap();
    message["AWSAccountId"] = json!(account);
    message["AlarmArn"] = json!(format!(
        "arn:aws:cloudwatch:{HOME}:{account}:alarm:checkout-5xx"
    ));
    message["AlarmTags"] = tagged("shop", "prod");
    let mut sns = here_and_now(fixture(
        "captured-sns-lambda-event-cloudwatch-metric-alarm-real-2021.json",
    ));
    sns["Records"][0]["Sns"]["Message"] = json!(message.to_string());

    vec![
        ("EventBridge", eventbridge),
        ("alarm action", action),
        ("SNS", sns),
    ]
}

#[tokio::test]
async fn alarms_from_another_account_are_ignored_whatever_they_match() {
    let rules = r#"[{"alarm": "*", "application": "shop", "deploymentGroup": "prod"}]"#;
    let w = World::new(&[("ALARM_RULES", rules)]).await;
    w.fake
        .add(Deployment::new(HOME, "d-AAAAAAAA1", "shop", "prod"));

    for (trigger, event) in alarms_from("999988887777") {
        let report = w.report(&event).await;
        assert!(report.actions.is_empty(), "{trigger}: {report:?}");
        let reason = &report.ignored[0].reason;
        assert!(
            reason.starts_with("foreign account 999988887777"),
            "{trigger}: {reason}"
        );
    }
    assert!(w.fake.calls().is_empty(), "{:?}", w.fake.calls());

    for (trigger, event) in alarms_from(ACCOUNT) {
        w.fake.seed(fake_aws::Seed {
            deployments: vec![Deployment::new(HOME, "d-AAAAAAAA1", "shop", "prod")],
            ..Default::default()
        });
        let report = w.report(&event).await;
        assert_eq!(
            outcomes(&report),
            vec![("d-AAAAAAAA1".into(), Outcome::Stopped)],
            "{trigger}"
        );
    }
}

#[tokio::test]
async fn codedeploy_events_from_another_account_are_ignored() {
    let w = World::new(&[(
        "STOP_ON_CODEDEPLOY_EVENTS",
        "DeploymentFailure,InstanceFailure",
    )])
    .await;
    w.fake.add(Deployment::new(
        "us-west-1",
        "d-75I7MBT7C",
        "ProductionApp-us-west-3",
        "dep-group-def-456",
    ));
    // The trigger message as documented: account 111222333444.
    let mut trigger =
        fixture("captured-sns-lambda-event-codedeploy-trigger-deployment-real-2016.json");
    trigger["Records"][0]["Sns"]["Message"] = json!(std::fs::read_to_string(format!(
        "{}/tests/fixtures/aws-docs-sns-message-codedeploy-trigger-deployment-docs.json",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap());
    let mut trigger = here_and_now(trigger);
    let mut message: Value =
        serde_json::from_str(trigger["Records"][0]["Sns"]["Message"].as_str().unwrap()).unwrap();
    message["accountId"] = json!("111222333444");
    trigger["Records"][0]["Sns"]["Message"] = json!(message.to_string());

    let mut eventbridge = here_and_now(fixture(
        "aws-docs-eventbridge-codedeploy-instance-state-change.json",
    ));
    eventbridge["account"] = json!("111222333444");
    eventbridge["detail"]["state"] = json!("FAILURE");
    eventbridge["detail"]["deploymentId"] = json!("d-75I7MBT7C");

    for event in [trigger, eventbridge] {
        let report = w.report(&event).await;
        assert!(report.actions.is_empty());
        assert!(report.ignored[0]
            .reason
            .starts_with("foreign account 111222333444"));
    }
    assert!(w.fake.calls().is_empty());
}

#[tokio::test]
async fn eventbridge_events_from_the_wrong_source_are_invalid_payloads() {
    let w = World::new(&[]).await;
    w.fake
        .add(Deployment::new(HOME, "d-AAAAAAAA1", "shop", "prod"));
    let mut forged = alarm_event("checkout-5xx", HOME, tagged("shop", "prod"));
    forged["source"] = json!("custom.monitoring");
    let failure = w.failure(&forged).await;
    assert_eq!(failure.kind, FailureKind::InvalidPayload);
    assert!(
        failure.message.contains("not `custom.monitoring`"),
        "{}",
        failure.message
    );

    let mut codedeploy = here_and_now(fixture(
        "aws-docs-eventbridge-codedeploy-instance-state-change.json",
    ));
    codedeploy["source"] = json!("aws.cloudwatch");
    codedeploy["detail"]["state"] = json!("FAILURE");
    let failure = w.failure(&codedeploy).await;
    assert!(failure
        .message
        .contains("comes only from source `aws.codedeploy`, not `aws.cloudwatch`"));
    assert!(w.fake.calls().is_empty());
}

// --- Suppressed alarms ---

#[tokio::test]
async fn an_alarm_whose_actions_are_suppressed_is_ignored() {
    let w = World::new(&[]).await;
    w.fake
        .add(Deployment::new(HOME, "d-AAAAAAAA1", "shop", "prod"));
    let mut event = here_and_now(fixture(
        "aws-docs-eventbridge-cloudwatch-alarm-state-change-composite-suppressor.json",
    ));
    event["detail"]["alarmTags"] = tagged("shop", "prod");
    let report = w.report(&event).await;
    assert!(report.actions.is_empty());
    assert_eq!(report.ignored[0].reason, "actions suppressed (WaitPeriod)");

    event["detail"]["state"]
        .as_object_mut()
        .unwrap()
        .retain(|key, _| !key.starts_with("actionsSuppressed"));
    let unsuppressed = w.report(&event).await;
    assert_eq!(
        outcomes(&unsuppressed),
        vec![("d-AAAAAAAA1".into(), Outcome::Stopped)]
    );
}

// --- Scope that fails closed ---

#[test]
fn the_function_will_not_start_without_a_scope() {
    for scope in [None, Some(""), Some("shop")] {
        let mut command = Command::new(env!("CARGO_BIN_EXE_deployment-circuit-breaker"));
        command.env_clear().env("AWS_REGION", HOME);
        if let Some(scope) = scope {
            command.env("ALLOWED_DEPLOYMENT_GROUPS", scope);
        }
        let output = command.output().expect("the function runs");
        assert!(!output.status.success(), "{scope:?}");
        let said = String::from_utf8_lossy(&output.stdout).to_string()
            + &String::from_utf8_lossy(&output.stderr);
        assert!(said.contains("ALLOWED_DEPLOYMENT_GROUPS"), "{said}");
        let expected = if scope == Some("shop") {
            "`shop` is not `application/group`"
        } else {
            "or `*/*` to allow every group"
        };
        assert!(said.contains(expected), "{said}");
    }
}

#[tokio::test]
async fn a_glob_never_reaches_across_the_slash() {
    let w = World::new(&[("ALLOWED_DEPLOYMENT_GROUPS", "shop*/prod")]).await;
    w.fake.add(Deployment::new(
        HOME,
        "d-AAAAAAAA1",
        "shopping-cart",
        "prod-eu",
    ));
    w.fake.add(Deployment::new(
        HOME,
        "d-AAAAAAAA2",
        "shopping-cart",
        "prod",
    ));
    let eu = w.report(&json!({"deploymentId": "d-AAAAAAAA1"})).await;
    assert_eq!(
        outcomes(&eu),
        vec![("d-AAAAAAAA1".into(), Outcome::Skipped)]
    );
    let prod = w.report(&json!({"deploymentId": "d-AAAAAAAA2"})).await;
    assert_eq!(
        outcomes(&prod),
        vec![("d-AAAAAAAA2".into(), Outcome::Stopped)]
    );
}

// --- One failure stays one failure ---

#[tokio::test]
async fn a_failed_read_fails_only_the_deployments_of_its_batch() {
    let w = World::new(&[]).await;
    let ids: Vec<String> = (0..30).map(|i| format!("d-BATCH{i:04}")).collect();
    for id in &ids {
        w.fake.add(Deployment::new(HOME, id, "shop", "prod"));
    }
    // Every attempt at the batch carrying the first ID fails.
    w.fake
        .fail_deployment("BatchGetDeployments", &ids[0], 100, 500, "InternalFailure");

    let failure = w
        .failure(&alarm_event("checkout", HOME, tagged("shop", "prod")))
        .await;

    assert_eq!(failure.kind, FailureKind::StopDeploymentFailed);
    assert!(
        failure.message.contains("could not read the deployment"),
        "{}",
        failure.message
    );
    assert_eq!(
        w.stopped(),
        ids[25..].to_vec(),
        "the second batch is stopped"
    );
    assert!(failure.message.contains(&ids[24]) && !failure.message.contains(&ids[25]));
}

#[tokio::test]
async fn an_undecodable_sqs_record_fails_alone_and_the_others_act() {
    let w = World::new(&[]).await;
    w.fake
        .add(Deployment::new(HOME, "d-AAAAAAAA1", "shop", "prod"));
    w.fake
        .add(Deployment::new(HOME, "d-BBBBBBBB1", "billing", "prod"));
    let batch = sqs(&[
        alarm_event("checkout", HOME, tagged("shop", "prod")),
        json!("PLACEHOLDER"),
        alarm_event("billing", HOME, tagged("billing", "prod")),
    ]);
    let mut bytes = batch.to_string().into_bytes();
    let at = bytes.windows(11).position(|w| w == b"PLACEHOLDER").unwrap();
    bytes.splice(at..at + 11, [b'x', 0xc3, 0x28, b'y']);

    let response = w
        .invoke_bytes(&bytes)
        .await
        .expect("a batch never fails whole");
    assert_eq!(
        serde_json::to_value(response).unwrap(),
        json!({"batchItemFailures": [{"itemIdentifier": "msg-1"}]})
    );
    assert_eq!(w.stopped(), vec!["d-AAAAAAAA1", "d-BBBBBBBB1"]);
}

#[tokio::test]
async fn an_undecodable_event_is_our_invalid_payload() {
    let w = World::new(&[]).await;
    let deep = "[".repeat(100_000);
    for bytes in [
        b"{\"deploymentId\": \"d-\xff\"}".to_vec(),
        deep.into_bytes(),
    ] {
        let failure = match w.invoke_bytes(&bytes).await {
            Err(failure) => failure,
            Ok(other) => panic!("{other:?}"),
        };
        assert_eq!(failure.kind, FailureKind::InvalidPayload);
        assert!(
            failure.message.contains("not valid JSON"),
            "{}",
            failure.message
        );
    }
    assert!(w.fake.calls().is_empty());
}

#[test]
fn the_own_account_comes_from_the_function_arn() {
    use deployment_circuit_breaker::aws::Deadline;
    use deployment_circuit_breaker::runtime::Invocation;
    let deadline = Deadline::after(Duration::from_secs(1));
    let own = Invocation::new(deadline, FUNCTION_ARN, Some("111122223333")).unwrap();
    assert_eq!(own.account, ACCOUNT, "the ARN wins over LOCAL_ACCOUNT");
    let local = Invocation::new(deadline, "function-arn", Some("111122223333")).unwrap();
    assert_eq!(local.account, "111122223333");
    let unknown = Invocation::new(deadline, "function-arn", None).unwrap_err();
    assert_eq!(unknown.kind, FailureKind::UnknownAccount);
    assert!(unknown.message.contains("LOCAL_ACCOUNT"));
}

// --- Who may map an alarm ---

#[tokio::test]
async fn an_alarm_outside_the_name_prefix_maps_to_nothing_on_every_path() {
    let rules = r#"[{"alarm": "*", "application": "shop", "deploymentGroup": "prod"}]"#;
    let w = World::new(&[("ALARM_RULES", rules), ("ALARM_NAME_PREFIX", "platform-")]).await;
    w.fake
        .add(Deployment::new(HOME, "d-AAAAAAAA1", "shop", "prod"));
    // Tagged and matching a rule, on each path; and one naming the deployment by its dimension.
    let mut paths = alarms_from(ACCOUNT);
    let mut dimension = here_and_now(fixture("aws-docs-lambda-alarm-action-metric-alarm.json"));
    dimension["region"] = json!(HOME);
    dimension["alarmData"]["configuration"]["metrics"][1]["metricStat"]["metric"]["dimensions"] =
        json!({"DeploymentId": "d-AAAAAAAA1"});
    paths.push(("DeploymentId dimension", dimension));

    for (trigger, event) in &paths {
        let report = w.report(event).await;
        assert!(report.actions.is_empty(), "{trigger}: {report:?}");
        let reason = &report.ignored[0].reason;
        assert!(
            reason.contains("outside ALARM_NAME_PREFIX (platform-)"),
            "{trigger}: {reason}"
        );
    }
    let batch = w.invoke(&sqs(&[paths[0].1.clone()])).await;
    assert!(
        matches!(batch, Ok(Response::Batch(ref b)) if b.batch_item_failures.is_empty()),
        "SQS: {batch:?}"
    );
    assert!(w.fake.calls().is_empty(), "{:?}", w.fake.calls());
}

#[tokio::test]
async fn with_tag_mapping_off_tags_map_nothing_and_rules_still_do() {
    let w = World::new(&[("ALARM_TAG_MAPPING", "false")]).await;
    w.fake
        .add(Deployment::new(HOME, "d-AAAAAAAA1", "shop", "prod"));
    let event = alarm_event("checkout-5xx", HOME, tagged("shop", "prod"));
    let report = w.report(&event).await;
    assert!(report.actions.is_empty(), "{report:?}");
    assert_eq!(report.ignored[0].reason, "unmapped alarm checkout-5xx");

    let rules = r#"[{"alarm": "checkout-*", "application": "shop", "deploymentGroup": "prod"}]"#;
    let w = World::new(&[("ALARM_TAG_MAPPING", "false"), ("ALARM_RULES", rules)]).await;
    w.fake
        .add(Deployment::new(HOME, "d-AAAAAAAA1", "shop", "prod"));
    // Tagged for another application: with tags off, the rule maps it.
    let event = alarm_event("checkout-5xx", HOME, tagged("web", "live"));
    w.report(&event).await;
    assert_eq!(w.stopped(), vec!["d-AAAAAAAA1"]);
}

#[tokio::test]
async fn a_stale_alarm_outside_the_name_prefix_is_not_told_as_dropped() {
    let w = World::new(&[("ALARM_NAME_PREFIX", "platform-"), ("NOTIFY", "true")]).await;
    let long_ago = Time::now().plus_secs(-7200);
    let event = alarm_event_at("checkout-5xx", HOME, tagged("shop", "prod"), long_ago);
    let report = w.report(&event).await;
    assert!(
        report.ignored[0]
            .reason
            .contains("outside ALARM_NAME_PREFIX"),
        "{report:?}"
    );
    assert!(
        w.fake.events().is_empty(),
        "no Signal Dropped for an alarm it ignores"
    );
}
