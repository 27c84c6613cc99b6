//! The rules of configuration that map alarms to groups and scope the stops.

use serde::Deserialize;

use crate::glob::matches;

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
pub struct AllowedGroup {
    pub account: Option<String>,
    pub application: String,
    pub group: String,
}

impl AllowedGroup {
    /// Whether `application/group` of `account` is allowed by this entry.
    pub fn allows(&self, account: &str, application: &str, group: &str) -> bool {
        self.may_hold(account, application) && matches(&self.group, group)
    }

    /// Whether this entry may allow groups of `application` in `account`.
    pub fn may_hold(&self, account: &str, application: &str) -> bool {
        self.account.as_deref().is_none_or(|a| a == account)
            && matches(&self.application, application)
    }
}

/// What the canary judge does with its verdict (`JUDGE`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JudgeMode {
    /// No judging, and no metric read.
    Off,
    /// Judge and tell, never stop: the default, to be watched before it is trusted.
    Report,
    /// Judge, tell, and stop (the gate: fail the hook) on `fail`.
    Enforce,
}

/// The judge's significance level (`JUDGE_P`), between 0 and 1 exclusive.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Significance(pub f64);

// Never NaN (see `parse_judge_p`), so equality is total.
impl Eq for Significance {}

/// How the gate answers a hook when it cannot check the alarms.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GateOnError {
    /// Let the deployment go on: a wrong rollback is worse than none.
    Succeed,
    /// Roll it back.
    Fail,
}
