//! Actions → the invocation's report, and the error Lambda sees when something failed.

use std::fmt;

use lambda_runtime::Diagnostic;
use serde::Serialize;

use crate::act::Action;
use crate::types::{Ignored, LookupError, Outcome};

/// What became of the notifications of an invocation's actions.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Notifications {
    pub sent: usize,
    pub failed: usize,
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
