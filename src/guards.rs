//! Which alarms guard a deployment group, and their states now: the reverse of alarm mapping,
//! for the gate. An alarm guards a group when its tags name the group's application (and the
//! group, or no group), when an `ALARM_RULES` entry maps it to the group (or to its
//! application), or when the group's own `alarmConfiguration` lists it. Only alarms of the
//! function's own account and region are seen.

use std::collections::BTreeMap;

use futures_util::future::join_all;
use serde::Serialize;

use crate::aws::{Deadline, GateAws};
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
fn rule_guards(rule: &AlarmRule, group: Group) -> bool {
    rule.application == group.application
        && rule
            .deployment_group
            .as_deref()
            .is_none_or(|g| g == group.group)
        && rule.region.as_deref().is_none_or(|r| r == group.region)
        && rule.account.as_deref().is_none_or(|a| a == group.account)
}

/// The part of a glob before its first `*`: what `AlarmNamePrefix` can ask for.
fn literal_prefix(glob: &str) -> &str {
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

/// Why each alarm guards a group, by name; and the states already read on the way.
type Found = (
    BTreeMap<String, Vec<GuardSource>>,
    BTreeMap<String, AlarmState>,
);

/// The alarms that guard `group`, with their states now, by name.
pub async fn discover(
    aws: &GateAws,
    config: &Config,
    deadline: Deadline,
    group: Group<'_>,
) -> Result<Vec<Guard>, AwsError> {
    let (sources, mut states) = find(aws, config, deadline, group).await?;
    let unknown: Vec<String> = sources
        .keys()
        .filter(|name| !states.contains_key(*name))
        .cloned()
        .collect();
    for alarm in aws.alarms.states(deadline, &unknown).await? {
        states.insert(alarm.name.clone(), alarm);
    }
    // An alarm CloudWatch does not know (deleted, or named wrong on the group) guards nothing.
    Ok(sources
        .into_iter()
        .filter_map(|(name, sources)| {
            let alarm = states.remove(&name)?;
            Some(Guard { alarm, sources })
        })
        .collect())
}

/// The three lookups, together: rules (by name prefix), tags, the group's own alarms.
async fn find(
    aws: &GateAws,
    config: &Config,
    deadline: Deadline,
    group: Group<'_>,
) -> Result<Found, AwsError> {
    let rules = config
        .alarm_rules
        .iter()
        .filter(|rule| rule_guards(rule, group));
    let by_rules = join_all(rules.map(|rule| async move {
        let prefix = literal_prefix(&rule.alarm);
        let found = aws.alarms.with_prefix(deadline, prefix).await?;
        let matching = found.into_iter().filter(|a| matches(&rule.alarm, &a.name));
        Ok::<_, AwsError>(matching.collect::<Vec<_>>())
    }));
    let tagged = aws
        .tagging
        .alarms_tagged(deadline, &config.application_tag, group.application);
    let own = Account::Own(group.account.to_string());
    let listed = aws
        .codedeploy
        .group(deadline, &own, group.region, group.application, group.group);
    let (by_rules, tagged, listed) = tokio::join!(by_rules, tagged, listed);

    let (mut sources, mut states): Found = Default::default();
    let mut add = |name: &str, source| {
        let entry: &mut Vec<GuardSource> = sources.entry(name.to_string()).or_default();
        if !entry.contains(&source) {
            entry.push(source);
        }
    };
    for found in by_rules {
        for alarm in found? {
            add(&alarm.name, GuardSource::Rule);
            states.insert(alarm.name.clone(), alarm);
        }
    }
    let tagged = tagged?
        .into_iter()
        .filter(|a| tagged_for(&a.tags, config, group));
    for alarm in tagged {
        add(&alarm.name, GuardSource::Tags);
    }
    for name in listed?.map(|info| info.alarms).unwrap_or_default() {
        add(&name, GuardSource::GroupAlarms);
    }
    Ok((sources, states))
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
