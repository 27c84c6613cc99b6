//! The map, from what was read: the alarms that guard each group in scope, and the gaps and
//! dangling mappings, each with what to do about it. Plain data in, plain data out.

use std::collections::{BTreeMap, BTreeSet};

use super::report::{Finding, GroupMap, Kind, LocationReport};
use super::scan::{Listed, Scan};
use crate::config::{AlarmRule, Config};
use crate::guards::{sources, with_states, NO_TAGS};
use crate::mapping::{map_alarm, outside_prefix, AlarmSeen, MappedTo};
use crate::types::{AlarmState, AwsError, GroupRef, GuardSource, ASSUME_ROLE_FAILED};

fn finding(kind: Kind, scan: Option<&Scan>, problem: String, fix: String) -> Finding {
    Finding {
        kind,
        account: scan.map(|s| s.location.account.id().to_string()),
        region: scan.map(|s| s.location.region.clone()),
        problem,
        fix,
    }
}

/// Every alarm read anywhere, as the mapping sees it, and its state when it was read.
type Everywhere<'a> = Vec<(AlarmSeen<'a>, Option<&'a AlarmState>)>;

fn everywhere(scans: &[Scan]) -> Everywhere<'_> {
    let mut alarms = Vec::new();
    for scan in scans {
        let Ok(listed) = &scan.listed else { continue };
        let tags: BTreeMap<&str, &BTreeMap<String, String>> = (listed.tagged.iter())
            .map(|t| (t.name.as_str(), &t.tags))
            .collect();
        let mut states: BTreeMap<&str, &AlarmState> = (listed.states.iter())
            .map(|(name, state)| (name.as_str(), state))
            .collect();
        states.extend((listed.by_rule.iter().flatten()).map(|a| (a.name.as_str(), a)));
        let names: BTreeSet<&str> = states.keys().chain(tags.keys()).copied().collect();
        alarms.extend(names.into_iter().map(|name| {
            let seen = AlarmSeen {
                name,
                tags: tags.get(name).copied().unwrap_or(&NO_TAGS),
                account: &scan.location.account,
                region: Some(&scan.location.region),
            };
            (seen, states.get(name).copied())
        }));
    }
    alarms
}

/// Where a rule maps the alarms it matched: (account, region) and the alarms, as the breaker
/// maps them (see [`map_alarm`]).
type Hits = Vec<((String, String), Vec<AlarmState>)>;

fn rule_hits(alarms: &Everywhere, index: &Index, rule: usize) -> Hits {
    let mut hits: Hits = Vec::new();
    let mapped = index.iter().flat_map(|((account, region, _), found)| {
        (found.iter())
            .filter(move |(_, to)| to.rule == Some(rule))
            .map(move |(at, _)| {
                let state = alarms[*at].1.cloned();
                ((account.clone(), region.clone()), state)
            })
    });
    for (place, state) in mapped {
        match hits.iter_mut().find(|(at, _)| *at == place) {
            Some((_, found)) => found.extend(state),
            None => hits.push((place, state.into_iter().collect())),
        }
    }
    hits
}

/// Whether everything was read in every location: what matches nothing is judged only then.
fn complete(scans: &[Scan]) -> bool {
    (scans.iter()).all(|s| s.listed.as_ref().is_ok_and(|l| l.errors.is_empty()))
}

/// The report of each location, and every finding.
pub fn map(config: &Config, scans: &[Scan]) -> (Vec<LocationReport>, Vec<Finding>) {
    let alarms = everywhere(scans);
    let index = index(config, &alarms);
    let hits: Vec<Hits> = (0..config.alarm_rules.len())
        .map(|rule| rule_hits(&alarms, &index, rule))
        .collect();
    let mut findings = Vec::new();
    let mut reports = Vec::new();
    for scan in scans {
        let (reads, groups) = match &scan.listed {
            Err(e) => {
                findings.push(unreadable(scan, e));
                (e.to_string(), Vec::new())
            }
            Ok(listed) => {
                for e in &listed.errors {
                    findings.push(read_failed(scan, e));
                }
                findings.extend(dangling_tags(config, scan, listed));
                let groups = guarded(config, scan, listed, (&alarms, &index), &mut findings);
                ("ok".to_string(), groups)
            }
        };
        reports.push(LocationReport {
            account: scan.location.account.id().to_string(),
            region: scan.location.region.clone(),
            role: scan.role.clone(),
            reads,
            groups,
            permissions: scan.permissions.clone(),
        });
    }
    for (index, rule) in config.alarm_rules.iter().enumerate() {
        findings.extend(rule_findings(scans, index, rule, &hits[index]));
    }
    findings.extend(scope_findings(config, scans));
    (reports, findings)
}

fn unreadable(scan: &Scan, e: &AwsError) -> Finding {
    let (account, region) = (scan.location.account.id(), &scan.location.region);
    if e.code == ASSUME_ROLE_FAILED {
        let fix = "create the role there from templates/target-role.yaml, trusting the \
                   function's role (FunctionRoleArn) and the readiness check's \
                   (CentralCheckRoleArn: ReadinessCheckFunctionRoleArn), or take the account out \
                   of TARGET_ACCOUNTS";
        return finding(
            Kind::RoleNotAssumable,
            Some(scan),
            e.to_string(),
            fix.into(),
        );
    }
    let fix = format!(
        "let the function's role list CodeDeploy applications in {account} {region} (the \
         templates grant it; look for an SCP or permissions boundary denying the region), or \
         take {region} out of Regions"
    );
    finding(Kind::ReadFailed, Some(scan), e.to_string(), fix)
}

fn read_failed(scan: &Scan, e: &AwsError) -> Finding {
    let fix = "grant the call to the role the function acts as there (template.yaml, \
               templates/target-role.yaml), or look for an SCP denying it";
    finding(Kind::ReadFailed, Some(scan), e.to_string(), fix.into())
}

/// Where each alarm maps, computed once: (account, region, application) → the alarms (by
/// their index in [`Everywhere`]) and how each maps there.
type Index<'a> = BTreeMap<(String, String, &'a str), Vec<(usize, MappedTo<'a>)>>;

fn index<'a>(config: &'a Config, alarms: &Everywhere<'a>) -> Index<'a> {
    let mut index: Index = BTreeMap::new();
    for (at, (alarm, _)) in alarms.iter().enumerate() {
        for to in map_alarm(alarm, config) {
            let (account, region) = to.place(alarm);
            let key = (account, region.unwrap_or_default(), to.application);
            index.entry(key).or_default().push((at, to));
        }
    }
    index
}

/// Each group in scope with its guards; an unguarded group and an alarm the group lists that
/// CloudWatch does not know are findings, when every read there went through.
fn guarded(
    config: &Config,
    scan: &Scan,
    l: &Listed,
    (alarms, index): (&Everywhere, &Index),
    out: &mut Vec<Finding>,
) -> Vec<GroupMap> {
    let judged = l.errors.is_empty();
    // The states of the alarms here, for the groups' own alarm configurations.
    let mut here: BTreeMap<&str, &AlarmState> = (l.states.iter())
        .map(|(name, state)| (name.as_str(), state))
        .collect();
    here.extend((l.by_rule.iter().flatten()).map(|a| (a.name.as_str(), a)));
    let mut groups = Vec::new();
    for seen in &l.groups {
        let group = GroupRef {
            account: scan.location.account.id().to_string(),
            region: scan.location.region.clone(),
            application: seen.application.clone(),
            group: seen.group.clone(),
        };
        let (sources, states) = guards_of(&group, &seen.alarms, (alarms, index), &here);
        let unknown = (seen.alarms.iter()).filter(|a| judged && !states.contains_key(*a));
        for missing in unknown {
            let problem = format!(
                "deployment group {group} lists alarm {missing}, which CloudWatch does not know"
            );
            let fix = "correct the alarm's name in the group's alarm configuration, or remove it";
            out.push(finding(
                Kind::AlarmNotFound,
                Some(scan),
                problem,
                fix.into(),
            ));
        }
        let guards = with_states(sources, &states);
        if guards.is_empty() && judged {
            out.push(unguarded(config, scan, &group));
        }
        groups.push(GroupMap {
            application: seen.application.clone(),
            group: seen.group.clone(),
            active_deployments: seen.active,
            guards,
        });
    }
    groups
}

/// Why each alarm guards `group` (what maps to it, and `listed`, its own configuration), and
/// the states to judge them by: each mapped alarm's own (it may live in another region or
/// account), and the listed ones' from `here`.
fn guards_of(
    group: &GroupRef,
    listed: &[String],
    (alarms, index): (&Everywhere, &Index),
    here: &BTreeMap<&str, &AlarmState>,
) -> (
    BTreeMap<String, Vec<GuardSource>>,
    BTreeMap<String, AlarmState>,
) {
    let key = (
        group.account.clone(),
        group.region.clone(),
        group.application.as_str(),
    );
    let mapped: Vec<(usize, GuardSource)> = (index.get(&key).into_iter().flatten())
        .filter(|(at, to)| to.covers(&alarms[*at].0, group))
        .map(|(at, to)| (*at, to.source))
        .collect();
    let sources = sources(
        mapped
            .iter()
            .map(|(at, source)| (alarms[*at].0.name, *source)),
        listed,
    );
    let mut states: BTreeMap<String, AlarmState> = BTreeMap::new();
    for (at, _) in &mapped {
        if let (alarm, Some(state)) = &alarms[*at] {
            states.insert(alarm.name.to_string(), (*state).clone());
        }
    }
    for name in listed {
        if let Some(state) = here.get(name.as_str()) {
            states
                .entry(name.clone())
                .or_insert_with(|| (*state).clone());
        }
    }
    (sources, states)
}

fn unguarded(config: &Config, scan: &Scan, group: &GroupRef) -> Finding {
    let problem = format!("deployment group {group} is in scope, but no alarm guards it");
    let tag = match config.alarm_tag_mapping {
        true => format!(
            "tag its alarms {}={} ({}={} for this group only), ",
            config.application_tag, group.application, config.group_tag, group.group
        ),
        false => String::new(),
    };
    let prefix = (config.alarm_name_prefix.as_deref())
        .map(|p| format!(" (alarms named {p}…: ALARM_NAME_PREFIX)"))
        .unwrap_or_default();
    let fix = format!(
        "{tag}add an ALARM_RULES entry, or list them in the group's alarm configuration{prefix}"
    );
    finding(Kind::UnguardedGroup, Some(scan), problem, fix)
}

/// Why `application` (and `group`) cannot be found in `listed`, if it cannot.
fn missing(listed: &Listed, application: &str, group: Option<&str>) -> Option<String> {
    let Some(groups) = listed.applications.get(application) else {
        return Some(format!("application {application} does not exist"));
    };
    let group = group.filter(|g| !g.is_empty())?;
    let groups = groups.as_ref()?;
    (!groups.iter().any(|g| g == group))
        .then(|| format!("application {application} has no deployment group {group}"))
}

/// Each alarm whose tags map it (see [`map_alarm`]) to an application or group that does not
/// exist where it is.
fn dangling_tags(config: &Config, scan: &Scan, listed: &Listed) -> Vec<Finding> {
    let mut found = Vec::new();
    let mapped_by_tags =
        |name: &str| config.alarm_tag_mapping && outside_prefix(name, config).is_none();
    for alarm in listed.tagged.iter().filter(|a| mapped_by_tags(&a.name)) {
        let Some(app) = alarm
            .tags
            .get(&config.application_tag)
            .filter(|a| !a.is_empty())
        else {
            continue;
        };
        let group = alarm.tags.get(&config.group_tag).map(String::as_str);
        if let Some(why) = missing(listed, app, group) {
            let problem = format!(
                "alarm {} is tagged for {app}{}, but here {why}: it would fail as \
                 DeploymentLookupFailed",
                alarm.name,
                group.map(|g| format!("/{g}")).unwrap_or_default()
            );
            let fix = format!(
                "correct the alarm's {} / {} tags, or remove them",
                config.application_tag, config.group_tag
            );
            found.push(finding(Kind::DanglingTag, Some(scan), problem, fix));
        }
    }
    found
}

/// A rule that matches no alarm anywhere, and a rule whose target does not exist where it
/// maps the alarms it matches.
fn rule_findings(scans: &[Scan], index: usize, rule: &AlarmRule, hits: &Hits) -> Vec<Finding> {
    let target = format!(
        "ALARM_RULES entry {index} ({} → {}{})",
        rule.alarm,
        rule.application,
        rule.deployment_group
            .as_deref()
            .map(|g| format!("/{g}"))
            .unwrap_or_default()
    );
    let mut found = Vec::new();
    let matched = (scans.iter()).any(|s| {
        (s.listed.as_ref()).is_ok_and(|l| l.by_rule.get(index).is_some_and(|a| !a.is_empty()))
    });
    if !matched && complete(scans) {
        let problem = format!("{target} matches no alarm in any account and region checked");
        let fix = "correct its alarm glob, or remove the rule".to_string();
        found.push(finding(Kind::RuleMatchesNothing, None, problem, fix));
    }
    let mut targets: Vec<(String, String)> = hits.iter().map(|(to, _)| to.clone()).collect();
    targets.sort();
    targets.dedup();
    for (account, region) in targets {
        let at = scans
            .iter()
            .find(|s| s.location.account.id() == account && s.location.region == region);
        let acts_in = scans.iter().any(|s| s.location.account.id() == account);
        let why = match at.map(|s| &s.listed) {
            // A region outside REGIONS was not looked at: nothing is known there.
            None if acts_in => None,
            None => Some(format!(
                "account {account} is neither the function's own nor in TARGET_ACCOUNTS: the \
                 breaker refuses them"
            )),
            Some(Err(_)) => None,
            Some(Ok(l)) => missing(l, &rule.application, rule.deployment_group.as_deref())
                .map(|why| format!("{why}: they would fail as DeploymentLookupFailed")),
        };
        if let Some(why) = why {
            let problem =
                format!("{target} maps alarms to account {account} region {region}, where {why}");
            let fix = "correct the rule's application, deploymentGroup, account or region, or \
                       remove it (or add the account to TARGET_ACCOUNTS, the region to Regions)";
            found.push(finding(Kind::DanglingRule, at, problem, fix.into()));
        }
    }
    found
}

/// Each `ALLOWED_DEPLOYMENT_GROUPS` entry that matches no group anywhere (judged only when
/// every read in every location went through).
fn scope_findings(config: &Config, scans: &[Scan]) -> Vec<Finding> {
    if !complete(scans) {
        return Vec::new();
    }
    let listed: Vec<(&Scan, &Listed)> = (scans.iter())
        .filter_map(|s| s.listed.as_ref().ok().map(|l| (s, l)))
        .collect();
    let mut found = Vec::new();
    for entry in &config.allowed_groups {
        let any = listed.iter().any(|(scan, l)| {
            (l.applications.iter()).any(|(app, groups)| {
                (groups.iter().flatten()).any(|g| entry.allows(scan.location.account.id(), app, g))
            })
        });
        if !any {
            let name = match &entry.account {
                Some(account) => format!("{account}:{}/{}", entry.application, entry.group),
                None => format!("{}/{}", entry.application, entry.group),
            };
            let problem = format!(
                "ALLOWED_DEPLOYMENT_GROUPS entry {name} matches no deployment group in any \
                 account and region checked"
            );
            let fix = "correct the entry, or remove it".to_string();
            found.push(finding(Kind::ScopeMatchesNothing, None, problem, fix));
        }
    }
    found
}
