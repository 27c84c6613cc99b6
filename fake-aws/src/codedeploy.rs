//! CodeDeploy (JSON 1.1): its state (deployments, groups, and the stops and deployments made),
//! IAM by the resource type each action takes (checked before anything else, as CodeDeploy
//! does), and what its operations share: pagination through `nextToken`, and the application or
//! deployment a call names, with CodeDeploy's errors. Its operations are served in
//! `applications`, `deployment_groups`, `deployments` and `hooks`.

use std::collections::BTreeSet;

use serde::Serialize;
use serde_json::Value;

use crate::protocol::{client_error, ApiError};
use crate::seed::{Deployment, Group};
use crate::{string_field, FakeAws, Input, State};

/// The statuses in which a deployment can still be stopped.
pub(crate) const ACTIVE: [&str; 5] = ["Created", "Queued", "InProgress", "Baking", "Ready"];

/// A `StopDeployment` call that stopped a deployment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Stop {
    pub account: String,
    pub region: String,
    pub deployment_id: String,
    pub auto_rollback_enabled: Option<bool>,
}

/// CodeDeploy's state, in every account and region.
#[derive(Default)]
pub(crate) struct CodeDeploy {
    pub(crate) deployments: Vec<Deployment>,
    /// Groups that have no deployment yet.
    pub(crate) groups: BTreeSet<Group>,
    pub(crate) stops: Vec<Stop>,
    /// The deployments CreateDeployment made.
    pub(crate) created: Vec<Deployment>,
}

impl FakeAws {
    /// The deployments CreateDeployment made so far, in order.
    pub fn created(&self) -> Vec<Deployment> {
        self.lock().codedeploy.created.clone()
    }

    /// The deployments stopped so far, in order.
    pub fn stops(&self) -> Vec<Stop> {
        self.lock().codedeploy.stops.clone()
    }
}

pub(crate) fn is_deployment_id(id: &str) -> bool {
    id.strip_prefix("d-").is_some_and(|rest| {
        rest.len() == 9
            && rest
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
    })
}

/// Denies a CodeDeploy call (known to the fake or not) unless the caller may take every action
/// it needs on every resource (see [`CodeDeploy::resources`]); CodeDeploy checks this first.
pub(crate) fn authorize(state: &State, input: &Input) -> Result<(), ApiError> {
    let (account, region) = (input.account(), input.region);
    let needed = state
        .codedeploy
        .resources(account, input.operation, region, input.body);
    for (action, resource) in needed {
        input
            .caller
            .authorize(&action, &resource, account, region)?;
    }
    Ok(())
}

impl CodeDeploy {
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
            "BatchGetDeployments" => on(self.groups_of(account, region, body, arn)),
            _ => on(vec!["*".into()]),
        }
    }

    /// The ARNs (by `arn`) of the groups of the deployments `deploymentIds` names, each once.
    fn groups_of(
        &self,
        account: &str,
        region: &str,
        body: &Value,
        arn: impl Fn(&str, &str) -> String,
    ) -> Vec<String> {
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
        groups.into_iter().collect()
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

    /// The index of the deployment the call names (`deploymentId`), with CodeDeploy's errors for
    /// a missing, malformed or unknown ID.
    pub(crate) fn named_deployment(
        &self,
        account: &str,
        region: &str,
        body: &Value,
    ) -> Result<usize, ApiError> {
        let id = string_field(body, "deploymentId").ok_or_else(|| {
            client_error(
                "DeploymentIdRequiredException",
                "A deployment ID must be specified.",
            )
        })?;
        if !is_deployment_id(id) {
            return Err(client_error(
                "InvalidDeploymentIdException",
                format!("Specified deployment ID {id} is invalid."),
            ));
        }
        self.deployments
            .iter()
            .position(|d| d.is_in(account, region) && d.id == id)
            .ok_or_else(|| {
                client_error(
                    "DeploymentDoesNotExistException",
                    format!("The deployment {id} could not be found."),
                )
            })
    }
}

impl State {
    /// The page of `items` that `nextToken` starts (`page-N`), with the next page's token.
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
}
