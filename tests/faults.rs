//! Faults from CodeDeploy, injected by the fake and met by the real SDK client: errors, dropped
//! connections and slow answers (retried, or reported `failed` with their code), the Lambda
//! deadline, and many targets at once under the concurrency bound.

mod common;

use std::time::Duration;

use aws_config::timeout::TimeoutConfig;
use aws_config::ConfigLoader;
use common::*;
use deployment_circuit_breaker::aws::{sdk_config_loader, MAX_CALLS_IN_FLIGHT};
use deployment_circuit_breaker::handler::Response;
use deployment_circuit_breaker::report::FailureKind;
use deployment_circuit_breaker::types::Outcome;
use fake_aws::{Deployment, FaultKind};
use serde_json::json;

/// The production SDK settings with a 300 ms attempt timeout, so slow answers are quick to test.
fn quick_timeouts() -> ConfigLoader {
    sdk_config_loader().timeout_config(
        TimeoutConfig::builder()
            .connect_timeout(Duration::from_secs(1))
            .operation_attempt_timeout(Duration::from_millis(300))
            .build(),
    )
}

fn kill(id: &str) -> serde_json::Value {
    json!({"deploymentId": id, "reason": "fault test"})
}

#[tokio::test]
async fn server_errors_are_retried() {
    let w = World::new(&[]).await;
    w.fake
        .add(Deployment::new(HOME, "d-AAAAAAAA1", "shop", "prod"));
    w.fake
        .fail("BatchGetDeployments", 1, 500, "InternalFailure");
    w.fake.fail("StopDeployment", 1, 503, "ServiceUnavailable");

    let report = w.report(&kill("d-AAAAAAAA1")).await;

    assert_eq!(
        outcomes(&report),
        vec![("d-AAAAAAAA1".into(), Outcome::Stopped)]
    );
    assert_eq!(w.fake.call_count("BatchGetDeployments"), 2);
    assert_eq!(w.fake.call_count("StopDeployment"), 2);
}

#[tokio::test]
async fn a_dropped_connection_is_retried() {
    let w = World::new(&[]).await;
    w.fake
        .add(Deployment::new(HOME, "d-AAAAAAAA1", "shop", "prod"));
    w.fake.inject("StopDeployment", None, 1, FaultKind::Drop);

    let report = w.report(&kill("d-AAAAAAAA1")).await;

    assert_eq!(
        outcomes(&report),
        vec![("d-AAAAAAAA1".into(), Outcome::Stopped)]
    );
    assert_eq!(w.fake.call_count("StopDeployment"), 2);
}

#[tokio::test]
async fn an_answer_slower_than_the_attempt_timeout_is_cut_and_retried() {
    let w = World::with_loader(&[], quick_timeouts()).await;
    w.fake
        .add(Deployment::new(HOME, "d-AAAAAAAA1", "shop", "prod"));
    w.fake.inject(
        "ListDeployments",
        None,
        1,
        FaultKind::Delay(Duration::from_secs(5)),
    );

    let report = w
        .report(&alarm_event("checkout", HOME, tagged("shop", "prod")))
        .await;

    assert_eq!(
        outcomes(&report),
        vec![("d-AAAAAAAA1".into(), Outcome::Stopped)]
    );
    assert_eq!(w.fake.call_count("ListDeployments"), 2);
}

#[tokio::test]
async fn faults_that_persist_fail_with_their_code_after_every_other_target() {
    let w = World::with_loader(&[], quick_timeouts()).await;
    for id in ["d-AAAAAAAA1", "d-AAAAAAAA2", "d-AAAAAAAA3", "d-AAAAAAAA4"] {
        w.fake.add(Deployment::new(HOME, id, "shop", "prod"));
    }
    let forever = 100;
    w.fake.inject(
        "StopDeployment",
        Some("d-AAAAAAAA1"),
        forever,
        FaultKind::Drop,
    );
    let slow = FaultKind::Delay(Duration::from_secs(5));
    w.fake
        .inject("StopDeployment", Some("d-AAAAAAAA2"), forever, slow);
    w.fake.fail_deployment(
        "StopDeployment",
        "d-AAAAAAAA3",
        forever,
        400,
        "ThrottlingException",
    );

    let failure = w
        .failure(&alarm_event("checkout", HOME, tagged("shop", "prod")))
        .await;

    assert_eq!(failure.kind, FailureKind::StopDeploymentFailed);
    for (id, code) in [
        ("d-AAAAAAAA1", "DispatchFailure"),
        ("d-AAAAAAAA2", "TimeoutError"),
        ("d-AAAAAAAA3", "ThrottlingException"),
    ] {
        let expected = format!("{id} in us-east-1: StopDeployment failed with {code}");
        assert!(
            failure.message.contains(&expected),
            "{expected} in {}",
            failure.message
        );
        let attempts = w
            .fake
            .calls()
            .iter()
            .filter(|c| c.operation == "StopDeployment" && c.body["deploymentId"] == id)
            .count();
        assert_eq!(
            attempts, 3,
            "{id}: every attempt the SDK allows, then no more"
        );
    }
    assert_eq!(w.stopped(), vec!["d-AAAAAAAA4"]);
}

#[tokio::test]
async fn work_that_cannot_finish_by_the_deadline_fails_with_reason_deadline() {
    let mut w = World::new(&[]).await;
    w.deadline = Duration::from_millis(400);
    w.fake
        .add(Deployment::new(HOME, "d-FASTFAST1", "shop", "prod"));
    w.fake
        .add(Deployment::new(HOME, "d-SLOWSLOW1", "shop", "prod"));
    let slow = FaultKind::Delay(Duration::from_secs(3));
    w.fake
        .inject("StopDeployment", Some("d-SLOWSLOW1"), 1, slow);

    let failure = w
        .failure(&alarm_event("checkout", HOME, tagged("shop", "prod")))
        .await;

    // The handler answered before the fake did: it did not wait past its deadline.
    assert_eq!(
        w.fake.status_of(HOME, "d-SLOWSLOW1").as_deref(),
        Some("InProgress")
    );
    assert_eq!(w.stopped(), vec!["d-FASTFAST1"]);
    assert_eq!(failure.kind, FailureKind::StopDeploymentFailed);
    assert!(
        failure.message.contains(
            "d-SLOWSLOW1 in us-east-1: deadline: StopDeployment did not finish before the \
             invocation's deadline"
        ),
        "{}",
        failure.message
    );
}

#[tokio::test]
async fn nothing_is_called_once_the_deadline_has_passed() {
    let mut w = World::new(&[]).await;
    w.deadline = Duration::ZERO;
    w.fake
        .add(Deployment::new(HOME, "d-AAAAAAAA1", "shop", "prod"));

    let by_id = w.failure(&kill("d-AAAAAAAA1")).await;
    assert!(
        by_id.message.contains("deadline: BatchGetDeployments"),
        "{}",
        by_id.message
    );
    let by_group = w
        .failure(&alarm_event("checkout", HOME, tagged("shop", "prod")))
        .await;
    assert_eq!(by_group.kind, FailureKind::DeploymentLookupFailed);
    assert!(
        by_group.message.contains("deadline: ListDeployments"),
        "{}",
        by_group.message
    );

    assert!(w.fake.calls().is_empty(), "{:?}", w.fake.calls());
}

#[tokio::test]
async fn fifty_groups_are_looked_up_and_stopped_concurrently_within_the_bound() {
    let w = World::new(&[]).await;
    w.fake.set_page_size(10);
    for i in 0..50 {
        let id = format!("d-GROUP{i:04}");
        w.fake
            .add(Deployment::new(HOME, &id, "big", &format!("g{i:02}")));
    }
    let slow = FaultKind::Delay(Duration::from_millis(30));
    w.fake.inject("ListDeployments", None, 50, slow.clone());
    w.fake.inject("StopDeployment", None, 50, slow);

    let report = w
        .report(&json!({"applicationName": "big", "reason": "incident"}))
        .await;

    assert_eq!(report.actions.len(), 50);
    assert!(report.actions.iter().all(|a| a.outcome == Outcome::Stopped));
    assert_eq!(w.stopped().len(), 50);
    let peak = w.fake.max_in_flight();
    assert!(peak > 1, "lookups and stops overlap (peak {peak})");
    assert!(
        peak <= MAX_CALLS_IN_FLIGHT,
        "at most {MAX_CALLS_IN_FLIGHT} at once (peak {peak})"
    );
}

#[tokio::test]
async fn one_failing_group_does_not_hide_the_others() {
    let w = World::new(&[]).await;
    for group in ["a", "b", "c"] {
        let id = format!("d-GROUP000{}", group.to_uppercase());
        w.fake.add(Deployment::new(HOME, &id, "shop", group));
    }
    w.fake
        .fail("ListDeployments", 1, 400, "AccessDeniedException");

    let failure = w.failure(&json!({"applicationName": "shop"})).await;

    assert_eq!(failure.kind, FailureKind::DeploymentLookupFailed);
    assert!(
        failure.message.contains("AccessDeniedException"),
        "{}",
        failure.message
    );
    assert_eq!(
        w.stopped().len(),
        2,
        "the two groups that could be listed are stopped"
    );
}

#[tokio::test]
async fn a_batch_of_ten_alarms_fails_only_the_record_whose_stop_failed() {
    let w = World::new(&[]).await;
    let mut alarms = Vec::new();
    for i in 0..10 {
        let group = format!("g{i}");
        w.fake.add(Deployment::new(
            HOME,
            &format!("d-BATCH000{i}"),
            "shop",
            &group,
        ));
        alarms.push(alarm_event(
            &format!("alarm-{i}"),
            HOME,
            tagged("shop", &group),
        ));
    }
    w.fake.fail_deployment(
        "StopDeployment",
        "d-BATCH0007",
        100,
        400,
        "AccessDeniedException",
    );

    let response = w
        .invoke(&sqs(&alarms))
        .await
        .expect("a batch never fails whole");

    let Response::Batch(batch) = response else {
        panic!("expected a batch response")
    };
    let failed: Vec<&str> = batch
        .batch_item_failures
        .iter()
        .map(|f| f.item_identifier.as_str())
        .collect();
    assert_eq!(failed, vec!["msg-7"]);
    assert_eq!(w.stopped().len(), 9);
    assert!(w.fake.max_in_flight() <= MAX_CALLS_IN_FLIGHT);
}

#[tokio::test]
async fn access_denied_and_missing_deployments_say_what_to_fix_and_are_not_retried() {
    let w = World::new(&[]).await;
    w.fake
        .add(Deployment::new(HOME, "d-DENIED001", "shop", "prod"));
    w.fake
        .add(Deployment::new(HOME, "d-GONEGONE1", "shop", "prod"));
    w.fake.fail_deployment(
        "StopDeployment",
        "d-DENIED001",
        100,
        400,
        "AccessDeniedException",
    );
    w.fake.fail_deployment(
        "StopDeployment",
        "d-GONEGONE1",
        100,
        400,
        "DeploymentDoesNotExistException",
    );

    let failure = w
        .failure(&json!({"applicationName": "shop", "deploymentGroupName": "prod"}))
        .await;

    assert!(
        failure
            .message
            .contains("the function's IAM role may not make this call here"),
        "{}",
        failure.message
    );
    assert!(
        failure
            .message
            .contains("check the name or ID, and that it lives in this account and region"),
        "{}",
        failure.message
    );
    assert_eq!(w.fake.call_count("StopDeployment"), 2, "one attempt each");
}

/// The function's policy as `template.yaml` grants it, in [`HOME`] only (its default Regions),
/// without the statements whose Sid is in `without`.
fn policy(without: &[&str]) -> fake_aws::iam::Policy {
    without_statements(template_policy("FunctionRole.home-region"), without)
}

#[tokio::test]
async fn a_policy_without_stop_deployment_denies_the_stop_and_says_what_to_fix() {
    let w = World::new(&[]).await;
    w.fake
        .add(Deployment::new(HOME, "d-AAAAAAAA1", "shop", "prod"));
    w.fake.set_policy(Some(policy(&["StopDeployments"])));

    let failure = w
        .failure(&alarm_event("checkout", HOME, tagged("shop", "prod")))
        .await;

    assert_eq!(failure.kind, FailureKind::StopDeploymentFailed);
    assert!(
        failure.message.contains(
            "StopDeployment failed with AccessDeniedException: User: \
             arn:aws:sts::123456789012:assumed-role/deployment-circuit-breaker-FunctionRole/\
             deployment-circuit-breaker is not authorized to perform: \
             codedeploy:StopDeployment on resource: *"
        ),
        "{}",
        failure.message
    );
    assert!(
        failure.message.contains("StopDeployment on \"*\""),
        "the hint says what to grant: {}",
        failure.message
    );
    assert_eq!(
        w.fake.status_of(HOME, "d-AAAAAAAA1").as_deref(),
        Some("InProgress")
    );
    assert_eq!(
        w.fake.call_count("ListDeployments"),
        1,
        "the lookup was allowed"
    );
    assert_eq!(
        w.fake.call_count("BatchGetDeployments"),
        1,
        "the read was allowed"
    );

    w.fake.set_policy(Some(policy(&[])));
    let report = w
        .report(&alarm_event("checkout", HOME, tagged("shop", "prod")))
        .await;
    assert_eq!(
        outcomes(&report),
        vec![("d-AAAAAAAA1".into(), Outcome::Stopped)]
    );
}

#[tokio::test]
async fn a_region_the_policy_does_not_list_is_denied_before_anything_is_stopped() {
    let w = World::new(&[]).await;
    w.fake
        .add(Deployment::new("eu-west-1", "d-EEEEEEEE1", "shop", "prod"));
    w.fake.set_policy(Some(policy(&[])));
    let failure = w
        .failure(&alarm_event(
            "checkout",
            "eu-west-1",
            tagged("shop", "prod"),
        ))
        .await;
    assert_eq!(failure.kind, FailureKind::DeploymentLookupFailed);
    assert!(
        failure.message.contains("AccessDeniedException")
            && failure.message.contains("deploymentgroup:shop/prod"),
        "{}",
        failure.message
    );
    assert!(w.fake.stops().is_empty());
}

#[tokio::test]
async fn warming_up_calls_nothing_and_leaves_a_connection_the_first_call_reuses() {
    let w = World::new(&[]).await;
    w.fake
        .add(Deployment::new(HOME, "d-AAAAAAAA1", "shop", "prod"));
    w.fake.set_policy(Some(policy(&[])));

    w.aws.codedeploy.warm_up(HOME, Duration::from_secs(2)).await;

    assert_eq!(w.fake.unsigned(), 1, "one request, its signature removed");
    assert!(w.fake.calls().is_empty(), "{:?}", w.fake.calls());
    assert_eq!(w.fake.connections(), 1);
    let report = w.report(&kill("d-AAAAAAAA1")).await;
    assert_eq!(
        outcomes(&report),
        vec![("d-AAAAAAAA1".into(), Outcome::Stopped)]
    );
    assert_eq!(
        w.fake.connections(),
        1,
        "the first real calls reuse the warmed connection"
    );
}

#[tokio::test]
async fn with_notifications_on_the_event_bus_is_warmed_up_too() {
    let w = World::new(&[("NOTIFY", "true")]).await;
    w.aws.warm_up(&w.config, Duration::from_secs(2)).await;
    assert_eq!(w.fake.unsigned(), 2, "CodeDeploy's and EventBridge's");
    assert!(w.fake.calls().is_empty());
    assert!(w.fake.events().is_empty());
}
