//! The gate, a CodeDeploy lifecycle hook: it fails a hook when an alarm that guards the group
//! entered ALARM after the deployment was created, lets through a deployment that may fix an
//! incident already under way, bakes after the last traffic shift, answers every hook once, and
//! answers as GATE_ON_ERROR says when it cannot read the alarms. Real SDK clients (CodeDeploy,
//! CloudWatch over CBOR, the tagging API, EventBridge) against the fake over HTTP.

mod common;

use common::gate::{ago, deployment, hook, tagged_alarm, Gate, DEPLOYMENT, HOOK_ID};
use common::{World, ACCOUNT, HOME};
use deployment_circuit_breaker::gate::{GateOutcome, Judgement};
use deployment_circuit_breaker::report::FailureKind;
use deployment_circuit_breaker::types::{GuardSource, HookAnswer};
use fake_aws::{Alarm, Deployment, Group};

#[tokio::test]
async fn an_alarm_that_entered_alarm_after_the_deployment_began_fails_the_hook() {
    let g = Gate::new(&[]).await;
    g.fake.add(deployment("BeforeAllowTraffic"));
    g.fake
        .put_alarm(tagged_alarm("shop-errors", "ALARM", ago(60)));
    g.fake
        .put_alarm(tagged_alarm("shop-latency", "OK", ago(600)));

    let report = g.report(&hook()).await;

    assert_eq!(report.outcome, GateOutcome::Failed, "{report:?}");
    assert_eq!(report.answer, Some(HookAnswer::Failed));
    assert!(report.reason.contains("shop-errors"), "{}", report.reason);
    assert_eq!(g.answers(), vec!["Failed"]);
    assert_eq!(
        g.fake.call_count("StopDeployment"),
        0,
        "a failed hook is CodeDeploy's rollback"
    );
    let judged: Vec<_> = report
        .alarms
        .iter()
        .map(|j| (j.guard.alarm.name.as_str(), j.judgement))
        .collect();
    assert_eq!(
        judged,
        vec![
            ("shop-errors", Judgement::EnteredAlarm),
            ("shop-latency", Judgement::Quiet)
        ]
    );
    let metrics = g.metrics.lock().unwrap().join("\n");
    assert!(
        metrics.contains("\"GateFailed\":1") && metrics.contains("AlarmToGateAnswer"),
        "{metrics}"
    );
}

#[tokio::test]
async fn an_alarm_already_in_alarm_before_the_deployment_is_reported_and_lets_the_fix_through() {
    let g = Gate::new(&[]).await;
    g.fake.add(deployment("BeforeAllowTraffic"));
    g.fake
        .put_alarm(tagged_alarm("shop-errors", "ALARM", ago(3600)));

    let report = g.report(&hook()).await;

    assert_eq!(report.outcome, GateOutcome::Passed, "{report:?}");
    assert_eq!(report.alarms[0].judgement, Judgement::AlreadyInAlarm);
    assert!(
        report.reason.contains("already in ALARM"),
        "{}",
        report.reason
    );
    assert_eq!(g.answers(), vec!["Succeeded"]);
}

#[tokio::test]
async fn an_alarm_tagged_for_another_application_is_never_a_guard_by_a_rule() {
    // The breaker maps an alarm with the application tag by its tags alone: this one stops web,
    // never shop. So it must not fail shop's hook either, though the rule's glob matches it.
    let rules = r#"[{"alarm":"shop-*","application":"shop","deploymentGroup":"prod"}]"#;
    let g = Gate::new(&[("ALARM_RULES", rules)]).await;
    g.fake.add(deployment("BeforeAllowTraffic"));
    g.fake.put_alarm(
        Alarm::new(HOME, "shop-frontend-5xx")
            .tag("codedeploy-application", "web")
            .state("ALARM", ago(30)),
    );
    g.fake
        .put_alarm(Alarm::new(HOME, "shop-latency").state("OK", ago(900)));

    let report = g.report(&hook()).await;

    let names: Vec<_> = (report.alarms.iter())
        .map(|j| j.guard.alarm.name.as_str())
        .collect();
    assert_eq!(names, vec!["shop-latency"], "{report:?}");
    assert_eq!(report.outcome, GateOutcome::Passed);
    assert_eq!(g.answers(), vec!["Succeeded"]);
}

#[tokio::test]
async fn composite_alarms_rules_and_the_groups_own_alarms_all_guard_it() {
    let rules = r#"[{"alarm":"shop-prod-*","application":"shop","deploymentGroup":"prod"}]"#;
    let g = Gate::new(&[("ALARM_RULES", rules)]).await;
    g.fake.add(deployment("AfterAllowTraffic"));
    g.fake.put_group(Group {
        account: ACCOUNT.into(),
        region: HOME.into(),
        application: "shop".into(),
        group: "prod".into(),
        alarms: vec!["listed-on-group".into()],
    });
    g.fake.put_alarm(
        Alarm::new(HOME, "shop-prod-health")
            .composite()
            .state("ALARM", ago(30)),
    );
    g.fake
        .put_alarm(Alarm::new(HOME, "listed-on-group").state("OK", ago(900)));
    g.fake.put_alarm(
        Alarm::new(HOME, "shop-dev-health")
            .composite()
            .state("ALARM", ago(30)),
    );

    let report = g.report(&hook()).await;

    let names: Vec<_> = report
        .alarms
        .iter()
        .map(|j| j.guard.alarm.name.as_str())
        .collect();
    assert_eq!(names, vec!["listed-on-group", "shop-prod-health"]);
    assert_eq!(report.alarms[1].guard.alarm.kind, "CompositeAlarm");
    assert_eq!(report.outcome, GateOutcome::Failed);
    assert_eq!(g.answers(), vec!["Failed"]);
}

#[tokio::test]
async fn a_formerly_tagged_alarm_and_a_suppressed_composite_do_not_fail_it() {
    let g = Gate::new(&[]).await;
    g.fake.add(deployment("BeforeAllowTraffic"));
    g.fake.put_alarm(tagged_alarm("retagged", "ALARM", ago(30)));
    g.fake
        .untag_alarm(HOME, "retagged", "codedeploy-application");
    g.fake.put_alarm(
        tagged_alarm("quiet-hours", "ALARM", ago(30))
            .composite()
            .suppressed("WaitPeriod"),
    );

    let report = g.report(&hook()).await;

    assert_eq!(report.outcome, GateOutcome::Passed, "{report:?}");
    let judged: Vec<_> = report
        .alarms
        .iter()
        .map(|j| (j.guard.alarm.name.as_str(), j.judgement))
        .collect();
    assert_eq!(judged, vec![("quiet-hours", Judgement::Suppressed)]);
}

#[tokio::test]
async fn a_group_outside_the_scope_is_not_guarded() {
    let g = Gate::new(&[("ALLOWED_DEPLOYMENT_GROUPS", "shop/staging")]).await;
    g.fake.add(deployment("BeforeAllowTraffic"));
    g.fake
        .put_alarm(tagged_alarm("shop-errors", "ALARM", ago(10)));

    let report = g.report(&hook()).await;

    assert_eq!(report.outcome, GateOutcome::NotGuarded);
    assert!(report.reason.contains("not guarded"));
    assert_eq!(g.answers(), vec!["Succeeded"]);
}

#[tokio::test]
async fn a_hook_is_answered_once_whatever_invokes_it_again() {
    let g = Gate::new(&[]).await;
    g.fake.add(deployment("BeforeAllowTraffic"));
    g.fake
        .put_alarm(tagged_alarm("shop-errors", "ALARM", ago(60)));

    let first = g.report(&hook()).await;
    let again = g.report(&hook()).await;

    assert!(!first.already_answered);
    assert!(again.already_answered, "{again:?}");
    assert_eq!(g.answers(), vec!["Failed"], "CodeDeploy took one answer");
}

#[tokio::test]
async fn an_answer_codedeploy_does_not_take_fails_the_invocation_so_lambda_retries() {
    let g = Gate::new(&[]).await;
    g.fake.add(deployment("BeforeAllowTraffic"));
    g.fake.fail(
        "PutLifecycleEventHookExecutionStatus",
        10,
        500,
        "InternalFailure",
    );

    let failure = g.invoke(&hook()).await.expect_err("the answer failed");

    assert_eq!(failure.kind, FailureKind::HookNotAnswered);
    assert!(
        failure.message.contains("InternalFailure"),
        "{}",
        failure.message
    );
}

#[tokio::test]
async fn a_payload_that_is_no_hook_is_refused_unanswered() {
    let g = Gate::new(&[]).await;
    g.fake.add(deployment("BeforeAllowTraffic"));
    let alarm = common::alarm_event("shop-errors", HOME, common::tagged("shop", "prod"));

    let failure = g.invoke(&alarm).await.expect_err("no hook");

    assert_eq!(failure.kind, FailureKind::InvalidPayload);
    assert!(g.answers().is_empty());
}

#[tokio::test]
async fn the_breaker_refuses_a_hook_and_says_where_it_belongs() {
    let w = World::new(&[]).await;
    w.fake
        .add(Deployment::new(HOME, DEPLOYMENT, "shop", "prod"));

    let failure = w.failure(&hook()).await;

    assert!(
        failure.message.contains("CodeDeployHook_"),
        "{}",
        failure.message
    );
    assert!(w.stopped().is_empty());
}

#[tokio::test]
async fn a_dry_run_says_it_would_fail_and_lets_the_deployment_go_on() {
    let g = Gate::new(&[("DRY_RUN", "true"), ("NOTIFY", "true")]).await;
    g.fake.add(deployment("BeforeAllowTraffic"));
    g.fake
        .put_alarm(tagged_alarm("shop-errors", "ALARM", ago(60)));

    let report = g.report(&hook()).await;

    assert_eq!(report.outcome, GateOutcome::WouldFail, "{report:?}");
    assert!(report.reason.contains("DRY_RUN"), "{}", report.reason);
    assert_eq!(g.answers(), vec!["Succeeded"]);
    let told: Vec<_> = g.fake.events().into_iter().map(|e| e.detail_type).collect();
    assert_eq!(told, vec!["Deployment Gate Would Fail"]);
}

#[tokio::test]
async fn the_name_prefix_and_the_tag_switch_decide_what_guards_a_hook() {
    for vars in [
        [("ALARM_NAME_PREFIX", "platform-")],
        [("ALARM_TAG_MAPPING", "false")],
    ] {
        let g = Gate::new(&vars).await;
        g.fake.add(deployment("BeforeAllowTraffic"));
        g.fake
            .put_alarm(tagged_alarm("shop-errors", "ALARM", ago(60)));

        let report = g.report(&hook()).await;

        assert_eq!(report.outcome, GateOutcome::Passed, "{vars:?}: {report:?}");
        assert!(report.alarms.is_empty(), "{vars:?}: {report:?}");
        assert_eq!(g.answers(), vec!["Succeeded"], "{vars:?}");
    }
    let g = Gate::new(&[("ALARM_TAG_MAPPING", "false")]).await;
    g.fake.add(deployment("BeforeAllowTraffic"));
    g.report(&hook()).await;
    assert_eq!(g.fake.call_count("GetResources"), 0, "tags off: not read");
}

#[tokio::test]
async fn the_hook_execution_id_never_appears_whole_in_what_the_gate_tells() {
    // Whoever holds the ID may answer the hook: the report, its log line, the event for people
    // and the metrics name it by a short hash.
    let g = Gate::new(&[("NOTIFY", "true")]).await;
    g.fake.add(deployment("BeforeAllowTraffic"));
    g.fake
        .put_alarm(tagged_alarm("shop-errors", "ALARM", ago(60)));

    let report = g.report(&hook()).await;

    assert_eq!(report.outcome, GateOutcome::Failed);
    let told = [
        serde_json::to_string(&report).unwrap(),
        serde_json::to_string(
            &g.fake
                .events()
                .iter()
                .map(|e| &e.detail)
                .collect::<Vec<_>>(),
        )
        .unwrap(),
        g.metrics.lock().unwrap().join("\n"),
    ];
    assert_eq!(g.fake.events().len(), 1, "the Deployment Gate Failed event");
    for text in &told {
        assert!(!text.contains(HOOK_ID), "{text}");
    }
    let hash = &report.lifecycle_event_hook_execution_hash;
    assert_eq!(hash.len(), 12, "{hash}");
    assert!(
        told[1].contains(hash.as_str()),
        "the event names the hook by its hash"
    );
}

#[tokio::test]
async fn the_groups_own_alarms_guard_it_whatever_the_name_prefix() {
    // The group's alarm configuration is written by whoever may change the group: trusted as
    // CodeDeploy is, it guards it even outside ALARM_NAME_PREFIX.
    let g = Gate::new(&[("ALARM_NAME_PREFIX", "platform-")]).await;
    g.fake.add(deployment("BeforeAllowTraffic"));
    g.fake.put_group(Group {
        account: ACCOUNT.into(),
        region: HOME.into(),
        application: "shop".into(),
        group: "prod".into(),
        alarms: vec!["shop-errors".into()],
    });
    g.fake
        .put_alarm(tagged_alarm("shop-errors", "ALARM", ago(60)));

    let report = g.report(&hook()).await;

    assert_eq!(report.outcome, GateOutcome::Failed, "{report:?}");
    assert_eq!(
        report.alarms[0].guard.sources,
        vec![GuardSource::GroupAlarms],
        "by its listing, not its tags"
    );
}
