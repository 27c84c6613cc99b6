//! What the guarding alarms say of a deployment: each judged against the time it was created.

use serde::Serialize;

use crate::guards::Guard;
use crate::time::Time;
use crate::types::CLOCK_SKEW_SECS;

/// What one alarm means for the deployment.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Judgement {
    /// In ALARM since after the deployment was created: it fails the hook.
    EnteredAlarm,
    /// In ALARM since before the deployment (or since when, CloudWatch does not say): the
    /// deployment may be the fix, so it is reported and lets it through.
    AlreadyInAlarm,
    /// In ALARM with its actions suppressed: it does not act, so neither does the gate.
    Suppressed,
    /// Not in ALARM.
    Quiet,
}

/// One guarding alarm and what it means.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Judged {
    #[serde(flatten)]
    pub guard: Guard,
    pub judgement: Judgement,
}

/// Judges each guard for a deployment created at `created`.
pub fn judge(guards: Vec<Guard>, created: Time) -> Vec<Judged> {
    let since = created.plus_secs(-CLOCK_SKEW_SECS);
    guards
        .into_iter()
        .map(|guard| {
            let alarm = &guard.alarm;
            let judgement = if !alarm.state.eq_ignore_ascii_case("ALARM") {
                Judgement::Quiet
            } else if alarm.suppressed_by.is_some() {
                Judgement::Suppressed
            } else if alarm.transitioned.is_some_and(|t| t > since) {
                Judgement::EnteredAlarm
            } else {
                Judgement::AlreadyInAlarm
            };
            Judged { guard, judgement }
        })
        .collect()
}

/// The alarms that fail the hook.
pub fn failing(judged: &[Judged]) -> impl Iterator<Item = &Judged> {
    judged
        .iter()
        .filter(|j| j.judgement == Judgement::EnteredAlarm)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::{AlarmState, GuardSource};

    fn guard(state: &str, transitioned: Option<Time>, suppressed: bool) -> Guard {
        Guard {
            alarm: AlarmState {
                name: "a".into(),
                kind: "MetricAlarm",
                state: state.into(),
                transitioned,
                suppressed_by: suppressed.then(|| "WaitPeriod".into()),
            },
            sources: vec![GuardSource::Tags],
        }
    }

    #[test]
    fn only_an_alarm_entered_since_the_deployment_began_fails_it() {
        let created = Time::parse("2026-12-03T10:00:00Z").unwrap();
        let at = |secs| Some(created.plus_secs(secs));
        let cases = [
            (guard("ALARM", at(30), false), Judgement::EnteredAlarm),
            (
                guard("ALARM", at(-CLOCK_SKEW_SECS + 1), false),
                Judgement::EnteredAlarm,
            ),
            (
                guard("ALARM", at(-CLOCK_SKEW_SECS), false),
                Judgement::AlreadyInAlarm,
            ),
            (guard("ALARM", at(-3600), false), Judgement::AlreadyInAlarm),
            (guard("ALARM", None, false), Judgement::AlreadyInAlarm),
            (guard("ALARM", at(30), true), Judgement::Suppressed),
            (guard("OK", at(30), false), Judgement::Quiet),
            (guard("INSUFFICIENT_DATA", at(30), false), Judgement::Quiet),
        ];
        for (guard, expected) in cases {
            let judged = judge(vec![guard.clone()], created);
            assert_eq!(judged[0].judgement, expected, "{guard:?}");
        }
    }
}
