//! SQS: the Lambda SQS event, each record's `body` (an SNS envelope, or a message delivered
//! raw), and batches that cannot be decoded whole.

use aws_lambda_events::sqs::SqsMessage;
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::Value;

use super::fields::{as_object, decode, error};
use super::message::message;
use super::model::{Around, Item, ParseError, Parsed, SqsRecord, Via};
use super::sns::{self, Notification};

/// The `eventSource` (or SNS's `EventSource`) of a record.
pub(super) fn event_source(record: &Value) -> Option<&str> {
    record
        .get("eventSource")
        .or_else(|| record.get("EventSource"))
        .and_then(Value::as_str)
}

/// An SQS batch, each record decoded on its own: a record with a field of the wrong type fails
/// alone; only one without a `messageId` (which cannot be named) fails the batch.
pub(super) fn parse(event: &Value) -> Result<Parsed, ParseError> {
    let records: Vec<Value> = decode(&event["Records"], "SQS event `Records`")?;
    let records = records
        .iter()
        .enumerate()
        .map(|(index, record)| {
            let message_id = message_id(index, record.get("messageId").and_then(Value::as_str))?;
            let what = format!("SQS message {message_id}");
            let item = decode::<SqsMessage>(record, &what).and_then(|record| item(&record, &what));
            Ok(SqsRecord { message_id, item })
        })
        .collect::<Result<_, ParseError>>()?;
    Ok(Parsed::Sqs(records))
}

fn message_id(index: usize, id: Option<&str>) -> Result<String, ParseError> {
    id.filter(|id| !id.is_empty())
        .map(str::to_string)
        .ok_or_else(|| error(format!("SQS record {index} has no `messageId`")))
}

fn item(record: &SqsMessage, what: &str) -> Result<Item, ParseError> {
    let what = format!("{what} `body`");
    match &record.body {
        None => Err(error(format!("{what} is missing"))),
        Some(body) => body_item(body, &what, record.event_source_arn.as_deref()),
    }
}

/// A body's item, carried by `queue`: whoever may send to the queue wrote it. Except an
/// EventBridge event, whose `account` EventBridge writes itself, also when a rule sends it to a
/// queue.
fn body_item(body: &str, what: &str, queue: Option<&str>) -> Result<Item, ParseError> {
    let value: Value =
        serde_json::from_str(body).map_err(|e| error(format!("{what} is not JSON: {e}")))?;
    let object = as_object(&value, what)?;
    let is_sns =
        object.contains_key("Message") && object.get("Type").and_then(Value::as_str).is_some();
    let item = if is_sns {
        let notification: Notification = decode(&value, what)?;
        sns::notification(&notification, &format!("{what} `Message`"))?
    } else {
        message(&value, what, &Around::default())?
    };
    Ok(match queue {
        Some(queue) if !object.contains_key("detail-type") => {
            item.carried_by(Via::Queue(queue.to_string()))
        }
        _ => item,
    })
}

#[derive(Deserialize)]
struct Batch<'a> {
    #[serde(rename = "Records", borrow)]
    records: Vec<&'a RawValue>,
}

/// What is read of a record that may not decode: enough to name it in `batchItemFailures`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Header {
    #[serde(default)]
    message_id: Option<String>,
    #[serde(default)]
    event_source: Option<String>,
}

/// An SQS batch that does not decode as a whole (invalid UTF-8, nesting past the decoder's
/// limit), read record by record: each record that cannot be decoded fails on its own, the
/// others are parsed as usual. `None` when the bytes are not an SQS batch.
pub(super) fn parse_undecodable(bytes: &[u8]) -> Option<Result<Parsed, ParseError>> {
    let (text, invalid) = sanitized(bytes)?;
    let batch: Batch = serde_json::from_str(&text).ok()?;
    let headers: Vec<Header> = batch
        .records
        .iter()
        .map(|raw| serde_json::from_str(raw.get()))
        .collect::<Result<_, _>>()
        .ok()?;
    if headers.first()?.event_source.as_deref() != Some("aws:sqs") {
        return None;
    }
    let mut records = Vec::with_capacity(headers.len());
    for (index, (raw, header)) in batch.records.iter().zip(headers).enumerate() {
        let message_id = match message_id(index, header.message_id.as_deref()) {
            Ok(id) => id,
            Err(e) => return Some(Err(e)),
        };
        let what = format!("SQS message {message_id}");
        let start = raw.get().as_ptr() as usize - text.as_ptr() as usize;
        let span = start..start + raw.get().len();
        let item = if let Some(at) = invalid.iter().find(|at| span.contains(at)) {
            Err(error(format!(
                "{what} is not valid UTF-8 (byte {at} of the event)"
            )))
        } else {
            match serde_json::from_str::<Value>(raw.get()) {
                Err(e) => Err(error(format!("{what} cannot be decoded: {e}"))),
                Ok(value) => {
                    decode::<SqsMessage>(&value, &what).and_then(|record| item(&record, &what))
                }
            }
        };
        records.push(SqsRecord { message_id, item });
    }
    Some(Ok(Parsed::Sqs(records)))
}

/// The bytes as text, every byte of an invalid UTF-8 sequence replaced by `b` (so offsets are
/// kept, and the JSON around stays well-formed: `b` is valid in a string, after a backslash and
/// inside a `\u` escape), and the offsets replaced.
fn sanitized(bytes: &[u8]) -> Option<(String, Vec<usize>)> {
    let mut text = Vec::with_capacity(bytes.len());
    let mut invalid = Vec::new();
    let mut rest = bytes;
    while let Err(e) = std::str::from_utf8(rest) {
        let valid = e.valid_up_to();
        let bad = e.error_len().unwrap_or(rest.len() - valid);
        text.extend_from_slice(&rest[..valid]);
        let offset = bytes.len() - rest.len() + valid;
        invalid.extend(offset..offset + bad);
        text.resize(text.len() + bad, b'b');
        rest = &rest[valid + bad..];
    }
    text.extend_from_slice(rest);
    String::from_utf8(text).ok().map(|text| (text, invalid))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sanitizing_keeps_offsets_and_names_every_bad_byte() {
        let (text, invalid) = sanitized(b"ab\xff\xfecd\xe2\x82").unwrap();
        assert_eq!(text, "abbbcdbb");
        assert_eq!(invalid, vec![2, 3, 6, 7]);
        let (text, invalid) = sanitized("héllo".as_bytes()).unwrap();
        assert_eq!(text, "héllo");
        assert!(invalid.is_empty());
    }
}
