//! One invocation of the gate: a hook from CodeDeploy, looked at and answered, or recorded and
//! looked at again through the queue; or the looks the queue delivers back, each taken only when
//! its hook's record expects it. Every settled hook is answered once, and told.

use std::collections::BTreeSet;
use std::io::Write;
use std::time::Duration;

use aws_config::SdkConfig;
use futures_util::future::join_all;
use serde::Serialize;
use serde_json::json;

use super::call::{parse, Called, Delivered, HookCall};
use super::check::{look, Step};
use super::report::{GateOutcome, GateReport};
use super::verdict::failing;
use super::watch::{again, answered, first, open, watched_already, Opened};
use crate::aws::{Answered, Deadline, GateAws};
use crate::config::Config;
use crate::config::JudgeMode;
use crate::judge::{Canary, Verdict};
use crate::metrics;
use crate::report::{Failure, FailureKind};
use crate::runtime::{Function, Invocation};
use crate::time::Time;
use crate::types::{detail_type, queue_arn, GroupRef, Notification};

/// Kept back from the invocation's deadline to answer the hook and tell.
const ANSWER_MARGIN: Duration = Duration::from_secs(20);
/// Kept back from that for the reads, so that the next look can still be sent and recorded.
const READ_MARGIN: Duration = Duration::from_secs(10);
/// How a report's error line about an answer CodeDeploy did not take begins.
const NOT_TAKEN: &str = "could not answer";

/// What the gate returns: its report of a hook, or of the looks the queue delivered, with the
/// messages to deliver again (Lambda's `ReportBatchItemFailures`).
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum GateResponse {
    Hook(Box<GateReport>),
    Looks(LooksReport),
}

#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LooksReport {
    pub batch_item_failures: Vec<ItemFailure>,
    pub looks: Vec<GateReport>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ItemFailure {
    pub item_identifier: String,
}

/// The gate is a [`Function`] over its clients.
impl Function for GateAws {
    type Response = GateResponse;

    async fn start(base: SdkConfig, config: &Config) -> GateAws {
        GateAws::new(base, config)
    }

    async fn handle(
        &self,
        payload: &[u8],
        invocation: &Invocation,
        config: &Config,
        metrics: &mut dyn Write,
    ) -> Result<GateResponse, Failure> {
        serve(payload, invocation, config, self, metrics).await
    }
}

/// Serves one invocation of the gate, writing its metrics to `out`. Fails, so that Lambda
/// retries, when the payload is neither a hook nor the gate's own looks, or a hook's answer
/// could not be given.
pub async fn serve(
    payload: &[u8],
    invocation: &Invocation,
    config: &Config,
    aws: &GateAws,
    out: &mut dyn Write,
) -> Result<GateResponse, Failure> {
    let queue =
        (config.watch_queue_url.as_deref()).and_then(|url| queue_arn(url, &config.own_region));
    let called = parse(payload, queue.as_deref()).map_err(|message| Failure {
        kind: FailureKind::InvalidPayload,
        message,
    })?;
    let work = invocation.deadline.sooner(ANSWER_MARGIN);
    match called {
        Called::Hook(call) => {
            tracing::info!(deployment_id = %call.deployment_id, "hook");
            let report = Box::pin(arrived(&call, invocation, config, aws, work))
                .await
                .map_err(|message| Failure {
                    kind: FailureKind::HookNotAnswered,
                    message,
                })?;
            let (report, answered) = finish(&call, report, config, aws, invocation).await;
            tell(&report, config, aws, invocation, out).await;
            answered
                .map(|()| GateResponse::Hook(Box::new(report)))
                .map_err(|message| Failure {
                    kind: FailureKind::HookNotAnswered,
                    message,
                })
        }
        Called::Looks(delivered) => {
            let looks = delivered.iter().map(|d| async move {
                let (report, done) = Box::pin(looked(d, invocation, config, aws, work)).await;
                if !done {
                    come_back(d, aws, work).await;
                }
                (d.message_id.clone(), report, done)
            });
            let mut response = LooksReport::default();
            for (message_id, report, done) in join_all(looks).await {
                if let Some(report) = report {
                    tell(&report, config, aws, invocation, out).await;
                    response.looks.push(report);
                }
                if !done {
                    let item_identifier = message_id;
                    (response.batch_item_failures).push(ItemFailure { item_identifier });
                }
            }
            Ok(GateResponse::Looks(response))
        }
    }
}

/// Has a look that could not be taken now come back in a moment, rather than after the queue's
/// visibility timeout (it is reported failed either way, so it comes back).
async fn come_back(delivered: &Delivered, aws: &GateAws, work: Deadline) {
    if let Some((_, queue)) = &aws.watch {
        let receipt = &delivered.receipt_handle;
        if let Err(e) = queue.later(work, receipt, delivered.come_back()).await {
            tracing::warn!(error = %e, "the look comes back after the queue's visibility timeout");
        }
    }
}

/// A hook CodeDeploy called: looked at now; recorded and looked at again when not settled. An
/// error starting the watch fails the invocation, so that Lambda calls the gate again.
async fn arrived(
    call: &HookCall,
    invocation: &Invocation,
    config: &Config,
    aws: &GateAws,
    work: Deadline,
) -> Result<GateReport, String> {
    if let Some(why) = watched_already(call, aws, work).await {
        return Ok(GateReport::new(call).settle(GateOutcome::Dropped, None, why));
    }
    let now = Time::now();
    let at = (invocation.account.as_str(), now, &BTreeSet::new());
    match Box::pin(look(call, at, config, aws, work.sooner(READ_MARGIN))).await {
        Step::Settled(report) => Ok(report),
        Step::Again(report, wait) => {
            let watched = (first(call, now), true);
            Box::pin(again(call, watched, (report, wait), config, aws, work))
                .await
                .map_err(|e| format!("could not start watching the hook: {e}"))
        }
    }
}

/// One look from the queue: its report (none for a message that is no look at all), and whether
/// the message is done with (else it comes back).
async fn looked(
    delivered: &Delivered,
    invocation: &Invocation,
    config: &Config,
    aws: &GateAws,
    work: Deadline,
) -> (Option<GateReport>, bool) {
    let look_at = match &delivered.body {
        Ok(look_at) => look_at,
        Err(why) => {
            tracing::warn!(message_id = %delivered.message_id, reason = %why, "dropped");
            return (None, true);
        }
    };
    let call = look_at.hook();
    let dropped = |why: String| GateReport::new(&call).settle(GateOutcome::Dropped, None, why);
    let watched = match open(look_at, delivered.sent, aws, work).await {
        Opened::Take(watched) => watched,
        Opened::Drop(why) => return (Some(dropped(why)), true),
        Opened::Later(why) => {
            tracing::warn!(deployment_id = %call.deployment_id, reason = %why, "look comes back");
            return (None, false);
        }
    };
    let at = (
        invocation.account.as_str(),
        watched.first_seen(),
        &watched.insufficient,
    );
    let report = match Box::pin(look(&call, at, config, aws, work.sooner(READ_MARGIN))).await {
        Step::Settled(report) => report,
        Step::Again(report, wait) => {
            let watching = (watched.clone(), false);
            match Box::pin(again(&call, watching, (report, wait), config, aws, work)).await {
                Ok(report) => report,
                Err(why) => {
                    tracing::warn!(deployment_id = %call.deployment_id, reason = %why, "look comes back");
                    return (None, false);
                }
            }
        }
    };
    if report.answer.is_none() {
        return (Some(report), true);
    }
    let (report, told) = finish(&call, report, config, aws, invocation).await;
    if let (Ok(()), Some(answer)) = (&told, report.answer) {
        if let Err(e) = answered(&call, watched, answer, aws, work).await {
            tracing::error!(error = %e, "the hook was answered, but its record says not");
        }
    }
    (Some(report), told.is_ok())
}

/// Answers a settled report's hook, once (under `DRY_RUN`, never `Failed`).
async fn finish(
    call: &HookCall,
    mut report: GateReport,
    config: &Config,
    aws: &GateAws,
    invocation: &Invocation,
) -> (GateReport, Result<(), String>) {
    if config.dry_run {
        report = report.dry_run();
    }
    let answered = answer(call, config, aws, invocation.deadline, &mut report).await;
    if report.already_answered {
        // Another delivery's answer, told by it: this one changes nothing.
        let why = format!(
            "a repeat: CodeDeploy had an answer for the hook already ({} not given)",
            report.answer.map_or("none", |a| a.as_str())
        );
        report = report.settle(GateOutcome::Dropped, None, why);
    }
    (report, answered)
}
/// Answers the hook, once: an answer CodeDeploy already had is not an error.
async fn answer(
    call: &HookCall,
    config: &Config,
    aws: &GateAws,
    deadline: Deadline,
    report: &mut GateReport,
) -> Result<(), String> {
    let Some(answer) = report.answer else {
        return Ok(());
    };
    let hook = (call.deployment_id.as_str(), call.execution_id.as_str());
    let region = &config.own_region;
    match aws
        .codedeploy
        .answer_hook(deadline, region, hook, answer)
        .await
    {
        Ok(Answered::Now) => Ok(()),
        Ok(Answered::AlreadyCompleted) => {
            report.already_answered = true;
            Ok(())
        }
        Err(e) => {
            let message = format!(
                "{NOT_TAKEN} {} to the hook of {}: {e}",
                answer.as_str(),
                call.deployment_id
            );
            report.errors.push(message.clone());
            Err(message)
        }
    }
}

/// The log line, the events for people (a failed or unchecked hook; the canary judge's verdict
/// at a settled hook) and the metrics.
async fn tell(
    report: &GateReport,
    config: &Config,
    aws: &GateAws,
    invocation: &Invocation,
    out: &mut dyn Write,
) {
    let text = serde_json::to_string(report).unwrap_or_default();
    tracing::info!(outcome = report.outcome.as_str(), reason = %report.reason, report = %text, "gate");
    // The judge's verdict is told once, by the invocation whose answer CodeDeploy took.
    let taken = !report.already_answered && !report.errors.iter().any(|e| e.starts_with(NOT_TAKEN));
    let judge = (report.judge.as_ref()).filter(|_| report.answer.is_some() && taken);
    let events = detail_types(report, judge, config);
    if config.notify && !events.is_empty() {
        notify(report, &events, config, aws, invocation).await;
    }
    let answered = Time::now();
    let entered = failing(&report.alarms)
        .filter_map(|j| j.guard.alarm.transitioned)
        .min();
    let judged = judge.map(|j| metrics::Judged {
        verdict: j.verdict.metric(),
        errors_p: j.errors_p,
        bad_minute_to_answer_ms: (j.first_bad_minute)
            .filter(|_| report.outcome == GateOutcome::Failed)
            .map(|t| answered.millis() - t.millis()),
    });
    let line = metrics::gate(
        report.outcome.metric(),
        (
            report.application_name.as_deref(),
            report.deployment_group_name.as_deref(),
        ),
        (
            report.baked_seconds,
            entered.map(|t| answered.millis() - t.millis()),
        ),
        judged,
        answered,
    );
    let _ = writeln!(out, "{line}");
}

/// Puts the events `detail_types` on the bus, each with the report and its group's ARN.
async fn notify(
    report: &GateReport,
    detail_types: &[&'static str],
    config: &Config,
    aws: &GateAws,
    invocation: &Invocation,
) {
    let resources = match (&report.application_name, &report.deployment_group_name) {
        (Some(application), Some(group)) => vec![GroupRef {
            account: invocation.account.clone(),
            region: config.own_region.clone(),
            application: application.clone(),
            group: group.clone(),
        }
        .arn()],
        _ => Vec::new(),
    };
    let detail = json!({ "gate": report }).to_string();
    let events: Vec<Notification> = (detail_types.iter())
        .map(|&detail_type| Notification {
            detail_type,
            detail: detail.clone(),
            resources: resources.clone(),
        })
        .collect();
    let delivery = aws.events.put(invocation.deadline, &events).await;
    for error in delivery.errors {
        tracing::error!(error = %error, "could not notify");
    }
}

/// The events a report is told by: its outcome's, and, at a settled hook the canary judge
/// judged, `Deployment Judged` (and, when it would have failed it under `JUDGE=report`,
/// `Deployment Judge Would Stop`).
fn detail_types(report: &GateReport, judge: Option<&Canary>, config: &Config) -> Vec<&'static str> {
    let mut types: Vec<&'static str> = report.outcome.detail_type().into_iter().collect();
    if let Some(judge) = judge {
        types.push(detail_type::JUDGED);
        if judge.verdict == Verdict::Fail && config.judge == JudgeMode::Report {
            types.push(detail_type::JUDGE_WOULD_STOP);
        }
    }
    types
}
