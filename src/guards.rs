//! Which alarms guard a deployment group, and their states now: the reverse of alarm mapping,
//! for the gate. An alarm guards a group when its tags name the group's application (and the
//! group, or no group), when an `ALARM_RULES` entry maps it to the group (or to its
//! application), or when the group's own `alarmConfiguration` lists it. The gate sees the
//! alarms of its own account and region; the readiness check, those of each it checks.

use std::collections::BTreeMap;

use futures_util::future::join_all;
use serde::Serialize;

use crate::aws::{Deadline, GateAws, Tagged};
use crate::config::{AlarmRule, Config};
use crate::glob::matches;
use crate::types::{Account, AlarmState, AwsError, GuardSource};

/// An alarm that guards a group, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Guard {
    #[serde(flatten)]
    pub alarm: AlarmState,
    pub sources: Vec<GuardSource>,
}

/// Where a group lives and what it is called.
#[derive(Clone, Copy, Debug)]
pub struct Group<'a> {
    pub account: &'a str,
    pub region: &'a str,
    pub application: &'a str,
    pub group: &'a str,
}

/// Whether `rule` maps alarms of this account and region to `group`.
pub fn rule_guards(rule: &AlarmRule, group: Group) -> bool {
    rule.application == group.application
        && rule
            .deployment_group
            .as_deref()
            .is_none_or(|g| g == group.group)
        && rule.region.as_deref().is_none_or(|r| r == group.region)
        && rule.account.as_deref().is_none_or(|a| a == group.account)
}

/// The part of a glob before its first `*`: what `AlarmNamePrefix` can ask for.
pub fn literal_prefix(glob: &str) -> &str {
    glob.split('*').next().unwrap_or_default()
}

/// Whether an alarm with these tags (as the tagging API returned them) is tagged for `group`.
fn tagged_for(tags: &BTreeMap<String, String>, config: &Config, group: Group) -> bool {
    tags.get(&config.application_tag)
        .is_some_and(|a| a == group.application)
        && tags
            .get(&config.group_tag)
            .is_none_or(|g| g.is_empty() || g == group.group)
}

/// The alarms each rule's glob matched (in the group's account and region).
pub type RuleAlarms<'a> = [(&'a AlarmRule, Vec<AlarmState>)];

/// Why each alarm guards `group`, by name: the rules that map to it, the alarms tagged for it,
/// and `listed`, its own alarm configuration.
pub fn sources(
    config: &Config,
    group: Group,
    by_rules: &RuleAlarms,
    tagged: &[Tagged],
    listed: &[String],
) -> BTreeMap<String, Vec<GuardSource>> {
    let mut sources: BTreeMap<String, Vec<GuardSource>> = BTreeMap::new();
    let mut add = |name: &str, source| {
        let entry = sources.entry(name.to_string()).or_default();
        if !entry.contains(&source) {
            entry.push(source);
        }
    };
    for (_, alarms) in by_rules.iter().filter(|(rule, _)| rule_guards(rule, group)) {
        for alarm in alarms {
            add(&alarm.name, GuardSource::Rule);
        }
    }
    for alarm in tagged.iter().filter(|a| tagged_for(&a.tags, config, group)) {
        add(&alarm.name, GuardSource::Tags);
    }
    for name in listed {
        add(name, GuardSource::GroupAlarms);
    }
    sources
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

/// The alarms that guard `group`, with their states now, by name.
pub async fn discover(
    aws: &GateAws,
    config: &Config,
    deadline: Deadline,
    group: Group<'_>,
) -> Result<Vec<Guard>, AwsError> {
    let rules = config
        .alarm_rules
        .iter()
        .filter(|rule| rule_guards(rule, group));
    let by_rules = join_all(rules.map(|rule| async move {
        let prefix = literal_prefix(&rule.alarm);
        let found = aws.alarms.with_prefix(deadline, prefix).await?;
        let matching = found.into_iter().filter(|a| matches(&rule.alarm, &a.name));
        Ok::<_, AwsError>((rule, matching.collect::<Vec<_>>()))
    }));
    let tagged =
        aws.tagging
            .alarms_tagged(deadline, &config.application_tag, Some(group.application));
    let own = Account::Own(group.account.to_string());
    let listed = aws
        .codedeploy
        .group(deadline, &own, group.region, group.application, group.group);
    let (by_rules, tagged, listed) = tokio::join!(by_rules, tagged, listed);
    let by_rules = by_rules.into_iter().collect::<Result<Vec<_>, _>>()?;
    let listed = listed?.map(|info| info.alarms).unwrap_or_default();
    let sources = sources(config, group, &by_rules, &tagged?, &listed);

    let mut states: BTreeMap<String, AlarmState> = by_rules
        .into_iter()
        .flat_map(|(_, alarms)| alarms)
        .map(|alarm| (alarm.name.clone(), alarm))
        .collect();
    let unknown: Vec<String> = sources
        .keys()
        .filter(|name| !states.contains_key(*name))
        .cloned()
        .collect();
    for alarm in aws.alarms.states(deadline, &unknown).await? {
        states.insert(alarm.name.clone(), alarm);
    }
    Ok(with_states(sources, &states))
}

/// The same guards with their states now (one DescribeAlarms call per 100 alarms).
pub async fn refresh(
    aws: &GateAws,
    deadline: Deadline,
    guards: &[Guard],
) -> Result<Vec<Guard>, AwsError> {
    let names: Vec<String> = guards.iter().map(|g| g.alarm.name.clone()).collect();
    let mut states: BTreeMap<String, AlarmState> = aws
        .alarms
        .states(deadline, &names)
        .await?
        .into_iter()
        .map(|alarm| (alarm.name.clone(), alarm))
        .collect();
    Ok(guards
        .iter()
        .filter_map(|guard| {
            let alarm = states.remove(&guard.alarm.name)?;
            Some(Guard {
                alarm,
                sources: guard.sources.clone(),
            })
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHOP: Group = Group {
        account: "123456789012",
        region: "us-east-1",
        application: "shop",
        group: "prod",
    };

    fn rule(json: &str) -> AlarmRule {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn a_rule_guards_its_group_or_every_group_of_its_application() {
        assert!(rule_guards(
            &rule(r#"{"alarm":"shop-*","application":"shop","deploymentGroup":"prod"}"#),
            SHOP
        ));
        assert!(rule_guards(
            &rule(r#"{"alarm":"shop-*","application":"shop"}"#),
            SHOP
        ));
        assert!(!rule_guards(
            &rule(r#"{"alarm":"shop-*","application":"shop","deploymentGroup":"dev"}"#),
            SHOP
        ));
        assert!(!rule_guards(
            &rule(r#"{"alarm":"*","application":"shop","region":"eu-west-1"}"#),
            SHOP
        ));
        assert!(!rule_guards(
            &rule(r#"{"alarm":"*","application":"shop","account":"222233334444"}"#),
            SHOP
        ));
        assert!(!rule_guards(
            &rule(r#"{"alarm":"*","application":"pay"}"#),
            SHOP
        ));
    }

    #[test]
    fn the_prefix_is_what_comes_before_the_first_star() {
        assert_eq!(literal_prefix("shop-*-5xx"), "shop-");
        assert_eq!(literal_prefix("*-5xx"), "");
        assert_eq!(literal_prefix("exact"), "exact");
    }

    #[test]
    fn tags_must_still_name_the_application_and_the_group_or_none() {
        let config = Config::for_tests();
        let tags = |pairs: &[(&str, &str)]| -> BTreeMap<String, String> {
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        };
        let app = config.application_tag.clone();
        let grp = config.group_tag.clone();
        assert!(tagged_for(&tags(&[(&app, "shop")]), &config, SHOP));
        assert!(tagged_for(
            &tags(&[(&app, "shop"), (&grp, "prod")]),
            &config,
            SHOP
        ));
        assert!(!tagged_for(
            &tags(&[(&app, "shop"), (&grp, "dev")]),
            &config,
            SHOP
        ));
        assert!(!tagged_for(&tags(&[]), &config, SHOP), "formerly tagged");
    }
}
