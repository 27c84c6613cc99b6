//! CodeDeploy's deployments: `ListDeployments` (of a group, by status), `BatchGetDeployments`
//! and `StopDeployment`, which moves an active deployment to `Stopped` and records the stop.

use serde_json::{json, Value};

use crate::codedeploy::{authorize, is_deployment_id, Stop, ACTIVE};
use crate::protocol::{client_error, ApiError};
use crate::seed::Deployment;
use crate::{string_field, Input, State};

const ALL_STATUSES: [&str; 8] = [
    "Created",
    "Queued",
    "InProgress",
    "Baking",
    "Ready",
    "Succeeded",
    "Failed",
    "Stopped",
];
/// BatchGetDeployments accepts at most this many IDs.
const BATCH_LIMIT: usize = 25;

/// `ListDeployments`: the IDs of a group's deployments, of the statuses asked if any.
pub(crate) fn list_deployments(state: &mut State, input: &Input) -> Result<Value, ApiError> {
    authorize(state, input)?;
    let (account, region, body) = (input.account(), input.region, input.body);
    let (application, groups) = state
        .codedeploy
        .require_application(account, region, body)?;
    let group = string_field(body, "deploymentGroupName").ok_or_else(|| {
        client_error(
            "DeploymentGroupNameRequiredException",
            "The deployment group name was not specified.",
        )
    })?;
    if !groups.iter().any(|g| g == group) {
        return Err(client_error(
            "DeploymentGroupDoesNotExistException",
            format!("No deployment group found for name: {group}"),
        ));
    }
    let statuses = statuses(body)?;
    let ids: Vec<String> = state
        .codedeploy
        .deployments
        .iter()
        .filter(|d| {
            d.is_in(account, region)
                && d.application == application
                && d.group == group
                && statuses.contains(&d.status.as_str())
        })
        .map(|d| d.id.clone())
        .collect();
    let (page, next) = state.page(&ids, body)?;
    Ok(json!({ "deployments": page, "nextToken": next }))
}

/// `includeOnlyStatuses`, or every status when not given.
fn statuses(body: &Value) -> Result<Vec<&str>, ApiError> {
    let Some(list) = body.get("includeOnlyStatuses").and_then(Value::as_array) else {
        return Ok(ALL_STATUSES.to_vec());
    };
    list.iter()
        .map(|s| {
            s.as_str()
                .filter(|s| ALL_STATUSES.contains(s))
                .ok_or_else(|| {
                    client_error(
                        "InvalidDeploymentStatusException",
                        format!("invalid status {s}"),
                    )
                })
        })
        .collect()
}

/// `BatchGetDeployments`: the deployments of the IDs given that exist.
pub(crate) fn batch_get_deployments(state: &mut State, input: &Input) -> Result<Value, ApiError> {
    authorize(state, input)?;
    let ids = input
        .body
        .get("deploymentIds")
        .and_then(Value::as_array)
        .filter(|ids| !ids.is_empty())
        .ok_or_else(|| {
            client_error(
                "DeploymentIdRequiredException",
                "At least one deployment ID must be specified.",
            )
        })?;
    if ids.len() > BATCH_LIMIT {
        return Err(client_error(
            "BatchLimitExceededException",
            format!("The maximum number of deployment IDs is {BATCH_LIMIT}."),
        ));
    }
    let mut infos = Vec::new();
    for id in ids {
        let id = id
            .as_str()
            .filter(|id| is_deployment_id(id))
            .ok_or_else(|| {
                client_error(
                    "InvalidDeploymentIdException",
                    format!("Specified deployment ID {id} is invalid."),
                )
            })?;
        let here = |d: &&Deployment| d.is_in(input.account(), input.region) && d.id == id;
        if let Some(d) = state.codedeploy.deployments.iter().find(here) {
            infos.push(info(d));
        }
    }
    Ok(json!({ "deploymentsInfo": infos }))
}

/// A deployment as BatchGetDeployments writes it.
fn info(d: &Deployment) -> Value {
    let mut info = json!({
        "deploymentId": d.id,
        "applicationName": d.application,
        "deploymentGroupName": d.group,
        "status": d.status,
        "createTime": d.create_time,
        "completeTime": d.complete_time,
        "computePlatform": d.compute_platform,
        "description": d.description,
        "revision": d.revision,
        "previousRevision": d.previous_revision,
    });
    if let Some(creator) = &d.creator {
        info["creator"] = json!(creator);
    }
    info
}

/// `StopDeployment`: an active deployment becomes `Stopped`, and the stop is recorded.
pub(crate) fn stop_deployment(state: &mut State, input: &Input) -> Result<Value, ApiError> {
    authorize(state, input)?;
    let (account, region, body) = (input.account(), input.region, input.body);
    let codedeploy = &mut state.codedeploy;
    let index = codedeploy.named_deployment(account, region, body)?;
    let deployment = &mut codedeploy.deployments[index];
    let id = deployment.id.clone();
    if !ACTIVE.contains(&deployment.status.as_str()) {
        return Err(client_error(
            "DeploymentAlreadyCompletedException",
            format!("The deployment {id} has already completed."),
        ));
    }
    deployment.status = "Stopped".into();
    let auto_rollback_enabled = body.get("autoRollbackEnabled").and_then(Value::as_bool);
    codedeploy.stops.push(Stop {
        account: account.into(),
        region: region.into(),
        deployment_id: id.clone(),
        auto_rollback_enabled,
    });
    Ok(json!({ "status": "Pending", "statusMessage": format!("Stopping deployment {id}") }))
}
