//! Signals → stops: resolution, lookups, the rails and the stops behind them, then the
//! notifications and metrics of what was decided; and the canary judge's watches the signals
//! begin.

use std::collections::BTreeSet;
use std::io::Write;

use futures_util::future::join_all;
use tracing::{error, info, warn};

use crate::act::{act, describe, Acted};
use crate::aws::{Aws, Deadline};
use crate::candidates::{gather, Candidate};
use crate::config::Config;
use crate::report::{Notifications, Report, Watch};
use crate::resolve::{judge_start, requests, signal_time, Held, Invoked, JudgeStart, StopRequest};
use crate::runtime::Invocation;
use crate::signal::Item;
use crate::time::Time;
use crate::types::{EventKind, NotActed, Notification, Outcome};
use crate::{canary, metrics, notify};

/// Runs parsed items (each tagged with its SQS record) through resolution, the rails and the
/// stops, then tells of the decisions that matter and writes the metrics. Lookups, reads and
/// stops run concurrently (the seam bounds the calls in flight). Returns the report and the
/// records whose signals failed.
pub(super) async fn run(
    items: Vec<(usize, Item)>,
    invocation: &Invocation,
    config: &Config,
    aws: &Aws,
    metrics: &mut dyn Write,
) -> (Report, BTreeSet<usize>) {
    let mut report = Report::default();
    let mut failed = BTreeSet::new();
    let (asked, dropped, starts) = resolve_all(items, invocation, config, &mut report);
    let watch = starts
        .iter()
        .map(|(_, start)| canary::start(start, config, aws, invocation.deadline));
    let (judging, acted) = tokio::join!(
        join_all(watch),
        carry_out(asked, invocation, config, aws, (&mut report, &mut failed))
    );
    for ((record, _), judging) in starts.iter().zip(judging) {
        info!(deployment_id = %judging.deployment_id, outcome = ?judging.outcome, reason = %judging.reason, "judge");
        if judging.outcome == Watch::Failed {
            failed.insert(*record);
        }
        report.judging.push(judging);
    }
    let notifications_failed = tell(
        &acted,
        dropped,
        &mut report,
        invocation.deadline,
        config,
        aws,
    )
    .await;
    let now = Time::now();
    let lines = acted.iter().map(|a| metrics::decision(a, now));
    let failures = metrics::failures(report.errors.len(), notifications_failed, now);
    for line in lines.chain(failures) {
        // A metric that cannot be written must not cost the stop's answer.
        let _ = writeln!(metrics, "{line}");
    }
    (report, failed)
}

/// Looks up, reads, and stops (behind the rails) what `asked` asks for, adding every decision
/// to the report and the records of the failed ones to `failed`.
pub(super) async fn carry_out(
    asked: Vec<(usize, StopRequest)>,
    invocation: &Invocation,
    config: &Config,
    aws: &Aws,
    (report, failed): (&mut Report, &mut BTreeSet<usize>),
) -> Vec<Acted> {
    let deadline = invocation.deadline;
    let candidates = find(asked, deadline, config, aws, report, failed).await;
    let described = describe(&candidates, deadline, aws).await;
    let acted = join_all(
        candidates
            .iter()
            .zip(described)
            .map(|(candidate, info)| act(candidate, info, deadline, config, aws)),
    )
    .await;
    for (candidate, acted) in candidates.iter().zip(&acted) {
        let action = &acted.action;
        info!(
            deployment_id = %action.deployment_id,
            account = %action.account,
            region = %action.region,
            outcome = %action.outcome,
            reason = %action.reason,
            "decision"
        );
        if action.outcome == Outcome::Failed {
            failed.extend(candidate.records());
        }
        report.actions.push(action.clone());
    }
    acted
}

/// What the signals ask, each with its SQS record: stops, the notifications of alarms dropped as
/// stale, and deployments for the canary judge to watch.
type Resolved = (
    Vec<(usize, StopRequest)>,
    Vec<Notification>,
    Vec<(usize, JudgeStart)>,
);

/// The stop requests of every signal, each with its SQS record, and the deployments the canary
/// judge is to watch; what asks for nothing goes to the report as ignored (and an alarm dropped
/// as stale, to the notifications returned too).
fn resolve_all(
    items: Vec<(usize, Item)>,
    invocation: &Invocation,
    config: &Config,
    report: &mut Report,
) -> Resolved {
    let invoked = Invoked {
        now: invocation.now,
        account: &invocation.account,
    };
    let (mut asked, mut dropped, mut starts) = (Vec::new(), Vec::new(), Vec::new());
    for (record, item) in items {
        let signal = match item {
            Item::Ignored(ignored) => {
                ignore(report, ignored);
                continue;
            }
            Item::Signal(signal) => signal,
        };
        let (time, note) = signal_time(&signal, invoked.now);
        if let Some(note) = note {
            warn!(signal = %signal.summary(time).label, time = %time, "{note}");
        }
        let asks = match judge_start(&signal, time, &invoked, config) {
            None => requests(&signal, time, &invoked, config),
            Some(start) => {
                starts.extend(start.clone().ok().map(|start| (record, start)));
                // The judge takes a START; only a START that is also a stop trigger asks more.
                match config.stop_on.contains(&EventKind::DeploymentStart) {
                    true => requests(&signal, time, &invoked, config),
                    false => start.map(|_| Vec::new()),
                }
            }
        };
        match asks {
            Ok(found) => asked.extend(found.into_iter().map(|request| (record, request))),
            Err(Held::Ignored(ignored)) => ignore(report, ignored),
            Err(Held::Refused(refused)) => {
                warn!(signal = %refused.signal, reason = %refused.reason, "refused");
                report.refused.push(refused);
            }
            Err(Held::Dropped(late)) => {
                warn!(signal = %late.ignored.signal, reason = %late.ignored.reason, "dropped");
                dropped.push(notify::dropped(&late.ignored, &late.signal, late.age_secs));
                ignore(report, late.ignored);
            }
        }
    }
    (asked, dropped, starts)
}

/// Looks up the deployments each request stands for and merges them into candidates; what
/// found nothing is ignored, and a failed lookup fails its record.
async fn find(
    asked: Vec<(usize, StopRequest)>,
    deadline: Deadline,
    config: &Config,
    aws: &Aws,
    report: &mut Report,
    failed: &mut BTreeSet<usize>,
) -> Vec<Candidate> {
    let found = join_all(asked.iter().map(|(_, request)| {
        let (account, region) = (&request.account, &request.region);
        // A deployment that finished within the window may still be redeployed (see `decide`).
        let since = config
            .rollback_completed_within
            .map(|window| request.signal.time.plus_secs(-window));
        aws.codedeploy
            .deployment_ids(deadline, account, region, &request.target, since)
    }))
    .await;
    let gathered = gather(
        asked
            .into_iter()
            .zip(found)
            .map(|((record, request), lookups)| (record, request, lookups)),
    );
    for ignored in gathered.ignored {
        ignore(report, ignored);
    }
    for (record, lookup) in gathered.errors {
        error!(signal = %lookup.signal, error = %lookup.message, "lookup failed");
        report.errors.push(lookup);
        failed.insert(record);
    }
    gathered.candidates
}

fn ignore(report: &mut Report, ignored: NotActed) {
    info!(signal = %ignored.signal, reason = %ignored.reason, "ignored");
    report.ignored.push(ignored);
}

/// Puts an event on the bus for each decision that matters, each failed lookup and `more` (an
/// alarm dropped as stale, a new verdict of the canary judge) (`NOTIFY`), after the stops, so a failure here never fails or delays one: it is
/// logged, counted in the report, and returned.
pub(super) async fn tell(
    acted: &[Acted],
    more: Vec<Notification>,
    report: &mut Report,
    deadline: Deadline,
    config: &Config,
    aws: &Aws,
) -> usize {
    if !config.notify {
        return 0;
    }
    let mut notifications = notify::notifications(acted);
    notifications.extend(notify::lookup_failures(&report.errors));
    notifications.extend(more);
    if notifications.is_empty() {
        return 0;
    }
    let delivery = aws.events.put(deadline, &notifications).await;
    for error in &delivery.errors {
        warn!(error = %error, "notification failed");
    }
    report.notifications = Some(Notifications {
        sent: delivery.sent,
        failed: delivery.failed,
    });
    delivery.failed
}
