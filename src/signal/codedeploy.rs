//! CodeDeploy messages: deployment and instance state changes, from EventBridge or as trigger
//! notifications (SNS), with their many spellings of a state.

use serde::Deserialize;
use serde_json::Value;

use super::fields::{accounts, check_deployment_id, decode, error, loose_time, valid_region};
use super::model::{Around, CodeDeployEvent, Item, ParseError, Scope, Signal, Via, What};
use crate::time::Time;
use crate::types::EventKind;

/// A state change, as read from either form.
pub(super) struct Change {
    pub deployment_id: String,
    pub scope: Scope,
    pub state: String,
    pub region: Option<String>,
    pub time: Option<Time>,
    pub accounts: Vec<String>,
}

pub(super) fn signal(change: Change, what: &str) -> Result<Item, ParseError> {
    check_deployment_id(&change.deployment_id, what, "deploymentId")?;
    Ok(Item::Signal(Signal {
        what: What::CodeDeploy(CodeDeployEvent {
            kind: event_kind(change.scope, &change.state),
            deployment_id: change.deployment_id,
            scope: change.scope,
            state: change.state,
            region: change.region,
        }),
        time: change.time,
        accounts: change.accounts,
        via: Via::Invoke,
    }))
}

/// A CodeDeploy trigger notification as SNS delivers it.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Trigger {
    deployment_id: String,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    instance_status: Option<String>,
    #[serde(default)]
    region: Option<String>,
    #[serde(default)]
    account_id: Option<String>,
    #[serde(default, deserialize_with = "loose_time")]
    last_updated_at: Option<Time>,
    #[serde(default, deserialize_with = "loose_time")]
    complete_time: Option<Time>,
    #[serde(default, deserialize_with = "loose_time")]
    create_time: Option<Time>,
}

/// A trigger notification. It happened when the instance was last updated or the deployment
/// completed, else when SNS sent it, else (a deployment just created) at its creation.
pub(super) fn trigger(value: &Value, what: &str, around: &Around) -> Result<Item, ParseError> {
    let what = format!("{what} (CodeDeploy trigger notification)");
    let trigger: Trigger = decode(value, &what)?;
    let (scope, state, time) = match (trigger.instance_status, trigger.status) {
        (Some(state), _) => (Scope::Instance, state, trigger.last_updated_at),
        (None, Some(state)) => (Scope::Deployment, state, trigger.complete_time),
        (None, None) => {
            return Err(error(format!(
                "{what}: neither `status` nor `instanceStatus`"
            )))
        }
    };
    let change = Change {
        deployment_id: trigger.deployment_id,
        scope,
        state,
        region: valid_region(trigger.region.as_deref()).or_else(|| around.region.clone()),
        time: time.or(around.time).or(trigger.create_time),
        accounts: accounts([trigger.account_id.as_deref()]),
    };
    signal(change, &what)
}

/// Maps the many spellings of CodeDeploy states onto stop-trigger kinds.
fn event_kind(scope: Scope, state: &str) -> Option<EventKind> {
    let normal: String = state
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect::<String>()
        .to_ascii_uppercase();
    use EventKind::*;
    let kind = match (scope, normal.as_str()) {
        (Scope::Deployment, "START" | "STARTED" | "CREATED" | "INPROGRESS") => DeploymentStart,
        (Scope::Deployment, "READY") => DeploymentReady,
        (Scope::Deployment, "FAILURE" | "FAILED") => DeploymentFailure,
        (Scope::Instance, "START" | "STARTED" | "PENDING" | "INPROGRESS") => InstanceStart,
        (Scope::Instance, "READY") => InstanceReady,
        (Scope::Instance, "FAILURE" | "FAILED") => InstanceFailure,
        _ => return None,
    };
    Some(kind)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_kinds_cover_every_spelling() {
        use EventKind::*;
        let cases = [
            (Scope::Deployment, "CREATED", Some(DeploymentStart)),
            (Scope::Deployment, "Created", Some(DeploymentStart)),
            (Scope::Deployment, "IN_PROGRESS", Some(DeploymentStart)),
            (Scope::Deployment, "START", Some(DeploymentStart)),
            (Scope::Deployment, "READY", Some(DeploymentReady)),
            (Scope::Deployment, "FAILED", Some(DeploymentFailure)),
            (Scope::Deployment, "FAILURE", Some(DeploymentFailure)),
            (Scope::Deployment, "SUCCEEDED", None),
            (Scope::Deployment, "STOP", None),
            (Scope::Instance, "Pending", Some(InstanceStart)),
            (Scope::Instance, "InProgress", Some(InstanceStart)),
            (Scope::Instance, "Ready", Some(InstanceReady)),
            (Scope::Instance, "Failed", Some(InstanceFailure)),
            (Scope::Instance, "FAILURE", Some(InstanceFailure)),
            (Scope::Instance, "Succeeded", None),
            (Scope::Instance, "Skipped", None),
        ];
        for (scope, state, kind) in cases {
            assert_eq!(event_kind(scope, state), kind, "{scope:?} {state}");
        }
    }
}
