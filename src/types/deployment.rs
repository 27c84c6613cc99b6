//! What CodeDeploy says of a deployment, and what became of one.

use std::fmt;

use serde::{Serialize, Serializer};

use crate::time::Time;

/// Deployment statuses in which a deployment can still be stopped.
pub const ACTIVE_STATUSES: [&str; 5] = ["Created", "Queued", "InProgress", "Baking", "Ready"];

/// What CodeDeploy says about one deployment.
#[derive(Clone, Debug, PartialEq, Eq)]
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
    AlreadyCompleted,
    WouldStop,
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
            Outcome::Stopped => ("stopped", "Stopped", Some("Deployment Stopped")),
            Outcome::AlreadyCompleted => ("already_completed", "AlreadyCompleted", None),
            Outcome::WouldStop => ("would_stop", "WouldStop", Some("Deployment Would Stop")),
            Outcome::Skipped => ("skipped", "Skipped", None),
            Outcome::Failed => ("failed", "StopFailed", Some("Deployment Stop Failed")),
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
