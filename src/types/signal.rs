//! What a signal was, as reports, notifications and metrics tell it, and what parsing and
//! resolution share about signals.

use std::fmt;

use serde::Serialize;

use crate::time::Time;

/// How much later than a signal a deployment found through its group may have been created and
/// still be stopped, and how far ahead of this function's clock a signal may be dated: the
/// clocks of CloudWatch, CodeDeploy and the sender may differ.
pub const CLOCK_SKEW_SECS: i64 = 60;

/// The CodeDeploy events that may trigger a stop.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum EventKind {
    DeploymentStart,
    DeploymentReady,
    DeploymentFailure,
    InstanceStart,
    InstanceReady,
    InstanceFailure,
}

impl EventKind {
    /// Every kind, in the order they are documented.
    pub const ALL: [EventKind; 6] = [
        EventKind::DeploymentStart,
        EventKind::DeploymentReady,
        EventKind::DeploymentFailure,
        EventKind::InstanceStart,
        EventKind::InstanceReady,
        EventKind::InstanceFailure,
    ];

    /// The kind named `name`, in any case.
    pub fn parse(name: &str) -> Option<EventKind> {
        Self::ALL
            .into_iter()
            .find(|kind| kind.to_string().eq_ignore_ascii_case(name))
    }
}

impl fmt::Display for EventKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

/// What a signal was, for reports, notifications and metrics (made by `Signal::summary`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SignalSummary {
    /// `alarm`, `codedeploy` or `kill_switch`.
    pub kind: &'static str,
    /// The alarm's name, the CodeDeploy event (`instance Failed event for d-…`), or the kill
    /// switch's reason.
    pub name: String,
    /// When it counts as having happened.
    pub time: Time,
    /// Who pressed a kill switch, when AWS says (a function URL caller's ARN).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub by: Option<String>,
    /// A short name for reports and logs (`alarm checkout-5xx`, `kill switch`).
    #[serde(skip)]
    pub label: String,
    /// Whether it may have a finished deployment redeployed (`ROLLBACK_COMPLETED_WITHIN`): every
    /// alarm and event may; a kill switch only when it says `"redeploy": true`.
    #[serde(skip)]
    pub redeploy: bool,
}

/// A signal, or part of a payload, that nothing was done for (ignored, or refused), and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct NotActed {
    pub signal: String,
    pub reason: String,
}

#[cfg(test)]
impl SignalSummary {
    /// The summary of alarm `name` entering ALARM at `time`, as unit tests need one.
    pub(crate) fn alarm(name: &str, time: Time) -> SignalSummary {
        SignalSummary {
            kind: "alarm",
            name: name.into(),
            time,
            by: None,
            label: format!("alarm {name}"),
            redeploy: true,
        }
    }
}
