//! CodeDeploy's deployment groups, in every account and region: what CodeDeploy says of them
//! (`BatchGetDeploymentGroups`), and a deployment of a group's previous revision
//! (`CreateDeployment`, the redeploy).

use futures_util::future::join_all;

use super::calls::Deadline;
use super::codedeploy::CodeDeploy;
use super::errors::aws_error;
use super::shapes::{group_info, revision_location};
use crate::types::{Account, AwsError, GroupInfo, Revision};

/// BatchGetDeploymentGroups takes at most this many group names a call.
const GROUPS_PER_CALL: usize = 100;

impl CodeDeploy {
    /// What CodeDeploy says of one deployment group (BatchGetDeploymentGroups); `None` when it
    /// does not know it.
    pub async fn group(
        &self,
        deadline: Deadline,
        account: &Account,
        region: &str,
        application: &str,
        group: &str,
    ) -> Result<Option<GroupInfo>, AwsError> {
        let names = [group.to_string()];
        let found = self.groups(deadline, account, region, application, &names);
        Ok(found.await?.into_iter().find(|info| info.group == group))
    }

    /// What CodeDeploy says of these groups of one application, those it knows:
    /// BatchGetDeploymentGroups, [`GROUPS_PER_CALL`] names a call, the calls together.
    pub async fn groups(
        &self,
        deadline: Deadline,
        account: &Account,
        region: &str,
        application: &str,
        names: &[String],
    ) -> Result<Vec<GroupInfo>, AwsError> {
        let client = self.client(account, region).await;
        let batches = join_all(names.chunks(GROUPS_PER_CALL).map(|chunk| {
            let request = (client.batch_get_deployment_groups())
                .application_name(application)
                .set_deployment_group_names(Some(chunk.to_vec()));
            let work = async {
                let output = request
                    .send()
                    .await
                    .map_err(|e| aws_error("BatchGetDeploymentGroups", e))?;
                let infos = output.deployment_groups_info().iter().map(group_info);
                Ok(infos.collect::<Vec<_>>())
            };
            self.call(deadline, account, "BatchGetDeploymentGroups", work)
        }))
        .await;
        let mut found: Vec<GroupInfo> = Vec::new();
        for batch in batches {
            found.extend(batch?);
        }
        Ok(found)
    }

    /// Deploys `revision` to a group again (CreateDeployment); returns the new deployment's ID.
    pub async fn redeploy(
        &self,
        deadline: Deadline,
        account: &Account,
        region: &str,
        (application, group): (&str, &str),
        revision: &Revision,
        description: &str,
    ) -> Result<String, AwsError> {
        let request = self
            .client(account, region)
            .await
            .create_deployment()
            .application_name(application)
            .deployment_group_name(group)
            .revision(revision_location(revision))
            .description(description);
        let work = async {
            let output = request
                .send()
                .await
                .map_err(|e| aws_error("CreateDeployment", e))?;
            Ok(output.deployment_id().unwrap_or_default().to_string())
        };
        self.call(deadline, account, "CreateDeployment", work).await
    }
}
