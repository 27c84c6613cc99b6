//! The pipeline for one invocation: payload → signals → deployments to stop → actions → report,
//! notifications and metrics.

use std::collections::BTreeSet;
use std::io::Write;
use std::time::Duration;

use aws_config::SdkConfig;
use aws_lambda_events::sqs::SqsBatchResponse;
use futures_util::future::join_all;
use serde::Serialize;
use tracing::{debug, error, info, warn};

use crate::act::{act, describe, Acted};
use crate::aws::{Aws, Deadline};
use crate::candidates::{gather, Candidate};
use crate::config::Config;
use crate::report::{Failure, FailureKind, HttpResponse, Notifications, Report};
use crate::resolve::{requests, signal_time, Held, Invoked, StopRequest};
use crate::runtime::{Function, Invocation};
use crate::signal::{parse_bytes, Item, Parsed, UrlRequest};
use crate::time::Time;
use crate::types::{NotActed, Notification, Outcome};
use crate::{metrics, notify};

/// What the function returns: a report, for SQS the partial-batch response, for a function
/// URL request an HTTP response.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum Response {
    Report(Report),
    Batch(SqsBatchResponse),
    Http(HttpResponse),
}

/// The breaker is a [`Function`] over its clients.
impl Function for Aws {
    type Response = Response;

    async fn start(base: SdkConfig, config: &Config) -> Aws {
        let aws = Aws::new(base, config);
        if config.warm_up {
            // Init is off the path from alarm to stop, and Lambda gives it more CPU than an
            // invoke.
            aws.warm_up(config, Duration::from_secs(2)).await;
        }
        aws
    }

    async fn handle(
        &self,
        payload: &[u8],
        invocation: &Invocation,
        config: &Config,
        metrics: &mut dyn Write,
    ) -> Result<Response, Failure> {
        handle(payload, invocation, config, self, metrics).await
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
        Parsed::Direct(items) => {
            let items = items.into_iter().map(|item| (0, item)).collect();
            let (report, _) = run(items, invocation, config, aws, metrics).await;
            // The runtime logs the failure it returns.
            match report.failure() {
                Some(failure) => Err(failure),
                None => Ok(Response::Report(report)),
            }
        }
        Parsed::Url(request) => url(request, invocation, config, aws, metrics).await,
        Parsed::Sqs(records) => {
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

/// A kill switch pressed through the function URL: 200 with the report, 403 when who pressed
/// it may not ask for that (or nobody signed the request), 400 when the body is not a kill
/// switch; a stop that failed fails the invocation, as for any other signal.
async fn url(
    request: UrlRequest,
    invocation: &Invocation,
    config: &Config,
    aws: &Aws,
    metrics: &mut dyn Write,
) -> Result<Response, Failure> {
    let item = match request {
        UrlRequest::KillSwitch(item) => item,
        UrlRequest::Unsigned(e) => {
            warn!(error = %e, "unsigned function URL request");
            return Ok(Response::Http(HttpResponse::error(
                403,
                FailureKind::Refused,
                &e.0,
                None,
            )));
        }
        UrlRequest::Invalid(e) => {
            warn!(error = %e, "invalid function URL request");
            let kind = FailureKind::InvalidPayload;
            return Ok(Response::Http(HttpResponse::error(400, kind, &e.0, None)));
        }
    };
    let (report, _) = run(vec![(0, item)], invocation, config, aws, metrics).await;
    Ok(Response::Http(match report.failure() {
        None => HttpResponse::json(200, &report),
        Some(failure) if failure.kind == FailureKind::Refused => {
            HttpResponse::error(403, failure.kind, &failure.message, Some(&report))
        }
        Some(failure) => return Err(failure),
    }))
}

/// Runs parsed items (each tagged with its SQS record) through resolution, the rails and the
/// stops, then tells of the decisions that matter and writes the metrics. Lookups, reads and
/// stops run concurrently (the seam bounds the calls in flight). Returns the report and the
/// records whose signals failed.
async fn run(
    items: Vec<(usize, Item)>,
    invocation: &Invocation,
    config: &Config,
    aws: &Aws,
    metrics: &mut dyn Write,
) -> (Report, BTreeSet<usize>) {
    let deadline = invocation.deadline;
    let mut report = Report::default();
    let mut failed = BTreeSet::new();

    let (asked, dropped) = resolve_all(items, invocation, config, &mut report);
    let candidates = find(asked, deadline, config, aws, &mut report, &mut failed).await;
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
    let notifications_failed = tell(&acted, dropped, &mut report, deadline, config, aws).await;
    let now = Time::now();
    let lines = acted.iter().map(|a| metrics::decision(a, now));
    let failures = metrics::failures(report.errors.len(), notifications_failed, now);
    for line in lines.chain(failures) {
        // A metric that cannot be written must not cost the stop's answer.
        let _ = writeln!(metrics, "{line}");
    }
    (report, failed)
}

/// The stop requests of every signal, each with its SQS record; what asks for nothing goes to
/// the report as ignored (and an alarm dropped as stale, to the notifications returned too).
fn resolve_all(
    items: Vec<(usize, Item)>,
    invocation: &Invocation,
    config: &Config,
    report: &mut Report,
) -> (Vec<(usize, StopRequest)>, Vec<Notification>) {
    let invoked = Invoked {
        now: invocation.now,
        account: &invocation.account,
    };
    let (mut asked, mut dropped) = (Vec::new(), Vec::new());
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
        match requests(&signal, time, &invoked, config) {
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
    (asked, dropped)
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

/// Puts an event on the bus for each decision that matters, each failed lookup and each alarm
/// `dropped` (`NOTIFY`), after the stops, so a failure here never fails or delays one: it is
/// logged, counted in the report, and returned.
async fn tell(
    acted: &[Acted],
    dropped: Vec<Notification>,
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
    notifications.extend(dropped);
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
