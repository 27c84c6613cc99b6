//! What CloudWatch says of an alarm that guards a deployment group, and why it guards it.

use serde::Serialize;

use crate::time::Time;

/// One alarm's state, as `DescribeAlarms` gives it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AlarmState {
    pub name: String,
    /// `MetricAlarm` or `CompositeAlarm`.
    pub kind: &'static str,
    /// `OK`, `ALARM` or `INSUFFICIENT_DATA`.
    pub state: String,
    /// When the state last changed (`StateTransitionedTimestamp`; `StateUpdatedTimestamp` also
    /// moves when only the reason changes).
    pub transitioned: Option<Time>,
    /// A composite alarm's actions are suppressed (`WaitPeriod`, `ExtensionPeriod`, `Alarm`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suppressed_by: Option<String>,
}

/// Why an alarm guards a group.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum GuardSource {
    /// Its tags name the application (and the group, or no group).
    Tags,
    /// An `ALARM_RULES` entry maps it to the group or its application.
    Rule,
    /// The group's own `alarmConfiguration` lists it.
    GroupAlarms,
}
