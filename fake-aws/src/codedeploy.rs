//! CodeDeploy (JSON 1.1): the operations the circuit breaker calls, as the service answers them:
//! pagination through `nextToken`, `StopDeployment` moving a deployment to `Stopped`, its
//! errors, and IAM by the resource type each action takes.

use std::collections::BTreeSet;

use serde::Serialize;
use serde_json::{json, Value};

use crate::server::{client_error, ApiError};
use crate::{string_field, Caller, State};

/// The statuses in which a deployment can still be stopped.
pub(crate) const ACTIVE: [&str; 5] = ["Created", "Queued", "InProgress", "Baking", "Ready"];
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

/// A `StopDeployment` call that stopped a deployment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Stop {
    pub account: String,
    pub region: String,
    pub deployment_id: String,
    pub auto_rollback_enabled: Option<bool>,
}

pub(crate) fn is_deployment_id(id: &str) -> bool {
    id.strip_prefix("d-").is_some_and(|rest| {
        rest.len() == 9
            && rest
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
    })
}

impl State {
    /// Authorizes and serves one CodeDeploy call in the caller's account.
    pub(crate) fn codedeploy(
        &mut self,
        caller: &Caller,
        operation: &str,
        region: &str,
        body: &Value,
    ) -> Result<Value, ApiError> {
        let account = caller.account.as_str();
        for (action, resource) in self.resources(account, operation, region, body) {
            self.authorize(caller, &action, &resource, account, region)?;
        }
        match operation {
            "BatchGetDeploymentGroups" => self.batch_get_deployment_groups(account, region, body),
            "CreateDeployment" => self.create_deployment(account, region, body),
            "ListApplications" => self.list_applications(account, region, body),
            "ListDeploymentGroups" => self.list_deployment_groups(account, region, body),
            "ListDeployments" => self.list_deployments(account, region, body),
            "BatchGetDeployments" => self.batch_get_deployments(account, region, body),
            "StopDeployment" => self.stop_deployment(account, region, body),
            "ListDeploymentTargets" => self.list_deployment_targets(account, region, body),
            "BatchGetDeploymentTargets" => self.batch_get_deployment_targets(account, region, body),
            "PutLifecycleEventHookExecutionStatus" => {
                self.put_lifecycle_event_hook_execution_status(account, region, body)
            }
            other => Err(client_error(
                "UnknownOperationException",
                format!("the fake does not serve operation `{other}`"),
            )),
        }
    }

    /// What a call needs, as IAM sees it, each action with its resource: the application
    /// (ListDeploymentGroups), the deployment group (ListDeployments, BatchGetDeploymentGroups,
    /// the group of each deployment BatchGetDeployments returns, CreateDeployment with the
    /// deployment configuration and application revision it reads), or `*` (ListApplications,
    /// StopDeployment, ListDeploymentTargets, BatchGetDeploymentTargets and
    /// PutLifecycleEventHookExecutionStatus have no resource type).
    fn resources(
        &self,
        account: &str,
        operation: &str,
        region: &str,
        body: &Value,
    ) -> Vec<(String, String)> {
        let arn =
            |kind: &str, name: &str| format!("arn:aws:codedeploy:{region}:{account}:{kind}:{name}");
        let application = string_field(body, "applicationName").unwrap_or_default();
        let group = string_field(body, "deploymentGroupName").unwrap_or_default();
        let action = format!("codedeploy:{operation}");
        let on = |resources: Vec<String>| {
            resources
                .into_iter()
                .map(|resource| (action.clone(), resource))
                .collect()
        };
        let group_arn = |group: &str| arn("deploymentgroup", &format!("{application}/{group}"));
        match operation {
            "ListDeploymentGroups" => on(vec![arn("application", application)]),
            "ListDeployments" => on(vec![group_arn(group)]),
            "BatchGetDeploymentGroups" => on(body["deploymentGroupNames"]
                .as_array()
                .map(|names| {
                    names
                        .iter()
                        .filter_map(Value::as_str)
                        .map(group_arn)
                        .collect()
                })
                .unwrap_or_default()),
            "CreateDeployment" => vec![
                (action.clone(), group_arn(group)),
                (
                    "codedeploy:GetDeploymentConfig".into(),
                    arn("deploymentconfig", "CodeDeployDefault.OneAtATime"),
                ),
                (
                    "codedeploy:GetApplicationRevision".into(),
                    arn("application", application),
                ),
            ],
            "BatchGetDeployments" => {
                let ids: Vec<&str> = body["deploymentIds"]
                    .as_array()
                    .map(|ids| ids.iter().filter_map(Value::as_str).collect())
                    .unwrap_or_default();
                let groups: BTreeSet<String> = self
                    .deployments
                    .iter()
                    .filter(|d| d.is_in(account, region) && ids.contains(&d.id.as_str()))
                    .map(|d| arn("deploymentgroup", &format!("{}/{}", d.application, d.group)))
                    .collect();
                on(groups.into_iter().collect())
            }
            _ => on(vec!["*".into()]),
        }
    }

    pub(crate) fn group_names(
        &self,
        account: &str,
        region: &str,
        application: &str,
    ) -> Vec<String> {
        let here = |a: &str, r: &str, app: &str| a == account && r == region && app == application;
        let from_deployments = self
            .deployments
            .iter()
            .filter(|d| here(&d.account, &d.region, &d.application))
            .map(|d| d.group.clone());
        let empty = self
            .groups
            .iter()
            .filter(|g| here(&g.account, &g.region, &g.application))
            .map(|g| g.group.clone());
        let unique: BTreeSet<String> = from_deployments.chain(empty).collect();
        unique.into_iter().collect()
    }

    pub(crate) fn page<T: Clone>(
        &self,
        items: &[T],
        body: &Value,
    ) -> Result<(Vec<T>, Option<String>), ApiError> {
        let start = match string_field(body, "nextToken") {
            None => 0,
            Some(token) => token
                .strip_prefix("page-")
                .and_then(|n| n.parse::<usize>().ok())
                .filter(|n| *n <= items.len())
                .ok_or_else(|| {
                    client_error("InvalidNextTokenException", "The next token is invalid.")
                })?,
        };
        let size = self.page_size.unwrap_or(100);
        let end = (start + size).min(items.len());
        let next = (end < items.len()).then(|| format!("page-{end}"));
        Ok((items[start..end].to_vec(), next))
    }

    /// The application the call names, with its deployment groups.
    pub(crate) fn require_application(
        &self,
        account: &str,
        region: &str,
        body: &Value,
    ) -> Result<(String, Vec<String>), ApiError> {
        let application = string_field(body, "applicationName").ok_or_else(|| {
            client_error(
                "ApplicationNameRequiredException",
                "The minimum number of required application names was not specified.",
            )
        })?;
        let groups = self.group_names(account, region, application);
        if groups.is_empty() {
            return Err(client_error(
                "ApplicationDoesNotExistException",
                format!("No application found for name: {application}"),
            ));
        }
        Ok((application.to_string(), groups))
    }

    fn list_deployment_groups(
        &self,
        account: &str,
        region: &str,
        body: &Value,
    ) -> Result<Value, ApiError> {
        let (application, groups) = self.require_application(account, region, body)?;
        let (page, next) = self.page(&groups, body)?;
        Ok(json!({ "applicationName": application, "deploymentGroups": page, "nextToken": next }))
    }

    fn list_deployments(
        &self,
        account: &str,
        region: &str,
        body: &Value,
    ) -> Result<Value, ApiError> {
        let (application, groups) = self.require_application(account, region, body)?;
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
        let statuses: Vec<&str> = match body.get("includeOnlyStatuses").and_then(Value::as_array) {
            None => ALL_STATUSES.to_vec(),
            Some(list) => list
                .iter()
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
                .collect::<Result<_, _>>()?,
        };
        let ids: Vec<String> = self
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
        let (page, next) = self.page(&ids, body)?;
        Ok(json!({ "deployments": page, "nextToken": next }))
    }

    fn batch_get_deployments(
        &self,
        account: &str,
        region: &str,
        body: &Value,
    ) -> Result<Value, ApiError> {
        let ids = body
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
            let found = self
                .deployments
                .iter()
                .find(|d| d.is_in(account, region) && d.id == id);
            if let Some(d) = found {
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
                infos.push(info);
            }
        }
        Ok(json!({ "deploymentsInfo": infos }))
    }

    fn stop_deployment(
        &mut self,
        account: &str,
        region: &str,
        body: &Value,
    ) -> Result<Value, ApiError> {
        let index = self.named_deployment(account, region, body)?;
        let deployment = &mut self.deployments[index];
        let id = deployment.id.clone();
        if !ACTIVE.contains(&deployment.status.as_str()) {
            return Err(client_error(
                "DeploymentAlreadyCompletedException",
                format!("The deployment {id} has already completed."),
            ));
        }
        deployment.status = "Stopped".into();
        let auto_rollback_enabled = body.get("autoRollbackEnabled").and_then(Value::as_bool);
        self.stops.push(Stop {
            account: account.into(),
            region: region.into(),
            deployment_id: id.clone(),
            auto_rollback_enabled,
        });
        Ok(json!({ "status": "Pending", "statusMessage": format!("Stopping deployment {id}") }))
    }
}
