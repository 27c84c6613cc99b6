//! The pipeline for one invocation: payload → signals → deployments to stop → actions → report,
//! notifications and metrics.

use std::collections::BTreeSet;
use std::io::Write;

use aws_lambda_events::sqs::SqsBatchResponse;
use futures_util::future::join_all;
use serde::Serialize;
use tracing::{debug, error, info, warn};

use crate::act::{act, describe};
use crate::aws::{Aws, Deadline};
use crate::candidates::gather;
use crate::config::{is_account, Config};
use crate::report::{Decided, Failure, FailureKind, Notifications, Outcome, Report};
use crate::resolve::{requests, signal_time, Context};
use crate::signal::{parse_bytes, Ignored, Item, Payload};
use crate::time::Time;
use crate::{metrics, notify};

/// What the function returns: a report, or for SQS the partial-batch response.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum Response {
    Report(Report),
    Batch(SqsBatchResponse),
}

/// What the runtime tells about one invocation.
#[derive(Clone, Debug)]
pub struct Invocation {
    /// When to give up on AWS calls.
    pub deadline: Deadline,
    /// The function's own account.
    pub account: String,
    /// When the invocation started.
    pub now: Time,
}

impl Invocation {
    /// An invocation starting now, of the function `function_arn`: its account is the
    /// function's own, else `local_account` (`LOCAL_ACCOUNT`); fails when neither names one.
    pub fn new(
        deadline: Deadline,
        function_arn: &str,
        local_account: Option<&str>,
    ) -> Result<Invocation, Failure> {
        let account = function_arn
            .split(':')
            .nth(4)
            .filter(|account| is_account(account))
            .or(local_account)
            .ok_or_else(|| Failure {
                kind: FailureKind::UnknownAccount,
                message: format!(
                    "the invoked function ARN `{function_arn}` names no account, so signals \
                     from other accounts cannot be told apart (set LOCAL_ACCOUNT when running \
                     outside Lambda)"
                ),
            })?;
        Ok(Invocation {
            deadline,
            account: account.to_string(),
            now: Time::now(),
        })
    }
}

/// Handles one invocation payload, writing its metrics (EMF lines) to `metrics`. Fails when the
/// payload is not understood, or when any stop or lookup failed (after every other target was
/// tried); an SQS batch instead reports the records that failed.
pub async fn handle(
    payload: &[u8],
    invocation: &Invocation,
    config: &Config,
    aws: &Aws,
    metrics: &mut dyn Write,
) -> Result<Response, Failure> {
    debug!(payload = %String::from_utf8_lossy(payload), "received");
    let payload = parse_bytes(payload).map_err(|e| {
        warn!(error = %e, "invalid payload");
        Failure {
            kind: FailureKind::InvalidPayload,
            message: e.0,
        }
    })?;
    match payload {
        Payload::Direct(items) => {
            let items = items.into_iter().map(|item| (0, item)).collect();
            let (report, _) = run(items, invocation, config, aws, metrics).await;
            // The runtime logs the failure it returns.
            match report.failure() {
                Some(failure) => Err(failure),
                None => Ok(Response::Report(report)),
            }
        }
        Payload::Sqs(records) => {
            let mut items = Vec::new();
            let mut failed = BTreeSet::new();
            for (index, record) in records.iter().enumerate() {
                match &record.item {
                    Ok(item) => items.push((index, item.clone())),
                    Err(e) => {
                        warn!(message_id = %record.message_id, error = %e, "invalid SQS record");
                        failed.insert(index);
                    }
                }
            }
            // Each decision is logged; the batch response carries only the failed records.
            let (_, failed_runs) = run(items, invocation, config, aws, metrics).await;
            failed.extend(failed_runs);
            let mut response = SqsBatchResponse::default();
            for index in failed {
                response.add_failure(records[index].message_id.clone());
            }
            Ok(Response::Batch(response))
        }
    }
}

/// Runs parsed items (each tagged with its origin) through resolution, the rails and the stops,
/// then tells of the decisions that matter and writes the metrics. Lookups, reads and stops run
/// concurrently (the seam bounds the calls in flight). Returns the report and the origins whose
/// signals failed.
async fn run(
    items: Vec<(usize, Item)>,
    invocation: &Invocation,
    config: &Config,
    aws: &Aws,
    metrics: &mut dyn Write,
) -> (Report, BTreeSet<usize>) {
    let deadline = invocation.deadline;
    let context = Context {
        now: invocation.now,
        account: &invocation.account,
    };
    let mut report = Report::default();
    let mut failed = BTreeSet::new();

    let mut asked = Vec::new();
    for (origin, item) in items {
        match item {
            Item::Ignored(ignored) => ignore(&mut report, ignored),
            Item::Signal(signal) => {
                if let (time, Some(note)) = signal_time(&signal, context.now) {
                    warn!(signal = %signal.label(), time = %time, "{note}");
                }
                match requests(&signal, &context, config) {
                    Ok(stop_requests) => {
                        asked.extend(stop_requests.into_iter().map(|request| (origin, request)))
                    }
                    Err(ignored) => ignore(&mut report, ignored),
                }
            }
        }
    }

    let found = join_all(asked.iter().map(|(_, request)| {
        let (account, region) = (&request.account, &request.region);
        aws.codedeploy
            .deployment_ids(deadline, account, region, &request.target)
    }))
    .await;
    let gathered = gather(
        asked
            .into_iter()
            .zip(found)
            .map(|((origin, request), lookups)| (origin, request, lookups)),
    );
    for ignored in gathered.ignored {
        ignore(&mut report, ignored);
    }
    for (origin, lookup) in gathered.errors {
        error!(signal = %lookup.signal, error = %lookup.message, "lookup failed");
        report.errors.push(lookup);
        failed.insert(origin);
    }

    let candidates = gathered.candidates;
    let described = describe(&candidates, deadline, aws).await;
    let decided = join_all(
        candidates
            .iter()
            .zip(described)
            .map(|(candidate, info)| act(candidate, info, deadline, config, aws)),
    )
    .await;
    for (candidate, decided) in candidates.iter().zip(&decided) {
        let action = &decided.action;
        info!(
            deployment_id = %action.deployment_id,
            account = %action.account,
            region = %action.region,
            outcome = %action.outcome,
            reason = %action.reason,
            "decision"
        );
        if action.outcome == Outcome::Failed {
            failed.extend(candidate.origins());
        }
        report.actions.push(action.clone());
    }
    let notifications_failed = tell(&decided, &mut report, deadline, config, aws).await;
    let now = Time::now();
    let lines = decided.iter().map(|d| metrics::decision(d, now));
    let failures = metrics::failures(report.errors.len(), notifications_failed, now);
    for line in lines.chain(failures) {
        // A metric that cannot be written must not cost the stop's answer.
        let _ = writeln!(metrics, "{line}");
    }
    (report, failed)
}

fn ignore(report: &mut Report, ignored: Ignored) {
    info!(signal = %ignored.signal, reason = %ignored.reason, "ignored");
    report.ignored.push(ignored);
}

/// Puts an event on the bus for each decision that matters and each failed lookup (`NOTIFY`),
/// after the stops, so a failure here never fails or delays one: it is logged, counted in the
/// report, and returned.
async fn tell(
    decided: &[Decided],
    report: &mut Report,
    deadline: Deadline,
    config: &Config,
    aws: &Aws,
) -> usize {
    if !config.notify {
        return 0;
    }
    let mut notifications = notify::notifications(decided);
    notifications.extend(notify::lookup_failures(&report.errors));
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
