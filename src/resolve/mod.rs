//! Normalised signals → the deployments they ask to stop. Pure: plain data in and out.
//!
//! [`requests`] decides whether a signal calls for action (its origin, its age, its state) and
//! what it targets, in which account and region; the handler looks the targets up in
//! CodeDeploy, and the candidates step merges what was found.

mod alarm;
mod origin;

use crate::config::{Config, JudgeMode};
use crate::mapping::outside_prefix;
use crate::signal::{Scope, Signal, Target, What};
use crate::time::Time;
use crate::types::{Account, EventKind, NotActed, SignalSummary, CLOCK_SKEW_SECS};
use alarm::alarm_targets;
pub use origin::account;
use origin::{origin, Doubt};

/// What the handler knows about the invocation a signal arrived in.
#[derive(Clone, Copy, Debug)]
pub struct Invoked<'a> {
    /// When the invocation started.
    pub now: Time,
    /// The function's own account, from its ARN.
    pub account: &'a str,
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
/// this function's clock (see [`timely`] for one further ahead).
pub fn signal_time(signal: &Signal, now: Time) -> (Time, Option<&'static str>) {
    match signal.time {
        Some(time) => (time.min(now), None),
        None if matches!(signal.what, What::KillSwitch(_)) => (now, None),
        None => (now, Some("no readable time in the payload: taken as now")),
    }
}

/// Why a signal asks for no stop.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Held {
    /// It calls for nothing, or its origin or time is in doubt: reported as ignored.
    Ignored(NotActed),
    /// Whoever asked may not ask for it: the invocation fails (a function URL answers 403)
    /// with a reason that says how to allow it.
    Refused(NotActed),
    /// An alarm in ALARM that arrived later than `MAX_SIGNAL_AGE` (after throttled retries,
    /// say): ignored, and told to people, since nobody acted on a real alarm.
    Dropped(Box<Dropped>),
}

/// An alarm dropped as stale: why, what it was, and how old.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Dropped {
    pub ignored: NotActed,
    pub signal: SignalSummary,
    pub age_secs: i64,
}

/// A deployment the canary judge is asked to watch, by CodeDeploy's START of it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JudgeStart {
    pub deployment_id: String,
    pub account: Account,
    pub region: String,
    /// The signal, as reports name it.
    pub signal: String,
}

/// The deployment a signal asks the canary judge to watch: a deployment's START, unless `JUDGE`
/// is `off` (`None` for any other signal). Its origin and time are held to what any signal's
/// are.
pub fn judge_start(
    signal: &Signal,
    time: Time,
    invoked: &Invoked,
    config: &Config,
) -> Option<Result<JudgeStart, Held>> {
    let What::CodeDeploy(event) = &signal.what else {
        return None;
    };
    let start = event.scope == Scope::Deployment && event.kind == Some(EventKind::DeploymentStart);
    if !start || config.judge == JudgeMode::Off {
        return None;
    }
    let summary = signal.summary(time);
    let admitted = admitted(signal, time, &summary, invoked, config);
    Some(admitted.map(|account| JudgeStart {
        deployment_id: event.deployment_id.clone(),
        account,
        region: (event.region.clone()).unwrap_or_else(|| config.own_region.clone()),
        signal: summary.label,
    }))
}

/// What a signal, counted as having happened at `time` (see [`signal_time`]), asks to stop, or
/// why it asks for nothing: a signal from an account the function may not act for, one that is
/// not [`timely`], or one whose content calls for nothing; refused, one asked by whom may not.
pub fn requests(
    signal: &Signal,
    time: Time,
    invoked: &Invoked,
    config: &Config,
) -> Result<Vec<StopRequest>, Held> {
    let summary = signal.summary(time);
    let ignored = |reason: String| {
        Held::Ignored(NotActed {
            signal: summary.label.clone(),
            reason,
        })
    };
    let origin = admitted(signal, time, &summary, invoked, config)?;
    let request =
        |target: Target, account: Account, region: Option<&str>, reason: String| StopRequest {
            target,
            account,
            region: region.unwrap_or(&config.own_region).to_string(),
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
                    Some(id) => account(id, invoked.account, config)
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
            format!("{}: {}", summary.label, kill.reason),
        )]),
    }
}

/// The account a signal acts in, when it may act at all: its origin is vouched for (see
/// [`origin`]) and it is [`timely`].
fn admitted(
    signal: &Signal,
    time: Time,
    summary: &SignalSummary,
    invoked: &Invoked,
    config: &Config,
) -> Result<Account, Held> {
    let held = |reason: String| NotActed {
        signal: summary.label.clone(),
        reason,
    };
    let origin = origin(signal, invoked.account, config).map_err(|doubt| match doubt {
        Doubt::Ignore(reason) => Held::Ignored(held(reason)),
        Doubt::Refuse(reason) => Held::Refused(held(reason)),
    })?;
    // Outside ALARM_NAME_PREFIX, an alarm is nothing to the function: not even a stale one to tell.
    if let What::Alarm(alarm) = &signal.what {
        if let Some(why) = outside_prefix(&alarm.name, config) {
            return Err(Held::Ignored(held(why)));
        }
    }
    timely(signal, time, invoked.now, config).map_err(|(reason, stale)| match stale {
        Some(age_secs) if matches!(&signal.what, What::Alarm(a) if a.state == "ALARM") => {
            Held::Dropped(Box::new(Dropped {
                ignored: held(reason),
                signal: summary.clone(),
                age_secs,
            }))
        }
        _ => Held::Ignored(held(reason)),
    })?;
    Ok(origin)
}

/// Whether a signal counted as happening at `time` is on time: dated no further ahead of `now`
/// than clocks drift apart, and no older than `MAX_SIGNAL_AGE`. When not, why, and for a stale
/// one its age in seconds.
fn timely(
    signal: &Signal,
    time: Time,
    now: Time,
    config: &Config,
) -> Result<(), (String, Option<i64>)> {
    if let Some(future) = signal.time {
        let ahead = future.secs_since(now);
        if ahead > CLOCK_SKEW_SECS {
            let reason = format!(
                "dated in the future: happened at {future}, {ahead} s ahead of this function's \
                 clock (more than the {CLOCK_SKEW_SECS} s clocks may drift apart)"
            );
            return Err((reason, None));
        }
    }
    let age = now.secs_since(time);
    match config.max_signal_age.filter(|max| age > *max) {
        Some(max) => Err((
            format!("stale: happened at {time}, {age} s ago, more than MAX_SIGNAL_AGE ({max} s)"),
            Some(age),
        )),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests;
