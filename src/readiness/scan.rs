//! What the check reads in one account and region, as the breaker would read it there: the
//! applications and groups in scope, their active deployments and alarm configurations, the
//! alarms tagged for an application and those each `ALARM_RULES` glob matches; and what IAM's
//! simulator says of the calls that change things.

use std::collections::{BTreeMap, BTreeSet};

use futures_util::future::join_all;

use super::access::{simulate, Permissions, Place};
use crate::aws::{Deadline, Located, ReadinessAws, Tagged};
use crate::config::Config;
use crate::guards::tagged_alarms;
use crate::mapping::outside_prefix;
use crate::types::{Account, AlarmState, AwsError, GroupRef, Location};

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

/// The role the breaker assumes in each target account, by account: asked about once, in the
/// function's own account and the first region of `REGIONS`.
fn target_roles(aws: &ReadinessAws, config: &Config, location: &Location) -> Vec<(String, String)> {
    let first = config.regions.first() == Some(&location.region);
    let home = matches!(location.account, Account::Own(_)) && first;
    let targets = config.target_accounts.iter().filter(|_| home);
    let role = |id: &String| aws.codedeploy.role_arn(&Account::Target(id.clone()));
    targets
        .filter_map(|id| Some((id.clone(), role(id)?)))
        .collect()
}

/// Reads `location`.
pub async fn scan(
    aws: &ReadinessAws,
    config: &Config,
    deadline: Deadline,
    location: Location,
) -> Scan {
    let located = aws.located(&location).await;
    let role = aws.codedeploy.role_arn(&location.account);
    let listed = list(aws, &located, config, deadline, &location).await;
    let permissions = match &listed {
        Ok(listed) => {
            let place = Place {
                account: &location.account,
                region: &location.region,
                groups: (listed.groups.iter())
                    .map(|g| GroupRef {
                        account: location.account.id().to_string(),
                        region: location.region.clone(),
                        application: g.application.clone(),
                        group: g.group.clone(),
                    })
                    .collect(),
                target_roles: target_roles(aws, config, &location),
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

async fn list(
    aws: &ReadinessAws,
    located: &Located,
    config: &Config,
    deadline: Deadline,
    location: &Location,
) -> Result<Listed, AwsError> {
    let (account, region) = (&location.account, location.region.as_str());
    let codedeploy = &aws.codedeploy;
    let applications = codedeploy.applications(deadline, account, region).await?;
    let mut listed = Listed::default();
    read_alarms(located, config, deadline, &mut listed).await;

    // The groups of the applications in scope, and of those a tag or a rule names.
    let named: BTreeSet<&str> = (listed.tagged.iter())
        .filter_map(|a| a.tags.get(&config.application_tag).map(String::as_str))
        .chain(config.alarm_rules.iter().map(|r| r.application.as_str()))
        .collect();
    let wanted: Vec<&String> = (applications.iter())
        .filter(|app| config.app_in_scope(account.id(), app) || named.contains(app.as_str()))
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

/// The alarms with the application tag (whatever its value; none read with
/// `ALARM_TAG_MAPPING` off, as tags then map nothing) and, for each `ALARM_RULES` entry in
/// order, those its glob matches inside `ALARM_NAME_PREFIX` (an alarm outside it is no rule's, so
/// a rule that matches only such alarms matches nothing).
async fn read_alarms(located: &Located, config: &Config, deadline: Deadline, listed: &mut Listed) {
    let tagged = tagged_alarms(&located.tagging, config, deadline);
    let globs: Vec<&str> = (config.alarm_rules.iter())
        .map(|r| r.alarm.as_str())
        .collect();
    let by_rule = located.alarms.matching(deadline, &globs);
    let (tagged, by_rule) = tokio::join!(tagged, by_rule);
    listed.tagged = tagged.unwrap_or_else(|e| {
        listed.errors.push(e);
        Vec::new()
    });
    let inside = |a: &AlarmState| outside_prefix(&a.name, config).is_none();
    for found in by_rule {
        match found {
            Ok(alarms) => listed
                .by_rule
                .push(alarms.into_iter().filter(inside).collect()),
            Err(e) => {
                listed.errors.push(e);
                listed.by_rule.push(Vec::new());
            }
        }
    }
}

/// Each group in scope: its active deployments and alarm configuration (a hundred groups of
/// an application a call); then the states of the alarms that guard them.
async fn read_groups(
    aws: &ReadinessAws,
    located: &Located,
    config: &Config,
    deadline: Deadline,
    location: &Location,
    listed: &mut Listed,
) {
    let (account, region) = (&location.account, location.region.as_str());
    let in_scope: BTreeMap<&String, Vec<String>> = (listed.applications.iter())
        .map(|(app, groups)| {
            let groups = groups.iter().flatten();
            let groups = groups.filter(|g| config.in_scope(account.id(), app, g));
            (app, groups.cloned().collect::<Vec<_>>())
        })
        .filter(|(_, groups)| !groups.is_empty())
        .collect();
    let codedeploy = &aws.codedeploy;
    let configured = join_all(
        (in_scope.iter())
            .map(|(app, groups)| codedeploy.groups(deadline, account, region, app, groups)),
    );
    let pairs: Vec<(&String, &String)> = (in_scope.iter())
        .flat_map(|(app, groups)| groups.iter().map(move |g| (*app, g)))
        .collect();
    let active =
        join_all((pairs.iter()).map(|(app, group)| {
            codedeploy.active_deployments(deadline, account, region, app, group)
        }));
    let (configured, active) = tokio::join!(configured, active);
    let mut alarms: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
    for found in configured {
        match found {
            Ok(infos) => alarms.extend(
                infos
                    .into_iter()
                    .map(|i| ((i.application, i.group), i.alarms)),
            ),
            Err(e) => listed.errors.push(e),
        }
    }
    let mut seen = Vec::new();
    for ((application, group), active) in pairs.iter().zip(active) {
        let active = active.map_err(|e| listed.errors.push(e)).ok();
        seen.push(GroupSeen {
            application: application.to_string(),
            group: group.to_string(),
            active: active.map(|ids| ids.len()),
            alarms: (alarms.remove(&(application.to_string(), group.to_string())))
                .unwrap_or_default(),
        });
    }
    listed.groups = seen;
    read_states(located, deadline, listed).await;
}

/// The states of the alarms that guard a group here and that no rule read already.
async fn read_states(located: &Located, deadline: Deadline, listed: &mut Listed) {
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
