//! Actions → the invocation's report, and the error Lambda sees when something failed.

use std::fmt;

use lambda_runtime::Diagnostic;
use serde::Serialize;

use crate::resolve::SignalSummary;
use crate::signal::Ignored;
use crate::time::Time;

/// What happened to one deployment.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Stopped,
    AlreadyCompleted,
    WouldStop,
    Skipped,
    Failed,
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self {
            Outcome::Stopped => "stopped",
            Outcome::AlreadyCompleted => "already_completed",
            Outcome::WouldStop => "would_stop",
            Outcome::Skipped => "skipped",
            Outcome::Failed => "failed",
        };
        f.write_str(name)
    }
}

/// One deployment and what was done with it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Action {
    pub deployment_id: String,
    /// From CodeDeploy; absent when CodeDeploy could not be read.
    pub application_name: Option<String>,
    pub deployment_group_name: Option<String>,
    pub account: String,
    pub region: String,
    pub outcome: Outcome,
    /// CodeDeploy's stop status (`Pending`, `Succeeded`) when stopped.
    pub stop_status: Option<String>,
    /// The signal that caused it, and why it was held or failed.
    pub reason: String,
    /// The AWS error code when it failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_code: Option<String>,
}

/// An action, with the signal it acted on and, for a stop, when CodeDeploy accepted it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decided {
    pub action: Action,
    pub signal: SignalSummary,
    pub stopped_at: Option<Time>,
}

/// What became of the notifications of an invocation's actions.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Notifications {
    pub sent: usize,
    pub failed: usize,
}

/// A lookup (ListDeploymentGroups, ListDeployments) that failed for a signal.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LookupError {
    pub signal: String,
    pub error_code: String,
    pub message: String,
}

/// The result of an invocation.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Report {
    pub actions: Vec<Action>,
    pub ignored: Vec<Ignored>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<LookupError>,
    /// Present when there was something to notify (`NOTIFY`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notifications: Option<Notifications>,
}

impl Report {
    /// The error to return to Lambda when any stop or lookup failed, so that it retries.
    pub fn failure(&self) -> Option<Failure> {
        let failed: Vec<String> = self
            .actions
            .iter()
            .filter(|a| a.outcome == Outcome::Failed)
            .map(|a| format!("{} in {}: {}", a.deployment_id, a.region, a.reason))
            .collect();
        let lookups: Vec<String> = self
            .errors
            .iter()
            .map(|e| format!("{}: {}", e.signal, e.message))
            .collect();
        let mut parts = Vec::new();
        if !failed.is_empty() {
            parts.push(format!("could not stop {}", failed.join("; ")));
        }
        if !lookups.is_empty() {
            parts.push(format!(
                "could not find the deployments of {}",
                lookups.join("; ")
            ));
        }
        if parts.is_empty() {
            return None;
        }
        let kind = if failed.is_empty() {
            FailureKind::DeploymentLookupFailed
        } else {
            FailureKind::StopDeploymentFailed
        };
        Some(Failure {
            kind,
            message: parts.join("; "),
        })
    }
}

/// Why an invocation failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FailureKind {
    /// The payload is not one the function understands.
    InvalidPayload,
    /// A StopDeployment (or the read before it) failed after the SDK's retries.
    StopDeploymentFailed,
    /// Finding a signal's deployments failed after the SDK's retries.
    DeploymentLookupFailed,
    /// The invocation does not say which account the function runs in.
    UnknownAccount,
}

/// An invocation error; becomes Lambda's `errorType` and `errorMessage`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    pub kind: FailureKind,
    pub message: String,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}: {}", self.kind, self.message)
    }
}

impl std::error::Error for Failure {}

impl From<Failure> for Diagnostic {
    fn from(failure: Failure) -> Diagnostic {
        Diagnostic {
            error_type: format!("{:?}", failure.kind),
            error_message: failure.message,
        }
    }
}
