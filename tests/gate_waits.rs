//! The gate waits without holding an invocation: a bake, or a read that failed, is looked at
//! again through the gate's own queue, one short invocation per look, with the hook's record in
//! the state table saying which look comes next. Each hook is answered once, at its own time,
//! however many arrive at once, however often a message is repeated or forged. Real SDK clients
//! (CodeDeploy, CloudWatch, the tagging API, DynamoDB, SQS) against the fake over HTTP, with the
//! fake playing the queue's event source mapping.

mod common;

use std::time::{Duration, SystemTime};

use common::gate::{
    ago, answered, deployment, hook, tagged_alarm, Gate, DEPLOYMENT, HOOK_ID, QUEUE,
};
use common::{ACCOUNT, HOME};
use deployment_circuit_breaker::gate::GateOutcome;
use deployment_circuit_breaker::time::Time;
use fake_aws::{Deployment, FakeAws, FaultKind};
use serde_json::{json, Value};

/// A look at the test's hook, as the gate would send it, number `look`.
fn look(execution_id: &str, look: u32) -> String {
    json!({"DeploymentId": DEPLOYMENT, "LifecycleEventHookExecutionId": execution_id,
        "look": look})
    .to_string()
}

/// The S value of `attribute` in a stored item.
fn attribute<'a>(item: &'a Value, attribute: &str) -> Option<&'a str> {
    item[attribute]["S"].as_str()
}

#[tokio::test]
async fn a_bake_of_several_looks_is_answered_once_and_no_invocation_outlasts_a_look() {
    let g = Gate::new(&[("BAKE_SECONDS", "4")]).await;
    g.fake.add(deployment("AfterAllowTraffic"));
    g.fake
        .put_alarm(tagged_alarm("shop-errors", "OK", ago(600)));

    let first = g.report(&hook()).await;

    assert_eq!(first.outcome, GateOutcome::Waiting, "{first:?}");
    assert_eq!(first.answer, None);
    assert!(g.answers().is_empty(), "not answered yet");
    let looks = g.run(1, Duration::from_secs(15)).await;
    let (at, last) = looks.last().expect("looks");
    assert_eq!(last.outcome, GateOutcome::Passed, "{last:?}");
    assert!(last.reason.contains("during the bake"), "{}", last.reason);
    assert!(
        *at >= last.bake_ends.expect("a bake"),
        "not passed before its end"
    );
    assert!(last.baked_seconds.is_some_and(|s| s >= 3), "{last:?}");
    assert!(looks.len() >= 3, "several looks: {}", looks.len());
    assert_eq!(g.answers(), vec!["Succeeded"]);
    let longest = g.took.lock().unwrap().iter().max().copied().unwrap();
    assert!(
        longest < Duration::from_secs(2),
        "an invocation held the bake: {longest:?}"
    );
    let records = g.records();
    assert_eq!(records.len(), 1);
    assert_eq!(attribute(&records[0], "answer"), Some("Succeeded"));
    assert!(
        !records[0].to_string().contains(HOOK_ID),
        "the ID is a capability: hashed"
    );
    assert!(
        g.fake.messages(ACCOUNT, HOME, QUEUE).is_empty(),
        "no look left behind"
    );
}

#[tokio::test]
async fn an_alarm_firing_mid_bake_fails_the_hook_at_the_next_look() {
    let g = Gate::new(&[("BAKE_SECONDS", "30")]).await;
    g.fake.add(deployment("AfterAllowTraffic"));
    g.fake
        .put_alarm(tagged_alarm("shop-errors", "OK", ago(600)));
    g.report(&hook()).await;

    let (looks, ()) = tokio::join!(g.run(1, Duration::from_secs(10)), async {
        tokio::time::sleep(Duration::from_millis(1000)).await;
        g.fake.set_alarm_state(HOME, "shop-errors", "ALARM");
    });

    let (_, last) = looks.last().expect("looks");
    assert_eq!(last.outcome, GateOutcome::Failed, "{last:?}");
    assert_eq!(g.answers(), vec!["Failed"], "well before the bake's end");
}

#[tokio::test]
async fn ten_hooks_bake_at_once_through_one_instance_each_answered_at_its_own_end() {
    let g = Gate::new(&[("BAKE_SECONDS", "5")]).await;
    g.fake
        .put_alarm(tagged_alarm("shop-errors", "OK", ago(600)));
    let hooks: Vec<(String, String)> = (0..10)
        .map(|i| (format!("d-BAKE{i:05}"), format!("{HOOK_ID}{i}")))
        .collect();
    for (i, (id, execution)) in hooks.iter().enumerate() {
        // Their bakes began 300 ms apart, so each ends at its own time.
        let start = SystemTime::now() - Duration::from_millis(300 * (10 - i as u64));
        let d = Deployment::new(HOME, id, "shop", "prod")
            .platform("Lambda")
            .created(ago(300))
            .hook_since("AfterAllowTraffic", execution, start);
        g.fake.add(d);
    }
    for (id, execution) in &hooks {
        let call = json!({"DeploymentId": id, "LifecycleEventHookExecutionId": execution});
        assert_eq!(g.report(&call).await.outcome, GateOutcome::Waiting);
    }

    // One instance: the looks are delivered one batch at a time, each a short invocation.
    let looks = g.run(10, Duration::from_secs(20)).await;

    let done = answered(&looks);
    assert_eq!(done.len(), 10, "{looks:?}");
    for (at, report) in done {
        let ends = report.bake_ends.expect("a bake");
        assert_eq!(report.outcome, GateOutcome::Passed, "{report:?}");
        assert!(
            *at >= ends,
            "{} answered at {at}, before its bake ended at {ends}",
            report.deployment_id
        );
        assert!(
            at.millis() - ends.millis() < 2500,
            "{} answered late, at {at} for {ends}",
            report.deployment_id
        );
    }
    let mut taken: Vec<String> = (g.fake.hook_answers().into_iter())
        .map(|a| a.execution_id)
        .collect();
    taken.sort();
    let mut expected: Vec<String> = hooks.into_iter().map(|(_, e)| e).collect();
    expected.sort();
    assert_eq!(taken, expected, "each hook answered once");
    let longest = g.took.lock().unwrap().iter().max().copied().unwrap();
    assert!(longest < Duration::from_secs(2), "{longest:?}");
}

#[tokio::test]
async fn a_repeated_hook_and_forged_looks_change_nothing() {
    let g = Gate::new(&[("BAKE_SECONDS", "3")]).await;
    g.fake.add(deployment("AfterAllowTraffic"));
    g.fake
        .put_alarm(tagged_alarm("shop-errors", "OK", ago(600)));

    let first = g.report(&hook()).await;
    let again = g.report(&hook()).await;

    assert_eq!(first.outcome, GateOutcome::Waiting);
    assert_eq!(again.outcome, GateOutcome::Dropped, "{again:?}");
    assert!(again.reason.contains("watched already"), "{again:?}");
    assert_eq!(again.answer, None);
    assert_eq!(
        g.fake.messages(ACCOUNT, HOME, QUEUE).len(),
        1,
        "the repeat sent no look of its own"
    );
    // Messages anyone could write: a look the record does not expect, a hook never watched.
    for body in [
        look(HOOK_ID, 7),
        look("eyJmb3JnZWQiOnRydWV9", 1),
        "{\"look\": 1}".into(),
    ] {
        g.fake.send_message(ACCOUNT, HOME, QUEUE, &body, 0);
    }
    let looks = g.run(1, Duration::from_secs(15)).await;

    assert_eq!(
        g.answers(),
        vec!["Succeeded"],
        "answered once, by the gate's own looks"
    );
    let dropped: Vec<&str> = (looks.iter())
        .filter(|(_, r)| r.outcome == GateOutcome::Dropped)
        .map(|(_, r)| r.reason.as_str())
        .collect();
    assert!(
        dropped.iter().any(|r| r.contains("expects look")),
        "{dropped:?}"
    );
    // The look of a hook never watched is not taken: being young, it might be one whose record
    // is still being written, so it comes back until it is old enough to drop (or goes to the
    // dead-letter queue, which alarms).
    let stray = g.fake.messages(ACCOUNT, HOME, QUEUE);
    assert!(
        stray
            .iter()
            .any(|m| m.body.contains("eyJmb3JnZWQiOnRydWV9")),
        "{stray:?}"
    );
    let (at, last) = answered(&looks)[0];
    assert!(
        *at >= last.bake_ends.expect("a bake"),
        "the whole bake: {last:?}"
    );
}

#[tokio::test]
async fn a_look_delivered_twice_at_once_is_taken_once_and_answers_once() {
    let g = Gate::new(&[("BAKE_SECONDS", "3")]).await;
    g.fake.add(deployment("AfterAllowTraffic"));
    g.fake
        .put_alarm(tagged_alarm("shop-errors", "OK", ago(600)));
    g.report(&hook()).await;
    // SQS delivers at least once: the first look, twice, both due (1 s) when the batch is taken.
    let first = g.fake.messages(ACCOUNT, HOME, QUEUE)[0].body.clone();
    g.fake.send_message(ACCOUNT, HOME, QUEUE, &first, 0);
    tokio::time::sleep(Duration::from_millis(1200)).await;

    let looks = g.run(1, Duration::from_secs(15)).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let after = g.run(2, Duration::from_secs(3)).await;

    assert_eq!(g.answers(), vec!["Succeeded"], "{looks:?}");
    let outcomes: Vec<GateOutcome> = looks.iter().map(|(_, r)| r.outcome).collect();
    assert_eq!(
        outcomes
            .iter()
            .filter(|&&o| o == GateOutcome::Passed)
            .count(),
        1,
        "answered and told once: {outcomes:?}"
    );
    let reasons: Vec<&str> = (looks.iter())
        .filter(|(_, r)| r.outcome == GateOutcome::Dropped)
        .map(|(_, r)| r.reason.as_str())
        .collect();
    assert!(
        reasons.iter().any(|r| r.contains("twin")),
        "the losing twin's chain ends at its next look: {reasons:?}"
    );
    assert!(
        after.iter().all(|(_, r)| r.outcome == GateOutcome::Dropped),
        "no chain of looks goes on after the answer: {after:?}"
    );
}

#[tokio::test]
async fn a_hook_without_a_start_time_bakes_in_full_from_when_the_gate_first_saw_it() {
    let g = Gate::new(&[("BAKE_SECONDS", "3")]).await;
    let d = Deployment::new(HOME, DEPLOYMENT, "shop", "prod")
        .platform("Lambda")
        .created(ago(300))
        .hook_without_start_time("AfterAllowTraffic", HOOK_ID);
    g.fake.add(d);
    let seen = Time::now();

    let first = g.report(&hook()).await;
    let looks = g.run(1, Duration::from_secs(15)).await;

    assert_eq!(first.outcome, GateOutcome::Waiting, "{first:?}");
    assert!(
        first.errors.iter().any(|e| e.contains("no start time")),
        "{:?}",
        first.errors
    );
    let (at, last) = answered(&looks)[0];
    assert_eq!(last.outcome, GateOutcome::Passed, "{last:?}");
    assert!(
        at.millis() - seen.millis() >= 3000,
        "baked in full, not from zero"
    );
}

#[tokio::test]
async fn a_lifecycle_read_failing_twice_then_succeeding_is_baked_not_passed() {
    let g = Gate::new(&[("BAKE_SECONDS", "4")]).await;
    g.fake.add(deployment("AfterAllowTraffic"));
    g.fake
        .put_alarm(tagged_alarm("shop-errors", "OK", ago(600)));
    g.fake
        .fail("ListDeploymentTargets", 2, 400, "AccessDeniedException");

    let first = g.report(&hook()).await;
    let looks = g.run(1, Duration::from_secs(20)).await;

    assert_eq!(first.outcome, GateOutcome::Waiting, "{first:?}");
    assert!(first.reason.contains("lifecycle event"), "{}", first.reason);
    assert!(
        looks.iter().any(|(_, r)| r.outcome == GateOutcome::Waiting
            && r.errors.iter().any(|e| e.contains("AccessDenied"))),
        "the second failure was retried too"
    );
    let (at, last) = answered(&looks)[0];
    assert_eq!(last.outcome, GateOutcome::Passed, "{last:?}");
    assert!(*at >= last.bake_ends.expect("baked"), "{last:?}");
    assert_eq!(g.answers(), vec!["Succeeded"]);
}

#[tokio::test]
async fn reads_failing_past_the_retry_window_are_answered_as_gate_on_error_says_and_told() {
    for (policy, answer) in [("succeed", "Succeeded"), ("fail", "Failed")] {
        let g = Gate::new(&[("GATE_ON_ERROR", policy), ("NOTIFY", "true")]).await;
        g.fake.add(deployment("BeforeAllowTraffic"));
        g.fake
            .put_alarm(tagged_alarm("shop-errors", "ALARM", ago(60)));
        g.fake
            .fail("GetResources", 100, 400, "AccessDeniedException");

        let first = g.report(&hook()).await;
        assert_eq!(
            first.outcome,
            GateOutcome::Waiting,
            "a failed read is retried first"
        );
        assert!(g.answers().is_empty());
        // The reads have failed since six minutes ago: their retries are over.
        let mut record = g.records().pop().expect("the hook's record");
        let six_minutes_ago = json!({"N": (Time::now().millis() - 360_000).to_string()});
        record["firstSeen"] = six_minutes_ago.clone();
        record["failingSince"] = six_minutes_ago;
        g.fake.put_item(ACCOUNT, HOME, common::gate::TABLE, record);
        let looks = g.run(1, Duration::from_secs(10)).await;

        let (_, last) = answered(&looks)[0];
        assert_eq!(last.outcome, GateOutcome::CouldNotCheck, "{last:?}");
        assert!(last.reason.contains("AccessDenied"), "{}", last.reason);
        assert!(last.reason.contains(&format!("GATE_ON_ERROR={policy}")));
        assert_eq!(g.answers(), vec![answer]);
        let told: Vec<_> = g.fake.events().into_iter().map(|e| e.detail_type).collect();
        assert_eq!(told, vec!["Deployment Gate Could Not Check"]);
    }
}

#[tokio::test]
async fn a_gate_that_cannot_wait_answers_as_gate_on_error_says() {
    let fake = FakeAws::start().await.expect("fake starts");
    let g = Gate::bare(&[("BAKE_SECONDS", "60"), ("GATE_ON_ERROR", "fail")], fake).await;
    g.fake.add(deployment("AfterAllowTraffic"));

    let report = g.report(&hook()).await;

    assert_eq!(report.outcome, GateOutcome::CouldNotCheck, "{report:?}");
    assert!(
        report.reason.contains("WATCH_QUEUE_URL"),
        "{}",
        report.reason
    );
    assert_eq!(g.answers(), vec!["Failed"]);
}

#[tokio::test]
async fn only_the_hook_after_the_last_traffic_shift_bakes() {
    let g = Gate::new(&[("BAKE_SECONDS", "600")]).await;
    g.fake.add(deployment("BeforeAllowTraffic"));

    let report = g.report(&hook()).await;

    assert_eq!(report.outcome, GateOutcome::Passed);
    assert_eq!(
        report.lifecycle_event.as_ref().map(|e| e.name.as_str()),
        Some("BeforeAllowTraffic")
    );
    assert_eq!(report.bake_ends, None);
    assert!(
        g.records().is_empty(),
        "nothing to wait for, nothing recorded"
    );
}

#[tokio::test]
async fn an_alarm_without_data_at_any_look_is_named_in_the_answers_reason() {
    let g = Gate::new(&[("BAKE_SECONDS", "3")]).await;
    g.fake.add(deployment("AfterAllowTraffic"));
    g.fake
        .put_alarm(tagged_alarm("shop-errors", "OK", ago(600)));
    g.fake
        .put_alarm(tagged_alarm("shop-latency", "INSUFFICIENT_DATA", ago(600)));

    // shop-latency has no data at the first look, and recovers before the bake ends.
    let first = g.report(&hook()).await;
    g.fake.set_alarm_state(HOME, "shop-latency", "OK");
    let looks = g.run(1, Duration::from_secs(15)).await;

    assert_eq!(first.outcome, GateOutcome::Waiting);
    let (_, last) = answered(&looks)[0];
    assert_eq!(last.outcome, GateOutcome::Passed, "{last:?}");
    assert!(
        last.reason.contains("INSUFFICIENT_DATA") && last.reason.contains("shop-latency"),
        "{}",
        last.reason
    );
    assert_eq!(
        last.insufficient_data.iter().collect::<Vec<_>>(),
        vec!["shop-latency"]
    );
}

#[tokio::test]
async fn a_look_that_comes_before_its_record_moved_on_comes_back_and_is_taken() {
    let g = Gate::new(&[("BAKE_SECONDS", "4")]).await;
    g.fake.add(deployment("AfterAllowTraffic"));
    g.fake
        .put_alarm(tagged_alarm("shop-errors", "OK", ago(600)));
    // The first look is sent 1 s ahead; the record it needs is written 1.5 s after the send.
    g.fake.inject(
        "PutItem",
        None,
        1,
        FaultKind::Delay(Duration::from_millis(1500)),
    );

    let call = hook();
    let (first, looks) = tokio::join!(g.report(&call), async {
        tokio::time::sleep(Duration::from_millis(100)).await;
        g.run(1, Duration::from_secs(20)).await
    });

    assert_eq!(first.outcome, GateOutcome::Waiting, "{first:?}");
    let (at, last) = answered(&looks)[0];
    assert_eq!(last.outcome, GateOutcome::Passed, "{last:?}");
    assert!(*at >= last.bake_ends.expect("a bake"));
    assert!(
        looks.iter().all(|(_, r)| r.outcome != GateOutcome::Dropped),
        "an early look is not dropped: {looks:?}"
    );
    assert_eq!(g.answers(), vec!["Succeeded"]);
}

#[tokio::test]
async fn an_answer_codedeploy_does_not_take_at_a_look_is_given_when_the_look_comes_back() {
    let g = Gate::new(&[("BAKE_SECONDS", "3")]).await;
    g.fake.add(deployment("AfterAllowTraffic"));
    g.fake
        .put_alarm(tagged_alarm("shop-errors", "OK", ago(600)));
    g.report(&hook()).await;
    // Every attempt the SDK makes at the first answer fails.
    g.fake.fail(
        "PutLifecycleEventHookExecutionStatus",
        3,
        500,
        "InternalFailure",
    );

    let looks = g.run(1, Duration::from_secs(25)).await;

    assert_eq!(g.answers(), vec!["Succeeded"], "{looks:?}");
    let tries = looks
        .iter()
        .filter(|(_, r)| r.outcome == GateOutcome::Passed)
        .count();
    assert!(
        tries >= 2,
        "the look that could not answer came back: {looks:?}"
    );
}
