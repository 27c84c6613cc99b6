//! Normalised signals → the deployments they ask to stop. Pure: plain data in and out.
//!
//! [`requests`] decides whether a signal calls for action (its origin, its age, its state) and
//! what it targets, in which account and region; the handler looks the targets up in
//! CodeDeploy, and the candidates step merges what was found.

mod alarm;

use crate::config::Config;
use crate::signal::{Signal, Target, What};
use crate::time::Time;
use crate::types::{Account, Ignored, SignalSummary, CLOCK_SKEW_SECS};
use alarm::alarm_targets;

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

/// The account `id` as one the function may act in: its own, or one of `TARGET_ACCOUNTS`.
fn account(id: &str, invoked: &Invoked, config: &Config) -> Result<Account, String> {
    if id == invoked.account {
        Ok(Account::Own(id.into()))
    } else if config.target_accounts.contains(id) {
        Ok(Account::Target(id.into()))
    } else {
        Err(format!(
            "foreign account {id}: this function acts only for its own account {} and \
             TARGET_ACCOUNTS",
            invoked.account
        ))
    }
}

/// The account a signal comes from and acts in: the one its payload names (the function's own
/// when it names none); a signal naming several is of doubtful origin.
fn origin(signal: &Signal, invoked: &Invoked, config: &Config) -> Result<Account, String> {
    for claimed in &signal.accounts {
        account(claimed, invoked, config)?;
    }
    match signal.accounts.as_slice() {
        [] => Ok(Account::Own(invoked.account.into())),
        [one] => account(one, invoked, config),
        several => Err(format!(
            "the payload names several accounts ({}): its origin is in doubt",
            several.join(", ")
        )),
    }
}

/// What a signal, counted as having happened at `time` (see [`signal_time`]), asks to stop, or
/// why it asks for nothing: a signal from an account the function may not act for, one that is
/// not [`timely`], or one whose content calls for nothing.
pub fn requests(
    signal: &Signal,
    time: Time,
    invoked: &Invoked,
    config: &Config,
) -> Result<Vec<StopRequest>, Ignored> {
    let summary = signal.summary(time);
    let ignored = |reason: String| Ignored {
        signal: summary.label.clone(),
        reason,
    };
    let origin = origin(signal, invoked, config).map_err(ignored)?;
    timely(signal, time, invoked.now, config).map_err(ignored)?;
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
                    Some(id) => account(id, invoked, config)
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

/// Whether a signal counted as happening at `time` is on time: dated no further ahead of `now`
/// than clocks drift apart, and no older than `MAX_SIGNAL_AGE`.
fn timely(signal: &Signal, time: Time, now: Time, config: &Config) -> Result<(), String> {
    if let Some(future) = signal.time {
        let ahead = future.secs_since(now);
        if ahead > CLOCK_SKEW_SECS {
            return Err(format!(
                "dated in the future: happened at {future}, {ahead} s ahead of this function's \
                 clock (more than the {CLOCK_SKEW_SECS} s clocks may drift apart)"
            ));
        }
    }
    let age = now.secs_since(time);
    match config.max_signal_age.filter(|max| age > *max) {
        Some(max) => Err(format!(
            "stale: happened at {time}, {age} s ago, more than MAX_SIGNAL_AGE ({max} s)"
        )),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests;
