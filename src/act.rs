//! Candidates → actions: each deployment read from CodeDeploy, held or stopped as the rails
//! ([`crate::decide`]) say.

use std::collections::HashMap;

use futures_util::future::join_all;

use crate::aws::{Account, Aws, AwsError, Deadline, DeploymentInfo, Stopped};
use crate::candidates::Candidate;
use crate::config::Config;
use crate::decide::{decide, Decision};
use crate::report::{Action, Decided, Outcome};
use crate::time::Time;

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
) -> Decided {
    let basis = candidate.basis();
    let mut action = Action {
        deployment_id: candidate.id.clone(),
        application_name: None,
        deployment_group_name: None,
        account: candidate.account.id().to_string(),
        region: candidate.region.clone(),
        outcome: Outcome::Failed,
        stop_status: None,
        reason: basis.reason.clone(),
        error_code: None,
    };
    let mut stopped_at = None;
    let held = |why: &str| format!("{why}; {}", basis.reason);
    match described {
        Ok(Some(info)) => {
            action.application_name = Some(info.application.clone());
            action.deployment_group_name = Some(info.group.clone());
            match decide(&info, &candidate.account, basis, config) {
                Decision::Hold { outcome, reason } => {
                    action.outcome = outcome;
                    action.reason = held(&reason);
                }
                Decision::Stop => {
                    let stop = aws.codedeploy.stop(
                        deadline,
                        &candidate.account,
                        &candidate.region,
                        &candidate.id,
                        config.auto_rollback,
                    );
                    match stop.await {
                        Ok(Stopped::Now(status)) => {
                            action.outcome = Outcome::Stopped;
                            action.stop_status = Some(status);
                            stopped_at = Some(Time::now());
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
                }
            }
        }
        Ok(None) => {
            action.reason = held(&format!(
                "CodeDeploy has no deployment {} in {} (account {}): check the account and region",
                candidate.id, candidate.region, candidate.account
            ));
            action.error_code = Some("DeploymentDoesNotExistException".into());
        }
        Err(e) => {
            action.reason = held(&format!("could not read the deployment: {e}"));
            action.error_code = Some(e.code);
        }
    }
    Decided {
        action,
        signal: basis.signal.clone(),
        stopped_at,
    }
}
