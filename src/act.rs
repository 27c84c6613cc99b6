//! Candidates → actions: each deployment read from CodeDeploy, held or stopped as the rails
//! ([`crate::decide`]) say.

use std::collections::HashMap;

use futures_util::future::join_all;

use serde::Serialize;

use crate::aws::{Aws, Deadline, Stopped};
use crate::candidates::Candidate;
use crate::config::Config;
use crate::decide::{decide, Decision};
use crate::redeploys::{self, Claim, Reserved};
use crate::time::Time;
use crate::types::{Account, AwsError, DeploymentInfo, Outcome, Revision, SignalSummary};

/// One deployment and what was done with it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Action {
    pub deployment_id: String,
    /// From CodeDeploy; absent when CodeDeploy could not be read.
    pub application_name: Option<String>,
    pub deployment_group_name: Option<String>,
    pub account: String,
    pub region: String,
    pub outcome: Outcome,
    /// CodeDeploy's stop status (`Pending`, `Succeeded`) when stopped.
    pub stop_status: Option<String>,
    /// The deployment that put the previous revision back, when redeployed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub redeployment_id: Option<String>,
    /// The signal that caused it, and why it was held or failed.
    pub reason: String,
    /// The AWS error code when it failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_code: Option<String>,
}

/// An action, with the signal it acted on and, for a stop, when CodeDeploy accepted it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Acted {
    pub action: Action,
    pub signal: SignalSummary,
    pub stopped_at: Option<Time>,
}

/// What CodeDeploy said of one candidate: nothing (unknown there), or why it could not be read.
pub type Described = Result<Option<DeploymentInfo>, AwsError>;

/// Reads every candidate from CodeDeploy: one result per candidate, in order; each account and
/// region is read at the same time as the others.
pub async fn describe(candidates: &[Candidate], deadline: Deadline, aws: &Aws) -> Vec<Described> {
    let mut by_place: HashMap<(&Account, &str), Vec<usize>> = HashMap::new();
    for (index, candidate) in candidates.iter().enumerate() {
        let place = (&candidate.account, candidate.region.as_str());
        by_place.entry(place).or_default().push(index);
    }
    let places: Vec<((&Account, &str), Vec<usize>)> = by_place.into_iter().collect();
    let read = join_all(places.iter().map(|((account, region), indexes)| {
        let ids: Vec<String> = indexes.iter().map(|&i| candidates[i].id.clone()).collect();
        async move {
            aws.codedeploy
                .deployments(deadline, account, region, &ids)
                .await
        }
    }))
    .await;
    let mut described: Vec<Option<Described>> = vec![None; candidates.len()];
    for ((_, indexes), results) in places.into_iter().zip(read) {
        for (index, result) in indexes.into_iter().zip(results) {
            described[index] = Some(result);
        }
    }
    described
        .into_iter()
        .map(|d| d.unwrap_or(Ok(None)))
        .collect()
}

/// Applies the rails to one candidate, as CodeDeploy describes it, and stops it when they allow.
pub async fn act(
    candidate: &Candidate,
    described: Described,
    deadline: Deadline,
    config: &Config,
    aws: &Aws,
) -> Acted {
    let basis = candidate.basis();
    let mut action = Action {
        deployment_id: candidate.id.clone(),
        application_name: None,
        deployment_group_name: None,
        account: candidate.account.id().to_string(),
        region: candidate.region.clone(),
        outcome: Outcome::Failed,
        stop_status: None,
        redeployment_id: None,
        reason: basis.reason.clone(),
        error_code: None,
    };
    let mut stopped_at = None;
    match described {
        Ok(Some(info)) => {
            action.application_name = Some(info.application.clone());
            action.deployment_group_name = Some(info.group.clone());
            let decision = rails(&info, candidate, config, (deadline, aws), &mut action).await;
            match decision {
                Decision::Hold { outcome, reason } => {
                    action.outcome = outcome;
                    action.reason = format!("{reason}; {}", action.reason);
                }
                Decision::Stop => {
                    stopped_at = stop(candidate, &mut action, deadline, config, aws).await
                }
                Decision::Redeploy(revision) => {
                    let redeploy = Redeploy {
                        info: &info,
                        revision: &revision,
                        signal: &basis.signal,
                    };
                    stopped_at = redeploy.run(candidate, &mut action, deadline, aws).await
                }
            }
        }
        Ok(None) => {
            action.reason = format!(
                "CodeDeploy has no deployment {} in {} (account {}): check the account and \
                 region; {}",
                candidate.id, candidate.region, candidate.account, basis.reason
            );
            action.error_code = Some("DeploymentDoesNotExistException".into());
        }
        Err(e) => {
            action.reason = format!("could not read the deployment: {e}; {}", basis.reason);
            action.error_code = Some(e.code);
        }
    }
    Acted {
        action,
        signal: basis.signal.clone(),
        stopped_at,
    }
}

/// The rails, the breaker's own record first: a deployment whose description claims the breaker
/// made it is exempt only when the record says so (see [`redeploys`]); when not, `action`'s
/// reason says the claim was not believed.
async fn rails(
    info: &DeploymentInfo,
    candidate: &Candidate,
    config: &Config,
    (deadline, aws): (Deadline, &Aws),
    action: &mut Action,
) -> Decision {
    let basis = candidate.basis();
    let place = (&candidate.account, candidate.region.as_str());
    let hold = |reason: String| Decision::Hold {
        outcome: Outcome::Skipped,
        reason,
    };
    match redeploys::claim(info, place, deadline, aws).await {
        Claim::None => decide(info, &candidate.account, basis, config),
        Claim::Made(of) => hold(format!(
            "a redeploy the breaker made in place of {of}, as its record says: never stopped"
        )),
        Claim::Making(of) => hold(format!(
            "its description says it is the breaker's redeploy of {of}, which is being made \
             now: not stopped by this signal"
        )),
        Claim::NotBelieved(why) => {
            action.reason = format!("{why}; {}", action.reason);
            decide(info, &candidate.account, basis, config)
        }
    }
}

/// Stops a candidate the rails allowed, recording how it went in `action`; returns when
/// CodeDeploy accepted the stop.
async fn stop(
    candidate: &Candidate,
    action: &mut Action,
    deadline: Deadline,
    config: &Config,
    aws: &Aws,
) -> Option<Time> {
    let (account, region) = (&candidate.account, &candidate.region);
    let stop = aws.codedeploy.stop(
        deadline,
        account,
        region,
        &candidate.id,
        config.auto_rollback,
    );
    let held = |why: &str| format!("{why}; {}", action.reason);
    match stop.await {
        Ok(Stopped::Now(status)) => {
            action.outcome = Outcome::Stopped;
            action.stop_status = Some(status);
            return Some(Time::now());
        }
        Ok(Stopped::AlreadyCompleted) => {
            action.outcome = Outcome::AlreadyCompleted;
            action.reason = held("completed before it could be stopped");
        }
        Err(e) => {
            action.reason = held(&e.to_string());
            action.error_code = Some(e.code);
        }
    }
    None
}

/// A finished deployment whose previous revision the rails allow to deploy again.
struct Redeploy<'a> {
    info: &'a DeploymentInfo,
    revision: &'a Revision,
    signal: &'a SignalSummary,
}

/// CreateDeployment takes a description of at most this many characters.
const DESCRIPTION_LIMIT: usize = 1024;

impl Redeploy<'_> {
    /// Whether the deployment is still its group's latest, as CodeDeploy says now; when not, or
    /// when it cannot be read, `action` says why.
    async fn still_latest(
        &self,
        candidate: &Candidate,
        action: &mut Action,
        deadline: Deadline,
        aws: &Aws,
    ) -> bool {
        let (account, region) = (&candidate.account, candidate.region.as_str());
        let held = |why: &str, action: &Action| format!("{why}; {}", action.reason);
        let (application, group) = (&self.info.application, &self.info.group);
        let group = aws
            .codedeploy
            .group(deadline, account, region, application, group)
            .await;
        let latest = match group {
            Ok(group) => group.and_then(|g| g.last_attempted).map(|last| last.id),
            Err(e) => {
                action.reason = held(&format!("could not read the deployment group: {e}"), action);
                action.error_code = Some(e.code);
                return false;
            }
        };
        if latest.as_deref() != Some(self.info.id.as_str()) {
            let newer = latest.unwrap_or_else(|| "none".into());
            action.outcome = Outcome::Skipped;
            action.reason = held(
                &format!(
                    "no longer the group's latest deployment (that is {newer}): redeploying its \
                     previous revision would undo what came since"
                ),
                action,
            );
            return false;
        }
        true
    }

    /// The last rail, read from CodeDeploy just before acting: the deployment is still its
    /// group's latest (a redeploy over a newer one would undo it). Then the record that makes
    /// it the only redeploy of this deployment, then CreateDeployment; returns when CodeDeploy
    /// accepted it.
    async fn run(
        &self,
        candidate: &Candidate,
        action: &mut Action,
        deadline: Deadline,
        aws: &Aws,
    ) -> Option<Time> {
        if !self.still_latest(candidate, action, deadline, aws).await {
            return None;
        }
        let (account, region) = (&candidate.account, candidate.region.as_str());
        let held = |why: &str, action: &Action| format!("{why}; {}", action.reason);
        let replaced = (account, region, self.info.id.as_str());
        let group = (self.info.application.as_str(), self.info.group.as_str());
        match redeploys::reserve(aws, deadline, replaced, group).await {
            Ok(Reserved::Mine) => {}
            Ok(Reserved::Taken(why)) => {
                action.outcome = Outcome::Skipped;
                action.reason = held(&why, action);
                return None;
            }
            Err(e) => {
                let why = format!("could not record the redeploy before making it: {e}");
                action.reason = held(&why, action);
                action.error_code = Some(e.code);
                return None;
            }
        }
        let created = self.create(account, region, deadline, aws).await;
        match created {
            Ok(id) => {
                action.outcome = Outcome::Redeployed;
                let mut done = format!("redeployed {} as {id}", self.revision);
                if let Err(e) = redeploys::made(aws, deadline, replaced, &id).await {
                    done.push_str(&format!(
                        " (but could not record it, so a later signal will not believe it is \
                         the breaker's: {e})"
                    ));
                    action.error_code = Some(e.code);
                }
                action.reason = held(&done, action);
                action.redeployment_id = Some(id);
                Some(Time::now())
            }
            Err(e) => {
                if let Err(also) = redeploys::release(aws, deadline, replaced, &e).await {
                    tracing::error!(error = %also, "could not release the redeploy's record");
                }
                action.reason = held(
                    &format!("could not redeploy {}: {e}", self.revision),
                    action,
                );
                action.error_code = Some(e.code);
                None
            }
        }
    }

    /// CreateDeployment of the previous revision, described as the breaker's.
    async fn create(
        &self,
        account: &Account,
        region: &str,
        deadline: Deadline,
        aws: &Aws,
    ) -> Result<String, AwsError> {
        let place = (self.info.application.as_str(), self.info.group.as_str());
        let rest = format!("{}, after {}", self.revision, self.signal.label);
        let description = redeploys::description(&self.info.id, &rest, DESCRIPTION_LIMIT);
        aws.codedeploy
            .redeploy(
                deadline,
                account,
                region,
                place,
                self.revision,
                &description,
            )
            .await
    }
}
