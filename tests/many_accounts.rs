//! One breaker for many accounts and regions, and everyone told of every trip: signals from a
//! listed account act there through the role it lets the function assume (the fake plays STS
//! and gives each account its own deployments), notifications on EventBridge, and the EMF
//! metrics of every decision. Real SDK clients over HTTP, IAM enforced by the fake.

mod common;

use std::time::{Duration, SystemTime};

use common::*;
use deployment_circuit_breaker::handler::Response;
use deployment_circuit_breaker::report::FailureKind;
use deployment_circuit_breaker::types::Outcome;
use fake_aws::iam::Policy;
use fake_aws::{Deployment, Role, FUNCTION_ROLE};
use serde_json::{json, Value};

const TEAM_B: &str = "222233334444";
const UNLISTED: &str = "333344445555";
/// Lets a kill switch name a target account.
const ACROSS: (&str, &str) = ("KILL_SWITCH_ACROSS_ACCOUNTS", "true");
const ROLE: &str = "arn:aws:iam::222233334444:role/deployment-circuit-breaker-target";

/// The target role's policy, as templates/target-role.yaml grants it (regions us-east-1 and
/// eu-west-1).
fn target_role_policy() -> Policy {
    template_policy("TargetRole")
}

/// The function's policy, as template.yaml grants it with TargetAccounts (team B), Regions
/// (us-east-1 and eu-west-1) and notifications on the default bus.
fn function_policy() -> Policy {
    template_policy("FunctionRole")
}

/// The breaker with team B as a target account, its role in place, and deployments in both.
async fn world(vars: &[(&str, &str)]) -> World {
    let mut all = vec![("TARGET_ACCOUNTS", TEAM_B)];
    all.extend_from_slice(vars);
    let w = World::new(&all).await;
    w.fake.set_policy(Some(function_policy()));
    w.fake.add_role(Role {
        arn: ROLE.into(),
        trusted: vec![FUNCTION_ROLE.into()],
        policy: Some(target_role_policy()),
    });
    w.fake
        .add(Deployment::new(HOME, "d-TEAMB0001", "orders", "prod").account(TEAM_B));
    w.fake
        .add(Deployment::new(HOME, "d-OWNPROD01", "orders", "prod"));
    w
}

/// An alarm of `account` for its `orders/prod` deployments.
fn alarm_from(account: &str, region: &str) -> Value {
    let mut event = alarm_event("orders-5xx", region, tagged("orders", "prod"));
    event["account"] = json!(account);
    event["resources"] = json!([format!(
        "arn:aws:cloudwatch:{region}:{account}:alarm:orders-5xx"
    )]);
    event
}

fn stops(w: &World) -> Vec<(String, String, String)> {
    let mut stops: Vec<_> = w
        .fake
        .stops()
        .into_iter()
        .map(|s| (s.account, s.region, s.deployment_id))
        .collect();
    stops.sort();
    stops
}

// --- Acting in other accounts ---

#[tokio::test]
async fn a_listed_account_s_alarm_stops_its_deployment_through_the_assumed_role() {
    let w = world(&[("AWS_LAMBDA_FUNCTION_NAME", "breaker-Function-1")]).await;

    let report = w.report(&alarm_from(TEAM_B, HOME)).await;

    assert_eq!(
        outcomes(&report),
        vec![("d-TEAMB0001".into(), Outcome::Stopped)]
    );
    assert_eq!(report.actions[0].account, TEAM_B);
    assert_eq!(
        stops(&w),
        vec![(TEAM_B.into(), HOME.into(), "d-TEAMB0001".into())]
    );
    assert_eq!(
        w.fake.status_of(HOME, "d-OWNPROD01").as_deref(),
        Some("InProgress"),
        "the function's own account is not touched"
    );
    let assumed = w.fake.assumed();
    assert_eq!(assumed.len(), 1);
    assert_eq!(assumed[0].role_arn, ROLE);
    assert_eq!(
        assumed[0].session_name, "breaker-Function-1",
        "the session says who acted"
    );
    assert_eq!(assumed[0].caller, FUNCTION_ROLE);
}

#[tokio::test]
async fn one_assumed_role_serves_every_region_and_invocation_of_an_account() {
    let w = world(&[]).await;
    w.fake
        .add(Deployment::new("eu-west-1", "d-TEAMBEU01", "orders", "prod").account(TEAM_B));
    w.report(&alarm_from(TEAM_B, HOME)).await;
    w.report(&alarm_from(TEAM_B, "eu-west-1")).await;
    assert_eq!(
        stops(&w),
        vec![
            (TEAM_B.into(), "eu-west-1".into(), "d-TEAMBEU01".into()),
            (TEAM_B.into(), HOME.into(), "d-TEAMB0001".into()),
        ]
    );
    assert_eq!(
        w.fake.call_count("AssumeRole"),
        1,
        "the SDK's provider caches the role's credentials"
    );
}

#[tokio::test]
async fn an_unlisted_account_s_signals_stay_foreign() {
    let w = world(&[]).await;
    w.fake
        .add(Deployment::new(HOME, "d-UNLISTED1", "orders", "prod").account(UNLISTED));

    let alarm = w.report(&alarm_from(UNLISTED, HOME)).await;
    let kill = w
        .report(&json!({"deploymentId": "d-UNLISTED1", "account": UNLISTED}))
        .await;

    for report in [alarm, kill] {
        assert!(report.actions.is_empty());
        assert!(
            report.ignored[0]
                .reason
                .starts_with(&format!("foreign account {UNLISTED}")),
            "{}",
            report.ignored[0].reason
        );
    }
    assert!(w.fake.calls().is_empty(), "{:?}", w.fake.calls());
}

#[tokio::test]
async fn a_failed_assume_role_fails_only_that_account_and_says_which_role_to_create() {
    let w = World::new(&[("TARGET_ACCOUNTS", TEAM_B), ("NOTIFY", "true")]).await;
    w.fake.set_policy(Some(function_policy()));
    // No role in team B's account.
    w.fake
        .add(Deployment::new(HOME, "d-TEAMB0001", "orders", "prod").account(TEAM_B));
    w.fake
        .add(Deployment::new(HOME, "d-OWNPROD01", "orders", "prod"));

    let batch = sqs(&[alarm_from(ACCOUNT, HOME), alarm_from(TEAM_B, HOME)]);
    let response = w.invoke(&batch).await.expect("a batch never fails whole");

    assert_eq!(
        serde_json::to_value(response).unwrap(),
        json!({"batchItemFailures": [{"itemIdentifier": "msg-1"}]})
    );
    assert_eq!(
        stops(&w),
        vec![(ACCOUNT.into(), HOME.into(), "d-OWNPROD01".into())]
    );

    let failed_lookups: Vec<_> = w
        .fake
        .events()
        .into_iter()
        .filter(|e| e.detail_type == "Deployment Lookup Failed")
        .collect();
    assert_eq!(
        failed_lookups.len(),
        1,
        "people hear of the stop that could not happen"
    );
    assert_eq!(
        failed_lookups[0].detail["lookup"]["errorCode"],
        "AssumeRoleFailed"
    );

    let failure = w.failure(&alarm_from(TEAM_B, HOME)).await;
    assert_eq!(failure.kind, FailureKind::DeploymentLookupFailed);
    for expected in [
        "failed with AssumeRoleFailed",
        &format!("could not assume {ROLE}"),
        "create the role in account 222233334444 from templates/target-role.yaml",
        "FunctionRoleArn",
    ] {
        assert!(failure.message.contains(expected), "{}", failure.message);
    }
}

#[tokio::test]
async fn a_role_that_does_not_trust_the_function_is_refused() {
    let w = World::new(&[("TARGET_ACCOUNTS", TEAM_B), ACROSS]).await;
    w.fake.add_role(Role {
        arn: ROLE.into(),
        trusted: vec!["arn:aws:iam::999999999999:role/someone-else".into()],
        policy: None,
    });
    w.fake
        .add(Deployment::new(HOME, "d-TEAMB0001", "orders", "prod").account(TEAM_B));
    let failure = w
        .failure(&json!({"deploymentId": "d-TEAMB0001", "account": TEAM_B}))
        .await;
    assert_eq!(failure.kind, FailureKind::StopDeploymentFailed);
    assert!(
        failure.message.contains("AssumeRoleFailed") && failure.message.contains("AccessDenied"),
        "{}",
        failure.message
    );
    assert!(w.fake.stops().is_empty());
}

#[tokio::test]
async fn the_kill_switch_rules_and_scope_may_name_an_account() {
    let rules = format!(
        r#"[{{"alarm": "central-*", "application": "orders", "deploymentGroup": "prod",
            "account": "{TEAM_B}"}}]"#
    );
    let scope = format!("{TEAM_B}:orders/prod,{ACCOUNT}:billing/*");
    let w = world(&[
        ("ALARM_RULES", rules.as_str()),
        ("ALLOWED_DEPLOYMENT_GROUPS", scope.as_str()),
        ACROSS,
    ])
    .await;

    let kill = w
        .report(&json!({"applicationName": "orders", "account": TEAM_B, "reason": "pager"}))
        .await;
    assert_eq!(
        outcomes(&kill),
        vec![("d-TEAMB0001".into(), Outcome::Stopped)]
    );

    let own = w
        .report(&json!({"deploymentId": "d-OWNPROD01", "reason": "pager"}))
        .await;
    assert_eq!(
        outcomes(&own),
        vec![("d-OWNPROD01".into(), Outcome::Skipped)],
        "orders/prod is in scope in team B's account only"
    );
    assert!(own.actions[0]
        .reason
        .starts_with("out of scope: orders/prod is not in ALLOWED_DEPLOYMENT_GROUPS"));

    w.fake
        .add(Deployment::new(HOME, "d-TEAMB0002", "orders", "prod").account(TEAM_B));
    let central = w
        .report(&alarm_event("central-latency", HOME, json!({})))
        .await;
    assert_eq!(
        outcomes(&central),
        vec![("d-TEAMB0002".into(), Outcome::Stopped)],
        "a central alarm, mapped by a rule naming team B's account"
    );
}

#[tokio::test]
async fn a_rule_naming_an_account_serves_only_that_account_s_alarms_and_the_central_ones() {
    let rules = format!(
        r#"[{{"alarm": "orders-*", "application": "orders", "deploymentGroup": "prod",
            "account": "{TEAM_B}"}}]"#
    );
    let targets = format!("{TEAM_B},{UNLISTED}");
    let w = world(&[
        ("ALARM_RULES", rules.as_str()),
        ("TARGET_ACCOUNTS", targets.as_str()),
    ])
    .await;
    w.fake
        .add(Deployment::new(HOME, "d-UNLISTED1", "orders", "prod").account(UNLISTED));
    let untagged = |account: &str| {
        let mut alarm = alarm_from(account, HOME);
        alarm["detail"]["alarmTags"] = json!({});
        alarm
    };

    // Account C's alarm of the same name: the rule is team B's, so it maps to nothing.
    let third = w.report(&untagged(UNLISTED)).await;
    assert!(third.actions.is_empty());
    assert_eq!(third.ignored[0].reason, "unmapped alarm orders-5xx");

    let central = w.report(&untagged(ACCOUNT)).await;
    assert_eq!(
        outcomes(&central),
        vec![("d-TEAMB0001".into(), Outcome::Stopped)]
    );
    assert_eq!(
        stops(&w),
        vec![(TEAM_B.into(), HOME.into(), "d-TEAMB0001".into())]
    );
}

// --- Everyone hears about every trip ---

#[tokio::test]
async fn stops_would_be_stops_and_failures_are_put_on_the_bus() {
    let w = world(&[("NOTIFY", "true")]).await;
    w.fake
        .add(Deployment::new(HOME, "d-TEAMB0002", "orders", "prod").account(TEAM_B));
    w.fake.fail_deployment(
        "StopDeployment",
        "d-TEAMB0002",
        100,
        400,
        "AccessDeniedException",
    );
    let signal_time = SystemTime::now() - Duration::from_secs(30);
    let mut alarm = alarm_from(TEAM_B, HOME);
    let at = deployment_circuit_breaker::time::Time::from(signal_time);
    alarm["detail"]["state"]["timestamp"] = json!(at.to_string());

    let failure = w.failure(&alarm).await;
    assert_eq!(failure.kind, FailureKind::StopDeploymentFailed);

    let events = w.fake.events();
    let mut kinds: Vec<&str> = events.iter().map(|e| e.detail_type.as_str()).collect();
    kinds.sort();
    assert_eq!(kinds, vec!["Deployment Stop Failed", "Deployment Stopped"]);
    let stopped = events
        .iter()
        .find(|e| e.detail_type == "Deployment Stopped")
        .unwrap();
    assert_eq!(stopped.source, "deployment-circuit-breaker");
    assert_eq!(
        stopped.bus,
        format!("arn:aws:events:{HOME}:{ACCOUNT}:event-bus/default"),
        "the function's own bus, whatever account acted"
    );
    assert_eq!(
        stopped.resources,
        vec![format!(
            "arn:aws:codedeploy:{HOME}:{TEAM_B}:deploymentgroup:orders/prod"
        )]
    );
    let action = &stopped.detail["action"];
    assert_eq!(action["deploymentId"], "d-TEAMB0001");
    assert_eq!(action["account"], TEAM_B);
    assert_eq!(action["outcome"], "stopped");
    assert_eq!(action["reason"], "alarm orders-5xx entered ALARM");
    let signal = &stopped.detail["signal"];
    assert_eq!(signal["kind"], "alarm");
    assert_eq!(signal["name"], "orders-5xx");
    assert_eq!(signal["time"], at.to_string());
    let failed = events
        .iter()
        .find(|e| e.detail_type == "Deployment Stop Failed")
        .unwrap();
    assert_eq!(
        failed.detail["action"]["errorCode"],
        "AccessDeniedException"
    );

    let dry = world(&[("NOTIFY", "true"), ("DRY_RUN", "true")]).await;
    dry.report(&alarm_from(ACCOUNT, HOME)).await;
    let kinds: Vec<String> = dry
        .fake
        .events()
        .into_iter()
        .map(|e| e.detail_type)
        .collect();
    assert_eq!(kinds, vec!["Deployment Would Stop"]);
}

#[tokio::test]
async fn a_failed_notification_leaves_the_stop_intact_and_is_counted() {
    // The whole call fails (a bus the policy does not allow) …
    let w = world(&[("NOTIFY", "true"), ("NOTIFY_EVENT_BUS", "ops")]).await;
    let report = w.report(&alarm_from(ACCOUNT, HOME)).await;
    assert_eq!(
        outcomes(&report),
        vec![("d-OWNPROD01".into(), Outcome::Stopped)]
    );
    let counted = report.notifications.expect("notifications were tried");
    assert_eq!((counted.sent, counted.failed), (0, 1));
    assert!(w.fake.events().is_empty());

    // … or EventBridge rejects an entry (FailedEntryCount), or the call keeps failing.
    let w = world(&[("NOTIFY", "true")]).await;
    w.fake.reject_events(1, "ThrottlingException");
    let report = w.report(&alarm_from(ACCOUNT, HOME)).await;
    assert_eq!(report.notifications.unwrap().failed, 1);
    assert_eq!(
        stops(&w),
        vec![(ACCOUNT.into(), HOME.into(), "d-OWNPROD01".into())]
    );
    w.fake.fail("PutEvents", 100, 500, "InternalException");
    let report = w.report(&alarm_from(TEAM_B, HOME)).await;
    assert_eq!(
        outcomes(&report),
        vec![("d-TEAMB0001".into(), Outcome::Stopped)]
    );
    assert_eq!(report.notifications.unwrap().failed, 1);

    let failures: Vec<Value> = w
        .metrics
        .lock()
        .unwrap()
        .iter()
        .map(|line| serde_json::from_str(line).unwrap())
        .filter(|doc: &Value| doc.get("NotificationsFailed").is_some())
        .collect();
    assert_eq!(
        failures.len(),
        2,
        "one line per invocation that failed to notify"
    );
    assert!(failures.iter().all(|doc| doc["NotificationsFailed"] == 1));
}

#[tokio::test]
async fn notifications_can_be_turned_off() {
    let w = world(&[("NOTIFY", "false")]).await;
    let report = w.report(&alarm_from(ACCOUNT, HOME)).await;
    assert_eq!(report.notifications, None);
    assert_eq!(w.fake.call_count("PutEvents"), 0);
}

#[tokio::test]
async fn every_decision_writes_its_metrics() {
    let w = world(&[]).await;
    w.fake
        .add(Deployment::new(HOME, "d-ROLLBACK1", "orders", "prod").creator("codeDeployRollback"));
    w.report(&alarm_from(ACCOUNT, HOME)).await;

    let lines = w.metrics.lock().unwrap().clone();
    let docs: Vec<Value> = lines
        .iter()
        .map(|line| serde_json::from_str(line).expect("each line is one JSON document"))
        .collect();
    assert_eq!(docs.len(), 2, "{lines:?}");
    let stopped = docs.iter().find(|d| d.get("Stopped").is_some()).unwrap();
    assert_eq!(stopped["DeploymentId"], "d-OWNPROD01");
    assert_eq!(stopped["ApplicationName"], "orders");
    assert_eq!(stopped["DeploymentGroupName"], "prod");
    assert!(stopped["SignalToStop"].as_i64().unwrap() >= 0);
    let directive = &stopped["_aws"]["CloudWatchMetrics"][0];
    assert_eq!(directive["Namespace"], "DeploymentCircuitBreaker");
    assert_eq!(
        directive["Metrics"],
        json!([{"Name": "Stopped", "Unit": "Count"},
               {"Name": "SignalToStop", "Unit": "Milliseconds"}])
    );
    let skipped = docs.iter().find(|d| d.get("Skipped").is_some()).unwrap();
    assert_eq!(skipped["DeploymentId"], "d-ROLLBACK1");
    assert!(skipped.get("SignalToStop").is_none());
}

#[tokio::test]
async fn a_report_names_the_account_of_every_action() {
    let w = world(&[ACROSS]).await;
    let batch = sqs(&[alarm_from(ACCOUNT, HOME), alarm_from(TEAM_B, HOME)]);
    let response = w.invoke(&batch).await.unwrap();
    assert!(matches!(response, Response::Batch(_)));
    let report = w
        .report(&json!({"deploymentId": "d-TEAMB0001", "account": TEAM_B}))
        .await;
    assert_eq!(
        outcomes(&report),
        vec![("d-TEAMB0001".into(), Outcome::AlreadyCompleted)]
    );
    assert_eq!(report.actions[0].account, TEAM_B);
    assert_eq!(
        stops(&w),
        vec![
            (ACCOUNT.into(), HOME.into(), "d-OWNPROD01".into()),
            (TEAM_B.into(), HOME.into(), "d-TEAMB0001".into()),
        ]
    );
}
