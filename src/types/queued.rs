//! Messages a function sent itself through its own queue (`WATCH_QUEUE_URL`), as the queue's
//! event source mapping delivers them: told from any other payload by the queue they come from.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::time::Duration;

use serde::de::DeserializeOwned;
use serde::Deserialize;

use super::names::{is_account, partition};
use crate::time::Time;

/// One message from the function's own queue: its body read as `T`, or why it could not be.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Delivered<T> {
    pub message_id: String,
    /// What the message is received as: to have it come back sooner.
    pub receipt_handle: String,
    /// When it was sent (SQS's `SentTimestamp`).
    pub sent: Option<Time>,
    /// How many times it was received, this time included (`ApproximateReceiveCount`).
    pub received: u32,
    pub body: Result<T, String>,
}

impl<T> Delivered<T> {
    /// How soon a message that could not be taken now comes back, rather than after the queue's
    /// visibility timeout: 5 s, doubled at each receive (5, 10, 20, 40 s: a queue's five receives
    /// outlast a minute's outage of the table or the queue before its dead-letter queue, which
    /// alarms).
    pub fn come_back(&self) -> Duration {
        Duration::from_secs(5 << (self.received.clamp(1, 7) - 1))
    }
}

/// A token no other write of a watch's record has, carried by the message that write goes with:
/// of two messages of one look or poll (a repeated delivery, two deliveries that took the same
/// message at once), only the one whose write won is taken. The process's random hash keys (new
/// for each call), over the time.
pub fn token() -> String {
    let mut hasher = RandomState::new().build_hasher();
    hasher.write_i64(Time::now().millis());
    format!("{:016x}", hasher.finish())
}

#[derive(Deserialize)]
struct SqsEvent {
    #[serde(rename = "Records")]
    records: Vec<SqsRecord>,
}

#[derive(Deserialize)]
struct SqsRecord {
    #[serde(rename = "messageId")]
    message_id: String,
    #[serde(rename = "receiptHandle", default)]
    receipt_handle: String,
    #[serde(default)]
    attributes: SqsAttributes,
    body: String,
    #[serde(rename = "eventSource")]
    event_source: String,
    #[serde(rename = "eventSourceARN")]
    event_source_arn: String,
}

#[derive(Default, Deserialize)]
struct SqsAttributes {
    #[serde(rename = "SentTimestamp")]
    sent_timestamp: Option<String>,
    #[serde(rename = "ApproximateReceiveCount")]
    receive_count: Option<String>,
}

/// The ARN of the queue at `url` (`https://sqs.<region>.amazonaws.com/<account>/<name>`, or a
/// local endpoint's `http://host:port/<account>/<name>`), in `region`.
pub fn queue_arn(url: &str, region: &str) -> Option<String> {
    let path = url.split_once("://").map_or(url, |(_, rest)| rest);
    let mut parts = path.trim_end_matches('/').rsplit('/');
    let (name, account) = (parts.next()?, parts.next()?);
    let partition = partition(region);
    (is_account(account) && !name.is_empty())
        .then(|| format!("arn:{partition}:sqs:{region}:{account}:{name}"))
}

/// The messages of `payload` when it is an SQS batch whose every record comes from `queue`
/// (an ARN); else `Err` with where the first other record comes from (`None`: not an SQS batch).
pub fn from_queue<T: DeserializeOwned>(
    payload: &[u8],
    queue: Option<&str>,
) -> Result<Vec<Delivered<T>>, Option<String>> {
    let event = serde_json::from_slice::<SqsEvent>(payload).map_err(|_| None)?;
    let foreign = (event.records.iter())
        .find(|r| r.event_source != "aws:sqs" || Some(r.event_source_arn.as_str()) != queue);
    if let Some(record) = foreign {
        return Err(Some(format!(
            "{} ({})",
            record.event_source_arn, record.event_source
        )));
    }
    let messages = (event.records.into_iter()).map(|record| Delivered {
        body: serde_json::from_str::<T>(&record.body).map_err(|e| e.to_string()),
        sent: (record.attributes.sent_timestamp)
            .and_then(|ms| ms.parse().ok())
            .map(Time::from_millis),
        received: (record.attributes.receive_count)
            .and_then(|n| n.parse().ok())
            .unwrap_or(1),
        message_id: record.message_id,
        receipt_handle: record.receipt_handle,
    });
    Ok(messages.collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_message_comes_back_later_at_each_receive() {
        let at = |received| Delivered::<()> {
            message_id: String::new(),
            receipt_handle: String::new(),
            sent: None,
            received,
            body: Ok(()),
        };
        let secs: Vec<u64> = (0..9).map(|n| at(n).come_back().as_secs()).collect();
        assert_eq!(secs, [5, 5, 10, 20, 40, 80, 160, 320, 320]);
    }

    #[test]
    fn the_queue_arn_is_read_from_its_url() {
        let arn = "arn:aws:sqs:us-east-1:123456789012:breaker-gate-watch";
        let aws = "https://sqs.us-east-1.amazonaws.com/123456789012/breaker-gate-watch";
        assert_eq!(queue_arn(aws, "us-east-1").as_deref(), Some(arn));
        let local = "http://127.0.0.1:4599/123456789012/breaker-gate-watch";
        assert_eq!(queue_arn(local, "us-east-1").as_deref(), Some(arn));
        let china = "https://sqs.cn-north-1.amazonaws.com.cn/123456789012/q";
        assert_eq!(
            queue_arn(china, "cn-north-1").as_deref(),
            Some("arn:aws-cn:sqs:cn-north-1:123456789012:q")
        );
        assert_eq!(
            queue_arn("https://sqs.us-east-1.amazonaws.com/q", "us-east-1"),
            None
        );
    }
}
