//! Configuration, read once at start from the environment into typed values.

mod parse;
mod rules;

use std::collections::{BTreeMap, BTreeSet};

use crate::types::EventKind;
use parse::{
    optional, parse_account, parse_age, parse_allowed_groups, parse_bool, parse_gate_on_error,
    parse_judge, parse_judge_p, parse_kinds, parse_regions, parse_role_arn, parse_role_name,
    parse_rules, parse_seconds, parse_targets, parse_topic_accounts,
};

pub use parse::ConfigError;
pub use rules::{AlarmRule, AllowedGroup, GateOnError, JudgeMode, Significance};

/// The function's configuration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// `AWS_REGION`: the function's own region, and that of signals that do not carry one.
    pub own_region: String,
    /// `ALLOWED_DEPLOYMENT_GROUPS`: the deployment groups it may stop.
    pub allowed_groups: Vec<AllowedGroup>,
    /// `ALARM_RULES`.
    pub alarm_rules: Vec<AlarmRule>,
    /// `ALARM_TAG_APPLICATION`.
    pub application_tag: String,
    /// `ALARM_TAG_DEPLOYMENT_GROUP`.
    pub group_tag: String,
    /// `ALARM_TAG_MAPPING`: map alarms to groups by their tags (else by `ALARM_RULES` alone).
    pub alarm_tag_mapping: bool,
    /// `ALARM_NAME_PREFIX`: only alarms whose name starts with it map to anything.
    pub alarm_name_prefix: Option<String>,
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
    /// `KILL_SWITCH_ACROSS_ACCOUNTS`: a kill switch may name a target account. Whoever may
    /// invoke the function may then stop deployments in every target account.
    pub kill_switch_across_accounts: bool,
    /// `SNS_TOPIC_ACCOUNTS`: topic ARN → the accounts besides its owner it may speak for.
    pub topic_accounts: BTreeMap<String, BTreeSet<String>>,
    /// `AWS_LAMBDA_FUNCTION_NAME` (set by Lambda): names its sessions in target accounts.
    pub function_name: String,
    /// `ROLLBACK_COMPLETED_WITHIN`, in seconds: a `Server` deployment that succeeded at most this
    /// long before a signal gets its previous revision redeployed; `None`: off.
    pub rollback_completed_within: Option<i64>,
    /// `BAKE_SECONDS`: how long the gate watches the alarms at `AfterAllowTraffic`.
    pub bake_seconds: i64,
    /// `GATE_ON_ERROR`: how the gate answers when it cannot read the alarms.
    pub gate_on_error: GateOnError,
    /// `REGIONS`: the regions the readiness check looks in; default the function's own.
    pub regions: Vec<String>,
    /// `FUNCTION_ROLE_ARN`: the function's own role, whose policy the check simulates.
    pub function_role_arn: Option<String>,
    /// `GATE_ROLE_ARN`: the gate's role, whose hook answers the check simulates.
    pub gate_role_arn: Option<String>,
    /// `STATE_TABLE`: the DynamoDB table of the records only the functions' roles write (the
    /// hooks the gate watches, the redeploys the breaker made).
    pub state_table: Option<String>,
    /// `WATCH_QUEUE_URL`: the function's own SQS queue, through which it waits (the gate for a
    /// bake, the breaker between the canary judge's polls).
    pub watch_queue_url: Option<String>,
    /// `JUDGE`: the canary judge's mode.
    pub judge: JudgeMode,
    /// `JUDGE_P`: the judge's significance level (default 0.001).
    pub judge_p: Significance,
    /// `JUDGE_INTERVAL`: seconds between the breaker's polls of a deployment it judges (default
    /// 60, at most 900: the longest SQS delay).
    pub judge_interval: i64,
}

/// The longest bake: CodeDeploy waits an hour for a hook's answer.
pub const MAX_BAKE_SECONDS: i64 = 3300;
/// The longest `ROLLBACK_COMPLETED_WITHIN`: a redeploy rolls back what just finished, never
/// downgrades to something older.
pub const MAX_ROLLBACK_COMPLETED_WITHIN: i64 = 3600;

impl Config {
    /// Reads the configuration from the process environment.
    pub fn from_env() -> Result<Config, ConfigError> {
        Config::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads the configuration through `lookup` (variable name → value).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
        let get = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
        let flag = |name: &'static str, default: bool| {
            get(name).map_or(Ok(default), |v| parse_bool(name, &v))
        };
        let or = |name: &str, default: &str| get(name).unwrap_or_else(|| default.to_string());
        let text = |name: &str| get(name).map(|v| v.trim().to_string());
        let seconds = |name: &'static str, max: i64| {
            (get(name).map(|v| parse_seconds(name, &v, max)).transpose()).map(Option::flatten)
        };
        let own_region = get("AWS_REGION")
            .or_else(|| get("AWS_DEFAULT_REGION"))
            .ok_or(ConfigError {
                variable: "AWS_REGION",
                problem: "not set (Lambda sets it; set it when running elsewhere)".into(),
            })?;
        Config {
            own_region: own_region.trim().to_string(),
            allowed_groups: parse_allowed_groups(get("ALLOWED_DEPLOYMENT_GROUPS"))?,
            alarm_rules: optional(get("ALARM_RULES"), parse_rules)?.unwrap_or_default(),
            application_tag: or("ALARM_TAG_APPLICATION", "codedeploy-application"),
            group_tag: or("ALARM_TAG_DEPLOYMENT_GROUP", "codedeploy-deployment-group"),
            alarm_tag_mapping: flag("ALARM_TAG_MAPPING", true)?,
            alarm_name_prefix: text("ALARM_NAME_PREFIX"),
            stop_on: optional(get("STOP_ON_CODEDEPLOY_EVENTS"), parse_kinds)?
                .unwrap_or_else(|| BTreeSet::from([EventKind::InstanceFailure])),
            dry_run: flag("DRY_RUN", false)?,
            auto_rollback: flag("AUTO_ROLLBACK", true)?,
            max_signal_age: optional(get("MAX_SIGNAL_AGE"), parse_age)?.unwrap_or(Some(3600)),
            local_account: optional(get("LOCAL_ACCOUNT"), |v| parse_account("LOCAL_ACCOUNT", v))?,
            warm_up: flag("WARM_UP", true)?,
            target_accounts: optional(get("TARGET_ACCOUNTS"), parse_targets)?.unwrap_or_default(),
            target_role_name: optional(get("TARGET_ROLE_NAME"), parse_role_name)?
                .unwrap_or_else(|| "deployment-circuit-breaker-target".into()),
            notify: flag("NOTIFY", true)?,
            notify_event_bus: text("NOTIFY_EVENT_BUS").unwrap_or_else(|| "default".into()),
            kill_switch_across_accounts: flag("KILL_SWITCH_ACROSS_ACCOUNTS", false)?,
            topic_accounts: optional(get("SNS_TOPIC_ACCOUNTS"), parse_topic_accounts)?
                .unwrap_or_default(),
            function_name: or("AWS_LAMBDA_FUNCTION_NAME", "deployment-circuit-breaker"),
            rollback_completed_within: seconds(
                "ROLLBACK_COMPLETED_WITHIN",
                MAX_ROLLBACK_COMPLETED_WITHIN,
            )?,
            bake_seconds: seconds("BAKE_SECONDS", MAX_BAKE_SECONDS)?.unwrap_or(0),
            regions: (optional(get("REGIONS"), parse_regions)?)
                .filter(|regions| !regions.is_empty())
                .unwrap_or_else(|| vec![own_region.trim().to_string()]),
            function_role_arn: optional(get("FUNCTION_ROLE_ARN"), |v| {
                parse_role_arn("FUNCTION_ROLE_ARN", v)
            })?,
            gate_role_arn: optional(get("GATE_ROLE_ARN"), |v| parse_role_arn("GATE_ROLE_ARN", v))?,
            gate_on_error: parse_gate_on_error(get("GATE_ON_ERROR"))?,
            state_table: text("STATE_TABLE"),
            watch_queue_url: text("WATCH_QUEUE_URL"),
            judge: parse_judge(get("JUDGE"))?,
            judge_p: optional(get("JUDGE_P"), parse_judge_p)?.unwrap_or(Significance(0.001)),
            judge_interval: seconds("JUDGE_INTERVAL", 900)?.unwrap_or(60),
        }
        .checked()
    }

    /// Refuses what only works with what is missing: a redeploy is recorded before it is made,
    /// so that racing signals make one.
    fn checked(self) -> Result<Config, ConfigError> {
        if self.rollback_completed_within.is_some() && self.state_table.is_none() {
            return Err(ConfigError {
                variable: "ROLLBACK_COMPLETED_WITHIN",
                problem: "needs STATE_TABLE: each redeploy is recorded there before it is made"
                    .into(),
            });
        }
        Ok(self)
    }

    /// Whether `application/group` of `account` is inside `ALLOWED_DEPLOYMENT_GROUPS`.
    pub fn in_scope(&self, account: &str, application: &str, group: &str) -> bool {
        self.allowed_groups
            .iter()
            .any(|entry| entry.allows(account, application, group))
    }

    /// Whether any group of `application` in `account` may be in scope.
    pub fn app_in_scope(&self, account: &str, application: &str) -> bool {
        (self.allowed_groups.iter()).any(|entry| entry.may_hold(account, application))
    }
}

#[cfg(test)]
mod tests;

#[cfg(test)]
impl Config {
    /// The configuration unit tests start from: every group in scope, in `us-east-1`, no
    /// warm-up, no notifications; a test sets the fields it is about.
    pub(crate) fn for_tests() -> Config {
        Config::from_lookup(|name| {
            let value = match name {
                "AWS_REGION" => "us-east-1",
                "ALLOWED_DEPLOYMENT_GROUPS" => "*/*",
                "WARM_UP" | "NOTIFY" => "false",
                "AWS_LAMBDA_FUNCTION_NAME" => "breaker",
                _ => return None,
            };
            Some(value.to_string())
        })
        .expect("the test configuration is valid")
    }
}
