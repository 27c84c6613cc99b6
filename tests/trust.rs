//! Only who should: every path that can stop a deployment in another account believes the
//! account a payload claims only as far as AWS vouches for it (docs/who-can-stop-what.md).
//! Real SDK clients against the fake, which plays STS and enforces the roles' policies.

mod common;

use common::*;
use deployment_circuit_breaker::handler::Response;
use deployment_circuit_breaker::report::{FailureKind, HttpResponse};
use deployment_circuit_breaker::time::Time;
use deployment_circuit_breaker::types::Outcome;
use fake_aws::{Deployment, Role, FUNCTION_ROLE};
use serde_json::{json, Value};

const TEAM_B: &str = "222233334444";
const ROLE: &str = "arn:aws:iam::222233334444:role/deployment-circuit-breaker-target";
const TOPIC: &str = "arn:aws:sns:us-east-1:123456789012:org-alarms";
const RULES: &str =
    r#"[{"alarm": "orders-*", "application": "orders", "deploymentGroup": "prod"}]"#;

/// The breaker with team B as a target account, each role with the policy the templates grant
/// it, and an `orders/prod` deployment in each account.
async fn world(vars: &[(&str, &str)]) -> World {
    let mut all = vec![("TARGET_ACCOUNTS", TEAM_B), ("ALARM_RULES", RULES)];
    all.extend_from_slice(vars);
    let w = World::new(&all).await;
    w.fake.set_policy(Some(template_policy("FunctionRole")));
    w.fake.add_role(Role {
        arn: ROLE.into(),
        trusted: vec![FUNCTION_ROLE.into()],
        policy: Some(template_policy("TargetRole")),
    });
    w.fake
        .add(Deployment::new(HOME, "d-TEAMB0001", "orders", "prod").account(TEAM_B));
    w.fake
        .add(Deployment::new(HOME, "d-OWNPROD01", "orders", "prod"));
    w
}

fn stops(w: &World) -> Vec<(String, String)> {
    let mut stops: Vec<_> = w
        .fake
        .stops()
        .into_iter()
        .map(|s| (s.account, s.deployment_id))
        .collect();
    stops.sort();
    stops
}

// --- The kill switch ---

#[tokio::test]
async fn a_kill_switch_naming_a_target_account_is_refused_unless_allowed() {
    let w = world(&[]).await;
    let kill = json!({"applicationName": "orders", "account": TEAM_B, "reason": "pager"});
    let failure = w.failure(&kill).await;
    assert_eq!(failure.kind, FailureKind::Refused);
    assert!(
        failure.message.contains("KILL_SWITCH_ACROSS_ACCOUNTS=true"),
        "{}",
        failure.message
    );
    assert!(w.fake.stops().is_empty());

    let own = w.report(&json!({"applicationName": "orders"})).await;
    assert_eq!(
        outcomes(&own),
        vec![("d-OWNPROD01".into(), Outcome::Stopped)]
    );

    let w = world(&[("KILL_SWITCH_ACROSS_ACCOUNTS", "true")]).await;
    let report = w.report(&kill).await;
    assert_eq!(
        outcomes(&report),
        vec![("d-TEAMB0001".into(), Outcome::Stopped)]
    );
    assert_eq!(stops(&w), vec![(TEAM_B.into(), "d-TEAMB0001".into())]);
}

/// A function URL request from `caller` (an IAM user of `account`) with `body`.
fn url_request(account: &str, body: &Value) -> Value {
    let mut request = fixture("aws-docs-lambda-function-url-request-iam.json");
    request["requestContext"]["authorizer"]["iam"]["accountId"] = json!(account);
    request["requestContext"]["authorizer"]["iam"]["userArn"] =
        json!(format!("arn:aws:iam::{account}:user/on-call"));
    request["body"] = json!(body.to_string());
    request
}

async fn http(w: &World, request: &Value) -> (u16, Value) {
    match w.invoke(request).await {
        Ok(Response::Http(HttpResponse {
            status_code, body, ..
        })) => (
            status_code,
            serde_json::from_str(&body).expect("a JSON body"),
        ),
        other => panic!("expected an HTTP response, got {other:?}"),
    }
}

#[tokio::test]
async fn a_function_url_caller_of_a_target_account_stops_in_its_own_account_only() {
    let w = world(&[("NOTIFY", "true")]).await;
    let (status, body) = http(
        &w,
        &url_request(TEAM_B, &json!({"applicationName": "orders"})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let action = &body["actions"][0];
    assert_eq!(action["deploymentId"], "d-TEAMB0001", "{body}");
    assert_eq!(action["outcome"], "stopped");
    let pressed_by = "arn:aws:iam::222233334444:user/on-call";
    assert!(
        action["reason"].as_str().unwrap().contains(pressed_by),
        "the action names who pressed it: {action}"
    );
    let told = w.fake.events();
    assert_eq!(
        told[0].detail["signal"]["by"], pressed_by,
        "{:?}",
        told[0].detail
    );
    assert_eq!(stops(&w), vec![(TEAM_B.into(), "d-TEAMB0001".into())]);

    for other in [ACCOUNT, "333344445555"] {
        let body = json!({"applicationName": "orders", "account": other});
        let (status, refused) = http(&w, &url_request(TEAM_B, &body)).await;
        assert_eq!(status, 403, "{refused}");
        assert_eq!(refused["error"], "Refused");
        assert!(
            refused["message"]
                .as_str()
                .unwrap()
                .contains("its own account"),
            "{refused}"
        );
    }
    assert_eq!(stops(&w).len(), 1, "nothing more was stopped");
}

#[tokio::test]
async fn a_function_url_caller_of_the_central_account_follows_the_kill_switch_rule() {
    let w = world(&[]).await;
    let across = json!({"applicationName": "orders", "account": TEAM_B});
    let (status, body) = http(&w, &url_request(ACCOUNT, &across)).await;
    assert_eq!(status, 403, "{body}");
    assert!(body["message"]
        .as_str()
        .unwrap()
        .contains("KILL_SWITCH_ACROSS_ACCOUNTS"));
    let (status, body) = http(
        &w,
        &url_request(ACCOUNT, &json!({"deploymentId": "d-OWNPROD01"})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(stops(&w), vec![(ACCOUNT.into(), "d-OWNPROD01".into())]);
}

#[tokio::test]
async fn an_unsigned_or_unreadable_function_url_request_stops_nothing() {
    let w = world(&[]).await;
    let mut unsigned = url_request(TEAM_B, &json!({"applicationName": "orders"}));
    unsigned["requestContext"]
        .as_object_mut()
        .unwrap()
        .remove("authorizer");
    let (status, body) = http(&w, &unsigned).await;
    assert_eq!(status, 403, "{body}");
    assert!(body["message"].as_str().unwrap().contains("AWS_IAM"));

    let mut text = url_request(TEAM_B, &json!({}));
    text["body"] = json!("stop everything");
    let (status, body) = http(&w, &text).await;
    assert_eq!(status, 400, "{body}");
    assert!(w.fake.stops().is_empty());
}

// --- SNS and SQS ---

/// A CloudWatch alarm notification for `orders-5xx` of `account`, delivered by `topic`.
fn sns_alarm(account: &str, topic: &str) -> Value {
    let mut event = here_and_now(fixture(
        "captured-sns-lambda-event-cloudwatch-metric-alarm-real-2021.json",
    ));
    let sns = &mut event["Records"][0]["Sns"];
    let mut message: Value = serde_json::from_str(sns["Message"].as_str().unwrap()).unwrap();
    message["AlarmName"] = json!("orders-5xx");
    message["AWSAccountId"] = json!(account);
    message["AlarmArn"] = json!(format!(
        "arn:aws:cloudwatch:{HOME}:{account}:alarm:orders-5xx"
    ));
    sns["Message"] = json!(message.to_string());
    sns["TopicArn"] = json!(topic);
    event
}

#[tokio::test]
async fn an_sns_body_claiming_another_account_is_ignored_unless_the_topic_may_speak_for_it() {
    let w = world(&[]).await;
    let report = w.report(&sns_alarm(TEAM_B, TOPIC)).await;
    assert!(report.actions.is_empty(), "{report:?}");
    assert_eq!(
        report.ignored[0].reason,
        format!("account {TEAM_B} does not own topic {TOPIC}")
    );
    let own = w.report(&sns_alarm(ACCOUNT, TOPIC)).await;
    assert_eq!(
        outcomes(&own),
        vec![("d-OWNPROD01".into(), Outcome::Stopped)]
    );

    let listed = format!(r#"{{"{TOPIC}": ["{TEAM_B}"]}}"#);
    let w = world(&[("SNS_TOPIC_ACCOUNTS", listed.as_str())]).await;
    let report = w.report(&sns_alarm(TEAM_B, TOPIC)).await;
    assert_eq!(
        outcomes(&report),
        vec![("d-TEAMB0001".into(), Outcome::Stopped)]
    );
}

#[tokio::test]
async fn an_sqs_record_claiming_another_account_is_ignored_but_an_eventbridge_event_acts() {
    let w = world(&[]).await;
    let message = sns_alarm(TEAM_B, TOPIC)["Records"][0]["Sns"]["Message"].clone();
    let mut eventbridge = alarm_event("orders-5xx", HOME, tagged("orders", "prod"));
    eventbridge["account"] = json!(TEAM_B);
    eventbridge["resources"] = json!([format!(
        "arn:aws:cloudwatch:{HOME}:{TEAM_B}:alarm:orders-5xx"
    )]);
    let batch = sqs(&[message, eventbridge]);
    let Ok(Response::Batch(batch)) = w.invoke(&batch).await else {
        panic!("an SQS batch response")
    };
    assert!(batch.batch_item_failures.is_empty());
    assert_eq!(
        stops(&w),
        vec![(TEAM_B.into(), "d-TEAMB0001".into())],
        "only the EventBridge event acted"
    );

    let own = sns_alarm(ACCOUNT, TOPIC)["Records"][0]["Sns"]["Message"].clone();
    w.invoke(&sqs(&[own])).await.unwrap();
    assert_eq!(
        stops(&w),
        vec![
            (ACCOUNT.into(), "d-OWNPROD01".into()),
            (TEAM_B.into(), "d-TEAMB0001".into())
        ],
        "the queue's own account's alarm acts"
    );
}

// --- A stop is never silent ---

#[tokio::test]
async fn a_huge_alarm_name_or_reason_still_stops_and_notifies_within_put_events_limits() {
    let w = world(&[("NOTIFY", "true")]).await;
    for n in 0..12 {
        w.fake.add(Deployment::new(
            HOME,
            &format!("d-SHOP{n:05}"),
            "shop",
            "prod",
        ));
    }
    let name = format!("orders-{}\u{7}", "x".repeat(300_000));
    let alarm = alarm_event(&name, HOME, tagged("shop", "prod"));
    let report = w.report(&alarm).await;
    assert_eq!(report.actions.len(), 12, "{:?}", report.ignored);
    assert!(report.actions.iter().all(|a| a.outcome == Outcome::Stopped));
    let notified = report.notifications.expect("notifications were sent");
    assert_eq!((notified.sent, notified.failed), (12, 0));
    let told = w.fake.events();
    let named = told[0].detail["signal"]["name"].as_str().unwrap();
    assert!(
        named.len() <= 255 && named.ends_with("(truncated)"),
        "{}",
        named.len()
    );
    assert!(!named.contains('\u{7}'));

    let reason = "r".repeat(100_000);
    let kill = w
        .report(&json!({"applicationName": "orders", "reason": reason}))
        .await;
    assert_eq!(
        outcomes(&kill),
        vec![("d-OWNPROD01".into(), Outcome::Stopped)]
    );
    assert!(
        kill.actions[0].reason.len() < 1100,
        "{}",
        kill.actions[0].reason.len()
    );
    assert_eq!(kill.notifications.map(|n| n.sent), Some(1));
}

#[tokio::test]
async fn a_stale_alarm_is_dropped_and_told() {
    let w = world(&[("NOTIFY", "true")]).await;
    let late = Time::now().plus_secs(-2 * 3600);
    let report = w
        .report(&alarm_event_at(
            "orders-5xx",
            HOME,
            tagged("orders", "prod"),
            late,
        ))
        .await;
    assert!(report.actions.is_empty());
    assert!(
        report.ignored[0].reason.starts_with("stale:"),
        "{:?}",
        report.ignored
    );
    let told = w.fake.events();
    assert_eq!(told.len(), 1);
    assert_eq!(told[0].detail_type, "Signal Dropped");
    assert_eq!(told[0].detail["signal"]["name"], "orders-5xx");
    let age = told[0].detail["ageSeconds"].as_i64().unwrap();
    assert!((7195..7300).contains(&age), "{age}");
    assert!(w.fake.stops().is_empty());
}
