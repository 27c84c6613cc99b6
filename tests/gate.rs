//! The gate, a CodeDeploy lifecycle hook: it fails a hook when an alarm that guards the group
//! entered ALARM after the deployment was created, lets through a deployment that may fix an
//! incident already under way, bakes after the last traffic shift, answers every hook once, and
//! answers as GATE_ON_ERROR says when it cannot read the alarms. Real SDK clients (CodeDeploy,
//! CloudWatch over CBOR, the tagging API, EventBridge) against the fake over HTTP.

mod common;

use std::time::{Duration, Instant, SystemTime};

use common::{template_policy, World, ACCOUNT, FUNCTION_ARN, GATE_ROLE, HOME};
use deployment_circuit_breaker::aws::{sdk_config_loader, Deadline, GateAws};
use deployment_circuit_breaker::config::Config;
use deployment_circuit_breaker::gate::{serve, GateOutcome, GateReport, Judgement, BAKE_CONTINUES};
use deployment_circuit_breaker::report::{Failure, FailureKind};
use deployment_circuit_breaker::runtime::Invocation;
use deployment_circuit_breaker::types::{GuardSource, HookAnswer};
use fake_aws::{Alarm, Deployment, FakeAws, Group, Principal};
use serde_json::{json, Value};

const HOOK_ID: &str = "eyJlbmNyeXB0ZWREYXRhIjoiYWJjIn0=";
const DEPLOYMENT: &str = "d-LAMBDA001";

/// The gate wired to a fresh fake.
struct Gate {
    fake: FakeAws,
    aws: GateAws,
    config: Config,
    deadline: Duration,
    metrics: std::sync::Mutex<Vec<String>>,
}

impl Gate {
    async fn new(vars: &[(&str, &str)]) -> Gate {
        let fake = FakeAws::start().await.expect("fake starts");
        // A key of its own: the fake tells the gate from the breaker by it, and holds it to the
        // policy template.yaml grants the gate's role.
        fake.add_principal(Principal {
            access_key: "AKIDGATE".into(),
            role: GATE_ROLE.into(),
            policy: Some(template_policy("GateFunctionRole")),
        });
        let sdk = common::sdk_config(&fake, sdk_config_loader(), "AKIDGATE").await;
        let config = common::config(vars);
        Gate {
            fake,
            aws: GateAws::new(sdk, &config),
            config,
            deadline: Duration::from_secs(60),
            metrics: Default::default(),
        }
    }

    async fn invoke(&self, payload: &Value) -> Result<GateReport, Failure> {
        let deadline = Deadline::after(self.deadline);
        let invocation = Invocation::new(deadline, FUNCTION_ARN, None).expect("an account");
        let mut out = Vec::new();
        let bytes = payload.to_string();
        let served = serve(
            bytes.as_bytes(),
            &invocation,
            &self.config,
            &self.aws,
            &mut out,
        )
        .await;
        let lines = String::from_utf8(out).expect("metrics are text");
        let mut all = self.metrics.lock().unwrap_or_else(|e| e.into_inner());
        all.extend(lines.lines().map(str::to_string));
        served
    }

    async fn report(&self, payload: &Value) -> GateReport {
        self.invoke(payload).await.expect("the hook is answered")
    }

    /// The answers CodeDeploy took, in order.
    fn answers(&self) -> Vec<String> {
        self.fake
            .hook_answers()
            .into_iter()
            .map(|a| a.status)
            .collect()
    }
}

fn hook() -> Value {
    json!({"DeploymentId": DEPLOYMENT, "LifecycleEventHookExecutionId": HOOK_ID})
}

fn ago(secs: u64) -> SystemTime {
    SystemTime::now() - Duration::from_secs(secs)
}

/// A Lambda deployment of shop/prod created five minutes ago, waiting on its hook at `event`.
fn deployment(event: &str) -> Deployment {
    Deployment::new(HOME, DEPLOYMENT, "shop", "prod")
        .platform("Lambda")
        .created(ago(300))
        .hook(event, HOOK_ID)
}

fn tagged_alarm(name: &str, state: &str, since: SystemTime) -> Alarm {
    Alarm::new(HOME, name)
        .tag("codedeploy-application", "shop")
        .tag("codedeploy-deployment-group", "prod")
        .state(state, since)
}

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
async fn unreadable_alarms_are_answered_as_gate_on_error_says_and_told() {
    for (policy, answer) in [("succeed", "Succeeded"), ("fail", "Failed")] {
        let g = Gate::new(&[("GATE_ON_ERROR", policy), ("NOTIFY", "true")]).await;
        g.fake.add(deployment("BeforeAllowTraffic"));
        g.fake
            .put_alarm(tagged_alarm("shop-errors", "ALARM", ago(60)));
        g.fake
            .fail("GetResources", 10, 400, "AccessDeniedException");

        let report = g.report(&hook()).await;

        assert_eq!(report.outcome, GateOutcome::CouldNotCheck, "{report:?}");
        assert!(report.reason.contains("AccessDenied"), "{}", report.reason);
        assert!(report.reason.contains(&format!("GATE_ON_ERROR={policy}")));
        assert_eq!(g.answers(), vec![answer]);
        let told: Vec<_> = g.fake.events().into_iter().map(|e| e.detail_type).collect();
        assert_eq!(told, vec!["Deployment Gate Could Not Check"]);
    }
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
async fn the_bake_passes_when_no_alarm_fires_and_answers_once_at_its_end() {
    let g = Gate::new(&[("BAKE_SECONDS", "3")]).await;
    g.fake.add(deployment("AfterAllowTraffic"));
    g.fake
        .put_alarm(tagged_alarm("shop-errors", "OK", ago(600)));
    let started = Instant::now();

    let report = g.report(&hook()).await;

    assert_eq!(report.outcome, GateOutcome::Passed, "{report:?}");
    assert!(
        started.elapsed() >= Duration::from_millis(2500),
        "it watched the whole bake"
    );
    assert!(report.baked_seconds >= 2 && report.bake_ends.is_some());
    assert!(report.reason.contains("during the bake"));
    assert_eq!(g.answers(), vec!["Succeeded"]);
    assert!(
        g.fake.call_count("DescribeAlarms") <= 6,
        "one poll a second, not a busy loop"
    );
}

#[tokio::test]
async fn the_bake_fails_the_moment_an_alarm_fires() {
    let g = Gate::new(&[("BAKE_SECONDS", "20")]).await;
    g.fake.add(deployment("AfterAllowTraffic"));
    g.fake
        .put_alarm(tagged_alarm("shop-errors", "OK", ago(600)));
    let started = Instant::now();
    let payload = hook();

    let (report, ()) = tokio::join!(g.report(&payload), async {
        tokio::time::sleep(Duration::from_millis(2500)).await;
        g.fake.set_alarm_state(HOME, "shop-errors", "ALARM");
    });

    assert_eq!(report.outcome, GateOutcome::Failed, "{report:?}");
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "it did not wait out the bake"
    );
    assert_eq!(g.answers(), vec!["Failed"]);
}

#[tokio::test]
async fn only_the_hook_after_the_last_traffic_shift_bakes() {
    let g = Gate::new(&[("BAKE_SECONDS", "600")]).await;
    g.fake.add(deployment("BeforeAllowTraffic"));
    let started = Instant::now();

    let report = g.report(&hook()).await;

    assert_eq!(report.outcome, GateOutcome::Passed);
    assert_eq!(
        report.lifecycle_event.as_ref().map(|e| e.name.as_str()),
        Some("BeforeAllowTraffic")
    );
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(report.bake_ends, None);
}

#[tokio::test]
async fn an_unknown_lifecycle_event_is_answered_without_baking_and_said() {
    let g = Gate::new(&[("BAKE_SECONDS", "600")]).await;
    g.fake.add(deployment("AfterAllowTraffic"));
    g.fake
        .fail("ListDeploymentTargets", 10, 400, "AccessDeniedException");

    let report = g.report(&hook()).await;

    assert_eq!(report.outcome, GateOutcome::Passed);
    assert!(
        report.errors.iter().any(|e| e.contains("without baking")),
        "{:?}",
        report.errors
    );
    assert_eq!(g.answers(), vec!["Succeeded"]);
}

#[tokio::test]
async fn a_bake_longer_than_an_invocation_is_handed_on_and_answered_by_the_next() {
    let mut g = Gate::new(&[("BAKE_SECONDS", "5")]).await;
    // 20 s are kept back to answer: this invocation may watch for 2 s of the 5.
    g.deadline = Duration::from_secs(22);
    g.fake.add(deployment("AfterAllowTraffic"));
    g.fake
        .put_alarm(tagged_alarm("shop-errors", "OK", ago(600)));

    let first = g.report(&hook()).await;

    assert_eq!(first.outcome, GateOutcome::Baking, "{first:?}");
    assert_eq!(first.answer, None);
    assert!(g.answers().is_empty(), "not answered yet");
    let events = g.fake.events();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].detail_type, BAKE_CONTINUES);
    let continued = json!({
        "version": "0", "id": "6a7e8feb", "detail-type": events[0].detail_type,
        "source": events[0].source, "account": ACCOUNT, "time": "2026-12-03T10:00:00Z",
        "region": HOME, "resources": [], "detail": events[0].detail,
    });

    g.deadline = Duration::from_secs(60);
    let second = g.report(&continued).await;

    assert_eq!(second.outcome, GateOutcome::Passed, "{second:?}");
    assert_eq!(
        second.bake_ends, first.bake_ends,
        "the end comes from CodeDeploy, not the payload"
    );
    assert_eq!(g.answers(), vec!["Succeeded"]);
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
async fn an_alarm_without_data_during_the_bake_is_named_in_the_answers_reason() {
    let g = Gate::new(&[("BAKE_SECONDS", "3")]).await;
    g.fake.add(deployment("AfterAllowTraffic"));
    g.fake
        .put_alarm(tagged_alarm("shop-errors", "OK", ago(600)));
    g.fake
        .put_alarm(tagged_alarm("shop-latency", "OK", ago(600)));
    let payload = hook();

    // shop-latency has no data for a moment mid-bake, then recovers before the bake ends.
    // A two-second window against one poll a second: at least one poll sees it.
    let (report, ()) = tokio::join!(g.report(&payload), async {
        tokio::time::sleep(Duration::from_millis(400)).await;
        g.fake
            .set_alarm_state(HOME, "shop-latency", "INSUFFICIENT_DATA");
        tokio::time::sleep(Duration::from_millis(2000)).await;
        g.fake.set_alarm_state(HOME, "shop-latency", "OK");
    });

    assert_eq!(report.outcome, GateOutcome::Passed, "{report:?}");
    assert!(
        report.reason.contains("INSUFFICIENT_DATA") && report.reason.contains("shop-latency"),
        "{}",
        report.reason
    );
    assert_eq!(
        report.insufficient_data.iter().collect::<Vec<_>>(),
        vec!["shop-latency"]
    );
    assert_eq!(g.answers(), vec!["Succeeded"]);
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
