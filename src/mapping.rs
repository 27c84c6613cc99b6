//! Which deployment groups an alarm maps to: the one rule, read both ways. Alarm → groups for
//! the breaker ([`map_alarm`]), group → alarms for the gate and the readiness check
//! ([`guard_source`]). Plain data in and out.
//!
//! Only an alarm whose name starts with `ALARM_NAME_PREFIX` (when set) maps to anything.
//! An alarm whose tags name an application maps by its tags alone (unless `ALARM_TAG_MAPPING` is
//! off: then tags are not read, and every alarm maps by the rules) (to the group its group tag
//! names, or every group of the application), in its own account and region. Any other alarm
//! maps by every `ALARM_RULES` entry whose glob matches its name, to the rule's application (and
//! group), in the rule's region and account (else the alarm's); a rule that names an account
//! applies only to alarms of that account or of the function's own. A `DeploymentId` dimension
//! names a deployment, not a group: the breaker reads it before this rule applies.

use std::collections::BTreeMap;

use crate::config::Config;
use crate::glob::matches;
use crate::types::{Account, GroupRef, GuardSource};

/// An alarm as the mapping sees it.
#[derive(Clone, Copy, Debug)]
pub struct AlarmSeen<'a> {
    pub name: &'a str,
    pub tags: &'a BTreeMap<String, String>,
    /// Its account: the function's own, or a target account's.
    pub account: &'a Account,
    /// Its region, when known.
    pub region: Option<&'a str>,
}

/// Where an alarm maps: one group or every group of an application, in the alarm's own region
/// and account unless a rule names others.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MappedTo<'a> {
    pub application: &'a str,
    /// `None`: every deployment group of the application.
    pub group: Option<&'a str>,
    /// `None`: the alarm's own region.
    pub region: Option<&'a str>,
    /// `None`: the alarm's own account.
    pub account: Option<&'a str>,
    pub source: GuardSource,
    /// The `ALARM_RULES` entry that maps it there, by index.
    pub rule: Option<usize>,
}

impl MappedTo<'_> {
    /// The account and region this mapping of `alarm` points at (`None`: its region unknown).
    pub fn place(&self, alarm: &AlarmSeen) -> (String, Option<String>) {
        let account = self.account.unwrap_or(alarm.account.id()).to_string();
        (account, self.region.or(alarm.region).map(str::to_string))
    }

    /// Whether this mapping of `alarm` covers `group`.
    pub fn covers(&self, alarm: &AlarmSeen, group: &GroupRef) -> bool {
        self.application == group.application
            && self.group.is_none_or(|g| g == group.group)
            && self.region.or(alarm.region) == Some(group.region.as_str())
            && self.account.unwrap_or(alarm.account.id()) == group.account
    }
}

/// Why an alarm's name puts it outside `ALARM_NAME_PREFIX`, if it does: such an alarm maps to
/// nothing, whatever its tags, the rules or its `DeploymentId` dimension say.
pub fn outside_prefix(name: &str, config: &Config) -> Option<String> {
    let prefix = config.alarm_name_prefix.as_deref()?;
    (!name.starts_with(prefix))
        .then(|| format!("alarm {name} is outside ALARM_NAME_PREFIX ({prefix})"))
}

/// Where `alarm` maps: by its tags (unless `ALARM_TAG_MAPPING` is off), else by the rules;
/// empty when nothing maps it, or when its name is outside `ALARM_NAME_PREFIX`.
pub fn map_alarm<'a>(alarm: &AlarmSeen<'a>, config: &'a Config) -> Vec<MappedTo<'a>> {
    if outside_prefix(alarm.name, config).is_some() {
        return Vec::new();
    }
    let non_empty = |key: &str| {
        alarm
            .tags
            .get(key)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    };
    let by_tags = non_empty(&config.application_tag).filter(|_| config.alarm_tag_mapping);
    if let Some(application) = by_tags {
        return vec![MappedTo {
            application,
            group: non_empty(&config.group_tag),
            region: None,
            account: None,
            source: GuardSource::Tags,
            rule: None,
        }];
    }
    (config.alarm_rules.iter().enumerate())
        .filter(|(_, rule)| matches(&rule.alarm, alarm.name))
        .filter(|(_, rule)| match (&rule.account, alarm.account) {
            (None, _) | (Some(_), Account::Own(_)) => true,
            (Some(account), Account::Target(from)) => account == from,
        })
        .map(|(index, rule)| MappedTo {
            application: &rule.application,
            group: rule.deployment_group.as_deref(),
            region: rule.region.as_deref(),
            account: rule.account.as_deref(),
            source: GuardSource::Rule,
            rule: Some(index),
        })
        .collect()
}

/// Why `alarm` guards `group`, if it does: the same rule as [`map_alarm`], read from the group.
pub fn guard_source(alarm: &AlarmSeen, config: &Config, group: &GroupRef) -> Option<GuardSource> {
    map_alarm(alarm, config)
        .into_iter()
        .find(|to| to.covers(alarm, group))
        .map(|to| to.source)
}

#[cfg(test)]
mod tests {
    use super::*;

    const OWN: &str = "111122223333";
    const TEAM_B: &str = "222233334444";

    /// One case: an alarm (name, tags, account, region), a group, and whether (and why) the
    /// alarm guards it, under the rules below.
    struct Case {
        what: &'static str,
        alarm: &'static str,
        tags: &'static [(&'static str, &'static str)],
        account: Account,
        region: &'static str,
        group: (&'static str, &'static str, &'static str, &'static str),
        guards: Option<GuardSource>,
    }

    const RULES: &str = r#"[
        {"alarm":"shop-*","application":"shop","deploymentGroup":"prod"},
        {"alarm":"pay-*","application":"pay"},
        {"alarm":"euro-*","application":"shop","deploymentGroup":"prod","region":"eu-west-1"},
        {"alarm":"teamb-*","application":"orders","deploymentGroup":"prod","account":"222233334444"}
    ]"#;

    fn own() -> Account {
        Account::Own(OWN.into())
    }

    fn team_b() -> Account {
        Account::Target(TEAM_B.into())
    }

    fn cases() -> Vec<Case> {
        use GuardSource::{Rule, Tags};
        let case = |what, alarm, tags, account, region, group, guards| Case {
            what,
            alarm,
            tags,
            account,
            region,
            group,
            guards,
        };
        let shop = (OWN, "us-east-1", "shop", "prod");
        vec![
            case(
                "tags: application and group",
                "any",
                &[("app", "shop"), ("grp", "prod")],
                own(),
                "us-east-1",
                shop,
                Some(Tags),
            ),
            case(
                "tags: application alone, every group",
                "any",
                &[("app", "shop")],
                own(),
                "us-east-1",
                shop,
                Some(Tags),
            ),
            case(
                "tags: an empty group tag is no group",
                "any",
                &[("app", "shop"), ("grp", "")],
                own(),
                "us-east-1",
                shop,
                Some(Tags),
            ),
            case(
                "tags: another group",
                "any",
                &[("app", "shop"), ("grp", "dev")],
                own(),
                "us-east-1",
                shop,
                None,
            ),
            case(
                "tags: another region",
                "any",
                &[("app", "shop")],
                own(),
                "eu-west-1",
                shop,
                None,
            ),
            case(
                "tags: another account",
                "any",
                &[("app", "shop")],
                team_b(),
                "us-east-1",
                shop,
                None,
            ),
            case(
                "tags for another application win over a matching rule",
                "shop-5xx",
                &[("app", "web")],
                own(),
                "us-east-1",
                shop,
                None,
            ),
            case(
                "an empty application tag leaves the rules",
                "shop-5xx",
                &[("app", "")],
                own(),
                "us-east-1",
                shop,
                Some(Rule),
            ),
            case(
                "a group tag alone leaves the rules",
                "shop-5xx",
                &[("grp", "dev")],
                own(),
                "us-east-1",
                shop,
                Some(Rule),
            ),
            case(
                "rule: its group",
                "shop-5xx",
                &[],
                own(),
                "us-east-1",
                shop,
                Some(Rule),
            ),
            case(
                "rule: not its group",
                "shop-5xx",
                &[],
                own(),
                "us-east-1",
                (OWN, "us-east-1", "shop", "dev"),
                None,
            ),
            case(
                "rule: every group of its application",
                "pay-latency",
                &[],
                own(),
                "us-east-1",
                (OWN, "us-east-1", "pay", "canary"),
                Some(Rule),
            ),
            case(
                "rule: the alarm's own region",
                "pay-latency",
                &[],
                own(),
                "eu-west-1",
                (OWN, "us-east-1", "pay", "canary"),
                None,
            ),
            case(
                "rule: the region it names",
                "euro-5xx",
                &[],
                own(),
                "us-east-1",
                (OWN, "eu-west-1", "shop", "prod"),
                Some(Rule),
            ),
            case(
                "rule: not the alarm's region when it names one",
                "euro-5xx",
                &[],
                own(),
                "us-east-1",
                shop,
                None,
            ),
            case(
                "rule: the account it names, from the function's own",
                "teamb-5xx",
                &[],
                own(),
                "us-east-1",
                (TEAM_B, "us-east-1", "orders", "prod"),
                Some(Rule),
            ),
            case(
                "rule: the account it names, from that account",
                "teamb-5xx",
                &[],
                team_b(),
                "us-east-1",
                (TEAM_B, "us-east-1", "orders", "prod"),
                Some(Rule),
            ),
            case(
                "rule: a target account's alarm in the alarm's own account",
                "pay-5xx",
                &[],
                team_b(),
                "us-east-1",
                (TEAM_B, "us-east-1", "pay", "prod"),
                Some(Rule),
            ),
            case(
                "rule: never another target account's",
                "teamb-5xx",
                &[],
                Account::Target("333344445555".into()),
                "us-east-1",
                (TEAM_B, "us-east-1", "orders", "prod"),
                None,
            ),
            case(
                "no tag, no rule",
                "web-5xx",
                &[],
                own(),
                "us-east-1",
                shop,
                None,
            ),
        ]
    }

    #[test]
    fn one_table_read_both_ways() {
        let mut config = Config::for_tests();
        config.application_tag = "app".into();
        config.group_tag = "grp".into();
        config.alarm_rules = serde_json::from_str(RULES).unwrap();
        for case in cases() {
            let tags: BTreeMap<String, String> = (case.tags.iter())
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            let alarm = AlarmSeen {
                name: case.alarm,
                tags: &tags,
                account: &case.account,
                region: Some(case.region),
            };
            let (account, region, application, group) = case.group;
            let group = GroupRef {
                account: account.into(),
                region: region.into(),
                application: application.into(),
                group: group.into(),
            };
            // Alarm → groups, as the breaker reads it: one of the places it maps to is the group.
            let forward = map_alarm(&alarm, &config);
            let reached = forward.iter().find(|to| to.covers(&alarm, &group));
            assert_eq!(
                reached.map(|to| to.source),
                case.guards,
                "{} (alarm → groups)",
                case.what
            );
            // Group → alarms, as the gate and the check read it.
            let reverse = guard_source(&alarm, &config, &group);
            assert_eq!(reverse, case.guards, "{} (group → alarms)", case.what);
        }
    }

    #[test]
    fn the_name_prefix_and_the_tag_switch_apply_before_anything_maps() {
        let mut config = Config::for_tests();
        config.application_tag = "app".into();
        config.alarm_rules = serde_json::from_str(r#"[{"alarm":"*","application":"x"}]"#).unwrap();
        let tags = BTreeMap::from([("app".to_string(), "z".to_string())]);
        let account = own();
        let alarm = |name| AlarmSeen {
            name,
            tags: &tags,
            account: &account,
            region: None,
        };
        let first = |config: &Config, name| {
            let mapped = map_alarm(&alarm(name), config);
            mapped.first().map(|to| to.application.to_string())
        };
        assert_eq!(
            first(&config, "team-a-5xx").as_deref(),
            Some("z"),
            "by its tags"
        );
        config.alarm_tag_mapping = false;
        assert_eq!(
            first(&config, "team-a-5xx").as_deref(),
            Some("x"),
            "tags off: by rules"
        );
        config.alarm_name_prefix = Some("team-a-".into());
        assert_eq!(first(&config, "team-a-5xx").as_deref(), Some("x"));
        assert_eq!(
            first(&config, "team-b-5xx"),
            None,
            "outside the prefix: nothing"
        );
        assert!(outside_prefix("team-b-5xx", &config)
            .unwrap()
            .contains("ALARM_NAME_PREFIX"));
        assert_eq!(outside_prefix("team-a-5xx", &config), None);
    }

    #[test]
    fn tags_map_to_one_place_and_rules_to_each_that_matches() {
        let mut config = Config::for_tests();
        config.application_tag = "app".into();
        config.alarm_rules = serde_json::from_str(
            r#"[{"alarm":"a-*","application":"x"},{"alarm":"*-5xx","application":"y","region":"eu-west-1"}]"#,
        )
        .unwrap();
        let (none, tagged) = (
            BTreeMap::new(),
            BTreeMap::from([("app".to_string(), "z".to_string())]),
        );
        let account = own();
        let alarm = |tags| AlarmSeen {
            name: "a-5xx",
            tags,
            account: &account,
            region: None,
        };
        let by_rules: Vec<_> = map_alarm(&alarm(&none), &config)
            .iter()
            .map(|t| (t.application, t.region))
            .collect();
        assert_eq!(by_rules, [("x", None), ("y", Some("eu-west-1"))]);
        let by_tags = map_alarm(&alarm(&tagged), &config);
        assert_eq!(by_tags.len(), 1);
        assert_eq!(
            (by_tags[0].application, by_tags[0].source),
            ("z", GuardSource::Tags)
        );
        assert!(map_alarm(
            &AlarmSeen {
                name: "b",
                ..alarm(&none)
            },
            &config
        )
        .is_empty());
    }
}
