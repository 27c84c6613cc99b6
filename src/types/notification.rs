//! An event for people, as it goes on the bus.

/// The `source` of every event.
pub const SOURCE: &str = "deployment-circuit-breaker";

/// Every detail-type the functions put on the bus: the one list (docs/notifications-and-metrics.md
/// names each).
pub mod detail_type {
    pub const STOPPED: &str = "Deployment Stopped";
    pub const WOULD_STOP: &str = "Deployment Would Stop";
    pub const STOP_FAILED: &str = "Deployment Stop Failed";
    pub const REDEPLOYED: &str = "Deployment Redeployed";
    pub const WOULD_REDEPLOY: &str = "Deployment Would Redeploy";
    pub const LOOKUP_FAILED: &str = "Deployment Lookup Failed";
    pub const SIGNAL_DROPPED: &str = "Signal Dropped";
    pub const GATE_FAILED: &str = "Deployment Gate Failed";
    pub const GATE_WOULD_FAIL: &str = "Deployment Gate Would Fail";
    pub const GATE_COULD_NOT_CHECK: &str = "Deployment Gate Could Not Check";
    pub const JUDGED: &str = "Deployment Judged";
    pub const JUDGE_WOULD_STOP: &str = "Deployment Judge Would Stop";
    pub const CHECK_PASSED: &str = "Breaker Check Passed";
    pub const CHECK_FAILED: &str = "Breaker Check Failed";

    /// All of them.
    pub const ALL: [&str; 14] = [
        STOPPED,
        WOULD_STOP,
        STOP_FAILED,
        REDEPLOYED,
        WOULD_REDEPLOY,
        LOOKUP_FAILED,
        SIGNAL_DROPPED,
        GATE_FAILED,
        GATE_WOULD_FAIL,
        GATE_COULD_NOT_CHECK,
        JUDGED,
        JUDGE_WOULD_STOP,
        CHECK_PASSED,
        CHECK_FAILED,
    ];
}

/// One event to put on the bus.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Notification {
    pub detail_type: &'static str,
    /// JSON: `{"action": …, "signal": …}`, or `{"lookup": …}`.
    pub detail: String,
    /// The deployment group's ARN, when CodeDeploy named the group.
    pub resources: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::detail_type;

    #[test]
    fn the_notifications_page_names_every_detail_type() {
        let page = include_str!("../../docs/notifications-and-metrics.md");
        let page = page.split_whitespace().collect::<Vec<_>>().join(" ");
        for name in detail_type::ALL {
            assert!(
                page.contains(&format!("`{name}`")),
                "the page does not name `{name}`"
            );
        }
    }
}
