//! The canary judge in the breaker, during a deployment: from CodeDeploy's START event, a poll
//! every `JUDGE_INTERVAL` through the breaker's own queue (the fake plays its event source
//! mapping), each reading the deployment again and judging the new version against the old from
//! the metrics AWS publishes per version. A `fail` under `JUDGE=enforce` stops the deployment,
//! with rollback, through the rails; `report` tells and never stops; `off` reads no metric.
//! Real SDK clients against the fake over HTTP, held to template.yaml's policy.

mod common;

use std::time::{Duration, Instant, SystemTime};

use common::canary::{ecs_traffic, lambda_traffic, lambda_traffic_in, PerMinute};
use common::gate::ago;
use common::{template_policy, World, ACCOUNT, HOME, WATCH_QUEUE};
use deployment_circuit_breaker::handler::Polled;
use deployment_circuit_breaker::judge::Verdict;
use deployment_circuit_breaker::report::{Judging, Watch};
use deployment_circuit_breaker::time::Time;
use deployment_circuit_breaker::types::Outcome;
use fake_aws::{Deployment, Role, FUNCTION_ROLE};
use serde_json::{json, Value};

const ID: &str = "d-CANARY001";
const HEALTHY_NEW: PerMinute = (80.0, 0.1, 200.0);
const BAD_NEW: PerMinute = (80.0, 8.0, 200.0);
const OLD: PerMinute = (720.0, 0.8, 200.0);

/// CodeDeploy's START of deployment [`ID`] of shop/prod, as EventBridge delivers it, now.
fn started() -> Value {
    started_in(ACCOUNT)
}

/// Likewise, in `account`.
fn started_in(account: &str) -> Value {
    json!({
        "version": "0", "id": "c071bfbf-83c4-49ca-a6ff-3df053957145",
        "detail-type": "CodeDeploy Deployment State-change Notification",
        "source": "aws.codedeploy", "account": account, "time": Time::now().to_string(),
        "region": HOME,
        "resources": [format!("arn:aws:codedeploy:{HOME}:{account}:deploymentgroup:shop/prod")],
        "detail": {"region": HOME, "application": "shop", "deploymentGroup": "prod",
                   "deploymentId": ID, "state": "START",
                   "instanceGroupId": "9fd2fbef-2157-40d8-91e7-6845af69e2d2"}
    })
}

/// The minutes from `from` to `to` minutes ago.
fn minutes(from: u64, to: u64) -> Vec<SystemTime> {
    (to..=from).rev().map(|m| ago(m * 60)).collect()
}

/// The breaker, polling every second, with a Lambda canary of `checkout:live` (41 → 42) of
/// shop/prod created 20 minutes ago.
async fn lambda_canary(vars: &[(&str, &str)]) -> World {
    let mut all = vec![("JUDGE_INTERVAL", "1"), ("NOTIFY", "true")];
    all.extend_from_slice(vars);
    let w = World::judging(&all).await;
    w.fake.add(
        Deployment::new(HOME, ID, "shop", "prod")
            .created(ago(20 * 60))
            .lambda_versions("checkout", "live", "41", "42", 10.0),
    );
    w
}

/// The START, and the watch it began.
async fn start(w: &World) -> Judging {
    let report = w.report(&started()).await;
    assert_eq!(report.judging.len(), 1, "{report:?}");
    report.judging[0].clone()
}

/// Delivers polls as they come due until `polls` were delivered or `limit` passes: the report
/// of each batch.
async fn polls(w: &World, polls: usize, limit: Duration) -> Vec<Polled> {
    let started = Instant::now();
    let mut all: Vec<Polled> = Vec::new();
    let delivered = |all: &[Polled]| all.iter().map(|p| p.report.judging.len()).sum::<usize>();
    while delivered(&all) < polls && started.elapsed() < limit {
        match w.deliver().await {
            Some(polled) => all.push(polled),
            None => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
    all
}

fn verdicts(polled: &[Polled]) -> Vec<Option<Verdict>> {
    (polled.iter().flat_map(|p| &p.report.judging))
        .map(|j| j.judge.as_ref().map(|c| c.verdict))
        .collect()
}

fn outcomes(polled: &[Polled]) -> Vec<Watch> {
    (polled.iter().flat_map(|p| &p.report.judging))
        .map(|j| j.outcome)
        .collect()
}

fn told(w: &World) -> Vec<String> {
    (w.fake.events().into_iter())
        .map(|e| e.detail_type)
        .collect()
}

#[tokio::test]
async fn enforced_a_bad_lambda_canary_is_stopped_at_the_first_poll_that_sees_it() {
    let w = lambda_canary(&[("JUDGE", "enforce")]).await;
    // Ten healthy minutes; the later ones have not reached CloudWatch yet.
    lambda_traffic(&w.fake, &minutes(17, 8), HEALTHY_NEW, Some(OLD));

    let watch = start(&w).await;
    let first = polls(&w, 1, Duration::from_secs(10)).await;
    let stopped_before = w.stopped();
    // Five bad minutes arrive: 8 errors in 80 requests a minute on the new version.
    lambda_traffic(&w.fake, &minutes(7, 3), BAD_NEW, Some(OLD));
    let next = polls(&w, 1, Duration::from_secs(10)).await;

    assert_eq!(
        (watch.outcome, watch.poll),
        (Watch::Watching, 1),
        "{watch:?}"
    );
    assert_eq!(verdicts(&first), vec![Some(Verdict::Pass)], "{first:?}");
    assert!(stopped_before.is_empty(), "a healthy canary goes on");
    assert_eq!(verdicts(&next), vec![Some(Verdict::Fail)], "{next:?}");
    let stops = w.fake.stops();
    assert_eq!(stops.len(), 1, "stopped at the next poll");
    assert_eq!(stops[0].deployment_id, ID);
    assert_eq!(stops[0].auto_rollback_enabled, Some(true), "with rollback");
    let action = &next[0].report.actions[0];
    assert_eq!(action.outcome, Outcome::Stopped, "{action:?}");
    assert!(
        action.reason.contains(
            "the canary judge: new version 3.4 % errors (41 of 1,200) vs 0.11 % (12 of 10,800), p < 1e-9"
        ),
        "{}",
        action.reason
    );
    let metrics = w.metrics.lock().unwrap().join("\n");
    assert!(metrics.contains("FirstBadMinuteToStop"), "{metrics}");
    assert!(
        told(&w).contains(&"Deployment Stopped".to_string()),
        "{:?}",
        told(&w)
    );

    // The next poll finds it stopped, and the watch ends.
    let last = polls(&w, 1, Duration::from_secs(10)).await;
    let ended = &last[0].report.judging[0];
    assert_eq!(ended.outcome, Watch::Ended, "{ended:?}");
    assert!(ended.reason.contains("Stopped"), "{}", ended.reason);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(w.deliver().await.is_none(), "no poll after the watch ended");
    assert_eq!(w.fake.stops().len(), 1);
}

#[tokio::test]
async fn a_healthy_canary_is_not_stopped_and_polling_ends_with_the_deployment() {
    let w = lambda_canary(&[("JUDGE", "enforce")]).await;
    lambda_traffic(&w.fake, &minutes(17, 3), HEALTHY_NEW, Some(OLD));

    start(&w).await;
    let judged = polls(&w, 2, Duration::from_secs(10)).await;
    w.fake.complete(HOME, ID, "Succeeded");
    let last = polls(&w, 1, Duration::from_secs(10)).await;

    assert_eq!(verdicts(&judged), vec![Some(Verdict::Pass); 2]);
    assert!(w.stopped().is_empty());
    let ended = &last[0].report.judging[0];
    assert_eq!(ended.outcome, Watch::Ended, "{ended:?}");
    assert!(
        ended.reason.starts_with("the deployment is Succeeded"),
        "{}",
        ended.reason
    );
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(w.deliver().await.is_none(), "polling ended");
    let calls = w.fake.call_count("GetMetricData");
    assert_eq!(calls, 2, "one read a poll while it was active, none after");
    assert_eq!(
        told(&w),
        vec!["Deployment Judged"],
        "a verdict is told once, when it changes"
    );
}

#[tokio::test]
async fn what_the_data_cannot_say_is_inconclusive_and_never_stops() {
    // A trickle of traffic on the new version; and a deployment whose new version took all of
    // it at once; and both versions failing alike (a shared dependency, not the new code).
    let cases: [(PerMinute, Option<PerMinute>, &str); 3] = [
        ((5.0, 0.0, 200.0), Some(OLD), "300"),
        ((800.0, 40.0, 200.0), None, "both"),
        ((80.0, 8.0, 200.0), Some((720.0, 72.0, 200.0)), "alike"),
    ];
    for (new, old, why) in cases {
        let w = lambda_canary(&[("JUDGE", "enforce")]).await;
        lambda_traffic(&w.fake, &minutes(17, 3), new, old);

        start(&w).await;
        let polled = polls(&w, 1, Duration::from_secs(10)).await;

        let judging = &polled[0].report.judging[0];
        let canary = judging.judge.as_ref().expect("judged");
        assert_eq!(canary.verdict, Verdict::Inconclusive, "{why}: {canary:?}");
        assert!(canary.reason.contains(why), "{why}: {}", canary.reason);
        assert!(w.stopped().is_empty(), "{why}");
    }
}

#[tokio::test]
async fn reported_a_bad_canary_is_told_not_stopped() {
    let w = lambda_canary(&[]).await;
    lambda_traffic(&w.fake, &minutes(17, 3), BAD_NEW, Some(OLD));

    start(&w).await;
    let polled = polls(&w, 2, Duration::from_secs(10)).await;

    assert_eq!(verdicts(&polled), vec![Some(Verdict::Fail); 2]);
    assert!(w.stopped().is_empty(), "report mode never stops");
    assert_eq!(
        told(&w),
        vec!["Deployment Judged", "Deployment Judge Would Stop"],
        "told once: the second poll said the same"
    );
    let event = &w.fake.events()[0];
    assert_eq!(event.detail["deploymentId"], ID);
    let group = format!("arn:aws:codedeploy:{HOME}:{ACCOUNT}:deploymentgroup:shop/prod");
    assert_eq!(event.resources, vec![group], "routable by group");
    assert_eq!(event.detail["judge"]["new"]["errors"], 120.0);
    let metrics = w.metrics.lock().unwrap().join("\n");
    assert!(
        metrics.contains("\"JudgeFail\":1") && metrics.contains("JudgeErrorsP"),
        "{metrics}"
    );
}

#[tokio::test]
async fn off_watches_nothing_and_reads_no_metric() {
    let w = lambda_canary(&[("JUDGE", "off")]).await;
    lambda_traffic(&w.fake, &minutes(17, 3), BAD_NEW, Some(OLD));

    let report = w.report(&started()).await;

    assert!(report.judging.is_empty(), "{report:?}");
    assert!(w.fake.messages(ACCOUNT, HOME, WATCH_QUEUE).is_empty());
    assert_eq!(w.fake.call_count("GetMetricData"), 0);
    assert_eq!(w.fake.call_count("ListMetrics"), 0);
}

#[tokio::test]
async fn enforced_a_bad_ecs_canary_is_stopped_by_its_target_groups() {
    let w = World::judging(&[("JUDGE", "enforce"), ("JUDGE_INTERVAL", "1")]).await;
    w.fake.add(
        Deployment::new(HOME, ID, "shop", "prod")
            .created(ago(20 * 60))
            .ecs_task_sets("shop-blue", "shop-green", 10.0),
    );
    ecs_traffic(&w.fake, &minutes(17, 3), BAD_NEW, OLD);

    start(&w).await;
    let polled = polls(&w, 1, Duration::from_secs(10)).await;

    assert_eq!(w.stopped(), vec![ID.to_string()]);
    let action = &polled[0].report.actions[0];
    assert!(
        action
            .reason
            .contains("(120 of 1,200) vs 0.11 % (12 of 10,800)"),
        "{}",
        action.reason
    );
}

#[tokio::test]
async fn only_a_new_lambda_or_ecs_deployment_in_scope_is_watched_and_only_once() {
    let cases = [
        (Deployment::new(HOME, ID, "shop", "prod"), "on Server"),
        (
            Deployment::new(HOME, ID, "shop", "prod")
                .lambda_versions("checkout", "live", "42", "41", 10.0)
                .creator("codeDeployRollback"),
            "a rollback",
        ),
        (
            Deployment::new(HOME, ID, "shop", "prod")
                .platform("Lambda")
                .status("Succeeded"),
            "Succeeded: not active",
        ),
    ];
    for (deployment, why) in cases {
        let w = World::judging(&[("JUDGE", "enforce")]).await;
        w.fake.add(deployment.created(ago(60)));
        let watch = start(&w).await;
        assert_eq!(watch.outcome, Watch::Ended, "{why}: {watch:?}");
        assert!(watch.reason.contains(why), "{why}: {}", watch.reason);
        assert!(
            w.fake.messages(ACCOUNT, HOME, WATCH_QUEUE).is_empty(),
            "{why}"
        );
    }

    let w = lambda_canary(&[("JUDGE", "enforce")]).await;
    let first = start(&w).await;
    let again = start(&w).await;
    assert_eq!(first.outcome, Watch::Watching);
    assert_eq!(again.outcome, Watch::Dropped, "{again:?}");
    let polled = polls(&w, 2, Duration::from_secs(4)).await;
    let taken = outcomes(&polled);
    assert_eq!(
        taken.iter().filter(|&&o| o == Watch::Watching).count(),
        1,
        "{taken:?}"
    );
    assert!(
        taken.contains(&Watch::Dropped),
        "the repeat's poll is dropped: {taken:?}"
    );
}

#[tokio::test]
async fn a_target_account_s_canary_is_judged_and_stopped_through_its_role() {
    const TEAM_B: &str = "222233334444";
    let vars = [
        ("JUDGE", "enforce"),
        ("JUDGE_INTERVAL", "1"),
        ("TARGET_ACCOUNTS", TEAM_B),
    ];
    let w = World::judging(&vars).await;
    w.fake.add_role(Role {
        arn: format!("arn:aws:iam::{TEAM_B}:role/deployment-circuit-breaker-target"),
        trusted: vec![FUNCTION_ROLE.into()],
        policy: Some(template_policy("TargetRole")),
    });
    w.fake.add(
        Deployment::new(HOME, ID, "shop", "prod")
            .account(TEAM_B)
            .created(ago(20 * 60))
            .lambda_versions("checkout", "live", "41", "42", 10.0),
    );
    // Team B's metrics, in team B's account only: read in the breaker's, there are none.
    lambda_traffic_in(&w.fake, TEAM_B, &minutes(17, 3), BAD_NEW, Some(OLD));

    let report = w.report(&started_in(TEAM_B)).await;
    let polled = polls(&w, 1, Duration::from_secs(10)).await;

    assert_eq!(report.judging[0].account, TEAM_B, "{report:?}");
    assert_eq!(verdicts(&polled), vec![Some(Verdict::Fail)], "{polled:?}");
    let stops: Vec<(String, String)> = (w.fake.stops().into_iter())
        .map(|s| (s.account, s.deployment_id))
        .collect();
    assert_eq!(stops, vec![(TEAM_B.to_string(), ID.to_string())]);
}

#[tokio::test]
async fn a_stop_that_failed_is_told_and_made_at_the_next_poll() {
    let w = lambda_canary(&[("JUDGE", "enforce")]).await;
    lambda_traffic(&w.fake, &minutes(17, 3), BAD_NEW, Some(OLD));
    // CodeDeploy refuses the first stop, past the SDK's retries.
    w.fake.fail("StopDeployment", 3, 500, "InternalFailure");

    start(&w).await;
    let first = polls(&w, 1, Duration::from_secs(10)).await;
    let next = polls(&w, 1, Duration::from_secs(10)).await;

    let failed = &first[0].report.actions[0];
    assert_eq!(failed.outcome, Outcome::Failed, "{failed:?}");
    assert!(
        told(&w).contains(&"Deployment Stop Failed".to_string()),
        "{:?}",
        told(&w)
    );
    assert_eq!(
        next[0].report.actions[0].outcome,
        Outcome::Stopped,
        "{next:?}"
    );
    assert_eq!(w.stopped(), vec![ID.to_string()]);
}

#[tokio::test]
async fn a_poll_delivered_twice_is_judged_once_and_stops_once() {
    let w = lambda_canary(&[("JUDGE", "enforce")]).await;
    lambda_traffic(&w.fake, &minutes(17, 3), BAD_NEW, Some(OLD));
    start(&w).await;
    // SQS delivers at least once: the same poll, twice.
    let poll = w.fake.messages(ACCOUNT, HOME, WATCH_QUEUE)[0].body.clone();
    w.fake.send_message(ACCOUNT, HOME, WATCH_QUEUE, &poll, 1);

    let polled = polls(&w, 2, Duration::from_secs(10)).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let after = polls(&w, 3, Duration::from_secs(3)).await;

    let taken = outcomes(&polled);
    assert_eq!(
        taken.iter().filter(|&&o| o == Watch::Watching).count(),
        1,
        "{taken:?}"
    );
    assert_eq!(w.fake.stops().len(), 1, "one stop");
    let stopped = told(&w)
        .iter()
        .filter(|t| *t == "Deployment Stopped")
        .count();
    assert_eq!(stopped, 1, "told once: {:?}", told(&w));
    let later: Vec<(u32, Watch)> = (after.iter().flat_map(|p| &p.report.judging))
        .map(|j| (j.poll, j.outcome))
        .collect();
    assert!(
        later.iter().all(|(_, o)| *o != Watch::Watching),
        "one chain of polls, and it ends with the stopped deployment: {later:?}"
    );
}
