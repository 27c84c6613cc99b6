//! The vocabulary every step shares, at the bottom of the pipeline: names and their validation
//! ([`names`]), what a signal was ([`signal`]), what CodeDeploy says of a deployment and what
//! became of it ([`deployment`]), the AWS error type ([`aws_error`]) and the events for people
//! ([`notification`]), the alarms that guard a deployment
//! group ([`alarm`]), where a group lives ([`group`]), the lifecycle hooks the gate answers ([`hook`])
//! what the canary judge reads ([`metric`]) and the messages a function sends itself ([`queued`]). It depends on nothing in the crate but [`crate::time`].

mod alarm;
mod aws_error;
mod deployment;
mod group;
mod hook;
mod metric;
mod names;
mod notification;
mod queued;
mod signal;

pub use alarm::{AlarmState, GuardSource};
pub use aws_error::{AwsError, ASSUME_ROLE_FAILED, CREDENTIALS_ERROR, DEADLINE_EXCEEDED};
pub use deployment::{
    DeploymentInfo, GroupInfo, LastDeployment, LookupError, Outcome, Revision, ACTIVE_STATUSES,
    REDEPLOY_MARK,
};
pub use group::{GroupRef, Location};
pub use hook::{HookAnswer, LifecycleEvent};
pub use metric::{EcsTaskSets, LambdaVersions, MetricQuery, PerMinute, Shift};
pub use names::{
    arn_account, bounded, is_account, is_deployment_id, is_iam_name_char, is_region, partition,
    Account, GroupName, ALARM_NAME_LIMIT, REASON_LIMIT,
};
pub use notification::{detail_type, Notification, SOURCE};
pub use queued::{from_queue, queue_arn, token, Delivered};
pub use signal::{EventKind, NotActed, SignalSummary, CLOCK_SKEW_SECS};
