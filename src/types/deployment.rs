//! What CodeDeploy says of a deployment, and what became of one.

use std::fmt;

use serde::{Serialize, Serializer};

use super::notification::detail_type;
use crate::time::Time;

/// Deployment statuses in which a deployment can still be stopped.
pub const ACTIVE_STATUSES: [&str; 5] = ["Created", "Queued", "InProgress", "Baking", "Ready"];

/// How a deployment the breaker made to put back a previous revision starts its description:
/// such a deployment is protected like a rollback (see `decide`).
pub const REDEPLOY_MARK: &str = "deployment-circuit-breaker redeploy";

/// What CodeDeploy says about one deployment.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DeploymentInfo {
    pub id: String,
    pub application: String,
    pub group: String,
    /// `InProgress`, `Succeeded`, … as CodeDeploy spells it.
    pub status: String,
    /// `user`, `codeDeployRollback`, `autoscaling`, … as CodeDeploy spells it; `user` when
    /// CodeDeploy does not say.
    pub creator: String,
    /// When it was created (`createTime`), when CodeDeploy says.
    pub create_time: Option<Time>,
    /// When it completed (`completeTime`), when it has.
    pub complete_time: Option<Time>,
    /// `Server` (EC2/on-premises), `Lambda` or `ECS`, when CodeDeploy says.
    pub compute_platform: Option<String>,
    pub description: Option<String>,
    /// The revision the group ran before this deployment (`previousRevision`).
    pub previous_revision: Option<Revision>,
}

/// An application revision, as CodeDeploy locates it (`RevisionLocation`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Revision {
    S3 {
        bucket: String,
        key: String,
        bundle_type: Option<String>,
        version: Option<String>,
        e_tag: Option<String>,
    },
    GitHub {
        repository: String,
        commit_id: String,
    },
    /// An AppSpec given inline (`String` or `AppSpecContent`).
    AppSpec {
        content: String,
        sha256: Option<String>,
    },
}

impl fmt::Display for Revision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Revision::S3 {
                bucket,
                key,
                version,
                ..
            } => match version {
                Some(version) => write!(f, "s3://{bucket}/{key} (version {version})"),
                None => write!(f, "s3://{bucket}/{key}"),
            },
            Revision::GitHub {
                repository,
                commit_id,
            } => write!(f, "GitHub {repository}@{commit_id}"),
            Revision::AppSpec { sha256, .. } => match sha256 {
                Some(sha) => write!(f, "an inline AppSpec (sha256 {sha})"),
                None => f.write_str("an inline AppSpec"),
            },
        }
    }
}

/// What CodeDeploy says about one deployment group (`BatchGetDeploymentGroups`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GroupInfo {
    pub application: String,
    pub group: String,
    /// `Server`, `Lambda` or `ECS`, when CodeDeploy says.
    pub compute_platform: Option<String>,
    /// The alarms of its own alarm configuration (whether or not it is enabled).
    pub alarms: Vec<String>,
    /// Its latest deployment (`lastAttemptedDeployment`), whatever became of it.
    pub last_attempted: Option<LastDeployment>,
}

/// A group's latest deployment, as `BatchGetDeploymentGroups` summarises it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LastDeployment {
    pub id: String,
    pub status: String,
    /// When it ended (`endTime`), when it has.
    pub end_time: Option<Time>,
}

impl DeploymentInfo {
    /// Whether the deployment can still be stopped.
    pub fn is_active(&self) -> bool {
        ACTIVE_STATUSES.contains(&self.status.as_str())
    }
}

/// What happened to one deployment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Stopped,
    /// A finished deployment's previous revision was deployed again.
    Redeployed,
    AlreadyCompleted,
    WouldStop,
    WouldRedeploy,
    Skipped,
    Failed,
}

/// How an outcome is spelt: in reports and logs, as a metric, and as the detail-type of its
/// notification (none: not told).
struct Spelling {
    name: &'static str,
    metric: &'static str,
    detail_type: Option<&'static str>,
}

impl Outcome {
    /// The one list of how each outcome is spelt.
    const fn spelling(self) -> Spelling {
        let (name, metric, detail_type) = match self {
            Outcome::Stopped => ("stopped", "Stopped", Some(detail_type::STOPPED)),
            Outcome::Redeployed => ("redeployed", "Redeployed", Some(detail_type::REDEPLOYED)),
            Outcome::AlreadyCompleted => ("already_completed", "AlreadyCompleted", None),
            Outcome::WouldStop => ("would_stop", "WouldStop", Some(detail_type::WOULD_STOP)),
            Outcome::WouldRedeploy => (
                "would_redeploy",
                "WouldRedeploy",
                Some(detail_type::WOULD_REDEPLOY),
            ),
            Outcome::Skipped => ("skipped", "Skipped", None),
            Outcome::Failed => ("failed", "StopFailed", Some(detail_type::STOP_FAILED)),
        };
        Spelling {
            name,
            metric,
            detail_type,
        }
    }

    /// The metric counting decisions with this outcome.
    pub fn metric(self) -> &'static str {
        self.spelling().metric
    }

    /// The detail-type of the notification of this outcome, when it is told.
    pub fn detail_type(self) -> Option<&'static str> {
        self.spelling().detail_type
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.spelling().name)
    }
}

impl Serialize for Outcome {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.spelling().name)
    }
}

/// A lookup (ListDeploymentGroups, ListDeployments) that failed for a signal.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LookupError {
    pub signal: String,
    pub error_code: String,
    pub message: String,
}
