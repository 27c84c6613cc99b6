//! The map, from what was read: the alarms that guard each group in scope, and the gaps and
//! dangling mappings, each with what to do about it. Plain data in, plain data out.

use super::report::{Finding, GroupMap, Kind, LocationReport};
use super::scan::{Listed, Scan};
use crate::config::{AlarmRule, Config};
use crate::guards::{sources, with_states, Group};
use crate::types::{Account, AlarmState, AwsError, ASSUME_ROLE_FAILED};

fn finding(kind: Kind, scan: Option<&Scan>, problem: String, fix: String) -> Finding {
    Finding {
        kind,
        account: scan.map(|s| s.location.account.id().to_string()),
        region: scan.map(|s| s.location.region.clone()),
        problem,
        fix,
    }
}

/// Where a rule maps the alarms it matched in one location: (account, region) and the alarms,
/// as the breaker maps them. An alarm with the application tag is mapped by its tags, never by a
/// rule; a rule naming an account maps only that account's alarms or the function's own.
type Hits = Vec<((String, String), Vec<AlarmState>)>;

fn rule_hits(config: &Config, scans: &[Scan], index: usize) -> Hits {
    let rule = &config.alarm_rules[index];
    let mut hits: Hits = Vec::new();
    for scan in scans {
        let Ok(listed) = &scan.listed else { continue };
        let here = scan.location.account.id();
        let account = rule.account.clone().unwrap_or_else(|| here.to_string());
        let own = matches!(scan.location.account, Account::Own(_));
        if account != here && !own {
            continue;
        }
        let tagged = |name: &str| {
            (listed.tagged.iter()).any(|t| {
                t.name == name
                    && t.tags
                        .get(&config.application_tag)
                        .is_some_and(|a| !a.is_empty())
            })
        };
        let alarms: Vec<AlarmState> = (listed.by_rule.get(index).into_iter().flatten())
            .filter(|a| !tagged(&a.name))
            .cloned()
            .collect();
        if alarms.is_empty() {
            continue;
        }
        let region = rule
            .region
            .clone()
            .unwrap_or_else(|| scan.location.region.clone());
        hits.push(((account, region), alarms));
    }
    hits
}

/// Whether everything was read in every location: what matches nothing is judged only then.
fn complete(scans: &[Scan]) -> bool {
    (scans.iter()).all(|s| s.listed.as_ref().is_ok_and(|l| l.errors.is_empty()))
}

/// The report of each location, and every finding.
pub fn map(config: &Config, scans: &[Scan]) -> (Vec<LocationReport>, Vec<Finding>) {
    let hits: Vec<Hits> = (0..config.alarm_rules.len())
        .map(|index| rule_hits(config, scans, index))
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
                let groups = guarded(config, scan, listed, &hits, &mut findings);
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
                   function's role (FunctionRoleArn), or take the account out of TARGET_ACCOUNTS";
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

/// Each group in scope with its guards; an unguarded group and an alarm the group lists that
/// CloudWatch does not know are findings, when every read there went through.
fn guarded(
    config: &Config,
    scan: &Scan,
    l: &Listed,
    hits: &[Hits],
    out: &mut Vec<Finding>,
) -> Vec<GroupMap> {
    let (account, region) = (scan.location.account.id(), scan.location.region.as_str());
    let here = (account.to_string(), region.to_string());
    let rule_alarms: Vec<(&AlarmRule, Vec<AlarmState>)> = (config.alarm_rules.iter())
        .zip(hits)
        .map(|(rule, hits)| {
            let alarms = (hits.iter()).filter(|(to, _)| *to == here);
            (rule, alarms.flat_map(|(_, a)| a.iter().cloned()).collect())
        })
        .collect();
    let mut states = l.states.clone();
    let matched =
        (rule_alarms.iter().flat_map(|(_, alarms)| alarms)).chain(l.by_rule.iter().flatten());
    states.extend(matched.map(|a| (a.name.clone(), a.clone())));
    let judged = l.errors.is_empty();
    let mut groups = Vec::new();
    for seen in &l.groups {
        let group = Group {
            account,
            region,
            application: &seen.application,
            group: &seen.group,
        };
        let sources = sources(config, group, &rule_alarms, &l.tagged, &seen.alarms);
        let name = format!("{}/{}", seen.application, seen.group);
        let unknown = seen
            .alarms
            .iter()
            .filter(|a| judged && !states.contains_key(*a));
        for missing in unknown {
            let problem = format!(
                "deployment group {name} lists alarm {missing}, which CloudWatch does not know"
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
            let problem = format!("deployment group {name} is in scope, but no alarm guards it");
            let fix = format!(
                "tag its alarms {}={} ({}={} for this group only), add an ALARM_RULES entry, or \
                 list them in the group's alarm configuration",
                config.application_tag, seen.application, config.group_tag, seen.group
            );
            out.push(finding(Kind::UnguardedGroup, Some(scan), problem, fix));
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

fn dangling_tags(config: &Config, scan: &Scan, listed: &Listed) -> Vec<Finding> {
    let mut found = Vec::new();
    for alarm in &listed.tagged {
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
