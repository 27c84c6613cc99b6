//! The canary judge at the hook after the last traffic shift: the whole shift, the new version
//! against the old over every minute both took traffic in since the deployment was created (up to
//! a few minutes ago: CloudWatch's datapoints arrive late). Lambda deployments only, so far.

use crate::aws::{Deadline, GateAws};
use crate::config::Config;
use crate::judge::{judge, lambda, Canary};
use crate::time::Time;
use crate::types::{AwsError, LambdaVersions};

/// How far before now the window ends: the latest minutes are not complete yet.
const LATE_SECS: i64 = 120;

/// The start of the minute `time` is in.
fn minute(time: Time) -> Time {
    Time::from_millis(time.millis() - time.millis().rem_euclid(60_000))
}

/// The judgement of the deployment created at `created`, shifting between `versions`.
pub async fn judge_shift(
    config: &Config,
    aws: &GateAws,
    versions: &LambdaVersions,
    created: Time,
    work: Deadline,
) -> Result<Canary, AwsError> {
    let (start, end) = (minute(created), minute(Time::now().plus_secs(-LATE_SECS)));
    let p = config.judge_p.0;
    if end <= start {
        return Ok(judge(&[], p));
    }
    let queries = lambda::queries(versions);
    let values = aws.alarms.per_minute(work, &queries, (start, end)).await?;
    Ok(judge(&lambda::minutes(&values), p))
}
