//! The canary judge during a deployment, in the breaker: from CodeDeploy's START of a Lambda or
//! ECS deployment in scope, a poll every `JUDGE_INTERVAL` seconds through the breaker's own queue
//! ([`record`]). Each poll reads the deployment again; once it is no longer active, the watch
//! ends. While it is, the new version is judged against the old ([`judge_shift`], which the
//! gate also judges with); a `fail` under `JUDGE=enforce` asks for the deployment's stop, which
//! goes through the rails like any other, and every change of verdict is told.

mod record;
mod shift;

use std::time::Duration;

use serde_json::json;

pub use record::Poll;
pub use shift::judge_shift;

use crate::aws::{Aws, Deadline, StateTable, WatchQueue, Written};
use crate::config::{Config, JudgeMode};
use crate::judge::{Canary, Verdict};
use crate::metrics;
use crate::report::{Judging, Watch};
use crate::resolve::{account, JudgeStart, StopRequest};
use crate::signal::Target;
use crate::time::Time;
use crate::types::{
    detail_type, Account, AwsError, Delivered, DeploymentInfo, GroupRef, LifecycleEvent,
    Notification, Shift, SignalSummary,
};
use record::{end, next, open, Opened, Watched};

/// How long a deployment is watched at most.
const WATCH_FOR_SECS: i64 = 86_400;

/// What one poll came to: its entry in the report, the stop it asks for, the events that tell
/// of a new verdict, its metrics, and whether its message is done with (else it comes back).
#[derive(Debug)]
pub struct Polled {
    pub judging: Judging,
    pub stop: Option<StopRequest>,
    pub told: Vec<Notification>,
    pub metrics: Option<String>,
    pub done: bool,
}

/// The table and the queue, or why the breaker cannot judge.
fn parts(aws: &Aws) -> Result<(&StateTable, &WatchQueue), String> {
    (aws.state.as_ref().zip(aws.queue.as_ref())).ok_or_else(|| {
        "STATE_TABLE or WATCH_QUEUE_URL is not set, so the breaker cannot judge during \
         deployments"
            .into()
    })
}

fn entry(watched: &Watched, outcome: Watch, reason: String) -> Judging {
    Judging {
        deployment_id: watched.deployment_id.clone(),
        account: watched.account.clone(),
        region: watched.region.clone(),
        poll: watched.poll,
        outcome,
        reason,
        judge: None,
    }
}

/// Why the judge does not watch this deployment, if it does not: not Lambda or ECS, a
/// rollback, Auto Scaling's, not active, or outside `ALLOWED_DEPLOYMENT_GROUPS`.
fn out_of_scope(info: &DeploymentInfo, account: &str, config: &Config) -> Option<String> {
    let platform = info.compute_platform.as_deref().unwrap_or("unknown");
    let (application, group) = (&info.application, &info.group);
    Some(match info.creator.as_str() {
        _ if !matches!(platform, "Lambda" | "ECS") => format!(
            "a deployment on {platform}: the judge compares two versions taking traffic side by \
             side, which only Lambda and ECS deployments do"
        ),
        "codeDeployRollback" => "a rollback: nothing new to judge".into(),
        "autoscaling" => "created by Auto Scaling: nothing new to judge".into(),
        _ if !info.is_active() => format!("{}: not active", info.status),
        _ if !config.in_scope(account, application, group) => {
            format!("{application}/{group} is not in ALLOWED_DEPLOYMENT_GROUPS")
        }
        _ => return None,
    })
}

/// Reads the deployment `account` and `region` hold: `Err` with why when it cannot be read.
async fn read(
    aws: &Aws,
    (account, region): (&Account, &str),
    id: &str,
    work: Deadline,
) -> Result<Option<DeploymentInfo>, String> {
    let ids = [id.to_string()];
    match aws
        .codedeploy
        .deployments(work, account, region, &ids)
        .await
        .pop()
    {
        Some(Ok(info)) => Ok(info),
        Some(Err(e)) => Err(format!("could not read the deployment: {e}")),
        None => Ok(None),
    }
}

/// Begins watching the deployment CodeDeploy started: its first poll, after `JUDGE_INTERVAL`.
/// `Failed` (the invocation fails, and is retried) when it could not be read, sent or recorded.
pub async fn start(start: &JudgeStart, config: &Config, aws: &Aws, work: Deadline) -> Judging {
    let (account, region) = (&start.account, start.region.as_str());
    let mut watched = Watched::new(&start.deployment_id, (account.id(), region), Time::now());
    let (table, queue) = match parts(aws) {
        Ok(parts) => parts,
        Err(why) => return entry(&watched, Watch::Ended, why),
    };
    let info = match read(aws, (account, region), &start.deployment_id, work).await {
        Ok(Some(info)) => info,
        Ok(None) => return entry(&watched, Watch::Ended, "CodeDeploy does not know it".into()),
        Err(why) => return entry(&watched, Watch::Failed, why),
    };
    if let Some(why) = out_of_scope(&info, account.id(), config) {
        return entry(&watched, Watch::Ended, format!("not judged: {why}"));
    }
    (watched.application, watched.group) = (info.application, info.group);
    let interval = config.judge_interval;
    let delay = Duration::from_secs(interval as u64);
    match next(&mut watched, true, (table, queue), delay, work).await {
        Ok(Written::Done) => {
            let why = format!("judged every {interval} s while it is active");
            entry(&watched, Watch::Watching, why)
        }
        Ok(Written::Refused) => entry(
            &watched,
            Watch::Dropped,
            "watched already: a repeated START".into(),
        ),
        Err(why) => entry(&watched, Watch::Failed, why),
    }
}

/// One poll from the queue: the deployment read again, judged while it is active, and polled
/// again.
pub async fn poll(
    delivered: &Delivered<Poll>,
    own: &str,
    config: &Config,
    aws: &Aws,
    work: Deadline,
) -> Polled {
    let polled = |judging: Judging, done: bool| Polled {
        judging,
        stop: None,
        told: Vec::new(),
        metrics: None,
        done,
    };
    let poll = match (delivered.body.as_ref())
        .map_err(String::clone)
        .and_then(|p| {
            p.valid()?;
            Ok(p)
        }) {
        Ok(poll) => poll,
        Err(why) => {
            let watched = Watched::default();
            let why = format!("not a poll the breaker sends itself: {why}");
            return polled(entry(&watched, Watch::Dropped, why), true);
        }
    };
    let at = (poll.account.as_str(), poll.region.as_str());
    let mut watched = Watched::new(&poll.deployment_id, at, Time::now());
    watched.poll = poll.poll;
    let located = account(&poll.account, own, config).map_err(|why| format!("{why}: dropped"));
    let (table, account) = match parts(aws).and_then(|(table, _)| Ok((table, located?))) {
        Ok(found) => found,
        Err(why) => return polled(entry(&watched, Watch::Dropped, why), true),
    };
    let due = (delivered.sent, config.judge_interval);
    let watched = match open(poll, due, table, work).await {
        Opened::Take(watched) => watched,
        Opened::Drop(why) => return polled(entry(&watched, Watch::Dropped, why), true),
        Opened::Later(why) => return polled(entry(&watched, Watch::Watching, why), false),
    };
    Box::pin(judged(watched, &account, config, aws, work)).await
}

/// A poll taken: the deployment read, judged and polled again, or its watch ended.
async fn judged(
    mut watched: Watched,
    account: &Account,
    config: &Config,
    aws: &Aws,
    work: Deadline,
) -> Polled {
    let region = watched.region.clone();
    let id = watched.deployment_id.clone();
    let (read, shift) = tokio::join!(
        read(aws, (account, &region), &id, work),
        (aws.codedeploy).lifecycle_event(work, (account, &region), &id)
    );
    let ended = match &read {
        _ if config.judge == JudgeMode::Off => Some("JUDGE is off".to_string()),
        Ok(None) => Some("CodeDeploy no longer knows it".to_string()),
        Ok(Some(info)) if !info.is_active() => Some(format!("the deployment is {}", info.status)),
        _ if Time::now().secs_since(Time::from_millis(watched.started)) > WATCH_FOR_SECS => {
            Some(format!("watched for {} h", WATCH_FOR_SECS / 3600))
        }
        _ => None,
    };
    if let Some(why) = ended {
        return finished(watched, why, aws, work).await;
    }
    let (judge, reason) = judge_now((read, shift), &watched, account, config, aws, work).await;
    let told = tell(&watched, judge.as_ref(), config);
    let stop = (judge.as_ref())
        .filter(|c| c.verdict == Verdict::Fail && config.judge == JudgeMode::Enforce)
        .map(|canary| stop_request(&watched, account, canary));
    let judged = judge.as_ref().map(|c| metrics::Judged {
        verdict: c.verdict.metric(),
        errors_p: c.errors_p,
        bad_minute_to_answer_ms: None,
    });
    let line = judged.map(|j| metrics::judging(Some(&j), None, Time::now()));
    if let Some(canary) = &judge {
        watched.verdict = Some(canary.verdict.as_str().to_string());
    }
    let reason = judge.as_ref().map_or(reason, |c| c.reason.clone());
    let mut polled = again(watched, reason, config, aws, work).await;
    polled.judging.judge = judge;
    // Only the delivery that moved the record on acts and tells: a repeat that took the same
    // poll would ask for the stop twice; one whose record could not be written comes back.
    if polled.judging.outcome != Watch::Watching {
        return polled;
    }
    Polled {
        stop,
        told,
        metrics: line,
        ..polled
    }
}

/// The judgement of the shift so far, or why there is none.
async fn judge_now(
    (read, shift): (Result<Option<DeploymentInfo>, String>, ShiftRead),
    watched: &Watched,
    account: &Account,
    config: &Config,
    aws: &Aws,
    work: Deadline,
) -> (Option<Canary>, String) {
    match (read, shift) {
        (Err(why), _) => (None, why),
        (_, Err(e)) => (None, format!("could not read its traffic shift: {e}")),
        (_, Ok((_, None))) => (None, "CodeDeploy gives no traffic shift for it yet".into()),
        (Ok(Some(info)), Ok((_, Some(shift)))) => {
            let alarms = aws.alarms(account, &watched.region).await;
            let created = (info.create_time).unwrap_or(Time::from_millis(watched.started));
            match judge_shift(config, &alarms, &shift, created, work).await {
                Ok(canary) => (Some(canary), String::new()),
                Err(e) => (None, format!("could not read the metrics: {e}")),
            }
        }
        (Ok(None), _) => (None, String::new()),
    }
}

/// What CodeDeploy says a deployment's targets are in and shift between.
type ShiftRead = Result<(Option<LifecycleEvent>, Option<Shift>), AwsError>;

/// The watch ended, at the poll it is at.
async fn finished(watched: Watched, why: String, aws: &Aws, work: Deadline) -> Polled {
    let judging = entry(&watched, Watch::Ended, format!("{why}: the watch ends"));
    let (outcome, done) = match parts(aws) {
        Ok((table, _)) => match end(watched, &why, table, work).await {
            Ok(Written::Done) => (Watch::Ended, true),
            Ok(Written::Refused) => (Watch::Dropped, true),
            Err(_) => (Watch::Failed, false),
        },
        Err(_) => (Watch::Ended, true),
    };
    Polled {
        judging: Judging { outcome, ..judging },
        stop: None,
        told: Vec::new(),
        metrics: None,
        done,
    }
}

/// The next poll, sent and recorded.
async fn again(
    mut watched: Watched,
    reason: String,
    config: &Config,
    aws: &Aws,
    work: Deadline,
) -> Polled {
    let delay = Duration::from_secs(config.judge_interval as u64);
    let written = match parts(aws) {
        Ok(parts) => next(&mut watched, false, parts, delay, work).await,
        Err(why) => Err(why),
    };
    let (outcome, reason, done) = match written {
        Ok(Written::Done) => (Watch::Watching, reason, true),
        Ok(Written::Refused) => {
            let why = "a repeat: another delivery took this poll".to_string();
            (Watch::Dropped, why, true)
        }
        Err(why) => (Watch::Failed, format!("{reason}; {why}"), false),
    };
    Polled {
        judging: entry(&watched, outcome, reason),
        stop: None,
        told: Vec::new(),
        metrics: None,
        done,
    }
}

/// The stop a failed canary asks for: of this deployment, with the numbers in the reason.
fn stop_request(watched: &Watched, account: &Account, canary: &Canary) -> StopRequest {
    let id = &watched.deployment_id;
    StopRequest {
        target: Target::Deployment(id.clone()),
        account: account.clone(),
        region: watched.region.clone(),
        reason: format!("the canary judge: {}", canary.reason),
        signal: SignalSummary {
            kind: "canary_judge",
            name: format!("canary judge of {id}"),
            time: Time::now(),
            by: None,
            label: format!("canary judge of {id}"),
            redeploy: false,
        },
    }
}

/// The events that tell of a verdict other than the one told last: `Deployment Judged`, and
/// `Deployment Judge Would Stop` for a fail under `JUDGE=report`.
fn tell(watched: &Watched, judge: Option<&Canary>, config: &Config) -> Vec<Notification> {
    let Some(canary) = judge else {
        return Vec::new();
    };
    if watched.verdict.as_deref() == Some(canary.verdict.as_str()) || !config.notify {
        return Vec::new();
    }
    let mut types = vec![detail_type::JUDGED];
    if canary.verdict == Verdict::Fail && config.judge == JudgeMode::Report {
        types.push(detail_type::JUDGE_WOULD_STOP);
    }
    let detail = json!({
        "deploymentId": watched.deployment_id,
        "application": watched.application,
        "deploymentGroup": watched.group,
        "account": watched.account,
        "region": watched.region,
        "judge": canary,
        "enforced": config.judge == JudgeMode::Enforce,
    });
    let group = GroupRef {
        account: watched.account.clone(),
        region: watched.region.clone(),
        application: watched.application.clone(),
        group: watched.group.clone(),
    };
    let resources: Vec<String> = (!group.group.is_empty())
        .then(|| group.arn())
        .into_iter()
        .collect();
    (types.into_iter())
        .map(|detail_type| Notification {
            detail_type,
            detail: detail.to_string(),
            resources: resources.clone(),
        })
        .collect()
}
