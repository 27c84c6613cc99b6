//! What the check reads in one account and region, as the breaker would read it there: the
//! applications and groups in scope, their active deployments and alarm configurations, the
//! alarms tagged for an application and those each `ALARM_RULES` glob matches; and what IAM's
//! simulator says of the calls that change things.

use std::collections::{BTreeMap, BTreeSet};

use futures_util::future::join_all;

use super::access::{simulate, Permissions, Place};
use crate::aws::{Aws, Deadline, Located, Tagged};
use crate::config::Config;
use crate::glob::matches;
use crate::guards::literal_prefix;
use crate::types::{Account, AlarmState, AwsError};

/// One account and region the function may act in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Location {
    pub account: Account,
    pub region: String,
}

/// A deployment group in scope, as read.
#[derive(Clone, Debug)]
pub struct GroupSeen {
    pub application: String,
    pub group: String,
    /// How many of its deployments are active; `None`: ListDeployments failed.
    pub active: Option<usize>,
    /// Its own alarm configuration.
    pub alarms: Vec<String>,
}

/// What was read in a location whose applications could be listed.
#[derive(Clone, Debug, Default)]
pub struct Listed {
    /// Every application; its groups, when they were listed (in scope, or named by a mapping).
    pub applications: BTreeMap<String, Option<Vec<String>>>,
    pub groups: Vec<GroupSeen>,
    /// Alarms with the application tag, whatever its value.
    pub tagged: Vec<Tagged>,
    /// For each `ALARM_RULES` entry, in order, the alarms here its glob matches.
    pub by_rule: Vec<Vec<AlarmState>>,
    /// The states of the other alarms that guard a group here.
    pub states: BTreeMap<String, AlarmState>,
    /// The reads that failed after the applications were listed.
    pub errors: Vec<AwsError>,
}

/// One location, read.
#[derive(Clone, Debug)]
pub struct Scan {
    pub location: Location,
    /// The role the function acts as there (`None`: its own).
    pub role: Option<String>,
    /// `Err`: not even ListApplications went through (the role, or the region, is refused).
    pub listed: Result<Listed, AwsError>,
    pub permissions: Permissions,
}

/// Reads `location`.
pub async fn scan(aws: &Aws, config: &Config, deadline: Deadline, location: Location) -> Scan {
    let located = aws.located(&location.account, &location.region).await;
    let role = aws.codedeploy.role_arn(&location.account);
    let listed = list(aws, &located, config, deadline, &location).await;
    let permissions = match &listed {
        Ok(listed) => {
            let place = Place {
                account: &location.account,
                region: &location.region,
                groups: (listed.groups.iter())
                    .map(|g| (g.application.as_str(), g.group.as_str()))
                    .collect(),
            };
            simulate(&located, config, deadline, place, &role).await
        }
        Err(_) => Permissions::Skipped {
            reason: "its applications could not be listed".into(),
        },
    };
    Scan {
        location,
        role,
        listed,
        permissions,
    }
}

/// Whether an `ALLOWED_DEPLOYMENT_GROUPS` entry may hold groups of `application` in `account`.
fn app_in_scope(config: &Config, account: &str, application: &str) -> bool {
    config.allowed_groups.iter().any(|entry| {
        entry.account.as_deref().is_none_or(|a| a == account)
            && matches(&entry.application, application)
    })
}

async fn list(
    aws: &Aws,
    located: &Located,
    config: &Config,
    deadline: Deadline,
    location: &Location,
) -> Result<Listed, AwsError> {
    let (account, region) = (&location.account, location.region.as_str());
    let codedeploy = &aws.codedeploy;
    let applications = codedeploy.applications(deadline, account, region).await?;
    let mut listed = Listed::default();
    let tagged = located
        .tagging
        .alarms_tagged(deadline, &config.application_tag, None);
    let by_rule = join_all(config.alarm_rules.iter().map(|rule| async move {
        let found = located
            .alarms
            .with_prefix(deadline, literal_prefix(&rule.alarm))
            .await?;
        Ok::<_, AwsError>(found.into_iter().filter(|a| matches(&rule.alarm, &a.name)))
    }));
    let (tagged, by_rule) = tokio::join!(tagged, by_rule);
    listed.tagged = tagged.unwrap_or_else(|e| {
        listed.errors.push(e);
        Vec::new()
    });
    for found in by_rule {
        match found {
            Ok(alarms) => listed.by_rule.push(alarms.collect()),
            Err(e) => {
                listed.errors.push(e);
                listed.by_rule.push(Vec::new());
            }
        }
    }

    // The groups of the applications in scope, and of those a tag or a rule names.
    let named: BTreeSet<&str> = (listed.tagged.iter())
        .filter_map(|a| a.tags.get(&config.application_tag).map(String::as_str))
        .chain(config.alarm_rules.iter().map(|r| r.application.as_str()))
        .collect();
    let wanted: Vec<&String> = (applications.iter())
        .filter(|app| app_in_scope(config, account.id(), app) || named.contains(app.as_str()))
        .collect();
    let groups = join_all(
        (wanted.iter()).map(|app| codedeploy.deployment_groups(deadline, account, region, app)),
    )
    .await;
    listed.applications = applications.iter().map(|a| (a.clone(), None)).collect();
    for (app, groups) in wanted.into_iter().zip(groups) {
        match groups {
            Ok(groups) => {
                listed.applications.insert(app.clone(), Some(groups));
            }
            Err(e) => listed.errors.push(e),
        }
    }
    read_groups(aws, located, config, deadline, location, &mut listed).await;
    Ok(listed)
}

/// Each group in scope: its active deployments and alarm configuration; then the states of the
/// alarms that guard one and that no rule read already.
async fn read_groups(
    aws: &Aws,
    located: &Located,
    config: &Config,
    deadline: Deadline,
    location: &Location,
    listed: &mut Listed,
) {
    let (account, region) = (&location.account, location.region.as_str());
    let in_scope: Vec<(String, String)> = (listed.applications.iter())
        .flat_map(|(app, groups)| groups.iter().flatten().map(move |g| (app, g)))
        .filter(|(app, group)| config.in_scope(account.id(), app, group))
        .map(|(app, group)| (app.clone(), group.clone()))
        .collect();
    let codedeploy = &aws.codedeploy;
    let read = join_all(in_scope.iter().map(|(app, group)| async move {
        tokio::join!(
            codedeploy.active_deployments(deadline, account, region, app, group),
            codedeploy.group(deadline, account, region, app, group),
        )
    }))
    .await;
    for ((application, group), (active, info)) in in_scope.into_iter().zip(read) {
        let active = active.map_err(|e| listed.errors.push(e)).ok();
        let info = info.map_err(|e| listed.errors.push(e)).ok().flatten();
        let alarms = info.map(|info| info.alarms).unwrap_or_default();
        listed.groups.push(GroupSeen {
            application,
            group,
            active: active.map(|ids| ids.len()),
            alarms,
        });
    }
    let known: BTreeSet<&str> = (listed.by_rule.iter().flatten())
        .map(|a| a.name.as_str())
        .collect();
    let names: BTreeSet<String> = (listed.groups.iter().flat_map(|g| g.alarms.iter()))
        .chain(listed.tagged.iter().map(|a| &a.name))
        .filter(|name| !known.contains(name.as_str()))
        .cloned()
        .collect();
    let names: Vec<String> = names.into_iter().collect();
    match located.alarms.states(deadline, &names).await {
        Ok(states) => {
            listed.states = states.into_iter().map(|a| (a.name.clone(), a)).collect();
        }
        Err(e) => listed.errors.push(e),
    }
}
