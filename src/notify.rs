//! Decisions that matter → events for people: one EventBridge event per stopped, would-be
//! stopped and failed action, with the action and the signal it acted on, and one per failed
//! lookup (a signal that called for a stop the function could not look for), for ordinary rules
//! to route to chat or paging.

use serde_json::json;

use crate::aws::accounts::partition;
use crate::report::{Decided, LookupError, Outcome};

/// The `source` of every event.
pub const SOURCE: &str = "deployment-circuit-breaker";

/// One event to put on the bus.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Notification {
    pub detail_type: &'static str,
    /// JSON: `{"action": …, "signal": …}`.
    pub detail: String,
    /// The deployment group's ARN, when CodeDeploy named the group.
    pub resources: Vec<String>,
}

/// The event of each action that stopped, would have stopped, or failed to stop a deployment.
pub fn notifications(decided: &[Decided]) -> Vec<Notification> {
    decided.iter().filter_map(notification).collect()
}

/// The event of each failed lookup.
pub fn lookup_failures(errors: &[LookupError]) -> Vec<Notification> {
    errors
        .iter()
        .map(|error| Notification {
            detail_type: "Deployment Lookup Failed",
            detail: json!({ "lookup": error }).to_string(),
            resources: Vec::new(),
        })
        .collect()
}

fn notification(decided: &Decided) -> Option<Notification> {
    let action = &decided.action;
    let detail_type = match action.outcome {
        Outcome::Stopped => "Deployment Stopped",
        Outcome::WouldStop => "Deployment Would Stop",
        Outcome::Failed => "Deployment Stop Failed",
        Outcome::Skipped | Outcome::AlreadyCompleted => return None,
    };
    let resources = match (&action.application_name, &action.deployment_group_name) {
        (Some(application), Some(group)) => vec![format!(
            "arn:{}:codedeploy:{}:{}:deploymentgroup:{application}/{group}",
            partition(&action.region),
            action.region,
            action.account
        )],
        _ => Vec::new(),
    };
    let detail = json!({ "action": action, "signal": decided.signal });
    Some(Notification {
        detail_type,
        detail: detail.to_string(),
        resources,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::Action;
    use crate::resolve::{SignalKind, SignalSummary};
    use crate::time::Time;
    use serde_json::Value;

    fn decided(outcome: Outcome, group: Option<&str>) -> Decided {
        Decided {
            action: Action {
                deployment_id: "d-AAAAAAAA1".into(),
                application_name: group.map(|_| "shop".into()),
                deployment_group_name: group.map(Into::into),
                account: "222233334444".into(),
                region: "eu-west-1".into(),
                outcome,
                stop_status: None,
                reason: "alarm a entered ALARM".into(),
                error_code: None,
            },
            signal: SignalSummary {
                kind: SignalKind::Alarm,
                name: "a".into(),
                time: Time::parse("2026-11-30T10:00:00Z").unwrap(),
            },
            stopped_at: None,
        }
    }

    #[test]
    fn only_stops_would_be_stops_and_failures_are_told() {
        let all = [
            decided(Outcome::Stopped, Some("prod")),
            decided(Outcome::WouldStop, Some("prod")),
            decided(Outcome::Failed, None),
            decided(Outcome::Skipped, Some("prod")),
            decided(Outcome::AlreadyCompleted, Some("prod")),
        ];
        let kinds: Vec<&str> = notifications(&all).iter().map(|n| n.detail_type).collect();
        assert_eq!(
            kinds,
            vec![
                "Deployment Stopped",
                "Deployment Would Stop",
                "Deployment Stop Failed"
            ]
        );
    }

    #[test]
    fn a_failed_lookup_is_told_with_its_signal_and_error() {
        let error = LookupError {
            signal: "alarm a entered ALARM (orders (every group) in us-east-1)".into(),
            error_code: "AssumeRoleFailed".into(),
            message: "could not assume …".into(),
        };
        let told = lookup_failures(&[error]);
        assert_eq!(told.len(), 1);
        assert_eq!(told[0].detail_type, "Deployment Lookup Failed");
        let detail: Value = serde_json::from_str(&told[0].detail).unwrap();
        assert_eq!(detail["lookup"]["errorCode"], "AssumeRoleFailed");
        assert!(detail["lookup"]["signal"]
            .as_str()
            .unwrap()
            .starts_with("alarm a"));
    }

    #[test]
    fn an_event_carries_the_action_the_signal_and_the_group() {
        let event = notification(&decided(Outcome::Stopped, Some("prod"))).unwrap();
        assert_eq!(
            event.resources,
            vec!["arn:aws:codedeploy:eu-west-1:222233334444:deploymentgroup:shop/prod"]
        );
        let detail: Value = serde_json::from_str(&event.detail).unwrap();
        assert_eq!(detail["action"]["deploymentId"], "d-AAAAAAAA1");
        assert_eq!(detail["action"]["account"], "222233334444");
        assert_eq!(detail["action"]["outcome"], "stopped");
        assert_eq!(detail["signal"]["kind"], "alarm");
        assert_eq!(detail["signal"]["name"], "a");
        assert_eq!(detail["signal"]["time"], "2026-11-30T10:00:00.000Z");
        let unread = notification(&decided(Outcome::Failed, None)).unwrap();
        assert!(unread.resources.is_empty());
    }
}
