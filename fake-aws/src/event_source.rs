//! Lambda's SQS event source mapping, with `ReportBatchItemFailures`: a batch of visible
//! messages received as Lambda's poller receives them (in flight for the queue's visibility
//! timeout, receive counts up, redrive applied) and written as Lambda's SQS event
//! ([`FakeAws::sqs_event`]); the function's answer settled as Lambda settles it
//! ([`FakeAws::settle`]); and, for the binary, a poller that delivers batches to a function's
//! invoke URL ([`deliver`]). The poller's receives are Lambda's, not the function's, so the
//! journal does not record them; it polls one batch at a time (Lambda scales to several).

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::{Request, Uri};
use hyper_util::rt::TokioIo;
use serde_json::{json, Value};
use tokio::net::TcpStream;

use crate::FakeAws;

/// A batch's largest size, as the mapping is configured.
const BATCH_SIZE: usize = 10;
/// Lambda's longest timeout, the most an invocation may take.
const INVOCATION_TIMEOUT: Duration = Duration::from_secs(900);

impl FakeAws {
    /// Receives up to `max` (at most 10) visible messages of a queue as Lambda's poller does,
    /// and returns them as Lambda's SQS event; `None` when there are none (or no such queue).
    pub fn sqs_event(&self, account: &str, region: &str, queue: &str, max: usize) -> Option<Value> {
        let key = (account.to_string(), region.to_string(), queue.to_string());
        let arn = format!("arn:aws:sqs:{region}:{account}:{queue}");
        let received = self.lock().sqs.receive(&key, max.clamp(1, 10), None);
        let records: Vec<Value> = received
            .iter()
            .map(|m| {
                json!({
                    "messageId": m.id,
                    "receiptHandle": m.receipt,
                    "body": m.body,
                    "attributes": {
                        "ApproximateReceiveCount": m.receive_count.to_string(),
                        "SentTimestamp": m.sent.to_string(),
                        "SenderId": m.sender,
                        "ApproximateFirstReceiveTimestamp":
                            m.first_receive.unwrap_or(m.sent).to_string(),
                    },
                    "messageAttributes": {},
                    "md5OfBody": m.md5,
                    "eventSource": "aws:sqs",
                    "eventSourceARN": arn,
                    "awsRegion": region,
                })
            })
            .collect();
        (!records.is_empty()).then(|| json!({ "Records": records }))
    }

    /// Settles a batch as Lambda does with the function's `response` (`None`: the invocation
    /// failed): deletes the event's messages except those the response's
    /// `batchItemFailures[].itemIdentifier` lists; the IDs of those deleted. A null response,
    /// `{}` or an empty or null `batchItemFailures` succeeds for all; a response that is not
    /// such an object, or an item identifier empty, missing or not of the batch, fails the whole
    /// batch (nothing deleted). A message received again since keeps its new receipt.
    pub fn settle(
        &self,
        account: &str,
        region: &str,
        queue: &str,
        event: &Value,
        response: Option<&Value>,
    ) -> Vec<String> {
        let records = event["Records"].as_array().map_or(&[][..], Vec::as_slice);
        let batch: Vec<(&str, &str)> = records
            .iter()
            .filter_map(|r| Some((r["messageId"].as_str()?, r["receiptHandle"].as_str()?)))
            .collect();
        let Some(failed) = response.and_then(|r| failures(r, &batch)) else {
            return Vec::new();
        };
        let key = (account.to_string(), region.to_string(), queue.to_string());
        let mut state = self.lock();
        batch
            .into_iter()
            .filter(|(id, _)| !failed.contains(id))
            .filter(|(_, handle)| state.sqs.delete(&key, handle).unwrap_or(false))
            .map(|(id, _)| id.to_string())
            .collect()
    }

    /// How many messages of a queue are visible.
    fn visible(&self, account: &str, region: &str, queue: &str) -> usize {
        let key = (account.to_string(), region.to_string(), queue.to_string());
        let messages = self.lock().sqs.messages(&key).unwrap_or_default();
        let visible = |m: &&crate::Message| m.visibility == crate::queues::Visibility::Visible;
        messages.iter().filter(visible).count()
    }
}

/// The IDs a response reports as failed; `None` when it fails the whole batch.
fn failures<'b>(response: &Value, batch: &[(&'b str, &str)]) -> Option<BTreeSet<&'b str>> {
    let list = match response {
        Value::Null => return Some(BTreeSet::new()),
        Value::Object(response) => match response.get("batchItemFailures") {
            None | Some(Value::Null) => return Some(BTreeSet::new()),
            Some(Value::Array(list)) => list,
            Some(_) => return None,
        },
        _ => return None,
    };
    list.iter()
        .map(|failure| {
            let id = failure.get("itemIdentifier")?.as_str()?;
            batch.iter().find(|(m, _)| *m == id).map(|(m, _)| *m)
        })
        .collect()
}

/// An event source mapping the binary runs: `<account>:<region>:<queue>=<invoke-url>`.
#[derive(Clone, Debug)]
pub struct Delivery {
    pub account: String,
    pub region: String,
    pub queue: String,
    /// `http://127.0.0.1:<port>/2015-03-31/functions/<name>/invocations`.
    pub url: Uri,
}

impl std::str::FromStr for Delivery {
    type Err = String;

    fn from_str(value: &str) -> Result<Self, String> {
        let usage = || format!("{value}: expected ACCOUNT:REGION:QUEUE=http://HOST:PORT/PATH");
        let (source, url) = value.split_once('=').ok_or_else(usage)?;
        let mut parts = source.splitn(3, ':');
        let (Some(account), Some(region), Some(queue)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(usage());
        };
        let url: Uri = url.parse().map_err(|e| format!("{url}: {e}"))?;
        if url.scheme_str() != Some("http") || url.authority().is_none() {
            return Err(usage());
        }
        Ok(Delivery {
            account: account.into(),
            region: region.into(),
            queue: queue.into(),
            url,
        })
    }
}

/// Delivers a queue's messages to a function, batches of up to 10, forever: a batch is taken
/// only once the function's endpoint accepts a connection; an answer other than 200, or with
/// an `errorType` or `X-Amz-Function-Error`, fails the whole batch.
pub async fn deliver(fake: Arc<FakeAws>, delivery: Delivery) {
    let Delivery {
        account,
        region,
        queue,
        url,
    } = &delivery;
    let authority = url.authority().map(|a| a.to_string()).unwrap_or_default();
    let mut unreachable = false;
    loop {
        if fake.visible(account, region, queue) == 0 {
            tokio::time::sleep(Duration::from_millis(100)).await;
            continue;
        }
        let stream = match TcpStream::connect(&authority).await {
            Ok(stream) => stream,
            Err(e) => {
                if !std::mem::replace(&mut unreachable, true) {
                    eprintln!("fake-aws: cannot deliver {queue} to {url} yet: {e}");
                }
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        unreachable = false;
        let Some(event) = fake.sqs_event(account, region, queue, BATCH_SIZE) else {
            continue;
        };
        let answer = tokio::time::timeout(INVOCATION_TIMEOUT, invoke(stream, url, &event)).await;
        let response = match answer {
            Ok(Ok(response)) => Some(response),
            Ok(Err(e)) => {
                eprintln!("fake-aws: the invocation of {url} failed: {e}");
                None
            }
            Err(_) => {
                eprintln!("fake-aws: the invocation of {url} timed out");
                None
            }
        };
        let deleted = fake.settle(account, region, queue, &event, response.as_ref());
        let size = event["Records"].as_array().map_or(0, Vec::len);
        println!(
            "fake-aws: delivered {size} messages of {queue}, {} deleted",
            deleted.len()
        );
    }
}

/// POSTs the event to the function; its answer, or why the invocation failed.
async fn invoke(stream: TcpStream, url: &Uri, event: &Value) -> Result<Value, String> {
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| e.to_string())?;
    tokio::spawn(connection);
    let path = url.path_and_query().map_or("/", |p| p.as_str());
    let request = Request::post(path)
        .header("host", url.authority().map_or("", |a| a.as_str()))
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(event.to_string())))
        .map_err(|e| e.to_string())?;
    let response = sender
        .send_request(request)
        .await
        .map_err(|e| e.to_string())?;
    let status = response.status();
    let function_error = response.headers().get("x-amz-function-error").cloned();
    let body = response
        .into_body()
        .collect()
        .await
        .map_err(|e| e.to_string())?;
    let body = String::from_utf8_lossy(&body.to_bytes()).into_owned();
    if status != 200 {
        return Err(format!("status {status}: {body}"));
    }
    let answer: Value = serde_json::from_str(&body).map_err(|e| format!("{e}: {body}"))?;
    if function_error.is_some() || answer.get("errorType").is_some() {
        return Err(format!("function error: {body}"));
    }
    Ok(answer)
}
