//! One hook, from payload to answer: read the deployment from CodeDeploy, apply the scope, find
//! the guarding alarms, judge them, bake when asked to, answer once, and tell.

use std::io::Write;
use std::time::Duration;

use aws_config::SdkConfig;
use serde_json::json;

use super::bake::{poll_interval, watch, Watched};
use super::call::{parse, HookCall, BAKE_CONTINUES};
use super::report::{GateOutcome, GateReport};
use super::verdict::{failing, judge};
use crate::aws::{Answered, Deadline, GateAws};
use crate::config::Config;
use crate::guards::{discover, Guard};
use crate::metrics;
use crate::report::{Failure, FailureKind};
use crate::runtime::{Function, Invocation};
use crate::time::Time;
use crate::types::{Account, DeploymentInfo, GroupRef, HookAnswer, LifecycleEvent, Notification};

/// Kept back from the invocation's deadline to answer the hook, or hand the bake on, and tell.
const ANSWER_MARGIN: Duration = Duration::from_secs(20);

/// The lifecycle event a bake waits in: after the last traffic shift.
const BAKE_EVENT: &str = "AfterAllowTraffic";

/// The gate is a [`Function`] over its clients.
impl Function for GateAws {
    type Response = GateReport;

    async fn start(base: SdkConfig, config: &Config) -> GateAws {
        GateAws::new(base, config)
    }

    async fn handle(
        &self,
        payload: &[u8],
        invocation: &Invocation,
        config: &Config,
        metrics: &mut dyn Write,
    ) -> Result<GateReport, Failure> {
        serve(payload, invocation, config, self, metrics).await
    }
}

/// Serves one invocation of the gate, writing its metrics to `out`. Fails, so that Lambda
/// retries, when the payload is no hook or the answer could not be given.
pub async fn serve(
    payload: &[u8],
    invocation: &Invocation,
    config: &Config,
    aws: &GateAws,
    out: &mut dyn Write,
) -> Result<GateReport, Failure> {
    let (call, continued) = parse(payload).map_err(|message| Failure {
        kind: FailureKind::InvalidPayload,
        message,
    })?;
    tracing::info!(deployment_id = %call.deployment_id, continued, "hook");
    let work = invocation.deadline.sooner(ANSWER_MARGIN);
    // Boxed: the whole check nests too deep for the compiler to lay out inline.
    let mut report = Box::pin(check(&call, invocation, config, aws, work)).await;
    if report.outcome == GateOutcome::Baking {
        report = hand_on(&call, config, aws, invocation.deadline, report).await;
    }
    if config.dry_run {
        report = report.dry_run();
    }
    let answered = answer(&call, config, aws, invocation.deadline, &mut report).await;
    tell(&report, config, aws, invocation, out).await;
    answered.map(|()| report).map_err(|message| Failure {
        kind: FailureKind::HookNotAnswered,
        message,
    })
}

/// The deployment as CodeDeploy tells it, in scope, with its creation time; else the report,
/// settled.
async fn read(
    mut report: GateReport,
    invocation: &Invocation,
    config: &Config,
    aws: &GateAws,
    work: Deadline,
) -> Result<(GateReport, DeploymentInfo, Time), GateReport> {
    let region = config.own_region.as_str();
    let own = Account::Own(invocation.account.clone());
    let id = std::slice::from_ref(&report.deployment_id);
    let read = aws
        .codedeploy
        .deployments(work, &own, region, id)
        .await
        .pop();
    let info = match read {
        Some(Ok(Some(info))) => info,
        Some(Ok(None)) | None => {
            let why = format!(
                "CodeDeploy does not know {} in {region}",
                report.deployment_id
            );
            return Err(report.could_not_check(config.gate_on_error, why));
        }
        Some(Err(e)) => {
            let why = format!("could not read the deployment: {e}");
            return Err(report.could_not_check(config.gate_on_error, why));
        }
    };
    report.application_name = Some(info.application.clone());
    report.deployment_group_name = Some(info.group.clone());
    if !config.in_scope(&invocation.account, &info.application, &info.group) {
        let reason = format!(
            "{}/{} is not in ALLOWED_DEPLOYMENT_GROUPS: not guarded",
            info.application, info.group
        );
        let answer = Some(HookAnswer::Succeeded);
        return Err(report.settle(GateOutcome::NotGuarded, answer, reason));
    }
    let Some(created) = info.create_time else {
        let why = "CodeDeploy gave no createTime to judge the alarms by".to_string();
        return Err(report.could_not_check(config.gate_on_error, why));
    };
    Ok((report, info, created))
}

/// Reads, scopes and judges; bakes when the hook is the one after the last traffic shift.
async fn check(
    call: &HookCall,
    invocation: &Invocation,
    config: &Config,
    aws: &GateAws,
    work: Deadline,
) -> GateReport {
    let report = GateReport::new(call);
    let (mut report, info, created) = match read(report, invocation, config, aws, work).await {
        Ok(read) => read,
        Err(settled) => return settled,
    };
    let region = config.own_region.as_str();
    let group = GroupRef {
        account: invocation.account.clone(),
        region: region.to_string(),
        application: info.application.clone(),
        group: info.group.clone(),
    };
    let (event, guards) = tokio::join!(
        aws.codedeploy
            .lifecycle_event(work, region, &call.deployment_id),
        discover(aws, config, work, &group)
    );
    let event = event.unwrap_or_else(|e| {
        report
            .errors
            .push(format!("could not read the lifecycle event: {e}"));
        None
    });
    report.lifecycle_event = event.clone();
    let guards = match guards {
        Ok(guards) => guards,
        Err(e) => {
            let (application, group) = (&info.application, &info.group);
            let why = format!("could not read the alarms that guard {application}/{group}: {e}");
            return report.could_not_check(config.gate_on_error, why);
        }
    };
    let judged = judge(guards.clone(), created);
    if failing(&judged).next().is_some() {
        return report.failed(judged, created);
    }
    match bake_until(config, event.as_ref(), &mut report) {
        None => report.passed(judged),
        Some(until) => bake(report, config, aws, (guards, created), until, work).await,
    }
}

/// When the bake ends, for the hook after the last traffic shift when `BAKE_SECONDS` is set:
/// from the time CodeDeploy says the lifecycle event started, never from the payload.
fn bake_until(
    config: &Config,
    event: Option<&LifecycleEvent>,
    report: &mut GateReport,
) -> Option<Time> {
    if config.bake_seconds == 0 {
        return None;
    }
    let Some(event) = event else {
        report
            .errors
            .push("the lifecycle event is unknown: answered without baking".into());
        return None;
    };
    if event.name != BAKE_EVENT {
        return None;
    }
    let Some(start) = event.start_time else {
        report.errors.push(format!(
            "CodeDeploy gave no start time for {BAKE_EVENT}: answered without baking"
        ));
        return None;
    };
    Some(start.plus_secs(config.bake_seconds))
}

async fn bake(
    mut report: GateReport,
    config: &Config,
    aws: &GateAws,
    (guards, created): (Vec<Guard>, Time),
    until: Time,
    work: Deadline,
) -> GateReport {
    report.bake_ends = Some(until);
    let interval = poll_interval(config.bake_seconds);
    let (watched, seconds, insufficient) =
        watch(aws, guards, created, (until, interval), work).await;
    report.baked_seconds = seconds;
    report.insufficient_data = insufficient;
    match watched {
        Watched::Quiet(judged) => report.passed(judged),
        Watched::Fired(judged) => report.failed(judged, created),
        Watched::Broken(e, judged) => {
            report.alarms = judged;
            report.could_not_check(
                config.gate_on_error,
                format!("could not read the alarms during the bake: {e}"),
            )
        }
        Watched::HandOn(judged) => {
            report.alarms = judged;
            let reason = format!("the bake goes on in a fresh invocation until {until}");
            report.settle(GateOutcome::Baking, None, reason)
        }
    }
}

/// Hands the bake on to a fresh invocation, through the bus (see `call`); when that fails,
/// answers now as `GATE_ON_ERROR` says.
async fn hand_on(
    call: &HookCall,
    config: &Config,
    aws: &GateAws,
    deadline: Deadline,
    report: GateReport,
) -> GateReport {
    let event = Notification {
        detail_type: BAKE_CONTINUES,
        detail: serde_json::to_string(call).unwrap_or_default(),
        resources: Vec::new(),
    };
    let delivery = aws.events.put(deadline, &[event]).await;
    if delivery.failed == 0 {
        return report;
    }
    let why = format!(
        "could not hand the bake on ({})",
        delivery.errors.join("; ")
    );
    report.could_not_check(config.gate_on_error, why)
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
                "could not answer {} to the hook of {}: {e}",
                answer.as_str(),
                call.deployment_id
            );
            report.errors.push(message.clone());
            Err(message)
        }
    }
}

/// The log line, the event for people (a failed or unchecked hook) and the metrics.
async fn tell(
    report: &GateReport,
    config: &Config,
    aws: &GateAws,
    invocation: &Invocation,
    out: &mut dyn Write,
) {
    let text = serde_json::to_string(report).unwrap_or_default();
    tracing::info!(outcome = report.outcome.as_str(), reason = %report.reason, report = %text, "gate");
    if let (true, Some(detail_type)) = (config.notify, report.outcome.detail_type()) {
        let region = &config.own_region;
        let resources = match (&report.application_name, &report.deployment_group_name) {
            (Some(application), Some(group)) => vec![GroupRef {
                account: invocation.account.clone(),
                region: region.clone(),
                application: application.clone(),
                group: group.clone(),
            }
            .arn()],
            _ => Vec::new(),
        };
        let event = Notification {
            detail_type,
            detail: json!({ "gate": report }).to_string(),
            resources,
        };
        let delivery = aws.events.put(invocation.deadline, &[event]).await;
        for error in delivery.errors {
            tracing::error!(error = %error, "could not notify");
        }
    }
    let answered = Time::now();
    let entered = failing(&report.alarms)
        .filter_map(|j| j.guard.alarm.transitioned)
        .min();
    let line = metrics::gate(
        report.outcome.metric(),
        (
            report.application_name.as_deref(),
            report.deployment_group_name.as_deref(),
        ),
        report.baked_seconds,
        entered.map(|t| answered.millis() - t.millis()),
        answered,
    );
    let _ = writeln!(out, "{line}");
}
