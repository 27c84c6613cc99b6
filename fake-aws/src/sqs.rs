//! SQS (AWS JSON 1.0, `X-Amz-Target: AmazonSQS.<Operation>`, `awsQueryCompatible`):
//! `SendMessage`, `ReceiveMessage` (long polling too), `DeleteMessage`,
//! `ChangeMessageVisibility` and `GetQueueAttributes` (module `queue_attributes`) on standard
//! queues (their semantics in module `messages`), validated as SQS validates them; IAM
//! `sqs:<Operation>` on the queue's ARN. A queue URL is `<any endpoint>/<account>/<name>`; a
//! queue of another account is denied (the fake has no queue policies). Errors name their
//! query code in `x-amzn-query-error`, which the SDK matches
//! (`AWS.SimpleQueueService.NonExistentQueue;Sender`). No FIFO queues, message attributes,
//! batches, queue management, retention period nor server-side encryption; a receive returns
//! every visible message up to its maximum (AWS's short polls may return fewer, even none).

use std::time::Duration;

use serde_json::{json, Map, Value};

use crate::messages::{NotChanged, QueueKey, Stored};
use crate::protocol::{client_error, ApiError, Failure};
use crate::router::Answer;
use crate::{md5, string_field, Input, State};

/// SendMessage's largest body, in bytes.
pub(crate) const BODY_LIMIT: usize = 256 * 1024;
/// How often a long poll looks for messages.
pub(crate) const POLL_INTERVAL: Duration = Duration::from_millis(20);

/// `__type` as SQS writes it.
pub(crate) fn error_type(code: &str) -> String {
    match code {
        "AccessDenied" | "InvalidParameterValue" | "MissingParameter" => {
            format!("com.amazon.coral.service#{code}Exception")
        }
        "MissingAuthenticationTokenException"
        | "UnrecognizedClientException"
        | "IncompleteSignatureException"
        | "SerializationException"
        | "UnknownOperationException" => format!("com.amazon.coral.service#{code}"),
        _ => format!("com.amazonaws.sqs#{code}"),
    }
}

/// The code `x-amzn-query-error` gives, which the SDK matches to an error type.
pub(crate) fn query_code(code: &str) -> String {
    match code {
        "QueueDoesNotExist" => "AWS.SimpleQueueService.NonExistentQueue".into(),
        "MessageNotInflight" => "AWS.SimpleQueueService.MessageNotInflight".into(),
        "UnsupportedOperation" => "AWS.SimpleQueueService.UnsupportedOperation".into(),
        "UnrecognizedClientException" => "InvalidClientTokenId".into(),
        "MissingAuthenticationTokenException" => "MissingAuthenticationToken".into(),
        "IncompleteSignatureException" => "IncompleteSignature".into(),
        other => other.into(),
    }
}

fn invalid(message: impl Into<String>) -> ApiError {
    client_error("InvalidParameterValue", message)
}

/// The queue a call names, authorized and existing.
pub(crate) fn queue(state: &State, input: &Input) -> Result<QueueKey, ApiError> {
    let Some(url) = string_field(input.body, "QueueUrl") else {
        let message = "The request must contain the parameter QueueUrl.";
        return Err(client_error("MissingParameter", message));
    };
    let path = url.split_once("://").map_or(url, |(_, rest)| rest);
    let segments: Vec<&str> = path.split('/').skip(1).collect();
    let [account, name] = segments[..] else {
        let message = format!("The address {url} is not valid for this endpoint.");
        return Err(client_error("InvalidAddress", message));
    };
    if account != input.account() {
        let message = format!("Access to the resource {url} is denied.");
        return Err(ApiError(403, "AccessDenied".into(), message));
    }
    let arn = format!("arn:aws:sqs:{}:{account}:{name}", input.region);
    let action = format!("sqs:{}", input.operation);
    input
        .caller
        .authorize(&action, &arn, account, input.region)
        .map_err(|ApiError(_, _, message)| ApiError(403, "AccessDenied".into(), message))?;
    let key = (
        account.to_string(),
        input.region.to_string(),
        name.to_string(),
    );
    if !state.sqs.queues.contains_key(&key) {
        let message = "The specified queue does not exist.";
        return Err(client_error("QueueDoesNotExist", message));
    }
    Ok(key)
}

/// An integer parameter within `range`; `default` when not given.
fn integer(
    input: &Input,
    name: &str,
    range: (u64, u64),
    reason: &str,
) -> Result<Option<u64>, ApiError> {
    let Some(value) = input.body.get(name).filter(|v| !v.is_null()) else {
        return Ok(None);
    };
    match value.as_u64().filter(|v| (range.0..=range.1).contains(v)) {
        Some(v) => Ok(Some(v)),
        None => Err(invalid(format!(
            "Value {value} for parameter {name} is invalid. Reason: {reason}"
        ))),
    }
}

/// The sender as `SenderId` names it: `AROA…:session`.
fn sender(input: &Input) -> String {
    let role_id = md5::hex(input.caller.role.as_bytes())[..17].to_ascii_uppercase();
    let session = input.caller.arn.rsplit('/').next().unwrap_or_default();
    format!("AROA{role_id}:{session}")
}

/// `SendMessage`.
pub(crate) fn send_message(state: &mut State, input: &Input) -> Result<Value, ApiError> {
    let key = queue(state, input)?;
    let body = string_field(input.body, "MessageBody").unwrap_or_default();
    if body.is_empty() {
        let message = "The request must contain the parameter MessageBody.";
        return Err(client_error("MissingParameter", message));
    }
    if body.len() > BODY_LIMIT {
        return Err(invalid(format!(
            "One or more parameters are invalid. Reason: Message must be shorter than \
             {BODY_LIMIT} bytes."
        )));
    }
    let allowed = |c: char| matches!(c, '\t' | '\n' | '\r' | ' '..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..);
    if let Some(bad) = body.chars().find(|c| !allowed(*c)) {
        return Err(client_error(
            "InvalidMessageContents",
            format!(
                "Invalid binary character '#x{:X}' was found in the message body, the set of \
                 allowed characters is #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | \
                 #x10000 to #x10FFFF",
                bad as u32
            ),
        ));
    }
    let delay = integer(
        input,
        "DelaySeconds",
        (0, 900),
        "DelaySeconds must be >= 0 and <= 900.",
    )?;
    for unsupported in [
        "MessageAttributes",
        "MessageSystemAttributes",
        "MessageDeduplicationId",
    ] {
        if input
            .body
            .get(unsupported)
            .is_some_and(|v| !v.is_null() && v != &json!({}))
        {
            return Err(invalid(format!(
                "the fake does not support {unsupported} (nor FIFO queues)"
            )));
        }
    }
    let id = state
        .sqs
        .send(&key, body, delay.unwrap_or(0), &sender(input));
    Ok(json!({ "MessageId": id, "MD5OfMessageBody": md5::hex(body.as_bytes()) }))
}

/// How long a `ReceiveMessage` call may wait for a message (its `WaitTimeSeconds`), if it is
/// one that waits.
pub(crate) fn long_poll(service: &str, input: &Input) -> Option<Duration> {
    let wait = input.body.get("WaitTimeSeconds").and_then(Value::as_u64)?;
    let waits = service == "sqs" && input.operation == "ReceiveMessage" && (1..=20).contains(&wait);
    waits.then(|| Duration::from_secs(wait))
}

/// Whether an answer is a `ReceiveMessage`'s that received nothing.
pub(crate) fn received_none(answer: &Result<Answer, Failure>) -> bool {
    matches!(answer, Ok(Answer::Json(answer)) if answer.get("Messages").is_none())
}

/// The system attributes of a received message that `names` asks for.
fn attributes(message: &Stored, names: &[&str]) -> Map<String, Value> {
    let all = names.contains(&"All");
    let mut attributes = Map::new();
    let mut put = |name: &str, value: Option<String>| {
        if let Some(value) = value.filter(|_| all || names.contains(&name)) {
            attributes.insert(name.into(), json!(value));
        }
    };
    put("SenderId", Some(message.sender.clone()));
    put("SentTimestamp", Some(message.sent.to_string()));
    put(
        "ApproximateReceiveCount",
        Some(message.receive_count.to_string()),
    );
    put(
        "ApproximateFirstReceiveTimestamp",
        message.first_receive.map(|t| t.to_string()),
    );
    put("DeadLetterQueueSourceArn", message.source_arn.clone());
    attributes
}

/// `ReceiveMessage`.
pub(crate) fn receive_message(state: &mut State, input: &Input) -> Result<Value, ApiError> {
    let key = queue(state, input)?;
    let reason = "Must be between 1 and 10, if provided.";
    let max = integer(input, "MaxNumberOfMessages", (1, 10), reason)?;
    let reason = "Must be between 0 and 43200, if provided.";
    let visibility = integer(input, "VisibilityTimeout", (0, 43_200), reason)?;
    let reason = "Must be >= 0 and <= 20, if provided.";
    integer(input, "WaitTimeSeconds", (0, 20), reason)?;
    let names: Vec<&str> = ["AttributeNames", "MessageSystemAttributeNames"]
        .iter()
        .filter_map(|field| input.body.get(*field).and_then(Value::as_array))
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    let received = state
        .sqs
        .receive(&key, max.unwrap_or(1) as usize, visibility);
    if received.is_empty() {
        return Ok(json!({}));
    }
    let messages: Vec<Value> = received
        .iter()
        .map(|m| {
            let mut message = json!({
                "MessageId": m.id,
                "ReceiptHandle": m.receipt,
                "MD5OfBody": m.md5,
                "Body": m.body,
            });
            let attributes = attributes(m, &names);
            if !attributes.is_empty() {
                message["Attributes"] = Value::Object(attributes);
            }
            message
        })
        .collect();
    Ok(json!({ "Messages": messages }))
}

fn receipt_handle<'b>(input: &Input<'b>) -> Result<&'b str, ApiError> {
    string_field(input.body, "ReceiptHandle").ok_or_else(|| {
        let message = "The request must contain the parameter ReceiptHandle.";
        client_error("MissingParameter", message)
    })
}

fn invalid_handle(handle: &str) -> ApiError {
    client_error(
        "ReceiptHandleIsInvalid",
        format!("The input receipt handle \"{handle}\" is not a valid receipt handle."),
    )
}

/// `DeleteMessage`.
pub(crate) fn delete_message(state: &mut State, input: &Input) -> Result<Value, ApiError> {
    let key = queue(state, input)?;
    let handle = receipt_handle(input)?;
    match state.sqs.delete(&key, handle) {
        Err(_) => Err(invalid_handle(handle)),
        Ok(_) => Ok(json!({})),
    }
}

/// `ChangeMessageVisibility`.
pub(crate) fn change_message_visibility(
    state: &mut State,
    input: &Input,
) -> Result<Value, ApiError> {
    let key = queue(state, input)?;
    let handle = receipt_handle(input)?;
    let reason = "Must be between 0 and 43200, if provided.";
    let Some(seconds) = integer(input, "VisibilityTimeout", (0, 43_200), reason)? else {
        let message = "The request must contain the parameter VisibilityTimeout.";
        return Err(client_error("MissingParameter", message));
    };
    match state.sqs.change_visibility(&key, handle, seconds) {
        Ok(()) => Ok(json!({})),
        Err(NotChanged::Invalid) => Err(invalid_handle(handle)),
        Err(NotChanged::Stale) => Err(invalid(format!(
            "Value {handle} for parameter ReceiptHandle is invalid. Reason: Message does not \
             exist or is not available for visibility timeout change."
        ))),
        Err(NotChanged::NotInFlight) => Err(client_error(
            "MessageNotInflight",
            "The message referred to isn't in flight.",
        )),
    }
}

#[cfg(test)]
#[path = "sqs_tests.rs"]
mod tests;
