use super::*;
use std::collections::HashMap;

fn config(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
    let vars: HashMap<String, String> = vars
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    Config::from_lookup(|name| vars.get(name).cloned())
}

const SCOPE: (&str, &str) = ("ALLOWED_DEPLOYMENT_GROUPS", "*/*");

#[test]
fn defaults_are_safe() {
    let c = config(&[("AWS_REGION", "eu-west-1"), SCOPE]).unwrap();
    assert_eq!(c.own_region, "eu-west-1");
    assert!(c.alarm_rules.is_empty());
    assert_eq!(c.application_tag, "codedeploy-application");
    assert_eq!(c.group_tag, "codedeploy-deployment-group");
    assert_eq!(c.stop_on, BTreeSet::from([EventKind::InstanceFailure]));
    assert!(!c.dry_run);
    assert!(c.auto_rollback);
    assert_eq!(c.max_signal_age, Some(3600));
    assert_eq!(c.local_account, None);
    assert!(c.warm_up);
    assert!(c.target_accounts.is_empty());
    assert_eq!(c.target_role_name, "deployment-circuit-breaker-target");
    assert!(c.notify);
    assert_eq!(c.notify_event_bus, "default");
    assert_eq!(
        c.regions,
        ["eu-west-1"],
        "the check looks in its own region"
    );
}

#[test]
fn reads_every_variable() {
    let c = config(&[
        ("AWS_REGION", "us-east-1"),
        ("ALLOWED_DEPLOYMENT_GROUPS", "shop/*, billing/prod"),
        (
            "ALARM_RULES",
            r#"[{"alarm":"checkout-*","application":"shop","deploymentGroup":"prod"},{"alarm":"x","application":"y","region":"eu-west-1"}]"#,
        ),
        ("ALARM_TAG_APPLICATION", "app"),
        ("ALARM_TAG_DEPLOYMENT_GROUP", "group"),
        ("STOP_ON_CODEDEPLOY_EVENTS", "instancefailure,DeploymentStart"),
        ("DRY_RUN", "TRUE"),
        ("AUTO_ROLLBACK", "false"),
        ("MAX_SIGNAL_AGE", "600"),
        ("LOCAL_ACCOUNT", "111122223333"),
        ("WARM_UP", "false"),
        ("TARGET_ACCOUNTS", "222233334444, 333344445555"),
        ("TARGET_ROLE_NAME", "breaker"),
        ("NOTIFY", "false"),
        ("NOTIFY_EVENT_BUS", "ops"),
        ("AWS_LAMBDA_FUNCTION_NAME", "breaker-Function-1"),
        ("REGIONS", "eu-west-1, us-east-1,eu-west-1"),
        ("FUNCTION_ROLE_ARN", "arn:aws:iam::111122223333:role/ops/breaker-FunctionRole-X"),
    ])
    .unwrap();
    let entry = |application: &str, group: &str| AllowedGroup {
        account: None,
        application: application.into(),
        group: group.into(),
    };
    assert_eq!(
        c.allowed_groups,
        vec![entry("shop", "*"), entry("billing", "prod")]
    );
    assert_eq!(c.alarm_rules.len(), 2);
    assert_eq!(c.alarm_rules[0].deployment_group.as_deref(), Some("prod"));
    assert_eq!(c.alarm_rules[1].region.as_deref(), Some("eu-west-1"));
    assert_eq!(c.application_tag, "app");
    assert_eq!(c.group_tag, "group");
    assert_eq!(
        c.stop_on,
        BTreeSet::from([EventKind::InstanceFailure, EventKind::DeploymentStart])
    );
    assert!(c.dry_run);
    assert!(!c.auto_rollback);
    assert_eq!(c.max_signal_age, Some(600));
    assert_eq!(c.local_account.as_deref(), Some("111122223333"));
    assert!(!c.warm_up);
    assert_eq!(
        c.target_accounts,
        BTreeSet::from(["222233334444".into(), "333344445555".into()])
    );
    assert_eq!(c.target_role_name, "breaker");
    assert!(!c.notify);
    assert_eq!(c.notify_event_bus, "ops");
    assert_eq!(c.function_name, "breaker-Function-1");
    assert_eq!(c.regions, ["eu-west-1", "us-east-1"], "in order, once each");
    assert_eq!(
        c.function_role_arn.as_deref(),
        Some("arn:aws:iam::111122223333:role/ops/breaker-FunctionRole-X")
    );
    assert_eq!(c.gate_role_arn, None);
    let unlimited = config(&[("AWS_REGION", "us-east-1"), SCOPE, ("MAX_SIGNAL_AGE", "0")]);
    assert_eq!(unlimited.unwrap().max_signal_age, None);
}

#[test]
fn bad_values_name_the_variable() {
    let cases = [
        ("ALARM_RULES", "{not json", "not a JSON array"),
        (
            "ALARM_RULES",
            r#"[{"alarm":"a"}]"#,
            "missing field `application`",
        ),
        (
            "ALARM_RULES",
            r#"[{"alarm":"","application":"a"}]"#,
            "rule 0",
        ),
        (
            "ALARM_RULES",
            r#"[{"alarm":"a","application":"b","grup":"c"}]"#,
            "unknown field `grup`",
        ),
        (
            "STOP_ON_CODEDEPLOY_EVENTS",
            "InstanceFailure,Explode",
            "unknown event kind `Explode`",
        ),
        ("DRY_RUN", "maybe", "`maybe` is not a boolean"),
        ("AUTO_ROLLBACK", "2", "`2` is not a boolean"),
        ("MAX_SIGNAL_AGE", "-5", "`-5` is not a number of seconds"),
        ("MAX_SIGNAL_AGE", "1h", "`1h` is not a number of seconds"),
        ("LOCAL_ACCOUNT", "1111", "`1111` is not an AWS account ID"),
        ("BAKE_SECONDS", "3301", "from 0 (off) to 3300"),
        ("ROLLBACK_COMPLETED_WITHIN", "-1", "from 0 (off) to 3600"),
        ("ROLLBACK_COMPLETED_WITHIN", "3601", "from 0 (off) to 3600"),
        ("GATE_ON_ERROR", "maybe", "neither `succeed` nor `fail`"),
        (
            "REGIONS",
            "us-east-1,Europe",
            "`Europe` is not an AWS region code",
        ),
        (
            "GATE_ROLE_ARN",
            "arn:aws:sts::111122223333:assumed-role/gate/s",
            "is not an IAM role ARN",
        ),
        ("FUNCTION_ROLE_ARN", "breaker", "is not an IAM role ARN"),
        ("TARGET_ACCOUNTS", "*", "`*` is refused"),
        (
            "TARGET_ACCOUNTS",
            "222233334444,team-b",
            "`team-b` is not an AWS account ID",
        ),
        ("NOTIFY", "often", "`often` is not a boolean"),
        (
            "ALARM_RULES",
            r#"[{"alarm":"a","application":"b","account":"me"}]"#,
            "rule 0: \"account\" `me`",
        ),
        (
            "ALLOWED_DEPLOYMENT_GROUPS",
            "team:shop/prod",
            "names no account before its `:`",
        ),
        (
            "TARGET_ROLE_NAME",
            "a role/b",
            "`a role/b` is not an IAM role name",
        ),
        (
            "ALARM_RULES",
            r#"[{"alarm":"a","application":"b","region":"Ireland"}]"#,
            "rule 0: \"region\" `Ireland`",
        ),
        (
            "ALARM_RULES",
            r#"[{"alarm":"a","application":"b","deploymentGroup":""}]"#,
            "\"deploymentGroup\" is empty",
        ),
        (
            "ALLOWED_DEPLOYMENT_GROUPS",
            "shop",
            "`shop` is not `application/group`",
        ),
        (
            "ALLOWED_DEPLOYMENT_GROUPS",
            "*",
            "`*` is not `application/group`",
        ),
        ("ALLOWED_DEPLOYMENT_GROUPS", "shop/prod,a/b/c", "`a/b/c`"),
        ("ALLOWED_DEPLOYMENT_GROUPS", "/prod", "`/prod`"),
    ];
    for (variable, value, problem) in cases {
        let mut vars = vec![("AWS_REGION", "us-east-1"), SCOPE];
        vars.push((variable, value));
        let err = config(&vars).unwrap_err();
        assert_eq!(err.variable, variable);
        assert!(err.problem.contains(problem), "{err}");
        assert!(err.to_string().contains(variable));
    }
}

#[test]
fn region_is_required() {
    let err = config(&[SCOPE]).unwrap_err();
    assert_eq!(err.variable, "AWS_REGION");
}

#[test]
fn scope_is_required_and_says_how_to_allow_everything() {
    for unset in [None, Some(""), Some(" , ")] {
        let mut vars = vec![("AWS_REGION", "us-east-1")];
        vars.extend(unset.map(|v| ("ALLOWED_DEPLOYMENT_GROUPS", v)));
        let err = config(&vars).unwrap_err();
        assert_eq!(err.variable, "ALLOWED_DEPLOYMENT_GROUPS");
        assert!(err.problem.contains("`*/*`"), "{err}");
    }
}

#[test]
fn scope_matches_application_and_group_each_on_its_own() {
    let c = config(&[
        ("AWS_REGION", "us-east-1"),
        (
            "ALLOWED_DEPLOYMENT_GROUPS",
            "shop/prod-*,billing/canary,shop*/prod",
        ),
    ])
    .unwrap();
    let here = |application, group| c.in_scope("123456789012", application, group);
    assert!(here("shop", "prod-eu"));
    assert!(here("billing", "canary"));
    assert!(here("shopping", "prod"));
    assert!(!here("shop", "staging"));
    assert!(!here("billing", "canary2"));
    // `shop*/prod` read as one glob would match `shopping-cart/prod-eu` through the slash.
    assert!(!here("shopping-cart", "prod-eu"));
    let all = config(&[("AWS_REGION", "us-east-1"), SCOPE]).unwrap();
    assert!(all.in_scope("123456789012", "anything", "at-all"));
}

#[test]
fn scope_entries_may_name_an_account() {
    let c = config(&[
        ("AWS_REGION", "us-east-1"),
        (
            "ALLOWED_DEPLOYMENT_GROUPS",
            "222233334444:shop/prod,billing/*",
        ),
    ])
    .unwrap();
    assert!(c.in_scope("222233334444", "shop", "prod"));
    assert!(!c.in_scope("123456789012", "shop", "prod"));
    assert!(c.in_scope("123456789012", "billing", "prod"));
    assert!(c.in_scope("222233334444", "billing", "prod"));
}

#[test]
fn the_whole_deployment_settings_default_to_off() {
    let c = config(&[("AWS_REGION", "us-east-1"), SCOPE]).unwrap();
    assert_eq!(c.rollback_completed_within, None);
    assert_eq!(c.bake_seconds, 0);
    assert_eq!(c.gate_on_error, GateOnError::Succeed);
    let set = config(&[
        ("AWS_REGION", "us-east-1"),
        SCOPE,
        ("ROLLBACK_COMPLETED_WITHIN", "1800"),
        ("STATE_TABLE", "breaker-state"),
        ("BAKE_SECONDS", "3300"),
        ("GATE_ON_ERROR", "Fail"),
    ])
    .unwrap();
    assert_eq!(set.rollback_completed_within, Some(1800));
    assert_eq!(set.bake_seconds, 3300);
    assert_eq!(set.gate_on_error, GateOnError::Fail);
}
