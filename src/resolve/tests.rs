use super::*;
use crate::config::AlarmRule;
use crate::signal::{Alarm, CodeDeployEvent, KillSwitch, Scope, Via};
use crate::types::EventKind;
use std::collections::{BTreeMap, BTreeSet};

const OWN: &str = "123456789012";
const TARGET: &str = "222233334444";

fn config() -> Config {
    let rule =
        |alarm: &str, application: &str, group: Option<&str>, region: Option<&str>| AlarmRule {
            alarm: alarm.into(),
            application: application.into(),
            deployment_group: group.map(Into::into),
            region: region.map(Into::into),
            account: None,
        };
    Config {
        alarm_rules: vec![
            rule("checkout-*", "shop", Some("prod"), None),
            rule("*-5xx", "edge", None, Some("eu-west-1")),
            AlarmRule {
                account: Some(TARGET.into()),
                ..rule("team-b-*", "orders", None, None)
            },
        ],
        stop_on: BTreeSet::from([EventKind::InstanceFailure]),
        target_accounts: BTreeSet::from([TARGET.into()]),
        ..Config::for_tests()
    }
}

fn now() -> Time {
    Time::parse("2026-11-30T10:20:00Z").unwrap()
}

fn context() -> Invoked<'static> {
    Invoked {
        now: now(),
        account: OWN,
    }
}

/// [`super::requests`] at the time the handler counts the signal as having happened.
fn requests(
    signal: &Signal,
    invoked: &Invoked,
    config: &Config,
) -> Result<Vec<StopRequest>, NotActed> {
    super::requests(signal, signal_time(signal, invoked.now).0, invoked, config).map_err(|held| {
        match held {
            Held::Ignored(ignored) | Held::Refused(ignored) => ignored,
            Held::Dropped(dropped) => dropped.ignored,
        }
    })
}

fn signal(what: What) -> Signal {
    Signal {
        what,
        time: Some(now().plus_secs(-30)),
        accounts: vec![OWN.into()],
        via: Via::Invoke,
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
            redeploy: false,
            target: group("shop", None),
            reason: "r".into(),
            region: None,
        }),
        time: None,
        accounts: vec![],
        via: Via::Invoke,
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
            redeploy: false,
            target: group("shop", None),
            reason: "bad release".into(),
            region: Some("ap-south-1".into()),
        }),
        time: None,
        accounts: vec![],
        via: Via::Invoke,
    };
    let reqs = requests(&kill, &context(), &config()).unwrap();
    assert_eq!(reqs[0].target, group("shop", None));
    assert_eq!(reqs[0].region, "ap-south-1");
    assert_eq!(reqs[0].reason, "kill switch: bad release");
    assert_eq!(reqs[0].signal.time, now());
}
