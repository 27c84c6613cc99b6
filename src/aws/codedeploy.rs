//! CodeDeploy in every account and region: one client per account and region, built on first
//! use from the shared SDK configuration (with the account's credentials, see
//! [`super::accounts`]) and reused across invocations.

use std::collections::HashMap;
use std::future::Future;
use std::sync::Mutex;
use std::time::Duration;

use aws_config::SdkConfig;
use aws_sdk_codedeploy::config::Region;
use aws_sdk_codedeploy::error::SdkError;
use aws_sdk_codedeploy::operation::stop_deployment::StopDeploymentError;
use aws_sdk_codedeploy::types::DeploymentStatus;
use aws_sdk_codedeploy::Client;
use futures_util::future::join_all;

use super::accounts::Credentials;
use super::calls::{Calls, Deadline};
use super::errors::aws_error;
use super::sdk::{warm_up, Unsigned};
use super::shapes::deployment_info;
use crate::signal::Target;
use crate::time::Time;
use crate::types::{Account, AwsError, DeploymentInfo, ACTIVE_STATUSES};

/// BatchGetDeployments takes at most this many IDs per call.
const BATCH_LIMIT: usize = 25;

/// How a StopDeployment call ended, when it did not fail.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Stopped {
    /// Stopped; CodeDeploy's stop status (`Pending` or `Succeeded`).
    Now(String),
    /// It had already completed (a race, or a duplicate delivery).
    AlreadyCompleted,
}

/// CodeDeploy in every account and region.
pub struct CodeDeploy {
    base: SdkConfig,
    credentials: Credentials,
    /// By target account (`None`: the function's own) and region.
    clients: Mutex<HashMap<(Option<String>, String), Client>>,
    calls: Calls,
}

impl CodeDeploy {
    /// Builds clients from `base` (see [`super::sdk_config_loader`]); in target accounts they
    /// act as `target_role` (`TARGET_ROLE_NAME`), in a session named after `function_name`.
    pub fn new(base: SdkConfig, target_role: &str, function_name: &str) -> Self {
        CodeDeploy {
            credentials: Credentials::new(base.clone(), target_role, function_name),
            base,
            clients: Mutex::new(HashMap::new()),
            calls: Calls::default(),
        }
    }

    /// Runs one call in `account` (see [`Calls::run`]), its error explained for that account.
    pub(super) async fn call<T>(
        &self,
        deadline: Deadline,
        account: &Account,
        operation: &'static str,
        work: impl Future<Output = Result<T, AwsError>>,
    ) -> Result<T, AwsError> {
        let result = self.calls.run(deadline, operation, work).await;
        result.map_err(|e| self.credentials.explain(account, e))
    }

    /// Readies the client of `region` in the function's own account for the first real call,
    /// within `limit` (see [`Unsigned`]).
    pub async fn warm_up(&self, region: &str, limit: Duration) {
        // The function's own account, whatever its ID (the first invocation tells it).
        let client = self.client(&Account::Own(String::new()), region).await;
        let request = client
            .list_applications()
            .customize()
            .interceptor(Unsigned)
            .send();
        let service = format!("CodeDeploy in {region}");
        warm_up(&service, "ListApplications", limit, request).await;
    }

    /// The SDK configuration of `account` in `region`, for the other services' clients there.
    pub(super) async fn sdk_config(&self, account: &Account, region: &str) -> SdkConfig {
        let config = self
            .base
            .to_builder()
            .region(Region::new(region.to_string()));
        // Only a target account's: `None` would take the function's own away.
        match self.credentials.provider(account).await {
            Some(provider) => config.credentials_provider(provider).build(),
            None => config.build(),
        }
    }

    /// The role the function acts as in `account`: `None` for its own.
    pub fn role_arn(&self, account: &Account) -> Option<String> {
        match account {
            Account::Own(_) => None,
            Account::Target(id) => Some(self.credentials.role_arn(id)),
        }
    }

    pub(super) async fn client(&self, account: &Account, region: &str) -> Client {
        let target = match account {
            Account::Own(_) => None,
            Account::Target(id) => Some(id.clone()),
        };
        let key = (target, region.to_string());
        let lock = || {
            self.clients
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
        };
        if let Some(client) = lock().get(&key) {
            return client.clone();
        }
        let mut config = aws_sdk_codedeploy::config::Builder::from(&self.base)
            .region(Region::new(region.to_string()));
        // `set_`, not `credentials_provider(…)`, which would wrap the provider again and give
        // every region's client a cache partition of its own.
        config.set_credentials_provider(self.credentials.provider(account).await);
        let client = Client::from_conf(config.build());
        lock().entry(key).or_insert(client).clone()
    }

    /// The names of every application (ListApplications, all pages).
    pub async fn applications(
        &self,
        deadline: Deadline,
        account: &Account,
        region: &str,
    ) -> Result<Vec<String>, AwsError> {
        let client = self.client(account, region).await;
        let pages = client.list_applications().into_paginator().items().send();
        let work = async {
            pages
                .try_collect()
                .await
                .map_err(|e| aws_error("ListApplications", e))
        };
        self.call(deadline, account, "ListApplications", work).await
    }

    /// The names of every deployment group of an application (ListDeploymentGroups, all pages).
    pub async fn deployment_groups(
        &self,
        deadline: Deadline,
        account: &Account,
        region: &str,
        application: &str,
    ) -> Result<Vec<String>, AwsError> {
        let pages = self
            .client(account, region)
            .await
            .list_deployment_groups()
            .application_name(application)
            .into_paginator()
            .items()
            .send();
        let work = async {
            pages
                .try_collect()
                .await
                .map_err(|e| aws_error("ListDeploymentGroups", e))
        };
        self.call(deadline, account, "ListDeploymentGroups", work)
            .await
    }

    /// The IDs of a group's deployments that can still be stopped (ListDeployments, all pages).
    pub async fn active_deployments(
        &self,
        deadline: Deadline,
        account: &Account,
        region: &str,
        application: &str,
        group: &str,
    ) -> Result<Vec<String>, AwsError> {
        let mut request = self
            .client(account, region)
            .await
            .list_deployments()
            .application_name(application)
            .deployment_group_name(group);
        for status in ACTIVE_STATUSES {
            request = request.include_only_statuses(DeploymentStatus::from(status));
        }
        let pages = request.into_paginator().items().send();
        let work = async {
            pages
                .try_collect()
                .await
                .map_err(|e| aws_error("ListDeployments", e))
        };
        self.call(deadline, account, "ListDeployments", work).await
    }

    /// What CodeDeploy knows of these deployments, one result per ID in order: `None` for a
    /// deployment it does not know. BatchGetDeployments takes 25 IDs a call; the calls run
    /// together, and a failed call fails only the IDs it carried.
    pub async fn deployments(
        &self,
        deadline: Deadline,
        account: &Account,
        region: &str,
        ids: &[String],
    ) -> Vec<Result<Option<DeploymentInfo>, AwsError>> {
        let client = self.client(account, region).await;
        let batches = join_all(ids.chunks(BATCH_LIMIT).map(|chunk| {
            let request = client
                .batch_get_deployments()
                .set_deployment_ids(Some(chunk.to_vec()));
            let work = async {
                let output = request
                    .send()
                    .await
                    .map_err(|e| aws_error("BatchGetDeployments", e))?;
                Ok(output
                    .deployments_info()
                    .iter()
                    .map(deployment_info)
                    .collect::<Vec<_>>())
            };
            self.call(deadline, account, "BatchGetDeployments", work)
        }))
        .await;
        ids.chunks(BATCH_LIMIT)
            .zip(batches)
            .flat_map(|(chunk, batch)| {
                chunk.iter().map(move |id| match &batch {
                    Ok(infos) => Ok(infos.iter().find(|info| &info.id == id).cloned()),
                    Err(e) => Err(e.clone()),
                })
            })
            .collect()
    }

    /// The deployment IDs a target stands for, one result per lookup: the ID itself, or the
    /// active deployments of the group, or of every group of the application (looked up
    /// together, so one group's failure leaves the others' results intact). With
    /// `completed_since`, a group's latest deployment also counts when it succeeded since then.
    pub async fn deployment_ids(
        &self,
        deadline: Deadline,
        account: &Account,
        region: &str,
        target: &Target,
        completed_since: Option<Time>,
    ) -> Vec<Result<Vec<String>, AwsError>> {
        let of_group = |application: &str, group: &str| {
            let (application, group) = (application.to_string(), group.to_string());
            async move {
                let active =
                    self.active_deployments(deadline, account, region, &application, &group);
                let Some(since) = completed_since else {
                    return active.await;
                };
                let (active, info) = tokio::join!(
                    active,
                    self.group(deadline, account, region, &application, &group)
                );
                let mut ids = active?;
                let succeeded = info?
                    .and_then(|info| info.last_attempted)
                    .filter(|last| last.status == "Succeeded")
                    .filter(|last| last.end_time.is_some_and(|end| end >= since));
                ids.extend(succeeded.map(|last| last.id));
                Ok(ids)
            }
        };
        match target {
            Target::Deployment(id) => vec![Ok(vec![id.clone()])],
            Target::Group {
                application,
                group: Some(group),
            } => vec![of_group(application, group).await],
            Target::Group {
                application,
                group: None,
            } => match self
                .deployment_groups(deadline, account, region, application)
                .await
            {
                Err(e) => vec![Err(e)],
                Ok(groups) => {
                    join_all(groups.iter().map(|group| of_group(application, group))).await
                }
            },
        }
    }

    /// Stops a deployment (StopDeployment), rolling it back when `auto_rollback` is set.
    pub async fn stop(
        &self,
        deadline: Deadline,
        account: &Account,
        region: &str,
        id: &str,
        auto_rollback: bool,
    ) -> Result<Stopped, AwsError> {
        let request = self
            .client(account, region)
            .await
            .stop_deployment()
            .deployment_id(id)
            .auto_rollback_enabled(auto_rollback);
        let work = async {
            match request.send().await {
                Ok(output) => Ok(Stopped::Now(
                    output
                        .status()
                        .map(|s| s.as_str())
                        .unwrap_or("Pending")
                        .to_string(),
                )),
                Err(SdkError::ServiceError(e))
                    if matches!(
                        e.err(),
                        StopDeploymentError::DeploymentAlreadyCompletedException(_)
                    ) =>
                {
                    Ok(Stopped::AlreadyCompleted)
                }
                Err(e) => Err(aws_error("StopDeployment", e)),
            }
        };
        self.call(deadline, account, "StopDeployment", work).await
    }
}
