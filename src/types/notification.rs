//! An event for people, as it goes on the bus.

/// The `source` of every event.
pub const SOURCE: &str = "deployment-circuit-breaker";

/// One event to put on the bus.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Notification {
    pub detail_type: &'static str,
    /// JSON: `{"action": …, "signal": …}`, or `{"lookup": …}`.
    pub detail: String,
    /// The deployment group's ARN, when CodeDeploy named the group.
    pub resources: Vec<String>,
}
