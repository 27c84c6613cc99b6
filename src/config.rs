//! Configuration, read once at start from the environment into typed values.

use std::collections::BTreeSet;
use std::fmt;

use serde::Deserialize;

use crate::glob::matches;
use crate::signal::is_region;

/// The CodeDeploy events that may trigger a stop.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum EventKind {
    DeploymentStart,
    DeploymentReady,
    DeploymentFailure,
    InstanceStart,
    InstanceReady,
    InstanceFailure,
}

impl EventKind {
    /// Every kind, in the order they are documented.
    pub const ALL: [EventKind; 6] = [
        EventKind::DeploymentStart,
        EventKind::DeploymentReady,
        EventKind::DeploymentFailure,
        EventKind::InstanceStart,
        EventKind::InstanceReady,
        EventKind::InstanceFailure,
    ];

    fn parse(name: &str) -> Option<EventKind> {
        Self::ALL
            .into_iter()
            .find(|kind| kind.to_string().eq_ignore_ascii_case(name))
    }
}

impl fmt::Display for EventKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

/// One `ALARM_RULES` entry: alarms whose name matches `alarm` map to a deployment group.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AlarmRule {
    /// A glob over the alarm name (`*` matches any run of characters).
    pub alarm: String,
    pub application: String,
    /// Absent: every deployment group of the application.
    pub deployment_group: Option<String>,
    /// Absent: the alarm's own region.
    pub region: Option<String>,
    /// Absent: the alarm's own account.
    pub account: Option<String>,
}

/// One `ALLOWED_DEPLOYMENT_GROUPS` entry: `[account:]application/group`, the application and
/// group globs each matched on its own (a `*` never reaches across the `/`); without an account,
/// it applies in every account the function acts in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AllowedGroups {
    pub account: Option<String>,
    pub application: String,
    pub group: String,
}

impl AllowedGroups {
    fn parse(entry: &str) -> Result<AllowedGroups, ConfigError> {
        let error = |why: &str| ConfigError {
            variable: "ALLOWED_DEPLOYMENT_GROUPS",
            problem: format!("`{entry}` {why}"),
        };
        let (account, rest) = match entry.split_once(':') {
            Some((account, rest)) if is_account(account) => (Some(account.to_string()), rest),
            Some(_) => return Err(error("names no account before its `:` (12 digits)")),
            None => (None, entry),
        };
        match rest.split_once('/') {
            Some((application, group))
                if !application.is_empty() && !group.is_empty() && !group.contains('/') =>
            {
                Ok(AllowedGroups {
                    account,
                    application: application.into(),
                    group: group.into(),
                })
            }
            _ => Err(error(
                "is not `application/group` (globs allowed on each side, as in `shop/prod-*` \
                 or `*/*`; an account may come first: `111122223333:shop/prod`)",
            )),
        }
    }

    /// Whether `application/group` of `account` is allowed by this entry.
    pub fn allows(&self, account: &str, application: &str, group: &str) -> bool {
        self.account.as_deref().is_none_or(|a| a == account)
            && matches(&self.application, application)
            && matches(&self.group, group)
    }
}

/// The function's configuration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// `AWS_REGION`: the region of signals that do not carry one.
    pub default_region: String,
    /// `ALLOWED_DEPLOYMENT_GROUPS`: the deployment groups it may stop.
    pub allowed_groups: Vec<AllowedGroups>,
    /// `ALARM_RULES`.
    pub alarm_rules: Vec<AlarmRule>,
    /// `ALARM_TAG_APPLICATION`.
    pub application_tag: String,
    /// `ALARM_TAG_DEPLOYMENT_GROUP`.
    pub group_tag: String,
    /// `STOP_ON_CODEDEPLOY_EVENTS`.
    pub stop_on: BTreeSet<EventKind>,
    /// `DRY_RUN`.
    pub dry_run: bool,
    /// `AUTO_ROLLBACK`.
    pub auto_rollback: bool,
    /// `MAX_SIGNAL_AGE`, in seconds: older signals are ignored as stale; `None`: no limit.
    pub max_signal_age: Option<i64>,
    /// `LOCAL_ACCOUNT`: the account to act for when the runtime's function ARN names none (as
    /// under `cargo lambda watch`, which sends `function-arn`); Lambda always names it.
    pub local_account: Option<String>,
    /// `WARM_UP`: ready the CodeDeploy connection of the function's region at start.
    pub warm_up: bool,
    /// `TARGET_ACCOUNTS`: the accounts it may act in besides its own.
    pub target_accounts: BTreeSet<String>,
    /// `TARGET_ROLE_NAME`: the role it assumes in a target account.
    pub target_role_name: String,
    /// `NOTIFY`: put an event on a bus for every stop, would-be stop and failed stop.
    pub notify: bool,
    /// `NOTIFY_EVENT_BUS`: the bus, by name or ARN.
    pub notify_event_bus: String,
    /// `AWS_LAMBDA_FUNCTION_NAME` (set by Lambda): names its sessions in target accounts.
    pub function_name: String,
}

/// A configuration variable that could not be used.
#[derive(Debug, PartialEq, Eq)]
pub struct ConfigError {
    pub variable: &'static str,
    pub problem: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "configuration variable {}: {}",
            self.variable, self.problem
        )
    }
}

impl std::error::Error for ConfigError {}

impl Config {
    /// Reads the configuration from the process environment.
    pub fn from_env() -> Result<Config, ConfigError> {
        Config::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads the configuration through `lookup` (variable name → value).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
        let get = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
        let default_region = get("AWS_REGION")
            .or_else(|| get("AWS_DEFAULT_REGION"))
            .ok_or(ConfigError {
                variable: "AWS_REGION",
                problem: "not set (Lambda sets it; set it when running elsewhere)".into(),
            })?;
        Ok(Config {
            default_region: default_region.trim().to_string(),
            allowed_groups: parse_allowed_groups(get("ALLOWED_DEPLOYMENT_GROUPS"))?,
            alarm_rules: get("ALARM_RULES")
                .map(|v| parse_rules(&v))
                .transpose()?
                .unwrap_or_default(),
            application_tag: get("ALARM_TAG_APPLICATION")
                .unwrap_or_else(|| "codedeploy-application".into()),
            group_tag: get("ALARM_TAG_DEPLOYMENT_GROUP")
                .unwrap_or_else(|| "codedeploy-deployment-group".into()),
            stop_on: get("STOP_ON_CODEDEPLOY_EVENTS")
                .map(|v| parse_kinds(&v))
                .transpose()?
                .unwrap_or_else(|| BTreeSet::from([EventKind::InstanceFailure])),
            dry_run: get("DRY_RUN")
                .map(|v| parse_bool("DRY_RUN", &v))
                .transpose()?
                .unwrap_or(false),
            auto_rollback: get("AUTO_ROLLBACK")
                .map(|v| parse_bool("AUTO_ROLLBACK", &v))
                .transpose()?
                .unwrap_or(true),
            max_signal_age: match get("MAX_SIGNAL_AGE") {
                None => Some(3600),
                Some(value) => parse_age(&value)?,
            },
            local_account: get("LOCAL_ACCOUNT")
                .map(|v| parse_account("LOCAL_ACCOUNT", &v))
                .transpose()?,
            warm_up: get("WARM_UP")
                .map(|v| parse_bool("WARM_UP", &v))
                .transpose()?
                .unwrap_or(true),
            target_accounts: get("TARGET_ACCOUNTS")
                .map(|v| parse_targets(&v))
                .transpose()?
                .unwrap_or_default(),
            target_role_name: get("TARGET_ROLE_NAME")
                .map(|v| parse_role_name(&v))
                .transpose()?
                .unwrap_or_else(|| "deployment-circuit-breaker-target".into()),
            notify: get("NOTIFY")
                .map(|v| parse_bool("NOTIFY", &v))
                .transpose()?
                .unwrap_or(true),
            notify_event_bus: get("NOTIFY_EVENT_BUS")
                .map(|v| v.trim().to_string())
                .unwrap_or_else(|| "default".into()),
            function_name: get("AWS_LAMBDA_FUNCTION_NAME")
                .unwrap_or_else(|| "deployment-circuit-breaker".into()),
        })
    }

    /// Whether `application/group` of `account` is inside `ALLOWED_DEPLOYMENT_GROUPS`.
    pub fn in_scope(&self, account: &str, application: &str, group: &str) -> bool {
        self.allowed_groups
            .iter()
            .any(|entry| entry.allows(account, application, group))
    }
}

fn comma_list(value: &str) -> Vec<String> {
    value
        .split(',')
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .map(str::to_string)
        .collect()
}

/// The scope has no default: a function that may stop anything must say so (`*/*`).
fn parse_allowed_groups(value: Option<String>) -> Result<Vec<AllowedGroups>, ConfigError> {
    let entries = value.map(|v| comma_list(&v)).unwrap_or_default();
    if entries.is_empty() {
        return Err(ConfigError {
            variable: "ALLOWED_DEPLOYMENT_GROUPS",
            problem: "not set: list the deployment groups the function may stop, as \
                      comma-separated `application/group` globs (for example \
                      `shop/prod,billing/*`), or `*/*` to allow every group"
                .into(),
        });
    }
    entries.iter().map(|e| AllowedGroups::parse(e)).collect()
}

fn parse_age(value: &str) -> Result<Option<i64>, ConfigError> {
    match value.trim().parse::<i64>() {
        Ok(0) => Ok(None),
        Ok(seconds) if seconds > 0 => Ok(Some(seconds)),
        _ => Err(ConfigError {
            variable: "MAX_SIGNAL_AGE",
            problem: format!("`{value}` is not a number of seconds (0 for no limit)"),
        }),
    }
}

/// Whether `account` is an AWS account ID: 12 digits.
pub fn is_account(account: &str) -> bool {
    account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit())
}

fn parse_account(variable: &'static str, value: &str) -> Result<String, ConfigError> {
    let account = value.trim();
    if is_account(account) {
        Ok(account.to_string())
    } else {
        Err(ConfigError {
            variable,
            problem: format!("`{value}` is not an AWS account ID (12 digits)"),
        })
    }
}

/// Whether `c` may be part of an IAM name (a role's, a role session's): a letter, a digit or
/// one of `+=,.@_-`.
pub fn is_iam_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "+=,.@_-".contains(c)
}

/// An IAM role name: 1 to 64 of letters, digits and `+=,.@_-`.
fn parse_role_name(value: &str) -> Result<String, ConfigError> {
    let name = value.trim();
    if (1..=64).contains(&name.len()) && name.chars().all(is_iam_name_char) {
        Ok(name.to_string())
    } else {
        Err(ConfigError {
            variable: "TARGET_ROLE_NAME",
            problem: format!("`{value}` is not an IAM role name"),
        })
    }
}

/// A list, never `*`: a foreign account must not be able to ask for a stop.
fn parse_targets(value: &str) -> Result<BTreeSet<String>, ConfigError> {
    comma_list(value)
        .into_iter()
        .map(|account| {
            if account.contains('*') {
                return Err(ConfigError {
                    variable: "TARGET_ACCOUNTS",
                    problem: "`*` is refused: list the accounts (a list is what keeps a foreign \
                              account from asking for a stop)"
                        .into(),
                });
            }
            parse_account("TARGET_ACCOUNTS", &account)
        })
        .collect()
}

fn parse_rules(value: &str) -> Result<Vec<AlarmRule>, ConfigError> {
    let error = |problem: String| ConfigError {
        variable: "ALARM_RULES",
        problem,
    };
    let rules: Vec<AlarmRule> = serde_json::from_str(value).map_err(|e| {
        error(format!(
            "not a JSON array of {{\"alarm\", \"application\", \"deploymentGroup\"?, \"region\"?, \
             \"account\"?}}: {e}"
        ))
    })?;
    for (index, rule) in rules.iter().enumerate() {
        if rule.alarm.is_empty() || rule.application.is_empty() {
            return Err(error(format!(
                "rule {index}: \"alarm\" and \"application\" must not be empty"
            )));
        }
        if let Some(account) = rule.account.as_deref().filter(|a| !is_account(a)) {
            return Err(error(format!(
                "rule {index}: \"account\" `{account}` is not an AWS account ID (12 digits)"
            )));
        }
        if let Some(region) = rule.region.as_deref().filter(|r| !is_region(r)) {
            return Err(error(format!(
                "rule {index}: \"region\" `{region}` is not an AWS region code"
            )));
        }
        if rule.deployment_group.as_deref() == Some("") {
            return Err(error(format!(
                "rule {index}: \"deploymentGroup\" is empty (leave it out for every group)"
            )));
        }
    }
    Ok(rules)
}

fn parse_kinds(value: &str) -> Result<BTreeSet<EventKind>, ConfigError> {
    comma_list(value)
        .iter()
        .map(|name| {
            EventKind::parse(name).ok_or_else(|| ConfigError {
                variable: "STOP_ON_CODEDEPLOY_EVENTS",
                problem: format!(
                    "unknown event kind `{name}` (known: {})",
                    EventKind::ALL.map(|k| k.to_string()).join(", ")
                ),
            })
        })
        .collect()
}

fn parse_bool(variable: &'static str, value: &str) -> Result<bool, ConfigError> {
    match value.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" => Ok(true),
        "false" | "0" | "no" => Ok(false),
        _ => Err(ConfigError {
            variable,
            problem: format!("`{value}` is not a boolean (use true or false)"),
        }),
    }
}

#[cfg(test)]
mod tests {
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
        assert_eq!(c.default_region, "eu-west-1");
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
        ])
        .unwrap();
        let entry = |application: &str, group: &str| AllowedGroups {
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
}
