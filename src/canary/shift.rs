//! What the canary judge reads: the new version against the old over every minute both took
//! traffic in since the deployment was created (up to a few minutes ago: CloudWatch's datapoints
//! arrive late), a Lambda alias's versions, or an ECS service's task sets behind their target
//! groups (whose dimensions CloudWatch lists).

use crate::aws::{Alarms, Deadline, TargetGroupDimensions};
use crate::config::Config;
use crate::judge::{ecs, judge, lambda, minutes, Canary};
use crate::time::Time;
use crate::types::{AwsError, EcsTaskSets, MetricQuery, Shift};

/// The error code of a target group CloudWatch does not list: no verdict, and it is said.
const NOT_FOUND: &str = "TargetGroupNotFound";

/// How far before now the window ends: the latest minutes are not complete yet.
const LATE_SECS: i64 = 120;

/// The start of the minute `time` is in.
fn minute(time: Time) -> Time {
    Time::from_millis(time.millis() - time.millis().rem_euclid(60_000))
}

/// The judgement of the deployment created at `created`, shifting traffic as `shift` says, from
/// the metrics `alarms` reads (the deployment's account and region).
pub async fn judge_shift(
    config: &Config,
    alarms: &Alarms,
    shift: &Shift,
    created: Time,
    work: Deadline,
) -> Result<Canary, AwsError> {
    let (start, end) = (minute(created), minute(Time::now().plus_secs(-LATE_SECS)));
    let p = config.judge_p.0;
    if end <= start {
        return Ok(judge(&[], p));
    }
    let inconclusive = |why: String| Canary {
        reason: why,
        ..judge(&[], p)
    };
    let (queries, p99_to_ms) = match shift {
        Shift::Lambda(v) if v.current == v.target => {
            let why = format!(
                "the old and the new version are both {}: nothing to compare",
                v.target
            );
            return Ok(inconclusive(why));
        }
        Shift::Lambda(versions) => (lambda::queries(versions), 1.0),
        Shift::Ecs(task_sets) => match ecs_queries(alarms, task_sets, work).await {
            Err(e) if e.code == NOT_FOUND => return Ok(inconclusive(e.message)),
            found => (found?, 1000.0),
        },
    };
    let values = alarms.per_minute(work, &queries, (start, end)).await?;
    Ok(judge(&minutes(&values, p99_to_ms), p))
}

/// The queries of an ECS deployment's target groups, by the dimensions CloudWatch lists for
/// them.
async fn ecs_queries(
    alarms: &Alarms,
    task_sets: &EcsTaskSets,
    work: Deadline,
) -> Result<Vec<MetricQuery>, AwsError> {
    let (new, old) = (&task_sets.replacement, &task_sets.original);
    let (found_new, found_old) = tokio::join!(
        alarms.target_group(work, new),
        alarms.target_group(work, old)
    );
    let of = |found: Option<TargetGroupDimensions>, name: &str| {
        found.ok_or_else(|| {
            let why = format!(
                "CloudWatch lists no metrics of target group {name} on one load balancer (no \
                 traffic in two weeks, or the name is on several load balancers)"
            );
            AwsError::new("ListMetrics", NOT_FOUND, why)
        })
    };
    let (new, old) = (of(found_new?, new)?, of(found_old?, old)?);
    Ok(ecs::queries(
        (&new.target_group, Some(&new.load_balancer)),
        (&old.target_group, Some(&old.load_balancer)),
    ))
}
