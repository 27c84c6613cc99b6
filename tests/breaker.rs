//! Behaviour against a stateful fake CodeDeploy over real HTTP, driven by the real
//! `aws-sdk-codedeploy` client: mappings, rails, duplicates, regions, retries and failures.

mod common;

use common::*;
use deployment_circuit_breaker::report::FailureKind;
use deployment_circuit_breaker::types::Outcome;
use fake_aws::codedeploy::Stop;
use fake_aws::Deployment;
use lambda_runtime::Diagnostic;
use serde_json::json;

// --- Mapping alarms to deployments ---

#[tokio::test]
async fn tagged_alarm_stops_every_active_deployment_of_its_group_across_pages() {
    let w = World::new(&[]).await;
    w.fake.set_page_size(1);
    for id in ["d-AAAAAAAA1", "d-AAAAAAAA2", "d-AAAAAAAA3"] {
        w.fake.add(Deployment::new(HOME, id, "shop", "prod"));
    }
    w.fake
        .add(Deployment::new(HOME, "d-AAAAAAAA4", "shop", "prod").status("Succeeded"));
    w.fake
        .add(Deployment::new(HOME, "d-BBBBBBBB1", "shop", "staging"));

    let report = w
        .report(&alarm_event("checkout-5xx", HOME, tagged("shop", "prod")))
        .await;

    assert_eq!(
        w.stopped(),
        vec!["d-AAAAAAAA1", "d-AAAAAAAA2", "d-AAAAAAAA3"]
    );
    assert!(w
        .fake
        .stops()
        .iter()
        .all(|s| s.auto_rollback_enabled == Some(true)));
    assert_eq!(w.fake.call_count("ListDeployments"), 3, "one call per page");
    let first = &report.actions[0];
    assert_eq!(first.outcome, Outcome::Stopped);
    assert_eq!(first.stop_status.as_deref(), Some("Pending"));
    assert_eq!(first.application_name.as_deref(), Some("shop"));
    assert_eq!(first.deployment_group_name.as_deref(), Some("prod"));
    assert_eq!(first.region, HOME);
    assert_eq!(first.reason, "alarm checkout-5xx entered ALARM");
    assert_eq!(
        w.fake.status_of(HOME, "d-BBBBBBBB1").as_deref(),
        Some("InProgress")
    );
    assert_eq!(
        w.fake.status_of(HOME, "d-AAAAAAAA2").as_deref(),
        Some("Stopped")
    );
}

#[tokio::test]
async fn application_tag_alone_covers_every_group_across_pages() {
    let w = World::new(&[]).await;
    w.fake.set_page_size(1);
    w.fake
        .add(Deployment::new(HOME, "d-AAAAAAAA1", "shop", "blue"));
    w.fake
        .add(Deployment::new(HOME, "d-AAAAAAAA2", "shop", "green"));
    w.fake.add_group(HOME, "shop", "idle");
    w.fake
        .add(Deployment::new(HOME, "d-CCCCCCCC1", "other", "blue"));

    let report = w
        .report(&alarm_event(
            "latency",
            HOME,
            json!([{"Key": "codedeploy-application", "Value": "shop"}]),
        ))
        .await;

    assert_eq!(w.stopped(), vec!["d-AAAAAAAA1", "d-AAAAAAAA2"]);
    assert_eq!(
        w.fake.call_count("ListDeploymentGroups"),
        3,
        "three groups, one per page"
    );
    assert_eq!(report.actions.len(), 2);
}

#[tokio::test]
async fn renamed_tag_keys_are_honoured() {
    let w = World::new(&[
        ("ALARM_TAG_APPLICATION", "app"),
        ("ALARM_TAG_DEPLOYMENT_GROUP", "dg"),
    ])
    .await;
    w.fake
        .add(Deployment::new(HOME, "d-AAAAAAAA1", "shop", "prod"));
    w.report(&alarm_event(
        "a",
        HOME,
        json!({"app": "shop", "dg": "prod"}),
    ))
    .await;
    assert_eq!(w.stopped(), vec!["d-AAAAAAAA1"]);
}

#[tokio::test]
async fn alarm_rules_map_by_name_and_every_match_counts() {
    let rules = r#"[
        {"alarm": "checkout-*", "application": "shop", "deploymentGroup": "prod"},
        {"alarm": "*-5xx", "application": "edge"},
        {"alarm": "unrelated", "application": "never"}
    ]"#;
    let w = World::new(&[("ALARM_RULES", rules)]).await;
    w.fake
        .add(Deployment::new(HOME, "d-AAAAAAAA1", "shop", "prod"));
    w.fake
        .add(Deployment::new(HOME, "d-BBBBBBBB1", "edge", "cdn"));
    w.fake
        .add(Deployment::new(HOME, "d-CCCCCCCC1", "never", "x"));

    let mut event = here_and_now(fixture(
        "captured-sns-lambda-event-cloudwatch-metric-alarm-real-2021.json",
    ));
    let mut message: serde_json::Value =
        serde_json::from_str(event["Records"][0]["Sns"]["Message"].as_str().unwrap()).unwrap();
    message["AlarmName"] = json!("checkout-5xx");
    event["Records"][0]["Sns"]["Message"] = json!(message.to_string());
    w.report(&event).await;

    assert_eq!(w.stopped(), vec!["d-AAAAAAAA1", "d-BBBBBBBB1"]);
}

#[tokio::test]
async fn deployment_id_dimension_stops_exactly_that_deployment() {
    let w = World::new(&[("ALARM_RULES", r#"[{"alarm":"*","application":"shop"}]"#)]).await;
    w.fake
        .add(Deployment::new(HOME, "d-AAAAAAAA1", "shop", "prod"));
    w.fake
        .add(Deployment::new(HOME, "d-AAAAAAAA2", "shop", "prod"));
    let mut event = here_and_now(fixture("aws-docs-lambda-alarm-action-metric-alarm.json"));
    event["region"] = json!(HOME);
    event["alarmData"]["configuration"]["metrics"][1]["metricStat"]["metric"]["dimensions"] =
        json!({"DeploymentId": "d-AAAAAAAA2"});

    let report = w.report(&event).await;

    assert_eq!(w.stopped(), vec!["d-AAAAAAAA2"]);
    assert_eq!(
        w.fake.call_count("ListDeployments"),
        0,
        "the dimension needs no lookup"
    );
    assert_eq!(report.actions[0].reason, "alarm Test alert entered ALARM");
}

#[tokio::test]
async fn unmapped_and_non_transition_alarms_call_nothing() {
    let w = World::new(&[]).await;
    w.fake
        .add(Deployment::new(HOME, "d-AAAAAAAA1", "shop", "prod"));

    let unmapped = w.report(&alarm_event("disk-full", HOME, json!({}))).await;
    assert_eq!(unmapped.ignored[0].reason, "unmapped alarm disk-full");

    let mut ok = alarm_event("checkout", HOME, tagged("shop", "prod"));
    ok["detail"]["state"]["value"] = json!("OK");
    ok["detail"]["previousState"]["value"] = json!("ALARM");
    assert_eq!(
        w.report(&ok).await.ignored[0].reason,
        "state is OK, not ALARM"
    );

    // ALARM → ALARM, its actions never suppressed.
    let mut repeated = here_and_now(fixture("aws-docs-lambda-alarm-action-composite-alarm.json"));
    repeated["alarmData"]["previousState"]
        .as_object_mut()
        .unwrap()
        .retain(|key, _| !key.starts_with("actionsSuppressed"));
    let composite = w.report(&repeated).await;
    assert!(composite.ignored[0].reason.contains("already in ALARM"));
    assert!(composite.actions.is_empty());

    assert!(w.fake.calls().is_empty(), "{:?}", w.fake.calls());
}

#[tokio::test]
async fn alarm_for_an_idle_group_reports_no_active_deployment() {
    let w = World::new(&[]).await;
    w.fake
        .add(Deployment::new(HOME, "d-AAAAAAAA1", "shop", "prod").status("Succeeded"));
    let report = w
        .report(&alarm_event("checkout", HOME, tagged("shop", "prod")))
        .await;
    assert!(report.actions.is_empty());
    assert_eq!(
        report.ignored[0].reason,
        "no active deployment of shop/prod in us-east-1"
    );
    assert!(w.stopped().is_empty());
}

// --- Rails ---

#[tokio::test]
async fn out_of_scope_deployments_are_never_stopped_whatever_the_trigger() {
    let w = World::new(&[("ALLOWED_DEPLOYMENT_GROUPS", "shop/prod-*")]).await;
    w.fake
        .add(Deployment::new(HOME, "d-AAAAAAAA1", "shop", "prod-eu"));
    w.fake
        .add(Deployment::new(HOME, "d-BBBBBBBB1", "billing", "prod-eu"));

    let kill = w
        .report(&json!({"deploymentId": "d-BBBBBBBB1", "reason": "claims to be shop"}))
        .await;
    assert_eq!(
        outcomes(&kill),
        vec![("d-BBBBBBBB1".into(), Outcome::Skipped)]
    );
    assert!(kill.actions[0]
        .reason
        .starts_with("out of scope: billing/prod-eu"));

    let mut event = here_and_now(fixture(
        "aws-docs-eventbridge-codedeploy-instance-state-change.json",
    ));
    event["detail"]["deploymentId"] = json!("d-BBBBBBBB1");
    event["detail"]["application"] = json!("shop");
    event["detail"]["state"] = json!("FAILURE");
    let codedeploy = w.report(&event).await;
    assert_eq!(
        outcomes(&codedeploy),
        vec![("d-BBBBBBBB1".into(), Outcome::Skipped)]
    );

    let alarm = w
        .report(&alarm_event(
            "a",
            HOME,
            json!({"codedeploy-application": "billing"}),
        ))
        .await;
    assert_eq!(
        outcomes(&alarm),
        vec![("d-BBBBBBBB1".into(), Outcome::Skipped)]
    );

    assert!(w.stopped().is_empty());
    let allowed = w.report(&json!({"deploymentId": "d-AAAAAAAA1"})).await;
    assert_eq!(
        outcomes(&allowed),
        vec![("d-AAAAAAAA1".into(), Outcome::Stopped)]
    );
}

#[tokio::test]
async fn rollback_and_auto_scaling_deployments_are_never_stopped() {
    let w = World::new(&[]).await;
    let creators = [
        ("d-AAAAAAAA1", "codeDeployRollback"),
        ("d-AAAAAAAA2", "CloudFormationRollback"),
        ("d-AAAAAAAA3", "autoscaling"),
        ("d-AAAAAAAA4", "autoscalingTermination"),
        ("d-AAAAAAAA5", "CodeDeployAutoUpdate"),
    ];
    for (id, creator) in creators {
        w.fake
            .add(Deployment::new(HOME, id, "shop", "prod").creator(creator));
    }
    w.fake
        .add(Deployment::new(HOME, "d-AAAAAAAA6", "shop", "prod").without_creator());

    let report = w
        .report(&alarm_event("checkout", HOME, tagged("shop", "prod")))
        .await;

    assert_eq!(
        outcomes(&report),
        vec![
            ("d-AAAAAAAA1".into(), Outcome::Skipped),
            ("d-AAAAAAAA2".into(), Outcome::Skipped),
            ("d-AAAAAAAA3".into(), Outcome::Skipped),
            ("d-AAAAAAAA4".into(), Outcome::Skipped),
            ("d-AAAAAAAA5".into(), Outcome::Stopped),
            ("d-AAAAAAAA6".into(), Outcome::Stopped),
        ]
    );
    assert!(report.actions[0]
        .reason
        .starts_with("rollback deployment (creator codeDeployRollback)"));
    assert!(
        report.actions[2]
            .reason
            .starts_with("Auto Scaling deployment (creator autoscaling)"),
        "{}",
        report.actions[2].reason
    );
    assert!(report.actions[3]
        .reason
        .starts_with("Auto Scaling deployment (creator autoscalingTermination)"));
    assert_eq!(
        w.stopped(),
        vec!["d-AAAAAAAA5", "d-AAAAAAAA6"],
        "a deployment whose creator CodeDeploy does not report counts as a user's"
    );
}

#[tokio::test]
async fn completed_deployments_get_no_stop_call() {
    let w = World::new(&[]).await;
    w.fake
        .add(Deployment::new(HOME, "d-AAAAAAAA1", "shop", "prod").status("Succeeded"));
    let report = w
        .report(&json!({"deploymentId": "d-AAAAAAAA1", "reason": "r"}))
        .await;
    assert_eq!(
        outcomes(&report),
        vec![("d-AAAAAAAA1".into(), Outcome::AlreadyCompleted)]
    );
    assert_eq!(w.fake.call_count("StopDeployment"), 0);
}

#[tokio::test]
async fn dry_run_reports_what_it_would_stop() {
    let w = World::new(&[("DRY_RUN", "true")]).await;
    w.fake
        .add(Deployment::new(HOME, "d-AAAAAAAA1", "shop", "prod"));
    let report = w
        .report(&alarm_event("checkout", HOME, tagged("shop", "prod")))
        .await;
    assert_eq!(
        outcomes(&report),
        vec![("d-AAAAAAAA1".into(), Outcome::WouldStop)]
    );
    assert_eq!(w.fake.call_count("StopDeployment"), 0);
    assert_eq!(
        w.fake.status_of(HOME, "d-AAAAAAAA1").as_deref(),
        Some("InProgress")
    );
}

#[tokio::test]
async fn auto_rollback_can_be_turned_off() {
    let w = World::new(&[("AUTO_ROLLBACK", "false")]).await;
    w.fake
        .add(Deployment::new(HOME, "d-AAAAAAAA1", "shop", "prod"));
    w.report(&json!({"deploymentId": "d-AAAAAAAA1"})).await;
    assert_eq!(
        w.fake.stops(),
        vec![Stop {
            account: ACCOUNT.into(),
            region: HOME.into(),
            deployment_id: "d-AAAAAAAA1".into(),
            auto_rollback_enabled: Some(false),
        }]
    );
}

// --- Duplicates ---

#[tokio::test]
async fn each_deployment_is_stopped_once_per_invocation() {
    let rules = r#"[{"alarm":"checkout","application":"shop","deploymentGroup":"prod"},
                    {"alarm":"check*","application":"shop"}]"#;
    let w = World::new(&[("ALARM_RULES", rules)]).await;
    w.fake
        .add(Deployment::new(HOME, "d-AAAAAAAA1", "shop", "prod"));
    let event = alarm_event("checkout", HOME, json!({}));

    let report = w.report(&event).await;
    assert_eq!(
        outcomes(&report),
        vec![("d-AAAAAAAA1".into(), Outcome::Stopped)]
    );

    let batch = sqs(&[event.clone(), event.clone()]);
    let response = w.invoke(&batch).await.expect("batch succeeds");
    assert_eq!(
        serde_json::to_value(response).unwrap(),
        json!({"batchItemFailures": []})
    );
    assert_eq!(
        w.fake.call_count("StopDeployment"),
        1,
        "the batch found it already stopped"
    );
}

#[tokio::test]
async fn duplicate_delivery_is_idempotent() {
    let w = World::new(&[]).await;
    w.fake
        .add(Deployment::new(HOME, "d-AAAAAAAA1", "shop", "prod"));
    let event = json!({"deploymentId": "d-AAAAAAAA1", "reason": "r"});
    let first = w.report(&event).await;
    let second = w.report(&event).await;
    assert_eq!(
        outcomes(&first),
        vec![("d-AAAAAAAA1".into(), Outcome::Stopped)]
    );
    assert_eq!(
        outcomes(&second),
        vec![("d-AAAAAAAA1".into(), Outcome::AlreadyCompleted)]
    );
    assert_eq!(w.fake.call_count("StopDeployment"), 1);
}

#[tokio::test]
async fn a_deployment_completing_before_the_stop_is_not_an_error() {
    let w = World::new(&[]).await;
    w.fake
        .add(Deployment::new(HOME, "d-AAAAAAAA1", "shop", "prod"));
    w.fake.fail_deployment(
        "StopDeployment",
        "d-AAAAAAAA1",
        1,
        400,
        "DeploymentAlreadyCompletedException",
    );
    let report = w.report(&json!({"deploymentId": "d-AAAAAAAA1"})).await;
    assert_eq!(
        outcomes(&report),
        vec![("d-AAAAAAAA1".into(), Outcome::AlreadyCompleted)]
    );
    assert!(report.actions[0]
        .reason
        .starts_with("completed before it could be stopped"));
}

// --- Regions ---

#[tokio::test]
async fn each_signal_acts_in_its_own_region() {
    let rules = r#"[{"alarm":"global-*","application":"edge","deploymentGroup":"cdn","region":"ap-southeast-2"}]"#;
    let w = World::new(&[("ALARM_RULES", rules)]).await;
    w.fake
        .add(Deployment::new("eu-west-1", "d-EEEEEEEE1", "shop", "prod"));
    w.fake
        .add(Deployment::new(HOME, "d-UUUUUUUU1", "shop", "prod"));
    w.fake.add(Deployment::new(
        "ap-southeast-2",
        "d-PPPPPPPP1",
        "edge",
        "cdn",
    ));

    let report = w
        .report(&alarm_event(
            "checkout",
            "eu-west-1",
            tagged("shop", "prod"),
        ))
        .await;
    assert_eq!(
        outcomes(&report),
        vec![("d-EEEEEEEE1".into(), Outcome::Stopped)]
    );
    assert_eq!(report.actions[0].region, "eu-west-1");

    w.report(&alarm_event("global-latency", HOME, json!({})))
        .await;

    let regions: Vec<(String, String)> = w
        .fake
        .stops()
        .into_iter()
        .map(|s| (s.region, s.deployment_id))
        .collect();
    assert_eq!(
        regions,
        vec![
            ("eu-west-1".into(), "d-EEEEEEEE1".into()),
            ("ap-southeast-2".into(), "d-PPPPPPPP1".into())
        ]
    );
    assert_eq!(
        w.fake.status_of(HOME, "d-UUUUUUUU1").as_deref(),
        Some("InProgress")
    );
}

#[tokio::test]
async fn codedeploy_trigger_acts_in_the_message_region() {
    let w = World::new(&[("STOP_ON_CODEDEPLOY_EVENTS", "DeploymentFailure")]).await;
    w.fake.add(Deployment::new(
        "us-west-1",
        "d-75I7MBT7C",
        "ProductionApp-us-west-3",
        "dep-group-def-456",
    ));
    let message = std::fs::read_to_string(format!(
        "{}/tests/fixtures/aws-docs-sns-message-codedeploy-trigger-deployment-docs.json",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    let mut event =
        fixture("captured-sns-lambda-event-codedeploy-trigger-deployment-real-2016.json");
    event["Records"][0]["Sns"]["Message"] = json!(message);
    let event = here_and_now(event);

    let report = w.report(&event).await;

    assert_eq!(
        outcomes(&report),
        vec![("d-75I7MBT7C".into(), Outcome::Stopped)]
    );
    assert_eq!(report.actions[0].region, "us-west-1");
    assert_eq!(
        report.actions[0].reason,
        "CodeDeploy DeploymentFailure event for d-75I7MBT7C"
    );
}

// --- CodeDeploy events and the kill switch ---

#[tokio::test]
async fn codedeploy_events_stop_only_configured_kinds() {
    let w = World::new(&[]).await;
    w.fake.add(Deployment::new(
        HOME,
        "d-123456789",
        "myApplication",
        "myDeploymentGroup",
    ));

    let success = w
        .report(&here_and_now(fixture(
            "aws-docs-eventbridge-codedeploy-instance-state-change.json",
        )))
        .await;
    assert_eq!(
        success.ignored[0].reason,
        "state SUCCESS is not a stop trigger"
    );
    let mut ready = here_and_now(fixture(
        "aws-docs-eventbridge-codedeploy-deployment-state-change.json",
    ));
    ready["detail"]["state"] = json!("READY");
    let ready = w.report(&ready).await;
    assert_eq!(
        ready.ignored[0].reason,
        "DeploymentReady is not in STOP_ON_CODEDEPLOY_EVENTS"
    );
    assert!(w.fake.calls().is_empty());

    let mut failure = here_and_now(fixture(
        "aws-docs-eventbridge-codedeploy-instance-state-change.json",
    ));
    failure["detail"]["state"] = json!("FAILURE");
    let report = w.report(&failure).await;
    assert_eq!(
        outcomes(&report),
        vec![("d-123456789".into(), Outcome::Stopped)]
    );
}

#[tokio::test]
async fn kill_switch_stops_a_group_or_a_whole_application() {
    let w = World::new(&[]).await;
    w.fake
        .add(Deployment::new(HOME, "d-AAAAAAAA1", "shop", "prod"));
    w.fake
        .add(Deployment::new(HOME, "d-AAAAAAAA2", "shop", "canary"));
    w.fake
        .add(Deployment::new("eu-west-1", "d-EEEEEEEE1", "shop", "prod"));

    let group = w
        .report(
            &json!({"applicationName": "shop", "deploymentGroupName": "prod", "reason": "pager"}),
        )
        .await;
    assert_eq!(
        outcomes(&group),
        vec![("d-AAAAAAAA1".into(), Outcome::Stopped)]
    );
    assert_eq!(group.actions[0].reason, "kill switch: pager");

    let all = w
        .report(&json!({"applicationName": "shop", "reason": "pager"}))
        .await;
    assert_eq!(
        outcomes(&all),
        vec![("d-AAAAAAAA2".into(), Outcome::Stopped)],
        "prod was already stopped, so it is no longer active"
    );
    let eu = w
        .report(&json!({"applicationName": "shop", "region": "eu-west-1"}))
        .await;
    assert_eq!(
        outcomes(&eu),
        vec![("d-EEEEEEEE1".into(), Outcome::Stopped)]
    );
}

// --- Retries and failures ---

#[tokio::test]
async fn throttling_succeeds_after_the_sdk_retries() {
    let w = World::new(&[]).await;
    w.fake
        .add(Deployment::new(HOME, "d-AAAAAAAA1", "shop", "prod"));
    w.fake
        .fail("ListDeployments", 2, 400, "ThrottlingException");
    w.fake.fail_deployment(
        "StopDeployment",
        "d-AAAAAAAA1",
        1,
        400,
        "ThrottlingException",
    );

    let report = w
        .report(&alarm_event("checkout", HOME, tagged("shop", "prod")))
        .await;

    assert_eq!(
        outcomes(&report),
        vec![("d-AAAAAAAA1".into(), Outcome::Stopped)]
    );
    assert_eq!(w.fake.call_count("ListDeployments"), 3);
    assert_eq!(w.fake.call_count("StopDeployment"), 2);
}

#[tokio::test]
async fn a_failed_stop_fails_the_invocation_after_the_others_are_stopped() {
    let w = World::new(&[]).await;
    for id in ["d-AAAAAAAA1", "d-AAAAAAAA2", "d-AAAAAAAA3"] {
        w.fake.add(Deployment::new(HOME, id, "shop", "prod"));
    }
    w.fake
        .fail_deployment("StopDeployment", "d-AAAAAAAA1", 100, 500, "InternalFailure");
    w.fake.fail_deployment(
        "StopDeployment",
        "d-AAAAAAAA2",
        100,
        400,
        "AccessDeniedException",
    );

    let failure = w
        .failure(&alarm_event("checkout", HOME, tagged("shop", "prod")))
        .await;

    assert_eq!(failure.kind, FailureKind::StopDeploymentFailed);
    assert!(
        failure
            .message
            .contains("d-AAAAAAAA1 in us-east-1: StopDeployment failed with InternalFailure"),
        "{}",
        failure.message
    );
    assert!(
        failure
            .message
            .contains("d-AAAAAAAA2 in us-east-1: StopDeployment failed with AccessDeniedException"),
        "{}",
        failure.message
    );
    assert_eq!(w.stopped(), vec!["d-AAAAAAAA3"]);
    assert_eq!(
        w.fake
            .calls()
            .iter()
            .filter(|c| c.body["deploymentId"] == "d-AAAAAAAA1")
            .count(),
        3,
        "a server error is retried up to the attempt limit"
    );
    assert_eq!(
        w.fake
            .calls()
            .iter()
            .filter(|c| c.body["deploymentId"] == "d-AAAAAAAA2")
            .count(),
        1,
        "access denied is not retried"
    );
    let diagnostic = Diagnostic::from(failure);
    assert_eq!(diagnostic.error_type, "StopDeploymentFailed");
}

#[tokio::test]
async fn a_failed_lookup_fails_the_invocation() {
    let w = World::new(&[]).await;
    let failure = w
        .failure(&alarm_event("checkout", HOME, tagged("nosuchapp", "prod")))
        .await;
    assert_eq!(failure.kind, FailureKind::DeploymentLookupFailed);
    assert!(
        failure.message.contains("ApplicationDoesNotExistException"),
        "{}",
        failure.message
    );
    assert!(
        failure.message.contains("nosuchapp/prod in us-east-1"),
        "{}",
        failure.message
    );
}

#[tokio::test]
async fn an_unknown_deployment_is_a_failure_that_names_account_and_region() {
    let w = World::new(&[]).await;
    let failure = w.failure(&json!({"deploymentId": "d-ZZZZZZZZ9"})).await;
    assert!(
        failure.message.contains(
            "d-ZZZZZZZZ9 in us-east-1: CodeDeploy has no deployment d-ZZZZZZZZ9 in us-east-1 \
             (account 123456789012): check the account and region"
        ),
        "{}",
        failure.message
    );
    assert_eq!(w.fake.call_count("StopDeployment"), 0);
}

#[tokio::test]
async fn invalid_payloads_fail_without_calling_aws() {
    let w = World::new(&[]).await;
    let failure = w.failure(&json!({"hello": "world"})).await;
    assert_eq!(failure.kind, FailureKind::InvalidPayload);
    assert!(failure.message.contains("unrecognised event (keys: hello)"));
    assert_eq!(Diagnostic::from(failure).error_type, "InvalidPayload");
    assert!(w.fake.calls().is_empty());
}

#[tokio::test]
async fn more_than_25_candidates_are_read_in_batches() {
    let w = World::new(&[]).await;
    let ids: Vec<String> = (0..30).map(|i| format!("d-BATCH{i:04}")).collect();
    for id in &ids {
        w.fake.add(Deployment::new(HOME, id, "shop", "prod"));
    }
    let report = w
        .report(&alarm_event("checkout", HOME, tagged("shop", "prod")))
        .await;
    assert_eq!(report.actions.len(), 30);
    assert!(report.actions.iter().all(|a| a.outcome == Outcome::Stopped));
    assert_eq!(w.fake.call_count("BatchGetDeployments"), 2);
    assert_eq!(w.stopped(), ids);
}

// --- SQS partial batches ---

#[tokio::test]
async fn sqs_reports_only_the_records_that_failed() {
    let w = World::new(&[]).await;
    w.fake
        .add(Deployment::new(HOME, "d-AAAAAAAA1", "shop", "prod"));
    w.fake
        .add(Deployment::new(HOME, "d-BBBBBBBB1", "billing", "prod"));
    w.fake.fail_deployment(
        "StopDeployment",
        "d-BBBBBBBB1",
        100,
        400,
        "AccessDeniedException",
    );

    let batch = sqs(&[
        alarm_event("checkout", HOME, tagged("shop", "prod")),
        json!("not json at all"),
        alarm_event("billing", HOME, tagged("billing", "prod")),
        json!({"unknown": "shape"}),
    ]);
    let response = w
        .invoke(&batch)
        .await
        .expect("a batch never fails as a whole");

    assert_eq!(
        serde_json::to_value(response).unwrap(),
        json!({"batchItemFailures": [
            {"itemIdentifier": "msg-1"},
            {"itemIdentifier": "msg-2"},
            {"itemIdentifier": "msg-3"}
        ]})
    );
    assert_eq!(w.stopped(), vec!["d-AAAAAAAA1"]);
}

// --- The report's JSON ---

#[tokio::test]
async fn report_json_has_the_documented_shape() {
    let w = World::new(&[("ALLOWED_DEPLOYMENT_GROUPS", "shop/prod")]).await;
    w.fake
        .add(Deployment::new(HOME, "d-AAAAAAAA1", "shop", "prod"));
    let response = w
        .invoke(&alarm_event("checkout", HOME, tagged("shop", "prod")))
        .await
        .unwrap();
    assert_eq!(
        serde_json::to_value(response).unwrap(),
        json!({
            "actions": [{
                "deploymentId": "d-AAAAAAAA1",
                "applicationName": "shop",
                "deploymentGroupName": "prod",
                "account": ACCOUNT,
                "region": "us-east-1",
                "outcome": "stopped",
                "stopStatus": "Pending",
                "reason": "alarm checkout entered ALARM"
            }],
            "ignored": []
        })
    );
    let ignored = w
        .invoke(&fixture(
            "captured-sns-lambda-event-codedeploy-trigger-setup-test-plaintext.json",
        ))
        .await
        .unwrap();
    let ignored = serde_json::to_value(ignored).unwrap();
    assert_eq!(ignored["actions"], json!([]));
    assert_eq!(
        ignored["ignored"][0]["signal"],
        "SNS message \"SUCCESS: AWS CodeDeploy notification setup for trigger CodeDeployNotifications\""
    );
}
