//! CodeDeploy's shapes as plain data, and a revision back into the shape CreateDeployment takes.

use aws_sdk_codedeploy::types as sdk;

use crate::time::Time;
use crate::types::{DeploymentInfo, GroupInfo, LastDeployment, Revision};

fn time(t: Option<&aws_sdk_codedeploy::primitives::DateTime>) -> Option<Time> {
    t.and_then(|t| t.to_millis().ok()).map(Time::from_millis)
}

pub(super) fn deployment_info(info: &sdk::DeploymentInfo) -> DeploymentInfo {
    DeploymentInfo {
        id: info.deployment_id().unwrap_or_default().to_string(),
        application: info.application_name().unwrap_or_default().to_string(),
        group: info.deployment_group_name().unwrap_or_default().to_string(),
        status: info
            .status()
            .map(|s| s.as_str())
            .unwrap_or_default()
            .to_string(),
        creator: info.creator().map_or("user", |c| c.as_str()).to_string(),
        create_time: time(info.create_time()),
        complete_time: time(info.complete_time()),
        compute_platform: info.compute_platform().map(|p| p.as_str().to_string()),
        description: info.description().map(str::to_string),
        previous_revision: info.previous_revision().and_then(revision),
    }
}

pub(super) fn group_info(info: &sdk::DeploymentGroupInfo) -> GroupInfo {
    GroupInfo {
        application: info.application_name().unwrap_or_default().to_string(),
        group: info.deployment_group_name().unwrap_or_default().to_string(),
        compute_platform: info.compute_platform().map(|p| p.as_str().to_string()),
        alarms: info
            .alarm_configuration()
            .map(|c| c.alarms().iter().filter_map(|a| a.name()))
            .into_iter()
            .flatten()
            .map(str::to_string)
            .collect(),
        last_attempted: info.last_attempted_deployment().and_then(|last| {
            Some(LastDeployment {
                id: last.deployment_id()?.to_string(),
                status: last.status().map(|s| s.as_str().to_string())?,
                end_time: time(last.end_time()),
            })
        }),
    }
}

fn revision(location: &sdk::RevisionLocation) -> Option<Revision> {
    let text = |s: Option<&str>| s.map(str::to_string);
    if let Some(s3) = location.s3_location() {
        return Some(Revision::S3 {
            bucket: s3.bucket()?.to_string(),
            key: s3.key()?.to_string(),
            bundle_type: s3.bundle_type().map(|b| b.as_str().to_string()),
            version: text(s3.version()),
            e_tag: text(s3.e_tag()),
        });
    }
    if let Some(github) = location.git_hub_location() {
        return Some(Revision::GitHub {
            repository: github.repository()?.to_string(),
            commit_id: github.commit_id()?.to_string(),
        });
    }
    let content = location.app_spec_content();
    Some(Revision::AppSpec {
        content: content?.content()?.to_string(),
        sha256: text(content?.sha256()),
    })
}

/// The revision as CreateDeployment takes it.
pub(super) fn revision_location(revision: &Revision) -> sdk::RevisionLocation {
    let location = sdk::RevisionLocation::builder();
    match revision.clone() {
        Revision::S3 {
            bucket,
            key,
            bundle_type,
            version,
            e_tag,
        } => location
            .revision_type(sdk::RevisionLocationType::S3)
            .s3_location(
                sdk::S3Location::builder()
                    .bucket(bucket)
                    .key(key)
                    .set_bundle_type(bundle_type.map(|b| sdk::BundleType::from(b.as_str())))
                    .set_version(version)
                    .set_e_tag(e_tag)
                    .build(),
            ),
        Revision::GitHub {
            repository,
            commit_id,
        } => location
            .revision_type(sdk::RevisionLocationType::GitHub)
            .git_hub_location(
                sdk::GitHubLocation::builder()
                    .repository(repository)
                    .commit_id(commit_id)
                    .build(),
            ),
        Revision::AppSpec { content, sha256 } => location
            .revision_type(sdk::RevisionLocationType::AppSpecContent)
            .app_spec_content(
                sdk::AppSpecContent::builder()
                    .content(content)
                    .set_sha256(sha256)
                    .build(),
            ),
    }
    .build()
}
