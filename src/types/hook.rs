//! A CodeDeploy lifecycle hook: the event it serves and the answer it gets.

use serde::Serialize;

use crate::time::Time;

/// The lifecycle event a hook serves, as the deployment's target lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LifecycleEvent {
    /// `BeforeAllowTraffic`, `AfterAllowTraffic`, `AfterInstall`, …
    pub name: String,
    /// `Pending`, `InProgress`, `Succeeded`, `Failed`, `Skipped`, `Unknown`.
    pub status: String,
    /// When it started, as CodeDeploy says.
    pub start_time: Option<Time>,
}

/// What a hook answers CodeDeploy.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum HookAnswer {
    Succeeded,
    Failed,
}

impl HookAnswer {
    pub fn as_str(self) -> &'static str {
        match self {
            HookAnswer::Succeeded => "Succeeded",
            HookAnswer::Failed => "Failed",
        }
    }
}
