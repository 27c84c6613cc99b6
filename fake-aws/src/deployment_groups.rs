//! CodeDeploy's deployment groups as the breaker reads them (`ListDeploymentGroups`,
//! `BatchGetDeploymentGroups`: the alarm configuration and the latest deployment) and
//! `CreateDeployment`, which refuses a group that already has an active deployment, as
//! CodeDeploy does.

use std::time::SystemTime;

use serde_json::{json, Value};

use crate::codedeploy::{authorize, CodeDeploy, ACTIVE};
use crate::protocol::{client_error, ApiError};
use crate::seed::Deployment;
use crate::{epoch_seconds, string_field, Input, State};

/// BatchGetDeploymentGroups accepts at most this many names.
const GROUPS_LIMIT: usize = 100;

impl CodeDeploy {
    /// The deployments of a group, oldest first.
    fn of_group(
        &self,
        account: &str,
        region: &str,
        application: &str,
        group: &str,
    ) -> Vec<&Deployment> {
        let mut found: Vec<&Deployment> = self
            .deployments
            .iter()
            .filter(|d| {
                d.is_in(account, region) && d.application == application && d.group == group
            })
            .collect();
        found.sort_by(|a, b| {
            a.create_time
                .partial_cmp(&b.create_time)
                .unwrap_or(std::cmp::Ordering::Equal)
        });
        found
    }

    /// A group as BatchGetDeploymentGroups writes it.
    fn group_info(&self, account: &str, region: &str, application: &str, name: &str) -> Value {
        let deployments = self.of_group(account, region, application, name);
        let summary = |d: &&Deployment| {
            json!({"deploymentId": d.id, "status": d.status, "createTime": d.create_time,
                   "endTime": d.complete_time})
        };
        let alarms: Vec<String> = self
            .groups
            .iter()
            .filter(|g| g.account == account && g.region == region)
            .filter(|g| g.application == application && g.group == name)
            .flat_map(|g| g.alarms.clone())
            .collect();
        let platform = deployments
            .last()
            .map_or("Server", |d| d.compute_platform.as_str());
        json!({
            "applicationName": application,
            "deploymentGroupName": name,
            "computePlatform": platform,
            "alarmConfiguration": {
                "enabled": !alarms.is_empty(),
                "ignorePollAlarmFailure": false,
                "alarms": alarms.iter().map(|a| json!({"name": a})).collect::<Vec<_>>(),
            },
            "lastAttemptedDeployment": deployments.last().map(summary),
            "lastSuccessfulDeployment": deployments
                .iter()
                .rev()
                .find(|d| d.status == "Succeeded")
                .map(summary),
        })
    }
}

/// `ListDeploymentGroups`: the names of an application's groups.
pub(crate) fn list_deployment_groups(state: &mut State, input: &Input) -> Result<Value, ApiError> {
    authorize(state, input)?;
    let (account, region, body) = (input.account(), input.region, input.body);
    let codedeploy = &state.codedeploy;
    let (application, groups) = codedeploy.require_application(account, region, body)?;
    let (page, next) = state.page(&groups, body)?;
    Ok(json!({ "applicationName": application, "deploymentGroups": page, "nextToken": next }))
}

/// `BatchGetDeploymentGroups`: the groups of the names given that exist, and an error message
/// naming the others.
pub(crate) fn batch_get_deployment_groups(
    state: &mut State,
    input: &Input,
) -> Result<Value, ApiError> {
    authorize(state, input)?;
    let (account, region, body) = (input.account(), input.region, input.body);
    let codedeploy = &state.codedeploy;
    let (application, groups) = codedeploy.require_application(account, region, body)?;
    let names: Vec<&str> = body["deploymentGroupNames"]
        .as_array()
        .map(|names| names.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    if names.is_empty() {
        return Err(client_error(
            "DeploymentGroupNameRequiredException",
            "The deployment group name was not specified.",
        ));
    }
    if names.len() > GROUPS_LIMIT {
        return Err(client_error(
            "BatchLimitExceededException",
            format!("The maximum number of deployment group names is {GROUPS_LIMIT}."),
        ));
    }
    let (found, missing): (Vec<&str>, Vec<&str>) = names
        .into_iter()
        .partition(|name| groups.iter().any(|g| g == name));
    let infos: Vec<Value> = found
        .into_iter()
        .map(|name| codedeploy.group_info(account, region, &application, name))
        .collect();
    let error = (!missing.is_empty())
        .then(|| format!("Deployment groups not found: {}", missing.join(", ")));
    Ok(json!({ "deploymentGroupsInfo": infos, "errorMessage": error }))
}

/// `CreateDeployment`: a new `InProgress` deployment of the revision given, on the group's
/// platform, unless the group has an active one.
pub(crate) fn create_deployment(state: &mut State, input: &Input) -> Result<Value, ApiError> {
    authorize(state, input)?;
    let (account, region, body) = (input.account(), input.region, input.body);
    let codedeploy = &mut state.codedeploy;
    let (application, groups) = codedeploy.require_application(account, region, body)?;
    let group = string_field(body, "deploymentGroupName")
        .filter(|g| groups.iter().any(|known| known == g))
        .ok_or_else(|| {
            client_error(
                "DeploymentGroupDoesNotExistException",
                "The deployment group does not exist.",
            )
        })?
        .to_string();
    let revision = body
        .get("revision")
        .filter(|r| r.is_object())
        .cloned()
        .ok_or_else(|| {
            client_error(
                "RevisionRequiredException",
                "The revision ID was not specified.",
            )
        })?;
    let deployments = codedeploy.of_group(account, region, &application, &group);
    if let Some(active) = deployments
        .iter()
        .find(|d| ACTIVE.contains(&d.status.as_str()))
    {
        return Err(client_error(
            "DeploymentLimitExceededException",
            format!(
                "The Deployment Group '{group}' already has an active Deployment '{}'",
                active.id
            ),
        ));
    }
    let previous = deployments
        .iter()
        .rev()
        .find(|d| d.status == "Succeeded")
        .and_then(|d| d.revision.clone());
    let platform = deployments
        .last()
        .map_or("Server".to_string(), |d| d.compute_platform.clone());
    let id = format!("d-R{:08}", codedeploy.created.len() + 1);
    let mut made = Deployment::new(region, &id, &application, &group).account(account);
    made.compute_platform = platform;
    made.description = string_field(body, "description").map(str::to_string);
    made.revision = Some(revision);
    made.previous_revision = previous;
    made.create_time = Some(epoch_seconds(SystemTime::now()));
    codedeploy.deployments.push(made.clone());
    codedeploy.created.push(made);
    Ok(json!({ "deploymentId": id }))
}
