//! One look at a hook: the deployment and its lifecycle event read from CodeDeploy, the scope
//! applied, the guarding alarms found and judged. What one look cannot settle (a bake not over,
//! a read that failed) it says, and the gate looks again later through its queue (`watch`).

use std::collections::BTreeSet;

use super::call::HookCall;
use super::report::{GateOutcome, GateReport};
use super::verdict::{failing, judge, Judged};
use crate::aws::{Deadline, GateAws};
use crate::canary::judge_shift;
use crate::config::{Config, JudgeMode};
use crate::guards::discover;
use crate::judge::Verdict;
use crate::time::Time;
use crate::types::{Account, DeploymentInfo, GroupRef, HookAnswer, LifecycleEvent, Shift};

/// The lifecycle event a bake waits in: after the last traffic shift.
const BAKE_EVENT: &str = "AfterAllowTraffic";

/// What one look found.
#[derive(Debug)]
pub enum Step {
    /// The report says the answer.
    Settled(GateReport),
    /// Not yet: look again.
    Again(GateReport, Wait),
}

/// Why a hook is looked at again.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Wait {
    /// The bake runs until then.
    Bake(Time),
    /// A read failed: what failed.
    Retry(String),
}

/// The hook `call`, which the gate first saw at `first_seen`, looked at now; `insufficient`: the
/// guarding alarms earlier looks saw without data.
pub async fn look(
    call: &HookCall,
    (account, first_seen, insufficient): (&str, Time, &BTreeSet<String>),
    config: &Config,
    aws: &GateAws,
    work: Deadline,
) -> Step {
    let mut report = GateReport::new(call);
    report.insufficient_data = insufficient.clone();
    let (mut report, info, created) = match read(report, account, config, aws, work).await {
        Ok(read) => read,
        Err(step) => return step,
    };
    let region = config.own_region.as_str();
    let group = GroupRef {
        account: account.to_string(),
        region: region.to_string(),
        application: info.application.clone(),
        group: info.group.clone(),
    };
    let own = Account::Own(account.to_string());
    let (event, guards) = tokio::join!(
        (aws.codedeploy).lifecycle_event(work, (&own, region), &call.deployment_id),
        discover(aws, config, work, &group)
    );
    let guards = match guards {
        Ok(guards) => guards,
        Err(e) => {
            let (application, group) = (&info.application, &info.group);
            let why = format!("could not read the alarms that guard {application}/{group}: {e}");
            return Step::Again(report, Wait::Retry(why));
        }
    };
    let judged = judge(guards, created);
    // An alarm that fired settles the hook whatever the lifecycle event; the event matters only
    // to know whether, and since when, to bake.
    let (shifted, bake) = match event {
        Ok((event, versions)) => {
            let after_shift = event.as_ref().is_some_and(|e| e.name == BAKE_EVENT);
            report.lifecycle_event = event.clone();
            let bake = bake(config, event.as_ref(), first_seen, &mut report);
            (
                versions.filter(|_| after_shift && config.judge != JudgeMode::Off),
                bake,
            )
        }
        // Without a bake, the event matters only to the canary judge, and only when enforced.
        Err(e)
            if (config.bake_seconds == 0 && config.judge != JudgeMode::Enforce)
                || failing(&judged).next().is_some() =>
        {
            (report.errors).push(format!("could not read the lifecycle event: {e}"));
            (None, None)
        }
        Err(e) => {
            let why = format!("could not read the lifecycle event: {e}");
            return Step::Again(report, Wait::Retry(why));
        }
    };
    finish(
        report,
        judged,
        (shifted, bake, created),
        (config, aws, work),
    )
    .await
}

/// The rest of a look, with the alarms judged: failed by an alarm; else the bake, while it lasts;
/// then the canary judge, at the hook after the last traffic shift (in `enforce`, a failed read
/// of the metrics is retried like any other).
async fn finish(
    mut report: GateReport,
    judged: Vec<Judged>,
    (shifted, bake, created): (Option<Shift>, Option<(Time, Time)>, Time),
    (config, aws, work): (&Config, &GateAws, Deadline),
) -> Step {
    if let Some((start, until)) = bake {
        report.bake_ends = Some(until);
        report.baked_seconds = Some(Time::now().min(until).secs_since(start));
    }
    if failing(&judged).next().is_some() {
        return Step::Settled(report.failed(judged, created));
    }
    if let Some((_, until)) = bake.filter(|(_, until)| Time::now() < *until) {
        report.baked_seconds = None;
        report.alarms = judged;
        return Step::Again(report, Wait::Bake(until));
    }
    // The canary judge once, as the hook settles: judging at every look of a bake would give a
    // chance to fail at each, on the same data.
    if let Some(shift) = shifted {
        match judge_shift(config, &aws.alarms, &shift, created, work).await {
            Ok(j) if j.verdict == Verdict::Fail && config.judge == JudgeMode::Enforce => {
                report.alarms = judged;
                return Step::Settled(report.judged_failed(j));
            }
            Ok(j) => report.judge = Some(j),
            Err(e) if config.judge == JudgeMode::Enforce => {
                let why = format!("the canary judge could not read the metrics: {e}");
                report.alarms = judged;
                return Step::Again(report, Wait::Retry(why));
            }
            Err(e) => {
                (report.errors).push(format!("the canary judge could not read the metrics: {e}"))
            }
        }
    }
    Step::Settled(report.passed(judged))
}

/// The deployment as CodeDeploy tells it, in scope, with its creation time; else the step.
async fn read(
    mut report: GateReport,
    account: &str,
    config: &Config,
    aws: &GateAws,
    work: Deadline,
) -> Result<(GateReport, DeploymentInfo, Time), Step> {
    let region = config.own_region.as_str();
    let own = Account::Own(account.to_string());
    let id = std::slice::from_ref(&report.deployment_id);
    let read = aws
        .codedeploy
        .deployments(work, &own, region, id)
        .await
        .pop();
    let info = match read {
        Some(Ok(Some(info))) => info,
        Some(Ok(None)) | None => {
            let id = &report.deployment_id;
            let why = format!("CodeDeploy does not know {id} in {region}");
            return Err(Step::Again(report, Wait::Retry(why)));
        }
        Some(Err(e)) => {
            let why = format!("could not read the deployment: {e}");
            return Err(Step::Again(report, Wait::Retry(why)));
        }
    };
    report.application_name = Some(info.application.clone());
    report.deployment_group_name = Some(info.group.clone());
    if !config.in_scope(account, &info.application, &info.group) {
        let reason = format!(
            "{}/{} is not in ALLOWED_DEPLOYMENT_GROUPS: not guarded",
            info.application, info.group
        );
        let answer = Some(HookAnswer::Succeeded);
        return Err(Step::Settled(report.settle(
            GateOutcome::NotGuarded,
            answer,
            reason,
        )));
    }
    let Some(created) = info.create_time else {
        let why = "CodeDeploy gave no createTime to judge the alarms by".to_string();
        return Err(Step::Settled(
            report.could_not_check(config.gate_on_error, why),
        ));
    };
    Ok((report, info, created))
}

/// When the bake started and when it ends, for the hook after the last traffic shift when
/// `BAKE_SECONDS` is set: from when CodeDeploy says the lifecycle event started, never from the
/// payload; when CodeDeploy does not say, from when the gate first saw the hook.
fn bake(
    config: &Config,
    event: Option<&LifecycleEvent>,
    first_seen: Time,
    report: &mut GateReport,
) -> Option<(Time, Time)> {
    if config.bake_seconds == 0 {
        return None;
    }
    let Some(event) = event else {
        report.errors.push(
            "CodeDeploy shows no lifecycle event in progress: the hook waits for nothing".into(),
        );
        return None;
    };
    if event.name != BAKE_EVENT {
        return None;
    }
    let start = event.start_time.unwrap_or_else(|| {
        report.errors.push(format!(
            "CodeDeploy gave no start time for {BAKE_EVENT}: the bake runs from when the gate \
             first saw the hook, {first_seen}"
        ));
        first_seen
    });
    Some((start, start.plus_secs(config.bake_seconds)))
}
