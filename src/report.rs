//! Actions → the invocation's report, the error Lambda sees when something failed, and the
//! HTTP response a function URL caller sees.

use std::collections::BTreeMap;
use std::fmt;

use lambda_runtime::Diagnostic;
use serde::Serialize;

use crate::act::Action;
use crate::judge::Canary;
use crate::types::{LookupError, NotActed, Outcome};

/// What became of the notifications of an invocation's actions.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Notifications {
    pub sent: usize,
    pub failed: usize,
}

/// What the canary judge did with a deployment at one invocation (see `canary`).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Judging {
    pub deployment_id: String,
    pub account: String,
    pub region: String,
    /// The poll (0: the deployment's START, which begins the watch).
    pub poll: u32,
    pub outcome: Watch,
    pub reason: String,
    /// The verdict, with every number behind it, when the judge judged.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub judge: Option<Canary>,
}

/// What became of a deployment's watch.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Watch {
    /// Judged (or not yet judgeable), and polled again.
    Watching,
    /// Not watched, or no longer: out of scope, not active, stopped.
    Ended,
    /// A repeated START or poll, or a stray message: nothing done.
    Dropped,
    /// The next poll could not be sent or recorded: the invocation (or its message) is retried.
    Failed,
}

/// The result of an invocation.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Report {
    pub actions: Vec<Action>,
    pub ignored: Vec<NotActed>,
    /// Signals whose sender may not ask for what they asked (see `resolve::Held::Refused`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub refused: Vec<NotActed>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<LookupError>,
    /// The deployments the canary judge watches, as this invocation left them.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub judging: Vec<Judging>,
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
        for judging in (self.judging.iter()).filter(|j| j.outcome == Watch::Failed) {
            let id = &judging.deployment_id;
            parts.push(format!("could not watch {id}: {}", judging.reason));
        }
        for refused in &self.refused {
            parts.push(format!("refused {}: {}", refused.signal, refused.reason));
        }
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
        let kind = if !failed.is_empty() {
            FailureKind::StopDeploymentFailed
        } else if (self.judging.iter()).any(|j| j.outcome == Watch::Failed) {
            FailureKind::JudgeNotWatching
        } else if !lookups.is_empty() {
            FailureKind::DeploymentLookupFailed
        } else {
            FailureKind::Refused
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
    /// A signal asked for what its sender may not ask (a kill switch naming another account).
    Refused,
    /// The gate could not give a lifecycle hook its answer.
    HookNotAnswered,
    /// The canary judge could not start or go on watching a deployment.
    JudgeNotWatching,
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

/// A function URL response: a status and a JSON body.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HttpResponse {
    pub status_code: u16,
    pub headers: BTreeMap<&'static str, &'static str>,
    pub body: String,
}

impl HttpResponse {
    pub(crate) fn json(status_code: u16, body: &impl Serialize) -> HttpResponse {
        HttpResponse {
            status_code,
            headers: BTreeMap::from([("content-type", "application/json")]),
            body: serde_json::to_string(body).unwrap_or_default(),
        }
    }

    /// A refused or bad request: the status, and a body that says why.
    pub(crate) fn error(
        status_code: u16,
        kind: FailureKind,
        message: &str,
        report: Option<&Report>,
    ) -> Self {
        let mut body = serde_json::json!({ "error": format!("{kind:?}"), "message": message });
        if let Some(report) = report {
            body["report"] = serde_json::to_value(report).unwrap_or_default();
        }
        HttpResponse::json(status_code, &body)
    }
}
