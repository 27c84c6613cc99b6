//! Decisions that matter → events for people: one EventBridge event per stopped, would-be
//! stopped and failed action, with the action and the signal it acted on, and one per failed
//! lookup (a signal that called for a stop the function could not look for) and per alarm dropped
//! as stale, for ordinary rules to route to chat or paging.

use serde_json::json;

use crate::act::Acted;
use crate::types::{detail_type, GroupRef, LookupError, NotActed, Notification, SignalSummary};

/// The event of each action that stopped, would have stopped, or failed to stop a deployment.
pub fn notifications(acted: &[Acted]) -> Vec<Notification> {
    acted.iter().filter_map(notification).collect()
}

/// The event of an alarm dropped as stale: a real alarm nobody acted on.
pub fn dropped(ignored: &NotActed, signal: &SignalSummary, age_secs: i64) -> Notification {
    Notification {
        detail_type: detail_type::SIGNAL_DROPPED,
        detail: json!({ "signal": signal, "reason": ignored.reason, "ageSeconds": age_secs })
            .to_string(),
        resources: Vec::new(),
    }
}

/// The event of each failed lookup.
pub fn lookup_failures(errors: &[LookupError]) -> Vec<Notification> {
    errors
        .iter()
        .map(|error| Notification {
            detail_type: detail_type::LOOKUP_FAILED,
            detail: json!({ "lookup": error }).to_string(),
            resources: Vec::new(),
        })
        .collect()
}

fn notification(acted: &Acted) -> Option<Notification> {
    let action = &acted.action;
    let detail_type = action.outcome.detail_type()?;
    let resources = match (&action.application_name, &action.deployment_group_name) {
        (Some(application), Some(group)) => vec![GroupRef {
            account: action.account.clone(),
            region: action.region.clone(),
            application: application.clone(),
            group: group.clone(),
        }
        .arn()],
        _ => Vec::new(),
    };
    let detail = json!({ "action": action, "signal": acted.signal });
    Some(Notification {
        detail_type,
        detail: detail.to_string(),
        resources,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::act::Action;
    use crate::time::Time;
    use crate::types::{Outcome, SignalSummary};
    use serde_json::Value;

    fn acted(outcome: Outcome, group: Option<&str>) -> Acted {
        Acted {
            action: Action {
                deployment_id: "d-AAAAAAAA1".into(),
                application_name: group.map(|_| "shop".into()),
                deployment_group_name: group.map(Into::into),
                account: "222233334444".into(),
                region: "eu-west-1".into(),
                outcome,
                stop_status: None,
                redeployment_id: None,
                reason: "alarm a entered ALARM".into(),
                error_code: None,
            },
            signal: SignalSummary::alarm("a", Time::parse("2026-11-30T10:00:00Z").unwrap()),
            stopped_at: None,
        }
    }

    #[test]
    fn only_stops_would_be_stops_and_failures_are_told() {
        let all = [
            acted(Outcome::Stopped, Some("prod")),
            acted(Outcome::WouldStop, Some("prod")),
            acted(Outcome::Failed, None),
            acted(Outcome::Skipped, Some("prod")),
            acted(Outcome::AlreadyCompleted, Some("prod")),
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
        let event = notification(&acted(Outcome::Stopped, Some("prod"))).unwrap();
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
        let unread = notification(&acted(Outcome::Failed, None)).unwrap();
        assert!(unread.resources.is_empty());
    }
}
