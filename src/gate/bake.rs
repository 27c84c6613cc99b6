//! The bake: after the last traffic shift, the guarding alarms are watched for `BAKE_SECONDS`
//! before the hook is answered, and the hook fails the moment one enters ALARM. One
//! DescribeAlarms call per 100 alarms each poll, every 30 s for a bake of five minutes or more:
//! two calls a minute.

use std::collections::BTreeSet;
use std::time::Duration;

use super::report::insufficient_data;
use super::verdict::{failing, judge, Judged};
use crate::aws::{Deadline, GateAws};
use crate::guards::{refresh, Guard};
use crate::time::Time;
use crate::types::AwsError;

/// Polls that may fail in a row before the bake gives up on reading the alarms.
const FAILED_POLLS_LIMIT: u32 = 3;

/// How a watch ended.
#[derive(Debug)]
pub enum Watched {
    /// The bake ended with no alarm entering ALARM.
    Quiet(Vec<Judged>),
    /// An alarm entered ALARM.
    Fired(Vec<Judged>),
    /// The alarms could not be read, [`FAILED_POLLS_LIMIT`] times in a row.
    Broken(AwsError, Vec<Judged>),
    /// This invocation's time is up before the bake's: it goes on in another.
    HandOn(Vec<Judged>),
}

/// How often a bake of `seconds` looks at the alarms: a tenth of it, from 1 s to 30 s.
pub fn poll_interval(seconds: i64) -> Duration {
    Duration::from_secs((seconds / 10).clamp(1, 30) as u64)
}

/// Watches `guards` of a deployment created at `created` until `until`, or until `hand_on`,
/// whichever comes first; returns how it ended, the seconds watched, and the alarms seen in
/// `INSUFFICIENT_DATA` at any poll.
pub async fn watch(
    aws: &GateAws,
    guards: Vec<Guard>,
    created: Time,
    (until, interval): (Time, Duration),
    hand_on: Deadline,
) -> (Watched, i64, BTreeSet<String>) {
    let started = Time::now();
    let mut judged = judge(guards.clone(), created);
    let mut insufficient: BTreeSet<String> = insufficient_data(&judged).collect();
    let mut failed_polls = 0;
    let watched = loop {
        let left = Duration::from_millis(
            until.millis().saturating_sub(Time::now().millis()).max(0) as u64,
        );
        if left.is_zero() {
            break Watched::Quiet(judged);
        }
        let here = hand_on.remaining();
        if here.is_zero() {
            break Watched::HandOn(judged);
        }
        tokio::time::sleep(interval.min(left).min(here)).await;
        match refresh(aws, hand_on, &guards).await {
            Ok(now) => {
                failed_polls = 0;
                judged = judge(now, created);
                insufficient.extend(insufficient_data(&judged));
                if failing(&judged).next().is_some() {
                    break Watched::Fired(judged);
                }
            }
            Err(e) => {
                failed_polls += 1;
                tracing::warn!(error = %e, failed_polls, "could not read the alarms during the bake");
                if failed_polls >= FAILED_POLLS_LIMIT {
                    break Watched::Broken(e, judged);
                }
            }
        }
    };
    (watched, Time::now().secs_since(started), insufficient)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_bake_polls_every_thirty_seconds_a_short_one_more_often() {
        assert_eq!(poll_interval(3300), Duration::from_secs(30));
        assert_eq!(poll_interval(300), Duration::from_secs(30));
        assert_eq!(poll_interval(60), Duration::from_secs(6));
        assert_eq!(poll_interval(3), Duration::from_secs(1));
    }
}
