//! The readiness check (`{"check": true}`): each failure it must find in every account and
//! region the breaker may act in, the map of what guards each group, the report, the outcome
//! event and the metrics. Real SDK clients over HTTP; the fake enforces each role's policy, and
//! answers IAM's policy simulator from the same policies.

mod common;

use common::*;
use deployment_circuit_breaker::aws::{sdk_config_loader, ReadinessAws};
use deployment_circuit_breaker::readiness::{
    CheckOutcome, Finding, Kind, Permissions, ReadinessReport,
};
use deployment_circuit_breaker::report::FailureKind;
use deployment_circuit_breaker::runtime::Function;
use fake_aws::iam::Policy;
use fake_aws::{Alarm, Deployment, Group, Principal, Role, FUNCTION_ROLE};
use serde_json::{json, Value};

const TEAM_B: &str = "222233334444";
const TEAM_C: &str = "333344445555";
const AWAY: &str = "eu-west-1";
const ROLE_B: &str = "arn:aws:iam::222233334444:role/deployment-circuit-breaker-target";

/// The key the readiness check signs with: the fake holds it to its own role's policy.
const CHECK_KEY: &str = "AKIDCHECK";

/// The breaker with team B as a target account, checking two regions, and a well-guarded group
/// in each account. Every role has the policy the templates grant it: the breaker's own calls,
/// the check's (signed with [`CHECK_KEY`]), the breaker's role as the check simulates it
/// ([`STACK_FUNCTION_ROLE`], the one the check's policy lets it simulate), and team B's role.
async fn world(vars: &[(&str, &str)]) -> World {
    let regions = format!("{HOME},{AWAY}");
    let mut all = vec![
        ("TARGET_ACCOUNTS", TEAM_B),
        ("REGIONS", regions.as_str()),
        ("FUNCTION_ROLE_ARN", STACK_FUNCTION_ROLE),
        ("NOTIFY", "true"),
        ("ALLOWED_DEPLOYMENT_GROUPS", "shop/*,orders/*"),
    ];
    all.extend_from_slice(vars);
    let w = World::new(&all).await;
    w.fake.set_policy(Some(template_policy("FunctionRole")));
    w.fake.add_role(Role {
        arn: STACK_FUNCTION_ROLE.into(),
        trusted: Vec::new(),
        policy: Some(template_policy("FunctionRole")),
    });
    check_role(&w, "ReadinessCheckFunctionRole");
    target_role(&w, template_policy("TargetRole"));
    w.fake
        .add(Deployment::new(HOME, "d-SHOP00001", "shop", "prod"));
    w.fake.put_alarm(
        Alarm::new(HOME, "shop-5xx")
            .tag("codedeploy-application", "shop")
            .tag("codedeploy-deployment-group", "prod"),
    );
    w.fake.put_group(Group {
        account: TEAM_B.into(),
        region: AWAY.into(),
        application: "orders".into(),
        group: "prod".into(),
        alarms: vec!["orders-latency".into()],
    });
    w.fake
        .put_alarm(Alarm::new(AWAY, "orders-latency").account(TEAM_B));
    w
}

/// The check's role, with the policy in `tests/policies/<file>.json`, for its key.
fn check_role(w: &World, file: &str) {
    w.fake.add_principal(Principal {
        access_key: CHECK_KEY.into(),
        role: CHECK_ROLE.into(),
        policy: Some(template_policy(file)),
    });
}

/// Team B's target role with `policy`, trusting the breaker's role and the check's
/// (templates/target-role.yaml's CentralRoleArn and CentralCheckRoleArn).
fn target_role(w: &World, policy: Policy) {
    w.fake.add_role(Role {
        arn: ROLE_B.into(),
        trusted: vec![FUNCTION_ROLE.into(), CHECK_ROLE.into()],
        policy: Some(policy),
    });
}

/// The readiness check's own function, with the world's configuration, signing as its role.
async fn check_function(w: &World) -> ReadinessAws {
    let sdk = sdk_config(&w.fake, sdk_config_loader(), CHECK_KEY).await;
    ReadinessAws::start(sdk, &w.config).await
}

async fn check(w: &World) -> ReadinessReport {
    let function = check_function(w).await;
    match w.serve(&function, br#"{"check": true}"#).await {
        Ok(report) => report,
        other => panic!("expected a check report, got {other:?}"),
    }
}

fn of_kind(report: &ReadinessReport, kind: Kind) -> Vec<&Finding> {
    report.findings.iter().filter(|f| f.kind == kind).collect()
}

/// The metrics document of one account and region.
fn metrics_of(w: &World, account: &str, region: &str) -> Value {
    let lines = w.metrics.lock().unwrap().clone();
    let documents: Vec<Value> = (lines.iter())
        .map(|line| serde_json::from_str::<Value>(line).unwrap())
        .filter(|d| d.get("CheckFailures").is_some())
        .filter(|d| d["Account"] == account && d["Region"] == region)
        .collect();
    assert_eq!(documents.len(), 1, "one document per location: {lines:?}");
    documents[0].clone()
}

#[tokio::test]
async fn a_ready_breaker_passes_and_maps_what_guards_each_group() {
    let w = world(&[]).await;
    let report = check(&w).await;
    assert_eq!(report.check, CheckOutcome::Passed, "{:#?}", report.findings);
    assert_eq!(report.failures, 0);
    let places: Vec<(&str, &str)> = (report.locations.iter())
        .map(|l| (l.account.as_str(), l.region.as_str()))
        .collect();
    assert_eq!(
        places,
        [
            (ACCOUNT, HOME),
            (ACCOUNT, AWAY),
            (TEAM_B, HOME),
            (TEAM_B, AWAY)
        ]
    );
    let home = &report.locations[0];
    assert_eq!(home.reads, "ok");
    assert_eq!(home.role, None, "its own role");
    let shop = &home.groups[0];
    assert_eq!(
        (shop.application.as_str(), shop.group.as_str()),
        ("shop", "prod")
    );
    assert_eq!(shop.active_deployments, Some(1));
    assert_eq!(shop.guards.len(), 1);
    assert_eq!(shop.guards[0].alarm.name, "shop-5xx");
    let away_b = &report.locations[3];
    assert_eq!(away_b.role.as_deref(), Some(ROLE_B));
    assert_eq!(away_b.groups[0].guards[0].alarm.name, "orders-latency");
    let Permissions::Checked { decisions } = &away_b.permissions else {
        panic!("simulated: {:?}", away_b.permissions);
    };
    assert_eq!(decisions.len(), 1);
    assert_eq!(decisions[0].role, ROLE_B);
    assert_eq!(decisions[0].action, "codedeploy:StopDeployment");
    assert!(decisions[0].allowed());
    assert!(report.simulator_limits.contains("resource-based policies"));
    let json = serde_json::to_value(&report).expect("the report is JSON");
    assert_eq!(json["check"], "passed");
    assert_eq!(json["locations"][3]["permissions"]["status"], "checked");
    assert_eq!(
        json["locations"][0]["groups"][0]["guards"][0]["sources"],
        json!(["tags"])
    );

    let events = w.fake.events();
    assert_eq!(events.len(), 1, "one outcome event a run");
    assert_eq!(events[0].detail_type, "Breaker Check Passed");
    assert_eq!(events[0].source, "deployment-circuit-breaker");
    assert_eq!(events[0].detail["failures"], 0);
    for (account, region) in places {
        let m = metrics_of(&w, account, region);
        assert_eq!(
            (
                &m["CheckFailures"],
                &m["UnguardedGroups"],
                &m["DanglingMappings"]
            ),
            (&json!(0), &json!(0), &json!(0)),
            "written as 0, so a check that stops running leaves a gap"
        );
        let dimensions = &m["_aws"]["CloudWatchMetrics"][0]["Dimensions"];
        assert_eq!(dimensions, &json!([[], ["Account", "Region"]]));
    }
}

#[tokio::test]
async fn an_account_without_the_role_fails_the_check_with_how_to_fix_it() {
    let w = world(&[("TARGET_ACCOUNTS", "222233334444,333344445555")]).await;
    // Team C is one of the stack's TargetAccounts too: the check may assume a role there.
    check_role(&w, "ReadinessCheckFunctionRole.two-target-accounts");
    let report = check(&w).await;
    assert_eq!(report.check, CheckOutcome::Failed);
    let (missing, simulated): (Vec<&Finding>, Vec<&Finding>) =
        of_kind(&report, Kind::RoleNotAssumable)
            .into_iter()
            .partition(|f| f.account.as_deref() == Some(TEAM_C));
    assert_eq!(missing.len(), 2, "both regions of team C: {missing:#?}");
    // The breaker's own role (FunctionRole.json: TargetAccounts 222233334444 only) may not
    // assume team C's role either: the simulator says so, in the function's own account.
    assert_eq!(simulated.len(), 1, "{simulated:#?}");
    assert_eq!(simulated[0].account.as_deref(), Some(ACCOUNT));
    assert!(
        (simulated[0].problem).contains("sts:AssumeRole on arn:aws:iam::333344445555:role/"),
        "{}",
        simulated[0].problem
    );
    for finding in &missing {
        assert_eq!(finding.account.as_deref(), Some(TEAM_C));
        assert!(
            finding.problem.contains("could not assume"),
            "{}",
            finding.problem
        );
        assert!(finding.fix.contains("templates/target-role.yaml"));
    }
    assert!(
        (report.findings.iter()).all(|f| f.account.as_deref() != Some(TEAM_B)),
        "team B is fine: {:#?}",
        report.findings
    );
    assert_eq!(metrics_of(&w, TEAM_C, HOME)["CheckFailures"], 1);
    assert_eq!(metrics_of(&w, TEAM_B, HOME)["CheckFailures"], 0);
    let events = w.fake.events();
    assert_eq!(events[0].detail_type, "Breaker Check Failed");
    assert_eq!(events[0].detail["findings"][0]["kind"], "roleNotAssumable");
}

#[tokio::test]
async fn a_region_an_scp_denies_is_found_by_the_reads() {
    let w = world(&[]).await;
    // An SCP that denies team B's CodeDeploy calls in the other region: a Deny added to the
    // policy templates/target-role.yaml grants team B's role.
    let scp = json!({"Effect": "Deny", "Action": "codedeploy:*", "Resource": "*",
        "Condition": {"StringEquals": {"aws:RequestedRegion": AWAY}}});
    target_role(&w, with_statement(template_policy("TargetRole"), scp));
    let report = check(&w).await;
    assert_eq!(report.check, CheckOutcome::Failed);
    let denied = of_kind(&report, Kind::ReadFailed);
    assert_eq!(denied.len(), 1, "{denied:#?}");
    assert_eq!(denied[0].account.as_deref(), Some(TEAM_B));
    assert_eq!(denied[0].region.as_deref(), Some(AWAY));
    assert!(denied[0].problem.contains("ListApplications"));
    assert!(denied[0].fix.contains("SCP"));
    let away_b = &report.locations[3];
    assert_ne!(away_b.reads, "ok");
    assert!(matches!(away_b.permissions, Permissions::Skipped { .. }));
    let json = serde_json::to_value(&report).expect("the report is JSON");
    assert_eq!(json["locations"][3]["permissions"]["status"], "skipped");
    assert_eq!(json["findings"][0]["kind"], "readFailed");
    assert_eq!(metrics_of(&w, TEAM_B, AWAY)["CheckFailures"], 1);
}

#[tokio::test]
async fn a_stop_the_role_may_not_make_is_found_by_the_simulator() {
    let w = world(&[]).await;
    // Team B's role as templates/target-role.yaml grants it, but for StopDeployment.
    target_role(
        &w,
        without_statements(template_policy("TargetRole"), &["StopDeployments"]),
    );
    let report = check(&w).await;
    assert_eq!(report.check, CheckOutcome::Failed);
    let denied = of_kind(&report, Kind::ChangeDenied);
    assert_eq!(denied.len(), 2, "both regions: {denied:#?}");
    assert!(denied[0].problem.contains(ROLE_B));
    assert!(denied[0].problem.contains("codedeploy:StopDeployment"));
    assert!(denied[0].problem.contains("implicitDeny"));
    assert!(
        w.fake.stops().is_empty(),
        "the change calls are simulated, never made"
    );
}

#[tokio::test]
async fn unguarded_groups_and_dangling_tags_are_mapped_with_what_to_do() {
    let w = world(&[]).await;
    w.fake.add_group(HOME, "shop", "canary");
    w.fake.put_alarm(
        Alarm::new(HOME, "shop-canary-typo")
            .tag("codedeploy-application", "shop")
            .tag("codedeploy-deployment-group", "canry"),
    );
    w.fake
        .put_alarm(Alarm::new(HOME, "ghost-errors").tag("codedeploy-application", "ghost"));
    let report = check(&w).await;

    let unguarded = of_kind(&report, Kind::UnguardedGroup);
    assert_eq!(unguarded.len(), 1, "{:#?}", report.findings);
    assert!(unguarded[0].problem.contains("shop/canary"));
    assert!(unguarded[0]
        .fix
        .contains("codedeploy-deployment-group=canary"));
    let dangling = of_kind(&report, Kind::DanglingTag);
    let problems: Vec<&str> = dangling.iter().map(|f| f.problem.as_str()).collect();
    assert_eq!(dangling.len(), 2, "{problems:#?}");
    assert!(problems
        .iter()
        .any(|p| p.contains("shop-canary-typo") && p.contains("has no deployment group canry")));
    assert!(problems
        .iter()
        .any(|p| p.contains("ghost-errors") && p.contains("application ghost does not exist")));
    assert_eq!(
        report.check,
        CheckOutcome::Failed,
        "a dangling tag fails a real stop"
    );
    assert_eq!((report.unguarded_groups, report.dangling_mappings), (1, 2));

    let m = metrics_of(&w, ACCOUNT, HOME);
    assert_eq!(m["UnguardedGroups"], 1);
    assert_eq!(m["DanglingMappings"], 2);
    assert_eq!(m["CheckFailures"], 2);
    assert_eq!(metrics_of(&w, TEAM_B, AWAY)["UnguardedGroups"], 0);
    let event = &w.fake.events()[0];
    assert_eq!(event.detail_type, "Breaker Check Failed");
    assert_eq!(event.detail["unguardedGroups"], 1);
    assert_eq!(event.detail["danglingMappings"], 2);
}

#[tokio::test]
async fn rules_and_scope_entries_that_match_nothing_and_rules_that_dangle() {
    let rules = r#"[{"alarm":"shop-*","application":"shop"},
        {"alarm":"nothing-*","application":"shop"},
        {"alarm":"pay-*","application":"payments","deploymentGroup":"prod"},
        {"alarm":"edge-*","application":"orders","account":"222233334444","region":"eu-west-1"}]"#;
    let w = world(&[
        ("ALARM_RULES", rules),
        ("ALLOWED_DEPLOYMENT_GROUPS", "shop/*,orders/*,legacy/*"),
    ])
    .await;
    w.fake.put_alarm(Alarm::new(HOME, "pay-5xx"));
    // The function's own alarm, mapped by a rule to team B's group in the other region.
    w.fake.put_alarm(Alarm::new(HOME, "edge-5xx"));
    let report = check(&w).await;

    let nothing = of_kind(&report, Kind::RuleMatchesNothing);
    assert_eq!(nothing.len(), 1, "{:#?}", report.findings);
    assert!(nothing[0]
        .problem
        .contains("ALARM_RULES entry 1 (nothing-*"));
    let dangling = of_kind(&report, Kind::DanglingRule);
    assert_eq!(dangling.len(), 1, "{:#?}", report.findings);
    assert!(dangling[0]
        .problem
        .contains("application payments does not exist"));
    let scope = of_kind(&report, Kind::ScopeMatchesNothing);
    assert_eq!(scope.len(), 1);
    assert!(scope[0].problem.contains("legacy/*"));
    let shop = &report.locations[0].groups[0];
    let sources: Vec<String> = (shop.guards.iter())
        .map(|g| format!("{}:{:?}", g.alarm.name, g.sources))
        .collect();
    let orders = &report.locations[3].groups[0];
    let names: Vec<&str> = orders
        .guards
        .iter()
        .map(|g| g.alarm.name.as_str())
        .collect();
    assert_eq!(
        names,
        ["edge-5xx", "orders-latency"],
        "across account and region"
    );
    assert_eq!(
        sources,
        ["shop-5xx:[Tags]"],
        "an alarm with the application tag is mapped by its tags, never by a rule"
    );
    assert_eq!(metrics_of(&w, ACCOUNT, HOME)["CheckFailures"], 1);
}

#[tokio::test]
async fn a_bus_that_refuses_the_outcome_event_fails_the_check() {
    let w = world(&[]).await;
    w.fake.reject_events(1, "InternalFailure");
    let report = check(&w).await;
    assert_eq!(report.check, CheckOutcome::Failed);
    let refused = of_kind(&report, Kind::BusRejected);
    assert_eq!(refused.len(), 1);
    assert!(refused[0].problem.contains("InternalFailure"));
    assert!(report.event.contains("not put"), "{}", report.event);
    assert_eq!(metrics_of(&w, ACCOUNT, HOME)["CheckFailures"], 1);
}

#[tokio::test]
async fn a_check_is_exactly_check_true() {
    let w = world(&[]).await;
    let function = check_function(&w).await;
    for payload in [
        json!({"check": false}),
        json!({"check": true, "region": "x"}),
        json!({"detail-type": "CloudWatch Alarm State Change"}),
    ] {
        let bytes = payload.to_string();
        let failure = w.serve(&function, bytes.as_bytes()).await.unwrap_err();
        assert_eq!(failure.kind, FailureKind::InvalidPayload);
        assert!(failure.message.contains(r#"exactly {"check": true}"#));
    }
    assert!(w.fake.calls().is_empty(), "nothing read");
}

#[tokio::test]
async fn the_breaker_refuses_a_check_and_names_the_check_function() {
    let w = world(&[]).await;
    let failure = w.failure(&json!({"check": true})).await;
    assert_eq!(failure.kind, FailureKind::InvalidPayload);
    assert!(
        failure.message.contains("ReadinessCheckFunction")
            && failure.message.contains("readiness-check"),
        "{}",
        failure.message
    );
    assert!(w.fake.calls().is_empty(), "nothing read, nothing checked");
}

#[tokio::test]
async fn redeploys_and_the_gates_answers_are_simulated_for_the_roles_that_make_them() {
    const GATE: &str = STACK_GATE_ROLE;
    // The breaker configured to redeploy, but its role (the world's FunctionRole) from a stack
    // without RollbackCompletedWithin, so without the template's Redeploy statements: a role
    // that lags the function's configuration, which the check must find.
    let w = world(&[
        ("ROLLBACK_COMPLETED_WITHIN", "3600"),
        ("GATE_ROLE_ARN", GATE),
    ])
    .await;
    // The gate's role as template.yaml grants it, but for its one change call
    // (PutLifecycleEventHookExecutionStatus, in AnswerHooks).
    w.fake.add_role(Role {
        arn: GATE.into(),
        trusted: Vec::new(),
        policy: Some(without_statements(
            template_policy("GateFunctionRole"),
            &["AnswerHooks"],
        )),
    });
    let report = check(&w).await;
    let Permissions::Checked { decisions } = &report.locations[0].permissions else {
        panic!("simulated: {:?}", report.locations[0].permissions);
    };
    let asked: Vec<(&str, &str, &str)> = (decisions.iter())
        .map(|d| (d.role.as_str(), d.action.as_str(), d.resource.as_str()))
        .collect();
    let group = "arn:aws:codedeploy:us-east-1:123456789012:deploymentgroup:shop/prod";
    assert!(
        asked.contains(&(STACK_FUNCTION_ROLE, "codedeploy:CreateDeployment", group)),
        "{asked:?}"
    );
    assert!(asked.contains(&(
        STACK_FUNCTION_ROLE,
        "codedeploy:GetApplicationRevision",
        "arn:aws:codedeploy:us-east-1:123456789012:application:shop"
    )));
    let denied = of_kind(&report, Kind::ChangeDenied);
    let problems: Vec<&str> = denied.iter().map(|f| f.problem.as_str()).collect();
    assert!(
        problems
            .iter()
            .any(|p| p.contains(GATE)
                && p.contains("codedeploy:PutLifecycleEventHookExecutionStatus")),
        "{problems:#?}"
    );
    assert!(
        problems
            .iter()
            .any(|p| p.contains("codedeploy:CreateDeployment")),
        "the breaker's role, without RollbackCompletedWithin, grants no CreateDeployment: \
         {problems:#?}"
    );
    assert!(
        (report.locations[1..].iter()).all(|l| match &l.permissions {
            Permissions::Checked { decisions } => decisions.iter().all(|d| d.role != GATE),
            _ => true,
        }),
        "the gate answers hooks only in its own account and region"
    );
}

#[tokio::test]
async fn reads_that_fail_are_failures_and_never_turn_into_gaps() {
    let w = world(&[(
        "ALARM_RULES",
        r#"[{"alarm":"shop-*","application":"shop"}]"#,
    )])
    .await;
    w.fake
        .fail("DescribeAlarms", 100, 400, "AccessDeniedException");
    let report = check(&w).await;
    assert_eq!(report.check, CheckOutcome::Failed);
    assert!(!of_kind(&report, Kind::ReadFailed).is_empty());
    for kind in [
        Kind::UnguardedGroup,
        Kind::AlarmNotFound,
        Kind::RuleMatchesNothing,
        Kind::ScopeMatchesNothing,
    ] {
        assert!(
            of_kind(&report, kind).is_empty(),
            "{kind:?} judged from a failed read: {:#?}",
            report.findings
        );
    }
}

#[tokio::test]
async fn the_breakers_own_reads_are_simulated_where_the_check_reads_as_itself() {
    let w = world(&[]).await;
    // The breaker's role as it would be without the statement that reads its deployments: the
    // check's own role still reads them, so only the simulation can tell.
    w.fake.add_role(Role {
        arn: STACK_FUNCTION_ROLE.into(),
        trusted: Vec::new(),
        policy: Some(without_statements(
            template_policy("FunctionRole"),
            &["ReadDeployments"],
        )),
    });
    let report = check(&w).await;
    assert_eq!(report.check, CheckOutcome::Failed);
    let denied: Vec<&str> = (of_kind(&report, Kind::ReadFailed).into_iter())
        .map(|f| f.problem.as_str())
        .collect();
    for read in [
        "codedeploy:ListDeployments",
        "codedeploy:BatchGetDeployments",
        "codedeploy:BatchGetDeploymentGroups",
    ] {
        assert!(
            denied
                .iter()
                .any(|p| p.contains(STACK_FUNCTION_ROLE) && p.contains(read)),
            "{read} denied to the breaker: {denied:#?}"
        );
    }
    assert!(
        (report.findings.iter()).all(|f| f.account.as_deref() != Some(TEAM_B)),
        "in team B the check reads as the target role, for real: {:#?}",
        report.findings
    );
}

#[tokio::test]
async fn rules_that_share_a_prefix_share_one_describe_alarms_pass() {
    let rules = r#"[{"alarm":"shop-*","application":"shop"},
                    {"alarm":"shop-prod-*","application":"shop","deploymentGroup":"prod"},
                    {"alarm":"orders-*","application":"orders"}]"#;
    let w = world(&[("ALARM_RULES", rules)]).await;
    check(&w).await;
    let passes: Vec<(String, String, String)> = (w.fake.calls().into_iter())
        .filter(|c| c.operation == "DescribeAlarms")
        .filter_map(|c| {
            let prefix = c.body.get("AlarmNamePrefix")?.as_str()?.to_string();
            Some((c.account, c.region, prefix))
        })
        .collect();
    let mut expected = Vec::new();
    for account in [ACCOUNT, TEAM_B] {
        for region in [HOME, AWAY] {
            for prefix in ["orders-", "shop-"] {
                expected.push((account.to_string(), region.to_string(), prefix.to_string()));
            }
        }
    }
    let (mut passes, mut expected) = (passes, expected);
    passes.sort();
    expected.sort();
    assert_eq!(passes, expected, "shop-prod-* is read by shop-*'s pass");
}

#[tokio::test]
async fn an_alarm_outside_the_name_prefix_guards_nothing_in_the_map() {
    let w = world(&[("ALARM_NAME_PREFIX", "orders-")]).await;
    let report = check(&w).await;
    let unguarded: Vec<&str> = (of_kind(&report, Kind::UnguardedGroup).into_iter())
        .map(|f| f.problem.as_str())
        .collect();
    assert_eq!(unguarded.len(), 1, "{unguarded:#?}");
    assert!(unguarded[0].contains("shop/prod"), "{}", unguarded[0]);
}

#[tokio::test]
async fn a_rule_that_matches_only_alarms_outside_the_prefix_matches_nothing() {
    let rules = r#"[{"alarm":"shop-*","application":"shop"}]"#;
    let w = world(&[("ALARM_NAME_PREFIX", "orders-"), ("ALARM_RULES", rules)]).await;
    let report = check(&w).await;
    let nothing = of_kind(&report, Kind::RuleMatchesNothing);
    assert_eq!(nothing.len(), 1, "{:#?}", report.findings);
    assert!(
        nothing[0].problem.contains("shop-*"),
        "{}",
        nothing[0].problem
    );
}
