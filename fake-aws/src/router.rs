//! The router: one table ([`ROUTES`]) from (SigV4 service, operation) to the handler that
//! serves it, and a request's way through the fake: its signature and input read, its caller
//! named and the call recorded, an injected fault applied, then its handler, answered in the
//! request's protocol.

use std::sync::Mutex;
use std::time::Instant;

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response};
use serde_json::Value;

use crate::caller::{scope, Caller, Scope};
use crate::faults::FaultKind;
use crate::journal::{Call, Served};
use crate::protocol::{client_error, xml_response, ApiError, Failure, Protocol};
use crate::tagging;
use crate::{admin, applications, cloudwatch, codedeploy, deployment_groups, deployments};
use crate::{dynamodb, elb, events, hooks, list_metrics, metric_data, queue_attributes};
use crate::{lock, Input, State};
use crate::{simulator, sqs, sts};

/// How an operation is served: the handler, and how its answer is written.
#[derive(Clone, Copy)]
enum Handler {
    /// A JSON service's: answered in JSON or CBOR, as the request was sent.
    Json(fn(&mut State, &Input) -> Result<Value, ApiError>),
    /// The same, its errors with more members than `__type` and `message` (DynamoDB's).
    Detailed(fn(&mut State, &Input) -> Result<Value, Failure>),
    /// A query service's (STS, IAM, Elastic Load Balancing): answered in XML.
    Xml(fn(&mut State, &Input) -> Result<String, ApiError>),
}

use Handler::{Detailed, Json, Xml};

/// Every operation the fake serves, by the service its credential scope names.
#[rustfmt::skip]
const ROUTES: [(&str, &str, Handler); 27] = [
    ("codedeploy", "ListApplications", Json(applications::list_applications)),
    ("codedeploy", "ListDeploymentGroups", Json(deployment_groups::list_deployment_groups)),
    ("codedeploy", "BatchGetDeploymentGroups",
        Json(deployment_groups::batch_get_deployment_groups)),
    ("codedeploy", "CreateDeployment", Json(deployment_groups::create_deployment)),
    ("codedeploy", "ListDeployments", Json(deployments::list_deployments)),
    ("codedeploy", "BatchGetDeployments", Json(deployments::batch_get_deployments)),
    ("codedeploy", "StopDeployment", Json(deployments::stop_deployment)),
    ("codedeploy", "ListDeploymentTargets", Json(hooks::list_deployment_targets)),
    ("codedeploy", "BatchGetDeploymentTargets", Json(hooks::batch_get_deployment_targets)),
    ("codedeploy", "PutLifecycleEventHookExecutionStatus",
        Json(hooks::put_lifecycle_event_hook_execution_status)),
    ("events", "PutEvents", Json(events::put_events)),
    ("monitoring", "DescribeAlarms", Json(cloudwatch::describe_alarms)),
    ("monitoring", "GetMetricData", Json(metric_data::get_metric_data)),
    ("monitoring", "ListMetrics", Json(list_metrics::list_metrics)),
    ("tagging", "GetResources", Json(tagging::get_resources)),
    ("dynamodb", "PutItem", Detailed(dynamodb::put_item)),
    ("dynamodb", "GetItem", Detailed(dynamodb::get_item)),
    ("dynamodb", "UpdateItem", Detailed(dynamodb::update_item)),
    ("dynamodb", "DeleteItem", Detailed(dynamodb::delete_item)),
    ("sqs", "SendMessage", Json(sqs::send_message)),
    ("sqs", "ReceiveMessage", Json(sqs::receive_message)),
    ("sqs", "DeleteMessage", Json(sqs::delete_message)),
    ("sqs", "ChangeMessageVisibility", Json(sqs::change_message_visibility)),
    ("sqs", "GetQueueAttributes", Json(queue_attributes::get_queue_attributes)),
    ("sts", "AssumeRole", Xml(sts::assume_role)),
    ("iam", "SimulatePrincipalPolicy", Xml(simulator::simulate_principal_policy)),
    ("elasticloadbalancing", "DescribeTargetGroups", Xml(elb::describe_target_groups)),
];

/// A handler's answer.
#[derive(Debug)]
pub(crate) enum Answer {
    Json(Value),
    Xml(String),
}

/// Serves one request; `None` drops the connection.
pub(crate) async fn serve(
    state: &Mutex<State>,
    request: Request<Incoming>,
) -> Option<Response<Full<Bytes>>> {
    let received = Instant::now();
    if let Some(command) = request.uri().path().strip_prefix("/_fake/") {
        return Some(admin::admin(&mut lock(state), request.method(), command));
    }
    let (protocol, scope, body) = match read(state, request).await {
        Ok(read) => read,
        Err(refusal) => return Some(refusal),
    };
    let operation = protocol.operation(&body);
    let admitted = admit(&mut lock(state), &protocol, &scope, &operation, &body);
    let (caller, fault) = match admitted {
        Ok(admitted) => admitted,
        Err(error) => return Some(protocol.error(error)),
    };
    match fault {
        Some(FaultKind::Drop) => return None,
        Some(FaultKind::Delay(delay)) => tokio::time::sleep(delay).await,
        Some(FaultKind::Error { status, error_type }) => {
            let message = format!("injected {error_type} for {operation}");
            return Some(protocol.error(ApiError(status, error_type, message)));
        }
        None => {}
    }
    let input = Input {
        caller: &caller,
        operation: &operation,
        region: &scope.region,
        body: &body,
    };
    // An SQS long poll waits, the state unlocked, until a message is received or time is up.
    let waits_until = sqs::long_poll(&scope.service, &input).map(|wait| received + wait);
    let answer = loop {
        let answer = dispatch(&mut lock(state), &scope.service, &input);
        match waits_until {
            Some(until) if sqs::received_none(&answer) && Instant::now() < until => {
                tokio::time::sleep(sqs::POLL_INTERVAL.min(until - Instant::now())).await;
            }
            _ => break answer,
        }
    };
    let answer = answer.map(|answer| match answer {
        Answer::Json(answer) => protocol.answer(&answer),
        Answer::Xml(answer) => xml_response(answer),
    });
    lock(state).journal.served.push(Served {
        operation,
        received,
        answered: Instant::now(),
    });
    Some(answer.unwrap_or_else(|failure| protocol.failure(failure)))
}

/// The request's protocol, credential scope and input; or, as AWS refuses a request before it
/// looks at who sent it, the answer refusing it.
async fn read(
    state: &Mutex<State>,
    request: Request<Incoming>,
) -> Result<(Protocol, Scope, Value), Response<Full<Bytes>>> {
    let protocol = Protocol::of(&request);
    let Some(authorization) = request.headers().get("authorization") else {
        // As AWS answers before any authorization; not a call, so not recorded.
        lock(state).journal.unsigned += 1;
        let error = client_error(
            "MissingAuthenticationTokenException",
            "Missing Authentication Token",
        );
        return Err(protocol.error(error));
    };
    let scope = authorization.to_str().ok().and_then(scope);
    let bytes = match request.into_body().collect().await {
        Ok(body) => body.to_bytes(),
        Err(e) => {
            let error = client_error("SerializationException", e.to_string());
            return Err(protocol.error(error));
        }
    };
    let Some(scope) = scope else {
        let error = client_error("IncompleteSignatureException", "Bad credential scope");
        return Err(protocol.error(error));
    };
    let protocol = protocol.for_service(&scope.service);
    let body = protocol
        .parse(&bytes)
        .map_err(|error| protocol.error(error))?;
    Ok((protocol, scope, body))
}

/// The caller who signed the call, and the fault to apply to it; the call is recorded. A
/// session key STS never issued is refused (and not recorded), as AWS refuses it.
fn admit(
    state: &mut State,
    protocol: &Protocol,
    scope: &Scope,
    operation: &str,
    body: &Value,
) -> Result<(Caller, Option<FaultKind>), ApiError> {
    if state.identities.is_unknown_session(&scope.access_key) {
        let code = if protocol.is_query() {
            "InvalidClientTokenId"
        } else {
            "UnrecognizedClientException"
        };
        let message = "The security token included in the request is invalid.";
        return Err(ApiError(403, code.into(), message.into()));
    }
    let caller = state.identities.caller(&scope.access_key);
    if state.verbose {
        println!(
            "{} {operation} {} {} {body}",
            scope.service, caller.account, scope.region
        );
    }
    state.journal.calls.push(Call {
        service: scope.service.clone(),
        account: caller.account.clone(),
        region: scope.region.clone(),
        operation: operation.into(),
        body: body.clone(),
    });
    let fault = state.take_fault(operation, body);
    Ok((caller, fault))
}

/// Serves a call to `service` with the handler [`ROUTES`] names for it.
pub(crate) fn dispatch(state: &mut State, service: &str, input: &Input) -> Result<Answer, Failure> {
    let route = ROUTES
        .iter()
        .find(|(s, operation, _)| *s == service && *operation == input.operation);
    match route {
        Some((_, _, Json(handler))) => handler(state, input).map(Answer::Json).map_err(Into::into),
        Some((_, _, Detailed(handler))) => handler(state, input).map(Answer::Json),
        Some((_, _, Xml(handler))) => handler(state, input).map(Answer::Xml).map_err(Into::into),
        None => Err(unserved(state, service, input).into()),
    }
}

/// How a service refuses an operation the fake does not serve, or the fake a service.
fn unserved(state: &State, service: &str, input: &Input) -> ApiError {
    let operation = input.operation;
    match service {
        "sts" | "iam" | "elasticloadbalancing" => ApiError(
            400,
            "InvalidAction".into(),
            format!("the fake does not serve {service} action `{operation}`"),
        ),
        // CodeDeploy authorizes a call before it looks at its operation.
        "codedeploy" => codedeploy::authorize(state, input)
            .err()
            .unwrap_or_else(|| unknown_operation(operation)),
        _ if ROUTES.iter().any(|(s, _, _)| *s == service) => unknown_operation(operation),
        other => client_error(
            "UnknownOperationException",
            format!("the fake does not serve the service `{other}`"),
        ),
    }
}

fn unknown_operation(operation: &str) -> ApiError {
    client_error(
        "UnknownOperationException",
        format!("the fake does not serve operation `{operation}`"),
    )
}

#[cfg(test)]
impl Answer {
    pub(crate) fn json(self) -> Value {
        match self {
            Answer::Json(answer) => answer,
            Answer::Xml(answer) => panic!("XML, not JSON: {answer}"),
        }
    }

    pub(crate) fn xml(self) -> String {
        match self {
            Answer::Xml(answer) => answer,
            Answer::Json(answer) => panic!("JSON, not XML: {answer}"),
        }
    }
}

/// Serves a call as a request signed with `access_key` would be (for the modules' tests).
#[cfg(test)]
pub(crate) fn call(
    state: &mut State,
    access_key: &str,
    operation: (&str, &str, &str),
    body: &Value,
) -> Result<Answer, ApiError> {
    call_failing(state, access_key, operation, body).map_err(|Failure(error, _)| error)
}

/// Like [`call`], an error with its extra members.
#[cfg(test)]
pub(crate) fn call_failing(
    state: &mut State,
    access_key: &str,
    (service, operation, region): (&str, &str, &str),
    body: &Value,
) -> Result<Answer, Failure> {
    let caller = state.identities.caller(access_key);
    let input = Input {
        caller: &caller,
        operation,
        region,
        body,
    };
    dispatch(state, service, &input)
}

#[cfg(test)]
#[path = "wire_tests.rs"]
mod wire_tests;
