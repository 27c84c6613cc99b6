//! Which targets an alarm asks to stop, if it asks for anything.

use crate::config::Config;
use crate::mapping::{map_alarm, AlarmSeen};
use crate::signal::{Alarm, Target};
use crate::types::Account;

/// A target, with the region and account a rule names (else the alarm's).
pub(super) type AlarmTarget<'a> = (Target, Option<&'a str>, Option<&'a str>);

/// An alarm acts only on entering ALARM with its actions not suppressed (or on its actions
/// running at last, when a composite alarm's suppression ends), and maps to targets by the
/// first source that applies: a `DeploymentId` dimension, else [`map_alarm`] (its tags, then
/// `ALARM_RULES`). An alarm outside `ALARM_NAME_PREFIX` never gets here: `requests` ignores it
/// first, before its age is judged.
pub(super) fn alarm_targets<'a>(
    alarm: &'a Alarm,
    origin: &'a Account,
    config: &'a Config,
) -> Result<Vec<AlarmTarget<'a>>, String> {
    if !alarm.state.eq_ignore_ascii_case("ALARM") {
        return Err(format!("state is {}, not ALARM", alarm.state));
    }
    if let Some(by) = &alarm.actions_suppressed_by {
        return Err(format!("actions suppressed ({by})"));
    }
    let was_in_alarm = alarm
        .previous_state
        .as_deref()
        .is_some_and(|previous| previous.eq_ignore_ascii_case("ALARM"));
    if was_in_alarm && alarm.previous_actions_suppressed_by.is_none() {
        return Err("was already in ALARM (not a transition into ALARM)".into());
    }
    let own = alarm.region.as_deref();
    if !alarm.deployment_ids.is_empty() {
        return Ok(alarm
            .deployment_ids
            .iter()
            .map(|id| (Target::Deployment(id.clone()), own, None))
            .collect());
    }
    let seen = AlarmSeen {
        name: &alarm.name,
        tags: &alarm.tags,
        account: origin,
        region: own,
    };
    let mapped: Vec<AlarmTarget> = map_alarm(&seen, config)
        .into_iter()
        .map(|to| {
            let target = Target::Group {
                application: to.application.to_string(),
                group: to.group.map(str::to_string),
            };
            (target, to.region.or(own), to.account)
        })
        .collect();
    if mapped.is_empty() {
        return Err(format!("unmapped alarm {}", alarm.name));
    }
    Ok(mapped)
}
