//! The pipeline for one invocation: payload → signals → deployments to stop → actions → report.

use std::collections::{BTreeSet, HashMap};

use aws_lambda_events::sqs::SqsBatchResponse;
use futures_util::future::join_all;
use serde::Serialize;
use serde_json::Value;
use tracing::{debug, error, info, warn};

use crate::codedeploy::{AwsError, CodeDeploy, Deadline, DeploymentInfo, Stopped};
use crate::config::Config;
use crate::decide::{decide, Decision};
use crate::report::{Action, Failure, FailureKind, LookupError, Outcome, Report};
use crate::resolve::{deployment_ids, requests};
use crate::signal::{parse, Ignored, Item, Payload};

/// What the function returns: a report, or for SQS the partial-batch response.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum Response {
    Report(Report),
    Batch(SqsBatchResponse),
}

/// Handles one invocation payload, giving up on AWS calls at `deadline`. Fails when the payload
/// is not understood, or when any stop or lookup failed (after every other target was tried);
/// an SQS batch instead reports the records that failed.
pub async fn handle(
    event: &Value,
    deadline: Deadline,
    config: &Config,
    codedeploy: &CodeDeploy,
) -> Result<Response, Failure> {
    debug!(payload = %event, "received");
    let payload = parse(event).map_err(|e| {
        warn!(error = %e, "invalid payload");
        Failure {
            kind: FailureKind::InvalidPayload,
            message: e.0,
        }
    })?;
    match payload {
        Payload::Direct(items) => {
            let items = items.into_iter().map(|item| (0, item)).collect();
            let (report, _) = run(items, deadline, config, codedeploy).await;
            // The runtime logs the failure it returns.
            match report.failure() {
                Some(failure) => Err(failure),
                None => Ok(Response::Report(report)),
            }
        }
        Payload::Sqs(records) => {
            let mut items = Vec::new();
            let mut failed = BTreeSet::new();
            for (index, record) in records.iter().enumerate() {
                match &record.item {
                    Ok(item) => items.push((index, item.clone())),
                    Err(e) => {
                        warn!(message_id = %record.message_id, error = %e, "invalid SQS record");
                        failed.insert(index);
                    }
                }
            }
            // Each decision is logged; the batch response carries only the failed records.
            let (_, failed_runs) = run(items, deadline, config, codedeploy).await;
            failed.extend(failed_runs);
            let mut response = SqsBatchResponse::default();
            for index in failed {
                response.add_failure(records[index].message_id.clone());
            }
            Ok(Response::Batch(response))
        }
    }
}

/// One deployment to decide on, with every origin (SQS record index) that asked for it.
struct Candidate {
    id: String,
    region: String,
    reason: String,
    origins: BTreeSet<usize>,
}

/// Runs parsed items (each tagged with its origin) through resolution, the rails and the stops.
/// Lookups, reads and stops run concurrently (the seam bounds the calls in flight). Returns the
/// report and the origins whose signals failed.
async fn run(
    items: Vec<(usize, Item)>,
    deadline: Deadline,
    config: &Config,
    codedeploy: &CodeDeploy,
) -> (Report, BTreeSet<usize>) {
    let mut report = Report::default();
    let mut failed = BTreeSet::new();

    let mut asked = Vec::new();
    for (origin, item) in items {
        match item {
            Item::Ignored(ignored) => ignore(&mut report, ignored),
            Item::Signal(signal) => match requests(&signal, config) {
                Ok(stop_requests) => asked.extend(
                    stop_requests
                        .into_iter()
                        .map(|request| (origin, signal.label(), request)),
                ),
                Err(ignored) => ignore(&mut report, ignored),
            },
        }
    }

    let found = join_all(
        asked
            .iter()
            .map(|(_, _, request)| deployment_ids(request, deadline, codedeploy)),
    )
    .await;
    let mut candidates: Vec<Candidate> = Vec::new();
    for ((origin, label, request), lookups) in asked.into_iter().zip(found) {
        let what = format!("{} in {}", request.target, request.region);
        if lookups
            .iter()
            .all(|ids| ids.as_ref().is_ok_and(Vec::is_empty))
        {
            let reason = format!("no active deployment of {what}");
            ignore(
                &mut report,
                Ignored {
                    signal: label.clone(),
                    reason,
                },
            );
        }
        for lookup in lookups {
            let ids = match lookup {
                Ok(ids) => ids,
                Err(e) => {
                    error!(signal = %label, target = %what, error = %e, "lookup failed");
                    report.errors.push(LookupError {
                        signal: format!("{} ({what})", request.reason),
                        error_code: e.code.clone(),
                        message: e.to_string(),
                    });
                    failed.insert(origin);
                    continue;
                }
            };
            for id in ids {
                match candidates
                    .iter_mut()
                    .find(|c| c.id == id && c.region == request.region)
                {
                    Some(known) => {
                        known.origins.insert(origin);
                    }
                    None => candidates.push(Candidate {
                        id,
                        region: request.region.clone(),
                        reason: request.reason.clone(),
                        origins: BTreeSet::from([origin]),
                    }),
                }
            }
        }
    }

    let described = describe(&candidates, deadline, codedeploy).await;
    let actions = join_all(
        candidates
            .iter()
            .map(|candidate| act(candidate, &described, deadline, config, codedeploy)),
    )
    .await;
    for (candidate, action) in candidates.iter().zip(actions) {
        info!(
            deployment_id = %action.deployment_id,
            region = %action.region,
            outcome = %action.outcome,
            reason = %action.reason,
            "decision"
        );
        if action.outcome == Outcome::Failed {
            failed.extend(candidate.origins.iter().copied());
        }
        report.actions.push(action);
    }
    (report, failed)
}

fn ignore(report: &mut Report, ignored: Ignored) {
    info!(signal = %ignored.signal, reason = %ignored.reason, "ignored");
    report.ignored.push(ignored);
}

/// Reads every candidate from CodeDeploy, one batch of calls per region, regions together.
async fn describe(
    candidates: &[Candidate],
    deadline: Deadline,
    codedeploy: &CodeDeploy,
) -> HashMap<String, Result<Vec<DeploymentInfo>, AwsError>> {
    let mut by_region: HashMap<String, Vec<String>> = HashMap::new();
    for candidate in candidates {
        by_region
            .entry(candidate.region.clone())
            .or_default()
            .push(candidate.id.clone());
    }
    let described = join_all(
        by_region
            .iter()
            .map(|(region, ids)| codedeploy.deployments(deadline, region, ids)),
    )
    .await;
    by_region.into_keys().zip(described).collect()
}

/// Applies the rails to one candidate and stops it when they allow.
async fn act(
    candidate: &Candidate,
    described: &HashMap<String, Result<Vec<DeploymentInfo>, AwsError>>,
    deadline: Deadline,
    config: &Config,
    codedeploy: &CodeDeploy,
) -> Action {
    let mut action = Action {
        deployment_id: candidate.id.clone(),
        application_name: None,
        deployment_group_name: None,
        region: candidate.region.clone(),
        outcome: Outcome::Failed,
        stop_status: None,
        reason: candidate.reason.clone(),
        error_code: None,
    };
    let held = |why: &str| format!("{why}; {}", candidate.reason);
    let info = match described.get(&candidate.region) {
        Some(Ok(infos)) => infos.iter().find(|info| info.id == candidate.id),
        Some(Err(e)) => {
            action.reason = held(&format!("could not read the deployment: {e}"));
            action.error_code = Some(e.code.clone());
            return action;
        }
        None => None,
    };
    let Some(info) = info else {
        action.reason = held(&format!(
            "CodeDeploy has no deployment {} in {}: check the account and region",
            candidate.id, candidate.region
        ));
        action.error_code = Some("DeploymentDoesNotExistException".into());
        return action;
    };
    action.application_name = Some(info.application.clone());
    action.deployment_group_name = Some(info.group.clone());
    match decide(info, config) {
        Decision::Hold { outcome, reason } => {
            action.outcome = outcome;
            action.reason = held(&reason);
        }
        Decision::Stop => {
            let stop = codedeploy.stop(
                deadline,
                &candidate.region,
                &candidate.id,
                config.auto_rollback,
            );
            match stop.await {
                Ok(Stopped::Now(status)) => {
                    action.outcome = Outcome::Stopped;
                    action.stop_status = Some(status);
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
    action
}
