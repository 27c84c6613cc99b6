//! Which targets an alarm asks to stop, if it asks for anything.

use crate::config::Config;
use crate::glob::matches;
use crate::signal::{Alarm, Target};
use crate::types::Account;

/// A target, with the region and account a rule names (else the alarm's).
pub(super) type AlarmTarget<'a> = (Target, Option<&'a str>, Option<&'a str>);

/// An alarm acts only on entering ALARM with its actions not suppressed (or on its actions
/// running at last, when a composite alarm's suppression ends), and maps to targets by the
/// first source that applies: a `DeploymentId` dimension, the alarm's tags, then `ALARM_RULES`
/// (a rule that names an account only for alarms of that account or the function's own).
pub(super) fn alarm_targets<'a>(
    alarm: &'a Alarm,
    origin: &Account,
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
        return Ok(vec![(target, own, None)]);
    }
    let by_rules: Vec<AlarmTarget> = config
        .alarm_rules
        .iter()
        .filter(|rule| matches(&rule.alarm, &alarm.name))
        .filter(|rule| match (&rule.account, origin) {
            (None, _) | (Some(_), Account::Own(_)) => true,
            (Some(account), Account::Target(from)) => account == from,
        })
        .map(|rule| {
            let target = Target::Group {
                application: rule.application.clone(),
                group: rule.deployment_group.clone(),
            };
            let region = rule.region.as_deref().or(own);
            (target, region, rule.account.as_deref())
        })
        .collect();
    if by_rules.is_empty() {
        return Err(format!("unmapped alarm {}", alarm.name));
    }
    Ok(by_rules)
}
