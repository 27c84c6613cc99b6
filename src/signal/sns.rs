//! SNS: the Lambda SNS event, and the notification envelope (also found in SQS bodies).

use serde::Deserialize;
use serde_json::Value;

use super::fields::{arn_region, decode, error, loose_time};
use super::message::message;
use super::model::{Around, Item, ParseError, Parsed, Via};
use crate::time::Time;
use crate::types::NotActed;

#[derive(Deserialize)]
struct SnsEvent {
    #[serde(rename = "Records")]
    records: Vec<SnsRecord>,
}

#[derive(Deserialize)]
struct SnsRecord {
    #[serde(rename = "Sns")]
    sns: Notification,
}

/// An SNS notification, as delivered to Lambda (`Sns`) or to SQS without raw delivery (`body`).
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct Notification {
    #[serde(rename = "Type", default)]
    kind: Option<String>,
    #[serde(default)]
    topic_arn: Option<String>,
    #[serde(default)]
    subject: Option<String>,
    #[serde(default, deserialize_with = "loose_time")]
    timestamp: Option<Time>,
    message: String,
}

pub(super) fn parse(event: &Value) -> Result<Parsed, ParseError> {
    let sns: SnsEvent = decode(event, "SNS event")?;
    let mut items = Vec::new();
    for (index, record) in sns.records.iter().enumerate() {
        items.push(notification(
            &record.sns,
            &format!("SNS record {index} `Sns.Message`"),
        )?);
    }
    Ok(Parsed::Direct(items))
}

/// The message inside a notification; the topic's region and the notification's time stand in
/// for what the message does not say.
pub(super) fn notification(sns: &Notification, what: &str) -> Result<Item, ParseError> {
    let subject = sns.subject.as_deref().unwrap_or("(no subject)");
    match sns.kind.as_deref() {
        None | Some("Notification") => {}
        Some(other) => {
            return Ok(Item::Ignored(NotActed {
                signal: format!("SNS {other}"),
                reason: "SNS subscription housekeeping, not a notification".into(),
            }))
        }
    }
    let value = match serde_json::from_str::<Value>(&sns.message) {
        Ok(value) => value,
        // Text that starts like JSON is a broken event, not a human-readable message.
        Err(e) if sns.message.trim_start().starts_with(['{', '[']) => {
            return Err(error(format!("{what} is not valid JSON: {e}")))
        }
        Err(_) => {
            return Ok(Item::Ignored(NotActed {
                signal: format!("SNS message \"{subject}\""),
                reason: "plain-text message, not an alarm or deployment event".into(),
            }))
        }
    };
    let around = Around {
        region: sns.topic_arn.as_deref().and_then(arn_region),
        time: sns.timestamp,
    };
    let item = message(&value, what, &around)?;
    Ok(match &sns.topic_arn {
        Some(topic) => item.carried_by(Via::Topic(topic.clone())),
        None => item,
    })
}
