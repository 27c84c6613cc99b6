//! Normalised signals → the deployments they ask to stop. Pure: plain data in and out.
//!
//! [`requests`] decides whether a signal calls for action (its origin, its age, its state) and
//! what it targets, in which account and region; the handler looks the targets up in
//! CodeDeploy, and [`crate::candidates`] merges what was found.

use serde::Serialize;

use crate::aws::Account;
use crate::config::Config;
use crate::decide::CLOCK_SKEW_SECS;
use crate::glob::matches;
use crate::signal::{Alarm, Ignored, Scope, Signal, Target, What};
use crate::time::Time;

/// What the handler knows about the invocation a signal arrived in.
#[derive(Clone, Copy, Debug)]
pub struct Context<'a> {
    /// When the invocation started.
    pub now: Time,
    /// The function's own account, from its ARN.
    pub account: &'a str,
}

/// The kind of a signal, as notifications name it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum SignalKind {
    #[serde(rename = "alarm")]
    Alarm,
    #[serde(rename = "codedeploy")]
    CodeDeploy,
    #[serde(rename = "kill_switch")]
    KillSwitch,
}

/// What a signal was, for reports, notifications and metrics.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SignalSummary {
    pub kind: SignalKind,
    /// The alarm's name, the CodeDeploy event (`instance Failed event for d-…`), or the kill
    /// switch's reason.
    pub name: String,
    /// When it happened (see [`signal_time`]).
    pub time: Time,
}

impl SignalSummary {
    fn of(signal: &Signal, time: Time) -> SignalSummary {
        let (kind, name) = match &signal.what {
            What::Alarm(alarm) => (SignalKind::Alarm, alarm.name.clone()),
            What::CodeDeploy(event) => {
                let scope = match event.scope {
                    Scope::Deployment => "deployment",
                    Scope::Instance => "instance",
                };
                let name = format!("{scope} {} event for {}", event.state, event.deployment_id);
                (SignalKind::CodeDeploy, name)
            }
            What::KillSwitch(kill) => (SignalKind::KillSwitch, kill.reason.clone()),
        };
        SignalSummary { kind, name, time }
    }

    /// A short name for reports and logs, as [`Signal::label`] gives it.
    pub fn label(&self) -> String {
        match self.kind {
            SignalKind::Alarm => format!("alarm {}", self.name),
            SignalKind::CodeDeploy => format!("CodeDeploy {}", self.name),
            SignalKind::KillSwitch => "kill switch".into(),
        }
    }
}

/// A request to stop a target, in one account and region, and the signal that asked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StopRequest {
    pub target: Target,
    pub account: Account,
    pub region: String,
    /// Which signal caused it, e.g. `alarm checkout-5xx entered ALARM`.
    pub reason: String,
    pub signal: SignalSummary,
}

/// When a signal counts as having happened, and a note for the log when that is not what the
/// payload says: a time that cannot be read counts as `now`, and so does one a little ahead of
/// this function's clock (see [`requests`] for one further ahead).
pub fn signal_time(signal: &Signal, now: Time) -> (Time, Option<&'static str>) {
    match signal.time {
        Some(time) => (time.min(now), None),
        None if matches!(signal.what, What::KillSwitch(_)) => (now, None),
        None => (now, Some("no readable time in the payload: taken as now")),
    }
}

/// The account `id` as one the function may act in: its own, or one of `TARGET_ACCOUNTS`.
fn account(id: &str, context: &Context, config: &Config) -> Result<Account, String> {
    if id == context.account {
        Ok(Account::Own(id.into()))
    } else if config.target_accounts.contains(id) {
        Ok(Account::Target(id.into()))
    } else {
        Err(format!(
            "foreign account {id}: this function acts only for its own account {} and \
             TARGET_ACCOUNTS",
            context.account
        ))
    }
}

/// The account a signal comes from and acts in: the one its payload names (the function's own
/// when it names none); a signal naming several is of doubtful origin.
fn origin(signal: &Signal, context: &Context, config: &Config) -> Result<Account, String> {
    for claimed in &signal.accounts {
        account(claimed, context, config)?;
    }
    match signal.accounts.as_slice() {
        [] => Ok(Account::Own(context.account.into())),
        [one] => account(one, context, config),
        several => Err(format!(
            "the payload names several accounts ({}): its origin is in doubt",
            several.join(", ")
        )),
    }
}

/// What a signal asks to stop, or why it asks for nothing: a signal from an account the
/// function may not act for, one older than `MAX_SIGNAL_AGE` or dated further ahead than clocks
/// drift apart, or one whose content calls for nothing.
pub fn requests(
    signal: &Signal,
    context: &Context,
    config: &Config,
) -> Result<Vec<StopRequest>, Ignored> {
    let ignored = |reason: String| Ignored {
        signal: signal.label(),
        reason,
    };
    let origin = origin(signal, context, config).map_err(ignored)?;
    if let Some(future) = signal.time {
        let ahead = future.secs_since(context.now);
        if ahead > CLOCK_SKEW_SECS {
            return Err(ignored(format!(
                "dated in the future: happened at {future}, {ahead} s ahead of this function's \
                 clock (more than the {CLOCK_SKEW_SECS} s clocks may drift apart)"
            )));
        }
    }
    let (time, _) = signal_time(signal, context.now);
    let age = context.now.secs_since(time);
    if let Some(max) = config.max_signal_age.filter(|max| age > *max) {
        return Err(ignored(format!(
            "stale: happened at {time}, {age} s ago, more than MAX_SIGNAL_AGE ({max} s)"
        )));
    }
    let summary = SignalSummary::of(signal, time);
    let request =
        |target: Target, account: Account, region: Option<&str>, reason: String| StopRequest {
            target,
            account,
            region: region.unwrap_or(&config.default_region).to_string(),
            reason,
            signal: summary.clone(),
        };
    match &signal.what {
        What::Alarm(alarm) => {
            let reason = format!("alarm {} entered ALARM", alarm.name);
            let mut requests = Vec::new();
            let targets = alarm_targets(alarm, &origin, config).map_err(ignored)?;
            for (target, region, rule_account) in targets {
                let account = match rule_account {
                    None => origin.clone(),
                    Some(id) => account(id, context, config)
                        .map_err(|why| ignored(format!("an ALARM_RULES rule names a {why}")))?,
                };
                requests.push(request(target, account, region, reason.clone()));
            }
            Ok(requests)
        }
        What::CodeDeploy(event) => match event.kind {
            Some(kind) if config.stop_on.contains(&kind) => Ok(vec![request(
                Target::Deployment(event.deployment_id.clone()),
                origin,
                event.region.as_deref(),
                format!("CodeDeploy {kind} event for {}", event.deployment_id),
            )]),
            Some(kind) => Err(ignored(format!(
                "{kind} is not in STOP_ON_CODEDEPLOY_EVENTS"
            ))),
            None => Err(ignored(format!(
                "state {} is not a stop trigger",
                event.state
            ))),
        },
        What::KillSwitch(kill) => Ok(vec![request(
            kill.target.clone(),
            origin,
            kill.region.as_deref(),
            format!("kill switch: {}", kill.reason),
        )]),
    }
}

/// A target, with the region and account a rule names (else the alarm's).
type AlarmTarget<'a> = (Target, Option<&'a str>, Option<&'a str>);

/// An alarm acts only on entering ALARM with its actions not suppressed (or on its actions
/// running at last, when a composite alarm's suppression ends), and maps to targets by the
/// first source that applies: a `DeploymentId` dimension, the alarm's tags, then `ALARM_RULES`
/// (a rule that names an account only for alarms of that account or the function's own).
fn alarm_targets<'a>(
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{AlarmRule, AllowedGroups, EventKind};
    use crate::signal::{CodeDeployEvent, KillSwitch, Scope};
    use std::collections::{BTreeMap, BTreeSet};

    const OWN: &str = "123456789012";
    const TARGET: &str = "222233334444";

    fn config() -> Config {
        Config {
            default_region: "us-east-1".into(),
            allowed_groups: vec![AllowedGroups {
                account: None,
                application: "*".into(),
                group: "*".into(),
            }],
            alarm_rules: vec![
                AlarmRule {
                    alarm: "checkout-*".into(),
                    application: "shop".into(),
                    deployment_group: Some("prod".into()),
                    region: None,
                    account: None,
                },
                AlarmRule {
                    alarm: "*-5xx".into(),
                    application: "edge".into(),
                    deployment_group: None,
                    region: Some("eu-west-1".into()),
                    account: None,
                },
                AlarmRule {
                    alarm: "team-b-*".into(),
                    application: "orders".into(),
                    deployment_group: None,
                    region: None,
                    account: Some(TARGET.into()),
                },
            ],
            application_tag: "codedeploy-application".into(),
            group_tag: "codedeploy-deployment-group".into(),
            stop_on: BTreeSet::from([EventKind::InstanceFailure]),
            dry_run: false,
            auto_rollback: true,
            max_signal_age: Some(3600),
            local_account: None,
            warm_up: false,
            target_accounts: BTreeSet::from([TARGET.into()]),
            target_role_name: "deployment-circuit-breaker-target".into(),
            notify: false,
            notify_event_bus: "default".into(),
            function_name: "breaker".into(),
        }
    }

    fn now() -> Time {
        Time::parse("2026-11-30T10:20:00Z").unwrap()
    }

    fn context() -> Context<'static> {
        Context {
            now: now(),
            account: OWN,
        }
    }

    fn signal(what: What) -> Signal {
        Signal {
            what,
            time: Some(now().plus_secs(-30)),
            accounts: vec![OWN.into()],
        }
    }

    fn alarm(name: &str, state: &str, previous: Option<&str>) -> Alarm {
        Alarm {
            name: name.into(),
            state: state.into(),
            previous_state: previous.map(Into::into),
            region: Some("us-west-2".into()),
            tags: BTreeMap::new(),
            deployment_ids: vec![],
            actions_suppressed_by: None,
            previous_actions_suppressed_by: None,
        }
    }

    fn targets(signal: Signal) -> Result<Vec<(Target, String)>, String> {
        requests(&signal, &context(), &config())
            .map(|rs| rs.into_iter().map(|r| (r.target, r.region)).collect())
            .map_err(|i| i.reason)
    }

    fn alarm_targets(alarm: Alarm) -> Result<Vec<(Target, String)>, String> {
        targets(signal(What::Alarm(alarm)))
    }

    fn group(application: &str, group: Option<&str>) -> Target {
        Target::Group {
            application: application.into(),
            group: group.map(Into::into),
        }
    }

    #[test]
    fn alarms_act_only_on_entering_alarm() {
        let ok = alarm_targets(alarm("checkout-5xx", "OK", Some("ALARM")));
        assert_eq!(ok.unwrap_err(), "state is OK, not ALARM");
        let data = alarm_targets(alarm("checkout-5xx", "INSUFFICIENT_DATA", None));
        assert_eq!(data.unwrap_err(), "state is INSUFFICIENT_DATA, not ALARM");
        let again = alarm_targets(alarm("checkout-5xx", "ALARM", Some("ALARM")));
        assert!(again.unwrap_err().contains("already in ALARM"));
        assert!(alarm_targets(alarm("checkout-5xx", "ALARM", None)).is_ok());
        let from_data = alarm("checkout-5xx", "ALARM", Some("INSUFFICIENT_DATA"));
        assert!(alarm_targets(from_data).is_ok());
    }

    #[test]
    fn suppressed_alarms_are_ignored_naming_what_suppressed_them() {
        let mut a = alarm("checkout-5xx", "ALARM", Some("OK"));
        a.actions_suppressed_by = Some("WaitPeriod".into());
        assert_eq!(
            alarm_targets(a).unwrap_err(),
            "actions suppressed (WaitPeriod)"
        );
    }

    #[test]
    fn signals_from_another_account_are_ignored() {
        let mut s = signal(What::Alarm(alarm("checkout-5xx", "ALARM", Some("OK"))));
        s.accounts = vec![OWN.into(), "999988887777".into()];
        let reason = targets(s.clone()).unwrap_err();
        assert!(
            reason.starts_with("foreign account 999988887777"),
            "{reason}"
        );
        s.accounts = vec![];
        assert!(
            targets(s).is_ok(),
            "a payload naming no account is the function's own"
        );
    }

    #[test]
    fn signals_from_a_target_account_act_there() {
        let mut s = signal(What::Alarm(alarm("checkout-5xx", "ALARM", Some("OK"))));
        s.accounts = vec![TARGET.into()];
        let reqs = requests(&s, &context(), &config()).unwrap();
        assert!(reqs
            .iter()
            .all(|r| r.account == Account::Target(TARGET.into())));
        s.accounts = vec![TARGET.into(), OWN.into()];
        let reason = targets(s).unwrap_err();
        assert!(reason.contains("names several accounts"), "{reason}");
    }

    #[test]
    fn a_rule_may_act_in_a_target_account() {
        let reqs = requests(
            &signal(What::Alarm(alarm("team-b-latency", "ALARM", Some("OK")))),
            &context(),
            &config(),
        )
        .unwrap();
        assert_eq!(reqs.len(), 1);
        assert_eq!(reqs[0].account, Account::Target(TARGET.into()));
        assert_eq!(reqs[0].target, group("orders", None));
        let mut third = signal(What::Alarm(alarm("team-b-latency", "ALARM", Some("OK"))));
        third.accounts = vec!["333344445555".into()];
        let mut listed = config();
        listed.target_accounts.insert("333344445555".into());
        let ignored = requests(&third, &context(), &listed).unwrap_err();
        assert_eq!(
            ignored.reason, "unmapped alarm team-b-latency",
            "a rule naming team B serves its alarms and central ones, not a third account's"
        );
        let mut unlisted = config();
        unlisted.target_accounts.clear();
        let s = signal(What::Alarm(alarm("team-b-latency", "ALARM", Some("OK"))));
        let ignored = requests(&s, &context(), &unlisted).unwrap_err();
        assert!(
            ignored
                .reason
                .starts_with("an ALARM_RULES rule names a foreign account 222233334444"),
            "{}",
            ignored.reason
        );
    }

    #[test]
    fn old_signals_are_stale_and_say_their_age() {
        let mut s = signal(What::Alarm(alarm("checkout-5xx", "ALARM", Some("OK"))));
        s.time = Some(now().plus_secs(-3601));
        let reason = targets(s.clone()).unwrap_err();
        assert_eq!(
            reason,
            "stale: happened at 2026-11-30T09:19:59.000Z, 3601 s ago, more than \
             MAX_SIGNAL_AGE (3600 s)"
        );
        s.time = Some(now().plus_secs(-3600));
        assert!(targets(s.clone()).is_ok());
        let mut unlimited = config();
        unlimited.max_signal_age = None;
        s.time = Some(now().plus_secs(-86_400 * 30));
        assert!(requests(&s, &context(), &unlimited).is_ok());
    }

    #[test]
    fn unreadable_times_and_times_a_little_ahead_count_as_now() {
        let mut s = signal(What::Alarm(alarm("checkout-5xx", "ALARM", Some("OK"))));
        s.time = None;
        let (time, note) = signal_time(&s, now());
        assert_eq!(time, now());
        assert!(note.unwrap().contains("no readable time"));
        s.time = Some(now().plus_secs(CLOCK_SKEW_SECS));
        assert_eq!(signal_time(&s, now()), (now(), None));
        let requests = requests(&s, &context(), &config()).unwrap();
        assert_eq!(requests[0].signal.time, now());
        let kill = Signal {
            what: What::KillSwitch(KillSwitch {
                target: group("shop", None),
                reason: "r".into(),
                region: None,
            }),
            time: None,
            accounts: vec![],
        };
        assert_eq!(signal_time(&kill, now()), (now(), None));
    }

    #[test]
    fn a_signal_dated_further_ahead_than_clocks_drift_is_held() {
        let mut s = signal(What::Alarm(alarm("checkout-5xx", "ALARM", Some("OK"))));
        s.time = Some(now().plus_secs(CLOCK_SKEW_SECS + 1));
        let reason = targets(s).unwrap_err();
        assert_eq!(
            reason,
            "dated in the future: happened at 2026-11-30T10:21:01.000Z, 61 s ahead of this \
             function's clock (more than the 60 s clocks may drift apart)"
        );
    }

    #[test]
    fn a_composite_alarm_acts_when_its_suppression_ends() {
        let mut a = alarm("checkout-5xx", "ALARM", Some("ALARM"));
        a.previous_actions_suppressed_by = Some("WaitPeriod".into());
        assert!(alarm_targets(a.clone()).is_ok());
        a.actions_suppressed_by = Some("ExtensionPeriod".into());
        assert_eq!(
            alarm_targets(a).unwrap_err(),
            "actions suppressed (ExtensionPeriod)"
        );
    }

    #[test]
    fn dimension_wins_over_tags_and_rules() {
        let mut a = alarm("checkout-5xx", "ALARM", Some("OK"));
        a.deployment_ids = vec!["d-AAAAAAAAA".into(), "d-BBBBBBBBB".into()];
        a.tags
            .insert("codedeploy-application".into(), "tagged".into());
        assert_eq!(
            alarm_targets(a).unwrap(),
            vec![
                (Target::Deployment("d-AAAAAAAAA".into()), "us-west-2".into()),
                (Target::Deployment("d-BBBBBBBBB".into()), "us-west-2".into()),
            ]
        );
    }

    #[test]
    fn tags_win_over_rules() {
        let mut a = alarm("checkout-5xx", "ALARM", Some("OK"));
        a.tags
            .insert("codedeploy-application".into(), "tagged".into());
        a.tags
            .insert("codedeploy-deployment-group".into(), "blue".into());
        assert_eq!(
            alarm_targets(a.clone()).unwrap(),
            vec![(group("tagged", Some("blue")), "us-west-2".into())]
        );
        a.tags.remove("codedeploy-deployment-group");
        assert_eq!(
            alarm_targets(a).unwrap(),
            vec![(group("tagged", None), "us-west-2".into())]
        );
    }

    #[test]
    fn every_matching_rule_counts() {
        assert_eq!(
            alarm_targets(alarm("checkout-5xx", "ALARM", Some("OK"))).unwrap(),
            vec![
                (group("shop", Some("prod")), "us-west-2".into()),
                (group("edge", None), "eu-west-1".into()),
            ]
        );
    }

    #[test]
    fn unmapped_alarms_are_ignored_with_their_name() {
        let s = signal(What::Alarm(alarm("disk-full", "ALARM", Some("OK"))));
        let ignored = requests(&s, &context(), &config()).unwrap_err();
        assert_eq!(ignored.reason, "unmapped alarm disk-full");
        assert_eq!(ignored.signal, "alarm disk-full");
    }

    #[test]
    fn alarm_without_region_uses_the_function_region() {
        let mut a = alarm("checkout-1", "ALARM", Some("OK"));
        a.region = None;
        assert_eq!(
            alarm_targets(a).unwrap(),
            vec![(group("shop", Some("prod")), "us-east-1".into())]
        );
    }

    #[test]
    fn codedeploy_events_stop_only_listed_kinds() {
        let event = |kind, state: &str| {
            signal(What::CodeDeploy(CodeDeployEvent {
                deployment_id: "d-AAAAAAAAA".into(),
                scope: Scope::Instance,
                state: state.into(),
                kind,
                region: None,
            }))
        };
        let failed = event(Some(EventKind::InstanceFailure), "Failed");
        let reqs = requests(&failed, &context(), &config()).unwrap();
        assert_eq!(reqs[0].target, Target::Deployment("d-AAAAAAAAA".into()));
        assert_eq!(reqs[0].region, "us-east-1");
        assert_eq!(reqs[0].account, Account::Own(OWN.into()));
        assert_eq!(
            reqs[0].reason,
            "CodeDeploy InstanceFailure event for d-AAAAAAAAA"
        );
        let ready = targets(event(Some(EventKind::InstanceReady), "Ready")).unwrap_err();
        assert_eq!(ready, "InstanceReady is not in STOP_ON_CODEDEPLOY_EVENTS");
        let success = targets(event(None, "Succeeded")).unwrap_err();
        assert_eq!(success, "state Succeeded is not a stop trigger");
    }

    #[test]
    fn kill_switch_targets_what_it_names_now() {
        let kill = Signal {
            what: What::KillSwitch(KillSwitch {
                target: group("shop", None),
                reason: "bad release".into(),
                region: Some("ap-south-1".into()),
            }),
            time: None,
            accounts: vec![],
        };
        let reqs = requests(&kill, &context(), &config()).unwrap();
        assert_eq!(reqs[0].target, group("shop", None));
        assert_eq!(reqs[0].region, "ap-south-1");
        assert_eq!(reqs[0].reason, "kill switch: bad release");
        assert_eq!(reqs[0].signal.time, now());
    }
}
