//! The breaker's invocation: payload → signals → deployments to stop → actions → report,
//! notifications and metrics ([`pipeline`]); or the canary judge's polls from its own queue
//! ([`polls`]).

mod pipeline;
mod polls;

use std::collections::BTreeSet;
use std::io::Write;
use std::time::Duration;

use aws_config::SdkConfig;
use aws_lambda_events::sqs::SqsBatchResponse;
use serde::Serialize;
use tracing::{debug, warn};

use crate::aws::Aws;
use crate::config::Config;
use crate::report::{Failure, FailureKind, HttpResponse, Report};
use crate::runtime::{Function, Invocation};
use crate::signal::{parse_bytes, Parsed, UrlRequest};
use pipeline::run;
pub use polls::Polled;
use polls::{own_polls, polls};

/// What the function returns: a report, for SQS the partial-batch response, for a function
/// URL request an HTTP response.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum Response {
    Report(Report),
    Batch(SqsBatchResponse),
    Http(HttpResponse),
    Polled(Polled),
}

/// The breaker is a [`Function`] over its clients.
impl Function for Aws {
    type Response = Response;

    async fn start(base: SdkConfig, config: &Config) -> Aws {
        let aws = Aws::new(base, config);
        if config.warm_up {
            // Init is off the path from alarm to stop, and Lambda gives it more CPU than an
            // invoke.
            aws.warm_up(config, Duration::from_secs(2)).await;
        }
        aws
    }

    async fn handle(
        &self,
        payload: &[u8],
        invocation: &Invocation,
        config: &Config,
        metrics: &mut dyn Write,
    ) -> Result<Response, Failure> {
        handle(payload, invocation, config, self, metrics).await
    }
}

/// Handles one invocation payload, writing its metrics (EMF lines) to `metrics`. Fails when the
/// payload is not understood, or when any stop or lookup failed (after every other target was
/// tried); an SQS batch instead reports the records that failed.
pub async fn handle(
    payload: &[u8],
    invocation: &Invocation,
    config: &Config,
    aws: &Aws,
    metrics: &mut dyn Write,
) -> Result<Response, Failure> {
    debug!(payload = %String::from_utf8_lossy(payload), "received");
    if let Some(delivered) = own_polls(payload, config) {
        return Ok(Response::Polled(
            polls(delivered, invocation, config, aws, metrics).await,
        ));
    }
    let payload = parse_bytes(payload).map_err(|e| {
        warn!(error = %e, "invalid payload");
        Failure {
            kind: FailureKind::InvalidPayload,
            message: e.0,
        }
    })?;
    match payload {
        Parsed::Direct(items) => {
            let items = items.into_iter().map(|item| (0, item)).collect();
            let (report, _) = run(items, invocation, config, aws, metrics).await;
            // The runtime logs the failure it returns.
            match report.failure() {
                Some(failure) => Err(failure),
                None => Ok(Response::Report(report)),
            }
        }
        Parsed::Url(request) => url(request, invocation, config, aws, metrics).await,
        Parsed::Sqs(records) => {
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
            let (_, failed_runs) = run(items, invocation, config, aws, metrics).await;
            failed.extend(failed_runs);
            let mut response = SqsBatchResponse::default();
            for index in failed {
                response.add_failure(records[index].message_id.clone());
            }
            Ok(Response::Batch(response))
        }
    }
}

/// A kill switch pressed through the function URL: 200 with the report, 403 when who pressed
/// it may not ask for that (or nobody signed the request), 400 when the body is not a kill
/// switch; a stop that failed fails the invocation, as for any other signal.
async fn url(
    request: UrlRequest,
    invocation: &Invocation,
    config: &Config,
    aws: &Aws,
    metrics: &mut dyn Write,
) -> Result<Response, Failure> {
    let item = match request {
        UrlRequest::KillSwitch(item) => item,
        UrlRequest::Unsigned(e) => {
            warn!(error = %e, "unsigned function URL request");
            return Ok(Response::Http(HttpResponse::error(
                403,
                FailureKind::Refused,
                &e.0,
                None,
            )));
        }
        UrlRequest::Invalid(e) => {
            warn!(error = %e, "invalid function URL request");
            let kind = FailureKind::InvalidPayload;
            return Ok(Response::Http(HttpResponse::error(400, kind, &e.0, None)));
        }
    };
    let (report, _) = run(vec![(0, item)], invocation, config, aws, metrics).await;
    Ok(Response::Http(match report.failure() {
        None => HttpResponse::json(200, &report),
        Some(failure) if failure.kind == FailureKind::Refused => {
            HttpResponse::error(403, failure.kind, &failure.message, Some(&report))
        }
        Some(failure) => return Err(failure),
    }))
}
