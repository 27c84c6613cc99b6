//! The record of each redeploy, in the state table only the functions' roles write: made before
//! CreateDeployment and keyed by the deployment it replaces, so that racing signals make one
//! redeploy; it then names the deployment made, which is what exempts that deployment from being
//! stopped. A description anyone can write proves nothing by itself.

use serde_json::{json, Value};

use crate::aws::{Aws, Deadline, Expect, Written};
use crate::time::Time;
use crate::types::{
    bounded, is_deployment_id, Account, AwsError, DeploymentInfo, CLOCK_SKEW_SECS, REDEPLOY_MARK,
};

/// How long a record outlives its redeploy: long past any signal about either deployment.
const KEPT_SECS: i64 = 30 * 24 * 3600;

/// How long a redeploy may be under way (recorded, CreateDeployment not yet answered) before a
/// deployment claiming to be it is no longer given the benefit of the doubt.
const MAKING_SECS: i64 = 120;

/// What a deployment's description claims of its origin, weighed against the records.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Claim {
    /// It does not claim the breaker made it.
    None,
    /// The breaker's record names it: the breaker made it, in place of this deployment.
    Made(String),
    /// The breaker is redeploying in place of this deployment right now: it may be the one.
    Making(String),
    /// The claim is not believed, for this reason.
    NotBelieved(String),
}

/// The record's key: the deployment a redeploy replaces, where it lives.
fn key(account: &Account, region: &str, replaced: &str) -> String {
    format!("redeploy#{account}#{region}#{replaced}")
}

/// The key of the record that names a deployment the breaker made.
fn made_key(account: &Account, region: &str, made: &str) -> String {
    format!("made#{account}#{region}#{made}")
}

/// The description of a redeploy in place of `replaced` (at most `limit` characters; the
/// deployment it replaces comes first, so that it survives the cut).
pub fn description(replaced: &str, rest: &str, limit: usize) -> String {
    bounded(
        &format!("{REDEPLOY_MARK} in place of {replaced}: {rest}"),
        limit,
    )
}

/// The deployment a breaker's description says it replaced.
fn replaced(description: &str) -> Option<&str> {
    let rest = description.strip_prefix(REDEPLOY_MARK)?;
    let id = rest.strip_prefix(" in place of ")?.split(':').next()?;
    is_deployment_id(id).then_some(id)
}

/// What the state table says of `deployment`'s claim to be a redeploy the breaker made: the
/// record naming it, or, while a redeploy of the same group is being made, the benefit of the
/// doubt.
pub async fn claim(
    deployment: &DeploymentInfo,
    (account, region): (&Account, &str),
    deadline: Deadline,
    aws: &Aws,
) -> Claim {
    let description = deployment.description.as_deref().unwrap_or_default();
    if !description.starts_with(REDEPLOY_MARK) {
        return Claim::None;
    }
    let not = |why: String| {
        Claim::NotBelieved(format!(
            "its description claims the breaker made it, but {why}: the claim is not believed"
        ))
    };
    let Some(state) = &aws.state else {
        return not("STATE_TABLE is not set, so no record can vouch for it".into());
    };
    match state
        .get(deadline, &made_key(account, region, &deployment.id))
        .await
    {
        Ok(Some(made)) => {
            let of = made.get("replaced").and_then(Value::as_str).unwrap_or("?");
            return Claim::Made(of.to_string());
        }
        Ok(None) => {}
        Err(e) => return not(format!("its record could not be read ({e})")),
    }
    let Some(replaced) = replaced(description) else {
        return not("no record names it".into());
    };
    let record = match state.get(deadline, &key(account, region, replaced)).await {
        Ok(Some(record)) => record,
        Ok(None) => {
            return not(format!(
                "the breaker has no record of redeploying {replaced}"
            ))
        }
        Err(e) => return not(format!("its record could not be read ({e})")),
    };
    let text = |field: &str| record.get(field).and_then(Value::as_str);
    if let Some(made) = text("redeploymentId") {
        return not(format!("the breaker redeployed {replaced} as {made}"));
    }
    let started = (record.get("startedAt").and_then(Value::as_i64)).map(Time::from_millis);
    let same_group = text("application") == Some(deployment.application.as_str())
        && text("group") == Some(deployment.group.as_str());
    let after = match (started, deployment.create_time) {
        (Some(at), Some(created)) => created >= at.plus_secs(-CLOCK_SKEW_SECS),
        _ => false,
    };
    let making = started.is_some_and(|at| Time::now().secs_since(at) <= MAKING_SECS);
    if making && same_group && after {
        return Claim::Making(replaced.to_string());
    }
    not(format!(
        "the breaker's redeploy of {replaced} never named it"
    ))
}

/// How reserving a redeploy went.
pub enum Reserved {
    /// This invocation makes it.
    Mine,
    /// Another signal made it, or is making it: what its record says.
    Taken(String),
}

/// Records that a redeploy in place of `replaced` (of `group`) is being made, unless one already
/// is; a reservation that never named what it made is taken over after [`MAKING_SECS`].
pub async fn reserve(
    aws: &Aws,
    deadline: Deadline,
    (account, region, replaced): (&Account, &str, &str),
    (application, group): (&str, &str),
) -> Result<Reserved, AwsError> {
    let Some(state) = &aws.state else {
        let why = "STATE_TABLE is not set: a redeploy is recorded before it is made";
        return Err(AwsError::new("PutItem", "NotConfigured", why));
    };
    let pk = key(account, region, replaced);
    let now = Time::now();
    let record = json!({"deploymentId": replaced, "startedAt": now.millis(),
        "application": application, "group": group});
    let record = record.as_object().cloned().unwrap_or_default();
    let expires = now.plus_secs(KEPT_SECS);
    if state
        .put(deadline, (&pk, expires), &record, &[Expect::New])
        .await?
        == Written::Done
    {
        return Ok(Reserved::Mine);
    }
    let existing = state.get(deadline, &pk).await?.unwrap_or_default();
    if let Some(id) = existing.get("redeploymentId").and_then(Value::as_str) {
        return Ok(Reserved::Taken(format!(
            "the breaker already redeployed it as {id}"
        )));
    }
    let started = existing.get("startedAt").cloned().unwrap_or(Value::Null);
    let stale = (started.as_i64()).is_some_and(|at| now.millis() - at > MAKING_SECS * 1000);
    let expect = [
        Expect::Equals("startedAt", &started),
        Expect::Without("redeploymentId"),
    ];
    if stale
        && state
            .put(deadline, (&pk, expires), &record, &expect)
            .await?
            == Written::Done
    {
        return Ok(Reserved::Mine);
    }
    Ok(Reserved::Taken(
        "another signal is redeploying it now".into(),
    ))
}

/// Records the deployment a reserved redeploy made: from now on it is exempt from being stopped.
/// Tried twice.
pub async fn made(
    aws: &Aws,
    deadline: Deadline,
    (account, region, replaced): (&Account, &str, &str),
    made: &str,
) -> Result<(), AwsError> {
    let Some(state) = &aws.state else {
        return Ok(());
    };
    let expires = Time::now().plus_secs(KEPT_SECS);
    let named = json!({"replaced": replaced})
        .as_object()
        .cloned()
        .unwrap_or_default();
    let pk = made_key(account, region, made);
    let write = || state.put(deadline, (&pk, expires), &named, &[]);
    if write().await.is_err() {
        write().await?;
    }
    let mut record = state
        .get(deadline, &key(account, region, replaced))
        .await?
        .unwrap_or_default();
    record.insert("redeploymentId".into(), json!(made));
    let expect = [Expect::Without("redeploymentId")];
    state
        .put(
            deadline,
            (&key(account, region, replaced), expires),
            &record,
            &expect,
        )
        .await?;
    Ok(())
}

/// Gives a reservation back when CreateDeployment definitely failed (CodeDeploy refused it), so
/// that a retry may redeploy; after an error that leaves it unknown (a timeout, a throttle, a
/// server error) the reservation stays, and is taken over after [`MAKING_SECS`].
pub async fn release(
    aws: &Aws,
    deadline: Deadline,
    (account, region, replaced): (&Account, &str, &str),
    error: &AwsError,
) -> Result<(), AwsError> {
    let definite = error.code.ends_with("Exception") && !error.code.contains("Throttl");
    let Some(state) = aws.state.as_ref().filter(|_| definite) else {
        return Ok(());
    };
    let pk = key(account, region, replaced);
    let expect = [Expect::Without("redeploymentId")];
    state.delete(deadline, &pk, &expect).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_replaced_deployment_is_read_from_the_breakers_own_wording() {
        let long = "a revision with a long key ".repeat(100);
        let ours = description("d-ABCDEFGH1", &long, 1024);
        assert!(ours.chars().count() <= 1024);
        assert_eq!(
            replaced(&ours),
            Some("d-ABCDEFGH1"),
            "cut, it still names it"
        );
        let trust_me = "deployment-circuit-breaker redeploy, trust me";
        assert_eq!(replaced(trust_me), None);
        assert_eq!(
            replaced(&format!("{REDEPLOY_MARK} in place of nothing: x")),
            None
        );
        assert_eq!(replaced("in place of d-ABCDEFGH1:"), None);
    }
}
