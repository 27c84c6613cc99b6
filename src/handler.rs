//! The pipeline for one invocation: payload → signals → deployments to stop → actions → report.

use std::collections::{BTreeSet, HashMap};

use aws_lambda_events::sqs::SqsBatchResponse;
use futures_util::future::join_all;
use serde::Serialize;
use tracing::{debug, error, info, warn};

use crate::codedeploy::{AwsError, CodeDeploy, Deadline, DeploymentInfo, Stopped};
use crate::config::{is_account, Config};
use crate::decide::{decide, Decision};
use crate::report::{Action, Failure, FailureKind, Outcome, Report};
use crate::resolve::{gather, requests, signal_time, Candidate, Context};
use crate::signal::{parse_bytes, Ignored, Item, Payload};
use crate::time::Time;

/// What the function returns: a report, or for SQS the partial-batch response.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum Response {
    Report(Report),
    Batch(SqsBatchResponse),
}

/// What the runtime tells about one invocation.
#[derive(Clone, Debug)]
pub struct Invocation {
    /// When to give up on AWS calls.
    pub deadline: Deadline,
    /// The function's own account.
    pub account: String,
    /// When the invocation started.
    pub now: Time,
}

impl Invocation {
    /// An invocation starting now, of the function `function_arn`: its account is the
    /// function's own, else `local_account` (`LOCAL_ACCOUNT`); fails when neither names one.
    pub fn new(
        deadline: Deadline,
        function_arn: &str,
        local_account: Option<&str>,
    ) -> Result<Invocation, Failure> {
        let account = function_arn
            .split(':')
            .nth(4)
            .filter(|account| is_account(account))
            .or(local_account)
            .ok_or_else(|| Failure {
                kind: FailureKind::UnknownAccount,
                message: format!(
                    "the invoked function ARN `{function_arn}` names no account, so signals \
                     from other accounts cannot be told apart (set LOCAL_ACCOUNT when running \
                     outside Lambda)"
                ),
            })?;
        Ok(Invocation {
            deadline,
            account: account.to_string(),
            now: Time::now(),
        })
    }
}

/// Handles one invocation payload. Fails when the payload is not understood, or when any stop
/// or lookup failed (after every other target was tried); an SQS batch instead reports the
/// records that failed.
pub async fn handle(
    payload: &[u8],
    invocation: &Invocation,
    config: &Config,
    codedeploy: &CodeDeploy,
) -> Result<Response, Failure> {
    debug!(payload = %String::from_utf8_lossy(payload), "received");
    let payload = parse_bytes(payload).map_err(|e| {
        warn!(error = %e, "invalid payload");
        Failure {
            kind: FailureKind::InvalidPayload,
            message: e.0,
        }
    })?;
    match payload {
        Payload::Direct(items) => {
            let items = items.into_iter().map(|item| (0, item)).collect();
            let (report, _) = run(items, invocation, config, codedeploy).await;
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
            let (_, failed_runs) = run(items, invocation, config, codedeploy).await;
            failed.extend(failed_runs);
            let mut response = SqsBatchResponse::default();
            for index in failed {
                response.add_failure(records[index].message_id.clone());
            }
            Ok(Response::Batch(response))
        }
    }
}

/// Runs parsed items (each tagged with its origin) through resolution, the rails and the stops.
/// Lookups, reads and stops run concurrently (the seam bounds the calls in flight). Returns the
/// report and the origins whose signals failed.
async fn run(
    items: Vec<(usize, Item)>,
    invocation: &Invocation,
    config: &Config,
    codedeploy: &CodeDeploy,
) -> (Report, BTreeSet<usize>) {
    let deadline = invocation.deadline;
    let context = Context {
        now: invocation.now,
        account: &invocation.account,
    };
    let mut report = Report::default();
    let mut failed = BTreeSet::new();

    let mut asked = Vec::new();
    for (origin, item) in items {
        match item {
            Item::Ignored(ignored) => ignore(&mut report, ignored),
            Item::Signal(signal) => {
                if let (time, Some(note)) = signal_time(&signal, context.now) {
                    warn!(signal = %signal.label(), time = %time, "{note}");
                }
                match requests(&signal, &context, config) {
                    Ok(stop_requests) => {
                        asked.extend(stop_requests.into_iter().map(|request| (origin, request)))
                    }
                    Err(ignored) => ignore(&mut report, ignored),
                }
            }
        }
    }

    let found =
        join_all(asked.iter().map(|(_, request)| {
            codedeploy.deployment_ids(deadline, &request.region, &request.target)
        }))
        .await;
    let gathered = gather(
        asked
            .into_iter()
            .zip(found)
            .map(|((origin, request), lookups)| (origin, request, lookups)),
    );
    for ignored in gathered.ignored {
        ignore(&mut report, ignored);
    }
    for (origin, lookup) in gathered.errors {
        error!(signal = %lookup.signal, error = %lookup.message, "lookup failed");
        report.errors.push(lookup);
        failed.insert(origin);
    }

    let candidates = gathered.candidates;
    let described = describe(&candidates, deadline, codedeploy).await;
    let actions = join_all(
        candidates
            .iter()
            .zip(described)
            .map(|(candidate, info)| act(candidate, info, deadline, config, codedeploy)),
    )
    .await;
    for (candidate, action) in candidates.iter().zip(actions) {
        info!(
            deployment_id = %action.deployment_id,
            account = %action.account,
            region = %action.region,
            outcome = %action.outcome,
            reason = %action.reason,
            "decision"
        );
        if action.outcome == Outcome::Failed {
            failed.extend(candidate.origins());
        }
        report.actions.push(action);
    }
    (report, failed)
}

fn ignore(report: &mut Report, ignored: Ignored) {
    info!(signal = %ignored.signal, reason = %ignored.reason, "ignored");
    report.ignored.push(ignored);
}

type Described = Result<Option<DeploymentInfo>, AwsError>;

/// Reads every candidate from CodeDeploy: one result per candidate, in order; the regions are
/// read together.
async fn describe(
    candidates: &[Candidate],
    deadline: Deadline,
    codedeploy: &CodeDeploy,
) -> Vec<Described> {
    let mut by_region: HashMap<&str, Vec<usize>> = HashMap::new();
    for (index, candidate) in candidates.iter().enumerate() {
        by_region.entry(&candidate.region).or_default().push(index);
    }
    let regions: Vec<(&str, Vec<usize>)> = by_region.into_iter().collect();
    let read = join_all(regions.iter().map(|(region, indexes)| {
        let ids: Vec<String> = indexes.iter().map(|&i| candidates[i].id.clone()).collect();
        async move { codedeploy.deployments(deadline, region, &ids).await }
    }))
    .await;
    let mut described: Vec<Option<Described>> = vec![None; candidates.len()];
    for ((_, indexes), results) in regions.into_iter().zip(read) {
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
async fn act(
    candidate: &Candidate,
    described: Described,
    deadline: Deadline,
    config: &Config,
    codedeploy: &CodeDeploy,
) -> Action {
    let basis = candidate.basis();
    let mut action = Action {
        deployment_id: candidate.id.clone(),
        application_name: None,
        deployment_group_name: None,
        account: candidate.account.clone(),
        region: candidate.region.clone(),
        outcome: Outcome::Failed,
        stop_status: None,
        reason: basis.reason.clone(),
        error_code: None,
    };
    let held = |why: &str| format!("{why}; {}", basis.reason);
    let info = match described {
        Ok(Some(info)) => info,
        Ok(None) => {
            action.reason = held(&format!(
                "CodeDeploy has no deployment {} in {}: check the account and region",
                candidate.id, candidate.region
            ));
            action.error_code = Some("DeploymentDoesNotExistException".into());
            return action;
        }
        Err(e) => {
            action.reason = held(&format!("could not read the deployment: {e}"));
            action.error_code = Some(e.code);
            return action;
        }
    };
    action.application_name = Some(info.application.clone());
    action.deployment_group_name = Some(info.group.clone());
    match decide(&info, basis, config) {
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
