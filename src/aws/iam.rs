//! IAM's policy simulator (`SimulatePrincipalPolicy`, every page), for the readiness check:
//! whether a role may make the calls that change things, which cannot be tried safely.

use aws_config::SdkConfig;
use aws_sdk_iam::types::{ContextEntry, ContextKeyTypeEnum};
use aws_sdk_iam::Client;
use serde::Serialize;

use super::calls::{Calls, Deadline};
use super::errors::aws_error;
use crate::types::AwsError;

/// IAM's decision on one action on one resource.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Simulated {
    /// The role simulated.
    pub role: String,
    pub action: String,
    pub resource: String,
    /// `allowed`, `explicitDeny` or `implicitDeny`.
    pub decision: String,
}

impl Simulated {
    pub fn allowed(&self) -> bool {
        self.decision == "allowed"
    }
}

/// The simulator, as one account's credentials.
pub struct Simulator {
    client: Client,
    calls: Calls,
}

impl Simulator {
    pub fn new(base: &SdkConfig) -> Self {
        Simulator {
            client: Client::new(base),
            calls: Calls::default(),
        }
    }

    /// IAM's decision for `role` on each of `actions` × `resources`, for a request made in
    /// `region` (as `aws:RequestedRegion`).
    pub async fn simulate(
        &self,
        deadline: Deadline,
        role: &str,
        actions: &[String],
        resources: &[String],
        (region, resource_account): (&str, &str),
    ) -> Result<Vec<Simulated>, AwsError> {
        let entry = |key: &str, value: &str| {
            ContextEntry::builder()
                .context_key_name(key)
                .context_key_values(value)
                .context_key_type(ContextKeyTypeEnum::String)
                .build()
        };
        let results = self
            .client
            .simulate_principal_policy()
            .policy_source_arn(role)
            .set_action_names(Some(actions.to_vec()))
            .set_resource_arns(Some(resources.to_vec()))
            .context_entries(entry("aws:RequestedRegion", region))
            // The simulator fills in no context of its own: a policy conditioned on the
            // resource's account (the target roles') needs it given.
            .context_entries(entry("aws:ResourceAccount", resource_account))
            .into_paginator()
            .items()
            .send();
        let work = async {
            let results = results
                .try_collect()
                .await
                .map_err(|e| aws_error("SimulatePrincipalPolicy", e))?;
            Ok(results
                .iter()
                .map(|r| Simulated {
                    role: role.to_string(),
                    action: r.eval_action_name().to_string(),
                    resource: r.eval_resource_name().unwrap_or("*").to_string(),
                    decision: r.eval_decision().as_str().to_string(),
                })
                .collect())
        };
        self.calls
            .run(deadline, "SimulatePrincipalPolicy", work)
            .await
    }
}
