//! Normalised signals → the deployments they ask to stop.
//!
//! [`requests`] decides, without calling AWS, whether a signal calls for action and what it
//! targets; [`deployment_ids`] turns an application or group target into its active
//! deployments through CodeDeploy.

use futures_util::future::join_all;

use crate::codedeploy::{AwsError, CodeDeploy, Deadline};
use crate::config::Config;
use crate::glob::matches;
use crate::signal::{Alarm, Ignored, Signal, Target};

/// A request to stop a target, with the region to act in and the signal that asked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StopRequest {
    pub target: Target,
    pub region: String,
    /// Which signal caused it, e.g. `alarm checkout-5xx entered ALARM`.
    pub reason: String,
}

/// What a signal asks to stop, or why it asks for nothing.
pub fn requests(signal: &Signal, config: &Config) -> Result<Vec<StopRequest>, Ignored> {
    let ignored = |reason: String| Ignored {
        signal: signal.label(),
        reason,
    };
    match signal {
        Signal::Alarm(alarm) => alarm_requests(alarm, config).map_err(ignored),
        Signal::CodeDeploy(event) => match event.kind {
            Some(kind) if config.stop_on.contains(&kind) => Ok(vec![StopRequest {
                target: Target::Deployment(event.deployment_id.clone()),
                region: event
                    .region
                    .clone()
                    .unwrap_or_else(|| config.default_region.clone()),
                reason: format!("CodeDeploy {kind} event for {}", event.deployment_id),
            }]),
            Some(kind) => Err(ignored(format!(
                "{kind} is not in STOP_ON_CODEDEPLOY_EVENTS"
            ))),
            None => Err(ignored(format!(
                "state {} is not a stop trigger",
                event.state
            ))),
        },
        Signal::KillSwitch(kill) => Ok(vec![StopRequest {
            target: kill.target.clone(),
            region: kill
                .region
                .clone()
                .unwrap_or_else(|| config.default_region.clone()),
            reason: format!("kill switch: {}", kill.reason),
        }]),
    }
}

/// An alarm acts only on entering ALARM, and maps to deployments by the first source that
/// applies: a `DeploymentId` dimension, the alarm's tags, then `ALARM_RULES`.
fn alarm_requests(alarm: &Alarm, config: &Config) -> Result<Vec<StopRequest>, String> {
    if !alarm.state.eq_ignore_ascii_case("ALARM") {
        return Err(format!("state is {}, not ALARM", alarm.state));
    }
    if alarm
        .previous_state
        .as_deref()
        .is_some_and(|previous| previous.eq_ignore_ascii_case("ALARM"))
    {
        return Err("was already in ALARM (not a transition into ALARM)".into());
    }
    let region = alarm
        .region
        .clone()
        .unwrap_or_else(|| config.default_region.clone());
    let reason = format!("alarm {} entered ALARM", alarm.name);
    let request = |target: Target, region: &str| StopRequest {
        target,
        region: region.to_string(),
        reason: reason.clone(),
    };

    if !alarm.deployment_ids.is_empty() {
        return Ok(alarm
            .deployment_ids
            .iter()
            .map(|id| request(Target::Deployment(id.clone()), &region))
            .collect());
    }
    if let Some(application) = alarm
        .tags
        .get(&config.application_tag)
        .filter(|a| !a.is_empty())
    {
        let group = alarm.tags.get(&config.group_tag).filter(|g| !g.is_empty());
        let target = Target::Group {
            application: application.clone(),
            group: group.cloned(),
        };
        return Ok(vec![request(target, &region)]);
    }
    let by_rules: Vec<StopRequest> = config
        .alarm_rules
        .iter()
        .filter(|rule| matches(&rule.alarm, &alarm.name))
        .map(|rule| {
            let target = Target::Group {
                application: rule.application.clone(),
                group: rule.deployment_group.clone(),
            };
            request(target, rule.region.as_deref().unwrap_or(&region))
        })
        .collect();
    if by_rules.is_empty() {
        return Err(format!("unmapped alarm {}", alarm.name));
    }
    Ok(by_rules)
}

/// The deployment IDs a request targets, one result per lookup: the ID itself, or the active
/// deployments of the group, or of every group of the application (looked up together, so one
/// group's failure leaves the others' results intact).
pub async fn deployment_ids(
    request: &StopRequest,
    deadline: Deadline,
    codedeploy: &CodeDeploy,
) -> Vec<Result<Vec<String>, AwsError>> {
    let region = &request.region;
    match &request.target {
        Target::Deployment(id) => vec![Ok(vec![id.clone()])],
        Target::Group {
            application,
            group: Some(group),
        } => vec![
            codedeploy
                .active_deployments(deadline, region, application, group)
                .await,
        ],
        Target::Group {
            application,
            group: None,
        } => match codedeploy
            .deployment_groups(deadline, region, application)
            .await
        {
            Err(e) => vec![Err(e)],
            Ok(groups) => {
                join_all(groups.iter().map(|group| {
                    codedeploy.active_deployments(deadline, region, application, group)
                }))
                .await
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{AlarmRule, EventKind};
    use crate::signal::{CodeDeployEvent, KillSwitch, Scope};
    use std::collections::{BTreeMap, BTreeSet};

    fn config() -> Config {
        Config {
            default_region: "us-east-1".into(),
            allowed_groups: vec!["*".into()],
            alarm_rules: vec![
                AlarmRule {
                    alarm: "checkout-*".into(),
                    application: "shop".into(),
                    deployment_group: Some("prod".into()),
                    region: None,
                },
                AlarmRule {
                    alarm: "*-5xx".into(),
                    application: "edge".into(),
                    deployment_group: None,
                    region: Some("eu-west-1".into()),
                },
            ],
            application_tag: "codedeploy-application".into(),
            group_tag: "codedeploy-deployment-group".into(),
            stop_on: BTreeSet::from([EventKind::InstanceFailure]),
            dry_run: false,
            auto_rollback: true,
        }
    }

    fn alarm(name: &str, state: &str, previous: Option<&str>) -> Alarm {
        Alarm {
            name: name.into(),
            state: state.into(),
            previous_state: previous.map(Into::into),
            region: Some("us-west-2".into()),
            tags: BTreeMap::new(),
            deployment_ids: vec![],
        }
    }

    fn targets(signal: Signal) -> Result<Vec<(Target, String)>, String> {
        requests(&signal, &config())
            .map(|rs| rs.into_iter().map(|r| (r.target, r.region)).collect())
            .map_err(|i| i.reason)
    }

    fn group(application: &str, group: Option<&str>) -> Target {
        Target::Group {
            application: application.into(),
            group: group.map(Into::into),
        }
    }

    #[test]
    fn alarms_act_only_on_entering_alarm() {
        let ok = targets(Signal::Alarm(alarm("checkout-5xx", "OK", Some("ALARM"))));
        assert_eq!(ok.unwrap_err(), "state is OK, not ALARM");
        let data = targets(Signal::Alarm(alarm(
            "checkout-5xx",
            "INSUFFICIENT_DATA",
            None,
        )));
        assert_eq!(data.unwrap_err(), "state is INSUFFICIENT_DATA, not ALARM");
        let again = targets(Signal::Alarm(alarm("checkout-5xx", "ALARM", Some("ALARM"))));
        assert!(again.unwrap_err().contains("already in ALARM"));
        assert!(targets(Signal::Alarm(alarm("checkout-5xx", "ALARM", None))).is_ok());
        assert!(targets(Signal::Alarm(alarm(
            "checkout-5xx",
            "ALARM",
            Some("INSUFFICIENT_DATA")
        )))
        .is_ok());
    }

    #[test]
    fn dimension_wins_over_tags_and_rules() {
        let mut a = alarm("checkout-5xx", "ALARM", Some("OK"));
        a.deployment_ids = vec!["d-AAAAAAAAA".into(), "d-BBBBBBBBB".into()];
        a.tags
            .insert("codedeploy-application".into(), "tagged".into());
        let got = targets(Signal::Alarm(a)).unwrap();
        assert_eq!(
            got,
            vec![
                (Target::Deployment("d-AAAAAAAAA".into()), "us-west-2".into()),
                (Target::Deployment("d-BBBBBBBBB".into()), "us-west-2".into()),
            ]
        );
    }

    #[test]
    fn tags_win_over_rules() {
        let mut a = alarm("checkout-5xx", "ALARM", Some("OK"));
        a.tags
            .insert("codedeploy-application".into(), "tagged".into());
        a.tags
            .insert("codedeploy-deployment-group".into(), "blue".into());
        assert_eq!(
            targets(Signal::Alarm(a.clone())).unwrap(),
            vec![(group("tagged", Some("blue")), "us-west-2".into())]
        );
        a.tags.remove("codedeploy-deployment-group");
        assert_eq!(
            targets(Signal::Alarm(a)).unwrap(),
            vec![(group("tagged", None), "us-west-2".into())]
        );
    }

    #[test]
    fn every_matching_rule_counts() {
        let got = targets(Signal::Alarm(alarm("checkout-5xx", "ALARM", Some("OK")))).unwrap();
        assert_eq!(
            got,
            vec![
                (group("shop", Some("prod")), "us-west-2".into()),
                (group("edge", None), "eu-west-1".into()),
            ]
        );
    }

    #[test]
    fn unmapped_alarms_are_ignored_with_their_name() {
        let got = requests(
            &Signal::Alarm(alarm("disk-full", "ALARM", Some("OK"))),
            &config(),
        );
        let ignored = got.unwrap_err();
        assert_eq!(ignored.reason, "unmapped alarm disk-full");
        assert_eq!(ignored.signal, "alarm disk-full");
    }

    #[test]
    fn alarm_without_region_uses_the_function_region() {
        let mut a = alarm("checkout-1", "ALARM", Some("OK"));
        a.region = None;
        assert_eq!(
            targets(Signal::Alarm(a)).unwrap(),
            vec![(group("shop", Some("prod")), "us-east-1".into())]
        );
    }

    #[test]
    fn codedeploy_events_stop_only_listed_kinds() {
        let event = |kind, state: &str| {
            Signal::CodeDeploy(CodeDeployEvent {
                deployment_id: "d-AAAAAAAAA".into(),
                scope: Scope::Instance,
                state: state.into(),
                kind,
                region: None,
            })
        };
        let reqs = requests(
            &event(Some(EventKind::InstanceFailure), "Failed"),
            &config(),
        )
        .unwrap();
        assert_eq!(reqs[0].target, Target::Deployment("d-AAAAAAAAA".into()));
        assert_eq!(reqs[0].region, "us-east-1");
        assert_eq!(
            reqs[0].reason,
            "CodeDeploy InstanceFailure event for d-AAAAAAAAA"
        );
        let ready = targets(event(Some(EventKind::InstanceReady), "Ready")).unwrap_err();
        assert_eq!(ready, "InstanceReady is not in STOP_ON_CODEDEPLOY_EVENTS");
        let success = targets(event(None, "Succeeded")).unwrap_err();
        assert_eq!(success, "state Succeeded is not a stop trigger");
    }

    #[test]
    fn kill_switch_targets_what_it_names() {
        let kill = Signal::KillSwitch(KillSwitch {
            target: group("shop", None),
            reason: "bad release".into(),
            region: Some("ap-south-1".into()),
        });
        let reqs = requests(&kill, &config()).unwrap();
        assert_eq!(reqs[0].target, group("shop", None));
        assert_eq!(reqs[0].region, "ap-south-1");
        assert_eq!(reqs[0].reason, "kill switch: bad release");
    }
}
