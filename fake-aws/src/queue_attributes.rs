//! SQS's `GetQueueAttributes`: the attributes the fake tracks (message counts, ARN, visibility
//! timeout, redrive policy, fixed defaults); other valid names are omitted, unknown ones
//! refused.

use serde_json::{json, Map, Value};

use crate::protocol::{client_error, ApiError};
use crate::queues::Visibility::{Delayed, InFlight, Visible};
use crate::sqs::{queue, BODY_LIMIT};
use crate::{Input, State};

/// The queue attributes GetQueueAttributes knows; those the fake does not track are omitted.
const QUEUE_ATTRIBUTES: [&str; 22] = [
    "All",
    "Policy",
    "VisibilityTimeout",
    "MaximumMessageSize",
    "MessageRetentionPeriod",
    "ApproximateNumberOfMessages",
    "ApproximateNumberOfMessagesNotVisible",
    "CreatedTimestamp",
    "LastModifiedTimestamp",
    "QueueArn",
    "ApproximateNumberOfMessagesDelayed",
    "DelaySeconds",
    "ReceiveMessageWaitTimeSeconds",
    "RedrivePolicy",
    "FifoQueue",
    "ContentBasedDeduplication",
    "KmsMasterKeyId",
    "KmsDataKeyReusePeriodSeconds",
    "DeduplicationScope",
    "FifoThroughputLimit",
    "RedriveAllowPolicy",
    "SqsManagedSseEnabled",
];

/// `GetQueueAttributes`.
pub(crate) fn get_queue_attributes(state: &mut State, input: &Input) -> Result<Value, ApiError> {
    let key = queue(state, input)?;
    let names: Vec<&str> = (input.body.get("AttributeNames").and_then(Value::as_array))
        .map(|names| names.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    if let Some(unknown) = names.iter().find(|n| !QUEUE_ATTRIBUTES.contains(n)) {
        return Err(client_error(
            "InvalidAttributeName",
            format!("Unknown Attribute {unknown}."),
        ));
    }
    let messages = state.sqs.messages(&key).unwrap_or_default();
    let Some((queue, _)) = state.sqs.queues.get(&key) else {
        return Ok(json!({}));
    };
    let count = |visibility| {
        messages
            .iter()
            .filter(|m| m.visibility == visibility)
            .count()
    };
    let redrive = queue.dead_letter.as_ref().map(|d| {
        let target = format!("arn:aws:sqs:{}:{}:{}", queue.region, queue.account, d.name);
        json!({"deadLetterTargetArn": target, "maxReceiveCount": d.max_receive_count}).to_string()
    });
    let known = [
        (
            "ApproximateNumberOfMessages",
            Some(count(Visible).to_string()),
        ),
        (
            "ApproximateNumberOfMessagesNotVisible",
            Some(count(InFlight).to_string()),
        ),
        (
            "ApproximateNumberOfMessagesDelayed",
            Some(count(Delayed).to_string()),
        ),
        ("QueueArn", Some(queue.arn())),
        (
            "VisibilityTimeout",
            Some(queue.visibility_timeout.to_string()),
        ),
        ("DelaySeconds", Some("0".into())),
        ("MaximumMessageSize", Some(BODY_LIMIT.to_string())),
        ("ReceiveMessageWaitTimeSeconds", Some("0".into())),
        ("RedrivePolicy", redrive),
    ];
    let attributes: Map<String, Value> = known
        .into_iter()
        .filter(|(name, _)| names.contains(&"All") || names.contains(name))
        .filter_map(|(name, value)| Some((name.to_string(), json!(value?))))
        .collect();
    if attributes.is_empty() {
        return Ok(json!({}));
    }
    Ok(json!({ "Attributes": attributes }))
}
