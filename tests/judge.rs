//! The canary judge, at the gate's hook after the last traffic shift of a Lambda deployment: the
//! new version against the old over the minutes both took traffic in, from the metrics Lambda
//! publishes per executed version. It fails the hook only with `JUDGE=enforce` and a difference
//! both significant and large; it says `inconclusive` where the data cannot say. An ECS
//! deployment is judged by its task sets' target groups. Real SDK clients (CodeDeploy,
//! CloudWatch over CBOR, Elastic Load Balancing) against the fake over HTTP.

mod common;

use std::time::{Duration, SystemTime};

use common::canary::{ecs_traffic, lambda_traffic, PerMinute};
use common::gate::{ago, answered, hook, Gate, DEPLOYMENT, HOOK_ID};
use common::HOME;
use deployment_circuit_breaker::gate::{GateOutcome, GateReport};
use deployment_circuit_breaker::judge::Verdict;
use fake_aws::Deployment;

/// A Lambda canary of `checkout:live`, 41 → 42, created 20 minutes ago and now after its last
/// traffic shift; each of the 15 minutes from 17 to 3 minutes ago, `new` on version 42 and `old`
/// on 41 (`None`: no traffic on it).
async fn canary(vars: &[(&str, &str)], new: PerMinute, old: Option<PerMinute>) -> Gate {
    let g = Gate::new(vars).await;
    g.fake.add(
        Deployment::new(HOME, DEPLOYMENT, "shop", "prod")
            .created(ago(20 * 60))
            .hook("AfterAllowTraffic", HOOK_ID)
            .lambda_versions("checkout", "live", "41", "42", 10.0),
    );
    let minutes: Vec<SystemTime> = (3..18).map(|m| ago(m * 60)).collect();
    lambda_traffic(&g.fake, &minutes, new, old);
    g
}

fn verdict(report: &GateReport) -> Option<Verdict> {
    report.judge.as_ref().map(|j| j.verdict)
}

#[tokio::test]
async fn enforced_a_bad_canary_fails_the_hook_with_the_numbers() {
    // 15 minutes: 41 of 1,200 errors on the new version against 12 of 10,800 on the old.
    let g = canary(
        &[("JUDGE", "enforce")],
        (80.0, 41.0 / 15.0, 200.0),
        Some((720.0, 0.8, 200.0)),
    )
    .await;

    let report = g.report(&hook()).await;

    assert_eq!(report.outcome, GateOutcome::Failed, "{report:?}");
    assert!(
        report.reason.starts_with("the canary judge: new version 3.4 % errors (41 of 1,200) vs 0.11 % (12 of 10,800), p < 1e-9"),
        "{}",
        report.reason
    );
    assert_eq!(g.answers(), vec!["Failed"]);
    let judge = report.judge.expect("the numbers");
    assert_eq!(judge.minutes, 15);
}

#[tokio::test]
async fn reported_a_bad_canary_is_told_and_the_hook_passes() {
    let g = canary(
        &[("NOTIFY", "true")],
        (80.0, 41.0 / 15.0, 200.0),
        Some((720.0, 0.8, 200.0)),
    )
    .await;

    let report = g.report(&hook()).await;

    assert_eq!(report.outcome, GateOutcome::Passed, "{report:?}");
    assert_eq!(verdict(&report), Some(Verdict::Fail));
    assert!(
        report
            .reason
            .contains("the canary judge would fail it (JUDGE=report)"),
        "{}",
        report.reason
    );
    assert_eq!(g.answers(), vec!["Succeeded"]);
    let told: Vec<String> = (g.fake.events().into_iter())
        .map(|e| e.detail_type)
        .collect();
    assert_eq!(
        told,
        vec!["Deployment Judged", "Deployment Judge Would Stop"]
    );
    let metrics = g.metrics.lock().unwrap().join("\n");
    assert!(
        metrics.contains("\"JudgeFail\":1") && metrics.contains("JudgeErrorsP"),
        "{metrics}"
    );
}

#[tokio::test]
async fn a_healthy_canary_passes_and_a_slow_one_fails_on_latency() {
    let vars = [("JUDGE", "enforce")];
    let healthy = canary(&vars, (120.0, 0.1, 210.0), Some((720.0, 0.8, 200.0))).await;
    let report = healthy.report(&hook()).await;
    assert_eq!(report.outcome, GateOutcome::Passed, "{report:?}");
    assert_eq!(verdict(&report), Some(Verdict::Pass));

    let slow = canary(&vars, (120.0, 0.1, 450.0), Some((720.0, 0.8, 200.0))).await;
    let report = slow.report(&hook()).await;
    assert_eq!(report.outcome, GateOutcome::Failed, "{report:?}");
    assert!(report.reason.contains("p99 450 ms"), "{}", report.reason);
}

#[tokio::test]
async fn what_the_data_cannot_say_is_inconclusive_and_never_fails_the_hook() {
    let vars = [("JUDGE", "enforce")];
    for (label, new, old, why) in [
        (
            "too little traffic",
            (10.0, 0.0, 200.0),
            Some((720.0, 0.0, 200.0)),
            "only 150 requests",
        ),
        (
            "all at once",
            (800.0, 0.0, 200.0),
            None,
            "no minute in which both",
        ),
        (
            "degraded alike",
            (80.0, 8.0, 200.0),
            Some((720.0, 72.0, 200.0)),
            "degraded alike",
        ),
    ] {
        let g = canary(&vars, new, old).await;
        let report = g.report(&hook()).await;
        assert_eq!(report.outcome, GateOutcome::Passed, "{label}: {report:?}");
        let judge = report.judge.expect(label);
        assert_eq!(judge.verdict, Verdict::Inconclusive, "{label}");
        assert!(judge.reason.contains(why), "{label}: {}", judge.reason);
    }
}

#[tokio::test]
async fn off_reads_no_metric_and_only_the_hook_after_the_shift_is_judged() {
    let off = canary(
        &[("JUDGE", "off")],
        (80.0, 3.0, 200.0),
        Some((720.0, 0.8, 200.0)),
    )
    .await;
    let report = off.report(&hook()).await;
    assert_eq!((report.outcome, report.judge), (GateOutcome::Passed, None));
    assert_eq!(off.fake.call_count("GetMetricData"), 0);

    let before = Gate::new(&[("JUDGE", "enforce")]).await;
    before.fake.add(
        Deployment::new(HOME, DEPLOYMENT, "shop", "prod")
            .created(ago(600))
            .hook("BeforeAllowTraffic", HOOK_ID)
            .lambda_versions("checkout", "live", "41", "42", 0.0),
    );
    let report = before.report(&hook()).await;
    assert_eq!(report.outcome, GateOutcome::Passed);
    assert_eq!(
        before.fake.call_count("GetMetricData"),
        0,
        "no shift to judge yet"
    );
}

/// An ECS blue/green deployment of `shop/prod`, `blue` → `green` behind load balancer `web`,
/// created 20 minutes ago and after its last traffic shift; each of the 15 minutes from 17 to 3
/// minutes ago, `new` on the green target group and `old` on the blue one (p99 in ms).
async fn ecs_canary(vars: &[(&str, &str)], new: PerMinute, old: PerMinute) -> Gate {
    let g = Gate::new(vars).await;
    g.fake.add(
        Deployment::new(HOME, DEPLOYMENT, "shop", "prod")
            .created(ago(20 * 60))
            .hook("AfterAllowTraffic", HOOK_ID)
            .ecs_task_sets("shop-blue", "shop-green", 10.0),
    );
    let minutes: Vec<SystemTime> = (3..18).map(|m| ago(m * 60)).collect();
    ecs_traffic(&g.fake, &minutes, new, old);
    g
}

#[tokio::test]
async fn an_ecs_canary_is_judged_by_its_target_groups() {
    let vars = [("JUDGE", "enforce")];
    let bad = ecs_canary(&vars, (80.0, 41.0 / 15.0, 200.0), (720.0, 0.8, 200.0)).await;
    let report = bad.report(&hook()).await;
    assert_eq!(report.outcome, GateOutcome::Failed, "{report:?}");
    assert!(
        report
            .reason
            .contains("(41 of 1,200) vs 0.11 % (12 of 10,800)"),
        "{}",
        report.reason
    );
    assert_eq!(
        bad.fake.call_count("ListMetrics"),
        2,
        "each target group's dimensions"
    );

    let healthy = ecs_canary(&vars, (120.0, 0.1, 210.0), (720.0, 0.8, 200.0)).await;
    let report = healthy.report(&hook()).await;
    assert_eq!(report.outcome, GateOutcome::Passed, "{report:?}");
    assert_eq!(verdict(&report), Some(Verdict::Pass));
    let latency = report
        .judge
        .and_then(|j| j.latency)
        .expect("latency judged");
    assert_eq!(
        latency.new_median_p99_ms.round(),
        210.0,
        "seconds read as milliseconds"
    );
}

#[tokio::test]
async fn enforced_unreadable_metrics_are_retried_not_passed() {
    let vars = [("JUDGE", "enforce")];
    let g = canary(&vars, (120.0, 0.1, 200.0), Some((720.0, 0.8, 200.0))).await;
    g.fake
        .fail("GetMetricData", 1, 400, "AccessDeniedException");

    let first = g.report(&hook()).await;
    let looks = g.run(1, Duration::from_secs(15)).await;

    assert_eq!(first.outcome, GateOutcome::Waiting, "{first:?}");
    assert!(
        first.reason.contains("could not read the metrics"),
        "{}",
        first.reason
    );
    let (_, last) = answered(&looks)[0];
    assert_eq!(last.outcome, GateOutcome::Passed, "{last:?}");
    assert_eq!(verdict(last), Some(Verdict::Pass));
}

#[tokio::test]
async fn a_bake_is_judged_once_as_it_ends() {
    let vars = [("BAKE_SECONDS", "3")];
    let g = canary(&vars, (120.0, 0.1, 200.0), Some((720.0, 0.8, 200.0))).await;

    let first = g.report(&hook()).await;
    assert_eq!(
        (first.outcome, g.fake.call_count("GetMetricData")),
        (GateOutcome::Waiting, 0)
    );
    let looks = g.run(1, Duration::from_secs(15)).await;

    let (_, last) = answered(&looks)[0];
    assert_eq!(verdict(last), Some(Verdict::Pass), "{last:?}");
    assert!(looks.len() >= 2, "several looks: {looks:?}");
    assert_eq!(
        g.fake.call_count("GetMetricData"),
        1,
        "judged once, at the end"
    );
}
