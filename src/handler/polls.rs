//! The canary judge's polls, as the breaker's own queue delivers them back: each judged
//! (`canary`), the stops they ask for carried out by the pipeline, every new verdict told.

use std::collections::BTreeSet;
use std::io::Write;

use aws_lambda_events::sqs::SqsBatchResponse;
use futures_util::future::join_all;
use serde::Serialize;
use tracing::{info, warn};

use super::pipeline::{carry_out, tell};
use crate::aws::Aws;
use crate::canary::Poll;
use crate::config::Config;
use crate::report::Report;
use crate::runtime::Invocation;
use crate::time::Time;
use crate::types::{from_queue, queue_arn, Delivered, Outcome};
use crate::{canary, metrics};

/// The answer to the canary judge's polls from the breaker's own queue: the polls that must come
/// back, and the report.
#[derive(Debug, Serialize)]
pub struct Polled {
    #[serde(flatten)]
    pub batch: SqsBatchResponse,
    #[serde(flatten)]
    pub report: Report,
}

/// The canary judge's polls, when `payload` is a batch of the breaker's own queue
/// (`WATCH_QUEUE_URL`).
pub(super) fn own_polls(payload: &[u8], config: &Config) -> Option<Vec<Delivered<Poll>>> {
    let url = config.watch_queue_url.as_deref()?;
    let queue = queue_arn(url, &config.own_region)?;
    from_queue::<Poll>(payload, Some(&queue)).ok()
}

/// Each poll judged, the stops they ask for made behind the rails, and every new verdict told. A
/// poll that could not be taken now, or whose next could not be sent or recorded, is reported
/// failed, so that it comes back.
pub(super) async fn polls(
    delivered: Vec<Delivered<Poll>>,
    invocation: &Invocation,
    config: &Config,
    aws: &Aws,
    metrics: &mut dyn Write,
) -> Polled {
    let deadline = invocation.deadline;
    let own = invocation.account.as_str();
    let polled = join_all((delivered.iter()).map(|d| canary::poll(d, own, config, aws, deadline)));
    let (mut report, mut failed) = (Report::default(), BTreeSet::new());
    let (mut asked, mut told, mut lines) = (Vec::new(), Vec::new(), Vec::new());
    for (index, polled) in polled.await.into_iter().enumerate() {
        let judging = &polled.judging;
        info!(deployment_id = %judging.deployment_id, poll = judging.poll, outcome = ?judging.outcome, reason = %judging.reason, "judge");
        if !polled.done {
            failed.insert(index);
        }
        asked.extend(polled.stop.map(|stop| (index, stop)));
        told.extend(polled.told);
        lines.extend(polled.metrics);
        report.judging.push(polled.judging);
    }
    // A stop that failed is told and counted (`StopFailed`) and tried again at the next poll,
    // already sent: its message, whose poll the record has moved past, would only be dropped.
    let stops_failed = &mut BTreeSet::new();
    let acted = carry_out(asked, invocation, config, aws, (&mut report, stops_failed)).await;
    tell(&acted, told, &mut report, deadline, config, aws).await;
    let now = Time::now();
    let stopped = (acted.iter()).filter(|a| a.action.outcome == Outcome::Stopped);
    let first_bad = stopped.filter_map(|a| {
        let judging = (report.judging.iter()).find(|j| j.deployment_id == a.action.deployment_id);
        let first = judging?.judge.as_ref()?.first_bad_minute?;
        Some(metrics::judging(None, Some(now.secs_since(first)), now))
    });
    let decisions = acted.iter().map(|a| metrics::decision(a, now));
    for line in lines.into_iter().chain(decisions).chain(first_bad) {
        let _ = writeln!(metrics, "{line}");
    }
    let mut batch = SqsBatchResponse::default();
    for index in failed {
        let message = &delivered[index];
        if let Some(queue) = &aws.queue {
            if let Err(e) = queue
                .later(deadline, &message.receipt_handle, message.come_back())
                .await
            {
                warn!(error = %e, "the poll comes back after the queue's visibility timeout");
            }
        }
        batch.add_failure(message.message_id.clone());
    }
    Polled { batch, report }
}
