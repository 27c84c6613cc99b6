//! Configuration, read once at start from the environment into typed values.

use std::collections::BTreeSet;
use std::fmt;

use serde::Deserialize;

use crate::glob::matches;

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
}

/// The function's configuration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// `AWS_REGION`: the region of signals that do not carry one.
    pub default_region: String,
    /// `ALLOWED_DEPLOYMENT_GROUPS`: `application/group` globs.
    pub allowed_groups: Vec<String>,
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
            allowed_groups: get("ALLOWED_DEPLOYMENT_GROUPS")
                .map(|v| comma_list(&v))
                .unwrap_or_else(|| vec!["*".into()]),
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
        })
    }

    /// Whether `application/group` is inside `ALLOWED_DEPLOYMENT_GROUPS`.
    pub fn in_scope(&self, application: &str, group: &str) -> bool {
        let name = format!("{application}/{group}");
        self.allowed_groups
            .iter()
            .any(|pattern| matches(pattern, &name))
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

fn parse_rules(value: &str) -> Result<Vec<AlarmRule>, ConfigError> {
    let error = |problem: String| ConfigError {
        variable: "ALARM_RULES",
        problem,
    };
    let rules: Vec<AlarmRule> = serde_json::from_str(value).map_err(|e| {
        error(format!(
            "not a JSON array of {{\"alarm\", \"application\", \"deploymentGroup\"?, \"region\"?}}: {e}"
        ))
    })?;
    for (index, rule) in rules.iter().enumerate() {
        if rule.alarm.is_empty() || rule.application.is_empty() {
            return Err(error(format!(
                "rule {index}: \"alarm\" and \"application\" must not be empty"
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

    #[test]
    fn defaults_are_safe() {
        let c = config(&[("AWS_REGION", "eu-west-1")]).unwrap();
        assert_eq!(c.default_region, "eu-west-1");
        assert_eq!(c.allowed_groups, vec!["*"]);
        assert!(c.alarm_rules.is_empty());
        assert_eq!(c.application_tag, "codedeploy-application");
        assert_eq!(c.group_tag, "codedeploy-deployment-group");
        assert_eq!(c.stop_on, BTreeSet::from([EventKind::InstanceFailure]));
        assert!(!c.dry_run);
        assert!(c.auto_rollback);
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
        ])
        .unwrap();
        assert_eq!(c.allowed_groups, vec!["shop/*", "billing/prod"]);
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
        ];
        for (variable, value, problem) in cases {
            let err = config(&[("AWS_REGION", "us-east-1"), (variable, value)]).unwrap_err();
            assert_eq!(err.variable, variable);
            assert!(err.problem.contains(problem), "{err}");
            assert!(err.to_string().contains(variable));
        }
    }

    #[test]
    fn region_is_required() {
        let err = config(&[]).unwrap_err();
        assert_eq!(err.variable, "AWS_REGION");
    }

    #[test]
    fn scope_matches_application_slash_group() {
        let c = config(&[
            ("AWS_REGION", "us-east-1"),
            ("ALLOWED_DEPLOYMENT_GROUPS", "shop/prod-*,billing/canary"),
        ])
        .unwrap();
        assert!(c.in_scope("shop", "prod-eu"));
        assert!(c.in_scope("billing", "canary"));
        assert!(!c.in_scope("shop", "staging"));
        assert!(!c.in_scope("billing", "canary2"));
    }
}
