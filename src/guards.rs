//! Which alarms guard a deployment group, and their states now: the reverse of alarm mapping,
//! for the gate. An alarm guards a group when [`guard_source`] maps it there (its tags, else an
//! `ALARM_RULES` entry), or when the group's own `alarmConfiguration` lists it. The gate sees
//! the alarms of its own account and region; the readiness check, those of each it checks.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::aws::{Deadline, GateAws, Tagged, Tagging};
use crate::config::Config;
use crate::mapping::{guard_source, AlarmSeen};
use crate::types::{Account, AlarmState, AwsError, GroupRef, GuardSource};

/// An alarm that guards a group, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Guard {
    #[serde(flatten)]
    pub alarm: AlarmState,
    pub sources: Vec<GuardSource>,
}

/// The tags of an alarm the tagging API did not list: none.
pub static NO_TAGS: BTreeMap<String, String> = BTreeMap::new();

/// Why each alarm guards a group, by name: `mapped`, the alarms the mapping maps to it (see
/// [`guard_source`]) with why, and `listed`, its own alarm configuration.
pub fn sources<'a>(
    mapped: impl IntoIterator<Item = (&'a str, GuardSource)>,
    listed: &'a [String],
) -> BTreeMap<String, Vec<GuardSource>> {
    let mut sources: BTreeMap<String, Vec<GuardSource>> = BTreeMap::new();
    let listed = listed
        .iter()
        .map(|name| (name.as_str(), GuardSource::GroupAlarms));
    for (name, source) in mapped.into_iter().chain(listed) {
        let entry = sources.entry(name.to_string()).or_default();
        if !entry.contains(&source) {
            entry.push(source);
        }
    }
    sources
}

/// The alarms whose tags may map them, with their tags: every alarm with the application tag,
/// whatever its value (one tagged for another application is mapped by its tags, never by a rule
/// its name matches); none with `ALARM_TAG_MAPPING` off, when tags map nothing.
pub async fn tagged_alarms(
    tagging: &Tagging,
    config: &Config,
    deadline: Deadline,
) -> Result<Vec<Tagged>, AwsError> {
    if !config.alarm_tag_mapping {
        return Ok(Vec::new());
    }
    (tagging.alarms_tagged(deadline, &config.application_tag, None)).await
}

/// The guards among `sources` whose states CloudWatch gave: an alarm it does not know (deleted,
/// or named wrong on the group) guards nothing.
pub fn with_states(
    sources: BTreeMap<String, Vec<GuardSource>>,
    states: &BTreeMap<String, AlarmState>,
) -> Vec<Guard> {
    sources
        .into_iter()
        .filter_map(|(name, sources)| {
            let alarm = states.get(&name)?.clone();
            Some(Guard { alarm, sources })
        })
        .collect()
}

/// The alarms that guard `group` (in the gate's own account and region), with their states
/// now, by name. Every alarm with the application tag is read, whatever its value: an alarm
/// tagged for another application is mapped by its tags, never by a rule its name matches.
pub async fn discover(
    aws: &GateAws,
    config: &Config,
    deadline: Deadline,
    group: &GroupRef,
) -> Result<Vec<Guard>, AwsError> {
    let rules: Vec<&str> = (config.alarm_rules.iter())
        .filter(|rule| rule.application == group.application)
        .map(|rule| rule.alarm.as_str())
        .collect();
    let by_rules = aws.alarms.matching(deadline, &rules);
    let tagged = tagged_alarms(&aws.tagging, config, deadline);
    let own = Account::Own(group.account.clone());
    let listed = aws.codedeploy.group(
        deadline,
        &own,
        &group.region,
        &group.application,
        &group.group,
    );
    let (by_rules, tagged, listed) = tokio::join!(by_rules, tagged, listed);
    let matched: Vec<AlarmState> = (by_rules.into_iter().collect::<Result<Vec<_>, _>>()?)
        .into_iter()
        .flatten()
        .collect();
    let tagged: Vec<Tagged> = tagged?;
    let listed = listed?.map(|info| info.alarms).unwrap_or_default();
    let tags: BTreeMap<&str, &BTreeMap<String, String>> = (tagged.iter())
        .map(|t| (t.name.as_str(), &t.tags))
        .collect();
    let names = (matched.iter().map(|a| a.name.as_str())).chain(tags.keys().copied());
    let mapped = names.filter_map(|name| {
        let alarm = AlarmSeen {
            name,
            tags: tags.get(name).copied().unwrap_or(&NO_TAGS),
            account: &own,
            region: Some(&group.region),
        };
        Some((name, guard_source(&alarm, config, group)?))
    });
    let sources = sources(mapped, &listed);
    let known: BTreeMap<String, AlarmState> = (matched.into_iter())
        .map(|alarm| (alarm.name.clone(), alarm))
        .collect();
    read_states(aws, deadline, sources, known).await
}

/// The guards of `sources`, with the states in `known` and, for the others, those CloudWatch
/// gives now (one DescribeAlarms call per 100 alarms).
async fn read_states(
    aws: &GateAws,
    deadline: Deadline,
    sources: BTreeMap<String, Vec<GuardSource>>,
    mut known: BTreeMap<String, AlarmState>,
) -> Result<Vec<Guard>, AwsError> {
    let unknown: Vec<String> = (sources.keys())
        .filter(|name| !known.contains_key(*name))
        .cloned()
        .collect();
    for alarm in aws.alarms.states(deadline, &unknown).await? {
        known.insert(alarm.name.clone(), alarm);
    }
    Ok(with_states(sources, &known))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_alarm_the_mapping_maps_here_and_each_the_group_lists() {
        let mut config = Config::for_tests();
        config.alarm_rules =
            serde_json::from_str(r#"[{"alarm":"shop-*","application":"shop"}]"#).unwrap();
        let own = Account::Own("123456789012".into());
        let group = GroupRef {
            account: "123456789012".into(),
            region: "us-east-1".into(),
            application: "shop".into(),
            group: "prod".into(),
        };
        let other_app = BTreeMap::from([(config.application_tag.clone(), "web".to_string())]);
        let alarm = |name, tags| AlarmSeen {
            name,
            tags,
            account: &own,
            region: Some("us-east-1"),
        };
        let alarms = [
            alarm("shop-5xx", &NO_TAGS),
            alarm("shop-latency", &other_app),
        ];
        let listed = ["shop-5xx".to_string(), "deleted".to_string()];
        let mapped = (alarms.iter())
            .filter_map(|alarm| Some((alarm.name, guard_source(alarm, &config, &group)?)));
        let found = sources(mapped, &listed);
        assert_eq!(
            found,
            BTreeMap::from([
                ("deleted".into(), vec![GuardSource::GroupAlarms]),
                (
                    "shop-5xx".into(),
                    vec![GuardSource::Rule, GuardSource::GroupAlarms]
                ),
            ]),
            "shop-latency is tagged for web: its tags map it, not the rule its name matches"
        );
    }
}
